"""The technicians' alerts: kept once, only ever moving forward (closed stays closed), sent when
they open and when they close; acknowledged by staff while open."""

from __future__ import annotations

import json

import pytest

from smartgrid.errors import Conflict
from smartgrid.events import Alert, AlertSubject
from smartgrid.technicians import AlertRecord, Sending, acknowledged, received, sns_message

HOUSE = AlertSubject(kind="house", id="h-1")


def alert(
    status: str = "open", last_seen: str = "2026-03-01T10:04:00Z", timestamp: str | None = None
) -> Alert:
    return Alert.model_validate(
        {
            "alertId": "al-1",
            "alertType": "house.silent",
            "subject": HOUSE,
            "message": f"silent, last seen {last_seen}",
            "timestamp": timestamp or last_seen,
            "status": status,
            "communityId": "c-1",
            "since": "2026-03-01T10:00:00Z",
            "lastSeen": last_seen,
            "details": {"silentTicks": 4},
        }
    )


def test_a_new_open_alert_is_stored_open_and_sent() -> None:
    record, delivery = received(None, alert())
    assert delivery == "opened" and record is not None
    assert (record.status, record.since, record.lastSeen, record.closedAt, record.communityId) == (
        "open",
        "2026-03-01T10:00:00Z",
        "2026-03-01T10:04:00Z",
        None,
        "c-1",
    )


def test_a_later_last_seen_moves_it_on_and_an_earlier_or_equal_one_changes_nothing() -> None:
    record, _ = received(None, alert())
    assert record is not None
    assert received(record, alert(last_seen="2026-03-01T10:02:00Z")) == (None, None)
    assert received(record, alert()) == (None, None)
    later, delivery = received(record, alert(last_seen="2026-03-01T11:04:00Z"))
    assert delivery is None and later is not None and later.lastSeen == "2026-03-01T11:04:00Z"
    assert later.message == "silent, last seen 2026-03-01T11:04:00Z"


def test_closing_an_open_or_acknowledged_alert_sends_it_and_closed_stays_closed() -> None:
    record, _ = received(None, alert())
    assert record is not None
    acked = acknowledged(record, "2026-03-01T10:05:00Z")
    assert acked is not None and (acked.status, acked.ackedAt) == ("acked", "2026-03-01T10:05:00Z")
    assert acknowledged(acked, "2026-03-01T10:06:00Z") is None  # acknowledged already
    closed, delivery = received(acked, alert("closed", "2026-03-01T10:06:00Z", "2026-03-01T10:07:00Z"))
    assert delivery == "closed" and closed is not None
    assert (closed.status, closed.closedAt, closed.lastSeen, closed.ackedAt) == (
        "closed",
        "2026-03-01T10:07:00Z",
        "2026-03-01T10:06:00Z",
        "2026-03-01T10:05:00Z",
    )
    # Then a late copy of its opening, or a refresh, changes nothing; nor can it be acknowledged
    assert received(closed, alert(last_seen="2026-03-01T12:00:00Z")) == (None, None)
    with pytest.raises(Conflict):
        acknowledged(closed, "2026-03-01T10:08:00Z")


def test_an_alert_first_seen_closed_is_kept_and_not_sent() -> None:
    record, delivery = received(None, alert("closed", "2026-03-01T10:06:00Z", "2026-03-01T10:07:00Z"))
    assert delivery is None and record is not None and record.status == "closed"


def test_technicians_get_text_by_mail_and_sms_and_json_by_queue() -> None:
    record = AlertRecord.model_validate({**alert().model_dump(), "status": "open"})
    message = sns_message(Sending(delivery="opened", alert=record))
    variants = json.loads(message["Message"])
    assert message["MessageStructure"] == "json" and len(message["Subject"]) <= 100
    assert "POST /alerts/al-1/ack" in variants["email"] and "h-1" in variants["sms"]
    assert json.loads(variants["sqs"]) == {"delivery": "opened", "alert": record.model_dump(mode="json")}
    assert message["MessageAttributes"]["alertType"]["StringValue"] == "house.silent"
