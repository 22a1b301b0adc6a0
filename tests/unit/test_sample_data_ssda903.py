"""The synthetic SSDA903 sample: reproducible, committed as generated, small, synthetic identifiers."""

from __future__ import annotations

import itertools
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


def _episodes_by_child() -> dict[str, list[dict]]:
    """Every episode of the sample's CSV returns, by child, each once (the latest return's copy), in DECOM order."""
    import csv
    import io

    from pipelines.lib.ingest.parsing import parse_date

    episodes: dict[tuple[str, str], dict] = {}
    for path, text in sorted(generate_returns().items()):
        if path.endswith("episodes.csv"):
            for row in csv.DictReader(io.StringIO(text)):
                episodes[(row["CHILD"], row["DECOM"])] = row
    by_child: dict[str, list[dict]] = {}
    for (child, _decom), row in episodes.items():
        by_child.setdefault(child, []).append(row)
    for rows in by_child.values():
        rows.sort(key=lambda r: parse_date(r["DECOM"]))
    return by_child


def test_rne_is_written_as_a_case_management_system_would():
    by_child = _episodes_by_child()
    placements = {(r["PLACE"], r["RNE"]) for rows in by_child.values() for r in rows if r["PLACE"].startswith("A")}
    # with the current foster carers (A3, A5): the carers stay, T or U; with new adopters (A4, A6): P or B
    assert {rne for place, rne in placements if place in ("A3", "A5")} == {"T", "U"}
    assert {rne for place, rne in placements if place in ("A4", "A6")} == {"P", "B"}
    for rows in by_child.values():
        for before, row in itertools.pairwise(rows):
            if row["RNE"] in ("L", "U", "B"):  # the legal status changes
                assert row["LS"] != before["LS"], row
            if row["RNE"] in ("L", "T", "U"):  # the same carers: the same home
                assert row["PL_POST"] == before["PL_POST"], row
    broke_down = [
        child
        for child, rows in by_child.items()
        if [r["PLACE"][0] for r in rows if r["RNE"] != "S"].count("A") >= 2
        and any(r["PLACE"].startswith("U") and b["PLACE"] == "A6" for b, r in itertools.pairwise(rows))
    ]
    assert len(broke_down) >= 3  # placements with adopters that broke down before the adopting family's


def test_no_sample_row_breaks_a_rule(tmp_path):
    from pipelines.lib.sources.ssda903 import parse_ssda903_file

    for relative, text in generate_returns().items():
        path = tmp_path / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        for table in parse_ssda903_file(path, root=tmp_path, home_la="865", key="k"):
            assert table.rejections == [], (relative, table.rejections[:3])
