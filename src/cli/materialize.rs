//! `epc materialize`: writes the version files and symlinks of `current.yaml`
//! files, as jsonschema-tools 1.3.0's `materialize`, `materialize-modified`
//! and `materialize-all` do (the core is [`epc::authoring`]).
//!
//! Table output: one line per path, `create`, `replace`, `link`,
//! `unchanged`, `same schema` (kept), or `would create`… with `--dry-run`;
//! problems as `error:` lines on stderr. Records (`--format ndjson`; `json`
//! wraps them as `{"changes": [...], "summary": {...}}`):
//! `{"type":"change","current","path","action","target"?,"differences"?}`,
//! `{"type":"problem","current","message"}`, then
//! `{"type":"summary","titles","written","unchanged","problems","dry_run"}`.
//! Exit 0 when every title is materialized (or already was), 1 when one
//! cannot be (a `$ref` that does not resolve, a published version that
//! would change), 2 when the run cannot start.

use std::path::PathBuf;

use anyhow::Result;
use clap::Args;
use serde_json::json;

use super::{ExitStatus, Hinted, env};
use crate::output::{Format, Printer};
use epc::authoring::{self, Action, AuthoringError, Options, Plan, Selection};

/// Arguments of `epc materialize`.
#[derive(Debug, Args)]
#[command(group = clap::ArgGroup::new("which").args(["currents", "all", "modified", "install_hook"]).required(true))]
pub(crate) struct MaterializeArgs {
    /// Current schema files to materialize (`jsonschema/<title>/current.yaml`).
    #[arg(value_name = "CURRENT")]
    currents: Vec<PathBuf>,
    /// Materialize every current file of the repository, in `$ref` dependency order.
    #[arg(long, conflicts_with_all = ["currents", "modified"])]
    all: bool,
    /// Materialize the current files git reports as changed (staged, unstaged and untracked).
    #[arg(long, conflicts_with = "currents")]
    modified: bool,
    /// With --modified: only the staged current files (what the pre-commit hook uses).
    #[arg(long, requires = "modified")]
    staged: bool,
    /// The schema repository (default: the folder, or the nearest parent, with
    /// `.jsonschema-tools.yaml` or `jsonschema/`, of the first CURRENT or the current directory).
    #[arg(long, value_name = "DIR")]
    repo: Option<PathBuf>,
    /// Say what would be written, and write nothing.
    #[arg(short = 'n', long)]
    dry_run: bool,
    /// Replace version files whose schema would change even when git has them committed
    /// (for a version that is not released yet); with --install-hook, replace an existing hook.
    #[arg(long)]
    force: bool,
    /// Stage the files and symlinks written with `git add`.
    #[arg(long)]
    git_add: bool,
    /// Install a git pre-commit hook that runs `epc materialize --modified --staged --git-add`.
    #[arg(long, conflicts_with_all = ["currents", "all", "modified", "dry_run", "git_add"])]
    install_hook: bool,
    /// A further schema repository folder to resolve `$ref`s against; repeatable, after --repo.
    #[arg(long = "schema-repo", value_name = "DIR", env = env::EPC_SCHEMA_REPOS, value_delimiter = ':')]
    schema_repos: Vec<PathBuf>,
    /// A further base URI to resolve `$ref`s against (a folder, file: or http(s) URL); repeatable.
    #[arg(long = "schema-base-uri", value_name = "URI")]
    schema_base_uris: Vec<String>,
    /// Make no network request: remote `$ref`s come from the schema cache only.
    #[arg(long)]
    offline: bool,
    /// Timeout for each request for a remote schema, in seconds.
    #[arg(long, value_name = "SECONDS", default_value_t = 30.0, value_parser = super::parse_timeout)]
    timeout: f64,
}

pub(crate) fn run(args: &MaterializeArgs, printer: &Printer) -> Result<ExitStatus> {
    let start = args.currents.first().and_then(|c| c.parent().map(std::path::Path::to_path_buf));
    let root = match &args.repo {
        Some(repo) => {
            super::schema_repository_dir("--repo", repo)?;
            repo.clone()
        }
        None => {
            let from = match start {
                Some(dir) if !dir.as_os_str().is_empty() => dir,
                _ => PathBuf::from("."),
            };
            authoring::find_root(&from).ok_or_else(|| {
                Hinted::error(
                    format!("{}: not inside a schema repository (no `.jsonschema-tools.yaml` or `jsonschema/` here or above)", from.display()),
                    Some("run it in the repository, or give --repo DIR".into()),
                )
            })?
        }
    };
    if args.install_hook {
        let installed = authoring::install_hook(&root, args.force).map_err(anyhow::Error::new)?;
        if installed.unchanged {
            printer.note(format!("the pre-commit hook {} is already installed", installed.path.display()));
        } else {
            printer.note(format!("installed the pre-commit hook {}", installed.path.display()));
        }
        return Ok(ExitStatus::Success);
    }
    let selection = if args.all {
        Selection::All
    } else if args.modified {
        Selection::Modified { staged_only: args.staged }
    } else {
        Selection::Files(args.currents.clone())
    };
    let sources = super::schema_sources(&args.schema_repos, &args.schema_base_uris, args.offline, args.timeout)?;
    let plan = authoring::plan(&root, &selection, sources, Options { force: args.force }).map_err(|e| match e {
        AuthoringError::NotCurrent { .. } => {
            Hinted::error(e.to_string(), Some("give `current.yaml` files of the repository, or --all".into()))
        }
        other => anyhow::Error::new(other),
    })?;
    if plan.titles.is_empty() {
        let what = if args.modified { "no changed current files" } else { "no current files" };
        printer.note(format!("{what} to materialize in {}", plan.root.display()));
        return Ok(ExitStatus::Success);
    }
    let applied = if args.dry_run { authoring::Applied::default() } else { authoring::apply(&plan) };
    if args.git_add && !args.dry_run {
        // Every path of the titles materialized, so a commit gets files an earlier run wrote too;
        // after a failed write, only what was written.
        let paths = if applied.error.is_some() { applied.written.clone() } else { authoring::title_paths(&plan) };
        authoring::git_add(&plan.root, &paths).map_err(anyhow::Error::new)?;
    }
    report(&plan, args.dry_run, applied.written.len(), printer)?;
    if let Some(error) = applied.error {
        return Err(Hinted::error(
            format!("{error}; stopped: {} written before it", count(applied.written.len())),
            Some("fix the path and run the same command again: what was written is then unchanged".into()),
        ));
    }
    Ok(if plan.has_problems() { ExitStatus::Findings } else { ExitStatus::Success })
}

fn count(n: usize) -> String {
    format!("{n} {}", if n == 1 { "path" } else { "paths" })
}

fn action_name(action: &Action, dry_run: bool) -> &'static str {
    match (action, dry_run) {
        (Action::Create { .. }, false) => "create",
        (Action::Create { .. }, true) => "would create",
        (Action::Replace { .. }, false) => "replace",
        (Action::Replace { .. }, true) => "would replace",
        (Action::Link { .. }, false) => "link",
        (Action::Link { .. }, true) => "would link",
        (Action::Unchanged | Action::LinkUnchanged { .. }, _) => "unchanged",
        (Action::SameSchema, _) => "same schema",
    }
}

fn report(plan: &Plan, dry_run: bool, written: usize, printer: &Printer) -> Result<()> {
    let mut records = Vec::new();
    let mut lines = Vec::new();
    let (mut unchanged, mut problems, mut would) = (0_usize, 0_usize, 0_usize);
    for title in &plan.titles {
        let current = title.current.display().to_string();
        for message in &title.problems {
            problems += 1;
            printer.error(message);
            records.push(json!({"type": "problem", "current": current, "message": message}));
        }
        for change in &title.changes {
            let name = action_name(&change.action, dry_run);
            let path = change.path.display().to_string();
            let mut record = json!({"type": "change", "current": current, "path": path, "action": name});
            let mut line = format!("{name:<12} {path}");
            match &change.action {
                Action::Link { target, previous } => {
                    record["target"] = json!(target);
                    line.push_str(&format!(" -> {target}"));
                    if let Some(p) = previous {
                        record["previous"] = json!(p);
                        line.push_str(&format!(" (was {p})"));
                    }
                }
                Action::LinkUnchanged { target } => {
                    record["target"] = json!(target);
                    line.push_str(&format!(" -> {target}"));
                }
                Action::Replace { differences, .. } => {
                    record["differences"] = json!(differences);
                    if !differences.is_empty() {
                        line.push_str(&format!(" ({})", differences.join("; ")));
                    }
                }
                Action::SameSchema => line.push_str(" (kept: other formatting, e.g. from an older jsonschema-tools)"),
                Action::Create { .. } | Action::Unchanged => {}
            }
            if change.action.writes() {
                would += 1;
            } else {
                unchanged += 1;
            }
            records.push(record);
            lines.push(line);
        }
    }
    let summary = json!({
        "type": "summary",
        "titles": plan.titles.len(),
        "written": written,
        "unchanged": unchanged,
        "problems": problems,
        "dry_run": dry_run,
    });
    let shown = printer.records("changes", records, summary, |_| (!lines.is_empty()).then(|| lines.join("\n")));
    if let Err(e) = shown
        && e.kind() != std::io::ErrorKind::BrokenPipe
    {
        return Err(e.into());
    }
    let titles = plan.titles.len();
    let plural = |n: usize, one: &str, many: &str| format!("{n} {}", if n == 1 { one } else { many });
    let done = if dry_run {
        format!("{} to write", plural(would, "file or symlink", "files and symlinks"))
    } else {
        format!("{} written", plural(written, "file or symlink", "files and symlinks"))
    };
    let failed = plan.titles.iter().filter(|t| !t.problems.is_empty()).count();
    let mut summary_line = format!("{}: {done}, {} already up to date", plural(titles, "title", "titles"), unchanged);
    if failed > 0 {
        summary_line.push_str(&format!(", {} not materialized", plural(failed, "title", "titles")));
    }
    if dry_run {
        summary_line.push_str(" (dry run: nothing written)");
    }
    if printer.format == Format::Table {
        printer.note(summary_line);
    }
    Ok(())
}
