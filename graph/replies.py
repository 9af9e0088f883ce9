"""Wording shared by workflows: money, dates, and the standard offers."""

from __future__ import annotations

from datetime import datetime

from graph.state import Reply

TALK_TO_PERSON = "Talk to a person"
SYMBOLS = {"EUR": "€", "USD": "$", "GBP": "£"}


def money(cents: int, currency: str) -> str:
    symbol = SYMBOLS.get(currency.upper())
    amount = f"{cents / 100:,.2f}"
    return f"{symbol}{amount}" if symbol else f"{amount} {currency.upper()}"


def day(moment: datetime) -> str:
    return moment.strftime("%d %b %Y")


def reply(text: str, *quick_replies: str) -> Reply:
    return Reply(text=text, quick_replies=list(quick_replies))


def sign_in_needed(label: str) -> Reply:
    """`label` as a workflow names its request ("your payment")."""
    return reply(
        f"I can look into {label}, but I need to know it's you first. Please sign in to "
        "your account and write again here, or talk to a person from our team.",
        TALK_TO_PERSON,
    )
