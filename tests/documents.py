"""Checking a JSON document the command line printed against its published schema (docs/schemas/)."""

from __future__ import annotations

import json
from typing import Any

from jsonschema import Draft202012Validator
from referencing import Registry, Resource

from sparkify.documents import SCHEMA_DIR, Document, schema_file


def registry() -> Registry:
    """Every schema by its `$id` (`urn:sparkify:<document>`), so one may refer to another."""
    resources = [Resource.from_contents(json.loads(p.read_text())) for p in sorted(SCHEMA_DIR.glob("*.schema.json"))]
    return Registry().with_resources((r.contents["$id"], r) for r in resources)


def assert_document(document: Document, data: Any) -> None:
    """`data` is a valid `document`: its schema_version names it, and its schema holds."""
    schema = json.loads(schema_file(document).read_text())
    validator = Draft202012Validator(schema, registry=registry())
    problems = sorted(
        f"{'/'.join(map(str, e.absolute_path)) or '(top)'}: {e.message}" for e in validator.iter_errors(data)
    )
    assert not problems, f"not a valid {document} document:\n" + "\n".join(problems)
