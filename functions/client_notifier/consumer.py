"""client-notifier, on each client.notification: stored once (readable by its client), and
delivered once on the client's own SNS topic, which e-mail and SMS subscribe to."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from smartgrid.consumer import consume
from smartgrid.events import ClientNotification, Message
from smartgrid.notifications import Notifier
from smartgrid.observability import observability
from smartgrid.settings import EnvSettings
from smartgrid.stores.notifications import NotificationsStore
from smartgrid.stores.outbox import lease_for

obs = observability()


class Settings(EnvSettings):
    notifications_table: str = Field(alias="NOTIFICATIONS_TABLE")
    notify_topic_prefix: str = Field(alias="NOTIFY_TOPIC_PREFIX", min_length=1)


@obs.logger.inject_lambda_context
@obs.tracer.capture_lambda_handler
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    settings = Settings.from_env()
    notifier = Notifier(NotificationsStore(settings.notifications_table), settings.notify_topic_prefix)

    def notify(message: Message[ClientNotification]) -> None:
        for notification in message.events:
            delivered = notifier.on_notification(notification, lease_for(context))
            obs.logger.info(
                "notification delivered" if delivered else "notification delivered already",
                extra={"notificationId": notification.notificationId},
            )

    return consume(event, context, ClientNotification, notify)
