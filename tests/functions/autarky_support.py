"""What the autarky and notification tests share: a community's tick of energy as
real-energy-output publishes it, and a probe on a client's own notification topic."""

from __future__ import annotations

from datetime import timedelta

from localcloud import LocalCloud
from smartgrid.events import EnergyOutputCommunity, HouseEnergy, Recipient
from smartgrid.gridtime import iso, parse_instant
from smartgrid.notifications import topic_name
from tests.functions.support import TopicProbe


def at(start: str, minute: int) -> str:
    return iso(parse_instant(start) + timedelta(minutes=minute))


def balanced(consumption: int, production: int = 0, charge: int = 0, discharge: int = 0) -> HouseEnergy:
    """A house's tick (mWh), its exchange with the grid balancing it."""
    net = production + discharge - consumption - charge
    return HouseEnergy(
        consumptionMwh=consumption,
        productionMwh=production,
        batteryChargeMwh=charge,
        batteryDischargeMwh=discharge,
        boughtMwh=max(0, -net),
        soldMwh=max(0, net),
    )


def tick_of(community_id: str, frame_start: str, houses: dict[str, HouseEnergy]) -> EnergyOutputCommunity:
    return EnergyOutputCommunity(
        communityId=community_id, frameStart=frame_start, durationMinutes=1, houses=houses
    )


def client_topic_probe(cloud: LocalCloud, kind: str, client_id: str) -> TopicProbe:
    """A probe on the client's notification topic, made first by its stable name, as an
    e-mail subscription would be."""
    prefix = cloud.host("ClientNotifierFunction").environment["NOTIFY_TOPIC_PREFIX"]
    name = topic_name(prefix, Recipient(kind="house" if kind == "house" else "community", id=client_id))
    with cloud.locked():
        arn = cloud.clients.sns.create_topic(Name=name)["TopicArn"]
    return TopicProbe(cloud, arn)
