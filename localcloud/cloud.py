"""The local cloud: template.yaml provisioned in moto, every function triggered in-process."""

from __future__ import annotations

import json
import os
import secrets
import time
import traceback
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import boto3
from moto import mock_aws
from moto.awslambda.models import LambdaFunction

from localcloud import motofix, motofix_stepfunctions
from localcloud.faults import FaultInjector, Faults
from localcloud.gateway import Gateway, HttpResponse
from localcloud.host import GRID_LOCK, FunctionHost, function_environment
from localcloud.inprocess import InProcessApi, InstalledOpener, ReadingsTally
from localcloud.intrinsics import Resolver
from localcloud.provision import Provisioned, provision
from localcloud.sources import RuleSource, ScheduleSource, SqsSource, queue_settled
from localcloud.template import Blueprint, read_blueprint
from smartgrid import aws
from smartgrid.ids import token_sha256

ROOT = Path(__file__).resolve().parent.parent
ACCOUNT = "123456789012"


class _Clients:
    def __init__(self, region: str) -> None:
        session = boto3.session.Session(
            aws_access_key_id="testing", aws_secret_access_key="testing", region_name=region
        )
        self.dynamodb = session.client("dynamodb")
        self.sns = session.client("sns")
        self.sqs = session.client("sqs")
        self.stepfunctions = session.client("stepfunctions")
        self.iam = session.client("iam")
        self.awslambda = session.client("lambda")
        self.events = session.client("events")
        self.ssm = session.client("ssm")


class LocalCloud:
    """Starts the whole application on in-process moto.

    `deterministic=True` (tests): a failed SQS record is retried at once, and nothing runs
    in the background: `drain()` delivers until every queue is empty and `tick()` fires the
    schedule. The server (`localcloud.server`) adds HTTP endpoints and a background loop.

    While it runs, the API's own URL (`https://local.execute-api.<region>.amazonaws.com/<stage>`,
    in SSM for the simulators) is served in-process to urllib (see `localcloud.inprocess`);
    `head_end_token` is the meter head-end's token (generated unless given), staff too.
    `faults` (chaos, off by default): failures, duplicates and copies at once injected into
    SQS-triggered invocations (see `localcloud.faults`); `inject_faults` changes them later.
    """

    def __init__(
        self,
        template: Path = ROOT / "template.yaml",
        *,
        staff_token: str = "local-staff-token",
        head_end_token: str | None = None,
        parameters: Mapping[str, str] | None = None,
        stack: str = "smartgrid-local",
        region: str = "us-east-1",
        deterministic: bool = True,
        faults: Faults | None = None,
    ) -> None:
        self.blueprint: Blueprint = read_blueprint(template)
        self.staff_token = staff_token
        self.region = region
        self.deterministic = deterministic
        values = {name: str(p.get("Default", "")) for name, p in self.blueprint.parameters.items()}
        values["StaffTokenSha256"] = token_sha256(staff_token)
        self.head_end_token = head_end_token or f"head-end.{secrets.token_urlsafe(24)}"
        values["HeadEndToken"] = self.head_end_token
        values["HeadEndTokenSha256"] = token_sha256(self.head_end_token)
        values.update(parameters or {})
        self.resolver = Resolver(region, ACCOUNT, stack, values)
        self.hosts: dict[str, FunctionHost] = {}
        self.sqs_sources: list[SqsSource] = []
        self.rule_sources: list[RuleSource] = []
        self.schedules: list[ScheduleSource] = []
        self.gateway = Gateway(values.get("Stage", "dev"), ACCOUNT)
        self.provisioned = Provisioned()
        self._mock: Any = None
        self._saved_invoke: Any = None
        self._saved_env: dict[str, str] = {}
        self.posted_readings = ReadingsTally()  # what in-process clients (the simulators) posted
        self._opener: InstalledOpener | None = None
        self._unfix_moto: Any = None
        self._faults = faults
        self.injector: FaultInjector | None = None

    # Life cycle ---------------------------------------------------------------------------
    _running: LocalCloud | None = None  # moto's backends are process-wide: one grid at a time

    def start(self) -> LocalCloud:
        if LocalCloud._running is not None:
            raise RuntimeError("another LocalCloud is running in this process: stop it first")
        LocalCloud._running = self
        self._saved_env = dict(os.environ)
        for name in ("AWS_ENDPOINT_URL", "AWS_PROFILE"):
            os.environ.pop(name, None)
        os.environ.update(
            {
                "AWS_ACCESS_KEY_ID": "testing",
                "AWS_SECRET_ACCESS_KEY": "testing",
                "AWS_DEFAULT_REGION": self.region,
            }
        )
        self._mock = mock_aws(config={"stepfunctions": {"execute_state_machine": True}})
        self._mock.start()
        unfix_dynamodb, unfix_stepfunctions = motofix.install(), motofix_stepfunctions.install()
        self._unfix_moto = lambda: (unfix_stepfunctions(), unfix_dynamodb())
        aws.forget_clients()
        self.clients = _Clients(self.region)
        with GRID_LOCK:
            self.provisioned = provision(self.blueprint, self.resolver, self.clients)
            self._wire()
        self._patch_lambda_invoke()
        self.inject_faults(self._faults)
        self._opener = InstalledOpener(InProcessApi(self.gateway, self.posted_readings))
        return self

    def stop(self) -> None:
        if self._mock is not None:
            self._wait_for_executions(timeout=5)  # while our handlers still answer their tasks
        if self.injector is not None:
            self.injector.remove()  # its counts stay readable
        if self._opener is not None:
            self._opener.remove()
            self._opener = None
        if self._saved_invoke is not None:
            LambdaFunction._invoke_lambda = self._saved_invoke  # type: ignore[method-assign]
            self._saved_invoke = None
        if self._unfix_moto is not None:
            self._unfix_moto()
            self._unfix_moto = None
        if self._mock is not None:
            self._mock.stop()
            self._mock = None
        aws.forget_clients()
        os.environ.clear()
        os.environ.update(self._saved_env)
        LocalCloud._running = None

    def __enter__(self) -> LocalCloud:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # Wiring -------------------------------------------------------------------------------
    def _wire(self) -> None:
        template_variables = {k for spec in self.blueprint.functions.values() for k in spec.environment}
        base = {
            k: v
            for k, v in self._saved_env.items()
            if k not in template_variables and not k.startswith(("AWS_", "POWERTOOLS_"))
        }
        queue_by_arn = {arn: logical for logical, arn in self.provisioned.queue_arns.items()}
        for logical_id, spec in self.blueprint.functions.items():
            variables = self.resolver.resolve(spec.environment)
            name = self.provisioned.functions[logical_id]
            env = function_environment(variables, base, name, self.region, spec.timeout, spec.memory)
            host = FunctionHost(spec, name, self.resolver.get_att(logical_id, "Arn"), env)
            self.hosts[logical_id] = host
            for event in spec.events:
                props = self.resolver.resolve(event.properties)
                if event.type == "Api":
                    self.gateway.add(props["Method"], props["Path"], host)
                elif event.type == "SQS":
                    queue = queue_by_arn[props["Queue"]]
                    self.sqs_sources.append(
                        SqsSource(
                            host=host,
                            sqs=self.clients.sqs,
                            queue_url=self.provisioned.queues[queue],
                            queue_arn=props["Queue"],
                            batch_size=int(props.get("BatchSize", 10)),
                            report_item_failures="ReportBatchItemFailures"
                            in props.get("FunctionResponseTypes", []),
                            region=self.region,
                            retry_at_once=self.deterministic,
                        )
                    )
                elif event.type == "EventBridgeRule":
                    self.rule_sources.append(self._rule(logical_id, event.name, props, host))
                elif event.type == "Schedule":
                    rule = f"{self.resolver.stack}-{logical_id}-{event.name}"[:64]
                    arn = self.clients.events.put_rule(Name=rule, ScheduleExpression=props["Schedule"])[
                        "RuleArn"
                    ]
                    self.schedules.append(ScheduleSource(host, arn, props["Schedule"], self.region, ACCOUNT))

    def _rule(
        self, logical_id: str, event_name: str, props: dict[str, Any], host: FunctionHost
    ) -> RuleSource:
        """The rule in moto, targeting a queue of the runtime's from which the function is invoked."""
        name = f"{self.resolver.stack}-{logical_id}-{event_name}"[:64]
        url = self.clients.sqs.create_queue(QueueName=name)["QueueUrl"]
        arn = self.clients.sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"][
            "QueueArn"
        ]
        bus = props.get("EventBusName", "default")
        self.clients.events.put_rule(Name=name, EventPattern=json.dumps(props["Pattern"]), EventBusName=bus)
        self.clients.events.put_targets(
            Rule=name, EventBusName=bus, Targets=[{"Id": "localcloud", "Arn": arn}]
        )
        return RuleSource(host, self.clients.sqs, url, retry_at_once=self.deterministic)

    @property
    def pollers(self) -> list[SqsSource | RuleSource]:
        """Everything the runtime polls: SQS event sources and EventBridge rule targets."""
        return [*self.sqs_sources, *self.rule_sources]

    def _patch_lambda_invoke(self) -> None:
        # moto would start Docker here; instead its Lambda (and so Step Functions' Lambda
        # tasks) calls our handler in-process.
        hosts = {host.physical_name: host for host in self.hosts.values()}
        self._saved_invoke = LambdaFunction._invoke_lambda

        def invoke(function: LambdaFunction, event: Any = None) -> tuple[str, bool, str]:
            host = hosts[function.function_name]
            payload = json.loads(event) if isinstance(event, str | bytes) else event
            try:
                return json.dumps(host.invoke(payload)), False, ""
            except Exception as error:
                failure = {"errorMessage": str(error), "errorType": type(error).__name__}
                return json.dumps(failure), True, traceback.format_exc()

        LambdaFunction._invoke_lambda = invoke  # type: ignore[method-assign, assignment]

    # Using it -----------------------------------------------------------------------------
    def host(self, logical_id: str) -> FunctionHost:
        return self.hosts[logical_id]

    def invoke(self, logical_id: str, event: Any) -> Any:
        return self.hosts[logical_id].invoke(event)

    def request(
        self,
        method: str,
        path: str,
        *,
        json_body: Any = None,
        body: bytes | None = None,
        token: str | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> HttpResponse:
        """An HTTP request through the gateway, without a socket."""
        sent = {"Host": "127.0.0.1:3000", **(headers or {})}
        if token is not None:
            sent["Authorization"] = f"Bearer {token}"
        if json_body is not None:
            body = json.dumps(json_body).encode()
            sent.setdefault("Content-Type", "application/json")
        return self.gateway.handle(method, path, sent, body or b"")

    def drain(self, timeout: float = 120.0) -> int:
        """Delivers until every queue is empty and no workflow runs; the records handled."""
        deadline = time.monotonic() + timeout
        handled = 0
        while time.monotonic() < deadline:
            progressed = 0
            for source in self.pollers:
                while (count := source.poll()) and time.monotonic() < deadline:
                    progressed += count
            if self.executions_running():
                time.sleep(0.005)
                continue
            handled += progressed
            if not progressed:
                return handled
        raise TimeoutError(f"the grid did not settle within {timeout} s")

    def tick(self, ticks: int = 1) -> None:
        """Fires the schedule `ticks` times, delivering everything after each."""
        for _ in range(ticks):
            for schedule in self.schedules:
                schedule.fire()
            self.drain()

    def deliver_twice(self, rate: float) -> None:
        """Fault injection: each SQS batch is delivered a second time with this probability."""
        for source in self.sqs_sources:
            source.duplicate_rate = rate

    def inject_faults(self, faults: Faults | None) -> FaultInjector | None:
        """Chaos from now on (None: none); the injector counts what it injected."""
        if self.injector is not None:
            self.injector.remove()
        self.injector = FaultInjector(faults) if faults is not None else None
        if self.injector is not None:
            self.injector.install()
        for source in self.sqs_sources:
            source.faults = self.injector
        return self.injector

    def settled(self) -> bool:
        """Nothing left to deliver: every queue the runtime polls is empty, nothing in flight."""
        return (
            all(queue_settled(source.queue_url) for source in self.pollers) and not self.executions_running()
        )

    def executions_running(self) -> int:
        with GRID_LOCK:
            return sum(
                len(
                    self.clients.stepfunctions.list_executions(stateMachineArn=arn, statusFilter="RUNNING")[
                        "executions"
                    ]
                )
                for arn in self.provisioned.state_machines.values()
            )

    def _wait_for_executions(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while self.executions_running() and time.monotonic() < deadline:
            time.sleep(0.01)

    def dead_letters(self) -> dict[str, int]:
        """Depth of every dead-letter queue, by the queue it serves."""
        depths = {}
        with GRID_LOCK:
            for source_queue, url in self.provisioned.dead_letter_queues.items():
                attributes = self.clients.sqs.get_queue_attributes(
                    QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages"]
                )
                depths[source_queue] = int(attributes["Attributes"]["ApproximateNumberOfMessages"])
        return depths

    @contextmanager
    def locked(self) -> Iterator[None]:
        with GRID_LOCK:
            yield
