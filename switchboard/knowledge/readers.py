"""File readers: Markdown (with front matter), HTML, plain text and PDF → `Document`.

Each reader keeps what a help-centre page is made of: a title, an optional link
(front matter `url:` or `<link rel="canonical">`), and sections under their heading
path. A file we cannot read raises `Unreadable` with a reason a site owner can act on.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from switchboard.knowledge.html_text import parse_html

MAX_BYTES = 5 * 1024 * 1024
MARKDOWN = {".md", ".markdown", ".mdx"}
HTML = {".html", ".htm"}
TEXT = {".txt", ".text"}
PDF = {".pdf"}
SUPPORTED = MARKDOWN | HTML | TEXT | PDF


class Unreadable(Exception):
    """The file is skipped; the message says why (binary, bad encoding, broken PDF…)."""


@dataclass
class Section:
    headings: tuple[str, ...]  # below the title: ("Card payments", "Refund times")
    text: str


@dataclass
class Document:
    title: str
    sections: list[Section] = field(default_factory=list)
    url: str | None = None
    slug: str | None = None
    language: str | None = None
    """ISO 639-1 code from front matter (`lang:`/`language:`); else detected at import."""


def title_from_name(path: Path) -> str:
    words = re.sub(r"[-_]+", " ", path.stem).strip()
    return words[:1].upper() + words[1:] if words else path.name


def _decode(data: bytes) -> str:
    if b"\x00" in data[:8192]:
        raise Unreadable("binary file")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise Unreadable(f"bad encoding (not UTF-8 at byte {exc.start})") from None


_FENCE = re.compile(r"^\s*(```|~~~)")
_ATX = re.compile(r"^(#{1,6})\s+(.+?)\s*#*\s*$")
_SETEXT = re.compile(r"^(=+|-+)\s*$")
_LINK = re.compile(r"!?\[([^\]]*)\]\([^)]*\)")
_INLINE = re.compile(r"(\*\*|__|`|<[^>]+>)")


def _clean_markdown(line: str) -> str:
    return _INLINE.sub("", _LINK.sub(r"\1", line))


def _front_matter(text: str) -> tuple[dict[str, object], str]:
    if not text.startswith("---"):
        return {}, text
    match = re.match(r"---[ \t]*\r?\n(.*?)\r?\n(?:---|\.\.\.)[ \t]*(?:\r?\n|$)", text, re.S)
    if match is None:
        return {}, text
    try:
        meta = yaml.safe_load(match.group(1)) or {}
    except yaml.YAMLError as exc:
        raise Unreadable(f"bad front matter ({exc.__class__.__name__})") from None
    if not isinstance(meta, dict):
        raise Unreadable("bad front matter (not a mapping)")
    return meta, text[match.end() :]


def _meta_str(meta: dict[str, object], *keys: str) -> str | None:
    for key in keys:
        value = meta.get(key)
        if isinstance(value, str | int) and str(value).strip():
            return str(value).strip()
    return None


def read_markdown(text: str, name: Path) -> Document:
    meta, body = _front_matter(text)
    doc = Document(
        title=_meta_str(meta, "title") or "",
        url=_meta_str(meta, "url", "link", "canonical", "permalink"),
        slug=_meta_str(meta, "slug"),
        language=(_meta_str(meta, "lang", "language") or "").lower()[:8] or None,
    )
    stack: list[tuple[int, str]] = []
    lines: list[str] = []
    fenced = False

    def close_section() -> None:
        content = "\n".join(lines).strip()
        if content:
            doc.sections.append(Section(tuple(h for _, h in stack), content))
        lines.clear()

    def open_heading(level: int, heading: str) -> None:
        close_section()
        heading = _clean_markdown(heading).strip()
        if level == 1 and not doc.title:
            doc.title = heading
            stack.clear()
            return
        while stack and stack[-1][0] >= level:
            stack.pop()
        stack.append((level, heading))

    for raw in body.splitlines():
        if _FENCE.match(raw):
            fenced = not fenced
            lines.append(raw)
            continue
        atx = None if fenced else _ATX.match(raw)
        if atx:
            open_heading(len(atx.group(1)), atx.group(2))
        elif not fenced and _SETEXT.match(raw) and lines and lines[-1].strip():
            heading = lines.pop()
            open_heading(1 if raw.strip().startswith("=") else 2, heading)
        else:
            lines.append(raw if fenced else _clean_markdown(raw))
    close_section()
    doc.title = doc.title or title_from_name(name)
    return doc


def read_text(text: str, name: Path) -> Document:
    paragraphs = [p.strip() for p in re.split(r"\n\s*\n", text.strip()) if p.strip()]
    title = title_from_name(name)
    if len(paragraphs) > 1 and "\n" not in paragraphs[0] and len(paragraphs[0]) <= 120:
        title = paragraphs.pop(0)
    return Document(title=title, sections=[Section((), "\n\n".join(paragraphs))])


def read_pdf(path: Path) -> Document:
    from pypdf import PdfReader
    from pypdf.errors import PyPdfError

    with path.open("rb") as handle:
        if handle.read(5) != b"%PDF-":
            raise Unreadable("broken PDF (no PDF header)")
    try:
        reader = PdfReader(path)
        if reader.is_encrypted and not reader.decrypt(""):
            raise Unreadable("encrypted PDF")
        pages = [(page.extract_text() or "").strip() for page in reader.pages]
        meta_title = (reader.metadata.title if reader.metadata else None) or ""
    except Unreadable:
        raise
    except (PyPdfError, ValueError, KeyError, TypeError, OSError) as exc:
        raise Unreadable(f"broken PDF ({exc.__class__.__name__})") from None
    text = "\n\n".join(p for p in pages if p)
    if not text:
        raise Unreadable("PDF has no text layer (scanned?)")
    if meta_title.strip():
        return Document(title=meta_title.strip(), sections=[Section((), text)])
    return read_text(text, path)


def read_document(path: Path) -> Document:
    """Read one file; raises Unreadable with the reason it cannot be imported."""
    suffix = path.suffix.lower()
    if suffix not in SUPPORTED:
        raise Unreadable(f"not a document type we read ({suffix or 'no extension'})")
    size = path.stat().st_size
    if size > MAX_BYTES:
        raise Unreadable(f"over 5 MB ({size / 1024 / 1024:.1f} MB)")
    if suffix in PDF:
        return read_pdf(path)
    text = _decode(path.read_bytes())
    if suffix in MARKDOWN:
        doc = read_markdown(text, path)
    elif suffix in HTML:
        page = parse_html(text)
        doc = Document(
            title=page.title or title_from_name(path),
            sections=[Section(h, t) for h, t in page.sections],
            url=page.canonical,
        )
    else:
        doc = read_text(text, path)
    if not any(s.text.strip() for s in doc.sections):
        raise Unreadable("no text in it")
    return doc
