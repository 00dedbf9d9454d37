"""Helpers for the sote-NGO regional notebooks: data access, geography, indicators, models, figures, pipeline."""

__version__ = "0.1.0"
