"""The trigger graph equals the pipeline definition; the start follows the stack's schedule."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sparkify import pipeline
from tests.infra.conftest import Rendered

TRIGGER = "aws:glue/trigger:Trigger"


def step_of(action_or_condition: dict[str, Any], stack: str) -> str:
    name = action_or_condition.get("jobName") or action_or_condition["crawlerName"]
    prefix = f"sparkify-{stack}-"
    assert name.startswith(prefix), name
    return str(name[len(prefix) :])


def graph(stack: Rendered) -> dict[str, set[str]]:
    """step → the steps whose success starts it, read back from the triggers."""
    result: dict[str, set[str]] = {}
    for trigger in stack.of_type(TRIGGER):
        inputs = trigger.inputs
        assert inputs["workflowName"] == f"sparkify-{stack.stack}", f"trigger {inputs['name']} outside the workflow"
        upstream = {step_of(c, stack.stack) for c in inputs.get("predicate", {}).get("conditions", [])}
        for action in inputs["actions"]:
            step = step_of(action, stack.stack)
            assert step not in result, f"step {step} is started by two triggers"
            result[step] = upstream
    return result


def test_trigger_graph_is_the_pipeline_definition(stack: Rendered) -> None:
    # The chain ends at validate: Iceberg commits register the tables, no crawler runs over curated data.
    assert graph(stack) == {"stage": set(), "model": {"stage"}, "validate": {"model"}}
    assert graph(stack) == {s.name: set(s.upstream) for s in pipeline.STEPS}


def test_conditions_wait_for_success_with_the_right_state_field(stack: Rendered) -> None:
    for trigger in stack.of_type(TRIGGER):
        if trigger.inputs["type"] != "CONDITIONAL":
            continue
        predicate = trigger.inputs["predicate"]
        assert predicate["logical"] == "AND", f"trigger {trigger.inputs['name']}: predicate needs logical"
        for condition in predicate["conditions"]:
            upstream = pipeline.step(step_of(condition, stack.stack))
            field = "crawlState" if isinstance(upstream, pipeline.CrawlerStep) else "state"
            assert condition[field] == "SUCCEEDED", f"trigger {trigger.inputs['name']}: {condition}"
            assert ({"crawlState", "state"} - {field}).isdisjoint(condition)
        assert trigger.inputs["enabled"] is True and trigger.inputs["startOnCreation"] is True


def test_prod_starts_on_its_schedule(rendered_stack: Callable[[str], Rendered]) -> None:
    start = rendered_stack("prod").by_physical_name(TRIGGER)["sparkify-prod-start"].inputs
    assert (start["type"], start["schedule"], start["enabled"], start["startOnCreation"]) == (
        "SCHEDULED",
        "cron(0 3 * * ? *)",
        True,
        True,
    )


def test_dev_starts_only_on_demand_and_not_at_creation(rendered_stack: Callable[[str], Rendered]) -> None:
    start = rendered_stack("dev").by_physical_name(TRIGGER)["sparkify-dev-start"].inputs
    assert start["type"] == "ON_DEMAND"
    assert start["enabled"] is False, "an enabled ON_DEMAND trigger would start a run on `pulumi up`"
    assert "schedule" not in start


def test_workflow_runs_one_at_a_time(stack: Rendered) -> None:
    workflow = stack.by_physical_name("aws:glue/workflow:Workflow")[f"sparkify-{stack.stack}"].inputs
    assert workflow["maxConcurrentRuns"] == 1


def test_only_the_raw_crawler_is_left_and_it_runs_outside_the_workflow(stack: Rendered) -> None:
    crawlers = stack.by_physical_name("aws:glue/crawler:Crawler")
    raw_bucket = f"s3://sparkify-{stack.stack}-raw-123456789012-us-east-1"
    assert sorted(crawlers) == [f"sparkify-{stack.stack}-raw"], "no crawler over curated Iceberg tables"
    raw = crawlers[f"sparkify-{stack.stack}-raw"].inputs
    assert [t["path"] for t in raw["s3Targets"]] == [f"{raw_bucket}/song_data/", f"{raw_bucket}/log_data/"]
    assert raw["databaseName"] == f"sparkify_{stack.stack}"
    assert raw["role"].endswith(f":sparkify-{stack.stack}-crawler"), "the crawler has its own role"
    assert raw["recrawlPolicy"] == {"recrawlBehavior": "CRAWL_NEW_FOLDERS_ONLY"}
    assert raw["schemaChangePolicy"] == {"updateBehavior": "LOG", "deleteBehavior": "LOG"}
    assert raw["securityConfiguration"] == f"sparkify-{stack.stack}"
    assert "schedule" not in raw, "the raw crawler runs on demand"
    started = {a.get("crawlerName") for t in stack.of_type(TRIGGER) for a in t.inputs["actions"]}
    assert started == {None}, "no trigger of the workflow starts a crawler"


def test_iceberg_namespaces_are_two_databases_at_their_lake_prefixes(stack: Rendered) -> None:
    curated = f"s3://sparkify-{stack.stack}-curated-123456789012-us-east-1"
    databases = {
        d.inputs["name"]: d.inputs.get("locationUri") for d in stack.of_type("aws:glue/catalogDatabase:CatalogDatabase")
    }
    assert databases == {
        f"sparkify_{stack.stack}": f"{curated}/curated",
        f"sparkify_{stack.stack}_staging": f"{curated}/staging",
    }
