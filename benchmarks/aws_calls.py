"""Counting the AWS calls the grid makes, by service and operation and by calling function.

Every boto3 client goes through `BaseClient._make_api_call`; wrapping it counts the calls of
every function (and of the runtime itself: `runtime`), whichever client made them.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from typing import Any

from botocore.client import BaseClient

from localcloud.host import running_function

API_CALL = "_make_api_call"  # botocore's one door to every service (not in its stubs)
RUNTIME = "runtime"  # calls made outside any handler: polling queues, the benchmark's own reads

# Told of every call as it is made: (function, service, operation, parameters)
Listener = Callable[[str, str, str, Any], None]


class AwsCallCounter:
    def __init__(self) -> None:
        self.calls: Counter[tuple[str, str, str]] = Counter()  # (function, service, operation)
        self.listeners: list[Listener] = []
        self._original: Any = None

    def install(self) -> AwsCallCounter:
        original = self._original = getattr(BaseClient, API_CALL)
        counter = self.calls
        listeners = self.listeners

        def counted(client: BaseClient, operation: str, params: Any) -> Any:
            service = client.meta.service_model.service_name
            function = running_function() or RUNTIME
            counter[(function, service, operation)] += 1
            for listener in listeners:
                listener(function, service, operation, params)
            return original(client, operation, params)

        setattr(BaseClient, API_CALL, counted)
        return self

    def remove(self) -> None:
        if self._original is not None:
            setattr(BaseClient, API_CALL, self._original)
            self._original = None

    def reset(self) -> None:
        self.calls.clear()

    def by_function(self, service: str) -> Counter[str]:
        found: Counter[str] = Counter()
        for (function, called, _), count in self.calls.items():
            if called == service:
                found[function] += count
        return found

    def by_operation(self, service: str) -> Counter[str]:
        found: Counter[str] = Counter()
        for (_, called, operation), count in self.calls.items():
            if called == service:
                found[operation] += count
        return found
