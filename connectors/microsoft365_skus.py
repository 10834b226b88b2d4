"""Microsoft 365 SKUs: friendly names by part number, and a subscribed SKU as a product.

Graph names a licence only by its part number (``ENTERPRISEPACK``); people know it as
"Office 365 E3". The names come from the app catalogue when it is installed, else from
the built-in few below.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from connectors.base import ConnectorDataError, ProductRecord

# Used when the app catalogue (analytics.catalog) is not installed.
FALLBACK_SKU_NAMES = {
    "ENTERPRISEPACK": "Office 365 E3",
    "ENTERPRISEPREMIUM": "Office 365 E5",
    "STANDARDPACK": "Office 365 E1",
    "SPE_E3": "Microsoft 365 E3",
    "SPE_E5": "Microsoft 365 E5",
    "SPE_F1": "Microsoft 365 F3",
    "O365_BUSINESS_ESSENTIALS": "Microsoft 365 Business Basic",
    "O365_BUSINESS_PREMIUM": "Microsoft 365 Business Standard",
    "SPB": "Microsoft 365 Business Premium",
    "EMS": "Enterprise Mobility + Security E3",
    "POWER_BI_PRO": "Power BI Pro",
    "POWER_BI_STANDARD": "Power BI (free)",
    "FLOW_FREE": "Power Automate Free",
    "VISIOCLIENT": "Visio Plan 2",
    "PROJECTPROFESSIONAL": "Project Plan 3",
    "TEAMS_EXPLORATORY": "Microsoft Teams Exploratory",
}


@cache
def sku_names() -> dict[str, str]:
    """Friendly names by SKU part number: the app catalogue's, else a built-in few."""
    try:
        from analytics.catalog import microsoft_sku_names  # type: ignore[attr-defined,unused-ignore]

        names = dict(microsoft_sku_names())
    except Exception:  # the catalogue is optional for the connector
        return dict(FALLBACK_SKU_NAMES)
    return {**FALLBACK_SKU_NAMES, **names}


def sku_product(sku: dict[str, Any], names: dict[str, str]) -> ProductRecord:
    """A subscribed SKU (an item of Graph's ``subscribedSkus``) as a product record.

    Args:
        sku: The SKU as Graph sent it.
        names: Friendly names by part number (:func:`sku_names`).

    Raises:
        ConnectorDataError: The SKU has no ``skuId``.
    """
    try:
        sku_id = str(sku["skuId"])
        part = str(sku.get("skuPartNumber") or sku_id)
    except (KeyError, TypeError) as exc:
        raise ConnectorDataError(f"Microsoft Graph sent a SKU without skuId: {sku!r}") from exc
    prepaid = sku.get("prepaidUnits") or {}
    return ProductRecord(
        external_id=sku_id,
        name=names.get(part, part),
        sku=part,
        seats_purchased=prepaid.get("enabled"),
        seats_consumed=sku.get("consumedUnits"),
        status=str(sku.get("capabilityStatus") or "Enabled").lower(),
    )
