//! Hash slots: which of the 16384 Redis Cluster slots a key belongs to, and which shard owns
//! each slot.

/// Number of hash slots, as in Redis Cluster.
pub const SLOT_COUNT: usize = 16384;

/// A hash slot, `0..SLOT_COUNT`.
pub type Slot = u16;

/// Index of a shard (one per core).
pub type ShardId = usize;

/// CRC16-CCITT (XMODEM: poly 0x1021, init 0), the checksum Redis Cluster uses for slots.
const fn crc16_table() -> [u16; 256] {
    let mut table = [0u16; 256];
    let mut i = 0;
    while i < 256 {
        let mut crc = (i as u16) << 8;
        let mut bit = 0;
        while bit < 8 {
            crc = if crc & 0x8000 != 0 {
                (crc << 1) ^ 0x1021
            } else {
                crc << 1
            };
            bit += 1;
        }
        table[i] = crc;
        i += 1;
    }
    table
}

static CRC16_TABLE: [u16; 256] = crc16_table();

pub fn crc16(bytes: &[u8]) -> u16 {
    bytes.iter().fold(0u16, |crc, &b| {
        (crc << 8) ^ CRC16_TABLE[(((crc >> 8) as u8) ^ b) as usize]
    })
}

/// The slot of `key`: CRC16 of the key, or of the text between the first `{` and the next
/// `}` when that text is non-empty (the `{hashtag}` rule), modulo 16384.
pub fn key_slot(key: &[u8]) -> Slot {
    let hashed = match key.iter().position(|&b| b == b'{') {
        Some(open) => match key[open + 1..].iter().position(|&b| b == b'}') {
            Some(len) if len > 0 => &key[open + 1..open + 1 + len],
            _ => key,
        },
        None => key,
    };
    (crc16(hashed) as usize % SLOT_COUNT) as Slot
}

/// The slot table: which shard owns each slot. Ownership is data so slots can move later.
#[derive(Clone, Debug)]
pub struct SlotMap {
    owner: Box<[u16; SLOT_COUNT]>,
    shard_count: usize,
}

impl SlotMap {
    /// Split the slots into `shard_count` contiguous, near-equal ranges.
    pub fn contiguous(shard_count: usize) -> Self {
        assert!((1..=1024).contains(&shard_count), "1..=1024 shards");
        let mut owner = Box::new([0u16; SLOT_COUNT]);
        for shard in 0..shard_count {
            for slot in Self::range_of(shard, shard_count) {
                owner[slot] = shard as u16;
            }
        }
        SlotMap { owner, shard_count }
    }

    /// The contiguous slot range shard `shard` of `shard_count` owns.
    pub fn range_of(shard: ShardId, shard_count: usize) -> std::ops::Range<usize> {
        (shard * SLOT_COUNT / shard_count)..((shard + 1) * SLOT_COUNT / shard_count)
    }

    #[inline]
    pub fn owner(&self, slot: Slot) -> ShardId {
        self.owner[slot as usize] as ShardId
    }

    #[inline]
    pub fn owner_of_key(&self, key: &[u8]) -> ShardId {
        self.owner(key_slot(key))
    }

    pub fn shard_count(&self) -> usize {
        self.shard_count
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_cluster_slots() {
        // Values from `CLUSTER KEYSLOT` on Redis 7.
        assert_eq!(crc16(b"123456789"), 0x31C3);
        assert_eq!(key_slot(b"foo"), 12182);
        assert_eq!(key_slot(b"bar"), 5061);
        assert_eq!(key_slot(b"hello"), 866);
        assert_eq!(key_slot(b""), 0);
        assert_eq!(key_slot(b"{user1000}.following"), key_slot(b"user1000"));
        assert_eq!(key_slot(b"{user1000}.followers"), key_slot(b"user1000"));
        assert_eq!(key_slot(b"foo{}{bar}"), key_slot(b"foo{}{bar}"));
        assert_eq!(key_slot(b"foo{{bar}}zap"), key_slot(b"{bar"));
        assert_eq!(key_slot(b"foo{bar}{zap}"), key_slot(b"bar"));
        assert_eq!(key_slot(b"{}foo"), crc16(b"{}foo") % 16384);
    }

    #[test]
    fn contiguous_ranges_cover_all_slots() {
        for n in [1, 2, 3, 4, 7, 64] {
            let map = SlotMap::contiguous(n);
            let mut last = 0;
            for slot in 0..SLOT_COUNT {
                let owner = map.owner(slot as Slot);
                assert!(owner == last || owner == last + 1);
                last = owner;
            }
            assert_eq!(last, n - 1);
        }
    }
}
