"""The data a sale sells, read (read-only, through their owners' repositories) from the
client database and the consumption and production stores.

Only the clients who had accepted the data type's policy at the sale's grid time are read;
each is sold under the buyer's pseudonym, with no name, location or id.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from smartgrid.consent import accepted_at
from smartgrid.models import ProducerKind
from smartgrid.partners import DataType, SoldClient, daily_series, detailed_series
from smartgrid.stores.clients import ClientsRepository
from smartgrid.stores.consumption import DailyConsumptionStore, DetailedConsumptionStore
from smartgrid.stores.producers import ProducersRepository
from smartgrid.stores.production import DailyProductionStore

# (data type, days, grid time of the sale, pseudonym of a house id) -> the clients sold
Gather = Callable[[DataType, Sequence[str], str, Callable[[str], str]], list[SoldClient]]


@dataclass(frozen=True)
class SaleSources:
    clients: ClientsRepository
    producers: ProducersRepository
    daily_consumption: DailyConsumptionStore
    detailed_consumption: DetailedConsumptionStore
    daily_production: DailyProductionStore

    def consenting_houses(self, data_type: DataType, at: str) -> list[str]:
        return sorted(h.houseId for h in self.clients.all() if accepted_at(h, data_type, at))

    def gather(
        self, data_type: DataType, days: Sequence[str], at: str, pseudonym_of: Callable[[str], str]
    ) -> list[SoldClient]:
        houses = self.consenting_houses(data_type, at)
        if data_type is DataType.CONSUMPTION:
            return daily_series(self.daily_consumption.houses_days(houses, days), days, pseudonym_of)
        if data_type is DataType.PRODUCTION:
            consenting = set(houses)
            house_of = {
                p.producerId: p.houseId
                for p in self.producers.all()
                if p.kind is ProducerKind.HOUSE and p.houseId in consenting
            }
            by_producer = self.daily_production.producers_days(sorted(house_of), days)
            by_house = {str(house_of[p]): by_day for p, by_day in by_producer.items()}
            return daily_series(by_house, days, pseudonym_of)
        by_object = {h: self.detailed_consumption.objects_days(h, days) for h in houses}
        return detailed_series(by_object, days, pseudonym_of)
