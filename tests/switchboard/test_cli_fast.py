"""`switchboard --help` answers at once: the heavy libraries load only where used."""

from __future__ import annotations

import subprocess
import sys

HEAVY = ("langgraph", "sqlalchemy", "sklearn", "langchain_core", "onnxruntime", "numpy")


def test_the_command_line_loads_no_heavy_library() -> None:
    probe = f"import sys, switchboard.cli.main; print(','.join(m for m in {HEAVY!r} if m in sys.modules))"
    loaded = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, timeout=60, check=True
    )
    assert loaded.stdout.strip() == ""
    helped = subprocess.run(
        [sys.executable, "-m", "switchboard.cli.main", "--help"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert helped.returncode == 0 and "staff" in helped.stdout
