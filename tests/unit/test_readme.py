"""The README is the first hour: short, and every fact in it true of the checkout (the
commands exist, CI runs the one it names, the addresses are the configured ones, the
documents it links exist). The tour itself runs in tests/e2e/test_readme_tour.py."""

import re

import yaml

from services.backbone.config import PROJECT_ROOT

README = (PROJECT_ROOT / "README.md").read_text(encoding="utf-8")


def test_the_readme_stays_short_enough_to_read_in_the_first_hour():
    assert len(README.splitlines()) <= 200


def test_the_two_commands_are_make_targets_and_ci_runs_the_test_command():
    commands = re.search(r"## Run it, test it\n\n```\n(.*?)```", README, re.DOTALL).group(1)
    targets = [line.split()[1] for line in commands.splitlines()]
    assert targets == ["run", "test"]
    makefile = (PROJECT_ROOT / "Makefile").read_text(encoding="utf-8")
    assert all(re.search(rf"^{target}:", makefile, re.MULTILINE) for target in targets)
    ci = (PROJECT_ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert ci.strip().splitlines()[-1] == "make test"


def test_every_address_in_the_readme_is_the_configured_port():
    config = yaml.safe_load((PROJECT_ROOT / "infra/config/local.yaml").read_text(encoding="utf-8"))
    rows = re.findall(r"^\| (console|registry|evaluation|funding|notifications)\b.*?"
                      r"http://127\.0\.0\.1:(\d+)", README, re.MULTILINE)
    assert {name for name, _ in rows} == {"console", "registry", "evaluation", "funding", "notifications"}
    for name, port in rows:
        assert int(port) == config["services"][name]["http_port"], name


def test_every_document_the_readme_links_exists_and_security_is_among_them():
    linked = set(re.findall(r"`(docs/[\w./-]+)`", README))
    assert "docs/security.md" in linked
    assert [path for path in sorted(linked) if not (PROJECT_ROOT / path).exists()] == []
