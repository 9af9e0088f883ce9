"""Serve the floor under uvicorn: python -m bench.floor --port 8300 --database-url …"""

from __future__ import annotations

import argparse

import uvicorn

from bench.floor.app import create_floor_app


def main() -> None:
    parser = argparse.ArgumentParser(description="the floor: a minimal durable LangGraph server")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--identity-secret", default="bench-identity-secret")
    args = parser.parse_args()
    app = create_floor_app(args.database_url, args.identity_secret)
    uvicorn.run(app, host="127.0.0.1", port=args.port, log_level="warning", access_log=False)


if __name__ == "__main__":
    main()
