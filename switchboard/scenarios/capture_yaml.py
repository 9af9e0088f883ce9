"""Writing a captured scenario as the YAML people write by hand: block style, short lists
and mappings inline (`tools: [a, b]`), and `#` comments where the capture made a choice
(a corrected intent, an identity left out, where it stopped), which PyYAML cannot emit."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import yaml

# One line per value, however long: a wrapped message is harder to read and to edit.
_NEVER_WRAP = 1_000_000


@dataclass
class Step:
    """One turn as it is written, with the comments that go above it."""

    turn: dict[str, Any]
    comments: list[str] = field(default_factory=list)


class _Dumper(yaml.SafeDumper):
    """Block style for the outer mapping (a turn, the scenario), PyYAML's best style for
    what is inside it: `- approve: true`, not `- {approve: true}`."""

    _depth = 0

    def represent_mapping(self, tag: str, mapping: Any, flow_style: bool | None = None) -> Any:
        outer = self._depth == 0
        self._depth += 1
        try:
            node = super().represent_mapping(tag, mapping, flow_style)
        finally:
            self._depth -= 1
        if outer:
            node.flow_style = False
        return node

    def ignore_aliases(self, data: Any) -> bool:
        return True  # a list used twice is written twice, never as an anchor


def _comment(text: str, indent: str) -> str:
    return f"{indent}# " + " ".join(text.split())


def _dump(data: dict[str, Any]) -> list[str]:
    text = yaml.dump(
        data,
        Dumper=_Dumper,
        sort_keys=False,
        allow_unicode=True,
        default_flow_style=None,
        width=_NEVER_WRAP,
    )
    return text.splitlines()


def _item(data: dict[str, Any], indent: str) -> list[str]:
    """`data` as one entry of a list at `indent`."""
    return [indent + ("- " if i == 0 else "  ") + line for i, line in enumerate(_dump(data))]


def render(
    header: list[str], scenario: dict[str, Any], steps: list[Step], footer: list[str]
) -> str:
    """A scenario file holding one scenario; `scenario["turns"]` is written from `steps`."""
    lines = [_comment(line, "") for line in header]
    lines.append("scenarios:")
    lines += _item({k: v for k, v in scenario.items() if k != "turns"}, "  ")
    lines.append("    turns:")
    for step in steps:
        lines += [_comment(line, "      ") for line in step.comments]
        lines += _item(step.turn, "      ")
    lines += [_comment(line, "      ") for line in footer]
    return "\n".join(lines) + "\n"
