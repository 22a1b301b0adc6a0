"""The national-scale benchmark (``make bench``): a seeded generator, a plain-DuckDB baseline and the timings.

* :mod:`pipelines.bench.generate` writes a scaled, realistic landing folder (SSDA903 returns of many LAs,
  case-file audit exports, EES absence and exclusions files for every LA), reusing the sample generators.
* :mod:`pipelines.bench.baseline` does the same loads and the same model SQL straight in DuckDB (no
  Dagster, no dbt, no Great Expectations): the floor for this design.
* :mod:`pipelines.bench.__main__` runs both, measures the refreshes, memory and analyst queries, and
  prints the ``bench:`` line. See docs/performance.md.
"""
