"""sc's tables show times in Beijing time with the zone; the services' UTC stays in
--json and --csv for programs."""

from datetime import datetime, timezone

import pytest

from services.cli.times import beijing


def test_a_utc_time_from_a_service_is_shown_eight_hours_later_with_its_zone():
    assert beijing("2026-12-07T20:15:30.123456+00:00") == "2026-12-08 04:15:30 +08:00"


def test_a_datetime_in_any_zone_is_shown_in_beijing_time():
    moment = datetime(2018, 7, 1, 0, 0, tzinfo=timezone.utc)
    assert beijing(moment) == "2018-07-01 08:00:00 +08:00"
    assert beijing("2018-07-01T08:00:00+08:00") == "2018-07-01 08:00:00 +08:00"


def test_no_time_is_an_empty_cell():
    assert beijing(None) == "" and beijing("") == ""


def test_a_time_without_a_zone_is_refused_rather_than_guessed():
    with pytest.raises(ValueError, match="without a zone"):
        beijing("2026-12-08T09:30:00")
