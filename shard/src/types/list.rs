//! The list type: a deque of chunks, each chunk ONE allocation packing its elements.
//!
//! # Layout of a chunk
//!
//! A chunk holds `n` elements as `B0 data0 B1 data1 ... data(n-1) Bn`, where every element
//! has a *descriptor* `D` (its kind and length) and every boundary `Bi` stores
//! `D(i-1) XOR D(i)` (with `D(-1) = D(n) = 0`). Walking forward from the start, `B0` gives
//! `D0`, which gives the length of `data0`, and `B1 XOR D0` gives `D1`, and so on; walking
//! backward from the end works the same way from `Bn = D(n-1)`. So one boundary per element
//! serves both directions (a listpack needs an encoding byte in front *and* a back-length
//! byte behind each entry).
//!
//! Descriptors:
//!
//! | D         | element                                  | data bytes |
//! |-----------|------------------------------------------|------------|
//! | 0..=55    | string of D bytes                        | D          |
//! | 56..=63   | integer in D-55 bytes, little-endian     | 1..=8      |
//! | 64..=127  | integer D-64 (0..=63)                    | 0          |
//! | 128..     | string of D-72 bytes (56 and longer)     | D-72       |
//!
//! A boundary below 128 is one byte; otherwise it is `0x80|k`, `k` little-endian bytes,
//! `0x80|k` (readable from either side). Two descriptors below 128 always XOR below 128, so
//! a list of short strings costs its bytes plus one byte per element, and integers 0..=63
//! cost one byte in all (Redis's listpack: two bytes more per string, one more per integer).
//!
//! Only strings that are the canonical decimal form of an i64 are stored as integers, so
//! the encoding of an element is a function of its bytes and equality can compare encodings.
//!
//! # Chunks
//!
//! A chunk's bytes sit anywhere inside its buffer (`start..end`), so pushing and popping at
//! either end of a chunk moves nothing in the common case. Chunks are bounded as Redis bounds
//! quicklist nodes by `list-max-listpack-size`: negative values limit the bytes of a chunk
//! to 4/8/16/32/64 KiB, positive ones the element count (with an 8 KiB safety limit). An
//! element larger than the limit lives alone in its own chunk.

use std::collections::VecDeque;

/// Descriptors up to this one are short strings of that many bytes.
const SHORT_STR_MAX: u64 = 55;
/// Descriptors 56..=63: an integer stored in `d - INT_BASE` bytes.
const INT_BASE: u64 = 55;
/// Descriptors 64..=127: the integer `d - SMALL_INT_BASE`.
const SMALL_INT_BASE: u64 = 64;
/// Descriptors from 128: a string of `d - LONG_STR_BIAS` bytes.
const LONG_STR_BIAS: u64 = 72;

/// The size limit Redis applies to count-limited nodes (SIZE_SAFETY_LIMIT).
const SIZE_SAFETY_LIMIT: usize = 8192;

/// The data length an element with descriptor `d` has.
#[inline]
fn data_len(d: u64) -> usize {
    match d {
        0..=SHORT_STR_MAX => d as usize,
        56..=63 => (d - INT_BASE) as usize,
        64..=127 => 0,
        _ => (d - LONG_STR_BIAS) as usize,
    }
}

/// Bytes a boundary holding `x` takes.
#[inline]
fn bwidth(x: u64) -> usize {
    if x < 0x80 {
        1
    } else {
        int_bytes_unsigned(x) + 2
    }
}

#[inline]
fn int_bytes_unsigned(x: u64) -> usize {
    (64 - x.leading_zeros() as usize).div_ceil(8).max(1)
}

/// Write the boundary `x` at the start of `out` (which has room for `bwidth(x)` bytes).
#[inline]
fn put_boundary(out: &mut [u8], x: u64) -> usize {
    if x < 0x80 {
        out[0] = x as u8;
        1
    } else {
        let k = int_bytes_unsigned(x);
        out[0] = 0x80 | k as u8;
        out[1..=k].copy_from_slice(&x.to_le_bytes()[..k]);
        out[k + 1] = 0x80 | k as u8;
        k + 2
    }
}

/// Append the boundary `x` to `out`.
#[inline]
fn push_boundary(out: &mut Vec<u8>, x: u64) {
    let mut tmp = [0u8; 10];
    let w = put_boundary(&mut tmp, x);
    out.extend_from_slice(&tmp[..w]);
}

/// The boundary starting at `pos`: (value, width).
#[inline]
fn read_fwd(buf: &[u8], pos: usize) -> (u64, usize) {
    let b = buf[pos];
    if b < 0x80 {
        (b as u64, 1)
    } else {
        let k = (b & 0x7f) as usize;
        let mut le = [0u8; 8];
        le[..k].copy_from_slice(&buf[pos + 1..pos + 1 + k]);
        (u64::from_le_bytes(le), k + 2)
    }
}

/// The boundary ending just before `end`: (value, width).
#[inline]
fn read_back(buf: &[u8], end: usize) -> (u64, usize) {
    let b = buf[end - 1];
    if b < 0x80 {
        (b as u64, 1)
    } else {
        let k = (b & 0x7f) as usize;
        let mut le = [0u8; 8];
        le[..k].copy_from_slice(&buf[end - 1 - k..end - 1]);
        (u64::from_le_bytes(le), k + 2)
    }
}

/// The integer value of a string that is the canonical decimal form of an i64.
fn canonical_int(bytes: &[u8]) -> Option<i64> {
    if bytes.is_empty() || bytes.len() > 20 {
        return None;
    }
    let v = protocol::parse_i64(bytes)?;
    let mut buf = itoa::Buffer::new();
    (buf.format(v).as_bytes() == bytes).then_some(v)
}

/// One element, as stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Elem<'a> {
    Int(i64),
    Bytes(&'a [u8]),
}

impl Elem<'_> {
    fn decode(d: u64, data: &[u8]) -> Elem<'_> {
        match d {
            56..=63 => {
                let mut le = if data.last().is_some_and(|&b| b & 0x80 != 0) {
                    [0xffu8; 8]
                } else {
                    [0u8; 8]
                };
                le[..data.len()].copy_from_slice(data);
                Elem::Int(i64::from_le_bytes(le))
            }
            64..=127 => Elem::Int((d - SMALL_INT_BASE) as i64),
            _ => Elem::Bytes(data),
        }
    }

    /// The element's bytes.
    pub fn to_vec(&self) -> Vec<u8> {
        match self {
            Elem::Int(n) => itoa::Buffer::new().format(*n).as_bytes().to_vec(),
            Elem::Bytes(b) => b.to_vec(),
        }
    }
}

/// An element in its stored form: to insert it, or to compare stored elements with it.
#[derive(Debug, Clone, Copy)]
pub struct Needle<'a> {
    d: u64,
    int: [u8; 8],
    bytes: &'a [u8],
}

impl<'a> Needle<'a> {
    pub fn new(bytes: &'a [u8]) -> Self {
        if let Some(v) = canonical_int(bytes) {
            if (0..64).contains(&v) {
                return Needle {
                    d: SMALL_INT_BASE + v as u64,
                    int: [0; 8],
                    bytes: &[],
                };
            }
            let k = (1..=8usize)
                .find(|&k| {
                    let bits = 8 * k as u32;
                    bits == 64 || (-(1i64 << (bits - 1))..(1i64 << (bits - 1))).contains(&v)
                })
                .unwrap_or(8);
            return Needle {
                d: INT_BASE + k as u64,
                int: v.to_le_bytes(),
                bytes: &[],
            };
        }
        let len = bytes.len() as u64;
        let d = if len <= SHORT_STR_MAX {
            len
        } else {
            len + LONG_STR_BIAS
        };
        Needle {
            d,
            int: [0; 8],
            bytes,
        }
    }

    #[inline]
    fn data(&self) -> &[u8] {
        match self.d {
            56..=63 => &self.int[..(self.d - INT_BASE) as usize],
            64..=127 => &[],
            _ => self.bytes,
        }
    }

    #[inline]
    fn matches(&self, d: u64, data: &[u8]) -> bool {
        self.d == d && self.data() == data
    }
}

/// How big a chunk may grow, from `list-max-listpack-size`.
#[derive(Debug, Clone, Copy)]
struct Fill {
    max_bytes: usize,
    max_count: usize,
}

impl Fill {
    fn new(setting: i64) -> Self {
        if setting < 0 {
            let level = setting.unsigned_abs().min(5) as u32;
            Fill {
                max_bytes: 4096 << (level - 1),
                max_count: usize::MAX,
            }
        } else {
            Fill {
                max_bytes: SIZE_SAFETY_LIMIT,
                max_count: (setting as usize).max(1),
            }
        }
    }
}

/// Forward walk over a chunk's bytes.
#[derive(Clone)]
struct ChunkIter<'a> {
    buf: &'a [u8],
    pos: usize,
    prev: u64,
    left: usize,
}

impl<'a> Iterator for ChunkIter<'a> {
    /// (descriptor, data)
    type Item = (u64, &'a [u8]);

    #[inline]
    fn next(&mut self) -> Option<Self::Item> {
        if self.left == 0 {
            return None;
        }
        self.left -= 1;
        let (x, w) = read_fwd(self.buf, self.pos);
        let d = self.prev ^ x;
        let from = self.pos + w;
        let to = from + data_len(d);
        self.pos = to;
        self.prev = d;
        Some((d, &self.buf[from..to]))
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.left, Some(self.left))
    }
}

/// Backward walk over a chunk's bytes.
#[derive(Clone)]
struct ChunkRevIter<'a> {
    buf: &'a [u8],
    pos: usize,
    next: u64,
    left: usize,
}

impl<'a> Iterator for ChunkRevIter<'a> {
    type Item = (u64, &'a [u8]);

    #[inline]
    fn next(&mut self) -> Option<Self::Item> {
        if self.left == 0 {
            return None;
        }
        self.left -= 1;
        let (x, w) = read_back(self.buf, self.pos);
        let d = self.next ^ x;
        let to = self.pos - w;
        let from = to - data_len(d);
        self.pos = from;
        self.next = d;
        Some((d, &self.buf[from..to]))
    }
}

/// Builds chunks from elements in order.
struct Encoder {
    out: Vec<u8>,
    prev: u64,
    count: usize,
}

impl Encoder {
    fn with_capacity(cap: usize) -> Self {
        Encoder {
            out: Vec::with_capacity(cap),
            prev: 0,
            count: 0,
        }
    }

    /// Bytes the chunk would have, closed, with one more element.
    #[inline]
    fn size_with(&self, d: u64) -> usize {
        self.out.len() + bwidth(self.prev ^ d) + data_len(d) + bwidth(d)
    }

    #[inline]
    fn push(&mut self, d: u64, data: &[u8]) {
        push_boundary(&mut self.out, self.prev ^ d);
        self.out.extend_from_slice(data);
        self.prev = d;
        self.count += 1;
    }

    fn finish(mut self) -> Chunk {
        push_boundary(&mut self.out, self.prev);
        let end = self.out.len();
        Chunk {
            buf: self.out.into_boxed_slice(),
            start: 0,
            end,
            count: self.count,
        }
    }
}

/// Encode `items` into chunks within `fill`, balanced: when they need several chunks, each
/// gets about the same share, so a chunk split by an insertion leaves room on both sides.
fn encode_chunks<'a>(
    items: impl Iterator<Item = (u64, &'a [u8])> + Clone,
    fill: Fill,
) -> Vec<Chunk> {
    // Sizes first (what one chunk holding everything would take).
    let (mut total_bytes, mut total_count, mut prev) = (0usize, 0usize, 0u64);
    for (d, data) in items.clone() {
        total_bytes += bwidth(prev ^ d) + data.len();
        prev = d;
        total_count += 1;
    }
    total_bytes += bwidth(prev);
    let pieces = total_bytes
        .div_ceil(fill.max_bytes.max(1))
        .max(total_count.div_ceil(fill.max_count))
        .max(1);
    let (byte_cap, count_cap) = if pieces == 1 {
        (fill.max_bytes, fill.max_count)
    } else {
        let bytes = total_bytes.div_ceil(pieces);
        let count = total_count.div_ceil(pieces);
        (
            (bytes + bytes / 8 + 16).min(fill.max_bytes),
            (count + count / 8 + 1).min(fill.max_count),
        )
    };
    let mut chunks = Vec::with_capacity(pieces);
    let mut enc = Encoder::with_capacity(total_bytes.min(byte_cap));
    for (d, data) in items {
        if enc.count > 0 && (enc.count >= count_cap || enc.size_with(d) > byte_cap) {
            chunks.push(enc.finish());
            enc = Encoder::with_capacity(byte_cap);
        }
        enc.push(d, data);
    }
    if enc.count > 0 {
        chunks.push(enc.finish());
    }
    chunks
}

/// One node of the list.
#[derive(Clone, Debug, Default)]
struct Chunk {
    buf: Box<[u8]>,
    start: usize,
    end: usize,
    count: usize,
}

impl Chunk {
    fn single(n: &Needle<'_>) -> Chunk {
        let mut enc = Encoder::with_capacity(bwidth(n.d) * 2 + data_len(n.d));
        enc.push(n.d, n.data());
        enc.finish()
    }

    #[inline]
    fn used(&self) -> usize {
        self.end - self.start
    }

    #[inline]
    fn iter(&self) -> ChunkIter<'_> {
        ChunkIter {
            buf: &self.buf,
            pos: self.start,
            prev: 0,
            left: self.count,
        }
    }

    #[inline]
    fn iter_rev(&self) -> ChunkRevIter<'_> {
        ChunkRevIter {
            buf: &self.buf,
            pos: self.end,
            next: 0,
            left: self.count,
        }
    }

    /// A forward walk starting at element `k`.
    fn iter_from(&self, k: usize) -> ChunkIter<'_> {
        if k <= self.count / 2 {
            let mut it = self.iter();
            for _ in 0..k {
                it.next();
            }
            return it;
        }
        // Walk back to element k, then turn around.
        let mut back = self.iter_rev();
        let mut d = 0;
        for _ in 0..self.count - k {
            d = back.next().map_or(0, |(d, _)| d);
        }
        let (x, w) = read_back(&self.buf, back.pos);
        ChunkIter {
            buf: &self.buf,
            pos: back.pos - w,
            prev: x ^ d,
            left: self.count - k,
        }
    }

    /// Bytes a push of `n` at the front (or back) would add.
    #[inline]
    fn added_at_end(&self, n: &Needle<'_>, front: bool) -> usize {
        let edge = if front {
            read_fwd(&self.buf, self.start).0
        } else {
            read_back(&self.buf, self.end).0
        };
        (bwidth(n.d) + data_len(n.d) + bwidth(edge ^ n.d)).saturating_sub(bwidth(edge))
    }

    #[inline]
    fn fits(&self, n: &Needle<'_>, front: bool, fill: Fill) -> bool {
        self.count < fill.max_count && self.used() + self.added_at_end(n, front) <= fill.max_bytes
    }

    /// Make sure `start >= front` and `cap - end >= back` (one of them is 0), moving the
    /// bytes or growing the buffer. `one_sided`: only this side will grow from now on.
    fn make_room(&mut self, front: usize, back: usize, one_sided: bool, fill: Fill) {
        let cap = self.buf.len();
        if self.start >= front && cap - self.end >= back {
            return;
        }
        let used = self.used();
        let total = used + front + back;
        let new_cap = if total <= cap {
            cap
        } else {
            (total + total / 2 + 8).min(fill.max_bytes.max(total))
        };
        let slack = new_cap - total;
        let front_slack = match (front > 0, one_sided) {
            (true, true) => slack,
            (true, false) => slack - slack / 4,
            (false, true) => 0,
            (false, false) => slack / 4,
        };
        let new_start = front_slack + front;
        if new_cap == cap {
            self.buf.copy_within(self.start..self.end, new_start);
        } else {
            let mut buf = vec![0u8; new_cap].into_boxed_slice();
            buf[new_start..new_start + used].copy_from_slice(&self.buf[self.start..self.end]);
            self.buf = buf;
        }
        self.start = new_start;
        self.end = new_start + used;
    }

    fn push_back(&mut self, n: &Needle<'_>, one_sided: bool, fill: Fill) {
        let (last, w_old) = read_back(&self.buf, self.end);
        let link = last ^ n.d;
        let new_len = bwidth(link) + data_len(n.d) + bwidth(n.d);
        let grow = new_len.saturating_sub(w_old);
        self.make_room(0, grow, one_sided, fill);
        let mut at = self.end - w_old;
        at += put_boundary(&mut self.buf[at..], link);
        let data = n.data();
        self.buf[at..at + data.len()].copy_from_slice(data);
        at += data.len();
        at += put_boundary(&mut self.buf[at..], n.d);
        self.end = at;
        self.count += 1;
    }

    fn push_front(&mut self, n: &Needle<'_>, one_sided: bool, fill: Fill) {
        let (first, w_old) = read_fwd(&self.buf, self.start);
        let link = first ^ n.d;
        let new_len = bwidth(link) + data_len(n.d) + bwidth(n.d);
        let grow = new_len.saturating_sub(w_old);
        self.make_room(grow, 0, one_sided, fill);
        let begin = self.start + w_old - new_len;
        let mut at = begin;
        at += put_boundary(&mut self.buf[at..], n.d);
        let data = n.data();
        self.buf[at..at + data.len()].copy_from_slice(data);
        at += data.len();
        put_boundary(&mut self.buf[at..], link);
        self.start = begin;
        self.count += 1;
    }

    /// Remove the first `k` elements (`k < count`).
    fn drop_front(&mut self, k: usize) {
        let it = self.iter_from(k);
        let (x, w) = read_fwd(&self.buf, it.pos);
        let d = it.prev ^ x;
        let begin = it.pos + w - bwidth(d);
        put_boundary(&mut self.buf[begin..], d);
        self.start = begin;
        self.count -= k;
    }

    /// Remove the last `k` elements (`k < count`).
    fn drop_back(&mut self, k: usize) {
        let mut back = self.iter_rev();
        let mut d = 0;
        for _ in 0..k {
            d = back.next().map_or(0, |(d, _)| d);
        }
        // `back.pos` is the start of the data of the first element dropped; the boundary
        // before it links the new last element (descriptor `x ^ d`) to it.
        let (x, w) = read_back(&self.buf, back.pos);
        let last = x ^ d;
        let begin = back.pos - w;
        self.end = begin + put_boundary(&mut self.buf[begin..], last);
        self.count -= k;
    }

    /// Give memory back when most of the buffer is unused.
    fn shrink_if_sparse(&mut self) {
        let cap = self.buf.len();
        let used = self.used();
        if cap > 64 && used * 4 < cap {
            let new_cap = used + used / 2 + 8;
            let start = (new_cap - used) / 2;
            let mut buf = vec![0u8; new_cap].into_boxed_slice();
            buf[start..start + used].copy_from_slice(&self.buf[self.start..self.end]);
            self.buf = buf;
            self.start = start;
            self.end = start + used;
        }
    }
}

/// A list value.
#[derive(Clone, Debug, Default)]
pub struct ListValue {
    chunks: VecDeque<Chunk>,
    len: usize,
    /// Sum of the chunks' buffer sizes.
    cap_bytes: usize,
}

/// A list of many chunks is freed by the lazyfree thread (one free a chunk).
impl Drop for ListValue {
    fn drop(&mut self) {
        let bytes = self.heap_size();
        if crate::lazyfree::worth_deferring(self.chunks.len(), bytes) {
            crate::lazyfree::defer_sized(std::mem::take(&mut self.chunks), bytes);
        }
    }
}

impl ListValue {
    pub fn new() -> Self {
        Self::default()
    }

    /// OBJECT ENCODING's answer (Redis 7.0 reports every list as a quicklist).
    pub fn encoding(&self) -> &'static str {
        "quicklist"
    }

    /// Heap bytes owned (MEMORY USAGE, accounting).
    pub fn heap_size(&self) -> usize {
        self.chunks.capacity() * std::mem::size_of::<Chunk>() + self.cap_bytes
    }

    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn new_chunk(&mut self, n: &Needle<'_>, front: bool) {
        let chunk = Chunk::single(n);
        self.cap_bytes += chunk.buf.len();
        if self.chunks.capacity() == 0 {
            self.chunks.reserve_exact(1);
        }
        if front {
            self.chunks.push_front(chunk);
        } else {
            self.chunks.push_back(chunk);
        }
        self.len += 1;
    }

    /// Append an element (RPUSH); `fill` is `list-max-listpack-size`.
    pub fn push_back(&mut self, value: &[u8], fill: i64) {
        let fill = Fill::new(fill);
        let n = Needle::new(value);
        let one_sided = self.chunks.len() > 1;
        if let Some(last) = self.chunks.back_mut() {
            if last.fits(&n, false, fill) {
                let before = last.buf.len();
                last.push_back(&n, one_sided, fill);
                self.cap_bytes = self.cap_bytes + last.buf.len() - before;
                self.len += 1;
                return;
            }
        }
        self.new_chunk(&n, false);
    }

    /// Prepend an element (LPUSH).
    pub fn push_front(&mut self, value: &[u8], fill: i64) {
        let fill = Fill::new(fill);
        let n = Needle::new(value);
        let one_sided = self.chunks.len() > 1;
        if let Some(first) = self.chunks.front_mut() {
            if first.fits(&n, true, fill) {
                let before = first.buf.len();
                first.push_front(&n, one_sided, fill);
                self.cap_bytes = self.cap_bytes + first.buf.len() - before;
                self.len += 1;
                return;
            }
        }
        self.new_chunk(&n, true);
    }

    /// Remove the first element, handing it to `f` first.
    pub fn pop_front_with<R>(&mut self, f: impl FnOnce(Elem<'_>) -> R) -> Option<R> {
        let first = self.chunks.front()?;
        let result = first
            .iter()
            .next()
            .map(|(d, data)| f(Elem::decode(d, data)));
        self.drop_front(1);
        result
    }

    /// Remove the last element, handing it to `f` first.
    pub fn pop_back_with<R>(&mut self, f: impl FnOnce(Elem<'_>) -> R) -> Option<R> {
        let last = self.chunks.back()?;
        let result = last
            .iter_rev()
            .next()
            .map(|(d, data)| f(Elem::decode(d, data)));
        self.drop_back(1);
        result
    }

    pub fn pop_front(&mut self) -> Option<Vec<u8>> {
        self.pop_front_with(|e| e.to_vec())
    }

    pub fn pop_back(&mut self) -> Option<Vec<u8>> {
        self.pop_back_with(|e| e.to_vec())
    }

    /// Remove the first `n` elements (all of them if there are fewer).
    pub fn drop_front(&mut self, mut n: usize) {
        while n > 0 {
            let Some(first) = self.chunks.front_mut() else {
                break;
            };
            if first.count <= n {
                n -= first.count;
                self.len -= first.count;
                self.cap_bytes -= first.buf.len();
                self.chunks.pop_front();
            } else {
                let before = first.buf.len();
                first.drop_front(n);
                first.shrink_if_sparse();
                self.cap_bytes = self.cap_bytes + first.buf.len() - before;
                self.len -= n;
                n = 0;
            }
        }
        self.after_removal();
    }

    /// Remove the last `n` elements (all of them if there are fewer).
    pub fn drop_back(&mut self, mut n: usize) {
        while n > 0 {
            let Some(last) = self.chunks.back_mut() else {
                break;
            };
            if last.count <= n {
                n -= last.count;
                self.len -= last.count;
                self.cap_bytes -= last.buf.len();
                self.chunks.pop_back();
            } else {
                let before = last.buf.len();
                last.drop_back(n);
                last.shrink_if_sparse();
                self.cap_bytes = self.cap_bytes + last.buf.len() - before;
                self.len -= n;
                n = 0;
            }
        }
        self.after_removal();
    }

    fn after_removal(&mut self) {
        if self.chunks.is_empty() {
            self.chunks = VecDeque::new();
        } else if self.chunks.capacity() > 8 && self.chunks.len() * 4 < self.chunks.capacity() {
            self.chunks.shrink_to(self.chunks.len() * 2);
        }
    }

    /// Keep only elements `start..start+count` (LTRIM).
    pub fn retain_range(&mut self, start: usize, count: usize) {
        let start = start.min(self.len);
        let tail = self.len - start - count.min(self.len - start);
        self.drop_back(tail);
        self.drop_front(start);
    }

    /// (chunk index, index inside the chunk) of element `index` (< len).
    fn locate(&self, index: usize) -> Option<(usize, usize)> {
        if index >= self.len {
            return None;
        }
        if index < self.len / 2 {
            let mut rest = index;
            for (ci, c) in self.chunks.iter().enumerate() {
                if rest < c.count {
                    return Some((ci, rest));
                }
                rest -= c.count;
            }
        } else {
            let mut rest = self.len - 1 - index;
            for (ci, c) in self.chunks.iter().enumerate().rev() {
                if rest < c.count {
                    return Some((ci, c.count - 1 - rest));
                }
                rest -= c.count;
            }
        }
        None
    }

    /// The element at `index` (0 = first).
    pub fn get(&self, index: usize) -> Option<Elem<'_>> {
        let (ci, k) = self.locate(index)?;
        let chunk = self.chunks.get(ci)?;
        let (d, data) = if k < chunk.count / 2 {
            chunk.iter().nth(k)?
        } else {
            chunk.iter_rev().nth(chunk.count - 1 - k)?
        };
        Some(Elem::decode(d, data))
    }

    /// Elements from `index` onwards, first to last.
    pub fn iter_from(&self, index: usize) -> Iter<'_> {
        match self.locate(index) {
            Some((ci, k)) => Iter {
                list: self,
                ci,
                inner: self.chunks.get(ci).map(|c| c.iter_from(k)),
            },
            None => Iter {
                list: self,
                ci: self.chunks.len(),
                inner: None,
            },
        }
    }

    /// All elements, first to last.
    pub fn iter(&self) -> Iter<'_> {
        self.iter_from(0)
    }

    /// All elements, last to first.
    pub fn iter_rev(&self) -> RevIter<'_> {
        RevIter {
            list: self,
            ci: self.chunks.len(),
            inner: None,
        }
    }

    /// Index of each element equal to `value`, scanning from the head (or the tail), as
    /// `f(index, is_match)` for every element visited until `f` returns false.
    pub fn scan_matches(
        &self,
        value: &[u8],
        from_tail: bool,
        mut f: impl FnMut(usize, bool) -> bool,
    ) {
        let needle = Needle::new(value);
        if from_tail {
            let mut index = self.len;
            for chunk in self.chunks.iter().rev() {
                for (d, data) in chunk.iter_rev() {
                    index -= 1;
                    if !f(index, needle.matches(d, data)) {
                        return;
                    }
                }
            }
        } else {
            let mut index = 0;
            for chunk in &self.chunks {
                for (d, data) in chunk.iter() {
                    if !f(index, needle.matches(d, data)) {
                        return;
                    }
                    index += 1;
                }
            }
        }
    }

    /// Index of the first element equal to `value`.
    pub fn find(&self, value: &[u8]) -> Option<usize> {
        let mut found = None;
        self.scan_matches(value, false, |i, m| {
            if m {
                found = Some(i);
            }
            !m
        });
        found
    }

    /// Put `new_chunks` where chunk `ci` was; returns how many there are.
    fn splice_chunks(&mut self, ci: usize, new_chunks: Vec<Chunk>) -> usize {
        if let Some(old) = self.chunks.remove(ci) {
            self.cap_bytes -= old.buf.len();
            self.len -= old.count;
        }
        let n = new_chunks.len();
        for (i, c) in new_chunks.into_iter().enumerate() {
            self.cap_bytes += c.buf.len();
            self.len += c.count;
            self.chunks.insert(ci + i, c);
        }
        n
    }

    /// Replace the element at `index`; false when out of range (LSET).
    pub fn set(&mut self, index: usize, value: &[u8], fill: i64) -> bool {
        let Some((ci, k)) = self.locate(index) else {
            return false;
        };
        let Some(chunk) = self.chunks.get(ci) else {
            return false;
        };
        let fill = Fill::new(fill);
        let needle = Needle::new(value);
        let new_item = (needle.d, needle.data());
        let items = chunk
            .iter()
            .enumerate()
            .map(|(i, item)| if i == k { new_item } else { item });
        let new_chunks = encode_chunks(items, fill);
        let n = self.splice_chunks(ci, new_chunks);
        self.merge_around(ci, n, fill);
        true
    }

    /// Insert `value` before position `index` (`index >= len` appends) (LINSERT).
    pub fn insert(&mut self, index: usize, value: &[u8], fill: i64) {
        if index == 0 {
            return self.push_front(value, fill);
        }
        let Some((ci, k)) = self.locate(index) else {
            return self.push_back(value, fill);
        };
        let Some(chunk) = self.chunks.get(ci) else {
            return;
        };
        let fill = Fill::new(fill);
        let needle = Needle::new(value);
        let new_item = (needle.d, needle.data());
        let items = chunk
            .iter()
            .take(k)
            .chain(std::iter::once(new_item))
            .chain(chunk.iter().skip(k));
        let new_chunks = encode_chunks(items, fill);
        let n = self.splice_chunks(ci, new_chunks);
        self.merge_around(ci, n, fill);
    }

    /// Remove up to `limit` elements equal to `value` (0 = all), from the head or the tail;
    /// returns how many were removed (LREM).
    pub fn remove_matching(
        &mut self,
        value: &[u8],
        limit: usize,
        from_tail: bool,
        fill: i64,
    ) -> usize {
        let fill = Fill::new(fill);
        let needle = Needle::new(value);
        let limit = if limit == 0 { usize::MAX } else { limit };
        let mut removed = 0usize;
        // Chunks still to visit: `next..` from the head, `..next` from the tail.
        let mut next = if from_tail { self.chunks.len() } else { 0 };
        let mut drop: Vec<bool> = Vec::new();
        while removed < limit {
            let ci = if from_tail {
                match next.checked_sub(1) {
                    Some(ci) => ci,
                    None => break,
                }
            } else {
                next
            };
            let Some(chunk) = self.chunks.get(ci) else {
                break;
            };
            let budget = limit - removed;
            drop.clear();
            drop.extend(chunk.iter().map(|(d, data)| needle.matches(d, data)));
            let mut taken = 0usize;
            let mut keep_budget = |gone: &mut bool| {
                if *gone {
                    if taken < budget {
                        taken += 1;
                    } else {
                        *gone = false;
                    }
                }
            };
            if from_tail {
                drop.iter_mut().rev().for_each(&mut keep_budget);
            } else {
                drop.iter_mut().for_each(&mut keep_budget);
            }
            if taken == 0 {
                next = if from_tail { ci } else { ci + 1 };
                continue;
            }
            removed += taken;
            let new_chunks = if taken == chunk.count {
                Vec::new()
            } else {
                let items = chunk
                    .iter()
                    .zip(drop.iter())
                    .filter(|(_, &gone)| !gone)
                    .map(|(item, _)| item);
                encode_chunks(items, fill)
            };
            let n = self.splice_chunks(ci, new_chunks);
            next = if from_tail { ci } else { ci + n };
        }
        if removed > 0 {
            self.compact(fill);
        }
        removed
    }

    /// Merge the `n` chunks at `ci` with their neighbours when they fit together.
    fn merge_around(&mut self, ci: usize, n: usize, fill: Fill) {
        let last = ci + n.max(1) - 1;
        if last + 1 < self.chunks.len() {
            self.try_merge(last, fill);
        }
        if ci > 0 {
            self.try_merge(ci - 1, fill);
        }
    }

    /// Merge chunks `ci` and `ci + 1` if they fit in one.
    fn try_merge(&mut self, ci: usize, fill: Fill) -> bool {
        let (Some(a), Some(b)) = (self.chunks.get(ci), self.chunks.get(ci + 1)) else {
            return false;
        };
        // Joining drops a closing and an opening boundary and adds one link: never bigger.
        if a.count + b.count > fill.max_count || a.used() + b.used() > fill.max_bytes {
            return false;
        }
        let merged = encode_chunks(a.iter().chain(b.iter()), fill);
        if merged.len() != 1 {
            return false;
        }
        self.splice_chunks(ci + 1, Vec::new());
        self.splice_chunks(ci, merged);
        true
    }

    /// Merge neighbouring chunks that fit together (after removals in the middle).
    fn compact(&mut self, fill: Fill) {
        let mut ci = 0;
        while ci + 1 < self.chunks.len() {
            if !self.try_merge(ci, fill) {
                ci += 1;
            }
        }
        self.after_removal();
    }

    /// Checks the internal bookkeeping (tests).
    #[cfg(test)]
    fn check(&self) {
        let count: usize = self.chunks.iter().map(|c| c.count).sum();
        assert_eq!(count, self.len);
        let cap: usize = self.chunks.iter().map(|c| c.buf.len()).sum();
        assert_eq!(cap, self.cap_bytes);
        for c in &self.chunks {
            assert!(c.count > 0);
            assert!(c.start <= c.end && c.end <= c.buf.len());
            assert_eq!(c.iter().count(), c.count);
            let fwd: Vec<_> = c.iter().collect();
            let mut rev: Vec<_> = c.iter_rev().collect();
            rev.reverse();
            assert_eq!(fwd, rev);
            let last = c.iter().last();
            assert_eq!(c.iter_from(c.count - 1).next(), last);
        }
    }
}

/// Forward iterator over a list's elements.
pub struct Iter<'a> {
    list: &'a ListValue,
    ci: usize,
    inner: Option<ChunkIter<'a>>,
}

impl<'a> Iterator for Iter<'a> {
    type Item = Elem<'a>;

    #[inline]
    fn next(&mut self) -> Option<Elem<'a>> {
        loop {
            if let Some(inner) = self.inner.as_mut() {
                if let Some((d, data)) = inner.next() {
                    return Some(Elem::decode(d, data));
                }
            }
            self.ci += 1;
            self.inner = Some(self.list.chunks.get(self.ci)?.iter());
        }
    }
}

/// Backward iterator over a list's elements.
pub struct RevIter<'a> {
    list: &'a ListValue,
    ci: usize,
    inner: Option<ChunkRevIter<'a>>,
}

impl<'a> Iterator for RevIter<'a> {
    type Item = Elem<'a>;

    #[inline]
    fn next(&mut self) -> Option<Elem<'a>> {
        loop {
            if let Some(inner) = self.inner.as_mut() {
                if let Some((d, data)) = inner.next() {
                    return Some(Elem::decode(d, data));
                }
            }
            self.ci = self.ci.checked_sub(1)?;
            self.inner = Some(self.list.chunks.get(self.ci)?.iter_rev());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::VecDeque as Model;

    fn contents(l: &ListValue) -> Vec<Vec<u8>> {
        l.iter().map(|e| e.to_vec()).collect()
    }

    #[test]
    fn big_lists_are_freed_in_the_background() {
        use crate::lazyfree::{assert_dropped_in_background, assert_dropped_inline};
        let mut l = ListValue::new();
        let mut buf = Vec::new();
        for i in 0..200_000u32 {
            buf.clear();
            buf.extend_from_slice(b"element:");
            buf.extend_from_slice(itoa::Buffer::new().format(i).as_bytes());
            l.push_back(&buf, -2);
        }
        assert!(l.chunks.len() > crate::lazyfree::LAZYFREE_THRESHOLD);
        assert_dropped_in_background(crate::value::Value::List(Box::new(l)));
        // Few chunks but megabytes: one free would give them back to the kernel inline.
        let mut l = ListValue::new();
        l.push_back(&vec![b'x'; 700_000], -2);
        l.push_back(&vec![b'y'; 700_000], -2);
        assert_dropped_in_background(l);
        let mut l = ListValue::new();
        for _ in 0..1000 {
            l.push_back(b"abc", -2);
        }
        assert_dropped_inline(l);
    }

    fn check_against(l: &ListValue, m: &Model<Vec<u8>>) {
        l.check();
        assert_eq!(l.len(), m.len());
        let fwd = contents(l);
        assert_eq!(fwd, m.iter().cloned().collect::<Vec<_>>());
        let mut rev: Vec<Vec<u8>> = l.iter_rev().map(|e| e.to_vec()).collect();
        rev.reverse();
        assert_eq!(rev, fwd);
    }

    #[test]
    fn encodings_round_trip() {
        let samples: Vec<Vec<u8>> = vec![
            b"".to_vec(),
            b"0".to_vec(),
            b"63".to_vec(),
            b"64".to_vec(),
            b"-1".to_vec(),
            b"127".to_vec(),
            b"128".to_vec(),
            b"-128".to_vec(),
            b"-129".to_vec(),
            b"32767".to_vec(),
            b"9223372036854775807".to_vec(),
            b"-9223372036854775808".to_vec(),
            b"9223372036854775808".to_vec(),
            b"007".to_vec(),
            b"-0".to_vec(),
            b"+1".to_vec(),
            b" 1".to_vec(),
            b"xxx".to_vec(),
            vec![b'a'; 55],
            vec![b'a'; 56],
            vec![b'b'; 57],
            vec![b'c'; 300],
            vec![b'd'; 70000],
            vec![0xff; 3],
        ];
        for fill in [-2, -1, 3, 1] {
            let mut l = ListValue::new();
            let mut m = Model::new();
            for (i, s) in samples.iter().enumerate() {
                if i % 2 == 0 {
                    l.push_back(s, fill);
                    m.push_back(s.clone());
                } else {
                    l.push_front(s, fill);
                    m.push_front(s.clone());
                }
                check_against(&l, &m);
            }
            for (i, s) in m.iter().enumerate() {
                assert_eq!(l.get(i).map(|e| e.to_vec()).as_ref(), Some(s));
            }
            while let Some(v) = l.pop_back() {
                assert_eq!(Some(v), m.pop_back());
                check_against(&l, &m);
            }
        }
    }

    #[test]
    fn short_strings_take_one_byte_more() {
        let mut l = ListValue::new();
        for i in 0..100_000u32 {
            l.push_back(b"xxx", -2);
            l.push_front(&[b'a' + (i % 26) as u8; 3], -2);
        }
        l.check();
        let per = l.heap_size() as f64 / l.len() as f64;
        assert!(per < 4.1, "{per} bytes per element");
        let mut ints = ListValue::new();
        for i in 0..200_000u32 {
            ints.push_back(itoa::Buffer::new().format(i % 64).as_bytes(), -2);
        }
        let per = ints.heap_size() as f64 / ints.len() as f64;
        assert!(per < 1.1, "{per} bytes per element");
    }

    #[test]
    fn chunks_respect_fill() {
        let mut l = ListValue::new();
        for _ in 0..100 {
            l.push_back(b"abc", 5);
        }
        assert!(l.chunks.iter().all(|c| c.count <= 5));
        assert_eq!(l.chunks.len(), 20);
        let mut l = ListValue::new();
        for _ in 0..10_000 {
            l.push_front(b"abcdefgh", -1);
        }
        assert!(l.chunks.iter().all(|c| c.used() <= 4096));
        l.insert(5000, &[b'z'; 10_000], -1);
        l.check();
        assert_eq!(l.get(5000).map(|e| e.to_vec()), Some(vec![b'z'; 10_000]));
        assert!(l.chunks.iter().all(|c| c.used() <= 4096 || c.count == 1));
    }

    /// xorshift for the randomized comparison.
    struct Rng(u64);
    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            self.0
        }
        fn below(&mut self, n: usize) -> usize {
            (self.next() % n.max(1) as u64) as usize
        }
    }

    fn random_value(rng: &mut Rng) -> Vec<u8> {
        match rng.below(8) {
            0 => itoa::Buffer::new()
                .format(rng.below(64))
                .as_bytes()
                .to_vec(),
            1 => itoa::Buffer::new()
                .format(rng.next() as i64 >> rng.below(64))
                .as_bytes()
                .to_vec(),
            2 => vec![b'x'; rng.below(200)],
            3 => vec![b'q'; 50 + rng.below(20)],
            4 => b"007".to_vec(),
            5 => Vec::new(),
            _ => vec![b'a' + rng.below(3) as u8; 1 + rng.below(3)],
        }
    }

    #[test]
    fn randomized_against_model() {
        for (seed, fill) in [
            (1u64, -2i64),
            (2, -1),
            (3, 4),
            (4, 1),
            (5, -5),
            (6, 0),
            (7, 2),
        ] {
            let mut rng = Rng(0x9E37_79B9_7F4A_7C15 ^ seed);
            let mut l = ListValue::new();
            let mut m: Model<Vec<u8>> = Model::new();
            for step in 0..6000 {
                match rng.below(14) {
                    0 | 1 => {
                        let v = random_value(&mut rng);
                        l.push_back(&v, fill);
                        m.push_back(v);
                    }
                    2 | 3 => {
                        let v = random_value(&mut rng);
                        l.push_front(&v, fill);
                        m.push_front(v);
                    }
                    4 => assert_eq!(l.pop_front(), m.pop_front()),
                    5 => assert_eq!(l.pop_back(), m.pop_back()),
                    6 => {
                        let i = rng.below(m.len() + 2);
                        let v = random_value(&mut rng);
                        let ok = l.set(i, &v, fill);
                        assert_eq!(ok, i < m.len());
                        if ok {
                            m[i] = v;
                        }
                    }
                    7 => {
                        let i = rng.below(m.len() + 1);
                        let v = random_value(&mut rng);
                        l.insert(i, &v, fill);
                        m.insert(i, v);
                    }
                    8 => {
                        let v = random_value(&mut rng);
                        let limit = rng.below(4);
                        let from_tail = rng.below(2) == 0;
                        let got = l.remove_matching(&v, limit, from_tail, fill);
                        let mut removed = 0;
                        let limit = if limit == 0 { usize::MAX } else { limit };
                        if from_tail {
                            let mut i = m.len();
                            while i > 0 && removed < limit {
                                i -= 1;
                                if m[i] == v {
                                    m.remove(i);
                                    removed += 1;
                                }
                            }
                        } else {
                            let mut i = 0;
                            while i < m.len() && removed < limit {
                                if m[i] == v {
                                    m.remove(i);
                                    removed += 1;
                                } else {
                                    i += 1;
                                }
                            }
                        }
                        assert_eq!(got, removed);
                    }
                    9 if rng.below(8) == 0 => {
                        let start = rng.below(m.len() + 1);
                        let count = rng.below(m.len() + 1);
                        l.retain_range(start, count);
                        let keep: Model<Vec<u8>> =
                            m.iter().skip(start).take(count).cloned().collect();
                        m = keep;
                    }
                    10 => {
                        let start = rng.below(m.len() + 1);
                        let n = rng.below(20);
                        let got: Vec<Vec<u8>> =
                            l.iter_from(start).take(n).map(|e| e.to_vec()).collect();
                        let want: Vec<Vec<u8>> = m.iter().skip(start).take(n).cloned().collect();
                        assert_eq!(got, want);
                    }
                    11 => {
                        let i = rng.below(m.len() + 1);
                        assert_eq!(l.get(i).map(|e| e.to_vec()).as_ref(), m.get(i));
                    }
                    12 => {
                        let v = random_value(&mut rng);
                        assert_eq!(l.find(&v), m.iter().position(|x| *x == v));
                    }
                    _ => {
                        let n = rng.below(5);
                        if rng.below(2) == 0 {
                            l.drop_front(n);
                            for _ in 0..n {
                                m.pop_front();
                            }
                        } else {
                            l.drop_back(n);
                            for _ in 0..n {
                                m.pop_back();
                            }
                        }
                    }
                }
                if step % 97 == 0 {
                    check_against(&l, &m);
                } else {
                    assert_eq!(l.len(), m.len());
                }
            }
            check_against(&l, &m);
        }
    }
}
