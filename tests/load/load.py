#!/usr/bin/python3
# SPDX-License-Identifier: MIT
#
# load.py MODE ... - the clients of tests/integration/load-tier, on
# loopback only, with the standard library alone (selectors, ssl):
#
#   idle HOST PORT NTCP NTLS CAFILE
#       NTCP TCP connections that send nothing and NTLS that complete a
#       TLS handshake and then send nothing; prints "connected T L" and
#       holds them until stdin closes, then prints how many the server
#       had closed meanwhile.
#   slowloris HOST PORT N CAFILE HEAD_TIMEOUT SLACK PAUSE
#       N TLS connections, each sending a request head that never ends,
#       one byte every PAUSE seconds; each must be closed by the server
#       within HEAD_TIMEOUT + SLACK seconds of its first byte.  Prints
#       the figures; exits 0 only when every one was.
#   hostile SOCKET N WAVES
#       N connections to handshaked's unix socket in WAVES waves, each a
#       mix of idle, garbage, zero-length messages carrying an fd,
#       oversized, and slow (a valid request late); prints what happened.
#
# A step that cannot finish within its limit says which, and exits 3.

import array
import os
import selectors
import socket
import ssl
import sys
import time


def die(what):
    print("load.py: time limit: " + what, flush=True)
    sys.exit(3)


def tls_context(cafile):
    ctx = ssl.create_default_context(cafile=cafile)
    ctx.check_hostname = False      # the certificate names localhost
    return ctx


def connect_tcp(host, port, n, limit=60):
    socks, end = [], time.monotonic() + limit
    for _ in range(n):
        if time.monotonic() > end:
            die("%d of %d TCP connections after %d s" % (len(socks), n,
                                                         limit))
        s = socket.create_connection((host, port), timeout=limit)
        s.setblocking(False)
        socks.append(s)
    return socks


def handshake_all(ctx, socks, limit=120):
    """TLS handshakes on every non-blocking socket at once."""
    sel = selectors.DefaultSelector()
    tls, pending = [], {}
    for s in socks:
        t = ctx.wrap_socket(s, server_hostname="localhost",
                            do_handshake_on_connect=False)
        tls.append(t)
        pending[t.fileno()] = t
    for t in tls:
        sel.register(t, selectors.EVENT_WRITE)
    end = time.monotonic() + limit
    while pending:
        if time.monotonic() > end:
            die("%d of %d TLS handshakes unfinished after %d s" %
                (len(pending), len(tls), limit))
        for key, _ in sel.select(timeout=1):
            t = key.fileobj
            try:
                t.do_handshake()
            except ssl.SSLWantReadError:
                sel.modify(t, selectors.EVENT_READ)
                continue
            except ssl.SSLWantWriteError:
                sel.modify(t, selectors.EVENT_WRITE)
                continue
            sel.unregister(t)
            del pending[t.fileno()]
    sel.close()
    return tls


def closed_by_peer(s):
    """Whether the server closed (EOF, reset, or an answer and EOF)."""
    try:
        while True:
            if not s.recv(65536):
                return True
    except (ssl.SSLWantReadError, ssl.SSLWantWriteError, BlockingIOError):
        return False
    except (ssl.SSLError, OSError):
        return True


def idle(host, port, ntcp, ntls, cafile):
    tcp = connect_tcp(host, port, ntcp)
    tls = handshake_all(tls_context(cafile),
                        connect_tcp(host, port, ntls)) if ntls else []
    print("connected %d %d" % (len(tcp), len(tls)), flush=True)
    sys.stdin.read()
    gone = sum(closed_by_peer(s) for s in tcp + tls)
    print("closed-by-server %d" % gone, flush=True)
    for s in tcp + tls:
        s.close()


def slowloris(host, port, n, cafile, head_timeout, slack, pause):
    ctx = tls_context(cafile)
    t0 = time.monotonic()
    conns = handshake_all(ctx, connect_tcp(host, port, n))
    hs = time.monotonic() - t0
    head = (b"GET / HTTP/1.1\r\nHost: localhost\r\nX-Slow: " +
            b"a" * 100000)
    first, done, sent = {}, {}, {}
    sel = selectors.DefaultSelector()
    for c in conns:
        sel.register(c, selectors.EVENT_READ)
        sent[c] = 0
    limit = head_timeout + slack
    # The first bytes go out spread over one pause, then one byte a
    # pause each.
    start = time.monotonic()
    nxt = {c: start + pause * i / n for i, c in enumerate(conns)}
    while len(done) < n:
        now = time.monotonic()
        if first and now > max(first.values()) + limit + 5:
            break
        if now - start > limit + 4 * pause + 60:
            break
        for c in conns:
            if c in done or nxt[c] > now:
                continue
            try:
                c.send(head[sent[c]:sent[c] + 1])
            except (ssl.SSLWantWriteError, BlockingIOError):
                continue
            except (ssl.SSLError, OSError):
                done[c] = time.monotonic()
                first.setdefault(c, done[c])
                continue
            first.setdefault(c, now)
            sent[c] += 1
            nxt[c] = now + pause
        for key, _ in sel.select(timeout=0.05):
            c = key.fileobj
            if c not in done and closed_by_peer(c):
                done[c] = time.monotonic()
                sel.unregister(c)
    after = [done[c] - first[c] for c in done if c in first]
    late = sum(1 for a in after if a > limit)
    still = n - len(done)
    print("slowloris: %d connections (handshakes %.1f s), %d closed, "
          "%d still open, %d closed later than %d s after the first "
          "byte; close after first byte: max %.1f s, min %.1f s; "
          "most bytes sent on one %d" %
          (n, hs, len(done), still, late, limit,
           max(after) if after else -1, min(after) if after else -1,
           max(sent.values())), flush=True)
    for c in conns:
        c.close()
    return 0 if still == 0 and late == 0 else 1


HDR = b"KTLS"


def hostile(path, n, waves):
    """Waves of hostile clients of handshaked; counts, no judgement."""
    kinds = ["idle", "garbage", "zerofd", "oversized", "slow"]
    stats = {k: 0 for k in kinds}
    stats.update(connected=0, backlog_full=0, gave_up=0, replies=0)
    per_wave = n // waves
    devnull = os.open("/dev/null", os.O_RDONLY)
    for w in range(waves):
        live = []
        for i in range(per_wave):
            kind = kinds[i % len(kinds)]
            s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
            s.setblocking(False)
            # A full backlog (the daemon out of fds): counted, tried
            # again for up to 10 s.
            end, connected = time.monotonic() + 10, False
            while not connected and time.monotonic() < end:
                try:
                    s.connect(path)
                    connected = True
                except (BlockingIOError, ConnectionRefusedError):
                    stats["backlog_full"] += 1
                    time.sleep(0.05)
            if not connected:
                s.close()
                stats["gave_up"] += 1
                continue
            stats["connected"] += 1
            stats[kind] += 1
            try:
                if kind == "garbage":
                    s.send(HDR + os.urandom(60))
                elif kind == "zerofd":
                    s.sendmsg([b""], [(socket.SOL_SOCKET, socket.SCM_RIGHTS,
                                       array.array("i", [devnull]))])
                elif kind == "oversized":
                    try:
                        s.send(HDR + bytes(70000))
                    except OSError:
                        s.send(HDR + bytes(65000))
            except (BlockingIOError, OSError):
                pass
            live.append((kind, s))
        # Slow ones: a valid counters request, late.
        time.sleep(1)
        for kind, s in live:
            if kind == "slow":
                try:
                    s.send(HDR + b"\x00\x01\x00\x03\x00\x00\x00\x00")
                except OSError:
                    pass
        time.sleep(1)
        for kind, s in live:
            try:
                if s.recv(65536):
                    stats["replies"] += 1
            except OSError:
                pass
            s.close()
    os.close(devnull)
    print("hostile: " + " ".join("%s=%d" % kv for kv in stats.items()),
          flush=True)
    return 0


def main(argv):
    mode = argv[1] if len(argv) > 1 else ""
    if mode == "idle" and len(argv) == 7:
        idle(argv[2], int(argv[3]), int(argv[4]), int(argv[5]), argv[6])
        return 0
    if mode == "slowloris" and len(argv) == 9:
        return slowloris(argv[2], int(argv[3]), int(argv[4]), argv[5],
                         float(argv[6]), float(argv[7]), float(argv[8]))
    if mode == "hostile" and len(argv) == 5:
        return hostile(argv[2], int(argv[3]), int(argv[4]))
    print(__doc__ if __doc__ else "usage: see the head of load.py",
          file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
