//! Production fidelity on the real schema repositories (issue 9's acceptance):
//! for every analytics schema title of the secondary repository, its latest
//! version's first example, stripped of what the intake fills (derived from
//! `Intake::fillable`, not listed by hand) and of `meta.stream` (the
//! client's decoration sets it), is what a client sends. It must pass
//! `epc send --dry-run` with validation on, and sent by `epc send` to
//! `epc serve` it must be answered 201 and stored with `meta.dt`, `meta.id`,
//! the header enrichment and the schema's defaults.
//!
//! These tests need `../shared` and fail without it (CI always has it).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde_json::{Value, json};

use crate::support::{epc, path_str, require_shared, serve};
use epc::eventgate::Intake;
use epc::schema::repository::{SchemaRepository, SchemaResolver};
use epc::stream::StreamConfigs;
use epc::validate::EventValidator;

/// Production's default header enrichment (134 of the 244 production streams).
fn enrichment() -> Value {
    json!({"meta.request_id": "x-request-id", "http.request_headers.user-agent": "user-agent"})
}

/// One row: a stream of its own for a schema title, and the client-shaped event.
struct Row {
    title: String,
    stream: String,
    schema: Value,
    event: Value,
}

fn versions_of(dir: &Path) -> Vec<(Vec<u64>, PathBuf)> {
    let mut versions: Vec<(Vec<u64>, PathBuf)> = std::fs::read_dir(dir)
        .unwrap()
        .filter_map(|e| {
            let path = e.ok()?.path();
            let name = path.file_name()?.to_str()?.strip_suffix(".yaml")?.to_owned();
            let parts: Option<Vec<u64>> = name.split('.').map(|p| p.parse().ok()).collect();
            Some((parts.filter(|p| p.len() == 3)?, path))
        })
        .collect();
    versions.sort();
    versions
}

/// Every titled folder (with `current.yaml`) under `root`, recursively.
fn titles(root: &Path, out: &mut Vec<PathBuf>) {
    if root.join("current.yaml").is_file() {
        out.push(root.to_owned());
    }
    let mut entries: Vec<PathBuf> =
        std::fs::read_dir(root).unwrap().filter_map(|e| e.ok().map(|e| e.path())).filter(|p| p.is_dir()).collect();
    entries.sort();
    for e in entries {
        titles(&e, out);
    }
}

fn remove_pointer(event: &mut Value, pointer: &str) {
    let mut parts: Vec<String> = pointer.split('/').skip(1).map(|p| p.replace("~1", "/").replace("~0", "~")).collect();
    let Some(last) = parts.pop() else { return };
    let mut at = event;
    for p in parts {
        match at.get_mut(p.as_str()) {
            Some(next) => at = next,
            None => return,
        }
    }
    if let Some(map) = at.as_object_mut() {
        map.remove(last.as_str());
    }
}

/// `data/schemas-symlinked.tar.gz` unpacked: the same repositories with real
/// symlinks, as a git checkout has them (the shipped folders hold git's stub files).
fn symlinked() -> (tempfile::TempDir, PathBuf) {
    let archive = require_shared("data/schemas-symlinked.tar.gz");
    let dir = tempfile::tempdir().unwrap();
    let status =
        std::process::Command::new("tar").arg("-xzf").arg(&archive).arg("-C").arg(dir.path()).status().unwrap();
    assert!(status.success(), "tar -xzf {}", archive.display());
    let schemas = dir.path().join("schemas");
    assert!(
        std::fs::symlink_metadata(schemas.join("primary/jsonschema/test/event/latest"))
            .unwrap()
            .file_type()
            .is_symlink()
    );
    (dir, schemas)
}

/// The rows, the stream config for them, and the repositories under `schemas`.
fn rows(schemas: &Path) -> (Vec<Row>, Value, PathBuf, PathBuf) {
    let (primary, secondary) = (schemas.join("primary"), schemas.join("secondary"));
    let mut dirs = Vec::new();
    titles(&secondary.join("jsonschema/analytics"), &mut dirs);
    // Primary's test/event: the one real schema with a `default` on a top-level field.
    dirs.push(primary.join("jsonschema/test/event"));
    let mut rows = Vec::new();
    let mut streams = serde_json::Map::new();
    for (i, dir) in dirs.iter().enumerate() {
        let (_, latest) = versions_of(dir).pop().unwrap_or_else(|| panic!("{}: no version file", dir.display()));
        let schema = epc::schema::yaml::load_file(&latest).unwrap_or_else(|e| panic!("{e}"));
        let title = schema["title"].as_str().unwrap_or_else(|| panic!("{}: no title", latest.display())).to_owned();
        let example = schema["examples"][0].clone();
        assert!(example.is_object(), "{}: no example", latest.display());
        let stream = format!("fidelity.t{i:03}");
        streams.insert(
            stream.clone(),
            json!({"schema_title": title, "destination_event_service": "eventgate-analytics-external",
                   "producers": {"eventgate": {"enrich_fields_from_http_headers": enrichment()}}}),
        );
        rows.push(Row { title, stream, schema, event: example });
    }
    let config = json!({"streams": streams});
    // What the intake fills, from the intake itself.
    let configs = StreamConfigs::from_value(config.clone(), "fidelity").unwrap();
    let repos = vec![SchemaRepository::open(&secondary).unwrap(), SchemaRepository::open(&primary).unwrap()];
    let intake =
        Intake::new(EventValidator::new(Arc::new(SchemaResolver::new(repos, &[], false).unwrap()), Some(configs)));
    for row in &mut rows {
        // The example as stored carries its stream; what the intake fills is asked of the intake.
        row.event["meta"]["stream"] = Value::String(row.stream.clone());
        let fillable = intake.fillable(&row.event);
        assert!(fillable.iter().any(|f| f == "/meta/dt"), "{}: {fillable:?}", row.title);
        for pointer in fillable.iter().map(String::as_str).chain(["/meta/stream"]) {
            remove_pointer(&mut row.event, pointer);
        }
    }
    (rows, config, secondary, primary)
}

#[test]
fn every_secondary_analytics_title_passes_a_dry_run_as_a_client_sends_it() {
    let (rows, config, secondary, primary) = rows(&require_shared("data/schemas"));
    assert!(rows.len() >= 126, "125 analytics titles in secondary and test/event: {}", rows.len());
    let dir = tempfile::tempdir().unwrap();
    let config_path = dir.path().join("streams.json");
    std::fs::write(&config_path, config.to_string()).unwrap();
    let mut failures = Vec::new();
    for row in &rows {
        let event = dir.path().join(format!("{}.json", row.stream));
        std::fs::write(&event, row.event.to_string()).unwrap();
        let out = epc()
            .args(["send", "--dry-run", "--stream", &row.stream, "--stream-config", path_str(&config_path)])
            .args(["--schema-repo", path_str(&secondary), "--schema-repo", path_str(&primary), "--session-id"])
            .args(["0aac0b2976c12a600a58", path_str(&event)])
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout);
        let printed: Vec<Value> = stdout.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
        if out.status.code() != Some(0) || printed.len() != 1 {
            failures.push(format!(
                "{}: exit {:?}: {}",
                row.title,
                out.status.code(),
                String::from_utf8_lossy(&out.stderr)
            ));
            continue;
        }
        // What is printed is what a client sends: no invented meta.dt or meta.id.
        let meta = &printed[0]["meta"];
        assert_eq!(meta["stream"], row.stream.as_str(), "{}", row.title);
        assert!(meta.get("dt").is_none() && meta.get("id").is_none(), "{}: {meta}", row.title);
    }
    assert!(
        failures.is_empty(),
        "{} of {} titles fail the dry run:\n{}",
        failures.len(),
        rows.len(),
        failures.join("\n")
    );
}

#[test]
fn every_secondary_analytics_title_sent_to_serve_is_stored_as_production_stores_it() {
    // On the repositories with real symlinks (`latest`, extensionless versions).
    let (_unpacked, schemas) = symlinked();
    let (rows, config, secondary, primary) = rows(&schemas);
    let dir = tempfile::tempdir().unwrap();
    let config_path = dir.path().join("streams.json");
    std::fs::write(&config_path, config.to_string()).unwrap();
    let out = dir.path().join("out");
    let intake = serve([
        "--schema-repo",
        path_str(&secondary),
        "--schema-repo",
        path_str(&primary),
        "--stream-config",
        path_str(&config_path),
        "--output-dir",
        path_str(&out),
    ]);
    let mut failures = Vec::new();
    for row in &rows {
        let event = dir.path().join(format!("{}.json", row.stream));
        std::fs::write(&event, row.event.to_string()).unwrap();
        let failed = dir.path().join(format!("{}.failed.ndjson", row.stream));
        let result = epc()
            .args(["send", "--stream", &row.stream, "--stream-config", path_str(&config_path), "--format", "json"])
            .args(["--schema-repo", path_str(&secondary), "--schema-repo", path_str(&primary)])
            .args(["--intake-url", &intake.url, "--failed-out", path_str(&failed), "--session-id"])
            .args(["0aac0b2976c12a600a58", path_str(&event)])
            .output()
            .unwrap();
        if result.status.code() != Some(0) {
            failures.push(format!(
                "{}: exit {:?}: {}",
                row.title,
                result.status.code(),
                String::from_utf8_lossy(&result.stderr)
            ));
        }
        assert!(!failed.exists(), "{}: nothing goes to the failed-events file", row.title);
    }
    assert!(failures.is_empty(), "{} of {} titles not accepted:\n{}", failures.len(), rows.len(), failures.join("\n"));
    let stopped = intake.stop();
    assert!(stopped.status.success(), "{}", stopped.stderr);
    let mut stored: BTreeMap<String, Value> = BTreeMap::new();
    for row in &rows {
        let text = std::fs::read_to_string(out.join(format!("{}.ndjson", row.stream)))
            .unwrap_or_else(|e| panic!("{}: nothing stored: {e}", row.title));
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 1, "{}: stored once", row.title);
        stored.insert(row.stream.clone(), serde_json::from_str(lines[0]).unwrap());
    }
    for row in &rows {
        let e = &stored[&row.stream];
        let meta_props = &row.schema["properties"]["meta"]["properties"];
        assert!(meta_props.get("dt").is_some(), "{}: every analytics schema declares meta.dt", row.title);
        let dt = e["meta"]["dt"].as_str().unwrap_or_else(|| panic!("{}: no meta.dt: {e}", row.title));
        assert!(dt.len() == 24 && dt.ends_with('Z'), "{}: {dt}", row.title);
        if meta_props.get("id").is_some() {
            let id = e["meta"]["id"].as_str().unwrap_or_else(|| panic!("{}: no meta.id: {e}", row.title));
            assert!(uuid::Uuid::parse_str(id).is_ok(), "{}: {id}", row.title);
        }
        if row.schema.pointer("/properties/http/properties/request_headers").is_some() {
            assert_eq!(
                e.pointer("/http/request_headers/user-agent").and_then(Value::as_str),
                Some(epc::source::USER_AGENT),
                "{}: enriched from the User-Agent epc sent",
                row.title
            );
        }
        // Every top-level default the schema declares, where the client left the field out.
        for (name, prop) in row.schema["properties"].as_object().unwrap() {
            if let Some(default) = prop.get("default")
                && row.event.get(name).is_none()
            {
                assert_eq!(&e[name], default, "{}: default of `{name}`", row.title);
            }
        }
    }
    let test_event = rows.iter().find(|r| r.title == "test/event").expect("the test/event row");
    assert_eq!(stored[&test_event.stream]["test"], "default value", "test/event's default is stored");
}
