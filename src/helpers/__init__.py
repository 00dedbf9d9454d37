"""Helpers for the sote-NGO regional notebooks, one sub-package per stage of the data path (ARCHITECTURE.md):
base → sources → geo → tables → models → figures → site → pipeline."""

from helpers.base import moved as _moved

__version__ = "0.1.0"

_moved.install()  # the former flat module paths keep working, with a warning naming the new one
