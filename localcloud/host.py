"""Running a function's handler in-process, under exactly the environment the template gives it.

All functions share this process, so invocations are serialised by one lock: in-process
moto is not thread-safe, and each invocation swaps `os.environ` to its function's own.
"""

from __future__ import annotations

import importlib.util
import os
import sys
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any

from aws_lambda_powertools import Metrics

from localcloud.template import FunctionSpec

GRID_LOCK = threading.RLock()
# The invocations in progress, innermost last: a handler that calls the API in-process (the
# simulators) runs another function inside its own, whose time is not its own.
_running: list[FunctionHost] = []


@dataclass
class LambdaContext:
    function_name: str
    memory_limit_in_mb: int
    invoked_function_arn: str
    timeout_seconds: int
    aws_request_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    function_version: str = "$LATEST"
    log_group_name: str = ""
    log_stream_name: str = ""
    _deadline: float = field(default=0.0)

    def __post_init__(self) -> None:
        self._deadline = time.monotonic() + self.timeout_seconds
        self.log_group_name = f"/aws/lambda/{self.function_name}"

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self._deadline - time.monotonic()) * 1000))


@contextmanager
def environment(variables: Mapping[str, str]) -> Iterator[None]:
    saved = dict(os.environ)
    os.environ.clear()
    os.environ.update(variables)
    try:
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved)


def running_function() -> str | None:
    """The logical id of the function whose handler runs now (the innermost), if any."""
    return _running[-1].spec.logical_id if _running else None


class FunctionHost:
    """One function of the template: its module, its environment, its invocations."""

    def __init__(self, spec: FunctionSpec, physical_name: str, arn: str, environment: dict[str, str]) -> None:
        self.spec = spec
        self.physical_name = physical_name
        self.arn = arn
        self.environment = environment
        self._handler: Callable[[Any, Any], Any] | None = None
        self._module: ModuleType | None = None
        self.invocations = 0
        self.errors = 0
        self.seconds = 0.0  # wall time inside the handler, nested invocations included
        self.own_seconds = 0.0  # the same, less the functions it invoked (through the API)

    @property
    def module(self) -> ModuleType:
        if self._module is None:
            with GRID_LOCK, environment(self.environment):
                self._module = self._import()
        return self._module

    def _import(self) -> ModuleType:
        path = self.spec.module_path
        module_name = f"localcloud_functions.{self.spec.logical_id}"
        loader_spec = importlib.util.spec_from_file_location(module_name, path)
        if loader_spec is None or loader_spec.loader is None:
            raise ImportError(f"{self.spec.logical_id}: cannot load {path}")
        module = importlib.util.module_from_spec(loader_spec)
        sys.modules[module_name] = module  # pydantic resolves annotations through sys.modules
        loader_spec.loader.exec_module(module)
        return module

    def invoke(self, event: Any) -> Any:
        handler = getattr(self.module, self.spec.handler_name)
        context = LambdaContext(self.physical_name, self.spec.memory, self.arn, self.spec.timeout)
        with GRID_LOCK, environment(self.environment):
            self.invocations += 1
            started = time.perf_counter()
            _running.append(self)
            try:
                return handler(event, context)
            except Exception:
                self.errors += 1
                raise
            finally:
                self._count_time(time.perf_counter() - started)
                # Locally metrics are disabled, and powertools then keeps them for ever (and
                # prints them at 100): drop them, as a fresh Lambda environment would.
                Metrics().clear_metrics()

    def invoke_together(
        self, events: list[Any], run: Callable[[int, Callable[[], Any]], Any]
    ) -> list[tuple[Any, BaseException | None]]:
        """Copies of the function at once, one an event, each on a thread of its own (fault
        injection: see `localcloud.faults`); `run(index, call)` runs copy `index`. The pair holds
        the grid's lock, so no other function runs meanwhile and the environment is theirs;
        each outcome is a result or the exception its copy raised."""
        from localcloud.faults import run_together  # the runtime without faults never needs it

        handler = getattr(self.module, self.spec.handler_name)

        def copy(index: int, event: Any) -> Callable[[], Any]:
            context = LambdaContext(self.physical_name, self.spec.memory, self.arn, self.spec.timeout)
            return lambda: run(index, lambda: handler(event, context))

        with GRID_LOCK, environment(self.environment):
            self.invocations += len(events)
            started = time.perf_counter()
            _running.append(self)
            try:
                outcomes = run_together([copy(i, event) for i, event in enumerate(events)])
            finally:
                self._count_time(time.perf_counter() - started)
                Metrics().clear_metrics()
            self.errors += sum(1 for _, error in outcomes if error is not None)
            return outcomes

    def _count_time(self, elapsed: float) -> None:
        _running.pop()
        self.seconds += elapsed
        self.own_seconds += elapsed
        if _running:
            _running[-1].own_seconds -= elapsed

    def reset_counts(self) -> None:
        self.invocations = self.errors = 0
        self.seconds = self.own_seconds = 0.0


def function_environment(
    spec_variables: Mapping[str, Any],
    base: Mapping[str, str],
    host_name: str,
    region: str,
    timeout: int,
    memory: int,
) -> dict[str, str]:
    """What a Lambda sees: the runtime's own variables, then the template's."""
    env = dict(base)
    env.update(
        {
            "AWS_REGION": region,
            "AWS_DEFAULT_REGION": region,
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_SESSION_TOKEN": "testing",
            "AWS_LAMBDA_FUNCTION_NAME": host_name,
            "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(memory),
            "AWS_LAMBDA_FUNCTION_TIMEOUT": str(timeout),
            "AWS_EXECUTION_ENV": "AWS_Lambda_python3.12",
            "POWERTOOLS_TRACE_DISABLED": "true",
            "POWERTOOLS_METRICS_DISABLED": "true",
        }
    )
    env.update({k: str(v) for k, v in spec_variables.items()})
    return env


def invocation_counts(hosts: Mapping[str, FunctionHost]) -> Counter[str]:
    return Counter({name: host.invocations for name, host in hosts.items()})
