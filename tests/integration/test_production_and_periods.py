"""Production and period reads end to end: readings through the providers, the bus (every
message delivered twice) and the daily stores, read back through the API at house,
community and grid level, exact to the Wh, house and utility production apart."""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal
from typing import Any

from localcloud import LocalCloud
from smartgrid.stores.production import DailyProductionStore
from smartgrid.units import mwh_to_wh, wh_to_mwh
from tests.conftest import STAFF_TOKEN
from tests.helpers import register_house, register_producer

DAYS = ("2026-03-05", "2026-03-06")
PERIOD = f"from={DAYS[0]}&to={DAYS[1]}"
MINUTES = range(600, 606)  # 10:00 to 10:05


def get(cloud: LocalCloud, path: str, token: str = STAFF_TOKEN) -> Any:
    answer = cloud.request("GET", path, token=token)
    assert answer.status == 200, answer.body
    return answer.json()


def at(day: str, minute: int) -> str:
    return f"{day}T{minute // 60:02d}:{minute % 60:02d}:00Z"


def wh(mwh_by_day: dict[str, int]) -> list[float]:
    return [mwh_to_wh(mwh_by_day[d]) for d in DAYS]


def test_totals_match_the_readings_at_every_level_with_every_message_delivered_twice(
    cloud: LocalCloud,
) -> None:
    # Given two neighbours (one community) and a house far away (another), two of them
    # producing with solar panels, and two utility producers
    a = register_house(cloud, "A", 45.0, 5.0)
    b = register_house(cloud, "B", 45.01, 5.01)
    c = register_house(cloud, "C", 46.5, 7.0)
    cloud.drain()
    community = {h.id: get(cloud, f"/houses/{h.id}", h.token)["communityId"] for h in (a, b, c)}
    assert community[a.id] == community[b.id] != community[c.id]
    solar = {}
    for house in (a, c):
        made = cloud.request("POST", f"/houses/{house.id}/producer", token=house.token)
        assert made.status == 201, made.body
        solar[house.id] = made.json()["producerId"]
    utilities = [register_producer(cloud, "Nikola"), register_producer(cloud, "Tesla")]
    cloud.drain()

    # When the houses and producers post readings over two days (some one by one, some in
    # head-end batches), and SQS delivers every batch twice at every stage
    consumed: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))  # house -> day -> mWh
    produced: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))  # producer -> day -> mWh
    ticks: dict[str, list[tuple[str, float]]] = defaultdict(list)  # producer -> readings of the first day
    batch: dict[str, list[dict[str, Any]]] = {"consumption": [], "production": []}
    cloud.deliver_twice(1.0)
    try:
        for n, day in enumerate(DAYS):
            for minute in MINUTES:
                step = Decimal(minute - 600)
                for k, house in enumerate((a, b, c)):
                    objects = {
                        "heater": Decimal("16.667") + step * k + n,
                        "fridge": Decimal("1.5"),
                        "tv": Decimal("0.333"),
                    }
                    consumed[house.id][day] += sum(wh_to_mwh(v) for v in objects.values())
                    body = {
                        "timestamp": at(day, minute),
                        "objects": {o: float(v) for o, v in objects.items()},
                    }
                    if house is c:
                        batch["consumption"].append({"houseId": house.id, **body})
                    else:
                        sent = cloud.request(
                            "POST", f"/houses/{house.id}/consumption", token=house.token, json_body=body
                        )
                        assert sent.status == 202, sent.body
                for k, (producer, token) in enumerate(
                    [(solar[a.id], a.token), (solar[c.id], c.token), *((u.id, u.token) for u in utilities)]
                ):
                    energy = (Decimal("2.125") + step) * (k + 1) * (100 if k >= 2 else 1) + n
                    produced[producer][day] += wh_to_mwh(energy)
                    if day == DAYS[0]:
                        ticks[producer].append((at(day, minute), mwh_to_wh(wh_to_mwh(energy))))
                    body = {"timestamp": at(day, minute), "wh": float(energy)}
                    if producer == utilities[1].id:
                        batch["production"].append({"producerId": producer, **body})
                    else:
                        sent = cloud.request(
                            "POST", f"/producers/{producer}/production", token=token, json_body=body
                        )
                        assert sent.status == 202, sent.body
        received = cloud.request("POST", "/readings", token=STAFF_TOKEN, json_body=batch)
        assert received.json()["accepted"] == len(batch["consumption"]) + len(batch["production"])
        cloud.drain()
    finally:
        cloud.deliver_twice(0.0)
    duplicated = {s.host.spec.logical_id: s.duplicated for s in cloud.sqs_sources}
    assert all(
        duplicated[f] > 0
        for f in ("DailyConsumptionFunction", "DailyProductionFunction", "GlobalProductionFunction")
    )

    # Then each house's days are the sum of its readings, to the Wh
    for house in (a, b, c):
        period = get(cloud, f"/houses/{house.id}/consumption?{PERIOD}", house.token)
        assert [d["wh"] for d in period["days"]] == wh(consumed[house.id])
        assert period["wh"] == mwh_to_wh(sum(consumed[house.id].values()))
    # And each community's are the sum of its houses'
    members = {community[a.id]: (a, b), community[c.id]: (c,)}
    for community_id, houses in members.items():
        expected = {d: sum(consumed[h.id][d] for h in houses) for d in DAYS}
        period = get(cloud, f"/communities/{community_id}/consumption?{PERIOD}")
        assert (period["communityId"], [d["wh"] for d in period["days"]]) == (community_id, wh(expected))
        assert period["wh"] == mwh_to_wh(sum(expected.values()))
    # And the grid's are the sum of every house's
    grid = {d: sum(consumed[h.id][d] for h in (a, b, c)) for d in DAYS}
    period = get(cloud, f"/grid/consumption?{PERIOD}")
    assert [d["wh"] for d in period["days"]] == wh(grid)
    assert period["wh"] == mwh_to_wh(sum(grid.values()))

    # And each producer's day, tick by tick, and its period are what it posted
    for producer, token in [
        (solar[a.id], a.token),
        (solar[c.id], c.token),
        *((u.id, u.token) for u in utilities),
    ]:
        day = get(cloud, f"/producers/{producer}/production?date={DAYS[0]}", token)
        assert [(r["timestamp"], r["wh"]) for r in day["readings"]] == ticks[producer]
        assert day["wh"] == mwh_to_wh(produced[producer][DAYS[0]])
        period = get(cloud, f"/producers/{producer}/production?{PERIOD}", token)
        assert [d["wh"] for d in period["days"]] == wh(produced[producer])
    # And the grid's production keeps houses and utilities apart
    house_days = {d: produced[solar[a.id]][d] + produced[solar[c.id]][d] for d in DAYS}
    utility_days = {d: sum(produced[u.id][d] for u in utilities) for d in DAYS}
    grid_production = get(cloud, f"/grid/production?{PERIOD}")
    assert [d["byKind"] for d in grid_production["days"]] == [
        {"house": mwh_to_wh(house_days[d]), "utility": mwh_to_wh(utility_days[d])} for d in DAYS
    ]
    assert grid_production["byKind"] == {
        "house": mwh_to_wh(sum(house_days.values())),
        "utility": mwh_to_wh(sum(utility_days.values())),
    }
    assert grid_production["wh"] == mwh_to_wh(sum(house_days.values()) + sum(utility_days.values()))
    assert [d["wh"] for d in grid_production["days"]] == wh(
        {d: house_days[d] + utility_days[d] for d in DAYS}
    )
    # And each community's houses' production counts in that community only
    daily = DailyProductionStore(cloud.provisioned.tables["DailyProductionTable"])
    for house in (a, c):  # b produces nothing: its community's production is a's
        assert daily.community_days(community[house.id], list(DAYS)) == dict(produced[solar[house.id]])
    # And nothing was given up on
    assert all(depth == 0 for depth in cloud.dead_letters().values())


def test_a_staff_member_reads_an_empty_period_and_an_unknown_community(cloud: LocalCloud) -> None:
    # When staff read a period nothing was posted in, and a community that does not exist
    empty = get(cloud, "/grid/production?from=2026-01-01&to=2026-01-02")
    unknown = cloud.request("GET", f"/communities/c-000000000000/consumption?{PERIOD}", token=STAFF_TOKEN)
    # Then the period is all zeros, and the community is not found
    assert (empty["wh"], empty["byKind"], len(empty["days"])) == (0.0, {"house": 0.0, "utility": 0.0}, 2)
    assert unknown.status == 404 and unknown.json()["fields"][0]["field"] == "communityId"
