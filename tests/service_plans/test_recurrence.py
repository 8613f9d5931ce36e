"""Due dates by dateutil rules: month ends, leap years, nth weekdays, and holiday moves."""

from datetime import date

from app.service_plans.models import HolidayPolicy, PlanFrequency
from app.service_plans.recurrence import Recurrence, due_dates, move_off_days

YEAR = (date(2026, 1, 1), date(2026, 12, 31))


def test_the_31st_falls_on_the_last_day_of_shorter_months() -> None:
    dates = due_dates(Recurrence(PlanFrequency.MONTHLY), date(2026, 1, 31), *YEAR)
    assert dates[:4] == [date(2026, 1, 31), date(2026, 2, 28), date(2026, 3, 31), date(2026, 4, 30)]
    assert len(dates) == 12


def test_every_three_months_from_the_start() -> None:
    dates = due_dates(Recurrence(PlanFrequency.MONTHLY, interval=3), date(2026, 1, 15), *YEAR)
    assert dates == [date(2026, 1, 15), date(2026, 4, 15), date(2026, 7, 15), date(2026, 10, 15)]


def test_29_february_yearly_is_the_28th_in_common_years() -> None:
    dates = due_dates(
        Recurrence(PlanFrequency.YEARLY), date(2024, 2, 29), date(2024, 1, 1), date(2028, 12, 31)
    )
    assert dates == [
        date(2024, 2, 29),
        date(2025, 2, 28),
        date(2026, 2, 28),
        date(2027, 2, 28),
        date(2028, 2, 29),
    ]


def test_nth_and_last_weekday_of_the_month() -> None:
    second_tuesday = Recurrence(PlanFrequency.MONTHLY, weekday=1, week_of_month=2)
    last_friday = Recurrence(PlanFrequency.MONTHLY, weekday=4, week_of_month=-1)
    since, until = date(2026, 1, 1), date(2026, 3, 31)
    assert due_dates(second_tuesday, since, since, until) == [
        date(2026, 1, 13),
        date(2026, 2, 10),
        date(2026, 3, 10),
    ]
    assert due_dates(last_friday, since, since, until) == [
        date(2026, 1, 30),
        date(2026, 2, 27),
        date(2026, 3, 27),
    ]


def test_given_months_and_every_second_week() -> None:
    twice_a_year = Recurrence(PlanFrequency.YEARLY, by_months=(3, 9))
    assert due_dates(twice_a_year, date(2026, 1, 10), *YEAR) == [
        date(2026, 3, 10),
        date(2026, 9, 10),
    ]
    fortnightly = Recurrence(PlanFrequency.WEEKLY, interval=2)
    assert due_dates(fortnightly, date(2026, 1, 5), date(2026, 1, 10), date(2026, 2, 20)) == [
        date(2026, 1, 19),
        date(2026, 2, 2),
        date(2026, 2, 16),
    ]


def test_nothing_before_the_plan_starts_and_an_empty_range() -> None:
    assert due_dates(Recurrence(PlanFrequency.MONTHLY), date(2026, 6, 1), *YEAR)[0] == date(
        2026, 6, 1
    )
    assert due_dates(Recurrence(PlanFrequency.MONTHLY), date(2026, 1, 1), YEAR[1], YEAR[0]) == []


def test_holidays_and_sundays_move_per_policy() -> None:
    holidays = {date(2026, 1, 26)}  # a Monday
    sunday = date(2026, 1, 25)
    assert move_off_days(sunday, HolidayPolicy.NEXT_WORKING_DAY, holidays, {6}) == date(2026, 1, 27)
    assert move_off_days(sunday, HolidayPolicy.PREVIOUS_WORKING_DAY, holidays, {6}) == date(
        2026, 1, 24
    )
    assert move_off_days(sunday, HolidayPolicy.KEEP, holidays, {6}) == sunday
    assert move_off_days(date(2026, 1, 27), HolidayPolicy.NEXT_WORKING_DAY, holidays, {6}) == date(
        2026, 1, 27
    )
