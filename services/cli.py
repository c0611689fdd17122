"""The platform's command line: ``sc <command>`` (installed by pyproject), or
``python -m services.cli <command>``.

    sc run registry            run one service in the foreground
    sc run-all                 run every service, one process each (make run)
    sc token --role drc ...    issue a bearer token signed with the configured secret
    sc docs-events             print docs/events.md from the contracts
"""

import argparse
import os
import signal
import subprocess
import sys
import time
import warnings
from datetime import timedelta
from uuid import UUID


def _config():
    from services.backbone.config import load_config

    return load_config()


def cmd_run(args) -> int:
    warnings.filterwarnings("ignore", message=r"\s*Eventlet is deprecated")
    import eventlet

    eventlet.monkey_patch()
    from services.backbone.runner import run_service

    run_service(args.service, _config())
    return 0


def cmd_run_all(args) -> int:
    """Starts each service as its own process and stops them all on Ctrl-C / SIGTERM;
    if one exits, the others are stopped too and its exit status is returned."""
    from services.backbone.runner import SERVICE_CLASSES

    config = _config()
    for name in SERVICE_CLASSES:
        port = config["services"][name]["http_port"]
        print(f"  {name:<14} http://{config['services']['host']}:{port}")
    children = {
        name: subprocess.Popen([sys.executable, "-m", "services.cli", "run", name])
        for name in SERVICE_CLASSES
    }
    stopping = False

    def stop(*_):
        nonlocal stopping
        stopping = True
        for child in children.values():
            if child.poll() is None:
                child.send_signal(signal.SIGTERM)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    status = 0
    while children:
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
    from services.backbone.auth import issue_token

    config = _config()
    region = tuple(args.region.split("/", 1)) if args.region else None
    if region is not None and len(region) != 2:
        raise SystemExit("--region is CITY/COUNTY, e.g. 吕梁市/孝义市")
    token = issue_token(
        config["auth"]["secret"], role=args.role, name=args.name or "",
        actor_id=UUID(args.actor_id) if args.actor_id else None, region=region,
        org=args.org, base_ids=[UUID(b) for b in args.base or []],
        ttl=timedelta(hours=args.ttl_hours or config["auth"]["token_ttl_hours"]),
    )
    print(token)
    return 0


def cmd_docs_events(args) -> int:
    from services import contracts
    from services.contracts.docs import render

    assert contracts.CATALOG
    print(render(), end="")
    return 0


def parser() -> argparse.ArgumentParser:
    from services.contracts.vocabulary import ROLES

    top = argparse.ArgumentParser(prog="sc", description="双创示范基地 platform")
    commands = top.add_subparsers(dest="command", required=True)

    run = commands.add_parser("run", help="run one service in the foreground")
    run.add_argument("service")
    run.set_defaults(fn=cmd_run)

    run_all = commands.add_parser("run-all", help="run every service, one process each")
    run_all.set_defaults(fn=cmd_run_all)

    token = commands.add_parser("token", help="issue a bearer token")
    token.add_argument("--role", required=True, choices=sorted(ROLES))
    token.add_argument("--name", help="display name of the actor")
    token.add_argument("--actor-id", help="UUID of the actor (default: a new one)")
    token.add_argument("--region", help="CITY/COUNTY, for county governments")
    token.add_argument("--org", help="department name, for competent departments")
    token.add_argument("--base", action="append", help="base UUID an applicant answers for")
    token.add_argument("--ttl-hours", type=int)
    token.set_defaults(fn=cmd_token)

    docs = commands.add_parser("docs-events", help="print docs/events.md from the contracts")
    docs.set_defaults(fn=cmd_docs_events)
    return top


def main(argv=None) -> int:
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    args = parser().parse_args(argv)
    return args.fn(args)


if __name__ == "__main__":
    sys.exit(main())
