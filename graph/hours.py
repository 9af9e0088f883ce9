"""When people answer handoffs: the policy's `handoff.hours`, and what the bot says outside
them.

```yaml
handoff:
  hours:
    timezone: Europe/Berlin
    weekly: {mon: "08:00-18:00", tue: "08:00-18:00", sat: "10:00-14:00"}  # absent: closed
    holidays: [2026-12-25, 2026-12-26]
```

No `hours` means staff answer at any time. A day may list several ranges
("08:00-12:00, 13:00-17:00").
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from babel.dates import format_date
from pydantic import BaseModel, ConfigDict, Field, field_validator

from graph.i18n import _, language

Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
WEEKDAYS: tuple[Weekday, ...] = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
DAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


def _parse_ranges(value: str) -> list[tuple[time, time]]:
    ranges = []
    for part in (p.strip() for p in value.split(",") if p.strip()):
        start, sep, end = part.partition("-")
        try:
            opens, closes = time.fromisoformat(start.strip()), time.fromisoformat(end.strip())
        except ValueError:
            raise ValueError(f"{part!r}: expected a range like 08:00-18:00") from None
        if not sep or closes <= opens:
            raise ValueError(f"{part!r}: expected a range like 08:00-18:00")
        ranges.append((opens, closes))
    return sorted(ranges)


class HandoffHours(BaseModel):
    model_config = ConfigDict(extra="forbid")  # a misspelt key is an error, not ignored

    timezone: str = "UTC"
    weekly: dict[Weekday, str] = Field(default_factory=dict)
    """Per weekday, opening ranges in local time; a day not listed is closed."""
    holidays: list[date] = Field(default_factory=list)

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {value!r} (e.g. Europe/Berlin)") from None
        return value

    @field_validator("weekly")
    @classmethod
    def _ranges(cls, value: dict[Weekday, str]) -> dict[Weekday, str]:
        for ranges in value.values():
            _parse_ranges(ranges)
        return value

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def _ranges_on(self, day: date) -> list[tuple[time, time]]:
        if day in self.holidays:
            return []
        return _parse_ranges(self.weekly.get(WEEKDAYS[day.weekday()], ""))

    def is_open(self, now: datetime) -> bool:
        local = now.astimezone(self.zone)
        return any(o <= local.time() < c for o, c in self._ranges_on(local.date()))

    def next_opening(self, now: datetime) -> datetime | None:
        """The next moment staff answer (local time), within two weeks; None if never."""
        local = now.astimezone(self.zone)
        for offset in range(15):
            day = local.date() + timedelta(days=offset)
            for opens, _closes in self._ranges_on(day):
                moment = datetime.combine(day, opens, tzinfo=self.zone)
                if moment > local:
                    return moment
        return None


class HandoffPolicy(BaseModel):
    """How handing a conversation to a person behaves."""

    model_config = ConfigDict(extra="forbid")

    hours: HandoffHours | None = None
    """When staff answer; None: any time."""


def when_open(moment: datetime, now: datetime) -> str:
    """`8:00 CET`, `Monday 8:00 CET`: how the customer is told when staff are back."""
    clock = f"{moment.hour}:{moment.minute:02d} {moment.tzname()}"
    local_now = now.astimezone(moment.tzinfo)
    if moment.date() == local_now.date():
        return _("today at {time}").format(time=clock)
    if moment.date() == local_now.date() + timedelta(days=1):
        return _("tomorrow at {time}").format(time=clock)
    code = language()
    weekday = DAY_NAMES[moment.weekday()] if code == "en" else format_date(moment, "EEEE", code)
    return _("{weekday} at {time}").format(weekday=weekday, time=clock)
