"""Fixtures for the ops commands: one moto server per test session on loopback, a fresh fake account per
test (fake credentials, no ~/.aws), the dev stack deployed into it, and the Glue workflow engine."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tests.ops.fake_aws import REGION, Deployed, GlueSim, deploy, reset


@pytest.fixture(scope="session")
def moto_endpoint() -> Iterator[str]:
    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # no access log line per request
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


def _isolate_from_machine(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No credentials, config or profile of the machine running the tests may leak in."""
    empty = tmp_path / "aws-empty"
    empty.write_text("")
    for name in (
        "AWS_PROFILE",
        "AWS_DEFAULT_PROFILE",
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
        "AWS_SESSION_TOKEN",
        "AWS_SECURITY_TOKEN",
        "AWS_ROLE_ARN",
        "AWS_WEB_IDENTITY_TOKEN_FILE",
        "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
        "AWS_CONTAINER_CREDENTIALS_FULL_URI",
        "AWS_REGION",
        "AWS_DEFAULT_REGION",
        "SPARKIFY_STACK",
    ):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(empty))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(empty))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    # Whatever `pulumi` a developer has on PATH, these tests resolve names the CLI-less way.
    monkeypatch.setattr("sparkify.ops.stack.pulumi_outputs", lambda stack, repo_root=None: None)


@pytest.fixture
def no_aws(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, moto_endpoint: str) -> None:
    """A machine with no AWS credentials at all (the endpoint still points at moto, so nothing leaves)."""
    _isolate_from_machine(monkeypatch, tmp_path)
    monkeypatch.setenv("AWS_ENDPOINT_URL", moto_endpoint)


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, moto_endpoint: str) -> Iterator[str]:
    """Fake credentials for an empty moto account; yields the endpoint."""
    _isolate_from_machine(monkeypatch, tmp_path)
    reset(moto_endpoint)
    monkeypatch.setenv("AWS_ENDPOINT_URL", moto_endpoint)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    yield moto_endpoint
    reset(moto_endpoint)


@pytest.fixture
def dev(aws: str) -> Deployed:
    """The dev stack, deployed into moto."""
    return deploy("dev")


@pytest.fixture
def glue(dev: Deployed, monkeypatch: pytest.MonkeyPatch) -> Iterator[GlueSim]:
    sim = GlueSim(dev, monkeypatch)
    yield sim
    sim.close()


@pytest.fixture
def cli(monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    """A runner for `sparkify`; stdout gets a wide page so table rows stay on one line (stderr keeps rich's
    80 columns of a non-terminal, which error lines must not wrap at)."""
    from sparkify.cli import main as sparkify_cli

    monkeypatch.setattr(sparkify_cli.console, "width", 200)
    return CliRunner()
