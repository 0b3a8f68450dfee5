"""A broken lake is named before a run reads or publishes it: a data file gone from a published table, a
metadata file cut short, a lake moved to another folder (Iceberg's metadata holds absolute paths). Each
ends in one line naming the table and what to do, and `sparkify run --full-refresh` rebuilds the lake
from the raw files without touching any file outside it."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from sparkify.cli.main import app
from sparkify.local.runner import lake_table, run_pipeline
from sparkify.pipeline import CURATED_TABLES
from sparkify.synthetic.generate import generate


@pytest.fixture(scope="module")
def published(spark, tmp_path_factory) -> tuple[Path, dict[str, list]]:
    """A raw folder and its lake after one run, kept aside, and the rows of its curated tables."""
    base = tmp_path_factory.mktemp("published")
    generate(base / "raw", songs=20, events=300, seed=11, days=1)
    assert run_pipeline(base / "raw", base / "lake")["status"] == "succeeded"
    shutil.copytree(base / "lake", base / "lake.kept", symlinks=True)
    return base, _rows(spark, base / "lake")


def _rows(spark, lake: Path) -> dict[str, list]:
    return {t.name: sorted(map(tuple, lake_table(spark, lake, t.name).collect()), key=repr) for t in CURATED_TABLES}


def _restore(published: tuple[Path, dict[str, list]]) -> tuple[Path, Path]:
    """The published lake, at the one path it was written at (Iceberg's metadata holds absolute paths)."""
    base = published[0]
    shutil.rmtree(base / "lake", ignore_errors=True)
    shutil.copytree(base / "lake.kept", base / "lake", symlinks=True)
    return base / "raw", base / "lake"


def _run(*args: str) -> tuple[int, str]:
    """`sparkify run ARGS` in this process: exit code and the line of the step that failed (else '')."""
    result = CliRunner().invoke(app, ["run", *args])
    failed = [line for line in result.stdout.splitlines() if line.startswith("✗")]
    return result.exit_code, failed[0] if failed else ""


def _latest(lake: Path) -> dict:
    return json.loads((lake / "reports" / "latest.json").read_text())


def _files(folder: Path) -> dict[str, int]:
    return {str(p.relative_to(folder)): p.stat().st_mtime_ns for p in folder.rglob("*") if p.is_file()}


@pytest.mark.spark
def test_a_data_file_gone_from_a_published_table_fails_a_run_with_nothing_new_and_full_refresh_rebuilds(
    spark, published, tmp_path
):
    raw, lake = _restore(published)
    gone = sorted((lake / "curated" / "songplays" / "data").rglob("*.parquet"))[0]
    gone.unlink()

    code, line = _run("--raw", str(raw), "--lake", str(lake))

    assert code == 1
    assert "curated.songplays" in line and gone.name in line and "--full-refresh" in line, line
    report = _latest(lake)
    assert report["status"] == "failed"
    assert [s["name"] for s in report["steps"] if s["status"] == "failed" and gone.name in s["error"]] == ["model"]

    code, line = _run("--raw", str(raw), "--lake", str(lake), "--full-refresh")

    assert code == 0, line
    assert _rows(spark, lake) == published[1]


@pytest.mark.spark
def test_a_metadata_file_cut_short_is_named_with_its_table(spark, published, tmp_path):
    raw, lake = _restore(published)
    metadata = lake / "curated" / "songs" / "metadata"
    current = metadata / f"v{(metadata / 'version-hint.text').read_text().strip()}.metadata.json"
    current.write_bytes(current.read_bytes()[:200])

    code, line = _run("--raw", str(raw), "--lake", str(lake))

    assert code == 1
    assert "curated.songs" in line and current.name in line and "--full-refresh" in line, line
    assert "Py4J" not in line

    code, line = _run("--raw", str(raw), "--lake", str(lake), "--full-refresh")

    assert code == 0, line
    assert _rows(spark, lake) == published[1]


@pytest.mark.spark
@pytest.mark.parametrize("how", ["copied", "moved"])
def test_a_lake_moved_to_another_folder_is_named_and_full_refresh_rebuilds_it_leaving_the_first_alone(
    spark, published, tmp_path, how
):
    raw, first = _restore(published)
    second = tmp_path / "elsewhere" / "lake"
    second.parent.mkdir()
    shutil.copytree(first, second, symlinks=True)
    kept = tmp_path / "first-lake.kept"
    shutil.copytree(first, kept, symlinks=True)
    if how == "moved":
        shutil.rmtree(first)

    code, line = _run("--raw", str(raw), "--lake", str(second))

    assert code == 1
    assert str(first) in line and "moved" in line and "--full-refresh" in line, line

    code, line = _run("--raw", str(raw), "--lake", str(second), "--full-refresh")

    assert code == 0, line
    assert _rows(spark, second) == published[1]
    if how == "copied":
        # The first lake is another lake: rebuilding the copy deletes nothing of it and writes nothing in it.
        assert _files(first) == _files(kept)
    else:
        assert not first.exists()
    code, line = _run("--raw", str(raw), "--lake", str(second))
    assert code == 0, line
