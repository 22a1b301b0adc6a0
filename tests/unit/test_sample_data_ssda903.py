"""The synthetic SSDA903 sample: reproducible, committed as generated, small, synthetic identifiers."""

from __future__ import annotations

import re
from pathlib import Path

from pipelines.sample_data.ssda903 import BENCHMARK_FILE, generate_benchmarks, generate_returns

REPO = Path(__file__).resolve().parents[2]
RAW = REPO / "raw" / "ssda903"


def test_generation_is_reproducible():
    assert generate_returns() == generate_returns()
    assert generate_benchmarks() == generate_benchmarks()


def test_committed_files_are_the_generated_ones():
    files = generate_returns()
    committed = {str(p.relative_to(RAW)): p.read_text(encoding="utf-8") for p in RAW.rglob("*") if p.is_file()}
    assert committed == files
    assert (REPO / "raw" / "adoption_scorecards" / BENCHMARK_FILE).read_text(encoding="utf-8") == generate_benchmarks()


def test_one_folder_per_year_2009_to_2024_and_small():
    years = sorted({p.split("/")[0] for p in generate_returns()})
    assert years == [str(y) for y in range(2009, 2025)]
    assert sum(p.stat().st_size for p in RAW.rglob("*") if p.is_file()) < 1_000_000


def test_child_identifiers_are_synthetic():
    ids = set()
    for path, text in generate_returns().items():
        if path.endswith(".csv"):
            ids |= {line.split(",", 1)[0] for line in text.splitlines()[1:]}
        else:
            ids |= set(re.findall(r"<CHILDID>([^<]*)</CHILDID>", text))
    assert ids and all(re.fullmatch(r"C\d{6}", i) for i in ids)
