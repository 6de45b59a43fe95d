//! `epc id`: fresh session, pageview and device identifiers.

use crate::support::{epc, stdout_json, stdout_ndjson, stdout_text};

fn is_lower_hex(text: &str) -> bool {
    text.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

/// A lower-case UUID v4: 8-4-4-4-12 hex, version 4, RFC 4122 variant.
fn is_uuid_v4(text: &str) -> bool {
    let groups: Vec<&str> = text.split('-').collect();
    groups.iter().map(|g| g.len()).eq([8, 4, 4, 4, 12])
        && groups.iter().all(|g| is_lower_hex(g))
        && text.as_bytes()[14] == b'4'
        && matches!(text.as_bytes()[19], b'8' | b'9' | b'a' | b'b')
}

#[test]
fn id_session_prints_twenty_lower_case_hex_characters_and_a_newline() {
    let a = epc().args(["id", "session"]).assert().code(0);
    let out = stdout_text(&a);
    let id = out.strip_suffix('\n').expect("ends with a newline");
    assert_eq!(id.len(), 20, "{out:?}");
    assert!(is_lower_hex(id), "{out:?}");
}

#[test]
fn id_pageview_prints_n_distinct_identifiers_as_json() {
    let a = epc().args(["id", "pageview", "-n", "4", "--format", "json"]).assert().code(0);
    let v = stdout_json(&a);
    assert_eq!(v["summary"], serde_json::json!({"kind": "pageview", "identifiers": 4}));
    let results = v["results"].as_array().unwrap();
    assert!(results.iter().all(|r| r["kind"] == "pageview"), "{results:?}");
    let ids: Vec<&str> = results.iter().map(|r| r["identifier"].as_str().unwrap()).collect();
    assert_eq!(ids.len(), 4);
    assert!(ids.iter().all(|i| i.len() == 20 && is_lower_hex(i)), "{ids:?}");
    let mut distinct = ids.clone();
    distinct.sort_unstable();
    distinct.dedup();
    assert_eq!(distinct.len(), 4, "{ids:?}");
}

#[test]
fn id_device_ndjson_prints_one_uuid_v4_record_per_identifier() {
    let a = epc().args(["id", "device", "-n", "3", "--format", "ndjson"]).assert().code(0);
    let mut records = stdout_ndjson(&a);
    assert_eq!(records.pop(), Some(serde_json::json!({"type": "summary", "kind": "device", "identifiers": 3})));
    assert_eq!(records.len(), 3);
    for r in &records {
        assert_eq!(r["type"], "identifier");
        assert_eq!(r["kind"], "device");
        let id = r["identifier"].as_str().unwrap();
        assert!(is_uuid_v4(id), "{id}");
    }
}

#[test]
fn id_unknown_kind_is_a_usage_error() {
    epc().args(["id", "user"]).assert().code(2);
}
