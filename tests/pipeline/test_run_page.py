"""The Data Docs run page: the batch's quarantined records and the failing rows by key, read back
from the HTML with a parser."""

from __future__ import annotations

from html.parser import HTMLParser
from pathlib import Path

import pytest

from sparkify import pipeline, schemas
from sparkify.docs_site import run_page
from sparkify.lake.glue_entry import step_metrics_uri
from sparkify.local.runner import load_job
from tests.star_rows import write_lake


class Tables(HTMLParser):
    """Every table's rows as lists of cell texts, and every link's href."""

    def __init__(self) -> None:
        super().__init__()
        self.tables: list[list[list[str]]] = []
        self.links: list[str] = []
        self._cell: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "table":
            self.tables.append([])
        elif tag == "tr":
            self.tables[-1].append([])
        elif tag in ("td", "th"):
            self._cell = []
        elif tag == "a":
            self.links.append(dict(attrs).get("href") or "")

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th") and self._cell is not None:
            self.tables[-1][-1].append("".join(self._cell))
            self._cell = None

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)


def parsed(text: str) -> Tables:
    parser = Tables()
    parser.feed(text)
    return parser


FAILED = {
    "songs": {
        "success": False,
        "evaluated": 9,
        "failed": 1,
        "failed_expectations": [
            {
                "type": "expect_column_values_to_be_between",
                "column": "duration",
                "details": "1 of 21 rows unexpected (e.g. -5.0)",
                "rows": [{"song_id": "SOZZZZZ12AB0187A77", "duration": -5.0}],
            }
        ],
    },
    "users": {"success": True, "evaluated": 7, "failed": 0, "failed_expectations": []},
}
QUARANTINE = run_page.Quarantine(
    batch_id=3,
    total=2,
    reasons=[{"source": "events", "reason": "malformed JSON: incomplete or invalid syntax (cut short?)", "count": 2}],
    records=[
        {"source": "events", "source_file": "s3://raw/log_data/a.json", "line": 4,
         "reason": "malformed JSON: incomplete or invalid syntax (cut short?)", "record": '{"ts": 15'},
        {"source": "events", "source_file": "s3://raw/log_data/a.json", "line": 9,
         "reason": "malformed JSON: incomplete or invalid syntax (cut short?)", "record": "<script>alert(1)</script>"},
    ],
)  # fmt: skip


def test_the_page_names_failing_rows_by_key_and_lists_the_quarantine() -> None:
    page = run_page.render("run-7", FAILED, QUARANTINE)
    found = parsed(page)

    failing, reasons, records = found.tables
    assert failing == [["song_id", "duration"], ["SOZZZZZ12AB0187A77", "-5.0"]]
    assert reasons[1:] == [["events", "malformed JSON: incomplete or invalid syntax (cut short?)", "2"]]
    assert [row[1:3] for row in records[1:]] == [["s3://raw/log_data/a.json", "4"], ["s3://raw/log_data/a.json", "9"]]
    assert records[2][4] == "<script>alert(1)</script>", "the raw text is shown as text"
    assert "<script>" not in page, "and never runs as markup"
    assert "songs: expect_column_values_to_be_between (duration)" in page
    assert "index.html" in found.links


def test_a_clean_run_says_so() -> None:
    passed = {"users": FAILED["users"]}
    page = run_page.render("run-8", passed, run_page.Quarantine(batch_id=4))
    assert "Every suite passed (1 suites)" in page and "Batch 4 quarantined no record" in page
    assert parsed(page).tables == []
    assert "read no new raw file" in run_page.render("run-9", passed, run_page.Quarantine(batch_id=None))


def test_the_index_links_the_page_once(tmp_path: Path) -> None:
    (tmp_path / "index.html").write_text('<html><body class="x"><p>GX</p></body></html>')
    run_page.add_to_site(tmp_path, "run-7", FAILED, QUARANTINE)
    run_page.add_to_site(tmp_path, "run-7", FAILED, QUARANTINE)
    index = (tmp_path / "index.html").read_text()
    assert parsed(index).links == ["run.html"]
    assert index.index('href="run.html"') < index.index("<p>GX</p>"), "at the top of the page"
    assert (tmp_path / "run.html").is_file()


@pytest.mark.slow  # the validate job over a lake
def test_the_validate_job_puts_the_runs_quarantine_on_the_page(spark, tmp_path: Path) -> None:
    args = write_lake(spark, tmp_path, next_song_events=3)
    # What the stage step of this run left: its metrics and batch 5's quarantined records.
    (tmp_path / "reports" / "runs" / "run-1").mkdir(parents=True)
    Path(step_metrics_uri(args[pipeline.Location.REPORTS], "run-1", "stage")).write_text('{"batch_id": 5}')
    rejected = [("events", "/raw/log_data/b.json", n, "{cut", "malformed JSON: invalid syntax") for n in (2, 7)]
    spark.createDataFrame(rejected, schemas.QUARANTINE).write.parquet(
        str(Path(args[pipeline.Location.QUARANTINE]) / "events" / "batch_id=5")
    )

    metrics = load_job(pipeline.step("validate")).run(spark, args)

    assert metrics["status"] == "succeeded"
    page = (tmp_path / "data_docs" / "runs" / "run-1" / "run.html").read_text()
    found = parsed(page)
    assert [row[1:3] for row in found.tables[-1][1:]] == [["/raw/log_data/b.json", "2"], ["/raw/log_data/b.json", "7"]]
    assert "Batch 5 quarantined 2 record(s)" in page and "Every suite passed (6 suites)" in page
    assert "run.html" in parsed((tmp_path / "data_docs" / "runs" / "run-1" / "index.html").read_text()).links
