"""Apply the usage days staged during a run (vendors' per-day activity reports).

Usage is applied once, after the accounts of the run are settled, so each day links to
a current account (and its person) of this connector; a day reported again replaces
the stored activity only when it changed.
"""

# SQL here interpolates only module-constant table and column names; values are bound.
# ruff: noqa: S608

from __future__ import annotations

from app.sync.staging import USAGE, USES, Staging


def apply_usage(s: Staging, *, connector_id: int) -> dict[str, int]:
    """Upsert the staged usage days of one connector; return ``{"usage_days": n}``."""
    if not s.count(f"SELECT COUNT(*) FROM {USAGE}"):
        return {"usage_days": 0}
    s.dedupe(USAGE, "account_external_id || '|' || product_external_id || '|' || day")
    s.run(
        f"INSERT INTO {USES} (account_id, person_id, product_id, day, activity) "
        f"SELECT a.id, a.person_id, p.id, u.day, u.activity FROM {USAGE} u "
        "JOIN account a ON a.connector_id = :c AND a.external_id = u.account_external_id "
        "AND a.removed_at IS NULL LEFT JOIN product p ON p.connector_id = :c "
        "AND p.external_id = u.product_external_id "
        "WHERE u.product_external_id = '' OR p.id IS NOT NULL",
        c=connector_id,
    )
    join = (
        f"usage_daily.account_id = {USES}.account_id AND usage_daily.day = {USES}.day "
        f"AND usage_daily.product_id {s.same} {USES}.product_id"
    )
    activity = s.json.format(f"{USES}.activity")
    s.run(
        f"UPDATE usage_daily SET activity = {activity}, person_id = {USES}.person_id "
        f"FROM {USES} WHERE {join} AND (usage_daily.activity {s.ne} {activity} "
        f"OR usage_daily.person_id {s.ne} {USES}.person_id)"
    )
    s.run(
        "INSERT INTO usage_daily (account_id, person_id, product_id, day, activity) "
        f"SELECT account_id, person_id, product_id, day, {s.json.format('activity')} "
        f"FROM {USES} WHERE NOT EXISTS (SELECT 1 FROM usage_daily WHERE {join})"
    )
    return {"usage_days": s.count(f"SELECT COUNT(*) FROM {USES}")}
