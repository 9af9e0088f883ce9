"""Telegram updates → `InboundMessage`s: pure translation, no I/O.

Ids: a message is `"<chat_id>:<message_id>"` (unique per bot across chats), a button press
is `"cb:<callback_query_id>"`; Telegram resends the same ids on webhook retries, so the
engine's inbox turns a replay into a no-op. The channel user id is the Telegram user id,
which is what `switchboard customers link --channel telegram` stores.
"""

from __future__ import annotations

from datetime import UTC, datetime

from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message

from bots.base import InboundMessage

CHANNEL = "telegram"
MAX_TEXT = 4096
"""Telegram's limit for one message's text."""
QUICK_REPLY_PREFIX = "qr:"

# Content kinds a customer can send that carry no text for the bot to read.
MEDIA_KINDS = (
    "photo",
    "sticker",
    "voice",
    "video",
    "video_note",
    "audio",
    "document",
    "animation",
    "location",
    "contact",
    "poll",
    "dice",
    "venue",
)


def is_customer_chat(message: Message) -> bool:
    """Only private chats with a person are support conversations.

    Groups are ignored on purpose: a support conversation carries account details that
    must not be posted where other people read along.
    """
    user = message.from_user
    return message.chat.type == "private" and user is not None and not user.is_bot


def attachments_of(message: Message) -> tuple[str, ...]:
    """`kind:file_id` (or just `kind` when it has no file), so staff can fetch it later."""
    found: list[str] = []
    for kind in MEDIA_KINDS:
        value = getattr(message, kind, None)
        if not value:
            continue
        if isinstance(value, list):  # photo: several sizes, the last is the largest
            value = value[-1]
        file_id = getattr(value, "file_id", None)
        found.append(f"{kind}:{file_id}" if file_id else kind)
    return tuple(found)


def _received_at(date: datetime | None) -> datetime:
    if date is None:
        return datetime.now(UTC)
    return date if date.tzinfo else date.replace(tzinfo=UTC)


def from_message(message: Message, *, text: str | None = None) -> InboundMessage:
    """A customer's message. A photo's caption is its text; media alone has empty text
    plus attachments, which the graph's guard answers ("I can only read text")."""
    user = message.from_user
    assert user is not None
    return InboundMessage(
        channel=CHANNEL,
        channel_user_id=str(user.id),
        channel_chat_id=str(message.chat.id),
        channel_message_id=f"{message.chat.id}:{message.message_id}",
        text=text if text is not None else (message.text or message.caption or ""),
        attachments=attachments_of(message),
        received_at=_received_at(message.date),
        display_name=user.full_name,
        locale=user.language_code,
    )


def button_text(query: CallbackQuery) -> str | None:
    """The label of the pressed quick-reply button, read back from the message's keyboard.

    Telegram limits callback data to 64 bytes, so buttons carry only their index; the
    label (the customer's answer) is on the message the button belongs to.
    """
    message = query.message
    markup = getattr(message, "reply_markup", None)
    if not isinstance(markup, InlineKeyboardMarkup) or not query.data:
        return None
    for row in markup.inline_keyboard:
        for button in row:
            if button.callback_data == query.data:
                return button.text
    return None


def from_callback(query: CallbackQuery, text: str) -> InboundMessage | None:
    """A quick-reply press: the button's label becomes the customer's next message."""
    message = query.message
    if message is None or message.chat.type != "private":
        return None
    return InboundMessage(
        channel=CHANNEL,
        channel_user_id=str(query.from_user.id),
        channel_chat_id=str(message.chat.id),
        channel_message_id=f"cb:{query.id}",
        text=text,
        display_name=query.from_user.full_name,
        locale=query.from_user.language_code,
    )


def quick_reply_keyboard(labels: tuple[str, ...]) -> InlineKeyboardMarkup | None:
    """One button per row: support answers are sentences, not one-word chips."""
    if not labels:
        return None
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [InlineKeyboardButton(text=label, callback_data=f"{QUICK_REPLY_PREFIX}{index}")]
            for index, label in enumerate(labels)
        ]
    )
