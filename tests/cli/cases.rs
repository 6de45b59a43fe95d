//! Regression tests for the bug cases in `../shared/cases/` (skipped when absent).

use std::sync::{Arc, Mutex};

use serde_json::{Map, Value, json};

use crate::support::{Reply, Seen, epc, error_lines, mock_api, read, shared, stderr_text, stdout_json, strings};

// Case 01: `action=streamconfigs` empty objects serialised as JSON lists.

const CASE_01: &str = "cases/01-streams-empty-list-vs-object";

#[test]
fn case_01_empty_streams_list_lists_zero_streams() {
    let Some(path) = shared(&format!("{CASE_01}/response-streams-empty-list.json")) else { return };
    let a = epc().args(["streams", "--format", "json", "--stream-config"]).arg(&path).assert().code(0);
    let v = stdout_json(&a);
    assert_eq!(v["streams"], json!([]));
    assert_eq!(v["summary"]["streams"], 0);
    assert_eq!(v["summary"]["configured"], 0);
}

#[test]
fn case_01_stream_asked_of_an_empty_list_is_not_configured_not_a_parse_error() {
    let Some(path) = shared(&format!("{CASE_01}/response-streams-empty-list.json")) else { return };
    let a = epc().args(["streams", "test.widget_click", "--stream-config"]).arg(&path).assert().code(2);
    let stderr = stderr_text(&a);
    let errors = error_lines(&stderr);
    assert_eq!(errors.len(), 1, "{stderr}");
    assert!(errors[0].contains("stream `test.widget_click` is not configured"), "{stderr}");
    for parse_word in ["malformed", "not a stream config", "invalid type", "sequence"] {
        assert!(!stderr.contains(parse_word), "{stderr}");
    }
}

#[test]
fn case_01_mixed_shapes_read_empty_settings_as_an_object_and_keep_real_lists() {
    let Some(path) = shared(&format!("{CASE_01}/response-mixed-shapes.json")) else { return };
    let a = epc().args(["streams", "--format", "json", "--stream-config"]).arg(&path).assert().code(0);
    let v = stdout_json(&a);
    assert_eq!(v["summary"]["streams"], 2);

    let a = epc()
        .args(["streams", "test.widget_click", "test.no_settings", "--format", "json", "--stream-config"])
        .arg(&path)
        .assert()
        .code(0);
    let v = stdout_json(&a);
    let records = v["streams"].as_array().unwrap();
    assert_eq!(records.len(), 2);
    assert_eq!(records[1]["stream"], "test.no_settings");
    assert_eq!(records[1]["stream_config"], json!({}));
    let widget = &records[0]["stream_config"];
    assert_eq!(strings(&widget["topics"]), ["eqiad.test.widget_click", "codfw.test.widget_click"]);
    assert_eq!(
        strings(&widget["producers"]["metrics_platform_client"]["provide_values"]),
        ["page_id", "performer_session_id"]
    );
}

#[test]
fn case_01_stream_without_settings_is_in_sample() {
    let Some(path) = shared(&format!("{CASE_01}/response-mixed-shapes.json")) else { return };
    let a = epc()
        .args(["sample", "--stream", "test.no_settings", "--id", "0aac0b2976c12a600a58", "--format", "json"])
        .arg("--stream-config")
        .arg(&path)
        .assert()
        .code(0);
    let v = stdout_json(&a);
    let results = v["results"].as_array().unwrap();
    assert_eq!(results.len(), 1);
    assert_eq!(results[0]["stream"], "test.no_settings");
    assert_eq!(results[0]["in_sample"], true);
    assert_eq!(results[0]["reason"], "no_sample_config");
}

// Case 02: more than 50 stream names in one request.

/// MediaWiki's default multi-value limit, as in the case's `mock_api.py`.
const MEDIAWIKI_LIMIT: usize = 50;

/// A Rust port of the case's `mock_api.py`: 404 unless `/w/api.php?action=streamconfigs`;
/// more than 50 names in `streams` is rejected the way MediaWiki does (HTTP 200,
/// an `error` body and a `MediaWiki-API-Error` header); otherwise one config per name.
fn mock_streamconfigs(request: &Seen) -> Reply {
    if request.path != "/w/api.php" || request.param("action") != Some("streamconfigs") {
        return Reply::status(404, "");
    }
    let names = request.stream_names();
    if names.len() > MEDIAWIKI_LIMIT {
        let body = json!({"error": {
            "code": "toomanyvalues",
            "info": format!("Too many values supplied for parameter \"streams\". The limit is {MEDIAWIKI_LIMIT}."),
            "*": "See http://127.0.0.1/w/api.php for API usage.",
        }});
        return Reply::json(body.to_string()).header("MediaWiki-API-Error", "toomanyvalues");
    }
    let streams: Map<String, Value> = names
        .iter()
        .map(|&n| {
            let config = json!({
                "schema_title": "analytics/test",
                "destination_event_service": "eventgate-analytics-external",
                "sample": {"unit": "session", "rate": 0.5},
            });
            (n.to_owned(), config)
        })
        .collect();
    Reply::json(json!({ "streams": streams }).to_string())
}

#[test]
fn case_02_more_than_50_names_are_fetched_in_batches_of_at_most_50() {
    let Some(names_file) = shared("cases/02-streams-batch-over-50/stream-names.txt") else { return };
    let expected: Vec<String> =
        read(&names_file).lines().map(str::trim).filter(|l| !l.is_empty()).map(String::from).collect();
    assert_eq!(expected.len(), 60);

    let n_streams = Arc::new(Mutex::new(Vec::new()));
    let log = Arc::clone(&n_streams);
    let api = mock_api(10, move |request| {
        log.lock().unwrap().push(request.stream_names().len());
        mock_streamconfigs(request)
    });
    let a = epc()
        .args(["streams", "--stream-config", &api.url, "--format", "json", "--streams-file"])
        .arg(&names_file)
        .assert()
        .code(0);
    let seen = api.finish();
    let n_streams = n_streams.lock().unwrap().clone();

    let v = stdout_json(&a);
    let shown: Vec<&str> = v["streams"].as_array().unwrap().iter().map(|r| r["stream"].as_str().unwrap()).collect();
    assert_eq!(shown, expected);
    assert_eq!(v["summary"]["missing"], json!([]));
    assert!(n_streams.len() >= 2, "requests: {n_streams:?}");
    assert!(n_streams.iter().all(|&n| n <= MEDIAWIKI_LIMIT), "requests: {n_streams:?}");
    assert_eq!(n_streams.iter().sum::<usize>(), 60, "requests: {n_streams:?}");
    assert!(seen.iter().all(|s| s.param("action") == Some("streamconfigs")));
    let stderr = stderr_text(&a);
    assert!(stderr.contains(&format!("in {} requests", n_streams.len())), "{stderr}");
}

#[test]
fn case_02_mock_rejects_more_than_50_names_like_mediawiki() {
    // The mock itself, so the test above checks against a faithful port.
    let seen = |names: usize| Seen {
        method: "GET".into(),
        path: "/w/api.php".into(),
        query: vec![
            ("action".into(), "streamconfigs".into()),
            ("streams".into(), (1..=names).map(|i| format!("s{i}")).collect::<Vec<_>>().join("|")),
        ],
        user_agent: None,
    };
    let reply = mock_streamconfigs(&seen(51));
    assert_eq!(reply.status, 200);
    assert!(reply.headers.contains(&("MediaWiki-API-Error", "toomanyvalues".into())));
    assert!(reply.body.contains("\"toomanyvalues\""));
    let reply = mock_streamconfigs(&seen(50));
    let body: Value = serde_json::from_str(&reply.body).unwrap();
    assert_eq!(body["streams"].as_object().unwrap().len(), 50);
}

// Case 05: device sampling with upper-case UUIDs.

#[test]
fn case_05_upper_and_lower_case_identifiers_decide_as_in_ids_tsv() {
    let (Some(tsv), Some(config)) = (
        shared("cases/05-sample-device-uppercase-uuid/ids.tsv"),
        shared("cases/05-sample-device-uppercase-uuid/stream-config.json"),
    ) else {
        return;
    };
    let text = read(&tsv);
    let rows: Vec<Vec<&str>> =
        text.lines().filter(|l| !l.starts_with('#') && !l.trim().is_empty()).map(|l| l.split('\t').collect()).collect();
    assert_eq!(rows.len(), 8);
    for row in rows {
        let [stream, id, expected, value] = row[..] else { panic!("a row of 4 columns: {row:?}") };
        let expected_in = match expected {
            "in-sample" => true,
            "out-of-sample" => false,
            other => panic!("unknown decision {other}"),
        };
        let expected_value: f64 = value.parse().unwrap();
        let a = epc()
            .args(["sample", "--stream", stream, "--id", id, "--format", "json", "--stream-config"])
            .arg(&config)
            .assert()
            .code(0);
        let v = stdout_json(&a);
        let r = &v["results"][0];
        assert_eq!(v["results"].as_array().unwrap().len(), 1, "{stream} {id}: {v}");
        assert_eq!(r["stream"], stream);
        assert_eq!(r["identifier"], id);
        assert_eq!(r["in_sample"], expected_in, "{stream} {id}: {r}");
        assert_eq!(r["value"].as_f64(), Some(expected_value), "{stream} {id}: {r}");
    }
}
