"""The web chat widget's own words (placeholder, buttons, status, connection errors) in
every shipped language, from the same catalogues as the bot's replies (graph/locales).

They reach the widget inside /widget.js itself (no second request before it can draw)
and, for sites that build their own chat, from `GET /api/webchat/strings`.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

from graph.i18n import N_, SOURCE_LANGUAGE, _, shipped_languages, speaking

WIDGET_SCRIPT = Path(__file__).resolve().parents[2] / "bots" / "webchat" / "static" / "widget.js"
MARKER = "/*SWITCHBOARD_WIDGET_STRINGS*/{}"

WIDGET_TEXTS = (
    N_("Support"),
    N_("Assistant"),
    N_("Support agent"),
    N_("You:"),
    N_("{title} is typing…"),
    N_("Open support chat"),
    N_("Close support chat"),
    N_("{label} ({count} unread)"),
    N_("Close chat"),
    N_("Conversation"),
    N_("Suggested replies"),
    N_("Send a message"),
    N_("Message"),
    N_("Type your message…"),
    N_("Send message"),
    N_("Send"),
    N_("Retry"),
    N_("Limit reached: {limit} characters"),
    N_("Virtual assistant · a person is one message away"),
    N_("Waiting for a person from our team"),
    N_("You're chatting with our support team"),
    N_("Conversation closed"),
    N_("reconnecting…"),
    N_("Waiting for a person from our team. Anything you write is kept for them."),
    N_("Our support team handed you back to the virtual assistant."),
    N_("This conversation was closed. Write again any time."),
    N_("Still working on it…"),
    N_("Not sent"),
    N_("Message not sent:"),
    N_("Couldn't send your message."),
    N_("Couldn't load the conversation."),
    N_("Check your connection."),
    N_("Too many messages; wait {seconds} seconds."),
    N_("Too many messages; wait a few seconds."),
    N_("The service is having trouble."),
    N_("Something went wrong."),
)
"""English sources, as widget.js writes them (`t("Send")`)."""


def widget_strings(language: str, fallback: str = SOURCE_LANGUAGE) -> dict[str, str]:
    """Each widget text in `language` (else `fallback`, else English), by its English source."""
    with speaking(language, fallback):
        return {text: _(text) for text in WIDGET_TEXTS}


def strings_for(locale: str, default_language: str) -> tuple[str, dict[str, str]]:
    """The shipped language a locale (`es-ES`) is written in, else the default one, and
    the widget's texts in it."""
    code = locale.replace("_", "-").split("-")[0].lower()
    if code not in shipped_languages():
        code = default_language
    return code, widget_strings(code, default_language)


@cache
def widget_script(default_language: str) -> str:
    """widget.js with every shipped language's strings in it; a page in another language
    gets `default_language`'s (the policy's), the language the bot answers it in."""
    table = {
        "default": default_language,
        "strings": {code: widget_strings(code, default_language) for code in shipped_languages()},
    }
    script = WIDGET_SCRIPT.read_text(encoding="utf-8")
    return script.replace(MARKER, json.dumps(table, ensure_ascii=False, sort_keys=True), 1)
