"""dbt docs for analysts: every model and column of the warehouse, generated into the data folder.

``dbt docs generate --static --no-compile`` runs against the working warehouse opened read-only (the
``docs`` target of profiles.yml) - inside a refresh, after ``dbt build`` and one step at a time, so no other
process holds the file - with its own target path under ``$CSW_DATA_DIR/dbt_docs/target`` (the project's
``target/`` folder, which Dagster reads, is left alone; its manifest.json is copied in, as --no-compile
writes none). The catalog (every table, view and column with its type) is read from the warehouse.
``$CSW_DATA_DIR/dbt_docs/index.html`` is the self-contained page (manifest and catalog inside): open it in a
browser, no server needed. It is made again only when the dbt project changed (a fingerprint of its files beside
the page).
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from pipelines.lib.config import DBT_PROJECT_DIR, Settings


@dataclass(frozen=True)
class DocsResult:
    index: Path
    models: int
    sources: int
    columns: int
    regenerated: bool = True


DOCS_INPUTS = ("models", "macros", "seeds", "tests", "dbt_project.yml", "profiles.yml")


def project_fingerprint(project_dir: Path = DBT_PROJECT_DIR) -> str:
    """Hash of what the docs show: the dbt project's files and the dbt version (the warehouse's tables and
    columns follow from them)."""
    # dbt itself is imported only when the docs are made (seconds of imports a refresh may not need)
    from dbt.version import __version__ as dbt_version

    digest = hashlib.sha256(dbt_version.encode())
    for name in DOCS_INPUTS:
        path = project_dir / name
        files = sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]
        for file in files:
            if file.exists():
                digest.update(file.relative_to(project_dir).as_posix().encode())
                digest.update(file.read_bytes())
    return digest.hexdigest()


def docs_dir(settings: Settings) -> Path:
    return settings.data_dir / "dbt_docs"


def generate_docs(settings: Settings, dbt_executable: str | None = None, timeout: float = 900) -> DocsResult:
    """Run ``dbt docs generate`` and publish its static page; raises RuntimeError with dbt's last lines.

    Skipped (regenerated False) when the page exists and the project is unchanged since it was made."""
    out = docs_dir(settings)
    target = out / "target"
    target.mkdir(parents=True, exist_ok=True)
    fingerprint = project_fingerprint()
    stamp = out / "fingerprint"
    index = out / "index.html"
    if (
        index.exists()
        and (target / "catalog.json").exists()
        and stamp.exists()
        and stamp.read_text().strip() == fingerprint
    ):
        return _result(index, target, regenerated=False)
    stamp.unlink(missing_ok=True)
    # --no-compile writes no manifest.json but --static reads one from the target path: the project's own
    # (prepared by `dbt parse` in make setup, the one Dagster's assets are built from) is the same project.
    project_manifest = DBT_PROJECT_DIR / "target" / "manifest.json"
    if project_manifest.exists():
        shutil.copyfile(project_manifest, target / "manifest.json")
    dbt = dbt_executable or str(Path(sys.executable).parent / "dbt")
    env = {**os.environ, "CSW_WORK_DB": str(settings.work_db), "DBT_SEND_ANONYMOUS_USAGE_STATS": "false"}
    done = subprocess.run(
        [
            dbt,
            "docs",
            "generate",
            "--static",
            "--no-compile",
            "--target",
            "docs",
            "--profiles-dir",
            str(DBT_PROJECT_DIR),
            "--project-dir",
            str(DBT_PROJECT_DIR),
            "--target-path",
            str(target),
            "--log-path",
            str(out / "logs"),
        ],
        cwd=DBT_PROJECT_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    static = target / "static_index.html"
    if done.returncode != 0 or not static.exists():
        tail = "\n".join((done.stdout + done.stderr).strip().splitlines()[-15:])
        raise RuntimeError(f"dbt docs generate failed (exit {done.returncode}):\n{tail}")
    tmp = out / "index.html.tmp"
    shutil.copyfile(static, tmp)
    os.replace(tmp, index)
    stamp.write_text(fingerprint)
    return _result(index, target, regenerated=True)


def _result(index: Path, target: Path, regenerated: bool) -> DocsResult:
    catalog = json.loads((target / "catalog.json").read_text())
    nodes = catalog.get("nodes", {})
    return DocsResult(
        index=index,
        models=sum(1 for k in nodes if k.startswith("model.")),
        sources=len(catalog.get("sources", {})),
        columns=sum(len(n.get("columns", {})) for n in nodes.values()),
        regenerated=regenerated,
    )
