"""Field types every contract shares: money, aware timestamps, names.

Money is yuan as a Decimal with two places, written as a string ("1250000.00"); a JSON
float is refused outright, because binary floats cannot hold cents exactly.
"""

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


def Name(max_length: int = 100, **kwargs) -> fields.String:
    """A required, non-blank display name (Chinese names of bases, departments, people)."""
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
