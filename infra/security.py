"""Encryption the stack owns: a KMS key for the stack's logs, job bookmarks and the alert topic, and the Glue
security configuration every job and crawler runs with.

CloudWatch Logs and bookmark encryption in a Glue security configuration only accept a KMS key, so the
stack always creates one (about $1 a month); bucket data stays on SSE-S3 unless `sparkify:kmsKeyArn` names
a key of your own.
"""

from __future__ import annotations

import json
from typing import Any

import pulumi
import pulumi_aws as aws

from infra.config import StackConfig
from infra.naming import AwsContext
from sparkify.layout import Names


def key_policy(
    account_id: str, partition: str, region: str, alarms: list[str], log_groups: list[str]
) -> dict[str, Any]:
    """Key policy: the account administers the key through IAM; CloudWatch Logs may use it for the stack's
    own log groups only; CloudWatch alarms of this stack (and account) may publish to the encrypted topic."""
    logs = f"arn:{partition}:logs:{region}:{account_id}:log-group:"
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "AccountAdministersThroughIam",
                "Effect": "Allow",
                "Principal": {"AWS": f"arn:{partition}:iam::{account_id}:root"},
                "Action": "kms:*",
                "Resource": "*",  # in a key policy, "*" is this key
            },
            {
                # https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/encrypt-log-data-kms.html
                "Sid": "CloudWatchLogsEncryptsStackLogGroups",
                "Effect": "Allow",
                "Principal": {"Service": f"logs.{region}.amazonaws.com"},
                "Action": ["kms:Encrypt*", "kms:Decrypt*", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:Describe*"],
                "Resource": "*",
                "Condition": {"ArnEquals": {"kms:EncryptionContext:aws:logs:arn": [f"{logs}{g}" for g in log_groups]}},
            },
            {
                # Alarm notifications to an encrypted topic: https://repost.aws/knowledge-center/cloudwatch-receive-sns-for-alarm-trigger
                "Sid": "StackAlarmsPublishToEncryptedTopic",
                "Effect": "Allow",
                "Principal": {"Service": "cloudwatch.amazonaws.com"},
                "Action": ["kms:Decrypt", "kms:GenerateDataKey*"],
                "Resource": "*",
                # IfExists: binding where CloudWatch sends the source keys, harmless where it does not. The
                # alarms by name: `alarm:sparkify-prod-*` would also admit a stack named `prod-eu`.
                "Condition": {
                    "StringEqualsIfExists": {"aws:SourceAccount": account_id},
                    "ArnEqualsIfExists": {
                        "aws:SourceArn": [f"arn:{partition}:cloudwatch:{region}:{account_id}:alarm:{a}" for a in alarms]
                    },
                },
            },
        ],
    }


class StackEncryption(pulumi.ComponentResource):
    """The stack's KMS key and the Glue security configuration that uses it."""

    key: aws.kms.Key
    security_configuration: aws.glue.SecurityConfiguration

    def __init__(
        self, name: str, cfg: StackConfig, names: Names, ctx: AwsContext, opts: pulumi.ResourceOptions | None = None
    ):
        super().__init__("sparkify:security:StackEncryption", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)

        # Customer-managed so its key policy can admit CloudWatch Logs and CloudWatch alarms (AWS-managed keys cannot).
        self.key = aws.kms.Key(
            f"{name}-key",
            description=f"{names.prefix}: Glue logs, job bookmarks and alert topic",
            enable_key_rotation=True,
            deletion_window_in_days=30,
            policy=pulumi.Output.all(ctx.account_id, ctx.partition).apply(
                lambda v: json.dumps(key_policy(v[0], v[1], ctx.region, names.alarms, names.log_groups))
            ),
            opts=pulumi.ResourceOptions(parent=self, protect=cfg.protect_data),
        )
        # A readable handle for the console and CLI.
        aws.kms.Alias(f"{name}-alias", name=f"alias/{names.prefix}", target_key_id=self.key.key_id, opts=child)

        s3_encryption = (
            aws.glue.SecurityConfigurationEncryptionConfigurationS3EncryptionArgs(
                s3_encryption_mode="SSE-KMS", kms_key_arn=cfg.kms_key_arn
            )
            if cfg.kms_key_arn
            else aws.glue.SecurityConfigurationEncryptionConfigurationS3EncryptionArgs(s3_encryption_mode="SSE-S3")
        )
        # Encrypts what Glue itself writes: job output to S3, its CloudWatch logs and job bookmarks.
        # https://docs.aws.amazon.com/glue/latest/dg/encryption-security-configuration.html
        self.security_configuration = aws.glue.SecurityConfiguration(
            f"{name}-glue",
            name=names.security_configuration,
            encryption_configuration=aws.glue.SecurityConfigurationEncryptionConfigurationArgs(
                cloudwatch_encryption=aws.glue.SecurityConfigurationEncryptionConfigurationCloudwatchEncryptionArgs(
                    cloudwatch_encryption_mode="SSE-KMS", kms_key_arn=self.key.arn
                ),
                job_bookmarks_encryption=aws.glue.SecurityConfigurationEncryptionConfigurationJobBookmarksEncryptionArgs(
                    job_bookmarks_encryption_mode="CSE-KMS", kms_key_arn=self.key.arn
                ),
                s3_encryption=s3_encryption,
            ),
            # Security configurations cannot be updated in place and the name is fixed: free it first.
            opts=pulumi.ResourceOptions(parent=self, delete_before_replace=True),
        )
        self.register_outputs({"key_arn": self.key.arn, "security_configuration": self.security_configuration.name})
