"""The value types of a stack's configuration: each one checks a single value as the Pulumi CLI hands it
over (text; structures as JSON text) and says what is wrong with it, naming the value. `infra/config.py`
puts the key in front of each message and checks the rules between keys.
"""

from __future__ import annotations

import difflib
import ipaddress
import json
import re
from collections.abc import Callable, Iterable
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BeforeValidator

from sparkify import pipeline
from sparkify.glue_pricing import WORKER_DPU
from sparkify.job_args import TABLE_UPKEEP_CHOICES

# Flex runs only on these worker types (Glue 3.0+): https://docs.aws.amazon.com/glue/latest/dg/add-job.html
FLEX_WORKER_TYPES = ("G.1X", "G.2X")
EXECUTION_CLASSES = ("STANDARD", "FLEX")
ExecutionClass = Literal["STANDARD", "FLEX"]

# Glue versions this program knows the runtime of (infra/wheels.py); 5.1 is the one the project locks for.
GLUE_VERSIONS = ("5.1", "6.0")

# CloudWatch Logs accepts only these retention periods (days).
# https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_PutRetentionPolicy.html
LOG_RETENTION_DAYS = (
    1,
    3,
    5,
    7,
    14,
    30,
    60,
    90,
    120,
    150,
    180,
    365,
    400,
    545,
    731,
    1096,
    1827,
    2192,
    2557,
    2922,
    3288,
    3653,
)

# Glue job timeouts are whole minutes, at most 7 days for batch jobs.
MAX_TIMEOUT_MINUTES = 10080
MAX_RETRIES = 10


# ---------------------------------------------------------------------------------------------------------
# Glue cron expressions: cron(Minutes Hours Day-of-month Month Day-of-week Year)
# https://docs.aws.amazon.com/glue/latest/dg/monitor-data-warehouse-schedule.html

_MONTHS = {
    m: i
    for i, m in enumerate(["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"], start=1)
}
_DAYS = {d: i for i, d in enumerate(["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"], start=1)}
_CRON_FIELDS: tuple[tuple[str, int, int, dict[str, int]], ...] = (
    ("minutes", 0, 59, {}),
    ("hours", 0, 23, {}),
    ("day-of-month", 1, 31, {}),
    ("month", 1, 12, _MONTHS),
    ("day-of-week", 1, 7, _DAYS),
    ("year", 1970, 2199, {}),
)


def _cron_value(text: str, low: int, high: int, names: dict[str, int]) -> int:
    value = names.get(text.upper()) if text.upper() in names else int(text) if text.isdigit() else None
    if value is None or not low <= value <= high:
        raise ValueError(f"{text!r} is not in {low}-{high}")
    return value


def _check_cron_field(text: str, name: str, low: int, high: int, names: dict[str, int]) -> None:
    for part in text.split(","):
        if part == "*":
            continue
        if name == "day-of-month" and part in ("L", "LW"):
            continue
        if name == "day-of-month" and re.fullmatch(r"\d{1,2}W", part):
            _cron_value(part.rstrip("W"), low, high, names)
            continue
        if name == "day-of-week" and (re.fullmatch(r"\w{1,3}L", part) or re.fullmatch(r"\w{1,3}#[1-5]", part)):
            _cron_value(re.split(r"[L#]", part)[0], low, high, names)
            continue
        base, _, step = part.partition("/")
        if step and not (step.isdigit() and int(step) > 0):
            raise ValueError(f"step {step!r} is not a positive number")
        if base == "*" and step:
            continue
        first, _, last = base.partition("-")
        start = _cron_value(first, low, high, names)
        if last and _cron_value(last, low, high, names) < start and name not in ("day-of-week", "month"):
            raise ValueError(f"range {base!r} runs backwards")


def validate_cron(expression: str) -> None:
    """Raise ValueError saying what is wrong when `expression` is not a Glue cron expression."""
    match = re.fullmatch(r"cron\((.*)\)", expression.strip())
    if not match:
        raise ValueError("must look like cron(Minutes Hours Day-of-month Month Day-of-week Year)")
    fields = match.group(1).split()
    if len(fields) != 6:
        raise ValueError(f"has {len(fields)} fields inside cron(...), Glue needs 6")
    day_of_month, day_of_week = fields[2], fields[4]
    if (day_of_month == "?") == (day_of_week == "?"):
        raise ValueError("exactly one of day-of-month and day-of-week must be '?'")
    for text, (name, low, high, names) in zip(fields, _CRON_FIELDS, strict=True):
        if text == "?":
            if name not in ("day-of-month", "day-of-week"):
                raise ValueError(f"'?' is only allowed in day-of-month or day-of-week, not {name}")
            continue
        try:
            _check_cron_field(text, name, low, high, names)
        except ValueError as exc:
            raise ValueError(f"{name} field {text!r}: {exc}") from None


# ---------------------------------------------------------------------------------------------------------
# Values: everything arrives as text (that is how the Pulumi CLI hands config to a program), structures as
# JSON text. Each validator's message names the value; `_problems` puts the key in front of it.


def _flag(value: object) -> object:
    # `true` or `false` in any case; pydantic alone would also take yes, on and 1.
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    raise ValueError(f"{value!r} is not true or false")


def _whole_number(value: object) -> int:
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str) and re.fullmatch(r"-?\d+", value.strip()):
        return int(value)
    raise ValueError(f"{value!r} is not a whole number")


def within(low: int, high: int) -> Callable[[object], int]:
    def check(value: object) -> int:
        number = _whole_number(value)
        if not low <= number <= high:
            raise ValueError(f"{number} is outside {low}..{high}")
        return number

    return check


def _one_of(choices: Iterable[Any], says: str = "must be one of") -> Callable[[object], object]:
    allowed = tuple(choices)

    def check(value: object) -> object:
        number = _whole_number(value) if allowed and isinstance(allowed[0], int) else value
        if number not in allowed:
            raise ValueError(f"{number!r} {says} {', '.join(map(str, allowed))}")
        return number

    return check


def _matching(pattern: str, says: str) -> Callable[[object], str]:
    def check(value: object) -> str:
        if not isinstance(value, str) or not re.fullmatch(pattern, value):
            raise ValueError(f"{value!r} {says}")
        return value

    return check


def _schedule(value: object) -> str:
    if not isinstance(value, str):
        raise ValueError(f"{value!r} is not a Glue cron expression")
    try:
        validate_cron(value)
    except ValueError as exc:
        raise ValueError(f"{value!r} {exc}") from None
    return value


def structure(value: object) -> object:
    # Structured values (`sparkify:jobs`, `sparkify:docsAllowedCidrs`) arrive as JSON text.
    if not isinstance(value, str):
        return value
    try:
        return json.loads(value)
    except json.JSONDecodeError as exc:
        raise ValueError(f"{value!r} is not a valid JSON/YAML structure ({exc.msg})") from None


def _cidrs(value: object) -> tuple[str, ...]:
    blocks = structure(value)
    if not isinstance(blocks, list):
        raise ValueError(f"{blocks!r} must be a list of CIDR blocks")
    networks: list[str] = []
    for block in blocks:
        try:
            network = ipaddress.ip_network(str(block))
        except ValueError:
            raise ValueError(f"{block!r} is not a CIDR block such as 203.0.113.0/24") from None
        if network.version != 4:
            raise ValueError(f"{block!r}: only IPv4 blocks are supported")
        networks.append(str(network))
    return tuple(networks)


JOB_STEPS = tuple(s.name for s in pipeline.job_steps())


def _job_step(name: str) -> str:
    if name not in JOB_STEPS:
        close = difflib.get_close_matches(name, JOB_STEPS, n=1)
        hint = f"did you mean {close[0]}?" if close else f"job steps are {', '.join(JOB_STEPS)}"
        raise ValueError(f"no job step named {name!r}; {hint}")
    return name


Flag = Annotated[bool, BeforeValidator(_flag)]
Region = Annotated[
    str, BeforeValidator(_matching(r"[a-z]{2}(-[a-z]+)+-\d", "is not an AWS region name such as us-east-1"))
]
Schedule = Annotated[str, BeforeValidator(_schedule)]
WorkerType = Annotated[str, BeforeValidator(_one_of(WORKER_DPU, "is not a Glue 5.1 Spark worker type; use one of"))]
Workers = Annotated[int, BeforeValidator(within(2, 1000))]
TimeoutMinutes = Annotated[int, BeforeValidator(within(1, MAX_TIMEOUT_MINUTES))]
Retries = Annotated[int, BeforeValidator(within(0, MAX_RETRIES))]
Execution = Annotated[ExecutionClass, BeforeValidator(_one_of(EXECUTION_CLASSES))]
JobStep = Annotated[str, AfterValidator(_job_step)]
KmsKeyArn = Annotated[
    str,
    BeforeValidator(
        _matching(
            r"arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:key/[0-9a-f-]{36}",
            "is not a KMS key ARN (arn:aws:kms:<region>:<account>:key/<id>)",
        )
    ),
]
Email = Annotated[str, BeforeValidator(_matching(r"[^@\s]+@[^@\s]+\.[^@\s]+", "is not an email address"))]
Cidrs = Annotated[tuple[str, ...], BeforeValidator(_cidrs)]
Days = Annotated[int, BeforeValidator(within(1, 3650))]
LogRetention = Annotated[
    int, BeforeValidator(_one_of(LOG_RETENTION_DAYS, "is not a CloudWatch Logs retention; use one of"))
]
# AWS tag values: up to 256 Unicode letters, digits, spaces and _ . : / = + - @
TagValue = Annotated[str, BeforeValidator(_matching(r"[\w .:/=+\-@]{1,256}", "is not a valid AWS tag value"))]
GlueVersion = Annotated[str, BeforeValidator(_one_of(GLUE_VERSIONS))]
TableUpkeep = Annotated[str, BeforeValidator(_one_of(TABLE_UPKEEP_CHOICES))]
