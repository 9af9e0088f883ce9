"""The console's Workflows page over HTTP: behind the admin sign-in, each written workflow
drawn as inline SVG (no script, no CDN), with what customers could type escaped."""

from __future__ import annotations

import copy
import xml.etree.ElementTree as ET
from pathlib import Path

import httpx
import pytest
import yaml

from switchboard.settings import Settings
from tests.conftest import ADMIN_TOKEN, make_settings
from tests.graph.test_written_workflows import DELIVERY_CHECK

DEFAULT_POLICY = Path(__file__).resolve().parents[2] / "switchboard" / "default_policy.yaml"
SVG = "{http://www.w3.org/2000/svg}"


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    policy = yaml.safe_load(DEFAULT_POLICY.read_text(encoding="utf-8"))
    check = copy.deepcopy(DELIVERY_CHECK)
    check["label"] = "your <delivery>"
    policy["workflows"]["delivery_check"] = check
    policy["intents"]["order_status"]["route"] = "workflow:delivery_check"
    path = tmp_path / "policy.yaml"
    path.write_text(yaml.safe_dump(policy), encoding="utf-8")
    return make_settings(database_url, SWITCHBOARD_POLICY=str(path))


async def test_the_workflows_page_draws_each_written_workflow(http: httpx.AsyncClient) -> None:
    assert (await http.get("/admin/workflows")).status_code == 401
    page = await http.get("/admin/workflows", headers={"Authorization": f"Bearer {ADMIN_TOKEN}"})
    assert page.status_code == 200
    text = page.text
    assert "<script" not in text and "http://" not in text.replace("http://www.w3.org/2000/svg", "")
    assert 'href="/admin/workflows" aria-current="page"' in text
    assert 'href="#workflow-delivery_check"' in text  # order_status routes here
    assert "your &lt;delivery&gt;" in text and "<delivery>" not in text

    section = text.split('id="workflow-delivery_check"', 1)[1].split("</section>", 1)[0]
    svg = ET.fromstring(section[section.index("<svg") : section.index("</svg>") + 6])
    boxes = [g for g in svg.iter(f"{SVG}g") if "step" in g.get("class", "")]
    kinds = [g.get("class", "").split()[1] for g in boxes]
    assert kinds == [
        "start",
        "ask",
        "call",
        "if",
        "reask",
        "if",
        "reply",
        "end",
        "ticket",
        "notify",
        "reply",
        "end",
    ]
    paths = [title.text for title in svg.iter(f"{SVG}title")]
    assert "steps[3].else[0]" in paths
    labels = [t.text for t in svg.iter(f"{SVG}text") if t.get("class") == "e"]
    assert labels.count("yes") == 2 and labels.count("no") == 2
    assert len(list(svg.iter(f"{SVG}polyline"))) >= 11
