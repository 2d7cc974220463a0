"""targets.py - what the benchmark drives: the kit's reference stages,
tinyproxy and squid, each started in the run's temp folder.

A target is a name, how to start it (a function of the run's settings that
returns the started Proc and its port) and the URL paths it is measured
on: misses go to "/nocache/" (no cache may keep them), hits to the
cacheable path after one warming request.
"""
from __future__ import annotations
import os
import shutil
import subprocess
from dataclasses import dataclass
from typing import Callable

import origin
from procs import Proc, free_port, wait_listening

KIT_LOG_LEVEL = "warn"   # a log line per request is a cost: measured apart
CACHE_BYTES = 8 << 20    # the cache size given to stage 05 and squid
CACHE_OBJECT = 2 << 20   # its largest object: every benchmark file fits
SERVER_CPU = 1           # the core of the server under test


@dataclass
class Setup:
    """What starting a target needs to know about the run."""
    tmp: str           # the run's temp folder
    origin_port: int
    tls_port: int
    kit_bin: str       # folder of the reference programs


@dataclass
class Target:
    name: str
    start: Callable[[Setup], tuple[Proc, int]]
    hits: bool = False     # requests the cacheable path, warmed first
    tunnels: bool = False  # serves CONNECT to the TLS origin


def start_kit(stage: str, *flags: str) -> Callable[[Setup], tuple[Proc, int]]:
    """How to start the reference program of stage with flags."""
    def start(s: Setup) -> tuple[Proc, int]:
        port = free_port()
        argv = [os.path.join(s.kit_bin, stage), "-l", KIT_LOG_LEVEL, *flags,
                str(port)]
        proc = Proc(stage, argv, SERVER_CPU, s.tmp)
        wait_listening(port, proc)
        return proc, port
    return start


def cache_flags(s: Setup) -> list[str]:
    return ["-m", str(CACHE_BYTES), "-o", str(CACHE_OBJECT),
            "-p", str(s.tls_port)]


def start_stage05(s: Setup) -> tuple[Proc, int]:
    return start_kit("05-cache", *cache_flags(s))(s)


def start_stage07(s: Setup) -> tuple[Proc, int]:
    return start_kit("07-persist", *cache_flags(s))(s)


TINYPROXY_CONF = """\
Port {port}
Listen 127.0.0.1
Timeout 600
MaxClients 1024
LogLevel Critical
LogFile "{tmp}/tinyproxy.log"
ConnectPort {tls_port}
Allow 127.0.0.1
"""


def start_tinyproxy(s: Setup) -> tuple[Proc, int]:
    port = free_port()
    conf = os.path.join(s.tmp, "tinyproxy.conf")
    with open(conf, "w") as f:
        f.write(TINYPROXY_CONF.format(port=port, tmp=s.tmp,
                                      tls_port=s.tls_port))
    proc = Proc("tinyproxy", ["tinyproxy", "-d", "-c", conf], SERVER_CPU,
                s.tmp)
    wait_listening(port, proc)
    return proc, port


SQUID_CONF = """\
http_port 127.0.0.1:{port}
pid_filename {dir}/squid.pid
cache_log {dir}/cache.log
access_log none
cache_store_log none
coredump_dir {dir}
pinger_enable off
shutdown_lifetime 0 seconds
http_access allow all
cache_mem {cache_mb} MB
maximum_object_size_in_memory {object_kb} KB
{cache_rule}
"""


def start_squid(cache: bool) -> Callable[[Setup], tuple[Proc, int]]:
    """How to start squid with its memory cache on or off (cache deny all).
    It listens only on 127.0.0.1, so "http_access allow all" is local."""
    name = "squid-hit" if cache else "squid"

    def start(s: Setup) -> tuple[Proc, int]:
        port = free_port()
        folder = os.path.join(s.tmp, name)
        os.makedirs(folder, exist_ok=True)
        os.chmod(folder, 0o777)  # squid drops root for user "proxy"
        conf = os.path.join(folder, "squid.conf")
        with open(conf, "w") as f:
            f.write(SQUID_CONF.format(
                port=port, dir=folder, cache_mb=CACHE_BYTES >> 20,
                object_kb=CACHE_OBJECT >> 10,
                cache_rule="" if cache else "cache deny all"))
        proc = Proc(name, ["squid", "-N", "-f", conf], SERVER_CPU, s.tmp)
        wait_listening(port, proc)
        return proc, port
    return start


def all_targets() -> list[Target]:
    """Every target this machine can run, in the order of the tables."""
    targets = [
        Target("02-forward", start_kit("02-forward")),
        Target("03-threads", start_kit("03-threads")),
        Target("05-cache", start_stage05, tunnels=True),
        Target("05-cache hit", start_stage05, hits=True),
        Target("07-persist", start_stage07, tunnels=True),
        Target("07-persist hit", start_stage07, hits=True),
    ]
    if shutil.which("tinyproxy"):
        targets.append(Target("tinyproxy", start_tinyproxy, tunnels=True))
    if shutil.which("squid"):
        targets.append(Target("squid", start_squid(False), tunnels=True))
        targets.append(Target("squid hit", start_squid(True), hits=True))
    return targets


def path_of(target: Target | None, size: str) -> str:
    """The origin path target is measured on for a file of size."""
    if target is None or target.hits:
        return f"/{size}"
    return f"/nocache/{size}"


def warm(port: int, origin_port: int, size: str) -> None:
    """One request through the proxy, so the next ones are hits."""
    subprocess.run(["curl", "-s", "-o", "/dev/null", "-x",
                    f"http://127.0.0.1:{port}",
                    f"http://127.0.0.1:{origin_port}/{size}"],
                   check=False, timeout=10)


SIZES = list(origin.SIZES)
