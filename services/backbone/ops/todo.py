"""Dead letters as 待办 items for ops: each service's ``GET /todo`` lists its own, so the
console's merged 待办 shows every service's without asking the queues itself."""

from marshmallow import Schema, fields

from services.backbone.eventstore.audit import jsonable


class TodoItemOut(Schema):
    """An item of GET /todo: the task's code (``vocabulary.TODO_TASKS``), its base, since when."""

    task = fields.String(required=True)
    base_id = fields.UUID(allow_none=True)
    base_name = fields.String(allow_none=True)
    since = fields.String(allow_none=True, metadata={"format": "date-time"})
    status = fields.String()
    detail = fields.String(allow_none=True)
    amount = fields.String(metadata={"description": "yuan, a decimal string (funding)"})
    link = fields.String(required=True)
    due_on = fields.String(metadata={"format": "date", "description": "the task's due day, Beijing date (deadline rules)"})
    overdue = fields.Boolean(metadata={"description": "past its due day (an Overdue event was published)"})


class TodoOut(Schema):
    """GET /todo on every service: what waits for the caller there; the console merges them."""

    items = fields.List(fields.Nested(TodoItemOut), required=True)
    total = fields.Integer(required=True)


def todo_answer(items: list[dict], total: int | None = None) -> dict:
    """What GET /todo dumps with ``TodoOut``: times as ISO strings with their offset."""
    return {"items": jsonable(items), "total": len(items) if total is None else total}


def dead_letter_items(operations, actor) -> list[dict]:
    """This service's dead letters for ops (none for any other role), oldest first."""
    if actor.role != "ops":
        return []
    items = [{"task": "dead_letter", "base_id": None, "base_name": letter["original_queue"] or letter["queue"],
              "since": letter["dead_lettered_at"], "detail": letter["error"], "link": "/ops"}
             for letter in operations.dead_letters(actor)]
    return sorted(items, key=lambda item: str(item["since"] or ""))
