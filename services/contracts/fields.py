"""Field types every contract shares: money, aware timestamps, names.

Money is yuan as a Decimal with two places, written as a string ("1250000.00"); a JSON
float is refused outright, because binary floats cannot hold cents exactly.

Requests are held to what every consumer can process (``Moment``, ``Day``, ``Count``):
a time in year 1 at +14:00 cannot even be converted to UTC, and a count of 4,001 digits
is no count. Events keep the plain types, so that what was logged before still loads.
"""

import re
from datetime import date, datetime, time, timedelta, timezone
from decimal import Decimal, InvalidOperation, getcontext

from marshmallow import ValidationError, fields, validate

from .vocabulary import CITIES

CENT = Decimal("0.01")
MAX_MONEY = Decimal("1000000000000")  # one trillion yuan: beyond any provincial budget


class Money(fields.Field):
    """Yuan, as Decimal with at most two places, strictly positive unless allow_zero."""

    def __init__(self, *, allow_zero: bool = False, **kwargs):
        super().__init__(**kwargs)
        self.allow_zero = allow_zero

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, bool) or isinstance(value, float):
            raise ValidationError(
                'Money must be a decimal string such as "1000.00"; floats are not accepted.'
            )
        if isinstance(value, (int, Decimal)):
            amount = Decimal(value)
        elif isinstance(value, str):
            try:
                amount = Decimal(value.strip())
            except InvalidOperation:
                raise ValidationError(f"Not a valid amount of money: {value!r}.") from None
        else:
            raise ValidationError("Money must be a decimal string such as \"1000.00\".")
        if not amount.is_finite():
            raise ValidationError("Money must be a finite amount.")
        if amount.as_tuple().exponent < -2:
            raise ValidationError("Money has at most two decimal places (fen).")
        if amount < 0 or (amount == 0 and not self.allow_zero):
            raise ValidationError("Money must be greater than 0.")
        if amount > MAX_MONEY:
            raise ValidationError("Amount is implausibly large.")
        return amount.quantize(CENT)

    def _serialize(self, value, attr, obj, **kwargs):
        if value is None:
            return None
        return str(Decimal(value).quantize(CENT))


class ExactDecimal(fields.Field):
    """A quantity (a target, a score) as a decimal string ("60.00") or an integer, with
    at most ``places`` places, from ``minimum`` to ``maximum``. A JSON float is refused
    rather than rounded: 0.30000000000000004 quietly becoming 0.30 hides the sender's
    error from the sender."""

    def __init__(self, *, places: int = 2, minimum: Decimal | None = None,
                 maximum: Decimal | None = None, **kwargs):
        super().__init__(**kwargs)
        self.exponent = Decimal(1).scaleb(-places)
        self.places, self.minimum, self.maximum = places, minimum, maximum

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, (bool, float)) or not isinstance(value, (int, str, Decimal)):
            raise ValidationError('A decimal string such as "12.50" is expected; floats are not accepted.')
        try:
            number = Decimal(str(value).strip())
        except InvalidOperation:
            raise ValidationError(f"Not a decimal number: {value!r}.") from None
        if not number.is_finite():
            raise ValidationError("Must be a finite number.")
        if number.as_tuple().exponent < -self.places:
            raise ValidationError(f"At most {self.places} decimal places.")
        if (self.minimum is not None and number < self.minimum) or \
                (self.maximum is not None and number > self.maximum):
            raise ValidationError(f"Must be from {self.minimum} to {self.maximum}."
                                  if self.maximum is not None else f"Must be at least {self.minimum}.")
        whole_digits = getcontext().prec - self.places  # beyond, quantize cannot be exact
        if number and number.adjusted() >= whole_digits:
            raise ValidationError(f"At most {whole_digits} digits before the decimal point.")
        return number.quantize(self.exponent)

    def _serialize(self, value, attr, obj, **kwargs):
        return None if value is None else str(Decimal(value).quantize(self.exponent))


def LoggedName(max_length: int = 100, **kwargs) -> fields.String:
    """A required, non-blank name as an event carries it, read as it was logged (a
    request's names go through ``text.Name`` first)."""
    return fields.String(
        required=kwargs.pop("required", True),
        validate=[validate.Length(min=1, max=max_length), _not_blank],
        **kwargs,
    )


def _not_blank(value: str) -> None:
    if not value.strip():
        raise ValidationError("Must not be blank.")


class City(fields.String):
    """One of Shanxi's 11 cities (设区市), for requests: surrounding whitespace is
    stripped, anything else is refused, listing what is accepted ("太原" is not
    "太原市": a conflict of interest must not hang on how a name was typed). Contract
    events keep plain strings, so that logs written before still load."""

    def _deserialize(self, value, attr, data, **kwargs):
        city = super()._deserialize(value, attr, data, **kwargs).strip()
        if city not in CITIES:
            raise ValidationError(f"Not one of Shanxi's cities (设区市); one of: {'、'.join(CITIES)}.")
        return city


def Timestamp(**kwargs) -> fields.AwareDateTime:
    """An ISO 8601 timestamp that carries its timezone; naive times are rejected."""
    return fields.AwareDateTime(format="iso", **kwargs)


FIRST_YEAR, LAST_YEAR = 2000, 2100
_EARLIEST = datetime(FIRST_YEAR, 1, 1, tzinfo=timezone.utc)
_AFTER_LAST = datetime(LAST_YEAR + 1, 1, 1, tzinfo=timezone.utc)
_OUT_OF_RANGE = f"A time from {FIRST_YEAR} to {LAST_YEAR} is expected."


BEIJING = timezone(timedelta(hours=8), "CST")  # the programme's days are Beijing's
_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")
DAY_STARTS, DAY_ENDS = "start", "end"


class Moment(fields.AwareDateTime):
    """A request's timestamp: ISO 8601 with its timezone, from 2000 to 2100 in UTC.

    Where a person means a day (a batch opens on 1 December), ``day=DAY_STARTS`` also
    takes a date, as 00:00 Beijing time that day, and ``day=DAY_ENDS`` as its last
    instant (23:59:59.999999 +08:00), for a window that closes with the day."""

    def __init__(self, *, day: str | None = None, **kwargs):
        super().__init__(format="iso", **kwargs)
        if day not in (None, DAY_STARTS, DAY_ENDS):
            raise ValueError(f"day is {DAY_STARTS!r}, {DAY_ENDS!r} or None")
        self.day = day
        if day is not None:
            self.error_messages["invalid_awareness"] = self.error_messages["invalid"] = (
                "A date (2026-12-01, Beijing time) or a time with its offset "
                "(2026-12-01T09:00:00+08:00) is expected.")

    def _deserialize(self, value, attr, data, **kwargs):
        if self.day is not None and isinstance(value, str) and _DAY.match(value.strip()):
            day = Day()._deserialize(value.strip(), attr, data, **kwargs)
            return datetime.combine(day, time.min if self.day == DAY_STARTS else time.max, BEIJING)
        moment = super()._deserialize(value, attr, data, **kwargs)
        try:
            in_utc = moment.astimezone(timezone.utc)
        except OverflowError:
            raise ValidationError(_OUT_OF_RANGE) from None
        if not _EARLIEST <= in_utc < _AFTER_LAST:
            raise ValidationError(_OUT_OF_RANGE)
        return moment


class Day(fields.Date):
    """A request's calendar date (ISO 8601), from 2000 to 2100."""

    def _deserialize(self, value, attr, data, **kwargs) -> date:
        day = super()._deserialize(value, attr, data, **kwargs)
        if not FIRST_YEAR <= day.year <= LAST_YEAR:
            raise ValidationError(f"A date from {FIRST_YEAR} to {LAST_YEAR} is expected.")
        return day


def Count(*, maximum: int, minimum: int = 0, **kwargs) -> fields.Integer:
    """A request's whole number (a JSON integer, not "3" nor 3.0) within its domain."""
    return fields.Integer(strict=True, validate=validate.Range(min=minimum, max=maximum),
                          **kwargs)
