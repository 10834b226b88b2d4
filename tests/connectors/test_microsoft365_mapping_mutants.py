"""Issue 3's mapping rules, each pinned on both paths a Graph users page can take.

Every rule is checked on the msgspec fast path (:func:`connectors.microsoft365_users.page_rows`)
and on the general path (``Microsoft365Connector._page_rows``) alike, one rule per test,
with values chosen so that a plausible slip (the wrong field first, the earliest sign-in
instead of the latest, an offset ignored, a case-insensitive comparison the rule does not
make) gives another answer. The fixtures of the other tests let such slips through: the
three sign-in times are seldom each the latest, no time there carries an offset that
changes which one is latest, and no ``userType`` is spelt otherwise than Graph spells it.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import orjson
import pytest

from connectors.base import AccountRecord, ProductRecord
from connectors.microsoft365 import NEXT_LINK, Microsoft365Connector
from connectors.microsoft365_skus import sku_names, sku_product
from connectors.microsoft365_users import page_rows
from connectors.rows import Chunk, records

Mapper = Callable[[dict[str, Any], set[str], bool], Chunk]
SIGN_IN_FIELDS = (
    "lastSignInDateTime",
    "lastNonInteractiveSignInDateTime",
    "lastSuccessfulSignInDateTime",
)


def _offline() -> Microsoft365Connector:
    return Microsoft365Connector({"tenant_id": "t", "client_id": "c", "client_secret": "s"})


def _fast(page: dict[str, Any], known: set[str], sign_in: bool) -> Chunk:
    chunk = page_rows(orjson.dumps(page), page.get(NEXT_LINK), known, sign_in)
    assert chunk is not None, "a page of the documented shape must not be declined"
    return chunk


def _general(page: dict[str, Any], known: set[str], sign_in: bool) -> Chunk:
    return _offline()._page_rows(page, known, sign_in)


PATHS: dict[str, Mapper] = {"fast": _fast, "general": _general}


@pytest.fixture(params=list(PATHS), ids=list(PATHS))
def mapped(request: pytest.FixtureRequest) -> Mapper:
    """Each path in turn."""
    return PATHS[request.param]


def _account(mapper: Mapper, user: dict[str, Any], *, sign_in: bool = True) -> AccountRecord:
    chunk = mapper({"value": [{"id": "u1", **user}]}, set(), sign_in)
    (account,) = records(Chunk(chunk.accounts, [], []))
    assert isinstance(account, AccountRecord)
    return account


# --------------------------------------------------------------------------- e-mail


@pytest.mark.parametrize(
    ("user", "email"),
    [
        ({"mail": "Ann.Lee@Acme.Test", "userPrincipalName": "ann@acme.onmicrosoft.com"},
         "ann.lee@acme.test"),
        ({"mail": None, "userPrincipalName": "Ben@Acme.Test"}, "ben@acme.test"),
        ({"userPrincipalName": "CARA@ACME.TEST"}, "cara@acme.test"),
        # an empty mail is no address: the user principal name is the e-mail
        ({"mail": "", "userPrincipalName": "Dan@Acme.Test"}, "dan@acme.test"),
        ({"mail": "ÅSA.ÖBERG@Exämple.Test", "userPrincipalName": "x@acme.test"},
         "åsa.öberg@exämple.test"),
        ({"mail": None, "userPrincipalName": None}, None),
        ({}, None),
    ],
    ids=["mail-first", "mail-null", "mail-missing", "mail-empty", "unicode", "neither", "none"],
)  # fmt: skip
def test_email_is_mail_if_set_else_user_principal_name_lower_cased(
    mapped: Mapper, user: dict[str, Any], email: str | None
) -> None:
    assert _account(mapped, user).email == email


# --------------------------------------------------------------------------- status, guest


@pytest.mark.parametrize(
    ("enabled", "status"),
    [(True, "active"), (False, "suspended"), (None, "suspended"), ("missing", "suspended")],
)
def test_status_is_active_only_when_account_enabled(
    mapped: Mapper, enabled: Any, status: str
) -> None:
    user = {} if enabled == "missing" else {"accountEnabled": enabled}
    assert _account(mapped, user).status == status


@pytest.mark.parametrize(
    ("user_type", "guest"),
    [
        ("Guest", True),
        ("Member", False),
        # the rule is userType == "Guest", exactly as Graph spells it
        ("guest", False),
        ("GUEST", False),
        ("External", False),
        ("", False),
        (None, False),
        ("missing", False),
    ],
)
def test_is_guest_is_exactly_user_type_guest(mapped: Mapper, user_type: Any, guest: bool) -> None:
    user = {} if user_type == "missing" else {"userType": user_type}
    assert _account(mapped, user).is_guest is guest


# --------------------------------------------------------------------------- last activity

OLDER, MIDDLE, LATEST = "2026-09-01T08:00:00Z", "2026-10-01T08:00:00Z", "2026-11-01T08:00:00Z"


@pytest.mark.parametrize("field", SIGN_IN_FIELDS)
def test_each_sign_in_time_alone_is_the_last_activity(mapped: Mapper, field: str) -> None:
    account = _account(mapped, {"signInActivity": {field: MIDDLE}})
    assert account.last_active_at == datetime(2026, 10, 1, 8, tzinfo=UTC)
    assert account.activity_known


@pytest.mark.parametrize("latest", SIGN_IN_FIELDS)
def test_whichever_of_the_three_sign_in_times_is_latest_is_the_last_activity(
    mapped: Mapper, latest: str
) -> None:
    # Each field in turn is the latest; the others are set, earlier, in both orders.
    others = [f for f in SIGN_IN_FIELDS if f != latest]
    for first, second in ((OLDER, MIDDLE), (MIDDLE, OLDER)):
        activity = {others[0]: first, others[1]: second, latest: LATEST}
        account = _account(mapped, {"signInActivity": activity})
        assert account.last_active_at == datetime(2026, 11, 1, 8, tzinfo=UTC), activity


def test_the_latest_sign_in_is_compared_as_instants_not_as_text(mapped: Mapper) -> None:
    # 01:00 at +02:00 is 23:00 UTC the day before: earlier than 23:30 UTC, though its
    # text sorts later and its wall-clock date is later.
    activity = {
        "lastSignInDateTime": "2026-10-02T01:00:00+02:00",
        "lastNonInteractiveSignInDateTime": "2026-10-01T22:00:00.9999999Z",
        "lastSuccessfulSignInDateTime": "2026-10-01T23:30:00+00:00",
    }
    account = _account(mapped, {"signInActivity": activity})
    assert account.last_active_at == datetime(2026, 10, 1, 23, 30, tzinfo=UTC)
    assert account.last_active_at.utcoffset() is not None


def test_a_time_with_an_offset_is_stored_as_its_utc_instant(mapped: Mapper) -> None:
    account = _account(
        mapped,
        {
            "createdDateTime": "2023-05-06T07:08:09-05:30",
            "signInActivity": {"lastSignInDateTime": "2026-11-01T00:15:00.1234567+01:00"},
        },
    )
    assert account.created_at == datetime(2023, 5, 6, 12, 38, 9, tzinfo=UTC)
    assert account.last_active_at == datetime(2026, 10, 31, 23, 15, 0, 123456, tzinfo=UTC)


@pytest.mark.parametrize(
    "activity",
    [None, {}, dict.fromkeys(SIGN_IN_FIELDS), "missing"],
    ids=["null", "empty", "all-null", "missing"],
)
def test_no_sign_in_time_is_a_null_last_activity_with_activity_known(
    mapped: Mapper, activity: Any
) -> None:
    user = {} if activity == "missing" else {"signInActivity": activity}
    account = _account(mapped, user)
    assert account.last_active_at is None and account.activity_known


def test_without_sign_in_data_activity_is_unknown_whatever_the_page_holds(mapped: Mapper) -> None:
    # A page fetched without signInActivity (no Entra ID P1) maps every user as
    # activity-unknown, even if a server sent sign-in times anyway.
    account = _account(mapped, {"signInActivity": {"lastSignInDateTime": LATEST}}, sign_in=False)
    assert account.last_active_at is None and not account.activity_known


def test_created_time_is_the_accounts_creation_not_its_activity(mapped: Mapper) -> None:
    account = _account(
        mapped,
        {
            "createdDateTime": "2020-01-02T03:04:05Z",
            "signInActivity": {"lastSignInDateTime": LATEST},
        },
    )
    assert account.created_at == datetime(2020, 1, 2, 3, 4, 5, tzinfo=UTC)
    assert account.last_active_at == datetime(2026, 11, 1, 8, tzinfo=UTC)


# --------------------------------------------------------------------------- assignments


def test_one_assignment_per_licence_and_each_unlisted_sku_announced_once(mapped: Mapper) -> None:
    page = {
        "value": [
            {"id": "u1", "assignedLicenses": [{"skuId": "e3"}, {"skuId": "gone"}]},
            {"id": "u2", "assignedLicenses": []},
            {"id": "u3", "assignedLicenses": None},
            {"id": "u4"},
            {"id": "u5", "assignedLicenses": [{"skuId": "gone", "disabledPlans": ["p"]}]},
        ]
    }
    known = {"e3"}
    chunk = mapped(page, known, True)
    assert chunk.seats == [("u1", "e3", None), ("u1", "gone", None), ("u5", "gone", None)]
    assert chunk.others == [
        ProductRecord(external_id="gone", name="Unlisted SKU gone", status="unlisted")
    ]
    assert known == {"e3", "gone"}
    assert [a[0] for a in chunk.accounts] == ["u1", "u2", "u3", "u4", "u5"]


# --------------------------------------------------------------------------- products


def test_seats_purchased_is_prepaid_enabled_only_and_consumed_is_consumed_units() -> None:
    sku = {
        "skuId": "e3-id",
        "skuPartNumber": "ENTERPRISEPACK",
        "capabilityStatus": "Enabled",
        "consumedUnits": 10,
        "prepaidUnits": {"enabled": 12, "suspended": 2, "warning": 1, "lockedOut": 3},
    }
    product = sku_product(sku, sku_names())
    assert (product.external_id, product.sku) == ("e3-id", "ENTERPRISEPACK")
    assert (product.seats_purchased, product.seats_consumed) == (12, 10)
    assert product.name == "Office 365 E3"


def test_a_sku_without_prepaid_units_has_no_purchased_figure_and_keeps_its_part_number() -> None:
    sku = {"skuId": "x-id", "skuPartNumber": "NO_SUCH_PART_NUMBER", "consumedUnits": 0}
    product = sku_product(sku, sku_names())
    assert (product.seats_purchased, product.seats_consumed) == (None, 0)
    assert product.name == product.sku == "NO_SUCH_PART_NUMBER"
