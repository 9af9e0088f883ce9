"""The `switchboard` command line."""

from __future__ import annotations

import asyncio
import math
import sys
import threading
import uuid
from pathlib import Path
from typing import Annotated

import typer

from switchboard.cli.connectors import connector_problem, connectors_app
from switchboard.cli.customers import import_command, link_command, show_command
from switchboard.cli.evals import eval_app
from switchboard.cli.exit_codes import fail, settings_or_exit
from switchboard.cli.kb import kb_app
from switchboard.cli.policy import policy_app
from switchboard.cli.report import customers_export_command, report_command
from switchboard.cli.retention import erase_command, prune_command
from switchboard.cli.retrain import retrain_command
from switchboard.cli.slack import slack_app
from switchboard.cli.staff import staff_app
from switchboard.cli.telegram import telegram_app
from switchboard.settings import ConfigError

app = typer.Typer(help="Switchboard: a self-hostable customer-support bot.", no_args_is_help=True)
db_app = typer.Typer(help="Database schema.", no_args_is_help=True)
demo_app = typer.Typer(help="The demo company.", no_args_is_help=True)
intents_app = typer.Typer(help="The local intent classifier.", no_args_is_help=True)
customers_app = typer.Typer(
    help="Customers, their channel identities and their ids in your systems.",
    no_args_is_help=True,
)
app.add_typer(db_app, name="db")
app.add_typer(demo_app, name="demo")
app.add_typer(intents_app, name="intents")
app.add_typer(customers_app, name="customers")
app.add_typer(telegram_app, name="telegram")
app.add_typer(slack_app, name="slack")
app.add_typer(kb_app, name="kb")
app.add_typer(policy_app, name="policy")
app.add_typer(staff_app, name="staff")
app.add_typer(connectors_app, name="connectors")
app.add_typer(eval_app, name="eval")
app.command("report")(report_command)
customers_app.command("import")(import_command)
customers_app.command("link")(link_command)
customers_app.command("show")(show_command)
customers_app.command("export")(customers_export_command)
customers_app.command("erase")(erase_command)
db_app.command("prune")(prune_command)


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Interface to bind.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
) -> None:
    """Serve the web chat API, widget, webhooks, admin API and metrics."""
    import uvicorn

    from switchboard.app import create_app
    from switchboard.logs import configure_logging
    from switchboard.policy_tools.lines import check_file

    settings = settings_or_exit()
    _, problems = check_file(settings.policy_path)
    if problems:  # fail at start, one line per problem with its line, not mid-request
        fail("\n".join(problems))
    if settings.shadow_policy_path is not None:
        _, problems = check_file(settings.shadow_policy_path)
        if problems:
            fail(f"config error: SWITCHBOARD_SHADOW_POLICY: {problems[0]}")
    problem = connector_problem(settings.policy_path)
    if problem:
        fail(problem)
    configure_logging(settings.log_level)
    from storage.migrate import schema_problem

    problem = schema_problem(settings.database_url)
    if problem:  # one line at start, not a crash in the middle of resuming turns
        fail(problem)
    try:
        application = create_app(settings)
    except ConfigError as exc:  # a channel's settings are incomplete: one line, no traceback
        fail(str(exc))
    uvicorn.run(application, host=host, port=port, log_level="warning", lifespan="on")


@db_app.command("upgrade")
def db_upgrade(revision: str = "head") -> None:
    """Create or migrate the schema (alembic)."""
    from storage.migrate import upgrade

    settings = settings_or_exit()
    upgrade(settings.database_url, revision)
    typer.echo(f"database at {revision}")


@demo_app.command("load")
def demo_load(
    data: Annotated[
        Path | None,
        typer.Option(
            "--data",
            help="A demo company file (YAML: customers, orders, charges, kb). "
            "Default: demo.yaml beside the policy, else the built-in shop.",
        ),
    ] = None,
) -> None:
    """Load the demo company (customers, orders, charges, articles). Safe to repeat."""
    from storage.db import create_engine, session_factory, transaction
    from storage.demo import load_demo
    from storage.demo_file import DemoFileError, demo_file_for, read_demo_file
    from switchboard.knowledge.importer import DEMO_KB

    settings = settings_or_exit()
    path = data or demo_file_for(settings.policy_path)
    try:
        company = read_demo_file(path) if path is not None else None
    except DemoFileError as exc:
        fail(str(exc))

    async def run() -> dict[str, int]:
        from storage.demo_file import load_demo_file

        engine = create_engine(settings.database_url)
        try:
            async with transaction(session_factory(engine)) as session:
                if company is None:
                    return await load_demo(session)
                return await load_demo_file(session, company)
        finally:
            await engine.dispose()

    added = asyncio.run(run())
    source = f" from {path}" if path is not None else ""
    typer.echo(
        f"demo loaded{source}: " + ", ".join(f"{n} {table} added" for table, n in added.items())
    )
    from switchboard.cli.kb import import_demo_help_centre

    if company is None:  # the help pages in demo/kb replace the hand-made articles
        import_demo_help_centre(DEMO_KB)
    elif company.kb is not None:
        import_demo_help_centre(company.kb)


@app.command()
def chat(
    as_user: Annotated[
        str | None, typer.Option("--as", help="Chat as this customer's user id (cus_maria).")
    ] = None,
) -> None:
    """Talk to the bot in the terminal, through the same engine as every channel."""
    from bots.base import InboundMessage
    from bots.terminal import TerminalAdapter
    from bots.webchat.adapter import WebchatAdapter
    from switchboard.runtime import open_runtime, turn_wait_s

    settings = settings_or_exit()
    patience = turn_wait_s(settings)
    chat_id = f"{as_user or 'anonymous'}:{uuid.uuid4().hex[:8]}"

    async def run() -> None:
        # The web chat's too: a web chat turn this process resumes has its reply stored.
        adapters = {"terminal": TerminalAdapter(typer.echo), "webchat": WebchatAdapter()}
        async with open_runtime(settings, adapters=adapters) as runtime:  # type: ignore[arg-type]
            typer.echo(
                f"Chatting as {as_user or 'an anonymous visitor'}. Ctrl-D or Ctrl-C to quit."
            )
            lines = _StdinLines()
            number = 0
            while (line := await lines.next(prompt="you> ")) is not None:
                number += 1
                if not line.strip():
                    continue
                result = await runtime.engine.handle(
                    InboundMessage(
                        channel="terminal",
                        channel_user_id=as_user or "anonymous",
                        channel_chat_id=chat_id,
                        channel_message_id=f"{chat_id}:{number}",
                        text=line.rstrip("\n"),
                        verified_user_id=as_user,
                    ),
                    timeout=patience,
                )
                if result.pending:  # a slow model: the reply is printed when it comes
                    typer.echo("      (still working on it…)")
                    result = await runtime.engine.wait_for_turn(result, timeout=math.inf)
                typer.echo(f"      (served by {result.route or result.mode})")

    try:
        asyncio.run(run())
    except KeyboardInterrupt:  # one Ctrl-C: the runtime has stopped cleanly; no traceback
        typer.echo("\nbye")


class _StdinLines:
    """Lines typed in, read on a daemon thread so the engine keeps running meanwhile
    (deliveries, slow turns) and Ctrl-C is never stuck behind a blocking read."""

    def __init__(self) -> None:
        self._queue: asyncio.Queue[str | None] = asyncio.Queue()
        self._loop = asyncio.get_running_loop()
        self._wanted = threading.Event()
        self._tty = sys.stdin.isatty()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        while True:
            self._wanted.wait()
            self._wanted.clear()
            line = sys.stdin.readline()
            self._loop.call_soon_threadsafe(self._queue.put_nowait, line or None)
            if not line:
                return

    async def next(self, *, prompt: str) -> str | None:
        if self._tty:
            sys.stdout.write(prompt)
            sys.stdout.flush()
        self._wanted.set()
        return await self._queue.get()


@intents_app.command("train")
def intents_train(
    data: Annotated[Path, typer.Option(help="CSV with text,category to train on.")],
    out: Annotated[Path | None, typer.Option(help="Write the model here (.npz).")] = None,
) -> None:
    """Train the intent model on a labelled CSV; point the policy's
    classifier.model_path at the file to use it."""
    from graph.intents import train_from_file
    from graph.intents.training import ExamplesFileError

    try:
        result = train_from_file(data, out)
    except (ExamplesFileError, OSError) as exc:
        fail(f"{data}: {exc}")
    typer.echo(
        f"trained on {result.examples} examples in {result.train_seconds:.1f} s "
        f"(method {result.classifier.method})" + (f", saved to {out}" if out else "")
    )


@intents_app.command("eval")
def intents_eval(
    data: Annotated[
        Path | None,
        typer.Option(
            help="CSV with text,category to evaluate on; default: the shipped held-out set "
            "for the default policy's intents (switchboard/intents_eval.csv)."
        ),
    ] = None,
    train: Annotated[
        Path | None, typer.Option(help="Train on this CSV instead of the policy.")
    ] = None,
    model: Annotated[Path | None, typer.Option(help="A model file from `intents train`.")] = None,
) -> None:
    """Accuracy, macro-F1, per-intent scores, confusions, training time and predictions/s
    (rows labelled `oos` give the out-of-scope trade-off curve)."""
    import time

    from graph.intents import IntentClassifier, evaluate, format_report, train_classifier
    from graph.intents.training import ExamplesFileError, read_examples
    from graph.policy import load_policy

    try:
        texts, labels = read_examples(data or Path(__file__).parent.parent / "intents_eval.csv")
        started = time.perf_counter()
        if model is not None:
            classifier = IntentClassifier.load(model)
        elif train is not None:
            classifier = train_classifier(*read_examples(train))
        else:
            classifier = train_classifier(
                *load_policy(settings_or_exit().policy_path).training_data()
            )
    except (ExamplesFileError, OSError) as exc:
        fail(str(exc))
    trained_s = None if model is not None else time.perf_counter() - started
    typer.echo(format_report(evaluate(classifier, texts, labels, train_seconds=trained_s)))


intents_app.command("retrain")(retrain_command)


@customers_app.command("link-code")
def customers_link_code(
    user_id: Annotated[str, typer.Argument(help="The customer's user id, e.g. cus_maria.")],
    minutes: Annotated[int, typer.Option(min=1, max=1440, help="How long it is valid.")] = 30,
) -> None:
    """Issue a one-time code the customer sends to the bot (`/link <code>` on Telegram)."""
    from datetime import timedelta

    from storage import customers, link_codes
    from storage.db import create_engine, session_factory, transaction

    settings = settings_or_exit()

    async def run() -> tuple[str, str] | None:
        engine = create_engine(settings.database_url)
        try:
            async with transaction(session_factory(engine)) as session:
                customer = await customers.get_customer_by_user_id(session, user_id)
                if customer is None:
                    return None
                code, expires = await link_codes.issue_link_code(
                    session, customer, ttl=timedelta(minutes=minutes)
                )
                return code, expires.strftime("%Y-%m-%d %H:%M UTC")
        finally:
            await engine.dispose()

    issued = asyncio.run(run())
    if issued is None:
        fail(f"no customer with user id {user_id!r}")
    typer.echo(f"{issued[0]}  (valid until {issued[1]}; the customer sends: /link {issued[0]})")


if __name__ == "__main__":
    app()
