"""Physical names of the stack's resources, so two stacks in one account never collide.

Glue jobs, crawlers and the workflow get fixed, readable names (people type them:
`aws glue start-workflow-run --name sparkify-dev`); buckets add the account and region, since bucket
names are global.
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

BUCKET_PURPOSES = ("raw", "curated", "artifacts", "temp", "docs")


@dataclass(frozen=True)
class Names:
    prefix: str  # sparkify-<stack>

    def job(self, step: str) -> str:
        return f"{self.prefix}-{step}"

    def crawler(self, step: str) -> str:
        return f"{self.prefix}-{step}"

    @property
    def start_trigger(self) -> str:
        return f"{self.prefix}-start"

    def trigger(self, step: str) -> str:
        """The conditional trigger that starts `step` once its upstream steps succeeded."""
        return f"{self.prefix}-run-{step}"

    @property
    def workflow(self) -> str:
        return self.prefix

    @property
    def database(self) -> str:
        # Athena wants lowercase letters, digits and underscores in database names.
        return self.prefix.replace("-", "_")

    @property
    def staging_database(self) -> str:
        """The Glue database of the staging Iceberg tables (and the raw-file ledger)."""
        return f"{self.database}_staging"

    @property
    def role(self) -> str:
        return f"{self.prefix}-glue"

    @property
    def crawler_role(self) -> str:
        return f"{self.prefix}-crawler"

    @property
    def log_group_prefix(self) -> str:
        """Glue 5.x writes a job's driver and executor logs to `<prefix>/output` and `<prefix>/error`
        (`--custom-logGroup-prefix`); the stack owns both groups."""
        return f"/aws-glue/{self.prefix}"

    @property
    def security_configuration(self) -> str:
        return self.prefix

    def bucket(self, purpose: str, account_id: str, region: str) -> str:
        if purpose not in BUCKET_PURPOSES:
            raise ValueError(f"unknown bucket purpose {purpose!r}")
        return f"{self.prefix}-{purpose}-{account_id}-{region}"


@dataclass(frozen=True)
class AwsContext:
    """The account and partition the stack deploys into (looked up once) and the configured region."""

    account_id: pulumi.Output[str]
    partition: pulumi.Output[str]
    region: str

    @staticmethod
    def lookup(region: str, provider: pulumi.ProviderResource | None = None) -> AwsContext:
        opts = pulumi.InvokeOptions(provider=provider)
        return AwsContext(
            account_id=aws.get_caller_identity_output(opts=opts).account_id,
            partition=aws.get_partition_output(opts=opts).partition,
            region=region,
        )
