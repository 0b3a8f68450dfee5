"""Fault injection: every kind of bad input is staged correctly or quarantined with file, line and
reason; rows in = rows staged + rows quarantined; and the curated tables equal those of a clean run
on the good records alone."""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path

import pytest

from sparkify.local.runner import run_pipeline
from sparkify.synthetic.generate import generate
from tests.helpers import assert_same_tables, copy_raw

MALFORMED = '{"artist": "Gob", "auth": "Logged In", "page": "NextSong", "ts": 1541107000000'
EXPECTED_EVENT_REASONS = {
    "malformed JSON: incomplete or invalid syntax (cut short?)": 2,  # a cut line, and the truncated last line of a file
    'field sessionId: expected bigint, got string "abc"': 1,
    "missing required field song": 1,
    "ts out of range (epoch ms, 2000–2100): 1541107000": 1,
    "not valid UTF-8 text (unreadable encoding)": 1,
    "duplicate event": 1,
}


def kind(reason: str) -> str:
    """A reason without the where-first-seen detail of duplicates."""
    return re.sub(r" \((first seen in|already staged from) .*\)$", "", reason)


def lines(path: Path) -> list[str]:
    return path.read_text().splitlines()


@pytest.fixture(scope="module")
def raw_pair(tmp_path_factory):
    """(dirty raw folder with every fault, clean raw folder with only the good records, what was added)."""
    base = tmp_path_factory.mktemp("generated")
    generate(base, songs=20, events=300, seed=11, days=2)
    dirty = copy_raw(base, tmp_path_factory.mktemp("dirty"))
    clean = copy_raw(base, tmp_path_factory.mktemp("clean"))
    day1, day2 = sorted((dirty / "log_data").rglob("*.json"))
    good = json.loads(lines(day1)[0])
    play = next(json.loads(x) for x in lines(day1) if json.loads(x)["page"] == "NextSong")

    def variant(**changes):
        return json.dumps({**play, **changes, "itemInSession": 900 + len(changes)})

    extra_day = dirty / "log_data" / "2018" / "11" / "2018-11-03-events.json"
    extra_day.write_bytes(
        "\n".join(
            [
                MALFORMED,
                variant(sessionId="abc", ts=1541107000001),
                json.dumps({k: v for k, v in {**play, "ts": 1541107000002}.items() if k != "song"}),
                variant(ts=1541107000, userId="8"),
            ]
        ).encode()
        + b"\n"
        + json.dumps({**play, "ts": 1541107000003, "song": "Caf\u00e9"}).encode().replace(b"\\u00e9", b"\xe9")
        + b"\n"
    )
    # The same event delivered twice, in another file.
    (dirty / "log_data" / "2018" / "11" / "2018-11-04-events.json").write_text(json.dumps(good) + "\n")
    # A file cut off in the middle of its last record; the clean copy simply lacks that record.
    day2_lines = lines(day2)
    day2.write_text("\n".join([*day2_lines[:-1], day2_lines[-1][: len(day2_lines[-1]) // 2]]))
    clean_day2 = clean / day2.relative_to(dirty)
    clean_day2.write_text("\n".join(day2_lines[:-1]))
    # An unknown extra field is processed like any record (and reported as schema drift).
    day1_lines = lines(day1)
    day1_lines[1] = json.dumps({**json.loads(day1_lines[1]), "device": "iPhone"})
    day1.write_text("\n".join(day1_lines))
    # An empty song file, and a song file delivered twice under another track id.
    songs = sorted((dirty / "song_data").rglob("*.json"))
    (songs[0].parent / "TRAAAAA000EMPTY00.json").write_text("")
    twin = dirty / "song_data" / "A" / "Z" / "Z" / "TRAZZZZ12903ABCDEF.json"
    twin.parent.mkdir(parents=True)
    twin.write_text(songs[1].read_text())
    return dirty, clean


@pytest.fixture(scope="module")
def dirty_run(spark, raw_pair, tmp_path_factory):
    dirty, _ = raw_pair
    lake = tmp_path_factory.mktemp("dirty-lake")
    return run_pipeline(dirty, lake), lake


def test_every_fault_is_quarantined_with_its_reason_and_nothing_is_lost(spark, dirty_run, raw_pair):
    report, lake = dirty_run
    _dirty, clean = raw_pair
    events = spark.read.parquet(str(lake / "quarantine" / "events")).collect()
    reasons = Counter(kind(r["reason"]) for r in events)
    assert reasons == EXPECTED_EVENT_REASONS
    assert all(r["source_file"] and r["line"] >= 1 and r["record"] for r in events)
    by_reason = {kind(r["reason"]): r for r in events}
    assert by_reason["malformed JSON: incomplete or invalid syntax (cut short?)"]["source_file"].endswith(".json")
    assert by_reason["ts out of range (epoch ms, 2000–2100): 1541107000"]["line"] == 4
    assert by_reason["duplicate event"]["source_file"].endswith("2018-11-04-events.json")
    songs = spark.read.parquet(str(lake / "quarantine" / "songs")).collect()
    assert [kind(r["reason"]) for r in songs] == ["duplicate song_id"]
    assert songs[0]["source_file"].endswith("TRAZZZZ12903ABCDEF.json")

    clean_events = sum(len(lines(p)) for p in (clean / "log_data").rglob("*.json"))
    clean_songs = len(list((clean / "song_data").rglob("*.json")))
    ev, so = report["sources"]["events"], report["sources"]["songs"]
    assert (ev["read"], ev["staged"], ev["quarantined"]) == (clean_events + 7, clean_events, 7)
    assert (so["read"], so["staged"], so["quarantined"]) == (clean_songs + 1, clean_songs, 1)
    # The twin and the empty file are read too (the empty one holds no record: nothing to stage or quarantine).
    assert so["files"] == so["files_seen"] == clean_songs + 2
    assert so["file_classes"] == {"new": clean_songs + 2, "changed": 0, "unchanged": 0, "deleted": 0, "unsupported": 0}
    assert ev["unknown_fields"] == {"device": 1}
    assert report["status"] == "succeeded", report["steps"]


def test_curated_tables_equal_a_clean_run_on_the_good_records(spark, dirty_run, raw_pair, tmp_path):
    _, clean = raw_pair
    _, dirty_lake = dirty_run
    clean_report = run_pipeline(clean, tmp_path / "clean-lake")
    assert clean_report["sources"]["events"]["quarantined"] == 0
    assert_same_tables(spark, dirty_lake, tmp_path / "clean-lake")
