"""What a refresh comes to: a :class:`RunResult` per run (ok, failed or skipped, its outputs, inputs and error) and
the :class:`RefreshReport` over all of them (with the files not written after the runs); the manifest is written
from these."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from helpers.pipeline.runs import Run


@dataclass
class RunResult:
    run: Run
    status: str  # ok | failed | skipped
    started_at: str = ""
    duration_s: float = 0.0
    outputs: list[str] = field(default_factory=list)
    inputs: list[dict] = field(default_factory=list)
    error: str = ""
    fingerprint: str = ""
    notices: list[str] = field(default_factory=list)
    published: bool = False  # the run's new files replaced the previous ones
    timings: dict = field(default_factory=dict)  # phase -> seconds (where the run's time went)


@dataclass
class RefreshReport:
    results: list[RunResult]
    manifest_path: Path
    wall_s: float
    interrupted: int = 0  # the signal that stopped the refresh, 0 if none
    problems: list[str] = field(default_factory=list)  # files not written after the runs (manifest, index, hub pages): "path: why"
    repaired: str = ""  # what the refresh finished first of one that had been killed part-way ('' if nothing)

    @property
    def failures(self) -> list[RunResult]:
        return [r for r in self.results if r.status == "failed"]

    def counts(self) -> dict[str, int]:
        out = {"ok": 0, "skipped": 0, "failed": 0}
        for r in self.results:
            out[r.status] += 1
        return out
