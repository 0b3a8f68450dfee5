"""CloudWatch log groups the stack owns, so every log line it produces expires and is encrypted with the
stack key: the jobs' two groups, the raw crawler's and the alert router's. Their names are
`sparkify.layout.Names.log_groups`, the names Glue and Lambda write to (the verbs read them there too);
Glue's own `/aws-glue/jobs/...` groups, which nothing expires, are not written to.
"""

from __future__ import annotations

import pulumi
import pulumi_aws as aws

from sparkify.layout import Names


class LogGroups(pulumi.ComponentResource):
    """One log group per name of `Names.log_groups`, with the stack's retention and key."""

    groups: dict[str, aws.cloudwatch.LogGroup]

    def __init__(
        self,
        name: str,
        names: Names,
        retention_days: int,
        kms_key_arn: pulumi.Input[str],
        opts: pulumi.ResourceOptions | None = None,
    ):
        super().__init__("sparkify:logs:LogGroups", name, None, opts)
        self.groups = {}
        for group in names.log_groups:
            resource_name = f"{name}-" + group.strip("/").replace("/", "-")
            self.groups[group] = aws.cloudwatch.LogGroup(
                resource_name,
                name=group,
                retention_in_days=retention_days,
                kms_key_id=kms_key_arn,
                opts=pulumi.ResourceOptions(parent=self),
            )
        self.register_outputs({"log_groups": list(self.groups)})
