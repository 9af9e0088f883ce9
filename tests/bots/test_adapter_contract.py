"""One contract for every channel adapter: what its capabilities declare is what the
customer sees.

Each reply goes the way the engine sends it, through the outbox and a stored row, into
the real adapter: web chat pushes to an open socket's mailbox, Telegram's aiogram `Bot`
and Slack's `AsyncWebClient` talk HTTP to the fake platform servers on 127.0.0.1, the
terminal prints. Each channel's `seen()` reads back what its customer would see.
"""

from __future__ import annotations

import itertools
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import pytest

from bots.base import ChannelAdapter, ChannelCapabilities
from bots.fitting import units
from bots.slack.adapter import SlackAdapter
from bots.slack.client import make_client
from bots.telegram.adapter import TelegramAdapter
from bots.telegram.channel import create_bot
from bots.terminal import TerminalAdapter
from bots.webchat.adapter import LiveListener, WebchatAdapter
from storage import conversations
from storage.db import create_engine, session_factory, transaction
from storage.models import Message, OutboundStatus
from switchboard.engine.delivery import DeliveryPolicy, Outbox
from tests.support.databases import DatabaseFactory
from tests.support.fake_slack import FakeSlack
from tests.support.fake_telegram import FakeTelegram

TOKEN = "123456789:TEST-token_for-the-fake"
CHANNELS = ["webchat", "telegram", "slack", "terminal"]
_chats = itertools.count(810_001)


@dataclass(frozen=True)
class Seen:
    """One message as the customer sees it: its text and the buttons under it."""

    text: str
    buttons: tuple[str, ...] = ()


@dataclass
class Channel:
    name: str
    adapter: ChannelAdapter
    chat_id: str
    fake_telegram: FakeTelegram | None = None
    fake_slack: FakeSlack | None = None
    listener: LiveListener | None = None
    printed: list[str] = field(default_factory=list)
    _seen: list[Seen] = field(default_factory=list)

    @property
    def capabilities(self) -> ChannelCapabilities:
        return self.adapter.capabilities

    def seen(self) -> list[Seen]:
        if self.fake_telegram is not None:
            return [
                Seen(c.text, _telegram_buttons(c.params.get("reply_markup")))
                for c in self.fake_telegram.calls_of("sendMessage", self.chat_id)
                if c.result is not None
            ]
        if self.fake_slack is not None:
            return [
                _slack_seen(c.args)
                for c in self.fake_slack.posted(channel=self.chat_id)
                if c.result.get("ok")
            ]
        if self.listener is not None:
            while not self.listener.queue.empty():
                event = self.listener.queue.get_nowait()
                if event.kind == "message" and event.message is not None:
                    self._seen.append(Seen(event.message.text, event.message.quick_replies))
            return list(self._seen)
        return _terminal_seen(self.printed)

    def fail_after(self, parts: int) -> None:
        """The platform turns the message after the next `parts` away, for a while."""
        if self.fake_telegram is not None:
            self.fake_telegram.fail_next(
                "sendMessage", status=429, chat_id=self.chat_id, after=parts
            )
        elif self.fake_slack is not None:  # past slack-sdk's own retries (two)
            self.fake_slack.rate_limit("chat.postMessage", times=3, retry_after=0, after=parts)
        else:
            pytest.skip(f"{self.name} has no platform that can turn a message away")


def _telegram_buttons(markup: Any) -> tuple[str, ...]:
    rows = markup.get("inline_keyboard", []) if isinstance(markup, dict) else []
    return tuple(button["text"] for row in rows for button in row)


def _unescape(text: str) -> str:
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def _slack_seen(args: dict[str, Any]) -> Seen:
    """With blocks, Slack shows the blocks (the text is the notification's)."""
    blocks = args.get("blocks") or []
    if not blocks:
        return Seen(_unescape(str(args["text"])))
    sections = [b["text"]["text"] for b in blocks if b["type"] == "section"]
    buttons = [e["text"]["text"] for b in blocks if b["type"] == "actions" for e in b["elements"]]
    return Seen(_unescape("\n".join(sections)), tuple(buttons))


def _terminal_seen(printed: list[str]) -> list[Seen]:
    seen: list[Seen] = []
    for line in printed:
        if line.startswith("      ["):
            seen[-1] = Seen(seen[-1].text, tuple(line.strip()[1:-1].split("] [")))
        else:
            seen.append(Seen(line.split("> ", 1)[1]))
    return seen


@pytest.fixture(scope="module")
async def fake_telegram() -> AsyncIterator[FakeTelegram]:
    fake = FakeTelegram(TOKEN)
    await fake.start()
    yield fake
    await fake.stop()


@pytest.fixture(scope="module")
async def fake_slack() -> AsyncIterator[FakeSlack]:
    fake = FakeSlack()
    await fake.start()
    yield fake
    await fake.stop()


@pytest.fixture(params=CHANNELS)
async def channel(
    request: pytest.FixtureRequest, fake_telegram: FakeTelegram, fake_slack: FakeSlack
) -> AsyncIterator[Channel]:
    name: str = request.param
    number = next(_chats)
    if name == "webchat":
        webchat = WebchatAdapter()
        session_id = f"ws-{number}"
        yield Channel(name, webchat, session_id, listener=webchat.listen(session_id))
    elif name == "telegram":
        telegram = TelegramAdapter(create_bot(TOKEN, fake_telegram.url))
        yield Channel(name, telegram, str(number), fake_telegram=fake_telegram)
        await telegram.close()
    elif name == "slack":
        slack = SlackAdapter(make_client("xoxb-test-token", fake_slack.url))
        yield Channel(name, slack, f"D{number}", fake_slack=fake_slack)
    else:
        printed: list[str] = []
        yield Channel(name, TerminalAdapter(printed.append), f"tty{number}", printed=printed)


@pytest.fixture
async def reply(sqlite_databases: DatabaseFactory, channel: Channel) -> AsyncIterator[Any]:
    """`await reply(text, *choices)`: one reply sent as the engine sends it; gives its
    stored row as delivery left it."""
    engine = create_engine(sqlite_databases.fresh())
    sessions = session_factory(engine)
    policy = DeliveryPolicy(attempts=4, first_backoff_s=0.01, max_backoff_s=0.05)
    outbox = Outbox(sessions, {channel.name: channel.adapter}, policy)

    async def send(text: str, *quick_replies: str) -> Message:
        async with transaction(sessions) as session:
            conversation = await conversations.open_conversation(
                session, channel=channel.name, channel_chat_id=channel.chat_id, customer_id=None
            )
            assert conversation.id is not None
            row = await outbox.queue(
                session,
                conversation_id=conversation.id,
                channel=channel.name,
                text=text,
                quick_replies=list(quick_replies),
            )
        await outbox.deliver(row, conversation)
        async with sessions() as session:
            stored = await session.get(Message, row.id)
        assert stored is not None
        return stored

    yield send
    await engine.dispose()


def sentences(count: int) -> str:
    """Sentences of text only (no line breaks), with what Slack must escape."""
    return " ".join(f"Sentence {n} says ünïcödé & <more> things." for n in range(count))


def long_enough(capabilities: ChannelCapabilities) -> int:
    """How many sentences make a reply two and a half times the channel's limit."""
    limit = capabilities.max_text_length or 4096
    return int(limit * 2.5 / len(sentences(1))) + 1


def as_buttons(capabilities: ChannelCapabilities, labels: tuple[str, ...]) -> bool:
    """What the declaration promises: buttons, if it shows this many of this length."""
    return (
        capabilities.quick_replies
        and len(labels) <= (capabilities.max_quick_replies or len(labels))
        and all(len(label) <= (capabilities.max_quick_reply_length or 10**9) for label in labels)
    )


async def test_a_long_reply_arrives_in_order_split_at_sentence_ends(
    channel: Channel, reply: Any
) -> None:
    text = sentences(long_enough(channel.capabilities))

    row = await reply(text)

    parts = [seen.text for seen in channel.seen()]
    limit = channel.capabilities.max_text_length
    if limit is None:
        assert parts == [text]
    else:
        assert len(parts) >= 3
        assert all(units(part) <= limit for part in parts)
        assert all(part.startswith("Sentence ") and part.endswith(".") for part in parts)
        assert " ".join(parts) == text  # nothing lost but the space at each cut
    assert row.status in (OutboundStatus.delivered, str(OutboundStatus.delivered))


async def test_quick_replies_come_on_the_last_part(channel: Channel, reply: Any) -> None:
    text = sentences(long_enough(channel.capabilities))

    await reply(text, "Yes", "No")

    seen = channel.seen()
    assert seen[-1].buttons == ("Yes", "No")
    assert all(not part.buttons for part in seen[:-1])
    assert " ".join(part.text for part in seen) == text


CHOICES = {
    "two": ("Yes", "No"),
    "thirty": tuple(f"Option {n}" for n in range(1, 31)),
    "a long label": (
        "Yes",
        "Yes, and please also cancel the other order I placed yesterday evening by mistake",
    ),
}


@pytest.mark.parametrize("labels", CHOICES.values(), ids=CHOICES.keys())
async def test_quick_replies_are_buttons_or_numbered_text(
    channel: Channel, reply: Any, labels: tuple[str, ...]
) -> None:
    await reply("Which one?", *labels)

    [seen] = channel.seen()
    numbered = "\n".join(f"{n}. {label}" for n, label in enumerate(labels, start=1))
    if as_buttons(channel.capabilities, labels):
        assert seen == Seen("Which one?", labels)
    else:
        assert seen == Seen(f"Which one?\n\n{numbered}")


@pytest.mark.parametrize("text", ["", "  \n\t "], ids=["empty", "whitespace"])
async def test_a_blank_reply_sends_nothing_and_is_not_a_dead_letter(
    channel: Channel, reply: Any, text: str
) -> None:
    row = await reply(text)

    assert channel.seen() == []
    assert row.status == OutboundStatus.delivered and row.error is None


async def test_choices_without_text_still_arrive(channel: Channel, reply: Any) -> None:
    await reply(" ", "Yes", "No")

    [seen] = channel.seen()
    assert seen.text == "1. Yes\n2. No"
    assert seen.buttons == (("Yes", "No") if channel.capabilities.quick_replies else ())


UNICODE = "Olá 👋🏽! Ваш заказ 📦 в пути. 注文は発送されました。 مرحبا بك. Cafe\u0301 👨‍👩‍👧‍👦 🇫🇷🇩🇪"


async def test_unicode_and_emoji_arrive_as_written(channel: Channel, reply: Any) -> None:
    await reply(UNICODE)

    assert channel.seen() == [Seen(UNICODE)]


# Characters of several code points: a family (joiners), a flag (two regional
# indicators), a thumb with a skin tone, an accented letter (a combining mark).
CLUSTERS = ["👨‍👩‍👧‍👦", "🇫🇷", "👍🏽", "e\u0301"]


async def test_a_long_run_without_spaces_is_cut_between_characters(
    channel: Channel, reply: Any
) -> None:
    limit = channel.capabilities.max_text_length
    clusters = CLUSTERS * ((limit or 4096) // 7)  # about three times the limit, in units
    text = "".join(clusters)

    await reply(text)

    parts = [seen.text for seen in channel.seen()]
    if limit is None:
        assert parts == [text]
        return
    assert len(parts) >= 3 and "".join(parts) == text
    assert all(units(part) <= limit for part in parts)
    boundaries = set(itertools.accumulate(len(c) for c in clusters))
    cuts = itertools.accumulate(len(part) for part in parts[:-1])
    assert all(cut in boundaries for cut in cuts)


async def test_a_retry_sends_only_the_parts_not_sent_yet(channel: Channel, reply: Any) -> None:
    text = sentences(long_enough(channel.capabilities))
    channel.fail_after(1)

    row = await reply(text)

    parts = [seen.text for seen in channel.seen()]
    assert " ".join(parts) == text  # each part once, in order
    assert row.status == OutboundStatus.delivered and row.attempts == 1


def test_every_adapter_declares_its_capabilities(channel: Channel) -> None:
    """Typed, and on the class: what a channel can show does not depend on a chat."""
    assert isinstance(channel.capabilities, ChannelCapabilities)
    assert channel.capabilities is type(channel.adapter).capabilities
