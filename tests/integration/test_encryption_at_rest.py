"""The notifications log is encrypted at rest: a copy of its file does not reveal a
subscriber's webhook secret (with which anyone could sign webhooks as the platform) nor
the contact persons in the events it keeps; the service reads it as before. A record
that is not encrypted is refused (anyone who can write to the database could have put
it there), unless store.read_plaintext allows it for a log written before encryption
was turned on."""

import pytest

import sqlite3
from uuid import uuid4

from services.backbone.kernel.context import Actor
from tests.support.settings import store_env_of
from services.notifications.application import NotificationsApplication

KEJITING = Actor(id=uuid4(), role="department", name="山西省科学技术厅", org="山西省科学技术厅")
SECRET = "kjt-webhook-secret-" + uuid4().hex


def config(tmp_path, encrypted=True, read_plaintext=False):
    store = {"backend": "sqlite", "sqlite_dir": str(tmp_path), "encrypted_services": []}
    if encrypted:
        store.update(encrypted_services=["notifications"], cipher_key="test-key-" + "k" * 32,
                     read_plaintext=read_plaintext)
    return {"store": store}


def subscribe(app, url="https://kjt.example.cn/hooks"):
    return app.subscribe(label="科技厅", filter={}, channel={"kind": "webhook", "url": url, "secret": SECRET},
                         actor=KEJITING, ctx=KEJITING.context())


def raw_states(tmp_path, service="notifications") -> bytes:
    with sqlite3.connect(tmp_path / f"{service}.sqlite3") as db:
        return b"".join(bytes(row[0]) for row in db.execute("SELECT state FROM stored_events"))


def test_the_secret_is_not_in_the_file_and_the_service_reads_it(tmp_path):
    app = NotificationsApplication(env=store_env_of(config(tmp_path), "notifications"))
    hook = subscribe(app)
    app.close()

    states = raw_states(tmp_path)
    assert states and SECRET.encode() not in states and "科技厅".encode() not in states
    assert b"kjt.example.cn" not in states

    reopened = NotificationsApplication(env=store_env_of(config(tmp_path), "notifications"))
    assert reopened.get_subscription(hook.id, KEJITING).channel["secret"] == SECRET
    reopened.close()


def test_a_log_written_before_encryption_is_read_only_where_read_plaintext_allows_it(tmp_path):
    plain = NotificationsApplication(env=store_env_of(config(tmp_path, encrypted=False), "notifications"))
    before = subscribe(plain)
    plain.close()
    assert SECRET.encode() in raw_states(tmp_path)

    refusing = NotificationsApplication(env=store_env_of(config(tmp_path), "notifications"))
    with pytest.raises(ValueError, match="not encrypted.*store.read_plaintext"):
        refusing.get_subscription(before.id, KEJITING)
    refusing.close()

    app = NotificationsApplication(env=store_env_of(config(tmp_path, read_plaintext=True), "notifications"))
    after = subscribe(app, url="https://kjt.example.cn/v2")
    assert app.get_subscription(before.id, KEJITING).channel["secret"] == SECRET
    assert app.get_subscription(after.id, KEJITING).channel["url"] == "https://kjt.example.cn/v2"
    assert len(app.list_subscriptions(KEJITING)) == 2
    app.close()


def test_another_key_cannot_read_it(tmp_path):
    app = NotificationsApplication(env=store_env_of(config(tmp_path), "notifications"))
    hook = subscribe(app)
    app.close()
    other = config(tmp_path)
    other["store"]["cipher_key"] = "another-key-" + "x" * 32
    try:
        stranger = NotificationsApplication(env=store_env_of(other, "notifications"))
        stranger.get_subscription(hook.id, KEJITING)
    except ValueError as error:
        assert "cipher" in str(error).lower()
    else:
        raise AssertionError("a store encrypted with one key was read with another")


def test_a_plaintext_record_forged_into_the_encrypted_log_is_refused(tmp_path):
    """Whoever can write to the database, without the key, inserts the next event of a
    department's subscription in plain JSON, pointing its webhook at their server."""
    app = NotificationsApplication(env=store_env_of(config(tmp_path), "notifications"))
    hook = subscribe(app)
    forged = app.repository.get(hook.id)
    forged._changed(label="科技厅", filter={}, ctx=KEJITING.context(),
                    channel={"kind": "webhook", "url": "https://attacker.example/hooks", "secret": "x" * 20})
    app.close()
    writer = NotificationsApplication(env=store_env_of(config(tmp_path / "elsewhere", encrypted=False),
                                                    "notifications"))
    record = writer.mapper.to_stored_event(forged.collect_events()[0])
    writer.close()
    with sqlite3.connect(tmp_path / "notifications.sqlite3") as db:
        db.execute("INSERT INTO stored_events VALUES (?, ?, ?, ?)",
                   (record.originator_id.hex, record.originator_version, record.topic, record.state))

    reopened = NotificationsApplication(env=store_env_of(config(tmp_path), "notifications"))
    with pytest.raises(ValueError, match="not encrypted"):
        reopened.get_subscription(hook.id, KEJITING)
    reopened.close()
    # What read_plaintext risks, and why it is for a migration only:
    migrating = NotificationsApplication(env=store_env_of(config(tmp_path, read_plaintext=True), "notifications"))
    assert migrating.get_subscription(hook.id, KEJITING).channel["url"] == "https://attacker.example/hooks"
    migrating.close()


# -- every store that may hold contact persons ----------------------------------------------

PHONE = "0351-7010000"


def registry_config(tmp_path, **store) -> dict:
    return {"store": {"backend": "sqlite", "sqlite_dir": str(tmp_path), "cipher_key": "test-key-" + "k" * 32,
                      "encrypted_services": ["registry"], **store}}


def declare_shanda(app):
    from datetime import datetime, timedelta, timezone

    from services.registry.domain import DeclarationBatch
    from tests.support.fixtures import declaration

    drc = Actor(id=uuid4(), role="drc", name="省发展改革委")
    now = datetime.now(timezone.utc)
    batch = DeclarationBatch(batch_id=uuid4(), name="2017年第一批", opens_at=now - timedelta(days=1),
                             closes_at=now + timedelta(days=30), quota=12, ctx=drc.context())
    app.save(batch)
    return app.declare(**{**declaration(batch.id), "batch_id": batch.id}, actor=drc, ctx=drc.context())


def test_every_config_encrypts_every_store_that_may_hold_contact_persons_or_people():
    from services.backbone.config import load_config

    for environment in ("local", "test", "production"):
        config = load_config(environment, environ={"SC_AUTH__SECRET": "x8Kq2" + uuid4().hex,
                                                   "SC_STORE__CIPHER_KEY": "c7Rw1" + uuid4().hex})
        assert set(config["store"]["encrypted_services"]) == {"registry", "evaluation", "funding",
                                                              "notifications", "console"}, environment


def test_the_registrys_contact_phones_are_not_in_its_file_and_a_plaintext_log_migrates(tmp_path):
    from services.registry.application import RegistryApplication

    plain = RegistryApplication(env=store_env_of(registry_config(tmp_path, encrypted_services=[]), "registry"))
    before = declare_shanda(plain)
    plain.close()
    assert PHONE.encode() in raw_states(tmp_path, "registry")  # as the registry kept it until now

    refusing = RegistryApplication(env=store_env_of(registry_config(tmp_path), "registry"))
    with pytest.raises(ValueError, match="not encrypted.*store.read_plaintext"):
        refusing.get_base(before.id)
    refusing.close()
    migrating = RegistryApplication(env=store_env_of(registry_config(tmp_path, read_plaintext=True), "registry"))
    assert migrating.get_base(before.id).contacts[0]["phone"] == PHONE
    migrating.close()

    fresh = tmp_path / "fresh"
    app = RegistryApplication(env=store_env_of(registry_config(fresh), "registry"))
    after = declare_shanda(app)
    app.close()
    states = raw_states(fresh, "registry")
    assert states and PHONE.encode() not in states and "张三".encode() not in states
    reopened = RegistryApplication(env=store_env_of(registry_config(fresh), "registry"))
    assert reopened.get_base(after.id).contacts[0]["phone"] == PHONE
    reopened.close()


def test_a_sqlite_store_is_made_readable_by_its_owner_only(tmp_path):
    import os
    import stat

    from services.registry.application import RegistryApplication

    previous = os.umask(0o022)  # the usual one, under which SQLite made stores 0644
    try:
        app = RegistryApplication(env=store_env_of(registry_config(tmp_path / "store"), "registry"))
        declare_shanda(app)
        app.close()
        old = tmp_path / "old"
        old.mkdir()
        (old / "registry.sqlite3").touch(mode=0o644)
        store_env_of(registry_config(old), "registry")
    finally:
        os.umask(previous)
    assert stat.S_IMODE((tmp_path / "store").stat().st_mode) == 0o700
    files = list((tmp_path / "store").iterdir())
    assert files and {stat.S_IMODE(f.stat().st_mode) for f in files} == {0o600}, files
    assert stat.S_IMODE((old / "registry.sqlite3").stat().st_mode) == 0o600
