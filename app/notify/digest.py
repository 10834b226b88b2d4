"""The weekly findings digest and the monthly spend report e-mail.

* **Digest** — open findings first seen since the last digest (the newest ``digest``
  outbox row; the week before ``now`` when there is none), to every active admin and
  asset manager plus ``SEATWISE_DIGEST_EMAILS``. Once per ISO week and recipient (dedupe
  key ``digest:<year>-W<week>:<recipient>``); no new findings, no e-mail. Summarised,
  never listed in full (``app.notify.finding_summary``): counts and savings by kind and
  by application, each linked to the findings page filtered to it (which lists every
  open finding of that filter, new or not), and the largest ten. Savings are in the
  reporting currency (``SEATWISE_REPORTING_CURRENCY``), converted at the stored rates of
  the day and sorted by that, each item also in its own currency.
* **Spend report** — the previous calendar month's spend by application, vendor and
  department as XLSX (``app.spend.export.xlsx_bytes``), to every active finance user
  plus ``SEATWISE_FINANCE_EMAILS``; dedupe key ``spend_report:<YYYY-MM>:<recipient>``.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal

import sqlalchemy as sa
from sqlmodel import Session, col, select

from app.core.errors import SeatwiseError
from app.core.mail import Attachment
from app.core.security import Role
from app.core.settings import Settings
from app.findings.models import Finding
from app.notify.alerts import PlannedEmail, role_recipients, to_each
from app.notify.finding_summary import Converter, summarise
from app.notify.models import Notification
from app.notify.render import render_email

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
SPEND_GROUPINGS = ("app", "vendor", "department")
DIGEST_EXAMPLES = 10
"""How many new findings the digest shows as examples; the rest are counted by kind and
by application, each with a link to the findings page filtered to it."""


def last_digest_at(*, session: Session) -> datetime | None:
    """When the newest digest was queued."""
    value = session.exec(
        select(sa.func.max(col(Notification.created_at))).where(Notification.kind == "digest")
    ).one()
    return value if isinstance(value, datetime) else None


def plan_digest(*, session: Session, settings: Settings, now: datetime) -> list[PlannedEmail]:
    """This week's digest of new findings, one e-mail per recipient (none if nothing new)."""
    since = last_digest_at(session=session) or now - timedelta(days=7)
    new = [
        col(Finding.status) == "open",
        col(Finding.first_seen) > since,
        col(Finding.first_seen) <= now,
    ]
    day = now.astimezone(settings.tz).date()
    converter = Converter(session=session, currency=settings.reporting_currency, day=day)
    summary = summarise(
        session=session,
        converter=converter,
        conditions=new,
        base_url=settings.base_url,
        scope={},
        examples=DIGEST_EXAMPLES,
    )
    if not summary.count:
        return []
    year, week, _ = now.astimezone(settings.tz).isocalendar()
    subject = f"Seatwise weekly digest {year}-W{week:02d}: {summary.count} new finding(s)"
    email = render_email(
        "digest",
        subject,
        {
            "summary": summary,
            "since": since.astimezone(settings.tz).strftime("%Y-%m-%d %H:%M"),
        },
    )
    recipients = role_recipients(
        session=session, roles=(Role.admin, Role.asset_manager), extra=settings.digest_emails
    )
    return to_each(recipients, kind="digest", key=f"digest:{year}-W{week:02d}", email=email)


def previous_month(as_of: date) -> tuple[date, date]:
    """First and last day of the calendar month before ``as_of``'s."""
    last = as_of.replace(day=1) - timedelta(days=1)
    return last.replace(day=1), last


def spend_report_xlsx(*, session: Session, settings: Settings, first: date) -> bytes:
    """The month's spend workbook from the spend domain's report and export."""
    from analytics.spend import month_index
    from app.spend.export import xlsx_bytes
    from app.spend.service import spend_reports

    month = month_index(first)
    reports = spend_reports(
        session=session,
        by=list(SPEND_GROUPINGS),
        first=month,
        last=month,
        currency=settings.reporting_currency,
    )
    return xlsx_bytes(
        reports, notes=[f"Monthly spend report e-mailed by Seatwise for {first:%Y-%m}"]
    )


def month_totals(*, session: Session, settings: Settings, first: date) -> tuple[Decimal, Decimal]:
    """The month's total spend and the month before's, in the reporting currency: the
    headline of the report's e-mail (the workbook holds the detail)."""
    from analytics.spend import month_index
    from app.spend.service import spend_reports

    month = month_index(first)
    (report,) = spend_reports(
        session=session,
        by=["app"],
        first=month - 1,
        last=month,
        currency=settings.reporting_currency,
    )
    before, this = report.shown.totals
    return this, before


def plan_spend_report(*, session: Session, settings: Settings, as_of: date) -> list[PlannedEmail]:
    """Last month's spend report (XLSX attached) to finance, once per month and recipient."""
    recipients = role_recipients(
        session=session, roles=(Role.finance,), extra=settings.finance_emails
    )
    if not recipients:
        return []
    first, last = previous_month(as_of)
    label = f"{first:%Y-%m}"
    filename = f"seatwise-spend-{label}.xlsx"
    context: dict[str, object] = {
        "period_label": f"{first:%B %Y}",
        "period_start": first,
        "period_end": last,
        "filename": filename,
        "currency": settings.reporting_currency,
        "link": f"{settings.base_url.rstrip('/')}/spend",
    }
    try:
        content = spend_report_xlsx(session=session, settings=settings, first=first)
        total, before = month_totals(session=session, settings=settings, first=first)
    except SeatwiseError as exc:
        # A missing FX rate (say) must not leave finance waiting for a report that never
        # comes: they are told why, once a month, and how to get it.
        email = render_email(
            "spend_report",
            f"Seatwise spend report {label} could not be built",
            {**context, "problem": str(exc)},
        )
        key = f"spend_report:{label}:failed"
        return to_each(recipients, kind="spend_report", key=key, email=email)
    email = render_email(
        "spend_report",
        f"Seatwise spend report {label}",
        {**context, "total": total, "before": before, "problem": None},
    )
    attachment = Attachment(filename, content, XLSX)
    key = f"spend_report:{label}"
    return to_each(recipients, kind="spend_report", key=key, email=email, attachments=[attachment])
