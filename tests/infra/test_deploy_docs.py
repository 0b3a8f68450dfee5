"""What the deploy and operations docs say that the code can produce is what the code produces: resource
counts, config keys, log group names, the services the deployer needs, the cost table, and commands that
run on a machine set up with `make setup` (where uv is not on PATH)."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
import yaml

from infra.config import KEYS, from_mapping
from infra.cost import SIZES, estimate_run_cost, monthly_fixed_cost, throughput_from_bench
from infra.plan import counts
from sparkify.layout import Names
from tests.infra.conftest import REPO_ROOT, Rendered, stack_config

DEPLOY = REPO_ROOT / "docs" / "deploy.md"
DOCS = [REPO_ROOT / "README.md", DEPLOY, REPO_ROOT / "docs" / "operations.md"]


def test_the_resource_counts_in_deploy_md_are_the_renders(rendered_stack: Callable[[str], Rendered]) -> None:
    text = " ".join(DEPLOY.read_text().split())
    said = re.search(
        r"creates (\d+) AWS resources for `dev` and (\d+) for `prod` \((\d+) and (\d+) registrations", text
    )
    assert said, "docs/deploy.md no longer states what a first `pulumi up` creates"
    dev, prod = counts(rendered_stack("dev")), counts(rendered_stack("prod"))
    assert [int(n) for n in said.groups()] == [
        dev["aws_resources"],
        prod["aws_resources"],
        dev["registered"],
        prod["registered"],
    ]


def test_the_config_table_lists_exactly_the_keys_the_program_reads() -> None:
    table = re.findall(r"^\| `([a-z]+:[A-Za-z]+)` \|", DEPLOY.read_text(), re.MULTILINE)
    assert sorted(table) == sorted(KEYS)


def _expand(name: str) -> list[str]:
    found = re.search(r"\{([^}]*)\}", name)
    if not found:
        return [name]
    return [n for part in found.group(1).split(",") for n in _expand(name.replace(found.group(0), part, 1))]


@pytest.mark.parametrize("doc", DOCS, ids=lambda p: p.name)
def test_every_log_group_the_docs_name_is_one_the_stack_owns(doc: object) -> None:
    text = doc.read_text()  # type: ignore[attr-defined]
    mentioned = re.findall(r"/aws(?:-glue)?/(?:sparkify-|crawlers-role/sparkify-|lambda/sparkify-)[^\s`'\")|]*", text)
    if doc != REPO_ROOT / "README.md":  # the front door names none; these two must, or the pattern broke
        assert mentioned, f"{doc}: no log group named"
    for stack in ("<stack>", "dev", "prod"):
        names = Names(f"sparkify-{stack}")
        allowed = {*names.log_groups, names.log_group_prefix, f"{names.log_group_prefix}/"}
        for mention in [m for m in mentioned if f"sparkify-{stack}" in m]:
            for name in _expand(mention.rstrip(".;:,")):
                assert name in allowed, f"{doc.name}: {name} is not a log group of stack {stack}"  # type: ignore[attr-defined]


def test_the_deployer_may_create_every_service_the_stack_uses(hardened: Rendered, stack: Rendered) -> None:
    # The render's services (hardened: CloudFront and WAF too) as the docs name them.
    spoken = {
        "s3": "S3",
        "glue": "Glue",
        "iam": "IAM",
        "kms": "KMS",
        "sns": "SNS",
        "sqs": "SQS",
        "lambda": "Lambda",
        "athena": "Athena",
        "cloudfront": "CloudFront",
        "wafv2": "WAF",
    }
    by_type = {
        "eventRule": "EventBridge",
        "eventTarget": "EventBridge",
        "logGroup": "CloudWatch Logs",
        "metricAlarm": "CloudWatch (alarms)",
    }
    needed = set()
    for r in [*hardened.resources, *stack.resources]:
        if not r.typ.startswith("aws:"):
            continue
        module, _, kind = r.typ.split(":")[1].partition("/")
        needed.add(by_type.get(kind.split(":")[0]) or spoken[module])
    prerequisites = DEPLOY.read_text().split("### Prerequisites")[1].split("- The [Pulumi CLI]")[0]
    prerequisites = " ".join(prerequisites.split())
    missing = sorted(n for n in needed if n not in prerequisites)
    assert missing == [], f"docs/deploy.md prerequisites leave out {missing}"


def test_the_cost_table_is_what_the_estimate_says() -> None:
    table = DEPLOY.read_text().split("| stack | fixed a month |")[1].split("\n\n")[0]
    throughput = throughput_from_bench()
    for stack in ("dev", "prod"):
        row = next(line for line in table.splitlines() if line.startswith(f"| {stack} "))
        figures = [float(f) for f in re.findall(r"\$(\d+\.\d+)", row)]
        cfg = from_mapping(stack_config(stack), stack)
        expected = [round(sum(monthly_fixed_cost(cfg).values()), 2)]
        expected += [round(estimate_run_cost(cfg, records, throughput).usd, 3) for records in SIZES.values()]
        assert figures == expected, f"docs/deploy.md cost row of {stack}"


def test_the_docs_commands_run_without_uv_on_path() -> None:
    # `make setup` keeps its pinned uv in .tools/bin; a bare `uv` command fails with "uv: command not found".
    for doc in DOCS:
        for block in re.findall(r"```bash\n(.*?)```", doc.read_text(), re.DOTALL):
            for line in block.splitlines():
                assert not re.match(r"\s*(UV_\w+=\S+\s+)*uv\s", line), f"{doc.name}: {line}"
    toolchain = yaml.safe_load((REPO_ROOT / "Pulumi.yaml").read_text())["runtime"]["options"]["toolchain"]
    if toolchain == "uv":  # Pulumi itself runs uv: the deploy steps put the pinned one on PATH first
        assert 'export PATH="$PWD/.tools/bin:$PATH"' in DEPLOY.read_text()


def test_the_config_table_gives_the_programs_defaults() -> None:
    from infra.config import StackConfig

    rows = re.findall(r"^\| `([a-z]+:[A-Za-z]+)` \| ([^|]*) \| ([^|]*) \|", DEPLOY.read_text(), re.MULTILINE)
    fields = {f.alias: f for f in StackConfig.model_fields.values() if f.alias}
    for key, required, default in rows:
        field = fields[key]
        if field.is_required():
            assert (required.strip(), default.strip()) == ("yes", ""), key
            continue
        value = field.get_default(call_default_factory=True)
        if value is None:
            expected = "none"
        elif isinstance(value, bool):
            expected = f"`{str(value).lower()}`"
        elif isinstance(value, (int, str)):
            expected = f"`{value}`"
        else:  # an empty structure: nothing set
            expected = ""
        assert default.strip().startswith(expected) if expected else default.strip() == "", (key, default)
