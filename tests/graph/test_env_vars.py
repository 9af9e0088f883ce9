"""`${VAR}` in the policy file: read from the environment, a missing one named."""

from __future__ import annotations

import pytest

from graph.env_vars import MissingVariable, expand_env

ENV = {"API_URL": "https://api.example", "TOKEN": "t0k", "EMPTY": ""}


def test_references_in_values_are_replaced_and_the_rest_is_kept() -> None:
    data = {
        "base_url": "${API_URL}/v1",
        "headers": {"Authorization": "Bearer ${TOKEN}"},
        "list": ["${TOKEN}", 3, None, True],
        "price": "$5 or {{ args.plan }}",
        "${TOKEN}": "keys are not expanded",
    }
    assert expand_env(data, ENV) == {
        "base_url": "https://api.example/v1",
        "headers": {"Authorization": "Bearer t0k"},
        "list": ["t0k", 3, None, True],
        "price": "$5 or {{ args.plan }}",
        "${TOKEN}": "keys are not expanded",
    }


def test_defaults_and_escapes() -> None:
    assert expand_env("${NOT_SET:-}", ENV) == ""
    assert expand_env("${NOT_SET:-fallback}", ENV) == "fallback"
    assert expand_env("${EMPTY:-fallback}", ENV) == "fallback"
    assert expand_env("${EMPTY}", ENV) == ""  # set, if empty
    assert expand_env("$${TOKEN} costs $${X:-1}", ENV) == "${TOKEN} costs ${X:-1}"


def test_a_missing_variable_names_itself_and_its_key() -> None:
    with pytest.raises(MissingVariable) as raised:
        expand_env({"connectors": {"isp": {"tools": [{"path": "${ISP_PATH}"}]}}}, ENV)
    assert str(raised.value) == (
        "connectors.isp.tools[0].path: environment variable ISP_PATH is not set"
    )
    assert raised.value.name == "ISP_PATH" and raised.value.key == "connectors.isp.tools[0].path"
