"""builds.py - programs a test builds for itself, from the tree the run's
programs come from (SOL, GIVEN): the program of a unit suite (units.py),
and a ThreadSanitizer build of the graded stage (the tsan_clean tests).

make builds them the way `make unit` and `make lab SAN=tsan` do, so a
student's build error shows as that test's failure, never the run's.
"""
from __future__ import annotations
import os
import subprocess
from pathlib import Path
from typing import TYPE_CHECKING

import hints

if TYPE_CHECKING:
    from harness import Context, Options

KIT = Path(__file__).resolve().parent.parent.parent   # where the Makefile is
BUILD_SECONDS = 180      # to compile one program, its objects included


def build_root(options: Options, sanitizer: str | None) -> Path:
    """build/<debug|asan|tsan>: options.bin_dir is build/<...>/bin/<tree>."""
    build = options.bin_dir.parent.parent
    return build.parent / (sanitizer or build.name)


def unit_program(options: Options, module: str) -> Path:
    """build/<...>/tests/<tree>/test_<module>, beside the run's programs."""
    return build_root(options, options.sanitizer) / "tests" / \
        options.bin_dir.name / f"test_{module}"


def tsan_program(options: Options, program: Path) -> Path:
    """The ThreadSanitizer build of program (one of options.bin_dir)."""
    return build_root(options, "tsan") / "bin" / options.bin_dir.name / \
        program.name


def tree_flags(tree: str) -> list[str]:
    """The make variables of a tree of programs (the Makefile's TREE):
    "solutions" is SOL=1, "labs-given3" GIVEN=3, "labs" none."""
    base, _, given = tree.partition("-given")
    return (["SOL=1"] if base == "solutions" else []) + \
        ([f"GIVEN={given}"] if given else [])


def make_words(options: Options, target: Path,
               sanitizer: str | None) -> list[str]:
    """The make command that builds target from the same tree as the
    run's programs (the Makefile's rules name their targets from the
    kit's top)."""
    words = ["make", "-s", "--no-print-directory", "-C", str(KIT),
             *tree_flags(options.bin_dir.name),
             os.path.relpath(target.resolve(), KIT)]
    if sanitizer:
        words.append(f"SAN={sanitizer}")
    return words


def build(t: Context, target: Path, sanitizer: str | None,
          what: str) -> Path:
    """Build target; fail the test (NOT_BUILT, quoting the compiler) when
    it does not build. what names it for the failure: "the unit tests of
    http.c"."""
    words = make_words(t.options, target, sanitizer)
    with t.step(f"building {target}"):
        done = subprocess.run(words, capture_output=True, text=True,
                              errors="replace", timeout=BUILD_SECONDS)
    if done.returncode != 0:
        log = (done.stdout + done.stderr).strip().splitlines()
        t.fail(hints.NOT_BUILT, f"{what} do not build against your files "
               f"({' '.join(words)})", "\n".join(log[:20]))
    return target
