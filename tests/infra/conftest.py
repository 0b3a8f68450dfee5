"""Fixtures of the infrastructure tests: every stack file of the repository rendered once per session with
Pulumi's own mocks (`infra/render.py`, the render `sparkify plan` shows), and a hardened variant."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from infra.render import (
    ACCOUNT,
    PROGRAM,
    PROJECT,
    REPO_ROOT,
    STACKS,
    Recorded,
    RecordingMocks,
    Rendered,
    render,
    stack_config,
)

# The render's names the tests import from here.
__all__ = [
    "ACCOUNT",
    "DATA_KEY_ARN",
    "HARDENED_OVERRIDES",
    "PROGRAM",
    "PROJECT",
    "REPO_ROOT",
    "STACKS",
    "Recorded",
    "RecordingMocks",
    "Rendered",
    "policy_of",
    "render",
    "stack_config",
]

_cache: dict[str, Rendered] = {}


@pytest.fixture(scope="session")
def rendered_stack() -> Callable[[str], Rendered]:
    """Render a stack of the repository once per test session."""

    def get(stack: str) -> Rendered:
        if stack not in _cache:
            _cache[stack] = render(stack, stack_config(stack))
        return _cache[stack]

    return get


@pytest.fixture(params=STACKS)
def stack(request: pytest.FixtureRequest, rendered_stack: Callable[[str], Rendered]) -> Iterator[Rendered]:
    """Every `Pulumi.<stack>.yaml` in the repository, rendered with its own config."""
    yield rendered_stack(request.param)


# A variant of dev with every optional security feature on: a KMS key of one's own for the data, and the
# Data Docs behind CloudFront restricted to one network.
DATA_KEY_ARN = f"arn:aws:kms:us-east-1:{ACCOUNT}:key/0b5e9c3a-1111-4222-8333-444455556666"
HARDENED_OVERRIDES = {
    "sparkify:kmsKeyArn": DATA_KEY_ARN,
    "sparkify:docsCloudFront": "true",
    "sparkify:docsAllowedCidrs": json.dumps(["203.0.113.0/24"]),
}


@pytest.fixture(scope="session")
def hardened() -> Rendered:
    key = "dev+hardened"
    if key not in _cache:
        _cache[key] = render("dev", {**stack_config("dev"), **HARDENED_OVERRIDES})
    return _cache[key]


def policy_of(rendered: Rendered, typ: str, name: str, field_name: str = "policy") -> dict[str, Any]:
    document: dict[str, Any] = json.loads(rendered.one(typ, name).inputs[field_name])
    return document
