"""Property-based test of the record parser: whatever a log line holds, the record is either staged
with exactly its values or quarantined with a reason; none is lost or invented."""

from __future__ import annotations

import json

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from sparkify import schemas
from sparkify.transforms import staging

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
WRONG = st.one_of(st.text(min_size=1, max_size=5).filter(lambda s: not s.strip().lstrip("-").isdigit()), st.lists(st.integers(), max_size=2))

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
    files = spark.createDataFrame([("file:/raw/log_data/day.json", "\n".join(lines).encode())], "path string, content binary")
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
