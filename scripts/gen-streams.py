#!/usr/bin/env python3
"""Writes a synthetic action=streamconfigs answer with N streams to stdout.

Usage: scripts/gen-streams.py N [SEED]

Deterministic for a given N and SEED. Streams come in families like the
production config: a parent `<area>.<name>` with cc children
`<area>.<name>.<variant>` and some grandchildren, plus a few regex keys and
tricky names (`a`, `a.b`, `a..b`, `ab`). Settings: schema_title,
destination_event_service, a `sample` on some, metrics-platform producers
on others, topics.
"""
import json
import random
import sys


def main():
    n = int(sys.argv[1])
    rng = random.Random(int(sys.argv[2]) if len(sys.argv) > 2 else 1)
    areas = ["mediawiki", "analytics", "app", "web", "eventlogging", "test", "ios", "android"]
    services = ["eventgate-analytics-external", "eventgate-analytics", "eventgate-main", "eventgate-logging-external"]
    units = ["session", "pageview", "device"]
    streams = {}

    def add(name):
        settings = {
            "schema_title": f"analytics/{name.split('.')[0]}/{rng.randrange(1000)}",
            "destination_event_service": rng.choice(services),
            "topics": [f"eqiad.{name}", f"codfw.{name}"],
        }
        r = rng.random()
        if r < 0.3:
            settings["sample"] = {"unit": rng.choice(units), "rate": round(rng.random(), 3)}
        elif r < 0.45:
            settings["producers"] = {
                "metrics_platform_client": {
                    "events": [f"{name}.event{i}" for i in range(rng.randrange(1, 4))],
                    "provide_values": ["page_id", "performer_is_logged_in"],
                }
            }
        streams[name] = settings

    for tricky in ["a", "a.b", "a.b.c", "ab", "a..b", "/^regex\\.stream\\..*$/", "/^mediawiki\\.job\\..*/"]:
        add(tricky)
    family = 0
    while len(streams) < n:
        family += 1
        parent = f"{rng.choice(areas)}.stream_{family}"
        add(parent)
        for v in range(rng.choice([0, 0, 1, 2, 3, 5])):
            if len(streams) >= n:
                break
            child = f"{parent}.variant_{v}"
            add(child)
            if rng.random() < 0.2 and len(streams) < n:
                add(f"{child}.tiny")
    json.dump({"streams": streams}, sys.stdout, separators=(",", ":"))
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
