"""Typed settings: every key checked once, by name, with its type."""

import pytest

from services.backbone.config import ConfigError, load_config
from services.backbone.settings import Settings, load_settings

KEYS = {"SC_AUTH__SECRET": "s" * 48}


@pytest.mark.parametrize("environment", ["local", "test"])
def test_every_environment_file_builds_complete_settings(environment):
    settings = load_settings(environment, environ=KEYS)
    assert settings.consumer.max_attempts >= 1 and settings.services.port("registry") >= 0


def test_a_variable_for_a_service_the_yaml_does_not_list_is_taken_as_the_type_of_its_section():
    settings = load_settings("local", environ={**KEYS, "SC_CONSUMER__LINGER_SECONDS__CONSOLE": "0.01"})
    assert settings.consumer.linger_for("console") == 0.01
    assert settings.consumer.linger_for("nobody") == 0.0


def test_a_misspelt_key_is_refused_with_its_dotted_name():
    with pytest.raises(ConfigError, match=r"consumer\.max_atempts is not a setting"):
        load_settings("local", environ={**KEYS, "SC_CONSUMER__MAX_ATEMPTS": "7"})


def test_a_missing_key_is_refused_with_its_dotted_name():
    config = load_config("local", environ=KEYS)
    del config["relay"]["batch_size"]
    with pytest.raises(ConfigError, match=r"relay\.batch_size is not set"):
        Settings.from_dict(config)


@pytest.mark.parametrize("key, value, complaint", [
    (("relay", "enabled"), "sometimes", "not a boolean"),
    (("consumer", "max_run"), "fifty", "not a whole number"),
    (("store", "encrypted_services"), {"a": 1}, "not a list"),
])
def test_a_value_of_the_wrong_type_is_refused_with_its_key(key, value, complaint):
    config = load_config("local", environ=KEYS)
    config[key[0]][key[1]] = value
    with pytest.raises(ConfigError, match=rf"{key[0]}\.{key[1]}.*{complaint}"):
        Settings.from_dict(config)


def test_settings_are_frozen():
    settings = load_settings("local", environ=KEYS)
    with pytest.raises(Exception):
        settings.consumer.max_attempts = 99
    with pytest.raises(TypeError):
        settings.consumer.linger_seconds["registry"] = 1.0
