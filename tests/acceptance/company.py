"""One small hand-written company ("example.com") as each vendor reports it.

Times are relative to the moment the tests start (the product compares them with its
own clock). Tricky-but-documented cases are named in comments; the expected figures
are written out by hand in the test modules, not computed from these rules.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

NOW = datetime.now(UTC).replace(microsecond=0)


def ago(days: float) -> datetime:
    """A moment ``days`` before the test run."""
    return NOW - timedelta(days=days)


def graph_time(days: float | None) -> str | None:
    """Graph's timestamp format (``2026-11-20T08:12:03Z``), or None."""
    return None if days is None else ago(days).strftime("%Y-%m-%dT%H:%M:%SZ")


def google_time(days: float) -> str:
    """Google's timestamp format (``2026-11-20T09:14:02.000Z``)."""
    return ago(days).strftime("%Y-%m-%dT%H:%M:%S.000Z")


GOOGLE_NEVER = "1970-01-01T00:00:00.000Z"

# ---------------------------------------------------------------- Microsoft 365
E3 = "6fd2c87f-b296-42f0-b197-1e91e994b900"
PBI = "a403ebcc-fae0-4ca2-8c8c-7a907fd6c235"
VISIO = "c5928f49-12ba-48f7-ada3-0d743a3601d5"


def _sku(sku_id: str, part: str, enabled: int, consumed: int, **other: int) -> dict[str, Any]:
    return {
        "id": f"9f1e8a44-0000-4000-8000-000000000001_{sku_id}",
        "accountId": "9f1e8a44-0000-4000-8000-000000000001",
        "accountName": "Example",
        "appliesTo": "User",
        "capabilityStatus": "Enabled",
        "consumedUnits": consumed,
        "skuId": sku_id,
        "skuPartNumber": part,
        # seats_purchased is `enabled` only; suspended/warning units are not bought seats.
        "prepaidUnits": {"enabled": enabled, "suspended": 0, "warning": 0, "lockedOut": 0, **other},
        "servicePlans": [],
    }


GRAPH_SKUS = [
    # consumedUnits 10 while 9 users hold it: seats_consumed must be the vendor's figure.
    _sku(E3, "ENTERPRISEPACK", 12, 10, suspended=2, warning=1),
    _sku(PBI, "POWER_BI_STANDARD", 1000000, 2),
    _sku(VISIO, "VISIOCLIENT", 5, 0),
]


def _sign_in(last: float | None, non_interactive: float | None, success: float | None) -> Any:
    return {
        "lastSignInDateTime": graph_time(last),
        "lastSignInRequestId": None if last is None else "a1b2c3d4-0000-4000-8000-00000000000a",
        "lastNonInteractiveSignInDateTime": graph_time(non_interactive),
        "lastNonInteractiveSignInRequestId": None,
        "lastSuccessfulSignInDateTime": graph_time(success),
        "lastSuccessfulSignInRequestId": None,
    }


def _user(
    n: int,
    name: str,
    upn: str,
    mail: str | None,
    licences: list[str],
    sign_in: Any,
    *,
    enabled: bool = True,
    guest: bool = False,
    department: str | None = "Sales",
) -> dict[str, Any]:
    return {
        "id": f"6ea91a8d-e32e-41a1-b7bd-{n:012d}",
        "displayName": name,
        "userPrincipalName": upn,
        "mail": mail,
        "accountEnabled": enabled,
        "userType": "Guest" if guest else "Member",
        "department": department,
        "createdDateTime": "2023-02-01T10:00:00Z",
        "assignedLicenses": [{"disabledPlans": [], "skuId": s} for s in licences],
        "signInActivity": sign_in,
    }


def graph_users() -> list[dict[str, Any]]:
    """Thirteen users, served five to a page (three pages)."""
    users = [
        # mail in mixed case; the non-interactive sign-in is the latest of the three
        _user(1, "Ana Ruiz", "ana@example.com", "Ana@Example.com", [E3, PBI], _sign_in(3, 1, 1.1)),
        # no mail: the e-mail is the UPN, lower-cased
        _user(2, "Ben Okafor", "Ben@Example.com", None, [E3], _sign_in(40, None, None)),
        # disabled but still licensed
        _user(
            3,
            "Cara Lin",
            "cara@example.com",
            "cara@example.com",
            [E3],
            _sign_in(70, None, 70),
            enabled=False,
        ),
        # a guest whose only sign-in figure is lastSuccessfulSignInDateTime
        _user(
            4,
            "Dan Berg",
            "dan_partner.example#EXT#@example.onmicrosoft.com",
            "Dan@Partner.Example",
            [],
            _sign_in(None, None, 10),
            guest=True,
            department=None,
        ),
        # signInActivity null: never signed in (or beyond retention)
        _user(5, "Eve Stone", "eve@example.com", "eve@example.com", [E3], None),
        # lastSuccessfulSignInDateTime is the latest
        _user(6, "Finn Moss", "finn@example.com", "finn@example.com", [E3], _sign_in(5, None, 2)),
        _user(7, "Gus Patel", "gus@example.com", "gus@example.com", [PBI], _sign_in(12, None, 12)),
        # every sign-in figure null
        _user(
            8, "Hana Kim", "hana@example.com", "hana@example.com", [E3], _sign_in(None, None, None)
        ),
        _user(
            9, "Ivan Petrov", "ivan@example.com", "ivan@example.com", [E3], _sign_in(29, None, 29)
        ),
        _user(10, "Jo Park", "jo@example.com", "jo@example.com", [], _sign_in(1, None, 1)),
        # interactive 45 days ago, non-interactive 31: inactive at 30 days, active at 60
        _user(11, "Kai Wong", "kai@example.com", "kai@example.com", [E3], _sign_in(45, 31, None)),
        # interactive 35 days ago but non-interactive 20: active at 30 days
        _user(12, "Lea Fox", "lea@example.com", "lea@example.com", [E3], _sign_in(35, 20, 35)),
        _user(
            13,
            "Shared Mailbox",
            "shared@example.com",
            "shared@example.com",
            [],
            None,
            enabled=False,
            department=None,
        ),
    ]
    # a user Graph sends without any signInActivity property at all
    del users[-1]["signInActivity"]
    # Graph may send seven fractional digits
    finn = users[5]["signInActivity"]
    finn["lastSuccessfulSignInDateTime"] = finn["lastSuccessfulSignInDateTime"][:-1] + ".1234567Z"
    return users


def graph_id(n: int) -> str:
    """The Graph user id of user ``n``."""
    return f"6ea91a8d-e32e-41a1-b7bd-{n:012d}"


# ---------------------------------------------------------------- Google Workspace
STANDARD = ("Google-Apps", "1010020028", "Google Workspace Business Standard")
STARTER = ("Google-Apps", "1010020027", "Google Workspace Business Starter")
VAULT = ("Google-Vault", "Google-Vault", "Google Vault")
STORAGE = ("Google-Drive-storage", "Google-Drive-storage-20GB", "Google Drive storage 20GB")


def _guser(
    n: int,
    email: str,
    name: str,
    last_login: str,
    *,
    suspended: bool = False,
    archived: bool = False,
) -> dict[str, Any]:
    given, family = name.split(" ", 1)
    return {
        "kind": "admin#directory#user",
        "id": f"1034{n:017d}",
        "primaryEmail": email,
        "name": {"givenName": given, "familyName": family, "fullName": name},
        "isAdmin": n == 1,
        "isDelegatedAdmin": False,
        "suspended": suspended,
        "archived": archived,
        "lastLoginTime": last_login,
        "creationTime": "2022-03-01T12:00:00.000Z",
        "orgUnitPath": "/Sales",
        "customerId": "C03az79cb",
        "agreedToTerms": True,
        "isEnrolledIn2Sv": True,
    }


def google_users() -> list[dict[str, Any]]:
    """Ten directory users, served four to a page (three pages)."""
    users = [
        _guser(1, "Ana@example.com", "Ana Ruiz", google_time(2)),
        _guser(2, "ben@example.com", "Ben Okafor", google_time(100), suspended=True),
        # archived (not suspended) still counts as suspended
        _guser(3, "cara@example.com", "Cara Lin", google_time(80), archived=True),
        # the epoch means "never logged in"
        _guser(4, "eve@example.com", "Eve Stone", GOOGLE_NEVER),
        _guser(5, "finn@example.com", "Finn Moss", google_time(6)),
        _guser(6, "gus@example.com", "Gus Patel", google_time(40)),
        _guser(7, "hana@example.com", "Hana Kim", google_time(10)),
        _guser(8, "ivan@example.com", "Ivan Petrov", ""),  # lastLoginTime left out below
        _guser(9, "nora@example.com", "Nora Quinn", google_time(3)),
        _guser(
            10, "otto@example.com", "Otto Reyes", google_time(200), suspended=True, archived=True
        ),
    ]
    del users[7]["lastLoginTime"]
    return users


def google_id(n: int) -> str:
    """The directory id of user ``n``."""
    return f"1034{n:017d}"


def licence_items() -> list[dict[str, Any]]:
    """Licence assignments of every product the tenant has (storage is never asked for)."""
    held = [
        (
            STANDARD,
            [
                "ana@example.com",
                "BEN@example.com",
                "cara@example.com",
                "finn@example.com",
                "Hana@Example.com",
                "nora@example.com",
                # a licence whose user the directory does not list: counted as
                # consumed, but no account to assign it to
                "ghost@example.com",
            ],
        ),
        (STARTER, ["eve@example.com", "gus@example.com"]),
        (VAULT, ["ana@example.com", "otto@example.com"]),
        (STORAGE, ["ana@example.com"]),
    ]
    items = []
    for (product, sku, sku_name), users in held:
        for user in users:
            items.append(
                {
                    "kind": "licensing#licenseAssignment",
                    "etags": '"e1"',
                    "productId": product,
                    "productName": "Google Workspace" if product == "Google-Apps" else product,
                    "skuId": sku,
                    "skuName": sku_name,
                    "userId": user,
                    "selfLink": f"https://licensing.googleapis.com/apps/licensing/v1/product/"
                    f"{product}/sku/{sku}/user/{user}",
                }
            )
    return items


# ---------------------------------------------------------------- Slack
def _member(
    uid: str,
    name: str,
    email: str | None,
    *,
    deleted: bool = False,
    bot: bool = False,
    restricted: bool = False,
    ultra: bool = False,
    team: str = "T0ACME",
) -> dict[str, Any]:
    profile: dict[str, Any] = {"real_name": name, "display_name": name.split(" ")[0].lower()}
    if email is not None:
        profile["email"] = email
    return {
        "id": uid,
        "team_id": team,
        "name": name.split(" ")[0].lower(),
        "deleted": deleted,
        "real_name": name,
        "is_admin": False,
        "is_owner": False,
        "is_primary_owner": False,
        "is_restricted": restricted,
        "is_ultra_restricted": ultra,
        "is_bot": bot,
        "is_app_user": False,
        "updated": 1502138686,
        "has_2fa": False,
        "profile": profile,
    }


def slack_members() -> list[dict[str, Any]]:
    """Eleven members (two not people), served four to a page."""
    return [
        # Slackbot is not flagged is_bot, yet is not an account
        _member("USLACKBOT", "Slackbot", None),
        _member("U0BOT01", "Deploy Bot", None, bot=True),
        _member("U01ANA", "Ana Ruiz", "ana@example.com"),
        _member("U02BEN", "Ben Okafor", "ben@example.com", deleted=True),
        _member("U03CARA", "Cara Lin", "Cara@Example.com"),
        _member("U04DAN", "Dan Berg", "dan@partner.example", ultra=True),
        # no e-mail in the profile: a warning naming users:read.email
        _member("U05EVE", "Eve Stone", None),
        _member("U06FINN", "Finn Moss", "finn@example.com", restricted=True),
        _member("U07JO", "Jo Park", "jo@example.com"),
        _member("U08PAT", "Pat Lee", "pat@example.com"),
        _member("U09ROB", "Rob Hall", "rob@example.com"),
    ]


BILLABLE = {
    "U01ANA": True,
    "U02BEN": False,
    "U03CARA": True,
    "U04DAN": False,
    "U05EVE": True,
    "U06FINN": True,
    "U07JO": True,
    "U08PAT": True,
    "U09ROB": False,
}


def access_logs() -> list[dict[str, Any]]:
    """Login entries, newest first as Slack sends them; several per user."""
    entries = [
        ("U01ANA", 1),
        ("U02BEN", 2),
        ("U0BOT01", 1),
        ("U99GONE", 1),
        ("U05EVE", 3),
        ("U01ANA", 5),
        ("U06FINN", 20),
        ("U07JO", 31),
        ("U06FINN", 40),
        ("U03CARA", 50),
    ]
    out = []
    for uid, days in entries:
        last = int(ago(days).timestamp())
        out.append(
            {
                "user_id": uid,
                "username": uid.lower(),
                "date_first": last - 86400 * 30,
                "date_last": last,
                "count": 3,
                "ip": "127.0.0.1",
                "user_agent": "SlackWeb",
                "isp": "BigCo ISP",
                "country": "US",
                "region": "CA",
            }
        )
    return out


def slack_epoch(days: float) -> datetime:
    """The activity time Slack reports for ``days`` ago (whole seconds)."""
    return datetime.fromtimestamp(int(ago(days).timestamp()), UTC)
