"""The policy's intent model is trained once and reused until the examples change."""

from __future__ import annotations

from pathlib import Path

from graph.intents.embedding import MINILM, USE_MULTILINGUAL
from graph.policy import load_policy
from switchboard.engine.classifier_cache import cache_key, encoder_of, trained_for
from switchboard.settings import DEFAULT_POLICY, load_settings


def test_trained_once_then_loaded_and_retrained_when_examples_change(tmp_path: Path) -> None:
    policy = load_policy(DEFAULT_POLICY)
    first = trained_for(policy, tmp_path)
    [cached] = list(tmp_path.glob("intents-*.npz"))
    again = trained_for(policy, tmp_path)
    assert again.predict("where is my order?").intent == first.predict("where is my order?").intent
    assert list(tmp_path.glob("intents-*.npz")) == [cached]

    changed = policy.model_copy(deep=True)
    changed.intents["greeting"].examples.append("howdy partner")
    assert cache_key(changed) != cache_key(policy)
    trained_for(changed, tmp_path)
    assert len(list(tmp_path.glob("intents-*.npz"))) == 2


def test_a_damaged_cache_file_is_retrained(tmp_path: Path) -> None:
    policy = load_policy(DEFAULT_POLICY)
    (tmp_path / f"intents-{cache_key(policy)}.npz").write_bytes(b"not a model")
    assert trained_for(policy, tmp_path).predict("hello").intent == "greeting"


def test_empty_cache_dir_setting_disables_the_cache() -> None:
    assert load_settings(SWITCHBOARD_CACHE_DIR="").cache_dir is None


def test_staff_corrections_are_part_of_the_key() -> None:
    policy = load_policy(DEFAULT_POLICY)
    corrected = [("my zorblax is kaput", "refund_request")]
    assert cache_key(policy, []) == cache_key(policy)  # no corrections: the same model
    assert cache_key(policy, corrected) != cache_key(policy)
    # A correction to an intent the policy no longer has is not trained on.
    assert cache_key(policy, [*corrected, ("sunny today", "weather")]) == cache_key(
        policy, corrected
    )


def test_the_policy_languages_choose_the_encoder_and_are_part_of_the_key() -> None:
    policy = load_policy(DEFAULT_POLICY)
    english_only = policy.model_copy(deep=True)
    english_only.languages = ["en"]
    assert encoder_of(english_only) == MINILM
    assert encoder_of(policy) == USE_MULTILINGUAL
    assert cache_key(english_only) != cache_key(policy)


def test_warm_up_reads_each_languages_number_and_date_data() -> None:
    """The first turn in a policy language must not wait for babel's locale data (tens of
    ms, once per process, and far more on a busy loop). Swedish: no other test loads it."""
    import babel.localedata

    from graph.replies import load_languages

    babel.localedata._cache.pop("sv", None)  # babel's cache of loaded locales
    load_languages(["en", "sv"])
    assert "sv" in babel.localedata._cache
