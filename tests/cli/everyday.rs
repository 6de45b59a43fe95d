//! Everyday use (issue 13): errors that name the flag or value with the
//! documented exit code, and output details (colour, grammar, seeds, the
//! streams table's cc column, closed stdout).

use std::process::Stdio;

use serde_json::json;

use crate::support::{epc, error_lines, fixture, path_str, stderr_text, stdout_json, stdout_ndjson, stdout_text};

const REPO: &str = "fixtures/schemas/primary";
const CLICK: &str = "fixtures/events/valid/click.json";

/// The stderr of a run that must exit with `code`, after checking that its
/// only `error:` line is exactly `error`.
#[track_caller]
fn fails_with(cmd: &mut assert_cmd::Command, code: i32, error: &str) -> String {
    let a = cmd.assert().code(code);
    let stderr = stderr_text(&a);
    assert_eq!(error_lines(&stderr), [error], "{stderr}");
    stderr
}

#[test]
fn repo_without_jsonschema_folder_is_not_a_schema_repository() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("README"), "not schemas").unwrap();
    let d = path_str(dir.path());
    let expected =
        format!("error: --repo {d}: not a schema repository (no jsonschema/ folder or .jsonschema-tools.yaml)");
    let stderr = fails_with(epc().args(["validate", "--repo", d]), 2, &expected);
    assert!(stderr.contains("hint: give the repository's top folder, the one holding `jsonschema/`"), "{stderr}");
    fails_with(epc().args(["materialize", "--all", "--repo", d]), 2, &expected);
    // A `.jsonschema-tools.yaml` alone makes a repository (its schemaBasePath decides the base).
    std::fs::create_dir(dir.path().join("schemas")).unwrap();
    std::fs::write(dir.path().join(".jsonschema-tools.yaml"), "schemaBasePath: schemas\n").unwrap();
    let a = epc().args(["validate", "--schema-repo", d, CLICK]).assert();
    assert!(!stderr_text(&a).contains("not a schema repository"), "{}", stderr_text(&a));
}

#[test]
fn missing_repo_folders_name_their_flag_in_every_command() {
    let expected = "error: --schema-repo nosuch: no such folder";
    fails_with(epc().args(["validate", "--repo", "nosuch"]), 2, "error: --repo nosuch: no such folder");
    fails_with(epc().args(["validate", "--schema-repo", "nosuch", CLICK]), 2, expected);
    fails_with(
        epc().args(["send", "--dry-run", "--no-stream-config", "--schema-repo", "nosuch", "--stream", "s", CLICK]),
        2,
        expected,
    );
    fails_with(epc().args(["serve", "--listen", "127.0.0.1:0", "--schema-repo", "nosuch"]), 2, expected);
    fails_with(
        epc().args(["materialize", "--all", "--dry-run", "--repo", REPO, "--schema-repo", "nosuch"]),
        2,
        expected,
    );
    fails_with(
        epc().args(["validate", "--schema-repo", CLICK, CLICK]),
        2,
        &format!("error: --schema-repo {CLICK}: not a folder"),
    );
}

#[test]
fn schema_repo_that_is_not_a_repository_is_refused_not_searched() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("analytics")).unwrap();
    let d = path_str(dir.path());
    let stderr = fails_with(
        epc().args(["validate", "--schema-repo", d, CLICK]),
        2,
        &format!("error: --schema-repo {d}: not a schema repository (no jsonschema/ folder or .jsonschema-tools.yaml)"),
    );
    assert!(!stderr.contains("not found"), "{stderr}");
    // The fixture repository (with jsonschema/) still works.
    epc().args(["validate", "--schema-repo", REPO, CLICK]).assert().code(0);
}

#[test]
fn listen_takes_host_names_and_says_what_is_wrong_otherwise() {
    let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin("epc"))
        .args(["serve", "--listen", "localhost:0", "--schema-repo", REPO])
        .env("NO_COLOR", "1")
        .current_dir(crate::support::root())
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = std::io::BufRead::lines(std::io::BufReader::new(child.stderr.take().unwrap()));
    let listening =
        lines.find_map(|l| l.ok().filter(|l| l.starts_with("epc serve: listening on "))).unwrap_or_default();
    let _ = child.kill();
    let _ = child.wait();
    assert!(listening.starts_with("epc serve: listening on http://127.0.0.1:"), "{listening}");
    assert!(listening.ends_with("/v1/events") && !listening.contains("127.0.0.1:0/"), "{listening}");
    let example = "give HOST:PORT, e.g. 127.0.0.1:8192, localhost:8192 or [::1]:8192";
    for (value, why) in [
        ("localhost", format!("`localhost` has no port; {example}")),
        ("localhost:99999", format!("port `99999` is not a number from 0 to 65535; {example}")),
        (":8201", format!("`:8201` has no host; {example}")),
    ] {
        fails_with(
            epc().args(["serve", "--listen", value]),
            2,
            &format!("error: invalid value '{value}' for '--listen <ADDR>': {why}"),
        );
    }
}

#[test]
fn population_zero_and_seed_without_simulate_are_usage_errors() {
    fails_with(
        epc().args(["sample", "--population", "0", "--id", "abcdef1234"]),
        2,
        "error: invalid value '0' for '--population <N>': population 0 puts nothing in sample \
         (JavaScript's x % 0 is NaN); give N of 1 or more",
    );
    let stderr = fails_with(
        epc().args(["sample", "--rate", "0.5", "--id", "abcdef1234", "--seed", "5"]),
        2,
        "error: --seed is only for --simulate N",
    );
    assert!(stderr.contains("hint: add --simulate N to draw N random identifiers from that seed, or drop --seed"));
}

#[test]
fn profile_typos_get_a_did_you_mean_in_sample_and_send() {
    let message = |typo: &str, near: &str| {
        format!(
            "error: invalid value '{typo}' for '--profile <PROFILE>': profile `{typo}` is not one of canonical, \
             mp-js, mp-java, android, android-tk, ios; did you mean `{near}`?"
        )
    };
    fails_with(
        epc().args(["sample", "--rate", "0.5", "--id", "abcdef1234", "--profile", "mpjs"]),
        2,
        &message("mpjs", "mp-js"),
    );
    fails_with(
        epc().args(["sample", "--rate", "0.5", "--id", "abcdef1234", "--profile", "MP_JAVA"]),
        2,
        &message("MP_JAVA", "mp-java"),
    );
    fails_with(
        epc().args(["sample", "--rate", "0.5", "--id", "abcdef1234", "--profile", "androd"]),
        2,
        &message("androd", "android"),
    );
    fails_with(epc().args(["send", "--dry-run", "--profile", "mpjs", CLICK]), 2, &message("mpjs", "mp-js"));
    // Far from every name: no guess.
    fails_with(
        epc().args(["sample", "--rate", "0.5", "--id", "abcdef1234", "--profile", "firefox"]),
        2,
        "error: invalid value 'firefox' for '--profile <PROFILE>': profile `firefox` is not one of canonical, \
         mp-js, mp-java, android, android-tk, ios",
    );
}

#[test]
fn simulation_seeds_stay_below_two_to_the_53() {
    let max: u64 = (1 << 53) - 1;
    for _ in 0..6 {
        let a = epc().args(["sample", "--rate", "0.5", "--simulate", "10", "--format", "json"]).assert().code(0);
        let seed = stdout_json(&a)["summary"]["seed"].as_u64().expect("a whole seed");
        assert!(seed <= max, "{seed}");
    }
    let a = epc()
        .args(["sample", "--rate", "0.5", "--simulate", "10", "--format", "json", "--seed", &max.to_string()])
        .assert()
        .code(0);
    assert_eq!(stdout_json(&a)["summary"]["seed"], json!(max));
    fails_with(
        epc().args(["sample", "--rate", "0.5", "--simulate", "10", "--seed", "9007199254740992"]),
        2,
        "error: invalid value '9007199254740992' for '--seed <SEED>': seed `9007199254740992` is above 2^53-1 \
         (9007199254740991): JSON readers such as jq would round it, so a reported run could not be repeated",
    );
}

/// Writes `text` as a stream config file in `dir`.
fn config_file(dir: &tempfile::TempDir, text: &str) -> String {
    let path = dir.path().join("streams.json");
    std::fs::write(&path, text).unwrap();
    path_str(&path).to_owned()
}

#[test]
fn a_stream_config_with_no_streams_object_and_no_streams_is_a_finding() {
    let dir = tempfile::tempdir().unwrap();
    let path = config_file(&dir, "{}");
    let a = epc().args(["streams", "--stream-config", &path]).assert().code(1);
    assert_eq!(stdout_text(&a), "");
    assert_eq!(
        stderr_text(&a),
        format!(
            "warning: {path} configures no streams: it has no `streams` object and no stream entries\n\
             hint: give an action=streamconfigs answer (`{{\"streams\": {{…}}}}`) or a map of stream names to their settings\n"
        )
    );
    let a = epc().args(["streams", "--format", "json", "--stream-config", &path]).assert().code(1);
    assert_eq!(stdout_json(&a)["summary"]["configured"], 0);
    // An API answer that no stream matched is a valid answer (case 01): exit 0.
    let path = config_file(&dir, r#"{"streams": {}}"#);
    let a = epc().args(["streams", "--stream-config", &path]).assert().code(0);
    assert_eq!(stderr_text(&a), "0 of 0 streams (0 regex-keyed, 0 sampled, 0 with config problems, 0 with warnings)\n");
}

#[test]
fn an_invalid_sample_is_counted_as_invalid_not_sampled() {
    let dir = tempfile::tempdir().unwrap();
    let path = config_file(
        &dir,
        r#"{"streams": {"bad": {"sample": {"unit": "session", "rate": 5}}, "good": {"sample": {"unit": "session", "rate": 0.5}}}}"#,
    );
    let a = epc().args(["streams", "--format", "json", "--stream-config", &path]).assert().code(1);
    let summary = &stdout_json(&a)["summary"];
    assert_eq!(summary["sampled"], 1, "{summary}");
    assert_eq!(summary["invalid_sample"], 1, "{summary}");
    let a = epc().args(["streams", "--stream-config", &path]).assert().code(1);
    let stderr = stderr_text(&a);
    assert_eq!(
        stderr.lines().last(),
        Some(
            "2 of 2 streams (0 regex-keyed, 1 sampled, 1 with an invalid sample, 1 with config problems, 0 with warnings)"
        ),
        "{stderr}"
    );
}

#[test]
fn the_cc_column_names_the_cc_streams() {
    let a = epc().args(["streams", "--stream-config"]).arg(fixture("streamconfigs.json")).assert();
    let out = stdout_text(&a);
    let row = |name: &str| {
        out.lines().find(|l| l.starts_with(&format!("{name} "))).unwrap_or_else(|| panic!("no row {name}:\n{out}"))
    };
    // Cut after 60 characters, with a count of the rest; the JSON record has them all.
    assert!(
        row("test.widget_click").ends_with("test.widget_click.sampled, test.widget_click.sampled.tiny, … (+1 more)"),
        "{out}"
    );
    assert!(row("test.widget_click.sampled").ends_with("  test.widget_click.sampled.tiny"), "{out}");
    let a =
        epc().args(["streams", "--format", "ndjson", "--stream-config"]).arg(fixture("streamconfigs.json")).assert();
    let records = stdout_ndjson(&a);
    let click = records.iter().find(|r| r["stream"] == "test.widget_click").unwrap();
    assert_eq!(
        click["cc_streams"],
        json!(["test.widget_click.sampled", "test.widget_click.sampled.tiny", "test.widget_click.all"])
    );
}

#[test]
fn explicit_color_always_wins_over_no_color_without_stray_escapes() {
    // The test environment sets NO_COLOR=1.
    let args = ["sample", "--rate", "0.5", "--id", "abcdef1234", "--id", "0000000000"];
    let a = epc().args(["--color", "always"]).args(args).assert().code(0);
    assert_eq!(
        stdout_text(&a),
        "stream  unit     rate  identifier  value               in sample  reason\n\
         -       session  0.5   abcdef1234  0.6711110516151206  \x1b[38;5;9mout        \x1b[39m0.6711110516151206 >= 0.5\n\
         -       session  0.5   0000000000  0                   \x1b[38;5;10min         \x1b[39m0 < 0.5\n"
    );
    let a = epc().args(args).assert().code(0);
    assert!(!stdout_text(&a).contains('\x1b'), "{:?}", stdout_text(&a));
    let a = epc().args(["--color", "always", "sample", "--population", "0", "--id", "abcdef1234"]).assert().code(2);
    assert!(stderr_text(&a).starts_with("error: invalid value"), "clap's own error stays plain: {:?}", stderr_text(&a));
    let a = epc()
        .args(["--color", "always", "sample", "--rate", "0.5", "--id", "abcdef1234", "--seed", "1"])
        .assert()
        .code(2);
    assert!(
        stderr_text(&a).starts_with("\x1b[1;31merror:\x1b[0m --seed is only for --simulate N"),
        "{:?}",
        stderr_text(&a)
    );
}

/// `epc ARGS` with stdout a pipe whose reading end is closed at once: exit code and stderr.
fn closed_stdout(args: &[&str]) -> (Option<i32>, String) {
    let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin("epc"))
        .args(args)
        .env("NO_COLOR", "1")
        .current_dir(crate::support::root())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    let out = child.wait_with_output().unwrap();
    (out.status.code(), String::from_utf8(out.stderr).unwrap())
}

#[test]
fn repository_checks_to_a_closed_stdout_end_the_same_in_junit_as_in_ndjson() {
    let mut seen = Vec::new();
    for format in ["ndjson", "json", "junit"] {
        let (code, stderr) = closed_stdout(&["-q", "validate", "--repo", REPO, "--format", format]);
        assert_eq!(code, Some(2), "{format}: {stderr}");
        seen.push(error_lines(&stderr).join("\n"));
    }
    assert_eq!(seen, ["error: stdout was closed before the whole report was written"; 3]);
}

#[test]
fn summaries_use_the_singular_for_one() {
    let a = epc().args(["validate", "--schema-repo", REPO, CLICK]).assert().code(0);
    let stderr = stderr_text(&a);
    assert!(stderr.lines().any(|l| l.starts_with("1 event: 1 valid, 0 invalid")), "{stderr}");
    let a = epc().args(["validate", "--schema-repo", REPO, CLICK, "no-such-input.json"]).assert().code(2);
    let stderr = stderr_text(&a);
    assert!(
        stderr.lines().any(|l| l.starts_with("1 event: 1 valid") && l.contains("; 1 input unreadable")),
        "{stderr}"
    );
    let a = epc().args(["sample", "--population", "10", "--id", "000f4240"]).assert().code(0);
    assert!(stderr_text(&a).contains("1 in 10: 1 of 1 identifier in-sample"), "{}", stderr_text(&a));
    let a = epc().args(["sample", "--population", "10", "--id", "000f4240", "--id", "000f4241"]).assert().code(0);
    assert!(stderr_text(&a).contains("1 in 10: 1 of 2 identifiers in-sample"), "{}", stderr_text(&a));
}
