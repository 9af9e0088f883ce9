"""The LangGraph state machine: guard → classify → route → workflow | agent | handoff → respond.

Contract: imports `tools` (and through them `storage`), never `bots` or `switchboard`.
A node knows the channel only through `state["channel"]`.
"""
