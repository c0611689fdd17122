"""运维: the platform's queues, each service's status, and dead letters (show, replay,
discard), read from the services' ops APIs as the ops person; the panels refresh
themselves (htmx polling)."""

from ..api import ApiError
from ..web import Page, Redirect, visit_of

SERVICES = ("registry", "evaluation", "funding", "notifications")
REFRESH_SECONDS = 5


def ops_page(request) -> Page:
    return Page("ops.html", {"refresh": REFRESH_SECONDS, **_queues(request), **_statuses(request),
                             **_dead_letters(request), "done": request.args.get("done", "")})


def queues_panel(request) -> Page:
    return Page("fragments/ops_queues.html", {"refresh": REFRESH_SECONDS, **_queues(request)})


def status_panel(request) -> Page:
    return Page("fragments/ops_status.html", {"refresh": REFRESH_SECONDS, **_statuses(request)})


def dead_letters_panel(request) -> Page:
    return Page("fragments/ops_dead_letters.html", {"refresh": REFRESH_SECONDS, **_dead_letters(request)})


def act_on_dead_letter(request, action: str) -> Page | Redirect:
    """Replays or discards one dead letter at its service (audited there, with the reason)."""
    form = request.form
    service = form.get("service", "")
    if service not in SERVICES or action not in ("replay", "discard"):
        return Redirect("/ops")
    body = {"queue": form.get("queue", ""), "message_id": form.get("message_id", ""),
            "reason": form.get("reason", "")}
    try:
        visit_of(request).api.post(service, f"/ops/dead-letters/{action}", body, form=form)
    except ApiError as error:
        return Page("ops.html", {"refresh": REFRESH_SECONDS, **_queues(request), **_statuses(request),
                                 **_dead_letters(request), "done": "", "action_error": error.message},
                    status=error.status or 502)
    return Redirect(f"/ops?done={action}")


def _queues(request) -> dict:
    try:
        report = visit_of(request).api.get("registry", "/ops/queues")
        return {"queues": report["queues"], "alerts": report["alerts"], "queues_error": ""}
    except ApiError as error:
        return {"queues": [], "alerts": [], "queues_error": f"{error.service_word}：{error.message}"}


def _statuses(request) -> dict:
    statuses = {}
    for service in SERVICES:
        try:
            statuses[service] = visit_of(request).api.get(service, "/ops/status")
        except ApiError as error:
            statuses[service] = {"error": error.message or error.code}
    return {"statuses": statuses}


def _dead_letters(request) -> dict:
    letters, errors = [], []
    for service in SERVICES:
        try:
            for letter in visit_of(request).api.get(service, "/ops/dead-letters")["dead_letters"]:
                letters.append({**letter, "service": service})
        except ApiError as error:
            errors.append(f"{error.service_word}：{error.message}")
    return {"dead_letters": letters, "dead_letter_errors": errors}
