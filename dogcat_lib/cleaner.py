"""Find the mislabelled photos (notebook 04, section 4): page through the suspects, mark them.

Kaggle's training photos include wrong labels and odd ones (cartoons, people, no animal); the
photos the model gets most confidently wrong, those with the highest loss, are where to look
first (notebook 04 ranks them with Keras' own loss). :class:`PhotoCleaner` shows them one at a time
(ipywidgets) with buttons that mark a photo "wrong label" or "not a cat or dog"; every mark is saved
at once, atomically, to an exclusions file that ``dogcat preprocess --exclude FILE`` honours.

fastai's ``ImageClassifierCleaner`` does this for fastai's own data: this one reads the course's
folder or zip, and a script drives it too (each button calls a method). Only APIs that ipywidgets
7 (Colab) and 8 share are used; ipywidgets is imported when a cleaner is made, never at import time.
"""

from __future__ import annotations

import html
import os
from pathlib import Path

import cv2
import numpy as np
import pandas as pd

from .data.dataset import read_photo
from .data.exclusions import EXCLUSION_REASONS, read_exclusions, write_exclusions
from .data.imagespec import ImageSpec
from .data.labels import CLASS_NAMES_KO
from .data.photo import decode_photo
from .plumbing.errors import MissingDependency


def _png(image: np.ndarray) -> bytes:
    """PNG bytes of an RGB (H, W, 3) or gray (H, W) uint8 image."""
    bgr = cv2.cvtColor(image, cv2.COLOR_RGB2BGR) if image.ndim == 3 else image
    return cv2.imencode(".png", bgr)[1].tobytes()  # a uint8 image always encodes


class PhotoCleaner:
    """Page through suspect photos and mark the wrong or odd ones (an ipywidgets cleaner).

    ``suspects``: a DataFrame with columns ``name``, ``label`` (0/1), ``dog_probability`` and
    ``loss``, worst first (the first ``n`` rows are shown). The photos come from ``source`` (the
    folder or zip they were read from: the original photo is shown) or from ``X`` (the uint8 rows
    the model saw, indexed by the DataFrame's index). Marks are loaded from ``exclusions`` when it
    exists and saved there (atomically) after every change; marks of photos not in ``suspects``
    are kept.

    In a notebook, the cleaner's last line displays it. Every button calls a method:
    ``previous``/``next``, ``mark_wrong_label``, ``mark_not_cat_or_dog``, ``keep`` (un-mark).
    Notebook 04, section 4.
    """

    def __init__(
        self,
        suspects: pd.DataFrame,
        source: str | os.PathLike | None = None,
        X: np.ndarray | None = None,
        exclusions: str | os.PathLike = "exclusions.csv",
        n: int | None = None,
        image_size: int = 300,
    ):
        try:
            import ipywidgets as widgets
        except ImportError as exc:  # pragma: no cover - ipywidgets ships with Jupyter and Colab
            raise MissingDependency("the cleaner needs ipywidgets: pip install ipywidgets") from exc
        if source is None and X is None:
            raise ValueError("give the photos to show: source= (the folder or zip) or X= (the rows)")
        self.suspects = suspects.iloc[:n] if n is not None else suspects
        if len(self.suspects) == 0:
            raise ValueError("no photos to clean: the suspects table is empty")
        self.source, self.X, self.image_size = source, X, image_size
        self.path = Path(exclusions)
        self.marks: dict[str, str] = read_exclusions(self.path).marks if self.path.exists() else {}
        self.index = 0

        def button(label: str, action, style: str = "") -> widgets.Button:
            # width auto: the default 148 px cuts "고양이도 강아지도 아님" to "고양이도 강아지도 ..."
            widget = widgets.Button(
                description=label, button_style=style, layout=widgets.Layout(width="auto")
            )
            widget.on_click(lambda _: action())
            return widget

        self.buttons = {  # keyed by what each does (the reasons are what the file records)
            "previous": button("◀ 이전", self.previous),
            EXCLUSION_REASONS[0]: button("레이블이 틀림", self.mark_wrong_label, "danger"),
            EXCLUSION_REASONS[1]: button("고양이도 강아지도 아님", self.mark_not_cat_or_dog, "warning"),
            "keep": button("괜찮음", self.keep, "success"),
            "next": button("다음 ▶", self.next),
        }
        self.caption = widgets.HTML()
        # at its own size (at most image_size): stretched to the page's width it pushed the buttons off screen
        self.image = widgets.Image(format="png", layout=widgets.Layout(align_self="flex-start"))
        self.status = widgets.HTML()
        self.widget = widgets.VBox(
            [self.caption, self.image, widgets.HBox(list(self.buttons.values())), self.status]
        )
        self.show(0)

    def __len__(self) -> int:
        return len(self.suspects)

    @property
    def current(self) -> pd.Series:
        """The suspect shown now (a row of ``suspects``)."""
        return self.suspects.iloc[self.index]

    def _picture(self, row: pd.Series) -> np.ndarray:
        if self.source is not None:
            return decode_photo(read_photo(self.source, row["name"]), max_side=self.image_size)
        pixels = np.asarray(self.X)[int(row.name)]
        spec = ImageSpec.from_pixels(pixels.size)
        image = pixels.reshape(spec.shape).squeeze()
        scale = max(1, self.image_size // spec.size)
        return cv2.resize(image, (spec.size * scale, spec.size * scale), interpolation=cv2.INTER_NEAREST)

    def show(self, index: int) -> None:
        """Show suspect ``index`` (clamped to the first and last)."""
        self.index = int(min(max(index, 0), len(self) - 1))
        row = self.current
        mark = self.marks.get(row["name"], "없음")
        mark = self.buttons[mark].description if mark in EXCLUSION_REASONS else mark  # in Korean
        self.caption.value = (
            f"<b>{self.index + 1}/{len(self)}</b> &nbsp; <code>{html.escape(row['name'])}</code> &nbsp; "
            f"레이블 <b>{CLASS_NAMES_KO[int(row['label'])]}</b> &nbsp; "
            f"P(강아지) = {row['dog_probability']:.3f} &nbsp; "
            f"손실 {row['loss']:.2f} &nbsp; 표시: {mark}"
        )
        self.image.value = _png(self._picture(row))
        self.status.value = f"{len(self.marks)}장 표시함: {html.escape(str(self.path))}"

    def next(self) -> None:
        """Show the next suspect."""
        self.show(self.index + 1)

    def previous(self) -> None:
        """Show the previous suspect."""
        self.show(self.index - 1)

    def mark(self, reason: str) -> None:
        """Mark the photo shown with ``reason``, save, and show the next one."""
        self.marks[self.current["name"]] = reason
        self.save()
        self.next()

    def mark_wrong_label(self) -> None:
        """The photo shows the other animal: mark it "wrong label"."""
        self.mark(EXCLUSION_REASONS[0])

    def mark_not_cat_or_dog(self) -> None:
        """No cat or dog (a cartoon, a person, nothing): mark it "not a cat or dog"."""
        self.mark(EXCLUSION_REASONS[1])

    def keep(self) -> None:
        """The photo is fine: remove its mark if it has one, and show the next one."""
        if self.marks.pop(self.current["name"], None) is not None:
            self.save()
        self.next()

    def save(self) -> Path:
        """Write every mark to the exclusions file (atomically)."""
        return write_exclusions(self.marks, self.path)

    def _ipython_display_(self) -> None:
        from IPython.display import display

        display(self.widget)
