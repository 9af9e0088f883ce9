"""The page at `/`: the demo company's site with the widget embedded.

In demo mode (SWITCHBOARD_DEMO) with an identity secret configured, the page offers "sign
in as a demo customer": it carries each demo customer's identity hash, computed here on
the server exactly as a site's backend would, so a visitor can try the seed case in one
click. Outside demo mode it carries none: a hash handed to anyone who asks would let them
impersonate that customer.
"""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path

from bots.webchat.identity import sign_user_id

STATIC = Path(__file__).resolve().parent / "static"
PLACEHOLDER = "/*SWITCHBOARD_DEMO_VISITORS*/[]"

# The demo company's customers (storage/demo.py) a visitor may act as.
DEMO_VISITORS: tuple[tuple[str, str], ...] = (
    ("cus_maria", "Maria — charged twice for order 1042"),
    ("cus_sam", "Sam — two failed payments, no duplicate"),
)


@lru_cache(maxsize=1)
def _template() -> str:
    return (STATIC / "demo.html").read_text(encoding="utf-8")


def demo_page_html(*, demo: bool, identity_secret: str | None) -> str:
    visitors = []
    if demo and identity_secret:
        visitors = [
            {"userId": user_id, "label": label, "userHash": sign_user_id(user_id, identity_secret)}
            for user_id, label in DEMO_VISITORS
        ]
    # Safe inside <script>: no "</script>" or "<!--" can be formed from escaped "<".
    data = json.dumps(visitors).replace("<", "\\u003c")
    return _template().replace(PLACEHOLDER, data, 1)
