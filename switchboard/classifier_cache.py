"""Train the policy's intent classifier once, not at every start.

The model trained from the policy's examples is cached on disk under a key made of the
examples and the classifier's own source code, so a restart (or a second replica) loads
it in milliseconds, and any change to either trains a fresh one.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from pathlib import Path

import structlog

import graph.intents
from graph.intents import IntentClassifier, train_classifier
from graph.policy import Policy

log = structlog.get_logger(__name__)


def _code_fingerprint() -> str:
    digest = hashlib.sha256()
    for path in sorted(Path(graph.intents.__file__).parent.glob("*.py")):
        digest.update(path.read_bytes())
    return digest.hexdigest()


def cache_key(policy: Policy) -> str:
    texts, labels = policy.training_data()
    payload = json.dumps([texts, labels, _code_fingerprint()], ensure_ascii=False)
    return hashlib.sha256(payload.encode()).hexdigest()[:24]


def trained_for(policy: Policy, cache_dir: Path | None) -> IntentClassifier:
    """Load the cached model for this policy, or train it and cache it (atomically)."""
    texts, labels = policy.training_data()
    if cache_dir is None:
        return train_classifier(texts, labels)
    path = cache_dir / f"intents-{cache_key(policy)}.npz"
    if path.is_file():
        try:
            return IntentClassifier.load(path)
        except Exception:  # a damaged file is retrained, not fatal
            log.warning("classifier.cache_unreadable", path=str(path))
    classifier = train_classifier(texts, labels)
    try:
        cache_dir.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=cache_dir, suffix=".npz", delete=False) as handle:
            temporary = Path(handle.name)
        classifier.save(temporary)
        os.replace(temporary, path)  # readers never see half a file
    except OSError:
        log.warning("classifier.cache_not_writable", path=str(cache_dir))
    return classifier
