"""What a notebook or the web page shows of a skipped file is Korean (issue 18): every reason the
library gives (in English, as the CLI prints it) has its Korean words in ``in_korean``."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

import dogcat_lib
from dogcat_lib import ImageError, in_korean, load_pixels

HANGUL = re.compile(r"[\uac00-\ud7a3]")
#: The functions whose returned strings are skip reasons, besides ImageError(...) and skipped.add(...).
REASON_FUNCTIONS = {"_member_reason", "_entry_kind", "label_with_reason"}


def leading_text(node: ast.expr) -> str | None:
    """The fixed start of a string or f-string literal (what in_korean matches on), else None."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr) and node.values and isinstance(node.values[0], ast.Constant):
        return node.values[0].value
    return None


def library_reasons() -> set[str]:
    """Every reason literal in dogcat_lib's source: ImageError("..."), skipped.add(name, "..."),
    and what the reason-making functions return."""
    found = set()
    for path in Path(dogcat_lib.__file__).parent.rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for function in (n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef)):
            for node in ast.walk(function):
                texts = []
                if (
                    isinstance(node, ast.Call)
                    and getattr(node.func, "id", None) == "ImageError"
                    and node.args
                ):
                    texts.append(node.args[0])
                if (
                    isinstance(node, ast.Call)
                    and getattr(node.func, "attr", None) == "add"
                    and len(node.args) == 2
                ):
                    texts.append(node.args[1])
                if (
                    isinstance(node, ast.Return)
                    and function.name in REASON_FUNCTIONS
                    and node.value is not None
                ):
                    texts += node.value.elts if isinstance(node.value, ast.Tuple) else [node.value]
                found |= {t for t in map(leading_text, texts) if t and t not in ("folder", "file")}
    return found


def test_the_scan_finds_the_reasons_a_student_meets():
    reasons = library_reasons()
    for expected in (
        "empty file (0 bytes)",
        "not an image (a text file)",
        "macOS metadata file",
        "unlabelled: ",
    ):
        assert any(r.startswith(expected) for r in reasons), expected
    assert len(reasons) >= 25, sorted(reasons)


@pytest.mark.parametrize("reason", sorted(library_reasons()))
def test_every_reason_of_the_library_has_korean_words(reason):
    assert HANGUL.search(in_korean(reason + "x")), f"{reason!r} is shown in English in a notebook"


def test_an_error_wrapped_by_the_upload_is_told_by_its_own_reason(tmp_path):
    from dogcat_lib.data.photo import open_photo

    with pytest.raises(ImageError) as raised:
        open_photo(b"my cat's vet appointment is on Monday\n", name="notes.txt")
    assert in_korean(raised.value) == "사진이 아니라 글자로 된 파일입니다"
    (tmp_path / "empty.jpg").write_bytes(b"")
    with pytest.raises(ImageError) as raised:
        load_pixels(tmp_path / "empty.jpg")
    assert in_korean(raised.value) == "빈 파일입니다 (0바이트)"


def test_the_exclusions_file_stays_named_and_an_unknown_reason_stays_as_it_is():
    assert in_korean("excluded by runs/04/exclusions.csv") == "제외 목록에 있습니다: runs/04/exclusions.csv"
    assert in_korean("something new") == "something new"
