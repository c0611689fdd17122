"""The platform's command line: ``sc <command>`` (installed by pyproject), or
``python -m services.cli <command>``.

    sc run registry            run one service in the foreground
    sc run-all                 run every service, one process each (make run)
    sc token --role drc ...    issue a bearer token signed with the configured secret
    sc queues [--json]         queue depths, dead letters, relay and consumer lags
    sc dlq list|show|replay|discard --service S ...   dead letters, each action audited
    sc dlq replay --service S --all   every dead letter back into its queue, with progress
    sc audit --base ID [--csv] who did what, when, why, across all services
    sc status --as-of D        every base's status of record as it stood at D
    sc recompute --policy P    which bases the whole history puts elsewhere under P
    sc verify registry         walk a service's hash-chained log, name a broken link
                               (--anchors FILE: also against links recorded earlier)
    sc rebuild registry        fold its read models again from position 0 (--compare)
    sc docs-events             print docs/events.md from the contracts
    sc demo [--json] [--keep]  replay the 2017 programme on fresh services (make demo)
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


def _ops_cluster(config, actor: str):
    """An RPC proxy calling as an ops actor (the token signed with the secret)."""
    from nameko.standalone.rpc import ClusterRpcProxy

    from services.backbone.auth import issue_token
    from services.backbone.broker import nameko_config
    from services.backbone.context import stable_id

    token = issue_token(config["auth"]["secret"], role="ops", name=actor,
                        actor_id=stable_id("ops-person", actor))
    return ClusterRpcProxy(nameko_config(config), timeout=30,
                           context_data={"authorization": f"Bearer {token}"})


def _ops_rpc(config, service: str, method: str, actor: str, **kwargs):
    """Calls one ops RPC of a service as an ops actor."""
    with _ops_cluster(config, actor) as cluster:
        return getattr(getattr(cluster, service), method)(**kwargs)


def cmd_queues(args) -> int:
    """Queue health; exits 1 when a threshold is crossed, 2 when the broker cannot be
    asked (down, or refusing our login: either way no figure can be trusted, and a
    monitor must not take it for a crossed threshold)."""
    import json

    from amqp.exceptions import AMQPError
    from kombu.exceptions import KombuError

    from services.backbone import console, monitor

    config = _config()
    try:
        report = monitor.platform_report(config, include_services=not args.no_services)
    except (OSError, AMQPError, KombuError) as error:
        print(f"cannot reach the broker: {type(error).__name__}: {error}", file=sys.stderr)
        return 2
    if args.json:
        print(json.dumps(report, ensure_ascii=False, indent=2, default=str))
    else:
        print(f"queues (figures from {report['figures_from']}):")
        print(console.table(report["queues"], ["name", "messages", "ready", "unacked",
                                               "consumers", "publish_rate", "deliver_rate"]))
        rows = []
        for service, status in report["services"].items():
            if "error" in status:
                rows.append({"service": service, "relay": status["error"]})
                continue
            lags = ", ".join(f"{src} {c['lag']}" for src, c in status["consumers"].items())
            relay = status["relay"]
            state = "stopped" if not relay["running"] else (
                f"failing {relay['failing_seconds']:.0f}s" if relay.get("last_error") else "running")
            rows.append({"service": service, "head": status["head"], "relay": state,
                         "relay lag": relay["lag"], "consumer lag": lags})
        if rows:
            print("\nservices:")
            print(console.table(rows, ["service", "head", "relay", "relay lag", "consumer lag"]))
        print("\nalerts:" if report["alerts"] else "\nno alerts")
        for alert in report["alerts"]:
            print(f"  ! {alert}")
    return 1 if report["alerts"] else 0


def cmd_dlq(args) -> int:
    import json

    from services.backbone import console

    config = _config()
    if args.action == "list":
        letters = _ops_rpc(config, args.service, "dead_letters", args.actor)
        if args.json:
            print(json.dumps(letters, ensure_ascii=False, indent=2))
        else:
            print(console.table(letters, ["queue", "message_id", "attempts", "dead_lettered_at", "error"]))
        return 0
    if args.action == "show":
        letters = _ops_rpc(config, args.service, "dead_letters", args.actor)
        match = [l for l in letters if l["message_id"] == args.message_id]
        if not match:
            print(f"no dead letter {args.message_id}", file=sys.stderr)
            return 1
        print(json.dumps(match[0], ensure_ascii=False, indent=2))
        return 0
    if args.all:
        return _replay_all(config, args)
    if not (args.queue and args.message_id):
        print(f"dlq {args.action} needs --queue and --message-id (or, to replay, --all)",
              file=sys.stderr)
        return 2
    method = "replay_dead_letter" if args.action == "replay" else "discard_dead_letter"
    result = _ops_rpc(config, args.service, method, args.actor, queue=args.queue,
                      message_id=args.message_id, reason=args.reason or "")
    if args.json:
        print(json.dumps(result, ensure_ascii=False, indent=2))
    else:
        print(f"{result['action']}: {result['message_id']} ({result['queue']})")
    return 0


def _replay_all(config, args) -> int:
    """Replays every dead letter of a service (of one queue, with --queue), each one
    the audited action ``replay`` does, with progress; the ones that could not be
    replayed are named and the exit status is 1."""
    import json

    from services.backbone.console import Progress

    if args.action != "replay" or args.message_id:
        print("--all replays every dead letter: use it with replay and without --message-id",
              file=sys.stderr)
        return 2
    with _ops_cluster(config, args.actor) as cluster:
        service = getattr(cluster, args.service)
        letters = [letter for letter in service.dead_letters()
                   if args.queue in (None, letter["queue"])]
        failed = []
        with Progress(f"replaying the dead letters of {args.service}", len(letters)) as progress:
            for letter in letters:
                try:
                    service.replay_dead_letter(queue=letter["queue"], message_id=letter["message_id"],
                                               reason=args.reason or "")
                except Exception as error:  # name it and go on with the others
                    failed.append({"message_id": letter["message_id"], "queue": letter["queue"],
                                   "error": str(error)})
                progress.advance()
    if args.json:
        print(json.dumps({"service": args.service, "dead_letters": len(letters),
                          "replayed": len(letters) - len(failed), "not_replayed": failed},
                         ensure_ascii=False, indent=2))
        return 1 if failed else 0
    for item in failed:
        print(f"not replayed: {item['message_id']} ({item['queue']}): {item['error']}", file=sys.stderr)
    print(f"replayed {len(letters) - len(failed)} of {len(letters)} dead letters of {args.service}")
    return 1 if failed else 0


def cmd_demo(args) -> int:
    """The demo starts its own services, vhost and stores: no config needed."""
    from services.demo.main import run

    return run(args)


def cmd_broker_definitions(args) -> int:
    import json

    from services.backbone.topology import definitions

    config = _config()
    document = definitions(config["broker"]["namespace"], config["consumer"]["delivery_limit"])
    print(json.dumps(document, ensure_ascii=False, indent=2))
    return 0


def cmd_broker_init(args) -> int:
    """Imports the broker definitions through the management API (idempotent), so that
    exchanges, queues and policies exist before any service starts. They are built from
    the topology with the running config (namespace, delivery limit, the broker URL's
    vhost): an installed package (the image) has no checkout to read
    infra/rabbitmq/definitions.json from, and that file holds the defaults only."""
    import requests

    from services.backbone.broker import management_api
    from services.backbone.topology import definitions

    config = _config()
    api = management_api(config)
    document = definitions(config["broker"]["namespace"], config["consumer"]["delivery_limit"],
                           vhost=api.vhost)
    document.pop("vhosts")  # imported into the vhost of the URL, which exists
    for attempt in range(30):
        try:
            response = requests.post(api.url("definitions/{vhost}"), json=document,
                                     timeout=10, auth=api.auth)
            if response.status_code in (401, 403):  # waiting will not change the answer
                print(f"the management API refused {api.auth[0]!r}: {response.text} (importing "
                      "definitions needs an administrator)", file=sys.stderr)
                return 1
            response.raise_for_status()
            print(f"broker definitions imported into vhost {api.vhost}")
            return 0
        except requests.RequestException as error:
            print(f"waiting for the management API ({error})", file=sys.stderr)
            time.sleep(2)
    return 1


def _open_app(config, service: str):
    """The service's application on its store, for tools that read the log directly."""
    from services.backbone.runner import service_class
    from services.backbone.store import store_env
    from services.backbone.dependencies import EventStore

    store = next(v for v in vars(service_class(service)).values() if isinstance(v, EventStore))
    return store.application_class(env=store_env(config, service))


def cmd_verify(args) -> int:
    """Walks a service's hash-chained log, and checks its snapshots against its events;
    exit 1 and the position (or the snapshot) if something was changed. With --anchors
    FILE: also checks the links recorded in FILE by earlier runs, and records this run's
    head there when all is intact (keep FILE off the database's machine: whoever can
    rewrite the log must not be able to rewrite the anchors). Without it, a log whose
    tail was removed, or that was rewritten links and all, verifies intact: it says so."""
    import json

    from services.backbone.chain import append_anchor, read_anchors, verify
    from services.backbone.console import Progress

    anchors = read_anchors(args.anchors, args.service) if args.anchors else []
    app = _open_app(_config(), args.service)
    with Progress(f"verifying {args.service}", app.head()) as progress:
        result = verify(app, progress, anchors)
    anchored = bool(args.anchors) and append_anchor(args.anchors, args.service, result)
    if args.json:
        print(json.dumps({**result.as_dict(), "anchored": anchored}, indent=2))
    elif result.ok:
        print(f"{args.service}: {result.checked} records, chain intact (head {result.head_hash})"
              + (f"; {result.snapshots_checked} snapshot(s) match their events" if result.snapshots_checked else "")
              + (f"; {result.anchors_checked} of {len(anchors)} anchor(s) matched" if args.anchors else "")
              + (f"; head #{result.head_position} anchored in {args.anchors}" if anchored else ""))
    else:
        if result.first_broken_position is not None:
            print(f"{args.service}: BROKEN at position {result.first_broken_position}: {result.problem} "
                  f"({result.broken_links} broken link(s) in {result.checked} records)")
        if result.first_bad_snapshot is not None:
            bad = result.first_bad_snapshot
            print(f"{args.service}: SNAPSHOT of {bad['aggregate_id']} at version {bad['version']} is not "
                  f"what its events give: {bad['problem']} ({result.bad_snapshots} of "
                  f"{result.snapshots_checked} snapshot(s)); the log itself "
                  + ("is broken too" if result.first_broken_position is not None else "is intact"))
    if not args.anchors:
        print("note: without --anchors, records removed from the end of the log (links and all) "
              "or a log rewritten links and all verify intact; keep anchors (--anchors FILE, "
              "off the database's machine)", file=sys.stderr)
    return 0 if result.ok else 1


def cmd_rebuild(args) -> int:
    """Folds every read model of a service from position 0 and reports what it built;
    with --compare, checks the result against the running service's live views."""
    from services.backbone.console import Progress

    config = _config()
    app = _open_app(config, args.service)
    with Progress(f"rebuilding {args.service}", app.head()) as progress:
        app.views.rebuild(progress)
    rebuilt = app.views.digest()
    for name, digest in rebuilt["views"].items():
        print(f"  {name:<24} {digest[:16]}")
    if not args.compare:
        return 0
    live = _ops_rpc(config, args.service, "views_digest", "rebuild")
    if live["position"] != rebuilt["position"]:
        print(f"the log moved on while rebuilding ({rebuilt['position']} vs {live['position']}); run again")
        return 2
    same = live["views"] == rebuilt["views"]
    print("identical to the live read models" if same else "DIFFERENT from the live read models")
    return 0 if same else 1


def cmd_audit(args) -> int:
    """Who did what, when, why — across all services; table, --json or --csv. Every
    entry that matches, asked a page (--limit) at a time, with progress on stderr."""
    import json

    from marshmallow import ValidationError

    from services.backbone import console
    from services.backbone.audit import PlatformAuditQuery, collect_all_audit, to_csv

    filters = {k: v for k, v in {"base_id": args.base, "actor_id": args.actor, "role": args.role,
                                 "event_type": args.type, "since": args.since,
                                 "until": args.until}.items() if v is not None}
    try:
        page = PlatformAuditQuery().load({**filters, **({"limit": args.limit} if args.limit else {})})["limit"]
    except ValidationError as error:
        print(f"not a valid audit query: {error.messages}", file=sys.stderr)
        return 2
    with console.Progress("audit entries") as progress:
        report = collect_all_audit(_config(), filters, page, progress=progress)
    if args.csv:
        sys.stdout.write(to_csv(report["entries"]))
    elif args.json:
        print(json.dumps(report, ensure_ascii=False, indent=2))
    else:
        rows = [{"at": e["at"][:19], "service": e["service"], "event": e["event"],
                 "who": f"{e['actor']['name']} ({e['actor']['role']})",
                 "base": (e.get("base_id") or "")[:8], "reason": (e.get("reason") or "")[:40]}
                for e in report["entries"]]
        print(console.table(rows, ["at", "service", "event", "who", "base", "reason"]))
    if not report["complete"]:
        print("INCOMPLETE, not answering: " + ", ".join(report["missing"]), file=sys.stderr)
        return 1
    return 0


def cmd_status(args) -> int:
    """Statuses of record as they stood at a moment (the registry's history, folded)."""
    import json
    from datetime import datetime
    from uuid import UUID

    from services.backbone import console
    from services.backbone.audit import jsonable

    moment = datetime.fromisoformat(args.as_of)
    if moment.tzinfo is None:
        raise SystemExit("--as-of needs a timezone, e.g. 2018-07-01T00:00:00+08:00")
    app = _open_app(_config(), "registry")
    rows = app.statuses_as_of(moment, UUID(args.base) if args.base else None)
    if args.json:
        print(json.dumps(jsonable(rows), ensure_ascii=False, indent=2))
    else:
        print(console.table([{**r, "since": r["since"].isoformat()[:19]} for r in rows],
                            ["name", "kind", "status", "since"]))
    return 0


def cmd_recompute(args) -> int:
    """Which bases the whole history would put elsewhere under another policy version."""
    import json

    from services.backbone import console
    from services.backbone.audit import jsonable

    result = _open_app(_config(), "evaluation").recompute(args.policy)
    if args.json:
        print(json.dumps(jsonable(result), ensure_ascii=False, indent=2))
    else:
        print(f"under {result['policy_version']}: {len(result['changed'])} of "
              f"{len(result['bases'])} bases would be in another status")
        print(console.table(result["changed"], ["name", "status_now", "status_under_policy"]))
    return 0


def cmd_import_declarations(args) -> int:
    """Declarations from a JSON or CSV file into a batch, through the registry's API,
    with progress; exit 1 if any row was rejected."""
    import json
    from pathlib import Path

    from services.backbone import console
    from services.backbone.console import Progress
    from services.registry.bulk_import import import_declarations, read_declarations, summary

    token = args.token or os.environ.get("SC_TOKEN")
    if not token:
        raise SystemExit("a token is needed (--token or SC_TOKEN; `sc token --role drc` issues one)")
    url = args.url or _service_url(_config(), "registry")
    bodies = read_declarations(Path(args.file))
    try:
        with Progress(f"importing {args.file}", len(bodies)) as progress:
            rows = import_declarations(bodies, registry_url=url, token=token, batch_id=args.batch,
                                       advance=progress.advance)
    except PermissionError as refused:
        raise SystemExit(str(refused)) from None
    report = summary(rows)
    if args.json:
        print(json.dumps(report, ensure_ascii=False, indent=2))
    else:
        print(console.table(
            [{"row": r.number, "name": r.name, "outcome": r.outcome,
              "detail": r.base_id or "; ".join(f"{k}: {' '.join(map(str, v))}" for k, v in r.errors.items())}
             for r in rows], ["row", "name", "outcome", "detail"]))
        print(f"{report['rows']} rows: {report['declared']} declared, {report['exists']} already "
              f"declared, {report['rejected']} rejected")
    return 1 if report["rejected"] else 0


def _service_url(config: dict, service: str) -> str:
    host = config["services"].get("host", "127.0.0.1")
    return f"http://{host}:{config['services'][service]['http_port']}"


def parser() -> argparse.ArgumentParser:
    from services.contracts.vocabulary import ROLES
    from services.demo.options import DESCRIPTION as DEMO_DESCRIPTION
    from services.demo.options import add_arguments as add_demo_arguments

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

    queues = commands.add_parser("queues", help="queue depths, dead letters, lags; exit 1 on alerts")
    queues.add_argument("--json", action="store_true")
    queues.add_argument("--no-services", action="store_true", help="broker figures only")
    queues.set_defaults(fn=cmd_queues)

    dlq = commands.add_parser("dlq", help="dead letters: list, show, replay, discard")
    dlq.add_argument("action", choices=["list", "show", "replay", "discard"])
    dlq.add_argument("--service", required=True, help="the consuming service")
    dlq.add_argument("--queue", help="the dead-letter queue (replay, discard)")
    dlq.add_argument("--message-id", help="the message (show, replay, discard)")
    dlq.add_argument("--all", action="store_true",
                     help="replay every dead letter of the service (of --queue, if given)")
    dlq.add_argument("--reason", help="why (discard; replay)")
    dlq.add_argument("--actor", default=os.environ.get("USER", "ops"), help="who acts (audited)")
    dlq.add_argument("--json", action="store_true")
    dlq.set_defaults(fn=cmd_dlq)

    audit = commands.add_parser("audit", help="who did what, when, why, across all services")
    audit.add_argument("--base", help="base id")
    audit.add_argument("--actor", help="actor id")
    audit.add_argument("--role")
    audit.add_argument("--type", help="event type, e.g. PlanApproved or Base.PlanApproved")
    audit.add_argument("--since", help="ISO time with zone, e.g. 2017-09-01T00:00:00+08:00")
    audit.add_argument("--until")
    audit.add_argument("--limit", type=int, help="entries per request (all are fetched; default 1000)")
    audit.add_argument("--csv", action="store_true")
    audit.add_argument("--json", action="store_true")
    audit.set_defaults(fn=cmd_audit)

    status = commands.add_parser("status", help="statuses of record as of a moment")
    status.add_argument("--as-of", required=True, help="ISO time with zone")
    status.add_argument("--base", help="one base id")
    status.add_argument("--json", action="store_true")
    status.set_defaults(fn=cmd_status)

    recompute = commands.add_parser("recompute", help="statuses under another policy version")
    recompute.add_argument("--policy", required=True, help="e.g. adjustment-2019.1")
    recompute.add_argument("--json", action="store_true")
    recompute.set_defaults(fn=cmd_recompute)

    verify = commands.add_parser("verify", help="check a service's hash-chained log")
    verify.add_argument("service")
    verify.add_argument("--json", action="store_true")
    verify.add_argument("--anchors", metavar="FILE",
                        help="check the links recorded in FILE, then record this head there")
    verify.set_defaults(fn=cmd_verify)

    rebuild = commands.add_parser("rebuild", help="rebuild a service's read models from position 0")
    rebuild.add_argument("service")
    rebuild.add_argument("--compare", action="store_true", help="compare with the running service")
    rebuild.set_defaults(fn=cmd_rebuild)

    defs = commands.add_parser("broker-definitions", help="print the RabbitMQ definitions")
    defs.set_defaults(fn=cmd_broker_definitions)
    init = commands.add_parser("broker-init", help="import the definitions into the broker")
    init.set_defaults(fn=cmd_broker_init)

    demo = add_demo_arguments(commands.add_parser("demo", help=DEMO_DESCRIPTION,
                                                  description=DEMO_DESCRIPTION))
    demo.set_defaults(fn=cmd_demo)

    bulk = commands.add_parser("import-declarations",
                               help="declarations from a JSON or CSV file into a batch (via the API)")
    bulk.add_argument("file", help="JSON list of POST /bases bodies, or CSV with columns "
                                   "name,kind,city,county,competent_department,contact_name,"
                                   "contact_phone,contact_email")
    bulk.add_argument("--batch", required=True, help="the declaration batch's id")
    bulk.add_argument("--token", help="bearer token (drc or applicant); default $SC_TOKEN")
    bulk.add_argument("--url", help="the registry's base URL (default: from the config)")
    bulk.add_argument("--json", action="store_true")
    bulk.set_defaults(fn=cmd_import_declarations)
    docs = commands.add_parser("docs-events", help="print docs/events.md from the contracts")
    docs.set_defaults(fn=cmd_docs_events)
    return top


def main(argv=None) -> int:
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    args = parser().parse_args(argv)
    return args.fn(args)


if __name__ == "__main__":
    sys.exit(main())
