//! One shard's keyspace: 16 databases, each a table per hash slot.
//!
//! Why a table per slot rather than one big table per database (as Valkey 8's `kvstore`):
//! SCAN can walk slot by slot with a cursor that is just the next slot, so a key present for
//! the whole scan is never missed whatever resizes happen meanwhile; resizes are small and
//! spread out instead of one stall on a huge table; and a slot can later move to another
//! shard or node as one unit.

use crate::slot::{key_slot, Slot, SLOT_COUNT};
use crate::value::{Entry, NO_EXPIRE};
use hashbrown::HashTable;

/// Databases per server, as Redis's default `databases 16`.
pub const DB_COUNT: usize = 16;

/// A key and what it maps to.
#[derive(Clone, Debug)]
pub struct Item {
    pub key: Key,
    pub entry: Entry,
}

/// Longest key stored inside its item (so that `Key` is 24 bytes: 22 + length + tag).
const INLINE_KEY: usize = 22;

/// A key's bytes. Keys up to 22 bytes (most real keys) live inside the table's item, so a
/// lookup compares them in the cache line it already loaded, and they cost no allocation.
#[derive(Clone)]
pub enum Key {
    Inline { len: u8, bytes: [u8; INLINE_KEY] },
    Heap(Box<[u8]>),
}

impl Key {
    pub fn new(bytes: &[u8]) -> Self {
        if bytes.len() <= INLINE_KEY {
            let mut inline = [0u8; INLINE_KEY];
            inline[..bytes.len()].copy_from_slice(bytes);
            Key::Inline {
                len: bytes.len() as u8,
                bytes: inline,
            }
        } else {
            Key::Heap(bytes.into())
        }
    }
}

impl std::ops::Deref for Key {
    type Target = [u8];

    #[inline]
    fn deref(&self) -> &[u8] {
        match self {
            Key::Inline { len, bytes } => &bytes[..*len as usize],
            Key::Heap(bytes) => bytes,
        }
    }
}

impl std::fmt::Debug for Key {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:?}", String::from_utf8_lossy(self))
    }
}

/// One slot's keys. Items are packed densely in a vector and found through a hash index of
/// 4-byte positions: a key costs its item plus a few index bytes, instead of a whole item per
/// bucket at the hash table's load factor (half empty right after each doubling, and small
/// per-slot tables spend most of their life near that).
#[derive(Default)]
struct SlotTable {
    index: Positions,
    items: Vec<Item>,
    /// Keys in this slot with an expiry; the active expiry cycle skips slots with none.
    volatile: u32,
}

/// Positions of a slot's items, by key hash: 2 bytes each while the slot holds fewer than
/// 65536 keys (always, unless one `{hashtag}` gathers millions), 4 bytes past that.
enum Positions {
    Narrow(HashTable<u16>),
    Wide(HashTable<u32>),
}

impl Default for Positions {
    fn default() -> Self {
        Positions::Narrow(HashTable::new())
    }
}

/// Run `$body` with `$t` bound to whichever table is in use.
macro_rules! with_positions {
    ($positions:expr, $t:ident => $body:expr) => {
        match $positions {
            Positions::Narrow($t) => $body,
            Positions::Wide($t) => $body,
        }
    };
}

impl Positions {
    #[inline]
    fn find(&self, hash: u64, mut eq: impl FnMut(usize) -> bool) -> Option<usize> {
        with_positions!(self, t => t.find(hash, |&i| eq(i as usize)).map(|&i| i as usize))
    }

    fn insert(&mut self, hash: u64, position: usize, rehash: impl Fn(usize) -> u64) {
        if position > u16::MAX as usize {
            if let Positions::Narrow(narrow) = self {
                let mut wide = HashTable::with_capacity(narrow.len() + 1);
                for &i in narrow.iter() {
                    wide.insert_unique(rehash(i as usize), i as u32, |&j| rehash(j as usize));
                }
                *self = Positions::Wide(wide);
            }
        }
        with_positions!(self, t => {
            t.insert_unique(hash, position as _, |&i| rehash(i as usize));
        })
    }

    fn remove(&mut self, hash: u64, position: usize) {
        with_positions!(self, t => {
            if let Ok(found) = t.find_entry(hash, |&i| i as usize == position) {
                found.remove();
            }
        })
    }

    /// The item at `from` moved to `to`.
    fn relocate(&mut self, hash: u64, from: usize, to: usize) {
        with_positions!(self, t => {
            if let Some(slot) = t.find_mut(hash, |&i| i as usize == from) {
                *slot = to as _;
            }
        })
    }

    fn shrink_to(&mut self, len: usize, rehash: impl Fn(usize) -> u64) {
        with_positions!(self, t => t.shrink_to(len, |&i| rehash(i as usize)))
    }
}

impl SlotTable {
    #[inline]
    fn find(&self, hash: u64, key: &[u8]) -> Option<usize> {
        let items = &self.items;
        self.index.find(hash, |i| &*items[i].key == key)
    }

    fn push(&mut self, hash: u64, item: Item, hasher: &ahash::RandomState) {
        let SlotTable { index, items, .. } = self;
        if items.len() == items.capacity() {
            // Grow by an eighth, not double: memory tracks the key count closely (moving a
            // slot's few dozen items now and then is cheap), up to the end of the
            // allocator's size class, which would otherwise be allocated and left unused.
            let wanted = items.len() + (items.len() / 8).max(4);
            items.reserve_exact(fill_size_class::<Item>(wanted) - items.len());
        }
        let position = items.len();
        items.push(item);
        index.insert(hash, position, |i| hasher.hash_one(&*items[i].key));
    }

    /// Remove the item at `position` (its key hashes to `hash`); the last item moves into
    /// its place.
    fn remove_at(&mut self, hash: u64, position: usize, hasher: &ahash::RandomState) -> Item {
        self.index.remove(hash, position);
        let last = self.items.len() - 1;
        if position != last {
            let moved_hash = hasher.hash_one(&*self.items[last].key);
            self.index.relocate(moved_hash, last, position);
        }
        let item = self.items.swap_remove(position);
        let len = self.items.len();
        if len == 0 {
            // An emptied slot gives all its memory back (evicting keys must free memory).
            self.items = Vec::new();
            self.index = Positions::default();
        } else if self.items.capacity() > 4 && len < self.items.capacity() / 2 {
            self.items.shrink_to(fill_size_class::<Item>(len + len / 8));
            let items = &self.items;
            self.index
                .shrink_to(len, |i| hasher.hash_one(&*items[i].key));
        }
        item
    }
}

/// One database's keys on this shard.
#[derive(Default)]
pub struct Db {
    /// One table per slot, allocated on the first write to the database.
    slots: Vec<SlotTable>,
    keys: usize,
    volatile: usize,
    /// Estimated mean time to live of the keys with an expiry, in ms (INFO avg_ttl): what
    /// the active expiry cycle sees, smoothed as Redis does.
    avg_ttl_ms: u64,
}

impl Db {
    pub fn len(&self) -> usize {
        self.keys
    }

    pub fn is_empty(&self) -> bool {
        self.keys == 0
    }

    /// Keys with an expiry set.
    pub fn volatile(&self) -> usize {
        self.volatile
    }

    pub fn avg_ttl_ms(&self) -> u64 {
        self.avg_ttl_ms
    }
}

/// What the active expiry cycle did in one call.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct ExpireStep {
    pub checked: usize,
    pub expired: usize,
}

pub struct Keyspace {
    dbs: Vec<Db>,
    hasher: ahash::RandomState,
    /// Keys removed because their time ran out (lazily or by the active cycle).
    pub expired_keys: u64,
    /// What `Entry::access` records (follows maxmemory-policy).
    pub tracking: AccessTracking,
    /// For the LFU counter's probabilistic increments.
    rng: u64,
}

/// What each key's `Entry::access` records, as Redis's `robj.lru` does: the time of the
/// last access (LRU policies and no policy), or a logarithmic access counter with the minute
/// it was last decremented (LFU policies).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AccessTracking {
    /// Milliseconds of the last access, wrapping (idle times up to 49 days are exact).
    Lru,
    /// Minutes (24 bits) and counter (8 bits); see [`lfu_touched`].
    Lfu { log_factor: u32, decay_minutes: u32 },
}

impl Default for Keyspace {
    fn default() -> Self {
        Self::new()
    }
}

impl Keyspace {
    pub fn new() -> Self {
        Keyspace {
            dbs: (0..DB_COUNT).map(|_| Db::default()).collect(),
            hasher: ahash::RandomState::new(),
            expired_keys: 0,
            tracking: AccessTracking::Lru,
            rng: 0x2545_F491_4F6C_DD1D,
        }
    }

    pub fn db(&self, db: usize) -> &Db {
        &self.dbs[db]
    }

    #[inline]
    fn hash(&self, key: &[u8]) -> u64 {
        self.hasher.hash_one(key)
    }

    fn table(&self, db: usize, slot: Slot) -> Option<&SlotTable> {
        self.dbs[db].slots.get(slot as usize)
    }

    /// Look a key up without expiring it.
    pub fn peek(&self, db: usize, key: &[u8]) -> Option<&Entry> {
        let hash = self.hash(key);
        let table = self.table(db, key_slot(key))?;
        table.find(hash, key).map(|i| &table.items[i].entry)
    }

    /// Look a key up; a key whose time ran out at `now_ms` is deleted and not found.
    pub fn get(&mut self, db: usize, key: &[u8], now_ms: u64) -> Option<&mut Entry> {
        let hash = self.hash(key);
        let slot = key_slot(key) as usize;
        let db_state = &mut self.dbs[db];
        let table = db_state.slots.get_mut(slot)?;
        let position = table.find(hash, key)?;
        if is_expired(&table.items[position].entry, now_ms) {
            table.remove_at(hash, position, &self.hasher);
            table.volatile -= 1;
            db_state.volatile -= 1;
            db_state.keys -= 1;
            self.expired_keys += 1;
            return None;
        }
        let item = &mut table.items[position];
        item.entry.access = match self.tracking {
            AccessTracking::Lru => access_stamp(now_ms),
            AccessTracking::Lfu {
                log_factor,
                decay_minutes,
            } => {
                self.rng ^= self.rng << 13;
                self.rng ^= self.rng >> 7;
                self.rng ^= self.rng << 17;
                lfu_touched(
                    item.entry.access,
                    now_ms,
                    log_factor,
                    decay_minutes,
                    self.rng,
                )
            }
        };
        Some(&mut item.entry)
    }

    /// Whether a live key exists (expiring it if its time ran out).
    pub fn contains(&mut self, db: usize, key: &[u8], now_ms: u64) -> bool {
        self.get(db, key, now_ms).is_some()
    }

    /// Insert or replace; returns the entry replaced (expired ones count as absent).
    pub fn insert(
        &mut self,
        db: usize,
        key: &[u8],
        mut entry: Entry,
        now_ms: u64,
    ) -> Option<Entry> {
        entry.access = match self.tracking {
            AccessTracking::Lru => access_stamp(now_ms),
            AccessTracking::Lfu { .. } => lfu_new(now_ms),
        };
        let lfu = matches!(self.tracking, AccessTracking::Lfu { .. });
        let hash = self.hash(key);
        let slot = key_slot(key) as usize;
        let volatile_new = entry.expire_at != NO_EXPIRE;
        let hasher = &self.hasher;
        let db_state = &mut self.dbs[db];
        if db_state.slots.is_empty() {
            db_state.slots.resize_with(SLOT_COUNT, SlotTable::default);
        }
        let table = &mut db_state.slots[slot];
        let old = match table.find(hash, key) {
            Some(position) => {
                let slot_entry = &mut table.items[position].entry;
                if lfu {
                    // An overwritten key keeps its access frequency, as in Redis.
                    entry.access = slot_entry.access;
                }
                Some(std::mem::replace(slot_entry, entry))
            }
            None => {
                table.push(
                    hash,
                    Item {
                        key: Key::new(key),
                        entry,
                    },
                    hasher,
                );
                None
            }
        };
        let volatile_old = old.as_ref().is_some_and(|e| e.expire_at != NO_EXPIRE);
        match (volatile_old, volatile_new) {
            (false, true) => {
                table.volatile += 1;
                db_state.volatile += 1;
            }
            (true, false) => {
                table.volatile -= 1;
                db_state.volatile -= 1;
            }
            _ => {}
        }
        match old {
            None => {
                db_state.keys += 1;
                None
            }
            Some(old) if is_expired(&old, now_ms) => {
                self.expired_keys += 1;
                None
            }
            Some(old) => Some(old),
        }
    }

    /// Remove a key; returns its entry if it was live.
    pub fn remove(&mut self, db: usize, key: &[u8], now_ms: u64) -> Option<Entry> {
        let hash = self.hash(key);
        let entry = self.remove_hashed(db, key_slot(key), hash, key)?;
        if is_expired(&entry, now_ms) {
            self.expired_keys += 1;
            return None;
        }
        Some(entry)
    }

    fn remove_hashed(&mut self, db: usize, slot: Slot, hash: u64, key: &[u8]) -> Option<Entry> {
        let db_state = &mut self.dbs[db];
        let table = db_state.slots.get_mut(slot as usize)?;
        let position = table.find(hash, key)?;
        let item = table.remove_at(hash, position, &self.hasher);
        if item.entry.expire_at != NO_EXPIRE {
            table.volatile -= 1;
            db_state.volatile -= 1;
        }
        db_state.keys -= 1;
        Some(item.entry)
    }

    /// Set or clear (`NO_EXPIRE`) a live key's expiry. Returns false when the key is absent.
    pub fn set_expire(&mut self, db: usize, key: &[u8], expire_at: u64, now_ms: u64) -> bool {
        let Some(entry) = self.get(db, key, now_ms) else {
            return false;
        };
        let was_volatile = entry.expire_at != NO_EXPIRE;
        entry.expire_at = expire_at;
        let is_volatile = expire_at != NO_EXPIRE;
        if was_volatile != is_volatile {
            let slot = key_slot(key);
            let db_state = &mut self.dbs[db];
            let table = &mut db_state.slots[slot as usize];
            if is_volatile {
                table.volatile += 1;
                db_state.volatile += 1;
            } else {
                table.volatile -= 1;
                db_state.volatile -= 1;
            }
        }
        true
    }

    /// Visit every key of one slot (expired ones included; callers filter with `is_expired`).
    pub fn for_each_in_slot(&self, db: usize, slot: Slot, mut f: impl FnMut(&[u8], &Entry)) {
        if let Some(table) = self.table(db, slot) {
            for item in &table.items {
                f(&item.key, &item.entry);
            }
        }
    }

    /// Keys stored in one slot.
    pub fn slot_len(&self, db: usize, slot: Slot) -> usize {
        self.table(db, slot).map_or(0, |t| t.items.len())
    }

    /// Delete the expired keys of one slot. The active expiry cycle calls this slot by slot.
    pub fn expire_slot(&mut self, db: usize, slot: Slot, now_ms: u64) -> ExpireStep {
        let db_state = &mut self.dbs[db];
        let Some(table) = db_state.slots.get_mut(slot as usize) else {
            return ExpireStep::default();
        };
        if table.volatile == 0 {
            return ExpireStep::default();
        }
        let checked = table.volatile as usize;
        let mut expired = 0usize;
        let (mut ttl_sum, mut ttl_samples) = (0u64, 0u64);
        let mut position = 0;
        while position < table.items.len() {
            let expire_at = table.items[position].entry.expire_at;
            if is_expired(&table.items[position].entry, now_ms) {
                let hash = self.hasher.hash_one(&*table.items[position].key);
                // The last item moves here: look at this position again.
                table.remove_at(hash, position, &self.hasher);
                expired += 1;
            } else {
                if expire_at != NO_EXPIRE {
                    ttl_sum = ttl_sum.saturating_add(expire_at - now_ms);
                    ttl_samples += 1;
                }
                position += 1;
            }
        }
        table.volatile -= expired as u32;
        db_state.volatile -= expired;
        db_state.keys -= expired;
        if let Some(sample) = ttl_sum.checked_div(ttl_samples) {
            // Redis's running estimate: the first sample, then 2% of each new one.
            db_state.avg_ttl_ms = if db_state.avg_ttl_ms == 0 {
                sample
            } else {
                db_state.avg_ttl_ms / 50 * 49 + sample / 50
            };
        }
        if db_state.volatile == 0 {
            db_state.avg_ttl_ms = 0;
        }
        self.expired_keys += expired as u64;
        ExpireStep { checked, expired }
    }

    /// Whether any database holds a key with an expiry (the active cycle's quick exit).
    pub fn has_volatile(&self) -> bool {
        self.dbs.iter().any(|db| db.volatile > 0)
    }

    pub fn flush_db(&mut self, db: usize) -> usize {
        let removed = self.dbs[db].keys;
        self.dbs[db] = Db::default();
        removed
    }

    pub fn flush_all(&mut self) -> usize {
        (0..DB_COUNT).map(|db| self.flush_db(db)).sum()
    }

    pub fn swap_db(&mut self, a: usize, b: usize) {
        self.dbs.swap(a, b);
    }

    /// A key of `db` among `slots`, picked at random (for eviction sampling): a random
    /// slot, the first non-empty one from there, a random key in it. Keys in small slots
    /// are a little likelier to be picked, which sampling tolerates. `volatile_only` picks
    /// among keys with an expiry.
    pub fn random_key(
        &self,
        db: usize,
        slots: std::ops::Range<usize>,
        random: u64,
        volatile_only: bool,
    ) -> Option<(&[u8], &Entry)> {
        let db_state = &self.dbs[db];
        let wanted = if volatile_only {
            db_state.volatile
        } else {
            db_state.keys
        };
        if wanted == 0 || slots.is_empty() || db_state.slots.is_empty() {
            return None;
        }
        let span = slots.len();
        let start = (random % span as u64) as usize;
        for step in 0..span {
            let slot = slots.start + (start + step) % span;
            let table = &db_state.slots[slot];
            let count = if volatile_only {
                table.volatile as usize
            } else {
                table.items.len()
            };
            if count == 0 {
                continue;
            }
            let pick = ((random >> 20) % table.items.len() as u64) as usize;
            let len = table.items.len();
            // Volatile keys: the first with an expiry from the random position on.
            for i in 0..len {
                let item = &table.items[(pick + i) % len];
                if !volatile_only || item.entry.expire_at != NO_EXPIRE {
                    return Some((&item.key, &item.entry));
                }
            }
        }
        None
    }

    /// Total keys in all databases of this shard.
    pub fn total_keys(&self) -> usize {
        self.dbs.iter().map(|db| db.keys).sum()
    }
}

/// How many `T` fit in the allocation jemalloc (the server's allocator, as Redis's) really
/// makes for `count` of them: it rounds sizes up to classes, four per doubling above 128
/// bytes, so a vector can use its class's tail instead of leaving it empty.
fn fill_size_class<T>(count: usize) -> usize {
    let size = std::mem::size_of::<T>().max(1);
    let bytes = count * size;
    let class = if bytes <= 128 {
        bytes.next_multiple_of(16)
    } else {
        let spacing = 1usize << ((usize::BITS - 1 - (bytes - 1).leading_zeros()) - 2);
        bytes.next_multiple_of(spacing)
    };
    (class / size).max(count)
}

/// The LRU clock value stored in `Entry::access`: milliseconds, wrapping.
#[inline]
pub fn access_stamp(now_ms: u64) -> u32 {
    now_ms as u32
}

/// Milliseconds since an LRU-tracked entry was last accessed.
#[inline]
pub fn idle_ms(entry: &Entry, now_ms: u64) -> u64 {
    access_stamp(now_ms).wrapping_sub(entry.access) as u64
}

/// A new key's LFU state: counter 5 (Redis's LFU_INIT_VAL, so a new key isn't evicted
/// before it had a chance to be read), stamped with the current minute.
const LFU_INIT: u32 = 5;

fn lfu_minutes(now_ms: u64) -> u32 {
    ((now_ms / 60_000) & 0xFF_FFFF) as u32
}

pub fn lfu_new(now_ms: u64) -> u32 {
    (lfu_minutes(now_ms) << 8) | LFU_INIT
}

/// The LFU counter after decay: one less per `decay_minutes` elapsed since it was last
/// stamped (Redis's LFUDecrAndReturn).
pub fn lfu_counter(access: u32, now_ms: u64, decay_minutes: u32) -> u32 {
    let counter = access & 0xFF;
    if decay_minutes == 0 {
        return counter;
    }
    let elapsed = lfu_minutes(now_ms).wrapping_sub(access >> 8) & 0xFF_FFFF;
    counter.saturating_sub(elapsed / decay_minutes)
}

/// The LFU state after one access: decay, then a logarithmic increment — the likelier the
/// smaller the counter (probability 1 / ((counter - 5) * log_factor + 1)), so 255 means
/// about a million accesses at the default factor 10 (Redis's LFULogIncr).
pub fn lfu_touched(
    access: u32,
    now_ms: u64,
    log_factor: u32,
    decay_minutes: u32,
    random: u64,
) -> u32 {
    let mut counter = lfu_counter(access, now_ms, decay_minutes);
    if counter < 255 {
        let base = counter.saturating_sub(LFU_INIT) as f64;
        let p = 1.0 / (base * log_factor as f64 + 1.0);
        let r = (random >> 11) as f64 / (1u64 << 53) as f64;
        if r < p {
            counter += 1;
        }
    }
    (lfu_minutes(now_ms) << 8) | counter
}

/// Expired from the expiry millisecond on. (Redis waits until `now > when`; the 1 ms of
/// difference is below what any client can rely on, and keeps tests' arithmetic simple.)
#[inline]
pub fn is_expired(entry: &Entry, now_ms: u64) -> bool {
    entry.expire_at != NO_EXPIRE && entry.expire_at <= now_ms
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vectors_fill_their_size_class() {
        // 64-byte items: 45 would take 2880 bytes, in jemalloc's 3072 class: 48 fit.
        assert_eq!(fill_size_class::<[u8; 64]>(45), 48);
        assert_eq!(fill_size_class::<[u8; 64]>(63), 64);
        assert_eq!(fill_size_class::<[u8; 64]>(64), 64);
        assert_eq!(fill_size_class::<[u8; 64]>(1), 1);
        // 6.4 MB: classes are 1 MiB apart there.
        assert_eq!(fill_size_class::<[u8; 64]>(100_000), 114_688);
    }
    use crate::value::{StrValue, Value};

    fn entry(v: &[u8]) -> Entry {
        Entry::new(Value::Str(StrValue::from_bytes(v)))
    }

    #[test]
    fn insert_get_remove_counts() {
        let mut ks = Keyspace::new();
        assert!(ks.insert(0, b"a", entry(b"1"), 0).is_none());
        assert!(ks.insert(0, b"b", entry(b"2"), 0).is_none());
        assert!(ks.insert(0, b"a", entry(b"3"), 0).is_some());
        assert_eq!(ks.db(0).len(), 2);
        assert!(ks.get(0, b"a", 0).is_some());
        assert!(ks.get(1, b"a", 0).is_none());
        assert!(ks.remove(0, b"a", 0).is_some());
        assert_eq!(ks.db(0).len(), 1);
    }

    #[test]
    fn lazy_and_active_expiry() {
        let mut ks = Keyspace::new();
        ks.insert(0, b"k", entry(b"v"), 0);
        assert!(ks.set_expire(0, b"k", 100, 0));
        assert_eq!(ks.db(0).volatile(), 1);
        assert!(ks.get(0, b"k", 99).is_some());
        assert!(ks.get(0, b"k", 100).is_none());
        assert_eq!(ks.db(0).len(), 0);
        assert_eq!(ks.db(0).volatile(), 0);
        assert_eq!(ks.expired_keys, 1);

        ks.insert(0, b"x", entry(b"v"), 0);
        ks.set_expire(0, b"x", 50, 0);
        let step = ks.expire_slot(0, key_slot(b"x"), 60);
        assert_eq!(
            step,
            ExpireStep {
                checked: 1,
                expired: 1
            }
        );
        assert_eq!(ks.db(0).len(), 0);
        assert!(!ks.has_volatile());
    }

    #[test]
    fn active_expiry_estimates_the_mean_ttl() {
        let mut ks = Keyspace::new();
        // Same hash tag: one slot, visited by one step.
        for (key, ttl) in [(&b"{t}a"[..], 1_000), (b"{t}b", 3_000), (b"{t}c", 0)] {
            ks.insert(0, key, entry(b"v"), 0);
            if ttl > 0 {
                ks.set_expire(0, key, 10_000 + ttl, 0);
            }
        }
        assert_eq!(ks.db(0).avg_ttl_ms(), 0, "nothing sampled yet");
        ks.expire_slot(0, key_slot(b"{t}a"), 10_000);
        assert_eq!(ks.db(0).avg_ttl_ms(), 2_000, "first sample taken as is");
        // Later samples move it by 2% of theirs.
        ks.expire_slot(0, key_slot(b"{t}a"), 11_000);
        assert_eq!(ks.db(0).avg_ttl_ms(), 2_000 / 50 * 49 + 2_000 / 50);
        ks.expire_slot(0, key_slot(b"{t}a"), 13_000);
        assert_eq!(ks.db(0).avg_ttl_ms(), 0, "no key with a TTL left");
    }

    #[test]
    fn overwrite_clears_volatile_count() {
        let mut ks = Keyspace::new();
        ks.insert(0, b"k", entry(b"v"), 0);
        ks.set_expire(0, b"k", 1000, 0);
        ks.insert(0, b"k", entry(b"w"), 0);
        assert_eq!(ks.db(0).volatile(), 0);
        assert!(!ks.has_volatile());
    }
}

#[cfg(test)]
mod dense_tests {
    use super::*;
    use crate::value::{StrValue, Value};

    /// Random inserts, removes and expiries against a model: positions and the index agree.
    #[test]
    fn dense_slot_tables_match_a_model() {
        let mut ks = Keyspace::new();
        let mut model = std::collections::HashMap::new();
        let mut x: u64 = 12345;
        for step in 0..20_000u64 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            // All keys in one slot (hashtag) to exercise moves inside one table.
            let key = format!("{{t}}k{}", x % 500);
            match x % 5 {
                0..=2 => {
                    let e = Entry::new(Value::Str(StrValue::from_bytes(&step.to_le_bytes())));
                    ks.insert(0, key.as_bytes(), e, 0);
                    model.insert(key, step);
                }
                3 => {
                    assert_eq!(
                        ks.remove(0, key.as_bytes(), 0).is_some(),
                        model.remove(&key).is_some()
                    );
                }
                _ => {
                    let got = ks
                        .get(0, key.as_bytes(), 0)
                        .map(|e| e.value.as_str().ok().and_then(|s| s.as_i64()));
                    assert_eq!(got.is_some(), model.contains_key(&key), "{key}");
                }
            }
        }
        assert_eq!(ks.db(0).len(), model.len());
        let mut seen = 0;
        ks.for_each_in_slot(0, key_slot(b"{t}"), |_, _| seen += 1);
        assert_eq!(seen, model.len());
        for key in model.keys() {
            assert!(ks.peek(0, key.as_bytes()).is_some(), "{key}");
        }
    }

    /// One slot holding more keys than 2-byte positions can name switches to 4-byte ones.
    #[test]
    fn a_huge_slot_widens_its_positions() {
        let mut ks = Keyspace::new();
        let n = 70_000u32;
        for i in 0..n {
            let key = format!("{{big}}{i}");
            ks.insert(
                0,
                key.as_bytes(),
                Entry::new(Value::Str(StrValue::from_bytes(b"v"))),
                0,
            );
        }
        for i in (0..n).step_by(3) {
            assert!(ks.remove(0, format!("{{big}}{i}").as_bytes(), 0).is_some());
        }
        for i in 0..n {
            let present = ks.peek(0, format!("{{big}}{i}").as_bytes()).is_some();
            assert_eq!(present, i % 3 != 0, "{i}");
        }
    }
}
