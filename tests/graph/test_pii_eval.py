"""The labelled PII set (tests/graph/data/pii_eval.jsonl, made by `python -m bench.pii
generate`): precision and recall per type, printed; card numbers and IBANs must reach
100% recall at 99% precision or better."""

from __future__ import annotations

from bench.pii import evaluate, format_report, load


def test_precision_and_recall_per_type() -> None:
    rows = load()
    assert len(rows) >= 300
    assert sum(1 for r in rows if not r["pii"]) >= 100  # tricky negatives
    report = evaluate(rows)
    print("\n" + format_report(report, len(rows)))
    for kind in ("card", "iban"):
        assert report[kind]["recall"] == 1.0, kind
        assert report[kind]["precision"] >= 0.99, kind
    for kind in ("email", "phone", "national_id"):
        assert report[kind]["recall"] >= 0.9, kind
        assert report[kind]["precision"] >= 0.95, kind
