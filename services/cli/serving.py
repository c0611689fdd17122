"""Commands that run the platform (one service, all of them, the demo) and issue what it
needs (tokens, docs/events.md)."""

import signal
import subprocess
import sys
import time
import warnings
from datetime import timedelta
from uuid import UUID

from .common import platform_config


def cmd_run(args) -> int:
    warnings.filterwarnings("ignore", message=r"\s*Eventlet is deprecated")
    import eventlet

    eventlet.monkey_patch()
    from services.backbone.runner import run_service

    run_service(args.service, platform_config())
    return 0


def cmd_run_all(args) -> int:
    """Starts each service as its own process and stops them all on Ctrl-C / SIGTERM;
    if one exits, the others are stopped too and its exit status is returned."""
    from services.backbone.runner import SERVICE_CLASSES

    from services.backbone.messaging.provisioning import initialise_broker

    config = platform_config()
    initialise_broker(config, SERVICE_CLASSES)  # topology and service users, idempotent
    for name in SERVICE_CLASSES:
        print(f"  {name:<14} http://{config.services.host}:{config.services.port(name)}")
    # Each child in its own session: Ctrl-C reaches this supervisor only, which stops
    # every service once (a service signalled twice would start stopping twice).
    children = {
        name: subprocess.Popen([sys.executable, "-m", "services.cli", "run", name],
                               start_new_session=True)
        for name in SERVICE_CLASSES
    }
    stopping = 0.0

    def stop(*_):
        nonlocal stopping
        if stopping:
            return
        stopping = time.monotonic()
        for child in children.values():
            if child.poll() is None:
                child.send_signal(signal.SIGTERM)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    status = 0
    while children:
        if stopping and time.monotonic() - stopping > 60:  # a service that will not stop
            for child in children.values():
                child.kill()
        for name, child in list(children.items()):
            code = child.poll()
            if code is not None:
                del children[name]
                if not stopping:
                    print(f"{name} exited with status {code}; stopping the others", file=sys.stderr)
                    status = code or 1
                    stop()
        time.sleep(0.2)
    return status


def cmd_token(args) -> int:
    from services.backbone.web.tokens import issue_token

    config = platform_config()
    region = tuple(args.region.split("/", 1)) if args.region else None
    if region is not None and len(region) != 2:
        raise SystemExit("--region is CITY/COUNTY, e.g. 吕梁市/孝义市")
    token = issue_token(
        config.auth.secret, role=args.role, name=args.name or "",
        actor_id=UUID(args.actor_id) if args.actor_id else None, region=region,
        org=args.org, base_ids=[UUID(b) for b in args.base or []],
        ttl=timedelta(hours=args.ttl_hours or config.auth.token_ttl_hours),
    )
    print(token)
    return 0


def cmd_docs_events(args) -> int:
    from services import contracts
    from services.contracts.docs import render

    assert contracts.CATALOG
    print(render(), end="")
    return 0


def cmd_demo(args) -> int:
    """The demo starts its own services, vhost and stores: no config needed."""
    from services.demo.main import run

    return run(args)
