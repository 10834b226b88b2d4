"""The random draws behind the fake company: ids, e-mails, dates and activity.

One ``Drawer`` wraps the seeded ``random.Random`` so every draw happens in a fixed
order and the company stays deterministic.
"""

from __future__ import annotations

import random
import uuid
from collections import Counter
from datetime import UTC, date, datetime, time, timedelta

from connectors.sandbox.vocabulary import COMPANY_NAMES

DAY = 86_400.0
# Microsoft only fills lastSuccessfulSignInDateTime from this date on (not backfilled).
SUCCESSFUL_SIGN_IN_SINCE = datetime(2023, 12, 1, tzinfo=UTC)

# Activity profiles: (weight, days-ago low, days-ago high); None = never used.
PROFILES: tuple[tuple[float, tuple[int, int] | None], ...] = (
    (0.62, (0, 7)),
    (0.12, (8, 30)),
    (0.08, (31, 89)),
    (0.08, (91, 400)),
    (0.10, None),
)
PROFILE_WEIGHTS = [w for w, _ in PROFILES]
NEVER = len(PROFILES) - 1


class Drawer:
    """Seeded random draws for one company."""

    def __init__(self, *, seed: int, today: date) -> None:
        self.rng = random.Random(seed)
        self.today = today
        self.ref = datetime.combine(today, time(0, 0), UTC)
        self.name, self.domain = COMPANY_NAMES[seed % len(COMPANY_NAMES)]
        self._emails: Counter[str] = Counter()
        self._slack_serial = 0
        self._google_serial = 0

    # ------------------------------------------------------------------ identifiers

    def uid(self) -> str:
        """Return a random (seeded) GUID."""
        return str(uuid.UUID(int=self.rng.getrandbits(128), version=4))

    def email_for(self, given: str, family: str, domain: str) -> str:
        """Return a unique lower-case ``given.family@domain`` address."""
        base = f"{given}.{family}".lower()
        self._emails[f"{base}@{domain}"] += 1
        n = self._emails[f"{base}@{domain}"]
        return f"{base}{n}@{domain}" if n > 1 else f"{base}@{domain}"

    def cased(self, email: str, probability: float) -> str:
        """Return ``email`` with capitalised name parts, some of the time."""
        if self.rng.random() >= probability:
            return email
        local, _, domain = email.partition("@")
        return ".".join(part.capitalize() for part in local.split(".")) + "@" + domain

    def slack_id(self) -> str:
        """Return the next Slack member id (``U0…``; bot users have ``U`` ids too)."""
        self._slack_serial += 1
        return f"U0{self._slack_serial + 0x1A2B000:08X}"

    def google_id(self) -> str:
        """Return the next Google directory user id (a long decimal)."""
        self._google_serial += 1
        return str(103_400_000_000_000_000_000 + self._google_serial * 7919)

    # ------------------------------------------------------------------ dates

    def ago(self, lo_days: float, hi_days: float, *, end: datetime | None = None) -> datetime:
        """Return a whole-second time between ``hi_days`` and ``lo_days`` before ``end``."""
        end = end or self.ref
        seconds = self.rng.uniform(lo_days * DAY, hi_days * DAY)
        return (end - timedelta(seconds=seconds)).replace(microsecond=0)

    def created(self, *, recent_hire: bool) -> datetime:
        """Return when an account was created: recent hires within 30 days."""
        return self.ago(1, 29) if recent_hire else self.ago(45, 6 * 365)

    def left_at(self, created: datetime) -> datetime:
        """Return when a leaver left: 3 to 200 days ago, after they joined."""
        left = self.ago(3, 200)
        return max(left, min(created + timedelta(days=30), self.ref - timedelta(days=1)))

    def profile(self) -> int:
        """Draw an activity profile (an index into ``PROFILES``)."""
        return self.rng.choices(range(len(PROFILES)), PROFILE_WEIGHTS)[0]

    def last_active(
        self, created: datetime, profile: int, *, until: datetime | None = None
    ) -> datetime | None:
        """Return the last activity for ``profile``, never before ``created``.

        Leavers (``until`` = when they left) were mostly active until shortly before.
        """
        if until is not None:
            if self.rng.random() < 0.05:
                return None
            t = self.ago(0, 20, end=until)
        else:
            span = PROFILES[profile][1]
            if span is None:
                return None
            t = self.ago(span[0], span[1] + 1 if span[0] == 0 else span[1])
        end = until or self.ref
        if t < created:
            t = min(created + timedelta(hours=self.rng.uniform(1, 48)), end)
        return t.replace(microsecond=0)


def sign_in_fields(
    rng: random.Random, last: datetime | None, *, mode: int | None = None
) -> tuple[datetime | None, datetime | None, datetime | None]:
    """Spread one last-activity time over Graph's three sign-in fields.

    The latest of the three is always ``last``; which field holds it varies, as in
    real tenants (service sign-ins are non-interactive; the successful field is not
    backfilled before December 2023).

    Returns:
        (lastSignInDateTime, lastNonInteractiveSignInDateTime,
        lastSuccessfulSignInDateTime)
    """
    if last is None:
        return None, None, None
    if mode is None:
        mode = rng.choices((0, 1, 2, 3), (0.5, 0.3, 0.1, 0.1))[0]
    earlier = (last - timedelta(seconds=rng.uniform(3600, 5 * DAY))).replace(microsecond=0)
    successful = last if last >= SUCCESSFUL_SIGN_IN_SINCE else None
    if mode == 0:  # interactive is the latest
        return last, earlier, successful
    if mode == 1:  # a background token refresh is the latest
        return earlier, last, successful
    if mode == 2:  # only non-interactive sign-ins
        return None, last, None
    # only the successful-sign-in field holds the latest time
    return (earlier, None, last) if successful else (last, None, None)
