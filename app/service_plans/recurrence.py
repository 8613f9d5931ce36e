"""Due dates of a plan (dateutil rules) and their move off holidays and non-working days."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from dateutil import rrule

from app.service_plans.models import HolidayPolicy, PlanFrequency

_FREQ = {
    PlanFrequency.WEEKLY: rrule.WEEKLY,
    PlanFrequency.MONTHLY: rrule.MONTHLY,
    PlanFrequency.YEARLY: rrule.YEARLY,
}


@dataclass(frozen=True, slots=True)
class Recurrence:
    frequency: PlanFrequency
    interval: int = 1
    by_months: tuple[int, ...] = ()
    month_day: int | None = None
    """1..31, or -1 for the last day; a month without the day uses its last day."""
    weekday: int | None = None
    """Monday 0 .. Sunday 6: with `week_of_month` the nth weekday, else that weekday."""
    week_of_month: int | None = None
    """1..5 or -1 for the last."""


def due_dates(rule: Recurrence, starts_on: date, since: date, until: date) -> list[date]:
    """Due dates from the plan's start in [since, until]. A day past the month's end (the
    31st in April, 29 February in a common year) falls on the month's last day, never skipped."""
    if until < since:
        return []
    start = datetime.combine(starts_on, datetime.min.time())
    kwargs: dict[str, object] = {"dtstart": start, "interval": rule.interval}
    if rule.by_months:
        kwargs["bymonth"] = rule.by_months
    if rule.weekday is not None:
        day = rrule.weekday(rule.weekday)
        kwargs["byweekday"] = day(rule.week_of_month) if rule.week_of_month else day
    elif rule.frequency is not PlanFrequency.WEEKLY:
        wanted = rule.month_day or starts_on.day
        if wanted < 0 or wanted > 28:
            # the wanted day where the month has it, else the month's last day
            return _clamped(rule, kwargs, wanted, since, until)
        kwargs["bymonthday"] = wanted
    if rule.frequency is PlanFrequency.YEARLY and not rule.by_months:
        kwargs["bymonth"] = starts_on.month
    dates = rrule.rrule(_FREQ[rule.frequency], **kwargs).between(
        datetime.combine(since, datetime.min.time()),
        datetime.combine(until, datetime.min.time()),
        inc=True,
    )
    return [d.date() for d in dates]


def _clamped(
    rule: Recurrence, kwargs: dict[str, object], wanted: int, since: date, until: date
) -> list[date]:
    """Months are counted with the rule; each month's date is the wanted day or its last."""
    if rule.frequency is PlanFrequency.YEARLY and "bymonth" not in kwargs:
        kwargs["bymonth"] = kwargs["dtstart"].month  # type: ignore[attr-defined]
    kwargs["bymonthday"] = 1
    start: datetime = kwargs["dtstart"]  # type: ignore[assignment]
    kwargs["dtstart"] = start.replace(day=1)
    months = rrule.rrule(_FREQ[rule.frequency], **kwargs)
    result = []
    for first in months:
        if first.date() > until:
            break
        last = (first + timedelta(days=32)).replace(day=1) - timedelta(days=1)
        day = last.date() if wanted < 0 else first.date().replace(day=min(wanted, last.day))
        if day >= start.date() and since <= day <= until:
            result.append(day)
    return result


def move_off_days(
    day: date,
    policy: HolidayPolicy,
    holidays: Collection[date],
    non_working_weekdays: Collection[int],
) -> date:
    """The day itself when it is worked; else per the policy (at most a year away)."""
    if policy is HolidayPolicy.KEEP:
        return day
    step = timedelta(days=1 if policy is HolidayPolicy.NEXT_WORKING_DAY else -1)
    moved = day
    for _ in range(366):
        if moved not in holidays and moved.weekday() not in non_working_weekdays:
            return moved
        moved += step
    return day
