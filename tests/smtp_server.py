"""A real SMTP server (aiosmtpd) on 127.0.0.1 for tests, with switchable failures."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

from aiosmtpd.controller import Controller


@dataclass
class Mailbox:
    """Messages the server accepted, and the failure it is told to answer with."""

    messages: list[EmailMessage] = field(default_factory=list)
    raw: list[bytes] = field(default_factory=list)  # each message as it came over the wire
    envelopes: list[tuple[str, list[str]]] = field(default_factory=list)  # MAIL FROM, RCPT TOs
    fail_with: str | None = None  # e.g. "451 4.3.0 try later" or "550 5.1.1 no such user"
    lock: threading.Lock = field(default_factory=threading.Lock)

    def to(self, address: str) -> list[EmailMessage]:
        """Messages addressed to ``address``."""
        with self.lock:
            return [m for m in self.messages if address.lower() in str(m["To"]).lower()]


class _Handler:
    def __init__(self, mailbox: Mailbox) -> None:
        self.mailbox = mailbox

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        if self.mailbox.fail_with:
            return self.mailbox.fail_with
        parsed = message_from_bytes(envelope.content, policy=policy.default)
        assert isinstance(parsed, EmailMessage)
        with self.mailbox.lock:
            self.mailbox.messages.append(parsed)
            self.mailbox.raw.append(envelope.original_content or envelope.content)
            self.mailbox.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos)))
        return "250 OK"


def free_port() -> int:
    """A free TCP port on 127.0.0.1."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def smtp_server(
    port: int | None = None, *, smtputf8: bool = False
) -> Iterator[tuple[int, Mailbox]]:
    """Run an SMTP server on a loopback port (a free one by default); yields (port, mailbox).

    ``smtputf8``: advertise SMTPUTF8 (RFC 6531), as few relays do; off, non-ASCII
    addresses cannot be sent to it.
    """
    mailbox = Mailbox()
    port = port or free_port()
    controller = Controller(
        _Handler(mailbox), hostname="127.0.0.1", port=port, enable_SMTPUTF8=smtputf8
    )
    controller.start()
    try:
        yield port, mailbox
    finally:
        controller.stop()
