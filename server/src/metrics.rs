//! The Prometheus endpoint.
//!
//! It lives off the data path: one thread of its own serves `GET /metrics` over plain HTTP/1.1,
//! one connection at a time. Shards never touch it per command; on each scrape it calls the
//! closure the server handed it, which gathers the figures the shards publish once per tick, and
//! renders them in the Prometheus text exposition format (version 0.0.4).
//!
//! Metric names are redis_exporter's (`redis_commands_processed_total`, `redis_db_keys{db="db0"}`,
//! ...) so that its Grafana dashboards work unchanged; the shard-level families
//! (`redis_shard_*{shard="N"}`) are shardis's own.
//!
//! Counters and gauges go through the `metrics` facade into a fresh `PrometheusRecorder` per
//! scrape (so series that vanished, such as after CONFIG RESETSTAT, vanish from the output too).
//! Two families are written by hand and appended to the exporter's text: the per-command
//! duration counter (its values are fractional seconds, which the facade's integer counters
//! cannot hold) and the per-command latency histogram (the facade takes samples, not
//! pre-aggregated buckets).
//!
//! Shutdown: the thread polls its listener with a short timeout and returns once
//! `runtime::SHUTDOWN` is set, so the handle `spawn` returns can be joined at exit (or simply
//! dropped: the thread then ends with the process).

use std::fmt::Write as _;
use std::io::{ErrorKind, Read, Write};
use std::net::{IpAddr, Shutdown, SocketAddr, TcpListener, TcpStream};
use std::os::fd::AsRawFd;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use metrics::{counter, describe_counter, describe_gauge, gauge, with_local_recorder};
use metrics_exporter_prometheus::PrometheusBuilder;

/// One logical database's key counts (summed over shards).
#[allow(dead_code)] // Built by the server once the endpoint is wired in.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DbFigures {
    pub db: usize,
    pub keys: u64,
    pub expiring: u64,
}

/// One command's statistics, as INFO commandstats and LATENCY HISTOGRAM report them.
#[allow(dead_code)] // Built by the server once the endpoint is wired in.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CommandFigures {
    /// The cmdstat name, lower case: "get", or "config|get" for a subcommand.
    pub name: String,
    pub calls: u64,
    pub usec: u64,
    pub rejected_calls: u64,
    pub failed_calls: u64,
    /// (upper bound in microseconds, cumulative count of calls at or under it), ascending.
    pub latency_buckets: Vec<(u64, u64)>,
}

/// One shard's own figures.
#[allow(dead_code)] // Built by the server once the endpoint is wired in.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ShardFigures {
    pub shard: usize,
    pub keys: u64,
    pub commands_processed: u64,
    pub instantaneous_ops_per_sec: u64,
    pub memory_used_bytes: u64,
    pub connected_clients: u64,
    pub ring_queue_depth: u64,
}

/// Everything one scrape reports; the server fills it from what the shards published.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct MetricsInput {
    pub uptime_seconds: u64,
    pub start_time_seconds: u64,
    pub commands_processed: u64,
    pub instantaneous_ops_per_sec: u64,
    pub keyspace_hits: u64,
    pub keyspace_misses: u64,
    pub expired_keys: u64,
    pub evicted_keys: u64,
    pub memory_used_bytes: u64,
    pub memory_rss_bytes: u64,
    pub memory_max_bytes: u64,
    pub connected_clients: u64,
    pub blocked_clients: u64,
    pub maxclients: u64,
    pub connections_received: u64,
    pub rejected_connections: u64,
    pub net_input_bytes: u64,
    pub net_output_bytes: u64,
    pub total_error_replies: u64,
    pub instantaneous_input_kbps: f64,
    pub instantaneous_output_kbps: f64,
    pub mem_fragmentation_ratio: f64,
    /// CPU seconds (user, system) of the whole process, and of the shard threads (what
    /// redis_exporter calls the main thread's).
    pub cpu_seconds: (f64, f64),
    pub cpu_main_thread_seconds: (f64, f64),
    pub dbs: Vec<DbFigures>,
    pub commands: Vec<CommandFigures>,
    /// Error code ("ERR", "WRONGTYPE", ...) and how many replies carried it.
    pub errors: Vec<(String, u64)>,
    pub shards: Vec<ShardFigures>,
}

/// The gather closure the server hands to [`spawn`].
pub type Gather = Box<dyn Fn() -> MetricsInput + Send + Sync>;

/// Renders one scrape's worth of figures in the Prometheus text exposition format.
/// `namespace` prefixes every name (`redis` gives `redis_up`); an empty one gives bare names.
pub fn render(namespace: &str, input: &MetricsInput) -> String {
    let prefix = metric_prefix(namespace);
    let recorder = PrometheusBuilder::new().build_recorder();
    with_local_recorder(&recorder, || record(&prefix, input));
    let mut out = recorder.handle().render();
    if !out.is_empty() && !out.ends_with('\n') {
        out.push('\n');
    }
    write_duration_counter(&mut out, &prefix, &input.commands);
    write_latency_histogram(&mut out, &prefix, &input.commands);
    let cpu = [
        (
            "cpu_user_seconds_total",
            "User CPU time of the server.",
            input.cpu_seconds.0,
        ),
        (
            "cpu_sys_seconds_total",
            "System CPU time of the server.",
            input.cpu_seconds.1,
        ),
        (
            "cpu_user_main_thread_seconds_total",
            "User CPU time of the shard threads (the threads serving commands).",
            input.cpu_main_thread_seconds.0,
        ),
        (
            "cpu_sys_main_thread_seconds_total",
            "System CPU time of the shard threads (the threads serving commands).",
            input.cpu_main_thread_seconds.1,
        ),
    ];
    for (suffix, help, seconds) in cpu {
        write_float_counter(&mut out, &format!("{prefix}{suffix}"), help, seconds);
    }
    out
}

/// A counter with a fractional value (the `metrics` facade's counters are integers).
fn write_float_counter(out: &mut String, name: &str, help: &str, value: f64) {
    let _ = writeln!(out, "# HELP {name} {help}");
    let _ = writeln!(out, "# TYPE {name} counter");
    let _ = writeln!(out, "{name} {value}\n");
}

/// The namespace, made a valid metric-name prefix (`[a-zA-Z_:][a-zA-Z0-9_:]*`), plus `_`.
fn metric_prefix(namespace: &str) -> String {
    if namespace.is_empty() {
        return String::new();
    }
    let mut prefix = String::with_capacity(namespace.len() + 1);
    for (i, c) in namespace.chars().enumerate() {
        let ok = c.is_ascii_alphabetic() || c == '_' || c == ':' || (i > 0 && c.is_ascii_digit());
        prefix.push(if ok { c } else { '_' });
    }
    prefix.push('_');
    prefix
}

/// Records the counters and gauges into the recorder installed for this thread.
fn record(prefix: &str, input: &MetricsInput) {
    let name = |suffix: &str| format!("{prefix}{suffix}");

    let counters: [(&str, &'static str, u64); 10] = [
        (
            "commands_processed_total",
            "Total number of commands processed by the server.",
            input.commands_processed,
        ),
        (
            "keyspace_hits_total",
            "Number of successful lookups of keys in the main dictionary.",
            input.keyspace_hits,
        ),
        (
            "keyspace_misses_total",
            "Number of failed lookups of keys in the main dictionary.",
            input.keyspace_misses,
        ),
        (
            "expired_keys_total",
            "Total number of key expiration events.",
            input.expired_keys,
        ),
        (
            "evicted_keys_total",
            "Number of keys evicted due to the maxmemory limit.",
            input.evicted_keys,
        ),
        (
            "connections_received_total",
            "Total number of connections accepted by the server.",
            input.connections_received,
        ),
        (
            "rejected_connections_total",
            "Number of connections rejected because of the maxclients limit.",
            input.rejected_connections,
        ),
        (
            "net_input_bytes_total",
            "Total number of bytes read from the network.",
            input.net_input_bytes,
        ),
        (
            "net_output_bytes_total",
            "Total number of bytes written to the network.",
            input.net_output_bytes,
        ),
        (
            "total_error_replies",
            "Total number of error replies sent to clients.",
            input.total_error_replies,
        ),
    ];
    for (suffix, help, value) in counters {
        let n = name(suffix);
        describe_counter!(n.clone(), help);
        counter!(n).absolute(value);
    }

    let ratio = if input.keyspace_hits == 0 && input.keyspace_misses == 0 {
        0.0
    } else {
        input.keyspace_hits as f64 / (input.keyspace_hits as f64 + input.keyspace_misses as f64)
    };
    let gauges: [(&str, &'static str, f64); 14] = [
        (
            "up",
            "Information about the Redis instance: 1 when it answers.",
            1.0,
        ),
        (
            "uptime_in_seconds",
            "Number of seconds since the server started.",
            input.uptime_seconds as f64,
        ),
        (
            "start_time_seconds",
            "Start time of the server since the Unix epoch, in seconds.",
            input.start_time_seconds as f64,
        ),
        (
            "instantaneous_ops_per_sec",
            "Number of commands processed per second.",
            input.instantaneous_ops_per_sec as f64,
        ),
        (
            "keyspace_hit_ratio",
            "Keyspace hits divided by keyspace lookups (0 before any lookup).",
            ratio,
        ),
        (
            "memory_used_bytes",
            "Total number of bytes allocated by the server for data.",
            input.memory_used_bytes as f64,
        ),
        (
            "memory_used_rss_bytes",
            "Number of bytes the operating system sees allocated (resident set size).",
            input.memory_rss_bytes as f64,
        ),
        (
            "memory_max_bytes",
            "The maxmemory setting, in bytes (0 for no limit).",
            input.memory_max_bytes as f64,
        ),
        (
            "connected_clients",
            "Number of client connections.",
            input.connected_clients as f64,
        ),
        (
            "blocked_clients",
            "Number of clients pending on a blocking call.",
            input.blocked_clients as f64,
        ),
        (
            "config_maxclients",
            "The maxclients setting.",
            input.maxclients as f64,
        ),
        (
            "instantaneous_input_kbps",
            "Network input rate, in KiB per second.",
            input.instantaneous_input_kbps,
        ),
        (
            "instantaneous_output_kbps",
            "Network output rate, in KiB per second.",
            input.instantaneous_output_kbps,
        ),
        (
            "mem_fragmentation_ratio",
            "Resident set size divided by allocated bytes.",
            input.mem_fragmentation_ratio,
        ),
    ];
    for (suffix, help, value) in gauges {
        let n = name(suffix);
        describe_gauge!(n.clone(), help);
        gauge!(n).set(value);
    }

    let db_keys = name("db_keys");
    let db_expiring = name("db_keys_expiring");
    describe_gauge!(db_keys.clone(), "Total number of keys by database.");
    describe_gauge!(
        db_expiring.clone(),
        "Total number of keys with an expiration by database."
    );
    for db in &input.dbs {
        let label = format!("db{}", db.db);
        gauge!(db_keys.clone(), "db" => label.clone()).set(db.keys as f64);
        gauge!(db_expiring.clone(), "db" => label).set(db.expiring as f64);
    }

    let calls = name("commands_total");
    let rejected = name("commands_rejected_calls_total");
    let failed = name("commands_failed_calls_total");
    describe_counter!(calls.clone(), "Total number of calls per command.");
    describe_counter!(
        rejected.clone(),
        "Total number of calls rejected before execution per command."
    );
    describe_counter!(
        failed.clone(),
        "Total number of calls that failed in execution per command."
    );
    for cmd in &input.commands {
        counter!(calls.clone(), "cmd" => cmd.name.clone()).absolute(cmd.calls);
        counter!(rejected.clone(), "cmd" => cmd.name.clone()).absolute(cmd.rejected_calls);
        counter!(failed.clone(), "cmd" => cmd.name.clone()).absolute(cmd.failed_calls);
    }

    let errors = name("errors_total");
    describe_counter!(
        errors.clone(),
        "Total number of error replies per error code."
    );
    for (code, count) in &input.errors {
        counter!(errors.clone(), "err" => code.clone()).absolute(*count);
    }

    let shard_commands = name("shard_commands_processed_total");
    let shard_keys = name("shard_keys");
    let shard_ops = name("shard_instantaneous_ops_per_sec");
    let shard_memory = name("shard_memory_used_bytes");
    let shard_clients = name("shard_connected_clients");
    let shard_ring = name("shard_ring_queue_depth");
    describe_counter!(
        shard_commands.clone(),
        "Total number of commands processed per shard."
    );
    describe_gauge!(shard_keys.clone(), "Number of keys held per shard.");
    describe_gauge!(
        shard_ops.clone(),
        "Number of commands processed per second per shard."
    );
    describe_gauge!(shard_memory.clone(), "Bytes allocated for data per shard.");
    describe_gauge!(
        shard_clients.clone(),
        "Number of client connections per shard."
    );
    describe_gauge!(
        shard_ring.clone(),
        "Messages waiting in the shard's inbound cross-shard rings."
    );
    for s in &input.shards {
        let label = s.shard.to_string();
        counter!(shard_commands.clone(), "shard" => label.clone()).absolute(s.commands_processed);
        gauge!(shard_keys.clone(), "shard" => label.clone()).set(s.keys as f64);
        gauge!(shard_ops.clone(), "shard" => label.clone()).set(s.instantaneous_ops_per_sec as f64);
        gauge!(shard_memory.clone(), "shard" => label.clone()).set(s.memory_used_bytes as f64);
        gauge!(shard_clients.clone(), "shard" => label.clone()).set(s.connected_clients as f64);
        gauge!(shard_ring.clone(), "shard" => label).set(s.ring_queue_depth as f64);
    }
}

/// `ns_commands_duration_seconds_total{cmd}`: microseconds shown exactly as decimal seconds.
fn write_duration_counter(out: &mut String, prefix: &str, commands: &[CommandFigures]) {
    if commands.is_empty() {
        return;
    }
    let name = format!("{prefix}commands_duration_seconds_total");
    let _ = writeln!(
        out,
        "# HELP {name} Total amount of time spent per command, in seconds."
    );
    let _ = writeln!(out, "# TYPE {name} counter");
    for cmd in commands {
        let _ = write!(out, "{name}{{cmd=\"");
        escape_label_value(out, &cmd.name);
        let _ = write!(out, "\"}} {}", cmd.usec / 1_000_000);
        let micros = cmd.usec % 1_000_000;
        if micros != 0 {
            let fraction = format!("{micros:06}");
            out.push('.');
            out.push_str(fraction.trim_end_matches('0'));
        }
        out.push('\n');
    }
    out.push('\n');
}

/// `ns_commands_latencies_usec{cmd}`: the shards' cumulative buckets, then `+Inf`, sum and count.
fn write_latency_histogram(out: &mut String, prefix: &str, commands: &[CommandFigures]) {
    if commands.is_empty() {
        return;
    }
    let name = format!("{prefix}commands_latencies_usec");
    let _ = writeln!(
        out,
        "# HELP {name} A histogram of latencies per command, in microseconds."
    );
    let _ = writeln!(out, "# TYPE {name} histogram");
    let mut cmd_label = String::new();
    for cmd in commands {
        cmd_label.clear();
        escape_label_value(&mut cmd_label, &cmd.name);
        let mut buckets = cmd.latency_buckets.clone();
        buckets.sort_unstable_by_key(|&(upper, _)| upper);
        // Figures published at slightly different moments must still make a valid histogram:
        // counts never fall from one bucket to the next, and +Inf (= _count) holds them all.
        let mut running = 0u64;
        for (upper, cumulative) in buckets {
            running = running.max(cumulative);
            let _ = writeln!(
                out,
                "{name}_bucket{{cmd=\"{cmd_label}\",le=\"{upper}\"}} {running}"
            );
        }
        let count = running.max(cmd.calls);
        let _ = writeln!(
            out,
            "{name}_bucket{{cmd=\"{cmd_label}\",le=\"+Inf\"}} {count}"
        );
        let _ = writeln!(out, "{name}_sum{{cmd=\"{cmd_label}\"}} {}", cmd.usec);
        let _ = writeln!(out, "{name}_count{{cmd=\"{cmd_label}\"}} {count}");
    }
    out.push('\n');
}

/// Appends `value` escaped for a label value: backslash, double quote and line feed.
fn escape_label_value(out: &mut String, value: &str) {
    for c in value.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            c => out.push(c),
        }
    }
}

/// How long one exchange may take: the client sending its request head and taking the response.
const IO_TIMEOUT: Duration = Duration::from_secs(5);
/// The most a request head may weigh.
const MAX_HEAD: usize = 8 * 1024;
/// How often the idle thread looks at the shutdown flag.
const POLL_INTERVAL_MS: libc::c_int = 250;

/// Starts the endpoint on `bind:port` (port 0 picks a free one) in a thread named "metrics".
/// Returns the bound port and the thread's handle; the thread returns once
/// `runtime::SHUTDOWN` is set (within a quarter of a second).
#[allow(dead_code)] // Called by main.rs once the endpoint is wired in.
pub fn spawn(
    bind: IpAddr,
    port: u16,
    namespace: String,
    gather: Gather,
) -> std::io::Result<(u16, JoinHandle<()>)> {
    spawn_until(bind, port, namespace, gather, &crate::runtime::SHUTDOWN)
}

/// [`spawn`], with the flag that stops the thread given (tests use their own).
fn spawn_until(
    bind: IpAddr,
    port: u16,
    namespace: String,
    gather: Gather,
    stop: &'static AtomicBool,
) -> std::io::Result<(u16, JoinHandle<()>)> {
    let listener = TcpListener::bind(SocketAddr::new(bind, port))?;
    // Non-blocking, so that a connection reset between poll and accept can't stall the loop.
    listener.set_nonblocking(true)?;
    let bound = listener.local_addr()?.port();
    let handle = std::thread::Builder::new()
        .name("metrics".into())
        .spawn(move || serve(&listener, &namespace, &gather, stop))?;
    Ok((bound, handle))
}

fn serve(listener: &TcpListener, namespace: &str, gather: &Gather, stop: &AtomicBool) {
    while !stop.load(Ordering::Relaxed) {
        if !readable(listener, POLL_INTERVAL_MS) {
            continue;
        }
        match listener.accept() {
            Ok((stream, _)) => answer(stream, namespace, gather),
            Err(err) if err.kind() == ErrorKind::WouldBlock => {}
            Err(err) if err.kind() == ErrorKind::Interrupted => {}
            Err(err) => {
                // Out of file descriptors and the like: back off instead of spinning.
                log::warn!("metrics endpoint: accept failed: {err}");
                std::thread::sleep(Duration::from_millis(100));
            }
        }
    }
}

/// Waits up to `timeout_ms` for a connection to accept.
fn readable(listener: &TcpListener, timeout_ms: libc::c_int) -> bool {
    let mut pollfd = libc::pollfd {
        fd: listener.as_raw_fd(),
        events: libc::POLLIN,
        revents: 0,
    };
    // SAFETY: one valid pollfd, living across the call; the fd is owned by `listener`.
    let ready = unsafe { libc::poll(&mut pollfd, 1, timeout_ms) };
    ready > 0
}

/// Reads one request, writes one response, closes.
fn answer(stream: TcpStream, namespace: &str, gather: &Gather) {
    let _ = stream.set_nonblocking(false);
    // One deadline for the whole exchange, so a client trickling bytes can't hold the endpoint.
    let mut conn = Deadlined {
        stream: &stream,
        deadline: Instant::now() + IO_TIMEOUT,
    };
    let response = match read_head(&mut conn) {
        Head::Request(request) => route(&request, namespace, gather),
        Head::Malformed(why) => bad_request(why),
        Head::Nothing => return,
    };
    if conn.write_all(&response).is_ok() {
        let _ = stream.shutdown(Shutdown::Write);
    }
}

/// A connection whose reads and writes all end by one deadline.
struct Deadlined<'a> {
    stream: &'a TcpStream,
    deadline: Instant,
}

impl Deadlined<'_> {
    /// Sets the socket's timeouts to the time left, or fails once it is spent.
    fn arm(&self) -> std::io::Result<()> {
        let left = self.deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Err(ErrorKind::TimedOut.into());
        }
        self.stream.set_read_timeout(Some(left))?;
        self.stream.set_write_timeout(Some(left))
    }
}

impl Read for Deadlined<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        self.arm()?;
        (&*self.stream).read(buf)
    }
}

impl Write for Deadlined<'_> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.arm()?;
        (&*self.stream).write(buf)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// The parts of a request line this endpoint looks at.
#[derive(Debug, PartialEq, Eq)]
struct Request {
    method: String,
    target: String,
}

#[derive(Debug, PartialEq, Eq)]
enum Head {
    Request(Request),
    Malformed(&'static str),
    /// The client went away (or said nothing) before sending a byte.
    Nothing,
}

/// Reads the request head (at most [`MAX_HEAD`] bytes); a bad request line is answered at once.
fn read_head(stream: &mut impl Read) -> Head {
    let mut buf = [0u8; MAX_HEAD];
    let mut len = 0;
    let mut request: Option<Request> = None;
    loop {
        if len == buf.len() {
            return Head::Malformed("request head too large");
        }
        let n = match stream.read(&mut buf[len..]) {
            Ok(n) => n,
            Err(err) if err.kind() == ErrorKind::Interrupted => continue,
            Err(_) if len == 0 => return Head::Nothing,
            Err(_) => return Head::Malformed("incomplete request head"),
        };
        if n == 0 {
            // End of stream: a complete request line is enough (e.g. `printf 'GET /metrics
            // HTTP/1.0\r\n' | nc`); anything less is not a request.
            return match request {
                Some(request) => Head::Request(request),
                None if len == 0 => Head::Nothing,
                None => Head::Malformed("incomplete request line"),
            };
        }
        len += n;
        if request.is_none() {
            if let Some(eol) = buf[..len].iter().position(|&b| b == b'\n') {
                match parse_request_line(&buf[..eol]) {
                    Some(parsed) => request = Some(parsed),
                    None => return Head::Malformed("malformed request line"),
                }
            }
        }
        if request.is_some() && head_complete(&buf[..len]) {
            return request.map_or(Head::Malformed("malformed request line"), Head::Request);
        }
    }
}

/// Whether the head's closing blank line has arrived (CRLF, or bare LF as lenient parsers allow).
fn head_complete(head: &[u8]) -> bool {
    head.windows(4).any(|w| w == b"\r\n\r\n") || head.windows(2).any(|w| w == b"\n\n")
}

/// `METHOD SP request-target SP HTTP/1.x`, with an optional trailing CR.
fn parse_request_line(line: &[u8]) -> Option<Request> {
    let line = line.strip_suffix(b"\r").unwrap_or(line);
    let line = std::str::from_utf8(line).ok()?;
    let mut parts = line.split(' ');
    let method = parts.next()?;
    let target = parts.next()?;
    let version = parts.next()?;
    if parts.next().is_some()
        || method.is_empty()
        || !method.bytes().all(|b| b.is_ascii_uppercase())
        || !target.starts_with('/')
        || target.bytes().any(|b| b.is_ascii_control())
        || !matches!(version, "HTTP/1.0" | "HTTP/1.1")
    {
        return None;
    }
    Some(Request {
        method: method.to_owned(),
        target: target.to_owned(),
    })
}

const INDEX_PAGE: &str = "<html><head><title>shardis exporter</title></head>\
<body><h1>shardis exporter</h1><p><a href=\"/metrics\">Metrics</a></p></body></html>\n";

const TEXT_FORMAT: &str = "text/plain; version=0.0.4; charset=utf-8";
const PLAIN: &str = "text/plain; charset=utf-8";

/// The response to a well-formed request.
fn route(request: &Request, namespace: &str, gather: &Gather) -> Vec<u8> {
    let path = request.target.split(['?', '#']).next().unwrap_or_default();
    let head_only = request.method == "HEAD";
    let readable = head_only || request.method == "GET";
    match (path, readable) {
        ("/metrics", true) => {
            // The gather closure is the server's; a panic in it must not end the endpoint.
            match catch_unwind(AssertUnwindSafe(|| render(namespace, &gather()))) {
                Ok(body) => response("200 OK", TEXT_FORMAT, &[], body.as_bytes(), head_only),
                Err(_) => response(
                    "500 Internal Server Error",
                    PLAIN,
                    &[],
                    b"gathering the figures failed\n",
                    head_only,
                ),
            }
        }
        ("/", true) => response(
            "200 OK",
            "text/html; charset=utf-8",
            &[],
            INDEX_PAGE.as_bytes(),
            head_only,
        ),
        ("/metrics" | "/", false) => response(
            "405 Method Not Allowed",
            PLAIN,
            &["Allow: GET, HEAD"],
            b"method not allowed\n",
            false,
        ),
        _ => response("404 Not Found", PLAIN, &[], b"not found\n", head_only),
    }
}

fn bad_request(why: &str) -> Vec<u8> {
    response(
        "400 Bad Request",
        PLAIN,
        &[],
        format!("{why}\n").as_bytes(),
        false,
    )
}

/// A whole HTTP/1.1 response; `head_only` leaves the body out but keeps its Content-Length.
fn response(
    status: &str,
    content_type: &str,
    extra_headers: &[&str],
    body: &[u8],
    head_only: bool,
) -> Vec<u8> {
    let mut head = format!(
        "HTTP/1.1 {status}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\n",
        body.len()
    );
    for header in extra_headers {
        head.push_str(header);
        head.push_str("\r\n");
    }
    head.push_str("Connection: close\r\n\r\n");
    let mut out = head.into_bytes();
    if !head_only {
        out.extend_from_slice(body);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;
    use std::net::Ipv4Addr;

    /// One sample line of the exposition text.
    #[derive(Debug)]
    struct Sample {
        name: String,
        labels: Vec<(String, String)>,
        raw_value: String,
    }

    impl Sample {
        fn label(&self, key: &str) -> Option<&str> {
            self.labels
                .iter()
                .find(|(k, _)| k == key)
                .map(|(_, v)| v.as_str())
        }

        fn value(&self) -> f64 {
            match self.raw_value.as_str() {
                "+Inf" => f64::INFINITY,
                raw => raw.parse().expect("numeric sample value"),
            }
        }
    }

    /// The parsed exposition: the TYPE of each family, the families with HELP, and the samples.
    struct Exposition {
        types: HashMap<String, String>,
        helps: Vec<String>,
        samples: Vec<Sample>,
    }

    impl Exposition {
        fn parse(text: &str) -> Exposition {
            let mut types = HashMap::new();
            let mut helps = Vec::new();
            let mut samples = Vec::new();
            for line in text.lines() {
                if line.is_empty() {
                    continue;
                }
                if let Some(rest) = line.strip_prefix("# TYPE ") {
                    let (name, kind) = rest.split_once(' ').expect("TYPE line");
                    let previous = types.insert(name.to_owned(), kind.to_owned());
                    assert!(previous.is_none(), "TYPE twice for {name}");
                    continue;
                }
                if let Some(rest) = line.strip_prefix("# HELP ") {
                    let (name, _) = rest.split_once(' ').expect("HELP line");
                    helps.push(name.to_owned());
                    continue;
                }
                assert!(!line.starts_with('#'), "unexpected comment {line:?}");
                samples.push(parse_sample(line));
            }
            Exposition {
                types,
                helps,
                samples,
            }
        }

        fn find(&self, name: &str, labels: &[(&str, &str)]) -> &Sample {
            self.samples
                .iter()
                .find(|s| s.name == name && labels.iter().all(|(k, v)| s.label(k) == Some(*v)))
                .unwrap_or_else(|| panic!("no sample {name} {labels:?}"))
        }

        fn value(&self, name: &str, labels: &[(&str, &str)]) -> f64 {
            self.find(name, labels).value()
        }
    }

    fn parse_sample(line: &str) -> Sample {
        let name_end = line.find(['{', ' ']).expect("sample name");
        let name = line[..name_end].to_owned();
        let mut rest = &line[name_end..];
        let mut labels = Vec::new();
        if let Some(inner) = rest.strip_prefix('{') {
            let mut chars = inner.char_indices();
            loop {
                let mut key = String::new();
                let mut consumed = None;
                for (i, c) in chars.by_ref() {
                    match c {
                        '=' => break,
                        '}' => {
                            consumed = Some(i + 1);
                            break;
                        }
                        c => key.push(c),
                    }
                }
                if let Some(end) = consumed {
                    assert!(key.is_empty(), "label key without value in {line:?}");
                    rest = &inner[end..];
                    break;
                }
                assert_eq!(chars.next().map(|(_, c)| c), Some('"'), "quote in {line:?}");
                let mut value = String::new();
                loop {
                    match chars.next().expect("unterminated label value").1 {
                        '"' => break,
                        '\\' => match chars.next().expect("escape").1 {
                            '\\' => value.push('\\'),
                            '"' => value.push('"'),
                            'n' => value.push('\n'),
                            other => panic!("bad escape \\{other} in {line:?}"),
                        },
                        '\n' => panic!("raw newline in {line:?}"),
                        c => value.push(c),
                    }
                }
                labels.push((key, value));
                match chars.clone().next() {
                    Some((_, ',')) => {
                        chars.next();
                    }
                    Some((_, '}')) => {}
                    other => panic!("unexpected {other:?} after label in {line:?}"),
                }
            }
        }
        let raw_value = rest
            .strip_prefix(' ')
            .expect("space before value")
            .to_owned();
        assert!(!raw_value.contains(' '), "timestamp or junk in {line:?}");
        Sample {
            name,
            labels,
            raw_value,
        }
    }

    const WEIRD: &str = "we\"ird\\cmd\nx";

    fn sample_input() -> MetricsInput {
        MetricsInput {
            uptime_seconds: 42,
            start_time_seconds: 1_700_000_000,
            commands_processed: 154,
            instantaneous_ops_per_sec: 7,
            keyspace_hits: 100,
            keyspace_misses: 50,
            expired_keys: 3,
            evicted_keys: 4,
            memory_used_bytes: 1 << 20,
            memory_rss_bytes: 3 << 20,
            memory_max_bytes: 0,
            connected_clients: 5,
            blocked_clients: 1,
            maxclients: 10_000,
            connections_received: 9,
            rejected_connections: 2,
            net_input_bytes: 1234,
            net_output_bytes: 5678,
            total_error_replies: 6,
            instantaneous_input_kbps: 1.5,
            instantaneous_output_kbps: 2.25,
            mem_fragmentation_ratio: 3.0,
            cpu_seconds: (1.25, 0.5),
            cpu_main_thread_seconds: (1.0, 0.25),
            dbs: vec![
                DbFigures {
                    db: 0,
                    keys: 10,
                    expiring: 2,
                },
                DbFigures {
                    db: 3,
                    keys: 1,
                    expiring: 0,
                },
            ],
            commands: vec![
                CommandFigures {
                    name: "get".into(),
                    calls: 150,
                    usec: 2_500_000,
                    rejected_calls: 1,
                    failed_calls: 2,
                    latency_buckets: vec![(1, 10), (2, 50), (4, 140), (8, 150)],
                },
                CommandFigures {
                    name: "config|get".into(),
                    calls: 3,
                    usec: 12,
                    rejected_calls: 0,
                    failed_calls: 0,
                    latency_buckets: vec![(1, 1), (2, 3)],
                },
                CommandFigures {
                    name: WEIRD.into(),
                    calls: 1,
                    usec: 1_000_000,
                    ..CommandFigures::default()
                },
            ],
            errors: vec![("ERR".into(), 5), ("WRONGTYPE".into(), 1)],
            shards: vec![
                ShardFigures {
                    shard: 0,
                    keys: 6,
                    commands_processed: 100,
                    instantaneous_ops_per_sec: 4,
                    memory_used_bytes: 600,
                    connected_clients: 3,
                    ring_queue_depth: 0,
                },
                ShardFigures {
                    shard: 1,
                    keys: 5,
                    commands_processed: 54,
                    instantaneous_ops_per_sec: 3,
                    memory_used_bytes: 400,
                    connected_clients: 2,
                    ring_queue_depth: 17,
                },
            ],
        }
    }

    const COUNTERS: &[&str] = &[
        "commands_processed_total",
        "keyspace_hits_total",
        "keyspace_misses_total",
        "expired_keys_total",
        "evicted_keys_total",
        "connections_received_total",
        "rejected_connections_total",
        "net_input_bytes_total",
        "net_output_bytes_total",
        "commands_total",
        "commands_duration_seconds_total",
        "commands_rejected_calls_total",
        "commands_failed_calls_total",
        "errors_total",
        "total_error_replies",
        "shard_commands_processed_total",
        "cpu_user_seconds_total",
        "cpu_sys_seconds_total",
        "cpu_user_main_thread_seconds_total",
        "cpu_sys_main_thread_seconds_total",
    ];

    const GAUGES: &[&str] = &[
        "up",
        "uptime_in_seconds",
        "start_time_seconds",
        "instantaneous_ops_per_sec",
        "keyspace_hit_ratio",
        "memory_used_bytes",
        "memory_used_rss_bytes",
        "memory_max_bytes",
        "connected_clients",
        "blocked_clients",
        "config_maxclients",
        "instantaneous_input_kbps",
        "instantaneous_output_kbps",
        "mem_fragmentation_ratio",
        "db_keys",
        "db_keys_expiring",
        "shard_keys",
        "shard_instantaneous_ops_per_sec",
        "shard_memory_used_bytes",
        "shard_connected_clients",
        "shard_ring_queue_depth",
    ];

    #[test]
    fn every_family_has_its_type_help_and_samples() {
        let text = render("redis", &sample_input());
        let exp = Exposition::parse(&text);
        let families = COUNTERS
            .iter()
            .map(|n| (n, "counter"))
            .chain(GAUGES.iter().map(|n| (n, "gauge")))
            .chain([(&"commands_latencies_usec", "histogram")]);
        for (suffix, kind) in families {
            let name = format!("redis_{suffix}");
            assert_eq!(
                exp.types.get(&name).map(String::as_str),
                Some(kind),
                "{name}"
            );
            assert!(exp.helps.contains(&name), "no HELP for {name}");
            assert!(
                exp.samples.iter().any(|s| s.name.starts_with(&name)),
                "no {name}"
            );
        }
        // Every sample belongs to a declared family.
        for sample in &exp.samples {
            let family = ["_bucket", "_sum", "_count"]
                .iter()
                .find_map(|s| {
                    let base = sample.name.strip_suffix(s)?;
                    (exp.types.get(base).map(String::as_str) == Some("histogram")).then_some(base)
                })
                .unwrap_or(&sample.name);
            assert!(exp.types.contains_key(family), "undeclared {}", sample.name);
        }
        assert_eq!(exp.types.len(), COUNTERS.len() + GAUGES.len() + 1);
    }

    #[test]
    fn values_follow_the_input() {
        let exp = Exposition::parse(&render("redis", &sample_input()));
        assert_eq!(exp.value("redis_up", &[]), 1.0);
        assert_eq!(exp.value("redis_commands_processed_total", &[]), 154.0);
        assert_eq!(exp.value("redis_start_time_seconds", &[]), 1_700_000_000.0);
        assert_eq!(
            exp.value("redis_memory_used_rss_bytes", &[]),
            f64::from(3u32 << 20)
        );
        assert_eq!(exp.value("redis_config_maxclients", &[]), 10_000.0);
        assert_eq!(exp.value("redis_total_error_replies", &[]), 6.0);
        let ratio = exp.value("redis_keyspace_hit_ratio", &[]);
        assert!((ratio - 2.0 / 3.0).abs() < 1e-12, "{ratio}");
        assert_eq!(exp.value("redis_db_keys", &[("db", "db0")]), 10.0);
        assert_eq!(exp.value("redis_db_keys_expiring", &[("db", "db0")]), 2.0);
        assert_eq!(exp.value("redis_db_keys", &[("db", "db3")]), 1.0);
        assert_eq!(
            exp.value("redis_commands_total", &[("cmd", "config|get")]),
            3.0
        );
        assert_eq!(
            exp.value("redis_commands_rejected_calls_total", &[("cmd", "get")]),
            1.0
        );
        assert_eq!(
            exp.value("redis_commands_failed_calls_total", &[("cmd", "get")]),
            2.0
        );
        assert_eq!(
            exp.value("redis_errors_total", &[("err", "WRONGTYPE")]),
            1.0
        );
        assert_eq!(exp.value("redis_shard_keys", &[("shard", "1")]), 5.0);
        assert_eq!(
            exp.value("redis_shard_ring_queue_depth", &[("shard", "1")]),
            17.0
        );
        assert_eq!(
            exp.value("redis_shard_commands_processed_total", &[("shard", "0")]),
            100.0
        );
        // Durations are exact decimal seconds.
        let duration = |cmd| {
            exp.find("redis_commands_duration_seconds_total", &[("cmd", cmd)])
                .raw_value
                .clone()
        };
        assert_eq!(duration("get"), "2.5");
        assert_eq!(duration("config|get"), "0.000012");
        assert_eq!(duration(WEIRD), "1");
    }

    #[test]
    fn hit_ratio_is_zero_before_any_lookup() {
        let exp = Exposition::parse(&render("redis", &MetricsInput::default()));
        assert_eq!(exp.value("redis_keyspace_hit_ratio", &[]), 0.0);
        assert_eq!(exp.value("redis_up", &[]), 1.0);
        assert!(!exp.types.contains_key("redis_commands_latencies_usec"));
    }

    #[test]
    fn label_values_are_escaped() {
        let text = render("redis", &sample_input());
        let escaped = r#"cmd="we\"ird\\cmd\nx""#;
        for family in [
            "redis_commands_total{",
            "redis_commands_duration_seconds_total{",
            "redis_commands_latencies_usec_count{",
        ] {
            let line = text
                .lines()
                .find(|l| l.starts_with(family) && l.contains("we\\\"ird"))
                .unwrap_or_else(|| panic!("no escaped line for {family}"));
            assert!(line.contains(escaped), "{line}");
        }
        // And each parses back to the original name.
        let exp = Exposition::parse(&text);
        assert_eq!(exp.value("redis_commands_total", &[("cmd", WEIRD)]), 1.0);
        assert_eq!(
            exp.value("redis_commands_latencies_usec_count", &[("cmd", WEIRD)]),
            1.0
        );
    }

    #[test]
    fn histogram_buckets_are_cumulative_and_end_at_the_count() {
        let exp = Exposition::parse(&render("redis", &sample_input()));
        let buckets: Vec<(String, f64)> = exp
            .samples
            .iter()
            .filter(|s| {
                s.name == "redis_commands_latencies_usec_bucket" && s.label("cmd") == Some("get")
            })
            .map(|s| (s.label("le").unwrap_or_default().to_owned(), s.value()))
            .collect();
        let les: Vec<&str> = buckets.iter().map(|(le, _)| le.as_str()).collect();
        assert_eq!(les, ["1", "2", "4", "8", "+Inf"]);
        assert!(buckets.windows(2).all(|w| w[0].1 <= w[1].1), "{buckets:?}");
        let count = exp.value("redis_commands_latencies_usec_count", &[("cmd", "get")]);
        assert_eq!(buckets.last().map(|b| b.1), Some(count));
        assert_eq!(count, 150.0);
        assert_eq!(
            exp.value("redis_commands_latencies_usec_sum", &[("cmd", "get")]),
            2_500_000.0
        );
        // A command with no buckets still has +Inf, _sum and _count.
        assert_eq!(
            exp.value(
                "redis_commands_latencies_usec_bucket",
                &[("cmd", WEIRD), ("le", "+Inf")]
            ),
            1.0
        );
    }

    #[test]
    fn histogram_stays_valid_on_inconsistent_figures() {
        let input = MetricsInput {
            commands: vec![CommandFigures {
                name: "set".into(),
                calls: 5,
                usec: 40,
                latency_buckets: vec![(4, 3), (1, 2), (2, 1), (8, 7)],
                ..CommandFigures::default()
            }],
            ..MetricsInput::default()
        };
        let exp = Exposition::parse(&render("redis", &input));
        let values: Vec<(String, f64)> = exp
            .samples
            .iter()
            .filter(|s| s.name == "redis_commands_latencies_usec_bucket")
            .map(|s| (s.label("le").unwrap_or_default().to_owned(), s.value()))
            .collect();
        let expected = [
            ("1", 2.0),
            ("2", 2.0),
            ("4", 3.0),
            ("8", 7.0),
            ("+Inf", 7.0),
        ];
        let expected: Vec<(String, f64)> =
            expected.iter().map(|(l, v)| (l.to_string(), *v)).collect();
        assert_eq!(values, expected);
        assert_eq!(exp.value("redis_commands_latencies_usec_count", &[]), 7.0);
    }

    #[test]
    fn namespace_prefixes_and_is_sanitized() {
        let exp = Exposition::parse(&render("my-ns", &sample_input()));
        assert_eq!(exp.value("my_ns_up", &[]), 1.0);
        assert!(exp.types.contains_key("my_ns_commands_latencies_usec"));
        let bare = Exposition::parse(&render("", &MetricsInput::default()));
        assert_eq!(bare.value("up", &[]), 1.0);
        assert_eq!(metric_prefix("9lives"), "_lives_");
    }

    #[test]
    fn request_heads() {
        let head = |bytes: &[u8]| read_head(&mut &bytes[..]);
        let get = |target: &str| {
            Head::Request(Request {
                method: "GET".into(),
                target: target.into(),
            })
        };
        assert_eq!(
            head(b"GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n"),
            get("/metrics")
        );
        assert_eq!(head(b"GET /metrics?x=1 HTTP/1.0\n\n"), get("/metrics?x=1"));
        // EOF after a whole request line is taken as the end of the head.
        assert_eq!(head(b"GET / HTTP/1.0\r\n"), get("/"));
        assert_eq!(head(b""), Head::Nothing);
        assert!(matches!(head(b"GET /metr"), Head::Malformed(_)));
        assert!(matches!(
            head(b"\x16\x03\x01\x02\x00\x01\r\n\r\n"),
            Head::Malformed(_)
        ));
        assert!(matches!(head(b"GET /metrics\r\n\r\n"), Head::Malformed(_)));
        assert!(matches!(
            head(b"get /metrics HTTP/1.1\r\n\r\n"),
            Head::Malformed(_)
        ));
        assert!(matches!(
            head(b"GET metrics HTTP/1.1\r\n\r\n"),
            Head::Malformed(_)
        ));
        assert!(matches!(
            head(b"GET /metrics HTTP/2\r\n\r\n"),
            Head::Malformed(_)
        ));
        assert!(matches!(
            head(b"GET  /metrics HTTP/1.1\r\n\r\n"),
            Head::Malformed(_)
        ));
        assert!(matches!(
            head(b"GET /\xff HTTP/1.1\r\n\r\n"),
            Head::Malformed(_)
        ));
        let mut huge = b"GET /metrics HTTP/1.1\r\nX-Filler: ".to_vec();
        huge.resize(MAX_HEAD + 100, b'a');
        assert_eq!(head(&huge), Head::Malformed("request head too large"));
    }

    #[test]
    fn a_panicking_gather_answers_500() {
        let gather: Gather = Box::new(|| panic!("no figures"));
        let request = Request {
            method: "GET".into(),
            target: "/metrics".into(),
        };
        let response = route(&request, "redis", &gather);
        assert!(response.starts_with(b"HTTP/1.1 500 "));
    }

    /// Sends `request`, half-closes, and reads the whole response.
    fn exchange(port: u16, request: &[u8]) -> (String, String) {
        let mut stream = TcpStream::connect((Ipv4Addr::LOCALHOST, port)).expect("connect");
        stream
            .set_read_timeout(Some(Duration::from_secs(10)))
            .expect("timeout");
        stream.write_all(request).expect("send");
        stream.shutdown(Shutdown::Write).expect("half-close");
        let mut response = Vec::new();
        stream.read_to_end(&mut response).expect("read");
        let response = String::from_utf8(response).expect("utf-8 response");
        let (head, body) = response.split_once("\r\n\r\n").expect("response head");
        (head.to_owned(), body.to_owned())
    }

    fn header<'a>(head: &'a str, name: &str) -> Option<&'a str> {
        head.lines().skip(1).find_map(|line| {
            let (key, value) = line.split_once(": ")?;
            key.eq_ignore_ascii_case(name).then_some(value)
        })
    }

    #[test]
    fn http_round_trips() {
        static STOP: AtomicBool = AtomicBool::new(false);
        let gather: Gather = Box::new(sample_input);
        let (port, thread) =
            spawn_until(Ipv4Addr::LOCALHOST.into(), 0, "redis".into(), gather, &STOP)
                .expect("spawn");
        assert_ne!(port, 0);

        let (head, body) = exchange(port, b"GET /metrics HTTP/1.1\r\nHost: test\r\n\r\n");
        assert!(head.starts_with("HTTP/1.1 200 OK"), "{head}");
        assert_eq!(
            header(&head, "Content-Type"),
            Some("text/plain; version=0.0.4; charset=utf-8")
        );
        assert_eq!(header(&head, "Connection"), Some("close"));
        assert_eq!(
            header(&head, "Content-Length"),
            Some(body.len().to_string().as_str())
        );
        let exp = Exposition::parse(&body);
        assert_eq!(exp.value("redis_up", &[]), 1.0);
        assert_eq!(exp.value("redis_db_keys", &[("db", "db0")]), 10.0);

        let (head, body) = exchange(port, b"HEAD /metrics HTTP/1.1\r\n\r\n");
        assert!(head.starts_with("HTTP/1.1 200 OK"), "{head}");
        let length: usize = header(&head, "Content-Length")
            .and_then(|v| v.parse().ok())
            .unwrap_or(0);
        assert!(length > 0);
        assert!(body.is_empty());

        let (head, body) = exchange(port, b"GET / HTTP/1.1\r\n\r\n");
        assert!(head.starts_with("HTTP/1.1 200 OK"), "{head}");
        assert!(body.contains("href=\"/metrics\""), "{body}");

        let (head, _) = exchange(port, b"GET /nope HTTP/1.1\r\n\r\n");
        assert!(head.starts_with("HTTP/1.1 404 "), "{head}");

        let (head, _) = exchange(port, b"POST /metrics HTTP/1.1\r\nContent-Length: 0\r\n\r\n");
        assert!(head.starts_with("HTTP/1.1 405 "), "{head}");
        assert_eq!(header(&head, "Allow"), Some("GET, HEAD"));

        let (head, _) = exchange(port, b"\x16\x03\x01\x00\xa5garbage\r\n\r\n");
        assert!(head.starts_with("HTTP/1.1 400 "), "{head}");

        // A client that connects and leaves gets nothing, and the endpoint goes on.
        drop(TcpStream::connect((Ipv4Addr::LOCALHOST, port)).expect("connect"));
        let (head, _) = exchange(port, b"GET /metrics HTTP/1.0\r\n\r\n");
        assert!(head.starts_with("HTTP/1.1 200 OK"), "{head}");

        STOP.store(true, Ordering::Relaxed);
        thread.join().expect("metrics thread ends cleanly");
    }
}
