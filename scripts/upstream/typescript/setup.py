"""Prepares a checkout of temporalio/sdk-typescript for running its packages/test
suite against the published @temporalio/* packages of the same version, with no
build of the monorepo (core-bridge's Rust included):

  - WORK/package.json lists packages/test's and packages/test-helpers' dependencies
    (and the root devDependencies the build needs: typescript, tsx, @tsconfig/node20),
    each pinned to the version upstream's pnpm-lock.yaml resolved; `workspace:*`
    becomes the checkout's own version, i.e. the published @temporalio/* release;
  - the adapter (clients/typescript, built and packed with npm pack) is installed
    beside them, so it loads the same @temporalio/worker instance as the tests;
  - npm install in WORK; SDK/node_modules is a symlink to WORK/node_modules (as
    pnpm's hoisted root), and WORK/node_modules/@temporalio/test-helpers a symlink
    to the checkout's packages/test-helpers (a private workspace package);
  - packages/test's protos (its build:protos script), then tsc of test-helpers and
    test into their own lib/ directories, as `pnpm run build` puts them.

    python3 scripts/upstream/typescript/setup.py --sdk SDK --work WORK [--force]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[2]
ADAPTER = REPO / "clients" / "typescript"

# Root devDependencies the build needs (the rest are linters and release tools).
ROOT_DEV = ["typescript", "tsx", "@tsconfig/node20", "@types/node"]


def log(msg: str) -> None:
    print(f"upstream-typescript: {msg}", file=sys.stderr, flush=True)


def run(argv: list[str], cwd: Path, env: dict | None = None) -> None:
    log(f"$ (cd {cwd} && {' '.join(argv)})")
    subprocess.run(argv, cwd=cwd, check=True, env=env)


def lock_versions(sdk: Path) -> dict[str, dict[str, str]]:
    """importer -> package -> the version pnpm-lock.yaml resolved (peer suffixes dropped)."""
    try:
        import yaml  # type: ignore
    except ImportError:
        log("warning: no PyYAML; falling back to package.json's ranges instead of pnpm-lock.yaml's versions")
        return {}
    lock = yaml.safe_load((sdk / "pnpm-lock.yaml").read_text())
    out: dict[str, dict[str, str]] = {}
    for importer, data in (lock.get("importers") or {}).items():
        pins: dict[str, str] = {}
        for sec in ("dependencies", "devDependencies"):
            for name, spec in (data.get(sec) or {}).items():
                v = str(spec.get("version", ""))
                v = re.sub(r"\(.*$", "", v)
                if v and not v.startswith("link:"):
                    pins[name] = v
        out[importer] = pins
    return out


def harness_package(sdk: Path, adapter_tgz: Path) -> dict:
    version = json.loads((sdk / "packages/test/package.json").read_text())["version"]
    pins = lock_versions(sdk)
    deps: dict[str, str] = {}

    def add(importer: str, name: str, spec: str) -> None:
        if name == "@temporalio/test-helpers":
            return  # private: linked to the checkout's source below
        if spec.startswith("workspace:"):
            want = version
        else:
            want = pins.get(importer, {}).get(name, spec)
        have = deps.get(name)
        if have is not None and have != want:
            log(f"note: {name} is {have} for one importer and {want} for another; keeping {have}")
            return
        deps[name] = want

    for importer in ("packages/test", "packages/test-helpers"):
        pkg = json.loads((sdk / importer / "package.json").read_text())
        for sec in ("dependencies", "devDependencies"):
            for name, spec in (pkg.get(sec) or {}).items():
                add(importer, name, spec)
    root = json.loads((sdk / "package.json").read_text())
    for name in ROOT_DEV:
        add(".", name, root["devDependencies"][name])
    deps["@temporal-sidecar/client"] = f"file:{adapter_tgz}"
    return {
        "name": "sidecar-upstream-typescript-harness",
        "private": True,
        "description": f"sdk-typescript {version} packages/test against the published @temporalio/* {version}",
        "dependencies": dict(sorted(deps.items())),
    }


def pack_adapter(work: Path) -> Path:
    """Builds clients/typescript and packs it (dist only) into WORK."""
    if not (ADAPTER / "node_modules").exists():
        run(["npm", "ci", "--no-audit", "--no-fund"], ADAPTER)
    run(["npm", "run", "build"], ADAPTER)
    out = subprocess.run(
        ["npm", "pack", "--json", "--pack-destination", str(work)], cwd=ADAPTER, check=True, capture_output=True, text=True
    )
    name = json.loads(out.stdout)[0]["filename"]
    return work / name


def tsconfig(sdk: Path, work: Path, pkg: str) -> Path:
    """A tsconfig extending the package's own without its project references (the
    referenced packages are the published ones in node_modules, not sources to build)."""
    cfg = {
        "extends": str(sdk / "packages" / pkg / "tsconfig.json"),
        "compilerOptions": {
            "composite": False,
            "incremental": False,
            "declaration": True,
            "noEmitOnError": False,
            "skipLibCheck": True,
        },
    }
    path = work / f"tsconfig.{pkg}.json"
    path.write_text(json.dumps(cfg, indent=2) + "\n")
    return path


def tsc(sdk: Path, work: Path, pkg: str) -> None:
    out = work / f"tsc-{pkg}.log"
    argv = [str(work / "node_modules/.bin/tsc"), "-p", str(tsconfig(sdk, work, pkg))]
    log(f"$ {' '.join(argv)} (log {out})")
    p = subprocess.run(argv, cwd=sdk / "packages" / pkg, capture_output=True, text=True)
    out.write_text(p.stdout + p.stderr)
    if p.returncode != 0:
        # Type errors still emit JavaScript (noEmitOnError false); they are counted in the report.
        n = len(re.findall(r"error TS\d+", p.stdout))
        log(f"warning: tsc reported {n} type errors for packages/{pkg} (JavaScript emitted anyway; see {out})")
    if not (sdk / "packages" / pkg / "lib").is_dir():
        raise SystemExit(f"tsc emitted nothing for packages/{pkg}: see {out}")


def link(path: Path, target: Path) -> None:
    if path.is_symlink() or path.exists():
        if path.is_symlink() and Path(os.readlink(path)) == target:
            return
        if path.is_symlink() or path.is_file():
            path.unlink()
        else:
            raise SystemExit(f"{path} exists and is not a symlink: remove it (the harness links it to {target})")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.symlink_to(target)


def setup(sdk: Path, work: Path, force: bool = False) -> None:
    work.mkdir(parents=True, exist_ok=True)
    tgz = pack_adapter(work)
    pkg = harness_package(sdk, tgz)
    text = json.dumps(pkg, indent=2) + "\n"
    # Reinstall when the pins or the adapter's bytes change.
    want = hashlib.sha256(text.encode() + tgz.read_bytes()).hexdigest()
    stamp = work / "node_modules" / ".harness-installed"
    if force or not stamp.exists() or stamp.read_text() != want:
        (work / "package.json").write_text(text)
        (work / ".npmrc").write_text("fund=false\naudit=false\nupdate-notifier=false\n")
        # The adapter's tarball keeps its name across builds: drop it from npm's cache of the tree.
        shutil.rmtree(work / "node_modules" / "@temporal-sidecar", ignore_errors=True)
        (work / "package-lock.json").unlink(missing_ok=True)
        run(["npm", "install", "--no-audit", "--no-fund", "--loglevel", "warn"], work)
        stamp.write_text(want)
    link(sdk / "node_modules", work / "node_modules")
    link(work / "node_modules" / "@temporalio" / "test-helpers", sdk / "packages" / "test-helpers")

    test = sdk / "packages" / "test"
    run([str(work / "node_modules/.bin/tsx"), "./scripts/compile-proto.ts"], test)
    tsc(sdk, work, "test-helpers")
    tsc(sdk, work, "test")


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sdk", type=Path, required=True)
    ap.add_argument("--work", type=Path, required=True)
    ap.add_argument("--force", action="store_true")
    a = ap.parse_args()
    setup(a.sdk.resolve(), a.work.resolve(), a.force)
    return 0


if __name__ == "__main__":
    sys.exit(main())
