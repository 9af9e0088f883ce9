"""The evaluation report, the out-of-scope curve, file training and staff corrections."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from graph.intents import evaluate, evaluate_file, format_report, train_classifier
from graph.intents.corrections import format_retrain_report, retrain_with_corrections
from graph.intents.training import ExamplesFileError, train_from_file

from .test_classifier import LABELS, TEXTS

BANKING77 = Path(__file__).resolve().parents[3].parent / "shared" / "datasets" / "banking77"


def test_report_has_every_figure() -> None:
    classifier = train_classifier(TEXTS, LABELS)
    texts = ["where's my package", "double charge on my card", "hello", "refund please"]
    labels = ["order_status", "billing_issue", "greeting", "refund_request"]
    report = evaluate(
        classifier, [*texts, "what's the tallest tree"], [*labels, "oos"], train_seconds=0.5
    )
    assert report.examples == 4
    assert report.accuracy >= 0.75 and 0.0 < report.macro_f1 <= 1.0
    assert {s.intent for s in report.per_intent} == set(labels)
    assert report.predictions_per_second > 0 and report.single_prediction_ms > 0
    # At threshold 0 nothing is refused; the higher the threshold, the more OOS caught.
    recalls = [p.out_of_scope_recall for p in report.out_of_scope]
    assert report.out_of_scope[0].threshold == 0.0 and recalls[0] == 0.0
    assert recalls == sorted(recalls)
    text = format_report(report)
    for heading in ("accuracy", "macro-F1", "predictions/s", "out of scope", "training"):
        assert heading in text


def _write(path: Path, rows: list[tuple[str, str]]) -> Path:
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["text", "category"])
        writer.writerows(rows)
    return path


def test_train_and_evaluate_files(tmp_path: Path) -> None:
    data = _write(tmp_path / "train.csv", list(zip(TEXTS, LABELS, strict=True)))
    result = train_from_file(data, tmp_path / "model.npz")
    assert result.examples == len(TEXTS) and (tmp_path / "model.npz").exists()
    report = evaluate_file(tmp_path / "model.npz", data)
    assert report.accuracy > 0.9


def test_a_file_without_the_columns_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "bad.csv"
    path.write_text("sentence,label_x\nhi,greeting\n")
    with pytest.raises(ExamplesFileError, match="text,category"):
        train_from_file(path)


def test_staff_corrections_are_folded_in() -> None:
    corrections = [
        ("my voucher code doesn't work", "billing_issue"),
        ("the promo code was rejected at checkout", "billing_issue"),
        ("discount code not accepted", "billing_issue"),
        ("coupon is invalid", "billing_issue"),
        ("your voucher failed", "billing_issue"),
        ("my gift card code is not working", "billing_issue"),
    ]
    report = retrain_with_corrections(
        TEXTS, LABELS, corrections, held_out_share=0.34, method="ngram"
    )
    assert report.corrections == 6
    assert report.before is not None and report.after is not None
    assert report.after.accuracy >= report.before.accuracy
    assert report.classifier.predict("voucher code rejected").intent == "billing_issue"
    assert "before" in format_retrain_report(report)


@pytest.mark.skipif(not BANKING77.exists(), reason=f"no banking77 copy at {BANKING77}")
def test_banking77_subset_end_to_end() -> None:
    from graph.intents import read_examples

    texts, labels = read_examples(BANKING77 / "train.csv")
    test_texts, test_labels = read_examples(BANKING77 / "test.csv")
    # n-grams only: the cascade on this subset costs ~20 s, too slow for the suite.
    classifier = train_classifier(texts[::5], labels[::5], method="ngram")  # 2,000 rows
    report = evaluate(classifier, test_texts[::4], test_labels[::4])
    assert len(classifier.intents) == 77
    assert report.accuracy > 0.8
