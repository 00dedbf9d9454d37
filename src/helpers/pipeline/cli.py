"""Command line: ``python -m helpers.pipeline.cli refresh [--mirror DIR] [options]`` (``./run refresh`` calls it).

Exit codes: 0 every run ok or skipped; 1 some run failed (see outputs/failed/), or a file written after the runs (the
manifest, the index, a hub page) could not be written (named in the summary); 2 bad input or configuration found
before any run (options, runs file, parameters, mirror, model files, duplicate outputs, manifest, publish journal,
outputs folder, lock); 130 / 143 stopped by SIGINT / SIGTERM (workers and kernels stopped, staging removed, manifest
written). Every fault of the command line or found before any run ends in one line starting ``refresh stopped:``;
``--debug`` adds the traceback.

``indicators --search WORD [--mirror DIR]`` (``./run indicators``) lists the Sotkanet indicators whose name holds the
word, one ``sotkanet:ID<TAB>name_fi<TAB>unit<TAB>years`` line each, usable as ids (``sotkanet:ID``); exit 0 (also when
none matches, said on stderr), 1 the search failed (e.g. Sotkanet unreachable), 2 bad arguments or mirror.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import traceback
from pathlib import Path

from helpers.base import config


def _one_line(text, limit: int = 300) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _shown(text: str) -> str:
    """An argument as messages quote it: at most 80 characters."""
    return repr(_one_line(text, 80))


class _Parser(argparse.ArgumentParser):
    """argparse, but its errors are the refresh's one-line message with exit code 2."""

    def error(self, message):
        self.print_usage(sys.stderr)
        what = "search" if self.prog.endswith(" indicators") else "refresh"  # the indicators subcommand's own errors
        print(f"{what} stopped: {_one_line(message, 500)}", file=sys.stderr)
        raise SystemExit(2)


MAX_WORKERS = 1024
MAX_TIMEOUT_S = 7 * 24 * 3600


def _whole_number(text: str, most: int, what: str) -> int:
    allowed = f"allowed: a whole number of {what} from 1 to {most}"
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{_shown(text)} is not allowed; {allowed}") from None
    if not 1 <= value <= most:
        raise argparse.ArgumentTypeError(f"{_one_line(value, 40)} is not allowed; {allowed}")
    return value


def positive_int(text: str) -> int:
    return _whole_number(text, MAX_WORKERS, "workers")


def timeout_s(text: str) -> int:
    return _whole_number(text, MAX_TIMEOUT_S, "seconds")


def mirror_folder(text: str) -> Path:
    from helpers.base.errors import ConfigError
    from helpers.pipeline.preflight import check_mirror_folder

    try:
        return check_mirror_folder(text)
    except ConfigError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
    except (OSError, ValueError) as exc:  # a name too long for the file system, a NUL byte
        why = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        raise argparse.ArgumentTypeError(f"{_shown(text)}: cannot be looked up ({_one_line(why, 80)}); "
                                         "allowed: a mirror folder with an INDEX.json per service") from None


def _existing(text: str, kind: str, allowed: str) -> Path:
    try:
        path = Path(text).expanduser()
        found = bool(text.strip()) and (path.is_file() if kind == "file" else path.is_dir())
    except (OSError, ValueError) as exc:  # a name too long for the file system, a NUL byte
        why = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        raise argparse.ArgumentTypeError(f"{_shown(text)}: cannot be looked up ({_one_line(why, 80)}); {allowed}") from None
    if not found:
        raise argparse.ArgumentTypeError(f"{_shown(text)}: no such {kind}; {allowed}")
    return path


def existing_file(text: str) -> Path:
    return _existing(text, "file", "allowed: a runs file like runs.yaml")


def existing_dir(text: str) -> Path:
    return _existing(text, "folder", "allowed: a folder of notebooks like notebooks/")


def pattern(text: str) -> str:
    if not text or len(text) > 200:
        raise argparse.ArgumentTypeError(f"{_shown(text)} is not allowed; allowed: a shell pattern of 1–200 characters")
    return text


def dask_address(text: str) -> str:
    from helpers.base.errors import ConfigError
    from helpers.pipeline.job import check_dask_address

    try:
        return check_dask_address(text, "")
    except ConfigError as exc:
        raise argparse.ArgumentTypeError(str(exc).strip()) from None


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="./run", description="Sote-järjestökartat: refresh outputs from the sources.")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    refresh = sub.add_parser("refresh", help="run the notebooks of runs.yaml and rebuild outputs/")
    refresh.add_argument("--mirror", metavar="DIR", type=mirror_folder,
                         help=f"read every source from this offline mirror folder (same as {config.MIRROR_ENV}=DIR)")
    refresh.add_argument("--live-only", action="store_true",
                         help="stop (exit 2) when the services cannot be reached, instead of building from the recorded "
                              "answers in snapshot/ (for scheduled jobs)")
    refresh.add_argument("--runs", metavar="FILE", type=existing_file, help="runs file (default: runs.yaml)")
    refresh.add_argument("--notebooks", metavar="DIR", type=existing_dir, help="folder of the notebooks the runs file names (default: notebooks/)")
    refresh.add_argument("--only", metavar="NAME", action="append", type=pattern, help="run only runs whose name matches (shell pattern; repeatable)")
    refresh.add_argument("--tag", metavar="TAG", action="append", type=pattern, help="run only runs with this tag (repeatable)")
    refresh.add_argument("--force", action="store_true", help="run everything, even runs whose inputs are unchanged")
    refresh.add_argument("--workers", type=positive_int, default=os.cpu_count() or 1,
                         help=f"parallel notebooks, 1 to {MAX_WORKERS} (default: number of cores, %(default)s)")
    refresh.add_argument("--timeout", type=timeout_s, default=600,
                         help=f"seconds a single cell may take, 1 to {MAX_TIMEOUT_S} (default: %(default)s)")
    refresh.add_argument("--dask", metavar="ADDRESS", type=dask_address,
                         help="run on this Dask scheduler (e.g. tcp://127.0.0.1:8786; same as SOTE_DASK_SCHEDULER=ADDRESS); default: local worker processes")
    refresh.add_argument("--list", action="store_true", help="list the selected runs and their parameters after all checks, run nothing")
    refresh.add_argument("--debug", action="store_true", help="show the traceback of an error as well as its one-line message")
    search = sub.add_parser("indicators", help="find Sotkanet indicators by a word of their name or their id (usable as sotkanet:ID)")
    search.add_argument("--search", metavar="WORD", required=True, type=search_word,
                        help="a word of the indicator's name (fi, sv or en; case ignored) or its id, e.g. kuolleisuus or 186")
    search.add_argument("--mirror", metavar="DIR", type=mirror_folder,
                        help=f"search this offline mirror folder (same as {config.MIRROR_ENV}=DIR): only the indicators it holds")
    search.add_argument("--debug", action="store_true", help="show the traceback of an error as well as its one-line message")
    return parser


def search_word(text: str) -> str:
    if not text.strip() or len(text) > 200:
        raise argparse.ArgumentTypeError(f"{_shown(text)} is not allowed; allowed: a word of 1–200 characters, e.g. kuolleisuus or 186")
    return text.strip()


def _indicators(args) -> int:
    """``./run indicators --search WORD``: one line per hit, ``sotkanet:ID<TAB>name_fi<TAB>unit<TAB>years``; notes
    (nothing found, a search of a mirror's few indicators only) on stderr. 0 searched, 1 the search failed, 2 bad
    arguments or mirror."""
    from helpers.base.errors import ConfigError, SoteError

    try:
        if args.mirror is not None:
            config.set_mirror(args.mirror)
        elif os.environ.get(config.MIRROR_ENV) is not None:
            from helpers.pipeline.preflight import check_mirror_folder

            check_mirror_folder(os.environ[config.MIRROR_ENV])
        from helpers.tables.indicators import search_sotkanet

        hits = search_sotkanet(args.search)
    except (ConfigError, SoteError) as exc:
        if args.debug:
            traceback.print_exc()
        offline = "" if config.mirror_dir() else "; without a network, --mirror snapshot searches the recorded answers"
        print(f"search stopped: {_one_line(exc, 500)}{offline}", file=sys.stderr)
        return 2 if isinstance(exc, (ConfigError, ValueError)) else 1
    for hit in hits.itertuples():
        print("\t".join(" ".join(str(v).split()) for v in (hit.indicator_id, hit.name_fi, hit.unit, hit.years)))
    if hits.empty:
        print(f"no Sotkanet indicator matches {args.search!r}", file=sys.stderr)
    if not hits.attrs.get("complete"):
        print(f"searched {hits.attrs.get('coverage')}", file=sys.stderr)
    return 0


def main(argv: list[str] | None = None) -> int:
    try:
        args = build_parser().parse_args(argv)
    except Exception as exc:  # noqa: BLE001 - an argument argparse's checks did not expect: still one line, exit 2
        print(f"refresh stopped: bad command line ({exc.__class__.__name__}: {_one_line(exc, 200)})", file=sys.stderr)
        return 2
    try:
        return _indicators(args) if args.command == "indicators" else _refresh(args)
    except KeyboardInterrupt:
        print("refresh stopped: interrupted (SIGINT) before any run", file=sys.stderr)
        return 128 + signal.SIGINT
    except Exception as exc:  # noqa: BLE001 - every fault ends in one line; --debug shows where
        from helpers.base.errors import SoteError

        if args.debug:
            traceback.print_exc()
        if isinstance(exc, SoteError):
            print(f"refresh stopped: {exc}", file=sys.stderr)
        elif isinstance(exc, OSError):
            where = f" ({exc.filename})" if getattr(exc, "filename", None) else ""
            print(f"refresh stopped: {exc.__class__.__name__}{where}: {exc.strerror or exc}; check that folder's "
                  "permissions and free space (--debug shows where)", file=sys.stderr)
        else:
            print(f"refresh stopped: unexpected {exc.__class__.__name__}: {str(exc)[:300]} (--debug shows the traceback)", file=sys.stderr)
        return 2


def _refresh(args) -> int:
    from helpers.base.errors import ConfigError

    if args.live_only and (args.mirror is not None or os.environ.get(config.MIRROR_ENV) is not None):
        raise ConfigError(f"--live-only with --mirror or {config.MIRROR_ENV} is contradictory; allowed: one of them")
    if args.mirror is not None:
        config.set_mirror(args.mirror)
    elif os.environ.get(config.MIRROR_ENV) is not None:
        from helpers.pipeline.preflight import check_mirror_folder

        value = os.environ[config.MIRROR_ENV]
        if not value.strip():
            raise ConfigError(f"{config.MIRROR_ENV}='' is not allowed; allowed: a mirror folder (unset the variable to read the live services)")
        check_mirror_folder(value)
    else:
        from helpers.pipeline.data_origin import choose

        line = choose(live_only=args.live_only)
        if line:
            print(line, file=sys.stderr, flush=True)
    from helpers.pipeline.job import refresh as do_refresh
    from helpers.pipeline.job import summary

    if args.list:
        from helpers.pipeline.job import preflight_only

        for run in preflight_only(runs_file=args.runs, notebooks_dir=args.notebooks, only=args.only, tags=args.tag):
            print(f"{run.name}\t{run.notebook.name}\t{','.join(run.tags)}\t{run.parameters}")
        return 0
    report = do_refresh(runs_file=args.runs, notebooks_dir=args.notebooks, only=args.only, tags=args.tag, force=args.force,
                        workers=args.workers, timeout=args.timeout, dask=args.dask)
    print(summary(report))
    if report.interrupted:
        return 128 + report.interrupted
    return 1 if report.failures or report.problems else 0


if __name__ == "__main__":
    sys.exit(main())
