"""Renewal and trial alerts due on a day: who gets which e-mail, with which dedupe key.

Planning reads the database and decides; it writes nothing, so ``--dry-run`` shows
exactly what a real run would queue.

**Countdown.** Renewal alerts count down to the *notice deadline* (``renewal_date -
notice_days``) when the contract auto-renews — the day after it, the money is spent —
and to the *renewal date* otherwise. An alert stage ``t`` (90, 60, 30, 7 by default) is
due when ``next stage < days left ≤ t`` (the last stage down to 0 days left). So it
fires on its exact day, and a run missed that day (server down, job failed) still sends
it on the next run; the dedupe key then stops it from repeating on the following days.

**Missed notice.** When an auto-renewing contract's notice deadline has passed, its
renewal date still ahead (or today) and no decision recorded on its renewal task, one
more alert goes out: "notice deadline missed: it auto-renews on <date> for <annual
cost>". It is due from the day after the deadline until the renewal, so a run missed
that day still sends it; the dedupe key (stage ``missed``) sends it once. A decision
recorded before it goes out (even ``renew``) stops it.

**Dedupe keys** carry the dates counted to: ``renewal:<vendor id>:<contract>:<renewal
date>[:notice-<deadline>]:<t>d|missed:<recipient>``. A re-import that moves the renewal date (or
the notice period) gives new keys, so the alerts re-arm for the new date.

**Recipients.** The owner and the procurement list. A renewal's owner is its negotiation
task's (set on the renewals page or with ``seatwise renewals set --owner``, as
escalations and the page use it), else the contract's, else the application's; a trial's
is the contract's, else the application's. An owner whose person record is a ``leaver``
(identity-provider account suspended or deleted) gets nothing; procurement's alert
states that the owner has left. Trial alerts (14 and 3 days before the trial ends) go to
the owner only, to procurement when there is no owner or the owner has left. An alert
nobody would get (no owner, or one who left, and an empty procurement list) goes to the
users with the procurement role, else to the admins.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlmodel import Session, col, select

from app.auth.models import User
from app.core.mail import Attachment
from app.core.security import Role
from app.core.settings import Settings
from app.inventory.models import Application, Subscription, Vendor
from app.notify.figures import contract_figures
from app.notify.render import RenderedEmail, render_email
from app.notify.renewal_content import (
    contract_findings,
    decision_of,
    notice_missed,
    renewal_wording,
)
from app.people.models import Person, PersonAlias
from app.renewals.models import RenewalTask

LEAVER = "leaver"


@dataclass
class PlannedEmail:
    """One e-mail to queue: the outbox row to create unless its dedupe key exists."""

    kind: str
    dedupe_key: str
    recipient: str
    subject: str
    text: str
    html: str
    attachments: list[Attachment] = field(default_factory=list)


def to_each(
    recipients: Iterable[str],
    *,
    kind: str,
    key: str,
    email: RenderedEmail,
    attachments: list[Attachment] | None = None,
) -> list[PlannedEmail]:
    """One planned e-mail per recipient, deduplicated by ``key:<recipient>``."""
    return [
        PlannedEmail(
            kind=kind,
            dedupe_key=f"{key}:{recipient}",
            recipient=recipient,
            subject=email.subject,
            text=email.text,
            html=email.html,
            attachments=list(attachments or []),
        )
        for recipient in recipients
    ]


@dataclass(frozen=True)
class Recipients:
    """Who receives a contract's alert and whether its owner has left."""

    emails: list[str]
    owner_email: str | None
    owner_left: bool


def due_stage(days_left: int, stages: list[int]) -> int | None:
    """The alert stage due with ``days_left`` to go (see the module rules), or None."""
    ordered = sorted(set(stages), reverse=True)
    for index, stage in enumerate(ordered):
        floor = ordered[index + 1] if index + 1 < len(ordered) else -1
        if floor < days_left <= stage:
            return stage
    return None


def notice_deadline(subscription: Subscription) -> date | None:
    """The last day to give notice: the renewal date minus the notice period."""
    if subscription.renewal_date is None:
        return None
    return subscription.renewal_date - timedelta(days=subscription.notice_days or 0)


def countdown_target(subscription: Subscription) -> date | None:
    """The day renewal alerts count down to: notice deadline if auto-renewing, else renewal."""
    if subscription.auto_renew:
        return notice_deadline(subscription)
    return subscription.renewal_date


def normalise(email: str | None) -> str | None:
    """Lower-cased, stripped e-mail; None when blank."""
    cleaned = (email or "").strip().lower()
    return cleaned or None


def person_has_left(*, session: Session, email: str) -> bool:
    """Whether the person with this e-mail (or alias) is a leaver."""
    person = session.exec(select(Person).where(Person.email == email)).first()
    if person is None:
        alias = session.exec(select(PersonAlias).where(PersonAlias.email == email)).first()
        person = session.get(Person, alias.person_id) if alias is not None else None
    return person is not None and person.status == LEAVER


def contract_owner(*, session: Session, subscription: Subscription) -> str | None:
    """The contract's owner, else its application's owner."""
    owner = normalise(subscription.owner_email)
    if owner is None:
        application = session.get(Application, subscription.application_id)
        owner = normalise(application.owner_email if application else None)
    return owner


def resolve_recipients(
    *,
    session: Session,
    settings: Settings,
    subscription: Subscription,
    to_procurement: bool,
    owner: str | None = None,
) -> Recipients:
    """Owner (unless they left) plus, when asked or needed, the procurement list.

    ``owner`` is who owns this alert's matter when that is not simply the contract's owner
    (a renewal's task owner); without it, the contract's owner, else its application's.
    """
    owner = normalise(owner) or contract_owner(session=session, subscription=subscription)
    left = owner is not None and person_has_left(session=session, email=owner)
    procurement = [e for e in (normalise(x) for x in settings.procurement_emails) if e]
    emails: list[str] = []
    if owner is not None and not left:
        emails.append(owner)
    if to_procurement or not emails:
        emails.extend(procurement)
    if not emails:
        emails.extend(fallback_recipients(session))
    unique = list(dict.fromkeys(emails))
    return Recipients(emails=unique, owner_email=owner, owner_left=left)


def role_recipients(*, session: Session, roles: tuple[Role, ...], extra: list[str]) -> list[str]:
    """Active users with any of ``roles`` plus extra addresses, normalised, once each."""
    users = session.exec(
        select(User.email)
        .where(col(User.role).in_([r.value for r in roles]), col(User.is_active).is_(True))
        .order_by(col(User.email))
    )
    emails = [normalise(e) for e in [*users, *extra]]
    return list(dict.fromkeys(e for e in emails if e))


def fallback_recipients(session: Session) -> list[str]:
    """Who gets an alert nobody else would: the users with the procurement role, else the
    admins (an owner who left and no ``SEATWISE_PROCUREMENT_EMAILS`` would otherwise let a
    notice deadline pass in silence)."""
    return role_recipients(session=session, roles=(Role.procurement,), extra=[]) or (
        role_recipients(session=session, roles=(Role.admin,), extra=[])
    )


def local_time(value: datetime | None, settings: Settings) -> str | None:
    """``2026-12-04 08:15 CET``: a time as e-mails show it (``SEATWISE_TIMEZONE``)."""
    return value.astimezone(settings.tz).strftime("%Y-%m-%d %H:%M %Z") if value else None


def contract_ref(subscription: Subscription) -> str:
    """``<vendor id>:<contract number>``: contract numbers are unique per vendor only."""
    return f"{subscription.vendor_id}:{subscription.contract_number}"


def renewal_link(settings: Settings, subscription: Subscription) -> str:
    """The contract's renewal page."""
    return f"{settings.base_url.rstrip('/')}/renewals/{subscription.id}"


def _names(session: Session, subscription: Subscription) -> tuple[str, str]:
    application = session.get(Application, subscription.application_id)
    vendor = session.get(Vendor, subscription.vendor_id)
    return (
        application.name if application else f"application {subscription.application_id}",
        vendor.name if vendor else f"vendor {subscription.vendor_id}",
    )


def _contracts(session: Session, *, trials: bool) -> list[Subscription]:
    query = select(Subscription).where(col(Subscription.is_trial).is_(trials))
    return list(session.exec(query.order_by(col(Subscription.id))))


def renewal_task(*, session: Session, subscription: Subscription) -> RenewalTask | None:
    """The negotiation task of the contract's current renewal, if one was opened."""
    return session.exec(
        select(RenewalTask).where(
            RenewalTask.subscription_id == subscription.id,
            RenewalTask.renewal_date == subscription.renewal_date,
        )
    ).first()


def plan_renewal_alerts(*, session: Session, settings: Settings, as_of: date) -> list[PlannedEmail]:
    """Renewal alerts due on ``as_of`` (one e-mail per recipient)."""
    planned: list[PlannedEmail] = []
    for sub in _contracts(session, trials=False):
        target = countdown_target(sub)
        if sub.renewal_date is None or target is None:
            continue
        days_left = (target - as_of).days
        stage = due_stage(days_left, settings.renewal_alert_days)
        missed = stage is None and notice_missed(subscription=sub, as_of=as_of)
        if stage is None and not missed:
            continue
        task = renewal_task(session=session, subscription=sub)
        if missed and decision_of(task) is not None:
            continue  # decided in time or not: nothing left to remind of
        recipients = resolve_recipients(
            session=session,
            settings=settings,
            subscription=sub,
            to_procurement=True,
            owner=task.owner_email if task is not None else None,
        )
        app_name, vendor_name = _names(session, sub)
        figures = contract_figures(session=session, subscription=sub, as_of=as_of)
        wording = renewal_wording(
            subscription=sub,
            app_name=app_name,
            task=task,
            days_left=days_left,
            deadline=notice_deadline(sub),
            missed=missed,
            annual_cost=figures.annual_cost,
        )
        subject = wording.subject
        if recipients.owner_left:
            subject += " — owner has left"
        context = {
            "headline": wording.headline,
            "decision": wording.decision,
            "app_name": app_name,
            "vendor_name": vendor_name,
            "contract_number": sub.contract_number,
            "renewal_date": sub.renewal_date,
            "notice_deadline": notice_deadline(sub),
            "notice_days": sub.notice_days,
            "auto_renew": sub.auto_renew,
            "owner_email": recipients.owner_email,
            "owner_left": recipients.owner_left,
            "f": figures,
            "synced": local_time(figures.sync.synced_at if figures.sync else None, settings),
            "link": renewal_link(settings, sub),
        }
        context["findings_about"], context["findings"] = contract_findings(
            session=session, settings=settings, subscription=sub, as_of=as_of
        )
        email = render_email("renewal", subject, context)
        dates = sub.renewal_date.isoformat()
        if sub.auto_renew:
            dates += f":notice-{target.isoformat()}"
        step = "missed" if missed else f"{stage}d"
        key = f"renewal:{contract_ref(sub)}:{dates}:{step}"
        planned += to_each(recipients.emails, kind="renewal", key=key, email=email)
    return planned


def trial_end(subscription: Subscription) -> date | None:
    """The day a trial ends: its end date, else its renewal date."""
    return subscription.end_date or subscription.renewal_date


def contract_link(settings: Settings, subscription: Subscription) -> str:
    """The contract's own page (a trial's alert links here: the renewals page lists no
    trials)."""
    return f"{settings.base_url.rstrip('/')}/contracts/{subscription.id}"


def plan_trial_alerts(*, session: Session, settings: Settings, as_of: date) -> list[PlannedEmail]:
    """Trial-ending alerts due on ``as_of``: to the owner, else procurement."""
    planned: list[PlannedEmail] = []
    for sub in _contracts(session, trials=True):
        end = trial_end(sub)
        if end is None:
            continue
        days_left = (end - as_of).days
        stage = due_stage(days_left, settings.trial_alert_days)
        if stage is None:
            continue
        recipients = resolve_recipients(
            session=session, settings=settings, subscription=sub, to_procurement=False
        )
        app_name, vendor_name = _names(session, sub)
        subject = f"Trial ends in {days_left} days: {app_name} on {end.isoformat()}"
        if recipients.owner_left:
            subject += " — owner has left"
        context = {
            "app_name": app_name,
            "vendor_name": vendor_name,
            "contract_number": sub.contract_number,
            "trial_end": end,
            "days_left": days_left,
            "auto_renew": sub.auto_renew,
            "owner_email": recipients.owner_email,
            "owner_left": recipients.owner_left,
            "f": contract_figures(session=session, subscription=sub, as_of=as_of),
            "link": contract_link(settings, sub),
        }
        email = render_email("trial", subject, context)
        key = f"trial:{contract_ref(sub)}:{end.isoformat()}:{stage}d"
        planned += to_each(recipients.emails, kind="trial", key=key, email=email)
    return planned
