"""The JSON Schema of the policy file, from the pydantic models that load it, so an editor
(the `yaml-language-server` line at the top of a policy) completes and checks keys.

`switchboard policy schema` prints it; `switchboard/policy.schema.json` is the copy that
ships next to the default policy, and a test fails when it is out of date.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from graph.policy import Policy

SCHEMA_FILE = Path(__file__).parent.parent / "policy.schema.json"
SCHEMA_LINE = "# yaml-language-server: $schema=./policy.schema.json"
"""The first line of a policy next to the schema file (a path relative to the policy)."""


def policy_schema() -> dict[str, Any]:
    schema = Policy.model_json_schema()
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "Switchboard policy",
        "description": "Intents, routes, written workflows, escalation, tools, budgets.",
        **{k: v for k, v in schema.items() if k != "title"},
    }


def schema_text() -> str:
    return json.dumps(policy_schema(), indent=2, ensure_ascii=False) + "\n"
