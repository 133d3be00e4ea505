//! Configuration parameters: their values, defaults and parsing.
//!
//! Every parameter is declared once, in [`PARAMS`]: its name, the Redis 7.0 alias it may also
//! be known by, whether CONFIG SET may change it, its kind (yes/no, integer with a range,
//! memory size, enumeration, string) and how to read and write its typed field of
//! [`Settings`]. CONFIG GET ([`Settings::get_matching`]), CONFIG SET ([`Settings::set_many`]),
//! CONFIG REWRITE ([`Settings::rewrite_yaml`]), the YAML file ([`Settings::load_yaml`]) and
//! the command line ([`Settings::apply_startup`]) all go through that table, so they accept
//! the same names, values and units and print values the same way.
//!
//! Parsing follows Redis 7.0's `config.c`: integers as `string2ll` (no `+`, no leading zeros,
//! no spaces), memory sizes as `memtoull` (`1k` = 1000, `1kb` = 1024, `m`/`mb`, `g`/`gb`, any
//! case, a plain integer is bytes), `yes`/`no` and enumeration names in any case, and the
//! same error reasons word for word.

use crate::error::CmdError;
use crate::glob::GlobPattern;
use std::borrow::Cow;
use std::sync::OnceLock;

/// The most shards (threads) one server runs.
pub const MAX_SHARDS: usize = 256;

/// The line CONFIG REWRITE puts above the parameters it appends to a file.
pub const REWRITE_MARKER: &str = "# Written by CONFIG REWRITE";

const INT_MAX: i128 = i32::MAX as i128;
const INT_MIN: i128 = i32::MIN as i128;
const UINT_MAX: i128 = u32::MAX as i128;
const LONG_MAX: i128 = i64::MAX as i128;
const ULLONG_MAX: i128 = u64::MAX as i128;

/// Online CPUs this process may use, at most [`MAX_SHARDS`]: the number of shards by default.
pub fn online_cpus() -> usize {
    static ONLINE: OnceLock<usize> = OnceLock::new();
    *ONLINE.get_or_init(|| {
        std::thread::available_parallelism()
            .map_or(1, |n| n.get())
            .clamp(1, MAX_SHARDS)
    })
}

/// Declares an enumeration parameter's type: variants in the order Redis lists them in its
/// error message, each with its configuration name.
macro_rules! config_enum {
    ($(#[$meta:meta])* $name:ident { $($(#[$vmeta:meta])* $variant:ident = $text:literal,)+ }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum $name {
            $($(#[$vmeta])* $variant,)+
        }

        impl $name {
            /// Configuration names, in declaration order (Redis's order).
            pub const NAMES: &'static [&'static str] = &[$($text,)+];
            const ALL: &'static [$name] = &[$($name::$variant,)+];

            /// The configuration name, as CONFIG GET prints it.
            pub fn name(self) -> &'static str {
                Self::NAMES[self as usize]
            }

            /// The variant named `text`, in any case.
            pub fn parse(text: &str) -> Option<Self> {
                Self::NAMES
                    .iter()
                    .position(|n| n.eq_ignore_ascii_case(text))
                    .map(|i| Self::ALL[i])
            }
        }
    };
}

config_enum! {
    /// `maxmemory-policy`: what to evict once `maxmemory` is reached.
    MaxmemoryPolicy {
        VolatileLru = "volatile-lru",
        VolatileLfu = "volatile-lfu",
        VolatileRandom = "volatile-random",
        VolatileTtl = "volatile-ttl",
        AllkeysLru = "allkeys-lru",
        AllkeysLfu = "allkeys-lfu",
        AllkeysRandom = "allkeys-random",
        NoEviction = "noeviction",
    }
}

config_enum! {
    /// `loglevel`, from most to least verbose; `nothing` logs nothing.
    LogLevel {
        Debug = "debug",
        Verbose = "verbose",
        Notice = "notice",
        Warning = "warning",
        Nothing = "nothing",
    }
}

config_enum! {
    /// `appendfsync` (reported for compatibility; Shardis keeps no append-only file).
    AppendFsync {
        Always = "always",
        Everysec = "everysec",
        No = "no",
    }
}

/// Every configuration parameter's current value, typed. Each shard owns a copy.
#[derive(Debug, Clone, PartialEq)]
pub struct Settings {
    /// The configuration file the server was started with (absolute where possible), for
    /// CONFIG REWRITE and INFO; empty without one. Not a parameter.
    pub config_file: String,

    // Network and clients.
    /// `bind`: the one IP address to listen on.
    pub bind: String,
    /// `port`: TCP port; 0 picks a free one (the server then stores the port it got).
    pub port: u16,
    /// `protected-mode`: refuse non-loopback clients while no password is set.
    pub protected_mode: bool,
    /// `tcp-keepalive`: seconds between TCP keepalive probes; 0 = off.
    pub tcp_keepalive: u64,
    /// `timeout`: seconds a client may idle before it is closed; 0 = never.
    pub timeout: u64,
    /// `maxclients`: connections accepted at most.
    pub maxclients: u64,
    /// `requirepass`: the default user's password; empty = no password.
    pub requirepass: String,

    // Threads.
    /// `shards`: shard threads; setting 0 means one per online CPU.
    pub shards: usize,
    /// `cpu-pinning`: pin each shard thread to one CPU.
    pub cpu_pinning: bool,
    /// `databases`: always 16 (read-only).
    pub databases: usize,

    // Memory.
    /// `maxmemory`: bytes of data before eviction (or refusing writes); 0 = no limit.
    pub maxmemory: u64,
    /// `maxmemory-policy`.
    pub maxmemory_policy: MaxmemoryPolicy,
    /// `maxmemory-samples`: keys sampled per eviction.
    pub maxmemory_samples: u32,
    /// `maxmemory-eviction-tenacity`: 0..100, how long one eviction round may run.
    pub maxmemory_eviction_tenacity: u32,
    /// `lfu-log-factor`: logarithmic LFU counter factor.
    pub lfu_log_factor: u32,
    /// `lfu-decay-time`: minutes for the LFU counter to halve; 0 = never decays.
    pub lfu_decay_time: u32,
    /// `lazyfree-lazy-eviction`.
    pub lazyfree_lazy_eviction: bool,
    /// `lazyfree-lazy-expire`.
    pub lazyfree_lazy_expire: bool,
    /// `lazyfree-lazy-server-del`.
    pub lazyfree_lazy_server_del: bool,
    /// `lazyfree-lazy-user-del`.
    pub lazyfree_lazy_user_del: bool,

    // Observability.
    /// `slowlog-log-slower-than`: microseconds; -1 disables the slow log, 0 logs everything.
    pub slowlog_log_slower_than: i64,
    /// `slowlog-max-len`: entries kept in the slow log.
    pub slowlog_max_len: u64,
    /// `latency-monitor-threshold`: milliseconds; 0 disables the latency monitor.
    pub latency_monitor_threshold: u64,
    /// `latency-tracking`: per-command latency histograms.
    pub latency_tracking: bool,
    /// `latency-tracking-info-percentiles`: percentiles INFO latencystats reports, 0..100.
    pub latency_tracking_info_percentiles: Vec<f64>,
    /// `metrics-port`: Prometheus endpoint port; 0 disables it.
    pub metrics_port: u16,
    /// `metrics-bind`: IP address of the Prometheus endpoint.
    pub metrics_bind: String,
    /// `metrics-namespace`: prefix of every metric name.
    pub metrics_namespace: String,
    /// `loglevel`.
    pub loglevel: LogLevel,
    /// `logfile`: log file path; empty = standard error.
    pub logfile: String,
    /// `dir`: working directory (must exist).
    pub dir: String,
    /// `hz`: background task frequency, 1..500 (values outside are clamped, as Redis).
    pub hz: u32,

    // Compact-encoding thresholds, as Redis's config keys of the same names.
    pub hash_max_listpack_entries: usize,
    pub hash_max_listpack_value: usize,
    pub set_max_intset_entries: usize,
    pub set_max_listpack_entries: usize,
    pub set_max_listpack_value: usize,
    pub zset_max_listpack_entries: usize,
    pub zset_max_listpack_value: usize,
    /// Positive: entries per list node; negative: node size limit -1..-5 = 4..64 KiB.
    pub list_max_listpack_size: i64,
    /// `list-compress-depth`: list nodes left uncompressed at each end; 0 = no compression.
    pub list_compress_depth: usize,

    // Read-only values reported for tools that ask.
    /// `save`: always empty (no snapshots).
    pub save: String,
    /// `appendonly`: always no.
    pub appendonly: bool,
    /// `appendfsync`: always everysec.
    pub appendfsync: AppendFsync,
    /// `io-threads`: always 1.
    pub io_threads: usize,
    /// `cluster-enabled`: always no.
    pub cluster_enabled: bool,
    /// `proto-max-bulk-len`: the largest bulk string a request may carry, in bytes.
    pub proto_max_bulk_len: usize,
    /// `client-query-buffer-limit`: the largest query buffer of one client, in bytes.
    pub client_query_buffer_limit: usize,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            config_file: String::new(),
            bind: "127.0.0.1".into(),
            port: 6379,
            protected_mode: true,
            tcp_keepalive: 300,
            timeout: 0,
            maxclients: 10000,
            requirepass: String::new(),
            shards: online_cpus(),
            cpu_pinning: true,
            databases: crate::keyspace::DB_COUNT,
            maxmemory: 0,
            maxmemory_policy: MaxmemoryPolicy::NoEviction,
            maxmemory_samples: 5,
            maxmemory_eviction_tenacity: 10,
            lfu_log_factor: 10,
            lfu_decay_time: 1,
            lazyfree_lazy_eviction: false,
            lazyfree_lazy_expire: false,
            lazyfree_lazy_server_del: false,
            lazyfree_lazy_user_del: false,
            slowlog_log_slower_than: 10000,
            slowlog_max_len: 128,
            latency_monitor_threshold: 0,
            latency_tracking: true,
            latency_tracking_info_percentiles: vec![50.0, 99.0, 99.9],
            metrics_port: 9121,
            metrics_bind: "127.0.0.1".into(),
            metrics_namespace: "redis".into(),
            loglevel: LogLevel::Notice,
            logfile: String::new(),
            dir: ".".into(),
            hz: 10,
            hash_max_listpack_entries: 512,
            hash_max_listpack_value: 64,
            set_max_intset_entries: 512,
            set_max_listpack_entries: 128,
            set_max_listpack_value: 64,
            zset_max_listpack_entries: 128,
            zset_max_listpack_value: 64,
            list_max_listpack_size: -2,
            list_compress_depth: 0,
            save: String::new(),
            appendonly: false,
            appendfsync: AppendFsync::Everysec,
            io_threads: 1,
            cluster_enabled: false,
            proto_max_bulk_len: protocol::MAX_BULK_LEN,
            client_query_buffer_limit: 1 << 30,
        }
    }
}

/// When a parameter may change.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// CONFIG SET may change it.
    Mutable,
    /// Only the configuration file and the command line may set it.
    Immutable,
    /// Reported for compatibility, never changes: the file and the command line may only
    /// repeat its value.
    Fixed,
}

/// How a parameter's value is written as text, and which typed field holds it.
#[derive(Debug, Clone, Copy)]
pub enum Kind {
    /// `yes` or `no`, in any case.
    Bool {
        get: fn(&Settings) -> bool,
        set: fn(&mut Settings, bool),
    },
    /// An integer within `min..=max`. `memory` ones also take units (`1kb`, `5mb`, `1g`),
    /// print as bytes, and are rewritten in the largest exact binary unit.
    Int {
        min: i128,
        max: i128,
        memory: bool,
        get: fn(&Settings) -> i128,
        set: fn(&mut Settings, i128),
    },
    /// One of `names`, in any case; the field is handled by index into `names`.
    Enum {
        names: &'static [&'static str],
        get: fn(&Settings) -> usize,
        set: fn(&mut Settings, usize),
    },
    /// Free text, accepted when `check` passes.
    Str {
        check: fn(&str) -> Result<(), String>,
        get: fn(&Settings) -> String,
        set: fn(&mut Settings, String),
    },
    /// A value with its own syntax (space-separated lists); `set` parses and validates.
    Custom {
        get: fn(&Settings) -> String,
        set: fn(&mut Settings, &str) -> Result<(), String>,
    },
}

/// One configuration parameter.
#[derive(Debug)]
pub struct Param {
    /// The name, as CONFIG GET prints it and the YAML file spells it.
    pub name: &'static str,
    /// Redis 7.0's other name for it (`hash-max-ziplist-entries` and the like).
    pub alias: Option<&'static str>,
    pub access: Access,
    pub kind: Kind,
}

impl Param {
    /// The current value as CONFIG GET prints it.
    pub fn get(&self, settings: &Settings) -> String {
        match self.kind {
            Kind::Bool { get, .. } => yes_no(get(settings)).into(),
            Kind::Int { get, .. } => get(settings).to_string(),
            Kind::Enum { names, get, .. } => names.get(get(settings)).copied().unwrap_or("").into(),
            Kind::Str { get, .. } | Kind::Custom { get, .. } => get(settings),
        }
    }

    /// Parse and validate `text`, then store it. The error is Redis's reason, without the
    /// `CONFIG SET failed` prefix; on error `settings` is unchanged.
    pub fn set(&self, settings: &mut Settings, text: &str) -> Result<(), String> {
        match self.kind {
            Kind::Bool { set, .. } => {
                let value = parse_yes_no(text).ok_or("argument must be 'yes' or 'no'")?;
                set(settings, value);
            }
            Kind::Int {
                min,
                max,
                memory,
                set,
                ..
            } => {
                let value = if memory {
                    parse_memory(text)
                        .map(i128::from)
                        .ok_or("argument must be a memory value")?
                } else {
                    parse_integer(text)
                        .map(i128::from)
                        .ok_or("argument couldn't be parsed into an integer")?
                };
                if value < min || value > max {
                    return Err(format!(
                        "argument must be between {min} and {max} inclusive"
                    ));
                }
                set(settings, value);
            }
            Kind::Enum { names, set, .. } => {
                let index = names
                    .iter()
                    .position(|n| n.eq_ignore_ascii_case(text))
                    .ok_or_else(|| {
                        format!(
                            "argument(s) must be one of the following: {}",
                            names.join(", ")
                        )
                    })?;
                set(settings, index);
            }
            Kind::Str { check, set, .. } => {
                check(text)?;
                set(settings, text.to_owned());
            }
            Kind::Custom { set, .. } => set(settings, text)?,
        }
        Ok(())
    }

    /// The current value as the YAML file writes it (quoted where YAML needs it).
    fn yaml_value(&self, settings: &Settings) -> String {
        match self.kind {
            Kind::Int {
                memory: true, get, ..
            } => format_memory(get(settings)),
            Kind::Str { get, .. } | Kind::Custom { get, .. } => yaml_scalar(&get(settings)),
            _ => self.get(settings),
        }
    }

    /// The parameter called `name` (or its alias), in any case; the flag says whether it
    /// was the alias.
    pub fn lookup(name: &[u8]) -> Option<(&'static Param, bool)> {
        PARAMS.iter().find_map(|p| {
            if p.name.as_bytes().eq_ignore_ascii_case(name) {
                Some((p, false))
            } else if p
                .alias
                .is_some_and(|a| a.as_bytes().eq_ignore_ascii_case(name))
            {
                Some((p, true))
            } else {
                None
            }
        })
    }

    /// The name by which it was found: the alias or the name.
    fn called(&self, via_alias: bool) -> &'static str {
        match (via_alias, self.alias) {
            (true, Some(alias)) => alias,
            _ => self.name,
        }
    }
}

fn yes_no(value: bool) -> &'static str {
    if value {
        "yes"
    } else {
        "no"
    }
}

/// `yes` or `no` in any case, as Redis's `yesnotoi`.
pub fn parse_yes_no(text: &str) -> Option<bool> {
    if text.eq_ignore_ascii_case("yes") {
        Some(true)
    } else if text.eq_ignore_ascii_case("no") {
        Some(false)
    } else {
        None
    }
}

/// An integer as Redis's `string2ll` reads one: an optional `-`, then `0` alone or digits
/// not starting with `0`; no `+`, no spaces, within `i64`.
pub fn parse_integer(text: &str) -> Option<i64> {
    let bytes = text.as_bytes();
    if bytes == b"0" {
        return Some(0);
    }
    let (negative, digits) = match bytes.split_first() {
        Some((b'-', rest)) => (true, rest),
        _ => (false, bytes),
    };
    if !matches!(digits.first(), Some(b'1'..=b'9')) || digits.len() > 19 {
        return None;
    }
    let mut value: i128 = 0;
    for &d in digits {
        if !d.is_ascii_digit() {
            return None;
        }
        value = value * 10 + i128::from(d - b'0');
    }
    i64::try_from(if negative { -value } else { value }).ok()
}

/// A memory size as Redis's `memtoull` reads one: digits, then an optional unit in any case
/// — `b` (bytes), `k` (1000), `kb` (1024), `m` (1000²), `mb` (1024²), `g` (1000³), `gb`
/// (1024³). As in Redis, no digits at all (`""`, `mb`) is 0; unlike Redis (which wraps),
/// sizes past `u64` are refused.
pub fn parse_memory(text: &str) -> Option<u64> {
    let digits_end = text
        .bytes()
        .position(|b| !b.is_ascii_digit())
        .unwrap_or(text.len());
    let (digits, unit) = text.split_at(digits_end);
    let multiplier: u64 = match unit.to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "k" => 1000,
        "kb" => 1024,
        "m" => 1000 * 1000,
        "mb" => 1024 * 1024,
        "g" => 1000 * 1000 * 1000,
        "gb" => 1024 * 1024 * 1024,
        _ => return None,
    };
    if digits.is_empty() {
        return Some(0);
    }
    digits.parse::<u64>().ok()?.checked_mul(multiplier)
}

/// Bytes as CONFIG REWRITE writes them: in `gb`, `mb` or `kb` when exact, else plain.
pub fn format_memory(bytes: i128) -> String {
    const KB: i128 = 1024;
    for (unit, size) in [("gb", KB * KB * KB), ("mb", KB * KB), ("kb", KB)] {
        if bytes != 0 && bytes % size == 0 {
            return format!("{}{unit}", bytes / size);
        }
    }
    bytes.to_string()
}

/// A float as Redis prints one with `%f` and then trims: no trailing zeros, no lone point.
fn format_percentile(value: f64) -> String {
    let text = format!("{value:.6}");
    if text.contains('.') {
        text.trim_end_matches('0').trim_end_matches('.').to_owned()
    } else {
        text
    }
}

fn get_percentiles(s: &Settings) -> String {
    let parts: Vec<String> = s
        .latency_tracking_info_percentiles
        .iter()
        .map(|&p| format_percentile(p))
        .collect();
    parts.join(" ")
}

/// `latency-tracking-info-percentiles`: space-separated percentiles, each within 0..100;
/// an empty value reports none.
fn set_percentiles(s: &mut Settings, text: &str) -> Result<(), String> {
    let mut values = Vec::new();
    if !text.is_empty() {
        for part in text.split(' ') {
            let value = part
                .parse::<f64>()
                .ok()
                .filter(|v| !v.is_nan())
                .ok_or("Invalid latency-tracking-info-percentiles parameters")?;
            if !(0.0..=100.0).contains(&value) {
                return Err(
                    "latency-tracking-info-percentiles parameters should sit between [0.0,100.0]"
                        .into(),
                );
            }
            values.push(value);
        }
    }
    s.latency_tracking_info_percentiles = values;
    Ok(())
}

fn any_text(_: &str) -> Result<(), String> {
    Ok(())
}

fn check_ip(text: &str) -> Result<(), String> {
    text.parse::<std::net::IpAddr>()
        .map(|_| ())
        .map_err(|_| "argument must be one IP address".into())
}

/// A Prometheus metric name prefix: `[a-zA-Z_:][a-zA-Z0-9_:]*`, or empty for none.
fn check_namespace(text: &str) -> Result<(), String> {
    let valid = text.bytes().enumerate().all(|(i, b)| {
        b.is_ascii_alphabetic() || b == b'_' || b == b':' || (i > 0 && b.is_ascii_digit())
    });
    if valid {
        Ok(())
    } else {
        Err("argument must be a metric name prefix ([a-zA-Z_:][a-zA-Z0-9_:]*)".into())
    }
}

/// `dir` must name an existing directory; the reason is `strerror`'s text, as Redis's
/// failed `chdir` reports.
fn check_dir(text: &str) -> Result<(), String> {
    match std::fs::metadata(text) {
        Ok(meta) if meta.is_dir() => Ok(()),
        Ok(_) => Err("Not a directory".into()),
        Err(err) => {
            let text = err.to_string();
            Err(match text.find(" (os error ") {
                Some(end) => text[..end].to_owned(),
                None => text,
            })
        }
    }
}

/// A yes/no parameter in field `$field`.
macro_rules! boolean {
    ($field:ident) => {
        Kind::Bool {
            get: |s| s.$field,
            set: |s, v| s.$field = v,
        }
    };
}

/// An integer parameter in field `$field` of type `$ty`, within `$min..=$max` (which fit
/// `$ty`, so the cast is exact).
macro_rules! integer {
    ($field:ident: $ty:ty, $min:expr, $max:expr) => {
        integer!(@ $field: $ty, $min, $max, false)
    };
    (@ $field:ident: $ty:ty, $min:expr, $max:expr, $memory:expr) => {
        Kind::Int {
            min: $min,
            max: $max,
            memory: $memory,
            get: |s| s.$field as i128,
            set: |s, v| s.$field = v as $ty,
        }
    };
}

/// A memory-size parameter, in bytes.
macro_rules! memory {
    ($field:ident: $ty:ty, $min:expr, $max:expr) => {
        integer!(@ $field: $ty, $min, $max, true)
    };
}

/// An enumeration parameter in field `$field` of the `config_enum!` type `$ty`.
macro_rules! enumeration {
    ($field:ident: $ty:ident) => {
        Kind::Enum {
            names: $ty::NAMES,
            get: |s| s.$field as usize,
            set: |s, i| s.$field = $ty::ALL[i],
        }
    };
}

/// A string parameter in field `$field`, accepted when `$check` passes.
macro_rules! string {
    ($field:ident, $check:expr) => {
        Kind::Str {
            check: $check,
            get: |s| s.$field.clone(),
            set: |s, v| s.$field = v,
        }
    };
}

const fn param(name: &'static str, access: Access, kind: Kind) -> Param {
    Param {
        name,
        alias: None,
        access,
        kind,
    }
}

const fn aliased(name: &'static str, alias: &'static str, access: Access, kind: Kind) -> Param {
    Param {
        name,
        alias: Some(alias),
        access,
        kind,
    }
}

use Access::{Fixed, Immutable, Mutable};

/// Every configuration parameter, in the order CONFIG GET lists them for a pattern.
/// Ranges are Redis 7.0's unless noted.
pub static PARAMS: &[Param] = &[
    // Network and clients.
    param("bind", Immutable, string!(bind, check_ip)),
    param("port", Immutable, integer!(port: u16, 0, 65535)),
    param("protected-mode", Mutable, boolean!(protected_mode)),
    param(
        "tcp-keepalive",
        Mutable,
        integer!(tcp_keepalive: u64, 0, INT_MAX),
    ),
    param("timeout", Mutable, integer!(timeout: u64, 0, INT_MAX)),
    param(
        "maxclients",
        Mutable,
        integer!(maxclients: u64, 1, UINT_MAX),
    ),
    param("requirepass", Mutable, string!(requirepass, any_text)),
    // Threads.
    param(
        "shards",
        Immutable,
        Kind::Int {
            min: 0,
            max: MAX_SHARDS as i128,
            memory: false,
            get: |s| s.shards as i128,
            set: |s, v| s.shards = if v == 0 { online_cpus() } else { v as usize },
        },
    ),
    param("cpu-pinning", Immutable, boolean!(cpu_pinning)),
    param("databases", Fixed, integer!(databases: usize, 1, INT_MAX)),
    // Memory and eviction.
    param("maxmemory", Mutable, memory!(maxmemory: u64, 0, ULLONG_MAX)),
    param(
        "maxmemory-policy",
        Mutable,
        enumeration!(maxmemory_policy: MaxmemoryPolicy),
    ),
    // Redis allows up to INT_MAX; eviction here samples at most 64 keys.
    param(
        "maxmemory-samples",
        Mutable,
        integer!(maxmemory_samples: u32, 1, 64),
    ),
    param(
        "maxmemory-eviction-tenacity",
        Mutable,
        integer!(maxmemory_eviction_tenacity: u32, 0, 100),
    ),
    param(
        "lfu-log-factor",
        Mutable,
        integer!(lfu_log_factor: u32, 0, INT_MAX),
    ),
    param(
        "lfu-decay-time",
        Mutable,
        integer!(lfu_decay_time: u32, 0, INT_MAX),
    ),
    param(
        "lazyfree-lazy-eviction",
        Mutable,
        boolean!(lazyfree_lazy_eviction),
    ),
    param(
        "lazyfree-lazy-expire",
        Mutable,
        boolean!(lazyfree_lazy_expire),
    ),
    param(
        "lazyfree-lazy-server-del",
        Mutable,
        boolean!(lazyfree_lazy_server_del),
    ),
    param(
        "lazyfree-lazy-user-del",
        Mutable,
        boolean!(lazyfree_lazy_user_del),
    ),
    // Observability.
    param(
        "slowlog-log-slower-than",
        Mutable,
        integer!(slowlog_log_slower_than: i64, -1, LONG_MAX),
    ),
    param(
        "slowlog-max-len",
        Mutable,
        integer!(slowlog_max_len: u64, 0, LONG_MAX),
    ),
    param(
        "latency-monitor-threshold",
        Mutable,
        integer!(latency_monitor_threshold: u64, 0, LONG_MAX),
    ),
    param("latency-tracking", Mutable, boolean!(latency_tracking)),
    param(
        "latency-tracking-info-percentiles",
        Mutable,
        Kind::Custom {
            get: get_percentiles,
            set: set_percentiles,
        },
    ),
    param(
        "metrics-port",
        Immutable,
        integer!(metrics_port: u16, 0, 65535),
    ),
    param("metrics-bind", Immutable, string!(metrics_bind, check_ip)),
    param(
        "metrics-namespace",
        Immutable,
        string!(metrics_namespace, check_namespace),
    ),
    param("loglevel", Mutable, enumeration!(loglevel: LogLevel)),
    param("logfile", Immutable, string!(logfile, any_text)),
    param("dir", Mutable, string!(dir, check_dir)),
    // Redis accepts 0..INT_MAX and clamps to 1..500, as here.
    param(
        "hz",
        Mutable,
        Kind::Int {
            min: 0,
            max: INT_MAX,
            memory: false,
            get: |s| s.hz as i128,
            set: |s, v| s.hz = v.clamp(1, 500) as u32,
        },
    ),
    // Compact encodings.
    aliased(
        "hash-max-listpack-entries",
        "hash-max-ziplist-entries",
        Mutable,
        integer!(hash_max_listpack_entries: usize, 0, LONG_MAX),
    ),
    aliased(
        "hash-max-listpack-value",
        "hash-max-ziplist-value",
        Mutable,
        memory!(hash_max_listpack_value: usize, 0, LONG_MAX),
    ),
    param(
        "set-max-intset-entries",
        Mutable,
        integer!(set_max_intset_entries: usize, 0, LONG_MAX),
    ),
    param(
        "set-max-listpack-entries",
        Mutable,
        integer!(set_max_listpack_entries: usize, 0, LONG_MAX),
    ),
    param(
        "set-max-listpack-value",
        Mutable,
        memory!(set_max_listpack_value: usize, 0, LONG_MAX),
    ),
    aliased(
        "zset-max-listpack-entries",
        "zset-max-ziplist-entries",
        Mutable,
        integer!(zset_max_listpack_entries: usize, 0, LONG_MAX),
    ),
    aliased(
        "zset-max-listpack-value",
        "zset-max-ziplist-value",
        Mutable,
        memory!(zset_max_listpack_value: usize, 0, LONG_MAX),
    ),
    aliased(
        "list-max-listpack-size",
        "list-max-ziplist-size",
        Mutable,
        integer!(list_max_listpack_size: i64, INT_MIN, INT_MAX),
    ),
    param(
        "list-compress-depth",
        Mutable,
        integer!(list_compress_depth: usize, 0, INT_MAX),
    ),
    // Read-only values tools ask for.
    param("save", Fixed, string!(save, any_text)),
    param("appendonly", Fixed, boolean!(appendonly)),
    param("appendfsync", Fixed, enumeration!(appendfsync: AppendFsync)),
    param("io-threads", Fixed, integer!(io_threads: usize, 1, 128)),
    param("cluster-enabled", Fixed, boolean!(cluster_enabled)),
    param(
        "proto-max-bulk-len",
        Fixed,
        memory!(proto_max_bulk_len: usize, 1024 * 1024, LONG_MAX),
    ),
    param(
        "client-query-buffer-limit",
        Fixed,
        memory!(client_query_buffer_limit: usize, 1024 * 1024, LONG_MAX),
    ),
];

impl Settings {
    /// CONFIG GET: the parameters matching any of `patterns`, each once, with their values,
    /// as Redis 7.0 answers. A pattern without `*`, `?` or `[` is a name looked up in any
    /// case (an alias too) and replied under the spelling asked for; a glob pattern
    /// (matched without case) lists every name and every alias it matches, so `*` shows
    /// `hash-max-ziplist-entries` beside `hash-max-listpack-entries`. A name already in
    /// the reply (in any case) is not repeated.
    pub fn get_matching(&self, patterns: &[&[u8]]) -> Vec<(Cow<'static, str>, String)> {
        let mut out: Vec<(Cow<'static, str>, String)> = Vec::new();
        let listed = |out: &[(Cow<'static, str>, String)], name: &[u8]| {
            out.iter()
                .any(|(n, _)| n.as_bytes().eq_ignore_ascii_case(name))
        };
        for &pattern in patterns {
            if !pattern.iter().any(|b| matches!(b, b'*' | b'?' | b'[')) {
                if listed(&out, pattern) {
                    continue;
                }
                if let Some((param, _)) = Param::lookup(pattern) {
                    // Found, so the name is ASCII: the conversion is exact.
                    let name = String::from_utf8_lossy(pattern).into_owned();
                    out.push((Cow::Owned(name), param.get(self)));
                }
                continue;
            }
            let glob = GlobPattern::new(pattern, true);
            for param in PARAMS {
                for name in std::iter::once(param.name).chain(param.alias) {
                    if glob.matches(name.as_bytes()) && !listed(&out, name.as_bytes()) {
                        out.push((Cow::Borrowed(name), param.get(self)));
                    }
                }
            }
        }
        out
    }

    /// CONFIG SET with Redis 7.0's semantics: names in any case (aliases too); every name
    /// is checked (unknown, immutable, given twice) before any value, then every value is
    /// parsed in order, and only if all are valid are they all applied. Errors carry
    /// Redis's exact text. Naming a parameter and its alias in one call is not a duplicate
    /// (Redis 7.0 registers them as separate entries); the later one wins.
    pub fn set_many(&mut self, pairs: &[(&[u8], &[u8])]) -> Result<(), CmdError> {
        let lossy = |bytes: &[u8]| String::from_utf8_lossy(bytes).into_owned();
        let mut unknown: Option<String> = None;
        let mut refused: Option<(String, &'static str)> = None;
        let mut chosen: Vec<(&'static Param, bool, &[u8])> = Vec::with_capacity(pairs.len());
        for &(name, value) in pairs {
            let Some((param, via_alias)) = Param::lookup(name) else {
                if unknown.is_none() && refused.is_none() {
                    unknown = Some(lossy(name));
                }
                continue;
            };
            if unknown.is_some() || refused.is_some() {
                continue;
            }
            if param.access != Access::Mutable {
                refused = Some((lossy(name), "can't set immutable config"));
                continue;
            }
            if chosen
                .iter()
                .any(|&(p, alias, _)| std::ptr::eq(p, param) && alias == via_alias)
            {
                refused = Some((lossy(name), "duplicate parameter"));
                continue;
            }
            chosen.push((param, via_alias, value));
        }
        if let Some(name) = unknown {
            return Err(CmdError::owned(format!(
                "ERR Unknown option or number of arguments for CONFIG SET - '{name}'"
            )));
        }
        if let Some((name, reason)) = refused {
            return Err(set_failed(&name, reason));
        }
        let mut next = self.clone();
        for (param, via_alias, value) in chosen {
            let text = String::from_utf8_lossy(value);
            let result = match (&text, param.kind) {
                (Cow::Owned(_), Kind::Str { .. } | Kind::Custom { .. }) => {
                    Err("argument must be UTF-8 text".to_owned())
                }
                _ => param.set(&mut next, &text),
            };
            if let Err(reason) = result {
                return Err(set_failed(param.called(via_alias), &reason));
            }
        }
        *self = next;
        Ok(())
    }

    /// Set one parameter at start-up, from the YAML file or the command line: immutable
    /// parameters are allowed; fixed ones only with their one value. The error names the
    /// parameter and says why.
    pub fn apply_startup(&mut self, name: &str, value: &str) -> Result<(), String> {
        let (param, _) =
            Param::lookup(name.as_bytes()).ok_or_else(|| format!("unknown parameter '{name}'"))?;
        let mut next = self.clone();
        param
            .set(&mut next, value)
            .map_err(|reason| format!("bad value '{value}' for '{name}': {reason}"))?;
        if param.access == Access::Fixed && param.get(&next) != param.get(self) {
            return Err(format!(
                "'{name}' cannot be changed in Shardis: it is always '{}'",
                param.get(self)
            ));
        }
        *self = next;
        Ok(())
    }

    /// Apply a YAML file: a mapping of parameter names (as Redis spells them, aliases
    /// allowed) to scalars — strings, integers, floats, `true`/`false` (as yes/no), memory
    /// sizes such as `256mb`; an empty value is the empty string. An empty file (or one of
    /// only comments) sets nothing. Nothing is applied unless every entry is valid.
    pub fn load_yaml(&mut self, text: &str) -> Result<(), String> {
        let document: serde_yaml::Value =
            serde_yaml::from_str(text).map_err(|e| format!("invalid YAML: {e}"))?;
        let mapping = match document {
            serde_yaml::Value::Null => return Ok(()),
            serde_yaml::Value::Mapping(mapping) => mapping,
            _ => return Err("expected a mapping of parameter names to values".into()),
        };
        let mut next = self.clone();
        for (key, value) in &mapping {
            let name = match key {
                serde_yaml::Value::String(name) => name.as_str(),
                other => {
                    return Err(format!(
                        "parameter names must be strings, found {}",
                        describe(other)
                    ))
                }
            };
            let text = scalar_text(value).ok_or_else(|| {
                format!(
                    "'{name}' must have a single value (string, number or yes/no), not {}",
                    describe(value)
                )
            })?;
            next.apply_startup(name, &text)?;
        }
        *self = next;
        Ok(())
    }

    /// CONFIG REWRITE for a YAML file: `original` with the value of every top-level
    /// parameter line replaced by the current one (the key's spelling, the spacing and any
    /// trailing `# comment` kept; a value that already means the current one is left as
    /// written), and every other parameter whose value differs from its default appended
    /// below a [`REWRITE_MARKER`] line. Comments, order and everything else stay. Rewriting
    /// again with the same settings changes nothing.
    pub fn rewrite_yaml(&self, original: &str) -> String {
        let mut present = vec![false; PARAMS.len()];
        let mut has_marker = false;
        let mut out = String::with_capacity(original.len() + 256);
        let mut lines = original.split_inclusive('\n').peekable();
        while let Some(raw) = lines.next() {
            let line = raw.trim_end_matches(['\n', '\r']);
            let eol = &raw[line.len()..];
            if line.trim_end() == REWRITE_MARKER {
                has_marker = true;
            }
            let Some(entry) = parse_entry_line(line) else {
                out.push_str(raw);
                continue;
            };
            let Some((param, _)) = Param::lookup(entry.key.as_bytes()) else {
                out.push_str(raw);
                continue;
            };
            if let Some(index) = PARAMS.iter().position(|p| std::ptr::eq(p, param)) {
                present[index] = true;
            }
            // A value continued on the following (indented) lines: take those lines too.
            let value_text = &line[entry.value.clone()];
            let mut continuation = String::new();
            let block = value_text.starts_with('|') || value_text.starts_with('>');
            while let Some(next) = lines.peek() {
                let trimmed = next.trim_start();
                let indented = next.starts_with([' ', '\t']) && !trimmed.trim_end().is_empty();
                if indented && (block || !trimmed.starts_with('#')) {
                    continuation.push_str(next);
                    lines.next();
                } else {
                    break;
                }
            }
            if self.means_current(param, &format!("{value_text}{eol}{continuation}")) {
                out.push_str(raw);
                out.push_str(&continuation);
                continue;
            }
            out.push_str(&line[..entry.colon + 1]);
            let gap = &line[entry.colon + 1..entry.value.start];
            out.push_str(if gap.is_empty() { " " } else { gap });
            out.push_str(&param.yaml_value(self));
            let rest = &line[entry.value.end..];
            if !rest.is_empty() && !rest.starts_with([' ', '\t']) {
                out.push(' ');
            }
            out.push_str(rest);
            out.push_str(if eol.is_empty() { "\n" } else { eol });
        }
        let defaults = Settings::default();
        let appended: Vec<&Param> = PARAMS
            .iter()
            .zip(&present)
            .filter(|&(p, &present)| !present && p.get(self) != p.get(&defaults))
            .map(|(p, _)| p)
            .collect();
        if appended.is_empty() {
            return out;
        }
        if !out.is_empty() && !out.ends_with('\n') {
            out.push('\n');
        }
        if !has_marker {
            if !out.is_empty() && !out.ends_with("\n\n") {
                out.push('\n');
            }
            out.push_str(REWRITE_MARKER);
            out.push('\n');
        }
        for param in appended {
            out.push_str(param.name);
            out.push_str(": ");
            out.push_str(&param.yaml_value(self));
            out.push('\n');
        }
        out
    }

    /// Whether the YAML value `text` (as written after a key) sets `param` to what it is now.
    fn means_current(&self, param: &Param, text: &str) -> bool {
        let Ok(value) = serde_yaml::from_str::<serde_yaml::Value>(text) else {
            return false;
        };
        let Some(text) = scalar_text(&value) else {
            return false;
        };
        let mut scratch = self.clone();
        param.set(&mut scratch, &text).is_ok() && param.get(&scratch) == param.get(self)
    }
}

fn set_failed(name: &str, reason: &str) -> CmdError {
    CmdError::owned(format!(
        "ERR CONFIG SET failed (possibly related to argument '{name}') - {reason}"
    ))
}

/// A YAML scalar as parameter text: `true`/`false` become `yes`/`no`, nothing (`key:` or
/// `~`) the empty string. `None` for lists, mappings and tagged values.
fn scalar_text(value: &serde_yaml::Value) -> Option<String> {
    use serde_yaml::Value;
    match value {
        Value::Null => Some(String::new()),
        Value::Bool(b) => Some(yes_no(*b).into()),
        Value::Number(n) => Some(n.to_string()),
        Value::String(s) => Some(s.clone()),
        Value::Sequence(_) | Value::Mapping(_) | Value::Tagged(_) => None,
    }
}

fn describe(value: &serde_yaml::Value) -> &'static str {
    use serde_yaml::Value;
    match value {
        Value::Null => "nothing",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Sequence(_) => "a list",
        Value::Mapping(_) => "a mapping",
        Value::Tagged(_) => "a tagged value",
    }
}

/// A string as a YAML scalar: plain when YAML reads it back as the same string, otherwise
/// double-quoted (empty, spaces, `:`, `#`, a leading indicator such as `*` or `-`, or text
/// YAML would read as a number, boolean or null).
fn yaml_scalar(text: &str) -> String {
    let plain_ok = !text.is_empty()
        && !text.contains([' ', '\t', ':', '#', '"', '\'', '\\'])
        && !text.chars().any(char::is_control)
        && !text.starts_with([
            '-', '?', ',', '[', ']', '{', '}', '&', '*', '!', '|', '>', '%', '@', '`',
        ])
        && matches!(
            serde_yaml::from_str::<serde_yaml::Value>(text),
            Ok(serde_yaml::Value::String(ref s)) if s == text
        );
    if plain_ok {
        return text.to_owned();
    }
    let mut quoted = String::with_capacity(text.len() + 2);
    quoted.push('"');
    for c in text.chars() {
        match c {
            '"' => quoted.push_str("\\\""),
            '\\' => quoted.push_str("\\\\"),
            '\n' => quoted.push_str("\\n"),
            '\r' => quoted.push_str("\\r"),
            '\t' => quoted.push_str("\\t"),
            c if c.is_control() => quoted.push_str(&format!("\\u{:04x}", c as u32)),
            c => quoted.push(c),
        }
    }
    quoted.push('"');
    quoted
}

/// A top-level `key: value  # comment` line, as byte positions.
struct EntryLine<'a> {
    key: Cow<'a, str>,
    /// The `:` after the key.
    colon: usize,
    /// The value, without surrounding spaces or the comment (may be empty).
    value: std::ops::Range<usize>,
}

/// Read a top-level mapping entry: a line starting with a plain or quoted key (not indented,
/// not a comment, list item or document marker), then `:` and a single-line value.
fn parse_entry_line(line: &str) -> Option<EntryLine<'_>> {
    let first = line.chars().next()?;
    if first.is_whitespace() || matches!(first, '#' | '-' | '%' | '.' | '[' | '{') {
        return None;
    }
    let (key, after_key): (Cow<'_, str>, usize) = if first == '"' || first == '\'' {
        let end = line[1..].find(first)? + 1;
        (Cow::Borrowed(&line[1..end]), end + 1)
    } else {
        let colon = line
            .char_indices()
            .find(|&(i, c)| {
                c == ':' && matches!(line[i + 1..].chars().next(), None | Some(' ' | '\t'))
            })
            .map(|(i, _)| i)?;
        (Cow::Borrowed(line[..colon].trim_end()), colon)
    };
    let colon = after_key + line[after_key..].find(':')?;
    if !line[after_key..colon].trim().is_empty() {
        return None;
    }
    let after_colon = colon + 1;
    let start = after_colon + (line[after_colon..].len() - line[after_colon..].trim_start().len());
    let rest = &line[start..];
    let len = match rest.chars().next() {
        Some('"') => quoted_len(rest, '"').unwrap_or(rest.len()),
        Some('\'') => quoted_len(rest, '\'').unwrap_or(rest.len()),
        Some('#') => 0,
        _ => rest
            .find(" #")
            .or_else(|| rest.find("\t#"))
            .unwrap_or(rest.len()),
    };
    let value_end = start + rest[..len].trim_end().len();
    Some(EntryLine {
        key,
        colon,
        value: start..value_end,
    })
}

/// Length of the quoted scalar at the start of `text` (quotes included), if it closes on
/// this line: `\` escapes in double quotes, `''` in single quotes.
fn quoted_len(text: &str, quote: char) -> Option<usize> {
    let mut chars = text.char_indices().skip(1).peekable();
    while let Some((i, c)) = chars.next() {
        if quote == '"' && c == '\\' {
            chars.next();
        } else if c == quote {
            if quote == '\'' && chars.peek().is_some_and(|&(_, n)| n == '\'') {
                chars.next();
            } else {
                return Some(i + 1);
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn get(s: &Settings, pattern: &str) -> Vec<(String, String)> {
        s.get_matching(&[pattern.as_bytes()])
            .into_iter()
            .map(|(n, v)| (n.into_owned(), v))
            .collect()
    }

    fn get_one(s: &Settings, name: &str) -> String {
        let found = get(s, name);
        assert_eq!(found.len(), 1, "{name}: {found:?}");
        found[0].1.clone()
    }

    fn set(s: &mut Settings, pairs: &[(&str, &str)]) -> Result<(), String> {
        let pairs: Vec<(&[u8], &[u8])> = pairs
            .iter()
            .map(|(n, v)| (n.as_bytes(), v.as_bytes()))
            .collect();
        s.set_many(&pairs).map_err(|e| e.to_string())
    }

    fn failed(name: &str, reason: &str) -> String {
        format!("ERR CONFIG SET failed (possibly related to argument '{name}') - {reason}")
    }

    #[test]
    fn settings_defaults_are_redis_defaults() {
        let s = Settings::default();
        let expect = [
            ("bind", "127.0.0.1"),
            ("port", "6379"),
            ("protected-mode", "yes"),
            ("tcp-keepalive", "300"),
            ("timeout", "0"),
            ("maxclients", "10000"),
            ("requirepass", ""),
            ("cpu-pinning", "yes"),
            ("databases", "16"),
            ("maxmemory", "0"),
            ("maxmemory-policy", "noeviction"),
            ("maxmemory-samples", "5"),
            ("maxmemory-eviction-tenacity", "10"),
            ("lfu-log-factor", "10"),
            ("lfu-decay-time", "1"),
            ("lazyfree-lazy-eviction", "no"),
            ("lazyfree-lazy-expire", "no"),
            ("lazyfree-lazy-server-del", "no"),
            ("lazyfree-lazy-user-del", "no"),
            ("slowlog-log-slower-than", "10000"),
            ("slowlog-max-len", "128"),
            ("latency-monitor-threshold", "0"),
            ("latency-tracking", "yes"),
            ("latency-tracking-info-percentiles", "50 99 99.9"),
            ("metrics-port", "9121"),
            ("metrics-bind", "127.0.0.1"),
            ("metrics-namespace", "redis"),
            ("loglevel", "notice"),
            ("logfile", ""),
            ("dir", "."),
            ("hz", "10"),
            ("hash-max-listpack-entries", "512"),
            ("hash-max-listpack-value", "64"),
            ("set-max-intset-entries", "512"),
            ("set-max-listpack-entries", "128"),
            ("set-max-listpack-value", "64"),
            ("zset-max-listpack-entries", "128"),
            ("zset-max-listpack-value", "64"),
            ("list-max-listpack-size", "-2"),
            ("list-compress-depth", "0"),
            ("save", ""),
            ("appendonly", "no"),
            ("appendfsync", "everysec"),
            ("io-threads", "1"),
            ("cluster-enabled", "no"),
            ("proto-max-bulk-len", "536870912"),
            ("client-query-buffer-limit", "1073741824"),
        ];
        for (name, value) in expect {
            assert_eq!(get_one(&s, name), value, "{name}");
        }
        assert_eq!(get_one(&s, "shards"), online_cpus().to_string());
        // Every parameter is checked above.
        assert_eq!(PARAMS.len(), expect.len() + 1);
    }

    #[test]
    fn settings_table_is_consistent() {
        let s = Settings::default();
        for (i, p) in PARAMS.iter().enumerate() {
            assert_eq!(p.name, p.name.to_ascii_lowercase());
            for other in &PARAMS[i + 1..] {
                assert_ne!(p.name, other.name);
                assert!(p.alias.is_none() || p.alias != other.alias);
            }
            // Each default is accepted back as text.
            let mut copy = s.clone();
            assert_eq!(p.set(&mut copy, &p.get(&s)), Ok(()), "{}", p.name);
            assert_eq!(copy, s, "{}", p.name);
        }
        assert_eq!(MaxmemoryPolicy::NoEviction.name(), "noeviction");
        assert_eq!(LogLevel::parse("WARNING"), Some(LogLevel::Warning));
        assert_eq!(AppendFsync::parse("sometimes"), None);
    }

    #[test]
    fn settings_parse_integers_as_string2ll() {
        assert_eq!(parse_integer("0"), Some(0));
        assert_eq!(parse_integer("-1"), Some(-1));
        assert_eq!(parse_integer("9223372036854775807"), Some(i64::MAX));
        assert_eq!(parse_integer("-9223372036854775808"), Some(i64::MIN));
        for bad in [
            "",
            "-",
            "-0",
            "+1",
            "01",
            " 1",
            "1 ",
            "1.0",
            "1k",
            "9223372036854775808",
            "abc",
            "99999999999999999999999",
        ] {
            assert_eq!(parse_integer(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn settings_parse_memory_as_memtoull() {
        let cases = [
            ("0", 0),
            ("100", 100),
            ("100b", 100),
            ("1k", 1000),
            ("1kb", 1024),
            ("1K", 1000),
            ("1KB", 1024),
            ("2m", 2_000_000),
            ("2mb", 2 << 20),
            ("3g", 3_000_000_000),
            ("3Gb", 3 << 30),
            ("007", 7),
            ("", 0),
            ("mb", 0),
        ];
        for (text, bytes) in cases {
            assert_eq!(parse_memory(text), Some(bytes), "{text}");
        }
        for bad in [
            "-1",
            "+1",
            "1 mb",
            "1tb",
            "1.5gb",
            "18446744073709551616",
            "99999999999gb",
        ] {
            assert_eq!(parse_memory(bad), None, "{bad:?}");
        }
        assert_eq!(format_memory(0), "0");
        assert_eq!(format_memory(1000), "1000");
        assert_eq!(format_memory(2048), "2kb");
        assert_eq!(format_memory(3 << 20), "3mb");
        assert_eq!(format_memory(1 << 30), "1gb");
    }

    #[test]
    fn settings_set_each_kind() {
        let mut s = Settings::default();
        set(
            &mut s,
            &[
                ("maxmemory", "1GB"),
                ("MAXMEMORY-POLICY", "AllKeys-LRU"),
                ("protected-mode", "NO"),
                ("timeout", "30"),
                ("requirepass", "s3cret pass"),
                ("slowlog-log-slower-than", "-1"),
                ("latency-tracking-info-percentiles", "0 99.99 100"),
                ("hash-max-listpack-value", "1kb"),
                ("loglevel", "warning"),
            ],
        )
        .expect("valid");
        assert_eq!(s.maxmemory, 1 << 30);
        assert_eq!(get_one(&s, "maxmemory"), "1073741824");
        assert_eq!(s.maxmemory_policy, MaxmemoryPolicy::AllkeysLru);
        assert_eq!(get_one(&s, "maxmemory-policy"), "allkeys-lru");
        assert!(!s.protected_mode);
        assert_eq!(s.timeout, 30);
        assert_eq!(get_one(&s, "requirepass"), "s3cret pass");
        assert_eq!(s.slowlog_log_slower_than, -1);
        assert_eq!(s.latency_tracking_info_percentiles, vec![0.0, 99.99, 100.0]);
        assert_eq!(
            get_one(&s, "latency-tracking-info-percentiles"),
            "0 99.99 100"
        );
        assert_eq!(s.hash_max_listpack_value, 1024);
        assert_eq!(s.loglevel, LogLevel::Warning);
        set(&mut s, &[("latency-tracking-info-percentiles", "")]).expect("empty list");
        assert!(s.latency_tracking_info_percentiles.is_empty());
        assert_eq!(get_one(&s, "latency-tracking-info-percentiles"), "");
        // hz is clamped to 1..500, as Redis does.
        set(&mut s, &[("hz", "0")]).expect("hz");
        assert_eq!(s.hz, 1);
        set(&mut s, &[("hz", "100000")]).expect("hz");
        assert_eq!(get_one(&s, "hz"), "500");
        set(&mut s, &[("dir", "/")]).expect("dir");
        assert_eq!(s.dir, "/");
    }

    #[test]
    fn settings_set_errors_are_redis_strings() {
        let mut s = Settings::default();
        let cases: &[(&str, &str, String)] = &[
            (
                "maxmemory",
                "lots",
                failed("maxmemory", "argument must be a memory value"),
            ),
            (
                "maxmemory",
                "-1",
                failed("maxmemory", "argument must be a memory value"),
            ),
            (
                "timeout",
                "1s",
                failed("timeout", "argument couldn't be parsed into an integer"),
            ),
            (
                "timeout",
                "-1",
                failed(
                    "timeout",
                    "argument must be between 0 and 2147483647 inclusive",
                ),
            ),
            (
                "maxclients",
                "0",
                failed(
                    "maxclients",
                    "argument must be between 1 and 4294967295 inclusive",
                ),
            ),
            (
                "slowlog-log-slower-than",
                "-2",
                failed(
                    "slowlog-log-slower-than",
                    "argument must be between -1 and 9223372036854775807 inclusive",
                ),
            ),
            (
                "maxmemory-samples",
                "65",
                failed(
                    "maxmemory-samples",
                    "argument must be between 1 and 64 inclusive",
                ),
            ),
            (
                "protected-mode",
                "true",
                failed("protected-mode", "argument must be 'yes' or 'no'"),
            ),
            (
                "maxmemory-policy",
                "lru",
                failed(
                    "maxmemory-policy",
                    "argument(s) must be one of the following: volatile-lru, volatile-lfu, \
                     volatile-random, volatile-ttl, allkeys-lru, allkeys-lfu, allkeys-random, \
                     noeviction",
                ),
            ),
            (
                "loglevel",
                "loud",
                failed(
                    "loglevel",
                    "argument(s) must be one of the following: debug, verbose, notice, \
                     warning, nothing",
                ),
            ),
            (
                "latency-tracking-info-percentiles",
                "50 x",
                failed(
                    "latency-tracking-info-percentiles",
                    "Invalid latency-tracking-info-percentiles parameters",
                ),
            ),
            (
                "latency-tracking-info-percentiles",
                "50 101",
                failed(
                    "latency-tracking-info-percentiles",
                    "latency-tracking-info-percentiles parameters should sit between \
                     [0.0,100.0]",
                ),
            ),
            (
                "dir",
                "/no/such/directory/here",
                failed("dir", "No such file or directory"),
            ),
            ("PORT", "7000", failed("PORT", "can't set immutable config")),
            (
                "databases",
                "16",
                failed("databases", "can't set immutable config"),
            ),
            (
                "no-such-thing",
                "1",
                "ERR Unknown option or number of arguments for CONFIG SET - 'no-such-thing'".into(),
            ),
        ];
        for (name, value, expected) in cases {
            let before = s.clone();
            assert_eq!(
                set(&mut s, &[(name, value)]).as_ref(),
                Err(expected),
                "{name} {value}"
            );
            assert_eq!(s, before);
        }
    }

    #[test]
    fn settings_set_many_is_atomic() {
        let mut s = Settings::default();
        let before = s.clone();
        // A bad value later in the list: nothing is applied, the error names it.
        assert_eq!(
            set(&mut s, &[("maxmemory", "10mb"), ("timeout", "x")]),
            Err(failed(
                "timeout",
                "argument couldn't be parsed into an integer"
            ))
        );
        assert_eq!(s, before);
        // Names are all checked before any value: the unknown name wins over a bad value.
        assert_eq!(
            set(&mut s, &[("timeout", "x"), ("bogus", "1")]),
            Err("ERR Unknown option or number of arguments for CONFIG SET - 'bogus'".into())
        );
        // The first name problem wins; later names are not examined.
        assert_eq!(
            set(&mut s, &[("port", "1"), ("bogus", "1")]),
            Err(failed("port", "can't set immutable config"))
        );
        assert_eq!(
            set(&mut s, &[("bogus", "1"), ("port", "1")]),
            Err("ERR Unknown option or number of arguments for CONFIG SET - 'bogus'".into())
        );
        assert_eq!(
            set(&mut s, &[("timeout", "1"), ("TIMEOUT", "2")]),
            Err(failed("TIMEOUT", "duplicate parameter"))
        );
        assert_eq!(s, before);
        set(&mut s, &[("maxmemory", "10mb"), ("timeout", "5")]).expect("valid");
        assert_eq!((s.maxmemory, s.timeout), (10 << 20, 5));
        // An empty list changes nothing.
        set(&mut s, &[]).expect("empty");
    }

    #[test]
    fn settings_aliases() {
        let mut s = Settings::default();
        set(&mut s, &[("hash-max-ziplist-entries", "100")]).expect("alias");
        assert_eq!(s.hash_max_listpack_entries, 100);
        assert_eq!(get_one(&s, "hash-max-listpack-entries"), "100");
        assert_eq!(
            get(&s, "hash-max-ziplist-entries"),
            vec![("hash-max-ziplist-entries".into(), "100".into())]
        );
        // Errors name the alias used.
        assert_eq!(
            set(&mut s, &[("list-max-ziplist-size", "x")]),
            Err(failed(
                "list-max-ziplist-size",
                "argument couldn't be parsed into an integer"
            ))
        );
        // A name and its alias are separate entries in Redis 7.0: not a duplicate, the later
        // one wins.
        set(
            &mut s,
            &[
                ("zset-max-ziplist-entries", "1"),
                ("zset-max-listpack-entries", "2"),
            ],
        )
        .expect("name and alias");
        assert_eq!(s.zset_max_listpack_entries, 2);
        assert_eq!(
            set(
                &mut s,
                &[
                    ("zset-max-ziplist-entries", "1"),
                    ("ZSET-MAX-ZIPLIST-ENTRIES", "2")
                ]
            ),
            Err(failed("ZSET-MAX-ZIPLIST-ENTRIES", "duplicate parameter"))
        );
        let mut file = Settings::default();
        file.load_yaml("list-max-ziplist-size: -3\n")
            .expect("alias in YAML");
        assert_eq!(file.list_max_listpack_size, -3);
    }

    #[test]
    fn settings_glob_get() {
        let s = Settings::default();
        let names = |patterns: &[&str]| -> Vec<String> {
            let patterns: Vec<&[u8]> = patterns.iter().map(|p| p.as_bytes()).collect();
            s.get_matching(&patterns)
                .into_iter()
                .map(|(n, _)| n.into_owned())
                .collect()
        };
        // A glob lists names and aliases alike.
        let all = names(&["*"]);
        assert_eq!(
            all.len(),
            PARAMS.len() + PARAMS.iter().filter(|p| p.alias.is_some()).count()
        );
        assert!(all.contains(&"hash-max-ziplist-entries".to_owned()));
        assert!(all.contains(&"hash-max-listpack-entries".to_owned()));
        assert_eq!(
            names(&["maxmemory*"]),
            vec![
                "maxmemory",
                "maxmemory-policy",
                "maxmemory-samples",
                "maxmemory-eviction-tenacity"
            ]
        );
        assert_eq!(
            names(&["*-max-ziplist-value"]),
            vec!["hash-max-ziplist-value", "zset-max-ziplist-value"]
        );
        // Without case; each name once across patterns; an exact name keeps its spelling.
        assert_eq!(
            names(&["PORT", "port", "p?rt", "*"])
                .first()
                .map(String::as_str),
            Some("PORT")
        );
        assert_eq!(names(&["PORT", "p?rt"]), vec!["PORT"]);
        assert_eq!(names(&["TIME?UT"]), vec!["timeout"]);
        assert_eq!(names(&["[bp]ort", "bind"]), vec!["port", "bind"]);
        assert!(names(&["nope", "x*"]).is_empty());
        assert!(names(&[]).is_empty());
        assert_eq!(
            get(&s, "requirepass"),
            vec![("requirepass".into(), String::new())]
        );
    }

    #[test]
    fn settings_startup_allows_immutable() {
        let mut s = Settings::default();
        s.apply_startup("port", "7000").expect("port");
        s.apply_startup("Bind", "::1").expect("bind");
        s.apply_startup("shards", "3").expect("shards");
        assert_eq!((s.port, s.bind.as_str(), s.shards), (7000, "::1", 3));
        s.apply_startup("shards", "0").expect("auto shards");
        assert_eq!(s.shards, online_cpus());
        // Fixed values may be repeated, not changed.
        s.apply_startup("databases", "16").expect("same databases");
        s.apply_startup("save", "").expect("same save");
        s.apply_startup("appendonly", "no")
            .expect("same appendonly");
        s.apply_startup("proto-max-bulk-len", "512mb")
            .expect("same bulk len");
        let err = s.apply_startup("databases", "32").expect_err("fixed");
        assert!(err.contains("databases"), "{err}");
        let err = s.apply_startup("port", "70000").expect_err("range");
        assert!(
            err.contains("'port'") && err.contains("between 0 and 65535"),
            "{err}"
        );
        let err = s.apply_startup("bind", "localhost").expect_err("not an IP");
        assert!(err.contains("'bind'"), "{err}");
        let err = s.apply_startup("shards", "257").expect_err("too many");
        assert!(err.contains("'shards'") && err.contains("256"), "{err}");
        let err = s.apply_startup("colour", "blue").expect_err("unknown");
        assert!(err.contains("'colour'"), "{err}");
        let err = s
            .apply_startup("metrics-namespace", "9lives")
            .expect_err("namespace");
        assert!(err.contains("metrics-namespace"), "{err}");
        s.apply_startup("metrics-namespace", "shardis_cache")
            .expect("namespace");
    }

    #[test]
    fn settings_load_yaml() {
        let mut s = Settings::default();
        s.load_yaml("").expect("empty");
        s.load_yaml("# only a comment\n\n").expect("comments only");
        assert_eq!(s, Settings::default());
        s.load_yaml(
            "port: 7001\n\
             maxmemory: 256mb\n\
             protected-mode: false\n\
             latency-tracking: yes\n\
             lazyfree-lazy-expire: true\n\
             maxmemory-policy: allkeys-lfu\n\
             requirepass: \"a: b # c\"\n\
             latency-tracking-info-percentiles: 99.9\n\
             logfile:\n\
             client-query-buffer-limit: 1gb\n",
        )
        .expect("valid file");
        assert_eq!(s.port, 7001);
        assert_eq!(s.maxmemory, 256 << 20);
        assert!(!s.protected_mode && s.latency_tracking && s.lazyfree_lazy_expire);
        assert_eq!(s.maxmemory_policy, MaxmemoryPolicy::AllkeysLfu);
        assert_eq!(s.requirepass, "a: b # c");
        assert_eq!(s.latency_tracking_info_percentiles, vec![99.9]);
        assert_eq!(s.logfile, "");

        let before = s.clone();
        let err = s
            .load_yaml("timeout: 5\nbogus-key: 1\n")
            .expect_err("unknown");
        assert!(err.contains("bogus-key"), "{err}");
        assert_eq!(s, before, "nothing applied from a bad file");
        let err = s.load_yaml("bind:\n  - 127.0.0.1\n").expect_err("list");
        assert!(err.contains("'bind'") && err.contains("a list"), "{err}");
        let err = s.load_yaml("maxmemory: {a: 1}\n").expect_err("mapping");
        assert!(err.contains("maxmemory"), "{err}");
        let err = s.load_yaml("maxmemory: 12parsecs\n").expect_err("memory");
        assert!(
            err.contains("maxmemory") && err.contains("memory value"),
            "{err}"
        );
        let err = s.load_yaml("- port\n").expect_err("not a mapping");
        assert!(err.contains("mapping"), "{err}");
        let err = s.load_yaml("port: [\n").expect_err("bad YAML");
        assert!(err.contains("YAML"), "{err}");
        let err = s
            .load_yaml("port: 1\nport: 2\n")
            .expect_err("duplicate key");
        assert!(err.contains("port"), "{err}");
        let err = s.load_yaml("1: 2\n").expect_err("number key");
        assert!(err.contains("names"), "{err}");
    }

    #[test]
    fn settings_yaml_scalars_round_trip() {
        for text in [
            "",
            " ",
            "plain",
            "a b",
            "a:b",
            "a: b",
            "#x",
            "x #y",
            "*star",
            "-dash",
            "true",
            "null",
            "~",
            "123",
            "0x10",
            "1e3",
            "yes",
            "\"q\"",
            "it's",
            "back\\slash",
            "tab\t",
            "::1",
            "/var/lib/shardis",
            "ünïcode",
        ] {
            let rendered = yaml_scalar(text);
            let value: serde_yaml::Value =
                serde_yaml::from_str(&format!("k: {rendered}\n")).expect(&rendered);
            assert_eq!(
                value.get("k").and_then(|v| v.as_str()),
                Some(text),
                "{text:?} as {rendered}"
            );
        }
        assert_eq!(yaml_scalar("/var/lib/shardis"), "/var/lib/shardis");
        assert_eq!(yaml_scalar(""), "\"\"");
        assert_eq!(yaml_scalar("50 99"), "\"50 99\"");
    }

    const FILE: &str = "\
# Shardis test configuration.

# The port.
port: 7000   # keep this comment
bind: 127.0.0.1
# maxmemory: 0
maxmemory: 100mb # memory
hash-max-ziplist-entries: 512
requirepass: \"old # pass\"  # quoted
protected-mode: true
shards: 0
";

    #[test]
    fn settings_rewrite_keeps_comments_and_order() {
        let mut s = Settings::default();
        s.load_yaml(FILE).expect("test file loads");
        // Nothing changed: the file comes back as it was.
        assert_eq!(s.rewrite_yaml(FILE), FILE);

        set(
            &mut s,
            &[
                ("maxmemory", "2gb"),
                ("hash-max-listpack-entries", "64"),
                ("requirepass", "new: pass"),
                ("timeout", "60"),
                ("maxmemory-policy", "allkeys-lru"),
                ("latency-tracking-info-percentiles", "99"),
            ],
        )
        .expect("set");
        let out = s.rewrite_yaml(FILE);
        let expected = "\
# Shardis test configuration.

# The port.
port: 7000   # keep this comment
bind: 127.0.0.1
# maxmemory: 0
maxmemory: 2gb # memory
hash-max-ziplist-entries: 64
requirepass: \"new: pass\"  # quoted
protected-mode: true
shards: 0

# Written by CONFIG REWRITE
timeout: 60
maxmemory-policy: allkeys-lru
latency-tracking-info-percentiles: \"99\"
";
        assert_eq!(out, expected);
        // Idempotent, and the result loads back to the same settings.
        assert_eq!(s.rewrite_yaml(&out), out);
        let mut reloaded = Settings::default();
        reloaded.load_yaml(&out).expect("rewritten file loads");
        assert_eq!(reloaded, s);

        // A later change: the appended lines are rewritten in place, new ones go at the end
        // under the same marker.
        set(&mut s, &[("timeout", "0"), ("slowlog-max-len", "1000")]).expect("set");
        let again = s.rewrite_yaml(&out);
        assert!(again.contains("\ntimeout: 0\n"), "{again}");
        assert!(
            again.ends_with("latency-tracking-info-percentiles: \"99\"\nslowlog-max-len: 1000\n"),
            "{again}"
        );
        assert_eq!(again.matches(REWRITE_MARKER).count(), 1);
        assert_eq!(s.rewrite_yaml(&again), again);
    }

    #[test]
    fn settings_rewrite_edge_cases() {
        let mut s = Settings {
            port: 7002,
            ..Settings::default()
        };
        // Empty file: only the changed values.
        assert_eq!(
            s.rewrite_yaml(""),
            format!("{REWRITE_MARKER}\nport: 7002\n")
        );
        // No final newline; a key with nothing after it; CRLF lines; a key with a comment but
        // no value.
        let original = "port: 6379\r\nrequirepass:\nlogfile: # stderr\ndir: .";
        s.logfile = "/var/log/shardis.log".into();
        s.dir = "/tmp".into();
        s.requirepass = "pw".into();
        let out = s.rewrite_yaml(original);
        assert_eq!(
            out,
            "port: 7002\r\nrequirepass: pw\nlogfile: /var/log/shardis.log # stderr\ndir: /tmp\n"
        );
        assert_eq!(s.rewrite_yaml(&out), out);
        // A multi-line value is replaced whole; indented comments after a plain value stay.
        let original = "requirepass: >\n  folded\n  text\nport: 1\n  # note\nbind: 127.0.0.1\n";
        let out = s.rewrite_yaml(original);
        assert_eq!(
            out,
            "requirepass: pw\nport: 7002\n  # note\nbind: 127.0.0.1\n\n# Written by CONFIG REWRITE\nlogfile: /var/log/shardis.log\ndir: /tmp\n"
        );
        let mut reloaded = Settings::default();
        reloaded.load_yaml(&out).expect("loads");
        assert_eq!(reloaded, s);
    }
}
