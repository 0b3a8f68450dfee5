"""The spellings of a run's history, written out by hand: readers outside this code (people, Athena's
partitions, bucket lifecycle rules, earlier versions' lakes) find runs by these exact paths."""

from __future__ import annotations

from sparkify import layout


def test_a_runs_history_is_spelled_as_lakes_and_buckets_already_hold_it() -> None:
    assert layout.run_dir("2026-12-07T00-00-00Z") == "runs/2026-12-07T00-00-00Z"
    assert layout.step_metrics_path("r1", "stage") == "runs/r1/stage.json"
    assert (layout.RUN_REPORT, layout.LATEST_REPORT, layout.LATEST_DOCS) == ("report.json", "latest.json", "latest")


def test_a_quarantine_batch_is_a_hive_style_partition() -> None:
    assert layout.batch_partition(7) == "batch_id=7"
    assert layout.BATCH_GLOB == "batch_id=*"


def test_the_alerting_resources_are_named_after_the_stack() -> None:
    names = layout.Names.of_stack("dev")
    assert [
        names.alert_topic,
        names.alert_dlq,
        names.alert_router,
        names.alert_rule("glue-jobs"),
        names.undelivered_alarm,
        names.no_successful_run_alarm,
    ] == [
        "sparkify-dev-alerts",
        "sparkify-dev-alerts-dlq",
        "sparkify-dev-alert-router",
        "sparkify-dev-glue-jobs",
        "sparkify-dev-undelivered-alerts",
        "sparkify-dev-no-successful-run",
    ]
