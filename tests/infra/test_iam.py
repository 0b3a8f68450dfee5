"""The Glue role's policy grants what the jobs and crawlers need, on named resources only."""

from __future__ import annotations

import json
from collections import defaultdict
from typing import Any

import pytest

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


@pytest.mark.parametrize("resource, role", [("glue-role", "glue"), ("crawler-role", "crawler")])
def test_roles_are_assumed_by_this_accounts_glue_only(stack: Rendered, resource: str, role: str) -> None:
    inputs = stack.one("aws:iam/role:Role", resource).inputs
    assert inputs["name"] == f"sparkify-{stack.stack}-{role}"
    assert json.loads(inputs["assumeRolePolicy"])["Statement"] == [
        {
            "Effect": "Allow",
            "Principal": {"Service": "glue.amazonaws.com"},
            "Action": "sts:AssumeRole",
            "Condition": {
                "StringEqualsIfExists": {"aws:SourceAccount": ACCOUNT},
                "ArnLikeIfExists": {"aws:SourceArn": f"arn:aws:glue:us-east-1:{ACCOUNT}:*"},
            },
        }
    ], f"role {resource}: trust policy"
    assert "managedPolicyArns" not in inputs, "no AWS managed policy: AWSGlueServiceRole grants '*' resources"


@pytest.mark.parametrize("policy", ["glue-role-policy", "crawler-role-policy"])
def test_no_wildcard_resource_or_action_except_metrics_held_to_the_glue_namespace(stack: Rendered, policy: str) -> None:
    for statement in policy_of(stack, ROLE_POLICY, policy)["Statement"]:
        if "*" in as_list(statement["Resource"]):
            assert statement["Action"] == "cloudwatch:PutMetricData", f"{policy}: statement {statement['Sid']} uses '*'"
            assert statement["Condition"] == {"StringEquals": {"cloudwatch:namespace": "Glue"}}
        wildcards = [a for a in as_list(statement["Action"]) if a.endswith(":*") or a == "*"]
        assert wildcards == [], f"{policy}: statement {statement['Sid']} grants {wildcards}"
        assert not any(a.startswith("s3:") and "*" in a for a in as_list(statement["Action"])), statement["Sid"]


def test_s3_grants_match_what_each_bucket_is_for(stack: Rendered) -> None:
    s = stack.stack
    raw, curated, artifacts, temp, docs = (
        f"arn:aws:s3:::sparkify-{s}-{p}-{ACCOUNT}-us-east-1" for p in ("raw", "curated", "artifacts", "temp", "docs")
    )
    allowed = grants(policy_of(stack, ROLE_POLICY, "glue-role-policy"))
    object_grants = {r: a for r, a in allowed.items() if r.startswith("arn:aws:s3:::") and "/" in r}
    rw = {"s3:GetObject", "s3:PutObject", "s3:DeleteObject", "s3:AbortMultipartUpload", "s3:ListMultipartUploadParts"}
    # Every prefix as its bare key too: S3A probes a folder `p` as the key `p` before `p/`; and as `p_$folder$`,
    # the marker an EMRFS-style connector writes for a folder.
    tails = ("", "/*", "_$folder$")
    assert object_grants == {
        # read-only: the landing zone's two sources
        **{f"{raw}/{p}{tail}": {"s3:GetObject"} for p in ("song_data", "log_data") for tail in tails},
        # read/write: the lake prefixes (Iceberg tables, quarantine, reports)
        **{f"{curated}/{p}{tail}": rw for p in ("staging", "curated", "quarantine", "reports") for tail in tails},
        # read-only: what Glue loads
        **{f"{artifacts}/{p}{tail}": {"s3:GetObject"} for p in ("glue_jobs", "lib", "expectations") for tail in tails},
        # Glue's scratch space (not Athena's results, which share the bucket) and the Data Docs site
        **{f"{temp}/{p}{tail}": rw for p in ("glue-temp", "spark-ui") for tail in tails},
        f"{docs}/*": {"s3:GetObject", "s3:PutObject", "s3:DeleteObject", "s3:AbortMultipartUpload"},
    }


def test_listing_raw_and_lake_buckets_is_held_to_their_prefixes(stack: Rendered) -> None:
    statements = {s["Sid"]: s for s in policy_of(stack, ROLE_POLICY, "glue-role-policy")["Statement"]}
    assert statements["ListRawSources"]["Condition"] == {
        "StringLike": {"s3:prefix": ["log_data", "log_data/*", "song_data", "song_data/*"]}
    }
    assert statements["ListLake"]["Condition"]["StringLike"]["s3:prefix"] == [
        "curated",
        "curated/*",
        "quarantine",
        "quarantine/*",
        "reports",
        "reports/*",
        "staging",
        "staging/*",
    ]
    assert statements["ListTempBucket"]["Condition"]["StringLike"]["s3:prefix"] == [
        "glue-temp",
        "glue-temp/*",
        "spark-ui",
        "spark-ui/*",
    ]


def test_jobs_get_exactly_the_iceberg_catalog_actions_on_the_two_databases(stack: Rendered) -> None:
    allowed = grants(policy_of(stack, ROLE_POLICY, "glue-role-policy"))
    glue = f"arn:aws:glue:us-east-1:{ACCOUNT}"
    db = f"sparkify_{stack.stack}"
    iceberg = {
        "glue:GetDatabase",
        "glue:GetTable",
        "glue:GetTables",
        "glue:CreateTable",
        "glue:UpdateTable",
        "glue:DeleteTable",
    }
    quarantine = {"glue:CreatePartition", "glue:GetPartitions", "glue:BatchDeletePartition"}
    catalog_grants = {r: a for r, a in allowed.items() if any(x.startswith("glue:") for x in a) and ":job/" not in r}
    tables = ("songplays", "users", "users_history", "songs", "artists", "time")
    assert catalog_grants == {
        f"{glue}:catalog": iceberg,
        f"{glue}:database/{db}": iceberg,
        f"{glue}:database/{db}_staging": iceberg,
        **{f"{glue}:table/{db}/{t}": iceberg for t in tables},
        f"{glue}:table/{db}_staging/*": iceberg,
    } | {
        # The stage job registers each batch's quarantine folder as a partition (and reads the table to do so),
        # and drops the partitions whose folders the bucket's lifecycle has expired.
        f"{glue}:catalog": iceberg | quarantine,
        f"{glue}:database/{db}_staging": iceberg | quarantine,
        **{f"{glue}:table/{db}_staging/quarantine_{s}": {"glue:GetTable"} | quarantine for s in ("events", "songs")},
    }, "the jobs' catalog grants"
    assert f"{glue}:table/{db}/song_data" not in allowed, "jobs must not touch the raw crawler's tables"


def test_a_job_may_stop_its_own_runs_and_no_other_jobs(stack: Rendered) -> None:
    # An input error stops the job's own run, which Glue does not retry (sparkify/lake/no_retry.py).
    allowed = grants(policy_of(stack, ROLE_POLICY, "glue-role-policy"))
    stoppable = {r for r, actions in allowed.items() if "glue:BatchStopJobRun" in actions}
    glue = f"arn:aws:glue:us-east-1:{ACCOUNT}"
    assert stoppable == {f"{glue}:job/sparkify-{stack.stack}-{j}" for j in ("stage", "model", "validate")}
    assert all(allowed[r] == {"glue:BatchStopJobRun"} for r in stoppable)


def test_crawler_reads_raw_and_writes_only_its_own_tables(stack: Rendered) -> None:
    allowed = grants(policy_of(stack, ROLE_POLICY, "crawler-role-policy"))
    raw = f"arn:aws:s3:::sparkify-{stack.stack}-raw-{ACCOUNT}-us-east-1"
    glue = f"arn:aws:glue:us-east-1:{ACCOUNT}"
    db = f"sparkify_{stack.stack}"
    s3 = {r: a for r, a in allowed.items() if r.startswith("arn:aws:s3:::")}
    assert s3 == {
        raw: {"s3:ListBucket", "s3:GetBucketLocation"},
        **{f"{raw}/{p}{tail}": {"s3:GetObject"} for p in ("song_data", "log_data") for tail in ("", "/*", "_$folder$")},
    }
    catalog = {r for r, a in allowed.items() if any(x.startswith("glue:") for x in a)}
    assert catalog == {
        f"{glue}:catalog",
        f"{glue}:database/{db}",
        f"{glue}:table/{db}/song_data",
        f"{glue}:table/{db}/log_data",
    }
    assert "glue:BatchCreatePartition" in allowed[f"{glue}:table/{db}/song_data"]
    assert not any(a.startswith("glue:Delete") for a in allowed[f"{glue}:table/{db}/song_data"])


def test_logs_and_keys_are_this_stacks_own(stack: Rendered, hardened: Rendered) -> None:
    allowed = grants(policy_of(stack, ROLE_POLICY, "glue-role-policy"))
    prefix = f"arn:aws:logs:us-east-1:{ACCOUNT}:log-group:/aws-glue/sparkify-{stack.stack}"
    logs = f"{prefix}/sparkify-{stack.stack}-role/sparkify-{stack.stack}-glue"
    log_resources = {r for r, actions in allowed.items() if any(a.startswith("logs:") for a in actions)}
    assert log_resources == {
        f"{logs}/output",
        f"{logs}/output:log-stream:*",
        f"{logs}/error",
        f"{logs}/error:log-stream:*",
        # should Glue name a group otherwise, it stays under the stack's own folder: `sparkify-prod/*`,
        # never `sparkify-prod*`, which is also `sparkify-prod-eu`'s
        f"{prefix}/*",
        f"{prefix}/*:log-stream:*",
    }
    creates = {r for r, actions in allowed.items() if "logs:CreateLogGroup" in actions}
    assert creates == {f"{prefix}/*", f"{prefix}/*:log-stream:*"}, "log groups only under the stack's own prefix"
    crawler = grants(policy_of(stack, ROLE_POLICY, "crawler-role-policy"))
    crawler_logs = {r for r, actions in crawler.items() if any(a.startswith("logs:") for a in actions)}
    group = f"arn:aws:logs:us-east-1:{ACCOUNT}:log-group:/aws-glue/crawlers-role/sparkify-{stack.stack}-crawler"
    assert crawler_logs == {
        f"{group}-sparkify-{stack.stack}",
        f"{group}-sparkify-{stack.stack}:log-stream:*",
        f"{group}-*",
        f"{group}-*:log-stream:*",
    }
    key_resources = {r for r, actions in allowed.items() if any(a.startswith("kms:") for a in actions)}
    assert key_resources == {STACK_KEY}
    hardened_keys = {
        r
        for r, actions in grants(policy_of(hardened, ROLE_POLICY, "glue-role-policy")).items()
        if any(a.startswith("kms:") for a in actions)
    }
    assert hardened_keys == {STACK_KEY, DATA_KEY_ARN}


@pytest.mark.parametrize("policy", ["glue-role-policy", "crawler-role-policy"])
def test_nothing_may_write_the_raw_landing_zone_or_the_artifacts(stack: Rendered, policy: str) -> None:
    allowed = grants(policy_of(stack, ROLE_POLICY, policy))
    for resource, actions in allowed.items():
        if "-raw-" in resource or "-artifacts-" in resource:
            assert actions <= {"s3:GetObject", "s3:ListBucket", "s3:GetBucketLocation"}, (
                f"{policy} {resource}: {actions}"
            )
