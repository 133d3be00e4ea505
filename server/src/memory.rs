//! Memory figures from the allocator (jemalloc, as Redis): what INFO's used_memory and the
//! per-shard gauges report.

use std::alloc::{GlobalAlloc, Layout};
use std::cell::Cell;
use std::sync::atomic::{AtomicU64, Ordering};
use tikv_jemalloc_ctl::{epoch, stats, thread};
use tikv_jemallocator::Jemalloc;

thread_local! {
    /// Set while this thread handles memory another shard allocated (see
    /// [`freeing_foreign_memory`]).
    static FREES_SKIP_THREAD_CACHE: Cell<bool> = const { Cell::new(false) };
}

/// jemalloc, except that frees made inside [`freeing_foreign_memory`] skip the thread's cache.
///
/// Why: a block freed into a shard's thread cache is handed out again to that shard's next
/// allocation of its size, whichever arena it came from. A shard freeing another shard's
/// message payloads (transaction ops and results, lock sets, watched keys) would keep that
/// memory as its own data while it stays counted in the other shard's arena: the split of
/// maxmemory between shards would drift for good. Freed past the cache, a block goes back to
/// its own arena at once, and the owner's next exact reading is right.
pub struct ShardAllocator;

/// jemalloc's flags for a layout, as tikv-jemallocator computes them (alignment only when
/// the size class does not give it already).
fn layout_flags(layout: &Layout) -> std::ffi::c_int {
    // The malloc alignment on x86-64 and aarch64 Linux.
    const MAX_ALIGN_T: usize = 16;
    if layout.align() <= MAX_ALIGN_T && layout.align() <= layout.size() {
        0
    } else {
        tikv_jemalloc_sys::MALLOCX_ALIGN(layout.align())
    }
}

// SAFETY: every call is jemalloc's own, with the layout's size and flags, as Jemalloc does;
// the cache-skipping paths only add MALLOCX_TCACHE_NONE, which changes where a freed block
// goes, not the contract.
unsafe impl GlobalAlloc for ShardAllocator {
    #[inline]
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: forwarded as is.
        unsafe { Jemalloc.alloc(layout) }
    }

    #[inline]
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        // SAFETY: forwarded as is.
        unsafe { Jemalloc.alloc_zeroed(layout) }
    }

    #[inline]
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        if FREES_SKIP_THREAD_CACHE.with(Cell::get) {
            let flags = layout_flags(&layout) | tikv_jemalloc_sys::MALLOCX_TCACHE_NONE;
            // SAFETY: `ptr` came from this allocator with `layout` (GlobalAlloc's contract).
            unsafe { tikv_jemalloc_sys::sdallocx(ptr.cast(), layout.size(), flags) }
        } else {
            // SAFETY: forwarded as is.
            unsafe { Jemalloc.dealloc(ptr, layout) }
        }
    }

    #[inline]
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        if FREES_SKIP_THREAD_CACHE.with(Cell::get) {
            // SAFETY: the alignment is the block's own, valid; `new_size` is non-zero and
            // does not overflow when rounded up to it (GlobalAlloc::realloc's contract).
            let new_layout = unsafe { Layout::from_size_align_unchecked(new_size, layout.align()) };
            let flags = layout_flags(&new_layout) | tikv_jemalloc_sys::MALLOCX_TCACHE_NONE;
            // SAFETY: as `dealloc`; rallocx keeps the contents and frees the old block.
            unsafe { tikv_jemalloc_sys::rallocx(ptr.cast(), new_size, flags).cast() }
        } else {
            // SAFETY: forwarded as is.
            unsafe { Jemalloc.realloc(ptr, layout, new_size) }
        }
    }
}

/// Run `f` (handling a message from another shard) with frees going straight back to the
/// arenas the blocks came from, not into this thread's cache (see [`ShardAllocator`]).
pub fn freeing_foreign_memory<R>(f: impl FnOnce() -> R) -> R {
    let was = FREES_SKIP_THREAD_CACHE.with(|flag| flag.replace(true));
    let result = f();
    FREES_SKIP_THREAD_CACHE.with(|flag| flag.set(was));
    result
}

/// Process-wide memory figures as INFO's memory section reports them.
pub struct ProcessMemory {
    pub used: u64,
    pub rss: u64,
    pub peak: u64,
    /// Allocated once the server was up, before any client (INFO used_memory_startup).
    pub startup: u64,
    /// The allocator's active and resident bytes (INFO allocator_active/_resident).
    pub allocator_active: u64,
    pub allocator_resident: u64,
}

/// The highest `used` seen so far (updated whenever INFO or /metrics looks).
static PEAK: AtomicU64 = AtomicU64::new(0);

/// Memory outside the shards at start plus each shard's once it is set up.
static STARTUP: AtomicU64 = AtomicU64::new(0);

/// The shard threads' arenas, registered as each binds its own (at start only).
static SHARD_ARENAS: std::sync::Mutex<Vec<u32>> = std::sync::Mutex::new(Vec::new());

/// Bytes allocated outside every shard's arena (rings, the metrics thread, the freeing
/// thread's cache...) at the last measurement: taken off maxmemory before it is split among
/// shards, so INFO used_memory, which counts the whole process, stays at maxmemory.
static OUTSIDE_SHARDS: AtomicU64 = AtomicU64::new(0);

/// The last measurement of the memory outside the shards.
pub fn outside_shards() -> u64 {
    OUTSIDE_SHARDS.load(Ordering::Relaxed)
}

/// Measure the memory outside the shards (one shard does it, on its tick, right after its
/// own exact reading advanced the statistics epoch: the total and every arena come from
/// the same snapshot).
pub fn measure_outside_shards() {
    let Ok(arenas) = SHARD_ARENAS.lock().map(|a| a.clone()) else {
        return;
    };
    let total = stats::allocated::read().map_or(0, |n| n as u64);
    let in_shards: u64 = arenas.iter().map(|&arena| arena_allocated(arena)).sum();
    OUTSIDE_SHARDS.store(total.saturating_sub(in_shards), Ordering::Relaxed);
}

/// Small and large bytes allocated in one arena, at the current statistics epoch.
fn arena_allocated(arena: u32) -> u64 {
    let read = |kind: &str| {
        let name = format!("stats.arenas.{arena}.{kind}.allocated\0");
        // SAFETY: a size_t statistic, named with a valid arena index.
        unsafe { tikv_jemalloc_ctl::raw::read::<usize>(name.as_bytes()) }.unwrap_or(0) as u64
    };
    read("small") + read("large")
}

/// Count `bytes` into the startup figure (main and each shard call it once, at start).
pub fn add_startup(bytes: u64) {
    STARTUP.fetch_add(bytes, Ordering::Relaxed);
}

/// The first measure of the memory outside the shards, before they start.
pub fn set_outside_shards(bytes: u64) {
    OUTSIDE_SHARDS.store(bytes, Ordering::Relaxed);
}

impl ProcessMemory {
    pub fn now() -> Self {
        let used = allocated();
        let peak = PEAK.fetch_max(used, Ordering::Relaxed).max(used);
        // The epoch was advanced by `allocated`.
        let read = |value: Result<usize, _>| value.map_or(0, |n: usize| n as u64);
        ProcessMemory {
            used,
            rss: resident(),
            peak,
            startup: STARTUP.load(Ordering::Relaxed),
            allocator_active: read(stats::active::read()),
            allocator_resident: read(stats::resident::read()),
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

    #[inline]
    pub fn allocated(&self) -> u64 {
        self.allocated.as_ref().map_or(0, |a| a.get())
    }

    #[inline]
    pub fn deallocated(&self) -> u64 {
        self.deallocated.as_ref().map_or(0, |d| d.get())
    }
}

/// Hand the calling thread's cached freed blocks back to their arenas, whose statistics
/// count them as allocated until then.
pub fn flush_thread_cache() {
    // SAFETY: thread.tcache.flush is a void control: no old or new value pointers.
    unsafe {
        tikv_jemalloc_sys::mallctl(
            c"thread.tcache.flush".as_ptr(),
            std::ptr::null_mut(),
            std::ptr::null_mut(),
            std::ptr::null_mut(),
            0,
        );
    }
}

/// One shard's memory, exactly: the shard thread allocates from a jemalloc arena of its
/// own, and the arena's statistics count its live bytes wherever they are freed (a value
/// that moved to another shard and is freed there still returns to this arena). Those
/// statistics are refreshed every tick; in between, the thread's own allocation counters
/// carry the figure forward (exact enough since shards don't free each other's buffers,
/// see `message::Batch`), so the check before each command costs two thread-local reads.
pub struct ArenaMeter {
    /// mallctl names of this arena's small and large allocated bytes.
    small: Vec<u8>,
    large: Vec<u8>,
    thread: ThreadMemory,
    /// The arena's bytes at the last refresh, and the thread's counters then.
    base: u64,
    base_allocated: u64,
    base_deallocated: u64,
    /// Bytes sent to other shards to free since the last refresh.
    exported: u64,
}

impl ArenaMeter {
    /// Give the calling thread an arena of its own (None if jemalloc refuses) and meter it.
    pub fn bind_current_thread() -> Option<Self> {
        // SAFETY: documented jemalloc controls with the types they take: arenas.create
        // returns an unsigned index, thread.arena takes one.
        let arena: u32 = unsafe { tikv_jemalloc_ctl::raw::read(b"arenas.create\0") }.ok()?;
        unsafe { tikv_jemalloc_ctl::raw::write(b"thread.arena\0", arena) }.ok()?;
        if let Ok(mut arenas) = SHARD_ARENAS.lock() {
            arenas.push(arena);
        }
        let name = |kind: &str| format!("stats.arenas.{arena}.{kind}.allocated\0").into_bytes();
        let mut meter = ArenaMeter {
            small: name("small"),
            large: name("large"),
            thread: ThreadMemory::current(),
            base: 0,
            base_allocated: 0,
            base_deallocated: 0,
            exported: 0,
        };
        shard::evict::MemoryMeter::refresh(&mut meter);
        Some(meter)
    }

    fn arena_bytes(&self) -> u64 {
        // SAFETY: these statistics are size_t values, named with their arena index.
        let read =
            |name: &[u8]| unsafe { tikv_jemalloc_ctl::raw::read::<usize>(name) }.unwrap_or(0);
        (read(&self.small) + read(&self.large)) as u64
    }
}

impl shard::evict::MemoryMeter for ArenaMeter {
    #[inline]
    fn used(&self, _keyspace: &shard::keyspace::Keyspace) -> u64 {
        let allocated = self.thread.allocated().wrapping_sub(self.base_allocated);
        let freed = self
            .thread
            .deallocated()
            .wrapping_sub(self.base_deallocated);
        (self.base + allocated).saturating_sub(freed + self.exported)
    }

    fn refresh(&mut self) {
        // Objects this thread freed sit in its cache until flushed, still counted by the
        // arenas they came from (often another shard's): flush, then read.
        flush_thread_cache();
        let _ = epoch::advance();
        self.base = self.arena_bytes();
        self.base_allocated = self.thread.allocated();
        self.base_deallocated = self.thread.deallocated();
        self.exported = 0;
    }

    fn exported(&mut self, bytes: u64) {
        self.exported += bytes;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counters_move_with_allocations() {
        let me = ThreadMemory::current();
        let before = me.allocated();
        let block = vec![7u8; 1 << 20];
        assert!(me.allocated() - before >= 1 << 20);
        drop(block);
        assert!(allocated() > 0);
        assert!(resident() > 0);
    }

    #[test]
    fn arena_meter_follows_this_threads_data() {
        use shard::evict::MemoryMeter;
        std::thread::spawn(|| {
            let keyspace = shard::keyspace::Keyspace::new();
            let mut meter = ArenaMeter::bind_current_thread().expect("own arena");
            let before = meter.used(&keyspace);
            let blocks: Vec<Vec<u8>> = (0..1000).map(|_| vec![1u8; 1000]).collect();
            let grown = meter.used(&keyspace);
            assert!(grown >= before + 1_000_000, "{before} -> {grown}");
            meter.refresh();
            let exact = meter.used(&keyspace);
            assert!(
                exact >= before + 1_000_000,
                "{before} -> {exact} after refresh"
            );
            // Freed on another thread: the arena still sees it go.
            std::thread::spawn(move || drop(blocks))
                .join()
                .expect("freeing thread");
            meter.refresh();
            let after = meter.used(&keyspace);
            assert!(
                after < exact - 900_000,
                "{exact} -> {after} after a remote free"
            );
        })
        .join()
        .expect("metered thread");
    }

    /// What a shard's arena holds is not "outside the shards"; what other threads hold is.
    #[test]
    fn memory_outside_the_shards_leaves_shard_arenas_out() {
        // Big next to what the tests running beside this one allocate meanwhile; and
        // tried a few times, as one of them may allocate tens of MB just then.
        const BIG: usize = 64 << 20;
        let measure = || {
            let _ = epoch::advance();
            measure_outside_shards();
            outside_shards()
        };
        let mut last = String::new();
        for _ in 0..10 {
            let (held, release) = std::sync::mpsc::channel::<()>();
            let (go, wait) = std::sync::mpsc::channel::<()>();
            let before = measure();
            let shard_thread = std::thread::spawn(move || {
                let _meter = ArenaMeter::bind_current_thread().expect("own arena");
                let data = vec![1u8; BIG];
                go.send(()).expect("report");
                release.recv().expect("release");
                drop(data);
            });
            wait.recv().expect("shard thread ready");
            let with_shard_data = measure();
            held.send(()).expect("release");
            shard_thread.join().expect("shard thread");
            let outside_data = vec![2u8; BIG];
            let with_outside_data = measure();
            drop(outside_data);
            if with_shard_data < before + (16 << 20) && with_outside_data > before + (48 << 20) {
                return;
            }
            last = format!(
                "before {before}, a shard holding 64 MB {with_shard_data}, \
                 another thread holding 64 MB {with_outside_data}"
            );
        }
        panic!("memory outside the shards miscounted: {last}");
    }

    /// A shard freeing another shard's blocks (and going on allocating) must not keep them:
    /// freed inside `freeing_foreign_memory`, they go home to the owner's arena at once.
    #[test]
    fn foreign_frees_go_home_not_into_the_freeing_threads_cache() {
        use shard::evict::MemoryMeter;
        use std::sync::mpsc;
        let (to_freer, blocks_in) = mpsc::channel::<Vec<Vec<u8>>>();
        let (done, freed) = mpsc::channel::<()>();
        let (stop, stopped) = mpsc::channel::<()>();
        // Few enough blocks to fit in a thread cache: freed into it, every one would be
        // handed out again to the freeing thread's next allocations.
        const BLOCKS: usize = 50;
        // A long-lived thread that frees what it gets, then allocates the same sizes.
        let freer = std::thread::spawn(move || {
            let blocks = blocks_in.recv().expect("blocks");
            freeing_foreign_memory(|| drop(blocks));
            let own: Vec<Vec<u8>> = (0..BLOCKS).map(|_| vec![2u8; 1000]).collect();
            done.send(()).expect("report");
            stopped.recv().expect("stop");
            drop(own);
        });
        std::thread::spawn(move || {
            let keyspace = shard::keyspace::Keyspace::new();
            let mut meter = ArenaMeter::bind_current_thread().expect("own arena");
            let blocks: Vec<Vec<u8>> = (0..BLOCKS).map(|_| vec![1u8; 1000]).collect();
            meter.refresh();
            let exact = meter.used(&keyspace);
            to_freer.send(blocks).expect("send");
            freed.recv().expect("freed");
            meter.refresh();
            let after = meter.used(&keyspace);
            assert!(
                after + (BLOCKS as u64 - 5) * 1000 <= exact,
                "{exact} -> {after}: the freeing thread kept this arena's blocks"
            );
            stop.send(()).expect("stop");
        })
        .join()
        .expect("metered thread");
        freer.join().expect("freeing thread");
    }
}
