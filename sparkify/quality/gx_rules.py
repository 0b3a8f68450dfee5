"""`expect_no_unexpected_rows`: GX's `unexpected_rows_expectation` that runs its query once.

GX's own SQL rule asks for two metrics, `unexpected_rows_query.table` (up to 200 of the rows) and
`unexpected_rows_query.row_count`, whatever the result format, and on Spark each is a query of its own:
a foreign-key anti-join over whole tables ran twice (a new day's songplays: 7 s of its 12 s
validation on this machine). This rule is the documented way to write one's own SQL rule, a subclass
of `UnexpectedRowsExpectation`, that asks for the count only and for the rows only under the
`COMPLETE` result format, the one that shows them. Same arguments, same verdict, same Data Docs text
(the renderers are inherited).

On Spark its metrics register the batch under a view name of their own: GX's query metrics all use
the fixed name `tmp_view`, so two validations at once in one session would read each other's batch
(`sparkify.quality.validation` runs suites side by side).

Suite parameters take turns (`_one_evaluation_at_a_time`): GX evaluates every `$PARAMETER` with one
parser per process, whose stack of tokens and pyparsing's first-call guess of each parse action's
arity are shared, so two suites judged side by side could fail (`push_first() missing 1 required
positional argument`) or swap values.

Imported by `sparkify.quality.validation` before a suite is built; GX registers the rule by its class name.
"""

from __future__ import annotations

import functools
import itertools
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, ClassVar

from great_expectations.constants import MAX_RESULT_RECORDS
from great_expectations.core.metric_domain_types import MetricDomainTypes
from great_expectations.core.result_format import ResultFormat
from great_expectations.execution_engine.sparkdf_execution_engine import SparkDFExecutionEngine
from great_expectations.expectations.core.unexpected_rows_expectation import UnexpectedRowsExpectation
from great_expectations.expectations.metrics.metric_provider import metric_value
from great_expectations.expectations.metrics.query_metrics.query_row_count.unexpected_rows_query_row_count import (
    UnexpectedRowsQueryRowCount,
)
from great_expectations.expectations.metrics.query_metrics.query_table.unexpected_rows_query_table import (
    UnexpectedRowsQueryTable,
)
from great_expectations.validator.metric_configuration import MetricConfiguration

# GX's metric names, which its rule reads, and ours, which compute the same values.
ROWS, COUNT = "unexpected_rows_query.table", "unexpected_rows_query.row_count"
OWN_ROWS, OWN_COUNT = f"sparkify.{ROWS}", f"sparkify.{COUNT}"

_views = itertools.count()


@contextmanager
def _query_on_batch(
    cls: Any, execution_engine: SparkDFExecutionEngine, domain: dict[str, Any], values: dict[str, Any]
) -> Iterator[Any]:
    """The rule's query with `{batch}` as a temp view of this batch alone, dropped afterwards."""
    df, _, _ = execution_engine.get_compute_domain(domain, domain_type=MetricDomainTypes.TABLE)
    view = f"_sparkify_batch_{next(_views)}"
    df.createOrReplaceTempView(view)
    try:
        yield df.sparkSession.sql(cls._format_query(cls._get_query_from_metric_value_kwargs(values), batch=view))
    finally:
        df.sparkSession.catalog.dropTempView(view)


class RowsQueryRowCount(UnexpectedRowsQueryRowCount):
    """`unexpected_rows_query.row_count`, with the batch under a view name of its own on Spark."""

    metric_name = OWN_COUNT

    @metric_value(engine=SparkDFExecutionEngine)
    def _spark(
        cls,
        execution_engine: SparkDFExecutionEngine,
        metric_domain_kwargs: dict[str, Any],
        metric_value_kwargs: dict[str, Any],
        metrics: dict[str, Any],
        runtime_configuration: dict[str, Any],
    ) -> int:
        with _query_on_batch(cls, execution_engine, metric_domain_kwargs, metric_value_kwargs) as rows:
            return int(rows.count())


class RowsQueryTable(UnexpectedRowsQueryTable):
    """`unexpected_rows_query.table` (at most GX's 200 rows), with the batch under a view name of its own."""

    metric_name = OWN_ROWS

    @metric_value(engine=SparkDFExecutionEngine)
    def _spark(
        cls,
        execution_engine: SparkDFExecutionEngine,
        metric_domain_kwargs: dict[str, Any],
        metric_value_kwargs: dict[str, Any],
        metrics: dict[str, Any],
        runtime_configuration: dict[str, Any],
    ) -> list[dict[str, Any]]:
        with _query_on_batch(cls, execution_engine, metric_domain_kwargs, metric_value_kwargs) as rows:
            return [row.asDict() for row in rows.limit(MAX_RESULT_RECORDS).collect()]


class ExpectNoUnexpectedRows(UnexpectedRowsExpectation):
    """No row of `unexpected_rows_query` (over `{batch}`, and any table registered as a temp view)."""

    metric_dependencies: ClassVar[tuple[str, ...]] = (OWN_COUNT,)

    def get_validation_dependencies(
        self, execution_engine: Any = None, runtime_configuration: dict[str, Any] | None = None
    ) -> Any:
        dependencies = super().get_validation_dependencies(execution_engine, runtime_configuration)
        if _result_format(self, runtime_configuration) == ResultFormat.COMPLETE:
            count = dependencies.get_metric_configuration(OWN_COUNT)
            assert count is not None  # set by the base class from `metric_dependencies`
            dependencies.set_metric_configuration(
                OWN_ROWS, MetricConfiguration(OWN_ROWS, count.metric_domain_kwargs, count.metric_value_kwargs)
            )
        return dependencies

    def _validate(
        self, metrics: dict[str, Any], runtime_configuration: dict[str, Any] | None = None, execution_engine: Any = None
    ) -> Any:
        # GX's verdict and result, which read the rows only under COMPLETE, the one format that asks for them.
        gx_metrics = {ROWS: metrics.get(OWN_ROWS), COUNT: metrics[OWN_COUNT]}
        return super()._validate(gx_metrics, runtime_configuration, execution_engine)


def _result_format(expectation: UnexpectedRowsExpectation, runtime_configuration: dict[str, Any] | None) -> str:
    """The result format asked for (a name, or a dict holding it); `ResultFormat` compares equal to its name."""
    chosen = expectation._get_result_format(runtime_configuration=runtime_configuration)
    return chosen.get("result_format", ResultFormat.SUMMARY) if isinstance(chosen, dict) else chosen  # type: ignore[return-value]


def _one_evaluation_at_a_time() -> None:
    """Serialise GX's suite-parameter evaluation: it is called by name from its two modules."""
    from great_expectations.core import suite_parameters, validation_definition

    evaluate = suite_parameters.parse_suite_parameter
    if getattr(evaluate, "one_at_a_time", False):
        return
    turn = threading.Lock()

    @functools.wraps(evaluate)
    def in_turn(*args: Any, **kwargs: Any) -> Any:
        with turn:
            return evaluate(*args, **kwargs)

    in_turn.one_at_a_time = True  # type: ignore[attr-defined]
    suite_parameters.parse_suite_parameter = in_turn
    validation_definition.parse_suite_parameter = in_turn  # type: ignore[attr-defined]


_one_evaluation_at_a_time()
