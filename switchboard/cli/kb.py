"""`switchboard kb ...`: fill the knowledge base from your own documents, search it, and
measure how well it finds the right page."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer

from switchboard.settings import ConfigError, get_settings

kb_app = typer.Typer(help="The knowledge base (help-centre pages).", no_args_is_help=True)
T = TypeVar("T")


def _database_url() -> str:
    try:
        return get_settings().database_url
    except ConfigError as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(2) from None


def _with_sessions(work: Callable[[Any], Awaitable[T]]) -> T:
    from storage.db import create_engine, session_factory

    url = _database_url()

    async def run() -> T:
        engine = create_engine(url)
        try:
            return await work(session_factory(engine))
        finally:
            await engine.dispose()

    return asyncio.run(run())


@kb_app.command("import")
def kb_import(
    paths: Annotated[list[Path], typer.Argument(help="Files or folders (read recursively).")],
    sync: Annotated[
        bool, typer.Option("--sync", help="Retire imported articles whose file is gone.")
    ] = False,
) -> None:
    """Import Markdown, HTML, text and PDF files; re-importing changes only what changed."""
    from switchboard.knowledge.importer import import_paths
    from tools.kb_embedding import passage_encoder

    missing = [str(p) for p in paths if not p.exists()]
    if missing:
        typer.echo(f"no such file or folder: {', '.join(missing)}", err=True)
        raise typer.Exit(2)

    def skipped(path: str, why: str) -> None:
        typer.echo(f"skipped {path}: {why}", err=True)

    report = _with_sessions(
        lambda sessions: import_paths(
            sessions, paths, sync=sync, encoder=passage_encoder(), on_skip=skipped
        )
    )
    typer.echo(report.summary())


@kb_app.command("search")
def kb_search(
    query: Annotated[str, typer.Argument(help="What a customer would ask.")],
    k: Annotated[int, typer.Option("--k", min=1, max=50, help="How many passages.")] = 5,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON array on stdout.")] = False,
) -> None:
    """Hybrid search (lexical + semantic, fused) over the passages, best first."""
    from storage.db import transaction
    from tools.kb import find_passages

    async def work(sessions: Any) -> list[Any]:
        async with transaction(sessions) as session:
            return await find_passages(session, query, limit=k)

    hits = _with_sessions(work)
    if as_json:
        typer.echo(json.dumps([{"id": f"kb-{h.passage_id}", **_hit(h)} for h in hits], indent=2))
        return
    if not hits:
        typer.echo("nothing found")
    for rank, hit in enumerate(hits, start=1):
        similarity = f" cos {hit.similarity:.2f}" if hit.similarity is not None else ""
        typer.echo(
            f"{rank}. [kb-{hit.passage_id}] {hit.heading} ({hit.source or hit.slug}, "
            f"{hit.language or '-'})"
        )
        typer.echo(f"   score {hit.score:.4f}{similarity} coverage {hit.coverage:.2f}")
        typer.echo("   " + hit.text[:200].replace("\n", " ") + ("…" if len(hit.text) > 200 else ""))


def _hit(hit: Any) -> dict[str, Any]:
    return {
        "title": hit.title,
        "heading": hit.heading,
        "text": hit.text,
        "source": hit.source,
        "slug": hit.slug,
        "url": hit.url,
        "language": hit.language,
        "score": round(hit.score, 6),
        "similarity": None if hit.similarity is None else round(hit.similarity, 4),
        "lexical_rank": hit.lexical_rank,
        "semantic_rank": hit.semantic_rank,
    }


@kb_app.command("eval")
def kb_eval(
    data: Annotated[Path, typer.Option(help="CSV with columns question,expected_source.")],
) -> None:
    """Recall@1, recall@5 and MRR (page level) of lexical, semantic and hybrid search."""
    from switchboard.knowledge.evaluation import BadEvalData, evaluate, read_questions
    from tools.kb_embedding import passage_encoder

    if not data.is_file():
        typer.echo(f"no such file: {data}", err=True)
        raise typer.Exit(2)
    try:
        questions = read_questions(data)
    except BadEvalData as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(2) from None
    scores, notes = _with_sessions(
        lambda sessions: evaluate(sessions, questions, encoder=passage_encoder())
    )
    for score in scores:
        typer.echo(score.line())
    for note in notes:
        typer.echo(note)
    typer.echo(f"questions: {len(questions)}")


@kb_app.command("list")
def kb_list(
    retired: Annotated[bool, typer.Option("--retired", help="Include retired articles.")] = False,
) -> None:
    """Articles with their source, passages and last import."""
    from storage.db import transaction
    from storage.kb_import import list_articles

    async def work(sessions: Any) -> list[Any]:
        async with transaction(sessions) as session:
            return await list_articles(session, include_retired=retired)

    for row in _with_sessions(work):
        when = row.imported_at.strftime("%Y-%m-%d %H:%M") if row.imported_at else "hand-made"
        flag = " (retired)" if row.retired else ""
        lang = row.language or "-"
        typer.echo(
            f"{row.source or row.slug}\t{lang}\t{row.passages} passages\t{when}\t{row.title}{flag}"
        )


def import_demo_help_centre(pages: Path) -> None:
    """`demo load`'s second half: the demo company's help pages (demo/kb in a checkout, or
    the folder a demo file names)."""
    from switchboard.knowledge.importer import import_paths
    from tools.kb_embedding import passage_encoder

    if not pages.is_dir():
        typer.echo(f"demo help centre: {pages} not found (not a source checkout), skipped")
        return
    report = _with_sessions(
        lambda sessions: import_paths(sessions, [pages], encoder=passage_encoder())
    )
    typer.echo(f"demo help centre: {report.summary()}")
