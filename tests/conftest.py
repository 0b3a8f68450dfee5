"""Shared fixtures (one local SparkSession for the whole test run, small and quiet) and the test kinds.

The folders say what a test exercises: `contracts/` (the project's wiring: imports, job arguments, scripts
against suites and triggers), `pipeline/` (transforms, parsing, suites, generator on small hand-made inputs),
`cli/` (the local verbs), `infra/` (the Pulumi program under mocks), `ops/` (the operations verbs against
moto), `workflow/` (jobs and whole runs over generated data). Two markers are set here from that:
`spark` on every test that uses the shared SparkSession, `slow` on every workflow test, so
`pytest -m "not slow"` is the quick loop and `pytest -m "not slow and not spark"` needs no JVM at all.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.helpers import SHARED_SAMPLE

os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")


@pytest.fixture(scope="session")
def spark():
    from sparkify.local.session import local_session

    session = local_session(
        "sparkify-tests",
        master="local[1]",
        **{"spark.sql.shuffle.partitions": "1", "spark.default.parallelism": "1"},
    )
    yield session
    session.stop()


@pytest.fixture()
def jvm_calls(spark, monkeypatch):
    """The commands Python sends to the JVM while the test runs (one per py4j call).

    Not counted: py4j's memory commands, which release whatever objects Python's garbage collector
    freed, at any moment and in any number."""
    client = spark.sparkContext._gateway._gateway_client
    sent = client.send_command
    calls = []

    def counting(command, *args, **kwargs):
        if not command.startswith("m\n"):
            calls.append(command)
        return sent(command, *args, **kwargs)

    monkeypatch.setattr(client, "send_command", counting)
    return calls


@pytest.fixture(scope="session")
def shared_sample() -> Path:
    """The public Sparkify sample next to the repo; tests that need it skip when it is absent."""
    if not (SHARED_SAMPLE / "song_data").is_dir():
        pytest.skip(f"public Sparkify sample not found at {SHARED_SAMPLE} (it lives in ../shared beside the repo)")
    return SHARED_SAMPLE


WORKFLOW = Path(__file__).parent / "workflow"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "spark" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.spark)
        if WORKFLOW in item.path.parents:
            item.add_marker(pytest.mark.slow)
