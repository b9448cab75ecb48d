"""client-notifier: each notification stored once and delivered once on its client's own
topic; a house reads its own (staff any), staff a community's, newest first, a page at a time."""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from typing import Any

from localcloud import LocalCloud
from smartgrid.events import ClientNotification, Recipient, Topic
from tests.conftest import STAFF_TOKEN, sample_event
from tests.functions.autarky_support import client_topic_probe
from tests.functions.balance_support import carrying
from tests.functions.support import api_event, call, new_house, table_items, unknown_house_id

FUNCTION = "ClientNotifierFunction"
API = "ClientNotifierApiFunction"
DIR = "client_notifier"
_N = itertools.count()


def notification(kind: str, client_id: str, minute: int) -> ClientNotification:
    n = next(_N)
    return ClientNotification(
        notificationId=f"n-test{n:020d}",
        recipient=Recipient(kind="house" if kind == "house" else "community", id=client_id),
        subject=f"Your house is now autarkic ({n})",
        message=f"message {n}",
        timestamp=f"2026-03-09T10:{minute:02d}:00Z",
    )


def deliver(cloud: LocalCloud, notifications: Sequence[ClientNotification]) -> Any:
    return cloud.invoke(FUNCTION, carrying(DIR, "consumer", Topic.CLIENT_NOTIFICATION, notifications))


def community_of(cloud: LocalCloud, house_id: str, token: str) -> str:
    return str(cloud.request("GET", f"/houses/{house_id}", token=token).json()["communityId"])


def test_a_notification_is_stored_and_delivered_on_its_clients_topic_once(cloud: LocalCloud) -> None:
    # Given a subscription to the sample's house topic (made before its first notification)
    topic = client_topic_probe(cloud, "house", "h-0123456789ab")
    try:
        # When the sample notification is delivered to us twice
        first = cloud.invoke(FUNCTION, sample_event(DIR, "consumer"))
        stored = table_items(cloud, "NotificationsTable")
        second = cloud.invoke(FUNCTION, sample_event(DIR, "consumer"))
        # Then it was published once on the house's topic: the notification as JSON for a queue
        assert first == second == {"batchItemFailures": []}
        (published,) = topic.messages()
        assert published["notificationId"] == "n-0123456789abcdef01234567"
        assert published["subject"] == "Your house is now autarkic"
        assert published["_attributes"]["recipient"] == "house:h-0123456789ab"
        # And stored once: the second delivery wrote nothing
        assert table_items(cloud, "NotificationsTable") == stored
    finally:
        topic.close()


def test_a_house_reads_its_notifications_newest_first_a_page_at_a_time(cloud: LocalCloud) -> None:
    house = new_house(cloud)
    topic = client_topic_probe(cloud, "house", house.id)
    try:
        # Given three notifications for the house, delivered out of order
        notes = [notification("house", house.id, minute) for minute in (1, 2, 3)]
        deliver(cloud, [notes[1], notes[0], notes[2]])
        assert len(topic.messages()) == 3
        # When the house reads two at a time
        page = cloud.request("GET", f"/houses/{house.id}/notifications?limit=2", token=house.token)
        assert page.status == 200, page.body
        body = page.json()
        # Then the newest two come first, then the oldest on the next page
        assert [n["notificationId"] for n in body["notifications"]] == [
            notes[2].notificationId,
            notes[1].notificationId,
        ]
        assert body["notifications"][0]["delivered"] is True
        assert body["topicName"] == f"smartgrid-dev-notify-house-{house.id}"
        rest = cloud.request(
            "GET", f"/houses/{house.id}/notifications?limit=2&before={body['next']}", token=house.token
        ).json()
        assert [n["notificationId"] for n in rest["notifications"]] == [notes[0].notificationId]
        assert rest["next"] is None
    finally:
        topic.close()


def test_only_the_house_itself_or_staff_read_its_notifications(cloud: LocalCloud) -> None:
    house, other = new_house(cloud), new_house(cloud)
    path = f"/houses/{house.id}/notifications"
    assert cloud.request("GET", path).status == 401
    assert cloud.request("GET", path, token=other.token).status == 403
    assert cloud.request("GET", path, token=STAFF_TOKEN).status == 200


def test_staff_read_a_communitys_notifications_and_houses_may_not(cloud: LocalCloud) -> None:
    house = new_house(cloud)
    community = community_of(cloud, house.id, house.token)
    deliver(cloud, [notification("community", community, 5)])
    path = f"/communities/{community}/notifications"
    assert cloud.request("GET", path, token=house.token).status == 403
    answer = cloud.request("GET", path, token=STAFF_TOKEN)
    assert answer.status == 200 and len(answer.json()["notifications"]) == 1


def test_unknown_clients_and_bad_queries_are_refused_naming_the_field(cloud: LocalCloud) -> None:
    unknown = call(
        cloud, API, api_event(DIR, "get_house_notifications", path={"houseId": unknown_house_id()})
    )
    assert unknown.status == 404 and unknown.error_fields() == ["houseId"]
    no_community = call(
        cloud, API, api_event(DIR, "get_community_notifications", path={"communityId": "c-000000000000"})
    )
    assert no_community.status == 404 and no_community.error_fields() == ["communityId"]
    house = new_house(cloud)
    too_many = call(
        cloud,
        API,
        api_event(DIR, "get_house_notifications", path={"houseId": house.id}, query={"limit": "500"}),
    )
    assert too_many.status == 422 and too_many.error_fields() == ["query.limit"]
    bad_page = call(
        cloud,
        API,
        api_event(DIR, "get_house_notifications", path={"houseId": house.id}, query={"before": "x"}),
    )
    assert bad_page.status == 422 and bad_page.error_fields() == ["query.before"]
