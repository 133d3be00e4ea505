//! maxmemory: each shard keeps its share of the limit (`maxmemory / shards`). Before a
//! command runs on a shard over its share, keys go as `maxmemory-policy` says — sampled
//! `maxmemory-samples` at a time into a pool of the best candidates, as Redis's
//! approximated LRU/LFU/TTL do — until the shard is under its share again or the time
//! budget of this round (from `maxmemory-eviction-tenacity`) is spent. Under `noeviction`,
//! or when nothing can go (a volatile policy and no key with an expiry), commands that may
//! add memory get `-OOM`; reads still run.

use crate::keyspace::{idle_ms, lfu_counter, AccessTracking, Keyspace, DB_COUNT};
use crate::settings::MaxmemoryPolicy;
use crate::shard::Shard;
use crate::value::NO_EXPIRE;

/// Reports how many bytes a shard uses. The server measures its allocator; tests count.
/// Lives on its shard's thread (the server's meter reads that thread's counters).
pub trait MemoryMeter {
    /// Bytes this shard uses now (cheap: called before every command while a limit is set).
    /// The keyspace is passed for meters that estimate from it (tests).
    fn used(&self, keyspace: &Keyspace) -> u64;
    /// Take a fresh exact reading (the event loop calls this every tick).
    fn refresh(&mut self) {}
    /// `bytes` of this shard's memory went to another shard, which will free them: count
    /// them as gone now rather than at the next exact reading.
    fn exported(&mut self, _bytes: u64) {}
}

/// No measurement: a shard with this meter never counts as full.
pub struct Unmetered;

impl MemoryMeter for Unmetered {
    fn used(&self, _keyspace: &Keyspace) -> u64 {
        0
    }
}

/// Candidates kept between rounds, as Redis's EVPOOL_SIZE.
const POOL_SIZE: usize = 16;

/// The best keys to evict seen so far, ascending by score (best last).
#[derive(Default)]
pub struct EvictionPool {
    candidates: Vec<Candidate>,
    /// Where random policies start looking (round-robin over databases).
    next_db: usize,
}

struct Candidate {
    /// Higher goes first: idle time, 255 - LFU counter, or time left before expiry inverted.
    score: u64,
    db: usize,
    key: Box<[u8]>,
}

impl EvictionPool {
    fn offer(&mut self, score: u64, db: usize, key: &[u8]) {
        let full = self.candidates.len() >= POOL_SIZE;
        if full
            && self
                .candidates
                .first()
                .is_some_and(|worst| score <= worst.score)
        {
            return;
        }
        if self
            .candidates
            .iter()
            .any(|c| c.db == db && c.key.as_ref() == key)
        {
            return;
        }
        if full {
            self.candidates.remove(0);
        }
        let at = self.candidates.partition_point(|c| c.score <= score);
        self.candidates.insert(
            at,
            Candidate {
                score,
                db,
                key: key.into(),
            },
        );
    }
}

/// What [`Shard::make_room`] achieved.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Room {
    /// Under the limit (or no limit).
    Enough,
    /// Still over, but keys are going: the round's time budget ran out. Commands run.
    Evicting,
    /// Over the limit and nothing may go: commands that add memory are refused.
    Full,
}

pub const OOM_ERROR: &str = "OOM command not allowed when used memory > 'maxmemory'.";

impl MaxmemoryPolicy {
    fn volatile_only(self) -> bool {
        matches!(
            self,
            MaxmemoryPolicy::VolatileLru
                | MaxmemoryPolicy::VolatileLfu
                | MaxmemoryPolicy::VolatileRandom
                | MaxmemoryPolicy::VolatileTtl
        )
    }

    fn random(self) -> bool {
        matches!(
            self,
            MaxmemoryPolicy::VolatileRandom | MaxmemoryPolicy::AllkeysRandom
        )
    }

    pub fn lfu(self) -> bool {
        matches!(
            self,
            MaxmemoryPolicy::VolatileLfu | MaxmemoryPolicy::AllkeysLfu
        )
    }
}

impl Shard {
    /// This shard's share of `maxmemory` (0 = no limit): what is left after the memory
    /// outside every shard (the cross-shard rings, made at start), split evenly.
    pub fn memory_limit(&self) -> u64 {
        let maxmemory = self.settings.maxmemory;
        if maxmemory == 0 {
            return 0;
        }
        let shards = self.slot_map.shard_count() as u64;
        maxmemory
            .saturating_sub(self.memory_outside_shards)
            .div_ceil(shards)
            .max(1)
    }

    /// This shard's memory as eviction sees it: values handed to the background freeing
    /// thread count as gone (they are, as soon as it gets to them).
    pub fn memory_used(&self) -> u64 {
        self.memory
            .used(&self.keyspace)
            .saturating_sub(crate::lazyfree::pending_bytes())
    }

    /// Make the keyspace record what the policy needs (access time or frequency); called
    /// by [`Shard::apply_settings`].
    pub(crate) fn apply_memory_settings(&mut self) {
        let settings = &self.settings;
        self.keyspace.tracking = if settings.maxmemory_policy.lfu() {
            AccessTracking::Lfu {
                log_factor: settings.lfu_log_factor,
                decay_minutes: settings.lfu_decay_time,
            }
        } else {
            AccessTracking::Lru
        };
    }

    /// Evict until this shard is under its share of maxmemory, as the policy allows.
    pub fn make_room(&mut self) -> Room {
        let limit = self.memory_limit();
        let over = limit != 0 && self.memory_used() > limit;
        self.note_over_limit(over);
        if !over {
            return Room::Enough;
        }
        let policy = self.settings.maxmemory_policy;
        if policy == MaxmemoryPolicy::NoEviction {
            return Room::Full;
        }
        // Redis's budget: 50 µs per tenacity point up to 10, growing fast above, none at 100.
        let tenacity = self.settings.maxmemory_eviction_tenacity as u64;
        let budget_ns = match tenacity {
            0..=10 => 50_000 * tenacity.max(1),
            100.. => u64::MAX,
            _ => 500_000u64.saturating_mul(115u64.pow((tenacity - 10) as u32 / 10 + 1) / 100),
        };
        let started = crate::clock::ticks();
        let mut evicted = 0u32;
        loop {
            if !self.evict_one(policy) {
                return Room::Full;
            }
            evicted += 1;
            if self.memory_used() <= limit {
                self.note_over_limit(false);
                return Room::Enough;
            }
            if evicted.is_multiple_of(16) && crate::clock::elapsed_ns(started) > budget_ns {
                return Room::Evicting;
            }
        }
    }

    /// Evict one key chosen by `policy`; false when there is none to evict.
    fn evict_one(&mut self, policy: MaxmemoryPolicy) -> bool {
        let volatile_only = policy.volatile_only();
        let victim = if policy.random() {
            self.random_victim(volatile_only)
        } else {
            self.pooled_victim(policy, volatile_only)
        };
        let Some((db, key)) = victim else {
            return false;
        };
        if self.keyspace.remove(db, &key, self.now_ms).is_some() {
            self.stats.evicted_keys += 1;
        }
        true
    }

    fn random_victim(&mut self, volatile_only: bool) -> Option<(usize, Box<[u8]>)> {
        let slots = self.owned_slots();
        for i in 0..DB_COUNT {
            let db = (self.eviction_pool.next_db + i) % DB_COUNT;
            let random = self.random();
            if let Some((key, _)) =
                self.keyspace
                    .random_key(db, slots.clone(), random, volatile_only)
            {
                self.eviction_pool.next_db = (db + 1) % DB_COUNT;
                return Some((db, key.into()));
            }
        }
        None
    }

    /// Sample every database into the pool, then take its best candidate that still
    /// exists (and still qualifies). Candidates left over from earlier rounds may have gone
    /// meanwhile; when all of them had, sample again.
    fn pooled_victim(
        &mut self,
        policy: MaxmemoryPolicy,
        volatile_only: bool,
    ) -> Option<(usize, Box<[u8]>)> {
        for _ in 0..3 {
            if !self.populate_pool(policy, volatile_only) {
                return None;
            }
            while let Some(candidate) = self.eviction_pool.candidates.pop() {
                let qualifies = self
                    .keyspace
                    .peek(candidate.db, &candidate.key)
                    .is_some_and(|e| !volatile_only || e.expire_at != NO_EXPIRE);
                if qualifies {
                    return Some((candidate.db, candidate.key));
                }
            }
        }
        None
    }

    /// Offer `maxmemory-samples` random keys of every database to the pool; false when
    /// there was no key to sample at all.
    fn populate_pool(&mut self, policy: MaxmemoryPolicy, volatile_only: bool) -> bool {
        let samples = self.settings.maxmemory_samples.max(1);
        let slots = self.owned_slots();
        let now = self.now_ms;
        let decay = self.settings.lfu_decay_time;
        let mut sampled = false;
        for db in 0..DB_COUNT {
            let part = self.keyspace.db(db);
            if (volatile_only && part.volatile() == 0) || part.is_empty() {
                continue;
            }
            for _ in 0..samples {
                let random = self.random();
                let Some((key, entry)) =
                    self.keyspace
                        .random_key(db, slots.clone(), random, volatile_only)
                else {
                    break;
                };
                sampled = true;
                let score = match policy {
                    MaxmemoryPolicy::VolatileTtl => u64::MAX - entry.expire_at,
                    p if p.lfu() => 255 - lfu_counter(entry.access, now, decay) as u64,
                    _ => idle_ms(entry, now),
                };
                self.eviction_pool.offer(score, db, key);
            }
        }
        sampled
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::families::test_util::TestShard;

    /// Counts 100 bytes per key: a shard "uses" what its keyspace holds.
    struct PerKey;

    impl MemoryMeter for PerKey {
        fn used(&self, keyspace: &Keyspace) -> u64 {
            keyspace.total_keys() as u64 * 100
        }
    }

    struct Metered {
        t: TestShard,
    }

    impl Metered {
        fn new(policy: &str, max_keys: u64) -> Self {
            let mut t = TestShard::new();
            t.shard.memory = Box::new(PerKey);
            let mut m = Metered { t };
            m.run(&["CONFIG", "SET", "maxmemory-policy", policy]);
            let max = (max_keys * 100).to_string();
            m.run(&["CONFIG", "SET", "maxmemory", &max]);
            m
        }

        fn run(&mut self, args: &[&str]) -> String {
            self.t.run(args)
        }

        fn exists(&mut self, key: &str) -> bool {
            self.t.shard.keyspace.peek(0, key.as_bytes()).is_some()
        }
    }

    #[test]
    fn noeviction_refuses_writes_but_serves_reads() {
        let mut m = Metered::new("noeviction", 10);
        for i in 0..11 {
            assert_eq!(m.run(&["SET", &format!("k{i}"), "v"]), "+OK\r\n");
        }
        assert_eq!(m.run(&["SET", "more", "v"]), format!("-{OOM_ERROR}\r\n"));
        assert_eq!(m.run(&["GET", "k1"]), "$1\r\nv\r\n");
        assert_eq!(m.run(&["DEL", "k1"]), ":1\r\n");
        assert_eq!(m.t.shard.stats.evicted_keys, 0);
    }

    #[test]
    fn allkeys_lru_keeps_recently_read_keys() {
        let mut m = Metered::new("allkeys-lru", 100);
        for i in 0..100 {
            m.run(&["SET", &format!("k{i}"), "v"]);
        }
        m.t.advance_ms(10_000);
        for i in 0..20 {
            m.run(&["GET", &format!("k{i}")]);
        }
        m.t.advance_ms(1_000);
        for i in 100..150 {
            m.run(&["SET", &format!("k{i}"), "v"]);
            m.t.advance_ms(1);
        }
        assert!(m.t.shard.keyspace.total_keys() <= 101);
        assert!(m.t.shard.stats.evicted_keys >= 49);
        let kept = (0..20).filter(|i| m.exists(&format!("k{i}"))).count();
        assert!(kept >= 18, "only {kept} of 20 recently read keys survived");
    }

    #[test]
    fn volatile_policies_spare_keys_without_ttl() {
        for policy in [
            "volatile-lru",
            "volatile-lfu",
            "volatile-random",
            "volatile-ttl",
        ] {
            let mut m = Metered::new(policy, 50);
            for i in 0..40 {
                m.run(&["SET", &format!("keep{i}"), "v"]);
            }
            for i in 0..30 {
                m.run(&[
                    "SET",
                    &format!("tmp{i}"),
                    "v",
                    "EX",
                    &(1000 + i).to_string(),
                ]);
            }
            let kept = (0..40).filter(|i| m.exists(&format!("keep{i}"))).count();
            assert_eq!(kept, 40, "{policy} evicted a key without TTL");
            // Only persistent keys left and still over: writes are refused.
            for i in 0..40 {
                m.run(&["SET", &format!("more{i}"), "v"]);
            }
            let reply = m.run(&["SET", "last", "v"]);
            assert_eq!(reply, format!("-{OOM_ERROR}\r\n"), "{policy}");
        }
    }

    #[test]
    fn volatile_ttl_evicts_soonest_expiring_first() {
        let mut m = Metered::new("volatile-ttl", 20);
        for i in 0..20 {
            m.run(&[
                "SET",
                &format!("t{i}"),
                "v",
                "EX",
                &(100 + i * 100).to_string(),
            ]);
        }
        for i in 0..5 {
            m.run(&["SET", &format!("p{i}"), "v"]);
        }
        let longest = (15..20).filter(|i| m.exists(&format!("t{i}"))).count();
        assert_eq!(longest, 5, "keys expiring last should stay");
    }

    #[test]
    fn allkeys_lfu_keeps_frequently_read_keys() {
        let mut m = Metered::new("allkeys-lfu", 60);
        for i in 0..60 {
            m.run(&["SET", &format!("k{i}"), "v"]);
        }
        for _ in 0..200 {
            for i in 0..10 {
                m.run(&["GET", &format!("k{i}")]);
            }
        }
        let freq = m.run(&["OBJECT", "FREQ", "k0"]);
        assert!(freq.starts_with(':') && freq != ":5\r\n", "{freq}");
        for i in 60..120 {
            m.run(&["SET", &format!("k{i}"), "v"]);
        }
        let kept = (0..10).filter(|i| m.exists(&format!("k{i}"))).count();
        assert!(kept >= 9, "only {kept} of 10 hot keys survived");
        assert!(m
            .run(&["OBJECT", "IDLETIME", "k0"])
            .starts_with("-ERR An LFU"));
    }

    #[test]
    fn allkeys_random_evicts_to_the_limit() {
        let mut m = Metered::new("allkeys-random", 30);
        for i in 0..100 {
            assert_eq!(m.run(&["SET", &format!("k{i}"), "v"]), "+OK\r\n");
        }
        assert!(m.t.shard.keyspace.total_keys() <= 31);
        assert_eq!(
            m.t.shard.stats.evicted_keys,
            100 - m.t.shard.keyspace.total_keys() as u64
        );
    }

    #[test]
    fn shrinking_maxmemory_evicts_at_the_next_command() {
        let mut m = Metered::new("allkeys-lru", 1000);
        for i in 0..100 {
            m.run(&["SET", &format!("k{i}"), "v"]);
        }
        m.run(&["CONFIG", "SET", "maxmemory", "5000"]);
        // Each command evicts for at most its time budget; a few commands finish the job.
        for _ in 0..50 {
            m.run(&["PING"]);
        }
        assert!(m.t.shard.keyspace.total_keys() <= 50);
        assert_eq!(m.t.shard.stats.evicted_keys, 50);
    }
}
