-- Every LA value of marts.indicator_values with its benchmarks: England, region, statistical neighbours'
-- mean and median, rank and quartile band by polarity, threshold and RAG (macros/indicator_benchmarks.sql
-- defines each statistic). For the performance team; outside it use published_indicator_benchmarks.
{{ indicator_benchmarks('indicator_values') }}
