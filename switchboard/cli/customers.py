"""`switchboard customers import/link/show`: who the customers are, the channel accounts
they chat from and their ids in the company's own systems (Stripe, an ISP's API).

Errors exit 2 with one line, like the other `customers` commands.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, TypeVar

import typer

if TYPE_CHECKING:
    from sqlmodel.ext.asyncio.session import AsyncSession

Result = TypeVar("Result")
UserIdArg = Annotated[str, typer.Argument(help="The customer's user id, e.g. cus_maria.")]


def _in_transaction(work: Callable[[AsyncSession], Awaitable[Result]]) -> Result:
    from storage.db import create_engine, session_factory, transaction
    from switchboard.cli.exit_codes import settings_or_exit

    settings = settings_or_exit()

    async def run() -> Result:
        engine = create_engine(settings.database_url)
        try:
            async with transaction(session_factory(engine)) as session:
                return await work(session)
        finally:
            await engine.dispose()

    return asyncio.run(run())


def import_command(
    file: Annotated[
        Path,
        typer.Argument(
            help="CSV with a header row (user_id,email,name,vip,ext.<system>...) "
            "or JSON lines (.jsonl/.ndjson) with the same keys.",
            exists=True,
            dir_okay=False,
        ),
    ],
) -> None:
    """Add or update customers from a file, by user_id, all or nothing.

    An empty cell keeps the stored value; ids in systems the file does not name are kept.
    """
    from storage.customer_file import CustomerFileError, read_customer_file
    from storage.customers import upsert_customers
    from switchboard.cli.exit_codes import fail

    try:
        rows = read_customer_file(file)
    except CustomerFileError as exc:
        fail(str(exc))
    added, updated = _in_transaction(lambda session: upsert_customers(session, rows))
    typer.echo(f"imported {added + updated} customers ({added} added, {updated} updated)")


def link_command(
    user_id: UserIdArg,
    system: Annotated[
        str | None, typer.Argument(help="A company system, e.g. stripe or isp.")
    ] = None,
    external_id: Annotated[
        str | None, typer.Argument(help="The customer's id there, e.g. cus_123.")
    ] = None,
    remove: Annotated[bool, typer.Option("--remove", help="Unlink SYSTEM instead.")] = False,
    channel: Annotated[str | None, typer.Option(help="telegram or slack.")] = None,
    channel_user_id: Annotated[str | None, typer.Option(help="The user's id there.")] = None,
) -> None:
    """Link a customer to their id in a company system, or to a channel account.

    USER_ID SYSTEM EXTERNAL_ID sets the id (SYSTEM --remove unlinks it), for connectors;
    --channel and --channel-user-id link a Telegram or Slack account, so tools may act
    for whoever writes from it.
    """
    from storage import customers
    from switchboard.cli.exit_codes import fail

    if channel is not None or channel_user_id is not None:
        if channel is None or channel_user_id is None or system is not None or remove:
            fail("a channel account: give --channel and --channel-user-id only")
    elif system is None:
        fail("give SYSTEM EXTERNAL_ID, SYSTEM --remove, or --channel and --channel-user-id")
    elif remove == (external_id is not None):
        fail("give EXTERNAL_ID to link, or --remove to unlink, not both")
    try:
        if system is not None:
            customers.check_system(system)
        if external_id is not None:
            customers.check_external_id(external_id)
    except customers.InvalidExternalId as exc:
        fail(str(exc))

    async def link(session: AsyncSession) -> bool:
        customer = await customers.get_customer_by_user_id(session, user_id)
        if customer is None:
            return False
        if system is not None:
            await customers.set_external_id(session, customer, system, external_id)
        else:
            assert channel is not None and channel_user_id is not None
            await customers.link_identity(
                session, customer=customer, channel=channel, channel_user_id=channel_user_id
            )
        return True

    if not _in_transaction(link):
        fail(f"no customer with user id {user_id!r}")
    if system is None:
        typer.echo(f"linked {channel}:{channel_user_id} to {user_id}")
    elif remove:
        typer.echo(f"unlinked {user_id} from {system}")
    else:
        typer.echo(f"linked {user_id} to {system} {external_id}")


def show_command(user_id: UserIdArg) -> None:
    """A customer's details and their ids in the company's systems."""
    from storage import customers
    from switchboard.cli.exit_codes import fail

    async def lines(session: AsyncSession) -> list[str] | None:
        customer = await customers.get_customer_by_user_id(session, user_id)
        if customer is None:
            return None
        fields = [
            ("user_id", customer.user_id),
            ("email", customer.email or ""),
            ("name", customer.name or ""),
            ("vip", "yes" if customer.vip else "no"),
            *((f"ext.{s}", v) for s, v in sorted(customer.external_ids.items())),
        ]
        width = max(len(label) for label, _ in fields)
        return [f"{label:<{width}}  {value}".rstrip() for label, value in fields]

    shown = _in_transaction(lines)
    if shown is None:
        fail(f"no customer with user id {user_id!r}")
    for line in shown:
        typer.echo(line)
