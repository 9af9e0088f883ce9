"""`switchboard intents retrain`: fold the staff's intent corrections into the model.

Reads the policy's examples and the corrections stored in the database (admin API,
Slack handoff cards), prints accuracy and macro-F1 before/after on a held-out part of
the corrections, and writes the retrained model where the engine looks for it (the
classifier cache, keyed by examples + corrections), so the next start or replica loads
it at once instead of training. `--out` also writes it as a standalone model file.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Annotated, NoReturn

import typer

from switchboard.settings import ConfigError, Settings, get_settings


def _fail(message: str) -> NoReturn:
    typer.echo(message, err=True)
    raise typer.Exit(2)


def _settings() -> Settings:
    try:
        return get_settings()
    except ConfigError as exc:
        _fail(str(exc))


async def _stored_corrections(database_url: str) -> list[tuple[str, str]]:
    from storage.corrections import training_pairs
    from storage.db import create_engine, session_factory

    engine = create_engine(database_url)
    try:
        async with session_factory(engine)() as session:
            return await training_pairs(session)
    finally:
        await engine.dispose()


def retrain_command(
    out: Annotated[
        Path | None,
        typer.Option(help="Also write the model here (.npz), e.g. for classifier.model_path."),
    ] = None,
    held_out: Annotated[
        float,
        typer.Option(min=0.0, max=0.9, help="Share of the corrections held out for before/after."),
    ] = 0.3,
) -> None:
    """Retrain the intent model on the policy's examples plus the staff's corrections;
    print before/after on held-out corrections; the engine uses it from its next start."""
    from graph.intents.corrections import format_retrain_report, retrain_with_corrections
    from graph.policy import PolicyError, load_policy
    from storage.migrate import schema_problem
    from switchboard.engine.classifier_cache import (
        cache_path,
        encoder_of,
        save_atomically,
        usable_corrections,
    )

    settings = _settings()
    try:
        policy = load_policy(settings.policy_path)
    except PolicyError as exc:
        _fail(str(exc))
    if out is not None and not out.parent.is_dir():
        _fail(f"--out {out}: the folder {out.parent} does not exist")
    problem = schema_problem(settings.database_url)
    if problem:
        _fail(problem)
    stored = asyncio.run(_stored_corrections(settings.database_url))
    corrections = usable_corrections(policy, stored)
    texts, labels = policy.training_data()
    report = retrain_with_corrections(
        texts, labels, corrections, held_out_share=held_out, encoder=encoder_of(policy)
    )
    typer.echo(format_retrain_report(report))
    if len(stored) > len(corrections):
        typer.echo(
            f"left out {len(stored) - len(corrections)} corrections to intents "
            "the policy no longer has"
        )
    try:
        if settings.cache_dir is not None:
            cached = cache_path(settings.cache_dir, policy, corrections)
            save_atomically(report.classifier, cached)
            typer.echo(f"model for the engine: {cached} (used from the next start)")
        else:
            typer.echo("SWITCHBOARD_CACHE_DIR is off: the engine trains this model at its start")
        if out is not None:
            save_atomically(report.classifier, out)
            typer.echo(f"saved to {out}")
    except OSError as exc:
        _fail(f"cannot write the model: {exc}")
    if policy.classifier.model_path is not None:
        typer.echo(
            f"note: the engine loads the policy's classifier.model_path "
            f"({policy.classifier.model_path}) as it is; to use this model instead (the "
            "policy's examples + corrections), point model_path at an --out file"
        )
