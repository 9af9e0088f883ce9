"""`switchboard db prune` and `switchboard customers erase`: retention and erasure."""

from __future__ import annotations

import asyncio
import re
from datetime import timedelta
from typing import TYPE_CHECKING, Annotated

import typer

from switchboard.settings import ConfigError, Settings, get_settings

if TYPE_CHECKING:
    from storage.retention import Erased

# The database, checkpoint and retention modules are imported where used, so that
# `switchboard --help` does not load SQLAlchemy and LangGraph.

_DURATION = re.compile(r"^(\d+)([dhm])$")


def parse_duration(text: str) -> timedelta:
    match = _DURATION.match(text.strip())
    if not match:
        raise typer.BadParameter("use a number and d, h or m, e.g. 90d")
    amount, unit = int(match.group(1)), match.group(2)
    return {
        "d": timedelta(days=amount),
        "h": timedelta(hours=amount),
        "m": timedelta(minutes=amount),
    }[unit]


def _settings() -> Settings:
    try:
        return get_settings()
    except ConfigError as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(2) from None


def prune_command(
    older_than: Annotated[str, typer.Option(help="Quiet for longer than this: 90d, 12h, 30m.")],
    dry_run: Annotated[bool, typer.Option(help="Only count what would go.")] = False,
) -> None:
    """Delete conversations quiet for longer than the retention period (not waiting on a
    person), with their messages, traces, intent corrections and checkpoints. Tickets are
    kept."""
    from storage.db import create_engine, session_factory, transaction
    from storage.models import utcnow
    from storage.retention import prunable_conversations, prune_conversations

    settings = _settings()
    quiet_since = utcnow() - parse_duration(older_than)

    async def run() -> tuple[int, int]:
        engine = create_engine(settings.database_url)
        try:
            async with transaction(session_factory(engine)) as session:
                ids = await prunable_conversations(session, quiet_since=quiet_since)
                if dry_run:
                    return len(ids), 0
                pruned = await prune_conversations(session, ids)
            return len(pruned.conversations), pruned.messages
        finally:
            await engine.dispose()

    conversations, messages = asyncio.run(run())
    verb = "would prune" if dry_run else "pruned"
    typer.echo(f"{verb} {conversations} conversations, {messages} messages")


def erase_command(
    user_id: Annotated[str, typer.Argument(help="The customer's user id, e.g. cus_maria.")],
) -> None:
    """Erase a customer's personal data (GDPR): messages, names, e-mail, identities, ids
    in your systems, sessions, checkpoints and staff's intent corrections of their
    messages. Ticket and order records stay, anonymised."""
    from storage.db import create_engine, session_factory, transaction
    from storage.retention import erase_customer
    from switchboard.engine.classifier_cache import forget_cached_models

    settings = _settings()

    async def run() -> Erased:
        engine = create_engine(settings.database_url)
        try:
            async with transaction(session_factory(engine)) as session:
                erased = await erase_customer(session, user_id)
            return erased
        finally:
            await engine.dispose()

    erased = asyncio.run(run())
    if not erased.customer_found:
        typer.echo(f"no customer with user id {user_id!r}", err=True)
        raise typer.Exit(2)
    typer.echo(
        f"erased {user_id}: {len(erased.conversations)} conversations, "
        f"{erased.messages} messages, {erased.corrections} intent corrections"
    )
    if erased.corrections:
        removed = forget_cached_models(settings.cache_dir)
        typer.echo(
            f"deleted {removed} cached intent models trained with them (they retrain at the "
            "next start); run `switchboard intents retrain` again for any --out file"
        )
