"""An offline preview of `pulumi up` for one stack: what the program creates (type, name, and the settings a
reviewer checks: encryption, public access, schedule, workers, retention, alarms), how many resources, and
what the stack costs a month and a run. It reads the render the infrastructure tests read
(`infra/render.py`: the real program under Pulumi's mocks), so it needs neither the Pulumi CLI nor AWS.

`python -m infra.plan <stack>` prints the preview as JSON on stdout; `sparkify plan` runs it (the `sparkify`
package itself never imports Pulumi) and shows it as a table. A config problem is one `ConfigError` line
per key on stderr and exit code 2.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from typing import Any

from infra.config import ConfigError, from_mapping
from infra.cost import SIZES, estimate_run_cost, monthly_fixed_cost, throughput_from_bench
from infra.render import ACCOUNT, STACKS, Recorded, Rendered, render, stack_config

Settings = dict[str, Any]


def _bucket(i: dict[str, Any]) -> Settings:
    return {"force_destroy": i.get("forceDestroy")}


def _encryption(i: dict[str, Any]) -> Settings:
    rule = (i.get("rules") or [{}])[0].get("applyServerSideEncryptionByDefault") or {}
    algorithm = rule.get("sseAlgorithm")
    return {"encryption": "SSE-S3" if algorithm == "AES256" else f"SSE-KMS {rule.get('kmsMasterKeyId', '')}".strip()}


def _public_access(i: dict[str, Any]) -> Settings:
    flags = ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets")
    return {"public_access": "blocked" if all(i.get(f) for f in flags) else "NOT blocked"}


def _versioning(i: dict[str, Any]) -> Settings:
    return {"versioning": (i.get("versioningConfiguration") or {}).get("status")}


def _lifecycle(i: dict[str, Any]) -> Settings:
    expiring = {}
    for rule in i.get("rules") or []:
        prefix = ((rule.get("filter") or {}).get("prefix")) or "(whole bucket)"
        days = (rule.get("expiration") or {}).get("days") or (rule.get("noncurrentVersionExpiration") or {}).get(
            "noncurrentDays"
        )
        if days:
            expiring[prefix] = int(days)
    return {"expires_after_days": expiring}


def _job(i: dict[str, Any]) -> Settings:
    return {
        "workers": f"{int(i['numberOfWorkers'])} × {i['workerType']}",
        "execution_class": i.get("executionClass"),
        "timeout_minutes": int(i["timeout"]),
        "max_retries": int(i.get("maxRetries") or 0),
        "glue_version": i.get("glueVersion"),
        "security_configuration": i.get("securityConfiguration"),
    }


def _trigger(i: dict[str, Any]) -> Settings:
    found = {"type": i.get("type"), "enabled": i.get("enabled")}
    if i.get("schedule"):
        found["schedule"] = i["schedule"]
    return found


def _security_configuration(i: dict[str, Any]) -> Settings:
    e = i.get("encryptionConfiguration") or {}
    return {
        "cloudwatch": (e.get("cloudwatchEncryption") or {}).get("cloudwatchEncryptionMode"),
        "job_bookmarks": (e.get("jobBookmarksEncryption") or {}).get("jobBookmarksEncryptionMode"),
        "s3": (e.get("s3Encryption") or {}).get("s3EncryptionMode"),
    }


def _log_group(i: dict[str, Any]) -> Settings:
    return {"retention_days": int(i["retentionInDays"]), "encrypted": bool(i.get("kmsKeyId"))}


def _alarm(i: dict[str, Any]) -> Settings:
    return {
        "metric": f"{i.get('namespace')}/{i.get('metricName')}",
        "window": f"{int(i['evaluationPeriods'])} × {int(i['period'])} s",
        "actions_enabled": i.get("actionsEnabled", True),
    }


SETTINGS: dict[str, Callable[[dict[str, Any]], Settings]] = {
    "aws:s3/bucket:Bucket": _bucket,
    "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration": _encryption,
    "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock": _public_access,
    "aws:s3/bucketVersioning:BucketVersioning": _versioning,
    "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration": _lifecycle,
    "aws:glue/job:Job": _job,
    "aws:glue/trigger:Trigger": _trigger,
    "aws:glue/securityConfiguration:SecurityConfiguration": _security_configuration,
    "aws:cloudwatch/logGroup:LogGroup": _log_group,
    "aws:cloudwatch/metricAlarm:MetricAlarm": _alarm,
    "aws:kms/key:Key": lambda i: {"rotation": i.get("enableKeyRotation")},
    "aws:sns/topic:Topic": lambda i: {"encrypted": bool(i.get("kmsMasterKeyId"))},
    "aws:sns/topicSubscription:TopicSubscription": lambda i: {"protocol": i.get("protocol"), "to": i.get("endpoint")},
    "aws:sqs/queue:Queue": lambda i: {"encrypted": bool(i.get("sqsManagedSseEnabled") or i.get("kmsMasterKeyId"))},
    "aws:lambda/function:Function": lambda i: {"runtime": i.get("runtime")},
    "aws:athena/workgroup:Workgroup": lambda i: {
        "scan_limit_bytes": (i.get("configuration") or {}).get("bytesScannedCutoffPerQuery")
    },
}


def _nothing(_: dict[str, Any]) -> Settings:
    return {}


def physical_name(r: Recorded) -> str:
    """The name AWS will know it by (a bucket's name, an object's key), else the program's own name."""
    i = r.inputs
    for key in ("name", "bucket", "key"):
        value = i.get(key)
        if isinstance(value, str) and value:
            return value if key != "key" else f"{i.get('bucket')}/{value}"
    return r.name


def resource_rows(rendered: Rendered) -> list[dict[str, Any]]:
    """Every AWS resource the program creates, by type and name (registration order varies from run to run)."""
    found = [
        {"type": r.typ, "name": physical_name(r), "settings": SETTINGS.get(r.typ, _nothing)(r.inputs)}
        for r in rendered.resources
        if r.custom and r.typ.startswith("aws:")
    ]
    return sorted(found, key=lambda row: (row["type"], row["name"]))


def counts(rendered: Rendered) -> dict[str, int]:
    """What `pulumi up` registers on a first run: every resource (components and the provider included) and
    the AWS resources among them."""
    return {
        "registered": len(rendered.resources),
        "aws_resources": sum(1 for r in rendered.resources if r.custom and r.typ.startswith("aws:")),
        "components": sum(1 for r in rendered.resources if not r.custom),
    }


def preview(stack: str, config: dict[str, str] | None = None) -> dict[str, Any]:
    """The preview document of `stack` (its `Pulumi.<stack>.yaml`, or `config`)."""
    values = stack_config(stack) if config is None else config
    cfg = from_mapping(values, stack)
    rendered = render(stack, values)
    throughput = throughput_from_bench()
    per_run = {size: estimate_run_cost(cfg, records, throughput) for size, records in SIZES.items()}
    fixed = monthly_fixed_cost(cfg)
    return {
        "stack": stack,
        "region": cfg.region,
        "account": ACCOUNT,  # stands for the account `pulumi up` deploys to
        "schedule": cfg.schedule if cfg.schedule_enabled else None,
        "alert_email": cfg.alert_email,
        "counts": counts(rendered),
        "resources": resource_rows(rendered),
        "cost": {
            "fixed_per_month_usd": {
                **{k: round(v, 4) for k, v in fixed.items()},
                "total": round(sum(fixed.values()), 2),
            },
            "per_run_usd": {
                size: {
                    "dpus": round(c.dpu_usd, 4),
                    "metrics": round(c.metrics_usd, 4),
                    "logs": round(c.logs_usd, 4),
                    "total": round(c.usd, 3),
                }
                for size, c in per_run.items()
            },
        },
    }


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print("usage: python -m infra.plan <stack>", file=sys.stderr)
        return 2
    stack = argv[0]
    if stack not in STACKS:
        print(f"no Pulumi.{stack}.yaml in the repository; stacks here: {', '.join(STACKS)}", file=sys.stderr)
        return 2
    try:
        document = preview(stack)
    except ConfigError as exc:
        print(f"Pulumi.{stack}.yaml: {'; '.join(exc.problems)}", file=sys.stderr)
        return 2
    print(json.dumps(document, indent=2, default=str))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
