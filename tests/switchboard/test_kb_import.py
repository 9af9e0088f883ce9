"""`switchboard kb import/search/eval`: real files, real databases, the real encoder."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.db import create_engine, session_factory, transaction
from storage.kb import search_passages
from storage.kb_import import list_articles
from switchboard.knowledge.chunking import MAX_CHARS, chunk_document
from switchboard.knowledge.evaluation import BadEvalData, evaluate, read_questions
from switchboard.knowledge.importer import DEMO_KB, import_paths
from switchboard.knowledge.readers import Unreadable, read_document
from tools.kb_embedding import passage_encoder

REPO = Path(__file__).resolve().parents[2]
MARKDOWN = """---
title: Refunds
url: https://acme.test/help/refunds
---

How refunds work at Acme.

## Card payments

Card refunds take 5 to 10 business days.

```
## not a heading inside code
```

### Amex

American Express refunds can take a little longer.

## PayPal

PayPal refunds are **instant**, see [our PayPal page](https://acme.test/paypal).
"""
HTML = """<!doctype html><html><head><title>Shipping | Acme</title>
<link rel="canonical" href="https://acme.test/help/shipping"><style>p{}</style></head>
<body><nav>Home Shop Cart</nav><main><h1>Shipping costs</h1><p>Parcels cost 4.90 EUR.</p>
<h2>Express</h2><ul><li>Next day</li><li>9.90 EUR</li></ul><script>track()</script></main>
<footer>© Acme</footer></body></html>"""


def make_pdf(lines: list[str], title: str) -> bytes:
    """A one-page PDF with real text objects, as an office suite would write it."""
    content = "BT /F1 12 Tf 72 720 Td 14 TL " + " ".join(f"({line}) Tj T*" for line in lines)
    content += " ET"
    objects = [
        "<< /Type /Catalog /Pages 2 0 R >>",
        "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        "/Resources << /Font << /F1 5 0 R >> >> >>",
        f"<< /Length {len(content)} >>\nstream\n{content}\nendstream",
        "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        f"<< /Title ({title}) >>",
    ]
    out, offsets = "%PDF-1.4\n", []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n{body}\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n"
    out += "".join(f"{offset:010d} 00000 n \n" for offset in offsets)
    out += f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R /Info 6 0 R >>\n"
    return (out + f"startxref\n{xref}\n%%EOF\n").encode()


@pytest.fixture
def helpcentre(tmp_path: Path) -> Path:
    root = tmp_path / "help"
    (root / "billing").mkdir(parents=True)
    (root / "billing" / "refunds.md").write_text(MARKDOWN)
    (root / "shipping.html").write_text(HTML)
    (root / "opening-hours.txt").write_text("Opening hours\n\nWe answer Monday to Friday.\n")
    (root / "warranty.pdf").write_bytes(
        make_pdf(["Every lamp has a warranty of two years."], "Lamp warranty")
    )
    (root / ".drafts").mkdir()
    (root / ".drafts" / "secret.md").write_text("# Draft\n\nNot published.")
    return root


def test_markdown_sections_follow_headings(helpcentre: Path) -> None:
    doc = read_document(helpcentre / "billing" / "refunds.md")
    assert doc.title == "Refunds" and doc.url == "https://acme.test/help/refunds"
    assert [s.headings for s in doc.sections] == [
        (),
        ("Card payments",),
        ("Card payments", "Amex"),
        ("PayPal",),
    ]
    assert "## not a heading inside code" in doc.sections[1].text
    assert doc.sections[3].text == "PayPal refunds are instant, see our PayPal page."
    chunks = chunk_document(doc)
    assert chunks[2].heading == "Refunds > Card payments > Amex"


def test_html_keeps_the_main_content_and_the_canonical_link(helpcentre: Path) -> None:
    doc = read_document(helpcentre / "shipping.html")
    assert doc.title == "Shipping costs" and doc.url == "https://acme.test/help/shipping"
    assert [(s.headings, s.text) for s in doc.sections] == [
        ((), "Parcels cost 4.90 EUR."),
        (("Express",), "- Next day\n- 9.90 EUR"),
    ]


def test_text_and_pdf(helpcentre: Path) -> None:
    text = read_document(helpcentre / "opening-hours.txt")
    assert text.title == "Opening hours" and text.sections[0].text == "We answer Monday to Friday."
    pdf = read_document(helpcentre / "warranty.pdf")
    assert pdf.title == "Lamp warranty"
    assert "warranty of two years" in pdf.sections[0].text


def test_long_sections_are_capped_with_overlap(tmp_path: Path) -> None:
    sentences = " ".join(f"Sentence number {i} explains one more rule." for i in range(120))
    path = tmp_path / "long.md"
    path.write_text(f"# Rules\n\n## All of them\n\n{sentences}\n")
    chunks = chunk_document(read_document(path))
    assert len(chunks) > 3 and all(len(c.text) <= MAX_CHARS for c in chunks)
    assert all(c.heading == "Rules > All of them" for c in chunks)
    first_of_second = chunks[1].text.split(". ")[0] + "."
    assert chunks[0].text.endswith(first_of_second) or f"{first_of_second} " in chunks[0].text
    assert "\n" not in chunks[0].text  # sentences of one paragraph stay one paragraph


@pytest.mark.parametrize(
    ("name", "content", "why"),
    [
        ("logo.md", b"\x89PNG\r\n\x1a\n\x00\x00\x00IHDR", "binary file"),
        ("latin1.txt", "Rückgabe in 30 Tagen".encode("latin-1"), "bad encoding"),
        ("broken.pdf", b"%PDF-1.4\nthis is not a pdf at all", "broken PDF"),
        ("renamed.pdf", b"<html>not a pdf</html>", "broken PDF"),
        ("huge.txt", b"a" * (5 * 1024 * 1024 + 1), "over 5 MB"),
        ("photo.png", b"\x89PNG", "not a document type"),
        ("empty.md", b"---\ntitle: Empty\n---\n", "no text"),
        ("bad-front.md", b"---\ntitle: [unclosed\n---\ntext", "bad front matter"),
    ],
)
def test_unreadable_files_say_why(tmp_path: Path, name: str, content: bytes, why: str) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(Unreadable, match=why):
        read_document(path)


@pytest.fixture
async def sessions(database_url: str) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    engine = create_engine(database_url)
    yield session_factory(engine)
    await engine.dispose()


async def test_import_reimport_change_and_sync(
    sessions: async_sessionmaker[AsyncSession], helpcentre: Path
) -> None:
    (helpcentre / "bad.txt").write_bytes(b"\x00\x01\x02")
    skipped: list[tuple[str, str]] = []
    report = await import_paths(
        sessions, [helpcentre], on_skip=lambda f, why: skipped.append((f, why))
    )
    assert report.summary() == "imported 4, updated 0, unchanged 0, retired 0, skipped 1"
    assert skipped == [(str(helpcentre / "bad.txt"), "binary file")]
    assert sorted(report.imported) == [
        "billing/refunds.md",
        "opening-hours.txt",
        "shipping.html",
        "warranty.pdf",
    ]

    again = await import_paths(sessions, [helpcentre])
    assert again.summary() == "imported 0, updated 0, unchanged 4, retired 0, skipped 1"

    (helpcentre / "shipping.html").write_text(HTML.replace("4.90", "5.90"))
    (helpcentre / "warranty.pdf").unlink()
    changed = await import_paths(sessions, [helpcentre], sync=True)
    assert changed.summary() == "imported 0, updated 1, unchanged 2, retired 1, skipped 1"
    assert changed.retired == ["warranty.pdf"]

    async with transaction(sessions) as session:
        hits = await search_passages(session, "how much do parcels cost", method="lexical")
        articles = {a.source: a for a in await list_articles(session, include_retired=True)}
    shipping = next(h for h in hits if h.source == "shipping.html")
    assert "5.90" in shipping.text and shipping.url == "https://acme.test/help/shipping"
    assert articles["warranty.pdf"].retired
    assert articles["billing/refunds.md"].passages == 4
    assert ".drafts/secret.md" not in articles


async def test_import_with_the_encoder_stores_vectors_and_finds_paraphrases(
    sessions: async_sessionmaker[AsyncSession], helpcentre: Path
) -> None:
    encoder = passage_encoder()
    assert encoder is not None, "the semantic packages are project dependencies"
    lexical = await import_paths(sessions, [helpcentre])
    assert lexical.summary().startswith("imported 4")
    # Installing the semantic extra later: a re-import adds the vectors.
    semantic = await import_paths(sessions, [helpcentre], encoder=encoder)
    assert semantic.summary().startswith("imported 0, updated 4")
    query = "my money back on a credit card"
    async with transaction(sessions) as session:
        hits = await search_passages(
            session,
            query,
            method="semantic",
            query_vector=encoder.encode_one(query),
            model=encoder.model_id,
        )
    assert hits[0].heading == "Refunds > Card payments"


async def test_hybrid_beats_lexical_on_the_demo_questions(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'eval.db'}"
    from storage.migrate import upgrade

    upgrade(url)
    engine = create_engine(url)
    sessions = session_factory(engine)
    try:
        report = await import_paths(sessions, [DEMO_KB], encoder=passage_encoder())
        assert len(report.imported) >= 15 and not report.skipped
        questions = read_questions(REPO / "bench" / "kb" / "demo_questions.csv")
        assert len(questions) >= 60
        scores, notes = await evaluate(sessions, questions, encoder=passage_encoder())
        without, notes_without = await evaluate(sessions, questions, encoder=None)
    finally:
        await engine.dispose()
    by_method = {s.method: s for s in scores}
    assert set(by_method) == {"lexical", "semantic", "hybrid"} and not notes
    assert by_method["hybrid"].recall_at_1 > by_method["lexical"].recall_at_1
    assert by_method["hybrid"].recall_at_1 >= 0.7 and by_method["hybrid"].recall_at_5 >= 0.9
    assert [s.method for s in without] == ["lexical"]
    assert notes_without and "semantic: unavailable" in notes_without[0]


def _cli(args: list[str], url: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SWITCHBOARD_")}
    env["SWITCHBOARD_DATABASE_URL"] = url
    return subprocess.run(
        [sys.executable, "-m", "switchboard.cli.main", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_cli_import_search_eval(tmp_path: Path, helpcentre: Path) -> None:
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    assert _cli(["db", "upgrade"], url).returncode == 0
    (helpcentre / "bad.txt").write_bytes("caf\xe9".encode("latin-1"))
    result = _cli(["kb", "import", str(helpcentre), "--sync"], url)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "imported 4, updated 0, unchanged 0, retired 0, skipped 1"
    assert result.stderr.strip().startswith(f"skipped {helpcentre / 'bad.txt'}: bad encoding")
    missing = _cli(["kb", "import", str(tmp_path / "nope")], url)
    assert missing.returncode == 2 and "no such file or folder" in missing.stderr

    found = _cli(["kb", "search", "when do I get my card money back", "--k", "2", "--json"], url)
    hits = json.loads(found.stdout)
    assert len(hits) == 2 and hits[0]["source"] == "billing/refunds.md"
    assert hits[0]["id"].startswith("kb-") and hits[0]["similarity"] is not None

    data = tmp_path / "questions.csv"
    data.write_text("question,expected_source\nhow fast is a card refund,billing/refunds.md\n")
    lines = _cli(["kb", "eval", "--data", str(data)], url).stdout.splitlines()
    assert [line.split(":")[0] for line in lines[:3]] == ["lexical", "semantic", "hybrid"]
    assert lines[2] == "hybrid: recall@1 1.00 recall@5 1.00 MRR 1.00"
    bad = tmp_path / "bad.csv"
    bad.write_text("text,category\nx,y\n")
    with pytest.raises(BadEvalData, match="question,expected_source"):
        read_questions(bad)  # the CLI prints this and exits 2
