"""partner-api (story 18): staff add partners with datapoints and a trust level; a partner
buys consumption, production or detailed data of the clients who accepted that policy,
each client behind a pseudonym of the partner's own. See `smartgrid.saleservice`.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from aws_lambda_powertools.event_handler import Response, content_types
from aws_lambda_powertools.event_handler.openapi.params import Header, Path, Query
from pydantic import BaseModel, Field, model_validator

from smartgrid.access import PARTNER_SELF, STAFF
from smartgrid.api import ErrorBody, GridApi
from smartgrid.clockservice import grid_now
from smartgrid.ids import PARTNER_PREFIX, new_id, new_token, token_sha256
from smartgrid.models import Strict
from smartgrid.observability import observability
from smartgrid.partners import DataType, Sale, SaleSummary, TrustLevel, key_sha256, new_pseudonym_key
from smartgrid.partnersettings import PartnerSettings
from smartgrid.saleservice import Purchase
from smartgrid.stores.outbox import lease_for
from smartgrid.stores.partners import PartnerRecord

obs = observability()
app = GridApi("partner-api")

PartnerId = Annotated[str, Path(min_length=3, max_length=64)]
SaleId = Annotated[str, Path(min_length=3, max_length=80)]
Name = Annotated[str, Field(min_length=1, max_length=100)]
Datapoints = Annotated[int, Field(ge=0, le=1_000_000_000)]
IdempotencyKey = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        min_length=1,
        max_length=255,
        description="makes a retry safe: the same key returns the first answer and changes nothing",
    ),
]
REPLAYED_HEADER = "Idempotent-Replayed"


class PartnerCreation(Strict):
    name: Name
    datapoints: Datapoints
    trustLevel: TrustLevel


class PartnerCreated(BaseModel):
    partnerId: str
    token: str = Field(description="the partner's bearer token: shown once, stored only as a hash")


class Partner(BaseModel):
    partnerId: str
    name: str
    trustLevel: int
    datapoints: int = Field(description="what the partner can still spend")
    sales: int = Field(description="how many sales it made")
    createdAt: str


class DatapointsAddition(Strict):
    amount: Annotated[int, Field(ge=1, le=1_000_000_000)]


class PartnerChange(Strict):
    name: Name | None = None
    trustLevel: TrustLevel | None = None

    @model_validator(mode="after")
    def _something(self) -> PartnerChange:
        if self.name is None and self.trustLevel is None:
            raise ValueError("give trustLevel or name")
        return self


class PurchaseRequest(Strict):
    dataType: DataType
    from_: dt.date = Field(alias="from", description="first day, YYYY-MM-DD")
    to: dt.date = Field(description="last day, YYYY-MM-DD (at most the grid's today)")


class SaleList(BaseModel):
    purchases: list[SaleSummary] = Field(description="newest first")
    next: str | None = Field(None, description="pass as ?after= for the next page")


def view(partner: PartnerRecord) -> Partner:
    return Partner(
        partnerId=partner.partnerId,
        name=partner.name,
        trustLevel=partner.trustLevel,
        datapoints=partner.datapoints,
        sales=partner.sales,
        createdAt=partner.createdAt,
    )


@app.post(
    "/partners", allow=STAFF, status_code=201, summary="Add a partner, with datapoints and a trust level"
)
def create_partner(creation: PartnerCreation) -> PartnerCreated:
    settings = PartnerSettings.from_env()
    partner_id = new_id(PARTNER_PREFIX)
    token = new_token(partner_id)
    settings.partners().create(
        PartnerRecord(
            partnerId=partner_id,
            name=creation.name,
            trustLevel=creation.trustLevel,
            datapoints=creation.datapoints,
            createdAt=grid_now(settings),
            tokenSha256=token_sha256(token),
            pseudonymKey=new_pseudonym_key(),
        )
    )
    obs.metrics.add_metric(name="PartnersAdded", unit="Count", value=1)
    return PartnerCreated(partnerId=partner_id, token=token)


@app.get(
    "/partners/<partnerId>", allow=(PARTNER_SELF, STAFF), summary="A partner: its trust level and datapoints"
)
def get_partner(partnerId: PartnerId) -> Partner:
    return view(PartnerSettings.from_env().partners().require(partnerId))


@app.patch("/partners/<partnerId>", allow=STAFF, summary="Change a partner's trust level or name")
def change_partner(partnerId: PartnerId, change: PartnerChange) -> Partner:
    partners = PartnerSettings.from_env().partners()
    return view(partners.change(partnerId, name=change.name, trust_level=change.trustLevel))


@app.post("/partners/<partnerId>/datapoints", allow=STAFF, summary="Add datapoints to a partner's balance")
def add_datapoints(
    partnerId: PartnerId, addition: DatapointsAddition, idempotency_key: IdempotencyKey = None
) -> Partner:
    partners = PartnerSettings.from_env().partners()
    key = key_sha256(idempotency_key) if idempotency_key is not None else None
    return view(partners.add_datapoints(partnerId, addition.amount, key, fingerprint=str(addition.amount)))


@app.post(
    "/partners/<partnerId>/purchases",
    allow=PARTNER_SELF,
    summary="Buy consumption, production or detailed data over a period",
    description="Checks in order: the period (422: at most 92 days, none after the grid's today), "
    "the trust level (403 with `requiredTrustLevel`), the datapoints (402 with `balance` and "
    "`cost`); then debits the cost and answers the data, in one step (404 `no_data`, nothing "
    "debited, if no consenting client has data for the period). The data covers the clients "
    "who accepted that data type's policy at the sale, each under a pseudonym of this "
    "partner's own: daily Wh for consumption and production, per object for detailed. With an "
    "`Idempotency-Key`, a retry answers the same sale and debits nothing (header "
    "`Idempotent-Replayed: true`); the same key with another body is a 409.",
    responses={
        201: {"description": "the sale, with its data"},
        402: {
            "description": "not enough datapoints (`balance`, `cost`)",
            "content": {"application/json": {"model": ErrorBody}},
        },
    },
)
def buy(
    partnerId: PartnerId, request: PurchaseRequest, idempotency_key: IdempotencyKey = None
) -> Response[Sale]:
    service = PartnerSettings.from_env().service()
    purchase = Purchase(request.dataType, request.from_, request.to)
    sale, replayed = service.purchase(partnerId, purchase, idempotency_key, lease_for(app.lambda_context))
    if not replayed:
        obs.metrics.add_metric(name="DataSold", unit="Count", value=1)
    return Response(
        status_code=201,
        content_type=content_types.APPLICATION_JSON,
        body=sale,
        headers={REPLAYED_HEADER: "true"} if replayed else None,
    )


@app.get(
    "/partners/<partnerId>/purchases",
    allow=(PARTNER_SELF, STAFF),
    summary="A partner's purchases, newest first (without their data)",
)
def list_purchases(
    partnerId: PartnerId,
    limit: Annotated[int, Query(ge=1, le=100, description="at most this many")] = 50,
    after: Annotated[str | None, Query(max_length=80, description="the `next` of the previous page")] = None,
) -> SaleList:
    summaries, following = PartnerSettings.from_env().service().sales(partnerId, limit, after)
    return SaleList(purchases=summaries, next=following)


@app.get(
    "/partners/<partnerId>/purchases/<saleId>",
    allow=(PARTNER_SELF, STAFF),
    summary="One purchase, with its data exactly as sold",
)
def get_purchase(partnerId: PartnerId, saleId: SaleId) -> Sale:
    return PartnerSettings.from_env().service().sale(partnerId, saleId)


@obs.logger.inject_lambda_context
@obs.tracer.capture_lambda_handler
@obs.metrics.log_metrics
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return app.resolve(event, context)
