"""Runs one service in this process (``sc run registry``). Call after monkey-patching."""

import errno
import importlib
import logging.config
import signal

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
    """Runs the service until SIGTERM or Ctrl-C. Unlike ``nameko run``, a second signal
    while stopping does not start a second stop (which fails half-way and hangs): the
    first one stops gracefully, and the process exits when that is done."""
    import eventlet
    from nameko.runners import ServiceRunner

    from .broker import nameko_config

    settings = nameko_config(config, name)
    logging.config.dictConfig(settings["LOGGING"])
    log = logging.getLogger(__name__)
    log.info("starting %s (store: %s, broker: %s, http: %s)", name, config["store"]["backend"],
             config["broker"]["url"].rsplit("@", 1)[-1], settings["WEB_SERVER_ADDRESS"])
    runner = ServiceRunner(settings)
    runner.add_service(service_class(name))
    stopping = []

    def stop(signum, frame):
        if not stopping:  # signal handlers cannot block: stop in a green thread
            stopping.append(signum)
            eventlet.spawn_n(runner.stop)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    runner.start()
    waiting = eventlet.spawn(runner.wait)
    while True:
        try:
            waiting.wait()
            return
        except OSError as error:  # a signal interrupted the wait: keep waiting
            if error.errno != errno.EINTR:
                raise
