"""The report of scripts/upstream-python: reads the JUnit XML and run record of
each mode from the work directory, classifies failures with
known-failures.tsv, appends notes.md, and writes docs/upstream-python.md.

    python scripts/upstream/python/report.py WORK_DIR [REPORT]
"""

from __future__ import annotations

import dataclasses
import fnmatch
import json
import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

HERE = Path(__file__).resolve().parent
MODES = ("sidecar", "native-proxy", "native")
MODE_TEXT = {
    "sidecar": "every Worker on the sidecar (adapter), clients through the sidecar's proxy",
    "native-proxy": "temporalio's own workers (Rust core), clients and polls through the sidecar's proxy",
    "native": "temporalio's own workers and clients, straight to the dev server",
}
CLASSES = {
    "environment": "not worker behaviour: this dev server, no internet, or existing-server mode (UPSTREAM.md's list)",
    "adapter": "a bug or gap in temporal_sidecar.sdk (clients/python)",
    "sidecar": "a bug or gap in the sidecar (Go)",
    "proxy": "the sidecar's WorkflowService proxy (serves WorkflowService only)",
    "flake": "timing; passes on a rerun or alone",
    "?": "not yet diagnosed",
}


@dataclasses.dataclass
class Case:
    file: str
    name: str
    outcome: str  # passed, failed, skipped
    message: str
    workers_sidecar: int
    workers_native: int

    @property
    def id(self) -> str:
        return f"{self.file}::{self.name}"


@dataclasses.dataclass
class Summary:
    mode: str
    meta: dict
    cases: list[Case]

    def count(self, outcome: str) -> int:
        return sum(1 for c in self.cases if c.outcome == outcome)

    @property
    def passed(self) -> int:
        return self.count("passed")

    @property
    def failed(self) -> int:
        return self.count("failed")

    @property
    def skipped(self) -> int:
        return self.count("skipped")


def pyproject_version(path: Path) -> str:
    m = re.search(r'^version\s*=\s*"([^"]+)"', path.read_text(), re.M)
    return m.group(1) if m else "?"


def git_describe(repo: Path) -> str:
    try:
        return subprocess.run(
            ["git", "-C", str(repo), "describe", "--always", "--dirty"], capture_output=True, text=True, check=True
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "?"


def _first_line(text: str | None) -> str:
    for line in (text or "").splitlines():
        line = line.strip()
        if line:
            return line[:220]
    return ""


def _file_of(classname: str) -> str:
    # tests.worker.test_workflow[.Class] -> tests/worker/test_workflow.py[::Class]
    parts = classname.split(".")
    for i in range(len(parts), 0, -1):
        if parts[i - 1].startswith("test_"):
            path = "/".join(parts[:i]) + ".py"
            rest = parts[i:]
            return "::".join([path, *rest])
    return classname


def load(work: Path, mode: str) -> Summary | None:
    xml = work / f"junit-{mode}.xml"
    if not xml.exists():
        return None
    meta_file = work / f"run-{mode}.json"
    meta = json.loads(meta_file.read_text()) if meta_file.exists() else {"mode": mode}
    by_id: dict[str, Case] = {}
    for tc in ET.parse(xml).getroot().iter("testcase"):
        file = _file_of(tc.get("classname", ""))
        name = tc.get("name", "")
        props = {p.get("name"): p.get("value") for p in tc.iter("property")}
        bad = [e for e in tc if e.tag in ("failure", "error")]
        skip = [e for e in tc if e.tag == "skipped"]
        if bad:
            outcome = "failed"
            e = bad[0]
            msg = _first_line(e.get("message")) or _first_line(e.text)
            if e.tag == "error" and not msg.startswith("failed on"):
                msg = f"error: {msg}"
        elif skip:
            outcome, msg = "skipped", _first_line(skip[0].get("message"))
        else:
            outcome, msg = "passed", ""
        case = Case(file, name, outcome, msg, int(props.get("workers_sidecar") or 0), int(props.get("workers_native") or 0))
        prev = by_id.get(case.id)
        if prev is None or (case.outcome == "failed" and prev.outcome != "failed"):
            by_id[case.id] = case
    return Summary(mode, meta, list(by_id.values()))


def _known() -> list[tuple[str, str, str, str]]:
    rows = []
    path = HERE / "known-failures.tsv"
    if path.exists():
        for line in path.read_text().splitlines():
            if not line.strip() or line.startswith("#"):
                continue
            cols = line.split("\t")
            if len(cols) < 4:
                continue
            rows.append((cols[0], cols[1], cols[2], cols[3]))
    return rows


def classify(mode: str, case: Case, known: list[tuple[str, str, str, str]]) -> tuple[str, str]:
    for mode_glob, test_glob, cls, note in known:
        if fnmatch.fnmatchcase(mode, mode_glob) and (
            fnmatch.fnmatchcase(case.id, test_glob) or fnmatch.fnmatchcase(case.name, test_glob)
        ):
            return cls, note
    return "?", ""


def _md(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def render(work: Path, repo: Path) -> str:
    sums = [s for s in (load(work, m) for m in MODES) if s is not None]
    known = _known()
    out: list[str] = []
    out.append("# temporalio's own worker tests on the sidecar\n")
    out.append(
        "temporalio/sdk-python's `tests/worker/` and `tests/test_workflow.py`, at the tag of the\n"
        "temporalio release the harness installs, run against a dev server with every\n"
        "`temporalio.worker.Worker` on the sidecar through the adapter (`temporal_sidecar.sdk`), and\n"
        "every client going through the sidecar's WorkflowService proxy. Generated by\n"
        "`make upstream-python` (scripts/upstream-python, scripts/upstream/python/); the\n"
        "classification comes from `scripts/upstream/python/known-failures.tsv`.\n"
    )
    out.append("## How to reproduce\n")
    out.append(
        "```sh\n"
        "# the tests, outside this repository (never committed): a checkout of temporalio/sdk-python\n"
        "# at tag 1.31.0, or from a clone of it: git --git-dir=CLONE archive 1.31.0 tests pyproject.toml | tar -x -C DIR\n"
        "make upstream-python SDK_PYTHON=/path/to/sdk-python                       # all, workers on the sidecar\n"
        "make upstream-python SDK_PYTHON=... UPSTREAM_MODE=native                  # the native baseline\n"
        "make upstream-python SDK_PYTHON=... UPSTREAM_MODE=native-proxy            # native workers through the proxy\n"
        "make upstream-python SDK_PYTHON=... UPSTREAM_TESTS='tests/worker/test_activity.py -k heartbeat'\n"
        "```\n\n"
        "The harness makes its own venv (`$SDK_PYTHON/.sidecar-harness/venv`: temporalio 1.31.0 and\n"
        "the tag's test tooling, pinned in `scripts/upstream/python/requirements.txt`, plus\n"
        "`clients/python` installed editable with `--no-deps`), starts `bin/temporal server start-dev`\n"
        "on free loopback ports with the dynamic config of UPSTREAM.md, waits for `GetSystemInfo`,\n"
        "starts `bin/sidecar --workflow-service-proxy --bridge-listen 127.0.0.1:PORT\n"
        "--max-task-queues 100000 --task-queue-idle-timeout 0s --task-handback-grace 0s` (those two\n"
        "from `$UPSTREAM_SIDECAR_FLAGS` when set), waits for `/healthz` and for\n"
        "`GetSystemInfo` through the proxy, and runs pytest with `--workflow-environment=<proxy>`\n"
        "`--timeout 120 --reruns 3 --only-rerun \"RuntimeError: Failed validating workflow\"` and the\n"
        "pytest plugin `scripts/upstream/python/sidecar_workers.py`, which adds the adapter's\n"
        "`SidecarPlugin` to every Worker. Logs and XML stay in `$SDK_PYTHON/.sidecar-harness/`.\n"
        "`make upstream-python-report` rewrites this file from them.\n"
    )
    if not sums:
        out.append("\nNo results yet.\n")
        return "\n".join(out)

    out.append("## Latest results\n")
    out.append("| mode | what runs where | tests | passed | failed | skipped | workers on sidecar / native | duration | when |")
    out.append("|---|---|---|---:|---:|---:|---|---|---|")
    for s in sums:
        sel = " ".join(s.meta.get("selection", []))
        ws = sum(c.workers_sidecar for c in s.cases)
        wn = sum(c.workers_native for c in s.cases)
        dur = s.meta.get("duration_s")
        dur_txt = f"{dur // 60}m{dur % 60:02d}s" if isinstance(dur, int) else "?"
        flags = " ".join(s.meta.get("sidecar_flags") or [])
        what = MODE_TEXT[s.mode] + (f" (`{flags}`)" if flags else "")
        out.append(
            f"| {s.mode} | {what} | `{_md(sel)}` | {s.passed} | {s.failed} | {s.skipped} | "
            f"{ws} / {wn} | {dur_txt} | {s.meta.get('date', '?')}, sidecar {s.meta.get('sidecar_commit', '?')} |"
        )
    first = sums[0].meta
    out.append(
        f"\ntemporalio {first.get('temporalio', '?')}, tests of sdk-python {first.get('sdk_python_tests', '?')}, "
        f"Python {first.get('python', '?')}, dev server of the Temporal CLI v1.5.1 (server 1.29.1).\n"
    )

    by_mode = {s.mode: s for s in sums}
    sc, nat = by_mode.get("sidecar"), by_mode.get("native")
    if sc and nat:
        nat_out = {c.id: c.outcome for c in nat.cases}
        worse = [c for c in sc.cases if c.outcome == "failed" and nat_out.get(c.id) == "passed"]
        better = [c for c in sc.cases if c.outcome == "passed" and nat_out.get(c.id) == "failed"]
        out.append("## Sidecar against native, test by test\n")
        out.append(
            f"Of the tests both runs ran: {len(worse)} fail on the sidecar and pass natively; "
            f"{len(better)} pass on the sidecar and fail natively.\n"
        )
        for c in better:
            out.append(f"- passes only on the sidecar: `{c.id}`")
        if better:
            out.append("")
    if sc:
        escaped = [c for c in sc.cases if c.workers_native]
        if escaped:
            out.append("Tests in which a Worker ran natively despite the harness (the adapter left it on the Rust core):\n")
            out += [f"- `{c.id}` ({c.workers_native})" for c in escaped]
            out.append("")

    for s in sums:
        failed = [c for c in s.cases if c.outcome == "failed"]
        out.append(f"## Failures: {s.mode} ({len(failed)})\n")
        if not failed:
            out.append("None.\n")
            continue
        counts: dict[str, int] = {}
        rows = []
        for c in sorted(failed, key=lambda c: c.id):
            cls, note = classify(s.mode, c, known)
            counts[cls] = counts.get(cls, 0) + 1
            rows.append(f"| `{c.id}` | {cls} | {_md(c.message)} | {_md(note)} |")
        out.append(", ".join(f"{cls}: {n}" for cls, n in sorted(counts.items())) + "\n")
        out.append("| test | class | first line of the error | cause |")
        out.append("|---|---|---|---|")
        out += rows
        out.append("")
        skipped = [c for c in s.cases if c.outcome == "skipped"]
        if skipped:
            out.append(f"<details><summary>Skipped: {s.mode} ({len(skipped)})</summary>\n")
            out += [f"- `{c.id}`: {_md(c.message)}" for c in sorted(skipped, key=lambda c: c.id)]
            out.append("\n</details>\n")

    out.append("## Classes\n")
    out += [f"- **{k}**: {v}" for k, v in CLASSES.items()]
    out.append("")
    notes = HERE / "notes.md"
    if notes.exists():
        out.append(notes.read_text().rstrip() + "\n")
    return "\n".join(out)


def write(work: Path, report: Path, repo: Path) -> None:
    report.parent.mkdir(parents=True, exist_ok=True)
    report.write_text(render(work, repo))


if __name__ == "__main__":
    if len(sys.argv) not in (2, 3):
        print(__doc__, file=sys.stderr)
        sys.exit(2)
    target = Path(sys.argv[2]) if len(sys.argv) == 3 else HERE.parents[2] / "docs" / "upstream-python.md"
    write(Path(sys.argv[1]), target, HERE.parents[2])
