"""Banking77 benchmark: accuracy, macro-F1, training time, predictions/s, the speed and
accuracy of each deferral threshold, and the out-of-scope trade-off.

Out of scope is simulated: a quarter of the intents (chosen at random, fixed seed) are
removed from training, and their test messages must fall below the confidence threshold.
Nothing here is tuned on the test split; it is only measured.

Then the multilingual set: the demo policy (its examples in five languages) trained with
the encoder it ships with, measured per language on hand-written held-out messages
(`held_out_languages.csv`, which chose the encoder, and `held_out_languages_b.csv`, which
did not), zero-shot (the policy's English examples only) and with its translations.
"""

from __future__ import annotations

import argparse
import random
import time
from pathlib import Path

from bench.intents.encoders import HERE, LANGUAGES, per_language
from graph.intents import evaluate, format_report, read_examples, train_classifier
from graph.intents.embedding import encoder_for

DEFAULT_DATA = Path(__file__).resolve().parents[2].parent / "shared" / "datasets" / "banking77"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="train.csv + test.csv")
    parser.add_argument("--method", default="auto", choices=["auto", "ngram", "cascade"])
    parser.add_argument("--held-out-share", type=float, default=0.25)
    parser.add_argument("--skip-banking77", action="store_true", help="multilingual set only")
    args = parser.parse_args()
    if not args.skip_banking77:
        banking77(args)
    multilingual()


def multilingual() -> None:
    encoder = encoder_for(LANGUAGES)
    print(f"\n== demo policy, encoder {encoder}: accuracy per language on held-out messages")
    print(f"  {'set':28} {'examples':9} " + " ".join(f"{c:>6}" for c in LANGUAGES))
    for name in ("held_out_languages.csv", "held_out_languages_b.csv"):
        for english_only in (True, False):
            scores = per_language(encoder, english_only, HERE / name)
            print(
                f"  {name:28} {'en only' if english_only else 'all':9} "
                + " ".join(f"{scores[c]:6.1%}" for c in LANGUAGES)
            )


def banking77(args: argparse.Namespace) -> None:
    train_texts, train_labels = read_examples(args.data / "train.csv")
    test_texts, test_labels = read_examples(args.data / "test.csv")

    start = time.perf_counter()
    classifier = train_classifier(train_texts, train_labels, method=args.method)
    seconds = time.perf_counter() - start
    print(f"== banking77, method {classifier.method}")
    report = evaluate(classifier, test_texts, test_labels, train_seconds=seconds)
    print(format_report(report, per_intent=False))

    if classifier.semantic is not None:
        print("\n== deferral threshold: accuracy vs speed (batch and single message)")
        for threshold in (0.0, 0.5, 0.6, 0.7, 0.8, 0.9, 1.01):
            classifier.defer_below = threshold
            r = evaluate(classifier, test_texts, test_labels)
            print(
                f"  defer below {threshold:4.2f}: accuracy {r.accuracy:.2%}"
                f"  {r.predictions_per_second:6,.0f}/s  single {r.single_prediction_ms:.2f} ms"
            )

    intents = sorted(set(train_labels))
    unknown = set(random.Random(0).sample(intents, round(len(intents) * args.held_out_share)))
    known = [(t, y) for t, y in zip(train_texts, train_labels, strict=True) if y not in unknown]
    oos_classifier = train_classifier(
        [t for t, _ in known], [y for _, y in known], method=args.method
    )
    in_scope = [(t, y) for t, y in zip(test_texts, test_labels, strict=True) if y not in unknown]
    oos = [t for t, y in zip(test_texts, test_labels, strict=True) if y in unknown]
    print(f"\n== out of scope: {len(unknown)} intents held out of training ({len(oos)} messages)")
    oos_report = evaluate(
        oos_classifier,
        [t for t, _ in in_scope],
        [y for _, y in in_scope],
        out_of_scope_texts=oos,
    )
    lines = format_report(oos_report, per_intent=False).split("\n")
    print("\n".join(lines[lines.index("") :] if "" in lines else lines))


if __name__ == "__main__":
    main()
