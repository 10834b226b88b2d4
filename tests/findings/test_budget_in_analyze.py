"""`analyze` raises budget overruns with the other findings; a missing FX rate only warns."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from sqlmodel import Session, select

from app.core.settings import Settings
from app.findings.models import Finding
from app.findings.service import analyze
from app.inventory.models import Application, Subscription, Vendor
from app.spend.models import Budget, FxRate

TODAY = date(2026, 11, 25)


def _contract(session: Session, currency: str = "EUR") -> None:
    vendor = Vendor(name="Acme")
    session.add(vendor)
    session.flush()
    application = Application(name="Acme CRM", vendor_id=vendor.id)
    session.add(application)
    session.flush()
    assert vendor.id is not None and application.id is not None
    session.add(
        Subscription(
            vendor_id=vendor.id,
            application_id=application.id,
            contract_number="AC-1",
            start_date=date(2026, 1, 1),
            end_date=date(2026, 12, 31),
            billing_cycle="annual",
            seats=10,
            total_cost=Decimal("12000"),
            currency=currency,
            cost_centre="CC-SALES",
        )
    )
    session.flush()


def _settings() -> Settings:
    return Settings(secret_key="k" * 40, environment="test", _env_file=None)  # type: ignore[call-arg]


def test_budget_overrun_found_by_analyze(session: Session) -> None:
    _contract(session)
    session.add(Budget(cost_centre="CC-SALES", year=2026, amount=Decimal("1000"), currency="EUR"))
    session.flush()
    summary = analyze(session=session, settings=_settings(), today=TODAY)
    assert summary.counts.get("budget_overrun") == 1
    keys = [f.key for f in session.exec(select(Finding).where(Finding.kind == "budget_overrun"))]
    assert keys == ["budget_overrun:cost_centre:CC-SALES:2026"]
    assert summary.warnings == []


def test_missing_fx_rate_for_budget_is_a_warning_not_a_failure(session: Session) -> None:
    _contract(session, currency="USD")
    session.add(Budget(cost_centre="CC-SALES", year=2026, amount=Decimal("1000"), currency="EUR"))
    session.flush()
    summary = analyze(session=session, settings=_settings(), today=TODAY)
    assert "budget_overrun" not in summary.counts
    assert summary.warnings and "USD" in summary.warnings[0]


def test_a_budget_check_that_cannot_run_leaves_budget_findings_as_they_were(
    session: Session,
) -> None:
    _contract(session, currency="USD")
    rate = FxRate(base="USD", quote="EUR", day=date(2026, 1, 1), rate=Decimal("0.9"))
    session.add(rate)
    session.add(Budget(cost_centre="CC-SALES", year=2026, amount=Decimal("1000"), currency="EUR"))
    session.flush()
    assert analyze(session=session, settings=_settings(), today=TODAY).counts["budget_overrun"] == 1
    session.delete(rate)  # the one rate the check needs is gone
    session.flush()
    summary = analyze(session=session, settings=_settings(), today=TODAY)
    assert summary.warnings and summary.resolved == 0
    [finding] = session.exec(select(Finding).where(Finding.kind == "budget_overrun")).all()
    session.refresh(finding)
    assert finding.status == "open"
