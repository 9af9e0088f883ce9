"""Admin API for the knowledge base, over real HTTP on both databases."""

from __future__ import annotations

import httpx

from tests.conftest import open_webchat


async def test_list_post_search_delete(
    http: httpx.AsyncClient, admin_headers: dict[str, str]
) -> None:
    assert (await http.get("/api/admin/kb/articles")).status_code == 401
    listed = (await http.get("/api/admin/kb/articles", headers=admin_headers)).json()["articles"]
    assert {a["slug"] for a in listed} >= {"refund-policy", "warranty"}
    assert all(a["passages"] == 1 and a["source"] is None for a in listed)

    body = "Wrapping is free.\n\n## Gift messages\n\nAdd a message of up to 200 characters."
    created = await http.post(
        "/api/admin/kb/articles",
        json={"title": "Gift wrapping", "body": body, "url": "/help/gift-wrapping"},
        headers=admin_headers,
    )
    assert created.status_code == 201, created.text
    article = created.json()["article"]
    assert created.json()["outcome"] == "imported"
    assert article["source"] == "admin/gift-wrapping.md" and article["passages"] == 2
    again = await http.post(
        "/api/admin/kb/articles",
        json={"title": "Gift wrapping", "body": body, "url": "/help/gift-wrapping"},
        headers=admin_headers,
    )
    assert again.json()["outcome"] == "unchanged"

    bad = await http.post("/api/admin/kb/articles", json={"title": ""}, headers=admin_headers)
    assert bad.status_code == 422 and "error" in bad.json()

    gone = await http.delete(f"/api/admin/kb/articles/{article['id']}", headers=admin_headers)
    assert gone.status_code == 204
    missing = await http.delete(f"/api/admin/kb/articles/{article['id']}", headers=admin_headers)
    assert missing.status_code == 404 and "not found" in missing.json()["error"]
    turn = await (await open_webchat(http)).say("what is your return policy")
    assert "Refunds and returns" in turn["replies"][0]["text"]
