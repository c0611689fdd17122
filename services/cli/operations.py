"""Commands for ops: queue health, dead letters, the broker's definitions, and
declarations entered in bulk."""

import os
import sys

from .common import ops_authorization, ops_cluster, ops_rpc, platform_config, service_url
from .times import beijing


def cmd_queues(args) -> int:
    """Queue health; exits 1 when a threshold is crossed, 2 when the broker cannot be
    asked (down, or refusing our login: either way no figure can be trusted, and a
    monitor must not take it for a crossed threshold)."""
    import json

    from amqp.exceptions import AMQPError
    from kombu.exceptions import KombuError

    from services.backbone.ops import terminal

    from services.backbone.ops import monitor

    config = platform_config()
    try:
        report = monitor.platform_report(config, ops_authorization(config, "sc queues"),
                                         include_services=not args.no_services)
    except (OSError, AMQPError, KombuError) as error:
        print(f"cannot reach the broker: {type(error).__name__}: {error}", file=sys.stderr)
        return 2
    if args.json:
        print(json.dumps(report, ensure_ascii=False, indent=2, default=str))
    else:
        print(f"queues (figures from {report['figures_from']}):")
        print(terminal.table(report["queues"], ["name", "messages", "ready", "unacked",
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
            print(terminal.table(rows, ["service", "head", "relay", "relay lag", "consumer lag"]))
        print("\nalerts:" if report["alerts"] else "\nno alerts")
        for alert in report["alerts"]:
            print(f"  ! {alert}")
    return 1 if report["alerts"] else 0


def cmd_dlq(args) -> int:
    import json

    from services.backbone.ops import terminal

    config = platform_config()
    if args.action == "list":
        letters = ops_rpc(config, args.service, "dead_letters", args.actor)
        if args.json:
            print(json.dumps(letters, ensure_ascii=False, indent=2))
        else:
            rows = [{**letter, "dead_lettered_at": beijing(letter["dead_lettered_at"])} for letter in letters]
            print(terminal.table(rows, ["queue", "message_id", "attempts", "dead_lettered_at", "error"],
                                 {"dead_lettered_at": "dead-lettered (北京时间)"}))
        return 0
    if args.action == "show":
        letters = ops_rpc(config, args.service, "dead_letters", args.actor)
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
    result = ops_rpc(config, args.service, method, args.actor, queue=args.queue,
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

    from services.backbone.ops.terminal import Progress

    if args.action != "replay" or args.message_id:
        print("--all replays every dead letter: use it with replay and without --message-id",
              file=sys.stderr)
        return 2
    with ops_cluster(config, args.actor) as cluster:
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


def cmd_broker_definitions(args) -> int:
    import json

    from services.backbone.messaging.topology import definitions

    config = platform_config()
    document = definitions(config.broker.namespace, config.consumer.delivery_limit)
    print(json.dumps(document, ensure_ascii=False, indent=2))
    return 0


def cmd_broker_init(args) -> int:
    """Imports the platform's topology, and a broker user with its permissions for each
    service, through the management API (idempotent), before any service starts. Built
    from the running config (namespace, delivery limit, the broker URL's vhost): an
    installed package (the image) has no checkout to read infra/rabbitmq/definitions.json
    from, and that file holds the default topology only, without users."""
    import requests

    from services.backbone.messaging.broker_users import vhost_of
    from services.backbone.messaging.provisioning import BrokerRefused, initialise_broker
    from services.backbone.runner import RUNNABLE

    config = platform_config()
    try:
        initialise_broker(config, RUNNABLE)
    except (BrokerRefused, requests.RequestException) as error:
        print(f"broker-init failed: {error}", file=sys.stderr)
        return 1
    print(f"broker topology and service users imported into vhost {vhost_of(config)}")
    return 0


def cmd_keys(args) -> int:
    """Prints a new key pair: the private key for SC_SIGNING__PRIVATE_KEY of the one
    process it belongs to, the public key for SC_SIGNING__PUBLIC_KEYS__<PARTY> everywhere."""
    from services.backbone.keys import new_private_key_pair

    private, public = new_private_key_pair()
    print(f"# private key (SC_SIGNING__PRIVATE_KEY of its own process only):\n{private}")
    print(f"# public key (SC_SIGNING__PUBLIC_KEYS__<PARTY> of every process):\n{public}")
    return 0


def cmd_import_declarations(args) -> int:
    """Declarations from a JSON or CSV file into a batch, through the registry's API,
    with progress; exit 1 if any row was rejected."""
    import json
    from pathlib import Path

    from services.backbone.ops import terminal
    from services.backbone.ops.terminal import Progress
    from services.registry.bulk_import import import_declarations, read_declarations, summary

    if not args.batch_id:
        raise SystemExit("the batch is needed: --batch-id ID")
    token = args.token or os.environ.get("SC_TOKEN")
    if not token:
        raise SystemExit("a token is needed (--token or SC_TOKEN; `sc token --role drc` issues one)")
    url = args.url or service_url(platform_config(), "registry")
    bodies = read_declarations(Path(args.file))
    try:
        with Progress(f"importing {args.file}", len(bodies)) as progress:
            rows = import_declarations(bodies, registry_url=url, token=token, batch_id=args.batch_id,
                                       advance=progress.advance)
    except PermissionError as refused:
        raise SystemExit(str(refused)) from None
    report = summary(rows)
    if args.json:
        print(json.dumps(report, ensure_ascii=False, indent=2))
    else:
        print(terminal.table(
            [{"row": r.number, "name": r.name, "outcome": r.outcome,
              "detail": r.base_id or "; ".join(f"{k}: {' '.join(map(str, v))}" for k, v in r.errors.items())}
             for r in rows], ["row", "name", "outcome", "detail"]))
        print(f"{report['rows']} rows: {report['declared']} declared, {report['exists']} already "
              f"declared, {report['rejected']} rejected")
    return 1 if report["rejected"] else 0
