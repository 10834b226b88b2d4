"""Non-ASCII text anywhere in an e-mail goes out encoded; one bad row never blocks the rest."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date, timedelta
from email import message_from_bytes, policy
from typing import Any

import pytest
from sqlmodel import Session

from app.core.db import utcnow
from app.core.mail import Attachment, build_message
from app.notify import service
from app.notify.models import Notification
from tests.conftest import Database
from tests.notify.seed import PROCUREMENT, outbox, seed_contract, settings_for
from tests.smtp_server import Mailbox, smtp_server

APP = "Lucidchart für Büro – Ärzte"  # noqa: RUF001 (the en dash is the point)
FILENAME = "Ärzte – Übersicht.xlsx"  # noqa: RUF001


@pytest.fixture
def smtp() -> Iterator[tuple[int, Mailbox]]:
    with smtp_server() as server:
        yield server


def _queue(db: Database, key: str, recipient: str = "buyer@example.com", **kw: Any) -> None:
    with Session(db.engine) as session:
        values: dict[str, Any] = {"subject": f"Subject {key}", "text": "plain body"}
        values.update(kw)
        service.enqueue(session=session, kind="test", recipient=recipient, dedupe_key=key, **values)
        session.commit()


def _env(port: int) -> dict[str, str]:
    return {
        "SEATWISE_SMTP_HOST": "127.0.0.1",
        "SEATWISE_SMTP_PORT": str(port),
        "SEATWISE_SMTP_TIMEOUT": "5",
        "SEATWISE_MAIL_FROM": "seatwise@example.com",
        "SEATWISE_PROCUREMENT_EMAILS": PROCUREMENT,
        "SEATWISE_ENVIRONMENT": "test",
    }


def test_alerts_send_delivers_contracts_with_non_ascii_numbers_and_names(
    committed_db: Database, smtp: tuple[int, Mailbox], cli: Any
) -> None:
    port, mailbox = smtp
    seed_contract(committed_db.engine, contract_number="SG-2026-Ä", app_name=APP,
                  vendor_name="Lucid Software", renewal_date=date(2027, 3, 1))  # fmt: skip
    seed_contract(committed_db.engine, contract_number="C-7", renewal_date=date(2027, 3, 1))
    result = cli("alerts", "send", "--as-of", "2027-01-30", env=_env(port))
    assert result.exit_code == 0, result.stderr
    assert "4 due, 4 queued; sent 4" in result.stdout
    assert all(row.status == "sent" for row in outbox(committed_db.engine))
    subjects = [str(m["Subject"]) for m in mailbox.messages]
    assert f"Renewal in 30 days: {APP} on 2027-03-01 (contract SG-2026-Ä)" in subjects
    for raw in mailbox.raw:
        assert raw.isascii()  # headers and bodies encoded for any server
        message_id = message_from_bytes(raw, policy=policy.default)["Message-ID"]
        assert re.fullmatch(r"<seatwise\.[0-9a-f]{40}@example\.com>", str(message_id))


def test_message_id_is_ascii_and_the_same_for_the_same_row() -> None:
    settings = settings_for(25)

    def message_id(seed: str) -> str:
        built = build_message(settings=settings, recipient="a@example.com", subject="s",
                              text="t", message_id_seed=seed)  # fmt: skip
        return str(built["Message-ID"])

    first = message_id("seatwise.5.renewal:1:SG-2026-Ä:2027-03-01:90d:a@example.com")
    assert first.isascii()
    assert first == message_id("seatwise.5.renewal:1:SG-2026-Ä:2027-03-01:90d:a@example.com")
    assert first != message_id("seatwise.6.renewal:1:SG-2026-Ä:2027-03-01:90d:a@example.com")


def test_non_ascii_subject_body_filename_and_domain_go_out_7bit_and_read_back(
    committed_db: Database, smtp: tuple[int, Mailbox]
) -> None:
    port, mailbox = smtp
    subject = f"Notice deadline in 30 days: {APP} auto-renews 2027-03-01 (contract SG-2026-Ä)"
    text = f"{APP}: Kündigung bis 2027-01-30.\n" + "Größe " * 30 + "\n"
    _queue(committed_db, "k-ä", recipient="einkauf@büro.example", subject=subject, text=text,
           html=f"<p>{APP}: Kündigung</p>",
           attachments=[Attachment(FILENAME, b"PK\x03\x04", "application/zip")])  # fmt: skip
    report = service.deliver_due(engine=committed_db.engine, settings=settings_for(port))
    assert report.sent == 1, report.errors
    [raw] = mailbox.raw
    assert raw.isascii()
    head = raw.split(b"\r\n\r\n", 1)[0].split(b"\r\n")
    assert all(len(line) <= 76 for line in head if b"=?" in line)  # RFC 2047
    assert mailbox.envelopes[0][1] == ["einkauf@xn--bro-hoa.example"]
    [message] = mailbox.messages
    assert str(message["Subject"]) == subject
    assert str(message["To"]) == "einkauf@xn--bro-hoa.example"
    plain = message.get_body(preferencelist=("plain",))
    html = message.get_body(preferencelist=("html",))
    # Encoded text travels with CRLF line ends (canonical form, RFC 2045).
    assert plain is not None and plain.get_content().replace("\r\n", "\n").startswith(text.rstrip())
    assert html is not None and html.get_content().startswith(f"<p>{APP}: Kündigung</p>")
    [attachment] = message.iter_attachments()
    assert attachment.get_filename() == FILENAME


def test_non_ascii_local_part_fails_that_row_clearly_unless_the_server_offers_smtputf8(
    committed_db: Database, smtp: tuple[int, Mailbox]
) -> None:
    port, mailbox = smtp
    _queue(committed_db, "k-utf8", recipient="jürgen@example.com")
    _queue(committed_db, "k-ascii", recipient="buyer@example.com")
    report = service.deliver_due(engine=committed_db.engine, settings=settings_for(port))
    assert (report.sent, report.given_up) == (1, 1)
    [failed, sent] = outbox(committed_db.engine)
    assert sent.status == "sent" and [str(m["To"]) for m in mailbox.messages] == [sent.recipient]
    assert failed.status == "failed"
    assert "jürgen@example.com" in (failed.error or "") and "SMTPUTF8" in (failed.error or "")
    with smtp_server(smtputf8=True) as (utf8_port, utf8_box):
        _queue(committed_db, "k-utf8-again", recipient="jürgen@example.com")
        report = service.deliver_due(engine=committed_db.engine, settings=settings_for(utf8_port))
        assert report.sent == 1, report.errors
        assert utf8_box.envelopes[0][1] == ["jürgen@example.com"]


def test_a_row_that_cannot_be_built_is_marked_and_the_others_are_sent(
    committed_db: Database, smtp: tuple[int, Mailbox]
) -> None:
    port, mailbox = smtp
    for key in ("k-1", "k-broken", "k-3"):
        _queue(committed_db, key)
    with Session(committed_db.engine) as session:  # an attachment damaged in the database
        row = session.get(Notification, outbox(committed_db.engine)[1].id)
        assert row is not None
        row.attachments = [{"filename": "x.xlsx", "content_b64": "not base64!"}]
        session.commit()
    settings = settings_for(port, smtp_max_attempts=2)
    report = service.deliver_due(engine=committed_db.engine, settings=settings)
    assert (report.sent, report.retrying) == (2, 1)
    assert sorted(str(m["Subject"]) for m in mailbox.messages) == ["Subject k-1", "Subject k-3"]
    broken = outbox(committed_db.engine)[1]
    assert broken.status == "pending" and broken.claimed_by is None
    assert "could not build or send this e-mail: Error:" in (broken.error or "")
    later = utcnow() + timedelta(hours=2)
    again = service.deliver_due(engine=committed_db.engine, settings=settings, now=later)
    assert again.given_up == 1
    broken = outbox(committed_db.engine)[1]
    assert broken.status == "failed" and "gave up after 2 attempt(s)" in (broken.error or "")
