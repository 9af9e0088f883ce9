"""Schema-driven fuzzing of every public endpoint of a real server: no 5xx, ever."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error

from tests.conftest import ADMIN_TOKEN, IDENTITY_SECRET
from tests.support.databases import DatabaseFactory
from tests.support.processes import ServeProcess, clean_env


@pytest.fixture(scope="module")
def api_schema(
    sqlite_databases: DatabaseFactory, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[schemathesis.Schema]:
    env = clean_env(
        SWITCHBOARD_DATABASE_URL=sqlite_databases.fresh(),
        SWITCHBOARD_ADMIN_TOKEN=ADMIN_TOKEN,
        SWITCHBOARD_WEBCHAT_IDENTITY_SECRET=IDENTITY_SECRET,
        SWITCHBOARD_RATE_LIMIT_BURST="100000",
    )
    server = ServeProcess(env, tmp_path_factory.mktemp("fuzz") / "serve.log").start()
    try:
        yield schemathesis.openapi.from_url(f"{server.url}/openapi.json")
    finally:
        server.kill()
        log = Path(server.log_path).read_text()
        assert "Traceback" not in log, log[-3000:]


def test_no_input_makes_the_server_fail(api_schema: schemathesis.Schema) -> None:
    # Driven by hand rather than schemathesis' pytest plugin (not yet compatible with
    # pytest 9): every operation, a dozen generated requests each.
    failures = []
    for result in api_schema.get_all_operations():
        operation = result.ok()

        @given(case=operation.as_strategy())
        @settings(max_examples=12, deadline=None, suppress_health_check=list(HealthCheck))
        def fuzz(case: schemathesis.Case) -> None:
            # With the admin token: fuzzing reaches past authentication into handlers.
            case.call_and_validate(
                headers={"Authorization": f"Bearer {ADMIN_TOKEN}"}, checks=[not_a_server_error]
            )

        try:
            fuzz()
        except Exception as exc:  # collect all, report together
            failures.append(f"{operation.method.upper()} {operation.path}: {exc}"[:500])
    assert not failures, "\n".join(failures)
