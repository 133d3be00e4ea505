//! The set type, in the encodings of Redis 7.0:
//!
//! * **intset** while every member is an integer (Redis's `string2ll` canonical form) and
//!   there are at most `set-max-intset-entries` of them: one sorted vector of the narrowest
//!   width (16, 32 or 64 bits) that holds every member, searched by bisection. The width
//!   only ever grows, as Redis's intset.
//! * **hashtable** otherwise. Two lean forms answer to that name:
//!   - integers only: a table of bare `i64`s (8 bytes a slot plus hashbrown's control byte);
//!   - any members: a table of 16-byte [`Member`]s, integers inline, strings up to 14 bytes
//!     inline, longer strings boxed.
//!
//!   Both tables are *partitioned* (extendible hashing): a directory indexed by the top bits
//!   of a member's (rotated) hash points at small hashbrown tables of at most
//!   [`SPLIT_AT`] members, each split in two on overflow. Growth therefore never stalls on
//!   one huge rehash, and SSCAN's cursor is simply a position in hash order: a call returns
//!   the members whose (rotated) hash lies in `[cursor, next)`, so a member present for the
//!   whole scan is returned exactly once whatever splits and shrinks happen in between.

use hashbrown::HashTable;
use std::sync::OnceLock;

/// Largest partition before it splits in two.
const SPLIT_AT: usize = 896;
/// Partitions use bits `32-depth..32` of the hash (hashbrown uses the low bits for the bucket
/// and the top 7 for its tag): this many leaves room for 2^11 buckets in a partition.
const MAX_DEPTH: u8 = 21;
/// Strings up to this long live inside a [`Member`].
const SHORT: usize = 14;

fn hasher() -> &'static ahash::RandomState {
    static HASHER: OnceLock<ahash::RandomState> = OnceLock::new();
    HASHER.get_or_init(ahash::RandomState::new)
}

#[inline]
fn hash_int(n: i64) -> u64 {
    hasher().hash_one(n)
}

#[inline]
fn hash_bytes(bytes: &[u8]) -> u64 {
    hasher().hash_one(bytes)
}

/// A member's position in scan order.
#[inline]
fn scan_order(hash: u64) -> u64 {
    hash.rotate_left(32)
}

/// A borrowed member: an integer (the member's text is its canonical decimal form) or any
/// other bytes. Every member handed out is classified this way, so two equal members always
/// have the same variant.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MemberRef<'a> {
    Int(i64),
    Bytes(&'a [u8]),
}

impl<'a> MemberRef<'a> {
    /// Classify a client's member text as Redis's `isSdsRepresentableAsLongLong` does.
    #[inline]
    pub fn classify(bytes: &'a [u8]) -> Self {
        if bytes.len() <= 20 {
            if let Some(n) = protocol::parse_i64(bytes) {
                return MemberRef::Int(n);
            }
        }
        MemberRef::Bytes(bytes)
    }

    #[inline]
    fn hash(self) -> u64 {
        match self {
            MemberRef::Int(n) => hash_int(n),
            MemberRef::Bytes(b) => hash_bytes(b),
        }
    }

    /// An owned copy.
    pub fn to_member(self) -> Member {
        Member::from_ref(self)
    }

    /// The member's text.
    pub fn to_vec(self) -> Vec<u8> {
        match self {
            MemberRef::Int(n) => itoa::Buffer::new().format(n).as_bytes().to_vec(),
            MemberRef::Bytes(b) => b.to_vec(),
        }
    }

    /// Reply with the member as a bulk string.
    #[inline]
    pub fn reply_bulk(self, reply: &mut protocol::Reply<'_>) {
        match self {
            MemberRef::Int(n) => reply.bulk_i64(n),
            MemberRef::Bytes(b) => reply.bulk(b),
        }
    }
}

/// An owned member, 16 bytes: integers and strings up to 14 bytes need no allocation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Member {
    Int(i64),
    Short { len: u8, bytes: [u8; SHORT] },
    Long(Box<Box<[u8]>>),
}

impl Member {
    fn from_ref(m: MemberRef<'_>) -> Self {
        match m {
            MemberRef::Int(n) => Member::Int(n),
            MemberRef::Bytes(b) if b.len() <= SHORT => {
                let mut bytes = [0u8; SHORT];
                bytes[..b.len()].copy_from_slice(b);
                Member::Short {
                    len: b.len() as u8,
                    bytes,
                }
            }
            MemberRef::Bytes(b) => Member::Long(Box::new(b.into())),
        }
    }

    #[inline]
    pub fn as_ref(&self) -> MemberRef<'_> {
        match self {
            Member::Int(n) => MemberRef::Int(*n),
            Member::Short { len, bytes } => {
                MemberRef::Bytes(bytes.get(..*len as usize).unwrap_or(&[]))
            }
            Member::Long(b) => MemberRef::Bytes(b),
        }
    }

    #[inline]
    fn matches(&self, m: MemberRef<'_>) -> bool {
        self.as_ref() == m
    }
}

/// What a partitioned table stores.
trait Elem: Clone {
    fn elem_hash(&self) -> u64;
    /// Heap bytes owned beyond the slot itself.
    fn elem_heap(&self) -> usize {
        0
    }
}

impl Elem for i64 {
    #[inline]
    fn elem_hash(&self) -> u64 {
        hash_int(*self)
    }
}

impl Elem for Member {
    #[inline]
    fn elem_hash(&self) -> u64 {
        self.as_ref().hash()
    }

    fn elem_heap(&self) -> usize {
        match self {
            // The outer box (a fat pointer) plus the bytes, rounded as an allocator would.
            Member::Long(b) => 16 + b.len().next_multiple_of(8),
            _ => 0,
        }
    }
}

// ---------------------------------------------------------------------------------------------
// intset
// ---------------------------------------------------------------------------------------------

/// Sorted integers in the narrowest width that holds them all.
#[derive(Clone, Debug)]
enum IntSet {
    W16(Vec<i16>),
    W32(Vec<i32>),
    W64(Vec<i64>),
}

impl Default for IntSet {
    fn default() -> Self {
        IntSet::W16(Vec::new())
    }
}

/// Insert into a sorted vector, growing it by small exact steps (an intset stays small).
fn sorted_insert<T: Ord + Copy>(v: &mut Vec<T>, x: T) -> bool {
    match v.binary_search(&x) {
        Ok(_) => false,
        Err(at) => {
            if v.len() == v.capacity() {
                v.reserve_exact((v.len() / 8).max(1));
            }
            v.insert(at, x);
            true
        }
    }
}

fn sorted_remove<T: Ord + Copy>(v: &mut Vec<T>, x: T) -> bool {
    match v.binary_search(&x) {
        Ok(at) => {
            v.remove(at);
            if v.capacity() > 16 && v.len() * 2 < v.capacity() {
                v.shrink_to(v.len() + v.len() / 8);
            }
            true
        }
        Err(_) => false,
    }
}

fn widen<T: Copy, U: From<T>>(v: &[T], extra: usize) -> Vec<U> {
    let mut out = Vec::with_capacity(v.len() + extra);
    out.extend(v.iter().map(|&x| U::from(x)));
    out
}

impl IntSet {
    fn len(&self) -> usize {
        match self {
            IntSet::W16(v) => v.len(),
            IntSet::W32(v) => v.len(),
            IntSet::W64(v) => v.len(),
        }
    }

    fn get(&self, i: usize) -> Option<i64> {
        match self {
            IntSet::W16(v) => v.get(i).map(|&x| x as i64),
            IntSet::W32(v) => v.get(i).map(|&x| x as i64),
            IntSet::W64(v) => v.get(i).copied(),
        }
    }

    fn contains(&self, n: i64) -> bool {
        match self {
            IntSet::W16(v) => i16::try_from(n).is_ok_and(|x| v.binary_search(&x).is_ok()),
            IntSet::W32(v) => i32::try_from(n).is_ok_and(|x| v.binary_search(&x).is_ok()),
            IntSet::W64(v) => v.binary_search(&n).is_ok(),
        }
    }

    fn insert(&mut self, n: i64) -> bool {
        loop {
            match self {
                IntSet::W16(v) => match i16::try_from(n) {
                    Ok(x) => return sorted_insert(v, x),
                    Err(_) if i32::try_from(n).is_ok() => *self = IntSet::W32(widen(v, 1)),
                    Err(_) => *self = IntSet::W64(widen(v, 1)),
                },
                IntSet::W32(v) => match i32::try_from(n) {
                    Ok(x) => return sorted_insert(v, x),
                    Err(_) => *self = IntSet::W64(widen(v, 1)),
                },
                IntSet::W64(v) => return sorted_insert(v, n),
            }
        }
    }

    fn remove(&mut self, n: i64) -> bool {
        match self {
            IntSet::W16(v) => i16::try_from(n).is_ok_and(|x| sorted_remove(v, x)),
            IntSet::W32(v) => i32::try_from(n).is_ok_and(|x| sorted_remove(v, x)),
            IntSet::W64(v) => sorted_remove(v, n),
        }
    }

    fn remove_at(&mut self, i: usize) -> Option<i64> {
        let n = self.get(i)?;
        self.remove(n);
        Some(n)
    }

    fn heap(&self) -> usize {
        match self {
            IntSet::W16(v) => v.capacity() * 2,
            IntSet::W32(v) => v.capacity() * 4,
            IntSet::W64(v) => v.capacity() * 8,
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Partitioned hash table
// ---------------------------------------------------------------------------------------------

#[derive(Clone, Debug)]
struct Part<T> {
    table: HashTable<T>,
    /// How many top bits of the scan order this partition owns...
    depth: u8,
    /// ...and their value.
    prefix: u32,
}

impl<T> Part<T> {
    /// First scan-order position of this partition.
    fn start(&self) -> u64 {
        if self.depth == 0 {
            0
        } else {
            u64::from(self.prefix) << (64 - u32::from(self.depth))
        }
    }

    /// First position past it, or None at the end of the order.
    fn end(&self) -> Option<u64> {
        if self.depth == 0 {
            None
        } else {
            self.start()
                .checked_add(1u64 << (64 - u32::from(self.depth)))
        }
    }
}

/// Buckets behind a hashbrown table of this capacity.
fn buckets_for(capacity: usize) -> usize {
    match capacity {
        0 => 0,
        c if c < 8 => c + 1,
        c => c / 7 * 8,
    }
}

#[derive(Clone, Debug)]
struct Parted<T> {
    /// `2^global` entries, each a partition index.
    dir: Vec<u32>,
    parts: Vec<Part<T>>,
    global: u8,
    len: usize,
    /// Heap bytes owned by the elements themselves (long strings).
    extra: usize,
}

impl<T: Elem> Parted<T> {
    fn with_capacity(n: usize) -> Self {
        Parted {
            dir: vec![0],
            parts: vec![Part {
                table: HashTable::with_capacity(n.min(SPLIT_AT)),
                depth: 0,
                prefix: 0,
            }],
            global: 0,
            len: 0,
            extra: 0,
        }
    }

    #[inline]
    fn part_of(&self, hash: u64) -> usize {
        let slot = if self.global == 0 {
            0
        } else {
            (scan_order(hash) >> (64 - u32::from(self.global))) as usize
        };
        self.dir.get(slot).copied().unwrap_or(0) as usize
    }

    fn find(&self, hash: u64, eq: impl Fn(&T) -> bool) -> Option<&T> {
        self.parts
            .get(self.part_of(hash))
            .and_then(|p| p.table.find(hash, eq))
    }

    /// Insert the value `make` builds unless one matching `eq` is there.
    fn insert_with(
        &mut self,
        hash: u64,
        eq: impl Fn(&T) -> bool,
        make: impl FnOnce() -> T,
    ) -> bool {
        let pi = self.part_of(hash);
        let Some(part) = self.parts.get_mut(pi) else {
            return false;
        };
        match part.table.entry(hash, eq, T::elem_hash) {
            hashbrown::hash_table::Entry::Occupied(_) => false,
            hashbrown::hash_table::Entry::Vacant(v) => {
                let value = make();
                self.extra += value.elem_heap();
                v.insert(value);
                self.len += 1;
                if part.table.len() > SPLIT_AT {
                    self.split(pi);
                }
                true
            }
        }
    }

    fn remove(&mut self, hash: u64, eq: impl Fn(&T) -> bool) -> Option<T> {
        let pi = self.part_of(hash);
        let part = self.parts.get_mut(pi)?;
        let (value, _) = part.table.find_entry(hash, eq).ok()?.remove();
        self.removed(pi, &value);
        Some(value)
    }

    /// Bookkeeping after `value` left partition `pi`: give memory back when mostly empty.
    fn removed(&mut self, pi: usize, value: &T) {
        self.len -= 1;
        self.extra -= value.elem_heap();
        if let Some(part) = self.parts.get_mut(pi) {
            let (len, cap) = (part.table.len(), part.table.capacity());
            if cap > 16 && len * 4 < cap {
                part.table.shrink_to(len, T::elem_hash);
            }
        }
    }

    /// Split partition `pi` in two by the next bit of scan order.
    fn split(&mut self, pi: usize) {
        let Some(part) = self.parts.get_mut(pi) else {
            return;
        };
        let depth = part.depth;
        if depth >= MAX_DEPTH {
            return;
        }
        let bit = 63 - u32::from(depth);
        let high = |x: &T| (scan_order(x.elem_hash()) >> bit) & 1 == 1;
        let old = std::mem::take(&mut part.table);
        let high_count = old.iter().filter(|x| high(x)).count();
        let mut low_table = HashTable::with_capacity(old.len() - high_count);
        let mut high_table = HashTable::with_capacity(high_count);
        for x in old {
            let target = if high(&x) {
                &mut high_table
            } else {
                &mut low_table
            };
            target.insert_unique(x.elem_hash(), x, T::elem_hash);
        }
        let prefix = part.prefix;
        part.table = low_table;
        part.depth = depth + 1;
        part.prefix = prefix << 1;
        let new_index = self.parts.len() as u32;
        self.parts.push(Part {
            table: high_table,
            depth: depth + 1,
            prefix: (prefix << 1) | 1,
        });
        if depth == self.global {
            let doubled: Vec<u32> = self.dir.iter().flat_map(|&p| [p, p]).collect();
            self.dir = doubled;
            self.global += 1;
        }
        // The high half's directory entries.
        let shift = u32::from(self.global - depth - 1);
        let from = (((prefix << 1) | 1) as usize) << shift;
        let to = (((prefix << 1) + 2) as usize) << shift;
        for slot in self.dir.iter_mut().take(to).skip(from) {
            *slot = new_index;
        }
    }

    fn iter(&self) -> PartedIter<'_, T> {
        PartedIter {
            parts: self.parts.iter(),
            cur: None,
        }
    }

    /// The partition holding the i-th element in iteration order, and the rest of `i`.
    fn locate(&self, mut i: usize) -> Option<(usize, usize)> {
        for (pi, part) in self.parts.iter().enumerate() {
            let n = part.table.len();
            if i < n {
                return Some((pi, i));
            }
            i -= n;
        }
        None
    }

    fn nth(&self, i: usize) -> Option<&T> {
        let (pi, i) = self.locate(i)?;
        self.parts.get(pi)?.table.iter().nth(i)
    }

    fn take_nth(&mut self, i: usize) -> Option<T> {
        let (pi, i) = self.locate(i)?;
        let part = self.parts.get_mut(pi)?;
        let mut seen = 0usize;
        let value = part
            .table
            .extract_if(|_| {
                seen += 1;
                seen == i + 1
            })
            .next()?;
        self.removed(pi, &value);
        Some(value)
    }

    /// Hand `f` the members whose scan order is at least `cursor`, lowest first, about
    /// `count` of them (whole ties); returns the next cursor, 0 when done.
    fn scan<'a>(&'a self, cursor: u64, count: usize, mut f: impl FnMut(&'a T)) -> u64 {
        let count = count.max(1);
        let mut lower = cursor;
        let mut taken = 0usize;
        let mut found: Vec<(u64, &'a T)> = Vec::new();
        loop {
            let part_index = if self.global == 0 {
                0
            } else {
                self.dir
                    .get((lower >> (64 - u32::from(self.global))) as usize)
                    .copied()
                    .unwrap_or(0) as usize
            };
            let Some(part) = self.parts.get(part_index) else {
                return 0;
            };
            found.clear();
            found.extend(
                part.table
                    .iter()
                    .map(|x| (scan_order(x.elem_hash()), x))
                    .filter(|(o, _)| *o >= lower),
            );
            found.sort_unstable_by_key(|(o, _)| *o);
            let need = count - taken;
            let mut k = need.min(found.len());
            while k > 0 && k < found.len() && found[k].0 == found[k - 1].0 {
                k += 1;
            }
            for (_, x) in &found[..k] {
                f(x);
            }
            taken += k;
            if let Some((next, _)) = found.get(k) {
                return *next;
            }
            match part.end() {
                None => return 0,
                Some(end) => lower = end,
            }
            if taken >= count {
                return lower;
            }
        }
    }

    fn heap(&self) -> usize {
        let slot = std::mem::size_of::<T>() + 1;
        let tables: usize = self
            .parts
            .iter()
            .map(|p| {
                let buckets = buckets_for(p.table.capacity());
                if buckets == 0 {
                    0
                } else {
                    buckets * slot + 16
                }
            })
            .sum();
        self.dir.capacity() * 4
            + self.parts.capacity() * std::mem::size_of::<Part<T>>()
            + tables
            + self.extra
    }

    fn map<U: Elem>(self, f: impl Fn(T) -> U) -> Parted<U> {
        let mut extra = 0;
        let parts = self
            .parts
            .into_iter()
            .map(|p| {
                let mut table = HashTable::with_capacity(p.table.len());
                for x in p.table {
                    let y = f(x);
                    extra += y.elem_heap();
                    table.insert_unique(y.elem_hash(), y, U::elem_hash);
                }
                Part {
                    table,
                    depth: p.depth,
                    prefix: p.prefix,
                }
            })
            .collect();
        Parted {
            dir: self.dir,
            parts,
            global: self.global,
            len: self.len,
            extra,
        }
    }
}

struct PartedIter<'a, T> {
    parts: std::slice::Iter<'a, Part<T>>,
    cur: Option<hashbrown::hash_table::Iter<'a, T>>,
}

impl<'a, T> Iterator for PartedIter<'a, T> {
    type Item = &'a T;

    fn next(&mut self) -> Option<&'a T> {
        loop {
            if let Some(x) = self.cur.as_mut().and_then(|it| it.next()) {
                return Some(x);
            }
            self.cur = Some(self.parts.next()?.table.iter());
        }
    }
}

// ---------------------------------------------------------------------------------------------
// The set
// ---------------------------------------------------------------------------------------------

#[derive(Clone, Debug)]
enum Repr {
    Ints(IntSet),
    IntTable(Parted<i64>),
    Table(Parted<Member>),
}

impl Default for Repr {
    fn default() -> Self {
        Repr::Ints(IntSet::default())
    }
}

/// A set value. New sets start as an intset.
#[derive(Clone, Debug, Default)]
pub struct SetValue {
    repr: Repr,
}

/// A big table is freed by the lazyfree thread: dropping it frees one block a partition,
/// and for members that may be strings visits every slot (two frees a long string).
impl Drop for SetValue {
    fn drop(&mut self) {
        let effort = match &self.repr {
            Repr::Ints(_) => 1,
            Repr::IntTable(t) => t.parts.len(),
            Repr::Table(t) => t.parts.len() + t.len,
        };
        let bytes = self.heap_size();
        if crate::lazyfree::worth_deferring(effort, bytes) {
            crate::lazyfree::defer_sized(std::mem::take(&mut self.repr), bytes);
        }
    }
}

impl SetValue {
    pub fn new() -> Self {
        Self::default()
    }

    /// A set of `members`, built as Redis builds a set by adding them one at a time.
    pub fn from_members<'a>(
        members: impl IntoIterator<Item = MemberRef<'a>>,
        max_intset: usize,
    ) -> Self {
        let mut set = SetValue::new();
        for m in members {
            set.insert_ref(m, max_intset);
        }
        set
    }

    /// OBJECT ENCODING's answer.
    pub fn encoding(&self) -> &'static str {
        match self.repr {
            Repr::Ints(_) => "intset",
            Repr::IntTable(_) | Repr::Table(_) => "hashtable",
        }
    }

    /// Heap bytes owned (MEMORY USAGE, accounting).
    pub fn heap_size(&self) -> usize {
        match &self.repr {
            Repr::Ints(s) => s.heap(),
            Repr::IntTable(t) => t.heap(),
            Repr::Table(t) => t.heap(),
        }
    }

    pub fn len(&self) -> usize {
        match &self.repr {
            Repr::Ints(s) => s.len(),
            Repr::IntTable(t) => t.len,
            Repr::Table(t) => t.len,
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn contains(&self, member: &[u8]) -> bool {
        self.contains_ref(MemberRef::classify(member))
    }

    pub fn contains_ref(&self, m: MemberRef<'_>) -> bool {
        match (&self.repr, m) {
            (Repr::Ints(s), MemberRef::Int(n)) => s.contains(n),
            (Repr::IntTable(t), MemberRef::Int(n)) => t.find(hash_int(n), |x| *x == n).is_some(),
            (Repr::Ints(_) | Repr::IntTable(_), MemberRef::Bytes(_)) => false,
            (Repr::Table(t), m) => t.find(m.hash(), |x| x.matches(m)).is_some(),
        }
    }

    /// Add a member; false if it was there. `max_intset` is `set-max-intset-entries`.
    pub fn insert(&mut self, member: &[u8], max_intset: usize) -> bool {
        self.insert_ref(MemberRef::classify(member), max_intset)
    }

    pub fn insert_ref(&mut self, m: MemberRef<'_>, max_intset: usize) -> bool {
        match (&mut self.repr, m) {
            (Repr::Ints(s), MemberRef::Int(n)) => {
                if !s.insert(n) {
                    return false;
                }
                if s.len() > max_intset {
                    let mut table = Parted::with_capacity(s.len());
                    for i in 0..s.len() {
                        if let Some(x) = s.get(i) {
                            table.insert_with(hash_int(x), |y| *y == x, || x);
                        }
                    }
                    self.repr = Repr::IntTable(table);
                }
                true
            }
            (Repr::IntTable(t), MemberRef::Int(n)) => t.insert_with(hash_int(n), |x| *x == n, || n),
            (Repr::Ints(_) | Repr::IntTable(_), MemberRef::Bytes(_)) => {
                self.convert_to_members();
                self.insert_ref(m, max_intset)
            }
            (Repr::Table(t), m) => {
                t.insert_with(m.hash(), |x| x.matches(m), || Member::from_ref(m))
            }
        }
    }

    /// Convert to the general table.
    fn convert_to_members(&mut self) {
        let repr = std::mem::take(&mut self.repr);
        self.repr = match repr {
            Repr::Ints(s) => {
                let mut table = Parted::with_capacity(s.len() + 1);
                for i in 0..s.len() {
                    if let Some(x) = s.get(i) {
                        table.insert_with(
                            hash_int(x),
                            |y: &Member| y.matches(MemberRef::Int(x)),
                            || Member::Int(x),
                        );
                    }
                }
                Repr::Table(table)
            }
            Repr::IntTable(t) => Repr::Table(t.map(Member::Int)),
            table @ Repr::Table(_) => table,
        };
    }

    /// Remove a member; false if it was not there.
    pub fn remove(&mut self, member: &[u8]) -> bool {
        self.remove_ref(MemberRef::classify(member))
    }

    pub fn remove_ref(&mut self, m: MemberRef<'_>) -> bool {
        match (&mut self.repr, m) {
            (Repr::Ints(s), MemberRef::Int(n)) => s.remove(n),
            (Repr::IntTable(t), MemberRef::Int(n)) => t.remove(hash_int(n), |x| *x == n).is_some(),
            (Repr::Ints(_) | Repr::IntTable(_), MemberRef::Bytes(_)) => false,
            (Repr::Table(t), m) => t.remove(m.hash(), |x| x.matches(m)).is_some(),
        }
    }

    /// The members, in the encoding's order (ascending for an intset, as Redis).
    pub fn iter(&self) -> Iter<'_> {
        Iter(match &self.repr {
            Repr::Ints(IntSet::W16(v)) => IterInner::W16(v.iter()),
            Repr::Ints(IntSet::W32(v)) => IterInner::W32(v.iter()),
            Repr::Ints(IntSet::W64(v)) => IterInner::W64(v.iter()),
            Repr::IntTable(t) => IterInner::IntTable(t.iter()),
            Repr::Table(t) => IterInner::Table(t.iter()),
        })
    }

    /// The i-th member in iteration order (O(1) for an intset, a partition walk otherwise).
    pub fn nth(&self, i: usize) -> Option<MemberRef<'_>> {
        match &self.repr {
            Repr::Ints(s) => s.get(i).map(MemberRef::Int),
            Repr::IntTable(t) => t.nth(i).map(|&n| MemberRef::Int(n)),
            Repr::Table(t) => t.nth(i).map(Member::as_ref),
        }
    }

    /// A random member.
    pub fn random(&self, rng: &mut impl FnMut() -> u64) -> Option<MemberRef<'_>> {
        let len = self.len();
        if len == 0 {
            return None;
        }
        self.nth((rng() % len as u64) as usize)
    }

    /// Remove and return a random member.
    pub fn pop_random(&mut self, rng: &mut impl FnMut() -> u64) -> Option<Member> {
        let len = self.len();
        if len == 0 {
            return None;
        }
        let i = (rng() % len as u64) as usize;
        match &mut self.repr {
            Repr::Ints(s) => s.remove_at(i).map(Member::Int),
            Repr::IntTable(t) => t.take_nth(i).map(Member::Int),
            Repr::Table(t) => t.take_nth(i),
        }
    }

    /// One SSCAN step from `cursor`: an intset hands over everything and ends the scan (as
    /// Redis); a table hands over about `count` members in hash order and the next cursor.
    pub fn scan<'a>(&'a self, cursor: u64, count: usize, mut f: impl FnMut(MemberRef<'a>)) -> u64 {
        match &self.repr {
            Repr::Ints(_) => {
                self.iter().for_each(f);
                0
            }
            Repr::IntTable(t) => t.scan(cursor, count, |&n| f(MemberRef::Int(n))),
            Repr::Table(t) => t.scan(cursor, count, |m| f(m.as_ref())),
        }
    }
}

enum IterInner<'a> {
    W16(std::slice::Iter<'a, i16>),
    W32(std::slice::Iter<'a, i32>),
    W64(std::slice::Iter<'a, i64>),
    IntTable(PartedIter<'a, i64>),
    Table(PartedIter<'a, Member>),
}

/// Iterator over a set's members.
pub struct Iter<'a>(IterInner<'a>);

impl<'a> Iterator for Iter<'a> {
    type Item = MemberRef<'a>;

    #[inline]
    fn next(&mut self) -> Option<MemberRef<'a>> {
        match &mut self.0 {
            IterInner::W16(it) => it.next().map(|&x| MemberRef::Int(x.into())),
            IterInner::W32(it) => it.next().map(|&x| MemberRef::Int(x.into())),
            IterInner::W64(it) => it.next().map(|&x| MemberRef::Int(x)),
            IterInner::IntTable(it) => it.next().map(|&x| MemberRef::Int(x)),
            IterInner::Table(it) => it.next().map(Member::as_ref),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    struct Rng(u64);

    impl Rng {
        fn next(&mut self) -> u64 {
            let mut x = self.0;
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            self.0 = x;
            x
        }

        fn below(&mut self, n: u64) -> u64 {
            self.next() % n
        }
    }

    fn text(m: MemberRef<'_>) -> Vec<u8> {
        m.to_vec()
    }

    fn members(set: &SetValue) -> Vec<Vec<u8>> {
        set.iter().map(text).collect()
    }

    /// A member text from a small universe mixing integers, non-canonical integers, short
    /// and long strings.
    fn random_member(rng: &mut Rng, universe: u64) -> Vec<u8> {
        let n = rng.below(universe);
        match rng.below(10) {
            0 => format!("s{n}").into_bytes(),
            1 => format!("a-long-member-name-{n}").into_bytes(),
            2 => format!("0{n}").into_bytes(),
            3 => (n as i64 - (universe as i64 / 2)).to_string().into_bytes(),
            4 => (i64::MAX - n as i64).to_string().into_bytes(),
            _ => n.to_string().into_bytes(),
        }
    }

    #[test]
    fn member_is_compact() {
        assert_eq!(std::mem::size_of::<Member>(), 16);
    }

    #[test]
    fn big_sets_are_freed_in_the_background() {
        use crate::lazyfree::{assert_dropped_in_background, assert_dropped_inline};
        // Long strings: two allocations a member.
        let mut s = SetValue::new();
        for i in 0..200_000 {
            s.insert(format!("member:{i:09}").as_bytes(), 512);
        }
        assert!(matches!(s.repr, Repr::Table(_)));
        assert_dropped_in_background(crate::value::Value::Set(Box::new(s)));
        // Integers: no allocation a member, but hundreds of partitions.
        let mut s = SetValue::new();
        for i in 0..200_000u32 {
            s.insert(itoa::Buffer::new().format(i).as_bytes(), 512);
        }
        assert!(matches!(s.repr, Repr::IntTable(_)));
        assert_dropped_in_background(s);
        // A few members, and an intset, go inline.
        let mut s = SetValue::new();
        for i in 0..30 {
            s.insert(format!("member:{i:09}").as_bytes(), 512);
        }
        assert!(matches!(s.repr, Repr::Table(_)));
        assert_dropped_inline(s);
        let mut s = SetValue::new();
        for i in 0..2000u32 {
            s.insert(itoa::Buffer::new().format(i).as_bytes(), 512);
        }
        assert!(matches!(s.repr, Repr::IntTable(_)));
        assert_dropped_inline(s);
        let mut s = SetValue::new();
        for i in 0..500u32 {
            s.insert(itoa::Buffer::new().format(i).as_bytes(), 512);
        }
        assert_eq!(s.encoding(), "intset");
        assert_dropped_inline(s);
    }

    #[test]
    fn intset_widths_and_order() {
        let mut s = SetValue::new();
        for m in ["5", "-3", "100"] {
            assert!(s.insert(m.as_bytes(), 512));
        }
        assert!(matches!(s.repr, Repr::Ints(IntSet::W16(_))));
        assert!(s.insert(b"70000", 512));
        assert!(matches!(s.repr, Repr::Ints(IntSet::W32(_))));
        assert!(s.insert(b"-9223372036854775808", 512));
        assert!(matches!(s.repr, Repr::Ints(IntSet::W64(_))));
        assert_eq!(
            members(&s),
            ["-9223372036854775808", "-3", "5", "100", "70000"]
                .map(|x| x.as_bytes().to_vec())
                .to_vec()
        );
        assert!(!s.insert(b"5", 512));
        assert!(s.contains(b"70000"));
        assert!(!s.contains(b"070000"));
        assert!(!s.contains(b"x"));
        assert!(s.remove(b"-9223372036854775808"));
        assert!(!s.remove(b"-9223372036854775808"));
        // Width never shrinks, as Redis's intset.
        assert!(matches!(s.repr, Repr::Ints(IntSet::W64(_))));
        assert_eq!(s.encoding(), "intset");
    }

    #[test]
    fn conversions() {
        let mut s = SetValue::new();
        for i in 0..512 {
            s.insert(i.to_string().as_bytes(), 512);
        }
        assert_eq!(s.encoding(), "intset");
        s.insert(b"512", 512);
        assert_eq!(s.encoding(), "hashtable");
        assert!(matches!(s.repr, Repr::IntTable(_)));
        s.insert(b"x", 512);
        assert!(matches!(s.repr, Repr::Table(_)));
        assert_eq!(s.len(), 514);
        for i in 0..=512 {
            assert!(s.contains(i.to_string().as_bytes()));
        }
        let mut t = SetValue::new();
        t.insert(b"1", 512);
        t.insert(b"01", 512);
        assert_eq!(t.encoding(), "hashtable");
        assert!(t.contains(b"1") && t.contains(b"01") && !t.contains(b"001"));
        // A threshold of 0 converts at the first member, as Redis does.
        let mut z = SetValue::new();
        z.insert(b"7", 0);
        assert_eq!(z.encoding(), "hashtable");
    }

    #[test]
    fn large_int_set_is_lean() {
        let mut s = SetValue::new();
        for i in 0..1_000_000i64 {
            s.insert_ref(MemberRef::Int(i), 512);
        }
        assert_eq!(s.len(), 1_000_000);
        let per_member = s.heap_size() as f64 / 1e6;
        eprintln!("1M integers: {per_member:.1} bytes per member");
        // Redis 7.0 uses about 48 bytes per member for this set.
        assert!(per_member < 24.0, "{per_member} bytes per member");
        let mut t = SetValue::new();
        for i in 0..1_000_000i64 {
            t.insert_ref(MemberRef::Int(i * 1_000_003), 512);
        }
        t.insert(b"x", 512);
        let per_member = t.heap_size() as f64 / 1e6;
        eprintln!("1M integers in the general table: {per_member:.1} bytes per member");
        assert!(per_member < 40.0, "{per_member} bytes per member (mixed)");
        assert!(t.contains((999_999i64 * 1_000_003).to_string().as_bytes()));
        assert!(!t.contains(b"999999"));
    }

    /// Random operations against a std HashSet model, across every encoding.
    #[test]
    fn matches_model() {
        let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
        for round in 0..40u64 {
            let max_intset = [0usize, 1, 4, 16, 512][(round % 5) as usize];
            let universe = [8u64, 64, 600, 3000][(round % 4) as usize];
            let mut set = SetValue::new();
            let mut model: HashSet<Vec<u8>> = HashSet::new();
            for _ in 0..4000 {
                let m = random_member(&mut rng, universe);
                match rng.below(8) {
                    0..=3 => assert_eq!(set.insert(&m, max_intset), model.insert(m.clone())),
                    4 | 5 => assert_eq!(set.remove(&m), model.remove(&m)),
                    6 => assert_eq!(set.contains(&m), model.contains(&m)),
                    _ => {
                        let popped = set.pop_random(&mut || rng.next());
                        match popped {
                            None => assert!(model.is_empty()),
                            Some(p) => assert!(model.remove(&text(p.as_ref()))),
                        }
                    }
                }
                assert_eq!(set.len(), model.len());
            }
            let listed: HashSet<Vec<u8>> = members(&set).into_iter().collect();
            assert_eq!(listed.len(), set.len(), "no duplicates in iteration");
            assert_eq!(listed, model);
            for i in 0..set.len() {
                assert!(model.contains(&text(set.nth(i).unwrap())));
            }
            if set.encoding() == "intset" {
                let ints: Vec<i64> = set
                    .iter()
                    .map(|m| match m {
                        MemberRef::Int(n) => n,
                        MemberRef::Bytes(_) => panic!("bytes in an intset"),
                    })
                    .collect();
                assert!(ints.windows(2).all(|w| w[0] < w[1]));
                assert!(ints.len() <= max_intset.max(1));
            }
            assert!(set.heap_size() >= set.len() * 2 || set.is_empty());
        }
    }

    /// A scan interleaved with inserts and removals returns every member present throughout
    /// (exactly once) and nothing that was never there.
    #[test]
    fn scan_guarantee() {
        let mut rng = Rng(12345);
        for round in 0..6 {
            let mut set = SetValue::new();
            let mut ever: HashSet<Vec<u8>> = HashSet::new();
            let initial = [100usize, 2000, 20000][round % 3];
            for _ in 0..initial {
                let m = random_member(&mut rng, 50_000);
                set.insert(&m, 512);
                ever.insert(m);
            }
            let mut stable: HashSet<Vec<u8>> = members(&set).into_iter().collect();
            let mut seen: Vec<Vec<u8>> = Vec::new();
            let mut cursor = 0u64;
            let mut calls = 0;
            loop {
                let count = 1 + rng.below(40) as usize;
                cursor = set.scan(cursor, count, |m| seen.push(text(m)));
                calls += 1;
                // Churn: grow (forcing splits) and shrink between calls.
                for _ in 0..rng.below(if round < 3 { 60 } else { 5 }) {
                    let m = random_member(&mut rng, 50_000);
                    if rng.below(2) == 0 {
                        set.insert(&m, 512);
                        ever.insert(m);
                    } else {
                        set.remove(&m);
                        stable.remove(&m);
                    }
                }
                if cursor == 0 {
                    break;
                }
                assert!(calls < 100_000);
            }
            let seen_set: HashSet<Vec<u8>> = seen.iter().cloned().collect();
            for m in &stable {
                assert!(seen_set.contains(m), "missed a member present throughout");
            }
            assert!(seen_set.is_subset(&ever));
            if set.encoding() != "intset" {
                assert_eq!(seen_set.len(), seen.len(), "no duplicates");
            }
        }
    }

    #[test]
    fn scan_small_counts_follow_count() {
        let mut s = SetValue::new();
        for i in 0..5000 {
            s.insert(format!("m{i}").as_bytes(), 512);
        }
        let mut n = 0;
        let next = s.scan(0, 10, |_| n += 1);
        assert_eq!(n, 10);
        assert_ne!(next, 0);
        let mut all = 0;
        let mut cursor = 0;
        loop {
            cursor = s.scan(cursor, 1000, |_| all += 1);
            if cursor == 0 {
                break;
            }
        }
        assert_eq!(all, 5000);
    }
}
