"""The `connectors:` and `providers:` sections of the policy file.

Each connector is one of the company's systems, of one `kind`; its tools are named
`<connector>.<tool>`. Secrets (headers, API keys) are `SecretStr`: they never appear in a
dump of the policy, its version hash, a trace or an error.
"""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator, model_validator

Risk = Literal["read", "write", "sensitive"]
Method = Literal["GET", "POST", "PUT", "PATCH", "DELETE"]

NAME = re.compile(r"^[a-z][a-z0-9_]{0,31}$")
PLACEHOLDER = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")
CUSTOMER = "customer"
"""The path placeholder bound to the customer's id in the connector's system."""
BUILT_IN_NAMESPACES = frozenset(
    {"approvals", "conversation", "csat", "handoff", "kb", "notify", "orders", "payments"}
    | {"tickets"}
)


class ConnectorError(Exception):
    """A connector cannot start as configured; the message names the key."""


class Config(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Breaker(Config):
    """After `failures` failed calls in a row the connector is not called for
    `cooldown_s`; then one call tries again."""

    failures: int = Field(5, ge=1)
    cooldown_s: float = Field(30.0, gt=0)


class HttpTool(Config):
    description: str = ""
    method: Method = "GET"
    path: str
    parameters: dict[str, Any] | None = None
    """A JSON Schema of the arguments (never the customer: `{customer}` is bound)."""
    query: dict[str, Any] | None = None
    """Query parameters as templates (`{{ args.x }}`); by default a GET or DELETE sends the
    arguments its path does not use."""
    body: Any = None
    """The JSON body as a template; by default a POST, PUT or PATCH sends the arguments its
    path does not use."""
    query_params: list[str] | None = None
    """Arguments a POST, PUT or PATCH sends in the query string rather than its body."""
    risk: Risk = "read"
    public: bool = False
    """Callable without a verified customer (its path must not name `{customer}`)."""

    @field_validator("path")
    @classmethod
    def _relative(cls, path: str) -> str:
        if not path.startswith("/") or "://" in path:
            raise ValueError("must be a path below base_url, starting with /")
        return path

    @model_validator(mode="after")
    def _placeholders_known(self) -> HttpTool:
        properties = (self.parameters or {}).get("properties", {})
        for name in PLACEHOLDER.findall(self.path):
            if name == CUSTOMER:
                if self.public:
                    raise ValueError("a public tool cannot name {customer} in its path")
            elif name not in properties:
                raise ValueError(f"path names {{{name}}}, which parameters does not define")
            elif name not in (self.parameters or {}).get("required", []):
                raise ValueError(f"path names {{{name}}}: parameters must require it")
        return self


class Operation(Config):
    """An OpenAPI operation exposed as a tool (its path, parameters and description come
    from the document)."""

    risk: Risk = "read"
    description: str = ""
    """Replaces the document's summary, for staff and the model."""
    public: bool = False


class HttpConnector(Config):
    kind: Literal["http"]
    base_url: str
    headers: dict[str, SecretStr] = Field(default_factory=dict)
    timeout_s: float = Field(5.0, gt=0, le=120)
    customer_ref: str | None = None
    """Which of the customer's external ids is `{customer}` (e.g. `isp`)."""
    tools: dict[str, HttpTool] = Field(default_factory=dict)
    openapi: str | None = None
    """An OpenAPI 3 document (a file, relative to the policy file, or a URL)."""
    operations: dict[str, Operation] = Field(default_factory=dict)
    customer_param: str = CUSTOMER
    """The OpenAPI path parameter bound to the customer (`/customers/{customer_id}`)."""
    health: str | None = None
    """A path `switchboard connectors check` GETs (else the base URL)."""
    retries: int = Field(2, ge=0, le=5)
    """Extra attempts after a timeout, a refused connection or a 429/502/503/504."""
    max_response_kb: int = Field(256, ge=1, le=10_240)
    breaker: Breaker = Field(default_factory=Breaker)

    @field_validator("base_url")
    @classmethod
    def _http_url(cls, url: str) -> str:
        if not re.match(r"^https?://[^/\s]+", url):
            raise ValueError("must be an http:// or https:// URL")
        return url.rstrip("/")

    @model_validator(mode="after")
    def _tools_or_openapi(self) -> HttpConnector:
        if self.openapi is None and self.operations:
            raise ValueError("operations need openapi: (the document they come from)")
        if self.openapi is not None and not self.operations:
            raise ValueError("openapi: needs operations: (the ones to expose, with their risk)")
        if not self.tools and not self.operations:
            raise ValueError("needs tools: (or openapi: and operations:)")
        clash = set(self.tools) & set(self.operations)
        if clash:
            raise ValueError(f"{sorted(clash)[0]} is both a tool and an operation")
        needs_customer = any(
            CUSTOMER in PLACEHOLDER.findall(t.path) for t in self.tools.values()
        ) or any(not op.public for op in self.operations.values())
        if needs_customer and not self.customer_ref:
            raise ValueError("its tools bind {customer}: set customer_ref (e.g. customer_ref: crm)")
        return self

    def declared(self) -> dict[str, Risk]:
        return {name: t.risk for name, t in self.tools.items()} | {
            name: op.risk for name, op in self.operations.items()
        }


class StripeConnector(Config):
    kind: Literal["stripe"]
    api_key: SecretStr
    api_base: str = ""
    """Empty for Stripe itself; tests point it at a fake."""
    customer_ref: str = "stripe"
    timeout_s: float = Field(10.0, gt=0, le=120)
    retries: int = Field(2, ge=0, le=5)
    breaker: Breaker = Field(default_factory=Breaker)

    def declared(self) -> dict[str, Risk]:
        return {}  # it serves the payments provider's tools (payments.*)


class McpTool(Config):
    risk: Risk = "read"
    description: str = ""
    """Replaces the server's description, for staff and the model."""
    public: bool = False


class McpConnector(Config):
    kind: Literal["mcp"]
    url: str | None = None
    """A streamable-HTTP MCP endpoint."""
    command: list[str] | None = None
    """Or a server started over stdio: `[python, server.py]`."""
    headers: dict[str, SecretStr] = Field(default_factory=dict)
    env: dict[str, SecretStr] = Field(default_factory=dict)
    """Environment of a stdio server."""
    tools: dict[str, McpTool] = Field(min_length=1)
    """Only the tools listed here are exposed."""
    bind: dict[str, str] = Field(default_factory=dict)
    """Arguments the engine fills from the verified customer (`customer_email:
    customer.email`); removed from the schema the model sees."""
    timeout_s: float = Field(10.0, gt=0, le=120)
    breaker: Breaker = Field(default_factory=Breaker)

    @model_validator(mode="after")
    def _one_transport(self) -> McpConnector:
        if (self.url is None) == (self.command is None):
            raise ValueError("give url: (streamable HTTP) or command: (stdio), not both")
        if self.command is not None and not self.command:
            raise ValueError("command: is empty")
        for argument, source in self.bind.items():
            if not _bindable(source):
                raise ValueError(
                    f"bind.{argument}: {source!r} is not one of customer.email, customer.name, "
                    "customer.user_id, customer.id or customer.ext.<system>"
                )
        return self

    def declared(self) -> dict[str, Risk]:
        return {name: t.risk for name, t in self.tools.items()}


def _bindable(source: str) -> bool:
    if source in ("customer.email", "customer.name", "customer.user_id", "customer.id"):
        return True
    system = source.removeprefix("customer.ext.")
    return system != source and bool(NAME.match(system))


CONNECTOR_KINDS = ("http", "stripe", "mcp")
ConnectorConfig = Annotated[
    HttpConnector | StripeConnector | McpConnector, Field(discriminator="kind")
]


class Providers(Config):
    """Which connector serves the built-in tools of a kind (`demo`: the demo SQL tables)."""

    payments: str = "demo"


def connector_problems(
    connectors: dict[str, HttpConnector | StripeConnector | McpConnector], providers: Providers
) -> list[str]:
    problems = []
    for name in connectors:
        if not NAME.match(name):
            problems.append(f"connectors.{name}: a name is lowercase letters, digits and _")
        elif name in BUILT_IN_NAMESPACES:
            problems.append(f"connectors.{name}: {name}.* are built-in tools; choose another name")
    if providers.payments != "demo":
        served = connectors.get(providers.payments)
        if served is None:
            problems.append(f"providers.payments: no connector {providers.payments!r}")
        elif served.kind != "stripe":
            problems.append(
                f"providers.payments: {providers.payments!r} is a {served.kind} connector; "
                "payments are served by a stripe connector"
            )
    return problems
