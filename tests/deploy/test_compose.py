"""docker-compose.yml stays a valid, complete deployment (no Docker engine needed)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from switchboard.knowledge.importer import demo_kb
from switchboard.settings import Settings


def test_compose_file_is_complete(repo_root: Path) -> None:
    compose = yaml.safe_load((repo_root / "docker-compose.yml").read_text())
    services = compose["services"]
    assert {"db", "migrate", "app", "proxy"} <= set(services)
    assert services["app"]["deploy"]["replicas"] >= 2
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


def test_empty_variables_from_compose_mean_not_set(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in (
        "TELEGRAM_BOT_TOKEN",
        "SLACK_BOT_TOKEN",
        "SWITCHBOARD_ADMIN_TOKEN",
        "SWITCHBOARD_LLM_MODEL",
        "SWITCHBOARD_WEBCHAT_ALLOWED_ORIGINS",
    ):
        monkeypatch.setenv(name, "")
    settings = Settings()
    assert settings.telegram_bot_token is None and settings.slack_bot_token is None
    assert settings.admin_token is None and not settings.llm_configured


def test_image_runs_as_a_non_root_user(repo_root: Path) -> None:
    dockerfile = (repo_root / "Dockerfile").read_text()
    assert "USER switchboard" in dockerfile and dockerfile.count("FROM ") == 2


def test_demo_load_in_the_image_finds_the_help_pages(
    repo_root: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The image installs a wheel (no demo/ beside the package) and copies demo/kb into
    its working directory, where the importer looks when there is no checkout."""
    dockerfile = (repo_root / "Dockerfile").read_text()
    assert "COPY --chown=switchboard demo/kb ./demo/kb" in dockerfile
    assert dockerfile.index("WORKDIR /home/switchboard") < dockerfile.index("./demo/kb")
    (tmp_path / "demo" / "kb").mkdir(parents=True)
    monkeypatch.chdir(tmp_path)
    assert demo_kb(tmp_path / "site-packages") == tmp_path / "demo" / "kb"
    assert demo_kb(repo_root) == repo_root / "demo" / "kb"
