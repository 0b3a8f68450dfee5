"""Staging: every raw record is either staged (renamed, cast) or quarantined with the rule it broke."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from chispa import assert_df_equality
from pyspark.sql import functions as F
from pyspark.sql import types as T

from sparkify import schemas
from sparkify.job_args import JobArgs
from sparkify.lake.io import RawInputError, read_raw_files
from sparkify.transforms import staging
from tests.helpers import event, song, write_log, write_song


@pytest.fixture(autouse=True, params=[False, True], ids=["ansi-off", "ansi-on"])
def ansi(request, spark):
    """Every staging test runs twice: as Glue 5.1 runs (ANSI off) and as Glue 6.0 does (ANSI on), where
    a `cast` of a bad value raises instead of giving null."""
    spark.conf.set("spark.sql.ansi.enabled", str(request.param).lower())
    yield request.param
    spark.conf.set("spark.sql.ansi.enabled", "false")


def read_raw(spark, raw, source):
    """The parsed records of every raw file of a source, as the stage job sees them."""
    return staging.records(read_raw_files(spark, raw, source), source)


def reasons(tagged_df) -> list[tuple[str, str | None]]:
    """(corrupt line text, or ts/userId/itemInSession) and reason per record, in a stable order."""
    rows = tagged_df.select("ts", "userId", "itemInSession", "_corrupt_record", staging.REASON).collect()
    return sorted(
        ((r["_corrupt_record"] or f"{r['ts']}/{r['userId']}/{r['itemInSession']}", r[staging.REASON]) for r in rows),
        key=lambda pair: (pair[0], pair[1] or ""),
    )


def test_each_bad_event_is_tagged_with_the_rule_it_breaks(spark, tmp_path):
    write_log(
        tmp_path,
        "2018-11-01",
        [
            event(ts=1541106106796, itemInSession=1),  # good play
            event(
                page="Home",
                userId="",
                firstName=None,
                lastName=None,
                gender=None,
                auth="Logged Out",
                artist=None,
                song=None,
                length=None,
                registration=None,
                ts=1541106106800,
                itemInSession=2,
            ),
            '{"ts": 1541106106900, "page": "NextSong", "userId": "8"',  # truncated line
            '{"artist": "X", "page": "NextSong", "ts": 1541106107000, "sessionId": "abc", "userId": "8"}',
            event(ts=None, itemInSession=4),
            event(ts=1541106108000, song=None, itemInSession=5),
            event(ts=1541106109000, userId="eight", itemInSession=6),
            event(ts=1541106, itemInSession=7),  # seconds, not milliseconds
            event(ts=1541106110000, itemInSession=8),
            event(ts=1541106110000, itemInSession=8),  # the same event twice
        ],
    )
    tagged = staging.tag_events(read_raw(spark, str(tmp_path), "events"))
    log_file = tagged.first()["source_file"]
    assert reasons(tagged) == [
        ("1541106/8/7", "ts out of range (epoch ms, 2000–2100): 1541106"),
        ("1541106106796/8/1", None),
        ("1541106106800//2", None),
        ("1541106108000/8/5", "missing required field song"),
        ("1541106109000/eight/6", "userId is not an integer: eight"),
        ("1541106110000/8/8", None),
        ("1541106110000/8/8", f"duplicate event (first seen in {log_file} line 9)"),
        ("None/8/4", "missing required field ts"),
        (
            '{"artist": "X", "page": "NextSong", "ts": 1541106107000, "sessionId": "abc", "userId": "8"}',
            'field sessionId: expected bigint, got string "abc"',
        ),
        (
            '{"ts": 1541106106900, "page": "NextSong", "userId": "8"',
            "malformed JSON: incomplete or invalid syntax (cut short?)",
        ),
    ]


def test_a_value_of_the_wrong_type_is_named_with_its_json_type(spark, tmp_path):
    # A number sent as a string reads the same as the number once unquoted: the reason says which it was.
    write_log(
        tmp_path,
        "2018-11-01",
        [
            event(itemInSession=1, length="231.23546"),
            event(itemInSession=2, sessionId=True),
            event(itemInSession=3, status=[200]),
            event(itemInSession=4, registration={"at": 1}),
            event(itemInSession=5, sessionId=1.5),
            event(itemInSession=6, sessionId=""),
        ],
    )
    tagged = staging.tag_events(read_raw(spark, str(tmp_path), "events"))
    got = sorted((r[staging.LINE], r[staging.REASON]) for r in tagged.collect())
    assert got == [
        (1, 'field length: expected double, got string "231.23546"'),
        (2, "field sessionId: expected bigint, got boolean true"),
        (3, "field status: expected bigint, got array [200]"),
        (4, 'field registration: expected double, got object {"at":1}'),
        (5, "field sessionId: expected bigint, got number 1.5"),
        (6, 'field sessionId: expected bigint, got string ""'),
    ]
    kinds = tagged.select(staging.reason_kind(F.col(staging.REASON)).alias("kind")).collect()
    assert sorted(r["kind"] for r in kinds)[:2] == [
        "field length: expected double",
        "field registration: expected double",
    ]


def test_quarantine_keeps_file_record_and_reason(spark, tmp_path):
    path = write_log(tmp_path, "2018-11-02", [event(), "not json at all"])
    tagged = staging.tag_events(read_raw(spark, str(tmp_path), "events"))
    rows = staging.quarantined(tagged, "events").collect()
    assert len(rows) == 1
    assert rows[0]["source"] == "events"
    assert rows[0]["source_file"].endswith(str(path))
    assert rows[0]["line"] == 2
    assert rows[0]["record"] == "not json at all"
    assert rows[0]["reason"] == "malformed JSON: incomplete or invalid syntax (cut short?)"


def test_a_duplicate_names_the_file_its_kept_copy_was_staged_from(spark):
    reasons_df = spark.createDataFrame(
        [
            ("duplicate event (first seen in s3://raw/log_data/a (copy) line 2.json line 7)",),
            ("duplicate song_id (already staged from s3://raw/song_data/A/TR (1).json)",),
            ("missing required field song",),
            (None,),
        ],
        "reason string",
    )
    got = [r["of"] for r in reasons_df.select(staging.duplicate_of(F.col("reason")).alias("of")).collect()]
    assert got == ["s3://raw/log_data/a (copy) line 2.json", "s3://raw/song_data/A/TR (1).json", None, None]


def test_only_quarantined_records_keep_their_text(spark):
    tagged_df = spark.createDataFrame(
        [
            ("f.json", 1, '{"ts": 1}', None),
            ("f.json", 2, "not json", "malformed JSON: not a JSON object"),
            ("f.json", 3, None, "missing required field ts"),
        ],
        "source_file string, line int, text string, quarantine_reason string",
    )
    expected_df = spark.createDataFrame(
        [
            ("f.json", 1, None, None),
            ("f.json", 2, "not json", "malformed JSON: not a JSON object"),
            ("f.json", 3, None, "missing required field ts"),
        ],
        "source_file string, line int, text string, quarantine_reason string",
    )
    assert_df_equality(staging.drop_text_of_good(tagged_df), expected_df, ignore_nullable=True)


def test_unknown_fields_are_counted_per_field_and_non_objects_carry_none(spark, tmp_path):
    write_log(
        tmp_path,
        "2018-11-02",
        [
            {**event(), "device": "ios"},
            {**event(itemInSession=1), "device": "web", "experiment": {"arm": "b"}},
            event(itemInSession=2),
            "[1, 2]",  # not an object: no keys
            "{broken",
        ],
    )
    assert staging.unknown_fields(read_raw(spark, str(tmp_path), "events")) == {"device": 2, "experiment": 1}


def test_staged_events_are_renamed_and_cast(spark, tmp_path):
    write_log(
        tmp_path,
        "2018-11-01",
        [
            event(),
            event(
                page="Home",
                userId="",
                auth="Logged Out",
                firstName=None,
                lastName=None,
                gender=None,
                artist=None,
                song=None,
                length=None,
                registration=None,
                itemInSession=2,
                sessionId=140,
            ),
        ],
    )
    staged = staging.staged_events(staging.tag_events(read_raw(spark, str(tmp_path), "events")))
    assert staged.schema.fieldNames() == schemas.STAGING_EVENTS.fieldNames()
    rows = {r["item_in_session"]: r for r in staged.collect()}
    play = rows[1]
    assert play["user_id"] == 8
    # 1541106106796 ms = 2018-11-01T21:01:46.796Z (session time zone is UTC)
    assert play["start_time"] == dt.datetime(2018, 11, 1, 21, 1, 46, 796000)
    assert play["registration"] == dt.datetime(2018, 10, 24, 1, 33, 14, 796000)
    assert play["length"] == 246.30812
    logged_out = rows[2]
    assert logged_out["user_id"] is None  # "" in the raw data
    assert logged_out["registration"] is None


def test_songs_blank_location_and_zero_year_become_null_and_duplicates_are_quarantined(spark, tmp_path):
    write_song(tmp_path, "TRAAAAW128F429D538", song(song_id="SOAAAAAAAAAAAAAAA1", year=0, artist_location=""))
    write_song(tmp_path, "TRAAABD128F429CF47", song(song_id="SOAAAAAAAAAAAAAAA2", year=1969, title="Soul Deep"))
    write_song(tmp_path, "TRBBBBB128F429CF47", song(song_id="SOAAAAAAAAAAAAAAA2", year=1969, title="Soul Deep"))
    write_song(tmp_path, "TRAAACN128F9355673", song(song_id="SOAAAAAAAAAAAAAAA3", title=None))
    write_song(tmp_path, "TRAAADJ128F4287B47", '{"song_id": "SOX", "duration": "long"}')
    tagged = staging.tag_songs(read_raw(spark, str(tmp_path), "songs")).cache()
    got = {(r["song_id"], r["source_file"].rsplit("/", 1)[1]): r[staging.REASON] for r in tagged.collect()}
    assert got == {
        ("SOAAAAAAAAAAAAAAA1", "TRAAAAW128F429D538.json"): None,
        ("SOAAAAAAAAAAAAAAA2", "TRAAABD128F429CF47.json"): None,
        ("SOAAAAAAAAAAAAAAA2", "TRBBBBB128F429CF47.json"): (
            "duplicate song_id (first seen in "
            + next(r["source_file"] for r in tagged.collect() if r["source_file"].endswith("TRAAABD128F429CF47.json"))
            + " line 1)"
        ),
        ("SOAAAAAAAAAAAAAAA3", "TRAAACN128F9355673.json"): "missing required field title",
        ("SOX", "TRAAADJ128F4287B47.json"): 'field duration: expected double, got string "long"',
    }
    staged = staging.staged_songs(tagged).drop("source_file", "line")
    expected = spark.createDataFrame(
        [
            (
                "SOAAAAAAAAAAAAAAA1",
                "I Didn't Mean To",
                "ARD7TVE1187B99BFB1",
                "Casual",
                None,
                None,
                None,
                None,
                218.93179,
            ),
            (
                "SOAAAAAAAAAAAAAAA2",
                "Soul Deep",
                "ARD7TVE1187B99BFB1",
                "Casual",
                "California - LA",
                None,
                None,
                1969,
                218.93179,
            ),
        ],
        T.StructType(schemas.STAGING_SONGS.fields[:-2]),
    )
    assert_df_equality(staged, expected, ignore_row_order=True, ignore_nullable=True)


def test_missing_source_folder_names_the_path_and_what_to_do(spark, tmp_path):
    (tmp_path / "song_data").mkdir()
    with pytest.raises(RawInputError, match=r"no raw events at .*log_data.*sparkify generate"):
        read_raw(spark, str(tmp_path), "events")


def test_a_source_without_any_file_stops_the_stage_job_with_the_folder_named(spark, tmp_path):
    from sparkify import pipeline
    from sparkify.local.runner import lake_locations, load_job
    from sparkify.local.session import register_local_catalog

    raw = tmp_path / "raw"
    (raw / "song_data").mkdir(parents=True)
    write_log(raw, "2018-11-01", [event()])
    stage = load_job(pipeline.step("stage"))
    register_local_catalog(spark, tmp_path / "lake")
    args = JobArgs(pipeline.step("stage"), lake_locations(raw, tmp_path / "lake"), "t")
    with pytest.raises(
        RawInputError, match=r"no readable files \(\.json, \.jsonl, .*\) under .*song_data: nothing to stage for songs"
    ):
        stage.run(spark, args)


RUN_TOGETHER = "trailing characters after the first JSON value (records run together, or a stray tail)"


def quarantine_of(spark, raw, source):
    tag = staging.tag_songs if source == "songs" else staging.tag_events
    tagged = tag(read_raw(spark, str(raw), source))
    return sorted((r["line"], r["record"], r["reason"]) for r in staging.quarantined(tagged, source).collect()), tagged


def test_two_records_run_together_are_quarantined_whole_not_staged_as_the_first(spark, tmp_path):
    # `cat a b > c` when a has no final newline: a's last record and b's first share a line.
    first = json.dumps(event(ts=1541106106796, itemInSession=1))
    second = '{"ts": 15431'
    write_log(
        tmp_path,
        "2018-11-01",
        [
            first + second,
            first.replace('"itemInSession": 1', '"itemInSession": 2') + "]",
            first.replace('"itemInSession": 1', '"itemInSession": 3') + '}, "x": 1',
            first.replace('"itemInSession": 1', '"itemInSession": 4') + " \t",  # trailing blanks are fine
        ],
    )
    got, tagged = quarantine_of(spark, tmp_path, "events")
    assert got == [
        (1, first + second, RUN_TOGETHER),
        (2, first.replace('"itemInSession": 1', '"itemInSession": 2') + "]", RUN_TOGETHER),
        (3, first.replace('"itemInSession": 1', '"itemInSession": 3') + '}, "x": 1', RUN_TOGETHER),
    ]
    assert [
        r["itemInSession"]
        for r in staging.staged_events(tagged).select(F.col("item_in_session").alias("itemInSession")).collect()
    ] == [4]


def test_brackets_inside_values_are_staged_and_a_bracket_tail_after_them_is_not(spark, tmp_path):
    # The tail check tokenizes a second time only where the text holds `]`: both kinds of text take that path.
    bracketed = event(ts=1541106106796, itemInSession=1, song="Live [Remastered] {2011}")
    tailed = json.dumps(event(ts=1541106106796, itemInSession=2, song="Live [Remastered]")) + "] x"
    write_log(tmp_path, "2018-11-01", [bracketed, tailed])
    got, tagged = quarantine_of(spark, tmp_path, "events")
    assert got == [(2, tailed, RUN_TOGETHER)]
    assert [r["song"] for r in staging.staged_events(tagged).collect()] == ["Live [Remastered] {2011}"]


def test_a_carriage_return_ends_a_line_only_before_a_line_feed(spark, tmp_path):
    # CRLF and LF lines read alike; a CR inside a line is no line break (JSON escapes it in strings).
    first, second = json.dumps(event(itemInSession=1)), json.dumps(event(itemInSession=2))
    path = write_log(tmp_path, "2018-11-01", [])
    path.write_bytes(f"{first}\r\n{second}\n\r\n{first[:-1]}\r}}\r\n".encode())
    got, tagged = quarantine_of(spark, tmp_path, "events")
    [(line, record, reason)] = got
    assert (line, record) == (4, first[:-1] + "\r}")
    assert reason.startswith("duplicate event (first seen in ") and reason.endswith(f"{path.name} line 1)")
    assert sorted(r["item_in_session"] for r in staging.staged_events(tagged).collect()) == [1, 2]


def test_a_byte_order_mark_is_stripped_from_log_and_song_files(spark, tmp_path):
    log = write_log(tmp_path, "2018-11-01", [event(itemInSession=1), event(itemInSession=2)])
    log.write_bytes(b"\xef\xbb\xbf" + log.read_bytes().replace(b"\n", b"\r\n"))  # Windows: BOM and CRLF
    path = write_song(tmp_path, "TRAAAAW128F429D538", song())
    path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes() + b"\r\n")
    events, tagged_events = quarantine_of(spark, tmp_path, "events")
    songs, tagged_songs = quarantine_of(spark, tmp_path, "songs")
    assert (events, songs) == ([], [])
    assert sorted(r["item_in_session"] for r in staging.staged_events(tagged_events).collect()) == [1, 2]
    assert [r["song_id"] for r in staging.staged_songs(tagged_songs).collect()] == ["SOMZWCG12A8C13C480"]


def test_a_song_file_holding_a_json_array_says_so(spark, tmp_path):
    text = json.dumps([song()])
    write_song(tmp_path, "TRAAAAW128F429D538", text)
    write_song(tmp_path, "TRAAABD128F429CF47", json.dumps(song(song_id="SOAAAAAAAAAAAAAAA2")) + json.dumps(song()))
    got, _ = quarantine_of(spark, tmp_path, "songs")
    assert got == [
        (1, text, "not a JSON object: a song file holds one JSON object, this one holds a JSON array"),
        (1, json.dumps(song(song_id="SOAAAAAAAAAAAAAAA2")) + json.dumps(song()), RUN_TOGETHER),
    ]


def test_values_that_are_no_object_and_single_quotes_are_named(spark, tmp_path):
    write_log(tmp_path, "2018-11-01", ["[1, 2]", '"text"', "42", "null", "{'ts': 1541106106796, 'page': 'Home'}"])
    got, _ = quarantine_of(spark, tmp_path, "events")
    assert got == [
        (1, "[1, 2]", "not a JSON object: the line holds a JSON array"),
        (2, '"text"', "not a JSON object: the line holds a JSON string"),
        (3, "42", "not a JSON object: the line holds a JSON number"),
        (4, "null", "not a JSON object: the line holds JSON null"),
        (5, "{'ts': 1541106106796, 'page': 'Home'}", "malformed JSON: invalid syntax"),
    ]


def test_a_song_jsonl_file_holds_one_song_per_line(spark, tmp_path):
    path = tmp_path / "song_data" / "A" / "A" / "A" / "batch.jsonl"
    path.parent.mkdir(parents=True)
    path.write_text(json.dumps(song()) + "\n" + json.dumps(song(song_id="SOAAAAAAAAAAAAAAA2")) + "\n[1]\n")
    files = spark.createDataFrame([(path.as_uri(), path.read_bytes())], "path string, content binary")
    tagged = staging.tag_songs(staging.records(files, "songs"))
    assert sorted((r["line"], r["song_id"], r[staging.REASON]) for r in tagged.collect()) == [
        (1, "SOMZWCG12A8C13C480", None),
        (2, "SOAAAAAAAAAAAAAAA2", None),
        (3, None, "not a JSON object: the line holds a JSON array"),
    ]


def test_values_that_do_not_fit_their_staged_type_are_null_not_an_error_under_ansi(spark):
    # itemInSession beyond int, registration beyond long: ANSI `cast` would fail the job.
    tagged_df = spark.createDataFrame(
        [(1541106106796, "8", 3_000_000_000, 1e30, 99_999_999_999)],
        "ts bigint, userId string, itemInSession bigint, registration double, status bigint",
    )
    for name in schemas.RAW_EVENT.fieldNames():
        if name not in tagged_df.columns:
            tagged_df = tagged_df.withColumn(name, F.lit(None).cast(schemas.RAW_EVENT[name].dataType))
    row = staging.staged_events(
        tagged_df.withColumn(staging.REASON, F.lit(None).cast("string"))
        .withColumn("source_file", F.lit("f"))
        .withColumn("line", F.lit(1))
    ).first()
    assert (row["user_id"], row["item_in_session"], row["registration"], row["status"]) == (8, None, None, None)


def test_a_repeated_key_is_one_that_two_records_judged_for_duplicates_share(spark, tmp_path):
    once, twice = event(itemInSession=1), event(itemInSession=2, ts=1541106106797)
    bad_copy = {**twice, "song": None}  # the same key, but quarantined (a play without its song): not judged
    write_log(tmp_path / "a", "2018-11-01", [once, twice, bad_copy])
    tagged = staging.tag_events(read_raw(spark, str(tmp_path / "a"), "events"), repeats=False)
    assert not staging.has_repeated_key(tagged, "events")

    write_log(tmp_path / "b", "2018-11-01", [once, twice, twice])
    tagged = staging.tag_events(read_raw(spark, str(tmp_path / "b"), "events"), repeats=False)
    assert staging.has_repeated_key(tagged, "events")
    # Without `repeats`, neither copy is tagged yet.
    assert [r for _, r in reasons(tagged)] == [None, None, None]

    # A copy found already staged is still judged: its twin in the batch is a repeat of the batch.
    staged_before = staging.staged_events(staging.tag_events(read_raw(spark, str(tmp_path / "a"), "events")))
    write_log(tmp_path / "c", "2018-11-02", [twice, twice])
    fresh = staging.tag_events(read_raw(spark, str(tmp_path / "c"), "events"), repeats=False)
    against = staging.tag_already_staged(fresh, staged_before, "events")
    assert [r.startswith("duplicate event (already staged from ") for _, r in reasons(against)] == [True, True]
    assert staging.has_repeated_key(against, "events")
