"""technician-notifier: each malfunction alert stored once, its life kept (open, acknowledged,
closed), and technicians told on their SNS topic when it opens and when it closes.

An alert arrives on `alert` each time the detector decides something of it: opened,
still going on (a later `lastSeen`), closed. Whatever the order and however often they
come, the stored alert only moves forward: its `lastSeen` never goes back, and a closed alert
stays closed (a late "open" of it changes nothing). Staff acknowledge an open alert (a
technician is on it); it stays acknowledged until the detector closes it.

Technicians are sent an alert when it is first stored open, and when an alert they were sent
closes: each sending is stored with the change that causes it (an outbox record), then sent
once. An alert first seen closed (it opened and closed before it reached us) is stored, not sent.
"""

from __future__ import annotations

import json
from typing import Any, Literal

from pydantic import BaseModel, Field

from smartgrid.errors import Conflict
from smartgrid.events import Alert, AlertDetail, AlertSubject
from smartgrid.notifications import MACHINE_PROTOCOLS, subject_line

Status = Literal["open", "acked", "closed"]
Delivery = Literal["opened", "closed"]


class AlertRecord(BaseModel):
    """An alert as staff see it (`GET /alerts`)."""

    alertId: str
    alertType: str
    subject: AlertSubject
    communityId: str | None = Field(None, description="the community of the house (or the community itself)")
    status: Status = Field(description="open; acked: a technician is on it; closed: normal again")
    since: str = Field(description="when the fault began")
    lastSeen: str = Field(description="the latest instant the fault was observed")
    closedAt: str | None = Field(None, description="when the subject was seen normal again")
    ackedAt: str | None = Field(None, description="the grid's time when staff acknowledged it")
    message: str
    details: dict[str, AlertDetail] = Field(default_factory=dict)


def received(stored: AlertRecord | None, alert: Alert) -> tuple[AlertRecord | None, Delivery | None]:
    """The stored alert after an alert event (None: nothing changes), and what technicians
    are to be sent because of it."""
    last_seen = alert.lastSeen or alert.timestamp
    if stored is None:
        record = AlertRecord(
            alertId=alert.alertId,
            alertType=alert.alertType,
            subject=alert.subject,
            communityId=alert.communityId,
            status=alert.status,
            since=alert.since or alert.timestamp,
            lastSeen=last_seen,
            closedAt=alert.timestamp if alert.status == "closed" else None,
            message=alert.message,
            details=dict(alert.details),
        )
        return record, "opened" if alert.status == "open" else None
    if stored.status == "closed":
        return None, None
    update: dict[str, Any] = {}
    if last_seen > stored.lastSeen:
        update.update(lastSeen=last_seen, message=alert.message, details=dict(alert.details))
    if stored.communityId is None and alert.communityId:
        update["communityId"] = alert.communityId
    if alert.status == "closed":
        update.update(status="closed", closedAt=alert.timestamp)
    if not update:
        return None, None
    return stored.model_copy(update=update), "closed" if alert.status == "closed" else None


def acknowledged(stored: AlertRecord, at: str) -> AlertRecord | None:
    """The alert once staff acknowledged it (None: acknowledged already)."""
    if stored.status == "closed":
        raise Conflict(
            f"alert {stored.alertId} closed at {stored.closedAt}: nothing to acknowledge", field="alertId"
        )
    if stored.status == "acked":
        return None
    return stored.model_copy(update={"status": "acked", "ackedAt": at})


class Sending(BaseModel):
    """What technicians are sent (the JSON that machines subscribed to the topic get)."""

    delivery: Delivery
    alert: AlertRecord


def sns_message(sending: Sending) -> dict[str, Any]:
    """The arguments of SNS Publish: e-mail and SMS get text, machines the JSON."""
    alert = sending.alert
    title = "resolved" if sending.delivery == "closed" else "malfunction"
    where = f" in community {alert.communityId}" if alert.communityId else ""
    lines = [
        alert.message,
        f"{alert.subject.kind} {alert.subject.id}{where}: {alert.alertType}",
        f"since {alert.since}, last seen {alert.lastSeen}",
    ]
    if sending.delivery == "closed":
        lines.append(f"normal again at {alert.closedAt}")
    else:
        lines.append(f"acknowledge: POST /alerts/{alert.alertId}/ack")
    text = "\n".join(lines)
    variants = {
        "default": text,
        "email": text,
        "sms": f"Smartrix Grid {title}: {alert.alertType} {alert.subject.id}",
        **dict.fromkeys(MACHINE_PROTOCOLS, sending.model_dump_json()),
    }
    return {
        "Subject": subject_line(
            f"Smartrix Grid {title}: {alert.alertType} {alert.subject.kind} {alert.subject.id}"
        ),
        "Message": json.dumps(variants),
        "MessageStructure": "json",
        "MessageAttributes": {
            "alertType": {"DataType": "String", "StringValue": alert.alertType},
            "delivery": {"DataType": "String", "StringValue": sending.delivery},
        },
    }
