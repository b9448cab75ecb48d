"""The price list of data sales is the template's (its own grid: other parameters): here
consumption data costs 10 datapoints and needs trust level 2."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from localcloud import LocalCloud
from tests.conftest import start_cloud
from tests.helpers import register_house, staff

DAY = "2026-03-01"


@pytest.fixture(scope="module")
def grid() -> Iterator[LocalCloud]:
    cloud = start_cloud(LogLevel="ERROR", ConsumptionDataDatapoints="10", ConsumptionDataTrustLevel="2")
    yield cloud
    cloud.stop()


def test_the_template_parameters_set_the_trust_and_the_cost(grid: LocalCloud) -> None:
    # Given a house that accepted consumption sales, with a reading
    house = register_house(grid, policies=["consumption"])
    grid.drain()
    reading = {"timestamp": f"{DAY}T08:00:00Z", "objects": {"fridge": 1.5}}
    assert (
        grid.request("POST", f"/houses/{house.id}/consumption", json_body=reading, token=house.token).status
        == 202
    )
    grid.drain()
    body = {"dataType": "consumption", "from": DAY, "to": DAY}
    # When a partner at trust 1 buys consumption data, then one at trust 2 with 25 datapoints
    partners = [
        staff(grid, "POST", "/partners", {"name": name, "datapoints": 25, "trustLevel": trust}, 201)
        for name, trust in (("Low", 1), ("High", 2))
    ]
    refused, sold = (
        grid.request("POST", f"/partners/{p['partnerId']}/purchases", json_body=body, token=p["token"])
        for p in partners
    )
    # Then the first needs trust 2, and the second pays 10
    assert (refused.status, refused.json()["requiredTrustLevel"]) == (403, 2)
    assert sold.status == 201, sold.body
    assert (sold.json()["datapoints"], sold.json()["balance"]) == (10, 15)
