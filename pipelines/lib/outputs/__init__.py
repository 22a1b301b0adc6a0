"""What a refresh makes for people: the committee report and its charts, the benchmarks workbook, the quality
page, the dbt docs, the summary on the terminal, and the publication of the warehouse."""
