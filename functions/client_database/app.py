"""client-database: houses register, and read or change their own record.

Registration answers at once with the house's id and token; the RegisterHouse workflow
then assigns a community and completes the record (status `registering` → `active`).
"""

from __future__ import annotations

import json
from typing import Annotated, Any

from aws_lambda_powertools.event_handler.openapi.params import Path
from pydantic import BaseModel, Field, model_validator

from smartgrid import aws
from smartgrid.access import ANYONE, HOUSE_SELF, STAFF
from smartgrid.api import GridApi
from smartgrid.clockservice import ClockReaderSettings, grid_now
from smartgrid.errors import GridError, NotFound
from smartgrid.ids import HOUSE_PREFIX, new_id, new_token, token_sha256
from smartgrid.models import House, HouseRecord, HouseStatus, Location, Policy, PolicyChange, Strict
from smartgrid.observability import observability
from smartgrid.settings import AuthSettings
from smartgrid.stores.clients import ClientsRepository
from smartgrid.stores.producers import ProducersRepository

obs = observability()
app = GridApi("client-database")

Name = Annotated[str, Field(min_length=1, max_length=100)]
HouseId = Annotated[str, Path(min_length=3, max_length=64)]


class Settings(AuthSettings, ClockReaderSettings):
    register_house_state_machine_arn: str = Field(alias="REGISTER_HOUSE_STATE_MACHINE_ARN")


class HouseRegistration(Strict):
    name: Name
    location: Location
    acceptedPolicies: list[Policy] = Field(default_factory=list, max_length=3)


class HouseChange(Strict):
    name: Name | None = None
    acceptedPolicies: list[Policy] | None = Field(None, max_length=3)

    @model_validator(mode="after")
    def _something(self) -> HouseChange:
        if self.name is None and self.acceptedPolicies is None:
            raise ValueError("give name or acceptedPolicies")
        return self


class Registered(BaseModel):
    houseId: str
    token: str = Field(description="the house's bearer token: shown once, stored only as a hash")
    status: HouseStatus


class TokenRotated(BaseModel):
    houseId: str
    token: str = Field(description="the house's new bearer token: shown once; the old one no longer works")


class HouseView(House):
    producerId: str | None = Field(None, description="set once the house produces")


class RegistrationUnavailable(GridError):
    status = 503
    code = "registration_unavailable"


def clients(settings: AuthSettings) -> ClientsRepository:
    return ClientsRepository(settings.clients_table)


def view(house: HouseRecord, settings: AuthSettings) -> HouseView:
    producer = ProducersRepository(settings.producers_table).of_house(house.houseId)
    return HouseView(**house.public().model_dump(), producerId=producer.producerId if producer else None)


@app.post("/houses", allow=ANYONE, status_code=201, summary="Register a house")
def register_house(registration: HouseRegistration) -> Registered:
    settings = Settings.from_env()
    house_id = new_id(HOUSE_PREFIX)
    token = new_token(house_id)
    registered_at = grid_now(settings)  # grid time: bills run from the month it registered
    policies = list(dict.fromkeys(registration.acceptedPolicies))
    record = HouseRecord(
        houseId=house_id,
        name=registration.name,
        location=registration.location,
        acceptedPolicies=policies,
        status=HouseStatus.REGISTERING,
        registeredAt=registered_at,
        # What it accepts at registration counts from then on (data sales look it up).
        policyChanges=[PolicyChange(at=registered_at, acceptedPolicies=policies)],
        tokenSha256=token_sha256(token),
    )
    repository = clients(settings)
    repository.create(record)
    try:
        # Named after the house: a retried start finds the same execution.
        aws.client("stepfunctions").start_execution(
            stateMachineArn=settings.register_house_state_machine_arn,
            name=house_id,
            input=json.dumps({"houseId": house_id, "location": registration.location.model_dump()}),
        )
    except Exception as error:
        repository.delete(house_id)  # nothing is kept half-way
        obs.logger.exception("registration workflow did not start", extra={"houseId": house_id})
        raise RegistrationUnavailable("registration is unavailable for a moment; try again") from error
    obs.metrics.add_metric(name="HousesRegistered", unit="Count", value=1)
    return Registered(houseId=house_id, token=token, status=HouseStatus.REGISTERING)


@app.get("/houses/<houseId>", allow=(HOUSE_SELF, STAFF), summary="A house's record")
def get_house(houseId: HouseId) -> HouseView:
    settings = AuthSettings.from_env()
    return view(clients(settings).require(houseId), settings)


@app.post(
    "/houses/<houseId>/token",
    allow=(HOUSE_SELF, STAFF),
    status_code=201,
    summary="Rotate a house's token (the old one stops working at once)",
)
def rotate_token(houseId: HouseId) -> TokenRotated:
    settings = AuthSettings.from_env()
    token = new_token(houseId)
    if not clients(settings).replace_token(houseId, token_sha256(token)):
        raise NotFound(f"no house {houseId}", field="houseId")
    return TokenRotated(houseId=houseId, token=token)


@app.patch(
    "/houses/<houseId>",
    allow=(HOUSE_SELF, STAFF),
    summary="Rename a house or change its accepted policies",
    description="A change of policies is recorded in `policyChanges` at the grid's time: data "
    "sold to partners from then on follows it (a withdrawn policy leaves the next sales).",
)
def change_house(houseId: HouseId, change: HouseChange) -> HouseView:
    settings = Settings.from_env()
    at = grid_now(settings) if change.acceptedPolicies is not None else None
    house = clients(settings).update(houseId, name=change.name, policies=change.acceptedPolicies, at=at)
    return view(house, settings)


@obs.logger.inject_lambda_context
@obs.tracer.capture_lambda_handler
@obs.metrics.log_metrics
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return app.resolve(event, context)
