//! Set commands (Redis 7.0's `t_set.c`): SADD, SREM, SISMEMBER, SMISMEMBER, SCARD, SMEMBERS,
//! SPOP, SRANDMEMBER, SMOVE, SINTER/SINTERCARD/SINTERSTORE, SUNION/SUNIONSTORE,
//! SDIFF/SDIFFSTORE and SSCAN.
//!
//! Multi-key commands always find all of their keys on this shard (the router gathers them),
//! so every handler works against the local keyspace only. Results that Redis builds as a
//! temporary set (SUNION, SDIFF, the STORE forms) are built the same way here, member by
//! member from an intset, so their encoding and, for intsets, their order match Redis.

use crate::args::{parse_i64, OptionName};
use crate::command::{flags::*, CommandSpec, Handler, KeySpec, Merge, Routing};
use crate::ctx::Ctx;
use crate::error::{CmdError, CmdResult};
use crate::families::keys::parse_scan_cursor;
use crate::types::set::{Member, MemberRef, SetValue};
use crate::value::{Entry, Value};

const READ_FAST: &[&str] = &["@read", "@set", "@fast"];
const READ_SLOW: &[&str] = &["@read", "@set", "@slow"];
const WRITE_FAST: &[&str] = &["@write", "@set", "@fast"];
const WRITE_SLOW: &[&str] = &["@write", "@set", "@slow"];

const NUMKEYS: KeySpec = KeySpec::Numkeys {
    numkeys_at: 1,
    also: None,
};

const SINGLE: Routing = Routing::Keys(Merge::Single);

/// `name, arity, flags, keys, ACL categories, since, handler, summary`.
macro_rules! set_cmd {
    ($name:expr, $arity:expr, $flags:expr, $keys:expr, $acl:expr, $since:expr, $handler:expr,
     $summary:expr) => {
        CommandSpec {
            name: $name,
            arity: $arity,
            flags: $flags,
            keys: $keys,
            acl: $acl,
            group: "set",
            since: $since,
            summary: $summary,
            routing: SINGLE,
            handler: $handler as Handler,
        }
    };
}

#[rustfmt::skip]
pub static COMMANDS: &[CommandSpec] = &[
    set_cmd!("sadd", -3, WRITE | DENYOOM | FAST, KeySpec::FIRST, WRITE_FAST, "1.0.0", sadd,
        "Add one or more members to a set"),
    set_cmd!("srem", -3, WRITE | FAST, KeySpec::FIRST, WRITE_FAST, "1.0.0", srem,
        "Remove one or more members from a set"),
    set_cmd!("sismember", 3, READONLY | FAST, KeySpec::FIRST, READ_FAST, "1.0.0", sismember,
        "Determine if a given value is a member of a set"),
    set_cmd!("smismember", -3, READONLY | FAST, KeySpec::FIRST, READ_FAST, "6.2.0", smismember,
        "Returns the membership associated with the given elements for a set"),
    set_cmd!("scard", 2, READONLY | FAST, KeySpec::FIRST, READ_FAST, "1.0.0", scard,
        "Get the number of members in a set"),
    set_cmd!("smembers", 2, READONLY, KeySpec::FIRST, READ_SLOW, "1.0.0", smembers,
        "Get all the members in a set"),
    set_cmd!("spop", -2, WRITE | FAST, KeySpec::FIRST, WRITE_FAST, "1.0.0", spop,
        "Remove and return one or multiple random members from a set"),
    set_cmd!("srandmember", -2, READONLY, KeySpec::FIRST, READ_SLOW, "1.0.0", srandmember,
        "Get one or multiple random members from a set"),
    set_cmd!("smove", 4, WRITE | FAST, KeySpec::FIRST_TWO, WRITE_FAST, "1.0.0", smove,
        "Move a member from one set to another"),
    set_cmd!("sinter", -2, READONLY, KeySpec::ALL, READ_SLOW, "1.0.0", sinter,
        "Intersect multiple sets"),
    set_cmd!("sintercard", -3, READONLY, NUMKEYS, READ_SLOW, "7.0.0", sintercard,
        "Intersect multiple sets and return the cardinality of the result"),
    set_cmd!("sinterstore", -3, WRITE | DENYOOM, KeySpec::ALL, WRITE_SLOW, "1.0.0", sinterstore,
        "Intersect multiple sets and store the resulting set in a key"),
    set_cmd!("sunion", -2, READONLY, KeySpec::ALL, READ_SLOW, "1.0.0", sunion,
        "Add multiple sets"),
    set_cmd!("sunionstore", -3, WRITE | DENYOOM, KeySpec::ALL, WRITE_SLOW, "1.0.0", sunionstore,
        "Add multiple sets and store the resulting set in a key"),
    set_cmd!("sdiff", -2, READONLY, KeySpec::ALL, READ_SLOW, "1.0.0", sdiff,
        "Subtract multiple sets"),
    set_cmd!("sdiffstore", -3, WRITE | DENYOOM, KeySpec::ALL, WRITE_SLOW, "1.0.0", sdiffstore,
        "Subtract multiple sets and store the resulting set in a key"),
    set_cmd!("sscan", -3, READONLY, KeySpec::FIRST, READ_SLOW, "2.8.0", sscan,
        "Incrementally iterate Set elements"),
];

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------

/// A small xorshift generator seeded from the shard's, so a handler can draw numbers while it
/// holds an entry borrowed from the shard.
struct Rng(u64);

impl Rng {
    fn new(ctx: &mut Ctx<'_>) -> Self {
        Rng(ctx.shard.random() | 1)
    }

    fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// Uniform in `0..n` (n > 0).
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

/// Selection sampling (Knuth's algorithm S): called once per element of a sequence of
/// `total`, says yes to exactly `want` of them, uniformly at random.
struct Sampler {
    want: usize,
    left: usize,
}

impl Sampler {
    fn new(want: usize, total: usize) -> Self {
        Sampler { want, left: total }
    }

    fn take(&mut self, rng: &mut Rng) -> bool {
        if self.left == 0 {
            return false;
        }
        let yes = rng.below(self.left) < self.want;
        self.left -= 1;
        if yes {
            self.want -= 1;
        }
        yes
    }
}

fn max_intset(ctx: &Ctx<'_>) -> usize {
    ctx.shard.settings.set_max_intset_entries
}

/// Look up every key of a multi-key command, in order, expiring and type-checking each
/// (WRONGTYPE for the first that is not a set). Store variants look up as writes.
fn check_sets(ctx: &mut Ctx<'_>, keys: &[&[u8]], write: bool) -> CmdResult {
    for key in keys {
        let entry = if write {
            ctx.lookup_write(key)
        } else {
            ctx.lookup_read(key).0
        };
        if let Some(entry) = entry {
            entry.value.as_set()?;
        }
    }
    Ok(())
}

/// The sets behind `keys` (None for a missing key), after [`check_sets`].
fn peek_sets<'s>(
    keyspace: &'s crate::keyspace::Keyspace,
    db: usize,
    keys: &[&[u8]],
) -> Vec<Option<&'s SetValue>> {
    keys.iter()
        .map(|k| keyspace.peek(db, k).and_then(|e| e.value.as_set().ok()))
        .collect()
}

/// Replace `dst` with `result` (any old value and TTL go), or delete it when `result` is
/// empty; reply with the result's cardinality.
fn store_result(ctx: &mut Ctx<'_>, dst: &[u8], result: SetValue) {
    let (db, now) = (ctx.db(), ctx.now_ms());
    let len = result.len();
    if len == 0 {
        ctx.shard.keyspace.remove(db, dst, now);
    } else {
        let entry = Entry::new(Value::Set(Box::new(result)));
        ctx.shard.keyspace.insert(db, dst, entry, now);
    }
    ctx.reply().integer(len as i64);
}

// ---------------------------------------------------------------------------------------------
// Single-key commands
// ---------------------------------------------------------------------------------------------

/// SADD key member [member ...]
fn sadd(ctx: &mut Ctx<'_>, args: &[&[u8]]) -> CmdResult {
    let (db, now) = (ctx.db(), ctx.now_ms());
    let max = max_intset(ctx);
    let members = args.get(2..).unwrap_or(&[]);
    let added = match ctx.lookup_write(args[1]) {
        Some(entry) => {
            let set = entry.value.as_set_mut()?;
            members.iter().filter(|m| set.insert(m, max)).count()
        }
        None => {
            let mut set = SetValue::new();
            let added = members.iter().filter(|m| set.insert(m, max)).count();
            let entry = Entry::new(Value::Set(Box::new(set)));
            ctx.shard.keyspace.insert(db, args[1], entry, now);
            added
        }
    };
    ctx.reply().integer(added as i64);
    Ok(())
}

/// SREM key member [member ...]
fn srem(ctx: &mut Ctx<'_>, args: &[&[u8]]) -> CmdResult {
    let (db, now) = (ctx.db(), ctx.now_ms());
    let mut removed = 0i64;
    let mut emptied = false;
    if let Some(entry) = ctx.lookup_write(args[1]) {
        let set = entry.value.as_set_mut()?;
        for m in args.get(2..).unwrap_or(&[]) {
            if set.remove(m) {
                removed += 1;
                if set.is_empty() {
                    emptied = true;
                    break;
                }
            }
        }
    }
    if emptied {
        ctx.shard.keyspace.remove(db, args[1], now);
    }
    ctx.reply().integer(removed);
    Ok(())
}

/// SISMEMBER key member
fn sismember(ctx: &mut Ctx<'_>, args: &[&[u8]]) -> CmdResult {
    let (entry, mut reply) = ctx.lookup_read(args[1]);
    let found = match entry {
        Some(entry) => entry.value.as_set()?.contains(args[2]),
        None => false,
    };
    reply.integer(found as i64);
    Ok(())
}

/// SMISMEMBER key member [member ...]
fn smismember(ctx: &mut Ctx<'_>, args: &[&[u8]]) -> CmdResult {
    let (entry, mut reply) = ctx.lookup_read(args[1]);
    let set = match entry {
        Some(entry) => Some(entry.value.as_set()?),
        None => None,
    };
    let members = args.get(2..).unwrap_or(&[]);
    reply.array(members.len());
    for m in members {
        reply.integer(set.is_some_and(|s| s.contains(m)) as i64);
    }
    Ok(())
}

/// SCARD key
fn scard(ctx: &mut Ctx<'_>, args: &[&[u8]]) -> CmdResult {
    let (entry, mut reply) = ctx.lookup_read(args[1]);
    let len = match entry {
        Some(entry) => entry.value.as_set()?.len(),
        None => 0,
    };
    reply.integer(len as i64);
    Ok(())
}

/// SMEMBERS key
fn smembers(ctx: &mut Ctx<'_>, args: &[&[u8]]) -> CmdResult {
    let (entry, mut reply) = ctx.lookup_read(args[1]);
    match entry {
        None => reply.set(0),
        Some(entry) => {
            let set = entry.value.as_set()?;
            reply.set(set.len());
            for m in set.iter() {
                m.reply_bulk(&mut reply);
            }
        }
    }
    Ok(())
}

/// SPOP key [count]
fn spop(ctx: &mut Ctx<'_>, args: &[&[u8]]) -> CmdResult {
    match args.len() {
        2 => spop_one(ctx, args[1]),
        3 => spop_count(ctx, args[1], args[2]),
        _ => Err(CmdError::Syntax),
    }
}

fn spop_one(ctx: &mut Ctx<'_>, key: &[u8]) -> CmdResult {
    let (db, now) = (ctx.db(), ctx.now_ms());
    let mut rng = Rng::new(ctx);
    let Some(entry) = ctx.lookup_write(key) else {
        ctx.reply().null();
        return Ok(());
    };
    let set = entry.value.as_set_mut()?;
    let popped = set.pop_random(&mut || rng.next());
    if set.is_empty() {
        ctx.shard.keyspace.remove(db, key, now);
    }
    let mut reply = ctx.reply();
    match popped {
        Some(m) => m.as_ref().reply_bulk(&mut reply),
        None => reply.null(),
    }
    Ok(())
}

/// Redis pops one at a time while what stays is more than a fifth of what goes, and
/// otherwise rebuilds the set from the members that stay (SPOP_MOVE_STRATEGY_MUL).
const SPOP_MOVE_STRATEGY_MUL: usize = 5;
/// Up to this many, members are popped one by one; more are chosen in one pass.
const POP_ONE_BY_ONE: usize = 64;

fn spop_count(ctx: &mut Ctx<'_>, key: &[u8], count_arg: &[u8]) -> CmdResult {
    let count = protocol::parse_i64(count_arg)
        .filter(|&n| n >= 0)
        .ok_or(CmdError::msg("ERR value is out of range, must be positive"))?
        as usize;
    let (db, now) = (ctx.db(), ctx.now_ms());
    let max = max_intset(ctx);
    let mut rng = Rng::new(ctx);
    let (shard, mut reply) = ctx.split();
    let Some(entry) = shard.keyspace.get(db, key, now) else {
        reply.set(0);
        return Ok(());
    };
    let set = entry.value.as_set_mut()?;
    if count == 0 {
        reply.set(0);
        return Ok(());
    }
    let len = set.len();
    if count >= len {
        // Everything goes: reply with the whole set and delete the key.
        reply.set(len);
        for m in set.iter() {
            m.reply_bulk(&mut reply);
        }
        shard.keyspace.remove(db, key, now);
        return Ok(());
    }
    let remaining = len - count;
    reply.set(count);
    if remaining * SPOP_MOVE_STRATEGY_MUL > count {
        if count <= POP_ONE_BY_ONE {
            for _ in 0..count {
                if let Some(m) = set.pop_random(&mut || rng.next()) {
                    m.as_ref().reply_bulk(&mut reply);
                }
            }
        } else {
            let mut sampler = Sampler::new(count, len);
            let chosen: Vec<Member> = set
                .iter()
                .filter(|_| sampler.take(&mut rng))
                .map(MemberRef::to_member)
                .collect();
            for m in &chosen {
                set.remove_ref(m.as_ref());
                m.as_ref().reply_bulk(&mut reply);
            }
        }
    } else {
        // Keep `remaining` random members in a new set (which may be an intset again).
        let mut sampler = Sampler::new(remaining, len);
        let mut kept = SetValue::new();
        for m in set.iter() {
            if sampler.take(&mut rng) {
                kept.insert_ref(m, max);
            } else {
                m.reply_bulk(&mut reply);
            }
        }
        *set = kept;
    }
    Ok(())
}

/// SRANDMEMBER key [count]
fn srandmember(ctx: &mut Ctx<'_>, args: &[&[u8]]) -> CmdResult {
    match args.len() {
        2 => {
            let mut rng = Rng::new(ctx);
            let (entry, mut reply) = ctx.lookup_read(args[1]);
            match entry {
                None => reply.null(),
                Some(entry) => match entry.value.as_set()?.random(&mut || rng.next()) {
                    Some(m) => m.reply_bulk(&mut reply),
                    None => reply.null(),
                },
            }
            Ok(())
        }
        3 => srandmember_count(ctx, args[1], args[2]),
        _ => Err(CmdError::Syntax),
    }
}

/// Up to this many picks, members are fetched one by one rather than listed first.
const PICK_ONE_BY_ONE: usize = 16;

fn srandmember_count(ctx: &mut Ctx<'_>, key: &[u8], count_arg: &[u8]) -> CmdResult {
    let count = parse_i64(count_arg)?;
    if count == i64::MIN {
        return Err(CmdError::msg(
            "ERR value is out of range, value must between -9223372036854775807 and \
             9223372036854775807",
        ));
    }
    let mut rng = Rng::new(ctx);
    let (entry, mut reply) = ctx.lookup_read(key);
    let Some(entry) = entry else {
        reply.array(0);
        return Ok(());
    };
    let set = entry.value.as_set()?;
    super::check_repeated_picks(count)?;
    let len = set.len();
    if count == 0 || len == 0 {
        reply.array(0);
        return Ok(());
    }
    if count < 0 {
        // Repetitions allowed.
        let n = count.unsigned_abs() as usize;
        reply.array(n);
        if n <= PICK_ONE_BY_ONE + len / 1024 {
            for _ in 0..n {
                if let Some(m) = set.nth(rng.below(len)) {
                    m.reply_bulk(&mut reply);
                }
            }
        } else {
            let all: Vec<MemberRef<'_>> = set.iter().collect();
            for _ in 0..n {
                if let Some(m) = all.get(rng.below(all.len())) {
                    m.reply_bulk(&mut reply);
                }
            }
        }
        return Ok(());
    }
    let n = count as usize;
    if n >= len {
        reply.array(len);
        for m in set.iter() {
            m.reply_bulk(&mut reply);
        }
        return Ok(());
    }
    reply.array(n);
    if n <= PICK_ONE_BY_ONE {
        let mut picked: smallvec::SmallVec<[usize; PICK_ONE_BY_ONE]> = smallvec::SmallVec::new();
        while picked.len() < n {
            let i = rng.below(len);
            if !picked.contains(&i) {
                picked.push(i);
            }
        }
        for i in picked {
            if let Some(m) = set.nth(i) {
                m.reply_bulk(&mut reply);
            }
        }
    } else {
        let mut sampler = Sampler::new(n, len);
        for m in set.iter() {
            if sampler.take(&mut rng) {
                m.reply_bulk(&mut reply);
            }
        }
    }
    Ok(())
}

/// SMOVE source destination member
fn smove(ctx: &mut Ctx<'_>, args: &[&[u8]]) -> CmdResult {
    let (src, dst, member) = (args[1], args[2], args[3]);
    let (db, now) = (ctx.db(), ctx.now_ms());
    let max = max_intset(ctx);
    let src_is_set = match ctx.lookup_write(src) {
        None => {
            ctx.reply().integer(0);
            return Ok(());
        }
        Some(entry) => entry.value.as_set().is_ok(),
    };
    let dst_exists = match ctx.lookup_write(dst) {
        None => false,
        Some(entry) => {
            if src_is_set {
                entry.value.as_set()?;
            }
            true
        }
    };
    if !src_is_set {
        return Err(CmdError::WrongType);
    }
    let Some(entry) = ctx.shard.keyspace.get(db, src, now) else {
        ctx.reply().integer(0);
        return Ok(());
    };
    let set = entry.value.as_set_mut()?;
    if src == dst {
        let found = set.contains(member);
        ctx.reply().integer(found as i64);
        return Ok(());
    }
    if !set.remove(member) {
        ctx.reply().integer(0);
        return Ok(());
    }
    if set.is_empty() {
        ctx.shard.keyspace.remove(db, src, now);
    }
    if dst_exists {
        if let Some(entry) = ctx.shard.keyspace.get(db, dst, now) {
            entry.value.as_set_mut()?.insert(member, max);
        }
    } else {
        let mut set = SetValue::new();
        set.insert(member, max);
        let entry = Entry::new(Value::Set(Box::new(set)));
        ctx.shard.keyspace.insert(db, dst, entry, now);
    }
    ctx.reply().integer(1);
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Intersection, union, difference
// ---------------------------------------------------------------------------------------------

/// Redis's sinterGenericCommand core: the members of the intersection, in the order of the
/// smallest set, stopping after `limit` (0 = all). None when some key is missing.
fn intersect<'s>(sets: &[Option<&'s SetValue>], limit: usize) -> Vec<MemberRef<'s>> {
    let mut present: Vec<&SetValue> = Vec::with_capacity(sets.len());
    for s in sets {
        match s {
            Some(s) => present.push(s),
            None => return Vec::new(),
        }
    }
    present.sort_by_key(|s| s.len());
    let Some((first, rest)) = present.split_first() else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for m in first.iter() {
        if rest
            .iter()
            .all(|s| std::ptr::eq(*s, *first) || s.contains_ref(m))
        {
            out.push(m);
            if limit != 0 && out.len() >= limit {
                break;
            }
        }
    }
    out
}

/// SINTER key [key ...]
fn sinter(ctx: &mut Ctx<'_>, args: &[&[u8]]) -> CmdResult {
    let keys = args.get(1..).unwrap_or(&[]);
    check_sets(ctx, keys, false)?;
    let db = ctx.db();
    let (shard, mut reply) = ctx.split();
    let sets = peek_sets(&shard.keyspace, db, keys);
    let members = intersect(&sets, 0);
    reply.set(members.len());
    for m in members {
        m.reply_bulk(&mut reply);
    }
    Ok(())
}

/// SINTERCARD numkeys key [key ...] [LIMIT limit]
fn sintercard(ctx: &mut Ctx<'_>, args: &[&[u8]]) -> CmdResult {
    let numkeys = protocol::parse_i64(args[1])
        .filter(|&n| n >= 1)
        .ok_or(CmdError::msg("ERR numkeys should be greater than 0"))?;
    if numkeys as u64 > (args.len() - 2) as u64 {
        return Err(CmdError::msg(
            "ERR Number of keys can't be greater than number of args",
        ));
    }
    let numkeys = numkeys as usize;
    let mut limit = 0usize;
    let mut i = 2 + numkeys;
    while i < args.len() {
        let has_value = i + 1 < args.len();
        match OptionName::new(args[i]).as_str() {
            "LIMIT" if has_value => {
                limit = protocol::parse_i64(args[i + 1])
                    .filter(|&n| n >= 0)
                    .ok_or(CmdError::msg("ERR LIMIT can't be negative"))?
                    as usize;
                i += 2;
            }
            _ => return Err(CmdError::Syntax),
        }
    }
    let keys = args.get(2..2 + numkeys).unwrap_or(&[]);
    check_sets(ctx, keys, false)?;
    let db = ctx.db();
    let (shard, mut reply) = ctx.split();
    let sets = peek_sets(&shard.keyspace, db, keys);
    reply.integer(intersect(&sets, limit).len() as i64);
    Ok(())
}

/// SINTERSTORE destination key [key ...]
fn sinterstore(ctx: &mut Ctx<'_>, args: &[&[u8]]) -> CmdResult {
    let keys = args.get(2..).unwrap_or(&[]);
    check_sets(ctx, keys, true)?;
    let (db, max) = (ctx.db(), max_intset(ctx));
    let result = {
        let sets = peek_sets(&ctx.shard.keyspace, db, keys);
        SetValue::from_members(intersect(&sets, 0), max)
    };
    store_result(ctx, args[1], result);
    Ok(())
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum SetOp {
    Union,
    Diff,
}

/// Redis's sunionDiffGenericCommand core: the result, built as Redis builds it (so its
/// encoding, and its order when an intset, are Redis's).
fn union_diff(sets: &[Option<&SetValue>], keys: &[&[u8]], op: SetOp, max: usize) -> SetValue {
    let mut result = SetValue::new();
    match op {
        SetOp::Union => {
            for s in sets.iter().flatten() {
                for m in s.iter() {
                    result.insert_ref(m, max);
                }
            }
        }
        SetOp::Diff => {
            let Some(Some(first)) = sets.first() else {
                return result;
            };
            let first_key = keys.first().copied().unwrap_or(&[]);
            // A later key naming the first set makes the difference empty.
            let same = sets
                .iter()
                .zip(keys)
                .skip(1)
                .any(|(s, k)| s.is_some() && *k == first_key);
            if same {
                return result;
            }
            let others: Vec<&SetValue> = sets.iter().skip(1).flatten().copied().collect();
            // Algorithm 1 (check each member of the first set against the others) costs
            // |first| * sets / 2; algorithm 2 (add the first, remove the others) their sizes.
            let present = 1 + others.len();
            let algo_one = first.len() * present / 2;
            let algo_two = first.len() + others.iter().map(|s| s.len()).sum::<usize>();
            if algo_one <= algo_two {
                let mut others = others;
                // Largest first: most likely to reject a member early.
                others.sort_by_key(|s| std::cmp::Reverse(s.len()));
                for m in first.iter() {
                    if !others.iter().any(|s| s.contains_ref(m)) {
                        result.insert_ref(m, max);
                    }
                }
            } else {
                for m in first.iter() {
                    result.insert_ref(m, max);
                }
                for s in others {
                    for m in s.iter() {
                        result.remove_ref(m);
                    }
                    if result.is_empty() {
                        break;
                    }
                }
            }
        }
    }
    result
}

fn union_diff_reply(ctx: &mut Ctx<'_>, args: &[&[u8]], op: SetOp) -> CmdResult {
    let keys = args.get(1..).unwrap_or(&[]);
    check_sets(ctx, keys, false)?;
    let (db, max) = (ctx.db(), max_intset(ctx));
    let (shard, mut reply) = ctx.split();
    let sets = peek_sets(&shard.keyspace, db, keys);
    let result = union_diff(&sets, keys, op, max);
    reply.set(result.len());
    for m in result.iter() {
        m.reply_bulk(&mut reply);
    }
    Ok(())
}

fn union_diff_store(ctx: &mut Ctx<'_>, args: &[&[u8]], op: SetOp) -> CmdResult {
    let keys = args.get(2..).unwrap_or(&[]);
    check_sets(ctx, keys, true)?;
    let (db, max) = (ctx.db(), max_intset(ctx));
    let result = {
        let sets = peek_sets(&ctx.shard.keyspace, db, keys);
        union_diff(&sets, keys, op, max)
    };
    store_result(ctx, args[1], result);
    Ok(())
}

/// SUNION key [key ...]
fn sunion(ctx: &mut Ctx<'_>, args: &[&[u8]]) -> CmdResult {
    union_diff_reply(ctx, args, SetOp::Union)
}

/// SDIFF key [key ...]
fn sdiff(ctx: &mut Ctx<'_>, args: &[&[u8]]) -> CmdResult {
    union_diff_reply(ctx, args, SetOp::Diff)
}

/// SUNIONSTORE destination key [key ...]
fn sunionstore(ctx: &mut Ctx<'_>, args: &[&[u8]]) -> CmdResult {
    union_diff_store(ctx, args, SetOp::Union)
}

/// SDIFFSTORE destination key [key ...]
fn sdiffstore(ctx: &mut Ctx<'_>, args: &[&[u8]]) -> CmdResult {
    union_diff_store(ctx, args, SetOp::Diff)
}

// ---------------------------------------------------------------------------------------------
// SSCAN
// ---------------------------------------------------------------------------------------------

/// SSCAN key cursor [MATCH pattern] [COUNT count]
///
/// An intset replies everything at once with cursor 0, as Redis. A table replies about COUNT
/// members in hash order; the cursor is the hash position to go on from, so a member that
/// stays in the set for the whole scan is returned exactly once.
fn sscan(ctx: &mut Ctx<'_>, args: &[&[u8]]) -> CmdResult {
    let cursor = parse_scan_cursor(args[2]).ok_or(CmdError::msg("ERR invalid cursor"))?;
    let (entry, mut reply) = ctx.lookup_read(args[1]);
    let Some(entry) = entry else {
        reply.array(2);
        reply.bulk(b"0");
        reply.array(0);
        return Ok(());
    };
    let set = entry.value.as_set()?;
    let options = crate::args::ScanOptions::parse(args, 3)?;
    let mut found: Vec<MemberRef<'_>> = Vec::new();
    let next = set.scan(cursor, options.count, |m| {
        let keep = match m {
            MemberRef::Bytes(b) => options.matches(b),
            MemberRef::Int(n) => options.matches(itoa::Buffer::new().format(n).as_bytes()),
        };
        if keep {
            found.push(m);
        }
    });
    reply.array(2);
    reply.bulk(itoa::Buffer::new().format(next).as_bytes());
    reply.array(found.len());
    for m in found {
        m.reply_bulk(&mut reply);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use crate::families::test_util::TestShard;
    use std::collections::HashSet;

    const WRONGTYPE: &str =
        "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n";

    /// The bulk strings of a flat array/set reply.
    fn bulks(reply: &str) -> Vec<String> {
        let lines: Vec<&str> = reply.split("\r\n").collect();
        lines
            .iter()
            .skip(1)
            .filter(|l| !l.is_empty() && !l.starts_with(['$', '*', '~']))
            .map(|l| l.to_string())
            .collect()
    }

    fn arr(items: &[&str]) -> String {
        let mut out = format!("*{}\r\n", items.len());
        for i in items {
            out.push_str(&format!("${}\r\n{i}\r\n", i.len()));
        }
        out
    }

    fn fill(t: &mut TestShard, key: &str, members: impl IntoIterator<Item = String>) {
        let mut args = vec!["SADD".to_string(), key.to_string()];
        args.extend(members);
        let args: Vec<&str> = args.iter().map(|s| s.as_str()).collect();
        t.run(&args);
    }

    #[test]
    fn basics() {
        let mut t = TestShard::new();
        assert_eq!(t.run(&["SADD", "s", "3", "1", "2", "2"]), ":3\r\n");
        assert_eq!(t.run(&["OBJECT", "ENCODING", "s"]), "$6\r\nintset\r\n");
        assert_eq!(t.run(&["SADD", "s", "1", "x"]), ":1\r\n");
        assert_eq!(t.run(&["OBJECT", "ENCODING", "s"]), "$9\r\nhashtable\r\n");
        assert_eq!(t.run(&["SCARD", "s"]), ":4\r\n");
        assert_eq!(t.run(&["SREM", "s", "1", "x", "zz"]), ":2\r\n");
        assert_eq!(t.run(&["SISMEMBER", "s", "2"]), ":1\r\n");
        assert_eq!(t.run(&["SISMEMBER", "s", "02"]), ":0\r\n");
        assert_eq!(t.run(&["SISMEMBER", "nokey", "2"]), ":0\r\n");
        assert_eq!(
            t.run(&["SMISMEMBER", "s", "2", "02", "3"]),
            "*3\r\n:1\r\n:0\r\n:1\r\n"
        );
        assert_eq!(t.run(&["SMISMEMBER", "nokey", "a"]), "*1\r\n:0\r\n");
        assert_eq!(t.run(&["SCARD", "nokey"]), ":0\r\n");
        assert_eq!(t.run(&["SREM", "nokey", "a"]), ":0\r\n");
        assert_eq!(t.run(&["SREM", "s", "2", "3"]), ":2\r\n");
        assert_eq!(t.run(&["EXISTS", "s"]), ":0\r\n");
        assert_eq!(t.run(&["SMEMBERS", "nokey"]), "*0\r\n");
        t.run(&["SADD", "i", "10", "-5", "7"]);
        assert_eq!(t.run(&["SMEMBERS", "i"]), arr(&["-5", "7", "10"]));
        t.client.resp3 = true;
        assert_eq!(
            t.run(&["SMEMBERS", "i"]),
            "~3\r\n$2\r\n-5\r\n$1\r\n7\r\n$2\r\n10\r\n"
        );
        assert_eq!(t.run(&["SMEMBERS", "nokey"]), "~0\r\n");
        assert_eq!(t.run(&["SMISMEMBER", "i", "7"]), "*1\r\n:1\r\n");
    }

    #[test]
    fn wrong_type_and_arity() {
        let mut t = TestShard::new();
        t.run(&["SET", "str", "x"]);
        t.run(&["SADD", "s", "a", "b"]);
        for cmd in [
            &["SADD", "str", "a"][..],
            &["SREM", "str", "a"],
            &["SISMEMBER", "str", "a"],
            &["SMISMEMBER", "str", "a"],
            &["SCARD", "str"],
            &["SMEMBERS", "str"],
            &["SPOP", "str"],
            &["SPOP", "str", "0"],
            &["SRANDMEMBER", "str"],
            &["SRANDMEMBER", "str", "0"],
            &["SINTER", "s", "str"],
            &["SINTER", "nokey", "str"],
            &["SINTER", "str", "nokey"],
            &["SUNION", "nokey", "str"],
            &["SDIFF", "nokey", "str"],
            &["SDIFF", "s", "str"],
            &["SINTERSTORE", "dst", "nokey", "str"],
            &["SDIFFSTORE", "dst", "nokey", "str"],
            &["SUNIONSTORE", "dst", "s", "str"],
            &["SINTERCARD", "2", "s", "str"],
            &["SINTERCARD", "2", "nokey", "str"],
            &["SMOVE", "str", "s", "a"],
            &["SMOVE", "s", "str", "a"],
            &["SMOVE", "s", "str", "zz"],
            &["SSCAN", "str", "0"],
            &["SSCAN", "str", "0", "COUNT", "0"],
        ] {
            assert_eq!(t.run(cmd), WRONGTYPE, "{cmd:?}");
        }
        assert_eq!(
            t.run(&["SMEMBERS", "s"]).len(),
            "*2\r\n$1\r\na\r\n$1\r\nb\r\n".len()
        );
        assert_eq!(
            t.run(&["SADD", "s"]),
            "-ERR wrong number of arguments for 'sadd' command\r\n"
        );
        assert_eq!(t.run(&["SPOP", "str", "1", "2"]), "-ERR syntax error\r\n");
        assert_eq!(
            t.run(&["SRANDMEMBER", "str", "1", "2"]),
            "-ERR syntax error\r\n"
        );
        // A missing source answers 0 before the destination's type is checked.
        assert_eq!(t.run(&["SMOVE", "nokey", "str", "a"]), ":0\r\n");
    }

    #[test]
    fn intset_threshold() {
        let mut t = TestShard::new();
        fill(&mut t, "k", (1..=512).map(|i| i.to_string()));
        assert_eq!(t.run(&["OBJECT", "ENCODING", "k"]), "$6\r\nintset\r\n");
        assert_eq!(t.run(&["SADD", "k", "513"]), ":1\r\n");
        assert_eq!(t.run(&["OBJECT", "ENCODING", "k"]), "$9\r\nhashtable\r\n");
        assert_eq!(t.run(&["SREM", "k", "513"]), ":1\r\n");
        assert_eq!(t.run(&["OBJECT", "ENCODING", "k"]), "$9\r\nhashtable\r\n");
        assert_eq!(t.run(&["SCARD", "k"]), ":512\r\n");
        for (member, encoding) in [
            ("-1", "intset"),
            ("9223372036854775807", "intset"),
            ("-9223372036854775808", "intset"),
            ("9223372036854775808", "hashtable"),
            ("01", "hashtable"),
            (" 1", "hashtable"),
            ("+1", "hashtable"),
            ("-0", "hashtable"),
            ("a", "hashtable"),
        ] {
            t.run(&["DEL", "e"]);
            t.run(&["SADD", "e", member]);
            let want = format!("${}\r\n{encoding}\r\n", encoding.len());
            assert_eq!(t.run(&["OBJECT", "ENCODING", "e"]), want, "{member}");
        }
    }

    #[test]
    fn spop() {
        let mut t = TestShard::new();
        t.run(&["SET", "str", "x"]);
        let positive = "-ERR value is out of range, must be positive\r\n";
        for count in ["-1", "abc", "9223372036854775808"] {
            assert_eq!(t.run(&["SPOP", "nokey", count]), positive);
            assert_eq!(t.run(&["SPOP", "str", count]), positive);
        }
        assert_eq!(t.run(&["SPOP", "nokey"]), "$-1\r\n");
        assert_eq!(t.run(&["SPOP", "nokey", "3"]), "*0\r\n");
        t.run(&["SADD", "i", "1", "2", "3"]);
        assert_eq!(t.run(&["SPOP", "i", "0"]), "*0\r\n");
        let one = bulks(&t.run(&["SPOP", "i"]));
        assert_eq!(one.len(), 1);
        assert!(["1", "2", "3"].contains(&one[0].as_str()));
        assert_eq!(t.run(&["SCARD", "i"]), ":2\r\n");
        // Everything: the whole set in its order, and the key goes.
        t.run(&["SADD", "i", "1", "2", "3"]);
        assert_eq!(t.run(&["SPOP", "i", "5"]), arr(&["1", "2", "3"]));
        assert_eq!(t.run(&["EXISTS", "i"]), ":0\r\n");
        t.client.resp3 = true;
        assert_eq!(t.run(&["SPOP", "nokey", "2"]), "~0\r\n");
        assert_eq!(t.run(&["SPOP", "nokey"]), "_\r\n");
        t.run(&["SADD", "i", "1", "2", "3"]);
        assert_eq!(t.run(&["SPOP", "i", "0"]), "~0\r\n");
        let reply = t.run(&["SPOP", "i", "2"]);
        assert!(reply.starts_with("~2\r\n"), "{reply}");
        assert_eq!(t.run(&["SCARD", "i"]), ":1\r\n");
        t.client.resp3 = false;

        // Both strategies (pop one by one; rebuild from what stays), checked by membership.
        for (size, count) in [
            (600usize, 10usize),
            (600, 100),
            (600, 550),
            (3000, 2999),
            (50, 3),
        ] {
            for strings in [false, true] {
                t.run(&["DEL", "h"]);
                let member = |i: usize| {
                    if strings {
                        format!("m{i}")
                    } else {
                        i.to_string()
                    }
                };
                fill(&mut t, "h", (0..size).map(member));
                let all: HashSet<String> = (0..size).map(member).collect();
                let popped = bulks(&t.run(&["SPOP", "h", &count.to_string()]));
                assert_eq!(popped.len(), count);
                let popped: HashSet<String> = popped.into_iter().collect();
                assert_eq!(popped.len(), count, "distinct");
                assert!(popped.is_subset(&all));
                let rest: HashSet<String> = bulks(&t.run(&["SMEMBERS", "h"])).into_iter().collect();
                assert_eq!(rest.len(), size - count);
                assert!(rest.is_disjoint(&popped));
                assert_eq!(rest.union(&popped).count(), size);
            }
        }
        // A hashtable of integers rebuilt from few survivors is an intset again, as in Redis.
        t.run(&["DEL", "h"]);
        fill(&mut t, "h", (1..=600).map(|i| i.to_string()));
        t.run(&["SPOP", "h", "550"]);
        assert_eq!(t.run(&["SCARD", "h"]), ":50\r\n");
        assert_eq!(t.run(&["OBJECT", "ENCODING", "h"]), "$6\r\nintset\r\n");
        t.run(&["DEL", "g"]);
        fill(&mut t, "g", (1..=600).map(|i| i.to_string()));
        t.run(&["SPOP", "g", "400"]);
        assert_eq!(t.run(&["OBJECT", "ENCODING", "g"]), "$9\r\nhashtable\r\n");
    }

    #[test]
    fn srandmember() {
        let mut t = TestShard::new();
        t.run(&["SET", "str", "x"]);
        assert_eq!(
            t.run(&["SRANDMEMBER", "nokey", "abc"]),
            "-ERR value is not an integer or out of range\r\n"
        );
        assert_eq!(
            t.run(&["SRANDMEMBER", "s", "-9223372036854775808"]),
            "-ERR value is out of range, value must between -9223372036854775807 and \
             9223372036854775807\r\n"
        );
        assert_eq!(
            t.run(&["SRANDMEMBER", "s", "9223372036854775808"]),
            "-ERR value is not an integer or out of range\r\n"
        );
        assert_eq!(t.run(&["SRANDMEMBER", "nokey"]), "$-1\r\n");
        assert_eq!(t.run(&["SRANDMEMBER", "nokey", "5"]), "*0\r\n");
        t.run(&["SADD", "i", "1", "2", "3"]);
        assert_eq!(t.run(&["SRANDMEMBER", "i", "0"]), "*0\r\n");
        assert_eq!(t.run(&["SRANDMEMBER", "i", "5"]), arr(&["1", "2", "3"]));
        t.client.resp3 = true;
        assert_eq!(t.run(&["SRANDMEMBER", "nokey"]), "_\r\n");
        assert_eq!(t.run(&["SRANDMEMBER", "nokey", "5"]), "*0\r\n");
        assert_eq!(t.run(&["SRANDMEMBER", "i", "0"]), "*0\r\n");
        // Arrays, not sets, even in RESP3.
        assert_eq!(t.run(&["SRANDMEMBER", "i", "5"]), arr(&["1", "2", "3"]));
        assert!(t.run(&["SRANDMEMBER", "i", "2"]).starts_with("*2\r\n"));
        assert!(t.run(&["SRANDMEMBER", "i", "-5"]).starts_with("*5\r\n"));
        t.client.resp3 = false;
        for (size, count) in [
            (3usize, 2i64),
            (600, 10),
            (600, 300),
            (5000, 40),
            (5000, 4999),
        ] {
            for strings in [false, true] {
                t.run(&["DEL", "h"]);
                let member = |i: usize| {
                    if strings {
                        format!("m{i}")
                    } else {
                        i.to_string()
                    }
                };
                fill(&mut t, "h", (0..size).map(member));
                let all: HashSet<String> = (0..size).map(member).collect();
                let got = bulks(&t.run(&["SRANDMEMBER", "h", &count.to_string()]));
                assert_eq!(got.len(), count as usize);
                let distinct: HashSet<String> = got.into_iter().collect();
                assert_eq!(distinct.len(), count as usize);
                assert!(distinct.is_subset(&all));
                for neg in [-(count), -3 * count, -2000] {
                    let got = bulks(&t.run(&["SRANDMEMBER", "h", &neg.to_string()]));
                    assert_eq!(got.len(), neg.unsigned_abs() as usize);
                    assert!(got.iter().all(|m| all.contains(m)));
                }
                let one = bulks(&t.run(&["SRANDMEMBER", "h"]));
                assert!(all.contains(&one[0]));
                assert_eq!(t.run(&["SCARD", "h"]), format!(":{size}\r\n"));
            }
        }
    }

    #[test]
    fn smove() {
        let mut t = TestShard::new();
        t.run(&["SADD", "a", "1", "2", "3", "4"]);
        t.run(&["SADD", "b", "3", "4", "5"]);
        assert_eq!(t.run(&["SMOVE", "a", "b", "1"]), ":1\r\n");
        assert_eq!(t.run(&["SMEMBERS", "a"]), arr(&["2", "3", "4"]));
        assert_eq!(t.run(&["SMEMBERS", "b"]), arr(&["1", "3", "4", "5"]));
        assert_eq!(t.run(&["SMOVE", "a", "b", "99"]), ":0\r\n");
        assert_eq!(t.run(&["SMOVE", "a", "b", "3"]), ":1\r\n");
        assert_eq!(t.run(&["SCARD", "b"]), ":4\r\n");
        assert_eq!(t.run(&["SMOVE", "a", "nd", "2"]), ":1\r\n");
        assert_eq!(t.run(&["SMEMBERS", "nd"]), arr(&["2"]));
        assert_eq!(t.run(&["OBJECT", "ENCODING", "nd"]), "$6\r\nintset\r\n");
        assert_eq!(t.run(&["SMOVE", "a", "a", "4"]), ":1\r\n");
        assert_eq!(t.run(&["SMOVE", "a", "a", "zz"]), ":0\r\n");
        t.run(&["SADD", "one", "x"]);
        assert_eq!(t.run(&["SMOVE", "one", "a", "x"]), ":1\r\n");
        assert_eq!(t.run(&["EXISTS", "one"]), ":0\r\n");
        assert_eq!(t.run(&["OBJECT", "ENCODING", "a"]), "$9\r\nhashtable\r\n");
        assert_eq!(t.run(&["SMOVE", "nd", "new", "2"]), ":1\r\n");
        assert_eq!(t.run(&["EXISTS", "nd"]), ":0\r\n");
    }

    #[test]
    fn inter_union_diff() {
        let mut t = TestShard::new();
        t.run(&["SADD", "a", "1", "2", "3", "4"]);
        t.run(&["SADD", "b", "3", "4", "5"]);
        t.run(&["SADD", "c", "4", "5", "6"]);
        assert_eq!(t.run(&["SINTER", "a", "b", "c"]), arr(&["4"]));
        assert_eq!(t.run(&["SINTER", "a", "b"]), arr(&["3", "4"]));
        assert_eq!(t.run(&["SINTER", "a", "nokey"]), "*0\r\n");
        assert_eq!(t.run(&["SINTER", "a", "a"]), arr(&["1", "2", "3", "4"]));
        assert_eq!(
            t.run(&["SUNION", "a", "b", "c"]),
            arr(&["1", "2", "3", "4", "5", "6"])
        );
        assert_eq!(t.run(&["SUNION", "nokey"]), "*0\r\n");
        assert_eq!(t.run(&["SDIFF", "a", "b", "c"]), arr(&["1", "2"]));
        assert_eq!(t.run(&["SDIFF", "a", "b"]), arr(&["1", "2"]));
        assert_eq!(t.run(&["SDIFF", "a", "a"]), "*0\r\n");
        assert_eq!(t.run(&["SDIFF", "a", "nokey", "a"]), "*0\r\n");
        assert_eq!(t.run(&["SDIFF", "nokey", "a"]), "*0\r\n");
        assert_eq!(t.run(&["SDIFF", "a", "nokey"]), arr(&["1", "2", "3", "4"]));
        t.client.resp3 = true;
        assert_eq!(t.run(&["SINTER", "a", "b"]), "~2\r\n$1\r\n3\r\n$1\r\n4\r\n");
        assert_eq!(t.run(&["SINTER", "nokey"]), "~0\r\n");
        assert_eq!(t.run(&["SUNION", "nokey"]), "~0\r\n");
        assert_eq!(t.run(&["SDIFF", "nokey"]), "~0\r\n");
        assert!(t.run(&["SUNION", "a", "c"]).starts_with("~6\r\n"));
        assert!(t.run(&["SDIFF", "a", "c"]).starts_with("~3\r\n"));
        t.client.resp3 = false;
        // Strings mixed in.
        t.run(&["SADD", "x", "a", "b", "1"]);
        t.run(&["SADD", "y", "b", "c", "1"]);
        let inter: HashSet<String> = bulks(&t.run(&["SINTER", "x", "y"])).into_iter().collect();
        assert_eq!(inter, ["b", "1"].map(String::from).into_iter().collect());
        let union: HashSet<String> = bulks(&t.run(&["SUNION", "x", "y"])).into_iter().collect();
        assert_eq!(union.len(), 4);
        assert_eq!(t.run(&["SDIFF", "x", "y"]), arr(&["a"]));
    }

    #[test]
    fn stores() {
        let mut t = TestShard::new();
        t.run(&["SADD", "a", "1", "2", "3", "4"]);
        t.run(&["SADD", "b", "3", "4", "5"]);
        t.run(&["SADD", "c", "4", "5", "6"]);
        assert_eq!(t.run(&["SINTERSTORE", "d", "a", "b"]), ":2\r\n");
        assert_eq!(t.run(&["SMEMBERS", "d"]), arr(&["3", "4"]));
        assert_eq!(t.run(&["OBJECT", "ENCODING", "d"]), "$6\r\nintset\r\n");
        assert_eq!(t.run(&["SUNIONSTORE", "d", "a", "c"]), ":6\r\n");
        assert_eq!(
            t.run(&["SMEMBERS", "d"]),
            arr(&["1", "2", "3", "4", "5", "6"])
        );
        assert_eq!(t.run(&["SDIFFSTORE", "d", "a", "c"]), ":3\r\n");
        assert_eq!(t.run(&["SMEMBERS", "d"]), arr(&["1", "2", "3"]));
        assert_eq!(t.run(&["SDIFFSTORE", "d", "a", "a"]), ":0\r\n");
        assert_eq!(t.run(&["EXISTS", "d"]), ":0\r\n");
        // The destination may hold anything; it is replaced (TTL included) or deleted.
        t.run(&["SET", "str", "x"]);
        assert_eq!(t.run(&["SINTERSTORE", "str", "nokey"]), ":0\r\n");
        assert_eq!(t.run(&["TYPE", "str"]), "+none\r\n");
        t.run(&["SET", "str", "x", "EX", "100"]);
        assert_eq!(t.run(&["SUNIONSTORE", "str", "a"]), ":4\r\n");
        assert_eq!(t.run(&["TYPE", "str"]), "+set\r\n");
        assert_eq!(t.run(&["TTL", "str"]), ":-1\r\n");
        // A source may be the destination.
        assert_eq!(t.run(&["SUNIONSTORE", "a", "a", "c"]), ":6\r\n");
        assert_eq!(t.run(&["SINTERSTORE", "a", "a", "b"]), ":3\r\n");
        assert_eq!(t.run(&["SMEMBERS", "a"]), arr(&["3", "4", "5"]));
        // Encodings of stored results follow Redis's build order.
        t.run(&["SADD", "m", "x", "1", "2"]);
        t.run(&["SADD", "n", "x"]);
        assert_eq!(t.run(&["SDIFFSTORE", "r", "m", "n"]), ":2\r\n");
        assert_eq!(t.run(&["OBJECT", "ENCODING", "r"]), "$6\r\nintset\r\n");
        // Algorithm 2 (first set added, then the others removed) leaves a hashtable.
        t.run(&["SADD", "m2", "x", "1", "2", "3"]);
        t.run(&["SADD", "o", "q"]);
        t.run(&["SADD", "p", "q"]);
        assert_eq!(t.run(&["SDIFFSTORE", "r", "m2", "n", "o", "p"]), ":3\r\n");
        assert_eq!(t.run(&["OBJECT", "ENCODING", "r"]), "$9\r\nhashtable\r\n");
        fill(&mut t, "big", (0..600).map(|i| i.to_string()));
        assert_eq!(t.run(&["SINTERSTORE", "r", "big", "big"]), ":600\r\n");
        assert_eq!(t.run(&["OBJECT", "ENCODING", "r"]), "$9\r\nhashtable\r\n");
        assert_eq!(t.run(&["SINTERSTORE", "r", "big", "c"]), ":3\r\n");
        assert_eq!(t.run(&["OBJECT", "ENCODING", "r"]), "$6\r\nintset\r\n");
    }

    #[test]
    fn sintercard() {
        let mut t = TestShard::new();
        t.run(&["SADD", "a", "1", "2", "3", "4"]);
        t.run(&["SADD", "b", "3", "4", "5"]);
        t.run(&["SADD", "c", "4", "5", "6"]);
        assert_eq!(t.run(&["SINTERCARD", "2", "a", "b"]), ":2\r\n");
        assert_eq!(t.run(&["SINTERCARD", "1", "a", "LIMIT", "2"]), ":2\r\n");
        assert_eq!(t.run(&["SINTERCARD", "1", "a", "limit", "0"]), ":4\r\n");
        assert_eq!(
            t.run(&["SINTERCARD", "1", "a", "LIMIT", "1", "LIMIT", "0"]),
            ":4\r\n"
        );
        assert_eq!(t.run(&["SINTERCARD", "2", "a", "nokey"]), ":0\r\n");
        assert_eq!(t.run(&["SINTERCARD", "3", "a", "b", "c"]), ":1\r\n");
        let numkeys = "-ERR numkeys should be greater than 0\r\n";
        for n in ["0", "-1", "x", "9223372036854775808"] {
            assert_eq!(t.run(&["SINTERCARD", n, "a"]), numkeys, "{n}");
        }
        assert_eq!(
            t.run(&["SINTERCARD", "2", "a"]),
            "-ERR Number of keys can't be greater than number of args\r\n"
        );
        let negative = "-ERR LIMIT can't be negative\r\n";
        for l in ["-1", "x", "9223372036854775808"] {
            assert_eq!(
                t.run(&["SINTERCARD", "1", "a", "LIMIT", l]),
                negative,
                "{l}"
            );
        }
        assert_eq!(
            t.run(&["SINTERCARD", "1", "a", "LIMIT"]),
            "-ERR syntax error\r\n"
        );
        assert_eq!(
            t.run(&["SINTERCARD", "1", "a", "foo", "1"]),
            "-ERR syntax error\r\n"
        );
    }

    #[test]
    fn sscan() {
        let mut t = TestShard::new();
        t.run(&["SADD", "i", "1", "2", "3", "10"]);
        assert_eq!(t.run(&["SSCAN", "i", "x"]), "-ERR invalid cursor\r\n");
        assert_eq!(t.run(&["SSCAN", "nokey", "x"]), "-ERR invalid cursor\r\n");
        assert_eq!(t.run(&["SSCAN", "nokey", "0"]), "*2\r\n$1\r\n0\r\n*0\r\n");
        assert_eq!(
            t.run(&["SSCAN", "nokey", "0", "COUNT", "0"]),
            "*2\r\n$1\r\n0\r\n*0\r\n"
        );
        assert_eq!(
            t.run(&["SSCAN", "i", "0", "COUNT", "0"]),
            "-ERR syntax error\r\n"
        );
        assert_eq!(
            t.run(&["SSCAN", "i", "0", "COUNT", "x"]),
            "-ERR value is not an integer or out of range\r\n"
        );
        assert_eq!(
            t.run(&["SSCAN", "i", "0", "MATCH"]),
            "-ERR syntax error\r\n"
        );
        assert_eq!(
            t.run(&["SSCAN", "i", "0", "TYPE", "set"]),
            "-ERR syntax error\r\n"
        );
        // An intset: everything at once, whatever the cursor and count.
        let all = "*2\r\n$1\r\n0\r\n*4\r\n$1\r\n1\r\n$1\r\n2\r\n$1\r\n3\r\n$2\r\n10\r\n";
        assert_eq!(t.run(&["SSCAN", "i", "0"]), all);
        assert_eq!(t.run(&["SSCAN", "i", "99", "COUNT", "1"]), all);
        assert_eq!(t.run(&["SSCAN", "i", "-1"]), all);
        assert_eq!(
            t.run(&["SSCAN", "i", "0", "MATCH", "1*"]),
            "*2\r\n$1\r\n0\r\n*2\r\n$1\r\n1\r\n$2\r\n10\r\n"
        );
        t.run(&["SADD", "s", "a", "b", "c"]);
        assert_eq!(
            t.run(&["SSCAN", "s", "0", "MATCH", "a"]),
            "*2\r\n$1\r\n0\r\n*1\r\n$1\r\na\r\n"
        );
        t.client.resp3 = true;
        assert_eq!(
            t.run(&["SSCAN", "s", "0", "match", "b", "count", "100"]),
            "*2\r\n$1\r\n0\r\n*1\r\n$1\r\nb\r\n"
        );
        t.client.resp3 = false;
        // A big set: a full iteration returns each member once.
        fill(&mut t, "big", (0..5000).map(|i| format!("m{i}")));
        let mut seen = HashSet::new();
        let mut cursor = "0".to_string();
        let mut calls = 0;
        loop {
            let reply = t.run(&["SSCAN", "big", &cursor, "COUNT", "50"]);
            let parts: Vec<&str> = reply.split("\r\n").collect();
            cursor = parts[2].to_string();
            let members = bulks(&reply);
            for m in members.iter().skip(1) {
                assert!(seen.insert(m.clone()), "duplicate {m}");
            }
            calls += 1;
            if cursor == "0" {
                break;
            }
        }
        assert_eq!(seen.len(), 5000);
        assert!(calls > 50, "{calls}");
        let reply = t.run(&["SSCAN", "big", "0", "MATCH", "m1?", "COUNT", "100000"]);
        assert_eq!(bulks(&reply).len(), 1 + 10);
    }

    #[test]
    fn keeps_ttl_and_expires() {
        let mut t = TestShard::new();
        t.run(&["SADD", "s", "a", "b"]);
        t.run(&["PEXPIRE", "s", "1000"]);
        t.run(&["SADD", "s", "c"]);
        t.run(&["SREM", "s", "a"]);
        t.run(&["SPOP", "s"]);
        assert_eq!(t.run(&["PTTL", "s"]), ":1000\r\n");
        t.advance_ms(1000);
        assert_eq!(t.run(&["SCARD", "s"]), ":0\r\n");
        assert_eq!(t.run(&["SADD", "s", "x"]), ":1\r\n");
        assert_eq!(t.run(&["PTTL", "s"]), ":-1\r\n");
    }
}
