"""The benchmark table (docs/benchmarks.md) says which machine each saved run was
measured on, and the bench rewrites only that table."""

from bench.report import BENCHMARKS_DOC, END, START, fill, render
from services.backbone.config import PROJECT_ROOT


def results(cpu: str) -> dict:
    """A saved run with no benchmarks in it: only its machine and command matter here."""
    return {"command": "python -m bench", "finished_at": "2026-12-04T03:00:00+00:00",
            "benchmarks": {},
            "machine": {"cpu": cpu, "cores": 2, "memory_gb": 23.5, "python": "3.11.7",
                        "sqlite": "3.40.1", "rabbitmq": "3.10.8",
                        "load_average_at_start": 0.5, "load_average_at_end": 1.0}}


def machine_line(text: str) -> str:
    return next(line for line in text.splitlines() if line.startswith("Machine: "))


def test_runs_on_one_machine_name_it_once():
    line = machine_line(render({"full": results("Intel Xeon"), "quick": results("Intel Xeon")}))
    assert line.startswith("Machine: Intel Xeon, 2 cores")


def test_runs_on_different_machines_name_each_with_its_mode():
    line = machine_line(render({"full": results("Intel Xeon"), "rerun": results("AMD EPYC")}))
    assert line.startswith("Machine: Intel Xeon (full) / AMD EPYC (rerun), 2 cores")


def test_the_table_lives_in_docs_benchmarks_and_not_in_the_readme():
    """The README says how to start; the bench writes its figures into docs/benchmarks.md."""
    assert BENCHMARKS_DOC == PROJECT_ROOT / "docs" / "benchmarks.md"
    assert START in BENCHMARKS_DOC.read_text(encoding="utf-8")
    assert START not in (PROJECT_ROOT / "README.md").read_text(encoding="utf-8")


def test_filling_replaces_only_what_lies_between_the_markers(tmp_path):
    document = tmp_path / "benchmarks.md"
    document.write_text(f"# Benchmarks\n\nbefore\n{START}\nold table\n{END}\nafter\n", encoding="utf-8")
    fill(document, render({"full": results("Intel Xeon")}))
    text = document.read_text(encoding="utf-8")
    assert text.startswith("# Benchmarks\n\nbefore\n") and text.endswith(f"{END}\nafter\n")
    assert "old table" not in text and "Machine: Intel Xeon" in text
