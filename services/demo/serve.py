"""``make demo ARGS=--serve``: once the programme is loaded and its report printed, the
services and the console stay up, and one account per role is made for a person to sign
in with and look around (each asked to change its one-time password at first sign-in)."""

import os
import re
import subprocess
import sys
import time

from services.backbone.config import PROJECT_ROOT
from services.contracts.vocabulary import ROLES

from .programme import Programme


def people(p: Programme) -> list[dict]:
    """One person per role, scoped to the demo's own bases and evaluators."""
    xiaoyi, shanxi_university = p.bases["孝义市"], p.bases["山西大学"]
    evaluator_name, evaluator_id = next(iter(p.evaluators.items()))
    return [
        {"username": "admin", "name": "张管理", "organisation": "省发展改革委", "role": "admin"},
        {"username": "drc", "name": "刘处长", "organisation": "省发展改革委", "role": "drc"},
        {"username": "county", "name": "李县长", "organisation": "孝义市人民政府", "role": "county_government",
         "city": xiaoyi.region["city"], "county": xiaoyi.region["county"]},
        {"username": "competent", "name": "陈处长", "organisation": shanxi_university.competent_department,
         "role": "competent_department", "department": shanxi_university.competent_department},
        {"username": "applicant", "name": "周主任", "organisation": "山西大学", "role": "applicant",
         "base": shanxi_university.base_id},
        {"username": "expert", "name": evaluator_name, "organisation": "评审专家", "role": "evaluator",
         "evaluator-id": evaluator_id},
        {"username": "funding", "name": "郑科长", "organisation": "山西省财政厅", "role": "funding_office"},
        {"username": "department", "name": "王处长", "organisation": "山西省科学技术厅", "role": "department",
         "department": "山西省科学技术厅"},
        {"username": "ops", "name": "冯工程师", "organisation": "省信息中心", "role": "ops"},
    ]


def add_account(environment: dict, person: dict) -> str:
    """``sc users add`` for the person, as an operator would; its one-time password."""
    arguments = [f"--{key}={value}" for key, value in person.items()]
    made = subprocess.run([sys.executable, "-m", "services.cli", "users", "add", *arguments],
                          cwd=PROJECT_ROOT, env={**os.environ, **environment},
                          capture_output=True, text=True, timeout=60)
    if made.returncode != 0:
        raise RuntimeError(f"sc users add {person['username']}: {made.stderr.strip()}")
    return re.search(r"one-time password: (\S+)", made.stdout).group(1)


def serve(launcher, p: Programme, say) -> None:
    """Makes the accounts, prints them, and waits until Ctrl-C (which the caller turns
    into stopping every service)."""
    environment = launcher.environment()
    say("\n工作台：" + launcher.url("console") + "/sign-in （首次登录须修改一次性密码）")
    say(f"{'角色':<16}{'用户名':<12}一次性密码")
    for person in people(p):
        password = add_account(environment, person)
        say(f"{ROLES[person['role']]:<16}{person['username']:<12}{password}")
    say("服务与工作台保持运行，按 Ctrl-C 停止。")
    while True:
        launcher.check_running()
        time.sleep(2)
