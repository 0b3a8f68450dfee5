"""The emulated AWS: the role policy as moto can enforce it, and a refused call named by its action."""

from __future__ import annotations

import os
from typing import Any

import pytest
from botocore.exceptions import ClientError  # type: ignore[import-untyped]

from sparkify.rehearsal import emulator
from sparkify.rehearsal.emulator import enforceable, s3_action

POLICY: dict[str, Any] = {
    "Version": "2012-10-17",
    "Statement": [
        {"Sid": "Read", "Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::lake/data/*"},
        {
            "Sid": "Write",
            "Effect": "Allow",
            "Action": ["s3:PutObject", "s3:DeleteObject"],
            "Resource": ["arn:aws:s3:::lake/data", "arn:aws:s3:::lake/data/*"],
        },
        {
            "Sid": "Catalog",
            "Effect": "Allow",
            "Action": ["glue:GetDatabase"],
            "Resource": ["arn:aws:glue:us-east-1:123456789012:database/db"],
        },
    ],
}


def test_other_services_are_enforced_by_action_and_batch_deletes_by_bucket() -> None:
    statements = {s["Sid"]: s for s in enforceable(POLICY)["Statement"]}
    assert statements["Read"] == POLICY["Statement"][0]
    assert statements["Write"]["Action"] == ["s3:PutObject", "s3:DeleteObject"]
    assert statements["Write"]["Resource"] == [
        "arn:aws:s3:::lake/data",
        "arn:aws:s3:::lake/data/*",
        "arn:aws:s3:::lake",
    ]
    assert statements["Catalog"] == {**POLICY["Statement"][2], "Resource": "*"}


@pytest.mark.parametrize(
    "method, path, query, action",
    [
        ("HEAD", "/lake/data/a.json", "", "s3:GetObject"),
        ("GET", "/lake", "list-type=2&prefix=data/", "s3:ListBucket"),
        ("PUT", "/lake/data/a.json", "", "s3:PutObject"),
        ("DELETE", "/lake/data/a.json", "uploadId=1", "s3:AbortMultipartUpload"),
    ],
)
def test_an_s3_request_is_named_by_the_action_moto_authorizes_it_as(
    method: str, path: str, query: str, action: str
) -> None:
    assert s3_action(method, path, query) == action


def test_a_call_the_policy_does_not_grant_is_refused_and_named() -> None:
    with emulator.running("us-east-1") as aws:
        aws.client("s3").create_bucket(Bucket="lake")
        aws.client("glue").create_database(DatabaseInput={"Name": "db"})
        job = aws.user_with_policy("job", enforceable(POLICY))
        aws.enforce_policies()
        s3, glue = aws.client("s3", job), aws.client("glue", job)
        s3.put_object(Bucket="lake", Key="data/a.json", Body=b"{}")
        assert s3.get_object(Bucket="lake", Key="data/a.json")["Body"].read() == b"{}"
        assert glue.get_database(Name="db")["Database"]["Name"] == "db"
        with pytest.raises(ClientError) as refused_s3:
            s3.put_object(Bucket="lake", Key="elsewhere/a.json", Body=b"{}")
        with pytest.raises(ClientError) as refused_glue:
            glue.create_table(DatabaseName="db", TableInput={"Name": "t"})
        assert refused_s3.value.response["Error"]["Code"] == "AccessDenied"
        assert "not authorized to perform: glue:CreateTable" in refused_glue.value.response["Error"]["Message"]
        assert [d.line() for d in aws.denials.denials] == [
            "s3:PutObject on s3://lake/elsewhere/a.json",
            "glue:CreateTable on AWSGlue.CreateTable",
        ]


def test_an_environment_is_set_for_the_block_and_then_as_it_was(monkeypatch) -> None:
    monkeypatch.setenv("AWS_PROFILE", "someone")
    monkeypatch.setenv("AWS_REGION", "eu-west-1")
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    with emulator.environment({"AWS_ENDPOINT_URL": "http://127.0.0.1:1", "AWS_REGION": "us-east-1"}, ["AWS_PROFILE"]):
        assert os.environ["AWS_ENDPOINT_URL"] == "http://127.0.0.1:1" and os.environ["AWS_REGION"] == "us-east-1"
        assert "AWS_PROFILE" not in os.environ
    assert "AWS_ENDPOINT_URL" not in os.environ
    assert (os.environ["AWS_REGION"], os.environ["AWS_PROFILE"]) == ("eu-west-1", "someone")
