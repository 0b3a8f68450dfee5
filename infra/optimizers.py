"""The Glue Data Catalog's table optimizers on every owned Iceberg table, for stacks that leave table upkeep to
them (`sparkify:tableUpkeep: catalog-optimizers`): compaction, snapshot retention and orphan-file deletion,
with the thresholds and retention of the validate job's own upkeep (`sparkify.lake.tables.Upkeep`), so the choice
changes who does the work, not what is kept.

An optimizer needs its table in the catalog (CreateTableOptimizer answers EntityNotFoundException otherwise:
https://docs.aws.amazon.com/glue/latest/webapi/API_CreateTableOptimizer.html); the jobs create the tables on
their first run. Optimizer settings: https://docs.aws.amazon.com/glue/latest/dg/table-optimizers.html
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pulumi
import pulumi_aws as aws

from infra.catalog import database_names
from sparkify import pipeline
from sparkify.lake import tables
from sparkify.layout import Names

G = aws.glue  # the optimizer's nested argument types have long names
_OrphanDeletion = G.CatalogTableOptimizerConfigurationOrphanFileDeletionConfigurationArgs
_OrphanDeletionIceberg = G.CatalogTableOptimizerConfigurationOrphanFileDeletionConfigurationIcebergConfigurationArgs


def optimizer_settings(upkeep: tables.Upkeep) -> dict[str, dict[str, Any]]:
    """Each optimizer type's configuration block, from the same numbers our upkeep uses."""
    return {
        # Compacts a partition once it holds this many small files, as `tables.maintain` does.
        "compaction": {
            "compaction_configuration": G.CatalogTableOptimizerConfigurationCompactionConfigurationArgs(
                iceberg_configuration=G.CatalogTableOptimizerConfigurationCompactionConfigurationIcebergConfigurationArgs(
                    strategy="binpack", min_input_files=tables.COMPACT_MIN_FILES
                )
            )
        },
        # cleanExpiredFiles: also delete the files only expired snapshots used, as expire_snapshots does.
        # https://docs.aws.amazon.com/glue/latest/webapi/API_IcebergRetentionConfiguration.html
        "retention": {
            "retention_configuration": G.CatalogTableOptimizerConfigurationRetentionConfigurationArgs(
                iceberg_configuration=G.CatalogTableOptimizerConfigurationRetentionConfigurationIcebergConfigurationArgs(
                    snapshot_retention_period_in_days=upkeep.snapshot_retention_days,
                    number_of_snapshots_to_retain=upkeep.min_snapshots,
                    clean_expired_files=True,
                )
            )
        },
        # Files younger than this are never taken: a running job's uncommitted files are safe.
        # https://docs.aws.amazon.com/glue/latest/webapi/API_IcebergOrphanFileDeletionConfiguration.html
        "orphan_file_deletion": {
            "orphan_file_deletion_configuration": _OrphanDeletion(
                iceberg_configuration=_OrphanDeletionIceberg(
                    orphan_file_retention_period_in_days=upkeep.orphan_age_days
                )
            )
        },
    }


class TableOptimizers(pulumi.ComponentResource):
    """One optimizer of each type per owned table, keyed by `<layer>.<table>/<type>`."""

    optimizers: dict[str, aws.glue.CatalogTableOptimizer]

    def __init__(
        self,
        name: str,
        names: Names,
        snapshot_retention_days: int,
        account_id: pulumi.Input[str],
        role_arn: pulumi.Input[str],
        depends_on: Sequence[pulumi.Resource],
        opts: pulumi.ResourceOptions | None = None,
    ):
        super().__init__("sparkify:catalog:TableOptimizers", name, None, opts)
        settings = optimizer_settings(tables.Upkeep(snapshot_retention_days=snapshot_retention_days))
        databases = database_names(names)
        self.optimizers = {}
        for key, (namespace, table) in pipeline.owned_tables().items():
            for kind, configuration in settings.items():
                self.optimizers[f"{key}/{kind}"] = aws.glue.CatalogTableOptimizer(
                    f"{name}-{key.replace('.', '-')}-{kind}",
                    catalog_id=account_id,
                    database_name=databases[namespace],
                    table_name=table,
                    type=kind,
                    configuration=G.CatalogTableOptimizerConfigurationArgs(
                        role_arn=role_arn, enabled=True, **configuration
                    ),
                    # The role's grants must exist before an optimizer first runs.
                    opts=pulumi.ResourceOptions(parent=self, depends_on=list(depends_on)),
                )
        self.register_outputs({"optimizers": sorted(self.optimizers)})
