"""Copy a local raw folder (`song_data/`, `log_data/`) to the stack's raw bucket, under the prefixes the
stage job reads, skipping files already there.

"Already there" means an object with the same key and size, as `aws s3 sync --size-only` judges it: raw
files are written once and never edited, and S3 ETags are not content hashes under SSE-KMS. Song data is
thousands of tiny files, so uploads run on a few threads.
"""

from __future__ import annotations

import mimetypes
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path

from boto3.exceptions import S3UploadFailedError  # type: ignore[import-untyped]
from botocore.exceptions import BotoCoreError, ClientError  # type: ignore[import-untyped]

from sparkify import pipeline
from sparkify.ops.aws import Aws, OpsError, explain, translated
from sparkify.ops.stack import StackNames
from sparkify.pipeline import Location

UPLOAD_THREADS = 8


@dataclass(frozen=True)
class RawFile:
    path: Path
    key: str
    size: int


@dataclass
class UploadPlan:
    bucket: str
    prefix: str  # where the raw location starts in the bucket ("" = the bucket's root)
    to_upload: list[RawFile] = field(default_factory=list)
    skipped: list[RawFile] = field(default_factory=list)

    @property
    def bytes_to_upload(self) -> int:
        return sum(f.size for f in self.to_upload)


def local_files(raw: Path, prefix: str) -> list[RawFile]:
    """Every file under `<raw>/song_data/` and `<raw>/log_data/` with its key in the raw location."""
    if not raw.is_dir():
        raise OpsError(f"{raw} is not a folder: pass the raw folder that holds song_data/ and log_data/")
    sources = [raw / p for p in pipeline.SOURCES.values() if (raw / p).is_dir()]
    if not sources:
        expected = " and ".join(f"{p}/" for p in pipeline.SOURCES.values())
        raise OpsError(
            f"{raw} has neither {expected.replace(' and ', ' nor ')}: pass the raw folder that holds {expected} "
            f"(generate one with `sparkify generate --out {raw}`)"
        )
    files = []
    for source in sources:
        for path in sorted(source.rglob("*")):
            relative = path.relative_to(raw)
            if path.is_file() and not any(part.startswith(".") for part in relative.parts):
                key = "/".join(p for p in (prefix.strip("/"), relative.as_posix()) if p)
                files.append(RawFile(path, key, path.stat().st_size))
    return files


def plan_upload(aws: Aws, names: StackNames, raw: Path) -> UploadPlan:
    bucket, prefix = names.location(Location.RAW)
    plan = UploadPlan(bucket, prefix)
    files = local_files(raw, prefix)
    remote: dict[str, int] = {}
    no_bucket = (
        f"the raw bucket {bucket} does not exist in {names.describe()}: deploy the stack "
        f"(`pulumi up --stack {names.stack}`) or pass --raw-bucket NAME"
    )
    s3 = aws.client("s3")
    with translated(f"listing s3://{bucket}/", not_found=no_bucket):
        for source in pipeline.SOURCES.values():
            source_prefix = "/".join(p for p in (prefix, source) if p) + "/"
            for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=source_prefix):
                remote.update({obj["Key"]: int(obj["Size"]) for obj in page.get("Contents", [])})
    for raw_file in files:
        (plan.skipped if remote.get(raw_file.key) == raw_file.size else plan.to_upload).append(raw_file)
    return plan


def upload(aws: Aws, plan: UploadPlan, on_file: Callable[[RawFile], None] = lambda f: None) -> int:
    """Upload every planned file; `on_file` is called after each one. Returns the number uploaded."""
    s3 = aws.client("s3")

    def put(raw_file: RawFile) -> RawFile:
        content_type = mimetypes.guess_type(raw_file.path.name)[0] or "application/octet-stream"
        try:
            s3.upload_file(str(raw_file.path), plan.bucket, raw_file.key, ExtraArgs={"ContentType": content_type})
        except S3UploadFailedError as exc:  # boto3 wraps the ClientError; explain the cause
            cause = exc.__cause__ or exc.__context__
            if isinstance(cause, (ClientError, BotoCoreError)):
                raise explain(cause, f"uploading {raw_file.path} to s3://{plan.bucket}/{raw_file.key}") from None
            raise OpsError(f"uploading {raw_file.path} failed: {str(exc).splitlines()[0]}") from None
        return raw_file

    done = 0
    with translated(f"uploading to s3://{plan.bucket}/"), ThreadPoolExecutor(UPLOAD_THREADS) as pool:
        futures = [pool.submit(put, f) for f in plan.to_upload]
        try:
            for future in as_completed(futures):
                on_file(future.result())
                done += 1
        except BaseException:
            for future in futures:
                future.cancel()
            raise
    return done
