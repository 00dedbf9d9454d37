"""Publishing a run's files into outputs/: the names reserved there, the files a run's staging folder holds (shared
assets left out), the atomic copy, and putting a run's files in place whole or not at all (every path checked to lie
inside outputs/), journaled so that the next refresh finishes what a killed one left.

A run is published in three steps; until the last, every previous file is still there under some name:

1. *stage*: each new file is moved (the executed notebook copied) beside its target under a hidden name
   (``.NAME.TX.new``);
2. *swap*: each previous file gets a second name (``.NAME.TX.old``, a hard link) and the new file is renamed over it
   (``os.replace``: a reader sees the old page or the new one, and one holding the old file open keeps reading the
   old bytes); a file the run no longer makes is renamed aside the same way;
3. *commit*: the journal records the run's manifest entry, then the previous files are deleted.

An error in 1–2 renames every previous file back (the same files) and removes the new ones: the run failed, nothing
of it was published. The journal (``outputs/.publish-journal.jsonl``, one line per step, written before the step) is
removed once the refresh has written its manifest. A journal found at the start of a refresh (the refresh was killed,
crashed, or could not write its manifest) is finished by :func:`recover` before anything else: runs committed in it
enter the manifest as published, runs caught part-way get their previous files back, and the manifest is written
again, re-checked against the disk.
"""

from __future__ import annotations

import errno
import json
import os
import re
import shutil
from pathlib import Path

from helpers.base.config import SCRATCH_DIR
from helpers.base.errors import ConfigError, SoteError, UnsafePath
from helpers.base.files import atomic_write, hidden_prefix, naming
from helpers.base.hashing import file_sha
from helpers.pipeline.fingerprints import ShaMemo
from helpers.pipeline.manifest import MANIFEST, MAX_MANIFEST_BYTES, check_manifest, counts, rechecked, write_json
from helpers.pipeline.preflight import check_relative, inside
from helpers.pipeline.runs import clip

LOCK = ".refresh.lock"
STAGING = ".staging"
JOURNAL = ".publish-journal.jsonl"
# top-level names of outputs/ a run's files may not use (scratch/: notebooks run by hand, helpers.base.config.outputs_dir)
RESERVED = (MANIFEST, LOCK, STAGING, JOURNAL, "notebooks", "failed", SCRATCH_DIR)
SHARED_ASSET = "site/assets/plotly.min.js"  # the full plotly.js's name: never published by a run, whichever file pages load
_TX = re.compile(r"^[0-9a-f]{16}$")


class PublishError(SoteError):
    """Publishing a run's files failed; ``moved`` lists the run's new files still in outputs/ (none when every previous
    file was put back, as it is unless putting back failed too)."""

    def __init__(self, message: str, moved: list[str]):
        super().__init__(message)
        self.moved = moved


def shown(path, outputs: Path) -> str:
    """A path as messages show it: relative to outputs/ when inside it."""
    try:
        return Path(os.fsdecode(path)).relative_to(outputs).as_posix()
    except ValueError:
        return os.fsdecode(path)


def os_problem(exc: OSError, outputs: Path, target: Path | None = None) -> str:
    """'PermissionError: Permission denied (site/x.html)': the error and the file it is about (``target`` rather than
    a hidden file beside it)."""
    if target is not None:
        exc = naming(exc, target)
    where = f" ({clip(shown(exc.filename, outputs), 160)})" if exc.filename is not None else ""
    return f"{exc.__class__.__name__}: {exc.strerror or exc}{where}"


def atomic_copy(src: Path, dst: Path, outputs: Path) -> None:
    """Copy ``src`` to ``dst`` through a temporary file beside it and a rename; an OSError names ``dst``."""
    inside(outputs, dst.parent)
    atomic_write(dst, lambda tmp: shutil.copyfile(src, tmp), check=lambda: inside(outputs, dst))


def _shared_assets() -> set[str]:
    """Files every page shares (plotly.js, the site script, the stylesheet): the pipeline writes them once, runs do not
    publish them."""
    from helpers.site.pages import SHARED_ASSETS

    return {SHARED_ASSET} | {f"site/{Path(a).as_posix()}" for a in SHARED_ASSETS}


def staged_files(staged: Path) -> list[tuple[Path, str]]:
    """(file, path relative to outputs) of a run's staging folder; a symlink or special file there is an error."""
    found = []
    if not staged.is_dir():
        return found
    shared = _shared_assets()
    for folder, dirs, files in os.walk(staged, followlinks=False):
        for name in dirs + files:
            path = Path(folder) / name
            rel = path.relative_to(staged).as_posix()
            if path.is_symlink():
                raise UnsafePath(f"the run made a symbolic link {clip(rel, 120)}; allowed: plain files and folders")
            if name in files and not path.is_file():
                raise UnsafePath(f"the run made a special file {clip(rel, 120)}; allowed: plain files")
        for name in sorted(files):
            path = Path(folder) / name
            rel = path.relative_to(staged).as_posix()
            if rel in shared or any(part.startswith(".") for part in Path(rel).parts):
                continue
            found.append((path, rel))
    return sorted(found, key=lambda f: f[1])


# --------------------------------------------------------------------------- one run, whole or not at all


def beside(target: Path, tx: str, kind: str) -> Path:
    """Where publishing ``tx`` keeps a new file until the swap (``kind`` 'new') or a previous one until the commit
    ('old'): a hidden name beside the target."""
    return target.with_name(f"{hidden_prefix(target)}{tx}.{kind}")


class Journal:
    """``outputs/.publish-journal.jsonl`` of one refresh: a line per step of publishing, written before the step."""

    def __init__(self, outputs: Path):
        self.outputs = Path(outputs)
        self.path = self.outputs / JOURNAL
        self.unfinished: set[str] = set()  # publishings whose previous files could not all be put back

    def record(self, **fields) -> None:
        line = json.dumps(fields, ensure_ascii=False, separators=(",", ":")) + "\n"
        with open(self.path, "a", encoding="utf-8") as fh:
            end = fh.tell()
            try:
                fh.write(line)
                fh.flush()
            except OSError:
                os.truncate(self.path, end)  # a torn line would hide the lines after it; a full disk still truncates
                raise

    def close(self) -> bool:
        """After the manifest was written: remove the journal (True), unless a run's previous files could not all be
        put back; then the next refresh tries again (False)."""
        if self.unfinished:
            return False
        self.path.unlink(missing_ok=True)
        return True


def _parents_to_make(folder: Path, outputs: Path) -> list[Path]:
    missing = []
    while folder != outputs and outputs in folder.parents and not os.path.lexists(folder):
        missing.append(folder)
        folder = folder.parent
    return missing


def _stage(src: Path, new: Path, move: bool) -> None:
    if move:
        try:
            os.replace(src, new)
        except OSError as exc:
            if exc.errno != errno.EXDEV:
                raise
            shutil.copyfile(src, new)  # a folder of outputs/ on another file system
    else:
        shutil.copyfile(src, new)
    os.chmod(new, 0o644)


def _keep_previous(target: Path, old: Path) -> None:
    """A second name for the previous file, so it outlives the swap; where hard links are not possible it is renamed
    aside (the page is missing until the swap)."""
    try:
        os.link(target, old, follow_symlinks=False)
    except OSError:
        os.replace(target, old)


def put_back(tx: str, files: dict[str, bool], stale: list[str], outputs: Path, made: list[Path] = ()) -> tuple[list[str], str]:
    """Undo publishing ``tx`` as far as it got: every previous file renamed back to its name, the run's new files
    (staged, or swapped in where there was none before) removed. ``files``: path -> whether a previous file was there.
    Goes on past a failure; returns the paths not put back and the first error."""
    left, first = [], ""
    for rel in [*files, *stale]:
        try:
            target = check_relative(rel, outputs)
            old, new = beside(target, tx, "old"), beside(target, tx, "new")
            if os.path.lexists(old):
                if os.path.lexists(target) and os.path.samestat(os.lstat(old), os.lstat(target)):
                    old.unlink()  # kept but not yet swapped: the previous file is still in place (a rename would do nothing)
                else:
                    os.replace(old, target)
            elif rel in files and not files[rel] and os.path.lexists(target):
                target.unlink()  # nothing was there before: whatever is there is the run's
            new.unlink(missing_ok=True)
        except (OSError, UnsafePath) as exc:
            left.append(rel)
            first = first or (os_problem(exc, outputs) if isinstance(exc, OSError) else str(exc))
    for folder in sorted(made, key=lambda p: len(p.parts), reverse=True):
        try:
            folder.rmdir()
        except OSError:
            pass  # not empty (another file is there now), or gone
    return left, first


def publish_files(staged: Path, files: list[tuple[str, str]], outputs: Path, previous: list[str], claimed: dict[str, str],
                  run_name: str, shas: "ShaMemo | None" = None, *, copies: list[tuple[Path, str]] = (),
                  journal: Journal | None = None, entry=None) -> list[str]:
    """Put the run's files in place of the previous ones, whole or not at all, and drop the files of ``previous`` it
    no longer makes. ``files``: path relative to outputs/ and sha256, as the worker listed them, moved from ``staged``;
    ``copies``: (file, path relative to outputs/) copied, such as the executed notebook. Returns the published paths
    (files, then copies).

    Everything is checked first (a plain file in staging, inside outputs/, not reserved, not written by another run
    of this refresh), so a check failure touches nothing. A failure part-way puts every previous file back and raises
    PublishError naming the file. ``journal``: the steps, recorded for :func:`recover`; ``entry(present)``: the run's
    manifest entry from its published files (path -> sha256), recorded as the commit."""
    items = []  # (source, path relative to outputs/, sha256 or None, moved)
    for rel, sha in files:
        path = staged / rel
        if path.is_symlink() or not path.is_file():
            raise UnsafePath(f"the run's file {clip(rel, 120)} is not a plain file in staging; allowed: plain files")
        if Path(rel).parts[0] in RESERVED:
            raise UnsafePath(f"the run wrote {clip(rel, 120)}; allowed: files outside the reserved {', '.join(RESERVED)}")
        if rel in claimed and claimed[rel] != run_name:
            raise UnsafePath(f"the run wrote {clip(rel, 120)}, which run {claimed[rel]} also writes in this refresh; allowed: one run per output file")
        items.append((path, rel, sha, True))
    items += [(Path(src), rel, None, False) for src, rel in copies]
    had = {}
    for _src, rel, _sha, _moved in items:
        had[rel] = os.path.lexists(check_relative(rel, outputs))
    stale = []
    for rel in sorted(set(previous) - set(had)):
        if claimed.get(rel, run_name) != run_name:
            continue  # another run of this refresh makes it now
        if os.path.isfile(check_relative(rel, outputs)):  # a folder there now is not the run's file: left alone
            stale.append(rel)
    tx = os.urandom(8).hex()
    if journal is not None:
        try:
            journal.record(op="begin", tx=tx, run=run_name, files=[[rel, old] for rel, old in had.items()], stale=stale)
        except OSError as exc:
            raise PublishError(f"publishing failed: cannot write the publish journal: {os_problem(exc, outputs, journal.path)}; "
                               "nothing of the run was published", []) from None
    made: list[Path] = []  # folders made for the run's files, removed again if it is not published
    real = Path(os.path.realpath(outputs))
    present: dict[str, str] = {}
    targets: dict[str, Path] = {}
    where, target = "", None  # the step under way, and the file it is about
    try:
        for src, rel, sha, moved in items:  # 1. stage: every new file beside its target
            where, target = f" at {clip(rel, 120)}", None
            target = check_relative(rel, outputs)
            inside(outputs, target.parent)
            made += _parents_to_make(target.parent, real)
            target.parent.mkdir(parents=True, exist_ok=True)
            target = inside(outputs, outputs / rel)  # again, now that every parent exists
            if target.is_dir() and not target.is_symlink():
                raise IsADirectoryError(errno.EISDIR, "a folder is where the file should be", str(target))
            _stage(src, beside(target, tx, "new"), moved)
            present[rel] = sha or file_sha(beside(target, tx, "new"))
            targets[rel] = target
        for rel, target in targets.items():  # 2. swap: the previous file kept under a second name, the new one renamed over it
            where = f" at {clip(rel, 120)}"
            if had[rel]:
                _keep_previous(target, beside(target, tx, "old"))
            os.replace(beside(target, tx, "new"), target)
        for rel in stale:
            where, target = f" at {clip(rel, 120)} (a file the run no longer makes)", None
            target = check_relative(rel, outputs)
            os.replace(target, beside(target, tx, "old"))
        if journal is not None:  # 3. commit
            where, target = " when committing it", journal.path
            journal.record(op="published", tx=tx, run=run_name, entry=entry(present) if entry is not None else None)
    except Exception as exc:  # noqa: BLE001 - whatever stopped it, the previous files go back
        problem = os_problem(exc, outputs, target) if isinstance(exc, OSError) else f"{exc.__class__.__name__}: {clip(exc, 200)}"
        left, why = put_back(tx, had, stale, outputs, made)
        if not left:
            outcome = "nothing of the run was published, its previous files are as they were"
            if journal is not None:
                try:
                    journal.record(op="put_back", tx=tx)
                except OSError:
                    journal.unfinished.add(tx)  # the next refresh puts them back again (finding nothing to do)
        else:
            outcome = (f"putting its previous files back failed too at {clip(left[0], 120)} ({why}); "
                       "the next refresh puts them back")
            if journal is not None:
                journal.unfinished.add(tx)
        if journal is not None and tx in journal.unfinished:
            # the next refresh removes whatever is where this run's new files were: no other run may make them now
            left = sorted(set(left) | {rel for rel, old in had.items() if not old})
        raise PublishError(f"publishing failed{where}: {problem}; {outcome}", [r for r in left if r in had]) from None
    for rel in [*targets, *stale]:  # the previous files, no longer needed
        try:
            beside(check_relative(rel, outputs), tx, "old").unlink(missing_ok=True)
        except (OSError, UnsafePath):
            pass  # a hidden file left behind; the page itself is published
    if shas is not None:
        for rel, target in targets.items():
            shas.remember(target, present[rel])
    return list(present)


# --------------------------------------------------------------------------- files no run made

UNMADE = "site: files no run made"  # the journal's name for removing them (shown if a killed refresh puts them back)


def _site_step_file(rel: str) -> bool:
    """A file of the site step after the runs (``helpers.site.build.write_index``): the shared assets, the builder's
    data, the hub pages in every language and the downloads beside them (``<page stem>.<name>.csv/.json``,
    ``helpers.site.downloads``). One missed here is only written again by that step, which runs right after the
    removal."""
    from helpers.base.languages import LANGS
    from helpers.site.builder import DATA_FILE as BUILDER_DATA, PAGE as BUILDER
    from helpers.site.model_view import PAGE as MODEL_VIEW
    from helpers.site.nav import INDICATORS_PAGE, REGIONS_PAGE
    from helpers.site.pages import PLOTLY_ASSET
    from helpers.site.sources_page import PAGE_NAME as SOURCES_PAGE

    parts = Path(rel).parts
    if parts[:2] == ("site", PLOTLY_ASSET.parts[0]) or Path(rel) == Path("site") / BUILDER_DATA:
        return True
    for hub in (MODEL_VIEW, BUILDER, INDICATORS_PAGE, REGIONS_PAGE, SOURCES_PAGE, "index.html"):
        for lang in LANGS:
            page = Path("site") / (hub if lang == LANGS[0] else f"{lang}/{hub}")
            if Path(rel).parent == page.parent and Path(rel).name.startswith(f"{page.stem}."):
                return True
    return False


def unmade_files(outputs: Path, manifest: dict) -> list[str]:
    """Files under ``outputs/site/`` (paths relative to outputs/) that no run of ``manifest`` lists, now or at its
    last success, and the site step does not write: a page written by hand into the site, a run's page from before it
    was renamed. Hidden files (temporary, the site step's stamps) and symbolic links are left alone."""
    from helpers.site.build import PROFILE_DATA, is_profile_page

    made = set()
    for entry in manifest.get("runs", {}).values():
        made.update(entry.get("outputs") or [])
        made.update((entry.get("last_success") or {}).get("outputs") or [])
    # The profiles' comparison data is the site step's while a run makes a profile page (which reads it; the site
    # step writes it then): a refresh removed it and wrote it again.
    profiles = any(rel.startswith("site/") and is_profile_page(rel[len("site/"):]) for rel in made)
    keep = {(Path("site") / PROFILE_DATA).as_posix()} if profiles else set()
    found = []
    for folder, dirs, files in os.walk(outputs / "site"):  # symbolic links to folders are listed, not entered
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for name in sorted(files):
            path = os.path.join(folder, name)
            rel = Path(path).relative_to(outputs).as_posix()
            if name.startswith(".") or os.path.islink(path) or rel in made or rel in keep or _site_step_file(rel):
                continue
            found.append(rel)
    return found


def remove_unmade(outputs: Path, manifest: dict, journal: Journal | None = None) -> tuple[list[str], str]:
    """Remove :func:`unmade_files` as a run's publishing drops a file it no longer makes: renamed aside, committed in
    the journal, then deleted, so a refresh killed part-way gets them back from :func:`recover` (and removes them
    next time). Returns the removed paths and what stopped it ('' when nothing did); emptied folders go too."""
    outputs = Path(outputs)
    unmade = unmade_files(outputs, manifest)
    if not unmade:
        return [], ""
    try:
        publish_files(outputs, [], outputs, unmade, {}, UNMADE, journal=journal)
    except PublishError as exc:
        return [], f"{clip(unmade[0], 160)}: files no run made were not removed ({clip(exc, 300)})"
    except (OSError, SoteError) as exc:
        return [], f"{clip(unmade[0], 160)}: files no run made were not removed ({clip(exc, 300)})"
    site = outputs / "site"
    for folder in sorted({(outputs / rel).parent for rel in unmade}, key=lambda p: len(p.parts), reverse=True):
        while folder != site and site in folder.parents:
            try:
                folder.rmdir()
            except OSError:
                break  # not empty
            folder = folder.parent
    return unmade, ""


# --------------------------------------------------------------------------- after a refresh that was killed


def _journal_problem(path: Path, what: str) -> ConfigError:
    return ConfigError(f"{path} is malformed ({clip(what, 200)}); move it aside (mv {path} {path}.bad) and run again: "
                       "runs whose files differ from the manifest then run again")


def _read_journal(path: Path, outputs: Path) -> list[dict]:
    try:
        if path.is_symlink() or not path.is_file():
            raise _journal_problem(path, "not a plain file")
        if path.stat().st_size > MAX_MANIFEST_BYTES:
            raise _journal_problem(path, f"larger than {MAX_MANIFEST_BYTES} bytes")
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read it ({exc.strerror or exc}); check the outputs folder's permissions") from None
    lines = text.split("\n")
    records, begun = [], {}
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            rec = json.loads(line)
        except (ValueError, RecursionError) as exc:
            if number == len(lines):  # the last line, torn by the kill: its step never started
                break
            raise _journal_problem(path, f"line {number}: not valid JSON ({exc})") from None
        if not isinstance(rec, dict) or not isinstance(rec.get("tx"), str) or not _TX.match(rec["tx"]):
            raise _journal_problem(path, f"line {number}: expected an object with a publishing id (tx)")
        op, tx = rec.get("op"), rec["tx"]
        if op == "begin":
            files, stale = rec.get("files"), rec.get("stale")
            if (not isinstance(rec.get("run"), str) or not isinstance(files, list) or not isinstance(stale, list)
                    or not all(isinstance(f, list) and len(f) == 2 and isinstance(f[0], str) and isinstance(f[1], bool) for f in files)
                    or not all(isinstance(s, str) for s in stale)):
                raise _journal_problem(path, f"line {number}: a 'begin' needs run, files [[path, bool]] and stale [path]")
            for rel in [f[0] for f in files] + stale:
                try:
                    check_relative(rel, outputs)
                except UnsafePath as exc:
                    raise _journal_problem(path, f"line {number}: {exc}") from None
            begun[tx] = rec
        elif op in ("published", "put_back"):
            if tx not in begun:
                raise _journal_problem(path, f"line {number}: '{op}' of a publishing that did not begin")
            if op == "published" and rec.get("entry") is not None:
                check_manifest({"runs": {begun[tx]["run"]: rec["entry"]}}, path, outputs, problem=_journal_problem)
        else:
            raise _journal_problem(path, f"line {number}: unknown step {clip(repr(op), 40)}")
        records.append(rec)
    return records


def recover(outputs: Path, manifest: dict, shas: ShaMemo | None = None) -> tuple[dict, str]:
    """Finish what a refresh left in its journal (it was killed, crashed, or could not write its manifest): runs it
    committed keep their new files and enter the manifest, runs caught part-way get their previous files back; the
    manifest is written again, re-checked against the disk, and the journal removed. Returns the manifest and a line
    saying what was done ('' when there was nothing to do)."""
    outputs = Path(outputs)
    path = outputs / JOURNAL
    if not os.path.lexists(path):
        return manifest, ""
    begun, committed, done = {}, {}, set()
    for rec in _read_journal(path, outputs):
        if rec["op"] == "begin":
            begun[rec["tx"]] = rec
        elif rec["op"] == "published":
            committed[rec["tx"]] = rec
        else:
            done.add(rec["tx"])
    kept, restored = [], []
    for tx, rec in reversed(list(begun.items())):
        files, stale = {f[0]: f[1] for f in rec["files"]}, rec["stale"]
        if tx in committed:
            for rel in [*files, *stale]:
                for kind in ("old", "new"):
                    try:
                        beside(check_relative(rel, outputs), tx, kind).unlink(missing_ok=True)
                    except OSError:
                        pass
        elif tx not in done:
            left, why = put_back(tx, files, stale, outputs)
            if left:
                raise ConfigError(f"{path}: cannot put back the previous files of run {rec['run']} at {clip(left[0], 120)} "
                                  f"({why}); allowed: an outputs folder this user can write (the journal is kept: run again)")
            restored.append(rec["run"])
    runs = dict(manifest.get("runs", {}))
    for tx, rec in committed.items():
        if rec.get("entry") is not None and runs.get(begun[tx]["run"]) != rec["entry"]:
            runs[begun[tx]["run"]] = rec["entry"]
            kept.append(begun[tx]["run"])
    if kept or restored:
        runs = {name: rechecked(entry, outputs, shas) for name, entry in runs.items()}
        manifest = {**manifest, "counts": counts(runs), "runs": runs}
        write_json(outputs / MANIFEST, manifest)
    path.unlink()
    if not (kept or restored):
        return manifest, ""  # the refresh had written its manifest; only its journal was left
    parts = []
    if kept:
        parts.append(f"{len(kept)} run(s) it had published entered the manifest ({clip(', '.join(kept), 160)})")
    if restored:
        parts.append(f"{len(restored)} run(s) caught part-way got their previous files back ({clip(', '.join(restored), 160)})")
    return manifest, f"finished the publishing of a refresh that stopped before writing its manifest: {'; '.join(parts)}"
