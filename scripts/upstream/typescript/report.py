"""The report of scripts/upstream-typescript: reads each mode's ava TAP output and run
record from the work directory, classifies failures with known-failures.tsv, and writes
docs/upstream-typescript.md.

    python3 scripts/upstream/typescript/report.py WORK_DIR [REPORT]
"""

from __future__ import annotations

import dataclasses
import fnmatch
import json
import re
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
MODES = ("sidecar", "native")
MODE_TEXT = {
    "sidecar": "every Worker on the sidecar (SidecarWorker through preload.cjs), clients through the sidecar's proxy",
    "native": "@temporalio/worker's own sdk-core workers and clients, straight to the dev server",
}
CLASSES = {
    "environment": "not worker behaviour: this dev server, no internet, existing-server mode; fails natively too",
    "adapter": "a bug or gap in the TypeScript adapter (clients/typescript/src/sdk)",
    "sidecar": "a bug or gap in the sidecar (Go)",
    "proxy": "the sidecar's WorkflowService proxy",
    "harness": "how this harness runs the tests (published packages, preload)",
    "flake": "timing; passes on a rerun or alone",
    "?": "not yet diagnosed",
}


@dataclasses.dataclass
class Case:
    file: str
    name: str
    outcome: str  # passed, failed, skipped
    message: str

    @property
    def id(self) -> str:
        return f"{self.file}::{self.name}"


@dataclasses.dataclass
class Summary:
    mode: str
    meta: dict
    cases: list[Case]
    workers: dict[str, int]
    errors: dict[str, list[str]] = dataclasses.field(default_factory=dict)

    def count(self, outcome: str) -> int:
        return sum(1 for c in self.cases if c.outcome == outcome)


_TAP_LINE = re.compile(r"^(ok|not ok) (\d+) - (.*?)(?: # (SKIP|TODO)\b.*)?$")


def _first_line(diag: list[str]) -> str:
    """The first error line of a TAP YAML diagnostic block (ava's message/values)."""
    text = "\n".join(diag)
    for key in ("message", "name"):
        m = re.search(rf"^\s*{key}:\s*(.*)$", text, re.M)
        if m:
            v = m.group(1).strip()
            if v in ("|-", "|", ">-", ">"):
                # a block scalar: its first non-empty line
                after = text[m.end() :].splitlines()
                v = next((ln.strip() for ln in after if ln.strip()), "")
            if v:
                msg = v.strip("'\"")
                break
    else:
        msg = ""
    # An assertion's diff: its first removed and added lines (actual, expected).
    if not msg or msg == "AssertionError":
        a = re.search(r"^\s*assertion:\s*(.*)$", text, re.M)
        minus = re.search(r"^\s*(- .*)$", text, re.M)
        plus = re.search(r"^\s*(\+ .*)$", text, re.M)
        bits = [msg or "AssertionError"]
        if a:
            bits[0] += f" ({a.group(1).strip()})"
        bits += [x.group(1).strip() for x in (minus, plus) if x]
        msg = " ".join(bits) if len(bits) > 1 or a else msg
    # ava puts a thrown or rejected error under values: as an object with a message.
    m = re.search(r"^\s*'(?:Error thrown in test|Rejected promise returned by test|Function threw)[^']*':(.*)$", text, re.M)
    if m:
        rest = text[m.end() :]
        inner = re.search(r"^\s*message:\s*(.*)$", rest, re.M)
        first = next((ln.strip() for ln in rest.splitlines() if ln.strip() and ln.strip() not in ("|-", "|")), "")
        detail = (inner.group(1) if inner else first).strip().strip("'\"")
        cls = re.match(r"^(\w*Error)\b", first)
        if cls and inner:
            detail = f"{cls.group(1)}: {detail}"
        if detail:
            msg = f"{msg}: {detail}" if msg and detail not in msg else (detail or msg)
    return msg[:300]


def parse_tap(file: str, text: str) -> Summary:
    cases: list[Case] = []
    errors: list[str] = []
    lines = text.splitlines()
    i = 0
    while i < len(lines):
        m = _TAP_LINE.match(lines[i])
        i += 1
        if not m:
            continue
        status, _, title, directive = m.groups()
        diag: list[str] = []
        if i < len(lines) and lines[i].strip() == "---":
            i += 1
            while i < len(lines) and lines[i].strip() != "...":
                diag.append(lines[i])
                i += 1
            i += 1
        name = title.split(" › ", 1)[1] if " › " in title else title
        if status == "not ok" and re.match(r"^(\w*Error|Uncaught exception|Unhandled rejection)\b", name):
            # An error ava caught outside any test (uncaught exception, unhandled rejection):
            # not a test; listed apart.
            errors.append(name)
            continue
        if directive:
            outcome = "skipped"
        elif status == "ok":
            outcome = "passed"
        else:
            outcome = "failed"
        if any(c.name == name for c in cases):
            continue  # ava reports a test twice when a timeout interrupts it: the first is the cause
        cases.append(Case(file, name, outcome, _first_line(diag) if outcome == "failed" else ""))
    return Summary("", {}, cases, {}, {file: errors} if errors else {})


def load(work: Path, mode: str) -> Summary:
    d = work / f"results-{mode}"
    meta = json.loads((d / "run.json").read_text()) if (d / "run.json").exists() else {}
    cases: list[Case] = []
    errors: dict[str, list[str]] = {}
    # Files the run finished (a run stopped early lists the rest in meta["files"] only).
    for f in [x["file"] for x in meta.get("per_file", [])]:
        tap = d / f"{f}.tap"
        s = parse_tap(f, tap.read_text(errors="replace") if tap.exists() else "")
        cases += s.cases
        errors.update(s.errors)
        info = next((x for x in meta.get("per_file", []) if x["file"] == f), None)
        if info is None:
            continue
        if not s.cases or (info.get("rc") not in (0, None) and not any(c.outcome == "failed" for c in s.cases)):
            # The file failed without a test failing: ava's own errors (timeouts, crashes).
            tail = tap.read_text(errors="replace").strip().splitlines()[-5:] if tap.exists() else []
            why = "ran past the harness's per-file deadline" if info.get("deadline") else "ava's test process did not exit after its last test or its timeout" if info.get("lingered") else (
                " | ".join(ln.strip() for ln in tail if ln.strip())[:300] or f"ava exited {info.get('rc')}")
            cases.append(Case(f, "(file)", "failed", why))
    workers = {"sidecar": 0, "native": 0}
    for wf in sorted(d.glob("*.workers.jsonl")):
        for ln in wf.read_text().splitlines():
            try:
                r = json.loads(ln)
            except ValueError:
                continue
            workers["sidecar"] += r.get("sidecar", 0)
            workers["native"] += r.get("native", 0)
    return Summary(mode, meta, cases, workers, errors)


def known_failures() -> list[tuple[str, str, str, str]]:
    rows = []
    path = HERE / "known-failures.tsv"
    if not path.exists():
        return rows
    for ln in path.read_text().splitlines():
        if not ln.strip() or ln.startswith("#"):
            continue
        parts = ln.split("\t")
        if len(parts) >= 4:
            rows.append((parts[0], parts[1], parts[2], parts[3]))
    return rows


def classify(mode: str, case: Case, rows) -> tuple[str, str]:
    for mglob, tglob, cls, cause in rows:
        if fnmatch.fnmatchcase(mode, mglob) and (
            fnmatch.fnmatchcase(case.id, tglob) or fnmatch.fnmatchcase(case.name, tglob)
        ):
            return cls, cause
    return "?", ""


def git_describe(repo: Path) -> str:
    try:
        out = subprocess.run(["git", "-C", str(repo), "rev-parse", "--short", "HEAD"], capture_output=True, text=True)
        return out.stdout.strip()
    except OSError:
        return "?"


def _md(s: str) -> str:
    return s.replace("|", "\\|").replace("\n", " ")


def write(work: Path, report_path: Path, repo: Path) -> None:
    rows = known_failures()
    sums = {m: load(work, m) for m in MODES if (work / f"results-{m}" / "run.json").exists()}
    out: list[str] = []
    out.append("# temporalio/sdk-typescript's own integration tests on the sidecar")
    out.append("")
    out.append("Written by `make upstream-typescript` (scripts/upstream-typescript, scripts/upstream/typescript/);")
    out.append("the prose sections come from scripts/upstream/typescript/notes.md, the classification from")
    out.append("known-failures.tsv. The upstream tests are never committed.")
    out.append("")
    out.append("| mode | what runs | passed | failed | skipped | total | workers on the sidecar / native | duration | run |")
    out.append("|---|---|---:|---:|---:|---:|---|---:|---|")
    for m, s in sums.items():
        meta = s.meta
        out.append(
            f"| {m} | {MODE_TEXT[m]} | {s.count('passed')} | {s.count('failed')} | {s.count('skipped')} | "
            f"{len(s.cases)} | {s.workers['sidecar']} / {s.workers['native'] if m == 'sidecar' else 'all'} | "
            f"{meta.get('duration_s', '?')}s | {meta.get('date', '?')}, sidecar {meta.get('sidecar_commit', '?')}, "
            f"tests {meta.get('sdk_typescript_tests', '?')}, @temporalio/worker {meta.get('temporalio_worker', '?')}, "
            f"node {meta.get('node', '?')}, {len(meta.get('per_file', []))} of {len(meta.get('files', []))} files ran |"
        )
    out.append("")
    split = "test-integration-split-*.js"
    for m, s in sums.items():
        rest = [c for c in s.cases if not fnmatch.fnmatchcase(c.file, split)]
        out.append(
            f"- {m}, without the multi-codec files ({split}, which cannot pass on one existing server): "
            f"{sum(c.outcome == 'passed' for c in rest)} passed, {sum(c.outcome == 'failed' for c in rest)} failed, "
            f"{sum(c.outcome == 'skipped' for c in rest)} skipped of {len(rest)}."
        )
    if "sidecar" in sums and "native" in sums:
        nat = {c.id: c.outcome for c in sums["native"].cases}
        base = [c for c in sums["sidecar"].cases if nat.get(c.id) == "passed"]
        ok = sum(c.outcome == "passed" for c in base)
        out.append(
            f"- The adapter's target, the tests that pass natively in the same run: {ok} of {len(base)} pass on the "
            f"sidecar ({len(base) - ok} fail there: the failures below that do not fail natively)."
        )
        worse = [c.id for c in sums["native"].cases if c.outcome == "failed" and any(
            x.id == c.id and x.outcome == "passed" for x in sums["sidecar"].cases)]
        if worse:
            out.append(f"- Pass on the sidecar but fail natively: {len(worse)} (" + ", ".join(f"`{_md(w)}`" for w in worse) + ").")
    out.append("")
    notes = HERE / "notes.md"
    if notes.exists():
        out.append(notes.read_text().rstrip())
        out.append("")
    for m, s in sums.items():
        out.append(f"## Per file ({m})")
        out.append("")
        out.append("| file | passed | failed | skipped | seconds |")
        out.append("|---|---:|---:|---:|---:|")
        for info in s.meta.get("per_file", []):
            cs = [c for c in s.cases if c.file == info["file"]]
            out.append(
                f"| {info['file']} | {sum(c.outcome == 'passed' for c in cs)} | {sum(c.outcome == 'failed' for c in cs)} "
                f"| {sum(c.outcome == 'skipped' for c in cs)} | {info['seconds']} |"
            )
        out.append("")
    for m, s in sums.items():
        failed = [c for c in s.cases if c.outcome == "failed"]
        out.append(f"## Failures ({m}): {len(failed)}")
        out.append("")
        if not failed:
            continue
        other = {k: v for k, v in sums.items() if k != m}
        out.append("| test | class | cause | first error line |" + "".join(f" in {k} |" for k in other))
        out.append("|---|---|---|---|" + "---|" * len(other))
        native = sums.get("native") if m != "native" else None
        for c in failed:
            cls, cause = classify(m, c, rows)
            if cls == "?" and native is not None:
                nc = next((x for x in native.cases if x.id == c.id), None)
                if nc is not None and nc.outcome == "failed":
                    cls, cause = "environment", "fails natively too (same run's native baseline)"
            elsewhere = []
            for k, o in other.items():
                oc = next((x for x in o.cases if x.id == c.id), None)
                elsewhere.append(oc.outcome if oc else "not run")
            out.append(f"| `{_md(c.id)}` | {cls} | {_md(cause)} | {_md(c.message)} |" + "".join(f" {e} |" for e in elsewhere))
        out.append("")
    for m, s in sums.items():
        if s.errors:
            out.append(f"## Errors outside tests ({m})")
            out.append("")
            out.append("Uncaught exceptions and unhandled rejections ava reported in a test file's process (not counted as tests).")
            out.append("")
            for f, errs in s.errors.items():
                uniq = sorted(set(errs), key=errs.index)
                out.append(f"- {f}: " + "; ".join(f"{_md(e)} (x{errs.count(e)})" for e in uniq))
            out.append("")
    for m, s in sums.items():
        skipped = [c for c in s.cases if c.outcome == "skipped"]
        if skipped:
            out.append(f"## Skipped ({m}): {len(skipped)}")
            out.append("")
            out.append(", ".join(f"`{_md(c.id)}`" for c in skipped))
            out.append("")
    out.append("Classes: " + "; ".join(f"**{k}**: {v}" for k, v in CLASSES.items()) + ".")
    out.append("")
    report_path.write_text("\n".join(out))


if __name__ == "__main__":
    w = Path(sys.argv[1])
    r = Path(sys.argv[2]) if len(sys.argv) > 2 else HERE.parents[2] / "docs" / "upstream-typescript.md"
    write(w, r, HERE.parents[2])
