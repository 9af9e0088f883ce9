"""The help centre the bot quotes: where its articles live, and how a passage is quoted.

```yaml
help_centre:
  base_url: https://help.acme.example   # article links are made absolute against this
```

Without `base_url`, links resolve against the server's own address
(SWITCHBOARD_PUBLIC_URL), where `/help/<slug>` serves the imported articles.
"""

from __future__ import annotations

import re
from urllib.parse import urljoin

from pydantic import BaseModel, ConfigDict, field_validator

QUOTE_CHARS = 700
_LIST_ITEM = re.compile(r"^\s*(?:[-*+•]|\d+[.)])\s")
_SENTENCE_END = re.compile(r"[.!?…][\"'”’)]?(?=\s|$)")


class HelpCentrePolicy(BaseModel):
    model_config = ConfigDict(extra="forbid")

    base_url: str | None = None

    @field_validator("base_url")
    @classmethod
    def _http(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith(("http://", "https://")):
            raise ValueError("must be an http:// or https:// URL")
        return value


def article_link(url: str | None, base: str | None) -> str | None:
    """An absolute link to the article (a relative `url` joined to `base`)."""
    if not url:
        return None
    if url.startswith(("http://", "https://")) or not base:
        return url
    return urljoin(base.rstrip("/") + "/", url.lstrip("/"))


def unwrap(text: str) -> str:
    """The source file's line wraps joined: paragraphs and list items keep their breaks,
    lines wrapped inside a sentence become one line."""
    paragraphs = re.split(r"\n\s*\n", text.strip())
    out = []
    for paragraph in paragraphs:
        lines: list[str] = []
        for line in paragraph.splitlines():
            if lines and not _LIST_ITEM.match(line):
                lines[-1] = f"{lines[-1].rstrip()} {line.strip()}"
            else:
                lines.append(line.strip())
        out.append("\n".join(lines))
    return "\n\n".join(out)


def quote(text: str, limit: int = QUOTE_CHARS) -> str:
    """The passage unwrapped; if long, cut after its last whole sentence within `limit`."""
    text = unwrap(text)
    if len(text) <= limit:
        return text
    ends = [m.end() for m in _SENTENCE_END.finditer(text, 0, limit)]
    if ends and ends[-1] > limit // 3:
        return text[: ends[-1]].rstrip() + " …"
    space = text.rfind(" ", 0, limit)
    return text[: space if space > 0 else limit].rstrip() + " …"
