"""Great Expectations evaluates suite parameters with one parser shared by the whole process
(`great_expectations.core.suite_parameters.EXPR`): its stack of parsed tokens and pyparsing's one-time
guess of each parse action's arity are shared state. The validate job judges suites side by side in
threads, so two evaluations at once must not meet there. Seen as a failed run, `SuiteParameterParser.
push_first() missing 1 required positional argument: 'toks'`, on the first validation of a fresh process."""

from __future__ import annotations

import subprocess
import sys
import textwrap

# In a fresh interpreter (the arity guess happens once per process): four threads evaluate 150
# expressions each, every one with a value of its own, and count errors and wrong values.
EVALUATE_SIDE_BY_SIDE = textwrap.dedent(
    """
    import sys
    from concurrent.futures import ThreadPoolExecutor
    import sparkify.quality.gx_rules  # what the validate job loads with GX before it judges
    from great_expectations.core import suite_parameters

    def evaluate(thread):
        wrong = 0
        for n in range(150):
            value = suite_parameters.parse_suite_parameter(f"p{thread} * 2 + {n}", {f"p{thread}": thread})
            wrong += value != thread * 2 + n
        return wrong

    with ThreadPoolExecutor(4) as pool:
        print(sum(pool.map(evaluate, range(4))))
    """
)


def test_suite_parameters_evaluated_side_by_side_each_get_their_own_value():
    for _ in range(3):
        done = subprocess.run(
            [sys.executable, "-c", EVALUATE_SIDE_BY_SIDE], capture_output=True, text=True, timeout=300
        )
        assert done.returncode == 0, done.stderr[-2000:]
        assert done.stdout.strip() == "0", "wrong values from evaluations side by side"
