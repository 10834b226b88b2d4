"""Differential test: generated Graph users pages through both mapping paths and the rules.

A seeded generator (``random.Random``, so every run sees the same pages) writes users
pages with the mixes a real tenant has: null, missing and empty fields, guests, disabled
accounts, unicode names, mail null or set in upper case, empty or null licence lists,
unlisted SKUs, extra members Seatwise does not read, and times in the valid forms Graph
and Graph-compatible servers write (``Z``, ``+00:00``, other offsets, no zone, none to
seven fractional digits). Each page is encoded in several JSON spellings (escaped or raw
unicode, spaced or compact) and mapped by the msgspec fast path and by the general path;
both must give the same rows, and the rows must be those issue 3's rules give, computed
here from the generated values rather than by parsing the page again.
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import orjson
import pytest

from connectors.base import ProductRecord
from connectors.microsoft365 import NEXT_LINK, GraphPage, Microsoft365Connector
from connectors.microsoft365_users import page_rows, unlisted_sku
from connectors.rows import EPOCH, MICROSECOND, Chunk

SEEDS = range(12)
PAGES_PER_SEED = 12
SIGN_IN_FIELDS = (
    "lastSignInDateTime",
    "lastNonInteractiveSignInDateTime",
    "lastSuccessfulSignInDateTime",
)
LISTED = ("sku-e3", "sku-e5", "sku-pbi")
UNLISTED = ("sku-gone-1", "sku-gone-2")
NAMES = (
    "Ann Lee", "Zoë Ågren", "José Núñez", "李雷", "Øystein Ødegård", "Ann \"Quotes\" O'Neil",
    "Back\\slash", "Emoji 🎉 Team", "Ṫëśṫ Üşër", "", "Line\nBreak", "İstanbul Desk",
)  # fmt: skip
LOCALS = ("ann", "Ann.Lee", "ZOË", "josé.núñez", "OYSTEIN", "x_y", "Guest_Ext#EXT#", "İPEK")
DOMAINS = ("Acme.Test", "acme.test", "EXAMPLE.COM", "Exämple.Test", "acme.onmicrosoft.com")
MISSING: Any = object()


def _put(user: dict[str, Any], key: str, value: Any) -> None:
    if value is not MISSING:
        user[key] = value


@dataclass
class Expected:
    """What the rules say one page maps to (rows as :mod:`connectors.rows` carries them)."""

    accounts: list[tuple[Any, ...]] = field(default_factory=list)
    seats: list[tuple[str, str, int | None]] = field(default_factory=list)
    unlisted: list[str] = field(default_factory=list)


class Tenant:
    """A seeded generator of users pages, and the rows the rules give for them."""

    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        self.serial = 0
        self.known: set[str] = set(LISTED)  # SKU ids announced so far, as the mapper keeps them

    # ---------------------------------------------------------------- times

    def _instant(self) -> datetime:
        """A UTC instant with microseconds, between 2019 and 2027."""
        start = datetime(2019, 1, 1, tzinfo=UTC)
        return start + timedelta(microseconds=self.rng.randrange(8 * 365 * 86_400 * 10**6))

    def time(self) -> tuple[str, int]:
        """A time in one of the valid written forms, and its instant in µs since the epoch.

        The instant is what the text means (truncated to the digits written); a form
        without a zone means UTC, as Graph documents all its times to be.
        """
        rng, instant = self.rng, self._instant()
        digits = rng.choice((0, 0, 1, 3, 6, 7, 7))
        offset = rng.choice(
            (timedelta(0), timedelta(0), timedelta(hours=2), timedelta(hours=-5, minutes=-30),
             timedelta(hours=14), timedelta(hours=-12), timedelta(minutes=45))
        )  # fmt: skip
        local = instant.astimezone(timezone(offset))
        text = local.strftime("%Y-%m-%dT%H:%M:%S")
        micro = instant.microsecond
        if digits:
            fraction = f"{micro:06d}{rng.randrange(10)}"[:digits]  # a 7th digit is sub-µs
            text += "." + fraction
            kept = int(fraction[:6].ljust(6, "0"))
        else:
            kept = 0
        meant = instant.replace(microsecond=kept)
        if offset == timedelta(0):
            text += rng.choice(("Z", "Z", "+00:00", ""))
        else:
            sign = "+" if offset > timedelta(0) else "-"
            minutes = abs(int(offset.total_seconds())) // 60
            text += f"{sign}{minutes // 60:02d}:{minutes % 60:02d}"
        return text, (meant - EPOCH) // MICROSECOND

    def _maybe(self, value: Any, *, null: float = 0.15, missing: float = 0.15) -> Any:
        roll = self.rng.random()
        if roll < null:
            return None
        if roll < null + missing:
            return MISSING
        return value

    # ---------------------------------------------------------------- users

    def _address(self) -> str:
        return f"{self.rng.choice(LOCALS)}{self.serial}@{self.rng.choice(DOMAINS)}"

    def user(self, sign_in: bool, expected: Expected) -> dict[str, Any]:
        rng = self.rng
        self.serial += 1
        uid = f"{rng.getrandbits(32):08x}-{self.serial:04x}-4a1b-8c2d-{rng.getrandbits(48):012x}"
        user: dict[str, Any] = {"id": uid}
        name = self._maybe(rng.choice(NAMES))
        upn = self._maybe(self._address(), null=0.05, missing=0.05)
        mail = rng.choice((self._address(), self._address().upper(), None, MISSING, ""))
        enabled = rng.choice((True, True, True, False, None, MISSING))
        user_type = rng.choice(("Member", "Member", "Guest", "Guest", None, MISSING, "guest"))
        department = self._maybe(rng.choice(("Sales", "R&D", "Ventas y Márketing", "")))
        created, created_us = self.time() if rng.random() < 0.8 else (MISSING, None)
        if created is MISSING and rng.random() < 0.5:
            created = None
        for key, value in (
            ("displayName", name), ("userPrincipalName", upn), ("mail", mail),
            ("accountEnabled", enabled), ("userType", user_type), ("department", department),
            ("createdDateTime", created),
        ):  # fmt: skip
            _put(user, key, value)

        # signInActivity: missing, null, empty, or a mix of times, nulls and missing fields
        latest: int | None = None
        shape = rng.random()
        if shape < 0.1:
            pass
        elif shape < 0.2:
            user["signInActivity"] = None
        elif shape < 0.25:
            user["signInActivity"] = {}
        else:
            activity: dict[str, Any] = {}
            for f in SIGN_IN_FIELDS:
                roll = rng.random()
                if roll < 0.55:
                    text, us = self.time()
                    activity[f] = text
                    latest = us if latest is None else max(latest, us)
                elif roll < 0.8:
                    activity[f] = None
                _put(activity, f.replace("DateTime", "RequestId"), self._maybe(f"r{rng.random()}"))
            user["signInActivity"] = activity
        if not sign_in:
            latest = None

        # assignedLicenses: missing, null, empty, or entries of listed and unlisted SKUs
        skus: list[str] = []
        shape = rng.random()
        if shape < 0.1:
            pass
        elif shape < 0.2:
            user["assignedLicenses"] = None
        elif shape < 0.35:
            user["assignedLicenses"] = []
        else:
            pool = LISTED + UNLISTED
            skus = rng.sample(pool, rng.randint(1, 3))
            user["assignedLicenses"] = [
                {"disabledPlans": [f"plan-{rng.randrange(9)}"] * rng.randrange(2), "skuId": s}
                for s in skus
            ]
        if rng.random() < 0.2:  # members Seatwise does not read
            user["jobTitle"] = rng.choice(NAMES)
            user["onPremisesExtensionAttributes"] = {"extensionAttribute1": None, "n": [1, {}]}

        email = mail if mail not in (None, MISSING, "") else upn
        expected.accounts.append(
            (
                uid,
                None if email in (None, MISSING) else email.lower(),
                None if name is MISSING else name,
                "active" if enabled is True else "suspended",
                user_type == "Guest",
                False,
                None if department is MISSING else department,
                created_us,
                latest,
                sign_in,
            )
        )
        for sku in skus:
            expected.seats.append((uid, sku, None))
            if sku not in self.known:
                self.known.add(sku)
                expected.unlisted.append(sku)
        return user

    def page(self, sign_in: bool, last: bool) -> tuple[dict[str, Any], Expected]:
        expected = Expected()
        size = self.rng.choice((0, 1, 2, 5, 17, 40))
        page: dict[str, Any] = {"@odata.context": "https://graph.test/v1.0/$metadata#users"}
        page["value"] = [self.user(sign_in, expected) for _ in range(size)]
        if not last:
            page[NEXT_LINK] = f"https://graph.test/v1.0/users?$skiptoken={self.rng.getrandbits(64)}"
        return page, expected

    def spelling(self, page: dict[str, Any]) -> bytes:
        """The page as JSON in one of the spellings a server may use."""
        how = self.rng.randrange(4)
        if how == 0:
            return orjson.dumps(page)
        if how == 1:
            return json.dumps(page, ensure_ascii=True).encode()  # "\u00e9", "\ud83c\udf89"
        if how == 2:
            return json.dumps(page, ensure_ascii=False, indent=2).encode()
        items = list(page.items())
        self.rng.shuffle(items)  # the next link before "value", say
        return json.dumps(dict(items), separators=(",", ":"), ensure_ascii=False).encode()


def _offline() -> Microsoft365Connector:
    return Microsoft365Connector({"tenant_id": "t", "client_id": "c", "client_secret": "s"})


@pytest.mark.parametrize("seed", SEEDS)
def test_generated_pages_map_alike_on_both_paths_and_by_the_rules(seed: int) -> None:
    tenant = Tenant(seed)
    known_fast, known_general = set(LISTED), set(LISTED)
    sign_in = tenant.rng.random() < 0.7  # one tenant: with or without Entra ID P1
    users = 0
    for n in range(PAGES_PER_SEED):
        page, expected = tenant.page(sign_in, last=n == PAGES_PER_SEED - 1)
        body = tenant.spelling(page)
        fast = page_rows(body, page.get(NEXT_LINK), known_fast, sign_in)
        assert fast is not None, f"seed {seed} page {n}: a documented page was declined"
        general = _offline()._page_rows(orjson.loads(body), known_general, sign_in)
        rules = Chunk(
            expected.accounts, expected.seats, [unlisted_sku(s) for s in expected.unlisted]
        )
        for i, (a, b, want) in enumerate(
            zip(fast.accounts, general.accounts, expected.accounts, strict=True)
        ):
            assert a == b == want, f"seed {seed} page {n} user {i}: {page['value'][i]!r}"
        assert fast == general == rules, f"seed {seed} page {n}"
        assert known_fast == known_general == tenant.known
        users += len(page["value"])
    assert users > 0


def test_the_generator_plants_every_case_it_promises() -> None:
    """Guard against a generator that drifts into never producing a tricky case."""
    seen: dict[str, int] = dict.fromkeys(
        ("guest", "disabled", "mail-null", "mail-upper", "mail-empty", "no-licences",
         "unlisted", "seven-digits", "offset", "no-zone", "sign-in-missing", "non-ascii"),
        0,
    )  # fmt: skip
    for seed in SEEDS:
        tenant = Tenant(seed)
        for n in range(PAGES_PER_SEED):
            page, _ = tenant.page(True, last=n == PAGES_PER_SEED - 1)
            for u in page["value"]:
                seen["guest"] += u.get("userType") == "Guest"
                seen["disabled"] += u.get("accountEnabled") is False
                seen["mail-null"] += u.get("mail", MISSING) is None
                seen["mail-upper"] += bool(u.get("mail")) and u["mail"] != u["mail"].lower()
                seen["mail-empty"] += u.get("mail") == ""
                seen["no-licences"] += not u.get("assignedLicenses")
                seen["unlisted"] += any(
                    lic["skuId"] in UNLISTED for lic in u.get("assignedLicenses") or ()
                )
                times = [u.get("createdDateTime")] + [
                    v for k, v in (u.get("signInActivity") or {}).items() if k.endswith("Time")
                ]
                times = [t for t in times if t]
                seen["seven-digits"] += any("." in t and len(t.split(".")[1]) >= 7 for t in times)
                seen["offset"] += any(t[-6] in "+-" and not t.endswith("+00:00") for t in times)
                seen["no-zone"] += any(t[-1].isdigit() and t[-6] not in "+-" for t in times)
                seen["sign-in-missing"] += "signInActivity" not in u
                seen["non-ascii"] += any(isinstance(v, str) and not v.isascii() for v in u.values())
    assert all(seen.values()), seen


def test_generated_pages_through_the_connector_keep_every_user() -> None:
    """The pages as the sync hands them on (:class:`GraphPage`), mapped by ``chunk``."""
    tenant = Tenant(99)
    connector = _offline()
    accounts, seats, products = 0, 0, []
    want_accounts = want_seats = 0
    for n in range(PAGES_PER_SEED):
        page, expected = tenant.page(True, last=n == PAGES_PER_SEED - 1)
        graph_page = GraphPage(
            tenant.spelling(page), "https://graph.test/v1.0/users", page.get(NEXT_LINK), True,
            frozenset(LISTED),
        )  # fmt: skip
        chunk = connector.chunk(graph_page)
        assert chunk.accounts == expected.accounts and chunk.seats == expected.seats
        accounts, seats = accounts + len(chunk.accounts), seats + len(chunk.seats)
        want_accounts += len(expected.accounts)
        want_seats += len(expected.seats)
        products += [p.external_id for p in chunk.others if isinstance(p, ProductRecord)]
    assert (accounts, seats) == (want_accounts, want_seats)
    assert sorted(products) == sorted(set(products)) == sorted(set(products) & set(UNLISTED))
