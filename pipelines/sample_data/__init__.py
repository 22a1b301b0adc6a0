"""Generators of the sample landing-folder files shipped in ``raw/``, built from small facts files."""
