"""A customer list to import (`switchboard customers import`): CSV or JSON lines.

CSV has a header row: `user_id,email,name,vip,ext.<system>...` (only `user_id` is
required). JSON lines hold one object per line with the same keys, the ids either as
`"ext": {"stripe": "cus_1"}` or as `"ext.stripe"` keys. An empty cell (or null) leaves
the stored value alone, so a file from one system never blanks what another filled in.
The whole file is read and checked before anything is written; the first problem is one
line naming file, line and column.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from storage.customers import CustomerRow, InvalidExternalId, check_external_id, check_system

CSV_SUFFIXES = (".csv",)
JSON_LINES_SUFFIXES = (".jsonl", ".ndjson")
_FIELDS = ("user_id", "email", "name", "vip")
_TRUE = {"true", "yes", "1"}
_FALSE = {"false", "no", "0"}
_MAX_TEXT = {"user_id": 128, "email": 255, "name": 255}


class CustomerFileError(Exception):
    """The file cannot be imported; the message is one line: `file:line: column: why`."""


class _Bad(Exception):
    def __init__(self, column: str, message: str, line: int | None = None) -> None:
        super().__init__(message)
        self.column = column
        self.line = line


def read_customer_file(path: Path) -> list[CustomerRow]:
    suffix = path.suffix.lower()
    if suffix not in CSV_SUFFIXES + JSON_LINES_SUFFIXES:
        raise CustomerFileError(f"{path}: use a .csv, .jsonl or .ndjson file")
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise CustomerFileError(f"{path}: {exc}") from None
    records = _csv_records(text) if suffix in CSV_SUFFIXES else _json_records(text)
    rows: list[CustomerRow] = []
    seen: dict[str, int] = {}
    line = 1
    try:
        for line, record in records:
            row = _row(record)
            if row.user_id in seen:
                raise _Bad("user_id", f"{row.user_id!r} is also on line {seen[row.user_id]}")
            seen[row.user_id] = line
            rows.append(row)
    except _Bad as bad:
        raise CustomerFileError(f"{path}:{bad.line or line}: {bad.column}: {bad}") from None
    if not rows:
        raise CustomerFileError(f"{path}: no customers in the file")
    return rows


def _csv_records(text: str) -> Iterator[tuple[int, dict[str, Any]]]:
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = [name.strip() for name in next(reader)]
    except StopIteration:
        return
    except csv.Error as exc:
        raise _Bad("header", str(exc)) from None
    for name in header:
        _column(name)
    if "user_id" not in header:
        raise _Bad("header", "no user_id column")
    if len(set(header)) != len(header):
        raise _Bad("header", "a column is named twice")
    while True:
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            raise _Bad("row", str(exc), reader.line_num) from None
        if not any(cell.strip() for cell in cells):
            continue
        if len(cells) > len(header):
            message = f"{len(cells)} cells, the header names {len(header)}"
            raise _Bad("row", message, reader.line_num)
        yield reader.line_num, dict(zip(header, cells, strict=False))


def _json_records(text: str) -> Iterator[tuple[int, dict[str, Any]]]:
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            raise _Bad("json", exc.msg, number) from None
        if not isinstance(record, dict):
            raise _Bad("json", "expected one object per line", number)
        flat = {k: v for k, v in record.items() if k != "ext"}
        ext = record.get("ext")
        if ext is not None:
            if not isinstance(ext, Mapping):
                raise _Bad("ext", 'expected an object like {"stripe": "cus_1"}', number)
            for system, value in ext.items():
                if f"ext.{system}" in flat:
                    raise _Bad(f"ext.{system}", "given twice (ext and ext.<system>)", number)
                flat[f"ext.{system}"] = value
        yield number, flat


def _column(name: str) -> str | None:
    """The system an `ext.<system>` column names (None for the plain fields)."""
    if name in _FIELDS:
        return None
    if name.startswith("ext."):
        try:
            return check_system(name.removeprefix("ext."))
        except InvalidExternalId as exc:
            raise _Bad(name, str(exc)) from None
    raise _Bad(name, f"unknown column; expected {', '.join(_FIELDS)} or ext.<system>")


def _text(column: str, value: Any) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise _Bad(column, "expected text")
    value = value.strip()
    if len(value) > _MAX_TEXT.get(column, 255):
        raise _Bad(column, f"longer than {_MAX_TEXT.get(column, 255)} characters")
    return value or None


def _vip(value: Any) -> bool | None:
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    word = value.strip().lower() if isinstance(value, str) else None
    if word == "":
        return None
    if word in _TRUE or word in _FALSE:
        return word in _TRUE
    raise _Bad("vip", f"{value!r}: use true/false, yes/no, 1/0 or leave it empty")


def _row(record: dict[str, Any]) -> CustomerRow:
    ids: dict[str, str] = {}
    for key, value in record.items():
        system = _column(key)
        if system is None:
            continue
        if value is not None and not isinstance(value, str):
            raise _Bad(key, "expected the id as text")
        value = (value or "").strip()
        if value:
            try:
                ids[system] = check_external_id(value)
            except InvalidExternalId as exc:
                raise _Bad(key, str(exc)) from None
    user_id = _text("user_id", record.get("user_id"))
    if user_id is None:
        raise _Bad("user_id", "missing")
    email = _text("email", record.get("email"))
    if email is not None and "@" not in email:
        raise _Bad("email", f"{email!r} is not an e-mail address")
    return CustomerRow(
        user_id=user_id,
        email=email,
        name=_text("name", record.get("name")),
        vip=_vip(record.get("vip")),
        external_ids=ids,
    )
