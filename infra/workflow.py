"""The Glue workflow and its triggers, generated from `sparkify.pipeline.STEPS`.

Steps without upstream steps hang off the start trigger: SCHEDULED with the stack's cron, or ON_DEMAND
(deactivated, so creating it does not start a run) when the stack turns the schedule off. Every other
step gets a CONDITIONAL trigger that fires when all its upstream steps SUCCEEDED (jobs are watched with
`state`, crawlers with `crawl_state`). Manual runs: `aws glue start-workflow-run --name <workflow>`.
"""

from __future__ import annotations

from collections.abc import Mapping

import pulumi
import pulumi_aws as aws

from infra.config import StackConfig
from sparkify.layout import Names
from sparkify.pipeline import STEPS, CrawlerStep, JobStep, Step

GlueNode = aws.glue.Job | aws.glue.Crawler


def _action(step: Step, nodes: Mapping[str, GlueNode]) -> aws.glue.TriggerActionArgs:
    node = nodes[step.name]
    if isinstance(step, JobStep):
        return aws.glue.TriggerActionArgs(job_name=node.name)
    return aws.glue.TriggerActionArgs(crawler_name=node.name)


def _succeeded(upstream: Step, nodes: Mapping[str, GlueNode]) -> aws.glue.TriggerPredicateConditionArgs:
    node = nodes[upstream.name]
    if isinstance(upstream, CrawlerStep):
        return aws.glue.TriggerPredicateConditionArgs(
            crawler_name=node.name, crawl_state="SUCCEEDED", logical_operator="EQUALS"
        )
    return aws.glue.TriggerPredicateConditionArgs(job_name=node.name, state="SUCCEEDED", logical_operator="EQUALS")


class PipelineWorkflow(pulumi.ComponentResource):
    """The workflow of one stack: a start trigger and a conditional trigger per downstream step."""

    workflow: aws.glue.Workflow
    triggers: list[aws.glue.Trigger]

    def __init__(
        self,
        name: str,
        cfg: StackConfig,
        names: Names,
        nodes: Mapping[str, GlueNode],
        steps: tuple[Step, ...] = STEPS,
        opts: pulumi.ResourceOptions | None = None,
    ):
        super().__init__("sparkify:workflow:PipelineWorkflow", name, None, opts)
        by_name = {s.name: s for s in steps}
        missing = [s.name for s in steps if s.name not in nodes]
        if missing:
            raise KeyError(f"no Glue job or crawler was built for pipeline steps {', '.join(missing)}")

        # One run at a time: a second run would race the first over the same tables.
        self.workflow = aws.glue.Workflow(
            name,
            name=names.workflow,
            description="Sparkify: " + " → ".join(s.name for s in steps),
            max_concurrent_runs=1,
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.triggers = []
        first = [s for s in steps if not s.upstream]
        if not first:
            raise ValueError("the pipeline has no step without upstream steps to start the workflow")

        # Triggers of one workflow are created one after another: AWS rejects concurrent changes to a
        # workflow's graph ("workflow was modified while adding trigger").
        def chained(previous: list[aws.glue.Trigger]) -> pulumi.ResourceOptions:
            # Trigger names are fixed and the type cannot change in place: free the name before replacing.
            return pulumi.ResourceOptions(parent=self, depends_on=previous[-1:], delete_before_replace=True)

        if cfg.schedule_enabled:
            # Glue cron syntax: https://docs.aws.amazon.com/glue/latest/dg/monitor-data-warehouse-schedule.html
            start = aws.glue.Trigger(
                f"{name}-start",
                name=names.start_trigger,
                workflow_name=self.workflow.name,
                type="SCHEDULED",
                schedule=cfg.schedule,
                enabled=True,
                start_on_creation=True,
                actions=[_action(s, nodes) for s in first],
                opts=chained(self.triggers),
            )
        else:
            # enabled=False: an ON_DEMAND trigger that is "started" would run the workflow at once.
            start = aws.glue.Trigger(
                f"{name}-start",
                name=names.start_trigger,
                workflow_name=self.workflow.name,
                type="ON_DEMAND",
                enabled=False,
                actions=[_action(s, nodes) for s in first],
                opts=chained(self.triggers),
            )
        self.triggers.append(start)

        for step in steps:
            if not step.upstream:
                continue
            unknown = [u for u in step.upstream if u not in by_name]
            if unknown:
                raise KeyError(f"step {step.name!r} waits for unknown steps {', '.join(unknown)}")
            # Fires once every upstream step of this run has succeeded (logical AND).
            self.triggers.append(
                aws.glue.Trigger(
                    f"{name}-run-{step.name}",
                    name=names.trigger(step.name),
                    workflow_name=self.workflow.name,
                    type="CONDITIONAL",
                    enabled=True,
                    start_on_creation=True,
                    predicate=aws.glue.TriggerPredicateArgs(
                        logical="AND", conditions=[_succeeded(by_name[u], nodes) for u in step.upstream]
                    ),
                    actions=[_action(step, nodes)],
                    opts=chained(self.triggers),
                )
            )
        self.register_outputs({"workflow": self.workflow.name})
