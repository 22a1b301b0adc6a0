"""Plain Python helpers (no Dagster decorators): readers, parsers, rules, publication."""
