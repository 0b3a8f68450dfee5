"""Data Docs stay private: readable locally always, through CloudFront + OAC + a WAF allow-list if asked."""

from __future__ import annotations

import json

from tests.infra.conftest import Rendered, policy_of

DOCS_ARN = "arn:aws:s3:::sparkify-dev-docs-123456789012-us-east-1"
DISTRIBUTION_ARN = "arn:aws:cloudfront::123456789012:distribution/EDFDVBD6EXAMPLE"


def test_without_cloudfront_the_docs_bucket_admits_nobody_new(stack: Rendered) -> None:
    assert stack.of_type("aws:cloudfront/distribution:Distribution") == []
    statements = policy_of(stack, "aws:s3/bucketPolicy:BucketPolicy", "docs-policy")["Statement"]
    assert [s["Sid"] for s in statements] == ["DenyInsecureTransport", "DenyTlsOlderThan12"]
    assert stack.exports["docs_latest_sync"] == (
        f"aws s3 sync s3://sparkify-{stack.stack}-docs-123456789012-us-east-1/latest/ data_docs/"
    )


def test_cloudfront_reads_the_private_bucket_through_origin_access_control(hardened: Rendered) -> None:
    (distribution,) = hardened.of_type("aws:cloudfront/distribution:Distribution")
    (origin,) = distribution.inputs["origins"]
    assert origin["domainName"] == "sparkify-dev-docs-123456789012-us-east-1.s3.us-east-1.amazonaws.com"
    assert origin["originAccessControlId"] == "docs-oac-id"
    assert "s3OriginConfig" not in origin and "customOriginConfig" not in origin
    (oac,) = hardened.of_type("aws:cloudfront/originAccessControl:OriginAccessControl")
    assert (oac.inputs["signingBehavior"], oac.inputs["signingProtocol"]) == ("always", "sigv4")
    assert distribution.inputs["defaultCacheBehavior"]["viewerProtocolPolicy"] == "redirect-to-https"
    assert distribution.inputs["webAclId"].endswith(":sparkify-dev-docs")

    statements = policy_of(hardened, "aws:s3/bucketPolicy:BucketPolicy", "docs-policy")["Statement"]
    assert [s["Sid"] for s in statements] == ["DenyInsecureTransport", "DenyTlsOlderThan12", "CloudFrontReadsDataDocs"]
    assert statements[2] == {
        "Sid": "CloudFrontReadsDataDocs",
        "Effect": "Allow",
        "Principal": {"Service": "cloudfront.amazonaws.com"},
        "Action": "s3:GetObject",
        "Resource": f"{DOCS_ARN}/*",
        "Condition": {"StringEquals": {"AWS:SourceArn": DISTRIBUTION_ARN}},
    }
    block = hardened.one("aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock", "docs-public-access").inputs
    assert block["restrictPublicBuckets"] is True and block["blockPublicPolicy"] is True
    assert hardened.exports["docs_url"] == "https://d111111abcdef8.cloudfront.net/latest/index.html"


def test_waf_lets_only_the_configured_networks_in(hardened: Rendered) -> None:
    (acl,) = hardened.of_type("aws:wafv2/webAcl:WebAcl")
    (ip_set,) = hardened.of_type("aws:wafv2/ipSet:IpSet")
    assert (acl.inputs["scope"], acl.inputs["region"]) == ("CLOUDFRONT", "us-east-1")
    assert acl.inputs["defaultAction"] == {"block": {}}
    (rule,) = acl.inputs["rules"]
    assert rule["action"] == {"allow": {}}
    assert rule["statement"]["ipSetReferenceStatement"]["arn"].endswith(":sparkify-dev-docs-allowed")
    assert (ip_set.inputs["scope"], ip_set.inputs["region"], ip_set.inputs["addresses"]) == (
        "CLOUDFRONT",
        "us-east-1",
        ["203.0.113.0/24"],
    )


def test_every_bucket_policy_is_valid_json_with_a_version(hardened: Rendered) -> None:
    for policy in hardened.of_type("aws:s3/bucketPolicy:BucketPolicy"):
        assert json.loads(policy.inputs["policy"])["Version"] == "2012-10-17", policy.name
