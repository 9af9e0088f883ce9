"""The first customer after start waits no longer than the next: the sentence encoders
(intent classifier, knowledge base) are loaded at start, not on the first message."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

PROBE = """
import asyncio, pathlib, sys, time, httpx
from tests.support.databases import DatabaseFactory
from tests.conftest import make_settings, open_webchat
from tests.support.server import run_server

async def main():
    url = DatabaseFactory("sqlite", pathlib.Path(sys.argv[1])).fresh()
    async with run_server(make_settings(url)) as live, httpx.AsyncClient(
        base_url=live.url, timeout=60
    ) as http:
        for text in ("how long does shipping take?", "what is your return policy?"):
            visitor = await open_webchat(http)
            started = time.perf_counter()
            await visitor.say(text)
            print(round((time.perf_counter() - started) * 1000))

asyncio.run(main())
"""


def test_the_first_answer_is_as_quick_as_the_second(tmp_path: Path, repo_root: Path) -> None:
    # A fresh process: nothing loaded by earlier tests.
    run = subprocess.run(
        [sys.executable, "-c", PROBE, str(tmp_path)],
        cwd=repo_root,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    first, second = (int(line) for line in run.stdout.splitlines() if line.strip().isdigit())
    # Loading an encoder on the first turn cost 300-500 ms; a turn is tens of ms.
    assert first < second * 3 + 150, (first, second)
