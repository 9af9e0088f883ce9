"""Problems in a policy file are printed with the line a person would edit."""

from __future__ import annotations

from pathlib import Path

import yaml

from switchboard.policy_tools.lines import check_file, check_text, key_parts, line_of

DEFAULT_POLICY = Path(__file__).resolve().parents[2] / "switchboard" / "default_policy.yaml"

DOC = """\
company: Acme
intents:
  order_status:
    route: workflow:plan_change
    examples: [where is my order, order status]
workflows:
  plan_change:
    label: your plan
    steps:
      - reply: hello
      - call: orders.get
        as: order
        on_error:
          - reply: sorry
      - if: "order is none"
        then:
          - end: resolved
"""


def test_key_parts_split_names_and_indexes() -> None:
    assert key_parts("workflows.x.steps[3].then[0].call") == [
        "workflows",
        "x",
        "steps",
        3,
        "then",
        0,
        "call",
    ]
    assert key_parts("(root)") == []


def test_a_key_maps_to_its_line() -> None:
    root = yaml.compose(DOC)
    assert line_of(root, "intents.order_status.route") == 4
    assert line_of(root, "workflows.plan_change.steps[1]") == 11
    assert line_of(root, "workflows.plan_change.steps[1].call") == 11
    assert line_of(root, "workflows.plan_change.steps[1].as") == 12
    assert line_of(root, "workflows.plan_change.steps[1].on_error[0].reply") == 14
    assert line_of(root, "workflows.plan_change.steps[2].then[0].end") == 17


def test_a_missing_key_falls_back_to_its_deepest_parent() -> None:
    root = yaml.compose(DOC)
    assert line_of(root, "workflows.plan_change.slots.plan") == 7
    assert line_of(root, "workflows.plan_change.steps[9].call") == 9
    assert line_of(root, "nowhere.at.all") == 1
    assert line_of(root, "(root)") == 1


def test_merge_keys_are_followed() -> None:
    text = "base: &b\n  label: x\n  extra: 1\nuse:\n  <<: *b\n  own: 2\n"
    root = yaml.compose(text)
    assert line_of(root, "use.own") == 6
    assert line_of(root, "use.extra") == 3  # where it is written: the anchor


def test_check_names_file_line_and_key(tmp_path: Path) -> None:
    text = DEFAULT_POLICY.read_text(encoding="utf-8").replace(
        "\nworkflows:\n",
        "\nworkflows:\n  plan_change:\n    label: your plan\n"
        "    steps:\n      - ask: order_number\n      - call: orders.gett\n",
    )
    path = tmp_path / "policy.yaml"
    path.write_text(text, encoding="utf-8")
    policy, problems = check_file(path)
    assert policy is None
    lines = text.splitlines()
    by_key = {p.split(": ", 2)[1]: p for p in problems}
    ask = by_key["workflows.plan_change.steps[0].ask"]
    call = by_key["workflows.plan_change.steps[1].call"]
    assert call.endswith("unknown tool 'orders.gett'")
    for problem, needle in ((ask, "- ask: order_number"), (call, "- call: orders.gett")):
        file, line, _ = problem.split(":", 2)
        assert file == str(path)
        assert lines[int(line) - 1].strip() == needle


def test_a_good_file_has_no_problems() -> None:
    policy, problems = check_file(DEFAULT_POLICY)
    assert problems == [] and policy is not None


def test_yaml_syntax_and_missing_files_are_one_line_each(tmp_path: Path) -> None:
    policy, problems = check_text("company: Acme\nintents: [\n")
    assert policy is None and len(problems) == 1 and problems[0].key == "(yaml)"
    assert problems[0].line >= 2
    _, missing = check_file(tmp_path / "nope.yaml")
    assert len(missing) == 1 and "nope.yaml" in missing[0]


def test_a_wrong_type_is_placed_at_its_key() -> None:
    _, problems = check_text(DOC.replace("label: your plan", "label: [1, 2]"))
    assert [(p.line, p.key) for p in problems] == [(8, "workflows.plan_change.label")]


def test_unknown_keys_are_problems_with_a_suggestion() -> None:
    text = (
        DOC.replace("label: your plan", "lable: your plan\n    label: your plan")
        .replace("company: Acme", "company: Acme\ndialogu:\n  idle_minutes: 5")
        .replace("    route: workflow:plan_change", "    route: workflow:plan_change\n    rout: x")
    )
    _, problems = check_text(text)
    found = {(p.key, p.message) for p in problems}
    assert ("dialogu", "unknown key (did you mean 'dialogue'?)") in found
    assert ("intents.order_status.rout", "unknown key (did you mean 'route'?)") in found
    assert ("workflows.plan_change.lable", "unknown key (did you mean 'label'?)") in found
    lines = text.splitlines()
    for problem in problems:
        if problem.message.startswith("unknown key"):
            written = lines[problem.line - 1].strip()
            assert written.startswith(problem.key.rsplit(".", 1)[-1] + ":"), problem
    assert [p.line for p in problems] == sorted(p.line for p in problems)


def test_a_good_file_with_only_an_unknown_key_still_fails() -> None:
    text = DEFAULT_POLICY.read_text(encoding="utf-8") + "\nmystery: 1\n"
    policy, problems = check_text(text)
    assert policy is None and [(p.key, p.message) for p in problems] == [("mystery", "unknown key")]


def test_an_unknown_language_code_is_refused_at_its_key() -> None:
    _, problems = check_text(DOC.replace("company: Acme", "company: Acme\nlanguages: [en, xx]"))
    assert [(p.line, p.key) for p in problems] == [(2, "languages")]
    assert problems[0].message == "unknown language code 'xx' (ISO 639-1, like en or es)"
