//! Hash commands (Redis's `t_hash.c`): HSET/HMSET/HSETNX, HGET/HMGET/HGETALL/HKEYS/HVALS,
//! HDEL, HLEN, HEXISTS, HSTRLEN, HINCRBY/HINCRBYFLOAT, HRANDFIELD and HSCAN, with Redis
//! 7.0's replies, errors and listpack/hashtable conversions (see `types::hash`).

use crate::args::parse_i64;
use crate::command::{flags::*, CommandSpec, Handler, KeySpec, Merge, Routing};
use crate::ctx::Ctx;
use crate::error::{CmdError, CmdResult};
use crate::families::keys::parse_scan_cursor;
use crate::types::hash::HashValue;
use crate::value::{Entry, Value};
use protocol::Reply;

const READ_FAST: &[&str] = &["@read", "@hash", "@fast"];
const READ_SLOW: &[&str] = &["@read", "@hash", "@slow"];
const WRITE_FAST: &[&str] = &["@write", "@hash", "@fast"];

const SINGLE: Routing = Routing::Keys(Merge::Single);

/// `name, arity, flags, ACL categories, since, handler, summary`; every hash command has
/// its key first and runs where the key lives.
macro_rules! hash_cmd {
    ($name:expr, $arity:expr, $flags:expr, $acl:expr, $since:expr, $handler:expr,
     $summary:expr) => {
        CommandSpec {
            name: $name,
            arity: $arity,
            flags: $flags,
            keys: KeySpec::FIRST,
            acl: $acl,
            group: "hash",
            since: $since,
            summary: $summary,
            routing: SINGLE,
            handler: $handler as Handler,
        }
    };
}

#[rustfmt::skip]
pub static COMMANDS: &[CommandSpec] = &[
    hash_cmd!("hset", -4, WRITE | DENYOOM | FAST, WRITE_FAST, "2.0.0", hset,
        "Set the string value of a hash field"),
    hash_cmd!("hsetnx", 4, WRITE | DENYOOM | FAST, WRITE_FAST, "2.0.0", hsetnx,
        "Set the value of a hash field, only if the field does not exist"),
    hash_cmd!("hmset", -4, WRITE | DENYOOM | FAST, WRITE_FAST, "2.0.0", hmset,
        "Set multiple hash fields to multiple values"),
    hash_cmd!("hget", 3, READONLY | FAST, READ_FAST, "2.0.0", hget,
        "Get the value of a hash field"),
    hash_cmd!("hmget", -3, READONLY | FAST, READ_FAST, "2.0.0", hmget,
        "Get the values of all the given hash fields"),
    hash_cmd!("hgetall", 2, READONLY, READ_SLOW, "2.0.0", hgetall,
        "Get all the fields and values in a hash"),
    hash_cmd!("hdel", -3, WRITE | FAST, WRITE_FAST, "2.0.0", hdel,
        "Delete one or more hash fields"),
    hash_cmd!("hlen", 2, READONLY | FAST, READ_FAST, "2.0.0", hlen,
        "Get the number of fields in a hash"),
    hash_cmd!("hexists", 3, READONLY | FAST, READ_FAST, "2.0.0", hexists,
        "Determine if a hash field exists"),
    hash_cmd!("hkeys", 2, READONLY, READ_SLOW, "2.0.0", hkeys,
        "Get all the fields in a hash"),
    hash_cmd!("hvals", 2, READONLY, READ_SLOW, "2.0.0", hvals,
        "Get all the values in a hash"),
    hash_cmd!("hstrlen", 3, READONLY | FAST, READ_FAST, "3.2.0", hstrlen,
        "Get the length of the value of a hash field"),
    hash_cmd!("hincrby", 4, WRITE | DENYOOM | FAST, WRITE_FAST, "2.0.0", hincrby,
        "Increment the integer value of a hash field by the given number"),
    hash_cmd!("hincrbyfloat", 4, WRITE | DENYOOM | FAST, WRITE_FAST, "2.6.0", hincrbyfloat,
        "Increment the float value of a hash field by the given amount"),
    hash_cmd!("hrandfield", -2, READONLY, READ_SLOW, "6.2.0", hrandfield,
        "Get one or multiple random fields from a hash"),
    hash_cmd!("hscan", -3, READONLY, READ_SLOW, "2.8.0", hscan,
        "Incrementally iterate hash fields and associated values"),
];

// ---------------------------------------------------------------------------------------------
// Shared helpers
// ---------------------------------------------------------------------------------------------

/// The listpack thresholds in force.
#[derive(Clone, Copy)]
struct Limits {
    entries: usize,
    value: usize,
}

impl Limits {
    fn of(ctx: &Ctx<'_>) -> Self {
        Limits {
            entries: ctx.shard.settings.hash_max_listpack_entries,
            value: ctx.shard.settings.hash_max_listpack_value,
        }
    }
}

/// Run `f` on the hash at `key`, creating an empty one when the key is missing (Redis's
/// hashTypeLookupWriteOrCreate). A new hash is stored only if `f` succeeds and leaves it
/// non-empty; an existing hash left empty is deleted. The key's TTL is kept.
fn update_hash<R>(
    ctx: &mut Ctx<'_>,
    key: &[u8],
    f: impl FnOnce(&mut HashValue, Limits) -> Result<R, CmdError>,
) -> Result<R, CmdError> {
    let (db, now) = (ctx.db(), ctx.now_ms());
    let limits = Limits::of(ctx);
    let keyspace = &mut ctx.shard.keyspace;
    if let Some(entry) = keyspace.get(db, key, now) {
        let hash = entry.value.as_hash_mut()?;
        let out = f(hash, limits)?;
        if hash.is_empty() {
            keyspace.remove(db, key, now);
        }
        return Ok(out);
    }
    let mut hash = HashValue::new();
    let out = f(&mut hash, limits)?;
    if !hash.is_empty() {
        keyspace.insert(db, key, Entry::new(Value::Hash(hash)), now);
    }
    Ok(out)
}

/// The hash at `key` for reading (hit/miss counted), `None` when missing, WRONGTYPE else.
macro_rules! read_hash {
    ($ctx:expr, $key:expr, $missing:expr) => {{
        let (entry, mut reply) = $ctx.lookup_read($key);
        match entry {
            None => {
                #[allow(clippy::redundant_closure_call)]
                ($missing)(&mut reply);
                return Ok(());
            }
            Some(entry) => (entry.value.as_hash()?, reply),
        }
    }};
}

/// A small xorshift generator seeded from the shard's, so a handler can draw numbers while
/// it holds a borrowed hash.
struct Rng(u64);

impl Rng {
    fn new(seed: u64) -> Self {
        Rng(seed | 1)
    }

    fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.0 = x;
        x
    }

    /// Uniform-enough in `0..n` (n > 0).
    fn below(&mut self, n: usize) -> usize {
        ((self.next() as u128 * n as u128) >> 64) as usize
    }
}

// ---------------------------------------------------------------------------------------------
// Writes
// ---------------------------------------------------------------------------------------------

/// HSET key field value [field value ...]: the number of new fields.
fn hset(ctx: &mut Ctx<'_>, args: &[&[u8]]) -> CmdResult {
    let added = set_pairs(ctx, args, "hset")?;
    ctx.reply().integer(added as i64);
    Ok(())
}

/// HMSET key field value [field value ...]: +OK.
fn hmset(ctx: &mut Ctx<'_>, args: &[&[u8]]) -> CmdResult {
    set_pairs(ctx, args, "hmset")?;
    ctx.reply().ok();
    Ok(())
}

fn set_pairs(ctx: &mut Ctx<'_>, args: &[&[u8]], name: &'static str) -> Result<usize, CmdError> {
    if args.len() % 2 == 1 {
        return Err(CmdError::Arity(name.into()));
    }
    update_hash(ctx, args[1], |hash, limits| {
        let mut added = 0;
        for pair in args[2..].chunks_exact(2) {
            if hash.set(pair[0], pair[1], limits.entries, limits.value) {
                added += 1;
            }
        }
        Ok(added)
    })
}

/// HSETNX key field value: 1 if set, 0 if the field existed (which changes nothing, not
/// even the encoding).
fn hsetnx(ctx: &mut Ctx<'_>, args: &[&[u8]]) -> CmdResult {
    let set = update_hash(ctx, args[1], |hash, limits| {
        if hash.contains(args[2]) {
            return Ok(false);
        }
        hash.set(args[2], args[3], limits.entries, limits.value);
        Ok(true)
    })?;
    ctx.reply().integer(set as i64);
    Ok(())
}

/// HDEL key field [field ...]: the number removed; the key goes when the hash empties.
fn hdel(ctx: &mut Ctx<'_>, args: &[&[u8]]) -> CmdResult {
    let (db, now) = (ctx.db(), ctx.now_ms());
    let removed = match ctx.shard.keyspace.get(db, args[1], now) {
        None => 0,
        Some(entry) => {
            let hash = entry.value.as_hash_mut()?;
            let mut removed = 0i64;
            for field in &args[2..] {
                if hash.remove(field) {
                    removed += 1;
                    if hash.is_empty() {
                        break;
                    }
                }
            }
            if hash.is_empty() {
                ctx.shard.keyspace.remove(db, args[1], now);
            }
            removed
        }
    };
    ctx.reply().integer(removed);
    Ok(())
}

/// HINCRBY key field increment.
fn hincrby(ctx: &mut Ctx<'_>, args: &[&[u8]]) -> CmdResult {
    let incr = parse_i64(args[3])?;
    let value = update_hash(ctx, args[1], |hash, limits| {
        let current = match hash.get(args[2]) {
            Some(bytes) => protocol::parse_i64(bytes)
                .ok_or(CmdError::msg("ERR hash value is not an integer"))?,
            None => 0,
        };
        let value = current.checked_add(incr).ok_or(CmdError::Overflow)?;
        let mut buf = itoa::Buffer::new();
        hash.set(
            args[2],
            buf.format(value).as_bytes(),
            limits.entries,
            limits.value,
        );
        Ok(value)
    })?;
    ctx.reply().integer(value);
    Ok(())
}

/// HINCRBYFLOAT key field increment, in long double arithmetic as Redis.
fn hincrbyfloat(ctx: &mut Ctx<'_>, args: &[&[u8]]) -> CmdResult {
    use crate::long_double::{incr_by_float, IncrFloatError};
    // The increment alone: a valid, finite long double.
    match incr_by_float(b"0", args[3]) {
        Ok(_) => {}
        Err(IncrFloatError::NotFloat) => return Err(CmdError::NotFloat),
        Err(IncrFloatError::NanOrInfinity) => {
            return Err(CmdError::msg("ERR value is NaN or Infinity"))
        }
    }
    let text = update_hash(ctx, args[1], |hash, limits| {
        let current: &[u8] = hash.get(args[2]).unwrap_or(b"0");
        let text = incr_by_float(current, args[3]).map_err(|err| match err {
            IncrFloatError::NotFloat => CmdError::msg("ERR hash value is not a float"),
            IncrFloatError::NanOrInfinity => {
                CmdError::msg("ERR increment would produce NaN or Infinity")
            }
        })?;
        hash.set(args[2], &text, limits.entries, limits.value);
        Ok(text)
    })?;
    ctx.reply().bulk(&text);
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Reads
// ---------------------------------------------------------------------------------------------

/// HGET key field
fn hget(ctx: &mut Ctx<'_>, args: &[&[u8]]) -> CmdResult {
    let (hash, mut reply) = read_hash!(ctx, args[1], |r: &mut Reply<'_>| r.null());
    match hash.get(args[2]) {
        Some(value) => reply.bulk(value),
        None => reply.null(),
    }
    Ok(())
}

/// HMGET key field [field ...]
fn hmget(ctx: &mut Ctx<'_>, args: &[&[u8]]) -> CmdResult {
    let fields = &args[2..];
    let (hash, mut reply) = read_hash!(ctx, args[1], |r: &mut Reply<'_>| {
        r.array(fields.len());
        for _ in fields {
            r.null();
        }
    });
    reply.array(fields.len());
    for field in fields {
        match hash.get(field) {
            Some(value) => reply.bulk(value),
            None => reply.null(),
        }
    }
    Ok(())
}

/// HGETALL key: a map (RESP3) or flat array of fields and values.
fn hgetall(ctx: &mut Ctx<'_>, args: &[&[u8]]) -> CmdResult {
    let (hash, mut reply) = read_hash!(ctx, args[1], |r: &mut Reply<'_>| r.map(0));
    reply.map(hash.len());
    for (field, value) in hash.iter() {
        reply.bulk(field);
        reply.bulk(value);
    }
    Ok(())
}

/// HKEYS key
fn hkeys(ctx: &mut Ctx<'_>, args: &[&[u8]]) -> CmdResult {
    let (hash, mut reply) = read_hash!(ctx, args[1], |r: &mut Reply<'_>| r.array(0));
    reply.array(hash.len());
    for (field, _) in hash.iter() {
        reply.bulk(field);
    }
    Ok(())
}

/// HVALS key
fn hvals(ctx: &mut Ctx<'_>, args: &[&[u8]]) -> CmdResult {
    let (hash, mut reply) = read_hash!(ctx, args[1], |r: &mut Reply<'_>| r.array(0));
    reply.array(hash.len());
    for (_, value) in hash.iter() {
        reply.bulk(value);
    }
    Ok(())
}

/// HLEN key
fn hlen(ctx: &mut Ctx<'_>, args: &[&[u8]]) -> CmdResult {
    let (hash, mut reply) = read_hash!(ctx, args[1], |r: &mut Reply<'_>| r.integer(0));
    reply.integer(hash.len() as i64);
    Ok(())
}

/// HEXISTS key field
fn hexists(ctx: &mut Ctx<'_>, args: &[&[u8]]) -> CmdResult {
    let (hash, mut reply) = read_hash!(ctx, args[1], |r: &mut Reply<'_>| r.integer(0));
    reply.integer(hash.contains(args[2]) as i64);
    Ok(())
}

/// HSTRLEN key field
fn hstrlen(ctx: &mut Ctx<'_>, args: &[&[u8]]) -> CmdResult {
    let (hash, mut reply) = read_hash!(ctx, args[1], |r: &mut Reply<'_>| r.integer(0));
    reply.integer(hash.get(args[2]).map_or(0, |v| v.len()) as i64);
    Ok(())
}

/// HRANDFIELD key [count [WITHVALUES]]
fn hrandfield(ctx: &mut Ctx<'_>, args: &[&[u8]]) -> CmdResult {
    let seed = ctx.shard.random();
    let mut rng = Rng::new(seed);
    if args.len() < 3 {
        let (hash, mut reply) = read_hash!(ctx, args[1], |r: &mut Reply<'_>| r.null());
        let indexed = hash.indexed();
        match indexed.get(rng.below(indexed.len().max(1))) {
            Some((field, _)) => reply.bulk(field),
            None => reply.null(),
        }
        return Ok(());
    }
    let count = parse_i64(args[2])?;
    if count == i64::MIN {
        return Err(CmdError::msg(
            "ERR value is out of range, value must between -9223372036854775807 and \
             9223372036854775807",
        ));
    }
    if args.len() > 4 || (args.len() == 4 && !args[3].eq_ignore_ascii_case(b"withvalues")) {
        return Err(CmdError::Syntax);
    }
    let with_values = args.len() == 4;
    if with_values && !(-(i64::MAX / 2)..=i64::MAX / 2).contains(&count) {
        return Err(CmdError::msg("ERR value is out of range"));
    }
    let requested = count;
    let unique = count >= 0;
    let count = count.unsigned_abs();
    let resp3 = ctx.client.resp3;
    let (hash, mut reply) = read_hash!(ctx, args[1], |r: &mut Reply<'_>| r.array(0));
    super::check_repeated_picks(requested)?;
    let emit = |reply: &mut Reply<'_>, (field, value): (&[u8], &[u8])| {
        if with_values && resp3 {
            reply.array(2);
        }
        reply.bulk(field);
        if with_values {
            reply.bulk(value);
        }
    };
    let header = |reply: &mut Reply<'_>, n: usize| {
        reply.array(if with_values && !resp3 { n * 2 } else { n });
    };
    if count == 0 {
        reply.array(0);
        return Ok(());
    }
    let size = hash.len();
    // Case 1: repeats allowed (or one pick): independent draws, in random order.
    if !unique || count == 1 {
        let indexed = hash.indexed();
        header(&mut reply, count as usize);
        for _ in 0..count {
            if let Some(pair) = indexed.get(rng.below(size.max(1))) {
                emit(&mut reply, pair);
            }
        }
        return Ok(());
    }
    // Case 2: at least the whole hash: all of it.
    if count >= size as u64 {
        header(&mut reply, size);
        for pair in hash.iter() {
            emit(&mut reply, pair);
        }
        return Ok(());
    }
    let count = count as usize;
    let indexed = hash.indexed();
    header(&mut reply, count);
    if hash.is_listpack() || count * 3 > size {
        // Pick `count` distinct positions (partial Fisher-Yates); a listpack answers them
        // in its own order, as Redis's lpRandomPairsUnique.
        let mut positions: Vec<usize> = (0..size).collect();
        for i in 0..count {
            let j = i + rng.below(size - i);
            positions.swap(i, j);
        }
        positions.truncate(count);
        if hash.is_listpack() {
            positions.sort_unstable();
        }
        for i in positions {
            if let Some(pair) = indexed.get(i) {
                emit(&mut reply, pair);
            }
        }
    } else {
        // Few of many: draw until `count` distinct positions came up.
        let mut seen = std::collections::HashSet::with_capacity(count);
        while seen.len() < count {
            let i = rng.below(size);
            if seen.insert(i) {
                if let Some(pair) = indexed.get(i) {
                    emit(&mut reply, pair);
                }
            }
        }
    }
    Ok(())
}

/// HSCAN key cursor [MATCH pattern] [COUNT count]
fn hscan(ctx: &mut Ctx<'_>, args: &[&[u8]]) -> CmdResult {
    let cursor = parse_scan_cursor(args[2]).ok_or(CmdError::msg("ERR invalid cursor"))?;
    let (hash, mut reply) = read_hash!(ctx, args[1], |r: &mut Reply<'_>| {
        r.array(2);
        r.bulk(b"0");
        r.array(0);
    });
    let options = crate::args::ScanOptions::parse(args, 3)?;
    let mut found: Vec<(&[u8], &[u8])> = Vec::new();
    let next = hash.scan(cursor, options.count, |field, value| {
        if options.matches(field) {
            found.push((field, value));
        }
    });
    reply.array(2);
    let mut buf = itoa::Buffer::new();
    reply.bulk(buf.format(next).as_bytes());
    reply.array(found.len() * 2);
    for (field, value) in found {
        reply.bulk(field);
        reply.bulk(value);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use crate::families::test_util::TestShard;

    const OK: &str = "+OK\r\n";
    const NIL: &str = "$-1\r\n";
    const WRONGTYPE: &str =
        "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n";
    const SYNTAX: &str = "-ERR syntax error\r\n";
    const NOT_INT: &str = "-ERR value is not an integer or out of range\r\n";
    const NOT_FLOAT: &str = "-ERR value is not a valid float\r\n";

    fn bulk(s: &str) -> String {
        format!("${}\r\n{}\r\n", s.len(), s)
    }

    fn int(n: i64) -> String {
        format!(":{n}\r\n")
    }

    fn arr(items: &[&str]) -> String {
        let mut out = format!("*{}\r\n", items.len());
        for item in items {
            out.push_str(&bulk(item));
        }
        out
    }

    fn encoding(t: &mut TestShard, key: &str) -> String {
        t.run(&["OBJECT", "ENCODING", key])
    }

    fn limits(t: &TestShard) -> (usize, usize) {
        (
            t.shard.settings.hash_max_listpack_entries,
            t.shard.settings.hash_max_listpack_value,
        )
    }

    /// Parse a flat RESP2 array of bulk strings.
    fn bulks(reply: &str) -> Vec<String> {
        let mut lines = reply.split("\r\n");
        let header = lines.next().unwrap_or_default();
        assert!(header.starts_with('*'), "{reply}");
        let n: usize = header[1..].parse().unwrap_or(0);
        (0..n)
            .map(|_| {
                let len = lines.next().unwrap_or_default();
                assert!(len.starts_with('$'), "{reply}");
                lines.next().unwrap_or_default().to_string()
            })
            .collect()
    }

    #[test]
    fn hset_hget_and_arity() {
        let mut t = TestShard::new();
        assert_eq!(
            t.run(&["HSET", "h", "a"]),
            "-ERR wrong number of arguments for 'hset' command\r\n"
        );
        assert_eq!(
            t.run(&["HSET", "h", "a", "1", "b"]),
            "-ERR wrong number of arguments for 'hset' command\r\n"
        );
        assert_eq!(
            t.run(&["HMSET", "h", "a", "1", "b"]),
            "-ERR wrong number of arguments for 'hmset' command\r\n"
        );
        assert_eq!(t.run(&["EXISTS", "h"]), int(0));
        assert_eq!(t.run(&["HSET", "h", "a", "1", "b", "2", "a", "3"]), int(2));
        assert_eq!(t.run(&["HGETALL", "h"]), arr(&["a", "3", "b", "2"]));
        assert_eq!(t.run(&["HSET", "h", "a", "4", "c", ""]), int(1));
        assert_eq!(t.run(&["HMSET", "h", "d", "5"]), OK);
        assert_eq!(t.run(&["HGET", "h", "a"]), bulk("4"));
        assert_eq!(t.run(&["HGET", "h", "c"]), bulk(""));
        assert_eq!(t.run(&["HGET", "h", "zz"]), NIL);
        assert_eq!(t.run(&["HGET", "nokey", "a"]), NIL);
        assert_eq!(t.run(&["TYPE", "h"]), "+hash\r\n");
        assert_eq!(encoding(&mut t, "h"), bulk("listpack"));
        assert_eq!(t.run(&["SET", "s", "v"]), OK);
        for cmd in [
            &["HSET", "s", "a", "1"][..],
            &["HMSET", "s", "a", "1"],
            &["HSETNX", "s", "a", "1"],
            &["HGET", "s", "a"],
            &["HMGET", "s", "a"],
            &["HGETALL", "s"],
            &["HDEL", "s", "a"],
            &["HLEN", "s"],
            &["HEXISTS", "s", "a"],
            &["HKEYS", "s"],
            &["HVALS", "s"],
            &["HSTRLEN", "s", "a"],
            &["HINCRBY", "s", "a", "1"],
            &["HINCRBYFLOAT", "s", "a", "1"],
            &["HRANDFIELD", "s"],
            &["HRANDFIELD", "s", "1"],
            &["HSCAN", "s", "0"],
        ] {
            assert_eq!(t.run(cmd), WRONGTYPE, "{cmd:?}");
        }
    }

    #[test]
    fn writes_keep_ttl() {
        let mut t = TestShard::new();
        assert_eq!(t.run(&["HSET", "h", "a", "1"]), int(1));
        assert_eq!(t.run(&["EXPIRE", "h", "100"]), int(1));
        assert_eq!(t.run(&["HSET", "h", "b", "1"]), int(1));
        assert_eq!(t.run(&["HINCRBY", "h", "a", "1"]), int(2));
        assert_eq!(t.run(&["HDEL", "h", "b"]), int(1));
        assert_eq!(t.run(&["TTL", "h"]), int(100));
        t.advance_ms(100_000);
        assert_eq!(t.run(&["HGET", "h", "a"]), NIL);
    }

    #[test]
    fn hsetnx() {
        let mut t = TestShard::new();
        assert_eq!(t.run(&["HSETNX", "h", "a", "1"]), int(1));
        assert_eq!(t.run(&["HSETNX", "h", "a", "2"]), int(0));
        assert_eq!(t.run(&["HGET", "h", "a"]), bulk("1"));
        let (_, max_value) = limits(&t);
        let long = "x".repeat(max_value + 1);
        // An existing field changes nothing, not even the encoding.
        assert_eq!(t.run(&["HSETNX", "h", "a", &long]), int(0));
        assert_eq!(encoding(&mut t, "h"), bulk("listpack"));
        assert_eq!(t.run(&["HSETNX", "h", &long, "1"]), int(1));
        assert_eq!(encoding(&mut t, "h"), bulk("hashtable"));
    }

    #[test]
    fn hmget_hkeys_hvals_hlen_hexists_hstrlen() {
        let mut t = TestShard::new();
        assert_eq!(t.run(&["HMGET", "nokey", "a", "b"]), "*2\r\n$-1\r\n$-1\r\n");
        assert_eq!(t.run(&["HKEYS", "nokey"]), "*0\r\n");
        assert_eq!(t.run(&["HVALS", "nokey"]), "*0\r\n");
        assert_eq!(t.run(&["HGETALL", "nokey"]), "*0\r\n");
        assert_eq!(t.run(&["HLEN", "nokey"]), int(0));
        assert_eq!(t.run(&["HEXISTS", "nokey", "a"]), int(0));
        assert_eq!(t.run(&["HSTRLEN", "nokey", "a"]), int(0));
        assert_eq!(
            t.run(&["HSET", "h", "a", "abc", "b", "-12", "", ""]),
            int(3)
        );
        assert_eq!(
            t.run(&["HMGET", "h", "a", "zz", "b", ""]),
            "*4\r\n$3\r\nabc\r\n$-1\r\n$3\r\n-12\r\n$0\r\n\r\n"
        );
        assert_eq!(t.run(&["HKEYS", "h"]), arr(&["a", "b", ""]));
        assert_eq!(t.run(&["HVALS", "h"]), arr(&["abc", "-12", ""]));
        assert_eq!(t.run(&["HLEN", "h"]), int(3));
        assert_eq!(t.run(&["HEXISTS", "h", "a"]), int(1));
        assert_eq!(t.run(&["HEXISTS", "h", ""]), int(1));
        assert_eq!(t.run(&["HEXISTS", "h", "z"]), int(0));
        assert_eq!(t.run(&["HSTRLEN", "h", "a"]), int(3));
        assert_eq!(t.run(&["HSTRLEN", "h", "b"]), int(3));
        assert_eq!(t.run(&["HSTRLEN", "h", "z"]), int(0));
        t.client.resp3 = true;
        assert_eq!(t.run(&["HMGET", "h", "z", "a"]), "*2\r\n_\r\n$3\r\nabc\r\n");
        assert_eq!(t.run(&["HMGET", "nokey", "z"]), "*1\r\n_\r\n");
        assert_eq!(t.run(&["HGET", "h", "z"]), "_\r\n");
        assert_eq!(t.run(&["HGET", "nokey", "z"]), "_\r\n");
        assert_eq!(
            t.run(&["HGETALL", "h"]),
            "%3\r\n$1\r\na\r\n$3\r\nabc\r\n$1\r\nb\r\n$3\r\n-12\r\n$0\r\n\r\n$0\r\n\r\n"
        );
        assert_eq!(t.run(&["HGETALL", "nokey"]), "%0\r\n");
        assert_eq!(t.run(&["HKEYS", "nokey"]), "*0\r\n");
    }

    #[test]
    fn hdel_deletes_empty_hash() {
        let mut t = TestShard::new();
        assert_eq!(t.run(&["HDEL", "nokey", "a"]), int(0));
        assert_eq!(t.run(&["EXISTS", "nokey"]), int(0));
        assert_eq!(t.run(&["HSET", "h", "a", "1", "b", "2", "c", "3"]), int(3));
        assert_eq!(t.run(&["HDEL", "h", "a", "a", "zz"]), int(1));
        assert_eq!(t.run(&["HKEYS", "h"]), arr(&["b", "c"]));
        assert_eq!(t.run(&["HDEL", "h", "b", "c", "d"]), int(2));
        assert_eq!(t.run(&["EXISTS", "h"]), int(0));
        // Same for the hashtable encoding.
        let (_, max_value) = limits(&t);
        let long = "x".repeat(max_value + 1);
        assert_eq!(t.run(&["HSET", "h", "f", &long]), int(1));
        assert_eq!(encoding(&mut t, "h"), bulk("hashtable"));
        assert_eq!(t.run(&["HDEL", "h", "f"]), int(1));
        assert_eq!(t.run(&["EXISTS", "h"]), int(0));
    }

    #[test]
    fn hincrby() {
        let mut t = TestShard::new();
        assert_eq!(t.run(&["HINCRBY", "h", "a", "x"]), NOT_INT);
        assert_eq!(t.run(&["EXISTS", "h"]), int(0));
        assert_eq!(t.run(&["HINCRBY", "h", "a", "5"]), int(5));
        assert_eq!(t.run(&["HINCRBY", "h", "a", "-7"]), int(-2));
        assert_eq!(t.run(&["HGET", "h", "a"]), bulk("-2"));
        assert_eq!(
            t.run(&["HINCRBY", "h", "c", "9223372036854775802"]),
            int(9223372036854775802)
        );
        assert_eq!(
            t.run(&["HINCRBY", "h", "c", "9223372036854775807"]),
            "-ERR increment or decrement would overflow\r\n"
        );
        assert_eq!(t.run(&["HINCRBY", "h", "c", "5"]), int(i64::MAX));
        assert_eq!(
            t.run(&["HINCRBY", "h", "n", "-9223372036854775808"]),
            int(i64::MIN)
        );
        assert_eq!(
            t.run(&["HINCRBY", "h", "n", "-1"]),
            "-ERR increment or decrement would overflow\r\n"
        );
        assert_eq!(
            t.run(&["HSET", "h", "s", "abc", "sp", " 1", "z", "012"]),
            int(3)
        );
        for field in ["s", "sp", "z"] {
            assert_eq!(
                t.run(&["HINCRBY", "h", field, "1"]),
                "-ERR hash value is not an integer\r\n"
            );
        }
        assert_eq!(
            t.run(&["HINCRBY", "h", "a", "9223372036854775808"]),
            NOT_INT
        );
        // A long field converts the hash, as hashTypeSet does.
        let (_, max_value) = limits(&t);
        let long = "x".repeat(max_value + 1);
        assert_eq!(t.run(&["HINCRBY", "h", &long, "1"]), int(1));
        assert_eq!(encoding(&mut t, "h"), bulk("hashtable"));
        assert_eq!(t.run(&["HINCRBY", "h", &long, "1"]), int(2));
    }

    #[test]
    fn hincrbyfloat() {
        let mut t = TestShard::new();
        assert_eq!(t.run(&["HINCRBYFLOAT", "h", "a", "abc"]), NOT_FLOAT);
        assert_eq!(t.run(&["HINCRBYFLOAT", "h", "a", "nan"]), NOT_FLOAT);
        assert_eq!(t.run(&["HINCRBYFLOAT", "h", "a", "1e5000"]), NOT_FLOAT);
        assert_eq!(
            t.run(&["HINCRBYFLOAT", "h", "a", "inf"]),
            "-ERR value is NaN or Infinity\r\n"
        );
        assert_eq!(
            t.run(&["HINCRBYFLOAT", "h", "a", "-inf"]),
            "-ERR value is NaN or Infinity\r\n"
        );
        assert_eq!(t.run(&["EXISTS", "h"]), int(0));
        assert_eq!(t.run(&["HINCRBYFLOAT", "h", "a", "10.5"]), bulk("10.5"));
        assert_eq!(t.run(&["HINCRBYFLOAT", "h", "a", "0.1"]), bulk("10.6"));
        assert_eq!(t.run(&["HSET", "h", "b", "1000"]), int(1));
        assert_eq!(
            t.run(&["HINCRBYFLOAT", "h", "b", "-3.4"]),
            bulk("996.59999999999999998")
        );
        assert_eq!(t.run(&["HINCRBYFLOAT", "h", "c", "1e-5"]), bulk("0.00001"));
        assert_eq!(t.run(&["HINCRBYFLOAT", "h", "d", "5e2"]), bulk("500"));
        assert_eq!(t.run(&["HGET", "h", "d"]), bulk("500"));
        assert_eq!(t.run(&["HSET", "h", "s", "abc", "i", "inf"]), int(2));
        assert_eq!(
            t.run(&["HINCRBYFLOAT", "h", "s", "1"]),
            "-ERR hash value is not a float\r\n"
        );
        assert_eq!(
            t.run(&["HINCRBYFLOAT", "h", "i", "1"]),
            "-ERR increment would produce NaN or Infinity\r\n"
        );
        assert_eq!(t.run(&["HSET", "h3", "f", "1.0e4932"]), int(1));
        assert_eq!(
            t.run(&["HINCRBYFLOAT", "h3", "f", "1.0e4932"]),
            "-ERR increment would produce NaN or Infinity\r\n"
        );
        assert_eq!(t.run(&["HINCRBYFLOAT", "h3", "f", "-1.0e4932"]), bulk("0"));
        // A result longer than the listpack value limit converts (Redis: 1e70 does).
        assert_eq!(t.run(&["HSET", "h2", "f", "1"]), int(1));
        assert_eq!(
            t.run(&["HINCRBYFLOAT", "h2", "f", "1e70"]),
            bulk("10000000000000000000222479489586148259025995410601157579323600873193472")
        );
        assert_eq!(encoding(&mut t, "h2"), bulk("hashtable"));
    }

    #[test]
    fn listpack_thresholds() {
        let mut t = TestShard::new();
        let (max_entries, max_value) = limits(&t);
        // Exactly at the limits: listpack.
        let at_limit = "x".repeat(max_value);
        assert_eq!(t.run(&["HSET", "v", "f", &at_limit]), int(1));
        assert_eq!(encoding(&mut t, "v"), bulk("listpack"));
        assert_eq!(t.run(&["HSET", "v", &at_limit, "1"]), int(1));
        assert_eq!(encoding(&mut t, "v"), bulk("listpack"));
        // One byte more in a value: hashtable, for good.
        let over = "x".repeat(max_value + 1);
        assert_eq!(t.run(&["HSET", "v", "f", &over]), int(0));
        assert_eq!(encoding(&mut t, "v"), bulk("hashtable"));
        assert_eq!(t.run(&["HSET", "v", "f", "1"]), int(0));
        assert_eq!(t.run(&["HDEL", "v", &at_limit]), int(1));
        assert_eq!(encoding(&mut t, "v"), bulk("hashtable"));
        assert_eq!(t.run(&["HGETALL", "v"]), arr(&["f", "1"]));
        // Entries.
        let mut args: Vec<String> = vec!["HSET".into(), "e".into()];
        for i in 0..max_entries {
            args.push(format!("f{i}"));
            args.push(i.to_string());
        }
        let argv: Vec<&str> = args.iter().map(|s| s.as_str()).collect();
        assert_eq!(t.run(&argv), int(max_entries as i64));
        assert_eq!(encoding(&mut t, "e"), bulk("listpack"));
        assert_eq!(t.run(&["HSET", "e", "f0", "again"]), int(0));
        assert_eq!(encoding(&mut t, "e"), bulk("listpack"));
        let next = format!("f{max_entries}");
        assert_eq!(t.run(&["HSET", "e", &next, "x"]), int(1));
        assert_eq!(encoding(&mut t, "e"), bulk("hashtable"));
        assert_eq!(t.run(&["HLEN", "e"]), int(max_entries as i64 + 1));
        assert_eq!(t.run(&["HGET", "e", "f0"]), bulk("again"));
        assert_eq!(t.run(&["HDEL", "e", &next, "f1", "f2"]), int(3));
        assert_eq!(encoding(&mut t, "e"), bulk("hashtable"));
        // Many updates of one field never convert (Redis 7.0 counts fields, not arguments).
        let mut args: Vec<String> = vec!["HSET".into(), "same".into()];
        for _ in 0..=max_entries {
            args.push("f".into());
            args.push("1".into());
        }
        let argv: Vec<&str> = args.iter().map(|s| s.as_str()).collect();
        assert_eq!(t.run(&argv), int(1));
        assert_eq!(encoding(&mut t, "same"), bulk("listpack"));
    }

    #[test]
    fn hrandfield_errors_and_shapes() {
        let mut t = TestShard::new();
        assert_eq!(t.run(&["HRANDFIELD", "nokey"]), NIL);
        assert_eq!(t.run(&["HRANDFIELD", "nokey", "5"]), "*0\r\n");
        assert_eq!(
            t.run(&["HRANDFIELD", "nokey", "-5", "WITHVALUES"]),
            "*0\r\n"
        );
        assert_eq!(t.run(&["HRANDFIELD", "nokey", "x"]), NOT_INT);
        assert_eq!(t.run(&["HSET", "h", "a", "1"]), int(1));
        assert_eq!(
            t.run(&["HRANDFIELD", "h", "-9223372036854775808"]),
            "-ERR value is out of range, value must between -9223372036854775807 and \
             9223372036854775807\r\n"
        );
        assert_eq!(
            t.run(&["HRANDFIELD", "h", "-9223372036854775808", "x"]),
            "-ERR value is out of range, value must between -9223372036854775807 and \
             9223372036854775807\r\n"
        );
        assert_eq!(t.run(&["HRANDFIELD", "h", "x", "WITHVALUES"]), NOT_INT);
        assert_eq!(t.run(&["HRANDFIELD", "h", "1", "withvalue"]), SYNTAX);
        assert_eq!(t.run(&["HRANDFIELD", "h", "1", "withvalues", "x"]), SYNTAX);
        assert_eq!(
            t.run(&["HRANDFIELD", "h", "4611686018427387904", "withvalues"]),
            "-ERR value is out of range\r\n"
        );
        assert_eq!(
            t.run(&["HRANDFIELD", "h", "-4611686018427387904", "withvalues"]),
            "-ERR value is out of range\r\n"
        );
        assert_eq!(
            t.run(&["HRANDFIELD", "h", "4611686018427387903", "withvalues"]),
            arr(&["a", "1"])
        );
        assert_eq!(t.run(&["HRANDFIELD", "h"]), bulk("a"));
        assert_eq!(t.run(&["HRANDFIELD", "h", "0"]), "*0\r\n");
        assert_eq!(t.run(&["HRANDFIELD", "h", "0", "WITHVALUES"]), "*0\r\n");
        assert_eq!(t.run(&["HRANDFIELD", "h", "1"]), arr(&["a"]));
        assert_eq!(t.run(&["HRANDFIELD", "h", "-3"]), arr(&["a", "a", "a"]));
        assert_eq!(
            t.run(&["HRANDFIELD", "h", "-2", "WITHVALUES"]),
            arr(&["a", "1", "a", "1"])
        );
        t.client.resp3 = true;
        assert_eq!(t.run(&["HRANDFIELD", "nokey"]), "_\r\n");
        assert_eq!(t.run(&["HRANDFIELD", "nokey", "2"]), "*0\r\n");
        assert_eq!(
            t.run(&["HRANDFIELD", "h", "2", "WITHVALUES"]),
            "*1\r\n*2\r\n$1\r\na\r\n$1\r\n1\r\n"
        );
        assert_eq!(
            t.run(&["HRANDFIELD", "h", "-2", "WITHVALUES"]),
            "*2\r\n*2\r\n$1\r\na\r\n$1\r\n1\r\n*2\r\n$1\r\na\r\n$1\r\n1\r\n"
        );
        assert_eq!(t.run(&["HRANDFIELD", "h", "-2"]), arr(&["a", "a"]));
    }

    fn check_random_fields(t: &mut TestShard, key: &str, n: usize) {
        let all: std::collections::HashSet<String> = (0..n).map(|i| format!("f{i}")).collect();
        for _ in 0..20 {
            let one = t.run(&["HRANDFIELD", key]);
            assert!(all.contains(bulks(&format!("*1\r\n{one}"))[0].as_str()));
        }
        for count in [1, 2, 5, n / 3, n / 2, n - 1, n, n + 5] {
            let got = bulks(&t.run(&["HRANDFIELD", key, &count.to_string()]));
            assert_eq!(got.len(), count.min(n), "count {count}");
            let distinct: std::collections::HashSet<&String> = got.iter().collect();
            assert_eq!(distinct.len(), got.len(), "count {count} repeats");
            assert!(got.iter().all(|f| all.contains(f)));
            let pairs = bulks(&t.run(&["HRANDFIELD", key, &count.to_string(), "WITHVALUES"]));
            assert_eq!(pairs.len(), 2 * count.min(n));
            for pair in pairs.chunks(2) {
                assert_eq!(pair[0][1..], pair[1][1..], "{pair:?}");
            }
        }
        let many = bulks(&t.run(&["HRANDFIELD", key, "-1000"]));
        assert_eq!(many.len(), 1000);
        let distinct: std::collections::HashSet<&String> = many.iter().collect();
        assert!(distinct.len() > n.min(1000) / 2, "poor randomness");
    }

    #[test]
    fn hrandfield_both_encodings() {
        let mut t = TestShard::new();
        let (max_entries, _) = limits(&t);
        for (key, n) in [("small", 10usize), ("big", max_entries * 3)] {
            for i in 0..n {
                assert_eq!(
                    t.run(&["HSET", key, &format!("f{i}"), &format!("v{i}")]),
                    int(1)
                );
            }
            check_random_fields(&mut t, key, n);
        }
        assert_eq!(encoding(&mut t, "small"), bulk("listpack"));
        assert_eq!(encoding(&mut t, "big"), bulk("hashtable"));
    }

    #[test]
    fn hscan() {
        let mut t = TestShard::new();
        assert_eq!(t.run(&["HSCAN", "nokey", "0"]), "*2\r\n$1\r\n0\r\n*0\r\n");
        // Options are not looked at for a missing key, as in Redis.
        assert_eq!(
            t.run(&["HSCAN", "nokey", "0", "COUNT", "0"]),
            "*2\r\n$1\r\n0\r\n*0\r\n"
        );
        assert_eq!(t.run(&["HSCAN", "nokey", "x"]), "-ERR invalid cursor\r\n");
        assert_eq!(
            t.run(&["HSET", "h", "a1", "1", "b1", "2", "a2", "3", "", ""]),
            int(4)
        );
        assert_eq!(t.run(&["HSCAN", "h", "x"]), "-ERR invalid cursor\r\n");
        assert_eq!(t.run(&["HSCAN", "h", "0", "COUNT", "0"]), SYNTAX);
        assert_eq!(t.run(&["HSCAN", "h", "0", "COUNT", "x"]), NOT_INT);
        assert_eq!(t.run(&["HSCAN", "h", "0", "TYPE", "string"]), SYNTAX);
        assert_eq!(t.run(&["HSCAN", "h", "0", "MATCH"]), SYNTAX);
        assert_eq!(t.run(&["HSCAN", "h", "0", "NOVALUES"]), SYNTAX);
        assert_eq!(
            t.run(&["HSCAN", "h", "0"]),
            format!(
                "*2\r\n$1\r\n0\r\n{}",
                arr(&["a1", "1", "b1", "2", "a2", "3", "", ""])
            )
        );
        assert_eq!(
            t.run(&["HSCAN", "h", "0", "match", "a*", "count", "1"]),
            format!("*2\r\n$1\r\n0\r\n{}", arr(&["a1", "1", "a2", "3"]))
        );
        assert_eq!(
            t.run(&["HSCAN", "h", "0", "MATCH", "*"]),
            format!(
                "*2\r\n$1\r\n0\r\n{}",
                arr(&["a1", "1", "b1", "2", "a2", "3", "", ""])
            )
        );
        assert_eq!(
            t.run(&["HSCAN", "h", "0", "MATCH", "?"]),
            format!("*2\r\n$1\r\n0\r\n{}", arr(&[]))
        );
        // Any cursor on a listpack returns it all.
        assert_eq!(
            t.run(&["HSCAN", "h", "77", "MATCH", "b*"]),
            format!("*2\r\n$1\r\n0\r\n{}", arr(&["b1", "2"]))
        );
        t.client.resp3 = true;
        assert_eq!(
            t.run(&["HSCAN", "h", "0", "MATCH", "b*"]),
            format!("*2\r\n$1\r\n0\r\n{}", arr(&["b1", "2"]))
        );
    }

    #[test]
    fn hscan_hashtable_iterates_everything() {
        let mut t = TestShard::new();
        let (max_entries, _) = limits(&t);
        let n = max_entries * 2 + 7;
        for i in 0..n {
            assert_eq!(
                t.run(&["HSET", "h", &format!("f{i}"), &format!("v{i}")]),
                int(1)
            );
        }
        assert_eq!(encoding(&mut t, "h"), bulk("hashtable"));
        let mut seen = std::collections::HashMap::new();
        let mut cursor = "0".to_string();
        let mut calls = 0;
        loop {
            let reply = t.run(&["HSCAN", "h", &cursor, "COUNT", "25"]);
            let (head, rest) = reply.split_once("\r\n").unwrap_or_default();
            assert_eq!(head, "*2");
            let parts = bulks(&format!("*1\r\n{rest}"));
            cursor = parts[0].clone();
            let rest = &rest[rest.find('*').unwrap_or(0)..];
            let pairs = bulks(rest);
            assert!(pairs.len() <= 50);
            for pair in pairs.chunks(2) {
                seen.insert(pair[0].clone(), pair[1].clone());
            }
            calls += 1;
            // Churn while scanning: delete fields already seen, add new ones.
            t.run(&["HDEL", "h", &format!("f{}", calls)]);
            t.run(&["HSET", "h", &format!("new{calls}"), "x"]);
            if cursor == "0" {
                break;
            }
        }
        for i in calls + 1..n {
            assert_eq!(seen.get(&format!("f{i}")), Some(&format!("v{i}")), "f{i}");
        }
        // MATCH filters fields.
        let reply = t.run(&["HSCAN", "h", "0", "MATCH", "f1?", "COUNT", "100000"]);
        let rest = &reply[reply.find("\r\n*").unwrap_or(0) + 2..];
        let pairs = bulks(rest);
        assert!(pairs
            .chunks(2)
            .all(|p| p[0].len() == 3 && p[0].starts_with("f1")));
    }

    #[test]
    fn memory_usage_counts_the_hash() {
        let mut t = TestShard::new();
        assert_eq!(t.run(&["HSET", "h", "field1", "value1"]), int(1));
        let entry = t.shard.keyspace.peek(0, b"h");
        // Two 1-byte lengths per string: 14 bytes of listpack, in one allocation.
        let hash = entry.and_then(|e| e.value.as_hash().ok());
        assert_eq!(hash.map(|h| h.heap_size()), Some(14));
        // The value's own accounting adds the HashValue itself (boxed or not).
        assert!(entry.is_some_and(|e| e.value.heap_size() >= 14));
    }
}
