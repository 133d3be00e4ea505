//! Shared helpers for the Shardis integration tests: starting Shardis or
//! redis-server on ephemeral ports, and a tiny RESP2/RESP3 client over
//! `std::net::TcpStream`.
//!
//! Environment:
//! - `SHARDIS_TEST_TARGET=redis` makes `start_shardis()` start a redis-server
//!   instead (used to validate the tests themselves against real Redis).
//! - `REDIS_SERVER_BIN` overrides the redis-server executable (default
//!   `redis-server` on PATH).
//! - `CI` makes missing redis-server a hard failure for differential tests.

#![allow(dead_code)]

use std::collections::BTreeSet;
use std::fmt;
use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

/// Default timeout for every socket read/write in the tests.
pub const IO_TIMEOUT: Duration = Duration::from_secs(10);
/// How long we wait for a server to come up.
pub const START_TIMEOUT: Duration = Duration::from_secs(20);

// ---------------------------------------------------------------------------
// Bytes / Reply
// ---------------------------------------------------------------------------

/// Binary-safe byte string whose Debug output is readable (`b"..."`).
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Bytes(pub Vec<u8>);

impl fmt::Debug for Bytes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        const MAX: usize = 200;
        write!(f, "b\"")?;
        for &b in self.0.iter().take(MAX) {
            match b {
                b'"' => write!(f, "\\\"")?,
                b'\\' => write!(f, "\\\\")?,
                b'\r' => write!(f, "\\r")?,
                b'\n' => write!(f, "\\n")?,
                b'\t' => write!(f, "\\t")?,
                0x20..=0x7e => write!(f, "{}", b as char)?,
                _ => write!(f, "\\x{b:02x}")?,
            }
        }
        write!(f, "\"")?;
        if self.0.len() > MAX {
            write!(f, "...({} bytes)", self.0.len())?;
        }
        Ok(())
    }
}

impl std::ops::Deref for Bytes {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        &self.0
    }
}

impl From<&[u8]> for Bytes {
    fn from(v: &[u8]) -> Self {
        Bytes(v.to_vec())
    }
}

impl From<&str> for Bytes {
    fn from(v: &str) -> Self {
        Bytes(v.as_bytes().to_vec())
    }
}

impl From<Vec<u8>> for Bytes {
    fn from(v: Vec<u8>) -> Self {
        Bytes(v)
    }
}

/// A fully parsed RESP2 / RESP3 reply.
#[derive(Debug, Clone, PartialEq)]
pub enum Reply {
    /// `+...`
    Simple(String),
    /// `-...` (and RESP3 blob error `!`)
    Error(String),
    /// `:...`
    Integer(i64),
    /// `$n ...`
    Bulk(Bytes),
    /// `$-1`
    Nil,
    /// `*-1`
    NilArray,
    /// `*n`
    Array(Vec<Reply>),
    /// RESP3 `%n`
    Map(Vec<(Reply, Reply)>),
    /// RESP3 `~n`
    Set(Vec<Reply>),
    /// RESP3 `,` (kept as text so it compares exactly)
    Double(String),
    /// RESP3 `#t` / `#f`
    Bool(bool),
    /// RESP3 `_`
    Null,
    /// RESP3 `=n fmt:data`
    Verbatim(String, Bytes),
    /// RESP3 `(`
    BigNumber(String),
    /// RESP3 `>n`
    Push(Vec<Reply>),
}

impl Reply {
    pub fn is_error(&self) -> bool {
        matches!(self, Reply::Error(_))
    }
    pub fn as_int(&self) -> Option<i64> {
        match self {
            Reply::Integer(i) => Some(*i),
            _ => None,
        }
    }
    /// Bytes of a bulk / simple / verbatim string.
    pub fn as_bytes(&self) -> Option<&[u8]> {
        match self {
            Reply::Bulk(b) => Some(&b.0),
            Reply::Simple(s) => Some(s.as_bytes()),
            Reply::Verbatim(_, b) => Some(&b.0),
            _ => None,
        }
    }
    pub fn as_str(&self) -> Option<String> {
        self.as_bytes()
            .map(|b| String::from_utf8_lossy(b).into_owned())
    }
    /// Elements of an array / set / push.
    pub fn as_array(&self) -> Option<&[Reply]> {
        match self {
            Reply::Array(v) | Reply::Set(v) | Reply::Push(v) => Some(v),
            _ => None,
        }
    }
    /// Convenience: unwrap an integer or panic with the reply.
    pub fn int(&self) -> i64 {
        self.as_int()
            .unwrap_or_else(|| panic!("expected integer reply, got {self:?}"))
    }
    /// Convenience: unwrap an array or panic with the reply.
    pub fn array(&self) -> &[Reply] {
        self.as_array()
            .unwrap_or_else(|| panic!("expected array reply, got {self:?}"))
    }
}

pub fn ok() -> Reply {
    Reply::Simple("OK".into())
}
pub fn pong() -> Reply {
    Reply::Simple("PONG".into())
}
pub fn simple(s: &str) -> Reply {
    Reply::Simple(s.into())
}
pub fn err(s: &str) -> Reply {
    Reply::Error(s.into())
}
pub fn int(i: i64) -> Reply {
    Reply::Integer(i)
}
pub fn bulk<B: AsRef<[u8]>>(b: B) -> Reply {
    Reply::Bulk(Bytes(b.as_ref().to_vec()))
}
pub fn nil() -> Reply {
    Reply::Nil
}
pub fn nil_array() -> Reply {
    Reply::NilArray
}
pub fn arr(v: Vec<Reply>) -> Reply {
    Reply::Array(v)
}
/// Array of bulk strings.
pub fn bulks<B: AsRef<[u8]>>(items: &[B]) -> Reply {
    Reply::Array(items.iter().map(bulk).collect())
}
/// Array of optional bulk strings (None = nil).
pub fn opt_bulks(items: &[Option<&str>]) -> Reply {
    Reply::Array(
        items
            .iter()
            .map(|o| match o {
                Some(s) => bulk(s),
                None => nil(),
            })
            .collect(),
    )
}

// ---------------------------------------------------------------------------
// RESP encoding / parsing
// ---------------------------------------------------------------------------

/// Encode one command as a RESP multibulk.
pub fn encode<S: AsRef<[u8]>>(args: &[S]) -> Vec<u8> {
    let mut out =
        Vec::with_capacity(16 + args.iter().map(|a| a.as_ref().len() + 16).sum::<usize>());
    encode_into(&mut out, args);
    out
}

pub fn encode_into<S: AsRef<[u8]>>(out: &mut Vec<u8>, args: &[S]) {
    out.extend_from_slice(format!("*{}\r\n", args.len()).as_bytes());
    for a in args {
        let a = a.as_ref();
        out.extend_from_slice(format!("${}\r\n", a.len()).as_bytes());
        out.extend_from_slice(a);
        out.extend_from_slice(b"\r\n");
    }
}

fn find_crlf(buf: &[u8], from: usize) -> Option<usize> {
    if from >= buf.len() {
        return None;
    }
    buf[from..]
        .windows(2)
        .position(|w| w == b"\r\n")
        .map(|p| p + from)
}

fn parse_int(line: &[u8]) -> Result<i64, String> {
    std::str::from_utf8(line)
        .ok()
        .and_then(|s| s.parse::<i64>().ok())
        .ok_or_else(|| format!("bad integer in reply: {:?}", Bytes(line.to_vec())))
}

/// Try to parse one reply starting at `pos`. `Ok(None)` = incomplete.
pub fn parse_reply(buf: &[u8], pos: usize) -> Result<Option<(Reply, usize)>, String> {
    if pos >= buf.len() {
        return Ok(None);
    }
    let t = buf[pos];
    let Some(end) = find_crlf(buf, pos + 1) else {
        return Ok(None);
    };
    let line = &buf[pos + 1..end];
    let next = end + 2;
    let text = || String::from_utf8_lossy(line).into_owned();
    let r = match t {
        b'+' => (Reply::Simple(text()), next),
        b'-' => (Reply::Error(text()), next),
        b':' => (Reply::Integer(parse_int(line)?), next),
        b',' => (Reply::Double(text()), next),
        b'(' => (Reply::BigNumber(text()), next),
        b'_' => (Reply::Null, next),
        b'#' => match line {
            b"t" => (Reply::Bool(true), next),
            b"f" => (Reply::Bool(false), next),
            _ => return Err(format!("bad boolean {:?}", text())),
        },
        b'$' | b'=' | b'!' => {
            let n = parse_int(line)?;
            if n < 0 {
                if t == b'$' && n == -1 {
                    return Ok(Some((Reply::Nil, next)));
                }
                return Err(format!("bad blob length {n}"));
            }
            let n = n as usize;
            if buf.len() < next + n + 2 {
                return Ok(None);
            }
            if &buf[next + n..next + n + 2] != b"\r\n" {
                return Err("blob not terminated by CRLF".into());
            }
            let data = buf[next..next + n].to_vec();
            let reply = match t {
                b'$' => Reply::Bulk(Bytes(data)),
                b'!' => Reply::Error(String::from_utf8_lossy(&data).into_owned()),
                _ => {
                    if data.len() < 4 || data[3] != b':' {
                        return Err("bad verbatim string".into());
                    }
                    Reply::Verbatim(
                        String::from_utf8_lossy(&data[..3]).into_owned(),
                        Bytes(data[4..].to_vec()),
                    )
                }
            };
            (reply, next + n + 2)
        }
        b'*' | b'~' | b'>' => {
            let n = parse_int(line)?;
            if n < 0 {
                if t == b'*' && n == -1 {
                    return Ok(Some((Reply::NilArray, next)));
                }
                return Err(format!("bad aggregate length {n}"));
            }
            let mut items = Vec::with_capacity((n as usize).min(1 << 16));
            let mut p = next;
            for _ in 0..n {
                match parse_reply(buf, p)? {
                    Some((r, np)) => {
                        items.push(r);
                        p = np;
                    }
                    None => return Ok(None),
                }
            }
            let reply = match t {
                b'*' => Reply::Array(items),
                b'~' => Reply::Set(items),
                _ => Reply::Push(items),
            };
            (reply, p)
        }
        b'%' | b'|' => {
            let n = parse_int(line)?;
            if n < 0 {
                return Err(format!("bad map length {n}"));
            }
            let mut items = Vec::with_capacity((n as usize).min(1 << 16));
            let mut p = next;
            for _ in 0..n {
                let Some((k, np)) = parse_reply(buf, p)? else {
                    return Ok(None);
                };
                let Some((v, np2)) = parse_reply(buf, np)? else {
                    return Ok(None);
                };
                items.push((k, v));
                p = np2;
            }
            if t == b'|' {
                // Attribute: ignore it, return the reply that follows.
                return parse_reply(buf, p);
            }
            (Reply::Map(items), p)
        }
        other => {
            return Err(format!(
                "unexpected reply type byte {:?} in {:?}",
                other as char,
                Bytes(buf[pos..buf.len().min(pos + 64)].to_vec())
            ))
        }
    };
    Ok(Some(r))
}

// ---------------------------------------------------------------------------
// Connection
// ---------------------------------------------------------------------------

#[derive(Debug)]
pub enum ReadError {
    /// Peer closed the connection (clean EOF or reset).
    Closed,
    /// Nothing arrived within the read timeout.
    Timeout,
    /// Any other I/O error.
    Io(io::Error),
    /// The bytes were not valid RESP.
    Protocol(String),
}

/// A minimal RESP client.
pub struct Conn {
    pub stream: TcpStream,
    buf: Vec<u8>,
    pos: usize,
}

impl Conn {
    pub fn connect(port: u16) -> Conn {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            match TcpStream::connect(("127.0.0.1", port)) {
                Ok(stream) => return Conn::from_stream(stream),
                Err(e) if Instant::now() < deadline => {
                    let _ = e;
                    thread::sleep(Duration::from_millis(50));
                }
                Err(e) => panic!("cannot connect to 127.0.0.1:{port}: {e}"),
            }
        }
    }

    pub fn try_connect(port: u16) -> io::Result<Conn> {
        let stream =
            TcpStream::connect_timeout(&([127, 0, 0, 1], port).into(), Duration::from_secs(2))?;
        Ok(Conn::from_stream(stream))
    }

    pub fn from_stream(stream: TcpStream) -> Conn {
        stream.set_read_timeout(Some(IO_TIMEOUT)).unwrap();
        stream.set_write_timeout(Some(IO_TIMEOUT)).unwrap();
        stream.set_nodelay(true).unwrap();
        Conn {
            stream,
            buf: Vec::new(),
            pos: 0,
        }
    }

    pub fn set_read_timeout(&self, d: Duration) {
        self.stream.set_read_timeout(Some(d)).unwrap();
    }

    /// Send one command (multibulk encoded).
    pub fn send<S: AsRef<[u8]>>(&mut self, args: &[S]) {
        let bytes = encode(args);
        self.send_raw(&bytes);
    }

    /// Send raw bytes; panics on failure.
    pub fn send_raw(&mut self, bytes: &[u8]) {
        self.stream
            .write_all(bytes)
            .unwrap_or_else(|e| panic!("write failed: {e}"));
    }

    /// Send raw bytes, returning the error instead of panicking.
    pub fn try_send_raw(&mut self, bytes: &[u8]) -> io::Result<()> {
        self.stream.write_all(bytes)
    }

    fn fill(&mut self) -> Result<(), ReadError> {
        if self.pos > 0 && self.pos == self.buf.len() {
            self.buf.clear();
            self.pos = 0;
        } else if self.pos > (1 << 20) {
            self.buf.drain(..self.pos);
            self.pos = 0;
        }
        let mut chunk = vec![0u8; 256 * 1024];
        match self.stream.read(&mut chunk) {
            Ok(0) => Err(ReadError::Closed),
            Ok(n) => {
                self.buf.extend_from_slice(&chunk[..n]);
                Ok(())
            }
            Err(e) => match e.kind() {
                io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut => Err(ReadError::Timeout),
                io::ErrorKind::ConnectionReset
                | io::ErrorKind::ConnectionAborted
                | io::ErrorKind::BrokenPipe => Err(ReadError::Closed),
                _ => Err(ReadError::Io(e)),
            },
        }
    }

    /// Read one complete reply.
    pub fn try_read_reply(&mut self) -> Result<Reply, ReadError> {
        loop {
            match parse_reply(&self.buf, self.pos) {
                Ok(Some((r, np))) => {
                    self.pos = np;
                    return Ok(r);
                }
                Ok(None) => self.fill()?,
                Err(e) => return Err(ReadError::Protocol(e)),
            }
        }
    }

    /// Read one complete reply, panicking on EOF / timeout / bad RESP.
    pub fn read_reply(&mut self) -> Reply {
        match self.try_read_reply() {
            Ok(r) => r,
            Err(e) => panic!(
                "failed to read reply: {e:?} (buffered: {:?})",
                Bytes(self.buf[self.pos..].iter().take(128).copied().collect())
            ),
        }
    }

    /// Send a command and read its reply.
    pub fn cmd<S: AsRef<[u8]>>(&mut self, args: &[S]) -> Reply {
        self.send(args);
        self.read_reply()
    }

    /// Send a command given as one whitespace separated string (no quoting).
    pub fn cmds(&mut self, line: &str) -> Reply {
        let args: Vec<&str> = line.split_whitespace().collect();
        self.cmd(&args)
    }

    /// Write all commands in one write (from a helper thread, so a large
    /// pipeline cannot deadlock against unread replies), then read exactly
    /// one reply per command.
    pub fn pipeline<S: AsRef<[u8]>>(&mut self, cmds: &[Vec<S>]) -> Vec<Reply> {
        let mut bytes = Vec::new();
        for c in cmds {
            encode_into(&mut bytes, c);
        }
        let mut writer = self.stream.try_clone().expect("clone stream");
        let n = cmds.len();
        thread::scope(|s| {
            let h = s.spawn(move || writer.write_all(&bytes));
            let mut out = Vec::with_capacity(n);
            for i in 0..n {
                match self.try_read_reply() {
                    Ok(r) => out.push(r),
                    Err(e) => panic!("pipeline: reply {i} of {n} failed: {e:?}"),
                }
            }
            h.join()
                .expect("writer thread panicked")
                .expect("pipeline write failed");
            out
        })
    }

    /// Read raw bytes until `n` bytes have arrived or the peer closes / times
    /// out. Returns whatever was read.
    pub fn read_raw_available(&mut self, timeout: Duration) -> Vec<u8> {
        self.set_read_timeout(timeout);
        let deadline = Instant::now() + timeout;
        while Instant::now() < deadline {
            match self.fill() {
                Ok(()) => continue,
                Err(_) => break,
            }
        }
        self.set_read_timeout(IO_TIMEOUT);
        let out = self.buf[self.pos..].to_vec();
        self.pos = self.buf.len();
        out
    }

    /// True if the server closes the connection (EOF / reset) within `timeout`
    /// and sends no further bytes.
    pub fn expect_closed(&mut self, timeout: Duration) -> Result<(), String> {
        if self.pos < self.buf.len() {
            return Err(format!(
                "unexpected extra bytes: {:?}",
                Bytes(self.buf[self.pos..].to_vec())
            ));
        }
        self.set_read_timeout(timeout);
        let r = self.fill();
        self.set_read_timeout(IO_TIMEOUT);
        match r {
            Err(ReadError::Closed) => Ok(()),
            Err(ReadError::Timeout) => Err("connection still open after timeout".into()),
            Err(e) => Err(format!("unexpected error: {e:?}")),
            Ok(()) => Err(format!(
                "unexpected extra bytes: {:?}",
                Bytes(self.buf[self.pos..].to_vec())
            )),
        }
    }

    pub fn shutdown_write(&self) {
        let _ = self.stream.shutdown(Shutdown::Write);
    }
}

/// Iterate SCAN (with extra args, e.g. MATCH/COUNT/TYPE) until the cursor is
/// 0; returns the set of keys. Bounded to 100k calls.
pub fn full_scan(c: &mut Conn, extra: &[&str]) -> BTreeSet<Bytes> {
    let mut cursor = b"0".to_vec();
    let mut keys = BTreeSet::new();
    for _ in 0..100_000 {
        let mut args: Vec<Vec<u8>> = vec![b"SCAN".to_vec(), cursor.clone()];
        args.extend(extra.iter().map(|s| s.as_bytes().to_vec()));
        let r = c.cmd(&args);
        let parts = r.array();
        assert_eq!(parts.len(), 2, "SCAN reply shape: {r:?}");
        cursor = parts[0]
            .as_bytes()
            .unwrap_or_else(|| panic!("SCAN cursor not a string: {r:?}"))
            .to_vec();
        for k in parts[1].array() {
            keys.insert(Bytes(
                k.as_bytes()
                    .unwrap_or_else(|| panic!("SCAN key not a string: {k:?}"))
                    .to_vec(),
            ));
        }
        if cursor == b"0" {
            return keys;
        }
    }
    panic!("SCAN did not terminate within 100000 iterations");
}

/// KEYS pattern as a set.
pub fn keys_set(c: &mut Conn, pattern: &str) -> BTreeSet<Bytes> {
    c.cmd(&["KEYS", pattern])
        .array()
        .iter()
        .map(|k| Bytes(k.as_bytes().expect("KEYS element").to_vec()))
        .collect()
}

// ---------------------------------------------------------------------------
// Servers
// ---------------------------------------------------------------------------

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    Shardis,
    Redis,
}

/// True when `SHARDIS_TEST_TARGET=redis`: `start_shardis` starts redis-server.
pub fn target_is_redis() -> bool {
    std::env::var("SHARDIS_TEST_TARGET")
        .map(|v| v.eq_ignore_ascii_case("redis"))
        .unwrap_or(false)
}

fn redis_bin() -> String {
    std::env::var("REDIS_SERVER_BIN").unwrap_or_else(|_| "redis-server".to_string())
}

/// Is redis-server available?
pub fn redis_available() -> bool {
    Command::new(redis_bin())
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .map(|s| s.success())
        .unwrap_or(false)
}

/// For tests that need redis-server: true if it is available. If it is not,
/// panics when `CI` is set, otherwise prints a notice and returns false (the
/// caller should return early, i.e. skip).
pub fn require_redis(test: &str) -> bool {
    if redis_available() {
        return true;
    }
    if std::env::var_os("CI").is_some() {
        panic!(
            "{test}: redis-server not found (looked for `{}`), and CI is set: \
             the differential tests need it. Install redis-server or set REDIS_SERVER_BIN.",
            redis_bin()
        );
    }
    eprintln!(
        "NOTICE: {test} skipped: redis-server (`{}`) not available",
        redis_bin()
    );
    false
}

/// A running server process. Killed and reaped on drop.
pub struct Server {
    child: Child,
    pub port: u16,
    pub target: Target,
    pub shards: usize,
    /// The `/metrics` port, when the server was started with the endpoint on.
    pub metrics_port: Option<u16>,
    exited: Option<ExitStatus>,
}

impl Drop for Server {
    fn drop(&mut self) {
        if self.exited.is_none() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

impl Server {
    pub fn connect(&self) -> Conn {
        Conn::connect(self.port)
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    pub fn is_redis(&self) -> bool {
        self.target == Target::Redis
    }

    /// Wait (bounded) for the process to exit on its own.
    pub fn wait_exit(&mut self, timeout: Duration) -> Option<ExitStatus> {
        if let Some(s) = self.exited {
            return Some(s);
        }
        let deadline = Instant::now() + timeout;
        loop {
            match self.child.try_wait() {
                Ok(Some(s)) => {
                    self.exited = Some(s);
                    return Some(s);
                }
                Ok(None) => {}
                Err(e) => panic!("try_wait failed: {e}"),
            }
            if Instant::now() >= deadline {
                return None;
            }
            thread::sleep(Duration::from_millis(20));
        }
    }

    /// Send a signal (e.g. "TERM") to this process only, via kill(1).
    pub fn signal(&self, sig: &str) {
        let status = Command::new("kill")
            .arg("-s")
            .arg(sig)
            .arg(self.pid().to_string())
            .status()
            .expect("run kill(1)");
        assert!(status.success(), "kill -s {sig} {} failed", self.pid());
    }

    /// Bounded wait until PING answers PONG (or NOAUTH, when a password is required).
    fn wait_ready(&mut self) {
        let deadline = Instant::now() + START_TIMEOUT;
        loop {
            if let Ok(mut c) = Conn::try_connect(self.port) {
                c.set_read_timeout(Duration::from_secs(2));
                c.send(&["PING"]);
                if let Ok(r) = c.try_read_reply() {
                    // NOAUTH: up, and started with requirepass.
                    if r == pong() || matches!(&r, Reply::Error(e) if e.starts_with("NOAUTH")) {
                        return;
                    }
                }
            }
            if let Ok(Some(s)) = self.child.try_wait() {
                self.exited = Some(s);
                panic!("{:?} server exited during startup: {s}", self.target);
            }
            if Instant::now() >= deadline {
                panic!(
                    "{:?} server on port {} did not answer PING within {:?}",
                    self.target, self.port, START_TIMEOUT
                );
            }
            thread::sleep(Duration::from_millis(50));
        }
    }
}

/// Pick a free ephemeral port by binding port 0 and dropping the listener.
pub fn free_port() -> u16 {
    let l = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
    l.local_addr().unwrap().port()
}

/// Start a redis-server on an ephemeral port with persistence disabled.
pub fn start_redis() -> Server {
    start_redis_with(&[])
}

/// Start a redis-server with extra command-line arguments.
pub fn start_redis_with(extra: &[&str]) -> Server {
    let mut last_err = String::new();
    for _attempt in 0..5 {
        let port = free_port();
        let child = Command::new(redis_bin())
            .args(["--port", &port.to_string()])
            .args(["--bind", "127.0.0.1"])
            .args(["--save", ""])
            .args(["--appendonly", "no"])
            .args(["--daemonize", "no"])
            .args(["--protected-mode", "no"])
            .args(["--dir", &std::env::temp_dir().to_string_lossy()])
            .args(extra)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot spawn {}: {e}", redis_bin()));
        let mut s = Server {
            child,
            port,
            target: Target::Redis,
            shards: 1,
            metrics_port: None,
            exited: None,
        };
        // A port collision makes redis-server exit immediately; retry then.
        let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| s.wait_ready()));
        match r {
            Ok(()) => return s,
            Err(e) => {
                last_err = e
                    .downcast_ref::<String>()
                    .cloned()
                    .or_else(|| e.downcast_ref::<&str>().map(|s| s.to_string()))
                    .unwrap_or_default();
            }
        }
    }
    panic!("could not start redis-server: {last_err}");
}

/// Start Shardis with `shards` shards on an ephemeral port (or redis-server
/// when `SHARDIS_TEST_TARGET=redis`).
pub fn start_shardis(shards: usize) -> Server {
    if target_is_redis() {
        let mut s = start_redis();
        s.shards = shards;
        return s;
    }
    start_shardis_binary(shards)
}

/// Start Shardis with `shards` shards and extra command-line arguments, which come after the
/// harness's defaults (`--port 0 --shards N --bind 127.0.0.1 --metrics-port 0`). The binary
/// refuses a repeated named flag, so a default that `extra` gives too (as `--name value` or
/// `--name=value`) is left out rather than repeated. `server.metrics_port` is set when `extra`
/// turns the endpoint on with `--metrics-port` (not when only a `--config` file does; the
/// default `--metrics-port 0` overrides the file anyway). With `SHARDIS_TEST_TARGET=redis` the
/// extra arguments go to redis-server.
pub fn start_shardis_with(shards: usize, extra: &[&str]) -> Server {
    if target_is_redis() {
        let mut s = start_redis_with(extra);
        s.shards = shards;
        return s;
    }
    try_start_shardis_binary(shards, extra).unwrap_or_else(|e| panic!("{e}"))
}

/// Start Shardis (never redis-server: the endpoint is Shardis's own) with its Prometheus
/// endpoint on a free port of 127.0.0.1; `server.metrics_port` holds it. The port is picked
/// by binding port 0 and letting it go, so another process may take it before the server
/// binds it: the server then exits at start-up, and this tries again with another port
/// (5 attempts).
pub fn start_shardis_with_metrics(shards: usize, extra: &[&str]) -> Server {
    assert!(
        !target_is_redis(),
        "start_shardis_with_metrics: /metrics is Shardis-only; skip this test for redis"
    );
    let mut last_err = String::new();
    for _attempt in 0..5 {
        let port = free_port().to_string();
        let mut args: Vec<&str> = vec!["--metrics-port", &port, "--metrics-bind", "127.0.0.1"];
        args.extend_from_slice(extra);
        match try_start_shardis_binary(shards, &args) {
            Ok(s) => {
                assert_eq!(
                    s.metrics_port.map(|p| p.to_string()),
                    Some(port.clone()),
                    "the metrics line names another port than --metrics-port"
                );
                return s;
            }
            Err(e) => last_err = e,
        }
    }
    panic!("could not start shardis with a metrics endpoint in 5 attempts: {last_err}");
}

/// Is `flag` (`--name`) among `args`, as `--name value` or `--name=value`?
fn has_flag(args: &[&str], flag: &str) -> bool {
    args.iter()
        .any(|a| *a == flag || a.strip_prefix(flag).is_some_and(|r| r.starts_with('=')))
}

fn start_shardis_binary(shards: usize) -> Server {
    try_start_shardis_binary(shards, &[]).unwrap_or_else(|e| panic!("{e}"))
}

/// Start the binary; `Err` when it exits (or closes stdout) before printing its listening
/// line (and, with a non-zero `--metrics-port` in `extra`, its metrics line).
fn try_start_shardis_binary(shards: usize, extra: &[&str]) -> Result<Server, String> {
    let bin = env!("CARGO_BIN_EXE_shardis");
    let shards_arg = shards.to_string();
    let defaults: [(&str, &str); 4] = [
        ("--port", "0"),
        ("--shards", &shards_arg),
        ("--bind", "127.0.0.1"),
        // Many servers run at once: none of them serves /metrics on the shared default port.
        ("--metrics-port", "0"),
    ];
    let mut args: Vec<&str> = Vec::new();
    for (flag, value) in defaults {
        if !has_flag(extra, flag) {
            args.push(flag);
            args.push(value);
        }
    }
    args.extend_from_slice(extra);
    // The metrics line follows the listening line when the endpoint is on.
    let metrics_on = extra.iter().enumerate().any(|(i, a)| {
        let value = if *a == "--metrics-port" {
            extra.get(i + 1).copied()
        } else {
            a.strip_prefix("--metrics-port=")
        };
        value.is_some_and(|v| v.trim() != "0")
    });
    let mut child = Command::new(bin)
        .args(&args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot spawn {bin}: {e}"));
    let stdout = child.stdout.take().expect("piped stdout");
    let (tx, rx) = mpsc::channel::<String>();
    // Reads stdout lines forever (until EOF) so the pipe never fills; the
    // first lines are forwarded to the test until the listening line shows up.
    thread::spawn(move || {
        let mut reader = BufReader::new(stdout);
        let mut line = Vec::new();
        let mut forward = true;
        loop {
            line.clear();
            match reader.read_until(b'\n', &mut line) {
                Ok(0) | Err(_) => break,
                Ok(_) => {
                    if forward {
                        let s = String::from_utf8_lossy(&line).trim_end().to_string();
                        if tx.send(s).is_err() {
                            forward = false;
                        }
                    }
                }
            }
        }
    });
    let mut server = Server {
        child,
        port: 0,
        target: Target::Shardis,
        shards,
        metrics_port: None,
        exited: None,
    };
    let deadline = Instant::now() + START_TIMEOUT;
    let mut seen = Vec::new();
    for _ in 0..10_000 {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            panic!("shardis did not print its listening line within {START_TIMEOUT:?}; stdout so far: {seen:?}");
        }
        match rx.recv_timeout(left) {
            Ok(line) => {
                if let Some(port) = parse_listening_line(&line) {
                    server.port = port;
                    // The shard count the server runs with (`extra` may set its own).
                    if let Some(n) = line
                        .split("shards=")
                        .nth(1)
                        .and_then(|n| n.trim().parse().ok())
                    {
                        server.shards = n;
                    }
                    if !metrics_on {
                        drop(rx);
                        server.wait_ready();
                        return Ok(server);
                    }
                } else if let Some(port) = parse_metrics_line(&line) {
                    server.metrics_port = Some(port);
                }
                if server.port != 0 && server.metrics_port.is_some() {
                    drop(rx);
                    server.wait_ready();
                    return Ok(server);
                }
                seen.push(line);
            }
            Err(mpsc::RecvTimeoutError::Timeout) => continue,
            Err(mpsc::RecvTimeoutError::Disconnected) => {
                let status = server.wait_exit(Duration::from_secs(2));
                return Err(format!(
                    "shardis closed stdout before printing `shardis listening on ...`{} \
                     (exit status {status:?}); args {args:?}; stdout: {seen:?}",
                    if metrics_on {
                        " and `shardis metrics on ...`"
                    } else {
                        ""
                    }
                ));
            }
        }
    }
    panic!("shardis printed too many lines without the listening line: {seen:?}");
}

/// Parse `shardis metrics on http://127.0.0.1:PORT/metrics`.
pub fn parse_metrics_line(line: &str) -> Option<u16> {
    let rest = line.split("shardis metrics on http://").nth(1)?;
    let host_port = rest.split('/').next()?;
    host_port.rsplit(':').next()?.parse().ok()
}

/// Parse `shardis listening on 127.0.0.1:PORT shards=N`.
pub fn parse_listening_line(line: &str) -> Option<u16> {
    let rest = line.split("shardis listening on ").nth(1)?;
    let addr = rest.split_whitespace().next()?;
    addr.rsplit(':').next()?.parse().ok()
}

// ---------------------------------------------------------------------------
// Misc
// ---------------------------------------------------------------------------

/// Small deterministic PRNG (xorshift64*).
#[derive(Clone)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }
    pub fn next_u64(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    /// Uniform in `0..n` (n > 0).
    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n as u64) as usize
    }
    pub fn range(&mut self, lo: i64, hi: i64) -> i64 {
        lo + (self.next_u64() % ((hi - lo + 1) as u64)) as i64
    }
    pub fn chance(&mut self, percent: usize) -> bool {
        self.below(100) < percent
    }
    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

/// Current UNIX time in seconds.
pub fn unix_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

/// Poll `f` every `step` until it returns true or `timeout` passes.
pub fn wait_until(timeout: Duration, step: Duration, mut f: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + timeout;
    loop {
        if f() {
            return true;
        }
        if Instant::now() >= deadline {
            return false;
        }
        thread::sleep(step);
    }
}

// ---------------------------------------------------------------------------
// HTTP and temporary directories (for /metrics, Prometheus and config files)
// ---------------------------------------------------------------------------

/// One HTTP response.
#[derive(Debug, Clone)]
pub struct HttpResponse {
    /// The status code, e.g. 200.
    pub status: u16,
    /// The status line, e.g. `HTTP/1.1 200 OK`.
    pub status_line: String,
    /// Header names lower-cased, values trimmed, in order.
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl HttpResponse {
    /// The first header of that name (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        let name = name.to_ascii_lowercase();
        self.headers
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| v.as_str())
    }
}

/// `GET path` on 127.0.0.1:port with HTTP/1.1 and `Connection: close`: the whole response,
/// read up to its Content-Length (or to EOF without one), every step within `IO_TIMEOUT`.
pub fn http_get(port: u16, path: &str) -> io::Result<HttpResponse> {
    let mut stream =
        TcpStream::connect_timeout(&([127, 0, 0, 1], port).into(), Duration::from_secs(5))?;
    stream.set_read_timeout(Some(IO_TIMEOUT))?;
    stream.set_write_timeout(Some(IO_TIMEOUT))?;
    let request =
        format!("GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n\r\n");
    stream.write_all(request.as_bytes())?;
    let deadline = Instant::now() + IO_TIMEOUT;
    let mut raw = Vec::new();
    let mut chunk = [0u8; 64 * 1024];
    let bad = |why: String| io::Error::new(io::ErrorKind::InvalidData, why);
    let mut head_end = None;
    let mut content_length = None;
    loop {
        if head_end.is_none() {
            if let Some(p) = raw.windows(4).position(|w| w == b"\r\n\r\n") {
                head_end = Some(p + 4);
                let head = String::from_utf8_lossy(&raw[..p]).into_owned();
                content_length = head.lines().skip(1).find_map(|l| {
                    let (n, v) = l.split_once(':')?;
                    n.trim()
                        .eq_ignore_ascii_case("content-length")
                        .then(|| v.trim().parse::<usize>().ok())?
                });
            }
        }
        if let (Some(h), Some(n)) = (head_end, content_length) {
            if raw.len() >= h + n {
                raw.truncate(h + n);
                break;
            }
        }
        if Instant::now() >= deadline {
            return Err(io::Error::new(
                io::ErrorKind::TimedOut,
                format!("no complete HTTP response from port {port} within {IO_TIMEOUT:?}"),
            ));
        }
        match stream.read(&mut chunk) {
            Ok(0) => break,
            Ok(n) => raw.extend_from_slice(&chunk[..n]),
            Err(e) => return Err(e),
        }
    }
    let h = head_end.ok_or_else(|| {
        bad(format!(
            "no HTTP head in {:?}",
            Bytes(raw.iter().take(256).copied().collect())
        ))
    })?;
    let head = String::from_utf8_lossy(&raw[..h - 4]).into_owned();
    let mut lines = head.lines();
    let status_line = lines.next().unwrap_or_default().to_string();
    let status = status_line
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| bad(format!("bad status line {status_line:?}")))?;
    let headers = lines
        .filter_map(|l| {
            let (n, v) = l.split_once(':')?;
            Some((n.trim().to_ascii_lowercase(), v.trim().to_string()))
        })
        .collect();
    if let Some(n) = content_length {
        if raw.len() < h + n {
            return Err(bad(format!(
                "body cut short: {} of {n} bytes",
                raw.len() - h
            )));
        }
    }
    Ok(HttpResponse {
        status,
        status_line,
        headers,
        body: String::from_utf8_lossy(&raw[h..]).into_owned(),
    })
}

/// A fresh directory under the system temp dir, removed with its contents on drop.
pub struct TempDir {
    pub path: std::path::PathBuf,
}

impl TempDir {
    pub fn new(tag: &str) -> TempDir {
        use std::sync::atomic::{AtomicUsize, Ordering};
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.subsec_nanos())
            .unwrap_or(0);
        let path = std::env::temp_dir().join(format!(
            "shardis-test-{tag}-{}-{}-{nanos}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        ));
        std::fs::create_dir_all(&path).unwrap_or_else(|e| panic!("create {}: {e}", path.display()));
        TempDir { path }
    }

    /// `self.path` joined with `name`.
    pub fn join(&self, name: &str) -> std::path::PathBuf {
        self.path.join(name)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.path);
    }
}

/// A command as COMMAND lists it: its leading words (the name, or container and
/// subcommand), its arity and where its first key goes (0: no keys).
#[allow(dead_code)]
pub struct ListedCommand {
    pub words: Vec<Vec<u8>>,
    pub arity: i64,
    pub first_key: i64,
}

/// Commands that change the connection's mode (MULTI, SUBSCRIBE, HELLO, SELECT...), wait
/// (BLPOP, WAIT), answer with several replies (UNSUBSCRIBE a b), write files (SAVE), or
/// would spoil a run for everyone else (CONFIG SET maxmemory 1, FLUSHALL, CLIENT PAUSE,
/// DEBUG SLEEP, SHUTDOWN): what tests calling random commands leave out.
#[allow(dead_code)]
pub const DISRUPTIVE_COMMANDS: &[&str] = &[
    "auth",
    "bgrewriteaof",
    "bgsave",
    "blmove",
    "blmpop",
    "blpop",
    "brpop",
    "brpoplpush",
    "bzmpop",
    "bzpopmax",
    "bzpopmin",
    "client",
    "config",
    "debug",
    "exec",
    "failover",
    "flushall",
    "flushdb",
    "hello",
    "module",
    "monitor",
    "multi",
    "psubscribe",
    "psync",
    "punsubscribe",
    "quit",
    "replicaof",
    "reset",
    "save",
    "select",
    "shutdown",
    "slaveof",
    "ssubscribe",
    "subscribe",
    "sunsubscribe",
    "swapdb",
    "sync",
    "unsubscribe",
    "wait",
    "waitaof",
    "xread",
    "xreadgroup",
];

/// Every command and subcommand the server lists in COMMAND (a container stands for its
/// subcommands), except those named in `skip`.
#[allow(dead_code)]
pub fn listed_commands(c: &mut Conn, skip: &[&str]) -> Vec<ListedCommand> {
    let mut listed = Vec::new();
    for entry in c.cmd(&["COMMAND"]).array() {
        let info = entry.array();
        let name = info[0].as_str().expect("command name");
        if skip.contains(&name.as_str()) {
            continue;
        }
        let subcommands = info.get(9).and_then(Reply::as_array).unwrap_or_default();
        if subcommands.is_empty() {
            listed.push(ListedCommand {
                words: vec![name.into_bytes()],
                arity: info[1].int(),
                first_key: info[3].int(),
            });
        }
        for sub in subcommands {
            let sub = sub.array();
            let full = sub[0].as_str().expect("subcommand name");
            let (container, sub_name) = full.split_once('|').expect("container|sub");
            listed.push(ListedCommand {
                words: vec![container.as_bytes().to_vec(), sub_name.as_bytes().to_vec()],
                arity: sub[1].int(),
                first_key: sub[3].int(),
            });
        }
    }
    listed
}

/// CRC16-XMODEM (poly 0x1021, init 0), bit by bit: Redis Cluster's key hash, written
/// independently of the server's so tests check it.
#[allow(dead_code)]
pub fn crc16(data: &[u8]) -> u16 {
    let mut crc: u16 = 0;
    for &b in data {
        crc ^= (b as u16) << 8;
        for _ in 0..8 {
            crc = if crc & 0x8000 != 0 {
                (crc << 1) ^ 0x1021
            } else {
                crc << 1
            };
        }
    }
    crc
}

/// Redis Cluster key slot, with the `{hashtag}` rule.
#[allow(dead_code)]
pub fn key_slot(key: &[u8]) -> usize {
    let hashed = match key.iter().position(|&b| b == b'{') {
        Some(open) => match key[open + 1..].iter().position(|&b| b == b'}') {
            Some(len) if len > 0 => &key[open + 1..open + 1 + len],
            _ => key,
        },
        None => key,
    };
    crc16(hashed) as usize % 16384
}

/// The shard of `n` that owns `key` (shard i owns slots i*16384/n .. (i+1)*16384/n).
#[allow(dead_code)]
pub fn shard_of(key: &str, n: usize) -> usize {
    key_slot(key.as_bytes()) * n / 16384
}
