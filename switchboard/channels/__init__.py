"""The channel table and each channel built from settings (Telegram, Slack, web chat),
with the SQL implementations of the ports their adapters in `bots/` declare."""
