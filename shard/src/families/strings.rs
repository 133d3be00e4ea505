//! String commands (Redis's `t_string.c`): SET and its variants, GET and its variants,
//! MGET/MSET/MSETNX, the INCR family, APPEND, STRLEN, GETRANGE/SETRANGE and LCS.
//!
//! Every handler runs on the shard owning all of the keys it is given; multi-key commands
//! split across shards by the router reach each shard with only that shard's keys.

use crate::args::{parse_i64, ArgCursor};
use crate::command::{flags::*, CommandSpec, Coordinator, Handler, KeySpec, Merge, Routing};
use crate::ctx::Ctx;
use crate::error::{CmdError, CmdResult};
use crate::value::{Entry, StrValue, Value, NO_EXPIRE};
use protocol::MAX_BULK_LEN;

const READ_FAST: &[&str] = &["@read", "@string", "@fast"];
const READ_SLOW: &[&str] = &["@read", "@string", "@slow"];
const WRITE_FAST: &[&str] = &["@write", "@string", "@fast"];
const WRITE_SLOW: &[&str] = &["@write", "@string", "@slow"];

const SINGLE: Routing = Routing::Keys(Merge::Single);

/// One command's declaration, one compact row each (the table below skips rustfmt):
/// `name, arity, flags, keys, ACL categories, since, routing, handler, summary`.
macro_rules! string_cmd {
    ($name:expr, $arity:expr, $flags:expr, $keys:expr, $acl:expr, $since:expr, $routing:expr,
     $handler:expr, $summary:expr) => {
        CommandSpec {
            name: $name,
            arity: $arity,
            flags: $flags,
            keys: $keys,
            acl: $acl,
            group: "string",
            since: $since,
            summary: $summary,
            routing: $routing,
            handler: $handler as Handler,
        }
    };
}

const PAIRS: KeySpec = KeySpec::Range {
    first: 1,
    last: -1,
    step: 2,
};

#[rustfmt::skip]
pub static COMMANDS: &[CommandSpec] = &[
    string_cmd!("set", -3, WRITE | DENYOOM, KeySpec::FIRST, WRITE_SLOW, "1.0.0", SINGLE, set,
        "Set the string value of a key"),
    string_cmd!("get", 2, READONLY | FAST, KeySpec::FIRST, READ_FAST, "1.0.0", SINGLE, get,
        "Get the value of a key"),
    string_cmd!("getset", 3, WRITE | DENYOOM | FAST, KeySpec::FIRST, WRITE_FAST, "1.0.0", SINGLE, getset,
        "Set the string value of a key and return its old value"),
    string_cmd!("getdel", 2, WRITE | FAST, KeySpec::FIRST, WRITE_FAST, "6.2.0", SINGLE, getdel,
        "Get the value of a key and delete the key"),
    string_cmd!("getex", -2, WRITE | FAST, KeySpec::FIRST, WRITE_FAST, "6.2.0", SINGLE, getex,
        "Get the value of a key and optionally set its expiration"),
    string_cmd!("setnx", 3, WRITE | DENYOOM | FAST, KeySpec::FIRST, WRITE_FAST, "1.0.0", SINGLE, setnx,
        "Set the value of a key, only if the key does not exist"),
    string_cmd!("setex", 4, WRITE | DENYOOM, KeySpec::FIRST, WRITE_SLOW, "2.0.0", SINGLE, setex,
        "Set the value and expiration of a key"),
    string_cmd!("psetex", 4, WRITE | DENYOOM, KeySpec::FIRST, WRITE_SLOW, "2.6.0", SINGLE, psetex,
        "Set the value and expiration in milliseconds of a key"),
    string_cmd!("mget", -2, READONLY | FAST, KeySpec::ALL, READ_FAST, "1.0.0",
        Routing::Keys(Merge::ByKey), mget,
        "Get the values of all the given keys"),
    string_cmd!("mset", -3, WRITE | DENYOOM, PAIRS, WRITE_SLOW, "1.0.1",
        Routing::Keys(Merge::AllOk), mset,
        "Set multiple keys to multiple values"),
    string_cmd!("msetnx", -3, WRITE | DENYOOM, PAIRS, WRITE_SLOW, "1.0.1",
        Routing::Coordinated(Coordinator::MsetNx), msetnx,
        "Set multiple keys to multiple values, only if none of the keys exist"),
    string_cmd!("incr", 2, WRITE | DENYOOM | FAST, KeySpec::FIRST, WRITE_FAST, "1.0.0", SINGLE, incr,
        "Increment the integer value of a key by one"),
    string_cmd!("decr", 2, WRITE | DENYOOM | FAST, KeySpec::FIRST, WRITE_FAST, "1.0.0", SINGLE, decr,
        "Decrement the integer value of a key by one"),
    string_cmd!("incrby", 3, WRITE | DENYOOM | FAST, KeySpec::FIRST, WRITE_FAST, "1.0.0", SINGLE, incrby,
        "Increment the integer value of a key by the given amount"),
    string_cmd!("decrby", 3, WRITE | DENYOOM | FAST, KeySpec::FIRST, WRITE_FAST, "1.0.0", SINGLE, decrby,
        "Decrement the integer value of a key by the given number"),
    string_cmd!("incrbyfloat", 3, WRITE | DENYOOM | FAST, KeySpec::FIRST, WRITE_FAST, "2.6.0", SINGLE,
        incrbyfloat,
        "Increment the float value of a key by the given amount"),
    string_cmd!("append", 3, WRITE | DENYOOM | FAST, KeySpec::FIRST, WRITE_FAST, "2.0.0", SINGLE, append,
        "Append a value to a key"),
    string_cmd!("strlen", 2, READONLY | FAST, KeySpec::FIRST, READ_FAST, "2.2.0", SINGLE, strlen,
        "Get the length of the value stored in a key"),
    string_cmd!("getrange", 4, READONLY, KeySpec::FIRST, READ_SLOW, "2.4.0", SINGLE, getrange,
        "Get a substring of the string stored at a key"),
    string_cmd!("substr", 4, READONLY, KeySpec::FIRST, READ_SLOW, "1.0.0", SINGLE, getrange,
        "Get a substring of the string stored at a key"),
    string_cmd!("setrange", 4, WRITE | DENYOOM, KeySpec::FIRST, WRITE_SLOW, "2.2.0", SINGLE, setrange,
        "Overwrite part of a string at key starting at the specified offset"),
    // Both keys must be on one shard; the router runs it where it finds them together.
    string_cmd!("lcs", -3, READONLY, KeySpec::FIRST_TWO, READ_SLOW, "7.0.0", SINGLE, lcs,
        "Find longest common substring"),
];

// ---------------------------------------------------------------------------------------------
// Shared helpers
// ---------------------------------------------------------------------------------------------

/// A fresh entry holding `value`, expiring at `expire_at` (absolute ms, or `NO_EXPIRE`).
/// `Keyspace::insert` accounts for the expiry of the entry it is handed.
#[inline]
fn new_entry(value: StrValue, expire_at: u64) -> Entry {
    let mut entry = Entry::new(Value::Str(value));
    entry.expire_at = expire_at;
    entry
}

/// Reply with a stored string, straight from its bytes.
#[inline]
fn reply_str(reply: &mut protocol::Reply<'_>, s: &StrValue) {
    match s {
        StrValue::Int(n) => reply.bulk_i64(*n),
        other => {
            let mut buf = itoa::Buffer::new();
            reply.bulk(other.as_bytes(&mut buf));
        }
    }
}

/// `ERR invalid expire time in '<cmd>' command`, with the command's own (lowercase) name.
fn invalid_expire(cmd: &'static str) -> CmdError {
    match cmd {
        "set" => CmdError::msg("ERR invalid expire time in 'set' command"),
        "setex" => CmdError::msg("ERR invalid expire time in 'setex' command"),
        "psetex" => CmdError::msg("ERR invalid expire time in 'psetex' command"),
        "getex" => CmdError::msg("ERR invalid expire time in 'getex' command"),
        other => CmdError::owned(format!("ERR invalid expire time in '{other}' command")),
    }
}

/// Which of EX / PX / EXAT / PXAT gave an expiry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ExpireKind {
    Ex,
    Px,
    ExAt,
    PxAt,
}

impl ExpireKind {
    fn seconds(self) -> bool {
        matches!(self, ExpireKind::Ex | ExpireKind::ExAt)
    }

    fn relative(self) -> bool {
        matches!(self, ExpireKind::Ex | ExpireKind::Px)
    }
}

/// Redis's getExpireMillisecondsOrReply: the absolute expiry in Unix ms for an EX/PX/EXAT/PXAT
/// argument. Rejects values <= 0 and values whose conversion to an absolute time overflows.
fn expire_at_ms(
    arg: &[u8],
    kind: ExpireKind,
    now_ms: u64,
    cmd: &'static str,
) -> Result<u64, CmdError> {
    let mut ms = parse_i64(arg)?;
    if ms <= 0 || (kind.seconds() && ms > i64::MAX / 1000) {
        return Err(invalid_expire(cmd));
    }
    if kind.seconds() {
        ms *= 1000;
    }
    if kind.relative() {
        ms = ms
            .checked_add(now_ms as i64)
            .ok_or_else(|| invalid_expire(cmd))?;
    }
    Ok(ms as u64)
}

/// The options of SET (`for_set`) or GETEX, parsed as Redis's
/// parseExtendedStringArgumentsOrReply: repeating an option is allowed (the last expiry wins),
/// conflicting ones are a syntax error.
#[derive(Default)]
struct StringOpts<'a> {
    nx: bool,
    xx: bool,
    get: bool,
    keepttl: bool,
    persist: bool,
    expire: Option<(ExpireKind, &'a [u8])>,
}

impl<'a> StringOpts<'a> {
    fn parse(args: &[&'a [u8]], start: usize, for_set: bool) -> Result<Self, CmdError> {
        let mut opts = StringOpts::default();
        let mut cur = ArgCursor::new(args, start);
        while let Some(opt) = cur.next_option() {
            let has_next = !cur.is_done();
            let expire_kind = opts.expire.map(|(kind, _)| kind);
            let other_expiry = |kind: ExpireKind| expire_kind.is_some_and(|k| k != kind);
            let kind = match opt.as_str() {
                "NX" if for_set && !opts.xx => {
                    opts.nx = true;
                    continue;
                }
                "XX" if for_set && !opts.nx => {
                    opts.xx = true;
                    continue;
                }
                "GET" if for_set => {
                    opts.get = true;
                    continue;
                }
                "KEEPTTL" if for_set && expire_kind.is_none() => {
                    opts.keepttl = true;
                    continue;
                }
                "PERSIST" if !for_set && expire_kind.is_none() => {
                    opts.persist = true;
                    continue;
                }
                "EX" => ExpireKind::Ex,
                "PX" => ExpireKind::Px,
                "EXAT" => ExpireKind::ExAt,
                "PXAT" => ExpireKind::PxAt,
                _ => return Err(CmdError::Syntax),
            };
            if opts.keepttl || opts.persist || other_expiry(kind) || !has_next {
                return Err(CmdError::Syntax);
            }
            opts.expire = Some((kind, cur.next_bytes()?));
        }
        Ok(opts)
    }
}

/// What SET-like commands reply when they did (or did not) set.
#[derive(Clone, Copy)]
enum SetReply {
    /// `+OK` / null (SET, SETEX, PSETEX).
    OkOrNull,
    /// `:1` / `:0` (SETNX).
    OneOrZero,
}

/// Redis's setGenericCommand. `expire_at` is absolute ms or `NO_EXPIRE`; the expiry argument
/// was already validated by the caller.
fn set_generic(
    ctx: &mut Ctx<'_>,
    key: &[u8],
    val: &[u8],
    opts: &StringOpts<'_>,
    expire_at: u64,
    replies: SetReply,
) -> CmdResult {
    let (db, now) = (ctx.db(), ctx.now_ms());
    if opts.get {
        let (entry, mut reply) = ctx.lookup_read(key);
        match entry {
            None => reply.null(),
            Some(entry) => reply_str(&mut reply, entry.value.as_str()?),
        }
    }
    let value = StrValue::from_bytes(val);
    if !opts.nx && !opts.xx && !opts.keepttl {
        // The hot path: one hash lookup, replacing whatever was there (and its TTL).
        ctx.shard
            .keyspace
            .insert(db, key, new_entry(value, expire_at), now);
    } else {
        match ctx.shard.keyspace.get(db, key, now) {
            Some(_) if opts.nx => return set_aborted(ctx, opts, replies),
            None if opts.xx => return set_aborted(ctx, opts, replies),
            Some(entry) if opts.keepttl => entry.value = Value::Str(value),
            _ => {
                ctx.shard
                    .keyspace
                    .insert(db, key, new_entry(value, expire_at), now);
            }
        }
    }
    if !opts.get {
        match replies {
            SetReply::OkOrNull => ctx.reply().ok(),
            SetReply::OneOrZero => ctx.reply().integer(1),
        }
    }
    Ok(())
}

fn set_aborted(ctx: &mut Ctx<'_>, opts: &StringOpts<'_>, replies: SetReply) -> CmdResult {
    if !opts.get {
        match replies {
            SetReply::OkOrNull => ctx.reply().null(),
            SetReply::OneOrZero => ctx.reply().integer(0),
        }
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// SET family
// ---------------------------------------------------------------------------------------------

/// SET key value [NX | XX] [GET] [EX seconds | PX milliseconds | EXAT unix-time-seconds |
/// PXAT unix-time-milliseconds | KEEPTTL]
fn set(ctx: &mut Ctx<'_>, args: &[&[u8]]) -> CmdResult {
    if args.len() == 3 {
        // Plain SET: no option parsing at all.
        let (db, now) = (ctx.db(), ctx.now_ms());
        let entry = Entry::new(Value::Str(StrValue::from_bytes(args[2])));
        ctx.shard.keyspace.insert(db, args[1], entry, now);
        ctx.reply().ok();
        return Ok(());
    }
    let opts = StringOpts::parse(args, 3, true)?;
    let expire_at = match opts.expire {
        Some((kind, arg)) => expire_at_ms(arg, kind, ctx.now_ms(), "set")?,
        None => NO_EXPIRE,
    };
    set_generic(ctx, args[1], args[2], &opts, expire_at, SetReply::OkOrNull)
}

/// SETNX key value
fn setnx(ctx: &mut Ctx<'_>, args: &[&[u8]]) -> CmdResult {
    let opts = StringOpts {
        nx: true,
        ..StringOpts::default()
    };
    set_generic(ctx, args[1], args[2], &opts, NO_EXPIRE, SetReply::OneOrZero)
}

/// SETEX key seconds value
fn setex(ctx: &mut Ctx<'_>, args: &[&[u8]]) -> CmdResult {
    let expire_at = expire_at_ms(args[2], ExpireKind::Ex, ctx.now_ms(), "setex")?;
    set_generic(
        ctx,
        args[1],
        args[3],
        &StringOpts::default(),
        expire_at,
        SetReply::OkOrNull,
    )
}

/// PSETEX key milliseconds value
fn psetex(ctx: &mut Ctx<'_>, args: &[&[u8]]) -> CmdResult {
    let expire_at = expire_at_ms(args[2], ExpireKind::Px, ctx.now_ms(), "psetex")?;
    set_generic(
        ctx,
        args[1],
        args[3],
        &StringOpts::default(),
        expire_at,
        SetReply::OkOrNull,
    )
}

/// GET key
fn get(ctx: &mut Ctx<'_>, args: &[&[u8]]) -> CmdResult {
    let (entry, mut reply) = ctx.lookup_read(args[1]);
    match entry {
        None => reply.null(),
        Some(entry) => reply_str(&mut reply, entry.value.as_str()?),
    }
    Ok(())
}

/// GETSET key value
///
/// Replies with the old value (or null) and sets the new one, clearing any TTL.
fn getset(ctx: &mut Ctx<'_>, args: &[&[u8]]) -> CmdResult {
    let (db, now) = (ctx.db(), ctx.now_ms());
    if let (Some(entry), _) = ctx.lookup_read(args[1]) {
        entry.value.as_str()?;
    }
    let old = ctx.shard.keyspace.insert(
        db,
        args[1],
        new_entry(StrValue::from_bytes(args[2]), NO_EXPIRE),
        now,
    );
    let mut reply = ctx.reply();
    match old.as_ref().map(|e| e.value.as_str()) {
        Some(Ok(s)) => reply_str(&mut reply, s),
        _ => reply.null(),
    }
    Ok(())
}

/// GETDEL key
fn getdel(ctx: &mut Ctx<'_>, args: &[&[u8]]) -> CmdResult {
    let (db, now) = (ctx.db(), ctx.now_ms());
    match ctx.lookup_read(args[1]) {
        (None, mut reply) => {
            reply.null();
            return Ok(());
        }
        (Some(entry), _) => {
            entry.value.as_str()?;
        }
    }
    let old = ctx.shard.keyspace.remove(db, args[1], now);
    let mut reply = ctx.reply();
    match old.as_ref().map(|e| e.value.as_str()) {
        Some(Ok(s)) => reply_str(&mut reply, s),
        _ => reply.null(),
    }
    Ok(())
}

/// GETEX key [EX seconds | PX milliseconds | EXAT unix-time-seconds |
/// PXAT unix-time-milliseconds | PERSIST]
fn getex(ctx: &mut Ctx<'_>, args: &[&[u8]]) -> CmdResult {
    let opts = StringOpts::parse(args, 2, false)?;
    let (db, now) = (ctx.db(), ctx.now_ms());
    let key = args[1];
    let expire_at = {
        let (entry, mut reply) = ctx.lookup_read(key);
        let Some(entry) = entry else {
            reply.null();
            return Ok(());
        };
        let s = entry.value.as_str()?;
        let expire_at = match opts.expire {
            Some((kind, arg)) => Some((kind, expire_at_ms(arg, kind, now, "getex")?)),
            None => None,
        };
        reply_str(&mut reply, s);
        expire_at
    };
    match expire_at {
        // An absolute time already past deletes the key (Redis's checkAlreadyExpired).
        Some((kind, at)) if !kind.relative() && at <= now => {
            ctx.shard.keyspace.remove(db, key, now);
        }
        Some((_, at)) => {
            ctx.shard.keyspace.set_expire(db, key, at, now);
        }
        None if opts.persist => {
            ctx.shard.keyspace.set_expire(db, key, NO_EXPIRE, now);
        }
        None => {}
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Multi-key
// ---------------------------------------------------------------------------------------------

/// MGET key [key ...]
///
/// Keys holding another type reply null, as in Redis.
fn mget(ctx: &mut Ctx<'_>, args: &[&[u8]]) -> CmdResult {
    ctx.reply().array(args.len() - 1);
    for key in &args[1..] {
        let (entry, mut reply) = ctx.lookup_read(key);
        match entry.map(|e| e.value.as_str()) {
            Some(Ok(s)) => reply_str(&mut reply, s),
            _ => reply.null(),
        }
    }
    Ok(())
}

/// MSET key value [key value ...]
fn mset(ctx: &mut Ctx<'_>, args: &[&[u8]]) -> CmdResult {
    if args.len() & 1 == 0 {
        return Err(CmdError::Arity("mset".into()));
    }
    let (db, now) = (ctx.db(), ctx.now_ms());
    for pair in args[1..].chunks_exact(2) {
        let entry = Entry::new(Value::Str(StrValue::from_bytes(pair[1])));
        ctx.shard.keyspace.insert(db, pair[0], entry, now);
    }
    ctx.reply().ok();
    Ok(())
}

/// MSETNX key value [key value ...]
///
/// Sets every pair only if none of the keys exists; replies 1 if it did, else 0. Across
/// shards the server's MSETNX coordinator checks every shard first; this handler does both
/// steps for the keys it is given.
fn msetnx(ctx: &mut Ctx<'_>, args: &[&[u8]]) -> CmdResult {
    if args.len() & 1 == 0 {
        return Err(CmdError::Arity("msetnx".into()));
    }
    let (db, now) = (ctx.db(), ctx.now_ms());
    let pairs = args[1..].chunks_exact(2);
    if pairs
        .clone()
        .any(|pair| ctx.shard.keyspace.contains(db, pair[0], now))
    {
        ctx.reply().integer(0);
        return Ok(());
    }
    for pair in pairs {
        let entry = Entry::new(Value::Str(StrValue::from_bytes(pair[1])));
        ctx.shard.keyspace.insert(db, pair[0], entry, now);
    }
    ctx.reply().integer(1);
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Counters
// ---------------------------------------------------------------------------------------------

/// Redis's incrDecrCommand: add `delta`, keeping the key's TTL.
fn incr_by(ctx: &mut Ctx<'_>, key: &[u8], delta: i64) -> CmdResult {
    let (db, now) = (ctx.db(), ctx.now_ms());
    let value = match ctx.shard.keyspace.get(db, key, now) {
        Some(entry) => {
            let s = entry.value.as_str_mut()?;
            let old = s.as_i64().ok_or(CmdError::NotInteger)?;
            let new = old.checked_add(delta).ok_or(CmdError::Overflow)?;
            *s = StrValue::Int(new);
            new
        }
        None => {
            ctx.shard
                .keyspace
                .insert(db, key, new_entry(StrValue::Int(delta), NO_EXPIRE), now);
            delta
        }
    };
    ctx.reply().integer(value);
    Ok(())
}

/// INCR key
fn incr(ctx: &mut Ctx<'_>, args: &[&[u8]]) -> CmdResult {
    incr_by(ctx, args[1], 1)
}

/// DECR key
fn decr(ctx: &mut Ctx<'_>, args: &[&[u8]]) -> CmdResult {
    incr_by(ctx, args[1], -1)
}

/// INCRBY key increment
fn incrby(ctx: &mut Ctx<'_>, args: &[&[u8]]) -> CmdResult {
    let delta = parse_i64(args[2])?;
    incr_by(ctx, args[1], delta)
}

/// DECRBY key decrement
fn decrby(ctx: &mut Ctx<'_>, args: &[&[u8]]) -> CmdResult {
    let delta = parse_i64(args[2])?;
    if delta == i64::MIN {
        return Err(CmdError::msg("ERR decrement would overflow"));
    }
    incr_by(ctx, args[1], -delta)
}

/// INCRBYFLOAT key increment
///
/// The result is stored as a string (never int-encoded), formatted as Redis formats it. Redis
/// computes in `long double`; here an integer value plus an integer increment is exact (as
/// Redis's 64-bit mantissa is for such values) and anything else is computed in `f64`.
fn incrbyfloat(ctx: &mut Ctx<'_>, args: &[&[u8]]) -> CmdResult {
    let (db, now) = (ctx.db(), ctx.now_ms());
    let key = args[1];
    let entry = ctx.shard.keyspace.get(db, key, now);
    let current = match &entry {
        Some(entry) => Some(entry.value.as_str()?),
        None => None,
    };
    let mut buf = itoa::Buffer::new();
    let current_bytes: &[u8] = match current {
        Some(value) => value.as_bytes(&mut buf),
        None => b"0",
    };
    let text =
        crate::long_double::incr_by_float(current_bytes, args[2]).map_err(|err| match err {
            crate::long_double::IncrFloatError::NotFloat => CmdError::NotFloat,
            crate::long_double::IncrFloatError::NanOrInfinity => {
                CmdError::msg("ERR increment would produce NaN or Infinity")
            }
        })?;
    let value = StrValue::from_bytes_no_int(&text);
    match entry {
        Some(entry) => entry.value = Value::Str(value),
        None => {
            ctx.shard
                .keyspace
                .insert(db, key, new_entry(value, NO_EXPIRE), now);
        }
    }
    ctx.reply().bulk(&text);
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Partial strings
// ---------------------------------------------------------------------------------------------

/// Redis's checkStringLength: would a string of `len + extra` bytes exceed proto-max-bulk-len?
fn check_string_length(len: u64, extra: u64) -> CmdResult {
    match len.checked_add(extra) {
        Some(total) if total <= MAX_BULK_LEN as u64 => Ok(()),
        _ => Err(CmdError::StringTooLong),
    }
}

/// APPEND key value
fn append(ctx: &mut Ctx<'_>, args: &[&[u8]]) -> CmdResult {
    let (db, now) = (ctx.db(), ctx.now_ms());
    let (key, tail) = (args[1], args[2]);
    let len = match ctx.shard.keyspace.get(db, key, now) {
        Some(entry) => {
            let s = entry.value.as_str_mut()?;
            check_string_length(s.len() as u64, tail.len() as u64)?;
            let bytes = s.make_raw();
            bytes.extend_from_slice(tail);
            bytes.len()
        }
        None => {
            ctx.shard.keyspace.insert(
                db,
                key,
                new_entry(StrValue::from_bytes(tail), NO_EXPIRE),
                now,
            );
            tail.len()
        }
    };
    ctx.reply().integer(len as i64);
    Ok(())
}

/// STRLEN key
fn strlen(ctx: &mut Ctx<'_>, args: &[&[u8]]) -> CmdResult {
    let (entry, mut reply) = ctx.lookup_read(args[1]);
    let len = match entry {
        Some(entry) => entry.value.as_str()?.len(),
        None => 0,
    };
    reply.integer(len as i64);
    Ok(())
}

/// The byte range GETRANGE returns for `start..=end` of a string of `len` bytes (Redis 7.0
/// rules: negative indexes count from the end and are clamped to 0).
fn getrange_bounds(start: i64, end: i64, len: usize) -> Option<(usize, usize)> {
    if start < 0 && end < 0 && start > end {
        return None;
    }
    let len_i = len as i64;
    let start = if start < 0 {
        start.saturating_add(len_i)
    } else {
        start
    }
    .max(0);
    let end = if end < 0 {
        end.saturating_add(len_i)
    } else {
        end
    }
    .max(0);
    let end = end.min(len_i - 1);
    if len == 0 || start > end {
        return None;
    }
    Some((start as usize, end as usize))
}

/// GETRANGE key start end (and the deprecated SUBSTR key start end)
fn getrange(ctx: &mut Ctx<'_>, args: &[&[u8]]) -> CmdResult {
    let start = parse_i64(args[2])?;
    let end = parse_i64(args[3])?;
    let (entry, mut reply) = ctx.lookup_read(args[1]);
    let Some(entry) = entry else {
        reply.bulk(b"");
        return Ok(());
    };
    let mut buf = itoa::Buffer::new();
    let bytes = entry.value.as_str()?.as_bytes(&mut buf);
    match getrange_bounds(start, end, bytes.len()) {
        Some((from, to)) => reply.bulk(&bytes[from..=to]),
        None => reply.bulk(b""),
    }
    Ok(())
}

/// SETRANGE key offset value
fn setrange(ctx: &mut Ctx<'_>, args: &[&[u8]]) -> CmdResult {
    let offset = parse_i64(args[2])?;
    if offset < 0 {
        return Err(CmdError::msg("ERR offset is out of range"));
    }
    let (db, now) = (ctx.db(), ctx.now_ms());
    let (key, patch) = (args[1], args[3]);
    let offset = offset as u64;
    let len = match ctx.shard.keyspace.get(db, key, now) {
        Some(entry) => {
            let s = entry.value.as_str_mut()?;
            if patch.is_empty() {
                s.len()
            } else {
                check_string_length(offset, patch.len() as u64)?;
                let offset = offset as usize;
                let bytes = s.make_raw();
                let needed = offset + patch.len();
                if bytes.len() < needed {
                    bytes.resize(needed, 0);
                }
                bytes[offset..needed].copy_from_slice(patch);
                bytes.len()
            }
        }
        None => {
            // Setting nothing on a missing key creates nothing.
            if patch.is_empty() {
                ctx.reply().integer(0);
                return Ok(());
            }
            check_string_length(offset, patch.len() as u64)?;
            let offset = offset as usize;
            let mut bytes = vec![0u8; offset + patch.len()];
            bytes[offset..].copy_from_slice(patch);
            let len = bytes.len();
            ctx.shard
                .keyspace
                .insert(db, key, new_entry(StrValue::raw(bytes), NO_EXPIRE), now);
            len
        }
    };
    ctx.reply().integer(len as i64);
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// LCS
// ---------------------------------------------------------------------------------------------

/// One matched range of LCS IDX: positions in the first and second string, and its length.
struct LcsMatch {
    a: (u32, u32),
    b: (u32, u32),
    len: u32,
}

/// LCS key1 key2 [LEN] [IDX] [MINMATCHLEN min-match-len] [WITHMATCHLEN]
///
/// Both keys must be on this shard. Missing keys count as empty strings.
fn lcs(ctx: &mut Ctx<'_>, args: &[&[u8]]) -> CmdResult {
    let (key_a, key_b) = (args[1], args[2]);
    // Look both keys up (expiring them, counting hits and misses) before any other check.
    let a_ok = ctx
        .lookup_read(key_a)
        .0
        .is_none_or(|e| e.value.as_str().is_ok());
    let b_ok = ctx
        .lookup_read(key_b)
        .0
        .is_none_or(|e| e.value.as_str().is_ok());
    if !a_ok || !b_ok {
        return Err(CmdError::msg(
            "ERR The specified keys must contain string values",
        ));
    }

    let (mut get_len, mut get_idx, mut with_match_len) = (false, false, false);
    let mut min_match_len = 0i64;
    let mut cur = ArgCursor::new(args, 3);
    while let Some(opt) = cur.next_option() {
        match opt.as_str() {
            "IDX" => get_idx = true,
            "LEN" => get_len = true,
            "WITHMATCHLEN" => with_match_len = true,
            "MINMATCHLEN" if !cur.is_done() => min_match_len = cur.next_i64()?.max(0),
            _ => return Err(CmdError::Syntax),
        }
    }
    if get_idx && get_len {
        return Err(CmdError::msg(
            "ERR If you want both the length and indexes, please just use IDX.",
        ));
    }

    let db = ctx.db();
    let keyspace = &ctx.shard.keyspace;
    let (mut buf_a, mut buf_b) = (itoa::Buffer::new(), itoa::Buffer::new());
    let a: &[u8] = match keyspace.peek(db, key_a).map(|e| e.value.as_str()) {
        Some(Ok(s)) => s.as_bytes(&mut buf_a),
        _ => b"",
    };
    let b: &[u8] = match keyspace.peek(db, key_b).map(|e| e.value.as_str()) {
        Some(Ok(s)) => s.as_bytes(&mut buf_b),
        _ => b"",
    };
    if a.len() as u64 >= u32::MAX as u64 - 1 || b.len() as u64 >= u32::MAX as u64 - 1 {
        return Err(CmdError::msg("ERR String too long for LCS"));
    }
    let (alen, blen) = (a.len(), b.len());
    let cells = (alen as u64 + 1) * (blen as u64 + 1);
    if cells * 4 > MAX_BULK_LEN as u64 {
        return Err(CmdError::msg(
            "ERR Insufficient memory, transient memory for LCS exceeds proto-max-bulk-len",
        ));
    }
    let mut table: Vec<u32> = Vec::new();
    if table.try_reserve_exact(cells as usize).is_err() {
        return Err(CmdError::msg(
            "ERR Insufficient memory, failed allocating transient memory for LCS",
        ));
    }
    table.resize(cells as usize, 0);
    let width = blen + 1;
    // table[i * width + j] = LCS length of a[..i] and b[..j].
    for i in 1..=alen {
        for j in 1..=blen {
            table[i * width + j] = if a[i - 1] == b[j - 1] {
                table[(i - 1) * width + j - 1] + 1
            } else {
                table[(i - 1) * width + j].max(table[i * width + j - 1])
            };
        }
    }
    let total = table[alen * width + blen];

    // Walk back from the end, collecting the LCS string and the matched ranges, as Redis.
    let compute = get_idx || !get_len;
    let mut result = vec![0u8; if compute { total as usize } else { 0 }];
    let mut matches: Vec<LcsMatch> = Vec::new();
    let (mut i, mut j, mut idx) = (alen, blen, total as usize);
    // `a_start == alen` means no range is open.
    let (mut a_start, mut a_end, mut b_start, mut b_end) = (alen, 0usize, 0usize, 0usize);
    while compute && i > 0 && j > 0 {
        let mut emit = false;
        if a[i - 1] == b[j - 1] {
            result[idx - 1] = a[i - 1];
            if a_start == alen {
                (a_start, a_end, b_start, b_end) = (i - 1, i - 1, j - 1, j - 1);
            } else if a_start == i && b_start == j {
                a_start -= 1;
                b_start -= 1;
            } else {
                emit = true;
            }
            if a_start == 0 || b_start == 0 {
                emit = true;
            }
            idx -= 1;
            i -= 1;
            j -= 1;
        } else {
            if table[(i - 1) * width + j] > table[i * width + j - 1] {
                i -= 1;
            } else {
                j -= 1;
            }
            if a_start != alen {
                emit = true;
            }
        }
        if emit {
            let len = a_end - a_start + 1;
            if get_idx && (min_match_len == 0 || len as i64 >= min_match_len) {
                matches.push(LcsMatch {
                    a: (a_start as u32, a_end as u32),
                    b: (b_start as u32, b_end as u32),
                    len: len as u32,
                });
            }
            a_start = alen;
        }
    }

    let mut reply = ctx.reply();
    if get_idx {
        reply.map(2);
        reply.bulk(b"matches");
        reply.array(matches.len());
        for m in &matches {
            reply.array(2 + with_match_len as usize);
            reply.array(2);
            reply.integer(m.a.0 as i64);
            reply.integer(m.a.1 as i64);
            reply.array(2);
            reply.integer(m.b.0 as i64);
            reply.integer(m.b.1 as i64);
            if with_match_len {
                reply.integer(m.len as i64);
            }
        }
        reply.bulk(b"len");
        reply.integer(total as i64);
    } else if get_len {
        reply.integer(total as i64);
    } else {
        reply.bulk(&result);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use crate::families::test_util::TestShard;
    use crate::value::{StrValue, Value};

    const OK: &str = "+OK\r\n";
    const NIL: &str = "$-1\r\n";
    const EMPTY: &str = "$0\r\n\r\n";
    const SYNTAX: &str = "-ERR syntax error\r\n";
    const NOT_INT: &str = "-ERR value is not an integer or out of range\r\n";
    const NOT_FLOAT: &str = "-ERR value is not a valid float\r\n";
    const OVERFLOW: &str = "-ERR increment or decrement would overflow\r\n";
    const TOO_BIG: &str = "-ERR string exceeds maximum allowed size (proto-max-bulk-len)\r\n";

    fn bulk(s: &str) -> String {
        format!("${}\r\n{}\r\n", s.len(), s)
    }

    fn int(n: i64) -> String {
        format!(":{n}\r\n")
    }

    fn expire_err(cmd: &str) -> String {
        format!("-ERR invalid expire time in '{cmd}' command\r\n")
    }

    /// The key's TTL in ms (-1: none, -2: missing), read straight from the keyspace.
    fn pttl(t: &mut TestShard, key: &str) -> i64 {
        let now = t.shard.now_ms;
        match t.shard.keyspace.get(0, key.as_bytes(), now) {
            None => -2,
            Some(e) if e.expire_at() == 0 => -1,
            Some(e) => (e.expire_at() - now) as i64,
        }
    }

    fn encoding(t: &mut TestShard, key: &str) -> &'static str {
        let now = t.shard.now_ms;
        t.shard
            .keyspace
            .get(0, key.as_bytes(), now)
            .map_or("none", |e| e.value.encoding())
    }

    #[test]
    fn set_and_get() {
        let mut t = TestShard::new();
        assert_eq!(t.run(&["GET", "k"]), NIL);
        assert_eq!(t.run(&["SET", "k", "v"]), OK);
        assert_eq!(t.run(&["GET", "k"]), bulk("v"));
        assert_eq!(t.run(&["set", "k", ""]), OK);
        assert_eq!(t.run(&["get", "k"]), EMPTY);
        assert_eq!(t.run(&["SET", "n", "12345"]), OK);
        assert_eq!(encoding(&mut t, "n"), "int");
        assert_eq!(t.run(&["GET", "n"]), bulk("12345"));
        assert_eq!(t.run(&["SET", "n", "-9223372036854775808"]), OK);
        assert_eq!(t.run(&["GET", "n"]), bulk("-9223372036854775808"));
        let long = "x".repeat(100);
        assert_eq!(t.run(&["SET", "l", &long]), OK);
        assert_eq!(t.run(&["GET", "l"]), bulk(&long));
        let binary: &[&[u8]] = &[b"SET", b"b", b"a\r\n\0z"];
        assert_eq!(t.run_bytes(binary), OK);
        assert_eq!(t.run(&["GET", "b"]), "$5\r\na\r\n\0z\r\n");
        assert_eq!(
            t.run(&["GET"]),
            "-ERR wrong number of arguments for 'get' command\r\n"
        );
        assert_eq!(
            t.run(&["SET", "k"]),
            "-ERR wrong number of arguments for 'set' command\r\n"
        );
    }

    #[test]
    fn get_counts_hits_and_misses() {
        let mut t = TestShard::new();
        t.run(&["SET", "k", "v"]);
        t.run(&["GET", "k"]);
        t.run(&["GET", "nope"]);
        t.run(&["MGET", "k", "nope", "k"]);
        assert_eq!(t.shard.stats.keyspace_hits, 3);
        assert_eq!(t.shard.stats.keyspace_misses, 2);
    }

    #[test]
    fn set_expiry_options() {
        let mut t = TestShard::new();
        let now = t.shard.now_ms;
        assert_eq!(t.run(&["SET", "k", "v", "EX", "10"]), OK);
        assert_eq!(pttl(&mut t, "k"), 10_000);
        assert_eq!(t.run(&["SET", "k", "v", "px", "1500"]), OK);
        assert_eq!(pttl(&mut t, "k"), 1500);
        let exat = (now / 1000 + 100).to_string();
        assert_eq!(t.run(&["SET", "k", "v", "EXAT", &exat]), OK);
        assert_eq!(
            t.shard.keyspace.peek(0, b"k").unwrap().expire_at(),
            (now / 1000 + 100) * 1000
        );
        let pxat = (now + 2500).to_string();
        assert_eq!(t.run(&["SET", "k", "v", "PXAT", &pxat]), OK);
        assert_eq!(pttl(&mut t, "k"), 2500);
        // Repeating the same expiry option is allowed; the last one wins.
        assert_eq!(t.run(&["SET", "k", "v", "EX", "10", "EX", "20"]), OK);
        assert_eq!(pttl(&mut t, "k"), 20_000);
        // A plain SET clears the TTL.
        assert_eq!(t.run(&["SET", "k", "v2"]), OK);
        assert_eq!(pttl(&mut t, "k"), -1);
        // Expiry is lazy.
        assert_eq!(t.run(&["SET", "k", "v", "PX", "100"]), OK);
        t.advance_ms(99);
        assert_eq!(t.run(&["GET", "k"]), bulk("v"));
        t.advance_ms(1);
        assert_eq!(t.run(&["GET", "k"]), NIL);
        // An absolute time in the past: set, then gone.
        assert_eq!(t.run(&["SET", "k", "v", "EXAT", "1"]), OK);
        assert_eq!(t.run(&["GET", "k"]), NIL);
        // The largest PXAT is accepted.
        assert_eq!(t.run(&["SET", "k", "v", "PXAT", "9223372036854775807"]), OK);
        assert_eq!(t.run(&["SET", "k", "v", "EXAT", "9223372036854775"]), OK);
    }

    #[test]
    fn set_invalid_expire_times() {
        let mut t = TestShard::new();
        let err = expire_err("set");
        for (opt, val) in [
            ("EX", "0"),
            ("EX", "-1"),
            ("PX", "0"),
            ("EXAT", "0"),
            ("PXAT", "0"),
            ("EX", "9223372036854775807"),
            ("EX", "9223372036854776"),
            // Fits in ms but overflows once now is added.
            ("EX", "9223372036854775"),
            ("PX", "9223372036854775807"),
            ("EXAT", "9223372036854776"),
        ] {
            assert_eq!(t.run(&["SET", "k", "v", opt, val]), err, "{opt} {val}");
        }
        assert_eq!(t.run(&["SET", "k", "v", "EX", "abc"]), NOT_INT);
        assert_eq!(t.run(&["SET", "k", "v", "EX", "1.5"]), NOT_INT);
        assert_eq!(t.run(&["SET", "k", "v", "EX", "NX"]), NOT_INT);
        assert_eq!(t.run(&["GET", "k"]), NIL);
    }

    #[test]
    fn set_syntax_errors() {
        let mut t = TestShard::new();
        for opts in [
            &["EX"][..],
            &["NX", "XX"],
            &["XX", "NX"],
            &["EX", "10", "PX", "10"],
            &["PX", "10", "EXAT", "10"],
            &["EXAT", "10", "PXAT", "10"],
            &["EX", "10", "KEEPTTL"],
            &["KEEPTTL", "EX", "5"],
            &["PX", "5", "KEEPTTL"],
            &["PERSIST"],
            &["FOO"],
            &["NXX"],
            &["GET", "EX"],
        ] {
            let mut args = vec!["SET", "k", "v"];
            args.extend_from_slice(opts);
            assert_eq!(t.run(&args), SYNTAX, "{opts:?}");
        }
        // Repeats that Redis accepts.
        assert_eq!(t.run(&["SET", "k", "v", "nx", "nx"]), OK);
        assert_eq!(t.run(&["SET", "k", "v", "KEEPTTL", "keepttl"]), OK);
        assert_eq!(t.run(&["SET", "k", "w", "GET", "get"]), bulk("v"));
        // Syntax errors come before expire-time errors.
        assert_eq!(t.run(&["SET", "k", "v", "EX", "0", "FOO"]), SYNTAX);
    }

    #[test]
    fn set_nx_xx() {
        let mut t = TestShard::new();
        assert_eq!(t.run(&["SET", "k", "v", "XX"]), NIL);
        assert_eq!(t.run(&["GET", "k"]), NIL);
        assert_eq!(t.run(&["SET", "k", "v", "NX"]), OK);
        assert_eq!(t.run(&["SET", "k", "w", "NX"]), NIL);
        assert_eq!(t.run(&["GET", "k"]), bulk("v"));
        assert_eq!(t.run(&["SET", "k", "w", "XX", "EX", "10"]), OK);
        assert_eq!(t.run(&["GET", "k"]), bulk("w"));
        assert_eq!(pttl(&mut t, "k"), 10_000);
        assert_eq!(t.run(&["SET", "k", "x", "XX"]), OK);
        assert_eq!(pttl(&mut t, "k"), -1);
        // An expired key counts as missing.
        assert_eq!(t.run(&["SET", "e", "v", "PX", "5"]), OK);
        t.advance_ms(5);
        assert_eq!(t.run(&["SET", "e", "v2", "XX"]), NIL);
        assert_eq!(t.run(&["SET", "e", "v2", "NX"]), OK);
    }

    #[test]
    fn set_keepttl() {
        let mut t = TestShard::new();
        assert_eq!(t.run(&["SET", "k", "v", "EX", "100"]), OK);
        assert_eq!(t.run(&["SET", "k", "v2", "KEEPTTL"]), OK);
        assert_eq!(t.run(&["GET", "k"]), bulk("v2"));
        assert_eq!(pttl(&mut t, "k"), 100_000);
        assert_eq!(t.run(&["SET", "k", "v3", "XX", "KEEPTTL"]), OK);
        assert_eq!(pttl(&mut t, "k"), 100_000);
        assert_eq!(t.run(&["SET", "k", "v3"]), OK);
        assert_eq!(pttl(&mut t, "k"), -1);
        assert_eq!(t.run(&["SET", "new", "v", "KEEPTTL"]), OK);
        assert_eq!(pttl(&mut t, "new"), -1);
        assert_eq!(t.shard.keyspace.db(0).volatile(), 0);
    }

    #[test]
    fn set_get_option() {
        let mut t = TestShard::new();
        assert_eq!(t.run(&["SET", "k", "v", "GET"]), NIL);
        assert_eq!(t.run(&["SET", "k", "w", "GET", "EX", "10"]), bulk("v"));
        assert_eq!(pttl(&mut t, "k"), 10_000);
        // NX + GET: the old value, nothing set.
        assert_eq!(t.run(&["SET", "k", "x", "NX", "GET"]), bulk("w"));
        assert_eq!(t.run(&["GET", "k"]), bulk("w"));
        // XX + GET on a missing key: null, nothing set.
        assert_eq!(t.run(&["SET", "m", "x", "XX", "GET"]), NIL);
        assert_eq!(t.run(&["GET", "m"]), NIL);
        // An int-encoded old value.
        assert_eq!(t.run(&["SET", "n", "42"]), OK);
        assert_eq!(t.run(&["SET", "n", "v", "GET"]), bulk("42"));
        // Expire errors come before GET.
        assert_eq!(
            t.run(&["SET", "k", "v", "EX", "0", "GET"]),
            expire_err("set")
        );
        // An absolute time already past: old value returned, key then gone.
        assert_eq!(t.run(&["SET", "k", "1", "PXAT", "1", "GET"]), bulk("w"));
        assert_eq!(t.run(&["GET", "k"]), NIL);
    }

    #[test]
    fn setnx_setex_psetex() {
        let mut t = TestShard::new();
        assert_eq!(t.run(&["SETNX", "k", "v"]), int(1));
        assert_eq!(t.run(&["SETNX", "k", "w"]), int(0));
        assert_eq!(t.run(&["GET", "k"]), bulk("v"));

        assert_eq!(t.run(&["SETEX", "k", "10", "x"]), OK);
        assert_eq!(t.run(&["GET", "k"]), bulk("x"));
        assert_eq!(pttl(&mut t, "k"), 10_000);
        assert_eq!(t.run(&["SETEX", "k", "0", "x"]), expire_err("setex"));
        assert_eq!(t.run(&["SETEX", "k", "-1", "x"]), expire_err("setex"));
        assert_eq!(
            t.run(&["SETEX", "k", "9223372036854775807", "x"]),
            expire_err("setex")
        );
        assert_eq!(t.run(&["SETEX", "k", "abc", "x"]), NOT_INT);
        assert_eq!(
            t.run(&["SETEX", "k", "10"]),
            "-ERR wrong number of arguments for 'setex' command\r\n"
        );

        assert_eq!(t.run(&["PSETEX", "k", "1500", "y"]), OK);
        assert_eq!(pttl(&mut t, "k"), 1500);
        assert_eq!(t.run(&["PSETEX", "k", "-5", "y"]), expire_err("psetex"));
        assert_eq!(t.run(&["PSETEX", "k", "0", "y"]), expire_err("psetex"));
        assert_eq!(t.run(&["PSETEX", "k", "x", "y"]), NOT_INT);
        t.advance_ms(1500);
        assert_eq!(t.run(&["GET", "k"]), NIL);
    }

    #[test]
    fn getset_getdel() {
        let mut t = TestShard::new();
        assert_eq!(t.run(&["GETSET", "k", "v"]), NIL);
        assert_eq!(t.run(&["SET", "k", "7", "EX", "100"]), OK);
        assert_eq!(t.run(&["GETSET", "k", "w"]), bulk("7"));
        assert_eq!(pttl(&mut t, "k"), -1);
        assert_eq!(t.run(&["GET", "k"]), bulk("w"));

        assert_eq!(t.run(&["GETDEL", "k"]), bulk("w"));
        assert_eq!(t.run(&["GETDEL", "k"]), NIL);
        assert_eq!(t.run(&["GET", "k"]), NIL);
        assert_eq!(t.run(&["SET", "k", "1", "PX", "10"]), OK);
        t.advance_ms(10);
        assert_eq!(t.run(&["GETDEL", "k"]), NIL);
        assert_eq!(t.shard.keyspace.total_keys(), 0);
    }

    #[test]
    fn getex() {
        let mut t = TestShard::new();
        let now = t.shard.now_ms;
        assert_eq!(t.run(&["GETEX", "k"]), NIL);
        assert_eq!(t.run(&["GETEX", "k", "EX", "0"]), NIL);
        assert_eq!(t.run(&["SET", "k", "v"]), OK);
        assert_eq!(t.run(&["GETEX", "k"]), bulk("v"));
        assert_eq!(pttl(&mut t, "k"), -1);
        assert_eq!(t.run(&["GETEX", "k", "PX", "5000"]), bulk("v"));
        assert_eq!(pttl(&mut t, "k"), 5000);
        assert_eq!(t.run(&["GETEX", "k"]), bulk("v"));
        assert_eq!(pttl(&mut t, "k"), 5000);
        assert_eq!(t.run(&["GETEX", "k", "ex", "10"]), bulk("v"));
        assert_eq!(pttl(&mut t, "k"), 10_000);
        assert_eq!(t.run(&["GETEX", "k", "EX", "1", "EX", "2"]), bulk("v"));
        assert_eq!(pttl(&mut t, "k"), 2000);
        let pxat = (now + 7000).to_string();
        assert_eq!(t.run(&["GETEX", "k", "PXAT", &pxat]), bulk("v"));
        assert_eq!(pttl(&mut t, "k"), 7000);
        let exat = (now / 1000 + 50).to_string();
        assert_eq!(t.run(&["GETEX", "k", "EXAT", &exat]), bulk("v"));
        assert_eq!(
            t.shard.keyspace.peek(0, b"k").unwrap().expire_at(),
            (now / 1000 + 50) * 1000
        );
        assert_eq!(t.run(&["GETEX", "k", "PERSIST"]), bulk("v"));
        assert_eq!(pttl(&mut t, "k"), -1);
        assert_eq!(t.shard.keyspace.db(0).volatile(), 0);
        assert_eq!(t.run(&["GETEX", "k", "PERSIST", "PERSIST"]), bulk("v"));
        // An absolute time already past deletes the key after replying.
        assert_eq!(t.run(&["GETEX", "k", "EXAT", "1"]), bulk("v"));
        assert_eq!(t.shard.keyspace.total_keys(), 0);

        assert_eq!(t.run(&["SET", "k", "v"]), OK);
        for opts in [
            &["KEEPTTL"][..],
            &["NX"],
            &["XX"],
            &["GET"],
            &["EX"],
            &["PERSIST", "EX", "10"],
            &["EX", "10", "PERSIST"],
            &["EX", "10", "PX", "10"],
            &["FOO"],
        ] {
            let mut args = vec!["GETEX", "k"];
            args.extend_from_slice(opts);
            assert_eq!(t.run(&args), SYNTAX, "{opts:?}");
        }
        assert_eq!(t.run(&["GETEX", "k", "EX", "0"]), expire_err("getex"));
        assert_eq!(
            t.run(&["GETEX", "k", "PX", "9223372036854775807"]),
            expire_err("getex")
        );
        assert_eq!(t.run(&["GETEX", "k", "EX", "x"]), NOT_INT);
        assert_eq!(pttl(&mut t, "k"), -1);
    }

    #[test]
    fn mget_mset() {
        let mut t = TestShard::new();
        assert_eq!(t.run(&["MSET", "a", "1", "b", "two"]), OK);
        assert_eq!(
            t.run(&["MGET", "a", "b", "c"]),
            "*3\r\n$1\r\n1\r\n$3\r\ntwo\r\n$-1\r\n"
        );
        assert_eq!(
            t.run(&["MSET", "a", "1", "b"]),
            "-ERR wrong number of arguments for 'mset' command\r\n"
        );
        assert_eq!(
            t.run(&["MSET", "a"]),
            "-ERR wrong number of arguments for 'mset' command\r\n"
        );
        // MSET clears TTLs; a repeated key keeps the last value.
        assert_eq!(t.run(&["SET", "v", "val", "EX", "100"]), OK);
        assert_eq!(t.run(&["MSET", "v", "2", "v", "3"]), OK);
        assert_eq!(pttl(&mut t, "v"), -1);
        assert_eq!(t.run(&["GET", "v"]), bulk("3"));
    }

    #[test]
    fn msetnx() {
        let mut t = TestShard::new();
        assert_eq!(t.run(&["MSETNX", "x", "1", "y", "2"]), int(1));
        assert_eq!(t.run(&["MSETNX", "x", "1", "z", "2"]), int(0));
        assert_eq!(
            t.run(&["MGET", "x", "y", "z"]),
            "*3\r\n$1\r\n1\r\n$1\r\n2\r\n$-1\r\n"
        );
        assert_eq!(t.run(&["MSETNX", "a", "1", "a", "2"]), int(1));
        assert_eq!(t.run(&["GET", "a"]), bulk("2"));
        assert_eq!(
            t.run(&["MSETNX", "a", "1", "b"]),
            "-ERR wrong number of arguments for 'msetnx' command\r\n"
        );
        assert_eq!(t.run(&["SET", "e", "1", "PX", "1"]), OK);
        t.advance_ms(1);
        assert_eq!(t.run(&["MSETNX", "e", "2"]), int(1));
    }

    #[test]
    fn incr_decr() {
        let mut t = TestShard::new();
        assert_eq!(t.run(&["INCR", "n"]), int(1));
        assert_eq!(t.run(&["INCR", "n"]), int(2));
        assert_eq!(t.run(&["DECR", "n"]), int(1));
        assert_eq!(t.run(&["DECR", "m"]), int(-1));
        assert_eq!(t.run(&["INCRBY", "n", "10"]), int(11));
        assert_eq!(t.run(&["INCRBY", "n", "-20"]), int(-9));
        assert_eq!(t.run(&["DECRBY", "n", "-9"]), int(0));
        assert_eq!(t.run(&["DECRBY", "new", "5"]), int(-5));
        assert_eq!(t.run(&["GET", "n"]), bulk("0"));
        assert_eq!(encoding(&mut t, "n"), "int");
        // A string that reads as an integer works (and becomes int-encoded).
        assert_eq!(t.run(&["APPEND", "s", "1"]), int(1));
        assert_eq!(t.run(&["APPEND", "s", "0"]), int(2));
        assert_eq!(encoding(&mut t, "s"), "raw");
        assert_eq!(t.run(&["INCR", "s"]), int(11));
        assert_eq!(encoding(&mut t, "s"), "int");

        for bad in [
            "v",
            "",
            " 1",
            "1 ",
            "01",
            "+1",
            "1.0",
            "-0",
            "9223372036854775808",
        ] {
            assert_eq!(t.run(&["SET", "b", bad]), OK);
            assert_eq!(t.run(&["INCR", "b"]), NOT_INT, "{bad:?}");
            assert_eq!(t.run(&["GET", "b"]), bulk(bad));
        }
        assert_eq!(t.run(&["INCRBY", "n", "abc"]), NOT_INT);
        assert_eq!(t.run(&["INCRBY", "n", "1.5"]), NOT_INT);
        assert_eq!(t.run(&["DECRBY", "n", "9223372036854775808"]), NOT_INT);

        assert_eq!(t.run(&["SET", "m", "9223372036854775807"]), OK);
        assert_eq!(t.run(&["INCR", "m"]), OVERFLOW);
        assert_eq!(t.run(&["INCRBY", "m", "0"]), int(i64::MAX));
        assert_eq!(t.run(&["SET", "m", "-9223372036854775808"]), OK);
        assert_eq!(t.run(&["DECR", "m"]), OVERFLOW);
        assert_eq!(t.run(&["INCRBY", "m", "-1"]), OVERFLOW);
        assert_eq!(t.run(&["DECRBY", "m", "1"]), OVERFLOW);
        assert_eq!(t.run(&["GET", "m"]), bulk("-9223372036854775808"));
        assert_eq!(t.run(&["DECRBY", "m", "-9223372036854775807"]), int(-1));
        // Checked before the key is looked at, and nothing is created.
        assert_eq!(
            t.run(&["DECRBY", "z", "-9223372036854775808"]),
            "-ERR decrement would overflow\r\n"
        );
        assert_eq!(t.run(&["GET", "z"]), NIL);
        assert_eq!(
            t.run(&["INCRBY", "z", "-9223372036854775808"]),
            int(i64::MIN)
        );
    }

    #[test]
    fn incr_keeps_ttl() {
        let mut t = TestShard::new();
        assert_eq!(t.run(&["SET", "w", "5", "EX", "100"]), OK);
        assert_eq!(t.run(&["INCR", "w"]), int(6));
        assert_eq!(pttl(&mut t, "w"), 100_000);
        assert_eq!(t.run(&["INCRBYFLOAT", "w", "1.5"]), bulk("7.5"));
        assert_eq!(pttl(&mut t, "w"), 100_000);
        assert_eq!(t.run(&["APPEND", "w", "1"]), int(4));
        assert_eq!(pttl(&mut t, "w"), 100_000);
        assert_eq!(t.run(&["SETRANGE", "w", "0", "9"]), int(4));
        assert_eq!(pttl(&mut t, "w"), 100_000);
        assert_eq!(t.run(&["GET", "w"]), bulk("9.51"));
        // An expired key starts from zero.
        t.advance_ms(100_000);
        assert_eq!(t.run(&["INCR", "w"]), int(1));
        assert_eq!(pttl(&mut t, "w"), -1);
    }

    #[test]
    fn incrbyfloat() {
        let mut t = TestShard::new();
        assert_eq!(t.run(&["INCRBYFLOAT", "f", "10.5"]), bulk("10.5"));
        assert_eq!(t.run(&["INCRBYFLOAT", "f", "0.1"]), bulk("10.6"));
        assert_eq!(t.run(&["INCRBYFLOAT", "f", "-5.6"]), bulk("5"));
        assert_eq!(t.run(&["GET", "f"]), bulk("5"));
        // Stored as a string, not int-encoded.
        assert_eq!(encoding(&mut t, "f"), "embstr");
        assert_eq!(t.run(&["SET", "g", "3"]), OK);
        assert_eq!(t.run(&["INCRBYFLOAT", "g", "0"]), bulk("3"));
        assert_eq!(encoding(&mut t, "g"), "embstr");
        assert_eq!(t.run(&["SET", "h", "1.5e3"]), OK);
        assert_eq!(t.run(&["INCRBYFLOAT", "h", "1"]), bulk("1501"));
        assert_eq!(t.run(&["INCRBYFLOAT", "h", "1.0e-20"]), bulk("1501"));
        assert_eq!(t.run(&["SET", "h", "1.50"]), OK);
        assert_eq!(t.run(&["INCRBYFLOAT", "h", "0"]), bulk("1.5"));
        assert_eq!(t.run(&["INCRBYFLOAT", "a", "1e-5"]), bulk("0.00001"));
        assert_eq!(t.run(&["INCRBYFLOAT", "b", "+1"]), bulk("1"));
        assert_eq!(t.run(&["INCRBYFLOAT", "c", "1."]), bulk("1"));
        assert_eq!(t.run(&["INCRBYFLOAT", "d", ".5"]), bulk("0.5"));
        assert_eq!(t.run(&["INCRBYFLOAT", "e", "5e2"]), bulk("500"));
        assert_eq!(t.run(&["INCRBYFLOAT", "nz", "-0"]), bulk("0"));
        assert_eq!(t.run(&["INCRBYFLOAT", "neg", "-1.5"]), bulk("-1.5"));
        // Integers stay exact, as with Redis's long double.
        assert_eq!(t.run(&["SET", "big", "9007199254740993"]), OK);
        assert_eq!(
            t.run(&["INCRBYFLOAT", "big", "0"]),
            bulk("9007199254740993")
        );
        assert_eq!(
            t.run(&["INCRBYFLOAT", "big", "1"]),
            bulk("9007199254740994")
        );

        assert_eq!(t.run(&["INCRBYFLOAT", "f", "abc"]), NOT_FLOAT);
        assert_eq!(t.run(&["INCRBYFLOAT", "f", " 1"]), NOT_FLOAT);
        assert_eq!(t.run(&["INCRBYFLOAT", "f", "nan"]), NOT_FLOAT);
        assert_eq!(t.run(&["INCRBYFLOAT", "f", ""]), NOT_FLOAT);
        assert_eq!(
            t.run(&["INCRBYFLOAT", "f", "inf"]),
            "-ERR increment would produce NaN or Infinity\r\n"
        );
        assert_eq!(t.run(&["GET", "f"]), bulk("5"));
        for bad in ["", "abc", " 1", "1 "] {
            assert_eq!(t.run(&["SET", "s", bad]), OK);
            assert_eq!(t.run(&["INCRBYFLOAT", "s", "1"]), NOT_FLOAT, "{bad:?}");
        }
        assert_eq!(t.run(&["INCRBYFLOAT", "missing", "x"]), NOT_FLOAT);
        assert_eq!(t.run(&["GET", "missing"]), NIL);
    }

    #[test]
    fn append_and_strlen() {
        let mut t = TestShard::new();
        assert_eq!(t.run(&["STRLEN", "a"]), int(0));
        assert_eq!(t.run(&["APPEND", "a", "123"]), int(3));
        assert_eq!(encoding(&mut t, "a"), "int");
        assert_eq!(t.run(&["APPEND", "a", "4"]), int(4));
        assert_eq!(encoding(&mut t, "a"), "raw");
        assert_eq!(t.run(&["GET", "a"]), bulk("1234"));
        assert_eq!(t.run(&["STRLEN", "a"]), int(4));
        assert_eq!(t.run(&["APPEND", "a", ""]), int(4));
        // APPEND of nothing still creates the key.
        assert_eq!(t.run(&["APPEND", "e", ""]), int(0));
        assert!(t.shard.keyspace.peek(0, b"e").is_some());
        assert_eq!(t.run(&["GET", "e"]), EMPTY);
        assert_eq!(t.run(&["SET", "n", "-123"]), OK);
        assert_eq!(t.run(&["STRLEN", "n"]), int(4));
        assert_eq!(t.run(&["SET", "s", "hello world"]), OK);
        assert_eq!(t.run(&["STRLEN", "s"]), int(11));
    }

    #[test]
    fn append_too_long() {
        let mut t = TestShard::new();
        // Zeroed pages are mapped lazily, so this costs next to nothing.
        let big = vec![0u8; protocol::MAX_BULK_LEN - 1];
        t.shard.keyspace.insert(
            0,
            b"k",
            crate::value::Entry::new(Value::Str(StrValue::raw(big))),
            0,
        );
        assert_eq!(t.run(&["APPEND", "k", "ab"]), TOO_BIG);
        assert_eq!(
            t.run(&["STRLEN", "k"]),
            int(protocol::MAX_BULK_LEN as i64 - 1)
        );
    }

    #[test]
    fn getrange() {
        let mut t = TestShard::new();
        assert_eq!(t.run(&["SET", "k", "hello"]), OK);
        let cases = [
            ("0", "-1", "hello"),
            ("0", "0", "h"),
            ("1", "3", "ell"),
            ("0", "-100", "h"),
            ("-100", "-200", ""),
            ("-1", "-5", ""),
            ("2", "1", ""),
            ("10", "20", ""),
            ("-3", "-1", "llo"),
            ("-100", "100", "hello"),
            ("4", "9223372036854775807", "o"),
            ("-9223372036854775808", "9223372036854775807", "hello"),
            ("-9223372036854775808", "-9223372036854775808", "h"),
        ];
        for (start, end, want) in cases {
            assert_eq!(
                t.run(&["GETRANGE", "k", start, end]),
                bulk(want),
                "{start} {end}"
            );
            assert_eq!(
                t.run(&["SUBSTR", "k", start, end]),
                bulk(want),
                "{start} {end}"
            );
        }
        assert_eq!(t.run(&["GETRANGE", "none", "0", "1"]), EMPTY);
        assert_eq!(t.run(&["GETRANGE", "k", "a", "1"]), NOT_INT);
        assert_eq!(t.run(&["GETRANGE", "none", "0", "x"]), NOT_INT);
        assert_eq!(t.run(&["SET", "n", "12345"]), OK);
        assert_eq!(t.run(&["GETRANGE", "n", "1", "2"]), bulk("23"));
        assert_eq!(t.run(&["SET", "e", ""]), OK);
        assert_eq!(t.run(&["GETRANGE", "e", "0", "-1"]), EMPTY);
    }

    #[test]
    fn setrange() {
        let mut t = TestShard::new();
        assert_eq!(
            t.run(&["SETRANGE", "s", "-1", "x"]),
            "-ERR offset is out of range\r\n"
        );
        assert_eq!(t.run(&["SETRANGE", "s", "x", "y"]), NOT_INT);
        assert_eq!(
            t.run(&["SETRANGE", "s", "9223372036854775808", "y"]),
            NOT_INT
        );
        // Nothing to set on a missing key: 0, no key.
        assert_eq!(t.run(&["SETRANGE", "s", "5", ""]), int(0));
        assert_eq!(t.shard.keyspace.total_keys(), 0);
        assert_eq!(t.run(&["SETRANGE", "s", "536870912", "x"]), TOO_BIG);
        assert_eq!(t.run(&["SETRANGE", "s", "536870911", "xy"]), TOO_BIG);
        assert_eq!(t.run(&["SETRANGE", "s", "3", "ab"]), int(5));
        assert_eq!(t.run(&["GET", "s"]), "$5\r\n\0\0\0ab\r\n");
        assert_eq!(encoding(&mut t, "s"), "raw");

        assert_eq!(t.run(&["SET", "k", "hello"]), OK);
        assert_eq!(t.run(&["SETRANGE", "k", "1", ""]), int(5));
        assert_eq!(t.run(&["SETRANGE", "k", "100", ""]), int(5));
        assert_eq!(t.run(&["SETRANGE", "k", "1", "EE"]), int(5));
        assert_eq!(t.run(&["GET", "k"]), bulk("hEElo"));
        assert_eq!(t.run(&["SETRANGE", "k", "4", "OWORLD"]), int(10));
        assert_eq!(t.run(&["GET", "k"]), bulk("hEElOWORLD"));
        assert_eq!(t.run(&["SETRANGE", "k", "12", "!"]), int(13));
        assert_eq!(t.run(&["GET", "k"]), "$13\r\nhEElOWORLD\0\0!\r\n");
        assert_eq!(
            t.run(&["SETRANGE", "k", "9223372036854775807", "x"]),
            TOO_BIG
        );
        assert_eq!(t.run(&["SET", "n", "1234"]), OK);
        assert_eq!(t.run(&["SETRANGE", "n", "0", "9"]), int(4));
        assert_eq!(t.run(&["GET", "n"]), bulk("9234"));
        assert_eq!(encoding(&mut t, "n"), "raw");
    }

    #[test]
    fn lcs() {
        let mut t = TestShard::new();
        assert_eq!(
            t.run(&["MSET", "key1", "ohmytext", "key2", "mynewtext"]),
            OK
        );
        assert_eq!(t.run(&["LCS", "key1", "key2"]), bulk("mytext"));
        assert_eq!(t.run(&["LCS", "key1", "key2", "LEN"]), int(6));
        assert_eq!(
            t.run(&["LCS", "key1", "key2", "len", "MINMATCHLEN", "-5"]),
            int(6)
        );
        assert_eq!(
            t.run(&["LCS", "key1", "key2", "WITHMATCHLEN"]),
            bulk("mytext")
        );
        assert_eq!(
            t.run(&["LCS", "key1", "key2", "IDX"]),
            "*4\r\n$7\r\nmatches\r\n*2\r\n*2\r\n*2\r\n:4\r\n:7\r\n*2\r\n:5\r\n:8\r\n\
             *2\r\n*2\r\n:2\r\n:3\r\n*2\r\n:0\r\n:1\r\n$3\r\nlen\r\n:6\r\n"
        );
        assert_eq!(
            t.run(&["LCS", "key1", "key2", "IDX", "WITHMATCHLEN"]),
            "*4\r\n$7\r\nmatches\r\n*2\r\n*3\r\n*2\r\n:4\r\n:7\r\n*2\r\n:5\r\n:8\r\n:4\r\n\
             *3\r\n*2\r\n:2\r\n:3\r\n*2\r\n:0\r\n:1\r\n:2\r\n$3\r\nlen\r\n:6\r\n"
        );
        assert_eq!(
            t.run(&[
                "LCS",
                "key1",
                "key2",
                "IDX",
                "MINMATCHLEN",
                "4",
                "WITHMATCHLEN"
            ]),
            "*4\r\n$7\r\nmatches\r\n*1\r\n*3\r\n*2\r\n:4\r\n:7\r\n*2\r\n:5\r\n:8\r\n:4\r\n\
             $3\r\nlen\r\n:6\r\n"
        );
        assert_eq!(
            t.run(&["LCS", "nokey", "key2", "IDX"]),
            "*4\r\n$7\r\nmatches\r\n*0\r\n$3\r\nlen\r\n:0\r\n"
        );
        assert_eq!(t.run(&["LCS", "nokey", "nokey2"]), EMPTY);
        assert_eq!(t.run(&["LCS", "nokey", "nokey2", "LEN"]), int(0));
        assert_eq!(
            t.run(&["LCS", "key1", "key2", "IDX", "LEN"]),
            "-ERR If you want both the length and indexes, please just use IDX.\r\n"
        );
        assert_eq!(t.run(&["LCS", "key1", "key2", "FOO"]), SYNTAX);
        assert_eq!(t.run(&["LCS", "key1", "key2", "MINMATCHLEN"]), SYNTAX);
        assert_eq!(t.run(&["LCS", "key1", "key2", "MINMATCHLEN", "x"]), NOT_INT);
        assert_eq!(
            t.run(&["LCS", "key1"]),
            "-ERR wrong number of arguments for 'lcs' command\r\n"
        );
        // Int-encoded values are compared as their text.
        assert_eq!(t.run(&["MSET", "n1", "12345", "n2", "2x4"]), OK);
        assert_eq!(t.run(&["LCS", "n1", "n2"]), bulk("24"));
    }

    #[test]
    fn lcs_resp3_and_limits() {
        let mut t = TestShard::new();
        t.client.resp3 = true;
        assert_eq!(
            t.run(&["MSET", "key1", "ohmytext", "key2", "mynewtext"]),
            "+OK\r\n"
        );
        assert_eq!(
            t.run(&["LCS", "key1", "key2", "IDX", "WITHMATCHLEN"]),
            "%2\r\n$7\r\nmatches\r\n*2\r\n*3\r\n*2\r\n:4\r\n:7\r\n*2\r\n:5\r\n:8\r\n:4\r\n\
             *3\r\n*2\r\n:2\r\n:3\r\n*2\r\n:0\r\n:1\r\n:2\r\n$3\r\nlen\r\n:6\r\n"
        );
        assert_eq!(t.run(&["GET", "nope"]), "_\r\n");
        let a = "a".repeat(11600);
        let b = "b".repeat(11600);
        assert_eq!(t.run(&["MSET", "la", &a, "lb", &b]), OK);
        assert_eq!(
            t.run(&["LCS", "la", "lb", "LEN"]),
            "-ERR Insufficient memory, transient memory for LCS exceeds proto-max-bulk-len\r\n"
        );
        let a = "a".repeat(1000);
        let b = "b".repeat(1000);
        assert_eq!(t.run(&["MSET", "la", &a, "lb", &b]), OK);
        assert_eq!(t.run(&["LCS", "la", "lb", "LEN"]), int(0));
    }

    #[test]
    fn reply_shapes() {
        let mut t = TestShard::new();
        assert_eq!(t.run(&["MGET", "a"]), "*1\r\n$-1\r\n");
        t.client.resp3 = true;
        assert_eq!(t.run(&["MGET", "a"]), "*1\r\n_\r\n");
        assert_eq!(t.run(&["SET", "a", "v", "XX"]), "_\r\n");
        assert_eq!(t.run(&["GETEX", "a"]), "_\r\n");
    }

    #[test]
    fn encodings_after_edits() {
        let mut t = TestShard::new();
        // APPEND of nothing still unshares an int into a raw string; SETRANGE of nothing
        // leaves it alone.
        assert_eq!(t.run(&["SET", "a", "123"]), OK);
        assert_eq!(t.run(&["APPEND", "a", ""]), int(3));
        assert_eq!(encoding(&mut t, "a"), "raw");
        assert_eq!(t.run(&["SET", "b", "123"]), OK);
        assert_eq!(t.run(&["SETRANGE", "b", "0", ""]), int(3));
        assert_eq!(encoding(&mut t, "b"), "int");
        assert_eq!(t.run(&["SET", "c", "5"]), OK);
        assert_eq!(t.run(&["INCRBYFLOAT", "c", "1"]), bulk("6"));
        assert_eq!(encoding(&mut t, "c"), "embstr");
        assert_eq!(t.run(&["INCR", "c"]), int(7));
        assert_eq!(encoding(&mut t, "c"), "int");
        assert_eq!(t.run(&["SET", "d", "1.0"]), OK);
        assert_eq!(t.run(&["INCRBYFLOAT", "d", "1"]), bulk("2"));
        // GETEX's relative expiry overflowing once now is added.
        assert_eq!(t.run(&["SET", "e", "v", "EX", "100"]), OK);
        assert_eq!(
            t.run(&["GETEX", "e", "EX", "9223372036854775"]),
            expire_err("getex")
        );
        assert_eq!(pttl(&mut t, "e"), 100_000);
    }

    /// LCS against a naive reference on small random strings.
    #[test]
    fn lcs_length_matches_reference() {
        fn reference(a: &[u8], b: &[u8]) -> usize {
            let mut best = vec![vec![0usize; b.len() + 1]; a.len() + 1];
            for i in 1..=a.len() {
                for j in 1..=b.len() {
                    best[i][j] = if a[i - 1] == b[j - 1] {
                        best[i - 1][j - 1] + 1
                    } else {
                        best[i - 1][j].max(best[i][j - 1])
                    };
                }
            }
            best[a.len()][b.len()]
        }
        let mut t = TestShard::new();
        let mut seed = 12345u64;
        let mut next = || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        for _ in 0..200 {
            let a: String = (0..next() % 12)
                .map(|_| (b'a' + (next() % 3) as u8) as char)
                .collect();
            let b: String = (0..next() % 12)
                .map(|_| (b'a' + (next() % 3) as u8) as char)
                .collect();
            t.run(&["MSET", "a", &a, "b", &b]);
            let want = reference(a.as_bytes(), b.as_bytes());
            assert_eq!(
                t.run(&["LCS", "a", "b", "LEN"]),
                int(want as i64),
                "{a} {b}"
            );
            let got = t.run(&["LCS", "a", "b"]);
            assert_eq!(got.len(), bulk(&"x".repeat(want)).len(), "{a} {b}");
        }
    }
}
