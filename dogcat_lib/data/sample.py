"""A generated stand-in for Kaggle's ``train.zip``, so ``make demo`` and the tests run offline.

The photos are synthetic but shaped like the real thing: JPEGs named ``train/cat.N.jpg`` and
``train/dog.N.jpg``, of varied sizes, with noise, random placement and brightness. The classes
differ in something a small CNN can see at 80x80 grayscale: a "cat" is a bright ellipse with two
triangular ears on top, a "dog" a bright ellipse with two long floppy ears hanging at its sides.
Never use it to judge accuracy: that is what the real sample is for.
"""

from __future__ import annotations

import os
import zipfile
from pathlib import Path

import cv2
import numpy as np

from ..plumbing.atomic import atomic_output


def draw_animal(label: int, rng: np.random.Generator, size: tuple[int, int] | None = None) -> np.ndarray:
    """A synthetic BGR photo of a "cat" (label 0) or a "dog" (label 1) as a uint8 array."""
    width, height = size or (int(rng.integers(120, 260)), int(rng.integers(120, 260)))
    background = rng.integers(20, 110, size=3)
    image = np.empty((height, width, 3), dtype=np.uint8)
    image[:] = background.astype(np.uint8)
    # clutter so the background is not a constant
    for _ in range(int(rng.integers(2, 6))):
        p1 = (int(rng.integers(0, width)), int(rng.integers(0, height)))
        p2 = (int(rng.integers(0, width)), int(rng.integers(0, height)))
        cv2.line(image, p1, p2, rng.integers(0, 140, size=3).tolist(), int(rng.integers(1, 5)))
    scale = min(width, height) * float(rng.uniform(0.22, 0.32))
    cx = int(width / 2 + rng.uniform(-0.12, 0.12) * width)
    cy = int(height / 2 + rng.uniform(-0.08, 0.12) * height)
    fur = rng.integers(150, 256, size=3).tolist()
    axes = (int(scale), int(scale * rng.uniform(0.8, 1.0)))
    if label == 0:  # cat: pointed ears above the head
        for side in (-1, 1):
            base_x = cx + side * int(scale * 0.55)
            ear = np.array(
                [
                    [base_x - int(scale * 0.35), cy - int(axes[1] * 0.6)],
                    [base_x + int(scale * 0.35), cy - int(axes[1] * 0.6)],
                    [base_x + side * int(scale * 0.15), cy - int(axes[1] * 1.6)],
                ],
                dtype=np.int32,
            )
            cv2.fillPoly(image, [ear], fur)
    else:  # dog: long ears hanging down the sides of the head
        for side in (-1, 1):
            center = (cx + side * int(scale * 1.0), cy + int(axes[1] * 0.35))
            cv2.ellipse(
                image,
                center,
                (int(scale * 0.28), int(scale * 0.8)),
                side * 15,
                0,
                360,
                [max(0, c - 60) for c in fur],
                -1,
            )
    cv2.ellipse(image, (cx, cy), axes, 0, 0, 360, fur, -1)
    eye_dy = int(axes[1] * 0.2)
    for side in (-1, 1):
        eye = (cx + side * int(scale * 0.35), cy - eye_dy)
        cv2.circle(image, eye, max(2, int(scale * 0.1)), (20, 20, 20), -1)
    noise = rng.normal(0, 12, size=image.shape)
    return np.clip(image + noise, 0, 255).astype(np.uint8)


def encode_jpeg(image: np.ndarray, quality: int = 90) -> bytes:
    """JPEG bytes of a BGR or gray uint8 image."""
    return cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, quality])[1].tobytes()


def make_sample(
    out: str | os.PathLike,
    n_per_class: int = 200,
    seed: int = 0,
    unlabelled: int = 0,
) -> Path:
    """Write a Kaggle-like sample: ``out`` ending in ``.zip`` gives a zip, otherwise a folder.

    Holds ``train/cat.{i}.jpg`` and ``train/dog.{i}.jpg`` (``n_per_class`` each) and, with
    ``unlabelled > 0``, ``test1/{i}.jpg`` like Kaggle's ``test1.zip``. Same seed, same bytes.
    A zip is written atomically. Returns ``out``.
    """
    rng = np.random.default_rng(seed)
    members: list[tuple[str, bytes]] = []
    for i in range(n_per_class):
        for label, name in ((0, "cat"), (1, "dog")):
            members.append((f"train/{name}.{i}.jpg", encode_jpeg(draw_animal(label, rng))))
    for i in range(1, unlabelled + 1):
        members.append((f"test1/{i}.jpg", encode_jpeg(draw_animal(int(rng.integers(0, 2)), rng))))
    out = Path(out)
    if out.suffix.lower() == ".zip":
        with atomic_output(out) as raw, zipfile.ZipFile(raw, "w", zipfile.ZIP_STORED) as zf:
            for name, data in members:
                zf.writestr(zipfile.ZipInfo(name, date_time=(2013, 9, 25, 0, 0, 0)), data)
    else:
        for name, data in members:
            path = out / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
    return out
