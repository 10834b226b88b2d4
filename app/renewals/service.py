"""Renewal negotiation: one task per upcoming renewal, its state, and the escalation.

A task belongs to one renewal of one contract (``subscription_id``, ``renewal_date``),
so a renewal date moved by a re-import starts a fresh task. States: ``open`` →
``negotiating`` → ``decided`` with a decision ``renew`` | ``downsize`` | ``cancel``.

Escalation: when no decision is recorded ``SEATWISE_ESCALATION_DAYS`` (14) days or less
before the notice deadline (``renewal_date - notice_days``), one e-mail goes to each
address on the procurement list (dedupe key ``escalation:<vendor id>:<contract>:<renewal
date>:<recipient>``), sent once, and never once a decision is recorded. With the
procurement list empty it goes where renewal alerts then go: to the users with the
procurement role, else to the admins (``app.notify.alerts``), never to nobody.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from sqlmodel import Session, col, select

from app.auth.service import audit
from app.core.db import utcnow
from app.core.emails import checked_address
from app.core.errors import InvalidInputError, NotFoundError
from app.core.settings import Settings
from app.inventory.models import Application, Subscription, Vendor
from app.notify.alerts import (
    PlannedEmail,
    contract_owner,
    contract_ref,
    fallback_recipients,
    normalise,
    notice_deadline,
    person_has_left,
    renewal_link,
)
from app.notify.figures import ContractFigures, contract_figures, contract_figures_many
from app.notify.render import render_email
from app.renewals.models import RenewalTask
from app.renewals.tasks import OPEN, ensure_task, ensure_tasks, task_for, upcoming

NEGOTIATING, DECIDED = "negotiating", "decided"
STATES = (OPEN, NEGOTIATING, DECIDED)
DECISIONS = ("renew", "downsize", "cancel")
NEEDS_DECISION = "A decided renewal needs a decision: choose renew, downsize or cancel."


MAX_NOTES = 10_000
"""The longest renewal notes, as a contract's (each listing of renewals carries them)."""


class RenewalInputError(InvalidInputError):
    """A refused renewal change, naming the field it is about (``state``, ``decision``,
    ``owner_email`` or ``notes``) so the renewals page can show the message at that field."""

    def __init__(self, message: str, *, field: str) -> None:
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class RenewalView:
    """An upcoming renewal with its task, as the CLI and the API show it."""

    task_id: int
    subscription_id: int
    contract_number: str
    vendor: str
    application: str
    renewal_date: date
    notice_deadline: date | None
    auto_renew: bool
    days_to_deadline: int | None
    owner_email: str | None
    state: str
    decision: str | None
    recommended_seats: int | None
    """Active seats plus a buffer, capped at those bought: as of today, not as of when
    the task was opened (the page, the e-mail, the API and the CLI say the same)."""
    notes: str | None
    seats_bought: int | None = None
    seats_assigned: int = 0
    seats_active: int = 0
    annual_cost: Decimal | None = None
    cost_per_active_user: Decimal | None = None
    currency: str | None = None

    def as_dict(self) -> dict[str, object]:
        """JSON-ready form."""
        return dict(self.__dict__)


@dataclass(frozen=True)
class _Names:
    """The names of the contracts' vendors and applications, by id (two queries)."""

    vendors: dict[int, str]
    applications: dict[int, str]

    @classmethod
    def of(cls, session: Session, subscriptions: list[Subscription]) -> _Names:
        vendor_ids = {s.vendor_id for s in subscriptions}
        app_ids = {s.application_id for s in subscriptions}
        vendors = session.exec(
            select(col(Vendor.id), col(Vendor.name)).where(col(Vendor.id).in_(vendor_ids))
        ).all()
        apps = session.exec(
            select(col(Application.id), col(Application.name)).where(
                col(Application.id).in_(app_ids)
            )
        ).all()
        return cls(dict(vendors), dict(apps))  # type: ignore[arg-type]


def _view(
    session: Session,
    sub: Subscription,
    task: RenewalTask,
    as_of: date,
    figures: ContractFigures | None = None,
    names: _Names | None = None,
) -> RenewalView:
    """The renewal with its contract's figures (:func:`contract_figures`) as of ``as_of``."""
    assert task.id is not None and sub.id is not None
    if figures is None:
        figures = contract_figures(session=session, subscription=sub, as_of=as_of)
    if names is None:
        names = _Names.of(session, [sub])
    deadline = notice_deadline(sub)
    return RenewalView(
        task_id=task.id,
        subscription_id=sub.id,
        contract_number=sub.contract_number,
        vendor=names.vendors.get(sub.vendor_id, ""),
        application=names.applications.get(sub.application_id, ""),
        renewal_date=task.renewal_date,
        notice_deadline=deadline,
        auto_renew=sub.auto_renew,
        days_to_deadline=(deadline - as_of).days if deadline else None,
        owner_email=task.owner_email,
        state=task.state,
        decision=task.decision,
        recommended_seats=figures.recommended_seats,
        notes=task.notes,
        seats_bought=figures.seats_bought,
        seats_assigned=figures.seats_assigned,
        seats_active=figures.seats_active,
        annual_cost=figures.annual_cost,
        cost_per_active_user=figures.cost_per_active_user,
        currency=figures.currency,
    )


def list_renewals(
    *, session: Session, as_of: date, offset: int = 0, limit: int | None = None
) -> tuple[list[RenewalView], int]:
    """Upcoming renewals (soonest first) with their negotiation tasks and figures: the
    ``limit`` from ``offset`` (all by default), and how many there are in all.

    Figures are worked out for the rows returned only, in a few queries for them all.
    """
    tasks = ensure_tasks(session=session, as_of=as_of)
    end = None if limit is None else offset + limit
    page = tasks[offset:end]
    subs = [s for s, _ in page]
    figures = contract_figures_many(session=session, subscriptions=subs, as_of=as_of)
    names = _Names.of(session, subs)
    views = [_view(session, s, t, as_of, figures[int(s.id or 0)], names) for s, t in page]
    return views, len(tasks)


@dataclass(frozen=True)
class RenewalRow:
    """An upcoming renewal and the figures of its contract, as the renewals page shows it.

    The figures are :func:`~app.notify.figures.contract_figures` of the contract as of the
    day, the very ones its renewal e-mail shows, so page and e-mail always agree.
    """

    view: RenewalView
    figures: ContractFigures


def due_within(*, renewal_date: date, notice_deadline: date | None, as_of: date, days: int) -> bool:
    """Whether a renewal, or its notice deadline, falls within ``days`` of ``as_of``.

    One rule for the dashboard's "renewals & notice deadlines, next 90 days" and the
    renewals page it links to (``/renewals?within=90``), so the two always agree. A
    deadline already past does not count (too late to act on); its renewal still does
    once inside the window.
    """
    horizon = as_of + timedelta(days=days)
    if as_of <= renewal_date <= horizon:
        return True
    return notice_deadline is not None and as_of <= notice_deadline <= horizon


def renewal_rows(
    *, session: Session, as_of: date, within_days: int | None = None
) -> list[RenewalRow]:
    """Upcoming renewals (soonest first), each with its own contract's seats and cost;
    with ``within_days``, only those :func:`due_within` that many days."""
    due = [
        (sub, task)
        for sub, task in ensure_tasks(session=session, as_of=as_of)
        if within_days is None
        or due_within(
            renewal_date=task.renewal_date,
            notice_deadline=notice_deadline(sub),
            as_of=as_of,
            days=within_days,
        )
    ]
    subs = [s for s, _ in due]
    figures = contract_figures_many(session=session, subscriptions=subs, as_of=as_of)
    names = _Names.of(session, subs)
    rows = []
    for sub, task in due:
        one = figures[int(sub.id or 0)]
        rows.append(RenewalRow(view=_view(session, sub, task, as_of, one, names), figures=one))
    return rows


def find_contract(*, session: Session, contract_number: str, vendor: str | None) -> Subscription:
    """The contract with this number (and vendor, when numbers repeat across vendors)."""
    query = select(Subscription).where(Subscription.contract_number == contract_number)
    if vendor:
        query = query.join(Vendor, col(Vendor.id) == col(Subscription.vendor_id)).where(
            Vendor.name == vendor
        )
    matches = list(session.exec(query))
    if not matches:
        where = f" from vendor {vendor!r}" if vendor else ""
        raise NotFoundError(f"no contract {contract_number!r}{where}")
    if len(matches) > 1:
        names = sorted((session.get(Vendor, m.vendor_id) or Vendor(name="?")).name for m in matches)
        raise InvalidInputError(
            f"contract number {contract_number!r} exists for several vendors "
            f"({', '.join(names)}); name the vendor"
        )
    return matches[0]


def owner_address(text: str) -> str | None:
    """The owner to record for what a user typed: a blank clears it; any other must be an
    address (page, API and CLI alike: ``--owner ""`` clears it too)."""
    if not text.strip():
        return None
    try:
        return checked_address(text, "Owner e-mail")
    except InvalidInputError as exc:
        raise RenewalInputError(str(exc), field="owner_email") from None


def set_state(
    *,
    session: Session,
    contract_number: str,
    as_of: date,
    actor: str,
    vendor: str | None = None,
    state: str | None = None,
    decision: str | None = None,
    owner_email: str | None = None,
    notes: str | None = None,
) -> RenewalView:
    """Change the negotiation state, decision, owner or notes of a contract's renewal."""
    if state is not None and state not in STATES:
        raise RenewalInputError(
            f"unknown state {state!r}; expected one of {', '.join(STATES)}", field="state"
        )
    if decision is not None and decision not in DECISIONS:
        raise RenewalInputError(
            f"unknown decision {decision!r}; expected one of {', '.join(DECISIONS)}",
            field="decision",
        )
    if notes is not None and len(notes) > MAX_NOTES:
        raise RenewalInputError(
            f"notes are {len(notes):,} characters long; keep them to {MAX_NOTES:,} "
            "(link a document for more)",
            field="notes",
        )
    sub = find_contract(session=session, contract_number=contract_number, vendor=vendor)
    if sub.renewal_date is None:
        raise InvalidInputError(f"contract {contract_number!r} has no renewal date")
    if sub.is_trial:
        raise InvalidInputError(f"contract {contract_number!r} is a trial, not a renewal")
    task = ensure_task(session=session, subscription=sub, as_of=as_of)
    new_state = state or (DECIDED if decision else task.state)
    if new_state == DECIDED:
        new_decision = decision or task.decision
        if new_decision is None:
            raise RenewalInputError(NEEDS_DECISION, field="decision")
    elif decision is not None:
        raise RenewalInputError(
            f"A decision ({decision}) goes with the state decided, not {new_state}: "
            "set the state to decided, or choose no decision.",
            field="decision",
        )
    else:
        new_decision = None
    before = {"state": task.state, "decision": task.decision, "owner_email": task.owner_email}
    task.state, task.decision = new_state, new_decision
    if owner_email is not None:
        task.owner_email = owner_address(owner_email)
    if notes is not None:
        task.notes = notes
    task.updated_at = utcnow()
    session.add(task)
    audit(
        session=session,
        actor=actor,
        action="renewal.update",
        target=f"contract {sub.contract_number} renewal {task.renewal_date.isoformat()}",
        before=before,
        after={"state": task.state, "decision": task.decision, "owner_email": task.owner_email},
    )
    session.flush()
    return _view(session, sub, task, as_of)


def plan_escalations(*, session: Session, settings: Settings, as_of: date) -> list[PlannedEmail]:
    """Escalation e-mails due on ``as_of`` for renewals still without a decision."""
    planned: list[PlannedEmail] = []
    procurement = [e for e in (normalise(x) for x in settings.procurement_emails) if e]
    recipients = procurement or fallback_recipients(session)
    for sub in upcoming(session, as_of):
        deadline = notice_deadline(sub)
        if deadline is None or sub.renewal_date is None:
            continue
        days_left = (deadline - as_of).days
        if not 0 <= days_left <= settings.escalation_days:
            continue
        task = task_for(session, sub)
        if task is not None and task.state == DECIDED:
            continue
        owner = (task.owner_email if task else None) or contract_owner(
            session=session, subscription=sub
        )
        application = session.get(Application, sub.application_id)
        vendor = session.get(Vendor, sub.vendor_id)
        app_name = application.name if application else ""
        subject = (
            f"Decision needed: {app_name} notice deadline {deadline.isoformat()} "
            f"in {days_left} days (contract {sub.contract_number})"
        )
        context = {
            "app_name": app_name,
            "vendor_name": vendor.name if vendor else "",
            "contract_number": sub.contract_number,
            "renewal_date": sub.renewal_date,
            "notice_deadline": deadline,
            "days_left": days_left,
            "auto_renew": sub.auto_renew,
            "state": task.state if task else OPEN,
            "task_owner": owner,
            "owner_left": owner is not None and person_has_left(session=session, email=owner),
            "link": renewal_link(settings, sub),
        }
        email = render_email("escalation", subject, context)
        for recipient in recipients:
            planned.append(
                PlannedEmail(
                    kind="escalation",
                    dedupe_key=(
                        f"escalation:{contract_ref(sub)}:{sub.renewal_date.isoformat()}:{recipient}"
                    ),
                    recipient=recipient,
                    subject=email.subject,
                    text=email.text,
                    html=email.html,
                )
            )
    return planned
