"""`switchboard intents retrain` as a user runs it: staff corrections stored in the database
are folded into a small policy's model, before/after is printed, and the engine's next
start loads the retrained model from the cache instead of training."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from graph.intents import IntentClassifier
from graph.policy import load_policy
from storage.corrections import record_correction, training_pairs
from storage.db import create_engine, session_factory, transaction
from switchboard.engine.classifier_cache import cache_path, load_classifier
from tests.support.databases import DatabaseFactory
from tests.support.processes import clean_env
from tests.support.rows import add_traced_turns

POLICY = {
    "intents": {
        "order_status": {
            "route": "workflow:faq",  # the routes do not matter here: the model does
            "examples": [
                "where is my order",
                "track my package",
                "when will my order arrive",
                "has my order shipped yet",
                "what is the delivery status",
            ],
        },
        "refund_request": {
            "route": "human",
            "examples": [
                "I want a refund",
                "give me my money back",
                "please refund my purchase",
                "can I return this for a refund",
                "I would like to be reimbursed",
            ],
        },
        "greeting": {
            "route": "workflow:greeting",
            "examples": ["hello", "hi there", "good morning", "hey", "thanks, bye"],
        },
    }
}
# What customers wrote about the shop's own product (words no model knows) and staff
# labelled as refund requests.
CORRECTED = [
    "my zorblax is kaput",
    "the zorblax went kaput",
    "zorblax kaput again",
    "kaput zorblax, sort it out",
    "zorblax totally kaput",
    "our zorblax is kaput now",
    "zorblax has gone kaput",
]


@pytest.fixture
def policy_path(tmp_path: Path) -> Path:
    path = tmp_path / "policy.yaml"
    path.write_text(yaml.safe_dump(POLICY), encoding="utf-8")
    return path


def _retrain(
    database_url: str, policy: Path, cache: Path, *args: str
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "switchboard.cli.main", "intents", "retrain", *args],
        env=clean_env(
            SWITCHBOARD_DATABASE_URL=database_url,
            SWITCHBOARD_POLICY=str(policy),
            SWITCHBOARD_CACHE_DIR=str(cache),
        ),
        capture_output=True,
        text=True,
        timeout=180,
    )


async def _store_corrections(database_url: str, texts: list[str], intent: str) -> None:
    """Turns the model got wrong, each labelled by staff in Slack."""
    engine = create_engine(database_url)
    try:
        async with transaction(session_factory(engine)) as session:
            for trace in await add_traced_turns(session, texts, chat_id="retrain"):
                assert trace.id is not None
                await record_correction(
                    session, trace_id=trace.id, intent=intent, labelled_by="UALEX", source="slack"
                )
    finally:
        await engine.dispose()


async def test_retrain_folds_corrections_in_and_the_engine_loads_the_result(
    sqlite_databases: DatabaseFactory, policy_path: Path, tmp_path: Path
) -> None:
    url = sqlite_databases.fresh()
    await _store_corrections(url, CORRECTED, "refund_request")
    await _store_corrections(url, ["the zorblax is a lovely colour"], "weather")  # not an intent
    cache, out = tmp_path / "cache", tmp_path / "retrained.npz"

    result = _retrain(url, policy_path, cache, "--out", str(out))

    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert "corrections folded in: 7" in lines
    assert "held-out corrections: 2" in lines
    scores = next(line for line in lines if line.startswith("accuracy before:"))
    before, after = (float(x) for x in re.findall(r"([\d.]+)%", scores))
    assert after == 100.0 and before < after, scores
    assert "left out 1 corrections to intents the policy no longer has" in lines
    assert f"saved to {out}" in lines

    policy = load_policy(policy_path)
    retrained = IntentClassifier.load(out)
    assert retrained.predict(CORRECTED[0]).intent == "refund_request"

    # The engine's start: the same corrections read from the database → the cached file.
    cached = cache_path(cache, policy, [(t, "refund_request") for t in CORRECTED])
    assert f"model for the engine: {cached} (used from the next start)" in lines
    engine = create_engine(url)
    try:
        sessions = session_factory(engine)
        async with sessions() as session:
            assert len(await training_pairs(session)) == 8
        loaded = await load_classifier(policy, cache, sessions)
    finally:
        await engine.dispose()
    assert list(cache.glob("*.npz")) == [cached]  # loaded, not trained again
    assert loaded.predict("my zorblax went kaput yesterday").intent == "refund_request"


def test_retrain_fails_in_one_line_without_a_database_or_with_a_bad_out_path(
    sqlite_databases: DatabaseFactory, policy_path: Path, tmp_path: Path
) -> None:
    nowhere = f"sqlite:///{tmp_path / 'missing' / 'nothing.db'}"
    result = _retrain(nowhere, policy_path, tmp_path / "cache")
    assert result.returncode == 2
    assert result.stderr.strip().count("\n") == 0, result.stderr
    assert "switchboard db upgrade" in result.stderr

    url = sqlite_databases.fresh()
    result = _retrain(url, policy_path, tmp_path / "cache", "--out", str(tmp_path / "no/x.npz"))
    assert result.returncode == 2
    assert (
        result.stderr.strip()
        == f"--out {tmp_path / 'no/x.npz'}: the folder {tmp_path / 'no'} does not exist"
    )

    result = _retrain(url, tmp_path / "missing.yaml", tmp_path / "cache")
    assert result.returncode == 2
    assert result.stderr.strip().count("\n") == 0 and "SWITCHBOARD_POLICY" in result.stderr
