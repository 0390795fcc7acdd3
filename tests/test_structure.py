"""The package's shape: the TensorFlow line is a package line, nothing imports in a circle, and
function-local imports appear only where they buy something."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "dogcat_lib"
HEAVY = ("tensorflow", "keras", "sklearn")
#: Where a function-local import buys something: the CLI loads only its command's side, plots keep
#: ``import dogcat_lib`` light (matplotlib, pandas), and optional or Colab-only packages load on use.
LOCAL_IMPORTS_ALLOWED = {
    "__main__.py": None,  # any: each command imports its own side
    "plots.py": {"matplotlib", "matplotlib.pyplot", "pandas"},
    "colab.py": {"google.colab"},
    "cleaner.py": {"ipywidgets", "IPython.display"},
    "app.py": {"gradio"},  # the optional `dogcat[app]`  # the widget: Jupyter and Colab have them
    "data/images.py": {"PIL"},  # only for headers of unusual formats
    "data/download.py": {"kaggle.api.kaggle_api_extended"},  # the optional `dogcat[kaggle]`
}


def modules() -> dict[str, Path]:
    """``dogcat_lib.data.csvio`` -> its file, for every module of the package."""
    found = {}
    for path in PACKAGE.rglob("*.py"):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        found[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return found


def module_level_imports(name: str, path: Path) -> set[str]:
    """The package modules ``name`` imports at module level (relative imports resolved)."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = set()
    for node in ast.parse(path.read_text()).body:
        if isinstance(node, ast.ImportFrom) and node.level:
            base = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
            target = f"{base}.{node.module}" if node.module else base
            found.add(target)
            found.update(f"{target}.{alias.name}" for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith("dogcat_lib"):
            found.add(node.module)
    return found & set(modules())


def test_no_module_imports_in_a_circle():
    graph = {name: module_level_imports(name, path) for name, path in modules().items()}

    def visit(name: str, trail: tuple[str, ...]) -> None:
        assert name not in trail, "import circle: " + " -> ".join((*trail, name))
        for target in graph[name]:
            if not name.startswith(target + ".") and target != name:  # a package's own __init__
                visit(target, (*trail, name))

    for name in graph:
        visit(name, ())


@pytest.mark.parametrize("side", ["data", "plumbing"])
def test_the_data_side_never_imports_the_learning_side(side):
    for name, path in modules().items():
        if name.startswith(f"dogcat_lib.{side}"):
            assert not {t for t in module_level_imports(name, path) if ".learn" in t or ".steps" in t}, name


def test_importing_step_one_loads_no_tensorflow_keras_or_sklearn():
    step_one = [name for name in modules() if name.startswith(("dogcat_lib.data", "dogcat_lib.plumbing"))]
    step_one += ["dogcat_lib.plots", "dogcat_lib.colab", "dogcat_lib.cleaner", "dogcat_lib.__main__"]
    code = (
        "import importlib, sys\n"
        f"for name in {step_one!r}: importlib.import_module(name)\n"
        f"print([m for m in sys.modules if m.split('.')[0] in {HEAVY!r}])"
    )
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert run.stdout.strip() == "[]"


def test_function_local_imports_only_where_they_buy_something():
    for path in modules().values():
        where = path.relative_to(PACKAGE).as_posix()
        allowed = LOCAL_IMPORTS_ALLOWED.get(where, set())
        for node in ast.walk(ast.parse(path.read_text())):
            if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                continue
            for inner in ast.walk(node):
                if isinstance(inner, ast.Import | ast.ImportFrom) and allowed is not None:
                    what = inner.names[0].name if isinstance(inner, ast.Import) else inner.module
                    assert what in allowed, f"{where}: {node.name}() imports {what} inside the function"


def blocked(*packages: str) -> str:
    """Python code that makes ``import PACKAGE`` fail, as on a machine without it."""
    return "import sys\n" + "".join(f"sys.modules[{p!r}] = None\n" for p in packages)


def test_without_tensorflow_step_one_works_and_training_says_what_to_install(tmp_path):
    cli = "from dogcat_lib.__main__ import main\nsys.exit(main(sys.argv[1:]))\n"
    script = tmp_path / "no_tf.py"
    script.write_text(blocked(*HEAVY) + cli)
    sample = tmp_path / "train.zip"

    def dogcat(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, str(script), *args], capture_output=True, text=True)

    assert dogcat("sample", "-o", str(sample), "-n", "4").returncode == 0
    assert dogcat("preprocess", str(sample), "-o", str(tmp_path / "d.csv"), "-q").returncode == 0
    run = dogcat("train", str(tmp_path / "d.csv"), "-o", str(tmp_path / "run"))
    assert run.returncode == 1 and run.stdout == ""
    assert run.stderr.strip().startswith("dogcat train: error: training needs TensorFlow")
    assert run.stderr.count("\n") == 1 and 'pip install "dogcat[train]"' in run.stderr
    assert not (tmp_path / "run").exists()


#: Issue 17's bars for a thin library: lines as ``ruff format`` leaves them (docstrings included) and
#: the names the notebooks and the CLI use.
MAX_LINES, MAX_PUBLIC_NAMES = 4_800, 45


def test_the_library_is_thin():
    import dogcat_lib

    lines = sum(len(path.read_text(encoding="utf-8").splitlines()) for path in PACKAGE.rglob("*.py"))
    assert lines <= MAX_LINES, f"dogcat_lib is {lines:,} lines, more than {MAX_LINES:,}"
    assert len(dogcat_lib.__all__) <= MAX_PUBLIC_NAMES, sorted(dogcat_lib.__all__)
    readme = (PACKAGE.parent / "README.md").read_text(encoding="utf-8")
    assert f"{len(dogcat_lib.__all__)} public names (`dogcat_lib.__all__`)" in readme, "the README's count"


def test_the_image_size_is_written_only_in_imagespec():
    """The course's 80 is ``COURSE.size``; everywhere else the size comes from an ImageSpec."""
    found = [
        f"{path.relative_to(PACKAGE)}:{node.lineno}"
        for path in PACKAGE.rglob("*.py")
        if path.name != "imagespec.py"
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
        if isinstance(node, ast.Constant) and type(node.value) is int and node.value == 80
    ]
    assert not found, f"a literal 80 outside imagespec.py: {found}"


def test_the_learning_side_never_imports_figures_or_widgets():
    """learn/ computes; plots.py draws and cleaner.py is a widget: only the CLI and notebooks join them."""
    for name, path in modules().items():
        if name.startswith("dogcat_lib.learn"):
            imported = module_level_imports(name, path)
            assert not imported & {"dogcat_lib.plots", "dogcat_lib.cleaner"}, f"{name} imports {imported}"


def test_the_version_is_written_in_one_module():
    assigned = [
        path.relative_to(PACKAGE).as_posix()
        for path in PACKAGE.rglob("*.py")
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
        if isinstance(node, ast.Assign) and any(getattr(t, "id", "") == "__version__" for t in node.targets)
    ]
    assert assigned == ["plumbing/version.py"], assigned
