-- The benchmarks of marts.indicator_benchmarks computed from published_indicator_values only (after
-- disclosure control): a suppressed value has no rank or band and counts in no neighbour mean, median or
-- rank_of, so nothing suppressed can be worked back from a published benchmark. The committee report and
-- the Excel export use this table.
{{ indicator_benchmarks('published_indicator_values') }}
