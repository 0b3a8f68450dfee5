"""A stack's render (`infra/render.py`) as one JSON document, every resource with its inputs and the stack's
exports: `python -m infra.render_document --stack dev`. `sparkify rehearse` reads it to create the stack in
an emulated AWS (the `sparkify` package never imports Pulumi)."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

import pulumi

from infra.render import ACCOUNT, REPO_ROOT, STACKS, Rendered, render, stack_config

RENDER_SCHEMA = "sparkify.render/1"


def plain(value: Any) -> Any:
    """A JSON value for a recorded input: an asset becomes its path or text, an archive its members."""
    if isinstance(value, pulumi.FileAsset):
        return {"file_asset": str(value.path)}
    if isinstance(value, pulumi.StringAsset):
        return {"string_asset": value.text}
    if isinstance(value, pulumi.FileArchive):
        return {"file_archive": str(value.path)}
    if isinstance(value, pulumi.AssetArchive):
        return {"asset_archive": dict(value.assets)}
    raise TypeError(f"cannot write {type(value).__name__} as JSON")


def document(rendered: Rendered) -> dict[str, Any]:
    return {
        "schema_version": RENDER_SCHEMA,
        "stack": rendered.stack,
        "account": ACCOUNT,
        "resources": [
            {"type": r.typ, "name": r.name, "inputs": r.inputs, "provider": r.provider} for r in rendered.resources
        ],
        "exports": rendered.exports,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Print a stack as Pulumi's mocks render it, as JSON.")
    parser.add_argument("--stack", required=True, help=f"one of {', '.join(STACKS)}")
    args = parser.parse_args(argv)
    if not (REPO_ROOT / f"Pulumi.{args.stack}.yaml").is_file():
        print(
            f"error: Pulumi.{args.stack}.yaml does not exist: pass one of the stacks {', '.join(STACKS)}",
            file=sys.stderr,
        )
        return 2
    json.dump(document(render(args.stack, stack_config(args.stack))), sys.stdout, default=plain)
    return 0


if __name__ == "__main__":
    sys.exit(main())
