"""The outbox (store, then publish, once) against moto: a claim left by a handler that crashed
is taken over by the redelivery of the same SQS message, never by another message."""

from __future__ import annotations

import pytest

from localcloud import LocalCloud
from smartgrid.stores.outbox import Outbox, delivering, publish_once

LEASE_MS = 60_000


@pytest.fixture
def outbox(cloud: LocalCloud) -> Outbox:
    return Outbox(cloud.provisioned.tables["BalanceTable"])


def claimed_then_crashed(outbox: Outbox, key: dict[str, str], message_id: str) -> None:
    """A decision stored and claimed while handling `message_id`; the handler then dies (no
    publish, no release), so SQS will deliver that message again."""
    outbox.put_once(key, '{"frame": 1}')
    with delivering(message_id):
        assert outbox.claim(key, LEASE_MS)


def test_the_redelivered_message_takes_over_its_own_claim_and_publishes_once(outbox: Outbox) -> None:
    # Given a decision claimed while handling message m-1, whose handler died before publishing
    key = {"frameStart": "2026-03-09T10:00:00Z"}
    claimed_then_crashed(outbox, key, "m-1")
    published: list[str] = []
    record = outbox.get(key)
    assert record is not None and not record.published
    # When another message looks at the decision
    with delivering("m-2"):
        other = publish_once(outbox, key, record, published.append, LEASE_MS)
    # Then the claim is held: it does not publish
    assert not other and published == []
    # When SQS delivers m-1 again
    with delivering("m-1"):
        redo = publish_once(outbox, key, record, published.append, LEASE_MS)
    # Then it publishes the decision, once, and marks it published
    assert redo and published == ['{"frame": 1}']
    stored = outbox.get(key)
    assert stored is not None and stored.published and stored.attributes == {}


def test_a_claim_outside_any_message_waits_for_the_lease(outbox: Outbox) -> None:
    # Given a decision claimed while handling message m-3, whose handler died before publishing
    key = {"frameStart": "2026-03-09T10:01:00Z"}
    claimed_then_crashed(outbox, key, "m-3")
    # When code outside an SQS handler (no message) tries to claim it
    # Then the claim is held until its lease ends
    assert not outbox.claim(key, LEASE_MS)
