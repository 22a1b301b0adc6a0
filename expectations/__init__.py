"""Great Expectations suites, written in code, and the runner that validates DuckDB data with them.

Suites are built by plain functions so they can be read, reviewed and tested like any code.
GX is imported only inside the functions that use it (the import takes seconds).
"""
