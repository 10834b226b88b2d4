"""The seat table: every current assignment joined with its account, person and price.

Built once per analysis (one vectorised pass over the assignments) and shared by the
seat, overuse and overlap rules. Assignments of removed accounts or of unknown
accounts/products are left out.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from analytics.frames import Frames, day_numbers
from analytics.model import Finding, Severity, new_finding
from analytics.pricing import ProductPrice, price_products

LEAVER_STATUSES = ("suspended", "deleted")


BoolArray = npt.NDArray[np.bool_]
FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]


@dataclass(frozen=True)
class AccountColumns:
    """Per-account text and timestamps, looked up by ``SeatTable.account_pos``."""

    email: npt.NDArray[np.object_]
    status: npt.NDArray[np.object_]
    idp_status: npt.NDArray[np.object_]
    last_active_at: npt.NDArray[np.datetime64]  # naive UTC, seconds; NaT when null


@dataclass(frozen=True)
class SeatTable:
    """Seats (one entry per current assignment, as parallel arrays) plus product prices.

    Day columns count days since 1970-01-01 (UTC calendar day), NaN when null;
    ``person_id`` is -1 for accounts not linked to a person. A price is ``paid`` unless
    known to be 0.
    """

    account_id: IntArray
    product_id: IntArray
    application_id: IntArray
    person_id: IntArray
    account_pos: IntArray
    is_active: BoolArray
    is_guest: BoolArray
    account_left: BoolArray
    idp_left: BoolArray
    activity_known: BoolArray
    last_active_day: FloatArray
    created_day: FloatArray
    first_seen_day: FloatArray
    paid: BoolArray
    accounts: AccountColumns
    prices: dict[int, ProductPrice]
    product_evidence: dict[int, dict[str, Any]]

    def __len__(self) -> int:
        return len(self.account_id)

    def evidence_templates(self, *fields: str) -> dict[int, dict[str, Any]]:
        """Return per product a seat-evidence dict to copy: e-mail, product facts, ``fields``.

        Copying a ready dict and setting a few keys is much cheaper than building a
        dozen-key dict per finding, which matters with hundreds of thousands of seats.
        """
        return {
            pid: {"email": None, **facts, **dict.fromkeys(fields)}
            for pid, facts in self.product_evidence.items()
        }

    def leaver_mask(self) -> BoolArray:
        """Return seats held by a suspended/deleted account or a person who left the IdP."""
        return self.account_left | self.idp_left

    def emails(self, mask: BoolArray) -> list[Any]:
        """Return the account e-mail of each selected seat."""
        return list(self.accounts.email[self.account_pos[mask]].tolist())

    def statuses(self, mask: BoolArray) -> list[Any]:
        """Return the account status of each selected seat."""
        return list(self.accounts.status[self.account_pos[mask]].tolist())

    def idp_statuses(self, mask: BoolArray) -> list[Any]:
        """Return the identity-provider status of each selected seat's person."""
        return list(self.accounts.idp_status[self.account_pos[mask]].tolist())

    def last_active_iso(self, mask: BoolArray) -> list[str]:
        """Return ``last_active_at`` of each selected seat as ISO 8601 UTC text."""
        stamps = self.accounts.last_active_at[self.account_pos[mask]]
        return list(np.datetime_as_string(stamps, unit="s", timezone="UTC").tolist())


def build_seat_table(frames: Frames, today: date) -> SeatTable:
    """Join assignments with accounts, persons and product prices.

    Args:
        frames: The validated frames.
        today: The day contracts are chosen on.

    Returns:
        The seat table.
    """
    prices = price_products(frames.products, frames.subscriptions, today)
    accounts = frames.accounts[~frames.accounts["removed"].to_numpy(dtype=bool)]
    assignments = frames.assignments
    products = frames.products
    acc_pos = pd.Index(accounts["account_id"]).get_indexer(assignments["account_id"])
    prod_pos = pd.Index(products["product_id"]).get_indexer(assignments["product_id"])
    keep = np.flatnonzero((acc_pos >= 0) & (prod_pos >= 0))
    # One seat per (account, product), even if the assignments frame repeats a pair.
    pair = acc_pos[keep].astype(np.int64) * (len(products) + 1) + prod_pos[keep]
    order = np.argsort(pair, kind="stable")
    first = np.ones(len(order), dtype=bool)
    first[1:] = pair[order][1:] != pair[order][:-1]
    keep = np.sort(keep[order[first]])
    acc_pos = acc_pos[keep].astype(np.int64)
    prod_pos = prod_pos[keep].astype(np.int64)

    # Per-account columns first (a few hundred thousand), then spread to seats.
    account_person = accounts["person_id"].to_numpy(dtype=np.float64, na_value=np.nan)
    account_person = np.nan_to_num(account_person, nan=-1).astype(np.int64)
    persons = frames.persons
    person_pos = pd.Index(persons["person_id"]).get_indexer(account_person)
    idp_by_person = np.concatenate(
        [persons["idp_status"].to_numpy(dtype=object), np.array([None], dtype=object)]
    )
    account_idp = idp_by_person[np.where(person_pos >= 0, person_pos, len(persons))]
    status = accounts["status"].to_numpy(dtype=object)
    last_active = accounts["last_active_at"].dt.tz_convert("UTC").dt.tz_localize(None)
    product_ids = products["product_id"].to_numpy(dtype=np.int64)
    paid_by_product = np.array([prices[int(p)].paid for p in product_ids], dtype=bool)

    return SeatTable(
        account_id=accounts["account_id"].to_numpy(dtype=np.int64)[acc_pos],
        product_id=product_ids[prod_pos],
        application_id=products["application_id"].to_numpy(dtype=np.int64)[prod_pos],
        person_id=account_person[acc_pos],
        account_pos=acc_pos,
        is_active=(status == "active")[acc_pos],
        is_guest=accounts["is_guest"].to_numpy(dtype=bool)[acc_pos],
        account_left=np.isin(status, LEAVER_STATUSES)[acc_pos],
        idp_left=np.isin(account_idp.astype(str), LEAVER_STATUSES)[acc_pos],
        activity_known=accounts["activity_known"].to_numpy(dtype=bool)[acc_pos],
        last_active_day=day_numbers(accounts["last_active_at"])[acc_pos],
        created_day=day_numbers(accounts["created_at"])[acc_pos],
        first_seen_day=day_numbers(accounts["first_seen_at"])[acc_pos],
        paid=paid_by_product[prod_pos],
        accounts=AccountColumns(
            email=accounts["email"].to_numpy(dtype=object),
            status=status,
            idp_status=account_idp,
            last_active_at=last_active.to_numpy(dtype="datetime64[s]"),
        ),
        prices=prices,
        product_evidence=_product_evidence(frames, prices),
    )


def _product_evidence(frames: Frames, prices: dict[int, ProductPrice]) -> dict[int, dict[str, Any]]:
    """Return, per product, the evidence every seat finding on it repeats."""
    apps = frames.applications
    app_names = dict(zip(apps["application_id"].tolist(), apps["name"].tolist(), strict=True))
    products = frames.products
    out: dict[int, dict[str, Any]] = {}
    for pid, app_id, name, sku in zip(
        products["product_id"].tolist(),
        products["application_id"].tolist(),
        products["name"].tolist(),
        products["sku"].tolist(),
        strict=True,
    ):
        out[pid] = {
            "product": name,
            "sku": sku,
            "application": app_names.get(app_id),
            **prices[pid].evidence(),
        }
    return out


def build_seat_findings(
    table: SeatTable,
    mask: npt.NDArray[np.bool_],
    *,
    kind: str,
    severity: Severity | Sequence[Severity],
    evidence: Sequence[dict[str, Any]],
) -> list[Finding]:
    """Build one finding per selected seat, saving one monthly seat each.

    Args:
        table: The seat table.
        mask: Which seats get a finding.
        kind: The finding kind (also the key prefix).
        severity: One severity for all, or one per selected seat.
        evidence: One evidence dict per selected seat, in seat order.

    Returns:
        Findings keyed ``<kind>:<account_id>:<product_id>``, subject the account e-mail.
    """
    accounts = table.account_id[mask].tolist()
    products = table.product_id[mask].tolist()
    apps = table.application_id[mask].tolist()
    emails = table.emails(mask)
    severities = [severity] * len(accounts) if isinstance(severity, str) else severity
    savings = {pid: (p.savings(1), p.currency) for pid, p in table.prices.items()}
    findings: list[Finding] = []
    append = findings.append
    with gc_paused():
        for account_id, product_id, app_id, email, sev, facts in zip(
            accounts, products, apps, emails, severities, evidence, strict=True
        ):
            amount, currency = savings[product_id]
            append(
                new_finding(
                    f"{kind}:{account_id}:{product_id}",
                    kind,
                    sev,
                    app_id,
                    product_id,
                    "" if email is None else str(email),
                    facts,
                    amount,
                    currency,
                    account_id,
                )
            )
    return findings


@contextmanager
def gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector while building many acyclic objects.

    Hundreds of thousands of fresh dicts or tuples trigger repeated full collections that
    find nothing to free (findings, sync rows and key indexes hold no cycles); the
    collector is restored afterwards, and collects what other threads left meanwhile.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
