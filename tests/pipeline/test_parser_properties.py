"""Property-based test of the record parser: whatever a log line holds, the record is either staged
with exactly its values or quarantined with a reason; none is lost or invented."""

from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from sparkify import schemas
from sparkify.transforms import staging

pytestmark = pytest.mark.slow  # dozens of generated inputs, each parsed on Spark: about 30 s

FIELD_VALUES = {
    "artist": st.one_of(st.none(), st.text(max_size=12)),
    "auth": st.sampled_from(["Logged In", "Logged Out", "Guest", "Cancelled"]),
    "firstName": st.one_of(st.none(), st.text(max_size=8)),
    "gender": st.one_of(st.none(), st.sampled_from(["F", "M"])),
    "itemInSession": st.integers(0, 500),
    "lastName": st.one_of(st.none(), st.text(max_size=8)),
    "length": st.one_of(st.none(), st.floats(1, 3000, allow_nan=False)),
    "level": st.sampled_from(["free", "paid"]),
    "location": st.one_of(st.none(), st.text(max_size=12)),
    "method": st.sampled_from(["GET", "PUT"]),
    "page": st.sampled_from(["NextSong", "Home", "Logout"]),
    "registration": st.one_of(st.none(), st.floats(1.5e12, 1.6e12)),
    "sessionId": st.integers(1, 10_000),
    "song": st.one_of(st.none(), st.text(max_size=12)),
    "status": st.sampled_from([200, 307, 404]),
    "ts": st.integers(1_541_000_000_000, 1_544_000_000_000),
    "userAgent": st.one_of(st.none(), st.text(max_size=12)),
    "userId": st.one_of(st.just(""), st.integers(1, 300).map(str)),
}
# Values of the wrong type for a field, as producers get them wrong.
WRONG = st.one_of(
    st.text(min_size=1, max_size=5).filter(lambda s: not s.strip().lstrip("-").isdigit()),
    st.lists(st.integers(), max_size=2),
)

event = st.fixed_dictionaries({}, optional=FIELD_VALUES)
broken_event = st.tuples(event, st.sampled_from(["itemInSession", "length", "sessionId", "ts", "status"]), WRONG).map(
    lambda t: {**t[0], t[1]: t[2]}
)
line = st.one_of(
    event.map(json.dumps),
    broken_event.map(json.dumps),
    st.text(max_size=30).filter(lambda s: "\n" not in s and "\r" not in s),
)


@example(lines=["\x0c"]).via("a form feed is not JSON whitespace: quarantined, not skipped")
@example(lines=["\t ", "{}"]).via("a line of tabs and spaces is blank")
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(line, min_size=1, max_size=12))
def test_every_line_is_staged_as_written_or_quarantined_with_a_reason(spark, lines):
    files = spark.createDataFrame(
        [("file:/raw/log_data/day.json", "\n".join(lines).encode())], "path string, content binary"
    )
    tagged = staging.tag_events(staging.records(files, "events")).collect()

    # Blank as JSON defines whitespace; Python's str.strip() would also strip form feeds and the like.
    nonblank = [(n, text) for n, text in enumerate(lines, start=1) if text.strip(" \t\r")]
    assert sorted(r[staging.LINE] for r in tagged) == [n for n, _ in nonblank]
    for row in tagged:
        text = lines[row[staging.LINE] - 1]
        if row[staging.REASON] is not None:
            assert row[staging.REASON].strip()
            continue
        record = json.loads(text)  # a staged record is valid JSON …
        assert isinstance(record, dict)
        for field in schemas.RAW_EVENT.fieldNames():  # … whose values arrive unchanged
            expected = record.get(field)
            if isinstance(expected, int) and field in ("length", "registration"):
                expected = float(expected)
            assert row[field] == expected, (field, text)
        assert record.get("ts") is not None and record.get("page") is not None
        if record.get("page") == "NextSong":
            assert record.get("userId"), "a staged play has a user"


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.tuples(event, st.sampled_from(["itemInSession", "length", "sessionId", "ts", "status"]), WRONG))
def test_a_value_of_the_wrong_type_is_named_with_its_field_type_and_json_type(spark, case):
    record, field, value = case
    text = json.dumps({**record, field: value})
    files = spark.createDataFrame([("file:/raw/log_data/day.json", text.encode())], "path string, content binary")
    (row,) = staging.tag_events(staging.records(files, "events")).collect()

    expected = schemas.RAW_EVENT[field].dataType.simpleString()
    # Unquoted, a string holding a number would read like the number: the JSON type is named too.
    shown = f'string "{value[:80]}"' if isinstance(value, str) else "array " + json.dumps(value, separators=(",", ":"))
    assert row[staging.REASON] == f"field {field}: expected {expected}, got {shown}", text


# --- byte-level damage ------------------------------------------------------------------------------------
# Files as they arrive broken: cut off, run together (`cat a b` without a final newline), re-encoded,
# with byte-order marks and Windows line ends. Python's strict `json.loads` is the independent oracle.

BOM = b"\xef\xbb\xbf"


def _cut(data: bytes, at: int) -> bytes:
    return data[: at % (len(data) + 1)]


def _join_two_lines(data: bytes, at: int) -> bytes:
    breaks = [i for i, b in enumerate(data) if b == 0x0A]
    if not breaks:
        return data
    i = breaks[at % len(breaks)]
    return data[:i] + data[i + 1 :]


def _latin1(data: bytes, at: int) -> bytes:
    return data.decode("utf-8", errors="surrogateescape").encode("latin-1", errors="replace")


def _bom(data: bytes, at: int) -> bytes:
    return BOM + data


def _bom_mid_file(data: bytes, at: int) -> bytes:
    # `cat a b` where b starts with a BOM: it lands at the start of a line, or inside one.
    i = at % (len(data) + 1)
    return data[:i] + BOM + data[i:]


def _crlf(data: bytes, at: int) -> bytes:
    return data.replace(b"\n", b"\r\n")


def _flip_byte(data: bytes, at: int) -> bytes:
    if not data:
        return data
    i = at % len(data)
    return data[:i] + bytes([data[i] ^ 0x80]) + data[i + 1 :]


DAMAGE = st.sampled_from([_cut, _join_two_lines, _latin1, _bom, _bom_mid_file, _crlf, _flip_byte])
good_event = st.fixed_dictionaries(
    {
        name: FIELD_VALUES[name]
        for name in ("ts", "page", "userId", "sessionId", "itemInSession", "level", "song", "artist", "length")
    }
)


def oracle(line: bytes) -> dict | None:
    """The record a line holds by the JSON standard, or None when it holds no single JSON object."""
    try:
        text = line.decode("utf-8")
    except UnicodeDecodeError:
        return None
    text = text.removeprefix("\ufeff").removesuffix("\r")
    try:
        value = json.loads(text)  # raises on anything after the first value ("Extra data")
    except ValueError:
        return None
    return value if isinstance(value, dict) else None


@example(events=[{"ts": 1541106106796, "page": "Home"}] * 2, damage=[(_join_two_lines, 0)]).via("records run together")
@example(events=[{"ts": 1541106106796, "page": "Home"}], damage=[(_bom, 0), (_crlf, 0)]).via("BOM and CRLF")
@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(good_event, min_size=1, max_size=6), st.lists(st.tuples(DAMAGE, st.integers(0, 10_000)), max_size=3))
def test_damaged_bytes_never_lose_or_alter_a_record(spark, events, damage):
    data = b"".join(json.dumps(e).encode() + b"\n" for e in events)
    for fn, at in damage:
        data = fn(data, at)
    files = spark.createDataFrame([("file:/raw/log_data/day.json", data)], "path string, content binary")
    tagged = staging.tag_events(staging.records(files, "events")).collect()

    lines = data.split(b"\n")
    nonblank = [n for n, line in enumerate(lines, start=1) if line.strip(b" \t\r")]
    # read = staged + quarantined: every non-blank line is exactly one record, each staged or quarantined.
    assert sorted(r[staging.LINE] for r in tagged) == nonblank
    for row in tagged:
        record = oracle(lines[row[staging.LINE] - 1])
        if row[staging.REASON] is not None:
            assert row[staging.REASON].strip()
            continue
        assert record is not None, (
            f"staged, but line {row[staging.LINE]} holds no single JSON object: {lines[row[staging.LINE] - 1]!r}"
        )
        for field in schemas.RAW_EVENT.fieldNames():  # no staged record differs from its source line
            expected = record.get(field)
            if isinstance(expected, int) and field in ("length", "registration"):
                expected = float(expected)
            assert row[field] == expected, (field, lines[row[staging.LINE] - 1])
