"""Settings from the environment, read when a run needs them (never at import)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
DB_FILE_NAME = "children_services.duckdb"
DEFAULT_HOME_LA = "865"
DBT_PROJECT_DIR = REPO_ROOT / "dbt_project"
# DuckDB's memory (its default: 80% of the machine) in the refresh process and in dbt's: bounded so that memory
# does not grow with the data (larger loads, joins and aggregates spill to disk). dbt runs while the refresh
# process waits for it holding about 600 MB of its own (Dagster, GX, pandas, pyarrow), so dbt's cap is the
# lower: together they keep a whole refresh within 1.5 GiB at the bench's default scale, where 1 GB each took
# it to 1.8 GiB for about 7% less time (docs/performance.md). dbt's profile reads its cap from
# MEMORY_LIMIT_ENV, which the dbt asset sets.
WORK_MEMORY_LIMIT = "640MB"
DBT_MEMORY_LIMIT = "576MB"
MEMORY_LIMIT_ENV = "CSW_DUCKDB_MEMORY_LIMIT"


@dataclass(frozen=True)
class Settings:
    """Where the landing folder and the data folder are, and whose child-level returns these are."""

    raw_dir: Path
    data_dir: Path
    home_la: str
    pseudonym_key: str | None

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        """Read CSW_RAW_DIR, CSW_DATA_DIR, CSW_HOME_LA and CSW_PSEUDONYM_KEY, with the contract's defaults."""
        env = os.environ if env is None else env
        return cls(
            raw_dir=Path(env.get("CSW_RAW_DIR") or REPO_ROOT / "raw").resolve(),
            data_dir=Path(env.get("CSW_DATA_DIR") or REPO_ROOT / "data").resolve(),
            home_la=(env.get("CSW_HOME_LA") or DEFAULT_HOME_LA).strip(),
            pseudonym_key=env.get("CSW_PSEUDONYM_KEY") or None,
        )

    @property
    def work_db(self) -> Path:
        """The working warehouse: written by ingest and dbt, never opened by analysts."""
        return self.data_dir / "work" / DB_FILE_NAME

    @property
    def published_db(self) -> Path:
        """The published warehouse analysts and BI tools open."""
        return self.data_dir / DB_FILE_NAME

    @property
    def data_docs_dir(self) -> Path:
        """Great Expectations project (suites, results, Data Docs) for this data folder."""
        return self.data_dir / "gx"

    @property
    def reports_dir(self) -> Path:
        return self.data_dir / "reports"
