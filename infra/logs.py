"""CloudWatch log groups the stack owns, so every log line it produces expires and is encrypted with the
stack key: the jobs' `<prefix>/output` and `<prefix>/error` (`--custom-logGroup-prefix`, Glue 5.x), the
raw crawler's group, and the alert router's. Glue's own `/aws-glue/jobs/...` groups, which nothing
expires, are no longer written to.
"""

from __future__ import annotations

import pulumi
import pulumi_aws as aws

from sparkify.layout import Names

# Glue 5.x job log groups under a custom prefix.
# https://docs.aws.amazon.com/glue/latest/dg/monitor-continuous-logging.html
JOB_LOG_STREAMS = ("output", "error")


def job_log_groups(names: Names) -> list[str]:
    return [f"{names.log_group_prefix}/{kind}" for kind in JOB_LOG_STREAMS]


def crawler_log_prefix(names: Names) -> str:
    return f"/aws-glue/crawlers-role/{names.crawler_role}"


def crawler_log_group(names: Names) -> str:
    """Where a crawler with a security configuration logs: `/aws-glue/crawlers-role/<role>-<security config>`
    (the pattern Glue documents for jobs' default groups, `/aws-glue/jobs-<role>-<security config>`).
    https://docs.aws.amazon.com/glue/latest/dg/console-security-configurations.html"""
    return f"{crawler_log_prefix(names)}-{names.security_configuration}"


def alert_router_log_group(names: Names) -> str:
    return f"/aws/lambda/{names.alert_router}"


def stack_log_groups(names: Names) -> list[str]:
    return [*job_log_groups(names), crawler_log_group(names), alert_router_log_group(names)]


class LogGroups(pulumi.ComponentResource):
    """One log group per name of `stack_log_groups`, with the stack's retention and key."""

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
        for group in stack_log_groups(names):
            resource_name = f"{name}-" + group.strip("/").replace("/", "-")
            self.groups[group] = aws.cloudwatch.LogGroup(
                resource_name,
                name=group,
                retention_in_days=retention_days,
                kms_key_id=kms_key_arn,
                opts=pulumi.ResourceOptions(parent=self),
            )
        self.register_outputs({"log_groups": list(self.groups)})
