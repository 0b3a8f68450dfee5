"""The site's own pages from hand-written run reports and the real suites: the run index and its
retention, a page per table, the lineage from the pipeline definition, the charts' data."""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from sparkify.docs_site import assets as docs_assets
from sparkify.docs_site import charts as site_charts
from sparkify.docs_site import history as site_history
from sparkify.docs_site import lineage as site_lineage
from sparkify.docs_site import site
from sparkify.pipeline import EXPECTATIONS_DIR
from sparkify.quality.suites import load_suites

NOW = datetime(2026, 12, 3, 12, 0, tzinfo=UTC)


def report(run_id: str, started_at: str, status: str = "succeeded", **extra: Any) -> dict[str, Any]:
    return {
        "run_id": run_id,
        "status": status,
        "started_at": started_at,
        "seconds": 95.4,
        "steps": [
            {"name": "stage", "kind": "job", "status": "succeeded", "seconds": 60.25, "error": None},
            {"name": "model", "kind": "job", "status": "succeeded", "seconds": 10.0, "error": None},
            {"name": "validate", "kind": "job", "status": status, "seconds": 25.0, "error": None},
        ],
        "tables": {"songs": {"rows": 30}, "songplays": {"rows": 401}},
        "quarantined": {"songs": 0, "events": 2},
        "suites": {"songs": {"success": True}, "songplays": {"success": status == "succeeded"}},
        **extra,
    }


OLD = report("run-old", "2026-08-01T00:00:00+00:00")  # 124 days before NOW
MIDDLE = report("run-mid", "2026-11-01T08:00:00+00:00", status="failed")
NEW = report("run-new", "2026-12-02T23:30:00+00:00", seconds=3723.0)


@pytest.fixture(scope="module")
def suites() -> dict[str, dict[str, Any]]:
    return load_suites(EXPECTATIONS_DIR)


def test_kept_runs_are_the_ones_within_the_history_newest_first():
    assert [r["run_id"] for r in site_history.kept([MIDDLE, OLD, NEW], NOW, 90)] == ["run-new", "run-mid"]
    assert [r["run_id"] for r in site_history.kept([MIDDLE, OLD, NEW], NOW, 31)] == ["run-new"]
    assert [r["run_id"] for r in site_history.kept([MIDDLE, OLD, NEW], NOW, 200)] == ["run-new", "run-mid", "run-old"]


def test_the_index_lists_each_run_with_its_status_duration_and_pages():
    page = site_history.render_index([NEW, MIDDLE], with_pages={"run-new"}, history_days=90)
    assert page.index("run-new") < page.index("run-mid")
    assert '<a href="runs/run-new/index.html">run-new</a>' in page
    assert '<a href="runs/run-new/run.html">' in page
    assert "<td>run-mid</td>" in page and "no new pages" in page  # no pages of its own: no link
    assert '<span class="failed">failed</span>' in page
    assert "<td>2026-12-02 23:30:00</td>" in page
    assert "<td class=num>62 min 03 s</td>" in page and "<td class=num>1 min 35 s</td>" in page
    assert "<td class=num>431</td>" in page  # 30 + 401 curated rows
    assert "1 of 2 passed (failed: songplays)" in page
    assert "Every run of the last 90 days, newest first (2 runs)" in page


def test_a_table_page_has_columns_types_descriptions_rules_and_rows(suites):
    pages = site.pages([NEW, MIDDLE, OLD], suites, {"run-new"}, NOW, 90)
    songs = pages["tables/songs.html"]
    assert "<title>songs</title>" in songs
    assert (
        "<tr><td>year</td><td>int</td><td>yes</td><td>Release year; null when unknown (0 in the raw data).</td>"
        in songs
    )
    assert (
        "<tr><td>song_id</td><td>string</td><td>no</td><td>The song&#x27;s id in the Million Song Dataset.</td>"
        in songs
    )
    assert "<td>expect_column_values_to_be_unique</td><td>song_id</td>" in songs
    assert f"Rules ({len(suites['songs']['expectations'])}, suite <code>songs</code>)" in songs
    assert "30 rows published in the latest run (run-new)" in songs
    assert "<tr><td>run-new</td><td class=num>30</td></tr><tr><td>run-mid</td><td class=num>30</td></tr>" in songs
    assert "run-old" not in songs  # beyond the history
    assert "staging <code>songs</code> (raw <code>song_data/</code>)" in songs
    assert sorted(p for p in pages if p.startswith("tables/")) == [
        "tables/artists.html",
        "tables/index.html",
        "tables/songplays.html",
        "tables/songs.html",
        "tables/time.html",
        "tables/users.html",
        "tables/users_history.html",
    ]


def test_the_table_list_counts_what_is_published_and_shows_audit_apart(suites):
    rejected = report(
        "run-rejected",
        "2026-12-03T03:00:00+00:00",
        status="failed",
        tables={"songs": {"rows": 0, "audit": {"rows": 72, "state": "rejected"}}, "songplays": {"rows": 0}},
    )
    listing = site.pages([rejected, NEW], suites, set(), NOW, 90)["tables/index.html"]

    assert "rows (main, published)" in listing and "audit (not published)" in listing
    songs_row = listing[listing.index('<a href="songs.html">songs</a>') :].split("</tr>", 1)[0]
    assert "<td class=num>0</td>" in songs_row and "<td>72 rejected</td>" in songs_row
    plays_row = listing[listing.index('<a href="songplays.html">songplays</a>') :].split("</tr>", 1)[0]
    assert "<td class=num>0</td>" in plays_row and "<td>—</td>" in plays_row


def test_every_curated_column_has_a_description(suites):
    for name in ("songplays", "users", "users_history", "songs", "artists", "time"):
        described = suites[name]["meta"]["columns"]
        columns = [c for c, _, _ in site.site_tables.curated_columns(name)]
        assert list(described) == columns, name


def test_lineage_goes_from_raw_prefixes_through_staging_to_the_star_schema():
    found = {(e.source.label, e.target.label, e.step) for e in site_lineage.edges()}
    assert found == {
        ("song_data/", "staging.songs", "stage"),
        ("song_data/", "quarantine.songs", "stage"),
        ("log_data/", "staging.events", "stage"),
        ("log_data/", "quarantine.events", "stage"),
        ("staging.events", "curated.songplays", "model"),
        ("staging.songs", "curated.songplays", "model"),
        ("staging.events", "curated.users", "model"),
        ("staging.events", "curated.users_history", "model"),
        ("staging.songs", "curated.songs", "model"),
        ("staging.songs", "curated.artists", "model"),
        ("staging.events", "curated.time", "model"),
    }
    page = site_lineage.render_lineage()
    assert page.count('<g class="node"') == 2 + 4 + 6
    assert '<a href="tables/songplays.html">' in page


def test_chart_data_are_the_runs_oldest_first():
    data = site_charts.chart_data([NEW, MIDDLE])
    assert data["duration"][:3] == [
        {"order": 0, "run": "2026-11-01 08:00", "run_id": "run-mid", "step": "stage", "seconds": 60.25},
        {"order": 0, "run": "2026-11-01 08:00", "run_id": "run-mid", "step": "model", "seconds": 10.0},
        {"order": 0, "run": "2026-11-01 08:00", "run_id": "run-mid", "step": "validate", "seconds": 25.0},
    ]
    assert [(r["run_id"], r["table"], r["rows"]) for r in data["rows"]] == [
        ("run-mid", "songs", 30),
        ("run-mid", "songplays", 401),
        ("run-new", "songs", 30),
        ("run-new", "songplays", 401),
    ]
    assert [(r["run_id"], r["source"], r["records"]) for r in data["quarantined"]] == [
        ("run-mid", "songs", 0),
        ("run-mid", "events", 2),
        ("run-new", "songs", 0),
        ("run-new", "events", 2),
    ]


def test_the_site_loads_nothing_remote_and_has_its_chart_library(tmp_path: Path, suites):
    site.write(tmp_path, site.pages([NEW, MIDDLE], suites, set(), NOW, 90))
    assert docs_assets.external_resources(tmp_path) == {}
    charts = (tmp_path / "charts.html").read_text()
    for name in ("vega.min.js", "vega-lite.min.js", "vega-embed.min.js"):
        assert f'<script src="static/vendor/vega/{name}"></script>' in charts
        assert (tmp_path / "static" / "vendor" / "vega" / name).stat().st_size > 50_000
    assert 'vegaEmbed("#chart-duration"' in charts and 'id="chart-quarantined"' in charts
    assert 'id="chart-data_files"' in charts and 'id="chart-metadata_files"' in charts


def test_chart_data_carry_each_tables_health_from_the_reports_that_have_it():
    health = {
        "data_files": 3,
        "most_files_in_a_partition": 2,
        "snapshots": 6,
        "metadata_files": 19,
        "metadata_bytes": 91_000,
    }
    with_lake = report("run-lake", "2026-12-03T03:00:00+00:00", lake={"curated.songs": health})
    data = site_charts.chart_data([with_lake, NEW])  # NEW is from before reports had `lake`
    assert data["lake"] == [
        {"order": 1, "run": "2026-12-03 03:00", "run_id": "run-lake", "table": "curated.songs", **health}
    ]
    assert site_charts.specs(data)["metadata_files"]["encoding"]["y"]["field"] == "metadata_files"


def test_prune_removes_runs_and_quarantine_batches_beyond_the_history(tmp_path: Path):
    import json

    reports, docs, quarantine = tmp_path / "reports", tmp_path / "data_docs", tmp_path / "quarantine"
    for r in (OLD, NEW):
        (reports / "runs" / r["run_id"]).mkdir(parents=True)
        (reports / "runs" / r["run_id"] / "report.json").write_text(json.dumps(r))
        (docs / "runs" / r["run_id"]).mkdir(parents=True)
        (docs / "runs" / r["run_id"] / "index.html").write_text("<html></html>")
    for batch, days_old in (("batch_id=1", 100), ("batch_id=2", 5)):
        part = quarantine / "events" / batch / "part-0.parquet"
        part.parent.mkdir(parents=True)
        part.write_bytes(b"x")
        stamp = NOW.timestamp() - days_old * 86400
        os.utime(part, (stamp, stamp))

    removed = site.prune_local(docs, reports, quarantine, NOW, 90)

    assert sorted(p.relative_to(tmp_path).as_posix() for p in removed) == [
        "data_docs/runs/run-old",
        "quarantine/events/batch_id=1",
        "reports/runs/run-old",
    ]
    assert (reports / "runs" / "run-new" / "report.json").is_file()
    assert (docs / "runs" / "run-new" / "index.html").is_file()
    assert (quarantine / "events" / "batch_id=2").is_dir()


def test_an_interrupted_run_is_listed_as_interrupted_with_why_it_stopped():
    stopped = report(
        "run-stopped",
        "2026-12-02T10:00:00+00:00",
        status="interrupted",
        error="interrupted by SIGINT during step model",
    )
    stopped["steps"][1]["status"], stopped["steps"][2]["status"] = "interrupted", "not run"
    page = site_history.render_index([stopped], with_pages=set(), history_days=90)
    assert '<span class="interrupted">interrupted</span>' in page and '<span class="failed">' not in page
    assert "no new pages: interrupted by SIGINT during step model" in page
