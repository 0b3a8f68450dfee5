"""Listing raw files (`sparkify.lake.io.list_raw_files`): every file with its size, in a few JVM calls; reading
large JSON-lines files in blocks (`read_raw_lines`) and hashing them as streams (`stream_hashes`)."""

from __future__ import annotations

import gzip
import hashlib

import pytest

from sparkify.lake.io import list_raw_files, read_raw_lines, stream_hashes


def _songs(raw, names, text='{"song_id": "S"}'):
    for name in names:
        path = raw / "song_data" / "A" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)


def test_listing_many_raw_files_takes_a_few_jvm_calls_not_one_per_file(spark, tmp_path, jvm_calls):
    # The bench's L size lists 150,000 song files: walking the file index's names from Python made one
    # JVM call per file (7 s of the stage step on this 2-core machine).
    calls = {}
    for many in (10, 500):
        raw = tmp_path / str(many)
        _songs(raw, [f"{n:05d}.json" for n in range(many)])
        if not calls:
            list_raw_files(spark, str(raw), "songs")  # the session's first listing may load classes
        jvm_calls.clear()
        assert len(list_raw_files(spark, str(raw), "songs")) == many
        calls[many] = len(jvm_calls)
    # With two calls per file it was 1,058 for 500 files.
    assert calls[500] <= calls[10] < 100, calls


def test_an_empty_file_is_listed_with_size_zero(spark, tmp_path):
    # The binaryFile reader yields no row for a file of length 0; the file index still holds it.
    _songs(tmp_path, ["a.json", "b.json"])
    _songs(tmp_path, ["empty.json"], text="")
    listed = {f.path.rsplit("/", 1)[1]: f.size for f in list_raw_files(spark, str(tmp_path), "songs")}
    assert listed == {"a.json": 16, "b.json": 16, "empty.json": 0}


@pytest.fixture()
def small_blocks(spark):
    """Files split into blocks of 64 bytes, as Spark splits a large file into blocks of 64 MB."""
    key = "spark.sql.files.maxPartitionBytes"
    before = spark.conf.get(key)
    spark.conf.set(key, "64")
    yield
    spark.conf.set(key, before)


def _logs(tmp_path):
    """Two log files, one with characters a URI escapes in its name; lines of 0-80 bytes, CRs, a blank
    line and no final newline in one of them."""
    folder = tmp_path / "log_data" / "2018" / "11"
    folder.mkdir(parents=True)
    texts = {
        "a b+%20[1].json": b"\n".join(b'{"n": %d, "pad": "%s"}' % (i, b"x" * (i * 7 % 60)) for i in range(40)) + b"\n",
        "plain.json": b'{"n": 1}\r\n\n{"n": 2}\n' + b'{"n": 3, "pad": "' + b"y" * 70 + b'"}',
    }
    for name, data in texts.items():
        (folder / name).write_bytes(data)
    return folder, texts


def test_lines_read_in_blocks_keep_their_number_in_the_file(spark, tmp_path, small_blocks):
    _folder, texts = _logs(tmp_path)
    listed = {f.path.rsplit("/", 1)[1]: f.path for f in list_raw_files(spark, str(tmp_path), "events")}
    lines = read_raw_lines(spark, sorted(listed.values()))
    assert lines.rdd.getNumPartitions() > 10  # 3.4 KB in blocks of 64 bytes
    got = sorted((r["path"], r["line"], bytes(r["content"])) for r in lines.collect())
    expected = []
    for name, data in texts.items():
        split = data.split(b"\n")
        split = split[:-1] if split[-1] == b"" else split  # a final LF ends the last line, it starts none
        expected += [(listed[name], number, text) for number, text in enumerate(split, start=1)]
    assert got == sorted(expected)


def test_a_streamed_hash_is_the_sha256_of_the_stored_bytes(spark, tmp_path):
    folder, _texts = _logs(tmp_path)
    (folder / "c.json.gz").write_bytes(gzip.compress(b'{"n": 1}\n'))
    listed = {f.path.rsplit("/", 1)[1]: f.path for f in list_raw_files(spark, str(tmp_path), "events")}
    hashes = stream_hashes(spark, sorted(listed.values()))
    assert hashes == {listed[name]: hashlib.sha256((folder / name).read_bytes()).hexdigest() for name in listed}
