"""The suites in `expectations/` as documents: reading them (a folder or an `s3://` prefix), what each needs
at validation time (`$PARAMETER` values, the tables its queries join to), the column each rule is about,
and the split of a suite into its row-local and table-wide rules. No Great Expectations here: the job's
wiring and the site's pages read suites without importing it (`sparkify.quality.validation` validates them).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from sparkify.docs_site.publish import client_or_default, is_s3, s3_keys, split_s3_uri

PARAMETER = "$PARAMETER"

# Rules about a table as a whole. Every other rule judges each row on its own (joining whole tables
# where it names them), so after a merge it only needs the rows that came in or changed.
TABLE_WIDE = frozenset(
    {
        "expect_table_row_count_to_equal",
        "expect_table_row_count_to_be_between",
        "expect_column_values_to_be_unique",
        "expect_compound_columns_to_be_unique",
        "expect_table_columns_to_match_set",
    }
)
WHOLE_TABLE = ".whole_table"  # suffix of the suite part that runs on the whole table


def split_suite(suite: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """A suite's row-local rules, and its table-wide rules as the suite `<name>.whole_table`."""
    rows = [e for e in suite["expectations"] if e["type"] not in TABLE_WIDE]
    whole = [e for e in suite["expectations"] if e["type"] in TABLE_WIDE]
    return {**suite, "expectations": rows}, {**suite, "name": suite["name"] + WHOLE_TABLE, "expectations": whole}


def load_suites(uri: str | Path, s3_client: Any = None) -> dict[str, dict[str, Any]]:
    """Every `*.json` suite directly under a folder or `s3://` prefix, as plain dicts keyed by suite name."""
    texts: dict[str, str] = {}
    if is_s3(uri):
        client = client_or_default(s3_client)
        bucket, prefix = split_s3_uri(str(uri))
        for key in s3_keys(client, bucket, prefix):
            relative = key[len(prefix) :].lstrip("/") if prefix else key
            if relative.endswith(".json") and "/" not in relative:
                texts[f"s3://{bucket}/{key}"] = client.get_object(Bucket=bucket, Key=key)["Body"].read().decode()
    else:
        folder = Path(uri)
        if not folder.is_dir():
            raise FileNotFoundError(f"no expectations folder at {folder}")
        texts = {str(p): p.read_text() for p in sorted(folder.glob("*.json"))}
    suites: dict[str, dict[str, Any]] = {}
    for where, text in texts.items():
        try:
            suite = json.loads(text)
        except json.JSONDecodeError as error:
            raise ValueError(f"suite {where} is not valid JSON: {error}") from None
        if not isinstance(suite, dict) or not suite.get("name") or not isinstance(suite.get("expectations"), list):
            raise ValueError(f"suite {where} needs a 'name' and a list of 'expectations'")
        suites[suite["name"]] = suite
    if not suites:
        raise FileNotFoundError(f"no *.json suites under {uri}")
    return suites


def suite_parameters(suite: Mapping[str, Any]) -> set[str]:
    """Names of the `{"$PARAMETER": name}` values a suite needs at validation time."""
    return {
        value[PARAMETER]
        for exp in suite["expectations"]
        for value in exp.get("kwargs", {}).values()
        if isinstance(value, dict) and PARAMETER in value
    }


def referenced_tables(suite: Mapping[str, Any]) -> set[str]:
    """Tables other than its own that a suite's queries join to (from `meta.references`: "table.column")."""
    return {
        exp["meta"]["references"].split(".")[0]
        for exp in suite["expectations"]
        if exp.get("meta", {}).get("references")
    }


def expectation_column(expectation: Mapping[str, Any]) -> str | None:
    """The column(s) an expectation is about: kwargs column/column_list/column_A+B, else `meta.column`."""
    kwargs = expectation.get("kwargs", {})
    if kwargs.get("column"):
        return str(kwargs["column"])
    if kwargs.get("column_list"):
        return ",".join(kwargs["column_list"])
    if kwargs.get("column_A"):
        return f"{kwargs['column_A']},{kwargs['column_B']}"
    column = (expectation.get("meta") or {}).get("column")
    return str(column) if column else None
