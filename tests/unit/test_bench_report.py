"""The README's benchmark table says which machine each saved run was measured on."""

from bench.report import render


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
