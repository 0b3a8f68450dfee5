"""Staging: raw files → records → typed, renamed rows, each bad record tagged with why it is bad.

`split_records` turns raw files (path + bytes, as Spark's binaryFile source gives them, already
decompressed) into one row per record with its file and line number; `parse_records` parses each with
the declared raw schema, keeping the text of records that are not valid JSON or whose values do not
fit their types, and checks that the text holds exactly one JSON value (Spark's JSON reader stops
after the first value and ignores the rest, so `{…}{"ts": 15` would otherwise be staged as its first
half). Each `tag_*` function then adds `quarantine_reason` (null for good records), so one pass decides
every record's fate and rows in = rows staged + rows quarantined by construction.

Every cast is a `try_cast`: under ANSI SQL (on by default in Glue 6.0) a `cast` of a bad value raises
and fails the job, where a record should be quarantined instead.
"""

from __future__ import annotations

import re

from pyspark.sql import Column, DataFrame, Window
from pyspark.sql import functions as F
from pyspark.sql import types as T

from sparkify import schemas
from sparkify.transforms.common import blank_to_null, first_reason, require_columns

CORRUPT = "_corrupt_record"
SOURCE_FILE = "source_file"
LINE = "line"
TEXT = "text"
FIELDS = "_unknown_fields"  # keys of the record's JSON object that the raw schema does not know
ONE_VALUE = "_one_json_value"  # the text holds exactly one JSON value and nothing after it
REASON = "quarantine_reason"
HASH = "content_hash"

# Strict JSON: Spark would otherwise accept 'single-quoted' names and strings, which are not JSON.
# No limit of Jackson's on a string value's length (20 MB by default: a longer one read as invalid
# syntax). A record is bounded by what a task holds, as every line is.
JSON_OPTIONS = {"allowSingleQuotes": "false", "maxStringLen": str(2**31 - 1)}
BOM = "\ufeff"
# JSON whitespace (RFC 8259): space, tab, line feed, carriage return. Nothing else is blank.
_WS = "[ \\t\\r\\n]"

# Events must fall in a plausible window: Sparkify did not exist before 2000, and a far-future
# timestamp is a unit error (seconds or microseconds instead of milliseconds).
MIN_TS_MS = 946_684_800_000  # 2000-01-01T00:00:00Z
MAX_TS_MS = 4_102_444_800_000  # 2100-01-01T00:00:00Z

SONG_REQUIRED = ("song_id", "title", "artist_id", "artist_name", "duration")
EVENT_REQUIRED = ("ts", "page")
NEXT_SONG_REQUIRED = ("userId", "sessionId", "itemInSession", "level", "song", "artist", "length")


def try_cast(sql: str, to: str) -> Column:
    """`try_cast(<sql> AS <to>)`: null where the value does not fit, under ANSI mode or not. PySpark 3.5
    has no `Column.try_cast`, so the column is given as SQL."""
    return F.expr(f"try_cast({sql} AS {to})")


def _blank_to_null_sql(name: str) -> str:
    return f"CASE WHEN trim(`{name}`) = '' THEN NULL ELSE `{name}` END"


def _without_first(text: Column, char: str) -> Column:
    return F.when(text.startswith(char), text.substr(F.lit(2), F.length(text))).otherwise(text)


def _without_last(text: Column, char: str) -> Column:
    return F.when(text.endswith(char), text.substr(F.lit(1), F.length(text) - 1)).otherwise(text)


def _strip_bom(text: Column) -> Column:
    """Editors on Windows start UTF-8 files with a byte-order mark; it is no part of the JSON. `cat a b`
    puts b's mark at the start of a line, so every line start loses it."""
    return _without_first(text, BOM)


def split_records(files_df: DataFrame, one_record_per_file: bool | Column) -> DataFrame:
    """Raw files (`path`, `content` bytes) → one row per record: `source_file`, `line` (1-based), `text`.

    A file holds either one JSON value (song `.json` files; line 1, may span lines) or JSON lines
    (log files and `.jsonl`); `one_record_per_file` says which, for all files or per file as a boolean
    column. Blank lines are not records (blank as JSON defines whitespace: spaces, tabs, CR, LF; a
    form feed is not blank, so it is quarantined as malformed). A byte-order mark is stripped; bytes
    that are not valid UTF-8 decode to U+FFFD, which `tag_*` quarantines.
    """
    require_columns(files_df, ["path", "content"], "split_records")
    whole = one_record_per_file if isinstance(one_record_per_file, Column) else F.lit(one_record_per_file)
    text = F.decode(F.col("content"), "UTF-8")
    # Split on LF, then drop each line's CR: a one-character split skips the regular-expression engine
    # that `\r?\n` needs (measured: 3 s of a million lines' 7 s split).
    lines = F.when(whole, F.array(F.regexp_replace(text, f"^{_WS}+|{_WS}+$", ""))).otherwise(F.split(text, "\n"))
    # A file's `content_hash`, when given, rides on its first line only: per-file facts at no per-record cost.
    carried = [F.when(F.col("_pos") == 0, F.col(HASH)).alias(HASH)] if HASH in files_df.columns else []
    records = files_df.select(
        F.col("path").alias(SOURCE_FILE), F.posexplode(lines).alias("_pos", TEXT), *([HASH] if carried else [])
    ).select(SOURCE_FILE, (F.col("_pos") + 1).alias(LINE), _clean_line(F.col(TEXT)).alias(TEXT), *carried)
    return _without_blank(records)


def line_records(lines_df: DataFrame) -> DataFrame:
    """Lines of JSON-lines files read in blocks (`path`, `line`, `content`: the line's bytes, as
    `sparkify.lake.io.read_raw_lines` gives them) → records as `split_records` makes them from whole files,
    with no `content_hash`."""
    require_columns(lines_df, ["path", LINE, "content"], "line_records")
    records = lines_df.select(
        F.col("path").alias(SOURCE_FILE),
        F.col(LINE).cast("int").alias(LINE),
        _clean_line(F.decode(F.col("content"), "UTF-8")).alias(TEXT),
        F.lit(None).cast("string").alias(HASH),  # hashed apart (`sparkify.lake.io.stream_hashes`)
    )
    return _without_blank(records)


def _clean_line(text: Column) -> Column:
    """A line's text without its final CR and a leading byte-order mark."""
    return _strip_bom(_without_last(text, "\r"))


def _without_blank(records: DataFrame) -> DataFrame:
    return records.filter(~F.col(TEXT).rlike(f"^{_WS}*$"))


def one_json_value(text: str) -> Column:
    """True when column `text` is exactly one JSON value with nothing but whitespace after it.

    Spark's JSON functions read the first value and ignore what follows, so each wrapping alone lets
    one kind of tail through: `[text]` with one element lets `…]tail` through, `{"v": text}` with one
    key lets `…}tail` through. A tail that passes both would have to start with `]` and with `}`: none
    can, so together the two are exact. Both only tokenize (no values are built).
    """
    as_array = F.expr(f"json_array_length(concat('[', `{text}`, ']'))")
    as_member = F.expr(f"size(json_object_keys(concat('{{\"v\":', `{text}`, '}}')))")
    # Only a text holding `]` can have a tail that starts with one: the second tokenizing is for those
    # (rare in these records; it cost 2 s a million lines when run on all).
    return F.coalesce((as_array == 1) & (~F.col(text).contains("]") | (as_member == 1)), F.lit(False))


def parse_records(records_df: DataFrame, raw_schema: T.StructType) -> DataFrame:
    """Parse each record's text with the raw schema; unparseable text and wrong types keep the text in
    `_corrupt_record`."""
    require_columns(records_df, [SOURCE_FILE, LINE, TEXT], "parse_records")
    schema = T.StructType([*raw_schema.fields, T.StructField(CORRUPT, T.StringType())])
    parsed = F.from_json(TEXT, schema, {"mode": "PERMISSIVE", "columnNameOfCorruptRecord": CORRUPT, **JSON_OPTIONS})
    # Top-level keys the schema does not know (schema drift); null when the text is no JSON object.
    known = F.array(*[F.lit(name) for name in raw_schema.fieldNames()])
    keys = F.array_except(F.json_object_keys(TEXT), known)
    carried = [HASH] if HASH in records_df.columns else []
    return records_df.select(
        SOURCE_FILE,
        LINE,
        TEXT,
        parsed.alias("_parsed"),
        keys.alias(FIELDS),
        one_json_value(TEXT).alias(ONE_VALUE),
        *carried,
    ).select(SOURCE_FILE, LINE, TEXT, "_parsed.*", FIELDS, ONE_VALUE, *carried)


# JSON-lines files: a song file named `.jsonl` holds one song per line.
_JSON_LINES = r"\.jsonl(\.gz|\.bz2)?$"


def is_json_lines(source: str, path: str) -> bool:
    """Log files are JSON lines whatever their name; a song file holds one JSON object unless it is `.jsonl`."""
    return source == "events" or re.search(_JSON_LINES, path) is not None


def records(files_df: DataFrame | None, source: str, spread: int = 0, lines_df: DataFrame | None = None) -> DataFrame:
    """Raw files of a source → its parsed records (split, then parsed with the source's raw schema):
    files read whole (`files_df`, see `split_records`), lines of files read in blocks (`lines_df`, see
    `line_records`), or both.

    With `spread`, the lines are dealt over that many tasks before they are parsed: a file is read by
    one task, and parsing is most of the work (one day's log file parsed on one core of two otherwise)."""
    parts = []
    if files_df is not None:
        whole: bool | Column = ~F.col("path").rlike(_JSON_LINES) if source == "songs" else False
        parts.append(split_records(files_df, one_record_per_file=whole))
    if lines_df is not None:
        parts.append(line_records(lines_df))
    if not parts:
        raise ValueError("records: give files read whole, lines of files read in blocks, or both")
    lines = parts[0] if len(parts) == 1 else parts[0].unionByName(parts[1], allowMissingColumns=True)
    return parse_records(lines.repartition(spread) if spread else lines, schemas.RAW[source])


def unknown_fields(parsed_df: DataFrame) -> dict[str, int]:
    """Fields present in the records but not in the raw schema (schema drift), with how many records carry each."""
    rows = parsed_df.select(F.explode(F.col(FIELDS)).alias("field")).groupBy("field").count().collect()
    return {row["field"]: int(row["count"]) for row in sorted(rows, key=lambda r: r["field"])}


def _missing(fields: tuple[str, ...]) -> list[Column]:
    return [F.when(F.col(f).isNull(), F.lit(f"missing required field {f}")) for f in fields]


def _json_kind(text: Column) -> Column:
    """What a JSON value that is no object is, from its first character."""
    first = F.substring(F.ltrim(text), 1, 1)
    return (
        F.when(first == "[", F.lit("a JSON array"))
        .when(first == '"', F.lit("a JSON string"))
        .when(first.isin("t", "f"), F.lit("a JSON boolean"))
        .when(first == "n", F.lit("JSON null"))
        .otherwise(F.lit("a JSON number"))
    )


# The JSON types a value of the wrong type can have, each with a Spark type that reads that JSON type
# and no other (a string is what none of them reads). Non-numeric numbers off, so `"NaN"` is a string.
_JSON_TYPES = (
    ("number", T.DoubleType()),
    ("boolean", T.BooleanType()),
    ("array", T.ArrayType(T.StringType())),
    ("object", T.MapType(T.StringType(), T.StringType())),
)
_STRICT_NUMBERS = {**JSON_OPTIONS, "allowNonNumericNumbers": "false"}


def _wrong_type(raw_schema: T.StructType, as_text: Column) -> Column:
    """`field <name>: expected <type>, got <JSON type> <value>` for the first field whose value does not
    fit its type, else null. Unquoted, a string that holds a number reads like the number, so the JSON
    type is named: the one whose parse of the record reads that field (a field that fails does not fail
    the others). Built once for the record, not per field: the expression stays small."""
    typed = [f for f in raw_schema.fields if not isinstance(f.dataType, T.StringType)]
    name = F.coalesce(*[F.when(as_text[f.name].isNotNull() & F.col(f.name).isNull(), F.lit(f.name)) for f in typed])
    expected = F.create_map(*[F.lit(x) for f in typed for x in (f.name, f.dataType.simpleString())])[name]
    kinds = []
    for json_type, data_type in _JSON_TYPES:
        parsed = F.from_json(CORRUPT, T.StructType([T.StructField(f.name, data_type) for f in typed]), _STRICT_NUMBERS)
        # to_json leaves out null fields: the names it keeps are the fields this type reads.
        kinds.append(F.when(F.array_contains(F.json_object_keys(F.to_json(parsed)), name), F.lit(json_type)))
    kind = F.coalesce(*kinds, F.lit("string"))
    value = F.substring(as_text[name], 1, 80)
    shown = F.when(kind == F.lit("string"), F.concat(F.lit('"'), value, F.lit('"'))).otherwise(value)
    return F.concat(F.lit("field "), name, F.lit(": expected "), expected, F.lit(", got "), kind, F.lit(" "), shown)


def _unparseable(raw_schema: T.StructType, holder: Column | None = None) -> Column:
    """Why a record is not one well-typed JSON object: unreadable bytes, a tail after the first value,
    broken JSON, a value that is no object, or which field has a value of the wrong type."""
    text = F.col(TEXT)
    # from_json takes a MapType (Spark 2.3+), which pyspark's own hint for `schema` leaves out.
    first_is_object = F.from_json(text, T.MapType(T.StringType(), T.StringType()), JSON_OPTIONS).isNotNull()  # type: ignore[arg-type]
    as_text = F.from_json(F.col(CORRUPT), T.MapType(T.StringType(), T.StringType()), JSON_OPTIONS)  # type: ignore[arg-type]
    return (
        F.when(text.contains("\ufffd"), F.lit("not valid UTF-8 text (unreadable encoding)"))
        .when(text.contains("\u0000"), F.lit("not UTF-8 text: NUL bytes (UTF-16 or binary data?)"))
        .when(
            ~F.col(ONE_VALUE) & first_is_object,
            F.lit("trailing characters after the first JSON value (records run together, or a stray tail)"),
        )
        .when(~F.col(ONE_VALUE), F.lit("malformed JSON: incomplete or invalid syntax (cut short?)"))
        .when(
            ~F.ltrim(text).startswith("{"),
            F.concat(
                F.lit("not a JSON object: "),
                holder if holder is not None else F.lit("the line holds "),
                _json_kind(text),
            ),
        )
        .when(
            F.col(CORRUPT).isNotNull(),
            F.coalesce(
                F.when(as_text.isNull(), F.lit("malformed JSON: invalid syntax")),
                _wrong_type(raw_schema, as_text),
                F.lit("malformed JSON: invalid content"),
            ),
        )
    )


def tag_songs(raw_df: DataFrame, repeats: bool = True) -> DataFrame:
    """Add `quarantine_reason` to raw song records: unparseable, missing a required field, or a duplicate
    song_id (with `repeats`; see `has_repeated_key`)."""
    require_columns(raw_df, [*schemas.RAW_SONG.fieldNames(), CORRUPT, SOURCE_FILE, TEXT, ONE_VALUE], "tag_songs")
    holder = F.when(F.col(SOURCE_FILE).rlike(_JSON_LINES), F.lit("the line holds ")).otherwise(
        F.lit("a song file holds one JSON object, this one holds ")
    )
    reason = first_reason(_unparseable(schemas.RAW_SONG, holder), *_missing(SONG_REQUIRED))
    return _tag_repeats(raw_df.withColumn(REASON, reason), "songs") if repeats else raw_df.withColumn(REASON, reason)


# The natural key of each source, in raw and in staged column names, and what a duplicate's reason calls it.
RAW_KEYS = {"songs": ["song_id"], "events": ["ts", "userId", "sessionId", "itemInSession"]}
STAGED_KEYS = {"songs": ["song_id"], "events": ["ts", "user_id", "session_id", "item_in_session"]}
_KEY_NAME = {"songs": "song_id", "events": "event"}
FIRST_SEEN = "first seen in"
ALREADY_STAGED = "already staged from"
# The file a duplicate's reason names as holding the copy that was kept.
_DUPLICATE_OF = rf"^duplicate \w+ \((?:{FIRST_SEEN} (.+) line \d+|{ALREADY_STAGED} (.+))\)$"


def duplicate_of(reason: Column) -> Column:
    """The file whose staged row a quarantined record repeats (see `_tag_repeats`, `tag_already_staged`);
    null for any other reason."""
    kept = F.concat(F.regexp_extract(reason, _DUPLICATE_OF, 1), F.regexp_extract(reason, _DUPLICATE_OF, 2))
    return F.when(kept != F.lit(""), kept)


def _tag_repeats(tagged_df: DataFrame, source: str) -> DataFrame:
    """Tag every good copy of a key but the first (by source file, then position in it): duplicates are
    judged among the records that are otherwise good."""
    w = Window.partitionBy(F.col(REASON).isNull(), *RAW_KEYS[source]).orderBy(F.col(SOURCE_FILE), F.col(LINE))
    repeated = F.when(
        F.row_number().over(w) > 1,
        F.concat(
            F.lit(f"duplicate {_KEY_NAME[source]} ({FIRST_SEEN} "),
            F.first(SOURCE_FILE).over(w),
            F.lit(" line "),
            F.first(LINE).over(w).cast("string"),
            F.lit(")"),
        ),
    )
    return tagged_df.withColumn(REASON, F.when(F.col(REASON).isNull(), repeated).otherwise(F.col(REASON)))


def has_repeated_key(tagged_df: DataFrame, source: str) -> bool:
    """Whether two records of a batch tagged without `repeats` share a key among those the rules left
    good or found already staged (`tag_already_staged`): the records the `repeats` tagging judges.

    The stage job tags a batch without it, caches it, and asks this: an aggregate of the keys alone,
    where the window of `repeats` sorts whole rows, raw text included (a batch rarely holds a record
    twice; when it does, the job tags the batch again with `repeats`)."""
    judged = F.col(REASON).isNull() | F.col(REASON).contains(f" ({ALREADY_STAGED} ")
    keys = RAW_KEYS[source]
    return not tagged_df.filter(judged).groupBy(*keys).count().filter(F.col("count") > 1).isEmpty()


def _raw_key(source: str, name: str) -> Column:
    return try_cast(_blank_to_null_sql(name), "int") if name == "userId" else F.col(name)


def tag_already_staged(tagged_df: DataFrame, staged_df: DataFrame | None, source: str) -> DataFrame:
    """Good records whose key an earlier run already staged are duplicates too (a re-delivered file)."""
    if staged_df is None:
        return tagged_df
    staged = staged_df.select(
        *[F.col(k).alias(f"_staged_{i}") for i, k in enumerate(STAGED_KEYS[source])],
        F.col(SOURCE_FILE).alias("_staged_file"),
    ).dropDuplicates([f"_staged_{i}" for i in range(len(STAGED_KEYS[source]))])
    match = None
    for i, name in enumerate(RAW_KEYS[source]):
        cond = _raw_key(source, name).eqNullSafe(F.col(f"_staged_{i}"))
        match = cond if match is None else match & cond
    assert match is not None
    joined = tagged_df.join(staged, match, "left")
    return joined.withColumn(
        REASON,
        F.when(
            F.col(REASON).isNull() & F.col("_staged_file").isNotNull(),
            F.concat(F.lit(f"duplicate {_KEY_NAME[source]} ({ALREADY_STAGED} "), F.col("_staged_file"), F.lit(")")),
        ).otherwise(F.col(REASON)),
    ).drop(*[c for c in joined.columns if c.startswith("_staged_")])


def tag_events(raw_df: DataFrame, repeats: bool = True) -> DataFrame:
    """Add `quarantine_reason` to raw events: unparseable, missing fields, bad userId/ts, or a duplicate
    event (with `repeats`; see `has_repeated_key`)."""
    require_columns(raw_df, [*schemas.RAW_EVENT.fieldNames(), CORRUPT, SOURCE_FILE, TEXT, ONE_VALUE], "tag_events")
    user_id = blank_to_null("userId")
    is_next_song = F.col("page") == schemas.NEXT_SONG
    reason = first_reason(
        _unparseable(schemas.RAW_EVENT),
        *_missing(EVENT_REQUIRED),
        F.when(
            user_id.isNotNull() & try_cast(_blank_to_null_sql("userId"), "int").isNull(),
            F.concat(F.lit("userId is not an integer: "), F.substring("userId", 1, 40)),
        ),
        F.when(
            (F.col("ts") < MIN_TS_MS) | (F.col("ts") >= MAX_TS_MS),
            F.concat(F.lit("ts out of range (epoch ms, 2000–2100): "), F.col("ts").cast("string")),
        ),
        *[F.when(is_next_song, c) for c in _missing(NEXT_SONG_REQUIRED)],
        F.when(is_next_song & user_id.isNull(), F.lit("NextSong event without a userId")),
    )
    tagged = raw_df.withColumn(REASON, reason)
    return _tag_repeats(tagged, "events") if repeats else tagged


# What `reason_kind` removes from a reason: the per-record detail (the value, where a duplicate was
# first seen), as (regular expression, replacement with `\\1` for the first group).
REASON_DETAIL: tuple[tuple[str, str], ...] = (
    (r" \((first seen in|already staged from) .*\)$", ""),
    (r"(: expected \w+), got .*$", r"\1"),
    (r"^(userId is not an integer|ts out of range \(epoch ms, 2000–2100\)): .*$", r"\1"),
)


def reason_kind(reason: Column) -> Column:
    """A reason without its per-record detail, so reasons can be counted by kind:
    `field sessionId: expected bigint, got string "abc"` → `field sessionId: expected bigint`."""
    for pattern, replacement in REASON_DETAIL:
        reason = F.regexp_replace(reason, pattern, replacement.replace("\\1", "$1"))
    return reason


def drop_text_of_good(tagged_df: DataFrame) -> DataFrame:
    """Keep a record's raw text only where quarantine needs it: staged rows carry the parsed values, and
    caching the text of every good record would double what a batch holds in memory."""
    require_columns(tagged_df, [TEXT, REASON], "drop_text_of_good")
    return tagged_df.withColumn(TEXT, F.when(F.col(REASON).isNotNull(), F.col(TEXT)))


def quarantined(tagged_df: DataFrame, source: str) -> DataFrame:
    """The tagged records that failed, as the quarantine table: source, file, line, the record's text, reason."""
    return tagged_df.filter(F.col(REASON).isNotNull()).select(
        F.lit(source).alias("source"),
        F.col(SOURCE_FILE).alias("source_file"),
        F.col(LINE).alias("line"),
        F.col(TEXT).alias("record"),
        F.col(REASON).alias("reason"),
    )


def staged_songs(tagged_df: DataFrame) -> DataFrame:
    """Good song records renamed and cast to `schemas.STAGING_SONGS`; year 0 and "" locations become null."""
    return tagged_df.filter(F.col(REASON).isNull()).select(
        "song_id",
        "title",
        "artist_id",
        "artist_name",
        blank_to_null("artist_location").alias("artist_location"),
        "artist_latitude",
        "artist_longitude",
        F.when(F.col("year") > 0, try_cast("year", "int")).alias("year"),
        "duration",
        SOURCE_FILE,
        F.col(LINE).cast("int").alias(LINE),
    )


def staged_events(tagged_df: DataFrame) -> DataFrame:
    """Good events renamed to snake_case and cast to `schemas.STAGING_EVENTS` (epoch ms → UTC timestamps)."""
    return tagged_df.filter(F.col(REASON).isNull()).select(
        "ts",
        F.timestamp_millis("ts").alias("start_time"),
        try_cast(_blank_to_null_sql("userId"), "int").alias("user_id"),
        F.col("firstName").alias("first_name"),
        F.col("lastName").alias("last_name"),
        "gender",
        "level",
        "location",
        F.col("userAgent").alias("user_agent"),
        F.col("sessionId").alias("session_id"),
        try_cast("itemInSession", "int").alias("item_in_session"),
        "page",
        "auth",
        "method",
        try_cast("status", "int").alias("status"),
        "song",
        "artist",
        "length",
        F.timestamp_millis(try_cast("registration", "long")).alias("registration"),
        SOURCE_FILE,
        F.col(LINE).cast("int").alias(LINE),
    )
