"""report.py - the benchmark's results as Markdown tables, the issue's
targets checked against them, and an SVG bar chart of req/s by target.

Rows are grouped into one table per file size, client mode and number of
connections. Each row's ratios compare it with direct, tinyproxy and squid
in the same table (a hit row with squid's hits).
"""
from __future__ import annotations
from dataclasses import dataclass

from load import Result
from tunnel import PARALLEL

MIB = 1 << 20


@dataclass
class Row:
    target: str
    size: str
    keepalive: bool
    conns: int
    result: Result
    rss_kib: int          # the target's peak RSS so far (0: direct)
    origin_conns: int = 0    # connections the origin accepted in the run
    origin_requests: int = 0  # requests it served in the run


@dataclass
class TunnelRow:
    target: str
    open_ms: float
    one_mib_s: float
    many_mib_s: float
    rss_kib: int


def mode_name(keepalive: bool) -> str:
    return "keep-alive" if keepalive else "a new connection per request"


def ratio(value: float, base: float | None) -> str:
    return f"{value / base:.2f}" if base else "-"


def find(rows: list[Row], target: str) -> Row | None:
    return next((r for r in rows if r.target == target), None)


def squid_for(row: Row, rows: list[Row]) -> Row | None:
    """The squid row a row is compared with: hits with hits."""
    return find(rows, "squid hit" if row.target.endswith("hit") else "squid")


def row_line(row: Row, rows: list[Row]) -> str:
    r = row.result
    bases = [find(rows, "direct"), find(rows, "tinyproxy"),
             squid_for(row, rows)]
    rss = f"{row.rss_kib / 1024:.1f}" if row.rss_kib else "-"
    cells = [row.target, f"{r.rps:,.0f}", f"{r.mib_s:,.1f}",
             f"{r.p50_ms:.2f}", f"{r.p99_ms:.2f}", str(r.errors), rss]
    cells += [ratio(r.rps, b.result.rps if b else None) for b in bases]
    return "| " + " | ".join(cells) + " |"


HEADER = ("| target | req/s | MiB/s | p50 ms | p99 ms | errors | peak RSS MiB "
          "| × direct | × tinyproxy | × squid |\n"
          "|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|")


def groups(rows: list[Row]) -> dict[tuple[str, bool, int], list[Row]]:
    """Rows by (size, keepalive, conns), in the order they were run."""
    out: dict[tuple[str, bool, int], list[Row]] = {}
    for row in rows:
        out.setdefault((row.size, row.keepalive, row.conns), []).append(row)
    return out


def http_tables(rows: list[Row]) -> str:
    parts = []
    for (size, keepalive, conns), group in groups(rows).items():
        parts.append(f"### {size}, {conns} connections, {mode_name(keepalive)}"
                     f"\n\n{HEADER}\n" +
                     "\n".join(row_line(r, group) for r in group) + "\n")
    return "\n".join(parts)


def tunnel_table(rows: list[TunnelRow]) -> str:
    direct = next((r for r in rows if r.target == "direct"), None)
    lines = ["| target | open ms | added ms | 1 tunnel MiB/s | × direct "
             f"| {PARALLEL} tunnels MiB/s | × direct | peak RSS MiB |",
             "|---|--:|--:|--:|--:|--:|--:|--:|"]
    for r in rows:
        added = f"{r.open_ms - direct.open_ms:.2f}" if direct else "-"
        rss = f"{r.rss_kib / 1024:.1f}" if r.rss_kib else "-"
        lines.append(
            f"| {r.target} | {r.open_ms:.2f} | {added} | {r.one_mib_s:,.0f} "
            f"| {ratio(r.one_mib_s, direct.one_mib_s if direct else None)} "
            f"| {r.many_mib_s:,.0f} "
            f"| {ratio(r.many_mib_s, direct.many_mib_s if direct else None)} "
            f"| {rss} |")
    return "\n".join(lines) + "\n"


def check(name: str, met: bool, detail: str) -> str:
    return f"- {'met' if met else '**not met**'}: {name} ({detail})"


def pairs(rows: list[Row], ours: str, base: str, kept: bool = False,
          sizes: tuple[str, ...] = ("1k", "100k")):
    """(size, conns, our row, base row) for each table the issue's HTTP
    targets speak of: sizes, a new connection per request (kept: the
    connections kept open), more than one connection."""
    for (size, keepalive, conns), g in groups(rows).items():
        mine, theirs = find(g, ours), find(g, base)
        if keepalive != kept or size not in sizes or conns == 1 or \
                not (mine and theirs):
            continue
        yield size, conns, mine.result, theirs.result


def miss_checks(rows: list[Row]) -> list[str]:
    out = []
    for size, conns, mine, tiny in pairs(rows, "05-cache", "tinyproxy"):
        x = mine.rps / tiny.rps if tiny.rps else 0
        met = x >= 2 and mine.errors == 0 and mine.p99_ms <= tiny.p99_ms
        out.append(check(f"misses {size}, {conns} connections: 2x tinyproxy,"
                         " no errors, p99 no worse", met,
                         f"{x:.2f}x, {mine.errors} errors, p99 "
                         f"{mine.p99_ms:.2f} vs {tiny.p99_ms:.2f} ms"))
    return out


def hit_checks(rows: list[Row]) -> list[str]:
    out = []
    for size, conns, mine, squid in pairs(rows, "05-cache hit", "squid hit"):
        x = mine.rps / squid.rps if squid.rps else 0
        out.append(check(f"hits {size}, {conns} connections: 1.5x squid's "
                         "memory hits", x >= 1.5, f"{x:.2f}x"))
    return out


def keepalive_checks(rows: list[Row]) -> list[str]:
    """Stage 07's targets: kept connections against direct and squid, and
    a new connection per request no worse than the stage before."""
    out = []
    for size, conns, mine, nginx in pairs(rows, "07-persist hit", "direct",
                                          kept=True, sizes=("1k",)):
        x = mine.rps / nginx.rps if nginx.rps else 0
        out.append(check(f"kept hits {size}, {conns} connections: 0.7x "
                         "direct nginx", x >= 0.7, f"{x:.2f}x"))
    for size, conns, mine, squid in pairs(rows, "07-persist", "squid",
                                          kept=True):
        x = mine.rps / squid.rps if squid.rps else 0
        row = next(r for r in rows if r.result is mine)
        out.append(check(f"kept misses {size}, {conns} connections: 2x squid,"
                         " origin connections reused", x >= 2 and
                         row.origin_requests > row.origin_conns,
                         f"{x:.2f}x; {reuse(row)}"))
    for size, conns, mine, before in pairs(rows, "07-persist", "05-cache"):
        x = mine.rps / before.rps if before.rps else 0
        out.append(check(f"misses {size}, {conns} connections, a new "
                         "connection per request: no worse than 05-cache",
                         x >= 0.9, f"{x:.2f}x"))
    return out


def reuse(row: Row) -> str:
    """How the run used its origin connections, counted at the origin."""
    per = row.origin_requests / row.origin_conns if row.origin_conns else 0
    return (f"{row.origin_requests:,} origin requests on "
            f"{row.origin_conns:,} origin connections, {per:,.0f} each")


def idle_check(result, cache_bytes: int, pool: int) -> list[str]:
    """Stage 07's idle clients: threads, memory, a new client served."""
    if result is None:
        return []
    limit_kib = 8 * 1024 + cache_bytes // 1024 + result.clients
    served = result.new_ms < 1000 and result.kept > 0
    return [check(f"{result.clients:,} idle kept clients: no more threads "
                  f"than the pool ({pool}) and the main thread",
                  result.threads <= pool + 1, f"{result.threads} threads"),
            check("RSS at most 8 MiB + the cache + 1 KiB a client "
                  f"({limit_kib / 1024:.0f} MiB)", result.rss_kib <= limit_kib,
                  f"{result.rss_kib / 1024:.1f} MiB"),
            check("a new client is served meanwhile, and the idle ones "
                  "are still kept", served,
                  f"{result.new_ms:.1f} ms; {result.kept} of the probed "
                  "idle clients answered again")]


def tunnel_checks(rows: list[TunnelRow]) -> list[str]:
    direct = next((r for r in rows if r.target == "direct"), None)
    ours = next((r for r in rows if r.target == "05-cache"), None)
    if not (direct and ours):
        return []
    x = ours.one_mib_s / direct.one_mib_s if direct.one_mib_s else 0
    added = ours.open_ms - direct.open_ms
    return [check("one tunnel: 0.6x direct TLS", x >= 0.6, f"{x:.2f}x"),
            check("opening a tunnel adds under 1 ms", added < 1,
                  f"{added:.2f} ms")]


def memory_check(rows: list[Row], tunnels: list[TunnelRow],
                 cache_bytes: int) -> list[str]:
    peaks = [r.rss_kib for r in rows if r.target.startswith("05-cache")]
    peaks += [r.rss_kib for r in tunnels if r.target == "05-cache"]
    if not peaks:
        return []
    peak = max(peaks) / 1024
    limit = 8 + cache_bytes / MIB
    return [check(f"peak RSS under 8 MiB + the cache ({limit:.0f} MiB)",
                  peak < limit, f"{peak:.1f} MiB")]


def targets(rows: list[Row], tunnels: list[TunnelRow], cache_bytes: int,
            idle=None, pool: int = 16) -> str:
    lines = (miss_checks(rows) + hit_checks(rows) + tunnel_checks(tunnels) +
             memory_check(rows, tunnels, cache_bytes) +
             keepalive_checks(rows) + idle_check(idle, cache_bytes, pool))
    return "\n".join(lines) + "\n"


def svg_chart(rows: list[Row], title: str) -> str:
    """Horizontal bars of req/s, one group per file size."""
    width, label_w, bar_h, gap, top = 760, 150, 16, 4, 40
    peak = max((r.result.rps for r in rows), default=1) or 1
    scale = (width - label_w - 90) / peak
    parts, y = [], top
    for (size, _, _), group in groups(rows).items():
        parts.append(f'<text x="10" y="{y + 12}" font-weight="bold">'
                     f'{size}</text>')
        y += bar_h + gap
        for r in group:
            w = max(1, round(r.result.rps * scale))
            colour = "#2a6fb0" if r.target[:2].isdigit() else "#999999"
            parts.append(
                f'<text x="{label_w - 6}" y="{y + 12}" text-anchor="end">'
                f'{r.target}</text><rect x="{label_w}" y="{y}" width="{w}" '
                f'height="{bar_h}" fill="{colour}"/><text x="{label_w + w + 4}"'
                f' y="{y + 12}">{r.result.rps:,.0f}</text>')
            y += bar_h + gap
        y += gap * 3
    return (f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" '
            f'height="{y + 10}" font-family="sans-serif" font-size="12">\n'
            f'<rect width="100%" height="100%" fill="white"/>\n'
            f'<text x="10" y="20" font-size="14">{title}</text>\n' +
            "\n".join(parts) + "\n</svg>\n")
