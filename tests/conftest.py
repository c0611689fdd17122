"""Shared fixtures. Every test that touches the broker gets its own RabbitMQ vhost
(nameko's ``rabbit_config`` fixture, through the management API), its own SQLite
directory, and, for PostgreSQL, its own database: tests never see each other's data."""

import eventlet

eventlet.monkey_patch()  # before anything imports socket, threading or kombu

import warnings  # noqa: E402

warnings.filterwarnings("ignore", message=r"\s*Eventlet is deprecated")

import uuid  # noqa: E402

import psycopg  # noqa: E402
import pytest  # noqa: E402

from tests.support.platform import Platform, make_config  # noqa: E402

# The browser tests run as a pytest call of their own, without this file's eventlet
# monkey-patching (make test-browser); a plain ``pytest`` leaves them out.
collect_ignore = ["browser"]

PG_ADMIN = "host=127.0.0.1 port=5432 user=postgres dbname=postgres connect_timeout=5"


@pytest.fixture
def postgres_db():
    """A fresh PostgreSQL database for one test, dropped afterwards."""
    name = f"sc_test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    yield name
    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def platform(rabbit_config, tmp_path, container_factory):
    """An isolated platform on SQLite stores."""
    config = make_config(amqp_uri=rabbit_config["AMQP_URI"], tmp_path=tmp_path)
    platform = Platform(config, container_factory)
    yield platform
    platform.shutdown()


@pytest.fixture
def pg_platform(rabbit_config, tmp_path, container_factory, postgres_db):
    """An isolated platform on PostgreSQL stores."""
    config = make_config(amqp_uri=rabbit_config["AMQP_URI"], tmp_path=tmp_path,
                         backend="postgres", postgres_db=postgres_db)
    platform = Platform(config, container_factory)
    yield platform
    platform.shutdown()


@pytest.fixture(params=["sqlite", "postgres"])
def any_platform(request):
    """The same test on both store backends."""
    return request.getfixturevalue("platform" if request.param == "sqlite" else "pg_platform")
