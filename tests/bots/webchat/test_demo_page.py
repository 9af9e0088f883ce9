"""The demo page carries signed demo identities only in demo mode."""

from __future__ import annotations

from bots.webchat.demo import demo_page_html
from tests.conftest import IDENTITY_SECRET, user_hash


def test_demo_mode_signs_the_demo_customers_on_the_server() -> None:
    html = demo_page_html(demo=True, identity_secret=IDENTITY_SECRET)
    assert user_hash("cus_maria") in html
    assert user_hash("cus_sam") in html
    assert '<script src="/widget.js"></script>' in html


def test_outside_demo_mode_no_identity_is_handed_out() -> None:
    for html in (
        demo_page_html(demo=False, identity_secret=IDENTITY_SECRET),
        demo_page_html(demo=True, identity_secret=None),
    ):
        assert user_hash("cus_maria") not in html
        assert "var visitors = []" in html
