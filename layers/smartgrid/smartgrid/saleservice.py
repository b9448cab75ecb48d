"""partner-api's sales: a partner buys data, and pays for it exactly once.

A purchase checks, in order: its Idempotency-Key (a retry gets its sale back, whatever the
balance is now; the same key with another request is a 409), the period (422), the trust
level (403), the datapoints (402). Then the data is read and stored as sold, BEFORE anything
is debited: a failed read debits nothing, and a sale without data (no consenting client has
any for the period) is refused (404) and debits nothing either. The sale then commits in
one transaction (debit, sale, key; see `stores.partners`) on the condition that the partner
did not change since it was read: a concurrent sale, credit or change of trust makes it
check everything again. Its `sale.data` event is stored with it and published once after
(outbox); one left unpublished by a crash is published by the retry with the same key, or
else by the partner's next purchase.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial

from smartgrid.bus import Bus
from smartgrid.errors import Conflict, NotFound
from smartgrid.events import SaleData, Topic
from smartgrid.gridtime import parse_instant
from smartgrid.partners import (
    DataType,
    NoData,
    PriceList,
    Sale,
    SaleSummary,
    check_purchase,
    key_sha256,
    pseudonym,
    request_fingerprint,
    sale_days,
)
from smartgrid.saledata import Gather
from smartgrid.stores.outbox import publish_once
from smartgrid.stores.partners import PartnersRepository, SaleRaced, key_reused, sale_id

ATTEMPTS = 5


@dataclass(frozen=True)
class Purchase:
    data_type: DataType
    first: dt.date
    last: dt.date


def publish_sale(payload: str) -> None:
    """Publishes a stored `sale.data` event; subscribers pick a data type by its attribute."""
    event = SaleData.model_validate_json(payload)
    Bus().publish(Topic.SALE_DATA, [event], {"dataType": event.dataType})


class SaleService:
    def __init__(
        self,
        partners: PartnersRepository,
        prices: PriceList,
        gather: Gather,
        now: Callable[[], str],
        publish: Callable[[str], None] = publish_sale,
    ) -> None:
        self.partners = partners
        self.prices = prices
        self.gather = gather
        self.now = now
        self.publish = publish

    def purchase(
        self, partner_id: str, purchase: Purchase, idempotency_key: str | None, lease_ms: int
    ) -> tuple[Sale, bool]:
        """The sale, and whether it is the replay of an earlier request with the same key."""
        fingerprint = request_fingerprint(purchase.data_type, purchase.first, purchase.last)
        key = key_sha256(idempotency_key) if idempotency_key is not None else None
        for _ in range(ATTEMPTS):
            if key is not None:
                replayed = self._replay(partner_id, key, fingerprint, lease_ms)
                if replayed is not None:
                    return replayed, True
            partner = self.partners.require(partner_id)
            if partner.sales:
                # The partner's last sale, if its function died before publishing it (and no
                # retry with its key came), is published now, once: no sale goes unannounced.
                self._publish(partner_id, sale_id(partner_id, partner.sales), lease_ms)
            now = self.now()
            days = sale_days(purchase.first, purchase.last, parse_instant(now).date())
            offer = self.prices.offer(purchase.data_type)
            check_purchase(offer, partner.trustLevel, partner.datapoints)
            sold = self.gather(purchase.data_type, days, now, partial(pseudonym, partner.pseudonymKey))
            if not sold:
                raise NoData(
                    f"no client who accepted the {purchase.data_type} policy has data from {days[0]} "
                    f"to {days[-1]}: nothing is sold, nothing debited",
                    field="from",
                )
            sale = Sale(
                saleId=sale_id(partner_id, partner.sales + 1),
                partnerId=partner_id,
                dataType=purchase.data_type,
                from_=days[0],
                to=days[-1],
                datapoints=offer.datapoints,
                balance=partner.datapoints - offer.datapoints,
                clients=len(sold),
                timestamp=now,
                data=sold,
            )
            event = SaleData(
                saleId=sale.saleId,
                partnerId=partner_id,
                dataType=purchase.data_type.value,
                datapoints=offer.datapoints,
                firstDay=days[0],
                lastDay=days[-1],
                clients=len(sold),
                timestamp=now,
            )
            nonce = uuid.uuid4().hex
            pieces = self.partners.store_data(partner_id, nonce, sale.model_dump_json(by_alias=True))
            try:
                self.partners.commit_sale(
                    partner,
                    summary_json=sale.summary().model_dump_json(by_alias=True),
                    debit=offer.datapoints,
                    event=event.model_dump_json(),
                    nonce=nonce,
                    pieces=pieces,
                    key=key,
                    fingerprint=fingerprint,
                )
            except SaleRaced:
                self.partners.delete_data(partner_id, nonce, pieces)
                continue  # read it all again: the key may be taken, the balance spent, the trust lowered
            self._publish(partner_id, sale.saleId, lease_ms)
            return sale, False
        raise Conflict("the partner kept changing during the sale; try again", field="partnerId")

    def sale(self, partner_id: str, sale: str) -> Sale:
        found = self.partners.sale_json(partner_id, sale)
        if found is None:
            raise NotFound(f"no sale {sale} of partner {partner_id}", field="saleId")
        return Sale.model_validate_json(found)

    def sales(self, partner_id: str, limit: int, after: str | None) -> tuple[list[SaleSummary], str | None]:
        self.partners.require(partner_id)
        summaries, following = self.partners.sale_summaries(partner_id, limit, after)
        return [SaleSummary.model_validate_json(s) for s in summaries], following

    def _replay(self, partner_id: str, key: str, fingerprint: str, lease_ms: int) -> Sale | None:
        stored = self.partners.purchase_key(partner_id, key)
        if stored is None:
            return None
        if stored.fingerprint != fingerprint or stored.saleId is None:
            raise key_reused()
        # A first attempt that crashed after its commit publishes its event now, once.
        self._publish(partner_id, stored.saleId, lease_ms)
        return self.sale(partner_id, stored.saleId)

    def _publish(self, partner_id: str, sale: str, lease_ms: int) -> None:
        key = self.partners.sale_outbox_key(partner_id, sale)
        record = self.partners.outbox.get(key)
        if record is not None:
            publish_once(self.partners.outbox, key, record, self.publish, lease_ms)
