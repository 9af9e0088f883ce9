"""Split a document into passages: one per heading section, capped in size, overlapping.

Why by heading: a help page's sections each answer one question, so a passage under its
heading path is what an answer should quote. Why a cap: a long section would drown its
answer (and the encoder reads 256 tokens at most, ~1,000 characters). Why overlap: a
sentence cut at a boundary stays readable in one of the two pieces.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass

from switchboard.knowledge.readers import Document

VERSION = 1  # bump when the splitting changes, so a re-import re-splits everything
MAX_CHARS = 1000
OVERLAP_CHARS = 150
_SENTENCE = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9\"'(])")


@dataclass(frozen=True)
class Chunk:
    heading: str  # "Title > Section > Subsection"
    text: str

    @property
    def for_embedding(self) -> str:
        return f"{self.heading}\n{self.text}"


def _pieces(text: str) -> list[tuple[str, str]]:
    """(piece, separator before it): paragraphs, and any paragraph over the cap cut into
    sentences (or words), which re-join with a space rather than a paragraph break."""
    out: list[tuple[str, str]] = []
    for paragraph in re.split(r"\n\s*\n", text):
        paragraph = paragraph.strip()
        if not paragraph:
            continue
        if len(paragraph) <= MAX_CHARS:
            out.append((paragraph, "\n\n"))
            continue
        separator = "\n\n"
        for sentence in _SENTENCE.split(paragraph):
            while len(sentence) > MAX_CHARS:
                cut = sentence.rfind(" ", 0, MAX_CHARS)
                cut = cut if cut > MAX_CHARS // 2 else MAX_CHARS
                out.append((sentence[:cut].strip(), separator))
                sentence, separator = sentence[cut:].strip(), " "
            if sentence:
                out.append((sentence, separator))
                separator = " "
    return out


def _tail(text: str) -> str:
    """The last sentences of `text`, up to OVERLAP_CHARS, to start the next window."""
    tail = ""
    for sentence in reversed(_SENTENCE.split(text)):
        if len(tail) + len(sentence) + 1 > OVERLAP_CHARS:
            break
        tail = f"{sentence} {tail}".strip()
    return tail


def split_text(text: str) -> list[str]:
    """Windows of whole pieces up to MAX_CHARS; each new window repeats the last
    sentences of the one before."""
    windows: list[str] = []
    current = ""
    for piece, separator in _pieces(text):
        if current and len(current) + len(separator) + len(piece) > MAX_CHARS:
            windows.append(current)
            tail = _tail(current)
            fits = tail and len(tail) + 1 + len(piece) <= MAX_CHARS
            current = f"{tail} {piece}" if fits else piece
        else:
            current = f"{current}{separator}{piece}" if current else piece
    if current:
        windows.append(current)
    return windows


def chunk_document(doc: Document) -> list[Chunk]:
    chunks = []
    for section in doc.sections:
        heading = " > ".join((doc.title, *section.headings))
        for window in split_text(section.text):
            chunks.append(Chunk(heading=heading, text=window))
    return chunks


def body_of(doc: Document) -> str:
    """The whole article as text, headings as Markdown lines (what staff see)."""
    parts = []
    for section in doc.sections:
        if section.headings:
            parts.append("#" * (len(section.headings) + 1) + " " + section.headings[-1])
        parts.append(section.text)
    return "\n\n".join(parts)


def content_hash(doc: Document) -> str:
    payload = {
        "v": VERSION,
        "title": doc.title,
        "url": doc.url,
        "slug": doc.slug,
        "sections": [[list(s.headings), s.text] for s in doc.sections],
    }
    if doc.language:  # only when given: older articles' hashes stay as they were
        payload["lang"] = doc.language
    return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()
