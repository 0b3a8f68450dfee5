"""Where people read the Data Docs the validate job publishes (`latest/` and `runs/<run_id>/` of the docs
bucket), without ever making the bucket public.

Always: fetch and open locally (`sparkify docs --stack <stack>`, or `aws s3 sync s3://<docs>/latest/ data_docs/`).
With `sparkify:docsCloudFront: true`: a CloudFront distribution reads the private bucket through origin
access control, and a WAF web ACL only lets the networks of `sparkify:docsAllowedCidrs` in.
"""

from __future__ import annotations

from typing import Any

import pulumi
import pulumi_aws as aws

from infra.config import StackConfig
from infra.storage import SecureBucket
from sparkify.layout import LATEST_DOCS, Names

# AWS managed cache policy "CachingDisabled": latest/ changes with every run, and the traffic is tiny.
# https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/using-managed-cache-policies.html
CACHING_DISABLED_POLICY_ID = "4135ea2d-6df8-44a3-9df3-4b5a84be39ad"
# WAF web ACLs for CloudFront live in us-east-1 whatever the stack's region.
# https://docs.aws.amazon.com/waf/latest/developerguide/how-aws-waf-works-resources.html
CLOUDFRONT_WAF_REGION = "us-east-1"


def cloudfront_read_statement(bucket_arn: str, distribution_arn: str) -> dict[str, Any]:
    """Only this distribution, signing with origin access control, may read objects."""
    return {
        "Sid": "CloudFrontReadsDataDocs",
        "Effect": "Allow",
        "Principal": {"Service": "cloudfront.amazonaws.com"},
        "Action": "s3:GetObject",
        "Resource": f"{bucket_arn}/*",
        "Condition": {"StringEquals": {"AWS:SourceArn": distribution_arn}},
    }


class DocsSite(pulumi.ComponentResource):
    """The docs bucket's policy and, when configured, a CloudFront front door restricted by WAF."""

    url: pulumi.Output[str] | None
    distribution: aws.cloudfront.Distribution | None

    def __init__(
        self,
        name: str,
        cfg: StackConfig,
        names: Names,
        docs: SecureBucket,
        opts: pulumi.ResourceOptions | None = None,
    ):
        super().__init__("sparkify:docs:DocsSite", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        self.url = None
        self.distribution = None
        if not cfg.docs_cloudfront:
            docs.attach_policy([])
            self.register_outputs({})
            return

        # The allow-list of networks that may browse the docs (WAF blocks everyone else).
        ip_set = aws.wafv2.IpSet(
            f"{name}-allowed-networks",
            name=f"{names.prefix}-docs-allowed",
            scope="CLOUDFRONT",
            region=CLOUDFRONT_WAF_REGION,
            ip_address_version="IPV4",
            addresses=list(cfg.docs_allowed_cidrs),
            opts=child,
        )
        web_acl = aws.wafv2.WebAcl(
            f"{name}-web-acl",
            name=f"{names.prefix}-docs",
            scope="CLOUDFRONT",
            region=CLOUDFRONT_WAF_REGION,
            default_action=aws.wafv2.WebAclDefaultActionArgs(block=aws.wafv2.WebAclDefaultActionBlockArgs()),
            rules=[
                aws.wafv2.WebAclRuleArgs(
                    name="allow-listed-networks",
                    priority=0,
                    action=aws.wafv2.WebAclRuleActionArgs(allow=aws.wafv2.WebAclRuleActionAllowArgs()),
                    statement=aws.wafv2.WebAclRuleStatementArgs(
                        ip_set_reference_statement=aws.wafv2.WebAclRuleStatementIpSetReferenceStatementArgs(
                            arn=ip_set.arn
                        )
                    ),
                    visibility_config=aws.wafv2.WebAclRuleVisibilityConfigArgs(
                        cloudwatch_metrics_enabled=True,
                        metric_name=f"{names.prefix}-docs-allowed",
                        sampled_requests_enabled=True,
                    ),
                )
            ],
            visibility_config=aws.wafv2.WebAclVisibilityConfigArgs(
                cloudwatch_metrics_enabled=True, metric_name=f"{names.prefix}-docs", sampled_requests_enabled=True
            ),
            opts=child,
        )
        # CloudFront signs its requests to S3 (SigV4); the bucket admits only this distribution.
        # https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/private-content-restricting-access-to-s3.html
        oac = aws.cloudfront.OriginAccessControl(
            f"{name}-oac",
            name=f"{names.prefix}-docs",
            description="Sparkify Data Docs bucket",
            origin_access_control_origin_type="s3",
            signing_behavior="always",
            signing_protocol="sigv4",
            opts=child,
        )
        # IPv6 off: the allow-list is IPv4, so IPv6 viewers would only ever be blocked. No root object:
        # the site's relative links only work under /latest/index.html, which the `docs_url` output names.
        self.distribution = aws.cloudfront.Distribution(
            f"{name}-cdn",
            comment=f"{names.prefix} Great Expectations Data Docs",
            enabled=True,
            is_ipv6_enabled=False,
            price_class="PriceClass_100",
            web_acl_id=web_acl.arn,
            origins=[
                aws.cloudfront.DistributionOriginArgs(
                    origin_id="data-docs",
                    domain_name=docs.bucket.bucket_regional_domain_name,
                    origin_access_control_id=oac.id,
                )
            ],
            default_cache_behavior=aws.cloudfront.DistributionDefaultCacheBehaviorArgs(
                target_origin_id="data-docs",
                viewer_protocol_policy="redirect-to-https",
                allowed_methods=["GET", "HEAD"],
                cached_methods=["GET", "HEAD"],
                cache_policy_id=CACHING_DISABLED_POLICY_ID,
                compress=True,
            ),
            restrictions=aws.cloudfront.DistributionRestrictionsArgs(
                geo_restriction=aws.cloudfront.DistributionRestrictionsGeoRestrictionArgs(restriction_type="none")
            ),
            viewer_certificate=aws.cloudfront.DistributionViewerCertificateArgs(cloudfront_default_certificate=True),
            opts=child,
        )
        docs.attach_policy(
            pulumi.Output.all(docs.bucket.arn, self.distribution.arn).apply(
                lambda v: [cloudfront_read_statement(v[0], v[1])]
            )
        )
        self.url = pulumi.Output.concat("https://", self.distribution.domain_name, f"/{LATEST_DOCS}/index.html")
        self.register_outputs({"url": self.url})
