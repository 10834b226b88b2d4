"""Who holds which capability through which application: the index the overlap rules use.

Seats (of accounts linked to a person) are exploded into one row per capability of
their product; rows are grouped by (person, capability), and every group that holds
two or more applications yields ordered application pairs ``(a, b)``. All of it is
numpy over integer codes, so a million seats cost about a second, not a cross join.
"""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from analytics.frames import Frames, capability_set
from analytics.intsets import count_distinct, unique_sorted
from analytics.pricing import round_cents
from analytics.seats import SeatTable

IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]

_MAX_LISTED = 100


class CapabilityIndex:
    """Capability rows of every seat and the application pairs they make per person.

    Attributes:
        pairs: Ordered pairs within (person, capability) groups: columns ``key``
            (person x n_caps + cap), ``cap``, ``a``, ``b`` (dense application codes,
            a != b), ``a_suite``, ``b_suite``.
        app_ids: Dense application code -> application id.
        app_dense: Application id -> dense code.
    """

    def __init__(self, frames: Frames, table: SeatTable, flagged: BoolArray) -> None:
        self.table = table
        self.flagged = flagged
        self.paid = table.paid
        self.person = table.person_id
        apps = frames.applications
        self.app_ids: list[int] = [int(a) for a in apps["application_id"].tolist()]
        self.app_dense: dict[int, int] = {a: i for i, a in enumerate(self.app_ids)}
        self._names: dict[int, str] = {
            a: str(n) for a, n in zip(self.app_ids, apps["name"].tolist(), strict=True)
        }
        self.is_suite = apps["is_suite"].to_numpy(dtype=bool)
        app_caps = [capability_set(c) for c in apps["capabilities"].tolist()]

        products = frames.products
        product_caps: list[frozenset[str]] = []
        for app_id, own in zip(
            products["application_id"].tolist(),
            products["catalog_capabilities"].tolist(),
            strict=True,
        ):
            caps = capability_set(own)
            dense = self.app_dense.get(int(app_id))
            if not caps and dense is not None:
                caps = app_caps[dense]
            product_caps.append(caps)
        self.cap_list: list[str] = sorted(set().union(*product_caps)) if product_caps else []
        self.n_caps = max(len(self.cap_list), 1)
        cap_code = {c: i for i, c in enumerate(self.cap_list)}
        self._product_caps = {
            int(p): caps
            for p, caps in zip(products["product_id"].tolist(), product_caps, strict=True)
        }
        self._product_app = {
            int(p): int(a)
            for p, a in zip(
                products["product_id"].tolist(), products["application_id"].tolist(), strict=True
            )
        }

        n_per_product = np.array([len(c) for c in product_caps], dtype=np.int64)
        offsets = np.concatenate([[0], np.cumsum(n_per_product)]).astype(np.int64)
        flat = np.array(
            [cap_code[c] for caps in product_caps for c in sorted(caps)], dtype=np.int64
        )
        seat_product = pd.Index(products["product_id"]).get_indexer(pd.Index(table.product_id))
        self._seat_product = seat_product
        self._product_ids = products["product_id"].to_numpy(dtype=np.int64)
        seat_app = (
            pd.Index(self.app_ids).get_indexer(pd.Index(table.application_id)).astype(np.int64)
        )
        self.seat_app = seat_app
        sel = np.flatnonzero(
            (self.person >= 0) & (seat_app >= 0) & (n_per_product[seat_product] > 0)
        )
        counts = n_per_product[seat_product[sel]]
        ex_seat = np.repeat(sel, counts)
        within = np.arange(len(ex_seat)) - np.repeat(np.cumsum(counts) - counts, counts)
        ex_cap = flat[np.repeat(offsets[seat_product[sel]], counts) + within]
        self.n_apps = max(len(self.app_ids), 1)
        self.ex_seat = ex_seat
        self.ex_code = (self.person[ex_seat] * self.n_caps + ex_cap) * self.n_apps + seat_app[
            ex_seat
        ]
        # Sort the capability rows once: each distinct (person, capability, app) "triple"
        # is a run in ``_order``; pairs refer to triples, seats are found through runs.
        self._order = np.argsort(self.ex_code, kind="stable")
        ordered = self.ex_code[self._order]
        first = np.ones(len(ordered), dtype=bool)
        first[1:] = ordered[1:] != ordered[:-1]
        self._run_start = np.flatnonzero(first)
        self._run_length = np.diff(np.append(self._run_start, len(ordered)))
        self.pairs = self._pairs(ordered[self._run_start])
        self._people_base = int(self.person.max(initial=0)) + 1
        self._people = unique_sorted(seat_app[sel] * self._people_base + self.person[sel])
        self._people_counts: dict[int, int] = {}
        self._used_products = unique_sorted(table.product_id[sel]).tolist()

    def _pairs(self, triples: IntArray) -> pd.DataFrame:
        """Return ordered app pairs sharing a (person, capability) group."""
        key = triples // self.n_apps
        app = triples % self.n_apps
        change = np.concatenate([[True], key[1:] != key[:-1]])
        group = np.cumsum(change) - 1
        starts = np.flatnonzero(change)
        sizes = np.diff(np.append(starts, len(key)))
        size = sizes[group]
        elem = np.flatnonzero(size >= 2)
        k = size[elem]
        rep = np.repeat(elem, k)
        within = np.arange(len(rep)) - np.repeat(np.cumsum(k) - k, k)
        partner = starts[group[rep]] + within
        keep = partner != rep
        rep, partner = rep[keep], partner[keep]
        a, b = app[rep], app[partner]
        return pd.DataFrame(
            {
                "t": rep,
                "key": key[rep],
                "cap": key[rep] % self.n_caps,
                "a": a,
                "b": b,
                "a_suite": self.is_suite[a],
                "b_suite": self.is_suite[b],
            }
        )

    def seats_of(self, triples: IntArray) -> tuple[IntArray, IntArray]:
        """Return (input position, seat) for every seat behind each triple index."""
        counts = self._run_length[triples]
        position = np.repeat(np.arange(len(triples)), counts)
        within = np.arange(len(position)) - np.repeat(np.cumsum(counts) - counts, counts)
        rows = self._order[np.repeat(self._run_start[triples], counts) + within]
        return position, self.ex_seat[rows]

    def suite_overlaps(self) -> list[tuple[tuple[int, int], set[str]]]:
        """Return pairs of suites in use (ids ascending) whose seats share capabilities."""
        caps: dict[int, set[str]] = {}
        for pid in self._used_products:
            app = self._product_app[int(pid)]
            dense = self.app_dense.get(app)
            if dense is not None and self.is_suite[dense]:
                caps.setdefault(app, set()).update(self._product_caps[int(pid)])
        suites = sorted(caps)
        return [
            ((a, b), caps[a] & caps[b])
            for i, a in enumerate(suites)
            for b in suites[i + 1 :]
            if caps[a] & caps[b]
        ]

    def people_count(self, app_ids: list[int]) -> int:
        """Return how many distinct people hold a seat of any of the applications."""
        if len(app_ids) == 1:
            cached = self._people_counts.get(app_ids[0])
            if cached is None:
                cached = self._people_counts[app_ids[0]] = self._count_people(app_ids)
            return cached
        return self._count_people(app_ids)

    def _count_people(self, app_ids: list[int]) -> int:
        slices = []
        for app_id in app_ids:
            dense = self.app_dense[app_id]
            lo, hi = np.searchsorted(
                self._people, [dense * self._people_base, (dense + 1) * self._people_base]
            )
            slices.append(self._people[lo:hi] % self._people_base)
        if len(slices) == 1:
            return len(slices[0])
        return count_distinct(np.concatenate(slices)) if slices else 0

    def app_name(self, app_id: int) -> str:
        """Return an application's name."""
        return self._names.get(app_id, str(app_id))

    def app_summary(self, app_id: int) -> dict[str, Any]:
        """Return id, name and people count of an application, for evidence."""
        return {
            "application_id": app_id,
            "name": self.app_name(app_id),
            "people": self.people_count([app_id]),
        }

    def cap_names(self, codes: list[Any]) -> list[str]:
        """Return capability names of capability codes, sorted."""
        return sorted({self.cap_list[int(c)] for c in codes})

    def emails(self, seats: IntArray) -> tuple[list[str], bool]:
        """Return e-mails of up to 100 of the seats' accounts, and whether the list is cut."""
        positions = unique_sorted(self.table.account_pos[seats])
        listed = self.table.accounts.email[positions[:_MAX_LISTED]].tolist()
        return sorted({str(e) for e in listed}), len(positions) > _MAX_LISTED

    def savings(self, seats: IntArray) -> tuple[Decimal | None, str | None, list[Any]]:
        """Return the rounded monthly cost of seats, its currency and a per-product list."""
        tally = np.bincount(self._seat_product[seats], minlength=len(self._product_ids))
        present = np.flatnonzero(tally)
        products, counts = self._product_ids[present], tally[present]
        total = Fraction(0)
        currencies: set[str | None] = set()
        unknown = False
        breakdown: list[Any] = []
        for pid, n in zip(products.tolist(), counts.tolist(), strict=True):
            price = self.table.prices[pid]
            breakdown.append({**self.table.product_evidence[pid], "seats": n})
            amount = price.amount(n)
            if amount is None:
                unknown = True
                continue
            total += amount
            currencies.add(price.currency)
        if unknown or len(currencies) > 1:
            return None, None, breakdown
        currency = next(iter(currencies)) if currencies else None
        return round_cents(total), currency, breakdown
