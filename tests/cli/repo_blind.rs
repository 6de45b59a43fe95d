//! `epc validate --repo`: the blind spots of issue 12, each made on a
//! temporary copy of primary's config, `test/event` and `fragment/` in the
//! real-symlink form (`../shared/data/schemas-symlinked.tar.gz`). Each fails
//! in default (strict) mode with exit code 1, exactly the expected finding
//! (check, subject and message), and passes with `--jsonschema-tools-compat`
//! (exit 0), except S12's stub and copy, which jsonschema-tools 1.3.0 fails
//! too.

use std::path::Path;

use serde_json::{Value, json};
use tempfile::TempDir;

use crate::support::{copy_tree, epc, git, stdout_json, symlinked_schemas};

const EVENT: &str = "jsonschema/test/event";
const V110: &str = "jsonschema/test/event/1.1.0.yaml";
const CURRENT: &str = "jsonschema/test/event/current.yaml";

/// The exit code and every failed case as `(check, subject, messages)`.
struct Run {
    code: i32,
    failures: Vec<(String, String, Vec<String>)>,
    summary: Value,
}

fn check_repo(dir: &Path, args: &[&str]) -> Run {
    let assert = epc().args(["validate", "--repo"]).arg(dir).args(["--format", "json"]).args(args).assert();
    let code = assert.get_output().status.code().expect("an exit code");
    let doc = stdout_json(&assert);
    let failures = doc["results"]
        .as_array()
        .expect("results")
        .iter()
        .filter(|r| r["status"] == "fail")
        .map(|r| {
            let messages = r["messages"].as_array().unwrap().iter().map(|m| m.as_str().unwrap().to_owned()).collect();
            (r["check"].as_str().unwrap().to_owned(), r["subject"].as_str().unwrap().to_owned(), messages)
        })
        .collect();
    Run { code, failures, summary: doc["summary"].clone() }
}

fn failure(check: &str, subject: &str, messages: &[&str]) -> (String, String, Vec<String>) {
    (check.to_owned(), subject.to_owned(), messages.iter().map(|m| (*m).to_owned()).collect())
}

/// Primary's config, `test/event` and `fragment/`, real symlinks.
fn small_primary() -> TempDir {
    let primary = symlinked_schemas().join("primary");
    let tmp = tempfile::tempdir().unwrap();
    std::fs::copy(primary.join(".jsonschema-tools.yaml"), tmp.path().join(".jsonschema-tools.yaml")).unwrap();
    for d in ["jsonschema/test/event", "jsonschema/fragment"] {
        copy_tree(&primary.join(d), &tmp.path().join(d));
    }
    tmp
}

fn replace_symlink(target: &str, link: &Path) {
    let _ = std::fs::remove_file(link);
    std::os::unix::fs::symlink(target, link).unwrap();
}

/// "Bump + materialize" by hand: `test/event/1.0.0.yaml` edited by `edit`
/// with `$id` (and each example's `$schema`) set to `id`, written as
/// `<to>.yaml` (JSON is YAML) and as `current.yaml`, with the `<to>`,
/// `latest` and `latest.yaml` symlinks pointing at it.
fn bump(repo: &Path, to: &str, id: &str, edit: impl FnOnce(&mut Value)) {
    let dir = repo.join(EVENT);
    let mut schema = epc::schema::yaml::load_file(&dir.join("1.0.0.yaml")).unwrap();
    schema["$id"] = json!(id);
    for example in schema["examples"].as_array_mut().into_iter().flatten() {
        example["$schema"] = json!(id);
    }
    edit(&mut schema);
    let text = serde_json::to_string_pretty(&schema).unwrap() + "\n";
    let file = format!("{to}.yaml");
    std::fs::write(dir.join(&file), &text).unwrap();
    std::fs::write(dir.join("current.yaml"), &text).unwrap();
    for link in [to, "latest", "latest.yaml"] {
        replace_symlink(&file, &dir.join(link));
    }
}

/// The strict run fails with exactly `expected`; the compat run passes.
#[track_caller]
fn strict_only(repo: &Path, expected: &[(String, String, Vec<String>)]) {
    let strict = check_repo(repo, &[]);
    assert_eq!(strict.failures, expected);
    assert_eq!(strict.code, 1);
    let compat = check_repo(repo, &["--jsonschema-tools-compat"]);
    assert_eq!((compat.code, compat.failures), (0, vec![]), "jsonschema-tools 1.3.0 misses this");
}

#[test]
fn the_small_copy_is_clean_in_both_modes() {
    let repo = small_primary();
    for args in [&[][..], &["--jsonschema-tools-compat"][..]] {
        let run = check_repo(repo.path(), args);
        assert_eq!((run.code, run.failures), (0, vec![]), "{args:?}");
    }
    // The new checks ran in strict mode only: 48 files, 31 of them versioned.
    let strict = check_repo(repo.path(), &[]);
    let count = |c: &str| strict.summary["checks"][c]["pass"].as_u64().unwrap_or(0);
    assert_eq!([count("R9"), count("R10"), count("R11"), count("S17")], [48, 48, 31, 31]);
    let compat = check_repo(repo.path(), &["--jsonschema-tools-compat"]);
    for c in ["R9", "R10", "R11", "S17", "S18"] {
        assert!(compat.summary["checks"][c].is_null(), "{c} runs in compat mode: {}", compat.summary);
    }
}

/// S12: a git symlink stub (a plain file holding `1.0.0.yaml`) or a copy of
/// the file is not a symlink. jsonschema-tools fails both, so compat does too.
#[test]
fn s12_stub_or_copy_fails_in_both_modes() {
    let repo = small_primary();
    let link = repo.path().join(EVENT).join("1.0.0");
    std::fs::remove_file(&link).unwrap();
    std::fs::write(&link, "1.0.0.yaml").unwrap();
    let stub = failure(
        "S12",
        "jsonschema/test/event/1.0.0",
        &["S12 jsonschema/test/event/1.0.0: is a plain file holding `1.0.0.yaml` (a git symlink stub, as a checkout \
           with core.symlinks=false writes it), not a symlink; deployed, it serves that text instead of the schema: \
           it must be a symlink to `1.0.0.yaml`"],
    );
    for args in [&[][..], &["--jsonschema-tools-compat"][..]] {
        let run = check_repo(repo.path(), args);
        assert_eq!((run.code, &run.failures), (1, &vec![stub.clone()]), "{args:?}");
    }
    std::fs::copy(repo.path().join(EVENT).join("1.0.0.yaml"), &link).unwrap();
    let copy = failure(
        "S12",
        "jsonschema/test/event/1.0.0",
        &["S12 jsonschema/test/event/1.0.0: is not a symlink; it must be a symlink to `1.0.0.yaml`"],
    );
    for args in [&[][..], &["--jsonschema-tools-compat"][..]] {
        let run = check_repo(repo.path(), args);
        assert_eq!((run.code, &run.failures), (1, &vec![copy.clone()]), "{args:?}");
    }
}

/// R9: a misspelled keyword removes the limit silently; the finding names
/// the nearest keyword. In the new version and in current.yaml.
#[test]
fn r9_unknown_keywords_with_did_you_mean() {
    let repo = small_primary();
    bump(repo.path(), "1.1.0", "/test/event/1.1.0", |s| {
        s["properties"]["test"]["mexLength"] = json!(128);
        s["properties"]["count"] = json!({
            "type": "integer", "minimun": 0, "minimum": -9_007_199_254_740_991_i64,
            "maximum": 9_007_199_254_740_991_i64, "frobnicate": true
        });
    });
    let messages = |file: &str| {
        vec![
            format!(
                "{file}: /properties/test/mexLength: unknown keyword `mexLength` (did you mean `maxLength`?): \
                 validators ignore it, so it constrains nothing"
            ),
            format!(
                "{file}: /properties/count/minimun: unknown keyword `minimun` (did you mean `minimum`?): validators \
                 ignore it, so it constrains nothing"
            ),
            format!(
                "{file}: /properties/count/frobnicate: unknown keyword `frobnicate`: validators ignore it, so it \
                 constrains nothing"
            ),
        ]
    };
    let expected =
        [("R9".to_owned(), V110.to_owned(), messages(V110)), ("R9".to_owned(), CURRENT.to_owned(), messages(CURRENT))];
    strict_only(repo.path(), &expected);
}

/// R10: a draft-04 `$schema` in a new major.
#[test]
fn r10_schema_other_than_draft_07() {
    let repo = small_primary();
    bump(repo.path(), "2.0.0", "/test/event/2.0.0", |s| {
        s["$schema"] = json!("http://json-schema.org/draft-04/schema#")
    });
    let message = |file: &str| {
        format!(
            "{file}: /$schema: `$schema` is \"http://json-schema.org/draft-04/schema#\", not draft-07 \
             (`https://json-schema.org/draft-07/schema#`): EventGate and jsonschema-tools compile draft-07 only"
        )
    };
    let v200 = "jsonschema/test/event/2.0.0.yaml";
    strict_only(repo.path(), &[failure("R10", v200, &[&message(v200)]), failure("R10", CURRENT, &[&message(CURRENT)])]);
}

/// R11: a `default` of the wrong type (EventGate would write it into events).
#[test]
fn r11_default_of_the_wrong_type() {
    let repo = small_primary();
    bump(repo.path(), "1.1.0", "/test/event/1.1.0", |s| {
        s["properties"]["test_default"] = json!({"type": "string", "default": 123});
    });
    strict_only(
        repo.path(),
        &[failure(
            "R11",
            V110,
            &[
                "jsonschema/test/event/1.1.0.yaml: /properties/test_default/default: `default` 123 does not validate against \
               its own schema (EventGate writes it into events): (root): 123 is not of type \"string\"",
            ],
        )],
    );
}

/// S17: an `$id` that S15 accepts (a substring of the path) but that
/// resolves elsewhere, as primary's `development/webrequest` has.
#[test]
fn s17_id_that_does_not_resolve_to_its_file() {
    let repo = small_primary();
    bump(repo.path(), "1.1.0", "/event/1.1.0", |_| {});
    let message = |file: &str| {
        format!(
            "S17 {file}#/$id: `/event/1.1.0` resolves to `jsonschema/event/1.1.0`, not to this file: expected \
             `/test/event/1.1.0` (a schema must be reachable at its own $id)"
        )
    };
    // current.yaml is checked only where its version has no file (S15 as jsonschema-tools).
    strict_only(repo.path(), &[failure("S17", V110, &[&message(V110)])]);
}

/// S17 on the real primary's `development/webrequest`, and its skip name.
#[test]
fn s17_real_development_webrequest_and_its_skip_name() {
    let primary = symlinked_schemas().join("primary");
    let repo = tempfile::tempdir().unwrap();
    std::fs::copy(primary.join(".jsonschema-tools.yaml"), repo.path().join(".jsonschema-tools.yaml")).unwrap();
    for d in ["jsonschema/development/webrequest", "jsonschema/fragment"] {
        copy_tree(&primary.join(d), &repo.path().join(d));
    }
    let file = "jsonschema/development/webrequest/1.0.0.yaml";
    let message = |f: &str| {
        format!(
            "S17 {f}#/$id: `/webrequest/1.0.0` resolves to `jsonschema/webrequest/1.0.0`, not to this file: expected \
             `/development/webrequest/1.0.0` (a schema must be reachable at its own $id)"
        )
    };
    strict_only(repo.path(), &[failure("S17", file, &[&message(file)])]);
    // A published exception, recorded with the skip name.
    let config = repo.path().join(".jsonschema-tools.yaml");
    let mut perms = std::fs::metadata(&config).unwrap().permissions();
    #[allow(clippy::permissions_set_readonly_false)]
    perms.set_readonly(false);
    std::fs::set_permissions(&config, perms).unwrap();
    let mut text = std::fs::read_to_string(&config).unwrap();
    text.push_str("  '^/webrequest/1\\.0\\.0$':\n    - schema-id-resolves-to-file\n");
    std::fs::write(&config, text).unwrap();
    let run = check_repo(repo.path(), &[]);
    assert_eq!((run.code, run.failures), (0, vec![]));
    assert_eq!(run.summary["checks"]["S17"]["skip"], 1, "{}", run.summary);
}

/// S18 (`--since REV`): a published version edited in place, whether only
/// in the working tree or committed after REV; a new version passes.
#[test]
fn s18_published_version_changed_since_rev() {
    let repo = small_primary();
    let dir = repo.path();
    git(dir, &["init", "-q"]);
    git(dir, &["add", "-A"]);
    git(dir, &["commit", "-q", "-m", "published"]);
    let old = dir.join(EVENT).join("0.0.3.yaml");
    let text = std::fs::read_to_string(&old).unwrap();
    assert!(text.contains("description: Schema used for simple tests"), "{text}");
    std::fs::write(&old, text.replacen("description: Schema used for simple tests", "description: Edited in place", 1))
        .unwrap();
    let message = "S18 jsonschema/test/event/0.0.3.yaml: modified since `HEAD`; a published version must not change \
                   (materialize a new version instead)";
    let run = check_repo(dir, &["--since", "HEAD"]);
    assert_eq!((run.code, run.failures), (1, vec![failure("S18", "jsonschema/test/event/0.0.3.yaml", &[message])]));
    // 31 published version files in the copy: 30 pass.
    assert_eq!(run.summary["checks"]["S18"]["pass"], 30, "{}", run.summary);
    // Committed after REV: the same finding.
    git(dir, &["commit", "-q", "-am", "edit a published version"]);
    let run = check_repo(dir, &["--since", "HEAD~1"]);
    let message = message.replace("`HEAD`", "`HEAD~1`");
    assert_eq!((run.code, run.failures), (1, vec![failure("S18", "jsonschema/test/event/0.0.3.yaml", &[&message])]));
    // Since the edit: nothing changed. A new version (untracked, then added) is not a change.
    bump(dir, "1.1.0", "/test/event/1.1.0", |s| s["properties"]["new_field"] = json!({"type": "string"}));
    let run = check_repo(dir, &["--since", "HEAD"]);
    assert_eq!((run.code, &run.failures), (0, &vec![]));
    git(dir, &["add", "-A"]);
    let run = check_repo(dir, &["--since", "HEAD"]);
    assert_eq!((run.code, &run.failures), (0, &vec![]));
    // jsonschema-tools has no such check: compat passes, and refuses --since.
    let compat = check_repo(dir, &["--jsonschema-tools-compat"]);
    assert_eq!((compat.code, compat.failures), (0, vec![]));
    epc().args(["validate", "--jsonschema-tools-compat", "--since", "HEAD", "--repo"]).arg(dir).assert().code(2);
    // A revision that is not a commit, or a folder outside git, is an error (exit 2).
    let out = epc().args(["validate", "--since", "no-such-rev", "--repo"]).arg(dir).assert().code(2);
    let stderr = String::from_utf8_lossy(&out.get_output().stderr).into_owned();
    assert!(stderr.contains("--since no-such-rev: not a commit in the git repository of"), "{stderr}");
}

/// The findings of default (strict) mode on the real primary (real-symlink
/// form): `development/webrequest/1.0.0.yaml` has `$id: /webrequest/1.0.0`.
pub(crate) const PRIMARY_STRICT_FINDINGS: [(&str, &str); 1] = [("S17", "jsonschema/development/webrequest/1.0.0.yaml")];

/// The R9 findings of default mode on the real secondary (real-symlink form,
/// primary local): each file under `jsonschema/` and the JSON pointers of its
/// unknown keywords. Published versions with `mexLength`, `maxiumum`,
/// `descriptions` and `descripotion`; a mis-indented folded `description`
/// whose lines became keys (`ios_talk_page_interaction`); an example's `off`
/// read as a keyword under a property named `on` (`ios_user_history`).
pub(crate) const SECONDARY_R9: [(&str, &[&str]); 47] = [
    ("analytics/mediawiki/client/metrics_event/1.0.0.yaml", &["/properties/name/mexLength"]),
    ("analytics/mediawiki/client/metrics_event/1.1.0.yaml", &["/properties/name/mexLength"]),
    ("analytics/mediawiki/client/metrics_event/1.1.1.yaml", &["/properties/name/mexLength"]),
    ("analytics/mediawiki/client/metrics_event/1.2.0.yaml", &["/properties/name/mexLength"]),
    ("analytics/mediawiki/client/metrics_event/2.0.0.yaml", &["/properties/name/mexLength"]),
    ("analytics/mediawiki/client/metrics_event/2.1.0.yaml", &["/properties/name/mexLength"]),
    (
        "analytics/mediawiki/content_translation_event/1.0.0.yaml",
        &[
            "/properties/content_translation_session_position/maxiumum",
            "/properties/published_page_id/maxiumum",
            "/properties/published_revision_id/maxiumum",
        ],
    ),
    (
        "analytics/mediawiki/content_translation_event/1.1.0.yaml",
        &[
            "/properties/content_translation_session_position/maxiumum",
            "/properties/published_page_id/maxiumum",
            "/properties/published_revision_id/maxiumum",
        ],
    ),
    (
        "analytics/mediawiki/content_translation_event/1.2.0.yaml",
        &[
            "/properties/content_translation_session_position/maxiumum",
            "/properties/published_page_id/maxiumum",
            "/properties/published_revision_id/maxiumum",
        ],
    ),
    (
        "analytics/mediawiki/content_translation_event/1.3.0.yaml",
        &[
            "/properties/content_translation_session_position/maxiumum",
            "/properties/published_page_id/maxiumum",
            "/properties/published_revision_id/maxiumum",
        ],
    ),
    (
        "analytics/mediawiki/content_translation_event/1.4.0.yaml",
        &[
            "/properties/content_translation_session_position/maxiumum",
            "/properties/published_page_id/maxiumum",
            "/properties/published_revision_id/maxiumum",
        ],
    ),
    (
        "analytics/mediawiki/content_translation_event/1.5.0.yaml",
        &[
            "/properties/content_translation_session_position/maxiumum",
            "/properties/published_page_id/maxiumum",
            "/properties/published_revision_id/maxiumum",
        ],
    ),
    (
        "analytics/mediawiki/content_translation_event/1.6.0.yaml",
        &[
            "/properties/content_translation_session_position/maxiumum",
            "/properties/published_page_id/maxiumum",
            "/properties/published_revision_id/maxiumum",
        ],
    ),
    (
        "analytics/mediawiki/content_translation_event/current.yaml",
        &[
            "/allOf/2/properties/content_translation_session_position/maxiumum",
            "/allOf/2/properties/published_page_id/maxiumum",
            "/allOf/2/properties/published_revision_id/maxiumum",
        ],
    ),
    ("analytics/mediawiki/product_metrics/web_ui_actions/1.0.0.yaml", &["/properties/element_id/mexLength"]),
    ("analytics/mediawiki/product_metrics/web_ui_actions/1.0.1.yaml", &["/properties/element_id/mexLength"]),
    ("analytics/mediawiki/product_metrics/wikilambda/api/1.0.0.yaml", &["/properties/element_id/mexLength"]),
    ("analytics/mediawiki/product_metrics/wikilambda/ui_actions/1.0.0.yaml", &["/properties/element_id/mexLength"]),
    ("analytics/mediawiki/talk_page_edit/1.0.0.yaml", &["/properties/revision_id/maxiumum"]),
    ("analytics/mediawiki/talk_page_edit/1.1.0.yaml", &["/properties/revision_id/maxiumum"]),
    ("analytics/mediawiki/talk_page_edit/1.2.0.yaml", &["/properties/revision_id/maxiumum"]),
    ("analytics/mediawiki/talk_page_edit/current.yaml", &["/properties/revision_id/maxiumum"]),
    (
        "analytics/mediawiki/wd_propertysuggester/server_side_property_request/1.0.0.yaml",
        &["/properties/request_duration_ms/descriptions"],
    ),
    (
        "analytics/mediawiki/wd_propertysuggester/server_side_property_request/current.yaml",
        &["/properties/request_duration_ms/descriptions"],
    ),
    (
        "analytics/mobile_apps/ios_talk_page_interaction/1.0.0.yaml",
        &[
            "/properties/source/account",
            "/properties/source/article",
            "/properties/source/deep_link",
            "/properties/source/From where did user enter Talk Page, as described below",
            "/properties/source/in_app_web_view",
            "/properties/source/notifications_center",
            "/properties/source/search",
            "/properties/source/talk_page",
            "/properties/source/unknown",
        ],
    ),
    (
        "analytics/mobile_apps/ios_talk_page_interaction/2.0.0.yaml",
        &[
            "/properties/source/account",
            "/properties/source/article",
            "/properties/source/deep_link",
            "/properties/source/From where did user enter Talk Page, as described below",
            "/properties/source/in_app_web_view",
            "/properties/source/notifications_center",
            "/properties/source/search",
            "/properties/source/talk_page",
            "/properties/source/unknown",
        ],
    ),
    (
        "analytics/mobile_apps/ios_talk_page_interaction/current.yaml",
        &[
            "/allOf/1/properties/source/From where did user enter Talk Page, as described below",
            "/allOf/1/properties/source/talk_page",
            "/allOf/1/properties/source/article",
            "/allOf/1/properties/source/deep_link",
            "/allOf/1/properties/source/notifications_center",
            "/allOf/1/properties/source/account",
            "/allOf/1/properties/source/search",
            "/allOf/1/properties/source/in_app_web_view",
            "/allOf/1/properties/source/unknown",
        ],
    ),
    (
        "analytics/mobile_apps/ios_user_history/1.0.0.yaml",
        &["/properties/feed_enabled_list/properties/fa/properties/on/off"],
    ),
    (
        "analytics/mobile_apps/ios_user_history/current.yaml",
        &["/allOf/1/properties/feed_enabled_list/properties/fa/properties/on/off"],
    ),
    (
        "analytics/mobile_apps/product_metrics/android_article_toc_interaction/1.0.0.yaml",
        &["/properties/element_id/mexLength"],
    ),
    (
        "analytics/mobile_apps/product_metrics/android_article_toc_interaction/1.1.0.yaml",
        &["/properties/element_id/mexLength"],
    ),
    (
        "analytics/mobile_apps/product_metrics/android_article_toc_interaction/1.1.1.yaml",
        &["/properties/element_id/mexLength"],
    ),
    (
        "analytics/mobile_apps/product_metrics/android_find_in_page_interaction/1.0.0.yaml",
        &["/properties/element_id/mexLength"],
    ),
    (
        "analytics/mobile_apps/product_metrics/android_find_in_page_interaction/1.1.0.yaml",
        &["/properties/element_id/mexLength"],
    ),
    (
        "analytics/mobile_apps/product_metrics/android_find_in_page_interaction/1.1.1.yaml",
        &["/properties/element_id/mexLength"],
    ),
    ("analytics/product_metrics/app/base/1.0.0.yaml", &["/properties/element_id/mexLength"]),
    ("analytics/product_metrics/app/base/1.1.0.yaml", &["/properties/element_id/mexLength"]),
    ("analytics/product_metrics/app/base/1.2.0.yaml", &["/properties/element_id/mexLength"]),
    ("analytics/product_metrics/app/base/1.2.1.yaml", &["/properties/element_id/mexLength"]),
    ("analytics/product_metrics/web/base/1.0.0.yaml", &["/properties/element_id/mexLength"]),
    ("analytics/product_metrics/web/base/1.1.0.yaml", &["/properties/element_id/mexLength"]),
    ("analytics/product_metrics/web/base/1.2.0.yaml", &["/properties/element_id/mexLength"]),
    (
        "analytics/product_metrics/web/translation/1.0.0.yaml",
        &["/properties/element_id/mexLength", "/properties/translation/properties/is_mint_available/descripotion"],
    ),
    ("fragment/analytics/product_metrics/common/1.0.0.yaml", &["/properties/element_id/mexLength"]),
    ("fragment/analytics/product_metrics/common/1.1.0.yaml", &["/properties/element_id/mexLength"]),
    (
        "fragment/analytics/product_metrics/translation/1.0.0.yaml",
        &["/properties/translation/properties/is_mint_available/descripotion"],
    ),
    (
        "fragment/analytics/product_metrics/translation/current.yaml",
        &["/properties/translation/properties/is_mint_available/descripotion"],
    ),
];

/// Every failure of a run as `(check, subject)`, sorted.
fn failed_cases(run: &Run) -> Vec<(String, String)> {
    let mut v: Vec<(String, String)> = run.failures.iter().map(|(c, s, _)| (c.clone(), s.clone())).collect();
    v.sort();
    v
}

/// A real repository: name, real-symlink form, stub form, extra arguments,
/// the strict findings `(check, subject)` and its number of versions.
type RealCase<'a> = (&'a str, std::path::PathBuf, std::path::PathBuf, Vec<&'a str>, Vec<(String, String)>, usize);

/// The real repositories in both forms: the real-symlink form gives exactly
/// the strict findings above; the stub form (`../shared/data/schemas`, git's
/// symlink stubs as plain files) fails S12 once per version on top, in both
/// modes, as jsonschema-tools 1.3.0 does (its compat run fails S12 only).
/// The compat run on the real-symlink form passes (`repo_checks`).
#[test]
fn real_repositories_strict_findings_in_both_forms() {
    let linked = symlinked_schemas();
    let primary_linked = linked.join("primary");
    let primary_stub = crate::support::require_shared("data/schemas/primary");
    let secondary_stub = crate::support::require_shared("data/schemas/secondary");
    let cases: [RealCase<'_>; 2] = [
        (
            "primary",
            primary_linked.clone(),
            primary_stub.clone(),
            vec![],
            PRIMARY_STRICT_FINDINGS.iter().map(|(c, s)| ((*c).to_owned(), (*s).to_owned())).collect(),
            83,
        ),
        (
            "secondary",
            linked.join("secondary"),
            secondary_stub,
            vec!["--schema-repo", primary_linked.to_str().unwrap()],
            SECONDARY_R9.iter().map(|(s, _)| ("R9".to_owned(), format!("jsonschema/{s}"))).collect(),
            427,
        ),
    ];
    for (name, real, stub, extra, expected, versions) in cases {
        let strict = check_repo(&real, &extra);
        assert_eq!(strict.code, 1, "{name}");
        let mut want = expected.clone();
        want.sort();
        assert_eq!(failed_cases(&strict), want, "{name}");
        if name == "secondary" {
            for (subject, pointers) in SECONDARY_R9 {
                let file = format!("jsonschema/{subject}");
                let (_, _, messages) = strict.failures.iter().find(|(_, s, _)| *s == file).unwrap();
                let got: Vec<&str> = messages.iter().map(|m| m.split(": ").nth(1).unwrap()).collect();
                assert_eq!(got, pointers, "{file}");
            }
            let metrics = "jsonschema/analytics/mediawiki/client/metrics_event/2.1.0.yaml";
            let (_, _, m) = strict.failures.iter().find(|(_, s, _)| s == metrics).unwrap();
            assert_eq!(
                m,
                &[format!(
                    "{metrics}: /properties/name/mexLength: unknown keyword `mexLength` (did you mean `maxLength`?): \
                     validators ignore it, so it constrains nothing"
                )]
            );
        } else {
            let (_, _, m) = &strict.failures[0];
            assert_eq!(
                m,
                &["S17 jsonschema/development/webrequest/1.0.0.yaml#/$id: `/webrequest/1.0.0` resolves to \
                   `jsonschema/webrequest/1.0.0`, not to this file: expected `/development/webrequest/1.0.0` (a \
                   schema must be reachable at its own $id)"]
            );
        }
        // The stub form: the same primary for `$ref`s (stub form too), S12 on every version.
        let stub_extra: Vec<&str> =
            if extra.is_empty() { vec![] } else { vec!["--schema-repo", primary_stub.to_str().unwrap()] };
        for compat in [false, true] {
            let mut args = stub_extra.clone();
            if compat {
                args.push("--jsonschema-tools-compat");
            }
            let run = check_repo(&stub, &args);
            assert_eq!(run.code, 1, "{name} stub {args:?}");
            let s12: Vec<&(String, String, Vec<String>)> = run.failures.iter().filter(|(c, _, _)| c == "S12").collect();
            assert_eq!(s12.len(), versions, "{name} stub {args:?}");
            assert!(s12.iter().all(|(_, _, m)| m.len() == 1 && m[0].contains("(a git symlink stub, as a checkout")));
            let mut rest: Vec<(String, String)> = failed_cases(&run).into_iter().filter(|(c, _)| c != "S12").collect();
            rest.sort();
            assert_eq!(rest, if compat { vec![] } else { want.clone() }, "{name} stub {args:?}");
        }
    }
}
