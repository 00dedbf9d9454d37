"""All HTTP of the project: live requests with timeouts, retries and an on-disk cache, or an offline mirror.

* Live (default): a ``requests_cache.CachedSession`` (filesystem backend under ``data/cache/http``) with urllib3
  retries on connection errors, 429 and 5xx. A cached answer older than the source's ``max_age`` is fetched again;
  if that fails the error is raised (``stale_if_error`` is off): stale data is never served as fresh. Bodies are
  stored as the bytes received (not re-encoded JSON), so a cached answer has the sha256 of the live one. An entry
  that cannot be read back (truncated, garbage, wrong fields) is discarded with a :class:`CacheWarning` and fetched
  again; redirect aliases are kept in memory only, so there is no shared SQLite file to break.
* Mirror (``SOTE_MIRROR`` set): a transport adapter answers every http(s) request from the mirror's
  ``INDEX.json``. A request it does not hold raises :class:`MirrorMiss`; the network is never touched. Every file an
  index names (``response``, ``body``) must lie inside its service folder once symbolic links are resolved: an entry
  naming ``../../x.json``, an absolute path or a link to a file elsewhere is a :class:`MirrorMiss` naming the entry and
  the path, and nothing outside the folder is read.
* A cache file of the wrong kind (a directory, a symbolic link, a named pipe) heals like a corrupt one: removed with the
  one-line :class:`CacheWarning` and fetched again.

Every answer comes with a provenance record (URL, method, body, fetch time, sha256, source, licence).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import re
import shutil
import stat
import warnings
from collections import OrderedDict
from dataclasses import dataclass, field
from datetime import datetime, timezone
from functools import lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

import requests
from filelock import FileLock
from requests.adapters import BaseAdapter, HTTPAdapter
from urllib3.util.retry import Retry

from helpers.base import config
from helpers.base.errors import FetchError, MirrorMiss
from helpers.sources.registry import get_source

USER_AGENT = "sote-jarjestokartat/0.1 (research notebooks; +https://github.com/)"
TIMEOUT = (10, 120)  # connect, read seconds
RETRY = Retry(
    total=4,
    connect=4,
    read=2,
    status=4,
    backoff_factor=1.5,
    status_forcelist=(429, 500, 502, 503, 504),
    allowed_methods=frozenset({"GET", "POST"}),
    respect_retry_after_header=True,
    raise_on_status=False,
)
# Mirror kinds in order of preference when several index entries answer the same request
# (a full reconstructed table beats a recorded excerpt of a few rows).
_KIND_RANK = {"recorded": 0, "recorded-geometry": 1, "reconstructed": 2, "derived": 3, "recorded-excerpt": 9}


@dataclass
class Fetched:
    """The body of an answer and where it came from."""

    content: bytes
    provenance: dict[str, Any] = field(default_factory=dict)

    def json(self) -> Any:
        try:
            return json.loads(self.content)
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            p = self.provenance
            raise FetchError(
                f"{p.get('method')} {p.get('url')}: the answer is not valid JSON ({exc.__class__.__name__}: {exc}); "
                f"{len(self.content)} bytes received"
            ) from None

    def text(self) -> str:
        return self.content.decode("utf-8")


def canonical_request(method: str, url: str, params: dict | None = None, body: Any = None) -> str:
    """A key that is the same for equivalent requests: lower-case scheme/host/parameter names, default port
    dropped, parameters sorted (repeated ones kept), JSON body in canonical form."""
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    port = parts.port
    if port and not ((parts.scheme == "https" and port == 443) or (parts.scheme == "http" and port == 80)):
        host = f"{host}:{port}"
    query = [(k.lower(), v) for k, v in parse_qsl(parts.query, keep_blank_values=True)]
    if params:
        for k, v in params.items():
            for item in v if isinstance(v, (list, tuple)) else [v]:
                query.append((k.lower(), str(item)))
    query.sort()
    key = f"{method.upper()} {parts.scheme.lower()}://{host}{parts.path}"
    if query:
        key += "?" + urlencode(query)
    if body is not None:
        key += " " + json.dumps(body, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return key


class CacheWarning(UserWarning):
    """A cache entry was stale, corrupt or unreadable: it was discarded and is rebuilt from its source."""


def cache_notice(path, why: str) -> None:
    """The one way the package reports a healed cache entry: one line naming the file and why."""
    warnings.warn(f"{path}: {why}; discarded and rebuilt from its source", CacheWarning, stacklevel=3)


_KINDS = ((stat.S_ISDIR, "a directory"), (stat.S_ISLNK, "a symbolic link"), (stat.S_ISFIFO, "a named pipe"),
          (stat.S_ISSOCK, "a socket"), (stat.S_ISCHR, "a device"), (stat.S_ISBLK, "a device"))


def wrong_kind(path) -> str | None:
    """What stands where a cache file should be when it is not a regular file ('a directory', 'a symbolic link', …);
    None for a regular file or nothing. Caches write regular files only, so anything else is not an entry of theirs
    (and reading it could fail every time, or block, or read a file elsewhere)."""
    try:
        mode = os.lstat(path).st_mode
    except OSError:
        return None
    if stat.S_ISREG(mode):
        return None
    return next((name for test, name in _KINDS if test(mode)), "not a regular file")


def remove_cache_path(path) -> None:
    """Remove what stands at a cache entry's path, whatever its kind: a directory with its contents, a symbolic link
    itself (never what it points to), a file. Nothing there is fine."""
    try:
        mode = os.lstat(path).st_mode
    except FileNotFoundError:
        return
    if stat.S_ISDIR(mode):
        shutil.rmtree(path)
    else:
        os.unlink(path)


def _describe(method: str, url: str, params: dict | None, body: Any) -> str:
    text = f"{method} {url}"
    if params:
        text += ("&" if "?" in url else "?") + urlencode(params, doseq=True)
    if body is not None:
        text += " body=" + json.dumps(body, ensure_ascii=False, separators=(",", ":"))
    return text


# --------------------------------------------------------------------------- mirror


def _entry_text(entry) -> str:
    if not isinstance(entry, dict):
        return repr(entry)[:200]
    return f"{entry.get('method', 'GET')} {entry.get('url')}"


def mirror_file(index_path: Path, entry: dict, field_name: str, *, must_exist: bool = True) -> Path:
    """The file an index entry names in ``field_name`` ('response' or 'body'), resolved (symbolic links followed);
    MirrorMiss naming the entry and the path unless it lies inside the index's service folder (and, with
    ``must_exist``, is a file there)."""
    folder = index_path.parent.resolve()
    name = entry.get(field_name) if isinstance(entry, dict) else None
    if not isinstance(name, str) or not name.strip():
        raise MirrorMiss(f"mirror index entry {_entry_text(entry)} names no {field_name} file (index {index_path})")
    path = (folder / name).resolve()
    if not path.is_relative_to(folder):
        raise MirrorMiss(f"mirror index entry {_entry_text(entry)}: {field_name} {name!r} resolves to {path}, outside the "
                         f"service folder {folder} (index {index_path}); allowed: files inside that folder")
    if must_exist and not path.is_file():
        raise MirrorMiss(f"mirror index entry {_entry_text(entry)}: {field_name} {name!r} is not a file in {folder} "
                         f"(index {index_path})")
    return path


@lru_cache(maxsize=16)
def _load_index(index_path: Path, mtime_ns: int, size: int) -> dict[str, list[dict]]:
    """Parsed once per file version: an edited INDEX.json changes its mtime or size and is read again. Every file an
    entry names must be inside the service folder (``mirror_file``), or no request of the service is answered."""
    try:
        raw = json.loads(index_path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise FetchError(f"{index_path}: not a readable mirror index ({exc.__class__.__name__}: {exc})") from None
    table: dict[str, list[dict]] = {}
    for entry in raw.get("entries", []):
        mirror_file(index_path, entry, "response", must_exist=False)  # a missing file fails its own request only
        body = None
        if entry.get("body"):
            body = json.loads(mirror_file(index_path, entry, "body").read_text(encoding="utf-8"))
        key = canonical_request(entry.get("method", "GET"), entry["url"], None, body)
        table.setdefault(key, []).append(entry)
    for entries in table.values():
        entries.sort(key=lambda e: _KIND_RANK.get(e.get("kind", ""), 5))
    return table


# A miss names the request in short (a PxWeb body or a WFS URL can run to 600 characters) and what the mirror holds
# nearby: the same request with other years, levels or layers.
MISS_URL_CHARS = 160
MISS_BODY_CHARS = 120
MISS_VALUES_SHOWN = 12


def _clip(text: str, most: int) -> str:
    return text if len(text) <= most else text[: most - 1] + "…"


def _request_parts(key: str) -> tuple[str, str, dict[str, str]]:
    """(method and address without query, the address's parent folder, parameters: name -> value text) of a
    ``canonical_request`` key; a PxWeb body's query variables count as parameters (their selected values)."""
    method, _, rest = key.partition(" ")
    url, _, body_text = rest.partition(" ")
    parts = urlsplit(url)
    where = f"{method} {parts.scheme}://{parts.netloc}{parts.path}"
    params: dict[str, list[str]] = {}
    for name, value in parse_qsl(parts.query, keep_blank_values=True):
        params.setdefault(name, []).append(value)
    try:
        body = json.loads(body_text) if body_text else None
    except ValueError:
        body = body_text
    if isinstance(body, dict) and isinstance(body.get("query"), list):
        for var in body["query"]:
            if isinstance(var, dict):
                params[str(var.get("code"))] = [str(v) for v in ((var.get("selection") or {}).get("values") or [])]
        if isinstance(body.get("response"), dict):
            params["response format"] = [str(body["response"].get("format"))]
    elif body is not None:
        params["body"] = [json.dumps(body, sort_keys=True, ensure_ascii=False)]
    texts = {name: "+".join(sorted(values, key=_natural)) for name, values in params.items()}
    return where, where.rsplit("/", 1)[0], texts


def _natural(text: str):
    return (0, int(text), "") if text.isdigit() else (1, 0, text)


def _is_years(text: str) -> bool:
    return bool(text) and all(re.fullmatch(r"(19|20)\d\d", t) for t in text.split("+"))


def _listing(values, most: int = MISS_VALUES_SHOWN) -> str:
    """Values as a short list; names ending in a year are grouped by the rest ('kunta4500k_YYYY: 2024, 2025')."""
    values = sorted(set(values), key=lambda v: [_natural(p) for p in re.split(r"([+])", v)])
    groups: dict[str, list[str]] = {}
    for v in values:
        m = re.fullmatch(r"([^+]*[^+\d])((?:19|20)\d\d)", v)
        groups.setdefault(f"{m.group(1)}YYYY" if m else v, []).append(m.group(2) if m else "")
    items = [name if years == [""] else f"{name} ({', '.join(years)})" for name, years in groups.items()]
    if all(years == [""] for years in groups.values()):
        items = values
    shown = ", ".join(items[:most])
    return shown + (f" and {len(items) - most} more" if len(items) > most else "")


def mirror_holds(key: str, table: dict) -> str:
    """What the mirror holds that is most like the request ``key`` (a ``canonical_request``): the same address with
    the parameters that differ (e.g. 'for indicator=683, genders=total it holds years 2021, 2022, 2023; asked years
    2019'), else the addresses in the same folder, else that it holds nothing there."""
    where, parent, asked = _request_parts(key)
    held = [_request_parts(k) for k in table]
    same = [p for w, _, p in held if w == where]
    if not same:
        near = [w.rsplit("/", 1)[-1] for w, folder, _ in held if folder == parent]
        if near:
            return f"in {parent.split(' ', 1)[-1]}/ it holds {_listing(near)}"
        return f"it holds nothing for {where.split(' ', 1)[-1]}"
    # Years are what a miss is usually about: the entries alike in everything else are the ones to name.
    score = [sum(p.get(n) == v for n, v in asked.items() if not _is_years(v)) for p in same]
    best = [p for p, sc in zip(same, score) if sc == max(score)]
    common = [n for n, v in asked.items() if not _is_years(v) and all(p.get(n) == v for p in best)]
    differ = [n for n in dict.fromkeys([*asked, *(n for p in best for n in p)]) if n not in common]
    if not differ:
        return "it holds this address with the same parameters in another form"
    context = f"for {', '.join(f'{n}={_clip(asked[n], 40)}' for n in common)} " if common else ""
    holds = "; ".join(f"{n} {_listing(p.get(n, '(none)') for p in best)}" for n in differ)
    wanted = "; ".join(f"{n} {_clip(asked.get(n, '(none)'), 60)}" for n in differ)
    return f"{context}it holds {holds}; asked {wanted}"


class MirrorAdapter(BaseAdapter):
    """Answers requests from ``<mirror>/<service>/INDEX.json``; never opens a socket."""

    def __init__(self, mirror: Path, subdir: str):
        super().__init__()
        self.folder = mirror / subdir
        self.index_path = self.folder / "INDEX.json"
        if not self.index_path.is_file():
            raise MirrorMiss(f"mirror folder {self.folder} has no INDEX.json (is {config.MIRROR_ENV} the mirror's top folder?)")

    def send(self, request, **kwargs):  # noqa: D401 - requests adapter API
        body = None
        if request.body:
            raw = request.body if isinstance(request.body, bytes) else request.body.encode("utf-8")
            body = json.loads(raw)
        key = canonical_request(request.method, request.url, None, body)
        stat = self.index_path.stat()
        table = _load_index(self.index_path, stat.st_mtime_ns, stat.st_size)
        entries = table.get(key)
        if not entries:
            body_text = json.dumps(body, ensure_ascii=False, separators=(",", ":")) if body is not None else ""
            raise MirrorMiss(
                f"the mirror does not hold {request.method} {_clip(request.url, MISS_URL_CHARS)}"
                + (f" with body {_clip(body_text, MISS_BODY_CHARS)}" if body is not None else "")
                + f"; {mirror_holds(key, table)} (index: {self.index_path})"
            )
        entry = entries[0]
        resolved = mirror_file(self.index_path, entry, "response")  # again: a file may have become a link since
        path = self.folder / entry["response"]
        response = requests.Response()
        response.status_code = 200
        response._content = resolved.read_bytes()
        response.url = request.url
        response.request = request
        response.reason = "OK (mirror)"
        response.headers["X-Mirror-File"] = str(path)
        response.headers["X-Mirror-Kind"] = entry.get("kind", "")
        return response

    def close(self):
        pass


# --------------------------------------------------------------------------- sessions


@lru_cache(maxsize=1)
def _checked_file_cache_class():
    """requests-cache's filesystem backend, made to heal: an entry it cannot read back becomes a miss (refetched)
    with a CacheWarning instead of an error on every run (requests-cache itself only logs a decode error, and a
    well-formed but wrong entry, e.g. ``{}``, reaches the caller as an HTTP 0 answer or a cattrs exception)."""
    from requests_cache import CachedResponse
    from requests_cache.backends.base import BaseCache, DictStorage
    from requests_cache.backends.filesystem import FileCache, FileDict

    class CheckedFileCache(FileCache):
        def __init__(self, cache_name, *, decode_content: bool, **kwargs):
            # Skip FileCache's redirects.sqlite: a broken database there fails every request; keep aliases in memory.
            BaseCache.__init__(self, cache_name=str(cache_name), **kwargs)
            self.responses = FileDict(cache_name, decode_content=decode_content, **kwargs)
            self.redirects = DictStorage()

        def get_response(self, key, default=None):
            path = self.cache_dir / f"{key}{self.responses.extension}"
            kind = wrong_kind(path)
            if kind is not None:  # a directory where the file should be: unreadable and unwritable, every time
                with contextlib.suppress(FileNotFoundError):
                    remove_cache_path(path)
                cache_notice(path, f"HTTP cache entry is {kind}, not a file")
                return default
            if key not in self.responses:
                return super().get_response(key, default)
            quiet = logging.getLogger("requests_cache.backends.base")
            was_disabled, quiet.disabled = quiet.disabled, True  # its own log line would repeat ours
            try:
                response = self.responses[key]
                problem = None
                if not isinstance(response, CachedResponse):
                    problem = "not a cached response (truncated or not JSON)"
                elif response.status_code != 200 or response.content is None:
                    problem = f"wrong fields (status {response.status_code!r})"
                elif not isinstance(getattr(response, "expires", None), (datetime, type(None))):
                    problem = "wrong fields (expires)"
            except KeyError:
                return default
            except Exception as exc:  # noqa: BLE001 - cattrs and serializer errors have no common base
                problem = f"unreadable ({exc.__class__.__name__}: {str(exc)[:120]})"
            finally:
                quiet.disabled = was_disabled
            if problem is None:
                return response
            cache_notice(path, f"HTTP cache entry {problem}")
            with contextlib.suppress(Exception):
                del self.responses[key]
            return default

    return CheckedFileCache


def _checked_file_cache(folder: Path):
    return _checked_file_cache_class()(folder, serializer="json", decode_content=False)


def _live_session(source_key: str):
    import requests_cache

    source = get_source(source_key)
    session = requests_cache.CachedSession(
        # Bodies kept as received (base64), not decoded JSON: re-encoded JSON would have another sha256.
        backend=_checked_file_cache(config.cache_dir() / "http" / source.key),
        expire_after=source.max_age,
        allowable_methods=("GET", "POST"),
        allowable_codes=(200,),
        stale_if_error=False,
        match_headers=False,
    )
    adapter = HTTPAdapter(max_retries=RETRY)
    session.mount("https://", adapter)
    session.mount("http://", adapter)
    session.headers["User-Agent"] = USER_AGENT  # Sotkanet answers 403 without one
    return session


def _mirror_session(mirror: Path, source_key: str) -> requests.Session:
    session = requests.Session()
    # Every request is answered from files by the adapter: proxy and .netrc settings from the environment do not
    # apply, and reading them took half of each mirrored request's time.
    session.trust_env = False
    adapter = MirrorAdapter(mirror, get_source(source_key).mirror_subdir)
    session.mount("https://", adapter)
    session.mount("http://", adapter)
    return session


# Requests made while a derived table is being built (helpers.tables.table_cache): which answers it was built from.
_RECORDERS: list[list] = []


@contextlib.contextmanager
def recording_fetches():
    """Collect every fetch made inside the block: ``{"call": {source, url, method, params, json_body}, "sha256"}``."""
    calls: list = []
    _RECORDERS.append(calls)
    try:
        yield calls
    finally:
        for i, open_calls in enumerate(_RECORDERS):  # by identity: two empty lists are equal
            if open_calls is calls:
                del _RECORDERS[i]
                break


def _note_call(source: str, url: str, method: str, params, json_body, sha256: str) -> None:
    entry = {"call": {"source": source, "url": url, "method": method, "params": params, "json_body": json_body},
             "sha256": sha256}
    for calls in _RECORDERS:
        if entry not in calls:  # a request asked again is one input
            calls.append(entry)


# In a refresh run the same request is answered from memory (and recorded again as an input): one region profile
# asked for the same few answers 130 times, each time through the HTTP cache or the mirror (0.38 s, measured).
_RUN_MEMO: OrderedDict = OrderedDict()
_RUN_MEMO_MAX = 64


def fetch(source: str, url: str, *, method: str = "GET", params: dict | None = None, json_body: Any = None) -> Fetched:
    """Fetch one request from the live service (cached) or the mirror, with a provenance record.

    Raises FetchError naming the request on any failure (connection, HTTP status, mirror miss).
    """
    src = get_source(source)
    method = method.upper()
    mirror = config.mirror_dir()
    memo_key = None
    if config.in_refresh_run():
        memo_key = json.dumps([src.key, method, url, params, json_body, str(mirror), str(config.cache_dir())],
                              sort_keys=True, default=str)
        hit = _RUN_MEMO.get(memo_key)
        if hit is not None:
            _RUN_MEMO.move_to_end(memo_key)
            _record_provenance(dict(hit.provenance))
            _note_call(source, url, method, params, json_body, hit.provenance["sha256"])
            return Fetched(content=hit.content, provenance=dict(hit.provenance))
    described = _describe(method, url, params, json_body)
    session = _mirror_session(mirror, source) if mirror else _live_session(source)
    # Parallel refresh workers share the on-disk cache, whose files are not written atomically: one process at a
    # time per source reads or writes it (live requests to one service are rate-limited anyway).
    guard = contextlib.nullcontext() if mirror else FileLock(str(config.cache_dir() / "http" / f".{src.key}.lock"))
    try:
        with guard:
            response = session.request(method, url, params=params, json=json_body, timeout=TIMEOUT)
    except MirrorMiss:
        raise
    except requests.exceptions.RequestException as exc:
        raise FetchError(f"{described} failed: {exc.__class__.__name__}: {exc}") from exc
    finally:
        session.close()
    if response.status_code != 200:
        snippet = response.text[:300].replace("\n", " ") if response.content else ""
        raise FetchError(
            f"{described} failed: HTTP {response.status_code} {response.reason or ''}".rstrip()
            + (" after retries" if response.status_code in RETRY.status_forcelist else "")
            + (f": {snippet}" if snippet else "")
        )
    content = response.content
    if mirror:
        origin = "mirror"
        fetched_at = datetime.now(timezone.utc)
    else:
        origin = "cache" if getattr(response, "from_cache", False) else "live"
        created = getattr(response, "created_at", None)
        fetched_at = created.replace(tzinfo=timezone.utc) if created and created.tzinfo is None else (created or datetime.now(timezone.utc))
    provenance = {
        "source": src.key,
        "source_title": src.title_fi,
        "licence": src.licence,
        "attribution": src.attribution_fi,
        "method": method,
        "url": response.url or url,
        "body": json_body,
        "fetched_at": fetched_at.isoformat(timespec="seconds"),
        "sha256": hashlib.sha256(content).hexdigest(),
        "bytes": len(content),
        "origin": origin,
    }
    if mirror:
        provenance["mirror_file"] = response.headers.get("X-Mirror-File")
        provenance["mirror_kind"] = response.headers.get("X-Mirror-Kind")
    _record_provenance(provenance, downloaded=origin == "live")
    _note_call(source, url, method, params, json_body, provenance["sha256"])
    if memo_key is not None:
        _RUN_MEMO[memo_key] = Fetched(content=content, provenance=dict(provenance))
        while len(_RUN_MEMO) > _RUN_MEMO_MAX:
            _RUN_MEMO.popitem(last=False)
    return Fetched(content=content, provenance=provenance)


PROVENANCE_LOG_ENV = "SOTE_PROVENANCE_LOG"


# run log -> (the file as this process left it: device, inode, size, time; request -> the last record written there)
_LOGGED: dict[str, tuple[tuple | None, dict[str, str]]] = {}


def record_input(provenance: dict, *, downloaded: bool = False) -> None:
    """Note that the running computation used this input (an answer, or a layer built from one).

    During a refresh it goes to the run's own log (``SOTE_PROVENANCE_LOG``), which becomes the run's inputs in the
    manifest. An answer just downloaded from the service (``downloaded``) is also appended to ``provenance.jsonl`` beside the cache: a
    record of every download (answers read back from the cache or a mirror are not, or that file would grow by
    thousands of lines a refresh).
    """
    line = json.dumps(provenance, ensure_ascii=False, default=str) + "\n"
    targets = [config.cache_dir() / "provenance.jsonl"] if downloaded else []
    log = os.environ.get(PROVENANCE_LOG_ENV)
    if log:
        # The run's log keeps the last record per request: a record equal to the last one this process wrote there
        # for the same request is not written again (a run reads the same answer up to a hundred times) - unless
        # the file is not as this process left it (removed, replaced, written to by someone else; a run's log has
        # one writer, its kernel).
        request = request_key(provenance)
        stamp, last = _LOGGED.get(log, (None, {}))
        as_left = stamp is not None and stamp == _file_stamp(log)
        if not as_left or last.get(request) != line:
            targets.append(Path(log))
    for target in targets:
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            with open(target, "a", encoding="utf-8") as fh:
                fh.write(line)
        except OSError:
            continue  # a read-only checkout can still compute; provenance travels with the Fetched object
        if str(target) == log:
            kept = last if as_left else {}
            kept[request] = line
            _LOGGED[log] = (_file_stamp(log), kept)


def request_key(record: dict) -> str:
    """What identifies the request of a provenance record (source, method, URL, body): the run's log keeps the last
    record per key (``pipeline.fingerprints.inputs_from_log``)."""
    return json.dumps([record.get(k) for k in ("source", "method", "url", "body")], sort_keys=True, ensure_ascii=False,
                      default=str)


def _file_stamp(path: str) -> tuple | None:
    try:
        st = os.stat(path)
    except OSError:
        return None
    return st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns


_record_provenance = record_input
