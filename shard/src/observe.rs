//! What operators watch: per-command statistics, latency histograms, the slow log and
//! the latency monitor. Core-local; INFO, SLOWLOG, LATENCY and /metrics merge them.
//!
//! Every shard owns one copy of each structure and updates it without atomics; a reader
//! (INFO, SLOWLOG GET, LATENCY ..., the metrics endpoint) collects the shards' copies and
//! merges them with the `merge` methods, then renders the merged value in Redis 7.0's
//! formats.

use crate::command::{CommandSpec, CommandTable};
use protocol::Reply;
use std::collections::{BTreeMap, VecDeque};
use std::fmt::Write as _;

// ---------------------------------------------------------------------------------------
// Latency histogram
// ---------------------------------------------------------------------------------------

/// Linear sub-buckets per power of two (4 bits): about 2 significant digits.
const SUB_BITS: u32 = 4;
const SUB: usize = 1 << SUB_BITS;
/// Powers of two above 1 µs up to 1 s: (1, 2] µs ... (2^19, 2^20] µs.
const POWERS: usize = 20;
/// One bucket for exactly 1 µs (everything at or below the range's floor), 16 per power,
/// less the last sub-bucket of the top power, which lies above the 1 s ceiling.
const BUCKETS: usize = 1 + POWERS * SUB - 1;
/// Recorded values are clamped into [1 µs, 1 s], as Redis's per-command histograms are.
const MIN_NS: u64 = 1_000;
const MAX_NS: u64 = 1_000_000_000;

/// Log-linear latency histogram over nanoseconds, 1 µs .. 1 s, with 16 linear sub-buckets
/// per power of two (relative bucket width 3-6 %). Bucket edges are powers of two of
/// *microseconds*, so LATENCY HISTOGRAM's 1, 2, 4, ... µs buckets are exact.
///
/// 2.5 KB; allocated per command and shard only once that command runs.
#[derive(Clone, PartialEq, Eq)]
pub struct LatencyHistogram {
    counts: [u64; BUCKETS],
    total: u64,
}

impl std::fmt::Debug for LatencyHistogram {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LatencyHistogram")
            .field("total", &self.total)
            .field("histogram_usec", &self.power_of_two_buckets())
            .finish()
    }
}

impl Default for LatencyHistogram {
    fn default() -> Self {
        Self::new()
    }
}

impl LatencyHistogram {
    pub fn new() -> Self {
        LatencyHistogram {
            counts: [0; BUCKETS],
            total: 0,
        }
    }

    /// Bucket of a duration. With z = ceil(ns * 1.024) - 1, z < 1024 exactly when ns <= 1 µs,
    /// and z's powers of two [1024·2^(k-1), 1024·2^k) are the µs ranges (2^(k-1), 2^k].
    #[inline]
    fn index(ns: u64) -> usize {
        let ns = ns.clamp(MIN_NS, MAX_NS);
        let z = (ns * 1024).div_ceil(1000) - 1;
        if z < 1024 {
            return 0;
        }
        let exp = 63 - z.leading_zeros(); // 10..=29
        let power = (exp - 9) as usize; // 1..=20
        let sub = ((z >> (exp - SUB_BITS)) as usize) & (SUB - 1);
        // The clamp keeps the top power below its last sub-bucket; min() is belt and braces.
        (1 + (power - 1) * SUB + sub).min(BUCKETS - 1)
    }

    /// Bounds (exclusive, inclusive) of a bucket, in microseconds.
    fn bounds_usec(index: usize) -> (f64, f64) {
        if index == 0 {
            return (1.0, 1.0);
        }
        let power = (index - 1) / SUB; // k - 1
        let sub = ((index - 1) % SUB) as f64;
        let base = (1u64 << power) as f64;
        let width = base / SUB as f64;
        (base + sub * width, base + (sub + 1.0) * width)
    }

    #[inline]
    pub fn record(&mut self, ns: u64) {
        self.counts[Self::index(ns)] += 1;
        self.total += 1;
    }

    pub fn merge(&mut self, other: &Self) {
        for (mine, theirs) in self.counts.iter_mut().zip(other.counts.iter()) {
            *mine += theirs;
        }
        self.total += other.total;
    }

    pub fn count(&self) -> u64 {
        self.total
    }

    /// The latency at percentile `p` (0..=100) in microseconds, like INFO latencystats:
    /// the sample of rank round(p% of count) (at least the first), reported as the middle
    /// of its bucket (within ~3 %). 0 when empty.
    pub fn percentile_usec(&self, p: f64) -> f64 {
        if self.total == 0 {
            return 0.0;
        }
        let p = if p.is_nan() { 0.0 } else { p.clamp(0.0, 100.0) };
        let rank = ((p / 100.0 * self.total as f64 + 0.5) as u64).clamp(1, self.total);
        let mut seen = 0;
        for (i, &n) in self.counts.iter().enumerate() {
            seen += n;
            if seen >= rank {
                let (low, high) = Self::bounds_usec(i);
                return (low + high) / 2.0;
            }
        }
        // Unreachable while total matches the buckets; the ceiling is a safe answer.
        (MAX_NS / 1000) as f64
    }

    /// LATENCY HISTOGRAM's "histogram_usec": (bucket upper bound in µs: 1, 2, 4, ...,
    /// samples at or below it), leaving out buckets that add nothing, as Redis does, and
    /// ending with the first bucket that holds every sample.
    pub fn power_of_two_buckets(&self) -> Vec<(u64, u64)> {
        let mut out = Vec::new();
        let (mut cumulative, mut reported, mut next) = (0u64, 0u64, 0usize);
        for power in 0..=POWERS {
            let last = (power * SUB).min(BUCKETS - 1);
            while next <= last {
                cumulative += self.counts[next];
                next += 1;
            }
            if cumulative > reported {
                out.push((1u64 << power, cumulative));
                reported = cumulative;
            }
            if cumulative >= self.total {
                break;
            }
        }
        out
    }
}

// ---------------------------------------------------------------------------------------
// Per-command statistics
// ---------------------------------------------------------------------------------------

/// One command's counters (INFO commandstats) and latency histogram (INFO latencystats,
/// LATENCY HISTOGRAM).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CommandStat {
    /// Executions, failed ones included (as Redis counts them).
    pub calls: u64,
    /// Total execution time in nanoseconds, so that sub-microsecond calls add up.
    pub ns: u64,
    /// Refused before running (arity errors, ...); not counted in `calls`.
    pub rejected_calls: u64,
    /// Ran and replied with an error.
    pub failed_calls: u64,
    pub latency: Option<Box<LatencyHistogram>>,
}

impl CommandStat {
    /// Total execution time in microseconds (INFO's `usec`).
    pub fn usec(&self) -> u64 {
        self.ns / 1000
    }

    fn is_zero(&self) -> bool {
        self.calls == 0 && self.rejected_calls == 0 && self.failed_calls == 0
    }
}

/// Statistics of every command, indexed as [`CommandTable::all`] (see
/// [`CommandTable::index_of`]).
#[derive(Debug, Clone)]
pub struct CommandStats {
    stats: Vec<CommandStat>,
    /// `latency-tracking`: whether calls also go into the histograms.
    latency_tracking: bool,
}

impl Default for CommandStats {
    fn default() -> Self {
        Self::new()
    }
}

impl CommandStats {
    pub fn new() -> Self {
        CommandStats {
            stats: vec![CommandStat::default(); CommandTable::get().all().len()],
            latency_tracking: true,
        }
    }

    pub fn set_latency_tracking(&mut self, on: bool) {
        self.latency_tracking = on;
    }

    pub fn latency_tracking(&self) -> bool {
        self.latency_tracking
    }

    /// A command ran for `duration_ns`; `failed` if it replied with an error.
    #[inline]
    pub fn record_call(&mut self, index: usize, duration_ns: u64, failed: bool) {
        let Some(stat) = self.stats.get_mut(index) else {
            return;
        };
        stat.calls += 1;
        stat.ns = stat.ns.saturating_add(duration_ns);
        stat.failed_calls += failed as u64;
        if self.latency_tracking {
            stat.latency
                .get_or_insert_with(|| Box::new(LatencyHistogram::new()))
                .record(duration_ns);
        }
    }

    /// A command was refused before running (wrong arity, ...).
    #[inline]
    pub fn record_rejected(&mut self, index: usize) {
        if let Some(stat) = self.stats.get_mut(index) {
            stat.rejected_calls += 1;
        }
    }

    /// A failure not tied to a counted call (e.g. an error after a blocked command resumes).
    #[inline]
    pub fn record_failed(&mut self, index: usize) {
        if let Some(stat) = self.stats.get_mut(index) {
            stat.failed_calls += 1;
        }
    }

    pub fn get(&self, index: usize) -> Option<&CommandStat> {
        self.stats.get(index)
    }

    pub fn merge(&mut self, other: &Self) {
        for (mine, theirs) in self.stats.iter_mut().zip(&other.stats) {
            mine.calls += theirs.calls;
            mine.ns = mine.ns.saturating_add(theirs.ns);
            mine.rejected_calls += theirs.rejected_calls;
            mine.failed_calls += theirs.failed_calls;
            if let Some(h) = &theirs.latency {
                mine.latency
                    .get_or_insert_with(|| Box::new(LatencyHistogram::new()))
                    .merge(h);
            }
        }
    }

    /// CONFIG RESETSTAT: counters to zero, histograms freed.
    pub fn reset(&mut self) {
        for stat in &mut self.stats {
            *stat = CommandStat::default();
        }
    }

    /// Commands with any count, in table order.
    pub fn iter(&self) -> impl Iterator<Item = (&'static CommandSpec, &CommandStat)> + '_ {
        CommandTable::get()
            .all()
            .iter()
            .zip(&self.stats)
            .filter(|(_, stat)| !stat.is_zero())
            .map(|(spec, stat)| (*spec, stat))
    }

    /// As [`iter`](Self::iter), by name: Redis walks an unordered dict; sorted is stable.
    fn sorted(&self) -> Vec<(&'static CommandSpec, &CommandStat)> {
        let mut all: Vec<_> = self.iter().collect();
        all.sort_unstable_by_key(|(spec, _)| spec.name);
        all
    }

    /// INFO's "# Commandstats" section.
    pub fn render_commandstats(&self, out: &mut String) {
        out.push_str("# Commandstats\r\n");
        for (spec, stat) in self.sorted() {
            // Redis divides in single precision (float) and prints %.2f.
            let per_call = if stat.calls == 0 {
                0.0
            } else {
                (stat.usec() as f32 / stat.calls as f32) as f64
            };
            let _ = write!(
                out,
                "cmdstat_{}:calls={},usec={},usec_per_call={:.2},rejected_calls={},failed_calls={}\r\n",
                spec.name,
                stat.calls,
                stat.usec(),
                per_call,
                stat.rejected_calls,
                stat.failed_calls
            );
        }
    }

    /// INFO's "# Latencystats" section (`latency-tracking-info-percentiles`), for commands
    /// whose histogram has samples.
    pub fn render_latencystats(&self, out: &mut String, percentiles: &[f64]) {
        out.push_str("# Latencystats\r\n");
        for (spec, stat) in self.sorted() {
            let Some(h) = stat.latency.as_deref().filter(|h| h.count() > 0) else {
                continue;
            };
            let _ = write!(out, "latency_percentiles_usec_{}:", spec.name);
            for (i, &p) in percentiles.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                let _ = write!(out, "p{}={:.3}", percentile_label(p), h.percentile_usec(p));
            }
            out.push_str("\r\n");
        }
    }
}

/// A percentile as Redis labels it: `%f`, then trailing zeros and a trailing dot removed
/// (50 -> "50", 99.9 -> "99.9").
fn percentile_label(p: f64) -> String {
    let mut s = format!("{p:.6}");
    if s.contains('.') {
        let keep = s.trim_end_matches('0').trim_end_matches('.').len();
        s.truncate(keep);
    }
    s
}

/// Writes LATENCY HISTOGRAM's reply: a map from command name to {"calls": n,
/// "histogram_usec": {bound µs: cumulative count}}. With no `names`, every command with
/// samples, by name. Otherwise each name in turn (case-insensitive; a container such as
/// "config" stands for its subcommands; unknown names and commands without samples are
/// skipped; a name given twice is answered twice, as Redis does).
pub fn write_latency_histogram(reply: &mut Reply<'_>, stats: &CommandStats, names: &[&[u8]]) {
    let table = CommandTable::get();
    let histogram = |spec: &CommandSpec| {
        table
            .index_of(spec)
            .and_then(|i| stats.get(i))
            .and_then(|stat| stat.latency.as_deref())
            .filter(|h| h.count() > 0)
    };
    let mut found: Vec<(&'static str, &LatencyHistogram)> = Vec::new();
    if names.is_empty() {
        for (spec, _) in stats.sorted() {
            if let Some(h) = histogram(spec) {
                found.push((spec.name, h));
            }
        }
    } else {
        for name in names {
            let Some(spec) = table.lookup(name) else {
                continue;
            };
            if let Some(h) = histogram(spec) {
                found.push((spec.name, h));
            }
            let mut subs: Vec<_> = table.subcommands(spec.name).collect();
            subs.sort_unstable_by_key(|s| s.name);
            for sub in subs {
                if let Some(h) = histogram(sub) {
                    found.push((sub.name, h));
                }
            }
        }
    }
    reply.map(found.len());
    for (name, h) in found {
        reply.bulk(name.as_bytes());
        reply.map(2);
        reply.bulk(b"calls");
        reply.integer(clamp_i64(h.count()));
        reply.bulk(b"histogram_usec");
        let buckets = h.power_of_two_buckets();
        reply.map(buckets.len());
        for (bound, cumulative) in buckets {
            reply.integer(clamp_i64(bound));
            reply.integer(clamp_i64(cumulative));
        }
    }
}

fn clamp_i64(v: u64) -> i64 {
    i64::try_from(v).unwrap_or(i64::MAX)
}

// ---------------------------------------------------------------------------------------
// Error statistics
// ---------------------------------------------------------------------------------------

/// Distinct error codes tracked; later new codes only count in the total, so that clients
/// inventing codes (scripts) can't grow the table without bound.
pub const ERROR_CODES_MAX: usize = 128;

/// Error replies by code (INFO errorstats) and in total (`total_error_replies`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ErrorStats {
    /// Sorted, as Redis's rax iterates them.
    codes: BTreeMap<Box<[u8]>, u64>,
    total: u64,
}

/// The code of an error reply line given without its '-': the text before the first space,
/// looked for among the first 31 bytes (Redis searches 32 bytes including the '-');
/// "ERR" when there is none.
pub fn error_code(line: &[u8]) -> &[u8] {
    let head = &line[..line.len().min(31)];
    match head.iter().position(|&b| b == b' ') {
        Some(end) => &line[..end],
        None => b"ERR",
    }
}

impl ErrorStats {
    pub fn new() -> Self {
        Self::default()
    }

    /// One error reply; `line` is the reply without the leading '-'.
    pub fn record(&mut self, line: &[u8]) {
        self.total += 1;
        self.add(error_code(line), 1);
    }

    fn add(&mut self, code: &[u8], n: u64) {
        if let Some(count) = self.codes.get_mut(code) {
            *count += n;
        } else if self.codes.len() < ERROR_CODES_MAX {
            self.codes.insert(code.into(), n);
        }
    }

    pub fn total_error_replies(&self) -> u64 {
        self.total
    }

    /// Count for one code (0 if untracked).
    pub fn get(&self, code: &[u8]) -> u64 {
        self.codes.get(code).copied().unwrap_or(0)
    }

    /// (code, count), sorted by code.
    pub fn iter(&self) -> impl Iterator<Item = (&[u8], u64)> + '_ {
        self.codes.iter().map(|(code, &n)| (&code[..], n))
    }

    /// Adds another shard's counts; the union is capped like one shard's table.
    pub fn merge(&mut self, other: &Self) {
        self.total += other.total;
        for (code, &n) in &other.codes {
            self.add(code, n);
        }
    }

    pub fn reset(&mut self) {
        self.codes.clear();
        self.total = 0;
    }

    /// INFO's "# Errorstats" section.
    pub fn render_errorstats(&self, out: &mut String) {
        out.push_str("# Errorstats\r\n");
        for (code, n) in self.iter() {
            out.push_str("errorstat_");
            push_info_safe(out, code);
            let _ = write!(out, ":count={n}\r\n");
        }
    }
}

/// Appends a client-supplied name to INFO text with the characters that would break the
/// format ('#', ':', CR, LF) replaced by '_', as Redis does; invalid UTF-8 is replaced.
fn push_info_safe(out: &mut String, bytes: &[u8]) {
    for c in String::from_utf8_lossy(bytes).chars() {
        out.push(if matches!(c, '#' | ':' | '\r' | '\n') {
            '_'
        } else {
            c
        });
    }
}

// ---------------------------------------------------------------------------------------
// Slow log
// ---------------------------------------------------------------------------------------

/// Arguments kept per entry; the last kept one says how many were left out.
const SLOWLOG_MAX_ARGC: usize = 32;
/// Bytes kept per argument.
const SLOWLOG_MAX_STRING: usize = 128;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SlowlogEntry {
    pub id: u64,
    /// Unix time, seconds.
    pub time_s: u64,
    pub duration_us: u64,
    pub args: Vec<Box<[u8]>>,
    pub addr: String,
    pub name: String,
}

/// One shard's slow log, newest first.
#[derive(Debug, Clone)]
pub struct Slowlog {
    entries: VecDeque<SlowlogEntry>,
    /// Where ids come from: shared by every shard of a server (see [`Slowlog::share_ids`]),
    /// so ids are unique and increase in the order entries were logged, as Redis's do.
    /// Taken only when an entry is logged (a slow command), never per command.
    ids: std::sync::Arc<std::sync::atomic::AtomicU64>,
}

impl Default for Slowlog {
    fn default() -> Self {
        Slowlog::new()
    }
}

impl Slowlog {
    /// A log numbering its entries 0, 1, 2, ... on its own.
    pub fn new() -> Self {
        Slowlog {
            entries: VecDeque::new(),
            ids: Default::default(),
        }
    }

    /// Number entries from a counter shared with the other shards' logs.
    pub fn share_ids(&mut self, ids: std::sync::Arc<std::sync::atomic::AtomicU64>) {
        self.ids = ids;
    }

    /// Logs a command (the caller has checked slowlog-log-slower-than) and trims the log to
    /// `max_len` entries. Arguments are cut as Redis does: at most 32, the 32nd replaced by
    /// "... (N more arguments)", each at most 128 bytes followed by "... (N more bytes)".
    /// An id is used up even when `max_len` is 0, as in Redis.
    pub fn push(
        &mut self,
        args: &[&[u8]],
        time_s: u64,
        duration_us: u64,
        addr: &str,
        name: &str,
        max_len: usize,
    ) {
        let id = self.ids.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        if max_len == 0 {
            self.entries.clear();
            return;
        }
        let argc = args.len();
        let kept = argc.min(SLOWLOG_MAX_ARGC);
        let mut stored: Vec<Box<[u8]>> = Vec::with_capacity(kept);
        for (j, arg) in args.iter().take(kept).enumerate() {
            let arg: Box<[u8]> = if kept < argc && j == kept - 1 {
                format!("... ({} more arguments)", argc - kept + 1)
                    .into_bytes()
                    .into()
            } else if arg.len() > SLOWLOG_MAX_STRING {
                let mut cut = Vec::with_capacity(SLOWLOG_MAX_STRING + 32);
                cut.extend_from_slice(&arg[..SLOWLOG_MAX_STRING]);
                cut.extend_from_slice(b"... (");
                cut.extend_from_slice(
                    itoa::Buffer::new()
                        .format(arg.len() - SLOWLOG_MAX_STRING)
                        .as_bytes(),
                );
                cut.extend_from_slice(b" more bytes)");
                cut.into()
            } else {
                (*arg).into()
            };
            stored.push(arg);
        }
        self.entries.push_front(SlowlogEntry {
            id,
            time_s,
            duration_us,
            args: stored,
            addr: addr.to_owned(),
            name: name.to_owned(),
        });
        self.entries.truncate(max_len);
    }

    /// Drops the oldest entries beyond `max_len` (after CONFIG SET slowlog-max-len).
    pub fn trim(&mut self, max_len: usize) {
        self.entries.truncate(max_len);
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// SLOWLOG RESET: entries go, ids keep counting (as Redis).
    pub fn reset(&mut self) {
        self.entries.clear();
    }

    /// Newest first.
    pub fn entries(&self) -> impl Iterator<Item = &SlowlogEntry> + '_ {
        self.entries.iter()
    }

    /// Copies of the newest `count` entries, to send to the shard merging SLOWLOG GET.
    pub fn newest(&self, count: usize) -> Vec<SlowlogEntry> {
        self.entries.iter().take(count).cloned().collect()
    }
}

/// The shards' slow logs as one: newest first (time, then id), at most `count`.
pub fn merge_slowlog(parts: Vec<Vec<SlowlogEntry>>, count: usize) -> Vec<SlowlogEntry> {
    let mut all: Vec<SlowlogEntry> = parts.into_iter().flatten().collect();
    // Ids follow the order entries were logged on every shard: newest first.
    all.sort_unstable_by_key(|e| std::cmp::Reverse(e.id));
    all.truncate(count);
    all
}

/// SLOWLOG GET's reply (Redis 7): per entry [id, unix time, duration µs, [args...],
/// client address, client name].
pub fn write_slowlog_reply(reply: &mut Reply<'_>, entries: &[SlowlogEntry]) {
    reply.array(entries.len());
    for e in entries {
        reply.array(6);
        reply.integer(clamp_i64(e.id));
        reply.integer(clamp_i64(e.time_s));
        reply.integer(clamp_i64(e.duration_us));
        reply.array(e.args.len());
        for arg in &e.args {
            reply.bulk(arg);
        }
        reply.bulk(e.addr.as_bytes());
        reply.bulk(e.name.as_bytes());
    }
}

// ---------------------------------------------------------------------------------------
// Latency monitor
// ---------------------------------------------------------------------------------------

/// Samples kept per event (Redis's LATENCY_TS_LEN).
pub const LATENCY_SERIES_LEN: usize = 160;

#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct LatencySeries {
    /// (unix time s, latency ms), oldest first, at most one per second.
    samples: VecDeque<(u64, u64)>,
    /// Worst latency ever seen for the event (survives samples rolling out).
    max: u64,
}

/// Latency spikes per event ("command", "fast-command", "expire-cycle", ...), recorded
/// when an operation exceeds latency-monitor-threshold.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LatencyMonitor {
    /// A handful of events: a vector searched linearly beats hashing.
    events: Vec<(&'static str, LatencySeries)>,
}

impl LatencyMonitor {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn is_empty(&self) -> bool {
        self.events.is_empty()
    }

    /// Records a spike; a second one in the same second keeps the larger latency.
    pub fn add_sample(&mut self, event: &'static str, now_s: u64, latency_ms: u64) {
        let series = match self.events.iter().position(|(name, _)| *name == event) {
            Some(i) => &mut self.events[i].1,
            None => {
                self.events.push((event, LatencySeries::default()));
                let last = self.events.len() - 1;
                &mut self.events[last].1
            }
        };
        series.max = series.max.max(latency_ms);
        if let Some(last) = series.samples.back_mut() {
            if last.0 == now_s {
                last.1 = last.1.max(latency_ms);
                return;
            }
        }
        series.samples.push_back((now_s, latency_ms));
        if series.samples.len() > LATENCY_SERIES_LEN {
            series.samples.pop_front();
        }
    }

    /// Adds another shard's series: samples of the same second keep the larger latency,
    /// the newest 160 seconds stay, the all-time maximum is the larger one.
    pub fn merge(&mut self, other: &Self) {
        for (event, theirs) in &other.events {
            let Some(i) = self.events.iter().position(|(name, _)| name == event) else {
                self.events.push((event, theirs.clone()));
                continue;
            };
            let mine = &mut self.events[i].1;
            let mut all: Vec<(u64, u64)> = mine
                .samples
                .iter()
                .chain(theirs.samples.iter())
                .copied()
                .collect();
            all.sort_unstable();
            let mut merged: VecDeque<(u64, u64)> = VecDeque::with_capacity(all.len());
            for (time, ms) in all {
                match merged.back_mut() {
                    // Sorted by (time, ms): the later of equal times is the larger.
                    Some(last) if last.0 == time => last.1 = ms,
                    _ => merged.push_back((time, ms)),
                }
            }
            while merged.len() > LATENCY_SERIES_LEN {
                merged.pop_front();
            }
            mine.samples = merged;
            mine.max = mine.max.max(theirs.max);
        }
    }

    /// LATENCY RESET [event ...]: no events resets all. Names match case-insensitively.
    /// Returns how many series were removed.
    pub fn reset(&mut self, events: &[&[u8]]) -> usize {
        let before = self.events.len();
        if events.is_empty() {
            self.events.clear();
        } else {
            self.events.retain(|(name, _)| {
                !events
                    .iter()
                    .any(|e| e.eq_ignore_ascii_case(name.as_bytes()))
            });
        }
        before - self.events.len()
    }

    /// Events by name with (latest time, latest ms, all-time max ms).
    pub fn latest(&self) -> Vec<(&'static str, u64, u64, u64)> {
        let mut out: Vec<_> = self
            .events
            .iter()
            .filter_map(|(name, s)| {
                let &(time, ms) = s.samples.back()?;
                Some((*name, time, ms, s.max))
            })
            .collect();
        out.sort_unstable_by_key(|e| e.0);
        out
    }

    /// LATENCY LATEST: per event [name, latest time, latest ms, max ms] (Redis 7.0).
    pub fn write_latest(&self, reply: &mut Reply<'_>) {
        let latest = self.latest();
        reply.array(latest.len());
        for (name, time, ms, max) in latest {
            reply.array(4);
            reply.bulk(name.as_bytes());
            reply.integer(clamp_i64(time));
            reply.integer(clamp_i64(ms));
            reply.integer(clamp_i64(max));
        }
    }

    /// LATENCY HISTORY event: [time, ms] pairs, oldest first; empty for an unknown event
    /// (matched case-sensitively, as Redis's lookup is).
    pub fn write_history(&self, reply: &mut Reply<'_>, event: &[u8]) {
        let series = self
            .events
            .iter()
            .find(|(name, _)| name.as_bytes() == event)
            .map(|(_, s)| s);
        let Some(series) = series else {
            reply.array(0);
            return;
        };
        reply.array(series.samples.len());
        for &(time, ms) in &series.samples {
            reply.array(2);
            reply.integer(clamp_i64(time));
            reply.integer(clamp_i64(ms));
        }
    }

    /// LATENCY DOCTOR's report. `threshold_ms` is latency-monitor-threshold (0: disabled),
    /// `now_s` the current unix time.
    pub fn doctor_text(&self, threshold_ms: u64, now_s: u64) -> String {
        let mut out = String::new();
        let disabled = threshold_ms == 0;
        if self.events.is_empty() {
            out.push_str(
                "Shardis latency doctor: no latency spike has been recorded \
                 (since startup or the last LATENCY RESET).\n",
            );
            if disabled {
                out.push_str(
                    "\nNote: the latency monitor is disabled, since latency-monitor-threshold \
                     is 0. To record spikes, set a threshold in milliseconds, for example \
                     CONFIG SET latency-monitor-threshold 100.\n",
                );
            } else {
                let _ = writeln!(
                    out,
                    "\nThe monitor is on: every operation slower than {threshold_ms} ms \
                     (latency-monitor-threshold) would be listed here."
                );
            }
            return out;
        }
        let mut events: Vec<_> = self.events.iter().collect();
        events.sort_unstable_by_key(|(name, _)| *name);
        let _ = writeln!(
            out,
            "Shardis latency doctor: spikes were recorded for {} event type{}.\n",
            events.len(),
            if events.len() == 1 { "" } else { "s" }
        );
        for (n, (name, series)) in events.iter().enumerate() {
            let samples = &series.samples;
            let count = samples.len() as u64;
            let sum: u64 = samples.iter().map(|s| s.1).sum();
            let min = samples.iter().map(|s| s.1).min().unwrap_or(0);
            let max = samples.iter().map(|s| s.1).max().unwrap_or(0);
            let avg = sum.checked_div(count).unwrap_or(0);
            let last = samples.back().map_or(0, |s| s.0);
            let _ = writeln!(
                out,
                "{}. {name}: {count} spike{} in the kept history (avg {avg} ms, min {min} ms, \
                 max {max} ms); the latest at unix time {last}, {} s ago. Worst ever: {} ms.",
                n + 1,
                if count == 1 { "" } else { "s" },
                now_s.saturating_sub(last),
                series.max
            );
        }
        out.push_str("\nAdvice:\n");
        for (name, _) in &events {
            let advice = match *name {
                "command" => {
                    "- command: some commands ran long enough to stall the shard. \
                     SLOWLOG GET shows which ones and with what arguments; look for \
                     O(N) commands (KEYS, SMEMBERS, HGETALL, LRANGE 0 -1, ...) on big keys, \
                     and prefer SCAN-style iteration or smaller values."
                }
                "fast-command" => {
                    "- fast-command: commands that should take constant or logarithmic time \
                     were slow, which usually points at the host rather than the data: CPU \
                     contention, swapping, or a stalled virtual machine."
                }
                "expire-cycle" => {
                    "- expire-cycle: removing expired keys took long, typically because many \
                     keys expire at the same moment. Spread expirations by adding some \
                     randomness to TTLs."
                }
                _ => {
                    "- other events: compare LATENCY HISTORY for the event with SLOWLOG and \
                     the system load at those times."
                }
            };
            let _ = writeln!(out, "{advice}");
        }
        out.push_str("\nLATENCY HISTORY <event> lists the samples; LATENCY RESET clears them.\n");
        if disabled {
            out.push_str(
                "Note: latency-monitor-threshold is now 0 (monitor disabled), so no new \
                 spikes are being recorded.\n",
            );
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn enc(resp3: bool, f: impl FnOnce(&mut Reply<'_>)) -> String {
        let mut out = Vec::new();
        f(&mut Reply::new(&mut out, resp3));
        String::from_utf8(out).expect("utf-8")
    }

    fn index(name: &str) -> usize {
        let table = CommandTable::get();
        let spec = table.lookup(name.as_bytes()).expect("command exists");
        table.index_of(spec).expect("indexed")
    }

    #[test]
    fn index_of_matches_all() {
        let table = CommandTable::get();
        for (i, spec) in table.all().iter().enumerate() {
            assert_eq!(table.index_of(spec), Some(i), "{}", spec.name);
        }
    }

    #[test]
    fn histogram_size() {
        assert!(std::mem::size_of::<LatencyHistogram>() <= 2600);
    }

    #[test]
    fn histogram_bucket_edges() {
        // Powers of two of microseconds are bucket edges, upper bound inclusive.
        assert_eq!(LatencyHistogram::index(0), 0);
        assert_eq!(LatencyHistogram::index(1_000), 0);
        assert_eq!(LatencyHistogram::index(1_001), 1);
        assert_eq!(LatencyHistogram::index(2_000), SUB);
        assert_eq!(LatencyHistogram::index(2_001), SUB + 1);
        assert_eq!(LatencyHistogram::index(u64::MAX), BUCKETS - 1);
        assert_eq!(LatencyHistogram::index(MAX_NS), BUCKETS - 1);
        let mut last = 0;
        let mut ns = 1;
        while ns < 2 * MAX_NS {
            let i = LatencyHistogram::index(ns);
            assert!(i >= last && i < BUCKETS);
            let (low, high) = LatencyHistogram::bounds_usec(i);
            let us = (ns.clamp(MIN_NS, MAX_NS)) as f64 / 1000.0;
            assert!(i == 0 || (us > low && us <= high), "{ns} in {low}..{high}");
            last = i;
            ns += ns / 97 + 1;
        }
    }

    fn assert_close(actual: f64, expected: f64, tolerance: f64) {
        let err = (actual - expected).abs() / expected;
        assert!(
            err <= tolerance,
            "{actual} vs {expected}: {:.2}%",
            err * 100.0
        );
    }

    #[test]
    fn percentiles_uniform() {
        let mut h = LatencyHistogram::new();
        // 1 µs .. 10 ms in 1 µs steps.
        for us in 1..=10_000u64 {
            h.record(us * 1000);
        }
        assert_eq!(h.count(), 10_000);
        for p in [1.0, 10.0, 25.0, 50.0, 75.0, 90.0, 99.0, 99.9, 100.0] {
            let expected = (p / 100.0 * 10_000.0_f64).round().max(1.0);
            assert_close(h.percentile_usec(p), expected, 0.032);
        }
        assert_eq!(h.percentile_usec(0.0), 1.0);
    }

    #[test]
    fn percentiles_exponential_and_constant() {
        // Deterministic exponential-ish spread: 2^(i/1000) µs.
        let mut h = LatencyHistogram::new();
        let values: Vec<f64> = (0..16_000).map(|i| 2f64.powf(i as f64 / 1000.0)).collect();
        for v in &values {
            h.record((v * 1000.0) as u64);
        }
        for p in [50.0, 90.0, 99.0, 99.9] {
            let rank = ((p / 100.0 * values.len() as f64) + 0.5) as usize;
            assert_close(h.percentile_usec(p), values[rank - 1], 0.032);
        }
        let mut c = LatencyHistogram::new();
        for _ in 0..100 {
            c.record(250_000);
        }
        assert_close(c.percentile_usec(50.0), 250.0, 0.032);
        assert_eq!(c.percentile_usec(50.0), c.percentile_usec(99.9));
        assert_eq!(LatencyHistogram::new().percentile_usec(50.0), 0.0);
        // Out of range values are clamped into 1 µs .. 1 s.
        let mut e = LatencyHistogram::new();
        e.record(5);
        e.record(10 * MAX_NS);
        assert_eq!(e.percentile_usec(0.0), 1.0);
        assert_close(e.percentile_usec(100.0), 1_000_000.0, 0.032);
    }

    #[test]
    fn histogram_merge() {
        let (mut a, mut b, mut both) = (
            LatencyHistogram::new(),
            LatencyHistogram::new(),
            LatencyHistogram::new(),
        );
        for i in 0..500u64 {
            a.record(i * 1_000);
            both.record(i * 1_000);
            b.record(i * 77_000);
            both.record(i * 77_000);
        }
        a.merge(&b);
        assert_eq!(a, both);
        assert_eq!(a.count(), 1000);
        assert_eq!(a.power_of_two_buckets(), both.power_of_two_buckets());
    }

    #[test]
    fn power_of_two_buckets_cumulative() {
        let mut h = LatencyHistogram::new();
        assert!(h.power_of_two_buckets().is_empty());
        h.record(300); // <= 1 µs
        h.record(1_000); // 1 µs exactly
        h.record(1_500); // (1, 2]
        h.record(2_000); // (1, 2]
        h.record(7_000); // (4, 8]
        h.record(100_000); // (64, 128]
        assert_eq!(
            h.power_of_two_buckets(),
            vec![(1, 2), (2, 4), (8, 5), (128, 6)]
        );
        let mut top = LatencyHistogram::new();
        top.record(u64::MAX);
        assert_eq!(top.power_of_two_buckets(), vec![(1 << 20, 1)]);
    }

    #[test]
    fn commandstats_render() {
        let mut stats = CommandStats::new();
        let get = index("get");
        let config_get = index("config|get");
        stats.record_call(get, 1_500, false);
        stats.record_call(get, 1_600, true);
        stats.record_call(config_get, 400, false);
        stats.record_call(config_get, 700, false);
        stats.record_rejected(config_get);
        stats.record_rejected(index("set"));
        let mut out = String::new();
        stats.render_commandstats(&mut out);
        assert_eq!(
            out,
            "# Commandstats\r\n\
             cmdstat_config|get:calls=2,usec=1,usec_per_call=0.50,rejected_calls=1,failed_calls=0\r\n\
             cmdstat_get:calls=2,usec=3,usec_per_call=1.50,rejected_calls=0,failed_calls=1\r\n\
             cmdstat_set:calls=0,usec=0,usec_per_call=0.00,rejected_calls=1,failed_calls=0\r\n"
        );
        assert_eq!(stats.iter().count(), 3);

        let mut merged = CommandStats::new();
        merged.merge(&stats);
        merged.merge(&stats);
        let stat = merged.get(get).expect("get");
        assert_eq!((stat.calls, stat.ns, stat.failed_calls), (4, 6_200, 2));
        assert_eq!(stat.latency.as_ref().map(|h| h.count()), Some(4));
        merged.reset();
        assert_eq!(merged.iter().count(), 0);
        // Out-of-range indexes are ignored.
        merged.record_call(usize::MAX, 1, false);
    }

    #[test]
    fn latencystats_render() {
        let mut stats = CommandStats::new();
        let set = index("set");
        for _ in 0..100 {
            stats.record_call(set, 1_000, false);
        }
        stats.record_rejected(index("get"));
        let mut out = String::new();
        stats.render_latencystats(&mut out, &[50.0, 99.0, 99.9]);
        assert_eq!(
            out,
            "# Latencystats\r\nlatency_percentiles_usec_set:p50=1.000,p99=1.000,p99.9=1.000\r\n"
        );
        assert_eq!(percentile_label(0.5), "0.5");
        assert_eq!(percentile_label(100.0), "100");
        stats.set_latency_tracking(false);
        stats.record_call(index("get"), 1_000, false);
        let mut out = String::new();
        stats.render_latencystats(&mut out, &[50.0]);
        assert!(!out.contains("_get:"), "{out}");
    }

    #[test]
    fn latency_histogram_reply() {
        let mut stats = CommandStats::new();
        stats.record_call(index("get"), 1_000, false);
        stats.record_call(index("get"), 3_000, false);
        stats.record_call(index("config|get"), 1_000, false);
        let get = "$3\r\nget\r\n*4\r\n$5\r\ncalls\r\n:2\r\n$14\r\nhistogram_usec\r\n*4\r\n:1\r\n:1\r\n:4\r\n:2\r\n";
        let config = "$10\r\nconfig|get\r\n*4\r\n$5\r\ncalls\r\n:1\r\n$14\r\nhistogram_usec\r\n*2\r\n:1\r\n:1\r\n";
        assert_eq!(
            enc(false, |r| write_latency_histogram(r, &stats, &[])),
            format!("*4\r\n{config}{get}")
        );
        assert_eq!(
            enc(false, |r| write_latency_histogram(
                r,
                &stats,
                &[b"GET", b"nosuch", b"set", b"Config"]
            )),
            format!("*4\r\n{get}{config}")
        );
        let resp3 = enc(true, |r| write_latency_histogram(r, &stats, &[b"get"]));
        assert_eq!(
            resp3,
            "%1\r\n$3\r\nget\r\n%2\r\n$5\r\ncalls\r\n:2\r\n$14\r\nhistogram_usec\r\n%2\r\n:1\r\n:1\r\n:4\r\n:2\r\n"
        );
    }

    #[test]
    fn errorstats() {
        let mut e = ErrorStats::new();
        e.record(b"ERR syntax error");
        e.record(b"WRONGTYPE Operation against a key holding the wrong kind of value");
        e.record(b"ERR unknown command");
        e.record(b"NOSPACE");
        e.record(b"THIS_CODE_IS_WAY_TOO_LONG_TO_BE_A_CODE_AT_ALL x");
        assert_eq!(e.get(b"ERR"), 4);
        assert_eq!(e.total_error_replies(), 5);
        let mut out = String::new();
        e.render_errorstats(&mut out);
        assert_eq!(
            out,
            "# Errorstats\r\nerrorstat_ERR:count=4\r\nerrorstat_WRONGTYPE:count=1\r\n"
        );
        assert_eq!(error_code(b"A:B x"), b"A:B");
        let mut odd = ErrorStats::new();
        odd.record(b"A:B x");
        let mut out = String::new();
        odd.render_errorstats(&mut out);
        assert_eq!(out, "# Errorstats\r\nerrorstat_A_B:count=1\r\n");
    }

    #[test]
    fn errorstats_cap() {
        let mut e = ErrorStats::new();
        for i in 0..200 {
            e.record(format!("E{i:03} boom").as_bytes());
        }
        e.record(b"E000 again");
        e.record(b"E199 untracked");
        assert_eq!(e.iter().count(), ERROR_CODES_MAX);
        assert_eq!(e.total_error_replies(), 202);
        assert_eq!(e.get(b"E000"), 2);
        assert_eq!(e.get(b"E127"), 1);
        assert_eq!(e.get(b"E128"), 0);
        assert_eq!(e.get(b"E199"), 0);

        let mut other = ErrorStats::new();
        other.record(b"ZZZ new");
        other.record(b"E001 more");
        e.merge(&other);
        assert_eq!(e.iter().count(), ERROR_CODES_MAX);
        assert_eq!(e.get(b"E001"), 2);
        assert_eq!(e.get(b"ZZZ"), 0);
        assert_eq!(e.total_error_replies(), 204);
        e.reset();
        assert_eq!((e.iter().count(), e.total_error_replies()), (0, 0));
    }

    #[test]
    fn slowlog_truncation() {
        let mut log = Slowlog::new();
        let owned: Vec<Vec<u8>> = (0..33).map(|i| format!("a{i}").into_bytes()).collect();
        let args: Vec<&[u8]> = owned.iter().map(|a| a.as_slice()).collect();
        log.push(&args, 100, 20_000, "1.2.3.4:5", "", 128);
        let entry = log.entries().next().expect("entry");
        assert_eq!(entry.args.len(), 32);
        assert_eq!(&*entry.args[30], b"a30");
        assert_eq!(&*entry.args[31], b"... (2 more arguments)");

        // Exactly 32 arguments are all kept.
        log.push(&args[..32], 101, 1, "", "", 128);
        let entry = log.entries().next().expect("entry");
        assert_eq!(entry.args.len(), 32);
        assert_eq!(&*entry.args[31], b"a31");

        let long = vec![b'x'; 200];
        let exact = vec![b'y'; 128];
        log.push(&[b"SET", &long, &exact], 102, 1, "", "n", 128);
        let entry = log.entries().next().expect("entry");
        let mut expected = vec![b'x'; 128];
        expected.extend_from_slice(b"... (72 more bytes)");
        assert_eq!(&*entry.args[1], expected.as_slice());
        assert_eq!(&*entry.args[2], exact.as_slice());
        assert_eq!(entry.name, "n");
    }

    #[test]
    fn slowlog_order_and_trim() {
        let mut log = Slowlog::new();
        for t in 0..5u64 {
            log.push(&[b"GET", b"k"], 1000 + t, t, "", "", 3);
        }
        assert_eq!(log.len(), 3);
        let ids: Vec<u64> = log.entries().map(|e| e.id).collect();
        assert_eq!(ids, vec![4, 3, 2]);
        assert_eq!(log.newest(2).len(), 2);
        log.trim(1);
        assert_eq!(log.len(), 1);
        log.push(&[b"GET"], 2000, 1, "", "", 0);
        assert!(log.is_empty());
        log.reset();
        // Ids keep counting after a reset and after entries that were not kept.
        log.push(&[b"GET"], 2001, 1, "", "", 10);
        assert_eq!(log.entries().next().map(|e| e.id), Some(6));
    }

    #[test]
    fn slowlog_merge_ids() {
        let ids = std::sync::Arc::new(std::sync::atomic::AtomicU64::new(0));
        let (mut a, mut b) = (Slowlog::new(), Slowlog::new());
        a.share_ids(ids.clone());
        b.share_ids(ids);
        a.push(&[b"A"], 10, 1, "", "", 10);
        b.push(&[b"B"], 11, 1, "", "", 10);
        a.push(&[b"A"], 12, 1, "", "", 10);
        b.push(&[b"B"], 12, 1, "", "", 10);
        let merged = merge_slowlog(vec![a.newest(10), b.newest(10)], 10);
        let got: Vec<(u64, u64)> = merged.iter().map(|e| (e.time_s, e.id)).collect();
        assert_eq!(got, vec![(12, 3), (12, 2), (11, 1), (10, 0)]);
        assert_eq!(merge_slowlog(vec![a.newest(10), b.newest(10)], 1).len(), 1);
    }

    #[test]
    fn slowlog_reply_bytes() {
        let mut log = Slowlog::new();
        for _ in 0..7 {
            log.push(&[b"X"], 1, 1, "", "", 0);
        }
        log.push(
            &[b"SET", b"k", b"v"],
            1_700_000_000,
            12_345,
            "127.0.0.1:5000",
            "",
            128,
        );
        let entries = log.newest(10);
        assert_eq!(
            enc(false, |r| write_slowlog_reply(r, &entries)),
            "*1\r\n*6\r\n:7\r\n:1700000000\r\n:12345\r\n*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1\r\nv\r\n\
             $14\r\n127.0.0.1:5000\r\n$0\r\n\r\n"
        );
    }

    #[test]
    fn latency_monitor_samples() {
        let mut m = LatencyMonitor::new();
        m.add_sample("command", 100, 150);
        m.add_sample("command", 100, 300);
        m.add_sample("command", 100, 200);
        m.add_sample("command", 101, 120);
        assert_eq!(
            enc(false, |r| m.write_history(r, b"command")),
            "*2\r\n*2\r\n:100\r\n:300\r\n*2\r\n:101\r\n:120\r\n"
        );
        assert_eq!(enc(false, |r| m.write_history(r, b"nope")), "*0\r\n");
        assert_eq!(
            enc(false, |r| m.write_latest(r)),
            "*1\r\n*4\r\n$7\r\ncommand\r\n:101\r\n:120\r\n:300\r\n"
        );

        let mut long = LatencyMonitor::new();
        for t in 0..200u64 {
            long.add_sample("expire-cycle", t, t + 1000);
        }
        assert_eq!(long.events[0].1.samples.len(), LATENCY_SERIES_LEN);
        assert_eq!(long.events[0].1.samples.front(), Some(&(40, 1040)));
        assert_eq!(long.latest(), vec![("expire-cycle", 199, 1199, 1199)]);
    }

    #[test]
    fn latency_monitor_merge_and_reset() {
        let mut a = LatencyMonitor::new();
        let mut b = LatencyMonitor::new();
        for t in 0..100u64 {
            a.add_sample("command", t * 2, 10);
            b.add_sample("command", t * 2 + 1, 20);
        }
        a.add_sample("command", 300, 5);
        b.add_sample("command", 300, 7);
        b.add_sample("fast-command", 50, 3);
        a.merge(&b);
        let series = &a.events[0].1;
        assert_eq!(series.samples.len(), LATENCY_SERIES_LEN);
        assert_eq!(series.samples.back(), Some(&(300, 7)));
        assert_eq!(series.samples.front(), Some(&(41, 20)));
        assert!(series
            .samples
            .iter()
            .zip(series.samples.iter().skip(1))
            .all(|(x, y)| x.0 < y.0));
        assert_eq!(series.max, 20);
        assert_eq!(a.latest().len(), 2);

        let doctor = a.doctor_text(100, 310);
        assert!(doctor.contains("command"), "{doctor}");
        assert!(doctor.contains("SLOWLOG"), "{doctor}");
        assert!(LatencyMonitor::new()
            .doctor_text(0, 0)
            .contains("latency-monitor-threshold is 0"));

        assert_eq!(a.reset(&[b"COMMAND", b"command", b"nope"]), 1);
        assert_eq!(a.reset(&[]), 1);
        assert!(a.is_empty());
        b.add_sample("expire-cycle", 1, 1);
        assert_eq!(b.reset(&[]), 3);
    }
}
