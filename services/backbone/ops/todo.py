"""Dead letters as 待办 items for ops: each service's ``GET /todo`` lists its own, so the
console's merged 待办 shows every service's without asking the queues itself."""


def dead_letter_items(operations, actor) -> list[dict]:
    """This service's dead letters for ops (none for any other role), oldest first."""
    if actor.role != "ops":
        return []
    items = [{"task": "dead_letter", "base_id": None, "base_name": letter["original_queue"] or letter["queue"],
              "since": letter["dead_lettered_at"], "detail": letter["error"], "link": "/ops"}
             for letter in operations.dead_letters(actor)]
    return sorted(items, key=lambda item: str(item["since"] or ""))
