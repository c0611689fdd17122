"""A store that does not answer in time is a 503 the client can retry, not a 500.

Here SQLite's write lock is held by another connection (an ops shell, a backup) longer
than ``store.lock_timeout_seconds``: the declaration is answered 503 with
``Retry-After`` and a JSON body, nothing is recorded, and the same request succeeds
once the lock is released."""

import sqlite3
from pathlib import Path
from uuid import UUID

import pytest
import requests

from services.registry.domain import Base
from tests.integration.conftest import open_batch
from tests.support.broker import UpstreamLog
from tests.support.fixtures import declaration
from tests.support.platform import make_config, Platform


@pytest.fixture
def impatient_platform(rabbit_config, tmp_path, container_factory):
    config = make_config(amqp_uri=rabbit_config["AMQP_URI"], tmp_path=tmp_path,
                         overrides={"store": {"lock_timeout_seconds": 1}})
    platform = Platform(config, container_factory)
    yield platform
    platform.shutdown()


def test_a_declaration_waiting_too_long_for_the_store_is_503_and_a_retry_succeeds(impatient_platform):
    platform = impatient_platform.start("registry")
    upstream = UpstreamLog(platform.config, "evaluation")
    try:
        batch_id = open_batch(platform, upstream)
        body = declaration(batch_id, name="山西大学")
        database = Path(platform.config["store"]["sqlite_dir"]) / "registry.sqlite3"
        holder = sqlite3.connect(database, isolation_level=None)
        holder.execute("BEGIN IMMEDIATE")  # the write lock, held
        try:
            answer = requests.post(platform.url("registry", "/bases"), json=body,
                                   headers=platform.headers("drc"), timeout=30)
        finally:
            holder.execute("ROLLBACK")
            holder.close()

        assert answer.status_code == 503, answer.text
        assert answer.headers["Retry-After"] == "1"
        assert answer.json()["error"]["code"] == "unavailable"
        base_id = Base.create_id("山西大学", UUID(batch_id))
        assert platform.app("registry").find(base_id) is None

        again = requests.post(platform.url("registry", "/bases"), json=body,
                              headers=platform.headers("drc"), timeout=30)
        assert again.status_code == 201, again.text
        assert again.json()["base_id"] == str(base_id)
    finally:
        upstream.close()
