//! Load generator for the Shardis benchmarks (bench/keys.sh, bench/cache.sh, bench/lazyfree.sh).
//!
//! Standard library only. Speaks RESP2 to any Redis-compatible server and prints its results
//! as `name=value` lines on stdout (the shell scripts parse them); progress and errors go to
//! stderr. Subcommands:
//!
//!   load-strings  SET key:%010d -> 16-byte value for N keys, pipelined on one connection
//!   load-big      one big set / hash / zset of N 16-byte members (SADD/HSET/ZADD batches)
//!   cache         zipfian cache-aside trace: GET k; on a miss SET k <value>; latencies,
//!                 hit counts, RSS and INFO sampled while it runs
//!   probe         GET in a tight loop on one connection while another connection sends
//!                 DEL/UNLINK of a big key; latency of every GET around the DEL
//!
//! Every socket has a read/write timeout, so nothing waits forever on a stuck server.

use std::collections::HashMap;
use std::io::{self, Read, Write};
use std::net::TcpStream;
use std::process::exit;
use std::str::FromStr;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

// ------------------------------------------------------------------ arguments

struct Args {
    cmd: String,
    opts: HashMap<String, String>,
}

fn die(msg: &str) -> ! {
    eprintln!("loadgen: error: {msg}");
    exit(1)
}

impl Args {
    fn parse() -> Args {
        let mut it = std::env::args().skip(1);
        let cmd = it.next().unwrap_or_else(|| {
            eprintln!("usage: loadgen <load-strings|load-big|cache|probe> [--name value]...");
            exit(2)
        });
        let mut opts = HashMap::new();
        while let Some(a) = it.next() {
            let Some(name) = a.strip_prefix("--") else { die(&format!("unexpected argument '{a}'")) };
            let v = it.next().unwrap_or_else(|| die(&format!("--{name} needs a value")));
            opts.insert(name.to_string(), v);
        }
        Args { cmd, opts }
    }

    fn get<T: FromStr>(&self, name: &str, default: T) -> T {
        match self.opts.get(name) {
            None => default,
            Some(v) => v.parse().unwrap_or_else(|_| die(&format!("bad value for --{name}: '{v}'"))),
        }
    }

    fn req(&self, name: &str) -> String {
        self.opts.get(name).cloned().unwrap_or_else(|| die(&format!("--{name} is required")))
    }
}

// ------------------------------------------------------------------ RESP connection

enum Reply {
    Simple,
    Error(String),
    Int(i64),
    Nil,
    Bulk(usize),
    Array,
}

struct Conn {
    s: TcpStream,
    buf: Vec<u8>,
    r: usize,
    w: usize,
}

fn proto(msg: String) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, msg)
}

fn parse_i64(b: &[u8]) -> io::Result<i64> {
    std::str::from_utf8(b)
        .ok()
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| proto(format!("bad number in reply: {:?}", String::from_utf8_lossy(b))))
}

impl Conn {
    fn connect(host: &str, port: u16, timeout: Duration) -> io::Result<Conn> {
        let s = TcpStream::connect((host, port))?;
        s.set_nodelay(true)?;
        s.set_read_timeout(Some(timeout))?;
        s.set_write_timeout(Some(timeout))?;
        Ok(Conn { s, buf: vec![0; 1 << 16], r: 0, w: 0 })
    }

    fn send(&mut self, b: &[u8]) -> io::Result<()> {
        self.s.write_all(b)
    }

    fn fill(&mut self) -> io::Result<()> {
        if self.r == self.w {
            self.r = 0;
            self.w = 0;
        } else if self.w == self.buf.len() {
            if self.r > 0 {
                self.buf.copy_within(self.r..self.w, 0);
                self.w -= self.r;
                self.r = 0;
            } else {
                let n = self.buf.len();
                self.buf.resize(n * 2, 0);
            }
        }
        let n = match self.s.read(&mut self.buf[self.w..]) {
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::WouldBlock || e.kind() == io::ErrorKind::TimedOut => {
                return Err(io::Error::new(io::ErrorKind::TimedOut, "no reply within the socket timeout"))
            }
            Err(e) => return Err(e),
        };
        if n == 0 {
            return Err(io::Error::new(io::ErrorKind::UnexpectedEof, "server closed the connection"));
        }
        self.w += n;
        Ok(())
    }

    /// The next line, without its CRLF, as a range of `buf` (valid until the next read).
    fn line(&mut self) -> io::Result<(usize, usize)> {
        loop {
            if let Some(p) = self.buf[self.r..self.w].iter().position(|&c| c == b'\n') {
                let start = self.r;
                let nl = self.r + p;
                self.r = nl + 1;
                let end = if nl > start && self.buf[nl - 1] == b'\r' { nl - 1 } else { nl };
                return Ok((start, end));
            }
            self.fill()?;
        }
    }

    fn skip(&mut self, mut n: usize) -> io::Result<()> {
        loop {
            let avail = self.w - self.r;
            if avail >= n {
                self.r += n;
                return Ok(());
            }
            n -= avail;
            self.r = self.w;
            self.fill()?;
        }
    }

    /// Reads one reply; bulk payloads are skipped (only their length is returned).
    fn reply(&mut self) -> io::Result<Reply> {
        let (s, e) = self.line()?;
        if e <= s {
            return Err(proto("empty reply line".into()));
        }
        let t = self.buf[s];
        match t {
            b'+' => Ok(Reply::Simple),
            b'-' => Ok(Reply::Error(String::from_utf8_lossy(&self.buf[s + 1..e]).into_owned())),
            b':' => Ok(Reply::Int(parse_i64(&self.buf[s + 1..e])?)),
            b'$' => {
                let n = parse_i64(&self.buf[s + 1..e])?;
                if n < 0 {
                    return Ok(Reply::Nil);
                }
                self.skip(n as usize + 2)?;
                Ok(Reply::Bulk(n as usize))
            }
            b'*' => {
                let n = parse_i64(&self.buf[s + 1..e])?;
                for _ in 0..n.max(0) {
                    self.reply()?;
                }
                Ok(Reply::Array)
            }
            _ => Err(proto(format!("unexpected reply {:?}", String::from_utf8_lossy(&self.buf[s..e])))),
        }
    }

    /// Reads one bulk-string reply and returns its content.
    fn bulk_text(&mut self) -> io::Result<String> {
        let (s, e) = self.line()?;
        let head = String::from_utf8_lossy(&self.buf[s..e]).into_owned();
        let Some(len) = head.strip_prefix('$') else { return Err(proto(format!("expected a bulk string, got {head:?}"))) };
        let n = parse_i64(len.as_bytes())?;
        if n < 0 {
            return Ok(String::new());
        }
        let n = n as usize;
        while self.w - self.r < n + 2 {
            self.fill()?;
        }
        let text = String::from_utf8_lossy(&self.buf[self.r..self.r + n]).into_owned();
        self.r += n + 2;
        Ok(text)
    }
}

// ------------------------------------------------------------------ RESP encoding

fn put_uint(out: &mut Vec<u8>, mut n: u64) {
    let mut tmp = [0u8; 20];
    let mut i = tmp.len();
    loop {
        i -= 1;
        tmp[i] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    out.extend_from_slice(&tmp[i..]);
}

fn put_array(out: &mut Vec<u8>, n: usize) {
    out.push(b'*');
    put_uint(out, n as u64);
    out.extend_from_slice(b"\r\n");
}

fn put_bulk(out: &mut Vec<u8>, b: &[u8]) {
    out.push(b'$');
    put_uint(out, b.len() as u64);
    out.extend_from_slice(b"\r\n");
    out.extend_from_slice(b);
    out.extend_from_slice(b"\r\n");
}

/// `prefix` followed by `n` zero-padded to `width` digits, as one bulk string.
fn put_bulk_padded(out: &mut Vec<u8>, prefix: &[u8], n: u64, width: usize) {
    let mut digits = [b'0'; 20];
    let mut i = digits.len();
    let mut m = n;
    loop {
        i -= 1;
        digits[i] = b'0' + (m % 10) as u8;
        m /= 10;
        if m == 0 {
            break;
        }
    }
    let len = digits.len() - i;
    let pad = width.saturating_sub(len);
    out.push(b'$');
    put_uint(out, (prefix.len() + pad + len) as u64);
    out.extend_from_slice(b"\r\n");
    out.extend_from_slice(prefix);
    out.resize(out.len() + pad, b'0');
    out.extend_from_slice(&digits[i..]);
    out.extend_from_slice(b"\r\n");
}

// ------------------------------------------------------------------ helpers

fn pct(sorted: &[u64], p: f64) -> u64 {
    if sorted.is_empty() {
        return 0;
    }
    let k = ((p * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len());
    sorted[k - 1]
}

fn us(ns: u64) -> String {
    format!("{:.1}", ns as f64 / 1e3)
}

fn rss_kb(pid: u32) -> Option<u64> {
    let s = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = s.lines().find(|l| l.starts_with("VmRSS:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

fn info_field(text: &str, name: &str) -> Option<u64> {
    text.lines().find_map(|l| {
        let (k, v) = l.trim_end().split_once(':')?;
        if k == name {
            v.trim().parse().ok()
        } else {
            None
        }
    })
}

/// INFO stats + INFO memory in one round trip.
fn info(c: &mut Conn) -> io::Result<String> {
    let mut out = Vec::new();
    for section in [&b"stats"[..], b"memory"] {
        put_array(&mut out, 2);
        put_bulk(&mut out, b"INFO");
        put_bulk(&mut out, section);
    }
    c.send(&out)?;
    let mut text = c.bulk_text()?;
    text.push_str(&c.bulk_text()?);
    Ok(text)
}

fn connect_or_die(host: &str, port: u16, timeout: Duration) -> Conn {
    Conn::connect(host, port, timeout).unwrap_or_else(|e| die(&format!("connect to {host}:{port}: {e}")))
}

fn mix(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

// ------------------------------------------------------------------ pipelined bulk load

/// Sends the commands `gen(i, out)` for i in 0..n on one connection from a writer thread while
/// this thread reads the replies; returns (replies, errors, first error, seconds).
fn pipelined<F>(host: &str, port: u16, timeout: Duration, n: u64, gen: F) -> (u64, u64, String, f64)
where
    F: Fn(u64, &mut Vec<u8>) + Send + 'static,
{
    let mut c = connect_or_die(host, port, timeout);
    let mut ws = c.s.try_clone().unwrap_or_else(|e| die(&format!("socket clone: {e}")));
    let t0 = Instant::now();
    let writer = thread::spawn(move || -> io::Result<()> {
        let mut out = Vec::with_capacity(1 << 20);
        for i in 0..n {
            gen(i, &mut out);
            if out.len() >= 256 << 10 {
                ws.write_all(&out)?;
                out.clear();
            }
        }
        ws.write_all(&out)
    });
    let (mut replies, mut errors, mut first) = (0u64, 0u64, String::new());
    let mut last_report = Instant::now();
    while replies < n {
        match c.reply() {
            Ok(Reply::Error(e)) => {
                errors += 1;
                if first.is_empty() {
                    first = e;
                }
            }
            Ok(_) => {}
            Err(e) => die(&format!("after {replies} of {n} replies: {e}")),
        }
        replies += 1;
        if last_report.elapsed() >= Duration::from_secs(5) {
            eprintln!("loadgen: {replies}/{n} replies ({:.0}/s)", replies as f64 / t0.elapsed().as_secs_f64());
            last_report = Instant::now();
        }
    }
    let secs = t0.elapsed().as_secs_f64();
    match writer.join() {
        Ok(Ok(())) => {}
        Ok(Err(e)) => die(&format!("writing commands: {e}")),
        Err(_) => die("writer thread panicked"),
    }
    (replies, errors, first, secs)
}

/// SET key:%010d v%015d (16-byte value) for i in start..start+n.
fn load_strings(a: &Args) {
    let host = a.get("host", "127.0.0.1".to_string());
    let port: u16 = a.req("port").parse().unwrap_or_else(|_| die("bad --port"));
    let n: u64 = a.get("n", 1_000_000);
    let start: u64 = a.get("start", 0);
    let timeout = Duration::from_secs(a.get("timeout-s", 60));
    let (replies, errors, first, secs) = pipelined(&host, port, timeout, n, move |i, out| {
        let k = start + i;
        put_array(out, 3);
        put_bulk(out, b"SET");
        put_bulk_padded(out, b"key:", k, 10);
        put_bulk_padded(out, b"v", k, 15);
    });
    println!("commands={n}\nreplies={replies}\nerrors={errors}\nelapsed_s={secs:.3}\nops_per_s={:.0}", n as f64 / secs);
    println!("first_error={}", first.replace('\n', " "));
}

/// One big collection: SADD / HSET / ZADD of n members "m%015d" (16 bytes) in batches.
fn load_big(a: &Args) {
    let host = a.get("host", "127.0.0.1".to_string());
    let port: u16 = a.req("port").parse().unwrap_or_else(|_| die("bad --port"));
    let kind = a.req("type");
    let key = a.req("key").into_bytes();
    let n: u64 = a.get("n", 10_000_000);
    let batch: u64 = a.get::<u64>("batch", 1000).max(1);
    let timeout = Duration::from_secs(a.get("timeout-s", 120));
    let (verb, per): (&'static [u8], usize) = match kind.as_str() {
        "set" => (b"SADD", 1),
        "hash" => (b"HSET", 2),
        "zset" => (b"ZADD", 2),
        _ => die("--type must be set, hash or zset"),
    };
    let cmds = n.div_ceil(batch);
    let (replies, errors, first, secs) = pipelined(&host, port, timeout, cmds, move |c, out| {
        let lo = c * batch;
        let hi = (lo + batch).min(n);
        put_array(out, 2 + per * (hi - lo) as usize);
        put_bulk(out, verb);
        put_bulk(out, &key);
        for i in lo..hi {
            match per {
                1 => put_bulk_padded(out, b"m", i, 15),
                _ if verb == b"HSET" => {
                    put_bulk_padded(out, b"m", i, 15);
                    put_bulk_padded(out, b"v", i % 10_000_000, 7);
                }
                _ => {
                    // scores scattered over 0..1e9 so inserts land all over the skiplist
                    let mut s = Vec::with_capacity(12);
                    put_uint(&mut s, (i.wrapping_mul(2_654_435_761)) % 1_000_000_000);
                    put_bulk(out, &s);
                    put_bulk_padded(out, b"m", i, 15);
                }
            }
        }
    });
    println!("elements={n}\ncommands={cmds}\nreplies={replies}\nerrors={errors}\nelapsed_s={secs:.3}");
    println!("elements_per_s={:.0}\nfirst_error={}", n as f64 / secs, first.replace('\n', " "));
}

// ------------------------------------------------------------------ zipfian cache-aside trace

/// YCSB's zipfian generator (Gray et al., "Quickly generating billion-record synthetic
/// databases"): rank 0 is the most popular item.
struct Zipf {
    n: f64,
    theta: f64,
    alpha: f64,
    zetan: f64,
    eta: f64,
}

impl Zipf {
    fn new(n: u64, theta: f64) -> Zipf {
        assert!(theta > 0.0 && theta < 1.0, "theta must be in (0, 1)");
        let zetan: f64 = (1..=n).map(|i| (i as f64).powf(-theta)).sum();
        let zeta2 = 1.0 + 0.5f64.powf(theta);
        let nf = n as f64;
        Zipf {
            n: nf,
            theta,
            alpha: 1.0 / (1.0 - theta),
            zetan,
            eta: (1.0 - (2.0 / nf).powf(1.0 - theta)) / (1.0 - zeta2 / zetan),
        }
    }

    fn rank(&self, u: f64) -> u64 {
        let uz = u * self.zetan;
        if uz < 1.0 {
            return 0;
        }
        if uz < 1.0 + 0.5f64.powf(self.theta) {
            return 1;
        }
        let r = (self.n * (self.eta * u - self.eta + 1.0).powf(self.alpha)) as u64;
        r.min(self.n as u64 - 1)
    }
}

struct Trace {
    zipf: Zipf,
    keys: u64,
    seed: u64,
}

impl Trace {
    /// Key id of trace position i: a pure function of (seed, i), so every thread and every run
    /// sees the same trace. Ranks are scattered over the key space by a bijection.
    fn key(&self, i: u64) -> u64 {
        let x = mix(self.seed ^ mix(i.wrapping_add(0x9e37_79b9_7f4a_7c15)));
        let u = (x >> 11) as f64 * (1.0 / (1u64 << 53) as f64);
        let rank = self.zipf.rank(u);
        (rank * 2_654_435_761) % self.keys
    }
}

#[derive(Default)]
struct WorkerOut {
    gets: u64,
    hits: u64,
    misses: u64,
    sets: u64,
    set_errors: u64,
    errors: u64,
    bad_values: u64,
    bytes_written: u64,
    first_error: String,
    lat_fill: Vec<u32>,
    lat_evict: Vec<u32>,
    lat_evict_get: Vec<u32>,
    lat_evict_set: Vec<u32>,
}

struct Shared {
    next: AtomicU64,
    done: AtomicU64,
    evicting: AtomicBool,
    stop: AtomicBool,
}

fn lat_ns(d: Duration) -> u32 {
    d.as_nanos().min(u32::MAX as u128) as u32
}

#[allow(clippy::too_many_arguments)]
fn cache_worker(
    host: &str,
    port: u16,
    timeout: Duration,
    trace: &Trace,
    sh: &Shared,
    ops: u64,
    pipe: u64,
    value_size: usize,
    interval: Option<Duration>,
) -> io::Result<WorkerOut> {
    let mut c = Conn::connect(host, port, timeout)?;
    let mut o = WorkerOut::default();
    let mut out = Vec::with_capacity(64 << 10);
    let mut ids = Vec::with_capacity(pipe as usize);
    let mut missed = Vec::with_capacity(pipe as usize);
    let filler = vec![b'x'; value_size];
    let mut sched = Instant::now();
    loop {
        if sh.stop.load(Ordering::Relaxed) {
            break;
        }
        let lo = sh.next.fetch_add(pipe, Ordering::Relaxed);
        if lo >= ops {
            break;
        }
        let hi = (lo + pipe).min(ops);
        out.clear();
        ids.clear();
        for i in lo..hi {
            let id = trace.key(i);
            ids.push(id);
            put_array(&mut out, 2);
            put_bulk(&mut out, b"GET");
            put_bulk_padded(&mut out, b"key:", id, 10);
        }
        // With a target rate, latency counts from the scheduled start (no coordinated omission).
        let t0 = match interval {
            Some(iv) => {
                sched += iv;
                let now = Instant::now();
                if sched > now {
                    thread::sleep(sched - now);
                }
                sched
            }
            None => Instant::now(),
        };
        let evicting = sh.evicting.load(Ordering::Relaxed);
        c.send(&out)?;
        missed.clear();
        for &id in &ids {
            let r = c.reply()?;
            let l = lat_ns(t0.elapsed());
            o.gets += 1;
            match r {
                Reply::Nil => {
                    o.misses += 1;
                    missed.push(id);
                }
                Reply::Bulk(n) => {
                    o.hits += 1;
                    if n != value_size {
                        o.bad_values += 1;
                    }
                }
                Reply::Error(e) => {
                    o.errors += 1;
                    if o.first_error.is_empty() {
                        o.first_error = format!("GET: {e}");
                    }
                }
                _ => o.errors += 1,
            }
            if evicting {
                o.lat_evict.push(l);
                o.lat_evict_get.push(l);
            } else {
                o.lat_fill.push(l);
            }
        }
        if !missed.is_empty() {
            out.clear();
            for &id in &missed {
                put_array(&mut out, 3);
                put_bulk(&mut out, b"SET");
                put_bulk_padded(&mut out, b"key:", id, 10);
                out.push(b'$');
                put_uint(&mut out, value_size as u64);
                out.extend_from_slice(b"\r\n");
                // value: "v:<id>:" then filler up to value_size bytes
                let mark = out.len();
                out.extend_from_slice(b"v:");
                put_uint(&mut out, id);
                out.push(b':');
                let used = (out.len() - mark).min(value_size);
                out.truncate(mark + used);
                out.extend_from_slice(&filler[..value_size - used]);
                out.extend_from_slice(b"\r\n");
            }
            let t1 = Instant::now();
            let evicting = sh.evicting.load(Ordering::Relaxed);
            c.send(&out)?;
            for _ in 0..missed.len() {
                let r = c.reply()?;
                let l = lat_ns(t1.elapsed());
                o.sets += 1;
                match r {
                    Reply::Simple => o.bytes_written += value_size as u64,
                    Reply::Error(e) => {
                        o.set_errors += 1;
                        if o.first_error.is_empty() {
                            o.first_error = format!("SET: {e}");
                        }
                    }
                    _ => o.set_errors += 1,
                }
                if evicting {
                    o.lat_evict.push(l);
                    o.lat_evict_set.push(l);
                } else {
                    o.lat_fill.push(l);
                }
            }
        }
        sh.done.fetch_add(hi - lo, Ordering::Relaxed);
    }
    Ok(o)
}

fn cache(a: &Args) {
    let host = a.get("host", "127.0.0.1".to_string());
    let port: u16 = a.req("port").parse().unwrap_or_else(|_| die("bad --port"));
    let pid: u32 = a.get("pid", 0);
    let keys: u64 = a.get("keys", 5_000_000);
    let theta: f64 = a.get("theta", 0.99);
    let ops: u64 = a.get("ops", 4_000_000);
    let value_size: usize = a.get("value-size", 1024);
    let conns: u64 = a.get::<u64>("conns", 4).max(1);
    let pipe: u64 = a.get::<u64>("pipeline", 8).max(1);
    let seed: u64 = a.get("seed", 20_241_124);
    let rate: f64 = a.get("rate", 0.0);
    let sample_ms: u64 = a.get("sample-ms", 200);
    let max_s: u64 = a.get("max-seconds", 1800);
    let series = a.opts.get("timeseries").cloned();
    let timeout = Duration::from_secs(a.get("timeout-s", 30));
    if !(theta > 0.0 && theta < 1.0) || keys == 0 || value_size < 8 {
        die("need 0 < --theta < 1, --keys > 0, --value-size >= 8");
    }

    let t_zipf = Instant::now();
    let trace = Arc::new(Trace { zipf: Zipf::new(keys, theta), keys, seed });
    eprintln!("loadgen: zipf(n={keys}, theta={theta}) ready in {:.2}s", t_zipf.elapsed().as_secs_f64());

    let mut mon = connect_or_die(&host, port, timeout);
    let info0 = info(&mut mon).unwrap_or_else(|e| die(&format!("INFO: {e}")));
    let f0 = |n: &str| info_field(&info0, n).unwrap_or(0);
    let (hits0, misses0, evicted0) = (f0("keyspace_hits"), f0("keyspace_misses"), f0("evicted_keys"));

    let sh = Arc::new(Shared {
        next: AtomicU64::new(0),
        done: AtomicU64::new(0),
        evicting: AtomicBool::new(evicted0 > 0),
        stop: AtomicBool::new(false),
    });
    let interval = if rate > 0.0 { Some(Duration::from_secs_f64((pipe * conns) as f64 / rate)) } else { None };
    let t0 = Instant::now();
    let workers: Vec<_> = (0..conns)
        .map(|_| {
            let (trace, sh, host) = (trace.clone(), sh.clone(), host.clone());
            thread::spawn(move || cache_worker(&host, port, timeout, &trace, &sh, ops, pipe, value_size, interval))
        })
        .collect();

    // Monitor: VmRSS and INFO every sample_ms until the workers are done.
    let monitor = {
        let sh = sh.clone();
        thread::spawn(move || {
            let mut rows = Vec::new();
            let (mut max_rss, mut max_used, mut evict_at) = (0u64, 0u64, f64::NAN);
            let mut failures = 0u32;
            let mut last_print = Instant::now();
            loop {
                let tick = Instant::now();
                let stopping = sh.stop.load(Ordering::Relaxed);
                let rss = if pid > 0 { rss_kb(pid).unwrap_or(0) } else { 0 };
                max_rss = max_rss.max(rss);
                match info(&mut mon) {
                    Ok(text) => {
                        let g = |n: &str| info_field(&text, n).unwrap_or(0);
                        let (used, ev) = (g("used_memory"), g("evicted_keys"));
                        max_used = max_used.max(used);
                        let t = t0.elapsed().as_secs_f64();
                        if ev > evicted0 && !sh.evicting.swap(true, Ordering::Relaxed) {
                            evict_at = t;
                        }
                        let done = sh.done.load(Ordering::Relaxed);
                        rows.push(format!("{t:.3}\t{rss}\t{used}\t{ev}\t{done}"));
                        if last_print.elapsed() >= Duration::from_secs(10) {
                            eprintln!("loadgen: {t:.0}s {done}/{ops} GETs, RSS {} MB, used_memory {} MB, evicted {ev}", rss / 1024, used >> 20);
                            last_print = Instant::now();
                        }
                    }
                    Err(e) => {
                        failures += 1;
                        eprintln!("loadgen: monitor INFO failed: {e}");
                        if failures > 3 {
                            break;
                        }
                        if let Ok(c) = Conn::connect(&host, port, timeout) {
                            mon = c;
                        }
                    }
                }
                if stopping {
                    break;
                }
                if t0.elapsed() > Duration::from_secs(max_s) && !sh.stop.swap(true, Ordering::Relaxed) {
                    eprintln!("loadgen: --max-seconds {max_s} reached; stopping early");
                }
                let next = tick + Duration::from_millis(sample_ms);
                let now = Instant::now();
                if next > now {
                    thread::sleep(next - now);
                }
            }
            (rows, max_rss, max_used, evict_at, mon)
        })
    };

    let mut all = WorkerOut::default();
    let mut worker_errors = Vec::new();
    for w in workers {
        match w.join() {
            Ok(Ok(o)) => {
                all.gets += o.gets;
                all.hits += o.hits;
                all.misses += o.misses;
                all.sets += o.sets;
                all.set_errors += o.set_errors;
                all.errors += o.errors;
                all.bad_values += o.bad_values;
                all.bytes_written += o.bytes_written;
                if all.first_error.is_empty() {
                    all.first_error = o.first_error;
                }
                all.lat_fill.extend(o.lat_fill);
                all.lat_evict.extend(o.lat_evict);
                all.lat_evict_get.extend(o.lat_evict_get);
                all.lat_evict_set.extend(o.lat_evict_set);
            }
            Ok(Err(e)) => worker_errors.push(e.to_string()),
            Err(_) => worker_errors.push("worker panicked".into()),
        }
    }
    let secs = t0.elapsed().as_secs_f64();
    let truncated = sh.stop.load(Ordering::Relaxed);
    sh.stop.store(true, Ordering::Relaxed);
    let (rows, max_rss, max_used, evict_at, mut mon) = monitor.join().unwrap_or_else(|_| die("monitor panicked"));
    if !worker_errors.is_empty() {
        die(&format!("{} connection(s) failed: {}", worker_errors.len(), worker_errors.join("; ")));
    }
    let info1 = info(&mut mon).unwrap_or_else(|e| die(&format!("final INFO: {e}")));
    let f1 = |n: &str| info_field(&info1, n).unwrap_or(0);
    if let Some(path) = series {
        let mut text = String::from("t_s\trss_kb\tused_memory\tevicted_keys\tgets_done\n");
        for r in rows {
            text.push_str(&r);
            text.push('\n');
        }
        if let Err(e) = std::fs::write(&path, text) {
            eprintln!("loadgen: cannot write {path}: {e}");
        }
    }

    let p = |v: &mut Vec<u32>, name: &str| {
        let mut s: Vec<u64> = v.iter().map(|&x| x as u64).collect();
        s.sort_unstable();
        println!("{name}_count={}", s.len());
        for (q, qn) in [(0.5, "p50"), (0.99, "p99"), (0.999, "p999")] {
            println!("{name}_{qn}_us={}", us(pct(&s, q)));
        }
        println!("{name}_max_us={}", us(s.last().copied().unwrap_or(0)));
    };
    println!("gets={}\nhits={}\nmisses={}\nsets={}", all.gets, all.hits, all.misses, all.sets);
    println!("errors={}\nset_errors={}\nbad_values={}", all.errors, all.set_errors, all.bad_values);
    println!("first_error={}", all.first_error.replace('\n', " "));
    println!("bytes_written={}\nelapsed_s={secs:.3}", all.bytes_written);
    println!("ops_per_s={:.0}\ngets_per_s={:.0}", (all.gets + all.sets) as f64 / secs, all.gets as f64 / secs);
    println!("client_hit_ratio={:.6}", if all.gets > 0 { all.hits as f64 / all.gets as f64 } else { 0.0 });
    let (sh_hits, sh_misses) = (f1("keyspace_hits").saturating_sub(hits0), f1("keyspace_misses").saturating_sub(misses0));
    println!("server_hits={sh_hits}\nserver_misses={sh_misses}");
    println!("server_hit_ratio={:.6}", if sh_hits + sh_misses > 0 { sh_hits as f64 / (sh_hits + sh_misses) as f64 } else { 0.0 });
    println!("evicted_keys={}", f1("evicted_keys").saturating_sub(evicted0));
    println!("max_rss_kb={max_rss}\nmax_used_memory={max_used}\nfinal_used_memory={}", f1("used_memory"));
    println!("eviction_start_s={}", if evict_at.is_nan() { "none".to_string() } else { format!("{evict_at:.3}") });
    println!("samples={}\ntruncated={}", sh.done.load(Ordering::Relaxed).min(ops), truncated as u8);
    p(&mut all.lat_fill, "lat_fill");
    p(&mut all.lat_evict, "lat_evict");
    p(&mut all.lat_evict_get, "lat_evict_get");
    p(&mut all.lat_evict_set, "lat_evict_set");
}

// ------------------------------------------------------------------ DEL latency probe

fn probe(a: &Args) {
    let host = a.get("host", "127.0.0.1".to_string());
    let port: u16 = a.req("port").parse().unwrap_or_else(|_| die("bad --port"));
    let get_key = a.req("get-key").into_bytes();
    let del_key = a.req("del-key").into_bytes();
    let del_cmd = a.get("del-cmd", "DEL".to_string()).into_bytes();
    let pre = Duration::from_millis(a.get("pre-ms", 1000));
    let post = Duration::from_millis(a.get("post-ms", 2000));
    let after = Duration::from_millis(a.get("window-after-ms", 1000));
    let threshold_us: f64 = a.get("threshold-us", 5000.0);
    let timeout = Duration::from_secs(a.get("timeout-s", 120));

    let stop = Arc::new(AtomicBool::new(false));
    let base = Instant::now();
    let getter = {
        let stop = stop.clone();
        let mut c = connect_or_die(&host, port, timeout);
        let mut cmd = Vec::new();
        put_array(&mut cmd, 2);
        put_bulk(&mut cmd, b"GET");
        put_bulk(&mut cmd, &get_key);
        thread::spawn(move || -> io::Result<(Vec<(u64, u64)>, u64)> {
            let mut v = Vec::with_capacity(1 << 20);
            let mut bad = 0u64;
            while !stop.load(Ordering::Relaxed) {
                let t = Instant::now();
                c.send(&cmd)?;
                let r = c.reply()?;
                let l = t.elapsed().as_nanos() as u64;
                if !matches!(r, Reply::Bulk(_)) {
                    bad += 1;
                }
                v.push(((t - base).as_nanos() as u64, l));
            }
            Ok((v, bad))
        })
    };
    let mut d = connect_or_die(&host, port, timeout);
    let mut cmd = Vec::new();
    put_array(&mut cmd, 2);
    put_bulk(&mut cmd, &del_cmd);
    put_bulk(&mut cmd, &del_key);
    thread::sleep(pre);
    let t_del0 = Instant::now();
    d.send(&cmd).unwrap_or_else(|e| die(&format!("sending DEL: {e}")));
    let r = d.reply();
    let t_del1 = Instant::now();
    let del_reply = match r {
        Ok(Reply::Int(n)) => n.to_string(),
        Ok(Reply::Error(e)) => format!("error:{e}"),
        Ok(_) => "unexpected".into(),
        Err(e) => {
            stop.store(true, Ordering::Relaxed);
            die(&format!("waiting for the {} reply: {e}", String::from_utf8_lossy(&del_cmd)))
        }
    };
    thread::sleep(post);
    stop.store(true, Ordering::Relaxed);
    let (samples, bad) = match getter.join() {
        Ok(Ok(x)) => x,
        Ok(Err(e)) => die(&format!("GET loop: {e}")),
        Err(_) => die("GET loop panicked"),
    };
    let d0 = (t_del0 - base).as_nanos() as u64;
    let d1 = (t_del1 - base).as_nanos() as u64;
    let w1 = d1 + after.as_nanos() as u64;
    let mut before: Vec<u64> = samples.iter().filter(|(s, l)| s + l < d0).map(|&(_, l)| l).collect();
    // every GET whose [send, reply] overlaps [DEL sent, DEL replied + window-after]
    let mut win: Vec<u64> = samples.iter().filter(|(s, l)| s + l >= d0 && *s <= w1).map(|&(_, l)| l).collect();
    let mut all: Vec<u64> = samples.iter().map(|&(_, l)| l).collect();
    before.sort_unstable();
    win.sort_unstable();
    all.sort_unstable();
    let over = win.iter().filter(|&&l| l as f64 > threshold_us * 1e3).count();
    println!("del_reply={del_reply}\ndel_us={}", us(d1 - d0));
    println!("gets={}\nget_bad_replies={bad}", samples.len());
    println!("before_count={}\nbefore_p50_us={}\nbefore_p999_us={}\nbefore_max_us={}", before.len(), us(pct(&before, 0.5)), us(pct(&before, 0.999)), us(before.last().copied().unwrap_or(0)));
    println!("window_count={}\nwindow_p50_us={}\nwindow_p99_us={}", win.len(), us(pct(&win, 0.5)), us(pct(&win, 0.99)));
    println!("window_p999_us={}\nwindow_max_us={}\nwindow_over_threshold={over}", us(pct(&win, 0.999)), us(win.last().copied().unwrap_or(0)));
    println!("all_max_us={}", us(all.last().copied().unwrap_or(0)));
}

fn main() {
    let a = Args::parse();
    match a.cmd.as_str() {
        "load-strings" => load_strings(&a),
        "load-big" => load_big(&a),
        "cache" => cache(&a),
        "probe" => probe(&a),
        other => die(&format!("unknown subcommand '{other}'")),
    }
}
