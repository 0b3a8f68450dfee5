"""The Great Expectations suites and `sparkify.quality.validation`: a hand-made star schema passes every suite, and each
broken variant of it fails on exactly the expectation written for that defect."""

from __future__ import annotations

import copy
import datetime as dt
import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from sparkify import pipeline, schemas
from sparkify.docs_site import publish as docs_publish
from sparkify.docs_site.assets import external_resources
from sparkify.quality import suites as suites_module
from sparkify.quality import validation as quality
from tests.star_rows import (
    ARTIST_B,
    PLAY_1,
    PLAY_2,
    PLAY_3,
    SONG_A,
    SUITE_PARAMETERS,
    SUNDAY,
    at,
    curated_frames,
    curated_rows,
)


@pytest.fixture(scope="module")
def suites() -> dict[str, dict[str, Any]]:
    return suites_module.load_suites(pipeline.EXPECTATIONS_DIR)


# --- The suites as documents: checked against the schemas and the pipeline, no Spark needed ---------------


def _expectations(suite: dict[str, Any], type_: str) -> list[dict[str, Any]]:
    return [e for e in suite["expectations"] if e["type"] == type_]


@pytest.mark.parametrize("table", pipeline.CURATED_TABLES, ids=lambda t: t.name)
def test_suite_columns_are_exactly_the_schema_columns(suites, table):
    suite = suites[table.name]
    schema_columns = set(schemas.CURATED[table.name].fieldNames())
    [columns] = _expectations(suite, "expect_table_columns_to_match_set")
    assert set(columns["kwargs"]["column_set"]) == schema_columns
    assert len(columns["kwargs"]["column_set"]) == len(schema_columns)
    assert columns["kwargs"]["exact_match"] is True
    mentioned = {c for e in suite["expectations"] for c in (suites_module.expectation_column(e) or "").split(",") if c}
    assert mentioned <= schema_columns, (
        f"{table.name} suite names columns not in the schema: {mentioned - schema_columns}"
    )


@pytest.mark.parametrize("table", pipeline.CURATED_TABLES, ids=lambda t: t.name)
def test_suite_checks_the_key_and_every_required_column(suites, table):
    suite = suites[table.name]
    not_null = {e["kwargs"]["column"] for e in _expectations(suite, "expect_column_values_to_not_be_null")}
    required = {f.name for f in schemas.CURATED[table.name].fields if not f.nullable}
    assert not_null == required
    if len(table.key) == 1:
        unique = {
            e["kwargs"]["column"]
            for e in _expectations(suite, "expect_column_values_to_be_unique")
            if "row_condition" not in e["kwargs"]
        }
        assert unique == {table.key[0]}
    else:
        [compound] = _expectations(suite, "expect_compound_columns_to_be_unique")
        assert tuple(compound["kwargs"]["column_list"]) == table.key


def test_every_expectation_says_why_and_cross_table_queries_name_their_tables(suites):
    for name, suite in suites.items():
        for e in suite["expectations"]:
            assert e["meta"].get("notes"), f"{name}: {e['type']} has no meta.notes"
            if e["type"] == "expect_no_unexpected_rows":
                query = e["kwargs"]["unexpected_rows_query"]
                assert "{batch}" in query, f"{name}: query does not select from {{batch}}"
                if "references" in e["meta"]:
                    ref_table, ref_column = e["meta"]["references"].split(".")
                    assert re.search(rf"\b{ref_table}\b", query) and ref_column in query, (name, query)
    assert suites_module.referenced_tables(suites["songplays"]) == {"users", "songs", "artists", "time"}
    assert suites_module.suite_parameters(suites["songplays"]) == {"staging_next_song_events", "latest_start_time"}
    assert suites_module.suite_parameters(suites["time"]) == {"latest_start_time"}


def test_id_patterns_match_every_id_of_the_real_song_data(suites, shared_sample):
    patterns = {
        (e["kwargs"]["column"], e["kwargs"]["regex"])
        for e in _expectations(suites["songs"], "expect_column_values_to_match_regex")
    }
    assert {c for c, _ in patterns} == {"song_id", "artist_id"}
    records = [json.loads(p.read_text()) for p in (shared_sample / "song_data").rglob("*.json")]
    assert records
    for column, regex in patterns:
        bad = [r[column] for r in records if not re.search(regex, r[column])]
        assert not bad, f"{column} ids of the real data that {regex} rejects: {bad[:5]}"


def test_a_suite_gx_cannot_parse_is_an_error_not_a_silently_shorter_suite():
    suite = {"name": "t", "expectations": [{"type": "expect_column_values_to_be_purple", "kwargs": {"column": "x"}}]}
    with pytest.raises(ValueError, match="expect_column_values_to_be_purple"):
        quality.to_gx_suite(suite)


def test_validate_refuses_missing_referenced_tables_and_parameters(spark, suites):
    frames = curated_frames(spark, curated_rows())
    only_songplays = {"songplays": frames["songplays"]}
    with pytest.raises(ValueError) as error:
        quality.validate(only_songplays, {"songplays": suites["songplays"]}, parameters={})
    message = str(error.value)
    assert "artists, songs, time, users" in message
    assert "staging_next_song_events" in message


# --- Validating: the good star schema, then one defect at a time ------------------------------------------


@pytest.fixture(scope="module")
def good_run(spark, suites, tmp_path_factory):
    docs = tmp_path_factory.mktemp("data_docs")
    summary = quality.validate(
        curated_frames(spark, curated_rows()), suites, SUITE_PARAMETERS, docs_dir=docs, run_name="test-run"
    )
    return summary, docs


def test_the_hand_made_star_schema_passes_every_suite(good_run, suites):
    summary, _ = good_run
    assert sorted(summary) == sorted(t.name for t in pipeline.CURATED_TABLES)
    for name, result in summary.items():
        assert result == {
            "success": True,
            "evaluated": len(suites[name]["expectations"]),
            "failed": 0,
            "failed_expectations": [],
        }, name


def test_data_docs_have_an_index_and_one_validation_page_per_suite(good_run, suites):
    _, docs = good_run
    index = (docs / "index.html").read_text()
    for name in suites:
        assert name in index
        pages = list((docs / "validations" / name / "test-run").glob("*/*.html"))
        assert len(pages) == 1, f"{name}: {pages}"
        # Each page names what it judged: the table (GX leaves a DataFrame's asset unnamed: `None`).
        header = pages[0].read_text()
        assert f"Data asset: {name}<br>" in header and "Data asset: None" not in header, name
    # The reason for each rule shows up in the docs (meta.notes is rendered as the expectation's notes).
    assert "Reconciliation with staging" in (docs / "expectations" / "songplays.html").read_text()
    # A site GX 1.24 builds loads nothing from the network once it is localized (sparkify/docs_site/assets.py).
    assert external_resources(docs) == {}


Rows = dict[str, list[tuple[Any, ...]]]


def _replace(table: str, index: int, **changes: Any) -> Callable[[Rows], None]:
    def mutate(rows: Rows) -> None:
        fields = schemas.CURATED[table].fieldNames()
        row = list(rows[table][index])
        for column, value in changes.items():
            row[fields.index(column)] = value
        rows[table][index] = tuple(row)

    return mutate


def _append_copy(table: str, index: int) -> Callable[[Rows], None]:
    return lambda rows: rows[table].append(rows[table][index])


UNIQUE, IN_SET, BETWEEN = (
    "expect_column_values_to_be_unique",
    "expect_column_values_to_be_in_set",
    "expect_column_values_to_be_between",
)
QUERY, REGEX = "expect_no_unexpected_rows", "expect_column_values_to_match_regex"
TIME_PARTS = "hour,day,week,month,year,weekday"

BROKEN = [
    # (id, suite, change to the good rows, staging NextSong events, expected failures {(type, column): details})
    # A details of None only requires a detail that is not an error.
    (
        "duplicate songplay_id",
        "songplays",
        _replace("songplays", 2, songplay_id=PLAY_1),
        3,
        {(UNIQUE, "songplay_id"): None},
    ),
    (
        "songplay_id not md5",
        "songplays",
        _replace("songplays", 0, songplay_id="play-1"),
        3,
        {(REGEX, "songplay_id"): "1 of 3 rows unexpected (e.g. play-1); rows: songplay_id=play-1"},
    ),
    (
        "level gold",
        "songplays",
        _replace("songplays", 0, level="gold"),
        3,
        {(IN_SET, "level"): "1 of 3 rows unexpected (e.g. gold); rows: songplay_id=00000000000000000000000000000001"},
    ),
    (
        "song not in songs",
        "songplays",
        _replace("songplays", 2, song_id="SOZZZZZZZZZZZZZZZZ"),
        3,
        {
            (
                QUERY,
                "song_id",
            ): "1 row unexpected: Foreign key: every non-null songplays.song_id exists in songs.song_id."
        },
    ),
    ("user not in users", "songplays", _replace("songplays", 2, user_id=40), 3, {(QUERY, "user_id"): None}),
    (
        "partition month not start_time's",
        "songplays",
        _replace("songplays", 0, month=12),
        3,
        {(QUERY, "year,month"): None},
    ),
    (
        "row count differs from staging",
        "songplays",
        lambda rows: None,
        4,
        {("expect_table_row_count_to_equal", None): "observed 3, expected 4"},
    ),
    (
        "duplicate user",
        "users",
        _append_copy("users", 1),
        3,
        {(UNIQUE, "user_id"): "2 of 3 rows unexpected (e.g. 39); rows: user_id=39; user_id=39"},
    ),
    ("gender X", "users", _replace("users", 0, gender="X"), 3, {(IN_SET, "gender"): None}),
    ("level differs from current history", "users", _replace("users", 0, level="free"), 3, {(QUERY, "level"): None}),
    (
        "two current versions",
        "users_history",
        _replace("users_history", 0, valid_to=None, is_current=True),
        3,
        {(UNIQUE, "user_id"): None},
    ),
    (
        "duplicate version key",
        "users_history",
        _replace("users_history", 1, valid_from=SUNDAY),
        3,
        {
            (
                "expect_compound_columns_to_be_unique",
                "user_id,valid_from",
            ): "2 of 3 rows unexpected (e.g. user_id=8 valid_from=2018-11-04 10:00:00); "
            "rows: user_id=8 valid_from=2018-11-04 10:00:00; user_id=8 valid_from=2018-11-04 10:00:00"
        },
    ),
    (
        "current version with an end",
        "users_history",
        _replace("users_history", 1, valid_to=at(6, 0)),
        3,
        {(QUERY, "valid_to,is_current"): None},
    ),
    (
        "version ends before it starts",
        "users_history",
        _replace("users_history", 0, valid_to=at(3, 0)),
        3,
        {("expect_column_pair_values_a_to_be_greater_than_b", "valid_to,valid_from"): None},
    ),
    ("zero duration", "songs", _replace("songs", 0, duration=0.0), 3, {(BETWEEN, "duration"): None}),
    (
        "song artist not in artists",
        "songs",
        _replace("songs", 1, artist_id="ARZZZZZZZZZZZZZZZZ"),
        3,
        {(QUERY, "artist_id"): None},
    ),
    ("latitude 91", "artists", _replace("artists", 1, latitude=91.0), 3, {(BETWEEN, "latitude"): None}),
    (
        "hour 24",
        "time",
        _replace("time", 0, hour=24),
        3,
        {
            (BETWEEN, "hour"): "1 of 2 rows unexpected (e.g. 24); rows: start_time=2018-11-04 10:00:00",
            (QUERY, TIME_PARTS): None,
        },
    ),
    ("weekday counted from Sunday", "time", _replace("time", 0, weekday=1), 3, {(QUERY, TIME_PARTS): None}),
]


@pytest.mark.parametrize(
    ("suite_name", "change", "next_song_events", "expected"), [b[1:] for b in BROKEN], ids=[b[0] for b in BROKEN]
)
def test_each_defect_fails_exactly_its_expectation(spark, suites, suite_name, change, next_song_events, expected):
    rows = copy.deepcopy(curated_rows())
    change(rows)
    summary = quality.validate(
        curated_frames(spark, rows),
        {suite_name: suites[suite_name]},
        {**SUITE_PARAMETERS, "staging_next_song_events": next_song_events},
    )[suite_name]
    assert summary["success"] is False
    failures = {(f["type"], f["column"]): f["details"] for f in summary["failed_expectations"]}
    assert set(failures) == set(expected)
    assert summary["failed"] == len(expected)
    for key, details in expected.items():
        assert failures[key] == details if details else not failures[key].startswith("error"), (key, failures[key])


def test_the_latest_start_time_is_the_run_date_and_a_day_in_utc():
    moment = dt.datetime(2026, 12, 24, 3, 30, tzinfo=dt.timezone(dt.timedelta(hours=2)))
    assert quality.latest_start_time(moment) == "2026-12-25T01:30:00+00:00"


def test_a_play_later_than_the_run_date_and_a_day_fails_songplays_and_time(spark, suites):
    # The plays are on Sunday the 4th and Monday the 5th at 23:59. A run dated the 4th at 23:59 accepts
    # Monday's plays to the minute; one a minute earlier rejects them, in both tables.
    frames = curated_frames(spark, curated_rows())
    judged = {"songplays": suites["songplays"], "time": suites["time"]}
    on_time = quality.validate(
        frames,
        judged,
        {
            **SUITE_PARAMETERS,
            "latest_start_time": quality.latest_start_time(dt.datetime(2018, 11, 4, 23, 59, tzinfo=dt.UTC)),
        },
    )
    assert all(summary["success"] for summary in on_time.values()), on_time
    early = quality.validate(frames, judged, {**SUITE_PARAMETERS, "latest_start_time": "2018-11-05T23:58:59+00:00"})
    failures = {
        name: [(f["type"], f["column"], f["details"]) for f in s["failed_expectations"]] for name, s in early.items()
    }
    assert failures == {
        "songplays": [(BETWEEN, "start_time", "2 of 3 rows unexpected (e.g. 2018-11-05 23:59:00); "
                       f"rows: songplay_id={PLAY_2}; songplay_id={PLAY_3}")],
        "time": [(BETWEEN, "start_time", "1 of 2 rows unexpected (e.g. 2018-11-05 23:59:00); "
                  "rows: start_time=2018-11-05 23:59:00")],
    }  # fmt: skip
    # A timestamp key as text: the summary goes into the JSON run report as it is.
    assert early["time"]["failed_expectations"][0]["rows"] == [{"start_time": "2018-11-05 23:59:00"}]


def test_failed_row_level_expectations_name_the_failing_rows_by_key(spark, suites, tmp_path):
    rows = copy.deepcopy(curated_rows())
    rows["songs"].append(("SOBBBBB12A8C13C4B1", "Zero", ARTIST_B, 1999, 0.0))
    rows["songs"].append(("SOCCCCC12A8C13C4C1", "Negative", ARTIST_B, 1999, -1.5))
    frames = curated_frames(spark, rows)
    summary = quality.validate(frames, {"songs": suites["songs"]}, docs_dir=tmp_path / "docs")["songs"]
    between = next(f for f in summary["failed_expectations"] if f["column"] == "duration")
    assert between["rows"] == [
        {"song_id": "SOBBBBB12A8C13C4B1", "duration": 0.0},
        {"song_id": "SOCCCCC12A8C13C4C1", "duration": -1.5},
    ]
    assert between["details"].endswith("; rows: song_id=SOBBBBB12A8C13C4B1; song_id=SOCCCCC12A8C13C4C1")
    # The rerun of the failed rules is a page of its own in the Data Docs (GX renders the SUMMARY
    # format's failing values and counts there; the keys are in the run report and on the run page).
    assert [p.name for p in (tmp_path / "docs" / "validations" / "songs" / "failures").rglob("*.html")] == [
        "curated-songs.failures.html"
    ]


def test_a_passing_suite_runs_no_second_validation(spark, suites, monkeypatch):
    calls = []
    original = quality.to_gx_suite
    monkeypatch.setattr(quality, "to_gx_suite", lambda suite: calls.append(suite["name"]) or original(suite))
    quality.validate(curated_frames(spark, curated_rows()), {"songs": suites["songs"]})
    assert calls == ["songs"]


def _queries_like(monkeypatch, spark, marker: str) -> list[str]:
    """Every SQL text run through the session that holds `marker`, in the order run."""
    seen: list[str] = []
    original = type(spark).sql
    monkeypatch.setattr(
        type(spark),
        "sql",
        lambda self, query, *a, **k: (
            (seen.append(query) if marker in query else None) or original(self, query, *a, **k)
        ),
    )
    return seen


def test_an_sql_rule_runs_its_query_once_when_it_passes_and_once_more_to_explain_a_failure(spark, suites, monkeypatch):
    # songs' foreign key into artists is an anti-join over whole tables: the costliest kind of rule.
    [rule] = [
        e for e in suites["songs"]["expectations"] if "`artists`" in str(e["kwargs"].get("unexpected_rows_query"))
    ]
    suite = {"name": "songs", "expectations": [rule]}
    queries = _queries_like(monkeypatch, spark, "FROM `artists`")
    passed = quality.validate(curated_frames(spark, curated_rows()), {"songs": suite})["songs"]
    assert passed["success"] and len(queries) == 1, queries
    rows = copy.deepcopy(curated_rows())
    rows["songs"].append(("SOBBBBB12A8C13C4B1", "Orphan", "ARNOSUCH1187B9AF11", 1999, 10.0))
    queries.clear()
    failed = quality.validate(curated_frames(spark, rows), {"songs": suite})["songs"]
    # Once to judge, once in the rerun that says how many rows failed.
    assert len(queries) == 2, queries
    [failure] = failed["failed_expectations"]
    assert failure["details"].startswith("1 row unexpected")


def test_suites_judged_side_by_side_each_read_their_own_batch(spark, monkeypatch):
    # GX's query metrics register every batch under the one view name `tmp_view`: two validations at
    # once would count each other's rows. Table i has i failing rows.
    rule = {
        "type": "expect_no_unexpected_rows",
        "kwargs": {"unexpected_rows_query": "SELECT * FROM {batch} WHERE x < 0"},
    }
    frames = {f"t{i}": spark.createDataFrame([(-i,)] * i + [(i,)], "x int") for i in range(6)}
    queries = _queries_like(monkeypatch, spark, "WHERE x < 0")
    summaries = quality.validate(frames, {name: {"name": name, "expectations": [rule]} for name in frames})
    assert {name: s["success"] for name, s in summaries.items()} == {f"t{i}": i == 0 for i in range(6)}
    for i in range(1, 6):
        [failure] = summaries[f"t{i}"]["failed_expectations"]
        assert failure["details"] == f"{i} row{'s' if i > 1 else ''} unexpected"
    assert queries and not [q for q in queries if "tmp_view" in q]


def test_the_sql_rule_gives_its_rows_only_under_the_complete_result_format(spark):
    gx = quality._gx()
    context = quality._context(None)
    batch = (
        context.data_sources.add_spark("t", persist=False)
        .add_dataframe_asset("t")
        .add_batch_definition_whole_dataframe("t")
    )
    rule = {
        "type": "expect_no_unexpected_rows",
        "kwargs": {"unexpected_rows_query": "SELECT * FROM {batch} WHERE x < 0"},
    }
    suite = context.suites.add(quality.to_gx_suite({"name": "t", "expectations": [rule]}))
    definition = context.validation_definitions.add(gx.ValidationDefinition(name="t", data=batch, suite=suite))
    frame = spark.createDataFrame([(1,), (-2,)], "x int")
    [complete] = definition.run(batch_parameters={"dataframe": frame}, result_format="COMPLETE").results
    assert not complete.success
    assert complete.result == {"observed_value": 1, "details": {"unexpected_rows": [{"x": -2}]}}
    [summary] = definition.run(batch_parameters={"dataframe": frame}, result_format="SUMMARY").results
    assert summary.result == {"observed_value": 1}


# --- Judging a merged table by the rows that came in ---------------------------------------------------


def _songs_with(spark, extra: list[tuple[Any, ...]]) -> tuple[dict[str, Any], Any]:
    """The good star schema with `extra` songs added to the table, and those songs as its changed rows."""
    rows = copy.deepcopy(curated_rows())
    rows["songs"].extend(extra)
    frames = curated_frames(spark, rows)
    return frames, spark.createDataFrame(extra, schemas.CURATED["songs"])


def test_a_changed_row_that_repeats_a_published_key_fails_uniqueness_and_names_both_rows(spark, suites):
    frames, came_in = _songs_with(spark, [(SONG_A, "Again", ARTIST_B, 2001, 10.0)])
    summary = quality.validate(frames, {"songs": suites["songs"]}, changed={"songs": came_in})["songs"]
    [failure] = summary["failed_expectations"]
    assert (failure["type"], failure["column"]) == (UNIQUE, "song_id")
    assert failure["rows"] == [{"song_id": SONG_A}, {"song_id": SONG_A}]


def test_a_missing_column_fails_the_columns_expectation_and_names_the_column(spark, suites):
    frames = curated_frames(spark, curated_rows())
    frames["artists"] = frames["artists"].drop("location")
    summary = quality.validate(frames, {"artists": suites["artists"]})["artists"]
    assert summary["failed_expectations"] == [
        {"type": "expect_table_columns_to_match_set", "column": None, "details": "missing columns: location"}
    ]


# --- Suites and Data Docs on S3 (moto) ----------------------------------------------------------------------


@pytest.fixture
def s3(monkeypatch):
    from moto import mock_aws

    for name, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
    }.items():
        monkeypatch.setenv(name, value)
    with mock_aws():
        import boto3

        client = boto3.client("s3", region_name="us-east-1")
        client.create_bucket(Bucket="docs")
        yield client


def _keys(client, prefix: str) -> set[str]:
    return {o["Key"] for o in client.list_objects_v2(Bucket="docs", Prefix=prefix).get("Contents", [])}


def test_suites_load_from_s3_like_from_the_folder(s3, suites):
    for path in pipeline.EXPECTATIONS_DIR.glob("*.json"):
        s3.put_object(Bucket="docs", Key=f"config/expectations/{path.name}", Body=path.read_bytes())
    s3.put_object(Bucket="docs", Key="config/expectations/old/ignored.json", Body=b"{}")
    assert suites_module.load_suites("s3://docs/config/expectations/", s3_client=s3) == suites


def test_upload_site_copies_to_the_run_and_replaces_latest(s3, tmp_path):
    def site(name: str, pages: dict[str, str]) -> Path:
        root = tmp_path / name
        for relative, text in pages.items():
            (root / relative).parent.mkdir(parents=True, exist_ok=True)
            (root / relative).write_text(text)
        return root

    first = site("one", {"index.html": "<html>1</html>", "validations/songs/r1/a.html": "old page"})
    second = site("two", {"index.html": "<html>2</html>", "validations/songs/r2/b.html": "new page"})
    docs_publish.upload_site(first, "s3://docs/data_docs", "r1", s3_client=s3)
    index = docs_publish.upload_site(second, "s3://docs/data_docs/", "r2", s3_client=s3)

    assert index == "s3://docs/data_docs/latest/index.html"
    assert _keys(s3, "data_docs/latest/") == {
        "data_docs/latest/index.html",
        "data_docs/latest/validations/songs/r2/b.html",
    }
    assert _keys(s3, "data_docs/runs/r1/") == {
        "data_docs/runs/r1/index.html",
        "data_docs/runs/r1/validations/songs/r1/a.html",
    }
    latest = s3.get_object(Bucket="docs", Key="data_docs/latest/index.html")
    assert latest["Body"].read() == b"<html>2</html>"
    assert latest["ContentType"] == "text/html"
