//! `epc completions SHELL` must match the scripts committed in `completions/`.
//! `EPC_BLESS=1 cargo test --test cli completions` rewrites them.

use crate::support::{epc, root, stdout_text};

/// Each shell and the file clap_complete names its script.
const SCRIPTS: [(&str, &str); 5] =
    [("bash", "epc.bash"), ("zsh", "_epc"), ("fish", "epc.fish"), ("powershell", "_epc.ps1"), ("elvish", "epc.elv")];

#[test]
fn completions_match_the_committed_scripts() {
    let bless = std::env::var_os("EPC_BLESS").is_some_and(|v| v == "1");
    let dir = root().join("completions");
    let mut stale = Vec::new();
    for (shell, file) in SCRIPTS {
        let a = epc().args(["completions", shell]).assert().code(0);
        let generated = stdout_text(&a);
        assert!(generated.contains("epc"), "{shell}: {generated}");
        let path = dir.join(file);
        if bless {
            std::fs::create_dir_all(&dir).unwrap();
            std::fs::write(&path, &generated).unwrap();
        } else if std::fs::read_to_string(&path).ok().as_deref() != Some(generated.as_str()) {
            stale.push(format!("completions/{file} ({shell})"));
        }
    }
    assert!(
        stale.is_empty(),
        "stale or missing completion scripts: {}\nre-run with EPC_BLESS=1 (`EPC_BLESS=1 cargo test --test cli completions`) to regenerate them, then commit",
        stale.join(", ")
    );
}

#[test]
fn completions_unknown_shell_is_a_usage_error() {
    epc().args(["completions", "tcsh"]).assert().code(2);
}

/// The manual pages committed in `man/`: `epc.1` and `epc-<subcommand>.1`.
const MAN_PAGES: [Option<&str>; 10] = [
    None,
    Some("streams"),
    Some("sample"),
    Some("validate"),
    Some("send"),
    Some("serve"),
    Some("materialize"),
    Some("id"),
    Some("man"),
    Some("completions"),
];

#[test]
fn man_pages_match_the_committed_ones() {
    let bless = std::env::var_os("EPC_BLESS").is_some_and(|v| v == "1");
    let dir = root().join("man");
    let mut stale = Vec::new();
    for sub in MAN_PAGES {
        let mut cmd = epc();
        cmd.arg("man");
        if let Some(s) = sub {
            cmd.arg(s);
        }
        let generated = stdout_text(&cmd.assert().code(0));
        let file = sub.map_or_else(|| "epc.1".to_owned(), |s| format!("epc-{s}.1"));
        assert!(generated.starts_with(".ie \\n(.g .ds Aq \\(aq"), "{file}: not roff: {generated}");
        assert!(generated.contains(&format!(".TH {}", file.trim_end_matches(".1"))), "{file}: {generated}");
        let path = dir.join(&file);
        if bless {
            std::fs::create_dir_all(&dir).unwrap();
            std::fs::write(&path, &generated).unwrap();
        } else if std::fs::read_to_string(&path).ok().as_deref() != Some(generated.as_str()) {
            stale.push(format!("man/{file}"));
        }
    }
    assert!(
        stale.is_empty(),
        "stale or missing manual pages: {}\nre-run with EPC_BLESS=1 (`EPC_BLESS=1 cargo test --test cli completions`) to regenerate them, then commit",
        stale.join(", ")
    );
    let a = epc().args(["man", "nosuch"]).assert().code(2);
    assert!(crate::support::stderr_text(&a).contains("`nosuch` is not a subcommand of epc"));
}

/// Dynamic completion (`COMPLETE=fish epc -- …`) offers the stream names of
/// the stream config on this machine, with their schema titles, never the network.
#[test]
fn dynamic_completion_offers_stream_names_from_local_stream_config() {
    let out = epc()
        .env("COMPLETE", "fish")
        .env("EPC_STREAM_CONFIG", root().join("fixtures/streamconfigs.json"))
        .args(["--", "epc", "sample", "--stream", "test.widget_click.s"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let lines: Vec<String> = String::from_utf8(out.stdout).unwrap().lines().map(str::to_owned).collect();
    assert_eq!(
        lines,
        [
            "test.widget_click.sampled\tanalytics/product_metrics/web/base",
            "test.widget_click.sampled.tiny\tanalytics/product_metrics/web/base"
        ]
    );
}
