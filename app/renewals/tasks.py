"""Renewal tasks: one per upcoming renewal of a contract, opened when first needed.

A task belongs to one renewal of one contract (``subscription_id``, ``renewal_date``),
so a renewal date moved by a re-import starts a fresh task, in state ``open``, with the
seats recommended as of the day it is opened.
"""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, col, select

from app.core.db import utcnow
from app.inventory.models import Subscription
from app.notify.alerts import contract_owner
from app.notify.figures import ContractFigures, contract_figures, contract_figures_many
from app.renewals.models import RenewalTask

OPEN = "open"


def upcoming(session: Session, as_of: date) -> list[Subscription]:
    """Contracts renewing on or after ``as_of`` (trials excluded), soonest first."""
    query = (
        select(Subscription)
        .where(col(Subscription.is_trial).is_(False))
        .where(col(Subscription.renewal_date).is_not(None))
        .where(col(Subscription.renewal_date) >= as_of)
        .order_by(col(Subscription.renewal_date), col(Subscription.id))
    )
    return list(session.exec(query))


def task_for(session: Session, subscription: Subscription) -> RenewalTask | None:
    """The task of the contract's current renewal, if opened."""
    return session.exec(
        select(RenewalTask).where(
            RenewalTask.subscription_id == subscription.id,
            RenewalTask.renewal_date == subscription.renewal_date,
        )
    ).first()


def ensure_task(
    *,
    session: Session,
    subscription: Subscription,
    as_of: date,
    figures: ContractFigures | None = None,
) -> RenewalTask:
    """The task of the contract's current renewal, created (state ``open``) when missing
    (``figures``: the contract's as of ``as_of``, when already worked out).

    Created with INSERT … ON CONFLICT DO NOTHING, so two processes doing this at once
    (two ``alerts send``) both succeed and share one task.
    """
    assert subscription.id is not None and subscription.renewal_date is not None
    task = task_for(session, subscription)
    if task is not None:
        return task
    if figures is None:
        figures = contract_figures(session=session, subscription=subscription, as_of=as_of)
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    table = RenewalTask.__table__  # type: ignore[attr-defined]
    session.connection().execute(
        insert(table)
        .values(
            subscription_id=subscription.id,
            renewal_date=subscription.renewal_date,
            owner_email=contract_owner(session=session, subscription=subscription),
            state=OPEN,
            recommended_seats=figures.recommended_seats,
            updated_at=utcnow(),
        )
        .on_conflict_do_nothing(index_elements=["subscription_id", "renewal_date"])
    )
    task = task_for(session, subscription)
    assert task is not None
    return task


def ensure_tasks(*, session: Session, as_of: date) -> list[tuple[Subscription, RenewalTask]]:
    """A task for every renewal on or after ``as_of`` (trials excluded).

    The existing tasks are read in one query; only a renewal without one is asked about
    again and its task created, with the figures of all such contracts worked out together
    (the first visit after an import opens hundreds).
    """
    subscriptions = upcoming(session, as_of)
    existing = session.exec(
        select(RenewalTask)
        .join(
            Subscription,
            sa.and_(
                col(Subscription.id) == col(RenewalTask.subscription_id),
                col(Subscription.renewal_date) == col(RenewalTask.renewal_date),
            ),
        )
        .where(col(Subscription.is_trial).is_(False), col(Subscription.renewal_date) >= as_of)
    )
    tasks: dict[tuple[int | None, date | None], RenewalTask] = {
        (t.subscription_id, t.renewal_date): t for t in existing
    }
    missing = [s for s in subscriptions if (s.id, s.renewal_date) not in tasks]
    if missing:
        figures = contract_figures_many(session=session, subscriptions=missing, as_of=as_of)
        for sub in missing:
            tasks[(sub.id, sub.renewal_date)] = ensure_task(
                session=session, subscription=sub, as_of=as_of, figures=figures[int(sub.id or 0)]
            )
    return [(sub, tasks[(sub.id, sub.renewal_date)]) for sub in subscriptions]
