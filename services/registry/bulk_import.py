"""Bulk import of declarations (``sc import-declarations``): a batch's declarations
that reached the DRC on paper or in a spreadsheet, entered through the registry's own
API, so that every row is authenticated, validated and recorded like any other.

A file is JSON (a list of POST /bases bodies) or CSV with the columns of
``CSV_COLUMNS`` (one contact per row, the primary one). Each row ends as ``declared``,
``exists`` (a base of that name is already declared in the batch: running the same file
again declares nothing twice), or ``rejected`` with the fields and reasons the API gave.
A connection failure, a 5xx and an answer that says when to try again (``Retry-After``:
the store busy, or writers racing for the same record) are retried; a declaration is
idempotent by name and batch, so a retry of one that did land answers ``exists``.
"""

import csv
import json
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Callable, Iterable

import requests

CSV_COLUMNS = ("name", "kind", "city", "county", "competent_department",
               "contact_name", "contact_phone", "contact_email")
RETRIES = 4


@dataclass
class Row:
    number: int  # 1-based, as in the file (the CSV header is row 0)
    name: str
    outcome: str = ""
    base_id: str | None = None
    errors: dict = field(default_factory=dict)


def read_declarations(path: Path) -> list[dict]:
    """The declarations of a JSON or CSV file, as POST /bases bodies without batch_id."""
    text = path.read_text(encoding="utf-8-sig")
    if path.suffix.lower() == ".json":
        bodies = json.loads(text)
        if not isinstance(bodies, list) or not all(isinstance(b, dict) for b in bodies):
            raise ValueError(f"{path}: a JSON file holds a list of declarations")
        return bodies
    reader = csv.DictReader(text.splitlines())
    missing = set(CSV_COLUMNS) - set(reader.fieldnames or ()) - {"contact_email"}
    if missing:
        raise ValueError(f"{path}: missing columns {', '.join(sorted(missing))}")
    return [_from_csv(line) for line in reader]


def _from_csv(line: dict) -> dict:
    contact = {"name": line["contact_name"], "phone": line["contact_phone"], "role": "primary",
               "email": (line.get("contact_email") or "").strip() or None}
    return {"name": line["name"], "kind": line["kind"],
            "region": {"city": line["city"], "county": line["county"]},
            "competent_department": line["competent_department"], "contacts": [contact]}


def import_declarations(bodies: Iterable[dict], *, registry_url: str, token: str, batch_id: str,
                        advance: Callable[[], None] = lambda: None,
                        session: requests.Session | None = None) -> list[Row]:
    """Posts each declaration into ``batch_id``; returns what became of every row."""
    session = session or requests.Session()
    headers = {"Authorization": f"Bearer {token}"}
    rows = []
    for number, body in enumerate(bodies, start=1):
        row = Row(number=number, name=str(body.get("name", "")))
        response = _post(session, f"{registry_url.rstrip('/')}/bases",
                         {**body, "batch_id": batch_id}, headers)
        answer = _json(response)
        error = answer.get("error", {})
        if response.status_code == 201:
            row.outcome, row.base_id = "declared", answer["base_id"]
        elif response.status_code == 409 and "name" in error.get("fields", {}):
            row.outcome = "exists"
        elif response.status_code in (401, 403):
            said = " ".join(str(error[k]) for k in ("message", "detail") if error.get(k)) or response.text
            raise PermissionError(f"the registry refused the token: {said}")
        else:
            row.outcome = "rejected"
            row.errors = error.get("fields") or {"": [error.get("message", response.text[:300])]}
        rows.append(row)
        advance()
    return rows


def _post(session: requests.Session, url: str, body: dict, headers: dict) -> requests.Response:
    for attempt in range(RETRIES + 1):
        try:
            response = session.post(url, json=body, headers=headers, timeout=30)
            retry = response.status_code >= 500 or "Retry-After" in response.headers
            if not retry or attempt == RETRIES:
                return response
        except requests.ConnectionError:
            if attempt == RETRIES:
                raise
        time.sleep(0.5 * 2 ** attempt)
    raise AssertionError("unreachable")


def _json(response: requests.Response) -> dict:
    try:
        answer = response.json()
    except ValueError:
        return {}
    return answer if isinstance(answer, dict) else {}


def summary(rows: list[Row]) -> dict:
    counts = {outcome: sum(1 for r in rows if r.outcome == outcome)
              for outcome in ("declared", "exists", "rejected")}
    return {"rows": len(rows), **counts, "results": [asdict(r) for r in rows]}
