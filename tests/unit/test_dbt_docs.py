"""dbt docs are made again only when the dbt project changed."""

import shutil

from pipelines.lib.config import DBT_PROJECT_DIR
from pipelines.lib.outputs.dbt_docs import project_fingerprint


def test_the_fingerprint_follows_the_project_files(tmp_path):
    project = tmp_path / "dbt_project"
    shutil.copytree(DBT_PROJECT_DIR / "models", project / "models")
    (project / "dbt_project.yml").write_text((DBT_PROJECT_DIR / "dbt_project.yml").read_text())
    first = project_fingerprint(project)
    assert project_fingerprint(project) == first
    (project / "target").mkdir()
    (project / "target" / "manifest.json").write_text("{}")  # build output is not an input
    assert project_fingerprint(project) == first
    model = next((project / "models").rglob("*.sql"))
    model.write_text(model.read_text() + "\n-- changed\n")
    assert project_fingerprint(project) != first
