//! What a command handler works with.

use crate::client::Client;
use crate::shard::Shard;
use crate::value::Entry;
use protocol::Reply;

pub struct Ctx<'a> {
    pub shard: &'a mut Shard,
    pub client: &'a mut Client,
    /// Reply bytes are appended here.
    pub out: &'a mut Vec<u8>,
}

impl<'a> Ctx<'a> {
    pub fn new(shard: &'a mut Shard, client: &'a mut Client, out: &'a mut Vec<u8>) -> Self {
        Ctx { shard, client, out }
    }

    #[inline]
    pub fn reply(&mut self) -> Reply<'_> {
        Reply::new(self.out, self.client.resp3)
    }

    /// The shard and a reply writer at once, so a handler can hold a looked-up entry while
    /// it replies.
    #[inline]
    pub fn split(&mut self) -> (&mut Shard, Reply<'_>) {
        (self.shard, Reply::new(self.out, self.client.resp3))
    }

    /// Look a key up for reading in the selected database: expires it lazily and counts a
    /// keyspace hit or miss, as Redis's lookupKeyRead.
    pub fn lookup_read(&mut self, key: &[u8]) -> (Option<&mut Entry>, Reply<'_>) {
        let (db, now) = (self.client.db, self.shard.now_ms);
        let stats = &mut self.shard.stats;
        let entry = self.shard.keyspace.get(db, key, now);
        if entry.is_some() {
            stats.keyspace_hits += 1;
        } else {
            stats.keyspace_misses += 1;
        }
        (entry, Reply::new(self.out, self.client.resp3))
    }

    /// Look a key up for writing (lazy expiry, no hit/miss counting), as lookupKeyWrite.
    pub fn lookup_write(&mut self, key: &[u8]) -> Option<&mut Entry> {
        let (db, now) = (self.client.db, self.shard.now_ms);
        self.shard.keyspace.get(db, key, now)
    }

    /// Tell blocked clients (if any) that `key` in the selected database got elements.
    /// Every command that adds to a list or sorted set calls this.
    #[inline]
    pub fn signal_key_ready(&mut self, key: &[u8]) {
        let db = self.client.db;
        self.shard.blocking.signal(db, key);
    }

    /// Block the client on `keys` until `deadline_ms` (absolute, 0 = forever): the handler
    /// found nothing to serve, writes no reply, and returns Ok. Inside a transaction the
    /// server answers with the timeout reply instead (a transaction never blocks).
    pub fn block(
        &mut self,
        keys: &[&[u8]],
        deadline_ms: u64,
        on_timeout: crate::client::TimeoutReply,
    ) {
        self.client.block = Some(crate::client::BlockSpec {
            keys: keys.iter().map(|k| Box::<[u8]>::from(*k)).collect(),
            deadline_ms,
            on_timeout,
        });
    }

    /// The connection's selected database.
    #[inline]
    pub fn db(&self) -> usize {
        self.client.db
    }

    /// The shard's clock (Unix ms, cached per event-loop turn as Redis caches mstime).
    #[inline]
    pub fn now_ms(&self) -> u64 {
        self.shard.now_ms
    }
}
