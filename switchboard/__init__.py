"""Composition root: settings, policy loading, CLI, app factory and the engine, each in
its subsystem package (engine, channels, desk, api, reports, replay, cli).

Contract: the only package that imports all the others. It builds the settings once,
wires storage, tools, graph and channel adapters together, and owns the engine (durable
inbox, per-conversation ordering, outbox delivery).
"""
