"""Importing this module registers every built-in tool (one import for the composition root)."""

from tools import (
    approvals,
    conversation,
    csat,
    handoff,
    kb,
    notify,
    orders,
    payments,
    tickets,
)
from tools.base import REGISTRY, Caller, NeedsApproval, NotVerified, ToolBox, ToolError, ToolSpec

__all__ = [
    "REGISTRY",
    "Caller",
    "NeedsApproval",
    "NotVerified",
    "ToolBox",
    "ToolError",
    "ToolSpec",
    "approvals",
    "conversation",
    "csat",
    "handoff",
    "kb",
    "notify",
    "orders",
    "payments",
    "tickets",
]
