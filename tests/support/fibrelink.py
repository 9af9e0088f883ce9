"""Fibrelink's account system (examples/broadband/account_api.py, the example's stand-in
for an ISP's own API), loaded from its file: the example is not a package."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from typing import Any

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "broadband"


def account_system(token: str) -> Any:
    """A fresh `AccountSystem` (its `.app()` to serve, `.changes` made so far)."""
    spec = importlib.util.spec_from_file_location("account_api", EXAMPLE / "account_api.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["account_api"] = module  # its dataclasses look their module up
    spec.loader.exec_module(module)
    return module.AccountSystem(token=token)
