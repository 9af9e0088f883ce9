"""HTML help pages → title, canonical link and text sections under their headings.

Built on the standard library's tolerant `HTMLParser`: help-centre exports are often
messy, and a page's chrome (scripts, navigation, header, footer, forms) is not
knowledge. When the page has a `<main>` or `<article>`, only that is read.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from html.parser import HTMLParser

_SKIP = {"script", "style", "noscript", "nav", "header", "footer", "aside", "form", "svg"}
_VOID = {"br", "hr", "img", "input", "meta", "link", "area", "base", "col", "source", "wbr"}
_BLOCK = {
    "p", "div", "li", "tr", "section", "article", "main", "pre", "blockquote", "dd", "dt",
    "table", "ul", "ol", "dl", "figure", "figcaption", "details", "summary", "br", "hr",
}  # fmt: skip
_HEADING = re.compile(r"^h([1-6])$")
_SPACE = re.compile(r"[ \t\r\f\v]+")


@dataclass
class HtmlPage:
    title: str = ""
    canonical: str | None = None
    sections: list[tuple[tuple[str, ...], str]] = field(default_factory=list)


class _Reader(HTMLParser):
    def __init__(self, only_main: bool) -> None:
        super().__init__(convert_charrefs=True)
        self.page = HtmlPage()
        self._only_main = only_main
        self._main_depth = 0
        self._skip_depth = 0
        self._in_title = False
        self._title = ""
        self._heading_level = 0
        self._heading = ""
        self._stack: list[tuple[int, str]] = []
        self._text: list[str] = []

    @property
    def _reading(self) -> bool:
        return self._skip_depth == 0 and (not self._only_main or self._main_depth > 0)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {k: v or "" for k, v in attrs}
        if tag == "link" and "canonical" in values.get("rel", "").lower().split():
            self.page.canonical = values.get("href", "").strip() or self.page.canonical
        elif tag == "title":
            self._in_title = True
        if tag in _VOID:
            if tag in _BLOCK and self._reading:
                self._text.append("\n")
            return
        if tag in ("main", "article"):
            self._main_depth += 1
        if tag in _SKIP and not (tag in ("header", "footer") and self._main_depth):
            self._skip_depth += 1
        if not self._reading:
            return
        heading = _HEADING.match(tag)
        if heading:
            self._close_section()
            self._heading_level = int(heading.group(1))
            self._heading = ""
        elif tag in _BLOCK:
            self._text.append("\n- " if tag == "li" else "\n")

    def handle_endtag(self, tag: str) -> None:
        if tag == "title":
            self._in_title = False
        if tag in _VOID:
            return
        if self._reading and self._heading_level and _HEADING.match(tag):
            self._open_heading(self._heading_level, _SPACE.sub(" ", self._heading).strip())
            self._heading_level = 0
        elif self._reading and tag in _BLOCK:
            self._text.append("\n")
        if (
            tag in _SKIP
            and self._skip_depth
            and not (tag in ("header", "footer") and self._main_depth)
        ):
            self._skip_depth -= 1
        if tag in ("main", "article") and self._main_depth:
            self._main_depth -= 1

    def handle_data(self, data: str) -> None:
        if self._in_title:
            self._title += data
        elif self._reading:
            if self._heading_level:
                self._heading += data
            else:
                self._text.append(data)

    def _open_heading(self, level: int, heading: str) -> None:
        if not heading:
            return
        if level == 1 and not self.page.title:
            self.page.title = heading
            self._stack.clear()
            return
        while self._stack and self._stack[-1][0] >= level:
            self._stack.pop()
        self._stack.append((level, heading))

    def _close_section(self) -> None:
        lines = [_SPACE.sub(" ", line).strip() for line in "".join(self._text).split("\n")]
        text = re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()
        text = re.sub(r"^- *$", "", text, flags=re.M).strip()
        text = re.sub(r"(^- .*)\n\n+(?=- )", r"\1\n", text, flags=re.M)  # one list, no gaps
        if text:
            self.page.sections.append((tuple(h for _, h in self._stack), text))
        self._text.clear()

    def finish(self) -> HtmlPage:
        self.close()
        self._close_section()
        if not self.page.title:
            self.page.title = _SPACE.sub(" ", self._title).strip()
        return self.page


def parse_html(source: str) -> HtmlPage:
    lowered = source.lower()
    reader = _Reader(only_main="<main" in lowered or "<article" in lowered)
    reader.feed(source)
    return reader.finish()
