//! SIGINT and SIGTERM for `epc send`: the first asks the run to stop (stop
//! reading, finish or abandon the request in flight within a bound, keep the
//! rest); the second asks it to abandon the request in flight at once; a third
//! ends the process with the signal's default action.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicI32, AtomicUsize, Ordering};
use std::time::Instant;

use anyhow::{Context as _, Result};
use signal_hook::consts::{SIGINT, SIGTERM};

/// The signals received so far.
#[derive(Debug, Clone)]
pub(crate) struct Stop {
    signal: Arc<AtomicI32>,
    count: Arc<AtomicUsize>,
    at: Arc<std::sync::Mutex<Option<Instant>>>,
}

impl Stop {
    /// Installs the handlers (a thread that counts the signals).
    pub(crate) fn install() -> Result<Self> {
        let stop = Self::never();
        let die = Arc::new(AtomicBool::new(false));
        for sig in [SIGINT, SIGTERM] {
            // Once `die` is set, the signal's default action: the process ends.
            signal_hook::flag::register_conditional_default(sig, Arc::clone(&die))
                .context("cannot install the signal handlers")?;
        }
        let mut signals =
            signal_hook::iterator::Signals::new([SIGINT, SIGTERM]).context("cannot install the signal handlers")?;
        let seen = stop.clone();
        std::thread::Builder::new()
            .name("signals".into())
            .spawn(move || {
                for sig in signals.forever() {
                    seen.signal.compare_exchange(0, sig, Ordering::SeqCst, Ordering::SeqCst).ok();
                    if let Ok(mut at) = seen.at.lock() {
                        at.get_or_insert_with(Instant::now);
                    }
                    if seen.count.fetch_add(1, Ordering::SeqCst) + 1 >= 2 {
                        die.store(true, Ordering::SeqCst);
                    }
                }
            })
            .context("cannot start the signal thread")?;
        Ok(stop)
    }

    /// A stop that never comes (tests, and runs that install no handler).
    pub(crate) fn never() -> Self {
        Self {
            signal: Arc::new(AtomicI32::new(0)),
            count: Arc::new(AtomicUsize::new(0)),
            at: Arc::new(std::sync::Mutex::new(None)),
        }
    }

    /// Whether a signal asked the run to stop.
    pub(crate) fn requested(&self) -> bool {
        self.count.load(Ordering::SeqCst) > 0
    }

    /// Whether a second signal asked to abandon the request in flight now.
    pub(crate) fn urgent(&self) -> bool {
        self.count.load(Ordering::SeqCst) > 1
    }

    /// The time since the first signal, if one came.
    pub(crate) fn since(&self) -> Option<std::time::Duration> {
        self.at.lock().ok().and_then(|at| at.map(|t| t.elapsed()))
    }

    /// The first signal: `SIGINT` or `SIGTERM`.
    pub(crate) fn name(&self) -> &'static str {
        match self.signal.load(Ordering::SeqCst) {
            SIGTERM => "SIGTERM",
            _ => "SIGINT",
        }
    }

    /// The exit code for the first signal: 128 + its number (130, 143).
    pub(crate) fn exit_code(&self) -> Option<u8> {
        match self.signal.load(Ordering::SeqCst) {
            0 => None,
            sig => u8::try_from(128 + sig).ok(),
        }
    }
}
