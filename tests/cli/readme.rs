//! Every shell example in README.md runs (issue 13): the fenced ```sh blocks
//! are read line by line (`\` continuations joined, comments and blank lines
//! skipped), and each `epc …` command must have an entry in [`EXAMPLES`], keyed
//! by its exact text, giving its working folder, the files it names, its exit
//! code and one fact of its output. The README's commands and the table's keys
//! must be the same set: a new example without an entry fails, and so does a
//! stale entry. `cargo …` and `scripts/…` lines are in [`NOT_RUN`], with why.
//!
//! Each example runs in its own sandbox through the hermetic [`epc`] (a dead
//! proxy: no network), so none depends on the network or on a cache another
//! left behind. The sandbox is a temporary folder holding `schemas` (a symlink
//! to [`symlinked_schemas`]: the real primary and secondary, so the README's
//! `../schemas/primary` and `../schemas/secondary` resolve as written) and
//! `work/`, the usual working folder, with `fixtures` (a symlink to the crate's
//! `fixtures/`) and the files the example names.

use std::path::{Path, PathBuf};
use std::time::Duration;

use serde_json::Value;

use crate::support::{
    copy_tree, epc, epc_process, fixture, git, mock_eventgate, path_str, require_shared, root, symlinked_schemas,
};

/// The working folder an example runs in.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Cwd {
    /// `work/` of the sandbox (see the module docs).
    Sandbox,
    /// The unpacked real secondary (read only; `../primary` beside it), for `--repo .`.
    Secondary,
    /// A copy of `fixtures/schemas/primary`, for `--schema-repo .`, with `events/` in it.
    FixturePrimary,
    /// A copy of the real primary with its symlinks, for `epc materialize`.
    Primary,
    /// [`Cwd::Primary`] as a git repository with everything committed.
    PrimaryGit,
}

/// A file (or folder) an example names, made in its working folder.
#[derive(Debug, Clone, Copy)]
enum File {
    /// `events.ndjson`: two valid `test.event` clicks (`fixtures/events/batch.ndjson`'s first line
    /// and `fixtures/events/valid/click.json`), which the mock EventGate accepts.
    ValidNdjson,
    /// `events/`: the events of `fixtures/events/valid/`.
    FixtureEventsDir,
    /// `events.ndjson`: [`real_events`], one a line.
    EventsNdjson,
    /// `events/`: [`real_events`] as `events/1.json` and `events/2.json`.
    EventsDir,
    /// `events.json`: [`real_events`] as a JSON array.
    EventsJson,
    /// `event.yaml`: the valid one of [`real_events`].
    EventYaml,
    /// `stream_configs.json` and `integration_data.json` of the MP-JS conformance data.
    MpWeb,
    /// `stream_configs_apps.json` and `integration_data_apps.json` of the MP-Java conformance data.
    MpApps,
}

/// How an example is run.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Run {
    /// Once, to its exit.
    Once,
    /// Once, with `http://127.0.0.1:8192/v1/events` replaced by a loopback mock EventGate.
    Intake,
    /// `epc serve`: with `--listen 127.0.0.1:0` added, until it listens, then stopped with SIGINT.
    Serve,
}

/// One README example and what it must do.
struct Example {
    /// The command exactly as the README has it (continuations joined by one space, no comment).
    command: &'static str,
    cwd: Cwd,
    files: &'static [File],
    run: Run,
    /// The expected exit code.
    exit: i32,
    /// Text stdout must contain (empty: not checked).
    stdout: &'static str,
    /// Text stderr must contain (empty: not checked).
    stderr: &'static str,
}

const fn ex(command: &'static str, exit: i32, stdout: &'static str, stderr: &'static str) -> Example {
    Example { command, cwd: Cwd::Sandbox, files: &[], run: Run::Once, exit, stdout, stderr }
}

impl Example {
    const fn cwd(mut self, cwd: Cwd) -> Self {
        self.cwd = cwd;
        self
    }
    const fn files(mut self, files: &'static [File]) -> Self {
        self.files = files;
        self
    }
    const fn run(mut self, run: Run) -> Self {
        self.run = run;
        self
    }
}

/// README commands that are not run here, and why.
const NOT_RUN: &[(&str, &str)] = &[
    ("cargo run --release -- streams --stream-config fixtures/streamconfigs.json", "set-up: builds the release binary"),
    ("cargo test --locked", "set-up: runs this very suite"),
    ("cargo bench --bench sampling", "benchmark: minutes of CPU, no pass/fail"),
    ("scripts/bench-sample-vs-jq.sh", "benchmark: needs jq, timing only"),
    ("scripts/bench-validate.sh", "benchmark: needs Node and ajv, timing only"),
    ("scripts/bench-repo.sh", "benchmark: needs Node and jsonschema-tools, timing only"),
    ("scripts/bench-streams.sh", "benchmark: epc streams on generated 10k and 100k-stream configs, timing only"),
    ("scripts/bench-send.sh", "benchmark: timing only"),
    ("scripts/bench-serve.sh", "benchmark: timing only"),
    ("scripts/measure-serve-hostile.sh", "measurement: thousands of connections, minutes"),
];

use Cwd::{FixturePrimary, Primary, PrimaryGit, Secondary};
use File::{EventYaml, EventsDir, EventsJson, EventsNdjson, FixtureEventsDir, MpApps, MpWeb, ValidNdjson};

/// Every `epc` example of README.md.
const EXAMPLES: &[Example] = &[
    ex("epc streams --stream-config fixtures/streamconfigs.json", 0, "test.widget_click.sampled.tiny", ""),
    ex(
        "epc streams --stream-config fixtures/streamconfigs.json --constraint destination_event_service=eventgate-analytics-external --match widget",
        0,
        "test.widget_click",
        "",
    ),
    ex("epc streams --stream-config fixtures/streamconfigs.json test.widget_click", 0, "test.widget_click.sampled", ""),
    ex("epc streams --stream-config fixtures/streamconfigs.json mediawiki.job.refreshLinks", 0, "/^mediawiki\\.job\\..+/", ""),
    ex(
        "epc sample --stream-config fixtures/streamconfigs.json --stream test.widget_click --id 0aac0b2976c12a600a58",
        0,
        "0aac0b2976c12a600a58",
        "",
    ),
    ex(
        "epc sample --stream-config fixtures/streamconfigs.json --stream test.widget_click --ids fixtures/ids.txt",
        0,
        "33333333",
        "",
    ),
    ex("epc sample --rate 1 --unit device --id FFFFFFFF-FFFF-FFFF-FFFF-FFFFFFFFFFFF --all-profiles", 0, "canonical", ""),
    ex("epc sample --population 10 --id 000f4240", 0, "000f4240", ""),
    ex(
        "epc sample --stream-config fixtures/streamconfigs.json --stream test.widget_click --simulate 10000000 --seed 1",
        0,
        "test.widget_click.sampled.tiny  canonical  session   0.01  10000000",
        "",
    ),
    ex(
        "epc validate --schema-repo ../schemas/secondary --schema-repo ../schemas/primary events.ndjson",
        1,
        "events.ndjson:2  INVALID",
        "2 events: 1 valid, 1 invalid, 0 unresolved, 0 malformed",
    )
        .files(&[EventsNdjson]),
    ex("epc validate --schema-repo ../schemas/primary events/", 1, "events/2.json", "2 events: 1 valid, 1 invalid")
        .files(&[EventsDir]),
    ex("epc validate --offline --schema-repo ../schemas/primary events.ndjson", 1, "", "2 events: 1 valid, 1 invalid")
        .files(&[EventsNdjson]),
    ex(
        "epc validate --schema-repo ../schemas/secondary --schema-repo ../schemas/primary --stream-config fixtures/streamconfigs-validate.json events.json",
        1,
        "events.json[1]",
        "2 events: 1 valid, 1 invalid, 0 unresolved",
    )
    .files(&[EventsJson]),
    ex(
        "epc validate --schema-repo ../schemas/primary --schema ../schemas/primary/jsonschema/test/event/current.yaml event.yaml",
        0,
        "",
        "1 event",
    )
    .files(&[EventYaml]),
    ex("epc validate --format junit --schema-repo . events/*.json > report.xml", 0, "<testsuites", "")
        .cwd(FixturePrimary)
        .files(&[FixtureEventsDir]),
    ex(
        "epc send --dry-run --stream-config fixtures/streamconfigs.json --stream test.widget_click --schema /analytics/product_metrics/web/base/1.3.0 --no-validate --data '{\"action\": \"click\"}'",
        0,
        "/analytics/product_metrics/web/base/1.3.0",
        "",
    ),
    ex(
        "epc send --dry-run --stream-config stream_configs.json --stream test.consistency --schema /analytics/product_metrics/web/base/1.3.0 --action click --interaction-data '{\"action_source\": \"toolbar\"}' --context integration_data.json --no-validate",
        0,
        "\"action_source\":\"toolbar\"",
        "",
    )
    .files(&[MpWeb]),
    ex(
        "epc send --dry-run --client app --stream-config stream_configs_apps.json --stream test.consistency --action test_consistency_event --context integration_data_apps.json --no-validate",
        0,
        "\"$schema\":\"/analytics/product_metrics/app/base/1.2.2\"",
        "",
    )
    .files(&[MpApps]),
    ex(
        "epc send --stream-config fixtures/streamconfigs-validate.json --stream test.event --no-cc --schema-repo fixtures/schemas/primary --intake-url http://127.0.0.1:8192/v1/events events.ndjson",
        0,
        "",
        "2 accepted, 0 rejected, 0 invalid (not sent), 0 failed on the intake, 0 unsent",
    )
    .files(&[ValidNdjson])
    .run(Run::Intake),
    ex(
        "epc serve --schema-repo ../schemas/secondary --schema-repo ../schemas/primary --stream-config fixtures/streamconfigs.json --output-dir received/",
        0,
        "",
        "epc serve: listening on http://127.0.0.1:",
    )
    .run(Run::Serve),
    ex("epc id session", 0, "", ""),
    ex("epc id device -n 3", 0, "", ""),
    ex("epc validate --repo . --schema-repo ../primary", 1, "", "R9   known keywords only                                    529 pass   47 fail")
        .cwd(Secondary),
    ex("epc materialize jsonschema/test/event/current.yaml", 0, "unchanged    jsonschema/test/event/1.0.0.yaml", "")
        .cwd(Primary),
    ex("epc materialize --modified", 0, "", "no changed current files to materialize").cwd(PrimaryGit),
    ex("epc materialize --all --dry-run", 0, "", "53 titles: 0 files and symlinks to write, 212 already up to date").cwd(Primary),
    ex("epc materialize --install-hook", 0, "", "installed the pre-commit hook").cwd(PrimaryGit),
];

/// The commands of README.md's ```sh blocks: continuations joined by one
/// space, blank and comment lines skipped, a trailing ` # comment` cut.
fn readme_commands() -> Vec<String> {
    let text = std::fs::read_to_string(root().join("README.md")).expect("read README.md");
    let (mut commands, mut in_sh, mut pending) = (Vec::new(), false, String::new());
    for line in text.lines() {
        if line.starts_with("```") {
            in_sh = !in_sh && line.trim_end() == "```sh";
            continue;
        }
        if !in_sh {
            continue;
        }
        let line = line.trim();
        let joined = if pending.is_empty() { line.to_owned() } else { format!("{pending} {line}") };
        if let Some(head) = joined.strip_suffix('\\') {
            pending = head.trim_end().to_owned();
            continue;
        }
        pending.clear();
        let command = strip_comment(&joined).trim_end().to_owned();
        if !command.is_empty() {
            commands.push(command);
        }
    }
    assert!(pending.is_empty(), "a README sh block ends in a `\\` continuation: {pending}");
    commands
}

/// `text` without an unquoted `#` comment (at the start or after a blank).
fn strip_comment(text: &str) -> &str {
    let (mut quote, mut prev_blank) = (None, true);
    for (i, c) in text.char_indices() {
        match (quote, c) {
            (None, '\'' | '"') => quote = Some(c),
            (Some(q), _) if c == q => quote = None,
            (None, '#') if prev_blank => return &text[..i],
            _ => {}
        }
        prev_blank = c.is_whitespace();
    }
    text
}

/// Shell words of `command` (quotes and backslashes as sh reads them; no
/// expansion but what [`expand_glob`] does).
fn words(command: &str) -> Vec<String> {
    let (mut out, mut word, mut in_word, mut quote) = (Vec::new(), String::new(), false, None::<char>);
    let mut chars = command.chars();
    while let Some(c) = chars.next() {
        match (quote, c) {
            (Some(q), _) if c == q => quote = None,
            (Some('"'), '\\') => word.push(chars.next().expect("an escaped character")),
            (Some(_), _) => word.push(c),
            (None, '\'' | '"') => {
                quote = Some(c);
                in_word = true;
            }
            (None, '\\') => {
                word.push(chars.next().expect("an escaped character"));
                in_word = true;
            }
            (None, c) if c.is_whitespace() => {
                if in_word {
                    out.push(std::mem::take(&mut word));
                    in_word = false;
                }
            }
            (None, c) => {
                word.push(c);
                in_word = true;
            }
        }
    }
    assert!(quote.is_none(), "an unterminated quote in {command}");
    if in_word {
        out.push(word);
    }
    out
}

/// `DIR/*.EXT` expanded in `cwd`, sorted as sh does; any other word as it is.
fn expand_glob(word: &str, cwd: &Path) -> Vec<String> {
    let Some((dir, pattern)) = word.rsplit_once('/').filter(|(_, p)| p.starts_with('*')) else {
        assert!(!word.contains('*'), "a glob this test does not expand: {word}");
        return vec![word.to_owned()];
    };
    let suffix = &pattern[1..];
    let mut names: Vec<String> = std::fs::read_dir(cwd.join(dir))
        .unwrap_or_else(|e| panic!("{dir}: {e}"))
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(suffix) && !n.starts_with('.'))
        .collect();
    names.sort();
    assert!(!names.is_empty(), "{word} matches nothing");
    names.into_iter().map(|n| format!("{dir}/{n}")).collect()
}

/// Two events for the real repositories: the example of primary's
/// `test/event/1.0.0.yaml` on stream `test.event` (valid; `test.event` is in
/// `fixtures/streamconfigs-validate.json` with `schema_title: test/event`), and
/// the same with `test: 5` (invalid: `test` is a string).
fn real_events() -> Vec<Value> {
    let schema = epc::schema::yaml::load_file(&symlinked_schemas().join("primary/jsonschema/test/event/1.0.0.yaml"))
        .expect("primary's test/event/1.0.0.yaml");
    let mut valid = schema["examples"][0].clone();
    assert_eq!(valid["$schema"], "/test/event/1.0.0");
    valid["meta"]["stream"] = "test.event".into();
    let mut invalid = valid.clone();
    invalid["test"] = 5.into();
    vec![valid, invalid]
}

/// A sandbox: the temporary folder (kept alive) and the working folder.
struct Sandbox {
    _dir: tempfile::TempDir,
    cwd: PathBuf,
}

fn sandbox(example: &Example) -> Sandbox {
    let dir = tempfile::tempdir().expect("a sandbox");
    let schemas = symlinked_schemas();
    std::os::unix::fs::symlink(&schemas, dir.path().join("schemas")).unwrap();
    let cwd = match example.cwd {
        Cwd::Sandbox => dir.path().join("work"),
        Cwd::Secondary => schemas.join("secondary"),
        Cwd::FixturePrimary => {
            let cwd = dir.path().join("primary");
            copy_tree(&fixture("schemas/primary"), &cwd);
            cwd
        }
        Cwd::Primary | Cwd::PrimaryGit => {
            let cwd = dir.path().join("primary");
            copy_tree(&schemas.join("primary"), &cwd);
            if example.cwd == Cwd::PrimaryGit {
                git(&cwd, &["init", "-q"]);
                git(&cwd, &["add", "-A"]);
                git(&cwd, &["commit", "-q", "-m", "primary"]);
            }
            cwd
        }
    };
    if example.cwd == Cwd::Sandbox {
        std::fs::create_dir_all(&cwd).unwrap();
        std::os::unix::fs::symlink(root().join("fixtures"), cwd.join("fixtures")).unwrap();
    }
    let copy =
        |from: PathBuf, name: &str| std::fs::copy(&from, cwd.join(name)).unwrap_or_else(|e| panic!("{from:?}: {e}"));
    for file in example.files {
        match file {
            File::ValidNdjson => {
                let batch = std::fs::read_to_string(fixture("events/batch.ndjson")).unwrap();
                let click: Value =
                    serde_json::from_str(&std::fs::read_to_string(fixture("events/valid/click.json")).unwrap())
                        .unwrap();
                let first = batch.lines().next().unwrap();
                std::fs::write(cwd.join("events.ndjson"), format!("{first}\n{click}\n")).unwrap();
            }
            File::FixtureEventsDir => copy_tree(&fixture("events/valid"), &cwd.join("events")),
            File::EventsNdjson => {
                let lines: Vec<String> = real_events().iter().map(|e| format!("{e}\n")).collect();
                std::fs::write(cwd.join("events.ndjson"), lines.concat()).unwrap();
            }
            File::EventsDir => {
                std::fs::create_dir_all(cwd.join("events")).unwrap();
                for (i, event) in real_events().iter().enumerate() {
                    std::fs::write(cwd.join(format!("events/{}.json", i + 1)), event.to_string()).unwrap();
                }
            }
            File::EventsJson => {
                std::fs::write(cwd.join("events.json"), Value::Array(real_events()).to_string()).unwrap()
            }
            File::EventYaml => std::fs::write(cwd.join("event.yaml"), real_events()[0].to_string()).unwrap(),
            File::MpWeb => {
                let web = require_shared("data/conformance/metrics-platform-web");
                copy(web.join("stream_configs.json"), "stream_configs.json");
                copy(web.join("integration_data.json"), "integration_data.json");
            }
            File::MpApps => {
                let apps = require_shared("data/conformance/metrics-platform-apps");
                copy(apps.join("stream_configs_apps.json"), "stream_configs_apps.json");
                copy(apps.join("integration_data_apps.json"), "integration_data_apps.json");
            }
        }
    }
    Sandbox { _dir: dir, cwd }
}

/// What a run gave: exit code, stdout (or the redirect target's content), stderr.
struct Ran {
    code: Option<i32>,
    stdout: String,
    stderr: String,
}

/// Runs `example` in `sandbox`; `intake` replaces the README's intake URL.
fn run(example: &Example, sandbox: &Sandbox, intake: Option<&str>) -> Ran {
    let mut argv = words(example.command);
    assert_eq!(argv.remove(0), "epc", "{}", example.command);
    let mut redirect = None;
    if let Some(i) = argv.iter().position(|w| w == ">") {
        redirect = Some(argv.get(i + 1).expect("a redirect target").clone());
        argv.truncate(i);
    }
    let mut args: Vec<String> = argv.iter().flat_map(|w| expand_glob(w, &sandbox.cwd)).collect();
    if let Some(url) = intake {
        let at = args.iter().position(|w| w == "http://127.0.0.1:8192/v1/events").expect("the README intake URL");
        args[at] = url.to_owned();
    }
    if example.run == Run::Serve {
        return run_serve(&args, &sandbox.cwd);
    }
    let mut cmd = epc();
    let out = cmd.args(&args).current_dir(&sandbox.cwd).timeout(Duration::from_secs(300)).output().expect("run epc");
    let mut stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    if let Some(target) = redirect {
        std::fs::write(sandbox.cwd.join(&target), &out.stdout).unwrap();
        stdout = std::fs::read_to_string(sandbox.cwd.join(&target)).unwrap();
    }
    Ran { code: out.status.code(), stdout, stderr: String::from_utf8_lossy(&out.stderr).into_owned() }
}

/// `epc serve ARGS --listen 127.0.0.1:0` until its listening line, then SIGINT.
fn run_serve(args: &[String], cwd: &Path) -> Ran {
    use std::io::BufRead as _;
    use std::process::Stdio;
    let (mut cmd, _home) = epc_process();
    let mut child = cmd
        .args(args)
        .args(["--listen", "127.0.0.1:0"])
        .current_dir(cwd)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start epc serve");
    let err = child.stderr.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel::<String>();
    let reader = std::thread::spawn(move || {
        let mut all = String::new();
        for line in std::io::BufReader::new(err).lines().map_while(Result::ok) {
            let _ = tx.send(line.clone());
            all.push_str(&line);
            all.push('\n');
        }
        all
    });
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    loop {
        match rx.recv_timeout(deadline.saturating_duration_since(std::time::Instant::now())) {
            Ok(line) if line.starts_with("epc serve: listening on ") => break,
            Ok(_) => {}
            Err(_) => break,
        }
    }
    let _ = std::process::Command::new("kill").args(["-INT", &child.id().to_string()]).status();
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if std::time::Instant::now() > deadline {
            let _ = child.kill();
            break child.wait().unwrap();
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    Ran { code: status.code(), stdout: String::new(), stderr: reader.join().unwrap_or_default() }
}

#[test]
fn readme_examples_and_the_table_are_the_same_set() {
    let readme = readme_commands();
    let not_run: Vec<&str> = NOT_RUN.iter().map(|(c, _)| *c).collect();
    let examples: Vec<&str> = EXAMPLES.iter().map(|e| e.command).collect();
    let mut seen = std::collections::BTreeSet::new();
    for key in not_run.iter().chain(&examples) {
        assert!(seen.insert(*key), "listed twice: {key}");
    }
    let missing: Vec<&String> = readme.iter().filter(|c| !seen.contains(c.as_str())).collect();
    let stale: Vec<&&str> = seen.iter().filter(|k| !readme.iter().any(|c| c == *k)).collect();
    assert!(missing.is_empty(), "README examples without an entry in EXAMPLES or NOT_RUN: {missing:#?}");
    assert!(stale.is_empty(), "entries with no README example: {stale:#?}");
    for command in &readme {
        let runs = examples.contains(&command.as_str());
        assert_eq!(runs, command.starts_with("epc "), "only `epc …` examples run, all of them: {command}");
    }
    assert_eq!(readme.len(), EXAMPLES.len() + NOT_RUN.len(), "each README example once");
}

#[test]
fn readme_examples_run_as_written() {
    let (mut failures, mut count) = (Vec::new(), 0);
    for example in EXAMPLES {
        count += 1;
        let sandbox = sandbox(example);
        let gate = (example.run == Run::Intake).then(mock_eventgate);
        let ran = run(example, &sandbox, gate.as_ref().map(|g| g.url.as_str()));
        let mut wrong = Vec::new();
        if ran.code != Some(example.exit) {
            wrong.push(format!("exit {:?}, expected {}", ran.code, example.exit));
        }
        if !ran.stdout.contains(example.stdout) {
            wrong.push(format!("stdout lacks {:?}", example.stdout));
        }
        if !ran.stderr.contains(example.stderr) {
            wrong.push(format!("stderr lacks {:?}", example.stderr));
        }
        if let Some(gate) = gate {
            let received: usize = gate.finish().iter().map(|r| r.events.len()).sum();
            if received != 2 {
                wrong.push(format!("the intake received {received} events, not 2"));
            }
        }
        let lines: Vec<&str> = ran.stdout.lines().collect();
        let hex = |s: &str, n: usize| s.len() == n && s.bytes().all(|b| b.is_ascii_hexdigit() || b == b'-');
        if example.command == "epc id session" && !(lines.len() == 1 && hex(lines[0], 20)) {
            wrong.push("not one 20-character hex identifier".into());
        }
        if example.command == "epc id device -n 3" && !(lines.len() == 3 && lines.iter().all(|l| hex(l, 36))) {
            wrong.push("not three UUIDs".into());
        }
        if example.command == "epc materialize --install-hook" && !sandbox.cwd.join(".git/hooks/pre-commit").is_file() {
            wrong.push("no .git/hooks/pre-commit".into());
        }
        if !wrong.is_empty() {
            let tail =
                |s: &str| s.lines().rev().take(8).collect::<Vec<_>>().into_iter().rev().collect::<Vec<_>>().join("\n");
            failures.push(format!(
                "{}\n  {}\n  stdout (end):\n{}\n  stderr (end):\n{}",
                example.command,
                wrong.join("; "),
                tail(&ran.stdout),
                tail(&ran.stderr)
            ));
        }
    }
    println!("README examples run: {count} (not run: {})", NOT_RUN.len());
    assert_eq!(count, EXAMPLES.len(), "README examples run: {count}");
    assert!(
        failures.is_empty(),
        "{} of {} README examples failed:\n{}",
        failures.len(),
        EXAMPLES.len(),
        failures.join("\n\n")
    );
}

/// `--schema` text that is neither a file nor a schema the repositories have
/// names both the file path and the URI tried (issue 13).
#[test]
fn readme_schema_not_found_names_file_and_uri() {
    let example = ex("", 0, "", "").files(&[EventYaml]);
    let sandbox = sandbox(&example);
    let out = epc()
        .args([
            "validate",
            "--schema-repo",
            "../schemas/primary",
            "--schema",
            "jsonschema/test/event/current.yaml",
            "event.yaml",
        ])
        .current_dir(&sandbox.cwd)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    let file = sandbox.cwd.join("jsonschema/test/event/current.yaml");
    assert!(stderr.contains(&format!("no such file ({})", path_str(&file))), "{stderr}");
    assert!(stderr.contains("jsonschema/test/event/current.yaml"), "{stderr}");
}

/// The README's examples carry `--stream-config`; without it (the network
/// default, unreachable here) the hint names `EPC_STREAM_CONFIG` too (issue 13).
#[test]
fn readme_network_default_hint_names_epc_stream_config() {
    let out = epc().args(["streams", "mediawiki.web_ui_actions", "--timeout", "5"]).output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains(
            "hint: pass --stream-config FILE (or set EPC_STREAM_CONFIG=FILE) to read stream config from a file"
        ),
        "{stderr}"
    );
}
