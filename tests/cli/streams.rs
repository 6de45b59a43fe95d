//! `epc streams`: listing, filters, named streams, sources and their errors.

use serde_json::{Value, json};

use crate::support::{
    Reply, epc, epc_with_fixture, error_lines, fixture, mock_api, read, require_shared, shared, stderr_text,
    stdout_json, stdout_ndjson, stdout_text, stream_record, strings,
};

const FIXTURE: &str = "streamconfigs.json";

#[test]
fn streams_lists_every_fixture_stream_as_json_with_summary_counts() {
    let a = epc_with_fixture(FIXTURE, &["streams", "--format", "json"]).assert().code(0);
    let v = stdout_json(&a);
    let names: Vec<&str> = v["streams"].as_array().unwrap().iter().map(|r| r["stream"].as_str().unwrap()).collect();
    assert_eq!(
        names,
        [
            "test.widget_click",
            "test.widget_click.sampled",
            "test.widget_click.sampled.tiny",
            "test.widget_click.all",
            "app.widget_tap",
            "web.page_view",
            "ios.legacy_sampling",
            "mediawiki.page_change.v1",
            "test.no_settings",
            "/^mediawiki\\.job\\..+/",
        ]
    );
    assert_eq!(
        v["summary"],
        json!({"configured": 10, "streams": 10, "regex": 1, "sampled": 5, "invalid_sample": 0, "with_problems": 0, "with_warnings": 1})
    );
    let regex = stream_record(&v["streams"], "/^mediawiki\\.job\\..+/");
    assert_eq!(regex["regex"], true);
    assert_eq!(regex["destination_event_service"], "eventgate-main");
    let widget = stream_record(&v["streams"], "test.widget_click");
    assert_eq!(widget["regex"], false);
    assert_eq!(widget["sample"], json!({"unit": "session", "rate": 0.2}));
    assert_eq!(strings(&widget["metrics_platform_events"]), ["widget_click", "widget_hover"]);
    // A single-string `events` counts as a one-element list (MP-JS).
    assert_eq!(strings(&stream_record(&v["streams"], "app.widget_tap")["metrics_platform_events"]), ["widget_tap"]);
    // The integer rate `1` stays an integer.
    assert_eq!(stream_record(&v["streams"], "app.widget_tap")["sample"]["rate"], json!(1));
}

#[test]
fn streams_json_records_keep_their_documented_key_order() {
    // Regression: removing `type` with `Map::remove` (a swap-remove under
    // serde_json's preserve_order) moved the last key to the front.
    let a = epc_with_fixture(FIXTURE, &["streams", "--format", "json"]).assert().code(0);
    let v = stdout_json(&a);
    let keys: Vec<&String> = v["streams"][0].as_object().unwrap().keys().collect();
    assert_eq!(
        keys,
        [
            "stream",
            "regex",
            "schema_title",
            "destination_event_service",
            "sample",
            "metrics_platform_events",
            "cc_streams",
            "problems",
            "warnings"
        ]
    );
    let a = epc_with_fixture(FIXTURE, &["streams", "test.widget_click", "--format", "json"]).assert().code(0);
    let v = stdout_json(&a);
    let keys: Vec<&String> = v["streams"][0].as_object().unwrap().keys().collect();
    assert_eq!(keys, ["stream", "matched", "stream_config", "cc_streams", "problems", "warnings"]);
}

#[test]
fn streams_lists_a_stream_configured_as_php_empty_array_with_null_fields() {
    let a = epc_with_fixture(FIXTURE, &["streams", "--format", "json"]).assert().code(0);
    let v = stdout_json(&a);
    let r = stream_record(&v["streams"], "test.no_settings");
    assert_eq!(r["regex"], false);
    assert_eq!(r["schema_title"], Value::Null);
    assert_eq!(r["destination_event_service"], Value::Null);
    assert_eq!(r["sample"], Value::Null);
    assert_eq!(r["metrics_platform_events"], json!([]));
    assert_eq!(r["cc_streams"], json!([]));
    assert_eq!(r["problems"], json!([]));
}

#[test]
fn streams_cc_streams_are_direct_children_depth_first_in_config_order() {
    let a = epc_with_fixture(FIXTURE, &["streams", "--format", "json"]).assert().code(0);
    let v = stdout_json(&a);
    assert_eq!(
        strings(&stream_record(&v["streams"], "test.widget_click")["cc_streams"]),
        ["test.widget_click.sampled", "test.widget_click.sampled.tiny", "test.widget_click.all"]
    );
    assert_eq!(
        strings(&stream_record(&v["streams"], "test.widget_click.sampled")["cc_streams"]),
        ["test.widget_click.sampled.tiny"]
    );
    assert_eq!(stream_record(&v["streams"], "test.widget_click.all")["cc_streams"], json!([]));
}

#[test]
fn streams_ndjson_has_one_record_per_stream_then_a_summary() {
    let a = epc_with_fixture(FIXTURE, &["streams", "--format", "ndjson"]).assert().code(0);
    let records = stdout_ndjson(&a);
    assert_eq!(records.len(), 11);
    assert!(records[..10].iter().all(|r| r["type"] == "stream"), "{records:?}");
    let summary = records.last().unwrap();
    assert_eq!(
        summary,
        &json!({
            "type": "summary", "streams": 10, "regex": 1, "sampled": 5, "invalid_sample": 0, "with_problems": 0, "with_warnings": 1,
            "configured": 10
        })
    );
}

#[test]
fn streams_match_filters_by_name_or_schema_title_case_insensitively() {
    let a = epc_with_fixture(FIXTURE, &["streams", "--match", "WIDGET", "--format", "json"]).assert().code(0);
    let v = stdout_json(&a);
    let names: Vec<&str> = v["streams"].as_array().unwrap().iter().map(|r| r["stream"].as_str().unwrap()).collect();
    assert_eq!(
        names,
        [
            "test.widget_click",
            "test.widget_click.sampled",
            "test.widget_click.sampled.tiny",
            "test.widget_click.all",
            "app.widget_tap"
        ]
    );
    assert_eq!(v["summary"]["streams"], 5);
    assert_eq!(v["summary"]["configured"], 10);

    // `mobile_apps` is only in the schema title of ios.legacy_sampling.
    let a = epc_with_fixture(FIXTURE, &["streams", "--match", "mobile_apps", "--format", "json"]).assert().code(0);
    let v = stdout_json(&a);
    assert_eq!(v["streams"].as_array().unwrap().len(), 1);
    assert_eq!(v["streams"][0]["stream"], "ios.legacy_sampling");
}

#[test]
fn streams_constraint_keeps_only_streams_with_that_setting() {
    let a = epc_with_fixture(
        FIXTURE,
        &["streams", "--constraint", "destination_event_service=eventgate-main", "--format", "json"],
    )
    .assert()
    .code(0);
    let v = stdout_json(&a);
    assert_eq!(v["streams"].as_array().unwrap().len(), 1);
    assert_eq!(v["streams"][0]["stream"], "/^mediawiki\\.job\\..+/");
    assert_eq!(v["summary"]["streams"], 1);
    assert_eq!(v["summary"]["regex"], 1);
}

#[test]
fn streams_named_stream_resolves_through_a_regex_entry() {
    let a = epc_with_fixture(FIXTURE, &["streams", "mediawiki.job.refreshLinks", "--format", "json"]).assert().code(0);
    let v = stdout_json(&a);
    assert_eq!(v["summary"]["missing"], json!([]));
    let r = &v["streams"][0];
    assert_eq!(r["stream"], "mediawiki.job.refreshLinks");
    assert_eq!(r["matched"], json!({"kind": "regex", "key": "/^mediawiki\\.job\\..+/"}));
    assert_eq!(r["stream_config"]["schema_title"], "mediawiki/job");
    assert_eq!(r["stream_config"]["canary_events_enabled"], false);
}

#[test]
fn streams_named_exact_stream_shows_its_settings_in_config_order() {
    let a = epc_with_fixture(FIXTURE, &["streams", "test.widget_click", "--format", "json"]).assert().code(0);
    let v = stdout_json(&a);
    let r = &v["streams"][0];
    assert_eq!(r["matched"], json!({"kind": "exact", "key": "test.widget_click"}));
    let keys: Vec<&String> = r["stream_config"].as_object().unwrap().keys().collect();
    assert_eq!(
        keys,
        [
            "topic_prefixes",
            "canary_events_enabled",
            "producers",
            "consumers",
            "schema_title",
            "destination_event_service",
            "sample",
            "stream",
            "topics"
        ]
    );
    assert_eq!(
        strings(&r["stream_config"]["producers"]["metrics_platform_client"]["provide_values"]),
        ["page_id", "performer_session_id", "mediawiki_skin"]
    );
    assert_eq!(
        strings(&r["cc_streams"]),
        ["test.widget_click.sampled", "test.widget_click.sampled.tiny", "test.widget_click.all"]
    );
    assert_eq!(r["problems"], json!([]));
    assert_eq!(r["warnings"], json!([]));
}

#[test]
fn streams_named_legacy_sampling_stream_carries_a_warning_record() {
    let a = epc_with_fixture(FIXTURE, &["streams", "ios.legacy_sampling", "--format", "json"]).assert().code(0);
    let v = stdout_json(&a);
    let warnings = v["streams"][0]["warnings"].as_array().unwrap();
    assert_eq!(warnings.len(), 1);
    assert_eq!(warnings[0]["field"], "sampling");
    assert!(stderr_text(&a).contains("warning: stream `ios.legacy_sampling`: `sampling`"), "{}", stderr_text(&a));
}

#[test]
fn streams_unknown_stream_exits_2_with_a_did_you_mean_hint() {
    let a = epc_with_fixture(FIXTURE, &["streams", "test.widgte_click"]).assert().code(2);
    let stderr = stderr_text(&a);
    let errors = error_lines(&stderr);
    assert_eq!(errors.len(), 1, "{stderr}");
    assert!(errors[0].contains("`test.widgte_click`") && errors[0].contains("not configured"), "{stderr}");
    assert!(stderr.lines().any(|l| l == "hint: did you mean `test.widget_click`?"), "{stderr}");
}

#[test]
fn streams_unknown_stream_far_from_any_name_hints_at_the_listing() {
    let a = epc_with_fixture(FIXTURE, &["streams", "nothing.like.it"]).assert().code(2);
    let stderr = stderr_text(&a);
    assert_eq!(error_lines(&stderr).len(), 1, "{stderr}");
    assert!(!stderr.contains("did you mean"), "{stderr}");
    assert!(stderr.contains("hint: run `epc streams`"), "{stderr}");
}

#[test]
fn streams_invalid_sample_configs_exit_1_and_name_the_field() {
    let a = epc_with_fixture("streamconfigs-invalid.json", &["streams", "--format", "json"]).assert().code(1);
    let v = stdout_json(&a);
    let fields = |name: &str| -> Vec<String> {
        stream_record(&v["streams"], name)["problems"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["field"].as_str().unwrap().to_owned())
            .collect()
    };
    assert_eq!(fields("test.bad_unit"), ["sample.unit"]);
    assert_eq!(fields("test.string_rate"), ["sample.rate"]);
    assert_eq!(fields("test.rate_too_high"), ["sample.rate"]);
    assert!(fields("test.ok").is_empty());
    assert_eq!(v["summary"]["with_problems"], 3);
    assert_eq!(v["summary"]["streams"], 4);
    let stderr = stderr_text(&a);
    assert!(stderr.contains("config problem: stream `test.bad_unit`: `sample.unit`"), "{stderr}");
    assert!(error_lines(&stderr).is_empty(), "{stderr}");
}

#[test]
fn streams_malformed_config_file_exits_2_naming_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("broken.json");
    std::fs::write(&path, "{\"streams\": {\"a\": ").unwrap();
    let a = epc().args(["streams", "--stream-config"]).arg(&path).assert().code(2);
    let stderr = stderr_text(&a);
    let errors = error_lines(&stderr);
    assert_eq!(errors.len(), 1, "{stderr}");
    assert!(errors[0].contains(&path.display().to_string()), "{stderr}");
    assert!(errors[0].contains("malformed stream config JSON"), "{stderr}");
}

#[test]
fn streams_config_that_is_not_a_stream_map_exits_2() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("number.json");
    std::fs::write(&path, r#"{"streams": 3}"#).unwrap();
    let a = epc().args(["streams", "--stream-config"]).arg(&path).assert().code(2);
    let stderr = stderr_text(&a);
    assert!(stderr.contains("not a stream config: `streams` must be an object, found a number"), "{stderr}");
}

#[test]
fn streams_missing_config_file_exits_2_naming_the_file() {
    let a = epc().args(["streams", "--stream-config", "fixtures/no-such-file.json"]).assert().code(2);
    let stderr = stderr_text(&a);
    let errors = error_lines(&stderr);
    assert_eq!(errors.len(), 1, "{stderr}");
    assert!(errors[0].contains("cannot read stream config fixtures/no-such-file.json"), "{stderr}");
}

#[test]
fn streams_reads_config_from_stdin() {
    let a = epc()
        .args(["streams", "--stream-config", "-", "--format", "json"])
        .write_stdin(read(&fixture(FIXTURE)))
        .assert()
        .code(0);
    let v = stdout_json(&a);
    assert_eq!(v["summary"]["streams"], 10);
    assert_eq!(v["summary"]["regex"], 1);
}

#[test]
fn streams_config_from_env_var_is_used_when_no_flag_is_given() {
    let a = epc()
        .env("EPC_STREAM_CONFIG", fixture("streamconfigs-invalid.json"))
        .args(["streams", "--format", "json"])
        .assert()
        .code(1);
    assert_eq!(stdout_json(&a)["summary"]["streams"], 4);
}

#[test]
fn streams_unreachable_api_exits_2_with_one_error_line_naming_the_url() {
    // Port 1 on loopback: nothing listens there, the connection is refused.
    let url = "http://127.0.0.1:1/w/api.php";
    let a = epc().args(["streams", "--stream-config", url, "--timeout", "5"]).assert().code(2);
    let stderr = stderr_text(&a);
    let errors = error_lines(&stderr);
    assert_eq!(errors.len(), 1, "{stderr}");
    assert!(errors[0].starts_with("error: cannot fetch stream config from http://127.0.0.1:1/w/api.php"), "{stderr}");
    // Nothing is cached in the test's cache dir, so --offline would not help.
    assert!(stderr.contains("hint: pass --stream-config FILE"), "{stderr}");
}

#[test]
fn streams_offline_with_an_empty_cache_exits_2() {
    let a = epc().args(["streams", "--stream-config", "http://127.0.0.1:1/w/api.php", "--offline"]).assert().code(2);
    let stderr = stderr_text(&a);
    let errors = error_lines(&stderr);
    assert_eq!(errors.len(), 1, "{stderr}");
    assert!(errors[0].contains("no cached stream config for http://127.0.0.1:1/w/api.php"), "{stderr}");
}

#[test]
fn streams_fetches_from_the_api_and_later_reads_the_cache_offline() {
    let body = read(&fixture(FIXTURE));
    let api = mock_api(1, move |_| Reply::json(body.clone()));
    let url = api.url.clone();
    let cache = tempfile::tempdir().unwrap();

    let a = epc()
        .env("EPC_CACHE_DIR", cache.path())
        .args(["streams", "--stream-config", &url, "--format", "json"])
        .assert()
        .code(0);
    assert_eq!(stdout_json(&a)["summary"]["streams"], 10);
    let stderr = stderr_text(&a);
    assert!(stderr.contains(&format!("fetched stream config from {url} in 1 request")), "{stderr}");

    let seen = api.finish();
    assert_eq!(seen.len(), 1);
    let request = &seen[0];
    assert_eq!(request.method, "GET");
    assert_eq!(request.path, "/w/api.php");
    assert_eq!(request.param("action"), Some("streamconfigs"));
    assert_eq!(request.param("format"), Some("json"));
    assert_eq!(request.param("formatversion"), Some("2"));
    assert_eq!(request.param("streams"), None, "a full listing requests every stream");
    let agent = request.user_agent.as_deref().unwrap_or_default();
    assert!(agent.starts_with("epc/"), "User-Agent: {agent:?}");

    // The server is gone now; --offline answers from the cache.
    let a = epc()
        .env("EPC_CACHE_DIR", cache.path())
        .args(["streams", "--stream-config", &url, "--offline", "--format", "json"])
        .assert()
        .code(0);
    assert_eq!(stdout_json(&a)["summary"]["streams"], 10);
    let stderr = stderr_text(&a);
    let note = stderr.lines().find(|l| l.starts_with("using cached stream config")).unwrap_or_default();
    assert!(note.contains(&url) && note.ends_with(" ago"), "{stderr}");
}

#[test]
fn streams_passes_requested_names_and_constraints_to_the_api() {
    let api = mock_api(1, |_| {
        Reply::json(r#"{"streams": {"test.widget_click": {"destination_event_service": "eventgate-main"}}}"#)
    });
    let a = epc()
        .args(["streams", "test.widget_click", "--constraint", "destination_event_service=eventgate-main"])
        .args(["--stream-config", &api.url, "--format", "json"])
        .assert()
        .code(0);
    assert_eq!(stdout_json(&a)["streams"][0]["stream"], "test.widget_click");
    let seen = api.finish();
    assert_eq!(seen.len(), 1);
    assert_eq!(seen[0].param("streams"), Some("test.widget_click"));
    assert_eq!(seen[0].param("constraints"), Some("destination_event_service=eventgate-main"));
}

#[test]
fn streams_api_error_body_with_http_200_exits_2_and_shows_the_code() {
    let api = mock_api(1, |_| Reply::json(r#"{"error":{"code":"x","info":"y"}}"#));
    let a = epc().args(["streams", "--stream-config", &api.url]).assert().code(2);
    let stderr = stderr_text(&a);
    let errors = error_lines(&stderr);
    assert_eq!(errors.len(), 1, "{stderr}");
    assert!(errors[0].contains(&api.url) && errors[0].contains("API error `x`: y"), "{stderr}");
    assert_eq!(api.finish().len(), 1);
}

#[test]
fn streams_api_http_error_status_exits_2_with_the_status() {
    let api = mock_api(1, |_| Reply::status(503, "upstream unavailable"));
    let a = epc().args(["streams", "--stream-config", &api.url]).assert().code(2);
    let stderr = stderr_text(&a);
    assert!(stderr.contains("answered HTTP 503: upstream unavailable"), "{stderr}");
    assert_eq!(api.finish().len(), 1);
}

// Real data: the production stream config in ../shared (skipped when absent).

#[test]
fn streams_production_config_lists_244_streams() {
    let Some(path) = shared("data/streamconfigs/production-default.json") else { return };
    let a = epc().args(["streams", "--format", "json", "--stream-config"]).arg(&path).assert().code(0);
    let v = stdout_json(&a);
    assert_eq!(v["streams"].as_array().unwrap().len(), 244);
    assert_eq!(v["summary"]["streams"], 244);
    assert_eq!(v["summary"]["configured"], 244);
    assert_eq!(v["summary"]["regex"], 2);
    assert_eq!(v["summary"]["with_problems"], 0);
}

#[test]
fn streams_production_web_ui_actions_samples_sessions_at_0_2() {
    let Some(path) = shared("data/streamconfigs/production-default.json") else { return };
    let a = epc()
        .args(["streams", "mediawiki.web_ui_actions", "--format", "json", "--stream-config"])
        .arg(&path)
        .assert()
        .code(0);
    let v = stdout_json(&a);
    assert_eq!(v["streams"][0]["matched"]["kind"], "exact");
    assert_eq!(v["streams"][0]["stream_config"]["sample"], json!({"unit": "session", "rate": 0.2}));
}

#[test]
fn streams_production_regex_keyed_streams_resolve_matching_names() {
    let Some(path) = shared("data/streamconfigs/production-default.json") else { return };
    let a = epc()
        .args(["streams", "swift.foo.upload-complete", "mediawiki.job.refreshLinks", "--format", "json"])
        .arg("--stream-config")
        .arg(&path)
        .assert()
        .code(0);
    let v = stdout_json(&a);
    let swift = stream_record(&v["streams"], "swift.foo.upload-complete");
    assert_eq!(swift["matched"], json!({"kind": "regex", "key": "/^swift\\.(.+\\.)?upload-complete$/"}));
    let job = stream_record(&v["streams"], "mediawiki.job.refreshLinks");
    assert_eq!(job["matched"], json!({"kind": "regex", "key": "/^mediawiki\\.job\\..+/"}));
}

#[test]
fn streams_empty_stream_config_argument_or_file_is_a_clear_error() {
    let a = epc().args(["streams", "--stream-config", ""]).assert().code(2);
    assert!(
        stderr_text(&a).starts_with("error: --stream-config (or EPC_STREAM_CONFIG) is empty"),
        "{}",
        stderr_text(&a)
    );
    let dir = tempfile::tempdir().unwrap();
    let empty = dir.path().join("empty.json");
    std::fs::write(&empty, "").unwrap();
    let a = epc().args(["streams", "--stream-config"]).arg(&empty).assert().code(2);
    assert!(stderr_text(&a).contains("empty.json: not a stream config: the document is empty"), "{}", stderr_text(&a));
}

// Stream config lint (cases 22 and 23): known event services, producer blocks
// outside `producers`, unknown keys, wrong types. These read ../shared and fail
// when it is absent.

const CASE_22: &str = "cases/22-stream-config-misplaced-producer-block/stream-config.json";
const CASE_23: &str = "cases/23-stream-config-destination-service-typo/stream-config.json";
const CARD: &str = "mediawiki.product_metrics.widget_card_interaction";
const TOGGLE: &str = "mediawiki.product_metrics.widget_toggle";
const FIXED: &str = "mediawiki.product_metrics.widget_card_fixed";
const TYPO: &str = "eventgate-analytics-external.test.event";
const TYPO_OK: &str = "eventgate-analytics-external.test.event_ok";
const EVENTGATE_MISPLACED: &str =
    "at the top level is ignored by EventGate: it takes effect only under `producers.eventgate`";
const MP_MISPLACED: &str =
    "at the top level is ignored by every client: it takes effect only under `producers.metrics_platform_client`";
const TYPO_MESSAGE: &str = "is `eventgate-analyics-external`, not a known event service; \
                            did you mean `eventgate-analytics-external`?";

/// A record's `problems` or `warnings` as (field, message) pairs.
#[track_caller]
fn findings<'a>(record: &'a Value, key: &str) -> Vec<(&'a str, &'a str)> {
    record[key]
        .as_array()
        .unwrap_or_else(|| panic!("no `{key}` list in {record}"))
        .iter()
        .map(|f| (f["field"].as_str().unwrap(), f["message"].as_str().unwrap()))
        .collect()
}

/// `epc streams ARGS --stream-config FILE` where FILE holds `config`.
fn streams_with_config(config: &Value, args: &[&str]) -> (tempfile::TempDir, crate::support::Epc) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("stream-config.json");
    std::fs::write(&path, config.to_string()).unwrap();
    let mut cmd = epc();
    cmd.arg("streams").args(args).arg("--stream-config").arg(&path);
    (dir, cmd)
}

#[test]
fn streams_case_22_top_level_producer_blocks_warn_naming_the_key_and_producers() {
    let path = require_shared(CASE_22);
    let a = epc().args(["streams", "--format", "json", "--stream-config"]).arg(&path).assert().code(0);
    let v = stdout_json(&a);
    let card = stream_record(&v["streams"], CARD);
    assert_eq!(findings(card, "warnings"), [("eventgate", EVENTGATE_MISPLACED)]);
    assert_eq!(findings(card, "problems"), []);
    let toggle = stream_record(&v["streams"], TOGGLE);
    assert_eq!(findings(toggle, "warnings"), [("metrics_platform_client", MP_MISPLACED)]);
    assert_eq!(findings(toggle, "problems"), []);
    let fixed = stream_record(&v["streams"], FIXED);
    assert_eq!(findings(fixed, "warnings"), []);
    assert_eq!(findings(fixed, "problems"), []);
    assert_eq!(v["summary"]["with_warnings"], 2);
    assert_eq!(v["summary"]["with_problems"], 0);
    let stderr = stderr_text(&a);
    let warnings: Vec<&str> = stderr.lines().filter(|l| l.starts_with("warning:")).collect();
    assert_eq!(
        warnings,
        [
            format!("warning: stream `{CARD}`: `eventgate` {EVENTGATE_MISPLACED}"),
            format!("warning: stream `{TOGGLE}`: `metrics_platform_client` {MP_MISPLACED}"),
        ],
        "{stderr}"
    );
}

#[test]
fn streams_case_22_table_marks_and_counts_streams_with_warnings() {
    let path = require_shared(CASE_22);
    let a = epc().args(["streams", "--stream-config"]).arg(&path).assert().code(0);
    let stdout = stdout_text(&a);
    let row = |name: &str| stdout.lines().find(|l| l.starts_with(name)).unwrap_or_else(|| panic!("{stdout}"));
    assert!(row(CARD).ends_with("  1 warning"), "{stdout}");
    assert!(row(TOGGLE).ends_with("  1 warning"), "{stdout}");
    assert!(row(FIXED).ends_with("  -"), "{stdout}");
    assert!(stdout.lines().next().unwrap().ends_with("  config"), "{stdout}");
    let stderr = stderr_text(&a);
    assert!(
        stderr
            .lines()
            .any(|l| l == "3 of 3 streams (0 regex-keyed, 0 sampled, 0 with config problems, 2 with warnings)"),
        "{stderr}"
    );
}

#[test]
fn streams_case_22_named_streams_carry_the_warning_and_the_fixed_one_none() {
    let path = require_shared(CASE_22);
    let a = epc()
        .args(["streams", "--format", "json", "--stream-config"])
        .arg(&path)
        .args([CARD, TOGGLE, FIXED])
        .assert()
        .code(0);
    let v = stdout_json(&a);
    assert_eq!(findings(stream_record(&v["streams"], CARD), "warnings"), [("eventgate", EVENTGATE_MISPLACED)]);
    assert_eq!(findings(stream_record(&v["streams"], TOGGLE), "warnings"), [("metrics_platform_client", MP_MISPLACED)]);
    assert_eq!(findings(stream_record(&v["streams"], FIXED), "warnings"), []);

    // The table of a named stream lists its warnings too.
    let a = epc().args(["streams", "--stream-config"]).arg(&path).arg(CARD).assert().code(0);
    let stdout = stdout_text(&a);
    let warnings: Vec<&str> = stdout.lines().filter_map(|l| l.strip_prefix("(warning)")).map(str::trim_start).collect();
    assert_eq!(warnings, [format!("eventgate: {EVENTGATE_MISPLACED}")], "{stdout}");
}

#[test]
fn streams_case_23_misspelled_destination_event_service_is_a_problem_exit_1() {
    let path = require_shared(CASE_23);
    let a = epc().args(["streams", "--format", "json", "--stream-config"]).arg(&path).assert().code(1);
    let v = stdout_json(&a);
    assert_eq!(findings(stream_record(&v["streams"], TYPO), "problems"), [("destination_event_service", TYPO_MESSAGE)]);
    assert_eq!(findings(stream_record(&v["streams"], TYPO_OK), "problems"), []);
    assert_eq!(findings(stream_record(&v["streams"], TYPO_OK), "warnings"), []);
    assert_eq!(v["summary"]["with_problems"], 1);
    let stderr = stderr_text(&a);
    let expected = format!("warning: config problem: stream `{TYPO}`: `destination_event_service` {TYPO_MESSAGE}");
    assert!(stderr.lines().any(|l| l == expected), "{stderr}");
    assert!(error_lines(&stderr).is_empty(), "{stderr}");

    let a = epc().args(["streams", "--format", "json", "--stream-config"]).arg(&path).arg(TYPO).assert().code(1);
    let v = stdout_json(&a);
    assert_eq!(findings(&v["streams"][0], "problems"), [("destination_event_service", TYPO_MESSAGE)]);
    let a = epc().args(["streams", "--format", "json", "--stream-config"]).arg(&path).arg(TYPO_OK).assert().code(0);
    assert_eq!(findings(&stdout_json(&a)["streams"][0], "problems"), []);
}

#[test]
fn streams_case_23_constraint_lists_only_the_correct_stream_and_notes_the_other() {
    let path = require_shared(CASE_23);
    let a = epc()
        .args(["streams", "--format", "json", "--constraint", "destination_event_service=eventgate-analytics-external"])
        .arg("--stream-config")
        .arg(&path)
        .assert()
        .code(0);
    let v = stdout_json(&a);
    let names: Vec<&str> = v["streams"].as_array().unwrap().iter().map(|r| r["stream"].as_str().unwrap()).collect();
    assert_eq!(names, [TYPO_OK]);
    assert_eq!(v["summary"]["streams"], 1);
    assert_eq!(v["summary"]["configured"], 2);
    let stderr = stderr_text(&a);
    assert_eq!(
        stderr,
        "1 stream left out by --constraint names an unknown destination_event_service; \
         run without --constraint to see it\n"
    );
}

#[test]
fn streams_known_setting_of_the_wrong_type_is_a_problem_naming_both_types() {
    let config = json!({"streams": {"test.canary": {
        "schema_title": "test/event", "destination_event_service": "eventgate-main", "canary_events_enabled": "true",
        "topics": ["eqiad.test.canary", 7],
    }}});
    let (_dir, mut cmd) = streams_with_config(&config, &["--format", "json"]);
    let a = cmd.assert().code(1);
    let v = stdout_json(&a);
    assert_eq!(
        findings(&v["streams"][0], "problems"),
        [
            ("topics", "must be a list of strings, found a number at index 1"),
            ("canary_events_enabled", "must be a boolean, found a string (write `true` without quotes)"),
        ]
    );
    let stderr = stderr_text(&a);
    assert!(
        stderr.lines().any(|l| l
            == "warning: config problem: stream `test.canary`: `canary_events_enabled` must be a boolean, \
                found a string (write `true` without quotes)"),
        "{stderr}"
    );
}

#[test]
fn streams_unknown_setting_key_warns_with_a_did_you_mean_and_exits_0() {
    let config = json!({"streams": {"test.titel": {
        "schema_titel": "test/event", "destination_event_service": "eventgate-main",
        "producers": {"metrics_platform_client": {"provide_value": ["page_id"]}},
    }}});
    let (_dir, mut cmd) = streams_with_config(&config, &["--format", "json"]);
    let a = cmd.assert().code(0);
    let v = stdout_json(&a);
    assert_eq!(
        findings(&v["streams"][0], "warnings"),
        [
            ("schema_titel", "is not a known stream setting; did you mean `schema_title`?"),
            (
                "producers.metrics_platform_client.provide_value",
                "is not a known `metrics_platform_client` setting; \
                 did you mean `producers.metrics_platform_client.provide_values`?"
            ),
        ]
    );
    assert_eq!(findings(&v["streams"][0], "problems"), []);
    assert_eq!(v["summary"]["with_warnings"], 1);
    let stderr = stderr_text(&a);
    assert!(
        stderr.lines().any(|l| l
            == "warning: stream `test.titel`: `schema_titel` is not a known stream setting; did you mean `schema_title`?"),
        "{stderr}"
    );
}

#[test]
fn streams_production_config_has_no_lint_findings() {
    let path = require_shared("data/streamconfigs/production-default.json");
    let a = epc().args(["streams", "--format", "json", "--stream-config"]).arg(&path).assert().code(0);
    let v = stdout_json(&a);
    let records = v["streams"].as_array().unwrap();
    assert_eq!(records.len(), 244);
    for r in records {
        assert_eq!((findings(r, "problems"), findings(r, "warnings")), (vec![], vec![]), "{}", r["stream"]);
    }
    assert_eq!(v["summary"]["with_problems"], 0);
    assert_eq!(v["summary"]["with_warnings"], 0);
    assert_eq!(stderr_text(&a), "");
}

/// A listing longer than one output batch (4,096 rows) is written as it
/// goes and still holds every stream once, in config order, in all three
/// formats, with cc streams and the summary of the whole config.
#[test]
fn streams_listing_longer_than_one_batch_holds_every_stream_in_order() {
    let n = 5000;
    let mut streams = serde_json::Map::new();
    for i in 0..n {
        streams.insert(format!("s{i}"), serde_json::json!({"schema_title": format!("analytics/s{i}")}));
    }
    streams.insert("s7.child".into(), serde_json::json!({"schema_title": "analytics/child"}));
    let config = serde_json::json!({"streams": streams});
    let (_dir, mut cmd) = streams_with_config(&config, &["--format", "json"]);
    let out = cmd.output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    let records = doc["streams"].as_array().unwrap();
    assert_eq!(records.len(), n + 1);
    assert_eq!(records[4999]["stream"], "s4999");
    assert_eq!(records[7]["cc_streams"], serde_json::json!(["s7.child"]));
    assert_eq!(doc["summary"]["streams"], n + 1);

    let (_dir, mut cmd) = streams_with_config(&config, &["--format", "ndjson"]);
    let out = cmd.output().unwrap();
    let lines: Vec<Value> =
        String::from_utf8(out.stdout).unwrap().lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(lines.len(), n + 2);
    assert_eq!(lines[4500]["stream"], "s4500");
    assert_eq!(lines[n + 1]["type"], "summary");

    let (_dir, mut cmd) = streams_with_config(&config, &[]);
    let out = cmd.output().unwrap();
    let table = String::from_utf8(out.stdout).unwrap();
    let names: Vec<&str> = table.lines().skip(1).map(|l| l.split_whitespace().next().unwrap()).collect();
    assert_eq!(names.len(), n + 1);
    assert_eq!((names[0], names[4096], names[n]), ("s0", "s4096", "s7.child"));
    assert!(table.lines().nth(8).unwrap().contains("s7.child"), "{}", table.lines().nth(8).unwrap());
}
