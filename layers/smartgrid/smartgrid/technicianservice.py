"""technician-notifier's service: alerts received, acknowledged, and sent to technicians once
(see `technicians` for the rules, `stores.alerts` for how they are kept)."""

from __future__ import annotations

from smartgrid import aws
from smartgrid.errors import Conflict, NotFound
from smartgrid.events import Alert
from smartgrid.stores.alerts import AlertsStore
from smartgrid.stores.outbox import publish_once
from smartgrid.technicians import AlertRecord, Sending, acknowledged, received, sns_message

ATTEMPTS = 8  # an alert changed meanwhile (another copy, staff's acknowledgement) is decided again


class TechnicianNotifier:
    def __init__(self, store: AlertsStore, technicians_topic_arn: str) -> None:
        self.store = store
        self.topic_arn = technicians_topic_arn

    def on_alert(self, alert: Alert, lease_ms: int) -> int:
        """Keeps the alert's change; sends technicians what it (or a crashed run) left to
        send. How many sendings this call made."""
        for _ in range(ATTEMPTS):
            found = self.store.get(alert.alertId)
            record, delivery = received(found.record if found else None, alert)
            if record is None:
                break
            sending = Sending(delivery=delivery, alert=record) if delivery else None
            if self.store.write(record, found.version if found else 0, sending):
                break
        else:
            raise Conflict(f"alert {alert.alertId} kept changing: try again")
        sent = 0
        for key, stored in self.store.sendings(alert.alertId):
            sent += publish_once(self.store.outbox, key, stored, self.send, lease_ms)
        return sent

    def send(self, payload: str) -> None:
        aws.client("sns").publish(
            TopicArn=self.topic_arn, **sns_message(Sending.model_validate_json(payload))
        )


def acknowledge(store: AlertsStore, alert_id: str, at: str) -> AlertRecord:
    """Staff acknowledge an open alert (again: the same answer); 409 once it is closed."""
    for _ in range(ATTEMPTS):
        found = store.get(alert_id)
        if found is None:
            raise NotFound(f"no alert {alert_id}", field="alertId")
        record = acknowledged(found.record, at)
        if record is None:
            return found.record
        if store.write(record, found.version, None):
            return record
    raise Conflict(f"alert {alert_id} kept changing: try again", field="alertId")
