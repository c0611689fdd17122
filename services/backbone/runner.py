"""Runs one service in this process (``sc run registry``). Call after monkey-patching."""

import gc
import importlib
import logging.config

log = logging.getLogger(__name__)
# The programme's services: they publish and consume its events, and answer its audits.
SERVICE_CLASSES = {
    "registry": "services.registry.service:RegistryService",
    "evaluation": "services.evaluation.service:EvaluationService",
    "funding": "services.funding.service:FundingService",
    "notifications": "services.notifications.service:NotificationsService",
}
# Every service a process can run: the programme's, and the console (工作台), which
# serves people through the others' APIs and takes no part in the event flow.
RUNNABLE = {**SERVICE_CLASSES, "console": "services.console.service:ConsoleService"}


def service_class(name: str):
    try:
        module_name, _, attribute = RUNNABLE[name].partition(":")
    except KeyError:
        raise SystemExit(f"unknown service {name!r}; known: {', '.join(RUNNABLE)}") from None
    return getattr(importlib.import_module(module_name), attribute)


def run_service(name: str, config: dict) -> None:
    """Runs the service until SIGTERM or Ctrl-C, like ``nameko run``, but stops it once,
    and only after it has started: a second stop, or one during start-up, left the
    process running for ever (Ctrl-C on ``make run`` sends both signals)."""
    from nameko.runners import ServiceRunner

    from services.backbone.messaging.broker import nameko_config

    nameko = nameko_config(config, name)
    settings = nameko["PLATFORM"]
    logging.config.dictConfig(nameko["LOGGING"])
    log.info(
        "starting %s (store: %s, broker: %s, http: %s)", name, settings.store.backend,
        settings.broker.url.rsplit("@", 1)[-1], nameko["WEB_SERVER_ADDRESS"])
    runner = ServiceRunner(nameko)
    runner.add_service(service_class(name))
    started = _stop_once_on_signal(runner)
    runner.start()
    started.send()
    log.info("%s ready at http://%s%s", name, nameko["WEB_SERVER_ADDRESS"], _consuming(name))
    _freeze_what_start_up_built()
    _wait_until_stopped(runner)


def _consuming(name: str) -> str:
    """What a person reading the start wants next to the address: whose events it follows."""
    from services.backbone.messaging.topology import SUBSCRIPTIONS

    sources = SUBSCRIPTIONS.get(name, ())
    return f" (follows the events of {', '.join(sources)})" if sources else ""


def _freeze_what_start_up_built() -> None:
    """Moves every object alive once the service has started (modules, the container)
    out of the cyclic collector's sight: they live as long as the process, and scanning
    them stalled every command in flight. One collection first, so that start-up's
    garbage is freed rather than frozen."""
    gc.collect()
    gc.freeze()


def _stop_once_on_signal(runner):
    """SIGTERM and SIGINT stop the runner: the first of them, once it has started (send
    the returned event then); any later one is ignored."""
    import signal

    import eventlet
    from eventlet.event import Event

    started, stopping = Event(), []

    def stop_once_started():
        started.wait()
        runner.stop()

    def on_signal(signum, frame):
        # a signal handler runs in the hub's loop and must not block: stop in a greenlet
        if not stopping:
            stopping.append(signum)
            eventlet.spawn_n(stop_once_started)

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    return started


def _wait_until_stopped(runner) -> None:
    import errno

    import eventlet

    waiting = eventlet.spawn(runner.wait)
    while True:
        try:
            return waiting.wait()
        except OSError as error:  # a signal interrupted the hub's wait: keep waiting
            if error.errno != errno.EINTR:
                raise
