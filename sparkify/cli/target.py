"""Where a verb reads: a local lake or a deployed stack, by one rule, local first.

- `--lake DIR` is that lake, `--stack NAME` that stack; both at once is an error.
- Neither: `./lake` when it exists, else the lake `make run` made in the checkout when it exists, else
  the stack named by `$SPARKIFY_STACK`; with none of them, one line saying what to give.
- Verbs that only work a deployed stack (`upload`, `trigger`, `status`, `migrate-catalog`) take `--stack`
  or `$SPARKIFY_STACK`: no stack is ever assumed, so a laptop never reaches AWS by surprise.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from sparkify import layout, pipeline

STACK_ENV = "SPARKIFY_STACK"
CHECKOUT = pipeline.REPO_ROOT  # where `make run` writes its lake

RULE = (
    f"Without --lake or --stack: ./lake when it exists, else the lake `make run` made, else the stack in ${STACK_ENV}."
)
STACK_RULE = f"Pulumi stack of the deployment. Default: ${STACK_ENV}; one of the two is needed."


@dataclass(frozen=True)
class Local:
    lake: Path


@dataclass(frozen=True)
class Stack:
    name: str


class NoTarget(ValueError):
    """Neither a lake nor a stack was given, and none is there to default to."""


def default_lakes(checkout: Path | None = None) -> list[Path]:
    """Where a lake is looked for, in order: `./lake`, then the checkout's, which `make run` writes."""
    here = Path(layout.DEFAULT_LAKE)
    made = (checkout or CHECKOUT) / layout.DEFAULT_LAKE
    return [here] if here.resolve() == made.resolve() else [here, made]


def choose(
    lake: Path | None,
    stack: str | None,
    *,
    checkout: Path | None = None,
    env: Mapping[str, str] = os.environ,
) -> Local | Stack:
    """The lake or stack a verb that reads either works on (the module's rule)."""
    if lake is not None and stack is not None:
        raise NoTarget("give --lake DIR or --stack NAME, not both")
    if lake is not None:
        return Local(lake)
    if stack is not None:
        return Stack(stack)
    for candidate in default_lakes(checkout):
        if candidate.is_dir():
            return Local(candidate)
    if env.get(STACK_ENV):
        return Stack(env[STACK_ENV])
    raise NoTarget(
        f"no lake at ./{layout.DEFAULT_LAKE} and no stack given: run `make run` (or `sparkify run`) to make one, "
        f"or pass --lake DIR, or pass --stack NAME (or set {STACK_ENV})"
    )


def stack_only(stack: str | None, env: Mapping[str, str] = os.environ) -> str:
    """The stack a stack-only verb works on: `--stack`, else `$SPARKIFY_STACK`."""
    name = stack or env.get(STACK_ENV)
    if not name:
        raise NoTarget(f"which stack? pass --stack NAME (dev, prod, …) or set {STACK_ENV}")
    return name


LOCAL_RULE = "Default: ./lake when it exists, else the lake `make run` made."


def local_only(lake: Path | None, checkout: Path | None = None) -> Path:
    """The lake a local-only verb works on (`diff`, `runs`, `backfill`, `rollback`): `--lake`, else the
    first of `default_lakes` that exists, else `./lake` (for the verb to say it holds no lake)."""
    if lake is not None:
        return lake
    return next((candidate for candidate in default_lakes(checkout) if candidate.is_dir()), Path(layout.DEFAULT_LAKE))
