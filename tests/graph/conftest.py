"""Fixtures for conversation tests: the default policy with its classifier trained once,
variants of it written on demand, and an in-process conversation driven through the real
engine (no HTTP: the property test runs hundreds of turns)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest
import yaml

from graph.intents import train_classifier
from graph.policy import Policy
from tests.graph.conversation import DEFAULT_POLICY, merge
from tests.support.fake_openai import FakeOpenAI, run_fake_openai

PolicyFile = Callable[..., Path]


@pytest.fixture
async def fake_llm() -> AsyncIterator[FakeOpenAI]:
    """A scripted OpenAI-compatible server on 127.0.0.1 (tests/support/fake_openai.py)."""
    async with run_fake_openai() as fake:
        yield fake


@pytest.fixture(scope="session")
def policy_file(tmp_path_factory: pytest.TempPathFactory) -> PolicyFile:
    """`policy_file(dialogue={"idle_minutes": 0.01})`: the default policy with overrides,
    sharing one trained intent model (training takes seconds, loading milliseconds)."""
    folder = tmp_path_factory.mktemp("dialogue-policy")
    base = yaml.safe_load(DEFAULT_POLICY.read_text(encoding="utf-8"))
    model = folder / "intents.npz"
    train_classifier(*Policy.model_validate(base).training_data()).save(model)
    base.setdefault("classifier", {})["model_path"] = str(model)
    made: dict[str, Path] = {}

    def write(**overrides: Any) -> Path:
        key = yaml.safe_dump(overrides, sort_keys=True)
        if key not in made:
            path = folder / f"policy_{len(made)}.yaml"
            path.write_text(yaml.safe_dump(merge(base, overrides)), encoding="utf-8")
            made[key] = path
        return made[key]

    return write


@pytest.fixture
def open_app() -> Callable[..., Any]:
    from switchboard.app import create_app

    @asynccontextmanager
    async def start(settings: Any) -> AsyncIterator[Any]:
        app = create_app(settings)
        async with app.router.lifespan_context(app):
            yield app.state.runtime

    return start
