//! The hash type, in the two encodings of Redis 7.0:
//!
//! * **listpack** while the hash has at most `hash-max-listpack-entries` fields and every
//!   field and value is at most `hash-max-listpack-value` bytes: ONE exact-size allocation
//!   (`Box<[u8]>`) holding the pairs back to back, each string as a LEB128 length followed
//!   by its bytes (one length byte for anything up to 127 bytes, so a pair costs its bytes
//!   plus two; Redis's listpack costs its bytes plus four, plus a 7-byte header). Lookups
//!   scan linearly, as Redis does; pairs keep insertion order, updates stay in place.
//! * **hashtable** otherwise (a hash never converts back, as in Redis). A dense vector of
//!   24-byte [`Item`]s (a pair up to 21 bytes lives inside its item, a longer one in one
//!   boxed allocation holding both strings) plus a hashbrown index of `u32` positions into
//!   it (5 bytes a bucket). Deleting swaps the last item into the hole. Per field that is
//!   ~27 bytes of vector and ~8 of index for short pairs, against Redis's dictEntry, two
//!   sds strings and a bucket pointer (~75 bytes with jemalloc's size classes).
//!
//!   The vector gives HRANDFIELD O(1) random picks and HSCAN a stable cursor: a call visits
//!   the positions just below its cursor, walking down towards 0. Items only ever move from
//!   the end into a hole (downwards), so an item not yet visited stays below the cursor and
//!   a field present for the whole scan is always returned.

use hashbrown::HashTable;
use std::sync::OnceLock;

/// A pair whose field and value together take at most this many bytes lives inline.
const INLINE: usize = 21;

fn hasher() -> &'static ahash::RandomState {
    static HASHER: OnceLock<ahash::RandomState> = OnceLock::new();
    HASHER.get_or_init(ahash::RandomState::new)
}

#[inline]
fn hash_of(field: &[u8]) -> u64 {
    hasher().hash_one(field)
}

// ---------------------------------------------------------------------------------------------
// Lengths: LEB128
// ---------------------------------------------------------------------------------------------

fn put_len(out: &mut Vec<u8>, mut n: usize) {
    loop {
        let byte = (n & 0x7f) as u8;
        n >>= 7;
        if n == 0 {
            out.push(byte);
            return;
        }
        out.push(byte | 0x80);
    }
}

fn len_size(mut n: usize) -> usize {
    let mut size = 1;
    while n >= 0x80 {
        n >>= 7;
        size += 1;
    }
    size
}

/// The length at `pos` and the position after it.
fn read_len(buf: &[u8], mut pos: usize) -> Option<(usize, usize)> {
    let mut value = 0usize;
    let mut shift = 0u32;
    loop {
        let byte = *buf.get(pos)?;
        pos += 1;
        if shift >= usize::BITS {
            return None;
        }
        value |= ((byte & 0x7f) as usize) << shift;
        if byte & 0x80 == 0 {
            return Some((value, pos));
        }
        shift += 7;
    }
}

/// A length-prefixed string at `pos`: its byte range.
fn read_str(buf: &[u8], pos: usize) -> Option<(usize, usize)> {
    let (len, start) = read_len(buf, pos)?;
    let end = start.checked_add(len)?;
    if end > buf.len() {
        return None;
    }
    Some((start, end))
}

/// One pair of a listpack buffer, as byte offsets.
#[derive(Debug, Clone, Copy)]
struct PackEntry {
    start: usize,
    field: (usize, usize),
    /// Where the value's length prefix starts.
    value_at: usize,
    value: (usize, usize),
}

impl PackEntry {
    fn end(&self) -> usize {
        self.value.1
    }
}

fn pack_entry(buf: &[u8], pos: usize) -> Option<PackEntry> {
    let field = read_str(buf, pos)?;
    let value = read_str(buf, field.1)?;
    Some(PackEntry {
        start: pos,
        field,
        value_at: field.1,
        value,
    })
}

fn slice(buf: &[u8], (start, end): (usize, usize)) -> &[u8] {
    buf.get(start..end).unwrap_or_default()
}

/// The pairs of a listpack buffer.
#[derive(Clone, Debug)]
pub struct PackIter<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl<'a> Iterator for PackIter<'a> {
    type Item = (&'a [u8], &'a [u8]);

    fn next(&mut self) -> Option<Self::Item> {
        let entry = pack_entry(self.buf, self.pos)?;
        self.pos = entry.end();
        Some((slice(self.buf, entry.field), slice(self.buf, entry.value)))
    }
}

fn pack_find(buf: &[u8], field: &[u8]) -> Result<PackEntry, usize> {
    let mut pos = 0;
    let mut count = 0;
    while let Some(entry) = pack_entry(buf, pos) {
        if slice(buf, entry.field) == field {
            return Ok(entry);
        }
        pos = entry.end();
        count += 1;
    }
    Err(count)
}

// ---------------------------------------------------------------------------------------------
// Table items
// ---------------------------------------------------------------------------------------------

/// One field and its value in the hashtable encoding.
#[derive(Clone, Debug)]
enum Item {
    /// `bytes[..flen]` is the field, `bytes[flen..flen+vlen]` the value.
    Inline {
        flen: u8,
        vlen: u8,
        bytes: [u8; INLINE],
    },
    /// A LEB128 field length, the field, then the value.
    Heap(Box<[u8]>),
}

impl Item {
    fn new(field: &[u8], value: &[u8]) -> Self {
        let total = field.len() + value.len();
        if total <= INLINE {
            let mut bytes = [0u8; INLINE];
            bytes[..field.len()].copy_from_slice(field);
            bytes[field.len()..total].copy_from_slice(value);
            Item::Inline {
                flen: field.len() as u8,
                vlen: value.len() as u8,
                bytes,
            }
        } else {
            let mut buf = Vec::with_capacity(len_size(field.len()) + total);
            put_len(&mut buf, field.len());
            buf.extend_from_slice(field);
            buf.extend_from_slice(value);
            Item::Heap(buf.into_boxed_slice())
        }
    }

    fn field(&self) -> &[u8] {
        match self {
            Item::Inline { flen, bytes, .. } => bytes.get(..*flen as usize).unwrap_or_default(),
            Item::Heap(buf) => match read_str(buf, 0) {
                Some(range) => slice(buf, range),
                None => &[],
            },
        }
    }

    fn value(&self) -> &[u8] {
        match self {
            Item::Inline { flen, vlen, bytes } => {
                let start = *flen as usize;
                bytes.get(start..start + *vlen as usize).unwrap_or_default()
            }
            Item::Heap(buf) => match read_str(buf, 0) {
                Some((_, end)) => buf.get(end..).unwrap_or_default(),
                None => &[],
            },
        }
    }

    fn pair(&self) -> (&[u8], &[u8]) {
        (self.field(), self.value())
    }

    /// Bytes allocated outside the item.
    fn heap(&self) -> usize {
        match self {
            Item::Inline { .. } => 0,
            Item::Heap(buf) => buf.len(),
        }
    }
}

#[derive(Clone, Debug, Default)]
struct Table {
    items: Vec<Item>,
    /// Positions into `items`, hashed by field.
    index: HashTable<u32>,
    /// Sum of the items' out-of-line bytes.
    item_heap: usize,
}

/// A table of many fields is freed by the lazyfree thread: dropping it visits every item
/// (and frees those with strings of their own) and frees two blocks that may be huge.
impl Drop for Table {
    fn drop(&mut self) {
        let bytes = self.heap_size();
        if crate::lazyfree::worth_deferring(self.items.len(), bytes) {
            let items = std::mem::take(&mut self.items);
            let index = std::mem::take(&mut self.index);
            crate::lazyfree::defer_sized((items, index), bytes);
        }
    }
}

impl Table {
    fn with_capacity(n: usize) -> Self {
        Table {
            items: Vec::with_capacity(n),
            index: HashTable::with_capacity(n),
            item_heap: 0,
        }
    }

    fn position(&self, field: &[u8]) -> Option<usize> {
        let items = &self.items;
        self.index
            .find(hash_of(field), |&i| {
                items.get(i as usize).is_some_and(|it| it.field() == field)
            })
            .map(|&i| i as usize)
    }

    fn get(&self, field: &[u8]) -> Option<&[u8]> {
        self.position(field)
            .and_then(|i| self.items.get(i))
            .map(Item::value)
    }

    /// Insert or overwrite; true when the field is new.
    fn set(&mut self, field: &[u8], value: &[u8]) -> bool {
        let item = Item::new(field, value);
        self.item_heap += item.heap();
        if let Some(i) = self.position(field) {
            if let Some(slot) = self.items.get_mut(i) {
                self.item_heap -= slot.heap();
                *slot = item;
            }
            return false;
        }
        self.push_new(field, item);
        true
    }

    /// Append an item known to be absent.
    fn push_new(&mut self, field: &[u8], item: Item) {
        let Table { items, index, .. } = self;
        if items.len() == items.capacity() {
            // Grow by a quarter: little slack, still amortised O(1).
            items.reserve_exact((items.len() / 4).max(4));
        }
        let at = items.len() as u32;
        items.push(item);
        index.insert_unique(hash_of(field), at, |&i| {
            items.get(i as usize).map_or(0, |it| hash_of(it.field()))
        });
    }

    fn remove(&mut self, field: &[u8]) -> bool {
        let Table {
            items,
            index,
            item_heap,
        } = self;
        let found = index.find_entry(hash_of(field), |&i| {
            items.get(i as usize).is_some_and(|it| it.field() == field)
        });
        let Ok(entry) = found else {
            return false;
        };
        let (at, _) = entry.remove();
        let at = at as usize;
        if at >= items.len() {
            return false;
        }
        let removed = items.swap_remove(at);
        *item_heap -= removed.heap();
        if let Some(moved) = items.get(at) {
            // The former last item now sits at `at`: repoint its index entry.
            let last = items.len() as u32;
            if let Some(slot) = index.find_mut(hash_of(moved.field()), |&i| i == last) {
                *slot = at as u32;
            }
        }
        self.maybe_shrink();
        true
    }

    fn maybe_shrink(&mut self) {
        let len = self.items.len();
        if self.items.capacity() > 64 && len * 4 < self.items.capacity() {
            self.items.shrink_to(len + len / 4);
        }
        if self.index.capacity() > 64 && len * 4 < self.index.capacity() {
            let items = &self.items;
            self.index.shrink_to(len, |&i| {
                items.get(i as usize).map_or(0, |it| hash_of(it.field()))
            });
        }
    }

    fn heap_size(&self) -> usize {
        std::mem::size_of::<Table>()
            + self.items.capacity() * std::mem::size_of::<Item>()
            + self.item_heap
            + self.index.allocation_size()
    }
}

// ---------------------------------------------------------------------------------------------
// The value
// ---------------------------------------------------------------------------------------------

#[derive(Clone, Debug)]
enum Repr {
    /// "listpack": length-prefixed field, value, field, value, ...
    Pack(Box<[u8]>),
    /// "hashtable".
    Table(Box<Table>),
}

impl Default for Repr {
    fn default() -> Self {
        Repr::Pack(Box::default())
    }
}

/// A hash value.
#[derive(Clone, Debug, Default)]
pub struct HashValue {
    repr: Repr,
}

/// The pairs of a hash, in storage order.
#[derive(Clone, Debug)]
pub struct Iter<'a>(IterRepr<'a>);

#[derive(Clone, Debug)]
enum IterRepr<'a> {
    Pack(PackIter<'a>),
    Table(std::slice::Iter<'a, Item>),
}

impl<'a> Iterator for Iter<'a> {
    type Item = (&'a [u8], &'a [u8]);

    #[inline]
    fn next(&mut self) -> Option<Self::Item> {
        match &mut self.0 {
            IterRepr::Pack(it) => it.next(),
            IterRepr::Table(it) => it.next().map(Item::pair),
        }
    }
}

/// O(1) access to the i-th pair (HRANDFIELD): a listpack's pairs are gathered once.
pub struct Indexed<'a>(IndexedRepr<'a>);

enum IndexedRepr<'a> {
    Pairs(Vec<(&'a [u8], &'a [u8])>),
    Table(&'a [Item]),
}

impl<'a> Indexed<'a> {
    pub fn len(&self) -> usize {
        match &self.0 {
            IndexedRepr::Pairs(p) => p.len(),
            IndexedRepr::Table(items) => items.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn get(&self, i: usize) -> Option<(&'a [u8], &'a [u8])> {
        match &self.0 {
            IndexedRepr::Pairs(p) => p.get(i).copied(),
            IndexedRepr::Table(items) => items.get(i).map(Item::pair),
        }
    }
}

impl HashValue {
    pub fn new() -> Self {
        Self::default()
    }

    /// OBJECT ENCODING's answer.
    pub fn encoding(&self) -> &'static str {
        match self.repr {
            Repr::Pack(_) => "listpack",
            Repr::Table(_) => "hashtable",
        }
    }

    pub fn is_listpack(&self) -> bool {
        matches!(self.repr, Repr::Pack(_))
    }

    /// Heap bytes owned (MEMORY USAGE, accounting).
    pub fn heap_size(&self) -> usize {
        match &self.repr {
            Repr::Pack(buf) => buf.len(),
            Repr::Table(table) => table.heap_size(),
        }
    }

    /// Number of fields (O(n) for a listpack, whose pairs are not counted separately).
    pub fn len(&self) -> usize {
        match &self.repr {
            Repr::Pack(buf) => PackIter { buf, pos: 0 }.count(),
            Repr::Table(table) => table.items.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        match &self.repr {
            Repr::Pack(buf) => buf.is_empty(),
            Repr::Table(table) => table.items.is_empty(),
        }
    }

    pub fn iter(&self) -> Iter<'_> {
        match &self.repr {
            Repr::Pack(buf) => Iter(IterRepr::Pack(PackIter { buf, pos: 0 })),
            Repr::Table(table) => Iter(IterRepr::Table(table.items.iter())),
        }
    }

    pub fn indexed(&self) -> Indexed<'_> {
        match &self.repr {
            Repr::Pack(_) => Indexed(IndexedRepr::Pairs(self.iter().collect())),
            Repr::Table(table) => Indexed(IndexedRepr::Table(&table.items)),
        }
    }

    pub fn get(&self, field: &[u8]) -> Option<&[u8]> {
        match &self.repr {
            Repr::Pack(buf) => pack_find(buf, field).ok().map(|e| slice(buf, e.value)),
            Repr::Table(table) => table.get(field),
        }
    }

    pub fn contains(&self, field: &[u8]) -> bool {
        self.get(field).is_some()
    }

    /// Switch to the hashtable encoding (never back).
    pub fn convert_to_table(&mut self) {
        let Repr::Pack(buf) = &self.repr else {
            return;
        };
        let pairs: Vec<(&[u8], &[u8])> = PackIter { buf, pos: 0 }.collect();
        let mut table = Table::with_capacity(pairs.len());
        for (field, value) in pairs {
            let item = Item::new(field, value);
            table.item_heap += item.heap();
            table.push_new(field, item);
        }
        self.repr = Repr::Table(Box::new(table));
    }

    /// Set `field` to `value`, as Redis's hashTypeSet: a listpack converts first when
    /// either string is longer than `max_value`, and after the insert when it holds more
    /// than `max_entries` fields. True when the field is new.
    pub fn set(
        &mut self,
        field: &[u8],
        value: &[u8],
        max_entries: usize,
        max_value: usize,
    ) -> bool {
        if self.is_listpack() && (field.len() > max_value || value.len() > max_value) {
            self.convert_to_table();
        }
        match &mut self.repr {
            Repr::Table(table) => table.set(field, value),
            Repr::Pack(buf) => match pack_find(buf, field) {
                Ok(entry) => {
                    pack_replace_value(buf, entry, value);
                    false
                }
                Err(count) => {
                    let add =
                        len_size(field.len()) + field.len() + len_size(value.len()) + value.len();
                    let mut v = std::mem::take(buf).into_vec();
                    v.reserve_exact(add);
                    put_len(&mut v, field.len());
                    v.extend_from_slice(field);
                    put_len(&mut v, value.len());
                    v.extend_from_slice(value);
                    *buf = v.into_boxed_slice();
                    if count + 1 > max_entries {
                        self.convert_to_table();
                    }
                    true
                }
            },
        }
    }

    /// Delete `field`; true when it was there.
    pub fn remove(&mut self, field: &[u8]) -> bool {
        match &mut self.repr {
            Repr::Table(table) => table.remove(field),
            Repr::Pack(buf) => match pack_find(buf, field) {
                Ok(entry) => {
                    let mut v = std::mem::take(buf).into_vec();
                    v.drain(entry.start..entry.end());
                    *buf = v.into_boxed_slice();
                    true
                }
                Err(_) => false,
            },
        }
    }

    /// One HSCAN step from `cursor`, visiting about `count` pairs; returns the next cursor
    /// (0 when done). A listpack is returned whole with cursor 0, as Redis does.
    pub fn scan<'a>(
        &'a self,
        cursor: u64,
        count: usize,
        mut f: impl FnMut(&'a [u8], &'a [u8]),
    ) -> u64 {
        match &self.repr {
            Repr::Pack(buf) => {
                for (field, value) in (PackIter { buf, pos: 0 }) {
                    f(field, value);
                }
                0
            }
            Repr::Table(table) => {
                let len = table.items.len() as u64;
                // The cursor is the number of positions still to visit, from the top down.
                let top = if cursor == 0 || cursor > len {
                    len
                } else {
                    cursor
                };
                let low = top.saturating_sub(count.max(1) as u64);
                for item in table
                    .items
                    .get(low as usize..top as usize)
                    .unwrap_or_default()
                {
                    f(item.field(), item.value());
                }
                low
            }
        }
    }
}

fn pack_replace_value(buf: &mut Box<[u8]>, entry: PackEntry, value: &[u8]) {
    let old_len = entry.value.1 - entry.value_at;
    let new_len = len_size(value.len()) + value.len();
    if old_len == new_len {
        if let Some(dst) = buf.get_mut(entry.value.0..entry.value.1) {
            if dst.len() == value.len() {
                dst.copy_from_slice(value);
                return;
            }
        }
    }
    let mut v = Vec::with_capacity(buf.len() - old_len + new_len);
    v.extend_from_slice(buf.get(..entry.value_at).unwrap_or_default());
    put_len(&mut v, value.len());
    v.extend_from_slice(value);
    v.extend_from_slice(buf.get(entry.value.1..).unwrap_or_default());
    *buf = v.into_boxed_slice();
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    #[test]
    fn sizes() {
        assert_eq!(std::mem::size_of::<HashValue>(), 16);
        assert_eq!(std::mem::size_of::<Item>(), 24);
    }

    #[test]
    fn big_tables_are_freed_in_the_background() {
        use crate::lazyfree::{assert_dropped_in_background, assert_dropped_inline};
        // Pairs with allocations of their own.
        let mut h = HashValue::new();
        for i in 0..200_000 {
            let field = format!("field:{i:010}");
            let value = format!("value:{i:034}");
            h.set(field.as_bytes(), value.as_bytes(), 512, 64);
        }
        assert_eq!(h.encoding(), "hashtable");
        assert_dropped_in_background(crate::value::Value::Hash(h));
        // Inline pairs only: two blocks, but every item is visited and the blocks are big.
        let mut h = HashValue::new();
        for i in 0..100_000u32 {
            let field = itoa::Buffer::new().format(i).as_bytes().to_vec();
            h.set(&field, b"1", 512, 64);
        }
        assert_dropped_in_background(h);
        // A small table (long values) and a listpack go inline.
        let mut h = HashValue::new();
        for i in 0..10 {
            h.set(format!("f{i}").as_bytes(), &[b'x'; 100], 512, 64);
        }
        assert_eq!(h.encoding(), "hashtable");
        assert_dropped_inline(h);
        let mut h = HashValue::new();
        for i in 0..100 {
            h.set(format!("f{i}").as_bytes(), b"v", 512, 64);
        }
        assert_eq!(h.encoding(), "listpack");
        assert_dropped_inline(h);
    }

    #[test]
    fn varints() {
        for n in [0usize, 1, 127, 128, 300, 16383, 16384, usize::MAX] {
            let mut v = Vec::new();
            put_len(&mut v, n);
            assert_eq!(v.len(), len_size(n));
            assert_eq!(read_len(&v, 0), Some((n, v.len())));
        }
        assert_eq!(read_len(&[0x80], 0), None);
        assert_eq!(read_len(&[0xff; 11], 0), None);
        assert_eq!(read_str(&[5, b'a'], 0), None);
    }

    #[test]
    fn listpack_basics() {
        let mut h = HashValue::new();
        assert!(h.is_empty());
        assert!(h.set(b"a", b"1", 4, 8));
        assert!(h.set(b"b", b"2", 4, 8));
        assert!(!h.set(b"a", b"10", 4, 8));
        assert_eq!(h.get(b"a"), Some(&b"10"[..]));
        assert_eq!(h.len(), 2);
        assert_eq!(h.encoding(), "listpack");
        // Order is insertion order, updates in place.
        let pairs: Vec<_> = h.iter().collect();
        assert_eq!(pairs, vec![(&b"a"[..], &b"10"[..]), (&b"b"[..], &b"2"[..])]);
        assert_eq!(h.heap_size(), 2 + 1 + 2 + 1 + 2 + 1);
        assert!(h.remove(b"a"));
        assert!(!h.remove(b"a"));
        assert_eq!(h.len(), 1);
        assert!(h.remove(b"b"));
        assert!(h.is_empty());
        assert_eq!(h.heap_size(), 0);
    }

    #[test]
    fn conversions() {
        let mut h = HashValue::new();
        for i in 0..4 {
            h.set(format!("f{i}").as_bytes(), b"v", 4, 8);
        }
        assert_eq!(h.encoding(), "listpack");
        h.set(b"f4", b"v", 4, 8);
        assert_eq!(h.encoding(), "hashtable");
        assert_eq!(h.len(), 5);
        assert!(!h.is_listpack());

        let mut h = HashValue::new();
        h.set(b"f", &[b'x'; 8], 4, 8);
        assert_eq!(h.encoding(), "listpack");
        h.set(b"f", &[b'x'; 9], 4, 8);
        assert_eq!(h.encoding(), "hashtable");
        h.set(b"f", b"1", 4, 8);
        assert_eq!(h.encoding(), "hashtable");
        let mut h = HashValue::new();
        h.set(&[b'x'; 9], b"1", 4, 8);
        assert_eq!(h.encoding(), "hashtable");
        assert_eq!(h.get(&[b'x'; 9]), Some(&b"1"[..]));
    }

    #[test]
    fn long_strings_in_both_encodings() {
        let big = vec![b'z'; 1000];
        let mut h = HashValue::new();
        h.set(&big, &big, 10, 2000);
        assert_eq!(h.get(&big), Some(&big[..]));
        h.convert_to_table();
        assert_eq!(h.get(&big), Some(&big[..]));
        assert!(h.heap_size() >= 2000);
    }

    #[test]
    fn scan_never_misses_present_fields() {
        let mut h = HashValue::new();
        for i in 0..1000 {
            h.set(format!("f{i}").as_bytes(), b"v", 1, 64);
        }
        let mut seen = std::collections::HashSet::new();
        let mut cursor = 0;
        let mut step = 0;
        loop {
            cursor = h.scan(cursor, 10, |f, _| {
                seen.insert(f.to_vec());
            });
            // Churn between calls: delete some, add some.
            step += 1;
            h.remove(format!("f{}", step * 7 % 500).as_bytes());
            h.set(format!("new{step}").as_bytes(), b"v", 1, 64);
            if cursor == 0 {
                break;
            }
        }
        for i in 500..1000 {
            assert!(seen.contains(format!("f{i}").as_bytes()), "f{i}");
        }
    }

    /// Random operations against a std HashMap model, through both encodings.
    #[test]
    fn model_check() {
        use proptest::prelude::*;
        let op = (0u8..4, 0u8..40, 0usize..30);
        proptest!(ProptestConfig::with_cases(300), |(ops in proptest::collection::vec(op, 1..300),
            max_entries in 1usize..20, max_value in 1usize..24)| {
            let mut h = HashValue::new();
            let mut model: HashMap<Vec<u8>, Vec<u8>> = HashMap::new();
            let mut converted = false;
            for (kind, f, vlen) in ops {
                let field = format!("f{f}").into_bytes();
                match kind {
                    0 | 1 => {
                        let value = vec![b'a' + f % 26; vlen];
                        let new = h.set(&field, &value, max_entries, max_value);
                        prop_assert_eq!(new, model.insert(field.clone(), value.clone()).is_none());
                        if field.len() > max_value || value.len() > max_value || model.len() > max_entries {
                            converted = true;
                        }
                    }
                    2 => {
                        prop_assert_eq!(h.remove(&field), model.remove(&field).is_some());
                    }
                    _ => {
                        prop_assert_eq!(h.get(&field), model.get(&field).map(|v| &v[..]));
                    }
                }
                prop_assert_eq!(h.encoding(), if converted { "hashtable" } else { "listpack" });
                prop_assert_eq!(h.len(), model.len());
                let all: HashMap<Vec<u8>, Vec<u8>> =
                    h.iter().map(|(f, v)| (f.to_vec(), v.to_vec())).collect();
                prop_assert_eq!(&all, &model);
                let idx = h.indexed();
                prop_assert_eq!(idx.len(), model.len());
                for i in 0..idx.len() {
                    let (f, v) = idx.get(i).unwrap_or_default();
                    prop_assert_eq!(model.get(f).map(|x| &x[..]), Some(v));
                }
                let mut scanned = HashMap::new();
                let mut cursor = 0;
                loop {
                    cursor = h.scan(cursor, 3, |f, v| {
                        scanned.insert(f.to_vec(), v.to_vec());
                    });
                    if cursor == 0 {
                        break;
                    }
                }
                prop_assert_eq!(&scanned, &model);
            }
        });
    }
}
