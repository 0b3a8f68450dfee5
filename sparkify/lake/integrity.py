"""Is each table we own whole, and is it where the lake is? Checked before a run reads or publishes, so
a broken table is named, not read from or published over.

A table is whole when its metadata file reads and every file a kept snapshot references (manifest lists,
manifests, data and delete files) exists; reading the `all_files` metadata table reads every manifest,
and one listing of the table's folder shows every file there. It is in place when its location is the
one the lake gives it: Iceberg's metadata holds absolute paths, so a lake copied or moved to another
folder still points at the first one, where a run would read, write and purge.

`sparkify run --full-refresh` is the repair for each: it rebuilds every table from the raw files, and
`forget` drops a table so that nothing outside the lake is touched.
"""

from __future__ import annotations

from collections.abc import Mapping
from contextlib import suppress
from pathlib import Path

from pyspark.sql import SparkSession

from sparkify.lake import run_errors, tables
from sparkify.lake.glue_entry import StepFailed
from sparkify.lake.io import delete, join_uri, list_files
from sparkify.pipeline import Location, Namespace, Place, owned_tables

_LAYER = {Namespace.STAGING: Location.STAGING, Namespace.CURATED: Location.CURATED}


class LakeBroken(StepFailed):
    """A table cannot be read whole, or lives outside its lake: one line naming it and what to do."""

    def __init__(self, problem: str):
        super().__init__(problem, {"status": "failed", "lake_broken": problem})


def owned(places: Mapping[Place, str], layers: tuple[Namespace, ...] = tuple(_LAYER)) -> dict[str, tuple[str, str]]:
    """Every owned table of `layers` by `<layer>.<name>`: its identifier and the location `places` give it."""
    return {
        key: (tables.ident(places[namespace], name), join_uri(places[_LAYER[namespace]], name))
        for key, (namespace, name) in owned_tables().items()
        if namespace in layers
    }


def check(spark: SparkSession, places: Mapping[Place, str], layers: tuple[Namespace, ...] = tuple(_LAYER)) -> None:
    """Raise `LakeBroken` for the first owned table (of `layers`) that is broken or out of place.

    Every table's referenced files come from one query over all of them: one Spark job where one per
    table cost a run about a second at each of its three checks. Only when that query fails are the
    tables read one at a time, to name the one that is broken."""
    found = owned(places, layers)
    try:
        present = {key: t for key, t in found.items() if tables.exists(spark, t[0])}
        placed = all(same_place(tables.location(spark, table), location) for table, location in present.values())
        referenced = _referenced_files(spark, {key: table for key, (table, _) in present.items()}) if placed else None
    except Exception:  # named below, table by table
        referenced = None
    for key, (table, location) in found.items():
        if referenced is None:
            problem = problem_of(spark, key, table, location)
        else:
            problem = _missing(spark, key, referenced.get(key, set()), location) if key in present else None
        if problem is not None:
            raise LakeBroken(problem)


def _referenced_files(spark: SparkSession, named: Mapping[str, str]) -> dict[str, set[str]]:
    """Per table, every file its kept snapshots reference (`all_files`), in one query."""
    found = tables.metadata_column(spark, named, "all_files", "file_path")
    return {key: {plain(path) for path in paths} for key, paths in found.items()}


def problem_of(spark: SparkSession, key: str, table: str, location: str) -> str | None:
    """What is wrong with one table, in one line, or None when it is whole and in place (or absent)."""
    try:
        if not tables.exists(spark, table):
            return None
        found = tables.location(spark, table)
        if not same_place(found, location):
            return (
                f"{key}: its files are at {plain(found)}, not in this lake at {plain(location)}: the lake was "
                f"copied or moved there (Iceberg's metadata holds absolute paths). Move it back, or rebuild "
                f"its tables here from the raw files with {run_errors.FULL_REFRESH}, which leaves {plain(found)} alone"
            )
        referenced = {plain(r.file_path) for r in spark.sql(f"SELECT file_path FROM {table}.all_files").collect()}
    except Exception as exc:  # any failure to read a table's metadata is the finding
        line = run_errors.explain(exc)
        named = line if line.startswith(key) else f"{key}: {line}"
        return named if run_errors.FULL_REFRESH in named else f"{named}: {run_errors.RESTORE_OR_REBUILD}"
    return _missing(spark, key, referenced, location)


def _missing(spark: SparkSession, key: str, referenced: set[str], location: str) -> str | None:
    """The finding when a referenced file is not in the table's folder, else None."""
    missing = sorted(referenced - {plain(p) for p in list_files(spark, location)})
    if not missing:
        return None
    more = f" and {len(missing) - 1} more" if len(missing) > 1 else ""
    return f"{key}: {missing[0]}{more}, which its snapshots reference, is missing: {run_errors.RESTORE_OR_REBUILD}"


def forget(spark: SparkSession, table: str, location: str) -> None:
    """Drop a table for a full refresh, deleting only files inside its lake location: a table whose
    files are elsewhere (a copied lake's) loses only its entry, one whose metadata cannot be read its
    entry and its folder here."""
    try:
        present = tables.exists(spark, table)
        inside = present and same_place(tables.location(spark, table), location)
    except Exception:  # unreadable metadata: nothing to drop through it
        present = inside = False
        # The Glue catalog keeps an entry apart from the files: without this a full refresh meets the old
        # entry (measured on the emulated catalog). A file-based catalog's entry is the folder deleted below,
        # and it reads the metadata to drop, so its refusal is no loss.
        with suppress(Exception):
            tables.drop_entry(spark, table)
    if present:
        spark.sql(f"DROP TABLE IF EXISTS {table}{' PURGE' if inside else ''}")
    delete(spark, location)


def same_place(a: str, b: str) -> bool:
    return plain(a) == plain(b)


def plain(uri: str) -> str:
    """A location as one spelling: a local path without `file:`, S3 as `s3://`, no trailing slash."""
    for scheme in ("s3a://", "s3n://"):
        if uri.startswith(scheme):
            uri = "s3://" + uri[len(scheme) :]
    if uri.startswith("file:"):
        uri = "/" + uri[len("file:") :].lstrip("/")
    return str(Path(uri)) if uri.startswith("/") else uri.rstrip("/")
