//! The connections of `epc serve`: a tokio accept loop driving hyper's HTTP/1
//! connections, with the limits that keep clients from holding the server.
//!
//! Each connection is always in one of three phases, and each phase but one
//! has a clock:
//! - **head**: waiting for a request head, from the accept or from the first
//!   byte after an idle spell; closed `--header-timeout` after that, however
//!   slowly bytes keep coming (slowloris);
//! - **idle**: a keep-alive connection between requests (the answer may still
//!   be going out); closed after `--idle-timeout` without a byte in either
//!   direction;
//! - **busy**: inside a request, from its complete head to its answer. The
//!   body has its own deadline, `--body-timeout` after the head (the handler
//!   answers 408); judging and storing have none.
//!
//! At most `--max-connections` connections are open. When one more arrives,
//! the connection waiting longest for a request head (then: idle longest) is
//! closed to make room; when every connection is busy, new ones wait in the
//! listen backlog until a request ends. So requests being received never
//! exceed the limit, which is what bounds memory (limit × `--max-body-size`),
//! and a flood of stalled heads cannot lock out a real client.

use std::collections::HashMap;
use std::io;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicU8, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll};
use std::time::Duration;

use axum::body::Body;
use hyper::body::Incoming;
use hyper_util::rt::TokioIo;
use hyper_util::service::TowerToHyperService;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Notify, watch};
use tokio::time::Instant;

/// The largest read buffer of a connection, so also the largest request head
/// (hyper answers 431 above it). Node, under EventGate, allows 16 KiB of headers.
pub(super) const MAX_READ_BUFFER: usize = 64 * 1024;

/// The timeouts and the connection limit.
#[derive(Debug, Clone, Copy)]
pub(super) struct Limits {
    /// Most connections open at once.
    pub(super) max_connections: usize,
    /// From a request's first byte (or the accept) to its complete head.
    pub(super) header: Duration,
    /// A keep-alive connection without a byte in either direction.
    pub(super) idle: Duration,
}

const HEAD: u8 = 0;
const IDLE: u8 = 1;
const BUSY: u8 = 2;

/// What a connection's watchdog and the accept loop know of one connection.
struct Watch {
    /// `HEAD`, `IDLE` or `BUSY`.
    phase: AtomicU8,
    /// When the phase's clock started, in milliseconds since `epoch`.
    since: AtomicU64,
    /// Its last read found nothing to read: it waits on the client. Only such
    /// connections make room for new ones (one just accepted has not been read yet).
    waiting: AtomicBool,
    /// Closed to make room for a new connection.
    evicted: AtomicBool,
    /// A request has come in on it (so an answer may still be going out).
    served: AtomicBool,
    /// Wakes the watchdog when its deadline may have moved earlier, or on eviction.
    wake: Notify,
    epoch: Instant,
}

impl Watch {
    fn new(epoch: Instant) -> Self {
        let w = Self {
            phase: AtomicU8::new(HEAD),
            since: AtomicU64::new(0),
            waiting: AtomicBool::new(false),
            evicted: AtomicBool::new(false),
            served: AtomicBool::new(false),
            wake: Notify::new(),
            epoch,
        };
        w.since.store(w.now(), Ordering::Relaxed);
        w
    }

    fn now(&self) -> u64 {
        u64::try_from(self.epoch.elapsed().as_millis()).unwrap_or(u64::MAX)
    }

    fn phase(&self) -> u8 {
        self.phase.load(Ordering::Relaxed)
    }

    /// When the current phase's clock runs out (never while busy).
    fn deadline(&self, limits: &Limits) -> Option<Instant> {
        let span = match self.phase() {
            HEAD => limits.header,
            IDLE => limits.idle,
            _ => return None,
        };
        Some(self.epoch + Duration::from_millis(self.since.load(Ordering::Relaxed)) + span)
    }

    /// Bytes arrived: the first after an idle spell start a request head and its clock.
    fn on_read(&self) {
        if self.phase.compare_exchange(IDLE, HEAD, Ordering::Relaxed, Ordering::Relaxed).is_ok() {
            self.since.store(self.now(), Ordering::Relaxed);
            self.wake.notify_one();
        }
    }

    /// Bytes of an answer went out: an idle connection is not idle yet.
    fn on_write(&self) {
        if self.phase() == IDLE {
            self.since.store(self.now(), Ordering::Relaxed);
        }
    }

    fn begin_request(&self) {
        self.served.store(true, Ordering::Relaxed);
        self.phase.store(BUSY, Ordering::Relaxed);
    }

    fn end_request(&self) {
        self.since.store(self.now(), Ordering::Relaxed);
        self.phase.store(IDLE, Ordering::Relaxed);
        self.wake.notify_one();
    }

    fn evict(&self) {
        self.evicted.store(true, Ordering::Relaxed);
        self.wake.notify_one();
    }
}

/// The open connections, for the limit and for a graceful shutdown.
pub(super) struct Connections {
    limits: Limits,
    table: Mutex<HashMap<u64, Arc<Watch>>>,
    next_id: AtomicU64,
    /// Notified when a connection closes or a request ends.
    changed: Notify,
    /// Connections closed to make room, or by their head or idle clock.
    closed_by_limits: AtomicUsize,
    epoch: Instant,
}

impl Connections {
    pub(super) fn new(limits: Limits) -> Arc<Self> {
        Arc::new(Self {
            limits,
            table: Mutex::default(),
            next_id: AtomicU64::new(0),
            changed: Notify::new(),
            closed_by_limits: AtomicUsize::new(0),
            epoch: Instant::now(),
        })
    }

    fn table(&self) -> std::sync::MutexGuard<'_, HashMap<u64, Arc<Watch>>> {
        self.table.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Connections open now.
    pub(super) fn open(&self) -> usize {
        self.table().len()
    }

    /// Connections that the header or idle timeout closed, or that made room for a new one.
    pub(super) fn closed_by_limits(&self) -> usize {
        self.closed_by_limits.load(Ordering::Relaxed)
    }

    /// Registers a new connection, making room when at the limit: of the
    /// connections waiting on their client, the one waiting longest for a
    /// request head is closed, else the one idle longest; when every
    /// connection is inside a request, waits until one ends.
    async fn admit(&self) -> (u64, Arc<Watch>) {
        loop {
            let changed = self.changed.notified();
            let mut changed = std::pin::pin!(changed);
            changed.as_mut().enable();
            let mut unread = false;
            {
                let mut table = self.table();
                if table.len() >= self.limits.max_connections {
                    let idle = |w: &Watch| w.phase() != BUSY;
                    unread = table.values().any(|w| idle(w) && !w.waiting.load(Ordering::Relaxed));
                    let victim = table
                        .iter()
                        .filter(|(_, w)| idle(w) && w.waiting.load(Ordering::Relaxed))
                        .min_by_key(|(_, w)| (w.phase(), w.since.load(Ordering::Relaxed)))
                        .map(|(id, _)| *id);
                    if let Some(id) = victim
                        && let Some(watch) = table.remove(&id)
                    {
                        watch.evict();
                        self.closed_by_limits.fetch_add(1, Ordering::Relaxed);
                    }
                }
                if table.len() < self.limits.max_connections {
                    let id = self.next_id.fetch_add(1, Ordering::Relaxed);
                    let watch = Arc::new(Watch::new(self.epoch));
                    table.insert(id, Arc::clone(&watch));
                    return (id, watch);
                }
            }
            if unread {
                // A connection not read yet may turn out to wait on its client soon.
                let _ = tokio::time::timeout(Duration::from_millis(5), changed).await;
            } else {
                changed.await;
            }
        }
    }

    fn leave(&self, id: u64) {
        self.table().remove(&id);
        self.changed.notify_waiters();
    }

    /// Waits until no connection is open.
    pub(super) async fn drained(&self) {
        loop {
            let changed = self.changed.notified();
            let mut changed = std::pin::pin!(changed);
            changed.as_mut().enable();
            if self.table().is_empty() {
                return;
            }
            changed.await;
        }
    }
}

/// Marks a connection busy while a request is inside the service (ended on drop,
/// also when the client goes away mid-request).
struct InRequest {
    watch: Arc<Watch>,
    connections: Arc<Connections>,
}

impl InRequest {
    fn new(watch: &Arc<Watch>, connections: &Arc<Connections>) -> Self {
        watch.begin_request();
        Self { watch: Arc::clone(watch), connections: Arc::clone(connections) }
    }
}

impl Drop for InRequest {
    fn drop(&mut self) {
        self.watch.end_request();
        // An idle connection can make room for a waiting one.
        self.connections.changed.notify_waiters();
    }
}

/// The socket, telling the watchdog about bytes read and written.
struct Watched {
    stream: TcpStream,
    watch: Arc<Watch>,
}

impl AsyncRead for Watched {
    fn poll_read(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        let polled = Pin::new(&mut self.stream).poll_read(cx, buf);
        if polled.is_pending() {
            self.watch.waiting.store(true, Ordering::Relaxed);
        } else if buf.filled().len() > before {
            self.watch.waiting.store(false, Ordering::Relaxed);
            self.watch.on_read();
        }
        polled
    }
}

impl AsyncWrite for Watched {
    fn poll_write(mut self: Pin<&mut Self>, cx: &mut Context<'_>, data: &[u8]) -> Poll<io::Result<usize>> {
        let polled = Pin::new(&mut self.stream).poll_write(cx, data);
        if matches!(polled, Poll::Ready(Ok(n)) if n > 0) {
            self.watch.on_write();
        }
        polled
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let polled = Pin::new(&mut self.stream).poll_write_vectored(cx, bufs);
        if matches!(polled, Poll::Ready(Ok(n)) if n > 0) {
            self.watch.on_write();
        }
        polled
    }

    fn is_write_vectored(&self) -> bool {
        self.stream.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_shutdown(cx)
    }
}

/// Accepts connections until `stop` turns true, serving each with `router`
/// on its own task; then returns (the listener is dropped: the port closes).
/// Connections still open get `stop` too and finish their request in flight.
pub(super) async fn accept_loop(
    listener: TcpListener,
    router: axum::Router,
    connections: Arc<Connections>,
    mut stop: watch::Receiver<bool>,
    on_accept_error: impl Fn(&io::Error),
) {
    let mut last_error: Option<std::time::Instant> = None;
    loop {
        let accepted = tokio::select! {
            accepted = listener.accept() => accepted,
            _ = stop.wait_for(|s| *s) => return,
        };
        let stream = match accepted {
            Ok((stream, _)) => stream,
            Err(e) => {
                // Out of file descriptors (or the like): say so once a second, and
                // let connections close before accepting again.
                if last_error.is_none_or(|t| t.elapsed() > Duration::from_secs(1)) {
                    on_accept_error(&e);
                    last_error = Some(std::time::Instant::now());
                }
                tokio::time::sleep(Duration::from_millis(20)).await;
                continue;
            }
        };
        let (id, watch) = tokio::select! {
            admitted = connections.admit() => admitted,
            _ = stop.wait_for(|s| *s) => return,
        };
        tokio::spawn(connection(stream, id, watch, router.clone(), Arc::clone(&connections), stop.clone()));
    }
}

/// Serves one connection until it closes, its head or idle clock runs out,
/// it is evicted, or (after `stop`) its request in flight is answered.
async fn connection(
    stream: TcpStream,
    id: u64,
    watch: Arc<Watch>,
    router: axum::Router,
    connections: Arc<Connections>,
    mut stop: watch::Receiver<bool>,
) {
    // Leaves the table however the task ends (a panic in a handler included).
    struct Registered(Arc<Connections>, u64);
    impl Drop for Registered {
        fn drop(&mut self) {
            self.0.leave(self.1);
        }
    }
    let _registered = Registered(Arc::clone(&connections), id);
    let limits = connections.limits;
    let io = TokioIo::new(Watched { stream, watch: Arc::clone(&watch) });
    let tower = TowerToHyperService::new(router);
    let service = {
        let (watch, connections) = (Arc::clone(&watch), Arc::clone(&connections));
        hyper::service::service_fn(move |request: hyper::Request<Incoming>| {
            let in_request = InRequest::new(&watch, &connections);
            let answered = hyper::service::Service::call(&tower, request.map(Body::new));
            async move {
                let response = answered.await;
                drop(in_request);
                response
            }
        })
    };
    let mut builder = hyper::server::conn::http1::Builder::new();
    builder.keep_alive(true).max_buf_size(MAX_READ_BUFFER).max_header_size(MAX_READ_BUFFER).header_read_timeout(None);
    let conn = builder.serve_connection(io, service);
    let mut conn = std::pin::pin!(conn);
    let mut stopping = false;
    loop {
        let deadline = watch.deadline(&limits);
        tokio::select! {
            _ = conn.as_mut() => break,
            () = sleep_until(deadline) => {
                if watch.deadline(&limits).is_some_and(|d| d <= Instant::now()) {
                    connections.closed_by_limits.fetch_add(1, Ordering::Relaxed);
                    break;
                }
            }
            () = watch.wake.notified() => {
                if watch.evicted.load(Ordering::Relaxed) {
                    break;
                }
            }
            _ = stop.wait_for(|s| *s), if !stopping => {
                // A first request head not complete yet is not in flight: closed now
                // (so stalled heads do not hold up the shutdown); the rest finish.
                if watch.phase() == HEAD && !watch.served.load(Ordering::Relaxed) {
                    break;
                }
                stopping = true;
                conn.as_mut().graceful_shutdown();
            }
        }
    }
    // Dropping the connection closes the socket; `_registered` then leaves the table.
}

/// Sleeps until `deadline`, or forever without one.
async fn sleep_until(deadline: Option<Instant>) {
    match deadline {
        Some(d) => tokio::time::sleep_until(d).await,
        None => std::future::pending().await,
    }
}
