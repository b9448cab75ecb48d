"""No secret in a log line (issue 9, part 4): a short realistic flow through the local
runtime, every function logging at DEBUG, and not one token issued (staff, head-end, house,
producer, partner, a rotated one) nor its SHA-256 in what the functions wrote."""

from __future__ import annotations

import logging

import pytest

from smartgrid.ids import token_sha256
from tests.conftest import start_cloud
from tests.helpers import register_house, register_producer, staff

DAY = "2026-03-01"
THIRD_PARTY_LOGGERS = ("botocore", "boto3", "urllib3", "s3transfer", "moto", "werkzeug", "aws_xray_sdk")


def test_a_full_flow_logs_no_token_nor_its_hash(
    capfd: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture
) -> None:
    # Powertools writes JSON lines to stdout; when pytest's logging capture takes the records
    # first (it depends on the order loggers were made in), they are read from there, whole.
    caplog.set_level(logging.DEBUG)
    cloud = start_cloud(LogLevel="DEBUG")  # the most the functions ever log
    try:
        # Given houses that consent, a utility producer, a house that produces, a partner
        policies = ["consumption", "production", "detailed"]
        first, second = register_house(cloud, "Log A", policies=policies), register_house(cloud, "Log B")
        utility = register_producer(cloud, "Log utility")
        staff(cloud, "POST", f"/houses/{first.id}/producer", status=201)
        partner = staff(
            cloud, "POST", "/partners", {"name": "Log partner", "datapoints": 1000, "trustLevel": 3}, 201
        )
        cloud.drain()
        # When they use the grid: readings by each token, a purchase, a token rotation
        reading = {"timestamp": f"{DAY}T00:00:00Z", "objects": {"tv": 10}}
        for house in (first, second):
            path = f"/houses/{house.id}/consumption"
            assert cloud.request("POST", path, token=house.token, json_body=reading).status == 202
        batch = {"production": [{"producerId": utility.id, "timestamp": f"{DAY}T00:00:00Z", "wh": 50}]}
        assert cloud.request("POST", "/readings", token=cloud.head_end_token, json_body=batch).status == 202
        production = {"timestamp": f"{DAY}T00:01:00Z", "wh": 40}
        answer = cloud.request(
            "POST", f"/producers/{utility.id}/production", token=utility.token, json_body=production
        )
        assert answer.status == 202, answer.body
        staff(cloud, "POST", "/clock/advance", {"ticks": 2})
        cloud.drain()
        purchase = {"dataType": "consumption", "from": DAY, "to": DAY}
        sale = cloud.request(
            "POST", f"/partners/{partner['partnerId']}/purchases", token=partner["token"], json_body=purchase
        )
        assert sale.status in (201, 404), sale.body  # 404: no data to sell yet, still a real call
        rotated = cloud.request("POST", f"/houses/{first.id}/token", token=first.token)
        assert rotated.status == 201, rotated.body
        new_token = rotated.json()["token"]
        assert cloud.request("GET", f"/houses/{first.id}", token=new_token).status == 200
        assert cloud.request("GET", f"/houses/{first.id}", token=first.token).status == 401
        assert cloud.request("GET", "/houses/h-nobody", token="h-nobody.a-wrong-secret-guessed").status == 401
    finally:
        cloud.stop()
    captured = capfd.readouterr()
    # Ours only: the AWS SDK's own DEBUG lines (request bodies, token hashes included) exist
    # only when someone turns its logger to DEBUG, which the template never does.
    records = [repr(vars(r)) for r in caplog.records if not r.name.startswith(THIRD_PARTY_LOGGERS)]
    logs = "\n".join([captured.out, captured.err, *records])
    # Then the functions did log (the check would be empty otherwise), and no secret is there
    lines = captured.out.count('"level"') + len(records)
    print(f"secrets check: {lines} log lines")
    assert lines >= 5, "nothing was logged: the check would be void"
    secrets = {
        "staff": cloud.staff_token,
        "head-end": cloud.head_end_token,
        "first house": first.token,
        "first house, rotated": new_token,
        "second house": second.token,
        "utility producer": utility.token,
        "partner": partner["token"],
    }
    leaked = [
        f"{who} ({form})"
        for who, token in secrets.items()
        for form, text in (
            ("token", token),
            ("sha256", token_sha256(token)),
            ("secret part", token.partition(".")[2]),
        )
        if text and text in logs
    ]
    assert leaked == [], f"secrets in the logs: {leaked}"
