"""The synthetic case-audit export and the template: reproducible, as committed, and telling the intended story."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from python_calamine import CalamineWorkbook

from pipelines.lib.sources.case_audits import ACTIONS_TABLE, AUDITS_TABLE, THEMES_TABLE, parse_case_audit_file
from pipelines.sample_data.case_audits import (
    EXPORTED_ON,
    SAMPLE_NAME,
    TEMPLATE_ACTIONS_CSV,
    TEMPLATE_AUDITS_CSV,
    TEMPLATE_DIR,
    TEMPLATE_NAME,
    generate,
    write_case_audit_samples,
    write_case_audit_template,
)

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def generated(tmp_path_factory) -> Path:
    raw_dir = tmp_path_factory.mktemp("raw")
    write_case_audit_samples(raw_dir)
    return raw_dir / "case_audits"


@pytest.fixture(scope="module")
def sample():
    return generate()


def sheets(path: Path) -> dict[str, list]:
    wb = CalamineWorkbook.from_path(str(path))
    return {name: wb.get_sheet_by_name(name).to_python() for name in wb.sheet_names}


def test_generation_is_byte_reproducible(generated, tmp_path):
    write_case_audit_samples(tmp_path)
    assert (tmp_path / "case_audits" / SAMPLE_NAME).read_bytes() == (generated / SAMPLE_NAME).read_bytes()


def test_committed_sample_matches_fresh_generation(generated):
    assert sorted(p.name for p in (REPO / "raw" / "case_audits").iterdir()) == [SAMPLE_NAME]
    assert sheets(REPO / "raw" / "case_audits" / SAMPLE_NAME) == sheets(generated / SAMPLE_NAME)


def test_committed_template_matches_fresh_generation(tmp_path):
    write_case_audit_template(tmp_path)
    for name in (TEMPLATE_AUDITS_CSV, TEMPLATE_ACTIONS_CSV):
        assert (tmp_path / name).read_bytes() == (TEMPLATE_DIR / name).read_bytes()
    assert sheets(tmp_path / TEMPLATE_NAME) == sheets(TEMPLATE_DIR / TEMPLATE_NAME)


def test_sample_shape(sample):
    audits, actions = sample
    assert 450 <= len(audits) <= 550
    dates = [a[2] for a in audits]
    assert min(dates) >= dt.date(2012, 4, 1) and max(dates) <= dt.date(2012, 12, 31)
    assert len({(d.year, d.month) for d in dates}) == 9
    assert len({a[3] for a in audits}) == 4
    assert all(a[1].startswith("C") and len(a[1]) == 7 for a in audits), "synthetic child ids"
    assert len({a[1] for a in audits}) < len(audits), "some children are audited more than once"
    completed = [a for a in actions if a[5] is not None]
    assert any(a[5] > a[4] for a in completed), "some actions completed late"
    assert any(a[5] is None for a in actions), "some actions still open"
    assert all(a[5] <= EXPORTED_ON for a in completed)


def test_sample_parses_cleanly():
    tables = {
        t.table_name: t
        for t in parse_case_audit_file(
            REPO / "raw" / "case_audits" / SAMPLE_NAME, home_la="865", key="k", today=dt.date(2013, 2, 1)
        )
    }
    assert not any(t.rejections for t in tables.values())
    assert len(tables[AUDITS_TABLE.name].rows) == len(generate()[0])
    assert len(tables[ACTIONS_TABLE.name].rows) == len(generate()[1])
    assert {r["theme"] for r in tables[THEMES_TABLE.name].rows} == {
        "management_oversight",
        "assessment",
        "planning",
        "voice_of_child",
        "multi_agency",
    }


def test_sample_tells_a_story_of_improvement(sample):
    audits, actions = sample

    def share(rows, grades):
        return sum(r[6] in grades for r in rows) / len(rows)

    first = [a for a in audits if a[2] < dt.date(2012, 7, 1)]
    last = [a for a in audits if a[2] >= dt.date(2012, 10, 1)]
    assert share(last, {"Good", "Outstanding"}) > share(first, {"Good", "Outstanding"}) + 0.25
    assert share(last, {"Inadequate"}) < share(first, {"Inadequate"}) - 0.2

    def on_time(rows):
        return sum(r[5] is not None and r[5] <= r[4] for r in rows) / len(rows)

    assert (
        on_time([a for a in actions if a[4] >= dt.date(2012, 10, 1)])
        > on_time([a for a in actions if a[4] < dt.date(2012, 7, 1)]) + 0.25
    )
