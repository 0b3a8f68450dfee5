"""The run report's table counts name their branch: published rows (`main`) always, and the rows a run
left on `audit` unpublished apart, as waiting or rejected."""

from __future__ import annotations

from sparkify.report import StepResult, build_report


def run(*steps: StepResult) -> dict:
    return build_report("run-1", "2026-12-06T03:00:00+00:00", 10.0, list(steps))


MODEL = StepResult(
    "model",
    "job",
    "succeeded",
    metrics={"rows": {"songs": 72, "users": 5}, "published_rows": {"songs": 71, "users": 5}},
)


def test_a_publish_reports_the_published_rows_and_nothing_waiting():
    validate = StepResult(
        "validate",
        "job",
        "succeeded",
        metrics={
            "audited": ["songs"],
            "published": {"songs": 9},
            "published_rows": {"songs": 72, "users": 5},
            "suites": {"songs": {"success": True}},
        },
    )
    assert run(MODEL, validate)["tables"] == {"songs": {"rows": 72}, "users": {"rows": 5}}


def test_a_rejected_change_is_counted_apart_from_what_is_published():
    validate = StepResult(
        "validate",
        "job",
        "failed",
        metrics={
            "audited": ["songs"],
            "published": {},
            "published_rows": {"songs": 71, "users": 5},
            "suites": {"songs": {"success": False}},
        },
    )
    assert run(MODEL, validate)["tables"] == {
        "songs": {"rows": 71, "audit": {"rows": 72, "state": "rejected"}},
        "users": {"rows": 5},
    }


def test_a_model_run_alone_leaves_its_change_waiting():
    assert run(MODEL)["tables"] == {
        "songs": {"rows": 71, "audit": {"rows": 72, "state": "waiting"}},
        "users": {"rows": 5},
    }
