"""How fresh each source's data is, against how often it is published.

Freshness is judged on the data, not on when a file was copied: each source names the
newest date its loaded rows speak for (the latest Ofsted publication, the latest audit),
and a source is stale when that date is older than its publication cycle plus a margin.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import duckdb

from pipelines.lib.sql import qualified


@dataclass(frozen=True)
class FreshnessRule:
    """A source's publication cycle and the SQL giving the newest date its data covers."""

    source: str
    cadence: str
    max_age_days: int
    newest_sql: str
    tables: tuple[str, ...]


@dataclass(frozen=True)
class FreshnessResult:
    source: str
    cadence: str
    newest: dt.date | None
    age_days: int | None
    max_age_days: int
    stale: bool

    def describe(self) -> str:
        if self.newest is None:
            return f"no data loaded (published {self.cadence})"
        state = "stale" if self.stale else "fresh"
        return (
            f"{state}: newest data {self.newest.isoformat()} is {self.age_days} days old "
            f"(published {self.cadence}; stale after {self.max_age_days} days)"
        )


def _ees_newest(table: str) -> str:
    """End of the latest EES period in a raw statistics table (academic year to 31 August)."""
    return f"""
        select max(case
            when length(time_period) = 6 then make_date(cast(left(time_period, 4) as integer) + 1, 8, 31)
            when length(time_period) = 4 then make_date(cast(time_period as integer), 3, 31)
        end) from {qualified("raw", table)}"""


RULES: tuple[FreshnessRule, ...] = (
    FreshnessRule(
        source="ofsted",
        cadence="annually (inspection outcomes as at 31 March, published in the autumn)",
        max_age_days=365 + 183,
        newest_sql="""
            select max(d) from (
                select max(cast(publication_date as date)) as d from raw.ofsted_workbook_rows
                union all
                select max(cast(coalesce(publication_date, inspection_date) as date)) from raw.ofsted_history_judgements
                union all
                select max(cast(publication_date as date)) from raw.ofsted_judgement_records)""",
        tables=("ofsted_workbook_rows", "ofsted_history_judgements", "ofsted_judgement_records"),
    ),
    FreshnessRule(
        source="case_audits",
        cadence="monthly (the audit tool's export)",
        max_age_days=31 + 14,
        newest_sql="select max(cast(audit_date as date)) from raw.case_audit_rows",
        tables=("case_audit_rows",),
    ),
    *(
        FreshnessRule(
            source=source,
            cadence="annually (DfE statistics for an academic year, released the following spring or summer)",
            max_age_days=365 + 300,
            newest_sql=_ees_newest(f"{source}_values"),
            tables=(f"{source}_values",),
        )
        for source in ("school_absence", "school_exclusions")
    ),
    FreshnessRule(
        source="ssda903",
        cadence="annually (the SSDA903 return for the year to 31 March, submitted by the end of June)",
        max_age_days=365 + 120,
        newest_sql="select make_date(max(cast(collection_year as integer)), 3, 31) from raw.ssda903_episodes",
        tables=("ssda903_episodes",),
    ),
)


def _tables_exist(con: duckdb.DuckDBPyConnection, tables: tuple[str, ...]) -> bool:
    found = {r[0] for r in con.execute("select table_name from duckdb_tables() where schema_name = 'raw'").fetchall()}
    return set(tables) <= found


def evaluate(con: duckdb.DuckDBPyConnection, rule: FreshnessRule, today: dt.date) -> FreshnessResult:
    """Freshness of one source in the working warehouse on ``today``."""
    newest = con.execute(rule.newest_sql).fetchall()[0][0] if _tables_exist(con, rule.tables) else None
    if isinstance(newest, dt.datetime):
        newest = newest.date()
    age = (today - newest).days if newest else None
    return FreshnessResult(
        rule.source, rule.cadence, newest, age, rule.max_age_days, stale=age is not None and age > rule.max_age_days
    )


def rule_for(source: str) -> FreshnessRule:
    return next(r for r in RULES if r.source == source)
