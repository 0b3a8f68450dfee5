"""Data quality of the curated tables with Great Expectations 1.x: validate, build Data Docs (suites are read
by `sparkify.quality.suites`).

One suite per curated table lives in `expectations/<table>.json` (GX 1.x suite JSON). Two kinds of rule
span more than one table, and GX has no built-in cross-table expectation that runs on Spark:

- Foreign keys (and other joins): every table handed to `validate` is registered as a Spark temp view
  under its own name, so a suite's `expect_no_unexpected_rows` (`sparkify.quality.gx_rules`: GX's
  `unexpected_rows_expectation`, its query run once) can join `{batch}` to, say, `users`
  (`... WHERE NOT EXISTS (SELECT 1 FROM users ...)`). It is an anti-join, so it scales with the tables,
  unlike a `value_set` of every key. Such expectations name the table they need in `meta.references`;
  `validate` refuses to run when that table is not given.
- Reconciliation with staging, and rules tied to the run's date: `{"$PARAMETER": name}` values (the
  staging NextSong event count, the latest start time a play may have) are passed in by the caller and
  substituted by GX at validation time.

GX is imported lazily (it takes seconds), so reading suites and the job's wiring stay cheap.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sparkify.docs_site import run_page
from sparkify.docs_site.assets import localize_site
from sparkify.docs_site.publish import is_s3, upload_site
from sparkify.layout import run_dir
from sparkify.quality.suites import WHOLE_TABLE, expectation_column, referenced_tables, split_suite, suite_parameters

if TYPE_CHECKING:
    from great_expectations import ExpectationSuite
    from pyspark.sql import DataFrame

SITE_NAME = "sparkify"

Summary = dict[str, Any]  # {"success", "evaluated", "failed", "failed_expectations": [...]}

# How far past the run's date a play may start: a day covers a run scheduled before the day's last
# events came in and clocks a little ahead. Much later is a wrong clock or unit, whatever its year.
FUTURE_SLACK = timedelta(days=1)


def latest_start_time(run_moment: datetime) -> str:
    """The suites' `latest_start_time`: the latest start a play of a run at `run_moment` may have, as
    ISO 8601 in UTC (Spark compares it with a timestamp as a timestamp; it stays JSON in the metrics)."""
    return (run_moment + FUTURE_SLACK).astimezone(UTC).isoformat(timespec="seconds")


def unchanged(published_snapshot: int | None) -> Summary:
    """The summary of a suite not judged again: its table and the tables its rules join to are as
    published (at `published_snapshot`), which they were only after the suite passed on them."""
    return {
        "success": True,
        "evaluated": 0,
        "failed": 0,
        "failed_expectations": [],
        "unchanged_since_snapshot": published_snapshot,
    }


def merge_summaries(parts: list[Summary]) -> Summary:
    return {
        "success": all(p["success"] for p in parts),
        "evaluated": sum(p["evaluated"] for p in parts),
        "failed": sum(p["failed"] for p in parts),
        "failed_expectations": [e for p in parts for e in p["failed_expectations"]],
    }


# --- Validating -----------------------------------------------------------------------------------------


def _gx() -> Any:
    os.environ["GX_ANALYTICS_ENABLED"] = "false"
    import great_expectations

    import sparkify.quality.gx_rules  # noqa: F401  (registers the suites' `expect_no_unexpected_rows`)

    return great_expectations


def preload() -> None:
    """Import GX ahead of need (it takes about 4 s, mostly SciPy): the local run does it in a thread while
    Spark stages and models, so validation does not wait for it."""
    _gx()


def to_gx_suite(suite: Mapping[str, Any]) -> ExpectationSuite:
    """A GX suite from its JSON. GX logs and drops an expectation it cannot parse: here that is an error.

    `meta.notes` (why each rule exists) is copied to the `notes` field, which Data Docs render.
    """
    _gx()
    from great_expectations import ExpectationSuite

    expectations = [
        {**exp, "notes": exp.get("notes") or exp.get("meta", {}).get("notes")} for exp in suite["expectations"]
    ]
    meta = dict(suite.get("meta") or {})
    built = ExpectationSuite(
        name=suite["name"], expectations=expectations, meta=meta, notes=suite.get("notes") or meta.get("notes")
    )
    if len(built.expectations) != len(expectations):
        kept = {e.expectation_type for e in built.expectations}
        bad = sorted({e["type"] for e in expectations} - kept) or ["(see the GX log above)"]
        raise ValueError(f"suite {suite['name']!r}: GX rejected expectations of type {', '.join(bad)}")
    return built


def _context(docs_dir: Path | None) -> Any:
    """An in-memory GX context without analytics or progress bars; a Data Docs site at `docs_dir`, if any."""
    _gx()
    from great_expectations.data_context.data_context.context_factory import get_context
    from great_expectations.data_context.types.base import (
        DataContextConfig,
        InMemoryStoreBackendDefaults,
        ProgressBarsConfig,
    )

    sites = {}
    if docs_dir is not None:
        sites[SITE_NAME] = {
            "class_name": "SiteBuilder",
            "show_how_to_buttons": False,
            "store_backend": {"class_name": "TupleFilesystemStoreBackend", "base_directory": str(docs_dir)},
            "site_index_builder": {"class_name": "DefaultSiteIndexBuilder"},
        }
    config = DataContextConfig(
        store_backend_defaults=InMemoryStoreBackendDefaults(),
        data_docs_sites=sites,
        analytics_enabled=False,
        progress_bars=ProgressBarsConfig(globally=False),
    )
    context = get_context(mode="ephemeral", project_config=config)
    _name_assets(context.validation_results_store)
    return context


def _name_assets(store: Any) -> None:
    """Have every stored validation result name its data asset, so its Data Docs page says which table
    it judged. GX's page header reads the name from the batch spec, which a DataFrame batch leaves
    without one (`Data asset: None`); the batch definition the result was run on has it."""
    store_results = store.store_validation_results

    def named(suite_validation_result: Any, **kwargs: Any) -> Any:
        meta = suite_validation_result.meta
        asset = (meta.get("active_batch_definition") or {}).get("data_asset_name")
        if asset and not (meta.get("batch_spec") or {}).get("data_asset_name"):
            meta["batch_spec"] = {**(meta.get("batch_spec") or {}), "data_asset_name": asset}
        return store_results(suite_validation_result=suite_validation_result, **kwargs)

    store.store_validation_results = named


def validate(
    tables: Mapping[str, DataFrame],
    suites: Mapping[str, Mapping[str, Any]],
    parameters: Mapping[str, Any] | None = None,
    docs_dir: str | Path | None = None,
    run_name: str | None = None,
    changed: Mapping[str, DataFrame] | None = None,
) -> dict[str, Summary]:
    """Validate each table against the suite of the same name; one GX validation per table, `SIDE_BY_SIDE`
    at a time from threads of the session (each SQL rule reads its batch under a view of its own name).

    With `changed[name]` (the rows a merge added or changed), the suite's row-local rules judge only
    those rows and its table-wide rules (`TABLE_WIDE`) the whole table: two validations, one summary.

    `tables` holds every table a suite names (its own and the ones its queries reference); each is
    visible to the queries as a temp view of its name for the duration. `parameters`
    fills the suites' `$PARAMETER` values. With `docs_dir`, Data Docs (index.html and one validation
    page per suite) are built there. Returns a plain, JSON-ready summary per suite.
    """
    parameters = dict(parameters or {})
    _check_inputs(tables, suites, parameters)
    gx = _gx()
    from great_expectations.core.run_identifier import RunIdentifier

    context = _context(Path(docs_dir) if docs_dir is not None else None)
    source = context.data_sources.add_spark("curated", persist=False)  # caching is done here, once per table
    run_id = RunIdentifier(run_name=run_name)
    changed = dict(changed or {})
    # Only the changed rows are cached: each is an Iceberg changelog, worked out again by every job
    # that reads it. A whole table is read again by each of its suite's jobs, which is cheaper than
    # caching it: the cache is built by one task per data file (one per month) and costs six times a
    # read of every column; most jobs read a column or two (M's six suites, one process, warm: 10.3-12.2 s
    # with the tables cached, 6.1-6.7 s without).
    cached = [df for df in changed.values() if not df.is_cached]
    try:
        for df in cached:
            df.cache()
        for name, df in tables.items():
            df.createOrReplaceTempView(name)
        checks = [
            _Check(name, part, frame, _definition(gx, context, source, part))
            for name, suite in suites.items()
            for part, frame in _parts(name, suite, tables, changed)
            if part["expectations"]
        ]

        def judge(check: _Check) -> Any:
            return check.definition.run(
                batch_parameters={"dataframe": check.frame},
                expectation_parameters=parameters,
                # Pass or fail only: no counts or sample values, which cost Spark jobs of their own
                # (a new day's validation: 17.5 s → 12.7 s). What failed is run again in detail.
                result_format="BOOLEAN_ONLY",
                run_id=run_id,
            )

        # Side by side: one suite's Spark jobs run while another's GX works out what to ask next.
        with ThreadPoolExecutor(SIDE_BY_SIDE, thread_name_prefix="suite") as pool:
            results = list(pool.map(judge, checks))
        parts: dict[str, list[Summary]] = {}
        for check, result in zip(checks, results, strict=True):
            explained = explain_failures(
                context, source, check.part["name"], check.frame, check.part, result, parameters, run_id
            )
            parts.setdefault(check.table, []).append(explained)
        summaries = {name: merge_summaries(parts.get(name, [])) for name in suites}
        if docs_dir is not None:
            context.build_data_docs(site_names=[SITE_NAME])
            localize_site(docs_dir)  # pages load their CSS and JS from the site, not from CDNs
        return summaries
    finally:
        for name, df in tables.items():
            df.sparkSession.catalog.dropTempView(name)
        for df in cached:
            df.unpersist()


# Suites validated at once. Two on two cores: a new day's validate step 12.05 s → 11.15 s (medians
# of five paired runs, docs/performance-notes.md); more would only queue for the same cores.
SIDE_BY_SIDE = 2


@dataclass(frozen=True)
class _Check:
    """One GX validation: a suite's part (`split_suite`) on the frame it judges."""

    table: str
    part: dict[str, Any]
    frame: DataFrame
    definition: Any


def _parts(
    name: str, suite: Mapping[str, Any], tables: Mapping[str, DataFrame], changed: Mapping[str, DataFrame]
) -> list[tuple[dict[str, Any], DataFrame]]:
    """What a suite judges: with changed rows, its row-local rules on them and the rest on the whole table."""
    if name not in changed:
        return [(dict(suite), tables[name])]
    rows, whole = split_suite(suite)
    return [(rows, changed[name]), (whole, tables[name])]


def _definition(gx: Any, context: Any, source: Any, part: Mapping[str, Any]) -> Any:
    """A validation definition of the suite `part` on a DataFrame asset of its name."""
    asset = part["name"]
    batch_definition = source.add_dataframe_asset(asset).add_batch_definition_whole_dataframe(asset)
    suite = context.suites.add(to_gx_suite(part))
    return context.validation_definitions.add(gx.ValidationDefinition(name=asset, data=batch_definition, suite=suite))


def validate_and_publish(
    tables: Mapping[str, DataFrame],
    suites: Mapping[str, Mapping[str, Any]],
    parameters: Mapping[str, Any],
    docs_uri: str,
    run_id: str,
    changed: Mapping[str, DataFrame] | None = None,
    quarantine: run_page.Quarantine | None = None,
    origins: Callable[[], Mapping[str, DataFrame]] | None = None,
    would_publish: Callable[[], Mapping[str, Any]] | None = None,
) -> tuple[dict[str, Summary], str]:
    """`validate` with Data Docs published at `docs_uri`; returns the summaries and the index of this
    run's pages. With `quarantine`, the site gets the run page (`sparkify.docs_site.run_page`): the batch's
    quarantined records and the failing rows by key. With `origins` (per table, the staged records' keys,
    raw files and lines: `sparkify.transforms.origins`) each failing row names its raw file and line; with
    `would_publish`: what waits on `audit`, for the run page. Both are called only when a suite fails.

    A local folder gets the run's pages in `runs/<run_id>/` (GX builds a site of one run; the pages of
    earlier runs stay beside it, and `sparkify.docs_site.site` writes the index of them all). An `s3://`
    location gets them through a temporary folder on the driver, uploaded to `runs/<run_id>/` and
    `latest/` (GX 1.x has no S3 site store since 1.13).
    """
    if not is_s3(docs_uri):
        site = Path(docs_uri) / run_dir(run_id)
        if site.exists():
            shutil.rmtree(site)  # a replayed run id: its pages are built again, not mixed with the old ones
        summaries = validate(tables, suites, parameters, docs_dir=site, run_name=run_id, changed=changed)
        _explain(site, run_id, summaries, quarantine, origins, would_publish)
        return summaries, str(site / "index.html")
    with tempfile.TemporaryDirectory(prefix="data_docs_") as site_dir:
        summaries = validate(tables, suites, parameters, docs_dir=site_dir, run_name=run_id, changed=changed)
        _explain(Path(site_dir), run_id, summaries, quarantine, origins, would_publish)
        return summaries, upload_site(site_dir, docs_uri, run_id)


def _explain(
    site: Path,
    run_id: str,
    summaries: dict[str, Summary],
    quarantine: run_page.Quarantine | None,
    origins: Callable[[], Mapping[str, DataFrame]] | None,
    would_publish: Callable[[], Mapping[str, Any]] | None,
) -> None:
    """What a failed audit needs beside GX's pages: each failing row's raw file and line, and the run
    page with what waits on `audit`."""
    failed = any(not s["success"] for s in summaries.values())
    if failed and origins:
        from sparkify.quality.trace import trace_failing_rows

        trace_failing_rows(summaries, origins())
    if quarantine is not None:
        diff = would_publish() if failed and would_publish is not None else None
        run_page.add_to_site(site, run_id, summaries, quarantine, diff)


def _check_inputs(
    tables: Mapping[str, DataFrame], suites: Mapping[str, Mapping[str, Any]], parameters: Mapping[str, Any]
) -> None:
    problems = []
    for name, suite in suites.items():
        missing_tables = sorted(({name} | referenced_tables(suite)) - set(tables))
        if missing_tables:
            problems.append(f"suite {name!r} needs table(s) {', '.join(missing_tables)}")
        missing_parameters = sorted(suite_parameters(suite) - set(parameters))
        if missing_parameters:
            problems.append(f"suite {name!r} needs parameter(s) {', '.join(missing_parameters)}")
    if problems:
        raise ValueError("cannot validate: " + "; ".join(problems))


# How many failing rows a failed row-level expectation names (in the report and on its Data Docs page).
FAILING_ROWS = 20


def _table_key(name: str) -> tuple[str, ...]:
    from sparkify.pipeline import CURATED_TABLES

    return next((t.key for t in CURATED_TABLES if t.name == name), ())


def explain_failures(
    context: Any,
    source: Any,
    name: str,
    frame: DataFrame,
    suite: Mapping[str, Any],
    result: Any,
    parameters: Mapping[str, Any],
    run_id: Any,
) -> Summary:
    """The summary of a validation run on `BOOLEAN_ONLY`: its failed expectations run again, on
    `SUMMARY` (counts, sample values, observed values, the failing values' counts) and with GX's
    `unexpected_index_column_names`, so each failed row-level expectation names its failing rows by
    the table's key. A passing validation pays for nothing more. The rerun is a validation of its
    own, so the Data Docs show it as a page; each failed expectation in the summary gets `rows` (at
    most `FAILING_ROWS`: the key columns and the failing value) and its details say which.
    """
    failed = [r for r in result.results if not r.success]
    if not failed:
        return summarize(result)
    gx = _gx()
    key = _table_key(name.removesuffix(WHOLE_TABLE))
    configs = [r.expectation_config.to_json_dict() for r in failed]
    rerun = {
        "name": f"{suite['name']}.failures",
        "expectations": [
            {
                "type": c["type"],
                "kwargs": c["kwargs"],
                "meta": c.get("meta") or {},
                **({"description": c["description"]} if c.get("description") else {}),
            }
            for c in configs
        ],
    }
    definition = _definition(gx, context, source, {**rerun, "name": f"{name}.failures"})
    result_format: dict[str, Any] = {"result_format": "SUMMARY", "partial_unexpected_count": FAILING_ROWS}
    if key and set(key) <= set(frame.columns):
        result_format["unexpected_index_column_names"] = list(key)
    detailed = definition.run(
        batch_parameters={"dataframe": frame},
        expectation_parameters=dict(parameters),
        result_format=result_format,
        run_id=run_id,
    )
    # Counts from the whole suite; what failed, and why, from the detailed rerun.
    summary = {**summarize(result), "failed_expectations": summarize(detailed)["failed_expectations"]}
    rows_by_rule = {
        (r.expectation_config.type, expectation_column(r.expectation_config.to_json_dict())): [
            {k: _plain(v) for k, v in row.items()}
            for row in (r.result or {}).get("partial_unexpected_index_list") or []
        ][:FAILING_ROWS]
        for r in detailed.results
    }
    for failure in summary["failed_expectations"]:
        rows = rows_by_rule.get((failure["type"], failure["column"]))
        if rows and key:
            failure["rows"] = rows
            failure["details"] += (
                f"; rows: {'; '.join(_short({k: row[k] for k in key if k in row}) for row in rows[:5])}"
            )
    return summary


def summarize(result: Any) -> Summary:
    """A GX suite validation result as plain data: success, counts, and what failed with a short detail."""
    failed = [
        {
            "type": r.expectation_config.type,
            "column": expectation_column(r.expectation_config.to_json_dict()),
            "details": _details(r),
        }
        for r in result.results
        if not r.success
    ]
    return {
        "success": bool(result.success),
        "evaluated": int(result.statistics["evaluated_expectations"]),
        "failed": int(result.statistics["unsuccessful_expectations"]),
        "failed_expectations": failed,
    }


def _details(r: Any) -> str:
    error = _exception_message(r.exception_info or {})
    if error:
        return f"error: {error}"
    result, config = r.result or {}, r.expectation_config
    if "unexpected_count" in result:
        sample = list(dict.fromkeys(_short(v) for v in result.get("partial_unexpected_list") or []))[:5]
        return (
            f"{result['unexpected_count']} of {result.get('element_count')} rows unexpected (e.g. {'; '.join(sample)})"
        )
    mismatched = (result.get("details") or {}).get("mismatched")
    if mismatched:
        return "; ".join(f"{k} columns: {', '.join(map(str, v))}" for k, v in mismatched.items() if v)
    if config.type == "expect_no_unexpected_rows":
        count = result.get("observed_value")
        return f"{count} row{'' if count == 1 else 's'} unexpected" + (
            f": {config.description}" if config.description else ""
        )
    expected = config.kwargs.get("value")
    return f"observed {_short(result.get('observed_value'))}" + (
        f", expected {expected}" if expected is not None else ""
    )


def _exception_message(info: Mapping[str, Any]) -> str | None:
    """GX reports exceptions flat ({"raised_exception", "exception_message"}) or per metric."""
    candidates = [info] if "raised_exception" in info else [v for v in info.values() if isinstance(v, dict)]
    for candidate in candidates:
        if candidate.get("raised_exception") or candidate.get("exception_message"):
            return str(candidate.get("exception_message") or "exception").strip().splitlines()[0][:300]
    return None


def _plain(value: Any) -> Any:
    """A failing row's value as JSON holds it: a timestamp key (`time.start_time`) as its text, as the
    details show it, so the summary goes into the run report as it is."""
    return value if value is None or isinstance(value, (str, int, float, bool)) else str(value)


def _short(value: Any) -> str:
    """A sample value for a message: rows of compound keys as `k=v`, datetimes as ISO-like text."""
    if isinstance(value, dict):
        text = " ".join(f"{k}={v}" for k, v in value.items())
    elif isinstance(value, (tuple, list)):
        text = "(" + ", ".join(map(str, value)) + ")"
    else:
        text = str(value)
    return text if len(text) <= 80 else text[:77] + "..."
