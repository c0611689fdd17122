"""The console's people from the command line: ``sc users add`` makes the first
administrator (or any account) and prints its one-time password."""

import sys

from .common import api_named, open_app, platform_config


def cmd_users_add(args) -> int:
    from services.backbone.kernel.context import Context, stable_id
    from services.backbone.kernel.errors import PlatformError

    config = platform_config()
    app = open_app(config, "console")
    app.configure(config.console)
    scope = {"region": {"city": args.city or "", "county": args.county or ""}} if args.city else {}
    scope.update({"department": args.department} if args.department else {})
    scope.update({"evaluator_id": args.evaluator_id} if args.evaluator_id else {})
    scope.update({"base_ids": args.base_id} if args.base_id else {})
    operator = f"sc users add ({args.operator})"
    ctx = Context(stable_id("ops-person", operator), "ops", operator, stable_id("sc-users-add", args.username))
    try:
        account, password = app.add_account(username=args.username, name=args.name,
                                            organisation=args.organisation, role=args.role,
                                            scope=scope, ctx=ctx)
    except PlatformError as error:
        print(f"not added: {error.message} {error.fields or ''}", file=sys.stderr)
        return 1
    finally:
        app.close()
    print(f"account {account.username} ({account.role}) added")
    print(f"one-time password: {password}")
    print("sign in at the console and change it: it is asked for at the first sign-in")
    return 0


def add_arguments(commands) -> None:
    from services.contracts.vocabulary import ROLES

    users = commands.add_parser("users", help="the console's accounts")
    actions = users.add_subparsers(dest="action", required=True)
    add = actions.add_parser("add", help="add an account (the first administrator) and print "
                                         "its one-time password")
    add.add_argument("--username", required=True)
    add.add_argument("--name", required=True, help="the person's name")
    add.add_argument("--organisation", required=True)
    add.add_argument("--role", default="admin", choices=sorted(r for r in ROLES if r != "service"))
    add.add_argument("--city", help="county government: its city (设区市)")
    add.add_argument("--county", help="county government: its county")
    add.add_argument("--department", help="competent department, department: its name")
    add.add_argument("--evaluator-id", help="evaluator: its id in the evaluation service")
    api_named(add, "--base-id", "--base", action="append", help="applicant: a base it answers for")
    add.add_argument("--operator", default="ops", help="who runs this (recorded in the log)")
    add.set_defaults(fn=cmd_users_add)
