"""Ground floor: settings and paths (``config``), errors, notices, languages, number formatting, file hashing and
atomic writes. Imports nothing else of the package."""
