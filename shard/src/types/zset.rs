//! The sorted set type.
//!
//! Two encodings, as Redis's:
//! * **listpack** (small sets): one byte buffer of `[score: f64 LE][len: LEB128][member]`
//!   entries sorted by (score, member) — a single allocation, scanned linearly.
//! * **skiplist** (as OBJECT ENCODING calls it; here a counted B+tree): members live in an
//!   arena of 32-byte slots (score + member with up to 22 bytes inline), a hashbrown table of
//!   4-byte arena ids gives member → score in O(1), and an order-statistic B+tree of
//!   (score, id) pairs ([`tree`]) gives rank, select and range edges in O(log n). About
//!   32 + ~8 + ~14 bytes per element against Redis's ~100+ (dict entry, bucket, skiplist
//!   node, sds).
//!
//! A set converts to the big encoding once it would hold more than
//! `zset-max-listpack-entries` members or a member longer than `zset-max-listpack-value`
//! bytes, and never back (as Redis, except for freshly built results: see [`ZSetValue::build`]).

mod tree;

use std::cmp::Ordering;
use tree::{key_cmp, Probe, Tree};

/// Bytes of a member kept inside its arena slot without an allocation of its own.
const MEMBER_INLINE: usize = 22;

/// A member's bytes: short ones inline, longer ones boxed. 24 bytes.
#[derive(Clone)]
pub(crate) enum Member {
    Inline { len: u8, buf: [u8; MEMBER_INLINE] },
    Heap(Box<[u8]>),
}

impl Member {
    pub(crate) fn new(bytes: &[u8]) -> Self {
        if bytes.len() <= MEMBER_INLINE {
            let mut buf = [0u8; MEMBER_INLINE];
            buf[..bytes.len()].copy_from_slice(bytes);
            Member::Inline {
                len: bytes.len() as u8,
                buf,
            }
        } else {
            Member::Heap(bytes.into())
        }
    }

    #[inline]
    pub(crate) fn as_bytes(&self) -> &[u8] {
        match self {
            Member::Inline { len, buf } => &buf[..*len as usize],
            Member::Heap(b) => b,
        }
    }

    fn heap_size(&self) -> usize {
        match self {
            Member::Inline { .. } => 0,
            Member::Heap(b) => b.len(),
        }
    }
}

impl std::fmt::Debug for Member {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:?}", String::from_utf8_lossy(self.as_bytes()))
    }
}

/// One arena slot of the big encoding. A free slot has a NaN score (scores never are NaN).
#[derive(Clone, Debug)]
pub(crate) struct Slot {
    score: f64,
    member: Member,
}

#[inline]
pub(crate) fn member_of(slots: &Arena, id: u32) -> &[u8] {
    slots.get(id).map_or(&[], |s| s.member.as_bytes())
}

/// Slots per arena chunk. The arena grows a chunk at a time (the first one as a `Vec`
/// does), so a large set never copies its whole arena to grow, and wastes at most a chunk.
const CHUNK: usize = 1024;

/// The big encoding's members, addressed by 32-bit ids that stay fixed while a member lives.
#[derive(Clone, Debug, Default)]
pub(crate) struct Arena {
    chunks: Vec<Vec<Slot>>,
}

impl Arena {
    #[inline]
    pub(crate) fn get(&self, id: u32) -> Option<&Slot> {
        let id = id as usize;
        self.chunks.get(id / CHUNK)?.get(id % CHUNK)
    }

    fn get_mut(&mut self, id: u32) -> Option<&mut Slot> {
        let id = id as usize;
        self.chunks.get_mut(id / CHUNK)?.get_mut(id % CHUNK)
    }

    fn len(&self) -> usize {
        match self.chunks.last() {
            Some(last) => (self.chunks.len() - 1) * CHUNK + last.len(),
            None => 0,
        }
    }

    fn reserve(&mut self, n: usize) {
        if self.chunks.is_empty() {
            self.chunks.push(Vec::with_capacity(n.min(CHUNK)));
        }
    }

    fn push(&mut self, slot: Slot) -> u32 {
        match self.chunks.last_mut() {
            Some(chunk) if chunk.len() < CHUNK => chunk.push(slot),
            _ => {
                let mut chunk = Vec::with_capacity(if self.chunks.is_empty() { 16 } else { CHUNK });
                chunk.push(slot);
                self.chunks.push(chunk);
            }
        }
        (self.len() - 1) as u32
    }

    fn heap_size(&self) -> usize {
        self.chunks.capacity() * std::mem::size_of::<Vec<Slot>>()
            + self
                .chunks
                .iter()
                .map(|c| c.capacity() * std::mem::size_of::<Slot>())
                .sum::<usize>()
    }
}

/// The compact-encoding thresholds (CONFIG zset-max-listpack-entries / -value).
#[derive(Clone, Copy, Debug)]
pub struct ZLimits {
    pub max_entries: usize,
    pub max_value: usize,
}

impl ZLimits {
    pub fn from_settings(settings: &crate::shard::Settings) -> Self {
        ZLimits {
            max_entries: settings.zset_max_listpack_entries,
            max_value: settings.zset_max_listpack_value,
        }
    }
}

impl Default for ZLimits {
    fn default() -> Self {
        ZLimits {
            max_entries: 128,
            max_value: 64,
        }
    }
}

// ---------------------------------------------------------------------------------------------
// listpack encoding
// ---------------------------------------------------------------------------------------------

#[derive(Clone, Debug, Default)]
struct Pack {
    buf: Vec<u8>,
    len: u32,
}

#[derive(Clone, Copy)]
struct PackEntry<'a> {
    start: usize,
    end: usize,
    score: f64,
    member: &'a [u8],
}

struct PackIter<'a> {
    buf: &'a [u8],
    off: usize,
}

impl<'a> Iterator for PackIter<'a> {
    type Item = PackEntry<'a>;

    fn next(&mut self) -> Option<PackEntry<'a>> {
        let start = self.off;
        let score_bytes: [u8; 8] = self.buf.get(start..start + 8)?.try_into().ok()?;
        let mut p = start + 8;
        let mut len = 0usize;
        let mut shift = 0;
        loop {
            let b = *self.buf.get(p)?;
            p += 1;
            len |= usize::from(b & 0x7f) << shift;
            shift += 7;
            if b & 0x80 == 0 {
                break;
            }
        }
        let member = self.buf.get(p..p + len)?;
        self.off = p + len;
        Some(PackEntry {
            start,
            end: self.off,
            score: f64::from_le_bytes(score_bytes),
            member,
        })
    }
}

fn encode_entry(out: &mut Vec<u8>, score: f64, member: &[u8]) {
    // A listpack keeps scores as text where -0 reads back as 0.
    let score = if score == 0.0 { 0.0 } else { score };
    out.extend_from_slice(&score.to_le_bytes());
    let mut len = member.len();
    loop {
        let b = (len & 0x7f) as u8;
        len >>= 7;
        if len == 0 {
            out.push(b);
            break;
        }
        out.push(b | 0x80);
    }
    out.extend_from_slice(member);
}

impl Pack {
    fn iter(&self) -> PackIter<'_> {
        PackIter {
            buf: &self.buf,
            off: 0,
        }
    }

    fn find(&self, member: &[u8]) -> Option<(usize, PackEntry<'_>)> {
        self.iter().enumerate().find(|(_, e)| e.member == member)
    }

    fn insert(&mut self, score: f64, member: &[u8]) {
        let at = self
            .iter()
            .find(|e| key_cmp(e.score, e.member, score, member) == Ordering::Greater)
            .map_or(self.buf.len(), |e| e.start);
        let mut bytes = Vec::with_capacity(member.len() + 10);
        encode_entry(&mut bytes, score, member);
        self.buf.splice(at..at, bytes);
        self.len += 1;
    }

    fn remove_span(&mut self, start: usize, end: usize) {
        self.buf.drain(start..end);
        self.len -= 1;
        if self.buf.capacity() > 64 && self.buf.capacity() > self.buf.len() * 2 {
            self.buf.shrink_to_fit();
        }
    }

    fn position(&self, probe: &Probe<'_>) -> usize {
        self.iter()
            .take_while(|e| probe.before(e.score, || e.member))
            .count()
    }
}

// ---------------------------------------------------------------------------------------------
// big encoding
// ---------------------------------------------------------------------------------------------

#[derive(Clone)]
struct Big {
    slots: Arena,
    free: Vec<u32>,
    map: hashbrown::HashTable<u32>,
    hasher: ahash::RandomState,
    tree: Tree,
    /// Heap bytes of members too long to be inline.
    member_heap: usize,
}

impl std::fmt::Debug for Big {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Big")
            .field("len", &self.tree.len())
            .field("slots", &self.slots.len())
            .finish()
    }
}

/// A big sorted set is freed by the lazyfree thread: dropping it visits every arena slot
/// (freeing long members) and frees a tree leaf per few dozen members.
impl Drop for Big {
    fn drop(&mut self) {
        let bytes = std::mem::size_of::<Big>() + self.heap_size();
        if crate::lazyfree::worth_deferring(self.slots.len(), bytes) {
            let slots = std::mem::take(&mut self.slots);
            let free = std::mem::take(&mut self.free);
            let map = std::mem::take(&mut self.map);
            let tree = std::mem::take(&mut self.tree);
            crate::lazyfree::defer_sized((slots, free, map, tree), bytes);
        }
    }
}

impl Big {
    fn new() -> Self {
        Big {
            slots: Arena::default(),
            free: Vec::new(),
            map: hashbrown::HashTable::new(),
            hasher: ahash::RandomState::new(),
            tree: Tree::default(),
            member_heap: 0,
        }
    }

    fn find(&self, member: &[u8]) -> Option<u32> {
        let hash = self.hasher.hash_one(member);
        let slots = &self.slots;
        self.map
            .find(hash, |&id| member_of(slots, id) == member)
            .copied()
    }

    fn score_of(&self, id: u32) -> f64 {
        self.slots.get(id).map_or(0.0, |s| s.score)
    }

    /// Adds a member known to be absent.
    fn insert_new(&mut self, member: &[u8], score: f64) {
        let slot = Slot {
            score,
            member: Member::new(member),
        };
        self.member_heap += slot.member.heap_size();
        let id = match self.free.pop() {
            Some(id) => {
                if let Some(s) = self.slots.get_mut(id) {
                    *s = slot;
                }
                id
            }
            None => self.slots.push(slot),
        };
        let Big {
            slots,
            map,
            hasher,
            tree,
            ..
        } = self;
        tree.insert(score, member, id, slots);
        let hash = hasher.hash_one(member);
        map.insert_unique(hash, id, |&i| hasher.hash_one(member_of(slots, i)));
    }

    fn set_score(&mut self, id: u32, member: &[u8], score: f64) {
        let old = self.score_of(id);
        let Big { slots, tree, .. } = self;
        tree.remove(old, member, slots);
        if let Some(s) = slots.get_mut(id) {
            s.score = score;
        }
        tree.insert(score, member, id, slots);
    }

    fn remove(&mut self, member: &[u8]) -> Option<f64> {
        let hash = self.hasher.hash_one(member);
        let Big {
            slots,
            map,
            tree,
            free,
            ..
        } = self;
        let entry = map
            .find_entry(hash, |&id| member_of(slots, id) == member)
            .ok()?;
        let (id, _) = entry.remove();
        let slot = slots.get_mut(id)?;
        let score = slot.score;
        tree.remove(score, member, slots);
        if let Some(slot) = slots.get_mut(id) {
            self.member_heap -= slot.member.heap_size();
            *slot = Slot {
                score: f64::NAN,
                member: Member::new(b""),
            };
        }
        free.push(id);
        if self.free.len() > 1024 && self.free.len() > self.slots.len() / 2 {
            self.compact();
        }
        Some(score)
    }

    /// Rebuilds the arena without holes (after many removals).
    fn compact(&mut self) {
        let mut fresh = Big::new();
        fresh.hasher = self.hasher.clone();
        fresh.slots.reserve(self.tree.len());
        let slots = &self.slots;
        self.tree.visit(0, false, &mut |score, id| {
            fresh.insert_new(member_of(slots, id), score);
            true
        });
        *self = fresh;
    }

    fn heap_size(&self) -> usize {
        let buckets = if self.map.capacity() == 0 {
            0
        } else {
            (self.map.capacity() * 8 / 7).next_power_of_two()
        };
        self.slots.heap_size()
            + self.free.capacity() * 4
            + buckets * (std::mem::size_of::<u32>() + 1)
            + self.tree.heap_size()
            + self.member_heap
    }
}

// ---------------------------------------------------------------------------------------------
// the value
// ---------------------------------------------------------------------------------------------

#[derive(Clone, Debug)]
enum Repr {
    Pack(Pack),
    Big(Box<Big>),
}

impl Default for Repr {
    fn default() -> Self {
        Repr::Pack(Pack::default())
    }
}

/// A sorted set value.
#[derive(Clone, Debug, Default)]
pub struct ZSetValue {
    repr: Repr,
}

impl ZSetValue {
    /// OBJECT ENCODING's answer.
    pub fn encoding(&self) -> &'static str {
        match self.repr {
            Repr::Pack(_) => "listpack",
            Repr::Big(_) => "skiplist",
        }
    }

    /// Heap bytes owned (MEMORY USAGE, accounting).
    pub fn heap_size(&self) -> usize {
        match &self.repr {
            Repr::Pack(p) => p.buf.capacity(),
            Repr::Big(b) => std::mem::size_of::<Big>() + b.heap_size(),
        }
    }

    pub fn len(&self) -> usize {
        match &self.repr {
            Repr::Pack(p) => p.len as usize,
            Repr::Big(b) => b.tree.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// A set built whole from distinct members (ZUNIONSTORE & co.): compact when it fits
    /// the limits, as Redis's zsetConvertToListpackIfNeeded.
    pub fn build(mut entries: Vec<(Vec<u8>, f64)>, limits: ZLimits) -> Self {
        entries.sort_by(|a, b| key_cmp(a.1, &a.0, b.1, &b.0));
        let fits = entries.len() <= limits.max_entries
            && entries.iter().all(|(m, _)| m.len() <= limits.max_value);
        if fits {
            let mut pack = Pack::default();
            let total: usize = entries.iter().map(|(m, _)| m.len() + 10).sum();
            pack.buf.reserve_exact(total);
            for (m, s) in &entries {
                encode_entry(&mut pack.buf, *s, m);
            }
            pack.len = entries.len() as u32;
            ZSetValue {
                repr: Repr::Pack(pack),
            }
        } else {
            let mut big = Big::new();
            big.slots.reserve(entries.len());
            for (m, s) in &entries {
                big.insert_new(m, *s);
            }
            ZSetValue {
                repr: Repr::Big(Box::new(big)),
            }
        }
    }

    pub fn score(&self, member: &[u8]) -> Option<f64> {
        match &self.repr {
            Repr::Pack(p) => p.find(member).map(|(_, e)| e.score),
            Repr::Big(b) => b.find(member).map(|id| b.score_of(id)),
        }
    }

    pub fn contains(&self, member: &[u8]) -> bool {
        self.score(member).is_some()
    }

    fn convert_to_big(&mut self) {
        if let Repr::Pack(p) = &self.repr {
            let mut big = Big::new();
            big.slots.reserve(p.len as usize + 1);
            for e in p.iter() {
                big.insert_new(e.member, e.score);
            }
            self.repr = Repr::Big(Box::new(big));
        }
    }

    /// Sets a member's score, adding the member if absent (converting the encoding when it
    /// outgrows the limits). Returns the previous score.
    pub fn set(&mut self, member: &[u8], score: f64, limits: ZLimits) -> Option<f64> {
        if let Repr::Pack(p) = &mut self.repr {
            if let Some((_, e)) = p.find(member) {
                let old = e.score;
                if old != score || old.to_bits() != score.to_bits() {
                    let (start, end) = (e.start, e.end);
                    p.remove_span(start, end);
                    p.insert(score, member);
                }
                return Some(old);
            }
            if p.len as usize >= limits.max_entries || member.len() > limits.max_value {
                self.convert_to_big();
            } else {
                p.insert(score, member);
                return None;
            }
        }
        match &mut self.repr {
            Repr::Big(b) => match b.find(member) {
                Some(id) => {
                    let old = b.score_of(id);
                    if old.to_bits() != score.to_bits() {
                        b.set_score(id, member, score);
                    }
                    Some(old)
                }
                None => {
                    b.insert_new(member, score);
                    None
                }
            },
            Repr::Pack(_) => None,
        }
    }

    /// Removes a member; returns its score.
    pub fn remove(&mut self, member: &[u8]) -> Option<f64> {
        match &mut self.repr {
            Repr::Pack(p) => {
                let (_, e) = p.find(member)?;
                let (score, start, end) = (e.score, e.start, e.end);
                p.remove_span(start, end);
                Some(score)
            }
            Repr::Big(b) => b.remove(member),
        }
    }

    fn position(&self, probe: &Probe<'_>) -> usize {
        match &self.repr {
            Repr::Pack(p) => p.position(probe),
            Repr::Big(b) => b.tree.position(probe, &b.slots),
        }
    }

    /// 0-based rank in ascending order.
    pub fn rank(&self, member: &[u8]) -> Option<usize> {
        match &self.repr {
            Repr::Pack(p) => p.find(member).map(|(i, _)| i),
            Repr::Big(b) => {
                let id = b.find(member)?;
                let score = b.score_of(id);
                Some(b.tree.position(&Probe::Key(score, member), &b.slots))
            }
        }
    }

    /// How many members have a score below `score` (or equal to it, with `or_equal`).
    pub fn count_score_below(&self, score: f64, or_equal: bool) -> usize {
        self.position(&Probe::Score { score, or_equal })
    }

    /// How many members sort below `member` (or equal to it, with `or_equal`). Meaningful
    /// when all scores are equal, as ZRANGEBYLEX requires.
    pub fn count_lex_below(&self, member: &[u8], or_equal: bool) -> usize {
        self.position(&Probe::Lex { member, or_equal })
    }

    /// Calls `f(member, score)` from ascending rank `from` upwards (downwards with `rev`)
    /// until it returns false or the set ends.
    pub fn visit(&self, from: usize, rev: bool, mut f: impl FnMut(&[u8], f64) -> bool) {
        match &self.repr {
            Repr::Pack(p) => {
                if rev {
                    let entries: Vec<PackEntry<'_>> =
                        p.iter().take(from.saturating_add(1)).collect();
                    for e in entries.iter().rev() {
                        if !f(e.member, e.score) {
                            return;
                        }
                    }
                } else {
                    for e in p.iter().skip(from) {
                        if !f(e.member, e.score) {
                            return;
                        }
                    }
                }
            }
            Repr::Big(b) => {
                let slots = &b.slots;
                b.tree
                    .visit(from, rev, &mut |score, id| f(member_of(slots, id), score));
            }
        }
    }

    /// The member at ascending rank `rank`.
    pub fn at_rank(&self, rank: usize) -> Option<(&[u8], f64)> {
        match &self.repr {
            Repr::Pack(p) => p.iter().nth(rank).map(|e| (e.member, e.score)),
            Repr::Big(b) => b
                .tree
                .select(rank)
                .map(|(score, id)| (member_of(&b.slots, id), score)),
        }
    }

    /// Every (member, score) in ascending order, copied.
    pub fn to_vec(&self) -> Vec<(Vec<u8>, f64)> {
        let mut out = Vec::with_capacity(self.len());
        self.visit(0, false, |m, s| {
            out.push((m.to_vec(), s));
            true
        });
        out
    }

    /// Copies of up to `count` entries from ascending rank `from` (downwards with `rev`).
    pub fn range_vec(&self, from: usize, count: usize, rev: bool) -> Vec<(Vec<u8>, f64)> {
        let mut out = Vec::with_capacity(count.min(self.len()));
        if count == 0 {
            return out;
        }
        self.visit(from, rev, |m, s| {
            out.push((m.to_vec(), s));
            out.len() < count
        });
        out
    }

    /// One step of ZSCAN: calls `f(member, score)` for some members from `cursor` on and
    /// returns the next cursor (0 when done). The compact encoding returns everything at
    /// once, as Redis; the big one walks the arena, whose slots never move while a member
    /// lives (so a member present for the whole scan is returned).
    pub fn scan<'a>(&'a self, cursor: u64, count: usize, mut f: impl FnMut(&'a [u8], f64)) -> u64 {
        match &self.repr {
            Repr::Pack(p) => {
                for e in p.iter() {
                    f(e.member, e.score);
                }
                0
            }
            Repr::Big(b) => {
                let mut i = usize::try_from(cursor).unwrap_or(usize::MAX);
                let mut seen = 0;
                while let Some(slot) = u32::try_from(i).ok().and_then(|i| b.slots.get(i)) {
                    i += 1;
                    if !slot.score.is_nan() {
                        f(slot.member.as_bytes(), slot.score);
                        seen += 1;
                        if seen >= count.max(1) {
                            break;
                        }
                    }
                }
                if i >= b.slots.len() {
                    0
                } else {
                    i as u64
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::{BTreeSet, HashMap};

    #[test]
    fn big_sorted_sets_are_freed_in_the_background() {
        use crate::lazyfree::{assert_dropped_in_background, assert_dropped_inline};
        for len in [16, 40] {
            let mut z = ZSetValue::default();
            for i in 0..200_000u64 {
                let member = format!("{i:0len$}");
                let score = (i.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 40) as f64;
                z.set(member.as_bytes(), score, ZLimits::default());
            }
            assert_eq!(z.encoding(), "skiplist");
            assert_dropped_in_background(crate::value::Value::ZSet(Box::new(z)));
        }
        // Converted by a long member, but small: inline.
        let mut z = ZSetValue::default();
        for i in 0..20 {
            z.set(format!("{i:080}").as_bytes(), i as f64, ZLimits::default());
        }
        assert_eq!(z.encoding(), "skiplist");
        assert_dropped_inline(z);
    }

    #[derive(Clone, Copy)]
    struct Ord64(f64);
    impl PartialEq for Ord64 {
        fn eq(&self, o: &Self) -> bool {
            self.cmp(o) == Ordering::Equal
        }
    }
    impl Eq for Ord64 {}
    impl PartialOrd for Ord64 {
        fn partial_cmp(&self, o: &Self) -> Option<Ordering> {
            Some(self.cmp(o))
        }
    }
    impl Ord for Ord64 {
        fn cmp(&self, o: &Self) -> Ordering {
            self.0.total_cmp(&o.0)
        }
    }

    struct Model {
        order: BTreeSet<(Ord64, Vec<u8>)>,
        scores: HashMap<Vec<u8>, f64>,
    }

    impl Model {
        fn ranked(&self) -> Vec<(Vec<u8>, f64)> {
            self.order.iter().map(|(s, m)| (m.clone(), s.0)).collect()
        }
    }

    fn rng(state: &mut u64) -> u64 {
        *state ^= *state << 13;
        *state ^= *state >> 7;
        *state ^= *state << 17;
        *state
    }

    fn run_random(limits: ZLimits, ops: usize, universe: u64, seed: u64) {
        let mut z = ZSetValue::default();
        let mut model = Model {
            order: BTreeSet::new(),
            scores: HashMap::new(),
        };
        let mut x = seed;
        for step in 0..ops {
            let m = format!("member-{}", rng(&mut x) % universe).into_bytes();
            let m = if rng(&mut x).is_multiple_of(50) {
                [m.as_slice(), &[b'x'; 40]].concat()
            } else {
                m
            };
            let score = ((rng(&mut x) % 41) as f64 - 20.0) / 2.0;
            match rng(&mut x) % 10 {
                0..=5 => {
                    let old = z.set(&m, score, limits);
                    let mold = model.scores.insert(m.clone(), score);
                    assert_eq!(old, mold);
                    if let Some(o) = mold {
                        model.order.remove(&(Ord64(o), m.clone()));
                    }
                    model.order.insert((Ord64(score), m.clone()));
                }
                6..=8 => {
                    let old = z.remove(&m);
                    let mold = model.scores.remove(&m);
                    assert_eq!(old, mold);
                    if let Some(o) = mold {
                        model.order.remove(&(Ord64(o), m.clone()));
                    }
                }
                _ => {
                    assert_eq!(z.score(&m), model.scores.get(&m).copied());
                }
            }
            assert_eq!(z.len(), model.scores.len());
            if step % 97 == 0 || step + 1 == ops {
                let ranked = model.ranked();
                assert_eq!(z.to_vec(), ranked);
                for (i, (m, s)) in ranked.iter().enumerate().step_by(7) {
                    assert_eq!(z.rank(m), Some(i));
                    assert_eq!(z.at_rank(i), Some((m.as_slice(), *s)));
                }
                let b = ((rng(&mut x) % 41) as f64 - 20.0) / 2.0;
                for or_equal in [false, true] {
                    let want = ranked
                        .iter()
                        .filter(|(_, s)| *s < b || (or_equal && *s == b))
                        .count();
                    assert_eq!(z.count_score_below(b, or_equal), want);
                }
                if !ranked.is_empty() {
                    let from = (rng(&mut x) as usize) % ranked.len();
                    let back = z.range_vec(from, 10, true);
                    let want: Vec<_> = ranked[..=from].iter().rev().take(10).cloned().collect();
                    assert_eq!(back, want);
                    let fwd = z.range_vec(from, 10, false);
                    let want: Vec<_> = ranked[from..].iter().take(10).cloned().collect();
                    assert_eq!(fwd, want);
                }
                let mut scanned = 0;
                let mut cursor = 0;
                loop {
                    cursor = z.scan(cursor, 10, |_, _| scanned += 1);
                    if cursor == 0 {
                        break;
                    }
                }
                assert_eq!(scanned, ranked.len());
            }
        }
    }

    #[test]
    fn randomized_against_model_small_limits() {
        run_random(
            ZLimits {
                max_entries: 16,
                max_value: 20,
            },
            20_000,
            3000,
            0x1234_5678_9abc_def1,
        );
    }

    #[test]
    fn randomized_against_model_default_limits() {
        run_random(ZLimits::default(), 4000, 100, 0x0bad_cafe_dead_beef);
        run_random(ZLimits::default(), 30_000, 20_000, 0x5eed_5eed_5eed_5eed);
    }

    #[test]
    fn lex_counts() {
        let mut z = ZSetValue::default();
        for m in ["a", "b", "c", "d"] {
            z.set(m.as_bytes(), 0.0, ZLimits::default());
        }
        assert_eq!(z.count_lex_below(b"b", false), 1);
        assert_eq!(z.count_lex_below(b"b", true), 2);
        assert_eq!(z.count_lex_below(b"bb", true), 2);
        let mut big = z.clone();
        big.convert_to_big();
        assert_eq!(big.encoding(), "skiplist");
        assert_eq!(big.count_lex_below(b"b", false), 1);
        assert_eq!(big.count_lex_below(b"c", true), 3);
    }

    #[test]
    fn encodings_and_sizes() {
        assert_eq!(std::mem::size_of::<Member>(), 24);
        assert_eq!(std::mem::size_of::<Slot>(), 32);
        let limits = ZLimits::default();
        let mut z = ZSetValue::default();
        for i in 0..128 {
            z.set(format!("m{i}").as_bytes(), i as f64, limits);
        }
        assert_eq!(z.encoding(), "listpack");
        z.set(b"one-more", 0.0, limits);
        assert_eq!(z.encoding(), "skiplist");
        let mut z = ZSetValue::default();
        z.set(&[b'a'; 64], 1.0, limits);
        assert_eq!(z.encoding(), "listpack");
        z.set(&[b'a'; 65], 1.0, limits);
        assert_eq!(z.encoding(), "skiplist");
    }

    #[test]
    fn memory_per_element_beats_redis() {
        let mut z = ZSetValue::default();
        let n = 200_000;
        for i in 0..n {
            z.set(
                format!("member:{i}").as_bytes(),
                (i * 7 % 1000) as f64,
                ZLimits::default(),
            );
        }
        let per = z.heap_size() / n;
        assert!(per < 80, "{per} bytes per element");
    }

    #[test]
    fn compaction_after_mass_removal() {
        let mut z = ZSetValue::default();
        for i in 0..10_000 {
            z.set(format!("m{i}").as_bytes(), i as f64, ZLimits::default());
        }
        for i in 0..9_000 {
            assert_eq!(z.remove(format!("m{i}").as_bytes()), Some(i as f64));
        }
        assert_eq!(z.len(), 1000);
        assert_eq!(z.rank(b"m9500"), Some(500));
        if let Repr::Big(b) = &z.repr {
            assert!(b.slots.len() < 5000);
        }
    }
}
