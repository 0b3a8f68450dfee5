"""Every bucket is private, encrypted, TLS-only and cleaned up; names are unique per stack."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest

from infra.storage import location_uris
from sparkify.pipeline import Location
from tests.infra.conftest import ACCOUNT, DATA_KEY_ARN, Rendered, policy_of

PURPOSES = ["raw", "curated", "artifacts", "temp", "docs"]


@pytest.mark.parametrize("purpose", PURPOSES)
def test_bucket_blocks_all_public_access(stack: Rendered, purpose: str) -> None:
    block = stack.one("aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock", f"{purpose}-public-access").inputs
    flags = {
        k: block.get(k) for k in ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets")
    }
    assert flags == dict.fromkeys(flags, True), f"{stack.stack}/{purpose}: public access not fully blocked: {flags}"
    ownership = stack.one("aws:s3/bucketOwnershipControls:BucketOwnershipControls", f"{purpose}-ownership").inputs
    assert ownership["rule"] == {"objectOwnership": "BucketOwnerEnforced"}, f"{purpose}: ACLs still enabled"


@pytest.mark.parametrize("purpose", PURPOSES)
def test_bucket_is_encrypted_with_sse_s3_by_default(stack: Rendered, purpose: str) -> None:
    sse = stack.one(
        "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
        f"{purpose}-encryption",
    ).inputs
    assert [r["applyServerSideEncryptionByDefault"] for r in sse["rules"]] == [{"sseAlgorithm": "AES256"}], (
        f"{stack.stack}/{purpose}: not SSE-S3"
    )


@pytest.mark.parametrize("purpose", PURPOSES)
def test_bucket_uses_the_configured_kms_key(hardened: Rendered, purpose: str) -> None:
    sse = hardened.one(
        "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
        f"{purpose}-encryption",
    ).inputs
    assert sse["rules"] == [
        {
            "applyServerSideEncryptionByDefault": {"sseAlgorithm": "aws:kms", "kmsMasterKeyId": DATA_KEY_ARN},
            "bucketKeyEnabled": True,
        }
    ], f"{purpose}: not SSE-KMS with the configured key"


@pytest.mark.parametrize("purpose", PURPOSES)
def test_bucket_policy_denies_requests_without_tls(stack: Rendered, purpose: str) -> None:
    bucket = f"sparkify-{stack.stack}-{purpose}-{ACCOUNT}-us-east-1"
    statements = policy_of(stack, "aws:s3/bucketPolicy:BucketPolicy", f"{purpose}-policy")["Statement"]
    assert {
        "Sid": "DenyInsecureTransport",
        "Effect": "Deny",
        "Principal": "*",
        "Action": "s3:*",
        "Resource": [f"arn:aws:s3:::{bucket}", f"arn:aws:s3:::{bucket}/*"],
        "Condition": {"Bool": {"aws:SecureTransport": "false"}},
    } in statements, f"{stack.stack}/{purpose}: no TLS-only statement"
    assert {
        "Sid": "DenyTlsOlderThan12",
        "Effect": "Deny",
        "Principal": "*",
        "Action": "s3:*",
        "Resource": [f"arn:aws:s3:::{bucket}", f"arn:aws:s3:::{bucket}/*"],
        "Condition": {"NumericLessThan": {"s3:TlsVersion": "1.2"}},
    } in statements, f"{stack.stack}/{purpose}: TLS below 1.2 is not refused"
    allows_anyone = [s for s in statements if s["Effect"] == "Allow" and s.get("Principal") in ("*", {"AWS": "*"})]
    assert allows_anyone == [], f"{purpose}: policy allows anyone"


def test_only_the_buckets_without_another_copy_are_versioned(stack: Rendered) -> None:
    versioned = sorted(r.name for r in stack.of_type("aws:s3/bucketVersioning:BucketVersioning"))
    assert versioned == ["artifacts-versioning", "raw-versioning"]
    for r in stack.of_type("aws:s3/bucketVersioning:BucketVersioning"):
        assert r.inputs["versioningConfiguration"] == {"status": "Enabled"}


def test_lifecycles_expire_temp_and_old_versions(stack: Rendered) -> None:
    expected_days = {"dev": (3, 14), "prod": (7, 90)}[stack.stack]
    rules = {
        r.name.removesuffix("-lifecycle"): {rule["id"]: rule for rule in r.inputs["rules"]}
        for r in stack.of_type("aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration")
    }
    assert sorted(rules) == sorted(PURPOSES)
    for purpose, by_id in rules.items():
        assert by_id["abort-incomplete-multipart-uploads"]["abortIncompleteMultipartUpload"] == {
            "daysAfterInitiation": 7
        }, purpose
    assert rules["temp"]["expire-scratch"]["expiration"] == {"days": expected_days[0]}
    history = {"dev": 30, "prod": 90}[stack.stack]
    expiring = {
        (purpose, rule["filter"]["prefix"]): rule["expiration"]["days"]
        for purpose, by_id in rules.items()
        for rule in by_id.values()
        if "expiration" in rule and purpose != "temp"
    }
    # Histories expire; the Iceberg tables under staging/ and curated/ never do (that would break them).
    assert expiring == {
        ("curated", "reports/runs/"): history,
        ("curated", "quarantine/"): history,
        ("docs", "runs/"): history,
    }
    assert [p for p, r in rules.items() if "expire-scratch" in r] == ["temp"]
    for purpose in ("raw", "artifacts"):
        assert rules[purpose]["expire-noncurrent-versions"]["noncurrentVersionExpiration"] == {
            "noncurrentDays": expected_days[1]
        }


def test_bucket_names_are_unique_per_stack(rendered_stack: Callable[[str], Rendered]) -> None:
    dev = {r.inputs["bucket"] for r in rendered_stack("dev").of_type("aws:s3/bucket:Bucket")}
    prod = {r.inputs["bucket"] for r in rendered_stack("prod").of_type("aws:s3/bucket:Bucket")}
    assert dev == {f"sparkify-dev-{p}-{ACCOUNT}-us-east-1" for p in PURPOSES}
    assert prod == {f"sparkify-prod-{p}-{ACCOUNT}-us-east-1" for p in PURPOSES}


def test_force_destroy_follows_the_stack(stack: Rendered) -> None:
    expected = {"dev": True, "prod": False}[stack.stack]
    assert {r.inputs["forceDestroy"] for r in stack.of_type("aws:s3/bucket:Bucket")} == {expected}


def test_every_pipeline_location_maps_to_a_bucket_prefix() -> None:
    names = {p: f"b-{p}" for p in PURPOSES}
    assert location_uris(names) == {
        Location.RAW: "s3://b-raw/",
        Location.STAGING: "s3://b-curated/staging/",
        Location.CURATED: "s3://b-curated/curated/",
        Location.QUARANTINE: "s3://b-curated/quarantine/",
        Location.REPORTS: "s3://b-curated/reports/",
        Location.EXPECTATIONS: "s3://b-artifacts/expectations/",
        Location.DATA_DOCS: "s3://b-docs/",
    }


def test_prod_protects_the_raw_data_its_key_and_the_catalog(rendered_stack: Callable[[str], Rendered]) -> None:
    protected = {"dev": rendered_stack("dev").protected(), "prod": rendered_stack("prod").protected()}
    assert protected["dev"] == set()
    assert protected["prod"] == {
        ("aws:s3/bucket:Bucket", "raw"),
        ("aws:kms/key:Key", "encryption-key"),
        ("aws:glue/catalogDatabase:CatalogDatabase", "catalog-database"),
        ("aws:glue/catalogDatabase:CatalogDatabase", "catalog-staging-database"),
    }


def test_every_resource_carries_the_stacks_tags(stack: Rendered) -> None:
    (provider,) = stack.of_type("pulumi:providers:aws")
    default_tags = provider.inputs["defaultTags"]
    tags = (json.loads(default_tags) if isinstance(default_tags, str) else default_tags)["tags"]
    expected = {"project": "sparkify", "stack": stack.stack, "owner": "data-platform"}
    if stack.stack == "prod":
        expected["cost-centre"] = "analytics"
    assert tags == expected
    untagged = [
        f"{r.typ} {r.name}"
        for r in stack.resources
        if r.custom and r.typ.startswith("aws:") and r.provider != provider.name
    ]
    assert untagged == [], f"resources outside the tagging provider: {untagged}"
