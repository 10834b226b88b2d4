"""Google Workspace connector: Directory accounts and Licence Manager seats.

Signs in as a service account with domain-wide delegation acting as an admin
(``subject``), reads the Directory's ``users.list`` and the Enterprise License Manager's
``listForProduct`` for each configured product, and streams records. How a Directory
user maps to an account is :mod:`connectors.google_directory`.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, ClassVar, cast

from pydantic import Field, field_validator

from connectors.base import (
    AccountRecord,
    AliasRecord,
    AssignmentRecord,
    CaBundleField,
    Connector,
    ConnectorConfig,
    ConnectorConfigError,
    ConnectorDataError,
    ProductRecord,
    Record,
    SecretField,
    SyncWarning,
    http_root_url,
)
from connectors.ca_bundle import ca_bundle_path
from connectors.google_api import (
    DIRECTORY_SCOPE,
    LICENSING_SCOPE,
    GoogleTransport,
    RetryPolicy,
    make_credentials,
    parse_service_account_key,
)
from connectors.google_directory import user_account, user_aliases

_USERS_PAGE = 500
_LICENCES_PAGE = 1000


class GoogleWorkspaceConfig(ConnectorConfig):
    """Settings of a Google Workspace connector."""

    service_account_key: dict[str, Any] | str = SecretField(
        title="Service account key",
        description="The whole JSON key file of a service account with domain-wide "
        "delegation (its token_uri is used as given).",
    )
    subject: str = Field(
        title="Admin to act as",
        description="E-mail of a Workspace admin the service account impersonates.",
    )
    customer_id: str = Field(
        default="my_customer",
        title="Customer ID",
        description="Directory customer ID (C0…); my_customer means the admin's own account.",
    )
    domain: str | None = Field(
        default=None,
        title="Primary domain",
        description="Primary domain, used as the Licence Manager's customer ID.",
    )
    license_products: list[str] = Field(
        default_factory=lambda: ["Google-Apps"],
        min_length=1,
        title="Licence products",
        description="Licence Manager product IDs to read (e.g. Google-Apps, 101031).",
    )
    directory_url: str = Field(
        default="https://admin.googleapis.com/",
        title="Directory API URL",
        description="Root of the Admin SDK Directory API.",
    )
    licensing_url: str = Field(
        default="https://licensing.googleapis.com/",
        title="Licence Manager URL",
        description="Root of the Enterprise License Manager API.",
    )
    ca_bundle: str | None = CaBundleField(
        description="PEM file (or PEM text) of CA certificates to trust, for every call.",
    )

    @field_validator("subject")
    @classmethod
    def _subject_is_email(cls, value: str) -> str:
        value = value.strip()
        if "@" not in value:
            raise ValueError(f"subject must be an admin's e-mail address, got {value!r}")
        return value

    @field_validator("directory_url", "licensing_url")
    @classmethod
    def _url_is_http(cls, value: str) -> str:
        return http_root_url(value)


@dataclass
class _Sku:
    """One (productId, skuId) pair and how many licence items it has."""

    name: str
    sku: str
    items: int = 0


@dataclass
class _Licences:
    """Licence items read up front, so products stream before accounts."""

    skus: dict[str, _Sku] = field(default_factory=dict)
    by_email: dict[str, list[str]] = field(default_factory=dict)


class GoogleWorkspaceConnector(Connector):
    """Reads Google Workspace users and licence assignments."""

    kind: ClassVar[str] = "google_workspace"
    plain_values: ClassVar[bool] = True  # every value comes from the Admin SDK's JSON
    title: ClassVar[str] = "Google Workspace"
    config_model: ClassVar[type[ConnectorConfig]] = GoogleWorkspaceConfig

    def __init__(
        self,
        config: ConnectorConfig,
        *,
        retry: RetryPolicy | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        """``retry`` and ``sleep``: how long and by what calls wait (tests pass fakes)."""
        if not isinstance(config, GoogleWorkspaceConfig):
            raise ConnectorConfigError("GoogleWorkspaceConnector needs a GoogleWorkspaceConfig.")
        super().__init__(config)
        self.settings = config
        self.retry = retry or RetryPolicy()
        self.sleep = sleep

    @classmethod
    def check_settings(cls, config: ConnectorConfig) -> None:
        """Also refuse a service account key that is not one (not JSON, fields missing, a
        private key that does not load): found when it is added, not at the first sync."""
        super().check_settings(config)
        settings = cast(GoogleWorkspaceConfig, config)
        info = parse_service_account_key(settings.service_account_key)
        make_credentials(info, settings.subject)

    def check(self) -> str:
        """Sign in, read one Directory user and one page of licences.

        Returns:
            A one-line summary of what the credentials can read.
        """
        transport = self._transport()
        directory = transport.service("admin", "directory_v1", self.settings.directory_url)
        page = transport.execute(
            directory.users().list(customer=self.settings.customer_id, maxResults=1),
            what="the Directory's user list",
            scope=DIRECTORY_SCOPE,
        )
        customer = self._licensing_customer(page)
        licensing = transport.service("licensing", "v1", self.settings.licensing_url)
        product = self.settings.license_products[0]
        transport.execute(
            licensing.licenseAssignments().listForProduct(
                productId=product, customerId=customer, maxResults=1
            ),
            what=f"the licences of product {product}",
            scope=LICENSING_SCOPE,
        )
        return (
            f"Signed in to Google Workspace as {self.settings.subject}; the Directory and "
            f"licences of {customer} are readable."
        )

    def fetch(self) -> Iterator[Record]:
        """Stream SKUs, then each user followed by their licence assignments.

        Yields:
            ProductRecord per (productId, skuId), AccountRecord per Directory user each
            followed by an AliasRecord per alias and its AssignmentRecords, and
            SyncWarnings.
        """
        transport = self._transport()
        directory = transport.service("admin", "directory_v1", self.settings.directory_url)
        users = directory.users()
        first = transport.execute(
            users.list(customer=self.settings.customer_id, maxResults=_USERS_PAGE),
            what="the Directory's user list",
            scope=DIRECTORY_SCOPE,
        )
        licences = self._read_licences(transport, self._licensing_customer(first))
        for external_id, sku in licences.skus.items():
            yield ProductRecord(
                external_id=external_id,
                name=sku.name,
                sku=sku.sku,
                seats_purchased=None,
                seats_consumed=sku.items,
            )
        page: dict[str, Any] = first
        seen_tokens: set[str] = set()
        while True:
            for user in _list_of(page, "users", "the Directory's user list"):
                account = user_account(user)
                yield account
                for alias in user_aliases(user, account):
                    yield AliasRecord(account_external_id=account.external_id, email=alias)
                for product_id in _pop_licences(licences, account, user):
                    yield AssignmentRecord(
                        account_external_id=account.external_id, product_external_id=product_id
                    )
            token = _next_token(page, seen_tokens, "the Directory's user list")
            if token is None:
                break
            page = transport.execute(
                users.list(
                    customer=self.settings.customer_id, maxResults=_USERS_PAGE, pageToken=token
                ),
                what="the Directory's user list",
                scope=DIRECTORY_SCOPE,
            )
        orphans = sorted(licences.by_email)
        if orphans:
            shown = ", ".join(orphans[:5]) + (" …" if len(orphans) > 5 else "")
            yield SyncWarning(
                f"{len(orphans)} Google licence holder(s) are not in the Directory ({shown}); "
                "their seats are counted but not linked to an account."
            )

    # ------------------------------------------------------------------ internals

    def _transport(self) -> GoogleTransport:
        info = parse_service_account_key(self.settings.service_account_key)
        transport = GoogleTransport(
            info,
            self.settings.subject,
            ca_bundle_path(self.settings.ca_bundle),
            self.retry,
            sleep=self.sleep,
        )
        transport.sign_in()
        return transport

    def _licensing_customer(self, first_users_page: dict[str, Any]) -> str:
        """Pick the Licence Manager's customerId, which refuses ``my_customer``."""
        if self.settings.domain:
            return self.settings.domain
        if self.settings.customer_id != "my_customer":
            return self.settings.customer_id
        for user in first_users_page.get("users") or []:
            if isinstance(user, dict) and user.get("customerId"):
                return str(user["customerId"])
        return self.settings.subject.rpartition("@")[2]

    def _read_licences(self, transport: GoogleTransport, customer: str) -> _Licences:
        service = transport.service("licensing", "v1", self.settings.licensing_url)
        assignments = service.licenseAssignments()
        out = _Licences()
        for product in self.settings.license_products:
            what = f"the licences of product {product}"
            token: str | None = None
            seen: set[str] = set()
            while True:
                kwargs: dict[str, Any] = {
                    "productId": product,
                    "customerId": customer,
                    "maxResults": _LICENCES_PAGE,
                }
                if token:
                    kwargs["pageToken"] = token
                page = transport.execute(
                    assignments.listForProduct(**kwargs), what=what, scope=LICENSING_SCOPE
                )
                for item in _list_of(page, "items", what):
                    _add_licence(out, item, what)
                token = _next_token(page, seen, what)
                if token is None:
                    break
        return out


def _add_licence(out: _Licences, item: Any, what: str) -> None:
    if not isinstance(item, dict):
        raise ConnectorDataError(f"Google returned a licence in {what} that is not an object.")
    product_id, sku_id, user_id = item.get("productId"), item.get("skuId"), item.get("userId")
    if not (product_id and sku_id and user_id):
        raise ConnectorDataError(
            f"Google returned a licence in {what} without productId, skuId or userId: {item!r}."
        )
    external_id = f"{product_id}/{sku_id}"
    sku = out.skus.get(external_id)
    if sku is None:
        sku = out.skus[external_id] = _Sku(name=str(item.get("skuName") or sku_id), sku=sku_id)
    sku.items += 1
    held = out.by_email.setdefault(str(user_id).strip().lower(), [])
    if external_id not in held:
        held.append(external_id)


def _pop_licences(licences: _Licences, account: AccountRecord, user: dict[str, Any]) -> list[str]:
    """Take the licences held under the user's primary address or one of its aliases."""
    held: list[str] = []
    addresses = [account.email or "", *user_aliases(user, account)]
    for address in addresses:
        for product_id in licences.by_email.pop(address, []):
            if product_id not in held:
                held.append(product_id)
    return held


def _list_of(page: dict[str, Any], key: str, what: str) -> list[Any]:
    value = page.get(key)
    if value is None:
        return []
    if not isinstance(value, list):
        raise ConnectorDataError(f"Google answered {what} with '{key}' that is not a list.")
    return value


def _next_token(page: dict[str, Any], seen: set[str], what: str) -> str | None:
    token = page.get("nextPageToken")
    if not token:
        return None
    token = str(token)
    if token in seen:
        raise ConnectorDataError(
            f"Google repeated the page token of {what}; stopping instead of looping forever."
        )
    seen.add(token)
    return token
