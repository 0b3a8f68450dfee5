"""The benchmark: the DuckDB reference against hand-counted data and against our pipeline, and a smoke run
of `sparkify bench` end to end (no assertions on time)."""

from __future__ import annotations

import json

import pytest
import typer
from typer.testing import CliRunner

from sparkify.bench import harness
from sparkify.bench.cli import register
from sparkify.bench.reference import run_reference
from sparkify.local.runner import run_pipeline
from sparkify.synthetic.generate import generate
from tests.documents import assert_document
from tests.helpers import event, song, write_log, write_song

DAY = "2018-11-01"
T0 = 1_541_030_400_000  # 2018-11-01T00:00:00Z in epoch ms


@pytest.fixture(scope="module")
def hand_raw(tmp_path_factory):
    """3 songs by 2 artists and 10 log lines, of which 3 are bad; the expected counts are in the test."""
    raw = tmp_path_factory.mktemp("hand_raw")
    write_song(
        raw,
        "TRAAAAA128F4287B01",
        song(
            song_id="SOAAAAA12A8C13C001",
            title="Alpha",
            artist_id="ARAAAAA1187B99BF01",
            artist_name="Casual",
            duration=200.0,
            year=2001,
        ),
    )
    write_song(
        raw,
        "TRAAAAB128F4287B02",
        song(
            song_id="SOAAAAB12A8C13C002",
            title="Beta",
            artist_id="ARAAAAA1187B99BF01",
            artist_name="Casual",
            duration=150.5,
            year=0,
            artist_location="",
        ),
    )
    write_song(
        raw,
        "TRAAAAC128F4287B03",
        song(
            song_id="SOAAAAC12A8C13C003",
            title="Gamma",
            artist_id="ARAAAAC1187B99BF03",
            artist_name="Other",
            duration=300.25,
            year=1999,
        ),
    )
    user_8 = {"userId": "8", "sessionId": 1}
    user_9 = {"userId": "9", "sessionId": 2, "firstName": "Lily", "lastName": "Koch"}
    no_song = {"song": None, "artist": None, "length": None}
    replayed = event(**user_9, itemInSession=1, ts=T0 + 4000, song="Gamma", artist="Other", length=301.0)
    write_log(raw, DAY, [
        event(**user_8, itemInSession=0, ts=T0 + 1000, song="Alpha", artist="Casual", length=200.0),  # matches
        event(**user_8, itemInSession=1, ts=T0 + 2000, song="Unknown", artist="Nobody", length=100.0),
        event(**user_8, itemInSession=2, ts=T0 + 3000, level="paid", song="Beta", artist="Casual", length=150.5),
        event(**user_9, itemInSession=0, ts=T0 + 1000, song="Gamma", artist="Other", length=300.25),  # same ts
        replayed,  # another duration than the song file's: no match
        event(**user_9, itemInSession=2, ts=T0 + 5000, page="Home", method="GET", **no_song),
        event(userId="", auth="Logged Out", firstName=None, lastName=None, gender=None, registration=None,
              sessionId=3, itemInSession=0, ts=T0 + 6000, page="Home", method="GET", **no_song),
        replayed,  # bad: the same event twice
        event(userId="", sessionId=4, itemInSession=0, ts=T0 + 7000),  # bad: a NextSong without a user
        "{not json",  # bad: not JSON
    ])  # fmt: skip
    return raw


def test_reference_counts_hand_checked_data(hand_raw, tmp_path):
    import duckdb

    result = run_reference(hand_raw, tmp_path / "out")
    assert result["sources"] == {
        "songs": {"read": 3, "staged": 3, "quarantined": 0},
        "events": {"read": 10, "staged": 7, "quarantined": 3},
    }
    assert result["rows"] == {
        "songplays": 5,  # the NextSong events of users 8 and 9
        "users": 2,
        "users_history": 3,  # user 8: free, then paid; user 9: free
        "songs": 3,
        "artists": 2,
        "time": 4,  # two plays share T0 + 1000
    }
    curated = tmp_path / "out" / "curated"
    plays = duckdb.sql(f"SELECT * FROM read_parquet('{curated}/songplays/**/*.parquet', hive_partitioning=true)")  # noqa: F841 (the next query reads it by name)
    matched = duckdb.sql("SELECT song_id FROM plays WHERE song_id IS NOT NULL ORDER BY song_id").fetchall()
    assert matched == [("SOAAAAA12A8C13C001",), ("SOAAAAB12A8C13C002",), ("SOAAAAC12A8C13C003",)]
    users = duckdb.sql(f"SELECT user_id, level FROM '{curated}/users/*.parquet' ORDER BY user_id").fetchall()
    assert users == [(8, "paid"), (9, "free")]
    years = duckdb.sql(f"SELECT song_id, year FROM '{curated}/songs/*.parquet' ORDER BY song_id").fetchall()
    assert years == [("SOAAAAA12A8C13C001", 2001), ("SOAAAAB12A8C13C002", None), ("SOAAAAC12A8C13C003", 1999)]


def test_reference_counts_equal_our_pipeline_on_generated_data(spark, tmp_path):
    raw = tmp_path / "raw"
    generate(raw, songs=60, events=1500, seed=11)
    report = run_pipeline(raw, tmp_path / "lake")
    assert report["status"] == "succeeded", report["steps"]
    reference = run_reference(raw, tmp_path / "reference")
    ours = {"rows": {name: info["rows"] for name, info in report["tables"].items()}, "sources": report["sources"]}
    harness.check_counts(ours, reference, "60 songs + 1,500 events")  # raises with the differences


def test_check_counts_names_every_difference():
    ours = {"rows": {"users": 2, "songs": 3}, "sources": {"events": {"read": 10, "staged": 7, "quarantined": 3}}}
    reference = {"rows": {"users": 2, "songs": 4}, "sources": {"events": {"read": 10, "staged": 8, "quarantined": 2}}}
    with pytest.raises(harness.CountMismatch, match=r"songs: ours 3 vs DuckDB 4; source events"):
        harness.check_counts(ours, reference, "test")


def test_an_unknown_size_is_the_error_document_under_json():
    app = typer.Typer(add_completion=False)
    app.callback()(lambda: None)
    register(app)
    result = CliRunner().invoke(app, ["bench", "--sizes", "huge", "--json"])
    assert result.exit_code == 2
    document = json.loads(result.stdout)
    assert_document("error", document)
    assert document["error"]["exit_code"] == 2 and document["error"]["message"].startswith("unknown size")


def test_sizes_by_name_or_songs_x_events():
    assert harness.parse_size("s") == harness.Size("S", 14_896, 8_056)
    assert harness.parse_size("M") == harness.Size("M", 14_896, 1_000_000)
    assert harness.parse_size("300x3000") == harness.Size("300x3000", 300, 3_000)
    with pytest.raises(ValueError, match="unknown size"):
        harness.parse_size("huge")


def test_bench_smoke_writes_json_with_medians_ratio_and_files(tmp_path):
    app = typer.Typer(add_completion=False)
    app.callback()(lambda: None)  # a command group, as in sparkify's CLI
    register(app)
    out = tmp_path / "result.json"
    result = CliRunner().invoke(
        app,
        ["bench", "--sizes", "40x400", "--repeat", "1", "--data", str(tmp_path / "data"), "--out", str(out), "--json"],
    )
    assert result.exit_code == 0, result.output
    document = json.loads(out.read_text())
    printed = json.loads(result.stdout)  # stdout holds the document alone
    assert_document("bench", printed)
    assert printed == {"schema_version": "sparkify.bench/1", **document, "written": [str(out)]}
    assert set(harness.RESULT_KEYS) <= set(document)
    assert document["repeat"] == 1 and document["machine"]["cpus"] >= 1
    (size,) = document["sizes"]
    assert set(harness.SIZE_KEYS) <= set(size)
    assert (size["songs"], size["events"]) == (40, 400)
    assert set(size["ours"]["median"]["steps"]) == {"start-up", "stage", "model", "validate"}
    assert set(size["reference"]["median"]["steps"]) == {"start-up", "stage", "model"}
    assert size["ratio"] > 0 and 0 <= size["ge_share"] <= 1
    assert set(size["floor"]["median"]["steps"]) == {"start-up", "stage", "model"}
    assert size["floor_ratio"] > 0 and size["ratio_to_floor"] > 0
    assert size["ours"]["median"]["peak_rss_mb"] > 100, "the JVM's memory must be counted"
    assert size["sources"]["events"]["read"] == 400
    curated = size["output_files"]["curated"]
    assert set(curated) == {"songplays", "users", "users_history", "songs", "artists", "time"}
    assert all(counts["files"] >= 1 for counts in curated.values())
    assert curated["songs"]["files"] <= 4, "a dimension must stay in a handful of files"
    assert "songplays" in result.output and "ratio" in result.output
    # The generated data is cached for the next run.
    assert list((tmp_path / "data").glob("songs40-events400-seed42/generated.json"))
