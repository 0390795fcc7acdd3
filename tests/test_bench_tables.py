"""Every benchmark figure the docs quote comes from a committed result (bench/results/*.json)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))

import tables  # noqa: E402  (bench/tables.py)


def document_text(path: Path) -> str:
    if path.suffix == ".ipynb":
        nb = nbformat.read(path, as_version=4)
        return "\n".join(c.source for c in nb.cells if c.cell_type == "markdown")
    return path.read_text()


def test_every_table_in_the_docs_is_generated_from_its_results():
    found = {}
    for path in tables.DOCUMENTS:
        for name, body in tables.blocks(document_text(path)).items():
            korean = path.suffix == ".ipynb"  # the notebooks' tables are in Korean
            assert body == tables.TABLES[name](korean=korean) + "\n", (
                f"{path.name}: the {name} table is stale: run bench/tables.py"
            )
            found.setdefault(name, []).append(path.name)
    assert set(found) == set(tables.TABLES), f"tables no document shows: {set(tables.TABLES) - set(found)}"


def test_every_result_says_where_and_when_it_was_measured():
    results = sorted((ROOT / "bench" / "results").glob("*.json"))
    assert results, "no committed benchmark results"
    for path in results:
        figures = json.loads(path.read_text())
        assert figures.get("machine") and figures.get("date"), path.name


def test_every_name_a_benchmark_imports_from_dogcat_lib_exists():
    """make bench runs for minutes on the real sample, never in make test: a name the library no longer
    has (a thinning pass removes some) would only show there, after the first benchmarks ran."""
    import ast
    import importlib

    missing = []
    for script in sorted((ROOT / "bench").glob("*.py")):
        for node in ast.walk(ast.parse(script.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("dogcat_lib"):
                module = importlib.import_module(node.module)
                gone = [alias.name for alias in node.names if not hasattr(module, alias.name)]
                missing += [f"{script.name}: {node.module}.{name}" for name in gone]
    assert not missing, missing
