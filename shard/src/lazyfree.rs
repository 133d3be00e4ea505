//! Freeing big values off the shard threads, as Redis's lazyfree.
//!
//! A shard is one thread serving thousands of clients: dropping a value made of millions of
//! allocations inline (a DEL, an overwrite, an expiry, an eviction, a FLUSHALL ...) would
//! stall all of them for tens or hundreds of milliseconds. The collection types therefore
//! hand their heavy internals to [`defer_sized`] when their drop would take more than
//! [`LAZYFREE_THRESHOLD`] steps (blocks to free, slots to visit) or give back at least
//! [`LAZYFREE_MIN_BYTES`] (see their `Drop` impls), so every place that drops a value gets
//! this without doing anything; the shard thread's part is O(1) (a few microseconds). One
//! process-wide thread, named `lazyfree` and started on first use, frees what it is sent,
//! in order.
//!
//! The memory goes back to the allocator all the same: jemalloc returns each block to the
//! arena it came from, whichever thread frees it, so a shard's arena statistics see it go
//! once the thread got to it. Until then [`pending_bytes`] tells a shard thread how much of
//! what it handed over is still to be freed (its memory meter may count it as gone), and
//! [`set_idle_hook`] lets the server flush the freeing thread's allocator cache whenever the
//! queue runs empty (blocks parked in a thread cache still count as allocated).

use std::cell::Cell;
use std::panic::AssertUnwindSafe;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{self, Receiver, Sender};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

/// Values needing more than this many frees are freed in the background (Redis's
/// LAZYFREE_THRESHOLD). Below it, sending costs about what freeing inline does.
pub const LAZYFREE_THRESHOLD: usize = 64;

/// Values holding at least this many heap bytes are freed in the background whatever their
/// allocation count: freeing one block of megabytes gives its pages back to the kernel there
/// and then (jemalloc purges blocks from 8 MiB on eagerly, measured at about 0.1 ms a MiB;
/// glibc unmaps them).
pub const LAZYFREE_MIN_BYTES: usize = 1 << 20;

/// Whether a value whose drop takes `effort` steps (blocks to free, slots to visit) and
/// holds `bytes` of heap is better freed in the background.
#[inline]
pub fn worth_deferring(effort: usize, bytes: usize) -> bool {
    effort > LAZYFREE_THRESHOLD || bytes >= LAZYFREE_MIN_BYTES
}

/// Objects handed over and not freed yet (INFO `lazyfree_pending_objects`).
static PENDING: AtomicU64 = AtomicU64::new(0);
/// Objects the background thread has freed (INFO `lazyfreed_objects`).
static FREED: AtomicU64 = AtomicU64::new(0);
/// Called by the background thread whenever it has freed everything it was sent.
static IDLE_HOOK: OnceLock<fn()> = OnceLock::new();
/// Called once on the background thread when it starts (the server lowers its priority).
static START_HOOK: OnceLock<fn()> = OnceLock::new();
/// The way to the background thread; None when it could not be started.
static QUEUE: OnceLock<Option<Sender<Job>>> = OnceLock::new();

thread_local! {
    /// Bytes this thread handed over that are not freed yet (shared with the jobs).
    static ORIGIN: Arc<AtomicU64> = Arc::new(AtomicU64::new(0));
    /// True on the background thread itself: what it drops is freed there and then.
    static ON_LAZYFREE_THREAD: Cell<bool> = const { Cell::new(false) };
}

#[cfg(test)]
thread_local! {
    /// Objects this thread queued for the background thread (tests check the path taken).
    static QUEUED_HERE: Cell<u64> = const { Cell::new(0) };
}

/// One object to free, and whose bytes it holds.
struct Job {
    garbage: Box<dyn Send>,
    origin: Option<(Arc<AtomicU64>, u64)>,
}

/// Free `garbage` on the background thread (inline when that thread is not available, or
/// when called on it).
pub fn defer<T: Send + 'static>(garbage: T) {
    send(Box::new(garbage), None);
}

/// [`defer`], counting `bytes` in the calling thread's [`pending_bytes`] until freed.
pub fn defer_sized<T: Send + 'static>(garbage: T, bytes: usize) {
    let origin = ORIGIN
        .try_with(|origin| {
            origin.fetch_add(bytes as u64, Ordering::Relaxed);
            (Arc::clone(origin), bytes as u64)
        })
        .ok();
    send(Box::new(garbage), origin);
}

fn send(garbage: Box<dyn Send>, origin: Option<(Arc<AtomicU64>, u64)>) {
    let job = Job { garbage, origin };
    // Already on the freeing thread (a value nested in something being freed), or a
    // thread being torn down: free here.
    if ON_LAZYFREE_THREAD.try_with(Cell::get).unwrap_or(true) {
        return finish(job, false);
    }
    let Some(queue) = QUEUE.get_or_init(start) else {
        return finish(job, false);
    };
    PENDING.fetch_add(1, Ordering::Relaxed);
    match queue.send(job) {
        Ok(()) => {
            #[cfg(test)]
            let _ = QUEUED_HERE.try_with(|n| n.set(n.get() + 1));
        }
        Err(mpsc::SendError(job)) => {
            PENDING.fetch_sub(1, Ordering::Relaxed);
            finish(job, false);
        }
    }
}

/// Drop the job's object and settle its bookkeeping.
fn finish(job: Job, background: bool) {
    let Job { garbage, origin } = job;
    // A panicking destructor must not take the freeing thread with it.
    let _ = std::panic::catch_unwind(AssertUnwindSafe(move || drop(garbage)));
    if background {
        FREED.fetch_add(1, Ordering::Relaxed);
        PENDING.fetch_sub(1, Ordering::Release);
    }
    // Last: once a thread sees its pending bytes settle, the counters above have moved.
    if let Some((origin, bytes)) = origin {
        origin.fetch_sub(bytes, Ordering::Release);
    }
}

fn start() -> Option<Sender<Job>> {
    let (tx, rx) = mpsc::channel();
    std::thread::Builder::new()
        .name("lazyfree".to_string())
        .spawn(move || run(rx))
        .ok()
        .map(|_| tx)
}

fn run(rx: Receiver<Job>) {
    ON_LAZYFREE_THREAD.with(|on| on.set(true));
    if let Some(hook) = START_HOOK.get() {
        hook();
    }
    while let Ok(job) = rx.recv() {
        finish(job, true);
        if PENDING.load(Ordering::Acquire) == 0 {
            if let Some(hook) = IDLE_HOOK.get() {
                hook();
            }
        }
    }
}

/// Objects waiting for the background thread (INFO `lazyfree_pending_objects`).
pub fn pending_objects() -> u64 {
    PENDING.load(Ordering::Acquire)
}

/// Objects the background thread has freed since start (INFO `lazyfreed_objects`).
pub fn lazyfreed_objects() -> u64 {
    FREED.load(Ordering::Relaxed)
}

/// Bytes the calling thread handed over with [`defer_sized`] that are not freed yet.
pub fn pending_bytes() -> u64 {
    ORIGIN
        .try_with(|origin| origin.load(Ordering::Acquire))
        .unwrap_or(0)
}

/// Have the background thread call `hook` whenever it has freed all it was sent (the
/// server flushes that thread's allocator cache there). Only the first call takes effect.
pub fn set_idle_hook(hook: fn()) {
    let _ = IDLE_HOOK.set(hook);
}

/// Have the background thread call `hook` when it starts. Only the first call takes effect.
pub fn set_start_hook(hook: fn()) {
    let _ = START_HOOK.set(hook);
}

/// Wait until nothing is pending (tests, benchmarks, a synchronous flush); false when
/// `timeout` passed first.
pub fn wait_idle(timeout: Duration) -> bool {
    let start = Instant::now();
    while pending_objects() > 0 {
        if start.elapsed() >= timeout {
            return false;
        }
        std::thread::sleep(Duration::from_micros(100));
    }
    true
}

/// Objects the calling thread has queued for the background thread.
#[cfg(test)]
pub(crate) fn queued_here() -> u64 {
    QUEUED_HERE.try_with(Cell::get).unwrap_or(0)
}

/// Test helper for the collection types: drop `value` on this thread and check that it
/// went to the background thread quickly, and was freed there within a bounded wait.
#[cfg(test)]
pub(crate) fn assert_dropped_in_background<T>(value: T) {
    let queued = queued_here();
    let freed = lazyfreed_objects();
    let start = Instant::now();
    drop(value);
    let took = start.elapsed();
    assert_eq!(
        queued_here(),
        queued + 1,
        "not handed to the lazyfree thread"
    );
    // Generous for a loaded CI machine: an inline drop of these values takes far longer.
    assert!(took < Duration::from_millis(100), "drop took {took:?}");
    let start = Instant::now();
    while pending_bytes() > 0 {
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "not freed after 30 s"
        );
        std::thread::sleep(Duration::from_millis(1));
    }
    assert!(lazyfreed_objects() > freed);
}

/// Test helper: dropping `value` frees it right here.
#[cfg(test)]
pub(crate) fn assert_dropped_inline<T>(value: T) {
    let queued = queued_here();
    drop(value);
    assert_eq!(
        queued_here(),
        queued,
        "a small value went to the lazyfree thread"
    );
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::AtomicBool;

    /// Records on which thread it was dropped.
    struct Witness(Arc<std::sync::Mutex<Option<String>>>);

    impl Drop for Witness {
        fn drop(&mut self) {
            let name = std::thread::current().name().map(str::to_string);
            if let Ok(mut slot) = self.0.lock() {
                *slot = name;
            }
        }
    }

    fn eventually(mut f: impl FnMut() -> bool) -> bool {
        let start = Instant::now();
        while start.elapsed() < Duration::from_secs(10) {
            if f() {
                return true;
            }
            std::thread::sleep(Duration::from_millis(1));
        }
        false
    }

    #[test]
    fn frees_on_the_lazyfree_thread() {
        let seen = Arc::new(std::sync::Mutex::new(None));
        let freed = lazyfreed_objects();
        defer(Witness(Arc::clone(&seen)));
        assert!(eventually(|| seen
            .lock()
            .map(|s| s.is_some())
            .unwrap_or(false)));
        let name = seen.lock().map(|s| s.clone()).unwrap_or_default();
        assert_eq!(name.as_deref(), Some("lazyfree"));
        assert!(lazyfreed_objects() > freed);
    }

    #[test]
    fn pending_bytes_follow_this_thread() {
        // A fresh thread: nothing else it runs hands over anything.
        std::thread::spawn(|| {
            let gate = Arc::new(AtomicBool::new(false));
            struct Gated(Arc<AtomicBool>);
            impl Drop for Gated {
                fn drop(&mut self) {
                    while !self.0.load(Ordering::Acquire) {
                        std::thread::sleep(Duration::from_millis(1));
                    }
                }
            }
            assert_eq!(pending_bytes(), 0);
            defer_sized(Gated(Arc::clone(&gate)), 1000);
            defer_sized(vec![0u8; 500], 500);
            let (bytes, objects) = (pending_bytes(), pending_objects());
            // Open the gate before asserting: a failure must not leave the thread blocked.
            gate.store(true, Ordering::Release);
            assert_eq!(bytes, 1500);
            assert!(objects >= 1);
            assert!(eventually(|| pending_bytes() == 0));
        })
        .join()
        .expect("test thread");
    }

    #[test]
    fn nested_deferrals_run_in_place() {
        struct Nested(Arc<std::sync::Mutex<Option<String>>>);
        impl Drop for Nested {
            fn drop(&mut self) {
                defer(Witness(Arc::clone(&self.0)));
            }
        }
        let seen = Arc::new(std::sync::Mutex::new(None));
        defer(Nested(Arc::clone(&seen)));
        assert!(eventually(|| seen
            .lock()
            .map(|s| s.is_some())
            .unwrap_or(false)));
        assert!(wait_idle(Duration::from_secs(10)));
    }

    #[test]
    fn a_panicking_destructor_does_not_stop_the_thread() {
        struct Bomb;
        impl Drop for Bomb {
            fn drop(&mut self) {
                panic!("boom (expected by the test)");
            }
        }
        defer(Bomb);
        let seen = Arc::new(std::sync::Mutex::new(None));
        defer(Witness(Arc::clone(&seen)));
        assert!(eventually(|| seen
            .lock()
            .map(|s| s.is_some())
            .unwrap_or(false)));
    }
}
