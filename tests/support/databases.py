"""Fresh, migrated databases per test: a SQLite file or a PostgreSQL database.

A template is migrated (and the demo company loaded) once per run; each test gets a
copy (file copy on SQLite, CREATE DATABASE … TEMPLATE on PostgreSQL) and it is dropped
afterwards.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import psycopg
from sqlalchemy.engine import make_url

from storage.db import create_engine, session_factory, transaction
from storage.demo import load_demo
from storage.migrate import upgrade

DEFAULT_POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


def postgres_admin_url() -> str:
    return os.environ.get("SWITCHBOARD_TEST_POSTGRES_URL", DEFAULT_POSTGRES)


def postgres_unavailable_reason() -> str | None:
    url = make_url(postgres_admin_url())
    try:
        with psycopg.connect(
            host=url.host,
            port=url.port or 5432,
            user=url.username,
            dbname=url.database,
            connect_timeout=3,
        ):
            return None
    except psycopg.OperationalError as exc:
        return f"PostgreSQL at {url.host}:{url.port} is not answering ({exc.__class__.__name__})"


def _pg_execute(sql: str) -> None:
    url = make_url(postgres_admin_url())
    with psycopg.connect(
        host=url.host,
        port=url.port or 5432,
        user=url.username,
        dbname=url.database,
        autocommit=True,
    ) as conn:
        conn.execute(sql)  # type: ignore[arg-type]


def _pg_url(name: str) -> str:
    return make_url(postgres_admin_url()).set(database=name).render_as_string(hide_password=False)


async def _load_demo(url: str) -> None:
    engine = create_engine(url)
    try:
        async with transaction(session_factory(engine)) as session:
            await load_demo(session)
    finally:
        await engine.dispose()


class DatabaseFactory:
    """Hands out fresh migrated databases of one kind ("sqlite" or "postgres")."""

    def __init__(self, kind: str, workdir: Path) -> None:
        self.kind = kind
        self.workdir = workdir
        self._template: str | None = None
        self._created: list[str] = []

    def _ensure_template(self) -> str:
        if self._template is None:
            if self.kind == "sqlite":
                path = self.workdir / "template.db"
                url = f"sqlite:///{path}"
            else:
                name = f"sb_tpl_{uuid.uuid4().hex[:10]}"
                _pg_execute(f'CREATE DATABASE "{name}"')
                self._created.append(name)
                url = _pg_url(name)
            upgrade(url)
            # May be called from inside a running event loop (async fixtures): run the
            # demo load on its own loop in a worker thread.
            with ThreadPoolExecutor(max_workers=1) as pool:
                pool.submit(asyncio.run, _load_demo(url)).result()
            self._template = url
        return self._template

    def fresh(self) -> str:
        template = self._ensure_template()
        if self.kind == "sqlite":
            path = self.workdir / f"db_{uuid.uuid4().hex[:10]}.db"
            shutil.copyfile(make_url(template).database or "", path)
            return f"sqlite:///{path}"
        name = f"sb_t_{uuid.uuid4().hex[:10]}"
        _pg_execute(f'CREATE DATABASE "{name}" TEMPLATE "{make_url(template).database}"')
        self._created.append(name)
        return _pg_url(name)

    def empty(self) -> str:
        """A database with no schema at all (for migration tests)."""
        if self.kind == "sqlite":
            return f"sqlite:///{self.workdir / f'empty_{uuid.uuid4().hex[:10]}.db'}"
        name = f"sb_e_{uuid.uuid4().hex[:10]}"
        _pg_execute(f'CREATE DATABASE "{name}"')
        self._created.append(name)
        return _pg_url(name)

    def cleanup(self) -> None:
        for name in reversed(self._created):
            _pg_execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        self._created.clear()
