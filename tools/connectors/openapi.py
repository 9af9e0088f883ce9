"""An `http` connector's tools taken from an OpenAPI 3 document: each listed operation's
method, path, parameters and description, so a team exposes its API without copying it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import yaml

from tools.connectors.config import CUSTOMER, ConnectorError, HttpConnector, HttpTool

METHODS = ("get", "post", "put", "patch", "delete")
MAX_REF_DEPTH = 20


async def openapi_tools(name: str, config: HttpConnector, base_dir: Path) -> dict[str, HttpTool]:
    assert config.openapi is not None
    where = f"connectors.{name}.openapi"
    document = await _read(config.openapi, base_dir, where)
    found = _operations(document)
    tools = {}
    for operation_id, exposed in config.operations.items():
        if operation_id not in found:
            raise ConnectorError(
                f"connectors.{name}.operations.{operation_id}: no operation with that "
                f"operationId in {config.openapi}"
            )
        method, path, operation, shared = found[operation_id]
        tools[operation_id] = _tool(document, config, method, path, operation, shared, exposed)
    return tools


async def _read(source: str, base_dir: Path, where: str) -> dict[str, Any]:
    try:
        if source.startswith(("http://", "https://")):
            async with httpx.AsyncClient(timeout=10) as client:
                response = await client.get(source)
                response.raise_for_status()
                text = response.text
        else:
            path = Path(source)
            text = (path if path.is_absolute() else base_dir / path).read_text(encoding="utf-8")
        document = yaml.safe_load(text)  # JSON is YAML too
    except (OSError, httpx.HTTPError, yaml.YAMLError) as exc:
        raise ConnectorError(f"{where}: cannot read {source} ({type(exc).__name__})") from None
    if not isinstance(document, dict) or not str(document.get("openapi", "")).startswith("3"):
        raise ConnectorError(f"{where}: {source} is not an OpenAPI 3 document")
    return document


def _operations(document: dict[str, Any]) -> dict[str, tuple[str, str, dict[str, Any], list]]:
    found = {}
    for path, item in (document.get("paths") or {}).items():
        shared = item.get("parameters", [])
        for method in METHODS:
            operation = item.get(method)
            if isinstance(operation, dict) and operation.get("operationId"):
                found[operation["operationId"]] = (method.upper(), path, operation, shared)
    return found


def _resolve(document: dict[str, Any], value: Any, depth: int = 0) -> Any:
    """`$ref`s to the document's own components inlined (the checks need plain schemas)."""
    if depth > MAX_REF_DEPTH:
        raise ConnectorError("openapi: $ref nesting too deep (a recursive schema?)")
    if isinstance(value, dict):
        ref = value.get("$ref")
        if isinstance(ref, str):
            if not ref.startswith("#/"):
                raise ConnectorError(f"openapi: only local $refs are supported, not {ref}")
            target: Any = document
            for part in ref[2:].split("/"):
                target = target[part.replace("~1", "/").replace("~0", "~")]
            return _resolve(document, target, depth + 1)
        return {key: _resolve(document, item, depth + 1) for key, item in value.items()}
    if isinstance(value, list):
        return [_resolve(document, item, depth + 1) for item in value]
    return value


def _tool(
    document: dict[str, Any],
    config: HttpConnector,
    method: str,
    path: str,
    operation: dict[str, Any],
    shared: list[Any],
    exposed: Any,
) -> HttpTool:
    properties: dict[str, Any] = {}
    required: list[str] = []
    query: list[str] = []
    for parameter in _resolve(document, [*shared, *operation.get("parameters", [])]):
        where, name = parameter.get("in"), parameter.get("name")
        if where == "path" and name == config.customer_param:
            continue  # bound by the engine, never shown to the model
        if where not in ("path", "query"):
            continue  # headers and cookies are the connector's, not the caller's
        schema = dict(parameter.get("schema") or {"type": "string"})
        if parameter.get("description"):
            schema.setdefault("description", parameter["description"])
        properties[name] = schema
        if where == "query":
            query.append(name)
        if parameter.get("required") or where == "path":
            required.append(name)
    body = (
        _resolve(document, operation.get("requestBody") or {})
        .get("content", {})
        .get("application/json", {})
        .get("schema")
    )
    if isinstance(body, dict) and body.get("type", "object") == "object":
        properties |= body.get("properties", {})
        required += [name for name in body.get("required", []) if name not in required]
    parameters: dict[str, Any] = {"type": "object", "properties": properties}
    if required:
        parameters["required"] = required
    description = (
        exposed.description
        or operation.get("summary")
        or operation.get("description")
        or f"{method} {path}"
    )
    return HttpTool(
        description=description.strip(),
        method=method,
        path=path.replace("{" + config.customer_param + "}", "{" + CUSTOMER + "}"),
        parameters=parameters,
        query_params=query if method in ("POST", "PUT", "PATCH") else None,
        risk=exposed.risk,
        public=exposed.public,
    )
