"""docker-compose.yml stays a valid, complete deployment (no Docker engine needed)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from switchboard.settings import Settings


def test_compose_file_is_complete(repo_root: Path) -> None:
    compose = yaml.safe_load((repo_root / "docker-compose.yml").read_text())
    services = compose["services"]
    assert {"db", "migrate", "app"} <= set(services)
    env = services["app"]["environment"]
    assert env["SWITCHBOARD_DATABASE_URL"].startswith("postgresql+psycopg://")
    known = {str(f.validation_alias) for f in Settings.model_fields.values()}
    assert set(env) <= known, set(env) - known


@pytest.mark.skipif(
    not (shutil.which("docker-compose") or shutil.which("docker")), reason="no compose client"
)
def test_compose_config_validates(repo_root: Path) -> None:
    command = ["docker-compose"] if shutil.which("docker-compose") else ["docker", "compose"]
    result = subprocess.run(
        [*command, "config"], cwd=repo_root, capture_output=True, text=True, timeout=60
    )
    if "unknown command" in result.stderr:
        pytest.skip("docker client without the compose plugin")
    assert result.returncode == 0, result.stderr
