//! `epc sample`: decisions by rate and by stream, profiles, the 1-in-N rule,
//! simulation, and input errors.

use serde_json::{Value, json};

use crate::support::{epc, epc_with_fixture, error_lines, fixture, read, stderr_text, stdout_json, stdout_ndjson};

const FIXTURE: &str = "streamconfigs.json";

/// The single decision of `epc sample --rate RATE --id ID [extra]`, after
/// checking the exit code and the summary record.
#[track_caller]
fn decide_at_rate(rate: &str, id: &str, extra: &[&str]) -> Value {
    let a = epc().args(["sample", "--format", "ndjson", "--rate", rate, "--id", id]).args(extra).assert().code(0);
    let records = stdout_ndjson(&a);
    assert_eq!(records.len(), 2, "{records:?}");
    assert_eq!(records[1]["type"], "summary");
    assert_eq!(records[1]["decisions"], 1);
    records[0].clone()
}

#[track_caller]
fn check(decision: &Value, value: f64, in_sample: bool, reason: &str) {
    assert_eq!(decision["type"], "decision");
    assert_eq!(decision["value"].as_f64(), Some(value), "{decision}");
    assert_eq!(decision["in_sample"], in_sample, "{decision}");
    assert_eq!(decision["reason"], reason, "{decision}");
}

#[test]
fn sample_value_equal_to_the_rate_is_out_of_sample() {
    let d = decide_at_rate("0.2", "33333333333333333333", &[]);
    check(&d, 0.2, false, "compared");
    assert_eq!(d["profile"], "canonical");
    assert_eq!(d["rate"], json!(0.2));
    assert_eq!(d["unit"], "session");
    assert_eq!(d["stream"], Value::Null);
    assert_eq!(d["reason_detail"], "0.2 >= 0.2");
}

#[test]
fn sample_identifiers_either_side_of_one_half() {
    check(&decide_at_rate("0.5", "7fffffff000000000000", &[]), 0.499_999_999_883_584_7, true, "compared");
    check(&decide_at_rate("0.5", "80000000000000000000", &[]), 0.500_000_000_116_415_3, false, "compared");
}

#[test]
fn sample_rate_one_is_always_in_canonically_but_compared_by_mp_js() {
    let id = "ffffffff-ffff-ffff-ffff-ffffffffffff";
    let canonical = decide_at_rate("1", id, &[]);
    check(&canonical, 1.0, true, "rate_one");
    assert_eq!(canonical["profile"], "canonical");
    let mp_js = decide_at_rate("1", id, &["--profile", "mp-js"]);
    check(&mp_js, 1.0, false, "compared");
    assert_eq!(mp_js["profile"], "mp-js");
}

#[test]
fn sample_rate_zero_is_always_out() {
    check(&decide_at_rate("0", "00000000000000000000", &[]), 0.0, false, "rate_zero");
}

#[test]
fn sample_all_profiles_marks_where_they_disagree() {
    let a = epc()
        .args(["sample", "--rate", "1", "--id", "ffffffff-ffff-ffff-ffff-ffffffffffff", "--all-profiles"])
        .args(["--format", "json"])
        .assert()
        .code(0);
    let v = stdout_json(&a);
    let rows = v["results"].as_array().unwrap();
    let profiles: Vec<&str> = rows.iter().map(|r| r["profile"].as_str().unwrap()).collect();
    assert_eq!(profiles, ["canonical", "mp-js", "mp-java", "android", "android-tk", "ios"]);
    assert!(rows.iter().all(|r| r["profiles_agree"] == false), "{rows:?}");
    let differing: Vec<&str> =
        rows.iter().filter(|r| r["differs_from_canonical"] == true).map(|r| r["profile"].as_str().unwrap()).collect();
    // MP-JS and iOS compare at rate 1, and 0xffffffff / (2^32 - 1) is exactly 1.
    assert_eq!(differing, ["mp-js", "ios"]);
    assert_eq!(v["summary"], json!({"identifiers": 1, "decisions": 6, "in_sample": 4}));
}

#[test]
fn sample_all_profiles_show_mp_java_losing_events_of_a_unit_keyed_sample_block() {
    // MP-Java binds `sample.identifier`, never `unit` (epc-spec.md §2), so the
    // production `{unit, rate}` block of a Metrics Platform stream with
    // 0 < rate < 1 throws there and the event is lost.
    let a = epc_with_fixture(
        FIXTURE,
        &["sample", "--stream", "test.widget_click", "--no-cc", "--id", "00000000000000000ddd", "--all-profiles"],
    )
    .args(["--format", "ndjson"])
    .assert()
    .code(0);
    let records = stdout_ndjson(&a);
    let decisions: Vec<&Value> = records.iter().filter(|r| r["type"] == "decision").collect();
    assert_eq!(decisions.len(), 6);
    assert!(decisions.iter().all(|d| d["profiles_agree"] == false), "{decisions:?}");
    let outliers: Vec<(&str, &str)> = decisions
        .iter()
        .filter(|d| d["differs_from_canonical"] == true)
        .map(|d| (d["profile"].as_str().unwrap(), d["reason"].as_str().unwrap()))
        .collect();
    assert_eq!(outliers, [("mp-java", "client_exception")]);
    assert_eq!(records.last().unwrap()["in_sample"], 5);
}

#[test]
fn sample_rate_mode_configures_each_client_in_its_own_form() {
    // With --rate, every client reads the rate: MP-Java via `identifier`, iOS via `sampling`.
    let a = epc()
        .args(["sample", "--rate", "0.5", "--unit", "session", "--id", "80000000000000000000", "--all-profiles"])
        .args(["--format", "json"])
        .assert()
        .code(0);
    let v = stdout_json(&a);
    let rows = v["results"].as_array().unwrap();
    assert_eq!(rows.len(), 6);
    for r in rows {
        assert_eq!((r["in_sample"].as_bool(), r["reason"].as_str()), (Some(false), Some("compared")), "{r}");
        assert_eq!(r["rate"], 0.5);
        assert_eq!(r["unit"], "session");
    }
}

#[test]
fn sample_stream_decides_the_stream_and_each_cc_stream() {
    let a = epc_with_fixture(
        FIXTURE,
        &["sample", "--stream", "test.widget_click", "--id", "33333333333333333333", "--format", "json"],
    )
    .assert()
    .code(0);
    let v = stdout_json(&a);
    let rows: Vec<Value> = v["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| json!([r["stream"], r["cc_stream"], r["unit"], r["rate"], r["in_sample"], r["reason"]]))
        .collect();
    assert_eq!(
        rows,
        [
            json!(["test.widget_click", false, "session", 0.2, false, "compared"]),
            json!(["test.widget_click.sampled", true, "pageview", 0.5, true, "compared"]),
            json!(["test.widget_click.sampled.tiny", true, "session", 0.01, false, "compared"]),
            json!(["test.widget_click.all", true, null, null, true, "no_sample_config"]),
        ]
    );
    assert!(v["results"].as_array().unwrap().iter().all(|r| r["value"].as_f64() == Some(0.2)));
    assert_eq!(v["summary"], json!({"identifiers": 1, "decisions": 4, "in_sample": 2}));
    // The documented key order survives dropping `type` (regression: swap-remove).
    let keys: Vec<&String> = v["results"][0].as_object().unwrap().keys().collect();
    assert_eq!(
        keys,
        [
            "stream",
            "cc_stream",
            "unit",
            "rate",
            "identifier",
            "value",
            "in_sample",
            "reason",
            "reason_detail",
            "profile"
        ]
    );
}

#[test]
fn sample_stream_with_no_cc_decides_only_the_stream() {
    let a = epc_with_fixture(
        FIXTURE,
        &["sample", "--stream", "test.widget_click", "--no-cc", "--id", "33333333333333333333", "--format", "json"],
    )
    .assert()
    .code(0);
    let v = stdout_json(&a);
    assert_eq!(v["results"].as_array().unwrap().len(), 1);
    assert_eq!(v["results"][0]["stream"], "test.widget_click");
}

#[test]
fn sample_unconfigured_parent_is_out_but_its_cc_streams_are_decided() {
    let a = epc_with_fixture(FIXTURE, &["sample", "--stream", "web", "--id", "00000000", "--format", "json"])
        .assert()
        .code(0);
    let v = stdout_json(&a);
    let rows: Vec<Value> = v["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| json!([r["stream"], r["cc_stream"], r["in_sample"], r["reason"]]))
        .collect();
    assert_eq!(
        rows,
        [json!(["web", false, false, "not_configured"]), json!(["web.page_view", true, true, "compared"])]
    );
    assert!(stderr_text(&a).contains("warning: stream `web` is not configured"), "{}", stderr_text(&a));
}

#[test]
fn sample_ids_file_decides_every_listed_identifier() {
    let a = epc().args(["sample", "--rate", "0.5", "--ids", "fixtures/ids.txt", "--format", "json"]).assert().code(0);
    let v = stdout_json(&a);
    let rows: Vec<(&str, bool)> = v["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| (r["identifier"].as_str().unwrap(), r["in_sample"].as_bool().unwrap()))
        .collect();
    assert_eq!(
        rows,
        [
            ("00000000000000000ddd", true),
            ("33333333333333333333", true),
            ("7fffffff000000000000", true),
            ("80000000000000000000", false),
            ("eeeeeeeeeeeeeeeeeeee", false),
            ("ffffffff-ffff-ffff-ffff-ffffffffffff", false),
            ("00C0FFEE-1234-4ABC-8DEF-0123456789AB", true),
        ]
    );
    assert_eq!(v["summary"], json!({"identifiers": 7, "decisions": 7, "in_sample": 4}));
}

#[test]
fn sample_ids_file_with_a_stream_counts_a_decision_per_identifier_and_stream() {
    let a = epc_with_fixture(
        FIXTURE,
        &["sample", "--stream", "test.widget_click", "--ids", "fixtures/ids.txt", "--format", "json"],
    )
    .assert()
    .code(0);
    let v = stdout_json(&a);
    assert_eq!(v["summary"]["identifiers"], 7);
    assert_eq!(v["summary"]["decisions"], 28);
}

#[test]
fn sample_ids_from_stdin() {
    let a = epc()
        .args(["sample", "--rate", "0.5", "--ids", "-", "--format", "json"])
        .write_stdin(read(&fixture("ids.txt")))
        .assert()
        .code(0);
    assert_eq!(stdout_json(&a)["summary"]["decisions"], 7);
}

#[test]
fn sample_population_applies_the_legacy_one_in_n_rule_to_the_prefix() {
    let a = epc()
        .args(["sample", "--population", "10", "--id", "000f4240", "--id", "000f4241", "--format", "json"])
        .assert()
        .code(0);
    let v = stdout_json(&a);
    let rows = v["results"].as_array().unwrap();
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[0]["prefix"], 1_000_000);
    assert_eq!(rows[0]["population"], 10);
    assert_eq!(rows[0]["in_sample"], true);
    assert_eq!(rows[0]["reason"], "one_in_n");
    assert_eq!(rows[0]["profile"], "legacy-1-in-n");
    assert_eq!(rows[0]["rate"], json!(0.1));
    assert_eq!(rows[1]["prefix"], 1_000_001);
    assert_eq!(rows[1]["in_sample"], false);
    assert_eq!(v["summary"], json!({"identifiers": 2, "decisions": 2, "in_sample": 1}));
}

#[test]
fn sample_simulation_with_a_seed_is_reproducible_and_within_its_interval() {
    let run = || {
        let a = epc()
            .args(["sample", "--simulate", "100000", "--seed", "7", "--rate", "0.5", "--format", "json"])
            .assert()
            .code(0);
        let stderr = stderr_text(&a);
        assert!(stderr.contains("with seed 7"), "{stderr}");
        stdout_json(&a)
    };
    let first = run();
    let r = &first["results"][0];
    assert_eq!(r["draws"], 100_000);
    assert_eq!(r["seed"], 7);
    assert_eq!(r["expected"], json!(0.5));
    assert_eq!(r["expected_within_ci"], true);
    let (low, high) = (r["ci_low"].as_f64().unwrap(), r["ci_high"].as_f64().unwrap());
    assert!(low < 0.5 && 0.5 < high && high - low < 0.01, "{r}");
    let fraction = r["fraction"].as_f64().unwrap();
    assert!((low..=high).contains(&fraction), "{r}");
    assert_eq!(first["summary"]["draws"], 100_000);

    let second = run();
    assert_eq!(second["results"][0]["in_sample"], first["results"][0]["in_sample"]);
    assert_eq!(second, first);
}

#[test]
fn sample_non_hex_identifier_exits_2_naming_it() {
    let a = epc().args(["sample", "--rate", "0.5", "--id", "0aac0zzz76c1"]).assert().code(2);
    let stderr = stderr_text(&a);
    let errors = error_lines(&stderr);
    assert_eq!(errors.len(), 1, "{stderr}");
    assert!(errors[0].contains("`0aac0zzz76c1`") && errors[0].contains("not hexadecimal"), "{stderr}");
    assert!(a.get_output().stdout.is_empty());
}

#[test]
fn sample_short_identifier_exits_2() {
    let a = epc().args(["sample", "--rate", "0.5", "--id", "abc"]).assert().code(2);
    let stderr = stderr_text(&a);
    assert!(stderr.contains("identifier `abc` is too short"), "{stderr}");
}

#[test]
fn sample_bad_identifier_in_ids_file_names_file_and_line() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("ids.txt");
    std::fs::write(&path, "# comment\n00000000\n\nnot-an-id\n").unwrap();
    let a = epc().args(["sample", "--rate", "0.5", "--ids"]).arg(&path).assert().code(2);
    let stderr = stderr_text(&a);
    assert!(stderr.contains(&format!("{}:4:", path.display())) && stderr.contains("`not-an-id`"), "{stderr}");
}

#[test]
fn sample_rate_above_one_is_a_usage_error() {
    let a = epc().args(["sample", "--rate", "1.5", "--id", "00000000"]).assert().code(2);
    assert!(stderr_text(&a).contains("rate `1.5` is not a number between 0 and 1"), "{}", stderr_text(&a));
}

#[test]
fn sample_unknown_profile_is_a_usage_error_listing_the_profiles() {
    let a = epc().args(["sample", "--rate", "0.5", "--id", "00000000", "--profile", "nope"]).assert().code(2);
    let stderr = stderr_text(&a);
    assert!(stderr.contains("profile `nope` is not one of canonical, mp-js"), "{stderr}");
}

#[test]
fn sample_without_identifiers_exits_2_with_a_hint() {
    let a = epc().args(["sample", "--rate", "0.5"]).assert().code(2);
    let stderr = stderr_text(&a);
    assert_eq!(error_lines(&stderr), ["error: no identifiers to decide"], "{stderr}");
    assert!(stderr.contains("hint: pass --id ID"), "{stderr}");
}

#[test]
fn sample_unknown_stream_exits_2_with_a_did_you_mean_hint() {
    let a =
        epc_with_fixture(FIXTURE, &["sample", "--stream", "test.widgte_click", "--id", "00000000"]).assert().code(2);
    let stderr = stderr_text(&a);
    let errors = error_lines(&stderr);
    assert_eq!(errors.len(), 1, "{stderr}");
    assert!(errors[0].contains("`test.widgte_click`"), "{stderr}");
    assert!(stderr.lines().any(|l| l == "hint: did you mean `test.widget_click`?"), "{stderr}");
}

#[test]
fn sample_invalid_sample_config_is_out_of_sample_and_exits_1() {
    let a = epc_with_fixture(
        "streamconfigs-invalid.json",
        &["sample", "--stream", "test.bad_unit", "--id", "00000000", "--format", "json"],
    )
    .assert()
    .code(1);
    let v = stdout_json(&a);
    let r = &v["results"][0];
    assert_eq!(r["stream"], "test.bad_unit");
    assert_eq!(r["in_sample"], false);
    assert_eq!(r["reason"], "invalid_config");
    assert!(r["reason_detail"].as_str().unwrap().contains("`sample.unit`"), "{r}");
    assert!(stderr_text(&a).contains("config problem: stream `test.bad_unit`: `sample.unit`"));
}

#[test]
fn sample_negative_zero_rate_is_rate_zero_and_prints_as_zero() {
    let d = decide_at_rate("-0", "00000000000000000000", &[]);
    assert_eq!(d["rate"].as_f64().map(f64::is_sign_negative), Some(false), "{d}");
    check(&d, 0.0, false, "rate_zero");
}

#[test]
fn sample_negative_rate_is_rejected_by_the_rate_check() {
    let a = epc().args(["sample", "--rate", "-0.1", "--id", "00000000"]).assert().code(2);
    assert!(stderr_text(&a).contains("rate `-0.1` is not a number between 0 and 1"), "{}", stderr_text(&a));
}

#[test]
fn sample_flags_that_would_be_ignored_are_usage_errors() {
    for args in [
        &["sample", "--rate", "0.5", "--simulate", "10", "--id", "00000000"][..],
        &["sample", "--stream", "test.widget_click", "--unit", "device", "--id", "00000000"],
        &["sample", "--population", "10", "--profile", "mp-js", "--id", "00000000"],
        &["sample", "--rate", "0.5", "--simulate", "0"],
    ] {
        epc_with_fixture(FIXTURE, args).assert().code(2);
    }
}

#[test]
fn sample_stream_config_and_ids_cannot_both_come_from_stdin() {
    let a = epc()
        .args(["sample", "--stream-config", "-", "--stream", "test.widget_click", "--ids", "-"])
        .write_stdin("00000000\n")
        .assert()
        .code(2);
    assert!(stderr_text(&a).contains("cannot both read standard input"), "{}", stderr_text(&a));
}

#[test]
fn sample_simulation_that_matches_exactly_is_within_its_interval() {
    // Rate 0 draws nothing in; an unsampled stream draws everything in: both exact.
    for (args, fraction) in [
        (&["sample", "--rate", "0", "--simulate", "1000", "--seed", "1"][..], 0.0),
        (&["sample", "--stream", "test.widget_click.all", "--no-cc", "--simulate", "10", "--seed", "1"], 1.0),
    ] {
        let a = epc_with_fixture(FIXTURE, args).args(["--format", "ndjson"]).assert().code(0);
        let sim = &stdout_ndjson(&a)[0];
        assert_eq!(
            (sim["fraction"].as_f64(), sim["expected_within_ci"].as_bool()),
            (Some(fraction), Some(true)),
            "{sim}"
        );
    }
}
