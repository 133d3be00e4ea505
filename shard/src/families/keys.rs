//! Generic keyspace commands (Redis's `db.c` and `expire.c`): DEL, UNLINK, EXISTS, TOUCH,
//! TYPE, the EXPIRE/TTL family, PERSIST, MOVE, COPY, RENAME, RENAMENX, OBJECT, KEYS,
//! RANDOMKEY and SCAN.
//!
//! Which lookups count keyspace hits/misses and which update a key's access time follows
//! Redis 7.0: TYPE, EXISTS, the TTL family and OBJECT count but do not touch; TOUCH and
//! COPY's source read count and touch; the write commands touch without counting.

use crate::args::{parse_i64, OptionName};
use crate::command::{
    flags::*, unknown_subcommand_error, CommandSpec, Coordinator, KeySpec, Merge, Routing,
};
use crate::ctx::Ctx;
use crate::error::{CmdError, CmdResult};
use crate::glob::GlobPattern;
use crate::keyspace::{idle_ms, is_expired, lfu_counter, AccessTracking, DB_COUNT};
use crate::slot::{Slot, SLOT_COUNT};
use crate::value::{Entry, StrValue, Value, NO_EXPIRE};
use protocol::Reply;

const WRITE_FAST: &[&str] = &["@keyspace", "@write", "@fast"];
const WRITE_SLOW: &[&str] = &["@keyspace", "@write", "@slow"];
const READ_FAST: &[&str] = &["@keyspace", "@read", "@fast"];
const READ_SLOW: &[&str] = &["@keyspace", "@read", "@slow"];

macro_rules! key_cmd {
    ($name:expr, $arity:expr, $flags:expr, $keys:expr, $acl:expr, $since:expr, $summary:expr, $routing:expr, $handler:expr) => {
        CommandSpec {
            name: $name,
            arity: $arity,
            flags: $flags,
            keys: $keys,
            acl: $acl,
            group: "generic",
            since: $since,
            summary: $summary,
            routing: $routing,
            handler: $handler,
        }
    };
}

const SINGLE: Routing = Routing::Keys(Merge::Single);
const SUM: Routing = Routing::Keys(Merge::Sum);

pub static COMMANDS: &[CommandSpec] = &[
    key_cmd!("del", -2, WRITE, KeySpec::ALL, WRITE_SLOW, "1.0.0", "Delete a key", SUM, del),
    key_cmd!(
        "unlink",
        -2,
        WRITE | FAST,
        KeySpec::ALL,
        WRITE_FAST,
        "4.0.0",
        "Delete a key asynchronously in another thread. Otherwise it is just as DEL, but non blocking.",
        SUM,
        del
    ),
    key_cmd!("exists", -2, READONLY | FAST, KeySpec::ALL, READ_FAST, "1.0.0", "Determine if a key exists", SUM, exists),
    key_cmd!(
        "touch",
        -2,
        READONLY | FAST,
        KeySpec::ALL,
        READ_FAST,
        "3.2.1",
        "Alters the last access time of a key(s). Returns the number of existing keys specified.",
        SUM,
        touch
    ),
    key_cmd!("type", 2, READONLY | FAST, KeySpec::FIRST, READ_FAST, "1.0.0", "Determine the type stored at key", SINGLE, type_cmd),
    key_cmd!("expire", -3, WRITE | FAST, KeySpec::FIRST, WRITE_FAST, "1.0.0", "Set a key's time to live in seconds", SINGLE, expire),
    key_cmd!(
        "pexpire",
        -3,
        WRITE | FAST,
        KeySpec::FIRST,
        WRITE_FAST,
        "2.6.0",
        "Set a key's time to live in milliseconds",
        SINGLE,
        pexpire
    ),
    key_cmd!(
        "expireat",
        -3,
        WRITE | FAST,
        KeySpec::FIRST,
        WRITE_FAST,
        "1.2.0",
        "Set the expiration for a key as a UNIX timestamp",
        SINGLE,
        expireat
    ),
    key_cmd!(
        "pexpireat",
        -3,
        WRITE | FAST,
        KeySpec::FIRST,
        WRITE_FAST,
        "2.6.0",
        "Set the expiration for a key as a UNIX timestamp specified in milliseconds",
        SINGLE,
        pexpireat
    ),
    key_cmd!("ttl", 2, READONLY | FAST, KeySpec::FIRST, READ_FAST, "1.0.0", "Get the time to live for a key in seconds", SINGLE, ttl),
    key_cmd!(
        "pttl",
        2,
        READONLY | FAST,
        KeySpec::FIRST,
        READ_FAST,
        "2.6.0",
        "Get the time to live for a key in milliseconds",
        SINGLE,
        pttl
    ),
    key_cmd!(
        "expiretime",
        2,
        READONLY | FAST,
        KeySpec::FIRST,
        READ_FAST,
        "7.0.0",
        "Get the expiration Unix timestamp for a key",
        SINGLE,
        expiretime
    ),
    key_cmd!(
        "pexpiretime",
        2,
        READONLY | FAST,
        KeySpec::FIRST,
        READ_FAST,
        "7.0.0",
        "Get the expiration Unix timestamp for a key in milliseconds",
        SINGLE,
        pexpiretime
    ),
    key_cmd!("persist", 2, WRITE | FAST, KeySpec::FIRST, WRITE_FAST, "2.2.0", "Remove the expiration from a key", SINGLE, persist),
    key_cmd!("move", 3, WRITE | FAST, KeySpec::FIRST, WRITE_FAST, "1.0.0", "Move a key to another database", SINGLE, move_cmd),
    key_cmd!(
        "object",
        -2,
        READONLY,
        KeySpec::Range { first: 2, last: 2, step: 1 },
        READ_SLOW,
        "2.2.3",
        "A container for object introspection commands",
        SINGLE,
        object
    ),
    key_cmd!(
        "rename",
        3,
        WRITE,
        KeySpec::FIRST_TWO,
        WRITE_SLOW,
        "1.0.0",
        "Rename a key",
        Routing::Coordinated(Coordinator::Rename { nx: false }),
        rename
    ),
    key_cmd!(
        "renamenx",
        3,
        WRITE | FAST,
        KeySpec::FIRST_TWO,
        WRITE_FAST,
        "1.0.0",
        "Rename a key, only if the new key does not exist",
        Routing::Coordinated(Coordinator::Rename { nx: true }),
        renamenx
    ),
    key_cmd!(
        "copy",
        -3,
        WRITE | DENYOOM,
        KeySpec::FIRST_TWO,
        WRITE_SLOW,
        "6.2.0",
        "Copy a key",
        Routing::Coordinated(Coordinator::Copy),
        copy
    ),
    key_cmd!(
        "keys",
        2,
        READONLY,
        KeySpec::None,
        &["@keyspace", "@read", "@slow", "@dangerous"],
        "1.0.0",
        "Find all keys matching the given pattern",
        Routing::AllShards(Merge::Concat),
        keys
    ),
    key_cmd!(
        "randomkey",
        1,
        READONLY,
        KeySpec::None,
        READ_SLOW,
        "1.0.0",
        "Return a random key from the keyspace",
        Routing::Coordinated(Coordinator::RandomKey),
        randomkey
    ),
    key_cmd!(
        "scan",
        -2,
        READONLY,
        KeySpec::None,
        READ_SLOW,
        "2.8.0",
        "Incrementally iterate the keys space",
        Routing::Coordinated(Coordinator::Scan),
        scan
    ),
];

/// Text of an argument as C's `%s` prints it inside an error reply: up to its first NUL,
/// with CR/LF turned into spaces (addReplyErrorFormat).
fn error_text(arg: &[u8]) -> String {
    let end = arg.iter().position(|&b| b == 0).unwrap_or(arg.len());
    String::from_utf8_lossy(&arg[..end]).replace(['\r', '\n'], " ")
}

/// Read a key without touching its access time (Redis's LOOKUP_NOTOUCH), counting a hit or
/// miss and deleting it if its time ran out. `f` extracts what the caller needs.
fn peek_live<T>(ctx: &mut Ctx<'_>, key: &[u8], f: impl FnOnce(&Entry) -> T) -> Option<T> {
    let (db, now) = (ctx.db(), ctx.now_ms());
    let shard = &mut *ctx.shard;
    match shard.keyspace.peek(db, key) {
        Some(entry) if !is_expired(entry, now) => {
            let out = f(entry);
            shard.stats.keyspace_hits += 1;
            return Some(out);
        }
        Some(_) => {
            // Expired: remove it as Redis's expireIfNeeded does.
            shard.keyspace.remove(db, key, now);
        }
        None => {}
    }
    shard.stats.keyspace_misses += 1;
    None
}

/// A database index argument: `getIntFromObjectOrReply` then `selectDb`'s range check.
fn parse_db_index(arg: &[u8]) -> Result<usize, CmdError> {
    let n = parse_i64(arg)?;
    let n = i32::try_from(n).map_err(|_| {
        CmdError::msg("ERR value is out of range, value must between -2147483648 and 2147483647")
    })?;
    if n < 0 || n as usize >= DB_COUNT {
        return Err(CmdError::DbIndex);
    }
    Ok(n as usize)
}

/// DEL key [key ...] / UNLINK key [key ...]
///
/// Replies with the number of keys removed (expired keys do not count).
fn del(ctx: &mut Ctx<'_>, args: &[&[u8]]) -> CmdResult {
    let (db, now) = (ctx.db(), ctx.now_ms());
    let removed = args[1..]
        .iter()
        .filter(|key| ctx.shard.keyspace.remove(db, key, now).is_some())
        .count();
    ctx.reply().integer(removed as i64);
    Ok(())
}

/// EXISTS key [key ...]
///
/// Replies with how many of the keys exist; a key named twice counts twice.
fn exists(ctx: &mut Ctx<'_>, args: &[&[u8]]) -> CmdResult {
    let found = args[1..]
        .iter()
        .filter(|key| peek_live(ctx, key, |_| ()).is_some())
        .count();
    ctx.reply().integer(found as i64);
    Ok(())
}

/// TOUCH key [key ...]
///
/// Updates the access time of the keys; replies with how many exist.
fn touch(ctx: &mut Ctx<'_>, args: &[&[u8]]) -> CmdResult {
    let mut found = 0i64;
    for key in &args[1..] {
        found += ctx.lookup_read(key).0.is_some() as i64;
    }
    ctx.reply().integer(found);
    Ok(())
}

/// TYPE key
///
/// Replies with the type name as a simple string, or `none`.
fn type_cmd(ctx: &mut Ctx<'_>, args: &[&[u8]]) -> CmdResult {
    let name = peek_live(ctx, args[1], |e| e.value.type_name()).unwrap_or("none");
    ctx.reply().simple(name.as_bytes());
    Ok(())
}

const EXPIRE_NX: u8 = 1;
const EXPIRE_XX: u8 = 2;
const EXPIRE_GT: u8 = 4;
const EXPIRE_LT: u8 = 8;

/// The NX/XX/GT/LT options after the time (parseExtendedExpireArgumentsOrReply).
fn parse_expire_flags(args: &[&[u8]]) -> Result<u8, CmdError> {
    let mut flags = 0u8;
    for arg in args {
        flags |= match OptionName::new(arg).as_str() {
            "NX" => EXPIRE_NX,
            "XX" => EXPIRE_XX,
            "GT" => EXPIRE_GT,
            "LT" => EXPIRE_LT,
            _ => {
                return Err(CmdError::owned(format!(
                    "ERR Unsupported option {}",
                    error_text(arg)
                )))
            }
        };
    }
    if flags & EXPIRE_NX != 0 && flags & (EXPIRE_XX | EXPIRE_GT | EXPIRE_LT) != 0 {
        return Err(CmdError::msg(
            "ERR NX and XX, GT or LT options at the same time are not compatible",
        ));
    }
    if flags & EXPIRE_GT != 0 && flags & EXPIRE_LT != 0 {
        return Err(CmdError::msg(
            "ERR GT and LT options at the same time are not compatible",
        ));
    }
    Ok(flags)
}

/// The shared body of EXPIRE, PEXPIRE, EXPIREAT and PEXPIREAT (expireGenericCommand).
/// `basetime` is added to the given time (now for the relative forms, 0 for the absolute
/// ones); `seconds` says the time is in seconds.
fn expire_generic(
    ctx: &mut Ctx<'_>,
    args: &[&[u8]],
    name: &str,
    basetime: i64,
    seconds: bool,
) -> CmdResult {
    let flags = parse_expire_flags(&args[3..])?;
    let mut when = parse_i64(args[2])?;
    let invalid = || CmdError::owned(format!("ERR invalid expire time in '{name}' command"));
    if seconds {
        when = when.checked_mul(1000).ok_or_else(invalid)?;
    }
    if when > i64::MAX - basetime {
        return Err(invalid());
    }
    when += basetime;

    let (db, now) = (ctx.db(), ctx.now_ms());
    let Some(entry) = ctx.lookup_write(args[1]) else {
        ctx.reply().integer(0);
        return Ok(());
    };
    let current = match entry.expire_at() {
        NO_EXPIRE => None,
        at => Some(at as i64),
    };
    let refused = (flags & EXPIRE_NX != 0 && current.is_some())
        || (flags & EXPIRE_XX != 0 && current.is_none())
        // No expiry counts as infinite: GT always fails on it, LT always passes.
        || (flags & EXPIRE_GT != 0 && current.is_none_or(|c| when <= c))
        || (flags & EXPIRE_LT != 0 && current.is_some_and(|c| when >= c));
    if refused {
        ctx.reply().integer(0);
        return Ok(());
    }
    if when <= now as i64 {
        ctx.shard.keyspace.remove(db, args[1], now);
    } else {
        ctx.shard.keyspace.set_expire(db, args[1], when as u64, now);
    }
    ctx.reply().integer(1);
    Ok(())
}

/// EXPIRE key seconds [NX | XX | GT | LT]
fn expire(ctx: &mut Ctx<'_>, args: &[&[u8]]) -> CmdResult {
    let now = ctx.now_ms() as i64;
    expire_generic(ctx, args, "expire", now, true)
}

/// PEXPIRE key milliseconds [NX | XX | GT | LT]
fn pexpire(ctx: &mut Ctx<'_>, args: &[&[u8]]) -> CmdResult {
    let now = ctx.now_ms() as i64;
    expire_generic(ctx, args, "pexpire", now, false)
}

/// EXPIREAT key unix-time-seconds [NX | XX | GT | LT]
fn expireat(ctx: &mut Ctx<'_>, args: &[&[u8]]) -> CmdResult {
    expire_generic(ctx, args, "expireat", 0, true)
}

/// PEXPIREAT key unix-time-milliseconds [NX | XX | GT | LT]
fn pexpireat(ctx: &mut Ctx<'_>, args: &[&[u8]]) -> CmdResult {
    expire_generic(ctx, args, "pexpireat", 0, false)
}

/// What the TTL family reports.
#[derive(Clone, Copy)]
enum TtlKind {
    /// Remaining time: TTL (seconds, rounded) or PTTL.
    Remaining { ms: bool },
    /// Absolute expiry: EXPIRETIME or PEXPIRETIME.
    At { ms: bool },
}

/// ttlGenericCommand: -2 for a missing key, -1 for a key without expiry.
fn ttl_generic(ctx: &mut Ctx<'_>, key: &[u8], kind: TtlKind) -> CmdResult {
    let now = ctx.now_ms();
    let reply = match peek_live(ctx, key, |e| e.expire_at()) {
        None => -2,
        Some(NO_EXPIRE) => -1,
        Some(at) => match kind {
            TtlKind::Remaining { ms } => {
                let left = at.saturating_sub(now) as i64;
                if ms {
                    left
                } else {
                    (left + 500) / 1000
                }
            }
            // Stored times fit an i64 (EXPIRE checks), so the rounding cannot overflow.
            TtlKind::At { ms } => (if ms { at } else { (at + 500) / 1000 }) as i64,
        },
    };
    ctx.reply().integer(reply);
    Ok(())
}

/// TTL key
fn ttl(ctx: &mut Ctx<'_>, args: &[&[u8]]) -> CmdResult {
    ttl_generic(ctx, args[1], TtlKind::Remaining { ms: false })
}

/// PTTL key
fn pttl(ctx: &mut Ctx<'_>, args: &[&[u8]]) -> CmdResult {
    ttl_generic(ctx, args[1], TtlKind::Remaining { ms: true })
}

/// EXPIRETIME key
fn expiretime(ctx: &mut Ctx<'_>, args: &[&[u8]]) -> CmdResult {
    ttl_generic(ctx, args[1], TtlKind::At { ms: false })
}

/// PEXPIRETIME key
fn pexpiretime(ctx: &mut Ctx<'_>, args: &[&[u8]]) -> CmdResult {
    ttl_generic(ctx, args[1], TtlKind::At { ms: true })
}

/// PERSIST key
///
/// Removes the key's expiry: 1 if it had one, 0 if it had none or does not exist.
fn persist(ctx: &mut Ctx<'_>, args: &[&[u8]]) -> CmdResult {
    let (db, now) = (ctx.db(), ctx.now_ms());
    let had_expiry = ctx
        .lookup_write(args[1])
        .is_some_and(|e| e.expire_at() != NO_EXPIRE);
    if had_expiry {
        ctx.shard.keyspace.set_expire(db, args[1], NO_EXPIRE, now);
    }
    ctx.reply().integer(had_expiry as i64);
    Ok(())
}

/// MOVE key db
///
/// Moves the key (with its expiry) to another database of this shard: 1 if moved, 0 if the
/// key does not exist or already exists in the target database.
fn move_cmd(ctx: &mut Ctx<'_>, args: &[&[u8]]) -> CmdResult {
    let (src, now) = (ctx.db(), ctx.now_ms());
    let dst = parse_db_index(args[2])?;
    if dst == src {
        return Err(CmdError::msg(
            "ERR source and destination objects are the same",
        ));
    }
    let key = args[1];
    let keyspace = &mut ctx.shard.keyspace;
    let moved = keyspace.get(src, key, now).is_some() && keyspace.get(dst, key, now).is_none();
    if moved {
        if let Some(entry) = keyspace.remove(src, key, now) {
            keyspace.insert(dst, key, entry, now);
            // A list or sorted set arriving may be what a blocked client waits for.
            ctx.shard.blocking.signal(dst, key);
        }
    }
    ctx.reply().integer(moved as i64);
    Ok(())
}

/// COPY source destination [DB destination-db] [REPLACE]
///
/// Copies the value and its expiry: 1 if copied, 0 if the source does not exist or the
/// destination exists and REPLACE was not given.
fn copy(ctx: &mut Ctx<'_>, args: &[&[u8]]) -> CmdResult {
    let src_db = ctx.db();
    let mut dst_db = src_db;
    let mut replace = false;
    let mut i = 3;
    while i < args.len() {
        let option = OptionName::new(args[i]);
        if option.as_str() == "REPLACE" {
            replace = true;
        } else if option.as_str() == "DB" && i + 1 < args.len() {
            dst_db = parse_db_index(args[i + 1])?;
            i += 1;
        } else {
            return Err(CmdError::Syntax);
        }
        i += 1;
    }
    let (src, dst) = (args[1], args[2]);
    if src_db == dst_db && src == dst {
        return Err(CmdError::msg(
            "ERR source and destination objects are the same",
        ));
    }
    let Some(entry) = ctx.lookup_read(src).0.map(|e| e.clone()) else {
        ctx.reply().integer(0);
        return Ok(());
    };
    let now = ctx.now_ms();
    let keyspace = &mut ctx.shard.keyspace;
    if keyspace.get(dst_db, dst, now).is_some() && !replace {
        ctx.reply().integer(0);
        return Ok(());
    }
    keyspace.insert(dst_db, dst, entry, now);
    ctx.shard.blocking.signal(dst_db, dst);
    ctx.reply().integer(1);
    Ok(())
}

/// RENAME key newkey
///
/// The new key takes the value and the expiry of the old one; an existing new key is
/// overwritten. `ERR no such key` when the key does not exist (even when both are the same).
fn rename(ctx: &mut Ctx<'_>, args: &[&[u8]]) -> CmdResult {
    let renamed = rename_generic(ctx, args[1], args[2], false)?;
    debug_assert!(renamed);
    ctx.reply().ok();
    Ok(())
}

/// RENAMENX key newkey
///
/// As RENAME, but only when the new key does not exist: 1 if renamed, else 0.
fn renamenx(ctx: &mut Ctx<'_>, args: &[&[u8]]) -> CmdResult {
    let renamed = rename_generic(ctx, args[1], args[2], true)?;
    ctx.reply().integer(renamed as i64);
    Ok(())
}

/// renameGenericCommand. Returns whether the key was renamed (a rename onto itself counts
/// as done for RENAME and not for RENAMENX, as Redis replies).
fn rename_generic(ctx: &mut Ctx<'_>, src: &[u8], dst: &[u8], nx: bool) -> Result<bool, CmdError> {
    let (db, now) = (ctx.db(), ctx.now_ms());
    if ctx.lookup_write(src).is_none() {
        return Err(CmdError::NoSuchKey);
    }
    if src == dst {
        return Ok(!nx);
    }
    let keyspace = &mut ctx.shard.keyspace;
    if nx && keyspace.get(db, dst, now).is_some() {
        return Ok(false);
    }
    if let Some(entry) = keyspace.remove(db, src, now) {
        keyspace.insert(db, dst, entry, now);
        ctx.shard.blocking.signal(db, dst);
    }
    Ok(true)
}

const OBJECT_HELP: &[&str] = &[
    "OBJECT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
    "ENCODING <key>",
    "    Return the kind of internal representation used in order to store the value",
    "    associated with a <key>.",
    "FREQ <key>",
    "    Return the access frequency index of the <key>. The returned integer is",
    "    proportional to the logarithm of the recent access frequency of the key.",
    "IDLETIME <key>",
    "    Return the idle time of the <key>, that is the approximated number of",
    "    seconds elapsed since the last access to the key.",
    "REFCOUNT <key>",
    "    Return the number of references of the value associated with the specified",
    "    <key>.",
    "HELP",
    "    Prints this help.",
];

/// Redis keeps the integers 0..10000 as shared objects (OBJ_SHARED_INTEGERS); their
/// reference count reads as OBJ_SHARED_REFCOUNT.
const SHARED_INTEGERS: i64 = 10_000;
const SHARED_REFCOUNT: i64 = i32::MAX as i64;

/// OBJECT ENCODING key | OBJECT FREQ key | OBJECT IDLETIME key | OBJECT REFCOUNT key |
/// OBJECT HELP
///
/// A missing key replies null. FREQ needs an LFU maxmemory policy, which Shardis does not
/// have yet, so it fails as Redis does without one.
fn object(ctx: &mut Ctx<'_>, args: &[&[u8]]) -> CmdResult {
    let sub = OptionName::new(args[1]);
    let sub = sub.as_str();
    let wanted_arity = match sub {
        "ENCODING" | "FREQ" | "IDLETIME" | "REFCOUNT" => 3,
        "HELP" => 2,
        _ => return Err(unknown_subcommand_error("object", args[1])),
    };
    if args.len() != wanted_arity {
        return Err(CmdError::Arity(
            format!("object|{}", sub.to_ascii_lowercase()).into(),
        ));
    }
    if sub == "HELP" {
        let mut reply = ctx.reply();
        reply.array(OBJECT_HELP.len());
        for line in OBJECT_HELP {
            reply.simple(line.as_bytes());
        }
        return Ok(());
    }
    let now = ctx.now_ms();
    let tracking = ctx.shard.keyspace.tracking;
    /// What OBJECT reports of an entry.
    enum Info {
        Encoding(&'static str),
        Number(i64),
        NoLfu,
        Lfu,
    }
    let info = peek_live(ctx, args[2], |entry| match sub {
        "ENCODING" => Info::Encoding(entry.value.encoding()),
        "IDLETIME" => match tracking {
            AccessTracking::Lru => Info::Number((idle_ms(entry, now) / 1000) as i64),
            AccessTracking::Lfu { .. } => Info::Lfu,
        },
        "FREQ" => match tracking {
            AccessTracking::Lfu { decay_minutes, .. } => {
                Info::Number(lfu_counter(entry.access, now, decay_minutes) as i64)
            }
            AccessTracking::Lru => Info::NoLfu,
        },
        "REFCOUNT" => Info::Number(match &entry.value {
            Value::Str(StrValue::Int(n)) if (0..SHARED_INTEGERS).contains(n) => SHARED_REFCOUNT,
            _ => 1,
        }),
        _ => Info::NoLfu,
    });
    match info {
        None => ctx.reply().null(),
        Some(Info::Encoding(encoding)) => ctx.reply().bulk(encoding.as_bytes()),
        Some(Info::Number(n)) => ctx.reply().integer(n),
        Some(Info::Lfu) => {
            return Err(CmdError::msg(
                "ERR An LFU maxmemory policy is selected, idle time not tracked. Please note \
                 that when switching between policies at runtime LRU and LFU data will take \
                 some time to adjust.",
            ))
        }
        Some(Info::NoLfu) => {
            return Err(CmdError::msg(
                "ERR An LFU maxmemory policy is not selected, access frequency not tracked. \
                 Please note that when switching between policies at runtime LRU and LFU data \
                 will take some time to adjust.",
            ))
        }
    }
    Ok(())
}

/// Keys gathered while walking slots, already encoded as bulk strings (the keyspace lends
/// keys only for the duration of one visit).
struct KeyList {
    encoded: Vec<u8>,
    count: usize,
    resp3: bool,
}

impl KeyList {
    fn new(resp3: bool) -> Self {
        KeyList {
            encoded: Vec::new(),
            count: 0,
            resp3,
        }
    }

    fn push(&mut self, key: &[u8]) {
        Reply::new(&mut self.encoded, self.resp3).bulk(key);
        self.count += 1;
    }

    /// Reply with the keys as an array.
    fn reply_to(&self, reply: &mut Reply<'_>) {
        reply.array(self.count);
        reply.raw(&self.encoded);
    }
}

/// KEYS pattern
///
/// This shard's live keys of the selected database that match the glob pattern (the server
/// concatenates every shard's answer).
fn keys(ctx: &mut Ctx<'_>, args: &[&[u8]]) -> CmdResult {
    let (db, now) = (ctx.db(), ctx.now_ms());
    let pattern = args[1];
    // A pattern of exactly "*" skips matching (so even the empty key is listed), as Redis.
    let glob = (pattern != b"*").then(|| GlobPattern::new(pattern, false));
    let mut found = KeyList::new(ctx.client.resp3);
    let keyspace = &ctx.shard.keyspace;
    if !keyspace.db(db).is_empty() {
        for slot in ctx.shard.owned_slots() {
            keyspace.for_each_in_slot(db, slot as Slot, |key, entry| {
                if !is_expired(entry, now) && glob.as_ref().is_none_or(|g| g.matches(key)) {
                    found.push(key);
                }
            });
        }
    }
    found.reply_to(&mut ctx.reply());
    Ok(())
}

/// RANDOMKEY
///
/// A random live key of this shard's part of the selected database, or null when it has
/// none. Expired keys met on the way are deleted, as Redis's dbRandomKey does.
fn randomkey(ctx: &mut Ctx<'_>, _args: &[&[u8]]) -> CmdResult {
    let (db, now) = (ctx.db(), ctx.now_ms());
    let owned = ctx.shard.owned_slots();
    loop {
        let total = ctx.shard.keyspace.db(db).len();
        if total == 0 {
            ctx.reply().null();
            return Ok(());
        }
        let mut pick = (ctx.shard.random() % total as u64) as usize;
        let keyspace = &ctx.shard.keyspace;
        let mut chosen: Option<(Box<[u8]>, bool)> = None;
        for slot in owned.clone() {
            let len = keyspace.slot_len(db, slot as Slot);
            if pick >= len {
                pick -= len;
                continue;
            }
            let mut index = 0;
            keyspace.for_each_in_slot(db, slot as Slot, |key, entry| {
                if index == pick {
                    chosen = Some((key.into(), is_expired(entry, now)));
                }
                index += 1;
            });
            break;
        }
        let Some((key, expired)) = chosen else {
            // The counts disagree with the tables (cannot happen): answer as if empty.
            ctx.reply().null();
            return Ok(());
        };
        if expired {
            // Each round deletes one key, so this ends.
            ctx.shard.keyspace.remove(db, &key, now);
            continue;
        }
        ctx.reply().bulk(&key);
        return Ok(());
    }
}

/// A SCAN cursor as Redis's parseScanCursorOrReply reads it with `strtoul`: an optional sign
/// then decimal digits, nothing after (a NUL ends the text), no leading space; a negative
/// number wraps around. The empty string is cursor 0.
pub fn parse_scan_cursor(arg: &[u8]) -> Option<u64> {
    let end = arg.iter().position(|&b| b == 0).unwrap_or(arg.len());
    let text = &arg[..end];
    let (negative, digits) = match text {
        [] => return Some(0),
        [b'-', rest @ ..] => (true, rest),
        [b'+', rest @ ..] => (false, rest),
        _ => (false, text),
    };
    if digits.is_empty() {
        return None;
    }
    let value = protocol::parse_u64(digits)?;
    Some(if negative {
        value.wrapping_neg()
    } else {
        value
    })
}

/// SCAN cursor [MATCH pattern] [COUNT count] [TYPE type]
///
/// The cursor is the next hash slot to visit (0 starts and ends an iteration). Each call
/// visits whole slots of this shard, from the cursor on, until at least COUNT keys
/// (default 10) were examined or its slots ran out, and replies the next slot (0 after
/// the last one) and the keys found. A key present for the whole iteration is returned
/// exactly once; the server sends the next call to the owner of the cursor's slot.
fn scan(ctx: &mut Ctx<'_>, args: &[&[u8]]) -> CmdResult {
    // A cursor past the last slot (e.g. -1, which wraps) ends the iteration at once; Redis
    // would mask it into its table, which also returns some keys and soon a 0 cursor.
    let cursor = parse_scan_cursor(args[1])
        .ok_or(CmdError::msg("ERR invalid cursor"))?
        .min(SLOT_COUNT as u64) as usize;
    let mut count = 10i64;
    let mut pattern: Option<&[u8]> = None;
    let mut type_name: Option<&[u8]> = None;
    let mut i = 2;
    while i < args.len() {
        let has_value = i + 1 < args.len();
        match OptionName::new(args[i]).as_str() {
            "COUNT" if has_value => {
                count = parse_i64(args[i + 1])?;
                if count < 1 {
                    return Err(CmdError::Syntax);
                }
            }
            "MATCH" if has_value => pattern = Some(args[i + 1]),
            "TYPE" if has_value => type_name = Some(args[i + 1]),
            _ => return Err(CmdError::Syntax),
        }
        i += 2;
    }
    // MATCH * is no filter at all, as in Redis.
    let glob = pattern
        .filter(|p| *p != b"*")
        .map(|p| GlobPattern::new(p, false));
    let (db, now) = (ctx.db(), ctx.now_ms());
    let owned = ctx.shard.owned_slots();
    let keyspace = &ctx.shard.keyspace;
    let mut slot = cursor.max(owned.start);
    let mut found = KeyList::new(ctx.client.resp3);
    let mut examined = 0i64;
    if keyspace.db(db).is_empty() {
        slot = slot.max(owned.end);
    }
    while slot < owned.end && examined < count {
        keyspace.for_each_in_slot(db, slot as Slot, |key, entry| {
            examined += 1;
            if is_expired(entry, now) {
                return;
            }
            if type_name
                .is_some_and(|t| !t.eq_ignore_ascii_case(entry.value.type_name().as_bytes()))
            {
                return;
            }
            if glob.as_ref().is_some_and(|g| !g.matches(key)) {
                return;
            }
            found.push(key);
        });
        slot += 1;
    }
    let next = if slot >= SLOT_COUNT { 0 } else { slot };
    let mut reply = ctx.reply();
    reply.array(2);
    reply.bulk_i64(next as i64);
    found.reply_to(&mut reply);
    Ok(())
}

#[cfg(test)]
mod tests {
    use crate::families::test_util::TestShard;

    /// A shard with `keys` set to "v" in database 0.
    fn with_keys(keys: &[&str]) -> TestShard {
        let mut t = TestShard::new();
        for key in keys {
            assert_eq!(t.run(&["SET", key, "v"]), "+OK\r\n");
        }
        t
    }

    /// Parse a flat RESP2 array of bulk strings (KEYS) into sorted strings.
    fn bulk_array(reply: &str) -> Vec<String> {
        let mut lines = reply.split("\r\n");
        let header = lines.next().unwrap();
        assert!(header.starts_with('*'), "{reply}");
        let n: usize = header[1..].parse().unwrap();
        let mut out: Vec<String> = (0..n)
            .map(|_| {
                assert!(lines.next().unwrap().starts_with('$'));
                lines.next().unwrap().to_string()
            })
            .collect();
        out.sort();
        out
    }

    /// A SCAN reply as (next cursor, keys).
    fn scan_reply(reply: &str) -> (String, Vec<String>) {
        let mut lines = reply.splitn(4, "\r\n");
        assert_eq!(lines.next(), Some("*2"), "{reply}");
        lines.next();
        let cursor = lines.next().unwrap().to_string();
        (cursor, bulk_array(lines.next().unwrap()))
    }

    #[test]
    fn del_and_unlink() {
        let mut t = with_keys(&["a", "b", "e"]);
        assert_eq!(t.run(&["DEL", "a", "a", "b", "zz"]), ":2\r\n");
        assert_eq!(t.run(&["UNLINK", "e", "e"]), ":1\r\n");
        assert_eq!(t.run(&["DEL", "a"]), ":0\r\n");
        assert_eq!(
            t.run(&["DEL"]),
            "-ERR wrong number of arguments for 'del' command\r\n"
        );
        assert_eq!(t.shard.keyspace.db(0).len(), 0);
        // An expired key is not counted as deleted.
        t.run(&["SET", "x", "v", "PX", "10"]);
        t.advance_ms(10);
        assert_eq!(t.run(&["DEL", "x"]), ":0\r\n");
    }

    #[test]
    fn exists_and_touch() {
        let mut t = with_keys(&["e"]);
        assert_eq!(t.run(&["EXISTS", "e", "e", "e"]), ":3\r\n");
        assert_eq!(t.run(&["EXISTS", "e", "zz"]), ":1\r\n");
        assert_eq!(t.run(&["TOUCH", "e", "e", "zz"]), ":2\r\n");
        t.run(&["PEXPIRE", "e", "5"]);
        t.advance_ms(5);
        assert_eq!(t.run(&["EXISTS", "e"]), ":0\r\n");
        assert_eq!(t.shard.keyspace.db(0).len(), 0);
    }

    #[test]
    fn type_of_keys() {
        let mut t = with_keys(&["a"]);
        assert_eq!(t.run(&["TYPE", "a"]), "+string\r\n");
        assert_eq!(t.run(&["TYPE", "zz"]), "+none\r\n");
    }

    #[test]
    fn hits_and_misses_as_redis() {
        // Sequence checked with INFO stats on Redis 7.0.15.
        let mut t = with_keys(&["a"]);
        let stats = |t: &TestShard| (t.shard.stats.keyspace_hits, t.shard.stats.keyspace_misses);
        t.run(&["TYPE", "a"]);
        t.run(&["TYPE", "zz"]);
        assert_eq!(stats(&t), (1, 1));
        t.run(&["TTL", "a"]);
        t.run(&["TTL", "zz"]);
        t.run(&["EXISTS", "a", "zz"]);
        t.run(&["OBJECT", "ENCODING", "a"]);
        t.run(&["OBJECT", "ENCODING", "zz"]);
        t.run(&["TOUCH", "a", "zz"]);
        assert_eq!(stats(&t), (5, 5));
        t.run(&["COPY", "a", "b"]);
        t.run(&["COPY", "zz", "b2"]);
        assert_eq!(stats(&t), (6, 6));
        for cmd in [
            &["RENAME", "a", "c"][..],
            &["MOVE", "c", "1"],
            &["PERSIST", "b"],
            &["EXPIRE", "b", "100"],
            &["RANDOMKEY"],
            &["KEYS", "*"],
            &["SCAN", "0"],
            &["DEL", "b"],
        ] {
            t.run(cmd);
        }
        assert_eq!(stats(&t), (6, 6));
    }

    #[test]
    fn expire_options_and_errors() {
        let mut t = with_keys(&["k"]);
        let incompatible =
            "-ERR NX and XX, GT or LT options at the same time are not compatible\r\n";
        assert_eq!(t.run(&["EXPIRE", "k", "100", "nx", "xx"]), incompatible);
        assert_eq!(t.run(&["EXPIRE", "k", "100", "nx", "gt"]), incompatible);
        assert_eq!(
            t.run(&["EXPIRE", "k", "100", "gt", "lt"]),
            "-ERR GT and LT options at the same time are not compatible\r\n"
        );
        assert_eq!(
            t.run(&["EXPIRE", "k", "100", "foo"]),
            "-ERR Unsupported option foo\r\n"
        );
        // Options are checked before the time.
        assert_eq!(
            t.run(&["EXPIRE", "k", "abc", "foo"]),
            "-ERR Unsupported option foo\r\n"
        );
        assert_eq!(t.run(&["EXPIRE", "k", "abc", "nx", "xx"]), incompatible);
        assert_eq!(
            t.run(&["EXPIRE", "nokey", "100", "foo"]),
            "-ERR Unsupported option foo\r\n"
        );
        assert_eq!(
            t.run(&["EXPIRE", "k", "abc"]),
            "-ERR value is not an integer or out of range\r\n"
        );
        assert_eq!(
            t.run(&["EXPIRE", "k"]),
            "-ERR wrong number of arguments for 'expire' command\r\n"
        );

        assert_eq!(t.run(&["EXPIRE", "k", "100", "xx"]), ":0\r\n");
        assert_eq!(t.run(&["EXPIRE", "k", "100", "gt"]), ":0\r\n");
        assert_eq!(t.run(&["EXPIRE", "k", "-1", "gt"]), ":0\r\n");
        assert_eq!(t.run(&["EXPIRE", "k", "100", "lt"]), ":1\r\n");
        assert_eq!(t.run(&["TTL", "k"]), ":100\r\n");
        assert_eq!(t.run(&["EXPIRE", "k", "200", "lt"]), ":0\r\n");
        assert_eq!(t.run(&["EXPIRE", "k", "50", "LT"]), ":1\r\n");
        assert_eq!(t.run(&["EXPIRE", "k", "60", "GT"]), ":1\r\n");
        assert_eq!(t.run(&["EXPIRE", "k", "60", "xx", "gt"]), ":0\r\n");
        assert_eq!(t.run(&["TTL", "k"]), ":60\r\n");
        assert_eq!(t.run(&["EXPIRE", "k", "10", "nx"]), ":0\r\n");
        assert_eq!(t.run(&["EXPIRE", "k", "10", "XX", "XX"]), ":1\r\n");
        assert_eq!(t.run(&["PERSIST", "k"]), ":1\r\n");
        assert_eq!(t.run(&["EXPIRE", "k", "10", "nx", "nx"]), ":1\r\n");
        assert_eq!(t.run(&["EXPIRE", "nokey", "100"]), ":0\r\n");
    }

    #[test]
    fn expire_overflow() {
        let mut t = with_keys(&["k"]);
        let err = |cmd: &str| format!("-ERR invalid expire time in '{cmd}' command\r\n");
        assert_eq!(
            t.run(&["EXPIRE", "k", "9223372036854775807"]),
            err("expire")
        );
        assert_eq!(t.run(&["expire", "k", "9223372036854775"]), err("expire"));
        assert_eq!(t.run(&["EXPIRE", "k", "9223372036854774"]), err("expire"));
        assert_eq!(
            t.run(&["EXPIRE", "k", "-9223372036854775808"]),
            err("expire")
        );
        assert_eq!(
            t.run(&["PEXPIRE", "k", "9223372036854775807"]),
            err("pexpire")
        );
        assert_eq!(
            t.run(&["EXPIREAT", "k", "9223372036854775807"]),
            err("expireat")
        );
        // Overflow is checked before the key: a missing key errs too.
        assert_eq!(
            t.run(&["EXPIRE", "nokey", "9223372036854775807"]),
            err("expire")
        );
        assert_eq!(t.run(&["PEXPIREAT", "k", "9223372036854775807"]), ":1\r\n");
        assert_eq!(t.run(&["PEXPIRETIME", "k"]), ":9223372036854775807\r\n");
        assert_eq!(t.run(&["EXPIRETIME", "k"]), ":9223372036854776\r\n");
    }

    #[test]
    fn expire_in_the_past_deletes() {
        let mut t = with_keys(&["a", "b", "c", "d"]);
        assert_eq!(t.run(&["EXPIREAT", "a", "0"]), ":1\r\n");
        assert_eq!(t.run(&["PEXPIRE", "b", "0"]), ":1\r\n");
        assert_eq!(t.run(&["EXPIRE", "c", "-9223372036854775"]), ":1\r\n");
        assert_eq!(t.run(&["EXPIRE", "d", "-1", "lt"]), ":1\r\n");
        assert_eq!(t.run(&["EXISTS", "a", "b", "c", "d"]), ":0\r\n");
        assert_eq!(t.shard.keyspace.db(0).len(), 0);
    }

    #[test]
    fn ttl_family() {
        let mut t = with_keys(&["a"]);
        let now = t.shard.now_ms;
        assert_eq!(t.run(&["TTL", "a"]), ":-1\r\n");
        assert_eq!(t.run(&["PTTL", "a"]), ":-1\r\n");
        assert_eq!(t.run(&["EXPIRETIME", "a"]), ":-1\r\n");
        assert_eq!(t.run(&["PEXPIRETIME", "a"]), ":-1\r\n");
        assert_eq!(t.run(&["TTL", "zz"]), ":-2\r\n");
        assert_eq!(t.run(&["PTTL", "zz"]), ":-2\r\n");
        assert_eq!(t.run(&["EXPIRETIME", "zz"]), ":-2\r\n");
        assert_eq!(t.run(&["PEXPIRETIME", "zz"]), ":-2\r\n");
        // TTL rounds to the nearest second.
        assert_eq!(t.run(&["PEXPIRE", "a", "1499"]), ":1\r\n");
        assert_eq!(t.run(&["TTL", "a"]), ":1\r\n");
        assert_eq!(t.run(&["PEXPIRE", "a", "1500"]), ":1\r\n");
        assert_eq!(t.run(&["TTL", "a"]), ":2\r\n");
        assert_eq!(t.run(&["PTTL", "a"]), ":1500\r\n");
        assert_eq!(t.run(&["PEXPIRETIME", "a"]), format!(":{}\r\n", now + 1500));
        assert_eq!(
            t.run(&["EXPIRETIME", "a"]),
            format!(":{}\r\n", (now + 1500 + 500) / 1000)
        );
        t.advance_ms(1000);
        assert_eq!(t.run(&["PTTL", "a"]), ":500\r\n");
        assert_eq!(t.run(&["TTL", "a"]), ":1\r\n");
        t.advance_ms(500);
        assert_eq!(t.run(&["PTTL", "a"]), ":-2\r\n");
        assert_eq!(t.shard.keyspace.db(0).len(), 0);
    }

    #[test]
    fn persist() {
        let mut t = with_keys(&["a"]);
        assert_eq!(t.run(&["PERSIST", "a"]), ":0\r\n");
        assert_eq!(t.run(&["EXPIRE", "a", "100"]), ":1\r\n");
        assert_eq!(t.shard.keyspace.db(0).volatile(), 1);
        assert_eq!(t.run(&["PERSIST", "a"]), ":1\r\n");
        assert_eq!(t.run(&["PERSIST", "a"]), ":0\r\n");
        assert_eq!(t.run(&["TTL", "a"]), ":-1\r\n");
        assert_eq!(t.shard.keyspace.db(0).volatile(), 0);
        assert_eq!(t.run(&["PERSIST", "zz"]), ":0\r\n");
    }

    #[test]
    fn move_between_databases() {
        let mut t = with_keys(&["a", "b"]);
        assert_eq!(
            t.run(&["MOVE", "a", "0"]),
            "-ERR source and destination objects are the same\r\n"
        );
        assert_eq!(
            t.run(&["MOVE", "zz", "0"]),
            "-ERR source and destination objects are the same\r\n"
        );
        assert_eq!(
            t.run(&["MOVE", "a", "16"]),
            "-ERR DB index is out of range\r\n"
        );
        assert_eq!(
            t.run(&["MOVE", "a", "-1"]),
            "-ERR DB index is out of range\r\n"
        );
        assert_eq!(
            t.run(&["MOVE", "zz", "99"]),
            "-ERR DB index is out of range\r\n"
        );
        assert_eq!(
            t.run(&["MOVE", "a", "x"]),
            "-ERR value is not an integer or out of range\r\n"
        );
        assert_eq!(
            t.run(&["MOVE", "a", "99999999999999999999"]),
            "-ERR value is not an integer or out of range\r\n"
        );
        let int_range =
            "-ERR value is out of range, value must between -2147483648 and 2147483647\r\n";
        assert_eq!(t.run(&["MOVE", "a", "4294967296"]), int_range);
        assert_eq!(t.run(&["MOVE", "a", "2147483648"]), int_range);
        assert_eq!(t.run(&["COPY", "a", "b", "DB", "-2147483649"]), int_range);
        assert_eq!(t.run(&["MOVE", "zz", "1"]), ":0\r\n");

        t.client.db = 1;
        t.run(&["SET", "a", "x"]);
        t.client.db = 0;
        assert_eq!(t.run(&["MOVE", "a", "1"]), ":0\r\n");
        assert_eq!(t.run(&["PEXPIRE", "b", "100000"]), ":1\r\n");
        assert_eq!(t.run(&["MOVE", "b", "1"]), ":1\r\n");
        assert_eq!(t.run(&["EXISTS", "b"]), ":0\r\n");
        t.client.db = 1;
        assert_eq!(t.run(&["PTTL", "b"]), ":100000\r\n");
        assert_eq!(t.run(&["GET", "b"]), "$1\r\nv\r\n");
        assert_eq!(t.run(&["GET", "a"]), "$1\r\nx\r\n");
        assert_eq!(t.shard.keyspace.db(1).volatile(), 1);
        assert_eq!(t.shard.keyspace.db(0).volatile(), 0);
    }

    #[test]
    fn copy_command() {
        let mut t = with_keys(&["b"]);
        let same = "-ERR source and destination objects are the same\r\n";
        assert_eq!(t.run(&["COPY", "b", "b"]), same);
        assert_eq!(t.run(&["COPY", "b", "b", "db", "0"]), same);
        assert_eq!(t.run(&["COPY", "b", "b", "db", "1"]), ":1\r\n");
        assert_eq!(t.run(&["COPY", "b", "b", "db", "1"]), ":0\r\n");
        assert_eq!(t.run(&["COPY", "b", "b", "db", "1", "replace"]), ":1\r\n");
        assert_eq!(t.run(&["COPY", "zz", "x"]), ":0\r\n");
        assert_eq!(t.run(&["PEXPIRE", "b", "50000"]), ":1\r\n");
        assert_eq!(t.run(&["COPY", "b", "c"]), ":1\r\n");
        assert_eq!(t.run(&["PTTL", "c"]), ":50000\r\n");
        assert_eq!(t.run(&["COPY", "b", "c"]), ":0\r\n");
        t.run(&["SET", "c", "5"]);
        assert_eq!(t.run(&["COPY", "b", "c"]), ":0\r\n");
        assert_eq!(t.run(&["COPY", "b", "c", "REPLACE"]), ":1\r\n");
        assert_eq!(t.run(&["GET", "c"]), "$1\r\nv\r\n");
        assert_eq!(t.run(&["COPY", "b", "c", "replace", "replace"]), ":1\r\n");
        // The last DB option wins.
        assert_eq!(t.run(&["COPY", "b", "c", "db", "0", "db", "2"]), ":1\r\n");
        assert_eq!(t.shard.keyspace.db(2).len(), 1);
        // Options are checked before the key.
        let range = "-ERR DB index is out of range\r\n";
        assert_eq!(t.run(&["COPY", "b", "c", "db", "16"]), range);
        assert_eq!(t.run(&["COPY", "b", "c", "DB", "-1"]), range);
        assert_eq!(t.run(&["COPY", "zz", "c", "db", "99"]), range);
        assert_eq!(
            t.run(&["COPY", "b", "c", "db", "x"]),
            "-ERR value is not an integer or out of range\r\n"
        );
        assert_eq!(t.run(&["COPY", "b", "c", "foo"]), "-ERR syntax error\r\n");
        assert_eq!(t.run(&["COPY", "b", "c", "db"]), "-ERR syntax error\r\n");
        assert_eq!(t.run(&["COPY", "zz", "c", "foo"]), "-ERR syntax error\r\n");
        // The copy is independent of the source.
        t.run(&["SET", "b", "changed"]);
        assert_eq!(t.run(&["GET", "c"]), "$1\r\nv\r\n");
    }

    #[test]
    fn rename_and_renamenx() {
        let mut t = with_keys(&["c", "b"]);
        assert_eq!(t.run(&["RENAME", "zz", "q"]), "-ERR no such key\r\n");
        assert_eq!(t.run(&["RENAME", "zz", "zz"]), "-ERR no such key\r\n");
        assert_eq!(t.run(&["RENAMENX", "zz", "c"]), "-ERR no such key\r\n");
        assert_eq!(t.run(&["RENAME", "c", "c"]), "+OK\r\n");
        assert_eq!(t.run(&["RENAMENX", "c", "c"]), ":0\r\n");
        assert_eq!(t.run(&["RENAMENX", "c", "b"]), ":0\r\n");
        assert_eq!(t.run(&["EXPIRE", "c", "100"]), ":1\r\n");
        // RENAME overwrites and carries the source's TTL (none here) over.
        assert_eq!(t.run(&["RENAME", "b", "c"]), "+OK\r\n");
        assert_eq!(t.run(&["TTL", "c"]), ":-1\r\n");
        assert_eq!(t.shard.keyspace.db(0).volatile(), 0);
        t.run(&["SET", "c2", "z"]);
        assert_eq!(t.run(&["EXPIRE", "c2", "100"]), ":1\r\n");
        assert_eq!(t.run(&["RENAME", "c2", "c"]), "+OK\r\n");
        assert_eq!(t.run(&["TTL", "c"]), ":100\r\n");
        assert_eq!(t.run(&["GET", "c"]), "$1\r\nz\r\n");
        assert_eq!(t.run(&["RENAMENX", "c", "d"]), ":1\r\n");
        assert_eq!(t.run(&["TTL", "d"]), ":100\r\n");
        assert_eq!(t.run(&["EXISTS", "c", "c2", "b"]), ":0\r\n");
        assert_eq!(t.shard.keyspace.db(0).len(), 1);
        assert_eq!(t.shard.keyspace.db(0).volatile(), 1);
        // An expired source is no such key.
        t.advance_ms(100_000);
        assert_eq!(t.run(&["RENAME", "d", "e"]), "-ERR no such key\r\n");
    }

    #[test]
    fn object_subcommands() {
        let mut t = with_keys(&["s"]);
        t.run(&["SET", "a", "1"]);
        t.run(&["SET", "big", "10000"]);
        t.run(&["SET", "long", &"x".repeat(45)]);
        assert_eq!(t.run(&["OBJECT", "ENCODING", "a"]), "$3\r\nint\r\n");
        assert_eq!(t.run(&["object", "Encoding", "s"]), "$6\r\nembstr\r\n");
        assert_eq!(t.run(&["OBJECT", "ENCODING", "long"]), "$3\r\nraw\r\n");
        assert_eq!(t.run(&["OBJECT", "ENCODING", "zz"]), "$-1\r\n");
        assert_eq!(t.run(&["OBJECT", "REFCOUNT", "a"]), ":2147483647\r\n");
        assert_eq!(t.run(&["OBJECT", "REFCOUNT", "big"]), ":1\r\n");
        assert_eq!(t.run(&["OBJECT", "REFCOUNT", "s"]), ":1\r\n");
        assert_eq!(t.run(&["OBJECT", "REFCOUNT", "zz"]), "$-1\r\n");
        assert_eq!(t.run(&["OBJECT", "FREQ", "zz"]), "$-1\r\n");
        assert_eq!(
            t.run(&["OBJECT", "FREQ", "s"]),
            "-ERR An LFU maxmemory policy is not selected, access frequency not tracked. Please \
             note that when switching between policies at runtime LRU and LFU data will take some \
             time to adjust.\r\n"
        );
        assert_eq!(t.run(&["OBJECT", "IDLETIME", "zz"]), "$-1\r\n");
        assert_eq!(t.run(&["OBJECT", "IDLETIME", "s"]), ":0\r\n");
        t.advance_ms(12_000);
        // Reads that do not touch leave the idle time alone...
        t.run(&["TYPE", "s"]);
        t.run(&["TTL", "s"]);
        t.run(&["EXISTS", "s"]);
        assert_eq!(t.run(&["OBJECT", "IDLETIME", "s"]), ":12\r\n");
        // ...TOUCH resets it.
        t.run(&["TOUCH", "s"]);
        assert_eq!(t.run(&["OBJECT", "IDLETIME", "s"]), ":0\r\n");

        assert_eq!(
            t.run(&["OBJECT", "foo", "a"]),
            "-ERR unknown subcommand 'foo'. Try OBJECT HELP.\r\n"
        );
        assert_eq!(
            t.run(&["OBJECT", "foo"]),
            "-ERR unknown subcommand 'foo'. Try OBJECT HELP.\r\n"
        );
        assert_eq!(
            t.run(&["OBJECT"]),
            "-ERR wrong number of arguments for 'object' command\r\n"
        );
        assert_eq!(
            t.run(&["OBJECT", "ENCODING"]),
            "-ERR wrong number of arguments for 'object|encoding' command\r\n"
        );
        assert_eq!(
            t.run(&["OBJECT", "encoding", "a", "b"]),
            "-ERR wrong number of arguments for 'object|encoding' command\r\n"
        );
        assert_eq!(
            t.run(&["OBJECT", "help", "foo"]),
            "-ERR wrong number of arguments for 'object|help' command\r\n"
        );
        let help = t.run(&["OBJECT", "HELP"]);
        assert!(help.starts_with(
            "*15\r\n+OBJECT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:\r\n+ENCODING <key>\r\n"
        ));
        assert!(help.ends_with("+HELP\r\n+    Prints this help.\r\n"));
    }

    #[test]
    fn keys_pattern() {
        let mut t = with_keys(&[
            "hello", "hallo", "hxllo", "hllo", "heeeello", "foo", "h*llo",
        ]);
        assert_eq!(bulk_array(&t.run(&["KEYS", "*"])).len(), 7);
        assert_eq!(
            bulk_array(&t.run(&["KEYS", "h?llo"])),
            ["h*llo", "hallo", "hello", "hxllo"]
        );
        assert_eq!(
            bulk_array(&t.run(&["KEYS", "h*llo"])),
            ["h*llo", "hallo", "heeeello", "hello", "hllo", "hxllo"]
        );
        assert_eq!(
            bulk_array(&t.run(&["KEYS", "h[ae]llo"])),
            ["hallo", "hello"]
        );
        assert_eq!(
            bulk_array(&t.run(&["KEYS", "h[^e]llo"])),
            ["h*llo", "hallo", "hxllo"]
        );
        assert_eq!(bulk_array(&t.run(&["KEYS", "h[a-b]llo"])), ["hallo"]);
        assert_eq!(bulk_array(&t.run(&["KEYS", "h\\*llo"])), ["h*llo"]);
        assert_eq!(t.run(&["KEYS", "nothing*"]), "*0\r\n");
        // Only "*" itself lists the empty key.
        t.run(&["SET", "", "v"]);
        assert_eq!(bulk_array(&t.run(&["KEYS", "*"])).len(), 8);
        assert_eq!(bulk_array(&t.run(&["KEYS", "**"])).len(), 7);
        assert_eq!(t.run(&["KEYS", ""]), "*1\r\n$0\r\n\r\n");
        // Expired keys are not listed; other databases are not listed.
        t.run(&["PEXPIRE", "foo", "10"]);
        t.advance_ms(10);
        assert_eq!(t.run(&["KEYS", "f*"]), "*0\r\n");
        t.client.db = 1;
        assert_eq!(t.run(&["KEYS", "*"]), "*0\r\n");
    }

    #[test]
    fn randomkey() {
        let mut t = TestShard::new();
        assert_eq!(t.run(&["RANDOMKEY"]), "$-1\r\n");
        t.run(&["SET", "only", "v"]);
        assert_eq!(t.run(&["RANDOMKEY"]), "$4\r\nonly\r\n");
        for i in 0..50 {
            t.run(&["SET", &format!("k{i}"), "v"]);
        }
        let mut seen = std::collections::HashSet::new();
        for _ in 0..500 {
            seen.insert(t.run(&["RANDOMKEY"]));
        }
        assert!(seen.len() > 30, "{}", seen.len());
        // Expired keys are deleted, never returned.
        let mut t = TestShard::new();
        for i in 0..20 {
            t.run(&["SET", &format!("e{i}"), "v", "PX", "5"]);
        }
        t.run(&["SET", "live", "v"]);
        t.advance_ms(5);
        for _ in 0..5 {
            assert_eq!(t.run(&["RANDOMKEY"]), "$4\r\nlive\r\n");
        }
        t.run(&["DEL", "live"]);
        assert_eq!(t.run(&["RANDOMKEY"]), "$-1\r\n");
        assert_eq!(t.shard.keyspace.db(0).len(), 0);
    }

    #[test]
    fn scan_errors() {
        let mut t = with_keys(&["k"]);
        let invalid = "-ERR invalid cursor\r\n";
        for cursor in ["abc", " 0", "0 ", "+", "18446744073709551616", "0x10"] {
            assert_eq!(t.run(&["SCAN", cursor]), invalid, "{cursor}");
        }
        // The cursor is checked before the options.
        assert_eq!(t.run(&["SCAN", "abc", "count", "0"]), invalid);
        assert_eq!(t.run(&["SCAN", "0", "count", "0"]), "-ERR syntax error\r\n");
        assert_eq!(
            t.run(&["SCAN", "0", "count", "-1"]),
            "-ERR syntax error\r\n"
        );
        assert_eq!(
            t.run(&["SCAN", "0", "count", "abc"]),
            "-ERR value is not an integer or out of range\r\n"
        );
        assert_eq!(
            t.run(&["SCAN", "0", "COUNT", "9223372036854775808"]),
            "-ERR value is not an integer or out of range\r\n"
        );
        assert_eq!(t.run(&["SCAN", "0", "match"]), "-ERR syntax error\r\n");
        assert_eq!(t.run(&["SCAN", "0", "type"]), "-ERR syntax error\r\n");
        assert_eq!(t.run(&["SCAN", "0", "foo", "bar"]), "-ERR syntax error\r\n");
        assert_eq!(
            t.run(&["SCAN", "0", "count", "5", "count"]),
            "-ERR syntax error\r\n"
        );
        assert_eq!(
            t.run(&["SCAN"]),
            "-ERR wrong number of arguments for 'scan' command\r\n"
        );
        // Cursors strtoul accepts.
        for cursor in ["", "+0", "-0", "00"] {
            let (next, keys) = scan_reply(&t.run(&["SCAN", cursor, "COUNT", "1000"]));
            assert_eq!((next.as_str(), keys.len()), ("0", 1), "{cursor}");
        }
    }

    #[test]
    fn scan_full_iteration() {
        let mut t = TestShard::new();
        let mut expected: Vec<String> = (0..1000).map(|i| format!("key:{i}")).collect();
        for key in &expected {
            t.run(&["SET", key, "v"]);
        }
        expected.sort();
        let mut cursor = "0".to_string();
        let mut seen = Vec::new();
        let mut calls = 0;
        loop {
            let (next, keys) = scan_reply(&t.run(&["SCAN", &cursor]));
            calls += 1;
            // Whole slots are returned, so a call may give more than COUNT keys.
            assert!(keys.len() < 40, "{}", keys.len());
            seen.extend(keys);
            if next == "0" {
                break;
            }
            assert!(next.parse::<usize>().unwrap() > cursor.parse::<usize>().unwrap());
            cursor = next;
        }
        seen.sort();
        assert_eq!(seen, expected);
        assert!(calls >= 90, "{calls}");

        // A big COUNT takes everything at once.
        let (next, keys) = scan_reply(&t.run(&["SCAN", "0", "COUNT", "100000"]));
        assert_eq!((next.as_str(), keys.len()), ("0", 1000));
    }

    #[test]
    fn scan_filters() {
        let mut t = with_keys(&["user:1", "user:2", "item:1", "gone"]);
        t.run(&["PEXPIRE", "gone", "1"]);
        t.advance_ms(1);
        let all = |t: &mut TestShard, extra: &[&str]| {
            let mut args = vec!["SCAN", "0", "COUNT", "100000"];
            args.extend_from_slice(extra);
            let (next, keys) = scan_reply(&t.run(&args));
            assert_eq!(next, "0");
            keys
        };
        assert_eq!(all(&mut t, &[]), ["item:1", "user:1", "user:2"]);
        assert_eq!(all(&mut t, &["MATCH", "user:*"]), ["user:1", "user:2"]);
        assert_eq!(all(&mut t, &["match", "*:1"]), ["item:1", "user:1"]);
        assert_eq!(
            all(&mut t, &["TYPE", "string"]),
            ["item:1", "user:1", "user:2"]
        );
        assert_eq!(
            all(&mut t, &["type", "STRING", "match", "item*"]),
            ["item:1"]
        );
        assert!(all(&mut t, &["TYPE", "hash"]).is_empty());
        assert!(all(&mut t, &["TYPE", "nosuch"]).is_empty());
        // An empty database ends the iteration at once.
        t.client.db = 5;
        assert_eq!(t.run(&["SCAN", "0"]), "*2\r\n$1\r\n0\r\n*0\r\n");
    }

    #[test]
    fn scan_cursor_is_next_slot() {
        let mut t = TestShard::new();
        // "foo" is in slot 12182, "bar" in 5061.
        t.run(&["SET", "foo", "v"]);
        t.run(&["SET", "bar", "v"]);
        assert_eq!(
            t.run(&["SCAN", "0", "COUNT", "1"]),
            "*2\r\n$4\r\n5062\r\n*1\r\n$3\r\nbar\r\n"
        );
        assert_eq!(
            t.run(&["SCAN", "5062", "COUNT", "1"]),
            "*2\r\n$5\r\n12183\r\n*1\r\n$3\r\nfoo\r\n"
        );
        assert_eq!(
            t.run(&["SCAN", "12183", "COUNT", "1"]),
            "*2\r\n$1\r\n0\r\n*0\r\n"
        );
        assert_eq!(
            t.run(&["SCAN", "12182"]),
            "*2\r\n$1\r\n0\r\n*1\r\n$3\r\nfoo\r\n"
        );
    }

    #[test]
    fn scan_stays_in_owned_slots() {
        use crate::shard::Shard;
        use crate::slot::{key_slot, SlotMap};
        // The second of two shards owns slots 8192..16384.
        let map: &'static SlotMap = Box::leak(Box::new(SlotMap::contiguous(2)));
        let mut t = TestShard::new();
        t.shard = Shard::new(1, map, Default::default());
        t.shard.now_ms = 1_700_000_000_000;
        t.run(&["SET", "foo", "v"]);
        assert!(key_slot(b"foo") >= 8192);
        // A cursor below the range starts at its beginning; the end of the range ends it.
        assert_eq!(
            t.run(&["SCAN", "0"]),
            "*2\r\n$1\r\n0\r\n*1\r\n$3\r\nfoo\r\n"
        );
        assert_eq!(
            t.run(&["SCAN", "100", "COUNT", "1"]),
            "*2\r\n$5\r\n12183\r\n*1\r\n$3\r\nfoo\r\n"
        );
        // The first shard hands over to the second at slot 8192.
        let mut first = TestShard::new();
        first.shard = Shard::new(0, map, Default::default());
        first.run(&["SET", "bar", "v"]);
        assert_eq!(
            first.run(&["SCAN", "0", "COUNT", "100"]),
            "*2\r\n$4\r\n8192\r\n*1\r\n$3\r\nbar\r\n"
        );
        first.client.db = 3;
        assert_eq!(first.run(&["SCAN", "0"]), "*2\r\n$4\r\n8192\r\n*0\r\n");
    }
}
