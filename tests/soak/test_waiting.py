"""The soak's judge of an interrupted run: it may publish all of what it judged or none of it, never
some. `_waiting` reads which tables still have an `audit` that `main` has not reached."""

from __future__ import annotations

import json
from pathlib import Path

from sparkify.soak.run import _waiting


def _table(lake: Path, name: str, refs: dict[str, int], parents: dict[int, int | None]) -> None:
    metadata = lake / "curated" / name / "metadata"
    metadata.mkdir(parents=True)
    (metadata / "version-hint.text").write_text("4")
    snapshots = [{"snapshot-id": s, "parent-snapshot-id": p} for s, p in parents.items()]
    document = {"refs": {r: {"snapshot-id": s, "type": "branch"} for r, s in refs.items()}, "snapshots": snapshots}
    (metadata / "v4.metadata.json").write_text(json.dumps(document))


def test_a_table_waits_only_while_its_audit_is_off_mains_line(tmp_path: Path) -> None:
    _table(tmp_path, "songplays", {"main": 3, "audit": 3}, {1: None, 2: 1, 3: 2})  # published
    _table(tmp_path, "users", {"main": 3, "audit": 2}, {1: None, 2: 1, 3: 2})  # main compacted after it
    _table(tmp_path, "songs", {"main": 1, "audit": 2}, {1: None, 2: 1})  # judged, not published
    _table(tmp_path, "artists", {"audit": 1}, {1: None})  # never published
    _table(tmp_path, "time", {"main": 1}, {1: None})  # no audit

    assert _waiting(tmp_path) == ["artists", "songs"]
