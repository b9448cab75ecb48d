"""The one place that builds Logger, Tracer and Metrics.

A function module calls `observability()` at import, when its environment (service name,
log level) is in place: on Lambda that is the process; locally the runtime imports each
function under its own environment.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from aws_lambda_powertools import Logger, Metrics, Tracer

NAMESPACE = "SmartrixGrid"


@dataclass(frozen=True)
class Observability:
    logger: Logger
    tracer: Tracer
    metrics: Metrics


def observability() -> Observability:
    service = os.environ.get("POWERTOOLS_SERVICE_NAME", "smartgrid")
    return Observability(
        logger=Logger(service=service),
        tracer=Tracer(service=service),
        metrics=Metrics(namespace=os.environ.get("POWERTOOLS_METRICS_NAMESPACE", NAMESPACE), service=service),
    )
