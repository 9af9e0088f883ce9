"""A written workflow drawn as SVG on the server, so the console needs no script or CDN.

Top-down: each step is a box (its kind above its label) below the one before; `if` puts
its then and else side by side under the condition, a call's `on_error` hangs to the right
of the path that goes on. A path that stops (`end`, `handoff`, `reask`) has no arrow out;
the others meet at the next step, or at the final "end: resolved".
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from html import escape
from typing import Any

from graph.workflow_language import If
from switchboard.policy_tools.flowchart import TERMINAL, fallback, step_kind, step_label

BOX_W, BOX_H, GAP, COLUMN_GAP, PAD = 230, 46, 34, 24, 16
COLOURS = {
    "ask": "#e3ecfb",
    "reask": "#e3ecfb",
    "call": "#efe6fb",
    "if": "#fdf1d8",
    "reply": "#e4f4ea",
    "ticket": "#fde8dc",
    "notify": "#fde8dc",
    "handoff": "#fbe0df",
    "end": "#eceef2",
    "start": "#dfe7f3",
}
Point = tuple[float, float]


@dataclass(frozen=True)
class Box:
    x: float
    y: float
    kind: str
    label: str
    path: str


@dataclass(frozen=True)
class Arrow:
    points: tuple[Point, ...]
    label: str = ""
    tip: bool = True
    """False into an empty branch: the line goes on, so no arrowhead mid-way."""


@dataclass
class Frame:
    """A laid-out block: its size, where arrows come in (top) and leave (open ends)."""

    width: float
    height: float
    entry: Point
    exits: list[Point]
    boxes: list[Box] = field(default_factory=list)
    arrows: list[Arrow] = field(default_factory=list)

    def moved(self, dx: float, dy: float) -> Frame:
        return Frame(
            self.width,
            self.height,
            (self.entry[0] + dx, self.entry[1] + dy),
            [(x + dx, y + dy) for x, y in self.exits],
            [Box(b.x + dx, b.y + dy, b.kind, b.label, b.path) for b in self.boxes],
            [
                Arrow(tuple((x + dx, y + dy) for x, y in a.points), a.label, a.tip)
                for a in self.arrows
            ],
        )


def _box(kind: str, label: str, path: str = "", *, stops: bool = False) -> Frame:
    middle = BOX_W / 2
    return Frame(
        BOX_W,
        BOX_H,
        (middle, 0),
        [] if stops else [(middle, BOX_H)],
        [Box(0, 0, kind, label, path)],
    )


def _empty() -> Frame:
    return Frame(BOX_W / 3, 0, (BOX_W / 6, 0), [(BOX_W / 6, 0)])


def _join(exits: list[Point], entry: Point, label: str = "", tip: bool = True) -> list[Arrow]:
    """Arrows from open ends down to a joint just above `entry`, then into it."""
    joint = entry[1] - GAP / 2
    return [
        Arrow(((x, y), (x, joint), (entry[0], joint), entry), label if i == 0 else "", tip)
        for i, (x, y) in enumerate(exits)
    ]


def _stack(frames: list[Frame]) -> Frame:
    width = max((f.width for f in frames), default=0)
    out = Frame(width, 0, (width / 2, 0), [(width / 2, 0)])
    y = 0.0
    for index, frame in enumerate(frames):
        if index:
            y += GAP
        placed = frame.moved((width - frame.width) / 2, y)
        if index == 0:
            out.entry, out.exits = placed.entry, []
        else:
            out.arrows += _join(out.exits, placed.entry)
        out.boxes += placed.boxes
        out.arrows += placed.arrows
        out.exits = placed.exits
        y += frame.height
    out.height = y
    return out


def _fork(head: Frame, branches: list[tuple[str, Frame]]) -> Frame:
    """A box with branches side by side under it, each arrow labelled."""
    width = max(head.width, sum(f.width for _, f in branches) + COLUMN_GAP * (len(branches) - 1))
    out = head.moved((width - head.width) / 2, 0)
    forks = out.exits[:1]
    out.width, out.exits = width, []
    x = (width - sum(f.width for _, f in branches) - COLUMN_GAP * (len(branches) - 1)) / 2
    top = head.height + GAP
    tallest = 0.0
    for label, branch in branches:
        placed = branch.moved(x, top)
        out.arrows += _join(forks, placed.entry, label, tip=branch.height > 0)
        out.boxes += placed.boxes
        out.arrows += placed.arrows
        out.exits += placed.exits
        tallest = max(tallest, branch.height)
        x += branch.width + COLUMN_GAP
    out.height = top + tallest
    return out


def layout(steps: list[Any], path: str = "steps") -> Frame:
    frames: list[Frame] = []
    for position, step in enumerate(steps):
        label = f"{path}[{position}]"
        kind = step_kind(step)
        box = _box(kind, step_label(step), label, stops=kind in TERMINAL)
        if isinstance(step, If):
            yes = layout(step.then, f"{label}.then") if step.then else _empty()
            no = layout(step.else_, f"{label}.else") if step.else_ else _empty()
            frames.append(_fork(box, [("yes", yes), ("no", no)]))
        elif (failure := fallback(step)) is not None:
            key, edge, handler = failure
            failed = layout(handler, f"{label}.{key}")
            if failed.exits:
                failed = _stack([failed, _box("end", "unresolved", stops=True)])
            fork = _fork(box, [("ok", _empty()), (edge, failed)])
            fork.exits = fork.exits[:1]  # only the ok path goes on
            frames.append(fork)
        else:
            frames.append(box)
        if not frames[-1].exits:
            break  # checked at load: nothing after a step that stops runs
    return _stack(frames) if frames else _empty()


def _lines(text: str, width: int = 30) -> list[str]:
    words, lines, line = text.split(), [], ""
    for word in words:
        if line and len(line) + 1 + len(word) > width:
            lines.append(line)
            line = word
        else:
            line = f"{line} {word}".strip()
    lines.append(line)
    if len(lines) > 2:
        lines = [lines[0], lines[1][: width - 1] + "…"]
    return [line[:width] for line in lines]


def _box_svg(box: Box) -> str:
    fill = COLOURS.get(box.kind, "#ffffff")
    rx = 22 if box.kind in ("end", "start") else 6
    title = f"<title>{escape(box.path)}</title>" if box.path else ""
    head = "reask ↺ (back to its ask)" if box.kind == "reask" else box.kind
    text = [f'<text x="{box.x + 10:.0f}" y="{box.y + 15:.0f}" class="k">{escape(head)}</text>']
    if box.kind in ("end", "start"):
        pill = f"end: {box.label}" if box.kind == "end" else box.label
        text = [
            f'<text x="{box.x + BOX_W / 2:.0f}" y="{box.y + 28:.0f}" class="l" '
            f'text-anchor="middle">{escape(pill)}</text>'
        ]
    else:
        for row, line in enumerate(_lines(box.label)):
            y = box.y + 29 + row * 13
            text.append(f'<text x="{box.x + 10:.0f}" y="{y:.0f}" class="l">{escape(line)}</text>')
    return (
        f'<g class="step {escape(box.kind)}">{title}<rect x="{box.x:.0f}" y="{box.y:.0f}" '
        f'width="{BOX_W}" height="{BOX_H}" rx="{rx}" fill="{fill}" stroke="#8a94a6"/>'
        f"{''.join(text)}</g>"
    )


def _arrow_svg(arrow: Arrow, marker: str) -> str:
    points = " ".join(f"{x:.0f},{y:.0f}" for x, y in arrow.points)
    end = f' marker-end="url(#{marker})"' if arrow.tip else ""
    line = f'<polyline points="{points}" class="a"{end}/>'
    if not arrow.label:
        return line
    (_, _), (_, _), (x, y), _ = arrow.points
    return line + f'<text x="{x + 4:.0f}" y="{y + 12:.0f}" class="e">{escape(arrow.label)}</text>'


def workflow_svg(name: str, steps: list[Any]) -> str:
    """The whole drawing: a start pill with the workflow's name, the steps, the end."""
    body = layout(steps)
    parts = [_box("start", name, stops=False), body]
    if body.exits:
        parts.append(_box("end", "resolved", stops=True))
    frame = _stack(parts).moved(PAD, PAD)
    width, height = frame.width + 2 * PAD, frame.height + 2 * PAD
    marker = "arrow-" + re.sub(r"[^A-Za-z0-9_-]", "_", name)  # ids are page-wide
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" class="workflow" '
        f'width="{width:.0f}" height="{height:.0f}" viewBox="0 0 {width:.0f} {height:.0f}" '
        f'aria-label="workflow {escape(name)}">'
        f'<defs><marker id="{marker}" viewBox="0 0 10 10" refX="9" refY="5" '
        'markerWidth="7" markerHeight="7" orient="auto-start-reverse">'
        '<path d="M0,0 L10,5 L0,10 z" fill="#5b6577"/></marker></defs>'
        "<style>.k{font:600 10px sans-serif;fill:#5b6577;text-transform:uppercase}"
        ".l{font:12px sans-serif;fill:#1d2433}.e{font:11px sans-serif;fill:#5b6577}"
        ".a{fill:none;stroke:#5b6577;stroke-width:1.3}</style>"
        + "".join(_arrow_svg(a, marker) for a in frame.arrows)
        + "".join(_box_svg(b) for b in frame.boxes)
        + "</svg>"
    )
