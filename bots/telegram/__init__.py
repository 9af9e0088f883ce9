"""The Telegram channel (aiogram 3): webhook and long polling in, Bot API out.

Contract: updates from private chats become `InboundMessage`s submitted to the engine
(`channel="telegram"`, user id = Telegram user id, message id = "<chat>:<message>" or
"cb:<callback query id>"); replies go out through `TelegramAdapter.send`. Nothing here
imports the graph, the tools or storage; account links and the polling cursor are
injected (`bots.telegram.ports`).
"""

from bots.telegram.adapter import TelegramAdapter
from bots.telegram.channel import TelegramChannel, create_bot

__all__ = ["TelegramAdapter", "TelegramChannel", "create_bot"]
