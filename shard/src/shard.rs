//! One core's state: its keyspace, clock and counters.

use crate::command::{flags, CommandSpec, CommandTable, Routing};
use crate::ctx::Ctx;
use crate::keyspace::{Keyspace, DB_COUNT};
pub use crate::settings::Settings;
use crate::slot::{ShardId, SlotMap, SLOT_COUNT};
use protocol::Reply;

/// Counters a shard keeps; INFO and metrics sum them over shards. Core-local, no atomics.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Stats {
    pub commands_processed: u64,
    pub keyspace_hits: u64,
    pub keyspace_misses: u64,
    pub expired_keys: u64,
    pub evicted_keys: u64,
    pub connections_received: u64,
    pub rejected_connections: u64,
    pub net_input_bytes: u64,
    pub net_output_bytes: u64,
    pub connected_clients: u64,
    pub forwarded_commands: u64,
    /// Clients waiting in blocking commands.
    pub blocked_clients: u64,
    /// Commands per second, averaged over the last 16 samples (as Redis's
    /// instantaneous_ops_per_sec).
    pub instantaneous_ops_per_sec: u64,
    /// Network bytes per second in and out, averaged the same way.
    pub instantaneous_input_bytes_per_sec: u64,
    pub instantaneous_output_bytes_per_sec: u64,
    /// Reads and writes of client sockets that moved data (INFO total_reads_processed ...).
    pub reads_processed: u64,
    pub writes_processed: u64,
    /// Milliseconds spent over the shard's share of maxmemory: finished spells, and the
    /// one going on (INFO total_/current_eviction_exceeded_time).
    pub eviction_exceeded_ms: u64,
    pub current_eviction_exceeded_ms: u64,
}

impl std::ops::AddAssign for Stats {
    fn add_assign(&mut self, o: Stats) {
        self.commands_processed += o.commands_processed;
        self.keyspace_hits += o.keyspace_hits;
        self.keyspace_misses += o.keyspace_misses;
        self.expired_keys += o.expired_keys;
        self.evicted_keys += o.evicted_keys;
        self.connections_received += o.connections_received;
        self.rejected_connections += o.rejected_connections;
        self.net_input_bytes += o.net_input_bytes;
        self.net_output_bytes += o.net_output_bytes;
        self.connected_clients += o.connected_clients;
        self.forwarded_commands += o.forwarded_commands;
        self.blocked_clients += o.blocked_clients;
        self.instantaneous_ops_per_sec += o.instantaneous_ops_per_sec;
        self.instantaneous_input_bytes_per_sec += o.instantaneous_input_bytes_per_sec;
        self.instantaneous_output_bytes_per_sec += o.instantaneous_output_bytes_per_sec;
        self.reads_processed += o.reads_processed;
        self.writes_processed += o.writes_processed;
        // Shards go over their shares at their own times; Redis has one limit, so the
        // shard that spent longest over its share stands for the server.
        self.eviction_exceeded_ms = self.eviction_exceeded_ms.max(o.eviction_exceeded_ms);
        self.current_eviction_exceeded_ms = self
            .current_eviction_exceeded_ms
            .max(o.current_eviction_exceeded_ms);
    }
}

/// A CLIENT PAUSE: commands wait until `until_ms` (all of them, or only writes).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClientPause {
    pub until_ms: u64,
    pub writes_only: bool,
}

/// Where the active expiry cycle resumes.
#[derive(Debug, Default, Clone, Copy)]
struct ExpireCursor {
    db: usize,
    slot: usize,
}

pub struct Shard {
    pub id: ShardId,
    /// Which shard owns each slot. Lives for the whole process (shared read-only by every
    /// shard, so copying the reference costs nothing — no reference count on the hot path).
    pub slot_map: &'static SlotMap,
    pub keyspace: Keyspace,
    /// Unix time in ms, set by the event loop once per turn (tests set it directly).
    pub now_ms: u64,
    pub stats: Stats,
    /// This shard's copy of the configuration (CONFIG SET changes every shard's copy).
    pub settings: Settings,
    /// Unix time in ms when the server started.
    pub started_ms: u64,
    /// Set by SHUTDOWN; the event loop stops every shard.
    pub shutdown_requested: bool,
    /// Keys that blocked clients wait on, and which of them got data.
    pub blocking: BlockingKeys,
    /// CLIENT PAUSE in force on this shard, if any.
    pub pause: Option<ClientPause>,
    /// Per-command calls, time and latency (INFO commandstats/latencystats, /metrics).
    pub command_stats: CommandStats,
    /// Error replies by code (INFO errorstats).
    pub error_stats: ErrorStats,
    pub slowlog: Slowlog,
    pub latency_monitor: LatencyMonitor,
    /// Measures this shard's memory for maxmemory.
    pub memory: Box<dyn MemoryMeter>,
    /// Bytes allocated outside every shard's memory (rings, the metrics thread...), as
    /// last measured (every tick), charged against maxmemory before it is split among shards.
    pub memory_outside_shards: u64,
    pub eviction_pool: EvictionPool,
    rng: u64,
    expire_cursor: ExpireCursor,
    rates: RateTrackers,
    /// When this shard last went over its share of maxmemory (0: it is not over).
    over_limit_since_ms: u64,
}

/// Samples of a counter's rate, taken every tick as Redis's `trackInstantaneousMetric`.
#[derive(Debug, Default, Clone, Copy)]
struct RateSamples {
    per_second: [u64; 16],
    next: usize,
    last_ms: u64,
    last_count: u64,
}

impl RateSamples {
    /// Take a sample of `count` at `now_ms`; the mean rate per second of the last 16.
    fn sample(&mut self, now_ms: u64, count: u64) -> u64 {
        if self.last_ms != 0 && now_ms > self.last_ms {
            let rate = count.saturating_sub(self.last_count) * 1000 / (now_ms - self.last_ms);
            self.per_second[self.next] = rate;
            self.next = (self.next + 1) % self.per_second.len();
        }
        self.last_ms = now_ms;
        self.last_count = count;
        self.per_second.iter().sum::<u64>() / self.per_second.len() as u64
    }
}

/// The rates INFO reports as instantaneous_*.
#[derive(Debug, Default, Clone, Copy)]
struct RateTrackers {
    ops: RateSamples,
    input_bytes: RateSamples,
    output_bytes: RateSamples,
}

/// The shard's side of blocking commands (BLPOP, BZPOPMIN, ...): which keys have clients
/// waiting, and which of those received data since the server last looked. The server
/// keeps the waiting clients themselves; handlers only signal.
#[derive(Debug, Default)]
pub struct BlockingKeys {
    /// (db, key) -> number of clients waiting on it.
    watched: hashbrown::HashMap<(usize, Box<[u8]>), u32, ahash::RandomState>,
    /// Watched keys that received data, in order, each once.
    ready: Vec<(usize, Box<[u8]>)>,
}

impl BlockingKeys {
    pub fn watch(&mut self, db: usize, key: &[u8]) {
        *self.watched.entry((db, key.into())).or_insert(0) += 1;
    }

    pub fn unwatch(&mut self, db: usize, key: &[u8]) {
        let id = (db, Box::<[u8]>::from(key));
        if let Some(count) = self.watched.get_mut(&id) {
            *count -= 1;
            if *count == 0 {
                self.watched.remove(&id);
            }
        }
    }

    /// A key got elements: if anyone waits on it, remember it for the server.
    #[inline]
    pub fn signal(&mut self, db: usize, key: &[u8]) {
        if self.watched.is_empty() {
            return;
        }
        let id = (db, Box::<[u8]>::from(key));
        if self.watched.contains_key(&id) && !self.ready.contains(&id) {
            self.ready.push(id);
        }
    }

    pub fn take_ready(&mut self) -> Vec<(usize, Box<[u8]>)> {
        std::mem::take(&mut self.ready)
    }

    pub fn has_ready(&self) -> bool {
        !self.ready.is_empty()
    }
}

impl Shard {
    pub fn new(id: ShardId, slot_map: &'static SlotMap, settings: Settings) -> Self {
        let mut shard = Shard {
            id,
            slot_map,
            keyspace: Keyspace::new(),
            now_ms: 0,
            stats: Stats::default(),
            settings,
            started_ms: 0,
            shutdown_requested: false,
            blocking: BlockingKeys::default(),
            pause: None,
            command_stats: CommandStats::new(),
            error_stats: ErrorStats::default(),
            slowlog: Slowlog::new(),
            latency_monitor: LatencyMonitor::default(),
            memory: Box::new(Unmetered),
            memory_outside_shards: 0,
            eviction_pool: EvictionPool::default(),
            rates: RateTrackers::default(),
            over_limit_since_ms: 0,
            rng: 0x9E37_79B9_7F4A_7C15 ^ (id as u64 + 1).wrapping_mul(0xD1B5_4A32_D192_ED03),
            expire_cursor: ExpireCursor::default(),
        };
        shard.apply_settings();
        shard
    }

    /// A standalone shard owning every slot (tests, single-shard tools).
    pub fn standalone() -> Self {
        static ONE_SHARD: std::sync::OnceLock<SlotMap> = std::sync::OnceLock::new();
        Shard::new(
            0,
            ONE_SHARD.get_or_init(|| SlotMap::contiguous(1)),
            Default::default(),
        )
    }

    /// The slots this shard owns.
    pub fn owned_slots(&self) -> std::ops::Range<usize> {
        SlotMap::range_of(self.id, self.slot_map.shard_count())
    }

    /// xorshift64*: cheap randomness for RANDOMKEY and sampling, not for security.
    pub fn random(&mut self) -> u64 {
        let mut x = self.rng;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.rng = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// Bring what depends on the settings in line with them (at start and after CONFIG
    /// SET): latency tracking, what keys' access stamps record for eviction.
    pub fn apply_settings(&mut self) {
        let tracking = self.settings.latency_tracking;
        self.command_stats.set_latency_tracking(tracking);
        self.apply_memory_settings();
    }

    /// Run a client's command and account for it: calls, time, errors, slow log, latency
    /// monitor. (Parts of a cross-shard command run with [`Shard::execute`]; the
    /// coordinator accounts for the whole with [`Shard::record_call`].)
    pub fn call(
        &mut self,
        spec: &'static CommandSpec,
        client: &mut Client,
        args: &[&[u8]],
        out: &mut Vec<u8>,
    ) {
        self.call_for(spec, client, None, args, out);
    }

    /// [`Shard::call`] for a command another shard's client sent (`sender`: its address
    /// and name, for the slow log).
    pub fn call_for(
        &mut self,
        spec: &'static CommandSpec,
        client: &mut Client,
        sender: Option<(&str, &[u8])>,
        args: &[&[u8]],
        out: &mut Vec<u8>,
    ) {
        let start = out.len();
        if self.settings.maxmemory != 0
            && self.make_room() == Room::Full
            && spec.has(flags::DENYOOM)
        {
            Reply::new(out, client.resp3).error(OOM_ERROR.as_bytes());
            self.record_rejected(Some(spec), &out[start..]);
            return;
        }
        let began = crate::clock::ticks();
        self.execute(spec, client, args, out);
        if client.block.is_some() {
            // Parked: accounted for when it finally runs.
            return;
        }
        let elapsed_ns = crate::clock::elapsed_ns(began);
        let (addr, name) = match sender {
            Some((addr, name)) => (addr, (!name.is_empty()).then_some(name)),
            None => (client.addr.as_str(), client.name.as_deref()),
        };
        self.record_call(spec, addr, name, args, elapsed_ns, &out[start..]);
    }

    /// Account for one command that ran (`reply` is its reply, to tell a failure).
    pub fn record_call(
        &mut self,
        spec: &'static CommandSpec,
        addr: &str,
        name: Option<&[u8]>,
        args: &[&[u8]],
        elapsed_ns: u64,
        reply: &[u8],
    ) {
        self.stats.commands_processed += 1;
        let failed = reply.first() == Some(&b'-');
        if let Some(index) = CommandTable::get().index_of(spec) {
            self.command_stats.record_call(index, elapsed_ns, failed);
        }
        if failed {
            self.error_stats.record(error_line(reply));
        }
        let elapsed_us = elapsed_ns / 1000;
        let threshold = self.settings.slowlog_log_slower_than;
        if threshold >= 0 && elapsed_us >= threshold as u64 {
            self.slowlog.push(
                args,
                self.now_ms / 1000,
                elapsed_us,
                addr,
                &String::from_utf8_lossy(name.unwrap_or_default()),
                self.settings.slowlog_max_len as usize,
            );
        }
        let latency_threshold = self.settings.latency_monitor_threshold;
        let elapsed_ms = elapsed_ns / 1_000_000;
        if latency_threshold > 0 && elapsed_ms >= latency_threshold {
            let event = if spec.has(flags::FAST) {
                "fast-command"
            } else {
                "command"
            };
            self.latency_monitor
                .add_sample(event, self.now_ms / 1000, elapsed_ms);
        }
    }

    /// Account for an error reply given before a command could run: unknown command,
    /// wrong arity (a rejected call of that command), NOAUTH, ...
    pub fn record_rejected(&mut self, spec: Option<&'static CommandSpec>, reply: &[u8]) {
        self.stats.commands_processed += 1;
        if let Some(index) = spec.and_then(|spec| CommandTable::get().index_of(spec)) {
            self.command_stats.record_rejected(index);
        }
        self.error_stats.record(error_line(reply));
    }

    /// Run one command whose arity was already checked and whose keys this shard owns.
    pub fn execute(
        &mut self,
        spec: &CommandSpec,
        client: &mut Client,
        args: &[&[u8]],
        out: &mut Vec<u8>,
    ) {
        client.last_command = spec.name;
        let resp3 = client.resp3;
        let mut ctx = Ctx::new(self, client, out);
        // A bug in one handler must not take the shard (and every client on it) down: the
        // client gets an error and the loop goes on. Catching costs nothing unless it fires.
        let result =
            std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| match spec.routing {
                Routing::Fanout(fanout) => {
                    let (shard, mut reply) = ctx.split();
                    fanout.run_here(shard, args, &mut reply)
                }
                _ => (spec.handler)(&mut ctx, args),
            }));
        match result {
            Ok(Ok(())) => {}
            Ok(Err(err)) => Reply::new(out, resp3).error(err.to_string().as_bytes()),
            Err(_) => Reply::new(out, resp3).error(b"ERR internal error while running the command"),
        }
    }

    /// Parse-free entry point for tests and single-shard use: resolve, check arity, run.
    pub fn run(&mut self, client: &mut Client, args: &[&[u8]], out: &mut Vec<u8>) {
        match CommandTable::get().resolve(args) {
            Ok(spec) => self.call(spec, client, args, out),
            Err(err) => {
                let start = out.len();
                Reply::new(out, client.resp3).error(err.to_string().as_bytes());
                let spec = CommandTable::get().lookup_for_error(args);
                self.record_rejected(spec, &out[start..]);
            }
        }
    }

    /// One step of the active expiry cycle: walk slots from where the last step stopped,
    /// deleting expired keys, until `budget` volatile keys were checked or everything was
    /// visited once. Returns (checked, expired) so the caller can adapt as Redis does
    /// (keep going while more than 10% of what it checks had expired).
    pub fn active_expire_step(&mut self, budget: usize) -> (usize, usize) {
        if !self.keyspace.has_volatile() {
            return (0, 0);
        }
        let owned = self.owned_slots();
        let span = owned.len() * DB_COUNT;
        let (mut checked, mut expired) = (0usize, 0usize);
        let mut visited = 0;
        while visited < span && checked < budget {
            let cursor = self.expire_cursor;
            if self.keyspace.db(cursor.db).volatile() > 0 {
                let slot = owned.start + cursor.slot;
                let step = self
                    .keyspace
                    .expire_slot(cursor.db, slot as u16, self.now_ms);
                checked += step.checked;
                expired += step.expired;
                self.expire_cursor.slot += 1;
                visited += 1;
            } else {
                visited += owned.len() - cursor.slot;
                self.expire_cursor.slot = owned.len();
            }
            if self.expire_cursor.slot >= owned.len() {
                self.expire_cursor = ExpireCursor {
                    db: (cursor.db + 1) % DB_COUNT,
                    slot: 0,
                };
            }
        }
        debug_assert!(owned.end <= SLOT_COUNT);
        (checked, expired)
    }

    /// Whether CLIENT PAUSE holds this command now. A pause that ran out is forgotten.
    #[inline]
    pub fn paused(&mut self, spec: &CommandSpec) -> bool {
        let Some(pause) = self.pause else {
            return false;
        };
        if self.now_ms >= pause.until_ms {
            self.pause = None;
            return false;
        }
        // Under a WRITE pause, commands that may change data wait (PFCOUNT may rewrite
        // its key's cached cardinality, so Redis holds it too); reads go on.
        !pause.writes_only || spec.has(flags::WRITE) || spec.name == "pfcount"
    }

    /// Whether a pause stops active expiry (Redis keeps the dataset still while paused).
    pub fn expiry_paused(&self) -> bool {
        self.pause.is_some_and(|p| self.now_ms < p.until_ms)
    }

    /// Take one sample of the command rate (the event loop calls this every tick).
    pub fn sample_ops(&mut self) {
        let now = self.now_ms;
        let stats = &mut self.stats;
        stats.instantaneous_ops_per_sec = self.rates.ops.sample(now, stats.commands_processed);
        stats.instantaneous_input_bytes_per_sec =
            self.rates.input_bytes.sample(now, stats.net_input_bytes);
        stats.instantaneous_output_bytes_per_sec =
            self.rates.output_bytes.sample(now, stats.net_output_bytes);
    }

    /// Note whether the shard is over its share of maxmemory (for INFO's
    /// eviction_exceeded_time figures).
    #[inline]
    pub(crate) fn note_over_limit(&mut self, over: bool) {
        if over {
            if self.over_limit_since_ms == 0 {
                self.over_limit_since_ms = self.now_ms.max(1);
            }
        } else if self.over_limit_since_ms != 0 {
            self.stats.eviction_exceeded_ms += self.now_ms.saturating_sub(self.over_limit_since_ms);
            self.over_limit_since_ms = 0;
        }
    }

    /// Counters including the keyspace's own.
    pub fn stats_snapshot(&self) -> Stats {
        let mut stats = self.stats;
        stats.expired_keys = self.keyspace.expired_keys;
        if self.over_limit_since_ms != 0 {
            let current = self.now_ms.saturating_sub(self.over_limit_since_ms);
            stats.current_eviction_exceeded_ms = current;
            stats.eviction_exceeded_ms += current;
        }
        stats
    }
}

use crate::client::Client;
use crate::evict::{EvictionPool, MemoryMeter, Room, Unmetered, OOM_ERROR};
use crate::observe::{CommandStats, ErrorStats, LatencyMonitor, Slowlog};

/// The text of an error reply after its '-' (its first line).
fn error_line(reply: &[u8]) -> &[u8] {
    let line = reply.get(1..).unwrap_or_default();
    let end = line.iter().position(|&b| b == b'\r').unwrap_or(line.len());
    &line[..end]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn active_expiry_reaches_every_key() {
        let mut shard = Shard::standalone();
        let mut client = Client::detached(0, false);
        let mut out = Vec::new();
        for i in 0..500 {
            let key = format!("k{i}");
            shard.run(
                &mut client,
                &[b"SET", key.as_bytes(), b"v", b"PX", b"10"],
                &mut out,
            );
        }
        client.db = 3;
        shard.run(
            &mut client,
            &[b"SET", b"other", b"v", b"PX", b"10"],
            &mut out,
        );
        shard.now_ms += 1000;
        let mut total = 0;
        for _ in 0..1000 {
            let (_, expired) = shard.active_expire_step(100);
            total += expired;
            if shard.keyspace.total_keys() == 0 {
                break;
            }
        }
        assert_eq!(total, 501);
        assert_eq!(shard.keyspace.total_keys(), 0);
    }
}
