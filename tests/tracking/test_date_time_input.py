"""DateTime inputs are parsed on a fast path for the plain ISO form; the values (zones
included), what is accepted and the errors must be those of strawberry's dateutil parser."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from strawberry.schema.types.base_scalars import DateTimeDefinition

from schema.scalars import SCALARS


def fast_parse(value: object) -> object:
    parse = SCALARS[datetime].parse_value
    assert parse is not None
    return parse(value)


def dateutil_parse(value: object) -> object:
    parse = DateTimeDefinition.parse_value
    assert parse is not None
    return parse(value)


offsets = st.integers(-(23 * 60 + 59), 23 * 60 + 59).map(lambda m: timezone(timedelta(minutes=m)))
moments = st.datetimes(
    min_value=datetime(1, 1, 2), max_value=datetime(9999, 12, 30), timezones=offsets
)


def written(at: datetime, form: int) -> str:
    """The shapes clients send: isoformat, JavaScript's toISOString, no fraction, no zone."""
    if form == 0:
        return at.isoformat()
    if form == 1:
        return at.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    if form == 2:
        return at.isoformat(timespec="seconds")
    return at.replace(tzinfo=None).isoformat()


date_times = st.builds(written, moments, st.integers(0, 3))


@settings(max_examples=500, deadline=None)
@given(text=date_times)
def test_date_times_parse_to_the_same_value_and_zone_as_with_dateutil(text: str) -> None:
    fast, reference = fast_parse(text), dateutil_parse(text)

    assert repr(fast) == repr(reference)
    assert fast == reference


@settings(max_examples=2000, deadline=None)
@given(
    text=st.from_regex(
        r"\A[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]{1,6})?"
        r"(Z|[+-][0-9]{2}:[0-9]{2})?\Z"
    )
)
def test_any_plain_date_time_is_accepted_or_refused_as_with_dateutil(text: str) -> None:
    # every digit is arbitrary: 30 February, hour 24, offset minutes 95...
    outcomes = []
    for parse in (fast_parse, dateutil_parse):
        try:
            outcomes.append(("value", repr(parse(text))))
        except Exception as error:
            outcomes.append((type(error).__name__, str(error)))

    assert outcomes[0] == outcomes[1]


def test_other_date_time_forms_and_values_are_left_to_dateutil() -> None:
    taken = [
        "2024-05-01 10:00:00+05:30",
        "20240501T100000Z",
        "2024-05-01T10:00:00+0530",
        "2024-05-01T10:00:00.1234567+00:00",
        "2024-05-01T24:00:00Z",
    ]
    for text in taken:
        assert repr(fast_parse(text)) == repr(dateutil_parse(text))
    for value in ["yesterday", 1_700_000_000, "2024-05-01T10:00:00+05:30:00", ""]:
        with pytest.raises(Exception) as fast_error:
            fast_parse(value)
        with pytest.raises(Exception) as reference_error:
            dateutil_parse(value)
        assert str(fast_error.value) == str(reference_error.value)
