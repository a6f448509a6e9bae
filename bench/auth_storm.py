#!/usr/bin/env python3
"""bench/auth_storm.py — sign-in storms and account-enumeration timing, for bench/auth.sh.

The server must run with --trusted-proxies 127.0.0.1: every request here names its client
address in X-Forwarded-For, so "20 addresses" and "one address" are what the server's
limiters see. Uses the asyncio HTTP/1.1 client of checkout_load.py (standard library only).

    auth_storm.py register --port P --count N --password PW --out accounts.json
        The victim (victim-<run>@bench.test) and N known accounts, each registration from
        its own address (10.1.x.y).

    auth_storm.py burst --port P --accounts accounts.json --victim-attempts 20 --flood 200 --out burst.json
        Opens every connection first, then sends at once: victim-attempts wrong-password
        sign-ins for the victim, each from its own address (10.2.0.x), and `flood`
        wrong-password sign-ins for unknown addresses (a fresh random email each), all from
        one address (10.9.9.9). Records status, error code, Retry-After and latency of each.

    auth_storm.py lockcheck --port P --accounts accounts.json --max-wait 180 --out lock.json
        The victim's right password, each try from a fresh address (10.6.0.x): at once; then,
        after each 429, again once its Retry-After has passed; until it is let in or
        max-wait seconds have gone. Shows the lock refusing the right password, then ending.

    auth_storm.py enum --port P --accounts accounts.json --n 40 --out enum.json
        One request at a time on one keep-alive connection, each from a fresh address (so no
        limiter takes part), alternating "unknown email" and "known email": POST
        /api/auth/login (wrong password; each known account used once, so no lockout),
        POST /api/auth/forgot-password, and POST /api/auth/register (a duplicate against a
        new address). Keeps status, body, headers (less X-Request-Id and Date) and time.
"""
import argparse
import asyncio
import json
import math
import os
import statistics
import sys
import time
import uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from checkout_load import Client, HttpError, error_code, xff  # noqa: E402

LOGIN = "/api/auth/login"


async def post(c, path, body, address):
    t0 = time.monotonic()
    try:
        st, h, b, _ = await c.request("POST", path, body, {"X-Forwarded-For": address})
    except HttpError as e:
        return {"status": None, "error": e.kind, "ms": (time.monotonic() - t0) * 1000}
    return {"status": st, "code": error_code(b) if st >= 300 else None, "retry_after": h.get("retry-after"),
            "ms": (time.monotonic() - t0) * 1000, "body": b.decode("utf-8", "replace"),
            "headers": {k: v for k, v in h.items() if k not in ("x-request-id", "date")}}


async def register(a):
    run = uuid.uuid4().hex[:8]
    victim = {"email": "victim-%s@bench.test" % run, "password": a.password}
    known = [{"email": "known%d-%s@bench.test" % (i, run), "password": a.password} for i in range(a.count)]
    everyone = [victim] + known
    t0 = time.monotonic()

    async def worker(k, par):
        c = Client(a.port, timeout=120)
        for i in range(k, len(everyone), par):
            r = await post(c, "/api/auth/register", {"email": everyone[i]["email"], "password": a.password,
                                                      "first_name": "Bench", "last_name": str(i)}, xff(1, i))
            if r["status"] != 201:
                raise SystemExit("registering %s failed: %s %s" % (everyone[i]["email"], r["status"], r.get("body", "")[:300]))
            everyone[i]["ms"] = r["ms"]
        await c.close()
    await asyncio.gather(*(worker(k, 4) for k in range(4)))
    out = {"victim": victim, "known": known, "register_s": round(time.monotonic() - t0, 2),
           "register_ms_median": statistics.median(x["ms"] for x in everyone)}
    with open(a.out, "w") as f:
        json.dump(out, f)
    print("registered the victim and %d known accounts in %.1f s (median %.0f ms each)" % (
        a.count, out["register_s"], out["register_ms_median"]), file=sys.stderr)


async def burst(a):
    acc = json.load(open(a.accounts))
    victim = acc["victim"]["email"]
    plan = [("victim", victim, "wrong-password-%d" % i, "10.2.0.%d" % (i + 1)) for i in range(a.victim_attempts)]
    plan += [("flood", "nobody-%s@bench.test" % uuid.uuid4().hex[:12], "wrong-password", "10.9.9.9")
             for _ in range(a.flood)]
    clients = [Client(a.port, timeout=a.timeout) for _ in plan]
    # Connect every client first (a cheap request each would touch the limiters: a bare
    # TCP connect does not), then release them together.
    await asyncio.gather(*(c._connect() for c in clients))
    go = asyncio.Event()
    t0 = [0.0]

    async def one(c, p):
        kind, email, pw, addr = p
        await go.wait()
        r = await post(c, LOGIN, {"email": email, "password": pw}, addr)
        r.update(kind=kind, address=addr, at_ms=(time.monotonic() - t0[0]) * 1000)
        r.pop("headers", None)
        r.pop("body", None)
        await c.close()
        return r

    tasks = [asyncio.create_task(one(c, p)) for c, p in zip(clients, plan)]
    await asyncio.sleep(0.05)
    t0[0] = time.monotonic()
    wall_start = time.time()
    go.set()
    results = await asyncio.gather(*tasks)
    out = {"started_at": wall_start, "duration_s": round(time.monotonic() - t0[0], 3), "results": results,
           "victim": victim, "victim_attempts": a.victim_attempts, "flood": a.flood}
    with open(a.out, "w") as f:
        json.dump(out, f)
    for kind in ("victim", "flood"):
        rs = [r for r in results if r["kind"] == kind]
        counts = {}
        for r in rs:
            k = "%s %s" % (r["status"], r.get("code") or r.get("error") or "")
            counts[k] = counts.get(k, 0) + 1
        print("burst %s: %s" % (kind, counts), file=sys.stderr)
    print("burst answered in %.2f s" % out["duration_s"], file=sys.stderr)


async def lockcheck(a):
    acc = json.load(open(a.accounts))
    v = acc["victim"]
    t0 = time.monotonic()
    tries = []
    n = 0
    while True:
        c = Client(a.port, timeout=60)
        r = await post(c, LOGIN, {"email": v["email"], "password": v["password"]}, "10.6.0.%d" % (n + 1))
        await c.close()
        r.update(at_s=round(time.monotonic() - t0, 1), address="10.6.0.%d" % (n + 1), wall=time.time())
        r.pop("headers", None)
        if r["status"] == 200:
            r.pop("body", None)
        tries.append(r)
        print("lockcheck: right password at +%.1f s: %s %s Retry-After %s" % (
            r["at_s"], r["status"], r.get("code") or "", r.get("retry_after")), file=sys.stderr)
        n += 1
        if r["status"] != 429:
            break
        wait = float(r.get("retry_after") or 1) + 0.5
        if time.monotonic() - t0 + wait > a.max_wait:
            break
        await asyncio.sleep(wait)
    with open(a.out, "w") as f:
        json.dump({"tries": tries}, f)


def mann_whitney_p(xs, ys):
    """Two-sided p-value of the Mann-Whitney U test (normal approximation, ties averaged)."""
    allv = sorted([(v, 0) for v in xs] + [(v, 1) for v in ys])
    ranks = [0.0] * len(allv)
    i = 0
    ties = 0.0
    while i < len(allv):
        j = i
        while j + 1 < len(allv) and allv[j + 1][0] == allv[i][0]:
            j += 1
        for k in range(i, j + 1):
            ranks[k] = (i + j) / 2 + 1
        t = j - i + 1
        ties += t ** 3 - t
        i = j + 1
    n1, n2 = len(xs), len(ys)
    if not n1 or not n2:
        return None
    r1 = sum(r for r, (_, g) in zip(ranks, allv) if g == 0)
    u = r1 - n1 * (n1 + 1) / 2
    n = n1 + n2
    sd = math.sqrt(n1 * n2 / 12 * ((n + 1) - ties / (n * (n - 1))))
    if sd == 0:
        return 1.0
    z = (u - n1 * n2 / 2) / sd
    return math.erfc(abs(z) / math.sqrt(2))


def summarize(rows):
    ms = [r["ms"] for r in rows]
    q = statistics.quantiles(ms, n=4) if len(ms) >= 2 else [ms[0]] * 3
    statuses, bodies, heads = {}, {}, {}
    for r in rows:
        statuses[str(r["status"])] = statuses.get(str(r["status"]), 0) + 1
        bodies[r.get("body", "")] = bodies.get(r.get("body", ""), 0) + 1
        hk = json.dumps(sorted(r.get("headers", {}).items()))
        heads[hk] = heads.get(hk, 0) + 1
    return {"n": len(rows), "median_ms": statistics.median(ms), "q1_ms": q[0], "q3_ms": q[2],
            "min_ms": min(ms), "max_ms": max(ms), "statuses": statuses, "bodies": bodies, "headers": heads}


async def enum(a):
    acc = json.load(open(a.accounts))
    known = acc["known"]
    half = a.n // 2
    if len(known) < half:
        raise SystemExit("need %d known accounts, have %d" % (half, len(known)))
    c = Client(a.port, timeout=60)
    seq = [0]

    def addr(block):
        seq[0] += 1
        return xff(block, seq[0])

    def unknown():
        return "nobody-%s@bench.test" % uuid.uuid4().hex[:12]

    out = {}
    # login: a wrong password for a known account against any password for an unknown one.
    # Two of each first, not kept: the first requests after a pause pay for cold caches.
    warm = [(known[-1]["email"] if i % 2 else unknown()) for i in range(4)]
    for e in warm:
        await post(c, LOGIN, {"email": e, "password": "wrong-password-x"}, addr(3))
    rows = {"unknown": [], "known": []}
    for i in range(half):
        for kind in ("unknown", "known") if i % 2 == 0 else ("known", "unknown"):
            e = unknown() if kind == "unknown" else known[i]["email"]
            rows[kind].append(await post(c, LOGIN, {"email": e, "password": "wrong-password-%d" % i}, addr(3)))
    out["login"] = rows
    rows = {"unknown": [], "known": []}
    for i in range(half):
        for kind in ("unknown", "known") if i % 2 == 0 else ("known", "unknown"):
            e = unknown() if kind == "unknown" else known[i]["email"]
            rows[kind].append(await post(c, "/api/auth/forgot-password", {"email": e}, addr(4)))
    out["forgot-password"] = rows
    rows = {"new": [], "existing": []}
    for i in range(a.register_n):
        for kind in ("new", "existing") if i % 2 == 0 else ("existing", "new"):
            e = unknown() if kind == "new" else known[i % len(known)]["email"]
            rows[kind].append(await post(c, "/api/auth/register", {"email": e, "password": "bench-register-pass",
                                                                   "first_name": "E", "last_name": "N"}, addr(5)))
    out["register"] = rows
    await c.close()
    summary = {}
    for route, groups in out.items():
        a_kind, b_kind = list(groups)
        sa, sb = summarize(groups[a_kind]), summarize(groups[b_kind])
        allms = [r["ms"] for g in groups.values() for r in g]
        summary[route] = {"a": a_kind, "b": b_kind, a_kind: sa, b_kind: sb,
                          "median_all_ms": statistics.median(allms),
                          "diff_ms": sb["median_ms"] - sa["median_ms"],
                          "p_value": mann_whitney_p([r["ms"] for r in groups[a_kind]], [r["ms"] for r in groups[b_kind]]),
                          "same_status": sa["statuses"].keys() == sb["statuses"].keys() and len(sa["statuses"]) == 1,
                          "same_body": set(sa["bodies"]) == set(sb["bodies"]) and len(sa["bodies"]) == 1,
                          "same_headers": set(sa["headers"]) == set(sb["headers"]) and len(sa["headers"]) == 1}
        print("enum %s: %s %s median %.1f ms vs %s %s median %.1f ms; same status %s, body %s, headers %s; p=%.3f" % (
            route, a_kind, sa["statuses"], sa["median_ms"], b_kind, sb["statuses"], sb["median_ms"],
            summary[route]["same_status"], summary[route]["same_body"], summary[route]["same_headers"],
            summary[route]["p_value"] if summary[route]["p_value"] is not None else float("nan")), file=sys.stderr)
    with open(a.out, "w") as f:
        json.dump({"summary": summary, "n": a.n, "register_n": a.register_n}, f)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("register")
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--count", type=int, default=20)
    p.add_argument("--password", required=True)
    p.add_argument("--out", required=True)
    b = sub.add_parser("burst")
    b.add_argument("--port", type=int, required=True)
    b.add_argument("--accounts", required=True)
    b.add_argument("--victim-attempts", type=int, default=20)
    b.add_argument("--flood", type=int, default=200)
    b.add_argument("--timeout", type=float, default=60)
    b.add_argument("--out", required=True)
    lk = sub.add_parser("lockcheck")
    lk.add_argument("--port", type=int, required=True)
    lk.add_argument("--accounts", required=True)
    lk.add_argument("--max-wait", type=float, default=180)
    lk.add_argument("--out", required=True)
    e = sub.add_parser("enum")
    e.add_argument("--port", type=int, required=True)
    e.add_argument("--accounts", required=True)
    e.add_argument("--n", type=int, default=40)
    e.add_argument("--register-n", type=int, default=10)
    e.add_argument("--out", required=True)
    a = ap.parse_args()
    asyncio.run({"register": register, "burst": burst, "lockcheck": lockcheck, "enum": enum}[a.cmd](a))


if __name__ == "__main__":
    main()
