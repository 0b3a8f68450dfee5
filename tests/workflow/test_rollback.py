"""`sparkify rollback`: a publish undone, recorded as a run, refused when a later run published over it;
and the two runs after it judge and publish (audit still descends from main). Raw lines written by hand:
day one holds two plays, day two two more, day three one."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from sparkify.cli.main import app
from sparkify.lake import tables
from sparkify.local.runner import lake_table, run_pipeline
from sparkify.local.session import register_local_catalog
from sparkify.pipeline import CURATED_TABLES
from tests.documents import assert_document
from tests.helpers import event, song, write_log, write_song

runner = CliRunner()
ALPHA = song(
    song_id="SOAAAAAAAAAAAAAAA1", title="Alpha", artist_id="ARAAAAAAAAAAAAAAA1", artist_name="Ann", duration=200.0
)
KAYLEE = {"userId": "8", "firstName": "Kaylee", "lastName": "Summers", "level": "free", "sessionId": 139}
PLAY = {"song": "Alpha", "artist": "Ann", "length": 200.0}
HOUR = 3_600_000


def _plays(day: int, count: int, first_item: int) -> list[dict]:
    start = 1541030400000 + (day - 1) * 24 * HOUR  # 2018-11-0<day> 00:00 UTC
    return [event(**KAYLEE, **PLAY, ts=start + (10 + i) * HOUR, itemInSession=first_item + i) for i in range(count)]


def _refs(spark, lake: Path) -> dict[str, dict[str, int]]:
    catalog = register_local_catalog(spark, lake.resolve())
    return {t.name: tables.refs(spark, f"{catalog}.curated.{t.name}") for t in CURATED_TABLES}


def test_a_rollback_moves_main_back_and_the_next_runs_judge_and_publish(spark, tmp_path: Path) -> None:
    raw, lake = tmp_path / "raw", tmp_path / "lake"
    write_song(raw, "TRAAAAA128F4287B01", ALPHA)
    write_log(raw, "2018-11-01", _plays(1, 2, 1))
    first = run_pipeline(raw, lake)
    before = _refs(spark, lake)
    day_two = write_log(raw, "2018-11-02", _plays(2, 2, 3))
    second = run_pipeline(raw, lake)
    assert (first["status"], second["status"]) == ("succeeded", "succeeded")
    assert lake_table(spark, lake, "songplays").count() == 4

    refused = runner.invoke(app, ["rollback", "--run", first["run_id"], "--lake", str(lake)])
    assert refused.exit_code == 2
    assert refused.stderr == (
        f"error: run {second['run_id']} published after {first['run_id']}: rolling {first['run_id']} back would "
        f"undo it too; roll back {second['run_id']} instead, or give --also-later to undo every publish since "
        f"{first['run_id']}\n"
    )
    unknown = runner.invoke(app, ["rollback", "--run", "local-nope", "--lake", str(lake)])
    assert (unknown.exit_code, unknown.stderr) == (
        2,
        "error: no run local-nope in this lake (`sparkify runs` lists them)\n",
    )

    result = runner.invoke(app, ["rollback", "--run", second["run_id"], "--lake", str(lake), "--json"])

    assert result.exit_code == 0, result.output
    rollback = json.loads(result.stdout)
    assert_document("run-report", rollback)
    assert (rollback["kind"], rollback["rolled_back"]) == ("rollback", {"run_id": second["run_id"], "later": []})
    after = _refs(spark, lake)
    # Day two added to songplays and time: both back to the heads run one left.
    for name in ("songplays", "time"):
        assert after[name]["main"] == before[name]["main"], name
    assert all(refs["audit"] == refs["main"] for refs in after.values()), "audit descends from main again"
    assert lake_table(spark, lake, "songplays").count() == 2
    assert rollback["tables"]["songplays"] == {"rows": 2}
    runs = json.loads(runner.invoke(app, ["runs", "--lake", str(lake), "--json"]).stdout)
    assert [(r["run_id"], r["kind"]) for r in runs["runs"]] == [
        (rollback["run_id"], "rollback"),
        (second["run_id"], "run"),
        (first["run_id"], "run"),
    ]

    # The way on: take day two's file out, and the next run rebuilds from staging, judges and publishes.
    day_two.unlink()
    third = run_pipeline(raw, lake)
    assert third["status"] == "succeeded", third
    assert lake_table(spark, lake, "songplays").count() == 2
    write_log(raw, "2018-11-03", _plays(3, 1, 5))
    fourth = run_pipeline(raw, lake)
    assert fourth["status"] == "succeeded", fourth
    assert fourth["model"]["mode"] == "incremental"
    assert lake_table(spark, lake, "songplays").count() == 3
