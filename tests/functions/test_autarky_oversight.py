"""autarky-oversight: each community's ticks judged in order, its houses' and its own autarky
changes notified once each (client.notification), whatever order or how often they arrive."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence
from typing import Any

import pytest
from aws_lambda_powertools.utilities.batch.exceptions import BatchProcessingError

from localcloud import LocalCloud
from smartgrid.events import EnergyOutputCommunity, Topic
from tests.conftest import sample_event
from tests.functions.autarky_support import at, balanced, tick_of
from tests.functions.balance_support import carrying
from tests.functions.support import TopicProbe, table_items

FUNCTION = "AutarkyOversightFunction"
DIR = "autarky_oversight"
START = "2026-03-09T10:00:00Z"
Probe = Callable[[str], TopicProbe]
_IDS = itertools.count()


def ids() -> tuple[str, str, str]:
    """A community and two houses of their own (tests share the module's grid)."""
    n = next(_IDS)
    return f"c-oversight{n:03d}", f"h-oversightA{n:02d}", f"h-oversightB{n:02d}"


def deliver(cloud: LocalCloud, events: Sequence[EnergyOutputCommunity]) -> Any:
    return cloud.invoke(FUNCTION, carrying(DIR, "consumer", Topic.ENERGY_OUTPUT_COMMUNITY, events))


def changes(probe: TopicProbe) -> list[tuple[str, str, str]]:
    """(recipient id, subject, timestamp) of each notification published."""
    return [(e["recipient"]["id"], e["subject"], e["timestamp"]) for e in probe.events()]


def test_the_sample_event_judges_its_houses_and_its_community(cloud: LocalCloud, probe: Probe) -> None:
    notifications = probe("ClientNotificationTopic")
    # Given the sample: one house covering its use (and charging its battery), one buying
    result = cloud.invoke(FUNCTION, sample_event(DIR, "consumer"))
    # Then the first house and the community (45 Wh own for 45 Wh used) become autarkic
    assert result == {"batchItemFailures": []}
    assert sorted((e["recipient"]["kind"], e["recipient"]["id"]) for e in notifications.events()) == [
        ("community", "c-0123456789ab"),
        ("house", "h-0123456789ab"),
    ]


def test_a_house_gains_then_loses_autarky_once_each_even_delivered_twice(
    cloud: LocalCloud, probe: Probe
) -> None:
    community, house, _ = ids()
    notifications = probe("ClientNotificationTopic")
    # Given a house in deficit, then with a surplus that covers the hour, then in deficit again
    first = tick_of(community, at(START, 0), {house: balanced(consumption=1000)})
    surplus = tick_of(community, at(START, 1), {house: balanced(consumption=1000, production=3000)})
    deficit = tick_of(community, at(START, 2), {house: balanced(consumption=5000)})
    # When each message is delivered twice
    for event in (first, first, surplus, surplus, deficit, deficit):
        assert deliver(cloud, [event]) == {"batchItemFailures": []}
    # Then one notification when it gains (the hour 10:00-10:02: 3 Wh for 2 Wh) and one when it loses
    assert changes(notifications) == [
        (community, f"Community {community} is now autarkic", at(START, 2)),
        (house, "Your house is now autarkic", at(START, 2)),
        (community, f"Community {community} is no longer autarkic", at(START, 3)),
        (house, "Your house is no longer autarkic", at(START, 3)),
    ]


def test_ticks_that_arrive_out_of_order_are_judged_in_tick_order(cloud: LocalCloud, probe: Probe) -> None:
    community, house, _ = ids()
    notifications = probe("ClientNotificationTopic")
    deficit = tick_of(community, at(START, 0), {house: balanced(consumption=1000)})
    surplus = tick_of(community, at(START, 1), {house: balanced(consumption=0, production=1000)})
    deficit_again = tick_of(community, at(START, 2), {house: balanced(consumption=1000)})
    # Given the first tick in
    deliver(cloud, [deficit])
    # When the third arrives before the second
    deliver(cloud, [deficit_again])
    assert notifications.events() == []  # it waits for the second
    deliver(cloud, [surplus])
    # Then the second is judged first (1 Wh for 1 Wh: gained), then the third (1 for 2: lost)
    assert [(e["recipient"]["id"], e["subject"], e["timestamp"]) for e in notifications.events()] == [
        (community, f"Community {community} is now autarkic", at(START, 2)),
        (house, "Your house is now autarkic", at(START, 2)),
        (community, f"Community {community} is no longer autarkic", at(START, 3)),
        (house, "Your house is no longer autarkic", at(START, 3)),
    ]


def test_a_community_is_autarkic_when_its_houses_cover_their_use_together(
    cloud: LocalCloud, probe: Probe
) -> None:
    community, sunny, shaded = ids()
    notifications = probe("ClientNotificationTopic")
    # Given one house with a surplus of 1 Wh, the other short of 1 Wh
    tick = tick_of(
        community,
        at(START, 0),
        {sunny: balanced(consumption=1000, production=2000), shaded: balanced(consumption=1000)},
    )
    # When the tick is judged
    deliver(cloud, [tick])
    # Then the community and the sunny house are autarkic, not the shaded one
    assert {e["recipient"]["id"] for e in notifications.events()} == {community, sunny}


def test_a_batch_of_ticks_in_one_message_is_judged_in_order_and_stored_once(
    cloud: LocalCloud, probe: Probe
) -> None:
    community, house, _ = ids()
    notifications = probe("ClientNotificationTopic")
    # Given an hour and a half of ticks, in reverse order in one message: a surplus, then deficits
    ticks = [
        tick_of(
            community, at(START, m), {house: balanced(consumption=1000, production=2000 if m < 30 else 0)}
        )
        for m in range(90)
    ]
    deliver(cloud, list(reversed(ticks)))
    # Then gained at the first tick; lost once the hour's window holds less than 97 % of its use:
    # the window of 10:59 holds 60 Wh for 60 Wh, that of 11:00 (10:01-11:01) 58 Wh for 60 Wh
    found = [e["timestamp"] for e in notifications.events() if e["recipient"]["id"] == house]
    assert found == [at(START, 1), at(START, 61)]
    # And a second delivery of the whole message changes nothing
    before = table_items(cloud, "AutarkyTable")
    deliver(cloud, ticks)
    assert notifications.events() == [] and table_items(cloud, "AutarkyTable") == before


def test_a_change_stored_by_a_copy_that_failed_to_publish_is_published_by_the_next_delivery(
    cloud: LocalCloud, probe: Probe
) -> None:
    community, house, _ = ids()
    notifications = probe("ClientNotificationTopic")
    tick = tick_of(community, at(START, 0), {house: balanced(consumption=1000, production=1000)})
    # Given a first delivery whose publishing fails (the topic unreachable) after the change is stored
    environment = cloud.host(FUNCTION).environment
    reachable = environment["CLIENT_NOTIFICATION_TOPIC_ARN"]
    environment["CLIENT_NOTIFICATION_TOPIC_ARN"] = reachable + "-unreachable"
    try:
        with pytest.raises(BatchProcessingError):  # every record failed: SQS delivers it again
            deliver(cloud, [tick])
    finally:
        environment["CLIENT_NOTIFICATION_TOPIC_ARN"] = reachable
    assert notifications.events() == []
    # When SQS delivers it again
    assert deliver(cloud, [tick]) == {"batchItemFailures": []}
    # Then the stored changes are published, once each
    assert sorted(e["recipient"]["id"] for e in notifications.events()) == [community, house]
    deliver(cloud, [tick])
    assert notifications.events() == []
