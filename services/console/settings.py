"""Where the console finds the services it calls (``console.api``, else ``services:``)."""

from services.backbone.settings import Settings

API_SERVICES = ("registry", "evaluation", "funding", "notifications")


def api_urls(settings: Settings) -> dict[str, str]:
    """Each service's base URL as the console calls it: ``console.api.<service>``, or
    where empty (a local run, the tests) the service's own address in ``services:``."""
    host = settings.services.host
    host = "127.0.0.1" if host in ("0.0.0.0", "") else host
    return {name: (settings.console.api.get(name) or f"http://{host}:{settings.services.port(name)}").rstrip("/")
            for name in API_SERVICES}
