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
