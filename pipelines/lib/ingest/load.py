"""The load machinery every source shares.

One call of :func:`load_source` mirrors a landing sub-folder into the working
DuckDB: each file is hashed; an unchanged file is logged ``unchanged`` and not
read again; a new or changed file is parsed by the source's parser into raw
tables of text (every row keeps its file and row number), its quarantined rows
go to ``quality.rejected_rows`` and one ``quality.load_log`` row says what
happened. A file that cannot be used is ``rejected`` with the reason, and the
other files still load. Rows of files that have left the folder are removed.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pandas as pd

from pipelines.lib.ingest import batch as ingest_batch
from pipelines.lib.ingest.batch import MAX_CELL_CHARACTERS, BatchParser
from pipelines.lib.ingest.readers import UnreadableFile
from pipelines.lib.ingest.rules import ParsedTable, Rejection, StagedRelation
from pipelines.lib.sql import quote_identifier as quote_ident

SKIPPED_NAMES = (".", "~$")
RAW_META_COLUMNS = ("_file_path", "_sheet", "_row_number", "_run_id")


class FileRejected(Exception):
    """The whole file cannot be used; the message says why, in words a person can act on."""


@dataclass(frozen=True)
class RawTable:
    """A raw table: text columns as parsed, plus the provenance columns."""

    name: str
    columns: tuple[str, ...]


@dataclass
class FileOutcome:
    """What happened to one file in one refresh (one ``quality.load_log`` row)."""

    file_path: str
    sha256: str
    status: str
    table_name: str | None = None
    rows_read: int = 0
    rows_loaded: int = 0
    rows_rejected: int = 0
    reason: str | None = None
    cells_quarantined: int = 0
    """Entries this file has in ``quality.rejected_rows``: quarantined rows and cells (a row whose other
    cells loaded counts here, not in ``rows_rejected``)."""


@dataclass
class SourceResult:
    """Outcomes of one source's load, for asset metadata and the run summary."""

    source: str
    files: list[FileOutcome] = field(default_factory=list)
    removed_files: list[str] = field(default_factory=list)

    def count(self, status: str) -> int:
        return sum(1 for f in self.files if f.status == status)

    @property
    def rows_loaded(self) -> int:
        return sum(f.rows_loaded for f in self.files)

    @property
    def rows_rejected(self) -> int:
        return sum(f.rows_rejected for f in self.files)

    @property
    def changed(self) -> bool:
        return bool(self.removed_files) or any(f.status != "unchanged" for f in self.files)


Parser = Callable[[Path], list[ParsedTable]]
Companions = Callable[[Path], list[Path]]

QUALITY_DDL = (
    "create schema if not exists quality",
    "create schema if not exists raw",
    """create table if not exists quality.load_log (
        run_id varchar, file_path varchar, sha256 varchar, source varchar, table_name varchar,
        status varchar, rows_read integer, rows_loaded integer, rows_rejected integer,
        reason varchar, loaded_at timestamp, cells_quarantined integer)""",
    "alter table quality.load_log add column if not exists cells_quarantined integer",
    """create table if not exists quality.rejected_rows (
        file_path varchar, row_number integer, column_name varchar, value varchar, reason varchar,
        rejected_at timestamp, source varchar, table_name varchar, run_id varchar)""",
    """create table if not exists quality.check_results (
        run_id varchar, checked_at timestamp, asset varchar, check_name varchar, passed boolean,
        severity varchar, details varchar)""",
    """create table if not exists quality.file_state (
        source varchar, file_path varchar, sha256 varchar, status varchar, reason varchar,
        loaded_at timestamp, primary key (source, file_path))""",
)


@dataclass(frozen=True)
class Batching:
    """How a batch parser's files are parsed: in chunks of whole groups (``group(path)``: the files a rule joins,
    or that are best read together, such as an LA's SSDA903 returns), each chunk at most ``max_bytes`` of files
    (a group larger than that is a chunk of its own). Every step of a batch parser holds its whole batch, in
    DuckDB's memory and spilled beyond it: chunks keep that bounded, so the cost grows with the files, not
    faster (SSDA903 at national scale: docs/performance.md). ``progress`` is told of each chunk."""

    group: Callable[[Path], str] | None = None
    max_bytes: int = 64 * 2**20
    progress: Callable[[str], None] | None = None


def batch_chunks(paths: Iterable[str], batching: Batching) -> list[list[str]]:
    """``paths`` (in their order) in chunks of whole groups of at most ``batching.max_bytes``."""
    groups: dict[str, list[str]] = {}
    for path in paths:
        groups.setdefault(batching.group(Path(path)) if batching.group else "", []).append(path)
    chunks: list[list[str]] = []
    size = 0
    for members in groups.values():
        group_size = sum(Path(p).stat().st_size for p in members)
        if chunks and batching.group and size + group_size <= batching.max_bytes:
            chunks[-1].extend(members)
            size += group_size
        else:
            chunks.append(list(members))
            size = group_size
    return chunks


def ensure_quality_schema(con: duckdb.DuckDBPyConnection) -> None:
    """Create the quality tables (and the raw schema) if they do not exist yet."""
    for ddl in QUALITY_DDL:
        con.execute(ddl)


def ensure_raw_table(con: duckdb.DuckDBPyConnection, table: RawTable) -> None:
    """Create a raw table of text columns with its provenance columns, adding any new column."""
    cols = ", ".join(f'"{c}" varchar' for c in table.columns)
    con.execute(
        f'create table if not exists raw."{table.name}" ({cols}, _file_path varchar, _sheet varchar, '
        "_row_number integer, _run_id varchar)"
    )
    existing = {
        r[0]
        for r in con.execute(
            "select column_name from information_schema.columns where table_schema = 'raw' and table_name = ?",
            [table.name],
        ).fetchall()
    }
    for col in table.columns:
        if col not in existing:
            con.execute(f'alter table raw."{table.name}" add column "{col}" varchar')


def discover_files(folder: Path) -> list[Path]:
    """Every file below ``folder`` (recursively), sorted; hidden files and Office lock files skipped."""
    if not folder.is_dir():
        return []
    return sorted(
        p
        for p in folder.rglob("*")
        if p.is_file() and not any(part.startswith(SKIPPED_NAMES) for part in p.relative_to(folder).parts)
    )


def sha256_file(path: Path) -> str:
    """Hex SHA-256 of a file's bytes, read in blocks."""
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _incoming_rows(
    con: duckdb.DuckDBPyConnection, table: RawTable, parsed: ParsedTable, file_path: str, run_id: str
) -> pd.DataFrame | None:
    """The rows of ``parsed`` as a frame with the raw table's columns, or None when there are none; rows
    staged on ``con`` (a StagedRelation) are inserted right away instead."""
    columns = list(table.columns)
    if isinstance(parsed.frame, StagedRelation) and parsed.frame.con is con:
        names = ", ".join(f'"{c}"' for c in [*columns, *RAW_META_COLUMNS])
        values = ", ".join(
            [*(f'"{c}"' for c in columns), "? as _file_path", "? as _sheet", "_row_number", "? as _run_id"]
        )
        con.execute(
            f'insert into raw."{table.name}" ({names}) select {values} from "{parsed.frame.table}"',
            [file_path, parsed.sheet, run_id],
        )
        con.execute(f'drop table if exists "{parsed.frame.table}"')
        return None
    if isinstance(parsed.frame, StagedRelation):
        parsed.frame = parsed.frame.df()
    if parsed.frame is not None:
        if not len(parsed.frame):
            return None
        frame = parsed.frame.copy(deep=False)
        for c in columns:
            if c not in frame.columns:
                frame[c] = pd.Series([None] * len(frame), dtype="object", index=frame.index)
        frame["_file_path"] = file_path
        frame["_sheet"] = parsed.sheet
        frame["_run_id"] = run_id
        return frame[[*columns, *RAW_META_COLUMNS]]
    if not parsed.rows:
        return None
    return pd.DataFrame(
        {
            **{c: pd.Series([r.get(c) for r in parsed.rows], dtype="object") for c in columns},
            "_file_path": file_path,
            "_sheet": parsed.sheet,
            "_row_number": pd.Series([r["_row_number"] for r in parsed.rows], dtype="int64"),
            "_run_id": run_id,
        }
    )


def _insert_frame(con: duckdb.DuckDBPyConnection, target: str, frame: pd.DataFrame) -> None:
    """``insert into target`` the rows of ``frame`` (its columns by name)."""
    con.register("_incoming", frame)
    try:
        names = ", ".join(f'"{c}"' for c in frame.columns)
        con.execute(f"insert into {target} ({names}) select {names} from _incoming")
    finally:
        con.unregister("_incoming")


def _rejections_frame(
    parsed: ParsedTable, source: str, file_path: str, run_id: str, now: dt.datetime
) -> pd.DataFrame | None:
    if not parsed.rejections:
        return None
    rejections = parsed.rejections
    return pd.DataFrame(
        {
            "file_path": file_path,
            "row_number": pd.Series([r.row_number for r in rejections], dtype="Int64"),
            "column_name": pd.Series([r.column for r in rejections], dtype="object"),
            "value": pd.Series([r.value for r in rejections], dtype="object"),
            "reason": pd.Series([r.reason for r in rejections], dtype="object"),
            "rejected_at": now,
            "source": source,
            "table_name": parsed.table_name,
            "run_id": run_id,
        }
    )


def _delete_file_rows(con, tables: Iterable[RawTable], source: str, file_path: str) -> None:
    for table in tables:
        con.execute(f'delete from raw."{table.name}" where _file_path = ?', [file_path])
    con.execute("delete from quality.rejected_rows where source = ? and file_path = ?", [source, file_path])


LOG_COLUMNS = (
    "run_id",
    "file_path",
    "sha256",
    "source",
    "table_name",
    "status",
    "rows_read",
    "rows_loaded",
    "rows_rejected",
    "reason",
    "loaded_at",
    "cells_quarantined",
)
LOG_COUNTS = ("rows_read", "rows_loaded", "rows_rejected", "cells_quarantined")
STATE_COLUMNS = ("source", "file_path", "sha256", "status", "reason", "loaded_at")


def _log_row(run_id: str, source: str, outcome: FileOutcome, now: dt.datetime) -> list:
    return [
        run_id,
        outcome.file_path,
        outcome.sha256.split("+", 1)[0],
        source,
        outcome.table_name,
        outcome.status,
        outcome.rows_read,
        outcome.rows_loaded,
        outcome.rows_rejected,
        outcome.reason,
        now,
        outcome.cells_quarantined,
    ]


def _log_frame(rows: list[list]) -> pd.DataFrame:
    logs = pd.DataFrame(rows, columns=list(LOG_COLUMNS))
    for column in LOG_COUNTS:
        logs[column] = logs[column].astype("int64")
    return logs


class _Writer:
    """Writes what a load produces: raw rows, quarantined rows, file states and log rows.

    By default each file is its own transaction (``unit``) and everything is written as it comes. With
    ``bulk`` (a load that is one transaction) rows are gathered and inserted a few hundred thousand at a
    time, and states and log rows at the end: one statement where there were one or more per file."""

    FLUSH_ROWS = 100_000

    def __init__(self, con: duckdb.DuckDBPyConnection, bulk: bool):
        self.con, self.bulk = con, bulk
        self.frames: dict[str, list[pd.DataFrame]] = {}
        self.buffered = 0
        self.states: list[list] = []
        self.logs: list[list] = []

    @contextmanager
    def unit(self) -> Iterator[None]:
        if self.bulk:
            yield
            return
        self.con.execute("begin")
        try:
            yield
        except BaseException:
            self.con.execute("rollback")
            raise
        self.con.execute("commit")

    def insert(self, target: str, frame: pd.DataFrame | None) -> None:
        if frame is None:
            return
        if not self.bulk:
            _insert_frame(self.con, target, frame)
            return
        self.frames.setdefault(target, []).append(frame)
        self.buffered += len(frame)
        if self.buffered >= self.FLUSH_ROWS:
            self.flush_rows()

    def flush_rows(self) -> None:
        for target, frames in self.frames.items():
            _insert_frame(self.con, target, pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0])
        self.frames, self.buffered = {}, 0

    def state(self, source: str, outcome: FileOutcome, now: dt.datetime, new: bool) -> None:
        """A file's state; ``new``: it has none yet (a plain insert, much cheaper than an upsert)."""
        row = [source, outcome.file_path, outcome.sha256, outcome.status, outcome.reason, now]
        if self.bulk:
            self.states.append(row)
        else:
            self.con.execute(
                f"insert {'' if new else 'or replace '}into quality.file_state values (?, ?, ?, ?, ?, ?)", row
            )

    def log(self, run_id: str, source: str, outcome: FileOutcome, now: dt.datetime) -> None:
        row = _log_row(run_id, source, outcome, now)
        if self.bulk:
            self.logs.append(row)
        else:
            names = ", ".join(LOG_COLUMNS)
            self.con.execute(f"insert into quality.load_log ({names}) values ({', '.join('?' * len(row))})", row)

    def finish(self) -> None:
        """Write what was gathered (bulk)."""
        self.flush_rows()
        if self.states:
            states = pd.DataFrame(self.states, columns=list(STATE_COLUMNS), dtype="object")
            states["loaded_at"] = pd.to_datetime(states["loaded_at"])
            self.con.register("_states", states)
            try:
                self.con.execute(
                    "delete from quality.file_state using _states where file_state.source = "
                    "_states.source and file_state.file_path = _states.file_path"
                )
                self.con.execute("insert into quality.file_state select * from _states")
            finally:
                self.con.unregister("_states")
            self.states = []
        if self.logs:
            _insert_frame(self.con, "quality.load_log", _log_frame(self.logs))
            self.logs = []


def folder_digest(folder: Path | None) -> str:
    """A digest of the files of ``folder`` (paths and contents); empty when there are none."""
    files = discover_files(folder) if folder is not None else []
    if not files:
        return ""
    return hashlib.sha256("\n".join(f"{p}={sha256_file(p)}" for p in files).encode()).hexdigest()[:16]


def _fingerprint(path: Path, companions: Companions | None, rules: str = "") -> str:
    """The file's SHA-256, followed by ``+`` and a digest of its companions' hashes when it has any, and by
    ``+r`` and the digest of the folder its rules come from (``load_source(rules_from=...)``) when not empty."""
    sha = sha256_file(path) + (f"+r{rules}" if rules else "")
    if companions is None:
        return sha
    try:
        others = sorted(str(p) + "=" + sha256_file(p) for p in companions(path) if p.is_file())
    except OSError:
        others = []
    if not others:
        return sha
    return sha + "+" + hashlib.sha256("\n".join(others).encode()).hexdigest()[:16]


def quarantine_oversized_cells(parsed: ParsedTable) -> None:
    """Move rows holding a cell longer than a spreadsheet cell can be to the quarantine, value shortened."""
    keep = []
    for row in parsed.rows:
        long_cells = [(k, v) for k, v in row.items() if isinstance(v, str) and len(v) > MAX_CELL_CHARACTERS]
        if not long_cells:
            keep.append(row)
            continue
        for column, value in long_cells:
            parsed.rejections.append(
                Rejection(
                    row["_row_number"],
                    column,
                    value[:200] + "…",
                    f"the cell is {len(value):,} characters long, "
                    f"longer than the {MAX_CELL_CHARACTERS:,} a spreadsheet cell can hold: "
                    "probably a broken export; check the row in the file",
                )
            )
    parsed.rows = keep


def _parse_safely(parser: Parser, path: Path) -> tuple[list[ParsedTable] | None, str | None]:
    """Run a parser; any failure becomes a reason instead of a traceback."""
    try:
        tables = parser(path)
        for parsed in tables:
            quarantine_oversized_cells(parsed)
        return tables, None
    except (FileRejected, UnreadableFile) as exc:
        return None, str(exc)
    except Exception as exc:
        return None, f"the file could not be read ({type(exc).__name__}: {exc})"


def load_source(
    con: duckdb.DuckDBPyConnection,
    *,
    source: str,
    folder: Path,
    tables: Iterable[RawTable],
    parser: Parser | None = None,
    run_id: str,
    display_root: Path | None = None,
    now: dt.datetime | None = None,
    companions: Companions | None = None,
    one_transaction: bool = False,
    rules_from: Path | None = None,
    batch_parser: BatchParser | None = None,
    batching: Batching | None = None,
) -> SourceResult:
    """Mirror ``folder`` into the raw tables of ``source``; see the module docstring.

    ``companions(path)`` names files a file is read together with (an EES data file's
    ``.meta.csv``): the file counts as changed when any of them changes, is added or goes.
    ``rules_from`` is a folder the parser's rules read (``raw/reference``, whose LA list decides which codes
    are known): when its files change, every file is read again, so that the rows in the warehouse always
    passed the rules the blocking checks hold them to now.

    Each file's rows, state and log row are committed together, file by file. With ``one_transaction``
    the whole source is one transaction instead, its rows inserted in bulk: one commit and a few
    statements where there were several per file (for sources of many small files, whose parser does
    not use ``con``).

    ``batch_parser`` (instead of ``parser``) parses every new or changed file in one call, and the load is
    one transaction written set-based: see :mod:`pipelines.lib.ingest.batch`; with ``batching``, in chunks
    (:class:`Batching`), still one transaction.
    """
    if (parser is None) == (batch_parser is None):
        raise ValueError("load_source needs exactly one of parser and batch_parser")
    one_transaction = one_transaction or batch_parser is not None
    tables = list(tables)
    by_name = {t.name: t for t in tables}
    now = now or dt.datetime.now()
    ensure_quality_schema(con)
    for table in tables:
        ensure_raw_table(con, table)
    writer = _Writer(con, bulk=one_transaction)
    if one_transaction:
        con.execute("begin")
    try:
        fingerprint = functools.partial(_fingerprint, companions=companions, rules=folder_digest(rules_from))
        result = _load_files(
            con,
            source,
            folder,
            tables,
            by_name,
            parser or batch_parser,
            run_id,
            now,
            fingerprint,
            writer,
            batching=(batching or Batching()) if batch_parser is not None else None,
        )
        writer.finish()
    except BaseException:
        if one_transaction:
            con.execute("rollback")
        raise
    if one_transaction:
        con.execute("commit")
    return result


def _load_files(
    con, source, folder, tables, by_name, parser, run_id, now, fingerprint, writer, batching: Batching | None = None
) -> SourceResult:
    result = SourceResult(source=source)
    to_parse: dict[str, str] = {}  # batched: file path -> fingerprint, parsed together after the loop
    previous = {
        path: (sha, status)
        for path, sha, status in con.execute(
            "select file_path, sha256, status from quality.file_state where source = ?", [source]
        ).fetchall()
    }
    seen_paths: set[str] = set()
    loaded_shas: dict[str, str] = {}
    unchanged: list[FileOutcome] = []
    for path in discover_files(folder):
        file_path = str(path)
        seen_paths.add(file_path)
        sha = fingerprint(path)
        outcome = FileOutcome(file_path=file_path, sha256=sha, status="unchanged")
        if previous.get(file_path, (None,))[0] == sha:
            outcome.reason = (
                "unchanged since it was loaded; not read again"
                if previous[file_path][1] == "loaded"
                else f"unchanged since it was {previous[file_path][1]}; not read again"
            )
            if previous[file_path][1] == "loaded":
                loaded_shas.setdefault(sha, file_path)
            unchanged.append(outcome)
        elif sha in loaded_shas:
            outcome.reason = f"same content as {loaded_shas[sha]}; not loaded twice"
            with writer.unit():
                _delete_file_rows(con, tables, source, file_path)
                writer.state(source, outcome, now, new=file_path not in previous)
                writer.log(run_id, source, outcome, now)
        elif batching is not None:
            to_parse[file_path] = sha
        else:
            outcome = _load_file(con, path, sha, source, tables, by_name, parser, run_id, now, previous, writer)
        if outcome.status == "loaded":
            loaded_shas.setdefault(sha, file_path)
        result.files.append(outcome)
    if to_parse:
        parsed = _load_batches(
            con, to_parse, source, by_name, parser, run_id, now, previous, writer, loaded_shas, batching
        )
        result.files = [parsed.get(f.file_path, f) for f in result.files]
    if unchanged:  # their log rows together: one statement, not one commit per file
        with writer.unit():
            _insert_frame(con, "quality.load_log", _log_frame([_log_row(run_id, source, o, now) for o in unchanged]))
    for gone in sorted(set(previous) - seen_paths):
        with writer.unit():
            _delete_file_rows(con, tables, source, gone)
            con.execute("delete from quality.file_state where source = ? and file_path = ?", [source, gone])
        result.removed_files.append(gone)
    return result


def _load_file(con, path, sha, source, tables, by_name, parser, run_id, now, previous, writer) -> FileOutcome:
    file_path = str(path)
    parsed_tables, reason = _parse_safely(parser, path)
    if parsed_tables is None:
        had_rows = previous.get(file_path, (None, None))[1] == "loaded"
        outcome = FileOutcome(file_path=file_path, sha256=sha, status="rejected", reason=reason)
        if had_rows:
            outcome.reason = f"{reason} (the rows of its previous version are kept)"
        with writer.unit():
            con.execute("delete from quality.rejected_rows where source = ? and file_path = ?", [source, file_path])
            if not had_rows:
                writer.state(source, outcome, now, new=file_path not in previous)
            writer.log(run_id, source, outcome, now)
        return outcome
    outcome = FileOutcome(
        file_path=file_path,
        sha256=sha,
        status="loaded",
        table_name=", ".join(sorted({p.table_name for p in parsed_tables})) or None,
        rows_read=sum(p.rows_read for p in parsed_tables),
        rows_loaded=sum(p.rows_loaded for p in parsed_tables),
        rows_rejected=sum(p.rows_rejected for p in parsed_tables),
        reason="; ".join(dict.fromkeys(n for p in parsed_tables for n in p.notes)) or None,
        cells_quarantined=sum(len(p.rejections) for p in parsed_tables),
    )
    _say_when_nothing_loaded(outcome)
    with writer.unit():
        if file_path in previous:  # a file never loaded before has no rows to replace (rows come with a state)
            _delete_file_rows(con, tables, source, file_path)
        for parsed in parsed_tables:
            if parsed.table_name in by_name:  # a table recognised but not used has no raw table (and no rows)
                table = by_name[parsed.table_name]
                writer.insert(f'raw."{table.name}"', _incoming_rows(con, table, parsed, file_path, run_id))
            elif parsed.rows:
                raise ValueError(f"parser returned rows for undeclared raw table {parsed.table_name}")
            writer.insert("quality.rejected_rows", _rejections_frame(parsed, source, file_path, run_id, now))
        writer.state(source, outcome, now, new=file_path not in previous)
        writer.log(run_id, source, outcome, now)
    return outcome


def _load_batches(
    con, to_parse, source, by_name, parser, run_id, now, previous, writer, loaded_shas, batching: Batching
) -> dict[str, FileOutcome]:
    """The files of ``to_parse`` through the batch parser, chunk by chunk (:func:`batch_chunks`)."""
    chunks = batch_chunks(to_parse, batching)
    parsed: dict[str, FileOutcome] = {}
    for number, chunk in enumerate(chunks, start=1):
        part = {path: to_parse[path] for path in chunk}
        outcomes = _load_batch(con, part, source, by_name, parser, run_id, now, previous, writer, loaded_shas)
        for file_path, outcome in outcomes.items():
            if outcome.status == "loaded":
                loaded_shas.setdefault(outcome.sha256, file_path)
        parsed.update(outcomes)
        if batching.progress and len(chunks) > 1:
            done = sum(len(c) for c in chunks[:number])
            batching.progress(f"{source}: {done} of {len(to_parse)} files read ({number} of {len(chunks)} parts)")
    return parsed


def _load_batch(
    con, to_parse: dict[str, str], source, by_name, parser, run_id, now, previous, writer, loaded_shas: dict[str, str]
) -> dict[str, FileOutcome]:
    """Parse the files of ``to_parse`` in one call and write them set-based (see :mod:`ingest_batch`).

    The rules run on a cursor of ``con``: its own temporary tables, outside the load's transaction, where
    DuckDB runs them about twice as fast (measured on the case audits at the bench's scale 5: 23 s in
    autocommit, 41 s inside an open transaction, at any memory limit). They touch no table of the warehouse,
    so the load stays one transaction: only its writes are in it, the staged rows streamed in as Arrow."""
    with con.cursor() as staging:
        outcome = ingest_batch.parse_batch(staging, parser, [Path(p) for p in to_parse])
        columns = {name: table.columns for name, table in by_name.items()}
        ingest_batch.quarantine_oversized_cells(staging, outcome, columns)
        ingest_batch.drop_files(staging, outcome, list(outcome.refused))
        counts = ingest_batch.file_counts(staging, outcome)
        outcomes, keeps_previous = {}, set()
        for file_path, sha in to_parse.items():
            if file_path in outcome.refused:
                outcomes[file_path] = FileOutcome(file_path, sha, "rejected", reason=outcome.refused[file_path])
                if previous.get(file_path, (None, None))[1] == "loaded":
                    keeps_previous.add(file_path)
                    outcomes[file_path].reason += " (the rows of its previous version are kept)"
            else:
                outcomes[file_path] = _batch_outcome(file_path, sha, outcome.read[file_path], counts[file_path])
        repeats = _repeated_in_batch(outcomes, loaded_shas)
        ingest_batch.drop_files(staging, outcome, list(repeats))
        for file_path, original in repeats.items():
            outcomes[file_path] = FileOutcome(
                file_path, to_parse[file_path], "unchanged", reason=f"same content as {original}; not loaded twice"
            )
        _delete_replaced(
            con, by_name.values(), source, outcomes, [p for p in outcomes if p in previous and p not in keeps_previous]
        )
        ingest_batch.write_batch(
            con, outcome, source=source, columns=columns, run_id=run_id, now=now, staged_on=staging
        )
        for file_path, file_outcome in outcomes.items():
            if file_path not in keeps_previous:
                writer.state(source, file_outcome, now, new=file_path not in previous)
            writer.log(run_id, source, file_outcome, now)
        return outcomes


def _repeated_in_batch(outcomes: dict[str, FileOutcome], loaded_shas: dict[str, str]) -> dict[str, str]:
    """Loaded files of the batch whose content repeats a file loaded before or earlier in the batch (in path
    order) -> that file: as for files loaded one by one, a content is loaded once."""
    first: dict[str, str] = dict(loaded_shas)
    repeats = {}
    for file_path, file_outcome in outcomes.items():
        if file_outcome.status != "loaded":
            continue
        if file_outcome.sha256 in first:
            repeats[file_path] = first[file_outcome.sha256]
        else:
            first[file_outcome.sha256] = file_path
    return repeats


def _batch_outcome(file_path: str, sha: str, read: ingest_batch.FileRead, counts: tuple[int, int, int]) -> FileOutcome:
    rows_loaded, rows_rejected, entries = counts
    outcome = FileOutcome(
        file_path=file_path,
        sha256=sha,
        status="loaded",
        table_name=", ".join(sorted(set(read.tables))) or None,
        rows_read=read.rows_read,
        rows_loaded=rows_loaded,
        rows_rejected=rows_rejected,
        reason="; ".join(dict.fromkeys(read.notes)) or None,
        cells_quarantined=entries,
    )
    _say_when_nothing_loaded(outcome)
    return outcome


def _delete_replaced(
    con, tables: Iterable[RawTable], source: str, outcomes: dict[str, FileOutcome], replaced: list[str]
) -> None:
    """Before a batch is written: the raw rows of the ``replaced`` files (those that had a state, except a
    rejected file whose previous rows are kept), and the quarantine entries of every file of the batch."""
    for table in tables if replaced else ():  # a first load replaces nothing: no scan of the raw tables
        con.execute(
            f"delete from raw.{quote_ident(table.name)} where _file_path in (select unnest(?::varchar[]))", [replaced]
        )
    con.execute(
        "delete from quality.rejected_rows where source = ? and file_path in (select unnest(?::varchar[]))",
        [source, list(outcomes)],
    )


def every_row_quarantined_reason(rows_rejected: int, entries: int) -> str:
    """The load-log reason of a file none of whose rows could be used."""
    return (
        f"every row of the file was quarantined ({rows_rejected:,} row(s), {entries:,} entr"
        f"{'y' if entries == 1 else 'ies'} in quality.rejected_rows saying why, by row and column): "
        "nothing of it loaded"
    )


def _say_when_nothing_loaded(outcome: FileOutcome) -> None:
    """A file whose every row was quarantined is ``rejected`` (its rows counted, its quarantine kept); a file
    with no data rows at all is ``loaded`` with a reason that says so (unless its parser's notes say why)."""
    notes = [outcome.reason] if outcome.reason else []
    if outcome.rows_loaded == 0 and outcome.rows_rejected > 0:
        outcome.status = "rejected"
        outcome.reason = "; ".join(
            [every_row_quarantined_reason(outcome.rows_rejected, outcome.cells_quarantined), *notes]
        )
    elif outcome.rows_read == 0 and not outcome.cells_quarantined and not notes:  # notes say why, if any
        outcome.reason = "no data rows were read from the file"


def settle_file_counts(con: duckdb.DuckDBPyConnection, run_id: str, source: str) -> None:
    """After a rule across files moved rows to the quarantine: bring this run's ``quality.load_log`` rows of
    ``source`` up to date with ``quality.rejected_rows`` (``cells_quarantined``), and mark ``rejected`` a file
    none of whose rows is left. Runs inside the caller's transaction."""
    con.execute(
        """update quality.load_log as log set cells_quarantined = counts.entries
        from (select file_path, count(*) as entries from quality.rejected_rows where source = ? group by file_path)
            as counts
        where log.run_id = ? and log.source = ? and log.status = 'loaded' and log.file_path = counts.file_path""",
        [source, run_id, source],
    )
    emptied = con.execute(
        "select file_path, rows_rejected, cells_quarantined, reason from quality.load_log where run_id = ? "
        "and source = ? and status = 'loaded' and rows_loaded = 0 and rows_rejected > 0",
        [run_id, source],
    ).fetchall()
    for file_path, rows_rejected, entries, reason in emptied:
        reason = "; ".join([every_row_quarantined_reason(rows_rejected, entries or 0), *([reason] if reason else [])])
        con.execute(
            "update quality.load_log set status = 'rejected', reason = ? where run_id = ? and source = ? "
            "and file_path = ?",
            [reason, run_id, source, file_path],
        )


def forget_unpublished_loads(con: duckdb.DuckDBPyConnection, run_id: str) -> int:
    """After refresh ``run_id`` failed (nothing published): the files it loaded or rejected are read again by
    the next refresh (their state keeps no hash, so they count as changed and replace their own rows), so
    that what the published ``quality.load_log`` says of them comes from a refresh that published."""
    ensure_quality_schema(con)
    con.execute(
        """update quality.file_state as state set sha256 = ''
        from (select distinct source, file_path from quality.load_log where run_id = ? and status <> 'unchanged')
            as failed
        where state.source = failed.source and state.file_path = failed.file_path""",
        [run_id],
    )
    return con.execute("select count(*) from quality.file_state where sha256 = ''").fetchone()[0]
