"""The stack's Glue Data Catalog: one database, and a crawler per `CrawlerStep` of the pipeline definition
(the `catalog` step inside the workflow, `RAW_CRAWLER` outside it, run on demand).

A crawler gets one S3 target per table it owns (`<location>/<table>/`), so each folder becomes exactly
one table named after it, with Hive-style partition folders (year=/month=) as partitions.
"""

from __future__ import annotations

import functools
import json

import pulumi
import pulumi_aws as aws

from infra.naming import Names
from sparkify.pipeline import CrawlerStep, Location

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


def crawler_target_paths(step: CrawlerStep, locations: dict[Location, str]) -> list[str]:
    base = locations[step.target]
    return [f"{base.rstrip('/')}/{table}/" for table in step.tables]


class Catalog(pulumi.ComponentResource):
    """The catalog database and the crawlers that fill it."""

    database: aws.glue.CatalogDatabase
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
        opts: pulumi.ResourceOptions | None = None,
    ):
        super().__init__("sparkify:catalog:Catalog", name, None, opts)
        # One database per stack, so Athena users of dev never see prod's tables.
        self.database = aws.glue.CatalogDatabase(
            f"{name}-database",
            name=names.database,
            description="Sparkify star schema (curated) and raw JSON, registered by the stack's crawlers",
            opts=pulumi.ResourceOptions(parent=self),
        )
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
        self.register_outputs({"database": self.database.name})
