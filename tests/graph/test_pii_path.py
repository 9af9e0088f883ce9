"""PII on the message path: the transcript, the admin API and the export hold the masked
text; the customer's e-mail (kept by default, workflows ask for it) stays."""

from __future__ import annotations

import httpx

from tests.conftest import open_webchat


async def test_card_number_never_stored(
    http: httpx.AsyncClient, admin_headers: dict[str, str]
) -> None:
    chat = await open_webchat(http, "cus_maria")
    said = await chat.say(
        "I was charged twice on card 4111 1111 1111 1111, my phone is +44 7400 123456 "
        "and my mail maria@example.com"
    )
    history = await chat.history()
    stored = [m["text"] for m in history["messages"] if m["role"] == "customer"]
    assert stored == [
        "I was charged twice on card [CARD_1], my phone is [PHONE_1] and my mail maria@example.com"
    ]
    conversation = said.get("conversation_id") or history.get("conversation_id")
    export = await http.get("/api/admin/export/conversations", headers=admin_headers)
    # The card in any spelling (a bare "4111" can occur inside a timestamp's microseconds).
    for leaked in ("4111 1111", "4111111111111111", "7400 123456"):
        assert leaked not in export.text
    if conversation:
        admin = await http.get(f"/api/admin/conversations/{conversation}", headers=admin_headers)
        assert "4111 1111" not in admin.text and "4111111111111111" not in admin.text
