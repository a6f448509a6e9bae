#!/usr/bin/env python3
"""bench/catalog_check.py — walks the whole public catalog once, checks every answer.

    python3 bench/catalog_check.py --port P --products 10000 [--capture DIR] [--json OUT]

Run by bench/catalog.sh before each load: it asks, over one keep-alive connection and one
request at a time, for every URL the load mix uses (GET /api/products, pages 1..5 with
per_page=20, every product 1..N, the three searches; then list, pages and searches 20
more times for their timing) plus a few that must fail cleanly,
and checks the answers against the API contract (shared/DESIGN.md): the JSON envelope,
pagination, that product {id} is product {id}, the product fields, statuses and error
codes. It also primes the server's cache (and PostgreSQL's buffers) the same way for the
cached and the uncached run, and measures the unloaded latency of each kind of request.

--capture DIR writes each body as the file nginx serves for that URL in the ceiling run
(list/page.json, list/page1..5.json, product/<id>.json, search/<q>.json), so nginx
answers the very bytes ShopDesk answered.

Exit status 0 when it could talk to the server at all (the findings are in the JSON and
on stdout); 2 when it could not.
"""
import argparse
import http.client
import json
import os
import socket
import statistics
import sys
import time

CATEGORIES = ["electronics", "clothing", "home", "books", "sports", "toys", "beauty", "garden"]
SEARCHES = ["electronics", "clothing", "home"]
PRODUCT_FIELDS = ["id", "name", "description", "price", "category", "stock", "image_url"]
PAGES = 5
PER_PAGE = 20


class Checker:
    def __init__(self, port, capture):
        self.port = port
        self.capture = capture
        self.conn = None
        self.problems = {}      # message -> [count, first examples]
        self.latency = {}       # kind -> [seconds]
        self.statuses = {}      # kind -> {status: count}
        self.reconnects = 0

    def problem(self, message, example=None):
        entry = self.problems.setdefault(message, [0, []])
        entry[0] += 1
        if example is not None and len(entry[1]) < 5:
            entry[1].append(example)

    def get(self, kind, path):
        """(status, headers, body bytes); status 0 when the connection failed twice."""
        for attempt in (1, 2):
            t0 = time.perf_counter()
            try:
                if self.conn is None:
                    self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
                    self.conn.connect()
                    self.conn.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                    t0 = time.perf_counter()
                self.conn.request("GET", path)
                r = self.conn.getresponse()
                body = r.read()
            except (OSError, http.client.HTTPException) as e:
                if self.conn is not None:
                    self.conn.close()
                self.conn = None
                self.reconnects += 1
                if attempt == 2:
                    self.problem("%s: no answer (%s)" % (kind, type(e).__name__), path)
                    self.statuses.setdefault(kind, {}).setdefault(0, 0)
                    self.statuses[kind][0] += 1
                    return 0, {}, b""
                continue
            dt = time.perf_counter() - t0
            self.latency.setdefault(kind, []).append(dt)
            self.statuses.setdefault(kind, {}).setdefault(r.status, 0)
            self.statuses[kind][r.status] += 1
            headers = {k.lower(): v for k, v in r.getheaders()}
            if r.getheader("connection", "").lower() == "close":
                self.conn.close()
                self.conn = None
            return r.status, headers, body

    def envelope(self, kind, path, status, headers, body, want_status=200):
        """The `data` of a success envelope, or None (problem recorded)."""
        if status != want_status:
            self.problem("%s: HTTP %s (expected %d)" % (kind, status, want_status), path)
            return None
        if not headers.get("content-type", "").startswith("application/json"):
            self.problem("%s: Content-Type %r" % (kind, headers.get("content-type")), path)
        try:
            doc = json.loads(body)
        except ValueError:
            self.problem("%s: body is not JSON" % kind, path)
            return None
        if not isinstance(doc, dict) or doc.get("success") is not True or "data" not in doc:
            self.problem("%s: not a success envelope" % kind, path)
            return None
        return doc["data"]

    def product_ok(self, kind, path, p):
        if not isinstance(p, dict):
            self.problem("%s: product is not an object" % kind, path)
            return False
        missing = [f for f in PRODUCT_FIELDS if f not in p]
        if missing:
            self.problem("%s: product without %s" % (kind, ",".join(missing)), path)
            return False
        if not isinstance(p["price"], (int, float)) or isinstance(p["price"], bool):
            self.problem("%s: price is not a JSON number" % kind, path)
        if str(p["category"]).lower() not in CATEGORIES:
            self.problem("%s: category not one of the 8 seeded" % kind, "%s: %r" % (path, p["category"]))
        return True

    def save(self, rel, body):
        if self.capture:
            path = os.path.join(self.capture, rel)
            os.makedirs(os.path.dirname(path), exist_ok=True)
            with open(path, "wb") as f:
                f.write(body)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--products", type=int, default=10000)
    ap.add_argument("--capture")
    ap.add_argument("--json")
    ap.add_argument("--repeat", type=int, default=20, help="extra rounds of list, pages, searches for timing")
    a = ap.parse_args()
    c = Checker(a.port, a.capture)
    started = time.perf_counter()
    info = {"total": None, "categories": {}, "search": {}, "errors": {}}

    # 1. the list, page 1 with the defaults, and pages 1..5 with per_page=20
    path = "/api/products"
    status, headers, body = c.get("list", path)
    data = c.envelope("list", path, status, headers, body)
    page1_ids = None
    if data is not None:
        c.save("list/page.json", body)
        items, pg = data.get("products"), data.get("pagination") or {}
        if not isinstance(items, list):
            c.problem("list: data.products is not a list", path)
        else:
            info["total"] = pg.get("total")
            if pg.get("page") != 1 or pg.get("per_page") != PER_PAGE:
                c.problem("list: pagination %r, expected page 1, per_page %d" % (pg, PER_PAGE), path)
            if pg.get("total") != a.products:
                c.problem("list: pagination.total %r, expected %d (seeded products)" % (pg.get("total"), a.products), path)
            if len(items) != min(PER_PAGE, a.products):
                c.problem("list: %d products on page 1, expected %d" % (len(items), min(PER_PAGE, a.products)), path)
            for p in items:
                c.product_ok("list", path, p)
            page1_ids = [p.get("id") for p in items if isinstance(p, dict)]
    seen = {}
    for page in range(1, PAGES + 1):
        path = "/api/products?page=%d&per_page=%d" % (page, PER_PAGE)
        status, headers, body = c.get("pages", path)
        data = c.envelope("pages", path, status, headers, body)
        if data is None:
            continue
        c.save("list/page%d.json" % page, body)
        items, pg = data.get("products"), data.get("pagination") or {}
        if not isinstance(items, list):
            c.problem("pages: data.products is not a list", path)
            continue
        if pg.get("page") != page or pg.get("per_page") != PER_PAGE:
            c.problem("pages: pagination %r" % pg, path)
        if len(items) != PER_PAGE and page * PER_PAGE <= a.products:
            c.problem("pages: %d products, expected %d" % (len(items), PER_PAGE), path)
        ids = [p.get("id") for p in items if isinstance(p, dict)]
        for p in items:
            c.product_ok("pages", path, p)
        for i in ids:
            if i in seen:
                c.problem("pages: product %s on page %d and page %d" % (i, seen[i], page), path)
            seen[i] = page
        if page == 1 and page1_ids is not None and ids != page1_ids:
            c.problem("pages: ?page=1&per_page=20 lists other products than the default /api/products", path)

    # 2. every product
    wrong = 0
    for pid in range(1, a.products + 1):
        path = "/api/products/%d" % pid
        status, headers, body = c.get("product", path)
        data = c.envelope("product", path, status, headers, body)
        if data is None:
            continue
        c.save("product/%d.json" % pid, body)
        if not c.product_ok("product", path, data):
            continue
        if data.get("id") != pid:
            wrong += 1
            c.problem("product: /api/products/{id} answered another id", "%s -> %r" % (path, data.get("id")))
        cat = str(data["category"])
        info["categories"][cat] = info["categories"].get(cat, 0) + 1

    # 3. the three searches
    for q in SEARCHES:
        path = "/api/products/search?q=" + q
        status, headers, body = c.get("search", path)
        data = c.envelope("search", path, status, headers, body)
        if data is None:
            continue
        c.save("search/%s.json" % q, body)
        if not isinstance(data, list):
            c.problem("search: data is not a list", path)
            continue
        if not data:
            c.problem("search: no result", path)
        if len(data) > 50:
            c.problem("search: %d results, at most 50 expected" % len(data), path)
        for p in data:
            c.product_ok("search", path, p)
        info["search"][q] = {"results": len(data),
                             "in_category": sum(1 for p in data if isinstance(p, dict)
                                                and str(p.get("category")).lower() == q)}

    # 4. unloaded latency of the rarer kinds: list, pages and searches again, a.repeat times
    #    each (the first answers above paid for cold caches and plans)
    for _ in range(a.repeat):
        c.get("list", "/api/products")
        for page in range(1, PAGES + 1):
            c.get("pages", "/api/products?page=%d&per_page=%d" % (page, PER_PAGE))
        for q in SEARCHES:
            c.get("search", "/api/products/search?q=" + q)

    # 5. answers that must be clean errors, never a 5xx
    for path, want, code in (("/api/products/%d" % (a.products + 1), 404, "NOT_FOUND"),
                             ("/api/products/0", 404, "NOT_FOUND"),
                             ("/api/products/abc", None, None),
                             ("/api/products/search?q=", 400, "INVALID_REQUEST"),
                             ("/api/products?page=0", None, None),
                             ("/api/products?per_page=100000", None, None)):
        status, headers, body = c.get("errors", path)
        try:
            doc = json.loads(body)
            got = (doc.get("error") or {}).get("code") if isinstance(doc, dict) else None
            if isinstance(doc, dict) and doc.get("success") is True and isinstance(doc.get("data"), dict):
                pg = doc["data"].get("pagination")
                if pg:
                    got = "ok, pagination %s" % json.dumps(pg, separators=(",", ":"))
        except ValueError:
            got = "not JSON"
        info["errors"][path] = "%s %s" % (status, got)
        if status == 0 or status >= 500:
            c.problem("errors: HTTP %s" % status, path)
        elif want is not None and (status != want or got != code):
            c.problem("errors: %s %s, expected %d %s" % (status, got, want, code), path)

    elapsed = time.perf_counter() - started
    lat = {}
    for kind, xs in c.latency.items():
        xs = sorted(xs)
        lat[kind] = {"n": len(xs), "p50_ms": 1000 * statistics.median(xs),
                     "p99_ms": 1000 * xs[min(len(xs) - 1, int(0.99 * len(xs)))]}
    result = {
        "ok": not c.problems,
        "elapsed_s": elapsed,
        "requests": sum(len(v) for v in c.latency.values()),
        "reconnects": c.reconnects,
        "statuses": {k: {str(s): n for s, n in v.items()} for k, v in c.statuses.items()},
        "latency": lat,
        "problems": [{"message": m, "count": n, "examples": ex} for m, (n, ex) in c.problems.items()],
        **info,
    }
    if a.json:
        with open(a.json, "w") as f:
            json.dump(result, f, indent=1)
    print("catalog check: %d requests in %.1f s, %s" % (
        result["requests"], elapsed, "no problem" if result["ok"] else "%d kinds of problem" % len(c.problems)))
    for p in result["problems"]:
        print("  PROBLEM x%d: %s  e.g. %s" % (p["count"], p["message"], ", ".join(map(str, p["examples"]))))
    if not c.latency:
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
