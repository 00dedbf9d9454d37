"""Notices: things a run left out on purpose (e.g. a PNG without a browser), recorded for the manifest.

During a refresh ``SOTE_NOTICES_LOG`` names a JSON-lines file in the run's staging folder; the pipeline copies the
notices into the run's manifest entry (``"notices": [...]``). Outside a refresh a notice is only printed.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

NOTICES_LOG_ENV = "SOTE_NOTICES_LOG"
MAX_NOTICE_CHARS = 500


def record_notice(text: str) -> None:
    """Tell the reader (stderr) and the refresh (the run's notices log) that something was skipped."""
    text = str(text)[:MAX_NOTICE_CHARS]
    print(f"huomautus: {text}", file=sys.stderr)
    log = os.environ.get(NOTICES_LOG_ENV)
    if log:
        with open(log, "a", encoding="utf-8") as fh:
            fh.write(json.dumps({"notice": text}, ensure_ascii=False) + "\n")


def read_notices(path: Path, limit: int = 20) -> list[str]:
    """The notices a run recorded (first ``limit``, each clipped); a missing or broken log gives what it can."""
    out: list[str] = []
    if not path.is_file():
        return out
    for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
        try:
            text = str(json.loads(line)["notice"])[:MAX_NOTICE_CHARS]
        except (ValueError, KeyError, TypeError):
            continue
        if text not in out:
            out.append(text)
        if len(out) >= limit:
            break
    return out
