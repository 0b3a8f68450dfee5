"""Shared fixtures: one local SparkSession for the whole test run, small and quiet."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")

SHARED_SAMPLE = Path(__file__).resolve().parents[2] / "shared" / "data" / "sparkify-sample"


@pytest.fixture(scope="session")
def spark():
    from sparkify.spark import local_session

    session = local_session(
        "sparkify-tests",
        master="local[1]",
        **{"spark.sql.shuffle.partitions": "1", "spark.default.parallelism": "1"},
    )
    yield session
    session.stop()


@pytest.fixture(scope="session")
def shared_sample() -> Path:
    """The public Sparkify sample next to the repo; tests that need it skip when it is absent."""
    if not (SHARED_SAMPLE / "song_data").is_dir():
        pytest.skip(f"public Sparkify sample not found at {SHARED_SAMPLE} (it lives in ../shared beside the repo)")
    return SHARED_SAMPLE
