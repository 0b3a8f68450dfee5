"""The lake's bookkeeping between runs, kept as small JSON files in `<curated>/_state/`.

- `model.json`: the staging snapshots the model step last built the `audit` branches from, and the
  `audit` heads it left. The next model run merges only what staging changed since.
- `published.json`: the same, for what the validate step last published to `main`. When anything
  commits to `main` outside our runs (our compaction, a catalog optimizer, a person's fix), `audit`
  no longer descends from `main`; the model step then starts `audit` again from `main` and merges
  every staging change since this published state, so nothing is published unjudged and nothing
  judged before is lost.
- `upkeep.json`: per table, when its orphan files were last swept and the snapshot upkeep last saw.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from pyspark.sql import SparkSession

from sparkify.lake.io import join_uri, read_text, write_text

STATE_FOLDER = "_state"
MODEL = "model.json"
PUBLISHED = "published.json"
UPKEEP = "upkeep.json"


def state_uri(curated_uri: str, name: str) -> str:
    return join_uri(curated_uri, STATE_FOLDER, name)


@dataclass(frozen=True)
class BuiltFrom:
    """Which staging snapshots the curated tables' rows were built from, and the `audit` heads that
    build left (empty when unknown: a state written before heads were kept)."""

    staging: Mapping[str, int | None]
    audit: Mapping[str, int] = field(default_factory=dict)

    def to_json(self) -> str:
        return json.dumps({"staging": dict(self.staging), "audit": dict(self.audit)}, indent=2, sort_keys=True)

    @staticmethod
    def from_json(text: str) -> BuiltFrom:
        data: dict[str, Any] = json.loads(text)
        if "staging" not in data:  # the first format: the staging snapshots alone
            return BuiltFrom(dict(data))
        return BuiltFrom(dict(data["staging"]), {k: int(v) for k, v in data.get("audit", {}).items()})


def read_built_from(spark: SparkSession, curated_uri: str, name: str) -> BuiltFrom | None:
    text = read_text(spark, state_uri(curated_uri, name))
    return BuiltFrom.from_json(text) if text else None


def write_built_from(spark: SparkSession, curated_uri: str, name: str, state: BuiltFrom) -> None:
    write_text(spark, state_uri(curated_uri, name), state.to_json())
