//! The deployment files against the real tools: a real Prometheus scraping a real Shardis,
//! and `systemd-analyze verify` on deploy/shardis.service (plus a check of the unit's key
//! settings that needs no systemd).
//!
//! A missing `prometheus` or `systemd-analyze` skips its test with a notice, except when `CI`
//! is set: then it is a failure (`.ci/test.sh` installs both). `PROMETHEUS_BIN` and
//! `SYSTEMD_ANALYZE_BIN` override the executables.

mod common;

use common::*;
use std::collections::BTreeMap;
use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::thread;
use std::time::{Duration, Instant};

// ---------------------------------------------------------------------------
// Tools
// ---------------------------------------------------------------------------

fn tool(env: &str, default: &str) -> String {
    std::env::var(env).unwrap_or_else(|_| default.to_string())
}

/// Does `bin --version` (or `bin version_arg`) run?
fn runs(bin: &str, arg: &str) -> bool {
    Command::new(bin)
        .arg(arg)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok()
}

/// True if the tool is there. Otherwise: a failure when `CI` is set, else a notice and false
/// (the caller returns, i.e. the test is skipped).
fn require_tool(test: &str, bin: &str, package: &str) -> bool {
    if runs(bin, "--version") {
        return true;
    }
    if std::env::var_os("CI").is_some() {
        panic!(
            "{test}: `{bin}` not found and CI is set: install Debian's `{package}` package \
             (.ci/test.sh does)"
        );
    }
    eprintln!("NOTICE: {test} skipped: `{bin}` not available (Debian package `{package}`)");
    false
}

/// A child process killed and reaped on drop.
struct Guard {
    child: Child,
}

impl Guard {
    fn exited(&mut self) -> Option<ExitStatus> {
        self.child.try_wait().ok().flatten()
    }
}

impl Drop for Guard {
    fn drop(&mut self) {
        if self.exited().is_none() {
            let _ = self.child.kill();
        }
        let _ = self.child.wait();
    }
}

/// Run a command to completion within `limit` (killed past it); (status, stdout, stderr).
fn run_bounded(cmd: &mut Command, limit: Duration) -> (ExitStatus, String, String) {
    let dir = TempDir::new("run");
    let out_path = dir.join("stdout");
    let err_path = dir.join("stderr");
    let child = cmd
        .stdin(Stdio::null())
        .stdout(File::create(&out_path).expect("stdout file"))
        .stderr(File::create(&err_path).expect("stderr file"))
        .spawn()
        .unwrap_or_else(|e| panic!("cannot run {cmd:?}: {e}"));
    let mut guard = Guard { child };
    let deadline = Instant::now() + limit;
    let status = loop {
        if let Some(status) = guard.exited() {
            break status;
        }
        if Instant::now() >= deadline {
            panic!("{cmd:?} still running after {limit:?}");
        }
        thread::sleep(Duration::from_millis(50));
    };
    let read = |p: &Path| std::fs::read_to_string(p).unwrap_or_default();
    (status, read(&out_path), read(&err_path))
}

// ---------------------------------------------------------------------------
// A little JSON, for Prometheus's HTTP API
// ---------------------------------------------------------------------------

#[derive(Debug, Clone, PartialEq)]
enum Json {
    Null,
    Bool(bool),
    Num(f64),
    Str(String),
    Arr(Vec<Json>),
    Obj(BTreeMap<String, Json>),
}

impl Json {
    fn get(&self, key: &str) -> Option<&Json> {
        match self {
            Json::Obj(m) => m.get(key),
            _ => None,
        }
    }
    fn str(&self) -> Option<&str> {
        match self {
            Json::Str(s) => Some(s),
            _ => None,
        }
    }
    fn arr(&self) -> Option<&[Json]> {
        match self {
            Json::Arr(v) => Some(v),
            _ => None,
        }
    }
}

fn parse_json(text: &str) -> Result<Json, String> {
    let bytes = text.as_bytes();
    let mut pos = 0;
    let v = json_value(bytes, &mut pos, 0)?;
    skip_ws(bytes, &mut pos);
    if pos != bytes.len() {
        return Err(format!("trailing data at {pos}"));
    }
    Ok(v)
}

fn skip_ws(b: &[u8], pos: &mut usize) {
    while *pos < b.len() && b[*pos].is_ascii_whitespace() {
        *pos += 1;
    }
}

fn json_value(b: &[u8], pos: &mut usize, depth: usize) -> Result<Json, String> {
    if depth > 64 {
        return Err("nested too deep".into());
    }
    skip_ws(b, pos);
    let Some(&c) = b.get(*pos) else {
        return Err("unexpected end".into());
    };
    match c {
        b'{' => {
            *pos += 1;
            let mut m = BTreeMap::new();
            skip_ws(b, pos);
            if b.get(*pos) == Some(&b'}') {
                *pos += 1;
                return Ok(Json::Obj(m));
            }
            loop {
                skip_ws(b, pos);
                let Json::Str(k) = json_value(b, pos, depth + 1)? else {
                    return Err(format!("object key not a string at {pos}"));
                };
                skip_ws(b, pos);
                if b.get(*pos) != Some(&b':') {
                    return Err(format!("expected ':' at {pos}"));
                }
                *pos += 1;
                let v = json_value(b, pos, depth + 1)?;
                m.insert(k, v);
                skip_ws(b, pos);
                match b.get(*pos) {
                    Some(b',') => *pos += 1,
                    Some(b'}') => {
                        *pos += 1;
                        return Ok(Json::Obj(m));
                    }
                    _ => return Err(format!("expected ',' or '}}' at {pos}")),
                }
            }
        }
        b'[' => {
            *pos += 1;
            let mut v = Vec::new();
            skip_ws(b, pos);
            if b.get(*pos) == Some(&b']') {
                *pos += 1;
                return Ok(Json::Arr(v));
            }
            loop {
                v.push(json_value(b, pos, depth + 1)?);
                skip_ws(b, pos);
                match b.get(*pos) {
                    Some(b',') => *pos += 1,
                    Some(b']') => {
                        *pos += 1;
                        return Ok(Json::Arr(v));
                    }
                    _ => return Err(format!("expected ',' or ']' at {pos}")),
                }
            }
        }
        b'"' => {
            *pos += 1;
            let mut out = String::new();
            loop {
                let Some(&c) = b.get(*pos) else {
                    return Err("unterminated string".into());
                };
                *pos += 1;
                match c {
                    b'"' => return Ok(Json::Str(out)),
                    b'\\' => {
                        let Some(&e) = b.get(*pos) else {
                            return Err("unterminated escape".into());
                        };
                        *pos += 1;
                        match e {
                            b'"' => out.push('"'),
                            b'\\' => out.push('\\'),
                            b'/' => out.push('/'),
                            b'b' => out.push('\u{8}'),
                            b'f' => out.push('\u{c}'),
                            b'n' => out.push('\n'),
                            b'r' => out.push('\r'),
                            b't' => out.push('\t'),
                            b'u' => {
                                let hex = b
                                    .get(*pos..*pos + 4)
                                    .and_then(|h| std::str::from_utf8(h).ok())
                                    .and_then(|h| u32::from_str_radix(h, 16).ok())
                                    .ok_or("bad \\u escape")?;
                                *pos += 4;
                                out.push(char::from_u32(hex).unwrap_or('\u{fffd}'));
                            }
                            _ => return Err(format!("bad escape at {pos}")),
                        }
                    }
                    _ => {
                        // Copy the whole UTF-8 sequence starting at this byte.
                        let start = *pos - 1;
                        let mut end = *pos;
                        while end < b.len() && (b[end] & 0xC0) == 0x80 {
                            end += 1;
                        }
                        out.push_str(&String::from_utf8_lossy(&b[start..end]));
                        *pos = end;
                    }
                }
            }
        }
        b't' if b[*pos..].starts_with(b"true") => {
            *pos += 4;
            Ok(Json::Bool(true))
        }
        b'f' if b[*pos..].starts_with(b"false") => {
            *pos += 5;
            Ok(Json::Bool(false))
        }
        b'n' if b[*pos..].starts_with(b"null") => {
            *pos += 4;
            Ok(Json::Null)
        }
        b'-' | b'0'..=b'9' => {
            let start = *pos;
            while *pos < b.len()
                && matches!(b[*pos], b'-' | b'+' | b'.' | b'e' | b'E' | b'0'..=b'9')
            {
                *pos += 1;
            }
            let text = std::str::from_utf8(&b[start..*pos]).map_err(|e| e.to_string())?;
            text.parse()
                .map(Json::Num)
                .map_err(|e| format!("bad number {text:?}: {e}"))
        }
        other => Err(format!("unexpected {:?} at {pos}", other as char)),
    }
}

#[test]
fn json_parser_reads_prometheus_answers() {
    let text = r#"{"status":"success","data":{"resultType":"vector","result":[{"metric":{"__name__":"redis_up","job":"shardis","q":"a\"b\\c\u00e9"},"value":[1700000000.123,"1"]}]},"n":-1.5e2,"t":true,"f":false,"z":null,"e":[]}"#;
    let j = parse_json(text).expect("parse");
    let result = j.get("data").and_then(|d| d.get("result")).unwrap();
    let first = &result.arr().unwrap()[0];
    assert_eq!(
        first
            .get("metric")
            .and_then(|m| m.get("q"))
            .and_then(Json::str),
        Some("a\"b\\cé")
    );
    assert_eq!(
        first.get("value").and_then(Json::arr).map(|v| v[1].clone()),
        Some(Json::Str("1".into()))
    );
    assert_eq!(j.get("n"), Some(&Json::Num(-150.0)));
    assert_eq!(j.get("t"), Some(&Json::Bool(true)));
    assert_eq!(j.get("z"), Some(&Json::Null));
    assert_eq!(j.get("e"), Some(&Json::Arr(vec![])));
    assert!(parse_json("{\"a\":}").is_err());
    assert!(parse_json("[1,2").is_err());
    assert!(parse_json("{} x").is_err());
}

// ---------------------------------------------------------------------------
// Prometheus
// ---------------------------------------------------------------------------

/// Percent-encode a PromQL query for a URL.
fn url_encode(q: &str) -> String {
    let mut out = String::new();
    for b in q.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(b as char)
            }
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

/// One instant-vector sample from the query API: its labels and value.
#[derive(Debug)]
struct VectorSample {
    labels: BTreeMap<String, String>,
    value: f64,
}

/// `/api/v1/query?query=Q`: Ok(samples) for a successful vector answer, Err(why) otherwise.
fn prom_query(port: u16, query: &str) -> Result<Vec<VectorSample>, String> {
    let r = http_get(port, &format!("/api/v1/query?query={}", url_encode(query)))
        .map_err(|e| format!("HTTP: {e}"))?;
    if r.status != 200 {
        return Err(format!("status {}: {}", r.status, r.body));
    }
    let j = parse_json(&r.body).map_err(|e| format!("bad JSON ({e}): {}", r.body))?;
    if j.get("status").and_then(Json::str) != Some("success") {
        return Err(format!("not a success: {}", r.body));
    }
    let data = j.get("data").ok_or("no data")?;
    if data.get("resultType").and_then(Json::str) != Some("vector") {
        return Err(format!("not a vector: {}", r.body));
    }
    let mut out = Vec::new();
    for item in data.get("result").and_then(Json::arr).ok_or("no result")? {
        let labels = match item.get("metric") {
            Some(Json::Obj(m)) => m
                .iter()
                .map(|(k, v)| (k.clone(), v.str().unwrap_or_default().to_string()))
                .collect(),
            _ => return Err(format!("sample without metric: {item:?}")),
        };
        let value = item
            .get("value")
            .and_then(Json::arr)
            .filter(|v| v.len() == 2 && matches!(v[0], Json::Num(_)))
            .and_then(|v| v[1].str())
            .ok_or_else(|| format!("bad value in {item:?}"))?;
        let value = match value {
            "+Inf" => f64::INFINITY,
            "-Inf" => f64::NEG_INFINITY,
            v => v.parse().map_err(|e| format!("value {v:?}: {e}"))?,
        };
        out.push(VectorSample { labels, value });
    }
    Ok(out)
}

/// A running Prometheus with its own port, data directory and log file.
struct Prometheus {
    guard: Guard,
    port: u16,
    log: PathBuf,
}

impl Prometheus {
    fn log_tail(&self) -> String {
        let text = std::fs::read_to_string(&self.log).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        lines[lines.len().saturating_sub(40)..].join("\n")
    }
}

/// Start Prometheus on a free port of 127.0.0.1 (up to 3 ports tried, in case another process
/// takes the one picked) and wait (≤ 60 s) until /-/ready answers 200.
fn start_prometheus(bin: &str, dir: &TempDir, config: &Path) -> Prometheus {
    let mut last = String::new();
    for attempt in 0..3 {
        let port = free_port();
        let log = dir.join(&format!("prometheus-{attempt}.log"));
        let log_file = File::create(&log).expect("log file");
        let child = Command::new(bin)
            .arg(format!("--config.file={}", config.display()))
            .arg(format!(
                "--storage.tsdb.path={}",
                dir.join(&format!("data-{attempt}")).display()
            ))
            .arg(format!("--web.listen-address=127.0.0.1:{port}"))
            .arg("--log.level=info")
            .current_dir(&dir.path)
            .stdin(Stdio::null())
            .stdout(log_file.try_clone().expect("log file"))
            .stderr(log_file)
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {bin}: {e}"));
        let mut p = Prometheus {
            guard: Guard { child },
            port,
            log,
        };
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            if let Some(status) = p.guard.exited() {
                last = format!("exited with {status}; log:\n{}", p.log_tail());
                break;
            }
            if let Ok(r) = http_get(port, "/-/ready") {
                if r.status == 200 {
                    return p;
                }
            }
            if Instant::now() >= deadline {
                panic!(
                    "prometheus not ready on 127.0.0.1:{port} within 60 s; log:\n{}",
                    p.log_tail()
                );
            }
            thread::sleep(Duration::from_millis(200));
        }
    }
    panic!("prometheus did not start in 3 attempts: {last}");
}

#[test]
fn prometheus_scrapes_shardis() {
    let test = "prometheus_scrapes_shardis";
    if target_is_redis() {
        eprintln!("NOTICE: {test} skipped: /metrics is Shardis-only");
        return;
    }
    let bin = tool("PROMETHEUS_BIN", "prometheus");
    if !require_tool(test, &bin, "prometheus") {
        return;
    }
    let shards = 3;
    let s = start_shardis_with_metrics(shards, &[]);
    let metrics_port = s.metrics_port.expect("metrics port");

    let dir = TempDir::new("prometheus");
    let config = dir.join("prometheus.yml");
    std::fs::write(
        &config,
        format!(
            "# Written by server/tests/deploy.rs: scrape one test Shardis every second.\n\
             global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\n\
             scrape_configs:\n  - job_name: shardis\n    scrape_interval: 1s\n    \
             scrape_timeout: 1s\n    metrics_path: /metrics\n    static_configs:\n      \
             - targets: ['127.0.0.1:{metrics_port}']\n"
        ),
    )
    .expect("write prometheus.yml");
    // Prometheus checks the configuration at start and exits if it is bad (start_prometheus
    // then reports its log).
    let prom = start_prometheus(&bin, &dir, &config);

    // Traffic: keys on every shard, 30 hits and 10 misses after a RESETSTAT.
    let mut c = s.connect();
    for i in 0..30 {
        assert_eq!(c.cmd(&["SET", &format!("prom-{i}"), "v"]), ok());
    }
    assert_eq!(c.cmd(&["CONFIG", "RESETSTAT"]), ok());
    for i in 0..30 {
        assert_eq!(c.cmd(&["GET", &format!("prom-{i}")]), bulk("v"));
    }
    for i in 0..10 {
        assert_eq!(c.cmd(&["GET", &format!("prom-missing-{i}")]), nil());
    }
    let dbsize = c.cmd(&["DBSIZE"]).int() as f64;
    let instance = format!("127.0.0.1:{metrics_port}");

    // Every query until it answers what the workload must give (every 500 ms, ≤ 60 s).
    type Check = Box<dyn Fn(&[VectorSample]) -> Result<(), String>>;
    let single = |want: Box<dyn Fn(f64) -> bool>, what: &'static str| -> Check {
        Box::new(move |v: &[VectorSample]| {
            if v.len() != 1 {
                return Err(format!("{} samples, expected 1", v.len()));
            }
            if want(v[0].value) {
                Ok(())
            } else {
                Err(format!("value {} is not {what}", v[0].value))
            }
        })
    };
    let checks: Vec<(&str, Check)> = vec![
        ("up{job=\"shardis\"}", single(Box::new(|x| x == 1.0), "1")),
        ("redis_up", single(Box::new(|x| x == 1.0), "1")),
        (
            "redis_commands_processed_total",
            single(Box::new(|x| x >= 40.0), ">= 40"),
        ),
        (
            "redis_keyspace_hit_ratio",
            single(Box::new(|x| (x - 0.75).abs() < 1e-9), "0.75"),
        ),
        (
            "redis_commands_total{cmd=\"get\"}",
            single(Box::new(|x| x == 40.0), "40"),
        ),
        (
            "redis_shard_keys",
            Box::new(move |v: &[VectorSample]| {
                let mut shards_seen: Vec<&str> = v
                    .iter()
                    .map(|s| s.labels.get("shard").map(String::as_str).unwrap_or(""))
                    .collect();
                shards_seen.sort_unstable();
                if shards_seen != ["0", "1", "2"] {
                    return Err(format!("shard labels {shards_seen:?}"));
                }
                let sum: f64 = v.iter().map(|s| s.value).sum();
                if sum != dbsize {
                    return Err(format!("sum {sum} != DBSIZE {dbsize}"));
                }
                Ok(())
            }),
        ),
    ];
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut pending: Vec<usize> = (0..checks.len()).collect();
    let mut last: BTreeMap<usize, String> = BTreeMap::new();
    let mut answers: BTreeMap<usize, Vec<VectorSample>> = BTreeMap::new();
    while !pending.is_empty() {
        pending.retain(|&i| {
            let (query, check) = &checks[i];
            match prom_query(prom.port, query) {
                Ok(v) => match check(&v) {
                    Ok(()) => {
                        answers.insert(i, v);
                        false
                    }
                    Err(why) => {
                        last.insert(i, format!("{why}: {v:?}"));
                        true
                    }
                },
                Err(why) => {
                    last.insert(i, why);
                    true
                }
            }
        });
        if pending.is_empty() {
            break;
        }
        if Instant::now() >= deadline {
            let report: Vec<String> = pending
                .iter()
                .map(|&i| {
                    format!(
                        "{}: {}",
                        checks[i].0,
                        last.get(&i).cloned().unwrap_or_default()
                    )
                })
                .collect();
            panic!(
                "Prometheus did not answer as expected within 60 s:\n{}\nprometheus log:\n{}",
                report.join("\n"),
                prom.log_tail()
            );
        }
        thread::sleep(Duration::from_millis(500));
    }
    // Every series carries the job and the scraped instance.
    for samples in answers.values() {
        for sample in samples {
            assert_eq!(
                sample.labels.get("job").map(String::as_str),
                Some("shardis")
            );
            assert_eq!(sample.labels.get("instance"), Some(&instance));
        }
    }
    // Prometheus's own view of the target: healthy, no scrape error.
    let r = http_get(prom.port, "/api/v1/targets?state=active").expect("targets");
    assert_eq!(r.status, 200, "{r:?}");
    let j = parse_json(&r.body).expect("targets JSON");
    let targets = j
        .get("data")
        .and_then(|d| d.get("activeTargets"))
        .and_then(Json::arr)
        .expect("activeTargets");
    assert_eq!(targets.len(), 1, "{}", r.body);
    assert_eq!(
        targets[0].get("health").and_then(Json::str),
        Some("up"),
        "{}",
        r.body
    );
    assert_eq!(
        targets[0].get("lastError").and_then(Json::str),
        Some(""),
        "{}",
        r.body
    );
    drop(prom);
}

// ---------------------------------------------------------------------------
// systemd unit
// ---------------------------------------------------------------------------

fn unit_path() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../deploy/shardis.service")
}

/// `[Section]` -> (key, value) lines, in order; comments and blank lines dropped.
fn parse_unit(text: &str) -> BTreeMap<String, Vec<(String, String)>> {
    let mut out: BTreeMap<String, Vec<(String, String)>> = BTreeMap::new();
    let mut section = String::new();
    for line in text.lines() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') || line.starts_with(';') {
            continue;
        }
        if let Some(name) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
            section = name.to_string();
            out.entry(section.clone()).or_default();
            continue;
        }
        let (k, v) = line
            .split_once('=')
            .unwrap_or_else(|| panic!("unit line without '=': {line:?}"));
        assert!(!section.is_empty(), "setting before any section: {line:?}");
        out.entry(section.clone())
            .or_default()
            .push((k.trim().to_string(), v.trim().to_string()));
    }
    out
}

/// The last value of `key` in `section` (systemd: later assignments win for these keys).
fn unit_value<'a>(
    unit: &'a BTreeMap<String, Vec<(String, String)>>,
    section: &str,
    key: &str,
) -> Option<&'a str> {
    unit.get(section)?
        .iter()
        .rev()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.as_str())
}

#[test]
fn unit_file_has_the_settings_the_server_needs() {
    let text = std::fs::read_to_string(unit_path()).expect("deploy/shardis.service");
    let unit = parse_unit(&text);
    for section in ["Unit", "Service", "Install"] {
        assert!(unit.contains_key(section), "no [{section}] section");
    }
    let get = |key: &str| unit_value(&unit, "Service", key);
    // The server sends READY=1 once every shard listens.
    assert_eq!(get("Type"), Some("notify"));
    assert_eq!(get("NotifyAccess"), Some("main"));
    // Never root.
    let user = get("User").expect("User=");
    assert!(!user.is_empty() && user != "root", "User={user}");
    // One descriptor per client: a real limit, not the 1024 default.
    let nofile = get("LimitNOFILE").expect("LimitNOFILE=");
    assert!(
        nofile == "infinity" || nofile.parse::<u64>().is_ok_and(|n| n >= 65536),
        "LimitNOFILE={nofile}"
    );
    // io_uring rings are locked memory on older kernels.
    let memlock = get("LimitMEMLOCK").expect("LimitMEMLOCK=");
    assert_eq!(memlock, "infinity", "LimitMEMLOCK");
    // ExecStart: the installed binary with the installed config file (install.sh's paths).
    let exec = get("ExecStart").expect("ExecStart=");
    let mut words = exec.split_whitespace();
    assert_eq!(words.next(), Some("/usr/local/bin/shardis"), "{exec}");
    assert_eq!(
        words.collect::<Vec<_>>(),
        ["--config", "/etc/shardis/shardis.yaml"],
        "{exec}"
    );
    let install = std::fs::read_to_string(unit_path().with_file_name("install.sh"))
        .expect("deploy/install.sh");
    assert!(install.contains("BIN_DEST=/usr/local/bin/shardis"));
    assert!(install.contains("CONF_DIR=/etc/shardis"));
    assert!(install.contains(user), "install.sh never names user {user}");
    // A SystemCallFilter must let io_uring through (the unit explains why it has none).
    if let Some(filter) = get("SystemCallFilter") {
        assert!(
            filter.contains("io_uring_setup"),
            "SystemCallFilter={filter}"
        );
    }
    assert_eq!(
        unit_value(&unit, "Install", "WantedBy"),
        Some("multi-user.target")
    );
}

/// Lines of `systemd-analyze verify` output that are about our unit (any warning or error it
/// prints about the unit names the unit file or the unit).
fn findings(output: &str) -> Vec<String> {
    output
        .lines()
        .filter(|l| l.contains("shardis"))
        .map(str::to_string)
        .collect()
}

/// Copy the unit into `dir` as shardis.service, fit for a machine that is not a real
/// install; `extra` lines are appended to [Service].
fn unit_for_verify(dir: &TempDir, extra: &str) -> PathBuf {
    let text = std::fs::read_to_string(unit_path()).expect("deploy/shardis.service");
    let bin = env!("CARGO_BIN_EXE_shardis");
    let mut out = String::new();
    let mut replaced = 0;
    for line in text.lines() {
        if let Some(rest) = line.strip_prefix("ExecStart=/usr/local/bin/shardis") {
            // verify checks that ExecStart's program exists and is executable: here that is
            // the binary under test, not /usr/local/bin/shardis (which only install.sh puts
            // there). The arguments stay; verify does not look at them. Nothing else needs
            // rewriting: User=, WorkingDirectory=, ReadWritePaths= and the file:// in
            // Documentation= name things of a real install, but verify does not check them.
            out.push_str(&format!("ExecStart={bin}{rest}\n"));
            replaced += 1;
            continue;
        }
        out.push_str(line);
        out.push('\n');
        if line.trim() == "[Service]" && !extra.is_empty() {
            out.push_str(extra);
            out.push('\n');
        }
    }
    assert_eq!(
        replaced, 1,
        "the unit has one ExecStart=/usr/local/bin/shardis line"
    );
    let path = dir.join("shardis.service");
    std::fs::write(&path, out).expect("write unit copy");
    path
}

fn verify(bin: &str, unit: &Path) -> (ExitStatus, String) {
    let (status, stdout, stderr) = run_bounded(
        Command::new(bin).arg("verify").arg(unit),
        Duration::from_secs(60),
    );
    (status, format!("{stdout}{stderr}"))
}

#[test]
fn systemd_analyze_verify_accepts_the_unit() {
    let test = "systemd_analyze_verify_accepts_the_unit";
    let bin = tool("SYSTEMD_ANALYZE_BIN", "systemd-analyze");
    if !require_tool(test, &bin, "systemd") {
        return;
    }
    let dir = TempDir::new("unit");
    let unit = unit_for_verify(&dir, "");
    let (status, output) = verify(&bin, &unit);
    let found = findings(&output);
    assert!(
        status.success() && found.is_empty(),
        "systemd-analyze verify {}: {status}; about the unit: {found:#?}\nfull output:\n{output}",
        unit.display()
    );

    // The check can fail: an unknown key in the same unit is reported, naming the unit.
    let bad_dir = TempDir::new("unit-bad");
    let bad = unit_for_verify(&bad_dir, "NoSuchSettingForShardis=1");
    let (_, output) = verify(&bin, &bad);
    assert!(
        findings(&output)
            .iter()
            .any(|l| l.contains("NoSuchSettingForShardis")),
        "verify did not report an unknown key; output:\n{output}"
    );
}
