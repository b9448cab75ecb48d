"""consumption-peak: a community over its threshold in a closed frame peaks, once per frame;
staff read its peaks (with what was shed) and set its own threshold."""

from __future__ import annotations

import itertools
from collections.abc import Callable

from localcloud import LocalCloud
from smartgrid.events import ElectricityFrame, FrameTotals, Topic
from smartgrid.schedules import ShedCause, Shedding, ShedObject
from smartgrid.stores.schedules import SheddingsStore
from tests.conftest import STAFF_TOKEN, sample_event
from tests.functions.balance_support import carrying
from tests.functions.support import TopicProbe, new_house

FUNCTION = "ConsumptionPeakFunction"
DIR = "consumption_peak"
Probe = Callable[[str], TopicProbe]
_MINUTES = itertools.count()


def community_of(cloud: LocalCloud, house_token: str, house_id: str) -> str:
    answer = cloud.request("GET", f"/houses/{house_id}", token=house_token)
    return str(answer.json()["communityId"])


def frame_with(**watts_by_community: float) -> ElectricityFrame:
    """A one-minute frame of a minute no other test uses (2026-03-07), communities drawing these W
    (multiples of 60 W: whole mWh in a minute)."""
    n = next(_MINUTES)
    communities = {c: FrameTotals(consumptionMwh=round(w * 1000 / 60)) for c, w in watts_by_community.items()}
    total = sum(t.consumptionMwh for t in communities.values())
    return ElectricityFrame(
        frameStart=f"2026-03-07T{n // 60:02d}:{n % 60:02d}:00Z",
        durationMinutes=1,
        grid=FrameTotals(consumptionMwh=total),
        communities=communities,
    )


def deliver(cloud: LocalCloud, frame: ElectricityFrame) -> object:
    return cloud.invoke(FUNCTION, carrying(DIR, "consumer", Topic.ELECTRICITY_FRAME, [frame]))


def test_a_community_over_the_default_threshold_peaks(cloud: LocalCloud, probe: Probe) -> None:
    peaks = probe("ConsumptionPeakTopic")
    # Given a frame where one community draws 12,000 W and another 3,000 W
    result = cloud.invoke(FUNCTION, sample_event(DIR, "consumer"))
    # Then only the first peaks, against the default 10,000 W
    assert result == {"batchItemFailures": []}
    assert peaks.events() == [
        {
            "communityId": "c-0123456789ab",
            "frameStart": "2026-03-05T19:00:00Z",
            "valueW": 12000.0,
            "thresholdW": 10000.0,
        }
    ]


def test_a_frame_delivered_twice_peaks_once(cloud: LocalCloud, probe: Probe) -> None:
    peaks = probe("ConsumptionPeakTopic")
    frame = frame_with(**{"c-twice0000001": 15_000})
    # When the same frame arrives twice (two deliveries, or two copies of the function)
    deliver(cloud, frame)
    deliver(cloud, frame)
    # Then one peak is published
    assert [e["communityId"] for e in peaks.events()] == ["c-twice0000001"]


def test_below_the_threshold_is_no_peak_and_houses_still_registering_never_peak(
    cloud: LocalCloud, probe: Probe
) -> None:
    peaks = probe("ConsumptionPeakTopic")
    deliver(cloud, frame_with(**{"c-below0000001": 9_990, "unassigned": 50_000}))
    assert peaks.events() == []


def test_staff_set_a_community_threshold_and_the_peaks_follow_it(cloud: LocalCloud, probe: Probe) -> None:
    house = new_house(cloud)
    community = community_of(cloud, house.token, house.id)
    peaks = probe("ConsumptionPeakTopic")
    # Given staff lower the community's threshold to 4,000 W
    answer = cloud.request(
        "PUT", f"/communities/{community}/peak-threshold", json_body={"thresholdW": 4000}, token=STAFF_TOKEN
    )
    assert answer.status == 200, answer.body
    assert answer.json() == {"communityId": community, "thresholdW": 4000.0, "isDefault": False}
    # When it draws 6,000 W
    deliver(cloud, frame_with(**{community: 6_000}))
    # Then it peaks against its own threshold
    assert [(e["valueW"], e["thresholdW"]) for e in peaks.events()] == [(6000.0, 4000.0)]
    # And back to the default, 6,000 W is no peak
    reset = cloud.request("DELETE", f"/communities/{community}/peak-threshold", token=STAFF_TOKEN)
    assert reset.json() == {"communityId": community, "thresholdW": 10000.0, "isDefault": True}
    deliver(cloud, frame_with(**{community: 6_000}))
    assert peaks.events() == []


def test_peaks_are_listed_with_what_was_shed(cloud: LocalCloud) -> None:
    house = new_house(cloud)
    community = community_of(cloud, house.token, house.id)
    # Given two peaks on 2026-03-07, the first shed by the scheduler
    first, second = frame_with(**{community: 12_000}), frame_with(**{community: 13_200})
    deliver(cloud, first)
    deliver(cloud, second)
    shed = Shedding(
        communityId=community,
        key=f"{first.frameStart}#peak",
        cause=ShedCause.PEAK,
        start="2026-03-07T00:10:00Z",
        until="2026-03-07T01:10:00Z",
        objects=[ShedObject(houseId=house.id, name="ev", powerW=7400)],
        shedW=7400,
        peakW=12_000,
    )
    with cloud.locked():
        SheddingsStore(cloud.provisioned.tables["SheddingsTable"]).add(shed)
    # When staff read the day's peaks
    answer = cloud.request("GET", f"/communities/{community}/peaks?date=2026-03-07", token=STAFF_TOKEN)
    # Then both are there, oldest first, the first with what was shed
    assert answer.status == 200, answer.body
    listed = answer.json()["peaks"]
    assert [(p["frameStart"], p["valueW"]) for p in listed] == [
        (first.frameStart, 12000.0),
        (second.frameStart, 13200.0),
    ]
    assert listed[0]["shed"] == {
        "start": "2026-03-07T00:10:00Z",
        "until": "2026-03-07T01:10:00Z",
        "shedW": 7400.0,
        "objects": [{"houseId": house.id, "name": "ev", "powerW": 7400.0}],
    }
    assert listed[1]["shed"] is None
    # And another day has none
    other = cloud.request(
        "GET", f"/communities/{community}/peaks?from=2026-03-08&to=2026-03-09", token=STAFF_TOKEN
    )
    assert other.json()["peaks"] == []


def test_only_staff_read_peaks_and_set_thresholds(cloud: LocalCloud) -> None:
    house = new_house(cloud)
    community = community_of(cloud, house.token, house.id)
    assert cloud.request("GET", f"/communities/{community}/peaks").status == 401
    assert cloud.request("GET", f"/communities/{community}/peaks", token=house.token).status == 403
    refused = cloud.request(
        "PUT", f"/communities/{community}/peak-threshold", json_body={"thresholdW": 1}, token=house.token
    )
    assert refused.status == 403


def test_a_bad_threshold_or_an_unknown_community_is_refused(cloud: LocalCloud) -> None:
    house = new_house(cloud)
    community = community_of(cloud, house.token, house.id)
    bad = cloud.request(
        "PUT", f"/communities/{community}/peak-threshold", json_body={"thresholdW": -5}, token=STAFF_TOKEN
    )
    assert bad.status == 422 and [f["field"] for f in bad.json()["fields"]] == ["body.thresholdW"]
    unknown = cloud.request("GET", "/communities/c-000000000000/peak-threshold", token=STAFF_TOKEN)
    assert unknown.status == 404 and unknown.json()["fields"][0]["field"] == "communityId"
