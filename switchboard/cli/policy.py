"""`switchboard policy check | schema | graph`: a policy file checked with the line of every
problem, its JSON Schema for editors, and its intents and workflows drawn in Mermaid."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from switchboard.settings import ConfigError, get_settings

if TYPE_CHECKING:  # loaded where used: `switchboard --help` stays fast
    from graph.policy import Policy

policy_app = typer.Typer(help="Check, describe and draw the policy file.", no_args_is_help=True)

FileArg = Annotated[
    Path | None,
    typer.Argument(help="A policy file; default: the configured one (SWITCHBOARD_POLICY)."),
]


def _path(file: Path | None) -> Path:
    if file is not None:
        return file
    try:
        return get_settings().policy_path
    except ConfigError as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(2) from None


def _loaded(file: Path | None) -> Policy:
    from switchboard.policy_tools.lines import check_file

    policy, problems = check_file(_path(file))
    for line in problems:
        typer.echo(line, err=True)
    if policy is None:
        raise typer.Exit(1)
    return policy


def summary(policy: Policy) -> str:
    from graph.workflow_language import walk

    written = {name: w for name, w in policy.workflows.items() if w.steps is not None}
    steps = sum(len(walk(w.steps or [])) for w in written.values())
    return (
        f"{len(policy.intents)} intents, {len(policy.workflows)} workflows "
        f"({len(written)} written, {steps} steps)"
    )


@policy_app.command("check")
def check(file: FileArg = None) -> None:
    """Load the policy; print every problem as file:line: key: message (exit 1)."""
    path = _path(file)
    policy = _loaded(path)
    typer.echo(f"{path}: ok, {summary(policy)}")
    from switchboard.policy_tools.catalogue_check import code_untranslated

    for line in code_untranslated(policy):  # the code's own texts (graph/locales)
        typer.echo(line)
    for line in untranslated(path, policy):
        typer.echo(line)


def untranslated(path: Path, policy: Policy) -> list[str]:
    """A warning for each policy text not given in one of its `languages` (said in the
    default language there): file:line: key: the languages it misses."""
    import yaml

    from graph.policy_texts import missing_languages
    from switchboard.policy_tools.lines import line_of

    missing = missing_languages(policy)
    if not missing:
        return []
    root = yaml.compose(path.read_text(encoding="utf-8"))
    return [
        f"{path}:{line_of(root, key)}: {key}: warning: not translated to {', '.join(codes)} "
        f"(said in {policy.language})"
        for key, codes in missing
    ]


@policy_app.command("schema")
def schema() -> None:
    """Print the JSON Schema of the policy file (what editors check keys against)."""
    from switchboard.policy_tools.schema import schema_text

    typer.echo(schema_text(), nl=False)


@policy_app.command("graph")
def graph(
    file: FileArg = None,
    workflow: Annotated[
        str | None, typer.Option(help="Draw only this workflow and the intents routed to it.")
    ] = None,
) -> None:
    """Print a Mermaid flowchart: intents → routes → each workflow's steps and branches."""
    from switchboard.policy_tools.flowchart import mermaid, policy_flow

    policy = _loaded(file)
    known = set(policy.workflows) | {
        route.partition(":")[2] for route in (i.route for i in policy.intents.values())
    }
    if workflow is not None and workflow not in known:
        typer.echo(f"no workflow {workflow!r}; known: {', '.join(sorted(known - {''}))}", err=True)
        raise typer.Exit(2)
    typer.echo(mermaid(policy_flow(policy, workflow)), nl=False)


def _register_replay() -> None:
    from switchboard.cli.replay import replay_command

    policy_app.command("replay")(replay_command)


_register_replay()
