"""One folder per stage or source; each exposes ``defs``."""
