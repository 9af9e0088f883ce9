"""PII detection and redaction: pure functions, no I/O, nothing downloaded.

Recognisers are patterns confirmed by checksums or numbering plans, so an order number, a
date or a tracking code is not mistaken for a card: card numbers must pass Luhn and carry
a card network's prefix, IBANs the ISO 7064 mod-97 check (python-stdnum, which also
knows each country's length), phone numbers libphonenumber's numbering plans
(phonenumbers), national ids their own check digits (US SSN, UK NINO, ES DNI/NIE,
IT codice fiscale, FR NIR; NL BSN, DE IdNr and PL PESEL only next to a word naming them,
because nine or eleven bare digits are more often an order than a person).

`redact` swaps each value for a typed placeholder (`[CARD_1]`), the same value always
getting the same one, and returns the mapping so a caller entitled to a value can
`restore` it. `apply_policy` is what transcripts store: per type mask, keep or drop.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

import phonenumbers
from stdnum import iban as stdnum_iban
from stdnum import luhn
from stdnum.es import dni, nie
from stdnum.fr import nir
from stdnum.it import codicefiscale
from stdnum.nl import bsn
from stdnum.pl import pesel
from stdnum.us import ssn

PiiType = Literal["card", "iban", "email", "phone", "national_id"]
Action = Literal["mask", "keep", "drop"]
PII_TYPES: tuple[PiiType, ...] = ("card", "iban", "email", "phone", "national_id")
DEFAULT_REGIONS = ("US", "GB", "DE", "FR", "NL", "ES", "IT")

_EMAIL = re.compile(r"(?<![\w.+-])[\w.+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}\b")
# 13-19 digits, single spaces or dashes between them, not part of a longer digit run.
_CARD = re.compile(r"(?<![\w+-])(?<!\d[ -])\d(?:[ -]?\d){12,18}(?![ -]?\d)(?!\w)")
# Networks' number ranges (Visa 4, Mastercard 51-55/22-27, Amex 34/37, Diners/JCB 3x,
# Discover/UnionPay/Maestro 5x-6x): Luhn alone lets one random number in ten through.
_CARD_PREFIX = re.compile(r"^(?:2[2-7]|3|4|5|6)")
_IBAN = re.compile(r"(?<![A-Za-z0-9])[A-Za-z]{2}\d{2}(?:[ ]?[A-Za-z0-9]){10,30}")
_SSN = re.compile(r"(?<![\d-])\d{3}-\d{2}-\d{4}(?![\d-])")
_NINO = re.compile(
    r"\b(?!BG|GB|NK|KN|TN|NT|ZZ)[A-CEGHJ-PR-TW-Z][A-CEGHJ-NPR-TW-Z]"
    r" ?\d{2} ?\d{2} ?\d{2} ?[A-D]\b",
    re.I,
)
_DNI = re.compile(r"\b(?:[XYZ]-?\d{7}|\d{8})-?[A-Z]\b", re.I)
_CODICE = re.compile(r"\b[A-Z]{6}\d{2}[A-Z]\d{2}[A-Z]\d{3}[A-Z]\b", re.I)
_NIR = re.compile(r"(?<!\d)[12] ?\d{2} ?\d{2} ?(?:\d{2}|2[AB]) ?\d{3} ?\d{3} ?\d{2}(?!\d)")
_BARE_ID = re.compile(r"(?<![\d-])\d{9}(?:\d{2})?(?![\d-])")
_ID_WORDS = re.compile(
    r"\b(?:ssn|social security|bsn|burgerservicenummer|pesel|steuer-?id|idnr|"
    r"tax id|tax identification|national id|national insurance|id number|id no|"
    r"identification number|personal number|personnummer|citizen service number)\b",
    re.I,
)
_PHONE_WORDS = re.compile(
    r"\b(?:phone|call|ring|mobile|cell|tel|telephone|whatsapp|sms|text me|fax|landline|"
    r"reach|contact me|my number)\b",
    re.I,
)
# 312 345 7707, 06 12 34 56 78, 07400 123456: how people write phone numbers.
_GROUPED = re.compile(r"\d[ .-]+\d+[ .-]+\d|^0\d{2,5}[ .-]\d{4,}")
_DATE = re.compile(r"\d{4}[./-]\d{1,2}[./-]\d{1,2}|\d{1,2}[./-]\d{1,2}[./-]\d{2,4}")
_PLACEHOLDER = re.compile(r"\[(CARD|IBAN|EMAIL|PHONE|NATIONAL_ID)_(\d+)\]")


@dataclass(frozen=True)
class Finding:
    type: PiiType
    start: int
    end: int
    value: str


def _digits(text: str) -> str:
    return re.sub(r"\D", "", text)


def _cards(text: str) -> Iterable[Finding]:
    for match in _CARD.finditer(text):
        number = _digits(match.group())
        if _CARD_PREFIX.match(number) and luhn.is_valid(number):
            yield Finding("card", match.start(), match.end(), match.group())


def _ibans(text: str) -> Iterable[Finding]:
    for match in _IBAN.finditer(text):
        raw = match.group()
        # The pattern may have swallowed a following word; keep the longest valid prefix.
        for end in range(len(raw), 14, -1):
            candidate = raw[:end]
            if candidate[-1] != " " and stdnum_iban.is_valid(candidate.upper()):
                yield Finding("iban", match.start(), match.start() + end, candidate)
                break


def _emails(text: str) -> Iterable[Finding]:
    for match in _EMAIL.finditer(text):
        yield Finding("email", match.start(), match.end(), match.group())


def _near_words(text: str, start: int, words: re.Pattern[str], span: int = 40) -> bool:
    return bool(words.search(text[max(0, start - span) : start]))


def _national_ids(text: str) -> Iterable[Finding]:
    checks: list[tuple[re.Pattern[str], object]] = [
        (_SSN, ssn.is_valid),
        (_NINO, lambda _: True),
        (_DNI, lambda v: dni.is_valid(v) or nie.is_valid(v)),
        (_CODICE, codicefiscale.is_valid),
        (_NIR, nir.is_valid),
    ]
    for pattern, valid in checks:
        for match in pattern.finditer(text):
            if valid(match.group().upper()):  # type: ignore[operator]
                yield Finding("national_id", match.start(), match.end(), match.group())
    for match in _BARE_ID.finditer(text):
        value = match.group()
        checked = bsn.is_valid(value) if len(value) == 9 else pesel.is_valid(value)
        if (checked or len(value) == 11) and _near_words(text, match.start(), _ID_WORDS):
            yield Finding("national_id", match.start(), match.end(), value)


#: A run of digits and the separators phone numbers are written with, not inside a longer
#: code. libphonenumber's matcher is slow (it was most of the time spent masking tool
#: results for the trace), so it runs only on texts with such a run of at least 7 digits
#: once dates and times are left out; what it finds is checked as before.
_DIGIT_RUN = re.compile(r"(?<!\w)[+(]?\d[\d\s().\-/\u2010-\u2015]*\d")
_DATE_TIME = re.compile(
    r"\d{4}-\d{2}-\d{2}(?:[ T]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?"
)


def _may_hold_phone(text: str) -> bool:
    undated = _DATE_TIME.sub(" ", text)
    return any(sum(c.isdigit() for c in run.group()) >= 7 for run in _DIGIT_RUN.finditer(undated))


def _phones(text: str, regions: Iterable[str]) -> Iterable[Finding]:
    """Numbers libphonenumber accepts, written as phone numbers are: international
    (+ or 00), or national with a word like "call" or "mobile" just before, or in the
    (415) 555-0132 style. A bare digit run (a date, an order, an invoice) is not enough,
    nor digits inside a longer code (tracking 1Z…, an IBAN or card number that failed
    its checksum)."""
    if not _may_hold_phone(text):
        return
    busy = (
        [m.span() for m in _IBAN.finditer(text)]
        + [
            m.span()
            for m in _CARD.finditer(text)  # E.164 numbers have at most 15 digits
            if len(_digits(m.group())) > 15 or not text[: m.start()].endswith(("+", "00"))
        ]
    )
    seen: set[tuple[int, int]] = set()
    for region in regions:
        for match in phonenumbers.PhoneNumberMatcher(text, region, phonenumbers.Leniency.POSSIBLE):
            start, end, raw = match.start, match.end, match.raw_string
            if (start, end) in seen or any(s < end and start < e for s, e in busy):
                continue
            if re.search(r"(?:\w|\d[ .-])$", text[:start]) or re.match(r"\w|[ .-]\d", text[end:]):
                continue  # digits inside a longer code: 1Z… tracking, a 22-digit parcel id
            styled = raw.startswith(("+", "00", "(+")) or bool(re.match(r"\(\d{2,4}\)", raw))
            valid = phonenumbers.is_valid_number(match.number)
            near = _near_words(text, start, _PHONE_WORDS)
            grouped = bool(_GROUPED.search(raw)) and not _DATE.fullmatch(raw)
            if len(_digits(raw)) >= 8 and (styled or (valid and (near or grouped))):
                seen.add((start, end))
                yield Finding("phone", start, end, raw)


#: Every recogniser but the e-mail one needs at least two digits (an IBAN's check digits).
_TWO_DIGITS = re.compile(r"\d.*?\d", re.S)


def detect(text: str, *, regions: Iterable[str] = DEFAULT_REGIONS) -> list[Finding]:
    """Every PII value in `text`, left to right, without overlaps. Checksummed types win
    over phones: a card number is not also a phone number."""
    if "@" not in text and _TWO_DIGITS.search(text) is None:
        return []  # most replies and messages: nothing any recogniser could match
    found: list[Finding] = []
    for finder in (_ibans(text), _national_ids(text), _cards(text), _emails(text)):
        found.extend(finder)
    found.extend(_phones(text, regions))
    kept: list[Finding] = []
    for finding in found:  # earlier recognisers have priority
        if all(finding.end <= k.start or finding.start >= k.end for k in kept):
            kept.append(finding)
    return sorted(kept, key=lambda f: f.start)


@dataclass
class Redaction:
    """A redacted text and the placeholder → value map that can restore it."""

    text: str
    values: dict[str, str] = field(default_factory=dict)

    @property
    def types(self) -> dict[str, int]:
        """How many values of each type were found (safe to log: no values)."""
        counts: dict[str, int] = {}
        for placeholder in self.values:
            kind = placeholder[1:].rsplit("_", 1)[0].lower()
            counts[kind] = counts.get(kind, 0) + 1
        return counts


class Vault:
    """Placeholders shared across the texts of one model call (history, current message,
    tool results), so `[EMAIL_1]` means the same address everywhere in it."""

    def __init__(self, regions: Iterable[str] = DEFAULT_REGIONS) -> None:
        self.regions = tuple(regions)
        self.values: dict[str, str] = {}
        self._by_value: dict[tuple[str, str], str] = {}

    def placeholder(self, kind: PiiType, value: str) -> str:
        key = (kind, _digits(value) if kind in ("card", "iban", "phone") else value.lower())
        if key not in self._by_value:
            number = sum(1 for k in self._by_value if k[0] == kind) + 1
            name = f"[{kind.upper()}_{number}]"
            self._by_value[key] = name
            self.values[name] = value
        return self._by_value[key]

    def redact(self, text: str) -> str:
        """`text` with every PII value replaced by its placeholder."""
        out, last = [], 0
        for finding in detect(text, regions=self.regions):
            out.append(text[last : finding.start])
            out.append(self.placeholder(finding.type, finding.value))
            last = finding.end
        out.append(text[last:])
        return "".join(out)

    def restore(self, text: str, kinds: Iterable[str] | None = None) -> str:
        return restore(text, self.values, kinds)


def redact(text: str, *, regions: Iterable[str] = DEFAULT_REGIONS) -> Redaction:
    vault = Vault(regions)
    return Redaction(vault.redact(text), dict(vault.values))


def restore(text: str, values: Mapping[str, str], kinds: Iterable[str] | None = None) -> str:
    """Put the values back, only for `kinds` (e.g. a tool entitled to e-mails) if given."""
    allowed = {k.upper() for k in kinds} if kinds is not None else None

    def put_back(match: re.Match[str]) -> str:
        if allowed is not None and match.group(1) not in allowed:
            return match.group()
        return values.get(match.group(), match.group())

    return _PLACEHOLDER.sub(put_back, text)


def apply_policy(
    text: str,
    actions: Mapping[str, Action],
    *,
    regions: Iterable[str] = DEFAULT_REGIONS,
) -> str:
    """What a transcript stores: each value masked (typed placeholder), kept, or dropped
    (removed without a trace) as `actions` says per type; unlisted types are masked."""
    vault = Vault(regions)
    out, last = [], 0
    for finding in detect(text, regions=regions):
        action = actions.get(finding.type, "mask")
        if action == "keep":
            continue
        out.append(text[last : finding.start])
        if action == "mask":
            out.append(vault.placeholder(finding.type, finding.value))
        last = finding.end
    out.append(text[last:])
    stored = "".join(out)
    return re.sub(r"[ \t]{2,}", " ", stored) if stored != text else stored


def mask_for_transcript(text: str, policy: Any) -> str:
    """The text a transcript stores under a policy's `pii` section (graph.policy.PiiPolicy)."""
    if not policy.enabled:
        return text
    return apply_policy(text, policy.store, regions=policy.phone_regions)


def redact_messages(messages: list[Any], vault: Vault) -> list[Any]:
    """Model messages (anything with a str `content`) redacted in place through one vault,
    so a value keeps its placeholder across the history and the current message."""
    for message in messages:
        if isinstance(getattr(message, "content", None), str):
            message.content = vault.redact(message.content)
    return messages


def restore_arguments(
    arguments: dict[str, Any], vault: Vault, kinds: Iterable[str]
) -> dict[str, Any]:
    """A tool call's string arguments with the placeholders of `kinds` put back: only a
    tool the policy entitles to a type gets its real values."""
    kinds = list(kinds)
    if not kinds:
        return arguments
    return {k: vault.restore(v, kinds) if isinstance(v, str) else v for k, v in arguments.items()}
