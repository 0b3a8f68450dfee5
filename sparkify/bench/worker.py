"""One measured run in a fresh process: `python -m sparkify.bench.worker {ours,reference,floor} RAW OUT RESULT`.

The harness starts this module once per repeat, so interpreter start, imports and (for ours) Spark
start-up are part of every measurement, and the process's peak memory is its own. It writes a JSON
result to RESULT: ours = the run report of `sparkify.local.runner.run_pipeline`; reference = the dict of
`reference.run_reference`; floor = the steps of `floor.full_run`. The harness measures wall time and peak
memory from outside (`wait4`).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any


def run_ours(raw: Path, lake: Path) -> dict[str, Any]:
    from sparkify.local.runner import run_pipeline

    report = run_pipeline(raw, lake)
    _stop_spark()
    return report


def _stop_spark() -> None:
    """Stop Spark and wait for its JVM to exit, so the JVM's peak memory is counted as our child's."""
    from pyspark import SparkContext

    context = SparkContext._active_spark_context
    gateway = SparkContext._gateway
    if context is not None:
        context.stop()
    proc = getattr(gateway, "proc", None)
    if gateway is not None:
        gateway.shutdown()
    if proc is not None:
        if proc.stdin is not None:
            proc.stdin.close()  # the Python gateway server exits when its stdin closes
        try:
            proc.wait(timeout=60)
        except Exception:
            proc.kill()
            proc.wait()


def run_reference(raw: Path, out: Path) -> dict[str, Any]:
    from sparkify.bench.reference import run_reference as reference

    return reference(raw, out)


def run_floor(raw: Path, out: Path) -> dict[str, Any]:
    """Spark's floor (`sparkify.bench.floor`), with the JIT our run would choose for the same input."""
    from sparkify.bench.floor import full_run
    from sparkify.local import jit_choice
    from sparkify.local.session import local_session

    quick = jit_choice.choose(raw, out) == "quick"  # `out` holds no lake: every raw file counts as new
    steps = full_run(local_session(quick_jit=quick), raw, out)
    _stop_spark()
    return {"steps": steps}


RUNS = {"ours": run_ours, "reference": run_reference, "floor": run_floor}


def main(argv: list[str]) -> int:
    if len(argv) != 4 or argv[0] not in RUNS:
        print(f"usage: python -m sparkify.bench.worker {{{','.join(RUNS)}}} RAW OUT RESULT", file=sys.stderr)
        return 2
    kind, raw, out, result_file = argv[0], Path(argv[1]), Path(argv[2]), Path(argv[3])
    result = RUNS[kind](raw, out)
    result_file.write_text(json.dumps(result, indent=2, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
