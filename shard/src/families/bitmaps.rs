//! Bitmap commands (Redis's `bitops.c`): SETBIT, GETBIT, BITCOUNT, BITPOS, BITOP, BITFIELD
//! and BITFIELD_RO.
//!
//! Bitmaps are plain strings: bit 0 is the most significant bit of the first byte, a missing
//! key reads as an empty (all-zero) string, and writes grow the string with zero bytes. Writes
//! edit the string in place through [`StrValue::make_raw`], so its TTL is kept.

use crate::command::{flags::*, CommandSpec, Handler, KeySpec, Merge, Routing};
use crate::ctx::Ctx;
use crate::error::{CmdError, CmdResult};
use crate::value::{Entry, StrValue, Value};

/// BITOP operation destkey key [key ...]: the destination and every source.
const BITOP_KEYS: KeySpec = KeySpec::Range {
    first: 2,
    last: -1,
    step: 1,
};
const SINGLE: Routing = Routing::Keys(Merge::Single);

const READ_FAST: &[&str] = &["@read", "@bitmap", "@fast"];
const READ_SLOW: &[&str] = &["@read", "@bitmap", "@slow"];
const WRITE_SLOW: &[&str] = &["@write", "@bitmap", "@slow"];

/// `name, arity, flags, keys, ACL categories, since, handler, summary`.
macro_rules! bitmap_cmd {
    ($name:expr, $arity:expr, $flags:expr, $keys:expr, $acl:expr, $since:expr,
     $handler:expr, $summary:expr) => {
        CommandSpec {
            name: $name,
            arity: $arity,
            flags: $flags,
            keys: $keys,
            acl: $acl,
            group: "bitmap",
            since: $since,
            summary: $summary,
            routing: SINGLE,
            handler: $handler as Handler,
        }
    };
}

#[rustfmt::skip]
pub static COMMANDS: &[CommandSpec] = &[
    bitmap_cmd!("setbit", 4, WRITE | DENYOOM, KeySpec::FIRST, WRITE_SLOW, "2.2.0", setbit,
        "Sets or clears the bit at offset in the string value stored at key"),
    bitmap_cmd!("getbit", 3, READONLY | FAST, KeySpec::FIRST, READ_FAST, "2.2.0", getbit,
        "Returns the bit value at offset in the string value stored at key"),
    bitmap_cmd!("bitcount", -2, READONLY, KeySpec::FIRST, READ_SLOW, "2.6.0", bitcount,
        "Count set bits in a string"),
    bitmap_cmd!("bitpos", -3, READONLY, KeySpec::FIRST, READ_SLOW, "2.8.7", bitpos,
        "Find first bit set or clear in a string"),
    // The destination and all sources must be on one shard (the router sees to it).
    bitmap_cmd!("bitop", -4, WRITE | DENYOOM, BITOP_KEYS, WRITE_SLOW, "2.6.0", bitop,
        "Perform bitwise operations between strings"),
    bitmap_cmd!("bitfield", -2, WRITE | DENYOOM, KeySpec::FIRST, WRITE_SLOW, "3.2.0", bitfield,
        "Perform arbitrary bitfield integer operations on strings"),
    bitmap_cmd!("bitfield_ro", -2, READONLY | FAST, KeySpec::FIRST, READ_FAST, "6.0.0", bitfield_ro,
        "Perform arbitrary bitfield integer operations on strings. Read-only variant of BITFIELD"),
];

// ---------------------------------------------------------------------------------------------
// Shared helpers
// ---------------------------------------------------------------------------------------------

const BAD_OFFSET: &str = "ERR bit offset is not an integer or out of range";
const BAD_BIT: &str = "ERR bit is not an integer or out of range";
const BAD_TYPE: &str =
    "ERR Invalid bitfield type. Use something like i16 u8. Note that u64 is not supported but i64 is.";

/// Offsets are limited to the bits of a proto-max-bulk-len string (512 MB): below 2^32.
const MAX_BIT_OFFSET: u64 = (protocol::MAX_BULK_LEN as u64) * 8;

/// A bit offset argument. With `field_bits` (BITFIELD), `#N` means `N * field_bits`.
fn parse_bit_offset(arg: &[u8], field_bits: Option<u32>) -> Result<u64, CmdError> {
    let (digits, scale) = match (arg.first(), field_bits) {
        (Some(b'#'), Some(bits)) => (&arg[1..], bits as i64),
        _ => (arg, 1),
    };
    let n = protocol::parse_i64(digits).ok_or(CmdError::msg(BAD_OFFSET))?;
    // A huge `#N` wraps around as Redis's C arithmetic does, and is then rejected below.
    let n = n.wrapping_mul(scale);
    if n < 0 || n as u64 >= MAX_BIT_OFFSET {
        return Err(CmdError::msg(BAD_OFFSET));
    }
    Ok(n as u64)
}

/// The string at `key` for a bit write reaching bit `max_bit`: created (zero-filled) when
/// missing, grown with zero bytes when short, WRONGTYPE (and nothing changed) for other types.
fn bytes_for_write<'s>(
    shard: &'s mut crate::shard::Shard,
    db: usize,
    key: &[u8],
    max_bit: u64,
) -> Result<&'s mut Vec<u8>, CmdError> {
    let now = shard.now_ms;
    let need = (max_bit >> 3) as usize + 1;
    if shard.keyspace.get(db, key, now).is_none() {
        let entry = Entry::new(Value::Str(StrValue::raw(vec![0u8; need])));
        shard.keyspace.insert(db, key, entry, now);
    }
    let entry = shard
        .keyspace
        .get(db, key, now)
        .ok_or(CmdError::NoSuchKey)?;
    let bytes = entry.value.as_str_mut()?.make_raw();
    if bytes.len() < need {
        bytes.resize(need, 0);
    }
    Ok(bytes)
}

/// Bits set in `bytes`.
fn popcount(bytes: &[u8]) -> u64 {
    let mut chunks = bytes.chunks_exact(8);
    let mut total: u64 = 0;
    for chunk in &mut chunks {
        let mut word = [0u8; 8];
        word.copy_from_slice(chunk);
        total += u64::from_ne_bytes(word).count_ones() as u64;
    }
    total
        + chunks
            .remainder()
            .iter()
            .map(|b| b.count_ones() as u64)
            .sum::<u64>()
}

/// The bit at `pos` (0 = most significant bit of the first byte); 0 past the end.
#[inline]
fn bit_at(bytes: &[u8], pos: u64) -> u8 {
    match bytes.get((pos >> 3) as usize) {
        Some(b) => (b >> (7 - (pos & 7))) & 1,
        None => 0,
    }
}

/// Set or clear the bit at `pos`, which must be inside `bytes` (ignored otherwise).
#[inline]
fn set_bit(bytes: &mut [u8], pos: u64, on: bool) {
    if let Some(b) = bytes.get_mut((pos >> 3) as usize) {
        let mask = 1u8 << (7 - (pos & 7));
        if on {
            *b |= mask;
        } else {
            *b &= !mask;
        }
    }
}

/// A start/end range over `total` units (bytes or bits), Redis's rules: negative indexes
/// count from the end, both are clamped into the string. `None` when the range is empty.
fn clamp_range(start: i64, end: i64, total: i64) -> Option<(i64, i64)> {
    let start = if start < 0 { start + total } else { start }.max(0);
    let end = if end < 0 { end + total } else { end }.max(0);
    let end = end.min(total - 1);
    (start <= end).then_some((start, end))
}

/// BYTE | BIT, case-insensitively.
fn parse_unit(arg: &[u8]) -> Result<bool, CmdError> {
    if arg.eq_ignore_ascii_case(b"bit") {
        Ok(true)
    } else if arg.eq_ignore_ascii_case(b"byte") {
        Ok(false)
    } else {
        Err(CmdError::Syntax)
    }
}

// ---------------------------------------------------------------------------------------------
// SETBIT / GETBIT
// ---------------------------------------------------------------------------------------------

/// SETBIT key offset value
fn setbit(ctx: &mut Ctx<'_>, args: &[&[u8]]) -> CmdResult {
    let offset = parse_bit_offset(args[2], None)?;
    let on = match protocol::parse_i64(args[3]) {
        Some(0) => false,
        Some(1) => true,
        _ => return Err(CmdError::msg(BAD_BIT)),
    };
    let db = ctx.db();
    let (shard, mut reply) = ctx.split();
    let bytes = bytes_for_write(shard, db, args[1], offset)?;
    let old = bit_at(bytes, offset);
    set_bit(bytes, offset, on);
    reply.integer(old as i64);
    Ok(())
}

/// GETBIT key offset
fn getbit(ctx: &mut Ctx<'_>, args: &[&[u8]]) -> CmdResult {
    let offset = parse_bit_offset(args[2], None)?;
    let (entry, mut reply) = ctx.lookup_read(args[1]);
    let bit = match entry {
        Some(entry) => {
            let mut buf = itoa::Buffer::new();
            bit_at(entry.value.as_str()?.as_bytes(&mut buf), offset)
        }
        None => 0,
    };
    reply.integer(bit as i64);
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// BITCOUNT / BITPOS
// ---------------------------------------------------------------------------------------------

/// BITCOUNT key [start end [BYTE | BIT]]
///
/// As Redis 7.0, the key is looked up first: a missing key answers 0 whatever the range.
fn bitcount(ctx: &mut Ctx<'_>, args: &[&[u8]]) -> CmdResult {
    let (entry, mut reply) = ctx.lookup_read(args[1]);
    let Some(entry) = entry else {
        reply.integer(0);
        return Ok(());
    };
    let mut buf = itoa::Buffer::new();
    let bytes = entry.value.as_str()?.as_bytes(&mut buf);
    let len = bytes.len() as i64;
    let count = match args.len() {
        2 => popcount(bytes),
        4 | 5 => {
            let start = crate::args::parse_i64(args[2])?;
            let end = crate::args::parse_i64(args[3])?;
            if start < 0 && end < 0 && start > end {
                reply.integer(0);
                return Ok(());
            }
            let in_bits = match args.get(4) {
                Some(unit) => parse_unit(unit)?,
                None => false,
            };
            if in_bits {
                match clamp_range(start, end, len * 8) {
                    Some((first, last)) => count_bit_range(bytes, first as u64, last as u64),
                    None => 0,
                }
            } else {
                match clamp_range(start, end, len) {
                    Some((first, last)) => {
                        popcount(bytes.get(first as usize..=last as usize).unwrap_or(&[]))
                    }
                    None => 0,
                }
            }
        }
        _ => return Err(CmdError::Syntax),
    };
    reply.integer(count as i64);
    Ok(())
}

/// Set bits from bit `first` to bit `last`, both inclusive and inside `bytes`.
fn count_bit_range(bytes: &[u8], first: u64, last: u64) -> u64 {
    let (first_byte, last_byte) = ((first >> 3) as usize, (last >> 3) as usize);
    let whole = popcount(bytes.get(first_byte..=last_byte).unwrap_or(&[]));
    // Take off the bits of the edge bytes that lie outside the range.
    let head = bytes
        .get(first_byte)
        .map_or(0, |b| b & !(0xffu8 >> (first & 7)));
    let tail = bytes
        .get(last_byte)
        .map_or(0, |b| b & (0x7fu8 >> (last & 7)));
    whole - head.count_ones() as u64 - tail.count_ones() as u64
}

/// BITPOS key bit [start [end [BYTE | BIT]]]
fn bitpos(ctx: &mut Ctx<'_>, args: &[&[u8]]) -> CmdResult {
    let bit = match crate::args::parse_i64(args[2])? {
        0 => 0u8,
        1 => 1u8,
        _ => return Err(CmdError::msg("ERR The bit argument must be 1 or 0.")),
    };
    let (entry, mut reply) = ctx.lookup_read(args[1]);
    let Some(entry) = entry else {
        // A missing key is an endless run of zeros.
        reply.integer(if bit == 1 { -1 } else { 0 });
        return Ok(());
    };
    let mut buf = itoa::Buffer::new();
    let bytes = entry.value.as_str()?.as_bytes(&mut buf);
    let len = bytes.len() as i64;
    // The range searched, in bits, and whether the caller gave its end.
    let (range, end_given) = match args.len() {
        3 => (
            clamp_range(0, len - 1, len).map(|(s, e)| (s * 8, e * 8 + 7)),
            false,
        ),
        4..=6 => {
            let start = crate::args::parse_i64(args[3])?;
            let in_bits = match args.get(5) {
                Some(unit) => parse_unit(unit)?,
                None => false,
            };
            let end = match args.get(4) {
                Some(end) => Some(crate::args::parse_i64(end)?),
                None => None,
            };
            let range = if in_bits {
                clamp_range(start, end.unwrap_or(len * 8 - 1), len * 8)
            } else {
                clamp_range(start, end.unwrap_or(len - 1), len).map(|(s, e)| (s * 8, e * 8 + 7))
            };
            (range, end.is_some())
        }
        _ => return Err(CmdError::Syntax),
    };
    let pos = match range {
        None => -1,
        Some((first, last)) => match find_bit(bytes, bit, first as u64, last as u64) {
            Some(pos) => pos as i64,
            // Looking for a clear bit with no explicit end: the string is zero-padded on
            // the right, so the first bit after it is the answer.
            None if bit == 0 && !end_given => last + 1,
            None => -1,
        },
    };
    reply.integer(pos);
    Ok(())
}

/// The first bit equal to `bit` from bit `first` to bit `last` (inclusive, inside `bytes`).
fn find_bit(bytes: &[u8], bit: u8, first: u64, last: u64) -> Option<u64> {
    // A byte made only of bits we are not looking for.
    let skip = if bit == 1 { 0x00u8 } else { 0xffu8 };
    let mut pos = first;
    while pos <= last {
        if pos & 7 == 0 && pos + 7 <= last {
            // Whole bytes at a time (and whole words where possible).
            let byte_index = (pos >> 3) as usize;
            let last_whole = ((last + 1) >> 3) as usize;
            let run = bytes.get(byte_index..last_whole).unwrap_or(&[]);
            let skipped = run.iter().position(|&b| b != skip).unwrap_or(run.len());
            pos += skipped as u64 * 8;
            if skipped == run.len() {
                continue;
            }
        }
        if bit_at(bytes, pos) == bit {
            return Some(pos);
        }
        pos += 1;
    }
    None
}

// ---------------------------------------------------------------------------------------------
// BITOP
// ---------------------------------------------------------------------------------------------

#[derive(Clone, Copy, PartialEq, Eq)]
enum BitOp {
    And,
    Or,
    Xor,
    Not,
}

/// BITOP AND | OR | XOR | NOT destkey key [key ...]
fn bitop(ctx: &mut Ctx<'_>, args: &[&[u8]]) -> CmdResult {
    let name = args[1];
    let op = if name.eq_ignore_ascii_case(b"and") {
        BitOp::And
    } else if name.eq_ignore_ascii_case(b"or") {
        BitOp::Or
    } else if name.eq_ignore_ascii_case(b"xor") {
        BitOp::Xor
    } else if name.eq_ignore_ascii_case(b"not") {
        BitOp::Not
    } else {
        return Err(CmdError::Syntax);
    };
    if op == BitOp::Not && args.len() != 4 {
        return Err(CmdError::msg(
            "ERR BITOP NOT must be called with a single source key.",
        ));
    }
    let dest = args[2];
    // Folded one source at a time; bytes past the end of a source count as zeros.
    let mut result: Vec<u8> = Vec::new();
    for (i, key) in args[3..].iter().enumerate() {
        let (entry, _) = ctx.lookup_read(key);
        let mut buf = itoa::Buffer::new();
        let src: &[u8] = match entry {
            Some(entry) => entry.value.as_str()?.as_bytes(&mut buf),
            None => &[],
        };
        if i == 0 {
            result.extend_from_slice(src);
            if op == BitOp::Not {
                result.iter_mut().for_each(|b| *b = !*b);
            }
            continue;
        }
        let common = result.len().min(src.len());
        let (head, tail) = result.split_at_mut(common);
        match op {
            BitOp::And => {
                head.iter_mut().zip(src).for_each(|(d, s)| *d &= s);
                tail.iter_mut().for_each(|d| *d = 0);
            }
            BitOp::Or => head.iter_mut().zip(src).for_each(|(d, s)| *d |= s),
            BitOp::Xor => head.iter_mut().zip(src).for_each(|(d, s)| *d ^= s),
            BitOp::Not => {}
        }
        // A longer source extends the result: its bytes met zeros in every earlier source.
        if let Some(extra) = src.get(common..).filter(|extra| !extra.is_empty()) {
            match op {
                BitOp::And => result.resize(src.len(), 0),
                _ => result.extend_from_slice(extra),
            }
        }
    }
    let (db, now) = (ctx.db(), ctx.now_ms());
    let len = result.len();
    if len > 0 {
        // Replaces whatever the destination held, TTL included.
        let entry = Entry::new(Value::Str(StrValue::raw(result)));
        ctx.shard.keyspace.insert(db, dest, entry, now);
    } else {
        ctx.shard.keyspace.remove(db, dest, now);
    }
    ctx.reply().integer(len as i64);
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// BITFIELD / BITFIELD_RO
// ---------------------------------------------------------------------------------------------

#[derive(Clone, Copy, PartialEq, Eq)]
enum Overflow {
    Wrap,
    Sat,
    Fail,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum FieldOp {
    Get,
    Set,
    IncrBy,
}

#[derive(Clone, Copy)]
struct Field {
    op: FieldOp,
    signed: bool,
    bits: u32,
    offset: u64,
    /// SET's value or INCRBY's increment.
    value: i64,
    overflow: Overflow,
}

/// A field type: `i1`..`i64` or `u1`..`u63` (lower-case letter, as Redis).
fn parse_field_type(arg: &[u8]) -> Result<(bool, u32), CmdError> {
    let signed = match arg.first() {
        Some(b'i') => true,
        Some(b'u') => false,
        _ => return Err(CmdError::msg(BAD_TYPE)),
    };
    // Redis reads the width as a C string: it stops at a NUL byte.
    let digits = &arg[1..];
    let digits = &digits[..digits.iter().position(|&b| b == 0).unwrap_or(digits.len())];
    let max = if signed { 64 } else { 63 };
    match protocol::parse_i64(digits) {
        Some(bits) if (1..=max).contains(&bits) => Ok((signed, bits as u32)),
        _ => Err(CmdError::msg(BAD_TYPE)),
    }
}

/// The unsigned value of the `bits`-wide field at bit `offset` (zero past the end).
fn read_field(bytes: &[u8], offset: u64, bits: u32) -> u64 {
    (0..bits as u64).fold(0u64, |acc, i| (acc << 1) | bit_at(bytes, offset + i) as u64)
}

/// The field as a two's-complement signed value.
fn read_signed_field(bytes: &[u8], offset: u64, bits: u32) -> i64 {
    let raw = read_field(bytes, offset, bits);
    if bits < 64 && raw & (1u64 << (bits - 1)) != 0 {
        (raw | (u64::MAX << bits)) as i64
    } else {
        raw as i64
    }
}

/// Store the low `bits` bits of `value` at bit `offset`, most significant first.
fn write_field(bytes: &mut [u8], offset: u64, bits: u32, value: u64) {
    for i in 0..bits as u64 {
        let on = (value >> (bits as u64 - 1 - i)) & 1 == 1;
        set_bit(bytes, offset + i, on);
    }
}

/// `value + incr` for a signed field of `bits`, or `None` when it overflows under FAIL.
///
/// The overflow test is Redis's, quirks included: it compares against limits computed with
/// wrapping 64-bit arithmetic, so a SET of a value within `max` of `i64::MIN` on a narrow
/// field counts as overflowing upwards (saturating to the maximum).
fn signed_result(value: i64, incr: i64, bits: u32, overflow: Overflow) -> Option<i64> {
    let max = if bits == 64 {
        i64::MAX
    } else {
        (1i64 << (bits - 1)) - 1
    };
    let min = -max - 1;
    let room_up = (max as u64).wrapping_sub(value as u64) as i64;
    let room_down = min.wrapping_sub(value);
    let wrapped = || {
        let sum = (value as u64).wrapping_add(incr as u64);
        if bits == 64 {
            return sum as i64;
        }
        let high = u64::MAX << bits;
        if sum & (1u64 << (bits - 1)) != 0 {
            (sum | high) as i64
        } else {
            (sum & !high) as i64
        }
    };
    let up =
        value > max || (bits != 64 && incr > room_up) || (value >= 0 && incr > 0 && incr > room_up);
    let down = value < min
        || (bits != 64 && incr < room_down)
        || (value < 0 && incr < 0 && incr < room_down);
    if !up && !down {
        return Some(value.wrapping_add(incr));
    }
    match overflow {
        Overflow::Wrap => Some(wrapped()),
        Overflow::Sat => Some(if up { max } else { min }),
        Overflow::Fail => None,
    }
}

/// `value + incr` for an unsigned field of `bits` (at most 63), or `None` when it overflows
/// under FAIL. A negative SET value is taken as its 64-bit two's complement, as Redis does.
fn unsigned_result(value: u64, incr: i64, bits: u32, overflow: Overflow) -> Option<u64> {
    let max = (1u64 << bits) - 1;
    let room_up = max.wrapping_sub(value) as i64;
    let room_down = 0u64.wrapping_sub(value) as i64;
    let up = value > max || (incr > 0 && incr > room_up);
    let down = !up && incr < 0 && incr < room_down;
    if !up && !down {
        return Some(value.wrapping_add(incr as u64));
    }
    match overflow {
        Overflow::Wrap => Some(value.wrapping_add(incr as u64) & max),
        Overflow::Sat => Some(if up { max } else { 0 }),
        Overflow::Fail => None,
    }
}

/// BITFIELD key [GET type offset | [OVERFLOW WRAP|SAT|FAIL] SET type offset value |
/// [OVERFLOW WRAP|SAT|FAIL] INCRBY type offset increment ...]
fn bitfield(ctx: &mut Ctx<'_>, args: &[&[u8]]) -> CmdResult {
    bitfield_generic(ctx, args, false)
}

/// BITFIELD_RO key [GET type offset ...]
fn bitfield_ro(ctx: &mut Ctx<'_>, args: &[&[u8]]) -> CmdResult {
    bitfield_generic(ctx, args, true)
}

fn bitfield_generic(ctx: &mut Ctx<'_>, args: &[&[u8]], read_only: bool) -> CmdResult {
    let mut fields: Vec<Field> = Vec::new();
    let mut overflow = Overflow::Wrap;
    // The last bit any SET/INCRBY touches, if there is one.
    let mut highest_write: Option<u64> = None;
    let mut i = 2;
    while let Some(sub) = args.get(i) {
        let remaining = args.len() - i - 1;
        let op = if sub.eq_ignore_ascii_case(b"get") && remaining >= 2 {
            FieldOp::Get
        } else if sub.eq_ignore_ascii_case(b"set") && remaining >= 3 {
            FieldOp::Set
        } else if sub.eq_ignore_ascii_case(b"incrby") && remaining >= 3 {
            FieldOp::IncrBy
        } else if sub.eq_ignore_ascii_case(b"overflow") && remaining >= 1 {
            let kind = args[i + 1];
            overflow = if kind.eq_ignore_ascii_case(b"wrap") {
                Overflow::Wrap
            } else if kind.eq_ignore_ascii_case(b"sat") {
                Overflow::Sat
            } else if kind.eq_ignore_ascii_case(b"fail") {
                Overflow::Fail
            } else {
                return Err(CmdError::msg("ERR Invalid OVERFLOW type specified"));
            };
            i += 2;
            continue;
        } else {
            return Err(CmdError::Syntax);
        };
        let (signed, bits) = parse_field_type(args[i + 1])?;
        let offset = parse_bit_offset(args[i + 2], Some(bits))?;
        let mut value = 0;
        if op != FieldOp::Get {
            let last = offset + bits as u64 - 1;
            highest_write = Some(highest_write.map_or(last, |h| h.max(last)));
            value = crate::args::parse_i64(args[i + 3])?;
        }
        fields.push(Field {
            op,
            signed,
            bits,
            offset,
            value,
            overflow,
        });
        i += if op == FieldOp::Get { 3 } else { 4 };
    }

    let key = args[1];
    let Some(highest_write) = highest_write else {
        // Only reads: a missing key reads as zeros.
        let (entry, mut reply) = ctx.lookup_read(key);
        let mut buf = itoa::Buffer::new();
        let bytes: &[u8] = match entry {
            Some(entry) => entry.value.as_str()?.as_bytes(&mut buf),
            None => &[],
        };
        reply.array(fields.len());
        for f in &fields {
            if f.signed {
                reply.integer(read_signed_field(bytes, f.offset, f.bits));
            } else {
                reply.integer(read_field(bytes, f.offset, f.bits) as i64);
            }
        }
        return Ok(());
    };
    if read_only {
        return Err(CmdError::msg(
            "ERR BITFIELD_RO only supports the GET subcommand",
        ));
    }
    let db = ctx.db();
    let (shard, mut reply) = ctx.split();
    let bytes = bytes_for_write(shard, db, key, highest_write)?;
    reply.array(fields.len());
    for f in &fields {
        match (f.op, f.signed) {
            (FieldOp::Get, true) => reply.integer(read_signed_field(bytes, f.offset, f.bits)),
            (FieldOp::Get, false) => reply.integer(read_field(bytes, f.offset, f.bits) as i64),
            (op, true) => {
                let old = read_signed_field(bytes, f.offset, f.bits);
                let new = if op == FieldOp::IncrBy {
                    signed_result(old, f.value, f.bits, f.overflow)
                } else {
                    signed_result(f.value, 0, f.bits, f.overflow)
                };
                match new {
                    Some(new) => {
                        reply.integer(if op == FieldOp::IncrBy { new } else { old });
                        write_field(bytes, f.offset, f.bits, new as u64);
                    }
                    None => reply.null(),
                }
            }
            (op, false) => {
                let old = read_field(bytes, f.offset, f.bits);
                let new = if op == FieldOp::IncrBy {
                    unsigned_result(old, f.value, f.bits, f.overflow)
                } else {
                    unsigned_result(f.value as u64, 0, f.bits, f.overflow)
                };
                match new {
                    Some(new) => {
                        let shown = if op == FieldOp::IncrBy { new } else { old };
                        reply.integer(shown as i64);
                        write_field(bytes, f.offset, f.bits, new);
                    }
                    None => reply.null(),
                }
            }
        }
    }
    Ok(())
}

#[cfg(test)]
pub(crate) mod tests {
    use crate::families::test_util::TestShard;

    fn int(n: i64) -> String {
        format!(":{n}\r\n")
    }

    fn bulk(s: &[u8]) -> String {
        format!("${}\r\n{}\r\n", s.len(), String::from_utf8_lossy(s))
    }

    const SYNTAX: &str = "-ERR syntax error\r\n";
    const NOT_INT: &str = "-ERR value is not an integer or out of range\r\n";
    const WRONGTYPE: &str =
        "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n";
    const BAD_OFFSET: &str = "-ERR bit offset is not an integer or out of range\r\n";

    /// A minimal RESP client for differential runs against a real Redis.
    pub(crate) struct RealRedis {
        stream: std::net::TcpStream,
        buf: Vec<u8>,
    }

    impl RealRedis {
        /// Connects to `127.0.0.1:$SHARDIS_DIFF_PORT` and selects (and empties) database
        /// `db`, or `None` when the variable is unset (the differential tests then do nothing).
        /// Each test uses its own database, so tests can run side by side.
        pub(crate) fn connect(t: &mut TestShard, db: usize) -> Option<Self> {
            let port = std::env::var("SHARDIS_DIFF_PORT").ok()?;
            let stream = std::net::TcpStream::connect(format!("127.0.0.1:{port}")).ok()?;
            let mut redis = RealRedis {
                stream,
                buf: Vec::new(),
            };
            let db = db.to_string();
            redis.run(&[b"SELECT", db.as_bytes()]);
            redis.run(&[b"FLUSHDB"]);
            t.run(&["SELECT", &db]);
            Some(redis)
        }

        pub(crate) fn run(&mut self, args: &[&[u8]]) -> Vec<u8> {
            use std::io::{Read, Write};
            let mut req = format!("*{}\r\n", args.len()).into_bytes();
            for a in args {
                req.extend_from_slice(format!("${}\r\n", a.len()).as_bytes());
                req.extend_from_slice(a);
                req.extend_from_slice(b"\r\n");
            }
            self.stream.write_all(&req).expect("write to redis");
            loop {
                if let Some(n) = protocol::reply_len(&self.buf) {
                    let reply = self.buf[..n].to_vec();
                    self.buf.drain(..n);
                    return reply;
                }
                let mut chunk = [0u8; 65536];
                let n = self.stream.read(&mut chunk).expect("read from redis");
                assert!(n > 0, "redis closed the connection");
                self.buf.extend_from_slice(&chunk[..n]);
            }
        }
    }

    /// Runs a command on both and asserts identical replies; returns the reply.
    pub(crate) fn both(t: &mut TestShard, redis: &mut RealRedis, args: &[&[u8]]) -> Vec<u8> {
        let mut ours = Vec::new();
        t.shard.run(&mut t.client, args, &mut ours);
        let theirs = redis.run(args);
        assert!(
            ours == theirs,
            "ours {:?}\ntheirs {:?}\n{:?}",
            String::from_utf8_lossy(&ours),
            String::from_utf8_lossy(&theirs),
            args.iter()
                .map(|a| String::from_utf8_lossy(a).into_owned())
                .collect::<Vec<_>>()
        );
        ours
    }

    pub(crate) struct Rng(pub u64);

    impl Rng {
        pub(crate) fn next(&mut self) -> u64 {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            self.0
        }

        pub(crate) fn below(&mut self, n: u64) -> u64 {
            self.next() % n
        }

        pub(crate) fn range(&mut self, lo: i64, hi: i64) -> i64 {
            lo + self.below((hi - lo + 1) as u64) as i64
        }
    }

    fn random_value(rng: &mut Rng) -> Vec<u8> {
        match rng.below(6) {
            0 => rng.range(-999, 99999).to_string().into_bytes(),
            1 => vec![0xff; rng.below(4) as usize],
            2 => vec![0x00; rng.below(4) as usize],
            _ => (0..rng.below(7)).map(|_| rng.next() as u8).collect(),
        }
    }

    fn random_index(rng: &mut Rng) -> String {
        match rng.below(10) {
            0 => "9223372036854775807".into(),
            1 => "-9223372036854775808".into(),
            _ => rng.range(-60, 60).to_string(),
        }
    }

    /// Random BITCOUNT / BITPOS / GETBIT / SETBIT / BITOP over small strings, against the
    /// real server (run with SHARDIS_DIFF_PORT set).
    #[test]
    fn differential_bit_ops() {
        let mut t = TestShard::new();
        let Some(mut redis) = RealRedis::connect(&mut t, 1) else {
            return;
        };
        let mut rng = Rng(0x9e3779b97f4a7c15);
        let keys: [&[u8]; 4] = [b"a", b"b", b"c", b"d"];
        for round in 0..20000 {
            let key = keys[rng.below(4) as usize];
            if round % 7 == 0 {
                let v = random_value(&mut rng);
                both(&mut t, &mut redis, &[b"SET", key, &v]);
            }
            let mut args: Vec<Vec<u8>> = Vec::new();
            match rng.below(6) {
                0 => {
                    args.push(b"BITCOUNT".to_vec());
                    args.push(key.to_vec());
                    let n = rng.below(5);
                    for i in 0..n {
                        if i == 2 {
                            let u: &[u8] = [&b"BIT"[..], b"byte", b"x"][rng.below(3) as usize];
                            args.push(u.to_vec());
                        } else {
                            args.push(random_index(&mut rng).into_bytes());
                        }
                    }
                }
                1 | 2 => {
                    args.push(b"BITPOS".to_vec());
                    args.push(key.to_vec());
                    args.push(rng.range(0, 1).to_string().into_bytes());
                    let n = rng.below(5);
                    for i in 0..n {
                        if i == 2 {
                            let u: &[u8] = [&b"bit"[..], b"BYTE", b"x"][rng.below(3) as usize];
                            args.push(u.to_vec());
                        } else {
                            args.push(random_index(&mut rng).into_bytes());
                        }
                    }
                }
                3 => {
                    args.push(b"GETBIT".to_vec());
                    args.push(key.to_vec());
                    args.push(rng.range(0, 70).to_string().into_bytes());
                }
                4 => {
                    args.push(b"SETBIT".to_vec());
                    args.push(key.to_vec());
                    args.push(rng.range(0, 70).to_string().into_bytes());
                    args.push(rng.range(0, 1).to_string().into_bytes());
                }
                _ => {
                    args.push(b"BITOP".to_vec());
                    let op: &[u8] = [&b"AND"[..], b"or", b"Xor", b"NOT"][rng.below(4) as usize];
                    args.push(op.to_vec());
                    args.push(keys[rng.below(4) as usize].to_vec());
                    let n = if op == b"NOT" { 1 } else { 1 + rng.below(3) };
                    for _ in 0..n {
                        let k: &[u8] =
                            [&b"a"[..], b"b", b"c", b"d", b"missing"][rng.below(5) as usize];
                        args.push(k.to_vec());
                    }
                }
            }
            let refs: Vec<&[u8]> = args.iter().map(|a| a.as_slice()).collect();
            both(&mut t, &mut redis, &refs);
            for k in keys {
                both(&mut t, &mut redis, &[b"GET", k]);
            }
        }
    }

    fn random_type(rng: &mut Rng) -> String {
        match rng.below(20) {
            0 => "i64".into(),
            1 => "u63".into(),
            2 => "u64".into(),
            3 => "i0".into(),
            4 => "I8".into(),
            _ => format!(
                "{}{}",
                if rng.below(2) == 0 { "i" } else { "u" },
                rng.range(1, 64)
            ),
        }
    }

    fn random_field_value(rng: &mut Rng) -> String {
        match rng.below(12) {
            0 => "9223372036854775807".into(),
            1 => "-9223372036854775808".into(),
            2 => (i64::MIN + rng.range(0, 300)).to_string(),
            3 => (i64::MAX - rng.range(0, 300)).to_string(),
            4 => ((rng.next() >> 1) as i64).to_string(),
            5 => (-((rng.next() >> 1) as i64)).to_string(),
            6 => (1i64 << rng.range(0, 62)).to_string(),
            7 => (-(1i64 << rng.range(0, 62))).to_string(),
            _ => rng.range(-300, 300).to_string(),
        }
    }

    /// Random BITFIELD / BITFIELD_RO programs against the real server.
    #[test]
    fn differential_bitfield() {
        let mut t = TestShard::new();
        let Some(mut redis) = RealRedis::connect(&mut t, 2) else {
            return;
        };
        let mut rng = Rng(0x1234_5678_9abc_def1);
        let keys: [&[u8]; 2] = [b"f", b"g"];
        for round in 0..20000 {
            let key = keys[rng.below(2) as usize];
            if round % 50 == 0 {
                let v = random_value(&mut rng);
                both(&mut t, &mut redis, &[b"SET", key, &v]);
            }
            let cmd: &[u8] = if rng.below(5) == 0 {
                b"BITFIELD_RO"
            } else {
                b"BITFIELD"
            };
            let mut args: Vec<Vec<u8>> = vec![cmd.to_vec(), key.to_vec()];
            for _ in 0..rng.below(4) {
                match rng.below(12) {
                    0..=2 => {
                        args.push(b"GET".to_vec());
                        args.push(random_type(&mut rng).into_bytes());
                    }
                    3..=5 => {
                        args.push(b"set".to_vec());
                        args.push(random_type(&mut rng).into_bytes());
                    }
                    6..=8 => {
                        args.push(b"IncrBy".to_vec());
                        args.push(random_type(&mut rng).into_bytes());
                    }
                    9 | 10 => {
                        args.push(b"OVERFLOW".to_vec());
                        let o: &[u8] =
                            [&b"WRAP"[..], b"sat", b"Fail", b"nope"][rng.below(4) as usize];
                        args.push(o.to_vec());
                        continue;
                    }
                    _ => {
                        args.push(b"bogus".to_vec());
                        continue;
                    }
                }
                let offset = match rng.below(10) {
                    0 => format!("#{}", rng.range(0, 5)),
                    1 => "-1".into(),
                    2 => "x".into(),
                    _ => rng.range(0, 80).to_string(),
                };
                args.push(offset.into_bytes());
                let last = args.len() - 3;
                if args[last] != b"GET" {
                    args.push(random_field_value(&mut rng).into_bytes());
                }
            }
            let refs: Vec<&[u8]> = args.iter().map(|a| a.as_slice()).collect();
            both(&mut t, &mut redis, &refs);
            both(&mut t, &mut redis, &[b"GET", key]);
        }
    }

    /// A scripted session: each step is a command and the exact reply Redis 7.0 gives.
    /// With SHARDIS_DIFF_PORT set, every step is also checked against the real server.
    pub(crate) fn script(db: usize, steps: &[(&[&str], &str)]) -> TestShard {
        let mut t = TestShard::new();
        let mut redis = RealRedis::connect(&mut t, db);
        for (args, expected) in steps {
            assert_eq!(t.run(args), *expected, "{args:?}");
            if let Some(redis) = redis.as_mut() {
                let args: Vec<&[u8]> = args.iter().map(|a| a.as_bytes()).collect();
                let theirs = redis.run(&args);
                assert_eq!(
                    String::from_utf8_lossy(&theirs),
                    *expected,
                    "redis: {args:?}"
                );
            }
        }
        t
    }

    #[test]
    fn setbit_getbit() {
        let mut t = script(
            3,
            &[
                (&["SETBIT", "k", "7", "1"], &int(0)),
                (&["GET", "k"], &bulk(b"\x01")),
                (&["SETBIT", "k", "7", "1"], &int(1)),
                (&["SETBIT", "k", "7", "0"], &int(1)),
                (&["SETBIT", "k", "0", "1"], &int(0)),
                (&["SETBIT", "k", "23", "1"], &int(0)),
                (&["GET", "k"], &bulk(b"\x80\x00\x01")),
                (&["STRLEN", "k"], &int(3)),
                (&["GETBIT", "k", "0"], &int(1)),
                (&["GETBIT", "k", "1"], &int(0)),
                (&["GETBIT", "k", "23"], &int(1)),
                (&["GETBIT", "k", "4294967295"], &int(0)),
                (&["GETBIT", "missing", "100"], &int(0)),
                (&["SET", "n", "1"], "+OK\r\n"),
                // "1" is 0x31 = 00110001.
                (&["GETBIT", "n", "2"], &int(1)),
                (&["GETBIT", "n", "7"], &int(1)),
                (&["GETBIT", "n", "8"], &int(0)),
                (&["SETBIT", "n", "6", "1"], &int(0)),
                (&["GET", "n"], &bulk(b"3")),
                (&["OBJECT", "ENCODING", "n"], "$3\r\nraw\r\n"),
                (&["SETBIT", "k", "-1", "1"], BAD_OFFSET),
                (&["SETBIT", "k", "4294967296", "1"], BAD_OFFSET),
                (&["SETBIT", "k", "#1", "1"], BAD_OFFSET),
                (&["SETBIT", "k", "x", "1"], BAD_OFFSET),
                (
                    &["SETBIT", "k", "1", "2"],
                    "-ERR bit is not an integer or out of range\r\n",
                ),
                (
                    &["SETBIT", "k", "1", "-1"],
                    "-ERR bit is not an integer or out of range\r\n",
                ),
                (
                    &["SETBIT", "k", "1", "x"],
                    "-ERR bit is not an integer or out of range\r\n",
                ),
                (&["SETBIT", "k", "x", "x"], BAD_OFFSET),
                (&["GETBIT", "k", "-1"], BAD_OFFSET),
                (&["GETBIT", "k", "4294967296"], BAD_OFFSET),
                (
                    &["SETBIT", "k"],
                    "-ERR wrong number of arguments for 'setbit' command\r\n",
                ),
                (
                    &["GETBIT", "k"],
                    "-ERR wrong number of arguments for 'getbit' command\r\n",
                ),
                (&["SET", "e", "x", "EX", "100"], "+OK\r\n"),
                (&["SETBIT", "e", "100", "1"], &int(0)),
                (&["STRLEN", "e"], &int(13)),
                (&["TTL", "e"], &int(100)),
            ],
        );
        let list = crate::value::Entry::new(crate::value::Value::List(Box::default()));
        t.shard.keyspace.insert(0, b"l", list, 0);
        t.client.db = 0;
        assert_eq!(t.run(&["SETBIT", "l", "1", "1"]), WRONGTYPE);
        assert_eq!(t.run(&["GETBIT", "l", "1"]), WRONGTYPE);
        assert_eq!(t.run(&["GETBIT", "l", "x"]), BAD_OFFSET);
        assert_eq!(t.run(&["BITCOUNT", "l"]), WRONGTYPE);
        assert_eq!(t.run(&["BITCOUNT", "l", "x", "y"]), WRONGTYPE);
        assert_eq!(t.run(&["BITPOS", "l", "1"]), WRONGTYPE);
        assert_eq!(
            t.run(&["BITPOS", "l", "2"]),
            "-ERR The bit argument must be 1 or 0.\r\n"
        );
        assert_eq!(t.run(&["BITOP", "AND", "d", "l"]), WRONGTYPE);
        assert_eq!(t.run(&["BITOP", "AND", "l", "missing"]), int(0));
        assert_eq!(t.run(&["EXISTS", "l"]), int(0));
        t.shard.keyspace.insert(
            0,
            b"l",
            crate::value::Entry::new(crate::value::Value::List(Box::default())),
            0,
        );
        assert_eq!(t.run(&["BITFIELD", "l", "GET", "u8", "0"]), WRONGTYPE);
        assert_eq!(t.run(&["BITFIELD", "l", "SET", "u8", "0", "1"]), WRONGTYPE);
        assert_eq!(t.run(&["BITFIELD_RO", "l", "GET", "u8", "0"]), WRONGTYPE);
        assert_eq!(t.run(&["BITFIELD", "l"]), WRONGTYPE);
        assert_eq!(
            t.run(&["BITFIELD", "l", "GET", "u64", "0"]),
            format!("-{}\r\n", super::BAD_TYPE)
        );
    }

    #[test]
    fn bitcount() {
        script(
            4,
            &[
                (&["BITCOUNT", "missing"], &int(0)),
                // A missing key answers 0 before its arguments are looked at (Redis 7.0).
                (&["BITCOUNT", "missing", "x", "y"], &int(0)),
                (&["BITCOUNT", "missing", "1"], &int(0)),
                (&["SET", "s", "foobar"], "+OK\r\n"),
                (&["BITCOUNT", "s"], &int(26)),
                (&["BITCOUNT", "s", "0", "0"], &int(4)),
                (&["BITCOUNT", "s", "1", "1"], &int(6)),
                (&["BITCOUNT", "s", "1", "1", "BYTE"], &int(6)),
                (&["BITCOUNT", "s", "5", "30", "BIT"], &int(17)),
                (&["BITCOUNT", "s", "5", "30", "bit"], &int(17)),
                (&["BITCOUNT", "s", "-2", "-1"], &int(7)),
                (&["BITCOUNT", "s", "-100", "100"], &int(26)),
                (&["BITCOUNT", "s", "-1", "-2"], &int(0)),
                (&["BITCOUNT", "s", "-1", "-2", "nonsense"], &int(0)),
                (&["BITCOUNT", "s", "3", "1"], &int(0)),
                (&["BITCOUNT", "s", "-3", "-1", "BIT"], &int(1)),
                (&["BITCOUNT", "s", "0", "-1", "BIT"], &int(26)),
                (&["BITCOUNT", "s", "1"], SYNTAX),
                (&["BITCOUNT", "s", "0", "1", "BYTES"], SYNTAX),
                (&["BITCOUNT", "s", "0", "1", "BIT", "x"], SYNTAX),
                (&["BITCOUNT", "s", "a", "1"], NOT_INT),
                (&["BITCOUNT", "s", "0", "1.5"], NOT_INT),
                (&["SET", "n", "-7"], "+OK\r\n"),
                (&["BITCOUNT", "n"], &int(9)),
                (
                    &["BITCOUNT"],
                    "-ERR wrong number of arguments for 'bitcount' command\r\n",
                ),
            ],
        );
    }

    #[test]
    fn bitpos() {
        script(
            5,
            &[
                (&["BITPOS", "missing", "1"], &int(-1)),
                (&["BITPOS", "missing", "0"], &int(0)),
                (&["BITPOS", "missing", "0", "x"], &int(0)),
                (
                    &["BITPOS", "missing", "2"],
                    "-ERR The bit argument must be 1 or 0.\r\n",
                ),
                (&["BITPOS", "missing", "x"], NOT_INT),
                (
                    &["BITFIELD", "s", "SET", "u24", "0", "4095"],
                    "*1\r\n:0\r\n",
                ),
                (&["BITPOS", "s", "1"], &int(12)),
                (&["BITPOS", "s", "0"], &int(0)),
                (&["BITPOS", "s", "1", "2"], &int(16)),
                (&["BITPOS", "s", "1", "-1"], &int(16)),
                (&["BITPOS", "s", "0", "2"], &int(24)),
                // With an explicit end, no clear bit in range is -1.
                (&["BITPOS", "s", "0", "2", "-1"], &int(-1)),
                (&["BITPOS", "s", "0", "2", "2"], &int(-1)),
                (&["BITPOS", "s", "1", "0", "0"], &int(-1)),
                (&["BITPOS", "s", "1", "3", "2"], &int(-1)),
                (&["BITPOS", "s", "0", "3", "2"], &int(-1)),
                (&["BITPOS", "s", "1", "7", "15", "BIT"], &int(12)),
                (&["BITPOS", "s", "1", "13", "-1", "BIT"], &int(13)),
                (&["BITPOS", "s", "1", "0", "11", "BIT"], &int(-1)),
                (&["BITPOS", "s", "0", "12", "-1", "BIT"], &int(-1)),
                (&["BITPOS", "s", "0", "12", "-1", "byte"], &int(-1)),
                (&["BITPOS", "s", "0", "12"], &int(-1)),
                (&["BITPOS", "s", "0", "-1"], &int(24)),
                (&["BITPOS", "s", "0", "1", "-1", "BIT"], &int(1)),
                (
                    &["BITFIELD", "f", "SET", "u16", "0", "65535"],
                    "*1\r\n:0\r\n",
                ),
                (&["BITPOS", "f", "0"], &int(16)),
                (&["BITPOS", "f", "0", "0"], &int(16)),
                (&["BITPOS", "f", "0", "0", "-1"], &int(-1)),
                (&["BITPOS", "f", "0", "3", "BIT"], NOT_INT),
                (&["BITPOS", "s", "1", "0", "1", "WORD"], SYNTAX),
                (&["BITPOS", "s", "1", "0", "1", "BIT", "x"], SYNTAX),
                (&["BITPOS", "s", "1", "x"], NOT_INT),
                (&["BITPOS", "s", "1", "0", "x"], NOT_INT),
                (&["BITPOS", "s", "1", "0", "x", "FOO"], SYNTAX),
                (
                    &["BITPOS", "s"],
                    "-ERR wrong number of arguments for 'bitpos' command\r\n",
                ),
            ],
        );
    }

    #[test]
    fn bitop() {
        let mut t = script(
            6,
            &[
                (&["SET", "a", "abc"], "+OK\r\n"),
                (&["SET", "b", "\x0f"], "+OK\r\n"),
                (&["BITOP", "AND", "d", "a", "b"], &int(3)),
                (&["GET", "d"], &bulk(b"\x01\x00\x00")),
                (&["OBJECT", "ENCODING", "d"], "$3\r\nraw\r\n"),
                (&["BITOP", "or", "d", "a", "b"], &int(3)),
                (&["GET", "d"], &bulk(b"obc")),
                (&["BITOP", "XOR", "d", "a", "b", "missing"], &int(3)),
                (&["GET", "d"], &bulk(b"nbc")),
                (&["BITOP", "NOT", "d", "b"], &int(1)),
                (&["GET", "d"], &bulk(b"\xf0")),
                (&["BITOP", "AND", "d", "a", "missing"], &int(3)),
                (&["GET", "d"], &bulk(b"\x00\x00\x00")),
                (&["SET", "d", "x", "EX", "100"], "+OK\r\n"),
                (&["BITOP", "OR", "d", "d", "a"], &int(3)),
                (&["GET", "d"], &bulk(b"ybc")),
                (&["TTL", "d"], &int(-1)),
                // An empty result deletes the destination.
                (&["BITOP", "NOT", "d", "missing"], &int(0)),
                (&["EXISTS", "d"], &int(0)),
                (&["SET", "n", "12"], "+OK\r\n"),
                (&["BITOP", "AND", "d", "n", "n"], &int(2)),
                (&["GET", "d"], &bulk(b"12")),
                (
                    &["BITOP", "NOT", "d", "a", "b"],
                    "-ERR BITOP NOT must be called with a single source key.\r\n",
                ),
                (&["BITOP", "NAND", "d", "a"], SYNTAX),
                (&["BITOP", "NAND", "d", "a", "b"], SYNTAX),
                (
                    &["BITOP", "AND", "d"],
                    "-ERR wrong number of arguments for 'bitop' command\r\n",
                ),
            ],
        );
        assert_eq!(t.run(&["EXISTS", "d"]), int(1));
    }

    #[test]
    fn bitfield() {
        script(
            7,
            &[
                (&["BITFIELD", "k"], "*0\r\n"),
                (&["EXISTS", "k"], &int(0)),
                (&["BITFIELD", "k", "GET", "u8", "0"], "*1\r\n:0\r\n"),
                (&["EXISTS", "k"], &int(0)),
                (
                    &["BITFIELD", "k", "SET", "u8", "0", "255", "GET", "u8", "0"],
                    "*2\r\n:0\r\n:255\r\n",
                ),
                (
                    &["BITFIELD", "k", "INCRBY", "u8", "0", "10"],
                    "*1\r\n:9\r\n",
                ),
                (
                    &[
                        "BITFIELD", "k", "OVERFLOW", "SAT", "INCRBY", "u8", "0", "300",
                    ],
                    "*1\r\n:255\r\n",
                ),
                (
                    &[
                        "BITFIELD", "k", "OVERFLOW", "FAIL", "INCRBY", "u8", "0", "1",
                    ],
                    "*1\r\n$-1\r\n",
                ),
                (
                    &[
                        "BITFIELD", "k", "OVERFLOW", "fail", "INCRBY", "u8", "0", "-1", "OVERFLOW",
                        "WRAP", "INCRBY", "u8", "0", "2",
                    ],
                    "*2\r\n:254\r\n:0\r\n",
                ),
                (
                    &[
                        "BITFIELD", "k", "SET", "i8", "#1", "-128", "GET", "i8", "8", "GET", "u8",
                        "8",
                    ],
                    "*3\r\n:0\r\n:-128\r\n:128\r\n",
                ),
                (&["GET", "k"], &bulk(b"\x00\x80")),
                (
                    &[
                        "BITFIELD", "k", "OVERFLOW", "SAT", "INCRBY", "i8", "8", "-1", "INCRBY",
                        "i8", "8", "300",
                    ],
                    "*2\r\n:-128\r\n:127\r\n",
                ),
                (
                    &["BITFIELD", "k", "INCRBY", "i8", "8", "1"],
                    "*1\r\n:-128\r\n",
                ),
                (
                    &[
                        "BITFIELD", "k", "SET", "i64", "0", "-1", "GET", "u63", "0", "GET", "i64",
                        "0", "GET", "i64", "1",
                    ],
                    "*4\r\n:36028797018963968\r\n:9223372036854775807\r\n:-1\r\n:-2\r\n",
                ),
                (&["STRLEN", "k"], &int(8)),
                (
                    &[
                        "BITFIELD",
                        "k",
                        "INCRBY",
                        "i64",
                        "0",
                        "-9223372036854775808",
                    ],
                    "*1\r\n:9223372036854775807\r\n",
                ),
                (
                    &[
                        "BITFIELD", "k", "OVERFLOW", "SAT", "INCRBY", "i64", "0", "1",
                    ],
                    "*1\r\n:9223372036854775807\r\n",
                ),
                (
                    &[
                        "BITFIELD", "k", "OVERFLOW", "FAIL", "INCRBY", "i64", "0", "1",
                    ],
                    "*1\r\n$-1\r\n",
                ),
                // Redis's overflow test quirk: a SET near i64::MIN saturates upwards.
                (
                    &[
                        "BITFIELD",
                        "k",
                        "OVERFLOW",
                        "SAT",
                        "SET",
                        "i8",
                        "0",
                        "-9223372036854775808",
                        "GET",
                        "i8",
                        "0",
                    ],
                    "*2\r\n:127\r\n:127\r\n",
                ),
                (
                    &[
                        "BITFIELD", "k", "OVERFLOW", "SAT", "SET", "i8", "0", "-1000", "GET", "i8",
                        "0",
                    ],
                    "*2\r\n:127\r\n:-128\r\n",
                ),
                (
                    &[
                        "BITFIELD", "k", "OVERFLOW", "SAT", "SET", "u8", "0", "-1", "GET", "u8",
                        "0",
                    ],
                    "*2\r\n:128\r\n:255\r\n",
                ),
                (
                    &["BITFIELD", "k", "SET", "u4", "3", "21", "GET", "u4", "3"],
                    "*2\r\n:15\r\n:5\r\n",
                ),
                // A write beyond the end grows the string even when it fails.
                (
                    &["BITFIELD", "w", "OVERFLOW", "FAIL", "SET", "u2", "20", "4"],
                    "*1\r\n$-1\r\n",
                ),
                (&["GET", "w"], &bulk(b"\x00\x00\x00")),
                (
                    &["BITFIELD", "w", "GET", "u8", "100", "GET", "i1", "#0"],
                    "*2\r\n:0\r\n:0\r\n",
                ),
                (
                    &["BITFIELD", "k", "GET", "u64", "0"],
                    &format!("-{}\r\n", super::BAD_TYPE),
                ),
                (
                    &["BITFIELD", "k", "GET", "i65", "0"],
                    &format!("-{}\r\n", super::BAD_TYPE),
                ),
                (
                    &["BITFIELD", "k", "GET", "i0", "0"],
                    &format!("-{}\r\n", super::BAD_TYPE),
                ),
                (
                    &["BITFIELD", "k", "GET", "I8", "0"],
                    &format!("-{}\r\n", super::BAD_TYPE),
                ),
                (
                    &["BITFIELD", "k", "GET", "8", "0"],
                    &format!("-{}\r\n", super::BAD_TYPE),
                ),
                (&["BITFIELD", "k", "GET", "u8", "-1"], BAD_OFFSET),
                (&["BITFIELD", "k", "GET", "u8", "#-1"], BAD_OFFSET),
                (&["BITFIELD", "k", "GET", "u8", "4294967296"], BAD_OFFSET),
                (&["BITFIELD", "k", "GET", "u8", "#536870912"], BAD_OFFSET),
                (&["BITFIELD", "k", "GET", "u8", "x"], BAD_OFFSET),
                (&["BITFIELD", "k", "SET", "u8", "0", "x"], NOT_INT),
                (&["BITFIELD", "k", "GET", "u8"], SYNTAX),
                (&["BITFIELD", "k", "SET", "u8", "0"], SYNTAX),
                (&["BITFIELD", "k", "FOO"], SYNTAX),
                (&["BITFIELD", "k", "OVERFLOW"], SYNTAX),
                (
                    &["BITFIELD", "k", "OVERFLOW", "MAX"],
                    "-ERR Invalid OVERFLOW type specified\r\n",
                ),
                (
                    &["BITFIELD_RO", "k", "GET", "u8", "0", "GET", "i4", "#1"],
                    "*2\r\n:235\r\n:-5\r\n",
                ),
                (
                    &["BITFIELD_RO", "k", "OVERFLOW", "SAT", "GET", "u8", "0"],
                    "*1\r\n:235\r\n",
                ),
                (
                    &["BITFIELD_RO", "k", "SET", "u8", "0", "1"],
                    "-ERR BITFIELD_RO only supports the GET subcommand\r\n",
                ),
                (
                    &["BITFIELD_RO", "k", "INCRBY", "u8", "0", "1"],
                    "-ERR BITFIELD_RO only supports the GET subcommand\r\n",
                ),
                (&["BITFIELD_RO", "k", "INCRBY", "u8", "0", "x"], NOT_INT),
                (
                    &["BITFIELD_RO", "missing", "SET", "u8", "0", "1"],
                    "-ERR BITFIELD_RO only supports the GET subcommand\r\n",
                ),
                (&["BITFIELD_RO", "missing"], "*0\r\n"),
                (
                    &["BITFIELD"],
                    "-ERR wrong number of arguments for 'bitfield' command\r\n",
                ),
            ],
        );
    }

    #[test]
    fn bitfield_fail_is_null_in_resp3() {
        let mut t = TestShard::new();
        t.client.resp3 = true;
        assert_eq!(
            t.run(&["BITFIELD", "k", "OVERFLOW", "FAIL", "INCRBY", "u2", "0", "9"]),
            "*1\r\n_\r\n"
        );
    }
}
