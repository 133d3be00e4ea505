//! What dropping a big collection value costs the thread that drops it (a shard's thread:
//! DEL, overwrite, expiry, eviction, FLUSHALL all end in such a drop).
//!
//! ```text
//! cargo run --release -p shardis-shard --example drop_cost -- [ELEMENTS] [FILTER] [RUNS]
//! ```
//!
//! ELEMENTS defaults to 10,000,000; FILTER keeps only the cases whose name contains it
//! (e.g. `zset`, `hash/str40`); RUNS (default 1) repeats each case, keeping the best. Each
//! case builds one value in its big encoding, drops it and prints the time the drop took on
//! this thread (wall clock, and the thread's CPU time, which leaves out preemption by other
//! processes) and, when the value was handed to the lazyfree thread, the wall time until
//! that thread had freed it.
//!
//! This binary uses the system allocator; the server runs on jemalloc, with an arena per
//! shard thread, where the figures differ: to measure those, include this file in a binary
//! whose global allocator is jemalloc and call its `main`.

use shardis_shard::lazyfree;
use shardis_shard::types::{
    hash::HashValue,
    list::ListValue,
    set::SetValue,
    zset::{ZLimits, ZSetValue},
};
use shardis_shard::value::Value;
use std::time::{Duration, Instant};

/// How the members of a case look.
#[derive(Clone, Copy)]
enum Kind {
    /// Decimal integers (stored as integers where the encoding can).
    Int,
    /// Strings of exactly this many bytes, all distinct.
    Str(usize),
}

impl Kind {
    fn name(self) -> String {
        match self {
            Kind::Int => "int".to_string(),
            Kind::Str(n) => format!("str{n}"),
        }
    }

    /// The i-th member, written into `buf`.
    fn member(self, i: u64, buf: &mut Vec<u8>) {
        buf.clear();
        match self {
            Kind::Int => buf.extend_from_slice(itoa::Buffer::new().format(i).as_bytes()),
            Kind::Str(n) => {
                let digits = itoa::Buffer::new().format(i).as_bytes().to_vec();
                buf.resize(n.saturating_sub(digits.len()), b'm');
                buf.extend_from_slice(&digits);
            }
        }
    }
}

/// A permutation of 0..n (so scores and insertion order are not sorted).
fn scatter(i: u64, n: u64) -> u64 {
    i.wrapping_mul(0x9E37_79B9_7F4A_7C15) % n.max(1)
}

fn build(kind_name: &str, kind: Kind, n: u64) -> Value {
    let mut m = Vec::new();
    let mut v = Vec::new();
    match kind_name {
        "list" => {
            let mut list = ListValue::new();
            for i in 0..n {
                kind.member(i, &mut m);
                list.push_back(&m, -2);
            }
            Value::List(Box::new(list))
        }
        "hash" => {
            let mut hash = HashValue::new();
            for i in 0..n {
                kind.member(i, &mut m);
                kind.member(scatter(i, n), &mut v);
                hash.set(&m, &v, 512, 64);
            }
            Value::Hash(hash)
        }
        "set" => {
            let mut set = SetValue::new();
            for i in 0..n {
                kind.member(i, &mut m);
                set.insert(&m, 512);
            }
            Value::Set(Box::new(set))
        }
        _ => {
            let mut zset = ZSetValue::default();
            let limits = ZLimits::default();
            for i in 0..n {
                kind.member(i, &mut m);
                zset.set(&m, scatter(i, n) as f64, limits);
            }
            Value::ZSet(Box::new(zset))
        }
    }
}

/// Nanoseconds this thread has spent on a CPU (None where that cannot be read).
#[cfg(all(target_os = "linux", target_pointer_width = "64"))]
fn cpu_ns() -> Option<u64> {
    #[repr(C)]
    struct Timespec {
        tv_sec: i64,
        tv_nsec: i64,
    }
    extern "C" {
        fn clock_gettime(clock: i32, tp: *mut Timespec) -> i32;
    }
    const CLOCK_THREAD_CPUTIME_ID: i32 = 3;
    let mut ts = Timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: clock_gettime from the C library std links, with Linux's 64-bit timespec
    // layout; it writes only through the pointer it is given, which is valid.
    let rc = unsafe { clock_gettime(CLOCK_THREAD_CPUTIME_ID, &mut ts) };
    (rc == 0).then(|| ts.tv_sec as u64 * 1_000_000_000 + ts.tv_nsec as u64)
}

#[cfg(not(all(target_os = "linux", target_pointer_width = "64")))]
fn cpu_ns() -> Option<u64> {
    None
}

/// What one build and drop measured.
struct Sample {
    heap_mib: f64,
    encoding: &'static str,
    /// The drop on this thread: wall clock and time on a CPU.
    wall_ms: f64,
    cpu_ms: f64,
    /// From the drop until the lazyfree thread had freed the value (None: freed inline).
    background: Option<f64>,
}

impl Sample {
    /// The better of two runs (each figure the lowest).
    fn best_of(self, other: Sample) -> Sample {
        Sample {
            wall_ms: self.wall_ms.min(other.wall_ms),
            cpu_ms: self.cpu_ms.min(other.cpu_ms),
            background: match (self.background, other.background) {
                (Some(a), Some(b)) => Some(a.min(b)),
                (a, b) => a.or(b),
            },
            ..self
        }
    }
}

fn measure(type_name: &str, kind: Kind, n: u64) -> Sample {
    let value = build(type_name, kind, n);
    let heap_mib = value.heap_size() as f64 / (1 << 20) as f64;
    let encoding = value.encoding();
    let freed_before = lazyfree::lazyfreed_objects();
    let cpu_before = cpu_ns();
    let start = Instant::now();
    drop(value);
    let wall = start.elapsed();
    let cpu_ms = match (cpu_ns(), cpu_before) {
        (Some(after), Some(before)) => after.saturating_sub(before) as f64 / 1e6,
        _ => f64::NAN,
    };
    let deferred = lazyfree::pending_objects() > 0 || lazyfree::lazyfreed_objects() > freed_before;
    let background = if deferred && lazyfree::wait_idle(Duration::from_secs(120)) {
        Some(start.elapsed().as_secs_f64() * 1e3)
    } else {
        None
    };
    Sample {
        heap_mib,
        encoding,
        wall_ms: wall.as_secs_f64() * 1e3,
        cpu_ms,
        background,
    }
}

pub fn main() {
    let mut args = std::env::args().skip(1);
    let n: u64 = args
        .next()
        .and_then(|a| a.replace('_', "").parse().ok())
        .unwrap_or(10_000_000);
    let filter = args.next().unwrap_or_default();
    let runs: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(1).max(1);
    let kinds = [Kind::Int, Kind::Str(16), Kind::Str(40)];
    println!(
        "{:<11} {:>9} {:>8} {:>10} {:>10} {:>13}",
        "case", "elements", "heap MiB", "drop ms", "drop cpu", "background ms"
    );
    for type_name in ["list", "hash", "set", "zset"] {
        for kind in kinds {
            let case = format!("{type_name}/{}", kind.name());
            if !case.contains(&filter) {
                continue;
            }
            let mut best: Option<Sample> = None;
            for _ in 0..runs {
                let sample = measure(type_name, kind, n);
                best = Some(match best {
                    Some(b) => b.best_of(sample),
                    None => sample,
                });
            }
            if let Some(b) = best {
                let background = b
                    .background
                    .map_or("-".to_string(), |ms| format!("{ms:.1}"));
                println!(
                    "{:<11} {:>9} {:>8.0} {:>10.3} {:>10.3} {:>13}  ({})",
                    case, n, b.heap_mib, b.wall_ms, b.cpu_ms, background, b.encoding
                );
            }
        }
    }
}
