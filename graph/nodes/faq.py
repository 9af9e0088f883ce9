"""faq: answer with the knowledge-base passage that answers, and say where it is from.

The reply quotes the best passage (never a paraphrase of it) and names its article and
link, so a customer can check it. When the best passage is not clearly about the
question, the bot says it does not know and offers a person: a wrong confident answer
costs more than a handoff. "Clearly about" is `good_enough`, tuned on the demo's 80
questions and 20 questions it cannot answer (bench/README.md).

The help centre answers in the customer's language where it can: the first passage good
enough in it wins; else the best passage in another language is quoted as written, after
a line in the customer's language saying the article is only available in that one.
"""

from __future__ import annotations

from typing import Any

from langgraph.runtime import Runtime

from graph.context import TurnContext
from graph.help_centre import article_link, quote
from graph.i18n import N_, _, language
from graph.language import language_name
from graph.replies import NO, TALK_TO_PERSON, YES, reply
from graph.state import Confirming, ConversationState
from storage.kb import PassageHit

# Cosine of the query with the passage (MiniLM): above STRONG the passage is on topic;
# between WEAK and STRONG only if it also contains half the question's words.
STRONG_SIMILARITY = 0.42
WEAK_SIMILARITY = 0.30
# Without vectors (lexical search alone) the passage must contain most of the words.
LEXICAL_COVERAGE = 0.5
THANKS = N_("That helped, thanks")


#: The passage vectors' language (English MiniLM): between two texts in another language
#: the cosine runs high whatever they say (a Spanish question and any Spanish passage
#: 0.4-0.6), so there a passage must also contain half the question's words.
ENCODER_LANGUAGE = "en"


def good_enough(hit: PassageHit) -> bool:
    """Whether a passage answers the question well enough to quote it as the answer."""
    if hit.similarity is not None and hit.language not in (None, ENCODER_LANGUAGE):
        return hit.similarity >= WEAK_SIMILARITY and hit.coverage >= LEXICAL_COVERAGE
    if hit.similarity is not None:
        return hit.similarity >= STRONG_SIMILARITY or (
            hit.similarity >= WEAK_SIMILARITY and hit.coverage >= LEXICAL_COVERAGE
        )
    return hit.lexical_rank is not None and hit.coverage >= LEXICAL_COVERAGE


def answering(hits: list[PassageHit], language: str) -> PassageHit | None:
    """The passage to quote: kb.search lists the customer's language first, so its best
    if good enough, else the other languages' best if good enough."""
    firsts = [
        next((h for h in hits if (h.language == language) is own), None) for own in (True, False)
    ]
    return next((hit for hit in firsts if hit is not None and good_enough(hit)), None)


def citation(hit: PassageHit, base: str | None = None) -> str:
    where = f"“{hit.title}”"
    link = article_link(hit.url, base)
    if link:
        return _("Source: {article} – {link}").format(article=where, link=link)
    return _("Source: our help centre, {article}").format(article=where)


def answer_text(hit: PassageHit, base: str | None = None) -> str:
    """Whole sentences of the passage (its file's line wraps undone) and a link to it;
    a passage in another language than the customer's says so first."""
    section = hit.heading.split(" > ")[-1]
    about = f"“{hit.title}”" + (f" ({section})" if section != hit.title else "")
    said = _("From our help centre, {article}:").format(article=about)
    speaking = language()
    if hit.language and hit.language != speaking:
        name = language_name(hit.language, in_language=speaking)
        only = _("This article is only available in {language}:").format(language=name)
        said = f"{only}\n{said}"
    return f"{said}\n{quote(hit.text)}\n{citation(hit, base)}"


async def faq(state: ConversationState, runtime: Runtime[TurnContext]) -> dict[str, Any]:
    aside = state.get("aside") or ""
    hits: list[PassageHit] = await runtime.context.tools.call(
        "kb.search", query=aside or state.get("text", ""), limit=3
    )
    best = answering(hits, language())
    if best is not None:
        context = runtime.context
        base = context.policy.help_centre.base_url or context.public_url or None
        replies = [reply(answer_text(best, base), _(THANKS), _(TALK_TO_PERSON))]
        # A goodbye now may ask for a rating.
        return {"replies": replies, "served": True, "aside": ""}
    if aside:
        if runtime.context.llm is not None:
            return {"replies": []}  # settle hands the question to the model
        text = _(
            "I couldn't find an answer to “{question}” in our help centre. A person from "
            "our team can help with that."
        ).format(question=aside)
        return {"replies": [reply(text, _(TALK_TO_PERSON))], "aside": ""}
    about = state.get("asked_about") or ""
    if about:  # a question about a task the help centre cannot answer: offer the task
        text = _(
            "I couldn't find that in our help centre. Would you like me to look into "
            "{topic} for you?"
        ).format(topic=runtime.context.policy.label_of(about))
        offer = Confirming(
            workflow=about,
            intent=state.get("intent") or "",
            text=state.get("text", ""),
            entities=state.get("entities") or {},
        )
        return {"replies": [reply(text, _(YES), _(NO))], "confirming": offer}
    text = _(
        "I'm not sure our help centre answers that, and I'd rather not guess. "
        "Would you like to ask a person from our team?"
    )
    return {"replies": [reply(text, _(TALK_TO_PERSON))]}
