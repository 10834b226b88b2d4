"""Recording an API token's use."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import Session, select

from app.auth import service
from app.auth.models import ApiToken
from app.core.db import utcnow


def test_a_tokens_use_is_due_at_most_once_a_minute(session: Session) -> None:
    service.create_user(session=session, email="api@example.com", role="viewer", password="p" * 12)
    token = service.create_token(session=session, email="api@example.com", name="ci")
    start = utcnow()

    def due(seconds: int) -> bool:
        found = service.user_for_token(
            session=session, token=token, now=start + timedelta(seconds=seconds)
        )
        assert found is not None and found.user.email == "api@example.com"
        if found.use_due:
            now = start + timedelta(seconds=seconds)
            service.record_token_use(conn=session.connection(), token_id=found.token_id, now=now)
        session.expire_all()
        return found.use_due

    assert due(0)
    assert session.exec(select(ApiToken.last_used_at)).one() == start
    assert not due(59)
    assert due(61)
    assert service.user_for_token(session=session, token=token + "x") is None
