#!/usr/bin/python3
"""graders.py - build each grading platform's autograder for a lab
(`make gradescope`, `make prairielearn`, `make autolab`, with LAB=N and
optionally OWN=1, GIVEN=K, TIMEOUT=seconds).

Every package holds the same grader: grading.json (autograde.Settings:
the lab, the mode, GIVEN, the time limit) and kit/, the kit of stages
01..N as students have it plus the hidden tests, without instructor
material (kitfiles.PRIVATE) and without the reference, except stages
1..K with GIVEN=K. Each adds its platform's entry point:
  gradescope    build/graders/proxylab-labN-gradescope.zip: setup.sh
                (installs what grading needs) and run_autograder, at the
                top, as Gradescope's "Zip file upload" expects;
  prairielearn  build/graders/proxylab-labN-prairielearn.tar.gz: the
                question's tests/ directory (run, grading.json, kit/);
  autolab       build/graders/proxylab-labN-autolab/: autograde.tar
                (proxylab-autograder/: run, grading.json, kit/) and
                autograde-Makefile, the two files Autolab asks for.
Usage: python3 tools/graders.py PLATFORM --lab N [--own] [--given K]
                                [--time-limit S] [--out DIR]
"""
from __future__ import annotations
import argparse
import shutil
import sys
import tarfile
import tempfile
import zipfile
from pathlib import Path

import autograde
import kitfiles

OUT = kitfiles.ROOT / "build" / "graders"
TOOLS = kitfiles.ROOT / "tools"
EXECUTABLE = 0o100755 << 16   # a zip entry's mode, for setup.sh and the rest


def reference_files(given: int | None) -> list[str]:
    """The reference's files of stages 1..given, relative to the kit."""
    return [name.replace("labs/", "solutions/", 1)
            for name in kitfiles.student_files(kitfiles.ROOT, given)] \
        if given else []


def make_package(settings: autograde.Settings, dest: Path) -> None:
    """grading.json and kit/ in dest: what every platform's grader reads."""
    kit = dest / "kit"
    kitfiles.copy_kit(kitfiles.kit_files(settings.lab), kit, public=False)
    for name in reference_files(settings.given):
        (kit / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(kitfiles.ROOT / name, kit / name)
    settings.save(dest / "grading.json")


def add_file(package: Path, source: Path, name: str) -> None:
    """Copy a platform's script into the package as name, executable."""
    shutil.copy2(source, package / name)
    (package / name).chmod(0o755)


def gradescope(settings: autograde.Settings, package: Path,
               out: Path) -> Path:
    """The Gradescope zip of the package, its scripts at the top."""
    for script in ("setup.sh", "run_autograder"):
        add_file(package, TOOLS / "gradescope" / script, script)
    target = out / f"proxylab-lab{settings.lab}-gradescope.zip"
    with zipfile.ZipFile(target, "w") as archive:
        for path in sorted(p for p in package.rglob("*") if p.is_file()):
            info = zipfile.ZipInfo.from_file(path, path.relative_to(package))
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, path.read_bytes())
    return target


def prairielearn(settings: autograde.Settings, package: Path,
                 out: Path) -> Path:
    """PrairieLearn's tests/ directory, as a tarball to unpack in the
    question's directory."""
    add_file(package, TOOLS / "prairielearn" / "run", "run")
    tests = package.parent / "tests"
    package.rename(tests)
    return kitfiles.make_tarball(
        tests, out / f"proxylab-lab{settings.lab}-prairielearn.tar.gz")


def autolab(settings: autograde.Settings, package: Path, out: Path) -> Path:
    """Autolab's two files: autograde.tar and autograde-Makefile."""
    add_file(package, TOOLS / "autolab" / "run", "run")
    target = out / f"proxylab-lab{settings.lab}-autolab"
    shutil.rmtree(target, ignore_errors=True)
    target.mkdir()
    with tarfile.open(target / "autograde.tar", "w") as tar:
        tar.add(package, arcname="proxylab-autograder",
                filter=kitfiles.without_owner)
    shutil.copyfile(TOOLS / "autolab" / "Makefile",
                    target / "autograde-Makefile")
    return target


PLATFORMS = {"gradescope": gradescope, "prairielearn": prairielearn,
             "autolab": autolab}


def build(platform: str, settings: autograde.Settings,
          out: Path = OUT) -> Path:
    """Build platform's autograder in out; return its path."""
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=f"{platform}-") as tmp:
        package = Path(tmp) / "package"
        make_package(settings, package)
        return PLATFORMS[platform](settings, package, out)


def parse_args(argv: list[str] | None = None) -> \
        tuple[str, autograde.Settings, Path]:
    """The platform, the settings and the output directory, checked."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("platform", choices=sorted(PLATFORMS))
    parser.add_argument("--lab", type=int, required=True)
    parser.add_argument("--own", action="store_true",
                        help="grade the stage's own tests, out of 100")
    parser.add_argument("--given", type=int, metavar="K",
                        help="stages 1..K from the reference")
    parser.add_argument("--time-limit", type=int, default=1500,
                        help="seconds a submission may take (1500)")
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args(argv)
    numbers = [kitfiles.stage_number(s) for s in kitfiles.stages()]
    if args.lab not in numbers:
        parser.error(f"--lab must be one of {numbers}")
    if args.given is not None and not 1 <= args.given < args.lab:
        parser.error("--given must be from 1 to LAB-1")
    if args.time_limit < 60:
        parser.error("--time-limit must be at least 60 seconds")
    return args.platform, autograde.Settings(
        args.lab, args.own, args.given, args.time_limit), args.out


def main() -> int:
    """Build what the command line asks for; print its path."""
    platform, settings, out = parse_args()
    print(build(platform, settings, out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
