"""Resources of the grid as stored and as shown over HTTP."""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field


class Policy(StrEnum):
    """Privacy policies a client accepts one by one (data sold to partners)."""

    CONSUMPTION = "consumption"
    PRODUCTION = "production"
    DETAILED = "detailed"


class Strict(BaseModel):
    """A request body: an unknown field is refused (a typo must not pass silently), and so is
    a non-finite number."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)


class Location(Strict):
    lat: float = Field(ge=-90, le=90, allow_inf_nan=False)
    lon: float = Field(ge=-180, le=180, allow_inf_nan=False)


class PolicyChange(Strict):
    """The policies a client accepted from a grid time on (until its next change)."""

    at: str = Field(description="grid time of the change")
    acceptedPolicies: list[Policy]


class HouseStatus(StrEnum):
    REGISTERING = "registering"
    ACTIVE = "active"


class House(Strict):
    houseId: str
    name: str
    location: Location
    acceptedPolicies: list[Policy]
    status: HouseStatus
    communityId: str | None = None
    registeredAt: str
    policyChanges: list[PolicyChange] = Field(
        default_factory=list,
        description="every change of the accepted policies, oldest first, from registration on "
        "(the latest ones only: see `consent.MAX_CHANGES`)",
    )


class HouseRecord(House):
    """A house as the client database keeps it: with its token's hash, never shown."""

    tokenSha256: str

    def public(self) -> House:
        return House.model_validate(self.model_dump(exclude={"tokenSha256"}))


class ProducerKind(StrEnum):
    HOUSE = "house"
    UTILITY = "utility"


class Producer(Strict):
    producerId: str
    name: str
    kind: ProducerKind
    houseId: str | None = None
    productionLimitW: float | None = Field(None, description="utility producers only")
    createdAt: str


class ProducerRecord(Producer):
    tokenSha256: str | None = None

    def public(self) -> Producer:
        return Producer.model_validate(self.model_dump(exclude={"tokenSha256"}))


class Community(Strict):
    communityId: str
    location: Location
    capacity: int
    members: int


class Credentials(Strict):
    token: str = Field(description="bearer token; shown once, stored only as a hash")
