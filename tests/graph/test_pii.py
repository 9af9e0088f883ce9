"""PII recognisers and redaction: checksums decide, placeholders round-trip, policy applies."""

from __future__ import annotations

import pytest

from graph.pii import Vault, _may_hold_phone, apply_policy, detect, redact, restore


def kinds(text: str) -> list[tuple[str, str]]:
    return [(f.type, f.value) for f in detect(text)]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("card 4111 1111 1111 1111 please", [("card", "4111 1111 1111 1111")]),
        ("amex 3782-822463-10005", [("card", "3782-822463-10005")]),
        ("amex 378282246310005", [("card", "378282246310005")]),
        ("iban DE89 3704 0044 0532 0130 00 thanks", [("iban", "DE89 3704 0044 0532 0130 00")]),
        ("iban de89370400440532013000", [("iban", "de89370400440532013000")]),
        ("mail me: maria+orders@example.co.uk.", [("email", "maria+orders@example.co.uk")]),
        ("call me on +44 7400 123456", [("phone", "+44 7400 123456")]),
        ("on 2026-11-28 16:40 call +44 7400 123456", [("phone", "+44 7400 123456")]),
        ('{"eta": "2026-11-28", "phone": "+31 6 12345678"}', [("phone", "+31 6 12345678")]),
        ("my SSN is 123-45-6789", [("national_id", "123-45-6789")]),
        ("NINO AB 12 34 56 C", [("national_id", "AB 12 34 56 C")]),
        ("DNI 12345678Z", [("national_id", "12345678Z")]),
        ("my BSN is 111222333", [("national_id", "111222333")]),
    ],
)
def test_recognises(text: str, expected: list[tuple[str, str]]) -> None:
    assert kinds(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "card 4111 1111 1111 1112 was declined",  # fails Luhn
        "IBAN DE88 3704 0044 0532 0130 00",  # wrong check digits
        "UPS tracking 1Z999AA10123456784",
        "USPS 9400 1000 0000 0000 0000 00",
        "order 1042 and order #88451234",
        "delivered 2026-03-15 at 10:30, total €1.234,56",
        "invoice INV-2026-00017 for 3 items",
        "ping @maria about it",
        "bare 111222333 without a word naming it",
    ],
)
def test_leaves_lookalikes_alone(text: str) -> None:
    assert detect(text) == []


@pytest.mark.parametrize(
    "text",
    [
        '{"tracking": "1Z999AA10123456784", "eta": "2026-11-28 16:40:05.014500"}',
        '{"created_at": "2026-11-24T14:02:11+00:00", "amount": 59.9, "id": "ch_1042"}',
    ],
)
def test_tool_results_with_dates_and_codes_skip_the_phone_matcher(text: str) -> None:
    """libphonenumber's matcher was most of the time spent masking tool results."""
    assert not _may_hold_phone(text)
    assert detect(text) == []


def test_redact_numbers_each_type_and_reuses_placeholders() -> None:
    text = "Card 4111111111111111, again 4111 1111 1111 1111; mail a@b.io and c@d.io"
    redaction = redact(text)
    assert redaction.text == "Card [CARD_1], again [CARD_1]; mail [EMAIL_1] and [EMAIL_2]"
    assert redaction.types == {"card": 1, "email": 2}
    assert restore(redaction.text, redaction.values) == "Card 4111111111111111, again " + (
        "4111111111111111; mail a@b.io and c@d.io"
    )


def test_restore_only_entitled_kinds() -> None:
    vault = Vault()
    masked = vault.redact("refund 4111111111111111 and mail a@b.io")
    assert vault.restore(masked, kinds=["email"]) == "refund [CARD_1] and mail a@b.io"


def test_vault_shares_placeholders_across_texts() -> None:
    vault = Vault()
    assert vault.redact("I am a@b.io") == "I am [EMAIL_1]"
    assert vault.redact("write to A@B.io or x@y.io") == "write to [EMAIL_1] or [EMAIL_2]"


def test_policy_mask_keep_drop() -> None:
    text = "card 4111111111111111, mail a@b.io, phone +44 7400 123456"
    actions = {"card": "drop", "email": "keep", "phone": "mask"}
    assert apply_policy(text, actions) == "card , mail a@b.io, phone [PHONE_1]"  # type: ignore[arg-type]
    assert apply_policy("nothing here, order 1042", {}) == "nothing here, order 1042"
