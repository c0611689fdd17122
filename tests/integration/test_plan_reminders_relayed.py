"""What the broker receives of a plan left unapproved: through the outbox relay (the
envelopes the contracts check), a reminder for each step before and on the due day,
then the overdue marker, each once, with the service restarted between checks; an
approved plan sends nothing more."""

from datetime import datetime, timedelta, timezone

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from services.backbone.messaging.outbox_relay import OutboxRelay
from services.contracts.signing import Signer
from services.registry.application import RegistryApplication
from tests.integration.test_outbox_relay import Publisher
from tests.support.settings import store_env_of
from tests.unit.test_registry_domain import (APPLICANT, COUNTY, DEPARTMENT, TARGETS, TASKS,
                                             certified, new_base)

BEIJING = timezone(timedelta(hours=8))
SUBMITTED = datetime(2017, 9, 29, 10, tzinfo=BEIJING)  # 20 working days: due 2017-11-02
CHECKS = [datetime(2017, 10, 26, 9, 30, tzinfo=BEIJING), datetime(2017, 10, 26, 9, 31, tzinfo=BEIJING),
          datetime(2017, 11, 2, 12, tzinfo=BEIJING), datetime(2017, 11, 3, 0, 5, tzinfo=BEIJING),
          datetime(2017, 11, 20, 9, tzinfo=BEIJING)]
SIGNER = Signer("registry", Ed25519PrivateKey.generate())


def started(tmp_path, moment) -> RegistryApplication:
    app = RegistryApplication(env=store_env_of(
        {"store": {"backend": "sqlite", "sqlite_dir": str(tmp_path)}}, "registry"))
    app.clock = lambda: moment
    return app


def submit(tmp_path):
    app = started(tmp_path, SUBMITTED)
    base = certified(new_base())
    app.save(base)
    app.draft_plan(base.id, tasks=TASKS, targets=TARGETS, actor=APPLICANT, ctx=APPLICANT.context())
    app.close()
    return base.id


def checked_at(tmp_path, moments, publisher) -> None:
    """Each check a process of its own: fire what is due, relay what the log publishes."""
    for moment in moments:
        app = started(tmp_path, moment)
        app.fire_due_deadlines()
        OutboxRelay(app, publisher, namespace="sc", signer=SIGNER).drain()
        app.close()


def reminders(publisher) -> list[tuple]:
    bodies = [m["body"] for batch in publisher.batches for m in batch]
    return [(b["type"], b["payload"].get("step"), b["payload"]["due_on"]) for b in bodies
            if b["type"] in ("ReminderDue", "Overdue")]


def test_an_unapproved_plan_is_reminded_then_overdue_once_each_across_restarts(tmp_path):
    submit(tmp_path)
    publisher = Publisher()
    checked_at(tmp_path, CHECKS, publisher)
    assert reminders(publisher) == [("ReminderDue", "before-5", "2017-11-02"),
                                    ("ReminderDue", "before-1", "2017-11-02"),
                                    ("ReminderDue", "due", "2017-11-02"),
                                    ("Overdue", None, "2017-11-02")]


def test_an_approved_plan_sends_no_more_reminders(tmp_path):
    base_id = submit(tmp_path)
    publisher = Publisher()
    checked_at(tmp_path, CHECKS[:1], publisher)
    app = started(tmp_path, CHECKS[1])
    for approver in (COUNTY, DEPARTMENT):
        app.approve_plan(base_id, version=1, actor=approver, ctx=approver.context())
    app.close()
    checked_at(tmp_path, CHECKS[1:], publisher)
    assert [step for _, step, _ in reminders(publisher)] == ["before-5"]
