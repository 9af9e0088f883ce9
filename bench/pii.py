"""PII recognisers: a generated, labelled message set and precision/recall per type.

    python -m bench.pii generate   # rewrite tests/graph/data/pii_eval.jsonl (seeded)
    python -m bench.pii            # precision / recall per type on that file

Each line is {"text", "pii": [{"type", "value"}]}. Values are generated valid (Luhn,
mod-97, real numbering plans, national check digits); the negatives are what a support
inbox is full of and a careless recogniser flags: order and invoice numbers, dates,
amounts, parcel tracking codes, card numbers with a typo (Luhn fails), IBANs with wrong
check digits, handles that are not e-mail addresses.
"""

from __future__ import annotations

import json
import random
import re
import sys
from pathlib import Path
from typing import Any

import phonenumbers
from stdnum import iban as stdnum_iban
from stdnum import luhn
from stdnum.es import ccc, dni
from stdnum.fr import nir
from stdnum.nl import bsn

from graph.pii import PII_TYPES, detect

DATA = Path(__file__).resolve().parent.parent / "tests" / "graph" / "data" / "pii_eval.jsonl"

CARD_PREFIXES = {"visa": ("4", 16), "mc": ("51", 16), "mc2": ("2221", 16), "amex": ("37", 15)}
CARD_PREFIXES |= {"disc": ("6011", 16), "visa13": ("4", 13), "maestro": ("6759", 19)}
IBAN_COUNTRIES = {"DE": "{8}{10}", "FR": "{5}{5}{11}{2}", "NL": "ABNA{10}", "GB": "NWBK{6}{8}"}
IBAN_COUNTRIES |= {"ES": "ccc", "IT": "X{5}{5}{12}", "BE": "be"}
PHONE_REGIONS = ("US", "GB", "DE", "FR", "NL", "ES", "IT")


def _digits(rng: random.Random, n: int) -> str:
    return "".join(rng.choice("0123456789") for _ in range(n))


def card(rng: random.Random) -> str:
    prefix, length = rng.choice(list(CARD_PREFIXES.values()))
    body = prefix + _digits(rng, length - len(prefix) - 1)
    number = body + luhn.calc_check_digit(body)
    style = rng.choice(["plain", "spaced", "dashed"])
    if style == "plain" or length not in (16,):
        return (
            number
            if style == "plain" or length != 15
            else f"{number[:4]} {number[4:10]} {number[10:]}"
        )
    sep = " " if style == "spaced" else "-"
    return sep.join(number[i : i + 4] for i in range(0, 16, 4))


def bad_card(rng: random.Random) -> str:
    good = re.sub(r"\D", "", card(rng))
    last = str((int(good[-1]) + rng.randint(1, 9)) % 10)
    return " ".join(re.findall(".{1,4}", good[:-1] + last))


def iban(rng: random.Random, *, valid: bool = True) -> str:
    country, shape = rng.choice(list(IBAN_COUNTRIES.items()))
    if shape == "ccc":  # Spain's BBAN carries its own check digits
        bank, branch, account = _digits(rng, 4), _digits(rng, 4), _digits(rng, 10)
        bban = bank + branch + ccc.calc_check_digits(bank + branch + "00" + account) + account
    elif shape == "be":  # so does Belgium's (mod 97 of the first ten), from a real bank
        first = rng.choice(["001", "068", "310", "363", "735", "063", "132"]) + _digits(rng, 7)
        bban = first + f"{int(first) % 97 or 97:02d}"
    else:
        bban = re.sub(r"\{(\d+)\}", lambda m: _digits(rng, int(m.group(1))), shape)
    check = stdnum_iban.calc_check_digits(f"{country}00{bban}")
    if not valid:
        check = f"{(int(check) + rng.randint(1, 50)) % 97 + 2:02d}"
    number = f"{country}{check}{bban}"
    if rng.random() < 0.6:
        return " ".join(re.findall(".{1,4}", number))
    return number


def email(rng: random.Random) -> str:
    first = rng.choice(["maria", "sam.lee", "j.smith", "anna-k", "tom_b", "li.wei", "noor"])
    domain = rng.choice(["example.com", "mail.co.uk", "post.de", "web-mail.fr", "acme.io"])
    tag = rng.choice(["", "", "+support", str(rng.randint(1, 99))])
    return f"{first}{tag}@{domain}"


def phone(rng: random.Random) -> str:
    region = rng.choice(PHONE_REGIONS)
    kind = rng.choice(
        [phonenumbers.PhoneNumberType.MOBILE, phonenumbers.PhoneNumberType.FIXED_LINE]
    )
    example = phonenumbers.example_number_for_type(region, kind)
    national = str(example.national_number)
    for _ in range(20):  # vary the subscriber digits while staying a valid number
        digits = national[:-4] + _digits(rng, 4)
        number = phonenumbers.parse(f"+{example.country_code}{digits}")
        if phonenumbers.is_valid_number(number):
            break
    else:
        number = example
    fmt = rng.choice(
        [
            phonenumbers.PhoneNumberFormat.INTERNATIONAL,
            phonenumbers.PhoneNumberFormat.E164,
            phonenumbers.PhoneNumberFormat.NATIONAL,  # "030 123456", "(201) 555-0123"
        ]
    )
    return phonenumbers.format_number(number, fmt)


def national_id(rng: random.Random) -> tuple[str, str]:
    """(value, the words that introduce it)"""
    kind = rng.choice(["ssn", "dni", "nir", "bsn", "nino"])
    if kind == "ssn":
        return (
            f"{rng.randint(100, 665)}-{rng.randint(10, 99)}-{rng.randint(1000, 9999)}",
            "my SSN is",
        )
    if kind == "dni":
        body = _digits(rng, 8)
        return body + dni.calc_check_digit(body), "mi DNI es"
    if kind == "nir":
        body = f"{rng.choice('12')}{_digits(rng, 2)}{rng.randint(1, 12):02d}75{_digits(rng, 6)}"
        return body + nir.calc_check_digits(body), "my social security number (NIR) is"
    if kind == "nino":
        letters = rng.choice(["AB", "CE", "JG", "PR", "TW"])
        return (
            f"{letters} {_digits(rng, 2)} {_digits(rng, 2)} {_digits(rng, 2)} {rng.choice('ABCD')}",
            ("national insurance number"),
        )
    while True:
        candidate = str(rng.randint(100000000, 999999999))
        if bsn.is_valid(candidate):
            return candidate, "my BSN is"


POSITIVE = [
    ("card", "My card number is {v}, please check the charge.", card),
    ("card", "charged twice on {v} yesterday!!", card),
    ("card", "Can you refund to card {v} instead of the old one", card),
    ("iban", "Please refund to my IBAN {v} thanks", iban),
    ("iban", "bank account: {v}", iban),
    ("iban", "Send the money to {v}. Order 1042.", iban),
    ("email", "you can reach me at {v}", email),
    ("email", "My e-mail changed to {v}, order #4471 still shows the old one", email),
    ("phone", "Call me on {v} after 5pm", phone),
    ("phone", "my phone number is {v}", phone),
    ("phone", "please text {v} when the parcel ships", phone),
    ("phone", "{v} is the best way to get me", phone),  # no cue word: national form is missed
    ("email", "(cc: {v})", email),
    ("card", "card:{v}.", card),
    ("iban", "iban {v}", lambda r: iban(r).lower()),
]
NEGATIVE = [
    lambda r: f"Where is order {r.randint(1000, 99999)}?",
    lambda r: f"Order #{r.randint(100000, 9999999)} arrived damaged",
    lambda r: f"Invoice INV-{r.randint(2019, 2026)}-{r.randint(1, 99999):05d} is wrong",
    lambda r: (
        f"I paid €{r.randint(1, 2500)},{r.randint(0, 99):02d} on {r.randint(1, 28):02d}.{r.randint(1, 12):02d}.2026"
    ),
    lambda r: (
        f"Delivery was promised for {r.randint(2024, 2026)}-{r.randint(1, 12):02d}-{r.randint(1, 28):02d} at {r.randint(8, 20)}:{r.randint(0, 59):02d}"
    ),
    lambda r: f"Tracking code 1Z{r.randint(100, 999)}AA1{_digits(r, 8)} shows nothing",
    lambda r: "UPS tracking 1Z999AA10123456784 says delivered",
    lambda r: f"USPS tracking {' '.join(re.findall('.{1,4}', '9400' + _digits(r, 18)))}",
    lambda r: f"FedEx tracking number {_digits(r, 12)}",
    lambda r: f"DHL shipment JD0146{_digits(r, 14)}",
    lambda r: f"My card {bad_card(r)} was declined, is that the wrong number?",
    lambda r: f"Is {iban(r, valid=False)} a valid IBAN? The bank says no.",
    lambda r: (
        f"Ping @{r.choice(['maria', 'support', 'acme'])} on twitter about order {r.randint(1000, 9999)}"
    ),
    lambda r: (
        f"I was charged {r.randint(10, 999)}.{r.randint(0, 99):02d} USD twice, ref {r.randint(10000000, 99999999)}"
    ),
    lambda r: f"Version {r.randint(1, 9)}.{r.randint(0, 20)}.{r.randint(0, 99)} of the app crashes",
    lambda r: f"Postcode {r.randint(10000, 99999)}, house number {r.randint(1, 200)}",
    lambda r: (
        f"My customer number is {r.randint(100000, 999999)} and the ticket SB-{r.randint(1000, 9999)}"
    ),
    lambda r: (
        f"Between {r.randint(1, 12)}/{r.randint(1, 28)}/2026 and {r.randint(1, 12)}/{r.randint(1, 28)}/2026 I ordered {r.randint(2, 9)} items"
    ),
    lambda r: f"Send the file report_{r.randint(2020, 2026)}.pdf to the team",
    lambda r: f"Quantity {r.randint(1, 500)} x {r.randint(1, 99)}.99 = too much",
    lambda r: f"I called about order {r.randint(10000000, 99999999)} twice already",
    lambda r: (
        f"The text said order {r.randint(2024, 2026)}{r.randint(1, 12):02d}{r.randint(1, 28):02d}-{r.randint(1, 999)} shipped"
    ),
    lambda r: f"Contact reference {_digits(r, 10)} from your letter",
    lambda r: (
        f"my card ending in {_digits(r, 4)} expires {r.randint(1, 12):02d}/{r.randint(26, 31)}"
    ),
]


def generate(seed: int = 16, positives: int = 220, negatives: int = 200) -> list[dict[str, Any]]:
    rng = random.Random(seed)
    rows: list[dict[str, Any]] = []
    for _ in range(positives):
        kind, template, make = rng.choice(POSITIVE)
        value = make(rng)
        rows.append({"text": template.format(v=value), "pii": [{"type": kind, "value": value}]})
    for _ in range(40):  # national ids and mixed messages
        value, words = national_id(rng)
        rows.append(
            {
                "text": f"For verification, {words} {value}.",
                "pii": [{"type": "national_id", "value": value}],
            }
        )
    for _ in range(30):
        c, m, p = card(rng), email(rng), phone(rng)
        rows.append(
            {
                "text": f"Order {rng.randint(1000, 9999)}: card {c}, mail {m}, phone {p}",
                "pii": [
                    {"type": "card", "value": c},
                    {"type": "email", "value": m},
                    {"type": "phone", "value": p},
                ],
            }
        )
    for _ in range(negatives):
        rows.append({"text": rng.choice(NEGATIVE)(rng), "pii": []})
    rng.shuffle(rows)
    return rows


def _norm(kind: str, value: str) -> str:
    return value.lower() if kind == "email" else re.sub(r"[^0-9A-Za-z]", "", value).upper()


def evaluate(rows: list[dict[str, Any]]) -> dict[str, dict[str, float]]:
    """Per type: true positives, false positives, false negatives, precision, recall."""
    stats = {t: {"tp": 0, "fp": 0, "fn": 0} for t in PII_TYPES}
    for row in rows:
        gold = {(p["type"], _norm(p["type"], p["value"])) for p in row["pii"]}
        found = {(f.type, _norm(f.type, f.value)) for f in detect(row["text"])}
        for kind, _ in found & gold:
            stats[kind]["tp"] += 1
        for kind, _ in found - gold:
            stats[kind]["fp"] += 1
        for kind, _ in gold - found:
            stats[kind]["fn"] += 1
    report: dict[str, dict[str, float]] = {}
    for kind, s in stats.items():
        tp, fp, fn = s["tp"], s["fp"], s["fn"]
        report[kind] = {
            **s,
            "precision": tp / (tp + fp) if tp + fp else 1.0,
            "recall": tp / (tp + fn) if tp + fn else 1.0,
        }
    return report


def load(path: Path = DATA) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]


def format_report(report: dict[str, dict[str, float]], messages: int) -> str:
    lines = [
        f"{messages} messages",
        f"{'type':<12} {'tp':>4} {'fp':>4} {'fn':>4} {'precision':>9} {'recall':>7}",
    ]
    for kind, s in report.items():
        lines.append(
            f"{kind:<12} {s['tp']:>4} {s['fp']:>4} {s['fn']:>4} {s['precision']:>9.3f} {s['recall']:>7.3f}"
        )
    return "\n".join(lines)


def main(argv: list[str]) -> None:
    if argv[:1] == ["generate"]:
        rows = generate()
        DATA.parent.mkdir(parents=True, exist_ok=True)
        DATA.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), "utf-8")
        print(f"wrote {len(rows)} messages to {DATA}")
        return
    rows = load()
    print(format_report(evaluate(rows), len(rows)))


if __name__ == "__main__":
    main(sys.argv[1:])
