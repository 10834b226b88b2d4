"""E-mail address syntax checks shared by settings, imports and the notification settings.

Seatwise is an internal tool: its recipients and contract owners are a company's own
addresses, which may live on internal or test domains (``corp.local``, ``acme.test``,
``localhost`` for a relay). ``email_validator`` refuses those by default as special-use
names; its documented switch is the module-level ``SPECIAL_USE_DOMAIN_NAMES`` list,
emptied here once. No DNS lookups: deliverability is the SMTP server's job.
"""

from __future__ import annotations

import email_validator
from email_validator import EmailNotValidError, validate_email

from app.core.errors import InvalidInputError

email_validator.SPECIAL_USE_DOMAIN_NAMES[:] = []


def normalised_address(address: str) -> str:
    """A syntactically valid address, lower-cased.

    Raises:
        ValueError: naming the address and what is wrong with it.
    """
    text = address.strip()
    try:
        valid = validate_email(text, check_deliverability=False, globally_deliverable=False)
    except EmailNotValidError as exc:
        raise ValueError(f"{text!r} is not an e-mail address ({exc})") from None
    return valid.normalized.lower()


def checked_address(address: str, what: str) -> str:
    """:func:`normalised_address` for a value a user gave (a form, the API, the CLI).

    Raises:
        InvalidInputError: naming ``what`` (the field) and what is wrong with the address.
    """
    try:
        return normalised_address(address)
    except ValueError as exc:
        raise InvalidInputError(f"{what}: {exc}") from None
