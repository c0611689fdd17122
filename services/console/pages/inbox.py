"""通知: the person's inbox from the notifications service, unread count, mark read."""

from uuid import UUID

from ..web import Page, Redirect, visit_of

PAGE_SIZE = 20


def inbox(request) -> Page:
    visit = visit_of(request)
    unread_only = request.args.get("unread") == "true"
    offset = _number(request.args.get("offset"))
    answer = visit.api.get("notifications", "/inbox", unread="true" if unread_only else None,
                           limit=PAGE_SIZE, offset=offset)
    return Page("inbox.html", {"items": answer["items"], "unread": answer["unread"],
                               "total": answer["total"], "offset": offset, "limit": PAGE_SIZE,
                               "unread_only": unread_only})


def unread_badge(request) -> Page:
    """The unread count alone, for the navigation to refresh (htmx)."""
    answer = visit_of(request).api.get("notifications", "/inbox/unread-count")
    return Page("fragments/unread.html", {"unread": answer["unread"]})


def mark_read(request, delivery_id: UUID) -> Redirect | Page:
    visit = visit_of(request)
    visit.api.post("notifications", f"/inbox/{delivery_id}/read", form=request.form)
    if request.headers.get("HX-Request"):
        return Page("fragments/read.html", {})
    return Redirect(request.form.get("back") or "/inbox")


def _number(text) -> int:
    return int(text) if str(text or "").isdigit() else 0
