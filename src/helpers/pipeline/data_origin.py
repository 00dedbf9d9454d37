"""Where a refresh reads its sources when none is named: the live services, or on a machine that reaches none of
them, the project's recorded answers (``snapshot/``) — but never over outputs that already hold live numbers.

``./run refresh`` with neither ``--mirror`` nor ``SOTE_MIRROR`` calls ``choose`` before any other work. A newcomer
without internet gets a whole site from the recorded answers, marked as such on every page and in the manifest; a
machine whose outputs came from the live services keeps them (exit 2) rather than replacing them with older numbers;
``--live-only`` (the scheduled job) never falls back.
"""

from __future__ import annotations

import sys
from pathlib import Path

from helpers.base import config
from helpers.base.errors import ConfigError
from helpers.pipeline.manifest import live_refresh, load_manifest
from helpers.sources import snapshot

UNREACHABLE = "none of the services (Statistics Finland geo.stat.fi and pxdata.stat.fi, THL sotkanet.fi) can be reached"


def choose(outputs: Path | None = None, *, live_only: bool = False, probe=snapshot.services_reachable) -> str | None:
    """None when the services answer (read them live). Otherwise switch the sources to the recorded answers and
    return the one line to tell the user, or raise ConfigError (exit 2, nothing written) when that is not allowed."""
    if probe():
        return None
    outputs = Path(outputs or config.outputs_dir())
    if live_only:
        raise ConfigError(f"{UNREACHABLE}, and --live-only was given: nothing was run and {outputs} is unchanged; "
                          "check the network (or a proxy in HTTPS_PROXY) and run again")
    when = live_refresh(load_manifest(outputs))
    if when:
        raise ConfigError(f"{UNREACHABLE}, and {outputs} holds numbers refreshed live ({when}): stopped before any work "
                          "so they are not replaced by the older recorded answers; run again when the network is back "
                          f"(to look at the recorded answers meanwhile: {config.OUTPUTS_ENV}=/tmp/recorded ./run refresh "
                          "--mirror snapshot)")
    config.set_mirror(snapshot.snapshot_dir())
    return (f"refresh: {UNREACHABLE}; building from the recorded answers in snapshot/ "
            f"({snapshot.dates_text('en')}), not live: every page says so")


def lab_folder(probe=snapshot.services_reachable) -> str:
    """For ``./run lab``: the recorded answers' folder when no service answers (and a line on stderr), else ""."""
    if probe():
        return ""
    print(f"lab: {UNREACHABLE}; the notebooks read the recorded answers in snapshot/ ({snapshot.dates_text('en')}), "
          "not live", file=sys.stderr)
    return str(snapshot.snapshot_dir())


if __name__ == "__main__":
    if sys.argv[1:] != ["lab"]:
        print("usage: python -m helpers.pipeline.data_origin lab", file=sys.stderr)
        sys.exit(2)
    print(lab_folder())
