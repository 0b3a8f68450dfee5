"""Small helpers shared by the transforms."""

from __future__ import annotations

from collections.abc import Iterable

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F


class MissingColumnsError(ValueError):
    """A transform was given a DataFrame without the columns it needs."""


def require_columns(df: DataFrame, columns: Iterable[str], transform: str) -> None:
    missing = sorted(set(columns) - set(df.columns))
    if missing:
        raise MissingColumnsError(
            f"{transform} needs columns {', '.join(missing)}; got {', '.join(df.columns) or 'none'}"
        )


def blank_to_null(col: str) -> Column:
    """Real Sparkify data writes unknown text as "" (artist_location, userId); the star schema says null."""
    return F.when(F.trim(F.col(col)) == "", F.lit(None)).otherwise(F.col(col))


def first_reason(*reasons: Column) -> Column:
    """The first rule a record breaks (each rule yields a reason string or null), null when it breaks none."""
    return F.coalesce(*reasons)
