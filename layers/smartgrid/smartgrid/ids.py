"""Identifiers and bearer tokens.

A token is `<principal id>.<secret>`: the id says where to look the principal up, and only
the SHA-256 of the whole token is stored.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import uuid

HOUSE_PREFIX = "h-"
PRODUCER_PREFIX = "p-"
COMMUNITY_PREFIX = "c-"
PARTNER_PREFIX = "pa-"


def new_id(prefix: str) -> str:
    return prefix + uuid.uuid4().hex[:12]


def new_token(principal_id: str) -> str:
    return f"{principal_id}.{secrets.token_urlsafe(24)}"


def token_sha256(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def token_matches(token: str, expected_sha256: str) -> bool:
    return hmac.compare_digest(token_sha256(token), expected_sha256)


def principal_of(token: str) -> str | None:
    principal, dot, secret = token.partition(".")
    return principal if dot and secret else None
