"""What a rehearsal's runs left in the emulated AWS, read back with the AWS SDK: the objects written (per
bucket and prefix), the catalog's tables with their Iceberg snapshots and branches (from each table's
current metadata file), the Data Docs uploaded, and what the runs would cost at Glue's prices."""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass
from typing import Any

from sparkify.ops.glue_runs import job_run_cost
from sparkify.rehearsal.emulator import Emulator
from sparkify.rehearsal.job_run import RunResult
from sparkify.rehearsal.provision import bucket_and_key
from sparkify.rehearsal.stack_render import StackRender

PREFIX_DEPTH = 2  # objects are counted per bucket and their first two key parts


@dataclass(frozen=True)
class Table:
    database: str
    name: str
    kind: str  # ICEBERG, or the table type of another table (the quarantine's EXTERNAL_TABLE)
    location: str
    snapshots: int
    branches: dict[str, int]  # branch → snapshot id
    metadata_location: str

    def document(self) -> dict[str, Any]:
        return {
            "database": self.database,
            "name": self.name,
            "kind": self.kind,
            "location": self.location,
            "snapshots": self.snapshots,
            "branches": self.branches,
            "metadata_location": self.metadata_location,
        }


def all_keys(aws: Emulator, bucket: str) -> dict[str, int]:
    """Every key of a bucket with its size."""
    keys: dict[str, int] = {}
    for page in aws.client("s3").get_paginator("list_objects_v2").paginate(Bucket=bucket):
        keys.update({o["Key"]: int(o["Size"]) for o in page.get("Contents", [])})
    return keys


def snapshot_keys(aws: Emulator, stack: StackRender) -> dict[str, dict[str, int]]:
    return {bucket: all_keys(aws, bucket) for bucket in stack.buckets.values()}


def written(before: dict[str, dict[str, int]], after: dict[str, dict[str, int]]) -> list[dict[str, Any]]:
    """New or changed objects per bucket and prefix: `{"uri", "objects", "bytes"}`, sorted."""
    counts: Counter[str] = Counter()
    sizes: Counter[str] = Counter()
    for bucket, keys in after.items():
        for key, size in keys.items():
            if before.get(bucket, {}).get(key) == size:
                continue
            folders = key.split("/")[:-1][:PREFIX_DEPTH]
            uri = f"s3://{bucket}/" + "".join(f"{folder}/" for folder in folders)
            counts[uri] += 1
            sizes[uri] += size
    return [{"uri": uri, "objects": counts[uri], "bytes": sizes[uri]} for uri in sorted(counts)]


def tables(aws: Emulator, stack: StackRender) -> list[Table]:
    glue, s3 = aws.client("glue"), aws.client("s3")
    found = []
    for database in stack.databases:
        for page in glue.get_paginator("get_tables").paginate(DatabaseName=database.name):
            for table in page["TableList"]:
                parameters = table.get("Parameters") or {}
                location = table.get("StorageDescriptor", {}).get("Location", "")
                metadata_location = parameters.get("metadata_location", "")
                snapshots, branches = 0, {}
                if metadata_location:
                    bucket, key = bucket_and_key(metadata_location)
                    metadata = json.loads(s3.get_object(Bucket=bucket, Key=key)["Body"].read())
                    snapshots = len(metadata.get("snapshots", []))
                    branches = {
                        name: int(ref["snapshot-id"])
                        for name, ref in sorted((metadata.get("refs") or {}).items())
                        if ref.get("type") == "branch"
                    }
                    location = metadata.get("location", location)
                found.append(
                    Table(
                        database.name,
                        table["Name"],
                        str(parameters.get("table_type") or table.get("TableType") or ""),
                        location,
                        snapshots,
                        branches,
                        metadata_location,
                    )
                )
    return found


def data_docs(after: dict[str, dict[str, int]], stack: StackRender) -> dict[str, Any]:
    keys = after.get(stack.buckets["docs"], {})
    return {
        "bucket": stack.buckets["docs"],
        "objects": len(keys),
        "index": "index.html" in keys,
        "latest_index": "latest/index.html" in keys,
        "runs": sorted({k.split("/")[1] for k in keys if k.startswith("runs/") and k.count("/") >= 2}),
    }


def cost(stack: StackRender, runs: list[RunResult]) -> dict[str, Any]:
    """Each run priced from its measured seconds on the job's rendered workers (Glue bills per second with
    a 1-minute minimum: `sparkify.ops.glue_runs.job_run_cost`, the prices of `sparkify.glue_pricing`)."""
    priced: list[dict[str, Any]] = []
    for run in runs:
        job = stack.jobs[run.job]
        _, usd = job_run_cost(
            {
                "ExecutionClass": job.execution_class,
                "ExecutionTime": run.seconds,
                "WorkerType": job.worker_type,
                "NumberOfWorkers": job.number_of_workers,
            }
        )
        priced.append(
            {
                "job": run.job,
                "seconds": round(run.seconds, 1),
                "workers": f"{job.number_of_workers} x {job.worker_type} {job.execution_class}",
                "usd": round(usd, 4),
            }
        )
    return {"runs": priced, "usd": round(sum(p["usd"] for p in priced), 4)}
