"""The server-side drawing of a written workflow: boxes never overlap, branches sit side by
side, an error block ends on its own, and what a team wrote is escaped."""

from __future__ import annotations

import itertools
import xml.etree.ElementTree as ET

from graph.policy import WorkflowPolicy
from switchboard.api.workflow_svg import BOX_H, BOX_W, layout, workflow_svg
from tests.graph.test_written_workflows import DELIVERY_CHECK


def _steps(data: dict[str, object]) -> list[object]:
    return list(WorkflowPolicy.model_validate({"label": "x", **data}).steps or [])


def test_boxes_never_overlap_and_branches_sit_side_by_side() -> None:
    frame = layout(_steps({"steps": DELIVERY_CHECK["steps"]}))
    for a, b in itertools.combinations(frame.boxes, 2):
        apart = a.x + BOX_W <= b.x or b.x + BOX_W <= a.x or a.y + BOX_H <= b.y or b.y + BOX_H <= a.y
        assert apart, (a.path, b.path)
    by_path = {box.path: box for box in frame.boxes}
    then, other = by_path["steps[3].then[0]"], by_path["steps[3].else[0]"]
    assert then.y == other.y and then.x + BOX_W <= other.x
    assert by_path["steps[3]"].y > by_path["steps[2]"].y > by_path["steps[1]"].y
    assert len(frame.exits) == 1  # only the else branch goes on; then ends


def test_an_error_block_hangs_aside_and_ends_unresolved() -> None:
    steps = _steps(
        {
            "steps": [
                {"call": "orders.get", "on_error": [{"reply": "down"}]},
                {"reply": "found"},
            ]
        }
    )
    frame = layout(steps)
    by_path = {box.path: box for box in frame.boxes}
    error, after = by_path["steps[0].on_error[0]"], by_path["steps[1]"]
    assert error.x > after.x
    ends = [box for box in frame.boxes if box.kind == "end"]
    assert [box.label for box in ends] == ["unresolved"] and ends[0].y > error.y
    assert frame.exits == [(after.x + BOX_W / 2, after.y + BOX_H)]


def test_the_svg_is_well_formed_and_escapes_text() -> None:
    steps = _steps({"steps": [{"reply": "<b>hi</b> & bye"}, {"end": "resolved"}]})
    svg = workflow_svg("odd <name>", steps)
    root = ET.fromstring(svg)
    texts = [t.text for t in root.iter("{http://www.w3.org/2000/svg}text")]
    assert "<b>hi</b> & bye" in texts and "odd <name>" in texts
    assert "<b>" not in svg
    assert 'id="arrow-odd__name_"' in svg
