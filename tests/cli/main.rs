//! Integration tests for the `epc` binary: one test binary, a module per
//! subcommand (style.md §7.6). Tests never touch the public network; remote
//! stream config comes from a loopback server in `support`.

mod cases;
mod completions;
mod everyday;
mod faults;
mod fidelity;
mod id;
mod materialize;
mod readme;
mod remote_schemas;
mod repo_blind;
mod repo_checks;
mod repo_fence;
mod repo_structure;
mod sample;
mod send;
mod send_answers;
mod serve;
mod serve_hostile;
mod streams;
mod support;
mod validate;
