"""The floor: the least a durable LangGraph web chat server can do per turn.

DESIGN.md's performance budget measured it by hand; here it runs in the same benchmark
as Switchboard and the reference, so the targets can be read against it. Per message:
token check, the inbound row inserted, a five-node `StateGraph` with trivial nodes run
with `durability="exit"` (one checkpoint a turn, the same savers as the reference), the
reply row inserted, one commit. No classification, tools, traces, guards or model call:
whatever Switchboard does per turn costs CPU on top of this. A benchmark baseline, not
part of the product: nothing outside `bench/` imports it.
"""
