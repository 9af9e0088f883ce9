"""`switchboard kb import`: files and folders → articles and passages, idempotently.

Each file is read, split and embedded outside any transaction, then stored in its own
transaction: a crash mid-import leaves whole articles only. Content hashes make a
re-import touch only what changed. With `sync`, imported articles whose file is gone
are retired (kept for the record, never found again).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession

from graph.i18n import shipped_languages
from graph.language import detect
from storage.db import transaction
from storage.kb_import import ArticleIn, PassageIn, is_current, retire_missing, save_article
from switchboard.knowledge.chunking import body_of, chunk_document, content_hash
from switchboard.knowledge.readers import Document, Unreadable, read_document
from tools.kb_embedding import PassageEncoder, to_bytes

#: How sure detection must be to label an article; below it the article has no language
#: (search takes it as the default's).
DETECT_CONFIDENCE = 0.5


def demo_kb(checkout: Path = Path(__file__).resolve().parents[2]) -> Path:
    """demo/kb of a source checkout, else ./demo/kb (where the Docker image puts it)."""
    pages = checkout / "demo" / "kb"
    return pages if pages.is_dir() else Path("demo", "kb").resolve()


DEMO_KB = demo_kb()


@dataclass
class ImportReport:
    imported: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    retired: list[str] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (file, why)

    def summary(self) -> str:
        return (
            f"imported {len(self.imported)}, updated {len(self.updated)}, "
            f"unchanged {len(self.unchanged)}, retired {len(self.retired)}, "
            f"skipped {len(self.skipped)}"
        )


def discover(paths: Sequence[Path]) -> Iterator[tuple[Path, str]]:
    """(file, source) for every file under `paths`; source is relative to the folder
    given (`billing/refunds.md`), or the file's name when a file is given. Hidden files
    and folders are not part of a help centre."""
    for given in paths:
        if given.is_file():
            yield given, given.name
            continue
        for path in sorted(given.rglob("*")):
            relative = path.relative_to(given)
            if path.is_file() and not any(p.startswith(".") for p in relative.parts):
                yield path, relative.as_posix()


def article_language(doc: Document, languages: Sequence[str] | None = None) -> str | None:
    """The front matter's `lang:`, else the language detected from the text among
    `languages` (default: those the code has catalogues for)."""
    if doc.language:
        return doc.language
    sample = " ".join([doc.title, *(s.text for s in doc.sections)])[:4000]
    found = detect(sample, list(languages or shipped_languages()))
    return found.language if found.confidence >= DETECT_CONFIDENCE else None


def build_article(
    doc: Document,
    source: str,
    encoder: PassageEncoder | None,
    language: str | None = None,
) -> ArticleIn:
    chunks = chunk_document(doc)
    vectors = encoder.encode([c.for_embedding for c in chunks]) if encoder else None
    return ArticleIn(
        source=source,
        title=doc.title,
        body=body_of(doc),
        url=doc.url,
        slug=doc.slug,
        content_hash=content_hash(doc),
        language=language,
        embedding_model=encoder.model_id if encoder else None,
        passages=[
            PassageIn(
                heading=c.heading,
                text=c.text,
                embedding=to_bytes(vectors[i]) if vectors is not None else None,
            )
            for i, c in enumerate(chunks)
        ],
    )


async def import_paths(
    sessions: async_sessionmaker[AsyncSession],
    paths: Sequence[Path],
    *,
    sync: bool = False,
    encoder: PassageEncoder | None = None,
    on_skip: Callable[[str, str], None] | None = None,
    languages: Sequence[str] | None = None,
) -> ImportReport:
    """Import every readable file under `paths`; `on_skip(file, why)` hears each skip.
    An article without a `lang:` gets the language detected among `languages`."""
    report = ImportReport()
    seen: dict[str, Path] = {}
    model = encoder.model_id if encoder else None
    for path, source in discover(paths):
        if source in seen:
            report.skipped.append((str(path), f"same source {source!r} as {seen[source]}"))
            if on_skip:
                on_skip(*report.skipped[-1])
            continue
        seen[source] = path
        try:
            doc = await asyncio.to_thread(read_document, path)
        except (Unreadable, OSError) as exc:
            report.skipped.append((str(path), str(exc) or exc.__class__.__name__))
            if on_skip:
                on_skip(*report.skipped[-1])
            continue
        language = await asyncio.to_thread(article_language, doc, languages)
        async with transaction(sessions) as session:
            if await is_current(session, source, content_hash(doc), model, language):
                report.unchanged.append(source)
                continue
        article = await asyncio.to_thread(build_article, doc, source, encoder, language)
        async with transaction(sessions) as session:
            outcome = await save_article(session, article)
        getattr(report, outcome).append(source)
    if sync:
        async with transaction(sessions) as session:
            report.retired = await retire_missing(session, set(seen))
    return report
