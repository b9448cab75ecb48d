"""client-notifier over HTTP: a house's notifications (the house itself or staff), a
community's (staff), newest first, a page at a time; and the SNS topic they are delivered on."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from aws_lambda_powertools.event_handler.openapi.params import Path, Query
from pydantic import BaseModel, Field

from smartgrid.access import HOUSE_SELF, STAFF
from smartgrid.api import GridApi
from smartgrid.errors import NotFound, Unprocessable
from smartgrid.events import Recipient
from smartgrid.notifications import topic_name
from smartgrid.observability import observability
from smartgrid.settings import AuthSettings
from smartgrid.stores.clients import ClientsRepository
from smartgrid.stores.communities import CommunitiesRepository
from smartgrid.stores.notifications import LISTED, NotificationsStore

obs = observability()
app = GridApi("client-notifier")

HouseId = Annotated[str, Path(min_length=3, max_length=64)]
CommunityId = Annotated[str, Path(min_length=3, max_length=64)]
Limit = Annotated[int, Query(ge=1, le=100, description="how many, newest first (default 20)")]
Before = Annotated[
    str | None, Query(max_length=200, description="the `next` of the previous page: older notifications")
]


class Settings(AuthSettings):
    notifications_table: str = Field(alias="NOTIFICATIONS_TABLE")
    communities_table: str = Field(alias="COMMUNITIES_TABLE")
    notify_topic_prefix: str = Field(alias="NOTIFY_TOPIC_PREFIX", min_length=1)


class NotificationView(BaseModel):
    notificationId: str
    subject: str
    message: str
    timestamp: str
    delivered: bool = Field(description="published on the client's topic")


class Notifications(BaseModel):
    kind: Literal["house", "community"]
    id: str
    topicName: str = Field(description="the SNS topic they are delivered on (e-mail, SMS subscribe to it)")
    notifications: list[NotificationView]
    next: str | None = Field(description="give it as `before` for older ones (null: no more)")


def listing(settings: Settings, recipient: Recipient, limit: int, before: str | None) -> Notifications:
    if before is not None and not before.startswith(LISTED):
        raise Unprocessable("before must be the next of a previous page", field="query.before")
    page = NotificationsStore(settings.notifications_table).page(recipient, limit, before)
    return Notifications(
        kind=recipient.kind,
        id=recipient.id,
        topicName=topic_name(settings.notify_topic_prefix, recipient),
        notifications=[
            NotificationView(
                notificationId=s.notification.notificationId,
                subject=s.notification.subject,
                message=s.notification.message,
                timestamp=s.notification.timestamp,
                delivered=s.delivered,
            )
            for s in page.notifications
        ],
        next=page.next,
    )


@app.get(
    "/houses/<houseId>/notifications",
    allow=(HOUSE_SELF, STAFF),
    summary="A house's notifications, newest first",
)
def house_notifications(houseId: HouseId, limit: Limit = 20, before: Before = None) -> Notifications:
    settings = Settings.from_env()
    ClientsRepository(settings.clients_table).require(houseId)
    return listing(settings, Recipient(kind="house", id=houseId), limit, before)


@app.get(
    "/communities/<communityId>/notifications",
    allow=STAFF,
    summary="A community's notifications, newest first",
)
def community_notifications(
    communityId: CommunityId, limit: Limit = 20, before: Before = None
) -> Notifications:
    settings = Settings.from_env()
    if CommunitiesRepository(settings.communities_table).get(communityId) is None:
        raise NotFound(f"no community {communityId}", field="communityId")
    return listing(settings, Recipient(kind="community", id=communityId), limit, before)


@obs.logger.inject_lambda_context
@obs.tracer.capture_lambda_handler
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return app.resolve(event, context)
