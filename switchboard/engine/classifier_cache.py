"""Train the policy's intent classifier once, not at every start.

The model is trained from the policy's examples with the staff's stored intent
corrections folded in, with the sentence encoder its languages call for, and cached on
disk under a key made of that training set, the encoder and the classifier's own source
code: a restart (or a second replica) loads it in milliseconds,
and a change to any of them trains a fresh one. `switchboard intents retrain` writes the
file for the current corrections, so the next start finds it ready.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
import tempfile
from collections.abc import Sequence
from pathlib import Path

import structlog
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession

import graph.intents
from graph import acts
from graph.intents import IntentClassifier, train_classifier
from graph.intents.corrections import fold_in
from graph.intents.embedding import encoder_for, get_encoder
from graph.language import load_detectors
from graph.policy import Policy
from graph.replies import load_languages
from storage.corrections import training_pairs
from tools.kb_embedding import passage_encoder

log = structlog.get_logger(__name__)

Corrections = Sequence[tuple[str, str]]


def _code_fingerprint() -> str:
    digest = hashlib.sha256()
    for path in sorted(Path(graph.intents.__file__).parent.glob("*.py")):
        digest.update(path.read_bytes())
    return digest.hexdigest()


def usable_corrections(policy: Policy, corrections: Corrections) -> list[tuple[str, str]]:
    """Corrections to intents the policy still has (an intent removed from the policy
    takes its corrections out of training with it)."""
    return [(text, intent) for text, intent in corrections if intent in policy.intents]


def training_set(policy: Policy, corrections: Corrections = ()) -> tuple[list[str], list[str]]:
    texts, labels = policy.training_data()
    return fold_in(texts, labels, usable_corrections(policy, corrections))


def encoder_of(policy: Policy) -> str:
    """The semantic stage's encoder for this policy (multilingual when it speaks more
    than English)."""
    return encoder_for(policy.languages or [policy.language])


def cache_key(policy: Policy, corrections: Corrections = ()) -> str:
    texts, labels = training_set(policy, corrections)
    payload = json.dumps(
        [texts, labels, encoder_of(policy), _code_fingerprint()], ensure_ascii=False
    )
    return hashlib.sha256(payload.encode()).hexdigest()[:24]


def forget_cached_models(cache_dir: Path | None) -> int:
    """Delete every cached model (they retrain at the next start): after an erasure, a
    model trained with that customer's corrections still holds their words."""
    if cache_dir is None or not cache_dir.is_dir():
        return 0
    removed = 0
    for path in [*cache_dir.glob("intents-*.npz"), *cache_dir.glob("acts-*.npz")]:
        path.unlink(missing_ok=True)
        removed += 1
    return removed


def cache_path(cache_dir: Path, policy: Policy, corrections: Corrections = ()) -> Path:
    return cache_dir / f"intents-{cache_key(policy, corrections)}.npz"


def save_atomically(classifier: IntentClassifier, path: Path) -> None:
    """Write next to the target, then rename: a reader never sees half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile(dir=path.parent, suffix=".npz", delete=False) as handle:
        temporary = Path(handle.name)
    try:
        classifier.save(temporary)
        os.replace(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)


def trained_for(
    policy: Policy, cache_dir: Path | None, corrections: Corrections = ()
) -> IntentClassifier:
    """Load the cached model for this policy and these corrections, or train it and
    cache it."""
    texts, labels = training_set(policy, corrections)
    path = cache_path(cache_dir, policy, corrections) if cache_dir else None
    return _load_or_train(texts, labels, encoder_of(policy), path)


def acts_for(policy: Policy, cache_dir: Path | None) -> IntentClassifier:
    """The dialogue-act model (graph/acts.py) for the policy's languages and its own
    examples, cached like the intent model (its key: its examples, encoder and code)."""
    texts, labels = acts.training_data(policy.languages, policy.dialogue.acts)
    encoder = encoder_of(policy)
    path = None
    if cache_dir is not None:
        payload = json.dumps([texts, labels, encoder, _code_fingerprint()], ensure_ascii=False)
        key = hashlib.sha256(payload.encode()).hexdigest()[:24]
        path = cache_dir / f"acts-{key}.npz"
    return _load_or_train(texts, labels, encoder, path)


def _load_or_train(
    texts: list[str], labels: list[str], encoder: str, path: Path | None
) -> IntentClassifier:
    if path is None:
        return train_classifier(texts, labels, encoder=encoder)
    if path.is_file():
        try:
            return IntentClassifier.load(path)
        except Exception:  # a damaged file is retrained, not fatal
            log.warning("classifier.cache_unreadable", path=str(path))
    classifier = train_classifier(texts, labels, encoder=encoder)
    try:
        save_atomically(classifier, path)
    except OSError:
        log.warning("classifier.cache_not_writable", path=str(path.parent))
    return classifier


async def load_classifier(
    policy: Policy,
    cache_dir: Path | None = None,
    sessions: async_sessionmaker[AsyncSession] | None = None,
) -> IntentClassifier:
    """A trained model file from the policy, used as it is; else the policy's examples
    with the staff's corrections from the database folded in, trained once and cached
    (in a thread: training is CPU work and must not block the event loop)."""
    if policy.classifier.model_path is not None:
        return await asyncio.to_thread(IntentClassifier.load, policy.classifier.model_path)
    labelled: list[tuple[str, str]] = []
    if sessions is not None:
        async with sessions() as session:
            labelled = await training_pairs(session)
        if labelled:
            log.info("classifier.corrections", stored=len(labelled))
    return await asyncio.to_thread(trained_for, policy, cache_dir, labelled)


def warm_up(classifier: IntentClassifier, languages: Sequence[str] = ()) -> None:
    """Load at start what the first turn would otherwise load (the sentence encoders of
    the classifier and of the knowledge base), so the first customer waits no longer
    than the next."""
    classifier.predict("hello")
    load_detectors(languages)
    load_languages(list(languages) or ["en"])
    if classifier.semantic is not None:  # the n-grams are sure of "hello": load it anyway
        get_encoder(classifier.encoder_id).encode(["hello"])
    encoder = passage_encoder()
    if encoder is not None:
        encoder.encode_one("hello")
