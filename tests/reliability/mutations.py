"""A seeded mutation corpus: damaged copies of the sample landing files and (when present) the public fixtures.

Each mutated copy is one real or sample file broken in one way (truncated, bytes flipped, NULs, a column dropped,
duplicated or shuffled, UTF-16, a huge cell, stray quotes, mixed line ends, values squashed or garbled, rows
repeated or lost, ...). Nothing is committed: the copies are made in the test, from a seed, so a failure can be
reproduced by its seed and its file name, which names the mutation.
"""

from __future__ import annotations

import csv
import io
import random
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import openpyxl

from pipelines.lib.ingest.load import discover_files

Table = list[list[str]]
# Public fixtures worth mutating, by landing source (files above MAX_SEED_BYTES are left out: time).
FIXTURE_SOURCES = {
    "ofsted": "ofsted",
    "ees_absence": "school_absence",
    "ees_exclusions": "school_exclusions",
    "ees_suspensions": "school_exclusions",
    "reference": "reference",
    "ssda903/d2i_validator": "ssda903",
    "ssda903/cs_demand_model": "ssda903",
}
MAX_SEED_BYTES = 1_500_000
FIXTURE_SSDA903_YEAR = "2018"
OTHER_LAS = ("866", "867", "868", "869", "870", "871", "872", "873", "874", "876", "877", "878")


@dataclass(frozen=True)
class Seed:
    """A file to mutate: where it lands (source and path below the source folder) and its companions."""

    source: str
    path: Path
    relative: Path  # below the source folder
    companions: tuple[Path, ...] = ()


def seeds(sample_raw: Path, fixtures: Path | None) -> list[Seed]:
    """Every sample landing file, and the public fixtures of the sources above (when the folder is there)."""
    found = [
        _seed(source_dir.name, path, path.relative_to(source_dir))
        for source_dir in sorted(p for p in sample_raw.iterdir() if p.is_dir())
        for path in discover_files(source_dir)
    ]
    for folder, source in FIXTURE_SOURCES.items():
        if fixtures is None or not (fixtures / folder).is_dir():
            continue
        for path in discover_files(fixtures / folder):
            if path.stat().st_size <= MAX_SEED_BYTES:
                relative = Path(FIXTURE_SSDA903_YEAR) / path.name if source == "ssda903" else Path(path.name)
                found.append(_seed(source, path, relative))
    return found


def _seed(source: str, path: Path, relative: Path) -> Seed:
    meta = path.with_name(path.name.removesuffix(".csv") + ".meta.csv")
    data = path.with_name(path.name.replace(".meta.csv", ".csv"))
    companions = [p for p in (meta, data) if p != path and p.is_file()]
    return Seed(source, path, relative, tuple(companions))


# ---------------------------------------------------------------------------
# Mutations of bytes (any file) and of tables (CSV, and XLSX through openpyxl)
# ---------------------------------------------------------------------------


def truncate(data: bytes, rng: random.Random) -> bytes:
    return data[: rng.randrange(0, max(len(data), 1))]


def flip_bytes(data: bytes, rng: random.Random) -> bytes:
    out = bytearray(data)
    for _ in range(rng.randint(1, 24)):
        if out:
            out[rng.randrange(len(out))] ^= rng.randrange(1, 256)
    return bytes(out)


def nuls(data: bytes, rng: random.Random) -> bytes:
    out = bytearray(data)
    for _ in range(rng.randint(1, 12)):
        out.insert(rng.randrange(len(out) + 1), 0)
    return bytes(out)


def drop_column(table: Table, rng: random.Random) -> Table:
    j = rng.randrange(len(table[0]))
    return [row[:j] + row[j + 1 :] for row in table]


def duplicate_column(table: Table, rng: random.Random) -> Table:
    j = rng.randrange(len(table[0]))
    return [row[: j + 1] + row[j : j + 1] + row[j + 1 :] for row in table]


def shuffle_columns(table: Table, rng: random.Random) -> Table:
    order = list(range(len(table[0])))
    rng.shuffle(order)
    return [[row[j] if j < len(row) else "" for j in order] for row in table]


def huge_cell(table: Table, rng: random.Random) -> Table:
    i, j = _cell(table, rng)
    table[i][j] = "x" * rng.choice((33_000, 200_000))
    return table


def squash_values(table: Table, rng: random.Random) -> Table:
    """Spaces taken out of, or doubled or made non-breaking in, a column's values (``Localauthority``)."""
    j = rng.randrange(len(table[0]))
    change = rng.choice(
        (
            lambda v: v.replace(" ", ""),
            lambda v: v.replace(" ", "  "),
            lambda v: v.replace(" ", "\u00a0"),
            lambda v: v.upper(),
            lambda v: f" {v}\t",
        )
    )
    return [table[0], *([*row[:j], change(row[j]), *row[j + 1 :]] if j < len(row) else row for row in table[1:])]


def garble_numbers(table: Table, rng: random.Random) -> Table:
    """Numbers made negative, fractional, huge, thousands-separated or scientific."""
    forms = (
        lambda v: f"-{v}",
        lambda v: f"{v}.5",
        lambda v: f"{v}000000000",
        lambda v: f"{v},000",
        lambda v: f"{v}e3",
        lambda v: "NaN",
        lambda v: "1/0",
    )
    for row in table[1:]:
        for j, value in enumerate(row):
            if value.replace(".", "", 1).isdigit() and rng.random() < 0.3:
                row[j] = rng.choice(forms)(value)
    return table


def swap_cells(table: Table, rng: random.Random) -> Table:
    a, b = rng.randrange(len(table[0])), rng.randrange(len(table[0]))
    for row in table[1:]:
        if rng.random() < 0.5 and max(a, b) < len(row):
            row[a], row[b] = row[b], row[a]
    return table


def blank_cells(table: Table, rng: random.Random) -> Table:
    for _ in range(rng.randint(1, 40)):
        i, j = _cell(table, rng)
        table[i][j] = ""
    return table


def repeat_rows(table: Table, rng: random.Random) -> Table:
    body = table[1:]
    extra = [list(rng.choice(body)) for _ in range(rng.randint(1, 20))] if body else []
    return [table[0], *body, *extra]


def lose_rows(table: Table, rng: random.Random) -> Table:
    return [row for i, row in enumerate(table) if i == 0 or rng.random() > 0.3]


def vary_spelling(table: Table, rng: random.Random) -> Table:
    """Each value of a column of few distinct values (a level, a type, a grade) spelt another way: spaces
    squashed, doubled or non-breaking, case changed (``Localauthority``, ``LOCAL  AUTHORITY``)."""
    columns = [j for j in range(len(table[0])) if 1 < len({row[j] for row in table[1:] if j < len(row)}) <= 12]
    if not columns:
        return table
    j = rng.choice(columns)
    spellings = (
        lambda v: v.replace(" ", ""),
        lambda v: v.replace(" ", "  "),
        lambda v: v.replace(" ", "\u00a0"),
        str.upper,
        str.lower,
        lambda v: v.title().replace(" ", "_"),
        lambda v: v[:-1],
    )
    variant = {value: rng.choice(spellings)(value) for value in {row[j] for row in table[1:] if j < len(row)}}
    return [table[0], *([*row[:j], variant[row[j]], *row[j + 1 :]] if j < len(row) else row for row in table[1:])]


def small_counts(table: Table, rng: random.Random) -> Table:
    """The whole numbers of a column made small (0 to 7): cells that disclosure control must suppress."""
    numeric = [j for j in range(len(table[0])) if any(j < len(r) and r[j].isdigit() for r in table[1:])]
    for j in rng.sample(numeric, min(len(numeric), rng.randint(1, 3))):
        for row in table[1:]:
            if j < len(row) and row[j].isdigit():
                row[j] = str(rng.randint(0, 7))
    return table


def header_only(table: Table, rng: random.Random) -> Table:
    return table[:1]


def header_renamed(table: Table, rng: random.Random) -> Table:
    j = rng.randrange(len(table[0]))
    table[0][j] = rng.choice((table[0][j].upper(), f" {table[0][j]} ", table[0][j] + "_x", ""))
    return table


TABLE_MUTATIONS: dict[str, Callable[[Table, random.Random], Table]] = {
    "drop_column": drop_column,
    "duplicate_column": duplicate_column,
    "shuffle_columns": shuffle_columns,
    "huge_cell": huge_cell,
    "squash_values": squash_values,
    "garble_numbers": garble_numbers,
    "swap_cells": swap_cells,
    "blank_cells": blank_cells,
    "repeat_rows": repeat_rows,
    "lose_rows": lose_rows,
    "header_only": header_only,
    "header_renamed": header_renamed,
    "vary_spelling": vary_spelling,
    "small_counts": small_counts,
}


def stray_quotes(text: str, rng: random.Random) -> str:
    out = list(text)
    for _ in range(rng.randint(1, 10)):
        out.insert(rng.randrange(len(out) + 1), '"')
    return "".join(out)


def mixed_line_ends(text: str, rng: random.Random) -> str:
    return "".join(rng.choice(("\r\n", "\n", "\r")) + line if i else line for i, line in enumerate(text.splitlines()))


TEXT_MUTATIONS: dict[str, Callable[[str, random.Random], str]] = {
    "stray_quotes": stray_quotes,
    "mixed_line_ends": mixed_line_ends,
}
ENCODINGS = {"utf16": "utf-16", "utf16_le_no_bom": "utf-16-le", "cp1252": "cp1252", "utf8_bom": "utf-8-sig"}
BYTE_MUTATIONS = {"truncate": truncate, "flip_bytes": flip_bytes, "nuls": nuls}


def _cell(table: Table, rng: random.Random) -> tuple[int, int]:
    i = rng.randrange(1, len(table)) if len(table) > 1 else 0
    return i, rng.randrange(len(table[i])) if table[i] else 0


def kinds_for(path: Path) -> list[str]:
    """The mutations that make sense for a file: bytes for any, tables for CSV and XLSX, text for CSV."""
    suffix = path.suffix.lower()
    kinds = list(BYTE_MUTATIONS)
    if suffix in (".csv", ".xlsx"):
        kinds += list(TABLE_MUTATIONS)
    if suffix == ".csv":
        kinds += [*TEXT_MUTATIONS, *ENCODINGS]
    return kinds


def mutate(path: Path, kind: str, rng: random.Random) -> bytes:
    """The bytes of ``path`` broken by mutation ``kind``."""
    data = path.read_bytes()
    if kind in BYTE_MUTATIONS:
        return BYTE_MUTATIONS[kind](data, rng)
    if path.suffix.lower() == ".xlsx":
        return _mutate_workbook(data, TABLE_MUTATIONS[kind], rng)
    text = data.decode("utf-8-sig", errors="replace")
    if kind in TEXT_MUTATIONS:
        return TEXT_MUTATIONS[kind](text, rng).encode()
    if kind in ENCODINGS:
        return text.replace("Wiltshire", "Wiltshire \u2013 \u00e9").encode(ENCODINGS[kind], errors="replace")
    table = list(csv.reader(io.StringIO(text, newline="")))
    if not table or not table[0]:
        return data
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(TABLE_MUTATIONS[kind](table, rng))
    return out.getvalue().encode()


def _mutate_workbook(data: bytes, mutation, rng: random.Random) -> bytes:
    book = openpyxl.load_workbook(io.BytesIO(data))
    sheets = [s for s in book.worksheets if s.max_row > 1]
    if not sheets:
        return data
    sheet = rng.choice(sheets)
    table = [["" if v is None else str(v) for v in row] for row in sheet.iter_rows(values_only=True)]
    header_at = next((i for i, row in enumerate(table) if sum(bool(v) for v in row) >= 3), 0)
    mutated = table[:header_at] + mutation(table[header_at:], rng)
    sheet.delete_rows(1, sheet.max_row)
    for row in mutated:
        sheet.append([v or None for v in row])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


# ---------------------------------------------------------------------------
# Batches
# ---------------------------------------------------------------------------


def write_batch(raw: Path, all_seeds: list[Seed], count: int, seed: int) -> list[Path]:
    """``count`` mutated copies (seeded) written into the landing folder ``raw``, the sources in turn; returns
    their paths.

    A copy lands in a folder of its own below its source (with its companions, e.g. an EES ``.meta.csv``,
    unmutated), named after the mutation; an SSDA903 copy lands as another LA's return of its year."""
    rng = random.Random(seed)
    by_source: dict[str, list[Seed]] = {}
    for one in all_seeds:
        by_source.setdefault(one.source, []).append(one)
    sources = sorted(by_source)
    written = []
    for index in range(count):
        chosen = rng.choice(by_source[sources[index % len(sources)]])
        kind = rng.choice(kinds_for(chosen.path))
        tag = f"m{seed}_{index:03d}_{kind}"
        if chosen.source == "ssda903":
            year = next((p for p in chosen.relative.parts if p.isdigit() and len(p) == 4), "2018")
            folder = raw / "ssda903" / OTHER_LAS[index % len(OTHER_LAS)] / year
            target = folder / f"{tag}_{chosen.path.name}"
        else:
            folder = raw / chosen.source / tag
            target = folder / chosen.path.name
        folder.mkdir(parents=True, exist_ok=True)
        target.write_bytes(mutate(chosen.path, kind, random.Random(f"{seed}-{index}")))
        for companion in chosen.companions:
            if not (folder / companion.name).exists():
                shutil.copy(companion, folder / companion.name)
        written.append(target)
    return written
