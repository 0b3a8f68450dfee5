"""Stack config: the repository's stacks parse to what their files say; bad config fails early, by key."""

from __future__ import annotations

import json

import pulumi
import pytest

from infra import config
from infra.config import ConfigError, JobSettings, from_mapping
from infra.config_values import validate_cron
from tests.infra.conftest import RecordingMocks, render, stack_config

VALID = {
    "aws:region": "eu-west-1",
    "sparkify:schedule": "cron(15 2 * * ? *)",
    "sparkify:workerType": "G.2X",
    "sparkify:numberOfWorkers": "3",
}


def test_dev_stack_is_cheap_and_manual() -> None:
    cfg = from_mapping(stack_config("dev"), "dev")
    assert cfg.region == "us-east-1"
    assert cfg.schedule == "cron(0 6 * * ? *)"
    assert cfg.schedule_enabled is False
    assert cfg.force_destroy is True
    flex = JobSettings("G.1X", 2, 30, 0, "FLEX")
    assert dict(cfg.jobs) == {"stage": flex, "model": flex, "validate": flex}


def test_prod_stack_is_scheduled_alerting_and_gives_the_model_job_more_workers() -> None:
    cfg = from_mapping(stack_config("prod"), "prod")
    assert cfg.schedule == "cron(0 3 * * ? *)"
    assert cfg.schedule_enabled is True
    # The address is each deployment's own: `pulumi config set sparkify:alertEmail ...` before `pulumi up`.
    assert cfg.alert_email is None
    assert cfg.force_destroy is False
    assert cfg.jobs["stage"] == JobSettings("G.1X", 4, 60, 1, "STANDARD")
    # A failed suite is not transient: validate never retries, whatever the stack-wide retries say.
    assert cfg.jobs["validate"] == JobSettings("G.1X", 4, 60, 0, "STANDARD")
    assert cfg.jobs["model"] == JobSettings("G.1X", 6, 60, 1, "STANDARD")
    assert (cfg.protect_data, cfg.history_expiration_days, cfg.log_retention_days) == (True, 90, 90)
    assert cfg.tags == {"project": "sparkify", "stack": "prod", "owner": "data-platform", "cost-centre": "analytics"}


@pytest.mark.parametrize("address", ["data-alerts@example.com", "ops@alerts.example.org", "me@team.invalid"])
def test_a_scheduled_stack_refuses_a_placeholder_alert_address(address: str) -> None:
    problems = _problems({**VALID, "sparkify:alertEmail": address})
    domain = address.partition("@")[2]
    assert problems == [
        f"sparkify:alertEmail: {address!r} is a placeholder ({domain} is reserved and receives no mail) on a "
        "scheduled stack: set a real address, or leave it unset and subscribe to the alerts topic yourself"
    ]


def test_a_placeholder_address_is_fine_where_nothing_runs_on_a_schedule() -> None:
    cfg = from_mapping({**VALID, "sparkify:scheduleEnabled": "false", "sparkify:alertEmail": "a@example.com"}, "t")
    assert cfg.alert_email == "a@example.com"
    assert from_mapping({**VALID, "sparkify:alertEmail": "data@sparkify.fm"}, "t").alert_email == "data@sparkify.fm"


def test_validation_may_not_be_given_retries() -> None:
    problems = _problems({**VALID, "sparkify:jobs": '{"validate": {"maxRetries": 2}}'})
    assert problems == [
        "sparkify:jobs.validate.maxRetries: the validate job never retries (a failed suite is not transient); use 0"
    ]


@pytest.mark.parametrize(
    "change, problem",
    [
        ({"sparkify:logRetentionDays": "10"}, "sparkify:logRetentionDays: 10 is not a CloudWatch Logs retention"),
        (
            {"sparkify:protectData": "true", "sparkify:forceDestroy": "true"},
            "sparkify:forceDestroy: must be false when sparkify:protectData is true (the data is kept)",
        ),
        ({"sparkify:owner": "a{b}"}, "sparkify:owner: 'a{b}' is not a valid AWS tag value"),
    ],
)
def test_bad_ownership_and_retention_values_name_their_key(change: dict[str, str], problem: str) -> None:
    (found,) = _problems({**VALID, **change})
    assert found.startswith(problem), found


def test_defaults_fill_every_optional_key() -> None:
    cfg = from_mapping(VALID, "qa")
    assert cfg.schedule_enabled is True
    assert cfg.jobs["model"] == JobSettings("G.2X", 3, 60, 0, "STANDARD")
    assert (cfg.kms_key_arn, cfg.alert_email, cfg.docs_cloudfront) == (None, None, False)
    assert (cfg.temp_expiration_days, cfg.noncurrent_version_days, cfg.force_destroy) == (7, 90, False)
    assert cfg.prefix == "sparkify-qa"
    assert (cfg.history_expiration_days, cfg.log_retention_days, cfg.protect_data) == (90, 30, False)
    assert cfg.tags == {"project": "sparkify", "stack": "qa", "owner": "data-platform"}
    assert cfg.table_upkeep == "jobs"


def test_an_unknown_table_keeper_is_refused_naming_the_key_and_the_choices() -> None:
    assert _problems({**VALID, "sparkify:tableUpkeep": "optimizers"}) == [
        "sparkify:tableUpkeep: 'optimizers' must be one of jobs, catalog-optimizers"
    ]
    assert (
        from_mapping({**VALID, "sparkify:tableUpkeep": "catalog-optimizers"}, "qa").table_upkeep == "catalog-optimizers"
    )


def _problems(values: dict[str, str], stack: str = "qa") -> list[str]:
    with pytest.raises(ConfigError) as caught:
        from_mapping(values, stack)
    return caught.value.problems


@pytest.mark.parametrize(
    "change, key",
    [
        ({"sparkify:schedule": "cron(0 25 * * ? *)"}, "sparkify:schedule"),
        ({"sparkify:schedule": "0 3 * * *"}, "sparkify:schedule"),
        ({"sparkify:schedule": "cron(0 3 * * * *)"}, "sparkify:schedule"),
        ({"sparkify:workerType": "G.3X"}, "sparkify:workerType"),
        ({"sparkify:workerType": "Standard"}, "sparkify:workerType"),
        ({"sparkify:numberOfWorkers": "1"}, "sparkify:numberOfWorkers"),
        ({"sparkify:numberOfWorkers": "two"}, "sparkify:numberOfWorkers"),
        ({"sparkify:executionClass": "SPOT"}, "sparkify:executionClass"),
        ({"sparkify:executionClass": "FLEX", "sparkify:workerType": "G.4X"}, "sparkify:executionClass"),
        ({"sparkify:jobTimeoutMinutes": "0"}, "sparkify:jobTimeoutMinutes"),
        ({"sparkify:scheduleEnabled": "yes"}, "sparkify:scheduleEnabled"),
        ({"sparkify:jobs": '{"modle": {"numberOfWorkers": 4}}'}, "sparkify:jobs.modle"),
        ({"sparkify:jobs": '{"model": {"workerType": "G.9X"}}'}, "sparkify:jobs.model.workerType"),
        ({"sparkify:jobs": '{"model": {"workers": 4}}'}, "sparkify:jobs.model.workers"),
        ({"sparkify:kmsKeyArn": "alias/mine"}, "sparkify:kmsKeyArn"),
        ({"sparkify:alertEmail": "nobody"}, "sparkify:alertEmail"),
        ({"sparkify:docsCloudFront": "true"}, "sparkify:docsAllowedCidrs"),
        ({"sparkify:docsAllowedCidrs": '["10.0.0.0/33"]'}, "sparkify:docsAllowedCidrs"),
        ({"sparkify:tempExpirationDays": "0"}, "sparkify:tempExpirationDays"),
        ({"aws:region": "Frankfurt"}, "aws:region"),
    ],
)
def test_a_bad_value_is_reported_once_by_its_key(change: dict[str, str], key: str) -> None:
    problems = _problems({**VALID, **change})
    assert len(problems) == 1, problems
    assert problems[0].startswith(f"{key}:"), problems


@pytest.mark.parametrize("missing", config.REQUIRED_KEYS)
def test_a_missing_required_key_is_named(missing: str) -> None:
    values = {k: v for k, v in VALID.items() if k != missing}
    problems = _problems(values)
    assert problems == [f"{missing}: required but not set (pulumi config set {missing} ...)"]


def test_every_problem_is_reported_at_once() -> None:
    problems = _problems({"aws:region": "us-east-1", "sparkify:workerType": "G.3X"})
    assert [p.split(":")[0] + ":" + p.split(":")[1] for p in problems] == [
        "sparkify:schedule",
        "sparkify:numberOfWorkers",
        "sparkify:workerType",
    ]


def test_stack_names_that_cannot_be_part_of_a_bucket_name_are_refused() -> None:
    assert _problems(VALID, stack="Prod_EU")[0].startswith("stack name 'Prod_EU'")


@pytest.mark.parametrize(
    "expression",
    [
        "cron(0 3 * * ? *)",
        "cron(15 10 ? * 6L 2030)",
        "cron(0/15 * * * ? *)",
        "cron(0 8 1,15 * ? *)",
        "cron(0 18 ? * MON-FRI *)",
        "cron(30 4 L * ? *)",
        "cron(0 12 ? JAN-MAR 2#1 *)",
    ],
)
def test_glue_cron_expressions_are_accepted(expression: str) -> None:
    validate_cron(expression)


@pytest.mark.parametrize(
    "expression, says",
    [
        ("rate(1 day)", "must look like cron("),
        ("cron(0 3 * * ?)", "has 5 fields"),
        ("cron(60 3 * * ? *)", "minutes field '60'"),
        ("cron(0 3 32 * ? *)", "day-of-month field '32'"),
        ("cron(0 3 ? 13 * *)", "month field '13'"),
        ("cron(0 3 ? * 8 *)", "day-of-week field '8'"),
        ("cron(0 3 1 * MON *)", "exactly one of day-of-month and day-of-week"),
        ("cron(0 3 ? * ? *)", "exactly one of day-of-month and day-of-week"),
        ("cron(? 3 1 * ? *)", "'?' is only allowed"),
        ("cron(0/0 3 * * ? *)", "step '0'"),
    ],
)
def test_bad_cron_expressions_say_what_is_wrong(expression: str, says: str) -> None:
    with pytest.raises(ValueError, match=r".*") as caught:
        validate_cron(expression)
    assert says in str(caught.value)


def test_bad_config_fails_before_any_resource_is_created(monkeypatch: pytest.MonkeyPatch) -> None:
    created: list[str] = []
    original = RecordingMocks.new_resource

    def spy(self: RecordingMocks, args):  # type: ignore[no-untyped-def]
        created.append(args.typ)
        return original(self, args)

    monkeypatch.setattr(RecordingMocks, "new_resource", spy)
    bad = {**stack_config("dev"), "sparkify:workerType": "G.3X"}
    with pytest.raises(ConfigError) as caught:
        render("dev", bad)
    assert "sparkify:workerType: 'G.3X' is not a Glue 5.1 Spark worker type" in str(caught.value)
    assert created == []


def test_glue_6_is_refused_naming_what_the_lock_still_lacks(monkeypatch: pytest.MonkeyPatch) -> None:
    """Ready for Glue 6.0 without moving: the switch exists, and `pulumi preview` says what blocks it."""
    created: list[str] = []

    def spy(self: RecordingMocks, args: pulumi.runtime.MockResourceArgs) -> tuple[str, dict[str, object]]:
        created.append(args.name)
        return "x", {}

    monkeypatch.setattr(RecordingMocks, "new_resource", spy)
    with pytest.raises(ConfigError) as caught:
        render("dev", {**stack_config("dev"), "sparkify:glueVersion": "6.0"})
    (problem,) = caught.value.problems
    assert problem.startswith(
        "sparkify:glueVersion: 6.0: uv.lock has no wheels for Glue 6.0 (CPython 3.13, manylinux x86_64) of "
        "cffi==2.1.1, "
    ), problem
    assert problem.endswith("lock the project for Python 3.13 first (requires-python, `make lock`)")
    assert created == []


def test_unknown_glue_versions_name_their_key() -> None:
    assert _problems({**VALID, "sparkify:glueVersion": "4.0"}) == [
        "sparkify:glueVersion: '4.0' must be one of 5.1, 6.0"
    ]


@pytest.mark.parametrize(
    "change, problem",
    [
        (
            {"sparkify:forceDestory": "true"},
            "sparkify:forceDestory: unknown key (set to 'true'); did you mean sparkify:forceDestroy?",
        ),
        (
            {"sparkify:alertMail": "ops@example.com"},
            "sparkify:alertMail: unknown key (set to 'ops@example.com'); did you mean sparkify:alertEmail?",
        ),
        (
            {"sparkify:region": "eu-west-1"},
            "sparkify:region: unknown key (set to 'eu-west-1'); did you mean aws:region?",
        ),
        (
            {"sparkify:colour": "blue"},
            "sparkify:colour: unknown key (set to 'blue'); the keys are listed in docs/deploy.md",
        ),
        (
            {"sparkify:jobs": '{"model": {"workers": 4}}'},
            "sparkify:jobs.model.workers: unknown key (set to 4); did you mean numberOfWorkers?",
        ),
        ({"sparkify:jobs": '{"modle": {}}'}, "sparkify:jobs.modle: no job step named 'modle'; did you mean model?"),
        (
            {"sparkify:jobs": '{"load": {}}'},
            "sparkify:jobs.load: no job step named 'load'; job steps are stage, model, validate",
        ),
    ],
)
def test_an_unknown_key_is_refused_with_the_nearest_known_one(change: dict[str, str], problem: str) -> None:
    assert _problems({**VALID, **change}) == [problem]


def test_a_key_without_the_sparkify_namespace_is_refused_too() -> None:
    """`pulumi config set forceDestroy true` puts the key in the project's namespace, which nothing reads."""
    with pytest.raises(ConfigError) as caught:
        from_mapping({**VALID, "sparkify-glue:forceDestroy": "true"}, "qa", project="sparkify-glue")
    assert caught.value.problems == [
        "sparkify-glue:forceDestroy: unknown key (set to 'true'); did you mean sparkify:forceDestroy?"
    ]


def test_other_keys_of_the_aws_namespace_belong_to_the_provider() -> None:
    cfg = from_mapping({**VALID, "aws:profile": "sandbox", "aws:skipMetadataApiCheck": "false"}, "qa")
    assert cfg.region == "eu-west-1"


@pytest.mark.parametrize(
    "change, problem",
    [
        ({"sparkify:numberOfWorkers": "two"}, "sparkify:numberOfWorkers: 'two' is not a whole number"),
        ({"sparkify:numberOfWorkers": "1"}, "sparkify:numberOfWorkers: 1 is outside 2..1000"),
        ({"sparkify:scheduleEnabled": "yes"}, "sparkify:scheduleEnabled: 'yes' is not true or false"),
        ({"sparkify:executionClass": "SPOT"}, "sparkify:executionClass: 'SPOT' must be one of STANDARD, FLEX"),
        ({"sparkify:tempExpirationDays": "400"}, "sparkify:tempExpirationDays: 400 is outside 1..365"),
        ({"sparkify:alertEmail": "nobody"}, "sparkify:alertEmail: 'nobody' is not an email address"),
        (
            {"sparkify:docsAllowedCidrs": '["10.0.0.0/33"]'},
            "sparkify:docsAllowedCidrs: '10.0.0.0/33' is not a CIDR block such as 203.0.113.0/24",
        ),
        (
            {"sparkify:jobs": '{"model": {"timeoutMinutes": 20000}}'},
            "sparkify:jobs.model.timeoutMinutes: 20000 is outside 1..10080",
        ),
        ({"sparkify:jobs": '{"model": 6}'}, "sparkify:jobs.model: 6 must be a mapping"),
        (
            {"sparkify:jobs": "{model: 6"},
            "sparkify:jobs: '{model: 6' is not a valid JSON/YAML structure (Expecting property name "
            "enclosed in double quotes)",
        ),
        (
            {"sparkify:executionClass": "FLEX", "sparkify:workerType": "G.4X"},
            "sparkify:executionClass: FLEX runs only on G.1X or G.2X workers, not G.4X (sparkify:workerType)",
        ),
        (
            {"sparkify:executionClass": "FLEX", "sparkify:jobs": '{"model": {"workerType": "G.8X"}}'},
            "sparkify:executionClass: FLEX runs only on G.1X or G.2X workers, not G.8X "
            "(sparkify:jobs.model.workerType)",
        ),
    ],
)
def test_a_problem_names_the_key_and_the_value(change: dict[str, str], problem: str) -> None:
    assert _problems({**VALID, **change}) == [problem]


def test_an_empty_value_leaves_the_default() -> None:
    cfg = from_mapping({**VALID, "sparkify:alertEmail": "", "sparkify:jobTimeoutMinutes": ""}, "qa")
    assert (cfg.alert_email, cfg.jobs["stage"].timeout_minutes) == (None, 60)


@pytest.fixture
def created(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The type of every resource the program registers from here on."""
    types: list[str] = []
    original = RecordingMocks.new_resource

    def spy(self: RecordingMocks, args: pulumi.runtime.MockResourceArgs) -> tuple[str | None, dict[str, object]]:
        types.append(args.typ)
        return original(self, args)

    monkeypatch.setattr(RecordingMocks, "new_resource", spy)
    return types


def test_a_typo_in_the_stack_file_stops_pulumi_before_any_resource(created: list[str]) -> None:
    with pytest.raises(ConfigError) as caught:
        render("dev", {**stack_config("dev"), "sparkify:forceDestory": "true"})
    assert caught.value.problems == [
        "sparkify:forceDestory: unknown key (set to 'true'); did you mean sparkify:forceDestroy?"
    ]
    assert created == []


def test_keys_the_pulumi_cli_hands_over_in_its_environment_are_checked_too(
    monkeypatch: pytest.MonkeyPatch, created: list[str]
) -> None:
    """`pulumi up` passes the stack's config to the program as one JSON map in PULUMI_CONFIG."""
    monkeypatch.setenv("PULUMI_CONFIG", json.dumps({**stack_config("dev"), "sparkify:protectdata": "true"}))
    with pytest.raises(ConfigError) as caught:
        render("dev", {})
    assert caught.value.problems == [
        "sparkify:protectdata: unknown key (set to 'true'); did you mean sparkify:protectData?"
    ]
    assert created == []
