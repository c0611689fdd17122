"""sc import-declarations: a batch's declarations from a CSV or JSON file, through the
registry's API, each row declared, already there, or rejected with the field and the
reason; running the same file again declares nothing twice."""

import json

import requests

from services.cli import main
from tests.integration.conftest import open_batch
from tests.support.fixtures import declaration

CSV = """name,kind,city,county,competent_department,contact_name,contact_phone,contact_email
太原理工大学,university,太原市,万柏林区,山西省教育厅,李老师,0351-6010000,tyut@example.cn
孝义市,regional,吕梁市,孝义市,孝义市人民政府,王科长,0358-7620000,
山西某医院,hospital,太原市,小店区,山西省卫生健康委员会,赵医生,0351-4960000,
中北大学,university,太原市,尖草坪区,山西省教育厅,周老师,not-a-phone,
"""


def run(platform, path, batch_id, capsys) -> tuple[int, dict]:
    code = main(["import-declarations", str(path), "--batch-id", batch_id, "--json",
                 "--url", platform.url("registry"), "--token", platform.token("drc")])
    return code, json.loads(capsys.readouterr().out)


def test_a_csv_is_declared_row_by_row_and_a_second_run_changes_nothing(platform, evaluation_log,
                                                                        tmp_path, capsys):
    platform.start("registry")
    batch_id = open_batch(platform, evaluation_log)
    path = tmp_path / "第一批申报.csv"
    path.write_text(CSV, encoding="utf-8")

    code, report = run(platform, path, batch_id, capsys)
    assert code == 1  # two rows were rejected
    assert (report["declared"], report["exists"], report["rejected"]) == (2, 0, 2)
    outcomes = {r["name"]: r for r in report["results"]}
    assert "Must be one of" in outcomes["山西某医院"]["errors"]["kind"][0]
    assert "phone" in json.dumps(outcomes["中北大学"]["errors"])
    bases = requests.get(platform.url("registry", "/bases"), headers=platform.headers("drc")).json()
    assert sorted(b["name"] for b in bases["bases"]) == ["太原理工大学", "孝义市"]
    declared = requests.get(platform.url("registry", f"/bases/{outcomes['孝义市']['base_id']}"),
                            headers=platform.headers("drc")).json()
    assert declared["contacts"] == [{"name": "王科长", "phone": "0358-7620000", "email": None,
                                     "role": "primary"}]

    code, again = run(platform, path, batch_id, capsys)
    assert (again["declared"], again["exists"], again["rejected"]) == (0, 2, 2)
    assert requests.get(platform.url("registry", "/bases"), headers=platform.headers("drc")).json()["count"] == 2


def test_a_json_file_and_a_token_that_may_not_declare(platform, evaluation_log, tmp_path, capsys):
    platform.start("registry")
    batch_id = open_batch(platform, evaluation_log)
    path = tmp_path / "declarations.json"
    bodies = [{k: v for k, v in declaration(batch_id, name=name).items() if k != "batch_id"}
              for name in ("山西大学", "山西农业大学")]
    path.write_text(json.dumps(bodies, ensure_ascii=False), encoding="utf-8")

    code, report = run(platform, path, batch_id, capsys)
    assert code == 0 and report["declared"] == 2

    try:
        main(["import-declarations", str(path), "--batch", batch_id, "--url", platform.url("registry"),
              "--token", platform.token("evaluator")])
    except SystemExit as stopped:
        refused = str(stopped.code)
    assert "refused the token" in refused and "may not" in refused
