"""The seeded fake company: deterministic, and planted with every case the analytics need."""

from __future__ import annotations

from datetime import date, timedelta

from connectors.sandbox.company import Company, generate_company

TODAY = date(2026, 11, 25)


def company(size: int = 60, seed: int = 11) -> Company:
    return generate_company(seed=seed, size=size, today=TODAY)


def test_same_seed_size_and_day_give_the_same_company() -> None:
    assert company() == company()
    assert company(seed=12) != company()


def test_people_have_departments_cost_centres_and_managers() -> None:
    c = company(size=200)
    staff = [p for p in c.persons if p.title not in ("Guest", "Contractor", "Bot")]
    assert len(staff) == 200
    ids = {p.id for p in c.persons}
    assert all(p.department and p.cost_centre for p in staff)
    assert all(p.manager_id in ids for p in staff[1:])
    assert len({p.email for p in c.persons}) == len(c.persons)
    assert all(p.email == p.email.lower() for p in c.persons)


def test_small_company_still_plants_every_licence_case() -> None:
    c = company(size=30)
    m365 = [p for p in c.persons if p.m365]
    sign_ins = {
        (TODAY - max(t for t in (m.last_sign_in, m.last_non_interactive_sign_in) if t).date()).days
        for m in (p.m365 for p in m365)
        if m and (m.last_sign_in or m.last_non_interactive_sign_in)
    }
    assert 90 in sign_ins and 89 in sign_ins and any(d > 90 for d in sign_ins)
    never = [
        p
        for p in m365
        if p.m365
        and p.m365.skus
        and not (p.m365.last_sign_in or p.m365.last_non_interactive_sign_in)
        and p.created_at.date() < TODAY - timedelta(days=30)
    ]
    assert never
    visio, ems = c.sku("VISIOCLIENT"), c.sku("EMS")
    assert visio.seats_consumed > visio.seats_purchased
    assert ems.seats_purchased > 3 * ems.seats_consumed
    assert any(p.is_guest and p.m365 and p.m365.skus for p in company(size=200).persons)


def test_leaver_is_disabled_in_microsoft_but_still_billed_in_slack() -> None:
    c = company(size=30)
    assert any(
        p.status == "leaver"
        and p.m365
        and not p.m365.account_enabled
        and p.slack
        and p.slack.billing_active
        and not p.slack.deleted
        for p in c.persons
    )


def test_sources_differ_in_casing_and_membership() -> None:
    c = company(size=300)
    assert any(p.google and p.google.primary_email != p.email for p in c.persons)
    assert any(p.slack and not p.slack.is_bot and p.slack.email is None for p in c.persons)
    assert any(p.slack and p.slack.is_bot for p in c.persons)
    assert any(p.slack and not p.m365 and not p.google for p in c.persons)
    assert any(p.google and not p.m365 and not p.slack for p in c.persons)


def test_summary_names_the_company_and_counts() -> None:
    text = company().summary()
    assert company().name in text
    assert "leavers" in text and "SPE_E3" in text
