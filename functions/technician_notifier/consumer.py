"""technician-notifier, on each malfunction alert (`alert`, the malfunction types only: the
subscription filters on `alertType`): stores its change once, and sends technicians, once,
the alerts that open and the ones they were sent that close."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from smartgrid.consumer import consume
from smartgrid.events import Alert, Message
from smartgrid.observability import observability
from smartgrid.settings import EnvSettings
from smartgrid.stores.alerts import AlertsStore
from smartgrid.stores.outbox import lease_for
from smartgrid.technicianservice import TechnicianNotifier

obs = observability()


class Settings(EnvSettings):
    alerts_table: str = Field(alias="ALERTS_TABLE")
    technicians_topic_arn: str = Field(alias="TECHNICIANS_TOPIC_ARN", min_length=1)


@obs.logger.inject_lambda_context
@obs.tracer.capture_lambda_handler
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    settings = Settings.from_env()
    notifier = TechnicianNotifier(AlertsStore(settings.alerts_table), settings.technicians_topic_arn)

    def keep(message: Message[Alert]) -> None:
        for alert in message.events:
            sent = notifier.on_alert(alert, lease_for(context))
            obs.logger.info(
                "alert kept", extra={"alertId": alert.alertId, "status": alert.status, "sent": sent}
            )

    return consume(event, context, Alert, keep)
