"""origin.py - the benchmark's origin: Debian's nginx in a private prefix.

One nginx process (no master, so one pid to pin and stop) serves the same
files three ways on 127.0.0.1: over HTTP, cacheable for an hour
("/1k"); over HTTP with "Cache-Control: no-store" ("/nocache/1k"), for
misses that no cache may keep; and over TLS with a self-signed
certificate, the far end of the CONNECT tunnels ("/big"). Its counts of
connections accepted and requests served (stub_status, "/status",
asked directly) tell how often a proxy reuses its origin connections.
"""
from __future__ import annotations
import os
import re
import socket
import subprocess

from procs import Proc, free_port, wait_listening

SIZES = {"1k": 1024, "100k": 100 * 1024, "1m": 1024 * 1024}
BIG = "big"              # the file the tunnels download
BIG_BYTES = 1 << 30      # sparse: it takes no disk space

CONFIG = """\
daemon off;
master_process off;
error_log {prefix}/error.log warn;
pid {prefix}/nginx.pid;
events {{ worker_connections 8192; }}
http {{
    access_log off;
    default_type application/octet-stream;
    sendfile on;
    tcp_nodelay on;
    keepalive_requests 1000000;
    client_body_temp_path {prefix}/tmp;
    proxy_temp_path {prefix}/tmp;
    fastcgi_temp_path {prefix}/tmp;
    uwsgi_temp_path {prefix}/tmp;
    scgi_temp_path {prefix}/tmp;
    server {{
        listen 127.0.0.1:{port} backlog=4096;
        root {prefix}/www;
        location / {{ expires 1h; }}
        location = /status {{ stub_status; }}
        location /nocache/ {{
            alias {prefix}/www/;
            add_header Cache-Control no-store;
        }}
    }}
    server {{
        listen 127.0.0.1:{tls_port} ssl backlog=4096;
        ssl_certificate {prefix}/cert.pem;
        ssl_certificate_key {prefix}/key.pem;
        root {prefix}/www;
    }}
}}
"""


def make_files(prefix: str) -> None:
    """The served files, the TLS certificate and nginx's temp folder."""
    www = os.path.join(prefix, "www")
    os.makedirs(www)
    os.makedirs(os.path.join(prefix, "tmp"))
    for name, size in SIZES.items():
        with open(os.path.join(www, name), "wb") as f:
            f.write(bytes(i % 251 for i in range(size)))
    with open(os.path.join(www, BIG), "wb") as f:
        f.truncate(BIG_BYTES)
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048",
                    "-nodes", "-days", "2", "-subj", "/CN=127.0.0.1",
                    "-keyout", os.path.join(prefix, "key.pem"),
                    "-out", os.path.join(prefix, "cert.pem")],
                   check=True, capture_output=True)


def counts(port: int) -> tuple[int, int]:
    """(connections accepted, requests served) by nginx so far, not
    counting the connection and request that ask."""
    with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
        s.sendall(b"GET /status HTTP/1.0\r\n\r\n")
        data = b""
        while chunk := s.recv(4096):
            data += chunk
    found = re.search(rb"\n\s*(\d+)\s+(\d+)\s+(\d+)\s*\n", data)
    if found is None:
        raise RuntimeError(f"nginx's status page is not as expected: {data!r}")
    return int(found.group(1)) - 1, int(found.group(3)) - 1


def start(prefix: str, cpu: int) -> tuple[Proc, int, int]:
    """Start nginx on cpu; returns it, its HTTP port and its TLS port."""
    make_files(prefix)
    port, tls_port = free_port(), free_port()
    conf = os.path.join(prefix, "nginx.conf")
    with open(conf, "w") as f:
        f.write(CONFIG.format(prefix=prefix, port=port, tls_port=tls_port))
    proc = Proc("nginx", ["nginx", "-p", prefix, "-c", conf, "-e",
                          os.path.join(prefix, "error.log")], cpu, prefix)
    wait_listening(port, proc)
    wait_listening(tls_port, proc)
    return proc, port, tls_port
