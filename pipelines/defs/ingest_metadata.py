"""Asset metadata for an ingest step: what a person wants to see in the Dagster UI."""

import dagster as dg

from pipelines.lib.ingest.load import SourceResult


def source_metadata(result: SourceResult, table: str, con) -> dict:
    """Row counts, per-file outcomes and a preview of one raw table."""
    rows = con.execute(f'select count(*) from raw."{table}"').fetchall()[0][0]
    files = [f for f in result.files if table in (f.table_name or "") or f.status != "loaded"]
    lines = [
        f"| {f.file_path.rsplit('/', 1)[-1]} | {f.status} | {f.rows_read} | {f.rows_loaded} | {f.rows_rejected} | "
        f"{(f.reason or '').replace('|', '/')} |"
        for f in files
    ]
    table_md = "| file | status | read | loaded | rejected | reason |\n|---|---|---|---|---|---|\n" + "\n".join(lines)
    preview = con.execute(f'select * exclude (_run_id) from raw."{table}" limit 5').df()
    return {
        "dagster/row_count": rows,
        "files_loaded": result.count("loaded"),
        "files_unchanged": result.count("unchanged"),
        "files_rejected": result.count("rejected"),
        "files_removed": len(result.removed_files),
        "rows_rejected_this_run": result.rows_rejected,
        "files": dg.MetadataValue.md(table_md if lines else "no files in the landing folder"),
        "preview": dg.MetadataValue.md(preview.to_markdown(index=False) if len(preview) else "empty"),
    }
