"""An aiohttp app served on a free 127.0.0.1 port, as every fake system in the tests is."""

from __future__ import annotations

from aiohttp import web


async def serve_locally(
    app: web.Application, **runner_options: object
) -> tuple[web.AppRunner, str]:
    """The running app's runner (`await runner.cleanup()` stops it) and its base URL."""
    runner = web.AppRunner(app, **runner_options)  # type: ignore[arg-type]
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    return runner, f"http://127.0.0.1:{port}"
