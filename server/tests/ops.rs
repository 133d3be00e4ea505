//! Operations features against the real binary: the Prometheus endpoint, INFO sections,
//! SLOWLOG, LATENCY, CONFIG GET/SET/RESETSTAT/REWRITE, AUTH and requirepass, CLIENT PAUSE,
//! MONITOR, maxclients and the idle timeout, with 1 and 3 shards.
//!
//! `SHARDIS_TEST_TARGET=redis` runs the Redis-compatible ones against redis-server; the
//! Shardis-only ones (the /metrics endpoint, CONFIG REWRITE of the YAML file, cross-shard
//! checks that mean nothing with one process) print a notice and return early there.
//!
//! Shards publish the figures /metrics reports every 0.5 s, so tests poll the endpoint (every
//! 100 ms, for at most 10 s) until the values reach what the workload must produce.

mod common;

use common::*;
use std::collections::{BTreeMap, HashMap};
use std::thread;
use std::time::{Duration, Instant};

/// How long a test waits for published figures to catch up.
const SETTLE: Duration = Duration::from_secs(10);
/// How often it looks.
const POLL: Duration = Duration::from_millis(100);

/// True (after a notice) when the target is redis-server and the test is Shardis-only.
fn shardis_only(test: &str) -> bool {
    if target_is_redis() {
        eprintln!("NOTICE: {test} skipped: it tests a Shardis-only feature");
        return true;
    }
    false
}

/// The first key `prefix-I` (I = 0, 1, ...) that lives on `shard` of `n`.
fn key_on(prefix: &str, shard: usize, n: usize) -> String {
    (0..100_000)
        .map(|i| format!("{prefix}-{i}"))
        .find(|k| shard_of(k, n) == shard)
        .expect("a key for every shard within 100000 tries")
}

#[test]
fn slot_function_matches_redis_cluster() {
    // Known CLUSTER KEYSLOT answers from Redis Cluster.
    assert_eq!(key_slot(b"foo"), 12182);
    assert_eq!(key_slot(b"bar"), 5061);
    assert_eq!(key_slot(b"{user1000}.following"), key_slot(b"user1000"));
    assert_eq!(key_slot(b"{}x"), crc16(b"{}x") as usize % 16384);
    assert_eq!(
        key_slot(b"foo{}{bar}"),
        crc16(b"foo{}{bar}") as usize % 16384
    );
    assert_eq!(crc16(b"123456789"), 0x31C3);
    assert_eq!(shard_of("foo", 3), 2);
    assert_eq!(shard_of("bar", 3), 0);
}

// ---------------------------------------------------------------------------
// INFO helpers
// ---------------------------------------------------------------------------

fn info_text(c: &mut Conn, section: &[&str]) -> String {
    let mut args = vec!["INFO"];
    args.extend_from_slice(section);
    let r = c.cmd(&args);
    r.as_str()
        .unwrap_or_else(|| panic!("INFO {section:?}: not a string: {r:?}"))
}

/// `field:value` lines of an INFO reply.
fn info_fields(text: &str) -> HashMap<String, String> {
    text.lines()
        .filter(|l| !l.starts_with('#'))
        .filter_map(|l| l.trim_end().split_once(':'))
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

fn info(c: &mut Conn, section: &[&str]) -> HashMap<String, String> {
    info_fields(&info_text(c, section))
}

fn info_u64(fields: &HashMap<String, String>, name: &str) -> u64 {
    fields
        .get(name)
        .unwrap_or_else(|| panic!("INFO has no {name}: {fields:?}"))
        .parse()
        .unwrap_or_else(|e| panic!("INFO {name}={:?}: {e}", fields[name]))
}

/// `a=1,b=2` (cmdstat_*, errorstat_*, latency_percentiles_usec_*, db0) as a map.
fn kv_list(value: &str) -> HashMap<String, String> {
    value
        .split(',')
        .filter_map(|p| p.split_once('='))
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

/// Poll INFO `section` until `f` accepts its fields (bounded by SETTLE).
fn wait_info(
    c: &mut Conn,
    section: &str,
    what: &str,
    mut f: impl FnMut(&HashMap<String, String>) -> bool,
) -> HashMap<String, String> {
    let deadline = Instant::now() + SETTLE;
    loop {
        let fields = info(c, &[section]);
        if f(&fields) {
            return fields;
        }
        if Instant::now() >= deadline {
            panic!("INFO {section}: {what} not reached within {SETTLE:?}; last: {fields:?}");
        }
        thread::sleep(POLL);
    }
}

// ---------------------------------------------------------------------------
// Prometheus text exposition
// ---------------------------------------------------------------------------

#[derive(Debug, Clone)]
struct Sample {
    name: String,
    labels: BTreeMap<String, String>,
    value: f64,
}

#[derive(Debug, Default)]
struct Exposition {
    text: String,
    /// Family name -> declared type, from `# TYPE` lines.
    types: HashMap<String, String>,
    /// Family name -> has a `# HELP` line.
    helps: HashMap<String, bool>,
    samples: Vec<Sample>,
}

impl Exposition {
    fn parse(text: &str) -> Exposition {
        let mut e = Exposition {
            text: text.to_string(),
            ..Exposition::default()
        };
        for (n, line) in text.lines().enumerate() {
            let line = line.trim_end();
            if line.is_empty() {
                continue;
            }
            if let Some(rest) = line.strip_prefix("# TYPE ") {
                let (name, kind) = rest
                    .split_once(' ')
                    .unwrap_or_else(|| panic!("line {n}: bad TYPE line {line:?}"));
                let old = e.types.insert(name.to_string(), kind.to_string());
                assert!(old.is_none(), "line {n}: second TYPE for {name}");
                continue;
            }
            if let Some(rest) = line.strip_prefix("# HELP ") {
                let name = rest.split(' ').next().unwrap_or_default();
                e.helps.insert(name.to_string(), true);
                continue;
            }
            if line.starts_with('#') {
                continue;
            }
            let sample = parse_sample(line).unwrap_or_else(|why| panic!("line {n}: {why}"));
            let family = family_of(&sample.name, &e.types);
            assert!(
                e.types.contains_key(&family),
                "line {n}: sample {line:?} before (or without) a # TYPE for {family}"
            );
            e.samples.push(sample);
        }
        e
    }

    fn series(&self, name: &str) -> Vec<&Sample> {
        self.samples.iter().filter(|s| s.name == name).collect()
    }

    /// The value of the one sample `name{labels}` (labels given must all match, and the
    /// sample must have no others), if present.
    fn get(&self, name: &str, labels: &[(&str, &str)]) -> Option<f64> {
        let want: BTreeMap<String, String> = labels
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        let found: Vec<&Sample> = self
            .samples
            .iter()
            .filter(|s| s.name == name && s.labels == want)
            .collect();
        assert!(found.len() <= 1, "{name}{labels:?} appears twice");
        found.first().map(|s| s.value)
    }

    fn value(&self, name: &str, labels: &[(&str, &str)]) -> f64 {
        self.get(name, labels)
            .unwrap_or_else(|| panic!("no sample {name}{labels:?} in:\n{}", self.text))
    }

    /// Sum of every sample named `name` (over all its label values).
    fn sum(&self, name: &str) -> f64 {
        self.series(name).iter().map(|s| s.value).sum()
    }
}

/// The family a sample belongs to: itself, or a histogram/summary's base name.
fn family_of(name: &str, types: &HashMap<String, String>) -> String {
    if types.contains_key(name) {
        return name.to_string();
    }
    for suffix in ["_bucket", "_sum", "_count"] {
        if let Some(base) = name.strip_suffix(suffix) {
            if matches!(
                types.get(base).map(String::as_str),
                Some("histogram" | "summary")
            ) {
                return base.to_string();
            }
        }
    }
    name.to_string()
}

/// `name{k="v",...} value [timestamp]`.
fn parse_sample(line: &str) -> Result<Sample, String> {
    let name_end = line
        .find(['{', ' '])
        .ok_or_else(|| format!("no value in {line:?}"))?;
    let name = &line[..name_end];
    let valid_name = !name.is_empty()
        && name.chars().enumerate().all(|(i, c)| {
            c.is_ascii_alphabetic() || c == '_' || c == ':' || (i > 0 && c.is_ascii_digit())
        });
    if !valid_name {
        return Err(format!("bad metric name {name:?}"));
    }
    let mut labels = BTreeMap::new();
    let mut rest = &line[name_end..];
    if let Some(after) = rest.strip_prefix('{') {
        let mut chars = after.char_indices().peekable();
        let mut end = None;
        loop {
            // label name
            let start = match chars.peek() {
                Some(&(_, '}')) => {
                    end = chars.next().map(|(i, _)| i);
                    break;
                }
                Some(&(i, _)) => i,
                None => break,
            };
            let mut eq = None;
            for (i, c) in chars.by_ref() {
                if c == '=' {
                    eq = Some(i);
                    break;
                }
            }
            let eq = eq.ok_or_else(|| format!("label without '=' in {line:?}"))?;
            let key = after[start..eq].to_string();
            if chars.next().map(|(_, c)| c) != Some('"') {
                return Err(format!("label value not quoted in {line:?}"));
            }
            let mut value = String::new();
            let mut closed = false;
            while let Some((_, c)) = chars.next() {
                match c {
                    '\\' => match chars.next().map(|(_, c)| c) {
                        Some('n') => value.push('\n'),
                        Some(other) => value.push(other),
                        None => break,
                    },
                    '"' => {
                        closed = true;
                        break;
                    }
                    c => value.push(c),
                }
            }
            if !closed {
                return Err(format!("unterminated label value in {line:?}"));
            }
            labels.insert(key, value);
            match chars.peek() {
                Some(&(_, ',')) => {
                    chars.next();
                }
                Some(&(_, '}')) => {}
                _ => return Err(format!("bad label list in {line:?}")),
            }
        }
        let end = end.ok_or_else(|| format!("unterminated label set in {line:?}"))?;
        rest = &after[end + 1..];
    }
    let mut parts = rest.split_whitespace();
    let value_text = parts
        .next()
        .ok_or_else(|| format!("no value in {line:?}"))?;
    let value = match value_text {
        "+Inf" => f64::INFINITY,
        "-Inf" => f64::NEG_INFINITY,
        "NaN" => f64::NAN,
        v => v
            .parse::<f64>()
            .map_err(|e| format!("bad value {v:?} in {line:?}: {e}"))?,
    };
    if let Some(ts) = parts.next() {
        ts.parse::<i64>()
            .map_err(|e| format!("bad timestamp {ts:?} in {line:?}: {e}"))?;
    }
    if parts.next().is_some() {
        return Err(format!("trailing text in {line:?}"));
    }
    Ok(Sample {
        name: name.to_string(),
        labels,
        value,
    })
}

#[test]
fn exposition_parser_reads_labels_escapes_and_histograms() {
    let text = "# HELP a_total Help.\n# TYPE a_total counter\na_total{x=\"q\\\"\\\\z\",y=\"2\"} 3\n\n\
                # TYPE h histogram\nh_bucket{le=\"1\"} 1\nh_bucket{le=\"+Inf\"} 2\nh_sum 7.5\nh_count 2\n\
                # TYPE g gauge\ng 0.25 1700000000000\n";
    let e = Exposition::parse(text);
    assert_eq!(e.value("a_total", &[("x", "q\"\\z"), ("y", "2")]), 3.0);
    assert_eq!(e.value("h_bucket", &[("le", "+Inf")]), 2.0);
    assert_eq!(e.value("h_sum", &[]), 7.5);
    assert_eq!(e.value("g", &[]), 0.25);
    assert_eq!(e.types["h"], "histogram");
    assert!(e.helps.contains_key("a_total"));
    assert!(parse_sample("bad name 1").is_err());
    assert!(parse_sample("x{a=1} 2").is_err());
    assert!(parse_sample("x{a=\"1\" 2").is_err());
    assert!(parse_sample("x nope").is_err());
}

/// One scrape of /metrics, checked for status and content type.
fn scrape(port: u16) -> Exposition {
    let r = http_get(port, "/metrics").unwrap_or_else(|e| panic!("GET /metrics: {e}"));
    assert_eq!(r.status, 200, "GET /metrics: {r:?}");
    let ct = r.header("content-type").unwrap_or_default();
    assert!(
        ct.starts_with("text/plain") && ct.contains("version=0.0.4"),
        "content type {ct:?}"
    );
    Exposition::parse(&r.body)
}

/// Scrape until `f` accepts the exposition (every POLL, at most SETTLE).
fn wait_metrics(port: u16, what: &str, mut f: impl FnMut(&Exposition) -> bool) -> Exposition {
    let deadline = Instant::now() + SETTLE;
    loop {
        let e = scrape(port);
        if f(&e) {
            return e;
        }
        if Instant::now() >= deadline {
            panic!(
                "/metrics: {what} not reached within {SETTLE:?}; last scrape:\n{}",
                e.text
            );
        }
        thread::sleep(POLL);
    }
}

fn metrics_port(s: &Server) -> u16 {
    s.metrics_port.expect("server started with metrics")
}

// ---------------------------------------------------------------------------
// /metrics
// ---------------------------------------------------------------------------

const COUNTERS: &[&str] = &[
    "redis_commands_processed_total",
    "redis_keyspace_hits_total",
    "redis_keyspace_misses_total",
    "redis_expired_keys_total",
    "redis_evicted_keys_total",
    "redis_connections_received_total",
    "redis_rejected_connections_total",
    "redis_net_input_bytes_total",
    "redis_net_output_bytes_total",
    "redis_commands_total",
    "redis_commands_duration_seconds_total",
    "redis_errors_total",
    "redis_shard_commands_processed_total",
];

const GAUGES: &[&str] = &[
    "redis_up",
    "redis_instantaneous_ops_per_sec",
    "redis_keyspace_hit_ratio",
    "redis_memory_used_bytes",
    "redis_memory_max_bytes",
    "redis_memory_used_rss_bytes",
    "redis_connected_clients",
    "redis_blocked_clients",
    "redis_uptime_in_seconds",
    "redis_db_keys",
    "redis_db_keys_expiring",
    "redis_shard_keys",
    "redis_shard_memory_used_bytes",
    "redis_shard_ring_queue_depth",
    "redis_shard_connected_clients",
];

#[test]
fn metrics_every_family_has_its_type_and_sane_values() {
    if shardis_only("metrics_every_family_has_its_type_and_sane_values") {
        return;
    }
    let shards = 3;
    let s = start_shardis_with_metrics(shards, &[]);
    let port = metrics_port(&s);
    let mut c = s.connect();
    for i in 0..30 {
        assert_eq!(c.cmd(&["SET", &format!("fam-{i}"), "v"]), ok());
    }
    for i in 0..5 {
        assert_eq!(
            c.cmd(&["SET", &format!("fam-exp-{i}"), "v", "EX", "1000"]),
            ok()
        );
    }
    assert_eq!(c.cmd(&["GET", "fam-1"]), bulk("v"));
    assert_eq!(c.cmd(&["GET", "fam-missing"]), nil());
    assert!(c.cmd(&["LPUSH", "fam-1", "x"]).is_error());
    let e = wait_metrics(port, "every family", |e| {
        COUNTERS
            .iter()
            .chain(GAUGES)
            .all(|f| e.types.contains_key(*f))
            && e.get("redis_db_keys", &[("db", "db0")]) == Some(35.0)
            && e.get("redis_commands_total", &[("cmd", "lpush")]) == Some(1.0)
    });
    for f in COUNTERS {
        assert_eq!(e.types[*f], "counter", "# TYPE of {f}");
    }
    for f in GAUGES {
        assert_eq!(e.types[*f], "gauge", "# TYPE of {f}");
    }
    assert_eq!(e.types["redis_commands_latencies_usec"], "histogram");
    for family in e.types.keys() {
        assert!(e.helps.contains_key(family), "{family} has no # HELP");
    }

    assert_eq!(e.value("redis_up", &[]), 1.0);
    assert!(e.value("redis_memory_used_bytes", &[]) > 0.0);
    assert!(e.value("redis_memory_used_rss_bytes", &[]) > 0.0);
    assert_eq!(e.value("redis_memory_max_bytes", &[]), 0.0);
    assert!(e.value("redis_uptime_in_seconds", &[]) >= 0.0);
    assert_eq!(e.value("redis_db_keys_expiring", &[("db", "db0")]), 5.0);
    assert_eq!(e.value("redis_errors_total", &[("err", "WRONGTYPE")]), 1.0);
    assert_eq!(e.value("redis_commands_total", &[("cmd", "set")]), 35.0);
    assert!(e.value("redis_connections_received_total", &[]) >= 1.0);
    assert!(e.value("redis_net_input_bytes_total", &[]) > 0.0);
    assert!(e.value("redis_net_output_bytes_total", &[]) > 0.0);

    // One series per shard, labelled 0..N-1, for every per-shard family.
    for f in [
        "redis_shard_keys",
        "redis_shard_commands_processed_total",
        "redis_shard_memory_used_bytes",
        "redis_shard_ring_queue_depth",
        "redis_shard_connected_clients",
    ] {
        let mut labels: Vec<String> = e
            .series(f)
            .iter()
            .map(|s| s.labels.get("shard").cloned().unwrap_or_default())
            .collect();
        labels.sort();
        assert_eq!(labels, ["0", "1", "2"], "{f}");
    }
    assert_eq!(e.sum("redis_shard_keys"), 35.0);

    // Histograms: cumulative buckets ending in +Inf = _count = the command's calls, and _sum
    // (µs) equal to the duration counter (s).
    for cmd in ["get", "set", "lpush"] {
        let mut buckets: Vec<(f64, f64)> = e
            .series("redis_commands_latencies_usec_bucket")
            .iter()
            .filter(|s| s.labels.get("cmd").map(String::as_str) == Some(cmd))
            .map(|s| {
                let le = &s.labels["le"];
                let bound = if le == "+Inf" {
                    f64::INFINITY
                } else {
                    le.parse().unwrap_or_else(|_| panic!("bad le {le:?}"))
                };
                (bound, s.value)
            })
            .collect();
        assert!(buckets.len() >= 2, "{cmd}: buckets {buckets:?}");
        buckets.sort_by(|a, b| a.0.total_cmp(&b.0));
        assert!(
            buckets.windows(2).all(|w| w[0].1 <= w[1].1),
            "{cmd}: buckets not cumulative: {buckets:?}"
        );
        let count = e.value("redis_commands_latencies_usec_count", &[("cmd", cmd)]);
        let calls = e.value("redis_commands_total", &[("cmd", cmd)]);
        assert_eq!(buckets.last().map(|b| b.0), Some(f64::INFINITY));
        assert_eq!(buckets.last().map(|b| b.1), Some(count), "{cmd}: +Inf");
        assert_eq!(count, calls, "{cmd}: _count vs commands_total");
        let sum_us = e.value("redis_commands_latencies_usec_sum", &[("cmd", cmd)]);
        let secs = e.value("redis_commands_duration_seconds_total", &[("cmd", cmd)]);
        assert!(
            (sum_us - secs * 1e6).abs() < 1.0,
            "{cmd}: _sum {sum_us} µs vs duration {secs} s"
        );
    }

    // Gauges that follow connections: this one plus two more.
    let _c2 = s.connect();
    let mut c3 = s.connect();
    assert_eq!(c3.cmd(&["PING"]), pong());
    let e = wait_metrics(port, "connected_clients = 3", |e| {
        e.get("redis_connected_clients", &[]) == Some(3.0)
            && e.sum("redis_shard_connected_clients") == 3.0
    });
    assert_eq!(e.value("redis_blocked_clients", &[]), 0.0);
    // A client blocked in BLPOP shows in blocked_clients.
    c3.send(&["BLPOP", "fam-list", "0"]);
    wait_metrics(port, "blocked_clients = 1", |e| {
        e.get("redis_blocked_clients", &[]) == Some(1.0)
    });
    assert_eq!(c.cmd(&["RPUSH", "fam-list", "x"]), int(1));
    assert_eq!(c3.read_reply(), bulks(&["fam-list", "x"]));
    wait_metrics(port, "blocked_clients back to 0", |e| {
        e.get("redis_blocked_clients", &[]) == Some(0.0)
    });
}

/// Exactly 100 GET hits and 50 misses after CONFIG RESETSTAT: /metrics and INFO agree.
fn hit_ratio_case(shards: usize) {
    let s = start_shardis_with_metrics(shards, &[]);
    let port = metrics_port(&s);
    let mut c = s.connect();
    let keys: Vec<String> = (0..10).map(|i| format!("hit-{i}")).collect();
    for k in &keys {
        assert_eq!(c.cmd(&["SET", k, "v"]), ok());
    }
    // Keys in another database count in their own db label and in DBSIZE of that db only.
    assert_eq!(c.cmd(&["SELECT", "2"]), ok());
    for i in 0..4 {
        assert_eq!(c.cmd(&["SET", &format!("other-{i}"), "v"]), ok());
    }
    assert_eq!(c.cmd(&["SELECT", "0"]), ok());
    // Lookups before the reset must not count.
    assert_eq!(c.cmd(&["GET", "hit-0"]), bulk("v"));
    assert_eq!(c.cmd(&["GET", "nope"]), nil());
    assert_eq!(c.cmd(&["CONFIG", "RESETSTAT"]), ok());
    for i in 0..100 {
        assert_eq!(c.cmd(&["GET", &keys[i % keys.len()]]), bulk("v"));
    }
    for i in 0..50 {
        assert_eq!(c.cmd(&["GET", &format!("miss-{i}")]), nil());
    }
    let e = wait_metrics(port, "100 hits, 50 misses, 150 GETs", |e| {
        e.get("redis_keyspace_hits_total", &[]) == Some(100.0)
            && e.get("redis_keyspace_misses_total", &[]) == Some(50.0)
            && e.get("redis_commands_total", &[("cmd", "get")]) == Some(150.0)
            && e.get("redis_db_keys", &[("db", "db0")]) == Some(10.0)
            && e.get("redis_db_keys", &[("db", "db2")]) == Some(4.0)
    });
    let ratio = e.value("redis_keyspace_hit_ratio", &[]);
    assert!(
        (ratio - 2.0 / 3.0).abs() <= 0.001,
        "hit ratio {ratio}, expected 0.667"
    );
    assert_eq!(e.value("redis_commands_total", &[("cmd", "get")]), 150.0);
    assert!(e.value("redis_commands_processed_total", &[]) >= 150.0);
    // Per-shard keys sum over every database.
    assert_eq!(e.sum("redis_shard_keys"), 14.0, "{}", e.text);
    assert_eq!(
        e.series("redis_shard_keys").len(),
        shards,
        "one redis_shard_keys per shard"
    );

    let fields = info(&mut c, &["stats"]);
    assert_eq!(info_u64(&fields, "keyspace_hits"), 100);
    assert_eq!(info_u64(&fields, "keyspace_misses"), 50);
    assert_eq!(
        info_u64(&fields, "keyspace_hits") as f64,
        e.value("redis_keyspace_hits_total", &[])
    );
    assert_eq!(
        info_u64(&fields, "keyspace_misses") as f64,
        e.value("redis_keyspace_misses_total", &[])
    );
    let cmdstats = info(&mut c, &["commandstats"]);
    let get = kv_list(&cmdstats["cmdstat_get"]);
    assert_eq!(get["calls"], "150");
    assert_eq!(c.cmd(&["DBSIZE"]), int(10));
    assert_eq!(e.value("redis_db_keys", &[("db", "db0")]), 10.0);
    assert_eq!(c.cmd(&["SELECT", "2"]), ok());
    assert_eq!(c.cmd(&["DBSIZE"]), int(4));

    // The per-shard commands add up to the total once the shards have published.
    let e = wait_metrics(port, "shard commands add up", |e| {
        e.get("redis_commands_processed_total", &[])
            == Some(e.sum("redis_shard_commands_processed_total"))
    });
    let processed = e.value("redis_commands_processed_total", &[]);
    let total = info_u64(&info(&mut c, &["stats"]), "total_commands_processed") as f64;
    // INFO counts itself and the commands sent since the scrape.
    assert!(
        (processed..=processed + 5.0).contains(&total),
        "INFO total_commands_processed {total} vs /metrics {processed}"
    );
}

#[test]
fn metrics_hit_ratio_and_counts_agree_with_info_1_shard() {
    if shardis_only("metrics_hit_ratio_and_counts_agree_with_info_1_shard") {
        return;
    }
    hit_ratio_case(1);
}

#[test]
fn metrics_hit_ratio_and_counts_agree_with_info_3_shards() {
    if shardis_only("metrics_hit_ratio_and_counts_agree_with_info_3_shards") {
        return;
    }
    hit_ratio_case(3);
}

#[test]
fn metrics_http_routes_and_namespace() {
    if shardis_only("metrics_http_routes_and_namespace") {
        return;
    }
    let s = start_shardis_with_metrics(1, &["--metrics-namespace", "shardis"]);
    let port = metrics_port(&s);
    let e = scrape(port);
    assert_eq!(e.value("shardis_up", &[]), 1.0);
    assert_eq!(e.types["shardis_commands_processed_total"], "counter");
    assert!(
        e.samples.iter().all(|s| s.name.starts_with("shardis_")),
        "a sample without the namespace:\n{}",
        e.text
    );
    let mut c = s.connect();
    assert_eq!(
        c.cmd(&["CONFIG", "GET", "metrics-namespace"]),
        bulks(&["metrics-namespace", "shardis"])
    );
    let r = http_get(port, "/nope").expect("GET /nope");
    assert_eq!(r.status, 404, "{r:?}");
    let r = http_get(port, "/metrics?x=1").expect("GET with a query");
    assert_eq!(r.status, 200, "{r:?}");
    assert!(r.body.contains("shardis_up 1"), "{}", r.body);
}

#[test]
fn metrics_port_zero_disables_the_endpoint() {
    if shardis_only("metrics_port_zero_disables_the_endpoint") {
        return;
    }
    // The harness starts with --metrics-port 0: CONFIG GET shows it and nothing else listens.
    let s = start_shardis(1);
    assert_eq!(s.metrics_port, None);
    let mut c = s.connect();
    assert_eq!(
        c.cmd(&["CONFIG", "GET", "metrics-port"]),
        bulks(&["metrics-port", "0"])
    );
    // A repeated default given in the extra arguments replaces it (it is never passed twice).
    let s2 = start_shardis_with(1, &["--metrics-port=0", "--shards", "2"]);
    assert_eq!(s2.shards, 2, "the shard count of the listening line");
    let mut c2 = s2.connect();
    assert_eq!(
        c2.cmd(&["CONFIG", "GET", "shards"]),
        bulks(&["shards", "2"])
    );
}

// ---------------------------------------------------------------------------
// INFO
// ---------------------------------------------------------------------------

const DEFAULT_SECTIONS: &[&str] = &[
    "# Server",
    "# Clients",
    "# Memory",
    "# Persistence",
    "# Stats",
    "# Replication",
    "# CPU",
    "# Modules",
    "# Errorstats",
    "# Cluster",
    "# Keyspace",
];

fn headers(text: &str) -> Vec<String> {
    text.lines()
        .filter(|l| l.starts_with("# "))
        .map(|l| l.trim_end().to_string())
        .collect()
}

/// "12.55M" -> bytes (Redis's bytesToHuman: B, K, M, G, T, P with two decimals).
fn human_bytes(text: &str) -> f64 {
    let (num, unit) = text.split_at(text.len() - 1);
    let scale = match unit {
        "B" => 1.0,
        "K" => 1024.0,
        "M" => 1024.0 * 1024.0,
        "G" => 1024.0 * 1024.0 * 1024.0,
        "T" => 1024f64.powi(4),
        "P" => 1024f64.powi(5),
        _ => panic!("bad human size {text:?}"),
    };
    num.parse::<f64>()
        .unwrap_or_else(|e| panic!("bad human size {text:?}: {e}"))
        * scale
}

fn info_sections_case(shards: usize) {
    let s = start_shardis(shards);
    let mut c = s.connect();
    let text = info_text(&mut c, &[]);
    let found = headers(&text);
    assert_eq!(found, DEFAULT_SECTIONS, "INFO headers");
    assert_eq!(headers(&info_text(&mut c, &["default"])), DEFAULT_SECTIONS);
    for all in ["all", "everything"] {
        let h = headers(&info_text(&mut c, &[all]));
        for want in DEFAULT_SECTIONS
            .iter()
            .chain(&["# Commandstats", "# Latencystats"])
        {
            assert!(h.iter().any(|x| x == want), "INFO {all}: no {want}: {h:?}");
        }
    }
    // One section, several sections, any case.
    assert_eq!(headers(&info_text(&mut c, &["memory"])), ["# Memory"]);
    assert_eq!(
        headers(&info_text(&mut c, &["CLIENTS", "stats"])),
        ["# Clients", "# Stats"]
    );

    let fields = info_fields(&text);
    for name in [
        "redis_version",
        "uptime_in_seconds",
        "connected_clients",
        "maxclients",
        "blocked_clients",
        "used_memory",
        "used_memory_human",
        "used_memory_rss",
        "maxmemory",
        "maxmemory_human",
        "maxmemory_policy",
        "total_connections_received",
        "total_commands_processed",
        "instantaneous_ops_per_sec",
        "rejected_connections",
        "expired_keys",
        "evicted_keys",
        "keyspace_hits",
        "keyspace_misses",
        "total_error_replies",
        "role",
        "cluster_enabled",
    ] {
        assert!(fields.contains_key(name), "INFO has no {name}:\n{text}");
    }
    for name in [
        "connected_clients",
        "used_memory",
        "instantaneous_ops_per_sec",
        "evicted_keys",
        "maxmemory",
        "total_error_replies",
    ] {
        info_u64(&fields, name);
    }
    assert_eq!(fields["role"], "master");
    assert_eq!(fields["cluster_enabled"], "0");
    assert_eq!(fields["maxmemory_policy"], "noeviction");
    let used = info_u64(&fields, "used_memory") as f64;
    let human = human_bytes(&fields["used_memory_human"]);
    assert!(
        (human - used).abs() <= used * 0.01 + 10.0,
        "used_memory_human {} vs used_memory {used}",
        fields["used_memory_human"]
    );

    // Settings show up in INFO at once.
    assert_eq!(c.cmd(&["CONFIG", "SET", "maxmemory", "100mb"]), ok());
    assert_eq!(
        c.cmd(&["CONFIG", "SET", "maxmemory-policy", "allkeys-lru"]),
        ok()
    );
    let mem = info(&mut c, &["memory"]);
    assert_eq!(mem["maxmemory"], "104857600");
    assert_eq!(mem["maxmemory_human"], "100.00M");
    assert_eq!(mem["maxmemory_policy"], "allkeys-lru");
    assert_eq!(c.cmd(&["CONFIG", "SET", "maxmemory", "0"]), ok());

    // Clients: this one plus two.
    let _c2 = s.connect();
    let mut c3 = s.connect();
    assert_eq!(c3.cmd(&["PING"]), pong());
    wait_info(&mut c, "clients", "connected_clients:3", |f| {
        f.get("connected_clients").map(String::as_str) == Some("3")
    });

    // Keyspace: keys and expires per database, keys on every shard.
    for i in 0..9 {
        assert_eq!(c.cmd(&["SET", &format!("ks-{i}"), "v"]), ok());
    }
    for i in 0..3 {
        assert_eq!(
            c.cmd(&["SET", &format!("ks-exp-{i}"), "v", "EX", "1000"]),
            ok()
        );
    }
    assert_eq!(c.cmd(&["SELECT", "5"]), ok());
    assert_eq!(c.cmd(&["SET", "ks-db5", "v"]), ok());
    assert_eq!(c.cmd(&["SELECT", "0"]), ok());
    let ks = info(&mut c, &["keyspace"]);
    let db0 = kv_list(&ks["db0"]);
    assert_eq!(db0["keys"], "12", "{ks:?}");
    assert_eq!(db0["expires"], "3", "{ks:?}");
    let avg_ttl: u64 = db0["avg_ttl"].parse().expect("avg_ttl");
    assert!(avg_ttl <= 1_000_000, "avg_ttl {avg_ttl}");
    assert_eq!(kv_list(&ks["db5"])["keys"], "1");
    assert!(!ks.contains_key("db1"), "empty databases are not listed");
}

/// Every field redis-server 7 prints in `INFO everything`'s fixed sections is there, in
/// Redis's order (tools and dashboards parse them by name), and the figures that must
/// add up do: dataset + overhead = used, allocator figures ordered, rates and counters move.
#[test]
fn info_has_every_field_redis_prints() {
    if !require_redis("info_has_every_field_redis_prints") {
        return;
    }
    let redis = start_redis();
    let redis_text = info_text(&mut redis.connect(), &["everything"]);
    let names_in = |text: &str, section: &str| -> Vec<String> {
        let mut in_section = false;
        let mut names = Vec::new();
        for line in text.lines() {
            if let Some(header) = line.strip_prefix("# ") {
                in_section = header.trim().eq_ignore_ascii_case(section);
            } else if let Some((name, _)) = line.split_once(':') {
                if in_section {
                    names.push(name.to_string());
                }
            }
        }
        names
    };
    for shards in [1, 3] {
        let s = start_shardis(shards);
        let mut c = s.connect();
        for i in 0..50 {
            assert_eq!(c.cmd(&["SET", &format!("f{i}"), "v"]), ok());
        }
        let text = info_text(&mut c, &["everything"]);
        for section in [
            "server",
            "clients",
            "memory",
            "persistence",
            "stats",
            "replication",
            "cpu",
            "cluster",
        ] {
            let ours = names_in(&text, section);
            let theirs = names_in(&redis_text, section);
            // Redis's fields, in Redis's order, among ours (we add a few: shards, ...).
            let ours_in_redis: Vec<&String> = ours.iter().filter(|n| theirs.contains(n)).collect();
            let theirs: Vec<&String> = theirs.iter().collect();
            assert_eq!(
                ours_in_redis, theirs,
                "shards={shards}: INFO {section} fields"
            );
        }
        let f = info_fields(&text);
        let used = info_u64(&f, "used_memory");
        assert_eq!(
            info_u64(&f, "used_memory_dataset") + info_u64(&f, "used_memory_overhead"),
            used
        );
        assert!(info_u64(&f, "used_memory_startup") > 0);
        assert!(info_u64(&f, "used_memory_startup") <= used);
        assert!(info_u64(&f, "allocator_active") >= info_u64(&f, "allocator_allocated"));
        assert!(info_u64(&f, "total_system_memory") > 1 << 20);
        assert!(
            info_u64(&f, "mem_clients_normal") > 0,
            "this connection's buffers"
        );
        assert!(info_u64(&f, "total_reads_processed") >= 50);
        assert!(info_u64(&f, "total_writes_processed") >= 50);
        assert_eq!(f["run_id"].len(), 40);
        assert!(f["run_id"].bytes().all(|b| b.is_ascii_hexdigit()));
        assert_eq!(f["master_replid"].len(), 40);
        assert_eq!(f["tcp_port"], s.port.to_string());
        // The input rate is sampled every tick: a burst shows up within a second or two.
        let mut kbps = 0.0;
        let moved = wait_until(Duration::from_secs(5), Duration::from_millis(100), || {
            let big = "x".repeat(100_000);
            c.cmd(&["SET", "rate", &big]);
            kbps = info(&mut c, &["stats"])["instantaneous_input_kbps"]
                .parse::<f64>()
                .unwrap_or(0.0);
            kbps > 0.0
        });
        assert!(
            moved,
            "shards={shards}: instantaneous_input_kbps stayed {kbps}"
        );
    }
}

#[test]
fn info_default_sections_and_fields_1_shard() {
    info_sections_case(1);
}

#[test]
fn info_default_sections_and_fields_3_shards() {
    info_sections_case(3);
}

fn info_stats_case(shards: usize) {
    let s = start_shardis(shards);
    let mut c = s.connect();
    // Keys on every shard.
    let keys: Vec<String> = (0..shards.max(3))
        .map(|i| key_on("cs", i % shards, shards))
        .collect();
    assert_eq!(c.cmd(&["SET", "before", "v"]), ok());
    assert_eq!(c.cmd(&["CONFIG", "RESETSTAT"]), ok());
    let fields = info(&mut c, &["commandstats"]);
    assert!(
        !fields.contains_key("cmdstat_set"),
        "RESETSTAT clears commandstats: {fields:?}"
    );
    for k in &keys {
        assert_eq!(c.cmd(&["SET", k, "v"]), ok());
    }
    for i in 0..7 {
        c.cmd(&["GET", &keys[i % keys.len()]]);
    }
    // Wrong arity: a rejected call of GET; wrong type: a failed call of LPUSH.
    assert_eq!(
        c.cmd(&["GET", "a", "b"]),
        err("ERR wrong number of arguments for 'get' command")
    );
    assert_eq!(
        c.cmd(&["LPUSH", &keys[0], "x"]),
        err("WRONGTYPE Operation against a key holding the wrong kind of value")
    );
    let stats = info(&mut c, &["commandstats"]);
    let get = kv_list(
        stats
            .get("cmdstat_get")
            .unwrap_or_else(|| panic!("no cmdstat_get: {stats:?}")),
    );
    assert_eq!(get["calls"], "7", "{get:?}");
    assert_eq!(get["rejected_calls"], "1", "{get:?}");
    assert_eq!(get["failed_calls"], "0", "{get:?}");
    let usec: f64 = get["usec"].parse().expect("usec");
    let per_call: f64 = get["usec_per_call"].parse().expect("usec_per_call");
    assert!(
        (per_call - usec / 7.0).abs() <= 0.01,
        "usec_per_call {per_call} vs usec {usec} / 7"
    );
    assert_eq!(
        get["usec_per_call"].split('.').nth(1).map(str::len),
        Some(2),
        "two decimals: {get:?}"
    );
    let set = kv_list(&stats["cmdstat_set"]);
    assert_eq!(set["calls"], keys.len().to_string());
    let lpush = kv_list(&stats["cmdstat_lpush"]);
    assert_eq!(lpush["calls"], "1");
    assert_eq!(lpush["failed_calls"], "1");

    let errors = info(&mut c, &["errorstats"]);
    assert_eq!(
        errors.get("errorstat_WRONGTYPE").map(String::as_str),
        Some("count=1"),
        "{errors:?}"
    );
    assert_eq!(
        errors.get("errorstat_ERR").map(String::as_str),
        Some("count=1"),
        "{errors:?}"
    );
    assert_eq!(
        c.cmd(&["NOSUCHCOMMAND"]),
        err("ERR unknown command 'NOSUCHCOMMAND', with args beginning with: ")
    );
    let errors = info(&mut c, &["errorstats"]);
    assert_eq!(errors["errorstat_ERR"], "count=2", "{errors:?}");
    assert_eq!(
        info_u64(&info(&mut c, &["stats"]), "total_error_replies"),
        3
    );

    let lat = info(&mut c, &["latencystats"]);
    for cmd in ["get", "set"] {
        let line = lat
            .get(&format!("latency_percentiles_usec_{cmd}"))
            .unwrap_or_else(|| panic!("no latencystats for {cmd}: {lat:?}"));
        let p = kv_list(line);
        let p50: f64 = p["p50"].parse().expect("p50");
        let p99: f64 = p["p99"].parse().expect("p99");
        let p999: f64 = p["p99.9"].parse().expect("p99.9");
        assert!(p50 > 0.0 && p50 <= p99 && p99 <= p999, "{cmd}: {line}");
    }
    assert_eq!(c.cmd(&["CONFIG", "RESETSTAT"]), ok());
    let errors = info(&mut c, &["errorstats"]);
    assert!(errors.is_empty(), "RESETSTAT clears errorstats: {errors:?}");
}

#[test]
fn info_commandstats_errorstats_latencystats_1_shard() {
    info_stats_case(1);
}

#[test]
fn info_commandstats_errorstats_latencystats_3_shards() {
    info_stats_case(3);
}

// ---------------------------------------------------------------------------
// SLOWLOG
// ---------------------------------------------------------------------------

#[derive(Debug)]
struct SlowEntry {
    id: i64,
    time: i64,
    micros: i64,
    args: Vec<String>,
    addr: String,
    name: String,
}

fn slowlog_get(c: &mut Conn, count: &str) -> Vec<SlowEntry> {
    let r = c.cmd(&["SLOWLOG", "GET", count]);
    r.array()
        .iter()
        .map(|e| {
            let f = e.array();
            assert_eq!(f.len(), 6, "SLOWLOG entry {e:?}");
            SlowEntry {
                id: f[0].int(),
                time: f[1].int(),
                micros: f[2].int(),
                args: f[3]
                    .array()
                    .iter()
                    .map(|a| a.as_str().expect("arg"))
                    .collect(),
                addr: f[4].as_str().expect("addr"),
                name: f[5].as_str().expect("name"),
            }
        })
        .collect()
}

/// slowlog-max-len trims; LEN never exceeds it (threshold 0 already set).
fn slowlog_max_len_case(c: &mut Conn) {
    assert_eq!(c.cmd(&["CONFIG", "SET", "slowlog-max-len", "3"]), ok());
    for i in 0..10 {
        assert_eq!(c.cmd(&["SET", &format!("sl-trim-{i}"), "v"]), ok());
    }
    assert_eq!(c.cmd(&["SLOWLOG", "LEN"]), int(3));
    let entries = slowlog_get(c, "10");
    assert_eq!(entries.len(), 3, "{entries:?}");
    // The newest three: SLOWLOG LEN, then the last two SETs.
    assert_eq!(entries[0].args, ["SLOWLOG", "LEN"], "{entries:?}");
    assert_eq!(entries[1].args, ["SET", "sl-trim-9", "v"], "{entries:?}");
    assert_eq!(entries[2].args, ["SET", "sl-trim-8", "v"], "{entries:?}");
    // GET with a count, and -1 for all.
    assert_eq!(slowlog_get(c, "1").len(), 1);
    assert_eq!(slowlog_get(c, "-1").len(), 3);
}

fn slowlog_case(shards: usize) {
    let s = start_shardis(shards);
    let mut c = s.connect();
    assert_eq!(c.cmd(&["CLIENT", "SETNAME", "slowpoke"]), ok());
    // Nothing is logged while the threshold is high.
    assert_eq!(
        c.cmd(&["CONFIG", "SET", "slowlog-log-slower-than", "10000000"]),
        ok()
    );
    assert_eq!(c.cmd(&["SLOWLOG", "RESET"]), ok());
    assert_eq!(c.cmd(&["SET", "sl-a", "1"]), ok());
    assert_eq!(c.cmd(&["SLOWLOG", "LEN"]), int(0));
    // Threshold 0: every command from now on.
    assert_eq!(
        c.cmd(&["CONFIG", "SET", "slowlog-log-slower-than", "0"]),
        ok()
    );
    let before = unix_now();
    assert_eq!(c.cmd(&["SET", "sl-foo", "bar"]), ok());
    assert_eq!(c.cmd(&["GET", "sl-foo"]), bulk("bar"));
    let entries = if shards == 1 {
        // One shard: exactly the two newest, as Redis.
        let entries = slowlog_get(&mut c, "2");
        assert_eq!(entries.len(), 2, "{entries:?}");
        entries
    } else {
        // Several shards: the merged order across shards is slowlog_merged_newest_first_...'s
        // business; entries of one key (one shard) keep their order.
        slowlog_get(&mut c, "-1")
            .into_iter()
            .filter(|e| e.args.get(1).map(String::as_str) == Some("sl-foo"))
            .collect()
    };
    assert_eq!(entries.len(), 2, "{entries:?}");
    assert_eq!(entries[0].args, ["GET", "sl-foo"], "{entries:?}");
    assert_eq!(entries[1].args, ["SET", "sl-foo", "bar"], "{entries:?}");
    assert!(entries[0].id > entries[1].id, "newest first: {entries:?}");
    let local = c.stream.local_addr().expect("local addr");
    for e in &entries {
        assert!(
            (before - 1..=unix_now() + 1).contains(&e.time),
            "time {} vs now {before}",
            e.time
        );
        assert!(e.micros >= 0);
    }
    if shards == 1 {
        // The client's address and name (with more shards: slowlog_client_addr_on_every_shard).
        for e in &entries {
            assert_eq!(e.addr, format!("127.0.0.1:{}", local.port()), "{e:?}");
            assert_eq!(e.name, "slowpoke");
        }
    }
    // The newest entry whose arguments pass `f` (with one shard: the newest of all).
    let newest = |c: &mut Conn, f: &dyn Fn(&SlowEntry) -> bool| -> SlowEntry {
        let entries = slowlog_get(c, if shards == 1 { "1" } else { "-1" });
        entries
            .into_iter()
            .find(|e| f(e))
            .unwrap_or_else(|| panic!("no such SLOWLOG entry"))
    };
    // Args are lower/upper case as sent.
    assert_eq!(c.cmd(&["set", "sl-case", "x"]), ok());
    let e = newest(&mut c, &|e| {
        e.args.get(1).map(String::as_str) == Some("sl-case")
    });
    assert_eq!(e.args, ["set", "sl-case", "x"]);
    // Long argument lists: 32 arguments shown, the last as "... (N more arguments)".
    let mut mset: Vec<String> = vec!["MSET".into()];
    for i in 0..40 {
        mset.push(format!("{{sl}}m{i}"));
        mset.push("v".into());
    }
    assert_eq!(c.cmd(&mset), ok());
    let e = newest(&mut c, &|e| e.args[0] == "MSET");
    assert_eq!(e.args.len(), 32, "{e:?}");
    assert_eq!(e.args[31], "... (50 more arguments)", "{e:?}");
    // Long arguments: cut at 128 bytes with "... (N more bytes)".
    let long = "x".repeat(200);
    assert_eq!(c.cmd(&["SET", "sl-long", &long]), ok());
    let e = newest(&mut c, &|e| {
        e.args.get(1).map(String::as_str) == Some("sl-long")
    });
    assert_eq!(
        e.args[2],
        format!("{}... (72 more bytes)", "x".repeat(128)),
        "{e:?}"
    );

    if shards == 1 {
        // With more shards: slowlog_max_len_bounds_the_merged_log.
        slowlog_max_len_case(&mut c);
    }
    // RESET empties it (RESET itself is logged afterwards, as Redis does).
    assert_eq!(c.cmd(&["SLOWLOG", "RESET"]), ok());
    let len = c.cmd(&["SLOWLOG", "LEN"]).int();
    assert!(len <= 1, "SLOWLOG LEN after RESET: {len}");
    assert_eq!(
        c.cmd(&["CONFIG", "SET", "slowlog-log-slower-than", "-1"]),
        ok()
    );
    assert_eq!(c.cmd(&["SLOWLOG", "RESET"]), ok());
    assert_eq!(c.cmd(&["SET", "sl-off", "v"]), ok());
    assert_eq!(c.cmd(&["SLOWLOG", "LEN"]), int(0), "-1 disables the log");
}

#[test]
fn slowlog_records_args_trims_and_resets_1_shard() {
    slowlog_case(1);
}

#[test]
fn slowlog_records_args_trims_and_resets_3_shards() {
    slowlog_case(3);
}

#[test]
fn slowlog_max_len_bounds_the_merged_log() {
    let s = start_shardis(3);
    let mut c = s.connect();
    assert_eq!(
        c.cmd(&["CONFIG", "SET", "slowlog-log-slower-than", "0"]),
        ok()
    );
    slowlog_max_len_case(&mut c);
}

/// SET one key on each of the `shards` shards, `rounds` times over; the keys in sent order.
fn set_on_every_shard(c: &mut Conn, prefix: &str, rounds: usize, shards: usize) -> Vec<String> {
    let mut sent = Vec::new();
    for round in 0..rounds {
        for shard in 0..shards {
            let key = key_on(&format!("{prefix}{round}"), shard, shards);
            assert_eq!(shard_of(&key, shards), shard);
            assert_eq!(c.cmd(&["SET", &key, "v"]), ok());
            sent.push(key);
        }
    }
    sent
}

/// The keys of the SET entries, in the order SLOWLOG GET gave them.
fn logged_sets(entries: &[SlowEntry]) -> Vec<String> {
    entries
        .iter()
        .filter(|e| e.args.first().map(String::as_str) == Some("SET"))
        .map(|e| e.args[1].clone())
        .collect()
}

#[test]
fn slowlog_shows_entries_of_every_shard() {
    let shards = 3;
    let s = start_shardis(shards);
    let mut c = s.connect();
    assert_eq!(
        c.cmd(&["CONFIG", "SET", "slowlog-log-slower-than", "0"]),
        ok()
    );
    assert_eq!(c.cmd(&["SLOWLOG", "RESET"]), ok());
    let sent = set_on_every_shard(&mut c, "every", 2, shards);
    let entries = slowlog_get(&mut c, "100");
    let mut logged = logged_sets(&entries);
    logged.sort();
    let mut want = sent.clone();
    want.sort();
    assert_eq!(
        logged, want,
        "a SET entry per key, of every shard: {entries:?}"
    );
    let times: Vec<i64> = entries.iter().map(|e| e.time).collect();
    assert!(
        times.windows(2).all(|w| w[0] >= w[1]),
        "times not increasing: {times:?}"
    );
    // LEN counts every shard's entries: 6 SETs, SLOWLOG RESET, SLOWLOG GET.
    let len = c.cmd(&["SLOWLOG", "LEN"]).int();
    assert!((6..=8).contains(&len), "SLOWLOG LEN {len}: {entries:?}");
    // (slowlog-max-len over several shards: slowlog_max_len_bounds_the_merged_log.)
    // RESET clears every shard's log.
    assert_eq!(
        c.cmd(&["CONFIG", "SET", "slowlog-log-slower-than", "-1"]),
        ok()
    );
    assert_eq!(c.cmd(&["SLOWLOG", "RESET"]), ok());
    assert_eq!(c.cmd(&["SLOWLOG", "LEN"]), int(0));
    assert_eq!(slowlog_get(&mut c, "-1").len(), 0);
}

#[test]
fn slowlog_merged_newest_first_with_unique_ids() {
    let shards = 3;
    let s = start_shardis(shards);
    let mut c = s.connect();
    assert_eq!(
        c.cmd(&["CONFIG", "SET", "slowlog-log-slower-than", "0"]),
        ok()
    );
    assert_eq!(c.cmd(&["SLOWLOG", "RESET"]), ok());
    let mut sent = set_on_every_shard(&mut c, "order", 2, shards);
    let entries = slowlog_get(&mut c, "100");
    sent.reverse();
    assert_eq!(logged_sets(&entries), sent, "newest first: {entries:?}");
    let ids: Vec<i64> = entries.iter().map(|e| e.id).collect();
    assert!(
        ids.windows(2).all(|w| w[0] > w[1]),
        "ids strictly decreasing (so unique): {ids:?}"
    );
    // SLOWLOG RESET ran before every SET, so it is the oldest entry.
    assert_eq!(
        entries.last().map(|e| e.args.clone()),
        Some(vec!["SLOWLOG".to_string(), "RESET".to_string()]),
        "{entries:?}"
    );
}

#[test]
fn slowlog_client_addr_on_every_shard() {
    let shards = 3;
    let s = start_shardis(shards);
    let mut c = s.connect();
    assert_eq!(c.cmd(&["CLIENT", "SETNAME", "addr-check"]), ok());
    assert_eq!(
        c.cmd(&["CONFIG", "SET", "slowlog-log-slower-than", "0"]),
        ok()
    );
    let keys: Vec<String> = (0..shards).map(|i| key_on("addr", i, shards)).collect();
    for k in &keys {
        assert_eq!(c.cmd(&["SET", k, "v"]), ok());
    }
    let addr = format!("127.0.0.1:{}", c.stream.local_addr().unwrap().port());
    let entries = slowlog_get(&mut c, "-1");
    for k in &keys {
        let e = entries
            .iter()
            .find(|e| e.args.get(1) == Some(k))
            .unwrap_or_else(|| panic!("no entry for {k}: {entries:?}"));
        assert_eq!(
            (e.addr.as_str(), e.name.as_str()),
            (addr.as_str(), "addr-check"),
            "entry for {k} (shard {}): {e:?}",
            shard_of(k, shards)
        );
    }
}

// ---------------------------------------------------------------------------
// CONFIG
// ---------------------------------------------------------------------------

/// Pairs of a CONFIG GET reply as a sorted map.
fn config_get(c: &mut Conn, pattern: &str) -> BTreeMap<String, String> {
    let r = c.cmd(&["CONFIG", "GET", pattern]);
    let items = r.array();
    assert!(items.len().is_multiple_of(2), "CONFIG GET {pattern}: {r:?}");
    items
        .chunks(2)
        .map(|p| (p[0].as_str().unwrap(), p[1].as_str().unwrap()))
        .collect()
}

/// CONFIG SET error cases, with Redis 7.0's exact replies.
fn config_error_cases() -> Vec<(Vec<&'static str>, Reply)> {
    vec![
        (
            vec!["CONFIG", "SET", "nosuch-param", "1"],
            err("ERR Unknown option or number of arguments for CONFIG SET - 'nosuch-param'"),
        ),
        (
            vec!["CONFIG", "SET", "databases", "20"],
            err("ERR CONFIG SET failed (possibly related to argument 'databases') - can't set immutable config"),
        ),
        (
            vec!["CONFIG", "SET", "logfile", "/tmp/x.log"],
            err("ERR CONFIG SET failed (possibly related to argument 'logfile') - can't set immutable config"),
        ),
        (
            vec!["CONFIG", "SET", "maxmemory", "lots"],
            err("ERR CONFIG SET failed (possibly related to argument 'maxmemory') - argument must be a memory value"),
        ),
        (
            vec!["CONFIG", "SET", "timeout", "abc"],
            err("ERR CONFIG SET failed (possibly related to argument 'timeout') - argument couldn't be parsed into an integer"),
        ),
        (
            vec!["CONFIG", "SET", "maxmemory-policy", "sometimes"],
            err("ERR CONFIG SET failed (possibly related to argument 'maxmemory-policy') - argument(s) must be one of the following: volatile-lru, volatile-lfu, volatile-random, volatile-ttl, allkeys-lru, allkeys-lfu, allkeys-random, noeviction"),
        ),
        (
            vec!["CONFIG", "SET", "maxclients", "0"],
            err("ERR CONFIG SET failed (possibly related to argument 'maxclients') - argument must be between 1 and 4294967295 inclusive"),
        ),
        (
            vec!["CONFIG", "SET", "latency-tracking", "maybe"],
            err("ERR CONFIG SET failed (possibly related to argument 'latency-tracking') - argument must be 'yes' or 'no'"),
        ),
        (
            vec!["CONFIG", "SET", "timeout", "1", "timeout", "2"],
            err("ERR CONFIG SET failed (possibly related to argument 'timeout') - duplicate parameter"),
        ),
        (
            vec!["CONFIG", "SET", "timeout"],
            err("ERR wrong number of arguments for 'config|set' command"),
        ),
        (
            vec!["CONFIG", "SET", "timeout", "1", "hz"],
            err("ERR syntax error"),
        ),
        (
            vec!["CONFIG", "REWRITE"],
            err("ERR The server is running without a config file"),
        ),
        (
            vec!["CONFIG", "NOSUCH"],
            err("ERR unknown subcommand 'NOSUCH'. Try CONFIG HELP."),
        ),
    ]
}

#[test]
fn config_set_errors_are_redis_errors() {
    let s = start_shardis(3);
    let mut c = s.connect();
    let cases = config_error_cases();
    let mut got = Vec::new();
    for (args, want) in &cases {
        let r = c.cmd(args);
        assert_eq!(&r, want, "{args:?}");
        got.push(r);
    }
    // The same commands against redis-server, when there is one, give the same replies.
    if !target_is_redis() && redis_available() {
        let r = start_redis();
        let mut rc = r.connect();
        for ((args, _), mine) in cases.iter().zip(&got) {
            assert_eq!(&rc.cmd(args), mine, "redis-server disagrees on {args:?}");
        }
    } else if !target_is_redis() {
        eprintln!("NOTICE: config_set_errors_are_redis_errors: no redis-server to compare with");
    }
}

#[test]
fn config_set_is_atomic_and_get_takes_globs() {
    let s = start_shardis(3);
    let mut c = s.connect();
    let before = config_get(&mut c, "maxmemory");
    // A bad value anywhere applies nothing.
    assert!(c
        .cmd(&["CONFIG", "SET", "maxmemory", "10mb", "timeout", "nope"])
        .is_error());
    assert_eq!(config_get(&mut c, "maxmemory"), before);
    assert_eq!(config_get(&mut c, "timeout")["timeout"], "0");
    // Several good pairs apply together.
    assert_eq!(
        c.cmd(&[
            "CONFIG",
            "SET",
            "maxmemory",
            "10mb",
            "timeout",
            "300",
            "slowlog-max-len",
            "77"
        ]),
        ok()
    );
    assert_eq!(config_get(&mut c, "maxmemory")["maxmemory"], "10485760");
    assert_eq!(config_get(&mut c, "timeout")["timeout"], "300");
    // Globs, and several patterns at once (Redis 7).
    let slow = config_get(&mut c, "slowlog*");
    assert_eq!(
        slow.keys().map(String::as_str).collect::<Vec<_>>(),
        ["slowlog-log-slower-than", "slowlog-max-len"]
    );
    assert_eq!(slow["slowlog-max-len"], "77");
    let mm = config_get(&mut c, "maxmemory*");
    for name in ["maxmemory", "maxmemory-policy", "maxmemory-samples"] {
        assert!(mm.contains_key(name), "CONFIG GET maxmemory*: {mm:?}");
    }
    assert!(mm.keys().all(|k| k.starts_with("maxmemory")), "{mm:?}");
    let r = c.cmd(&["CONFIG", "GET", "timeout", "maxclients"]);
    let got: BTreeMap<String, String> = r
        .array()
        .chunks(2)
        .map(|p| (p[0].as_str().unwrap(), p[1].as_str().unwrap()))
        .collect();
    assert_eq!(got.len(), 2, "{r:?}");
    assert_eq!(got["timeout"], "300");
    assert_eq!(config_get(&mut c, "no-such-*"), BTreeMap::new());
    // Names are case-insensitive; a name without glob characters is echoed as given (Redis
    // 7.0 does the same), a pattern gives the canonical names.
    assert_eq!(
        c.cmd(&["CONFIG", "GET", "SLOWLOG-MAX-LEN"]),
        bulks(&["SLOWLOG-MAX-LEN", "77"])
    );
    assert_eq!(
        config_get(&mut c, "SLOWLOG-MAX-*")
            .keys()
            .collect::<Vec<_>>(),
        ["slowlog-max-len"]
    );
    // Every shard took the setting: CONFIG GET from new connections (which the kernel spreads
    // over the shards) agrees.
    for _ in 0..6 {
        let mut other = s.connect();
        assert_eq!(config_get(&mut other, "timeout")["timeout"], "300");
    }
    assert_eq!(
        c.cmd(&["CONFIG", "SET", "maxmemory", "0", "timeout", "0"]),
        ok()
    );
}

/// Wait until INFO reports `n` connected clients. A client that just closed its socket (such
/// as the harness's start-up probe) still counts until the server has seen the close, which
/// takes a few milliseconds; tests of maxclients start from a settled count.
fn wait_connected(c: &mut Conn, n: usize) {
    let want = n.to_string();
    wait_info(c, "clients", &format!("connected_clients:{n}"), |f| {
        f.get("connected_clients") == Some(&want)
    });
}

fn maxclients_case(shards: usize) {
    let s = start_shardis(shards);
    let mut c = s.connect();
    wait_connected(&mut c, 1);
    assert_eq!(c.cmd(&["CONFIG", "SET", "maxclients", "3"]), ok());
    let mut c2 = s.connect();
    assert_eq!(c2.cmd(&["PING"]), pong());
    let mut c3 = s.connect();
    assert_eq!(c3.cmd(&["PING"]), pong());
    wait_connected(&mut c, 3);
    // The fourth connection is told and closed, whichever shard accepted it.
    for attempt in 0..4 {
        let mut extra = s.connect();
        let r = extra.try_read_reply();
        assert!(
            matches!(&r, Ok(Reply::Error(e)) if e == "ERR max number of clients reached"),
            "connection {attempt} over maxclients: {r:?}"
        );
        extra
            .expect_closed(Duration::from_secs(5))
            .unwrap_or_else(|e| panic!("rejected connection not closed: {e}"));
    }
    let stats = wait_info(&mut c, "stats", "rejected_connections:4", |f| {
        f.get("rejected_connections").map(String::as_str) == Some("4")
    });
    assert_eq!(info_u64(&stats, "rejected_connections"), 4);
    // Raising the limit lets new clients in again; existing ones were never touched.
    assert_eq!(c.cmd(&["CONFIG", "SET", "maxclients", "100"]), ok());
    let mut c4 = s.connect();
    assert_eq!(c4.cmd(&["PING"]), pong());
    assert_eq!(c2.cmd(&["PING"]), pong());
    assert_eq!(c3.cmd(&["PING"]), pong());
    // A closed client frees its place.
    assert_eq!(c.cmd(&["CONFIG", "SET", "maxclients", "4"]), ok());
    drop(c4);
    let mut replaced = None;
    let mut last = None;
    for _ in 0..50 {
        let mut n = s.connect();
        n.set_read_timeout(Duration::from_secs(5));
        n.send(&["PING"]);
        match n.try_read_reply() {
            Ok(r) if r == pong() => {
                replaced = Some(n);
                break;
            }
            other => last = Some(format!("{other:?}")),
        }
        thread::sleep(POLL);
    }
    assert!(
        replaced.is_some(),
        "no place freed by a closed client within 5 s: {last:?}"
    );
}

#[test]
fn config_set_maxclients_rejects_new_connections_1_shard() {
    maxclients_case(1);
}

#[test]
fn config_set_maxclients_rejects_new_connections_3_shards() {
    maxclients_case(3);
}

#[test]
fn maxclients_flag_and_metrics_count_rejections() {
    if shardis_only("maxclients_flag_and_metrics_count_rejections") {
        return;
    }
    let s = start_shardis_with_metrics(3, &["--maxclients", "2"]);
    let port = metrics_port(&s);
    let mut c = s.connect();
    assert_eq!(
        c.cmd(&["CONFIG", "GET", "maxclients"]),
        bulks(&["maxclients", "2"])
    );
    wait_connected(&mut c, 1);
    // Accepted (answered) before the next one connects: which shard accepts it is up to the
    // kernel, and the order of accepts on different shards is not the order of connects.
    let mut c2 = s.connect();
    assert_eq!(c2.cmd(&["PING"]), pong());
    wait_connected(&mut c, 2);
    let mut over = s.connect();
    assert_eq!(
        over.try_read_reply().ok(),
        Some(err("ERR max number of clients reached"))
    );
    let e = wait_metrics(port, "rejected_connections_total = 1", |e| {
        e.get("redis_rejected_connections_total", &[]) == Some(1.0)
    });
    assert_eq!(e.types["redis_config_maxclients"], "gauge");
    assert_eq!(e.value("redis_config_maxclients", &[]), 2.0);
}

#[test]
fn config_set_slowlog_threshold_applies_at_once() {
    let s = start_shardis(3);
    let mut c = s.connect();
    assert_eq!(
        c.cmd(&["CONFIG", "SET", "slowlog-log-slower-than", "5000000"]),
        ok()
    );
    assert_eq!(c.cmd(&["SLOWLOG", "RESET"]), ok());
    for i in 0..6 {
        assert_eq!(c.cmd(&["SET", &format!("thr-{i}"), "v"]), ok());
    }
    assert_eq!(c.cmd(&["SLOWLOG", "LEN"]), int(0));
    assert_eq!(
        c.cmd(&["CONFIG", "SET", "slowlog-log-slower-than", "0"]),
        ok()
    );
    // Every key, whichever shard owns it, is logged from the very next command on.
    for i in 0..6 {
        assert_eq!(c.cmd(&["GET", &format!("thr-{i}")]), bulk("v"));
    }
    let gets = slowlog_get(&mut c, "-1")
        .into_iter()
        .filter(|e| e.args.first().map(String::as_str) == Some("GET"))
        .count();
    assert_eq!(gets, 6);
}

#[test]
fn config_set_requirepass_applies_to_new_connections() {
    let s = start_shardis(3);
    let mut c = s.connect();
    assert_eq!(c.cmd(&["CONFIG", "SET", "requirepass", "runtime-pw"]), ok());
    // The connection that set it stays authenticated.
    assert_eq!(c.cmd(&["SET", "rp", "1"]), ok());
    for _ in 0..4 {
        let mut n = s.connect();
        assert_eq!(
            n.cmd(&["GET", "rp"]),
            err("NOAUTH Authentication required.")
        );
        assert_eq!(n.cmd(&["AUTH", "runtime-pw"]), ok());
        assert_eq!(n.cmd(&["GET", "rp"]), bulk("1"));
    }
    assert_eq!(
        config_get(&mut c, "requirepass")["requirepass"],
        "runtime-pw"
    );
    assert_eq!(c.cmd(&["CONFIG", "SET", "requirepass", ""]), ok());
    let mut n = s.connect();
    assert_eq!(n.cmd(&["GET", "rp"]), bulk("1"));
}

#[test]
fn config_rewrite_keeps_comments_and_survives_a_restart() {
    if shardis_only("config_rewrite_keeps_comments_and_survives_a_restart") {
        return;
    }
    let dir = TempDir::new("rewrite");
    let file = dir.join("shardis.yaml");
    let original = "# Operator's note: keep this comment.\n\
                    slowlog-max-len: 64   # inline comment stays too\n\
                    # timeout: 300\n";
    std::fs::write(&file, original).expect("write config");
    let path = file.to_str().expect("utf-8 path");
    let shards = 2;
    {
        let s = start_shardis_with(shards, &["--config", path]);
        let mut c = s.connect();
        assert_eq!(
            c.cmd(&["CONFIG", "GET", "slowlog-max-len"]),
            bulks(&["slowlog-max-len", "64"])
        );
        assert_eq!(c.cmd(&["CONFIG", "SET", "maxmemory", "100mb"]), ok());
        assert_eq!(c.cmd(&["CONFIG", "SET", "slowlog-max-len", "65"]), ok());
        assert_eq!(c.cmd(&["CONFIG", "REWRITE"]), ok());
        let info = info(&mut c, &["server"]);
        let shown = std::path::PathBuf::from(&info["config_file"]);
        assert_eq!(
            std::fs::canonicalize(&shown).ok(),
            std::fs::canonicalize(&file).ok(),
            "INFO config_file"
        );
    }
    let text = std::fs::read_to_string(&file).expect("read rewritten config");
    assert!(
        text.contains("# Operator's note: keep this comment.\n"),
        "comment lost:\n{text}"
    );
    assert!(
        text.lines().any(|l| l.trim_end() == "maxmemory: 100mb"),
        "no `maxmemory: 100mb` line:\n{text}"
    );
    let slow: Vec<&str> = text
        .lines()
        .filter(|l| l.starts_with("slowlog-max-len:"))
        .collect();
    assert_eq!(slow.len(), 1, "slowlog-max-len once:\n{text}");
    assert!(slow[0].starts_with("slowlog-max-len: 65"), "{text}");
    assert!(
        text.contains("# inline comment stays too"),
        "inline comment lost:\n{text}"
    );
    // The file is still YAML the server (and anyone) can read.
    let yaml: serde_yaml::Value = serde_yaml::from_str(&text).expect("rewritten file is YAML");
    assert!(yaml.get("maxmemory").is_some(), "{yaml:?}");

    let s = start_shardis_with(shards, &["--config", path]);
    let mut c = s.connect();
    assert_eq!(
        c.cmd(&["CONFIG", "GET", "maxmemory"]),
        bulks(&["maxmemory", "104857600"])
    );
    assert_eq!(
        c.cmd(&["CONFIG", "GET", "slowlog-max-len"]),
        bulks(&["slowlog-max-len", "65"])
    );
    // A second rewrite with nothing changed leaves the file as it is.
    assert_eq!(c.cmd(&["CONFIG", "REWRITE"]), ok());
    let again = std::fs::read_to_string(&file).expect("read config");
    let strip_port = |t: &str| -> String {
        t.lines()
            .filter(|l| !l.starts_with("port:"))
            .collect::<Vec<_>>()
            .join("\n")
    };
    assert_eq!(strip_port(&again), strip_port(&text), "second rewrite");
}

// ---------------------------------------------------------------------------
// AUTH
// ---------------------------------------------------------------------------

const NOAUTH: &str = "NOAUTH Authentication required.";
const WRONGPASS: &str = "WRONGPASS invalid username-password pair or user is disabled.";

fn auth_case(shards: usize) {
    let s = start_shardis_with(shards, &["--requirepass", "s3cret"]);
    // Keys on every shard: a forwarded command is refused as well as a local one.
    let keys: Vec<String> = (0..shards).map(|i| key_on("auth", i, shards)).collect();
    let mut c = s.connect();
    assert_eq!(c.cmd(&["PING"]), err(NOAUTH));
    for k in &keys {
        assert_eq!(c.cmd(&["SET", k, "v"]), err(NOAUTH));
        assert_eq!(c.cmd(&["GET", k]), err(NOAUTH));
    }
    assert_eq!(c.cmd(&["AUTH", "wrong"]), err(WRONGPASS));
    assert_eq!(c.cmd(&["AUTH", "default", "wrong"]), err(WRONGPASS));
    assert_eq!(c.cmd(&["AUTH", "nosuchuser", "s3cret"]), err(WRONGPASS));
    assert_eq!(c.cmd(&["GET", &keys[0]]), err(NOAUTH));
    assert_eq!(c.cmd(&["AUTH", "a", "b", "c"]), err("ERR syntax error"));
    assert_eq!(c.cmd(&["AUTH", "s3cret"]), ok());
    assert_eq!(c.cmd(&["PING"]), pong());
    for k in &keys {
        assert_eq!(c.cmd(&["SET", k, "v"]), ok());
    }
    // AUTH default <pass>.
    let mut c2 = s.connect();
    assert_eq!(c2.cmd(&["AUTH", "default", "s3cret"]), ok());
    for k in &keys {
        assert_eq!(c2.cmd(&["GET", k]), bulk("v"));
    }
    // HELLO 3 AUTH: authenticates and switches to RESP3 in one go.
    let mut c3 = s.connect();
    assert_eq!(
        c3.cmd(&["HELLO", "3", "AUTH", "default", "wrong"]),
        err(WRONGPASS)
    );
    assert_eq!(c3.cmd(&["GET", &keys[0]]), err(NOAUTH));
    let hello = c3.cmd(&["HELLO", "3", "AUTH", "default", "s3cret"]);
    let Reply::Map(pairs) = &hello else {
        panic!("HELLO 3 reply is not a map: {hello:?}");
    };
    let proto = pairs
        .iter()
        .find(|(k, _)| k.as_str().as_deref() == Some("proto"))
        .map(|(_, v)| v.clone());
    assert_eq!(proto, Some(int(3)), "{hello:?}");
    assert_eq!(c3.cmd(&["PING"]), pong());
    assert_eq!(c3.cmd(&["GET", &keys[shards - 1]]), bulk("v"));
    // HELLO 2 AUTH works as well, and a HELLO without AUTH is refused before auth.
    let mut c4 = s.connect();
    // (Redis 7.0 goes on "...otherwise the HELLO AUTH <user> <pass> option...", 7.2 with
    // "HELLO <proto> AUTH": only the common start is checked.)
    let r = c4.cmd(&["HELLO", "2"]);
    assert!(
        matches!(&r, Reply::Error(e) if e.starts_with(
            "NOAUTH HELLO must be called with the client already authenticated, otherwise the HELLO"
        )),
        "HELLO before AUTH: {r:?}"
    );
    let hello = c4.cmd(&["HELLO", "2", "AUTH", "default", "s3cret"]);
    assert!(hello.as_array().is_some(), "HELLO 2 reply: {hello:?}");
    assert_eq!(c4.cmd(&["GET", &keys[0]]), bulk("v"));
    // Commands a client may always send.
    let mut c5 = s.connect();
    assert_eq!(c5.cmd(&["QUIT"]), ok());
}

#[test]
fn auth_required_with_requirepass_1_shard() {
    auth_case(1);
}

#[test]
fn auth_required_with_requirepass_3_shards() {
    auth_case(3);
}

#[test]
fn auth_without_a_password_configured() {
    let s = start_shardis(1);
    let mut c = s.connect();
    assert_eq!(
        c.cmd(&["AUTH", "whatever"]),
        err("ERR AUTH <password> called without any password configured for the default user. Are you sure your configuration is correct?")
    );
    // `default` with any password is accepted when the user has no password (nopass).
    assert_eq!(c.cmd(&["AUTH", "default", "whatever"]), ok());
    assert_eq!(c.cmd(&["PING"]), pong());
}

// ---------------------------------------------------------------------------
// CLIENT PAUSE
// ---------------------------------------------------------------------------

fn pause_write_case(shards: usize) {
    let s = start_shardis(shards);
    let keys: Vec<String> = (0..shards).map(|i| key_on("pause", i, shards)).collect();
    let mut admin = s.connect();
    let mut reader = s.connect();
    for k in &keys {
        assert_eq!(admin.cmd(&["SET", k, "old"]), ok());
    }
    let pause_ms = 1500u64;
    let t0 = Instant::now();
    assert_eq!(
        admin.cmd(&["CLIENT", "PAUSE", &pause_ms.to_string(), "WRITE"]),
        ok()
    );
    // One writer per key, each its own connection.
    let mut writers: Vec<Conn> = keys.iter().map(|_| s.connect()).collect();
    for (w, k) in writers.iter_mut().zip(&keys) {
        w.send(&["SET", k, "new"]);
    }
    thread::sleep(Duration::from_millis(200));
    // Reads go through at once and see the old values.
    for k in &keys {
        let t = Instant::now();
        assert_eq!(reader.cmd(&["GET", k]), bulk("old"), "GET {k} while paused");
        assert!(
            t.elapsed() < Duration::from_millis(pause_ms / 2),
            "GET {k} waited {:?} during a WRITE pause",
            t.elapsed()
        );
    }
    assert_eq!(reader.cmd(&["PING"]), pong());
    // Each SET is answered only once the pause has ended.
    for (w, k) in writers.iter_mut().zip(&keys) {
        w.set_read_timeout(Duration::from_secs(10));
        let r = w.read_reply();
        let waited = t0.elapsed();
        assert_eq!(r, ok(), "SET {k}");
        assert!(
            waited >= Duration::from_millis(pause_ms - 100),
            "SET {k} answered after {waited:?}, before the {pause_ms} ms pause ended"
        );
    }
    assert!(
        t0.elapsed() < Duration::from_millis(pause_ms + 3000),
        "writes held long after the pause: {:?}",
        t0.elapsed()
    );
    for k in &keys {
        assert_eq!(reader.cmd(&["GET", k]), bulk("new"));
    }
}

#[test]
fn client_pause_write_holds_writes_not_reads_1_shard() {
    pause_write_case(1);
}

#[test]
fn client_pause_write_holds_writes_not_reads_3_shards() {
    pause_write_case(3);
}

#[test]
fn client_pause_all_holds_reads_too() {
    let shards = 3;
    let s = start_shardis(shards);
    let keys: Vec<String> = (0..shards).map(|i| key_on("pall", i, shards)).collect();
    let mut admin = s.connect();
    for k in &keys {
        assert_eq!(admin.cmd(&["SET", k, "v"]), ok());
    }
    let pause_ms = 1500u64;
    let t0 = Instant::now();
    assert_eq!(
        admin.cmd(&["CLIENT", "PAUSE", &pause_ms.to_string(), "ALL"]),
        ok()
    );
    let mut readers: Vec<Conn> = keys.iter().map(|_| s.connect()).collect();
    for (r, k) in readers.iter_mut().zip(&keys) {
        r.send(&["GET", k]);
    }
    for (r, k) in readers.iter_mut().zip(&keys) {
        r.set_read_timeout(Duration::from_secs(10));
        assert_eq!(r.read_reply(), bulk("v"), "GET {k}");
        let waited = t0.elapsed();
        assert!(
            waited >= Duration::from_millis(pause_ms - 100),
            "GET {k} answered after {waited:?}, during CLIENT PAUSE {pause_ms} ALL"
        );
    }
    assert!(
        t0.elapsed() < Duration::from_millis(pause_ms + 3000),
        "reads held long after the pause: {:?}",
        t0.elapsed()
    );
}

#[test]
fn client_unpause_ends_a_write_pause_early() {
    let shards = 3;
    let s = start_shardis(shards);
    let keys: Vec<String> = (0..shards).map(|i| key_on("unp", i, shards)).collect();
    let mut admin = s.connect();
    assert_eq!(admin.cmd(&["CLIENT", "PAUSE", "20000", "WRITE"]), ok());
    let t0 = Instant::now();
    let mut writers: Vec<Conn> = keys.iter().map(|_| s.connect()).collect();
    for (w, k) in writers.iter_mut().zip(&keys) {
        w.send(&["SET", k, "v"]);
    }
    // Still held after half a second...
    for w in writers.iter_mut() {
        w.set_read_timeout(Duration::from_millis(500));
        match w.try_read_reply() {
            Err(ReadError::Timeout) => {}
            other => panic!("a SET was answered during CLIENT PAUSE WRITE: {other:?}"),
        }
    }
    // ...until UNPAUSE (not a write, so not held itself).
    assert_eq!(admin.cmd(&["CLIENT", "UNPAUSE"]), ok());
    for w in writers.iter_mut() {
        w.set_read_timeout(Duration::from_secs(5));
        assert_eq!(w.read_reply(), ok());
    }
    assert!(
        t0.elapsed() < Duration::from_secs(10),
        "UNPAUSE did not end the 20 s pause early: {:?}",
        t0.elapsed()
    );
    for k in &keys {
        assert_eq!(admin.cmd(&["GET", k]), bulk("v"));
    }
    assert_eq!(
        admin.cmd(&["CLIENT", "PAUSE", "abc"]),
        err("ERR timeout is not an integer or out of range")
    );
    assert!(admin.cmd(&["CLIENT", "PAUSE", "10", "SOME"]).is_error());
    assert_eq!(admin.cmd(&["CLIENT", "UNPAUSE"]), ok());
}

#[test]
fn client_pause_bad_mode_error_matches_redis() {
    let s = start_shardis(1);
    let mut c = s.connect();
    assert_eq!(
        c.cmd(&["CLIENT", "PAUSE", "10", "SOME"]),
        err("ERR CLIENT PAUSE mode must be WRITE or ALL")
    );
}

// ---------------------------------------------------------------------------
// MONITOR
// ---------------------------------------------------------------------------

/// `+1700000000.123456 [0 127.0.0.1:5555] "set" "k" "v"` -> (db, addr, args).
fn parse_monitor_line(line: &str) -> Option<(u32, String, Vec<String>)> {
    let (stamp, rest) = line.split_once(' ')?;
    let (secs, micros) = stamp.split_once('.')?;
    secs.parse::<u64>().ok()?;
    if micros.len() != 6 || micros.parse::<u32>().is_err() {
        return None;
    }
    let rest = rest.strip_prefix('[')?;
    let (client, args) = rest.split_once("] ")?;
    let (db, addr) = client.split_once(' ')?;
    let mut out = Vec::new();
    let mut chars = args.chars();
    loop {
        match chars.next() {
            None => break,
            Some(' ') => continue,
            Some('"') => {
                let mut arg = String::new();
                loop {
                    match chars.next()? {
                        '"' => break,
                        '\\' => arg.push(chars.next()?),
                        c => arg.push(c),
                    }
                }
                out.push(arg);
            }
            Some(_) => return None,
        }
    }
    Some((db.parse().ok()?, addr.to_string(), out))
}

#[test]
fn monitor_line_parser() {
    assert_eq!(
        parse_monitor_line(r#"1700000000.123456 [0 127.0.0.1:5555] "set" "k" "v \"q\"""#),
        Some((
            0,
            "127.0.0.1:5555".to_string(),
            vec!["set".to_string(), "k".to_string(), "v \"q\"".to_string()]
        ))
    );
    assert_eq!(parse_monitor_line("1700000000.12 [0 x] \"a\""), None);
    assert_eq!(parse_monitor_line("garbage"), None);
}

fn monitor_case(shards: usize) {
    let s = start_shardis(shards);
    let mut mon = s.connect();
    assert_eq!(mon.cmd(&["MONITOR"]), ok());
    let mut w = s.connect();
    let waddr = format!("127.0.0.1:{}", w.stream.local_addr().unwrap().port());
    let mut expected: Vec<(u32, Vec<String>)> = Vec::new();
    let start = unix_now();
    for round in 0..2 {
        for shard in 0..shards {
            let key = key_on(&format!("mon{round}"), shard, shards);
            let value = format!("value {round} \"{shard}\"");
            // Lower case for some, upper for others: the feed shows arguments as sent.
            let name = if shard % 2 == 0 { "SET" } else { "set" };
            assert_eq!(w.cmd(&[name, &key, &value]), ok());
            expected.push((0, vec![name.into(), key.clone(), value]));
        }
    }
    assert_eq!(w.cmd(&["SELECT", "3"]), ok());
    expected.push((0, vec!["SELECT".into(), "3".into()]));
    let key = key_on("mon-db3", shards - 1, shards);
    assert_eq!(w.cmd(&["GET", &key]), nil());
    expected.push((3, vec!["GET".into(), key]));

    // Read the feed until every command showed up (bounded in lines and time).
    let deadline = Instant::now() + SETTLE;
    let mut seen: Vec<(u32, String, Vec<String>)> = Vec::new();
    mon.set_read_timeout(Duration::from_secs(1));
    while seen.len() < expected.len() && Instant::now() < deadline {
        match mon.try_read_reply() {
            Ok(Reply::Simple(line)) => {
                let parsed = parse_monitor_line(&line)
                    .unwrap_or_else(|| panic!("bad MONITOR line {line:?}"));
                let stamp: f64 = line.split(' ').next().unwrap().parse().unwrap();
                assert!(
                    (start as f64 - 1.0..=unix_now() as f64 + 1.0).contains(&stamp),
                    "timestamp {stamp} in {line:?}"
                );
                seen.push(parsed);
            }
            Ok(other) => panic!("MONITOR sent a non-status reply: {other:?}"),
            Err(ReadError::Timeout) => {}
            Err(e) => panic!("MONITOR connection: {e:?}"),
        }
    }
    let got: Vec<(u32, Vec<String>)> = seen.iter().map(|(db, _, a)| (*db, a.clone())).collect();
    // The database shown for SELECT itself: monitor_select_line_shows_the_new_db.
    let mask_select = |v: &[(u32, Vec<String>)]| -> Vec<(Option<u32>, Vec<String>)> {
        v.iter()
            .map(|(db, a)| ((a[0] != "SELECT").then_some(*db), a.clone()))
            .collect()
    };
    assert_eq!(
        mask_select(&got),
        mask_select(&expected),
        "MONITOR feed, in order: {got:?}"
    );
    for (_, addr, _) in &seen {
        assert_eq!(addr, &waddr);
    }
    // A second monitor: both see the next command of any client.
    let mut mon2 = s.connect();
    assert_eq!(mon2.cmd(&["MONITOR"]), ok());
    assert_eq!(w.cmd(&["PING"]), pong());
    for m in [&mut mon2, &mut mon] {
        m.set_read_timeout(Duration::from_secs(5));
        let r = m.read_reply();
        let line = r.as_str().unwrap_or_default();
        let parsed = parse_monitor_line(&line).unwrap_or_else(|| panic!("{r:?}"));
        assert_eq!(parsed, (3, waddr.clone(), vec!["PING".to_string()]));
    }
}

#[test]
fn monitor_select_line_shows_the_new_db() {
    let s = start_shardis(1);
    let mut mon = s.connect();
    assert_eq!(mon.cmd(&["MONITOR"]), ok());
    let mut w = s.connect();
    assert_eq!(w.cmd(&["SELECT", "3"]), ok());
    mon.set_read_timeout(Duration::from_secs(5));
    let r = mon.read_reply();
    let line = r.as_str().unwrap_or_default();
    let (db, _, args) = parse_monitor_line(&line).unwrap_or_else(|| panic!("{r:?}"));
    assert_eq!(args, ["SELECT", "3"]);
    assert_eq!(db, 3, "{line}");
}

#[test]
fn monitor_sees_commands_on_every_shard_1_shard() {
    monitor_case(1);
}

#[test]
fn monitor_sees_commands_on_every_shard_3_shards() {
    monitor_case(3);
}

// ---------------------------------------------------------------------------
// LATENCY
// ---------------------------------------------------------------------------

/// A map key as text: a string, or an integer (histogram bucket bounds).
fn key_text(r: &Reply) -> String {
    match r {
        Reply::Integer(i) => i.to_string(),
        other => other
            .as_str()
            .unwrap_or_else(|| panic!("map key neither string nor integer: {other:?}")),
    }
}

/// Flatten a RESP2 map-as-array or RESP3 map into (key, value) pairs.
fn pairs(r: &Reply) -> Vec<(String, Reply)> {
    match r {
        Reply::Map(p) => p.iter().map(|(k, v)| (key_text(k), v.clone())).collect(),
        other => {
            let items = other.array();
            assert!(items.len().is_multiple_of(2), "odd map-as-array {other:?}");
            items
                .chunks(2)
                .map(|p| (key_text(&p[0]), p[1].clone()))
                .collect()
        }
    }
}

fn latency_case(shards: usize) {
    let s = start_shardis(shards);
    let mut c = s.connect();
    // A set of 200k members in one slot; SUNIONSTORE copies it all (well over 1 ms).
    let mut sadd: Vec<String> = Vec::with_capacity(10_002);
    for chunk in 0..20 {
        sadd.clear();
        sadd.push("SADD".into());
        sadd.push("{lat}big".into());
        for i in 0..10_000 {
            sadd.push(format!("member-{chunk}-{i}"));
        }
        assert_eq!(c.cmd(&sadd), int(10_000));
    }
    assert!(c.cmd(&["LATENCY", "RESET"]).as_int().is_some());
    assert_eq!(c.cmd(&["LATENCY", "LATEST"]), arr(vec![]));
    assert_eq!(
        c.cmd(&["CONFIG", "SET", "latency-monitor-threshold", "1"]),
        ok()
    );
    let before = unix_now();
    let mut latest = Vec::new();
    for _ in 0..10 {
        assert_eq!(
            c.cmd(&["SUNIONSTORE", "{lat}dst", "{lat}big"]),
            int(200_000)
        );
        latest = c.cmd(&["LATENCY", "LATEST"]).array().to_vec();
        if latest
            .iter()
            .any(|e| e.array()[0].as_str().as_deref() == Some("command"))
        {
            break;
        }
    }
    let event = latest
        .iter()
        .find(|e| e.array()[0].as_str().as_deref() == Some("command"))
        .unwrap_or_else(|| panic!("no `command` event after 10 SUNIONSTOREs: {latest:?}"))
        .array()
        .to_vec();
    assert!(event.len() >= 4, "LATENCY LATEST entry {event:?}");
    let time = event[1].int();
    let last_ms = event[2].int();
    let max_ms = event[3].int();
    assert!(
        (before - 1..=unix_now() + 1).contains(&time),
        "event time {time}"
    );
    assert!(last_ms >= 1 && max_ms >= last_ms, "{event:?}");

    let history = c.cmd(&["LATENCY", "HISTORY", "command"]);
    let samples = history.array();
    assert!(!samples.is_empty(), "LATENCY HISTORY command: {history:?}");
    for sample in samples {
        let p = sample.array();
        assert_eq!(p.len(), 2, "{sample:?}");
        assert!((before - 1..=unix_now() + 1).contains(&p[0].int()));
        assert!(p[1].int() >= 1, "{sample:?}");
    }
    assert_eq!(c.cmd(&["LATENCY", "HISTORY", "no-such-event"]), arr(vec![]));
    let doctor = c.cmd(&["LATENCY", "DOCTOR"]);
    let text = doctor.as_str().unwrap_or_default();
    assert!(text.contains("command"), "LATENCY DOCTOR: {text}");

    // Monitoring off first: on a loaded machine any command (LATENCY itself
    // included) may take a millisecond and add an event after the RESET.
    assert_eq!(
        c.cmd(&["CONFIG", "SET", "latency-monitor-threshold", "0"]),
        ok()
    );
    // RESET answers how many event series it dropped.
    let events = c.cmd(&["LATENCY", "LATEST"]).array().len() as i64;
    assert!(events >= 1);
    assert_eq!(c.cmd(&["LATENCY", "RESET"]), int(events));
    assert_eq!(c.cmd(&["LATENCY", "LATEST"]), arr(vec![]));
    assert_eq!(c.cmd(&["LATENCY", "HISTORY", "command"]), arr(vec![]));
    assert_eq!(c.cmd(&["LATENCY", "RESET"]), int(0));
}

#[test]
fn latency_monitor_records_a_slow_command_1_shard() {
    latency_case(1);
}

#[test]
fn latency_monitor_records_a_slow_command_3_shards() {
    latency_case(3);
}

#[test]
fn latency_histogram_counts_calls() {
    let shards = 3;
    let s = start_shardis(shards);
    let mut c = s.connect();
    let keys: Vec<String> = (0..shards).map(|i| key_on("hist", i, shards)).collect();
    for k in &keys {
        assert_eq!(c.cmd(&["SET", k, "v"]), ok());
    }
    assert_eq!(c.cmd(&["CONFIG", "RESETSTAT"]), ok());
    for i in 0..12 {
        c.cmd(&["GET", &keys[i % keys.len()]]);
    }
    assert_eq!(c.cmd(&["SET", &keys[0], "w"]), ok());
    let r = c.cmd(&["LATENCY", "HISTOGRAM", "get", "set", "nosuchcmd"]);
    let by_cmd: HashMap<String, Reply> = pairs(&r).into_iter().collect();
    assert_eq!(
        by_cmd.keys().collect::<std::collections::BTreeSet<_>>(),
        ["get".to_string(), "set".to_string()].iter().collect(),
        "{r:?}"
    );
    for (cmd, calls) in [("get", 12), ("set", 1)] {
        let fields: HashMap<String, Reply> = pairs(&by_cmd[cmd]).into_iter().collect();
        assert_eq!(fields["calls"], int(calls), "{cmd}: {r:?}");
        let buckets = pairs(&fields["histogram_usec"]);
        assert!(!buckets.is_empty(), "{cmd}: {r:?}");
        let counts: Vec<i64> = buckets.iter().map(|(_, v)| v.int()).collect();
        let bounds: Vec<u64> = buckets
            .iter()
            .map(|(k, _)| k.parse().expect("bucket bound"))
            .collect();
        assert!(bounds.windows(2).all(|w| w[0] < w[1]), "{bounds:?}");
        assert!(counts.windows(2).all(|w| w[0] <= w[1]), "{counts:?}");
        assert_eq!(counts.last(), Some(&calls), "{cmd}: cumulative total");
    }
    // No argument: every command with calls, this HISTOGRAM included? At least get and set.
    let all: HashMap<String, Reply> = pairs(&c.cmd(&["LATENCY", "HISTOGRAM"]))
        .into_iter()
        .collect();
    assert!(
        all.contains_key("get") && all.contains_key("set"),
        "{all:?}"
    );
}

// ---------------------------------------------------------------------------
// timeout
// ---------------------------------------------------------------------------

fn timeout_case(shards: usize) {
    let s = start_shardis(shards);
    let mut admin = s.connect();
    let mut idle: Vec<Conn> = (0..4).map(|_| s.connect()).collect();
    let mut busy = s.connect();
    for c in idle.iter_mut() {
        assert_eq!(c.cmd(&["PING"]), pong());
    }
    assert_eq!(admin.cmd(&["CONFIG", "SET", "timeout", "1"]), ok());
    let t0 = Instant::now();
    // The busy client talks every 300 ms and must stay.
    let busy_thread = thread::spawn(move || {
        let end = Instant::now() + Duration::from_millis(2500);
        let mut n = 0;
        while Instant::now() < end && n < 100 {
            assert_eq!(busy.cmd(&["PING"]), pong(), "busy client after {n} PINGs");
            n += 1;
            thread::sleep(Duration::from_millis(300));
        }
        busy
    });
    for (i, c) in idle.iter_mut().enumerate() {
        let left = Duration::from_secs(4).saturating_sub(t0.elapsed());
        c.expect_closed(left.max(Duration::from_millis(1)))
            .unwrap_or_else(|e| {
                panic!(
                    "idle client {i} not closed within 4 s of timeout 1: {e} ({:?})",
                    t0.elapsed()
                )
            });
    }
    assert!(
        t0.elapsed() >= Duration::from_millis(900),
        "idle clients closed after {:?}, before the 1 s timeout",
        t0.elapsed()
    );
    let mut busy = busy_thread.join().expect("busy client thread");
    assert_eq!(busy.cmd(&["PING"]), pong());
    // timeout 0: nobody is closed.
    assert_eq!(busy.cmd(&["CONFIG", "SET", "timeout", "0"]), ok());
    let mut quiet = s.connect();
    assert_eq!(quiet.cmd(&["PING"]), pong());
    thread::sleep(Duration::from_millis(2200));
    assert_eq!(quiet.cmd(&["PING"]), pong());
}

#[test]
fn timeout_closes_idle_clients_1_shard() {
    timeout_case(1);
}

#[test]
fn timeout_closes_idle_clients_3_shards() {
    timeout_case(3);
}

#[test]
fn timeout_spares_blocked_clients() {
    let s = start_shardis_with(3, &["--timeout", "1"]);
    let mut blocked = s.connect();
    blocked.send(&["BLPOP", "to-list", "0"]);
    thread::sleep(Duration::from_millis(2500));
    let mut c = s.connect();
    assert_eq!(c.cmd(&["RPUSH", "to-list", "x"]), int(1));
    blocked.set_read_timeout(Duration::from_secs(5));
    assert_eq!(blocked.read_reply(), bulks(&["to-list", "x"]));
}
