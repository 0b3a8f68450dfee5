"""`sparkify docs`: fetch the Data Docs site of the latest run, or of a given run, from the docs bucket (as
the validate job published it), or use a local lake's; print index.html, open it, print CloudFront's URL."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import boto3
import pytest

from sparkify.cli.main import app
from sparkify.ops import OpsError
from sparkify.ops import aws as ops_aws
from sparkify.ops import docs as ops_docs
from sparkify.ops import stack as ops_stack
from tests.documents import assert_document
from tests.ops.fake_aws import ACCOUNT, GlueSim


@pytest.fixture
def two_sites(glue: GlueSim) -> tuple[str, str]:
    first = glue.run_to_end(docs_marker="site of the first run")
    second = glue.run_to_end(docs_marker="site of the second run", fail_at="validate")
    return first, second


def test_docs_fetches_the_latest_site(two_sites: tuple[str, str], cli, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)

    result = cli.invoke(app, ["docs", "--stack", "dev"])

    assert result.exit_code == 0, result.output
    index = tmp_path / "build" / "data_docs" / "dev" / "latest" / "index.html"
    assert str(index) in result.stdout.splitlines()
    assert "site of the second run" in index.read_text()
    assert (index.parent / "static" / "style.css").is_file()
    assert f"2 files from s3://sparkify-dev-docs-{ACCOUNT}-us-east-1/latest/" in result.stdout


def test_docs_fetches_a_given_run_into_a_given_folder(two_sites: tuple[str, str], cli, tmp_path: Path) -> None:
    first, _ = two_sites
    out = tmp_path / "site"
    (out / "stale").mkdir(parents=True)  # what was there before is replaced, not merged
    (out / "stale" / "old.html").write_text("old")

    result = cli.invoke(app, ["docs", "--stack", "dev", "--run", first, "--out", str(out), "--json"])

    assert result.exit_code == 0, result.output
    fetched = json.loads(result.stdout)
    assert_document("docs", fetched)
    assert fetched["index"] == str(out / "index.html")
    assert fetched["source"] == f"s3://sparkify-dev-docs-{ACCOUNT}-us-east-1/runs/{first}/"
    assert fetched["files"] == 2
    assert fetched["url"] is None
    assert "site of the first run" in (out / "index.html").read_text()
    assert not (out / "stale").exists()


def test_docs_of_a_run_without_a_site_is_one_line(two_sites: tuple[str, str], cli, tmp_path: Path) -> None:
    result = cli.invoke(app, ["docs", "--stack", "dev", "--run", "wr_missing", "--out", str(tmp_path / "x")])

    assert result.exit_code == 2
    assert result.stderr.count("\n") == 1
    assert result.stderr.startswith(
        f"error: no Data Docs for run wr_missing in s3://sparkify-dev-docs-{ACCOUNT}-us-east-1/runs/wr_missing/"
    )
    assert not (tmp_path / "x").exists()


def test_docs_before_any_validation_says_when_they_appear(dev, cli, tmp_path: Path) -> None:
    result = cli.invoke(app, ["docs", "--stack", "dev", "--out", str(tmp_path / "x")])

    assert result.exit_code == 2
    assert "no Data Docs in s3://sparkify-dev-docs-123456789012-us-east-1/latest/ yet" in result.stderr


def test_docs_open_opens_the_fetched_index_in_the_browser(two_sites, cli, tmp_path: Path, monkeypatch) -> None:
    opened: list[str] = []
    monkeypatch.setattr("webbrowser.open", lambda url: opened.append(url) or True)

    result = cli.invoke(app, ["docs", "--stack", "dev", "--out", str(tmp_path / "site"), "--open"])

    assert result.exit_code == 0, result.output
    assert opened == [(tmp_path / "site" / "index.html").as_uri()]


def test_docs_of_a_local_lake(cli, tmp_path: Path, monkeypatch) -> None:
    lake = tmp_path / "lake"
    for run in ("local-0", "local-1"):  # every kept run's pages stay in the lake
        (lake / "data_docs" / "runs" / run).mkdir(parents=True)
        (lake / "data_docs" / "runs" / run / "index.html").write_text(f"<html>{run}</html>")
    (lake / "data_docs" / "index.html").write_text("<html>runs</html>")
    (lake / "reports").mkdir()
    (lake / "reports" / "latest.json").write_text(json.dumps({"run_id": "local-1"}))
    opened: list[str] = []
    monkeypatch.setattr("webbrowser.open", lambda url: opened.append(url) or True)

    result = cli.invoke(app, ["docs", "--lake", str(lake), "--open"])
    earlier_run = cli.invoke(app, ["docs", "--lake", str(lake), "--run", "local-0"])
    unknown_run = cli.invoke(app, ["docs", "--lake", str(lake), "--run", "local-9"])

    assert result.exit_code == 0, result.output
    assert str(lake / "data_docs" / "index.html") in result.stdout
    assert opened == [(lake / "data_docs" / "index.html").as_uri()]
    assert earlier_run.exit_code == 0, earlier_run.output
    assert str(lake / "data_docs" / "runs" / "local-0" / "index.html") in earlier_run.stdout
    assert unknown_run.exit_code == 2
    assert "no Data Docs of run local-9 in" in unknown_run.stderr
    assert "kept runs: local-1, local-0" in unknown_run.stderr


def test_docs_of_a_lake_without_a_run(cli, tmp_path: Path) -> None:
    result = cli.invoke(app, ["docs", "--lake", str(tmp_path)])

    assert result.exit_code == 2
    assert f"no Data Docs at {tmp_path}/data_docs/index.html: run the pipeline first" in result.stderr


def test_docs_with_cloudfront_finds_the_distribution_in_front_of_the_docs_bucket(two_sites, tmp_path: Path) -> None:
    first, _ = two_sites
    names, aws = ops_stack.resolve(ops_aws.connect(), "dev")
    names = dataclasses.replace(names, docs_cloudfront=True)  # as with sparkify:docsCloudFront: true
    docs_bucket = names.buckets["docs"]
    cloudfront = boto3.client("cloudfront")
    for origin in ("someone-elses-bucket", docs_bucket):
        cloudfront.create_distribution(
            DistributionConfig={
                "CallerReference": origin,
                "Comment": "",
                "Enabled": True,
                "Origins": {
                    "Quantity": 1,
                    "Items": [
                        {
                            "Id": "data-docs",
                            "DomainName": f"{origin}.s3.us-east-1.amazonaws.com",
                            "S3OriginConfig": {"OriginAccessIdentity": ""},
                        }
                    ],
                },
                "DefaultCacheBehavior": {"TargetOriginId": "data-docs", "ViewerProtocolPolicy": "redirect-to-https"},
            }
        )
    ours = next(
        d["DomainName"]
        for d in cloudfront.list_distributions()["DistributionList"]["Items"]
        if d["Origins"]["Items"][0]["DomainName"].startswith(docs_bucket)
    )

    assert ops_docs.cloudfront_url(aws, names) == f"https://{ours}/latest/index.html"
    assert ops_docs.cloudfront_url(aws, names, first) == f"https://{ours}/runs/{first}/index.html"


def test_docs_url_from_the_stack_output_is_printed(two_sites, cli, tmp_path: Path, monkeypatch) -> None:
    url = "https://d111111abcdef8.cloudfront.net/latest/index.html"
    resolve = ops_stack.resolve

    def resolve_with_output(*args, **kwargs):  # as `pulumi stack output` gives it on a CloudFront stack
        names, aws = resolve(*args, **kwargs)
        return dataclasses.replace(names, docs_url=url, docs_cloudfront=True), aws

    monkeypatch.setattr(ops_stack, "resolve", resolve_with_output)

    result = cli.invoke(app, ["docs", "--stack", "dev", "--out", str(tmp_path / "site")])

    assert result.exit_code == 0, result.output
    assert f"CloudFront: {url}" in result.stdout


def test_a_docs_bucket_that_does_not_exist(two_sites, tmp_path: Path) -> None:
    names, aws = ops_stack.resolve(ops_aws.connect(), "dev", ops_stack.Overrides(docs_bucket="no-such-bucket"))

    with pytest.raises(OpsError, match=r"^the docs bucket no-such-bucket does not exist in stack dev"):
        ops_docs.fetch_site(aws, names, tmp_path / "site")


def test_docs_of_a_run_named_by_a_prefix(two_sites: tuple[str, str], cli, tmp_path: Path) -> None:
    first, _ = two_sites

    result = cli.invoke(
        app, ["docs", "--stack", "dev", "--run", first[:12] + "…", "--out", str(tmp_path / "s"), "--json"]
    )

    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["run_id"] == first
    assert "site of the first run" in (tmp_path / "s" / "index.html").read_text()
