"""Render the Pulumi program offline with Pulumi's own mocks and record every resource it registers: what
`pulumi up` would create, without the Pulumi CLI or an AWS account. The infrastructure tests and
`sparkify plan` (through `infra/plan.py`) read the same render.

`render(stack, config)` loads the config into the runtime (as the CLI would hand it to the program: every
value as text, structures as JSON), runs the repository's `__main__.py`, waits for all registrations, and
returns the recorded resources with their resolved inputs, options and the stack's exports.
"""

from __future__ import annotations

import json
import runpy
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

import pulumi
import yaml
from pulumi.runtime import settings as pulumi_settings

REPO_ROOT = Path(__file__).resolve().parents[1]
PROGRAM = REPO_ROOT / "__main__.py"
PROJECT = "sparkify-glue"
ACCOUNT = "123456789012"
STACKS = sorted(p.name.split(".")[1] for p in REPO_ROOT.glob("Pulumi.*.yaml"))


@dataclass
class Recorded:
    typ: str
    name: str  # the Pulumi resource name (unique per type)
    inputs: dict[str, Any]
    custom: bool
    provider: str = ""  # the Pulumi name of the resource's provider ("" for the default one)


class RecordingMocks(pulumi.runtime.Mocks):
    """Echo inputs back as outputs, plus the few computed attributes the program reads."""

    def __init__(self, region: str):
        self.region = region
        self.resources: list[Recorded] = []

    def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str | None, dict[str, Any]]:
        # A provider reference is "<urn>::<id>", and a URN ends with "::<name>".
        provider = args.provider.split("::")[-2] if args.provider and "::" in args.provider else ""
        self.resources.append(Recorded(args.typ, args.name, dict(args.inputs), bool(args.custom), provider))
        outputs = dict(args.inputs)
        physical = args.inputs.get("name") or args.name
        service = args.typ.split(":")[1].split("/")[0]
        outputs.setdefault("arn", f"arn:aws:{service}:{self.region}:{ACCOUNT}:{physical}")
        outputs.setdefault("name", physical)
        if args.typ == "aws:s3/bucket:Bucket":
            bucket = args.inputs["bucket"]
            outputs.update(
                arn=f"arn:aws:s3:::{bucket}",
                bucketRegionalDomainName=f"{bucket}.s3.{self.region}.amazonaws.com",
            )
            return bucket, outputs
        if args.typ == "aws:cloudwatch/eventRule:EventRule":
            outputs["arn"] = f"arn:aws:events:{self.region}:{ACCOUNT}:rule/{physical}"
        if args.typ == "aws:kms/key:Key":
            outputs.update(keyId="1234abcd-12ab-34cd-56ef-1234567890ab")
            outputs["arn"] = f"arn:aws:kms:{self.region}:{ACCOUNT}:key/{outputs['keyId']}"
        if args.typ == "aws:cloudfront/distribution:Distribution":
            outputs.update(
                arn=f"arn:aws:cloudfront::{ACCOUNT}:distribution/EDFDVBD6EXAMPLE",
                domainName="d111111abcdef8.cloudfront.net",
            )
        return f"{args.name}-id", outputs

    def call(self, args: pulumi.runtime.MockCallArgs) -> tuple[dict[str, Any], list[tuple[str, str]] | None]:
        if args.token == "aws:index/getCallerIdentity:getCallerIdentity":
            identity = {
                "accountId": ACCOUNT,
                "arn": f"arn:aws:iam::{ACCOUNT}:user/test",
                "id": ACCOUNT,
                "userId": "AID",
            }
            return identity, []
        if args.token == "aws:index/getPartition:getPartition":
            return {
                "partition": "aws",
                "dnsSuffix": "amazonaws.com",
                "id": "aws",
                "reverseDnsPrefix": "com.amazonaws",
            }, []
        raise NotImplementedError(f"the program called {args.token}, which these mocks do not know")


@dataclass
class Rendered:
    stack: str
    resources: list[Recorded]
    exports: dict[str, Any] = field(default_factory=dict)
    protect: dict[tuple[str, str], bool] = field(default_factory=dict)  # (type, name) → protect option
    ignored_changes: dict[tuple[str, str], list[str]] = field(default_factory=dict)  # (type, name) → ignore_changes

    def protected(self) -> set[tuple[str, str]]:
        return {key for key, on in self.protect.items() if on}

    def of_type(self, typ: str) -> list[Recorded]:
        return [r for r in self.resources if r.typ == typ]

    def one(self, typ: str, name: str) -> Recorded:
        found = [r for r in self.resources if r.typ == typ and r.name == name]
        assert len(found) == 1, f"{self.stack}: expected one {typ} named {name!r}, found {len(found)}"
        return found[0]

    def by_physical_name(self, typ: str) -> dict[str, Recorded]:
        return {r.inputs["name"]: r for r in self.of_type(typ)}


def stack_config(stack: str) -> dict[str, str]:
    """`Pulumi.<stack>.yaml` as the CLI passes it to a program: text values, structures as JSON."""
    document = yaml.safe_load((REPO_ROOT / f"Pulumi.{stack}.yaml").read_text())
    values = document.get("config") or {}
    return {key: value if isinstance(value, str) else json.dumps(value) for key, value in values.items()}


def render(stack: str, config: dict[str, str]) -> Rendered:
    region = config.get("aws:region", "us-east-1")
    mocks = RecordingMocks(region)
    exports: dict[str, Any] = {}
    protect: dict[tuple[str, str], bool] = {}
    ignored: dict[tuple[str, str], list[str]] = {}
    pulumi_settings.ROOT.set(None)  # a fresh root Stack resource for every render
    pulumi.runtime.set_mocks(mocks, project=PROJECT, stack=stack, preview=False)
    pulumi.runtime.set_all_config(config)

    def export(name: str, value: Any) -> None:
        exports[name] = value

    def record_options(args: pulumi.ResourceTransformationArgs) -> None:
        # Mocks never see resource options; a stack transformation does.
        protect[(args.type_, args.name)] = bool(args.opts.protect) if args.opts else False
        ignored[(args.type_, args.name)] = list(args.opts.ignore_changes or []) if args.opts else []
        return None

    def run() -> pulumi.Output[Any]:
        pulumi.runtime.register_stack_transformation(record_options)
        original = pulumi.export
        pulumi.export = export
        try:
            runpy.run_path(str(PROGRAM), run_name="sparkify_stack")
        finally:
            pulumi.export = original
        # Resolve the exported Outputs too, so tests read plain values.
        return pulumi.Output.from_input(dict(exports)).apply(exports.update)

    # pulumi.runtime.test runs the program and waits until every registration has finished.
    cast(Callable[[], None], pulumi.runtime.test(run))()  # type: ignore[no-untyped-call]
    return Rendered(stack, mocks.resources, exports, protect, ignored)
