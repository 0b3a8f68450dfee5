"""AWS failures become one line saying what is wrong and what to do; throttling is retried with backoff.

moto never throttles, so throttling is injected two ways: botocore's Stubber for the error translation,
and a `before-send` hook that answers the first requests with a real HTTP 400 ThrottlingException, so
botocore's own retry machinery (adaptive mode) does the retrying against the moto server.
"""

from __future__ import annotations

import json
from types import SimpleNamespace
from typing import Any

import botocore.endpoint
import botocore.retries.bucket
import pytest
from botocore.awsrequest import AWSResponse
from botocore.exceptions import EndpointConnectionError, NoCredentialsError, NoRegionError
from botocore.stub import Stubber

from sparkify.cli.main import app
from sparkify.ops import OpsError, glue_runs
from sparkify.ops import aws as ops_aws
from sparkify.ops import query as ops_query
from sparkify.ops import stack as ops_stack
from tests.ops.fake_aws import Deployed


def test_clients_retry_adaptively(aws: str) -> None:
    glue = ops_aws.connect(region="us-east-1").client("glue")

    assert glue.meta.config.retries == {"mode": "adaptive", "total_max_attempts": ops_aws.MAX_ATTEMPTS}
    assert ops_aws.MAX_ATTEMPTS >= 5


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        (
            "ThrottlingException",
            "AWS kept throttling GetWorkflowRun (ThrottlingException) while reading run wr_1, through 1 "
            "attempts with backoff: wait a minute and try again",
        ),
        ("AccessDeniedException", "access denied while reading run wr_1: the identity is not allowed GetWorkflowRun"),
        (
            "ExpiredTokenException",
            "the AWS credentials have expired (ExpiredTokenException) while reading run wr_1: refresh them "
            "(`aws sso login`)",
        ),
        (
            "UnrecognizedClientException",
            "AWS rejected the credentials (UnrecognizedClientException) while reading run wr_1: run `aws configure`",
        ),
        ("EntityNotFoundException", "no such run"),
        ("InternalServiceException", "AWS error while reading run wr_1: InternalServiceException: it [broke]"),
    ],
)
def test_client_errors_become_one_line(aws: str, code: str, expected: str) -> None:
    glue = ops_aws.connect(region="us-east-1").client("glue")
    with Stubber(glue) as stub:
        stub.add_client_error("get_workflow_run", service_error_code=code, service_message="it [broke]\nsecond line")
        with pytest.raises(OpsError) as raised, ops_aws.translated("reading run wr_1", not_found="no such run"):
            glue.get_workflow_run(Name="sparkify-dev", RunId="wr_1")

    message = str(raised.value)
    assert message.startswith(expected)
    assert "\n" not in message


@pytest.mark.parametrize(
    ("exc", "expected"),
    [
        (NoCredentialsError(), "no AWS credentials found while doing it: run `aws configure` or `aws sso login`"),
        (NoRegionError(), "no AWS region while doing it: pass --region, set AWS_REGION"),
        (
            EndpointConnectionError(endpoint_url="https://glue.us-east-1.amazonaws.com"),
            "cannot reach AWS while doing it",
        ),
    ],
)
def test_client_side_failures_become_one_line(exc: Exception, expected: str) -> None:
    assert str(ops_aws.explain(exc, "doing it")).startswith(expected)


def test_other_exceptions_are_not_swallowed() -> None:
    with pytest.raises(ZeroDivisionError):
        ops_aws.explain(ZeroDivisionError("bug"), "doing it")


class _Body:
    def __init__(self, data: bytes):
        self.data = data

    def stream(self, **_: Any) -> Any:
        yield self.data


def _throttle_first(times: int, calls: list[str]) -> Any:
    """A `before-send` hook: the first `times` requests get Glue's throttling answer, the rest go to moto."""

    def hook(request: Any, **_: Any) -> AWSResponse | None:
        calls.append(request.url)
        if len(calls) > times:
            return None
        body = json.dumps({"__type": "ThrottlingException", "message": "Rate exceeded"}).encode()
        return AWSResponse(request.url, 400, {"x-amzn-ErrorType": "ThrottlingException"}, _Body(body))

    return hook


@pytest.fixture
def sleeps(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """Record botocore's backoff sleeps instead of sleeping them (and let the adaptive rate limiter's token
    bucket hand out tokens without waiting for them)."""
    waited: list[float] = []
    monkeypatch.setattr(botocore.retries.bucket.TokenBucket, "acquire", lambda self, amount=1, block=True: True)

    class Time:
        @staticmethod
        def sleep(seconds: float) -> None:
            waited.append(seconds)

    monkeypatch.setattr(botocore.endpoint, "time", Time)
    return waited


def test_throttled_calls_are_retried_with_backoff_until_they_succeed(dev: Deployed, sleeps: list[float]) -> None:
    names, aws = ops_stack.resolve(ops_aws.connect(), "dev", require_workflow=True)
    calls: list[str] = []
    aws.client("glue").meta.events.register("before-send.glue.StartWorkflowRun", _throttle_first(3, calls))

    run_id = glue_runs.start_run(aws, names)

    assert run_id.startswith("wr_")
    assert len(calls) == 4  # three throttled attempts, then the one moto answered
    assert len(sleeps) == 3 and all(s > 0 for s in sleeps)


def test_throttling_that_does_not_stop_is_one_line_after_every_attempt(
    dev: Deployed, sleeps: list[float], cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[str] = []
    connect = ops_aws.connect

    def throttled_connect(*args: Any, **kwargs: Any) -> ops_aws.Aws:
        aws = connect(*args, **kwargs)
        aws.session.events.register("before-send.glue.StartWorkflowRun", _throttle_first(10**6, calls))
        return aws

    monkeypatch.setattr(ops_aws, "connect", throttled_connect)

    result = cli.invoke(app, ["trigger", "--stack", "dev"])

    assert result.exit_code == 2
    assert len(calls) == ops_aws.MAX_ATTEMPTS
    assert result.stderr.count("\n") == 1
    assert result.stderr.startswith(
        f"error: AWS kept throttling StartWorkflowRun (ThrottlingException) while starting workflow sparkify-dev, "
        f"through {ops_aws.MAX_ATTEMPTS} attempts with backoff: wait a minute and try again"
    )


def test_a_failed_athena_query_is_one_line_with_its_reason(aws: str) -> None:
    names, session = ops_stack.resolve(
        ops_aws.connect(region="us-east-1"), "dev", ops_stack.Overrides(workflow="sparkify-dev")
    )
    # Athena's answers, given before each call is sent (the client is made by PyAthena from this session).
    answers = {
        "StartQueryExecution": [{"QueryExecutionId": "q-1"}],
        "GetQueryExecution": [
            {
                "QueryExecution": {
                    "QueryExecutionId": "q-1",
                    "Query": "SELECT …",
                    "StatementType": "DML",
                    "Status": {"State": "RUNNING"},
                }
            },
            {
                "QueryExecution": {
                    "QueryExecutionId": "q-1",
                    "Query": "SELECT …",
                    "StatementType": "DML",
                    "Status": {
                        "State": "FAILED",
                        "StateChangeReason": "TABLE_NOT_FOUND: Table 'sparkify_dev.songplays' does not exist",
                    },
                }
            },
        ],
    }

    def answer(model: Any, **kwargs: Any) -> tuple[Any, dict[str, Any]]:
        return SimpleNamespace(status_code=200), answers[model.name].pop(0)

    for operation in answers:
        session.session.events.register(f"before-call.athena.{operation}", answer)
    with pytest.raises(OpsError) as raised:
        ops_query.run_athena(session, names, "top_songs", poll_interval=0)

    assert answers == {"StartQueryExecution": [], "GetQueryExecution": []}
    assert str(raised.value) == (
        "query top_songs failed in Athena workgroup sparkify-dev (stack dev in account 123456789012, us-east-1): "
        "TABLE_NOT_FOUND: Table 'sparkify_dev.songplays' does not exist "
        "(the model job creates the curated tables on its first run: `sparkify status` shows the runs)"
    )
