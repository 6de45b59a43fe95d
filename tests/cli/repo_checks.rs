//! `epc validate --repo`: robustness (R1–R8) and compatibility (C1) checks.
//!
//! The real repositories in `../shared/data/schemas/` pass with jsonschema-tools'
//! counts (schema-repos.md §4.3); every deliberate break of §4.3 that is a
//! robustness or compatibility failure is reproduced on a temporary copy of a
//! small repository (primary's `test/event` and fragments, or secondary's
//! `metrics_event`), with the versioned file written directly in place of
//! "bump + materialize"; the `gap-*` rows fail by default and pass with
//! `--jsonschema-tools-compat`; and case 18's six repositories give their
//! expected outcomes. Tests skip with a notice when `../shared` is absent.

use std::path::{Path, PathBuf};

use serde_json::{Value, json};
use tempfile::TempDir;

use crate::support::{copy_tree, epc, schema_forms, shared, stdout_json};

/// The outcome of one run: its exit code and its result records.
struct Run {
    code: i32,
    results: Vec<Value>,
    summary: Value,
}

impl Run {
    /// The failed robustness and compatibility cases (structure is another file's concern).
    fn rc_failures(&self) -> Vec<&Value> {
        self.results
            .iter()
            .filter(|r| r["status"] == "fail" && r["check"].as_str().is_some_and(|c| c.starts_with('R') || c == "C1"))
            .collect()
    }

    /// `(check, subject)` of each robustness or compatibility failure, sorted.
    fn failed(&self) -> Vec<(String, String)> {
        let mut v: Vec<(String, String)> = self
            .rc_failures()
            .iter()
            .map(|r| (r["check"].as_str().unwrap().to_owned(), r["subject"].as_str().unwrap().to_owned()))
            .collect();
        v.sort();
        v
    }

    /// Every message of the failures of `check`, joined.
    fn messages(&self, check: &str) -> String {
        self.rc_failures()
            .iter()
            .filter(|r| r["check"] == check)
            .flat_map(|r| r["messages"].as_array().unwrap().iter().map(|m| m.as_str().unwrap().to_owned()))
            .collect::<Vec<_>>()
            .join("\n")
    }

    /// `(pass, fail, skip)` of one check in the summary.
    fn counts(&self, check: &str) -> (u64, u64, u64) {
        let c = &self.summary["checks"][check];
        let n = |k: &str| c[k].as_u64().unwrap_or(0);
        (n("pass"), n("fail"), n("skip"))
    }
}

/// `epc validate --repo DIR --format json ARGS…`.
fn check_repo(dir: &Path, args: &[&str]) -> Run {
    let mut cmd = epc();
    cmd.arg("validate").arg("--repo").arg(dir).args(["--format", "json"]).args(args);
    let assert = cmd.assert();
    let code = assert.get_output().status.code().expect("an exit code");
    let doc = stdout_json(&assert);
    Run { code, results: doc["results"].as_array().expect("results").clone(), summary: doc["summary"].clone() }
}

/// A small repository: `from`'s config and the listed folders under `jsonschema/`.
fn small_repo(from: &Path, dirs: &[&str]) -> TempDir {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::copy(from.join(".jsonschema-tools.yaml"), tmp.path().join(".jsonschema-tools.yaml")).unwrap();
    for d in dirs {
        copy_tree(&from.join("jsonschema").join(d), &tmp.path().join("jsonschema").join(d));
    }
    tmp
}

/// A copy of primary's `test/event` and `fragment/` (None when `../shared` is absent).
fn primary_copy() -> Option<TempDir> {
    let primary = shared("data/schemas/primary")?;
    Some(small_repo(&primary, &["test/event", "fragment"]))
}

/// A copy of secondary's `metrics_event` (its fragments are already inlined in the versioned files).
fn metrics_event_copy() -> Option<TempDir> {
    let secondary = shared("data/schemas/secondary")?;
    Some(small_repo(&secondary, &["analytics/mediawiki/client/metrics_event"]))
}

fn replace_symlink(target: &str, link: &Path) {
    let _ = std::fs::remove_file(link);
    std::os::unix::fs::symlink(target, link).unwrap();
}

/// "Bump + materialize" done by hand: `title_dir/<from>.yaml` edited by
/// `edit`, with `$id` and each example's `$schema` set to the new version,
/// written as `<to>.yaml` (JSON is YAML) and as `current.yaml`, with the
/// version, `latest` and `latest.yaml` symlinks pointing at it.
fn bump(repo: &Path, title: &str, from: &str, to: &str, edit: impl FnOnce(&mut Value)) -> PathBuf {
    let dir = repo.join("jsonschema").join(title);
    let mut schema = epc::schema::yaml::load_file(&dir.join(format!("{from}.yaml"))).unwrap();
    let id = format!("/{title}/{to}");
    schema["$id"] = json!(id);
    for example in schema["examples"].as_array_mut().into_iter().flatten() {
        example["$schema"] = json!(id);
    }
    edit(&mut schema);
    let text = serde_json::to_string_pretty(&schema).unwrap() + "\n";
    let file = format!("{to}.yaml");
    std::fs::write(dir.join(&file), &text).unwrap();
    let _ = std::fs::remove_file(dir.join("current.yaml"));
    std::fs::write(dir.join("current.yaml"), &text).unwrap();
    replace_symlink(&file, &dir.join(to));
    replace_symlink(&file, &dir.join("latest"));
    replace_symlink(&file, &dir.join("latest.yaml"));
    dir
}

/// A `test/event` break: bump to `to`, run in default mode.
fn test_event_break(to: &str, edit: impl FnOnce(&mut Value)) -> Option<(TempDir, Run)> {
    let repo = primary_copy()?;
    bump(repo.path(), "test/event", "1.0.0", to, edit);
    let run = check_repo(repo.path(), &[]);
    Some((repo, run))
}

/// An integer field as materialization leaves it (with the enforced bounds).
fn integer() -> Value {
    json!({"type": "integer", "default": 0, "minimum": -9_007_199_254_740_991_i64, "maximum": 9_007_199_254_740_991_i64})
}

fn prop(schema: &mut Value, name: &str, value: Value) {
    schema["properties"][name] = value;
}

const V110: &str = "jsonschema/test/event/1.1.0.yaml";
const CURRENT: &str = "jsonschema/test/event/current.yaml";
const TEST_EVENT_PAIR: &str = "test/event 1.0.0 → 1.1.0";

fn pair(check: &str, subject: &str) -> (String, String) {
    (check.to_owned(), subject.to_owned())
}

#[test]
fn primary_passes_with_jsonschema_tools_counts() {
    let forms = schema_forms();
    let runs = forms.iter().flat_map(|(form, schemas)| {
        [&[][..], &["--jsonschema-tools-compat"][..]]
            .map(|args| ((form, args), check_repo(&schemas.join("primary"), args)))
    });
    for (args, run) in runs {
        assert_eq!(run.failed(), [], "{args:?}");
        // schema-repos.md §4.3, "primary" column: passing / pending.
        let expected = [
            ("R1", 83, 0),
            ("R2", 136, 0),
            ("R3", 136, 0),
            ("R4", 76, 7),
            ("R5", 83, 0),
            ("R6", 62, 0),
            ("R7", 76, 0),
            ("R8", 82, 1),
            ("C1", 11, 4),
        ];
        for (check, pass, skip) in expected {
            assert_eq!(run.counts(check), (pass, 0, skip), "{check} {args:?}");
        }
    }
}

#[test]
fn secondary_passes_with_jsonschema_tools_counts() {
    for (form, schemas) in schema_forms() {
        let (secondary, primary) = (schemas.join("secondary"), schemas.join("primary").display().to_string());
        for args in [
            &["--schema-repo", primary.as_str()][..],
            &["--schema-repo", primary.as_str(), "--jsonschema-tools-compat"][..],
        ] {
            let run = check_repo(&secondary, args);
            let args = (form, args);
            assert_eq!(run.failed(), [], "{args:?}");
            // schema-repos.md §4.3, "secondary-local" column: passing / pending.
            let expected = [
                ("R1", 427, 0),
                ("R2", 576, 0),
                ("R3", 321, 255),
                ("R4", 421, 6),
                ("R5", 420, 7),
                ("R6", 409, 0),
                ("R7", 423, 0),
                ("R8", 423, 4),
                ("C1", 229, 22),
            ];
            for (check, pass, skip) in expected {
                assert_eq!(run.counts(check), (pass, 0, skip), "{check} {args:?}");
            }
            // A skip names the rule that skips it.
            let skip = run
                .results
                .iter()
                .find(|r| r["check"] == "R3" && r["status"] == "skip")
                .expect("legacy schemas skip snake_case");
            assert!(skip["messages"][0].as_str().unwrap().contains("/analytics/legacy/.*"), "{skip}");
            assert_eq!(skip["skip_name"], "schema-snake-case-properties");
        }
    }
}

#[test]
fn ok_add_optional_field() {
    let Some((_repo, run)) = test_event_break("1.1.0", |s| prop(s, "new_field", json!({"type": "string"}))) else {
        return;
    };
    assert_eq!(run.failed(), []);
    let compared =
        run.results.iter().any(|r| r["check"] == "C1" && r["subject"] == TEST_EVENT_PAIR && r["status"] == "pass");
    assert!(compared, "1.1.0 is compared with 1.0.0 and passes");
    let failures: Vec<&Value> = run.results.iter().filter(|r| r["status"] == "fail").collect();
    assert_eq!((run.code, failures.len()), (0, 0), "a clean bump passes every check: {failures:?}");
}

#[test]
fn ok_major_bump_type_change() {
    let Some((_repo, run)) = test_event_break("2.0.0", |s| {
        s["properties"]["test"] = integer();
        s["examples"][0]["test"] = json!(1);
    }) else {
        return;
    };
    assert_eq!(run.failed(), [], "majors are not compared");
    let failures: Vec<&Value> = run.results.iter().filter(|r| r["status"] == "fail").collect();
    assert_eq!((run.code, failures.len()), (0, 0), "a clean major bump passes every check: {failures:?}");
}

#[test]
fn non_snake_case_field() {
    let Some((_repo, run)) = test_event_break("1.1.0", |s| prop(s, "testCamel", json!({"type": "string"}))) else {
        return;
    };
    assert_eq!(run.failed(), [pair("R3", V110), pair("R3", CURRENT)]);
    let m = run.messages("R3");
    assert!(m.contains(&format!("{V110}: /properties/testCamel: property `testCamel` is not snake_case")), "{m}");
    assert!(!m.contains("[object Object]"), "{m}");
    let r = run.rc_failures()[0];
    assert_eq!(r["skip_name"], "schema-snake-case-properties");
}

#[test]
fn incompatible_type_change() {
    let Some((_repo, run)) = test_event_break("1.1.0", |s| {
        s["properties"]["test"] = integer();
        s["examples"][0]["test"] = json!(1);
    }) else {
        return;
    };
    assert_eq!(run.failed(), [pair("C1", TEST_EVENT_PAIR)]);
    let m = run.messages("C1");
    assert!(m.contains("test/event 1.0.0 → 1.1.0"), "{m}");
    assert!(m.contains(r#"/properties/test/type: changed from "string" to "integer""#), "{m}");
    assert_eq!(run.code, 1);
}

#[test]
fn field_removed_in_minor() {
    let Some((_repo, run)) = test_event_break("1.1.0", |s| {
        s["properties"].as_object_mut().unwrap().remove("test_map");
        s["examples"][0].as_object_mut().unwrap().remove("test_map");
    }) else {
        return;
    };
    assert_eq!(run.failed(), [pair("C1", TEST_EVENT_PAIR)]);
    assert!(run.messages("C1").contains("/properties/test_map: removed"), "{}", run.messages("C1"));
}

#[test]
fn new_required_field() {
    let Some((_repo, run)) = test_event_break("1.1.0", |s| s["required"] = json!(["$schema", "meta", "test"])) else {
        return;
    };
    assert_eq!(run.failed(), [pair("C1", TEST_EVENT_PAIR)]);
    let m = run.messages("C1");
    assert!(m.contains("/required: requiredness changed") && m.contains("\"test\""), "{m}");
}

#[test]
fn enum_value_removed() {
    let Some(repo) = metrics_event_copy() else { return };
    let title = "analytics/mediawiki/client/metrics_event";
    bump(repo.path(), title, "2.1.1", "2.1.2", |s| {
        let platforms = s.pointer_mut("/properties/agent/properties/client_platform/enum").unwrap();
        platforms.as_array_mut().unwrap().retain(|v| v != "ios");
    });
    for args in [&[][..], &["--jsonschema-tools-compat"][..]] {
        let run = check_repo(repo.path(), args);
        assert_eq!(run.failed(), [pair("C1", &format!("{title} 2.1.1 → 2.1.2"))], "{args:?}");
        let m = run.messages("C1");
        assert!(m.contains("/properties/agent/properties/client_platform: the enum is not a superset"), "{m}");
        assert!(m.contains(r#"removed "ios""#), "{m}");
    }
}

#[test]
fn example_does_not_validate() {
    let Some((_repo, run)) = test_event_break("1.1.0", |s| s["examples"][0]["test"] = json!(123)) else { return };
    assert_eq!(run.failed(), [pair("R7", V110)]);
    let m = run.messages("R7");
    assert!(m.contains(&format!("{V110}: /examples/0: example 0 does not validate")) && m.contains("/test"), "{m}");
}

#[test]
fn example_schema_mismatch() {
    let Some((_repo, run)) = test_event_break("1.1.0", |s| s["examples"][0]["$schema"] = json!("/test/event/0.0.1"))
    else {
        return;
    };
    assert_eq!(run.failed(), [pair("R6", V110)]);
    let m = run.messages("R6");
    assert!(
        m.contains("/examples/0/$schema") && m.contains("/test/event/0.0.1") && m.contains("/test/event/1.1.0"),
        "{m}"
    );
}

/// The deterministic-types rows: one new property each, R4 on 1.1.0 only.
#[test]
fn deterministic_types_breaks() {
    let rows = [
        ("test2", json!({"type": ["string", "null"]}), "polymorphic type"),
        ("test3", json!({"type": "string", "enum": ["a", null]}), "enum has a null value"),
        ("test4", json!({"type": "array"}), "array type must specify `items.type`"),
        ("test5", json!({"type": "object"}), "object type must specify `properties` or `additionalProperties`"),
        ("test6", json!({"description": "no type"}), "missing type"),
    ];
    for (name, schema, text) in rows {
        let Some((_repo, run)) = test_event_break("1.1.0", |s| prop(s, name, schema.clone())) else { return };
        assert_eq!(run.failed(), [pair("R4", V110)], "{name}");
        let m = run.messages("R4");
        assert!(m.contains(&format!("{V110}: /properties/{name}: {text}")), "{name}: {m}");
    }
}

#[test]
fn required_property_missing() {
    let Some((_repo, run)) = test_event_break("1.1.0", |s| {
        prop(s, "test_obj", json!({"type": "object", "required": ["b"], "properties": {"a": {"type": "string"}}}));
    }) else {
        return;
    };
    assert_eq!(run.failed(), [pair("R5", V110)]);
    let m = run.messages("R5");
    assert!(m.contains(&format!("{V110}: /properties/test_obj/properties/b: is required but does not exist")), "{m}");
}

#[test]
fn insecure_format_no_maxlength() {
    let Some((_repo, run)) =
        test_event_break("1.1.0", |s| prop(s, "test7", json!({"type": "string", "format": "uri"})))
    else {
        return;
    };
    assert_eq!(run.failed(), [pair("R2", V110), pair("R2", CURRENT)]);
    let m = run.messages("R2");
    assert!(m.contains(&format!("{CURRENT}: /properties/test7: `format` without `maxLength`")), "{m}");
}

#[test]
fn invalid_draft07_type() {
    let Some((_repo, run)) = test_event_break("1.1.0", |s| prop(s, "test8", json!({"type": "strng"}))) else { return };
    // As jsonschema-tools: the schema is invalid, and its examples cannot be checked.
    assert_eq!(run.failed(), [pair("R1", V110), pair("R7", V110)]);
    assert!(
        run.messages("R1").contains(&format!("{V110}: /properties/test8/type: not valid draft-07")),
        "{}",
        run.messages("R1")
    );
    assert!(run.messages("R7").contains("does not compile"), "{}", run.messages("R7"));
}

#[test]
fn numeric_bound_too_large() {
    let Some((_repo, run)) = test_event_break("1.1.0", |s| {
        prop(
            s,
            "count",
            json!({"type": "integer", "minimum": -9_007_199_254_740_991_i64, "maximum": 10_000_000_000_000_000_u64}),
        );
    }) else {
        return;
    };
    assert_eq!(run.failed(), [pair("R8", V110)]);
    let m = run.messages("R8");
    assert!(m.contains("/properties/count/maximum") && m.contains("9007199254740991"), "{m}");
    assert_eq!(run.rc_failures()[0]["skip_name"], "schema-enforced-numeric-bounds");
}

/// A `gap-*` row: caught by default, not with `--jsonschema-tools-compat`.
fn gap(repo: &TempDir, expected: &[(String, String)], check: &str, text: &str) {
    let strict = check_repo(repo.path(), &[]);
    assert_eq!(strict.failed(), expected);
    assert!(strict.messages(check).contains(text), "{}", strict.messages(check));
    assert_eq!(strict.code, 1);
    let compat = check_repo(repo.path(), &["--jsonschema-tools-compat"]);
    assert_eq!(compat.failed(), [], "jsonschema-tools 1.3.0 misses this");
}

#[test]
fn gap_camelcase_inside_array_items() {
    let Some(repo) = primary_copy() else { return };
    bump(repo.path(), "test/event", "1.0.0", "1.1.0", |s| {
        let item = json!({"type": "object", "properties": {"camelCase": {"type": "string"}}});
        prop(s, "list", json!({"type": "array", "items": item}));
    });
    gap(&repo, &[pair("R3", V110), pair("R3", CURRENT)], "R3", "/properties/list/items/properties/camelCase");
}

#[test]
fn gap_map_additionalproperties_true() {
    let Some(repo) = primary_copy() else { return };
    bump(repo.path(), "test/event", "1.0.0", "1.1.0", |s| {
        prop(s, "test9", json!({"type": "object", "additionalProperties": true}));
    });
    gap(&repo, &[pair("R4", V110)], "R4", "/properties/test9/additionalProperties: `additionalProperties: true`");
}

#[test]
fn gap_enum_added_to_existing_field() {
    let Some(repo) = primary_copy() else { return };
    bump(repo.path(), "test/event", "1.0.0", "1.1.0", |s| {
        s["properties"]["test"]["enum"] = json!(["a", "b"]);
        s["examples"][0]["test"] = json!("a");
    });
    gap(&repo, &[pair("C1", TEST_EVENT_PAIR)], "C1", "/properties/test/enum: `enum` [\"a\",\"b\"] added");
}

#[test]
fn gap_maxlength_changed() {
    let Some(repo) = metrics_event_copy() else { return };
    let title = "analytics/mediawiki/client/metrics_event";
    bump(repo.path(), title, "2.1.1", "2.1.2", |s| s["properties"]["name"]["maxLength"] = json!(64));
    gap(
        &repo,
        &[pair("C1", &format!("{title} 2.1.1 → 2.1.2"))],
        "C1",
        "/properties/name/maxLength: `maxLength` decreased from 128 to 64",
    );
}

#[test]
fn narrowing_bounds_and_required_in_default_mode() {
    let Some(repo) = primary_copy() else { return };
    bump(repo.path(), "test/event", "1.0.0", "1.1.0", |s| {
        s["properties"]["test"]["pattern"] = json!("^[a-z ]+$");
        s["properties"]["test"]["maxLength"] = json!(100);
        s["properties"]["test"]["minLength"] = json!(1);
        s["properties"]["meta"]["properties"]["domain"]["maxLength"] = json!(255);
        s["properties"]["test_map"]["properties"] = json!({"key1": {"type": "string"}});
        s["properties"]["test_map"]["required"] = json!(["key1"]);
    });
    let strict = check_repo(repo.path(), &[]);
    let m = strict.messages("C1");
    for p in [
        "/properties/test/pattern",
        "/properties/test/maxLength",
        "/properties/test/minLength",
        "/properties/meta/properties/domain/maxLength",
        "/properties/test_map/required",
    ] {
        assert!(m.contains(&format!("{p}: ")), "{p} in {m}");
    }
    assert_eq!(check_repo(repo.path(), &["--jsonschema-tools-compat"]).failed(), []);
}

#[test]
fn skip_names_turn_failures_into_skips() {
    let Some(repo) = primary_copy() else { return };
    bump(repo.path(), "test/event", "1.0.0", "1.1.0", |s| {
        prop(s, "testCamel", json!({"type": "string"}));
        s["properties"].as_object_mut().unwrap().remove("test_map");
    });
    let config = repo.path().join(".jsonschema-tools.yaml");
    let mut text = std::fs::read_to_string(&config).unwrap();
    text.push_str("  'test/event/1.1':\n    - schema-snake-case-properties\n    - schema-version-compatibility\n");
    std::fs::write(&config, text).unwrap();
    let run = check_repo(repo.path(), &[]);
    assert_eq!(run.failed(), []);
    let skipped: Vec<(&str, &str)> = run
        .results
        .iter()
        .filter(|r| r["status"] == "skip" && r["subject"].as_str().unwrap().contains("test/event"))
        .map(|r| (r["check"].as_str().unwrap(), r["subject"].as_str().unwrap()))
        .collect();
    assert_eq!(skipped, [("R3", V110), ("R3", CURRENT), ("C1", TEST_EVENT_PAIR)]);
}

/// Case 18: each repository's expected outcome, with the title, both versions
/// and the JSON pointer in the message.
#[test]
fn case_18_compat_minor_change() {
    let Some(case) = shared("cases/18-repo-compat-minor-change") else { return };
    let pair = "analytics/article_share 1.0.0 → 1.1.0";
    let rows: [(&str, Option<&str>); 6] = [
        ("repo-minor-removes-field", Some("/properties/referrer: removed")),
        (
            "repo-minor-adds-required",
            Some("/required: requiredness changed within a major version: now required: [\"share_target\"]"),
        ),
        (
            "repo-minor-shrinks-enum",
            Some("/properties/share_target: the enum is not a superset of the old enum: removed \"social\""),
        ),
        ("repo-minor-changes-type", Some("/properties/referrer/type: changed from \"string\" to \"object\"")),
        ("repo-minor-compatible", None),
        ("repo-major-removes-field", None),
    ];
    for (dir, expected) in rows {
        for args in [&[][..], &["--jsonschema-tools-compat"][..]] {
            let run = check_repo(&case.join(dir), args);
            match expected {
                Some(text) => {
                    assert_eq!(run.code, 1, "{dir} {args:?}");
                    assert_eq!(run.failed(), [("C1".to_owned(), pair.to_owned())], "{dir} {args:?}");
                    let m = run.messages("C1");
                    assert!(
                        m.starts_with(&format!("{pair} (jsonschema/analytics/article_share/1.1.0.yaml): {text}")),
                        "{dir}: {m}"
                    );
                }
                None => {
                    assert_eq!(
                        run.code,
                        0,
                        "{dir} {args:?}: {:?}",
                        run.results.iter().filter(|r| r["status"] == "fail").collect::<Vec<_>>()
                    );
                    assert_eq!(run.failed(), [], "{dir} {args:?}");
                }
            }
        }
    }
}
