"""Publishing Data Docs to S3: a run's Great Expectations pages to `runs/<run_id>/` and `latest/`, the
site's own pages (`sparkify.docs_site.site`) to the docs location's root. GX 1.x has no S3 site store, so the
site is built in a folder on the driver and copied up.
"""

from __future__ import annotations

import mimetypes
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from sparkify.layout import LATEST_DOCS, run_dir


def is_s3(uri: str | Path) -> bool:
    return str(uri).startswith("s3://")


def split_s3_uri(uri: str) -> tuple[str, str]:
    """`s3://bucket/some/prefix/` → ("bucket", "some/prefix")."""
    if not is_s3(uri):
        raise ValueError(f"not an s3:// URI: {uri!r}")
    bucket, _, key = uri[len("s3://") :].partition("/")
    return bucket, key.strip("/")


def client_or_default(client: Any = None) -> Any:
    if client is not None:
        return client
    import boto3  # type: ignore[import-untyped]

    return boto3.client("s3")


def s3_keys(client: Any, bucket: str, prefix: str) -> Iterator[str]:
    paginator = client.get_paginator("list_objects_v2")
    for page in paginator.paginate(Bucket=bucket, Prefix=f"{prefix}/" if prefix else ""):
        for item in page.get("Contents", []):
            yield item["Key"]


def upload_site(site_dir: str | Path, docs_uri: str, run_id: str, s3_client: Any = None) -> str:
    """Copy a built Data Docs site to `<docs_uri>/runs/<run_id>/` and `<docs_uri>/latest/`.

    `latest/` is made an exact copy: files of older runs that this site no longer has are deleted
    (after the upload, so readers never see a half-empty site). Returns the URI of latest/index.html.
    """
    client = client_or_default(s3_client)
    bucket, prefix = split_s3_uri(docs_uri)
    root = Path(site_dir)
    files = sorted(p for p in root.rglob("*") if p.is_file())
    if not (root / "index.html").is_file():
        raise FileNotFoundError(f"no Data Docs site at {root} (index.html missing)")

    def key(*parts: str) -> str:
        return "/".join(p.strip("/") for p in (prefix, *parts) if p.strip("/"))

    for target in (key(run_dir(run_id)), key(LATEST_DOCS)):
        _upload(client, bucket, root, files, target)
    latest = key(LATEST_DOCS)
    fresh = {f"{latest}/{p.relative_to(root).as_posix()}" for p in files}
    stale = [k for k in s3_keys(client, bucket, latest) if k not in fresh]
    for start in range(0, len(stale), 1000):  # DeleteObjects takes at most 1000 keys
        client.delete_objects(
            Bucket=bucket, Delete={"Objects": [{"Key": k} for k in stale[start : start + 1000]], "Quiet": True}
        )
    return f"s3://{bucket}/{latest}/index.html"


def _upload(client: Any, bucket: str, root: Path, files: list[Path], target: str) -> None:
    for path in files:
        content_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        key = "/".join(p for p in (target, path.relative_to(root).as_posix()) if p)
        client.upload_file(str(path), bucket, key, ExtraArgs={"ContentType": content_type})


def upload_pages(site_dir: str | Path, docs_uri: str, s3_client: Any = None) -> str:
    """Copy the site's own pages (`sparkify.docs_site.site`: the run index, tables, lineage, charts) to the root of
    `docs_uri`, beside `runs/` and `latest/`; returns the URI of the index."""
    client = client_or_default(s3_client)
    bucket, prefix = split_s3_uri(docs_uri)
    root = Path(site_dir)
    _upload(client, bucket, root, sorted(p for p in root.rglob("*") if p.is_file()), prefix)
    return f"s3://{bucket}/{prefix + '/' if prefix else ''}index.html"
