"""Fixtures of the function tests (the cloud fixtures are in tests/conftest.py)."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from localcloud import LocalCloud
from tests.functions.support import TopicProbe


@pytest.fixture
def probe(cloud: LocalCloud) -> Iterator[Callable[[str], TopicProbe]]:
    """probe("ConsumptionClientTopic"): a queue that receives what is published on the topic
    from now on; unsubscribed after the test."""
    made: list[TopicProbe] = []

    def listen(topic_logical_id: str) -> TopicProbe:
        made.append(TopicProbe(cloud, topic_logical_id))
        return made[-1]

    yield listen
    for listener in made:
        listener.close()
