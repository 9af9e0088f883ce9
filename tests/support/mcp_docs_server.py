"""A company's help-centre MCP server, built with the official SDK (`MCPServer`), as the
mcp connector's tests need one: over stdio (`python tests/support/mcp_docs_server.py`) or
streamable HTTP (`--http --port N`, path `/mcp`).

It records what it saw as JSON lines in `$DOCS_MCP_RECORD` (its pid when it starts, each
call with its arguments), so a test can see which e-mail was bound and which process to
kill. Over HTTP, `$DOCS_MCP_TOKEN` set means every request needs `Authorization: Bearer
<token>`. Only the standard library and the SDK are imported: a stdio server is started
with a bare environment.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
from typing import Any

from mcp.server.mcpserver import MCPServer
from mcp.server.mcpserver.exceptions import ToolError

ARTICLES = [
    {"id": "kb-101", "title": "Resetting your router", "body": "Hold reset for 10 seconds."},
    {"id": "kb-102", "title": "Changing your plan", "body": "Plans change next period."},
    {"id": "kb-103", "title": "Router lights explained", "body": "Green means online."},
]

server = MCPServer("docs", instructions="The Fibrelink help centre.", log_level="WARNING")


def record(entry: dict[str, Any]) -> None:
    path = os.environ.get("DOCS_MCP_RECORD")
    if path:
        with open(path, "a", encoding="utf-8") as file:
            file.write(json.dumps(entry) + "\n")


@server.tool()
def search_docs(query: str, customer_email: str, limit: int = 5) -> dict[str, Any]:
    """Help-centre articles matching the query, for this customer."""
    record({"tool": "search_docs", "query": query, "customer_email": customer_email})
    words = query.lower().split()
    found = [a for a in ARTICLES if any(w in a["title"].lower() for w in words)]
    return {"articles": found[:limit], "for": customer_email}


@server.tool(structured_output=False)
def article_text(article_id: str) -> str:
    """The text of one article (plain text, not JSON)."""
    record({"tool": "article_text", "article_id": article_id})
    for article in ARTICLES:
        if article["id"] == article_id:
            return article["body"]
    raise ToolError(f"no article {article_id}")  # a refusal the client is told


@server.tool(structured_output=False)
def rate_article(article_id: str, helpful: bool, customer_email: str) -> str:
    """Record whether an article helped (a write)."""
    record({"tool": "rate_article", "article_id": article_id, "customer_email": customer_email})
    return json.dumps({"rated": article_id, "helpful": helpful})


@server.tool()
async def slow_search(query: str, seconds: float = 30) -> str:
    """Answers only after `seconds` (for timeouts)."""
    record({"tool": "slow_search", "query": query})
    await asyncio.sleep(seconds)
    return "late"


@server.tool()
def broken_search(query: str) -> str:
    """Always fails, as a tool whose backend is down does."""
    record({"tool": "broken_search", "query": query})
    raise RuntimeError("the search index is rebuilding")


@server.tool()
def delete_all_articles() -> str:
    """Never listed in a policy: a connector must not expose it."""
    record({"tool": "delete_all_articles"})
    return "deleted"


class BearerToken:
    """ASGI middleware: every HTTP request carries the token (lifespan passes)."""

    def __init__(self, app: Any, token: str) -> None:
        self.app = app
        self.expected = f"Bearer {token}".encode()

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "http" and dict(scope["headers"]).get(b"authorization") != (
            self.expected
        ):
            await send({"type": "http.response.start", "status": 401, "headers": []})
            await send({"type": "http.response.body", "body": b"unauthorized"})
            return
        await self.app(scope, receive, send)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--http", action="store_true", help="streamable HTTP, not stdio")
    parser.add_argument("--port", type=int, default=8765)
    arguments = parser.parse_args()
    record({"event": "start", "pid": os.getpid()})
    if not arguments.http:
        server.run("stdio")
        return
    import uvicorn

    app: Any = server.streamable_http_app()
    token = os.environ.get("DOCS_MCP_TOKEN")
    if token:
        app = BearerToken(app, token)
    uvicorn.run(app, host="127.0.0.1", port=arguments.port, log_level="warning")


if __name__ == "__main__":
    main()
