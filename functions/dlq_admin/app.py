"""dlq-admin: staff see every dead-letter queue (depth, source, a sample left in place) and
move a queue's messages back to its source after a fix (issue 9; rules in `smartgrid.deadletters`)."""

from __future__ import annotations

from typing import Annotated, Any

from aws_lambda_powertools.event_handler.openapi.params import Path

from smartgrid.access import STAFF
from smartgrid.api import GridApi
from smartgrid.deadletters import DeadLetterQueues, DeadLetterSettings, Redrive
from smartgrid.observability import observability
from smartgrid.settings import AuthSettings

obs = observability()
app = GridApi("dlq-admin")

QueueId = Annotated[
    str,
    Path(
        min_length=1,
        max_length=128,
        description="the DLQ's logical id in the template, as GET /admin/dlq lists it "
        "(e.g. ConsumptionSchedulerDeadLetterQueue)",
    ),
]


class Settings(AuthSettings, DeadLetterSettings):
    pass


@app.get(
    "/admin/dlq",
    allow=STAFF,
    summary="Every dead-letter queue: its source, depth and up to 5 messages (left in the queue)",
)
def get_dead_letters() -> DeadLetterQueues:
    return Settings.from_env().service().overview()


@app.post(
    "/admin/dlq/<queue>/redrive",
    allow=STAFF,
    summary="Move every message of a dead-letter queue back to its source queue (sent, then deleted)",
)
def post_redrive(queue: QueueId) -> Redrive:
    return Settings.from_env().service().redrive(queue)


@obs.logger.inject_lambda_context
@obs.tracer.capture_lambda_handler
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return app.resolve(event, context)
