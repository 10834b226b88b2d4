"""Microsoft 365 connector: subscribed SKUs, users, licences and sign-in activity via Graph.

Reads ``GET /v1.0/subscribedSkus`` and ``GET /v1.0/users`` (``$select``-ed,
``$top=999``, following ``@odata.nextLink`` to the end) with an app-only token.
National clouds work by setting ``authority_host`` and ``graph_url``. A tenant
without Entra ID P1 cannot report sign-in activity: users are then synced without
it, marked activity-unknown, and the run carries a warning. The settings are
:mod:`connectors.microsoft365_config`; SKU names, :mod:`connectors.microsoft365_skus`.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Mapping
from datetime import UTC, datetime
from typing import Any, NamedTuple

from connectors.base import (
    Connector,
    ConnectorConfig,
    ConnectorDataError,
    ConnectorPermissionError,
    ProductRecord,
    Record,
    SyncWarning,
)
from connectors.ca_bundle import ca_bundle_path
from connectors.http import (
    HttpClient,
    RetryPolicy,
    UnparsedPage,
    follow_next_links_unparsed,
    parse_body,
    ssl_context,
)
from connectors.microsoft365_auth import (
    GraphTokens,
    NoPremiumLicence,
    graph_error_for,
    permission_error,
)
from connectors.microsoft365_config import Microsoft365Config, parse_config
from connectors.microsoft365_skus import sku_names, sku_product
from connectors.microsoft365_users import page_rows as users_page_rows
from connectors.microsoft365_users import unlisted_sku
from connectors.rows import AccountRow, Chunk, SeatRow, micros, records

USER_FIELDS = (
    "id,displayName,userPrincipalName,mail,accountEnabled,userType,department,"
    "createdDateTime,assignedLicenses"
)
SIGN_IN_FIELDS = (
    "lastSignInDateTime",
    "lastNonInteractiveSignInDateTime",
    "lastSuccessfulSignInDateTime",
)
PAGE_SIZE = 999
NEXT_LINK = "@odata.nextLink"


def _time(value: Any, user: str, field: str) -> datetime | None:
    """A Graph timestamp as an aware datetime; Graph documents them all as UTC, so a time
    sent without a zone is read as UTC rather than failing the sync."""
    if value is None:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except (TypeError, ValueError) as exc:
        raise ConnectorDataError(
            f"Microsoft Graph sent an unreadable {field} {value!r} for user {user}"
        ) from exc
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)


class GraphPage(NamedTuple):
    """One users page as Graph sent it, with what :meth:`Microsoft365Connector.chunk` needs.

    It crosses from the fetch process to the run's process as bytes (pickled); the
    users in it become rows in whichever process has time for it.
    """

    body: bytes
    url: str
    """Where it came from, without the query: for error messages."""
    next_link: str | None
    """The next link the fetch followed from it; the page's own must be the same."""
    sign_in: bool
    listed: frozenset[str]
    """The tenant's subscribed SKU ids: a licence naming another gets an "Unlisted" product."""


class Microsoft365Connector(Connector):
    """Syncs Microsoft 365 licences from Microsoft Graph (app-only, client credentials).

    Needs the application permissions User.Read.All, Organization.Read.All and
    AuditLog.Read.All (sign-in activity; the tenant also needs Entra ID P1).
    """

    kind = "microsoft365"
    plain_values = True  # every value comes from Graph's JSON
    title = "Microsoft 365"
    config_model = Microsoft365Config

    def __init__(
        self,
        config: ConnectorConfig | Mapping[str, Any],
        *,
        retry: RetryPolicy | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        cfg = parse_config(config)
        super().__init__(cfg)
        self.cfg = cfg
        self.retry = retry
        self.sleep = sleep
        self.requests_sent = 0
        # SKU ids whose products this process has announced (listed ones, and unlisted
        # ones a licence named); each process mapping pages keeps its own.
        self._known_skus: set[str] = set()

    # ------------------------------------------------------------------ plumbing

    def _client(self) -> HttpClient:
        cfg = self.cfg
        ca_path = ca_bundle_path(cfg.ca_bundle)
        tokens = GraphTokens(
            authority_host=cfg.authority_host,
            tenant_id=cfg.tenant_id,
            client_id=cfg.client_id,
            client_secret=cfg.client_secret,
            graph_url=cfg.graph_url,
            ca_path=ca_path,
            timeout=cfg.timeout_seconds,
            retry=self.retry,
            sleep=self.sleep,
        )
        return HttpClient(
            vendor="Microsoft Graph",
            error_for=graph_error_for,
            verify=ssl_context(ca_path),
            timeout=cfg.timeout_seconds,
            retry=self.retry,
            token=tokens,
            sleep=self.sleep,
        )

    def _skus(self, http: HttpClient) -> list[dict[str, Any]]:
        body = http.get_json(f"{self.cfg.graph_url}/v1.0/subscribedSkus")
        value = body.get("value") if isinstance(body, dict) else None
        if not isinstance(value, list):
            raise ConnectorDataError("Microsoft Graph's subscribedSkus answer has no 'value' list")
        return value

    def _user_pages(self, http: HttpClient, *, sign_in: bool) -> Iterator[UnparsedPage]:
        select = USER_FIELDS + (",signInActivity" if sign_in else "")
        # Literal "$select=…&$top=…", as Graph documents it (not "%24select").
        first = f"{self.cfg.graph_url}/v1.0/users?$select={select}&$top={PAGE_SIZE}"
        return follow_next_links_unparsed(
            lambda url, p: http.get(url, params=p), first, None, next_key=NEXT_LINK
        )

    def _first_user_page(
        self, http: HttpClient
    ) -> tuple[UnparsedPage, Iterator[UnparsedPage], bool]:
        """Open the users listing, falling back to no sign-in data without Entra ID P1.

        Returns:
            The first page, an iterator of the rest, and whether sign-in data is there.
        """
        pages = self._user_pages(http, sign_in=True)
        try:
            return next(pages), pages, True
        except NoPremiumLicence:
            pass
        except ConnectorPermissionError as exc:
            if exc.missing != "User.Read.All":
                raise
            # Refused with signInActivity: is it only the audit-log permission?
            plain = self._user_pages(http, sign_in=False)
            next(plain)
            raise permission_error("AuditLog.Read.All") from exc
        pages = self._user_pages(http, sign_in=False)
        return next(pages), pages, False

    # ------------------------------------------------------------------ contract

    def check(self) -> str:
        """Get a token, read the SKUs and one user; say what the sync will see.

        Returns:
            A one-line summary, e.g. "Connected to tenant …: 9 subscribed SKUs; sign-in
            activity available."
        """
        with self._client() as http:
            skus = self._skus(http)
            try:
                http.get_json(f"{self.cfg.graph_url}/v1.0/users?$select=id,signInActivity&$top=1")
                activity = "sign-in activity available"
            except NoPremiumLicence:
                activity = (
                    "sign-in activity unavailable (the tenant lacks Entra ID P1), "
                    "so unused seats cannot be detected"
                )
            except ConnectorPermissionError as exc:
                if exc.missing == "User.Read.All":
                    http.get_json(f"{self.cfg.graph_url}/v1.0/users?$select=id&$top=1")
                    raise permission_error("AuditLog.Read.All") from exc
                raise
        return (
            f"Connected to Microsoft 365 tenant {self.cfg.tenant_id}: "
            f"{len(skus)} subscribed SKUs; {activity}."
        )

    def fetch(self) -> Iterator[Record]:
        """Stream SKUs, then each page's users and their licence assignments.

        Yields:
            ProductRecord for each subscribed SKU (and a SyncWarning when sign-in activity
            is unavailable), then per page of users: an AccountRecord per user, then an
            AssignmentRecord per licence (after a ProductRecord for a SKU the tenant no
            longer lists). The records of :meth:`batches`, which the sync reads.
        """
        for batch in self.batches():
            yield from records(batch)

    def batches(self) -> Iterator[Chunk]:
        """The snapshot as one batch of rows per page of users (after one of SKUs)."""
        for page in self.pages():
            yield page if isinstance(page, Chunk) else self.chunk(page)

    def pages(self) -> Iterator[Chunk | GraphPage]:
        """A chunk of the SKUs (and the no-P1 warning), then each users page unparsed.

        Each users page is handed on as Graph sent it, for :meth:`chunk`; only its next
        link is read here (:func:`connectors.http.next_link_in`).
        """
        names = sku_names()
        self._known_skus.clear()  # a new snapshot announces its unlisted SKUs again
        with self._client() as http:
            head: list[Record] = []
            for sku in self._skus(http):
                head.append(sku_product(sku, names))
            listed = frozenset(p.external_id for p in head if isinstance(p, ProductRecord))
            first, rest, sign_in = self._first_user_page(http)
            if not sign_in:
                head.append(
                    SyncWarning(
                        "Microsoft 365: the tenant lacks Microsoft Entra ID P1/P2, so Graph "
                        "does not report sign-in activity. Accounts were synced with activity "
                        "unknown and unused seats cannot be detected for this source."
                    )
                )
            yield Chunk([], [], head)
            yield GraphPage(*first, sign_in, listed)
            for page in rest:
                yield GraphPage(*page, sign_in, listed)
            self.requests_sent = http.requests_sent

    def chunk(self, page: GraphPage) -> Chunk:
        """Parse one users page and map it to rows.

        Pages of the shape Graph documents are decoded and mapped in one fast pass
        (:mod:`connectors.microsoft365_users`); any other page goes through
        :func:`connectors.http.parse_body` and :meth:`_page_rows`.

        Raises:
            ConnectorDataError: The page is not JSON, or its next link is not the one
                the fetch found and followed.
        """
        known = self._known_skus
        if not page.listed <= known:
            known |= page.listed
        fast = users_page_rows(page.body, page.next_link, known, page.sign_in)
        if fast is not None:
            return fast
        # Not of the documented shape: the general path maps it, or names the problem.
        parsed = parse_body(page.body, page.url, "Microsoft Graph")
        if not isinstance(parsed, dict):
            raise ConnectorDataError(f"expected a JSON object page from {page.url}")
        if parsed.get(NEXT_LINK) != page.next_link:
            raise ConnectorDataError(
                f"Microsoft Graph's users page from {page.url} gives its next page in a form "
                "Seatwise does not follow safely; please report this."
            )
        return self._page_rows(parsed, known, page.sign_in)

    # ------------------------------------------------------------------ mapping

    def _page_rows(self, page: dict[str, Any], known: set[str], sign_in: bool) -> Chunk:
        """One page of users as rows (:mod:`connectors.rows`), by the mapping rules.

        Built straight from the parsed JSON, without a record per user and seat first:
        this loop runs once per user of the tenant, and the detour cost more than the rows.
        """
        users = page.get("value")
        if not isinstance(users, list):
            raise ConnectorDataError("Microsoft Graph's users page has no 'value' list")
        accounts: list[AccountRow] = []
        seats: list[SeatRow] = []
        others: list[Record] = []
        account, seat, us, get_time = accounts.append, seats.append, micros, _time
        for u in users:
            uid = u.get("id")
            if not uid:
                raise ConnectorDataError(f"Microsoft Graph sent a user without id: {u!r}")
            email = u.get("mail") or u.get("userPrincipalName")
            last: datetime | None = None
            if sign_in:
                activity = u.get("signInActivity")
                if activity:
                    for field in SIGN_IN_FIELDS:
                        value = activity.get(field)
                        if value is not None:
                            t = get_time(value, uid, field)
                            if last is None or t > last:  # type: ignore[operator]
                                last = t
            created = u.get("createdDateTime")
            # Row order: external_id, email, display_name, status, is_guest, is_admin,
            # department, created_at µs, last_active_at µs, activity_known.
            account(
                (
                    uid,
                    email.lower() if email else None,
                    u.get("displayName"),
                    "active" if u.get("accountEnabled") else "suspended",
                    u.get("userType") == "Guest",
                    False,
                    u.get("department"),
                    None if created is None else us(get_time(created, uid, "createdDateTime")),
                    None if last is None else us(last),
                    sign_in,
                )
            )
            for lic in u.get("assignedLicenses") or ():
                sku_id = lic.get("skuId")
                if not sku_id:
                    continue
                if sku_id not in known:
                    # Licence of a SKU the tenant no longer lists: keep the seat visible.
                    known.add(sku_id)
                    others.append(unlisted_sku(sku_id))
                seat((uid, sku_id, None))
        return Chunk(accounts, seats, others)
