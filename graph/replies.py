"""Wording shared by workflows: money, dates, and the standard offers.

Button labels are English gettext messages (`N_`): offered translated (`_()`), and read
back in any of their translations (`as_source`), so a Spanish customer pressing
"Hablar con una persona" is understood exactly as "Talk to a person".
"""

from __future__ import annotations

from datetime import datetime

from babel.dates import format_date
from babel.numbers import format_currency

from graph.i18n import N_, _, language, speaking, translations_of
from graph.state import Reply

TALK_TO_PERSON = N_("Talk to a person")
NO_THANKS = N_("No thanks")
YES = N_("Yes")
NO = N_("No")
SYMBOLS = {"EUR": "€", "USD": "$", "GBP": "£"}


def money(cents: int, currency: str) -> str:
    code = language()
    if code != "en":  # the customer's own way of writing amounts: "12,00 €"
        return format_currency(cents / 100, currency.upper(), locale=code)
    symbol = SYMBOLS.get(currency.upper())
    amount = f"{cents / 100:,.2f}"
    return f"{symbol}{amount}" if symbol else f"{amount} {currency.upper()}"


def day(moment: datetime) -> str:
    code = language()
    if code != "en":
        return format_date(moment, "d MMM y", locale=code)
    return moment.strftime("%d %b %Y")


def load_languages(languages: list[str] | tuple[str, ...]) -> None:
    """Read each language's catalogue and its number and date data now (the first is the
    fallback): the first turn in German would otherwise wait for them (tens of ms each,
    far more on a busy event loop)."""
    for code in languages:
        with speaking(code, languages[0]):
            _(YES)
            money(100, "EUR")
            day(datetime(2026, 1, 1))


def reply(text: str, *quick_replies: str) -> Reply:
    return Reply(text=text, quick_replies=list(quick_replies))


def as_source(text: str, labels: tuple[str, ...]) -> str | None:
    """The English label among `labels` whose button (in the turn's language, the
    fallback language or English) `text` is, if it is one."""
    plain = " ".join(text.split()).casefold()
    for label in labels:
        if plain in {t.casefold() for t in translations_of(label)}:
            return label
    return None


def sign_in_needed(label: str) -> Reply:
    """`label` as a workflow names its request ("your payment")."""
    return reply(
        _(
            "I can look into {label}, but I need to know it's you first. Please sign in to "
            "your account and write again here, or talk to a person from our team."
        ).format(label=label),
        _(TALK_TO_PERSON),
    )
