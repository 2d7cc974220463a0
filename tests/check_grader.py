#!/usr/bin/python3
"""check_grader.py - prove that the grader catches known bugs and passes the
reference every time (`make check-grader`).

1. Variants: each tests/mutants/*.patch turns the reference into a version
   with one classic mistake (tests/mutants/README.md). In a scratch copy of
   the kit, the patch is applied, that stage's program is built and the
   test named in the patch's `caught-by` line is run. If it fails, the
   variant is CAUGHT; if not, the whole stage is graded: CAUGHT-ELSEWHERE
   when another test failed, MISSED when none did, BROKEN when the patch
   did not apply or the program did not build. A patch with a
   `# sanitizer: tsan` line is built and graded with ThreadSanitizer: some
   races (a lookup without its lock) only show there.
2. Flakes: the reference of the last stage is graded RUNS times (every
   lab's tests) while another process keeps a core busy; any test that
   ever fails is a flake.
Prints a table and ends with "N passed, N failed"; exits 1 on any MISSED,
BROKEN or flake (CAUGHT-ELSEWHERE is reported, not counted as a failure).
Usage: python3 tests/check_grader.py [--runs N] [--only NAME] [--table]
(--table prints the variants as the Markdown rows of INSTRUCTORS.md.)
"""
from __future__ import annotations
import argparse
import json
import queue
import re
import shutil
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MUTANTS = ROOT / "tests" / "mutants"
WORKERS = 3      # variants judged at once, each in its own scratch copy:
                 # one more than the cores, since a test mostly waits on
                 # its sockets (110 variants: 147 s with 2, 102 s with 3)
GRADER = Path("tests") / "grade" / "grade.py"
TIME_LIMIT = 600          # seconds one build or grading run may take
HEADER = re.compile(r"^# (stage|bug|caught-by|sanitizer): (.+)$", re.M)
TARGET = re.compile(r"^\+\+\+ b/(\S+)", re.M)


@dataclass
class Variant:
    """One known-buggy variant: its patch and what it says of itself."""
    path: Path
    stage: int
    bug: str
    caught_by: str
    sanitizer: str | None  # "tsan" for a bug only a race detector sees

    @property
    def files(self) -> list[str]:
        """The files the patch changes, relative to the kit's root."""
        return TARGET.findall(self.path.read_text())


def load(path: Path) -> Variant:
    """Read a patch's header lines; fail loudly if one is missing."""
    fields = dict(HEADER.findall(path.read_text()))
    missing = {"stage", "bug", "caught-by"} - fields.keys()
    if missing:
        sys.exit(f"{path.name}: no '# {', '.join(sorted(missing))}:' line")
    return Variant(path, int(fields["stage"]), fields["bug"],
                   fields["caught-by"], fields.get("sanitizer"))


def run(command: list[str], cwd: Path) -> subprocess.CompletedProcess:
    """Run command in cwd with the time limit, capturing its output."""
    try:
        return subprocess.run(command, cwd=cwd, capture_output=True,
                              text=True, timeout=TIME_LIMIT)
    except subprocess.TimeoutExpired:
        return subprocess.CompletedProcess(command, 124, "", "time limit")


def copy_kit(scratch: Path) -> None:
    """Copy every file git tracks into scratch."""
    listed = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT,
                            capture_output=True, check=True).stdout
    for name in filter(None, listed.decode().split("\0")):
        target = scratch / name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(ROOT / name, target)


def failed_tests(scratch: Path, lab: int, only: str | None,
                 sanitizer: str | None = None,
                 cumulative: bool = False) -> set[str] | None:
    """Grade lab's own tests in scratch (just `only`, if given; with
    cumulative, those of labs 1..lab too), on the sanitizer build if one is
    named; return the names of the tests that failed, or None if the
    grader wrote nothing."""
    results = Path(tempfile.mkdtemp(prefix="check-grader-")) / "results.json"
    bin_dir = Path("build") / (sanitizer or "debug") / "bin" / "solutions"
    command = [sys.executable, str(GRADER), "--lab", str(lab),
               "--bin-dir", str(bin_dir), "--json", str(results)]
    command += [] if cumulative else ["--own"]
    command += ["--sanitizer", sanitizer] if sanitizer else []
    run(command + (["--only", only] if only else []), scratch)
    if not results.is_file():
        return None
    tests = json.loads(results.read_text())["tests"]
    shutil.rmtree(results.parent)
    return {t["name"] for t in tests if t.get("status") == "failed"}


def judge(variant: Variant, scratch: Path) -> tuple[str, str]:
    """Apply, build and grade one variant in scratch; (verdict, detail)."""
    applied = run(["patch", "-p1", "--forward", "-i", str(variant.path)],
                  scratch)
    if applied.returncode != 0:
        return "BROKEN", "the patch does not apply: " + applied.stdout
    san = [f"SAN={variant.sanitizer}"] if variant.sanitizer else []
    built = run(["make", "-s", "SOL=1", *san, "lab", f"LAB={variant.stage}"],
                scratch)
    if built.returncode != 0:
        return "BROKEN", "it does not build: " + built.stderr[-400:]
    failed = failed_tests(scratch, variant.stage, variant.caught_by,
                          variant.sanitizer)
    if failed is None:
        return "BROKEN", f"no test named {variant.caught_by}"
    if variant.caught_by in failed:
        return "CAUGHT", variant.caught_by
    failed = failed_tests(scratch, variant.stage, None,
                          variant.sanitizer) or set()
    if failed:
        return "CAUGHT-ELSEWHERE", ", ".join(sorted(failed))
    return "MISSED", f"every lab {variant.stage} test passed"


def restore(variant: Variant, scratch: Path) -> None:
    """Put back the files the variant changed (with a new mtime, so that
    make rebuilds them)."""
    for name in variant.files:
        shutil.copy(ROOT / name, scratch / name)


def check_variants(variants: list[Variant]) -> int:
    """Judge every variant, WORKERS at a time, each worker in a scratch
    copy of its own; print a row each, in order; return how many
    failed."""
    failures = 0
    with tempfile.TemporaryDirectory(prefix="check-grader-") as tmp:
        scratches: queue.Queue[Path] = queue.Queue()
        for n in range(WORKERS):
            copy_kit(Path(tmp) / str(n))
            scratches.put(Path(tmp) / str(n))

        def judged(variant: Variant) -> tuple[str, str]:
            scratch = scratches.get()
            try:
                return judge(variant, scratch)
            finally:
                restore(variant, scratch)
                scratches.put(scratch)

        with ThreadPoolExecutor(WORKERS) as pool:
            for variant, (verdict, detail) in zip(
                    variants, pool.map(judged, variants)):
                print(f"{verdict:<17} {variant.path.name:<38} {detail}",
                      flush=True)
                failures += verdict in ("MISSED", "BROKEN")
    return failures


def check_flakes(runs: int) -> int:
    """Grade the last stage's reference runs times with a core kept busy;
    print every test that ever failed; return how many did."""
    last = len([d for d in (ROOT / "labs").iterdir()
                if re.match(r"\d\d-", d.name)])
    built = run(["make", "-s", "SOL=1", "all"], ROOT)
    if built.returncode != 0:
        print("the references do not build:\n" + built.stderr[-400:])
        return 1
    busy = subprocess.Popen([sys.executable, "-c", "while True: pass"])
    flaky: dict[str, int] = {}
    try:
        for _ in range(runs):
            failed = failed_tests(ROOT, last, None, cumulative=True)
            for name in {"(no results)"} if failed is None else failed:
                flaky[name] = flaky.get(name, 0) + 1
    finally:
        busy.kill()
        busy.wait()
    print(f"reference, {runs} runs of labs 1-{last} with a core busy: "
          f"{'no flake' if not flaky else 'FLAKES'}")
    for name, count in sorted(flaky.items()):
        print(f"    {name} failed {count} of {runs} times")
    return len(flaky)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5,
                        help="reference runs for the flake check (0: none)")
    parser.add_argument("--only", metavar="NAME",
                        help="check only the variant whose file starts so")
    parser.add_argument("--table", action="store_true",
                        help="print the variants as Markdown rows, and stop")
    args = parser.parse_args()
    variants = [load(p) for p in sorted(MUTANTS.glob("*.patch"))
                if args.only is None or p.name.startswith(args.only)]
    if args.table:
        for v in variants:
            print(f"| `{v.path.stem}` | {v.stage:02d} | {v.bug} | "
                  f"`{v.caught_by}` |")
        return 0
    failed = check_variants(variants)
    flakes = check_flakes(args.runs) if args.runs > 0 else 0
    checks = len(variants) + (1 if args.runs > 0 else 0)
    failed_checks = failed + (1 if flakes else 0)
    print(f"{checks - failed_checks} passed, {failed_checks} failed")
    return 1 if failed_checks else 0


if __name__ == "__main__":
    sys.exit(main())
