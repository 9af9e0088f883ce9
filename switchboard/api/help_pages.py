"""The help centre's own pages: `/help` lists the imported articles, `/help/<slug>` shows
one, so the links the bot cites work even where the site has no help centre of its own
(the demo). Server-rendered, escaped, no script."""

from __future__ import annotations

import re
from html import escape
from typing import Annotated

from fastapi import APIRouter, HTTPException, Path
from fastapi.responses import HTMLResponse
from sqlmodel import col, select

from storage.models import KbArticle
from switchboard.api.analytics_page import STYLE
from switchboard.api.deps import SessionDep

_ITEM = re.compile(r"^([-*+]|\d+[.)])\s+")
router = APIRouter(tags=["help centre"], include_in_schema=False)
Slug = Annotated[str, Path(min_length=1, max_length=128, pattern=r"^[A-Za-z0-9_.-]+$")]


def _page(title: str, body: str) -> HTMLResponse:
    return HTMLResponse(
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{escape(title)} · Help centre</title><style>{STYLE}</style></head>"
        f'<body><main style="max-width:760px">{body}</main></body></html>'
    )


def _blocks(text: str) -> str:
    """Markdown's few shapes help pages use: headings, lists, paragraphs (wraps joined)."""
    html = []
    for block in re.split(r"\n\s*\n", text.strip()):
        lines = [line.strip() for line in block.splitlines() if line.strip()]
        if not lines:
            continue
        heading = re.match(r"^(#{1,4})\s+(.*)", lines[0])
        if heading and len(lines) == 1:
            level = min(len(heading.group(1)) + 1, 4)
            html.append(f"<h{level}>{escape(heading.group(2))}</h{level}>")
        elif all(_ITEM.match(line) for line in lines):
            items = "".join(f"<li>{escape(_ITEM.sub('', line))}</li>" for line in lines)
            html.append(f"<ul>{items}</ul>")
        else:
            html.append(f"<p>{escape(' '.join(lines))}</p>")
    return "".join(html)


@router.get("/help")
async def help_index(session: SessionDep) -> HTMLResponse:
    articles = (
        await session.exec(
            select(KbArticle).where(col(KbArticle.retired).is_(False)).order_by(KbArticle.title)
        )
    ).all()
    items = "".join(
        f'<li><a href="/help/{escape(a.slug)}">{escape(a.title)}</a></li>' for a in articles
    )
    return _page("Help centre", f"<h1>Help centre</h1><ul>{items}</ul>")


@router.get("/help/{slug}")
async def help_article(slug: Slug, session: SessionDep) -> HTMLResponse:
    found = (
        await session.exec(
            select(KbArticle).where(
                (KbArticle.slug == slug) | (KbArticle.url == f"/help/{slug}"),
                col(KbArticle.retired).is_(False),
            )
        )
    ).first()
    if found is None:
        raise HTTPException(404, f"no help article {slug!r}")
    return _page(
        found.title,
        f'<p><a href="/help">Help centre</a></p><h1>{escape(found.title)}</h1>'
        + _blocks(found.body),
    )
