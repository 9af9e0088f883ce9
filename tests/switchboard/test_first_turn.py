"""The first customer after start waits no longer than the next: the sentence encoders
(intent classifier, knowledge base) and the language detectors are loaded at start, not
on the first message. Counted, not timed: nothing may be loaded during the first turns."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

PROBE = """
import asyncio, json, pathlib, sys, httpx, onnxruntime
from graph import language
from graph.intents import embedding
from tests.support.databases import DatabaseFactory
from tests.conftest import make_settings, open_webchat
from tests.support.server import run_server

sessions = []
original = onnxruntime.InferenceSession.__init__
def counted(self, *args, **kwargs):
    sessions.append(str(args[0])[-60:] if args else "?")
    original(self, *args, **kwargs)
onnxruntime.InferenceSession.__init__ = counted

def loads():
    return {
        "detectors": language._detector.cache_info().misses,
        "encoders": embedding.get_encoder.cache_info().misses,
        "onnx_sessions": len(sessions),
    }

async def main():
    url = DatabaseFactory("sqlite", pathlib.Path(sys.argv[1])).fresh()
    async with run_server(make_settings(url)) as live, httpx.AsyncClient(
        base_url=live.url, timeout=60
    ) as http:
        at_start = loads()
        for text in (
            "how long does shipping take?",
            "¿Cuánto tarda el envío a Madrid?",
            "Olá, gostaria de saber onde está a minha encomenda",
        ):
            visitor = await open_webchat(http)
            await visitor.say(text)
        print(json.dumps({"at_start": at_start, "after_turns": loads()}))

asyncio.run(main())
"""


def test_nothing_is_loaded_during_the_first_turns(tmp_path: Path, repo_root: Path) -> None:
    # A fresh process: nothing loaded by earlier tests.
    run = subprocess.run(
        [sys.executable, "-c", PROBE, str(tmp_path)],
        cwd=repo_root,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    counts = json.loads(run.stdout.strip().splitlines()[-1])
    assert counts["at_start"]["encoders"] >= 1 and counts["at_start"]["detectors"] >= 1
    assert counts["after_turns"] == counts["at_start"], counts
