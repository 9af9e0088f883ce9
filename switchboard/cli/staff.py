"""`switchboard staff ...`: the people who sign in to the console.

The password is read from standard input when it is not a terminal (scripts, `make`),
else asked twice without echo. Only its argon2 hash is stored.
"""

from __future__ import annotations

import asyncio
import sys
from typing import Annotated

import typer

staff_app = typer.Typer(help="Staff accounts for the console.", no_args_is_help=True)


def _password(prompt: bool) -> str:
    if not prompt or not sys.stdin.isatty():
        return sys.stdin.readline().rstrip("\r\n")
    first = typer.prompt("Password", hide_input=True)
    second = typer.prompt("Repeat it", hide_input=True)
    if first != second:
        typer.echo("the two passwords differ", err=True)
        raise typer.Exit(2)
    return str(first)


@staff_app.command("add")
def add(
    email: Annotated[str, typer.Argument(help="Their e-mail: what they sign in with.")],
    role: Annotated[
        str,
        typer.Option(help="agent (handoffs), approver (+ approvals), admin (+ staff, exports)."),
    ] = "agent",
    name: Annotated[
        str | None, typer.Option(help="Shown to customers and colleagues; default: from e-mail.")
    ] = None,
) -> None:
    """Add a staff account (the password comes from standard input)."""
    from storage.db import create_engine, session_factory, transaction
    from storage.models import StaffRole
    from storage.staff_accounts import StaffExists, WeakPassword, add_staff
    from switchboard.cli.exit_codes import fail, settings_or_exit

    try:
        staff_role = StaffRole(role)
    except ValueError:
        fail(f"--role: expected one of {', '.join(r.value for r in StaffRole)}")
    if "@" not in email or email.strip() != email or len(email) > 255:
        fail(f"{email!r} is not an e-mail address")
    settings = settings_or_exit()
    password = _password(prompt=True)

    async def run() -> str:
        engine = create_engine(settings.database_url)
        try:
            async with transaction(session_factory(engine)) as session:
                account = await add_staff(
                    session, email=email, name=name or "", role=staff_role, password=password
                )
                return account.name
        finally:
            await engine.dispose()

    try:
        shown = asyncio.run(run())
    except (StaffExists, WeakPassword) as exc:
        fail(str(exc))
    typer.echo(f"staff account added: {email.lower()} ({shown}, {staff_role.value})")


@staff_app.command("list")
def list_staff() -> None:
    """Who can sign in, with their role."""
    from storage.db import create_engine, session_factory
    from storage.staff_accounts import list_staff as listed
    from switchboard.cli.exit_codes import settings_or_exit

    settings = settings_or_exit()

    async def run() -> list[str]:
        engine = create_engine(settings.database_url)
        try:
            async with session_factory(engine)() as session:
                return [
                    f"{a.email}\t{a.name}\t{a.role}\t{'active' if a.active else 'disabled'}"
                    for a in await listed(session)
                ]
        finally:
            await engine.dispose()

    for line in asyncio.run(run()):
        typer.echo(line)
