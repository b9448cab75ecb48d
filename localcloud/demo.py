"""The demo fleet of `make run` (`python -m localcloud run --houses N`): simulated houses in a
few towns and two utility producers, created through the API once the grid serves.

It runs beside the server, one API call at a time through the in-process URL (the grid's lock
is taken per call, so the server keeps answering meanwhile). The fleet itself is the layer's
`smartgrid.simulation.demo`.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

from localcloud.cloud import LocalCloud
from smartgrid.gridclient import GridClient, GridClientError, api_url
from smartgrid.simulation.demo import demo_houses, demo_producers, towns_for
from smartgrid.simulation.houses import house_table

PROGRESS_EVERY = 100
PAUSE_SECONDS = 0.02  # between two houses: the grid's lock is not fair, let the rest of the grid run
API_URL_PARAMETER = "ApiUrlParameter"  # its logical id in template.yaml
SIM_HOUSES_TABLE = "SimHousesTable"


class DemoFleet:
    def __init__(
        self, cloud: LocalCloud, houses: int, say: Callable[[str], None], page_url: str | None = None
    ) -> None:
        """`page_url`: the served API's URL; the household page of the first house is said there."""
        self.cloud = cloud
        self.houses = houses
        self.say = say
        self.page_url = page_url
        self.stopping = threading.Event()
        self.created = 0
        self._thread: threading.Thread | None = None

    def start(self) -> DemoFleet:
        if self.houses > 0:
            self._thread = threading.Thread(target=self.load, name="grid-demo-fleet", daemon=True)
            self._thread.start()
        return self

    def stop(self) -> None:
        self.stopping.set()
        if self._thread is not None:
            self._thread.join(timeout=30)

    def client(self) -> GridClient:
        """Staff's client of the API's own URL, read from SSM as the simulators read it."""
        with self.cloud.locked():  # in-process moto: under the grid's lock
            url = api_url(self.cloud.provisioned.parameters[API_URL_PARAMETER])
        return GridClient(url, self.cloud.staff_token)

    def load(self) -> None:
        started = time.monotonic()
        towns = towns_for(self.houses)
        self.say(f"demo fleet: creating {self.houses} houses in {towns} towns and 2 producers...")
        try:
            client = self.client()
            for body in demo_producers(self.houses):
                if self.stopping.is_set():
                    return
                client.request("POST", "/sim/producers", body)
            for index, body in enumerate(demo_houses(self.houses)):
                if self.stopping.wait(PAUSE_SECONDS):
                    return
                house = client.request("POST", "/sim/houses", body)
                self.created += 1
                if self.created == 1 and self.page_url:
                    token = sim_house_token(self.cloud, house["houseId"])
                    self.say(household_page_line(self.page_url, house, token))
                if (index + 1) % PROGRESS_EVERY == 0 and index + 1 < self.houses:
                    self.say(f"demo fleet: {index + 1} of {self.houses} houses")
        except (GridClientError, KeyError) as error:
            self.say(f"warning: the demo fleet stopped after {self.created} houses: {error}")
            return
        self.say(
            f"demo fleet: {self.created} houses and 2 producers ready in {time.monotonic() - started:.1f} s"
        )


def sim_house_token(cloud: LocalCloud, house_id: str) -> str:
    """A simulated house's own token: the simulator keeps it, as a house's smart box would."""
    with cloud.locked():  # in-process moto: under the grid's lock
        table = house_table(cloud.provisioned.tables[SIM_HOUSES_TABLE])
        return table.require(house_id).spec.token


def household_page_line(page_url: str, house: dict[str, Any], token: str) -> str:
    fragment = urlencode({"house": house["houseId"], "token": token})
    link = f"{page_url}/dashboard/house#{fragment}"
    return f"demo fleet: the household page of {house['name']}: {link}"
