"""The outbox: deduplicated, delivered exactly once, retried while SMTP is down."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import timedelta

import pytest
from sqlmodel import Session, select

from app.core.db import utcnow
from app.core.mail import Attachment
from app.core.settings import Settings
from app.notify import service
from app.notify.models import Notification
from tests.conftest import Database
from tests.smtp_server import Mailbox, free_port, smtp_server


@pytest.fixture
def smtp() -> Iterator[tuple[int, Mailbox]]:
    with smtp_server() as server:
        yield server


def _settings(port: int, **overrides: object) -> Settings:
    values: dict[str, object] = {
        "smtp_host": "127.0.0.1",
        "smtp_port": port,
        "smtp_timeout": 5.0,
        "mail_from": "seatwise@example.com",
        "secret_key": "k" * 40,
        "environment": "test",
    }
    values.update(overrides)
    return Settings(**values)  # type: ignore[arg-type]


def _queue(db: Database, key: str, recipient: str = "buyer@example.com", **kw: object) -> bool:
    with Session(db.engine) as session:
        created = service.enqueue(
            session=session,
            kind="test",
            recipient=recipient,
            subject=f"Subject {key}",
            text="plain body",
            html="<p>html body</p>",
            dedupe_key=key,
            **kw,  # type: ignore[arg-type]
        )
        session.commit()
    return created


def _rows(db: Database) -> list[Notification]:
    with Session(db.engine) as session:
        return list(session.exec(select(Notification).order_by(Notification.id)))


def test_same_dedupe_key_is_queued_once(committed_db: Database) -> None:
    assert _queue(committed_db, "renewal:1:2027-01-01:90") is True
    assert _queue(committed_db, "renewal:1:2027-01-01:90") is False
    assert len(_rows(committed_db)) == 1


def test_delivers_text_html_and_attachment_once(
    committed_db: Database, smtp: tuple[int, Mailbox]
) -> None:
    port, mailbox = smtp
    _queue(
        committed_db,
        "k1",
        attachments=[
            Attachment(
                "spend.xlsx",
                b"PK\x03\x04data",
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            )
        ],
    )
    report = service.deliver_due(engine=committed_db.engine, settings=_settings(port))
    assert report.sent == 1
    again = service.deliver_due(engine=committed_db.engine, settings=_settings(port))
    assert again.sent == 0
    [message] = mailbox.to("buyer@example.com")
    assert message["Subject"] == "Subject k1"
    body = message.get_body(preferencelist=("plain",))
    html = message.get_body(preferencelist=("html",))
    assert body is not None and "plain body" in body.get_content()
    assert html is not None and "<p>html body</p>" in html.get_content()
    assert [a.get_filename() for a in message.iter_attachments()] == ["spend.xlsx"]
    [row] = _rows(committed_db)
    assert row.status == "sent" and row.sent_at is not None and row.attempts == 1


def test_smtp_down_keeps_message_and_delivers_when_back(committed_db: Database) -> None:
    port = free_port()
    _queue(committed_db, "k-down")
    report = service.deliver_due(engine=committed_db.engine, settings=_settings(port))
    assert report.retrying == 1 and report.sent == 0
    [row] = _rows(committed_db)
    assert row.status == "pending" and row.attempts == 1
    assert row.error and f"127.0.0.1:{port}" in row.error
    assert row.next_attempt_at is not None and row.next_attempt_at > utcnow()
    later = utcnow() + timedelta(minutes=2)
    with smtp_server() as (new_port, mailbox):
        report = service.deliver_due(
            engine=committed_db.engine, settings=_settings(new_port), now=later
        )
        assert report.sent == 1
        assert len(mailbox.to("buyer@example.com")) == 1


def test_4xx_is_retried_and_5xx_given_up_with_reason(
    committed_db: Database, smtp: tuple[int, Mailbox]
) -> None:
    port, mailbox = smtp
    _queue(committed_db, "k-4xx")
    mailbox.fail_with = "451 4.3.0 mailbox busy, try later"
    report = service.deliver_due(engine=committed_db.engine, settings=_settings(port))
    assert report.retrying == 1
    [row] = _rows(committed_db)
    assert row.status == "pending" and row.error and "451" in row.error
    mailbox.fail_with = "554 5.7.1 message refused"
    report = service.deliver_due(
        engine=committed_db.engine, settings=_settings(port), now=utcnow() + timedelta(minutes=5)
    )
    assert report.given_up == 1
    [row] = _rows(committed_db)
    assert row.status == "failed" and row.error and "gave up" in row.error and "554" in row.error


def test_gives_up_after_max_attempts_when_the_server_keeps_deferring(
    committed_db: Database, smtp: tuple[int, Mailbox]
) -> None:
    port, mailbox = smtp
    mailbox.fail_with = "451 4.3.0 try later"
    _queue(committed_db, "k-max")
    settings = _settings(port, smtp_max_attempts=2)
    moment = utcnow()
    for step in range(3):
        service.deliver_due(
            engine=committed_db.engine, settings=settings, now=moment + timedelta(hours=2 * step)
        )
    [row] = _rows(committed_db)
    assert row.status == "failed" and row.attempts == 2 and "gave up after 2" in (row.error or "")


def test_an_outage_of_any_length_loses_nothing(committed_db: Database) -> None:
    _queue(committed_db, "k-outage")
    moment = utcnow()
    down = _settings(free_port(), smtp_max_attempts=2)
    for step in range(5):  # ten hours without a server, attempts well past the maximum
        report = service.deliver_due(
            engine=committed_db.engine, settings=down, now=moment + timedelta(hours=2 * step)
        )
        assert report.given_up == 0
    [row] = _rows(committed_db)
    assert row.status == "pending" and row.attempts == 5 and "cannot deliver" in (row.error or "")
    with smtp_server() as (port, mailbox):
        back = _settings(port, smtp_max_attempts=2)
        service.deliver_due(
            engine=committed_db.engine, settings=back, now=moment + timedelta(hours=12)
        )
        assert [m["Subject"] for m in mailbox.messages] == ["Subject k-outage"]
    [row] = _rows(committed_db)
    assert row.status == "sent"


def test_a_row_whose_lease_ran_out_is_left_to_its_new_owner(
    committed_db: Database, smtp: tuple[int, Mailbox]
) -> None:
    port, mailbox = smtp
    _queue(committed_db, "k-lease")
    settings = _settings(port)
    moment = utcnow()
    [row_id] = service.claim(engine=committed_db.engine, worker="slow", now=moment)
    later = moment + service.LEASE + timedelta(seconds=1)
    # The slow worker reaches the row after its lease ran out: another worker may claim
    # it any moment now, so it is not sent (it would be sent twice).
    report = service.DeliveryReport(errors=[])
    service._deliver_one(
        engine=committed_db.engine, settings=settings, worker="slow",
        notification_id=row_id, report=report, now=later,
    )  # fmt: skip
    assert report.sent == 0 and mailbox.messages == []
    assert service.claim(engine=committed_db.engine, worker="next", now=later) == [row_id]
    service._deliver_one(
        engine=committed_db.engine, settings=settings, worker="next",
        notification_id=row_id, report=report, now=later,
    )  # fmt: skip
    assert report.sent == 1 and len(mailbox.messages) == 1


def test_concurrent_workers_send_each_message_exactly_once(
    committed_db: Database, smtp: tuple[int, Mailbox]
) -> None:
    port, mailbox = smtp
    for n in range(30):
        _queue(committed_db, f"k-{n}", recipient=f"p{n}@example.com")
    settings = _settings(port)
    threads = [
        threading.Thread(
            target=service.deliver_due,
            kwargs={"engine": committed_db.engine, "settings": settings, "limit": 3},
        )
        for _ in range(4)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(mailbox.messages) == 30
    assert sorted(str(m["To"]) for m in mailbox.messages) == sorted(
        f"p{n}@example.com" for n in range(30)
    )
    assert all(r.status == "sent" for r in _rows(committed_db))


def test_expired_lease_of_a_crashed_worker_is_taken_over(
    committed_db: Database, smtp: tuple[int, Mailbox]
) -> None:
    port, mailbox = smtp
    _queue(committed_db, "k-crash")
    claimed = service.claim(engine=committed_db.engine, worker="dead-worker", now=utcnow())
    assert len(claimed) == 1
    assert service.deliver_due(engine=committed_db.engine, settings=_settings(port)).sent == 0
    later = utcnow() + service.LEASE + timedelta(seconds=1)
    report = service.deliver_due(engine=committed_db.engine, settings=_settings(port), now=later)
    assert report.sent == 1 and len(mailbox.messages) == 1


def test_attachments_go_in_base64_lines_of_76_characters_and_headers_stay_unfolded(
    committed_db: Database, smtp: tuple[int, Mailbox]
) -> None:
    port, mailbox = smtp
    content = bytes(range(256)) * 20
    subject = "Subject " + "long-words " * 12  # well over 78 characters, plain ASCII
    with Session(committed_db.engine) as session:
        service.enqueue(
            session=session, kind="test", recipient="buyer@example.com", subject=subject,
            text="plain body", dedupe_key="k-b64",
            attachments=[Attachment("spend.xlsx", content, "application/octet-stream")],
        )  # fmt: skip
        session.commit()
    assert service.deliver_due(engine=committed_db.engine, settings=_settings(port)).sent == 1
    [raw] = mailbox.raw
    # RFC 2045: base64 lines of at most 76 characters.
    attached = raw.split(b'filename="spend.xlsx"')[1].split(b"\r\n\r\n", 1)[1]
    lines = attached.split(b"\r\n--")[0].split(b"\r\n")
    assert max(len(line) for line in lines) == 76
    [attachment] = mailbox.messages[0].iter_attachments()
    assert attachment.get_content() == content
    # Headers keep RFC 5322's 998: a long subject is one line, not folded at 78.
    assert f"\r\nSubject: {subject}\r\n".encode() in raw


def test_every_email_links_its_notification_settings_and_carries_a_list_id(
    committed_db: Database, smtp: tuple[int, Mailbox]
) -> None:
    port, mailbox = smtp
    with Session(committed_db.engine) as session:
        service.enqueue(
            session=session, kind="free_seats", recipient="buyer@example.com", subject="Seats",
            text="plain body\n", html="<html><body><p>html body</p></body></html>",
            dedupe_key="k-footer",
        )  # fmt: skip
        session.commit()
    settings = _settings(
        port,
        base_url="https://seatwise.example.com/app/",
        mail_from="Seatwise Büro <seatwise@example.com>",
    )
    assert service.deliver_due(engine=committed_db.engine, settings=settings).sent == 1
    [message] = mailbox.messages
    link = "https://seatwise.example.com/app/settings#notifications"
    text = message.get_body(preferencelist=("plain",))
    html = message.get_body(preferencelist=("html",))
    assert text is not None and html is not None
    plain = text.get_content().replace("\r\n", "\n")
    assert plain.startswith("plain body\n\n-- \n") and f"Notifications: {link}" in plain
    page = html.get_content()
    assert page.index(f'<a href="{link}"') < page.index("</body>")
    assert message["List-Id"] == "Seatwise free seats e-mails <free-seats.seatwise.example.com>"
    assert "List-Unsubscribe" not in message  # nothing a recipient could use (see mail.py)
    assert str(message["From"]) == "Seatwise Büro <seatwise@example.com>"
    assert mailbox.envelopes[0][0] == "seatwise@example.com"
