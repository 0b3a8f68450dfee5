"""Every S3 call the jobs make, run against moto with the jobs' role policy enforced.

The calls are the ones each job's code makes through Hadoop's S3A connector (probing a folder `p` as the
key `p`, then `p/`, then listing `p/`; deleting a folder; writing directory markers), Iceberg's S3FileIO
(data and metadata files, listing a table for orphan files, batch deletes) and boto3 (Data Docs), on
the keys of the stack's layout. A 403 where S3A expects a 404 fails the job on AWS, so each probe must
come back "not found", never "access denied".
"""

from __future__ import annotations

import fnmatch
import json
import re
from collections.abc import Iterator
from typing import Any

import boto3  # type: ignore[import-untyped]
import pytest
from botocore.exceptions import ClientError  # type: ignore[import-untyped]
from moto import mock_aws
from moto import settings as moto_settings
from moto.core.authorization import ActionAuthenticatorMixin
from moto.iam.access_control import IAMPolicyStatement

from infra.iam import PolicyInputs, glue_policy
from sparkify.layout import Names

REGION = "us-east-1"
ACCOUNT = "123456789012"
BUCKETS = {p: f"sparkify-dev-{p}-{ACCOUNT}-{REGION}" for p in ("raw", "curated", "artifacts", "temp", "docs")}
# Objects already there when the jobs run (landed raw data, uploaded artifacts).
EXISTING = {
    "raw": ["song_data/A/B/C/TRAAA.json", "log_data/2018/11/2018-11-01-events.json"],
    "artifacts": [
        "glue_jobs/stage.py",
        "lib/sparkify.zip",
        "lib/wheels/great_expectations-1.24.1-py3-none-any.whl",
        "expectations/songs.json",
    ],
}


def policy() -> dict[str, Any]:
    return glue_policy(
        PolicyInputs(
            partition="aws",
            region=REGION,
            account_id=ACCOUNT,
            buckets=BUCKETS,
            database="sparkify_dev",
            staging_database="sparkify_dev_staging",
            stack_key_arn=f"arn:aws:kms:{REGION}:{ACCOUNT}:key/k",
            job_log_groups=tuple(Names("sparkify-dev").job_log_groups.values()),
            job_log_prefix="/aws-glue/sparkify-dev",
        )
    )


# (job, operation, bucket purpose, key or list prefix). Operations: head (expects found or 404), get, put,
# delete, list.
CALLS: list[tuple[str, str, str, str]] = [
    # Glue itself, with the job's role: the script, the shared code, the wheels, Spark UI logs, --TempDir.
    *[(job, "get", "artifacts", key) for job in ("stage", "model", "validate") for key in ("lib/sparkify.zip",)],
    ("stage", "get", "artifacts", "glue_jobs/stage.py"),
    ("validate", "get", "artifacts", "lib/wheels/great_expectations-1.24.1-py3-none-any.whl"),
    ("stage", "put", "temp", "spark-ui/spark-application-1"),
    ("stage", "put", "temp", "glue-temp/partlist"),
    # stage: raw_path() checks each source folder exists, then the file stream lists and reads it.
    *[
        ("stage", op, "raw", key)
        for prefix in ("song_data", "log_data")
        for op, key in (("head", prefix), ("head", f"{prefix}/"), ("list", f"{prefix}/"))
    ],
    ("stage", "get", "raw", "song_data/A/B/C/TRAAA.json"),
    ("stage", "get", "raw", "log_data/2018/11/2018-11-01-events.json"),
    # stage, full refresh: delete the staging and quarantine roots (S3A probes, lists, batch-deletes, and
    # removes the bare keys and markers).
    *[
        ("stage", op, "curated", key)
        for root in ("staging", "quarantine")
        for op, key in (
            ("head", root),
            ("head", f"{root}/"),
            ("list", f"{root}/"),
            ("delete", root),
            ("delete", f"{root}/"),
        )
    ],
    # stage: stream checkpoints (S3A), Iceberg staging tables (S3FileIO), quarantine Parquet (S3A), metrics.
    ("stage", "put", "curated", "staging/_checkpoints/songs/offsets/0"),
    ("stage", "get", "curated", "staging/_checkpoints/songs/offsets/0"),
    ("stage", "put", "curated", "staging/songs/data/batch_id=0/00000-0-a.parquet"),
    ("stage", "put", "curated", "staging/songs/metadata/00001-a.metadata.json"),
    ("stage", "get", "curated", "staging/songs/metadata/00001-a.metadata.json"),
    ("stage", "put", "curated", "quarantine/songs/"),  # S3A's directory marker on mkdirs
    # An EMRFS-style connector's folder markers: the top one is beside the prefix, not under it.
    ("stage", "put", "curated", "staging_$folder$"),
    ("stage", "head", "curated", "quarantine_$folder$"),
    ("stage", "put", "curated", "quarantine/songs/batch_id=0/part-00000.snappy.parquet"),
    ("stage", "head", "curated", "quarantine/songs/batch_id=0"),
    ("stage", "put", "curated", "reports/runs/wr_1/stage.json"),
    # model: read staging, write the curated tables, upkeep (list a table, batch-delete orphans).
    ("model", "get", "curated", "staging/songs/metadata/00001-a.metadata.json"),
    ("model", "put", "curated", "curated/songplays/data/year=2018/month=11/00000-0-b.parquet"),
    ("model", "put", "curated", "curated/songplays/metadata/00002-b.metadata.json"),
    ("model", "list", "curated", "curated/songplays/"),
    # S3FileIO batch-deletes orphans; S3 authorizes DeleteObjects key by key as s3:DeleteObject (moto
    # cannot authorize the batch call for a user policy, so the per-key call stands in for it).
    ("model", "delete", "curated", "curated/songplays/data/year=2018/month=11/orphan.parquet"),
    ("model", "put", "curated", "reports/runs/wr_1/model.json"),
    # validate: read the suites, read the audit branches, publish Data Docs, fast-forward (metadata), metrics.
    ("validate", "head", "artifacts", "expectations"),
    ("validate", "list", "artifacts", "expectations/"),
    ("validate", "get", "artifacts", "expectations/songs.json"),
    ("validate", "get", "curated", "curated/songplays/metadata/00002-b.metadata.json"),
    ("validate", "put", "curated", "curated/songplays/metadata/00003-c.metadata.json"),
    ("validate", "put", "docs", "runs/wr_1/index.html"),
    ("validate", "put", "docs", "latest/index.html"),
    ("validate", "list", "docs", "latest/"),
    ("validate", "delete", "docs", "latest/old.html"),
    ("validate", "get", "curated", "reports/runs/wr_1/model.json"),
    ("validate", "put", "curated", "reports/runs/wr_1/validate.json"),
]
# What the role must not do (each must be refused).
REFUSED: list[tuple[str, str, str]] = [
    ("put", "raw", "song_data/A/B/C/TRAAA.json"),
    ("delete", "raw", "log_data"),
    ("put", "artifacts", "lib/sparkify.zip"),
    ("get", "temp", "athena-results/query-1.csv"),
    ("put", "curated", "elsewhere/file"),
    ("get", "raw", "other/secret.json"),
]


def list_allowed(statements: list[dict[str, Any]], bucket: str, prefix: str) -> bool:
    """moto enforces actions and resources, not conditions: the s3:prefix conditions are judged here."""
    for s in statements:
        actions = s["Action"] if isinstance(s["Action"], list) else [s["Action"]]
        if s["Effect"] != "Allow" or "s3:ListBucket" not in actions or s["Resource"] != f"arn:aws:s3:::{bucket}":
            continue
        patterns = s.get("Condition", {}).get("StringLike", {}).get("s3:prefix")
        if patterns is None or any(fnmatch.fnmatchcase(prefix, p) for p in patterns):
            return True
    return False


def iam_match(pattern: str, string: str) -> re.Match[str] | None:
    """IAM's resource matching: `*` any run of characters, `?` one, everything else literal."""
    return re.fullmatch("".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern), string)


@pytest.fixture
def role_s3(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """An S3 client holding exactly the jobs' role policy, in a moto account that enforces it."""
    for name in ("AWS_PROFILE", "AWS_ENDPOINT_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    setup_calls = len(BUCKETS) + sum(len(v) for v in EXISTING.values()) + 3
    with mock_aws():
        # moto authorizes every request after the first `setup_calls` (the setup below runs as admin).
        monkeypatch.setattr(moto_settings, "INITIAL_NO_AUTH_ACTION_COUNT", setup_calls)
        monkeypatch.setattr(ActionAuthenticatorMixin, "request_count", 0)
        # moto reads a policy's resource as a regular expression (`$` anchors, `.` is any character); IAM
        # reads only `*` and `?` as wildcards, so `staging_$folder$` names that very key.
        monkeypatch.setattr(IAMPolicyStatement, "_match", staticmethod(iam_match))
        admin = boto3.client("s3", region_name=REGION)
        for bucket in BUCKETS.values():
            admin.create_bucket(Bucket=bucket)
        for purpose, keys in EXISTING.items():
            for key in keys:
                admin.put_object(Bucket=BUCKETS[purpose], Key=key, Body=b"{}")
        iam = boto3.client("iam", region_name=REGION)
        iam.create_user(UserName="glue-job")
        iam.put_user_policy(UserName="glue-job", PolicyName="jobs", PolicyDocument=json.dumps(policy()))
        key = iam.create_access_key(UserName="glue-job")["AccessKey"]
        yield boto3.client(
            "s3", region_name=REGION, aws_access_key_id=key["AccessKeyId"], aws_secret_access_key=key["SecretAccessKey"]
        )


def call(s3: Any, op: str, bucket: str, key: str) -> None:
    if op == "head":
        try:
            s3.head_object(Bucket=bucket, Key=key)
        except ClientError as exc:
            if exc.response["Error"]["Code"] not in ("404", "NoSuchKey"):
                raise
    elif op == "get":
        try:
            s3.get_object(Bucket=bucket, Key=key)
        except ClientError as exc:
            if exc.response["Error"]["Code"] != "NoSuchKey":
                raise
    elif op == "put":
        s3.put_object(Bucket=bucket, Key=key, Body=b"x")
    elif op == "delete":
        s3.delete_object(Bucket=bucket, Key=key)
    elif op == "list":
        s3.list_objects_v2(Bucket=bucket, Prefix=key, Delimiter="/", MaxKeys=2)
    else:
        raise ValueError(op)


@pytest.mark.parametrize("job, op, purpose, key", CALLS, ids=[f"{j}-{o}-{p}:{k}" for j, o, p, k in CALLS])
def test_the_role_allows_every_call_the_jobs_make(role_s3: Any, job: str, op: str, purpose: str, key: str) -> None:
    bucket = BUCKETS[purpose]
    if op == "list":
        assert list_allowed(policy()["Statement"], bucket, key), (
            f"job {job}: listing s3://{bucket}/{key} is not allowed"
        )
    try:
        call(role_s3, op, bucket, key)
    except ClientError as exc:
        pytest.fail(f"job {job}: {op} s3://{bucket}/{key} refused by the role policy: {exc.response['Error']['Code']}")


@pytest.mark.parametrize("op, purpose, key", REFUSED, ids=[f"{o}-{p}:{k}" for o, p, k in REFUSED])
def test_the_role_refuses_what_no_job_needs(role_s3: Any, op: str, purpose: str, key: str) -> None:
    with pytest.raises(ClientError) as refused:
        call(role_s3, op, BUCKETS[purpose], key)
    assert refused.value.response["Error"]["Code"] == "AccessDenied", f"{op} s3://{BUCKETS[purpose]}/{key}"


def test_listing_outside_the_lake_prefixes_is_refused() -> None:
    statements = policy()["Statement"]
    assert not list_allowed(statements, BUCKETS["raw"], "other/")
    assert not list_allowed(statements, BUCKETS["temp"], "athena-results/")
    assert list_allowed(statements, BUCKETS["curated"], "staging/")
