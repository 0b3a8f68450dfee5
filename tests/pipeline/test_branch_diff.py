"""The diff of two branches by key, on DuckDB over rows written by hand (the validate job runs the same
SQL on Spark; `tests/workflow/test_failed_audit.py` checks it there)."""

from __future__ import annotations

import duckdb

from sparkify.lake import branch_diff, tables

COLUMNS = ["song_id", "title", "duration"]


def _diff(audit: str, main: str, examples: int = branch_diff.EXAMPLES) -> dict:
    with duckdb.connect() as db:
        db.execute(f"CREATE TABLE a AS SELECT * FROM (VALUES {audit}) v(song_id, title, duration)")
        db.execute(f"CREATE TABLE m AS SELECT * FROM (VALUES {main}) v(song_id, title, duration)")
        relation = db.sql(branch_diff.diff_sql("a", "m", ["song_id"], COLUMNS, examples))
        rows = [dict(zip(relation.columns, row, strict=True)) for row in relation.fetchall()]
    return branch_diff.summarize("songs", ["song_id"], COLUMNS, rows)


def test_rows_added_changed_and_removed_by_key_with_examples() -> None:
    main = "('S1', 'One', 1.0), ('S2', 'Two', 2.0), ('S3', 'Three', NULL), ('S4', 'Four', 4.0)"
    # S1 same, S2 retitled, S3's null duration filled, S4 gone, S5 and S0 new.
    audit = "('S1', 'One', 1.0), ('S2', 'Deux', 2.0), ('S3', 'Three', 3.0), ('S5', 'Five', -5.0), ('S0', 'Zero', 0.5)"

    found = _diff(audit, main)

    assert (found["added"], found["changed"], found["removed"]) == (2, 2, 1)
    assert found["examples"] == [
        {"change": "added", "key": {"song_id": "S0"}, "row": {"song_id": "S0", "title": "Zero", "duration": 0.5}},
        {"change": "added", "key": {"song_id": "S5"}, "row": {"song_id": "S5", "title": "Five", "duration": -5.0}},
        {"change": "changed", "key": {"song_id": "S2"}, "columns": {"title": {"main": "Two", "audit": "Deux"}}},
        {"change": "changed", "key": {"song_id": "S3"}, "columns": {"duration": {"main": None, "audit": 3.0}}},
        {"change": "removed", "key": {"song_id": "S4"}, "row": {"song_id": "S4", "title": "Four", "duration": 4.0}},
    ]


def test_counts_stay_whole_when_examples_are_cut() -> None:
    audit = "('S1', 'One', 1.0), ('S2', 'Two', 2.0), ('S3', 'Three', 3.0)"

    found = _diff(audit, "('S9', 'Nine', 9.0)", examples=2)

    assert (found["added"], found["changed"], found["removed"]) == (3, 0, 1)
    assert [(e["change"], e["key"]["song_id"]) for e in found["examples"]] == [
        ("added", "S1"),
        ("added", "S2"),
        ("removed", "S9"),
    ]


def test_equal_branches_differ_in_nothing() -> None:
    rows = "('S1', 'One', 1.0), ('S2', NULL, 2.0)"
    assert _diff(rows, rows)["examples"] == []
    assert branch_diff.total([_diff(rows, rows), _diff("('S1', 'One', 1.0)", rows)]) == {
        "added": 0,
        "changed": 0,
        "removed": 1,
    }


def test_the_branch_names_are_the_tables_own() -> None:
    assert (branch_diff.AUDIT_BRANCH, branch_diff.MAIN_BRANCH) == (tables.AUDIT, tables.MAIN)
