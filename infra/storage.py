"""The stack's five S3 buckets, each private, encrypted, TLS-only and with a lifecycle, and the mapping of
the pipeline's locations onto them.

| bucket    | holds                                                     | versioned |
| --------- | --------------------------------------------------------- | --------- |
| raw       | landing zone: song_data/, log_data/ (the only copy)       | yes       |
| curated   | staging/, curated/ (star schema), quarantine/, reports/   | no: rebuilt from raw by every run |
| artifacts | job scripts, the zipped `sparkify` package, requirements, suites | yes: roll back a bad deploy |
| temp      | Glue's --TempDir, Spark UI event logs, Athena results     | no: expires after N days |
| docs      | Data Docs: the site's pages, latest/, runs/<run_id>/      | no: runs/ is the history |
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_aws as aws

from infra.config import StackConfig
from infra.naming import AwsContext
from sparkify.layout import LOCATION_BUCKETS, RUNS_DIR, Names
from sparkify.pipeline import Location

# The validate job publishes each run's Data Docs under runs/<run_id>/ and the newest under latest/.
DOCS_RUNS_PREFIX = f"{RUNS_DIR}/"


def location_uris(bucket_names: Mapping[str, str]) -> dict[Location, str]:
    """Every pipeline location as an `s3://bucket/prefix/` URI, given bucket names by purpose."""
    missing = [loc.value for loc in Location if loc not in LOCATION_BUCKETS]
    if missing:
        raise KeyError(f"infra/storage.py maps no bucket for pipeline locations {', '.join(missing)}")
    return {loc: f"s3://{bucket_names[purpose]}/{prefix}" for loc, (purpose, prefix) in LOCATION_BUCKETS.items()}


def tls_only_statement(bucket_arn: str) -> dict[str, Any]:
    """Deny every request that does not arrive over TLS.
    https://docs.aws.amazon.com/AmazonS3/latest/userguide/security-best-practices.html"""
    return {
        "Sid": "DenyInsecureTransport",
        "Effect": "Deny",
        "Principal": "*",
        "Action": "s3:*",
        "Resource": [bucket_arn, f"{bucket_arn}/*"],
        "Condition": {"Bool": {"aws:SecureTransport": "false"}},
    }


def tls_minimum_statement(bucket_arn: str) -> dict[str, Any]:
    """Deny TLS older than 1.2. https://docs.aws.amazon.com/AmazonS3/latest/userguide/amazon-s3-policy-keys.html#example-object-tls-version"""
    return {
        "Sid": "DenyTlsOlderThan12",
        "Effect": "Deny",
        "Principal": "*",
        "Action": "s3:*",
        "Resource": [bucket_arn, f"{bucket_arn}/*"],
        "Condition": {"NumericLessThan": {"s3:TlsVersion": "1.2"}},
    }


@dataclass(frozen=True)
class SecureBucketArgs:
    bucket_name: pulumi.Input[str]
    versioned: bool
    force_destroy: bool
    kms_key_arn: str | None = None
    # Expire every object this many days after it was written (scratch space only).
    expiration_days: int | None = None
    noncurrent_version_days: int = 90
    # The docs bucket's policy also admits CloudFront: its owner calls `attach_policy` itself.
    defer_policy: bool = False
    # Prefixes whose objects expire this many days after they were written (histories, not data).
    expiring_prefixes: tuple[tuple[str, int], ...] = ()
    protect: bool = False


class SecureBucket(pulumi.ComponentResource):
    """An S3 bucket that is private, encrypted at rest, TLS-only, and cleans up after itself."""

    bucket: aws.s3.Bucket
    policy: aws.s3.BucketPolicy | None

    def __init__(self, name: str, args: SecureBucketArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("sparkify:storage:SecureBucket", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        self.args = args
        self.policy = None

        # force_destroy lets `pulumi destroy` empty the bucket first; off by default so data is never lost.
        self.bucket = aws.s3.Bucket(
            name,
            bucket=args.bucket_name,
            force_destroy=args.force_destroy,
            opts=pulumi.ResourceOptions(parent=self, protect=args.protect),
        )
        # ACLs off: only policies grant access (AWS's default for new buckets, stated so it stays so).
        aws.s3.BucketOwnershipControls(
            f"{name}-ownership",
            bucket=self.bucket.id,
            rule=aws.s3.BucketOwnershipControlsRuleArgs(object_ownership="BucketOwnerEnforced"),
            opts=child,
        )
        # No public ACLs or policies, ever.
        self.public_access_block = aws.s3.BucketPublicAccessBlock(
            f"{name}-public-access",
            bucket=self.bucket.id,
            block_public_acls=True,
            block_public_policy=True,
            ignore_public_acls=True,
            restrict_public_buckets=True,
            opts=child,
        )
        # SSE-S3 by default; SSE-KMS with bucket keys (fewer KMS calls) when the stack names a key.
        by_default = (
            aws.s3.BucketServerSideEncryptionConfigurationRuleApplyServerSideEncryptionByDefaultArgs(
                sse_algorithm="aws:kms", kms_master_key_id=args.kms_key_arn
            )
            if args.kms_key_arn
            else aws.s3.BucketServerSideEncryptionConfigurationRuleApplyServerSideEncryptionByDefaultArgs(
                sse_algorithm="AES256"
            )
        )
        aws.s3.BucketServerSideEncryptionConfiguration(
            f"{name}-encryption",
            bucket=self.bucket.id,
            rules=[
                aws.s3.BucketServerSideEncryptionConfigurationRuleArgs(
                    apply_server_side_encryption_by_default=by_default,
                    bucket_key_enabled=bool(args.kms_key_arn),
                )
            ],
            opts=child,
        )
        versioning: list[pulumi.Resource] = []
        if args.versioned:
            # Keeps overwritten and deleted objects recoverable where no other copy exists.
            versioning.append(
                aws.s3.BucketVersioning(
                    f"{name}-versioning",
                    bucket=self.bucket.id,
                    versioning_configuration=aws.s3.BucketVersioningVersioningConfigurationArgs(status="Enabled"),
                    opts=child,
                )
            )
        # Lifecycle: never pay for abandoned multipart uploads; expire scratch data and old versions.
        everything = aws.s3.BucketLifecycleConfigurationRuleFilterArgs(prefix="")
        rules = [
            aws.s3.BucketLifecycleConfigurationRuleArgs(
                id="abort-incomplete-multipart-uploads",
                status="Enabled",
                filter=everything,
                abort_incomplete_multipart_upload=aws.s3.BucketLifecycleConfigurationRuleAbortIncompleteMultipartUploadArgs(
                    days_after_initiation=7
                ),
            )
        ]
        if args.expiration_days is not None:
            rules.append(
                aws.s3.BucketLifecycleConfigurationRuleArgs(
                    id="expire-scratch",
                    status="Enabled",
                    filter=everything,
                    expiration=aws.s3.BucketLifecycleConfigurationRuleExpirationArgs(days=args.expiration_days),
                )
            )
        for prefix, days in args.expiring_prefixes:
            rules.append(
                aws.s3.BucketLifecycleConfigurationRuleArgs(
                    id="expire-" + prefix.strip("/").replace("/", "-"),
                    status="Enabled",
                    filter=aws.s3.BucketLifecycleConfigurationRuleFilterArgs(prefix=prefix),
                    expiration=aws.s3.BucketLifecycleConfigurationRuleExpirationArgs(days=days),
                )
            )
        if args.versioned:
            rules.append(
                aws.s3.BucketLifecycleConfigurationRuleArgs(
                    id="expire-noncurrent-versions",
                    status="Enabled",
                    filter=everything,
                    noncurrent_version_expiration=aws.s3.BucketLifecycleConfigurationRuleNoncurrentVersionExpirationArgs(
                        noncurrent_days=args.noncurrent_version_days
                    ),
                )
            )
        # Lifecycle rules on noncurrent versions need versioning in place first.
        aws.s3.BucketLifecycleConfiguration(
            f"{name}-lifecycle",
            bucket=self.bucket.id,
            rules=rules,
            opts=pulumi.ResourceOptions(parent=self, depends_on=versioning),
        )
        if not args.defer_policy:
            self.attach_policy([])
        self.register_outputs({"bucket": self.bucket.bucket, "arn": self.bucket.arn})

    def attach_policy(self, extra_statements: pulumi.Input[Sequence[Mapping[str, Any]]]) -> aws.s3.BucketPolicy:
        """The bucket policy: TLS-only, plus `extra_statements` (for example a CloudFront grant)."""
        if self.policy is not None:
            raise RuntimeError(f"bucket {self._name} already has its policy")
        document = pulumi.Output.all(self.bucket.arn, extra_statements).apply(
            lambda v: json.dumps(
                {"Version": "2012-10-17", "Statement": [tls_only_statement(v[0]), tls_minimum_statement(v[0]), *v[1]]}
            )
        )
        # After the public access block, so S3 judges the policy with the block in place.
        self.policy = aws.s3.BucketPolicy(
            f"{self._name}-policy",
            bucket=self.bucket.id,
            policy=document,
            opts=pulumi.ResourceOptions(parent=self, depends_on=[self.public_access_block]),
        )
        return self.policy


@dataclass(frozen=True)
class Buckets:
    raw: SecureBucket
    curated: SecureBucket
    artifacts: SecureBucket
    temp: SecureBucket
    docs: SecureBucket

    def by_purpose(self) -> dict[str, SecureBucket]:
        return {
            "raw": self.raw,
            "curated": self.curated,
            "artifacts": self.artifacts,
            "temp": self.temp,
            "docs": self.docs,
        }

    def names(self) -> pulumi.Output[dict[str, str]]:
        """Bucket names by purpose, resolved together."""
        purposes = self.by_purpose()
        return pulumi.Output.all(*(b.bucket.bucket for b in purposes.values())).apply(
            lambda names: dict(zip(purposes, names, strict=True))
        )

    def location_uris(self) -> pulumi.Output[dict[Location, str]]:
        return self.names().apply(location_uris)


def build_buckets(
    cfg: StackConfig, names: Names, ctx: AwsContext, opts: pulumi.ResourceOptions | None = None
) -> Buckets:
    def secure(purpose: str, **kwargs: Any) -> SecureBucket:
        bucket_name = ctx.account_id.apply(lambda account: names.bucket(purpose, account, cfg.region))
        args = SecureBucketArgs(
            bucket_name=bucket_name,
            force_destroy=cfg.force_destroy,
            kms_key_arn=cfg.kms_key_arn,
            noncurrent_version_days=cfg.noncurrent_version_days,
            **kwargs,
        )
        return SecureBucket(purpose, args, opts)

    history = cfg.history_expiration_days
    reports = LOCATION_BUCKETS[Location.REPORTS][1]
    quarantine = LOCATION_BUCKETS[Location.QUARANTINE][1]
    return Buckets(
        # The landing zone is the only copy of the raw data: protected where the stack says so.
        raw=secure("raw", versioned=True, protect=cfg.protect_data),
        # Staging and curated hold Iceberg tables (expiring their files would break them); reports of
        # past runs and quarantined records are histories.
        curated=secure(
            "curated", versioned=False, expiring_prefixes=((f"{reports}{RUNS_DIR}/", history), (quarantine, history))
        ),
        artifacts=secure("artifacts", versioned=True),
        temp=secure("temp", versioned=False, expiration_days=cfg.temp_expiration_days),
        docs=secure("docs", versioned=False, defer_policy=True, expiring_prefixes=((DOCS_RUNS_PREFIX, history),)),
    )
