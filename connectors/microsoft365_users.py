"""Graph users pages decoded straight into the fields the Microsoft 365 mapping reads.

A sync maps every user of the tenant, and for a large tenant parsing each page into
dictionaries and walking them took twice as long as fetching the pages. ``msgspec``
decodes a page in one C pass into small structs holding only the mapped fields
(skipping Graph's other members, such as the sign-in request ids, without building
them): about half orjson's time, and the mapping loop that follows reads attributes
instead of looking up keys — the two together take about a third of what parsing and
mapping dictionaries took.

This is only a fast path. :func:`page_rows` declines (returns ``None``) whenever a page
is not of the shape Graph documents — a value of another type, a user without id, a
time ``datetime.fromisoformat`` cannot read, a next link other than the one followed,
JSON that does not parse, text that is not UTF-8 in a member it reads, nesting too
deep for it — and the caller then maps the page through the general path
(:meth:`connectors.microsoft365.Microsoft365Connector._page_rows`), which is lenient
where it can be and names the problem where it cannot. Whatever both accept, it maps
exactly as that path does. It is more lenient in one way: members it skips are checked
for JSON syntax but not for valid UTF-8 or number range, so a page whose only fault
lies in a member Seatwise does not read (a bad byte in a job title, say) is mapped
rather than refused.
"""

from __future__ import annotations

from datetime import UTC, datetime

import msgspec

from connectors.base import UNLISTED, ProductRecord, Record
from connectors.rows import EPOCH, MICROSECOND, AccountRow, Chunk, SeatRow


class _Licence(msgspec.Struct):
    skuId: str | None = None  # noqa: N815 - Graph's own member names


class _SignIn(msgspec.Struct):
    lastSignInDateTime: str | None = None  # noqa: N815
    lastNonInteractiveSignInDateTime: str | None = None  # noqa: N815
    lastSuccessfulSignInDateTime: str | None = None  # noqa: N815


class _User(msgspec.Struct):
    id: str | None = None
    displayName: str | None = None  # noqa: N815
    userPrincipalName: str | None = None  # noqa: N815
    mail: str | None = None
    accountEnabled: bool | None = None  # noqa: N815
    userType: str | None = None  # noqa: N815
    department: str | None = None
    createdDateTime: str | None = None  # noqa: N815
    assignedLicenses: list[_Licence] | None = None  # noqa: N815
    signInActivity: _SignIn | None = None  # noqa: N815


class _Page(msgspec.Struct):
    value: list[_User]
    next_link: str | None = msgspec.field(name="@odata.nextLink", default=None)


_DECODER = msgspec.json.Decoder(_Page)


class _Declined(Exception):
    """The page is not of the documented shape: the general path maps it."""


def _time(value: str) -> datetime:
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise _Declined from None
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)


def page_rows(body: bytes, next_link: str | None, known: set[str], sign_in: bool) -> Chunk | None:
    """A users page as rows, by the connector's mapping rules; ``None`` to decline it.

    ``next_link`` is the link the fetch followed from this page: the page's own must be
    the same. ``known`` holds the SKU ids already announced; a licence of another SKU
    adds it, with an "Unlisted SKU" product, only when the whole page is accepted.
    """
    try:
        page = _DECODER.decode(body)
    except (msgspec.MsgspecError, UnicodeDecodeError, RecursionError):
        return None
    if page.next_link != next_link:
        return None
    try:
        return _rows(page.value, known, sign_in)
    except _Declined:
        return None


def _rows(users: list[_User], known: set[str], sign_in: bool) -> Chunk:
    """The mapping loop; its rules are those of ``Microsoft365Connector._page_rows``."""
    accounts: list[AccountRow] = []
    seats: list[SeatRow] = []
    unlisted: dict[str, None] = {}
    account, seat, when, epoch, unit = accounts.append, seats.append, _time, EPOCH, MICROSECOND
    for u in users:
        uid = u.id
        if not uid:
            raise _Declined
        email = u.mail or u.userPrincipalName
        last: datetime | None = None
        activity = u.signInActivity
        if sign_in and activity is not None:
            for value in (
                activity.lastSignInDateTime,
                activity.lastNonInteractiveSignInDateTime,
                activity.lastSuccessfulSignInDateTime,
            ):
                if value is not None:
                    t = when(value)
                    if last is None or t > last:
                        last = t
        created = u.createdDateTime
        account(
            (
                uid,
                email.lower() if email else None,
                u.displayName,
                "active" if u.accountEnabled else "suspended",
                u.userType == "Guest",
                False,
                u.department,
                None if created is None else (when(created) - epoch) // unit,
                None if last is None else (last - epoch) // unit,
                sign_in,
            )
        )
        for lic in u.assignedLicenses or ():
            sku_id = lic.skuId
            if sku_id:
                if sku_id not in known:
                    unlisted[sku_id] = None
                seat((uid, sku_id, None))
    others: list[Record] = []
    for sku_id in unlisted:
        known.add(sku_id)
        others.append(unlisted_sku(sku_id))
    return Chunk(accounts, seats, others)


def unlisted_sku(sku_id: str) -> ProductRecord:
    """The product of a licence whose SKU the tenant does not list (any more)."""
    return ProductRecord(external_id=sku_id, name=f"Unlisted SKU {sku_id}", status=UNLISTED)
