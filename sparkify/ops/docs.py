"""The Great Expectations Data Docs of a run, as a folder with `index.html` a browser can open.

On AWS the validate job publishes each site twice in the docs bucket, `latest/` and `runs/<run_id>/`
(`sparkify.docs_site.publish.upload_site`); `fetch_site` copies one of them down. A local lake holds the site of
its latest run in `<lake>/data_docs/`. With CloudFront on the stack, `cloudfront_url` gives its address.
"""

from __future__ import annotations

import json
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from botocore.exceptions import ClientError  # type: ignore[import-untyped]

from sparkify.layout import LAKE_LAYOUT, LATEST_DOCS, LATEST_REPORT, RUNS_DIR, run_dir
from sparkify.ops.aws import Aws, OpsError, error_code, explain, translated
from sparkify.ops.stack import StackNames
from sparkify.pipeline import Location


@dataclass(frozen=True)
class Site:
    index: Path
    source: str  # where it came from: s3://…/latest/, or the lake folder
    files: int
    run_id: str | None = None


def site_prefix(names: StackNames, run_id: str | None) -> tuple[str, str]:
    """(docs bucket, key prefix ending in `/`) of the latest site or of one run's."""
    bucket, base = names.location(Location.DATA_DOCS)
    parts = [base, LATEST_DOCS] if run_id is None else [base, RUNS_DIR, run_id]
    return bucket, "/".join(p.strip("/") for p in parts if p.strip("/")) + "/"


def resolve_run_id(aws: Aws, names: StackNames, run_id: str) -> str:
    """The run whose site is under `runs/<run_id>/`, or the one run whose id starts with `run_id`."""
    run_id = run_id.strip().rstrip("…")
    bucket, prefix = site_prefix(names, run_id)
    runs_prefix = prefix[: -len(run_id) - 1]  # …/runs/
    found: list[str] = []
    with translated(f"listing s3://{bucket}/{runs_prefix}", not_found=_no_bucket(names, bucket)):
        pages = (
            aws.client("s3")
            .get_paginator("list_objects_v2")
            .paginate(Bucket=bucket, Prefix=runs_prefix + run_id, Delimiter="/")
        )
        for page in pages:
            found.extend(p["Prefix"][len(runs_prefix) :].rstrip("/") for p in page.get("CommonPrefixes", []))
    if run_id in found or len(found) != 1:
        return run_id  # exact, unknown (fetch_site says so) or ambiguous (likewise)
    return found[0]


def _no_bucket(names: StackNames, bucket: str) -> str:
    return (
        f"the docs bucket {bucket} does not exist in {names.describe()}: deploy the stack "
        f"(`pulumi up --stack {names.stack}`) or pass --docs-bucket NAME"
    )


def fetch_site(aws: Aws, names: StackNames, dest: Path, run_id: str | None = None) -> Site:
    """Download the site into `dest` (replacing what was there) and return its index.html."""
    bucket, prefix = site_prefix(names, run_id)
    s3 = aws.client("s3")
    keys: list[str] = []
    with translated(f"listing s3://{bucket}/{prefix}", not_found=_no_bucket(names, bucket)):
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
            keys.extend(obj["Key"] for obj in page.get("Contents", []))
    if f"{prefix}index.html" not in keys:
        if run_id is None:
            raise OpsError(
                f"no Data Docs in s3://{bucket}/{prefix} yet: they appear once the validate job of a run has "
                f"finished (`sparkify trigger --stack {names.stack} --follow`)"
            )
        raise OpsError(
            f"no Data Docs for run {run_id} in s3://{bucket}/{prefix}: check the run id "
            f"(`sparkify status --stack {names.stack}`); runs that stopped before validation have none"
        )
    dest.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{dest.name}-", dir=dest.parent))
    try:
        with translated(f"downloading s3://{bucket}/{prefix}"):
            for key in keys:
                relative = key[len(prefix) :]
                if not relative or relative.endswith("/"):
                    continue
                target = (staging / relative).resolve()
                if staging.resolve() not in target.parents:  # a key with ../ never writes outside the folder
                    continue
                target.parent.mkdir(parents=True, exist_ok=True)
                s3.download_file(bucket, key, str(target))
        if dest.exists():
            shutil.rmtree(dest)
        staging.rename(dest)
    finally:
        if staging.exists():
            shutil.rmtree(staging, ignore_errors=True)
    return Site(dest / "index.html", f"s3://{bucket}/{prefix}", len(keys), run_id)


def local_site(lake: Path, run_id: str | None = None) -> Site:
    """The site of a local lake (its index of every kept run), or one run's pages in it."""
    site = lake / LAKE_LAYOUT[Location.DATA_DOCS]
    index = site / "index.html"
    if not index.is_file():
        raise OpsError(f"no Data Docs at {index}: run the pipeline first (`sparkify run --lake {lake}`)")
    if run_id is None:
        return Site(index, str(site), sum(1 for p in site.rglob("*") if p.is_file()), _latest_local_run(lake))
    pages = site / run_dir(run_id)
    if not (pages / "index.html").is_file():
        kept = sorted((p.parent.name for p in site.glob(f"{RUNS_DIR}/*/index.html")), reverse=True)
        raise OpsError(
            f"no Data Docs of run {run_id} in {site}: kept runs: {', '.join(kept) or 'none'} "
            "(a run that changed no table builds no pages; older runs expire)"
        )
    return Site(pages / "index.html", str(pages), sum(1 for p in pages.rglob("*") if p.is_file()), run_id)


def _latest_local_run(lake: Path) -> str | None:
    latest = lake / LAKE_LAYOUT[Location.REPORTS] / LATEST_REPORT
    try:
        return str(json.loads(latest.read_text())["run_id"])
    except (OSError, ValueError, KeyError):
        return None


def cloudfront_url(aws: Aws, names: StackNames, run_id: str | None = None) -> str | None:
    """The CloudFront address of the site, when the stack serves its docs through CloudFront."""
    url = names.docs_url
    if url is None and names.docs_cloudfront:
        url = _find_distribution(aws, names)
    if url is None:
        return None
    if run_id is not None:
        url = url.replace(f"/{LATEST_DOCS}/", f"/{run_dir(run_id)}/")
    return url


def _find_distribution(aws: Aws, names: StackNames) -> str | None:
    """The distribution whose origin is the docs bucket (what `infra/docs_site.py` creates)."""
    bucket, _ = names.location(Location.DATA_DOCS)
    cloudfront = aws.client("cloudfront")
    try:
        for page in cloudfront.get_paginator("list_distributions").paginate():
            for dist in (page.get("DistributionList") or {}).get("Items") or []:
                origins = (dist.get("Origins") or {}).get("Items") or []
                if any(str(o.get("DomainName", "")).startswith(f"{bucket}.s3.") for o in origins):
                    return f"https://{dist['DomainName']}/{LATEST_DOCS}/index.html"
    except ClientError as exc:
        if error_code(exc) in ("AccessDenied", "AccessDeniedException"):
            return None  # the local copy still works; the URL is a convenience
        raise explain(exc, "looking up the Data Docs CloudFront distribution") from None
    return None
