"""The Data Docs site a real run builds opens in a real browser: headless Chromium loads it from a loopback
web server, and every suite's validation result (suite, status, number of expectations) is on its page.

The site's index draws its table of results with jQuery and bootstrap-table from public CDNs, which are out of
reach offline (and blocked here, so the test never waits on the network); the index is checked for a link to
each suite's validation page, and each of those pages, static HTML, for the result itself. A screenshot of
the index and of the songplays result is kept in test-artifacts/.
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

from sparkify.cli import app
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
    from sparkify.generate import generate
    from sparkify.runner import run_pipeline

    root = tmp_path_factory.mktemp("browser")
    generate(root / "raw", songs=30, events=500, seed=3)
    report = run_pipeline(root / "raw", root / "lake")
    assert report["status"] == "succeeded", report["steps"]
    return root / "lake", report


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

    profile = tmp_path / "chromium-profile"
    index_dom = chromium(f"{site_url}/index.html", profile, "--dump-dom")
    assert "<title>Data Docs created by Great Expectations</title>" in index_dom
    ARTIFACTS.mkdir(exist_ok=True)
    chromium(
        f"{site_url}/index.html", profile, f"--screenshot={ARTIFACTS / 'data_docs.png'}", "--window-size=1280,900"
    )
    assert (ARTIFACTS / "data_docs.png").stat().st_size > 0

    run_id = report["run_id"]
    assert set(report["suites"]) == {t.name for t in CURATED_TABLES}
    for suite, summary in report["suites"].items():
        links = re.findall(rf"validations/{re.escape(suite)}/{re.escape(run_id)}/[^'\"\s]+\.html", index_dom)
        assert links, f"the index lists no validation result of suite {suite} for run {run_id}"
        dom = chromium(f"{site_url}/{links[0]}", profile, "--dump-dom")
        # bootstrap-table wraps each result table: its script, served by the site itself, ran offline.
        assert 'class="bootstrap-table' in dom, f"{links[0]}: the page's scripts did not load from the site"
        text = visible_text(dom)
        status = "Succeeded" if summary["success"] else "Failed"
        assert f"Expectation Suite: {suite} " in text, f"{links[0]} does not show suite {suite}"
        assert f"Status: {status} " in text, f"{links[0]} does not show the result {status}"
        assert f"Evaluated Expectations {summary['evaluated']} " in text
        assert f"Unsuccessful Expectations {summary['failed']} " in text
        assert f"Run Name {run_id} " in text
        if suite == "songplays":
            chromium(
                f"{site_url}/{links[0]}",
                profile,
                f"--screenshot={ARTIFACTS / 'data_docs_songplays.png'}",
                "--window-size=1280,900",
            )

