"""The platform's command line: ``sc <command>`` (installed by pyproject), or
``python -m services.cli <command>``.

    sc run registry            run one service in the foreground
    sc run-all                 run every service, one process each (make run)
    sc token --role drc ...    a bearer token signed with sc's key (--help: each role's scope)
    sc queues [--json]         queue depths, dead letters, relay and consumer lags
    sc dlq list|show|replay|discard --service S ...   dead letters, each action audited
    sc dlq replay --service S --all   every dead letter back into its queue, with progress
    sc audit --base ID [--csv] who did what, when, why, across all services
    sc status --as-of D        every base's status of record as it stood at D
    sc recompute --policy P    which bases the whole history puts elsewhere under P
    sc verify registry         walk a service's hash-chained log, name a broken link
    sc users add --username U --name N --organisation O [--role admin]
                               a console account; prints its one-time password
                               (--anchors FILE: also against links recorded earlier)
    sc rebuild registry        fold its read models again from position 0 (--compare)
    sc docs-events             print docs/events.md from the contracts
    sc docs-asyncapi           print docs/asyncapi.json (AsyncAPI 3.0) from the contracts
    sc broker-init             the broker's topology and each service's broker user
    sc keys new                a signing key pair (production: one per service, console, sc)
    sc demo [--json] [--keep]  replay the 2017 programme on fresh services (make demo)
"""

import argparse
import logging
import os
import warnings

from .common import api_named
from .examples import EXAMPLES
from .history import cmd_audit, cmd_rebuild, cmd_recompute, cmd_status, cmd_verify
from .people import add_arguments as add_people_arguments
from .operations import (cmd_broker_definitions, cmd_broker_init, cmd_dlq, cmd_import_declarations,
                         cmd_keys, cmd_queues)
from .serving import cmd_demo, cmd_docs_asyncapi, cmd_docs_events, cmd_run, cmd_run_all, cmd_token


def quiet_libraries() -> None:
    """Before anything imports eventlet (nameko does): its deprecation notice, a block of
    eight lines on stderr at every call, says nothing a person at the terminal can act
    on (the platform's move off eventlet is tracked, not theirs to make); and py-amqp's
    warning about a frame arriving on a channel it is closing, which every passive
    declare of a missing queue causes in ``sc queues``, is not a problem either."""
    warnings.filterwarnings("ignore", message=r"\s*Eventlet is deprecated")
    logging.getLogger("amqp").addFilter(
        lambda record: "during closing channel" not in record.getMessage())


def parser() -> argparse.ArgumentParser:
    from services.contracts.vocabulary import ROLES
    from services.demo.options import DESCRIPTION as DEMO_DESCRIPTION
    from services.demo.options import add_arguments as add_demo_arguments

    top = argparse.ArgumentParser(
        prog="sc", description="双创示范基地 platform", formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="examples:\n  sc token --role drc --name 省发展改革委\n  sc queues\n"
               "every command's --help ends with examples of it: sc token --help")
    commands = top.add_subparsers(dest="command", required=True)

    run = commands.add_parser("run", help="run one service in the foreground")
    run.add_argument("service")
    run.set_defaults(fn=cmd_run)

    run_all = commands.add_parser("run-all", help="run every service, one process each")
    run_all.set_defaults(fn=cmd_run_all)

    token = commands.add_parser("token", help="issue a bearer token, or revoke one")
    token.add_argument("action", nargs="?", choices=["issue", "revoke"], default="issue")
    token.add_argument("token", nargs="?", help="revoke: the token to refuse from now on")
    token.add_argument("--reason", default="", help="revoke: why (kept in the log)")
    token.add_argument("--actor", default=os.environ.get("USER", "ops"), help="revoke: who (audited)")
    token.add_argument("--role", choices=sorted(ROLES))
    token.add_argument("--name", help="display name of the actor")
    token.add_argument("--actor-id", help="UUID of the actor (default: a new one)")
    token.add_argument("--region", help="county_government (required): CITY/COUNTY, e.g. 太原市/小店区")
    token.add_argument("--org", help="competent_department, department (required): its name; "
                                      "applicant (required): the unit it declares for")
    token.add_argument("--evaluator-id", help="evaluator (required): its id from POST /evaluators")
    api_named(token, "--base-id", "--base", action="append",
              help="applicant: a base UUID it answers for (repeatable)")
    token.add_argument("--ttl-hours", type=int, help="hours it lasts (default auth.token_ttl_hours, "
                                                     "at most auth.max_token_ttl_hours)")
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
    api_named(audit, "--base-id", "--base", help="base id")
    api_named(audit, "--actor-id", "--actor", help="actor id")
    audit.add_argument("--role")
    api_named(audit, "--event-type", "--type", help="event type, e.g. PlanApproved or Base.PlanApproved")
    audit.add_argument("--since", help="a date (from 00:00 Beijing time) or an ISO time with "
                                       "zone, e.g. 2017-09-01T00:00:00+08:00")
    audit.add_argument("--until", help="a date (through that whole day, Beijing time) or an ISO "
                                       "time with zone")
    audit.add_argument("--limit", type=int, help="entries per request (all are fetched; default 1000)")
    audit.add_argument("--csv", action="store_true")
    audit.add_argument("--json", action="store_true")
    audit.set_defaults(fn=cmd_audit)

    status = commands.add_parser("status", help="statuses of record as of a moment")
    status.add_argument("--as-of", required=True,
                        help="ISO time with zone, or a date: the end of that day, Beijing time")
    api_named(status, "--base-id", "--base", help="one base id")
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
    init = commands.add_parser("broker-init", help="import the topology and the services' broker users")
    init.set_defaults(fn=cmd_broker_init)
    keys = commands.add_parser("keys", help="a new Ed25519 key pair for a service, the console or sc")
    keys.add_argument("action", choices=["new"])
    keys.set_defaults(fn=cmd_keys)

    demo = add_demo_arguments(commands.add_parser("demo", help=DEMO_DESCRIPTION,
                                                  description=DEMO_DESCRIPTION))
    demo.set_defaults(fn=cmd_demo)

    bulk = commands.add_parser("import-declarations",
                               help="declarations from a JSON or CSV file into a batch (via the API)")
    bulk.add_argument("file", help="JSON list of POST /bases bodies, or CSV with columns "
                                   "name,kind,city,county,competent_department,contact_name,"
                                   "contact_phone,contact_email")
    api_named(bulk, "--batch-id", "--batch", help="the declaration batch's id")
    bulk.add_argument("--token", help="bearer token (drc or applicant); default $SC_TOKEN")
    bulk.add_argument("--url", help="the registry's base URL (default: from the config)")
    bulk.add_argument("--json", action="store_true")
    bulk.set_defaults(fn=cmd_import_declarations)
    docs = commands.add_parser("docs-events", help="print docs/events.md from the contracts")
    docs.set_defaults(fn=cmd_docs_events)
    asyncapi = commands.add_parser("docs-asyncapi",
                                   help="print docs/asyncapi.json (AsyncAPI 3.0) from the contracts")
    asyncapi.set_defaults(fn=cmd_docs_asyncapi)

    add_people_arguments(commands)
    for name, command in commands.choices.items():
        command.epilog = EXAMPLES[name]
        command.formatter_class = argparse.RawDescriptionHelpFormatter
    return top


def main(argv=None) -> int:
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    quiet_libraries()
    args = parser().parse_args(argv)
    return args.fn(args)
