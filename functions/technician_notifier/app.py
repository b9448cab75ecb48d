"""technician-notifier over HTTP (staff): the alerts of a status, in a community or all of
them, newest first; one alert; and its acknowledgement (a technician is on it)."""

from __future__ import annotations

from typing import Annotated, Any

from aws_lambda_powertools.event_handler.openapi.params import Path, Query
from pydantic import BaseModel, Field

from smartgrid.access import STAFF
from smartgrid.api import GridApi
from smartgrid.clockservice import ClockReaderSettings, grid_now
from smartgrid.errors import NotFound
from smartgrid.observability import observability
from smartgrid.settings import AuthSettings
from smartgrid.stores.alerts import AlertsStore
from smartgrid.stores.malfunctions import MalfunctionsStore
from smartgrid.technicians import AlertRecord, Status
from smartgrid.technicianservice import acknowledge

obs = observability()
app = GridApi("technician-notifier")

AlertId = Annotated[str, Path(min_length=3, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")]
StatusQuery = Annotated[Status, Query(description="open (default), acked or closed")]
CommunityQuery = Annotated[
    str | None, Query(min_length=3, max_length=64, description="only the alerts of this community")
]
Limit = Annotated[int, Query(ge=1, le=100, description="how many, newest first (default 50)")]
Before = Annotated[
    str | None, Query(max_length=200, description="the `next` of the previous page: older alerts")
]


class Settings(AuthSettings, ClockReaderSettings):
    alerts_table: str = Field(alias="ALERTS_TABLE")
    malfunctions_table: str = Field(alias="MALFUNCTIONS_TABLE")  # the detector's, read only


class Alerts(BaseModel):
    status: Status
    communityId: str | None
    alerts: list[AlertRecord] = Field(description="newest first (by since)")
    next: str | None = Field(description="give it as `before` for older ones (null: no more)")
    heardUntil: str | None = Field(
        description="the detector has judged readings up to this instant (the latest end heard from any"
        " house): a silence after it is not known yet; null before any reading"
    )


@app.get("/alerts", allow=STAFF, summary="Malfunction alerts of a status, of a community or all")
def list_alerts(
    status: StatusQuery = "open",
    communityId: CommunityQuery = None,
    limit: Limit = 50,
    before: Before = None,
) -> Alerts:
    settings = Settings.from_env()
    page = AlertsStore(settings.alerts_table).page(status, communityId, limit, before)
    heard = MalfunctionsStore(settings.malfunctions_table).heard_until()
    return Alerts(
        status=status, communityId=communityId, alerts=page.alerts, next=page.next, heardUntil=heard
    )


@app.get("/alerts/<alertId>", allow=STAFF, summary="One malfunction alert")
def get_alert(alertId: AlertId) -> AlertRecord:
    settings = Settings.from_env()
    found = AlertsStore(settings.alerts_table).get(alertId)
    if found is None:
        raise NotFound(f"no alert {alertId}", field="alertId")
    return found.record


@app.post(
    "/alerts/<alertId>/ack",
    allow=STAFF,
    summary="Acknowledge an open alert: a technician is on it (it closes when the subject is normal again)",
)
def acknowledge_alert(alertId: AlertId) -> AlertRecord:
    settings = Settings.from_env()
    return acknowledge(AlertsStore(settings.alerts_table), alertId, grid_now(settings))


@obs.logger.inject_lambda_context
@obs.tracer.capture_lambda_handler
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return app.resolve(event, context)
