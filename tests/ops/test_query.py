"""`sparkify query`: the named queries of sparkify/queries.py, locally over a lake's curated Iceberg tables
(pyiceberg and DuckDB, no Spark), or in the stack's Athena workgroup and database (moto answers with canned
rows: the plumbing is tested, not Athena's SQL)."""

from __future__ import annotations

import json
import subprocess
import sys
import urllib.request
from datetime import datetime
from pathlib import Path

import boto3
import pytest

from sparkify.cli.main import app
from sparkify.local.runner import run_pipeline
from sparkify.local.session import register_local_catalog
from sparkify.queries import QUERIES
from tests.documents import assert_document
from tests.helpers import event, song, write_log, write_song
from tests.ops.fake_aws import Deployed


def _queue_athena_result(
    endpoint: str, columns: list[str], rows: list[list[str | None]], types: list[str] | None = None
) -> None:
    """The next Athena query in moto returns these rows (as Athena sends them: text), after the header row
    Athena puts first, with these column types (default: all varchar)."""
    payload = {
        "results": [
            {
                "rows": [{"Data": [{} if v is None else {"VarCharValue": v} for v in row]} for row in [columns, *rows]],
                "column_info": [
                    {
                        "CatalogName": "hive",
                        "SchemaName": "",
                        "TableName": "",
                        "Name": c,
                        "Label": c,
                        "Type": t,
                        "Precision": 0,
                        "Scale": 0,
                        "Nullable": "UNKNOWN",
                        "CaseSensitive": True,
                    }
                    for c, t in zip(columns, types or ["varchar"] * len(columns), strict=False)
                ],
            }
        ]
    }
    request = urllib.request.Request(
        f"{endpoint}/moto-api/static/athena/query-results",
        data=json.dumps(payload).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        assert response.status == 201


def test_query_in_athena_runs_the_named_sql_in_the_stack_workgroup(dev: Deployed, aws: str, cli) -> None:
    _queue_athena_result(aws, ["level", "plays", "users"], [["free", "1203", "71"], ["paid", "5617", "22"]])

    result = cli.invoke(app, ["query", "plays_by_level", "--stack", "dev"])

    assert result.exit_code == 0, result.output
    rows = [line.split() for line in result.stdout.splitlines()]
    assert ["level", "plays", "users"] in rows
    assert ["free", "1203", "71"] in rows
    assert ["paid", "5617", "22"] in rows
    assert rows[[r[:1] for r in rows].index(["level"])] == ["level", "plays", "users"]  # the header row is not data
    assert "2 rows from athena:sparkify-dev/sparkify_dev" in result.stdout
    athena = boto3.client("athena")
    [execution_id] = athena.list_query_executions(WorkGroup="sparkify-dev")["QueryExecutionIds"]
    execution = athena.get_query_execution(QueryExecutionId=execution_id)["QueryExecution"]
    assert execution["Query"] == QUERIES["plays_by_level"]
    assert execution["QueryExecutionContext"]["Database"] == "sparkify_dev"
    assert execution["WorkGroup"] == "sparkify-dev"


def test_years_and_ids_print_as_they_are_counts_grouped(dev: Deployed, aws: str, cli) -> None:
    _queue_athena_result(
        aws, ["year", "user_id", "plays"], [["2018", "12345", "1234"]], ["integer", "bigint", "bigint"]
    )

    result = cli.invoke(app, ["query", "songplays_star_join", "--stack", "dev"])

    assert result.exit_code == 0, result.output
    assert ["2018", "12345", "1,234"] in [line.split() for line in result.stdout.splitlines()]


def test_query_json_from_athena(dev: Deployed, aws: str, cli) -> None:
    _queue_athena_result(aws, ["hour", "plays"], [["0", "12"], ["1", "7"]])

    result = cli.invoke(app, ["query", "songs_played_by_hour", "--stack", "dev", "--json"])

    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert_document("query-result", data)
    assert data["query"] == "songs_played_by_hour"
    assert data["columns"] == ["hour", "plays"]
    assert data["rows"] == [["0", "12"], ["1", "7"]]
    assert data["source"] == "athena:sparkify-dev/sparkify_dev"
    assert data["query_execution_id"]


def test_athena_results_are_typed_as_local_ones(dev: Deployed, aws: str, cli) -> None:
    """Athena sends every value as text; its column types make numbers numbers, and timestamps and
    decimals the text a local query gives (UTC wall time, Python's datetime form)."""
    _queue_athena_result(
        aws,
        ["start_time", "hour", "user_id", "duration", "level", "title"],
        [
            ["2018-11-01 21:01:46.796", "21", "8", "200.50", "free", None],
            ["2018-11-01 23:00:00.000", "23", "15", "180.00", "paid", "Beta"],
        ],
        ["timestamp", "integer", "bigint", "decimal", "varchar", "varchar"],
    )

    result = cli.invoke(app, ["query", "songplays_star_join", "--stack", "dev", "--json"])

    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["rows"] == [
        ["2018-11-01 21:01:46.796000", 21, 8, "200.50", "free", None],
        ["2018-11-01 23:00:00", 23, 15, "180.00", "paid", "Beta"],
    ]


def test_an_unknown_query_lists_the_known_ones(cli) -> None:
    result = cli.invoke(app, ["query", "top_artists", "--lake", "lake"])

    assert result.exit_code == 2
    assert result.stderr.startswith(
        "error: no query named 'top_artists'; queries: songs_played_by_hour, top_user_agents"
    )


def test_query_without_a_name_lists_the_queries(cli) -> None:
    result = cli.invoke(app, ["query", "--json"])

    listed = json.loads(result.stdout)
    assert listed["schema_version"] == "sparkify.query-list/1"
    assert [q["name"] for q in listed["queries"]] == list(QUERIES)


def test_query_on_a_lake_without_curated_tables(cli, tmp_path: Path) -> None:
    result = cli.invoke(app, ["query", "top_songs", "--lake", str(tmp_path)])

    assert result.exit_code == 2
    assert f"no curated table artists, songplays, songs under {tmp_path}/curated" in result.stderr


@pytest.fixture
def tiny_lake(spark, tmp_path: Path) -> Path:
    """A lake whose songplays table holds three plays written by hand: one free, two paid by one user."""
    lake = tmp_path / "lake"
    rows = [
        (1, datetime(2018, 11, 1, 21, 1), "8", "free", "SOA", "ARA", 139, "Phoenix, AZ", "Mozilla/5.0", 2018, 11),
        (2, datetime(2018, 11, 1, 21, 5), "15", "paid", None, None, 140, "Chicago, IL", "Mozilla/5.0", 2018, 11),
        (3, datetime(2018, 11, 2, 9, 30), "15", "paid", "SOB", "ARB", 141, "Chicago, IL", None, 2018, 11),
    ]
    columns = "songplay_id start_time user_id level song_id artist_id session_id location user_agent year month"
    plays = spark.createDataFrame(rows, columns.split())
    table = f"{register_local_catalog(spark, lake.resolve())}.curated.songplays"
    plays.writeTo(table).partitionedBy("year", "month").create()
    # The audit branch holds one more play that no suite has passed: only `--branch audit` shows it.
    spark.sql(f"ALTER TABLE {table} CREATE BRANCH audit")
    plays.limit(1).writeTo(f"{table}.branch_audit").append()
    return lake


def test_query_on_a_lake_runs_without_spark(tiny_lake: Path, cli) -> None:
    result = cli.invoke(app, ["query", "plays_by_level", "--lake", str(tiny_lake), "--json"])

    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert_document("query-result", data)
    assert data["columns"] == ["level", "plays", "users"]
    assert data["rows"] == [["free", 1, 1], ["paid", 2, 1]]
    assert data["source"] == str(tiny_lake)


def test_query_on_a_lake_reads_the_audit_branch_when_asked(tiny_lake: Path, cli) -> None:
    result = cli.invoke(app, ["query", "plays_by_level", "--lake", str(tiny_lake), "--branch", "audit", "--json"])

    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["rows"] == [["free", 2, 1], ["paid", 2, 1]]
    assert data["source"] == f"{tiny_lake} (branch audit)"


def test_query_on_a_lake_prints_a_table(tiny_lake: Path, cli) -> None:
    result = cli.invoke(app, ["query", "top_user_agents", "--lake", str(tiny_lake)])

    assert result.exit_code == 0, result.output
    rows = [line.split() for line in result.stdout.splitlines()]
    assert ["user_agent", "plays"] in rows
    assert ["Mozilla/5.0", "2"] in rows
    assert f"1 row from {tiny_lake}" in result.stdout


# ---------------------------------------------------------------------------------------------------------
# A lake written by real runs of the pipeline, from raw data written by hand: every answer below is counted
# from these lines, not read back from the tables.

ALPHA = song(
    song_id="SOAAAAAAAAAAAAAAA1", title="Alpha", artist_id="ARAAAAAAAAAAAAAAA1", artist_name="Ann", duration=200.0
)
BETA = song(
    song_id="SOBBBBBBBBBBBBBBB2", title="Beta", artist_id="ARBBBBBBBBBBBBBBB2", artist_name="Bob", duration=180.5
)
KAYLEE = {"userId": "8", "firstName": "Kaylee", "lastName": "Summers", "level": "free", "sessionId": 139}
LILY = {
    "userId": "15",
    "firstName": "Lily",
    "lastName": "Koch",
    "gender": "F",
    "level": "paid",
    "sessionId": 200,
    "location": "Chicago-Naperville-Elgin, IL-IN-WI",
    "userAgent": "curl/7.0",
}


@pytest.fixture(scope="module")
def run_lake(spark, tmp_path_factory) -> Path:
    """Day one is published; day two's run fails the songs suite (a negative duration), so its play of
    Beta stays on the `audit` branch only."""
    base = tmp_path_factory.mktemp("query-lake")
    raw, lake = base / "raw", base / "lake"
    write_song(raw, "TRAAAAA128F4287B01", ALPHA)
    write_song(raw, "TRBBBBB128F4287B02", BETA)
    write_log(
        raw,
        "2018-11-01",
        [
            event(
                **KAYLEE, song="Alpha", artist="Ann", length=200.0, ts=1541106106796, itemInSession=1
            ),  # 21:01:46.796
            event(
                **KAYLEE, song="Alpha", artist="Ann", length=200.0, ts=1541106406796, itemInSession=2
            ),  # 21:06:46.796
            event(**KAYLEE, page="Home", song=None, artist=None, length=None, ts=1541106500000, itemInSession=3),
            event(**LILY, song="Beta", artist="Bob", length=180.5, ts=1541113200000, itemInSession=0),  # 23:00:00
            event(
                **{**LILY, "userAgent": None},
                song="Unknown",
                artist="Nobody",
                length=100.0,
                ts=1541113500000,
                itemInSession=1,
            ),  # 23:05:00, matches no song
        ],
    )
    assert run_pipeline(raw, lake)["status"] == "succeeded"
    write_song(
        raw,
        "TRCCCCC128F4287B03",
        song(
            song_id="SOCCCCCCCCCCCCCCC3",
            title="Gamma",
            artist_id="ARCCCCCCCCCCCCCCC3",
            artist_name="Cat",
            duration=-5.0,
        ),
    )
    write_log(
        raw,
        "2018-11-02",
        [
            event(
                **{**LILY, "sessionId": 201}, song="Beta", artist="Bob", length=180.5, ts=1541152800000, itemInSession=0
            ),  # 10:00
        ],
    )
    assert run_pipeline(raw, lake)["status"] == "failed"
    return lake


def _answer(cli, lake: Path, name: str, *extra: str) -> dict[str, object]:
    result = cli.invoke(app, ["query", name, "--lake", str(lake), "--json", *extra])
    assert result.exit_code == 0, result.output
    data: dict[str, object] = json.loads(result.stdout)
    return data


@pytest.mark.slow
@pytest.mark.parametrize(
    "name, columns, rows",
    [
        ("plays_by_level", ["level", "plays", "users"], [["free", 2, 1], ["paid", 2, 1]]),
        ("songs_played_by_hour", ["hour", "plays"], [[21, 2], [23, 2]]),
        ("top_user_agents", ["user_agent", "plays"], [["Mozilla/5.0", 2], ["curl/7.0", 1]]),
        ("top_songs", ["title", "artist", "plays"], [["Alpha", "Ann", 2], ["Beta", "Bob", 1]]),
    ],
)
def test_named_queries_on_a_run_lake_answer_from_the_published_tables(
    run_lake: Path, cli, name: str, columns: list[str], rows: list[list[object]]
) -> None:
    data = _answer(cli, run_lake, name)
    assert (data["columns"], data["rows"], data["source"]) == (columns, rows, str(run_lake))


@pytest.mark.slow
def test_the_star_join_is_typed_as_local_spark_gave_it(run_lake: Path, cli) -> None:
    """Numbers stay numbers; timestamps are UTC wall time as text (no fraction when it is zero, as Python's
    datetime prints it); a play that matched no song has nulls for the song's columns."""
    data = _answer(cli, run_lake, "songplays_star_join")
    rows = data["rows"]
    assert isinstance(rows, list)
    assert all(isinstance(r[0], str) and len(r[0]) == 32 for r in rows)  # songplay_id: an md5
    assert [r[1:] for r in rows] == [
        [
            "2018-11-01 21:01:46.796000",
            2018,
            11,
            4,
            21,
            8,
            "Kaylee",
            "Summers",
            "free",
            "Alpha",
            200.0,
            "Ann",
            "Phoenix-Mesa-Scottsdale, AZ",
            "Mozilla/5.0",
        ],
        [
            "2018-11-01 21:06:46.796000",
            2018,
            11,
            4,
            21,
            8,
            "Kaylee",
            "Summers",
            "free",
            "Alpha",
            200.0,
            "Ann",
            "Phoenix-Mesa-Scottsdale, AZ",
            "Mozilla/5.0",
        ],
        [
            "2018-11-01 23:00:00",
            2018,
            11,
            4,
            23,
            15,
            "Lily",
            "Koch",
            "paid",
            "Beta",
            180.5,
            "Bob",
            "Chicago-Naperville-Elgin, IL-IN-WI",
            "curl/7.0",
        ],
        [
            "2018-11-01 23:05:00",
            2018,
            11,
            4,
            23,
            15,
            "Lily",
            "Koch",
            "paid",
            None,
            None,
            None,
            "Chicago-Naperville-Elgin, IL-IN-WI",
            None,
        ],
    ]


@pytest.mark.slow
def test_the_audit_branch_holds_what_the_failed_run_wrote(run_lake: Path, cli) -> None:
    audit = _answer(cli, run_lake, "top_songs", "--branch", "audit")
    assert audit["rows"] == [["Alpha", "Ann", 2], ["Beta", "Bob", 2]]
    assert audit["source"] == f"{run_lake} (branch audit)"
    assert _answer(cli, run_lake, "plays_by_level", "--branch", "audit")["rows"] == [["free", 2, 1], ["paid", 3, 1]]


@pytest.mark.slow
def test_a_table_never_published_is_one_error_line_not_zero_rows(run_lake: Path, cli, tmp_path: Path) -> None:
    """Only the audit branch of a first run that failed has rows; `main` has none yet: the query says so
    (exit 2) instead of answering 0 rows, and `--branch audit` reads what waits."""
    import shutil

    lake = tmp_path / "lake"
    shutil.copytree(run_lake, lake)
    metadata = lake / "curated" / "songplays" / "metadata"
    refs = json.loads((metadata / f"v{(metadata / 'version-hint.text').read_text().strip()}.metadata.json").read_text())
    assert set(refs["refs"]) == {"main", "audit"}
    # Drop `main` from the newest metadata, as a table whose first audit failed has it.
    refs["refs"].pop("main")
    refs["current-snapshot-id"] = -1
    hint = metadata / "version-hint.text"
    version = int(hint.read_text().strip()) + 1
    (metadata / f"v{version}.metadata.json").write_text(json.dumps(refs))
    hint.write_text(str(version))
    never = cli.invoke(app, ["query", "plays_by_level", "--lake", str(lake)])
    assert never.exit_code == 2
    assert never.stderr == (
        f"error: {lake} has never published songplays: no run has passed its audit yet; "
        f"`sparkify diff --lake {lake}` shows what waits on the audit branch\n"
    )
    assert _answer(cli, lake, "plays_by_level", "--branch", "audit")["rows"] == [["free", 2, 1], ["paid", 3, 1]]


def test_a_table_without_the_branch_asked_for_is_one_error_line(cli, tmp_path: Path, spark) -> None:
    lake = tmp_path / "lake"
    table = f"{register_local_catalog(spark, lake.resolve())}.curated.songplays"
    spark.createDataFrame([("1", "free", 8)], "songplay_id string, level string, user_id int").writeTo(table).create()

    result = cli.invoke(app, ["query", "plays_by_level", "--lake", str(lake), "--branch", "audit"])

    assert result.exit_code == 2
    assert result.stderr.strip() == "error: table songplays has no branch 'audit' (no run has written to it yet)"


def test_a_local_query_starts_no_spark(tiny_lake: Path) -> None:
    """In a fresh interpreter, as the command runs: the answer comes without importing PySpark."""
    code = (
        "import sys; from pathlib import Path; from sparkify.ops.query import run_local; "
        f"r = run_local(Path({str(tiny_lake)!r}), 'plays_by_level'); "
        "print(r.rows, sorted(m for m in sys.modules if m.split('.')[0] in ('pyspark', 'py4j')))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[['free', 1, 1], ['paid', 2, 1]] []"
