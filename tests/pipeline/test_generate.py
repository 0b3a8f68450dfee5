"""The synthetic raw data looks like the real Sparkify sample: layout, bytes, types, traps and counts.

Every property is checked by reading the written files back, never by trusting the returned summary.
"""

from __future__ import annotations

import itertools
import json
import re
from collections import defaultdict
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest

from sparkify.synthetic.generate import EVENT_KEYS, SONG_KEYS, GenerateSummary, generate
from tests.helpers import SHARED_SAMPLE

Record = dict[str, Any]

SONG_PATH = re.compile(r"song_data/([A-Z])/([A-Z])/([A-Z])/TR\1\2\3[A-Z0-9]{13}\.json")
LOG_PATH = re.compile(r"log_data/(\d{4})/(\d{2})/(\1-\2-\d{2})-events\.json")

# Written by hand from the real files, not from the generator.
SONG_TYPES: dict[str, tuple[type, ...]] = {
    "num_songs": (int,),
    "artist_id": (str,),
    "artist_latitude": (float, type(None)),
    "artist_longitude": (float, type(None)),
    "artist_location": (str,),
    "artist_name": (str,),
    "song_id": (str,),
    "title": (str,),
    "duration": (float,),
    "year": (int,),
}
EVENT_TYPES: dict[str, tuple[type, ...]] = {
    "artist": (str, type(None)),
    "auth": (str,),
    "firstName": (str, type(None)),
    "gender": (str, type(None)),
    "itemInSession": (int,),
    "lastName": (str, type(None)),
    "length": (float, type(None)),
    "level": (str,),
    "location": (str, type(None)),
    "method": (str,),
    "page": (str,),
    "registration": (float, type(None)),
    "sessionId": (int,),
    "song": (str, type(None)),
    "status": (int,),
    "ts": (int,),
    "userAgent": (str, type(None)),
    "userId": (str,),
}
USER_FIELDS = ("firstName", "gender", "lastName", "location", "registration", "userAgent")
METHOD_STATUS = {  # page → (method, status) as eventsim serves them
    "NextSong": ("PUT", 200),
    "Home": ("GET", 200),
    "Login": ("PUT", 307),
    "Logout": ("PUT", 307),
    "Settings": ("GET", 200),
    "Save Settings": ("PUT", 307),
    "Help": ("GET", 200),
    "About": ("GET", 200),
    "Upgrade": ("GET", 200),
    "Submit Upgrade": ("PUT", 307),
    "Downgrade": ("GET", 200),
    "Submit Downgrade": ("PUT", 307),
    "Error": ("GET", 404),
    "Cancel": ("PUT", 307),
    "Cancellation Confirmation": ("GET", 200),
    "Register": ("GET", 200),
    "Submit Registration": ("PUT", 307),
}


def files(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def read_songs(root: Path) -> list[Record]:
    return [json.loads(p.read_bytes()) for p in sorted((root / "song_data").rglob("*.json"))]


def read_events(root: Path) -> list[Record]:
    return [
        json.loads(line)
        for p in sorted((root / "log_data").rglob("*.json"))
        for line in p.read_text(encoding="ascii").split("\n")
        if line
    ]


def user_histories(events: list[Record]) -> dict[str, list[Record]]:
    by_user: dict[str, list[Record]] = defaultdict(list)
    for e in events:
        if e["userId"]:
            by_user[e["userId"]].append(e)
    for history in by_user.values():
        history.sort(key=lambda e: (e["ts"], e["sessionId"], e["itemInSession"]))
    return by_user


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, GenerateSummary]:
    out = tmp_path_factory.mktemp("raw")
    return out, generate(out, songs=150, events=4000, seed=7)


@pytest.fixture(scope="module")
def songs(generated: tuple[Path, GenerateSummary]) -> list[Record]:
    return read_songs(generated[0])


@pytest.fixture(scope="module")
def events(generated: tuple[Path, GenerateSummary]) -> list[Record]:
    return read_events(generated[0])


def test_layout_matches_the_raw_prefixes(generated: tuple[Path, GenerateSummary]) -> None:
    out, _ = generated
    paths = list(files(out))
    song_paths = [p for p in paths if p.startswith("song_data/")]
    log_paths = [p for p in paths if p.startswith("log_data/")]
    assert len(song_paths) == 150
    assert len(song_paths) + len(log_paths) == len(paths), "only the two raw prefixes are written"
    assert [p for p in song_paths if not SONG_PATH.fullmatch(p)] == []
    assert len({p.rsplit("/", 1)[0] for p in song_paths}) > 10, "track ids spread over many folders"
    days = []
    for p in log_paths:
        m = LOG_PATH.fullmatch(p)
        assert m, f"{p} is not log_data/YYYY/MM/YYYY-MM-DD-events.json"
        days.append(date.fromisoformat(m.group(3)))
    assert min(days) >= date(2018, 11, 1) and max(days) <= date(2018, 11, 30)
    assert len(days) >= 25, "a month of traffic has events on (nearly) every day"


def test_song_files_are_one_raw_object_each(generated: tuple[Path, GenerateSummary]) -> None:
    out, _ = generated
    for path in sorted((out / "song_data").rglob("*.json")):
        raw = path.read_bytes()
        record = json.loads(raw)
        assert list(record) == list(SONG_KEYS), path
        assert raw == json.dumps(record).encode("ascii"), f"{path}: not in the real files' byte style"
        for key, value in record.items():
            assert type(value) in SONG_TYPES[key], f"{path}: {key}={value!r}"
        assert record["num_songs"] == 1
        assert re.fullmatch(r"AR[A-Z0-9]{16}", record["artist_id"]), path
        assert re.fullmatch(r"SO[A-Z0-9]{16}", record["song_id"]), path
        assert record["artist_name"] and record["title"], path
        assert 0 < record["duration"] < 3600, path
        assert record["year"] == 0 or 1900 <= record["year"] <= 2018, path
        assert (record["artist_latitude"] is None) == (record["artist_longitude"] is None), path


def test_log_lines_have_the_real_keys_types_and_bytes(generated: tuple[Path, GenerateSummary]) -> None:
    out, _ = generated
    for path in sorted((out / "log_data").rglob("*.json")):
        text = path.read_text(encoding="ascii")
        assert not text.endswith("\n"), f"{path}: the real files have no trailing newline"
        day = date.fromisoformat(path.name[:10])
        previous_ts = 0
        for n, line in enumerate(text.split("\n"), 1):
            record = json.loads(line)
            where = f"{path.name}:{n}"
            assert list(record) == list(EVENT_KEYS), where
            assert line == json.dumps(record, separators=(",", ":")).replace("/", "\\/"), where
            for key, value in record.items():
                assert type(value) in EVENT_TYPES[key], f"{where}: {key}={value!r}"
            assert (record["method"], record["status"]) == METHOD_STATUS[record["page"]], where
            assert record["level"] in ("free", "paid"), where
            assert datetime.fromtimestamp(record["ts"] / 1000, UTC).date() == day, where
            assert record["ts"] >= previous_ts, f"{where}: lines are in ts order"
            previous_ts = record["ts"]


def test_events_count_is_exact(tmp_path: Path) -> None:
    for n in (0, 1, 7, 499, 1234):
        out = tmp_path / str(n)
        generate(out, songs=5, events=n, seed=n)
        assert len(read_events(out)) == n
    assert list((tmp_path / "0" / "log_data").rglob("*.json")) == []


def test_same_seed_same_bytes_other_seed_other_bytes(tmp_path: Path) -> None:
    generate(tmp_path / "a", songs=40, events=800, seed=3)
    generate(tmp_path / "b", songs=40, events=800, seed=3)
    generate(tmp_path / "c", songs=40, events=800, seed=4)
    a, b, c = files(tmp_path / "a"), files(tmp_path / "b"), files(tmp_path / "c")
    assert a == b
    assert set(a) != set(c)
    assert [v for k, v in sorted(a.items()) if k.startswith("log_data/")] != [
        v for k, v in sorted(c.items()) if k.startswith("log_data/")
    ]


def test_a_share_of_next_song_events_matches_a_song(
    songs: list[Record], events: list[Record], generated: tuple[Path, GenerateSummary]
) -> None:
    catalog = {(s["title"], s["artist_name"], s["duration"]) for s in songs}
    plays = [e for e in events if e["page"] == "NextSong"]
    assert all(e["song"] and e["artist"] and isinstance(e["length"], float) for e in plays)
    matched = sum((e["song"], e["artist"], e["length"]) in catalog for e in plays)
    assert 0.24 <= matched / len(plays) <= 0.36, f"{matched} of {len(plays)} plays match a song"
    assert generated[1].matched_events == matched
    assert generated[1].next_song_events == len(plays)
    # Non-matching plays include catalog artists with songs the catalog lacks.
    artists = {s["artist_name"] for s in songs}
    assert any(e["artist"] in artists and (e["song"], e["artist"], e["length"]) not in catalog for e in plays)


def test_match_share_is_configurable(tmp_path: Path) -> None:
    generate(tmp_path / "none", songs=30, events=600, match_share=0.0)
    generate(tmp_path / "all", songs=30, events=600, match_share=1.0)
    for name, expected in (("none", 0.0), ("all", 1.0)):
        catalog = {(s["title"], s["artist_name"], s["duration"]) for s in read_songs(tmp_path / name)}
        plays = [e for e in read_events(tmp_path / name) if e["page"] == "NextSong"]
        assert plays
        share = sum((e["song"], e["artist"], e["length"]) in catalog for e in plays) / len(plays)
        assert share == expected, name


def test_most_events_are_next_song(events: list[Record]) -> None:
    share = sum(e["page"] == "NextSong" for e in events) / len(events)
    assert 0.75 <= share <= 0.88


def test_level_changes_within_the_period_after_a_submit(
    events: list[Record], generated: tuple[Path, GenerateSummary]
) -> None:
    changed = 0
    for user_id, history in user_histories(events).items():
        levels = [e["level"] for e in history]
        changed += len(set(levels)) == 2
        for before, after in itertools.pairwise(history):
            if before["level"] != after["level"]:
                assert before["page"] in ("Submit Upgrade", "Submit Downgrade"), f"user {user_id}"
                assert before["level"] == ("free" if before["page"] == "Submit Upgrade" else "paid")
    assert changed >= 1
    assert generated[1].level_changed_users == changed


def test_logged_out_and_guest_events_carry_no_user(events: list[Record]) -> None:
    anonymous = [e for e in events if e["auth"] in ("Logged Out", "Guest")]
    assert any(e["auth"] == "Logged Out" for e in anonymous)
    for e in anonymous:
        assert e["userId"] == ""
        assert all(e[k] is None for k in USER_FIELDS), e
    for e in events:
        if e["auth"] in ("Logged In", "Cancelled"):
            assert e["userId"].isdigit() and isinstance(e["registration"], float), e
            assert e["gender"] in ("M", "F"), e


def test_users_are_stable_and_sessions_ordered(events: list[Record], generated: tuple[Path, GenerateSummary]) -> None:
    histories = user_histories(events)
    assert generated[1].users == len(histories)
    for user_id, history in histories.items():
        assert len({tuple(e[k] for k in USER_FIELDS) for e in history}) == 1, f"user {user_id}"
        # A user's sessions never overlap: in time order, their session ids only grow.
        session_ids = [e["sessionId"] for e in history]
        assert session_ids == sorted(session_ids), f"user {user_id} has overlapping sessions"
    sessions: dict[int, list[Record]] = defaultdict(list)
    for e in events:
        sessions[e["sessionId"]].append(e)
    for session_id, session in sessions.items():
        session.sort(key=lambda e: e["itemInSession"])
        assert [e["itemInSession"] for e in session] == list(range(len(session))), session_id
        assert [e["ts"] for e in session] == sorted(e["ts"] for e in session), session_id
        assert len({e["ts"] // 86_400_000 for e in session}) == 1, f"session {session_id} crosses midnight"
        assert len({e["userId"] for e in session} - {""}) <= 1, session_id


def test_song_traps_are_present(songs: list[Record]) -> None:
    names: dict[str, set[str]] = defaultdict(set)
    for s in songs:
        names[s["artist_id"]].add(s["artist_name"])
    assert any(len(v) == 2 for v in names.values()), "an artist id under two spellings"
    assert len(names) < len(songs), "several songs per artist"
    assert any(s["year"] == 0 for s in songs)
    assert any(s["artist_latitude"] is None for s in songs)
    assert any(s["artist_latitude"] is not None for s in songs)
    assert any(s["artist_location"] == "" for s in songs)


def test_refuses_a_non_empty_folder_unless_forced(tmp_path: Path) -> None:
    out = tmp_path / "raw"
    out.mkdir()
    (out / "notes.txt").write_text("keep me")
    with pytest.raises(FileExistsError, match=re.escape(str(out))):
        generate(out, songs=3, events=10)
    generate(out, songs=3, events=10, force=True)
    (out / "log_data" / "stale.json").write_text("{}")
    generate(out, songs=2, events=5, force=True)
    assert (out / "notes.txt").read_text() == "keep me"
    assert not (out / "log_data" / "stale.json").exists()
    assert len(list((out / "song_data").rglob("*.json"))) == 2


@pytest.mark.parametrize(
    ("kwargs", "name"),
    [
        ({"songs": 0}, "songs"),
        ({"events": -1}, "events"),
        ({"days": 0}, "days"),
        ({"match_share": 1.5}, "match_share"),
    ],
)
def test_refuses_bad_sizes(tmp_path: Path, kwargs: dict[str, Any], name: str) -> None:
    with pytest.raises(ValueError, match=name):
        generate(tmp_path / "raw", **kwargs)
    assert not (tmp_path / "raw").exists(), "nothing is written before the arguments are checked"


def _type_signature(records: list[Record]) -> tuple[list[str], dict[str, set[str]]]:
    keys = list(records[0])
    types: dict[str, set[str]] = defaultdict(set)
    for r in records:
        assert list(r) == keys
        for k, v in r.items():
            types[k].add(type(v).__name__)
    return keys, dict(types)


@pytest.mark.acceptance
def test_records_look_like_the_real_sample(songs: list[Record], events: list[Record]) -> None:
    if not SHARED_SAMPLE.is_dir():
        pytest.skip(f"../shared/data/sparkify-sample not found: {SHARED_SAMPLE} is absent in this checkout")
    real_songs = read_songs(SHARED_SAMPLE)
    real_events = read_events(SHARED_SAMPLE)
    assert _type_signature(songs) == _type_signature(real_songs)
    assert _type_signature(events) == _type_signature(real_events)
    # The byte-style rules the generator is held to are the real files' own.
    for path in sorted((SHARED_SAMPLE / "song_data").rglob("*.json")):
        assert path.read_bytes() == json.dumps(json.loads(path.read_bytes())).encode("ascii"), path
        assert SONG_PATH.fullmatch(path.relative_to(SHARED_SAMPLE).as_posix()), path
    for path in sorted((SHARED_SAMPLE / "log_data").rglob("*.json")):
        assert LOG_PATH.fullmatch(path.relative_to(SHARED_SAMPLE).as_posix()), path
        for line in path.read_text(encoding="ascii").split("\n"):
            assert line == json.dumps(json.loads(line), separators=(",", ":")).replace("/", "\\/"), path
