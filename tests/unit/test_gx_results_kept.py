"""Great Expectations results do not pile up: each suite keeps its newest results and Data Docs pages."""

from __future__ import annotations

import pandas as pd

from expectations.runner import data_docs_index, keep_recent_results, validate_frame


def _suite():
    import great_expectations as gx

    return gx.ExpectationSuite(
        name="raw_things",
        expectations=[gx.expectations.ExpectColumnValuesToNotBeNull(column="a", meta={"check": "a present"})],
    )


def _results(project_dir):
    return sorted((project_dir / "gx" / "uncommitted" / "validations" / "raw_things").glob("*/*"))


def test_each_suite_keeps_its_newest_results_and_pages(tmp_path, monkeypatch):
    monkeypatch.setattr("expectations.runner.KEEP_RESULTS", 2)
    frame = pd.DataFrame({"a": [1, 2]})
    seen = set()
    for _ in range(4):
        assert [o.passed for o in validate_frame(frame, _suite(), tmp_path, asset_name="raw_things")] == [True]
        seen |= {r.name for r in _results(tmp_path)}
    kept = _results(tmp_path)
    assert len(kept) == 2
    pages = sorted(
        (tmp_path / "gx" / "uncommitted" / "data_docs" / "local_site" / "validations" / "raw_things").glob("*/*")
    )
    assert [p.name for p in pages] == [r.name for r in kept]
    index = data_docs_index(tmp_path).read_text()
    assert all(r.name in index for r in kept)
    assert len(seen) == 4 and not any(name in index for name in seen - {r.name for r in kept})


def test_keeping_removes_only_the_oldest(tmp_path):
    root = tmp_path / "gx" / "uncommitted" / "validations" / "s" / "__none__"
    for stamp in ("20261101T000000.000000Z", "20261102T000000.000000Z", "20261103T000000.000000Z"):
        (root / stamp).mkdir(parents=True)
    removed = keep_recent_results(tmp_path, "s", keep=2)
    assert [p.name for p in removed] == ["20261101T000000.000000Z"]
    assert sorted(p.name for p in root.iterdir()) == ["20261102T000000.000000Z", "20261103T000000.000000Z"]
