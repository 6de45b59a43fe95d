//! `epc send`'s outcome ledger: every input event gets exactly one final
//! [`Outcome`], and every event not accepted is kept in the failed-events
//! file ([`FailedFile`]) as a complete line, synced before the outcome counts.
//!
//! The rules (issue "nothing lost", decisions.md "Sending"):
//! - An event is *opened* when it is read ([`Ledger::open`] gives an
//!   [`Entry`], which is not `Clone`) and *settled* once ([`Ledger::settle`]
//!   consumes the entry). An entry dropped unsettled is counted as lost, and
//!   [`Ledger::close`] then fails: a bug, never a silent loss.
//! - Settling an outcome that is not accepted writes the event first; the
//!   write is one `write_all` of whole lines per batch, then `fdatasync`, so a
//!   killed run leaves no torn line, and a file that another run left with a
//!   torn last line gets a line break before epc's first line.
//! - The failed-events file is opened for appending (a second run never
//!   erases the first one's events), and never one of the run's inputs:
//!   appending to what is being read would grow the file forever.

use std::fs::{File, OpenOptions};
use std::io::{Read as _, Seek as _, SeekFrom, Write as _};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use serde_json::Value;

/// The final outcome of one event (one stream copy of it, once decorated).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Outcome {
    /// The intake accepted it (201, or not listed in a 207).
    Accepted,
    /// The intake accepted it without validating (202, `?hasty=true`).
    AcceptedUnvalidated,
    /// epc's own check found it invalid: not sent.
    Invalid,
    /// The intake rejected it as invalid (listed in a 207/400).
    Rejected,
    /// The intake failed on it (an `error` status, or a 5xx until retries ran out).
    Failed,
    /// Whether the intake stored it is unknown: an answer epc can't read, or a
    /// request abandoned on a signal. It may be at the intake *and* in the file.
    Unknown,
    /// Never sent: no intake, the run stopped, or the intake could not be reached.
    Unsent,
    /// Not an event epc could read or decorate (malformed line, not UTF-8, not an object).
    NotDecorated,
    /// The stream's curation rules turned it away.
    CurationFailed,
    /// The client drops it (an MP redirect to a stream that is not configured).
    Dropped,
}

impl Outcome {
    /// Every outcome, in report order.
    pub const ALL: [Self; 10] = [
        Self::Accepted,
        Self::AcceptedUnvalidated,
        Self::Invalid,
        Self::Rejected,
        Self::Failed,
        Self::Unknown,
        Self::Unsent,
        Self::NotDecorated,
        Self::CurationFailed,
        Self::Dropped,
    ];

    /// The `status` of a delivery record: `accepted`, `accepted_without_validation`,
    /// `invalid`, `rejected`, `error`, `unknown`, `unsent`, `not_decorated`,
    /// `curation_failed`, `redirect_target_missing`.
    #[must_use]
    pub fn code(self) -> &'static str {
        match self {
            Self::Accepted => "accepted",
            Self::AcceptedUnvalidated => "accepted_without_validation",
            Self::Invalid => "invalid",
            Self::Rejected => "rejected",
            Self::Failed => "error",
            Self::Unknown => "unknown",
            Self::Unsent => "unsent",
            Self::NotDecorated => "not_decorated",
            Self::CurationFailed => "curation_failed",
            Self::Dropped => "redirect_target_missing",
        }
    }

    /// Whether the intake took the event (nothing to keep).
    #[must_use]
    pub fn is_accepted(self) -> bool {
        matches!(self, Self::Accepted | Self::AcceptedUnvalidated)
    }

    /// Whether this outcome means the run could not do its job (exit 2):
    /// failed, unknown, unsent, unreadable. Invalid, rejected, curated out and
    /// dropped events are findings (exit 1).
    #[must_use]
    pub fn is_error(self) -> bool {
        matches!(self, Self::Failed | Self::Unknown | Self::Unsent | Self::NotDecorated)
    }

    fn index(self) -> usize {
        Self::ALL.iter().position(|o| *o == self).unwrap_or(0)
    }
}

/// What is kept of an event that was not accepted.
#[derive(Debug, Clone, Copy)]
pub enum Kept<'a> {
    /// The event (decorated copy, or as read).
    Event(&'a Value),
    /// The line as read (an NDJSON line epc could not parse, or not UTF-8).
    Line(&'a [u8]),
    /// The event already serialized: its compact JSON, as `serde_json`
    /// writes it ([`crate::intake::Encoded::bytes`]); kept as [`Kept::Event`] keeps it.
    Serialized(&'a [u8]),
    /// Nothing can be kept (a whole input document that is unreadable: the
    /// input file itself is the record).
    Nothing,
}

/// An open ledger entry: one event read and not yet settled. Consumed by
/// [`Ledger::settle`]; dropping it unsettled counts it as lost.
#[derive(Debug)]
#[must_use = "an entry must be settled, or the event is lost"]
pub struct Entry {
    /// Where the event came from (`file:line`, `--data`, …).
    pub source: String,
    /// The stream it goes to.
    pub stream: String,
    lost: Arc<AtomicU64>,
    settled: bool,
}

impl Drop for Entry {
    fn drop(&mut self) {
        if !self.settled {
            self.lost.fetch_add(1, Ordering::Relaxed);
        }
    }
}

/// One settled event, for the caller's records.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settled {
    /// Where the event came from.
    pub source: String,
    /// The stream it went to.
    pub stream: String,
    /// Its outcome.
    pub outcome: Outcome,
    /// Why, for outcomes other than accepted (may be empty).
    pub message: String,
}

/// Counts per outcome, and the failed-events file.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Summary {
    counts: [u64; 10],
    /// Events written to the failed-events file.
    pub kept: u64,
    /// The failed-events file, when anything was written to it.
    pub failed_file: Option<PathBuf>,
}

impl Summary {
    /// Events settled with `outcome`.
    #[must_use]
    pub fn count(&self, outcome: Outcome) -> u64 {
        self.counts[outcome.index()]
    }

    /// Events settled in all.
    #[must_use]
    pub fn total(&self) -> u64 {
        self.counts.iter().sum()
    }

    /// Events whose outcome is an error (exit 2; [`Outcome::is_error`]).
    #[must_use]
    pub fn errors(&self) -> u64 {
        Outcome::ALL.iter().filter(|o| o.is_error()).map(|o| self.count(*o)).sum()
    }

    /// Events that are findings: not accepted, not errors (exit 1).
    #[must_use]
    pub fn findings(&self) -> u64 {
        Outcome::ALL.iter().filter(|o| !o.is_error() && !o.is_accepted()).map(|o| self.count(*o)).sum()
    }
}

/// A ledger problem: the failed-events file can't be written, or an event lost its entry.
#[derive(Debug, thiserror::Error)]
pub enum LedgerError {
    /// The failed-events file is one of the run's inputs.
    #[error("the failed-events file {0} is also an input: appending to it while reading it would never end")]
    FileIsInput(PathBuf),
    /// The failed-events file can't be created or written.
    #[error("cannot write the failed-events file {path}: {error}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        error: std::io::Error,
    },
    /// Entries were dropped without an outcome (a bug in the caller).
    #[error("{0} events were left without an outcome (a bug in epc: please report it)")]
    Lost(u64),
}

/// The failed-events file: NDJSON, appended, whole lines, synced per batch.
#[derive(Debug)]
pub struct FailedFile {
    path: PathBuf,
    file: Option<File>,
    pending: Vec<u8>,
    written: u64,
    /// With `--dry-run` nothing is written (the failures are on stderr).
    disabled: bool,
    /// The first write or sync error: nothing is written after it (a retry
    /// could duplicate lines), and every later sync fails with it.
    broken: Option<String>,
}

/// `(device, inode)` of a file that exists.
#[cfg(unix)]
fn identity(path: &Path) -> Option<(u64, u64)> {
    use std::os::unix::fs::MetadataExt as _;
    std::fs::metadata(path).ok().map(|m| (m.dev(), m.ino()))
}

#[cfg(not(unix))]
fn identity(path: &Path) -> Option<(u64, u64)> {
    let _ = path;
    None
}

impl FailedFile {
    /// A failed-events file at `path`, created at the first event kept.
    /// `inputs` are the run's inputs (`-` for standard input, compared through
    /// `/dev/stdin`).
    ///
    /// # Errors
    /// [`LedgerError::FileIsInput`] when `path` is the same file as an input
    /// (same device and inode, or the same path once made absolute);
    /// [`LedgerError::Io`] when its folder does not exist.
    pub fn new(path: &Path, inputs: &[String]) -> Result<Self, LedgerError> {
        let target = identity(path);
        let absolute = std::path::absolute(path).ok();
        for input in inputs {
            let input_path = if input == "-" { Path::new("/dev/stdin") } else { Path::new(input) };
            let same_file = target.is_some() && identity(input_path) == target;
            let same_name = input != "-" && absolute.is_some() && std::path::absolute(input_path).ok() == absolute;
            if same_file || same_name {
                return Err(LedgerError::FileIsInput(path.to_owned()));
            }
        }
        // A folder that isn't there is said before anything is sent, not after.
        let parent = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
        if !parent.is_dir() {
            return Err(LedgerError::Io {
                path: path.to_owned(),
                error: std::io::Error::new(std::io::ErrorKind::NotFound, "its folder does not exist"),
            });
        }
        Ok(Self { path: path.to_owned(), file: None, pending: Vec::new(), written: 0, disabled: false, broken: None })
    }

    /// A file that keeps nothing (`--dry-run`).
    #[must_use]
    pub fn disabled() -> Self {
        Self { path: PathBuf::new(), file: None, pending: Vec::new(), written: 0, disabled: true, broken: None }
    }

    /// The file's path.
    #[must_use]
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Events written (or buffered to be written at the next [`Self::sync`]).
    #[must_use]
    pub fn written(&self) -> u64 {
        self.written
    }

    /// Adds one line (a line break is added); written at the next [`Self::sync`].
    fn keep(&mut self, kept: Kept<'_>) -> bool {
        if self.disabled {
            return false;
        }
        match kept {
            Kept::Event(v) => {
                // Serializing a `Value` can't fail (its keys are strings).
                let _ = serde_json::to_writer(&mut self.pending, v);
            }
            Kept::Line(bytes) | Kept::Serialized(bytes) => self.pending.extend_from_slice(bytes),
            Kept::Nothing => return false,
        }
        self.pending.push(b'\n');
        self.written += 1;
        true
    }

    /// Writes the lines kept since the last call (one `write_all`, a single
    /// `write(2)` unless the kernel takes less), then `fdatasync`s the file.
    ///
    /// # Errors
    /// [`LedgerError::Io`] naming the file. After a first error the file is
    /// broken: nothing more is written (a retry could duplicate lines that did
    /// reach it), and every later call fails with the same error.
    pub fn sync(&mut self) -> Result<(), LedgerError> {
        if let Some(why) = &self.broken {
            self.pending.clear();
            return Err(LedgerError::Io { path: self.path.clone(), error: std::io::Error::other(why.clone()) });
        }
        if self.pending.is_empty() {
            return Ok(());
        }
        let result = self.write_pending();
        self.pending.clear();
        if let Err(error) = &result {
            self.broken = Some(error.to_string());
        }
        result.map_err(|error| LedgerError::Io { path: self.path.clone(), error })
    }

    /// Whether a write or sync failed (nothing is kept after that).
    #[must_use]
    pub fn is_broken(&self) -> bool {
        self.broken.is_some()
    }

    fn write_pending(&mut self) -> std::io::Result<()> {
        if self.file.is_none() {
            let mut file = OpenOptions::new().create(true).append(true).read(true).open(&self.path)?;
            // A torn last line left by another run gets its line break, so
            // that epc's lines stay whole.
            let len = file.metadata()?.len();
            if len > 0 {
                let mut last = [0u8; 1];
                file.seek(SeekFrom::Start(len - 1))?;
                file.read_exact(&mut last)?;
                if last[0] != b'\n' {
                    self.pending.insert(0, b'\n');
                }
            }
            self.file = Some(file);
        }
        if let Some(file) = &mut self.file {
            file.write_all(&self.pending)?;
            file.sync_data()?;
        }
        Ok(())
    }
}

/// The ledger of one run.
#[derive(Debug)]
pub struct Ledger {
    failed: FailedFile,
    counts: [u64; 10],
    opened: u64,
    lost: Arc<AtomicU64>,
}

impl Ledger {
    /// A ledger keeping failed events in `failed`.
    #[must_use]
    pub fn new(failed: FailedFile) -> Self {
        Self { failed, counts: [0; 10], opened: 0, lost: Arc::new(AtomicU64::new(0)) }
    }

    /// Opens an entry for one event read from `source`, going to `stream`.
    pub fn open(&mut self, source: impl Into<String>, stream: impl Into<String>) -> Entry {
        self.opened += 1;
        Entry { source: source.into(), stream: stream.into(), lost: Arc::clone(&self.lost), settled: false }
    }

    /// Events opened and not yet settled.
    #[must_use]
    pub fn open_count(&self) -> u64 {
        let settled: u64 = self.counts.iter().sum();
        self.opened.saturating_sub(settled + self.lost.load(Ordering::Relaxed))
    }

    /// Settles an entry: counts the outcome and, when it is not accepted,
    /// keeps the event (written at the next [`Self::sync`]; call it before
    /// telling anyone about the outcome).
    pub fn settle(&mut self, mut entry: Entry, outcome: Outcome, message: String, kept: Kept<'_>) -> Settled {
        entry.settled = true;
        self.counts[outcome.index()] += 1;
        if !outcome.is_accepted() {
            self.failed.keep(kept);
        }
        Settled {
            source: std::mem::take(&mut entry.source),
            stream: std::mem::take(&mut entry.stream),
            outcome,
            message,
        }
    }

    /// Keeps a line that belongs to no entry: an event the intake reported
    /// as failed that matches none sent, or input the run did not read.
    pub fn keep(&mut self, kept: Kept<'_>) {
        self.failed.keep(kept);
    }

    /// Writes and syncs what was kept since the last call.
    ///
    /// # Errors
    /// [`LedgerError::Io`] naming the failed-events file (and again at every
    /// later call: see [`FailedFile::sync`]).
    pub fn sync(&mut self) -> Result<(), LedgerError> {
        self.failed.sync()
    }

    /// Whether the failed-events file can no longer be written.
    #[must_use]
    pub fn is_broken(&self) -> bool {
        self.failed.is_broken()
    }

    /// The counts so far.
    #[must_use]
    pub fn summary(&self) -> Summary {
        Summary {
            counts: self.counts,
            kept: self.failed.written(),
            failed_file: (self.failed.written() > 0).then(|| self.failed.path().to_owned()),
        }
    }

    /// Syncs the file and returns the counts.
    ///
    /// # Errors
    /// [`LedgerError::Io`] when the file can't be written, and
    /// [`LedgerError::Lost`] when an entry was dropped without an outcome or
    /// is still open.
    pub fn close(mut self) -> Result<Summary, LedgerError> {
        self.sync()?;
        let lost = self.lost.load(Ordering::Relaxed) + self.open_count();
        if lost > 0 {
            return Err(LedgerError::Lost(lost));
        }
        Ok(self.summary())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn every_entry_settles_once_and_failed_events_are_whole_synced_lines() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("failed.ndjson");
        // Another run's torn last line.
        std::fs::write(&path, "{\"torn\":").unwrap();
        let mut ledger = Ledger::new(FailedFile::new(&path, &[]).unwrap());
        let a = ledger.open("in:1", "s");
        let b = ledger.open("in:2", "s");
        let c = ledger.open("in:3", "s");
        assert_eq!(ledger.open_count(), 3);
        ledger.settle(a, Outcome::Accepted, String::new(), Kept::Event(&json!({"n": 1})));
        let s = ledger.settle(b, Outcome::Rejected, "bad".into(), Kept::Event(&json!({"n": 2})));
        assert_eq!((s.source.as_str(), s.outcome.code(), s.message.as_str()), ("in:2", "rejected", "bad"));
        ledger.settle(c, Outcome::NotDecorated, "m".into(), Kept::Line(b"{nope"));
        // Nothing is written before the sync.
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "{\"torn\":");
        ledger.sync().unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "{\"torn\":\n{\"n\":2}\n{nope\n");
        let summary = ledger.close().unwrap();
        assert_eq!(summary.count(Outcome::Accepted), 1);
        assert_eq!(summary.count(Outcome::Rejected), 1);
        assert_eq!((summary.total(), summary.kept, summary.errors(), summary.findings()), (3, 2, 1, 1));
        assert_eq!(summary.failed_file.as_deref(), Some(path.as_path()));
    }

    #[test]
    fn an_entry_dropped_unsettled_fails_the_close() {
        let dir = tempfile::tempdir().unwrap();
        let mut ledger = Ledger::new(FailedFile::new(&dir.path().join("f"), &[]).unwrap());
        drop(ledger.open("in:1", "s"));
        assert!(matches!(ledger.close(), Err(LedgerError::Lost(1))));
        let mut ledger = Ledger::new(FailedFile::new(&dir.path().join("f"), &[]).unwrap());
        let _open = ledger.open("in:1", "s");
        assert!(matches!(ledger.close(), Err(LedgerError::Lost(1))));
    }

    #[test]
    fn the_failed_file_is_never_an_input() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("failed.ndjson");
        std::fs::write(&path, "{}\n").unwrap();
        let same = path.display().to_string();
        assert!(matches!(FailedFile::new(&path, &[same]), Err(LedgerError::FileIsInput(_))));
        // Through another name: a hard link.
        let link = dir.path().join("link.ndjson");
        std::fs::hard_link(&path, &link).unwrap();
        assert!(matches!(FailedFile::new(&link, &[path.display().to_string()]), Err(LedgerError::FileIsInput(_))));
        // A file that does not exist yet, named as an input.
        let new = dir.path().join("new.ndjson");
        assert!(matches!(FailedFile::new(&new, &[new.display().to_string()]), Err(LedgerError::FileIsInput(_))));
        assert!(FailedFile::new(&dir.path().join("other"), &[path.display().to_string()]).is_ok());
        assert!(matches!(FailedFile::new(&dir.path().join("no/such.ndjson"), &[]), Err(LedgerError::Io { .. })));
        assert!(FailedFile::new(Path::new("relative.ndjson"), &[]).is_ok());
    }

    #[test]
    fn a_file_that_cannot_be_written_stays_broken_and_writes_nothing_twice() {
        let mut ledger = Ledger::new(FailedFile::new(Path::new("/dev/full"), &[]).unwrap());
        let e = ledger.open("x", "s");
        ledger.settle(e, Outcome::Rejected, String::new(), Kept::Event(&json!({})));
        assert!(matches!(ledger.sync(), Err(LedgerError::Io { .. })));
        assert!(ledger.is_broken());
        let e = ledger.open("y", "s");
        ledger.settle(e, Outcome::Rejected, String::new(), Kept::Event(&json!({})));
        assert!(matches!(ledger.sync(), Err(LedgerError::Io { .. })));
        assert!(matches!(ledger.close(), Err(LedgerError::Io { .. })));
    }

    #[test]
    fn a_disabled_file_keeps_nothing() {
        let mut ledger = Ledger::new(FailedFile::disabled());
        let e = ledger.open("x", "s");
        ledger.settle(e, Outcome::Invalid, String::new(), Kept::Event(&json!({})));
        let s = ledger.close().unwrap();
        assert_eq!((s.kept, s.count(Outcome::Invalid)), (0, 1));
        assert_eq!(s.failed_file, None);
    }
}
