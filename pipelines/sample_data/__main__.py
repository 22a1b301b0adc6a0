"""Regenerate all sample data: ``python -m pipelines.sample_data [RAW_DIR]`` (default: the repo's ``raw/``)."""

from __future__ import annotations

import sys
from pathlib import Path

from pipelines.lib.ingest.pseudonymise import write_sample_manifest
from pipelines.sample_data.case_audits import write_case_audit_samples
from pipelines.sample_data.ofsted import write_ofsted_samples
from pipelines.sample_data.schools import write_school_samples
from pipelines.sample_data.ssda903 import write_ssda903_samples

GENERATORS = [write_ofsted_samples, write_case_audit_samples, write_school_samples, write_ssda903_samples]
DEFAULT_RAW_DIR = Path(__file__).resolve().parents[2] / "raw"


def main(argv: list[str]) -> int:
    raw_dir = Path(argv[0]) if argv else DEFAULT_RAW_DIR
    for generate in GENERATORS:
        for path in generate(raw_dir):
            print(path)
    print(write_sample_manifest(raw_dir))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
