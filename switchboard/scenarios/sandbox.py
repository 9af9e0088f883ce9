"""Where scenarios run: a fresh database with the demo company for every scenario (the
policy's own `demo.yaml` when its directory has one, else the built-in shop), and
settings that keep the run hermetic (no real Telegram/Slack, no model unless asked).

A template database is migrated and loaded once; each scenario gets a copy (a file copy on
SQLite, `CREATE DATABASE … TEMPLATE` on PostgreSQL), so scenarios never see each other's
tickets and can run in any order. The intent classifier is trained once and handed to
every runtime as a model file through the policy, so opening a runtime costs ~50 ms.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
import secrets
import shutil
import uuid
from pathlib import Path
from typing import Any

import psycopg
import yaml
from pydantic import SecretStr, ValidationError

from graph.env_vars import MissingVariable, expand_env
from graph.intents import IntentClassifier
from graph.policy import Policy, PolicyError, load_policy, problems_of, read_yaml
from storage.db import create_engine, is_sqlite, libpq_url, session_factory, transaction
from storage.demo import load_demo
from storage.demo_file import DemoData, DemoFileError, demo_file_for, load_demo_file, read_demo_file
from storage.migrate import upgrade
from storage.models import StaffRole
from storage.staff_accounts import add_staff, staff_exists
from switchboard.engine.classifier_cache import load_classifier
from switchboard.settings import Settings

# Trained classifiers by training data, for runs in one process (tests, repeated evals):
# training is seconds of CPU, and the same examples always give the same model.
_TRAINED: dict[str, IntentClassifier] = {}


class SandboxError(Exception):
    """The sandbox could not be prepared (bad policy override, unreachable database)."""


def _merge(base: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = _merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def _unknown_key(override: dict[str, Any], known: dict[str, Any], prefix: str = "") -> str | None:
    """The first key of `override` that the validated policy does not have (the policy
    model ignores unknown keys, so a typo would silently change nothing)."""
    for key, value in override.items():
        path = f"{prefix}{key}"
        if key not in known:
            return path
        if isinstance(value, dict) and isinstance(known[key], dict):
            found = _unknown_key(value, known[key], path + ".")
            if found:
                return found
    return None


async def _load_demo(url: str, company: DemoData | None) -> None:
    """The demo company as `switchboard demo load` leaves it: rows, then the help centre
    pages (the FAQ answers come from those). `company`: the policy's own demo file, else
    the built-in shop."""
    from switchboard.knowledge.importer import DEMO_KB, import_paths
    from tools.kb_embedding import passage_encoder

    pages = DEMO_KB if company is None else company.kb
    engine = create_engine(url)
    try:
        sessions = session_factory(engine)
        async with transaction(sessions) as session:
            if company is None:
                await load_demo(session)
            else:
                await load_demo_file(session, company)
            # Scenarios play a staffed support team: asking for a person waits for one
            # (with nobody at all the bot would say so: graph/handover.py). Added to the
            # template, so its password is hashed once per run, not once per scenario.
            if not await staff_exists(session):
                await add_staff(
                    session,
                    email="scenario-staff@switchboard.local",
                    name="Scenario Staff",
                    role=StaffRole.agent,
                    password=secrets.token_urlsafe(16),
                )
        if pages is not None and pages.is_dir():
            encoder = await asyncio.to_thread(passage_encoder)
            await import_paths(sessions, [pages], encoder=encoder)
    finally:
        await engine.dispose()


class Sandbox:
    """Hands out per-scenario settings: own database, own policy file, shared model."""

    def __init__(
        self,
        base: Settings,
        workdir: Path,
        *,
        llm: bool = False,
        server_url: str | None = None,
    ) -> None:
        if server_url is not None and is_sqlite(server_url):
            raise SandboxError(
                "--database-url: give a postgresql+psycopg:// server URL "
                "(SQLite is the default: a temporary file per scenario)"
            )
        self.base = base
        self.workdir = workdir
        self.llm = llm
        self.server_url = server_url
        self.identity_secret = secrets.token_hex(16)
        self.admin_token = secrets.token_hex(16)
        self._template: str | None = None
        self._created: list[str] = []
        self._policy_raw: dict[str, Any] = {}
        self._models: dict[str, Path] = {}
        self._policies: dict[str, Path] = {}
        self._company: DemoData | None = None

    # --- set-up ----------------------------------------------------------------------

    async def prepare(self) -> Policy:
        """Template database and base policy (with a trained model); returns the policy."""
        try:
            policy = load_policy(self.base.policy_path)
        except PolicyError as exc:
            raise SandboxError(str(exc)) from None
        self._policy_raw = read_yaml(self.base.policy_path.read_text(encoding="utf-8"))
        data = demo_file_for(self.base.policy_path)
        try:
            self._company = read_demo_file(data) if data is not None else None
        except DemoFileError as exc:
            raise SandboxError(str(exc)) from None
        self._template = await self._create_template()
        await self._policy_file(None)
        return policy

    async def _create_template(self) -> str:
        if self.server_url is None:
            url = f"sqlite:///{self.workdir / 'template.db'}"
        else:
            url = await self._create_database(None)
        await asyncio.to_thread(upgrade, url)
        await _load_demo(url, self._company)
        return url

    async def _pg(self, sql: str) -> None:
        assert self.server_url is not None
        try:
            async with await psycopg.AsyncConnection.connect(
                libpq_url(self.server_url), autocommit=True, connect_timeout=5
            ) as conn:
                await conn.execute(sql.encode())
        except psycopg.Error as exc:
            raise SandboxError(f"--database-url: {exc.__class__.__name__}: {exc}") from None

    async def _create_database(self, template: str | None) -> str:
        from sqlalchemy.engine import make_url

        assert self.server_url is not None
        name = f"sb_eval_{uuid.uuid4().hex[:12]}"
        clause = f' TEMPLATE "{make_url(template).database}"' if template else ""
        await self._pg(f'CREATE DATABASE "{name}"{clause}')
        self._created.append(name)
        return make_url(self.server_url).set(database=name).render_as_string(hide_password=False)

    async def cleanup(self) -> None:
        for name in reversed(self._created):
            await self._pg(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        self._created.clear()

    # --- per scenario ----------------------------------------------------------------

    async def fresh_database(self) -> str:
        assert self._template is not None, "prepare() first"
        if self.server_url is not None:
            return await self._create_database(self._template)
        path = self.workdir / f"scenario_{uuid.uuid4().hex[:10]}.db"
        source = self._template.removeprefix("sqlite:///")
        await asyncio.to_thread(shutil.copyfile, source, path)
        return f"sqlite:///{path}"

    async def release(self, url: str) -> None:
        """Drop a scenario's database once it has run: a long suite must not pile them up."""
        if self.server_url is None:
            path = Path(url.removeprefix("sqlite:///"))
            for suffix in ("", "-wal", "-shm"):
                path.with_name(path.name + suffix).unlink(missing_ok=True)
            return
        from sqlalchemy.engine import make_url

        name = make_url(url).database
        if name in self._created:
            await self._pg(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            self._created.remove(name)

    async def _policy_file(self, override: dict[str, Any] | None) -> Path:
        key = json.dumps(override or {}, sort_keys=True)
        if key in self._policies:
            return self._policies[key]
        raw = _files_found_from(_merge(self._policy_raw, override or {}), self.base.policy_path)
        try:
            # Checked as it will load (`${VAR}` read); written as it is, secrets unread.
            policy = Policy.model_validate(expand_env(raw, os.environ))
        except MissingVariable as exc:
            raise SandboxError(f"policy: {exc}") from None
        except ValidationError as exc:
            raise SandboxError(f"policy.{problems_of(exc)[0]}") from None
        unknown = _unknown_key(override or {}, policy.model_dump())
        if unknown:
            raise SandboxError(f"policy.{unknown}: unknown policy key")
        if policy.classifier.model_path is None:
            raw = _merge(raw, {"classifier": {"model_path": str(await self._model(policy))}})
        path = self.workdir / f"policy_{len(self._policies)}.yaml"
        path.write_text(yaml.safe_dump(raw, sort_keys=False), encoding="utf-8")
        self._policies[key] = path
        return path

    async def _model(self, policy: Policy) -> Path:
        """Train once per distinct set of intents (overrides rarely change them)."""
        texts, labels = policy.training_data()
        digest = hashlib.sha256(json.dumps([texts, labels]).encode()).hexdigest()[:16]
        if digest not in self._models:
            classifier = _TRAINED.get(digest) or await load_classifier(policy)
            _TRAINED[digest] = classifier
            path = self.workdir / f"intents_{digest}.npz"
            await asyncio.to_thread(classifier.save, path)
            self._models[digest] = path
        return self._models[digest]

    async def settings_for(
        self, policy_override: dict[str, Any] | None, *, database: bool = True
    ) -> Settings:
        """Settings for one scenario: its own database (unless `database=False`: only
        validating the policy override), and nothing that reaches outside (platform
        credentials removed; the model kept only with `--llm`)."""
        policy_path = await self._policy_file(policy_override)
        update: dict[str, Any] = {
            "database_url": await self.fresh_database() if database else self.base.database_url,
            "policy_path": policy_path,
            "demo": False,
            "webchat_identity_secret": SecretStr(self.identity_secret),
            "admin_token": SecretStr(self.admin_token),
            "telegram_bot_token": None,
            "telegram_webhook_secret": None,
            "slack_bot_token": None,
            "slack_signing_secret": None,
            "slack_app_token": None,
        }
        if not self.llm:
            update.update(llm_model=None, llm_base_url=None, openai_api_key=None)
        return self.base.model_copy(update=update)


def _files_found_from(raw: dict[str, Any], policy_path: Path) -> dict[str, Any]:
    """The policy with the files it names relative to itself (a connector's OpenAPI
    document) made absolute: the sandbox's copy lives elsewhere."""
    connectors = dict(raw.get("connectors") or {})
    for name, connector in connectors.items():
        document = connector.get("openapi") if isinstance(connector, dict) else None
        if isinstance(document, str) and "://" not in document and "${" not in document:
            absolute = str((policy_path.parent / document).resolve())
            connectors[name] = {**connector, "openapi": absolute}
    return {**raw, "connectors": connectors} if connectors else raw
