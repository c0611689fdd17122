"""Commands that run the platform (one service, all of them, the demo) and issue what it
needs (tokens, docs/events.md)."""

import signal
import subprocess
import sys
import time
from datetime import timedelta
from uuid import UUID

from . import token_scope
from .common import cli_signer, ops_rpc, platform_config

CONSOLE_HELP = """
The console (工作台): {url}
  first time: make the first administrator in another terminal, then sign in with the
  one-time password it prints (and choose your own):
    .venv/bin/sc users add --username admin --name 管理员 --organisation 省发展改革委
"""


def cmd_run(args) -> int:
    import eventlet

    eventlet.monkey_patch()
    from services.backbone.runner import run_service

    run_service(args.service, platform_config())
    return 0


def cmd_run_all(args) -> int:
    """Starts each service as its own process and stops them all on Ctrl-C / SIGTERM;
    if one exits, the others are stopped too and its exit status is returned."""
    from services.backbone.runner import RUNNABLE

    from services.backbone.messaging.provisioning import initialise_broker

    config = platform_config()
    initialise_broker(config, RUNNABLE)  # topology and service users, idempotent
    for name in RUNNABLE:
        print(f"  {name:<14} http://{config.services.host}:{config.services.port(name)}")
    print(CONSOLE_HELP.format(url=f"http://{config.services.host}:{config.services.port('console')}"))
    # Each child in its own session: Ctrl-C reaches this supervisor only, which stops
    # every service once (a service signalled twice would start stopping twice).
    children = {
        name: subprocess.Popen([sys.executable, "-m", "services.cli", "run", name],
                               start_new_session=True)
        for name in RUNNABLE
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
    """Issues a token signed with sc's own key (issuer ``cli``), for at most
    ``auth.max_token_ttl_hours``; or, with ``revoke``, has every service refuse one."""
    from services.backbone.web.tokens import issue_token

    config = platform_config()
    if args.action == "revoke":
        return _revoke(config, args)
    if not args.role:
        raise SystemExit("sc token: --role is required (e.g. --role drc); sc token --help lists the scopes")
    try:
        region = token_scope.region_of(args.region)
        token_scope.check(args.role, region=region, org=args.org,
                          evaluator_id=args.evaluator_id or args.actor_id)
        actor_id = token_scope.actor_id_of(args.role, args.actor_id, args.evaluator_id)
    except token_scope.ScopeMissing as missing:
        raise SystemExit(f"sc token: {missing}") from None
    hours = args.ttl_hours or config.auth.token_ttl_hours
    if hours > config.auth.max_token_ttl_hours:
        raise SystemExit(f"--ttl-hours: at most {config.auth.max_token_ttl_hours:g} (auth.max_token_ttl_hours)")
    token = issue_token(
        cli_signer(config), role=args.role, name=args.name or "", actor_id=actor_id, region=region,
        org=args.org, base_ids=[UUID(b) for b in args.base_id or []],
        ttl=timedelta(hours=hours),
    )
    print(token)
    return 0


def _revoke(config, args) -> int:
    """Records the revocation in the registry's log, which every service follows."""
    from services.backbone.web.tokens import token_id

    if not args.token or not args.reason:
        raise SystemExit("sc token revoke TOKEN --reason WHY")
    try:
        jti, expires_at = token_id(args.token)
    except ValueError as error:
        raise SystemExit(f"sc token revoke: {error}") from None
    result = ops_rpc(config, "registry", "revoke_token", args.actor, jti=str(jti),
                     expires_at=expires_at.isoformat(), reason=args.reason)
    print(f"token {jti} revoked ({'recorded' if result['recorded'] else 'already revoked'}); "
          "every service refuses it within seconds")
    return 0


def cmd_docs_events(args) -> int:
    from services import contracts
    from services.contracts.docs import render

    assert contracts.CATALOG
    print(render(), end="")
    return 0


def cmd_docs_asyncapi(args) -> int:
    from services import contracts
    from services.contracts.asyncapi import render

    assert contracts.CATALOG
    print(render(), end="")
    return 0


def cmd_demo(args) -> int:
    """The demo starts its own services, vhost and stores: no config needed."""
    from services.demo.main import run

    return run(args)
