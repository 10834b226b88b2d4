"""SMTP delivery: one message over a configured server, errors classified for retries.

Everything goes out 7-bit clean, whatever the text: non-ASCII headers as RFC 2047
encoded words, non-ASCII bodies in quoted-printable or base64, attachment names per RFC
2231, a recipient's internationalised domain in its ASCII (``xn--``) form, and a
Message-ID made of a hash. Only an address whose local part (before the ``@``) is not
ASCII needs the server's SMTPUTF8 (RFC 6531); without it, that one e-mail fails, saying so.
"""

from __future__ import annotations

import hashlib
import html as html_text
import ipaddress
import re
import smtplib
import ssl
from dataclasses import dataclass
from email import policy
from email.headerregistry import Address
from email.message import EmailMessage
from email.policy import EmailPolicy
from email.utils import formatdate, make_msgid, parseaddr
from urllib.parse import urlsplit

from email_validator import EmailNotValidError, validate_email

from app.core.emails import normalised_address
from app.core.settings import Settings

ENCODED_LINE_MAX = 76
"""RFC 2047: a header line holding encoded words has 76 characters at most."""


class _WirePolicy(EmailPolicy):
    """Headers up to RFC 5322's 998 characters a line, so a long subject stays on one line
    (folding it at 78 only hurts parsers); but a header holding non-ASCII text is folded
    at 76: the email package sizes its encoded words to the line, and RFC 2047 allows 76
    characters to a line holding encoded words (75 to a word)."""

    def fold(self, name: str, value: str) -> str:
        return str(EmailPolicy.fold(self._for(value), name, value))

    def fold_binary(self, name: str, value: str) -> bytes:
        return EmailPolicy.fold_binary(self._for(value), name, value)

    def _for(self, value: str) -> EmailPolicy:
        return self if str(value).isascii() else self.clone(max_line_length=ENCODED_LINE_MAX)


HEADERS = _WirePolicy(linesep="\r\n", max_line_length=998, cte_type="7bit")
"""How a message is written out (see :class:`_WirePolicy`)."""
BODIES = policy.SMTP.clone(cte_type="7bit")
"""How parts are encoded when set: ``max_line_length`` is also the line length of base64
and quoted-printable bodies, which RFC 2045 caps at 76 characters (78 gives 76);
``7bit``: non-ASCII text is encoded, as a server without 8BITMIME needs."""
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
    kind: str = "notification",
) -> EmailMessage:
    """A multipart message: plain text first, HTML alternative, then attachments.

    ``message_id_seed`` gives a stable Message-ID per outbox row, so the rare duplicate
    after a crash is recognisable (and collapsed by many servers and clients).

    Every e-mail says where its notification settings are: a footer in both parts
    (added here, at sending, so every kind gets it with the base URL in force) and a
    ``List-Id`` per ``kind`` (RFC 2919), which mail filters can sort on. No
    ``List-Unsubscribe``: recipients cannot opt out themselves (recipients follow from
    roles, contract ownership and the lists admins keep, and the Settings page is for
    admins only), and a header that mail clients turn into an "Unsubscribe" button must
    lead somewhere the recipient can act; the footer says who decides instead.

    Parts are built under :data:`BODIES` (attachments in base64 lines of 76 characters)
    and the message is written under :data:`HEADERS`: the email package encodes a body
    when it is set, with the line length of the policy it has then, and folds headers
    when the message is written, with the policy it has then.
    """
    message = EmailMessage(policy=BODIES)
    sender = sender_address(settings.mail_from)
    message["From"] = Address(sender.display_name, addr_spec=wire_address(sender.addr_spec))
    message["To"] = wire_address(recipient)
    message["Subject"] = subject
    message["Date"] = formatdate(localtime=False, usegmt=True)
    message["List-Id"] = list_id(settings, kind)
    domain = _ascii_domain(sender.addr_spec)
    if message_id_seed:
        # A hash: stable per row, ASCII whatever the seed holds (contract numbers, names).
        digest = hashlib.sha256(message_id_seed.encode()).hexdigest()[:40]
        message["Message-ID"] = f"<seatwise.{digest}@{domain}>"
    else:
        message["Message-ID"] = make_msgid(domain=domain)
    text = f"{text.rstrip()}\n\n-- \n{_footer_text(settings)}\n"
    message.set_content(text, cte=_unencoded(text))
    if html:
        html = _with_html_footer(html, settings)
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


def settings_link(settings: Settings) -> str:
    """The Settings page's Notifications section (recipients, schedules, thresholds)."""
    return f"{settings.base_url.rstrip('/')}/settings#notifications"


def _footer_text(settings: Settings) -> str:
    return (
        "Seatwise sends this because of your role in licence and contract management.\n"
        "Who receives which e-mail is set by the Seatwise admins, under Settings >\n"
        f"Notifications: {settings_link(settings)} (ask one to change it)."
    )


def _with_html_footer(html: str, settings: Settings) -> str:
    """``html`` with the notification-settings footer at the end of its body."""
    link = html_text.escape(settings_link(settings))
    footer = (
        '<table role="presentation" width="100%" cellpadding="0" cellspacing="0" border="0">'
        '<tr><td align="center" style="padding:0 12px 24px 12px;font-family:Arial,Helvetica,'
        'sans-serif;font-size:12px;line-height:16px;color:#6b7785;">'
        "Who receives which Seatwise e-mail is set by its admins under "
        f'<a href="{link}" style="color:#1f3a5f;">Settings &rsaquo; Notifications</a>'
        " (ask one to change it).</td></tr></table>\n"
    )
    end = html.lower().rfind("</body>")
    return html[:end] + footer + html[end:] if end >= 0 else html + footer


def list_id(settings: Settings, kind: str) -> str:
    """``Seatwise <kind> e-mails <kind.host>`` (RFC 2919), the host from
    SEATWISE_BASE_URL (``localhost`` for an IP address, as the RFC asks)."""
    label = re.sub(r"[^a-z0-9]+", "-", kind.lower()).strip("-") or "notification"
    host = urlsplit(settings.base_url).hostname or "localhost"
    try:
        ipaddress.ip_address(host)
        host = "localhost"
    except ValueError:
        host = _ascii_domain(f"seatwise@{host}")
    return f"Seatwise {kind.replace('_', ' ')} e-mails <{label}.{host}>"


def sender_address(value: str) -> Address:
    """SEATWISE_MAIL_FROM: ``seatwise@acme.example`` or ``Seatwise <seatwise@acme.example>``.

    Raises:
        ValueError: unless ``value`` is exactly one valid address, with or without a
            display name; saying what a valid one looks like.
    """
    header = policy.default.header_factory("From", value.strip())
    addresses = list(getattr(header, "addresses", ()))
    if len(addresses) != 1 or header.defects or not addresses[0].addr_spec:
        raise ValueError(
            f"{value!r} is not one e-mail address (give seatwise@acme.example or "
            "Seatwise <seatwise@acme.example>)"
        )
    address = addresses[0]
    return Address(address.display_name, addr_spec=normalised_address(address.addr_spec))


def wire_address(address: str) -> str:
    """``address`` as it goes in the envelope and the header: its domain in ASCII (IDNA,
    ``büro.example`` → ``xn--bro-hoa.example``), which every server takes; a non-ASCII
    local part stays as it is (it needs SMTPUTF8, see :func:`send_message`).

    Raises:
        MailError: permanent, when ``address`` is not an e-mail address.
    """
    try:
        checked = normalised_address(address)  # Seatwise's rules (internal domains pass)
        valid = validate_email(checked, check_deliverability=False, globally_deliverable=False)
    except (ValueError, EmailNotValidError) as exc:
        raise MailError(
            f"cannot send to {address!r}: {exc}; correct the address where it was set",
            permanent=True,
        ) from None
    return f"{valid.local_part}@{valid.ascii_domain}"


def _ascii_domain(address: str) -> str:
    """The ASCII form of an address's domain, for Message-IDs; ``seatwise.local`` if none."""
    try:
        return validate_email(
            normalised_address(address), check_deliverability=False, globally_deliverable=False
        ).ascii_domain
    except (ValueError, EmailNotValidError):
        return "seatwise.local"


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
            _check_smtputf8(smtp, message, f"{host}:{port}")
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


def _check_smtputf8(smtp: smtplib.SMTP, message: EmailMessage, server: str) -> None:
    """Refuse, for good, an address with a non-ASCII local part when the server lacks
    SMTPUTF8: smtplib would raise an error that reads like an outage, and the e-mail
    would wait for a server that is not down."""
    addresses = [parseaddr(str(message[name] or ""))[1] for name in ("From", "To")]
    international = [a for a in addresses if not a.isascii()]
    if not international:
        return
    smtp.ehlo_or_helo_if_needed()
    if not smtp.has_extn("smtputf8"):
        raise MailError(
            f"cannot send to or from {', '.join(international)}: an address with non-ASCII "
            f"characters before the @ needs SMTPUTF8 (RFC 6531), which the SMTP server "
            f"{server} does not offer; give an ASCII address instead",
            permanent=True,
        )
