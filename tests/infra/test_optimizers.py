"""Who keeps the tables (`sparkify:tableUpkeep`): by default the validate job, with no optimizer and no optimizer
role in the stack; with `catalog-optimizers`, three Glue Data Catalog optimizers per owned table under one role
that AWS's prerequisites page describes, and the validate job told to keep nothing."""

from __future__ import annotations

import json

import pytest

from tests.infra.conftest import ACCOUNT, DATA_KEY_ARN, HARDENED_OVERRIDES, Rendered, policy_of, render, stack_config

OPTIMIZER = "aws:glue/catalogTableOptimizer:CatalogTableOptimizer"
ROLE = "aws:iam/role:Role"
ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy"
JOB = "aws:glue/job:Job"

# The owned Iceberg tables, written out: the star schema, the staged records and the raw-file ledger.
OWNED = [
    ("sparkify_dev", "songplays"),
    ("sparkify_dev", "users"),
    ("sparkify_dev", "users_history"),
    ("sparkify_dev", "songs"),
    ("sparkify_dev", "artists"),
    ("sparkify_dev", "time"),
    ("sparkify_dev_staging", "songs"),
    ("sparkify_dev_staging", "events"),
    ("sparkify_dev_staging", "raw_files"),
]
LOCATIONS = [
    "curated/songplays", "curated/users", "curated/users_history", "curated/songs", "curated/artists",
    "curated/time", "staging/songs", "staging/events", "staging/raw_files",
]  # fmt: skip
CURATED_BUCKET = f"sparkify-dev-curated-{ACCOUNT}-us-east-1"
CATALOG_OPTIMIZERS = {"sparkify:tableUpkeep": "catalog-optimizers", "sparkify:snapshotRetentionDays": "10"}

_cache: dict[str, Rendered] = {}


def dev_with(overrides: dict[str, str]) -> Rendered:
    key = json.dumps(overrides, sort_keys=True)
    if key not in _cache:
        _cache[key] = render("dev", {**stack_config("dev"), **overrides})
    return _cache[key]


@pytest.fixture(scope="module")
def optimized() -> Rendered:
    return dev_with(CATALOG_OPTIMIZERS)


def validate_arguments(stack: Rendered) -> dict[str, str]:
    arguments: dict[str, str] = stack.by_physical_name(JOB)[f"sparkify-{stack.stack}-validate"].inputs[
        "defaultArguments"
    ]
    return arguments


def test_by_default_the_validate_job_keeps_the_tables_and_no_optimizer_is_rendered(stack: Rendered) -> None:
    assert stack.of_type(OPTIMIZER) == []
    assert f"sparkify-{stack.stack}-table-optimizer" not in stack.by_physical_name(ROLE)
    assert validate_arguments(stack)["--table_upkeep"] == "jobs"


def test_catalog_optimizers_are_one_of_each_type_on_every_owned_table(optimized: Rendered) -> None:
    found = sorted(
        (o.inputs["databaseName"], o.inputs["tableName"], o.inputs["type"]) for o in optimized.of_type(OPTIMIZER)
    )
    kinds = ("compaction", "orphan_file_deletion", "retention")
    assert found == sorted((db, table, kind) for db, table in OWNED for kind in kinds)
    for optimizer in optimized.of_type(OPTIMIZER):
        inputs = optimizer.inputs
        assert inputs["catalogId"] == ACCOUNT, optimizer.name
        assert inputs["configuration"]["enabled"] is True, optimizer.name
        assert inputs["configuration"]["roleArn"].endswith(":sparkify-dev-table-optimizer"), optimizer.name


def test_the_optimizers_keep_what_our_upkeep_keeps(optimized: Rendered) -> None:
    by_type = {
        o.inputs["type"]: o.inputs["configuration"]
        for o in optimized.of_type(OPTIMIZER)
        if o.inputs["tableName"] == "songplays"
    }
    # Compaction at 5 small files in a partition, as `tables.maintain`.
    assert by_type["compaction"]["compactionConfiguration"] == {
        "icebergConfiguration": {"strategy": "binpack", "minInputFiles": 5}
    }
    # Snapshots from sparkify:snapshotRetentionDays, at least 5 kept, their files deleted with them.
    assert by_type["retention"]["retentionConfiguration"] == {
        "icebergConfiguration": {
            "snapshotRetentionPeriodInDays": 10,
            "numberOfSnapshotsToRetain": 5,
            "cleanExpiredFiles": True,
        }
    }
    # Files no snapshot references, once older than 3 days (a running job's files are younger).
    assert by_type["orphan_file_deletion"]["orphanFileDeletionConfiguration"] == {
        "icebergConfiguration": {"orphanFileRetentionPeriodInDays": 3}
    }


def test_with_optimizers_the_validate_job_is_told_to_keep_nothing(optimized: Rendered) -> None:
    assert validate_arguments(optimized)["--table_upkeep"] == "catalog-optimizers"
    assert validate_arguments(optimized)["--snapshot_retention_days"] == "10"


def test_the_optimizer_role_is_the_one_aws_prerequisites_describe(optimized: Rendered) -> None:
    role = optimized.one(ROLE, "optimizer-role").inputs
    assert role["name"] == "sparkify-dev-table-optimizer"
    assert json.loads(role["assumeRolePolicy"]) == {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Principal": {"Service": "glue.amazonaws.com"}, "Action": "sts:AssumeRole"}],
    }
    statements = {s["Sid"]: s for s in policy_of(optimized, ROLE_POLICY, "optimizer-role-policy")["Statement"]}
    assert sorted(statements) == ["ListLake", "OptimizerLogs", "OwnedTableFiles", "OwnedTablesInCatalog"]
    files = statements["OwnedTableFiles"]
    assert files["Action"] == ["s3:PutObject", "s3:GetObject", "s3:DeleteObject"]
    assert files["Resource"] == [f"arn:aws:s3:::{CURATED_BUCKET}/{location}/*" for location in LOCATIONS]
    assert statements["ListLake"]["Action"] == "s3:ListBucket"
    assert statements["ListLake"]["Resource"] == f"arn:aws:s3:::{CURATED_BUCKET}"
    glue = f"arn:aws:glue:us-east-1:{ACCOUNT}"
    catalog = statements["OwnedTablesInCatalog"]
    assert catalog["Action"] == ["glue:UpdateTable", "glue:GetTable"]
    assert catalog["Resource"] == [
        *(f"{glue}:table/{db}/{table}" for db, table in OWNED),
        f"{glue}:database/sparkify_dev",
        f"{glue}:database/sparkify_dev_staging",
        f"{glue}:catalog",
    ]
    logs = statements["OptimizerLogs"]
    assert logs["Action"] == ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"]
    assert logs["Resource"] == [
        f"arn:aws:logs:us-east-1:{ACCOUNT}:log-group:/aws-glue/iceberg-{kind}/logs:*"
        for kind in ("compaction", "retention", "orphan-file-deletion")
    ]


def test_a_data_key_of_ones_own_is_granted_to_the_optimizers_too() -> None:
    hardened = dev_with({**HARDENED_OVERRIDES, **CATALOG_OPTIMIZERS})
    statements = {s["Sid"]: s for s in policy_of(hardened, ROLE_POLICY, "optimizer-role-policy")["Statement"]}
    assert statements["UseDataKey"] == {
        "Sid": "UseDataKey",
        "Effect": "Allow",
        "Action": ["kms:Decrypt", "kms:GenerateDataKey"],
        "Resource": DATA_KEY_ARN,
    }
