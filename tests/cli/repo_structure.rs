//! `epc validate --repo`: the structure checks S1–S16 (schema-repos.md §(a))
//! and X1. The real repositories pass with the counts of jsonschema-tools
//! (§4.3) in both forms: `../shared/data/schemas/` (symlinks stored as stub
//! files holding the target's name) and `schemas-symlinked.tar.gz` unpacked
//! (real symlinks). Each structure break of §4.3 is made on a temporary copy
//! of a small repository (primary's `test/event`, its fragments and config),
//! in both forms, or of `fixtures/schemas/primary` (real symlinks), and is
//! caught by the right check, with the rest of the repository still checked.
//! A break replaces a path (removes the symlink, writes a file) and never
//! writes through a symlink into the version file it points at. Tests that
//! need `../shared` fail when it is absent.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use serde_json::Value;
use tempfile::TempDir;

use crate::support::{copy_tree, epc, fixture, point_link, replace_file, root, schema_forms, shared, stdout_json};
use epc::repo_check::materialize;
use epc::schema::repository::{SchemaRepository, SchemaResolver};

/// A copy of primary's config, `jsonschema/test/event` and `jsonschema/fragment`,
/// from `primary` (either form: symlink stubs or real symlinks).
fn small_copy(primary: &Path) -> TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(primary.join(".jsonschema-tools.yaml"), dir.path().join(".jsonschema-tools.yaml")).unwrap();
    let config = dir.path().join(".jsonschema-tools.yaml");
    let mut perms = std::fs::metadata(&config).unwrap().permissions();
    #[allow(clippy::permissions_set_readonly_false)]
    perms.set_readonly(false);
    std::fs::set_permissions(&config, perms).unwrap();
    for sub in ["jsonschema/test/event", "jsonschema/fragment"] {
        copy_tree(&primary.join(sub), &dir.path().join(sub));
    }
    dir
}

/// The small copy of primary in both forms: `("stubs", …)` from
/// `../shared/data/schemas` (git's symlink stub files) and `("symlinks", …)`
/// from `schemas-symlinked.tar.gz` (real symlinks). Each test breaks both
/// alike, replacing a path rather than writing through a symlink.
fn small_primaries() -> Vec<(&'static str, TempDir)> {
    schema_forms().into_iter().map(|(form, schemas)| (form, small_copy(&schemas.join("primary")))).collect()
}

/// A copy of `fixtures/schemas/primary` (real symlinks).
fn fixture_copy() -> TempDir {
    let dir = tempfile::tempdir().unwrap();
    copy_tree(&fixture("schemas/primary"), dir.path());
    dir
}

const EVENT: &str = "jsonschema/test/event";

/// The outcome of `epc validate --repo DIR --format json [ARGS…]`.
struct Run {
    code: i32,
    json: Value,
}

impl Run {
    fn results(&self) -> &Vec<Value> {
        self.json["results"].as_array().expect("a results list")
    }

    /// `(check, subject)` of every failure of the given checks (all when empty).
    fn failures(&self, prefix: &str) -> BTreeSet<(String, String)> {
        self.results()
            .iter()
            .filter(|r| r["status"] == "fail" && r["check"].as_str().unwrap().starts_with(prefix))
            .map(|r| (r["check"].as_str().unwrap().to_owned(), r["subject"].as_str().unwrap().to_owned()))
            .collect()
    }

    /// The structure failures (S1–S16).
    fn structure_failures(&self) -> BTreeSet<(String, String)> {
        self.failures("S")
    }

    /// The messages of one case.
    #[track_caller]
    fn messages(&self, check: &str, subject: &str) -> String {
        let case = self
            .results()
            .iter()
            .find(|r| r["check"] == check && r["subject"] == subject)
            .unwrap_or_else(|| panic!("no {check} case for {subject}"));
        case["messages"].as_array().unwrap().iter().map(|m| m.as_str().unwrap()).collect::<Vec<_>>().join("\n")
    }

    /// The status of one case.
    #[track_caller]
    fn status(&self, check: &str, subject: &str) -> &str {
        self.results()
            .iter()
            .find(|r| r["check"] == check && r["subject"] == subject)
            .unwrap_or_else(|| panic!("no {check} case for {subject}"))["status"]
            .as_str()
            .unwrap()
    }

    /// `pass` count of a check in the summary.
    fn passed(&self, check: &str) -> u64 {
        self.json["summary"]["checks"][check]["pass"].as_u64().unwrap_or(0)
    }
}

fn run(repo: &Path, extra: &[&str]) -> Run {
    let assert = epc().args(["validate", "--repo"]).arg(repo).args(["--format", "json"]).args(extra).assert();
    let code = assert.get_output().status.code().expect("an exit code");
    Run { code, json: stdout_json(&assert) }
}

fn set(items: &[(&str, &str)]) -> BTreeSet<(String, String)> {
    items.iter().map(|(c, s)| ((*c).to_owned(), (*s).to_owned())).collect()
}

fn edit(path: &Path, from: &str, to: &str) {
    let text = std::fs::read_to_string(path).unwrap();
    assert!(text.contains(from), "{} has no `{from}`", path.display());
    replace_file(path, text.replacen(from, to, 1));
}

/// Adds `new_field: string` to `test/event`'s current.yaml.
fn add_field(repo: &Path) {
    edit(
        &repo.join(EVENT).join("current.yaml"),
        "  - properties:\n",
        "  - properties:\n      new_field:\n        type: string\n",
    );
}

fn set_id(repo: &Path, id: &str) {
    edit(&repo.join(EVENT).join("current.yaml"), "$id: /test/event/1.0.0", &format!("$id: {id}"));
}

/// What `jsonschema-tools materialize jsonschema/test/event/current.yaml` does:
/// writes `<version>.yaml` (as JSON, which is YAML) and points `<version>`,
/// `latest` and `latest.yaml` at it, in the repository's form (real symlinks
/// where `latest` is one, else stub files holding the name).
fn materialize_current(repo: &Path, version: &str) {
    let dir = repo.join(EVENT);
    let current = epc::schema::yaml::load_file(&dir.join("current.yaml")).unwrap();
    let resolver = SchemaResolver::new(vec![SchemaRepository::open(repo).unwrap()], &[], false).unwrap();
    let bounds = (-9_007_199_254_740_991.0, 9_007_199_254_740_991.0);
    let value = materialize::materialize(&current, &resolver, Some(bounds)).unwrap();
    let name = format!("{version}.yaml");
    replace_file(&dir.join(&name), serde_json::to_string_pretty(&value).unwrap());
    let real = std::fs::symlink_metadata(dir.join("latest")).is_ok_and(|m| m.file_type().is_symlink());
    for link in [version, "latest", "latest.yaml"] {
        point_link(&dir.join(link), &name, real);
    }
}

#[test]
fn real_repositories_have_no_structure_failures_with_jsonschema_tools_counts() {
    let titles = ["S1", "S2", "S3", "S4", "S5", "S6", "S7", "S8", "S9", "S10"];
    let versions = ["S11", "S12", "S13", "S14", "S15", "S16"];
    let runs = schema_forms().into_iter().flat_map(|(form, schemas)| {
        let (primary, secondary) = (schemas.join("primary"), schemas.join("secondary"));
        [
            (format!("primary ({form})"), run(&primary, &[]), (53, 83)),
            (format!("secondary ({form})"), run(&secondary, &["--schema-repo", primary.to_str().unwrap()]), (149, 427)),
        ]
    });
    for (name, run, (n_titles, n_versions)) in runs {
        let counts: Vec<String> = titles.iter().chain(&versions).map(|c| format!("{c}={}", run.passed(c))).collect();
        eprintln!("{name}: structure passes {}", counts.join(" "));
        assert_eq!(run.structure_failures(), BTreeSet::new(), "{name}");
        for c in titles {
            assert_eq!(run.passed(c), n_titles, "{name} {c}");
        }
        for c in versions {
            assert_eq!(run.passed(c), n_versions, "{name} {c}");
        }
        assert_eq!(run.failures("X"), BTreeSet::new(), "{name}");
    }
}

#[test]
fn the_small_copy_and_the_fixture_repository_are_clean() {
    let fixture_repo = fixture_copy();
    let r = run(fixture_repo.path(), &[]);
    assert_eq!(r.structure_failures(), BTreeSet::new());
    assert_eq!(r.passed("S8"), 2);
    for (form, repo) in small_primaries() {
        eprintln!("form: {form}");
        let r = run(repo.path(), &[]);
        assert_eq!(r.structure_failures(), BTreeSet::new());
        assert_eq!(r.code, 0, "{:#}", r.json["summary"]);
    }
}

#[test]
fn current_not_rematerialized_fails_s8_with_a_diff() {
    for (form, repo) in small_primaries() {
        eprintln!("form: {form}");
        add_field(repo.path());
        let r = run(repo.path(), &[]);
        assert_eq!(r.code, 1);
        assert_eq!(r.structure_failures(), set(&[("S8", "test/event")]));
        let m = r.messages("S8", "test/event");
        assert!(
            m.contains("jsonschema/test/event/current.yaml#/properties/new_field: only in the materialized"),
            "{m}"
        );
        assert!(m.contains("jsonschema/test/event/1.0.0.yaml"), "{m}");
        assert!(!m.contains("[object Object]"));
    }
}

#[test]
fn version_bumped_not_materialized_fails_s7_s8_s12_s15() {
    for (form, repo) in small_primaries() {
        eprintln!("form: {form}");
        add_field(repo.path());
        set_id(repo.path(), "/test/event/1.1.0");
        let r = run(repo.path(), &[]);
        assert_eq!(r.code, 1);
        assert_eq!(
            r.structure_failures(),
            set(&[
                ("S7", "test/event"),
                ("S8", "test/event"),
                ("S12", "jsonschema/test/event/1.1.0"),
                ("S15", "jsonschema/test/event/current.yaml"),
            ])
        );
        assert!(r.messages("S7", "test/event").contains("expected jsonschema/test/event/1.1.0.yaml"));
        assert!(r.messages("S8", "test/event").contains("versions read from $id do not match"));
        assert!(r.messages("S15", "jsonschema/test/event/current.yaml").contains("#/$id: `/test/event/1.1.0`"));
    }
}

#[test]
fn bumped_and_materialized_is_clean() {
    for (form, repo) in small_primaries() {
        eprintln!("form: {form}");
        add_field(repo.path());
        set_id(repo.path(), "/test/event/1.1.0");
        materialize_current(repo.path(), "1.1.0");
        let r = run(repo.path(), &[]);
        assert_eq!(r.structure_failures(), BTreeSet::new());
        assert_eq!(r.status("S8", "test/event"), "pass");
        assert_eq!(r.status("S12", "jsonschema/test/event/1.1.0"), "pass");
    }
}

#[test]
fn id_not_matching_the_path_fails_s15_only() {
    for (form, repo) in small_primaries() {
        eprintln!("form: {form}");
        set_id(repo.path(), "/test/evnt/1.1.0");
        materialize_current(repo.path(), "1.1.0");
        let r = run(repo.path(), &[]);
        assert_eq!(r.code, 1);
        assert_eq!(r.structure_failures(), set(&[("S15", "jsonschema/test/event/1.1.0.yaml")]));
        let m = r.messages("S15", "jsonschema/test/event/1.1.0.yaml");
        assert!(m.contains("`/test/evnt/1.1.0` does not match the file's path `test/event/1.1.0.yaml`"), "{m}");
    }
}

#[test]
fn title_not_matching_the_directory_fails_s2_and_s5_and_the_rest_is_still_checked() {
    for (form, repo) in small_primaries() {
        eprintln!("form: {form}");
        edit(&repo.path().join(EVENT).join("current.yaml"), "title: test/event", "title: test/evnt");
        set_id(repo.path(), "/test/event/1.1.0");
        materialize_current(repo.path(), "1.1.0");
        let r = run(repo.path(), &[]);
        assert_eq!(r.code, 1);
        let failures = r.structure_failures();
        assert!(failures.contains(&("S2".into(), "test/evnt".into())), "{failures:?}");
        assert!(failures.contains(&("S5".into(), "test/event".into())), "{failures:?}");
        assert!(r.messages("S2", "test/evnt").contains("jsonschema/test/event/1.1.0.yaml#/title"));
        // Only the two titles of that directory fail; jsonschema-tools would have run nothing else.
        for (check, subject) in &failures {
            assert!(subject.contains("test/event") || subject.contains("test/evnt"), "{check} {subject}");
        }
        assert_eq!(r.status("S8", "fragment/common"), "pass");
        assert_eq!(r.status("S12", "jsonschema/test/event/1.0.0"), "pass");
        assert_eq!(r.status("S12", "jsonschema/test/event/1.1.0"), "pass");
        assert!(r.results().iter().any(|c| c["check"] == "S8" && c["subject"] == "test/evnt"));
    }
}

#[test]
fn latest_symlinks_missing_or_stale_fail_s9_and_s10() {
    for (form, repo) in small_primaries() {
        eprintln!("form: {form}");
        let dir = repo.path().join(EVENT);
        std::fs::remove_file(dir.join("latest")).unwrap();
        let r = run(repo.path(), &[]);
        assert_eq!(r.structure_failures(), set(&[("S10", "test/event")]));
        assert!(r.messages("S10", "test/event").contains("jsonschema/test/event/latest: does not exist"));

        replace_file(&dir.join("latest"), "0.0.3.yaml");
        let r = run(repo.path(), &[]);
        assert_eq!(r.structure_failures(), set(&[("S10", "test/event")]));
        let m = r.messages("S10", "test/event");
        assert!(
            m.contains("points to `0.0.3.yaml`, not to the latest version jsonschema/test/event/1.0.0.yaml"),
            "{m}"
        );

        replace_file(&dir.join("latest"), "1.0.0.yaml");
        replace_file(&dir.join("latest.yaml"), "0.0.2.yaml");
        let r = run(repo.path(), &[]);
        assert_eq!(r.structure_failures(), set(&[("S9", "test/event")]));
    }
}

#[test]
fn real_symlinks_stale_or_extensionless_current_are_caught() {
    let repo = fixture_copy();
    let dir = repo.path().join(EVENT);
    std::fs::remove_file(dir.join("latest")).unwrap();
    std::os::unix::fs::symlink("1.0.0.yaml", dir.join("latest")).unwrap();
    std::os::unix::fs::symlink("current.yaml", dir.join("current")).unwrap();
    let r = run(repo.path(), &[]);
    assert_eq!(r.code, 1);
    assert_eq!(r.structure_failures(), set(&[("S4", "test/event"), ("S10", "test/event")]));
    assert!(r.messages("S4", "test/event").contains("jsonschema/test/event/current: exists"));
}

#[test]
fn extensionless_current_symlink_fails_s4() {
    for (form, repo) in small_primaries() {
        eprintln!("form: {form}");
        replace_file(&repo.path().join(EVENT).join("current"), "current.yaml");
        let r = run(repo.path(), &[]);
        assert_eq!(r.code, 1);
        assert_eq!(r.structure_failures(), set(&[("S4", "test/event")]));
    }
}

#[test]
fn extensionless_version_symlink_missing_or_wrong_fails_s12() {
    for (form, repo) in small_primaries() {
        eprintln!("form: {form}");
        let dir = repo.path().join(EVENT);
        std::fs::remove_file(dir.join("1.0.0")).unwrap();
        let r = run(repo.path(), &[]);
        assert_eq!(r.code, 1);
        assert_eq!(r.structure_failures(), set(&[("S12", "jsonschema/test/event/1.0.0")]));
        assert!(r.messages("S12", "jsonschema/test/event/1.0.0").contains("does not exist"));

        replace_file(&dir.join("1.0.0"), "0.0.3.yaml");
        let r = run(repo.path(), &[]);
        assert_eq!(r.structure_failures(), set(&[("S12", "jsonschema/test/event/1.0.0")]));
        assert!(r.messages("S12", "jsonschema/test/event/1.0.0").contains("expected `1.0.0.yaml`"));
    }
}

/// A broken file is an X1 finding; every other check still runs.
#[test]
fn unloadable_files_are_x1_findings_and_the_rest_is_checked() {
    for (form, repo) in small_primaries() {
        eprintln!("form: {form}");
        let dir = repo.path().join(EVENT);
        replace_file(&dir.join("0.0.2.yaml"), "title: test/event\n$id: /test/event/0.0.2\nproperties: [unclosed\n");
        edit(&dir.join("0.0.3.yaml"), "title: test/event\n", "");
        edit(&dir.join("1.0.0.yaml"), "$id: /test/event/1.0.0\n", "");
        let r = run(repo.path(), &[]);
        assert_eq!(r.code, 1);
        assert_eq!(
            r.failures("X"),
            set(&[
                ("X1", "jsonschema/test/event/0.0.2.yaml"),
                ("X1", "jsonschema/test/event/0.0.3.yaml"),
                ("X1", "jsonschema/test/event/1.0.0.yaml"),
            ])
        );
        let yaml_error = r.results().iter().find(|c| c["subject"] == "jsonschema/test/event/0.0.2.yaml").unwrap();
        assert_eq!(yaml_error["line"], 3, "{yaml_error}");
        assert!(r.messages("X1", "jsonschema/test/event/0.0.3.yaml").contains("no `title`"));
        assert!(r.messages("X1", "jsonschema/test/event/1.0.0.yaml").contains("no `$id`"));
        // The other titles are checked as usual, and so is test/event's current file.
        assert_eq!(r.status("S8", "fragment/common"), "pass");
        assert_eq!(r.status("S12", "jsonschema/fragment/common/1.0.0"), "pass");
        assert!(r.passed("S1") >= 10, "{:#}", r.json["summary"]);
        assert_eq!(r.status("S13", "jsonschema/test/event/current.yaml"), "pass");
        assert!(r.failures("S").contains(&("S6".into(), "test/event".into())));
    }
}

#[test]
fn case_12_fails_naming_ref_bad_only() {
    let Some(case) = shared("cases/12-ref-resolution-base/repo") else { return };
    let r = run(&case, &[]);
    assert_eq!(r.code, 1);
    let failures = r.failures("");
    assert!(!failures.is_empty());
    for (check, subject) in &failures {
        assert!(subject.contains("analytics/ref_bad"), "{check} {subject}");
    }
    let m = r.messages("S8", "analytics/ref_bad");
    assert!(m.contains("current.yaml#/properties/meta/$ref"), "{m}");
    assert!(m.contains("/analytics/ref_bad/fragment/common/1.0.0"), "{m}");
    assert!(m.contains("did you mean `/fragment/common/1.0.0#/properties/meta`"), "{m}");
    assert_eq!(r.status("S8", "analytics/ref_ok"), "pass");
}

#[test]
fn exit_codes() {
    let repo = fixture_copy();
    epc().args(["validate", "--repo"]).arg(repo.path()).assert().code(0);
    std::fs::remove_file(repo.path().join(EVENT).join("1.1.0")).unwrap();
    epc().args(["validate", "--repo"]).arg(repo.path()).assert().code(1);
    let missing: PathBuf = root().join("no-such-repository");
    epc().args(["validate", "--repo"]).arg(&missing).assert().code(2);
}
