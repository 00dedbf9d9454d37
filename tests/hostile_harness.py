"""Harness for driving ``python -m helpers.pipeline.cli refresh`` from outside, the way cron or CI does, and proving that a
hostile or broken input did no harm.

    case = HostileCase(tmp_path, shared)          # shared: the session's warm cache/geodata (fixture in the test module)
    case.copy_project()                           # optional: a temp copy of data/, notebooks/, runs.yaml to make hostile
    case.write_runs([{...}])                      # runs file in the case folder (a list of entries, or raw YAML text)
    res = case.run_cli("--runs", case.runs_file, "--notebooks", case.toy_notebooks)
    case.assert_clean(res, code=2, mentions=["allowed:"])

``assert_clean`` checks, for every case: the exit code; that the output names what it should; no traceback; that no
file outside the outputs folder changed (sha256 snapshot of the repository tree — without .venv, .git, caches — of the
project copy and of a sentinel folder beside outputs, taken before the run); that files named in ``survive`` are
byte-identical; that no staging folder is left; that the manifest lists exactly the files on disk with their sha256;
and that no process is left (children of this process, and any process whose environment carries the case's marker).

The real repository's ``src/``, ``tests/``, ``benchmarks/``, pins and README are left out of the snapshot by default because other
people may be editing them while the tests run; ``HOSTILE_STRICT=1`` includes them (CI).
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
TOY_NOTEBOOKS = REPO / "tests" / "fixtures" / "notebooks"
FIXTURE_MIRROR = REPO / "snapshot"  # the project's recorded answers: the tests and the offline first run read the same folder
MARKER_ENV = "SOTE_HOSTILE_CASE"
SKIP_PARTS = {".venv", ".git", "__pycache__", ".pytest_cache", ".ipynb_checkpoints", "cache", "geodata", "outputs",
              ".mypy_cache", ".ruff_cache"}
# Top-level names other people edit while tests run (code, pins, README); HOSTILE_STRICT=1 includes them.
BUSY_PARTS = {"src", "tests", "benchmarks", "pyproject.toml", "environment.yml", "README.md", "run", ".ci", ".github"}
CLEAN_ENV_DROP = ("SOTE_PROJECT_ROOT", "SOTE_MIRROR", "SOTE_OUTPUTS_DIR", "SOTE_CACHE_DIR", "SOTE_GEODATA_DIR",
                  "SOTE_PROVENANCE_LOG", "SOTE_NOTICES_LOG", "PYTEST_CURRENT_TEST")


def tree_snapshot(root: Path, *, skip_busy: bool = False) -> dict[str, str]:
    """relative path -> sha256 (or 'link:target' / 'dir') of everything under root, without caches."""
    out: dict[str, str] = {}
    if not root.exists():
        return out
    for folder, dirs, files in os.walk(root, followlinks=False):
        rel_folder = Path(folder).relative_to(root)
        keep = []
        for d in dirs:
            if d in SKIP_PARTS or d.endswith(".egg-info") or (skip_busy and rel_folder == Path(".") and d in BUSY_PARTS):
                continue
            if os.path.islink(os.path.join(folder, d)):
                out[(rel_folder / d).as_posix()] = "link:" + os.readlink(os.path.join(folder, d))
                continue
            keep.append(d)
            out[(rel_folder / d).as_posix()] = "dir"
        dirs[:] = keep
        for f in files:
            if skip_busy and rel_folder == Path(".") and f in BUSY_PARTS:
                continue
            path = Path(folder) / f
            rel = (rel_folder / f).as_posix()
            if path.is_symlink():
                out[rel] = "link:" + os.readlink(path)
            else:
                try:
                    out[rel] = hashlib.sha256(path.read_bytes()).hexdigest()
                except OSError as exc:
                    out[rel] = f"unreadable:{exc.errno}"
    return out


def _diff(before: dict[str, str], after: dict[str, str]) -> list[str]:
    changes = []
    for rel in sorted(set(before) | set(after)):
        if before.get(rel) != after.get(rel):
            what = "added" if rel not in before else "deleted" if rel not in after else "changed"
            changes.append(f"{what}: {rel}")
    return changes


def processes_with_marker(marker: str) -> list[int]:
    needle = f"{MARKER_ENV}={marker}".encode()
    found = []
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            with open(f"/proc/{entry.name}/environ", "rb") as fh:
                env = fh.read()
            with open(f"/proc/{entry.name}/stat", "rb") as fh:
                stat = fh.read()
        except OSError:
            continue
        if needle in env and stat[stat.rindex(b")") + 2:][:1] != b"Z":
            found.append(int(entry.name))
    return found


def child_processes(pid: int | None = None) -> list[int]:
    pid = pid or os.getpid()
    found = []
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/stat", "rb") as fh:
                stat = fh.read()
        except OSError:
            continue
        fields = stat[stat.rindex(b")") + 2:].split()
        if int(fields[1]) == pid and fields[0] != b"Z":
            found.append(int(entry.name))
    return found


@dataclass
class Result:
    code: int
    out: str
    err: str
    seconds: float

    @property
    def text(self) -> str:
        return self.err + self.out


@dataclass
class Shared:
    """Warm caches shared by every case of a session (outside the snapshots, like a server's cache folder)."""

    cache: Path
    geodata: Path
    mirror: Path


class HostileCase:
    def __init__(self, tmp_path: Path, shared: Shared):
        self.tmp = Path(tmp_path)
        self.shared = shared
        self.work = self.tmp / "work"
        self.outputs = self.work / "outputs"
        self.sentinel = self.work / "sentinel"  # beside outputs: '../sentinel' from inside outputs lands here
        self.sentinel.mkdir(parents=True)
        (self.sentinel / "keep.txt").write_text("älä koske\n", encoding="utf-8")
        (self.sentinel / "sub").mkdir()
        (self.sentinel / "sub" / "page.html").write_text("<p>sentinel</p>\n", encoding="utf-8")
        self.project: Path | None = None
        self.mirror = shared.mirror
        self.toy_notebooks = TOY_NOTEBOOKS
        self.runs_file = self.tmp / "runs.yaml"
        self.marker = uuid.uuid4().hex
        self._before: dict[str, dict[str, str]] | None = None
        self._survivors: dict[Path, bytes] = {}
        self._immutable: list[Path] = []
        self._children_before: set[int] = set()

    # ---------------------------------------------------------------- set-up

    def copy_project(self) -> Path:
        """A temporary copy of what the refresh reads from the project (SOTE_PROJECT_ROOT points at it)."""
        self.project = self.tmp / "project"
        for name in ("data", "notebooks", "src/helpers"):
            shutil.copytree(REPO / name, self.project / name, ignore=shutil.ignore_patterns("cache", "__pycache__"))
        shutil.copy2(REPO / "runs.yaml", self.project / "runs.yaml")
        shutil.copytree(TOY_NOTEBOOKS, self.project / "toy_notebooks")
        self.toy_notebooks = self.project / "toy_notebooks"
        return self.project

    def copy_mirror(self) -> Path:
        """A private copy of the fixture mirror, for cases that damage it."""
        self.mirror = self.tmp / "mirror"
        shutil.copytree(FIXTURE_MIRROR, self.mirror)
        return self.mirror

    def write_runs(self, runs, name: str = "runs.yaml") -> Path:
        import yaml

        path = self.tmp / name
        text = runs if isinstance(runs, str) else yaml.safe_dump({"runs": runs}, allow_unicode=True)
        path.write_text(text, encoding="utf-8")
        if name == "runs.yaml":
            self.runs_file = path
        return path

    def toy_runs(self, *entries: dict) -> Path:
        """Runs of the toy notebook putki.ipynb (fast; see tests/fixtures/notebooks)."""
        return self.write_runs([{"notebook": "putki.ipynb", **e} for e in entries])

    def survive(self, *paths: Path) -> None:
        """These files must be byte-identical after the run."""
        for p in paths:
            self._survivors[Path(p)] = Path(p).read_bytes()

    def make_immutable(self, folder: Path) -> None:
        """A folder nothing may be written into, even by root (chattr +i; chmod 555 for other users)."""
        if os.geteuid() == 0:
            subprocess.run(["chattr", "+i", str(folder)], check=True)
        else:
            folder.chmod(0o555)
        self._immutable.append(folder)

    def release(self) -> None:
        for folder in self._immutable:
            if os.geteuid() == 0:
                subprocess.run(["chattr", "-i", str(folder)], check=False)
            else:
                folder.chmod(0o755)
        self._immutable.clear()

    # ---------------------------------------------------------------- running

    def env(self, **extra) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if k not in CLEAN_ENV_DROP}
        env.update({
            "SOTE_MIRROR": str(self.mirror), "SOTE_OUTPUTS_DIR": str(self.outputs), "SOTE_CACHE_DIR": str(self.shared.cache),
            "SOTE_GEODATA_DIR": str(self.shared.geodata), MARKER_ENV: self.marker, "PYTHONUNBUFFERED": "1",
        })
        if self.project is not None:
            env["SOTE_PROJECT_ROOT"] = str(self.project)
        env.update({k: str(v) for k, v in extra.items() if v is not None})
        for k in [k for k, v in extra.items() if v is None]:
            env.pop(k, None)
        return env

    def snapshot(self) -> None:
        strict = os.environ.get("HOSTILE_STRICT") == "1"
        # Children the test process had before this case (a browser driver, a cluster of another test) are not its.
        self._children_before = set(child_processes())
        self._before = {
            "repository": tree_snapshot(REPO, skip_busy=not strict),
            "sentinel": tree_snapshot(self.sentinel),
            "project copy": tree_snapshot(self.project) if self.project else {},
            "mirror": tree_snapshot(self.mirror),
        }

    def start_cli(self, *args, env: dict | None = None) -> subprocess.Popen:
        if self._before is None:
            self.snapshot()
        cmd = [sys.executable, "-m", "helpers.pipeline.cli", "refresh", *[str(a) for a in args]]
        self._started = time.perf_counter()
        return subprocess.Popen(cmd, cwd=self.tmp, env=self.env(**(env or {})), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                text=True, errors="replace")

    def finish(self, proc: subprocess.Popen, timeout: float = 240) -> Result:
        try:
            out, err = proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            out, err = proc.communicate()
            raise AssertionError(f"the CLI did not end within {timeout} s:\n{err[-3000:]}") from None
        return Result(proc.returncode, out, err, round(time.perf_counter() - self._started, 2))

    def run_cli(self, *args, env: dict | None = None, timeout: float = 240) -> Result:
        return self.finish(self.start_cli(*args, env=env), timeout)

    def wait_for(self, condition, timeout: float = 60, what: str = "condition") -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if condition():
                return
            time.sleep(0.1)
        raise AssertionError(f"timed out after {timeout} s waiting for {what}")

    def leftover_processes(self, wait_s: float = 5.0) -> list[int]:
        """Processes of this case still alive after ``wait_s`` (they are killed, and reported)."""
        deadline = time.monotonic() + wait_s
        while True:
            new_children = set(child_processes()) - self._children_before if self._before is not None else set()
            left = sorted(set(processes_with_marker(self.marker)) | new_children)
            if not left or time.monotonic() > deadline:
                break
            time.sleep(0.1)
        for pid in left:
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass
        return left

    # ---------------------------------------------------------------- checks

    def manifest(self) -> dict:
        return json.loads((self.outputs / "manifest.json").read_text(encoding="utf-8"))

    def assert_manifest_matches_disk(self) -> None:
        path = self.outputs / "manifest.json"
        if not path.exists() or path in self._survivors:  # a hostile manifest the case planted is not the refresh's
            return
        for name, entry in self.manifest()["runs"].items():
            for rel in entry["outputs"]:
                file = self.outputs / rel
                assert file.is_file(), f"manifest lists {rel} for {name}, not on disk"
                assert hashlib.sha256(file.read_bytes()).hexdigest() == entry["sha256"][rel], f"{rel}: sha256 differs from the manifest"

    def assert_clean(self, res: Result, *, code: int, mentions: list[str] = (), absent: list[str] = (),
                     traceback_ok: bool = False, process_wait_s: float = 5.0) -> None:
        assert self._before is not None, "run the CLI through this case first"
        self.release()
        text = res.text
        assert res.code == code, f"exit {res.code}, expected {code}:\n{text[-4000:]}"
        for m in mentions:
            assert m in text, f"output does not mention {m!r}:\n{text[-4000:]}"
        for m in absent:
            assert m not in text, f"output mentions {m!r}:\n{text[-4000:]}"
        if not traceback_ok:
            assert "Traceback (most recent call last)" not in text, text[-4000:]
        assert len(text) < 200_000, f"{len(text)} characters of output"
        after = {
            "repository": tree_snapshot(REPO, skip_busy=os.environ.get("HOSTILE_STRICT") != "1"),
            "sentinel": tree_snapshot(self.sentinel),
            "project copy": tree_snapshot(self.project) if self.project else {},
            "mirror": tree_snapshot(self.mirror),
        }
        for where, snap in self._before.items():
            changes = _diff(snap, after[where])
            assert not changes, f"{where} changed outside the outputs folder: {changes[:20]}"
        for path, data in self._survivors.items():
            assert path.is_file() and path.read_bytes() == data, f"{path} did not survive unchanged"
        assert not (self.outputs / ".staging").exists() or not any((self.outputs / ".staging").iterdir()), "staging left behind"
        self.assert_manifest_matches_disk()
        left = self.leftover_processes(process_wait_s)
        assert not left, f"processes left behind: {left}"
