"""基地 detail: a base's profile, status and the reason, batch and scores, plan and its
approvals, funding, and the timeline of everything that happened to it across the
services (who, when, what, why); with ``as_of`` a past day, its status and timeline as
they stood at the end of that day (the registry's as-of query).

The registry's answer decides whether the page opens at all (its 403 is the console's
403 page); the evaluation and funding panels show what those services answer the
person, or say that the person may not see them."""

from datetime import date, datetime, time, timedelta
from uuid import UUID

from services.contracts.vocabulary import EVENT_NAMES

from ..api import ApiError
from ..rendering import BEIJING
from ..web import Page, visit_of
from .panels import Panel, read, refusal_text



def base_detail(request, base_id: UUID) -> Page:
    api = visit_of(request).api
    base = api.get("registry", f"/bases/{base_id}")  # the rule: may this person see it
    as_of, as_of_error = _day(request.args.get("as_of", ""))
    batches = {b["batch_id"]: b for b in api.get("registry", "/batches")["batches"]}
    evaluation = read(lambda: api.get("evaluation", f"/bases/{base_id}"))
    funding = read(lambda: api.get("funding", f"/bases/{base_id}/funding"))
    past = status_as_of(api, base_id, as_of) if as_of else Panel()
    timeline = timeline_of(api, base_id, evaluation, funding)
    if as_of:
        timeline.data["entries"] = [e for e in timeline.data.get("entries", [])
                                    if datetime.fromisoformat(e["at"]) <= as_of]
    return Page("bases/detail.html", {
        "base": base, "batch": batches.get(base["batch_id"], {}), "evaluation": evaluation,
        "funding": funding, "timeline": timeline, "as_of": as_of, "past": past,
        "as_of_text": request.args.get("as_of", ""), "as_of_error": as_of_error,
        "reason": (base["adjustments"] or [{}])[-1]})


def status_as_of(api, base_id: UUID, as_of: datetime) -> Panel:
    """The registry's status of record at the end of that day, or that there was none."""
    try:
        return Panel(api.get("registry", "/bases/status", as_of=as_of.isoformat(),
                             base_id=str(base_id))["bases"][0])
    except ApiError as error:
        if error.status == 404:  # the registry's answer for a base not yet declared then
            return Panel({"status": None})
        return Panel(error=f"暂时无法从“{error.service_word}”取得数据：{error.message}")


def _day(text: str) -> tuple[datetime | None, str]:
    """The end of a Beijing day (``2018-07-01``) as an aware moment, or why not."""
    if not text:
        return None, ""
    try:
        day = date.fromisoformat(text)
    except ValueError:
        return None, "请按“2018-07-01”的格式填写日期。"
    return datetime.combine(day + timedelta(days=1), time(), BEIJING) - timedelta(microseconds=1), ""


def timeline_of(api, base_id: UUID, evaluation: Panel, funding: Panel) -> Panel:
    """What happened to the base, oldest first, from each service as it shows it to the
    person: the registry's history of the base (declaration, decisions recorded with
    their reasons, plan, approvals, filing), evaluation's metric reports, funding's
    allocations and payments. Each reads the base's own events only (the platform audit
    would read every service's whole log: seconds at 1,000 bases, bench/console.py)."""
    try:
        registry = api.get("registry", f"/bases/{base_id}/history")["history"]
    except ApiError as error:
        return Panel(error=refusal_text(error))
    entries = [{**e, "service": "registry", "event": f"Base.{e['event']}"} for e in registry]
    entries += [{"service": "evaluation", "event": "Base.MetricsReported", "at": revision["reported_at"],
                 "actor": {"role": "applicant"}, "data": {"reason": revision.get("note") or ""}}
                for report in evaluation.data.get("metrics", []) for revision in report["revisions"]]
    entries += [{**e, "service": "funding", "event": _qualified(e["event"])}
                for e in funding.data.get("history", []) if _qualified(e["event"]) not in BOOKKEEPING]
    missing = [f"“{panel.service_word}”" for panel in (evaluation, funding) if panel.error]
    return Panel({"entries": sorted((_entry(e) for e in entries), key=lambda e: e["at"]),
                  "note": f"时间线不含{'、'.join(missing)}的记录（见上）。" if missing else ""})


# Funding's copies of the registry's facts (which the timeline shows from the registry).
BOOKKEEPING = {"BaseStanding.Recorded", "BaseStanding.Declared", "BaseStanding.PlanFiled",
               "BaseStanding.StatusRecorded", "BaseStanding.StaleStatusIgnored"}


def _qualified(event: str) -> str:
    """Funding's history names events without their aggregate; the audit with it."""
    for service, name in EVENT_NAMES:
        if service == "funding" and name.endswith(f".{event}"):
            return name
    return event


def _entry(entry: dict) -> dict:
    data = entry.get("data") or {}
    why = entry.get("reason") or data.get("reason") or ""
    if why.isascii():  # a code some events carry as their reason ("cancelled"), not a person's words
        why = ""
    return {"at": entry["at"], "service": entry.get("service", ""),
            "what": EVENT_NAMES.get((entry.get("service"), entry["event"]), entry["event"]),
            "who": entry.get("actor") or {}, "why": why, "detail": _detail(entry["event"], data)}


def _detail(event: str, data: dict) -> dict:
    """The one fact of an event a person wants beside its name: a status, an amount,
    a plan's version."""
    if data.get("to_status"):
        return {"status": data["to_status"]}
    if data.get("amount"):
        return {"amount": data["amount"]}
    if "version" in data and "Plan" in event:
        return {"text": f"第 {data['version']} 版"}
    return {}
