"""The dbt resource starts a dbt step without the two costs dagster-dbt pays by default and this project does
not use: asking the executable for its version, and opening a dbt adapter in the Dagster process."""

from __future__ import annotations

import dagster_dbt.core.resource as dagster_dbt_resource
import pytest
from dbt.version import __version__ as dbt_version
from packaging import version

from pipelines.definitions import defs
from pipelines.defs.transform import DBT_EXECUTABLE, WarehouseDbtCliResource


def test_the_dbt_resource_knows_its_version_without_running_dbt(monkeypatch):
    monkeypatch.setattr(dagster_dbt_resource, "check_output", lambda *args, **kwargs: pytest.fail(f"ran {args[0]}"))
    resource = defs.resources["dbt"]
    assert isinstance(resource, WarehouseDbtCliResource)
    assert resource.dbt_executable == DBT_EXECUTABLE
    assert resource._cli_version == version.parse(dbt_version)
    assert resource._initialize_dbt_core_adapter(["build"]) is None
