"""The refresh's run history (Dagster's sqlite files): events are committed without an fsync and without a
checkpoint each, and everything is back to sqlite's defaults, and on disk, when the run ends."""

from __future__ import annotations

import sqlalchemy as sa

from pipelines.cli import _lighter_run_history


def _engine(path):
    return sa.create_engine(f"sqlite:///{path}", poolclass=sa.pool.NullPool)


def test_run_history_is_lighter_during_the_run_and_whole_after(tmp_path):
    path = tmp_path / "runs.db"
    with _engine(path).connect() as conn:
        conn.execute(sa.text("PRAGMA journal_mode=WAL"))
        conn.execute(sa.text("create table events (n integer)"))
        conn.commit()

    with _lighter_run_history() as kept_open:
        for n in range(3):
            with _engine(path).connect() as conn:
                assert conn.execute(sa.text("PRAGMA synchronous")).scalar() == 1  # NORMAL
                conn.execute(sa.text("insert into events values (:n)"), {"n": n})
                conn.commit()
        # the WAL was not checkpointed away when Dagster's connections closed: one connection holds it open
        assert list(kept_open) == [str(path)]
        assert (tmp_path / "runs.db-wal").exists()

    assert not (tmp_path / "runs.db-wal").exists()  # checkpointed into the file when the run ended
    with _engine(path).connect() as conn:
        assert conn.execute(sa.text("PRAGMA synchronous")).scalar() == 2  # FULL, sqlite's default again
        assert conn.execute(sa.text("select count(*) from events")).scalar() == 3
