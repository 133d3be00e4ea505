//! Memory figures from the allocator (jemalloc, as Redis): what INFO's used_memory and the
//! per-shard gauges report.

use std::sync::atomic::{AtomicU64, Ordering};
use tikv_jemalloc_ctl::{epoch, stats, thread};

/// Process-wide memory figures as INFO's memory section reports them.
pub struct ProcessMemory {
    pub used: u64,
    pub rss: u64,
    pub peak: u64,
}

/// The highest `used` seen so far (updated whenever INFO or /metrics looks).
static PEAK: AtomicU64 = AtomicU64::new(0);

impl ProcessMemory {
    pub fn now() -> Self {
        let used = allocated();
        let peak = PEAK.fetch_max(used, Ordering::Relaxed).max(used);
        ProcessMemory {
            used,
            rss: resident(),
            peak,
        }
    }
}

/// Bytes the process has allocated and not freed (INFO used_memory).
pub fn allocated() -> u64 {
    // jemalloc's statistics are a snapshot refreshed by advancing the epoch.
    let _ = epoch::advance();
    stats::allocated::read().map_or(0, |n| n as u64)
}

/// Bytes of physical memory the allocator holds (INFO used_memory_rss's source).
pub fn resident() -> u64 {
    let statm = std::fs::read_to_string("/proc/self/statm").unwrap_or_default();
    let pages: u64 = statm
        .split_whitespace()
        .nth(1)
        .and_then(|p| p.parse().ok())
        .unwrap_or(0);
    // SAFETY: sysconf has no preconditions.
    let page = unsafe { libc::sysconf(libc::_SC_PAGESIZE) }.max(4096) as u64;
    pages * page
}

/// Per-thread counters: bytes this thread allocated and freed since it started. They are
/// plain thread-local reads (no lock, no shared cache line), cheap enough for every tick.
pub struct ThreadMemory {
    allocated: Option<thread::ThreadLocal<u64>>,
    deallocated: Option<thread::ThreadLocal<u64>>,
}

impl ThreadMemory {
    /// The calling thread's counters (call on the thread that will read them).
    pub fn current() -> Self {
        ThreadMemory {
            allocated: thread::allocatedp::read().ok(),
            deallocated: thread::deallocatedp::read().ok(),
        }
    }

    /// Bytes allocated minus bytes freed by this thread. Memory allocated here and freed
    /// by another shard (a value that moved) counts here until then; it is a per-core
    /// balance, and the process total is [`allocated`].
    pub fn net(&self) -> u64 {
        let allocated = self.allocated.as_ref().map_or(0, |a| a.get());
        let deallocated = self.deallocated.as_ref().map_or(0, |d| d.get());
        allocated.saturating_sub(deallocated)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counters_move_with_allocations() {
        let me = ThreadMemory::current();
        let before = me.net();
        let block = vec![7u8; 1 << 20];
        assert!(
            me.net() >= before + (1 << 20) - 4096,
            "{} {}",
            me.net(),
            before
        );
        drop(block);
        assert!(allocated() > 0);
        assert!(resident() > 0);
    }
}
