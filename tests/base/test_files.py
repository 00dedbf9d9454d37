"""Atomic writes (helpers.base.files): a reader holding the old file keeps reading it, the page gets a new file
(inode), a write that fails leaves the old page and no temporary file, and its OSError names the page."""

from __future__ import annotations

import errno
import os
import types

import pytest

from helpers.base import files
from helpers.base.files import atomic_write_text, naming


def hidden(folder):
    return sorted(p.name for p in folder.iterdir() if p.name.startswith("."))


def test_a_reader_of_the_old_page_keeps_the_old_bytes_and_the_page_is_a_new_file(tmp_path):
    page = tmp_path / "site" / "a.html"
    atomic_write_text(page, "vanha sivu\n")
    with open(page, "rb") as reader:
        before = os.fstat(reader.fileno()).st_ino
        atomic_write_text(page, "uusi sivu, pidempi kuin vanha\n")
        # written in place (a copy onto the page) the reader would read the new bytes from its open file
        assert reader.read() == b"vanha sivu\n"
    assert os.stat(page).st_ino != before
    assert page.read_text(encoding="utf-8") == "uusi sivu, pidempi kuin vanha\n"
    assert oct(os.stat(page).st_mode & 0o777) == oct(0o644) and hidden(page.parent) == []


def full_disk(room: int):
    """os.fdopen whose files take ``room`` characters and then fail as a full disk does (an OSError naming no file)."""

    def fdopen(fd, *args, **kwargs):
        fh = os.fdopen(fd, *args, **kwargs)

        class Writer:
            def __enter__(self):
                return self

            def __exit__(self, *exc):
                fh.close()
                return False

            def write(self, text):
                fh.write(text[:room])
                fh.flush()
                raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

        return Writer()

    return fdopen


def test_a_write_that_fails_part_way_leaves_the_old_page_and_names_it(tmp_path, monkeypatch):
    page = tmp_path / "a.html"
    atomic_write_text(page, "vanha sivu\n")
    inode = os.stat(page).st_ino
    monkeypatch.setattr(files, "os", types.SimpleNamespace(**{**vars(os), "fdopen": full_disk(4)}))
    with pytest.raises(OSError) as err:
        atomic_write_text(page, "uusi sivu, jota ei saatu kirjoitettua\n")
    assert err.value.errno == errno.ENOSPC and err.value.filename == str(page)  # the page, not the temporary file
    assert str(page) in str(err.value)
    assert page.read_text(encoding="utf-8") == "vanha sivu\n" and os.stat(page).st_ino == inode
    assert hidden(tmp_path) == []  # the half-written temporary file is gone


def test_errors_name_the_page_or_the_folder_that_stopped_it(tmp_path):
    (tmp_path / "tiedosto").write_text("ei kansio\n", encoding="utf-8")
    with pytest.raises(OSError) as err:
        atomic_write_text(tmp_path / "tiedosto" / "a.html", "x")  # a file where the folder should be
    assert err.value.filename == str(tmp_path / "tiedosto")
    page = tmp_path / "a.html"
    temporary = tmp_path / ".a.html.k2j3h4.tmp"
    assert naming(PermissionError(errno.EACCES, "Permission denied", str(temporary)), page).filename == str(page)
    assert type(naming(PermissionError(errno.EACCES, "Permission denied", str(temporary)), page)) is PermissionError
    copy = OSError(errno.ENOSPC, "No space left on device", "/elsewhere/source.ipynb", None, str(temporary))
    assert naming(copy, page).filename == str(page)  # a copy onto the page names the page, not where it read from
    other = FileNotFoundError(errno.ENOENT, "No such file or directory", "/elsewhere/x")
    assert naming(other, page) is other
    bare = naming(OSError("no errno"), page)
    assert bare.filename == str(page)
