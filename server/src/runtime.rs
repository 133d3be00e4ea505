//! One shard's event loop: a thread pinned to its core, one io_uring for its sockets, its
//! timer and its cross-shard eventfd; its keyspace; its connections; and the coordination of
//! the transactions its clients start.

use crate::board::{Board, Published};
use crate::conn::{BlockedAt, Conn, QUERY_BUFFER_LIMIT, READ_CHUNK};
use crate::locks::{LockSet, LockTable};
use crate::mesh::Endpoint;
use crate::message::{
    Batch, ConnToken, OpResult, PackedCommands, PackedReplies, Request, Response, ShardOp, TxId,
};
use crate::recv_buffers::{self, RecvBuffers};
use crate::tx::{self, KillFilter, Plan, Step};
use io_uring::{cqueue, opcode, squeue, types, IoUring};
use protocol::{ArgSpan, Parsed, Reply};
use shard::command::{flags, Coordinator, Merge, Routing};
use shard::evict::{Room, OOM_ERROR};
use shard::families::connection::validate_client_list_args;
use shard::families::server::monitor_line;
use shard::families::server::InfoData;
use shard::{Client, CmdError, CommandSpec, CommandTable, Shard, ShardId};
use smallvec::SmallVec;
use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// Set by the main thread on SIGINT/SIGTERM (or by SHUTDOWN); every loop checks it per turn.
pub static SHUTDOWN: AtomicBool = AtomicBool::new(false);

/// Open client connections over all shards, for `maxclients`. Touched on connect and
/// disconnect only, never per command.
pub static CONNECTED_CLIENTS: AtomicU64 = AtomicU64::new(0);

/// Redis's refusal of a non-loopback client in protected mode (the same text, so tools and
/// people recognise it), with this server's name.
const PROTECTED_MODE_DENIED: &[u8] = b"-DENIED Shardis is running in protected mode because \
protected mode is enabled and no password is set for the default user. In this mode \
connections are only accepted from the loopback interface. If you want to connect from \
external computers to Shardis you may adopt one of the following solutions: 1) Just disable \
protected mode sending the command 'CONFIG SET protected-mode no' from the loopback interface \
by connecting to Shardis from the same host the server is running, however MAKE SURE Shardis \
is not publicly accessible from internet if you do so. Use CONFIG REWRITE to make this change \
permanent. 2) Alternatively you can just disable the protected mode by editing the Shardis \
configuration file, and setting the protected mode option to 'no', and then restarting the \
server. 3) If you started the server manually just for testing, restart it with the \
'--protected-mode no' option. 4) Setup a bind address or an authentication password. NOTE: \
You only need to do one of the above things in order for the server to start accepting \
connections from the outside.\r\n";

/// Protected mode (Redis 7: whatever the bind address) lets only loopback peers in.
fn protected_mode_allows(peer: Option<std::net::SocketAddr>) -> bool {
    peer.is_some_and(|addr| match addr.ip() {
        std::net::IpAddr::V4(ip) => ip.is_loopback(),
        std::net::IpAddr::V6(ip) => {
            ip.is_loopback() || ip.to_ipv4_mapped().is_some_and(|v4| v4.is_loopback())
        }
    })
}

/// Connections in MONITOR mode over all shards: while 0 (always, in production) feeding
/// them costs one relaxed load per command.
static MONITORS: AtomicU64 = AtomicU64::new(0);

const KIND_ACCEPT: u64 = 1;
const KIND_RECV: u64 = 2;
const KIND_SEND: u64 = 3;
const KIND_EVENTFD: u64 = 4;
const KIND_TIMER: u64 = 5;
const KIND_CANCEL: u64 = 6;

/// Receive buffers per shard, and their size.
const RECV_BUFFERS: u16 = 512;
const RECV_BUFFER_SIZE: usize = 4 * 1024;

fn user_data(kind: u64, index: u32) -> u64 {
    (kind << 56) | index as u64
}

/// Active expiry runs every tick, as Redis's `hz 10`.
const TICK: Duration = Duration::from_millis(100);
const TICKS_PER_SECOND: u64 = 1000 / TICK.as_millis() as u64;
/// Shards publish their figures for /metrics every half second.
const PUBLISH_EVERY_TICKS: u64 = 5;
/// Most time one tick may spend expiring keys (Redis allows 25% of the tick).
const EXPIRE_BUDGET: Duration = Duration::from_millis(25);

pub fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}

/// Coordinator-side state of a transaction this shard started.
struct TxState {
    conn: ConnToken,
    seq: u64,
    plan: Plan,
    /// What to hold on which shard, ascending by shard; empty for lock-free gathers.
    locks: Vec<(ShardId, LockSet)>,
    /// First-phase operations to send with each lock request (by lock position).
    lock_ops: Vec<Vec<(u32, ShardOp)>>,
    /// First-phase operations for shards this transaction doesn't lock.
    deferred: Vec<(ShardId, u32, ShardOp)>,
    locks_held: usize,
    results: Vec<Option<OpResult>>,
    outstanding: usize,
    /// The client command this transaction runs, accounted for when it answers.
    call: Option<CallRecord>,
}

/// What the statistics need of a command that runs as a transaction.
struct CallRecord {
    spec: &'static CommandSpec,
    began: Instant,
    args: Vec<Vec<u8>>,
    addr: String,
    name: Vec<u8>,
}

pub struct Runtime {
    // Field order matters: the ring must be dropped before the receive buffers it uses.
    ring: IoUring,
    recv_buffers: RecvBuffers,
    /// Connections whose multishot receive stopped for lack of buffers: re-armed next turn.
    rearm: Vec<u32>,
    listener: libc::c_int,
    shard: Shard,
    endpoint: Endpoint,
    conns: Vec<Option<Conn>>,
    free_slots: Vec<u32>,
    next_generation: u32,
    next_client_seq: u64,
    /// Connections with output to flush or a state to check this turn.
    dirty: Vec<u32>,
    // Reused parse buffers.
    spans: Vec<ArgSpan>,
    scratch: Vec<u8>,
    /// Commands forwarded by the connection being processed, per target shard.
    forwards: Vec<Option<Box<Batch>>>,
    txs: HashMap<u32, TxState>,
    tx_serial: u32,
    locks: LockTable,
    /// Operations that came with lock requests still waiting for their keys.
    lock_ops: HashMap<TxId, Vec<(u32, ShardOp)>>,
    /// Requests that arrived while another transaction held this shard.
    parked: VecDeque<(ShardId, Request)>,
    /// Connections waiting for this shard to be free.
    stalled: Vec<u32>,
    /// Messages from this shard to itself (a transaction that includes its own shard).
    local_requests: VecDeque<Request>,
    local_responses: VecDeque<Response>,
    /// Clients parked by blocking commands, by id; FIFO queues of ids per (db, key); and
    /// their deadlines in order.
    blocked: HashMap<u64, Blocked>,
    block_queues: HashMap<(usize, Box<[u8]>), VecDeque<u64>>,
    block_deadlines: std::collections::BTreeSet<(u64, u64)>,
    /// Clients blocked on keys of several shards that this shard coordinates.
    watching: HashMap<u64, Watching>,
    next_block_id: u64,
    eventfd_buf: Box<[u8; 8]>,
    eventfd_armed: bool,
    timer_spec: Box<types::Timespec>,
    cqes: Vec<(u64, i32, u32)>,
    ticks: u64,
    /// Per owner shard: batches back from it, for this shard's next batches to it (kept
    /// boxed: the same box goes out again in the next message, no move of its contents).
    #[allow(clippy::vec_box)]
    spare_batches: Vec<Vec<Box<Batch>>>,
    /// Over maxmemory with keys still going: evict a round every turn.
    evicting: bool,
    /// This shard's MONITOR connections, and lines for every monitor gathered this turn.
    monitors: Vec<u32>,
    monitor_feed: Vec<u8>,
    /// Where this shard publishes its figures for the metrics endpoint.
    board: Board,
    loglevel: shard::settings::LogLevel,
}

impl Runtime {
    /// Set up a shard's loop; call on the shard's own thread (it reads that thread's
    /// allocation counters).
    pub fn new(
        shard: Shard,
        endpoint: Endpoint,
        listener: libc::c_int,
        board: Board,
    ) -> std::io::Result<Self> {
        let ring = IoUring::builder()
            .setup_single_issuer()
            .setup_coop_taskrun()
            .setup_defer_taskrun()
            .setup_taskrun_flag()
            .setup_cqsize(8192)
            .build(2048)?;
        let shards = shard.slot_map.shard_count();
        let recv_buffers = RecvBuffers::register(&ring, RECV_BUFFERS, RECV_BUFFER_SIZE)?;
        let loglevel = shard.settings.loglevel;
        Ok(Runtime {
            ring,
            recv_buffers,
            rearm: Vec::new(),
            listener,
            shard,
            endpoint,
            conns: Vec::new(),
            free_slots: Vec::new(),
            next_generation: 1,
            next_client_seq: 0,
            dirty: Vec::new(),
            spans: Vec::new(),
            scratch: Vec::new(),
            forwards: (0..shards).map(|_| None).collect(),
            txs: HashMap::new(),
            tx_serial: 0,
            locks: LockTable::default(),
            lock_ops: HashMap::new(),
            parked: VecDeque::new(),
            stalled: Vec::new(),
            local_requests: VecDeque::new(),
            local_responses: VecDeque::new(),
            blocked: HashMap::new(),
            block_queues: HashMap::new(),
            block_deadlines: std::collections::BTreeSet::new(),
            watching: HashMap::new(),
            next_block_id: 0,
            eventfd_buf: Box::new([0; 8]),
            eventfd_armed: false,
            timer_spec: Box::new(types::Timespec::new().nsec(TICK.as_nanos() as u32)),
            cqes: Vec::with_capacity(1024),
            ticks: 0,
            spare_batches: (0..shards).map(|_| Vec::new()).collect(),
            evicting: false,
            monitors: Vec::new(),
            monitor_feed: Vec::new(),
            board,
            loglevel,
        })
    }

    fn me(&self) -> ShardId {
        self.shard.id
    }

    fn push_sqe(&mut self, entry: squeue::Entry) {
        loop {
            // SAFETY: every entry pushed here points at memory that outlives the operation:
            // connection buffers stay in place until their completion arrives (a connection
            // is freed only with no operation in flight), and the eventfd buffer, timer spec
            // and listener belong to this runtime, which outlives its ring.
            if unsafe { self.ring.submission().push(&entry) }.is_ok() {
                return;
            }
            if let Err(err) = self.ring.submit() {
                if err.raw_os_error() != Some(libc::EINTR)
                    && err.raw_os_error() != Some(libc::EBUSY)
                {
                    log::warn!("shard {}: io_uring submit failed: {err}", self.me());
                }
            }
        }
    }

    fn arm_accept(&mut self) {
        let entry = opcode::AcceptMulti::new(types::Fd(self.listener))
            .flags(libc::SOCK_CLOEXEC)
            .build()
            .user_data(user_data(KIND_ACCEPT, 0));
        self.push_sqe(entry);
    }

    fn arm_timer(&mut self) {
        let entry = opcode::Timeout::new(&*self.timer_spec as *const types::Timespec)
            .build()
            .user_data(user_data(KIND_TIMER, 0));
        self.push_sqe(entry);
    }

    fn arm_eventfd(&mut self) {
        if self.eventfd_armed {
            return;
        }
        self.eventfd_armed = true;
        let fd = self.endpoint.waker().eventfd();
        let entry = opcode::Read::new(types::Fd(fd), self.eventfd_buf.as_mut_ptr(), 8)
            .build()
            .user_data(user_data(KIND_EVENTFD, 0));
        self.push_sqe(entry);
    }

    /// The event loop; returns on shutdown.
    pub fn run(&mut self) -> std::io::Result<()> {
        crate::memory::add_startup(self.shard.memory.used(&self.shard.keyspace));
        self.shard.now_ms = now_ms();
        self.arm_accept();
        self.arm_timer();
        loop {
            self.shard.now_ms = now_ms();
            if SHUTDOWN.load(Ordering::Relaxed) {
                break;
            }
            let mut cqes = std::mem::take(&mut self.cqes);
            cqes.clear();
            cqes.extend(
                self.ring
                    .completion()
                    .map(|c| (c.user_data(), c.result(), c.flags())),
            );
            for &(data, result, flags) in &cqes {
                self.on_completion(data, result, flags);
            }
            if !cqes.is_empty() {
                self.recv_buffers.publish();
            }
            for index in std::mem::take(&mut self.rearm) {
                self.arm_recv(index);
            }
            self.cqes = cqes;
            let messages = self.drain_messages();
            if self.evicting {
                // One bounded round per turn, between I/O, as Redis's eviction time event.
                self.evicting = self.shard.make_room() == Room::Evicting;
            }
            if self.shard.blocking.has_ready() {
                self.serve_blocked();
            }
            if !self.block_deadlines.is_empty() {
                self.expire_blocked();
            }
            if self.shard.shutdown_requested {
                SHUTDOWN.store(true, Ordering::SeqCst);
                // SAFETY: signalling our own process; the main thread waits for SIGTERM.
                unsafe {
                    libc::kill(libc::getpid(), libc::SIGTERM);
                }
            }
            if !self.monitor_feed.is_empty() {
                self.send_monitor_feed();
            }
            self.flush_connections();
            let overflow = self.endpoint.flush();
            // Completions need no extra turn: the wait below returns at once if more arrived.
            let busy = messages
                || self.evicting
                || overflow
                || !self.local_requests.is_empty()
                || !self.local_responses.is_empty();
            if busy {
                self.submit(0);
                continue;
            }
            let waker = self.endpoint.waker();
            waker.set_sleeping(true);
            if self.endpoint.has_incoming() {
                self.endpoint.waker().set_sleeping(false);
                continue;
            }
            self.arm_eventfd();
            // One enter both hands the queued sends to the kernel and waits; no longer than
            // the nearest blocked client's timeout.
            match self.block_deadlines.first() {
                Some(&(deadline, _)) => {
                    let wait = deadline.saturating_sub(self.shard.now_ms).max(1);
                    self.submit_timed(Duration::from_millis(wait));
                }
                None => self.submit(1),
            }
            self.endpoint.waker().set_sleeping(false);
        }
        Ok(())
    }

    /// Submit and wait for one completion or `limit`, whichever comes first.
    fn submit_timed(&mut self, limit: Duration) {
        let timespec = types::Timespec::new()
            .sec(limit.as_secs())
            .nsec(limit.subsec_nanos());
        let args = types::SubmitArgs::new().timespec(&timespec);
        match self.ring.submitter().submit_with_args(1, &args) {
            Ok(_) => {}
            Err(err)
                if matches!(
                    err.raw_os_error(),
                    Some(libc::ETIME) | Some(libc::EINTR) | Some(libc::EBUSY)
                ) => {}
            Err(err) => log::warn!("shard {}: io_uring_enter failed: {err}", self.me()),
        }
    }

    fn submit(&mut self, wait: usize) {
        loop {
            match self.ring.submit_and_wait(wait) {
                Ok(_) => return,
                Err(err) if err.raw_os_error() == Some(libc::EINTR) => {
                    if SHUTDOWN.load(Ordering::Relaxed) {
                        return;
                    }
                }
                Err(err) if err.raw_os_error() == Some(libc::EBUSY) => return,
                Err(err) => {
                    log::warn!("shard {}: io_uring_enter failed: {err}", self.me());
                    return;
                }
            }
        }
    }

    fn on_completion(&mut self, data: u64, result: i32, flags: u32) {
        let kind = data >> 56;
        let index = (data & 0xFFFF_FFFF) as u32;
        match kind {
            KIND_ACCEPT => {
                if result >= 0 {
                    self.on_accept(result);
                } else if result != -libc::ECANCELED && !SHUTDOWN.load(Ordering::Relaxed) {
                    self.shard.stats.rejected_connections +=
                        (result == -libc::EMFILE || result == -libc::ENFILE) as u64;
                }
                if !cqueue::more(flags) && !SHUTDOWN.load(Ordering::Relaxed) {
                    self.arm_accept();
                }
            }
            KIND_RECV => self.on_recv(index, result, flags),
            KIND_SEND => self.on_send(index, result),
            KIND_EVENTFD => self.eventfd_armed = false,
            KIND_TIMER => {
                self.on_tick();
                self.arm_timer();
            }
            _ => {}
        }
    }

    fn on_tick(&mut self) {
        self.shard.sample_ops();
        self.shard.memory.refresh();
        if self.me() == 0 {
            crate::memory::measure_outside_shards();
        }
        self.shard.memory_outside_shards = crate::memory::outside_shards();
        if self.shard.settings.maxmemory != 0 {
            // Evict here too, so a shard over its share shrinks even while idle (after
            // CONFIG SET maxmemory lowered it); rounds continue every loop turn until done.
            self.evicting = self.shard.make_room() == Room::Evicting;
        }
        self.ticks += 1;
        if !self.stalled.is_empty() && !self.shard.expiry_paused() {
            // A CLIENT PAUSE ended (or was lifted): the clients it held go on.
            self.shard.pause = None;
            self.retry_stalled();
        }
        if self.ticks.is_multiple_of(TICKS_PER_SECOND) {
            self.close_idle_clients();
        }
        if self.ticks.is_multiple_of(PUBLISH_EVERY_TICKS) {
            self.publish();
        }
        if self.shard.settings.loglevel != self.loglevel {
            // CONFIG SET loglevel: the level is process-wide; every shard sets the same.
            self.loglevel = self.shard.settings.loglevel;
            let _ = crate::logging::set_level(self.loglevel.name());
        }
        if self.shard.expiry_paused() {
            return;
        }
        let start = Instant::now();
        loop {
            let (checked, expired) = self.shard.active_expire_step(200);
            // Keep going while more than 10% of what was checked had expired, as Redis does.
            if checked == 0 || expired * 10 <= checked || start.elapsed() > EXPIRE_BUDGET {
                break;
            }
        }
    }

    /// Hand this turn's MONITOR lines to every shard's monitors (this one's included).
    fn send_monitor_feed(&mut self) {
        let lines = std::mem::take(&mut self.monitor_feed);
        for shard in 0..self.shard.slot_map.shard_count() {
            if shard != self.me() {
                self.endpoint.send_request(
                    shard,
                    Request::MonitorFeed {
                        lines: lines.clone(),
                    },
                );
            }
        }
        self.feed_local_monitors(&lines);
        self.monitor_feed = lines;
        self.monitor_feed.clear();
    }

    fn feed_local_monitors(&mut self, lines: &[u8]) {
        for i in 0..self.monitors.len() {
            let index = self.monitors[i];
            if let Some(conn) = self.conns[index as usize].as_mut() {
                conn.replies.local().extend_from_slice(lines);
                self.dirty.push(index);
            }
        }
    }

    /// Close clients idle for longer than `timeout` seconds (0 = never), as Redis does;
    /// blocked clients wait as long as their command says.
    fn close_idle_clients(&mut self) {
        let timeout_ms = self.shard.settings.timeout.saturating_mul(1000);
        if timeout_ms == 0 {
            return;
        }
        let now = self.shard.now_ms;
        for (index, conn) in self.conns.iter_mut().enumerate() {
            let Some(conn) = conn.as_mut() else { continue };
            let idle = now.saturating_sub(conn.client.last_active_ms);
            if idle > timeout_ms && conn.waiting_for.is_none() && !conn.client.close_after_reply {
                conn.client.close_after_reply = true;
                // SAFETY: shutdown on a socket we own; its completions then close it.
                unsafe { libc::shutdown(conn.fd, libc::SHUT_RDWR) };
                self.dirty.push(index as u32);
            }
        }
    }

    /// Turn a new connection away with an error line (Redis counts these as rejected).
    fn refuse(&mut self, fd: libc::c_int, message: &[u8]) {
        self.shard.stats.rejected_connections += 1;
        // SAFETY: a best-effort write of a short error to a socket we own, then its close;
        // this rare path may use plain syscalls.
        unsafe {
            libc::send(
                fd,
                message.as_ptr().cast(),
                message.len(),
                libc::MSG_DONTWAIT,
            );
            libc::close(fd);
        }
    }

    /// TCP keepalive as Redis's tcp-keepalive: probes after `secs` idle, then every third
    /// of it, giving up after 3 unanswered.
    fn set_keepalive(&self, fd: libc::c_int) {
        let secs = self.shard.settings.tcp_keepalive.min(i32::MAX as u64) as libc::c_int;
        if secs == 0 {
            return;
        }
        let options = [
            (libc::SOL_SOCKET, libc::SO_KEEPALIVE, 1),
            (libc::IPPROTO_TCP, libc::TCP_KEEPIDLE, secs),
            (libc::IPPROTO_TCP, libc::TCP_KEEPINTVL, (secs / 3).max(1)),
            (libc::IPPROTO_TCP, libc::TCP_KEEPCNT, 3),
        ];
        for (level, name, value) in options {
            // SAFETY: setsockopt on a socket we own, with a pointer to a live c_int.
            unsafe {
                libc::setsockopt(
                    fd,
                    level,
                    name,
                    (&value as *const libc::c_int).cast(),
                    std::mem::size_of::<libc::c_int>() as libc::socklen_t,
                );
            }
        }
    }

    fn on_accept(&mut self, fd: libc::c_int) {
        let settings = &self.shard.settings;
        if settings.protected_mode
            && settings.requirepass.is_empty()
            && !protected_mode_allows(socket_address(fd, true))
        {
            return self.refuse(fd, PROTECTED_MODE_DENIED);
        }
        let limit = settings.maxclients;
        if CONNECTED_CLIENTS.fetch_add(1, Ordering::Relaxed) >= limit {
            CONNECTED_CLIENTS.fetch_sub(1, Ordering::Relaxed);
            return self.refuse(fd, b"-ERR max number of clients reached\r\n");
        }
        self.set_keepalive(fd);
        let one: libc::c_int = 1;
        // SAFETY: setsockopt on a socket we own, with a pointer to a live c_int.
        unsafe {
            libc::setsockopt(
                fd,
                libc::IPPROTO_TCP,
                libc::TCP_NODELAY,
                (&one as *const libc::c_int).cast(),
                std::mem::size_of::<libc::c_int>() as libc::socklen_t,
            );
        }
        let shards = self.shard.slot_map.shard_count() as u64;
        self.next_client_seq += 1;
        let now = self.shard.now_ms;
        let client = Client {
            // Unique across shards without coordination: shard i hands out i+1, i+1+n, ...
            id: (self.next_client_seq - 1) * shards + self.me() as u64 + 1,
            addr: socket_addr(fd, true),
            laddr: socket_addr(fd, false),
            fd,
            created_ms: now,
            last_active_ms: now,
            authenticated: self.shard.settings.requirepass.is_empty(),
            ..Client::default()
        };
        let generation = self.next_generation;
        self.next_generation = self.next_generation.wrapping_add(1).max(1);
        let conn = Conn::new(fd, generation, client);
        let index = match self.free_slots.pop() {
            Some(index) => {
                self.conns[index as usize] = Some(conn);
                index
            }
            None => {
                self.conns.push(Some(conn));
                (self.conns.len() - 1) as u32
            }
        };
        self.shard.stats.connections_received += 1;
        self.shard.stats.connected_clients += 1;
        self.arm_recv(index);
    }

    /// Arm (or keep) the connection's multishot receive; stop it while the client isn't
    /// reading its replies, so it feels TCP back-pressure instead of growing our buffers.
    fn arm_recv(&mut self, index: u32) {
        let Some(conn) = self.conns[index as usize].as_mut() else {
            return;
        };
        if conn.closing || conn.client.close_after_reply {
            return;
        }
        if conn.output_backlogged() {
            if conn.recv_armed && !conn.recv_cancelling {
                conn.recv_cancelling = true;
                let entry = opcode::AsyncCancel::new(user_data(KIND_RECV, index))
                    .build()
                    .user_data(user_data(KIND_CANCEL, index));
                self.push_sqe(entry);
            }
            return;
        }
        if conn.recv_armed {
            return;
        }
        conn.recv_armed = true;
        let entry = opcode::RecvMulti::new(types::Fd(conn.fd), recv_buffers::GROUP)
            .build()
            .user_data(user_data(KIND_RECV, index));
        self.push_sqe(entry);
    }

    fn on_recv(&mut self, index: u32, result: i32, flags: u32) {
        let bid = cqueue::buffer_select(flags);
        let Some(conn) = self.conns[index as usize].as_mut() else {
            if let Some(bid) = bid {
                self.recv_buffers.recycle(bid);
            }
            return;
        };
        let more = cqueue::more(flags);
        if !more {
            conn.recv_armed = false;
            conn.recv_cancelling = false;
        }
        if result > 0 {
            if let Some(bid) = bid {
                conn.rbuf
                    .extend_from_slice(self.recv_buffers.received(bid, result as usize));
                self.recv_buffers.recycle(bid);
            }
            conn.client.last_active_ms = self.shard.now_ms;
            self.shard.stats.net_input_bytes += result as u64;
            self.shard.stats.reads_processed += 1;
            if conn.rbuf.len() - conn.read_pos > QUERY_BUFFER_LIMIT {
                // Redis closes a client whose query buffer passes client-query-buffer-limit.
                conn.closing = true;
            } else {
                self.process_input(index);
            }
            if !more {
                self.arm_recv(index);
            }
        } else if result == -libc::ENOBUFS {
            self.rearm.push(index);
        } else if result == -libc::ECANCELED {
            // Paused for back-pressure; `on_send` re-arms once the output drains.
        } else {
            conn.closing = true;
        }
        self.dirty.push(index);
    }

    fn on_send(&mut self, index: u32, result: i32) {
        let Some(conn) = self.conns[index as usize].as_mut() else {
            return;
        };
        conn.send_armed = false;
        if result < 0 {
            conn.closing = true;
            conn.sending.clear();
            conn.sent = 0;
        } else {
            conn.sent += result as usize;
            self.shard.stats.net_output_bytes += result as u64;
            self.shard.stats.writes_processed += 1;
            if conn.sent >= conn.sending.len() {
                conn.sending.clear();
                conn.sent = 0;
                if conn.sending.capacity() > 4 * 1024 * 1024 {
                    conn.sending = Vec::new();
                }
            }
        }
        // Output drained: a client paused for not reading may be read again.
        self.arm_recv(index);
        self.dirty.push(index);
    }

    /// Start sends, close finished connections.
    fn flush_connections(&mut self) {
        let mut dirty = std::mem::take(&mut self.dirty);
        for &index in &dirty {
            self.flush_connection(index);
        }
        dirty.clear();
        if self.dirty.is_empty() {
            self.dirty = dirty;
        }
    }

    fn flush_connection(&mut self, index: u32) {
        let Some(conn) = self.conns[index as usize].as_mut() else {
            return;
        };
        if !conn.send_armed && !conn.closing {
            if conn.sending.is_empty() && !conn.replies.out.is_empty() {
                std::mem::swap(&mut conn.sending, &mut conn.replies.out);
                conn.sent = 0;
            }
            if conn.sent < conn.sending.len() {
                let remaining = &conn.sending[conn.sent..];
                let entry = opcode::Send::new(
                    types::Fd(conn.fd),
                    remaining.as_ptr(),
                    remaining.len().min(u32::MAX as usize) as u32,
                )
                .flags(libc::MSG_NOSIGNAL)
                .build()
                .user_data(user_data(KIND_SEND, index));
                conn.send_armed = true;
                self.push_sqe(entry);
                return;
            }
            if conn.client.close_after_reply
                && !conn.replies.has_waiting()
                && conn.waiting_for.is_none()
            {
                conn.closing = true;
            }
        }
        let Some(conn) = self.conns[index as usize].as_mut() else {
            return;
        };
        if conn.closing {
            if conn.recv_armed {
                // Wake the pending receive so its completion lets us free the connection.
                // SAFETY: shutdown on a socket we own.
                unsafe { libc::shutdown(conn.fd, libc::SHUT_RDWR) };
            } else if conn.can_free() {
                self.free_connection(index);
            }
        }
    }

    fn free_connection(&mut self, index: u32) {
        if let Some(conn) = self.conns[index as usize].take() {
            if let Some(blocked_at) = conn.blocked_at {
                self.unblock_connection(
                    ConnToken {
                        index,
                        generation: conn.generation,
                    },
                    blocked_at,
                );
            }
            // SAFETY: closing a socket we own, with no io_uring operation in flight on it.
            unsafe { libc::close(conn.fd) };
            self.free_slots.push(index);
            self.shard.stats.connected_clients -= 1;
            CONNECTED_CLIENTS.fetch_sub(1, Ordering::Relaxed);
            if conn.client.monitor {
                self.monitors.retain(|&i| i != index);
                MONITORS.fetch_sub(1, Ordering::Relaxed);
            }
            self.stalled.retain(|&i| i != index);
        }
    }

    /// Parse and run what a connection sent, until its input is used up or it must wait.
    fn process_input(&mut self, index: u32) {
        let Some(mut conn) = self.conns[index as usize].take() else {
            return;
        };
        let token = ConnToken {
            index,
            generation: conn.generation,
        };
        let mut spans = std::mem::take(&mut self.spans);
        let mut scratch = std::mem::take(&mut self.scratch);
        loop {
            if conn.waiting_for.is_some() || conn.closing || conn.client.close_after_reply {
                break;
            }
            let Conn {
                rbuf,
                read_pos,
                need,
                client,
                replies,
                waiting_for,
                blocked_at,
                stalled,
                ..
            } = &mut conn;
            let unread = &rbuf[*read_pos..];
            if unread.is_empty() || unread.len() < *need {
                break;
            }
            match protocol::parse_command(unread, &mut spans, &mut scratch) {
                Ok(Parsed::Incomplete { min_total }) => {
                    *need = min_total;
                    // Make room for the whole command at once (a big value arrives in
                    // many chunks), within the query buffer limit.
                    let wanted = (*read_pos + min_total).min(QUERY_BUFFER_LIMIT);
                    if wanted > rbuf.capacity() {
                        rbuf.reserve(wanted - rbuf.len());
                    }
                    break;
                }
                Err(err) => {
                    let message = format!("ERR Protocol error: {err}");
                    Reply::new(replies.local(), client.resp3).error(message.as_bytes());
                    client.close_after_reply = true;
                    *read_pos = rbuf.len();
                    break;
                }
                Ok(Parsed::Command { consumed }) => {
                    *need = 0;
                    if !spans.is_empty() {
                        let args: SmallVec<[&[u8]; 8]> = spans
                            .iter()
                            .map(|span| span.slice(unread, &scratch))
                            .collect();
                        let ran =
                            self.dispatch(token, client, replies, (waiting_for, blocked_at), &args);
                        if !ran {
                            // Its keys are held by a transaction: wait for the release.
                            if !*stalled {
                                *stalled = true;
                                self.stalled.push(index);
                            }
                            break;
                        }
                    }
                    *read_pos += consumed;
                }
            }
        }
        self.spans = spans;
        self.scratch = scratch;
        self.flush_forwards(token);
        if conn.read_pos > 0 && conn.read_pos == conn.rbuf.len() {
            conn.rbuf.clear();
            conn.read_pos = 0;
        } else if conn.read_pos > 0 {
            conn.rbuf.drain(..conn.read_pos);
            conn.read_pos = 0;
        }
        if conn.rbuf.is_empty() && conn.rbuf.capacity() > 4 * READ_CHUNK {
            conn.rbuf = Vec::with_capacity(READ_CHUNK);
        }
        self.conns[index as usize] = Some(conn);
        self.dirty.push(index);
    }

    /// Send the commands this connection forwarded, one batch per target shard.
    fn flush_forwards(&mut self, token: ConnToken) {
        for target in 0..self.forwards.len() {
            if let Some(batch) = self.forwards[target].take() {
                self.endpoint
                    .send_request(target, Request::Forward { conn: token, batch });
            }
        }
    }

    /// Route one command: run it here, forward it to the owner of its keys, or start a
    /// transaction over the shards it spans.
    fn dispatch(
        &mut self,
        token: ConnToken,
        client: &mut Client,
        replies: &mut crate::conn::ReplyQueue,
        (waiting_for, blocked_at): (&mut Option<u64>, &mut Option<BlockedAt>),
        args: &[&[u8]],
    ) -> bool {
        let spec = match CommandTable::get().resolve(args) {
            Ok(spec) => spec,
            Err(err) => {
                let out = replies.local();
                let start = out.len();
                Reply::new(out, client.resp3).error(err.to_string().as_bytes());
                let spec = CommandTable::get().lookup_for_error(args);
                self.shard.record_rejected(spec, &out[start..]);
                return true;
            }
        };
        if !client.authenticated && !spec.has(flags::NO_AUTH) {
            if self.shard.settings.requirepass.is_empty() {
                // No password any more (CONFIG SET requirepass ""): everyone is in.
                client.authenticated = true;
            } else {
                let out = replies.local();
                let start = out.len();
                Reply::new(out, client.resp3).error(b"NOAUTH Authentication required.");
                self.shard.record_rejected(Some(spec), &out[start..]);
                return true;
            }
        }
        client.last_command = spec.name;
        if self.shard.pause.is_some() && self.shard.paused(spec) {
            // CLIENT PAUSE: the command waits (the tick retries it once the pause ends).
            return false;
        }
        if MONITORS.load(Ordering::Relaxed) > 0
            && !spec.has(flags::ADMIN)
            && !matches!(spec.name, "auth" | "hello")
        {
            let unix_us = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_micros() as u64);
            // Redis feeds monitors once a command ran, so SELECT shows the database it
            // selected; every other command runs in the client's current one.
            let db = match (spec.name, args.get(1).and_then(|a| protocol::parse_i64(a))) {
                ("select", Some(db)) if (0..16).contains(&db) => db as usize,
                _ => client.db,
            };
            monitor_line(&mut self.monitor_feed, unix_us, db, &client.addr, args);
        }
        let shards = self.shard.slot_map.shard_count();
        let me = self.me();
        let slots = self.shard.slot_map;
        let single_owner = |indexes: &mut dyn Iterator<Item = usize>| -> Option<Option<ShardId>> {
            let mut owner = None;
            for i in indexes {
                let o = slots.owner_of_key(args[i]);
                match owner {
                    None => owner = Some(o),
                    Some(x) if x != o => return None,
                    _ => {}
                }
            }
            Some(owner)
        };
        let plan = match spec.routing {
            Routing::Local => None,
            Routing::Keys(merge) => {
                match single_owner(&mut spec.keys.key_indexes(args).into_iter()) {
                    Some(Some(owner)) if owner != me => {
                        self.forward(
                            owner,
                            spec,
                            client,
                            replies,
                            (waiting_for, blocked_at),
                            args,
                        );
                        return true;
                    }
                    Some(_) => None,
                    None if merge == Merge::Single => Some(tx::gather_plan(
                        spec,
                        client.db,
                        client.resp3,
                        self.shard.now_ms,
                        args,
                        slots,
                    )),
                    None => Some(Plan::split(
                        spec,
                        merge,
                        client.db,
                        client.resp3,
                        args,
                        slots,
                    )),
                }
            }
            Routing::AllShards(merge) if shards > 1 => Some(tx::all_shards_plan(
                spec,
                merge,
                client.db,
                client.resp3,
                args,
                shards,
            )),
            Routing::AllShards(_) => None,
            Routing::Fanout(_) if shards == 1 => None,
            Routing::Fanout(fanout) => Some((
                Plan::Fanout {
                    fanout,
                    resp3: client.resp3,
                    args: args.iter().map(|a| a.to_vec()).collect(),
                    shards,
                    started: false,
                },
                Vec::new(),
            )),
            Routing::Coordinated(coordinator) => {
                match self.coordinated_plan(coordinator, spec, client, args, &single_owner) {
                    Ok(Route::Here) => None,
                    Ok(Route::Forward(owner)) => {
                        self.forward(
                            owner,
                            spec,
                            client,
                            replies,
                            (waiting_for, blocked_at),
                            args,
                        );
                        return true;
                    }
                    Ok(Route::Plan(plan, shards)) => Some((plan, shards)),
                    Err(err) => {
                        Reply::new(replies.local(), client.resp3).error(err.to_string().as_bytes());
                        return true;
                    }
                }
            }
        };
        match plan {
            None => {
                if !self.locks.is_idle()
                    && spec
                        .keys
                        .key_indexes(args)
                        .iter()
                        .any(|&i| self.locks.blocks(args[i]))
                {
                    return false;
                }
                self.shard.call(spec, client, args, replies.local());
                if client.monitor && !self.monitors.contains(&token.index) {
                    self.monitors.push(token.index);
                    MONITORS.fetch_add(1, Ordering::Relaxed);
                }
                if let Some(block) = client.block.take() {
                    // Nothing to serve: park the client; its reply keeps its place.
                    let seq = replies.reserve();
                    *waiting_for = Some(seq);
                    let origin = BlockedOrigin::Local { conn: token, seq };
                    let id =
                        self.register_block(origin, spec, client.db, client.resp3, args, block);
                    *blocked_at = Some(BlockedAt::Here(id));
                }
            }
            Some((plan, shards)) => {
                if self.shard.settings.maxmemory != 0
                    && spec.has(flags::DENYOOM)
                    && self.shard.make_room() == Room::Full
                {
                    // The coordinator answers for the whole command (its shard's memory
                    // stands for the others'; each evicts on its own ticks).
                    let out = replies.local();
                    let start = out.len();
                    Reply::new(out, client.resp3).error(OOM_ERROR.as_bytes());
                    self.shard.record_rejected(Some(spec), &out[start..]);
                    return true;
                }
                let lock = !matches!(
                    spec.routing,
                    Routing::Fanout(_)
                        | Routing::Coordinated(
                            Coordinator::Info
                                | Coordinator::ClientList
                                | Coordinator::ClientKill
                                | Coordinator::RandomKey
                        )
                );
                client.last_command = spec.name;
                let lock_sets = if !lock {
                    Vec::new()
                } else if matches!(spec.routing, Routing::AllShards(_)) {
                    shards.iter().map(|&s| (s, LockSet::Whole)).collect()
                } else {
                    let mut sets: Vec<(ShardId, Vec<Box<[u8]>>)> = Vec::new();
                    for i in spec.keys.key_indexes(args) {
                        let owner = slots.owner_of_key(args[i]);
                        match sets.iter_mut().find(|(s, _)| *s == owner) {
                            Some((_, keys)) => keys.push(args[i].into()),
                            None => sets.push((owner, vec![args[i].into()])),
                        }
                    }
                    sets.into_iter()
                        .map(|(s, keys)| (s, LockSet::Keys(keys)))
                        .collect()
                };
                let call = CallRecord {
                    spec,
                    began: Instant::now(),
                    args: args.iter().map(|a| a.to_vec()).collect(),
                    addr: client.addr.clone(),
                    name: client.name.as_deref().unwrap_or_default().to_vec(),
                };
                self.start_tx(token, replies, waiting_for, plan, lock_sets, call);
            }
        }
        true
    }

    /// What a keyed transaction holds: its keys, grouped by owner shard.
    fn lock_sets(&self, spec: &CommandSpec, args: &[&[u8]]) -> Vec<(ShardId, LockSet)> {
        let mut sets: Vec<(ShardId, Vec<Box<[u8]>>)> = Vec::new();
        for i in spec.keys.key_indexes(args) {
            let owner = self.shard.slot_map.owner_of_key(args[i]);
            match sets.iter_mut().find(|(s, _)| *s == owner) {
                Some((_, keys)) => keys.push(args[i].into()),
                None => sets.push((owner, vec![args[i].into()])),
            }
        }
        sets.into_iter()
            .map(|(s, keys)| (s, LockSet::Keys(keys)))
            .collect()
    }

    fn coordinated_plan(
        &mut self,
        coordinator: Coordinator,
        spec: &'static CommandSpec,
        client: &Client,
        args: &[&[u8]],
        single_owner: &OwnerFinder<'_>,
    ) -> Result<Route, CmdError> {
        let me = self.me();
        let shards = self.shard.slot_map.shard_count();
        let slots = self.shard.slot_map;
        let here_or = |owner: ShardId| {
            if owner == me {
                Route::Here
            } else {
                Route::Forward(owner)
            }
        };
        Ok(match coordinator {
            Coordinator::MsetNx | Coordinator::Rename { .. } | Coordinator::Copy => {
                match single_owner(&mut spec.keys.key_indexes(args).into_iter()) {
                    Some(Some(owner)) => here_or(owner),
                    Some(None) => Route::Here,
                    None => {
                        let (plan, shards) = match coordinator {
                            Coordinator::MsetNx => {
                                if args.len().is_multiple_of(2) {
                                    return Err(CmdError::Arity(spec.name.into()));
                                }
                                tx::msetnx_plan(client.db, client.resp3, args, slots)
                            }
                            Coordinator::Rename { nx } => {
                                let (src_shard, dst_shard) =
                                    (slots.owner_of_key(args[1]), slots.owner_of_key(args[2]));
                                (
                                    Plan::Rename {
                                        nx,
                                        resp3: client.resp3,
                                        db: client.db as u8,
                                        src: args[1].into(),
                                        dst: args[2].into(),
                                        src_shard,
                                        dst_shard,
                                        stage: 0,
                                    },
                                    vec![src_shard, dst_shard],
                                )
                            }
                            _ => {
                                let (dst_db, replace) = tx::copy_options(args, client.db)?;
                                let (src_shard, dst_shard) =
                                    (slots.owner_of_key(args[1]), slots.owner_of_key(args[2]));
                                (
                                    Plan::Copy {
                                        src_db: client.db as u8,
                                        dst_db: dst_db as u8,
                                        src: args[1].into(),
                                        dst: args[2].into(),
                                        src_shard,
                                        dst_shard,
                                        replace,
                                        stage: 0,
                                    },
                                    vec![src_shard, dst_shard],
                                )
                            }
                        };
                        Route::Plan(plan, shards)
                    }
                }
            }
            Coordinator::Scan => match args
                .get(1)
                .and_then(|c| shard::families::keys::parse_scan_cursor(c))
            {
                Some(cursor) if cursor < shard::SLOT_COUNT as u64 => {
                    here_or(slots.owner(cursor as u16))
                }
                _ => Route::Here,
            },
            Coordinator::RandomKey => Route::Plan(
                Plan::RandomKey {
                    resp3: client.resp3,
                    db: client.db as u8,
                    shards,
                    started: false,
                    random: self.shard.random(),
                },
                Vec::new(),
            ),
            Coordinator::Info => Route::Plan(
                Plan::Info {
                    resp3: client.resp3,
                    sections: shard::families::server::info_sections(args),
                    shards,
                    started: false,
                },
                Vec::new(),
            ),
            Coordinator::ClientList => {
                validate_client_list_args(args)?;
                let ids = args
                    .iter()
                    .position(|a| a.eq_ignore_ascii_case(b"ID"))
                    .map(|at| {
                        args[at + 1..]
                            .iter()
                            .filter_map(|id| protocol::parse_i64(id))
                            .map(|id| id as u64)
                            .collect()
                    });
                Route::Plan(
                    Plan::ClientList {
                        resp3: client.resp3,
                        ids,
                        shards,
                        started: false,
                    },
                    Vec::new(),
                )
            }
            Coordinator::ClientKill => {
                let (filter, legacy) = kill_filter(args, client.id)?;
                Route::Plan(
                    Plan::ClientKill {
                        resp3: client.resp3,
                        filter,
                        legacy,
                        shards,
                        started: false,
                    },
                    Vec::new(),
                )
            }
            Coordinator::Shutdown => Route::Here,
        })
    }

    fn forward(
        &mut self,
        owner: ShardId,
        spec: &'static CommandSpec,
        client: &mut Client,
        replies: &mut crate::conn::ReplyQueue,
        (waiting_for, blocked_at): (&mut Option<u64>, &mut Option<BlockedAt>),
        args: &[&[u8]],
    ) {
        let seq = replies.reserve();
        self.shard.stats.forwarded_commands += 1;
        client.last_command = spec.name;
        if self.forwards[owner].is_none() {
            let name = client.name.as_deref();
            self.forwards[owner] = Some(match self.spare_batches[owner].pop() {
                Some(mut batch) => {
                    batch.commands.reuse_for_client(&client.addr, name);
                    batch.replies.clear();
                    batch
                }
                None => Box::new(Batch {
                    commands: PackedCommands::for_client(&client.addr, name),
                    replies: PackedReplies::default(),
                }),
            });
        }
        if let Some(batch) = self.forwards[owner].as_mut() {
            batch
                .commands
                .push(spec, client.db, client.resp3, seq, args);
        }
        if spec.has(shard::command::flags::BLOCKING) {
            // It may block on its owner: like a blocked Redis client, run nothing else
            // until it answers.
            *waiting_for = Some(seq);
            *blocked_at = Some(BlockedAt::Shard(owner));
        }
    }

    // ---- transactions: the coordinator side ----

    fn start_tx(
        &mut self,
        token: ConnToken,
        replies: &mut crate::conn::ReplyQueue,
        waiting_for: &mut Option<u64>,
        plan: Plan,
        locks: Vec<(ShardId, LockSet)>,
        call: CallRecord,
    ) {
        // Forwarded commands that precede the transaction reach each shard before it.
        self.flush_forwards(token);
        let seq = replies.reserve();
        *waiting_for = Some(seq);
        self.launch_tx(token, seq, plan, locks, Some(call));
    }

    /// Run `plan` as a transaction whose reply fills place `seq` of the connection's stream.
    fn launch_tx(
        &mut self,
        conn: ConnToken,
        seq: u64,
        plan: Plan,
        mut locks: Vec<(ShardId, LockSet)>,
        call: Option<CallRecord>,
    ) {
        // Ascending shard order: two transactions never wait on each other in a cycle.
        locks.sort_unstable_by_key(|(shard, _)| *shard);
        self.tx_serial = self.tx_serial.wrapping_add(1);
        let serial = self.tx_serial;
        let tx = TxId {
            origin: self.me() as u32,
            serial,
        };
        let mut plan = plan;
        // The first phase's operations ride on the lock requests: each shard runs its part
        // as soon as it grants the keys (nobody can see that part until the unlock), which
        // saves a round trip per transaction.
        let mut lock_ops: Vec<Vec<(u32, ShardOp)>> = locks.iter().map(|_| Vec::new()).collect();
        let mut deferred = Vec::new();
        let mut results = Vec::new();
        let mut outstanding = 0;
        let mut first_step = None;
        if !locks.is_empty() {
            match plan.next(Vec::new()) {
                Step::Ops(ops) => {
                    results = ops.iter().map(|_| None).collect();
                    outstanding = ops.len();
                    for (index, (shard, op)) in ops.into_iter().enumerate() {
                        match locks.iter().position(|(locked, _)| *locked == shard) {
                            Some(at) => lock_ops[at].push((index as u32, op)),
                            None => deferred.push((shard, index as u32, op)),
                        }
                    }
                }
                step => first_step = Some(step),
            }
        }
        let first = locks.first().cloned();
        let first_ops = lock_ops.first_mut().map(std::mem::take).unwrap_or_default();
        let state = TxState {
            conn,
            seq,
            plan,
            locks,
            locks_held: 0,
            lock_ops,
            deferred,
            results,
            outstanding,
            call,
        };
        self.txs.insert(serial, state);
        match (first, first_step) {
            (_, Some(step)) => self.finish_step(serial, step),
            (Some((shard, set)), None) => self.send_request(
                shard,
                Request::Lock {
                    tx,
                    set,
                    ops: first_ops,
                },
            ),
            (None, None) => self.run_phase(serial, Vec::new()),
        }
    }

    fn send_request(&mut self, to: ShardId, request: Request) {
        if to == self.me() {
            self.local_requests.push_back(request);
        } else {
            self.shard.memory.exported(request.exported_bytes());
            self.endpoint.send_request(to, request);
        }
    }

    fn send_response(&mut self, to: ShardId, response: Response) {
        if to == self.me() {
            self.local_responses.push_back(response);
        } else {
            self.shard.memory.exported(response.exported_bytes());
            self.endpoint.send_response(to, response);
        }
    }

    fn on_locked(&mut self, serial: u32, results: Vec<(u32, OpResult)>) {
        let tx = TxId {
            origin: self.me() as u32,
            serial,
        };
        let Some(state) = self.txs.get_mut(&serial) else {
            return;
        };
        for (index, result) in results {
            if let Some(slot) = state.results.get_mut(index as usize) {
                if slot.is_none() {
                    state.outstanding -= 1;
                }
                *slot = Some(result);
            }
        }
        state.locks_held += 1;
        if let Some((next, set)) = state.locks.get(state.locks_held).cloned() {
            let ops = state
                .lock_ops
                .get_mut(state.locks_held)
                .map(std::mem::take)
                .unwrap_or_default();
            self.send_request(next, Request::Lock { tx, set, ops });
            return;
        }
        // Every shard is held: operations for shards without keys here, then the next phase.
        let deferred = std::mem::take(&mut state.deferred);
        let ready = state.outstanding == 0;
        for (shard, index, op) in deferred {
            self.send_request(
                shard,
                Request::Op {
                    tx,
                    index,
                    op: Box::new(op),
                },
            );
        }
        if ready {
            let results = std::mem::take(&mut state_results(&mut self.txs, serial));
            self.run_phase(serial, results);
        }
    }

    fn run_phase(&mut self, serial: u32, results: Vec<OpResult>) {
        let Some(state) = self.txs.get_mut(&serial) else {
            return;
        };
        let step = state.plan.next(results);
        self.finish_step(serial, step);
    }

    /// Act on what a plan wants next: send operations, or answer and let go.
    fn finish_step(&mut self, serial: u32, step: Step) {
        let tx = TxId {
            origin: self.me() as u32,
            serial,
        };
        let Some(mut state) = self.txs.remove(&serial) else {
            return;
        };
        match step {
            Step::Ops(ops) => {
                state.results = ops.iter().map(|_| None).collect();
                state.outstanding = ops.len();
                self.txs.insert(serial, state);
                if ops.is_empty() {
                    return self.run_phase(serial, Vec::new());
                }
                for (index, (shard, op)) in ops.into_iter().enumerate() {
                    self.send_request(
                        shard,
                        Request::Op {
                            tx,
                            index: index as u32,
                            op: Box::new(op),
                        },
                    );
                }
            }
            Step::Done(reply) => {
                for &(shard, _) in &state.locks {
                    self.send_request(shard, Request::Unlock { tx });
                }
                if let Some(call) = state.call.take() {
                    let args: SmallVec<[&[u8]; 8]> = call.args.iter().map(|a| &a[..]).collect();
                    let elapsed_ns = call.began.elapsed().as_nanos() as u64;
                    let name = (!call.name.is_empty()).then_some(&call.name[..]);
                    self.shard
                        .record_call(call.spec, &call.addr, name, &args, elapsed_ns, &reply);
                }
                self.deliver(state.conn, state.seq, &reply);
            }
            Step::Blocked(block) => {
                for &(shard, _) in &state.locks {
                    self.send_request(shard, Request::Unlock { tx });
                }
                if let Some((spec, db, resp3, args)) = state.plan.gathered_command() {
                    let args = args.to_vec();
                    self.watch_keys(state.conn, state.seq, spec, db, resp3, args, block);
                }
            }
        }
    }

    /// A blocking command over keys of several shards found nothing: every shard holding
    /// one of its keys watches them for this shard, which runs the command again (as a
    /// transaction) when one fires, or answers the timeout.
    #[allow(clippy::too_many_arguments)]
    fn watch_keys(
        &mut self,
        conn: ConnToken,
        seq: u64,
        spec: &'static CommandSpec,
        db: u8,
        resp3: bool,
        args: Vec<Vec<u8>>,
        block: shard::client::BlockSpec,
    ) {
        self.next_block_id += 1;
        let id = self.next_block_id;
        let slots = self.shard.slot_map;
        let mut by_shard: Vec<(ShardId, Vec<Box<[u8]>>)> = Vec::new();
        for key in &block.keys {
            let owner = slots.owner_of_key(key);
            match by_shard.iter_mut().find(|(s, _)| *s == owner) {
                Some((_, keys)) => keys.push(key.clone()),
                None => by_shard.push((owner, vec![key.clone()])),
            }
        }
        let shards = by_shard.iter().map(|(s, _)| *s).collect();
        for (shard, keys) in by_shard {
            self.send_request(shard, Request::Watch { id, db, spec, keys });
        }
        if block.deadline_ms != 0 {
            self.block_deadlines.insert((block.deadline_ms, id));
        }
        if let Some(c) = self.conns[conn.index as usize].as_mut() {
            if c.generation == conn.generation {
                c.blocked_at = Some(BlockedAt::Watching(id));
            }
        }
        self.watching.insert(
            id,
            Watching {
                conn,
                seq,
                spec,
                db,
                resp3,
                args,
                block,
                shards,
            },
        );
    }

    /// Stop a multi-shard wait: its shards forget the watch.
    fn end_watch(&mut self, id: u64) -> Option<Watching> {
        let watching = self.watching.remove(&id)?;
        for &shard in &watching.shards {
            self.send_request(shard, Request::Unwatch { id });
        }
        if watching.block.deadline_ms != 0 {
            self.block_deadlines
                .remove(&(watching.block.deadline_ms, id));
        }
        Some(watching)
    }

    /// A watched key got data: run the blocked command again, atomically over its shards.
    fn on_watch_fired(&mut self, id: u64) {
        let Some(watching) = self.end_watch(id) else {
            return;
        };
        let Watching {
            conn,
            seq,
            spec,
            db,
            resp3,
            args,
            ..
        } = watching;
        let arg_slices: Vec<&[u8]> = args.iter().map(|a| a.as_slice()).collect();
        let now = self.shard.now_ms;
        let (plan, _) = tx::gather_plan(
            spec,
            db as usize,
            resp3,
            now,
            &arg_slices,
            self.shard.slot_map,
        );
        let locks = self.lock_sets(spec, &arg_slices);
        self.launch_tx(conn, seq, plan, locks, None);
    }

    fn on_op_done(&mut self, serial: u32, index: u32, result: OpResult) {
        let Some(state) = self.txs.get_mut(&serial) else {
            return;
        };
        if let Some(slot) = state.results.get_mut(index as usize) {
            if slot.is_none() {
                state.outstanding -= 1;
            }
            *slot = Some(result);
        }
        if state.outstanding == 0 {
            let results = std::mem::take(&mut state.results)
                .into_iter()
                .flatten()
                .collect();
            self.run_phase(serial, results);
        }
    }

    /// Put a reply in its place in a connection's reply stream.
    fn deliver(&mut self, token: ConnToken, seq: u64, reply: &[u8]) {
        let Some(conn) = self.conns[token.index as usize].as_mut() else {
            return;
        };
        if conn.generation != token.generation {
            return;
        }
        conn.replies.fill(seq, reply);
        self.dirty.push(token.index);
        if conn.waiting_for == Some(seq) {
            conn.waiting_for = None;
            conn.blocked_at = None;
            // Input that waited behind the transaction or blocking command runs now.
            self.process_input(token.index);
            self.arm_recv(token.index);
        }
    }

    // ---- this shard as a participant ----

    fn drain_messages(&mut self) -> bool {
        let mut any = false;
        for from in 0..self.endpoint.requests_in.len() {
            // Bounded per turn so one busy peer can't starve sockets.
            for _ in 0..256 {
                let Some(message) = self.endpoint.requests_in[from]
                    .as_mut()
                    .and_then(|c| c.pop().ok())
                else {
                    break;
                };
                any = true;
                if matches!(
                    message,
                    Request::Forward { .. } | Request::FreeReplies { .. }
                ) {
                    // Batches carry nothing this shard frees (see `message::Batch`).
                    self.on_request(from, message);
                } else {
                    crate::memory::freeing_foreign_memory(|| self.on_request(from, message));
                }
            }
            for _ in 0..256 {
                let Some(message) = self.endpoint.responses_in[from]
                    .as_mut()
                    .and_then(|c| c.pop().ok())
                else {
                    break;
                };
                any = true;
                if matches!(message, Response::Forwarded { .. }) {
                    self.on_response(from, message);
                } else {
                    crate::memory::freeing_foreign_memory(|| self.on_response(from, message));
                }
            }
        }
        for _ in 0..4096 {
            if let Some(request) = self.local_requests.pop_front() {
                any = true;
                let me = self.me();
                self.on_request(me, request);
            } else if let Some(response) = self.local_responses.pop_front() {
                any = true;
                let me = self.me();
                self.on_response(me, response);
            } else {
                break;
            }
        }
        any
    }

    fn on_response(&mut self, from: ShardId, response: Response) {
        match response {
            Response::Forwarded { conn, mut batch } => {
                let replies = &batch.replies;
                let mut start = 0usize;
                for &(seq, end) in &replies.ends {
                    let end = end as usize;
                    self.deliver(conn, seq, &replies.bytes[start..end]);
                    start = end;
                }
                if batch.commands.has_buffers() && self.spare_batches[from].len() < KEPT_BATCHES {
                    self.spare_batches[from].push(batch);
                } else if from != self.me() {
                    // The owner grew these: freed here, their blocks would feed this
                    // shard's allocations and leave the owner's memory figure too high.
                    let replies = std::mem::take(&mut batch.replies);
                    self.send_request(from, Request::FreeReplies { replies });
                }
            }
            Response::Locked { tx, results } => self.on_locked(tx.serial, results),
            Response::WatchFired { id } => self.on_watch_fired(id),
            Response::OpDone { tx, index, result } => self.on_op_done(tx.serial, index, *result),
        }
    }

    fn on_request(&mut self, from: ShardId, request: Request) {
        match request {
            Request::Lock { tx, set, ops } => {
                if self.locks.request(tx, set) {
                    self.grant(tx, ops);
                } else {
                    self.lock_ops.insert(tx, ops);
                }
            }
            Request::Unlock { tx } => {
                let granted = self.locks.release(tx);
                self.on_release(granted);
            }
            Request::Op { tx, index, op } => {
                // The transaction holds its keys here (or is a lock-free gather).
                let result = Box::new(self.execute_op(*op));
                self.send_response(tx.origin as ShardId, Response::OpDone { tx, index, result });
            }
            Request::Unblock { conn } => {
                let ids: Vec<u64> = self
                    .blocked
                    .iter()
                    .filter(|(_, b)| matches!(b.origin, BlockedOrigin::Remote { shard, conn: c, .. } if shard == from && c == conn))
                    .map(|(&id, _)| id)
                    .collect();
                for id in ids {
                    self.unregister_block(id);
                }
            }
            Request::Watch { id, db, spec, keys } => {
                let block = shard::client::BlockSpec {
                    keys,
                    deadline_ms: 0,
                    on_timeout: shard::client::TimeoutReply::NullArray,
                };
                let origin = BlockedOrigin::Watcher { shard: from, id };
                self.register_block(origin, spec, db as usize, false, &[], block);
                // Data may have arrived between the coordinator's look and this watch.
                let id = self.next_block_id;
                let keys = self
                    .blocked
                    .get(&id)
                    .map(|b| b.block.keys.clone())
                    .unwrap_or_default();
                for key in keys {
                    if self.shard.keyspace.peek(db as usize, &key).is_some() {
                        self.shard.blocking.signal(db as usize, &key);
                    }
                }
            }
            Request::Unwatch { id } => {
                let ids: Vec<u64> = self
                    .blocked
                    .iter()
                    .filter(|(_, b)| matches!(b.origin, BlockedOrigin::Watcher { shard, id: w } if shard == from && w == id))
                    .map(|(&local, _)| local)
                    .collect();
                for local in ids {
                    self.unregister_block(local);
                }
            }
            Request::MonitorFeed { lines } => self.feed_local_monitors(&lines),
            Request::FreeReplies { replies } => drop(replies),
            Request::Forward { conn, batch } => {
                // Behind earlier parked batches, or touching a held key: wait, in order.
                if !self.parked.is_empty() || self.touches_held_key(&batch.commands) {
                    self.parked
                        .push_back((from, Request::Forward { conn, batch }));
                    return;
                }
                self.run_forwarded(from, conn, batch);
            }
        }
    }

    fn run_forwarded(&mut self, from: ShardId, conn: ConnToken, mut batch: Box<Batch>) {
        let Batch { commands, replies } = &mut *batch;
        replies.clear();
        self.run_commands(commands, Some((from, conn)), replies);
        // Back home even with no replies (all commands blocked): the buffers are reused.
        self.send_response(from, Response::Forwarded { conn, batch });
    }

    /// A transaction let go of its keys: tell the transactions now granted, then run the
    /// forwarded batches and local connections that waited (those still blocked wait on).
    fn on_release(&mut self, granted: Vec<TxId>) {
        for tx in granted {
            let ops = self.lock_ops.remove(&tx).unwrap_or_default();
            self.grant(tx, ops);
        }
        // Parked batches run in arrival order until one still touches a held key.
        while let Some((from, request)) = self.parked.pop_front() {
            match request {
                Request::Forward { conn, batch } => {
                    if self.touches_held_key(&batch.commands) {
                        self.parked
                            .push_front((from, Request::Forward { conn, batch }));
                        break;
                    }
                    self.run_forwarded(from, conn, batch);
                }
                other => self.on_request(from, other),
            }
        }
        self.retry_stalled();
    }

    /// Run the input of connections that waited for held keys or a CLIENT PAUSE (those
    /// that still can't run go back on the list).
    fn retry_stalled(&mut self) {
        for index in std::mem::take(&mut self.stalled) {
            if let Some(conn) = self.conns[index as usize].as_mut() {
                conn.stalled = false;
                self.process_input(index);
                self.arm_recv(index);
            }
        }
    }

    /// `tx` now holds its keys here: run the operations that came with its request.
    fn grant(&mut self, tx: TxId, ops: Vec<(u32, ShardOp)>) {
        let results = ops
            .into_iter()
            .map(|(index, op)| (index, self.execute_op(op)))
            .collect();
        self.send_response(tx.origin as ShardId, Response::Locked { tx, results });
    }

    /// Whether any of these commands touches a key a transaction holds here.
    fn touches_held_key(&self, commands: &PackedCommands) -> bool {
        if self.locks.is_idle() {
            return false;
        }
        let mut held = false;
        commands.for_each(|command, args| {
            held = held
                || command
                    .spec
                    .keys
                    .key_indexes(args)
                    .iter()
                    .any(|&i| self.locks.blocks(args[i]));
        });
        held
    }

    /// Run packed commands. Forwarded ones (`origin` = the connection's shard and token) may
    /// block: they are parked here and answered later; inside a transaction they can't.
    fn run_commands(
        &mut self,
        commands: &PackedCommands,
        origin: Option<(ShardId, ConnToken)>,
        replies: &mut PackedReplies,
    ) {
        let mut parked = Vec::new();
        let shard = &mut self.shard;
        let sender = commands.client();
        commands.for_each(|command, args| {
            let mut client = Client::detached(command.db as usize, command.resp3);
            if origin.is_some() {
                // A client's command forwarded here: accounted for where it runs.
                shard.call_for(
                    command.spec,
                    &mut client,
                    Some(sender),
                    args,
                    &mut replies.bytes,
                );
            } else {
                shard.execute(command.spec, &mut client, args, &mut replies.bytes);
            }
            match client.block.take() {
                Some(block) if origin.is_some() => {
                    let owned: Vec<Box<[u8]>> =
                        args.iter().map(|a| Box::<[u8]>::from(*a)).collect();
                    parked.push((
                        command.spec,
                        command.db,
                        command.resp3,
                        command.seq,
                        owned,
                        block,
                    ));
                }
                Some(block) => {
                    tx::write_timeout_reply(&mut replies.bytes, command.resp3, block.on_timeout);
                    replies.ends.push((command.seq, replies.bytes.len() as u32));
                }
                None => replies.ends.push((command.seq, replies.bytes.len() as u32)),
            }
        });
        if let Some((shard_id, conn)) = origin {
            for (spec, db, resp3, seq, args, block) in parked {
                let args: Vec<&[u8]> = args.iter().map(|a| &**a).collect();
                let origin = BlockedOrigin::Remote {
                    shard: shard_id,
                    conn,
                    seq,
                };
                self.register_block(origin, spec, db as usize, resp3, &args, block);
            }
        }
    }

    // ---- blocking commands ----

    fn register_block(
        &mut self,
        origin: BlockedOrigin,
        spec: &'static CommandSpec,
        db: usize,
        resp3: bool,
        args: &[&[u8]],
        block: shard::client::BlockSpec,
    ) -> u64 {
        self.next_block_id += 1;
        let id = self.next_block_id;
        for key in &block.keys {
            self.shard.blocking.watch(db, key);
            self.block_queues
                .entry((db, key.clone()))
                .or_default()
                .push_back(id);
        }
        if block.deadline_ms != 0 {
            self.block_deadlines.insert((block.deadline_ms, id));
        }
        let args = args.iter().map(|a| Box::<[u8]>::from(*a)).collect();
        self.blocked.insert(
            id,
            Blocked {
                origin,
                spec,
                db,
                resp3,
                args,
                block,
            },
        );
        id
    }

    fn unregister_block(&mut self, id: u64) -> Option<Blocked> {
        let blocked = self.blocked.remove(&id)?;
        for key in &blocked.block.keys {
            self.shard.blocking.unwatch(blocked.db, key);
            let queue_key = (blocked.db, key.clone());
            if let Some(queue) = self.block_queues.get_mut(&queue_key) {
                queue.retain(|&other| other != id);
                if queue.is_empty() {
                    self.block_queues.remove(&queue_key);
                }
            }
        }
        if blocked.block.deadline_ms != 0 {
            self.block_deadlines
                .remove(&(blocked.block.deadline_ms, id));
        }
        Some(blocked)
    }

    fn answer_blocked(&mut self, origin: BlockedOrigin, reply: Vec<u8>) {
        match origin {
            BlockedOrigin::Local { conn, seq } => self.deliver(conn, seq, &reply),
            BlockedOrigin::Watcher { shard, id } => {
                self.send_response(shard, Response::WatchFired { id })
            }
            BlockedOrigin::Remote { shard, conn, seq } => {
                let ends = vec![(seq, reply.len() as u32)];
                let batch = Box::new(Batch {
                    commands: PackedCommands::default(),
                    replies: PackedReplies { bytes: reply, ends },
                });
                self.send_response(shard, Response::Forwarded { conn, batch });
            }
        }
    }

    /// Serve clients blocked on keys that got data, first blocked first served, as Redis
    /// does: each runs its command again; one that still finds nothing keeps its place.
    fn serve_blocked(&mut self) {
        for _ in 0..64 {
            let ready = self.shard.blocking.take_ready();
            if ready.is_empty() {
                return;
            }
            for (db, key) in ready {
                while let Some(&id) = self
                    .block_queues
                    .get(&(db, key.clone()))
                    .and_then(|q| q.front())
                {
                    let Some(blocked) = self.blocked.get(&id) else {
                        break;
                    };
                    if let BlockedOrigin::Watcher {
                        shard,
                        id: watch_id,
                    } = blocked.origin
                    {
                        // A client waiting on keys of several shards: its coordinator runs
                        // it; serving this key pauses until that result is written back.
                        self.unregister_block(id);
                        self.send_response(shard, Response::WatchFired { id: watch_id });
                        break;
                    }
                    let mut client = Client::detached(blocked.db, blocked.resp3);
                    let args: Vec<&[u8]> = blocked.args.iter().map(|a| &**a).collect();
                    let mut out = Vec::new();
                    let spec = blocked.spec;
                    self.shard.call(spec, &mut client, &args, &mut out);
                    if client.block.is_some() {
                        break;
                    }
                    if let Some(blocked) = self.unregister_block(id) {
                        self.answer_blocked(blocked.origin, out);
                    }
                }
            }
        }
    }

    /// Answer blocked clients whose timeout passed.
    fn expire_blocked(&mut self) {
        let now = self.shard.now_ms;
        while let Some(&(deadline, id)) = self.block_deadlines.first() {
            if deadline > now {
                break;
            }
            if let Some(blocked) = self.unregister_block(id) {
                let mut out = Vec::new();
                tx::write_timeout_reply(&mut out, blocked.resp3, blocked.block.on_timeout);
                self.answer_blocked(blocked.origin, out);
            } else if let Some(watching) = self.end_watch(id) {
                let mut out = Vec::new();
                tx::write_timeout_reply(&mut out, watching.resp3, watching.block.on_timeout);
                self.deliver(watching.conn, watching.seq, &out);
            } else {
                self.block_deadlines.remove(&(deadline, id));
            }
        }
    }

    /// A connection that was blocked went away.
    fn unblock_connection(&mut self, conn: ConnToken, blocked_at: BlockedAt) {
        match blocked_at {
            BlockedAt::Here(id) => {
                self.unregister_block(id);
            }
            BlockedAt::Shard(owner) => self.send_request(owner, Request::Unblock { conn }),
            BlockedAt::Watching(id) => {
                self.end_watch(id);
            }
        }
    }

    fn execute_op(&mut self, op: ShardOp) -> OpResult {
        let now = self.shard.now_ms;
        match op {
            ShardOp::Run { commands } => {
                let mut replies = PackedReplies::default();
                self.run_commands(&commands, None, &mut replies);
                OpResult::Replies(replies)
            }
            ShardOp::TakeEntry { db, key, remove } => {
                let entry = if remove {
                    self.shard.keyspace.remove(db as usize, &key, now)
                } else {
                    self.shard.keyspace.get(db as usize, &key, now).cloned()
                };
                OpResult::Entry(entry.map(Box::new))
            }
            ShardOp::PutEntry {
                db,
                key,
                entry,
                only_if_absent,
            } => OpResult::Stored(tx::put_entry(
                &mut self.shard,
                db as usize,
                &key,
                *entry,
                only_if_absent,
            )),
            ShardOp::Info => OpResult::Info(Box::new(self.info_data())),
            ShardOp::ClientList => {
                let mut text = String::new();
                for conn in self.conns.iter_mut().flatten() {
                    let pending_in = conn.rbuf.len() - conn.read_pos;
                    let pending_out = conn.replies.queued_bytes();
                    conn.client.blocked = conn.blocked_at.is_some();
                    text.push_str(&conn.client.info_line(now, pending_in, pending_out));
                }
                OpResult::Text(text)
            }
            ShardOp::ClientKill(filter) => {
                let mut killed = 0;
                for conn in self.conns.iter_mut().flatten() {
                    if kill_matches(&filter, &conn.client) {
                        killed += 1;
                        conn.client.close_after_reply = true;
                        // SAFETY: shutdown on a socket we own; completions then close it.
                        unsafe { libc::shutdown(conn.fd, libc::SHUT_RDWR) };
                    }
                }
                OpResult::Count(killed)
            }
            ShardOp::Fanout { fanout, args } => {
                let args: SmallVec<[&[u8]; 8]> = args.iter().map(|a| a.as_slice()).collect();
                // As for any command: a bug in one part answers an error, the shard goes on.
                let shard = &mut self.shard;
                let part = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                    (fanout.collect)(shard, &args)
                }));
                OpResult::Part(part.unwrap_or_else(|_| {
                    Err(CmdError::msg(
                        "ERR internal error while running the command",
                    ))
                }))
            }
            ShardOp::RandomKey { db } => {
                let mut reply = Vec::new();
                let spec = CommandTable::get().lookup(b"randomkey");
                if let Some(spec) = spec {
                    let mut client = Client::detached(db as usize, false);
                    self.shard
                        .execute(spec, &mut client, &[b"RANDOMKEY"], &mut reply);
                }
                OpResult::RandomKey {
                    reply,
                    keys: self.shard.keyspace.db(db as usize).len() as u64,
                }
            }
        }
    }

    /// This shard's INFO figures, as INFO and the metrics endpoint see them.
    fn info_data(&self) -> InfoData {
        let mut data = InfoData::from_shard(&self.shard);
        // Each blocked client counts once: on the shard that parked it (its own or its
        // keys' owner), or on its coordinator when its keys span shards.
        let parked = self
            .blocked
            .values()
            .filter(|b| !matches!(b.origin, BlockedOrigin::Watcher { .. }))
            .count();
        data.stats.blocked_clients = (parked + self.watching.len()) as u64;
        data.used_memory = self.shard.memory.used(&self.shard.keyspace);
        data.mem_clients_normal = self
            .conns
            .iter()
            .flatten()
            .map(|conn| {
                conn.rbuf.capacity() + conn.sending.capacity() + conn.replies.queued_bytes()
            })
            .sum::<usize>() as u64;
        data
    }

    /// Put this shard's figures where the metrics endpoint reads them: one short lock a
    /// few times a second, never per command.
    fn publish(&mut self) {
        let figures = Published {
            info: self.info_data(),
            ring_depth: self.endpoint.incoming_depth(),
        };
        if let Some(slot) = self.board.get(self.me()) {
            if let Ok(mut slot) = slot.lock() {
                *slot = Some(figures);
            }
        }
    }

    /// Close every connection (shutdown).
    pub fn close_all(&mut self) {
        for conn in self.conns.iter().flatten() {
            // SAFETY: closing sockets we own; the ring is dropped right after.
            unsafe { libc::close(conn.fd) };
        }
        self.conns.clear();
    }
}

/// The one shard owning all the given keys: `Some(None)` for no keys, `None` if several.
type OwnerFinder<'a> = dyn Fn(&mut dyn Iterator<Item = usize>) -> Option<Option<ShardId>> + 'a;

/// Forwarded batches kept per owner shard for reuse: enough for those usually in flight.
const KEPT_BATCHES: usize = 8;

/// Who waits for a blocked command's reply.
#[derive(Debug, Clone, Copy)]
enum BlockedOrigin {
    /// A connection of this shard, at this place in its reply stream.
    Local { conn: ConnToken, seq: u64 },
    /// A connection of another shard that forwarded the command.
    Remote {
        shard: ShardId,
        conn: ConnToken,
        seq: u64,
    },
    /// A watch for a client blocked on keys of several shards, coordinated by `shard`.
    Watcher { shard: ShardId, id: u64 },
}

/// A client blocked on keys of several shards, waiting on this shard (its coordinator).
struct Watching {
    conn: ConnToken,
    seq: u64,
    spec: &'static CommandSpec,
    db: u8,
    resp3: bool,
    args: Vec<Vec<u8>>,
    block: shard::client::BlockSpec,
    shards: Vec<ShardId>,
}

/// A client parked by a blocking command, with what it needs to run it again.
struct Blocked {
    origin: BlockedOrigin,
    spec: &'static CommandSpec,
    db: usize,
    resp3: bool,
    args: Vec<Box<[u8]>>,
    block: shard::client::BlockSpec,
}

/// A transaction's collected results, in operation order.
fn state_results(txs: &mut HashMap<u32, TxState>, serial: u32) -> Vec<OpResult> {
    txs.get_mut(&serial)
        .map(|state| {
            std::mem::take(&mut state.results)
                .into_iter()
                .flatten()
                .collect()
        })
        .unwrap_or_default()
}

enum Route {
    Here,
    Forward(ShardId),
    Plan(Plan, Vec<ShardId>),
}

/// CLIENT KILL ip:port | CLIENT KILL [ID id] [ADDR ip:port] [LADDR ip:port] [SKIPME yes/no] ...
fn kill_filter(args: &[&[u8]], caller: u64) -> Result<(KillFilter, bool), CmdError> {
    let text = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
    if args.len() == 3 {
        return Ok((
            KillFilter {
                addr: Some(text(args[2])),
                ..KillFilter::default()
            },
            true,
        ));
    }
    if !args.len().is_multiple_of(2) {
        return Err(CmdError::Syntax);
    }
    let mut filter = KillFilter {
        skip_id: Some(caller),
        ..KillFilter::default()
    };
    for pair in args[2..].chunks(2) {
        let (name, value) = (pair[0], pair[1]);
        if name.eq_ignore_ascii_case(b"ID") {
            let id = protocol::parse_i64(value)
                .filter(|&id| id > 0)
                .ok_or(CmdError::msg("ERR client-id should be greater than 0"))?;
            filter.id = Some(id as u64);
        } else if name.eq_ignore_ascii_case(b"ADDR") {
            filter.addr = Some(text(value));
        } else if name.eq_ignore_ascii_case(b"LADDR") {
            filter.laddr = Some(text(value));
        } else if name.eq_ignore_ascii_case(b"SKIPME") {
            if value.eq_ignore_ascii_case(b"yes") {
                filter.skip_id = Some(caller);
            } else if value.eq_ignore_ascii_case(b"no") {
                filter.skip_id = None;
            } else {
                return Err(CmdError::Syntax);
            }
        } else if name.eq_ignore_ascii_case(b"TYPE") || name.eq_ignore_ascii_case(b"USER") {
            // Every client is a normal client of the default user.
        } else {
            return Err(CmdError::Syntax);
        }
    }
    Ok((filter, false))
}

fn kill_matches(filter: &KillFilter, client: &Client) -> bool {
    filter.skip_id != Some(client.id)
        && filter.id.is_none_or(|id| id == client.id)
        && filter.addr.as_deref().is_none_or(|a| a == client.addr)
        && filter.laddr.as_deref().is_none_or(|a| a == client.laddr)
}

/// "ip:port" of a socket's peer (or local end).
fn socket_addr(fd: libc::c_int, peer: bool) -> String {
    socket_address(fd, peer)
        .map_or_else(String::new, |addr| format!("{}:{}", addr.ip(), addr.port()))
}

/// A socket's peer (or local) address.
fn socket_address(fd: libc::c_int, peer: bool) -> Option<std::net::SocketAddr> {
    // SAFETY: sockaddr_storage is plain data; the kernel fills at most `len` bytes of it.
    unsafe {
        let mut storage: libc::sockaddr_storage = std::mem::zeroed();
        let mut len = std::mem::size_of::<libc::sockaddr_storage>() as libc::socklen_t;
        let ptr = (&mut storage as *mut libc::sockaddr_storage).cast::<libc::sockaddr>();
        let rc = if peer {
            libc::getpeername(fd, ptr, &mut len)
        } else {
            libc::getsockname(fd, ptr, &mut len)
        };
        if rc != 0 {
            return None;
        }
        match storage.ss_family as libc::c_int {
            libc::AF_INET => {
                let v4 = &*(ptr as *const libc::sockaddr_in);
                let ip = std::net::Ipv4Addr::from(u32::from_be(v4.sin_addr.s_addr));
                Some((ip, u16::from_be(v4.sin_port)).into())
            }
            libc::AF_INET6 => {
                let v6 = &*(ptr as *const libc::sockaddr_in6);
                let ip = std::net::Ipv6Addr::from(v6.sin6_addr.s6_addr);
                Some((ip, u16::from_be(v6.sin6_port)).into())
            }
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::protected_mode_allows;

    #[test]
    fn protected_mode_lets_only_loopback_peers_in() {
        let allowed = |a: &str| protected_mode_allows(Some(a.parse().expect("address")));
        assert!(allowed("127.0.0.1:5000"));
        assert!(allowed("127.8.9.1:5000"));
        assert!(allowed("[::1]:5000"));
        assert!(allowed("[::ffff:127.0.0.1]:5000"));
        assert!(!allowed("10.0.0.7:5000"));
        assert!(!allowed("[2001:db8::1]:5000"));
        assert!(!protected_mode_allows(None));
    }
}
