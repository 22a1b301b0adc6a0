import datetime as dt
import os

import duckdb

from pipelines.lib.operations.freshness import FreshnessRule, evaluate
from pipelines.lib.operations.landing import diff_snapshots, dump_snapshot, load_snapshot, source_of, take_snapshot


def test_snapshot_sees_new_changed_unchanged_and_removed_files(tmp_path):
    (tmp_path / "ofsted").mkdir()
    (tmp_path / "ofsted" / "a.csv").write_text("x")
    (tmp_path / "ofsted" / "b.csv").write_text("y")
    (tmp_path / "ofsted" / ".~lock.a.csv#").write_text("lock")
    first = take_snapshot(tmp_path)
    assert set(first) == {"ofsted/a.csv", "ofsted/b.csv"}
    assert not diff_snapshots(first, take_snapshot(tmp_path))

    (tmp_path / "ofsted" / "a.csv").write_text("xx")
    os.utime(tmp_path / "ofsted" / "b.csv", ns=(0, 10**18))
    (tmp_path / "ssda903" / "2012").mkdir(parents=True)
    (tmp_path / "ssda903" / "2012" / "episodes.csv").write_text("z")
    (tmp_path / "ofsted" / "b.csv").unlink()
    changes = diff_snapshots(first, take_snapshot(tmp_path))
    assert changes.added == ("ssda903/2012/episodes.csv",)
    assert changes.changed == ("ofsted/a.csv",)
    assert changes.removed == ("ofsted/b.csv",)
    assert changes.sources() == {"ofsted", "ssda903"}


def test_a_touched_file_counts_as_changed(tmp_path):
    (tmp_path / "ofsted").mkdir()
    path = tmp_path / "ofsted" / "a.csv"
    path.write_text("x")
    before = take_snapshot(tmp_path)
    os.utime(path, ns=(path.stat().st_atime_ns, path.stat().st_mtime_ns + 1_000_000))
    assert diff_snapshots(before, take_snapshot(tmp_path)).changed == ("ofsted/a.csv",)


def test_snapshots_round_trip_and_bad_cursors_mean_empty():
    snap = {"ofsted/a.csv": (1, 2)}
    assert load_snapshot(dump_snapshot(snap)) == snap
    assert load_snapshot(None) == {} and load_snapshot("not json") == {} and load_snapshot("[1]") == {}
    assert source_of("ssda903/865/2012/e.csv") == "ssda903" and source_of("loose.csv") == ""


RULE = FreshnessRule("audits", "monthly", 35, "select max(cast(d as date)) from raw.t", ("t",))


def test_freshness_is_judged_on_the_newest_data():
    con = duckdb.connect()
    assert evaluate(con, RULE, dt.date(2013, 1, 1)).newest is None
    con.execute(
        "create schema raw; create table raw.t (d varchar); insert into raw.t values ('2012-12-31'), ('2012-01-01')"
    )
    fresh = evaluate(con, RULE, dt.date(2013, 2, 4))
    assert (fresh.newest, fresh.age_days, fresh.stale) == (dt.date(2012, 12, 31), 35, False)
    stale = evaluate(con, RULE, dt.date(2013, 2, 5))
    assert stale.stale and "36 days old" in stale.describe() and "monthly" in stale.describe()
