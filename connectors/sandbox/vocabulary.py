"""Fixed vocabularies the fake company is drawn from: names, departments, SKUs.

Kept apart from the generator so the rules in ``company.py`` stay readable.
"""

from __future__ import annotations

from dataclasses import dataclass

COMPANY_NAMES: tuple[tuple[str, str], ...] = (
    ("Contoso", "contoso.example"),
    ("Fabrikam", "fabrikam.example"),
    ("Northwind Traders", "northwind.example"),
    ("Tailspin Toys", "tailspin.example"),
    ("Woodgrove Bank", "woodgrove.example"),
    ("Adventure Works", "adventure-works.example"),
    ("Litware", "litware.example"),
    ("Proseware", "proseware.example"),
)

GUEST_DOMAINS: tuple[str, ...] = (
    "partner.example",
    "agency.example",
    "consulting.example",
    "auditors.example",
)

GIVEN_NAMES: tuple[str, ...] = (
    "Ada", "Adele", "Alex", "Alice", "Amir", "Ana", "Anna", "Ben", "Bianca", "Carlos",
    "Chen", "Chloe", "Dan", "Diego", "Elena", "Emma", "Farah", "Felix", "Grace", "Hana",
    "Hugo", "Ines", "Isaac", "Ivy", "Jack", "Jana", "Jonas", "Julia", "Kai", "Kenji",
    "Lara", "Leo", "Lina", "Lucas", "Maya", "Megan", "Mia", "Nadia", "Noah", "Omar",
    "Olga", "Pablo", "Priya", "Rafael", "Rosa", "Sam", "Sara", "Sofia", "Tariq", "Theo",
    "Uma", "Victor", "Wei", "Yara", "Yusuf", "Zoe",
)  # fmt: skip

FAMILY_NAMES: tuple[str, ...] = (
    "Adams", "Ahmed", "Becker", "Bowen", "Brown", "Castro", "Chen", "Costa", "Dubois",
    "Evans", "Fischer", "Garcia", "Gupta", "Hansen", "Ito", "Jensen", "Khan", "Kim",
    "Kowalski", "Larsen", "Lee", "Lopez", "Martin", "Meyer", "Moreau", "Nguyen", "Novak",
    "Okafor", "Olsen", "Patel", "Perez", "Rossi", "Santos", "Schmidt", "Silva", "Singh",
    "Smith", "Suzuki", "Tanaka", "Vance", "Wagner", "Wang", "Weber", "Wilson", "Young",
    "Zhang",
)  # fmt: skip

# (department, cost centre, share of headcount); the Google org unit is "/<department>".
DEPARTMENTS: tuple[tuple[str, str, float], ...] = (
    ("Engineering", "CC-1100", 0.26),
    ("Sales", "CC-1200", 0.17),
    ("Marketing", "CC-1300", 0.09),
    ("Customer Support", "CC-1400", 0.12),
    ("Finance", "CC-1500", 0.06),
    ("People", "CC-1600", 0.05),
    ("Operations", "CC-1700", 0.10),
    ("IT", "CC-1800", 0.05),
    ("Legal", "CC-1900", 0.03),
    ("Product", "CC-2000", 0.07),
)

TITLES: dict[str, tuple[str, ...]] = {
    "Engineering": ("Software Engineer", "Senior Software Engineer", "Staff Engineer", "SRE"),
    "Sales": ("Account Executive", "Sales Development Rep", "Account Manager"),
    "Marketing": ("Marketing Manager", "Content Strategist", "Designer"),
    "Customer Support": ("Support Agent", "Support Specialist"),
    "Finance": ("Accountant", "Financial Analyst", "Controller"),
    "People": ("HR Partner", "Recruiter"),
    "Operations": ("Operations Analyst", "Office Manager", "Logistics Coordinator"),
    "IT": ("IT Administrator", "Service Desk Analyst", "Security Engineer"),
    "Legal": ("Counsel", "Paralegal"),
    "Product": ("Product Manager", "UX Researcher", "Product Designer"),
}


@dataclass(frozen=True, slots=True)
class SkuSpec:
    """A Microsoft 365 SKU the fake tenant may own."""

    part_number: str
    sku_id: str
    friendly_name: str
    free: bool = False


M365_SKUS: tuple[SkuSpec, ...] = (
    SkuSpec("SPE_E3", "05e9a617-0261-4cee-bb44-138d3ef5d965", "Microsoft 365 E3"),
    SkuSpec("SPE_E5", "06ebc4ee-1bb5-47dd-8120-11324bc54e06", "Microsoft 365 E5"),
    SkuSpec("ENTERPRISEPACK", "6fd2c87f-b296-42f0-b197-1e91e994b900", "Office 365 E3"),
    SkuSpec("EMS", "efccb6f7-5641-4e0e-bd10-b4976e1bf68e", "Enterprise Mobility + Security E3"),
    SkuSpec("POWER_BI_PRO", "f8a1db68-be16-40ed-86d5-cb42ce701560", "Power BI Pro"),
    SkuSpec("VISIOCLIENT", "c5928f49-12ba-48f7-ada3-0d743a3601d5", "Visio Plan 2"),
    SkuSpec("PROJECTPROFESSIONAL", "53818b1b-4a27-454b-8896-0dba576410e6", "Project Plan 3"),
    SkuSpec(
        "POWER_BI_STANDARD", "a403ebcc-fae0-4ca2-8c8c-7a907fd6c235", "Power BI (free)", free=True
    ),
    SkuSpec("FLOW_FREE", "f30db892-07e9-47e9-837c-80727f46fd3d", "Power Automate Free", free=True),
)

# Google Workspace SKUs (product Google-Apps) a person may hold.
GOOGLE_PRODUCT_ID = "Google-Apps"
GOOGLE_SKUS: dict[str, str] = {
    "1010020027": "Google Workspace Business Starter",
    "1010020028": "Google Workspace Business Standard",
    "1010020025": "Google Workspace Business Plus",
}
