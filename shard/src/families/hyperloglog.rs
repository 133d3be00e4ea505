//! HyperLogLog commands (Redis's `hyperloglog.c`): PFADD, PFCOUNT and PFMERGE.
//!
//! A HyperLogLog is a plain string value laid out exactly as Redis lays it out, so GET, SET,
//! DUMP-style copies and replication of the bytes all work across the two servers:
//!
//! * a 16-byte header: `"HYLL"`, the encoding (0 dense, 1 sparse), 3 unused bytes and the cached
//!   cardinality as a little-endian u64 whose top bit (bit 7 of byte 15) marks it stale;
//! * 16384 registers of 6 bits each (p = 14), holding for each register the longest run of
//!   trailing zeros plus one seen among the 50 remaining hash bits;
//! * dense: the registers packed least significant bit first, 12288 bytes;
//! * sparse: run-length opcodes: `00xxxxxx` ZERO (1..64 zero registers), `01xxxxxx yyyyyyyy`
//!   XZERO (1..16384 zero registers), `1vvvvvxx` VAL (1..4 registers of value 1..32). A sparse
//!   HLL turns dense when a register needs a value above 32 or when it would grow past
//!   `hll-sparse-max-bytes` (3000).
//!
//! Elements are hashed with MurmurHash64A (seed 0xadc83b19) and the cardinality is computed
//! with Ertl's improved estimator, both as Redis 5+ does, so counts agree to the unit.

use crate::command::{flags::*, CommandSpec, Handler, KeySpec, Merge, Routing};
use crate::ctx::Ctx;
use crate::error::{CmdError, CmdResult};
use crate::value::{Entry, StrValue, Value};

const SINGLE: Routing = Routing::Keys(Merge::Single);

#[rustfmt::skip]
pub static COMMANDS: &[CommandSpec] = &[
    CommandSpec {
        name: "pfadd", arity: -2, flags: WRITE | DENYOOM | FAST, keys: KeySpec::FIRST,
        acl: &["@write", "@hyperloglog", "@fast"], group: "hyperloglog", since: "2.8.9",
        summary: "Adds the specified elements to the specified HyperLogLog.",
        routing: SINGLE, handler: pfadd as Handler,
    },
    // Several keys: a union count computed on one shard (the router gathers them).
    CommandSpec {
        name: "pfcount", arity: -2, flags: READONLY, keys: KeySpec::ALL,
        acl: &["@read", "@hyperloglog", "@slow"], group: "hyperloglog", since: "2.8.9",
        summary: "Return the approximated cardinality of the set(s) observed by the HyperLogLog at key(s).",
        routing: SINGLE, handler: pfcount as Handler,
    },
    CommandSpec {
        name: "pfmerge", arity: -2, flags: WRITE | DENYOOM, keys: KeySpec::ALL,
        acl: &["@write", "@hyperloglog", "@slow"], group: "hyperloglog", since: "2.8.9",
        summary: "Merge N different HyperLogLogs into a single one.",
        routing: SINGLE, handler: pfmerge as Handler,
    },
];

// ---------------------------------------------------------------------------------------------
// The representation
// ---------------------------------------------------------------------------------------------

const HDR: usize = 16;
const P: u32 = 14;
const Q: u32 = 64 - P;
const REGISTERS: usize = 1 << P;
const REG_BITS: usize = 6;
const REG_MAX: u8 = (1 << REG_BITS) - 1;
const DENSE_LEN: usize = HDR + (REGISTERS * REG_BITS).div_ceil(8);
const ENC_DENSE: u8 = 0;
const ENC_SPARSE: u8 = 1;
/// Redis's `hll-sparse-max-bytes` default: a sparse HLL never grows past this.
const SPARSE_MAX_BYTES: usize = 3000;
const VAL_MAX_VALUE: u8 = 32;
const VAL_MAX_LEN: usize = 4;
const ZERO_MAX_LEN: usize = 64;
const XZERO_MAX_LEN: usize = REGISTERS;
/// 1 / (2 ln 2), the estimator's constant for an infinite number of registers.
const ALPHA_INF: f64 = 0.721_347_520_444_481_7;

const NOT_HLL: &str = "WRONGTYPE Key is not a valid HyperLogLog string value.";
const CORRUPT: &str = "INVALIDOBJ Corrupted HLL object detected";

/// The HLL bytes hold something no valid HLL can (its registers do not add up).
#[derive(Debug)]
struct Corrupt;

fn corrupt_error(_: Corrupt) -> CmdError {
    CmdError::msg(CORRUPT)
}

/// MurmurHash64A (Austin Appleby), little-endian reads, as Redis hashes HLL elements.
fn murmur64a(data: &[u8], seed: u64) -> u64 {
    const M: u64 = 0xc6a4_a793_5bd1_e995;
    const R: u32 = 47;
    let mut h = seed ^ (data.len() as u64).wrapping_mul(M);
    let mut blocks = data.chunks_exact(8);
    for block in &mut blocks {
        let mut word = [0u8; 8];
        word.copy_from_slice(block);
        let mut k = u64::from_le_bytes(word).wrapping_mul(M);
        k ^= k >> R;
        h ^= k.wrapping_mul(M);
        h = h.wrapping_mul(M);
    }
    let tail = blocks.remainder();
    if !tail.is_empty() {
        for (i, &b) in tail.iter().enumerate() {
            h ^= (b as u64) << (8 * i);
        }
        h = h.wrapping_mul(M);
    }
    h ^= h >> R;
    h = h.wrapping_mul(M);
    h ^ (h >> R)
}

/// The register an element falls in and the value it proposes for it: the position of the
/// first set bit among the hash's upper 50 bits (51 when they are all zero).
fn pattern(element: &[u8]) -> (usize, u8) {
    let hash = murmur64a(element, 0xadc8_3b19);
    let index = (hash as usize) & (REGISTERS - 1);
    let rest = (hash >> P) | (1u64 << Q);
    (index, rest.trailing_zeros() as u8 + 1)
}

/// Whether `bytes` is a HyperLogLog Redis would accept (its isHLLObjectOrReply).
fn looks_like_hll(bytes: &[u8]) -> bool {
    bytes.len() >= HDR
        && bytes.starts_with(b"HYLL")
        && match bytes[4] {
            ENC_DENSE => bytes.len() == DENSE_LEN,
            ENC_SPARSE => true,
            _ => false,
        }
}

/// A fresh, empty HLL: sparse, one XZERO covering every register, cached cardinality 0.
fn new_hll() -> Vec<u8> {
    let mut hll = Vec::with_capacity(HDR + 2);
    hll.extend_from_slice(b"HYLL");
    hll.push(ENC_SPARSE);
    hll.extend_from_slice(&[0u8; 11]);
    push_xzero(&mut hll, REGISTERS);
    hll
}

fn invalidate_cache(hll: &mut [u8]) {
    if let Some(b) = hll.get_mut(15) {
        *b |= 0x80;
    }
}

fn cached_cardinality(hll: &[u8]) -> Option<u64> {
    let card: [u8; 8] = hll.get(8..16)?.try_into().ok()?;
    (card[7] & 0x80 == 0).then(|| u64::from_le_bytes(card))
}

// Dense registers: register i occupies bits 6i..6i+5 of the register area, counted from the
// least significant bit of each byte.

fn dense_get(regs: &[u8], i: usize) -> u8 {
    let bit = i * REG_BITS;
    let (byte, shift) = (bit / 8, bit % 8);
    let lo = regs.get(byte).copied().unwrap_or(0) as u16;
    let hi = regs.get(byte + 1).copied().unwrap_or(0) as u16;
    (((lo | (hi << 8)) >> shift) as u8) & REG_MAX
}

fn dense_set(regs: &mut [u8], i: usize, value: u8) {
    let bit = i * REG_BITS;
    let (byte, shift) = (bit / 8, bit % 8);
    let mask = (REG_MAX as u16) << shift;
    let value = ((value & REG_MAX) as u16) << shift;
    if let Some(b) = regs.get_mut(byte) {
        *b = (*b & !(mask as u8)) | value as u8;
    }
    if let Some(b) = regs.get_mut(byte + 1) {
        *b = (*b & !((mask >> 8) as u8)) | (value >> 8) as u8;
    }
}

// Sparse opcodes.

#[derive(Clone, Copy, PartialEq, Eq)]
enum Op {
    /// A run of zero registers, ZERO or XZERO (`wide`).
    Zero { len: usize, wide: bool },
    /// A run of registers holding `value`.
    Val { value: u8, len: usize },
}

impl Op {
    fn len(self) -> usize {
        match self {
            Op::Zero { len, .. } | Op::Val { len, .. } => len,
        }
    }

    fn bytes(self) -> usize {
        match self {
            Op::Zero { wide: true, .. } => 2,
            _ => 1,
        }
    }
}

/// The opcode at `at`. An XZERO cut short reads its second byte as 0, as Redis reads the
/// string's terminating NUL.
fn op_at(hll: &[u8], at: usize) -> Op {
    let b = hll.get(at).copied().unwrap_or(0);
    if b & 0x80 != 0 {
        Op::Val {
            value: ((b >> 2) & 0x1f) + 1,
            len: (b & 0x03) as usize + 1,
        }
    } else if b & 0x40 != 0 {
        let low = hll.get(at + 1).copied().unwrap_or(0) as usize;
        Op::Zero {
            len: ((((b & 0x3f) as usize) << 8) | low) + 1,
            wide: true,
        }
    } else {
        Op::Zero {
            len: (b & 0x3f) as usize + 1,
            wide: false,
        }
    }
}

fn val_byte(value: u8, len: usize) -> u8 {
    0x80 | ((value - 1) << 2) | (len as u8 - 1)
}

fn push_xzero(out: &mut Vec<u8>, len: usize) {
    let n = len - 1;
    out.push(0x40 | (n >> 8) as u8);
    out.push((n & 0xff) as u8);
}

/// A run of `len` zero registers as ZERO when it fits, XZERO otherwise.
fn push_zeros(out: &mut Vec<u8>, len: usize) {
    if len > ZERO_MAX_LEN {
        push_xzero(out, len.min(XZERO_MAX_LEN));
    } else {
        out.push((len - 1) as u8);
    }
}

/// Every opcode of a sparse HLL.
fn sparse_ops(hll: &[u8]) -> impl Iterator<Item = Op> + '_ {
    let mut at = HDR;
    std::iter::from_fn(move || {
        if at >= hll.len() {
            return None;
        }
        let op = op_at(hll, at);
        at += op.bytes();
        Some(op)
    })
}

/// Rewrite a sparse HLL as a dense one (same header, encoding changed).
fn sparse_to_dense(hll: &mut Vec<u8>) -> Result<(), Corrupt> {
    let mut dense = vec![0u8; DENSE_LEN];
    dense[..HDR].copy_from_slice(&hll[..HDR]);
    dense[4] = ENC_DENSE;
    let regs = &mut dense[HDR..];
    let mut index = 0usize;
    for op in sparse_ops(hll) {
        if let Op::Val { value, len } = op {
            if index + len > REGISTERS {
                return Err(Corrupt);
            }
            for i in index..index + len {
                dense_set(regs, i, value);
            }
        }
        index += op.len();
    }
    if index != REGISTERS {
        return Err(Corrupt);
    }
    *hll = dense;
    Ok(())
}

/// Raise register `index` of a sparse HLL to `value`, editing the opcodes in place and turning
/// the HLL dense when needed. Returns whether the register changed.
fn sparse_set(hll: &mut Vec<u8>, index: usize, value: u8) -> Result<bool, Corrupt> {
    if value > VAL_MAX_VALUE {
        return promote_and_set(hll, index, value);
    }
    // Find the opcode covering `index`, the one before it and its first register.
    let mut at = HDR;
    let mut prev = None;
    let mut first = 0usize;
    let mut found = None;
    while at < hll.len() {
        let op = op_at(hll, at);
        if index < first + op.len() {
            found = Some(op);
            break;
        }
        prev = Some(at);
        at += op.bytes();
        first += op.len();
    }
    let Some(op) = found else {
        return Err(Corrupt);
    };
    let last = first + op.len() - 1;

    // The opcodes replacing `op`: at most XZERO-VAL-XZERO, 5 bytes.
    let mut seq: Vec<u8> = Vec::with_capacity(5);
    match op {
        Op::Val { value: old, .. } if old >= value => return Ok(false),
        Op::Val { len: 1, .. } | Op::Zero { len: 1, .. } => seq.push(val_byte(value, 1)),
        Op::Zero { .. } => {
            if index > first {
                push_zeros(&mut seq, index - first);
            }
            seq.push(val_byte(value, 1));
            if index < last {
                push_zeros(&mut seq, last - index);
            }
        }
        Op::Val { value: old, .. } => {
            if index > first {
                seq.push(val_byte(old, index - first));
            }
            seq.push(val_byte(value, 1));
            if index < last {
                seq.push(val_byte(old, last - index));
            }
        }
    }
    let old_bytes = op.bytes();
    if seq.len() > old_bytes && hll.len() + seq.len() - old_bytes > SPARSE_MAX_BYTES {
        return promote_and_set(hll, index, value);
    }
    let end = (at + old_bytes).min(hll.len());
    hll.splice(at..end, seq);

    // Adjacent VAL opcodes of one value may now merge: look at up to 5 opcodes from `prev`.
    let mut at = prev.unwrap_or(HDR);
    let mut budget = 5;
    while at < hll.len() && budget > 0 {
        budget -= 1;
        let op = op_at(hll, at);
        if let Op::Val { value: v1, len: l1 } = op {
            if let Some(&next) = hll.get(at + 1) {
                if let (true, Op::Val { value: v2, len: l2 }) =
                    (next & 0x80 != 0, op_at(hll, at + 1))
                {
                    if v1 == v2 && l1 + l2 <= VAL_MAX_LEN {
                        hll[at + 1] = val_byte(v1, l1 + l2);
                        hll.remove(at);
                        // Try the merged opcode against its right neighbour too.
                        continue;
                    }
                }
            }
        }
        at += op.bytes();
    }
    invalidate_cache(hll);
    Ok(true)
}

fn promote_and_set(hll: &mut Vec<u8>, index: usize, value: u8) -> Result<bool, Corrupt> {
    sparse_to_dense(hll)?;
    let regs = &mut hll[HDR..];
    if dense_get(regs, index) < value {
        dense_set(regs, index, value);
        return Ok(true);
    }
    Ok(false)
}

/// Raise register `index` to `value` whatever the encoding. Returns whether it changed.
fn set_register(hll: &mut Vec<u8>, index: usize, value: u8) -> Result<bool, Corrupt> {
    if hll[4] == ENC_DENSE {
        let regs = &mut hll[HDR..];
        if dense_get(regs, index) < value {
            dense_set(regs, index, value);
            return Ok(true);
        }
        Ok(false)
    } else {
        sparse_set(hll, index, value)
    }
}

/// Add one element; returns whether a register changed.
fn hll_add(hll: &mut Vec<u8>, element: &[u8]) -> Result<bool, Corrupt> {
    let (index, value) = pattern(element);
    set_register(hll, index, value)
}

/// Fold the registers of `hll` into `max` (register-wise maximum).
fn merge_into(max: &mut [u8], hll: &[u8]) -> Result<(), Corrupt> {
    if hll[4] == ENC_DENSE {
        let regs = &hll[HDR..];
        for (i, m) in max.iter_mut().enumerate() {
            *m = (*m).max(dense_get(regs, i));
        }
        return Ok(());
    }
    let mut index = 0usize;
    for op in sparse_ops(hll) {
        if let Op::Val { value, len } = op {
            let regs = max.get_mut(index..index + len).ok_or(Corrupt)?;
            regs.iter_mut().for_each(|m| *m = (*m).max(value));
        }
        index += op.len();
    }
    if index != REGISTERS {
        return Err(Corrupt);
    }
    Ok(())
}

/// How many registers hold each value.
fn histogram(hll: &[u8]) -> Result<[u64; 64], Corrupt> {
    let mut histo = [0u64; 64];
    if hll[4] == ENC_DENSE {
        let regs = &hll[HDR..];
        for i in 0..REGISTERS {
            histo[dense_get(regs, i) as usize] += 1;
        }
        return Ok(histo);
    }
    let mut index = 0usize;
    for op in sparse_ops(hll) {
        let slot = match op {
            Op::Zero { .. } => 0,
            Op::Val { value, .. } => value as usize,
        };
        histo[slot] += op.len() as u64;
        index += op.len();
    }
    if index != REGISTERS {
        return Err(Corrupt);
    }
    Ok(histo)
}

fn raw_histogram(regs: &[u8]) -> [u64; 64] {
    let mut histo = [0u64; 64];
    for &r in regs {
        histo[(r & REG_MAX) as usize] += 1;
    }
    histo
}

/// Ertl's sigma function (accounts for the registers still at zero).
fn sigma(mut x: f64) -> f64 {
    if x == 1.0 {
        return f64::INFINITY;
    }
    let mut y = 1.0;
    let mut z = x;
    loop {
        x *= x;
        let before = z;
        z += x * y;
        y += y;
        if z == before {
            return z;
        }
    }
}

/// Ertl's tau function (accounts for the registers at the maximum value).
fn tau(mut x: f64) -> f64 {
    if x == 0.0 || x == 1.0 {
        return 0.0;
    }
    let mut y = 1.0;
    let mut z = 1.0 - x;
    loop {
        x = x.sqrt();
        let before = z;
        y *= 0.5;
        let d = 1.0 - x;
        z -= d * d * y;
        if z == before {
            return z / 3.0;
        }
    }
}

/// The cardinality estimate from the register histogram.
fn estimate(histo: &[u64; 64]) -> u64 {
    let m = REGISTERS as f64;
    let q = Q as usize;
    let mut z = m * tau((m - histo[q + 1] as f64) / m);
    for j in (1..=q).rev() {
        z += histo[j] as f64;
        z *= 0.5;
    }
    z += m * sigma(histo[0] as f64 / m);
    (ALPHA_INF * m * m / z).round() as u64
}

// ---------------------------------------------------------------------------------------------
// Commands
// ---------------------------------------------------------------------------------------------

/// The HLL bytes of a looked-up value, or the WRONGTYPE error Redis gives.
fn hll_bytes<'v>(value: &'v Value, buf: &'v mut itoa::Buffer) -> Result<&'v [u8], CmdError> {
    let s = value.as_str()?;
    if matches!(s, StrValue::Int(_)) {
        return Err(CmdError::msg(NOT_HLL));
    }
    let bytes = s.as_bytes(buf);
    if !looks_like_hll(bytes) {
        return Err(CmdError::msg(NOT_HLL));
    }
    Ok(bytes)
}

/// The HLL of a value for editing in place, checked first.
fn hll_bytes_mut(value: &mut Value) -> Result<&mut Vec<u8>, CmdError> {
    hll_bytes(value, &mut itoa::Buffer::new())?;
    Ok(value.as_str_mut()?.make_raw())
}

/// The HLL at `key` for writing, created empty when missing. The flag says it was created.
fn hll_for_write<'s>(
    shard: &'s mut crate::shard::Shard,
    db: usize,
    key: &[u8],
) -> Result<(&'s mut Vec<u8>, bool), CmdError> {
    let now = shard.now_ms;
    let mut created = false;
    if shard.keyspace.get(db, key, now).is_none() {
        let entry = Entry::new(Value::Str(StrValue::raw(new_hll())));
        shard.keyspace.insert(db, key, entry, now);
        created = true;
    }
    let entry = shard
        .keyspace
        .get(db, key, now)
        .ok_or(CmdError::NoSuchKey)?;
    Ok((hll_bytes_mut(&mut entry.value)?, created))
}

/// PFADD key [element [element ...]]
fn pfadd(ctx: &mut Ctx<'_>, args: &[&[u8]]) -> CmdResult {
    let db = ctx.db();
    let (shard, mut reply) = ctx.split();
    let (hll, mut updated) = hll_for_write(shard, db, args[1])?;
    for element in &args[2..] {
        updated |= hll_add(hll, element).map_err(corrupt_error)?;
    }
    if updated {
        invalidate_cache(hll);
    }
    reply.integer(updated as i64);
    Ok(())
}

/// PFCOUNT key [key ...]
///
/// One key: its cached cardinality, recomputed (and cached in the value) when stale. Several
/// keys: the cardinality of their union, nothing written.
fn pfcount(ctx: &mut Ctx<'_>, args: &[&[u8]]) -> CmdResult {
    if args.len() > 2 {
        let mut max = vec![0u8; REGISTERS];
        for key in &args[1..] {
            let (entry, _) = ctx.lookup_read(key);
            let Some(entry) = entry else { continue };
            let mut buf = itoa::Buffer::new();
            let hll = hll_bytes(&entry.value, &mut buf)?;
            merge_into(&mut max, hll).map_err(corrupt_error)?;
        }
        let count = estimate(&raw_histogram(&max));
        ctx.reply().integer(count as i64);
        return Ok(());
    }
    let (entry, mut reply) = ctx.lookup_read(args[1]);
    let Some(entry) = entry else {
        reply.integer(0);
        return Ok(());
    };
    // Like Redis, the value is unshared (made "raw") even when the cache answers.
    let hll = hll_bytes_mut(&mut entry.value)?;
    let count = match cached_cardinality(hll) {
        Some(count) => count,
        None => {
            let count = estimate(&histogram(hll).map_err(corrupt_error)?);
            if let Some(card) = hll.get_mut(8..16) {
                card.copy_from_slice(&count.to_le_bytes());
            }
            count
        }
    };
    reply.integer(count as i64);
    Ok(())
}

/// PFMERGE destkey [sourcekey [sourcekey ...]]
///
/// The destination's own registers take part in the union. It stays sparse unless one of the
/// inputs is dense (or the union does not fit the sparse encoding).
fn pfmerge(ctx: &mut Ctx<'_>, args: &[&[u8]]) -> CmdResult {
    let mut max = vec![0u8; REGISTERS];
    let mut dense = false;
    for key in &args[1..] {
        let (entry, _) = ctx.lookup_read(key);
        let Some(entry) = entry else { continue };
        let mut buf = itoa::Buffer::new();
        let hll = hll_bytes(&entry.value, &mut buf)?;
        dense |= hll[4] == ENC_DENSE;
        merge_into(&mut max, hll).map_err(corrupt_error)?;
    }
    let db = ctx.db();
    let (shard, mut reply) = ctx.split();
    let (hll, _) = hll_for_write(shard, db, args[1])?;
    if dense && hll[4] != ENC_DENSE {
        sparse_to_dense(hll).map_err(corrupt_error)?;
    }
    for (i, &value) in max.iter().enumerate() {
        if value != 0 {
            // The destination was checked with the sources; like Redis, a failure to set one
            // register does not stop the others.
            let _ = set_register(hll, i, value);
        }
    }
    invalidate_cache(hll);
    reply.ok();
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::families::bitmaps::tests::{both, script, RealRedis, Rng};
    use crate::families::test_util::TestShard;

    fn int(n: i64) -> String {
        format!(":{n}\r\n")
    }

    /// The stored bytes of `key` in the client's database.
    fn stored(t: &TestShard, key: &str) -> Vec<u8> {
        let entry = t
            .shard
            .keyspace
            .peek(t.client.db, key.as_bytes())
            .expect("key exists");
        let mut buf = itoa::Buffer::new();
        entry
            .value
            .as_str()
            .expect("a string")
            .as_bytes(&mut buf)
            .to_vec()
    }

    fn hex(bytes: &[u8]) -> String {
        bytes.iter().map(|b| format!("{b:02x}")).collect()
    }

    #[test]
    fn murmur_and_pattern() {
        // MurmurHash64A reference values for seed 0xadc83b19 (cross-checked through the
        // registers the real server sets, see `pfadd_bytes`).
        assert_eq!(murmur64a(b"", 0), 0);
        // The registers (and values) these land in are the ones Redis's bytes show, e.g.
        // "c" is the VAL after the XZERO of 8436 registers in `pfadd_bytes`.
        assert_eq!(murmur64a(b"a", 0xadc8_3b19), 0x53d2_470a_9b43_b1a7);
        assert_eq!(murmur64a(b"12345678", 0xadc8_3b19), 0x95eb_b863_8913_2953);
        assert_eq!(murmur64a(b"123456789", 0xadc8_3b19), 0x2175_32cb_09f2_a44d);
        assert_eq!(pattern(b"a"), (12711, 2));
        assert_eq!(pattern(b"b"), (15780, 1));
        assert_eq!(pattern(b"c"), (8436, 1));
        assert_eq!(pattern(b"x"), (16374, 2));
    }

    #[test]
    fn pfadd_bytes() {
        let t = script(
            8,
            &[
                (&["PFADD", "h"], &int(1)),
                (&["PFADD", "h"], &int(0)),
                (&["PFCOUNT", "h"], &int(0)),
                (&["PFADD", "h", "a", "b", "c"], &int(1)),
                (&["PFADD", "h", "a", "b", "c"], &int(0)),
                (&["PFCOUNT", "h"], &int(3)),
                (&["OBJECT", "ENCODING", "h"], "$3\r\nraw\r\n"),
                (&["PFADD", "h2", "x"], &int(1)),
                (&["PFMERGE", "h3", "h", "h2"], "+OK\r\n"),
                (&["PFCOUNT", "h3"], &int(4)),
                (&["PFMERGE", "h4"], "+OK\r\n"),
            ],
        );
        // Byte for byte what Redis 7.0 stores (checked with GET on the real server).
        assert_eq!(
            hex(&stored(&t, "h")),
            "48594c4c01000000030000000000000060f38050b1844bfb80425a"
        );
        assert_eq!(
            hex(&stored(&t, "h3")),
            "48594c4c01000000040000000000000060f38050b1844bfb8042508408"
        );
        assert_eq!(
            hex(&stored(&t, "h4")),
            "48594c4c0100000000000000000000807fff"
        );
    }

    /// PFADD of many elements in both servers gives identical bytes, through sparse, the
    /// promotion to dense and dense; PFCOUNT agrees and caches the same way.
    #[test]
    fn differential_pfadd_pfcount() {
        let mut t = TestShard::new();
        let Some(mut redis) = RealRedis::connect(&mut t, 9) else {
            return;
        };
        let mut rng = Rng(0xdead_beef_cafe_f00d);
        for (key, total, batch) in [
            (&b"small"[..], 1000usize, 1usize),
            (b"medium", 5000, 7),
            (b"large", 30000, 100),
        ] {
            let mut added = 0;
            while added < total {
                let mut args: Vec<Vec<u8>> = vec![b"PFADD".to_vec(), key.to_vec()];
                for _ in 0..batch {
                    let len = rng.below(20) as usize;
                    args.push((0..len).map(|_| rng.next() as u8).collect());
                }
                added += batch;
                let refs: Vec<&[u8]> = args.iter().map(|a| a.as_slice()).collect();
                both(&mut t, &mut redis, &refs);
                if added % (batch * 10) == 0 {
                    both(&mut t, &mut redis, &[b"GET", key]);
                    both(&mut t, &mut redis, &[b"PFCOUNT", key]);
                    both(&mut t, &mut redis, &[b"GET", key]);
                }
            }
            both(&mut t, &mut redis, &[b"GET", key]);
            both(&mut t, &mut redis, &[b"PFCOUNT", key]);
            both(&mut t, &mut redis, &[b"GET", key]);
        }
        // A HLL written by Redis, copied over as bytes, counts the same here.
        for key in [&b"small"[..], b"large"] {
            let reply = redis.run(&[b"GET", key]);
            let start = reply.iter().position(|&b| b == b'\n').map_or(0, |p| p + 1);
            let bytes = &reply[start..reply.len() - 2];
            let mut out = Vec::new();
            t.shard
                .run(&mut t.client, &[b"SET", b"copy", bytes], &mut out);
            t.shard
                .run(&mut t.client, &[b"PFADD", b"copy", b"one more"], &mut out);
            redis.run(&[b"SET", b"copy", bytes]);
            redis.run(&[b"PFADD", b"copy", b"one more"]);
            both(&mut t, &mut redis, &[b"PFCOUNT", b"copy"]);
            both(&mut t, &mut redis, &[b"GET", b"copy"]);
        }
        both(&mut t, &mut redis, &[b"PFCOUNT", b"small", b"medium"]);
        both(
            &mut t,
            &mut redis,
            &[b"PFCOUNT", b"small", b"medium", b"large", b"none"],
        );
        both(
            &mut t,
            &mut redis,
            &[b"PFMERGE", b"m1", b"small", b"medium"],
        );
        both(&mut t, &mut redis, &[b"GET", b"m1"]);
        both(&mut t, &mut redis, &[b"PFMERGE", b"m2", b"small", b"large"]);
        both(&mut t, &mut redis, &[b"GET", b"m2"]);
        both(&mut t, &mut redis, &[b"PFMERGE", b"small", b"medium"]);
        both(&mut t, &mut redis, &[b"GET", b"small"]);
        both(&mut t, &mut redis, &[b"PFCOUNT", b"small"]);
        both(&mut t, &mut redis, &[b"PFCOUNT", b"m1"]);
        both(&mut t, &mut redis, &[b"PFCOUNT", b"m2"]);
    }

    /// Many small HLLs with few elements each, merged in random ways: exercises sparse
    /// opcode splitting and merging.
    #[test]
    fn differential_sparse_merges() {
        let mut t = TestShard::new();
        let Some(mut redis) = RealRedis::connect(&mut t, 10) else {
            return;
        };
        let mut rng = Rng(0x0123_4567_89ab_cdef);
        let keys: [&[u8]; 5] = [b"a", b"b", b"c", b"d", b"e"];
        for _ in 0..3000 {
            let key = keys[rng.below(5) as usize];
            match rng.below(10) {
                0 => {
                    let args = [
                        &b"PFMERGE"[..],
                        keys[rng.below(5) as usize],
                        keys[rng.below(5) as usize],
                        keys[rng.below(5) as usize],
                    ];
                    both(&mut t, &mut redis, &args);
                }
                1 => {
                    both(
                        &mut t,
                        &mut redis,
                        &[b"PFCOUNT", key, keys[rng.below(5) as usize]],
                    );
                }
                2 => {
                    both(&mut t, &mut redis, &[b"PFCOUNT", key]);
                }
                _ => {
                    // Short numeric elements from a small pool: registers often repeat.
                    let e = rng.below(3000).to_string();
                    both(&mut t, &mut redis, &[b"PFADD", key, e.as_bytes()]);
                }
            }
            both(&mut t, &mut redis, &[b"GET", key]);
        }
        for key in keys {
            both(&mut t, &mut redis, &[b"GET", key]);
            both(&mut t, &mut redis, &[b"PFCOUNT", key]);
        }
        // Corrupt sparse HLLs: what PFADD changes before it notices must match too.
        for ops in [
            &b"\x40\x63"[..],
            b"\x7f\xff\x00",
            b"\x7f\xfe\x83",
            b"\x40\x63\x80",
        ] {
            let hll = with(STALE_HDR, ops);
            both(&mut t, &mut redis, &[b"SET", b"bad", &hll]);
            for i in 0..200 {
                let e = i.to_string();
                both(&mut t, &mut redis, &[b"PFADD", b"bad", e.as_bytes()]);
                both(&mut t, &mut redis, &[b"GET", b"bad"]);
            }
        }
    }

    /// Like `script`, with binary arguments and replies.
    fn script_bytes(db: usize, steps: &[(&[&[u8]], &[u8])]) -> TestShard {
        let mut t = TestShard::new();
        let mut redis = RealRedis::connect(&mut t, db);
        for (args, expected) in steps {
            let mut ours = Vec::new();
            t.shard.run(&mut t.client, args, &mut ours);
            assert_eq!(
                String::from_utf8_lossy(&ours),
                String::from_utf8_lossy(expected),
                "{args:?}"
            );
            assert_eq!(&ours, expected);
            if let Some(redis) = redis.as_mut() {
                assert_eq!(&redis.run(args), expected, "redis: {args:?}");
            }
        }
        t
    }

    const STALE_HDR: &[u8] = b"HYLL\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x80";
    const FRESH_HDR: &[u8] = b"HYLL\x01\x00\x00\x00\x07\x00\x00\x00\x00\x00\x00\x00";

    fn with(header: &[u8], ops: &[u8]) -> Vec<u8> {
        [header, ops].concat()
    }

    #[test]
    fn errors_and_corruption() {
        const NOT_HLL_REPLY: &[u8] = b"-WRONGTYPE Key is not a valid HyperLogLog string value.\r\n";
        const CORRUPT_REPLY: &[u8] = b"-INVALIDOBJ Corrupted HLL object detected\r\n";
        const WRONGTYPE: &[u8] =
            b"-WRONGTYPE Operation against a key holding the wrong kind of value\r\n";
        // Too few registers: XZERO of 100.
        let short = with(STALE_HDR, b"\x40\x63");
        // Too many: XZERO of 16384 then ZERO of 1.
        let long = with(STALE_HDR, b"\x7f\xff\x00");
        // A VAL run past the last register.
        let overrun = with(STALE_HDR, b"\x7f\xfe\x83");
        // Corrupt, but its cached cardinality (7) is valid and answers PFCOUNT.
        let cached = with(FRESH_HDR, b"\x40\x63");
        let mut dense_short = with(b"HYLL\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x80", &[]);
        dense_short.resize(DENSE_LEN - 1, 0);
        let bad_encoding = with(
            b"HYLL\x02\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x80",
            b"\x7f\xff",
        );
        let t = script_bytes(
            12,
            &[
                (&[b"SET", b"s", b"HYLL"], b"+OK\r\n"),
                (&[b"PFADD", b"s", b"a"], NOT_HLL_REPLY),
                (&[b"PFCOUNT", b"s"], NOT_HLL_REPLY),
                (&[b"PFCOUNT", b"s", b"nokey"], NOT_HLL_REPLY),
                (&[b"PFMERGE", b"d", b"s"], NOT_HLL_REPLY),
                (&[b"PFMERGE", b"s"], NOT_HLL_REPLY),
                (&[b"SET", b"n", b"1234567890123456789"], b"+OK\r\n"),
                (&[b"PFADD", b"n"], NOT_HLL_REPLY),
                (&[b"SET", b"ds", &dense_short], b"+OK\r\n"),
                (&[b"PFCOUNT", b"ds"], NOT_HLL_REPLY),
                (&[b"SET", b"be", &bad_encoding], b"+OK\r\n"),
                (&[b"PFCOUNT", b"be"], NOT_HLL_REPLY),
                (&[b"SET", b"short", &short], b"+OK\r\n"),
                (&[b"PFCOUNT", b"short"], CORRUPT_REPLY),
                (&[b"PFCOUNT", b"short", b"nokey"], CORRUPT_REPLY),
                (&[b"PFMERGE", b"d", b"short"], CORRUPT_REPLY),
                (&[b"EXISTS", b"d"], b":0\r\n"),
                (
                    &[b"PFADD", b"short", b"a", b"b", b"c", b"d", b"e"],
                    CORRUPT_REPLY,
                ),
                (&[b"SET", b"long", &long], b"+OK\r\n"),
                (&[b"PFCOUNT", b"long"], CORRUPT_REPLY),
                (&[b"PFCOUNT", b"long", b"long"], CORRUPT_REPLY),
                (&[b"SET", b"overrun", &overrun], b"+OK\r\n"),
                (&[b"PFCOUNT", b"overrun"], CORRUPT_REPLY),
                (&[b"PFCOUNT", b"overrun", b"nokey"], CORRUPT_REPLY),
                (&[b"PFMERGE", b"d", b"overrun"], CORRUPT_REPLY),
                (&[b"SET", b"cached", &cached], b"+OK\r\n"),
                (&[b"PFCOUNT", b"cached"], b":7\r\n"),
                (&[b"PFCOUNT", b"cached", b"nokey"], CORRUPT_REPLY),
                (&[b"PFCOUNT", b"nokey"], b":0\r\n"),
                (&[b"SET", b"e", &with(FRESH_HDR, b"\x7f\xff")], b"+OK\r\n"),
                (&[b"OBJECT", b"ENCODING", b"e"], b"$6\r\nembstr\r\n"),
                (&[b"PFCOUNT", b"e", b"nokey"], b":0\r\n"),
                (&[b"OBJECT", b"ENCODING", b"e"], b"$6\r\nembstr\r\n"),
                (&[b"PFCOUNT", b"e"], b":7\r\n"),
                (&[b"OBJECT", b"ENCODING", b"e"], b"$3\r\nraw\r\n"),
                (&[b"SET", b"e", &with(FRESH_HDR, b"\x7f\xff")], b"+OK\r\n"),
                (&[b"PFADD", b"e"], b":0\r\n"),
                (&[b"OBJECT", b"ENCODING", b"e"], b"$3\r\nraw\r\n"),
                (&[b"PFCOUNT", b"nokey", b"nokey2"], b":0\r\n"),
                (
                    &[b"PFADD"],
                    b"-ERR wrong number of arguments for 'pfadd' command\r\n",
                ),
                (
                    &[b"PFCOUNT"],
                    b"-ERR wrong number of arguments for 'pfcount' command\r\n",
                ),
                (
                    &[b"PFMERGE"],
                    b"-ERR wrong number of arguments for 'pfmerge' command\r\n",
                ),
                // PFADD keeps the key's TTL; PFMERGE too.
                (&[b"PFADD", b"ttl", b"a"], b":1\r\n"),
                (&[b"EXPIRE", b"ttl", b"100"], b":1\r\n"),
                (&[b"PFADD", b"ttl", b"b"], b":1\r\n"),
                (&[b"PFMERGE", b"ttl", b"cached"], CORRUPT_REPLY),
                (&[b"PFMERGE", b"ttl", b"nokey"], b"+OK\r\n"),
                (&[b"TTL", b"ttl"], b":100\r\n"),
                (&[b"PFCOUNT", b"ttl"], b":2\r\n"),
            ],
        );
        let mut t = t;
        let list = Entry::new(Value::List(Box::default()));
        t.shard.keyspace.insert(t.client.db, b"l", list, 0);
        let wt = String::from_utf8_lossy(WRONGTYPE).into_owned();
        assert_eq!(t.run(&["PFADD", "l", "a"]), wt);
        assert_eq!(t.run(&["PFCOUNT", "l"]), wt);
        assert_eq!(t.run(&["PFCOUNT", "ttl", "l"]), wt);
        assert_eq!(t.run(&["PFMERGE", "ttl", "l"]), wt);
        assert_eq!(t.run(&["PFMERGE", "l", "ttl"]), wt);
    }

    #[test]
    fn sparse_values_above_32_promote() {
        let mut hll = new_hll();
        assert_eq!(sparse_set(&mut hll, 5, 3).ok(), Some(true));
        assert_eq!(hll.len(), HDR + 4);
        assert_eq!(sparse_set(&mut hll, 9000, 40).ok(), Some(true));
        assert_eq!(hll.len(), DENSE_LEN);
        assert_eq!(hll[4], ENC_DENSE);
        let regs = &hll[HDR..];
        assert_eq!((dense_get(regs, 5), dense_get(regs, 9000)), (3, 40));
        assert_eq!(dense_get(regs, 16383), 0);
        let histo = histogram(&hll).ok().map(|h| (h[0], h[3], h[40]));
        assert_eq!(histo, Some((16382, 1, 1)));
        // The last register sits in the last byte's top bits.
        let mut regs = vec![0u8; DENSE_LEN - HDR];
        dense_set(&mut regs, 16383, 63);
        assert_eq!(regs[regs.len() - 1], 0xfc);
        assert_eq!(dense_get(&regs, 16383), 63);
        assert_eq!(dense_get(&regs, 16382), 0);
    }

    /// Standard error: counts of random sets are within 2% (the expected error is 0.81%).
    #[test]
    fn estimate_accuracy() {
        let mut t = TestShard::new();
        let mut rng = Rng(0x5151_2020_7777_abcd);
        for n in [1_000usize, 10_000, 100_000] {
            let key = format!("acc{n}");
            let elements: Vec<String> = (0..n).map(|_| format!("{:x}", rng.next())).collect();
            for chunk in elements.chunks(500) {
                let mut args: Vec<&str> = vec!["PFADD", &key];
                args.extend(chunk.iter().map(|s| s.as_str()));
                t.run(&args);
            }
            let reply = t.run(&["PFCOUNT", &key]);
            let count: f64 = reply
                .trim_start_matches(':')
                .trim_end()
                .parse()
                .unwrap_or(0.0);
            let error = (count - n as f64).abs() / n as f64;
            assert!(error < 0.02, "n={n} count={count}");
        }
        let reply = t.run(&["PFCOUNT", "acc1000", "acc10000", "acc100000"]);
        let count: f64 = reply
            .trim_start_matches(':')
            .trim_end()
            .parse()
            .unwrap_or(0.0);
        assert!(
            (count - 111_000.0).abs() / 111_000.0 < 0.02,
            "union {count}"
        );
    }
}
