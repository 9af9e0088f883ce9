"""Enough of the Stripe API on 127.0.0.1 for the official SDK: charges listed and read,
refunds created (once per `Idempotency-Key`, as Stripe does: the same key replays the first
answer), the balance for health checks. It checks the API key and counts requests."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from tests.support.local_site import serve_locally


def charge(
    charge_id: str,
    customer: str,
    amount: int,
    *,
    status: str = "succeeded",
    minutes_ago: float = 60,
    order_number: str | None = None,
    currency: str = "eur",
    failure_code: str | None = None,
    captured: bool = True,
) -> dict[str, Any]:
    return {
        "id": charge_id,
        "object": "charge",
        "amount": amount,
        "amount_refunded": 0,
        "currency": currency,
        "customer": customer,
        "status": status,
        "paid": status == "succeeded",
        "captured": captured and status == "succeeded",
        "refunded": False,
        "created": int(time.time() - minutes_ago * 60),
        "metadata": {"order_number": order_number} if order_number else {},
        "failure_code": failure_code,
        "failure_message": "Your card was declined." if failure_code else None,
    }


@dataclass
class FakeStripe:
    api_key: str = "sk_test_fake_4eC39HqLyjWDarjtT1zdp7dc"
    url: str = ""
    charges: dict[str, dict[str, Any]] = field(default_factory=dict)
    requests: list[tuple[str, str, dict[str, str]]] = field(default_factory=list)
    """Method, path and query or form of each request that reached it."""
    refunds: list[dict[str, Any]] = field(default_factory=list)
    refunded_elsewhere: set[str] = field(default_factory=set)
    """Charges someone refunds between our read and our refund (a dashboard user)."""
    down: bool = False
    """Answer every request 500 (an outage)."""
    _replays: dict[str, dict[str, Any]] = field(default_factory=dict)
    _runner: web.AppRunner | None = None

    def add(self, *charges: dict[str, Any]) -> None:
        for item in charges:
            self.charges[item["id"]] = item

    async def start(self) -> None:
        app = web.Application(middlewares=[self._checked])
        app.router.add_get("/v1/charges", self._list)
        app.router.add_get("/v1/charges/{id}", self._retrieve)
        app.router.add_post("/v1/refunds", self._refund)
        app.router.add_get("/v1/balance", self._balance)
        self._runner, base = await serve_locally(app)
        self.url = base

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    @staticmethod
    def _error(
        status: int, message: str, kind: str = "invalid_request_error", code: str | None = None
    ) -> web.Response:
        error = {"type": kind, "message": message} | ({"code": code} if code else {})
        return web.json_response({"error": error}, status=status)

    @web.middleware
    async def _checked(self, request: web.Request, handler: Any) -> web.StreamResponse:
        form = dict(await request.post()) if request.method == "POST" else {}
        self.requests.append(
            (
                request.method,
                request.path,
                {**request.query, **{k: str(v) for k, v in form.items()}},
            )
        )
        if request.headers.get("Authorization") != f"Bearer {self.api_key}":
            return self._error(401, "Invalid API Key provided: sk_test_****")
        if self.down:
            return self._error(500, "An unknown error occurred", "api_error")
        response: web.StreamResponse = await handler(request)
        return response

    async def _list(self, request: web.Request) -> web.Response:
        customer = request.query.get("customer")
        since = int(request.query.get("created[gte]", "0"))
        limit = int(request.query.get("limit", "10"))
        found = sorted(
            (
                c
                for c in self.charges.values()
                if (customer is None or c["customer"] == customer) and c["created"] >= since
            ),
            key=lambda c: -c["created"],  # newest first, as Stripe lists
        )
        after = request.query.get("starting_after")
        if after:
            ids = [c["id"] for c in found]
            found = found[ids.index(after) + 1 :] if after in ids else []
        page = found[:limit]
        return web.json_response(
            {"object": "list", "url": "/v1/charges", "data": page, "has_more": len(found) > limit}
        )

    async def _retrieve(self, request: web.Request) -> web.Response:
        found = self.charges.get(request.match_info["id"])
        if found is None:
            message = f"No such charge: '{request.match_info['id']}'"
            return self._error(404, message, code="resource_missing")
        return web.json_response(found)

    async def _refund(self, request: web.Request) -> web.Response:
        key = request.headers.get("Idempotency-Key", "")
        if key and key in self._replays:
            return web.json_response(self._replays[key], headers={"Idempotent-Replayed": "true"})
        form = await request.post()
        target = self.charges.get(str(form.get("charge", "")))
        if target is None:
            return self._error(404, "No such charge", code="resource_missing")
        if target["refunded"] or target["id"] in self.refunded_elsewhere:
            message = "Charge has already been refunded."
            return self._error(400, message, code="charge_already_refunded")
        target.update(refunded=True, amount_refunded=target["amount"])
        refund = {
            "id": f"re_{len(self.refunds) + 1}",
            "object": "refund",
            "charge": target["id"],
            "amount": target["amount"],
            "currency": target["currency"],
            "status": "succeeded",
        }
        self.refunds.append(refund)
        if key:
            self._replays[key] = refund
        return web.json_response(refund)

    async def _balance(self, request: web.Request) -> web.Response:
        return web.json_response(
            {
                "object": "balance",
                "available": [{"amount": 0, "currency": "eur"}],
                "pending": [],
                "livemode": False,
            }
        )


def seed_case(fake: FakeStripe) -> None:
    """Maria's seed case in Stripe (`cus_Maria01`): two declined attempts, then order 1042 taken twice."""
    fake.add(
        charge("ch_m1", "cus_Maria01", 5990, status="failed", minutes_ago=1560,
               order_number="1042", failure_code="card_declined"),
        charge("ch_m2", "cus_Maria01", 5990, status="failed", minutes_ago=1557,
               order_number="1042", failure_code="card_declined"),
        charge("ch_m3", "cus_Maria01", 5990, minutes_ago=1554, order_number="1042"),
        charge("ch_m4", "cus_Maria01", 5990, minutes_ago=1553, order_number="1042"),
        charge("ch_old", "cus_Maria01", 2450, minutes_ago=60 * 24 * 45),  # before 30 days
        charge("ch_s1", "cus_Sam02", 2400, minutes_ago=2880, order_number="2001"),
    )  # fmt: skip
