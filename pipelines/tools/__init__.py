"""Command-line tools run by developers, not by the pipeline (for example seed extraction)."""
