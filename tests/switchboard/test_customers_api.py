"""Admin API for a customer's ids in the company's systems, over real HTTP on both
databases."""

from __future__ import annotations

import httpx

from tests.support.server import LiveServer

PATH = "/api/admin/customers/cus_maria"


async def test_look_set_replace_and_remove_an_id(
    http: httpx.AsyncClient, admin_headers: dict[str, str]
) -> None:
    maria = await http.get(PATH, headers=admin_headers)
    assert maria.status_code == 200, maria.text
    body = maria.json()
    assert {k: v for k, v in body.items() if k != "id"} == {
        "user_id": "cus_maria",
        "email": "maria@example.com",
        "name": "Maria Garcia",
        "vip": False,
        "external_ids": {},
    }
    assert isinstance(body["id"], int)

    put = await http.put(f"{PATH}/external-ids/stripe", json={"id": "cus_1"}, headers=admin_headers)
    assert put.status_code == 200, put.text
    assert put.json()["external_ids"] == {"stripe": "cus_1"}
    await http.put(f"{PATH}/external-ids/isp", json={"id": "ISP-0042"}, headers=admin_headers)
    await http.put(f"{PATH}/external-ids/stripe", json={"id": "cus_2"}, headers=admin_headers)
    got = (await http.get(PATH, headers=admin_headers)).json()
    assert got["external_ids"] == {"stripe": "cus_2", "isp": "ISP-0042"}

    gone = await http.delete(f"{PATH}/external-ids/stripe", headers=admin_headers)
    assert gone.status_code == 204
    again = await http.delete(f"{PATH}/external-ids/stripe", headers=admin_headers)
    assert again.status_code == 204
    got = (await http.get(PATH, headers=admin_headers)).json()
    assert got["external_ids"] == {"isp": "ISP-0042"}


async def test_refused_without_the_token_for_unknown_customers_and_bad_ids(
    http: httpx.AsyncClient, admin_headers: dict[str, str]
) -> None:
    assert (await http.get(PATH)).status_code == 401
    unauthorised = await http.put(f"{PATH}/external-ids/stripe", json={"id": "cus_1"})
    assert unauthorised.status_code == 401
    assert (await http.delete(f"{PATH}/external-ids/stripe")).status_code == 401

    for response in (
        await http.get("/api/admin/customers/cus_nobody", headers=admin_headers),
        await http.put(
            "/api/admin/customers/cus_nobody/external-ids/stripe",
            json={"id": "cus_1"},
            headers=admin_headers,
        ),
        await http.delete(
            "/api/admin/customers/cus_nobody/external-ids/stripe", headers=admin_headers
        ),
    ):
        assert response.status_code == 404
        assert response.json() == {"error": "no customer with user id 'cus_nobody'"}

    for system, body, expected in [
        ("Stripe", {"id": "cus_1"}, "system 'Stripe'"),
        ("stripe", {"id": ""}, "the id is empty"),
        ("stripe", {"id": "x" * 129}, "longer than 128"),
        ("stripe", {"id": "cus\t1"}, "control character"),
        ("stripe", {}, "id: Field required"),
    ]:
        bad = await http.put(f"{PATH}/external-ids/{system}", json=body, headers=admin_headers)
        assert bad.status_code == 422 and expected in bad.json()["error"], bad.text
    nul = await http.get("/api/admin/customers/cus%00x", headers=admin_headers)
    assert nul.status_code in (404, 422), nul.text
    bad_delete = await http.delete(f"{PATH}/external-ids/Stripe", headers=admin_headers)
    assert bad_delete.status_code == 422
    assert (await http.get(PATH, headers=admin_headers)).json()["external_ids"] == {}


async def test_an_agent_may_look_but_not_change_ids(
    server: LiveServer, http: httpx.AsyncClient
) -> None:
    password = await server.add_staff("anna@example.com", "Anna", "agent")
    signed = await http.post(
        "/admin/login",
        content=f"email=anna@example.com&password={password}&next=/admin",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    anna = {"switchboard_staff": signed.cookies["switchboard_staff"]}
    http.cookies.clear()
    assert (await http.get(PATH, cookies=anna)).status_code == 200
    put = await http.put(f"{PATH}/external-ids/stripe", json={"id": "cus_1"}, cookies=anna)
    assert put.status_code == 403 and "admin role" in put.json()["error"]
