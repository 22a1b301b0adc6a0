"""Reading landing files into DuckDB and loading them: the readers, the native CSV landing, the file and batch
loaders, the shapes shared by every source's rules, and pseudonymisation."""
