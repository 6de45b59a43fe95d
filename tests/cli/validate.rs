//! `epc validate`: events checked against schema repositories, as EventGate
//! does. First the project's fixtures (`fixtures/schemas/primary`,
//! `fixtures/events/`), then the cases in `../shared/cases/` (03, 08, 09, 12,
//! 13, 14, 15) and the real schema repositories in `../shared/data/schemas/`,
//! which skip with a notice when `../shared` is absent.

use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::path::Path;

use assert_cmd::assert::Assert;
use serde_json::{Value, json};

use crate::support::{
    Epc, epc, epc_process, error_lines, fixture, read, shared, stderr_text, stdout_json, stdout_ndjson, stdout_text,
    wait_child,
};

/// The fixture schema repository (`test/event` 1.0.0 and 1.1.0, `fragment/common` 1.0.0).
const REPO: &str = "fixtures/schemas/primary";

/// `epc validate ARGS…` run from the crate root.
fn validate(args: &[&str]) -> Epc {
    let mut cmd = epc();
    cmd.arg("validate").args(args);
    cmd
}

/// `epc validate --schema-repo fixtures/schemas/primary --format ndjson ARGS…`.
fn validate_fixtures(args: &[&str]) -> Epc {
    let mut cmd = validate(&["--schema-repo", REPO, "--format", "ndjson"]);
    cmd.args(args);
    cmd
}

/// The `result` (and `input_error`) records of NDJSON output, and the final summary.
#[track_caller]
fn records(assert: &Assert) -> (Vec<Value>, Value) {
    let mut all = stdout_ndjson(assert);
    let summary = all.pop().expect("at least the summary record");
    assert_eq!(summary["type"], "summary", "the last record is the summary: {summary}");
    assert!(all.iter().all(|r| r["type"] != "summary"), "one summary, at the end");
    (all, summary)
}

/// The `source` of each record, in output order.
fn sources(records: &[Value]) -> Vec<&str> {
    records.iter().map(|r| r["source"].as_str().expect("a source")).collect()
}

/// The record for `source`.
#[track_caller]
fn record_for<'a>(records: &'a [Value], source: &str) -> &'a Value {
    records.iter().find(|r| r["source"] == source).unwrap_or_else(|| panic!("no record for `{source}` in {records:?}"))
}

/// `(instance_path, keyword)` of each error of a result record.
#[track_caller]
fn errors(record: &Value) -> Vec<(&str, &str)> {
    record["errors"]
        .as_array()
        .unwrap_or_else(|| panic!("no errors list in {record}"))
        .iter()
        .map(|e| (e["instance_path"].as_str().unwrap(), e["keyword"].as_str().unwrap()))
        .collect()
}

/// The messages of a result record's errors, joined.
fn messages(record: &Value) -> String {
    record["errors"].as_array().map_or_else(String::new, |errors| {
        errors.iter().map(|e| e["message"].as_str().unwrap_or_default()).collect::<Vec<_>>().join("\n")
    })
}

/// Asserts a record's shape and outcome: `valid` agrees with `outcome`, a valid
/// event has no errors, and every error has the four fields as strings.
#[track_caller]
fn assert_outcome(record: &Value, outcome: &str) {
    assert_eq!(record["type"], "result", "{record}");
    assert_eq!(record["outcome"], outcome, "{record}");
    assert_eq!(record["valid"], outcome == "valid", "{record}");
    let errors = record["errors"].as_array().unwrap_or_else(|| panic!("no errors list in {record}"));
    assert_eq!(errors.is_empty(), outcome == "valid", "{record}");
    for e in errors {
        for field in ["instance_path", "schema_path", "keyword", "message"] {
            assert!(e[field].is_string(), "error without a string `{field}`: {e}");
        }
    }
}

/// The summary as `(events, valid, invalid, unresolved, malformed, input_errors)`.
fn counts(summary: &Value) -> [u64; 6] {
    ["events", "valid", "invalid", "unresolved", "malformed", "input_errors"]
        .map(|k| summary[k].as_u64().unwrap_or_else(|| panic!("summary without `{k}`: {summary}")))
}

/// Every `.json` file name of a case's `events/` folder, sorted.
fn event_files(dir: &Path) -> BTreeSet<String> {
    std::fs::read_dir(dir.join("events"))
        .expect("the case has an events/ folder")
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|n| n.ends_with(".json"))
        .collect()
}

// The project's fixtures.

#[test]
fn valid_events_exit_0_with_one_result_per_event_including_array_items_by_index() {
    let a = validate_fixtures(&[
        "fixtures/events/valid/click.json",
        "fixtures/events/valid/two-events.json",
        "fixtures/events/valid/toggle.yaml",
    ])
    .assert()
    .code(0);
    let (results, summary) = records(&a);
    assert_eq!(
        sources(&results),
        [
            "fixtures/events/valid/click.json",
            "fixtures/events/valid/two-events.json[0]",
            "fixtures/events/valid/two-events.json[1]",
            "fixtures/events/valid/toggle.yaml",
        ]
    );
    for r in &results {
        assert_outcome(r, "valid");
        assert_eq!(r["stream"], "test.event");
        assert_eq!(r["errors"], json!([]));
    }
    // `schema_uri` is the event's `$schema` as written (`latest` is a symlink to 1.1.0.yaml).
    let uris: Vec<&str> = results.iter().map(|r| r["schema_uri"].as_str().unwrap()).collect();
    assert_eq!(uris, ["/test/event/1.0.0", "/test/event/1.1.0", "/test/event/latest", "/test/event/1.1.0"]);
    assert_eq!(counts(&summary), [4, 4, 0, 0, 0, 0]);
}

#[test]
fn each_invalid_fixture_exits_1_naming_the_instance_path_and_keyword() {
    // file, outcome, the one error's instance path and keyword, words of its message.
    let expected: [(&str, &str, &str, &str, &[&str]); 5] = [
        ("missing-meta-stream.json", "invalid", "/meta", "required", &["\"stream\" is a required property"]),
        ("wrong-type.json", "invalid", "/count", "type", &["\"3\"", "integer"]),
        ("bad-dt.json", "invalid", "/dt", "format", &["2024-05-01T10:00:00+0000", "date-time"]),
        ("unknown-schema.json", "unresolved", "/$schema", "$schema", &["/test/no_such_event/1.0.0", "not found"]),
        ("duplicate-key.json", "malformed", "", "json", &["duplicate key `count`", "/count", "duplicate-key.json:1:"]),
    ];
    let listed: BTreeSet<String> = std::fs::read_dir(fixture("events/invalid"))
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    assert_eq!(listed, expected.iter().map(|e| e.0.to_owned()).collect(), "every invalid fixture is checked");
    for (file, outcome, path, keyword, words) in expected {
        let source = format!("fixtures/events/invalid/{file}");
        let a = validate_fixtures(&[&source]).assert().code(1);
        let (results, summary) = records(&a);
        assert_eq!(results.len(), 1, "{file}");
        let r = &results[0];
        assert_eq!(r["source"], source.as_str());
        assert_outcome(r, outcome);
        assert_eq!(errors(r), [(path, keyword)], "{file}: {r}");
        let message = messages(r);
        for word in words {
            assert!(message.contains(word), "{file}: `{word}` not in {message}");
        }
        let c = counts(&summary);
        assert_eq!(c[0], 1);
        assert_eq!(c[1], 0, "{file}: not valid");
    }
}

#[test]
fn the_invalid_fixtures_are_counted_by_outcome_in_the_summary() {
    let a = validate_fixtures(&["fixtures/events/invalid/bad-dt.json", "fixtures/events/invalid/duplicate-key.json"])
        .args(["fixtures/events/invalid/missing-meta-stream.json", "fixtures/events/invalid/unknown-schema.json"])
        .arg("fixtures/events/invalid/wrong-type.json")
        .assert()
        .code(1);
    let (results, summary) = records(&a);
    assert_eq!(results.len(), 5);
    assert_eq!(counts(&summary), [5, 0, 3, 1, 1, 0]);
}

#[test]
fn ndjson_events_are_reported_by_file_and_line_skipping_blank_lines() {
    let a = validate_fixtures(&["fixtures/events/batch.ndjson"]).assert().code(1);
    let (results, summary) = records(&a);
    let expected = [
        (1, "valid", None),
        (2, "invalid", Some(("/label", "maxLength"))),
        // Line 3 is blank: skipped, not an event.
        (4, "malformed", Some(("", "json"))),
        (5, "valid", None),
        (6, "unresolved", Some(("", "$schema"))),
        (7, "invalid", Some(("/count", "minimum"))),
    ];
    assert_eq!(results.len(), expected.len(), "{results:?}");
    for (r, (line, outcome, error)) in results.iter().zip(expected) {
        assert_eq!(r["source"], format!("fixtures/events/batch.ndjson:{line}"));
        assert_outcome(r, outcome);
        assert_eq!(errors(r), error.into_iter().collect::<Vec<_>>(), "{r}");
    }
    // The malformed line's message says where in the file the JSON breaks.
    let malformed = record_for(&results, "fixtures/events/batch.ndjson:4");
    assert!(messages(malformed).starts_with("fixtures/events/batch.ndjson:4:73: EOF while parsing"), "{malformed}");
    assert_eq!(malformed["schema_uri"], Value::Null);
    assert_eq!(record_for(&results, "fixtures/events/batch.ndjson:5")["schema_uri"], "/test/event/latest");
    assert_eq!(counts(&summary), [6, 2, 2, 1, 1, 0]);
}

#[test]
fn jobs_1_and_jobs_2_print_identical_output_in_input_order() {
    // More events than one chunk of work (4096), so that both threads get some.
    let dir = tempfile::tempdir().unwrap();
    let big = dir.path().join("big.ndjson");
    let mut text = String::new();
    for i in 0..5000 {
        match i % 4 {
            0 => writeln!(text, r#"{{"$schema":"/test/event/1.0.0","meta":{{"stream":"test.event"}},"dt":"2024-05-01T10:00:00Z","action":"a{i}","count":{i}}}"#),
            1 => writeln!(text, r#"{{"$schema":"/test/event/1.1.0","meta":{{"stream":"test.event"}},"dt":"2024-05-01T10:00:00Z","action":"b{i}","label":"ok"}}"#),
            2 => writeln!(text, r#"{{"$schema":"/test/event/1.0.0","meta":{{}},"dt":"x{i}","action":"c"}}"#),
            _ => writeln!(text, r#"{{"$schema":"/test/event/1.0.0","oops{i}"#),
        }
        .unwrap();
    }
    std::fs::write(&big, text).unwrap();
    let big = big.to_str().unwrap();
    let inputs = ["fixtures/events/valid/two-events.json", big, "fixtures/events/batch.ndjson"];
    let run = |jobs: &str| {
        let a = validate_fixtures(&["--jobs", jobs]).args(inputs).assert().code(1);
        a.get_output().stdout.clone()
    };
    let one = run("1");
    let two = run("2");
    assert!(one == two, "--jobs 1 and --jobs 2 differ");
    let a = validate_fixtures(&["--jobs", "2"]).args(inputs).assert().code(1);
    let (results, summary) = records(&a);
    let mut expected: Vec<String> =
        vec!["fixtures/events/valid/two-events.json[0]".into(), "fixtures/events/valid/two-events.json[1]".into()];
    expected.extend((1..=5000).map(|line| format!("{big}:{line}")));
    expected.extend([1, 2, 4, 5, 6, 7].map(|line| format!("fixtures/events/batch.ndjson:{line}")));
    assert_eq!(sources(&results), expected);
    // 1-based line `n` of big.ndjson (after the two array events).
    let line = |n: usize| &results[1 + n];
    for n in [1, 2, 4997, 4998] {
        assert_outcome(line(n), "valid");
    }
    for n in [3, 4999] {
        assert_outcome(line(n), "invalid");
        let mut e = errors(line(n));
        e.sort_unstable();
        assert_eq!(e, [("/dt", "format"), ("/meta", "required")]);
    }
    for n in [4, 5000] {
        assert_outcome(line(n), "malformed");
    }
    assert_eq!(counts(&summary)[0], 2 + 5000 + 6);
}

#[test]
fn stdin_is_read_when_there_is_no_input_or_a_dash() {
    let batch = read(&fixture("events/batch.ndjson"));
    for args in [&[][..], &["-"][..]] {
        let a = validate_fixtures(args).write_stdin(batch.clone()).assert().code(1);
        let (results, summary) = records(&a);
        assert_eq!(sources(&results), ["<stdin>:1", "<stdin>:2", "<stdin>:4", "<stdin>:5", "<stdin>:6", "<stdin>:7"]);
        assert_eq!(counts(&summary), [6, 2, 2, 1, 1, 0]);
    }
    // One JSON document on stdin is one event, reported as `<stdin>`.
    let a = validate_fixtures(&["-"]).write_stdin(read(&fixture("events/valid/click.json"))).assert().code(0);
    let (results, _) = records(&a);
    assert_eq!(sources(&results), ["<stdin>"]);
    assert_outcome(&results[0], "valid");
}

#[test]
fn junit_has_one_testcase_per_event_and_a_failure_per_bad_event() {
    let a = validate(&["--schema-repo", REPO, "--format", "junit"])
        .args(["fixtures/events/valid/two-events.json", "fixtures/events/invalid/wrong-type.json"])
        .arg("fixtures/events/batch.ndjson")
        .assert()
        .code(1);
    let xml = stdout_text(&a);
    assert!(xml.starts_with("<?xml"), "{xml}");
    assert_eq!(xml.matches("<testcase").count(), 2 + 1 + 6, "{xml}");
    assert_eq!(xml.matches("<failure").count(), 1 + 4, "{xml}");
    assert_eq!(xml.matches("<testsuite ").count(), 3, "one suite per input: {xml}");
    assert!(xml.contains(r#"<testsuites name="epc validate" tests="9" failures="5" errors="0">"#), "{xml}");
    for name in [
        "fixtures/events/valid/two-events.json[1]",
        "fixtures/events/invalid/wrong-type.json",
        "fixtures/events/batch.ndjson:7",
    ] {
        assert!(xml.contains(&format!(r#"<testcase name="{name}""#)), "{name} in {xml}");
    }
    assert!(xml.contains(r#"classname="/test/event/1.0.0""#), "{xml}");
    assert!(xml.contains("/count: "), "failure messages carry the instance path: {xml}");
    assert!(xml.contains(r#"type="malformed""#) && xml.contains(r#"type="unresolved""#), "{xml}");
}

// The table streams: rows as they are decided, only what is not valid by default.

/// A valid fixture event and an invalid one (`count` below its minimum), one line each.
const VALID_LINE: &str = r#"{"$schema": "/test/event/1.0.0", "meta": {"stream": "test.event"}, "dt": "2024-05-01T10:00:00Z", "action": "click"}"#;
const INVALID_LINE: &str = r#"{"$schema": "/test/event/1.0.0", "meta": {"stream": "test.event"}, "dt": "2024-05-01T10:00:05Z", "action": "click", "count": -1}"#;

/// The first column of each table row (the header's `source` first);
/// continuation lines of a multi-line cell start with a space and are passed over.
fn table_sources(text: &str) -> Vec<&str> {
    text.lines().filter(|l| !l.starts_with(' ') && !l.is_empty()).filter_map(|l| l.split_whitespace().next()).collect()
}

#[test]
fn the_table_lists_the_events_that_are_not_valid_and_show_valid_lists_every_event() {
    const BATCH: &str = "fixtures/events/batch.ndjson";
    const CLICK: &str = "fixtures/events/valid/click.json";
    let a = validate(&["--schema-repo", REPO, BATCH, CLICK]).assert().code(1);
    let b = |n: u32| format!("{BATCH}:{n}");
    assert_eq!(table_sources(&stdout_text(&a)), ["source", &b(2), &b(4), &b(6), &b(7)], "{}", stdout_text(&a));
    let note =
        "7 events: 3 valid, 2 invalid, 1 unresolved, 1 malformed (3 valid not listed: --show-valid lists every event)";
    assert!(stderr_text(&a).contains(note), "{}", stderr_text(&a));

    let a = validate(&["--schema-repo", REPO, "--show-valid", BATCH, CLICK]).assert().code(1);
    assert_eq!(
        table_sources(&stdout_text(&a)),
        ["source", &b(1), &b(2), &b(4), &b(5), &b(6), &b(7), CLICK],
        "{}",
        stdout_text(&a)
    );
    assert!(
        stderr_text(&a).contains("7 events: 3 valid, 2 invalid, 1 unresolved, 1 malformed\n"),
        "{}",
        stderr_text(&a)
    );

    // Nothing to list: no table at all, exit 0, and the summary on stderr.
    let a = validate(&["--schema-repo", REPO, "fixtures/events/valid"]).assert().code(0);
    assert_eq!(stdout_text(&a), "");
    assert!(stderr_text(&a).contains("4 events: 4 valid,"), "{}", stderr_text(&a));

    // The machine formats list every event, whatever --show-valid says.
    for show in [&[][..], &["--show-valid"][..]] {
        let a = validate_fixtures(show).args([BATCH, CLICK]).assert().code(1);
        assert_eq!(records(&a).0.len(), 7);
        let a =
            validate(&["--schema-repo", REPO, "--format", "junit"]).args(show).args([BATCH, CLICK]).assert().code(1);
        assert_eq!(stdout_text(&a).matches("<testcase").count(), 7);
    }
}

/// Reads stdout lines on a thread: `next` waits for one (at most 60 s, a
/// guard against a hang, not a timing check).
struct Lines(std::sync::mpsc::Receiver<String>);

impl Lines {
    fn new(stdout: std::process::ChildStdout) -> Self {
        use std::io::BufRead as _;
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for line in std::io::BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        Self(rx)
    }

    #[track_caller]
    fn next(&self, what: &str) -> String {
        self.0
            .recv_timeout(std::time::Duration::from_secs(60))
            .unwrap_or_else(|_| panic!("no {what} on stdout while standard input is still open"))
    }
}

#[test]
fn rows_are_written_as_they_are_decided_while_standard_input_is_still_open() {
    use std::io::Write as _;
    use std::process::Stdio;
    for format in ["table", "ndjson"] {
        let (mut cmd, _home) = epc_process();
        cmd.args(["validate", "--schema-repo", REPO, "--format", format])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = cmd.spawn().unwrap();
        let mut stdin = child.stdin.take().unwrap();
        let lines = Lines::new(child.stdout.take().unwrap());
        // Like `tail -f events.ndjson | epc validate`: the producer then waits.
        stdin.write_all(format!("{VALID_LINE}\n{INVALID_LINE}\n").as_bytes()).unwrap();
        stdin.flush().unwrap();
        if format == "table" {
            let header = lines.next("header");
            let row = lines.next("row for line 2");
            assert!(header.starts_with("source ") && row.starts_with("<stdin>:2 "), "{header}\n{row}");
            // Later rows keep the first batch's columns.
            stdin.write_all(format!("{INVALID_LINE}\n{VALID_LINE}\n{INVALID_LINE}\n").as_bytes()).unwrap();
            stdin.flush().unwrap();
            let col = |l: &str| l.find("INVALID").unwrap_or_else(|| panic!("{l}"));
            for n in [3, 5] {
                let later = lines.next(&format!("row for line {n}"));
                assert!(later.starts_with(&format!("<stdin>:{n} ")), "{later}");
                assert_eq!(col(&later), col(&row), "aligned:\n{header}\n{row}\n{later}");
                assert_eq!(col(&row), header.find("result").unwrap());
            }
        } else {
            for n in [1, 2] {
                let record: Value = serde_json::from_str(&lines.next(&format!("record {n}"))).unwrap();
                assert_eq!(record["source"], format!("<stdin>:{n}"));
            }
        }
        drop(stdin);
        let (code, _, stderr) = wait_child(child, std::time::Duration::from_secs(60));
        assert_eq!(code, Some(1), "{format}: {stderr}");
    }
}

#[test]
fn folders_are_walked_for_event_files_in_sorted_order() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let write = |name: &str, text: &str| {
        let path = d.join(name);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    };
    let click = read(&fixture("events/valid/click.json"));
    write("events/b.ndjson", &format!("{VALID_LINE}\n{INVALID_LINE}\n"));
    write("events/a.json", &click);
    write("events/E.JSON", &click);
    write("events/sub/c.yaml", &read(&fixture("events/valid/toggle.yaml")));
    write("events/sub/d.jsonl", &format!("{INVALID_LINE}\n"));
    // Not event files, or hidden: not read (each would be malformed).
    write("events/notes.txt", "not an event");
    write("events/.hidden.json", "not an event");
    write("events/.git/x.json", "not an event");
    write("events/sub/README", "not an event");
    std::fs::create_dir_all(d.join("events/empty")).unwrap();
    std::fs::create_dir_all(d.join("nothing")).unwrap();
    let repo = crate::support::root().join(REPO);
    let run = |inputs: &[&str]| {
        let mut cmd = validate(&["--format", "ndjson", "--schema-repo", repo.to_str().unwrap()]);
        cmd.args(inputs).current_dir(d);
        cmd
    };
    let a = run(&["events", "nothing", "events/a.json"]).assert().code(1);
    let (results, summary) = records(&a);
    assert_eq!(
        sources(&results),
        [
            "events/E.JSON",
            "events/a.json",
            "events/b.ndjson:1",
            "events/b.ndjson:2",
            "events/sub/c.yaml",
            "events/sub/d.jsonl:1",
            "events/a.json",
        ]
    );
    assert_eq!(counts(&summary), [7, 5, 2, 0, 0, 0]);
    // A folder with no event files is said, and is no error.
    assert!(stderr_text(&a).contains("warning: no event files"), "{}", stderr_text(&a));
    assert!(stderr_text(&a).contains("nothing"), "{}", stderr_text(&a));
    let a = run(&["nothing"]).assert().code(0);
    assert_eq!(counts(&records(&a).1), [0; 6]);
}

#[test]
fn without_input_while_stdin_is_a_terminal_it_exits_2_with_a_hint_instead_of_waiting() {
    use std::process::Stdio;
    // `script` (util-linux) runs epc on a pseudo-terminal.
    // It is on every machine of this kind (util-linux): a missing one fails the test, never skips it.
    assert!(
        std::process::Command::new("script").arg("--version").output().is_ok(),
        "`script` (util-linux) is needed to run epc on a pseudo-terminal"
    );
    let bin = assert_cmd::cargo::cargo_bin("epc");
    let inner = format!("'{}' validate --schema-repo {REPO}", bin.display());
    let mut cmd = std::process::Command::new("script");
    cmd.args(["-qec", &inner, "/dev/null"])
        .current_dir(crate::support::root())
        .env("NO_COLOR", "1")
        .env_remove("EPC_SCHEMA_REPOS")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let (code, out, err) = wait_child(cmd.spawn().unwrap(), std::time::Duration::from_secs(60));
    assert_eq!(code, Some(2), "{out}{err}");
    assert!(out.contains("error: no events to validate") && out.contains("standard input is a terminal"), "{out}");
    assert!(out.contains("hint: ") && out.contains("`-`"), "{out}");
}

#[test]
fn a_closed_stdout_is_not_success_and_names_no_broken_pipe() {
    use std::io::BufRead as _;
    use std::process::Stdio;
    let dir = tempfile::tempdir().unwrap();
    // Far more output than a pipe holds, in every format.
    let many = dir.path().join("many.ndjson");
    std::fs::write(&many, format!("{INVALID_LINE}\n").repeat(20_000)).unwrap();
    for format in ["table", "ndjson", "json", "junit"] {
        let (mut cmd, _home) = epc_process();
        cmd.args(["validate", "--schema-repo", REPO, "--format", format])
            .arg(&many)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = cmd.spawn().unwrap();
        // `| head -1`: one line read, then the pipe closed.
        let mut stdout = std::io::BufReader::new(child.stdout.take().unwrap());
        let mut first = String::new();
        stdout.read_line(&mut first).unwrap();
        drop(stdout);
        let (code, _, stderr) = wait_child(child, std::time::Duration::from_secs(120));
        assert_eq!(code, Some(2), "{format}: {stderr}");
        assert!(stderr.contains("error: stdout was closed"), "{format}: {stderr}");
        assert!(!stderr.contains("Broken pipe") && !stderr.contains("os error"), "{format}: {stderr}");
    }
}

#[test]
fn repo_junit_into_a_closed_stdout_exits_2_without_a_broken_pipe_error() {
    use std::io::BufRead as _;
    use std::process::Stdio;
    // The real primary repository: a JUnit report larger than a pipe holds.
    let primary = crate::support::symlinked_schemas().join("primary");
    let (mut cmd, _home) = epc_process();
    cmd.args(["validate", "-q", "--format", "junit", "--repo"])
        .arg(&primary)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = cmd.spawn().unwrap();
    let mut stdout = std::io::BufReader::new(child.stdout.take().unwrap());
    let mut first = String::new();
    stdout.read_line(&mut first).unwrap();
    assert!(first.starts_with("<?xml"), "{first}");
    drop(stdout);
    let (code, _, stderr) = wait_child(child, std::time::Duration::from_secs(300));
    assert_eq!(code, Some(2), "{stderr}");
    assert!(stderr.contains("error: stdout was closed before the whole report was written"), "{stderr}");
    assert!(!stderr.contains("Broken pipe") && !stderr.contains("cannot write"), "{stderr}");
}

#[test]
fn json_format_is_one_document_of_results_and_summary() {
    let a = validate(&["--schema-repo", REPO, "--format", "json"])
        .args(["fixtures/events/valid/click.json", "fixtures/events/invalid/missing-meta-stream.json"])
        .assert()
        .code(1);
    let v = stdout_json(&a);
    let keys: Vec<&str> = v.as_object().unwrap().keys().map(String::as_str).collect();
    assert_eq!(keys, ["results", "summary"]);
    let results = v["results"].as_array().unwrap();
    assert_eq!(results.len(), 2);
    let fields: Vec<&str> = results[0].as_object().unwrap().keys().map(String::as_str).collect();
    assert_eq!(fields, ["source", "stream", "schema_uri", "valid", "outcome", "errors"], "no `type` in JSON");
    assert_eq!(results[0]["valid"], true);
    let error = &results[1]["errors"][0];
    assert_eq!(error["instance_path"], "/meta");
    assert_eq!(error["schema_path"], "/properties/meta/required");
    assert_eq!(error["keyword"], "required");
    assert_eq!(
        v["summary"],
        json!({"events": 2, "valid": 1, "invalid": 1, "unresolved": 0, "malformed": 0, "input_errors": 0})
    );
}

#[test]
fn an_unreadable_input_exits_2_and_the_other_inputs_are_still_validated() {
    let a = validate_fixtures(&[
        "fixtures/events/valid/click.json",
        "fixtures/events/no-such-file.json",
        "fixtures/events/valid",
        "fixtures/events/valid/toggle.yaml",
    ])
    .assert()
    .code(2);
    let (results, summary) = records(&a);
    // The folder is walked in its place.
    assert_eq!(
        sources(&results),
        [
            "fixtures/events/valid/click.json",
            "fixtures/events/no-such-file.json",
            "fixtures/events/valid/click.json",
            "fixtures/events/valid/toggle.yaml",
            "fixtures/events/valid/two-events.json[0]",
            "fixtures/events/valid/two-events.json[1]",
            "fixtures/events/valid/toggle.yaml",
        ]
    );
    let r = &results[1];
    assert_eq!(r["type"], "input_error", "{r}");
    assert!(r["message"].as_str().unwrap().contains(r["source"].as_str().unwrap()), "{r}");
    for r in results.iter().filter(|r| r["type"] != "input_error") {
        assert_outcome(r, "valid");
    }
    assert_eq!(counts(&summary), [6, 6, 0, 0, 0, 1]);
    let stderr = stderr_text(&a);
    let errors = error_lines(&stderr);
    assert_eq!(errors.len(), 1, "{stderr}");
    assert!(errors[0].contains("cannot read fixtures/events/no-such-file.json"), "{stderr}");
}

#[test]
fn without_a_schema_repository_the_public_repositories_are_the_bases() {
    // The tests' environment has a dead proxy for every host but loopback:
    // the public bases are tried and cannot be reached.
    let a = validate(&["--format", "ndjson", "fixtures/events/valid/click.json"]).assert().code(1);
    let stderr = stderr_text(&a);
    assert!(
        stderr.contains(
            "note: no --schema-repo or --schema-base-uri given: schemas come from \
             https://schema.wikimedia.org/repositories/primary/jsonschema/ and \
             https://schema.wikimedia.org/repositories/secondary/jsonschema/"
        ),
        "{stderr}"
    );
    let (results, _) = records(&a);
    assert_eq!(results[0]["outcome"], "unresolved");
    let m = messages(&results[0]);
    assert!(m.contains("cannot fetch https://schema.wikimedia.org/repositories/primary/jsonschema/"), "{m}");
}

#[test]
fn a_schema_repository_folder_that_does_not_exist_exits_2_naming_it() {
    let a = validate(&["--schema-repo", "fixtures/schemas/no-such-repo", "fixtures/events/valid/click.json"])
        .assert()
        .code(2);
    let stderr = stderr_text(&a);
    let errors = error_lines(&stderr);
    assert_eq!(errors.len(), 1, "{stderr}");
    assert!(errors[0].contains("fixtures/schemas/no-such-repo"), "{stderr}");
    assert_eq!(stdout_text(&a), "");
    // A file is not a repository folder either.
    validate(&["--schema-repo", "fixtures/streamconfigs.json", "fixtures/events/valid/click.json"]).assert().code(2);
}

#[test]
fn the_schema_repository_can_come_from_the_environment() {
    let a = validate(&["--format", "ndjson", "fixtures/events/valid/click.json"])
        .env("EPC_SCHEMA_REPOS", REPO)
        .assert()
        .code(0);
    assert_eq!(counts(&records(&a).1), [1, 1, 0, 0, 0, 0]);
}

#[test]
fn a_forced_schema_checks_every_event_against_it_whatever_its_schema_says() {
    // 1.0.0 has no `label` (so no maxLength 8), and `$schema` is not looked at.
    let a = validate_fixtures(&["--schema", "/test/event/1.0.0", "fixtures/events/batch.ndjson"])
        .arg("fixtures/events/invalid/unknown-schema.json")
        .assert()
        .code(1);
    let (results, summary) = records(&a);
    assert!(results.iter().all(|r| r["schema_uri"] == "/test/event/1.0.0" || r["outcome"] == "malformed"));
    for source in ["fixtures/events/batch.ndjson:2", "fixtures/events/invalid/unknown-schema.json"] {
        assert_outcome(record_for(&results, source), "valid");
    }
    // The schema still requires a `$schema` field.
    assert_eq!(errors(record_for(&results, "fixtures/events/batch.ndjson:6")), [("", "required")]);
    assert_eq!(errors(record_for(&results, "fixtures/events/batch.ndjson:7")), [("/count", "minimum")]);
    assert_eq!(counts(&summary), [7, 4, 2, 0, 1, 0]);
}

#[test]
fn a_forced_schema_file_resolves_its_fragment_ref_in_the_repository() {
    // current.yaml is `allOf: [$ref: /fragment/common/1.0.0#, …]`, as in the real repositories.
    let current = "fixtures/schemas/primary/jsonschema/test/event/current.yaml";
    let a = validate_fixtures(&["--schema", current, "fixtures/events/valid/click.json"])
        .args(["fixtures/events/invalid/missing-meta-stream.json", "fixtures/events/invalid/bad-dt.json"])
        .arg("fixtures/events/invalid/wrong-type.json")
        .assert()
        .code(1);
    let (results, _) = records(&a);
    assert_outcome(&results[0], "valid");
    assert_eq!(results[0]["schema_uri"], current);
    // The fragment's rules apply: meta.stream is required, dt is a date-time.
    assert_eq!(errors(&results[1]), [("/meta", "required")]);
    assert_eq!(errors(&results[2]), [("/dt", "format")]);
    assert_eq!(errors(&results[3]), [("/count", "type")]);
    assert_eq!(results[3]["errors"][0]["schema_path"], "/allOf/1/properties/count/type");
}

#[test]
fn a_forced_schema_that_cannot_be_found_exits_2() {
    let a = validate_fixtures(&["--schema", "/test/event/9.9.9", "fixtures/events/valid/click.json"]).assert().code(2);
    let stderr = stderr_text(&a);
    assert!(error_lines(&stderr).iter().any(|l| l.contains("/test/event/9.9.9")), "{stderr}");
}

#[test]
fn symlinked_versions_resolve_to_their_targets() {
    // `latest` -> 1.1.0.yaml (label: maxLength 8); `1.0.0` -> 1.0.0.yaml (no label rule).
    let event = |uri: &str| {
        format!(
            r#"{{"$schema":"{uri}","meta":{{"stream":"test.event"}},"dt":"2024-05-01T10:00:00Z","action":"a","label":"123456789"}}"#
        )
    };
    let input = [
        "/test/event/latest",
        "/test/event/latest.yaml",
        "/test/event/1.1.0",
        "/test/event/1.0.0",
        "/test/event/1.0.0.yaml",
    ]
    .map(event)
    .join("\n");
    let a = validate_fixtures(&[]).write_stdin(input).assert().code(1);
    let (results, _) = records(&a);
    let outcomes: Vec<&str> = results.iter().map(|r| r["outcome"].as_str().unwrap()).collect();
    assert_eq!(outcomes, ["invalid", "invalid", "invalid", "valid", "valid"]);
    assert_eq!(errors(&results[0]), [("/label", "maxLength")]);
}

#[test]
fn a_stream_config_checks_each_events_stream_and_its_schema_title() {
    let event = |stream: &str| {
        format!(
            r#"{{"$schema":"/test/event/1.1.0","meta":{{"stream":"{stream}"}},"dt":"2024-05-01T10:00:00Z","action":"a"}}"#
        )
    };
    let input = ["test.event", "test.event.slash", "test.event.versioned", "test.unconfigured"].map(event).join("\n");
    let a = validate_fixtures(&["--stream-config", "fixtures/streamconfigs-validate.json"])
        .write_stdin(input)
        .assert()
        .code(1);
    let (results, summary) = records(&a);
    assert_outcome(&results[0], "valid");
    assert_eq!(results[0]["stream"], "test.event");
    for (r, keyword, words) in [
        (
            &results[1],
            "schema_title",
            &["`test.event.slash`", "`/test/event`", "`test/event`", "must not start with `/`"][..],
        ),
        (&results[2], "schema_title", &["`test.event.versioned`", "`test/event/1.1.0`", "no version"][..]),
        (&results[3], "stream", &["`test.unconfigured` is not configured"][..]),
    ] {
        assert_outcome(r, "invalid");
        assert_eq!(errors(r), [("/meta/stream", keyword)], "{r}");
        for word in words {
            assert!(messages(r).contains(word), "`{word}` not in {r}");
        }
    }
    assert_eq!(counts(&summary), [4, 1, 3, 0, 0, 0]);
    // The fixture events are all for `test.event`, so they pass the stream check.
    validate_fixtures(&["--stream-config", "fixtures/streamconfigs-validate.json", "fixtures/events/valid/click.json"])
        .args(["fixtures/events/valid/two-events.json", "fixtures/events/valid/toggle.yaml"])
        .assert()
        .code(0);
}

#[test]
fn standard_input_cannot_be_read_twice() {
    let a = validate_fixtures(&["-", "-"]).write_stdin("{}").assert().code(2);
    assert!(stderr_text(&a).contains("standard input"), "{}", stderr_text(&a));
}

#[test]
fn deeply_nested_and_huge_inputs_are_reported_with_a_message_not_a_stack_overflow() {
    const DEEP: usize = 100_000;
    const EVENT: &str = r#"{"$schema":"/test/event/1.0.0","meta":{"stream":"test.event"},"dt":"2024-05-01T10:00:00Z","action":"click"}"#;
    let dir = tempfile::tempdir().unwrap();
    let write = |name: &str, text: String| {
        let path = dir.path().join(name);
        std::fs::write(&path, text).unwrap();
        path.to_str().unwrap().to_owned()
    };
    let arrays = "[".repeat(DEEP) + &"]".repeat(DEEP);
    let objects = "{\"a\":".repeat(DEEP) + "1" + &"}".repeat(DEEP);
    let inputs = [
        write("arrays.json", arrays.clone()),
        write("objects.json", objects.clone()),
        write("flow.yaml", format!("a: {arrays}\n")),
        // 1000 levels of block mappings and of block sequences (100 000 would be 5 GB of indentation).
        write("mappings.yaml", (0..1000).map(|i| " ".repeat(i) + "a:\n").collect()),
        write("sequences.yaml", (0..1000).map(|i| " ".repeat(i) + "-\n").collect()),
        // NDJSON: a good event around deep lines, each line its own result.
        write("lines.ndjson", format!("{EVENT}\n{objects}\n{arrays}\n{EVENT}\n")),
    ];
    let a = validate_fixtures(&inputs.iter().map(String::as_str).collect::<Vec<_>>()).assert().code(1);
    let (results, summary) = records(&a);
    let nesting = |r: &Value| {
        let m = messages(r);
        assert!(m.contains(": nesting too deep"), "{r}");
        m
    };
    for input in &inputs[..5] {
        let r = record_for(&results, input);
        assert_outcome(r, "malformed");
        // The message names the file and where in it the nesting goes too deep.
        let m = nesting(r);
        assert!(
            m.starts_with(&format!("{input}:")) && m[input.len() + 1..].starts_with(|c: char| c.is_ascii_digit()),
            "{m}"
        );
    }
    let lines = &inputs[5];
    assert_outcome(record_for(&results, &format!("{lines}:1")), "valid");
    for line in [2, 3] {
        let r = record_for(&results, &format!("{lines}:{line}"));
        assert_outcome(r, "malformed");
        assert!(nesting(r).starts_with(&format!("{lines}:{line}:")), "{r}");
    }
    assert_outcome(record_for(&results, &format!("{lines}:4")), "valid");
    assert_eq!(counts(&summary), [9, 2, 0, 0, 7, 0]);

    // The same from standard input, in the table format.
    let a = validate(&["--schema-repo", REPO]).write_stdin(objects.clone()).assert().code(1);
    assert!(stdout_text(&a).contains("<stdin>:1:"), "{}", stdout_text(&a));

    // Deep stream config or a deep forced schema: the run cannot go on (exit 2), saying why.
    let config = write("streams.json", format!("{{\"streams\": {objects}}}"));
    let a = validate_fixtures(&["--stream-config", &config, "fixtures/events/valid/click.json"]).assert().code(2);
    assert!(
        stderr_text(&a).contains("streams.json") && stderr_text(&a).contains("recursion limit"),
        "{}",
        stderr_text(&a)
    );
    let schema = write("schema.yaml", (0..1000).map(|i| " ".repeat(i) + "a:\n").collect());
    let a = validate_fixtures(&["--schema", &schema, "fixtures/events/valid/click.json"]).assert().code(2);
    assert!(stderr_text(&a).contains("schema.yaml:"), "{}", stderr_text(&a));

    // A huge single line (16 MiB): an event with a 16 MiB string is invalid
    // (`maxLength`), an unterminated one malformed at its last column.
    let big = "x".repeat(16 << 20);
    let huge = write(
        "huge.ndjson",
        format!(
            "{}\n{{\"$schema\":\"/test/event/1.0.0\",\"action\":\"{big}\n",
            EVENT.replace("\"click\"", &format!("\"{big}\""))
        ),
    );
    let a = validate_fixtures(&[&huge]).assert().code(1);
    let (results, summary) = records(&a);
    assert_outcome(&results[0], "invalid");
    assert!(errors(&results[0]).contains(&("/action", "maxLength")), "{:?}", errors(&results[0]));
    assert_outcome(&results[1], "malformed");
    assert!(
        messages(&results[1]).starts_with(&format!("{huge}:2:")),
        "{}",
        messages(&results[1]).chars().take(200).collect::<String>()
    );
    assert_eq!(counts(&summary), [2, 0, 1, 0, 1, 0]);
}

// Case 03: stream `schema_title` must equal the schema's `title` exactly.

const CASE_03: &str = "cases/03-stream-schema-title-mismatch";

#[test]
fn case_03_schema_title_with_a_slash_or_version_is_a_failure_and_the_exact_title_passes() {
    let Some(dir) = shared(CASE_03) else { return };
    let run = |config: &str, code: i32| {
        let a = validate(&["--format", "ndjson", "--schema-repo"])
            .arg(dir.join("schemas"))
            .arg("--stream-config")
            .arg(dir.join(config))
            .arg(dir.join("event.json"))
            .assert()
            .code(code);
        let (results, _) = records(&a);
        assert_eq!(results.len(), 1);
        results.into_iter().next().unwrap()
    };
    for (config, schema_title, hint) in [
        ("stream-config-leading-slash.json", "/analytics/widget_click", "must not start with `/`"),
        ("stream-config-with-version.json", "analytics/widget_click/1.0.0", "no version"),
    ] {
        let r = run(config, 1);
        assert_outcome(&r, "invalid");
        assert_eq!(errors(&r), [("/meta/stream", "schema_title")], "{config}: {r}");
        let message = messages(&r);
        for word in ["`test.widget_click`", &format!("`{schema_title}`"), "`analytics/widget_click`", hint] {
            assert!(message.contains(word), "{config}: `{word}` not in {message}");
        }
    }
    let r = run("stream-config-ok.json", 0);
    assert_outcome(&r, "valid");
    // Without stream config the event is valid: the failure is Event Platform logic only.
    validate(&["--schema-repo"]).arg(dir.join("schemas")).arg(dir.join("event.json")).assert().code(0);
}

/// What one case event file must give.
struct Expect {
    file: &'static str,
    outcome: &'static str,
    /// An error the result must have (and all its errors are at this path).
    error: Option<(&'static str, &'static str)>,
}

const fn ok(file: &'static str) -> Expect {
    Expect { file, outcome: "valid", error: None }
}

const fn bad(file: &'static str, path: &'static str, keyword: &'static str) -> Expect {
    Expect { file, outcome: "invalid", error: Some((path, keyword)) }
}

const fn malformed(file: &'static str) -> Expect {
    Expect { file, outcome: "malformed", error: Some(("", "json")) }
}

/// Validates every event file of a case (in one invocation, from the case
/// folder, with `schema_args`) and checks each file's expected outcome; also
/// that the table covers every event file, that the ok files alone exit 0 and
/// that each other file alone exits 1. Returns the records of the full run.
#[track_caller]
fn check_case_events(dir: &Path, schema_args: &[&str], expected: &[Expect]) -> Vec<Value> {
    assert_eq!(
        event_files(dir),
        expected.iter().map(|e| e.file.to_owned()).collect(),
        "the table covers every event file of {}",
        dir.display()
    );
    let run = |files: &[&str], code: i32| {
        let mut cmd = validate(&["--format", "ndjson"]);
        cmd.current_dir(dir).args(schema_args).args(files.iter().map(|f| format!("events/{f}")));
        let a = cmd.assert().code(code);
        records(&a).0
    };
    let all: Vec<&str> = expected.iter().map(|e| e.file).collect();
    let results = run(&all, 1);
    assert_eq!(results.len(), expected.len());
    for e in expected {
        let r = record_for(&results, &format!("events/{}", e.file));
        assert_outcome(r, e.outcome);
        if let Some((path, keyword)) = e.error {
            assert!(errors(r).contains(&(path, keyword)), "{}: expected {keyword} at `{path}`, got {r}", e.file);
            assert!(errors(r).iter().all(|(p, _)| *p == path), "{}: errors only at `{path}`: {r}", e.file);
        }
    }
    let oks: Vec<&str> = expected.iter().filter(|e| e.outcome == "valid").map(|e| e.file).collect();
    run(&oks, 0);
    for e in expected.iter().filter(|e| e.outcome != "valid") {
        run(&[e.file], 1);
    }
    results
}

#[test]
fn case_08_dt_must_be_rfc_3339_with_a_zone_and_a_colon_in_the_offset() {
    let Some(dir) = shared("cases/08-dt-rfc3339-offset") else { return };
    let results = check_case_events(
        &dir,
        &["--schema", "schema.yaml"],
        &[
            ok("ok-z-millis.json"),
            ok("ok-offset-colon.json"),
            ok("ok-lowercase-t-z.json"),
            bad("bad-colonless-offset.json", "/dt", "format"),
            bad("bad-hour-only-offset.json", "/dt", "format"),
            bad("bad-no-timezone.json", "/dt", "format"),
            bad("bad-impossible-date.json", "/dt", "format"),
            bad("bad-date-only.json", "/dt", "format"),
            bad("bad-epoch-millis-string.json", "/dt", "format"),
        ],
    );
    let r = record_for(&results, "events/bad-colonless-offset.json");
    assert!(messages(r).contains("date-time"), "{r}");
}

#[test]
fn case_09_integers_accept_integer_valued_floats_and_refuse_fractions_strings_and_booleans() {
    let Some(dir) = shared("cases/09-integer-vs-float") else { return };
    check_case_events(
        &dir,
        &["--schema", "schema.yaml"],
        &[
            ok("ok-integers.json"),
            ok("ok-integer-valued-float.json"),
            ok("ok-exponent-integer-valued.json"),
            ok("ok-negative-zero.json"),
            bad("bad-fractional-ms.json", "/ms_to_display_results", "type"),
            bad("bad-numeric-string.json", "/filter_id", "type"),
            bad("bad-boolean.json", "/filter_id", "type"),
            bad("bad-below-minimum.json", "/filter_id", "minimum"),
        ],
    );
}

const CASE_12: &str = "cases/12-ref-resolution-base";

#[test]
fn case_12_path_absolute_refs_resolve_under_the_repository_and_are_applied() {
    let Some(dir) = shared(CASE_12) else { return };
    let expected = [
        ("ok-ref_ok.json", None),
        ("bad-ref_ok-meta-missing-stream.json", Some(("/meta", "required"))),
        ("bad-ref_ok-dt-format.json", Some(("/dt", "format"))),
    ];
    // Against current.yaml (which holds the `$ref`), forced with --schema.
    let current = dir.join("repo/jsonschema/analytics/ref_ok/current.yaml");
    let a = validate(&["--format", "ndjson", "--schema-repo"])
        .arg(dir.join("repo"))
        .arg("--schema")
        .arg(&current)
        .current_dir(&dir)
        .args(expected.iter().map(|e| format!("events/{}", e.0)))
        .assert()
        .code(1);
    let (results, _) = records(&a);
    for ((file, error), r) in expected.iter().zip(&results) {
        assert_eq!(r["source"], format!("events/{file}"));
        match error {
            None => assert_outcome(r, "valid"),
            Some(e) => {
                assert_outcome(r, "invalid");
                assert_eq!(errors(r), [*e], "{file}: {r}");
            }
        }
    }
    assert!(messages(&results[1]).contains("\"stream\""), "{}", results[1]);
    // And through the events' own `$schema` (/analytics/ref_ok/1.0.0, the materialized file).
    let a = validate(&["--format", "ndjson", "--schema-repo", "repo"])
        .current_dir(&dir)
        .args(expected.iter().map(|e| format!("events/{}", e.0)))
        .assert()
        .code(1);
    let outcomes: Vec<Value> = records(&a).0.iter().map(|r| r["outcome"].clone()).collect();
    assert_eq!(outcomes, ["valid", "invalid", "invalid"]);
}

#[test]
fn case_12_a_ref_without_the_leading_slash_is_a_schema_error_naming_what_it_resolved_to() {
    let Some(dir) = shared(CASE_12) else { return };
    let a = validate(&["--format", "ndjson", "--schema-repo", "repo", "--schema"])
        .arg("repo/jsonschema/analytics/ref_bad/current.yaml")
        .arg("events/any-ref_bad.json")
        .current_dir(&dir)
        .assert()
        .code(2);
    let stderr = stderr_text(&a);
    let errors = error_lines(&stderr);
    assert_eq!(errors.len(), 1, "{stderr}");
    for word in [
        "`fragment/common/1.0.0#/properties/meta`",
        "/analytics/ref_bad/fragment/common/1.0.0",
        "did you mean `/fragment/common/1.0.0#/properties/meta`",
        "leading `/`",
    ] {
        assert!(errors[0].contains(word), "`{word}` not in {stderr}");
    }
    assert_eq!(stdout_text(&a), "", "no event is reported valid");
    // Through its `$schema`: ref_bad has no materialized version, so the event is unresolved (never valid).
    let a = validate(&["--format", "ndjson", "--schema-repo", "repo", "events/any-ref_bad.json"])
        .current_dir(&dir)
        .assert()
        .code(1);
    let (results, _) = records(&a);
    assert_outcome(&results[0], "unresolved");
    assert!(messages(&results[0]).contains("/analytics/ref_bad/1.0.0"), "{}", results[0]);
}

#[test]
fn case_12_the_fragment_resolves_as_an_extensionless_file_a_yaml_or_a_json_file() {
    let Some(dir) = shared(CASE_12) else { return };
    let fragment = epc::schema::yaml::load_file(&dir.join("repo/jsonschema/fragment/common/1.0.0.yaml")).unwrap();
    let schema = read(&dir.join("repo/jsonschema/analytics/ref_ok/current.yaml"));
    for (name, text) in [
        ("1.0.0", serde_json::to_string_pretty(&fragment).unwrap()),
        ("1.0.0.yaml", read(&dir.join("repo/jsonschema/fragment/common/1.0.0.yaml"))),
        ("1.0.0.json", serde_json::to_string_pretty(&fragment).unwrap()),
    ] {
        // A temporary repository holding the fragment under only that name.
        let repo = tempfile::tempdir().unwrap();
        let base = repo.path().join("jsonschema");
        std::fs::create_dir_all(base.join("fragment/common")).unwrap();
        std::fs::create_dir_all(base.join("analytics/ref_ok")).unwrap();
        std::fs::write(base.join("fragment/common").join(name), text).unwrap();
        std::fs::write(base.join("analytics/ref_ok/current.yaml"), &schema).unwrap();
        let a = validate(&["--format", "ndjson", "--schema-repo"])
            .arg(repo.path())
            .arg("--schema")
            .arg(base.join("analytics/ref_ok/current.yaml"))
            .arg(dir.join("events/ok-ref_ok.json"))
            .arg(dir.join("events/bad-ref_ok-meta-missing-stream.json"))
            .assert()
            .code(1);
        let (results, _) = records(&a);
        assert_outcome(&results[0], "valid");
        assert_eq!(errors(&results[1]), [("/meta", "required")], "fragment as {name}");
    }
}

#[test]
fn case_13_string_lengths_count_code_points_and_a_lone_surrogate_is_an_input_error() {
    let Some(dir) = shared("cases/13-maxlength-codepoints") else { return };
    let lone = "input-error-lone-surrogate.json";
    let results = check_case_events(
        &dir,
        &["--schema", "schema.yaml"],
        &[
            ok("ok-ascii-4.json"),
            ok("ok-emoji-4.json"),
            bad("bad-emoji-5.json", "/label", "maxLength"),
            ok("ok-zwj-sequence-4-codepoints.json"),
            bad("bad-zwj-plus-1.json", "/label", "maxLength"),
            ok("ok-escaped-surrogate-pair-2.json"),
            bad("bad-single-emoji-below-min.json", "/label", "minLength"),
            ok("ok-combining-2.json"),
            ok("ok-cjk-4.json"),
            malformed(lone),
        ],
    );
    // The lone surrogate: not valid and not a crash; the message names the file and column, and why.
    let message = messages(record_for(&results, &format!("events/{lone}")));
    for word in [&format!("events/{lone}:1:133"), "surrogate", "JavaScript and Python accept it"] {
        assert!(message.contains(word), "`{word}` not in {message}");
    }
}

#[test]
fn case_14_yaml_1_2_scalars_in_the_schema_stay_strings_so_booleans_in_events_are_invalid() {
    let Some(dir) = shared("cases/14-yaml-scalar-coercion") else { return };
    check_case_events(
        &dir,
        &["--schema-repo", "repo"],
        &[
            ok("ok-string-values.json"),
            bad("bad-boolean-toggle.json", "/toggle_state", "type"),
            bad("bad-boolean-answer.json", "/answer", "type"),
            bad("bad-boolean-country.json", "/country_code", "type"),
            bad("bad-case-variant.json", "/toggle_state", "enum"),
        ],
    );
}

const CASE_15: &str = "cases/15-duplicate-keys";

#[test]
fn case_15_a_duplicate_key_in_an_event_is_reported_never_valid() {
    let Some(dir) = shared(CASE_15) else { return };
    validate(&["--schema", "schema.yaml", "events/ok-no-duplicates.json"]).current_dir(&dir).assert().code(0);
    for (file, pointer) in [
        ("bad-duplicate-hides-invalid-first.json", "/position"),
        ("bad-duplicate-nested-meta-stream.json", "/meta/stream"),
    ] {
        let a = validate(&["--format", "ndjson", "--schema", "schema.yaml"])
            .current_dir(&dir)
            .arg(format!("events/{file}"))
            .assert()
            .code(1);
        let (results, summary) = records(&a);
        assert_outcome(&results[0], "malformed");
        assert_eq!(errors(&results[0]), [("", "json")]);
        let message = messages(&results[0]);
        for word in [&format!("events/{file}:1:"), "duplicate key", &format!(" {pointer}")] {
            assert!(message.contains(word), "`{word}` not in {message}");
        }
        assert_eq!(counts(&summary), [1, 0, 0, 0, 1, 0]);
    }
}

#[test]
fn case_15_a_duplicate_key_in_the_schema_stops_the_run_naming_key_and_line() {
    let Some(dir) = shared(CASE_15) else { return };
    let a = validate(&["--format", "ndjson", "--schema", "schema-duplicate-key.yaml", "events/ok-no-duplicates.json"])
        .current_dir(&dir)
        .assert()
        .code(2);
    let stderr = stderr_text(&a);
    let errors = error_lines(&stderr);
    assert_eq!(errors.len(), 1, "{stderr}");
    assert!(errors[0].contains("schema-duplicate-key.yaml:22:") && errors[0].contains("`action`"), "{stderr}");
    assert_eq!(stdout_text(&a), "", "no event is validated");
}

// Real data: every example of every versioned schema of the shared repositories.

/// One event built from a schema's example, and what it must give.
struct Expectation {
    /// `<title>/<version> example <i>`, and what was done to it.
    label: String,
    /// `valid`, `invalid` or (for a known data problem) `unresolved`.
    outcome: &'static str,
    /// An error the result must have: instance path and keyword.
    error: Option<(String, &'static str)>,
}

/// Events validated in one `epc validate` run: by their `$schema`, or all
/// against one schema file (`--schema`).
struct Batch {
    schema: Option<std::path::PathBuf>,
    events: Vec<(Value, Expectation)>,
}

/// Counts of one repository's examples.
#[derive(Debug, Default)]
struct Tally {
    versioned_schemas: usize,
    schemas_with_examples: usize,
    /// Examples of event schemas, checked by their own `$schema`.
    event_examples: usize,
    /// Examples of schemas that are not events (fragments without a
    /// `$schema` property), checked with `--schema`.
    fragment_examples: usize,
    known_problems: usize,
    without_required: usize,
    wrong_type: usize,
}

/// Escapes a property name as a JSON pointer token (RFC 6901).
fn pointer_token(name: &str) -> String {
    name.replace('~', "~0").replace('/', "~1")
}

/// Builds the batches for every example of every versioned schema of `repo`:
/// each example as it is (with `$schema` set to the schema's `$id` when
/// missing), the example with its first required top-level field (other
/// than `$schema`) removed, and the example with its first string-typed
/// top-level property set to a number. Event schemas (those with a `$schema`
/// property) go into one batch checked by `$schema`; the examples of other
/// schemas (fragments, where adding `$schema` would make them invalid) into
/// one batch per schema, checked with `--schema`. `known` lists examples with
/// a known data problem and the outcome they have; they are not mutated.
fn real_examples(repo: &Path, known: &[(&str, &'static str)]) -> (Vec<Batch>, Tally) {
    let repository = epc::schema::repository::SchemaRepository::open(repo).expect("the repository opens");
    let files = repository.versioned_files().expect("the repository lists");
    let mut tally = Tally { versioned_schemas: files.len(), ..Tally::default() };
    let mut by_schema_uri = Batch { schema: None, events: Vec::new() };
    let mut mutated = Vec::new();
    let mut fragments = Vec::new();
    for file in &files {
        let schema = epc::schema::yaml::load_file(&file.path)
            .unwrap_or_else(|e| panic!("{} does not load: {e}", file.path.display()));
        let id = schema["$id"].as_str().unwrap_or_else(|| panic!("{} has no $id", file.path.display()));
        let examples = schema.get("examples").and_then(Value::as_array).map_or(&[][..], Vec::as_slice);
        if examples.is_empty() {
            continue;
        }
        tally.schemas_with_examples += 1;
        let is_event = schema.pointer("/properties/$schema").is_some();
        let required: Vec<&str> = schema["required"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .filter(|r| *r != "$schema")
            .collect();
        let string_props: Vec<&str> = schema["properties"]
            .as_object()
            .into_iter()
            .flatten()
            .filter(|(name, p)| *name != "$schema" && p["type"] == "string")
            .map(|(name, _)| name.as_str())
            .collect();
        let mut fragment = Batch { schema: Some(file.path.clone()), events: Vec::new() };
        for (i, example) in examples.iter().enumerate() {
            let label = format!("{}/{} example {i}", file.title, file.version);
            let mut event = example.clone();
            let map = event.as_object_mut().unwrap_or_else(|| panic!("{label} is not an object"));
            if is_event && !map.contains_key("$schema") {
                map.insert("$schema".to_owned(), Value::String(id.to_owned()));
            }
            let mut cases = Vec::new();
            if let Some((_, outcome)) = known.iter().find(|(k, _)| *k == label) {
                tally.known_problems += 1;
                cases.push((event, Expectation { label, outcome, error: None }));
            } else {
                if let Some(field) = required.iter().find(|f| map.contains_key(**f)) {
                    let mut without = event.clone();
                    without.as_object_mut().unwrap().remove(*field);
                    // `required` is reported at the object that lacks the field: the event itself.
                    let error = Some((String::new(), "required"));
                    let label = format!("{label} without `{field}`");
                    cases.push((without, Expectation { label, outcome: "invalid", error }));
                    tally.without_required += 1;
                }
                if let Some(prop) = string_props.first() {
                    let mut wrong = event.clone();
                    wrong.as_object_mut().unwrap().insert((*prop).to_owned(), json!(12345));
                    let error = Some((format!("/{}", pointer_token(prop)), "type"));
                    let label = format!("{label} with `{prop}` a number");
                    cases.push((wrong, Expectation { label, outcome: "invalid", error }));
                    tally.wrong_type += 1;
                }
                let valid = (event, Expectation { label, outcome: "valid", error: None });
                if is_event {
                    tally.event_examples += 1;
                    by_schema_uri.events.push(valid);
                } else {
                    tally.fragment_examples += 1;
                    fragment.events.push(valid);
                }
            }
            if is_event {
                mutated.extend(cases);
            } else {
                fragment.events.extend(cases);
            }
        }
        if !fragment.events.is_empty() {
            fragments.push(fragment);
        }
    }
    by_schema_uri.events.extend(mutated);
    let mut batches = vec![by_schema_uri];
    batches.extend(fragments);
    (batches, tally)
}

/// Validates every batch of [`real_examples`] with `--schema-repo` for each of
/// `repos` (the last one is the repository whose examples are checked), and
/// asserts every result; prints the counts.
fn check_real_examples(name: &str, repos: &[&Path], known: &[(&str, &'static str)]) -> Tally {
    let (batches, tally) = real_examples(repos.last().unwrap(), known);
    let dir = tempfile::tempdir().unwrap();
    let mut wrong = Vec::new();
    for (n, batch) in batches.iter().enumerate() {
        let ndjson = dir.path().join(format!("{name}-{n}.ndjson"));
        let text: String = batch.events.iter().map(|(e, _)| serde_json::to_string(e).unwrap() + "\n").collect();
        std::fs::write(&ndjson, text).unwrap();
        let mut cmd = validate(&["--format", "ndjson", "--jobs", "2"]);
        for repo in repos {
            cmd.arg("--schema-repo").arg(repo);
        }
        if let Some(schema) = &batch.schema {
            cmd.arg("--schema").arg(schema);
        }
        let all_valid = batch.events.iter().all(|(_, e)| e.outcome == "valid");
        let a = cmd.arg(&ndjson).assert().code(if all_valid { 0 } else { 1 });
        let (results, summary) = records(&a);
        assert_eq!(results.len(), batch.events.len(), "one result per event");
        for (line, (r, (_, expectation))) in results.iter().zip(&batch.events).enumerate() {
            assert_eq!(r["source"], format!("{}:{}", ndjson.display(), line + 1));
            let as_expected = r["outcome"] == expectation.outcome
                && expectation
                    .error
                    .as_ref()
                    .is_none_or(|(path, keyword)| errors(r).contains(&(path.as_str(), keyword)));
            if !as_expected {
                let expected = match &expectation.error {
                    Some((path, keyword)) => format!("{keyword} at `{path}`"),
                    None => expectation.outcome.to_owned(),
                };
                wrong.push(format!("{}: expected {expected}, got {} {}", expectation.label, r["outcome"], r["errors"]));
            }
        }
        let valid = batch.events.iter().filter(|(_, e)| e.outcome == "valid").count();
        assert_eq!(summary["valid"].as_u64().unwrap() as usize, valid, "{name}: {summary}");
        assert_eq!(summary["malformed"], 0, "{name}: {summary}");
    }
    assert!(wrong.is_empty(), "{name}: {} events not reported as expected:\n{wrong:#?}", wrong.len());
    assert_eq!(tally.known_problems, known.len(), "{name}: every known problem is still there");
    eprintln!(
        "{name}: {} examples of {} schemas valid ({} by their $schema, {} of fragments with --schema; \
         {} versioned schemas in all; {} known data problems); {} with a required field removed and {} with a \
         string field set to a number are invalid at the right path ({} epc runs)",
        tally.event_examples + tally.fragment_examples,
        tally.schemas_with_examples - tally.known_problems,
        tally.event_examples,
        tally.fragment_examples,
        tally.versioned_schemas,
        tally.known_problems,
        tally.without_required,
        tally.wrong_type,
        batches.len(),
    );
    tally
}

#[test]
fn real_primary_examples_validate_against_their_own_schemas_and_mutations_are_caught() {
    let Some(primary) = shared("data/schemas/primary") else { return };
    // A data problem, not an epc one: development/webrequest/1.0.0.yaml has
    // `$id: /webrequest/1.0.0` (not its path, /development/webrequest/1.0.0),
    // and its example's `$schema` is that `$id`, which no repository has.
    let known = [("development/webrequest/1.0.0 example 0", "unresolved")];
    let tally = check_real_examples("primary", &[&primary], &known);
    assert!(tally.event_examples > 0 && tally.fragment_examples > 0, "{tally:?}");
    assert!(tally.without_required > 0 && tally.wrong_type > 0, "{tally:?}");
}

#[test]
fn real_secondary_examples_validate_with_primary_for_fragments_and_mutations_are_caught() {
    let (Some(primary), Some(secondary)) = (shared("data/schemas/primary"), shared("data/schemas/secondary")) else {
        return;
    };
    let tally = check_real_examples("secondary", &[&primary, &secondary], &[]);
    assert!(tally.event_examples > 0 && tally.fragment_examples > 0, "{tally:?}");
    assert!(tally.without_required > 0 && tally.wrong_type > 0, "{tally:?}");
}

#[test]
fn fixture_repository_examples_validate_and_their_mutations_are_caught() {
    // The same harness as the real-data tests, on the fixture repository (never skipped).
    let tally = check_real_examples("fixtures", &[&fixture("schemas/primary")], &[]);
    assert_eq!(
        (tally.versioned_schemas, tally.schemas_with_examples, tally.event_examples, tally.fragment_examples),
        // fragment/common's example is the one json-schema-faker generates (it has a `$schema`).
        (3, 3, 3, 0)
    );
    assert_eq!((tally.without_required, tally.wrong_type), (3, 3));
}
