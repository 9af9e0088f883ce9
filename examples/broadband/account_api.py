"""Fibrelink's account system, as a stand-in: the REST API the example's `accounts`
connector calls (policy.yaml, `connectors:`). A real ISP has one like it; this one keeps
three customers' plans and line tests in memory.

    python examples/broadband/account_api.py            # http://127.0.0.1:8090
    SWITCHBOARD_POLICY=examples/broadband/policy.yaml make run

Every request needs `Authorization: Bearer $FIBRELINK_API_TOKEN` (default
`fibrelink-demo`); a plan change is made once per `Idempotency-Key`, as a careful API does.
"""

from __future__ import annotations

import argparse
import copy
import os
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from aiohttp import web

PLANS = {
    "Basic": {"speed_mbps": 36, "monthly_pence": 2500},
    "Fast": {"speed_mbps": 150, "monthly_pence": 3200},
    "Ultra": {"speed_mbps": 900, "monthly_pence": 4500},
}
ACCOUNTS = {
    # Priya: a healthy line on Fast.
    "FL-20417": {"plan": "Fast", "sync_mbps": 148, "faults": []},
    # Tom: Ultra, and his line syncs at a fifth of it (noise on the line).
    "FL-20533": {"plan": "Ultra", "sync_mbps": 180, "faults": ["noise on the line"]},
    # Ana: Ultra, fine.
    "FL-20601": {"plan": "Ultra", "sync_mbps": 880, "faults": []},
}


@dataclass
class AccountSystem:
    token: str
    accounts: dict[str, dict[str, Any]] = field(default_factory=lambda: copy.deepcopy(ACCOUNTS))
    answered: dict[str, dict[str, Any]] = field(default_factory=dict)
    """What each Idempotency-Key was answered (the second request gets the same)."""
    changes: list[dict[str, Any]] = field(default_factory=list)

    def app(self) -> web.Application:
        app = web.Application(middlewares=[self._authorised])
        app.router.add_get("/health", self._health)
        app.router.add_get("/customers/{customer}/plan", self._plan)
        app.router.add_post("/customers/{customer}/plan", self._change_plan)
        app.router.add_get("/customers/{customer}/line-test", self._line_test)
        return app

    @web.middleware
    async def _authorised(self, request: web.Request, handler: Any) -> web.StreamResponse:
        if request.path != "/health" and request.headers.get("Authorization") != (
            f"Bearer {self.token}"
        ):
            return web.json_response({"error": "unauthorized"}, status=401)
        response: web.StreamResponse = await handler(request)
        return response

    def _account(self, request: web.Request) -> dict[str, Any]:
        account = self.accounts.get(request.match_info["customer"])
        if account is None:
            raise web.HTTPNotFound(
                text='{"error": "no such customer"}', content_type="application/json"
            )
        return account

    async def _health(self, request: web.Request) -> web.Response:
        return web.json_response({"ok": True})

    async def _plan(self, request: web.Request) -> web.Response:
        account = self._account(request)
        return web.json_response({"plan": account["plan"], **PLANS[account["plan"]]})

    async def _line_test(self, request: web.Request) -> web.Response:
        account = self._account(request)
        plan_mbps = PLANS[account["plan"]]["speed_mbps"]
        return web.json_response(
            {
                "plan": account["plan"],
                "plan_mbps": plan_mbps,
                "sync_mbps": account["sync_mbps"],
                "healthy": account["sync_mbps"] >= plan_mbps * 0.5 and not account["faults"],
                "faults": account["faults"],
            }
        )

    async def _change_plan(self, request: web.Request) -> web.Response:
        account = self._account(request)
        key = request.headers.get("Idempotency-Key")
        if key and key in self.answered:
            return web.json_response(self.answered[key])
        wanted = (await request.json()).get("plan")
        if wanted not in PLANS:
            return web.json_response({"error": f"no plan {wanted!r}"}, status=422)
        today = datetime.now(UTC).date()
        starts = date(today.year + today.month // 12, today.month % 12 + 1, 1)
        answer = {"plan": wanted, **PLANS[wanted], "from": starts.isoformat()}
        account["plan"] = wanted
        self.changes.append({"customer": request.match_info["customer"], **answer})
        if key:
            self.answered[key] = answer
        return web.json_response(answer)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8090)
    options = parser.parse_args()
    system = AccountSystem(token=os.environ.get("FIBRELINK_API_TOKEN", "fibrelink-demo"))
    web.run_app(system.app(), host=options.host, port=options.port)


if __name__ == "__main__":
    main()
