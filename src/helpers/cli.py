"""Command line: ``python -m helpers.cli refresh [--mirror DIR]``."""

from __future__ import annotations

import argparse
import sys

from . import config


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="sote", description="Sote-järjestökartat: refresh outputs from the sources.")
    sub = parser.add_subparsers(dest="command", required=True)
    refresh = sub.add_parser("refresh", help="run the notebooks and rebuild outputs/")
    refresh.add_argument("--mirror", metavar="DIR", help=f"read every source from this offline mirror folder (same as {config.MIRROR_ENV}=DIR)")
    args = parser.parse_args(argv)
    if args.mirror:
        config.set_mirror(args.mirror)
    if args.command == "refresh":
        from .pipeline import refresh_all

        return refresh_all()
    return 2


if __name__ == "__main__":
    sys.exit(main())
