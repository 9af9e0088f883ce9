"""The processes under test: the fake model, `switchboard serve`, the reference server.

Each runs as its own OS process on 127.0.0.1, so the load generator, the model and the
server under test compete for the cores the way they would in production. Databases are
made once per kind as a migrated template with the demo company (help centre included)
and copied per run (a file copy on SQLite, CREATE DATABASE … TEMPLATE on PostgreSQL).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import psycopg
import yaml

from switchboard.settings import DEFAULT_POLICY

ROOT = Path(__file__).resolve().parent.parent
POSTGRES_ADMIN = "postgresql://postgres@127.0.0.1:5432/postgres"
IDENTITY_SECRET = "bench-identity-secret"
OUR_MODEL = "switchboard-model"
REFERENCE_MODEL = "reference-agent"
LOAD_ENV = {
    # Load tests are many fast turns from one address: the per-session limits are for
    # abuse, not for a benchmark.
    "SWITCHBOARD_RATE_LIMIT_PER_S": "100000",
    "SWITCHBOARD_RATE_LIMIT_BURST": "100000",
    "SWITCHBOARD_LLM_DAILY_TOKEN_BUDGET": "1000000000",
    "SWITCHBOARD_LOG_LEVEL": "WARNING",
}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _clean_env(**values: str) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("SWITCHBOARD_", "TELEGRAM_", "SLACK_", "OPENAI_"))
    }
    env.update(values)
    env["PYTHONPATH"] = str(ROOT)
    return env


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@dataclass
class Process:
    """A server process started by the bench; stopped by its own pid."""

    name: str
    argv: list[str]
    env: dict[str, str]
    log: Path
    port: int = field(default_factory=free_port)
    popen: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def pid(self) -> int:
        assert self.popen is not None
        return self.popen.pid

    def start(self, ready_path: str, timeout: float = 180) -> Process:
        with self.log.open("ab") as out:
            self.popen = subprocess.Popen(
                [*self.argv, "--port", str(self.port)],
                env=self.env,
                cwd=ROOT,
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.popen.poll() is not None:
                raise RuntimeError(f"{self.name} exited: {self.log.read_text()[-2000:]}")
            try:
                if httpx.get(self.url + ready_path, timeout=1).status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        self.stop()
        raise TimeoutError(f"{self.name} not ready: {self.log.read_text()[-2000:]}")

    def stop(self) -> None:
        if self.popen is not None and self.popen.poll() is None:
            self.popen.send_signal(signal.SIGTERM)
            try:
                self.popen.wait(20)
            except subprocess.TimeoutExpired:
                self.popen.kill()
                self.popen.wait(5)


def start_fake_llm(workdir: Path, latency_ms: float) -> Process:
    argv = [sys.executable, "-m", "bench.fake_llm", "--latency-ms", str(latency_ms)]
    fake = Process("fake-llm", argv, _clean_env(), workdir / "fake_llm.log")
    # Any POST path answers 405 on GET: readiness is the stats page.
    return fake.start("/stats")


def bench_policy(workdir: Path) -> Path:
    """The default policy with a conversation token budget no benchmark conversation
    reaches (a 200-turn conversation would otherwise be handed to a person)."""
    policy = yaml.safe_load(DEFAULT_POLICY.read_text())
    policy.setdefault("budgets", {})["conversation_tokens"] = 1_000_000_000
    path = workdir / "bench_policy.yaml"
    path.write_text(yaml.safe_dump(policy, sort_keys=False))
    return path


class Databases:
    """Fresh demo databases of one kind, copied from a template made once."""

    def __init__(self, kind: str, workdir: Path) -> None:
        self.kind = kind
        self.workdir = workdir
        self.tag = uuid.uuid4().hex[:8]
        self._template: str | None = None
        self._made: list[str] = []

    def _admin(self, sql: str) -> None:
        with psycopg.connect(POSTGRES_ADMIN, autocommit=True) as conn:
            conn.execute(sql)  # type: ignore[arg-type]

    def _url(self, name: str) -> str:
        if self.kind == "sqlite":
            return f"sqlite:///{self.workdir / name}.db"
        return f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}"

    def _make_template(self) -> str:
        name = f"bench_tpl_{self.tag}"
        if self.kind == "postgres":
            self._admin(f'CREATE DATABASE "{name}"')
            self._made.append(name)
        env = _clean_env(SWITCHBOARD_DATABASE_URL=self._url(name))
        for command in (["db", "upgrade"], ["demo", "load"]):
            subprocess.run(
                [sys.executable, "-m", "switchboard.cli.main", *command],
                env=env,
                cwd=ROOT,
                check=True,
                capture_output=True,
            )
        if self.kind == "postgres":
            # Sessions on the template would block CREATE DATABASE … TEMPLATE.
            self._admin(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                f"WHERE datname = '{name}' AND pid <> pg_backend_pid()"
            )
        return name

    def fresh(self, label: str) -> str:
        """A new database URL holding the migrated demo company."""
        self._template = self._template or self._make_template()
        name = f"bench_{label}_{self.tag}_{len(self._made)}"
        if self.kind == "sqlite":
            shutil.copy(self.workdir / f"{self._template}.db", self.workdir / f"{name}.db")
        else:
            self._admin(f'CREATE DATABASE "{name}" TEMPLATE "{self._template}"')
        self._made.append(name)
        return self._url(name)

    def drop_all(self) -> None:
        if self.kind != "postgres":
            return
        for name in reversed(self._made):
            with contextlib.suppress(psycopg.Error):
                self._admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def database_bytes(url: str) -> int:
    """Stored size: SQLite file plus WAL after a checkpoint; PostgreSQL pg_database_size."""
    if url.startswith("sqlite"):
        path = Path(url.removeprefix("sqlite:///"))
        for _ in range(50):
            with sqlite3.connect(path, timeout=10) as conn:
                busy, _, _ = conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
            if not busy:
                break
            time.sleep(0.05)
        wal = path.with_name(path.name + "-wal")
        return path.stat().st_size + (wal.stat().st_size if wal.exists() else 0)
    name = url.rsplit("/", 1)[1]
    with psycopg.connect(POSTGRES_ADMIN, autocommit=True) as conn:
        row = conn.execute("SELECT pg_database_size(%s)", (name,)).fetchone()
    assert row is not None
    return int(row[0])


def start_switchboard(database_url: str, llm_url: str, policy: Path, workdir: Path) -> Process:
    env = _clean_env(
        SWITCHBOARD_DATABASE_URL=database_url,
        SWITCHBOARD_POLICY=str(policy),
        SWITCHBOARD_LLM_MODEL=OUR_MODEL,
        SWITCHBOARD_LLM_BASE_URL=llm_url,
        OPENAI_API_KEY="not-needed",
        SWITCHBOARD_WEBCHAT_IDENTITY_SECRET=IDENTITY_SECRET,
        SWITCHBOARD_CACHE_DIR=str(workdir / "cache"),
        **LOAD_ENV,
    )
    argv = [sys.executable, "-m", "switchboard.cli.main", "serve", "--host", "127.0.0.1"]
    return Process("switchboard", argv, env, workdir / "switchboard.log").start("/readyz")


def start_reference(database_url: str, llm_url: str, workdir: Path) -> Process:
    argv = [
        sys.executable,
        "-m",
        "bench.reference",
        "--database-url",
        database_url,
        "--llm-url",
        llm_url,
        "--identity-secret",
        IDENTITY_SECRET,
    ]
    return Process("reference", argv, _clean_env(), workdir / "reference.log").start("/readyz")


def start_floor(database_url: str, workdir: Path) -> Process:
    argv = [sys.executable, "-m", "bench.floor", "--database-url", database_url]
    argv += ["--identity-secret", IDENTITY_SECRET]
    return Process("floor", argv, _clean_env(), workdir / "floor.log").start("/readyz")


def start_profile(pid: int, directory: Path, label: str) -> subprocess.Popen[bytes]:
    """`py-spy record` of the event loop's thread (--gil) of a server, until stopped."""
    directory.mkdir(parents=True, exist_ok=True)
    stamp = time.strftime("%H%M%S")
    out = directory / f"{label}-{stamp}.txt"
    argv = ["py-spy", "record", "--gil", "-r", "100", "-f", "raw", "-o", str(out)]
    spy = shutil.which("py-spy", path=str(Path(sys.executable).parent)) or "py-spy"
    popen = subprocess.Popen([spy, *argv[1:], "--pid", str(pid)], stdout=subprocess.DEVNULL)
    time.sleep(0.5)  # attached before the load starts
    return popen


def stop_profile(popen: subprocess.Popen[bytes]) -> None:
    """py-spy writes its file on SIGINT."""
    popen.send_signal(signal.SIGINT)
    try:
        popen.wait(30)
    except subprocess.TimeoutExpired:
        popen.kill()
