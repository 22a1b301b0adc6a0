"""No input file can stop the refresh: batches of seeded mutated copies of the sample and public files.

Each batch is the whole sample landing folder plus mutated copies (tests/reliability/mutations.py): the refresh
must publish, every file must be in the published ``quality.load_log`` once, its rows accounted for, and its
quarantined rows and cells counted alike in the log and in ``quality.rejected_rows``.
"""

import pytest

from pipelines.lib.ingest.load import discover_files
from tests.conftest import FIXTURES, SAMPLE_RAW, copy_sample
from tests.integration.pipeline import query, refresh
from tests.reliability.mutations import kinds_for, seeds, write_batch

pytestmark = pytest.mark.slow

BATCHES = (1507, 2203)  # seeds: a failure names its seed, so it can be reproduced with write_batch
PER_BATCH = 54


def test_the_corpus_covers_every_kind_and_source():
    all_seeds = seeds(SAMPLE_RAW, FIXTURES if FIXTURES.is_dir() else None)
    assert {s.source for s in all_seeds} >= {
        "ofsted",
        "case_audits",
        "school_absence",
        "school_exclusions",
        "ssda903",
        "adoption_scorecards",
    }
    kinds = {kind for s in all_seeds for kind in kinds_for(s.path)}
    assert kinds >= {
        "truncate",
        "flip_bytes",
        "nuls",
        "drop_column",
        "duplicate_column",
        "shuffle_columns",
        "utf16",
        "huge_cell",
        "stray_quotes",
        "mixed_line_ends",
        "squash_values",
        "garble_numbers",
    }


@pytest.mark.parametrize("seed", BATCHES)
def test_a_batch_of_mutated_files_never_stops_the_refresh(seed, warehouse_dirs, monkeypatch, capsys):
    raw, _data = warehouse_dirs
    monkeypatch.setenv("CSW_PSEUDONYM_KEY", "mutation-test-key")
    copy_sample(raw, *sorted(p.name for p in SAMPLE_RAW.iterdir() if p.is_dir()))
    mutated = write_batch(raw, seeds(SAMPLE_RAW, FIXTURES if FIXTURES.is_dir() else None), PER_BATCH, seed)
    capsys.readouterr()
    status = refresh()
    out = capsys.readouterr()
    assert status == 0, f"batch {seed}: {out.err.strip()}\n{out.out}"
    assert "WARNING: step" not in out.err, f"batch {seed}: {out.err.strip()}"  # reports made too

    logged = query("select file_path, count(*) from quality.load_log group by 1")
    files = {str(p) for source in raw.iterdir() if source.is_dir() for p in discover_files(source)}
    assert {path for path, _n in logged} >= files, f"batch {seed}: files not in quality.load_log"
    assert all(n == 1 for _path, n in logged)
    assert len(mutated) == PER_BATCH and set(map(str, mutated)) <= files
    unaccounted = query(
        "select file_path, rows_read, rows_loaded, rows_rejected from quality.load_log "
        "where status <> 'unchanged' and rows_read <> rows_loaded + rows_rejected"
    )
    assert unaccounted == [], f"batch {seed}"
    miscounted = query("""
        select log.file_path, log.cells_quarantined, count(rejected.file_path)
        from quality.load_log as log left join quality.rejected_rows as rejected using (source, file_path)
        group by all having log.cells_quarantined <> count(rejected.file_path)""")
    assert miscounted == [], f"batch {seed}"
    reasons = query(
        "select coalesce(reason, '') from quality.load_log union all select reason from quality.rejected_rows"
    )
    assert not [r for (r,) in reasons if "Traceback" in r]
    # the good files of every source still published
    assert query("select count(*) from marts.inspection_judgements")[0][0] > 0
    assert query("select count(*) from marts.adoption_journeys")[0][0] > 0
    assert query("select count(*) from marts.school_statistics_long")[0][0] > 0
