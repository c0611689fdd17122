"""The demo's command-line options, shared by ``python -m services.demo`` and ``sc demo``
(kept apart from main.py so that ``sc`` does not import the demo to build its parser)."""

import argparse

DESCRIPTION = "Replay the 2017 programme on fresh services of its own (make demo)."


def add_arguments(arguments: argparse.ArgumentParser) -> argparse.ArgumentParser:
    arguments.add_argument("--json", action="store_true", help="print the final report as JSON")
    arguments.add_argument("--keep", action="store_true",
                           help="keep the run's stores and service logs under var/demo/")
    arguments.add_argument("--serve", action="store_true",
                           help="after the report, keep the services and the console running "
                                "and print one account per role to sign in with (Ctrl-C stops)")
    return arguments
