//! Messages that travel between shards over the mesh.

use shard::command::{Fanout, Part};
use shard::value::Entry;
use shard::CommandSpec;

/// A connection on some shard: slab index plus generation, so a reply for a connection that
/// closed (and whose slot was reused) is recognised and dropped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ConnToken {
    pub index: u32,
    pub generation: u32,
}

/// A transaction, named by the shard that coordinates it and a number unique there.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct TxId {
    pub origin: u32,
    pub serial: u32,
}

/// Commands in one packed buffer: argument bytes back to back, so a batch of forwarded
/// commands costs a few allocations, not one per argument.
#[derive(Debug, Default)]
pub struct PackedCommands {
    bytes: Vec<u8>,
    arg_ends: Vec<u32>,
    commands: Vec<PackedCommand>,
    /// `bytes[..client_end]` is the sending client's address then its name (its end at
    /// `client_addr_end`): the owner shard's slow log names the client without a string
    /// allocated per command.
    client_addr_end: u32,
    client_end: u32,
}

#[derive(Debug)]
pub struct PackedCommand {
    pub spec: &'static CommandSpec,
    pub db: u8,
    pub resp3: bool,
    /// Where the reply goes in the connection's reply stream.
    pub seq: u64,
    args_end: u32,
}

impl PackedCommands {
    /// An empty batch of one client's commands.
    pub fn for_client(addr: &str, name: Option<&[u8]>) -> Self {
        let mut bytes = Vec::with_capacity(256);
        bytes.extend_from_slice(addr.as_bytes());
        let client_addr_end = bytes.len() as u32;
        bytes.extend_from_slice(name.unwrap_or_default());
        let client_end = bytes.len() as u32;
        PackedCommands {
            bytes,
            client_addr_end,
            client_end,
            ..PackedCommands::default()
        }
    }

    /// Empty it for another batch of `addr`'s commands, keeping its buffers.
    pub fn reuse_for_client(&mut self, addr: &str, name: Option<&[u8]>) {
        self.bytes.clear();
        self.arg_ends.clear();
        self.commands.clear();
        self.bytes.extend_from_slice(addr.as_bytes());
        self.client_addr_end = self.bytes.len() as u32;
        self.bytes.extend_from_slice(name.unwrap_or_default());
        self.client_end = self.bytes.len() as u32;
    }

    /// Bytes of heap its buffers hold.
    pub fn heap_bytes(&self) -> u64 {
        (self.bytes.capacity()
            + self.arg_ends.capacity() * std::mem::size_of::<u32>()
            + self.commands.capacity() * std::mem::size_of::<PackedCommand>()) as u64
    }

    /// Whether it holds buffers worth giving back for reuse.
    pub fn has_buffers(&self) -> bool {
        self.bytes.capacity() > 0
    }

    /// The sending client's address and name (empty when sent by a transaction).
    pub fn client(&self) -> (&str, &[u8]) {
        let addr = &self.bytes[..self.client_addr_end as usize];
        let name = &self.bytes[self.client_addr_end as usize..self.client_end as usize];
        (std::str::from_utf8(addr).unwrap_or_default(), name)
    }

    pub fn push(
        &mut self,
        spec: &'static CommandSpec,
        db: usize,
        resp3: bool,
        seq: u64,
        args: &[&[u8]],
    ) {
        for arg in args {
            self.bytes.extend_from_slice(arg);
            self.arg_ends.push(self.bytes.len() as u32);
        }
        self.commands.push(PackedCommand {
            spec,
            db: db as u8,
            resp3,
            seq,
            args_end: self.arg_ends.len() as u32,
        });
    }

    /// Each command with its arguments, in order.
    pub fn for_each(&self, mut f: impl FnMut(&PackedCommand, &[&[u8]])) {
        let mut args: smallvec::SmallVec<[&[u8]; 8]> = smallvec::SmallVec::new();
        let mut arg_start = 0usize;
        let mut byte_start = self.client_end as usize;
        for command in &self.commands {
            args.clear();
            for &end in &self.arg_ends[arg_start..command.args_end as usize] {
                args.push(&self.bytes[byte_start..end as usize]);
                byte_start = end as usize;
            }
            arg_start = command.args_end as usize;
            f(command, &args);
        }
    }
}

/// Replies to a forwarded batch: reply bytes back to back, with each reply's sequence number.
#[derive(Debug, Default)]
pub struct PackedReplies {
    pub bytes: Vec<u8>,
    /// (seq, end offset in bytes) per reply.
    pub ends: Vec<(u64, u32)>,
}

impl PackedReplies {
    /// Bytes of heap its buffers hold.
    pub fn heap_bytes(&self) -> u64 {
        (self.bytes.capacity() + self.ends.capacity() * std::mem::size_of::<(u64, u32)>()) as u64
    }

    pub fn clear(&mut self) {
        self.bytes.clear();
        self.ends.clear();
    }
}

/// A connection's commands for one owner shard and, once it ran them, their replies. The
/// batch goes there and back in one box and the client's shard keeps it for its next
/// batch: buffers go home to the shard that allocated them instead of being freed by
/// another (a shard thread freeing another shard's memory would reuse it for its own data
/// through its allocator cache, charging per-shard memory, and maxmemory, to the wrong
/// shard), no batch costs an allocation once buffers are warm, and ring slots stay small.
#[derive(Debug, Default)]
pub struct Batch {
    pub commands: PackedCommands,
    pub replies: PackedReplies,
}

/// Work a shard does for a transaction's coordinator.
#[derive(Debug)]
pub enum ShardOp {
    /// Run these commands as a connection would (the keys are all local); reply bytes back.
    Run { commands: PackedCommands },
    /// Copy (or, with `remove`, take out) a key's entry: RENAME, COPY.
    TakeEntry {
        db: u8,
        key: Box<[u8]>,
        remove: bool,
    },
    /// Store an entry (replacing, or only if absent).
    PutEntry {
        db: u8,
        key: Box<[u8]>,
        entry: Box<Entry>,
        only_if_absent: bool,
    },
    /// This shard's figures for INFO.
    Info,
    /// CLIENT LIST lines of this shard's connections.
    ClientList,
    /// CLIENT KILL with the given filter on this shard's connections.
    ClientKill(crate::tx::KillFilter),
    /// A random key of one database, and how many keys it holds.
    RandomKey { db: u8 },
    /// This shard's part of a fan-out command (CONFIG SET, SLOWLOG GET, ...).
    Fanout {
        fanout: &'static Fanout,
        args: Vec<Vec<u8>>,
    },
}

#[derive(Debug)]
pub enum OpResult {
    Replies(PackedReplies),
    Entry(Option<Box<Entry>>),
    Stored(bool),
    Info(Box<shard::families::server::InfoData>),
    Text(String),
    Count(u64),
    RandomKey { reply: Vec<u8>, keys: u64 },
    Part(Result<Part, shard::CmdError>),
}

#[derive(Debug)]
pub enum Request {
    /// Commands a connection forwarded to the owner of their keys, run in order; the owner
    /// writes the replies into the same batch and sends it back.
    Forward { conn: ConnToken, batch: Box<Batch> },
    /// Hold these keys (or the whole shard) for a transaction (granted in arrival order).
    /// `ops` run as soon as the keys are granted; their results come back with `Locked`.
    Lock {
        tx: TxId,
        set: crate::locks::LockSet,
        ops: Vec<(u32, ShardOp)>,
    },
    /// One step of a transaction (holding this shard, or lock-free for read-only gathers).
    /// Boxed: ring slots are as big as the biggest message.
    Op {
        tx: TxId,
        index: u32,
        op: Box<ShardOp>,
    },
    /// The transaction is done with this shard.
    Unlock { tx: TxId },
    /// A connection blocked here (by a forwarded BLPOP...) went away.
    Unblock { conn: ConnToken },
    /// Tell the sender (with this id) when one of these keys gets data: a client blocked
    /// on keys of several shards waits on its coordinator.
    Watch {
        id: u64,
        db: u8,
        spec: &'static CommandSpec,
        keys: Vec<Box<[u8]>>,
    },
    /// Stop watching for the sender's `id`.
    Unwatch { id: u64 },
    /// MONITOR lines for this shard's monitoring connections.
    MonitorFeed { lines: Vec<u8> },
    /// The reply buffers of a forwarded batch its client's shard did not keep, sent home
    /// to be freed by the shard whose memory they are (see [`Batch`]).
    FreeReplies { replies: PackedReplies },
}

#[derive(Debug)]
pub enum Response {
    /// A forwarded batch back from its owner, replies filled in.
    Forwarded { conn: ConnToken, batch: Box<Batch> },
    Locked {
        tx: TxId,
        results: Vec<(u32, OpResult)>,
    },
    OpDone {
        tx: TxId,
        index: u32,
        result: Box<OpResult>,
    },
    /// A watched key got data.
    WatchFired { id: u64 },
}

impl ShardOp {
    /// Heap bytes of this operation that its receiver frees once it ran (entries moved into
    /// the receiver's keyspace stay alive there and are not counted).
    fn heap_bytes(&self) -> u64 {
        match self {
            ShardOp::Run { commands } => commands.heap_bytes(),
            ShardOp::TakeEntry { key, .. } => key.len() as u64,
            ShardOp::PutEntry { key, .. } => (key.len() + std::mem::size_of::<Entry>()) as u64,
            ShardOp::Fanout { args, .. } => args.iter().map(|a| a.capacity() as u64).sum(),
            _ => 0,
        }
    }
}

impl OpResult {
    /// Heap bytes of this result that the coordinator frees once it used it (an entry
    /// taken out moves on to live elsewhere and is not counted).
    fn heap_bytes(&self) -> u64 {
        match self {
            OpResult::Replies(replies) => replies.heap_bytes(),
            OpResult::Text(text) => text.capacity() as u64,
            OpResult::RandomKey { reply, .. } => reply.capacity() as u64,
            _ => 0,
        }
    }
}

impl Request {
    /// Bytes of the sender's memory that the receiving shard will free: the sender counts
    /// them as gone when it sends (see `MemoryMeter::exported`).
    pub fn exported_bytes(&self) -> u64 {
        match self {
            Request::Op { op, .. } => std::mem::size_of::<ShardOp>() as u64 + op.heap_bytes(),
            Request::Lock { ops, .. } => {
                let slots = ops.capacity() * std::mem::size_of::<(u32, ShardOp)>();
                slots as u64 + ops.iter().map(|(_, op)| op.heap_bytes()).sum::<u64>()
            }
            Request::Watch { keys, .. } => keys.iter().map(|k| k.len() as u64).sum(),
            Request::MonitorFeed { lines } => lines.capacity() as u64,
            _ => 0,
        }
    }
}

impl Response {
    /// As [`Request::exported_bytes`], for replies to the coordinator.
    pub fn exported_bytes(&self) -> u64 {
        match self {
            Response::OpDone { result, .. } => {
                std::mem::size_of::<OpResult>() as u64 + result.heap_bytes()
            }
            Response::Locked { results, .. } => {
                let slots = results.capacity() * std::mem::size_of::<(u32, OpResult)>();
                slots as u64 + results.iter().map(|(_, r)| r.heap_bytes()).sum::<u64>()
            }
            _ => 0,
        }
    }
}
