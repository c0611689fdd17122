"""What waits for a caller in evaluation (``GET /todo``): an evaluator's unscored
assignments, and for the DRC the warned bases by their rectification deadline."""


def todo(app, actor) -> list[dict]:
    if actor.role == "evaluator":
        items = [{"task": "score_base", "base_id": row["base_id"], "base_name": row["base_name"],
                  "since": row["assigned_at"], "link": f"/bases/{row['base_id']}"}
                 for row in app.assignments(actor) if row["scored_at"] is None]
    elif actor.role == "drc":
        items = [{"task": "rectification_due", "base_id": row["base_id"], "base_name": row["name"],
                  "since": row["rectification_deadline"], "link": f"/bases/{row['base_id']}"}
                 for row in app.list_bases(status="warned") if row.get("rectification_deadline")]
    else:
        items = []
    return sorted(items, key=lambda item: item["since"])
