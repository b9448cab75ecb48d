"""Who is calling, and whether a route lets them in.

Every route names the principals it admits (see `api.GridApi`); anything else gets 401
(no or unknown token) or 403 (a known caller, someone else's data).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from smartgrid.errors import Forbidden, Unauthorized
from smartgrid.ids import HOUSE_PREFIX, PARTNER_PREFIX, PRODUCER_PREFIX, principal_of, token_matches


class Role(StrEnum):
    HOUSE = "house"
    PRODUCER = "producer"
    PARTNER = "partner"
    STAFF = "staff"


@dataclass(frozen=True)
class Principal:
    role: Role
    id: str | None = None  # the house, producer or partner id; None for staff
    house_id: str | None = None  # for a house's own producer: the house behind it


class Rule:
    """One kind of caller a route admits."""

    label: str = ""

    def admits(self, principal: Principal, path: Mapping[str, Any], owners: OwnerLookup) -> bool:
        raise NotImplementedError


class _Anyone(Rule):
    label = "anyone (no token)"

    def admits(self, principal: Principal, path: Mapping[str, Any], owners: OwnerLookup) -> bool:
        return True


class _Staff(Rule):
    label = "staff"

    def admits(self, principal: Principal, path: Mapping[str, Any], owners: OwnerLookup) -> bool:
        return principal.role is Role.STAFF


@dataclass(frozen=True)
class HouseSelf(Rule):
    """The house named by a path parameter, with its own token."""

    param: str = "houseId"

    @property
    def label(self) -> str:  # type: ignore[override]
        return f"the house {{{self.param}}} itself"

    def admits(self, principal: Principal, path: Mapping[str, Any], owners: OwnerLookup) -> bool:
        return principal.role is Role.HOUSE and principal.id == path.get(self.param)


@dataclass(frozen=True)
class ProducerSelf(Rule):
    """The producer named by a path parameter, or the house that owns it."""

    param: str = "producerId"

    @property
    def label(self) -> str:  # type: ignore[override]
        return f"the producer {{{self.param}}} itself, or its house"

    def admits(self, principal: Principal, path: Mapping[str, Any], owners: OwnerLookup) -> bool:
        producer_id = path.get(self.param)
        if principal.role is Role.PRODUCER:
            return principal.id == producer_id
        if principal.role is Role.HOUSE and isinstance(producer_id, str):
            return owners.house_of_producer(producer_id) == principal.id
        return False


@dataclass(frozen=True)
class PartnerSelf(Rule):
    """The partner named by a path parameter, with its own token."""

    param: str = "partnerId"

    @property
    def label(self) -> str:  # type: ignore[override]
        return f"the partner {{{self.param}}} itself"

    def admits(self, principal: Principal, path: Mapping[str, Any], owners: OwnerLookup) -> bool:
        return principal.role is Role.PARTNER and principal.id == path.get(self.param)


@dataclass(frozen=True)
class AnyOf(Rule):
    roles: tuple[Role, ...] = ()

    @property
    def label(self) -> str:  # type: ignore[override]
        return "any " + " or ".join(role.value for role in self.roles)

    def admits(self, principal: Principal, path: Mapping[str, Any], owners: OwnerLookup) -> bool:
        return principal.role in self.roles


class _UtilityProducer(Rule):
    """Any utility producer (a producer not owned by a house), with its own token."""

    label = "any utility producer"

    def admits(self, principal: Principal, path: Mapping[str, Any], owners: OwnerLookup) -> bool:
        return principal.role is Role.PRODUCER and principal.house_id is None


ANYONE: Rule = _Anyone()
STAFF: Rule = _Staff()
HOUSE_SELF: Rule = HouseSelf()
PRODUCER_SELF: Rule = ProducerSelf()
PARTNER_SELF: Rule = PartnerSelf()
UTILITY_PRODUCER: Rule = _UtilityProducer()


class OwnerLookup:
    """Reads the credential stores: token hashes, and which house owns a producer.

    `partner_token_sha256` is given only to the functions that serve partners: without it a
    partner's token is unknown (401) everywhere else."""

    def __init__(
        self,
        house_token_sha256: Callable[[str], str | None],
        producer_credentials: Callable[[str], tuple[str | None, str | None] | None],
        partner_token_sha256: Callable[[str], str | None] | None = None,
    ) -> None:
        self._house_token = house_token_sha256
        self._producer = producer_credentials
        self._partner_token = partner_token_sha256

    def house_token_sha256(self, house_id: str) -> str | None:
        return self._house_token(house_id)

    def producer_token_and_house(self, producer_id: str) -> tuple[str | None, str | None] | None:
        return self._producer(producer_id)

    def house_of_producer(self, producer_id: str) -> str | None:
        found = self._producer(producer_id)
        return found[1] if found else None

    def partner_token_sha256(self, partner_id: str) -> str | None:
        return self._partner_token(partner_id) if self._partner_token else None


HEAD_END = "head-end"  # the staff principal's id when the caller is the meter head-end


class Authenticator:
    """`staff_token_sha256` and `head_end_token_sha256` (the meter head-end that posts
    batches of readings) are both staff; an empty hash admits nobody."""

    def __init__(self, staff_token_sha256: str, owners: OwnerLookup, head_end_token_sha256: str = "") -> None:
        self._staff_sha256 = staff_token_sha256
        self._head_end_sha256 = head_end_token_sha256
        self.owners = owners

    def principal(self, authorization: str | None) -> Principal | None:
        """The caller behind an `Authorization: Bearer …` header; None without a header."""
        if not authorization:
            return None
        scheme, _, token = authorization.strip().partition(" ")
        token = token.strip()
        if scheme.lower() != "bearer" or not token:
            raise Unauthorized("the Authorization header must be 'Bearer <token>'")
        if self._staff_sha256 and token_matches(token, self._staff_sha256):
            return Principal(Role.STAFF)
        if self._head_end_sha256 and token_matches(token, self._head_end_sha256):
            return Principal(Role.STAFF, HEAD_END)
        principal_id = principal_of(token)
        if principal_id and principal_id.startswith(HOUSE_PREFIX):
            expected = self.owners.house_token_sha256(principal_id)
            if expected and token_matches(token, expected):
                return Principal(Role.HOUSE, principal_id, principal_id)
        elif principal_id and principal_id.startswith(PRODUCER_PREFIX):
            found = self.owners.producer_token_and_house(principal_id)
            if found and found[0] and token_matches(token, found[0]):
                return Principal(Role.PRODUCER, principal_id, found[1])
        elif principal_id and principal_id.startswith(PARTNER_PREFIX):
            expected = self.owners.partner_token_sha256(principal_id)
            if expected and token_matches(token, expected):
                return Principal(Role.PARTNER, principal_id)
        raise Unauthorized("unknown or revoked token")

    def check(
        self, rules: tuple[Rule, ...], authorization: str | None, path: Mapping[str, Any]
    ) -> Principal | None:
        if ANYONE in rules:
            # A public route needs no token: one it cannot verify (a partner's, known only to
            # the partner API, or a stale one) leaves the caller anonymous rather than refused.
            try:
                return self.principal(authorization) if authorization else None
            except Unauthorized:
                return None
        principal = self.principal(authorization)
        if principal is None:
            raise Unauthorized("this route needs a bearer token")
        if not any(rule.admits(principal, path, self.owners) for rule in rules):
            raise Forbidden("this token may not use this route for this resource")
        return principal


def describe(rules: tuple[Rule, ...]) -> str:
    return "Who may call: " + "; ".join(rule.label for rule in rules) + "."
