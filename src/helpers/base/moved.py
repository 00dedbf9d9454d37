"""The package's former flat module paths (before the stage sub-packages) keep working, with a FutureWarning that
names the new path: a researcher's ``from helpers.indicators import indicator_table`` runs as before and says where
the name lives now. The old name is the same module object as the new one (a patch through either reaches both).
New code, the notebooks, the tests and the README use the new paths only.
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.util
import sys
import warnings

# Former module -> its home now. (helpers.models, .sources, .site and .pipeline are packages now: their former
# modules' names are forwarded by the package's __getattr__, see FORMER_CONTENTS.)
MOVED_MODULES = {
    "helpers.config": "helpers.base.config", "helpers.errors": "helpers.base.errors", "helpers.notices": "helpers.base.notices",
    "helpers.languages": "helpers.base.languages", "helpers.numbers": "helpers.base.numbers",
    "helpers.fetch": "helpers.sources.fetch", "helpers.pxweb": "helpers.sources.pxweb", "helpers.sotkanet": "helpers.sources.sotkanet",
    "helpers.population": "helpers.sources.population", "helpers.cache_entries": "helpers.sources.cache_entries",
    "helpers.citations": "helpers.sources.citations", "helpers.flags": "helpers.sources.flags",
    "helpers.geography": "helpers.geo.layers", "helpers.municipality_key": "helpers.geo.municipality_key",
    "helpers.groupings": "helpers.geo.groupings", "helpers.municipal_changes": "helpers.geo.municipal_changes",
    "helpers.indicators": "helpers.tables.indicators", "helpers.aggregate": "helpers.tables.aggregate",
    "helpers.joins": "helpers.tables.joins", "helpers.table_cache": "helpers.tables.table_cache", "helpers.surveys": "helpers.tables.surveys",
    "helpers.model_metrics": "helpers.models.metrics", "helpers.analysis": "helpers.models",
    "helpers.analysis.apportionment": "helpers.models.apportionment", "helpers.analysis.associations": "helpers.models.associations",
    "helpers.analysis.findings": "helpers.models.findings", "helpers.analysis.partitions": "helpers.models.partitions",
    "helpers.analysis.scorecard": "helpers.models.scorecard", "helpers.analysis.site_data": "helpers.models.site_data",
    "helpers.maps": "helpers.figures.maps", "helpers.svgmap": "helpers.figures.svgmap", "helpers.charts": "helpers.figures.charts",
    "helpers.classify": "helpers.figures.classify", "helpers.export": "helpers.figures.export",
    "helpers.pages": "helpers.site.pages", "helpers.front_page": "helpers.site.front_page", "helpers.model_view": "helpers.site.model_view",
    "helpers.model_pages": "helpers.site.model_pages", "helpers.boundary_maps": "helpers.site.boundary_pages",
    "helpers.indicator_pages": "helpers.site.indicator_pages", "helpers.survey_pages": "helpers.site.survey_pages",
    "helpers.site_nav": "helpers.site.nav", "helpers.sources_page": "helpers.site.sources_page", "helpers.downloads": "helpers.site.downloads",
    "helpers.cli": "helpers.pipeline.cli", "helpers.runs": "helpers.pipeline.runs", "helpers.preflight": "helpers.pipeline.preflight",
    "helpers.executors": "helpers.pipeline.executors", "helpers.warm_kernels": "helpers.pipeline.warm_kernels",
}
# Package that was a module -> where that module's names live now.
FORMER_CONTENTS = {
    "helpers.models": "helpers.models.model_files",
    "helpers.sources": "helpers.sources.registry",
    "helpers.site": "helpers.site.build",
    "helpers.pipeline": "helpers.pipeline.job",
}
# Names that moved out of their former module into a module of their own.
MOVED_NAMES = {
    ("helpers.site.pages", "atomic_write_text"): "helpers.base.files",
    ("helpers.pipeline.job", "file_sha"): "helpers.base.hashing",
    ("helpers.pipeline.job", "code_version"): "helpers.base.hashing",
    ("helpers.pipeline.job", "code_fingerprint"): "helpers.base.hashing",
    ("helpers.figures.charts", "value_table"): "helpers.site.value_tables",
    ("helpers.figures.charts", "value_table_html"): "helpers.site.value_tables",
    ("helpers.figures.charts", "linked_view"): "helpers.site.value_tables",
    ("helpers.figures.maps", "QUALITATIVE"): "helpers.figures.colours",
    ("helpers.pipeline.job", "execute_with_retries"): "helpers.pipeline.execute",
    ("helpers.pipeline.job", "is_startup_failure"): "helpers.pipeline.execute",
    ("helpers.pipeline.job", "KERNEL_START_ATTEMPTS"): "helpers.pipeline.execute",
    ("helpers.pipeline.job", "KERNEL_START_BACKOFF_S"): "helpers.pipeline.execute",
    ("helpers.pipeline.job", "descendants"): "helpers.pipeline.processes",
    ("helpers.pipeline.job", "stop_processes"): "helpers.pipeline.processes",
    ("helpers.pipeline.job", "STOP_GRACE_S"): "helpers.pipeline.processes",
    ("helpers.pipeline.job", "staged_files"): "helpers.pipeline.publish",
    ("helpers.pipeline.job", "RESERVED"): "helpers.pipeline.publish",
    ("helpers.pipeline.job", "SHARED_ASSET"): "helpers.pipeline.publish",
    ("helpers.pipeline.job", "LOCK"): "helpers.pipeline.publish",
    ("helpers.pipeline.job", "STAGING"): "helpers.pipeline.publish",
    ("helpers.pipeline.job", "PublishError"): "helpers.pipeline.publish",
    ("helpers.pipeline.job", "package_versions"): "helpers.pipeline.manifest",
    ("helpers.pipeline.job", "PACKAGES"): "helpers.pipeline.manifest",
    ("helpers.pipeline.job", "MAX_MANIFEST_BYTES"): "helpers.pipeline.manifest",
    ("helpers.pipeline.job", "load_manifest"): "helpers.pipeline.manifest",
    ("helpers.pipeline.job", "MANIFEST"): "helpers.pipeline.manifest",
    ("helpers.pipeline.job", "ShaMemo"): "helpers.pipeline.fingerprints",
    ("helpers.pipeline.job", "InputChecker"): "helpers.pipeline.fingerprints",
    ("helpers.pipeline.job", "run_fingerprint"): "helpers.pipeline.fingerprints",
    ("helpers.pipeline.job", "RunResult"): "helpers.pipeline.results",
    ("helpers.pipeline.job", "RefreshReport"): "helpers.pipeline.results",
    ("helpers.figures.maps", "neighbour_colouring"): "helpers.figures.colours",
}


def _warn(old: str, new: str) -> None:
    """The warning points at the line that used the old name, not at the import machinery or this module."""
    frame = sys._getframe(1)
    while frame is not None and (frame.f_code.co_filename == __file__ or frame.f_code.co_filename.startswith("<frozen")
                                  or frame.f_code.co_name == "__getattr__"):
        frame = frame.f_back
    where = (frame.f_code.co_filename, frame.f_lineno, frame.f_globals) if frame is not None else ("<unknown>", 0, {})
    warnings.warn_explicit(f"{old} has moved to {new} (see ARCHITECTURE.md); the old name will be removed", FutureWarning,
                           where[0], where[1], module=where[2].get("__name__"), registry=where[2].setdefault("__warningregistry__", {}))


def forward(package: str, name: str):
    """A former module's name asked of the package that replaced it (``helpers.models.load_model``)."""
    if name.startswith("__"):
        raise AttributeError(f"module {package!r} has no attribute {name!r}")
    home = FORMER_CONTENTS[package]
    module = importlib.import_module(home)
    if (home, name) in MOVED_NAMES:
        home = MOVED_NAMES[(home, name)]
        module = importlib.import_module(home)
    if not hasattr(module, name):
        raise AttributeError(f"module {package!r} has no attribute {name!r}")
    _warn(f"{package}.{name}", f"{home}.{name}")
    return getattr(module, name)


class _MovedFinder(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Imports a former module path as the module that now holds it."""

    def find_spec(self, fullname, path=None, target=None):
        if fullname in MOVED_MODULES:
            return importlib.util.spec_from_loader(fullname, self)
        return None

    def __init__(self) -> None:
        self._own_specs = {}

    def create_module(self, spec):
        new = MOVED_MODULES[spec.name]
        module = importlib.import_module(new)
        self._own_specs[spec.name] = module.__spec__
        _warn(spec.name, new)
        return module

    def exec_module(self, module) -> None:
        # The import system has just stamped the old name's spec on the module: give it back its own.
        module.__spec__ = self._own_specs.pop(module.__spec__.name)


def install() -> None:
    if not any(isinstance(f, _MovedFinder) for f in sys.meta_path):
        sys.meta_path.insert(0, _MovedFinder())  # first: the path finder would load a second copy
