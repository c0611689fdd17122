"""The layers drawn by the tree hold: what each part may import."""

import ast
from pathlib import Path

import pytest

SERVICES = Path(__file__).resolve().parents[2] / "services"
BACKBONE = SERVICES / "backbone"
DOMAIN_SERVICES = ("registry", "evaluation", "funding", "notifications")
INFRASTRUCTURE = ("nameko", "kombu", "amqp", "eventlet", "psycopg", "sqlite3", "requests", "werkzeug")


def imports_of(path: Path) -> set[str]:
    """Every module a file imports (absolute names; relative ones resolved)."""
    package = ".".join(path.relative_to(SERVICES.parent).with_suffix("").parts[:-1])
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                names.add(f"{base}.{node.module}" if node.module else base)
            else:
                names.add(node.module)
    return names


@pytest.mark.parametrize("service", DOMAIN_SERVICES)
def test_domain_code_imports_only_the_pure_kernel_of_the_backbone(service):
    used = imports_of(SERVICES / service / "domain.py")
    backbone = {name for name in used if name.startswith("services.backbone")}
    assert all(name.startswith("services.backbone.kernel") for name in backbone), backbone
    assert not {name for name in used if name.split(".")[0] in INFRASTRUCTURE}


def test_the_kernel_imports_nothing_else_of_the_backbone():
    for path in (BACKBONE / "kernel").glob("*.py"):
        backbone = {n for n in imports_of(path) if n.startswith("services.backbone")}
        assert all(n.startswith("services.backbone.kernel") for n in backbone), (path.name, backbone)


def test_contracts_import_nothing_of_ours():
    for path in (SERVICES / "contracts").glob("*.py"):
        ours = {n for n in imports_of(path) if n.startswith("services.") and not n.startswith("services.contracts")}
        assert not ours, (path.name, ours)


def test_no_service_imports_another_service():
    for service in DOMAIN_SERVICES:
        others = {f"services.{s}" for s in DOMAIN_SERVICES if s != service}
        for path in (SERVICES / service).rglob("*.py"):
            crossing = {n for n in imports_of(path) if any(n == o or n.startswith(o + ".") for o in others)}
            assert not crossing, (str(path.relative_to(SERVICES)), crossing)


def test_the_backbone_is_grouped_by_layer():
    """A flat folder hides the layers: only wiring stays at the top."""
    top = sorted(p.name for p in BACKBONE.glob("*.py"))
    assert top == ["config.py", "dependencies.py", "failpoints.py", "keys.py", "runner.py", "settings.py"], top
