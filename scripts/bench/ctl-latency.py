#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
#
# This file holds a probe of xlbd's responsiveness: it sends one control
# request after another (one connection each, as the xlb CLI does) and
# reports how long each took to be answered, so a walk or anything else
# that holds xlbd's event loop shows as the worst latency. No process is
# started per request: what is timed is xlbd's loop, not fork and exec.
#
# Usage: ctl-latency.py SOCKET [--cmd status] [--seconds 10]
#        [--until FILE] [--gap-ms 1]
# Stops after --seconds, or as soon as FILE exists; prints one JSON line:
# {"n", "errors", "max_ms", "p50_ms", "p99_ms", "over_10ms", "over_50ms"}.
import argparse
import json
import os
import socket
import sys
import time


def ask(path, req, timeout):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(timeout)
    try:
        s.connect(path)
        s.sendall(req)
        s.shutdown(socket.SHUT_WR)
        buf = b""
        while True:
            b = s.recv(65536)
            if not b:
                break
            buf += b
    finally:
        s.close()
    return json.loads(buf).get("ok") is True


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("socket")
    ap.add_argument("--cmd", default="status")
    ap.add_argument("--seconds", type=float, default=10)
    ap.add_argument("--until")
    ap.add_argument("--gap-ms", type=float, default=1)
    a = ap.parse_args()
    req = json.dumps({"cmd": a.cmd}).encode()
    lat, errors = [], 0
    end = time.monotonic() + a.seconds
    while time.monotonic() < end:
        if a.until and os.path.exists(a.until):
            break
        t0 = time.monotonic()
        try:
            ok = ask(a.socket, req, 30)
        except (OSError, ValueError):
            ok = False
        t1 = time.monotonic()
        if ok:
            lat.append((t1 - t0) * 1000)
        else:
            errors += 1
        time.sleep(a.gap_ms / 1000)
    lat.sort()

    def q(p):
        return round(lat[min(len(lat) - 1, int(p * len(lat)))], 2) if lat else -1

    print(json.dumps({"n": len(lat), "errors": errors,
                      "max_ms": round(lat[-1], 2) if lat else -1,
                      "p50_ms": q(0.5), "p99_ms": q(0.99),
                      "over_10ms": sum(1 for x in lat if x > 10),
                      "over_50ms": sum(1 for x in lat if x > 50)}))
    return 0 if lat and not errors else 1


if __name__ == "__main__":
    sys.exit(main())
