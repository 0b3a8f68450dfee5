"""The stack's Glue service roles, each with a least-privilege inline policy: one for the jobs, one for the
raw crawler, and, when the stack leaves table upkeep to them, one for the Data Catalog's table optimizers.

Every grant names its resource. S3 object grants cover each prefix's bare key as well as what lies under
it (`staging` and `staging/*`): Hadoop's S3A connector (Spark's default on Glue 5.1) probes a folder as
the key `staging`, then `staging/`, then lists it, and S3 answers a HEAD of an ungranted key with 403,
which S3A raises instead of treating as "absent". `tests/infra/test_s3_access.py` runs every S3 call the
jobs make against moto with these statements enforced.

Catalog grants are exactly what Iceberg's Glue catalog calls to load, create, commit (UpdateTable with
the new metadata pointer) and drop tables, on the stack's two databases and their tables; Iceberg keeps
partitions in its own metadata, so no partition action is granted to the jobs. Only the crawler, which
catalogs raw JSON folders as Hive-style tables, writes partitions, and only of its own tables. The only
`"Resource": "*"` is `cloudwatch:PutMetricData`, which has no resource-level permissions, held to the
Glue namespace.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import Any

import pulumi
import pulumi_aws as aws

from infra.artifacts import SHARED_CODE_KEY, WHEELS_PREFIX
from infra.catalog import NAMESPACE_LOCATIONS
from sparkify import pipeline
from sparkify.lake import quarantine_catalog
from sparkify.layout import EXPECTATIONS_PREFIX, LOCATION_BUCKETS
from sparkify.pipeline import Namespace

LAKE_RW_ACTIONS = [
    "s3:GetObject",
    "s3:PutObject",
    "s3:DeleteObject",
    "s3:AbortMultipartUpload",
    "s3:ListMultipartUploadParts",
]
# Iceberg's GlueCatalog: load (GetTable), list (GetTables), create, commit (UpdateTable), drop on a full
# refresh (DeleteTable), and the namespace check (GetDatabase).
ICEBERG_CATALOG_ACTIONS = [
    "glue:GetDatabase",
    "glue:GetTable",
    "glue:GetTables",
    "glue:CreateTable",
    "glue:UpdateTable",
    "glue:DeleteTable",
]
# Register each batch's partition; forget those whose files the lifecycle expired.
QUARANTINE_CATALOG_ACTIONS = [
    "glue:GetTable",
    "glue:CreatePartition",
    "glue:GetPartitions",
    "glue:BatchDeletePartition",
]
CRAWLER_CATALOG_ACTIONS = [
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
]
# Glue's scratch space in the temp bucket (Athena's results, also there, are not the jobs' business).
TEMP_PREFIXES = ("glue-temp", "spark-ui")
KMS_ACTIONS = ["kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:DescribeKey"]
# What AWS's "Table optimization prerequisites" gives the table optimizers' role, statement by statement:
# https://docs.aws.amazon.com/glue/latest/dg/optimization-prerequisites.html
OPTIMIZER_S3_ACTIONS = ["s3:PutObject", "s3:GetObject", "s3:DeleteObject"]
OPTIMIZER_CATALOG_ACTIONS = ["glue:UpdateTable", "glue:GetTable"]
OPTIMIZER_LOG_ACTIONS = ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"]
OPTIMIZER_KMS_ACTIONS = ["kms:Decrypt", "kms:GenerateDataKey"]
# Account-wide groups the optimizers log to (Glue creates them; every stack of the account shares them).
OPTIMIZER_LOG_GROUPS = (
    "/aws-glue/iceberg-compaction/logs",
    "/aws-glue/iceberg-retention/logs",
    "/aws-glue/iceberg-orphan-file-deletion/logs",
)


@dataclass(frozen=True)
class PolicyInputs:
    """Plain names and ARNs the policies are written from (resolved Outputs)."""

    partition: str
    region: str
    account_id: str
    buckets: dict[str, str]  # purpose → bucket name
    database: str
    stack_key_arn: str
    data_key_arn: str | None = None
    staging_database: str = ""
    job_log_groups: tuple[str, ...] = ()
    crawler_log_group: str = ""
    job_names: tuple[str, ...] = ()  # the stack's Glue jobs
    # Where a group Glue names differently may still be created: the stack's own prefixes.
    job_log_prefix: str = "/aws-glue/sparkify-unset"
    crawler_log_prefix: str = "/aws-glue/crawlers-role/sparkify-unset"


def raw_prefixes() -> list[str]:
    return sorted(pipeline.SOURCES.values())


def lake_prefixes() -> list[str]:
    """Prefixes of the curated bucket the jobs write: staging, curated tables, quarantine, reports."""
    return sorted(prefix.rstrip("/") for purpose, prefix in LOCATION_BUCKETS.values() if purpose == "curated")


def artifact_prefixes() -> list[str]:
    folders = {str(PurePosixPath(step.script).parent) for step in pipeline.job_steps()}
    folders |= {str(PurePosixPath(SHARED_CODE_KEY).parent), WHEELS_PREFIX.rstrip("/")}
    folders.add(EXPECTATIONS_PREFIX.rstrip("/"))
    # lib/wheels lies under lib: one grant covers both.
    return sorted(f for f in folders if not any(f.startswith(other + "/") for other in folders))


def _prefix_condition(prefixes: Iterable[str]) -> dict[str, Any]:
    # A folder is listed as "p/" and probed as "p" by Spark's S3 connector and by crawlers.
    return {"StringLike": {"s3:prefix": [v for p in sorted(prefixes) for v in (p, f"{p}/*")]}}


# The keys of a prefix `p` besides what lies under it: S3A probes a folder as the key `p`; an EMRFS-style
# connector writes (and reads) the folder marker `p_$folder$` (a literal `$`: IAM reads only `${` as a variable).
FOLDER_MARKER = "_$folder$"


def _keys(bucket_arn: str, prefixes: Iterable[str]) -> list[str]:
    """A prefix's bare key, its folder marker and everything under it."""
    return [
        key
        for p in sorted(prefixes)
        for key in (f"{bucket_arn}/{p}", f"{bucket_arn}/{p}/*", f"{bucket_arn}/{p}{FOLDER_MARKER}")
    ]


def _log_grants(p: PolicyInputs, groups: Iterable[str]) -> list[str]:
    logs = f"arn:{p.partition}:logs:{p.region}:{p.account_id}:log-group:"
    return [arn for g in groups for arn in (f"{logs}{g}", f"{logs}{g}:log-stream:*")]


def _log_fallback(p: PolicyInputs, sid: str, pattern: str) -> dict[str, Any]:
    """Should Glue name a group differently from what the stack created, it may create one next to them,
    matching `pattern`: logs are never lost, and `sparkify status` shows the group a run used. Each
    pattern ends at a separator (`sparkify-prod/*`, `...-crawler-*`): `sparkify-prod*` would also match
    the groups of a stack named `prod-eu`."""
    logs = f"arn:{p.partition}:logs:{p.region}:{p.account_id}:log-group:{pattern}"
    return {
        "Sid": sid,
        "Effect": "Allow",
        "Action": ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents", "logs:AssociateKmsKey"],
        "Resource": [logs, f"{logs}:log-stream:*"],
    }


def _metrics_statement() -> dict[str, Any]:
    # PutMetricData supports no resource-level permissions; the condition holds it to Glue's namespace.
    return {
        "Sid": "GlueJobMetrics",
        "Effect": "Allow",
        "Action": "cloudwatch:PutMetricData",
        "Resource": "*",
        "Condition": {"StringEquals": {"cloudwatch:namespace": "Glue"}},
    }


def _keys_statement(p: PolicyInputs) -> dict[str, Any]:
    return {
        "Sid": "UseStackKeys",
        "Effect": "Allow",
        "Action": KMS_ACTIONS,
        "Resource": [p.stack_key_arn, *([p.data_key_arn] if p.data_key_arn else [])],
    }


def curated_table_arns(p: PolicyInputs) -> list[str]:
    glue = f"arn:{p.partition}:glue:{p.region}:{p.account_id}"
    return [f"{glue}:table/{p.database}/{t.name}" for t in pipeline.CURATED_TABLES]


def glue_policy(p: PolicyInputs) -> dict[str, Any]:
    """The jobs' role."""
    s3 = f"arn:{p.partition}:s3:::"
    raw, curated, artifacts, temp, docs = (p.buckets[k] for k in ("raw", "curated", "artifacts", "temp", "docs"))
    glue = f"arn:{p.partition}:glue:{p.region}:{p.account_id}"
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
            "Resource": _keys(f"{s3}{raw}", raw_prefixes()),
        },
        {
            "Sid": "ListLake",
            "Effect": "Allow",
            "Action": ["s3:ListBucket", "s3:ListBucketMultipartUploads"],
            "Resource": f"{s3}{curated}",
            "Condition": _prefix_condition(lake_prefixes()),
        },
        {
            # Iceberg data and metadata files (S3FileIO), quarantine Parquet, checkpoints and reports (S3A).
            "Sid": "ReadWriteLake",
            "Effect": "Allow",
            "Action": LAKE_RW_ACTIONS,
            "Resource": _keys(f"{s3}{curated}", lake_prefixes()),
        },
        {
            "Sid": "ListTempBucket",
            "Effect": "Allow",
            "Action": ["s3:ListBucket", "s3:ListBucketMultipartUploads"],
            "Resource": f"{s3}{temp}",
            "Condition": _prefix_condition(TEMP_PREFIXES),
        },
        {
            "Sid": "UseTempBucket",
            "Effect": "Allow",
            "Action": LAKE_RW_ACTIONS,
            "Resource": _keys(f"{s3}{temp}", TEMP_PREFIXES),
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
            "Resource": _keys(f"{s3}{artifacts}", artifact_prefixes()),
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
            # The curated tables by name (the raw crawler's tables share the database and stay out of reach);
            # every table of the staging database is the pipeline's.
            "Sid": "IcebergCatalog",
            "Effect": "Allow",
            "Action": ICEBERG_CATALOG_ACTIONS,
            "Resource": [
                f"{glue}:catalog",
                f"{glue}:database/{p.database}",
                f"{glue}:database/{p.staging_database}",
                *curated_table_arns(p),
                f"{glue}:table/{p.staging_database}/*",
            ],
        },
        {
            # The stage job adds each batch's folder as a partition of the quarantine's Athena tables, and
            # drops the partitions of batches whose files the bucket's lifecycle has expired.
            "Sid": "RegisterQuarantineBatches",
            "Effect": "Allow",
            "Action": QUARANTINE_CATALOG_ACTIONS,
            "Resource": [
                f"{glue}:catalog",
                f"{glue}:database/{p.staging_database}",
                *(f"{glue}:table/{p.staging_database}/{quarantine_catalog.table_name(s)}" for s in pipeline.SOURCES),
            ],
        },
        {
            # The stack's own groups (`layout.Names.job_log_groups`); they exist before any job runs.
            "Sid": "JobLogGroups",
            "Effect": "Allow",
            "Action": ["logs:CreateLogStream", "logs:PutLogEvents", "logs:AssociateKmsKey"],
            "Resource": _log_grants(p, p.job_log_groups),
        },
        _log_fallback(p, "JobLogGroupsNamedOtherwise", f"{p.job_log_prefix}/*"),
        _metrics_statement(),
        _keys_statement(p),
    ]
    if p.job_names:
        # An input error stops the job's own run, which Glue does not retry (sparkify/lake/no_retry.py).
        statements.append(
            {
                "Sid": "StopOwnRunOnInputError",
                "Effect": "Allow",
                "Action": "glue:BatchStopJobRun",
                "Resource": [f"{glue}:job/{name}" for name in p.job_names],
            }
        )
    return {"Version": "2012-10-17", "Statement": statements}


def crawler_policy(p: PolicyInputs) -> dict[str, Any]:
    """The raw crawler's role: read the two raw prefixes, keep their two tables in the curated database."""
    s3 = f"arn:{p.partition}:s3:::"
    raw = p.buckets["raw"]
    glue = f"arn:{p.partition}:glue:{p.region}:{p.account_id}"
    tables = [f"{glue}:table/{p.database}/{t}" for t in pipeline.RAW_CRAWLER.tables]
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
            "Resource": _keys(f"{s3}{raw}", raw_prefixes()),
        },
        {
            "Sid": "FindRawBucket",
            "Effect": "Allow",
            "Action": "s3:GetBucketLocation",
            "Resource": f"{s3}{raw}",
        },
        {
            "Sid": "RawTables",
            "Effect": "Allow",
            "Action": CRAWLER_CATALOG_ACTIONS,
            "Resource": [f"{glue}:catalog", f"{glue}:database/{p.database}", *tables],
        },
        {
            "Sid": "CrawlerLogGroup",
            "Effect": "Allow",
            "Action": ["logs:CreateLogStream", "logs:PutLogEvents", "logs:AssociateKmsKey"],
            "Resource": _log_grants(p, [p.crawler_log_group]),
        },
        _log_fallback(p, "CrawlerLogGroupNamedOtherwise", f"{p.crawler_log_prefix}-*"),
        _keys_statement(p),
    ]
    return {"Version": "2012-10-17", "Statement": statements}


def owned_table_arns(p: PolicyInputs) -> list[str]:
    """The catalog ARN of every table the workflow owns (`pipeline.owned_tables`)."""
    glue = f"arn:{p.partition}:glue:{p.region}:{p.account_id}"
    databases = {Namespace.CURATED: p.database, Namespace.STAGING: p.staging_database}
    return [f"{glue}:table/{databases[ns]}/{name}" for ns, name in pipeline.owned_tables().values()]


def owned_table_prefixes() -> list[str]:
    """Where each owned table's data and metadata files lie in the curated bucket: `<layer prefix><table>`."""
    return [f"{LOCATION_BUCKETS[NAMESPACE_LOCATIONS[ns]][1]}{name}" for ns, name in pipeline.owned_tables().values()]


def optimizer_policy(p: PolicyInputs) -> dict[str, Any]:
    """The table optimizers' role, as AWS's prerequisites page writes it, with its placeholders filled by the
    owned tables: read, write and delete their files, list the bucket they lie in, read and update them in
    the catalog, log to the optimizers' groups, and use the data key when there is one."""
    s3 = f"arn:{p.partition}:s3:::"
    curated = p.buckets["curated"]
    glue = f"arn:{p.partition}:glue:{p.region}:{p.account_id}"
    logs = f"arn:{p.partition}:logs:{p.region}:{p.account_id}:log-group:"
    statements: list[dict[str, Any]] = [
        {
            "Sid": "OwnedTableFiles",
            "Effect": "Allow",
            "Action": OPTIMIZER_S3_ACTIONS,
            "Resource": [f"{s3}{curated}/{prefix}/*" for prefix in owned_table_prefixes()],
        },
        {"Sid": "ListLake", "Effect": "Allow", "Action": "s3:ListBucket", "Resource": f"{s3}{curated}"},
        {
            "Sid": "OwnedTablesInCatalog",
            "Effect": "Allow",
            "Action": OPTIMIZER_CATALOG_ACTIONS,
            "Resource": [
                *owned_table_arns(p),
                f"{glue}:database/{p.database}",
                f"{glue}:database/{p.staging_database}",
                f"{glue}:catalog",
            ],
        },
        {
            "Sid": "OptimizerLogs",
            "Effect": "Allow",
            "Action": OPTIMIZER_LOG_ACTIONS,
            "Resource": [f"{logs}{group}:*" for group in OPTIMIZER_LOG_GROUPS],
        },
    ]
    if p.data_key_arn:
        # Buckets encrypted with a key of one's own (SSE-S3 needs nothing); the key's policy must let IAM grant it.
        statements.append(
            {"Sid": "UseDataKey", "Effect": "Allow", "Action": OPTIMIZER_KMS_ACTIONS, "Resource": p.data_key_arn}
        )
    return {"Version": "2012-10-17", "Statement": statements}


def optimizer_trust_policy(_: PolicyInputs) -> dict[str, Any]:
    """Exactly the trust policy of AWS's prerequisites page: the Glue service assumes the role. AWS documents
    no source keys the optimizers send, so none is required here (the jobs' roles hold them as `IfExists`)."""
    return {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Principal": {"Service": "glue.amazonaws.com"}, "Action": "sts:AssumeRole"}],
    }


def _service_trust(i: PolicyInputs) -> dict[str, Any]:
    return assume_role_policy(i.partition, i.region, i.account_id)


def assume_role_policy(partition: str, region: str, account_id: str) -> dict[str, Any]:
    """Glue may assume the role only on behalf of this account's Glue resources in the stack's region
    (confused-deputy protection: https://docs.aws.amazon.com/IAM/latest/UserGuide/confused-deputy.html).

    `...IfExists`: where Glue sends the source keys they must match; a call that carries none (not every
    Glue API documents them, and CreateCrawler test-assumes the role) still works instead of breaking
    `pulumi up` or the first run. A positive condition on an absent key would deny."""
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Service": "glue.amazonaws.com"},
                "Action": "sts:AssumeRole",
                "Condition": {
                    "StringEqualsIfExists": {"aws:SourceAccount": account_id},
                    "ArnLikeIfExists": {"aws:SourceArn": f"arn:{partition}:glue:{region}:{account_id}:*"},
                },
            }
        ],
    }


class GlueRole(pulumi.ComponentResource):
    """A Glue service role with one inline policy (the jobs', the crawler's or the table optimizers')."""

    role: aws.iam.Role

    def __init__(
        self,
        name: str,
        role_name: str,
        description: str,
        inputs: pulumi.Output[PolicyInputs],
        policy: Callable[[PolicyInputs], dict[str, Any]] = glue_policy,
        trust: Callable[[PolicyInputs], dict[str, Any]] = _service_trust,
        opts: pulumi.ResourceOptions | None = None,
    ):
        super().__init__("sparkify:iam:GlueRole", name, None, opts)
        # Assumed by the Glue service only; no AWS managed policy (AWSGlueServiceRole grants "*" resources).
        self.role = aws.iam.Role(
            name,
            name=role_name,
            description=description,
            assume_role_policy=inputs.apply(lambda i: json.dumps(trust(i))),
            opts=pulumi.ResourceOptions(parent=self),
        )
        # Inline, so the grants live and die with the role.
        self.policy = aws.iam.RolePolicy(
            f"{name}-policy",
            role=self.role.id,
            policy=inputs.apply(lambda i: json.dumps(policy(i))),
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.register_outputs({"role_arn": self.role.arn})
