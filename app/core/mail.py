"""SMTP delivery: one message over a configured server, errors classified for retries."""

from __future__ import annotations

import smtplib
import ssl
from dataclasses import dataclass
from email import policy
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

from app.core.settings import Settings

HEADERS = policy.SMTP.clone(max_line_length=998)
"""How a message is written out: headers up to RFC 5322's 998 characters a line, so a long
subject stays on one line (folding it at 78 only hurts parsers)."""
BODIES = policy.SMTP
"""How parts are encoded when set: ``max_line_length`` is also the line length of base64
and quoted-printable bodies, which RFC 2045 caps at 76 characters (78 gives 76)."""
PLAIN_LINE_MAX = 998
"""Longest line a 7bit (unencoded) body may have (RFC 5322)."""


class MailError(Exception):
    """Delivery failed; ``permanent`` says whether retrying can help.

    ``outage``: the message never reached a server that judged it (no connection, a
    dropped one, a login refused): the outbox keeps such a row until the server is back,
    however long that takes, rather than giving it up.
    """

    def __init__(self, message: str, *, permanent: bool, outage: bool = False) -> None:
        super().__init__(message)
        self.permanent = permanent
        self.outage = outage


@dataclass(frozen=True)
class Attachment:
    """A file attached to an e-mail."""

    filename: str
    content: bytes
    mime_type: str = "application/octet-stream"


def build_message(
    *,
    settings: Settings,
    recipient: str,
    subject: str,
    text: str,
    html: str | None = None,
    attachments: list[Attachment] | None = None,
    message_id_seed: str | None = None,
) -> EmailMessage:
    """A multipart message: plain text first, HTML alternative, then attachments.

    ``message_id_seed`` gives a stable Message-ID per outbox row, so the rare duplicate
    after a crash is recognisable (and collapsed by many servers and clients).

    Parts are built under :data:`BODIES` (attachments in base64 lines of 76 characters)
    and the message is written under :data:`HEADERS`: the email package encodes a body
    when it is set, with the line length of the policy it has then, and folds headers
    when the message is written, with the policy it has then.
    """
    message = EmailMessage(policy=BODIES)
    message["From"] = settings.mail_from
    message["To"] = recipient
    message["Subject"] = subject
    message["Date"] = formatdate(localtime=False, usegmt=True)
    domain = settings.mail_from.rpartition("@")[2] or "seatwise.local"
    if message_id_seed:
        safe = "".join(ch if ch.isalnum() or ch in ".-" else "." for ch in message_id_seed)
        message["Message-ID"] = f"<{safe[:180]}@{domain}>"
    else:
        message["Message-ID"] = make_msgid(domain=domain)
    message.set_content(text, cte=_unencoded(text))
    if html:
        message.add_alternative(html, subtype="html", cte=_unencoded(html))
    for item in attachments or []:
        maintype, _, subtype = item.mime_type.partition("/")
        message.add_attachment(
            item.content,
            maintype=maintype,
            subtype=subtype or "octet-stream",
            filename=item.filename,
        )
    message.policy = HEADERS
    return message


def _unencoded(text: str) -> str | None:
    """``7bit`` for ASCII text whose lines fit RFC 5322's 998 characters: sent as it is,
    readable in any mail source view; else None, letting the email package choose
    quoted-printable or base64 (76-character lines under :data:`BODIES`)."""
    if text.isascii() and all(len(line) <= PLAIN_LINE_MAX for line in text.splitlines()):
        return "7bit"
    return None


def send_message(settings: Settings, message: EmailMessage) -> None:
    """Send one message; raise :class:`MailError` saying whether a retry can help."""
    host, port, timeout = settings.smtp_host, settings.smtp_port, settings.smtp_timeout
    try:
        smtp: smtplib.SMTP
        if settings.smtp_ssl:
            smtp = smtplib.SMTP_SSL(
                host, port, timeout=timeout, context=ssl.create_default_context()
            )
        else:
            smtp = smtplib.SMTP(host, port, timeout=timeout)
        with smtp:
            if settings.smtp_starttls and not settings.smtp_ssl:
                smtp.starttls(context=ssl.create_default_context())
            if settings.smtp_username:
                smtp.login(settings.smtp_username, settings.smtp_password)
            refused = smtp.send_message(message)
    except smtplib.SMTPRecipientsRefused as exc:
        codes = [code for code, _ in exc.recipients.values()]
        permanent = all(500 <= code < 600 for code in codes)
        detail = "; ".join(
            f"{rcpt}: {code} {msg!r}" for rcpt, (code, msg) in exc.recipients.items()
        )
        raise MailError(
            f"SMTP server refused the recipient ({detail})", permanent=permanent
        ) from None
    except smtplib.SMTPAuthenticationError as exc:
        raise MailError(
            f"SMTP login refused ({exc.smtp_code}); check SEATWISE_SMTP_USERNAME/PASSWORD",
            permanent=False,
            outage=True,
        ) from None
    except smtplib.SMTPResponseException as exc:
        text = (
            exc.smtp_error.decode(errors="replace")
            if isinstance(exc.smtp_error, bytes)
            else str(exc.smtp_error)
        )
        raise MailError(
            f"SMTP server answered {exc.smtp_code} {text}", permanent=500 <= exc.smtp_code < 600
        ) from None
    except (smtplib.SMTPException, OSError) as exc:
        raise MailError(
            f"cannot deliver through SMTP {host}:{port}: {exc.__class__.__name__}: {exc}",
            permanent=False,
            outage=True,
        ) from None
    if refused:
        raise MailError(f"SMTP server refused recipients: {sorted(refused)}", permanent=True)
