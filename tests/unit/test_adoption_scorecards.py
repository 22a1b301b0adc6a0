"""Published adoption scorecards: EES-shaped CSV, symbols, area levels, row rules."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipelines.lib.ingest.load import FileRejected
from pipelines.lib.reference.areas import LaLookup
from pipelines.lib.sources.adoption_scorecards import parse_scorecard_file

LOOKUP = LaLookup.from_rows([{"la_code": "865", "ons_code": "E06000054"}, {"la_code": "866", "ons_code": "E06000030"}])
HEADER = (
    "time_period,geographic_level,country_code,region_code,region_name,old_la_code,new_la_code,la_name,indicator,"
    "value,children"
)


def test_published_rows(tmp_path):
    path = tmp_path / "scorecards.csv"
    path.write_text(
        "\n".join(
            [
                HEADER,
                "2011,National,E92000001,,,,,,A1,636,3050",
                "2011,Regional,E92000001,E12000009,South West,,,,a10,601.5,",
                "2011,Local authority,E92000001,E12000009,,,E06000030,Swindon,A2,c,c",
                "2011,Local authority,E92000001,E12000009,,865,,Wiltshire,A3,55.2,40",
                "2011,Local authority,E92000001,E12000009,,865,,Wiltshire,A3,56,40",
                "2011/12,Local authority,E92000001,E12000009,,865,,Wiltshire,A1,500,40",
                "2011,Local authority,E92000001,E12000009,,999,,Nowhere,A1,500,40",
                "2011,Local authority,E92000001,E12000009,,865,,Wiltshire,A4,500,40",
                "2011,Local authority,E92000001,E12000009,,865,,Wiltshire,A1,lots,40",
            ]
        )
        + "\n",
        encoding="utf-8",
    )
    [table] = parse_scorecard_file(path, LOOKUP)
    assert [
        (
            r["geographic_level"],
            r["area_code"],
            r["la_code"],
            r["indicator"],
            r["value"],
            r["status_symbol"],
            r["children"],
        )
        for r in table.rows
    ] == [
        ("national", "E92000001", None, "A1", "636", None, "3050"),
        ("regional", "E12000009", None, "A10", "601.5", None, None),
        ("local_authority", "866", "866", "A2", None, "c", None),
        ("local_authority", "865", "865", "A3", "55.2", None, "40"),
    ]
    assert [(r.row_number, r.column) for r in table.rejections] == [
        (6, "indicator"),
        (7, "time_period"),
        (8, "old_la_code"),
        (9, "indicator"),
        (10, "value"),
    ]
    assert "duplicate" in table.rejections[0].reason


def test_not_a_scorecard_file(tmp_path):
    path = tmp_path / "x.csv"
    path.write_text("a,b\n1,2\n", encoding="utf-8")
    with pytest.raises(FileRejected, match="expected columns time_period, geographic_level, indicator, value"):
        parse_scorecard_file(path, LOOKUP)


def test_sample_benchmarks_parse_cleanly():
    path = Path(__file__).resolve().parents[2] / "raw" / "adoption_scorecards" / "synthetic_published_scorecards.csv"
    [table] = parse_scorecard_file(path, LaLookup.from_rows([{"la_code": c} for c in ("866", "803", "800")]))
    assert table.rejections == [] and table.rows_loaded == table.rows_read == 280


def test_an_la_threshold_list_in_raw_reference(tmp_path):
    from pipelines.lib.reference.lists import parse_reference_file

    path = tmp_path / "thresholds.csv"
    path.write_text(
        "period_end_year,scorecard_code,threshold,threshold_unit,verified\n"
        "2016,A1,400,days,yes\n2016,a3,13,,\n2016,A3,12,months,no\n2016,A2,120,months,no\n"
        "16,A9,-1,,maybe\n",
        encoding="utf-8",
    )
    [table] = parse_reference_file(path)
    assert table.table_name == "reference_adoption_thresholds"
    assert [
        (r["period_end_year"], r["scorecard_code"], r["threshold"], r["threshold_unit"], r["verified"])
        for r in table.rows
    ] == [("2016", "A1", "400", "days", "true"), ("2016", "A3", "13", "months", "false")]
    assert [(r.row_number, r.column) for r in table.rejections] == [
        (4, "scorecard_code"),
        (5, "threshold_unit"),
        (6, "period_end_year"),
        (6, "scorecard_code"),
        (6, "threshold"),
        (6, "verified"),
    ]
