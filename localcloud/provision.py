"""Creating every resource of the template in moto, and what Ref and GetAtt then give."""

from __future__ import annotations

import io
import json
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from localcloud.intrinsics import Resolver
from localcloud.template import Blueprint

LAMBDA_ROLE = "smartgrid-local-lambda"
STATES_ROLE = "smartgrid-local-states"


@dataclass
class Provisioned:
    """Physical names of what was created, for the runtime's own wiring."""

    tables: dict[str, str] = field(default_factory=dict)
    topics: dict[str, str] = field(default_factory=dict)
    queues: dict[str, str] = field(default_factory=dict)  # logical id -> URL
    queue_arns: dict[str, str] = field(default_factory=dict)
    functions: dict[str, str] = field(default_factory=dict)  # logical id -> physical name
    state_machines: dict[str, str] = field(default_factory=dict)
    dead_letter_queues: dict[str, str] = field(default_factory=dict)  # source queue logical id -> DLQ URL
    parameters: dict[str, str] = field(default_factory=dict)  # SSM parameter logical id -> name


def _name(resolver: Resolver, logical_id: str) -> str:
    return f"{resolver.stack}-{logical_id}"[:80]


def provision(blueprint: Blueprint, resolver: Resolver, clients: Any) -> Provisioned:
    """Creates tables, topics, queues, subscriptions, functions, state machines and SSM parameters."""
    made = Provisioned()
    region, account = resolver.region, resolver.account
    for logical_id in blueprint.of_type("AWS::Serverless::LayerVersion"):
        resolver.refs[logical_id] = f"arn:aws:lambda:{region}:{account}:layer:{_name(resolver, logical_id)}:1"
    for logical_id in blueprint.of_type("AWS::Serverless::Api"):
        resolver.refs[logical_id] = "local"
    for logical_id, resource in blueprint.of_type("AWS::DynamoDB::Table").items():
        _table(clients.dynamodb, resolver, logical_id, resource["Properties"], made)
    for logical_id, resource in blueprint.of_type("AWS::SNS::Topic").items():
        props = resource.get("Properties", {})
        name = resolver.resolve(props.get("TopicName", _name(resolver, logical_id)))
        arn = clients.sns.create_topic(Name=name)["TopicArn"]
        resolver.refs[logical_id] = arn
        resolver.attributes[(logical_id, "TopicArn")] = arn
        resolver.attributes[(logical_id, "TopicName")] = name
        made.topics[logical_id] = arn
    queues = blueprint.of_type("AWS::SQS::Queue")
    for logical_id in queues:  # first every queue, then redrive policies that name them
        name = _name(resolver, logical_id)
        url = clients.sqs.create_queue(QueueName=name)["QueueUrl"]
        arn = f"arn:aws:sqs:{region}:{account}:{name}"
        resolver.refs[logical_id] = url
        resolver.attributes.update(
            {(logical_id, "Arn"): arn, (logical_id, "QueueName"): name, (logical_id, "QueueUrl"): url}
        )
        made.queues[logical_id] = url
        made.queue_arns[logical_id] = arn
    for logical_id, resource in queues.items():
        props = resolver.resolve(resource.get("Properties", {}))
        attributes = {
            key: str(props[key])
            for key in (
                "VisibilityTimeout",
                "MessageRetentionPeriod",
                "DelaySeconds",
                "ReceiveMessageWaitTimeSeconds",
            )
            if key in props
        }
        if "RedrivePolicy" in props:
            attributes["RedrivePolicy"] = json.dumps(props["RedrivePolicy"])
            dlq_arn = props["RedrivePolicy"]["deadLetterTargetArn"]
            dlq = next(k for k, v in made.queue_arns.items() if v == dlq_arn)
            made.dead_letter_queues[logical_id] = made.queues[dlq]
        if attributes:
            clients.sqs.set_queue_attributes(QueueUrl=made.queues[logical_id], Attributes=attributes)
    for resource in blueprint.of_type("AWS::SNS::Subscription").values():
        props = resolver.resolve(resource["Properties"])
        attributes = {}
        if props.get("RawMessageDelivery"):
            attributes["RawMessageDelivery"] = "true"
        if "FilterPolicy" in props:
            attributes["FilterPolicy"] = json.dumps(props["FilterPolicy"])
        clients.sns.subscribe(
            TopicArn=props["TopicArn"],
            Protocol=props["Protocol"],
            Endpoint=props["Endpoint"],
            Attributes=attributes,
        )
    _functions(blueprint, resolver, clients, made)
    for logical_id, resource in blueprint.of_type("AWS::Serverless::StateMachine").items():
        _state_machine(
            blueprint.root, clients.stepfunctions, resolver, logical_id, resource["Properties"], made
        )
    for logical_id, resource in blueprint.of_type("AWS::SSM::Parameter").items():  # last: may name any
        props = resolver.resolve(resource["Properties"])
        name = props.get("Name", _name(resolver, logical_id))
        kind = props.get("Type", "String")
        clients.ssm.put_parameter(Name=name, Value=str(props["Value"]), Type=kind)
        resolver.refs[logical_id] = name
        resolver.attributes.update({(logical_id, "Type"): kind, (logical_id, "Value"): str(props["Value"])})
        made.parameters[logical_id] = name
    return made


def _table(
    dynamodb: Any, resolver: Resolver, logical_id: str, props: dict[str, Any], made: Provisioned
) -> None:
    props = resolver.resolve(props)
    name = props.get("TableName", _name(resolver, logical_id))
    request: dict[str, Any] = {
        "TableName": name,
        "AttributeDefinitions": props["AttributeDefinitions"],
        "KeySchema": props["KeySchema"],
        "BillingMode": props.get("BillingMode", "PAY_PER_REQUEST"),
    }
    if "GlobalSecondaryIndexes" in props:
        request["GlobalSecondaryIndexes"] = props["GlobalSecondaryIndexes"]
    dynamodb.create_table(**request)
    ttl = props.get("TimeToLiveSpecification")
    if ttl and ttl.get("Enabled"):
        dynamodb.update_time_to_live(TableName=name, TimeToLiveSpecification=ttl)
    arn = f"arn:aws:dynamodb:{resolver.region}:{resolver.account}:table/{name}"
    resolver.refs[logical_id] = name
    resolver.attributes[(logical_id, "Arn")] = arn
    resolver.attributes[(logical_id, "StreamArn")] = f"{arn}/stream/local"
    made.tables[logical_id] = name


def _functions(blueprint: Blueprint, resolver: Resolver, clients: Any, made: Provisioned) -> None:
    # Functions exist in moto's Lambda so that Step Functions (and the Invoke API) can call
    # them; the code moto holds is a placeholder: the runtime answers every invocation.
    role = clients.iam.create_role(
        RoleName=LAMBDA_ROLE,
        AssumeRolePolicyDocument=json.dumps(
            {
                "Statement": [
                    {
                        "Effect": "Allow",
                        "Principal": {"Service": "lambda.amazonaws.com"},
                        "Action": "sts:AssumeRole",
                    }
                ]
            }
        ),
    )["Role"]["Arn"]
    placeholder = io.BytesIO()
    with zipfile.ZipFile(placeholder, "w") as archive:
        archive.writestr(
            "placeholder.py", "def handler(event, context):\n    raise RuntimeError('run by localcloud')\n"
        )
    for logical_id, spec in blueprint.functions.items():
        name = _name(resolver, logical_id)[:64]
        arn = f"arn:aws:lambda:{resolver.region}:{resolver.account}:function:{name}"
        resolver.refs[logical_id] = name
        resolver.attributes[(logical_id, "Arn")] = arn
        made.functions[logical_id] = name
        clients.awslambda.create_function(
            FunctionName=name,
            Runtime="python3.12",
            Role=role,
            Handler=spec.handler,
            Code={"ZipFile": placeholder.getvalue()},
            Timeout=spec.timeout,
            MemorySize=spec.memory,
        )


def _state_machine(
    root: Path, sfn: Any, resolver: Resolver, logical_id: str, props: dict[str, Any], made: Provisioned
) -> None:
    if "DefinitionUri" in props:
        definition = (root / props["DefinitionUri"]).read_text()
    else:
        definition = json.dumps(props["Definition"])
    for key, value in resolver.resolve(props.get("DefinitionSubstitutions", {})).items():
        definition = definition.replace("${" + key + "}", str(value))
    name = _name(resolver, logical_id)
    arn = sfn.create_state_machine(
        name=name,
        definition=definition,
        roleArn=f"arn:aws:iam::{resolver.account}:role/{STATES_ROLE}",
    )["stateMachineArn"]
    resolver.refs[logical_id] = arn
    resolver.attributes[(logical_id, "Arn")] = arn
    resolver.attributes[(logical_id, "Name")] = name
    made.state_machines[logical_id] = arn
