"""Every setting is in the README's configuration table."""

from __future__ import annotations

from pathlib import Path

from switchboard.settings import Settings


def test_every_variable_is_documented(repo_root: Path) -> None:
    readme = (repo_root / "README.md").read_text(encoding="utf-8")
    table = readme[readme.index("## Configuration") :]
    table = table[: table.index("\n## ", 5)]
    missing = [
        str(field.validation_alias)
        for field in Settings.model_fields.values()
        if f"`{field.validation_alias}`" not in table
    ]
    assert missing == []
