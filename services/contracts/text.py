"""How names and free text are read where people type them: one policy, for requests.

A name or a text (a base, a unit, a person; a reason, a comment) is taken in Unicode's
compatibility form (NFKC: full-width ＡＢＣ１２ is ABC12, an ideographic space a space),
except that Chinese punctuation (，：；（）！？ and the other full-width signs) stays as
written, since that is how Chinese is punctuated ('整改到位，保留资格' is not to become
'整改到位,保留资格'); whitespace is collapsed. Characters that do not show or that
steer how text is shown or parsed are refused, with the field named: controls and
format characters (Unicode Cc and Cf: NUL, zero-width spaces, bidi overrides, the BOM)
and lone surrogates; a line break only in free text that is meant to have lines (a tab
is whitespace, collapsed like a space).

Names are compared by ``comparison_key``: NFKC throughout (punctuation included, so
'启迪（太原）' and '启迪(太原)' are one name), case-folded, without whitespace and
without the invisible characters that names logged before this policy may carry. Every
uniqueness rule compares keys, so 'ＡＢＣ科技', 'abc科技' and 'ABC\u200b科技' are one
unit. Identifiers keep being derived as they always were (they are in tokens and
logs); keys only decide whether a name is taken.

Events already logged are read as written (``fields.LoggedName``): the policy applies at
the edge, not to history.
"""

import unicodedata

from marshmallow import ValidationError, fields, validate

REFUSED_CATEGORIES = frozenset({"Cc", "Cf", "Cs"})
# Full-width punctuation and signs, kept as written: everything of U+FF01..FF60 that is
# not a letter or a digit, and ￠￡￢￣￤￥￦.
CHINESE_PUNCTUATION = frozenset(
    [chr(c) for c in range(0xFF01, 0xFF61) if not chr(c).isalnum()]
    + [chr(c) for c in range(0xFFE0, 0xFFE7)])


class TextRefused(ValueError):
    """Text the policy does not take; the message says which character and why."""


def normalise_text(value: str, *, multiline: bool = False) -> str:
    """``value`` as the platform keeps it, or TextRefused."""
    text = _compatibility_form(value)
    if multiline:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    for character in text:
        if character == "\t" or (character == "\n" and multiline):
            continue  # a tab is collapsed as whitespace; a line break kept where text has lines
        if unicodedata.category(character) in REFUSED_CATEGORIES:
            raise TextRefused(_refusal(character, multiline))
    if multiline:
        lines = [" ".join(line.split()) for line in text.split("\n")]
        return "\n".join(lines).strip("\n")
    return " ".join(text.split())


def _compatibility_form(value: str) -> str:
    """NFKC of everything but Chinese punctuation (which combines with nothing, so the
    runs between its marks are normalised on their own)."""
    runs, run = [], []
    for character in value:
        if character in CHINESE_PUNCTUATION:
            runs += [unicodedata.normalize("NFKC", "".join(run)), character]
            run = []
        else:
            run.append(character)
    return "".join(runs) + unicodedata.normalize("NFKC", "".join(run))


def _refusal(character: str, multiline: bool) -> str:
    code = f"U+{ord(character):04X}"
    if unicodedata.category(character) == "Cs":
        return f"Contains {code}, a lone surrogate, which is not a character."
    name = unicodedata.name(character, "")
    shown = f"{code} {name}" if name else code
    if character in "\r\n" and not multiline:
        return f"Contains a line break ({code}); this field is one line."
    return f"Contains {shown}, an invisible or control character; text may not carry them."


def comparison_key(value: str) -> str:
    """What two names are compared by: NFKC, case-folded, without whitespace or the
    invisible characters a name logged before the policy may hold."""
    folded = unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", value).casefold())
    return "".join(c for c in folded
                   if not c.isspace() and unicodedata.category(c) not in REFUSED_CATEGORIES)


class Text(fields.String):
    """A string of a request under the text policy: normalised, refused with the
    reason when it carries what the policy does not take, then length-checked."""

    def __init__(self, *, max_length: int, blank: bool = True, multiline: bool = False,
                 **kwargs):
        validators = [validate.Length(max=max_length, error="At most {max} characters.")]
        if not blank:
            validators.append(_not_blank)
        super().__init__(validate=validators + _as_list(kwargs.pop("validate", None)), **kwargs)
        self.multiline = multiline

    def _deserialize(self, value, attr, data, **kwargs):
        text = super()._deserialize(value, attr, data, **kwargs)
        try:
            return normalise_text(text, multiline=self.multiline)
        except TextRefused as refused:
            raise ValidationError(str(refused)) from None


def Name(max_length: int = 100, **kwargs) -> Text:
    """A required, non-blank name on one line (of a base, a department, a person)."""
    kwargs.setdefault("required", True)
    return Text(max_length=max_length, blank=False, **kwargs)


def FreeText(max_length: int = 1000, *, multiline: bool = True, **kwargs) -> Text:
    """Optional text people write (a reason, a comment, a note), empty when absent."""
    if not kwargs.get("required"):
        kwargs.setdefault("load_default", "")
    return Text(max_length=max_length, multiline=multiline, **kwargs)


def _not_blank(value: str) -> None:
    if not value:
        raise ValidationError("Must not be blank.")


def _as_list(validators) -> list:
    if validators is None:
        return []
    return list(validators) if isinstance(validators, (list, tuple)) else [validators]
