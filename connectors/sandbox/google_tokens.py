"""The Google sandbox's OAuth side: its service account key and the jwt-bearer grant.

The simulator generates its own RSA key, hands the matching JSON key to the connector,
and verifies each RS256 assertion against it exactly as Google's token endpoint would:
signature, issuer, lifetime, then whether the impersonated ``sub`` may be delegated to
for the requested scopes.
"""

from __future__ import annotations

import base64
import binascii
import json
import secrets
import time
from dataclasses import dataclass
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

JWT_BEARER = "urn:ietf:params:oauth:grant-type:jwt-bearer"
_MAX_LIFETIME = 3600
_SKEW = 300


class TokenRefused(Exception):
    """The token request is refused with an OAuth ``error`` code and HTTP status."""

    def __init__(self, status: int, error: str, description: str) -> None:
        super().__init__(f"{error}: {description}")
        self.status = status
        self.error = error
        self.description = description

    def body(self) -> dict[str, str]:
        """The JSON body Google's token endpoint answers with."""
        return {"error": self.error, "error_description": self.description}


@dataclass(frozen=True, slots=True)
class Grant:
    """An access token the sandbox issued."""

    subject: str
    scopes: frozenset[str]
    expires_at: float


class ServiceAccount:
    """A service account whose key only this sandbox knows."""

    def __init__(self, *, project_id: str, client_id: str) -> None:
        self.project_id = project_id
        self.client_id = client_id
        self.client_email = f"seatwise-sync@{project_id}.iam.gserviceaccount.com"
        self.key_id = secrets.token_hex(20)
        self._key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self._public = self._key.public_key()
        self.grants: dict[str, Grant] = {}

    def key_json(self, token_uri: str) -> dict[str, Any]:
        """Return the JSON key file a Google Cloud console would offer for download."""
        pem = self._key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        ).decode()
        return {
            "type": "service_account",
            "project_id": self.project_id,
            "private_key_id": self.key_id,
            "private_key": pem,
            "client_email": self.client_email,
            "client_id": self.client_id,
            "auth_uri": "https://accounts.google.com/o/oauth2/auth",
            "token_uri": token_uri,
            "auth_provider_x509_cert_url": "https://www.googleapis.com/oauth2/v1/certs",
            "client_x509_cert_url": "",
            "universe_domain": "googleapis.com",
        }

    def verify_assertion(self, assertion: str) -> dict[str, Any]:
        """Check an RS256 JWT assertion and return its claims.

        Raises:
            TokenRefused: invalid_grant for a bad signature, issuer or lifetime.
        """
        parts = assertion.split(".")
        if len(parts) != 3:
            raise TokenRefused(400, "invalid_grant", "Invalid JWT: not a compact JWS.")
        try:
            header = json.loads(_b64decode(parts[0]))
            claims = json.loads(_b64decode(parts[1]))
            signature = _b64decode(parts[2])
        except (ValueError, binascii.Error) as exc:
            raise TokenRefused(400, "invalid_grant", f"Invalid JWT: {exc}") from exc
        if not isinstance(header, dict) or header.get("alg") != "RS256":
            raise TokenRefused(400, "invalid_grant", "Invalid JWT: alg must be RS256.")
        try:
            self._public.verify(
                signature,
                f"{parts[0]}.{parts[1]}".encode("ascii"),
                padding.PKCS1v15(),
                hashes.SHA256(),
            )
        except InvalidSignature as exc:
            raise TokenRefused(400, "invalid_grant", "Invalid JWT Signature.") from exc
        if not isinstance(claims, dict) or claims.get("iss") != self.client_email:
            raise TokenRefused(400, "invalid_grant", "Invalid JWT: unknown issuer.")
        now = time.time()
        iat, exp = claims.get("iat"), claims.get("exp")
        if not isinstance(iat, int | float) or not isinstance(exp, int | float):
            raise TokenRefused(400, "invalid_grant", "Invalid JWT: iat and exp are required.")
        if exp - iat > _MAX_LIFETIME or exp < now - _SKEW or iat > now + _SKEW:
            raise TokenRefused(
                400,
                "invalid_grant",
                "Invalid JWT: Token must be a short-lived token (60 minutes) and in a "
                "reasonable timeframe. Check your iat and exp values in the JWT claim.",
            )
        return claims

    def issue(self, subject: str, scopes: frozenset[str]) -> dict[str, Any]:
        """Issue an access token for ``subject`` holding ``scopes``."""
        token = "ya29.sandbox-" + secrets.token_urlsafe(24)
        self.grants[token] = Grant(subject, scopes, time.time() + 3599)
        return {"access_token": token, "expires_in": 3599, "token_type": "Bearer"}

    def grant_for(self, authorization: str | None) -> Grant | None:
        """Return the live grant behind an ``Authorization: Bearer`` header, if any."""
        if not authorization or not authorization.lower().startswith("bearer "):
            return None
        grant = self.grants.get(authorization[7:].strip())
        if grant is None or grant.expires_at < time.time():
            return None
        return grant


def _b64decode(part: str) -> bytes:
    return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))
