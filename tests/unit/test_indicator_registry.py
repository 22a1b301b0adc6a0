"""The indicator registry: one row per indicator produced, every row documented, dbt docs carry its text."""

import re

import pytest

from pipelines.lib.config import DBT_PROJECT_DIR
from pipelines.tools import indicator_docs

UNITS = {"days", "%", "count", "rate per 100", "grade"}
POLARITIES = {"higher is better", "lower is better", "no polarity"}


@pytest.fixture(scope="module")
def registry():
    return indicator_docs.read_registry()


def test_the_dbt_docs_blocks_are_generated_from_the_registry():
    """Run `python -m pipelines.tools.indicator_docs` after editing the registry."""
    assert indicator_docs.DOCS.read_text(encoding="utf-8") == indicator_docs.render(indicator_docs.read_registry())


def test_every_registry_row_is_documented(registry):
    assert registry
    codes = [r["indicator_code"] for r in registry]
    assert len(codes) == len(set(codes))
    for row in registry:
        assert set(indicator_docs.FIELDS) <= set(row), row
        assert all((row[f] or "").strip() for f in indicator_docs.FIELDS), row["indicator_code"]
        assert row["unit"] in UNITS and row["polarity"] in POLARITIES, row["indicator_code"]
        assert len(row["definition"]) >= 20


def test_adoption_definitions_time_the_move_in_with_the_adoptive_family(registry):
    """indicators.md placed_date: the move-in with the family that adopted the child, not the first placement for
    adoption (one that broke down is not the adoptive family's)."""
    adoption = {r["indicator_code"]: r["definition"] for r in registry if r["indicator_code"].startswith("adoption_")}
    assert {"adoption_a1_days", "adoption_a3_pct", "adoption_a10_days"} <= set(adoption)
    assert all("first placement" not in text.lower() for text in adoption.values())
    assert "moved in with the family that adopted it" in adoption["adoption_a1_days"]
    assert "broke down" in adoption["adoption_a1_days"]


def test_every_registry_row_is_in_the_docs_block(registry):
    text = indicator_docs.DOCS.read_text(encoding="utf-8")
    for row in registry:
        assert f"| {row['indicator_code']} | " in text
        assert " ".join(row["definition"].split()).replace("|", "\\|") in text


def test_every_indicator_code_a_model_writes_is_registered(registry):
    """Static check beside the dbt relationships test: literal codes in the domain models' SQL."""
    codes = {r["indicator_code"] for r in registry}
    written = set()
    for path in (DBT_PROJECT_DIR / "models" / "intermediate").rglob("int_indicator_values__*.sql"):
        text = path.read_text()
        written |= set(re.findall(r"'([a-z0-9_]+)' as indicator_code", text))
        written |= set(
            re.findall(
                r"\('([a-z][a-z0-9_]+_(?:rate|pct|days|rank|completed|needed|permanent|"
                r"suspensions|15pct))'",
                text,
            )
        )
        written |= set(re.findall(r"select\s+'([a-z0-9_]+)',", text))
    assert written, "no indicator codes found in the domain models"
    assert written <= codes, f"not in the registry: {sorted(written - codes)}"


def test_rendered_cells_escape_pipes_and_jinja():
    text = indicator_docs.render(
        [
            {
                "indicator_code": "x",
                "title": "a | b",
                "domain": "d",
                "unit": "%",
                "polarity": "no polarity",
                "definition": "uses {{ braces }} here",
                "source": "s",
            }
        ]
    )
    assert "a \\| b" in text and "{% raw %}" in text and "{% endraw %}" in text
