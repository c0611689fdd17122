"""The declared access rules of every entrypoint, read off the service classes."""

import inspect
import re

from nameko.extensions import ENTRYPOINT_EXTENSIONS_ATTR

from services.backbone.web.entrypoints import AuthorizedRpc, JsonHttp
from services.backbone.runner import SERVICE_CLASSES, service_class
from services.contracts.vocabulary import ROLES


def _allowed(entrypoint) -> list[str] | str:
    if getattr(entrypoint, "public", False):
        return "public"
    if entrypoint.roles is None:
        return "any"
    return sorted(entrypoint.roles)


def declared_matrix() -> dict:
    """{service: {"http": {"METHOD /path": roles}, "rpc": {method: roles}}}"""
    matrix = {}
    for name in SERVICE_CLASSES:
        http, rpc = {}, {}
        for method_name, method in inspect.getmembers(service_class(name)):
            for entrypoint in getattr(method, ENTRYPOINT_EXTENSIONS_ATTR, ()):
                if isinstance(entrypoint, JsonHttp):
                    http[f"{entrypoint.method} {entrypoint.url}"] = _allowed(entrypoint)
                elif isinstance(entrypoint, AuthorizedRpc):
                    rpc[method_name] = _allowed(entrypoint)
        matrix[name] = {"http": dict(sorted(http.items())), "rpc": dict(sorted(rpc.items()))}
    return matrix


def concrete_path(url: str, ids: dict | None = None) -> str:
    """A request path for a route pattern: the ids of real resources where ``ids`` has
    them (by parameter name), placeholder values elsewhere."""
    ids = ids or {}
    path = re.sub(r"<uuid:([^>]+)>", lambda m: str(ids.get(m.group(1), "7f0d4c1e-2b3a-4c5d-8e9f-0a1b2c3d4e5f")), url)
    path = re.sub(r"<int:[^>]+>", "1", path)
    return re.sub(r"<[^>]+>", "x", path)


def expected_outcome(allowed, role: str | None) -> str:
    """"open" (passes authorisation), "401" or "403"."""
    if allowed == "public":
        return "open"
    if role is None:
        return "401"
    if allowed == "any" or role in allowed:
        return "open"
    return "403"


ALL_ROLES = sorted(ROLES)
