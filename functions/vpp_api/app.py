"""vpp-api: houses enroll in the virtual power plant (the house itself or staff); staff read
its capacity, place orders and follow their delivery (story 17; rules in `smartgrid.vpp`)."""

from __future__ import annotations

from typing import Annotated, Any

from aws_lambda_powertools.event_handler.openapi.params import Path

from smartgrid.access import HOUSE_SELF, STAFF
from smartgrid.api import GridApi
from smartgrid.clockservice import ClockReaderSettings, grid_now
from smartgrid.observability import observability
from smartgrid.settings import AuthSettings
from smartgrid.vpp import Capacity, Enrollment, EnrollmentBody, OrderRequest
from smartgrid.vppservice import OrderView, VppSettings

obs = observability()
app = GridApi("vpp-api")

HouseId = Annotated[str, Path(min_length=3, max_length=64)]
OrderId = Annotated[str, Path(min_length=3, max_length=64)]


class Settings(AuthSettings, ClockReaderSettings, VppSettings):
    pass


@app.put(
    "/houses/<houseId>/vpp",
    allow=(HOUSE_SELF, STAFF),
    summary="Enroll a house in the VPP (or leave it), with the battery reserve it keeps",
)
def put_enrollment(houseId: HouseId, body: EnrollmentBody) -> Enrollment:
    settings = Settings.from_env()
    return settings.service().enroll(houseId, body, grid_now(settings))


@app.get("/houses/<houseId>/vpp", allow=(HOUSE_SELF, STAFF), summary="A house's VPP enrollment")
def get_enrollment(houseId: HouseId) -> Enrollment:
    return Settings.from_env().service().enrollment(houseId)


@app.get(
    "/vpp/capacity",
    allow=STAFF,
    summary="What the enrolled houses can sell and buy now, per community and in all",
)
def get_capacity() -> Capacity:
    settings = Settings.from_env()
    return settings.service().capacity(grid_now(settings))


@app.post(
    "/vpp/orders",
    allow=STAFF,
    status_code=201,
    summary="Place an order: split among enrolled houses; 422 with the capacity if it is too large",
)
def post_order(request: OrderRequest) -> OrderView:
    settings = Settings.from_env()
    return settings.service().place(request, grid_now(settings))


@app.get(
    "/vpp/orders/<orderId>", allow=STAFF, summary="An order: its split, delivered per tick and per house"
)
def get_order(orderId: OrderId) -> OrderView:
    return Settings.from_env().service().order(orderId)


@obs.logger.inject_lambda_context
@obs.tracer.capture_lambda_handler
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return app.resolve(event, context)
