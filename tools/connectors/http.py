"""An `http` connector: the company's own REST API, each tool one request.

The request is built only from the policy's template, the checked arguments and the
verified customer's id in that system (`{customer}`, from `customer_ref`). Path values
are URL-encoded one segment each, so no argument can reach another path. Writes carry an
`Idempotency-Key` from the inbound message, so a re-run turn asks for its effect again
under the same key and the system makes it once.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
from typing import Any
from urllib.parse import quote

import httpx
from sqlmodel.ext.asyncio.session import AsyncSession

from tools.arguments import InvalidArguments, check_arguments
from tools.base import Caller, ToolSpec
from tools.connectors.binding import BoundCustomer, bound_customer
from tools.connectors.config import CUSTOMER, PLACEHOLDER, HttpConnector, HttpTool
from tools.connectors.resilience import CircuitBreaker, Rejected, Unavailable
from tools.connectors.templates import render_value

RETRY_STATUSES = frozenset({429, 502, 503, 504})
BACKOFF_S = 0.2
MAX_RETRY_AFTER_S = 2.0
BODY_METHODS = frozenset({"POST", "PUT", "PATCH"})


def idempotency_key(caller: Caller, tool: str, arguments: dict[str, Any]) -> str:
    """One key per inbound message, tool and arguments: the same effect asked for again
    (a re-run turn, a webhook retry) carries the same key."""
    digest = hashlib.sha256(
        json.dumps(arguments, sort_keys=True, default=str).encode()
    ).hexdigest()[:16]
    return caller.idempotency_key(f"{tool}:{digest}")


def _segment(name: str, value: Any) -> str:
    text = str(value)
    if text in ("", ".", ".."):
        raise InvalidArguments(f"{name}: {text!r} is not a valid value")
    return quote(text, safe="")


class HttpService:
    """One `http` connector: its client, breaker and the tools its policy entry lists."""

    def __init__(self, name: str, config: HttpConnector, tools: dict[str, HttpTool]) -> None:
        self.name = name
        self.config = config
        self.tools = tools
        self.breaker = CircuitBreaker(name, config.breaker)
        self.client = httpx.AsyncClient(
            base_url=config.base_url,
            headers={key: value.get_secret_value() for key, value in config.headers.items()},
            timeout=config.timeout_s,
            follow_redirects=False,  # a redirect could carry the customer's id elsewhere
        )
        # Built once: argument validators are cached per spec.
        self._specs = {f"{name}.{t}": self._spec(t, tool) for t, tool in tools.items()}

    def specs(self) -> dict[str, ToolSpec]:
        return self._specs

    def _spec(self, tool_name: str, tool: HttpTool) -> ToolSpec:
        full_name = f"{self.name}.{tool_name}"
        declared = set((tool.parameters or {}).get("properties", {}))

        async def call(session: AsyncSession, caller: Caller, **arguments: Any) -> Any:
            # Checked here too, whoever calls: nothing undeclared or malformed is sent.
            checked = check_arguments(spec, arguments)
            checked = {key: value for key, value in checked.items() if key in declared}
            customer = None if tool.public else await bound_customer(session, caller, full_name)
            request = self._request(full_name, tool, checked, customer)
            if tool.risk != "read":
                request.headers["Idempotency-Key"] = idempotency_key(caller, full_name, checked)
            return await self.breaker.call(full_name, lambda: self._send(full_name, request))

        spec = ToolSpec(
            name=full_name,
            risk=tool.risk,
            public=tool.public,
            func=call,
            about=tool.description or f"{tool.method} {tool.path}",
            parameters=tool.parameters or {"type": "object", "properties": {}},
            connector=self.name,
        )
        return spec

    def _request(
        self,
        full_name: str,
        tool: HttpTool,
        arguments: dict[str, Any],
        customer: BoundCustomer | None,
    ) -> httpx.Request:
        used = set(PLACEHOLDER.findall(tool.path))
        values: dict[str, str] = {}
        for name in used:
            if name == CUSTOMER:
                assert customer is not None and self.config.customer_ref is not None
                values[name] = _segment(name, customer.ref(self.config.customer_ref, full_name))
            else:
                values[name] = _segment(name, arguments[name])
        path = PLACEHOLDER.sub(lambda m: values[m.group(1)], tool.path)
        rest = {key: value for key, value in arguments.items() if key not in used}
        names = {
            "args": arguments,
            "customer": customer.as_template(self.config.customer_ref) if customer else {},
        }
        query = render_value(tool.query, names) if tool.query is not None else None
        body = render_value(tool.body, names) if tool.body is not None else None
        if tool.method in BODY_METHODS:
            in_query = set(tool.query_params or [])
            if query is None and in_query:
                query = {key: value for key, value in rest.items() if key in in_query}
            if body is None:
                body = {key: value for key, value in rest.items() if key not in in_query}
        elif query is None:
            query = rest
        return self.client.build_request(
            tool.method,
            path,
            params={k: v for k, v in (query or {}).items() if v is not None},
            json=body,
        )

    async def _send(self, tool: str, request: httpx.Request) -> Any:
        attempts = self.config.retries + 1
        for attempt in range(attempts):
            last = attempt == attempts - 1
            try:
                response = await self.client.send(request, stream=True)
            except httpx.TimeoutException:
                if last:
                    raise Unavailable(
                        f"{tool}: no answer within {self.config.timeout_s:g} s"
                    ) from None
            except httpx.TransportError:
                if last:
                    raise Unavailable(f"{tool}: could not reach {self.name}") from None
            else:
                try:
                    if response.status_code in RETRY_STATUSES and not last:
                        delay = _retry_after(response) or BACKOFF_S * 2**attempt
                        await asyncio.sleep(delay)
                        continue
                    return await self._result(tool, request, response)
                finally:
                    await response.aclose()
            await asyncio.sleep(BACKOFF_S * 2**attempt)
        raise AssertionError("unreachable")

    async def _result(self, tool: str, request: httpx.Request, response: httpx.Response) -> Any:
        body = await _capped(response, self.config.max_response_kb * 1024, tool)
        status = response.status_code
        if status == 404 and request.method == "GET":
            return None  # nothing of that name on this customer's account
        if status >= 500 or status in RETRY_STATUSES:
            raise Unavailable(f"{tool}: {self.name} answered {status}")
        if status >= 400:
            raise Rejected(f"{tool}: {self.name} refused the request ({status}{_reason(body)})")
        if not body.strip():
            return {"ok": True}
        try:
            return json.loads(body)
        except ValueError:
            return body.decode("utf-8", "replace")

    async def check(self) -> str:
        """One health request: the `health` path, else the base URL."""
        try:
            response = await self.client.get(self.config.health or "/")
        except httpx.HTTPError as exc:
            reason = type(exc).__name__
            raise Unavailable(f"could not reach {self.config.base_url} ({reason})") from None
        if response.status_code >= 500 or (self.config.health and response.status_code >= 400):
            raise Unavailable(f"GET {self.config.health or '/'} answered {response.status_code}")
        return f"GET {self.config.health or '/'} {response.status_code}"

    async def close(self) -> None:
        await self.client.aclose()


def _retry_after(response: httpx.Response) -> float | None:
    try:
        return min(float(response.headers["Retry-After"]), MAX_RETRY_AFTER_S)
    except (KeyError, ValueError):
        return None


def _reason(body: bytes) -> str:
    """A short reason from a JSON error body (`{"error": "..."}`), never the whole body."""
    try:
        parsed = json.loads(body)
    except ValueError:
        return ""
    if isinstance(parsed, dict):
        for key in ("error", "message", "detail"):
            found = parsed.get(key)
            if isinstance(found, dict):
                found = found.get("message")
            if isinstance(found, str):
                return ": " + found[:120]
    return ""


async def _capped(response: httpx.Response, limit: int, tool: str) -> bytes:
    """The body, refusing one larger than `limit` bytes (read no further than that)."""
    chunks: list[bytes] = []
    size = 0
    async for chunk in response.aiter_bytes():
        size += len(chunk)
        if size > limit:
            raise Rejected(f"{tool}: the answer is larger than {limit // 1024} KB")
        chunks.append(chunk)
    return b"".join(chunks)
