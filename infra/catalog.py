"""The stack's Glue Data Catalog: the curated and the staging database (the Iceberg namespaces the jobs
commit their tables to), the quarantine's Parquet tables (`sparkify.lake.quarantine_catalog`), and the raw
crawler (`RAW_CRAWLER`, outside the workflow, run on demand).

Iceberg tables register themselves: every commit of a job updates its table's metadata pointer in the
catalog, so no crawler runs over staging or curated data. Raw JSON is not a table format, so a crawler
still catalogs it (`song_data`, `log_data`) for exploration in Athena.

Each database's location is the lake prefix its tables live under, so Iceberg's Glue catalog puts the
table `<db>.<table>` at `<location>/<table>` (https://iceberg.apache.org/docs/latest/aws/#glue-catalog).
"""

from __future__ import annotations

import functools
import json
from collections.abc import Mapping

import pulumi
import pulumi_aws as aws

from sparkify.lake import quarantine_catalog
from sparkify.lake.spark_conf import GLUE_CATALOG
from sparkify.layout import Names
from sparkify.pipeline import SOURCES, CrawlerStep, Location, Namespace

# Spark's commit markers and scratch files are not data.
CRAWLER_EXCLUSIONS = ["**/_SUCCESS", "**/_temporary/**", "**/.spark-staging*/**", "**.crc"]

# New partitions inherit the table's schema instead of drifting per folder; compatible folders are one table.
# https://docs.aws.amazon.com/glue/latest/dg/crawler-configuration.html
CRAWLER_CONFIGURATION = json.dumps(
    {
        "Version": 1.0,
        "CrawlerOutput": {"Partitions": {"AddOrUpdateBehavior": "InheritFromTable"}},
        "Grouping": {"TableGroupingPolicy": "CombineCompatibleSchemas"},
    },
    sort_keys=True,
)

PARQUET_INPUT = "org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat"
PARQUET_OUTPUT = "org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat"
PARQUET_SERDE = "org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe"

# Which location each namespace's tables live under.
NAMESPACE_LOCATIONS: dict[Namespace, Location] = {
    Namespace.STAGING: Location.STAGING,
    Namespace.CURATED: Location.CURATED,
}


def database_names(names: Names) -> dict[Namespace, str]:
    """The Glue database behind each Iceberg namespace."""
    return {Namespace.CURATED: names.database, Namespace.STAGING: names.staging_database}


def namespaces(names: Names) -> dict[Namespace, str]:
    """Each namespace as the jobs receive it: `<Spark catalog>.<Glue database>`."""
    return {ns: f"{GLUE_CATALOG}.{db}" for ns, db in database_names(names).items()}


def crawler_target_paths(step: CrawlerStep, locations: Mapping[Location, str]) -> list[str]:
    base = locations[step.target]
    return [f"{base.rstrip('/')}/{table}/" for table in step.tables]


def quarantine_folder(source: str, locations: Mapping[Location, str]) -> str:
    return f"{locations[Location.QUARANTINE].rstrip('/')}/{source}/"


class Catalog(pulumi.ComponentResource):
    """The catalog databases and the raw crawler."""

    database: aws.glue.CatalogDatabase
    staging_database: aws.glue.CatalogDatabase
    quarantine_tables: dict[str, aws.glue.CatalogTable]
    crawlers: dict[str, aws.glue.Crawler]

    def __init__(
        self,
        name: str,
        names: Names,
        crawler_steps: list[CrawlerStep],
        locations: pulumi.Output[dict[Location, str]],
        role_arn: pulumi.Input[str],
        security_configuration: pulumi.Input[str],
        depends_on: list[pulumi.Resource],
        protect: bool = False,
        opts: pulumi.ResourceOptions | None = None,
    ):
        super().__init__("sparkify:catalog:Catalog", name, None, opts)

        def location(ns: Namespace) -> pulumi.Output[str]:
            return locations.apply(lambda uris: uris[NAMESPACE_LOCATIONS[ns]].rstrip("/"))

        # One pair of databases per stack, so Athena users of dev never see prod's tables. The curated
        # database keeps its name (and Athena's named queries their database) from before Iceberg.
        self.database = aws.glue.CatalogDatabase(
            f"{name}-database",
            name=names.database,
            description="Sparkify star schema (Iceberg tables) and the raw JSON the raw crawler catalogs",
            location_uri=location(Namespace.CURATED),
            opts=pulumi.ResourceOptions(parent=self, protect=protect),
        )
        self.staging_database = aws.glue.CatalogDatabase(
            f"{name}-staging-database",
            name=names.staging_database,
            description="Sparkify staging Iceberg tables: typed raw records and the raw-file ledger",
            location_uri=location(Namespace.STAGING),
            opts=pulumi.ResourceOptions(parent=self, protect=protect),
        )
        self.quarantine_tables = {
            source: aws.glue.CatalogTable(
                f"{name}-{quarantine_catalog.table_name(source)}",
                name=quarantine_catalog.table_name(source),
                database_name=self.staging_database.name,
                description=(
                    f"Rejected {source} records with their reason, file and line; one partition per stage batch"
                ),
                table_type="EXTERNAL_TABLE",
                parameters={"classification": "parquet", "EXTERNAL": "TRUE"},
                partition_keys=[
                    aws.glue.CatalogTablePartitionKeyArgs(
                        name=quarantine_catalog.PARTITION_KEY[0], type=quarantine_catalog.PARTITION_KEY[1]
                    )
                ],
                storage_descriptor=aws.glue.CatalogTableStorageDescriptorArgs(
                    location=locations.apply(functools.partial(quarantine_folder, source)),
                    input_format=PARQUET_INPUT,
                    output_format=PARQUET_OUTPUT,
                    ser_de_info=aws.glue.CatalogTableStorageDescriptorSerDeInfoArgs(
                        serialization_library=PARQUET_SERDE
                    ),
                    columns=[
                        aws.glue.CatalogTableStorageDescriptorColumnArgs(name=column, type=kind)
                        for column, kind in quarantine_catalog.columns()
                    ],
                ),
                opts=pulumi.ResourceOptions(parent=self),
            )
            for source in SOURCES
        }
        self.crawlers = {}
        for step in crawler_steps:
            paths = locations.apply(functools.partial(crawler_target_paths, step))
            # Incremental: after the first full crawl only new folders (new partitions) are read.
            # CRAWL_NEW_FOLDERS_ONLY requires LOG for both schema-change behaviours.
            # https://docs.aws.amazon.com/glue/latest/dg/incremental-crawls.html
            self.crawlers[step.name] = aws.glue.Crawler(
                f"{name}-{step.name}",
                name=names.crawler(step.name),
                description=step.description,
                database_name=self.database.name,
                role=role_arn,
                security_configuration=security_configuration,
                s3_targets=paths.apply(
                    lambda ps: [aws.glue.CrawlerS3TargetArgs(path=p, exclusions=CRAWLER_EXCLUSIONS) for p in ps]
                ),
                recrawl_policy=aws.glue.CrawlerRecrawlPolicyArgs(recrawl_behavior="CRAWL_NEW_FOLDERS_ONLY"),
                schema_change_policy=aws.glue.CrawlerSchemaChangePolicyArgs(
                    update_behavior="LOG", delete_behavior="LOG"
                ),
                configuration=CRAWLER_CONFIGURATION,
                # The role's policy must be in place before the first crawl.
                opts=pulumi.ResourceOptions(parent=self, depends_on=depends_on),
            )
        self.register_outputs({"database": self.database.name, "staging_database": self.staging_database.name})
