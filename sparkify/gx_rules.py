"""`expect_no_unexpected_rows`: GX's `unexpected_rows_expectation` that runs its query once.

GX's own SQL rule asks for two metrics, `unexpected_rows_query.table` (up to 200 of the rows) and
`unexpected_rows_query.row_count`, whatever the result format, and on Spark each is a query of its own:
a foreign-key anti-join over whole tables ran twice (a new day's songplays: 7 s of its 12 s
validation on this machine). This rule is the documented way to write one's own SQL rule, a subclass
of `UnexpectedRowsExpectation`, that asks for the count only and for the rows only under the
`COMPLETE` result format, the one that shows them. Same arguments, same verdict, same Data Docs text
(the renderers are inherited).

Imported by `sparkify.quality` before a suite is built; GX registers the rule by its class name.
"""

from __future__ import annotations

from typing import Any, ClassVar

from great_expectations.core.result_format import ResultFormat
from great_expectations.expectations.core.unexpected_rows_expectation import UnexpectedRowsExpectation
from great_expectations.validator.metric_configuration import MetricConfiguration

ROWS, COUNT = "unexpected_rows_query.table", "unexpected_rows_query.row_count"


class ExpectNoUnexpectedRows(UnexpectedRowsExpectation):
    """No row of `unexpected_rows_query` (over `{batch}`, and any table registered as a temp view)."""

    metric_dependencies: ClassVar[tuple[str, ...]] = (COUNT,)

    def get_validation_dependencies(self, execution_engine: Any = None, runtime_configuration: dict[str, Any] | None = None) -> Any:
        dependencies = super().get_validation_dependencies(execution_engine, runtime_configuration)
        if _result_format(self, runtime_configuration) == ResultFormat.COMPLETE:
            count = dependencies.get_metric_configuration(COUNT)
            assert count is not None  # set by the base class from `metric_dependencies`
            dependencies.set_metric_configuration(
                ROWS, MetricConfiguration(ROWS, count.metric_domain_kwargs, count.metric_value_kwargs)
            )
        return dependencies

    def _validate(
        self, metrics: dict[str, Any], runtime_configuration: dict[str, Any] | None = None, execution_engine: Any = None
    ) -> Any:
        # GX's verdict and result, which read the rows only under COMPLETE, the one format that asks for them.
        return super()._validate({ROWS: None, **metrics}, runtime_configuration, execution_engine)


def _result_format(expectation: UnexpectedRowsExpectation, runtime_configuration: dict[str, Any] | None) -> str:
    """The result format asked for (a name, or a dict holding it); `ResultFormat` compares equal to its name."""
    chosen = expectation._get_result_format(runtime_configuration=runtime_configuration)
    return chosen.get("result_format", ResultFormat.SUMMARY) if isinstance(chosen, dict) else chosen  # type: ignore[return-value]
