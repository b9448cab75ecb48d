"""Smartrix Grid's local cloud: template.yaml run whole on moto, with no Docker.

The runtime reads the template (the single source of truth for wiring), creates every
resource in moto, and triggers each function's handler in-process as AWS would: SQS event
sources, API Gateway proxy events, the tick schedule, and Step Functions' Lambda tasks.
"""

import sys
from pathlib import Path

# The shared layer, as Lambda mounts it (/opt/python): importable by every function.
_LAYER = str(Path(__file__).resolve().parent.parent / "layers" / "smartgrid")
if _LAYER not in sys.path:
    sys.path.insert(0, _LAYER)

from localcloud.cloud import LocalCloud  # noqa: E402

__all__ = ["LocalCloud"]
