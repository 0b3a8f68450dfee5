"""Every stack file renders, and exports what a person needs after `pulumi up`."""

from __future__ import annotations

from tests.infra.conftest import STACKS, Rendered


def test_the_repository_has_a_dev_and_a_prod_stack() -> None:
    assert STACKS == ["dev", "prod"]


def test_stack_outputs_name_everything_to_use_next(stack: Rendered) -> None:
    s = stack.stack
    bucket = f"sparkify-{s}-{{}}-123456789012-us-east-1"
    assert stack.exports["buckets"] == {p: bucket.format(p) for p in ("raw", "curated", "artifacts", "temp", "docs")}
    assert stack.exports["workflow_name"] == f"sparkify-{s}"
    assert stack.exports["job_names"] == {j: f"sparkify-{s}-{j}" for j in ("stage", "model", "validate")}
    assert stack.exports["crawler_names"] == {"raw": f"sparkify-{s}-raw"}
    assert stack.exports["database_name"] == f"sparkify_{s}"
    assert stack.exports["staging_database_name"] == f"sparkify_{s}_staging"
    # Glue 5 with CloudWatch encryption in the security configuration: <prefix>/<configuration>-role/<role>/...
    jobs_logs = f"/aws-glue/sparkify-{s}/sparkify-{s}-role/sparkify-{s}-glue"
    assert stack.exports["job_log_groups"] == [f"{jobs_logs}/output", f"{jobs_logs}/error"]
    assert stack.exports["athena_workgroup"] == f"sparkify-{s}"
    assert stack.exports["docs_location"] == f"s3://{bucket.format('docs')}/"
    assert stack.exports["alerts_topic_arn"] == f"arn:aws:sns:us-east-1:123456789012:sparkify-{s}-alerts"


def test_components_group_the_resources(stack: Rendered) -> None:
    components = sorted(r.typ for r in stack.resources if not r.custom)
    assert components == sorted(
        [
            "sparkify:security:StackEncryption",
            *["sparkify:storage:SecureBucket"] * 5,
            "sparkify:artifacts:ArtifactUpload",
            *["sparkify:iam:GlueRole"] * 2,
            "sparkify:logs:LogGroups",
            "sparkify:jobs:GlueJobs",
            "sparkify:catalog:Catalog",
            "sparkify:workflow:PipelineWorkflow",
            "sparkify:docs:DocsSite",
            "sparkify:alerting:Alerting",
            "sparkify:athena:AthenaWorkgroup",
        ]
    )
