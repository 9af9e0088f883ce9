"""`switchboard customers import/link/show` as an operator runs them: a real process, a
real (demo) database."""

from __future__ import annotations

from pathlib import Path

from tests.support.databases import DatabaseFactory
from tests.switchboard.test_cli import _env, _run


def test_import_csv_then_jsonl_merges_and_a_bad_row_writes_nothing(
    tmp_path: Path, sqlite_databases: DatabaseFactory
) -> None:
    env = _env(sqlite_databases.fresh())
    first = tmp_path / "customers.csv"
    first.write_text(
        "user_id,email,name,vip,ext.stripe,ext.isp\n"
        "cus_maria,,,,cus_1,ISP-0042\n"
        "cus_new,new@example.com,New Person,yes,,ISP-9\n",
        encoding="utf-8",
    )
    imported = _run(["customers", "import", str(first)], env)
    assert imported.returncode == 0, imported.stderr
    assert imported.stdout.strip() == "imported 2 customers (1 added, 1 updated)"

    second = tmp_path / "stripe.jsonl"
    second.write_text(
        '{"user_id": "cus_maria", "name": "Maria G.", "ext": {"stripe": "cus_2"}}\n'
        '{"user_id": "cus_new", "vip": "", "ext.isp": ""}\n',
        encoding="utf-8",
    )
    assert _run(["customers", "import", str(second)], env).returncode == 0
    assert _run(["customers", "show", "cus_maria"], env).stdout.splitlines() == [
        "user_id     cus_maria",
        "email       maria@example.com",
        "name        Maria G.",
        "vip         no",
        "ext.isp     ISP-0042",
        "ext.stripe  cus_2",
    ]
    shown = _run(["customers", "show", "cus_new"], env).stdout
    assert "vip      yes" in shown and "ext.isp  ISP-9" in shown

    bad = tmp_path / "bad.csv"
    bad.write_text(
        "user_id,name,vip\ncus_maria,Overwritten,\ncus_lee,Lee,perhaps\n", encoding="utf-8"
    )
    refused = _run(["customers", "import", str(bad)], env)
    assert refused.returncode == 2
    assert (
        refused.stderr.strip()
        == f"{bad}:3: vip: 'perhaps': use true/false, yes/no, 1/0 or leave it empty"
    )
    assert "Maria G." in _run(["customers", "show", "cus_maria"], env).stdout


def test_link_and_unlink_an_id_and_a_channel_account(
    tmp_path: Path, sqlite_databases: DatabaseFactory
) -> None:
    env = _env(sqlite_databases.fresh())
    linked = _run(["customers", "link", "cus_sam", "stripe", "cus_77"], env)
    assert linked.returncode == 0, linked.stderr
    assert linked.stdout.strip() == "linked cus_sam to stripe cus_77"
    assert "ext.stripe  cus_77" in _run(["customers", "show", "cus_sam"], env).stdout

    unlinked = _run(["customers", "link", "cus_sam", "stripe", "--remove"], env)
    assert unlinked.stdout.strip() == "unlinked cus_sam from stripe"
    assert "ext." not in _run(["customers", "show", "cus_sam"], env).stdout

    channel = ["--channel", "telegram", "--channel-user-id", "42"]
    assert _run(["customers", "link", "cus_sam", *channel], env).stdout.strip() == (
        "linked telegram:42 to cus_sam"
    )

    unknown = _run(["customers", "link", "cus_nobody", "stripe", "cus_1"], env)
    assert (unknown.returncode, unknown.stderr.strip()) == (
        2,
        "no customer with user id 'cus_nobody'",
    )
    for args, expected in [
        (["cus_sam", "Stripe", "cus_1"], "system 'Stripe'"),
        (["cus_sam", "stripe"], "give EXTERNAL_ID to link, or --remove"),
        (["cus_sam", "stripe", "cus_1", *channel], "--channel and --channel-user-id only"),
        (["cus_sam"], "give SYSTEM EXTERNAL_ID"),
    ]:
        wrong = _run(["customers", "link", *args], env)
        assert wrong.returncode == 2 and expected in wrong.stderr, (args, wrong.stderr)
    assert _run(["customers", "show", "cus_nobody"], env).returncode == 2
