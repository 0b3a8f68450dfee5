"""Pulumi program: the Sparkify Glue pipeline of one stack (`pulumi up`; see docs/deploy.md).

It reads the stack's config once, builds each group of resources from `infra/`, and exports what a
person needs next. Every job, crawler and trigger comes from `sparkify.pipeline`, the same definition
the local runner walks.
"""

import pulumi
import pulumi_aws as aws

from infra import config
from infra.alerting import Alerting, AlertingArgs
from infra.artifacts import ArtifactUpload
from infra.athena import AthenaWorkgroup
from infra.catalog import Catalog, namespaces
from infra.cost import SIZES, estimate_run_cost, monthly_fixed_cost, throughput_from_bench
from infra.docs_site import DocsSite
from infra.iam import GlueRole, PolicyInputs, crawler_policy, glue_policy, optimizer_policy, optimizer_trust_policy
from infra.jobs import GlueJobs
from infra.logs import LogGroups
from infra.naming import AwsContext
from infra.optimizers import TableOptimizers
from infra.security import StackEncryption
from infra.storage import build_buckets
from infra.wheels import RUNTIMES, validation_wheels
from infra.workflow import PipelineWorkflow
from sparkify import pipeline
from sparkify.job_args import UPKEEP_BY_CATALOG
from sparkify.layout import Names

# Validation first: a bad key fails here, before any resource is registered.
cfg = config.load()
names = Names(cfg.prefix)
try:
    # The validate job's wheels for the stack's Glue version, or what uv.lock still lacks for it.
    wheels = validation_wheels(runtime=RUNTIMES[cfg.glue_version])
except LookupError as exc:
    raise config.ConfigError([f"sparkify:glueVersion: {cfg.glue_version}: {exc}"]) from None

# Every resource goes through this provider, so every taggable one carries the stack's tags.
provider = aws.Provider("aws", region=cfg.region, default_tags=aws.ProviderDefaultTagsArgs(tags=cfg.tags))
on_provider = pulumi.ResourceOptions(providers=[provider])
ctx = AwsContext.lookup(cfg.region, provider)

encryption = StackEncryption("encryption", cfg, names, ctx, opts=on_provider)
logs = LogGroups("logs", names, cfg.log_retention_days, encryption.key.arn, opts=on_provider)
buckets = build_buckets(cfg, names, ctx, opts=on_provider)
locations = buckets.location_uris()
places = locations.apply(lambda uris: {**uris, **namespaces(names)})
uploads = ArtifactUpload("artifacts", buckets.artifacts.bucket, wheels=wheels, opts=on_provider)

policy_inputs = pulumi.Output.all(ctx.account_id, ctx.partition, buckets.names(), encryption.key.arn).apply(
    lambda v: PolicyInputs(
        partition=v[1],
        region=cfg.region,
        account_id=v[0],
        buckets=v[2],
        database=names.database,
        staging_database=names.staging_database,
        stack_key_arn=v[3],
        data_key_arn=cfg.kms_key_arn,
        job_log_groups=tuple(names.job_log_groups.values()),
        job_names=tuple(names.job(s.name) for s in pipeline.job_steps()),
        crawler_log_group=names.crawler_log_group,
        job_log_prefix=names.log_group_prefix,
        crawler_log_prefix=names.crawler_log_prefix,
    )
)
role = GlueRole("glue-role", names.role, "Sparkify Glue jobs", policy_inputs, glue_policy, opts=on_provider)
crawler_role = GlueRole(
    "crawler-role", names.crawler_role, "Sparkify raw crawler", policy_inputs, crawler_policy, opts=on_provider
)
security_configuration = encryption.security_configuration.name

glue_jobs = GlueJobs(
    "jobs",
    cfg,
    names,
    uploads.artifacts,
    places,
    temp_bucket=buckets.temp.bucket.bucket,
    role_arn=role.role.arn,
    security_configuration=security_configuration,
    depends_on=[role.policy, *logs.groups.values(), *uploads.artifacts.objects],
    opts=on_provider,
)
catalog = Catalog(
    "catalog",
    names,
    [pipeline.RAW_CRAWLER],
    locations,
    role_arn=crawler_role.role.arn,
    security_configuration=security_configuration,
    depends_on=[crawler_role.policy, *logs.groups.values()],
    protect=cfg.protect_data,
    opts=on_provider,
)
workflow = PipelineWorkflow("workflow", cfg, names, glue_jobs.jobs, opts=on_provider)
if cfg.table_upkeep == UPKEEP_BY_CATALOG:
    # The catalog keeps the tables between runs; the validate job is told (--table_upkeep) and keeps none.
    optimizer_role = GlueRole(
        "optimizer-role",
        names.optimizer_role,
        "Glue Data Catalog table optimizers of the Sparkify tables",
        policy_inputs,
        optimizer_policy,
        trust=optimizer_trust_policy,
        opts=on_provider,
    )
    TableOptimizers(
        "optimizers",
        names,
        cfg.snapshot_retention_days,
        account_id=ctx.account_id,
        role_arn=optimizer_role.role.arn,
        depends_on=[optimizer_role.policy, catalog.database, catalog.staging_database],
        opts=on_provider,
    )

docs = DocsSite("docs", cfg, names, buckets.docs, opts=on_provider)
docs_location = pulumi.Output.concat("s3://", buckets.docs.bucket.bucket, "/")
validation_steps = [s.name for s in pipeline.job_steps() if pipeline.Location.EXPECTATIONS in s.locations]
alerting = Alerting(
    "alerts",
    AlertingArgs(
        names=names,
        stack=cfg.stack,
        kms_key_id=encryption.key.arn,
        job_steps={names.job(s.name): s.name for s in pipeline.job_steps()},
        validation_job_names=[names.job(s) for s in validation_steps],
        crawler_names=[names.crawler(pipeline.RAW_CRAWLER.name)],
        docs_location=docs_location,
        alert_email=cfg.alert_email,
        account_id=ctx.account_id,
        partition=ctx.partition,
        region=cfg.region,
        router_log_group=logs.groups[names.alert_router_log_group],
        watch_daily_success=cfg.schedule_enabled,
    ),
    opts=on_provider,
)
athena = AthenaWorkgroup(
    "athena",
    names.athena_workgroup,
    database=catalog.database.name,
    staging_database=catalog.staging_database.name,
    results_bucket=buckets.temp.bucket.bucket,
    kms_key_arn=cfg.kms_key_arn,
    force_destroy=cfg.force_destroy,
    opts=on_provider,
)

pulumi.export("buckets", {purpose: b.bucket.bucket for purpose, b in buckets.by_purpose().items()})
pulumi.export("workflow_name", workflow.workflow.name)
pulumi.export("job_names", {step: job.name for step, job in glue_jobs.jobs.items()})
pulumi.export("crawler_names", {step: crawler.name for step, crawler in catalog.crawlers.items()})
pulumi.export("database_name", catalog.database.name)
pulumi.export("staging_database_name", catalog.staging_database.name)
pulumi.export("job_log_groups", list(names.job_log_groups.values()))
pulumi.export("athena_workgroup", athena.workgroup.name)
pulumi.export("docs_location", docs_location)
pulumi.export("docs_latest_sync", pulumi.Output.concat("aws s3 sync ", docs_location, "latest/ data_docs/"))
if docs.url is not None:
    pulumi.export("docs_url", docs.url)
pulumi.export("alerts_topic_arn", alerting.topic.arn)
throughput = throughput_from_bench()
pulumi.export(
    "estimated_usd_per_run",
    {size: round(estimate_run_cost(cfg, records, throughput).usd, 3) for size, records in SIZES.items()},
)
pulumi.export("estimated_usd_fixed_per_month", round(sum(monthly_fixed_cost(cfg).values()), 2))
