//! The per-connection state commands can see and change.

/// One client connection's state. Commands forwarded to another shard run with a detached
/// copy that carries only what they need (database, protocol version).
#[derive(Debug, Default, Clone)]
pub struct Client {
    pub id: u64,
    pub db: usize,
    pub resp3: bool,
    pub name: Option<Box<[u8]>>,
    pub addr: String,
    pub laddr: String,
    pub fd: i32,
    pub created_ms: u64,
    pub last_active_ms: u64,
    /// Name of the last command run (CLIENT LIST `cmd=`).
    pub last_command: &'static str,
    /// AUTH succeeded, or no password was required when the client connected (as Redis:
    /// setting requirepass later doesn't log out existing clients).
    pub authenticated: bool,
    /// MONITOR was called: the connection receives every command the server runs.
    pub monitor: bool,
    /// Waiting in a blocking command (set by the server for CLIENT LIST).
    pub blocked: bool,
    /// Set by QUIT (and protocol errors): close once the pending replies are written.
    pub close_after_reply: bool,
    /// Set by a blocking command that found nothing to serve: the server parks the client
    /// on these keys and runs the command again when one of them gets data.
    pub block: Option<BlockSpec>,
}

/// What a blocked client waits for.
#[derive(Debug, Clone)]
pub struct BlockSpec {
    pub keys: Vec<Box<[u8]>>,
    /// Absolute Unix ms; 0 = wait forever.
    pub deadline_ms: u64,
    pub on_timeout: TimeoutReply,
}

/// The reply a blocking command gives when its timeout passes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimeoutReply {
    /// BLPOP, BRPOP, BLMPOP, BZPOPMIN, BZPOPMAX, BZMPOP: `*-1` (RESP3 `_`).
    NullArray,
    /// BLMOVE, BRPOPLPUSH: `$-1` (RESP3 `_`).
    NullBulk,
}

impl Client {
    /// The state a forwarded command runs with on the owner shard.
    pub fn detached(db: usize, resp3: bool) -> Self {
        Client {
            db,
            resp3,
            fd: -1,
            ..Client::default()
        }
    }

    /// CLIENT LIST's `flags=`: O monitor, b blocked, N none (Redis's letters).
    fn flags(&self) -> &'static str {
        match (self.monitor, self.blocked) {
            (true, true) => "Ob",
            (true, false) => "O",
            (false, true) => "b",
            (false, false) => "N",
        }
    }

    /// One line of CLIENT LIST / CLIENT INFO, as Redis 7.0 formats it.
    pub fn info_line(&self, now_ms: u64, pending_input: usize, pending_output: usize) -> String {
        let age = now_ms.saturating_sub(self.created_ms) / 1000;
        let idle = now_ms.saturating_sub(self.last_active_ms) / 1000;
        let name = self
            .name
            .as_deref()
            .map(String::from_utf8_lossy)
            .unwrap_or_default();
        format!(
            "id={} addr={} laddr={} fd={} name={} age={} idle={} flags={} db={} sub=0 psub=0 \
             ssub=0 multi=-1 qbuf={} qbuf-free=0 argv-mem=0 multi-mem=0 rbs=16384 rbp=0 obl=0 \
             oll=0 omem={} tot-mem={} events=r cmd={} user=default redir=-1 resp={}\n",
            self.id,
            self.addr,
            self.laddr,
            self.fd,
            name,
            age,
            idle,
            self.flags(),
            self.db,
            pending_input,
            pending_output,
            16384 + pending_input + pending_output,
            if self.last_command.is_empty() {
                "NULL"
            } else {
                self.last_command
            },
            if self.resp3 { 3 } else { 2 },
        )
    }
}
