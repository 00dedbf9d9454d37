"""The project's code files (helpers.base.hashing.code_files): exactly what ``Path.rglob`` finds for each pattern of
CODE_GLOBS, without the folders named ``cache``; what the code fingerprint and every cache key are made of."""

import os
from pathlib import Path

from helpers.base import hashing


def _by_rglob(root: Path) -> list[Path]:
    out = []
    for folder, pattern in hashing.CODE_GLOBS:
        for path in sorted((root / folder).rglob(pattern)):
            if "cache" not in path.relative_to(root).parts:
                out.append(path)
    return out


def test_code_files_are_what_rglob_finds_in_the_same_order(tmp_path):
    files = ["src/helpers/a.py", "src/helpers/b/c.py", "src/helpers/b/.hidden.py", "src/helpers/b.c/d.py",
             "src/helpers/site/x.j2", "src/helpers/site/x.css", "src/helpers/site/x.js", "src/helpers/notes.txt",
             "src/helpers/cache/skipped.py", "data/t.csv", "data/mallit/m.yaml", "data/cache/tables/e.csv",
             "data/deep/cache/f.yaml", "data/README.md"]
    for rel in files:
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text(rel, encoding="utf-8")
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "linked.py").write_text("x", encoding="utf-8")
    os.symlink(outside, tmp_path / "src/helpers/linked_folder")  # rglob does not enter it
    os.symlink(outside / "linked.py", tmp_path / "src/helpers/linked_file.py")  # a linked file is a file
    found = hashing.code_files(tmp_path)
    assert found == _by_rglob(tmp_path)
    rel = [p.relative_to(tmp_path).as_posix() for p in found]
    assert rel == ["src/helpers/a.py", "src/helpers/b/.hidden.py", "src/helpers/b/c.py", "src/helpers/b.c/d.py",
                   "src/helpers/linked_file.py", "src/helpers/site/x.j2", "src/helpers/site/x.js", "src/helpers/site/x.css",
                   "data/t.csv", "data/mallit/m.yaml"]


def test_the_projects_own_code_files_are_found_as_before():
    assert hashing.code_files() == _by_rglob(Path(hashing.config.PROJECT_ROOT))
