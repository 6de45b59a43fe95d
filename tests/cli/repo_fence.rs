//! `epc validate --repo` (and `epc validate --schema-repo`) stay inside the
//! repository: a schema file whose real path is outside it, a FIFO, a device,
//! a symlink loop or a file over 16 MiB is never read and is an X2 finding
//! naming the path; a symlinked folder leading outside is not walked (X2); a
//! config leading outside stops the run (exit 2). Each run is bounded: the
//! child is killed after 20 s and the test fails, so a FIFO cannot hang it.
//! Everything is built in temporary folders; the real symlinks of
//! `../shared/data/schemas-symlinked.tar.gz` give the same results as the
//! stub copies in `../shared/data/schemas`.

use std::collections::BTreeSet;
use std::os::unix::fs::symlink;
use std::path::{Path, PathBuf};
use std::process::Output;
use std::time::{Duration, Instant};

use serde_json::Value;
use tempfile::TempDir;

use crate::support::{copy_tree, epc, fixture, require_shared};

/// How long one run may take before it is killed and the test fails.
const BOUND: Duration = Duration::from_secs(20);

const EVENT: &str = "jsonschema/test/event";

/// A copy of `fixtures/schemas/primary` (real symlinks: `latest -> 1.1.0.yaml`, …).
fn fixture_copy() -> TempDir {
    let dir = tempfile::tempdir().unwrap();
    copy_tree(&fixture("schemas/primary"), dir.path());
    dir
}

/// A folder outside the repository holding a valid schema file and a folder
/// with another one: read or walked, either would show in the results.
fn outside() -> TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("secret.yaml"), "title: test/event\n$id: /test/event/2.0.0\ntype: object\n")
        .unwrap();
    std::fs::create_dir_all(dir.path().join("folder/thing")).unwrap();
    std::fs::write(dir.path().join("folder/thing/1.0.0.yaml"), "title: thing\n$id: /thing/1.0.0\n").unwrap();
    dir
}

fn mkfifo(path: &Path) {
    let status = std::process::Command::new("mkfifo").arg(path).status().expect("run mkfifo");
    assert!(status.success(), "mkfifo {}", path.display());
}

/// Runs `epc ARGS`, killed after [`BOUND`]; fails the test when it was.
#[track_caller]
fn bounded(args: &[&str], repo_args: &[&Path]) -> Output {
    let mut cmd = epc();
    cmd.args(args);
    for a in repo_args {
        cmd.arg(a);
    }
    let start = Instant::now();
    let output = cmd.timeout(BOUND).output().expect("run epc");
    let took = start.elapsed();
    assert!(
        took < BOUND && output.status.code().is_some(),
        "epc {args:?} {repo_args:?} did not finish within {BOUND:?} (killed: {:?})",
        output.status
    );
    output
}

/// `epc validate --repo DIR --format json`, bounded: the exit code and the parsed report.
#[track_caller]
fn check(repo: &Path) -> (i32, Value) {
    let output = bounded(&["validate", "--format", "json", "--repo"], &[repo]);
    let json = serde_json::from_slice(&output.stdout)
        .unwrap_or_else(|e| panic!("stdout is not JSON ({e}); stderr: {}", String::from_utf8_lossy(&output.stderr)));
    (output.status.code().unwrap(), json)
}

/// `(check, subject, messages joined)` of every failure.
fn failures(report: &Value) -> BTreeSet<(String, String, String)> {
    report["results"]
        .as_array()
        .expect("a results list")
        .iter()
        .filter(|r| r["status"] == "fail")
        .map(|r| {
            let messages: Vec<&str> = r["messages"].as_array().unwrap().iter().map(|m| m.as_str().unwrap()).collect();
            (r["check"].as_str().unwrap().to_owned(), r["subject"].as_str().unwrap().to_owned(), messages.join("\n"))
        })
        .collect()
}

fn canonical(path: &Path) -> PathBuf {
    path.canonicalize().unwrap()
}

#[test]
fn files_outside_the_repository_or_not_regular_are_x2_findings_never_read() {
    let repo = fixture_copy();
    let away = outside();
    let event = repo.path().join(EVENT);
    symlink(away.path().join("secret.yaml"), event.join("2.0.0.yaml")).unwrap();
    symlink("/dev/zero", event.join("3.0.0.yaml")).unwrap();
    mkfifo(&event.join("4.0.0.yaml"));
    symlink("5.0.0.yaml", event.join("5.0.0.yaml")).unwrap();
    // Sparse: 17 MiB long, next to nothing on disk.
    std::fs::File::create(event.join("6.0.0.yaml")).unwrap().set_len(17 * 1024 * 1024).unwrap();
    symlink(away.path().join("folder"), repo.path().join("jsonschema/elsewhere")).unwrap();
    // A folder loop inside the repository: not walked, not a finding.
    symlink("..", repo.path().join("jsonschema/test/loop")).unwrap();

    let (code, report) = check(repo.path());
    let secret = canonical(&away.path().join("secret.yaml"));
    let folder = canonical(&away.path().join("folder"));
    let x2 = |file: &str, why: String| ("X2".to_owned(), file.to_owned(), format!("{file}: {why}"));
    let expected: BTreeSet<_> = [
        x2(
            "jsonschema/test/event/2.0.0.yaml",
            format!("symlink to {}, outside the repository; not read", secret.display()),
        ),
        x2("jsonschema/test/event/3.0.0.yaml", "symlink to /dev/zero, outside the repository; not read".into()),
        x2("jsonschema/test/event/4.0.0.yaml", "a FIFO, not a regular file; not read".into()),
        x2("jsonschema/test/event/5.0.0.yaml", "a symlink loop; not read".into()),
        x2("jsonschema/test/event/6.0.0.yaml", "larger than 16 MiB; not read".into()),
        x2(
            "jsonschema/elsewhere",
            format!("symlink to {}, a folder outside the repository; not walked", folder.display()),
        ),
    ]
    .into();
    assert_eq!(failures(&report), expected);
    assert_eq!(code, 1, "{:#}", report["summary"]);
    // The rest of the repository is still checked, and passes.
    assert_eq!(report["summary"]["checks"]["X2"]["fail"], 6);
    assert_eq!(report["summary"]["fail"], 6);
    assert_eq!(report["summary"]["checks"]["S8"]["pass"], 2);
}

#[test]
fn latest_symlinks_leading_outside_fail_s9_and_s10_without_being_read() {
    let repo = fixture_copy();
    let away = outside();
    let event = repo.path().join(EVENT);
    std::fs::remove_file(event.join("latest")).unwrap();
    std::fs::remove_file(event.join("latest.yaml")).unwrap();
    // Small enough to be taken for a symlink stub, were it read.
    std::fs::write(away.path().join("stub"), "1.1.0.yaml").unwrap();
    symlink(away.path().join("stub"), event.join("latest")).unwrap();
    mkfifo(&repo.path().join("jsonschema/fifo"));
    symlink("../../fifo", event.join("latest.yaml")).unwrap();

    let (code, report) = check(repo.path());
    let stub = canonical(&away.path().join("stub"));
    let expected: BTreeSet<_> = [
        (
            "S9".to_owned(),
            "test/event".to_owned(),
            "S9 jsonschema/test/event/latest.yaml: a FIFO, not a regular file; not read; it must be a symlink to \
             jsonschema/test/event/1.1.0.yaml"
                .to_owned(),
        ),
        (
            "S10".to_owned(),
            "test/event".to_owned(),
            format!(
                "S10 jsonschema/test/event/latest: symlink to {}, outside the repository; not read; it must be a \
                 symlink to jsonschema/test/event/1.1.0.yaml",
                stub.display()
            ),
        ),
    ]
    .into();
    assert_eq!(failures(&report), expected);
    assert_eq!(code, 1);
}

#[test]
fn a_config_leading_outside_the_repository_stops_the_run_naming_it() {
    let repo = fixture_copy();
    let away = outside();
    let config = repo.path().join(".jsonschema-tools.yaml");
    std::fs::rename(&config, away.path().join("config.yaml")).unwrap();
    symlink(away.path().join("config.yaml"), &config).unwrap();
    let target = canonical(&away.path().join("config.yaml"));
    let why = format!("symlink to {}, outside the repository; not read", target.display());

    let output = bounded(&["validate", "--format", "json", "--repo"], &[repo.path()]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains(&format!(".jsonschema-tools.yaml: {why}")), "{stderr}");

    // `epc validate` of events opens the same repository the same way.
    let events = tempfile::tempdir().unwrap();
    let event = events.path().join("event.json");
    std::fs::write(&event, r#"{"$schema": "/test/event/1.0.0", "meta": {"stream": "test.event"}}"#).unwrap();
    let output = bounded(&["validate", "--schema-repo"], &[repo.path(), &event]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains(&why), "{stderr}");

    // A FIFO as the config is not opened either.
    std::fs::remove_file(&config).unwrap();
    mkfifo(&config);
    let output = bounded(&["validate", "--format", "json", "--repo"], &[repo.path()]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains(".jsonschema-tools.yaml: a FIFO, not a regular file; not read"), "{stderr}");
}

#[test]
fn validate_never_opens_a_fifo_or_an_oversized_file_a_schema_uri_names() {
    let repo = fixture_copy();
    let event_dir = repo.path().join(EVENT);
    mkfifo(&event_dir.join("fifo.yaml"));
    std::fs::File::create(event_dir.join("9.0.0.yaml")).unwrap().set_len(17 * 1024 * 1024).unwrap();
    let fifo = url::Url::from_file_path(canonical(&event_dir.join("fifo.yaml"))).unwrap();
    let events = tempfile::tempdir().unwrap();
    let input = events.path().join("events.ndjson");
    let line = |schema: &str| format!(r#"{{"$schema": "{schema}", "meta": {{"stream": "test.event"}}}}"#);
    std::fs::write(&input, [line(fifo.as_str()), line("/test/event/9.0.0")].join("\n") + "\n").unwrap();

    let output = bounded(&["validate", "--format", "json", "--schema-repo"], &[repo.path(), &input]);
    let json: Value = serde_json::from_slice(&output.stdout).unwrap();
    let results = json["results"].as_array().unwrap();
    let outcome = |i: usize| {
        let r = &results[i];
        (r["outcome"].as_str().unwrap().to_owned(), r["errors"][0]["message"].as_str().unwrap().to_owned())
    };
    let (o, m) = outcome(0);
    assert_eq!(o, "unresolved");
    assert!(m.ends_with("fifo.yaml: a FIFO, not a regular file; not read"), "{m}");
    let (o, m) = outcome(1);
    assert_eq!(o, "unresolved");
    assert!(m.contains("9.0.0.yaml: larger than 16 MiB; not read"), "{m}");
    assert_eq!(output.status.code(), Some(1));
}

/// The real-symlink form and the stub form (git's symlink stubs as plain
/// files) give the same results, except S12: a stub is not a symlink, so
/// every version's S12 fails in the stub form (as in jsonschema-tools).
#[test]
fn real_symlinks_give_the_same_results_as_their_stub_copies_except_s12() {
    let linked = crate::support::symlinked_schemas().join("primary");
    let (code, with_symlinks) = check(&linked);
    let (stub_code, with_stubs) = check(&require_shared("data/schemas/primary"));
    // Default mode: S17 on development/webrequest in both forms.
    assert_eq!((code, stub_code), (1, 1));
    let without_s12 = |report: &Value| -> Vec<Value> {
        report["results"].as_array().unwrap().iter().filter(|r| r["check"] != "S12").cloned().collect()
    };
    assert_eq!(without_s12(&with_symlinks), without_s12(&with_stubs));
    assert_eq!(with_symlinks["summary"]["fail"], 1);
    assert_eq!(with_symlinks["summary"]["checks"]["S12"], serde_json::json!({"pass": 83, "fail": 0, "skip": 0}));
    assert_eq!(with_stubs["summary"]["checks"]["S12"], serde_json::json!({"pass": 0, "fail": 83, "skip": 0}));
    assert_eq!(with_stubs["summary"]["fail"], 84);
    let stub_s12 = failures(&with_stubs).into_iter().find(|(c, _, _)| c == "S12").unwrap();
    assert_eq!(
        stub_s12,
        (
            "S12".to_owned(),
            "jsonschema/api-gateway/request/1.0.0".to_owned(),
            "S12 jsonschema/api-gateway/request/1.0.0: is a plain file holding `1.0.0.yaml` (a git \
             symlink stub, as a checkout with core.symlinks=false writes it), not a symlink; deployed, it serves that \
             text instead of the schema: it must be a symlink to `1.0.0.yaml`"
                .to_owned()
        )
    );
}
