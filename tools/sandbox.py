"""sandbox.py - run a student's build and grading with little power.

Every command of a submission runs:
  - as the unprivileged user proxylab-grader (made with useradd if it is
    missing), through setpriv, with no supplementary groups;
  - under resource limits set before exec (LIMITS: CPU seconds, address
    space, processes, open files, file size), in a session of its own so
    that a time-out ends the whole group;
  - where the machine allows it, in a private network namespace
    (`unshare --net`) whose only interface, lo, is brought up: the tests
    use 127.0.0.1 and ::1 only, and nothing can reach another machine.
Switching user and unsharing need root; run as anyone else, commands run
as that user, and the note that describe() returns says so.
"""
from __future__ import annotations
import os
import pwd
import resource
import signal
import subprocess

USER = "proxylab-grader"
GiB = 1 << 30
LIMITS = {
    resource.RLIMIT_CPU: 600,          # seconds of CPU per process
    resource.RLIMIT_AS: 4 * GiB,       # address space per process
    resource.RLIMIT_NPROC: 2048,       # processes and threads of the user
    resource.RLIMIT_NOFILE: 1024,      # open files per process
    resource.RLIMIT_FSIZE: GiB,        # the largest file it may write
}
STOP_GRACE = 10   # seconds between SIGTERM and SIGKILL at a time-out
LO_UP = 'ip link set lo up && exec "$@"'


def grader_user() -> tuple[int, int] | None:
    """The (uid, gid) to run as, creating the user if needed; None when
    this process cannot switch users (not root)."""
    if os.geteuid() != 0:
        return None
    try:
        entry = pwd.getpwnam(USER)
    except KeyError:
        subprocess.run(["useradd", "--system", "--no-create-home",
                        "--shell", "/usr/sbin/nologin", USER], check=True)
        entry = pwd.getpwnam(USER)
    return entry.pw_uid, entry.pw_gid


def private_network_works() -> bool:
    """True when a private network namespace with lo up can be made."""
    try:
        run = subprocess.run(["unshare", "--net", "--", "sh", "-c", LO_UP,
                              "sh", "true"], capture_output=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired):
        return False
    return run.returncode == 0


def describe(user: tuple[int, int] | None, private_net: bool) -> str:
    """One line saying how commands run, for the CSV."""
    who = f"as {USER}" if user else f"as {pwd.getpwuid(os.geteuid())[0]} " \
        "(not root: no user switch)"
    net = "private network" if private_net else \
        "shared network (no network namespace here)"
    return f"{who}; limits; {net}"


def command(argv: list[str], user: tuple[int, int] | None,
            private_net: bool) -> list[str]:
    """argv wrapped to run as user, in a private network if asked."""
    if user:
        uid, gid = user
        argv = ["setpriv", f"--reuid={uid}", f"--regid={gid}",
                "--clear-groups", "--", *argv]
    if private_net:
        argv = ["unshare", "--net", "--", "sh", "-c", LO_UP, "sh", *argv]
    return argv


def limit_resources() -> None:
    """In the child, before exec: a session of its own, and LIMITS."""
    os.setsid()
    for limit, value in LIMITS.items():
        resource.setrlimit(limit, (value, value))


def run(argv: list[str], cwd: str, user: tuple[int, int] | None,
        private_net: bool, timeout: float) -> tuple[int | None, str]:
    """Run argv in the sandbox; return its exit status (None when it ran
    out of time and its whole group was killed) and its output."""
    env = {"PATH": "/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin",
           "HOME": cwd, "LANG": "C.UTF-8"}
    proc = subprocess.Popen(command(argv, user, private_net), cwd=cwd,
                            env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True,
                            errors="replace", preexec_fn=limit_resources)
    try:
        output, _ = proc.communicate(timeout=timeout)
        return proc.returncode, output
    except subprocess.TimeoutExpired:
        stop_group(proc)
        output, _ = proc.communicate()
        return None, output


def stop_group(proc: subprocess.Popen) -> None:
    """End proc's session: SIGTERM (the grader then reaps what it
    started), and SIGKILL after STOP_GRACE seconds."""
    os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout=STOP_GRACE)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
