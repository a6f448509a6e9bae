#!/usr/bin/env python3
"""bench/checkout_load.py — shoppers that keep state per connection, for bench/checkout.sh.

wrk cannot keep a shopper's token and cart per connection, so this is a small asyncio
HTTP/1.1 keep-alive client in the Python standard library (no aiohttp): one connection
per shopper, one request at a time on it, as a browser tab would.

    checkout_load.py prepare --port P --shoppers N --hot 200 --restock 1000000 --out state.json
        (admin credentials in CHECKOUT_ADMIN_EMAIL / CHECKOUT_ADMIN_PASSWORD)
        Signs the admin in, raises the stock of products 1..hot by --restock (POST
        /api/admin/products/{id}/stock, reason restock), registers N customers (POST
        /api/auth/register, each from its own X-Forwarded-For address so the per-address
        limit of the auth routes does not throttle the set-up) and keeps their tokens.

    checkout_load.py run --port P --state state.json --mode checkout|health|cart
                         --concurrency C --warmup W --duration D --out run.json
                         [--server-pid PID] [--postmaster-pid PID]
        C shoppers, one keep-alive connection each, loop for W + D seconds; only requests
        that finish inside the last D seconds are measured. checkout: one or two
        POST /api/cart {product_id: uniform in 1..hot, quantity 1..3}, then POST
        /api/orders with a fresh Idempotency-Key. health: GET /api/health. cart: GET
        /api/cart with the shopper's token (one indexed read in a transaction, on the same
        worker pool as checkout). Every 201 order is remembered (all of them, warm-up
        included) for `verify`. With the pids, the CPU of ShopDesk, of PostgreSQL (the
        postmaster, its reaped children and every live backend) and of this client over
        the measured window are read from /proc.

    checkout_load.py verify --port P --state state.json --runs run.json... --out verify.json
        Through the admin API: GET /api/admin/orders?limit=1 total == the 201s the runs
        got; every product's stock >= 0; each hot product's stock == its stock after the
        restock minus what the 201 orders sold of it.

auth_storm.py (bench/auth.sh) imports Client from here.
"""
import argparse
import asyncio
import json
import os
import random
import sys
import time
import uuid

HOST = "127.0.0.1"


# ---- HTTP/1.1 keep-alive client -----------------------------------------------------

class HttpError(Exception):
    """No HTTP answer: connect/read/write failure, timeout, or a malformed answer."""

    def __init__(self, kind, detail=""):
        super().__init__("%s %s" % (kind, detail))
        self.kind = kind


class Client:
    """One keep-alive connection; reconnects (before the next request) after an error
    or a `Connection: close`. Requests are never retried: a POST must not be sent twice."""

    def __init__(self, port, timeout=30.0, host=HOST):
        self.host, self.port, self.timeout = host, port, timeout
        self.reader = self.writer = None
        self.connects = 0

    async def close(self):
        w, self.reader, self.writer = self.writer, None, None
        if w is not None:
            try:
                w.close()
                await w.wait_closed()
            except Exception:
                pass

    async def _connect(self):
        try:
            self.reader, self.writer = await asyncio.wait_for(
                asyncio.open_connection(self.host, self.port), self.timeout)
            self.connects += 1
        except asyncio.TimeoutError:
            raise HttpError("connect", "timeout")
        except OSError as e:
            raise HttpError("connect", str(e))

    async def request(self, method, path, body=None, headers=None):
        """Returns (status, {lower-case name: value}, body bytes, raw head bytes)."""
        if self.writer is None:
            await self._connect()
        if body is not None and not isinstance(body, (bytes, bytearray)):
            body = json.dumps(body, separators=(",", ":")).encode()
        lines = ["%s %s HTTP/1.1" % (method, path), "Host: %s:%d" % (self.host, self.port),
                 "User-Agent: shopdesk-bench"]
        for k, v in (headers or {}).items():
            lines.append("%s: %s" % (k, v))
        if body is not None:
            lines.append("Content-Type: application/json")
            lines.append("Content-Length: %d" % len(body))
        elif method in ("POST", "PUT", "PATCH"):
            lines.append("Content-Length: 0")
        data = ("\r\n".join(lines) + "\r\n\r\n").encode() + (body or b"")
        try:
            return await asyncio.wait_for(self._exchange(data), self.timeout)
        except asyncio.TimeoutError:
            await self.close()
            raise HttpError("timeout")
        except HttpError:
            await self.close()
            raise
        except (OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, ValueError) as e:
            await self.close()
            raise HttpError("read", type(e).__name__)

    async def _exchange(self, data):
        try:
            self.writer.write(data)
            await self.writer.drain()
        except OSError as e:
            raise HttpError("write", str(e))
        head = await self.reader.readuntil(b"\r\n\r\n")
        text = head.decode("latin-1").split("\r\n")
        parts = text[0].split(" ", 2)
        if len(parts) < 2 or not parts[0].startswith("HTTP/"):
            raise HttpError("read", "bad status line %r" % text[0])
        status = int(parts[1])
        hdrs = {}
        for line in text[1:]:
            if ":" in line:
                k, v = line.split(":", 1)
                hdrs[k.strip().lower()] = v.strip()
        if hdrs.get("transfer-encoding", "").lower() == "chunked":
            chunks = []
            while True:
                size = int((await self.reader.readuntil(b"\r\n")).split(b";")[0], 16)
                if size == 0:
                    await self.reader.readuntil(b"\r\n")
                    break
                chunks.append(await self.reader.readexactly(size))
                await self.reader.readexactly(2)
            payload = b"".join(chunks)
        else:
            payload = await self.reader.readexactly(int(hdrs.get("content-length", "0")))
        if hdrs.get("connection", "").lower() == "close" or parts[0] == "HTTP/1.0":
            await self.close()
        return status, hdrs, payload, head


def error_code(body):
    try:
        return json.loads(body)["error"]["code"]
    except Exception:
        return None


def percentile(sorted_xs, p):
    """Nearest-rank percentile of a sorted list (None when empty)."""
    if not sorted_xs:
        return None
    k = max(0, min(len(sorted_xs) - 1, int(-(-p * len(sorted_xs) // 100)) - 1))
    return sorted_xs[k]


def lat_summary(ms):
    xs = sorted(ms)
    if not xs:
        return {"n": 0}
    return {"n": len(xs), "p50": percentile(xs, 50), "p90": percentile(xs, 90), "p99": percentile(xs, 99),
            "max": xs[-1], "mean": sum(xs) / len(xs)}


# ---- /proc readings -----------------------------------------------------------------

HZ = os.sysconf("SC_CLK_TCK")


def _stat_fields(pid):
    try:
        with open("/proc/%d/stat" % pid) as f:
            s = f.read()
    except OSError:
        return None
    return s[s.rindex(")") + 2:].split()   # fields from 3 (state) on


def proc_ticks(pid, children=False):
    f = _stat_fields(pid)
    if f is None:
        return 0
    t = int(f[11]) + int(f[12])            # utime, stime
    if children:
        t += int(f[13]) + int(f[14])       # cutime, cstime: reaped children
    return t


def pg_ticks(postmaster):
    """The postmaster's own and reaped children's ticks plus every live child's: exact across
    backends that start or exit in between."""
    if not postmaster:
        return 0
    t = proc_ticks(postmaster, children=True)
    kids = []
    for d in os.listdir("/proc"):
        if d.isdigit():
            f = _stat_fields(int(d))
            if f is not None and int(f[1]) == postmaster:     # field 4: ppid
                kids.append(int(d))
    return t + sum(proc_ticks(k) for k in kids)


def busy_ticks():
    with open("/proc/stat") as f:
        v = [int(x) for x in f.readline().split()[1:]]
    return v[0] + v[1] + v[2] + v[5] + v[6] + v[7]   # user nice system irq softirq steal


class CpuWindow:
    def __init__(self, server_pid, postmaster_pid):
        self.sd, self.pm = server_pid, postmaster_pid

    def sample(self):
        return {"t": time.monotonic(), "sd": proc_ticks(self.sd) if self.sd else 0, "pg": pg_ticks(self.pm),
                "me": time.process_time(), "busy": busy_ticks()}

    def between(self, a, b):
        wall = b["t"] - a["t"]
        if wall <= 0:
            return {}
        sd = (b["sd"] - a["sd"]) / HZ / wall * 100
        pg = (b["pg"] - a["pg"]) / HZ / wall * 100
        me = (b["me"] - a["me"]) / wall * 100
        machine = (b["busy"] - a["busy"]) / HZ / wall * 100
        return {"server_pct": round(sd, 1) if self.sd else None, "postgres_pct": round(pg, 1) if self.pm else None,
                "client_pct": round(me, 1), "machine_pct": round(machine, 1),
                "other_pct": round(max(0.0, machine - sd - pg - me), 1)}


# ---- prepare ------------------------------------------------------------------------

def xff(block, i):
    """A distinct private address per index: 10.<block>.<i / 250>.<i % 250 + 1>."""
    return "10.%d.%d.%d" % (block, (i // 250) % 256, i % 250 + 1)


async def admin_login(port, email, password, n=0):
    c = Client(port)
    st, _, body, _ = await c.request("POST", "/api/auth/login", {"email": email, "password": password},
                                     {"X-Forwarded-For": xff(250, n)})
    await c.close()
    if st != 200:
        raise SystemExit("admin sign-in failed: %d %s" % (st, body[:300]))
    return json.loads(body)["data"]["token"]


async def prepare(a):
    email, password = os.environ["CHECKOUT_ADMIN_EMAIL"], os.environ["CHECKOUT_ADMIN_PASSWORD"]
    t0 = time.monotonic()
    token = await admin_login(a.port, email, password)
    auth = {"Authorization": "Bearer " + token}

    # Restock the hot products, a few connections at a time.
    stock_after = {}
    ids = list(range(1, a.hot + 1))

    async def restocker(mine):
        c = Client(a.port)
        for pid in mine:
            st, _, body, _ = await c.request("POST", "/api/admin/products/%d/stock" % pid,
                                             {"delta": a.restock, "reason": "restock", "note": "bench/checkout.sh"},
                                             auth)
            if st != 200:
                raise SystemExit("restock of product %d failed: %d %s" % (pid, st, body[:300]))
            stock_after[pid] = json.loads(body)["data"]["stock"]
        await c.close()
    await asyncio.gather(*(restocker(ids[k::4]) for k in range(4)))
    t1 = time.monotonic()

    # Register the shoppers: each from its own address (the server believes
    # X-Forwarded-For from 127.0.0.1, started with --trusted-proxies 127.0.0.1).
    run = uuid.uuid4().hex[:8]
    shoppers = [None] * a.shoppers
    reg_ms = []

    async def registrar(mine):
        c = Client(a.port, timeout=120)
        for i in mine:
            t = time.monotonic()
            st, _, body, _ = await c.request("POST", "/api/auth/register", {
                "email": "shopper%d-%s@bench.test" % (i, run), "password": "bench-shopper-%d-%s" % (i, run),
                "first_name": "Shopper", "last_name": str(i)}, {"X-Forwarded-For": xff(1, i)})
            reg_ms.append((time.monotonic() - t) * 1000)
            if st != 201:
                raise SystemExit("registration %d failed: %d %s" % (i, st, body[:300]))
            d = json.loads(body)["data"]
            shoppers[i] = {"user_id": d["user_id"], "token": d["token"]}
        await c.close()
    par = max(1, min(8, a.shoppers))
    await asyncio.gather(*(registrar(range(k, a.shoppers, par)) for k in range(par)))
    t2 = time.monotonic()
    state = {"port": a.port, "hot": a.hot, "restock": a.restock, "stock_after_restock": stock_after,
             "shoppers": shoppers, "restock_s": round(t1 - t0, 2), "register_s": round(t2 - t1, 2),
             "register_ms": lat_summary(reg_ms)}
    with open(a.out, "w") as f:
        json.dump(state, f)
    print("prepared: %d products restocked by %d in %.1f s; %d shoppers registered in %.1f s (p50 %.0f ms each)" % (
        a.hot, a.restock, t1 - t0, a.shoppers, t2 - t1, state["register_ms"].get("p50") or 0), file=sys.stderr)


# ---- run ----------------------------------------------------------------------------

class Stats:
    def __init__(self):
        self.lat = []          # ms, measured window only
        self.status = {}       # "201": n, ...
        self.codes = {}        # error code: n
        self.socket = {}       # connect/read/write/timeout: n
        self.n = 0

    def add(self, status, ms, code):
        self.n += 1
        self.lat.append(ms)
        k = str(status)
        self.status[k] = self.status.get(k, 0) + 1
        if code:
            self.codes[code] = self.codes.get(code, 0) + 1

    def fail(self, kind):
        self.n += 1
        self.socket[kind] = self.socket.get(kind, 0) + 1

    def out(self, window):
        d = {"requests": self.n, "per_s": self.n / window if window else None, "status": self.status,
             "codes": self.codes, "socket_errors": self.socket}
        d.update(lat_summary(self.lat))
        return d


async def run(a):
    with open(a.state) as f:
        state = json.load(f)
    shoppers = state["shoppers"]
    if a.mode != "health" and a.concurrency > len(shoppers):
        raise SystemExit("concurrency %d > %d shoppers: two loops would share one cart" % (a.concurrency, len(shoppers)))
    hot = state["hot"]
    rng = random.Random(a.seed)
    cpu = CpuWindow(a.server_pid, a.postmaster_pid)
    stats = {}                     # kind -> Stats, measured window only
    all_orders = []                # every 201: {id, items:[[product_id, qty]]}
    totals = {"order_201": 0, "order_other": 0, "cart_clears": 0}
    t_start = time.monotonic()
    t_measure = t_start + a.warmup
    t_end = t_measure + a.duration
    marks = {}

    def record(kind, t0, status=None, body=None, err=None):
        t1 = time.monotonic()
        if t0 < t_measure or t1 > t_end:
            return
        s = stats.setdefault(kind, Stats())
        if err is not None:
            s.fail(err)
        else:
            s.add(status, (t1 - t0) * 1000, error_code(body) if status >= 300 else None)

    async def call(c, kind, method, path, body=None, headers=None):
        t0 = time.monotonic()
        try:
            st, h, b, _ = await c.request(method, path, body, headers)
        except HttpError as e:
            record(kind, t0, err=e.kind)
            return None, None
        record(kind, t0, st, b)
        return st, b

    async def marker():
        await asyncio.sleep(max(0, t_measure - time.monotonic()))
        marks["a"] = cpu.sample()
        await asyncio.sleep(max(0, t_end - time.monotonic()))
        marks["b"] = cpu.sample()

    async def shopper(i):
        r = random.Random(rng.random())
        c = Client(a.port, timeout=a.timeout)
        auth = {"Authorization": "Bearer " + shoppers[i]["token"]} if a.mode != "health" else {}
        if a.mode == "checkout":
            await c.request("DELETE", "/api/cart/clear", None, auth)   # start from an empty cart
        while time.monotonic() < t_end:
            if a.mode == "health":
                await call(c, "health", "GET", "/api/health")
                continue
            if a.mode == "cart":
                await call(c, "cart_get", "GET", "/api/cart", None, auth)
                continue
            added = 0
            for pid in r.sample(range(1, hot + 1), r.randint(1, 2)):
                st, _ = await call(c, "cart", "POST", "/api/cart", {"product_id": pid, "quantity": r.randint(1, 3)}, auth)
                added += st is not None and 200 <= st < 300
            if not added:
                continue
            st, b = await call(c, "order", "POST", "/api/orders", {"shipping_address": {
                "name": "Shopper %d" % i, "line1": "%d Bench Street" % (i + 1), "city": "Springfield",
                "postal_code": "62704", "country": "US"}}, dict(auth, **{"Idempotency-Key": str(uuid.uuid4())}))
            if st == 201:
                totals["order_201"] += 1
                try:
                    d = json.loads(b)["data"]
                    all_orders.append({"id": d["id"], "items": [[it["product_id"], it["quantity"]] for it in d["items"]]})
                except Exception:
                    all_orders.append({"id": None, "items": []})
            else:
                totals["order_other"] += 1
                # Whatever failed, start the next try from an empty cart (not measured).
                try:
                    await c.request("DELETE", "/api/cart/clear", None, auth)
                    totals["cart_clears"] += 1
                except HttpError:
                    pass
        await c.close()

    await asyncio.gather(marker(), *(shopper(i) for i in range(a.concurrency)))
    window = a.duration
    out = {"mode": a.mode, "concurrency": a.concurrency, "warmup_s": a.warmup, "duration_s": a.duration,
           "seed": a.seed, "kinds": {k: s.out(window) for k, s in stats.items()},
           "cpu": cpu.between(marks["a"], marks["b"]) if "a" in marks and "b" in marks else {},
           "tail_s": round(time.monotonic() - t_end, 2)}
    if a.mode == "checkout":
        order = stats.get("order")
        out["orders_per_s"] = (order.status.get("201", 0) / window) if order else 0
        out["loop_requests_per_s"] = sum(s.n for s in stats.values()) / window
        out["totals"] = totals
        out["orders"] = all_orders
    else:
        out["requests_per_s"] = sum(s.n for s in stats.values()) / window
    with open(a.out, "w") as f:
        json.dump(out, f)
    brief = ", ".join("%s %d req (%.0f/s) p50 %.1f ms p99 %.1f ms %s%s" % (
        k, v["requests"], v["per_s"], v.get("p50") or 0, v.get("p99") or 0, v["status"],
        (" socket errors %s" % v["socket_errors"]) if v["socket_errors"] else "") for k, v in out["kinds"].items())
    print("%s c=%d: %s; cpu %s" % (a.mode, a.concurrency, brief, out["cpu"]), file=sys.stderr)


# ---- verify -------------------------------------------------------------------------

async def verify(a):
    with open(a.state) as f:
        state = json.load(f)
    ok201, ids, sold = 0, set(), {}
    for path in a.runs:
        with open(path) as f:
            r = json.load(f)
        for o in r.get("orders", []):
            ok201 += 1
            if o["id"] is not None:
                ids.add(o["id"])
            for pid, q in o["items"]:
                sold[pid] = sold.get(pid, 0) + q
    token = await admin_login(a.port, os.environ["CHECKOUT_ADMIN_EMAIL"], os.environ["CHECKOUT_ADMIN_PASSWORD"], 1)
    auth = {"Authorization": "Bearer " + token}
    c = Client(a.port, timeout=120)
    st, _, body, _ = await c.request("GET", "/api/admin/orders?limit=1", None, auth)
    if st != 200:
        raise SystemExit("GET /api/admin/orders failed: %d %s" % (st, body[:300]))
    d = json.loads(body)["data"]
    orders_total, counts = d["total"], d.get("counts", {})
    stocks, offset = {}, 0
    while True:
        st, _, body, _ = await c.request("GET", "/api/admin/products?limit=1000&offset=%d" % offset, None, auth)
        if st != 200:
            raise SystemExit("GET /api/admin/products failed: %d %s" % (st, body[:300]))
        page = json.loads(body)["data"]["products"]
        for p in page:
            stocks[p["id"]] = p["stock"]
        if len(page) < 1000:
            break
        offset += 1000
    await c.close()
    negative = sorted(pid for pid, s in stocks.items() if s < 0)
    mismatch = []
    for k, after in state["stock_after_restock"].items():
        pid = int(k)
        want = after - sold.get(pid, 0)
        if stocks.get(pid) != want:
            mismatch.append({"product_id": pid, "expected": want, "actual": stocks.get(pid)})
    result = {"orders_total": orders_total, "order_counts": counts, "client_201": ok201,
              "distinct_order_ids": len(ids), "units_sold": sum(sold.values()), "products_sold": len(sold),
              "products_seen": len(stocks), "min_stock": min(stocks.values()) if stocks else None,
              "negative_stock": negative, "stock_mismatch": mismatch,
              "ok": orders_total == ok201 and len(ids) == ok201 and not negative and not mismatch}
    with open(a.out, "w") as f:
        json.dump(result, f)
    print("verify: %d orders in the shop, %d 201s seen by the shoppers, %d distinct ids; %d units of %d products sold; "
          "min stock %s; %d hot products off their expected stock -> %s" % (
              orders_total, ok201, len(ids), result["units_sold"], len(sold), result["min_stock"], len(mismatch),
              "OK" if result["ok"] else "MISMATCH"), file=sys.stderr)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("prepare")
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--shoppers", type=int, default=50)
    p.add_argument("--hot", type=int, default=200)
    p.add_argument("--restock", type=int, default=1_000_000)
    p.add_argument("--out", required=True)
    r = sub.add_parser("run")
    r.add_argument("--port", type=int, required=True)
    r.add_argument("--state", required=True)
    r.add_argument("--mode", choices=["checkout", "health", "cart"], default="checkout")
    r.add_argument("--concurrency", type=int, default=50)
    r.add_argument("--warmup", type=float, default=5)
    r.add_argument("--duration", type=float, default=30)
    r.add_argument("--timeout", type=float, default=30)
    r.add_argument("--seed", type=int, default=int(time.time()))
    r.add_argument("--server-pid", type=int, default=0)
    r.add_argument("--postmaster-pid", type=int, default=0)
    r.add_argument("--out", required=True)
    v = sub.add_parser("verify")
    v.add_argument("--port", type=int, required=True)
    v.add_argument("--state", required=True)
    v.add_argument("--runs", nargs="+", required=True)
    v.add_argument("--out", required=True)
    a = ap.parse_args()
    asyncio.run({"prepare": prepare, "run": run, "verify": verify}[a.cmd](a))


if __name__ == "__main__":
    main()
