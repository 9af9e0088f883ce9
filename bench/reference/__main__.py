"""Serve the reference under uvicorn: python -m bench.reference --port 8200 --database-url … --llm-url …"""

from __future__ import annotations

import argparse

import uvicorn

from bench.reference.app import ReferenceConfig, create_reference_app


def main() -> None:
    parser = argparse.ArgumentParser(description="the reference agent-only web chat server")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--llm-url", required=True)
    parser.add_argument("--identity-secret", default="bench-identity-secret")
    args = parser.parse_args()
    app = create_reference_app(
        ReferenceConfig(args.database_url, args.llm_url, identity_secret=args.identity_secret)
    )
    uvicorn.run(app, host="127.0.0.1", port=args.port, log_level="warning", access_log=False)


if __name__ == "__main__":
    main()
