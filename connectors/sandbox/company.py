"""A seeded fake company: the people, and what each vendor knows about them.

The three simulators (Microsoft Graph, Google Workspace, Slack) serve views of the
same ``Company``, so cross-source facts (leavers still billed in Slack, different
e-mail casing per source, guests with paid seats) line up the way they do in real
tenants. Everything is derived from ``random.Random(seed)`` and ``today``: the same
arguments give the same company.
"""

from __future__ import annotations

from datetime import date

from connectors.sandbox.accounts import add_accounts
from connectors.sandbox.company_model import (
    Company,
    Department,
    GoogleFacts,
    M365Facts,
    Person,
    SlackFacts,
    TenantSku,
)
from connectors.sandbox.draw import Drawer
from connectors.sandbox.vocabulary import (
    DEPARTMENTS,
    FAMILY_NAMES,
    GIVEN_NAMES,
    GUEST_DOMAINS,
    TITLES,
)

BOTS = ("Deploy Bot", "Jira Cloud", "GitHub", "Standup Bot")


def generate_company(*, seed: int, size: int, today: date) -> Company:
    """Draw a deterministic fake company.

    Args:
        seed: Random seed; the same seed, size and day give the same company.
        size: Number of employees; guests (~3 %), contractors (~2 %, Slack or
            Google only) and a few Slack bots come on top.
        today: The day the company is observed; every time is before it.

    Returns:
        The company with its people, their accounts in each source, and the
        Microsoft 365 SKUs of its tenant.
    """
    if size < 1:
        raise ValueError("size must be at least 1")
    d = Drawer(seed=seed, today=today)
    tenant_id = d.uid()
    persons = _employees(d, size)
    heads = {p.department: p.id for p in persons if (p.title or "").startswith("Head of ")}
    departments = [
        Department(name=name, cost_centre=cc, head_id=heads.get(name))
        for name, cc, _ in DEPARTMENTS
    ]
    persons += _outsiders(d, size, first_index=len(persons) + 1)
    m365_skus = add_accounts(d, persons)
    return Company(
        name=d.name,
        domain=d.domain,
        tenant_id=tenant_id,
        today=today,
        seed=seed,
        departments=departments,
        persons=persons,
        m365_skus=m365_skus,
    )


def _employees(d: Drawer, size: int) -> list[Person]:
    """Draw the staff: a CEO, department heads, team leads and their reports."""
    persons: list[Person] = []
    heads: dict[str, str] = {}
    leads: dict[str, list[str]] = {name: [] for name, _, _ in DEPARTMENTS}
    names = [name for name, _, _ in DEPARTMENTS]
    weights = [share for _, _, share in DEPARTMENTS]
    cost_centre = {name: cc for name, cc, _ in DEPARTMENTS}
    for i in range(size):
        pid = f"p{i + 1:05d}"
        given, family = d.rng.choice(GIVEN_NAMES), d.rng.choice(FAMILY_NAMES)
        manager: str | None
        if i == 0:
            dept, manager, title = "Operations", None, "Chief Executive Officer"
        elif i <= len(DEPARTMENTS) and i <= max(1, size // 5):
            dept, manager, title = names[i - 1], persons[0].id, f"Head of {names[i - 1]}"
            heads[dept] = pid
        else:
            dept = d.rng.choices(names, weights)[0]
            boss = heads.get(dept, persons[0].id)
            if d.rng.random() < 0.12:
                manager, title = boss, f"{dept} Team Lead"
                leads[dept].append(pid)
            else:
                manager = d.rng.choice([boss, *leads[dept][-5:]])
                title = d.rng.choice(TITLES[dept])
        created = d.created(recent_hire=i > 0 and d.rng.random() < 0.03)
        leaver = i > 0 and d.rng.random() < 0.06
        persons.append(
            Person(
                id=pid,
                given_name=given,
                family_name=family,
                display_name=f"{given} {family}",
                email=d.email_for(given, family, d.domain),
                department=dept,
                cost_centre=cost_centre[dept],
                manager_id=manager,
                title=title,
                created_at=created,
                status="leaver" if leaver else "active",
                left_at=d.left_at(created) if leaver else None,
                is_guest=False,
            )
        )
    return persons


def _outsiders(d: Drawer, size: int, *, first_index: int) -> list[Person]:
    """Draw guests (external e-mail), contractors (one source only) and Slack bots."""
    out: list[Person] = []
    n_guests = max(2, size * 3 // 100)
    n_contractors = max(2, size * 2 // 100)
    for k in range(n_guests + n_contractors):
        guest = k < n_guests
        given, family = d.rng.choice(GIVEN_NAMES), d.rng.choice(FAMILY_NAMES)
        domain = d.rng.choice(GUEST_DOMAINS) if guest else d.domain
        out.append(
            Person(
                id=f"p{first_index + len(out):05d}",
                given_name=given,
                family_name=family,
                display_name=f"{given} {family}" + (" (Guest)" if guest else ""),
                email=d.email_for(given, family, domain),
                department=None if guest else d.rng.choice(("Engineering", "Marketing")),
                cost_centre=None,
                manager_id=None,
                title="Guest" if guest else "Contractor",
                created_at=d.created(recent_hire=False),
                status="active",
                left_at=None,
                is_guest=guest,
            )
        )
    for bot in BOTS:
        slug = bot.lower().replace(" ", "-")
        out.append(
            Person(
                id=f"p{first_index + len(out):05d}",
                given_name=bot,
                family_name="",
                display_name=bot,
                email=f"{slug}@bots.{d.domain}",
                department=None,
                cost_centre=None,
                manager_id=None,
                title="Bot",
                created_at=d.created(recent_hire=False),
                status="active",
                left_at=None,
                is_guest=False,
            )
        )
    return out


__all__ = [
    "Company",
    "Department",
    "GoogleFacts",
    "M365Facts",
    "Person",
    "SlackFacts",
    "TenantSku",
    "generate_company",
]
