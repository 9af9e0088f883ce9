"""`${VAR}` in the policy file: a value read from the environment when the file is loaded,
so secrets (a webhook's signing secret, a connector's API key) stay out of the file.

`${VAR}` is the variable's value, and a variable that is not set is an error naming it
(at start, one line, not a request signed with an empty secret later); `${VAR:-default}`
falls back to `default` when it is unset or empty; `$${` is a literal `${`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

_REFERENCE = re.compile(r"\$(\$?)\{([A-Za-z_][A-Za-z0-9_]*)(:-([^}]*))?\}")


class MissingVariable(ValueError):
    """A `${VAR}` names a variable the environment does not set."""

    def __init__(self, key: str, name: str) -> None:
        self.key = key
        self.name = name
        self.reason = f"environment variable {name} is not set"
        super().__init__(f"{key}: {self.reason}")


def expand_text(text: str, environ: Mapping[str, str], key: str = "(root)") -> str:
    """`text` with each reference replaced; `key` names where it is, for the error."""

    def replace(found: re.Match[str]) -> str:
        escaped, name, fallback, default = found.groups()
        if escaped:
            return found.group(0)[1:]
        value = environ.get(name)
        if fallback is not None:
            return value or default
        if value is None:
            raise MissingVariable(key, name)
        return value

    return _REFERENCE.sub(replace, text) if "${" in text else text


def expand_env(data: Any, environ: Mapping[str, str], key: str = "") -> Any:
    """A copy of loaded YAML `data` with the references in its strings (values, not keys)
    replaced. Raises `MissingVariable` naming the key path (`webhooks[0].secret`)."""
    if isinstance(data, str):
        return expand_text(data, environ, key or "(root)")
    if isinstance(data, dict):
        return {
            name: expand_env(value, environ, f"{key}.{name}" if key else str(name))
            for name, value in data.items()
        }
    if isinstance(data, list):
        return [expand_env(item, environ, f"{key}[{index}]") for index, item in enumerate(data)]
    return data
