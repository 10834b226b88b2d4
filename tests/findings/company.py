"""A small company with one planted case of every finding kind, and what must be found."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal

from sqlmodel import Session

from tests.findings.factories import (
    TODAY,
    create_account,
    create_application,
    create_assignment,
    create_connector,
    create_product,
    create_subscription,
    days_ago,
    in_days,
)

E3_SKU = "6fd2c87f-b296-42f0-b197-1e91e994b900"  # Office 365 E3, list price 26 USD
TEAMS_FREE_SKU = "710779e8-3d4a-4c88-adb9-386c958d1fdf"  # Teams Exploratory: free


@dataclass
class Planted:
    """Expected findings: key -> (subject, monthly_savings as text or None)."""

    expected: dict[str, tuple[str, str | None]] = field(default_factory=dict)
    ids: dict[str, int] = field(default_factory=dict)


def build_company(session: Session) -> Planted:
    """Create the inventory; every planted case appears once in ``expected``."""
    p = Planted()
    idp = create_connector(
        session, kind="microsoft365", name="m365", config={"identity_provider": True}
    )
    slack_conn = create_connector(session, kind="slack", name="slack", config={})
    other_conn = create_connector(session, kind="spreadsheet", name="sheet", config={})

    m365 = create_application(session, name="Microsoft 365", catalog_key="microsoft-365")
    gws = create_application(session, name="Google Workspace", catalog_key="google-workspace")
    slack = create_application(session, name="Slack", catalog_key="slack")
    teams = create_application(session, name="Microsoft Teams", catalog_key="microsoft-teams")
    crm = create_application(session, name="Acme CRM")
    bi = create_application(session, name="Acme BI")
    p.ids.update(m365=m365.id or 0, slack=slack.id or 0, gws=gws.id or 0, crm=crm.id or 0)

    # Microsoft 365 E3, priced by contract: 250 per seat per year -> 20.8333 a month.
    e3 = create_product(
        session,
        application_id=m365.id,
        connector_id=idp.id,
        external_id=E3_SKU,
        sku="ENTERPRISEPACK",
        name="Office 365 E3",
        seats_purchased=5,
    )
    create_subscription(
        session,
        application_id=m365.id,
        product_id=e3.id,
        contract_number="MS-E3",
        unit_price=Decimal("250"),
        currency="EUR",
        seats=5,
    )
    teams_free = create_product(
        session,
        application_id=teams.id,
        connector_id=idp.id,
        external_id=TEAMS_FREE_SKU,
        sku="TEAMS_EXPLORATORY",
        name="Teams Exploratory",
    )
    # Slack Business+, priced monthly by total: 300 for 20 seats -> 15.00.
    slack_plan = create_product(
        session,
        application_id=slack.id,
        connector_id=slack_conn.id,
        external_id="business_plus",
        name="Slack Business+",
        seats_purchased=3,
    )
    create_subscription(
        session,
        application_id=slack.id,
        product_id=slack_plan.id,
        contract_number="SL-1",
        billing_cycle="monthly",
        unit_price=None,
        total_cost=Decimal("300"),
        seats=20,
        currency="USD",
    )
    gws_plan = create_product(
        session,
        application_id=gws.id,
        connector_id=other_conn.id,
        external_id="Google-Apps/1010020028",
        name="Business Standard",
        list_price=Decimal("14"),
        list_price_currency="USD",
    )
    p.ids["e3"] = e3.id or 0

    def idp_user(email: str, **kw: object) -> object:
        return create_account(session, connector_id=idp.id, email=email, person=True, **kw)

    # unused_seat: 120 days inactive on E3.
    alice = idp_user("alice@example.com", last_active_at=days_ago(120))
    create_assignment(session, alice, e3)
    p.expected[f"unused_seat:{alice.id}:{e3.id}"] = ("alice@example.com", "20.83")
    # free SKU held by the same idle account: never flagged.
    create_assignment(session, alice, teams_free)
    # never_used_seat: created 60 days ago, never active.
    bob = idp_user("bob@example.com", vendor_created_at=days_ago(60), last_active_at=None)
    create_assignment(session, bob, e3)
    p.expected[f"never_used_seat:{bob.id}:{e3.id}"] = ("bob@example.com", "20.83")
    # leaver_seat: Carol's identity-provider account is suspended; Slack still bills her.
    carol = idp_user("carol@example.com", status="suspended")
    carol_slack = create_account(
        session, connector_id=slack_conn.id, email="carol@example.com", person_id=carol.person_id
    )
    create_assignment(session, carol_slack, slack_plan)
    p.expected[f"leaver_seat:{carol_slack.id}:{slack_plan.id}"] = ("carol@example.com", "15.00")
    # guest_paid_seat: a Slack guest holding a paid seat.
    guest = create_account(
        session, connector_id=slack_conn.id, email="ext@partner.example", is_guest=True
    )
    create_assignment(session, guest, slack_plan)
    p.expected[f"guest_paid_seat:{guest.id}:{slack_plan.id}"] = ("ext@partner.example", "15.00")
    # overlap: Dave uses the M365 suite and a paid Slack seat; suite_overlap: and Google.
    dave = idp_user("dave@example.com")
    create_assignment(session, dave, e3)
    dave_slack = create_account(
        session, connector_id=slack_conn.id, email="dave@example.com", person_id=dave.person_id
    )
    create_assignment(session, dave_slack, slack_plan)
    dave_gws = create_account(
        session, connector_id=other_conn.id, email="dave@example.com", person_id=dave.person_id
    )
    create_assignment(session, dave_gws, gws_plan)
    p.expected[f"overlap:{slack.id}"] = ("Slack", "15.00")
    low, high = sorted((m365.id or 0, gws.id or 0))
    names = {m365.id: "Microsoft 365", gws.id: "Google Workspace"}
    p.expected[f"suite_overlap:{low}:{high}"] = (f"{names[low]} / {names[high]}", None)
    # unassigned_seats on E3: 5 bought, 3 held (alice, bob, dave) -> 2 x 20.8333 = 41.67.
    p.expected[f"unassigned_seats:{e3.id}"] = ("Office 365 E3", "41.67")

    # overuse: Acme CRM, 1 seat bought, 2 held by active users.
    crm_plan = create_product(
        session,
        application_id=crm.id,
        connector_id=other_conn.id,
        name="CRM Pro",
        external_id="crm-pro",
        seats_purchased=1,
        list_price=Decimal("10"),
        list_price_currency="USD",
    )
    for who in ("erin", "frank"):
        acc = create_account(session, connector_id=other_conn.id, email=f"{who}@example.com")
        create_assignment(session, acc, crm_plan)
    p.expected[f"overuse:{crm_plan.id}"] = ("CRM Pro", "0.00")
    # unassigned_seats from the contract's seat count (the vendor gives none): 5 bought, 2 used.
    bi_plan = create_product(
        session, application_id=bi.id, connector_id=other_conn.id, name="BI Seat", external_id="bi"
    )
    create_subscription(
        session,
        application_id=bi.id,
        product_id=bi_plan.id,
        contract_number="BI-1",
        unit_price=Decimal("120"),
        seats=5,
    )
    for who in ("gina", "hank"):
        acc = create_account(session, connector_id=other_conn.id, email=f"{who}@example.com")
        create_assignment(session, acc, bi_plan)
    p.expected[f"unassigned_seats:{bi_plan.id}"] = ("BI Seat", "30.00")
    # Removed accounts and assignments never count.
    gone = create_account(
        session, connector_id=other_conn.id, email="gone@example.com", removed_at=days_ago(5)
    )
    create_assignment(session, gone, crm_plan)
    old = create_account(session, connector_id=other_conn.id, last_active_at=days_ago(300))
    create_assignment(session, old, crm_plan, removed_at=days_ago(3))

    # Contract findings.
    renewal = create_subscription(session, contract_number="R-1", renewal_date=in_days(30))
    p.expected[f"renewal_due:{renewal.id}:{in_days(30)}"] = ("R-1", None)
    notice = create_subscription(
        session,
        contract_number="N-1",
        renewal_date=in_days(150),
        auto_renew=True,
        notice_days=120,
    )
    p.expected[f"notice_deadline:{notice.id}:{in_days(150)}"] = ("N-1", None)
    missed = create_subscription(
        session,
        contract_number="M-1",
        renewal_date=in_days(100),
        auto_renew=True,
        notice_days=120,
    )
    p.expected[f"notice_missed:{missed.id}:{in_days(100)}"] = ("M-1", None)
    trial = create_subscription(
        session,
        contract_number="T-1",
        is_trial=True,
        end_date=in_days(7),
        renewal_date=None,
    )
    p.expected[f"trial_ending:{trial.id}:{in_days(7)}"] = ("T-1", None)
    first = create_subscription(
        session,
        application_id=crm.id,
        product_id=crm_plan.id,
        contract_number="CRM-A",
        start_date=TODAY - timedelta(days=300),
    )
    second = create_subscription(
        session, application_id=crm.id, product_id=crm_plan.id, contract_number="CRM-B"
    )
    p.expected[f"duplicate_subscription:{first.id}:{second.id}"] = ("CRM-B", None)
    return p
