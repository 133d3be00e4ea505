//! Sorted-set commands (Redis's `t_zset.c`), with Redis 7.0's replies, options and errors.
//!
//! Ranges of every kind (rank, score, lex, with REV/LIMIT) are turned into a window of
//! ascending ranks, found in O(log n) on large sets, and then walked in place: replies are
//! written straight from the stored members.

use crate::args::{parse_i64, parse_timeout, OptionName};
use crate::client::TimeoutReply;
use crate::command::{flags::*, CommandSpec, Handler, KeySpec, Merge, Routing};
use crate::ctx::Ctx;
use crate::error::{CmdError, CmdResult};
use crate::families::keys::parse_scan_cursor;
use crate::types::set::SetValue;
use crate::types::zset::{ZLimits, ZSetValue};
use crate::value::{Entry, Value};
use protocol::Reply;

const READ_FAST: &[&str] = &["@read", "@sortedset", "@fast"];
const READ_SLOW: &[&str] = &["@read", "@sortedset", "@slow"];
const WRITE_FAST: &[&str] = &["@write", "@sortedset", "@fast"];
const WRITE_SLOW: &[&str] = &["@write", "@sortedset", "@slow"];
const BLOCK_FAST: &[&str] = &["@write", "@sortedset", "@fast", "@blocking"];
const BLOCK_SLOW: &[&str] = &["@write", "@sortedset", "@slow", "@blocking"];

/// ZUNION / ZINTER / ZDIFF / ZINTERCARD / ZMPOP: numkeys key [key ...]
const NUMKEYS_1: KeySpec = KeySpec::Numkeys {
    numkeys_at: 1,
    also: None,
};
/// BZMPOP timeout numkeys key [key ...]
const NUMKEYS_2: KeySpec = KeySpec::Numkeys {
    numkeys_at: 2,
    also: None,
};
/// ZUNIONSTORE destination numkeys key [key ...]
const STORE_NUMKEYS: KeySpec = KeySpec::Numkeys {
    numkeys_at: 2,
    also: Some(1),
};

const SINGLE: Routing = Routing::Keys(Merge::Single);

/// `name, arity, flags, keys, ACL categories, since, handler, summary`.
macro_rules! zset_cmd {
    ($name:expr, $arity:expr, $flags:expr, $keys:expr, $acl:expr, $since:expr, $handler:expr,
     $summary:expr) => {
        CommandSpec {
            name: $name,
            arity: $arity,
            flags: $flags,
            keys: $keys,
            acl: $acl,
            group: "sorted-set",
            since: $since,
            summary: $summary,
            routing: SINGLE,
            handler: $handler as Handler,
        }
    };
}

#[rustfmt::skip]
pub static COMMANDS: &[CommandSpec] = &[
    zset_cmd!("zadd", -4, WRITE | DENYOOM | FAST, KeySpec::FIRST, WRITE_FAST, "1.2.0", zadd,
        "Add one or more members to a sorted set, or update its score if it already exists"),
    zset_cmd!("zincrby", 4, WRITE | DENYOOM | FAST, KeySpec::FIRST, WRITE_FAST, "1.2.0", zincrby,
        "Increment the score of a member in a sorted set"),
    zset_cmd!("zscore", 3, READONLY | FAST, KeySpec::FIRST, READ_FAST, "1.2.0", zscore,
        "Get the score associated with the given member in a sorted set"),
    zset_cmd!("zmscore", -3, READONLY | FAST, KeySpec::FIRST, READ_FAST, "6.2.0", zmscore,
        "Get the score associated with the given members in a sorted set"),
    zset_cmd!("zrem", -3, WRITE | FAST, KeySpec::FIRST, WRITE_FAST, "1.2.0", zrem,
        "Remove one or more members from a sorted set"),
    zset_cmd!("zcard", 2, READONLY | FAST, KeySpec::FIRST, READ_FAST, "1.2.0", zcard,
        "Get the number of members in a sorted set"),
    zset_cmd!("zcount", 4, READONLY | FAST, KeySpec::FIRST, READ_FAST, "2.0.0", zcount,
        "Count the members in a sorted set with scores within the given values"),
    zset_cmd!("zlexcount", 4, READONLY | FAST, KeySpec::FIRST, READ_FAST, "2.8.9", zlexcount,
        "Count the number of members in a sorted set between a given lexicographical range"),
    zset_cmd!("zrank", 3, READONLY | FAST, KeySpec::FIRST, READ_FAST, "2.0.0", zrank,
        "Determine the index of a member in a sorted set"),
    zset_cmd!("zrevrank", 3, READONLY | FAST, KeySpec::FIRST, READ_FAST, "2.0.0", zrevrank,
        "Determine the index of a member in a sorted set, with scores ordered from high to low"),
    zset_cmd!("zrange", -4, READONLY, KeySpec::FIRST, READ_SLOW, "1.2.0", zrange,
        "Return a range of members in a sorted set"),
    zset_cmd!("zrevrange", -4, READONLY, KeySpec::FIRST, READ_SLOW, "1.2.0", zrevrange,
        "Return a range of members in a sorted set, by index, with scores ordered from high to low"),
    zset_cmd!("zrangebyscore", -4, READONLY, KeySpec::FIRST, READ_SLOW, "1.0.5", zrangebyscore,
        "Return a range of members in a sorted set, by score"),
    zset_cmd!("zrevrangebyscore", -4, READONLY, KeySpec::FIRST, READ_SLOW, "2.2.0", zrevrangebyscore,
        "Return a range of members in a sorted set, by score, with scores ordered from high to low"),
    zset_cmd!("zrangebylex", -4, READONLY, KeySpec::FIRST, READ_SLOW, "2.8.9", zrangebylex,
        "Return a range of members in a sorted set, by lexicographical range"),
    zset_cmd!("zrevrangebylex", -4, READONLY, KeySpec::FIRST, READ_SLOW, "2.8.9", zrevrangebylex,
        "Return a range of members in a sorted set, by lexicographical range, ordered from higher to lower strings."),
    zset_cmd!("zrangestore", -5, WRITE | DENYOOM, KeySpec::FIRST_TWO, WRITE_SLOW, "6.2.0", zrangestore,
        "Store a range of members from sorted set into another key"),
    zset_cmd!("zremrangebyrank", 4, WRITE, KeySpec::FIRST, WRITE_SLOW, "2.0.0", zremrangebyrank,
        "Remove all members in a sorted set within the given indexes"),
    zset_cmd!("zremrangebyscore", 4, WRITE, KeySpec::FIRST, WRITE_SLOW, "1.2.0", zremrangebyscore,
        "Remove all members in a sorted set within the given scores"),
    zset_cmd!("zremrangebylex", 4, WRITE, KeySpec::FIRST, WRITE_SLOW, "2.8.9", zremrangebylex,
        "Remove all members in a sorted set between the given lexicographical range"),
    zset_cmd!("zpopmin", -2, WRITE | FAST, KeySpec::FIRST, WRITE_FAST, "5.0.0", zpopmin,
        "Remove and return members with the lowest scores in a sorted set"),
    zset_cmd!("zpopmax", -2, WRITE | FAST, KeySpec::FIRST, WRITE_FAST, "5.0.0", zpopmax,
        "Remove and return members with the highest scores in a sorted set"),
    zset_cmd!("bzpopmin", -3, WRITE | NOSCRIPT | BLOCKING | FAST, KeySpec::ALL_BUT_LAST, BLOCK_FAST,
        "5.0.0", bzpopmin,
        "Remove and return the member with the lowest score from one or more sorted sets, or block until one is available"),
    zset_cmd!("bzpopmax", -3, WRITE | NOSCRIPT | BLOCKING | FAST, KeySpec::ALL_BUT_LAST, BLOCK_FAST,
        "5.0.0", bzpopmax,
        "Remove and return the member with the highest score from one or more sorted sets, or block until one is available"),
    zset_cmd!("zmpop", -4, WRITE, NUMKEYS_1, WRITE_SLOW, "7.0.0", zmpop,
        "Remove and return members with scores in a sorted set"),
    zset_cmd!("bzmpop", -5, WRITE | BLOCKING, NUMKEYS_2, BLOCK_SLOW, "7.0.0", bzmpop,
        "Remove and return members with scores in a sorted set or block until one is available"),
    zset_cmd!("zrandmember", -2, READONLY, KeySpec::FIRST, READ_SLOW, "6.2.0", zrandmember,
        "Get one or multiple random elements from a sorted set"),
    zset_cmd!("zunion", -3, READONLY, NUMKEYS_1, READ_SLOW, "6.2.0", zunion,
        "Add multiple sorted sets"),
    zset_cmd!("zinter", -3, READONLY, NUMKEYS_1, READ_SLOW, "6.2.0", zinter,
        "Intersect multiple sorted sets"),
    zset_cmd!("zdiff", -3, READONLY, NUMKEYS_1, READ_SLOW, "6.2.0", zdiff,
        "Subtract multiple sorted sets"),
    zset_cmd!("zunionstore", -4, WRITE | DENYOOM, STORE_NUMKEYS, WRITE_SLOW, "2.0.0", zunionstore,
        "Add multiple sorted sets and store the resulting sorted set in a new key"),
    zset_cmd!("zinterstore", -4, WRITE | DENYOOM, STORE_NUMKEYS, WRITE_SLOW, "2.0.0", zinterstore,
        "Intersect multiple sorted sets and store the resulting sorted set in a new key"),
    zset_cmd!("zdiffstore", -4, WRITE | DENYOOM, STORE_NUMKEYS, WRITE_SLOW, "6.2.0", zdiffstore,
        "Subtract multiple sorted sets and store the resulting sorted set in a new key"),
    zset_cmd!("zintercard", -3, READONLY, NUMKEYS_1, READ_SLOW, "7.0.0", zintercard,
        "Intersect multiple sorted sets and return the cardinality of the result"),
    zset_cmd!("zscan", -3, READONLY, KeySpec::FIRST, READ_SLOW, "2.8.0", zscan,
        "Incrementally iterate sorted sets elements and associated scores"),
];

// ---------------------------------------------------------------------------------------------
// Parsing
// ---------------------------------------------------------------------------------------------

const NAN_ERR: &str = "ERR resulting score is not a number (NaN)";
const NOT_FLOAT_RANGE: &str = "ERR min or max is not a float";
const NOT_LEX_RANGE: &str = "ERR min or max not valid string range item";

fn limits(ctx: &Ctx<'_>) -> ZLimits {
    ZLimits::from_settings(&ctx.shard.settings)
}

/// A C99 hexadecimal float (`0x1.8p3`), which Redis's strtod accepts.
fn parse_hex_float(s: &[u8]) -> Option<f64> {
    let (negative, rest) = match s {
        [b'-', rest @ ..] => (true, rest),
        [b'+', rest @ ..] => (false, rest),
        _ => (false, s),
    };
    let rest = rest
        .strip_prefix(b"0x")
        .or_else(|| rest.strip_prefix(b"0X"))?;
    let mut mantissa = 0f64;
    let mut digits = 0;
    let mut frac_digits = 0i32;
    let mut seen_dot = false;
    let mut i = 0;
    while let Some(&c) = rest.get(i) {
        if c == b'.' && !seen_dot {
            seen_dot = true;
        } else if let Some(d) = (c as char).to_digit(16) {
            mantissa = mantissa * 16.0 + f64::from(d);
            digits += 1;
            if seen_dot {
                frac_digits += 1;
            }
        } else {
            break;
        }
        i += 1;
    }
    if digits == 0 {
        return None;
    }
    let mut exp = 0i32;
    if matches!(rest.get(i), Some(b'p' | b'P')) {
        i += 1;
        let exp_negative = match rest.get(i) {
            Some(b'-') => {
                i += 1;
                true
            }
            Some(b'+') => {
                i += 1;
                false
            }
            _ => false,
        };
        let start = i;
        while let Some(&c) = rest.get(i).filter(|c| c.is_ascii_digit()) {
            exp = exp.saturating_mul(10).saturating_add(i32::from(c - b'0'));
            i += 1;
        }
        if i == start {
            return None;
        }
        if exp_negative {
            exp = -exp;
        }
    }
    if i != rest.len() {
        return None;
    }
    let v = mantissa * 2f64.powi(exp.saturating_sub(frac_digits.saturating_mul(4)));
    Some(if negative { -v } else { v })
}

/// A score or increment, as getDoubleFromObject: `ERR value is not a valid float`.
fn parse_score(arg: &[u8]) -> Result<f64, CmdError> {
    if let Some(v) = protocol::parse_f64(arg) {
        return Ok(v);
    }
    match parse_hex_float(arg) {
        Some(v) if v.is_finite() => Ok(v),
        _ => Err(CmdError::NotFloat),
    }
}

/// `strtod` over the whole text, as zslParseRange uses it: leading white space is skipped,
/// overflow gives ±inf, an empty text reads as 0, NaN is refused.
fn strtod_whole(s: &[u8]) -> Option<f64> {
    if s.is_empty() {
        return Some(0.0);
    }
    let start = s
        .iter()
        .position(|c| !matches!(c, b' ' | b'\t' | b'\n' | 0x0b | 0x0c | b'\r'))?;
    let t = &s[start..];
    let valid_chars = t
        .iter()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'+' | b'-' | b'.'));
    if !valid_chars {
        return None;
    }
    let v = match std::str::from_utf8(t).ok()?.parse::<f64>() {
        Ok(v) => v,
        Err(_) => parse_hex_float(t)?,
    };
    (!v.is_nan()).then_some(v)
}

#[derive(Clone, Copy, Debug)]
struct ScoreRange {
    min: f64,
    max: f64,
    minex: bool,
    maxex: bool,
}

fn parse_score_bound(arg: &[u8]) -> Option<(f64, bool)> {
    match arg {
        [b'(', rest @ ..] => strtod_whole(rest).map(|v| (v, true)),
        _ => strtod_whole(arg).map(|v| (v, false)),
    }
}

impl ScoreRange {
    fn parse(min: &[u8], max: &[u8]) -> Result<Self, CmdError> {
        let err = || CmdError::msg(NOT_FLOAT_RANGE);
        let (min, minex) = parse_score_bound(min).ok_or_else(err)?;
        let (max, maxex) = parse_score_bound(max).ok_or_else(err)?;
        Ok(ScoreRange {
            min,
            max,
            minex,
            maxex,
        })
    }

    /// The ascending ranks `[lo, hi)` of the members in range.
    fn ranks(&self, z: &ZSetValue) -> (usize, usize) {
        let lo = z.count_score_below(self.min, self.minex);
        let hi = z.count_score_below(self.max, !self.maxex);
        (lo, hi.max(lo))
    }
}

#[derive(Clone, Copy, Debug)]
enum LexBound<'a> {
    NegInf,
    PosInf,
    Incl(&'a [u8]),
    Excl(&'a [u8]),
}

impl<'a> LexBound<'a> {
    fn parse(arg: &'a [u8]) -> Option<Self> {
        match arg {
            [b'+'] => Some(LexBound::PosInf),
            [b'-'] => Some(LexBound::NegInf),
            [b'[', rest @ ..] => Some(LexBound::Incl(rest)),
            [b'(', rest @ ..] => Some(LexBound::Excl(rest)),
            _ => None,
        }
    }
}

#[derive(Clone, Copy, Debug)]
struct LexRange<'a> {
    min: LexBound<'a>,
    max: LexBound<'a>,
}

impl<'a> LexRange<'a> {
    fn parse(min: &'a [u8], max: &'a [u8]) -> Result<Self, CmdError> {
        match (LexBound::parse(min), LexBound::parse(max)) {
            (Some(min), Some(max)) => Ok(LexRange { min, max }),
            _ => Err(CmdError::msg(NOT_LEX_RANGE)),
        }
    }

    fn ranks(&self, z: &ZSetValue) -> (usize, usize) {
        let lo = match self.min {
            LexBound::NegInf => 0,
            LexBound::PosInf => z.len(),
            LexBound::Incl(m) => z.count_lex_below(m, false),
            LexBound::Excl(m) => z.count_lex_below(m, true),
        };
        let hi = match self.max {
            LexBound::NegInf => 0,
            LexBound::PosInf => z.len(),
            LexBound::Incl(m) => z.count_lex_below(m, true),
            LexBound::Excl(m) => z.count_lex_below(m, false),
        };
        (lo, hi.max(lo))
    }
}

/// Redis's rank window: negative indexes count from the end; `None` when empty.
fn rank_window(start: i64, end: i64, len: usize) -> Option<(usize, usize)> {
    let len = len as i64;
    let mut start = if start < 0 { start + len } else { start };
    let mut end = if end < 0 { end + len } else { end };
    if start < 0 {
        start = 0;
    }
    if start > end || start >= len {
        return None;
    }
    if end >= len {
        end = len - 1;
    }
    Some((start as usize, end as usize))
}

/// A walk over a sorted set: `count` members from ascending rank `from`, downwards when
/// `rev`.
#[derive(Clone, Copy, Debug, Default)]
struct Walk {
    from: usize,
    count: usize,
    rev: bool,
}

impl Walk {
    /// The members at ascending ranks `[lo, hi)`, in the requested direction, after
    /// skipping `offset` and keeping at most `limit` (negative: all), as Redis's LIMIT.
    fn window(lo: usize, hi: usize, rev: bool, offset: i64, limit: i64) -> Walk {
        let avail = hi.saturating_sub(lo);
        if offset < 0 || offset as u64 >= avail as u64 {
            return Walk::default();
        }
        let offset = offset as usize;
        let mut count = avail - offset;
        if limit >= 0 {
            count = count.min(usize::try_from(limit).unwrap_or(usize::MAX));
        }
        let from = if rev { hi - 1 - offset } else { lo + offset };
        Walk { from, count, rev }
    }

    /// Rank indexes `start..=end` (already clamped) counted from the top when `rev`.
    fn ranks(start: usize, end: usize, len: usize, rev: bool) -> Walk {
        let from = if rev { len - 1 - start } else { start };
        Walk {
            from,
            count: end - start + 1,
            rev,
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Replies
// ---------------------------------------------------------------------------------------------

/// The array header for `n` members, with scores as RESP2 flat pairs or RESP3 nested pairs.
fn entries_header(reply: &mut Reply<'_>, n: usize, withscores: bool, resp3: bool) {
    if withscores && !resp3 {
        reply.array(n.saturating_mul(2));
    } else {
        reply.array(n);
    }
}

fn entry_reply(reply: &mut Reply<'_>, member: &[u8], score: f64, withscores: bool, resp3: bool) {
    if withscores {
        if resp3 {
            reply.array(2);
        }
        reply.bulk(member);
        reply.double(score);
    } else {
        reply.bulk(member);
    }
}

fn reply_walk(reply: &mut Reply<'_>, z: &ZSetValue, walk: Walk, withscores: bool, resp3: bool) {
    entries_header(reply, walk.count, withscores, resp3);
    if walk.count == 0 {
        return;
    }
    let mut left = walk.count;
    z.visit(walk.from, walk.rev, |m, s| {
        entry_reply(reply, m, s, withscores, resp3);
        left -= 1;
        left > 0
    });
}

fn reply_entries(reply: &mut Reply<'_>, entries: &[(Vec<u8>, f64)], withscores: bool, resp3: bool) {
    entries_header(reply, entries.len(), withscores, resp3);
    for (m, s) in entries {
        entry_reply(reply, m, *s, withscores, resp3);
    }
}

// ---------------------------------------------------------------------------------------------
// Shared write helpers
// ---------------------------------------------------------------------------------------------

/// Whether `key` holds a sorted set (Ok(false): no key), WRONGTYPE otherwise.
fn zset_exists(ctx: &mut Ctx<'_>, key: &[u8]) -> Result<bool, CmdError> {
    match ctx.lookup_write(key) {
        Some(entry) => entry.value.as_zset().map(|_| true),
        None => Ok(false),
    }
}

/// The sorted set at `key` for writing, created empty when missing.
fn zset_create<'c>(ctx: &'c mut Ctx<'_>, key: &[u8]) -> Result<&'c mut ZSetValue, CmdError> {
    if !zset_exists(ctx, key)? {
        let (db, now) = (ctx.db(), ctx.now_ms());
        ctx.shard
            .keyspace
            .insert(db, key, Entry::new(Value::ZSet(Box::default())), now);
    }
    match ctx.lookup_write(key) {
        Some(entry) => entry.value.as_zset_mut(),
        None => Err(CmdError::msg("ERR internal error: key vanished")),
    }
}

/// Deletes `key` if its sorted set became empty (Redis never keeps empty collections).
fn delete_if_empty(ctx: &mut Ctx<'_>, key: &[u8]) {
    let empty = ctx
        .lookup_write(key)
        .is_some_and(|e| e.value.as_zset().is_ok_and(|z| z.is_empty()));
    if empty {
        let (db, now) = (ctx.db(), ctx.now_ms());
        ctx.shard.keyspace.remove(db, key, now);
    }
}

/// Replaces `dst` with a freshly built set (or deletes it when the result is empty); returns
/// the result's size.
fn store_result(ctx: &mut Ctx<'_>, dst: &[u8], entries: Vec<(Vec<u8>, f64)>) -> usize {
    let (db, now) = (ctx.db(), ctx.now_ms());
    let n = entries.len();
    if n == 0 {
        ctx.shard.keyspace.remove(db, dst, now);
        return 0;
    }
    let z = ZSetValue::build(entries, limits(ctx));
    ctx.shard
        .keyspace
        .insert(db, dst, Entry::new(Value::ZSet(Box::new(z))), now);
    ctx.signal_key_ready(dst);
    n
}

// ---------------------------------------------------------------------------------------------
// ZADD / ZINCRBY
// ---------------------------------------------------------------------------------------------

#[derive(Default, Clone, Copy)]
struct AddFlags {
    nx: bool,
    xx: bool,
    gt: bool,
    lt: bool,
    ch: bool,
    incr: bool,
}

/// What one zsetAdd did.
enum AddOutcome {
    Added(f64),
    Updated(f64),
    /// Nothing changed; the score it has (for INCR's reply, if processed).
    Unchanged(f64),
    Nop,
    Nan,
}

/// Redis's zsetAdd for one member.
fn zset_add(
    z: &mut ZSetValue,
    member: &[u8],
    score: f64,
    f: AddFlags,
    limits: ZLimits,
) -> AddOutcome {
    if score.is_nan() {
        return AddOutcome::Nan;
    }
    match z.score(member) {
        Some(cur) => {
            if f.nx {
                return AddOutcome::Nop;
            }
            let score = if f.incr { score + cur } else { score };
            if score.is_nan() {
                return AddOutcome::Nan;
            }
            if (f.lt && score >= cur) || (f.gt && score <= cur) {
                return AddOutcome::Nop;
            }
            if score != cur {
                z.set(member, score, limits);
                AddOutcome::Updated(score)
            } else {
                AddOutcome::Unchanged(cur)
            }
        }
        None if f.xx => AddOutcome::Nop,
        None => {
            z.set(member, score, limits);
            AddOutcome::Added(score)
        }
    }
}

fn zadd(ctx: &mut Ctx<'_>, args: &[&[u8]]) -> CmdResult {
    let mut f = AddFlags::default();
    let mut i = 2;
    while let Some(arg) = args.get(i) {
        match OptionName::new(arg).as_str() {
            "NX" => f.nx = true,
            "XX" => f.xx = true,
            "CH" => f.ch = true,
            "INCR" => f.incr = true,
            "GT" => f.gt = true,
            "LT" => f.lt = true,
            _ => break,
        }
        i += 1;
    }
    let pairs = &args[i..];
    if pairs.is_empty() || !pairs.len().is_multiple_of(2) {
        return Err(CmdError::Syntax);
    }
    if f.nx && f.xx {
        return Err(CmdError::msg(
            "ERR XX and NX options at the same time are not compatible",
        ));
    }
    if (f.nx && (f.gt || f.lt)) || (f.gt && f.lt) {
        return Err(CmdError::msg(
            "ERR GT, LT, and/or NX options at the same time are not compatible",
        ));
    }
    if f.incr && pairs.len() > 2 {
        return Err(CmdError::msg(
            "ERR INCR option supports a single increment-element pair",
        ));
    }
    let scores = pairs
        .chunks_exact(2)
        .map(|p| parse_score(p[0]))
        .collect::<Result<Vec<f64>, CmdError>>()?;
    zadd_apply(ctx, args[1], pairs, &scores, f)
}

fn zincrby(ctx: &mut Ctx<'_>, args: &[&[u8]]) -> CmdResult {
    // Redis parses ZINCRBY with ZADD's code: a ZADD flag where the increment goes is taken
    // as a flag, which leaves one argument for a score/member pair.
    const ZADD_FLAGS: [&[u8]; 6] = [b"nx", b"xx", b"gt", b"lt", b"ch", b"incr"];
    if ZADD_FLAGS.iter().any(|f| args[2].eq_ignore_ascii_case(f)) {
        return Err(CmdError::Syntax);
    }
    let score = parse_score(args[2])?;
    let f = AddFlags {
        incr: true,
        ..AddFlags::default()
    };
    zadd_apply(ctx, args[1], &[args[2], args[3]], &[score], f)
}

fn zadd_apply(
    ctx: &mut Ctx<'_>,
    key: &[u8],
    pairs: &[&[u8]],
    scores: &[f64],
    f: AddFlags,
) -> CmdResult {
    let exists = zset_exists(ctx, key)?;
    if !exists && f.xx {
        let mut reply = ctx.reply();
        if f.incr {
            reply.null();
        } else {
            reply.integer(0);
        }
        return Ok(());
    }
    let limits = limits(ctx);
    let z = zset_create(ctx, key)?;
    let (mut added, mut updated, mut processed) = (0i64, 0i64, 0i64);
    let mut last = 0.0;
    let mut nan = false;
    for (pair, &score) in pairs.chunks_exact(2).zip(scores) {
        match zset_add(z, pair[1], score, f, limits) {
            AddOutcome::Added(s) => {
                added += 1;
                processed += 1;
                last = s;
            }
            AddOutcome::Updated(s) => {
                updated += 1;
                processed += 1;
                last = s;
            }
            AddOutcome::Unchanged(s) => {
                processed += 1;
                last = s;
            }
            AddOutcome::Nop => {}
            AddOutcome::Nan => {
                nan = true;
                break;
            }
        }
    }
    if added > 0 {
        ctx.signal_key_ready(key);
    }
    delete_if_empty(ctx, key);
    if nan {
        return Err(CmdError::msg(NAN_ERR));
    }
    let mut reply = ctx.reply();
    if f.incr {
        if processed > 0 {
            reply.double(last);
        } else {
            reply.null();
        }
    } else {
        reply.integer(if f.ch { added + updated } else { added });
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Point reads and ZREM
// ---------------------------------------------------------------------------------------------

fn zscore(ctx: &mut Ctx<'_>, args: &[&[u8]]) -> CmdResult {
    let (entry, mut reply) = ctx.lookup_read(args[1]);
    let score = match entry {
        Some(e) => e.value.as_zset()?.score(args[2]),
        None => None,
    };
    match score {
        Some(s) => reply.double(s),
        None => reply.null(),
    }
    Ok(())
}

fn zmscore(ctx: &mut Ctx<'_>, args: &[&[u8]]) -> CmdResult {
    let (entry, mut reply) = ctx.lookup_read(args[1]);
    let z = match entry {
        Some(e) => Some(e.value.as_zset()?),
        None => None,
    };
    let members = &args[2..];
    reply.array(members.len());
    for m in members {
        match z.and_then(|z| z.score(m)) {
            Some(s) => reply.double(s),
            None => reply.null(),
        }
    }
    Ok(())
}

fn zcard(ctx: &mut Ctx<'_>, args: &[&[u8]]) -> CmdResult {
    let (entry, mut reply) = ctx.lookup_read(args[1]);
    let n = match entry {
        Some(e) => e.value.as_zset()?.len(),
        None => 0,
    };
    reply.integer(n as i64);
    Ok(())
}

fn zrem(ctx: &mut Ctx<'_>, args: &[&[u8]]) -> CmdResult {
    let key = args[1];
    let removed = match ctx.lookup_write(key) {
        Some(e) => {
            let z = e.value.as_zset_mut()?;
            let mut n = 0i64;
            for m in &args[2..] {
                if z.remove(m).is_some() {
                    n += 1;
                    if z.is_empty() {
                        break;
                    }
                }
            }
            n
        }
        None => 0,
    };
    delete_if_empty(ctx, key);
    ctx.reply().integer(removed);
    Ok(())
}

fn zrank_generic(ctx: &mut Ctx<'_>, args: &[&[u8]], rev: bool) -> CmdResult {
    let (entry, mut reply) = ctx.lookup_read(args[1]);
    let rank = match entry {
        Some(e) => {
            let z = e.value.as_zset()?;
            z.rank(args[2])
                .map(|r| if rev { z.len() - 1 - r } else { r })
        }
        None => None,
    };
    match rank {
        Some(r) => reply.integer(r as i64),
        None => reply.null(),
    }
    Ok(())
}

fn zrank(ctx: &mut Ctx<'_>, args: &[&[u8]]) -> CmdResult {
    zrank_generic(ctx, args, false)
}

fn zrevrank(ctx: &mut Ctx<'_>, args: &[&[u8]]) -> CmdResult {
    zrank_generic(ctx, args, true)
}

fn zcount(ctx: &mut Ctx<'_>, args: &[&[u8]]) -> CmdResult {
    let range = ScoreRange::parse(args[2], args[3])?;
    let (entry, mut reply) = ctx.lookup_read(args[1]);
    let n = match entry {
        Some(e) => {
            let (lo, hi) = range.ranks(e.value.as_zset()?);
            hi - lo
        }
        None => 0,
    };
    reply.integer(n as i64);
    Ok(())
}

fn zlexcount(ctx: &mut Ctx<'_>, args: &[&[u8]]) -> CmdResult {
    let range = LexRange::parse(args[2], args[3])?;
    let (entry, mut reply) = ctx.lookup_read(args[1]);
    let n = match entry {
        Some(e) => {
            let (lo, hi) = range.ranks(e.value.as_zset()?);
            hi - lo
        }
        None => 0,
    };
    reply.integer(n as i64);
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// ZRANGE and friends
// ---------------------------------------------------------------------------------------------

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum RangeType {
    Auto,
    Rank,
    Score,
    Lex,
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Direction {
    Auto,
    Forward,
    Reverse,
}

/// A parsed range query, resolved against a set into a [`Walk`].
enum RangeSpec<'a> {
    Rank(i64, i64),
    Score(ScoreRange),
    Lex(LexRange<'a>),
}

struct RangeQuery<'a> {
    spec: RangeSpec<'a>,
    rev: bool,
    withscores: bool,
    offset: i64,
    limit: i64,
}

impl RangeQuery<'_> {
    fn walk(&self, z: &ZSetValue) -> Walk {
        match &self.spec {
            RangeSpec::Rank(start, end) => match rank_window(*start, *end, z.len()) {
                Some((s, e)) => Walk::ranks(s, e, z.len(), self.rev),
                None => Walk::default(),
            },
            RangeSpec::Score(r) => {
                let (lo, hi) = r.ranks(z);
                Walk::window(lo, hi, self.rev, self.offset, self.limit)
            }
            RangeSpec::Lex(r) => {
                let (lo, hi) = r.ranks(z);
                Walk::window(lo, hi, self.rev, self.offset, self.limit)
            }
        }
    }
}

/// zrangeGenericCommand's parsing: `args[start]` is the source key, then min, max, options.
fn parse_range<'a>(
    args: &[&'a [u8]],
    start: usize,
    store: bool,
    mut rangetype: RangeType,
    mut direction: Direction,
) -> Result<RangeQuery<'a>, CmdError> {
    let mut withscores = false;
    let (mut offset, mut limit) = (0i64, -1i64);
    let mut j = start + 3;
    while j < args.len() {
        let left = args.len() - j - 1;
        match OptionName::new(args[j]).as_str() {
            "WITHSCORES" if !store => withscores = true,
            "LIMIT" if left >= 2 => {
                offset = parse_i64(args[j + 1])?;
                limit = parse_i64(args[j + 2])?;
                j += 2;
            }
            "REV" if direction == Direction::Auto => direction = Direction::Reverse,
            "BYLEX" if rangetype == RangeType::Auto => rangetype = RangeType::Lex,
            "BYSCORE" if rangetype == RangeType::Auto => rangetype = RangeType::Score,
            _ => return Err(CmdError::Syntax),
        }
        j += 1;
    }
    let rev = direction == Direction::Reverse;
    if rangetype == RangeType::Auto {
        rangetype = RangeType::Rank;
    }
    if limit != -1 && rangetype == RangeType::Rank {
        return Err(CmdError::msg(
            "ERR syntax error, LIMIT is only supported in combination with either BYSCORE or BYLEX",
        ));
    }
    if withscores && rangetype == RangeType::Lex {
        return Err(CmdError::msg(
            "ERR syntax error, WITHSCORES not supported in combination with BYLEX",
        ));
    }
    let (mut minidx, mut maxidx) = (start + 1, start + 2);
    if rev && rangetype != RangeType::Rank {
        std::mem::swap(&mut minidx, &mut maxidx);
    }
    let spec = match rangetype {
        RangeType::Score => RangeSpec::Score(ScoreRange::parse(args[minidx], args[maxidx])?),
        RangeType::Lex => RangeSpec::Lex(LexRange::parse(args[minidx], args[maxidx])?),
        _ => RangeSpec::Rank(parse_i64(args[minidx])?, parse_i64(args[maxidx])?),
    };
    Ok(RangeQuery {
        spec,
        rev,
        withscores,
        offset,
        limit,
    })
}

fn range_reply(
    ctx: &mut Ctx<'_>,
    args: &[&[u8]],
    rangetype: RangeType,
    direction: Direction,
) -> CmdResult {
    let q = parse_range(args, 1, false, rangetype, direction)?;
    let resp3 = ctx.client.resp3;
    let (entry, mut reply) = ctx.lookup_read(args[1]);
    let Some(entry) = entry else {
        reply.array(0);
        return Ok(());
    };
    let z = entry.value.as_zset()?;
    let walk = q.walk(z);
    reply_walk(&mut reply, z, walk, q.withscores, resp3);
    Ok(())
}

fn zrange(ctx: &mut Ctx<'_>, args: &[&[u8]]) -> CmdResult {
    range_reply(ctx, args, RangeType::Auto, Direction::Auto)
}

fn zrevrange(ctx: &mut Ctx<'_>, args: &[&[u8]]) -> CmdResult {
    range_reply(ctx, args, RangeType::Rank, Direction::Reverse)
}

fn zrangebyscore(ctx: &mut Ctx<'_>, args: &[&[u8]]) -> CmdResult {
    range_reply(ctx, args, RangeType::Score, Direction::Forward)
}

fn zrevrangebyscore(ctx: &mut Ctx<'_>, args: &[&[u8]]) -> CmdResult {
    range_reply(ctx, args, RangeType::Score, Direction::Reverse)
}

fn zrangebylex(ctx: &mut Ctx<'_>, args: &[&[u8]]) -> CmdResult {
    range_reply(ctx, args, RangeType::Lex, Direction::Forward)
}

fn zrevrangebylex(ctx: &mut Ctx<'_>, args: &[&[u8]]) -> CmdResult {
    range_reply(ctx, args, RangeType::Lex, Direction::Reverse)
}

/// ZRANGESTORE dst src min max [BYSCORE|BYLEX] [REV] [LIMIT offset count]
fn zrangestore(ctx: &mut Ctx<'_>, args: &[&[u8]]) -> CmdResult {
    let q = parse_range(args, 2, true, RangeType::Auto, Direction::Auto)?;
    let entries = {
        let (entry, _) = ctx.lookup_read(args[2]);
        match entry {
            Some(e) => {
                let z = e.value.as_zset()?;
                let walk = q.walk(z);
                z.range_vec(walk.from, walk.count, walk.rev)
            }
            None => Vec::new(),
        }
    };
    let n = store_result(ctx, args[1], entries);
    ctx.reply().integer(n as i64);
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// ZREMRANGEBY*
// ---------------------------------------------------------------------------------------------

fn remove_walk(ctx: &mut Ctx<'_>, key: &[u8], walk_of: impl Fn(&ZSetValue) -> Walk) -> CmdResult {
    let removed = match ctx.lookup_write(key) {
        Some(e) => {
            let z = e.value.as_zset_mut()?;
            let walk = walk_of(z);
            let victims = z.range_vec(walk.from, walk.count, walk.rev);
            for (m, _) in &victims {
                z.remove(m);
            }
            victims.len()
        }
        None => 0,
    };
    delete_if_empty(ctx, key);
    ctx.reply().integer(removed as i64);
    Ok(())
}

fn zremrangebyrank(ctx: &mut Ctx<'_>, args: &[&[u8]]) -> CmdResult {
    let start = parse_i64(args[2])?;
    let end = parse_i64(args[3])?;
    remove_walk(ctx, args[1], |z| match rank_window(start, end, z.len()) {
        Some((s, e)) => Walk::ranks(s, e, z.len(), false),
        None => Walk::default(),
    })
}

fn zremrangebyscore(ctx: &mut Ctx<'_>, args: &[&[u8]]) -> CmdResult {
    let range = ScoreRange::parse(args[2], args[3])?;
    remove_walk(ctx, args[1], |z| {
        let (lo, hi) = range.ranks(z);
        Walk::window(lo, hi, false, 0, -1)
    })
}

fn zremrangebylex(ctx: &mut Ctx<'_>, args: &[&[u8]]) -> CmdResult {
    let range = LexRange::parse(args[2], args[3])?;
    remove_walk(ctx, args[1], |z| {
        let (lo, hi) = range.ranks(z);
        Walk::window(lo, hi, false, 0, -1)
    })
}

// ---------------------------------------------------------------------------------------------
// Pops
// ---------------------------------------------------------------------------------------------

/// Removes up to `count` members from the low (or high, `max`) end of the set at `key`,
/// deleting the key when it empties. The key must hold a sorted set.
fn pop_entries(ctx: &mut Ctx<'_>, key: &[u8], max: bool, count: usize) -> Vec<(Vec<u8>, f64)> {
    let popped = match ctx.lookup_write(key).map(|e| e.value.as_zset_mut()) {
        Some(Ok(z)) => {
            let from = if max { z.len().saturating_sub(1) } else { 0 };
            let out = z.range_vec(from, count, max);
            for (m, _) in &out {
                z.remove(m);
            }
            out
        }
        _ => Vec::new(),
    };
    delete_if_empty(ctx, key);
    popped
}

/// The first key (in order) holding a non-empty sorted set; WRONGTYPE stops the search.
fn first_nonempty<'k>(ctx: &mut Ctx<'_>, keys: &[&'k [u8]]) -> Result<Option<&'k [u8]>, CmdError> {
    for &key in keys {
        if zset_exists(ctx, key)? {
            return Ok(Some(key));
        }
    }
    Ok(None)
}

fn zpop_generic(ctx: &mut Ctx<'_>, args: &[&[u8]], max: bool) -> CmdResult {
    if args.len() > 3 {
        return Err(CmdError::Syntax);
    }
    let count = match args.get(2) {
        Some(arg) => {
            let n = protocol::parse_i64(arg)
                .filter(|n| *n >= 0)
                .ok_or(CmdError::msg("ERR value is out of range, must be positive"))?;
            Some(usize::try_from(n).unwrap_or(usize::MAX))
        }
        None => None,
    };
    let resp3 = ctx.client.resp3;
    let exists = zset_exists(ctx, args[1])?;
    if !exists || count == Some(0) {
        ctx.reply().array(0);
        return Ok(());
    }
    let popped = pop_entries(ctx, args[1], max, count.unwrap_or(1));
    let mut reply = ctx.reply();
    // RESP3 nests pairs only when a count was given.
    reply_entries(&mut reply, &popped, true, resp3 && count.is_some());
    Ok(())
}

fn zpopmin(ctx: &mut Ctx<'_>, args: &[&[u8]]) -> CmdResult {
    zpop_generic(ctx, args, false)
}

fn zpopmax(ctx: &mut Ctx<'_>, args: &[&[u8]]) -> CmdResult {
    zpop_generic(ctx, args, true)
}

fn bzpop_generic(ctx: &mut Ctx<'_>, args: &[&[u8]], max: bool) -> CmdResult {
    let deadline = parse_timeout(args[args.len() - 1], ctx.now_ms())?;
    let keys = &args[1..args.len() - 1];
    match first_nonempty(ctx, keys)? {
        Some(key) => {
            let popped = pop_entries(ctx, key, max, 1);
            let mut reply = ctx.reply();
            match popped.first() {
                Some((m, s)) => {
                    reply.array(3);
                    reply.bulk(key);
                    reply.bulk(m);
                    reply.double(*s);
                }
                None => reply.null_array(),
            }
        }
        None => ctx.block(keys, deadline, TimeoutReply::NullArray),
    }
    Ok(())
}

fn bzpopmin(ctx: &mut Ctx<'_>, args: &[&[u8]]) -> CmdResult {
    bzpop_generic(ctx, args, false)
}

fn bzpopmax(ctx: &mut Ctx<'_>, args: &[&[u8]]) -> CmdResult {
    bzpop_generic(ctx, args, true)
}

/// ZMPOP's arguments from `numkeys_at`: the keys, MIN|MAX, COUNT.
fn parse_mpop<'a>(
    args: &[&'a [u8]],
    numkeys_at: usize,
) -> Result<(Vec<&'a [u8]>, bool, usize), CmdError> {
    let numkeys = protocol::parse_i64(args[numkeys_at])
        .filter(|n| *n >= 1)
        .ok_or(CmdError::msg("ERR numkeys should be greater than 0"))?;
    let where_idx = (numkeys_at as u64)
        .saturating_add(numkeys as u64)
        .saturating_add(1);
    if where_idx >= args.len() as u64 {
        return Err(CmdError::Syntax);
    }
    let where_idx = where_idx as usize;
    let max = match OptionName::new(args[where_idx]).as_str() {
        "MIN" => false,
        "MAX" => true,
        _ => return Err(CmdError::Syntax),
    };
    let mut count: Option<usize> = None;
    let mut j = where_idx + 1;
    while j < args.len() {
        let more = j + 1 < args.len();
        if count.is_none() && more && OptionName::new(args[j]).as_str() == "COUNT" {
            let n = protocol::parse_i64(args[j + 1])
                .filter(|n| *n >= 1)
                .ok_or(CmdError::msg("ERR count should be greater than 0"))?;
            count = Some(usize::try_from(n).unwrap_or(usize::MAX));
            j += 2;
        } else {
            return Err(CmdError::Syntax);
        }
    }
    let keys = args[numkeys_at + 1..where_idx].to_vec();
    Ok((keys, max, count.unwrap_or(1)))
}

/// Pops from the first non-empty key and replies `[key, [[member, score], ...]]`; returns
/// false (nothing written) when every key is empty.
fn mpop_from(ctx: &mut Ctx<'_>, keys: &[&[u8]], max: bool, count: usize) -> Result<bool, CmdError> {
    let Some(key) = first_nonempty(ctx, keys)? else {
        return Ok(false);
    };
    let popped = pop_entries(ctx, key, max, count);
    let mut reply = ctx.reply();
    reply.array(2);
    reply.bulk(key);
    reply.array(popped.len());
    for (m, s) in &popped {
        reply.array(2);
        reply.bulk(m);
        reply.double(*s);
    }
    Ok(true)
}

fn zmpop(ctx: &mut Ctx<'_>, args: &[&[u8]]) -> CmdResult {
    let (keys, max, count) = parse_mpop(args, 1)?;
    if !mpop_from(ctx, &keys, max, count)? {
        ctx.reply().null_array();
    }
    Ok(())
}

fn bzmpop(ctx: &mut Ctx<'_>, args: &[&[u8]]) -> CmdResult {
    let deadline = parse_timeout(args[1], ctx.now_ms())?;
    let (keys, max, count) = parse_mpop(args, 2)?;
    if !mpop_from(ctx, &keys, max, count)? {
        ctx.block(&keys, deadline, TimeoutReply::NullArray);
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// ZRANDMEMBER
// ---------------------------------------------------------------------------------------------

struct XorShift(u64);

impl XorShift {
    fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.0 = x;
        x
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

fn zrandmember(ctx: &mut Ctx<'_>, args: &[&[u8]]) -> CmdResult {
    let resp3 = ctx.client.resp3;
    let mut rng = XorShift(ctx.shard.random() | 1);
    if args.len() == 2 {
        let (entry, mut reply) = ctx.lookup_read(args[1]);
        let Some(entry) = entry else {
            reply.null();
            return Ok(());
        };
        let z = entry.value.as_zset()?;
        match z.at_rank(rng.below(z.len())) {
            Some((m, _)) => reply.bulk(m),
            None => reply.null(),
        }
        return Ok(());
    }
    let l = parse_i64(args[2])?;
    if l == i64::MIN {
        return Err(CmdError::msg(
            "ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807",
        ));
    }
    let withscores = match args.get(3) {
        None => false,
        Some(a) if args.len() == 4 && a.eq_ignore_ascii_case(b"WITHSCORES") => true,
        Some(_) => return Err(CmdError::Syntax),
    };
    if withscores && !(-(i64::MAX / 2)..=i64::MAX / 2).contains(&l) {
        return Err(CmdError::msg("ERR value is out of range"));
    }
    let (count, uniq) = if l >= 0 {
        (l.unsigned_abs(), true)
    } else {
        (l.unsigned_abs(), false)
    };
    let count = usize::try_from(count).unwrap_or(usize::MAX);
    let (entry, mut reply) = ctx.lookup_read(args[1]);
    let Some(entry) = entry else {
        reply.array(0);
        return Ok(());
    };
    let z = entry.value.as_zset()?;
    super::check_repeated_picks(l)?;
    let size = z.len();
    if count == 0 || size == 0 {
        reply.array(0);
        return Ok(());
    }
    // With repetitions (negative count), or a single member.
    if !uniq || count == 1 {
        entries_header(&mut reply, count, withscores, resp3);
        for _ in 0..count {
            if let Some((m, s)) = z.at_rank(rng.below(size)) {
                entry_reply(&mut reply, m, s, withscores, resp3);
            }
        }
        return Ok(());
    }
    // Asking for at least the whole set: all of it (highest score first, as Redis).
    if count >= size {
        reply_walk(
            &mut reply,
            z,
            Walk {
                from: size - 1,
                count: size,
                rev: true,
            },
            withscores,
            resp3,
        );
        return Ok(());
    }
    // Distinct members: a partial shuffle of the ranks.
    let ranks: Vec<usize> = if count.saturating_mul(3) > size {
        let mut all: Vec<usize> = (0..size).collect();
        for i in 0..count {
            let j = i + rng.below(size - i);
            all.swap(i, j);
        }
        all.truncate(count);
        all
    } else {
        let mut chosen =
            hashbrown::HashSet::with_capacity_and_hasher(count, ahash::RandomState::new());
        let mut out = Vec::with_capacity(count);
        while out.len() < count {
            let r = rng.below(size);
            if chosen.insert(r) {
                out.push(r);
            }
        }
        out
    };
    entries_header(&mut reply, ranks.len(), withscores, resp3);
    for r in ranks {
        if let Some((m, s)) = z.at_rank(r) {
            entry_reply(&mut reply, m, s, withscores, resp3);
        }
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// ZUNION / ZINTER / ZDIFF (+STORE), ZINTERCARD
// ---------------------------------------------------------------------------------------------

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum SetOp {
    Union,
    Inter,
    Diff,
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Aggregate {
    Sum,
    Min,
    Max,
}

fn aggregate(target: &mut f64, val: f64, how: Aggregate) {
    match how {
        Aggregate::Sum => {
            *target += val;
            if target.is_nan() {
                *target = 0.0;
            }
        }
        Aggregate::Min => {
            if val < *target {
                *target = val;
            }
        }
        Aggregate::Max => {
            if val > *target {
                *target = val;
            }
        }
    }
}

/// One input of a set operation: a sorted set, a plain set (scores 1) or nothing.
#[derive(Clone, Copy)]
enum Source<'a> {
    Empty,
    Z(&'a ZSetValue),
    S(&'a SetValue),
}

impl Source<'_> {
    fn len(&self) -> usize {
        match self {
            Source::Empty => 0,
            Source::Z(z) => z.len(),
            Source::S(s) => s.len(),
        }
    }

    fn score(&self, member: &[u8]) -> Option<f64> {
        match self {
            Source::Empty => None,
            Source::Z(z) => z.score(member),
            Source::S(s) => s.contains(member).then_some(1.0),
        }
    }

    fn for_each(&self, mut f: impl FnMut(&[u8], f64) -> bool) {
        match self {
            Source::Empty => {}
            Source::Z(z) => z.visit(0, false, f),
            Source::S(s) => {
                for m in s.iter() {
                    if !f(&m.to_vec(), 1.0) {
                        return;
                    }
                }
            }
        }
    }
}

struct SetOpQuery<'a> {
    keys: Vec<&'a [u8]>,
    weights: Vec<f64>,
    how: Aggregate,
    withscores: bool,
    limit: usize,
}

/// zunionInterDiffGenericCommand's parsing, with its order of checks: numkeys, the key
/// types, then the options.
fn parse_setop<'a>(
    ctx: &mut Ctx<'_>,
    args: &[&'a [u8]],
    numkeys_at: usize,
    op: SetOp,
    store: bool,
    card_only: bool,
) -> Result<SetOpQuery<'a>, CmdError> {
    let setnum = parse_i64(args[numkeys_at])?;
    if setnum < 1 {
        let name = String::from_utf8_lossy(args[0]).to_ascii_lowercase();
        return Err(CmdError::owned(format!(
            "ERR at least 1 input key is needed for '{name}' command"
        )));
    }
    if setnum as u64 > (args.len() - numkeys_at - 1) as u64 {
        return Err(CmdError::Syntax);
    }
    let setnum = setnum as usize;
    let keys: Vec<&[u8]> = args[numkeys_at + 1..numkeys_at + 1 + setnum].to_vec();
    for key in &keys {
        let (entry, _) = ctx.lookup_read(key);
        if let Some(e) = entry {
            if !matches!(e.value, Value::ZSet(_) | Value::Set(_)) {
                return Err(CmdError::WrongType);
            }
        }
    }
    let mut q = SetOpQuery {
        keys,
        weights: vec![1.0; setnum],
        how: Aggregate::Sum,
        withscores: false,
        limit: 0,
    };
    let mut j = numkeys_at + 1 + setnum;
    while j < args.len() {
        let remaining = args.len() - j;
        let opt = OptionName::new(args[j]);
        match opt.as_str() {
            "WEIGHTS" if op != SetOp::Diff && !card_only && remaining > setnum => {
                for (i, w) in q.weights.iter_mut().enumerate() {
                    *w = parse_score(args[j + 1 + i])
                        .map_err(|_| CmdError::msg("ERR weight value is not a float"))?;
                }
                j += 1 + setnum;
            }
            "AGGREGATE" if op != SetOp::Diff && !card_only && remaining >= 2 => {
                q.how = match OptionName::new(args[j + 1]).as_str() {
                    "SUM" => Aggregate::Sum,
                    "MIN" => Aggregate::Min,
                    "MAX" => Aggregate::Max,
                    _ => return Err(CmdError::Syntax),
                };
                j += 2;
            }
            "WITHSCORES" if !store && !card_only => {
                q.withscores = true;
                j += 1;
            }
            "LIMIT" if card_only && remaining >= 2 => {
                let n = protocol::parse_i64(args[j + 1])
                    .filter(|n| *n >= 0)
                    .ok_or(CmdError::msg("ERR LIMIT can't be negative"))?;
                q.limit = usize::try_from(n).unwrap_or(usize::MAX);
                j += 2;
            }
            _ => return Err(CmdError::Syntax),
        }
    }
    Ok(q)
}

/// Runs the operation over the keys (all already checked to be sets or sorted sets).
/// Returns the result (unsorted) or, with `card_only`, just its size.
fn run_setop(
    ctx: &Ctx<'_>,
    q: &SetOpQuery<'_>,
    op: SetOp,
    card_only: bool,
) -> (Vec<(Vec<u8>, f64)>, usize) {
    let db = ctx.db();
    let ks = &ctx.shard.keyspace;
    let mut srcs: Vec<(Source<'_>, f64)> = q
        .keys
        .iter()
        .zip(&q.weights)
        .map(|(k, &w)| {
            let src = match ks.peek(db, k).map(|e| &e.value) {
                Some(Value::ZSet(z)) => Source::Z(z),
                Some(Value::Set(s)) => Source::S(s),
                _ => Source::Empty,
            };
            (src, w)
        })
        .collect();
    let mut out: Vec<(Vec<u8>, f64)> = Vec::new();
    match op {
        SetOp::Union => {
            srcs.sort_by_key(|(s, _)| s.len());
            let mut acc: hashbrown::HashMap<Vec<u8>, f64, ahash::RandomState> =
                hashbrown::HashMap::with_hasher(ahash::RandomState::new());
            for (src, w) in &srcs {
                src.for_each(|m, s| {
                    let mut score = w * s;
                    if score.is_nan() {
                        score = 0.0;
                    }
                    match acc.get_mut(m) {
                        Some(t) => aggregate(t, score, q.how),
                        None => {
                            acc.insert(m.to_vec(), score);
                        }
                    }
                    true
                });
            }
            out.extend(acc);
        }
        SetOp::Inter => {
            srcs.sort_by_key(|(s, _)| s.len());
            let Some(((first, w0), rest)) = srcs.split_first() else {
                return (out, 0);
            };
            if first.len() == 0 {
                return (out, 0);
            }
            let mut card = 0usize;
            first.for_each(|m, s| {
                let mut score = w0 * s;
                if score.is_nan() {
                    score = 0.0;
                }
                for (src, w) in rest {
                    match src.score(m) {
                        Some(v) => aggregate(&mut score, v * w, q.how),
                        None => return true,
                    }
                }
                if card_only {
                    card += 1;
                    return q.limit == 0 || card < q.limit;
                }
                out.push((m.to_vec(), score));
                true
            });
            if card_only {
                return (out, card);
            }
        }
        SetOp::Diff => {
            let Some(((first, _), rest)) = srcs.split_first() else {
                return (out, 0);
            };
            first.for_each(|m, s| {
                if !rest.iter().any(|(src, _)| src.score(m).is_some()) {
                    out.push((m.to_vec(), s));
                }
                true
            });
        }
    }
    let n = out.len();
    (out, n)
}

fn setop_command(ctx: &mut Ctx<'_>, args: &[&[u8]], op: SetOp, store: bool) -> CmdResult {
    let numkeys_at = if store { 2 } else { 1 };
    let q = parse_setop(ctx, args, numkeys_at, op, store, false)?;
    let (mut entries, _) = run_setop(ctx, &q, op, false);
    if store {
        let n = store_result(ctx, args[1], entries);
        ctx.reply().integer(n as i64);
        return Ok(());
    }
    entries.sort_by(|a, b| {
        if a.1 < b.1 {
            std::cmp::Ordering::Less
        } else if a.1 > b.1 {
            std::cmp::Ordering::Greater
        } else {
            a.0.cmp(&b.0)
        }
    });
    let resp3 = ctx.client.resp3;
    let mut reply = ctx.reply();
    reply_entries(&mut reply, &entries, q.withscores, resp3);
    Ok(())
}

fn zunion(ctx: &mut Ctx<'_>, args: &[&[u8]]) -> CmdResult {
    setop_command(ctx, args, SetOp::Union, false)
}

fn zinter(ctx: &mut Ctx<'_>, args: &[&[u8]]) -> CmdResult {
    setop_command(ctx, args, SetOp::Inter, false)
}

fn zdiff(ctx: &mut Ctx<'_>, args: &[&[u8]]) -> CmdResult {
    setop_command(ctx, args, SetOp::Diff, false)
}

fn zunionstore(ctx: &mut Ctx<'_>, args: &[&[u8]]) -> CmdResult {
    setop_command(ctx, args, SetOp::Union, true)
}

fn zinterstore(ctx: &mut Ctx<'_>, args: &[&[u8]]) -> CmdResult {
    setop_command(ctx, args, SetOp::Inter, true)
}

fn zdiffstore(ctx: &mut Ctx<'_>, args: &[&[u8]]) -> CmdResult {
    setop_command(ctx, args, SetOp::Diff, true)
}

fn zintercard(ctx: &mut Ctx<'_>, args: &[&[u8]]) -> CmdResult {
    let q = parse_setop(ctx, args, 1, SetOp::Inter, false, true)?;
    let (_, card) = run_setop(ctx, &q, SetOp::Inter, true);
    ctx.reply().integer(card as i64);
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// ZSCAN
// ---------------------------------------------------------------------------------------------

fn zscan(ctx: &mut Ctx<'_>, args: &[&[u8]]) -> CmdResult {
    let cursor = parse_scan_cursor(args[2]).ok_or(CmdError::msg("ERR invalid cursor"))?;
    let (entry, mut reply) = ctx.lookup_read(args[1]);
    let Some(entry) = entry else {
        reply.array(2);
        reply.bulk(b"0");
        reply.array(0);
        return Ok(());
    };
    let z = entry.value.as_zset()?;
    let options = crate::args::ScanOptions::parse(args, 3)?;
    let mut found: Vec<(&[u8], f64)> = Vec::new();
    let next = z.scan(cursor, options.count, |m, s| {
        if options.matches(m) {
            found.push((m, s));
        }
    });
    reply.array(2);
    reply.bulk(itoa::Buffer::new().format(next).as_bytes());
    reply.array(found.len() * 2);
    let mut buf = Vec::with_capacity(24);
    for (m, s) in found {
        reply.bulk(m);
        buf.clear();
        protocol::format_double(&mut buf, s);
        reply.bulk(&buf);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    //! Expected replies below were recorded from Redis 7.0.15 (`redis-server`), command by
    //! command, in RESP2 and RESP3; the SMALL_LIMITS table with zset-max-listpack-entries 4
    //! and zset-max-listpack-value 8, so the big encoding answers it.
    use super::*;
    use crate::families::test_util::TestShard;

    fn run_cases(t: &mut TestShard, cases: &[(&[&str], &str)]) {
        for (args, want) in cases {
            assert_eq!(t.run(args), *want, "{args:?}");
        }
    }

    #[test]
    fn zincrby_takes_a_zadd_flag_for_the_increment_as_redis() {
        let mut t = TestShard::new();
        for flag in ["NX", "xx", "GT", "lt", "CH", "incr"] {
            assert_eq!(t.run(&["ZINCRBY", "z", flag, "m"]), "-ERR syntax error\r\n");
        }
        assert_eq!(
            t.run(&["ZINCRBY", "z", "abc", "m"]),
            "-ERR value is not a valid float\r\n"
        );
        assert_eq!(t.run(&["ZINCRBY", "z", "2", "m"]), "$1\r\n2\r\n");
    }

    fn resp3_shard() -> TestShard {
        let mut t = TestShard::new();
        t.client.resp3 = true;
        t
    }

    #[test]
    fn basics_resp2() {
        run_cases(&mut TestShard::new(), BASICS_RESP2);
    }

    #[test]
    fn basics_resp3() {
        run_cases(&mut resp3_shard(), BASICS_RESP3);
    }

    #[test]
    fn pops_resp2() {
        run_cases(&mut TestShard::new(), POPS_RESP2);
    }

    #[test]
    fn pops_resp3() {
        run_cases(&mut resp3_shard(), POPS_RESP3);
    }

    #[test]
    fn setops_resp2() {
        run_cases(&mut TestShard::new(), SETOPS_RESP2);
    }

    #[test]
    fn setops_resp3() {
        run_cases(&mut resp3_shard(), SETOPS_RESP3);
    }

    #[test]
    fn big_encoding_with_small_limits() {
        let mut t = TestShard::new();
        let settings = crate::shard::Settings {
            zset_max_listpack_entries: 4,
            zset_max_listpack_value: 8,
            ..crate::shard::Settings::default()
        };
        t.shard.settings = settings;
        run_cases(&mut t, SMALL_LIMITS_RESP2);
    }
    #[rustfmt::skip]
    const BASICS_RESP2: &[(&[&str], &str)] = &[
        (&["FLUSHALL"], "+OK\r\n"),
        (&["ZADD", "z", "1", "a", "2", "b", "3", "c"], ":3\r\n"),
        (&["ZADD", "z", "XX", "NX", "1", "a"], "-ERR XX and NX options at the same time are not compatible\r\n"),
        (&["ZADD", "z", "GT", "LT", "1", "a"], "-ERR GT, LT, and/or NX options at the same time are not compatible\r\n"),
        (&["ZADD", "z", "GT", "NX", "1", "a"], "-ERR GT, LT, and/or NX options at the same time are not compatible\r\n"),
        (&["ZADD", "z", "INCR", "1", "a", "2", "b"], "-ERR INCR option supports a single increment-element pair\r\n"),
        (&["ZADD", "z", "nan", "a"], "-ERR value is not a valid float\r\n"),
        (&["ZADD", "z", "1", "a", "2"], "-ERR syntax error\r\n"),
        (&["ZADD", "z", "INCR", "inf", "a"], "$3\r\ninf\r\n"),
        (&["ZADD", "z", "INCR", "-inf", "a"], "-ERR resulting score is not a number (NaN)\r\n"),
        (&["ZADD", "z", "CH", "5", "a", "2", "b", "9", "d"], ":2\r\n"),
        (&["ZADD", "z", "XX", "INCR", "1", "nosuch"], "$-1\r\n"),
        (&["ZADD", "z", "NX", "INCR", "1", "a"], "$-1\r\n"),
        (&["ZADD", "z", "GT", "INCR", "-100", "a"], "$-1\r\n"),
        (&["ZADD", "z", "GT", "CH", "1", "a"], ":0\r\n"),
        (&["ZADD", "z", "foo", "1", "a"], "-ERR syntax error\r\n"),
        (&["ZADD", "z", "1", "a", "foo"], "-ERR syntax error\r\n"),
        (&["ZADD", "z", "-0", "zero"], ":1\r\n"),
        (&["ZSCORE", "z", "zero"], "$1\r\n0\r\n"),
        (&["ZADD", "z", "1.50", "f"], ":1\r\n"),
        (&["ZSCORE", "z", "f"], "$3\r\n1.5\r\n"),
        (&["ZADD", "z", "0x10", "g"], ":1\r\n"),
        (&["ZSCORE", "z", "g"], "$2\r\n16\r\n"),
        (&["ZADD", "z", "1e400", "g"], "-ERR value is not a valid float\r\n"),
        (&["ZADD", "z", " 1", "g"], "-ERR value is not a valid float\r\n"),
        (&["ZINCRBY", "z", "1", "a"], "$1\r\n6\r\n"),
        (&["ZINCRBY", "z", "abc", "a"], "-ERR value is not a valid float\r\n"),
        (&["ZINCRBY", "z", "inf", "a"], "$3\r\ninf\r\n"),
        (&["ZINCRBY", "z", "-inf", "a"], "-ERR resulting score is not a number (NaN)\r\n"),
        (&["ZINCRBY", "z", "1", "newm"], "$1\r\n1\r\n"),
        (&["ZMSCORE", "z", "a", "nosuch", "b"], "*3\r\n$3\r\ninf\r\n$-1\r\n$1\r\n2\r\n"),
        (&["ZMSCORE", "nokey", "a", "b"], "*2\r\n$-1\r\n$-1\r\n"),
        (&["ZSCORE", "nokey", "a"], "$-1\r\n"),
        (&["ZRANK", "z", "a"], ":7\r\n"),
        (&["ZRANK", "z", "a", "WITHSCORE"], "-ERR wrong number of arguments for 'zrank' command\r\n"),
        (&["ZRANK", "z", "nosuch"], "$-1\r\n"),
        (&["ZREVRANK", "nokey", "a"], "$-1\r\n"),
        (&["ZREVRANK", "z", "a"], ":0\r\n"),
        (&["ZCARD", "nokey"], ":0\r\n"),
        (&["ZCARD", "z"], ":8\r\n"),
        (&["ZCOUNT", "z", "-inf", "+inf"], ":8\r\n"),
        (&["ZCOUNT", "z", "a", "3"], "-ERR min or max is not a float\r\n"),
        (&["ZCOUNT", "z", "[1", "3"], "-ERR min or max is not a float\r\n"),
        (&["ZCOUNT", "z", "(-inf", "inf"], ":8\r\n"),
        (&["ZLEXCOUNT", "z", "-", "+"], ":8\r\n"),
        (&["ZLEXCOUNT", "z", "a", "b"], "-ERR min or max not valid string range item\r\n"),
        (&["ZREM", "z", "a", "nosuch", "b"], ":2\r\n"),
        (&["ZREM", "nokey", "a"], ":0\r\n"),
        (&["FLUSHALL"], "+OK\r\n"),
        (&["ZADD", "z", "1", "a", "2", "b", "3", "c", "4", "d", "5", "e"], ":5\r\n"),
        (&["ZCOUNT", "z", "(1", "3"], ":2\r\n"),
        (&["ZCOUNT", "z", "(", "3"], ":3\r\n"),
        (&["ZCOUNT", "z", "(inf", "+inf"], ":0\r\n"),
        (&["ZCOUNT", "z", "3", "1"], ":0\r\n"),
        (&["ZCOUNT", "z", "-inf", "(-inf"], ":0\r\n"),
        (&["ZCOUNT", "z", "1 ", "3"], "-ERR min or max is not a float\r\n"),
        (&["ZCOUNT", "z", "  1", "1e500"], ":5\r\n"),
        (&["ZCOUNT", "z", "", ""], ":0\r\n"),
        (&["ZCOUNT", "z", "-0x10", "+0x10"], ":5\r\n"),
        (&["ZLEXCOUNT", "z", "[a", "(b"], ":1\r\n"),
        (&["ZLEXCOUNT", "z", "+", "-"], ":0\r\n"),
        (&["ZLEXCOUNT", "z", "-", "+"], ":5\r\n"),
        (&["ZLEXCOUNT", "z", "", "+"], "-ERR min or max not valid string range item\r\n"),
        (&["ZLEXCOUNT", "z", "[", "+"], ":5\r\n"),
        (&["ZLEXCOUNT", "z", "(", "+"], ":5\r\n"),
        (&["ZLEXCOUNT", "z", "+a", "+"], "-ERR min or max not valid string range item\r\n"),
        (&["ZRANGE", "z", "0", "-1"], "*5\r\n$1\r\na\r\n$1\r\nb\r\n$1\r\nc\r\n$1\r\nd\r\n$1\r\ne\r\n"),
        (&["ZRANGE", "z", "0", "-1", "WITHSCORES"], "*10\r\n$1\r\na\r\n$1\r\n1\r\n$1\r\nb\r\n$1\r\n2\r\n$1\r\nc\r\n$1\r\n3\r\n$1\r\nd\r\n$1\r\n4\r\n$1\r\ne\r\n$1\r\n5\r\n"),
        (&["ZRANGE", "z", "-100", "100", "WITHSCORES"], "*10\r\n$1\r\na\r\n$1\r\n1\r\n$1\r\nb\r\n$1\r\n2\r\n$1\r\nc\r\n$1\r\n3\r\n$1\r\nd\r\n$1\r\n4\r\n$1\r\ne\r\n$1\r\n5\r\n"),
        (&["ZRANGE", "z", "3", "1"], "*0\r\n"),
        (&["ZRANGE", "z", "0", "a"], "-ERR value is not an integer or out of range\r\n"),
        (&["ZRANGE", "z", "0", "-1", "REV"], "*5\r\n$1\r\ne\r\n$1\r\nd\r\n$1\r\nc\r\n$1\r\nb\r\n$1\r\na\r\n"),
        (&["ZRANGE", "z", "1", "2", "REV", "WITHSCORES"], "*4\r\n$1\r\nd\r\n$1\r\n4\r\n$1\r\nc\r\n$1\r\n3\r\n"),
        (&["ZRANGE", "z", "0", "-1", "LIMIT", "0", "1"], "-ERR syntax error, LIMIT is only supported in combination with either BYSCORE or BYLEX\r\n"),
        (&["ZRANGE", "z", "0", "-1", "LIMIT", "0", "-1"], "*5\r\n$1\r\na\r\n$1\r\nb\r\n$1\r\nc\r\n$1\r\nd\r\n$1\r\ne\r\n"),
        (&["ZRANGE", "z", "(1", "3", "BYSCORE"], "*2\r\n$1\r\nb\r\n$1\r\nc\r\n"),
        (&["ZRANGE", "z", "3", "(1", "BYSCORE", "REV"], "*2\r\n$1\r\nc\r\n$1\r\nb\r\n"),
        (&["ZRANGE", "z", "3", "(1", "BYSCORE", "REV", "LIMIT", "1", "1", "WITHSCORES"], "*2\r\n$1\r\nb\r\n$1\r\n2\r\n"),
        (&["ZRANGE", "z", "-", "+", "BYLEX", "WITHSCORES"], "-ERR syntax error, WITHSCORES not supported in combination with BYLEX\r\n"),
        (&["ZRANGE", "z", "-", "+", "BYLEX", "LIMIT", "1", "2"], "*2\r\n$1\r\nb\r\n$1\r\nc\r\n"),
        (&["ZRANGE", "z", "+", "-", "BYLEX", "REV", "LIMIT", "1", "-1"], "*4\r\n$1\r\nd\r\n$1\r\nc\r\n$1\r\nb\r\n$1\r\na\r\n"),
        (&["ZRANGE", "z", "a", "b", "BYSCORE"], "-ERR min or max is not a float\r\n"),
        (&["ZRANGE", "z", "a", "b", "BYLEX"], "-ERR min or max not valid string range item\r\n"),
        (&["ZRANGE", "z", "0", "-1", "BYSCORE", "BYLEX"], "-ERR syntax error\r\n"),
        (&["ZRANGE", "z", "0", "-1", "REV", "REV"], "-ERR syntax error\r\n"),
        (&["ZRANGE", "z", "0", "-1", "FOO"], "-ERR syntax error\r\n"),
        (&["ZRANGE", "z", "0", "-1", "LIMIT", "1"], "-ERR syntax error\r\n"),
        (&["ZRANGE", "z", "0", "-1", "BYSCORE", "LIMIT", "a", "1"], "-ERR value is not an integer or out of range\r\n"),
        (&["ZRANGE", "z", "0", "-1", "BYSCORE", "LIMIT", "0", "-5"], "*0\r\n"),
        (&["ZRANGE", "z", "0", "10", "BYSCORE", "LIMIT", "-1", "5"], "*0\r\n"),
        (&["ZRANGE", "z", "0", "10", "BYSCORE", "LIMIT", "10", "5"], "*0\r\n"),
        (&["ZRANGE", "z", "0", "10", "BYSCORE", "LIMIT", "2", "0"], "*0\r\n"),
        (&["ZRANGE", "z", "0", "10", "BYSCORE", "LIMIT", "4", "5", "WITHSCORES"], "*2\r\n$1\r\ne\r\n$1\r\n5\r\n"),
        (&["ZRANGE", "nokey", "0", "-1"], "*0\r\n"),
        (&["ZRANGE", "nokey", "a", "b"], "-ERR value is not an integer or out of range\r\n"),
        (&["ZRANGE", "nokey", "0", "1", "BYSCORE", "LIMIT", "0", "1", "WITHSCORES"], "*0\r\n"),
        (&["ZRANGE", "nokey", "0", "1", "LIMIT", "0", "1"], "-ERR syntax error, LIMIT is only supported in combination with either BYSCORE or BYLEX\r\n"),
        (&["ZREVRANGE", "z", "0", "1", "WITHSCORES"], "*4\r\n$1\r\ne\r\n$1\r\n5\r\n$1\r\nd\r\n$1\r\n4\r\n"),
        (&["ZREVRANGE", "z", "0", "1", "BYSCORE"], "-ERR syntax error\r\n"),
        (&["ZREVRANGE", "z", "0", "1", "LIMIT", "0", "1"], "-ERR syntax error, LIMIT is only supported in combination with either BYSCORE or BYLEX\r\n"),
        (&["ZRANGEBYSCORE", "z", "-inf", "+inf", "WITHSCORES", "LIMIT", "1", "2"], "*4\r\n$1\r\nb\r\n$1\r\n2\r\n$1\r\nc\r\n$1\r\n3\r\n"),
        (&["ZRANGEBYSCORE", "z", "-inf", "+inf", "LIMIT", "1", "2", "WITHSCORES"], "*4\r\n$1\r\nb\r\n$1\r\n2\r\n$1\r\nc\r\n$1\r\n3\r\n"),
        (&["ZRANGEBYSCORE", "z", "-inf", "+inf", "REV"], "-ERR syntax error\r\n"),
        (&["ZRANGEBYSCORE", "z", "-inf", "+inf", "LIMIT", "1"], "-ERR syntax error\r\n"),
        (&["ZRANGEBYSCORE", "z", "2", "2"], "*1\r\n$1\r\nb\r\n"),
        (&["ZRANGEBYSCORE", "z", "(2", "2"], "*0\r\n"),
        (&["ZREVRANGEBYSCORE", "z", "+inf", "-inf", "WITHSCORES"], "*10\r\n$1\r\ne\r\n$1\r\n5\r\n$1\r\nd\r\n$1\r\n4\r\n$1\r\nc\r\n$1\r\n3\r\n$1\r\nb\r\n$1\r\n2\r\n$1\r\na\r\n$1\r\n1\r\n"),
        (&["ZREVRANGEBYSCORE", "z", "4", "(2", "LIMIT", "1", "5"], "*1\r\n$1\r\nc\r\n"),
        (&["ZRANGEBYLEX", "z", "-", "+", "WITHSCORES"], "-ERR syntax error, WITHSCORES not supported in combination with BYLEX\r\n"),
        (&["ZRANGEBYLEX", "z", "-", "+", "LIMIT", "0", "2"], "*2\r\n$1\r\na\r\n$1\r\nb\r\n"),
        (&["ZRANGEBYLEX", "z", "(a", "[c"], "*2\r\n$1\r\nb\r\n$1\r\nc\r\n"),
        (&["ZREVRANGEBYLEX", "z", "+", "-", "LIMIT", "0", "2"], "*2\r\n$1\r\ne\r\n$1\r\nd\r\n"),
        (&["ZREVRANGEBYLEX", "z", "+", "-"], "*5\r\n$1\r\ne\r\n$1\r\nd\r\n$1\r\nc\r\n$1\r\nb\r\n$1\r\na\r\n"),
        (&["ZREVRANGEBYLEX", "z", "[d", "(a", "LIMIT", "1", "10"], "*2\r\n$1\r\nc\r\n$1\r\nb\r\n"),
        (&["SET", "s", "x"], "+OK\r\n"),
        (&["ZRANGE", "s", "0", "-1"], "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"),
        (&["ZRANGE", "s", "a", "b"], "-ERR value is not an integer or out of range\r\n"),
        (&["ZCOUNT", "s", "a", "b"], "-ERR min or max is not a float\r\n"),
        (&["ZCOUNT", "s", "0", "1"], "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"),
    ];

    #[rustfmt::skip]
    const BASICS_RESP3: &[(&[&str], &str)] = &[
        (&["FLUSHALL"], "+OK\r\n"),
        (&["ZADD", "z", "1", "a", "2", "b", "3", "c"], ":3\r\n"),
        (&["ZADD", "z", "XX", "NX", "1", "a"], "-ERR XX and NX options at the same time are not compatible\r\n"),
        (&["ZADD", "z", "GT", "LT", "1", "a"], "-ERR GT, LT, and/or NX options at the same time are not compatible\r\n"),
        (&["ZADD", "z", "GT", "NX", "1", "a"], "-ERR GT, LT, and/or NX options at the same time are not compatible\r\n"),
        (&["ZADD", "z", "INCR", "1", "a", "2", "b"], "-ERR INCR option supports a single increment-element pair\r\n"),
        (&["ZADD", "z", "nan", "a"], "-ERR value is not a valid float\r\n"),
        (&["ZADD", "z", "1", "a", "2"], "-ERR syntax error\r\n"),
        (&["ZADD", "z", "INCR", "inf", "a"], ",inf\r\n"),
        (&["ZADD", "z", "INCR", "-inf", "a"], "-ERR resulting score is not a number (NaN)\r\n"),
        (&["ZADD", "z", "CH", "5", "a", "2", "b", "9", "d"], ":2\r\n"),
        (&["ZADD", "z", "XX", "INCR", "1", "nosuch"], "_\r\n"),
        (&["ZADD", "z", "NX", "INCR", "1", "a"], "_\r\n"),
        (&["ZADD", "z", "GT", "INCR", "-100", "a"], "_\r\n"),
        (&["ZADD", "z", "GT", "CH", "1", "a"], ":0\r\n"),
        (&["ZADD", "z", "foo", "1", "a"], "-ERR syntax error\r\n"),
        (&["ZADD", "z", "1", "a", "foo"], "-ERR syntax error\r\n"),
        (&["ZADD", "z", "-0", "zero"], ":1\r\n"),
        (&["ZSCORE", "z", "zero"], ",0\r\n"),
        (&["ZADD", "z", "1.50", "f"], ":1\r\n"),
        (&["ZSCORE", "z", "f"], ",1.5\r\n"),
        (&["ZADD", "z", "0x10", "g"], ":1\r\n"),
        (&["ZSCORE", "z", "g"], ",16\r\n"),
        (&["ZADD", "z", "1e400", "g"], "-ERR value is not a valid float\r\n"),
        (&["ZADD", "z", " 1", "g"], "-ERR value is not a valid float\r\n"),
        (&["ZINCRBY", "z", "1", "a"], ",6\r\n"),
        (&["ZINCRBY", "z", "abc", "a"], "-ERR value is not a valid float\r\n"),
        (&["ZINCRBY", "z", "inf", "a"], ",inf\r\n"),
        (&["ZINCRBY", "z", "-inf", "a"], "-ERR resulting score is not a number (NaN)\r\n"),
        (&["ZINCRBY", "z", "1", "newm"], ",1\r\n"),
        (&["ZMSCORE", "z", "a", "nosuch", "b"], "*3\r\n,inf\r\n_\r\n,2\r\n"),
        (&["ZMSCORE", "nokey", "a", "b"], "*2\r\n_\r\n_\r\n"),
        (&["ZSCORE", "nokey", "a"], "_\r\n"),
        (&["ZRANK", "z", "a"], ":7\r\n"),
        (&["ZRANK", "z", "a", "WITHSCORE"], "-ERR wrong number of arguments for 'zrank' command\r\n"),
        (&["ZRANK", "z", "nosuch"], "_\r\n"),
        (&["ZREVRANK", "nokey", "a"], "_\r\n"),
        (&["ZREVRANK", "z", "a"], ":0\r\n"),
        (&["ZCARD", "nokey"], ":0\r\n"),
        (&["ZCARD", "z"], ":8\r\n"),
        (&["ZCOUNT", "z", "-inf", "+inf"], ":8\r\n"),
        (&["ZCOUNT", "z", "a", "3"], "-ERR min or max is not a float\r\n"),
        (&["ZCOUNT", "z", "[1", "3"], "-ERR min or max is not a float\r\n"),
        (&["ZCOUNT", "z", "(-inf", "inf"], ":8\r\n"),
        (&["ZLEXCOUNT", "z", "-", "+"], ":8\r\n"),
        (&["ZLEXCOUNT", "z", "a", "b"], "-ERR min or max not valid string range item\r\n"),
        (&["ZREM", "z", "a", "nosuch", "b"], ":2\r\n"),
        (&["ZREM", "nokey", "a"], ":0\r\n"),
        (&["FLUSHALL"], "+OK\r\n"),
        (&["ZADD", "z", "1", "a", "2", "b", "3", "c", "4", "d", "5", "e"], ":5\r\n"),
        (&["ZCOUNT", "z", "(1", "3"], ":2\r\n"),
        (&["ZCOUNT", "z", "(", "3"], ":3\r\n"),
        (&["ZCOUNT", "z", "(inf", "+inf"], ":0\r\n"),
        (&["ZCOUNT", "z", "3", "1"], ":0\r\n"),
        (&["ZCOUNT", "z", "-inf", "(-inf"], ":0\r\n"),
        (&["ZCOUNT", "z", "1 ", "3"], "-ERR min or max is not a float\r\n"),
        (&["ZCOUNT", "z", "  1", "1e500"], ":5\r\n"),
        (&["ZCOUNT", "z", "", ""], ":0\r\n"),
        (&["ZCOUNT", "z", "-0x10", "+0x10"], ":5\r\n"),
        (&["ZLEXCOUNT", "z", "[a", "(b"], ":1\r\n"),
        (&["ZLEXCOUNT", "z", "+", "-"], ":0\r\n"),
        (&["ZLEXCOUNT", "z", "-", "+"], ":5\r\n"),
        (&["ZLEXCOUNT", "z", "", "+"], "-ERR min or max not valid string range item\r\n"),
        (&["ZLEXCOUNT", "z", "[", "+"], ":5\r\n"),
        (&["ZLEXCOUNT", "z", "(", "+"], ":5\r\n"),
        (&["ZLEXCOUNT", "z", "+a", "+"], "-ERR min or max not valid string range item\r\n"),
        (&["ZRANGE", "z", "0", "-1"], "*5\r\n$1\r\na\r\n$1\r\nb\r\n$1\r\nc\r\n$1\r\nd\r\n$1\r\ne\r\n"),
        (&["ZRANGE", "z", "0", "-1", "WITHSCORES"], "*5\r\n*2\r\n$1\r\na\r\n,1\r\n*2\r\n$1\r\nb\r\n,2\r\n*2\r\n$1\r\nc\r\n,3\r\n*2\r\n$1\r\nd\r\n,4\r\n*2\r\n$1\r\ne\r\n,5\r\n"),
        (&["ZRANGE", "z", "-100", "100", "WITHSCORES"], "*5\r\n*2\r\n$1\r\na\r\n,1\r\n*2\r\n$1\r\nb\r\n,2\r\n*2\r\n$1\r\nc\r\n,3\r\n*2\r\n$1\r\nd\r\n,4\r\n*2\r\n$1\r\ne\r\n,5\r\n"),
        (&["ZRANGE", "z", "3", "1"], "*0\r\n"),
        (&["ZRANGE", "z", "0", "a"], "-ERR value is not an integer or out of range\r\n"),
        (&["ZRANGE", "z", "0", "-1", "REV"], "*5\r\n$1\r\ne\r\n$1\r\nd\r\n$1\r\nc\r\n$1\r\nb\r\n$1\r\na\r\n"),
        (&["ZRANGE", "z", "1", "2", "REV", "WITHSCORES"], "*2\r\n*2\r\n$1\r\nd\r\n,4\r\n*2\r\n$1\r\nc\r\n,3\r\n"),
        (&["ZRANGE", "z", "0", "-1", "LIMIT", "0", "1"], "-ERR syntax error, LIMIT is only supported in combination with either BYSCORE or BYLEX\r\n"),
        (&["ZRANGE", "z", "0", "-1", "LIMIT", "0", "-1"], "*5\r\n$1\r\na\r\n$1\r\nb\r\n$1\r\nc\r\n$1\r\nd\r\n$1\r\ne\r\n"),
        (&["ZRANGE", "z", "(1", "3", "BYSCORE"], "*2\r\n$1\r\nb\r\n$1\r\nc\r\n"),
        (&["ZRANGE", "z", "3", "(1", "BYSCORE", "REV"], "*2\r\n$1\r\nc\r\n$1\r\nb\r\n"),
        (&["ZRANGE", "z", "3", "(1", "BYSCORE", "REV", "LIMIT", "1", "1", "WITHSCORES"], "*1\r\n*2\r\n$1\r\nb\r\n,2\r\n"),
        (&["ZRANGE", "z", "-", "+", "BYLEX", "WITHSCORES"], "-ERR syntax error, WITHSCORES not supported in combination with BYLEX\r\n"),
        (&["ZRANGE", "z", "-", "+", "BYLEX", "LIMIT", "1", "2"], "*2\r\n$1\r\nb\r\n$1\r\nc\r\n"),
        (&["ZRANGE", "z", "+", "-", "BYLEX", "REV", "LIMIT", "1", "-1"], "*4\r\n$1\r\nd\r\n$1\r\nc\r\n$1\r\nb\r\n$1\r\na\r\n"),
        (&["ZRANGE", "z", "a", "b", "BYSCORE"], "-ERR min or max is not a float\r\n"),
        (&["ZRANGE", "z", "a", "b", "BYLEX"], "-ERR min or max not valid string range item\r\n"),
        (&["ZRANGE", "z", "0", "-1", "BYSCORE", "BYLEX"], "-ERR syntax error\r\n"),
        (&["ZRANGE", "z", "0", "-1", "REV", "REV"], "-ERR syntax error\r\n"),
        (&["ZRANGE", "z", "0", "-1", "FOO"], "-ERR syntax error\r\n"),
        (&["ZRANGE", "z", "0", "-1", "LIMIT", "1"], "-ERR syntax error\r\n"),
        (&["ZRANGE", "z", "0", "-1", "BYSCORE", "LIMIT", "a", "1"], "-ERR value is not an integer or out of range\r\n"),
        (&["ZRANGE", "z", "0", "-1", "BYSCORE", "LIMIT", "0", "-5"], "*0\r\n"),
        (&["ZRANGE", "z", "0", "10", "BYSCORE", "LIMIT", "-1", "5"], "*0\r\n"),
        (&["ZRANGE", "z", "0", "10", "BYSCORE", "LIMIT", "10", "5"], "*0\r\n"),
        (&["ZRANGE", "z", "0", "10", "BYSCORE", "LIMIT", "2", "0"], "*0\r\n"),
        (&["ZRANGE", "z", "0", "10", "BYSCORE", "LIMIT", "4", "5", "WITHSCORES"], "*1\r\n*2\r\n$1\r\ne\r\n,5\r\n"),
        (&["ZRANGE", "nokey", "0", "-1"], "*0\r\n"),
        (&["ZRANGE", "nokey", "a", "b"], "-ERR value is not an integer or out of range\r\n"),
        (&["ZRANGE", "nokey", "0", "1", "BYSCORE", "LIMIT", "0", "1", "WITHSCORES"], "*0\r\n"),
        (&["ZRANGE", "nokey", "0", "1", "LIMIT", "0", "1"], "-ERR syntax error, LIMIT is only supported in combination with either BYSCORE or BYLEX\r\n"),
        (&["ZREVRANGE", "z", "0", "1", "WITHSCORES"], "*2\r\n*2\r\n$1\r\ne\r\n,5\r\n*2\r\n$1\r\nd\r\n,4\r\n"),
        (&["ZREVRANGE", "z", "0", "1", "BYSCORE"], "-ERR syntax error\r\n"),
        (&["ZREVRANGE", "z", "0", "1", "LIMIT", "0", "1"], "-ERR syntax error, LIMIT is only supported in combination with either BYSCORE or BYLEX\r\n"),
        (&["ZRANGEBYSCORE", "z", "-inf", "+inf", "WITHSCORES", "LIMIT", "1", "2"], "*2\r\n*2\r\n$1\r\nb\r\n,2\r\n*2\r\n$1\r\nc\r\n,3\r\n"),
        (&["ZRANGEBYSCORE", "z", "-inf", "+inf", "LIMIT", "1", "2", "WITHSCORES"], "*2\r\n*2\r\n$1\r\nb\r\n,2\r\n*2\r\n$1\r\nc\r\n,3\r\n"),
        (&["ZRANGEBYSCORE", "z", "-inf", "+inf", "REV"], "-ERR syntax error\r\n"),
        (&["ZRANGEBYSCORE", "z", "-inf", "+inf", "LIMIT", "1"], "-ERR syntax error\r\n"),
        (&["ZRANGEBYSCORE", "z", "2", "2"], "*1\r\n$1\r\nb\r\n"),
        (&["ZRANGEBYSCORE", "z", "(2", "2"], "*0\r\n"),
        (&["ZREVRANGEBYSCORE", "z", "+inf", "-inf", "WITHSCORES"], "*5\r\n*2\r\n$1\r\ne\r\n,5\r\n*2\r\n$1\r\nd\r\n,4\r\n*2\r\n$1\r\nc\r\n,3\r\n*2\r\n$1\r\nb\r\n,2\r\n*2\r\n$1\r\na\r\n,1\r\n"),
        (&["ZREVRANGEBYSCORE", "z", "4", "(2", "LIMIT", "1", "5"], "*1\r\n$1\r\nc\r\n"),
        (&["ZRANGEBYLEX", "z", "-", "+", "WITHSCORES"], "-ERR syntax error, WITHSCORES not supported in combination with BYLEX\r\n"),
        (&["ZRANGEBYLEX", "z", "-", "+", "LIMIT", "0", "2"], "*2\r\n$1\r\na\r\n$1\r\nb\r\n"),
        (&["ZRANGEBYLEX", "z", "(a", "[c"], "*2\r\n$1\r\nb\r\n$1\r\nc\r\n"),
        (&["ZREVRANGEBYLEX", "z", "+", "-", "LIMIT", "0", "2"], "*2\r\n$1\r\ne\r\n$1\r\nd\r\n"),
        (&["ZREVRANGEBYLEX", "z", "+", "-"], "*5\r\n$1\r\ne\r\n$1\r\nd\r\n$1\r\nc\r\n$1\r\nb\r\n$1\r\na\r\n"),
        (&["ZREVRANGEBYLEX", "z", "[d", "(a", "LIMIT", "1", "10"], "*2\r\n$1\r\nc\r\n$1\r\nb\r\n"),
        (&["SET", "s", "x"], "+OK\r\n"),
        (&["ZRANGE", "s", "0", "-1"], "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"),
        (&["ZRANGE", "s", "a", "b"], "-ERR value is not an integer or out of range\r\n"),
        (&["ZCOUNT", "s", "a", "b"], "-ERR min or max is not a float\r\n"),
        (&["ZCOUNT", "s", "0", "1"], "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"),
    ];

    #[rustfmt::skip]
    const POPS_RESP2: &[(&[&str], &str)] = &[
        (&["FLUSHALL"], "+OK\r\n"),
        (&["ZADD", "z", "1", "a", "2", "b", "3.5", "c"], ":3\r\n"),
        (&["ZRANGE", "z", "0", "-1", "WITHSCORES"], "*6\r\n$1\r\na\r\n$1\r\n1\r\n$1\r\nb\r\n$1\r\n2\r\n$1\r\nc\r\n$3\r\n3.5\r\n"),
        (&["ZRANGEBYSCORE", "z", "-inf", "inf", "WITHSCORES"], "*6\r\n$1\r\na\r\n$1\r\n1\r\n$1\r\nb\r\n$1\r\n2\r\n$1\r\nc\r\n$3\r\n3.5\r\n"),
        (&["ZREVRANGE", "z", "0", "0", "WITHSCORES"], "*2\r\n$1\r\nc\r\n$3\r\n3.5\r\n"),
        (&["ZSCORE", "z", "c"], "$3\r\n3.5\r\n"),
        (&["ZMSCORE", "z", "a", "x"], "*2\r\n$1\r\n1\r\n$-1\r\n"),
        (&["ZINCRBY", "z", "1", "a"], "$1\r\n2\r\n"),
        (&["ZADD", "z", "INCR", "1", "a"], "$1\r\n3\r\n"),
        (&["ZADD", "z", "XX", "INCR", "1", "nosuch"], "$-1\r\n"),
        (&["ZPOPMIN", "z"], "*2\r\n$1\r\nb\r\n$1\r\n2\r\n"),
        (&["ZPOPMIN", "z", "2"], "*4\r\n$1\r\na\r\n$1\r\n3\r\n$1\r\nc\r\n$3\r\n3.5\r\n"),
        (&["ZPOPMIN", "nokey"], "*0\r\n"),
        (&["ZPOPMIN", "nokey", "2"], "*0\r\n"),
        (&["ZADD", "z", "1", "a", "2", "b"], ":2\r\n"),
        (&["ZPOPMAX", "z", "0"], "*0\r\n"),
        (&["ZRANDMEMBER", "z", "2", "WITHSCORES"], "*4\r\n$1\r\nb\r\n$1\r\n2\r\n$1\r\na\r\n$1\r\n1\r\n"),
        (&["ZRANDMEMBER", "z", "5", "WITHSCORES"], "*4\r\n$1\r\nb\r\n$1\r\n2\r\n$1\r\na\r\n$1\r\n1\r\n"),
        (&["ZRANDMEMBER", "nokey"], "$-1\r\n"),
        (&["ZRANDMEMBER", "nokey", "2"], "*0\r\n"),
        (&["ZMPOP", "1", "z", "MIN"], "*2\r\n$1\r\nz\r\n*1\r\n*2\r\n$1\r\na\r\n$1\r\n1\r\n"),
        (&["ZMPOP", "1", "z", "MAX", "COUNT", "5"], "*2\r\n$1\r\nz\r\n*1\r\n*2\r\n$1\r\nb\r\n$1\r\n2\r\n"),
        (&["ZMPOP", "1", "nokey", "MIN"], "*-1\r\n"),
        (&["ZADD", "z", "1", "a", "2", "b"], ":2\r\n"),
        (&["BZPOPMIN", "z", "0"], "*3\r\n$1\r\nz\r\n$1\r\na\r\n$1\r\n1\r\n"),
        (&["BZMPOP", "0", "1", "z", "MIN", "COUNT", "2"], "*2\r\n$1\r\nz\r\n*1\r\n*2\r\n$1\r\nb\r\n$1\r\n2\r\n"),
        (&["ZUNION", "1", "z", "WITHSCORES"], "*0\r\n"),
        (&["ZADD", "z", "1", "a", "2", "b"], ":2\r\n"),
        (&["ZUNION", "1", "z", "WITHSCORES"], "*4\r\n$1\r\na\r\n$1\r\n1\r\n$1\r\nb\r\n$1\r\n2\r\n"),
        (&["ZINTER", "1", "z", "WITHSCORES"], "*4\r\n$1\r\na\r\n$1\r\n1\r\n$1\r\nb\r\n$1\r\n2\r\n"),
        (&["ZDIFF", "1", "z", "WITHSCORES"], "*4\r\n$1\r\na\r\n$1\r\n1\r\n$1\r\nb\r\n$1\r\n2\r\n"),
        (&["ZSCAN", "z", "0"], "*2\r\n$1\r\n0\r\n*4\r\n$1\r\na\r\n$1\r\n1\r\n$1\r\nb\r\n$1\r\n2\r\n"),
        (&["ZRANK", "z", "a"], ":0\r\n"),
        (&["ZRANGESTORE", "dst", "z", "0", "-1"], ":2\r\n"),
        (&["ZADD", "z", "1", "a", "2", "b", "3.5", "c"], ":1\r\n"),
        (&["ZPOPMIN", "z"], "*2\r\n$1\r\na\r\n$1\r\n1\r\n"),
        (&["ZPOPMIN", "z", "2"], "*4\r\n$1\r\nb\r\n$1\r\n2\r\n$1\r\nc\r\n$3\r\n3.5\r\n"),
        (&["ZPOPMIN", "z", "-1"], "-ERR value is out of range, must be positive\r\n"),
        (&["ZPOPMIN", "z", "a"], "-ERR value is out of range, must be positive\r\n"),
        (&["ZPOPMIN", "nokey", "-1"], "-ERR value is out of range, must be positive\r\n"),
        (&["ZPOPMIN", "z", "1", "2"], "-ERR syntax error\r\n"),
        (&["ZADD", "z", "1", "a", "2", "b", "3", "c"], ":3\r\n"),
        (&["ZPOPMIN", "z", "1"], "*2\r\n$1\r\na\r\n$1\r\n1\r\n"),
        (&["ZPOPMAX", "z", "1"], "*2\r\n$1\r\nc\r\n$1\r\n3\r\n"),
        (&["ZADD", "z", "1", "a", "2", "b", "3", "c"], ":2\r\n"),
        (&["ZMPOP", "1", "nokey", "MIN"], "*-1\r\n"),
        (&["ZMPOP", "1", "z", "MIN", "COUNT", "2"], "*2\r\n$1\r\nz\r\n*2\r\n*2\r\n$1\r\na\r\n$1\r\n1\r\n*2\r\n$1\r\nb\r\n$1\r\n2\r\n"),
        (&["ZMPOP", "0", "z", "MIN"], "-ERR numkeys should be greater than 0\r\n"),
        (&["ZMPOP", "-1", "z", "MIN"], "-ERR numkeys should be greater than 0\r\n"),
        (&["ZMPOP", "2", "z", "MIN"], "-ERR syntax error\r\n"),
        (&["ZMPOP", "1", "z", "FOO"], "-ERR syntax error\r\n"),
        (&["ZMPOP", "1", "z", "MIN", "COUNT", "0"], "-ERR count should be greater than 0\r\n"),
        (&["ZMPOP", "1", "z", "MIN", "COUNT", "-1"], "-ERR count should be greater than 0\r\n"),
        (&["ZMPOP", "1", "z", "MIN", "COUNT", "a"], "-ERR count should be greater than 0\r\n"),
        (&["ZMPOP", "1", "z", "MIN", "COUNT", "1", "COUNT", "1"], "-ERR syntax error\r\n"),
        (&["ZMPOP", "1", "z", "MIN", "FOO"], "-ERR syntax error\r\n"),
        (&["ZMPOP", "a", "z", "MIN"], "-ERR numkeys should be greater than 0\r\n"),
        (&["ZMPOP", "1", "z", "min", "count", "1"], "*2\r\n$1\r\nz\r\n*1\r\n*2\r\n$1\r\nc\r\n$1\r\n3\r\n"),
        (&["ZMPOP", "2", "nokey", "z", "MAX"], "*-1\r\n"),
        (&["BZMPOP", "0", "0", "z", "MIN"], "-ERR numkeys should be greater than 0\r\n"),
        (&["BZMPOP", "a", "1", "z", "MIN"], "-ERR timeout is not a float or out of range\r\n"),
        (&["BZMPOP", "-1", "1", "z", "MIN"], "-ERR timeout is negative\r\n"),
        (&["BZMPOP", "0.01", "1", "nokey", "MIN"], ""),
        (&["BZPOPMIN", "nokey", "0.01"], ""),
        (&["BZPOPMIN", "nokey", "a"], "-ERR timeout is not a float or out of range\r\n"),
        (&["BZPOPMIN", "nokey", "-1"], "-ERR timeout is negative\r\n"),
        (&["ZADD", "z", "1", "a", "2", "b", "3", "c"], ":3\r\n"),
        (&["ZRANDMEMBER", "nokey"], "$-1\r\n"),
        (&["ZRANDMEMBER", "nokey", "2", "WITHSCORES"], "*0\r\n"),
        (&["ZRANDMEMBER", "z", "a"], "-ERR value is not an integer or out of range\r\n"),
        (&["ZRANDMEMBER", "z", "1", "FOO"], "-ERR syntax error\r\n"),
        (&["ZRANDMEMBER", "z", "1", "WITHSCORES", "FOO"], "-ERR syntax error\r\n"),
        (&["ZRANDMEMBER", "z", "0"], "*0\r\n"),
        (&["ZRANDMEMBER", "z", "5", "WITHSCORES"], "*6\r\n$1\r\nc\r\n$1\r\n3\r\n$1\r\nb\r\n$1\r\n2\r\n$1\r\na\r\n$1\r\n1\r\n"),
        (&["ZRANDMEMBER", "z", "3"], "*3\r\n$1\r\nc\r\n$1\r\nb\r\n$1\r\na\r\n"),
        (&["ZRANDMEMBER", "z", "-9223372036854775808"], "-ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807\r\n"),
        (&["ZRANDMEMBER", "z", "-9223372036854775807", "WITHSCORES"], "-ERR value is out of range\r\n"),
        (&["ZRANDMEMBER", "z", "-4611686018427387904", "WITHSCORES"], "-ERR value is out of range\r\n"),
        (&["ZRANDMEMBER", "nokey", "-4611686018427387903", "WITHSCORES"], "*0\r\n"),
        (&["SET", "s", "x"], "+OK\r\n"),
        (&["ZRANDMEMBER", "s"], "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"),
        (&["ZRANDMEMBER", "s", "a"], "-ERR value is not an integer or out of range\r\n"),
        (&["ZRANDMEMBER", "s", "1"], "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"),
        (&["ZMPOP", "1", "s", "MIN"], "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"),
        (&["ZPOPMIN", "s"], "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"),
        (&["ZPOPMIN", "s", "a"], "-ERR value is out of range, must be positive\r\n"),
        (&["ZPOPMIN", "s", "0"], "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"),
        (&["ZPOPMIN", "nokey", "0"], "*0\r\n"),
        (&["ZMSCORE", "s", "a"], "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"),
        (&["ZINCRBY", "s", "1", "a"], "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"),
        (&["ZINCRBY", "s", "a", "a"], "-ERR value is not a valid float\r\n"),
        (&["ZADD", "s", "1", "a"], "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"),
        (&["ZADD", "s", "a", "a"], "-ERR value is not a valid float\r\n"),
        (&["ZRANGESTORE", "dst", "s", "0", "-1"], "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"),
        (&["ZRANGESTORE", "dst", "nokey", "0", "-1"], ":0\r\n"),
        (&["ZRANGESTORE", "s", "nokey2", "0", "-1"], ":0\r\n"),
        (&["TYPE", "s"], "+none\r\n"),
        (&["SET", "s", "x"], "+OK\r\n"),
        (&["BZPOPMIN", "s", "0"], "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"),
        (&["BZPOPMIN", "nokey", "s", "0"], "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"),
        (&["BZMPOP", "0", "1", "s", "MIN"], "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"),
    ];

    #[rustfmt::skip]
    const POPS_RESP3: &[(&[&str], &str)] = &[
        (&["FLUSHALL"], "+OK\r\n"),
        (&["ZADD", "z", "1", "a", "2", "b", "3.5", "c"], ":3\r\n"),
        (&["ZRANGE", "z", "0", "-1", "WITHSCORES"], "*3\r\n*2\r\n$1\r\na\r\n,1\r\n*2\r\n$1\r\nb\r\n,2\r\n*2\r\n$1\r\nc\r\n,3.5\r\n"),
        (&["ZRANGEBYSCORE", "z", "-inf", "inf", "WITHSCORES"], "*3\r\n*2\r\n$1\r\na\r\n,1\r\n*2\r\n$1\r\nb\r\n,2\r\n*2\r\n$1\r\nc\r\n,3.5\r\n"),
        (&["ZREVRANGE", "z", "0", "0", "WITHSCORES"], "*1\r\n*2\r\n$1\r\nc\r\n,3.5\r\n"),
        (&["ZSCORE", "z", "c"], ",3.5\r\n"),
        (&["ZMSCORE", "z", "a", "x"], "*2\r\n,1\r\n_\r\n"),
        (&["ZINCRBY", "z", "1", "a"], ",2\r\n"),
        (&["ZADD", "z", "INCR", "1", "a"], ",3\r\n"),
        (&["ZADD", "z", "XX", "INCR", "1", "nosuch"], "_\r\n"),
        (&["ZPOPMIN", "z"], "*2\r\n$1\r\nb\r\n,2\r\n"),
        (&["ZPOPMIN", "z", "2"], "*2\r\n*2\r\n$1\r\na\r\n,3\r\n*2\r\n$1\r\nc\r\n,3.5\r\n"),
        (&["ZPOPMIN", "nokey"], "*0\r\n"),
        (&["ZPOPMIN", "nokey", "2"], "*0\r\n"),
        (&["ZADD", "z", "1", "a", "2", "b"], ":2\r\n"),
        (&["ZPOPMAX", "z", "0"], "*0\r\n"),
        (&["ZRANDMEMBER", "z", "2", "WITHSCORES"], "*2\r\n*2\r\n$1\r\nb\r\n,2\r\n*2\r\n$1\r\na\r\n,1\r\n"),
        (&["ZRANDMEMBER", "z", "5", "WITHSCORES"], "*2\r\n*2\r\n$1\r\nb\r\n,2\r\n*2\r\n$1\r\na\r\n,1\r\n"),
        (&["ZRANDMEMBER", "nokey"], "_\r\n"),
        (&["ZRANDMEMBER", "nokey", "2"], "*0\r\n"),
        (&["ZMPOP", "1", "z", "MIN"], "*2\r\n$1\r\nz\r\n*1\r\n*2\r\n$1\r\na\r\n,1\r\n"),
        (&["ZMPOP", "1", "z", "MAX", "COUNT", "5"], "*2\r\n$1\r\nz\r\n*1\r\n*2\r\n$1\r\nb\r\n,2\r\n"),
        (&["ZMPOP", "1", "nokey", "MIN"], "_\r\n"),
        (&["ZADD", "z", "1", "a", "2", "b"], ":2\r\n"),
        (&["BZPOPMIN", "z", "0"], "*3\r\n$1\r\nz\r\n$1\r\na\r\n,1\r\n"),
        (&["BZMPOP", "0", "1", "z", "MIN", "COUNT", "2"], "*2\r\n$1\r\nz\r\n*1\r\n*2\r\n$1\r\nb\r\n,2\r\n"),
        (&["ZUNION", "1", "z", "WITHSCORES"], "*0\r\n"),
        (&["ZADD", "z", "1", "a", "2", "b"], ":2\r\n"),
        (&["ZUNION", "1", "z", "WITHSCORES"], "*2\r\n*2\r\n$1\r\na\r\n,1\r\n*2\r\n$1\r\nb\r\n,2\r\n"),
        (&["ZINTER", "1", "z", "WITHSCORES"], "*2\r\n*2\r\n$1\r\na\r\n,1\r\n*2\r\n$1\r\nb\r\n,2\r\n"),
        (&["ZDIFF", "1", "z", "WITHSCORES"], "*2\r\n*2\r\n$1\r\na\r\n,1\r\n*2\r\n$1\r\nb\r\n,2\r\n"),
        (&["ZSCAN", "z", "0"], "*2\r\n$1\r\n0\r\n*4\r\n$1\r\na\r\n$1\r\n1\r\n$1\r\nb\r\n$1\r\n2\r\n"),
        (&["ZRANK", "z", "a"], ":0\r\n"),
        (&["ZRANGESTORE", "dst", "z", "0", "-1"], ":2\r\n"),
        (&["ZADD", "z", "1", "a", "2", "b", "3.5", "c"], ":1\r\n"),
        (&["ZPOPMIN", "z"], "*2\r\n$1\r\na\r\n,1\r\n"),
        (&["ZPOPMIN", "z", "2"], "*2\r\n*2\r\n$1\r\nb\r\n,2\r\n*2\r\n$1\r\nc\r\n,3.5\r\n"),
        (&["ZPOPMIN", "z", "-1"], "-ERR value is out of range, must be positive\r\n"),
        (&["ZPOPMIN", "z", "a"], "-ERR value is out of range, must be positive\r\n"),
        (&["ZPOPMIN", "nokey", "-1"], "-ERR value is out of range, must be positive\r\n"),
        (&["ZPOPMIN", "z", "1", "2"], "-ERR syntax error\r\n"),
        (&["ZADD", "z", "1", "a", "2", "b", "3", "c"], ":3\r\n"),
        (&["ZPOPMIN", "z", "1"], "*1\r\n*2\r\n$1\r\na\r\n,1\r\n"),
        (&["ZPOPMAX", "z", "1"], "*1\r\n*2\r\n$1\r\nc\r\n,3\r\n"),
        (&["ZADD", "z", "1", "a", "2", "b", "3", "c"], ":2\r\n"),
        (&["ZMPOP", "1", "nokey", "MIN"], "_\r\n"),
        (&["ZMPOP", "1", "z", "MIN", "COUNT", "2"], "*2\r\n$1\r\nz\r\n*2\r\n*2\r\n$1\r\na\r\n,1\r\n*2\r\n$1\r\nb\r\n,2\r\n"),
        (&["ZMPOP", "0", "z", "MIN"], "-ERR numkeys should be greater than 0\r\n"),
        (&["ZMPOP", "-1", "z", "MIN"], "-ERR numkeys should be greater than 0\r\n"),
        (&["ZMPOP", "2", "z", "MIN"], "-ERR syntax error\r\n"),
        (&["ZMPOP", "1", "z", "FOO"], "-ERR syntax error\r\n"),
        (&["ZMPOP", "1", "z", "MIN", "COUNT", "0"], "-ERR count should be greater than 0\r\n"),
        (&["ZMPOP", "1", "z", "MIN", "COUNT", "-1"], "-ERR count should be greater than 0\r\n"),
        (&["ZMPOP", "1", "z", "MIN", "COUNT", "a"], "-ERR count should be greater than 0\r\n"),
        (&["ZMPOP", "1", "z", "MIN", "COUNT", "1", "COUNT", "1"], "-ERR syntax error\r\n"),
        (&["ZMPOP", "1", "z", "MIN", "FOO"], "-ERR syntax error\r\n"),
        (&["ZMPOP", "a", "z", "MIN"], "-ERR numkeys should be greater than 0\r\n"),
        (&["ZMPOP", "1", "z", "min", "count", "1"], "*2\r\n$1\r\nz\r\n*1\r\n*2\r\n$1\r\nc\r\n,3\r\n"),
        (&["ZMPOP", "2", "nokey", "z", "MAX"], "_\r\n"),
        (&["BZMPOP", "0", "0", "z", "MIN"], "-ERR numkeys should be greater than 0\r\n"),
        (&["BZMPOP", "a", "1", "z", "MIN"], "-ERR timeout is not a float or out of range\r\n"),
        (&["BZMPOP", "-1", "1", "z", "MIN"], "-ERR timeout is negative\r\n"),
        (&["BZMPOP", "0.01", "1", "nokey", "MIN"], ""),
        (&["BZPOPMIN", "nokey", "0.01"], ""),
        (&["BZPOPMIN", "nokey", "a"], "-ERR timeout is not a float or out of range\r\n"),
        (&["BZPOPMIN", "nokey", "-1"], "-ERR timeout is negative\r\n"),
        (&["ZADD", "z", "1", "a", "2", "b", "3", "c"], ":3\r\n"),
        (&["ZRANDMEMBER", "nokey"], "_\r\n"),
        (&["ZRANDMEMBER", "nokey", "2", "WITHSCORES"], "*0\r\n"),
        (&["ZRANDMEMBER", "z", "a"], "-ERR value is not an integer or out of range\r\n"),
        (&["ZRANDMEMBER", "z", "1", "FOO"], "-ERR syntax error\r\n"),
        (&["ZRANDMEMBER", "z", "1", "WITHSCORES", "FOO"], "-ERR syntax error\r\n"),
        (&["ZRANDMEMBER", "z", "0"], "*0\r\n"),
        (&["ZRANDMEMBER", "z", "5", "WITHSCORES"], "*3\r\n*2\r\n$1\r\nc\r\n,3\r\n*2\r\n$1\r\nb\r\n,2\r\n*2\r\n$1\r\na\r\n,1\r\n"),
        (&["ZRANDMEMBER", "z", "3"], "*3\r\n$1\r\nc\r\n$1\r\nb\r\n$1\r\na\r\n"),
        (&["ZRANDMEMBER", "z", "-9223372036854775808"], "-ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807\r\n"),
        (&["ZRANDMEMBER", "z", "-9223372036854775807", "WITHSCORES"], "-ERR value is out of range\r\n"),
        (&["ZRANDMEMBER", "z", "-4611686018427387904", "WITHSCORES"], "-ERR value is out of range\r\n"),
        (&["ZRANDMEMBER", "nokey", "-4611686018427387903", "WITHSCORES"], "*0\r\n"),
        (&["SET", "s", "x"], "+OK\r\n"),
        (&["ZRANDMEMBER", "s"], "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"),
        (&["ZRANDMEMBER", "s", "a"], "-ERR value is not an integer or out of range\r\n"),
        (&["ZRANDMEMBER", "s", "1"], "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"),
        (&["ZMPOP", "1", "s", "MIN"], "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"),
        (&["ZPOPMIN", "s"], "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"),
        (&["ZPOPMIN", "s", "a"], "-ERR value is out of range, must be positive\r\n"),
        (&["ZPOPMIN", "s", "0"], "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"),
        (&["ZPOPMIN", "nokey", "0"], "*0\r\n"),
        (&["ZMSCORE", "s", "a"], "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"),
        (&["ZINCRBY", "s", "1", "a"], "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"),
        (&["ZINCRBY", "s", "a", "a"], "-ERR value is not a valid float\r\n"),
        (&["ZADD", "s", "1", "a"], "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"),
        (&["ZADD", "s", "a", "a"], "-ERR value is not a valid float\r\n"),
        (&["ZRANGESTORE", "dst", "s", "0", "-1"], "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"),
        (&["ZRANGESTORE", "dst", "nokey", "0", "-1"], ":0\r\n"),
        (&["ZRANGESTORE", "s", "nokey2", "0", "-1"], ":0\r\n"),
        (&["TYPE", "s"], "+none\r\n"),
        (&["SET", "s", "x"], "+OK\r\n"),
        (&["BZPOPMIN", "s", "0"], "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"),
        (&["BZPOPMIN", "nokey", "s", "0"], "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"),
        (&["BZMPOP", "0", "1", "s", "MIN"], "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"),
    ];

    #[rustfmt::skip]
    const SETOPS_RESP2: &[(&[&str], &str)] = &[
        (&["FLUSHALL"], "+OK\r\n"),
        (&["ZADD", "z", "1", "a", "2", "b", "3", "c"], ":3\r\n"),
        (&["ZADD", "y", "10", "b", "20", "c", "30", "d"], ":3\r\n"),
        (&["SADD", "s", "a", "b", "x"], ":3\r\n"),
        (&["SET", "str", "x"], "+OK\r\n"),
        (&["ZUNION", "2", "z", "y"], "*4\r\n$1\r\na\r\n$1\r\nb\r\n$1\r\nc\r\n$1\r\nd\r\n"),
        (&["ZUNION", "2", "z", "y", "WITHSCORES"], "*8\r\n$1\r\na\r\n$1\r\n1\r\n$1\r\nb\r\n$2\r\n12\r\n$1\r\nc\r\n$2\r\n23\r\n$1\r\nd\r\n$2\r\n30\r\n"),
        (&["ZUNION", "2", "z", "y", "WEIGHTS", "2", "3", "WITHSCORES"], "*8\r\n$1\r\na\r\n$1\r\n2\r\n$1\r\nb\r\n$2\r\n34\r\n$1\r\nc\r\n$2\r\n66\r\n$1\r\nd\r\n$2\r\n90\r\n"),
        (&["ZUNION", "2", "z", "y", "AGGREGATE", "MIN", "WITHSCORES"], "*8\r\n$1\r\na\r\n$1\r\n1\r\n$1\r\nb\r\n$1\r\n2\r\n$1\r\nc\r\n$1\r\n3\r\n$1\r\nd\r\n$2\r\n30\r\n"),
        (&["ZUNION", "2", "z", "y", "AGGREGATE", "max", "WITHSCORES"], "*8\r\n$1\r\na\r\n$1\r\n1\r\n$1\r\nb\r\n$2\r\n10\r\n$1\r\nc\r\n$2\r\n20\r\n$1\r\nd\r\n$2\r\n30\r\n"),
        (&["ZUNION", "2", "z", "s", "WITHSCORES"], "*8\r\n$1\r\nx\r\n$1\r\n1\r\n$1\r\na\r\n$1\r\n2\r\n$1\r\nb\r\n$1\r\n3\r\n$1\r\nc\r\n$1\r\n3\r\n"),
        (&["ZINTER", "2", "z", "s", "WITHSCORES"], "*4\r\n$1\r\na\r\n$1\r\n2\r\n$1\r\nb\r\n$1\r\n3\r\n"),
        (&["ZDIFF", "2", "z", "s", "WITHSCORES"], "*2\r\n$1\r\nc\r\n$1\r\n3\r\n"),
        (&["ZDIFF", "2", "s", "z", "WITHSCORES"], "*2\r\n$1\r\nx\r\n$1\r\n1\r\n"),
        (&["ZINTER", "2", "z", "y", "WITHSCORES"], "*4\r\n$1\r\nb\r\n$2\r\n12\r\n$1\r\nc\r\n$2\r\n23\r\n"),
        (&["ZINTER", "2", "z", "y", "WEIGHTS", "1", "-1", "AGGREGATE", "MIN", "WITHSCORES"], "*4\r\n$1\r\nc\r\n$3\r\n-20\r\n$1\r\nb\r\n$3\r\n-10\r\n"),
        (&["ZDIFF", "2", "z", "y", "WITHSCORES"], "*2\r\n$1\r\na\r\n$1\r\n1\r\n"),
        (&["ZDIFF", "2", "z", "y", "WEIGHTS", "1", "2"], "-ERR syntax error\r\n"),
        (&["ZDIFF", "2", "z", "y", "AGGREGATE", "MIN"], "-ERR syntax error\r\n"),
        (&["ZUNION", "2", "z", "str"], "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"),
        (&["ZUNION", "2", "z", "str", "WEIGHTS", "a"], "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"),
        (&["ZUNION", "0", "z"], "-ERR at least 1 input key is needed for 'zunion' command\r\n"),
        (&["ZUNION", "-1", "z"], "-ERR at least 1 input key is needed for 'zunion' command\r\n"),
        (&["ZUNION", "a", "z"], "-ERR value is not an integer or out of range\r\n"),
        (&["ZUNION", "3", "z", "y"], "-ERR syntax error\r\n"),
        (&["ZUNION", "1", "z", "WEIGHTS"], "-ERR syntax error\r\n"),
        (&["ZUNION", "1", "z", "WEIGHTS", "a"], "-ERR weight value is not a float\r\n"),
        (&["ZUNION", "1", "z", "WEIGHTS", "1", "2"], "-ERR syntax error\r\n"),
        (&["ZUNION", "2", "z", "y", "WEIGHTS", "1"], "-ERR syntax error\r\n"),
        (&["ZUNION", "1", "z", "AGGREGATE"], "-ERR syntax error\r\n"),
        (&["ZUNION", "1", "z", "AGGREGATE", "foo"], "-ERR syntax error\r\n"),
        (&["ZUNION", "1", "z", "FOO"], "-ERR syntax error\r\n"),
        (&["ZUNION", "1", "z", "WEIGHTS", "nan"], "-ERR weight value is not a float\r\n"),
        (&["ZUNION", "1", "z", "WEIGHTS", "inf", "WITHSCORES"], "*6\r\n$1\r\na\r\n$3\r\ninf\r\n$1\r\nb\r\n$3\r\ninf\r\n$1\r\nc\r\n$3\r\ninf\r\n"),
        (&["ZUNION", "2", "z", "y", "WEIGHTS", "inf", "-inf", "WITHSCORES"], "*8\r\n$1\r\nd\r\n$4\r\n-inf\r\n$1\r\nb\r\n$1\r\n0\r\n$1\r\nc\r\n$1\r\n0\r\n$1\r\na\r\n$3\r\ninf\r\n"),
        (&["ZUNION", "2", "z", "y", "WEIGHTS", "0", "inf", "WITHSCORES"], "*8\r\n$1\r\na\r\n$1\r\n0\r\n$1\r\nb\r\n$3\r\ninf\r\n$1\r\nc\r\n$3\r\ninf\r\n$1\r\nd\r\n$3\r\ninf\r\n"),
        (&["ZUNION", "1", "z", "WITHSCORES", "WITHSCORES"], "*6\r\n$1\r\na\r\n$1\r\n1\r\n$1\r\nb\r\n$1\r\n2\r\n$1\r\nc\r\n$1\r\n3\r\n"),
        (&["ZUNIONSTORE", "dst", "2", "z", "y"], ":4\r\n"),
        (&["ZUNIONSTORE", "dst", "2", "z", "y", "WITHSCORES"], "-ERR syntax error\r\n"),
        (&["ZRANGE", "dst", "0", "-1", "WITHSCORES"], "*8\r\n$1\r\na\r\n$1\r\n1\r\n$1\r\nb\r\n$2\r\n12\r\n$1\r\nc\r\n$2\r\n23\r\n$1\r\nd\r\n$2\r\n30\r\n"),
        (&["OBJECT", "ENCODING", "dst"], "$8\r\nlistpack\r\n"),
        (&["ZINTERSTORE", "dst", "2", "z", "y", "AGGREGATE", "MAX"], ":2\r\n"),
        (&["ZRANGE", "dst", "0", "-1", "WITHSCORES"], "*4\r\n$1\r\nb\r\n$2\r\n10\r\n$1\r\nc\r\n$2\r\n20\r\n"),
        (&["ZDIFFSTORE", "dst", "2", "z", "y"], ":1\r\n"),
        (&["ZDIFFSTORE", "dst", "1", "nokey"], ":0\r\n"),
        (&["EXISTS", "dst"], ":0\r\n"),
        (&["ZDIFFSTORE", "dst", "0", "z"], "-ERR at least 1 input key is needed for 'zdiffstore' command\r\n"),
        (&["ZUNIONSTORE", "dst", "0", "z"], "-ERR at least 1 input key is needed for 'zunionstore' command\r\n"),
        (&["ZINTERSTORE", "dst", "1", "str"], "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"),
        (&["ZINTERSTORE", "str", "1", "z"], ":3\r\n"),
        (&["TYPE", "str"], "+zset\r\n"),
        (&["ZINTERCARD", "2", "z", "y"], ":2\r\n"),
        (&["ZINTERCARD", "2", "z", "y", "LIMIT", "1"], ":1\r\n"),
        (&["ZINTERCARD", "2", "z", "y", "LIMIT", "0"], ":2\r\n"),
        (&["ZINTERCARD", "2", "z", "y", "LIMIT", "-1"], "-ERR LIMIT can't be negative\r\n"),
        (&["ZINTERCARD", "2", "z", "y", "LIMIT", "a"], "-ERR LIMIT can't be negative\r\n"),
        (&["ZINTERCARD", "0", "z"], "-ERR at least 1 input key is needed for 'zintercard' command\r\n"),
        (&["ZINTERCARD", "2", "z", "y", "FOO"], "-ERR syntax error\r\n"),
        (&["ZINTERCARD", "2", "z", "y", "WITHSCORES"], "-ERR syntax error\r\n"),
        (&["ZINTERCARD", "2", "z", "s"], ":2\r\n"),
        (&["ZINTERCARD", "2", "z", "nokey"], ":0\r\n"),
        (&["ZINTERCARD", "3", "z", "y"], "-ERR syntax error\r\n"),
        (&["ZINTER", "2", "z", "nokey"], "*0\r\n"),
        (&["SET", "str", "x"], "+OK\r\n"),
        (&["ZINTERCARD", "2", "z", "str"], "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"),
        (&["ZINTER", "2", "nokey", "str"], "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"),
        (&["ZUNION", "2", "str", "nokey"], "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"),
        (&["ZUNION", "2", "nokey", "str"], "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"),
        (&["FLUSHALL"], "+OK\r\n"),
        (&["ZADD", "z", "1", "a", "2", "b", "3", "c", "4", "d", "5", "e"], ":5\r\n"),
        (&["ZREMRANGEBYRANK", "z", "a", "1"], "-ERR value is not an integer or out of range\r\n"),
        (&["ZREMRANGEBYRANK", "z", "10", "20"], ":0\r\n"),
        (&["ZREMRANGEBYRANK", "z", "-2", "-1"], ":2\r\n"),
        (&["ZREMRANGEBYSCORE", "z", "(1", "2"], ":1\r\n"),
        (&["ZREMRANGEBYSCORE", "z", "a", "2"], "-ERR min or max is not a float\r\n"),
        (&["ZREMRANGEBYLEX", "z", "a", "b"], "-ERR min or max not valid string range item\r\n"),
        (&["ZREMRANGEBYLEX", "z", "[a", "[a"], ":1\r\n"),
        (&["ZRANGE", "z", "0", "-1"], "*1\r\n$1\r\nc\r\n"),
        (&["ZREMRANGEBYRANK", "z", "0", "-1"], ":1\r\n"),
        (&["EXISTS", "z"], ":0\r\n"),
        (&["ZREMRANGEBYRANK", "nokey", "0", "-1"], ":0\r\n"),
        (&["ZREMRANGEBYSCORE", "nokey", "a", "b"], "-ERR min or max is not a float\r\n"),
        (&["SET", "s", "x"], "+OK\r\n"),
        (&["ZREMRANGEBYSCORE", "s", "0", "1"], "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"),
        (&["ZREMRANGEBYRANK", "s", "a", "1"], "-ERR value is not an integer or out of range\r\n"),
        (&["ZREMRANGEBYLEX", "s", "-", "+"], "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"),
        (&["ZADD", "z", "1", "a", "2", "b", "3", "c", "4", "d", "5", "e"], ":5\r\n"),
        (&["ZRANGESTORE", "dst", "z", "1", "2"], ":2\r\n"),
        (&["ZRANGE", "dst", "0", "-1", "WITHSCORES"], "*4\r\n$1\r\nb\r\n$1\r\n2\r\n$1\r\nc\r\n$1\r\n3\r\n"),
        (&["ZRANGESTORE", "dst", "z", "1", "2", "WITHSCORES"], "-ERR syntax error\r\n"),
        (&["ZRANGESTORE", "dst", "z", "(1", "3", "BYSCORE", "LIMIT", "0", "1"], ":1\r\n"),
        (&["ZRANGESTORE", "dst", "z", "[b", "+", "BYLEX", "REV"], ":0\r\n"),
        (&["ZRANGESTORE", "dst", "z", "+", "[b", "BYLEX", "REV"], ":4\r\n"),
        (&["ZRANGE", "dst", "0", "-1"], "*4\r\n$1\r\nb\r\n$1\r\nc\r\n$1\r\nd\r\n$1\r\ne\r\n"),
        (&["ZRANGESTORE", "dst", "z", "5", "1"], ":0\r\n"),
        (&["EXISTS", "dst"], ":0\r\n"),
        (&["ZSCAN", "z", "0", "MATCH", "*a*", "COUNT", "1"], "*2\r\n$1\r\n0\r\n*2\r\n$1\r\na\r\n$1\r\n1\r\n"),
        (&["ZSCAN", "z", "a"], "-ERR invalid cursor\r\n"),
        (&["ZSCAN", "z", "0", "COUNT", "0"], "-ERR syntax error\r\n"),
        (&["ZSCAN", "z", "0", "COUNT", "-1"], "-ERR syntax error\r\n"),
        (&["ZSCAN", "z", "0", "FOO", "1"], "-ERR syntax error\r\n"),
        (&["ZSCAN", "z", "0", "MATCH"], "-ERR syntax error\r\n"),
        (&["ZSCAN", "nokey", "0"], "*2\r\n$1\r\n0\r\n*0\r\n"),
        (&["ZSCAN", "nokey", "0", "COUNT", "0"], "*2\r\n$1\r\n0\r\n*0\r\n"),
        (&["ZSCAN", "s", "0"], "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"),
        (&["ZSCAN", "z", "18446744073709551615"], "*2\r\n$1\r\n0\r\n*10\r\n$1\r\na\r\n$1\r\n1\r\n$1\r\nb\r\n$1\r\n2\r\n$1\r\nc\r\n$1\r\n3\r\n$1\r\nd\r\n$1\r\n4\r\n$1\r\ne\r\n$1\r\n5\r\n"),
        (&["ZSCAN", "z", "18446744073709551616"], "-ERR invalid cursor\r\n"),
        (&["ZADD", "n", "1", "a"], ":1\r\n"),
        (&["ZADD", "n", "GT", "0", "a"], ":0\r\n"),
        (&["ZADD", "n", "GT", "CH", "2", "a"], ":1\r\n"),
        (&["ZADD", "n", "LT", "CH", "3", "a", "0", "b"], ":1\r\n"),
        (&["ZRANGE", "n", "0", "-1", "WITHSCORES"], "*4\r\n$1\r\nb\r\n$1\r\n0\r\n$1\r\na\r\n$1\r\n2\r\n"),
        (&["ZADD", "n", "NX", "CH", "5", "a", "5", "c"], ":1\r\n"),
        (&["ZADD", "n", "XX", "CH", "7", "a", "7", "d"], ":1\r\n"),
        (&["ZADD", "n", "XX", "7", "q"], ":0\r\n"),
        (&["ZADD", "nn", "XX", "1", "a"], ":0\r\n"),
        (&["EXISTS", "nn"], ":0\r\n"),
        (&["ZADD", "n", "GT", "CH", "INCR", "1", "a"], "$1\r\n8\r\n"),
        (&["ZADD", "n", "LT", "INCR", "1", "a"], "$-1\r\n"),
        (&["ZADD", "n", "INCR", "GT", "nan", "a"], "-ERR value is not a valid float\r\n"),
        (&["ZADD", "n", "1", "a", "NX"], "-ERR syntax error\r\n"),
        (&["ZADD", "n", "nx", "xx", "1", "a"], "-ERR XX and NX options at the same time are not compatible\r\n"),
        (&["ZADD", "n", "CH", "CH", "1", "a"], ":1\r\n"),
        (&["ZADD", "n", "INCR", "1"], "-ERR syntax error\r\n"),
        (&["ZADD", "n", "INCR"], "-ERR wrong number of arguments for 'zadd' command\r\n"),
        (&["ZINCRBY", "n", "nan", "a"], "-ERR value is not a valid float\r\n"),
        (&["ZADD", "n", "1.0", "a"], ":0\r\n"),
        (&["ZADD", "n", "CH", "1.0", "a"], ":0\r\n"),
    ];

    #[rustfmt::skip]
    const SETOPS_RESP3: &[(&[&str], &str)] = &[
        (&["FLUSHALL"], "+OK\r\n"),
        (&["ZADD", "z", "1", "a", "2", "b", "3", "c"], ":3\r\n"),
        (&["ZADD", "y", "10", "b", "20", "c", "30", "d"], ":3\r\n"),
        (&["SADD", "s", "a", "b", "x"], ":3\r\n"),
        (&["SET", "str", "x"], "+OK\r\n"),
        (&["ZUNION", "2", "z", "y"], "*4\r\n$1\r\na\r\n$1\r\nb\r\n$1\r\nc\r\n$1\r\nd\r\n"),
        (&["ZUNION", "2", "z", "y", "WITHSCORES"], "*4\r\n*2\r\n$1\r\na\r\n,1\r\n*2\r\n$1\r\nb\r\n,12\r\n*2\r\n$1\r\nc\r\n,23\r\n*2\r\n$1\r\nd\r\n,30\r\n"),
        (&["ZUNION", "2", "z", "y", "WEIGHTS", "2", "3", "WITHSCORES"], "*4\r\n*2\r\n$1\r\na\r\n,2\r\n*2\r\n$1\r\nb\r\n,34\r\n*2\r\n$1\r\nc\r\n,66\r\n*2\r\n$1\r\nd\r\n,90\r\n"),
        (&["ZUNION", "2", "z", "y", "AGGREGATE", "MIN", "WITHSCORES"], "*4\r\n*2\r\n$1\r\na\r\n,1\r\n*2\r\n$1\r\nb\r\n,2\r\n*2\r\n$1\r\nc\r\n,3\r\n*2\r\n$1\r\nd\r\n,30\r\n"),
        (&["ZUNION", "2", "z", "y", "AGGREGATE", "max", "WITHSCORES"], "*4\r\n*2\r\n$1\r\na\r\n,1\r\n*2\r\n$1\r\nb\r\n,10\r\n*2\r\n$1\r\nc\r\n,20\r\n*2\r\n$1\r\nd\r\n,30\r\n"),
        (&["ZUNION", "2", "z", "s", "WITHSCORES"], "*4\r\n*2\r\n$1\r\nx\r\n,1\r\n*2\r\n$1\r\na\r\n,2\r\n*2\r\n$1\r\nb\r\n,3\r\n*2\r\n$1\r\nc\r\n,3\r\n"),
        (&["ZINTER", "2", "z", "s", "WITHSCORES"], "*2\r\n*2\r\n$1\r\na\r\n,2\r\n*2\r\n$1\r\nb\r\n,3\r\n"),
        (&["ZDIFF", "2", "z", "s", "WITHSCORES"], "*1\r\n*2\r\n$1\r\nc\r\n,3\r\n"),
        (&["ZDIFF", "2", "s", "z", "WITHSCORES"], "*1\r\n*2\r\n$1\r\nx\r\n,1\r\n"),
        (&["ZINTER", "2", "z", "y", "WITHSCORES"], "*2\r\n*2\r\n$1\r\nb\r\n,12\r\n*2\r\n$1\r\nc\r\n,23\r\n"),
        (&["ZINTER", "2", "z", "y", "WEIGHTS", "1", "-1", "AGGREGATE", "MIN", "WITHSCORES"], "*2\r\n*2\r\n$1\r\nc\r\n,-20\r\n*2\r\n$1\r\nb\r\n,-10\r\n"),
        (&["ZDIFF", "2", "z", "y", "WITHSCORES"], "*1\r\n*2\r\n$1\r\na\r\n,1\r\n"),
        (&["ZDIFF", "2", "z", "y", "WEIGHTS", "1", "2"], "-ERR syntax error\r\n"),
        (&["ZDIFF", "2", "z", "y", "AGGREGATE", "MIN"], "-ERR syntax error\r\n"),
        (&["ZUNION", "2", "z", "str"], "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"),
        (&["ZUNION", "2", "z", "str", "WEIGHTS", "a"], "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"),
        (&["ZUNION", "0", "z"], "-ERR at least 1 input key is needed for 'zunion' command\r\n"),
        (&["ZUNION", "-1", "z"], "-ERR at least 1 input key is needed for 'zunion' command\r\n"),
        (&["ZUNION", "a", "z"], "-ERR value is not an integer or out of range\r\n"),
        (&["ZUNION", "3", "z", "y"], "-ERR syntax error\r\n"),
        (&["ZUNION", "1", "z", "WEIGHTS"], "-ERR syntax error\r\n"),
        (&["ZUNION", "1", "z", "WEIGHTS", "a"], "-ERR weight value is not a float\r\n"),
        (&["ZUNION", "1", "z", "WEIGHTS", "1", "2"], "-ERR syntax error\r\n"),
        (&["ZUNION", "2", "z", "y", "WEIGHTS", "1"], "-ERR syntax error\r\n"),
        (&["ZUNION", "1", "z", "AGGREGATE"], "-ERR syntax error\r\n"),
        (&["ZUNION", "1", "z", "AGGREGATE", "foo"], "-ERR syntax error\r\n"),
        (&["ZUNION", "1", "z", "FOO"], "-ERR syntax error\r\n"),
        (&["ZUNION", "1", "z", "WEIGHTS", "nan"], "-ERR weight value is not a float\r\n"),
        (&["ZUNION", "1", "z", "WEIGHTS", "inf", "WITHSCORES"], "*3\r\n*2\r\n$1\r\na\r\n,inf\r\n*2\r\n$1\r\nb\r\n,inf\r\n*2\r\n$1\r\nc\r\n,inf\r\n"),
        (&["ZUNION", "2", "z", "y", "WEIGHTS", "inf", "-inf", "WITHSCORES"], "*4\r\n*2\r\n$1\r\nd\r\n,-inf\r\n*2\r\n$1\r\nb\r\n,0\r\n*2\r\n$1\r\nc\r\n,0\r\n*2\r\n$1\r\na\r\n,inf\r\n"),
        (&["ZUNION", "2", "z", "y", "WEIGHTS", "0", "inf", "WITHSCORES"], "*4\r\n*2\r\n$1\r\na\r\n,0\r\n*2\r\n$1\r\nb\r\n,inf\r\n*2\r\n$1\r\nc\r\n,inf\r\n*2\r\n$1\r\nd\r\n,inf\r\n"),
        (&["ZUNION", "1", "z", "WITHSCORES", "WITHSCORES"], "*3\r\n*2\r\n$1\r\na\r\n,1\r\n*2\r\n$1\r\nb\r\n,2\r\n*2\r\n$1\r\nc\r\n,3\r\n"),
        (&["ZUNIONSTORE", "dst", "2", "z", "y"], ":4\r\n"),
        (&["ZUNIONSTORE", "dst", "2", "z", "y", "WITHSCORES"], "-ERR syntax error\r\n"),
        (&["ZRANGE", "dst", "0", "-1", "WITHSCORES"], "*4\r\n*2\r\n$1\r\na\r\n,1\r\n*2\r\n$1\r\nb\r\n,12\r\n*2\r\n$1\r\nc\r\n,23\r\n*2\r\n$1\r\nd\r\n,30\r\n"),
        (&["OBJECT", "ENCODING", "dst"], "$8\r\nlistpack\r\n"),
        (&["ZINTERSTORE", "dst", "2", "z", "y", "AGGREGATE", "MAX"], ":2\r\n"),
        (&["ZRANGE", "dst", "0", "-1", "WITHSCORES"], "*2\r\n*2\r\n$1\r\nb\r\n,10\r\n*2\r\n$1\r\nc\r\n,20\r\n"),
        (&["ZDIFFSTORE", "dst", "2", "z", "y"], ":1\r\n"),
        (&["ZDIFFSTORE", "dst", "1", "nokey"], ":0\r\n"),
        (&["EXISTS", "dst"], ":0\r\n"),
        (&["ZDIFFSTORE", "dst", "0", "z"], "-ERR at least 1 input key is needed for 'zdiffstore' command\r\n"),
        (&["ZUNIONSTORE", "dst", "0", "z"], "-ERR at least 1 input key is needed for 'zunionstore' command\r\n"),
        (&["ZINTERSTORE", "dst", "1", "str"], "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"),
        (&["ZINTERSTORE", "str", "1", "z"], ":3\r\n"),
        (&["TYPE", "str"], "+zset\r\n"),
        (&["ZINTERCARD", "2", "z", "y"], ":2\r\n"),
        (&["ZINTERCARD", "2", "z", "y", "LIMIT", "1"], ":1\r\n"),
        (&["ZINTERCARD", "2", "z", "y", "LIMIT", "0"], ":2\r\n"),
        (&["ZINTERCARD", "2", "z", "y", "LIMIT", "-1"], "-ERR LIMIT can't be negative\r\n"),
        (&["ZINTERCARD", "2", "z", "y", "LIMIT", "a"], "-ERR LIMIT can't be negative\r\n"),
        (&["ZINTERCARD", "0", "z"], "-ERR at least 1 input key is needed for 'zintercard' command\r\n"),
        (&["ZINTERCARD", "2", "z", "y", "FOO"], "-ERR syntax error\r\n"),
        (&["ZINTERCARD", "2", "z", "y", "WITHSCORES"], "-ERR syntax error\r\n"),
        (&["ZINTERCARD", "2", "z", "s"], ":2\r\n"),
        (&["ZINTERCARD", "2", "z", "nokey"], ":0\r\n"),
        (&["ZINTERCARD", "3", "z", "y"], "-ERR syntax error\r\n"),
        (&["ZINTER", "2", "z", "nokey"], "*0\r\n"),
        (&["SET", "str", "x"], "+OK\r\n"),
        (&["ZINTERCARD", "2", "z", "str"], "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"),
        (&["ZINTER", "2", "nokey", "str"], "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"),
        (&["ZUNION", "2", "str", "nokey"], "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"),
        (&["ZUNION", "2", "nokey", "str"], "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"),
        (&["FLUSHALL"], "+OK\r\n"),
        (&["ZADD", "z", "1", "a", "2", "b", "3", "c", "4", "d", "5", "e"], ":5\r\n"),
        (&["ZREMRANGEBYRANK", "z", "a", "1"], "-ERR value is not an integer or out of range\r\n"),
        (&["ZREMRANGEBYRANK", "z", "10", "20"], ":0\r\n"),
        (&["ZREMRANGEBYRANK", "z", "-2", "-1"], ":2\r\n"),
        (&["ZREMRANGEBYSCORE", "z", "(1", "2"], ":1\r\n"),
        (&["ZREMRANGEBYSCORE", "z", "a", "2"], "-ERR min or max is not a float\r\n"),
        (&["ZREMRANGEBYLEX", "z", "a", "b"], "-ERR min or max not valid string range item\r\n"),
        (&["ZREMRANGEBYLEX", "z", "[a", "[a"], ":1\r\n"),
        (&["ZRANGE", "z", "0", "-1"], "*1\r\n$1\r\nc\r\n"),
        (&["ZREMRANGEBYRANK", "z", "0", "-1"], ":1\r\n"),
        (&["EXISTS", "z"], ":0\r\n"),
        (&["ZREMRANGEBYRANK", "nokey", "0", "-1"], ":0\r\n"),
        (&["ZREMRANGEBYSCORE", "nokey", "a", "b"], "-ERR min or max is not a float\r\n"),
        (&["SET", "s", "x"], "+OK\r\n"),
        (&["ZREMRANGEBYSCORE", "s", "0", "1"], "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"),
        (&["ZREMRANGEBYRANK", "s", "a", "1"], "-ERR value is not an integer or out of range\r\n"),
        (&["ZREMRANGEBYLEX", "s", "-", "+"], "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"),
        (&["ZADD", "z", "1", "a", "2", "b", "3", "c", "4", "d", "5", "e"], ":5\r\n"),
        (&["ZRANGESTORE", "dst", "z", "1", "2"], ":2\r\n"),
        (&["ZRANGE", "dst", "0", "-1", "WITHSCORES"], "*2\r\n*2\r\n$1\r\nb\r\n,2\r\n*2\r\n$1\r\nc\r\n,3\r\n"),
        (&["ZRANGESTORE", "dst", "z", "1", "2", "WITHSCORES"], "-ERR syntax error\r\n"),
        (&["ZRANGESTORE", "dst", "z", "(1", "3", "BYSCORE", "LIMIT", "0", "1"], ":1\r\n"),
        (&["ZRANGESTORE", "dst", "z", "[b", "+", "BYLEX", "REV"], ":0\r\n"),
        (&["ZRANGESTORE", "dst", "z", "+", "[b", "BYLEX", "REV"], ":4\r\n"),
        (&["ZRANGE", "dst", "0", "-1"], "*4\r\n$1\r\nb\r\n$1\r\nc\r\n$1\r\nd\r\n$1\r\ne\r\n"),
        (&["ZRANGESTORE", "dst", "z", "5", "1"], ":0\r\n"),
        (&["EXISTS", "dst"], ":0\r\n"),
        (&["ZSCAN", "z", "0", "MATCH", "*a*", "COUNT", "1"], "*2\r\n$1\r\n0\r\n*2\r\n$1\r\na\r\n$1\r\n1\r\n"),
        (&["ZSCAN", "z", "a"], "-ERR invalid cursor\r\n"),
        (&["ZSCAN", "z", "0", "COUNT", "0"], "-ERR syntax error\r\n"),
        (&["ZSCAN", "z", "0", "COUNT", "-1"], "-ERR syntax error\r\n"),
        (&["ZSCAN", "z", "0", "FOO", "1"], "-ERR syntax error\r\n"),
        (&["ZSCAN", "z", "0", "MATCH"], "-ERR syntax error\r\n"),
        (&["ZSCAN", "nokey", "0"], "*2\r\n$1\r\n0\r\n*0\r\n"),
        (&["ZSCAN", "nokey", "0", "COUNT", "0"], "*2\r\n$1\r\n0\r\n*0\r\n"),
        (&["ZSCAN", "s", "0"], "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"),
        (&["ZSCAN", "z", "18446744073709551615"], "*2\r\n$1\r\n0\r\n*10\r\n$1\r\na\r\n$1\r\n1\r\n$1\r\nb\r\n$1\r\n2\r\n$1\r\nc\r\n$1\r\n3\r\n$1\r\nd\r\n$1\r\n4\r\n$1\r\ne\r\n$1\r\n5\r\n"),
        (&["ZSCAN", "z", "18446744073709551616"], "-ERR invalid cursor\r\n"),
        (&["ZADD", "n", "1", "a"], ":1\r\n"),
        (&["ZADD", "n", "GT", "0", "a"], ":0\r\n"),
        (&["ZADD", "n", "GT", "CH", "2", "a"], ":1\r\n"),
        (&["ZADD", "n", "LT", "CH", "3", "a", "0", "b"], ":1\r\n"),
        (&["ZRANGE", "n", "0", "-1", "WITHSCORES"], "*2\r\n*2\r\n$1\r\nb\r\n,0\r\n*2\r\n$1\r\na\r\n,2\r\n"),
        (&["ZADD", "n", "NX", "CH", "5", "a", "5", "c"], ":1\r\n"),
        (&["ZADD", "n", "XX", "CH", "7", "a", "7", "d"], ":1\r\n"),
        (&["ZADD", "n", "XX", "7", "q"], ":0\r\n"),
        (&["ZADD", "nn", "XX", "1", "a"], ":0\r\n"),
        (&["EXISTS", "nn"], ":0\r\n"),
        (&["ZADD", "n", "GT", "CH", "INCR", "1", "a"], ",8\r\n"),
        (&["ZADD", "n", "LT", "INCR", "1", "a"], "_\r\n"),
        (&["ZADD", "n", "INCR", "GT", "nan", "a"], "-ERR value is not a valid float\r\n"),
        (&["ZADD", "n", "1", "a", "NX"], "-ERR syntax error\r\n"),
        (&["ZADD", "n", "nx", "xx", "1", "a"], "-ERR XX and NX options at the same time are not compatible\r\n"),
        (&["ZADD", "n", "CH", "CH", "1", "a"], ":1\r\n"),
        (&["ZADD", "n", "INCR", "1"], "-ERR syntax error\r\n"),
        (&["ZADD", "n", "INCR"], "-ERR wrong number of arguments for 'zadd' command\r\n"),
        (&["ZINCRBY", "n", "nan", "a"], "-ERR value is not a valid float\r\n"),
        (&["ZADD", "n", "1.0", "a"], ":0\r\n"),
        (&["ZADD", "n", "CH", "1.0", "a"], ":0\r\n"),
    ];

    #[rustfmt::skip]
    const SMALL_LIMITS_RESP2: &[(&[&str], &str)] = &[
        (&["FLUSHALL"], "+OK\r\n"),
        (&["ZADD", "big", "-inf", "m14", "3.6", "m5", "-0.2", "m3", "2", "m17"], ":4\r\n"),
        (&["ZADD", "big", "-inf", "m30", "1.5", "m19", "-5", "m1", "-3.1", "m19"], ":3\r\n"),
        (&["ZADD", "big", "inf", "m14", "3.4", "m20", "-1", "m14", "5", "m22"], ":2\r\n"),
        (&["ZADD", "big", "-1.8", "m16", "-1", "m12", "-inf", "m2", "-5", "m6"], ":4\r\n"),
        (&["ZADD", "big", "-2", "m15", "-inf", "m13", "0.7", "m24", "5", "m9"], ":4\r\n"),
        (&["ZADD", "big", "-inf", "m24", "-4", "m0", "-inf", "m5", "-inf", "m16"], ":1\r\n"),
        (&["OBJECT", "ENCODING", "big"], "$8\r\nskiplist\r\n"),
        (&["ZINCRBY", "big", "-inf", "m13"], "$4\r\n-inf\r\n"),
        (&["ZCARD", "big"], ":18\r\n"),
        (&["ZMSCORE", "big", "m28", "m0"], "*2\r\n$-1\r\n$2\r\n-4\r\n"),
        (&["ZRANK", "big", "m20"], ":15\r\n"),
        (&["ZREVRANK", "big", "m18"], "$-1\r\n"),
        (&["ZREM", "big", "m14", "m8"], ":1\r\n"),
        (&["ZADD", "big", "-1", "m2"], ":0\r\n"),
        (&["ZRANK", "big", "m0"], ":7\r\n"),
        (&["ZREVRANK", "big", "m19"], ":8\r\n"),
        (&["ZRANGE", "big", "-22", "7", "WITHSCORES"], "*16\r\n$3\r\nm13\r\n$4\r\n-inf\r\n$3\r\nm16\r\n$4\r\n-inf\r\n$3\r\nm24\r\n$4\r\n-inf\r\n$3\r\nm30\r\n$4\r\n-inf\r\n$2\r\nm5\r\n$4\r\n-inf\r\n$2\r\nm1\r\n$2\r\n-5\r\n$2\r\nm6\r\n$2\r\n-5\r\n$2\r\nm0\r\n$2\r\n-4\r\n"),
        (&["ZRANGE", "big", "(-3", "4", "BYSCORE", "LIMIT", "1", "1", "WITHSCORES"], "*2\r\n$3\r\nm12\r\n$2\r\n-1\r\n"),
        (&["ZCARD", "big"], ":17\r\n"),
        (&["ZPOPMIN", "big", "1"], "*2\r\n$3\r\nm13\r\n$4\r\n-inf\r\n"),
        (&["ZPOPMAX", "big"], "*2\r\n$2\r\nm9\r\n$1\r\n5\r\n"),
        (&["ZREVRANGE", "big", "4", "2"], "*0\r\n"),
        (&["ZRANGE", "big", "-4", "(-4", "BYSCORE", "LIMIT", "1", "4", "WITHSCORES"], "*0\r\n"),
        (&["ZPOPMIN", "big", "3"], "*6\r\n$3\r\nm16\r\n$4\r\n-inf\r\n$3\r\nm24\r\n$4\r\n-inf\r\n$3\r\nm30\r\n$4\r\n-inf\r\n"),
        (&["ZPOPMAX", "big"], "*2\r\n$3\r\nm22\r\n$1\r\n5\r\n"),
        (&["ZRANK", "big", "m4"], "$-1\r\n"),
        (&["ZREVRANK", "big", "m7"], "$-1\r\n"),
        (&["ZRANGE", "big", "4", "(5", "BYSCORE", "LIMIT", "1", "0", "WITHSCORES"], "*0\r\n"),
        (&["ZPOPMIN", "big", "3"], "*6\r\n$2\r\nm5\r\n$4\r\n-inf\r\n$2\r\nm1\r\n$2\r\n-5\r\n$2\r\nm6\r\n$2\r\n-5\r\n"),
        (&["ZPOPMAX", "big"], "*2\r\n$3\r\nm20\r\n$18\r\n3.3999999999999999\r\n"),
        (&["ZRANGE", "big", "-5", "(-5", "BYSCORE", "LIMIT", "2", "3", "WITHSCORES"], "*0\r\n"),
        (&["ZREVRANGEBYSCORE", "big", "(-3", "-4", "WITHSCORES", "LIMIT", "3", "1"], "*0\r\n"),
        (&["ZREVRANGE", "big", "1", "18"], "*6\r\n$2\r\nm3\r\n$2\r\nm2\r\n$3\r\nm12\r\n$3\r\nm15\r\n$3\r\nm19\r\n$2\r\nm0\r\n"),
        (&["ZADD", "big", "0", "m0"], ":0\r\n"),
        (&["ZREVRANGEBYSCORE", "big", "2", "(-4", "WITHSCORES", "LIMIT", "2", "0"], "*0\r\n"),
        (&["ZCARD", "big"], ":7\r\n"),
        (&["ZREVRANGEBYSCORE", "big", "(-3", "(-5", "WITHSCORES", "LIMIT", "0", "4"], "*2\r\n$3\r\nm19\r\n$19\r\n-3.1000000000000001\r\n"),
        (&["ZRANGE", "big", "-4", "(1", "BYSCORE", "LIMIT", "0", "3", "WITHSCORES"], "*6\r\n$3\r\nm19\r\n$19\r\n-3.1000000000000001\r\n$3\r\nm15\r\n$2\r\n-2\r\n$3\r\nm12\r\n$2\r\n-1\r\n"),
        (&["ZREVRANGE", "big", "0", "19"], "*7\r\n$3\r\nm17\r\n$2\r\nm0\r\n$2\r\nm3\r\n$2\r\nm2\r\n$3\r\nm12\r\n$3\r\nm15\r\n$3\r\nm19\r\n"),
        (&["ZADD", "big", "-inf", "m23"], ":1\r\n"),
        (&["ZRANGE", "big", "-2", "-1", "WITHSCORES"], "*4\r\n$2\r\nm0\r\n$1\r\n0\r\n$3\r\nm17\r\n$1\r\n2\r\n"),
        (&["ZREMRANGEBYRANK", "big", "3", "-5"], ":1\r\n"),
        (&["ZRANGE", "big", "-29", "-16", "WITHSCORES"], "*0\r\n"),
        (&["ZCARD", "big"], ":7\r\n"),
        (&["ZREMRANGEBYSCORE", "big", "2", "(3"], ":1\r\n"),
        (&["ZRANK", "big", "m9"], "$-1\r\n"),
        (&["ZREVRANK", "big", "m4"], "$-1\r\n"),
        (&["ZREVRANGE", "big", "1", "24"], "*5\r\n$2\r\nm3\r\n$2\r\nm2\r\n$3\r\nm15\r\n$3\r\nm19\r\n$3\r\nm23\r\n"),
        (&["ZCARD", "big"], ":6\r\n"),
        (&["ZRANGE", "big", "(-2", "(0", "BYSCORE", "LIMIT", "1", "4", "WITHSCORES"], "*2\r\n$2\r\nm3\r\n$20\r\n-0.20000000000000001\r\n"),
        (&["ZRANGE", "big", "(-2", "-2", "BYSCORE", "LIMIT", "2", "0", "WITHSCORES"], "*0\r\n"),
        (&["ZREM", "big", "m26", "m28"], ":0\r\n"),
        (&["ZREMRANGEBYRANK", "big", "-3", "-4"], ":0\r\n"),
        (&["ZRANGE", "big", "(-2", "(-1", "BYSCORE", "LIMIT", "3", "4", "WITHSCORES"], "*0\r\n"),
        (&["ZRANGE", "big", "-10", "-26", "WITHSCORES"], "*0\r\n"),
        (&["ZREMRANGEBYRANK", "big", "-5", "5"], ":5\r\n"),
        (&["ZPOPMIN", "big", "2"], "*2\r\n$3\r\nm23\r\n$4\r\n-inf\r\n"),
        (&["ZPOPMAX", "big"], "*0\r\n"),
        (&["ZCOUNT", "big", "-5", "(4"], ":0\r\n"),
        (&["ZRANGE", "big", "-5", "-1", "BYSCORE", "LIMIT", "0", "4", "WITHSCORES"], "*0\r\n"),
        (&["ZREM", "big", "m17", "m20"], ":0\r\n"),
        (&["ZCOUNT", "big", "-4", "0"], ":0\r\n"),
        (&["ZREMRANGEBYRANK", "big", "-5", "2"], ":0\r\n"),
        (&["ZREVRANGEBYSCORE", "big", "-3", "(-5", "WITHSCORES", "LIMIT", "2", "3"], "*0\r\n"),
        (&["ZREVRANGE", "big", "4", "24"], "*0\r\n"),
        (&["ZINCRBY", "big", "-inf", "m4"], "$4\r\n-inf\r\n"),
        (&["ZRANGE", "big", "-2", "(5", "BYSCORE", "LIMIT", "2", "2", "WITHSCORES"], "*0\r\n"),
        (&["ZRANGE", "big", "16", "25", "WITHSCORES"], "*0\r\n"),
        (&["ZREMRANGEBYRANK", "big", "-2", "-2"], ":0\r\n"),
        (&["ZMSCORE", "big", "m17", "m25"], "*2\r\n$-1\r\n$-1\r\n"),
        (&["ZCARD", "big"], ":1\r\n"),
        (&["ZRANGE", "big", "-2", "-9", "WITHSCORES"], "*0\r\n"),
        (&["ZREVRANGEBYSCORE", "big", "2", "-1", "WITHSCORES", "LIMIT", "0", "2"], "*0\r\n"),
        (&["ZREMRANGEBYSCORE", "big", "-3", "(-2"], ":0\r\n"),
        (&["ZRANGE", "big", "-21", "3", "WITHSCORES"], "*2\r\n$2\r\nm4\r\n$4\r\n-inf\r\n"),
        (&["ZCARD", "big"], ":1\r\n"),
        (&["ZREVRANGE", "big", "5", "2"], "*0\r\n"),
        (&["ZREMRANGEBYSCORE", "big", "2", "(3"], ":0\r\n"),
        (&["ZREVRANGEBYSCORE", "big", "5", "(3", "WITHSCORES", "LIMIT", "2", "4"], "*0\r\n"),
        (&["ZRANGE", "big", "-11", "24", "WITHSCORES"], "*2\r\n$2\r\nm4\r\n$4\r\n-inf\r\n"),
        (&["ZREM", "big", "m8", "m18"], ":0\r\n"),
        (&["ZRANGE", "big", "1", "3", "BYSCORE", "LIMIT", "3", "-1", "WITHSCORES"], "*0\r\n"),
        (&["ZREVRANGEBYSCORE", "big", "(3", "-5", "WITHSCORES", "LIMIT", "3", "-1"], "*0\r\n"),
        (&["ZREVRANGE", "big", "3", "13"], "*0\r\n"),
        (&["ZCARD", "big"], ":1\r\n"),
        (&["OBJECT", "ENCODING", "big"], "$8\r\nlistpack\r\n"),
        (&["ZRANGE", "big", "0", "-1", "WITHSCORES"], "*2\r\n$2\r\nm4\r\n$4\r\n-inf\r\n"),
        (&["ZADD", "lex", "0", "a", "0", "b", "0", "c", "0", "d", "0", "e", "0", "f", "0", "g"], ":7\r\n"),
        (&["OBJECT", "ENCODING", "lex"], "$8\r\nskiplist\r\n"),
        (&["ZRANGEBYLEX", "lex", "-", "+", "LIMIT", "1", "3"], "*3\r\n$1\r\nb\r\n$1\r\nc\r\n$1\r\nd\r\n"),
        (&["ZREVRANGEBYLEX", "lex", "+", "-"], "*7\r\n$1\r\ng\r\n$1\r\nf\r\n$1\r\ne\r\n$1\r\nd\r\n$1\r\nc\r\n$1\r\nb\r\n$1\r\na\r\n"),
        (&["ZLEXCOUNT", "lex", "-", "+"], ":7\r\n"),
        (&["ZRANGEBYLEX", "lex", "[b", "(e", "LIMIT", "1", "3"], "*2\r\n$1\r\nc\r\n$1\r\nd\r\n"),
        (&["ZREVRANGEBYLEX", "lex", "(e", "[b"], "*3\r\n$1\r\nd\r\n$1\r\nc\r\n$1\r\nb\r\n"),
        (&["ZLEXCOUNT", "lex", "[b", "(e"], ":3\r\n"),
        (&["ZRANGEBYLEX", "lex", "(a", "[c", "LIMIT", "1", "3"], "*1\r\n$1\r\nc\r\n"),
        (&["ZREVRANGEBYLEX", "lex", "[c", "(a"], "*2\r\n$1\r\nc\r\n$1\r\nb\r\n"),
        (&["ZLEXCOUNT", "lex", "(a", "[c"], ":2\r\n"),
        (&["ZRANGEBYLEX", "lex", "+", "-", "LIMIT", "1", "3"], "*0\r\n"),
        (&["ZREVRANGEBYLEX", "lex", "-", "+"], "*0\r\n"),
        (&["ZLEXCOUNT", "lex", "+", "-"], ":0\r\n"),
        (&["ZRANGEBYLEX", "lex", "[", "+", "LIMIT", "1", "3"], "*3\r\n$1\r\nb\r\n$1\r\nc\r\n$1\r\nd\r\n"),
        (&["ZREVRANGEBYLEX", "lex", "+", "["], "*7\r\n$1\r\ng\r\n$1\r\nf\r\n$1\r\ne\r\n$1\r\nd\r\n$1\r\nc\r\n$1\r\nb\r\n$1\r\na\r\n"),
        (&["ZLEXCOUNT", "lex", "[", "+"], ":7\r\n"),
        (&["ZRANGEBYLEX", "lex", "(c", "(c", "LIMIT", "1", "3"], "*0\r\n"),
        (&["ZREVRANGEBYLEX", "lex", "(c", "(c"], "*0\r\n"),
        (&["ZLEXCOUNT", "lex", "(c", "(c"], ":0\r\n"),
        (&["ZRANGEBYLEX", "lex", "[c", "[c", "LIMIT", "1", "3"], "*0\r\n"),
        (&["ZREVRANGEBYLEX", "lex", "[c", "[c"], "*1\r\n$1\r\nc\r\n"),
        (&["ZLEXCOUNT", "lex", "[c", "[c"], ":1\r\n"),
        (&["ZADD", "short", "1", "a", "2", "b"], ":2\r\n"),
        (&["OBJECT", "ENCODING", "short"], "$8\r\nlistpack\r\n"),
        (&["ZADD", "short", "3", "longer-than-8"], ":1\r\n"),
        (&["OBJECT", "ENCODING", "short"], "$8\r\nskiplist\r\n"),
        (&["ZUNIONSTORE", "u", "2", "big", "lex"], ":8\r\n"),
        (&["OBJECT", "ENCODING", "u"], "$8\r\nskiplist\r\n"),
        (&["ZRANGESTORE", "r", "big", "0", "2"], ":1\r\n"),
        (&["OBJECT", "ENCODING", "r"], "$8\r\nlistpack\r\n"),
        (&["ZRANGE", "r", "0", "-1", "WITHSCORES"], "*2\r\n$2\r\nm4\r\n$4\r\n-inf\r\n"),
        (&["ZADD", "big", "-0", "zz"], ":1\r\n"),
        (&["ZSCORE", "big", "zz"], "$1\r\n0\r\n"),
    ];

    #[test]
    fn blocking_pops_park_the_client() {
        let mut t = TestShard::new();
        assert_eq!(t.run(&["BZPOPMIN", "a", "b", "1.5"]), "");
        let block = t.client.block.take().expect("blocked");
        assert_eq!(block.keys.len(), 2);
        assert_eq!(block.deadline_ms, t.shard.now_ms + 1500);
        assert_eq!(block.on_timeout, TimeoutReply::NullArray);
        assert_eq!(
            t.run(&["BZMPOP", "0", "2", "a", "b", "MAX", "COUNT", "3"]),
            ""
        );
        let block = t.client.block.take().expect("blocked");
        assert_eq!(block.deadline_ms, 0);
        assert_eq!(&*block.keys[1], b"b");
        // Data arrives: a waiter is signalled, and the re-run serves it.
        t.shard.blocking.watch(0, b"b");
        assert_eq!(t.run(&["ZADD", "b", "1", "x", "2", "y"]), ":2\r\n");
        assert!(t.shard.blocking.has_ready());
        assert_eq!(
            t.run(&["BZPOPMAX", "a", "b", "0"]),
            "*3\r\n$1\r\nb\r\n$1\r\ny\r\n$1\r\n2\r\n"
        );
        assert!(t.client.block.is_none());
        assert_eq!(
            t.run(&["BZMPOP", "0", "2", "a", "b", "MIN", "COUNT", "3"]),
            "*2\r\n$1\r\nb\r\n*1\r\n*2\r\n$1\r\nx\r\n$1\r\n1\r\n"
        );
        assert_eq!(t.run(&["EXISTS", "b"]), ":0\r\n");
    }

    #[test]
    fn writes_keep_the_ttl() {
        let mut t = TestShard::new();
        t.run(&["ZADD", "z", "1", "a", "2", "b"]);
        assert_eq!(t.run(&["PEXPIRE", "z", "5000"]), ":1\r\n");
        t.run(&["ZADD", "z", "3", "c"]);
        t.run(&["ZINCRBY", "z", "1", "a"]);
        t.run(&["ZREM", "z", "b"]);
        assert_eq!(t.run(&["PTTL", "z"]), ":5000\r\n");
        t.advance_ms(5000);
        assert_eq!(t.run(&["ZCARD", "z"]), ":0\r\n");
    }

    #[test]
    fn random_members_are_members() {
        let mut t = TestShard::new();
        t.run(&[
            "ZADD", "z", "1", "a", "2", "b", "3", "c", "4", "d", "5", "e",
        ]);
        for _ in 0..50 {
            let r = t.run(&["ZRANDMEMBER", "z"]);
            assert!(["a", "b", "c", "d", "e"]
                .iter()
                .any(|m| r == format!("$1\r\n{m}\r\n")));
        }
        // Distinct picks.
        for count in ["2", "4"] {
            let r = t.run(&["ZRANDMEMBER", "z", count, "WITHSCORES"]);
            let n: usize = count.parse().unwrap_or(0);
            assert!(r.starts_with(&format!("*{}\r\n", n * 2)), "{r}");
            let lines: Vec<&str> = r.split("\r\n").collect();
            let mut members: Vec<&str> = lines.iter().skip(2).step_by(4).copied().collect();
            members.sort_unstable();
            members.dedup();
            assert_eq!(members.len(), n, "{r}");
        }
        let r = t.run(&["ZRANDMEMBER", "z", "-20"]);
        assert!(r.starts_with("*20\r\n"));
    }

    #[test]
    fn score_parsing() {
        assert_eq!(parse_score(b"0x10"), Ok(16.0));
        assert_eq!(parse_score(b"-0x1.8p1"), Ok(-3.0));
        assert_eq!(parse_score(b"1e400"), Err(CmdError::NotFloat));
        assert_eq!(parse_score(b"nan"), Err(CmdError::NotFloat));
        assert_eq!(strtod_whole(b""), Some(0.0));
        assert_eq!(strtod_whole(b"  2"), Some(2.0));
        assert_eq!(strtod_whole(b"2 "), None);
        assert_eq!(strtod_whole(b"1e500"), Some(f64::INFINITY));
        assert_eq!(strtod_whole(b"nan"), None);
        assert_eq!(strtod_whole(b" "), None);
    }

    fn rss_bytes() -> Option<u64> {
        let statm = std::fs::read_to_string("/proc/self/statm").ok()?;
        let pages: u64 = statm.split_whitespace().nth(1)?.parse().ok()?;
        Some(pages * 4096)
    }

    /// A 1M-member leaderboard answers rank and top-100 queries in well under a millisecond.
    #[test]
    #[cfg_attr(debug_assertions, ignore)]
    fn big_leaderboard_is_fast() {
        let mut t = TestShard::new();
        let limits = ZLimits::default();
        let rss_before = rss_bytes();
        let mut z = ZSetValue::default();
        let n = 1_000_000u64;
        let mut x = 0x9E37_79B9_7F4A_7C15u64;
        for i in 0..n {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            z.set(
                format!("player:{i}").as_bytes(),
                (x % 100_000) as f64,
                limits,
            );
        }
        let per_member = z.heap_size() as f64 / n as f64;
        println!("heap bytes per member: {per_member:.1} (estimated by heap_size)");
        t.shard.keyspace.insert(
            0,
            b"board",
            Entry::new(Value::ZSet(Box::new(z))),
            t.shard.now_ms,
        );
        if let (Some(a), Some(b)) = (rss_before, rss_bytes()) {
            // Informational (other tests may run alongside): resident growth per member.
            println!(
                "resident bytes per member: {:.1}",
                b.saturating_sub(a) as f64 / n as f64
            );
        }
        let mut worst_rank = std::time::Duration::ZERO;
        let mut worst_top = std::time::Duration::ZERO;
        for i in 0..200u64 {
            let member = format!("player:{}", i * 4999);
            let start = std::time::Instant::now();
            let r = t.run(&["ZREVRANK", "board", &member]);
            worst_rank = worst_rank.max(start.elapsed());
            assert!(r.starts_with(':'), "{r}");
            let start = std::time::Instant::now();
            let r = t.run(&["ZREVRANGE", "board", "0", "99", "WITHSCORES"]);
            worst_top = worst_top.max(start.elapsed());
            assert!(r.starts_with("*200\r\n"));
        }
        println!("worst ZREVRANK {worst_rank:?}, worst ZREVRANGE 0 99 {worst_top:?}");
        assert!(
            worst_rank < std::time::Duration::from_millis(1),
            "{worst_rank:?}"
        );
        assert!(
            worst_top < std::time::Duration::from_millis(1),
            "{worst_top:?}"
        );
        assert!(per_member < 80.0, "{per_member}");
    }
}
