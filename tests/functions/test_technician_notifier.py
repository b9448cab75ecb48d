"""technician-notifier: each malfunction alert kept once and moving only forward, technicians
sent its opening and closing once on their topic; staff list alerts by status and community,
a page at a time, read one, and acknowledge it while it is open."""

from __future__ import annotations

import itertools
import json
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from localcloud import LocalCloud
from smartgrid import bus
from smartgrid.events import Alert, AlertSubject, Topic
from tests.conftest import STAFF_TOKEN, sample_event
from tests.functions.balance_support import carrying
from tests.functions.support import TopicProbe, api_event, call, new_house, table_items

FUNCTION = "TechnicianNotifierFunction"
API = "TechnicianNotifierApiFunction"
DIR = "technician_notifier"
Probe = Callable[[str], TopicProbe]
_N = itertools.count()


@pytest.fixture
def technicians(probe: Probe) -> Iterator[TopicProbe]:
    yield probe("TechniciansTopic")


def alert(community: str, status: str = "open", minute: int = 4, since: int = 0) -> Alert:
    n = next(_N)
    return Alert.model_validate(
        {
            "alertId": f"al-test{n:016d}",
            "alertType": "house.silent",
            "subject": AlertSubject(kind="house", id=f"h-test{n:08d}"),
            "message": "silent",
            "timestamp": f"2026-03-09T10:{minute:02d}:00Z",
            "status": status,
            "communityId": community,
            "since": f"2026-03-09T10:{since:02d}:00Z",
            "lastSeen": f"2026-03-09T10:{minute:02d}:00Z",
        }
    )


def deliver(cloud: LocalCloud, *alerts: Alert) -> None:
    assert cloud.invoke(FUNCTION, carrying(DIR, "consumer", Topic.ALERT, alerts)) == {"batchItemFailures": []}


def test_the_sample_alert_is_kept_once_and_technicians_are_sent_its_opening_and_closing_once(
    cloud: LocalCloud, technicians: TopicProbe
) -> None:
    # When the sample (a house's silence opened, then closed) is delivered twice
    cloud.invoke(FUNCTION, sample_event(DIR, "consumer"))
    stored = table_items(cloud, "AlertsTable")
    cloud.invoke(FUNCTION, sample_event(DIR, "consumer"))
    # Then technicians were sent it once as it opened and once as it closed
    sent = technicians.messages()
    assert [(m["delivery"], m["alert"]["status"]) for m in sent] == [("opened", "open"), ("closed", "closed")]
    assert sent[0]["_attributes"]["alertType"] == "house.silent"
    # And it is stored closed, since when and till when; the second delivery wrote nothing
    answer = call(cloud, API, api_event(DIR, "get_alert"))
    assert answer.status == 200
    assert {k: answer.json()[k] for k in ("status", "since", "lastSeen", "closedAt", "communityId")} == {
        "status": "closed",
        "since": "2026-03-02T10:00:00Z",
        "lastSeen": "2026-03-02T10:08:00Z",
        "closedAt": "2026-03-02T10:09:00Z",
        "communityId": "c-0123456789ab",
    }
    assert table_items(cloud, "AlertsTable") == stored


def test_an_alert_closed_before_it_reached_us_is_kept_and_not_sent_and_stays_closed(
    cloud: LocalCloud, technicians: TopicProbe
) -> None:
    opened = alert("c-late")
    closed = opened.model_copy(update={"status": "closed", "timestamp": "2026-03-09T10:09:00Z"})
    # When its closing comes before its opening
    deliver(cloud, closed)
    deliver(cloud, opened)
    # Then it is closed, and technicians were sent nothing
    answer = call(cloud, API, api_event(DIR, "get_alert", path={"alertId": opened.alertId}))
    assert answer.json()["status"] == "closed"
    assert technicians.messages() == []


def page(cloud: LocalCloud, query: dict[str, str]) -> Any:
    answer = call(cloud, API, api_event(DIR, "get_alerts", query=query))
    assert answer.status == 200, answer.body
    return answer.json()


def test_staff_list_a_communitys_alerts_of_a_status_newest_first_a_page_at_a_time(cloud: LocalCloud) -> None:
    # Given four open alerts in a community, begun at 10:00, 10:01, 10:02 and 10:03, one
    # acknowledged since, and one alert elsewhere
    community = f"c-{next(_N)}"
    mine = [alert(community, minute=5, since=m) for m in range(4)]
    deliver(cloud, *mine, alert("c-elsewhere"))
    acked = call(cloud, API, api_event(DIR, "post_ack", path={"alertId": mine[0].alertId}))
    assert acked.status == 200 and acked.json()["status"] == "acked"
    # When staff read the community's open ones two at a time
    first = page(cloud, {"status": "open", "communityId": community, "limit": "2"})
    second = page(
        cloud, {"status": "open", "communityId": community, "limit": "2", "before": str(first["next"])}
    )
    # Then they get the three open ones, newest first, the acknowledged one apart
    assert [a["alertId"] for a in first["alerts"]] == [mine[3].alertId, mine[2].alertId]
    assert [a["alertId"] for a in second["alerts"]] == [mine[1].alertId]
    assert second["next"] is None
    acknowledged = page(cloud, {"status": "acked", "communityId": community})
    assert [a["alertId"] for a in acknowledged["alerts"]] == [mine[0].alertId]
    # And across communities, a page of one has a next page
    everywhere = page(cloud, {"status": "open", "limit": "1"})
    assert len(everywhere["alerts"]) == 1 and everywhere["next"] is not None


def test_acknowledging_an_unknown_or_closed_alert_and_a_bad_status_are_refused(cloud: LocalCloud) -> None:
    missing = call(cloud, API, api_event(DIR, "post_ack", path={"alertId": "al-nothing"}))
    assert missing.status == 404 and missing.error_fields() == ["alertId"]
    closed = alert("c-closed", status="closed")
    deliver(cloud, closed)
    refused = call(cloud, API, api_event(DIR, "post_ack", path={"alertId": closed.alertId}))
    assert refused.status == 409 and refused.error_fields() == ["alertId"]
    bad = call(cloud, API, api_event(DIR, "get_alerts_bad_status"))
    assert bad.status == 422 and bad.error_fields() == ["query.status"]


def test_only_staff_may_read_or_acknowledge(cloud: LocalCloud) -> None:
    house = new_house(cloud)
    for case in ("get_alerts", "get_alert", "post_ack"):
        assert call(cloud, API, api_event(DIR, case, token=None)).status == 401
        assert call(cloud, API, api_event(DIR, case, token=house.token)).status == 403
        assert call(cloud, API, api_event(DIR, case, token=STAFF_TOKEN)).status in (200, 404, 409)


def test_the_notifier_is_subscribed_to_malfunctions_only(cloud: LocalCloud) -> None:
    # When a malfunction alert (alertType attribute) and a grid-wide warning (none) are published
    malfunction = alert("c-filter")
    warning = alert("c-filter").model_copy(update={"alertType": "production.limit.reached"})
    with cloud.locked():
        for sent, attributes in ((malfunction, {"alertType": malfunction.alertType}), (warning, {})):
            (body,) = bus.pack(Topic.ALERT, [sent])
            cloud.clients.sns.publish(
                TopicArn=cloud.provisioned.topics["AlertTopic"],
                Message=body,
                MessageAttributes={
                    name: {"DataType": "String", "StringValue": value}
                    for name, value in {"topic": "alert", **attributes}.items()
                },
            )
        # Then only the malfunction reaches the notifier's queue
        queue = cloud.provisioned.queues["TechnicianNotifierQueue"]
        received = cloud.clients.sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=10).get(
            "Messages", []
        )
        for message in received:
            cloud.clients.sqs.delete_message(QueueUrl=queue, ReceiptHandle=message["ReceiptHandle"])
    assert [json.loads(m["Body"])["events"][0]["alertId"] for m in received] == [malfunction.alertId]
