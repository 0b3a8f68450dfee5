"""The account, partition and region a stack deploys into. The resources' names are
`sparkify.layout.Names`, shared with the operations verbs."""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_aws as aws


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
