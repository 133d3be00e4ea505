//! List commands (Redis's `t_list.c`): pushes and pops at both ends, ranges and indexes,
//! LINSERT/LREM/LTRIM/LPOS, moves between lists, LMPOP, and the blocking forms.
//!
//! Blocking commands serve at once when a key has data, exactly as their non-blocking
//! forms; otherwise they park the client on their keys with `Ctx::block` and write nothing.
//! The server runs the command again when one of the keys gets elements (every command that
//! adds elements signals the key), and sends the timeout reply itself.

use crate::args::{parse_i64, parse_timeout};
use crate::client::TimeoutReply;
use crate::command::{flags::*, CommandSpec, Handler, KeySpec, Merge, Routing};
use crate::ctx::Ctx;
use crate::error::{CmdError, CmdResult};
use crate::types::list::{Elem, ListValue};
use crate::value::{Entry, Value};
use protocol::Reply;

const WRITE_FAST: &[&str] = &["@write", "@list", "@fast"];
const WRITE_SLOW: &[&str] = &["@write", "@list", "@slow"];
const READ_FAST: &[&str] = &["@read", "@list", "@fast"];
const READ_SLOW: &[&str] = &["@read", "@list", "@slow"];
const WRITE_BLOCKING: &[&str] = &["@write", "@list", "@slow", "@blocking"];

const SINGLE: Routing = Routing::Keys(Merge::Single);

/// `name, arity, flags, keys, ACL categories, since, handler, summary` (group "list").
macro_rules! list_cmd {
    ($name:expr, $arity:expr, $flags:expr, $keys:expr, $acl:expr, $since:expr, $handler:expr,
     $summary:expr) => {
        CommandSpec {
            name: $name,
            arity: $arity,
            flags: $flags,
            keys: $keys,
            acl: $acl,
            group: "list",
            since: $since,
            summary: $summary,
            routing: SINGLE,
            handler: $handler as Handler,
        }
    };
}

#[rustfmt::skip]
pub static COMMANDS: &[CommandSpec] = &[
    list_cmd!("lpush", -3, WRITE | DENYOOM | FAST, KeySpec::FIRST, WRITE_FAST, "1.0.0", lpush,
        "Prepend one or multiple elements to a list"),
    list_cmd!("rpush", -3, WRITE | DENYOOM | FAST, KeySpec::FIRST, WRITE_FAST, "1.0.0", rpush,
        "Append one or multiple elements to a list"),
    list_cmd!("lpushx", -3, WRITE | DENYOOM | FAST, KeySpec::FIRST, WRITE_FAST, "2.2.0", lpushx,
        "Prepend an element to a list, only if the list exists"),
    list_cmd!("rpushx", -3, WRITE | DENYOOM | FAST, KeySpec::FIRST, WRITE_FAST, "2.2.0", rpushx,
        "Append an element to a list, only if the list exists"),
    list_cmd!("lpop", -2, WRITE | FAST, KeySpec::FIRST, WRITE_FAST, "1.0.0", lpop,
        "Remove and get the first elements in a list"),
    list_cmd!("rpop", -2, WRITE | FAST, KeySpec::FIRST, WRITE_FAST, "1.0.0", rpop,
        "Remove and get the last elements in a list"),
    list_cmd!("llen", 2, READONLY | FAST, KeySpec::FIRST, READ_FAST, "1.0.0", llen,
        "Get the length of a list"),
    list_cmd!("lrange", 4, READONLY, KeySpec::FIRST, READ_SLOW, "1.0.0", lrange,
        "Get a range of elements from a list"),
    list_cmd!("lindex", 3, READONLY, KeySpec::FIRST, READ_SLOW, "1.0.0", lindex,
        "Get an element from a list by its index"),
    list_cmd!("lset", 4, WRITE | DENYOOM, KeySpec::FIRST, WRITE_SLOW, "1.0.0", lset,
        "Set the value of an element in a list by its index"),
    list_cmd!("linsert", 5, WRITE | DENYOOM, KeySpec::FIRST, WRITE_SLOW, "2.2.0", linsert,
        "Insert an element before or after another element in a list"),
    list_cmd!("lrem", 4, WRITE, KeySpec::FIRST, WRITE_SLOW, "1.0.0", lrem,
        "Remove elements from a list"),
    list_cmd!("ltrim", 4, WRITE, KeySpec::FIRST, WRITE_SLOW, "1.0.0", ltrim,
        "Trim a list to the specified range"),
    list_cmd!("lpos", -3, READONLY, KeySpec::FIRST, READ_SLOW, "6.0.6", lpos,
        "Return the index of matching elements on a list"),
    list_cmd!("lmove", 5, WRITE | DENYOOM, KeySpec::FIRST_TWO, WRITE_SLOW, "6.2.0", lmove,
        "Pop an element from a list, push it to another list and return it"),
    list_cmd!("rpoplpush", 3, WRITE | DENYOOM, KeySpec::FIRST_TWO, WRITE_SLOW, "1.2.0", rpoplpush,
        "Remove the last element in a list, prepend it to another list and return it"),
    list_cmd!("lmpop", -4, WRITE, KeySpec::Numkeys { numkeys_at: 1, also: None }, WRITE_SLOW,
        "7.0.0", lmpop,
        "Pop elements from a list"),
    list_cmd!("blpop", -3, WRITE | NOSCRIPT | BLOCKING, KeySpec::ALL_BUT_LAST, WRITE_BLOCKING,
        "2.0.0", blpop,
        "Remove and get the first element in a list, or block until one is available"),
    list_cmd!("brpop", -3, WRITE | NOSCRIPT | BLOCKING, KeySpec::ALL_BUT_LAST, WRITE_BLOCKING,
        "2.0.0", brpop,
        "Remove and get the last element in a list, or block until one is available"),
    list_cmd!("blmove", 6, WRITE | DENYOOM | NOSCRIPT | BLOCKING, KeySpec::FIRST_TWO, WRITE_BLOCKING,
        "6.2.0", blmove,
        "Pop an element from a list, push it to another list and return it; or block until one is available"),
    list_cmd!("brpoplpush", 4, WRITE | DENYOOM | NOSCRIPT | BLOCKING, KeySpec::FIRST_TWO,
        WRITE_BLOCKING, "2.2.0", brpoplpush,
        "Pop an element from a list, push it to another list and return it; or block until one is available"),
    list_cmd!("blmpop", -5, WRITE | BLOCKING, KeySpec::Numkeys { numkeys_at: 2, also: None },
        WRITE_BLOCKING, "7.0.0", blmpop,
        "Pop elements from a list, or block until one is available"),
];

// ---------------------------------------------------------------------------------------------
// Shared helpers
// ---------------------------------------------------------------------------------------------

/// Which end of a list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum End {
    Left,
    Right,
}

/// `LEFT` / `RIGHT`, or a syntax error (getListPositionFromObjectOrReply).
fn parse_end(arg: &[u8]) -> Result<End, CmdError> {
    if arg.eq_ignore_ascii_case(b"left") {
        Ok(End::Left)
    } else if arg.eq_ignore_ascii_case(b"right") {
        Ok(End::Right)
    } else {
        Err(CmdError::Syntax)
    }
}

#[inline]
fn reply_elem(reply: &mut Reply<'_>, e: Elem<'_>) {
    match e {
        Elem::Int(n) => reply.bulk_i64(n),
        Elem::Bytes(b) => reply.bulk(b),
    }
}

#[inline]
fn fill(ctx: &Ctx<'_>) -> i64 {
    ctx.shard.settings.list_max_listpack_size
}

/// Pop one element from `end`, writing it as a bulk reply.
#[inline]
fn pop_reply(list: &mut ListValue, end: End, reply: &mut Reply<'_>) -> bool {
    let popped = match end {
        End::Left => list.pop_front_with(|e| reply_elem(reply, e)),
        End::Right => list.pop_back_with(|e| reply_elem(reply, e)),
    };
    popped.is_some()
}

/// Delete `key` if its list became empty (as Redis deletes empty collections).
fn delete_if_empty(ctx: &mut Ctx<'_>, key: &[u8]) {
    let (db, now) = (ctx.db(), ctx.now_ms());
    let empty = ctx
        .shard
        .keyspace
        .get(db, key, now)
        .is_some_and(|e| e.value.as_list().is_ok_and(|l| l.is_empty()));
    if empty {
        ctx.shard.keyspace.remove(db, key, now);
    }
}

/// Redis's index normalisation for LINDEX/LSET: negative counts from the end.
fn normalize_index(index: i64, len: usize) -> Option<usize> {
    let index = if index < 0 {
        index.checked_add(len as i64)?
    } else {
        index
    };
    (index >= 0 && (index as u64) < len as u64).then_some(index as usize)
}

/// An existing list at `key` (WRONGTYPE for another type), for writing.
fn list_for_write<'c>(
    ctx: &'c mut Ctx<'_>,
    key: &[u8],
) -> Result<Option<&'c mut ListValue>, CmdError> {
    let (db, now) = (ctx.db(), ctx.now_ms());
    match ctx.shard.keyspace.get(db, key, now) {
        Some(entry) => entry.value.as_list_mut().map(Some),
        None => Ok(None),
    }
}

// ---------------------------------------------------------------------------------------------
// Pushes
// ---------------------------------------------------------------------------------------------

/// LPUSH/RPUSH/LPUSHX/RPUSHX key element [element ...]
fn push_generic(ctx: &mut Ctx<'_>, args: &[&[u8]], end: End, only_existing: bool) -> CmdResult {
    let (db, now, fill) = (ctx.db(), ctx.now_ms(), fill(ctx));
    let key = args[1];
    let values = &args[2..];
    let push_all = |list: &mut ListValue| {
        for v in values {
            match end {
                End::Left => list.push_front(v, fill),
                End::Right => list.push_back(v, fill),
            }
        }
        list.len()
    };
    let len = match list_for_write(ctx, key)? {
        Some(list) => push_all(list),
        None if only_existing => {
            ctx.reply().integer(0);
            return Ok(());
        }
        None => {
            let mut list = ListValue::new();
            let len = push_all(&mut list);
            ctx.shard
                .keyspace
                .insert(db, key, Entry::new(Value::List(Box::new(list))), now);
            len
        }
    };
    ctx.signal_key_ready(key);
    ctx.reply().integer(len as i64);
    Ok(())
}

fn lpush(ctx: &mut Ctx<'_>, args: &[&[u8]]) -> CmdResult {
    push_generic(ctx, args, End::Left, false)
}

fn rpush(ctx: &mut Ctx<'_>, args: &[&[u8]]) -> CmdResult {
    push_generic(ctx, args, End::Right, false)
}

fn lpushx(ctx: &mut Ctx<'_>, args: &[&[u8]]) -> CmdResult {
    push_generic(ctx, args, End::Left, true)
}

fn rpushx(ctx: &mut Ctx<'_>, args: &[&[u8]]) -> CmdResult {
    push_generic(ctx, args, End::Right, true)
}

// ---------------------------------------------------------------------------------------------
// Pops
// ---------------------------------------------------------------------------------------------

/// LPOP/RPOP key [count]
fn pop_generic(ctx: &mut Ctx<'_>, args: &[&[u8]], end: End) -> CmdResult {
    if args.len() > 3 {
        return Err(CmdError::Arity(
            String::from_utf8_lossy(args[0]).to_ascii_lowercase().into(),
        ));
    }
    let count = match args.get(2) {
        Some(arg) => Some(
            protocol::parse_i64(arg)
                .filter(|&n| n >= 0)
                .ok_or(CmdError::msg("ERR value is out of range, must be positive"))?,
        ),
        None => None,
    };
    let (db, now) = (ctx.db(), ctx.now_ms());
    let key = args[1];
    let (shard, mut reply) = ctx.split();
    let Some(entry) = shard.keyspace.get(db, key, now) else {
        match count {
            Some(_) => reply.null_array(),
            None => reply.null(),
        }
        return Ok(());
    };
    let list = entry.value.as_list_mut()?;
    match count {
        None => {
            pop_reply(list, end, &mut reply);
        }
        Some(0) => reply.array(0),
        Some(n) => {
            let n = (n as u64).min(list.len() as u64) as usize;
            reply.array(n);
            for _ in 0..n {
                pop_reply(list, end, &mut reply);
            }
        }
    }
    delete_if_empty(ctx, key);
    Ok(())
}

fn lpop(ctx: &mut Ctx<'_>, args: &[&[u8]]) -> CmdResult {
    pop_generic(ctx, args, End::Left)
}

fn rpop(ctx: &mut Ctx<'_>, args: &[&[u8]]) -> CmdResult {
    pop_generic(ctx, args, End::Right)
}

// ---------------------------------------------------------------------------------------------
// Reads
// ---------------------------------------------------------------------------------------------

/// LLEN key
fn llen(ctx: &mut Ctx<'_>, args: &[&[u8]]) -> CmdResult {
    let (entry, mut reply) = ctx.lookup_read(args[1]);
    let len = match entry {
        Some(entry) => entry.value.as_list()?.len(),
        None => 0,
    };
    reply.integer(len as i64);
    Ok(())
}

/// LRANGE key start stop
fn lrange(ctx: &mut Ctx<'_>, args: &[&[u8]]) -> CmdResult {
    let start = parse_i64(args[2])?;
    let end = parse_i64(args[3])?;
    let (entry, mut reply) = ctx.lookup_read(args[1]);
    let Some(entry) = entry else {
        reply.array(0);
        return Ok(());
    };
    let list = entry.value.as_list()?;
    let len = list.len() as i64;
    let start = if start < 0 {
        start.saturating_add(len).max(0)
    } else {
        start
    };
    let end = if end < 0 {
        end.saturating_add(len)
    } else {
        end
    };
    if start > end || start >= len {
        reply.array(0);
        return Ok(());
    }
    let end = end.min(len - 1);
    let n = (end - start + 1) as usize;
    reply.array(n);
    for e in list.iter_from(start as usize).take(n) {
        reply_elem(&mut reply, e);
    }
    Ok(())
}

/// LINDEX key index
fn lindex(ctx: &mut Ctx<'_>, args: &[&[u8]]) -> CmdResult {
    let (entry, mut reply) = ctx.lookup_read(args[1]);
    let Some(entry) = entry else {
        reply.null();
        return Ok(());
    };
    let list = entry.value.as_list()?;
    let index = parse_i64(args[2])?;
    match normalize_index(index, list.len()).and_then(|i| list.get(i)) {
        Some(e) => reply_elem(&mut reply, e),
        None => reply.null(),
    }
    Ok(())
}

/// LPOS key element [RANK rank] [COUNT num-matches] [MAXLEN len]
fn lpos(ctx: &mut Ctx<'_>, args: &[&[u8]]) -> CmdResult {
    let mut rank: i64 = 1;
    let mut count: Option<i64> = None;
    let mut maxlen: i64 = 0;
    let mut i = 3;
    while i < args.len() {
        let opt = args[i];
        let value = args.get(i + 1);
        match value {
            Some(v) if opt.eq_ignore_ascii_case(b"rank") => {
                rank = parse_i64(v)?;
                if rank == 0 {
                    return Err(CmdError::msg(
                        "ERR RANK can't be zero: use 1 to start from the first match, 2 from the \
                         second ... or use negative to start from the end of the list",
                    ));
                }
            }
            Some(v) if opt.eq_ignore_ascii_case(b"count") => {
                count = Some(
                    protocol::parse_i64(v)
                        .filter(|&n| n >= 0)
                        .ok_or(CmdError::msg("ERR COUNT can't be negative"))?,
                );
            }
            Some(v) if opt.eq_ignore_ascii_case(b"maxlen") => {
                maxlen = protocol::parse_i64(v)
                    .filter(|&n| n >= 0)
                    .ok_or(CmdError::msg("ERR MAXLEN can't be negative"))?;
            }
            _ => return Err(CmdError::Syntax),
        }
        i += 2;
    }
    // A negative rank scans from the tail. Like Redis's C arithmetic, i64::MIN stays
    // negative when negated, so every match then counts as "at or past the rank".
    let from_tail = rank < 0;
    if from_tail {
        rank = rank.wrapping_neg();
    }
    let (entry, mut reply) = ctx.lookup_read(args[1]);
    let Some(entry) = entry else {
        match count {
            Some(_) => reply.array(0),
            None => reply.null(),
        }
        return Ok(());
    };
    let list = entry.value.as_list()?;
    let mut found: Vec<usize> = Vec::new();
    let mut matches: i64 = 0;
    let mut scanned: i64 = 0;
    let want = count.unwrap_or(1);
    list.scan_matches(args[2], from_tail, |index, is_match| {
        if maxlen != 0 && scanned >= maxlen {
            return false;
        }
        scanned += 1;
        if is_match {
            matches += 1;
            if matches >= rank {
                found.push(index);
                if count.is_none() {
                    return false;
                }
                if want != 0 && matches.wrapping_sub(rank).wrapping_add(1) >= want {
                    return false;
                }
            }
        }
        true
    });
    match count {
        Some(_) => {
            reply.array(found.len());
            for i in found {
                reply.integer(i as i64);
            }
        }
        None => match found.first() {
            Some(&i) => reply.integer(i as i64),
            None => reply.null(),
        },
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Changes in place
// ---------------------------------------------------------------------------------------------

/// LSET key index element
fn lset(ctx: &mut Ctx<'_>, args: &[&[u8]]) -> CmdResult {
    let fill = fill(ctx);
    let list = list_for_write(ctx, args[1])?.ok_or(CmdError::NoSuchKey)?;
    let index = parse_i64(args[2])?;
    let index =
        normalize_index(index, list.len()).ok_or(CmdError::msg("ERR index out of range"))?;
    list.set(index, args[3], fill);
    ctx.reply().ok();
    Ok(())
}

/// LINSERT key BEFORE|AFTER pivot element
fn linsert(ctx: &mut Ctx<'_>, args: &[&[u8]]) -> CmdResult {
    let after = if args[2].eq_ignore_ascii_case(b"after") {
        true
    } else if args[2].eq_ignore_ascii_case(b"before") {
        false
    } else {
        return Err(CmdError::Syntax);
    };
    let fill = fill(ctx);
    let Some(list) = list_for_write(ctx, args[1])? else {
        ctx.reply().integer(0);
        return Ok(());
    };
    let Some(at) = list.find(args[3]) else {
        ctx.reply().integer(-1);
        return Ok(());
    };
    list.insert(at + after as usize, args[4], fill);
    let len = list.len();
    ctx.signal_key_ready(args[1]);
    ctx.reply().integer(len as i64);
    Ok(())
}

/// LREM key count element
fn lrem(ctx: &mut Ctx<'_>, args: &[&[u8]]) -> CmdResult {
    let count = parse_i64(args[2])?;
    let fill = fill(ctx);
    let Some(list) = list_for_write(ctx, args[1])? else {
        ctx.reply().integer(0);
        return Ok(());
    };
    let limit = usize::try_from(count.unsigned_abs()).unwrap_or(usize::MAX);
    let removed = list.remove_matching(args[3], limit, count < 0, fill);
    delete_if_empty(ctx, args[1]);
    ctx.reply().integer(removed as i64);
    Ok(())
}

/// LTRIM key start stop
fn ltrim(ctx: &mut Ctx<'_>, args: &[&[u8]]) -> CmdResult {
    let start = parse_i64(args[2])?;
    let end = parse_i64(args[3])?;
    if let Some(list) = list_for_write(ctx, args[1])? {
        let len = list.len() as i64;
        let start = if start < 0 {
            start.saturating_add(len).max(0)
        } else {
            start
        };
        let end = if end < 0 {
            end.saturating_add(len)
        } else {
            end
        };
        if start > end || start >= len {
            list.retain_range(0, 0);
        } else {
            let end = end.min(len - 1);
            list.retain_range(start as usize, (end - start + 1) as usize);
        }
        delete_if_empty(ctx, args[1]);
    }
    ctx.reply().ok();
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Moves and multi-key pops
// ---------------------------------------------------------------------------------------------

/// Whether `key` holds a non-empty list (WRONGTYPE for another type).
fn has_elements(ctx: &mut Ctx<'_>, key: &[u8]) -> Result<bool, CmdError> {
    Ok(list_for_write(ctx, key)?.is_some_and(|l| !l.is_empty()))
}

/// LMOVE's work once `src` is known to hold elements: check `dst`, pop, push, reply.
fn move_element(ctx: &mut Ctx<'_>, src: &[u8], dst: &[u8], from: End, to: End) -> CmdResult {
    let (db, now, fill) = (ctx.db(), ctx.now_ms(), fill(ctx));
    if !has_elements(ctx, src)? {
        ctx.reply().null();
        return Ok(());
    }
    if src != dst {
        list_for_write(ctx, dst)?;
    }
    let Some(list) = list_for_write(ctx, src)? else {
        ctx.reply().null();
        return Ok(());
    };
    let value = match from {
        End::Left => list.pop_front(),
        End::Right => list.pop_back(),
    };
    let Some(value) = value else {
        ctx.reply().null();
        return Ok(());
    };
    if src == dst {
        match to {
            End::Left => list.push_front(&value, fill),
            End::Right => list.push_back(&value, fill),
        }
    } else {
        delete_if_empty(ctx, src);
        match list_for_write(ctx, dst)? {
            Some(list) => match to {
                End::Left => list.push_front(&value, fill),
                End::Right => list.push_back(&value, fill),
            },
            None => {
                let mut list = ListValue::new();
                list.push_back(&value, fill);
                ctx.shard
                    .keyspace
                    .insert(db, dst, Entry::new(Value::List(Box::new(list))), now);
            }
        }
    }
    ctx.signal_key_ready(dst);
    ctx.reply().bulk(&value);
    Ok(())
}

/// LMOVE source destination LEFT|RIGHT LEFT|RIGHT
fn lmove(ctx: &mut Ctx<'_>, args: &[&[u8]]) -> CmdResult {
    let from = parse_end(args[3])?;
    let to = parse_end(args[4])?;
    move_element(ctx, args[1], args[2], from, to)
}

/// RPOPLPUSH source destination
fn rpoplpush(ctx: &mut Ctx<'_>, args: &[&[u8]]) -> CmdResult {
    move_element(ctx, args[1], args[2], End::Right, End::Left)
}

/// Pop up to `count` elements of the list at `key` and reply `[key, [elements]]`.
fn pop_many_reply(ctx: &mut Ctx<'_>, key: &[u8], end: End, count: u64) -> CmdResult {
    let (db, now) = (ctx.db(), ctx.now_ms());
    let (shard, mut reply) = ctx.split();
    if let Some(entry) = shard.keyspace.get(db, key, now) {
        let list = entry.value.as_list_mut()?;
        let n = count.min(list.len() as u64) as usize;
        reply.array(2);
        reply.bulk(key);
        reply.array(n);
        for _ in 0..n {
            pop_reply(list, end, &mut reply);
        }
    }
    delete_if_empty(ctx, key);
    Ok(())
}

/// The arguments of [B]LMPOP after the timeout: numkeys key [key ...] LEFT|RIGHT [COUNT n].
struct MpopArgs<'a> {
    keys: &'a [&'a [u8]],
    end: End,
    count: u64,
}

fn parse_mpop<'a>(args: &'a [&'a [u8]], numkeys_at: usize) -> Result<MpopArgs<'a>, CmdError> {
    let numkeys = args
        .get(numkeys_at)
        .and_then(|a| protocol::parse_i64(a))
        .filter(|&n| n > 0)
        .ok_or(CmdError::msg("ERR numkeys should be greater than 0"))?;
    let end_at = usize::try_from(numkeys)
        .ok()
        .and_then(|n| n.checked_add(numkeys_at + 1))
        .filter(|&at| at < args.len())
        .ok_or(CmdError::Syntax)?;
    let end = parse_end(args[end_at])?;
    let mut count = None;
    let mut i = end_at + 1;
    while i < args.len() {
        match args.get(i + 1) {
            Some(v) if count.is_none() && args[i].eq_ignore_ascii_case(b"count") => {
                count = Some(
                    protocol::parse_i64(v)
                        .filter(|&n| n > 0)
                        .ok_or(CmdError::msg("ERR count should be greater than 0"))?,
                );
            }
            _ => return Err(CmdError::Syntax),
        }
        i += 2;
    }
    Ok(MpopArgs {
        keys: &args[numkeys_at + 1..end_at],
        end,
        count: count.unwrap_or(1) as u64,
    })
}

/// The first of `keys` holding elements (WRONGTYPE stops the search, as in Redis).
fn first_with_elements<'k>(
    ctx: &mut Ctx<'_>,
    keys: &[&'k [u8]],
) -> Result<Option<&'k [u8]>, CmdError> {
    for key in keys {
        if has_elements(ctx, key)? {
            return Ok(Some(key));
        }
    }
    Ok(None)
}

/// LMPOP numkeys key [key ...] LEFT|RIGHT [COUNT count]
fn lmpop(ctx: &mut Ctx<'_>, args: &[&[u8]]) -> CmdResult {
    let mpop = parse_mpop(args, 1)?;
    match first_with_elements(ctx, mpop.keys)? {
        Some(key) => pop_many_reply(ctx, key, mpop.end, mpop.count),
        None => {
            ctx.reply().null_array();
            Ok(())
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Blocking forms
// ---------------------------------------------------------------------------------------------

/// BLPOP/BRPOP key [key ...] timeout
fn bpop_generic(ctx: &mut Ctx<'_>, args: &[&[u8]], end: End) -> CmdResult {
    let (keys, timeout) = args[1..].split_at(args.len() - 2);
    let deadline = parse_timeout(timeout[0], ctx.now_ms())?;
    match first_with_elements(ctx, keys)? {
        Some(key) => {
            let (db, now) = (ctx.db(), ctx.now_ms());
            let (shard, mut reply) = ctx.split();
            if let Some(entry) = shard.keyspace.get(db, key, now) {
                let list = entry.value.as_list_mut()?;
                reply.array(2);
                reply.bulk(key);
                pop_reply(list, end, &mut reply);
            }
            delete_if_empty(ctx, key);
        }
        None => ctx.block(keys, deadline, TimeoutReply::NullArray),
    }
    Ok(())
}

fn blpop(ctx: &mut Ctx<'_>, args: &[&[u8]]) -> CmdResult {
    bpop_generic(ctx, args, End::Left)
}

fn brpop(ctx: &mut Ctx<'_>, args: &[&[u8]]) -> CmdResult {
    bpop_generic(ctx, args, End::Right)
}

/// BLMOVE/BRPOPLPUSH once the arguments are parsed.
fn bmove_generic(
    ctx: &mut Ctx<'_>,
    args: &[&[u8]],
    from: End,
    to: End,
    deadline: u64,
) -> CmdResult {
    let (src, dst) = (args[1], args[2]);
    if has_elements(ctx, src)? {
        move_element(ctx, src, dst, from, to)
    } else {
        // Redis 7.0 times these out with a null *array* too (`*-1` in RESP2), not `$-1`.
        ctx.block(&[src], deadline, TimeoutReply::NullArray);
        Ok(())
    }
}

/// BLMOVE source destination LEFT|RIGHT LEFT|RIGHT timeout
fn blmove(ctx: &mut Ctx<'_>, args: &[&[u8]]) -> CmdResult {
    let from = parse_end(args[3])?;
    let to = parse_end(args[4])?;
    let deadline = parse_timeout(args[5], ctx.now_ms())?;
    bmove_generic(ctx, args, from, to, deadline)
}

/// BRPOPLPUSH source destination timeout
fn brpoplpush(ctx: &mut Ctx<'_>, args: &[&[u8]]) -> CmdResult {
    let deadline = parse_timeout(args[3], ctx.now_ms())?;
    bmove_generic(ctx, args, End::Right, End::Left, deadline)
}

/// BLMPOP timeout numkeys key [key ...] LEFT|RIGHT [COUNT count]
fn blmpop(ctx: &mut Ctx<'_>, args: &[&[u8]]) -> CmdResult {
    let deadline = parse_timeout(args[1], ctx.now_ms())?;
    let mpop = parse_mpop(args, 2)?;
    match first_with_elements(ctx, mpop.keys)? {
        Some(key) => pop_many_reply(ctx, key, mpop.end, mpop.count),
        None => {
            ctx.block(mpop.keys, deadline, TimeoutReply::NullArray);
            Ok(())
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::client::TimeoutReply;
    use crate::families::test_util::TestShard;

    const OK: &str = "+OK\r\n";
    const NIL: &str = "$-1\r\n";
    const NIL_ARRAY: &str = "*-1\r\n";
    const EMPTY: &str = "*0\r\n";
    const NULL3: &str = "_\r\n";
    const SYNTAX: &str = "-ERR syntax error\r\n";
    const NOT_INT: &str = "-ERR value is not an integer or out of range\r\n";
    const WRONGTYPE: &str =
        "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n";
    const MUST_BE_POSITIVE: &str = "-ERR value is out of range, must be positive\r\n";
    const NUMKEYS: &str = "-ERR numkeys should be greater than 0\r\n";
    const COUNT_GT0: &str = "-ERR count should be greater than 0\r\n";

    fn bulk(s: &str) -> String {
        format!("${}\r\n{}\r\n", s.len(), s)
    }

    fn int(n: i64) -> String {
        format!(":{n}\r\n")
    }

    fn arr(items: &[&str]) -> String {
        let mut out = format!("*{}\r\n", items.len());
        for i in items {
            out.push_str(&bulk(i));
        }
        out
    }

    fn ints(items: &[i64]) -> String {
        let mut out = format!("*{}\r\n", items.len());
        for i in items {
            out.push_str(&int(*i));
        }
        out
    }

    fn range(t: &mut TestShard, key: &str) -> String {
        t.run(&["LRANGE", key, "0", "-1"])
    }

    fn exists(t: &mut TestShard, key: &str) -> bool {
        t.run(&["EXISTS", key]) == int(1)
    }

    #[test]
    fn push_and_len() {
        let mut t = TestShard::new();
        assert_eq!(t.run(&["LPUSH", "l", "a", "b", "c"]), int(3));
        assert_eq!(t.run(&["RPUSH", "l", "d", "1", "-7"]), int(6));
        assert_eq!(range(&mut t, "l"), arr(&["c", "b", "a", "d", "1", "-7"]));
        assert_eq!(t.run(&["LLEN", "l"]), int(6));
        assert_eq!(t.run(&["LLEN", "nokey"]), int(0));
        assert_eq!(t.run(&["LPUSHX", "nokey", "a"]), int(0));
        assert_eq!(t.run(&["RPUSHX", "nokey", "a"]), int(0));
        assert!(!exists(&mut t, "nokey"));
        assert_eq!(t.run(&["RPUSHX", "l", "x", "y"]), int(8));
        assert_eq!(t.run(&["LPUSHX", "l", "z"]), int(9));
        assert_eq!(t.run(&["LINDEX", "l", "0"]), bulk("z"));
        assert_eq!(t.run(&["LINDEX", "l", "-1"]), bulk("y"));
        assert_eq!(
            t.run(&["LPUSH", "l"]),
            "-ERR wrong number of arguments for 'lpush' command\r\n"
        );
        assert_eq!(
            t.run(&["LPUSHX", "nokey"]),
            "-ERR wrong number of arguments for 'lpushx' command\r\n"
        );
        t.run(&["SET", "s", "x"]);
        for cmd in ["LPUSH", "RPUSH", "LPUSHX", "RPUSHX"] {
            assert_eq!(t.run(&[cmd, "s", "a"]), WRONGTYPE);
        }
        assert_eq!(t.run(&["LLEN", "s"]), WRONGTYPE);
        assert_eq!(t.run(&["OBJECT", "ENCODING", "l"]), bulk("quicklist"));
        t.run(&["RPUSH", "one", "1"]);
        assert_eq!(t.run(&["OBJECT", "ENCODING", "one"]), bulk("quicklist"));
        assert_eq!(t.run(&["TYPE", "l"]), "+list\r\n");
    }

    #[test]
    fn pushes_keep_ttl() {
        let mut t = TestShard::new();
        t.run(&["RPUSH", "l", "a"]);
        t.run(&["EXPIRE", "l", "100"]);
        t.run(&["RPUSH", "l", "b"]);
        t.run(&["LPOP", "l"]);
        assert_eq!(t.run(&["TTL", "l"]), int(100));
    }

    #[test]
    fn pops() {
        let mut t = TestShard::new();
        assert_eq!(t.run(&["LPOP", "missing"]), NIL);
        assert_eq!(t.run(&["LPOP", "missing", "2"]), NIL_ARRAY);
        assert_eq!(t.run(&["LPOP", "missing", "0"]), NIL_ARRAY);
        assert_eq!(t.run(&["LPOP", "missing", "x"]), MUST_BE_POSITIVE);
        t.run(&["RPUSH", "l", "a", "b", "c", "d"]);
        assert_eq!(t.run(&["LPOP", "l", "0"]), EMPTY);
        assert_eq!(t.run(&["RPOP", "l", "0"]), EMPTY);
        assert_eq!(t.run(&["LPOP", "l", "-1"]), MUST_BE_POSITIVE);
        assert_eq!(t.run(&["LPOP", "l", "x"]), MUST_BE_POSITIVE);
        assert_eq!(
            t.run(&["LPOP", "l", "1", "2"]),
            "-ERR wrong number of arguments for 'lpop' command\r\n"
        );
        assert_eq!(t.run(&["LPOP", "l"]), bulk("a"));
        assert_eq!(t.run(&["RPOP", "l"]), bulk("d"));
        assert_eq!(t.run(&["LPOP", "l", "1"]), arr(&["b"]));
        assert_eq!(t.run(&["RPOP", "l", "9223372036854775807"]), arr(&["c"]));
        assert!(!exists(&mut t, "l"));
        t.run(&["RPUSH", "l", "a", "b", "c"]);
        assert_eq!(t.run(&["RPOP", "l", "2"]), arr(&["c", "b"]));
        assert_eq!(t.run(&["LPOP", "l", "5"]), arr(&["a"]));
        assert!(!exists(&mut t, "l"));
        t.run(&["SET", "s", "x"]);
        assert_eq!(t.run(&["LPOP", "s"]), WRONGTYPE);
        assert_eq!(t.run(&["LPOP", "s", "0"]), WRONGTYPE);
        assert_eq!(t.run(&["RPOP", "s", "x"]), MUST_BE_POSITIVE);
        // RESP3
        t.client.resp3 = true;
        assert_eq!(t.run(&["LPOP", "missing"]), NULL3);
        assert_eq!(t.run(&["LPOP", "missing", "2"]), NULL3);
        t.run(&["RPUSH", "l", "a", "5"]);
        assert_eq!(t.run(&["LPOP", "l", "0"]), EMPTY);
        assert_eq!(t.run(&["RPOP", "l", "1"]), arr(&["5"]));
        assert_eq!(t.run(&["RPOP", "l"]), bulk("a"));
    }

    #[test]
    fn lrange_and_lindex() {
        let mut t = TestShard::new();
        assert_eq!(t.run(&["LRANGE", "nokey", "0", "-1"]), EMPTY);
        assert_eq!(t.run(&["LRANGE", "nokey", "x", "1"]), NOT_INT);
        assert_eq!(t.run(&["LINDEX", "nokey", "x"]), NIL);
        assert_eq!(t.run(&["LINDEX", "nokey", "0"]), NIL);
        t.run(&["RPUSH", "l", "a", "b", "a", "c", "a"]);
        assert_eq!(t.run(&["LRANGE", "l", "x", "1"]), NOT_INT);
        assert_eq!(t.run(&["LRANGE", "l", "1", "x"]), NOT_INT);
        assert_eq!(
            t.run(&["LRANGE", "l", "-100", "100"]),
            arr(&["a", "b", "a", "c", "a"])
        );
        assert_eq!(t.run(&["LRANGE", "l", "3", "1"]), EMPTY);
        assert_eq!(t.run(&["LRANGE", "l", "5", "10"]), EMPTY);
        assert_eq!(t.run(&["LRANGE", "l", "-2", "-1"]), arr(&["c", "a"]));
        assert_eq!(t.run(&["LRANGE", "l", "1", "2"]), arr(&["b", "a"]));
        assert_eq!(
            t.run(&["LRANGE", "l", "-9223372036854775808", "9223372036854775807"]),
            arr(&["a", "b", "a", "c", "a"])
        );
        assert_eq!(t.run(&["LINDEX", "l", "x"]), NOT_INT);
        assert_eq!(t.run(&["LINDEX", "l", "100"]), NIL);
        assert_eq!(t.run(&["LINDEX", "l", "-5"]), bulk("a"));
        assert_eq!(t.run(&["LINDEX", "l", "-6"]), NIL);
        assert_eq!(t.run(&["LINDEX", "l", "3"]), bulk("c"));
        assert_eq!(t.run(&["LINDEX", "l", "-9223372036854775808"]), NIL);
        t.run(&["SET", "s", "x"]);
        assert_eq!(t.run(&["LINDEX", "s", "x"]), WRONGTYPE);
        assert_eq!(t.run(&["LRANGE", "s", "0", "1"]), WRONGTYPE);
        t.client.resp3 = true;
        assert_eq!(t.run(&["LINDEX", "nokey", "0"]), NULL3);
        assert_eq!(t.run(&["LRANGE", "nokey", "0", "-1"]), EMPTY);
    }

    #[test]
    fn lset() {
        let mut t = TestShard::new();
        assert_eq!(t.run(&["LSET", "nokey", "0", "a"]), "-ERR no such key\r\n");
        assert_eq!(t.run(&["LSET", "nokey", "x", "a"]), "-ERR no such key\r\n");
        t.run(&["RPUSH", "l", "a", "b", "c", "d", "e"]);
        assert_eq!(
            t.run(&["LSET", "l", "5", "x"]),
            "-ERR index out of range\r\n"
        );
        assert_eq!(
            t.run(&["LSET", "l", "-6", "x"]),
            "-ERR index out of range\r\n"
        );
        assert_eq!(t.run(&["LSET", "l", "x", "a"]), NOT_INT);
        assert_eq!(t.run(&["LSET", "l", "-1", "Z"]), OK);
        assert_eq!(t.run(&["LSET", "l", "-5", "Z"]), OK);
        assert_eq!(t.run(&["LSET", "l", "2", "123456"]), OK);
        assert_eq!(range(&mut t, "l"), arr(&["Z", "b", "123456", "d", "Z"]));
        t.run(&["SET", "s", "x"]);
        assert_eq!(t.run(&["LSET", "s", "x", "v"]), WRONGTYPE);
    }

    #[test]
    fn linsert() {
        let mut t = TestShard::new();
        assert_eq!(t.run(&["LINSERT", "nokey", "BEFORE", "a", "b"]), int(0));
        assert_eq!(t.run(&["LINSERT", "nokey", "middle", "a", "b"]), SYNTAX);
        assert!(!exists(&mut t, "nokey"));
        t.run(&["RPUSH", "l", "a", "b", "c"]);
        assert_eq!(t.run(&["LINSERT", "l", "before", "zz", "y"]), int(-1));
        assert_eq!(t.run(&["LINSERT", "l", "AFTER", "c", "d"]), int(4));
        assert_eq!(t.run(&["LINSERT", "l", "before", "a", "0"]), int(5));
        assert_eq!(t.run(&["LINSERT", "l", "after", "a", "a2"]), int(6));
        assert_eq!(t.run(&["LINSERT", "l", "before", "c", "b2"]), int(7));
        assert_eq!(
            range(&mut t, "l"),
            arr(&["0", "a", "a2", "b", "b2", "c", "d"])
        );
        t.run(&["SET", "s", "x"]);
        assert_eq!(t.run(&["LINSERT", "s", "middle", "a", "b"]), SYNTAX);
        assert_eq!(t.run(&["LINSERT", "s", "before", "a", "b"]), WRONGTYPE);
    }

    #[test]
    fn lrem() {
        let mut t = TestShard::new();
        assert_eq!(t.run(&["LREM", "nokey", "x", "a"]), NOT_INT);
        assert_eq!(t.run(&["LREM", "nokey", "0", "a"]), int(0));
        t.run(&["RPUSH", "l", "a", "b", "a", "c", "a", "1", "1"]);
        assert_eq!(t.run(&["LREM", "l", "x", "a"]), NOT_INT);
        assert_eq!(t.run(&["LREM", "l", "-1", "a"]), int(1));
        assert_eq!(range(&mut t, "l"), arr(&["a", "b", "a", "c", "1", "1"]));
        assert_eq!(t.run(&["LREM", "l", "1", "a"]), int(1));
        assert_eq!(range(&mut t, "l"), arr(&["b", "a", "c", "1", "1"]));
        assert_eq!(t.run(&["LREM", "l", "0", "1"]), int(2));
        assert_eq!(t.run(&["LREM", "l", "-9223372036854775808", "zz"]), int(0));
        assert_eq!(t.run(&["LREM", "l", "0", "b"]), int(1));
        assert_eq!(t.run(&["LREM", "l", "5", "a"]), int(1));
        assert_eq!(t.run(&["LREM", "l", "0", "c"]), int(1));
        assert!(!exists(&mut t, "l"));
        t.run(&["SET", "s", "x"]);
        assert_eq!(t.run(&["LREM", "s", "x", "a"]), NOT_INT);
        assert_eq!(t.run(&["LREM", "s", "0", "a"]), WRONGTYPE);
    }

    #[test]
    fn ltrim() {
        let mut t = TestShard::new();
        assert_eq!(t.run(&["LTRIM", "nokey", "0", "1"]), OK);
        assert_eq!(t.run(&["LTRIM", "nokey", "x", "1"]), NOT_INT);
        t.run(&["RPUSH", "l", "a", "b", "c", "d", "e"]);
        assert_eq!(t.run(&["LTRIM", "l", "x", "1"]), NOT_INT);
        assert_eq!(t.run(&["LTRIM", "l", "1", "x"]), NOT_INT);
        assert_eq!(t.run(&["LTRIM", "l", "1", "-2"]), OK);
        assert_eq!(range(&mut t, "l"), arr(&["b", "c", "d"]));
        assert_eq!(t.run(&["LTRIM", "l", "-100", "100"]), OK);
        assert_eq!(range(&mut t, "l"), arr(&["b", "c", "d"]));
        assert_eq!(t.run(&["LTRIM", "l", "-1", "-1"]), OK);
        assert_eq!(range(&mut t, "l"), arr(&["d"]));
        assert_eq!(t.run(&["LTRIM", "l", "1", "0"]), OK);
        assert!(!exists(&mut t, "l"));
        t.run(&["RPUSH", "l", "a", "b"]);
        assert_eq!(t.run(&["LTRIM", "l", "5", "10"]), OK);
        assert!(!exists(&mut t, "l"));
        t.run(&["SET", "s", "x"]);
        assert_eq!(t.run(&["LTRIM", "s", "0", "1"]), WRONGTYPE);
    }

    #[test]
    fn lpos() {
        let mut t = TestShard::new();
        let rank0 = "-ERR RANK can't be zero: use 1 to start from the first match, 2 from the \
                     second ... or use negative to start from the end of the list\r\n";
        assert_eq!(t.run(&["LPOS", "nokey", "a"]), NIL);
        assert_eq!(t.run(&["LPOS", "nokey", "a", "COUNT", "0"]), EMPTY);
        assert_eq!(t.run(&["LPOS", "nokey", "a", "RANK", "0"]), rank0);
        t.run(&["RPUSH", "l", "a", "b", "a", "c", "a"]);
        assert_eq!(t.run(&["LPOS", "l", "a", "RANK", "0"]), rank0);
        assert_eq!(
            t.run(&["LPOS", "l", "a", "COUNT", "-1"]),
            "-ERR COUNT can't be negative\r\n"
        );
        assert_eq!(
            t.run(&["LPOS", "l", "a", "COUNT", "x"]),
            "-ERR COUNT can't be negative\r\n"
        );
        assert_eq!(
            t.run(&["LPOS", "l", "a", "MAXLEN", "-1"]),
            "-ERR MAXLEN can't be negative\r\n"
        );
        assert_eq!(
            t.run(&["LPOS", "l", "a", "MAXLEN", "x"]),
            "-ERR MAXLEN can't be negative\r\n"
        );
        assert_eq!(t.run(&["LPOS", "l", "a", "RANK", "x"]), NOT_INT);
        assert_eq!(t.run(&["LPOS", "l", "a", "FOO", "1"]), SYNTAX);
        assert_eq!(t.run(&["LPOS", "l", "a", "RANK"]), SYNTAX);
        assert_eq!(t.run(&["LPOS", "l", "a"]), int(0));
        assert_eq!(t.run(&["LPOS", "l", "c"]), int(3));
        assert_eq!(t.run(&["LPOS", "l", "zz"]), NIL);
        assert_eq!(t.run(&["LPOS", "l", "zz", "COUNT", "1"]), EMPTY);
        assert_eq!(t.run(&["LPOS", "l", "a", "COUNT", "0"]), ints(&[0, 2, 4]));
        assert_eq!(
            t.run(&["LPOS", "l", "a", "RANK", "-9223372036854775808"]),
            int(4)
        );
        assert_eq!(
            t.run(&[
                "LPOS",
                "l",
                "a",
                "RANK",
                "-9223372036854775808",
                "COUNT",
                "0"
            ]),
            ints(&[4, 2, 0])
        );
        assert_eq!(
            t.run(&[
                "LPOS",
                "l",
                "a",
                "RANK",
                "-9223372036854775808",
                "COUNT",
                "1"
            ]),
            ints(&[4, 2, 0])
        );
        assert_eq!(
            t.run(&[
                "LPOS",
                "l",
                "a",
                "RANK",
                "-9223372036854775808",
                "COUNT",
                "2",
                "MAXLEN",
                "2"
            ]),
            ints(&[4])
        );
        assert_eq!(
            t.run(&["LPOS", "l", "a", "RANK", "9223372036854775807"]),
            NIL
        );
        assert_eq!(
            t.run(&[
                "LPOS",
                "l",
                "a",
                "RANK",
                "9223372036854775807",
                "COUNT",
                "0"
            ]),
            EMPTY
        );
        assert_eq!(
            t.run(&["LPOS", "l", "a", "RANK", "2", "COUNT", "0"]),
            ints(&[2, 4])
        );
        assert_eq!(
            t.run(&["LPOS", "l", "a", "RANK", "-1", "COUNT", "2"]),
            ints(&[4, 2])
        );
        assert_eq!(
            t.run(&["LPOS", "l", "a", "RANK", "-2", "COUNT", "1"]),
            ints(&[2])
        );
        assert_eq!(
            t.run(&["LPOS", "l", "a", "RANK", "3", "COUNT", "5"]),
            ints(&[4])
        );
        assert_eq!(
            t.run(&["LPOS", "l", "a", "MAXLEN", "2", "COUNT", "0"]),
            ints(&[0])
        );
        assert_eq!(
            t.run(&["LPOS", "l", "a", "RANK", "-1", "MAXLEN", "2", "COUNT", "0"]),
            ints(&[4])
        );
        assert_eq!(
            t.run(&["LPOS", "l", "a", "RANK", "1", "COUNT", "0", "MAXLEN", "0"]),
            ints(&[0, 2, 4])
        );
        assert_eq!(t.run(&["LPOS", "l", "a", "MAXLEN", "1"]), int(0));
        assert_eq!(
            t.run(&["LPOS", "l", "a", "RANK", "-1", "MAXLEN", "1"]),
            int(4)
        );
        assert_eq!(
            t.run(&["LPOS", "l", "a", "count", "0", "count", "1"]),
            ints(&[0])
        );
        assert_eq!(t.run(&["LPOS", "l", "a", "rank", "2", "rank", "1"]), int(0));
        t.run(&["SET", "s", "x"]);
        assert_eq!(t.run(&["LPOS", "s", "a", "RANK", "0"]), rank0);
        assert_eq!(t.run(&["LPOS", "s", "a"]), WRONGTYPE);
        t.client.resp3 = true;
        assert_eq!(t.run(&["LPOS", "nokey", "a"]), NULL3);
        assert_eq!(t.run(&["LPOS", "l", "zz"]), NULL3);
    }

    #[test]
    fn lmove_and_rpoplpush() {
        let mut t = TestShard::new();
        assert_eq!(t.run(&["LMOVE", "a", "b", "middle", "left"]), SYNTAX);
        assert_eq!(
            t.run(&["LMOVE", "a", "b", "left"]),
            "-ERR wrong number of arguments for 'lmove' command\r\n"
        );
        assert_eq!(t.run(&["LMOVE", "nokey", "d", "LEFT", "LEFT"]), NIL);
        assert_eq!(t.run(&["RPOPLPUSH", "nokey", "d"]), NIL);
        t.run(&["RPUSH", "l", "1", "2", "3", "x", "y"]);
        assert_eq!(t.run(&["RPOPLPUSH", "l", "l"]), bulk("y"));
        assert_eq!(range(&mut t, "l"), arr(&["y", "1", "2", "3", "x"]));
        assert_eq!(t.run(&["LMOVE", "l", "l", "left", "right"]), bulk("y"));
        assert_eq!(range(&mut t, "l"), arr(&["1", "2", "3", "x", "y"]));
        assert_eq!(t.run(&["LMOVE", "l", "d", "RIGHT", "RIGHT"]), bulk("y"));
        assert_eq!(t.run(&["LMOVE", "l", "d", "LEFT", "RIGHT"]), bulk("1"));
        assert_eq!(t.run(&["LMOVE", "l", "d", "LEFT", "LEFT"]), bulk("2"));
        assert_eq!(range(&mut t, "d"), arr(&["2", "y", "1"]));
        assert_eq!(t.run(&["RPOPLPUSH", "l", "d"]), bulk("x"));
        assert_eq!(t.run(&["RPOPLPUSH", "l", "d"]), bulk("3"));
        assert!(!exists(&mut t, "l"));
        assert_eq!(range(&mut t, "d"), arr(&["3", "x", "2", "y", "1"]));
        t.run(&["RPUSH", "one", "v"]);
        assert_eq!(t.run(&["LMOVE", "one", "one", "LEFT", "LEFT"]), bulk("v"));
        assert_eq!(range(&mut t, "one"), arr(&["v"]));
        t.run(&["SET", "s", "x"]);
        assert_eq!(t.run(&["LMOVE", "s", "s", "left", "left"]), WRONGTYPE);
        assert_eq!(t.run(&["RPOPLPUSH", "s", "s"]), WRONGTYPE);
        assert_eq!(t.run(&["RPOPLPUSH", "nokey", "s"]), NIL);
        assert_eq!(t.run(&["LMOVE", "s", "nokey", "left", "left"]), WRONGTYPE);
        assert_eq!(t.run(&["LMOVE", "one", "s", "left", "left"]), WRONGTYPE);
        assert_eq!(range(&mut t, "one"), arr(&["v"]));
        t.client.resp3 = true;
        assert_eq!(t.run(&["LMOVE", "nokey", "one", "RIGHT", "LEFT"]), NULL3);
    }

    #[test]
    fn lmpop() {
        let mut t = TestShard::new();
        t.run(&["RPUSH", "l", "a", "b", "c", "d"]);
        assert_eq!(t.run(&["LMPOP", "0", "l", "left"]), NUMKEYS);
        assert_eq!(t.run(&["LMPOP", "-1", "l", "left"]), NUMKEYS);
        assert_eq!(t.run(&["LMPOP", "x", "l", "left"]), NUMKEYS);
        assert_eq!(t.run(&["LMPOP", "3", "l", "left"]), SYNTAX);
        assert_eq!(
            t.run(&["LMPOP", "9223372036854775807", "l", "left"]),
            SYNTAX
        );
        assert_eq!(t.run(&["LMPOP", "2147483648", "l", "left"]), SYNTAX);
        assert_eq!(t.run(&["LMPOP", "1", "l", "middle"]), SYNTAX);
        assert_eq!(t.run(&["LMPOP", "1", "l", "left", "count", "0"]), COUNT_GT0);
        assert_eq!(
            t.run(&["LMPOP", "1", "l", "left", "count", "-1"]),
            COUNT_GT0
        );
        assert_eq!(t.run(&["LMPOP", "1", "l", "left", "count", "x"]), COUNT_GT0);
        assert_eq!(
            t.run(&["LMPOP", "1", "l", "left", "count", "9223372036854775808"]),
            COUNT_GT0
        );
        assert_eq!(t.run(&["LMPOP", "1", "l", "left", "count"]), SYNTAX);
        assert_eq!(
            t.run(&["LMPOP", "1", "l", "left", "count", "1", "count", "2"]),
            SYNTAX
        );
        assert_eq!(t.run(&["LMPOP", "1", "l", "left", "foo"]), SYNTAX);
        assert_eq!(
            t.run(&["LMPOP", "1", "nokey", "left", "count", "0"]),
            COUNT_GT0
        );
        assert_eq!(
            t.run(&["LMPOP", "2", "nokey", "l", "right", "count", "2"]),
            "*2\r\n$1\r\nl\r\n*2\r\n$1\r\nd\r\n$1\r\nc\r\n"
        );
        assert_eq!(t.run(&["LMPOP", "1", "nokey", "left"]), NIL_ARRAY);
        assert_eq!(
            t.run(&["LMPOP", "1", "l", "LEFT"]),
            "*2\r\n$1\r\nl\r\n*1\r\n$1\r\na\r\n"
        );
        assert_eq!(
            t.run(&["LMPOP", "1", "l", "left", "COUNT", "9223372036854775807"]),
            "*2\r\n$1\r\nl\r\n*1\r\n$1\r\nb\r\n"
        );
        assert!(!exists(&mut t, "l"));
        t.run(&["SET", "s", "x"]);
        assert_eq!(t.run(&["LMPOP", "2", "nokey", "s", "left"]), WRONGTYPE);
        assert_eq!(t.run(&["LMPOP", "2", "s", "nokey", "left"]), WRONGTYPE);
        t.run(&["RPUSH", "l", "a"]);
        assert_eq!(
            t.run(&["LMPOP", "2", "l", "s", "left"]),
            "*2\r\n$1\r\nl\r\n*1\r\n$1\r\na\r\n"
        );
        t.client.resp3 = true;
        assert_eq!(t.run(&["LMPOP", "1", "nokey", "left"]), NULL3);
    }

    #[test]
    fn blocking_pops_serve_at_once() {
        let mut t = TestShard::new();
        t.run(&["RPUSH", "q", "a", "b", "c", "5"]);
        assert_eq!(
            t.run(&["BLPOP", "nokey", "q", "0"]),
            "*2\r\n$1\r\nq\r\n$1\r\na\r\n"
        );
        assert_eq!(
            t.run(&["BRPOP", "q", "nokey", "1.5"]),
            "*2\r\n$1\r\nq\r\n$1\r\n5\r\n"
        );
        assert_eq!(
            t.run(&["BLMPOP", "0", "1", "q", "right"]),
            "*2\r\n$1\r\nq\r\n*1\r\n$1\r\nc\r\n"
        );
        assert_eq!(t.run(&["BRPOPLPUSH", "q", "d", "0"]), bulk("b"));
        assert!(!exists(&mut t, "q"));
        assert_eq!(
            t.run(&["BLMOVE", "d", "d", "left", "right", "0"]),
            bulk("b")
        );
        assert!(t.client.block.is_none());
        t.client.resp3 = true;
        t.run(&["RPUSH", "q", "x"]);
        assert_eq!(t.run(&["BLPOP", "q", "0"]), "*2\r\n$1\r\nq\r\n$1\r\nx\r\n");
        assert!(t.client.block.is_none());
    }

    #[test]
    fn blocking_errors() {
        let mut t = TestShard::new();
        let not_float = "-ERR timeout is not a float or out of range\r\n";
        let negative = "-ERR timeout is negative\r\n";
        assert_eq!(t.run(&["BLPOP", "l", "x"]), not_float);
        assert_eq!(t.run(&["BLPOP", "l", "-1"]), negative);
        assert_eq!(t.run(&["BLPOP", "l", "nan"]), not_float);
        assert_eq!(t.run(&["BLMPOP", "x", "1", "l", "left"]), not_float);
        assert_eq!(t.run(&["BLMPOP", "-1", "1", "l", "left"]), negative);
        assert_eq!(t.run(&["BLMPOP", "0", "0", "l", "left"]), NUMKEYS);
        assert_eq!(
            t.run(&["BLMPOP", "0", "1", "l", "left", "count", "0"]),
            COUNT_GT0
        );
        assert_eq!(t.run(&["BLMOVE", "a", "b", "middle", "left", "0"]), SYNTAX);
        assert_eq!(t.run(&["BLMOVE", "a", "b", "middle", "left", "x"]), SYNTAX);
        assert_eq!(t.run(&["BLMOVE", "a", "b", "left", "left", "x"]), not_float);
        assert_eq!(t.run(&["BRPOPLPUSH", "a", "b", "x"]), not_float);
        t.run(&["SET", "s", "x"]);
        assert_eq!(t.run(&["BLPOP", "s", "0"]), WRONGTYPE);
        assert_eq!(t.run(&["BLPOP", "nokey", "s", "0"]), WRONGTYPE);
        assert_eq!(t.run(&["BLPOP", "s", "x"]), not_float);
        assert_eq!(t.run(&["BRPOPLPUSH", "s", "d", "0"]), WRONGTYPE);
        assert_eq!(
            t.run(&["BLMPOP", "0", "2", "nokey", "s", "left"]),
            WRONGTYPE
        );
        assert!(t.client.block.is_none());
    }

    #[test]
    fn blocking_when_empty() {
        let mut t = TestShard::new();
        let now = t.shard.now_ms;
        assert_eq!(t.run(&["BLPOP", "a", "b", "0"]), "");
        let block = t.client.block.take().expect("blocked");
        let keys: Vec<&[u8]> = block.keys.iter().map(|k| &**k).collect();
        assert_eq!(keys, vec![&b"a"[..], b"b"]);
        assert_eq!(block.deadline_ms, 0);
        assert_eq!(block.on_timeout, TimeoutReply::NullArray);

        assert_eq!(t.run(&["BRPOP", "a", "1.5"]), "");
        let block = t.client.block.take().expect("blocked");
        assert_eq!(block.deadline_ms, now + 1500);
        assert_eq!(block.on_timeout, TimeoutReply::NullArray);

        assert_eq!(
            t.run(&["BLMPOP", "2", "2", "x", "y", "LEFT", "COUNT", "3"]),
            ""
        );
        let block = t.client.block.take().expect("blocked");
        let keys: Vec<&[u8]> = block.keys.iter().map(|k| &**k).collect();
        assert_eq!(keys, vec![&b"x"[..], b"y"]);
        assert_eq!(block.deadline_ms, now + 2000);
        assert_eq!(block.on_timeout, TimeoutReply::NullArray);

        // The destination's type is only checked once the source has data.
        t.run(&["SET", "s", "x"]);
        assert_eq!(t.run(&["BLMOVE", "src", "s", "LEFT", "RIGHT", "0.001"]), "");
        let block = t.client.block.take().expect("blocked");
        let keys: Vec<&[u8]> = block.keys.iter().map(|k| &**k).collect();
        assert_eq!(keys, vec![&b"src"[..]]);
        assert_eq!(block.deadline_ms, now + 1);
        assert_eq!(block.on_timeout, TimeoutReply::NullArray);

        assert_eq!(t.run(&["BRPOPLPUSH", "src", "dst", "0"]), "");
        let block = t.client.block.take().expect("blocked");
        assert_eq!(block.on_timeout, TimeoutReply::NullArray);
        assert_eq!(block.deadline_ms, 0);

        // Once data arrives, the same command serves it.
        t.run(&["RPUSH", "src", "v"]);
        assert_eq!(t.run(&["BRPOPLPUSH", "src", "dst", "0"]), bulk("v"));
        assert!(t.client.block.is_none());
        assert_eq!(range(&mut t, "dst"), arr(&["v"]));
    }

    #[test]
    fn adding_signals_blocked_clients() {
        let mut t = TestShard::new();
        let ready = |t: &mut TestShard| -> Vec<Vec<u8>> {
            t.shard
                .blocking
                .take_ready()
                .into_iter()
                .map(|(_, k)| k.to_vec())
                .collect()
        };
        for key in ["a", "b", "c", "d", "e", "f"] {
            t.shard.blocking.watch(0, key.as_bytes());
        }
        t.run(&["LPUSHX", "a", "x"]);
        assert!(ready(&mut t).is_empty());
        t.run(&["LPUSH", "a", "x"]);
        t.run(&["RPUSH", "b", "x"]);
        assert_eq!(ready(&mut t), vec![b"a".to_vec(), b"b".to_vec()]);
        t.run(&["RPUSHX", "a", "y"]);
        t.run(&["LPUSHX", "b", "y"]);
        assert_eq!(ready(&mut t), vec![b"a".to_vec(), b"b".to_vec()]);
        t.run(&["LINSERT", "a", "BEFORE", "x", "w"]);
        assert_eq!(ready(&mut t), vec![b"a".to_vec()]);
        t.run(&["LMOVE", "a", "c", "LEFT", "LEFT"]);
        t.run(&["RPOPLPUSH", "a", "d"]);
        assert_eq!(ready(&mut t), vec![b"c".to_vec(), b"d".to_vec()]);
        t.run(&["RPUSH", "src", "1", "2"]);
        t.run(&["BLMOVE", "src", "e", "LEFT", "LEFT", "0"]);
        t.run(&["BRPOPLPUSH", "src", "f", "0"]);
        assert_eq!(ready(&mut t), vec![b"e".to_vec(), b"f".to_vec()]);
    }

    #[test]
    fn long_lists_across_chunks() {
        let mut t = TestShard::new();
        let values: Vec<String> = (0..5000).map(|i| format!("v{i}")).collect();
        for chunk in values.chunks(500) {
            let mut args = vec!["RPUSH", "l"];
            args.extend(chunk.iter().map(|s| s.as_str()));
            t.run(&args);
        }
        assert_eq!(t.run(&["LLEN", "l"]), int(5000));
        assert_eq!(t.run(&["LINDEX", "l", "4321"]), bulk("v4321"));
        assert_eq!(t.run(&["LINDEX", "l", "-4321"]), bulk("v679"));
        assert_eq!(
            t.run(&["LRANGE", "l", "2998", "3001"]),
            arr(&["v2998", "v2999", "v3000", "v3001"])
        );
        assert_eq!(t.run(&["LPOS", "l", "v4999"]), int(4999));
        assert_eq!(t.run(&["LSET", "l", "2500", "mid"]), OK);
        assert_eq!(t.run(&["LINSERT", "l", "AFTER", "mid", "after"]), int(5001));
        assert_eq!(t.run(&["LINDEX", "l", "2501"]), bulk("after"));
        assert_eq!(t.run(&["LREM", "l", "0", "v10"]), int(1));
        assert_eq!(t.run(&["LTRIM", "l", "100", "-100"]), OK);
        assert_eq!(t.run(&["LLEN", "l"]), int(4801));
        assert_eq!(t.run(&["LINDEX", "l", "0"]), bulk("v101"));
    }
}
