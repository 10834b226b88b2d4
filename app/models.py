"""Import every domain's tables so ``SQLModel.metadata`` is complete (Alembic, tests)."""

from sqlmodel import SQLModel

from app.auth.models import ApiToken, AuditLog, LoginFailure, LoginSession, User
from app.findings.models import CatalogEntry, Finding, Policy
from app.inventory.models import Application, Product, Subscription, Vendor
from app.notify.models import JobRun, Notification, NotificationSetting
from app.people.models import Account, Assignment, Person, PersonAlias
from app.renewals.models import RenewalTask
from app.spend.models import Budget, FxRate, Invoice
from app.sync.models import ConnectorConfig, SyncIndex, SyncIndexData, SyncRun
from app.usage.models import UsageDaily

metadata = SQLModel.metadata

__all__ = [
    "Account",
    "ApiToken",
    "Application",
    "Assignment",
    "AuditLog",
    "Budget",
    "CatalogEntry",
    "ConnectorConfig",
    "Finding",
    "FxRate",
    "Invoice",
    "JobRun",
    "LoginFailure",
    "LoginSession",
    "Notification",
    "NotificationSetting",
    "Person",
    "PersonAlias",
    "Policy",
    "Product",
    "RenewalTask",
    "Subscription",
    "SyncIndex",
    "SyncIndexData",
    "SyncRun",
    "UsageDaily",
    "User",
    "Vendor",
    "metadata",
]
