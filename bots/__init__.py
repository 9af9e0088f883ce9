"""Channel adapters (web chat, Telegram, Slack).

Contract: an adapter only translates — platform event → `InboundMessage`,
`OutboundMessage` → platform call. Adapters know `bots.base` and the engine handle that
is injected at start; they never import `graph` or `tools`.
"""
