"""An example under every command's ``--help`` (argparse epilogs): a person who asks
for help is usually one command away from the right call, and an example shows the
shape of its arguments faster than their list does."""

EXAMPLES = {
    "run": "example:\n  sc run registry            # one service in the foreground (make run: all of them)",
    "run-all": "example:\n  sc run-all                 # what `make run` does after setting up",
    "token": (
        "scope (a scoped role is refused without it):\n"
        "  county_government     --region CITY/COUNTY (the city one of Shanxi's 11 设区市)\n"
        "  competent_department  --org DEPARTMENT (the department's name)\n"
        "  department            --org DEPARTMENT\n"
        "  applicant             --org UNIT (the unit it declares for) [--base-id ID ...]\n"
        "  evaluator             --evaluator-id ID (as POST /evaluators returned it)\n"
        "  drc, funding_office, ops, service: none\n"
        "examples:\n"
        "  sc token --role drc --name 省发展改革委\n"
        "  sc token --role county_government --name 太原市小店区人民政府 --region 太原市/小店区\n"
        "  sc token --role applicant --name 山西大学 --org 山西大学\n"
        "  sc token --role ops --name prometheus --ttl-hours 720   # a scrape token\n"
        "  sc token revoke \"$TOKEN\" --reason 离职   # every service refuses it within seconds"),
    "queues": "example:\n  sc queues --json | jq .alerts   # exit 1: a threshold crossed, 2: broker unreachable",
    "dlq": ("examples:\n  sc dlq list --service funding\n"
            "  sc dlq replay --service funding --queue sc.funding.from.registry.dlq --message-id M "
            "--reason 已修复\n  sc dlq replay --service funding --all --reason 事故处理完毕"),
    "audit": ("examples:\n  sc audit --base-id 3f2b... --since 2017-09-01 --until 2017-09-30\n"
              "  sc audit --event-type PlanApproved --csv > approvals.csv"),
    "status": ("examples:\n  sc status --as-of 2018-07-01T00:00:00+08:00\n"
               "  sc status --as-of 2018-06-30   # a date: the end of that day, Beijing time"),
    "recompute": "example:\n  sc recompute --policy adjustment-2019.1   # writes nothing",
    "verify": "example:\n  sc verify registry --anchors /srv/anchors/registry.jsonl   # from cron",
    "rebuild": "example:\n  sc rebuild evaluation --compare",
    "broker-definitions": "example:\n  sc broker-definitions > infra/rabbitmq/definitions.json",
    "broker-init": "example:\n  SC_ENV=production sc broker-init   # before any service starts",
    "keys": "example:\n  sc keys new   # one pair per service, the console and sc",
    "demo": "example:\n  sc demo --json | jq .checks   # what make demo runs",
    "import-declarations": ("example:\n  SC_TOKEN=$(sc token --role drc --name 省发展改革委) "
                            "sc import-declarations 申报.csv --batch-id BATCH_ID"),
    "docs-events": "example:\n  sc docs-events > docs/events.md",
    "docs-asyncapi": "example:\n  sc docs-asyncapi > docs/asyncapi.json",
    "users": ("example:\n  sc users add --username admin --name 管理员 --organisation 省发展改革委\n"
              "  (prints a one-time password, changed at the first sign-in)"),
}
