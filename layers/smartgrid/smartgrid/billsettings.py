"""What both of bill-api's handlers read, and the service they build from it."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from pydantic import Field

from smartgrid.billing import EPOCH, Price
from smartgrid.billservice import BillingService
from smartgrid.clockservice import ClockReaderSettings
from smartgrid.stores.bills import BillsStore
from smartgrid.stores.clients import ClientsRepository
from smartgrid.stores.energy import EnergyStore
from smartgrid.stores.vpp import VppRepository


class BillSettings(ClockReaderSettings):
    bills_table: str = Field(alias="BILLS_TABLE")
    energy_table: str = Field(alias="ENERGY_TABLE")
    clients_table: str = Field(alias="CLIENTS_TABLE")
    vpp_table: str = Field(alias="VPP_TABLE")
    buy_price_per_wh: Decimal = Field(Decimal("0.00015"), alias="BUY_PRICE_PER_WH", ge=0, le=1)
    sell_price_per_wh: Decimal = Field(Decimal("0.00010"), alias="SELL_PRICE_PER_WH", ge=0, le=1)
    frame_delay_ticks: int = Field(5, alias="FRAME_DELAY_TICKS", ge=2, le=60)

    def service(self) -> BillingService:
        energy = EnergyStore(self.energy_table, self.tick_minutes)
        clients = ClientsRepository(self.clients_table)
        return BillingService(
            BillsStore(self.bills_table),
            energy.bought_sold,
            clients.get,
            clients.all,
            Price(EPOCH, self.buy_price_per_wh, self.sell_price_per_wh),
            timedelta(minutes=self.frame_delay_ticks * self.tick_minutes),
            VppRepository(self.vpp_table).house_days,
        )
