"""Times as a person in Shanxi reads them: Beijing time, with the zone shown. The
services record and answer UTC (programs read that, and ``--json`` and ``--csv`` keep
it); a table for people shows ``2026-12-08 09:30:00 +08:00``, so that nobody has to add
eight hours in their head or wonder which zone a bare time is in."""

from datetime import datetime, timedelta, timezone

BEIJING = timezone(timedelta(hours=8), "北京时间")


def beijing(moment: datetime | str | None) -> str:
    """``moment`` (a datetime, or ISO text as the services answer it) in Beijing time to
    the second, with its offset; empty for none. A time without a zone is refused: it
    could be either, and showing it as one would be a guess."""
    if moment is None or moment == "":
        return ""
    if isinstance(moment, str):
        moment = datetime.fromisoformat(moment)
    if moment.tzinfo is None:
        raise ValueError(f"a time without a zone cannot be shown in Beijing time: {moment}")
    return moment.astimezone(BEIJING).strftime("%Y-%m-%d %H:%M:%S") + " +08:00"
