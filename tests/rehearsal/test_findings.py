"""What a rehearsal reports as written: new or changed objects per bucket and first two folders."""

from __future__ import annotations

from sparkify.rehearsal.findings import written


def test_what_was_written_is_counted_per_bucket_and_first_two_folders() -> None:
    before = {"lake": {"curated/songs/metadata/v1.json": 10}, "docs": {}}
    after = {
        "lake": {
            "curated/songs/metadata/v1.json": 10,  # there before: not counted
            "curated/songs/metadata/v2.json": 12,
            "curated/songs/data/a.parquet": 100,
            "reports/runs/wr_1/stage.json": 5,
        },
        "docs": {"index.html": 7, "runs/wr_1/index.html": 3},
    }
    assert written(before, after) == [
        {"uri": "s3://docs/", "objects": 1, "bytes": 7},
        {"uri": "s3://docs/runs/wr_1/", "objects": 1, "bytes": 3},
        {"uri": "s3://lake/curated/songs/", "objects": 2, "bytes": 112},
        {"uri": "s3://lake/reports/runs/", "objects": 1, "bytes": 5},
    ]
