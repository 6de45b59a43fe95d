#!/usr/bin/env python3
"""Writes N realistic NDJSON events for a Metrics Platform style schema.

Usage: gen-bench-events.py SCHEMA.json N OUT.ndjson [STREAM [TARGET_BYTES]]

SCHEMA.json is the schema as JSON (scripts/bench-validate.sh converts the
YAML with `cargo run --example yaml_to_json`). The schema's first `examples`
entry is the template: every field it has is kept, and values are replaced by
plausible ones chosen by field name (timestamps in RFC 3339, 20-character
tokens, UUIDs, wiki names, page titles, ...), varied per event from a fixed
seed. Fields the replacement does not know keep the example's value.
Optional fields are left out (see DROP_ORDER) until an event is about
TARGET_BYTES long (default 1200). Only
the standard library is used (no PyYAML, no epc).
"""

import json
import random
import sys
import uuid
from datetime import datetime, timedelta, timezone

ALPHANUM = "0123456789abcdefghijklmnopqrstuvwxyz"
WIKIS = [
    ("enwiki", "en.wikipedia.org", "en"),
    ("dewiki", "de.wikipedia.org", "de"),
    ("frwiki", "fr.wikipedia.org", "fr"),
    ("eswiki", "es.wikipedia.org", "es"),
    ("jawiki", "ja.wikipedia.org", "ja"),
    ("commonswiki", "commons.wikimedia.org", "en"),
]
TITLES = [
    "Albert_Einstein", "Special:Search", "Main_Page", "List_of_countries_by_population",
    "Photosynthesis", "Category:Living_people", "Talk:Climate_change", "Ada_Lovelace",
    "User:Example/sandbox", "Wikipedia:Village_pump_(technical)",
]
ACTIONS = ["click", "init", "impression", "submit", "scroll", "hover", "close"]
SKINS = ["vector-2022", "minerva", "vector", "timeless", "monobook"]
BUCKETS = ["0 edits", "1-4 edits", "5-99 edits", "100-999 edits", "1000+ edits"]


def token(rng, n=20):
    return "".join(rng.choice(ALPHANUM) for _ in range(n))


def rfc3339(t):
    return t.strftime("%Y-%m-%dT%H:%M:%S.") + f"{t.microsecond // 1000:03d}Z"


def make_event(template, schema, rng, i, stream):
    wiki, domain, lang = rng.choice(WIKIS)
    title = rng.choice(TITLES)
    when = datetime(2025, 3, 1, tzinfo=timezone.utc) + timedelta(seconds=i * 0.37 + rng.random())
    action = rng.choice(ACTIONS)
    session = token(rng)
    logged_in = rng.random() < 0.3
    by_name = {
        "$schema": schema.get("$id", template.get("$schema")),
        "action": action,
        "action_context": json.dumps({"query_length": rng.randint(1, 40), "results": rng.randint(0, 20)}),
        "action_source": rng.choice(["search_box", "toc", "sticky_header", "main_menu"]),
        "action_subtype": rng.choice(["submit_form", "open", "expand", "select_result"]),
        "element_friendly_name": rng.choice(["Search", "Table of contents", "Languages"]),
        "element_id": rng.choice(["searchform", "vector-toc", "p-lang-btn"]),
        "funnel_entry_token": token(rng),
        "funnel_event_sequence_position": rng.randint(1, 30),
        "funnel_name": "search_funnel",
        "instrument_name": "SearchInteraction",
        "dt": rfc3339(when),
        "registration_dt": rfc3339(when - timedelta(days=rng.randint(1, 4000))),
        "client_platform": "mediawiki_js",
        "client_platform_family": rng.choice(["desktop_browser", "mobile_browser"]),
        "release_status": "prod",
        "database": wiki,
        "site_content_language": lang,
        "site_content_language_variant": lang,
        "skin": rng.choice(SKINS),
        "version": "1.44.0-wmf.20",
        "domain": domain,
        "id": None,  # per object, below
        "request_id": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
        "stream": stream,
        "uri": f"https://{domain}/wiki/{title}",
        "title": title.replace("_", " "),
        "content_language": lang,
        "is_redirect": rng.random() < 0.05,
        "namespace_id": 0,
        "namespace_name": "",
        "revision_id": rng.randint(1, 1_280_000_000),
        "user_groups_allowed_to_edit": ["*"],
        "user_groups_allowed_to_move": ["autoconfirmed"],
        "wikidata_qid": f"Q{rng.randint(1, 120_000_000)}",
        "active_browsing_session_token": session,
        "can_probably_edit_page": True,
        "edit_count": rng.randint(0, 5000) if logged_in else 0,
        "edit_count_bucket": rng.choice(BUCKETS) if logged_in else "0 edits",
        "groups": ["*", "user", "autoconfirmed"] if logged_in else ["*"],
        "is_bot": False,
        "is_logged_in": logged_in,
        "is_temp": False,
        "language": lang,
        "language_variant": lang,
        "name": f"Example user {rng.randint(1, 99999)}" if logged_in else "",
        "pageview_id": token(rng),
        "session_id": token(rng),
        "rate": rng.choice([0.01, 0.1, 0.5, 1]),
        "unit": rng.choice(["pageview", "session", "device"]),
        "has_cookies": True,
        "method": "GET",
        "protocol": "HTTP/1.1",
        "status_code": 200,
        "request_headers": {"user-agent": "Mozilla/5.0 (X11; Linux x86_64; rv:136.0) Firefox/136.0"},
        "response_headers": {"content-type": "text/html; charset=UTF-8"},
        "assigned": {"search_recall_test": rng.choice(["control", "treatment"])},
        "enrolled": ["search_recall_test"],
    }
    ids = {
        "meta": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
        "page": rng.randint(1, 80_000_000),
        "performer": rng.randint(1, 48_000_000) if logged_in else 0,
    }

    def fill(value, key, parent):
        if isinstance(by_name.get(key), dict):
            return by_name[key]
        if isinstance(value, dict):
            return {k: fill(v, k, key) for k, v in value.items()}
        if key == "id" and parent in ids:
            return ids[parent]
        if key == "dt" and parent == "meta":
            return rfc3339(when + timedelta(milliseconds=rng.randint(5, 900)))
        if key in by_name and by_name[key] is not None:
            return by_name[key]
        return value

    return fill(template, None, None)


# Optional fields dropped, in this order, until an event is no longer than
# the target size: the server-side `http` block first (clients do not send
# it), then what instruments often leave out. Required fields are never dropped.
DROP_ORDER = [
    "http", "experiments", "page.user_groups_allowed_to_move", "page.user_groups_allowed_to_edit",
    "funnel_entry_token", "funnel_event_sequence_position", "funnel_name",
    "performer.language_variant", "mediawiki.site_content_language_variant", "element_friendly_name",
    "meta.request_id", "performer.registration_dt", "page.wikidata_qid",
    "performer.active_browsing_session_token", "performer.can_probably_edit_page",
]


def required(schema, path):
    node = schema
    for part in path[:-1]:
        node = node.get("properties", {}).get(part, {})
    return path[-1] in node.get("required", [])


def drop(event, path):
    node = event
    for part in path[:-1]:
        node = node.get(part)
        if not isinstance(node, dict):
            return
    node.pop(path[-1], None)


def trimmed_template(template, schema, stream, target):
    """The template without the optional fields that make events exceed `target` bytes."""
    dropped = []
    for dotted in DROP_ORDER:
        probe = make_event(template, schema, random.Random(0), 0, stream)
        for d in dropped:
            drop(probe, d)
        if len(json.dumps(probe, separators=(",", ":"))) <= target:
            break
        if not required(schema, dotted.split(".")):
            dropped.append(dotted.split("."))
    template = json.loads(json.dumps(template))
    for d in dropped:
        drop(template, d)
    return template


def main():
    if len(sys.argv) < 4:
        sys.exit(__doc__)
    schema = json.load(open(sys.argv[1], encoding="utf-8"))
    n = int(sys.argv[2])
    stream = sys.argv[4] if len(sys.argv) > 4 else "product_metrics.web_base"
    examples = schema.get("examples") or []
    if not examples:
        sys.exit(f"{sys.argv[1]}: the schema has no `examples` to use as a template")
    target = int(sys.argv[5]) if len(sys.argv) > 5 else 1200
    template = trimmed_template(examples[0], schema, stream, target)
    rng = random.Random(42)
    total = 0
    with open(sys.argv[3], "w", encoding="utf-8") as out:
        for i in range(n):
            line = json.dumps(make_event(template, schema, rng, i, stream), separators=(",", ":"), ensure_ascii=False)
            total += len(line.encode()) + 1
            out.write(line)
            out.write("\n")
    print(f"{n} events, {total} bytes, {total / max(n, 1):.0f} bytes/event", file=sys.stderr)


if __name__ == "__main__":
    main()
