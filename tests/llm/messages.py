"""Account questions the local classifier is unsure of (confidence under the policy's
threshold) and no workflow covers, so with a model they belong to the agent, which must
look the answer up for the demo customer (Maria: orders 1038 and 1042, five charges).

Written for this suite, not taken from scenarios/ or tests/: each names the tools whose
output could answer it. The test checks the classifier is still unsure of every one; a
message it becomes sure of must be replaced, or it no longer tests the agent."""

from __future__ import annotations

from dataclasses import dataclass

ORDERS = ("orders.recent", "orders.get")
CHARGES = ("payments.list_charges", "payments.find_duplicates")


@dataclass(frozen=True)
class Unsure:
    text: str
    answered_by: tuple[str, ...]
    group: str


MESSAGES = (
    Unsure("remind me what the last thing I got from you was", ORDERS, "orders"),
    Unsure("did I buy the phone case before or after the headphones?", ORDERS, "orders"),
    Unsure("can you list what I've bought and what each one cost?", ORDERS + CHARGES, "orders"),
    Unsure("which of my purchases was the most expensive?", ORDERS + CHARGES, "orders"),
    Unsure("what have I bought from you lately?", ORDERS, "orders"),
    Unsure("how much have I spent with you altogether?", ORDERS + CHARGES, "payments"),
    Unsure("I'd like a summary of the money that went out to you lately", CHARGES, "payments"),
    Unsure("what do I owe you right now?", ORDERS + CHARGES, "payments"),
    Unsure("what's my spending with your shop been like recently?", ORDERS + CHARGES, "payments"),
    Unsure("is my headphone purchase settled?", ORDERS + CHARGES, "payments"),
)
