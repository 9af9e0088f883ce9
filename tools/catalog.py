"""Importing this module registers every built-in tool (one import for the composition root)."""

from tools import handoff, kb, notify, orders, payments, tickets
from tools.base import REGISTRY, Caller, NotVerified, ToolBox, ToolError, ToolSpec

__all__ = [
    "REGISTRY",
    "Caller",
    "NotVerified",
    "ToolBox",
    "ToolError",
    "ToolSpec",
    "handoff",
    "kb",
    "notify",
    "orders",
    "payments",
    "tickets",
]
