"""The Data Docs site real runs build opens in a real browser: headless Chromium loads it from a loopback
web server (every other host is unresolvable, so a page that needs the network shows it).

Two runs on one lake: the first builds tables, the second finds nothing new. The site's index lists both,
newest first, and links the first run's Great Expectations pages, where every suite's validation result
(suite, asset, status, number of expectations) is on its page, drawn by the site's own copies of jQuery and
bootstrap-table. The table pages, the lineage and the charts are checked too: each chart is an SVG that
vega-embed drew inside its container. Screenshots of each page are kept in test-artifacts/.
"""

from __future__ import annotations

import functools
import html
import json
import re
import subprocess
import threading
from collections.abc import Iterator
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from sparkify.cli.main import app
from sparkify.pipeline import CURATED_TABLES, REPO_ROOT

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = REPO_ROOT / "test-artifacts"
CHROMIUM_TIMEOUT_SECONDS = 90

pytestmark = [
    pytest.mark.slow,  # a whole run, then Chromium
    pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian's chromium is not installed (run .ci/install-chromium)"),
]


@pytest.fixture(scope="module")
def lake(spark: Any, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any]]:
    """A lake built by the local pipeline on small generated data: its Data Docs and its run report."""
    from sparkify.local.runner import run_pipeline
    from sparkify.synthetic.generate import generate

    root = tmp_path_factory.mktemp("browser")
    generate(root / "raw", songs=30, events=500, seed=3)
    report = run_pipeline(root / "raw", root / "lake")
    assert report["status"] == "succeeded", report["steps"]
    again = run_pipeline(root / "raw", root / "lake")  # nothing new: no pages of its own
    assert again["status"] == "succeeded" and again["data_docs_index"] is None, again
    return root / "lake", {**report, "next_run_id": again["run_id"]}


@pytest.fixture(scope="module")
def site_url(lake: tuple[Path, dict[str, Any]]) -> Iterator[str]:
    """The lake's data_docs/ folder served on 127.0.0.1 (a free port), as a browser would get it from S3."""
    site = lake[0] / "data_docs"

    class Quiet(SimpleHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Quiet, directory=str(site)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def chromium(url: str, profile: Path, *extra: str) -> str:
    """Load `url` in headless Chromium; returns stdout (the DOM with --dump-dom). Only loopback resolves."""
    argv = [
        str(CHROMIUM),
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--hide-scrollbars",
        f"--user-data-dir={profile}",
        "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1",
        *extra,
        url,
    ]
    done = subprocess.run(argv, capture_output=True, text=True, timeout=CHROMIUM_TIMEOUT_SECONDS, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


def visible_text(dom: str) -> str:
    """What a reader sees: the DOM without scripts, styles and tags, whitespace collapsed."""
    dom = re.sub(r"<(script|style)\b.*?</\1>", " ", dom, flags=re.S | re.I)
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", dom))).strip()


def test_every_suite_result_is_on_the_data_docs_in_a_browser(
    lake: tuple[Path, dict[str, Any]], site_url: str, tmp_path: Path
) -> None:
    from typer.testing import CliRunner

    lake_dir, report = lake
    # The site the docs verb points at is the one served.
    located = CliRunner().invoke(app, ["docs", "--lake", str(lake_dir), "--json"])
    assert located.exit_code == 0, located.output
    assert Path(json.loads(located.stdout)["index"]) == (lake_dir / "data_docs" / "index.html").resolve()

    run_id = report["run_id"]
    one_run = CliRunner().invoke(app, ["docs", "--lake", str(lake_dir), "--run", run_id, "--json"])
    assert one_run.exit_code == 0, one_run.output
    assert json.loads(one_run.stdout)["index"] == str(
        (lake_dir / "data_docs" / "runs" / run_id / "index.html").resolve()
    )

    # The run's Great Expectations pages, under runs/<run_id>/ of the site.
    profile = tmp_path / "chromium-profile"
    pages = f"{site_url}/runs/{run_id}"
    index_dom = chromium(f"{pages}/index.html", profile, "--dump-dom")
    assert "<title>Data Docs created by Great Expectations</title>" in index_dom
    ARTIFACTS.mkdir(exist_ok=True)
    chromium(f"{pages}/index.html", profile, f"--screenshot={ARTIFACTS / 'data_docs.png'}", "--window-size=1280,900")
    assert (ARTIFACTS / "data_docs.png").stat().st_size > 0

    assert set(report["suites"]) == {t.name for t in CURATED_TABLES}
    for suite, summary in report["suites"].items():
        links = re.findall(rf"validations/{re.escape(suite)}/{re.escape(run_id)}/[^'\"\s]+\.html", index_dom)
        assert links, f"the index lists no validation result of suite {suite} for run {run_id}"
        dom = chromium(f"{pages}/{links[0]}", profile, "--dump-dom")
        # bootstrap-table wraps each result table: its script, served by the site itself, ran offline.
        assert 'class="bootstrap-table' in dom, f"{links[0]}: the page's scripts did not load from the site"
        text = visible_text(dom)
        status = "Succeeded" if summary["success"] else "Failed"
        assert f"Expectation Suite: {suite} " in text, f"{links[0]} does not show suite {suite}"
        assert f"Data asset: {suite} " in text, f"{links[0]} does not name the table it judged"
        assert "newsletter" not in text and "Sparkify Data Docs: every run" in text
        assert f"Status: {status} " in text, f"{links[0]} does not show the result {status}"
        assert f"Evaluated Expectations {summary['evaluated']} " in text
        assert f"Unsuccessful Expectations {summary['failed']} " in text
        assert f"Run Name {run_id} " in text
        if suite == "songplays":
            chromium(
                f"{pages}/{links[0]}",
                profile,
                f"--screenshot={ARTIFACTS / 'data_docs_songplays.png'}",
                "--window-size=1280,900",
            )


def screenshot(url: str, profile: Path, name: str) -> None:
    chromium(url, profile, f"--screenshot={ARTIFACTS / name}", "--window-size=1280,1000", "--virtual-time-budget=10000")
    assert (ARTIFACTS / name).stat().st_size > 0, name


def test_the_site_lists_every_run_and_has_table_lineage_and_chart_pages(
    lake: tuple[Path, dict[str, Any]], site_url: str, tmp_path: Path
) -> None:
    _, report = lake
    profile = tmp_path / "chromium-profile"
    ARTIFACTS.mkdir(exist_ok=True)

    index = visible_text(chromium(f"{site_url}/index.html", profile, "--dump-dom"))
    first, second = report["run_id"], report["next_run_id"]
    assert "(2 runs)" in index
    assert index.index(second) < index.index(first), "newest first"
    assert f"{second} succeeded" in index and f"{first} succeeded" in index
    assert f'href="runs/{first}/index.html"' in chromium(f"{site_url}/index.html", profile, "--dump-dom")
    screenshot(f"{site_url}/index.html", profile, "site_runs.png")

    songplays = visible_text(chromium(f"{site_url}/tables/songplays.html", profile, "--dump-dom"))
    rows = report["tables"]["songplays"]["rows"]
    assert rows == 401  # the generated sample's NextSong events
    assert f"401 rows published in the latest run ({second})" in songplays
    assert "songplay_id string no md5 of the play's natural key" in songplays
    assert "expect_column_values_to_be_unique songplay_id" in songplays
    screenshot(f"{site_url}/tables/songplays.html", profile, "site_table_songplays.png")

    lineage = chromium(f"{site_url}/lineage.html", profile, "--dump-dom")
    assert lineage.count('class="node"') == 12
    assert "staging.events" in lineage and "curated.users_history" in lineage
    screenshot(f"{site_url}/lineage.html", profile, "site_lineage.png")

    # vega-embed draws each chart as an SVG inside its container once the page's scripts have run.
    charts = chromium(f"{site_url}/charts.html", profile, "--dump-dom", "--virtual-time-budget=10000")
    for name in ("duration", "rows", "quarantined"):
        container = charts.split(f'id="chart-{name}"', 1)[1].split('<div class="chart"', 1)[0]
        assert "<svg" in container and 'class="marks"' in container, f"chart {name} was not drawn"
    assert "Duration per step (seconds)" in charts and "Rows per table" in charts
    screenshot(f"{site_url}/charts.html", profile, "site_charts.png")
