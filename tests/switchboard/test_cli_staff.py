"""`switchboard staff add/list` as an operator runs it: a real process, a real database."""

from __future__ import annotations

import asyncio
from pathlib import Path

from storage.db import create_engine, session_factory
from storage.staff_accounts import check_password
from tests.switchboard.test_cli import _env, _run


def test_add_reads_the_password_from_stdin_and_stores_only_a_hash(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'staff.db'}"
    env = _env(url)
    assert _run(["db", "upgrade"], env).returncode == 0

    added = _run(
        ["staff", "add", "anna@example.com", "--role", "approver", "--name", "Anna K"],
        env,
        stdin="correct horse battery\n",
    )
    assert added.returncode == 0, added.stderr
    assert "anna@example.com (Anna K, approver)" in added.stdout
    assert "correct horse" not in (tmp_path / "staff.db").read_bytes().decode("latin-1")

    again = _run(["staff", "add", "anna@example.com"], env, stdin="another password\n")
    assert again.returncode == 2 and "exists already" in again.stderr
    weak = _run(["staff", "add", "ben@example.com"], env, stdin="short\n")
    assert weak.returncode == 2 and "at least 8" in weak.stderr
    bad_role = _run(["staff", "add", "ben@example.com", "--role", "boss"], env, stdin="x" * 9)
    assert bad_role.returncode == 2 and "--role" in bad_role.stderr

    listed = _run(["staff", "list"], env)
    assert listed.stdout.splitlines() == ["anna@example.com\tAnna K\tapprover\tactive"]

    async def signs_in() -> bool:
        engine = create_engine(url)
        try:
            async with session_factory(engine)() as session:
                return (
                    await check_password(session, "anna@example.com", "correct horse battery")
                    is not None
                )
        finally:
            await engine.dispose()

    assert asyncio.run(signs_in())
