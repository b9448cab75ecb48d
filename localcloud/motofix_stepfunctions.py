"""A fix to in-process moto's Step Functions that registering thousands of houses needs.

moto 5.2 runs each execution of a state machine (a house's registration) on a thread of its
own, and for each one it parses the definition again with ANTLR (about 10 ms) and builds a
new boto3 client for every Lambda task (10 to 20 ms each, two tasks a registration): a
third of the CPU a registration costs. The fix keeps moto's code and semantics but parses a
definition once (its syntax tree is only read; each execution still gets its own program
from it) and makes the Lambda tasks share one client per region (boto3 clients may be
shared between threads). `install()` applies it, the returned function removes it.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from moto.stepfunctions.parser.asl.component.state.exec.state_task import lambda_eval_utils
from moto.stepfunctions.parser.asl.parse import asl_parser
from moto.stepfunctions.parser.asl.parse.preprocessor import Preprocessor


def install() -> Callable[[], None]:
    """Applies the fix; returns what removes it."""
    lock = threading.Lock()
    clients: dict[tuple[str, str], Any] = {}
    trees: dict[str, Any] = {}
    parser = asl_parser.AmazonStateLanguageParser
    original_parse = parser.__dict__["parse"]
    original_client = lambda_eval_utils.boto_client_for

    def shared_client(region: str, service: str, state_credentials: Any = None) -> Any:
        # moto's own client ignores the task's credentials (it signs as a fixed test key)
        with lock:
            if (region, service) not in clients:
                clients[(region, service)] = original_client(region, service)
            return clients[(region, service)]

    def parse_once(definition: str) -> tuple[Any, Any]:
        with lock:
            tree = trees.get(definition)
        if tree is None:
            program, tree = original_parse.__func__(definition)
            with lock:
                trees[definition] = tree
            return program, tree
        return Preprocessor().visit(tree), tree

    parser.parse = staticmethod(parse_once)  # type: ignore[method-assign]
    lambda_eval_utils.boto_client_for = shared_client

    def remove() -> None:
        parser.parse = original_parse  # type: ignore[method-assign]
        lambda_eval_utils.boto_client_for = original_client

    return remove
