"""Web chat HTTP API: sessions, messages, history, and a WebSocket for live replies."""

import secrets
from collections.abc import Callable, Mapping, Sequence
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Header, HTTPException, Query, Response, status
from pydantic import BaseModel, Field, field_validator

from bots.base import EngineHandle, InboundMessage, TurnResult
from bots.webchat.adapter import WebchatAdapter
from bots.webchat.backend import WebchatBackend, WebchatSessionInfo
from bots.webchat.identity import hash_token, verify_user_hash
from bots.webchat.live import add_live_route


def _well_formed(value: str | None) -> str | None:
    """Ids and names must be real Unicode: a lone surrogate cannot be signed or stored."""
    if value is not None:
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            raise ValueError("contains characters that are not valid Unicode") from None
    return value


class SessionCreate(BaseModel):
    user_id: str | None = Field(None, min_length=1, max_length=128)
    user_hash: str | None = Field(None, max_length=128)
    name: str | None = Field(None, max_length=255)

    _check = field_validator("user_id", "user_hash", "name")(_well_formed)


class SessionCreated(BaseModel):
    session_id: str
    token: str


LOCALE = r"^[A-Za-z]{2,3}([-_][A-Za-z0-9]{1,8}){0,4}$"
"""A BCP 47 language tag as browsers report it (`es`, `es-ES`, `zh-Hant-TW`)."""


class MessageCreate(BaseModel):
    text: str = Field(max_length=4000)
    client_message_id: str = Field(min_length=1, max_length=100)
    locale: str | None = Field(None, max_length=35, pattern=LOCALE)
    """The page's or browser's language (`es-ES`): the hint for a first message too short
    to tell its language ("hola"). The message itself decides when it clearly can."""

    _check = field_validator("client_message_id")(_well_formed)

    @field_validator("text")
    @classmethod
    def _not_blank(cls, text: str) -> str:
        if not text.strip():
            raise ValueError("must not be empty")
        return text


class ReplyOut(BaseModel):
    id: int
    text: str
    quick_replies: list[str]


class TurnOut(BaseModel):
    message_id: int
    conversation_id: int
    mode: str
    replies: list[ReplyOut]
    route: str | None = None
    status: Literal["done", "processing"] = "done"
    """`processing` (with HTTP 202): the turn outlasted the wait; its replies come over
    the WebSocket and in `GET /messages`. Posting the same `client_message_id` again
    is safe."""


class HistoryMessage(BaseModel):
    id: int
    role: str
    text: str
    quick_replies: list[str]
    created_at: str


class WidgetStrings(BaseModel):
    language: str
    strings: dict[str, str]
    """The widget's texts in `language`, by their English source ("Send": "Enviar")."""


class HistoryOut(BaseModel):
    messages: list[HistoryMessage]
    mode: str


def _turn_out(result: TurnResult) -> TurnOut:
    return TurnOut(
        message_id=result.message_id,
        conversation_id=result.conversation_id,
        mode=result.mode,
        route=result.route,
        status="processing" if result.pending else "done",
        replies=[
            ReplyOut(id=r.id, text=r.text, quick_replies=list(r.quick_replies))
            for r in result.replies
        ],
    )


def create_webchat_router(
    *,
    engine: EngineHandle,
    backend: WebchatBackend,
    adapter: WebchatAdapter,
    identity_secret: str | None,
    turn_timeout_s: float = 30.0,
    heartbeat_s: float = 20.0,
    allowed_origins: Sequence[str] | None = None,
    widget_strings: Callable[[str], tuple[str, Mapping[str, str]]] | None = None,
) -> APIRouter:
    router = APIRouter(prefix="/api/webchat", tags=["webchat"])

    async def current_session(
        authorization: Annotated[str | None, Header()] = None,
    ) -> WebchatSessionInfo:
        scheme, _, token = (authorization or "").partition(" ")
        if scheme.lower() != "bearer" or not token:
            raise HTTPException(status.HTTP_401_UNAUTHORIZED, "missing bearer token")
        found = await backend.find_session(hash_token(token.strip()))
        if found is None:
            raise HTTPException(status.HTTP_401_UNAUTHORIZED, "unknown or expired session token")
        return found

    SessionDep = Annotated[WebchatSessionInfo, Depends(current_session)]

    @router.post("/sessions", status_code=201, response_model=SessionCreated)
    async def create_session(body: SessionCreate | None = None) -> SessionCreated:
        body = body or SessionCreate()
        verified: str | None = None
        if body.user_id is not None:
            if not body.user_hash:
                raise HTTPException(400, "user_hash is required with user_id")
            if identity_secret is None:
                # No secret configured: identities are never trusted.
                verified = None
            elif not verify_user_hash(body.user_id, body.user_hash, identity_secret):
                raise HTTPException(401, "user_hash does not match user_id")
            else:
                verified = body.user_id
        session_id = f"ws_{secrets.token_hex(12)}"
        token = secrets.token_urlsafe(32)
        await backend.create_session(
            session_id=session_id,
            token_hash=hash_token(token),
            verified_user_id=verified,
            name=body.name,
        )
        return SessionCreated(session_id=session_id, token=token)

    @router.post(
        "/messages",
        response_model=TurnOut,
        responses={
            202: {
                "model": TurnOut,
                "description": "Stored, and the turn is still running: `status` is "
                "`processing`, `replies` empty; the replies follow over the WebSocket and "
                "in `GET /messages`.",
            }
        },
    )
    async def post_message(body: MessageCreate, session: SessionDep, response: Response) -> TurnOut:
        inbound = InboundMessage(
            channel="webchat",
            channel_user_id=session.session_id,
            channel_chat_id=session.session_id,
            # Scoped to the session: one visitor cannot replay or collide with another's ids.
            channel_message_id=f"{session.session_id}:{body.client_message_id}",
            text=body.text,
            verified_user_id=session.verified_user_id,
            verified_customer_id=session.customer_id,
            display_name=session.name,
            locale=body.locale,
        )
        result = await engine.handle(inbound, timeout=turn_timeout_s)
        if result.pending:  # never an empty 200: the reply is on its way, not lost
            response.status_code = status.HTTP_202_ACCEPTED
        return _turn_out(result)

    @router.get("/messages", response_model=HistoryOut)
    async def get_messages(
        session: SessionDep, after: Annotated[int, Query(ge=0)] = 0
    ) -> HistoryOut:
        items = await backend.history(session.session_id, after_id=after)
        return HistoryOut(
            messages=[
                HistoryMessage(
                    id=i.id,
                    role=i.role,
                    text=i.text,
                    quick_replies=list(i.quick_replies),
                    created_at=i.created_at.isoformat(),
                )
                for i in items
            ],
            mode=await backend.mode(session.session_id),
        )

    @router.get("/strings", response_model=WidgetStrings)
    async def get_strings(
        language: Annotated[str, Query(max_length=35, pattern=LOCALE)] = "en",
    ) -> WidgetStrings:
        """The widget's own texts in `language` (`es`, `es-ES`), for a site that draws its
        own chat; a language not shipped gets the server's default one."""
        if widget_strings is None:
            return WidgetStrings(language="en", strings={})
        code, strings = widget_strings(language)
        return WidgetStrings(language=code, strings=dict(strings))

    add_live_route(
        router,
        backend=backend,
        adapter=adapter,
        heartbeat_s=heartbeat_s,
        allowed_origins=allowed_origins,
    )

    return router
