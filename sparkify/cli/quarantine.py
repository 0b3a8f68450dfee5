"""`sparkify quarantine`: what a run rejected, with reasons, counts, file, line and the whole raw text.

The stage job writes each batch's rejected records as Parquet under `<quarantine>/<source>/batch_id=N/`
and its `batch_id` into the run's stage metrics (`<reports>/runs/<run_id>/stage.json`). This module
finds a run's batch from its metrics and reads that partition: from a local lake folder, or from a
deployed stack's bucket (the same layout under S3 prefixes). Parquet is read with DuckDB, so the
command answers in a fraction of a second, with no JVM.
"""

from __future__ import annotations

import json
import re
import tempfile
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from sparkify.layout import LAKE_LAYOUT, LATEST_REPORT, RUNS_DIR, batch_partition, step_metrics_path
from sparkify.pipeline import SOURCES, Location


class QuarantineError(RuntimeError):
    """The run, its metrics or its quarantine cannot be found: one line saying which and where."""


class Store(Protocol):
    """Where a lake's reports and quarantine live: a local folder or a stack's S3 prefixes."""

    def describe(self, location: Location, *parts: str) -> str: ...
    def read_text(self, location: Location, *parts: str) -> str | None: ...
    def latest_run(self) -> str | None: ...
    def parquet_files(self, location: Location, *parts: str) -> list[str]: ...


@dataclass(frozen=True)
class LocalLake:
    lake: Path

    def _path(self, location: Location, *parts: str) -> Path:
        return self.lake.joinpath(LAKE_LAYOUT[location], *parts)

    def describe(self, location: Location, *parts: str) -> str:
        return str(self._path(location, *parts))

    def read_text(self, location: Location, *parts: str) -> str | None:
        path = self._path(location, *parts)
        return path.read_text() if path.is_file() else None

    def latest_run(self) -> str | None:
        latest = self.read_text(Location.REPORTS, LATEST_REPORT)
        return json.loads(latest)["run_id"] if latest else None

    def parquet_files(self, location: Location, *parts: str) -> list[str]:
        folder = self._path(location, *parts)
        return sorted(str(p) for p in folder.glob("*.parquet")) if folder.is_dir() else []


@dataclass
class S3Lake:
    """A deployed stack's lake: `locations` maps each location to (bucket, prefix)."""

    s3: Any
    locations: dict[Location, tuple[str, str]]
    _tmp: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="sparkify-quarantine-")))

    def _key(self, location: Location, *parts: str) -> tuple[str, str]:
        bucket, prefix = self.locations[location]
        return bucket, "/".join([prefix.rstrip("/"), *parts]).lstrip("/")

    def describe(self, location: Location, *parts: str) -> str:
        bucket, key = self._key(location, *parts)
        return f"s3://{bucket}/{key}"

    def read_text(self, location: Location, *parts: str) -> str | None:
        bucket, key = self._key(location, *parts)
        try:
            return str(self.s3.get_object(Bucket=bucket, Key=key)["Body"].read().decode())
        except self.s3.exceptions.NoSuchKey:
            return None

    def latest_run(self) -> str | None:
        # Glue jobs write no latest.json: the run whose stage metrics were written last.
        bucket, prefix = self._key(Location.REPORTS, RUNS_DIR)
        newest: tuple[Any, str] | None = None
        for page in self.s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix + "/"):
            for item in page.get("Contents", []):
                if item["Key"].endswith("/stage.json") and (newest is None or item["LastModified"] > newest[0]):
                    newest = (item["LastModified"], item["Key"].rsplit("/", 2)[-2])
        return newest[1] if newest else None

    def parquet_files(self, location: Location, *parts: str) -> list[str]:
        bucket, prefix = self._key(location, *parts)
        files = []
        for page in self.s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix + "/"):
            for item in page.get("Contents", []):
                if item["Key"].endswith(".parquet"):
                    local = self._tmp / item["Key"].replace("/", "_")
                    self.s3.download_file(bucket, item["Key"], str(local))
                    files.append(str(local))
        return sorted(files)


@dataclass(frozen=True)
class RunQuarantine:
    run_id: str
    batch_id: int | None  # None: the run read no new file, so it quarantined nothing
    records: list[dict[str, Any]]  # source, source_file, line, reason, record (the raw text)

    def reasons(self) -> list[dict[str, Any]]:
        """Reasons by kind (without per-record detail), most frequent first."""
        counted = Counter((r["source"], reason_kind(r["reason"])) for r in self.records)
        return [
            {"source": source, "reason": reason, "count": n}
            for (source, reason), n in sorted(counted.items(), key=lambda item: (-item[1], item[0]))
        ]

    def as_json(self) -> dict[str, Any]:
        return {"run_id": self.run_id, "batch_id": self.batch_id, "reasons": self.reasons(), "records": self.records}


def reason_kind(reason: str) -> str:
    """`staging.reason_kind` in plain Python, by the same patterns."""
    from sparkify.transforms.staging import REASON_DETAIL

    for pattern, replacement in REASON_DETAIL:
        reason = re.sub(pattern, replacement, reason)
    return reason


def load(store: Store, run_id: str | None = None) -> RunQuarantine:
    """The quarantined records of one run (the latest when `run_id` is None)."""
    run = run_id or store.latest_run()
    if run is None:
        raise QuarantineError(f"no run found under {store.describe(Location.REPORTS)}: run the workflow first")
    text = store.read_text(Location.REPORTS, step_metrics_path(run, "stage"))
    if text is None:
        raise QuarantineError(
            f"run {run} has no stage metrics at {store.describe(Location.REPORTS, step_metrics_path(run, 'stage'))}"
            + ("" if run_id is None else " (is the run id right? `sparkify status` lists runs)")
        )
    batch = json.loads(text).get("batch_id")
    if batch is None:
        return RunQuarantine(run, None, [])
    files = [f for source in SOURCES for f in store.parquet_files(Location.QUARANTINE, source, batch_partition(batch))]
    return RunQuarantine(run, int(batch), _read(files))


def _read(files: list[str]) -> list[dict[str, Any]]:
    if not files:
        return []
    try:
        import duckdb
    except ImportError as exc:  # pragma: no cover - duckdb ships with the project's dev group
        raise QuarantineError("sparkify quarantine reads Parquet with duckdb: `uv sync` installs it") from exc
    listed = ", ".join("'" + f.replace("'", "''") + "'" for f in files)
    relation = duckdb.sql(
        f"SELECT source, source_file, line, reason, record FROM read_parquet([{listed}]) "
        "ORDER BY source, source_file, line"
    )
    assert relation is not None  # a SELECT always gives a relation (None is for statements)
    rows = relation.fetchall()
    return [dict(zip(("source", "source_file", "line", "reason", "record"), row, strict=True)) for row in rows]
