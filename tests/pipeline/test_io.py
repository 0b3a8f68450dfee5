"""Listing raw files (`sparkify.io.list_raw_files`): every file with its size, in a few JVM calls."""

from __future__ import annotations

from sparkify.io import list_raw_files


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
