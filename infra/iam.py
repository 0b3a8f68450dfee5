"""The one IAM role Glue jobs and crawlers assume, with a least-privilege inline policy.

Every grant names its resource: the raw source prefixes (read), the lake prefixes of the curated bucket
(read/write), Glue's temp bucket, the artifacts Glue loads, the Data Docs bucket, this stack's catalog
database and its tables, Glue's log groups, and the stack's keys. The only `"Resource": "*"` is
`cloudwatch:PutMetricData`, which has no resource-level permissions, held to the Glue namespace.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import Any

import pulumi
import pulumi_aws as aws

from infra.artifacts import EXPECTATIONS_PREFIX, REQUIREMENTS_KEY, SHARED_CODE_KEY
from infra.storage import LOCATION_BUCKETS
from sparkify import pipeline

LAKE_RW_ACTIONS = [
    "s3:GetObject",
    "s3:PutObject",
    "s3:DeleteObject",
    "s3:AbortMultipartUpload",
    "s3:ListMultipartUploadParts",
]
CATALOG_ACTIONS = [
    "glue:GetDatabase",
    "glue:GetTable",
    "glue:GetTables",
    "glue:CreateTable",
    "glue:UpdateTable",
    "glue:GetPartition",
    "glue:GetPartitions",
    "glue:BatchGetPartition",
    "glue:CreatePartition",
    "glue:BatchCreatePartition",
    "glue:UpdatePartition",
    "glue:BatchUpdatePartition",
    "glue:DeletePartition",
    "glue:BatchDeletePartition",
]


@dataclass(frozen=True)
class PolicyInputs:
    """Plain names and ARNs the policy is written from (resolved Outputs)."""

    partition: str
    region: str
    account_id: str
    buckets: dict[str, str]  # purpose → bucket name
    database: str
    stack_key_arn: str
    data_key_arn: str | None = None


def raw_prefixes() -> list[str]:
    return sorted(pipeline.SOURCES.values())


def lake_prefixes() -> list[str]:
    """Prefixes of the curated bucket the jobs write: staging, curated tables, quarantine, reports."""
    return sorted(prefix.rstrip("/") for purpose, prefix in LOCATION_BUCKETS.values() if purpose == "curated")


def artifact_prefixes() -> list[str]:
    folders = {str(PurePosixPath(step.script).parent) for step in pipeline.job_steps()}
    folders |= {str(PurePosixPath(SHARED_CODE_KEY).parent), str(PurePosixPath(REQUIREMENTS_KEY).parent)}
    folders.add(EXPECTATIONS_PREFIX.rstrip("/"))
    return sorted(folders)


def _prefix_condition(prefixes: list[str]) -> dict[str, Any]:
    # A folder is listed as "p/" and probed as "p" by Spark's S3 connector and by crawlers.
    return {"StringLike": {"s3:prefix": [v for p in prefixes for v in (p, f"{p}/*")]}}


def glue_policy(p: PolicyInputs) -> dict[str, Any]:
    s3 = f"arn:{p.partition}:s3:::"
    raw, curated, artifacts, temp, docs = (p.buckets[k] for k in ("raw", "curated", "artifacts", "temp", "docs"))
    glue = f"arn:{p.partition}:glue:{p.region}:{p.account_id}"
    logs = f"arn:{p.partition}:logs:{p.region}:{p.account_id}:log-group:/aws-glue/*"
    statements: list[dict[str, Any]] = [
        {
            "Sid": "ListRawSources",
            "Effect": "Allow",
            "Action": "s3:ListBucket",
            "Resource": f"{s3}{raw}",
            "Condition": _prefix_condition(raw_prefixes()),
        },
        {
            "Sid": "ReadRawSources",
            "Effect": "Allow",
            "Action": "s3:GetObject",
            "Resource": [f"{s3}{raw}/{prefix}/*" for prefix in raw_prefixes()],
        },
        {
            "Sid": "ListLake",
            "Effect": "Allow",
            "Action": ["s3:ListBucket", "s3:ListBucketMultipartUploads"],
            "Resource": f"{s3}{curated}",
            "Condition": _prefix_condition(lake_prefixes()),
        },
        {
            "Sid": "ReadWriteLake",
            "Effect": "Allow",
            "Action": LAKE_RW_ACTIONS,
            "Resource": [f"{s3}{curated}/{prefix}/*" for prefix in lake_prefixes()],
        },
        {
            "Sid": "ListTempBucket",
            "Effect": "Allow",
            "Action": ["s3:ListBucket", "s3:ListBucketMultipartUploads"],
            "Resource": f"{s3}{temp}",
        },
        {
            "Sid": "UseTempBucket",
            "Effect": "Allow",
            "Action": LAKE_RW_ACTIONS,
            "Resource": f"{s3}{temp}/*",
        },
        {
            "Sid": "ListArtifacts",
            "Effect": "Allow",
            "Action": "s3:ListBucket",
            "Resource": f"{s3}{artifacts}",
            "Condition": _prefix_condition(artifact_prefixes()),
        },
        {
            "Sid": "ReadArtifacts",
            "Effect": "Allow",
            "Action": "s3:GetObject",
            "Resource": [f"{s3}{artifacts}/{prefix}/*" for prefix in artifact_prefixes()],
        },
        {
            "Sid": "ListDataDocs",
            "Effect": "Allow",
            "Action": "s3:ListBucket",
            "Resource": f"{s3}{docs}",
        },
        {
            # The validate job replaces latest/ and adds runs/<run_id>/.
            "Sid": "PublishDataDocs",
            "Effect": "Allow",
            "Action": ["s3:GetObject", "s3:PutObject", "s3:DeleteObject", "s3:AbortMultipartUpload"],
            "Resource": f"{s3}{docs}/*",
        },
        {
            "Sid": "FindBuckets",
            "Effect": "Allow",
            "Action": "s3:GetBucketLocation",
            "Resource": [f"{s3}{b}" for b in (raw, curated, artifacts, temp, docs)],
        },
        {
            # Crawlers register tables and partitions; Spark's catalog client also reads the `default` database.
            "Sid": "StackCatalog",
            "Effect": "Allow",
            "Action": CATALOG_ACTIONS,
            "Resource": [f"{glue}:catalog", f"{glue}:database/{p.database}", f"{glue}:table/{p.database}/*"],
        },
        {
            "Sid": "ReadDefaultDatabase",
            "Effect": "Allow",
            "Action": "glue:GetDatabase",
            "Resource": [f"{glue}:catalog", f"{glue}:database/default"],
        },
        {
            # Glue names its log groups /aws-glue/jobs..., /aws-glue/crawlers... (with the security
            # configuration's name when it encrypts them), so the grant stops at the /aws-glue/ prefix.
            "Sid": "GlueLogGroups",
            "Effect": "Allow",
            "Action": ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents", "logs:AssociateKmsKey"],
            "Resource": [logs, f"{logs}:log-stream:*"],
        },
        {
            # PutMetricData supports no resource-level permissions; the condition holds it to Glue's namespace.
            "Sid": "GlueJobMetrics",
            "Effect": "Allow",
            "Action": "cloudwatch:PutMetricData",
            "Resource": "*",
            "Condition": {"StringEquals": {"cloudwatch:namespace": "Glue"}},
        },
        {
            "Sid": "UseStackKeys",
            "Effect": "Allow",
            "Action": ["kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:DescribeKey"],
            "Resource": [p.stack_key_arn, *([p.data_key_arn] if p.data_key_arn else [])],
        },
    ]
    return {"Version": "2012-10-17", "Statement": statements}


def assume_role_policy() -> dict[str, Any]:
    return {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Principal": {"Service": "glue.amazonaws.com"}, "Action": "sts:AssumeRole"}
        ],
    }


class GlueRole(pulumi.ComponentResource):
    """The service role of every job and crawler of the stack."""

    role: aws.iam.Role

    def __init__(
        self,
        name: str,
        role_name: str,
        inputs: pulumi.Output[PolicyInputs],
        opts: pulumi.ResourceOptions | None = None,
    ):
        super().__init__("sparkify:iam:GlueRole", name, None, opts)
        # Assumed by the Glue service only; no AWS managed policy (AWSGlueServiceRole grants "*" resources).
        self.role = aws.iam.Role(
            name,
            name=role_name,
            description="Sparkify Glue jobs and crawlers",
            assume_role_policy=json.dumps(assume_role_policy()),
            opts=pulumi.ResourceOptions(parent=self),
        )
        # Inline, so the grants live and die with the role.
        self.policy = aws.iam.RolePolicy(
            f"{name}-policy",
            role=self.role.id,
            policy=inputs.apply(lambda i: json.dumps(glue_policy(i))),
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.register_outputs({"role_arn": self.role.arn})
