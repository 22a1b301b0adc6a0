"""The floor for this design: the refresh's loads and model SQL done by a bare script straight in DuckDB.

``python -m pipelines.bench.baseline --raw LANDING --out FOLDER --compiled MANIFEST``

No Dagster, no dbt, no Great Expectations, no data tests. What it does is what a full refresh does to
produce the published file, in DuckDB:

1. the large CSV sources (SSDA903 returns, case-file audits) are read by DuckDB natively and typed and
   checked by SQL (:mod:`pipelines.bench.floor`: ``read_csv`` with declared text columns, one call per
   layout; dates, code lists, duplicates and the quarantine rows with reasons; one HMAC per distinct child),
   giving the raw tables the pipeline's parsers give; the SSDA903 rules across tables are the pipeline's SQL
   (:func:`pipelines.lib.sources.ssda903.apply_cross_table_rules`);
2. the school statistics are landed and checked by their SQL rules the same way (areas and periods resolved
   per distinct value in Python, as in the refresh); the other sources (Ofsted, the published scorecards, the
   reference lists), whose readers are still Python, are loaded with the project's loaders;
3. the dbt seeds are read with DuckDB's CSV reader, with the column types the project declares;
4. every dbt model's SQL, as dbt compiled it (``MANIFEST``, from ``dbt compile`` beforehand: compiling is
   set-up, not refresh), is run in dependency order as the view or table dbt would make of it;
5. the case-audit actions kept out by the cross-file rules are recorded;
6. the committee report and the benchmarks workbook are written with the same functions;
7. the marts and quality schemas are published with the same function
   (:func:`pipelines.lib.outputs.publish.publish_warehouse`).

What it leaves out is what the orchestration, the checks and the project's general readers cost: Dagster's
run, step and event machinery, dbt's process, parsing and per-node work, the dbt tests, the GX suites,
asset metadata, the dbt docs (dbt's own product), and the Python parsing of the SSDA903 and case-audit files.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import shutil
import sys
import time
import uuid
from pathlib import Path

import duckdb

from pipelines.lib.config import DB_FILE_NAME, DBT_PROJECT_DIR, WORK_MEMORY_LIMIT


def load_sources(
    con: duckdb.DuckDBPyConnection,
    raw: Path,
    home_la: str,
    key: str,
    run_id: str,
    seconds: dict[str, float] | None = None,
) -> dict[str, int]:
    """Every source's ingest: SSDA903, case audits and school statistics by the project's SQL rules, written
    straight to raw (:mod:`pipelines.bench.floor`); reference lists, Ofsted and scorecards (for now) as their
    Dagster ingest assets load them. Returns rows loaded per source (and fills ``seconds`` per source)."""
    from pipelines.bench import floor
    from pipelines.lib.ingest.load import discover_files, ensure_quality_schema
    from pipelines.lib.reference.school_areas import load_area_reference
    from pipelines.lib.sources import case_audits, school_statistics, ssda903

    seconds = {} if seconds is None else seconds
    start = time.perf_counter()
    areas = load_area_reference(raw / "reference")  # from the files, read once for Ofsted and the statistics
    rows = _load_python_sources(con, raw, run_id, areas)
    seconds["reference_ofsted_scorecards"] = time.perf_counter() - start
    ensure_quality_schema(con)
    mark = time.perf_counter()
    for source in school_statistics.SOURCES:
        rows[source] = floor.load_school_statistics(con, source, areas, run_id, discover_files(raw / source))
    seconds["school_statistics"] = time.perf_counter() - mark
    mark = time.perf_counter()
    rows[case_audits.SOURCE] = floor.load_case_audits(
        con, home_la, key, run_id, discover_files(raw / case_audits.SOURCE)
    )
    seconds["case_audits"] = time.perf_counter() - mark
    mark = time.perf_counter()
    rows[ssda903.SOURCE] = floor.load_ssda903(
        con, raw / ssda903.SOURCE, home_la, key, run_id, discover_files(raw / ssda903.SOURCE)
    )
    seconds["ssda903"] = time.perf_counter() - mark
    return rows


def _load_python_sources(con: duckdb.DuckDBPyConnection, raw: Path, run_id: str, areas) -> dict[str, int]:
    """Reference lists, Ofsted and adoption scorecards, loaded as their ingest assets load them (their readers
    are Python still); returns rows loaded per source."""
    from pipelines.lib.ingest.load import load_source
    from pipelines.lib.reference import lists as reference
    from pipelines.lib.reference.areas import load_la_lookup
    from pipelines.lib.sources import ofsted
    from pipelines.lib.sources.adoption_scorecards import SOURCE as SCORECARDS
    from pipelines.lib.sources.adoption_scorecards import TABLES as SCORECARD_TABLES
    from pipelines.lib.sources.adoption_scorecards import parse_scorecard_file

    rows: dict[str, int] = {}
    result = load_source(
        con,
        source="reference",
        folder=raw / "reference",
        tables=reference.REFERENCE_TABLES,
        parser=reference.parse_reference_file,
        run_id=run_id,
    )
    rows["reference"] = result.rows_loaded
    lookup = load_la_lookup(raw / "reference")
    result = load_source(
        con,
        source="ofsted",
        folder=raw / "ofsted",
        tables=ofsted.TABLES,
        parser=lambda path: ofsted.parse_ofsted_file(path, areas),
        run_id=run_id,
    )
    rows["ofsted"] = result.rows_loaded
    result = load_source(
        con,
        source=SCORECARDS,
        folder=raw / "adoption_scorecards",
        tables=SCORECARD_TABLES,
        parser=lambda path: parse_scorecard_file(path, lookup),
        run_id=run_id,
    )
    rows[SCORECARDS] = result.rows_loaded
    return rows


def _ordered(nodes: dict, kinds: tuple[str, ...]) -> list[dict]:
    """The manifest's nodes of these resource types, every node after the nodes it depends on."""
    wanted = {uid: n for uid, n in nodes.items() if n["resource_type"] in kinds}
    done: set[str] = set()
    order: list[dict] = []

    def visit(uid: str) -> None:
        if uid in done or uid not in wanted:
            return
        done.add(uid)
        for dep in wanted[uid].get("depends_on", {}).get("nodes", []):
            visit(dep)
        order.append(wanted[uid])

    for uid in sorted(wanted):
        visit(uid)
    return order


def _schema_of(relation_name: str) -> str:
    return relation_name.split(".")[1]


def build_models(con: duckdb.DuckDBPyConnection, manifest_path: Path) -> int:
    """The seeds, then every model's compiled SQL in dependency order; returns the number of models built."""
    manifest = json.loads(manifest_path.read_text())
    built = 0
    schemas: set[str] = set()
    for node in _ordered(manifest["nodes"], ("seed", "model")):
        materialized = node["config"]["materialized"]
        if materialized == "ephemeral":
            continue  # inlined by dbt into the SQL of the models that use it
        relation = node["relation_name"]
        schema = _schema_of(relation)
        if schema not in schemas:
            con.execute(f"create schema if not exists {schema}")
            schemas.add(schema)
        if node["resource_type"] == "seed":
            path = DBT_PROJECT_DIR / node["original_file_path"]
            types = node["config"]["column_types"]
            columns = ", ".join(f"'{c}': '{t}'" for c, t in types.items())
            con.execute(
                f"create or replace table {relation} as select * from "
                f"read_csv('{path}', header = true, columns = {{{columns}}})"
            )
            continue
        kind = "view" if materialized == "view" else "table"
        con.execute(f"create or replace {kind} {relation} as (\n{node['compiled_code']}\n)")
        built += 1
    return built


def run_dbt(command: str, target: Path, work_db: Path) -> None:
    """``dbt <command>`` of the project (set-up work: parse, compile) for the working database ``work_db``,
    its artifacts in ``target``."""
    import os
    import subprocess

    env = {**os.environ, "CSW_WORK_DB": str(work_db), "DBT_SEND_ANONYMOUS_USAGE_STATS": "false"}
    subprocess.run(
        [
            str(Path(sys.executable).parent / "dbt"),
            command,
            "--quiet",
            "--profiles-dir",
            ".",
            "--target-path",
            str(target),
        ],
        cwd=DBT_PROJECT_DIR,
        env=env,
        check=True,
        stdout=subprocess.DEVNULL,
    )


def compile_project(target: Path, work_db: Path) -> Path:
    """``dbt compile`` into ``target`` (set-up: it needs no data); returns the manifest with compiled SQL."""
    work_db.parent.mkdir(parents=True, exist_ok=True)
    run_dbt("compile", target, work_db)
    work_db.unlink(missing_ok=True)
    return target / "manifest.json"


def run_baseline(raw: Path, out: Path, manifest: Path, home_la: str = "865", key: str | None = None) -> dict:
    """Load, build and publish into ``out`` (wiped first); returns timings and counts."""
    import gc

    from pipelines.lib.ingest.pseudonymise import DEVELOPMENT_KEY
    from pipelines.lib.outputs.committee_report import write_report
    from pipelines.lib.outputs.excel_export import export_benchmarks
    from pipelines.lib.outputs.publish import publish_warehouse
    from pipelines.lib.sources import (
        case_audits,  # noqa: F401
    )
    from pipelines.lib.sources.case_audits import record_cross_file_rejections

    gc.collect()
    gc.freeze()  # as the refresh does with its imports (a plain script has far fewer)
    shutil.rmtree(out, ignore_errors=True)
    work_db = out / "work" / DB_FILE_NAME
    work_db.parent.mkdir(parents=True)
    run_id = str(uuid.uuid4())
    timings: dict = {}
    load_seconds: dict[str, float] = {}
    start = time.perf_counter()
    con = duckdb.connect(str(work_db), config={"memory_limit": WORK_MEMORY_LIMIT})  # as the refresh's
    try:
        rows = load_sources(con, raw, home_la, key or DEVELOPMENT_KEY, run_id, load_seconds)
        timings["load_s"] = time.perf_counter() - start
        models = build_models(con, manifest)
        record_cross_file_rejections(con, run_id, dt.datetime.now())
        timings["models_s"] = time.perf_counter() - start - timings["load_s"]
    finally:
        con.close()
    mark = time.perf_counter()
    # the same reports as the refresh's (its dbt docs are dbt's: not part of a plain script)
    write_report(work_db, home_la, out / "reports", dt.datetime.now())
    export_benchmarks(work_db, home_la, out / "reports", dt.datetime.now())
    timings["reports_s"] = time.perf_counter() - mark
    mark = time.perf_counter()
    publish_warehouse(work_db, out / DB_FILE_NAME)
    timings["publish_s"] = time.perf_counter() - mark
    timings["total_s"] = time.perf_counter() - start
    timings["load_by_source_s"] = {k: round(v, 2) for k, v in load_seconds.items()}
    return {"timings": timings, "rows": rows, "models": models}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="pipelines.bench.baseline", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--raw", type=Path, required=True, help="the landing folder")
    parser.add_argument("--out", type=Path, required=True, help="a scratch folder (wiped)")
    parser.add_argument("--compiled", type=Path, required=True, help="manifest.json of `dbt compile`")
    parser.add_argument("--home-la", default="865")
    parser.add_argument("--key", default=None, help="pseudonymisation key (default: the development key)")
    args = parser.parse_args(argv)
    result = run_baseline(args.raw.resolve(), args.out.resolve(), args.compiled.resolve(), args.home_la, args.key)
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
