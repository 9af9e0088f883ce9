"""`switchboard chat` in a real terminal: a `you>` prompt, and one Ctrl-C ends it cleanly."""

from __future__ import annotations

import os
import pty
import signal
import subprocess
import sys
import time
from pathlib import Path

from tests.switchboard.test_cli import _env, _run


def _read_until(fd: int, wanted: str, timeout: float = 60.0) -> str:
    seen = ""
    deadline = time.monotonic() + timeout
    while wanted not in seen:
        if time.monotonic() > deadline:
            raise AssertionError(f"{wanted!r} never came; saw {seen!r}")
        try:
            chunk = os.read(fd, 4096).decode("utf-8", "replace")
        except OSError:
            break
        seen += chunk
    return seen


def test_prompt_answer_and_one_ctrl_c(tmp_path: Path) -> None:
    env = _env(f"sqlite:///{tmp_path / 'chat.db'}")
    env["SWITCHBOARD_CACHE_DIR"] = str(tmp_path / "cache")
    assert _run(["db", "upgrade"], env).returncode == 0
    assert _run(["demo", "load"], env).returncode == 0
    leader, follower = pty.openpty()
    chat = subprocess.Popen(
        [sys.executable, "-m", "switchboard.cli.main", "chat", "--as", "cus_maria"],
        stdin=follower,
        stdout=follower,
        stderr=follower,
        env=env,
        close_fds=True,
        start_new_session=True,
    )
    os.close(follower)
    try:
        _read_until(leader, "you> ")
        os.write(leader, b"where is my order?\n")
        answer = _read_until(leader, "you> ")
        assert "served by" in answer
        chat.send_signal(signal.SIGINT)
        assert chat.wait(timeout=30) == 0
        rest = _read_until(leader, "bye", timeout=5)
        assert "Traceback" not in answer + rest
    finally:
        if chat.poll() is None:
            chat.kill()
        os.close(leader)
