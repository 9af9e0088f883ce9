"""How often the faq workflow quotes the right page, the wrong page, or says it does not
know, on the demo questions plus questions the help centre cannot answer.

    switchboard kb import demo/kb
    python -m bench.kb.answers      # uses SWITCHBOARD_DATABASE_URL
"""

from __future__ import annotations

import asyncio
import csv
from pathlib import Path

from graph.nodes.faq import good_enough
from storage.db import create_engine, session_factory
from storage.kb import Method
from switchboard.settings import get_settings
from tools.kb import find_passages

HERE = Path(__file__).parent


async def main() -> None:
    with (HERE / "demo_questions.csv").open(newline="") as handle:
        answerable = [(r["question"], r["expected_source"]) for r in csv.DictReader(handle)]
    unanswerable = [q.strip() for q in (HERE / "demo_unanswerable.txt").read_text().splitlines()]
    unanswerable = [q for q in unanswerable if q]
    engine = create_engine(get_settings().database_url)
    methods: list[Method] = ["hybrid", "lexical"]
    try:
        async with session_factory(engine)() as session:
            for method in methods:
                right = wrong = unknown = answered_anyway = 0
                for question, expected in answerable:
                    hits = await find_passages(session, question, limit=1, method=method)
                    if not hits or not good_enough(hits[0]):
                        unknown += 1
                    elif expected in (hits[0].source, hits[0].slug):
                        right += 1
                    else:
                        wrong += 1
                for question in unanswerable:
                    hits = await find_passages(session, question, limit=1, method=method)
                    answered_anyway += bool(hits and good_enough(hits[0]))
                print(
                    f"{method}: {len(answerable)} answerable: right page {right}, wrong page "
                    f"{wrong}, don't know {unknown}; {len(unanswerable)} unanswerable: "
                    f"answered anyway {answered_anyway}"
                )
    finally:
        await engine.dispose()


if __name__ == "__main__":
    asyncio.run(main())
