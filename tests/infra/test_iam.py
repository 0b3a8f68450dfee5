"""The Glue role's policy grants what the jobs and crawlers need, on named resources only."""

from __future__ import annotations

import json
from collections import defaultdict
from typing import Any

from tests.infra.conftest import ACCOUNT, DATA_KEY_ARN, Rendered, policy_of

ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy"
STACK_KEY = f"arn:aws:kms:us-east-1:{ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab"


def as_list(value: str | list[str]) -> list[str]:
    return [value] if isinstance(value, str) else value


def grants(policy: dict[str, Any]) -> dict[str, set[str]]:
    """resource → actions allowed on it."""
    result: dict[str, set[str]] = defaultdict(set)
    for statement in policy["Statement"]:
        assert statement["Effect"] == "Allow"
        for resource in as_list(statement["Resource"]):
            result[resource] |= set(as_list(statement["Action"]))
    return result


def test_role_is_assumed_by_glue_only(stack: Rendered) -> None:
    role = stack.one("aws:iam/role:Role", "glue-role").inputs
    assert role["name"] == f"sparkify-{stack.stack}-glue"
    assert json.loads(role["assumeRolePolicy"])["Statement"] == [
        {"Effect": "Allow", "Principal": {"Service": "glue.amazonaws.com"}, "Action": "sts:AssumeRole"}
    ]
    assert "managedPolicyArns" not in role, "no AWS managed policy: AWSGlueServiceRole grants '*' resources"


def test_no_wildcard_resource_except_metrics_held_to_the_glue_namespace(stack: Rendered) -> None:
    for statement in policy_of(stack, ROLE_POLICY, "glue-role-policy")["Statement"]:
        if "*" in as_list(statement["Resource"]):
            assert statement["Action"] == "cloudwatch:PutMetricData", f"statement {statement['Sid']} uses '*'"
            assert statement["Condition"] == {"StringEquals": {"cloudwatch:namespace": "Glue"}}


def test_s3_grants_match_what_each_bucket_is_for(stack: Rendered) -> None:
    s = stack.stack
    raw, curated, artifacts, temp, docs = (
        f"arn:aws:s3:::sparkify-{s}-{p}-{ACCOUNT}-us-east-1" for p in ("raw", "curated", "artifacts", "temp", "docs")
    )
    allowed = grants(policy_of(stack, ROLE_POLICY, "glue-role-policy"))
    object_grants = {r: a for r, a in allowed.items() if r.startswith("arn:aws:s3:::") and "/" in r}
    rw = {"s3:GetObject", "s3:PutObject", "s3:DeleteObject", "s3:AbortMultipartUpload", "s3:ListMultipartUploadParts"}
    assert object_grants == {
        # read-only: the landing zone's two sources
        f"{raw}/song_data/*": {"s3:GetObject"},
        f"{raw}/log_data/*": {"s3:GetObject"},
        # read/write: the lake prefixes
        f"{curated}/staging/*": rw,
        f"{curated}/curated/*": rw,
        f"{curated}/quarantine/*": rw,
        f"{curated}/reports/*": rw,
        # read-only: what Glue loads
        f"{artifacts}/glue_jobs/*": {"s3:GetObject"},
        f"{artifacts}/lib/*": {"s3:GetObject"},
        f"{artifacts}/expectations/*": {"s3:GetObject"},
        # Glue's scratch space and the Data Docs site
        f"{temp}/*": rw,
        f"{docs}/*": {"s3:GetObject", "s3:PutObject", "s3:DeleteObject", "s3:AbortMultipartUpload"},
    }


def test_listing_raw_and_lake_buckets_is_held_to_their_prefixes(stack: Rendered) -> None:
    statements = {s["Sid"]: s for s in policy_of(stack, ROLE_POLICY, "glue-role-policy")["Statement"]}
    assert statements["ListRawSources"]["Condition"] == {
        "StringLike": {"s3:prefix": ["log_data", "log_data/*", "song_data", "song_data/*"]}
    }
    assert statements["ListLake"]["Condition"]["StringLike"]["s3:prefix"] == [
        "curated", "curated/*", "quarantine", "quarantine/*", "reports", "reports/*", "staging", "staging/*",
    ]


def test_catalog_logs_and_keys_are_this_stacks_own(stack: Rendered, hardened: Rendered) -> None:
    allowed = grants(policy_of(stack, ROLE_POLICY, "glue-role-policy"))
    glue = f"arn:aws:glue:us-east-1:{ACCOUNT}"
    database = f"sparkify_{stack.stack}"
    catalog_resources = {r for r, actions in allowed.items() if any(a.startswith("glue:") for a in actions)}
    assert catalog_resources == {
        f"{glue}:catalog",
        f"{glue}:database/{database}",
        f"{glue}:table/{database}/*",
        f"{glue}:database/default",
    }
    assert allowed[f"{glue}:database/default"] == {"glue:GetDatabase"}
    assert "glue:CreateTable" in allowed[f"{glue}:database/{database}"]
    assert not any(a.startswith("glue:Delete") and "Partition" not in a for a in allowed[f"{glue}:table/{database}/*"])

    log_resources = {r for r, actions in allowed.items() if any(a.startswith("logs:") for a in actions)}
    assert log_resources == {
        f"arn:aws:logs:us-east-1:{ACCOUNT}:log-group:/aws-glue/*",
        f"arn:aws:logs:us-east-1:{ACCOUNT}:log-group:/aws-glue/*:log-stream:*",
    }
    key_resources = {r for r, actions in allowed.items() if any(a.startswith("kms:") for a in actions)}
    assert key_resources == {STACK_KEY}
    hardened_keys = {
        r for r, actions in grants(policy_of(hardened, ROLE_POLICY, "glue-role-policy")).items()
        if any(a.startswith("kms:") for a in actions)
    }
    assert hardened_keys == {STACK_KEY, DATA_KEY_ARN}


def test_nothing_may_write_the_raw_landing_zone_or_the_artifacts(stack: Rendered) -> None:
    allowed = grants(policy_of(stack, ROLE_POLICY, "glue-role-policy"))
    for resource, actions in allowed.items():
        if "-raw-" in resource or "-artifacts-" in resource:
            assert actions <= {"s3:GetObject", "s3:ListBucket", "s3:GetBucketLocation"}, f"{resource}: {actions}"
