//! Server commands: DBSIZE, FLUSHDB, FLUSHALL, SWAPDB, TIME, INFO, CONFIG, COMMAND, SHUTDOWN.

use crate::args::ArgCursor;
use crate::command::{flags::*, CommandSpec, CommandTable, Coordinator, KeySpec, Merge, Routing};
use crate::ctx::Ctx;
use crate::error::{CmdError, CmdResult};
use crate::families::connection::{container, help_reply, REDIS_VERSION, SHARDIS_VERSION};
use crate::glob::glob_match;
use crate::keyspace::DB_COUNT;
use crate::observe::{CommandStats, ErrorStats};
use crate::shard::{Shard, Stats};
use std::fmt::Write as _;

macro_rules! server_cmd {
    ($name:expr, $arity:expr, $flags:expr, $acl:expr, $routing:expr, $summary:expr, $handler:expr) => {
        CommandSpec {
            name: $name,
            arity: $arity,
            flags: $flags,
            keys: KeySpec::None,
            acl: $acl,
            group: "server",
            since: "1.0.0",
            summary: $summary,
            routing: $routing,
            handler: $handler,
        }
    };
}

const KEYSPACE_READ: &[&str] = &["@keyspace", "@read", "@fast"];
const DANGEROUS_WRITE: &[&str] = &["@keyspace", "@write", "@slow", "@dangerous"];
const SLOW: &[&str] = &["@slow", "@connection"];
const ADMIN_ACL: &[&str] = &["@admin", "@slow", "@dangerous"];

pub static COMMANDS: &[CommandSpec] = &[
    server_cmd!(
        "dbsize",
        1,
        READONLY | FAST,
        KEYSPACE_READ,
        Routing::AllShards(Merge::Sum),
        "Returns the number of keys in the database.",
        dbsize
    ),
    server_cmd!(
        "flushdb",
        -1,
        WRITE,
        DANGEROUS_WRITE,
        Routing::AllShards(Merge::AllOk),
        "Removes all keys from the current database.",
        flushdb
    ),
    server_cmd!(
        "flushall",
        -1,
        WRITE,
        DANGEROUS_WRITE,
        Routing::AllShards(Merge::AllOk),
        "Removes all keys from all databases.",
        flushall
    ),
    server_cmd!(
        "swapdb",
        3,
        WRITE | FAST,
        &["@keyspace", "@write", "@fast", "@dangerous"],
        Routing::AllShards(Merge::AllOk),
        "Swaps two Redis databases.",
        swapdb
    ),
    server_cmd!(
        "time",
        1,
        LOADING | STALE | FAST,
        &["@fast"],
        Routing::Local,
        "Returns the server time.",
        time
    ),
    server_cmd!(
        "lastsave",
        1,
        LOADING | STALE | FAST,
        &["@fast", "@admin", "@dangerous"],
        Routing::Local,
        "Returns the Unix timestamp of the last successful save to disk.",
        lastsave
    ),
    server_cmd!(
        "info",
        -1,
        LOADING | STALE,
        &["@slow", "@dangerous"],
        Routing::Coordinated(Coordinator::Info),
        "Returns information and statistics about the server.",
        info
    ),
    server_cmd!(
        "monitor",
        1,
        ADMIN | NOSCRIPT | LOADING | STALE,
        ADMIN_ACL,
        Routing::Local,
        "Listens for all requests received by the server in real-time.",
        monitor
    ),
    server_cmd!(
        "shutdown",
        -1,
        ADMIN | NOSCRIPT | LOADING | STALE | NO_AUTH | ALLOW_BUSY,
        ADMIN_ACL,
        Routing::Local,
        "Synchronously saves the database(s) to disk and shuts down the server.",
        shutdown
    ),
    server_cmd!(
        "config",
        -2,
        0,
        SLOW,
        Routing::Local,
        "A container for server configuration commands.",
        container
    ),
    server_cmd!(
        "config|get",
        -3,
        ADMIN | NOSCRIPT | LOADING | STALE,
        ADMIN_ACL,
        Routing::Local,
        "Returns the effective values of configuration parameters.",
        config_get
    ),
    server_cmd!(
        "memory",
        -2,
        0,
        SLOW,
        Routing::Local,
        "A container for memory diagnostics commands.",
        container
    ),
    CommandSpec {
        name: "memory|usage",
        arity: -3,
        flags: READONLY,
        keys: KeySpec::Range {
            first: 2,
            last: 2,
            step: 1,
        },
        acl: &["@read", "@slow"],
        group: "server",
        since: "4.0.0",
        summary: "Estimates the memory usage of a key.",
        routing: Routing::Keys(Merge::Single),
        handler: memory_usage,
    },
    server_cmd!(
        "memory|doctor",
        2,
        0,
        SLOW,
        Routing::Local,
        "Outputs a memory problems report.",
        memory_doctor
    ),
    server_cmd!(
        "memory|purge",
        2,
        0,
        SLOW,
        Routing::Local,
        "Asks the allocator to release memory.",
        memory_purge
    ),
    server_cmd!(
        "memory|help",
        2,
        LOADING | STALE,
        SLOW,
        Routing::Local,
        "Returns helpful text about the different subcommands.",
        memory_help
    ),
    server_cmd!(
        "command",
        -1,
        LOADING | STALE,
        SLOW,
        Routing::Local,
        "Returns detailed information about all commands.",
        command
    ),
    server_cmd!(
        "command|count",
        2,
        LOADING | STALE,
        SLOW,
        Routing::Local,
        "Returns a count of commands.",
        command_count
    ),
    server_cmd!(
        "command|info",
        -2,
        LOADING | STALE,
        SLOW,
        Routing::Local,
        "Returns information about one, multiple or all commands.",
        command_info
    ),
    server_cmd!(
        "command|docs",
        -2,
        LOADING | STALE,
        SLOW,
        Routing::Local,
        "Returns documentary information about one, multiple or all commands.",
        command_docs
    ),
    server_cmd!(
        "command|list",
        -2,
        LOADING | STALE,
        SLOW,
        Routing::Local,
        "Returns a list of command names.",
        command_list
    ),
];

/// DBSIZE — this shard's part; the router adds up every shard's.
fn dbsize(ctx: &mut Ctx<'_>, _args: &[&[u8]]) -> CmdResult {
    let keys = ctx.shard.keyspace.db(ctx.client.db).len();
    ctx.reply().integer(keys as i64);
    Ok(())
}

fn flush_mode(args: &[&[u8]]) -> CmdResult {
    match args.len() {
        1 => Ok(()),
        2 if args[1].eq_ignore_ascii_case(b"sync") || args[1].eq_ignore_ascii_case(b"async") => {
            Ok(())
        }
        _ => Err(CmdError::Syntax),
    }
}

/// FLUSHDB [ASYNC|SYNC] — both modes free memory at once (no background thread yet).
fn flushdb(ctx: &mut Ctx<'_>, args: &[&[u8]]) -> CmdResult {
    flush_mode(args)?;
    ctx.shard.keyspace.flush_db(ctx.client.db);
    ctx.reply().ok();
    Ok(())
}

/// FLUSHALL [ASYNC|SYNC]
fn flushall(ctx: &mut Ctx<'_>, args: &[&[u8]]) -> CmdResult {
    flush_mode(args)?;
    ctx.shard.keyspace.flush_all();
    ctx.reply().ok();
    Ok(())
}

fn db_index(arg: &[u8]) -> Result<usize, CmdError> {
    let db = protocol::parse_i64(arg).ok_or(CmdError::msg("ERR invalid first DB index"))?;
    usize::try_from(db)
        .ok()
        .filter(|&db| db < DB_COUNT)
        .ok_or(CmdError::DbIndex)
}

/// SWAPDB index1 index2
fn swapdb(ctx: &mut Ctx<'_>, args: &[&[u8]]) -> CmdResult {
    let a = db_index(args[1])?;
    let b = protocol::parse_i64(args[2]).ok_or(CmdError::msg("ERR invalid second DB index"))?;
    let b = usize::try_from(b)
        .ok()
        .filter(|&db| db < DB_COUNT)
        .ok_or(CmdError::DbIndex)?;
    ctx.shard.keyspace.swap_db(a, b);
    ctx.reply().ok();
    Ok(())
}

/// TIME
fn time(ctx: &mut Ctx<'_>, _args: &[&[u8]]) -> CmdResult {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    let mut reply = ctx.reply();
    reply.array(2);
    reply.bulk_i64(now.as_secs() as i64);
    reply.bulk_i64(now.subsec_micros() as i64);
    Ok(())
}

/// LASTSAVE — nothing is persisted yet; the start time stands in, as for a fresh Redis.
fn lastsave(ctx: &mut Ctx<'_>, _args: &[&[u8]]) -> CmdResult {
    let started = (ctx.shard.started_ms / 1000) as i64;
    ctx.reply().integer(started);
    Ok(())
}

/// SHUTDOWN [NOSAVE|SAVE] [NOW] [FORCE] [ABORT]
/// MONITOR: from now on the connection receives every command the server runs (the
/// server feeds it; see [`monitor_line`]).
fn monitor(ctx: &mut Ctx<'_>, _args: &[&[u8]]) -> CmdResult {
    ctx.client.monitor = true;
    ctx.reply().ok();
    Ok(())
}

/// One MONITOR line as Redis writes it: `+<sec>.<usec> [<db> <addr>] "arg" ...\r\n`, each
/// argument quoted with non-printable bytes escaped.
pub fn monitor_line(out: &mut Vec<u8>, unix_us: u64, db: usize, addr: &str, args: &[&[u8]]) {
    use std::io::Write as _;
    let _ = write!(
        out,
        "+{}.{:06} [{} {}]",
        unix_us / 1_000_000,
        unix_us % 1_000_000,
        db,
        addr
    );
    for arg in args {
        out.extend_from_slice(b" \"");
        for &b in *arg {
            match b {
                b'\\' => out.extend_from_slice(b"\\\\"),
                b'"' => out.extend_from_slice(b"\\\""),
                b'\n' => out.extend_from_slice(b"\\n"),
                b'\r' => out.extend_from_slice(b"\\r"),
                b'\t' => out.extend_from_slice(b"\\t"),
                0x07 => out.extend_from_slice(b"\\a"),
                0x08 => out.extend_from_slice(b"\\b"),
                b' '..=b'~' => out.push(b),
                _ => {
                    let _ = write!(out, "\\x{b:02x}");
                }
            }
        }
        out.push(b'"');
    }
    out.extend_from_slice(b"\r\n");
}

fn shutdown(ctx: &mut Ctx<'_>, args: &[&[u8]]) -> CmdResult {
    let mut rest = ArgCursor::new(args, 1);
    let mut abort = false;
    while let Some(option) = rest.next_option() {
        match option.as_str() {
            "NOSAVE" | "SAVE" | "NOW" | "FORCE" => {}
            "ABORT" => abort = true,
            _ => return Err(CmdError::Syntax),
        }
    }
    if abort {
        return Err(CmdError::msg("ERR No shutdown in progress."));
    }
    ctx.shard.shutdown_requested = true;
    ctx.client.close_after_reply = true;
    Ok(())
}

/// Everything INFO reports, gathered from one shard or summed over all of them. The
/// Prometheus endpoint reads the same figures, so INFO and /metrics always agree.
#[derive(Debug, Default, Clone)]
pub struct InfoData {
    pub stats: Stats,
    /// (keys, keys with an expiry) per database.
    pub keyspace: [(u64, u64); DB_COUNT],
    /// Per database, the estimated mean TTL (ms) times the keys with an expiry: summed over
    /// shards, then divided by the total, it gives INFO's avg_ttl.
    pub ttl_weight: [f64; DB_COUNT],
    pub started_ms: u64,
    pub now_ms: u64,
    pub shards: usize,
    pub port: u16,
    pub config_file: String,
    /// Bytes allocated (the server fills it in from the allocator).
    pub used_memory: u64,
    pub used_memory_rss: u64,
    pub used_memory_peak: u64,
    pub maxmemory: u64,
    pub maxmemory_policy: String,
    pub maxclients: u64,
    pub commands: CommandStats,
    pub errors: ErrorStats,
    pub latency_percentiles: Vec<f64>,
    /// Process-wide allocator figures (the server fills them in): bytes allocated when the
    /// server started, in active pages, and resident.
    pub used_memory_startup: u64,
    pub allocator_active: u64,
    pub allocator_resident: u64,
    /// Bytes of client connections' buffers (the server fills them in per shard).
    pub mem_clients_normal: u64,
    /// CPU seconds (user, system) of the shard threads, the ones serving commands.
    pub shard_cpu_seconds: (f64, f64),
}

impl InfoData {
    pub fn from_shard(shard: &Shard) -> Self {
        let settings = &shard.settings;
        let mut data = InfoData {
            stats: shard.stats_snapshot(),
            started_ms: shard.started_ms,
            now_ms: shard.now_ms,
            shards: shard.slot_map.shard_count(),
            port: settings.port,
            config_file: settings.config_file.clone(),
            maxmemory: settings.maxmemory,
            maxmemory_policy: settings.maxmemory_policy.name().to_string(),
            maxclients: settings.maxclients,
            commands: shard.command_stats.clone(),
            errors: shard.error_stats.clone(),
            latency_percentiles: settings.latency_tracking_info_percentiles.clone(),
            shard_cpu_seconds: thread_cpu_seconds(),
            ..InfoData::default()
        };
        for (db, slot) in data.keyspace.iter_mut().enumerate() {
            let part = shard.keyspace.db(db);
            *slot = (part.len() as u64, part.volatile() as u64);
            data.ttl_weight[db] = part.avg_ttl_ms() as f64 * part.volatile() as f64;
        }
        data
    }

    /// Add another shard's figures (settings-like fields are the same on every shard).
    pub fn merge(&mut self, other: &InfoData) {
        self.stats += other.stats;
        for (mine, theirs) in self.keyspace.iter_mut().zip(other.keyspace.iter()) {
            mine.0 += theirs.0;
            mine.1 += theirs.1;
        }
        for (mine, theirs) in self.ttl_weight.iter_mut().zip(other.ttl_weight.iter()) {
            *mine += theirs;
        }
        self.used_memory += other.used_memory;
        self.used_memory_rss = self.used_memory_rss.max(other.used_memory_rss);
        self.used_memory_peak = self.used_memory_peak.max(other.used_memory_peak);
        self.commands.merge(&other.commands);
        self.errors.merge(&other.errors);
        self.mem_clients_normal += other.mem_clients_normal;
        self.shard_cpu_seconds.0 += other.shard_cpu_seconds.0;
        self.shard_cpu_seconds.1 += other.shard_cpu_seconds.1;
    }

    /// keyspace_hits / (hits + misses), 0 before any lookup.
    pub fn hit_ratio(&self) -> f64 {
        let lookups = self.stats.keyspace_hits + self.stats.keyspace_misses;
        if lookups == 0 {
            0.0
        } else {
            self.stats.keyspace_hits as f64 / lookups as f64
        }
    }
}

/// Every section, in the order Redis prints them.
const SECTIONS: &[&str] = &[
    "server",
    "clients",
    "memory",
    "persistence",
    "stats",
    "replication",
    "cpu",
    "modules",
    "commandstats",
    "errorstats",
    "latencystats",
    "cluster",
    "keyspace",
];

/// Whether `INFO` / `INFO default` prints a section: all but the per-command ones.
fn is_default_section(section: &str) -> bool {
    !matches!(section, "commandstats" | "latencystats")
}

/// Which sections `INFO [section ...]` asks for, in Redis's order.
pub fn info_sections(args: &[&[u8]]) -> Vec<&'static str> {
    let defaults = || SECTIONS.iter().copied().filter(|s| is_default_section(s));
    if args.len() <= 1 {
        return defaults().collect();
    }
    let mut wanted: Vec<&'static str> = Vec::new();
    for arg in &args[1..] {
        let arg = arg.to_ascii_lowercase();
        let chosen: Vec<&'static str> = match arg.as_slice() {
            b"all" | b"everything" => SECTIONS.to_vec(),
            b"default" => defaults().collect(),
            _ => SECTIONS
                .iter()
                .copied()
                .filter(|s| s.as_bytes() == arg.as_slice())
                .collect(),
        };
        for section in chosen {
            if !wanted.contains(&section) {
                wanted.push(section);
            }
        }
    }
    wanted.sort_by_key(|s| SECTIONS.iter().position(|x| x == s));
    wanted
}

fn human_bytes(n: u64) -> String {
    let n = n as f64;
    if n < 1024.0 {
        format!("{}B", n as u64)
    } else if n < 1024.0 * 1024.0 {
        format!("{:.2}K", n / 1024.0)
    } else if n < 1024.0 * 1024.0 * 1024.0 {
        format!("{:.2}M", n / (1024.0 * 1024.0))
    } else {
        format!("{:.2}G", n / (1024.0 * 1024.0 * 1024.0))
    }
}

/// INFO's text for the given sections.
pub fn render_info(sections: &[&str], data: &InfoData) -> String {
    let mut text = String::new();
    let uptime = data.now_ms.saturating_sub(data.started_ms) / 1000;
    let s = &data.stats;
    for (i, section) in sections.iter().enumerate() {
        if i > 0 {
            text.push_str("\r\n");
        }
        match *section {
            "server" => {
                let identity = ProcessIdentity::get();
                let now_us = data.now_ms * 1000;
                let _ = write!(
                    text,
                    "# Server\r\nredis_version:{REDIS_VERSION}\r\nshardis_version:{SHARDIS_VERSION}\r\n\
                     redis_git_sha1:00000000\r\nredis_git_dirty:0\r\nredis_build_id:0\r\n\
                     redis_mode:standalone\r\nos:{}\r\narch_bits:64\r\n\
                     monotonic_clock:{}\r\nmultiplexing_api:io_uring\r\n\
                     atomicvar_api:c11-builtin\r\ngcc_version:0.0.0\r\nprocess_id:{}\r\n\
                     process_supervised:{}\r\nrun_id:{}\r\ntcp_port:{}\r\n\
                     server_time_usec:{now_us}\r\nuptime_in_seconds:{uptime}\r\n\
                     uptime_in_days:{}\r\nhz:10\r\nconfigured_hz:10\r\nlru_clock:{}\r\n\
                     executable:{}\r\nconfig_file:{}\r\nio_threads_active:0\r\nshards:{}\r\n",
                    identity.os,
                    crate::clock::source_name(),
                    std::process::id(),
                    identity.supervised,
                    identity.run_id,
                    data.port,
                    uptime / 86400,
                    // Redis's LRU clock: seconds, 24 bits.
                    (data.now_ms / 1000) & ((1 << 24) - 1),
                    identity.executable,
                    data.config_file,
                    data.shards,
                );
            }
            "clients" => {
                let _ = write!(
                    text,
                    "# Clients\r\nconnected_clients:{}\r\ncluster_connections:0\r\nmaxclients:{}\r\n\
                     client_recent_max_input_buffer:0\r\nclient_recent_max_output_buffer:0\r\n\
                     blocked_clients:{}\r\ntracking_clients:0\r\nclients_in_timeout_table:{}\r\n",
                    s.connected_clients, data.maxclients, s.blocked_clients, s.blocked_clients
                );
            }
            "memory" => {
                let used = data.used_memory;
                let rss = data.used_memory_rss;
                let (active, resident) = (data.allocator_active, data.allocator_resident);
                let startup = data.used_memory_startup.min(used);
                // What Redis calls overhead: the server's own structures at start plus
                // client buffers; the rest is the dataset.
                let overhead = (startup + data.mem_clients_normal).min(used);
                let ratio = |a: u64, b: u64| if b == 0 { 0.0 } else { a as f64 / b as f64 };
                let percent = |a: u64, b: u64| ratio(a, b) * 100.0;
                let system_memory = total_system_memory();
                let _ = write!(
                    text,
                    "# Memory\r\nused_memory:{used}\r\nused_memory_human:{}\r\n\
                     used_memory_rss:{rss}\r\nused_memory_rss_human:{}\r\n\
                     used_memory_peak:{}\r\nused_memory_peak_human:{}\r\n\
                     used_memory_peak_perc:{:.2}%\r\nused_memory_overhead:{overhead}\r\n\
                     used_memory_startup:{startup}\r\nused_memory_dataset:{}\r\n\
                     used_memory_dataset_perc:{:.2}%\r\nallocator_allocated:{used}\r\n\
                     allocator_active:{active}\r\nallocator_resident:{resident}\r\n\
                     total_system_memory:{system_memory}\r\ntotal_system_memory_human:{}\r\n\
                     used_memory_lua:0\r\nused_memory_vm_eval:0\r\nused_memory_lua_human:0B\r\n\
                     used_memory_scripts_eval:0\r\nnumber_of_cached_scripts:0\r\n\
                     number_of_functions:0\r\nnumber_of_libraries:0\r\n\
                     used_memory_vm_functions:0\r\nused_memory_vm_total:0\r\n\
                     used_memory_vm_total_human:0B\r\nused_memory_functions:0\r\n\
                     used_memory_scripts:0\r\nused_memory_scripts_human:0B\r\n\
                     maxmemory:{}\r\nmaxmemory_human:{}\r\nmaxmemory_policy:{}\r\n\
                     allocator_frag_ratio:{:.2}\r\nallocator_frag_bytes:{}\r\n\
                     allocator_rss_ratio:{:.2}\r\nallocator_rss_bytes:{}\r\n\
                     rss_overhead_ratio:{:.2}\r\nrss_overhead_bytes:{}\r\n\
                     mem_fragmentation_ratio:{:.2}\r\nmem_fragmentation_bytes:{}\r\n\
                     mem_not_counted_for_evict:0\r\nmem_replication_backlog:0\r\n\
                     mem_total_replication_buffers:0\r\nmem_clients_slaves:0\r\n\
                     mem_clients_normal:{}\r\nmem_cluster_links:0\r\nmem_aof_buffer:0\r\n\
                     mem_allocator:jemalloc\r\nactive_defrag_running:0\r\n\
                     lazyfree_pending_objects:{}\r\nlazyfreed_objects:{}\r\n",
                    human_bytes(used),
                    human_bytes(rss),
                    data.used_memory_peak,
                    human_bytes(data.used_memory_peak),
                    percent(used, data.used_memory_peak),
                    used - overhead,
                    percent(used - overhead, used - startup),
                    human_bytes(system_memory),
                    data.maxmemory,
                    human_bytes(data.maxmemory),
                    data.maxmemory_policy,
                    ratio(active, used),
                    active as i64 - used as i64,
                    ratio(resident, active),
                    resident as i64 - active as i64,
                    ratio(rss, resident),
                    rss as i64 - resident as i64,
                    ratio(rss, used),
                    rss as i64 - used as i64,
                    data.mem_clients_normal,
                    crate::lazyfree::pending_objects(),
                    crate::lazyfree::lazyfreed_objects(),
                );
            }
            "persistence" => {
                // No persistence yet: nothing saved or loaded, no fork, every status ok.
                let _ = write!(
                    text,
                    "# Persistence\r\nloading:0\r\nasync_loading:0\r\ncurrent_cow_peak:0\r\n\
                     current_cow_size:0\r\ncurrent_cow_size_age:0\r\ncurrent_fork_perc:0.00\r\n\
                     current_save_keys_processed:0\r\ncurrent_save_keys_total:0\r\n\
                     rdb_changes_since_last_save:0\r\nrdb_bgsave_in_progress:0\r\n\
                     rdb_last_save_time:{}\r\nrdb_last_bgsave_status:ok\r\n\
                     rdb_last_bgsave_time_sec:-1\r\nrdb_current_bgsave_time_sec:-1\r\n\
                     rdb_saves:0\r\nrdb_last_cow_size:0\r\nrdb_last_load_keys_expired:0\r\n\
                     rdb_last_load_keys_loaded:0\r\naof_enabled:0\r\n\
                     aof_rewrite_in_progress:0\r\naof_rewrite_scheduled:0\r\n\
                     aof_last_rewrite_time_sec:-1\r\naof_current_rewrite_time_sec:-1\r\n\
                     aof_last_bgrewrite_status:ok\r\naof_rewrites:0\r\n\
                     aof_rewrites_consecutive_failures:0\r\naof_last_write_status:ok\r\n\
                     aof_last_cow_size:0\r\nmodule_fork_in_progress:0\r\n\
                     module_fork_last_cow_size:0\r\n",
                    data.started_ms / 1000
                );
            }
            "stats" => {
                let kbps = |bytes_per_sec: u64| bytes_per_sec as f64 / 1024.0;
                let _ = write!(
                    text,
                    "# Stats\r\ntotal_connections_received:{}\r\ntotal_commands_processed:{}\r\n\
                     instantaneous_ops_per_sec:{}\r\ntotal_net_input_bytes:{}\r\n\
                     total_net_output_bytes:{}\r\ntotal_net_repl_input_bytes:0\r\n\
                     total_net_repl_output_bytes:0\r\ninstantaneous_input_kbps:{:.2}\r\n\
                     instantaneous_output_kbps:{:.2}\r\ninstantaneous_input_repl_kbps:0.00\r\n\
                     instantaneous_output_repl_kbps:0.00\r\nrejected_connections:{}\r\n\
                     sync_full:0\r\nsync_partial_ok:0\r\nsync_partial_err:0\r\n\
                     expired_keys:{}\r\nexpired_stale_perc:0.00\r\n\
                     expired_time_cap_reached_count:0\r\nexpire_cycle_cpu_milliseconds:0\r\n\
                     evicted_keys:{}\r\nevicted_clients:0\r\ntotal_eviction_exceeded_time:{}\r\n\
                     current_eviction_exceeded_time:{}\r\nkeyspace_hits:{}\r\n\
                     keyspace_misses:{}\r\npubsub_channels:0\r\npubsub_patterns:0\r\n\
                     pubsubshard_channels:0\r\nlatest_fork_usec:0\r\ntotal_forks:0\r\n\
                     migrate_cached_sockets:0\r\nslave_expires_tracked_keys:0\r\n\
                     active_defrag_hits:0\r\nactive_defrag_misses:0\r\n\
                     active_defrag_key_hits:0\r\nactive_defrag_key_misses:0\r\n\
                     total_active_defrag_time:0\r\ncurrent_active_defrag_time:0\r\n\
                     tracking_total_keys:0\r\ntracking_total_items:0\r\n\
                     tracking_total_prefixes:0\r\nunexpected_error_replies:0\r\n\
                     total_error_replies:{}\r\ndump_payload_sanitizations:0\r\n\
                     total_reads_processed:{}\r\ntotal_writes_processed:{}\r\n\
                     io_threaded_reads_processed:0\r\nio_threaded_writes_processed:0\r\n\
                     reply_buffer_shrinks:0\r\nreply_buffer_expands:0\r\n\
                     forwarded_commands:{}\r\n",
                    s.connections_received,
                    s.commands_processed,
                    s.instantaneous_ops_per_sec,
                    s.net_input_bytes,
                    s.net_output_bytes,
                    kbps(s.instantaneous_input_bytes_per_sec),
                    kbps(s.instantaneous_output_bytes_per_sec),
                    s.rejected_connections,
                    s.expired_keys,
                    s.evicted_keys,
                    s.eviction_exceeded_ms,
                    s.current_eviction_exceeded_ms,
                    s.keyspace_hits,
                    s.keyspace_misses,
                    data.errors.total_error_replies(),
                    s.reads_processed,
                    s.writes_processed,
                    s.forwarded_commands,
                );
            }
            "replication" => {
                let _ = write!(
                    text,
                    "# Replication\r\nrole:master\r\nconnected_slaves:0\r\n\
                     master_failover_state:no-failover\r\nmaster_replid:{}\r\n\
                     master_replid2:0000000000000000000000000000000000000000\r\n\
                     master_repl_offset:0\r\nsecond_repl_offset:-1\r\n\
                     repl_backlog_active:0\r\nrepl_backlog_size:1048576\r\n\
                     repl_backlog_first_byte_offset:0\r\nrepl_backlog_histlen:0\r\n",
                    ProcessIdentity::get().replid
                );
            }
            "cpu" => {
                let (user, system) = process_cpu_seconds();
                // Redis's "main thread" is the one serving commands: here, the shards.
                let (shard_user, shard_system) = data.shard_cpu_seconds;
                let _ = write!(
                    text,
                    "# CPU\r\nused_cpu_sys:{system:.6}\r\nused_cpu_user:{user:.6}\r\n\
                     used_cpu_sys_children:0.000000\r\nused_cpu_user_children:0.000000\r\n\
                     used_cpu_sys_main_thread:{shard_system:.6}\r\n\
                     used_cpu_user_main_thread:{shard_user:.6}\r\n"
                );
            }
            "modules" => text.push_str("# Modules\r\n"),
            "cluster" => text.push_str("# Cluster\r\ncluster_enabled:0\r\n"),
            "commandstats" => data.commands.render_commandstats(&mut text),
            "errorstats" => data.errors.render_errorstats(&mut text),
            "latencystats" => data
                .commands
                .render_latencystats(&mut text, &data.latency_percentiles),
            "keyspace" => {
                text.push_str("# Keyspace\r\n");
                for (db, (keys, expires)) in data.keyspace.iter().enumerate() {
                    if *keys > 0 {
                        let avg_ttl = if *expires > 0 {
                            (data.ttl_weight[db] / *expires as f64) as u64
                        } else {
                            0
                        };
                        let _ = write!(
                            text,
                            "db{db}:keys={keys},expires={expires},avg_ttl={avg_ttl}\r\n"
                        );
                    }
                }
            }
            _ => {}
        }
    }
    text
}

/// User and system CPU seconds of the whole process.
pub fn process_cpu_seconds() -> (f64, f64) {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    cpu_seconds_of_stat(&stat)
}

/// utime and stime of a /proc/.../stat line, in seconds.
fn cpu_seconds_of_stat(stat: &str) -> (f64, f64) {
    let after_name = stat.rsplit_once(')').map_or("", |(_, rest)| rest);
    let fields: Vec<&str> = after_name.split_whitespace().collect();
    let ticks = |i: usize| {
        fields
            .get(i)
            .and_then(|f| f.parse::<f64>().ok())
            .unwrap_or(0.0)
            / 100.0
    };
    // After the name: state is field 3, so utime (14) and stime (15) are at 11 and 12.
    (ticks(11), ticks(12))
}

/// User and system CPU seconds of the calling thread.
fn thread_cpu_seconds() -> (f64, f64) {
    let stat = std::fs::read_to_string("/proc/thread-self/stat").unwrap_or_default();
    cpu_seconds_of_stat(&stat)
}

/// MemTotal of /proc/meminfo, in bytes (INFO total_system_memory).
fn total_system_memory() -> u64 {
    let meminfo = std::fs::read_to_string("/proc/meminfo").unwrap_or_default();
    meminfo
        .lines()
        .find_map(|line| line.strip_prefix("MemTotal:"))
        .and_then(|rest| {
            rest.trim()
                .trim_end_matches("kB")
                .trim()
                .parse::<u64>()
                .ok()
        })
        .map_or(0, |kb| kb * 1024)
}

/// What INFO says of the process itself, fixed for its lifetime.
struct ProcessIdentity {
    /// 40 random hex digits, new at every start (as Redis's run_id).
    run_id: String,
    /// The replication id a replica would follow (random, as Redis's master_replid).
    replid: String,
    os: String,
    executable: String,
    /// "systemd" when started by systemd, else "no".
    supervised: &'static str,
}

impl ProcessIdentity {
    fn get() -> &'static ProcessIdentity {
        static IDENTITY: std::sync::OnceLock<ProcessIdentity> = std::sync::OnceLock::new();
        IDENTITY.get_or_init(|| {
            let mut random = [0u8; 40];
            let filled = std::fs::File::open("/dev/urandom")
                .and_then(|mut f| std::io::Read::read_exact(&mut f, &mut random))
                .is_ok();
            if !filled {
                // No /dev/urandom: the clock and the pid still differ between starts.
                let mut x = crate::clock::ticks() ^ ((std::process::id() as u64) << 32) | 1;
                for byte in random.iter_mut() {
                    x ^= x << 13;
                    x ^= x >> 7;
                    x ^= x << 17;
                    *byte = x as u8;
                }
            }
            let hex =
                |bytes: &[u8]| -> String { bytes.iter().map(|b| format!("{b:02x}")).collect() };
            let release = std::fs::read_to_string("/proc/sys/kernel/osrelease").unwrap_or_default();
            ProcessIdentity {
                run_id: hex(&random[..20]),
                replid: hex(&random[20..]),
                os: format!("Linux {} {}", release.trim(), std::env::consts::ARCH),
                executable: std::env::current_exe()
                    .map(|p| p.display().to_string())
                    .unwrap_or_else(|_| "shardis".to_string()),
                supervised: if std::env::var_os("INVOCATION_ID").is_some() {
                    "systemd"
                } else {
                    "no"
                },
            }
        })
    }
}

/// INFO [section ...] on one shard; with several shards the server sums every shard's data.
fn info(ctx: &mut Ctx<'_>, args: &[&[u8]]) -> CmdResult {
    let data = InfoData::from_shard(ctx.shard);
    let text = render_info(&info_sections(args), &data);
    ctx.reply().verbatim(text.as_bytes());
    Ok(())
}

/// CONFIG GET parameter [parameter ...]
fn config_get(ctx: &mut Ctx<'_>, args: &[&[u8]]) -> CmdResult {
    let matched = ctx.shard.settings.get_matching(&args[2..]);
    let mut reply = ctx.reply();
    reply.map(matched.len());
    for (name, value) in &matched {
        reply.bulk(name.as_bytes());
        reply.bulk(value.as_bytes());
    }
    Ok(())
}

fn write_index_search(reply: &mut protocol::Reply<'_>, index: i64) {
    reply.map(2);
    reply.bulk(b"type");
    reply.bulk(b"index");
    reply.bulk(b"spec");
    reply.map(1);
    reply.bulk(b"index");
    reply.integer(index);
}

/// One key spec of COMMAND INFO: keys from `index`, a range to `lastkey` (relative).
fn write_range_key_spec(reply: &mut protocol::Reply<'_>, index: i64, lastkey: i64, step: i64) {
    reply.map(3);
    reply.bulk(b"flags");
    reply.set(0);
    reply.bulk(b"begin_search");
    write_index_search(reply, index);
    reply.bulk(b"find_keys");
    reply.map(2);
    reply.bulk(b"type");
    reply.bulk(b"range");
    reply.bulk(b"spec");
    reply.map(3);
    reply.bulk(b"lastkey");
    reply.integer(lastkey);
    reply.bulk(b"keystep");
    reply.integer(step);
    reply.bulk(b"limit");
    reply.integer(0);
}

fn write_command_info(reply: &mut protocol::Reply<'_>, spec: &CommandSpec) {
    let table = CommandTable::get();
    reply.array(10);
    reply.bulk(spec.name.as_bytes());
    reply.integer(spec.arity as i64);
    let flag_names: Vec<&str> = crate::command::flags::NAMES
        .iter()
        .filter(|(f, _)| spec.has(*f))
        .map(|(_, n)| *n)
        .collect();
    reply.set(flag_names.len());
    for name in flag_names {
        reply.simple(name.as_bytes());
    }
    let (first, last, step) = spec.keys.legacy_triple();
    reply.integer(first);
    reply.integer(last);
    reply.integer(step);
    reply.set(spec.acl.len());
    for category in spec.acl {
        reply.simple(category.as_bytes());
    }
    reply.array(0); // tips
    match spec.keys {
        KeySpec::None => reply.array(0),
        KeySpec::Range { first, last, step } => {
            reply.array(1);
            let lastkey = if last < 0 {
                last as i64
            } else {
                last as i64 - first as i64
            };
            write_range_key_spec(reply, first as i64, lastkey, step as i64);
        }
        KeySpec::Numkeys { numkeys_at, also } => {
            reply.array(1 + also.is_some() as usize);
            if let Some(index) = also {
                write_range_key_spec(reply, index as i64, 0, 1);
            }
            reply.map(3);
            reply.bulk(b"flags");
            reply.set(0);
            reply.bulk(b"begin_search");
            write_index_search(reply, numkeys_at as i64);
            reply.bulk(b"find_keys");
            reply.map(2);
            reply.bulk(b"type");
            reply.bulk(b"keynum");
            reply.bulk(b"spec");
            reply.map(3);
            reply.bulk(b"keynumidx");
            reply.integer(0);
            reply.bulk(b"firstkey");
            reply.integer(1);
            reply.bulk(b"keystep");
            reply.integer(1);
        }
    }
    let subs: Vec<&CommandSpec> = table.subcommands(spec.name).collect();
    reply.array(subs.len());
    for sub in subs {
        write_command_info(reply, sub);
    }
}

/// MEMORY USAGE key [SAMPLES count] — bytes the key and its value take: the table item
/// (key up to 23 bytes inline, expiry, access stamp, value header), its share of the
/// table's control bytes, and every allocation the key and value own. Exact, so SAMPLES is
/// accepted and ignored.
fn memory_usage(ctx: &mut Ctx<'_>, args: &[&[u8]]) -> CmdResult {
    let mut rest = ArgCursor::new(args, 3);
    while !rest.is_done() {
        if rest.flag("SAMPLES") {
            let samples = rest.next_i64()?;
            if samples < 0 {
                return Err(CmdError::Syntax);
            }
        } else {
            return Err(CmdError::Syntax);
        }
    }
    let key = args[2];
    let (db, now) = (ctx.db(), ctx.now_ms());
    let usage = ctx.shard.keyspace.get(db, key, now).map(|entry| {
        let key_heap = if key.len() > 23 {
            key.len().next_multiple_of(16)
        } else {
            0
        };
        std::mem::size_of::<crate::keyspace::Item>() + 1 + key_heap + entry.value.heap_size()
    });
    let mut reply = ctx.reply();
    match usage {
        Some(bytes) => reply.integer(bytes as i64),
        None => reply.null(),
    }
    Ok(())
}

/// MEMORY DOCTOR
fn memory_doctor(ctx: &mut Ctx<'_>, _args: &[&[u8]]) -> CmdResult {
    ctx.reply().verbatim(b"Hi Sam, I can't find any memory issue in your instance. I can only account for what occurs on this base.");
    Ok(())
}

/// MEMORY PURGE — nothing to do with the system allocator.
fn memory_purge(ctx: &mut Ctx<'_>, _args: &[&[u8]]) -> CmdResult {
    ctx.reply().ok();
    Ok(())
}

/// MEMORY HELP
fn memory_help(ctx: &mut Ctx<'_>, _args: &[&[u8]]) -> CmdResult {
    const LINES: &[&str] = &[
        "MEMORY <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
        "DOCTOR",
        "    Return memory problems reports.",
        "MALLOC-STATS",
        "    Return internal statistics report from the memory allocator.",
        "PURGE",
        "    Attempt to purge dirty pages for reclamation by the allocator.",
        "STATS",
        "    Return information about the memory usage of the server.",
        "USAGE <key> [SAMPLES <count>]",
        "    Return memory in bytes used by <key> and its value. Nested values are",
        "    sampled up to <count> times (default: 5, 0 means sample all).",
        "HELP",
        "    Print this help.",
    ];
    help_reply(ctx, LINES)
}

/// COMMAND — information about every command.
fn command(ctx: &mut Ctx<'_>, args: &[&[u8]]) -> CmdResult {
    debug_assert_eq!(args.len(), 1);
    let table = CommandTable::get();
    let specs: Vec<&CommandSpec> = table.top_level().collect();
    let mut reply = ctx.reply();
    reply.array(specs.len());
    for spec in specs {
        write_command_info(&mut reply, spec);
    }
    Ok(())
}

/// COMMAND COUNT
fn command_count(ctx: &mut Ctx<'_>, _args: &[&[u8]]) -> CmdResult {
    let count = CommandTable::get().top_level().count();
    ctx.reply().integer(count as i64);
    Ok(())
}

/// The specs named by `COMMAND INFO|DOCS name ...` ("container|sub" names subcommands).
fn named_specs<'a>(
    args: &'a [&'a [u8]],
) -> impl Iterator<Item = Option<&'static CommandSpec>> + 'a {
    args.iter().map(|name| CommandTable::get().lookup(name))
}

/// COMMAND INFO [command-name ...]
fn command_info(ctx: &mut Ctx<'_>, args: &[&[u8]]) -> CmdResult {
    let mut reply = ctx.reply();
    if args.len() == 2 {
        let specs: Vec<&CommandSpec> = CommandTable::get().top_level().collect();
        reply.array(specs.len());
        for spec in specs {
            write_command_info(&mut reply, spec);
        }
        return Ok(());
    }
    reply.array(args.len() - 2);
    for spec in named_specs(&args[2..]) {
        match spec {
            Some(spec) => write_command_info(&mut reply, spec),
            None => reply.null_array(),
        }
    }
    Ok(())
}

fn write_command_docs(reply: &mut protocol::Reply<'_>, spec: &CommandSpec) {
    let subs: Vec<&CommandSpec> = CommandTable::get().subcommands(spec.name).collect();
    reply.bulk(spec.name.as_bytes());
    reply.map(if subs.is_empty() { 3 } else { 4 });
    reply.bulk(b"summary");
    reply.bulk(spec.summary.as_bytes());
    reply.bulk(b"since");
    reply.bulk(spec.since.as_bytes());
    reply.bulk(b"group");
    reply.bulk(spec.group.as_bytes());
    if !subs.is_empty() {
        reply.bulk(b"subcommands");
        reply.map(subs.len());
        for sub in subs {
            write_command_docs(reply, sub);
        }
    }
}

/// COMMAND DOCS [command-name ...]
fn command_docs(ctx: &mut Ctx<'_>, args: &[&[u8]]) -> CmdResult {
    let specs: Vec<&CommandSpec> = if args.len() == 2 {
        CommandTable::get().top_level().collect()
    } else {
        named_specs(&args[2..]).flatten().collect()
    };
    let mut reply = ctx.reply();
    reply.map(specs.len());
    for spec in specs {
        write_command_docs(&mut reply, spec);
    }
    Ok(())
}

/// COMMAND LIST [FILTERBY MODULE name | ACLCAT category | PATTERN pattern]
fn command_list(ctx: &mut Ctx<'_>, args: &[&[u8]]) -> CmdResult {
    let table = CommandTable::get();
    let mut rest = ArgCursor::new(args, 2);
    let mut filter: Option<(String, Vec<u8>)> = None;
    if !rest.is_done() {
        if !rest.flag("FILTERBY") || rest.remaining() != 2 {
            return Err(CmdError::Syntax);
        }
        let kind = String::from_utf8_lossy(rest.next_bytes()?).to_ascii_uppercase();
        filter = Some((kind, rest.next_bytes()?.to_vec()));
    }
    let names: Vec<&str> = table
        .all()
        .iter()
        .filter(|spec| match &filter {
            None => true,
            Some((kind, value)) if kind == "PATTERN" => {
                glob_match(value, spec.name.as_bytes(), true)
            }
            Some((kind, value)) if kind == "ACLCAT" => spec.acl.iter().any(|c| {
                c.trim_start_matches('@')
                    .as_bytes()
                    .eq_ignore_ascii_case(value)
            }),
            Some(_) => false,
        })
        .map(|spec| spec.name)
        .collect();
    let mut reply = ctx.reply();
    reply.array(names.len());
    for name in names {
        reply.bulk(name.as_bytes());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use crate::families::test_util::TestShard;

    #[test]
    fn config_get_globs() {
        let mut t = TestShard::new();
        assert_eq!(
            t.run(&["CONFIG", "GET", "save"]),
            "*2\r\n$4\r\nsave\r\n$0\r\n\r\n"
        );
        assert_eq!(
            t.run(&["CONFIG", "GET", "appendonly"]),
            "*2\r\n$10\r\nappendonly\r\n$2\r\nno\r\n"
        );
        assert_eq!(t.run(&["CONFIG", "GET", "nope"]), "*0\r\n");
        assert_eq!(
            t.run(&["CONFIG", "GET"]),
            "-ERR wrong number of arguments for 'config|get' command\r\n"
        );
    }

    #[test]
    fn command_count_and_info() {
        let mut t = TestShard::new();
        let count = t.run(&["COMMAND", "COUNT"]);
        assert!(count.starts_with(':'), "{count}");
        let info = t.run(&["COMMAND", "INFO", "get", "nosuch"]);
        assert!(
            info.starts_with("*2\r\n*10\r\n$3\r\nget\r\n:2\r\n"),
            "{info}"
        );
        assert!(info.ends_with("*-1\r\n"), "{info}");
    }

    #[test]
    fn info_sections_render() {
        let mut t = TestShard::new();
        let text = t.run(&["INFO", "keyspace"]);
        assert!(text.contains("# Keyspace"), "{text}");
        let text = t.run(&["INFO"]);
        assert!(text.contains("redis_version:7.0.15"), "{text}");
        assert!(text.contains("shardis_version:"), "{text}");
    }

    #[test]
    fn memory_usage_counts_key_and_value() {
        let mut t = TestShard::new();
        assert_eq!(t.run(&["MEMORY", "USAGE", "nope"]), "$-1\r\n");
        t.run(&["SET", "k", "v"]);
        let small = t.run(&["MEMORY", "USAGE", "k"]);
        t.run(&["SET", "k", &"x".repeat(1000)]);
        let big = t.run(&["MEMORY", "USAGE", "k", "SAMPLES", "0"]);
        let parse = |r: &str| {
            r.trim_start_matches(':')
                .trim()
                .parse::<usize>()
                .unwrap_or(0)
        };
        assert!(
            parse(&small) > 0 && parse(&big) >= parse(&small) + 1000,
            "{small} {big}"
        );
        assert_eq!(
            t.run(&["MEMORY", "USAGE", "k", "BAD"]),
            "-ERR syntax error\r\n"
        );
    }

    #[test]
    fn flush_and_swap() {
        let mut t = TestShard::new();
        assert_eq!(t.run(&["FLUSHALL", "ASYNC"]), "+OK\r\n");
        assert_eq!(t.run(&["FLUSHDB", "BAD"]), "-ERR syntax error\r\n");
        assert_eq!(t.run(&["SWAPDB", "0", "1"]), "+OK\r\n");
        assert_eq!(
            t.run(&["SWAPDB", "0", "99"]),
            "-ERR DB index is out of range\r\n"
        );
        assert_eq!(t.run(&["DBSIZE"]), ":0\r\n");
    }
}
