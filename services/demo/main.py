"""Runs the demo from start to finish and decides its exit status: 0 only when every
step succeeded and every check of the final report holds."""

import argparse
import json
import signal
import sys
import time
import warnings

from .actors import Api, Cast
from .launcher import Launcher
from .mailbox import Mailbox
from .options import DESCRIPTION, add_arguments
from .polling import DemoFailed
from .programme import Programme
from .receiver import WebhookReceiver
from .report import collect, settle
from .serve import serve
from .story import play
from .tables import render


def _stop_on_sigterm() -> None:
    """SIGTERM (e.g. from a test runner) stops the demo as Ctrl-C does: in order."""
    def handler(signum, frame):
        raise KeyboardInterrupt
    signal.signal(signal.SIGTERM, handler)


def main(argv=None) -> int:
    arguments = add_arguments(argparse.ArgumentParser(prog="sc demo", description=DESCRIPTION))
    return run(arguments.parse_args(argv))


def run(args: argparse.Namespace) -> int:
    """The demo with parsed options; the exit status (130 when interrupted)."""
    warnings.filterwarnings("ignore", message=r"\s*Eventlet is deprecated")  # nameko's RPC client
    _stop_on_sigterm()
    started = time.monotonic()
    progress = sys.stderr

    def say(text: str) -> None:
        print(text, file=progress, flush=True)

    launcher = Launcher(keep=args.keep, log=say, console=args.serve)
    succeeded, interrupted = False, False
    try:
        say(f"双创示范基地平台演示：启动 4 个服务（vhost {launcher.run_name}）")
        with Mailbox(launcher.smtp_port) as mailbox:
            launcher.start()
            report, programme = _play(launcher, mailbox, started, progress)
            succeeded = report["ok"]
            print(json.dumps(report, ensure_ascii=False, indent=2) if args.json else render(report), flush=True)
            if args.serve and succeeded:
                serve(launcher, programme, say)
    except DemoFailed as failure:
        say(f"\n演示失败：{failure}")
    except KeyboardInterrupt:
        interrupted = not (args.serve and succeeded)  # Ctrl-C is how a served demo ends
        say("\n演示被中断，正在停止服务" if interrupted else "\n正在停止服务与工作台")
    finally:
        launcher.stop(succeeded=succeeded)
    say(f"服务已停止，总用时 {time.monotonic() - started:.1f} 秒：{'成功' if succeeded else '失败'}")
    return 130 if interrupted else 0 if succeeded else 1


def _play(launcher: Launcher, mailbox: Mailbox, started: float, progress) -> dict:
    """The story on the launched platform, then the report once everything settled."""
    api = Api({name: launcher.url(name) for name in launcher.ports},
              on_error=launcher.check_running)
    programme = Programme(api=api, cast=Cast(launcher.signer()), out=progress, started=started,
                          restart=launcher.restart)
    programme.step("服务已就绪：" + "，".join(f"{name} :{port}" for name, port in launcher.ports.items()))
    try:
        with WebhookReceiver(launcher.receiver_port) as receiver:
            play(programme, receiver)
            settle(programme, launcher)
            return collect(programme, launcher, receiver, mailbox), programme
    finally:
        api.close()
