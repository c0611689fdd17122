"""The platform's package as the Docker image installs it: ``pip install .`` of the
files the Dockerfile copies, not editable, into a directory outside the checkout. Code
that reaches for the checkout (``PROJECT_ROOT / "infra/..."``) finds nothing there, as in
the image, and a data file missing from the package data is missing here too."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

from services.backbone.config import PROJECT_ROOT

# What the Dockerfile copies before ``pip install .`` (infra/ is copied beside the
# package in the image, for its config files only: SC_CONFIG_DIR points there).
BUILD_CONTEXT = ("pyproject.toml", "README.md", "services")


def install_as_the_image_does(directory: Path) -> Path:
    """Installs the package into ``directory/site`` and returns that directory (put it
    on PYTHONPATH; run from anywhere but the checkout)."""
    context = directory / "context"
    context.mkdir(parents=True)
    for name in BUILD_CONTEXT:
        source = PROJECT_ROOT / name
        if source.is_dir():
            shutil.copytree(source, context / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy2(source, context / name)
    site = directory / "site"
    subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps",
                    "--target", str(site), str(context)],
                   check=True, capture_output=True, text=True, timeout=300)
    return site


def installed_environment(site: Path, env: dict) -> dict:
    """``env`` for a process that imports the installed copy (the image's view): the
    config files from SC_CONFIG_DIR, as the Dockerfile sets it."""
    return {**env, "PYTHONPATH": str(site), "SC_CONFIG_DIR": str(PROJECT_ROOT / "infra" / "config"),
            "PYTHONDONTWRITEBYTECODE": "1", "PATH": os.environ.get("PATH", "/usr/bin:/bin")}
