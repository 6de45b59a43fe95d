//! `epc materialize` on the real schema repositories (real-symlink form,
//! unpacked from ../shared/data/schemas-symlinked.tar.gz), against what
//! jsonschema-tools 1.3.0 writes (../shared/data/schemas-materialized-jst-1.3.0.tar.gz).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command as StdCommand;

use serde_json::Value;

use crate::support::{epc, git, path_str, stderr_text, stdout_ndjson, unpack_shared as unpack};

/// What a tree holds: relative path → `link:<target>` or the file's bytes.
fn tree(root: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    fn walk(root: &Path, dir: &Path, out: &mut BTreeMap<PathBuf, Vec<u8>>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let entry = entry.unwrap();
            let path = entry.path();
            let kind = entry.file_type().unwrap();
            let relative = path.strip_prefix(root).unwrap().to_owned();
            if kind.is_symlink() {
                let target = std::fs::read_link(&path).unwrap();
                out.insert(relative, format!("link:{}", target.display()).into_bytes());
            } else if kind.is_dir() {
                walk(root, &path, out);
            } else {
                out.insert(relative, std::fs::read(&path).unwrap());
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(root, root, &mut out);
    out
}

/// The differences between two trees, as lines.
fn differences(left: &Path, right: &Path) -> Vec<String> {
    let (l, r) = (tree(left), tree(right));
    let mut out = Vec::new();
    for (path, bytes) in &l {
        match r.get(path) {
            None => out.push(format!("only in ours: {}", path.display())),
            Some(other) if other != bytes => out.push(format!("differs: {}", path.display())),
            Some(_) => {}
        }
    }
    for path in r.keys().filter(|p| !l.contains_key(*p)) {
        out.push(format!("only in the reference: {}", path.display()));
    }
    out
}

/// The `$id` version of every current file, and its folder.
fn currents(repo: &Path) -> Vec<(PathBuf, String)> {
    let mut out = Vec::new();
    for (path, bytes) in tree(&repo.join("jsonschema")) {
        if path.file_name().is_some_and(|n| n == "current.yaml") {
            let text = String::from_utf8(bytes).unwrap();
            let id = text.lines().find_map(|l| l.strip_prefix("$id: ")).expect("current.yaml has an $id line");
            let version = id.trim().rsplit('/').next().unwrap().to_owned();
            out.push((repo.join("jsonschema").join(path.parent().unwrap()), version));
        }
    }
    out
}

/// Removes every title's latest version files and symlinks; returns how many titles.
fn delete_latest(repo: &Path) -> usize {
    let titles = currents(repo);
    for (dir, version) in &titles {
        for name in [format!("{version}.yaml"), version.clone(), "latest".into(), "latest.yaml".into()] {
            let path = dir.join(name);
            if std::fs::symlink_metadata(&path).is_ok() {
                std::fs::remove_file(&path).unwrap();
            }
        }
    }
    titles.len()
}

fn summary(records: &[Value]) -> &Value {
    records.iter().find(|r| r["type"] == "summary").expect("a summary record")
}

#[test]
fn materialize_all_rebuilds_every_latest_version_as_jsonschema_tools_1_3_0_writes_it() {
    let input = unpack("schemas-symlinked.tar.gz");
    let pristine = unpack("schemas-symlinked.tar.gz");
    let reference = unpack("schemas-materialized-jst-1.3.0.tar.gz");
    let primary = input.path().join("schemas/primary");
    let secondary = input.path().join("schemas/secondary");
    assert_eq!(delete_latest(&primary), 53);
    assert_eq!(delete_latest(&secondary), 149);

    let out = epc().args(["--format", "ndjson", "materialize", "--all", "--repo", path_str(&primary)]).assert();
    let records = stdout_ndjson(&out.code(0));
    assert_eq!(summary(&records)["titles"], 53);
    assert_eq!(summary(&records)["problems"], 0);

    let out = epc()
        .args(["--format", "ndjson", "materialize", "--all", "--repo", path_str(&secondary)])
        .args(["--schema-repo", path_str(&pristine.path().join("schemas/primary"))])
        .assert();
    let records = stdout_ndjson(&out.code(0));
    assert_eq!(summary(&records)["titles"], 149);
    assert_eq!(summary(&records)["problems"], 0);

    for name in ["primary", "secondary"] {
        let ours = input.path().join("schemas").join(name);
        let theirs = reference.path().join("schemas").join(name);
        let diff = differences(&ours, &theirs);
        assert!(
            diff.is_empty(),
            "{name}: {} differences from jsonschema-tools 1.3.0:\n{}",
            diff.len(),
            diff.join("\n")
        );
    }

    // A second run changes nothing.
    let out = epc().args(["--format", "ndjson", "materialize", "--all", "--repo", path_str(&primary)]).assert();
    let records = stdout_ndjson(&out.code(0));
    assert_eq!(summary(&records)["written"], 0);
    let actions: Vec<&str> = records.iter().filter_map(|r| r["action"].as_str()).collect();
    assert!(actions.iter().all(|a| *a == "unchanged"), "{actions:?}");
}

#[test]
fn a_dry_run_lists_what_would_be_written_and_writes_nothing() {
    let input = unpack("schemas-symlinked.tar.gz");
    let primary = input.path().join("schemas/primary");
    let error = primary.join("jsonschema/error");
    for name in ["2.1.0.yaml", "2.1.0", "latest", "latest.yaml"] {
        std::fs::remove_file(error.join(name)).unwrap();
    }
    let before = tree(&primary);
    let out = epc()
        .current_dir(&primary)
        .args(["materialize", "--dry-run", "jsonschema/error/current.yaml"])
        .assert()
        .code(0);
    let text = crate::support::stdout_text(&out);
    assert_eq!(
        text.lines().collect::<Vec<_>>(),
        [
            "would create jsonschema/error/2.1.0.yaml",
            "would link   jsonschema/error/latest.yaml -> 2.1.0.yaml",
            "would link   jsonschema/error/2.1.0 -> 2.1.0.yaml",
            "would link   jsonschema/error/latest -> 2.1.0.yaml",
        ]
    );
    assert!(stderr_text(&out).contains("1 title: 4 files and symlinks to write"), "{}", stderr_text(&out));
    assert_eq!(tree(&primary), before, "a dry run wrote something");
}

#[test]
fn a_published_version_whose_schema_would_change_is_refused_and_a_draft_is_replaced() {
    let input = unpack("schemas-symlinked.tar.gz");
    let primary = input.path().join("schemas/primary");
    git(&primary, &["init", "-q"]);
    git(&primary, &["add", "-A"]);
    git(&primary, &["commit", "-q", "-m", "import"]);
    // Edit the current schema of /error in place, without a new version.
    let current = primary.join("jsonschema/error/current.yaml");
    let text = std::fs::read_to_string(&current).unwrap();
    std::fs::write(&current, text.replacen("description: ", "description: Edited. ", 1)).unwrap();
    let before = std::fs::read(primary.join("jsonschema/error/2.1.0.yaml")).unwrap();
    let out = epc().args(["materialize", "--repo", path_str(&primary), "--modified"]).assert().code(1);
    let err = stderr_text(&out);
    assert!(
        err.contains(
            "jsonschema/error/2.1.0.yaml: is published (in git's HEAD) and its schema would change (/description: "
        ),
        "{err}"
    );
    assert!(err.contains("give current.yaml's $id a new version, or run `epc materialize --force` on it"), "{err}");
    assert_eq!(std::fs::read(primary.join("jsonschema/error/2.1.0.yaml")).unwrap(), before);

    // A new version is a draft: written; edited again, it is replaced, not refused.
    let text = std::fs::read_to_string(&current).unwrap();
    std::fs::write(&current, text.replace("$id: /error/2.1.0", "$id: /error/2.2.0")).unwrap();
    let out = epc().args(["--format", "ndjson", "materialize", "--repo", path_str(&primary), "--modified"]).assert();
    let records = stdout_ndjson(&out.code(0));
    let actions: Vec<(String, String)> = records
        .iter()
        .filter(|r| r["type"] == "change")
        .map(|r| (r["action"].as_str().unwrap().to_owned(), r["path"].as_str().unwrap().to_owned()))
        .collect();
    assert_eq!(
        actions,
        [
            ("create".to_owned(), "jsonschema/error/2.2.0.yaml".to_owned()),
            ("link".to_owned(), "jsonschema/error/latest.yaml".to_owned()),
            ("link".to_owned(), "jsonschema/error/2.2.0".to_owned()),
            ("link".to_owned(), "jsonschema/error/latest".to_owned()),
        ]
    );
    assert_eq!(std::fs::read_link(primary.join("jsonschema/error/latest")).unwrap(), Path::new("2.2.0.yaml"));
    let text = std::fs::read_to_string(&current).unwrap();
    std::fs::write(&current, text.replacen("description: Edited. ", "description: Edited twice. ", 1)).unwrap();
    let out = epc().args(["--format", "ndjson", "materialize", "--repo", path_str(&primary), "--modified"]).assert();
    let records = stdout_ndjson(&out.code(0));
    assert_eq!(records[0]["action"], "replace", "{records:?}");
    assert!(std::fs::read_to_string(primary.join("jsonschema/error/2.2.0.yaml")).unwrap().contains("Edited twice."));
}

#[test]
fn the_pre_commit_hook_is_installed_once_and_not_over_another() {
    let dir = tempfile::tempdir().unwrap();
    let repo = dir.path();
    std::fs::create_dir_all(repo.join("jsonschema")).unwrap();
    git(repo, &["init", "-q"]);
    epc().args(["materialize", "--install-hook", "--repo", path_str(repo)]).assert().code(0);
    let hook = repo.join(".git/hooks/pre-commit");
    let text = std::fs::read_to_string(&hook).unwrap();
    assert!(text.ends_with("exec epc materialize --modified --staged --git-add\n"), "{text}");
    use std::os::unix::fs::PermissionsExt as _;
    assert_eq!(std::fs::metadata(&hook).unwrap().permissions().mode() & 0o777, 0o755);
    epc().args(["materialize", "--install-hook", "--repo", path_str(repo)]).assert().code(0);
    std::fs::write(&hook, "#!/bin/sh\nexit 0\n").unwrap();
    let out = epc().args(["materialize", "--install-hook", "--repo", path_str(repo)]).assert().code(2);
    assert!(stderr_text(&out).contains("a different pre-commit hook is there; pass --force"), "{}", stderr_text(&out));
    epc().args(["materialize", "--install-hook", "--force", "--repo", path_str(repo)]).assert().code(0);
    assert!(std::fs::read_to_string(&hook).unwrap().contains("epc materialize --modified --staged"));
}

#[test]
fn a_path_that_is_not_a_current_file_is_a_usage_error_naming_it() {
    let input = unpack("schemas-symlinked.tar.gz");
    let primary = input.path().join("schemas/primary");
    let out = epc()
        .args(["materialize", "--repo", path_str(&primary)])
        .arg(primary.join("jsonschema/error/2.1.0.yaml"))
        .assert()
        .code(2);
    let err = stderr_text(&out);
    assert!(err.contains("jsonschema/error/2.1.0.yaml: is not a current file"), "{err}");
    let out = epc().args(["materialize", "--all", "--repo", "/nonexistent/repo"]).assert().code(2);
    assert!(stderr_text(&out).contains("--repo /nonexistent/repo: no such folder"), "{}", stderr_text(&out));
}

#[test]
fn s8_compares_generated_examples_in_both_modes() {
    let input = unpack("schemas-symlinked.tar.gz");
    let primary = input.path().join("schemas/primary");
    let run = |args: &[&str]| {
        let out = epc().args(["--format", "ndjson", "validate", "--repo", path_str(&primary)]).args(args).assert();
        let code = out.get_output().status.code();
        let s8: Vec<Value> =
            stdout_ndjson(&out).into_iter().filter(|r| r["check"] == "S8" && r["status"] == "fail").collect();
        (code, s8)
    };
    // fragment/http's current.yaml has no examples: its 1.2.0 carries the one json-schema-faker generates.
    assert_eq!(run(&["--jsonschema-tools-compat"]), (Some(0), vec![]));
    let file = primary.join("jsonschema/fragment/http/1.2.0.yaml");
    let text = std::fs::read_to_string(&file).unwrap();
    assert!(text.contains("      method: dolor\n"), "{text}");
    std::fs::write(&file, text.replace("      method: dolor\n", "      method: GET\n")).unwrap();
    for args in [&[][..], &["--jsonschema-tools-compat"][..]] {
        let (code, s8) = run(args);
        assert_eq!(code, Some(1), "{args:?}");
        assert_eq!(s8.len(), 1, "{args:?}: {s8:?}");
        assert_eq!(s8[0]["subject"], "fragment/http");
        let messages: Vec<&str> = s8[0]["messages"].as_array().unwrap().iter().filter_map(Value::as_str).collect();
        assert!(
            messages.contains(&"S8 jsonschema/fragment/http/current.yaml#/examples/0/http/method: materialized jsonschema/fragment/http/current.yaml has \"dolor\", jsonschema/fragment/http/1.2.0.yaml has \"GET\""),
            "{messages:?}"
        );
    }
}

#[test]
fn git_add_stages_a_titles_files_even_when_an_earlier_run_wrote_them() {
    let input = unpack("schemas-symlinked.tar.gz");
    let primary = input.path().join("schemas/primary");
    git(&primary, &["init", "-q"]);
    git(&primary, &["add", "-A"]);
    git(&primary, &["commit", "-q", "-m", "import"]);
    let current = primary.join("jsonschema/error/current.yaml");
    let text = std::fs::read_to_string(&current).unwrap();
    std::fs::write(&current, text.replace("$id: /error/2.1.0", "$id: /error/2.2.0")).unwrap();
    // Materialized by hand first, then staged by the hook's command: everything is up to date.
    epc().args(["materialize", "--repo", path_str(&primary), "--modified"]).assert().code(0);
    git(&primary, &["add", "jsonschema/error/current.yaml"]);
    epc().args(["materialize", "--repo", path_str(&primary), "--modified", "--staged", "--git-add"]).assert().code(0);
    let out =
        StdCommand::new("git").arg("-C").arg(&primary).args(["diff", "--cached", "--name-only"]).output().unwrap();
    let staged: Vec<&str> = std::str::from_utf8(&out.stdout).unwrap().lines().collect();
    assert_eq!(
        staged,
        [
            "jsonschema/error/2.2.0",
            "jsonschema/error/2.2.0.yaml",
            "jsonschema/error/current.yaml",
            "jsonschema/error/latest",
            "jsonschema/error/latest.yaml"
        ]
    );
    // Nothing changed: the hook says so and exits 0.
    git(&primary, &["commit", "-q", "-m", "bump"]);
    let out = epc().args(["materialize", "--repo", path_str(&primary), "--modified", "--staged"]).assert().code(0);
    assert!(stderr_text(&out).contains("no changed current files to materialize"), "{}", stderr_text(&out));
}

#[test]
fn outside_git_an_existing_version_counts_as_published_and_latest_refs_come_after_latest_moves() {
    let input = unpack("schemas-symlinked.tar.gz");
    let primary = input.path().join("schemas/primary");
    let current = primary.join("jsonschema/error/current.yaml");
    let text = std::fs::read_to_string(&current).unwrap();
    std::fs::write(&current, text.replacen("description: ", "description: Edited. ", 1)).unwrap();
    let out = epc().args(["materialize", "--repo", path_str(&primary)]).arg(&current).assert().code(1);
    let err = stderr_text(&out);
    assert!(err.contains("jsonschema/error/2.1.0.yaml: exists (not in a git work tree, so every existing version counts as published)"), "{err}");
    assert!(err.contains("run `epc materialize --force` on it"), "{err}");

    // A title that `$ref`s fragment/common/latest is materialized after fragment/common moves it.
    let common = primary.join("jsonschema/fragment/common/current.yaml");
    let text = std::fs::read_to_string(&common).unwrap();
    let id = text.lines().find_map(|l| l.strip_prefix("$id: ")).unwrap().trim().to_owned();
    let bumped = text.replace(&format!("$id: {id}"), "$id: /fragment/common/9.0.0").replacen(
        "properties:\n",
        "properties:\n  zzz_new:\n    description: A new field.\n    type: string\n",
        1,
    );
    std::fs::write(&common, bumped).unwrap();
    let dir = primary.join("jsonschema/aaa/x");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join("current.yaml"),
        "title: aaa/x\ndescription: A test.\n$id: /aaa/x/1.0.0\n$schema: https://json-schema.org/draft-07/schema#\n\
         type: object\nallOf:\n  - $ref: /fragment/common/latest\n",
    )
    .unwrap();
    epc()
        .args(["materialize", "--repo", path_str(&primary)])
        .arg(dir.join("current.yaml"))
        .arg(&common)
        .assert()
        .code(0);
    let written = std::fs::read_to_string(dir.join("1.0.0.yaml")).unwrap();
    assert!(written.contains("  zzz_new:\n"), "{written}");
}
