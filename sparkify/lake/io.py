"""Reading raw files and small lake files (metrics, state). Paths are URIs: `s3://…` on Glue, folders locally.

File operations go through Hadoop's FileSystem API, the one Spark itself uses, so the same code
works on S3 in Glue and on a local folder.
"""

from __future__ import annotations

import bz2
import gzip
import re
from concurrent.futures import ThreadPoolExecutor
from typing import Any
from urllib.parse import unquote

from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F
from pyspark.sql import types as T

from sparkify.lake.ledger import COMPRESSED, Listed, unsupported_reason
from sparkify.pipeline import SOURCES


class InputError(RuntimeError):
    """What the run was given cannot work (no raw data yet, a missing setting): running it again as it is
    gives the same answer, so a Glue job does not retry it (`sparkify.lake.glue_entry`)."""


class RawInputError(InputError):
    """A raw source is missing or holds no files: nothing to stage."""


def join_uri(base: str, *parts: str) -> str:
    return "/".join([base.rstrip("/"), *(p.strip("/") for p in parts)])


# --- Hadoop FileSystem ----------------------------------------------------------------------------------


def _fs_path(spark: SparkSession, uri: str) -> tuple[Any, Any]:
    jvm = spark.sparkContext._jvm
    if jvm is None:
        raise RuntimeError("the SparkContext has no JVM gateway (was it stopped?)")
    path = jvm.org.apache.hadoop.fs.Path(uri)
    return path.getFileSystem(spark.sparkContext._jsc.hadoopConfiguration()), path


def exists(spark: SparkSession, uri: str) -> bool:
    fs, path = _fs_path(spark, uri)
    return bool(fs.exists(path))


def delete(spark: SparkSession, uri: str) -> None:
    fs, path = _fs_path(spark, uri)
    fs.delete(path, True)


def write_text(spark: SparkSession, uri: str, text: str) -> None:
    """Write one small text file (metrics, state)."""
    fs, path = _fs_path(spark, uri)
    out = fs.create(path, True)
    try:
        out.write(bytearray(text.encode("utf-8")))
    finally:
        out.close()


def list_names(spark: SparkSession, uri: str) -> list[str]:
    """The names of what is directly under a folder or prefix (none when it does not exist)."""
    fs, path = _fs_path(spark, uri)
    if not fs.exists(path):
        return []
    return sorted(str(status.getPath().getName()) for status in fs.listStatus(path))


def list_sizes(spark: SparkSession, uri: str) -> dict[str, int]:
    """The files directly under a folder or prefix with their sizes in bytes (none when it does not exist)."""
    fs, path = _fs_path(spark, uri)
    if not fs.exists(path):
        return {}
    return {str(s.getPath().getName()): int(s.getLen()) for s in fs.listStatus(path) if s.isFile()}


def list_files(spark: SparkSession, uri: str) -> list[str]:
    """Every file under a folder or prefix, at any depth, by its full path (none when it does not exist)."""
    fs, path = _fs_path(spark, uri)
    if not fs.exists(path):
        return []
    files, found = fs.listFiles(path, True), []
    while files.hasNext():
        found.append(str(files.next().getPath().toString()))
    return found


def read_small_text(spark: SparkSession, uri: str) -> str | None:
    """A small file's text read on the driver (no Spark job: for many small files), or None when absent."""
    fs, path = _fs_path(spark, uri)
    if not fs.exists(path):
        return None
    stream = fs.open(path)
    try:
        return str(spark.sparkContext._jvm.org.apache.commons.io.IOUtils.toString(stream, "UTF-8"))  # type: ignore[union-attr]
    finally:
        stream.close()


def read_text(spark: SparkSession, uri: str) -> str | None:
    """A small text file's content, or None when it does not exist."""
    if not exists(spark, uri):
        return None
    return "\n".join(r.value for r in spark.read.text(uri, wholetext=True).collect())


# --- Raw files ------------------------------------------------------------------------------------------


def raw_path(spark: SparkSession, raw_uri: str, source: str) -> str:
    """`<raw_uri>/<prefix>`, after checking it exists (a clear error beats an empty run)."""
    path = join_uri(raw_uri, SOURCES[source])
    if not exists(spark, path):
        raise RawInputError(
            f"no raw {source} at {path}: expected {SOURCES[source]}/ under the raw folder "
            f"(generate some with `sparkify generate --out DIR`, or upload the Sparkify data there)"
        )
    return path


# What Spark's binaryFile source yields per file.
BINARY_FILE = T.StructType(
    [
        T.StructField("path", T.StringType(), False),
        T.StructField("modificationTime", T.TimestampType(), False),
        T.StructField("length", T.LongType(), False),
        T.StructField("content", T.BinaryType()),
    ]
)


def _binary_files(spark: SparkSession) -> Any:
    # Listing the root recursively is much faster than globbing `*/*/*/*.json` over thousands of files.
    return spark.read.format("binaryFile").schema(BINARY_FILE).option("recursiveFileLookup", "true")


def list_raw_files(spark: SparkSession, raw_uri: str, source: str) -> list[Listed]:
    """Every file under a source's prefix with its size and modification time (epoch ms).

    Spark's own file index lists it (in parallel over many folders, one S3 listing per folder), which
    took 2 s warm for 14,896 song files here where Hadoop's recursive `listFiles` took 60 s (it runs a
    process per file for permissions on a local disk). Names starting with `.` or `_` are not data
    (editors' temp files, `_SUCCESS`, `._COPYING_` uploads in flight) and are not listed, as Spark and
    Hive do. Empty files are in the index but yield no row when read: they are listed with size 0.
    """
    files = _binary_files(spark).load(raw_path(spark, raw_uri, source))
    rows = files.select("path", "length", F.unix_millis("modificationTime").alias("mtime")).collect()
    listed = {r["path"]: Listed(r["path"], int(r["length"]), int(r["mtime"])) for r in rows}
    # Only an empty file is in the index without a row (the binaryFile reader skips length 0). Walking
    # the index's names from Python costs two JVM calls per file (7 s for 150,000 files), so the names
    # are read only when the index holds more files than rows: its size is one call.
    if len(files._jdf.inputFiles()) != len(listed):
        for uri in files.inputFiles():
            path = _as_listed_path(uri)
            if path not in listed:
                listed[path] = Listed(path, 0, 0)
    return sorted(listed.values(), key=lambda f: f.path)


def _as_listed_path(uri: str) -> str:
    # `inputFiles` gives URIs (`file:///x`, spaces as `%20`), the binaryFile reader Hadoop paths
    # (`file:/x`, spaces as they are): one spelling for the ledger.
    path = unquote(uri)
    return "file:" + path[len("file://") :] if path.startswith("file:///") else path


_GLOB = re.compile(r"([\\{}\[\]*?])")


def _literal(path: str) -> str:
    """A path Spark will not expand as a glob (file names may hold `[`, `{`, `*`, `?`)."""
    return _GLOB.sub(r"\\\1", path)


def read_raw_files(
    spark: SparkSession, raw_uri: str, source: str, paths: list[str] | None = None, whole_prefix: bool = False
) -> DataFrame:
    """Raw files of a source as (`path`, `content` decompressed, `content_hash` of the stored bytes,
    `unreadable`: why the bytes could not be decompressed, else null): the given `paths`, or every
    readable file (`paths` None). `whole_prefix` says `paths` are all the readable files there are: the
    prefix is then read as one folder, which saves Spark listing thousands of paths one by one.

    Only `.gz`/`.bz2` files pass through Python, to be decompressed; each file is read once."""
    if paths is None:
        paths = [f.path for f in list_raw_files(spark, raw_uri, source) if unsupported_reason(f.path) is None]
        whole_prefix = True
    compressed = [p for p in paths if p.endswith(COMPRESSED)]
    parts = []
    if whole_prefix and len(compressed) < len(paths):
        plain = _binary_files(spark).option("pathGlobFilter", "*.{json,jsonl}").load(raw_path(spark, raw_uri, source))
        # Only the files the caller listed: one that arrived since is left to the next run's listing.
        wanted = spark.createDataFrame([(p,) for p in paths], "path string")
        plain = plain.join(F.broadcast(wanted), "path", "left_semi")
        parts.append(_with_hash(plain).withColumn("unreadable", F.lit(None).cast("string")))
    elif len(compressed) < len(paths):
        plain = _binary_files(spark).load([_literal(p) for p in paths if not p.endswith(COMPRESSED)])
        parts.append(_with_hash(plain).withColumn("unreadable", F.lit(None).cast("string")))
    if compressed:
        packed = _with_hash(_binary_files(spark).load([_literal(p) for p in compressed]))
        parts.append(
            packed.withColumn("_d", _decompress_udf()("path", "content")).select(
                "path", F.col("_d.content").alias("content"), "content_hash", F.col("_d.error").alias("unreadable")
            )
        )
    if not parts:
        return spark.createDataFrame([], RAW_FILE)
    return parts[0] if len(parts) == 1 else parts[0].unionByName(parts[1])


# A plain JSON-lines file larger than this is read line by line in blocks (Spark's text source), not
# whole: a task that reads a file whole holds its bytes, its decoded text and its split lines at once
# (two of L's 240 MB log files read at once ran a 4 GB heap out). Smaller files are read whole, as one
# read then gives their lines and their hash (M's 15 MB log files: 22 s either way, warm).
WHOLE_FILE_MAX_BYTES = 32 * 1024 * 1024
# Files hashed at once by `stream_hashes` (each a stream read on the driver's JVM).
HASHING_THREADS = 4


def read_whole(path: str, size: int, json_lines: bool = True) -> bool:
    """Whether a raw file is read whole (`read_raw_files`) rather than in blocks (`read_raw_lines`) and
    hashed as a stream (`stream_hashes`): a file that holds one JSON value, a compressed one, or one of
    at most `WHOLE_FILE_MAX_BYTES`."""
    return not json_lines or path.endswith(COMPRESSED) or size <= WHOLE_FILE_MAX_BYTES


def read_raw_lines(spark: SparkSession, paths: list[str]) -> DataFrame:
    """The lines of uncompressed JSON-lines files, read in blocks by Spark's text source: `path` (as
    the ledger spells it), `line` (1-based, blank lines counted) and `content` (the line's bytes without
    its LF, a CR kept). No task holds more than a block of a file.

    A line's number is its position in its block plus the lines of the file's earlier blocks: a first
    read of the same scan counts them (it parses nothing). `monotonically_increasing_id` numbers the
    rows of each task in file order, and both reads plan the same tasks from the same listed files."""
    scan = (
        spark.read.option("lineSep", "\n")
        .text([_literal(p) for p in paths])
        .select(
            F.col("_metadata.file_path").alias("_file"),
            F.col("_metadata.file_block_start").alias("_block"),
            F.monotonically_increasing_id().alias("_row"),
            F.col("value").cast("binary").alias("content"),
        )
    )
    blocks = scan.groupBy("_file", "_block").agg(F.count("*").alias("n"), F.min("_row").alias("first")).collect()
    before: dict[str, int] = {}
    offsets = []
    for b in sorted(blocks, key=lambda b: (b["_file"], b["_block"])):
        lines_before = before.get(b["_file"], 0)
        # `_metadata.file_path` is a URI (spaces as %20); the ledger has Hadoop's spelling.
        offsets.append((b["_file"], b["_block"], unquote(b["_file"]), lines_before - b["first"] + 1))
        before[b["_file"]] = lines_before + b["n"]
    if not offsets:
        return spark.createDataFrame([], "path string, line long, content binary")
    numbered = spark.createDataFrame(offsets, "_file string, _block long, path string, _offset long")
    return scan.join(F.broadcast(numbered), ["_file", "_block"]).select(
        "path", (F.col("_row") + F.col("_offset")).alias("line"), "content"
    )


def stream_hashes(spark: SparkSession, paths: list[str]) -> dict[str, str]:
    """The SHA-256 of each file's stored bytes, as `read_raw_files` gives it, streamed through the
    driver's JVM (commons-codec, on Spark's class path): no file is held whole in memory."""
    jvm = spark.sparkContext._jvm
    assert jvm is not None

    def digest(path: str) -> tuple[str, str]:
        fs, hadoop_path = _fs_path(spark, path)
        stream = fs.open(hadoop_path)
        try:
            return path, str(jvm.org.apache.commons.codec.digest.DigestUtils.sha256Hex(stream))
        finally:
            stream.close()

    with ThreadPoolExecutor(HASHING_THREADS) as pool:
        return dict(pool.map(digest, paths))


def _with_hash(files: DataFrame) -> DataFrame:
    return files.select("path", "content", F.sha2("content", 256).alias("content_hash"))


RAW_FILE = T.StructType(
    [
        T.StructField("path", T.StringType(), False),
        T.StructField("content", T.BinaryType()),
        T.StructField("content_hash", T.StringType()),
        T.StructField("unreadable", T.StringType()),
    ]
)


def decompress(path: str, data: bytes) -> tuple[bytes | None, str | None]:
    """The bytes of a `.gz` or `.bz2` file decompressed, or None and why not."""
    kind = "gzip" if path.lower().endswith(".gz") else "bzip2"
    try:
        return (gzip.decompress(data) if kind == "gzip" else bz2.decompress(data)), None
    except (OSError, EOFError, ValueError) as exc:
        return None, f"unreadable {kind} data: {exc}"


def _decompress_udf() -> Any:
    schema = T.StructType([T.StructField("content", T.BinaryType()), T.StructField("error", T.StringType())])
    return F.udf(lambda path, data: decompress(path, bytes(data)), schema)


def clean_crash_leftovers(spark: SparkSession, uri: str) -> list[str]:
    """Remove what a killed Spark write leaves in a table folder (`.spark-staging-*` from a dynamic
    partition overwrite, `_temporary` from a file commit). Only while no other writer can be running:
    the lake lock locally, one concurrent run per job on Glue. Returns what was removed."""
    fs, path = _fs_path(spark, uri)
    if not fs.exists(path):
        return []
    removed = []
    for pattern in (".spark-staging-*", "_temporary"):
        for status in fs.globStatus(_fs_path(spark, join_uri(uri, pattern))[1]) or []:
            fs.delete(status.getPath(), True)
            removed.append(str(status.getPath().toString()))
    return removed
