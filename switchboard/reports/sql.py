"""Portable SQL pieces the reports need, compiled per dialect (SQLite and PostgreSQL).

Time arithmetic and day buckets differ between the two databases; everything else in
the reports is plain SQLAlchemy Core. Percentiles use window functions (nearest rank),
which both have, instead of PostgreSQL's percentile_cont, which SQLite lacks.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Float, String, case, func, select
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.sql.expression import FunctionElement
from sqlalchemy.sql.selectable import Subquery


class ms_between(FunctionElement[float]):
    """Milliseconds from `earlier` to `later` (two timestamp columns)."""

    type = Float()
    inherit_cache = True
    name = "ms_between"


@compiles(ms_between, "sqlite")
def _ms_sqlite(element: ms_between, compiler: Any, **kw: Any) -> str:
    later, earlier = list(element.clauses)
    return (
        f"((julianday({compiler.process(later, **kw)}) - "
        f"julianday({compiler.process(earlier, **kw)})) * 86400000.0)"
    )


@compiles(ms_between, "postgresql")
def _ms_postgres(element: ms_between, compiler: Any, **kw: Any) -> str:
    later, earlier = list(element.clauses)
    return (
        f"(EXTRACT(EPOCH FROM ({compiler.process(later, **kw)} - "
        f"{compiler.process(earlier, **kw)})) * 1000.0)"
    )


class utc_day(FunctionElement[str]):
    """The UTC calendar day of a timestamp as 'YYYY-MM-DD' text."""

    type = String()
    inherit_cache = True
    name = "utc_day"


@compiles(utc_day, "sqlite")
def _day_sqlite(element: utc_day, compiler: Any, **kw: Any) -> str:
    return f"date({compiler.process(next(iter(element.clauses)), **kw)})"


@compiles(utc_day, "postgresql")
def _day_postgres(element: utc_day, compiler: Any, **kw: Any) -> str:
    column = compiler.process(next(iter(element.clauses)), **kw)
    return f"to_char(({column}) AT TIME ZONE 'UTC', 'YYYY-MM-DD')"


def percentiles(values: Subquery, *percents: int, group: str | None = None) -> Any:
    """SELECT the nearest-rank percentiles of `values.c.v` (optionally per `group`
    column): the smallest value whose rank r satisfies r*100 >= p*n."""
    v = values.c.v
    partition = [values.c[group]] if group else None
    ranked = (
        select(
            *([values.c[group]] if group else []),
            v.label("v"),
            func.row_number().over(partition_by=partition, order_by=v).label("rn"),
            func.count().over(partition_by=partition).label("n"),
        )
        .where(v.is_not(None))
        .subquery()
    )
    columns: list[ColumnElement[Any]] = [
        func.min(case((ranked.c.rn * 100 >= p * ranked.c.n, ranked.c.v))).label(f"p{p}")
        for p in percents
    ]
    if group:
        return select(ranked.c[group], *columns).group_by(ranked.c[group])
    return select(*columns)
