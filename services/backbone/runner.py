"""Runs one service in this process (``sc run registry``). Call after monkey-patching."""

import importlib
import logging.config

SERVICE_CLASSES = {
    "registry": "services.registry.service:RegistryService",
    "evaluation": "services.evaluation.service:EvaluationService",
    "funding": "services.funding.service:FundingService",
    "notifications": "services.notifications.service:NotificationsService",
}


def service_class(name: str):
    try:
        module_name, _, attribute = SERVICE_CLASSES[name].partition(":")
    except KeyError:
        raise SystemExit(f"unknown service {name!r}; known: {', '.join(SERVICE_CLASSES)}") from None
    return getattr(importlib.import_module(module_name), attribute)


def run_service(name: str, config: dict) -> None:
    """Runs the service until SIGTERM or Ctrl-C, like ``nameko run``."""
    from nameko.cli.run import run

    from .broker import nameko_config

    settings = nameko_config(config, name)
    logging.config.dictConfig(settings["LOGGING"])
    logging.getLogger(__name__).info(
        "starting %s (store: %s, broker: %s, http: %s)", name, config["store"]["backend"],
        config["broker"]["url"].rsplit("@", 1)[-1], settings["WEB_SERVER_ADDRESS"])
    run([service_class(name)], settings)
