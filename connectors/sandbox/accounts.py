"""Give each person of the fake company accounts in Microsoft 365, Google and Slack.

Also counts the Microsoft 365 seats and decides how many were bought, planting the
cases licence management exists for: overuse, unassigned seats, free SKUs,
leavers still billed, never-used and long-inactive seats, the 90-day edge.
"""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

from connectors.sandbox.company_model import GoogleFacts, M365Facts, Person, SlackFacts, TenantSku
from connectors.sandbox.draw import NEVER, Drawer, sign_in_fields
from connectors.sandbox.vocabulary import M365_SKUS

_GOOGLE_HEAVY = {"Engineering", "Product", "Marketing"}
_FREE_SEATS = {"FLOW_FREE": 10_000, "POWER_BI_STANDARD": 1_000_000}


def add_accounts(d: Drawer, persons: list[Person]) -> list[TenantSku]:
    """Attach per-source facts to ``persons`` and return the tenant's SKUs."""
    for p in persons:
        base = d.profile()
        kind = p.title if p.title in ("Bot", "Contractor") else ("Guest" if p.is_guest else "")
        if kind == "Bot":
            p.slack = _slack(d, p, base, bot=True)
            continue
        if kind == "Contractor":
            if d.rng.random() < 0.7:
                p.slack = _slack(d, p, base)
            else:
                p.google = _google(d, p, base)
            continue
        if kind == "Guest":
            p.m365 = _m365(d, p, base)
            if d.rng.random() < 0.5:
                p.slack = _slack(d, p, base)
            continue
        if d.rng.random() < (0.97 if p.status == "active" else 0.9):
            p.m365 = _m365(d, p, base)  # a leaver's account is disabled, not yet deleted
        heavy = p.department in _GOOGLE_HEAVY
        if d.rng.random() < (0.6 if heavy else 0.1):
            p.google = _google(d, p, base)
        if d.rng.random() < 0.85:
            p.slack = _slack(d, p, base)
    _plant(d, persons)
    return _tenant_skus(d, persons)


def _source_profile(d: Drawer, base: int) -> int:
    """Usually reuse the person's activity profile; sometimes a source differs."""
    return base if d.rng.random() < 0.7 else d.profile()


def _last_active(d: Drawer, p: Person, base: int) -> datetime | None:
    return d.last_active(p.created_at, _source_profile(d, base), until=p.left_at)


def _m365(d: Drawer, p: Person, base: int) -> M365Facts:
    local, _, domain = p.email.partition("@")
    if p.is_guest:
        upn = f"{local}_{domain}#EXT#@{d.domain.split('.')[0]}.onmicrosoft.com"
        mail: str | None = d.cased(p.email, 0.2)
    else:
        upn = d.cased(p.email, 0.05)
        mail = d.cased(p.email, 0.15) if d.rng.random() < 0.9 else None
    facts = M365Facts(
        object_id=d.uid(),
        user_principal_name=upn,
        mail=mail,
        account_enabled=p.status == "active",
        user_type="Guest" if p.is_guest else "Member",
        skus=_m365_skus(d, p),
        created=p.created_at,
        department=p.department,
    )
    facts.last_sign_in, facts.last_non_interactive_sign_in, facts.last_successful_sign_in = (
        sign_in_fields(d.rng, _last_active(d, p, base))
    )
    return facts


def _m365_skus(d: Drawer, p: Person) -> list[str]:
    """Pick the part numbers assigned to a person, by department and role."""
    r = d.rng.random
    if p.is_guest:
        paid = ["POWER_BI_PRO" if r() < 0.6 else "SPE_E3"] if r() < 0.4 else []
        return paid + (["FLOW_FREE"] if r() < 0.2 else [])
    dept = p.department or ""
    skus: list[str] = []
    senior = (p.title or "").startswith(("Head of", "Chief"))
    if senior or dept == "IT" or (dept == "Finance" and r() < 0.2):
        skus.append("SPE_E5")
    elif r() < 0.08:
        skus += ["ENTERPRISEPACK", "EMS"]
    elif r() < 0.98:
        skus.append("SPE_E3")
        if r() < 0.02:
            skus.append("ENTERPRISEPACK")  # a redundant legacy licence left behind
    chance = {
        "POWER_BI_PRO": {"Finance": 0.7, "Sales": 0.15}.get(dept, 0.05),
        "VISIOCLIENT": {"Engineering": 0.08, "IT": 0.2, "Operations": 0.05}.get(dept, 0.0),
        "PROJECTPROFESSIONAL": {"Product": 0.25, "Operations": 0.1}.get(dept, 0.01),
        "POWER_BI_STANDARD": 0.25,
        "FLOW_FREE": 0.3,
    }
    skus += [part for part, c in chance.items() if r() < c]
    return skus


def _google(d: Drawer, p: Person, base: int) -> GoogleFacts:
    leaver = p.status == "leaver"
    archived = leaver and d.rng.random() < 0.3
    if d.rng.random() < 0.05:
        sku: str | None = None
    elif p.department in ("Engineering", "Product"):
        sku = "1010020025" if d.rng.random() < 0.2 else "1010020028"
    else:
        sku = "1010020027"
    return GoogleFacts(
        user_id=d.google_id(),
        primary_email=d.cased(p.email, 0.1),
        suspended=leaver and not archived,
        archived=archived,
        is_admin=p.department == "IT" and d.rng.random() < 0.3,
        last_login=_last_active(d, p, base),
        sku_id=sku,
        org_unit=f"/{p.department}" if p.title != "Contractor" else "/Contractors",
        created=p.created_at,
    )


def _slack(d: Drawer, p: Person, base: int, *, bot: bool = False) -> SlackFacts:
    deleted = p.status == "leaver" and d.rng.random() < 0.4
    restricted = p.is_guest and d.rng.random() < 0.7
    last = None if bot else _last_active(d, p, base)
    logins: list[datetime] = []
    if last is not None:
        logins.append(last)
        for _ in range(d.rng.randint(0, 2)):
            logins.append(d.ago(1, 60, end=last))
    return SlackFacts(
        user_id=d.slack_id(),
        username=p.email.partition("@")[0],
        email=None if bot or d.rng.random() < 0.01 else d.cased(p.email, 0.05),
        deleted=deleted,
        is_restricted=restricted,
        is_ultra_restricted=p.is_guest and not restricted,
        is_admin=p.title == "Chief Executive Officer"
        or (p.department == "IT" and d.rng.random() < 0.2),
        billing_active=not deleted and not bot,
        access_log_last=logins,
        is_bot=bot,
    )


def _licensed_members(persons: list[Person]) -> list[Person]:
    return [
        p
        for p in persons[1:]
        if p.status == "active" and p.m365 is not None and p.m365.user_type == "Member"
        if "SPE_E3" in p.m365.skus
    ]


def _plant(d: Drawer, persons: list[Person]) -> None:
    """Make sure even a small company shows every case the analytics look for."""
    members = _licensed_members(persons)
    # last sign-in exactly 90, 89 and 200 days ago; one never signed in.
    for p, days in zip(members[-4:], (90, 89, 200, None), strict=False):
        m = p.m365
        assert m is not None
        p.created_at = m.created = min(m.created, d.ref - timedelta(days=400))
        at = None
        if days is not None:
            at = datetime.combine(d.today - timedelta(days=days), time(9), UTC)
        m.last_sign_in, m.last_non_interactive_sign_in, m.last_successful_sign_in = sign_in_fields(
            d.rng, at, mode=0
        )
    # Visio is over-assigned: make sure enough people hold it to show that.
    visio = [p for p in members if p.m365 and "VISIOCLIENT" in p.m365.skus]
    for p in members[: max(0, 3 - len(visio))]:
        assert p.m365 is not None
        p.m365.skus.append("VISIOCLIENT")
    # at least two leavers, one still billed in Slack and holding an M365 licence.
    leavers = [p for p in persons if p.status == "leaver"]
    for p in members[:2] if len(leavers) < 2 else []:
        p.status, p.left_at = "leaver", d.ago(10, 60)
        assert p.m365 is not None
        p.m365.account_enabled = False
        leavers.append(p)
    first = next((p for p in leavers if p.m365 is not None), leavers[0])
    if first.slack is None:
        first.slack = _slack(d, first, NEVER)
    first.slack.deleted, first.slack.billing_active = False, True
    # a few Slack members without an e-mail address.
    humans = [p for p in persons if p.slack and not p.slack.is_bot and p.status == "active"]
    for p in humans[-2:]:
        assert p.slack is not None
        p.slack.email = None


def _tenant_skus(d: Drawer, persons: list[Person]) -> list[TenantSku]:
    consumed = {s.part_number: 0 for s in M365_SKUS}
    for p in persons:
        if p.m365 is not None:
            for part in p.m365.skus:
                consumed[part] += 1
    out: list[TenantSku] = []
    for spec in M365_SKUS:
        used = consumed[spec.part_number]
        if spec.free:
            # Microsoft grants free SKUs in blocks far above use; never "overused".
            block = _FREE_SEATS[spec.part_number]
            bought = block * (used // block + 1)
        elif spec.part_number == "VISIOCLIENT":
            bought = max(1, used - max(1, used // 10))  # overuse: more assigned than bought
        elif spec.part_number == "EMS":
            bought = used * 3 + 25  # bought far more than anyone uses
        else:
            bought = used + d.rng.randint(0, max(2, used // 20))
        out.append(
            TenantSku(
                part_number=spec.part_number,
                sku_id=spec.sku_id,
                friendly_name=spec.friendly_name,
                seats_purchased=bought,
                seats_consumed=used,
                free=spec.free,
            )
        )
    return out
