"""What partner-api reads from its environment: its table, the tables it sells from (read
only, through their owners' repositories), and the price list (template parameters)."""

from __future__ import annotations

from pydantic import Field

from smartgrid.clockservice import ClockReaderSettings, grid_now
from smartgrid.partners import DataType, Offer, PriceList
from smartgrid.saledata import SaleSources
from smartgrid.saleservice import SaleService
from smartgrid.settings import AuthSettings
from smartgrid.stores.clients import ClientsRepository
from smartgrid.stores.consumption import DailyConsumptionStore, DetailedConsumptionStore
from smartgrid.stores.partners import PartnersRepository
from smartgrid.stores.producers import ProducersRepository
from smartgrid.stores.production import DailyProductionStore


class PartnerSettings(AuthSettings, ClockReaderSettings):
    partners_table: str = Field(alias="PARTNERS_TABLE")
    daily_consumption_table: str = Field(alias="DAILY_CONSUMPTION_TABLE")
    detailed_consumption_table: str = Field(alias="DETAILED_CONSUMPTION_TABLE")
    daily_production_table: str = Field(alias="DAILY_PRODUCTION_TABLE")
    consumption_trust_level: int = Field(1, alias="CONSUMPTION_DATA_TRUST_LEVEL", ge=1, le=3)
    consumption_datapoints: int = Field(50, alias="CONSUMPTION_DATA_DATAPOINTS", ge=0)
    production_trust_level: int = Field(2, alias="PRODUCTION_DATA_TRUST_LEVEL", ge=1, le=3)
    production_datapoints: int = Field(70, alias="PRODUCTION_DATA_DATAPOINTS", ge=0)
    detailed_trust_level: int = Field(3, alias="DETAILED_DATA_TRUST_LEVEL", ge=1, le=3)
    detailed_datapoints: int = Field(100, alias="DETAILED_DATA_DATAPOINTS", ge=0)

    def price_list(self) -> PriceList:
        return PriceList(
            [
                Offer(DataType.CONSUMPTION, self.consumption_trust_level, self.consumption_datapoints),
                Offer(DataType.PRODUCTION, self.production_trust_level, self.production_datapoints),
                Offer(DataType.DETAILED, self.detailed_trust_level, self.detailed_datapoints),
            ]
        )

    def partners(self) -> PartnersRepository:
        return PartnersRepository(self.partners_table)

    def sources(self) -> SaleSources:
        return SaleSources(
            clients=ClientsRepository(self.clients_table),
            producers=ProducersRepository(self.producers_table),
            daily_consumption=DailyConsumptionStore(self.daily_consumption_table),
            detailed_consumption=DetailedConsumptionStore(self.detailed_consumption_table),
            daily_production=DailyProductionStore(self.daily_production_table),
        )

    def service(self) -> SaleService:
        return SaleService(self.partners(), self.price_list(), self.sources().gather, lambda: grid_now(self))
