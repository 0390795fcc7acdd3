"""Typed errors that say what went wrong and what to do about it."""

from __future__ import annotations


class DogcatError(Exception):
    """Base class of the package's errors: the message is meant for the user, in one line."""


class DatasetError(DogcatError, ValueError):
    """A source folder/zip or a CSV that cannot become the course's dataset (the message names the fix)."""


class ImageError(DogcatError, ValueError):
    """One file that cannot be decoded as a photo; ``str(err)`` is the reason it is skipped."""


class MissingDependency(DogcatError, ImportError):
    """An optional part of the package is not installed; the message gives the pip command."""
