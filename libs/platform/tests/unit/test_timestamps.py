"""set_timestamp agrees with protobuf's own FromDatetime, to the microsecond, for every kind of value."""

from __future__ import annotations

import datetime as dt
import random
from zoneinfo import ZoneInfo

from google.protobuf.timestamp_pb2 import Timestamp

from aigym_platform.timestamps import set_timestamp


def _both(value: dt.datetime) -> tuple[Timestamp, Timestamp]:
    expected, actual = Timestamp(), Timestamp()
    expected.FromDatetime(value)
    set_timestamp(actual, value)
    return expected, actual


def test_matches_from_datetime_for_aware_naive_and_pre_epoch_values() -> None:
    rng = random.Random(7)
    zones = [dt.UTC, ZoneInfo("Europe/Berlin"), ZoneInfo("America/St_Johns"), ZoneInfo("Asia/Kathmandu")]
    values = [
        dt.datetime(1969, 12, 31, 23, 59, 59, 999_999, tzinfo=dt.UTC),
        dt.datetime(1970, 1, 1, tzinfo=dt.UTC),
        dt.datetime(2026, 3, 29, 1, 30, tzinfo=ZoneInfo("Europe/Berlin")),
        dt.datetime(2026, 11, 27, 12, 0, 0, 123_456),  # naive: UTC
        dt.datetime(1, 1, 1, tzinfo=dt.UTC),
        dt.datetime(9999, 12, 31, 23, 59, 59, 999_999, tzinfo=dt.UTC),
    ]
    for _ in range(500):
        seconds = rng.randint(-2_000_000_000, 4_000_000_000)
        zone = rng.choice(zones)
        micros = dt.timedelta(microseconds=rng.randint(0, 999_999))
        moment = dt.datetime.fromtimestamp(seconds, dt.UTC) + micros
        values.append(moment.astimezone(zone))
    for value in values:
        expected, actual = _both(value)
        assert (actual.seconds, actual.nanos) == (expected.seconds, expected.nanos), value
        if value.tzinfo is not None:
            assert actual.ToDatetime(dt.UTC) == value
