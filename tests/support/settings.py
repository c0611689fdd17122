"""Typed settings from the dict configs tests build (``make_config``, or a bare
``{"store": ...}`` section laid over the test environment's)."""

from services.backbone.config import load_config, merge
from services.backbone.eventstore.stores import store_env
from services.backbone.settings import Settings


def settings_of(config: dict) -> Settings:
    """A test's config as services see it; a partial one is laid over ``test.yaml``."""
    if "environment" not in config:
        config = merge(load_config("test", environ={"SC_AUTH__SECRET": "t" * 48}), config)
    return Settings.from_dict(config)


def store_env_of(config: dict, service: str) -> dict[str, str]:
    """The eventsourcing environment of ``service``'s store under a test's config."""
    return store_env(settings_of(config).store, service)
