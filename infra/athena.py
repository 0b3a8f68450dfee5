"""Athena, so the catalog is useful on day one: a workgroup with encrypted, expiring results and a scan
limit, the classic Sparkify questions of `sparkify.queries` and the quarantine's questions
(`sparkify.lake.quarantine_catalog`) as saved (named) queries.

The curated tables are Iceberg v2 tables in the Glue Data Catalog, which Athena engine version 3 reads as
they are (their `main` branch: what validation published): no crawler, no `MSCK REPAIR TABLE`, no
partition projection; Iceberg's own metadata lists the files and prunes partitions.
https://docs.aws.amazon.com/athena/latest/ug/querying-iceberg.html
"""

from __future__ import annotations

import pulumi
import pulumi_aws as aws

from sparkify.lake import quarantine_catalog
from sparkify.queries import DESCRIPTIONS, QUERIES

ATHENA_ENGINE = "Athena engine version 3"
# Stops a runaway query at 10 GiB scanned (about $0.05 at $5/TB); the star schema is far smaller.
BYTES_SCANNED_CUTOFF = 10 * 1024**3
RESULTS_PREFIX = "athena-results/"


class AthenaWorkgroup(pulumi.ComponentResource):
    workgroup: aws.athena.Workgroup
    queries: dict[str, aws.athena.NamedQuery]

    def __init__(
        self,
        name: str,
        workgroup_name: str,
        database: pulumi.Input[str],
        staging_database: pulumi.Input[str],
        results_bucket: pulumi.Input[str],
        kms_key_arn: str | None,
        force_destroy: bool,
        opts: pulumi.ResourceOptions | None = None,
    ):
        super().__init__("sparkify:athena:AthenaWorkgroup", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        encryption = (
            aws.athena.WorkgroupConfigurationResultConfigurationEncryptionConfigurationArgs(
                encryption_option="SSE_KMS", kms_key_arn=kms_key_arn
            )
            if kms_key_arn
            else aws.athena.WorkgroupConfigurationResultConfigurationEncryptionConfigurationArgs(
                encryption_option="SSE_S3"
            )
        )
        # Results land in the temp bucket (they expire with it); clients cannot override the settings.
        # https://docs.aws.amazon.com/athena/latest/ug/workgroups-settings-override.html
        self.workgroup = aws.athena.Workgroup(
            name,
            name=workgroup_name,
            description="Sparkify star schema queries",
            force_destroy=force_destroy,
            configuration=aws.athena.WorkgroupConfigurationArgs(
                enforce_workgroup_configuration=True,
                engine_version=aws.athena.WorkgroupConfigurationEngineVersionArgs(
                    selected_engine_version=ATHENA_ENGINE
                ),
                publish_cloudwatch_metrics_enabled=True,
                bytes_scanned_cutoff_per_query=BYTES_SCANNED_CUTOFF,
                result_configuration=aws.athena.WorkgroupConfigurationResultConfigurationArgs(
                    output_location=pulumi.Output.concat("s3://", results_bucket, "/", RESULTS_PREFIX),
                    encryption_configuration=encryption,
                ),
            ),
            opts=child,
        )
        self.queries = {}
        for query_name, sql in QUERIES.items():
            # Saved in the workgroup, against the stack's database: the bare table names resolve there.
            self.queries[query_name] = aws.athena.NamedQuery(
                f"{name}-{query_name}",
                name=query_name,
                description=DESCRIPTIONS[query_name],
                workgroup=self.workgroup.name,
                database=database,
                query=sql,
                opts=child,
            )
        for query_name, sql in quarantine_catalog.QUERIES.items():
            # The quarantine's tables live in the staging database.
            self.queries[query_name] = aws.athena.NamedQuery(
                f"{name}-{query_name}",
                name=query_name,
                description=quarantine_catalog.DESCRIPTIONS[query_name],
                workgroup=self.workgroup.name,
                database=staging_database,
                query=sql,
                opts=child,
            )
        self.register_outputs({"workgroup": self.workgroup.name})
