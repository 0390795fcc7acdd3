"""The course notebooks: committed clean, parameterised, and run headlessly on generated photos."""

from __future__ import annotations

import ast

import nbformat
import numpy as np
import pytest
from notebook_tools import CHECKS, NOTEBOOKS, PIN_MARK, course_notebooks

REQUIRED_PARAMETERS = {
    "01_preprocess_local.ipynb": {
        "SOURCE",
        "OUT_CSV",
        "COURSE_PHOTOS",
        "LIMIT",
        "SEED",
        "EXCLUDE",
        "WORK_DIR",
    },
    "02_train_colab.ipynb": {
        "CSV_PATH",
        "EPOCHS",
        "BATCH_SIZE",
        "SEED",
        "OUT_DIR",
        "MAX_MINUTES",
        "PREDICT_SOURCE",
    },
    "03_beat_overfitting.ipynb": {"CSV_PATH", "EPOCHS", "SEED", "MODELS", "MAX_MINUTES", "PRETRAINED"},
    "04_inside_the_cnn.ipynb": {
        "MODEL_PATH",
        "PHOTO",
        "SOURCE",
        "EXCLUSIONS_PATH",
        "N_SUSPECTS",
        "SEED",
        "APP",
    },
}


def test_every_course_notebook_has_its_parameters_and_its_checks_listed():
    names = {p.name for p in course_notebooks()}
    assert names == set(REQUIRED_PARAMETERS) == set(CHECKS)


@pytest.mark.parametrize("path", course_notebooks(), ids=lambda p: p.name)
def test_committed_clean_with_a_parameters_cell_first(path):
    nb = nbformat.read(path, as_version=4)
    nbformat.validate(nb)
    code_cells = [c for c in nb.cells if c.cell_type == "code"]
    assert all(not c.outputs and c.execution_count is None for c in code_cells), "clear the outputs"
    first = code_cells[0]
    assert "parameters" in first.metadata.get("tags", []), "papermill needs the 'parameters' tag"
    assignments = [node for node in ast.parse(first.source).body if isinstance(node, ast.Assign)]
    assigned = {target.id for node in assignments for target in node.targets}
    assert REQUIRED_PARAMETERS.get(path.name, set()) <= assigned
    from papermill.translators import PythonTranslator  # what `papermill --help-notebook` shows

    inferred = {p.name for p in PythonTranslator.inspect(first)}
    assert assigned == inferred, f"papermill cannot parse {assigned - inferred} (an '=' in a comment?)"
    assert all(isinstance(node.value, ast.Constant) for node in assignments), "plain values only"
    assert not any(PIN_MARK in cell.source for cell in code_cells), "pins live in metadata, not in the cells"
    assert any("expected_output" in cell.metadata.get("dogcat", {}) for cell in code_cells), "a pinned output"
    assert "sys.path" not in "".join(c.source for c in code_cells), "install dogcat_lib, never sys.path hacks"


def markdown_and_code(path):
    nb = nbformat.read(path, as_version=4)
    return nb.cells


def headings(cells) -> list[tuple[int, str]]:
    return [(i, line) for i, c in enumerate(cells) if c.cell_type == "markdown"
            for line in c.source.splitlines() if line.startswith("## ")]  # fmt: skip


@pytest.mark.parametrize("path", course_notebooks(), ids=lambda p: p.name)
def test_every_notebook_has_the_courses_skeleton(path):
    """Title and goals, the course table, parameters, setup (extra code), numbered sections, summary,
    exercises with solutions that run; short cells (the handson-ml3 and MONAI habits)."""
    cells = markdown_and_code(path)
    title = cells[0].source
    assert cells[0].cell_type == "markdown" and title.startswith(f"# {path.name[:2]} · "), "title first"
    assert "**이 노트북에서 배우는 것**" in title and "| 강의 페이지의 단계 |" in title, (
        "goals and the course table"
    )
    assert "parameters" in cells[1].metadata.get("tags", []), "the parameters cell right after the title"
    found = headings(cells)
    names = [line for _, line in found]
    numbered = [line for line in names if line[3:4].isdigit()]
    assert numbered[0] == "## 0. 준비 (setup)", "setup is section 0"
    assert [int(line[3:].split(".")[0]) for line in numbered] == list(range(len(numbered))), (
        "sections 0, 1, 2, ..."
    )
    order = [
        names.index(n)
        for n in ("## 요약 (summary)", "## 연습문제 (exercises)", "## 연습문제 해답 (solutions)")
    ]
    assert order == sorted(order) and order[0] > names.index(numbered[-1]), (
        "summary, exercises, solutions last"
    )
    setup_at = next(i for i, line in found if line == numbered[0])
    first_section = next(i for i, line in found if line == numbered[1])
    setup_code = [c.source for c in cells[setup_at:first_section] if c.cell_type == "code"]
    assert any(s.startswith("# extra code") for s in setup_code), "setup cells are marked as extra code"
    for source in setup_code:
        imports_only = all(isinstance(node, ast.Import | ast.ImportFrom) for node in ast.parse(source).body)
        assert imports_only or source.startswith("# extra code"), f"unmarked setup cell: {source[:60]!r}"
    exercises = next(
        c.source for c in cells if c.cell_type == "markdown" and "## 연습문제 (exercises)" in c.source
    )
    items = [line for line in exercises.splitlines() if line[:2] in {f"{n}." for n in range(1, 10)}]
    assert 3 <= len(items) <= 5, "3-5 exercises"
    solutions_at = next(i for i, line in found if line == "## 연습문제 해답 (solutions)")
    assert any(c.cell_type == "code" for c in cells[solutions_at:]), "solutions that run"
    for cell in cells:  # every cell short: code and prose alike
        assert len(cell.source.splitlines()) <= 25, f"a cell over 25 lines: {cell.source[:60]!r}"


@pytest.mark.parametrize("path", course_notebooks(), ids=lambda p: p.name)
def test_the_prose_is_korean(path):
    """Korean first: Hangul outweighs Latin letters in the markdown (English terms in parentheses)."""
    import re

    prose = "".join(c.source for c in markdown_and_code(path) if c.cell_type == "markdown")
    hangul, latin = len(re.findall(r"[\uac00-\ud7a3]", prose)), len(re.findall(r"[A-Za-z]", prose))
    assert hangul / (hangul + latin) >= 0.5, (
        f"{hangul / (hangul + latin):.0%} of the prose's letters are Hangul"
    )
    comments = [line.split("#", 1)[1] for c in markdown_and_code(path) if c.cell_type == "code"
                for line in c.source.splitlines() if "  # " in line]  # fmt: skip
    korean = [c for c in comments if re.search(r"[\uac00-\ud7a3]", c)]
    assert len(korean) >= 0.8 * len(comments), "code comments in Korean"


def rendered_text(markdown: str) -> str:
    """The text a CommonMark renderer shows for ``markdown`` (markdown-it-py: Jupyter's and GitHub's rules),
    code spans and blocks left out: inside them asterisks and backticks are meant."""
    from markdown_it import MarkdownIt

    tokens = MarkdownIt("commonmark").enable("table").parse(markdown)
    text = []
    for token in tokens:
        for child in token.children or []:
            if child.type == "text":
                text.append(child.content)
    return "\n".join(text)


@pytest.mark.parametrize("path", course_notebooks(), ids=lambda p: p.name)
def test_markdown_renders_as_written(path):
    """A bold term closed after punctuation, then a Hangul particle (`**혼동 행렬 (confusion matrix)**은`)
    is not bold in CommonMark: its asterisks show. So do stray underscores and backticks."""
    for cell in markdown_and_code(path):
        if cell.cell_type != "markdown":
            continue
        shown = rendered_text(cell.source)
        for mark in ("**", "__", "`"):
            assert mark not in shown, (
                f"{path.name}: {mark!r} shows in the rendered text of {cell.source[:80]!r}"
            )


def test_the_markdown_check_catches_an_unclosed_bold_term():
    assert "**" in rendered_text("**혼동 행렬 (confusion matrix)**은 실수를 셉니다")
    assert "**" not in rendered_text("**혼동 행렬**(confusion matrix)은 실수를 셉니다")
    assert "`" not in rendered_text("`model.fit`을 부릅니다 | 표 | `a` |")


#: Korean Windows: OpenCV hands cv2.imread's path to the C library in the ANSI code page, and a path
#: holding Hangul (C:\Users\홍길동\...) is not found: imread returns None. Simulated on any machine.
KOREAN_WINDOWS_IMREAD = """
import cv2

_imread = cv2.imread
cv2.imread = lambda path, *flags: _imread(path, *flags) if str(path).isascii() else None
"""


@pytest.mark.notebook
def test_notebook_01_runs_under_a_hangul_path_with_spaces_as_on_korean_windows(tmp_path):
    import papermill
    from papermill.iorw import load_notebook_node
    from papermill.parameterize import parameterize_notebook

    from dogcat_lib import make_sample, read_csv

    folder = tmp_path / "홍길동의 문서" / "강아지 고양이 과제"
    sample = make_sample(folder / "내 사진", n_per_class=6)
    out_csv = folder / "결과 파일.csv"
    parameters = {"SOURCE": str(sample / "train"), "OUT_CSV": str(out_csv), "COURSE_PHOTOS": 4}
    parameters |= {"WORK_DIR": str(folder / "연습 폴더"), "LIMIT": None, "SEED": 0, "EXCLUDE": ""}
    nb = parameterize_notebook(load_notebook_node(str(NOTEBOOKS / "01_preprocess_local.ipynb")), parameters)
    nb.cells.insert(0, nbformat.v4.new_code_cell(KOREAN_WINDOWS_IMREAD))
    nbformat.write(nb, tmp_path / "01.ipynb")
    ran = papermill.execute_notebook(str(tmp_path / "01.ipynb"), str(folder / "01 실행.ipynb"),
                                     kernel_name="python3", cwd=str(folder), progress_bar=False)  # fmt: skip
    printed = "".join(o.get("text", "") for c in ran.cells if c.cell_type == "code" for o in c.outputs)
    assert (
        "cv2.imread와 같은 픽셀: None (경로에 한글)" in printed
    )  # the course's line met the trap, and was shown
    assert (
        "사진이 아니라 글자로 된 파일입니다" in printed and "빈 파일입니다 (0바이트)" in printed
    )  # in Korean
    from dogcat_lib.plumbing.errors import KOREAN_REASONS

    english = [s for start in KOREAN_REASONS for s in ([start] if isinstance(start, str) else start)]
    assert not [s for s in english if s in printed], "a skip reason printed in English"
    assert sorted(p.name for p in (folder / "연습 폴더" / "train").iterdir())[:2] == [
        "cat.0.jpg",
        "cat.1.jpg",
    ]
    X, y = read_csv(out_csv)
    assert X.shape == (12, 80 * 80) and np.bincount(y).tolist() == [6, 6]


@pytest.mark.notebook
def test_notebook_01_without_the_photos_says_in_korean_where_train_zip_goes(tmp_path):
    """The first error a student meets (no train.zip yet): one Korean line, naming the README's step."""
    import papermill

    parameters = {"SOURCE": str(tmp_path / "없는 폴더" / "train.zip"), "OUT_CSV": str(tmp_path / "x.csv")}
    with pytest.raises(papermill.PapermillExecutionError) as raised:
        papermill.execute_notebook(str(NOTEBOOKS / "01_preprocess_local.ipynb"), str(tmp_path / "01.ipynb"),
                                   parameters=parameters | {"WORK_DIR": str(tmp_path / "w")},
                                   kernel_name="python3", progress_bar=False)  # fmt: skip
    assert raised.value.ename == "SystemExit"
    assert raised.value.evalue.startswith(
        f"사진이 없습니다: {tmp_path / '없는 폴더' / 'train.zip'}. README의 '3."
    )
