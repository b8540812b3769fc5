"""Runs the relevance benchmark against a running Souk stack and prints its measures.

Seeds the labelled catalog (products.json) through the public API as one seller, waits until
every product is embedded, runs every query of queries.json through GET /api/v1/catalog/products
and prints, per query class and overall: nDCG@10 (gains 2^grade - 1 over the judged grades),
recall@20 (of products graded 1 or 2) and the share of queries that found nothing. For
not_sold queries, where nothing is relevant, it prints how many results came back instead.

Usage: python3 run.py <base url> <psql command...>   (the psql command reads the stack's database)
"""

import json
import math
import os
import subprocess
import sys
import time
import urllib.parse
import urllib.request
import uuid

HERE = os.path.dirname(os.path.abspath(__file__))


def call(base, method, path, body=None, token=None):
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(base + path, data=data, method=method)
    request.add_header("content-type", "application/json")
    request.add_header("idempotency-key", str(uuid.uuid4()))
    if token:
        request.add_header("authorization", "Bearer " + token)
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return json.loads(response.read() or b"null")
    except urllib.error.HTTPError as e:
        raise SystemExit(f"{method} {path} answered {e.code}: {e.read()[:300]!r}")


def seed(base, products):
    username = "rel" + uuid.uuid4().hex[:12]
    account = call(base, "POST", "/api/v1/account/auth/register",
                   {"username": username, "password": "correct horse", "country": "VN"})
    token = account["access_token"]
    categories = {}
    for p in products:
        slug = p["category"]
        if slug not in categories:
            categories[slug] = call(base, "GET", f"/api/v1/catalog/categories/{slug}")["id"]
        made = call(base, "POST", "/api/v1/catalog/products", {
            "category_id": categories[slug], "name": p["name"], "description": p["description"],
            "tags": p["tags"]}, token)
        call(base, "POST", f"/api/v1/catalog/products/{made['id']}/skus",
             {"price": p["price_vnd"], "attributes": []}, token)
    return account["account"]["id"], categories


def wait_embedded(psql, seller, count):
    deadline = time.time() + 600
    sql = ("SELECT count(*) FROM catalog.product WHERE seller_id = '%s' "
           "AND embedding IS NOT NULL" % seller)
    while True:
        done = int(subprocess.run(psql + ["-At", "-c", sql], check=True, capture_output=True,
                                  text=True).stdout.strip())
        if done >= count:
            return
        if time.time() > deadline:
            raise SystemExit(f"only {done} of {count} products embedded after 10 minutes")
        time.sleep(1)


def dcg(grades):
    return sum((2 ** g - 1) / math.log2(i + 2) for i, g in enumerate(grades))


def main():
    base, psql = sys.argv[1], sys.argv[2:]
    products = json.load(open(os.path.join(HERE, "products.json")))
    queries = json.load(open(os.path.join(HERE, "queries.json")))
    by_name = {p["name"]: p["key"] for p in products}
    started = time.time()
    seller, categories = seed(base, products)
    wait_embedded(psql, seller, len(products))
    print(f"seeded and embedded {len(products)} products in {time.time() - started:.0f} s",
          file=sys.stderr)
    classes = {}
    for q in queries:
        params = {"q": q["q"], "limit": "20", "seller_id": seller}
        filters = q.get("filters", {})
        if "category" in filters:
            params["category"] = categories.get(filters["category"]) or call(
                base, "GET", f"/api/v1/catalog/categories/{filters['category']}")["id"]
        if "price_max" in filters:
            params["price_max"] = str(filters["price_max"])
        page = call(base, "GET", "/api/v1/catalog/products?" + urllib.parse.urlencode(params))
        found = [by_name.get(card["name"]) for card in page["items"]]
        relevant = q["relevant"]
        stats = classes.setdefault(q["class"], {"n": 0, "ndcg": [], "recall": [], "zero": 0,
                                                 "results": []})
        stats["n"] += 1
        stats["zero"] += not found
        stats["results"].append(len(found))
        if relevant:
            ideal = dcg(sorted(relevant.values(), reverse=True)[:10])
            stats["ndcg"].append(dcg([relevant.get(k, 0) for k in found[:10]]) / ideal)
            stats["recall"].append(sum(1 for k in found[:20] if k in relevant) / len(relevant))
    mean = lambda xs: sum(xs) / len(xs) if xs else float("nan")
    print("| class | queries | nDCG@10 | recall@20 | zero-result share | mean results |")
    print("|---|---|---|---|---|---|")
    every = {"n": 0, "ndcg": [], "recall": [], "zero": 0, "results": []}
    for name in sorted(classes):
        s = classes[name]
        for k in ("ndcg", "recall", "results"):
            if name != "not_sold" or k == "results":
                every[k] += s[k]
        every["n"] += s["n"]
        every["zero"] += s["zero"] if name != "not_sold" else 0
        ndcg = "—" if not s["ndcg"] else f"{mean(s['ndcg']):.3f}"
        recall = "—" if not s["recall"] else f"{mean(s['recall']):.3f}"
        print(f"| {name} | {s['n']} | {ndcg} | {recall} | {s['zero'] / s['n']:.2f} | "
              f"{mean(s['results']):.1f} |")
    sold = every["n"] - classes.get("not_sold", {"n": 0})["n"]
    print(f"| all but not_sold | {sold} | {mean(every['ndcg']):.3f} | {mean(every['recall']):.3f} "
          f"| {every['zero'] / max(sold, 1):.2f} | — |")


if __name__ == "__main__":
    main()
