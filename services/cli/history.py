"""Commands on the record: verify a log, rebuild read models, the audit trail, statuses
as of a moment, and what another policy version would have decided."""

import sys

from .common import open_app, ops_authorization, ops_rpc, platform_config
from .times import beijing


def cmd_verify(args) -> int:
    """Walks a service's hash-chained log and checks its snapshots; exit 1 naming what
    was changed. --anchors FILE also checks the links earlier runs recorded there and
    records this head: without it a removed tail is not seen, which it says."""
    import json

    from services.backbone.eventstore.hash_chain import append_anchor, read_anchors, verify
    from services.backbone.ops.terminal import Progress

    anchors = read_anchors(args.anchors, args.service) if args.anchors else []
    app = open_app(platform_config(), args.service)
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
    from services.backbone.ops.terminal import Progress

    config = platform_config()
    app = open_app(config, args.service)
    with Progress(f"rebuilding {args.service}", app.head()) as progress:
        app.views.rebuild(progress)
    rebuilt = app.views.digest()
    for name, digest in rebuilt["views"].items():
        print(f"  {name:<24} {digest[:16]}")
    if not args.compare:
        return 0
    live = ops_rpc(config, args.service, "views_digest", "rebuild")
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

    from services.backbone.ops import terminal
    from services.backbone.eventstore.audit import PlatformAuditQuery, collect_all_audit, to_csv

    filters = {k: v for k, v in {"base_id": args.base_id, "actor_id": args.actor_id, "role": args.role,
                                 "event_type": args.event_type, "since": args.since,
                                 "until": args.until}.items() if v is not None}
    try:
        page = PlatformAuditQuery().load({**filters, **({"limit": args.limit} if args.limit else {})})["limit"]
    except ValidationError as error:
        print(f"not a valid audit query: {error.messages}", file=sys.stderr)
        return 2
    with terminal.Progress("audit entries") as progress:
        config = platform_config()
        report = collect_all_audit(config, filters, page, ops_authorization(config, "sc audit"),
                                   progress=progress)
    if args.csv:
        sys.stdout.write(to_csv(report["entries"]))
    elif args.json:
        print(json.dumps(report, ensure_ascii=False, indent=2))
    else:
        rows = [{"at": beijing(e["at"]), "service": e["service"], "event": e["event"],
                 "who": f"{e['actor']['name']} ({e['actor']['role']})",
                 "base": (e.get("base_id") or "")[:8], "reason": (e.get("reason") or "")[:40]}
                for e in report["entries"]]
        print(terminal.table(rows, ["at", "service", "event", "who", "base", "reason"],
                             {"at": "at (北京时间)"}))
    if not report["complete"]:
        print("INCOMPLETE, not answering: " + ", ".join(report["missing"]), file=sys.stderr)
        return 1
    return 0


def cmd_status(args) -> int:
    """Statuses of record as they stood at a moment (the registry's history, folded)."""
    import json

    from marshmallow import ValidationError

    from services.backbone.ops import terminal
    from services.backbone.eventstore.audit import jsonable
    from services.registry.schemas import AsOfQuery

    try:  # read as GET /bases/status reads it: a date is the end of that day
        query = AsOfQuery().load({"as_of": args.as_of, "base_id": args.base_id})
    except ValidationError as error:
        raise SystemExit(f"not a valid status query: {error.messages}") from None
    app = open_app(platform_config(), "registry")
    rows = app.statuses_as_of(query["as_of"], query["base_id"])
    if args.json:
        print(json.dumps(jsonable(rows), ensure_ascii=False, indent=2))
    else:
        print(terminal.table([{**r, "since": beijing(r["since"])} for r in rows],
                            ["name", "kind", "status", "since"], {"since": "since (北京时间)"}))
    return 0


def cmd_recompute(args) -> int:
    """Which bases the whole history would put elsewhere under another policy version."""
    import json

    from services.backbone.ops import terminal
    from services.backbone.eventstore.audit import jsonable

    result = open_app(platform_config(), "evaluation").recompute(args.policy)
    if args.json:
        print(json.dumps(jsonable(result), ensure_ascii=False, indent=2))
    else:
        print(f"under {result['policy_version']}: {len(result['changed'])} of "
              f"{len(result['bases'])} bases would be in another status")
        print(terminal.table(result["changed"], ["name", "status_now", "status_under_policy"]))
    return 0
