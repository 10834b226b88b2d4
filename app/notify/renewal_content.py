"""What a renewal alert says: its subject and headline by stage and decision, and the
findings it summarises.

**Decision.** The renewal's negotiation task (``app.renewals``) is stated in every alert:
its state while undecided, else its decision. ``cancel`` and ``downsize`` keep the
countdown in the subject and add "decided: cancel, give notice by <deadline>"; a decided
``renew`` drops the countdown from the subject ("Renewal decided (renew)") but still
names the notice deadline, in the subject and the body: the reminders go on, since a
decision can be changed until that day.

**Missed notice.** Once an auto-renewal's notice deadline has passed undecided, one
alert says so: "Notice deadline missed: <app> auto-renews on <date> for <annual cost>".

**Findings.** The open findings about the contract's product (its application's when it
names no product), summarised (``app.notify.finding_summary``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from sqlmodel import Session, col

from app.core.settings import Settings
from app.findings.models import Finding
from app.inventory.models import Application, Product, Subscription
from app.notify.finding_summary import Converter, FindingsSummary, summarise
from app.notify.render import money
from app.renewals.models import RenewalTask

DECIDED = "decided"
"""The task state that carries a decision (``app.renewals.service.DECIDED``)."""

RENEWAL_EXAMPLES = 5
"""How many findings a renewal alert shows as examples; the rest are counted by kind and
linked (the findings page filtered to the contract's product)."""


def contract_findings(
    *, session: Session, settings: Settings, subscription: Subscription, as_of: date
) -> tuple[str, FindingsSummary]:
    """The open findings about the contract's product (its application's, when it names
    no product), summarised in the reporting currency; and what they are about.

    The contract's own findings (renewal due, notice deadline, duplicate) are about its
    product too. Findings on the application's other products are not the contract's
    business: its renewal decides nothing about them.
    """
    open_ = col(Finding.status) == "open"
    scope: dict[str, str | int]
    if subscription.product_id is not None:
        product = session.get(Product, subscription.product_id)
        about = product.name if product else f"product {subscription.product_id}"
        conditions = [open_, col(Finding.product_id) == subscription.product_id]
        scope = {"product": subscription.product_id}
    else:
        application = session.get(Application, subscription.application_id)
        name = application.name if application else f"application {subscription.application_id}"
        about = f"{name} (all its products)"
        conditions = [open_, col(Finding.application_id) == subscription.application_id]
        scope = {"application": subscription.application_id}
    converter = Converter(session=session, currency=settings.reporting_currency, day=as_of)
    summary = summarise(
        session=session,
        converter=converter,
        conditions=conditions,
        base_url=settings.base_url,
        scope=scope,
        examples=RENEWAL_EXAMPLES,
    )
    return about, summary


@dataclass(frozen=True)
class RenewalWording:
    """What a renewal alert says first: its subject, headline and decision line."""

    subject: str
    headline: str
    decision: str


def decision_of(task: RenewalTask | None) -> str | None:
    """The decision recorded on a renewal task (None while undecided)."""
    return task.decision if task is not None and task.state == DECIDED else None


def notice_missed(*, subscription: Subscription, as_of: date) -> bool:
    """Whether an auto-renewal's notice deadline has passed before ``as_of`` while its
    renewal is still to come (that day included)."""
    sub = subscription
    if not sub.auto_renew or sub.renewal_date is None:
        return False
    deadline = sub.renewal_date - timedelta(days=sub.notice_days or 0)
    return deadline < as_of <= sub.renewal_date


def renewal_wording(
    *,
    subscription: Subscription,
    app_name: str,
    task: RenewalTask | None,
    days_left: int,
    deadline: date | None,
    missed: bool = False,
    annual_cost: Decimal | None = None,
) -> RenewalWording:
    """Subject, headline and decision line of a renewal alert (see the module rules);
    with ``missed``, the missed-notice alert's, naming the ``annual_cost``."""
    sub = subscription
    assert sub.renewal_date is not None
    renews = sub.renewal_date.isoformat()
    give_by = (deadline or sub.renewal_date).isoformat()
    contract = f"(contract {sub.contract_number})"
    decided = decision_of(task)
    if missed:
        known = annual_cost is not None
        cost = f"{money(annual_cost, sub.currency)} a year" if known else "an unknown amount"
        return RenewalWording(
            f"Notice deadline missed: {app_name} auto-renews on {renews} for {cost} {contract}",
            f"The notice deadline ({give_by}) has passed with no decision recorded: "
            f"{app_name} auto-renews on {renews} for {cost}. Ask the vendor whether a late "
            "cancellation or a smaller renewal is still possible, and record the decision.",
            f"Negotiation: {task.state if task is not None else 'open'}; no decision recorded yet.",
        )
    if decided is None:
        state = task.state if task is not None else "open"
        decision = f"Negotiation: {state}; no decision recorded yet."
    elif decided == "renew":
        step = "no notice to give" if sub.auto_renew else f"renew by {renews}"
        decision = f"Decision recorded: renew — {step} (notice deadline {give_by})."
    else:
        decision = f"Decision recorded: {decided} — give notice by {give_by}."
    if sub.auto_renew:
        headline = (
            f"{app_name} renews automatically on {renews}; "
            f"notice must be given by {give_by}, in {days_left} day(s)."
        )
        subject = f"Notice deadline in {days_left} days: {app_name} auto-renews {renews} {contract}"
        if decided == "renew":  # nothing to send the vendor: no countdown, the date stays
            subject = (
                f"Renewal decided (renew): {app_name} auto-renews {renews}, "
                f"notice deadline {give_by} {contract}"
            )
    else:
        headline = f"{app_name} is up for renewal on {renews}, in {days_left} day(s)."
        subject = f"Renewal in {days_left} days: {app_name} on {renews} {contract}"
        if decided == "renew":
            subject = f"Renewal decided (renew): {app_name} on {renews} {contract}"
    if decided in ("cancel", "downsize"):
        subject += f" — decided: {decided}, give notice by {give_by}"
    return RenewalWording(subject, headline, decision)
