"""``sc`` as a person meets it first: an example under every command's --help, tokens
refused without the scope their role needs, and no library's notices on stderr."""

import subprocess
import sys
from pathlib import Path
from uuid import uuid4

import jwt
import pytest

from services.cli import main, parser


@pytest.fixture
def local(monkeypatch, tmp_path):
    """sc's settings for this test: its own keys, a secret, nothing under var/."""
    environment = {"SC_ENV": "test", "SC_AUTH__SECRET": "x" * 32,
                   "SC_SIGNING__KEYS_DIR": str(tmp_path / "keys")}
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    return environment


def commands() -> dict:
    top = parser()
    (subparsers,) = [action for action in top._actions if action.dest == "command"]
    return subparsers.choices


@pytest.mark.parametrize("name", sorted(commands()))
def test_every_command_help_ends_with_an_example_of_itself(name):
    text = commands()[name].format_help()
    assert "example" in text
    assert f"sc {name}" in text.split("example", 1)[1]


@pytest.mark.parametrize("role, missing", [
    ("county_government", "--region"), ("competent_department", "--org"),
    ("department", "--org"), ("applicant", "--org"), ("evaluator", "--evaluator-id"),
])
def test_a_scoped_role_is_refused_without_its_scope(local, capsys, role, missing):
    with pytest.raises(SystemExit) as refused:
        main(["token", "--role", role, "--name", "某人"])
    assert f"--role {role} needs {missing}" in str(refused.value)
    assert capsys.readouterr().out == ""


def test_a_region_outside_shanxi_is_refused(local):
    with pytest.raises(SystemExit, match="not one of Shanxi's cities"):
        main(["token", "--role", "county_government", "--region", "太原/小店区"])


def test_an_evaluator_acts_under_its_evaluator_id(local, capsys):
    evaluator_id = str(uuid4())
    assert main(["token", "--role", "evaluator", "--evaluator-id", evaluator_id]) == 0
    claims = jwt.decode(capsys.readouterr().out.strip(), options={"verify_signature": False})
    assert (claims["role"], claims["sub"]) == ("evaluator", evaluator_id)


def test_a_county_government_token_carries_its_region(local, capsys):
    assert main(["token", "--role", "county_government", "--region", "太原市/小店区"]) == 0
    claims = jwt.decode(capsys.readouterr().out.strip(), options={"verify_signature": False})
    assert claims["region"] == ["太原市", "小店区"]


def test_the_installed_sc_prints_a_token_and_nothing_on_stderr(local):
    """Eventlet's deprecation notice (eight lines at every call) is not shown."""
    sc = Path(sys.executable).parent / "sc"
    done = subprocess.run([str(sc), "token", "--role", "drc", "--name", "省发展改革委"],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.count(".") == 2  # header.claims.signature
    assert done.stderr == ""
