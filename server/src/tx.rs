//! Commands that span shards, as plans a coordinator runs.
//!
//! A multi-shard command becomes a transaction: the coordinator (the shard of the client's
//! connection) holds every shard it touches, in ascending shard order so two transactions
//! can never wait on each other in a cycle, then runs the plan's phases (each phase sends
//! one operation to some of those shards and waits for all results), then lets go. While a
//! shard is held, every other command for it waits, so no client observes half of an MSET,
//! a RENAME or a multi-key DEL. MULTI/EXEC and scripts will run as plans on the same engine.

use crate::message::{OpResult, PackedCommands, ShardOp};
use protocol::Reply;
use shard::command::{Fanout, Merge};
use shard::families::server::{render_info, InfoData};
use shard::value::Entry;
use shard::{CmdError, CommandSpec, CommandTable, ShardId, SlotMap};

/// What a plan wants next.
pub enum Step {
    /// Run these operations (one result each, in this order), then call `next` again.
    Ops(Vec<(ShardId, ShardOp)>),
    /// Finished: the reply bytes.
    Done(Vec<u8>),
    /// A blocking command found nothing on the keys of several shards: the coordinator
    /// watches them and runs it again when one gets data.
    Blocked(shard::client::BlockSpec),
}

/// Which connections CLIENT KILL targets.
#[derive(Debug, Clone, Default)]
pub struct KillFilter {
    pub id: Option<u64>,
    pub addr: Option<String>,
    pub laddr: Option<String>,
    /// The caller itself, unless SKIPME no.
    pub skip_id: Option<u64>,
}

pub enum Plan {
    /// Split keys by owner, run the command's own handler on each part, merge.
    Split {
        merge: Merge,
        resp3: bool,
        parts: Vec<(ShardId, PackedCommands, Vec<usize>)>,
        keys: usize,
        started: bool,
    },
    MsetNx {
        check: Vec<(ShardId, PackedCommands)>,
        set: Vec<(ShardId, PackedCommands)>,
        stage: u8,
    },
    Rename {
        nx: bool,
        resp3: bool,
        db: u8,
        src: Box<[u8]>,
        dst: Box<[u8]>,
        src_shard: ShardId,
        dst_shard: ShardId,
        stage: u8,
    },
    Copy {
        src_db: u8,
        dst_db: u8,
        src: Box<[u8]>,
        dst: Box<[u8]>,
        src_shard: ShardId,
        dst_shard: ShardId,
        replace: bool,
        stage: u8,
    },
    Info {
        resp3: bool,
        sections: Vec<&'static str>,
        shards: usize,
        started: bool,
    },
    ClientList {
        resp3: bool,
        ids: Option<Vec<u64>>,
        shards: usize,
        started: bool,
    },
    ClientKill {
        resp3: bool,
        filter: KillFilter,
        legacy: bool,
        shards: usize,
        started: bool,
    },
    RandomKey {
        resp3: bool,
        db: u8,
        shards: usize,
        started: bool,
        random: u64,
    },
    /// A command that every shard contributes to without locks (CONFIG SET, SLOWLOG GET...).
    Fanout {
        fanout: &'static Fanout,
        resp3: bool,
        args: Vec<Vec<u8>>,
        shards: usize,
        started: bool,
    },
    /// A command over keys on several shards that is not split (LCS, SINTERSTORE, SMOVE,
    /// LMOVE, ZUNIONSTORE, BITOP, ...): copy its keys' entries to the coordinator while
    /// holding their shards, run the command on the copies, and (for writes) put every key's
    /// new state back. Atomic, and generic: no command needs its own cross-shard code.
    Gather {
        spec: &'static CommandSpec,
        db: u8,
        resp3: bool,
        now_ms: u64,
        args: Vec<Vec<u8>>,
        keys: Vec<(ShardId, Box<[u8]>)>,
        started: bool,
        /// The reply, kept while the writes go back.
        reply: Option<Vec<u8>>,
    },
}

fn error_reply(resp3: bool, err: &CmdError) -> Vec<u8> {
    let mut out = Vec::new();
    Reply::new(&mut out, resp3).error(err.to_string().as_bytes());
    out
}

fn spec(name: &str) -> &'static CommandSpec {
    CommandTable::get()
        .lookup(name.as_bytes())
        .expect("command table has its own commands")
}

fn one_command(
    spec: &'static CommandSpec,
    db: usize,
    resp3: bool,
    args: &[&[u8]],
) -> PackedCommands {
    let mut commands = PackedCommands::default();
    commands.push(spec, db, resp3, 0, args);
    commands
}

/// The bytes of the single reply in a `Run` result.
fn single_reply(result: OpResult) -> Vec<u8> {
    match result {
        OpResult::Replies(replies) => replies.bytes,
        _ => Vec::new(),
    }
}

/// Elements of an array (or set) reply.
fn array_elements(reply: &[u8]) -> Option<Vec<&[u8]>> {
    if !matches!(reply.first(), Some(b'*') | Some(b'~')) {
        return None;
    }
    let line_end = reply.windows(2).position(|w| w == b"\r\n")?;
    let count: i64 = std::str::from_utf8(&reply[1..line_end])
        .ok()?
        .parse()
        .ok()?;
    let mut pos = line_end + 2;
    let mut elements = Vec::with_capacity(count.max(0) as usize);
    for _ in 0..count.max(0) {
        let len = protocol::reply_len(&reply[pos..])?;
        elements.push(&reply[pos..pos + len]);
        pos += len;
    }
    Some(elements)
}

/// Merge the replies of a split command's parts.
fn merge_replies(
    merge: Merge,
    resp3: bool,
    parts: &[Vec<u8>],
    key_positions: &[Vec<usize>],
    keys: usize,
) -> Vec<u8> {
    if let Some(err) = parts.iter().find(|p| p.first() == Some(&b'-')) {
        return err.clone();
    }
    let mut out = Vec::new();
    let mut reply = Reply::new(&mut out, resp3);
    match merge {
        Merge::Sum => {
            let total: i64 = parts
                .iter()
                .filter_map(|p| protocol::reply_integer(p))
                .sum();
            reply.integer(total);
        }
        Merge::AllOk | Merge::Single => reply.ok(),
        Merge::Concat => {
            let elements: Vec<&[u8]> = parts
                .iter()
                .filter_map(|p| array_elements(p))
                .flatten()
                .collect();
            reply.array(elements.len());
            for element in elements {
                reply.raw(element);
            }
        }
        Merge::ByKey => {
            let mut ordered: Vec<&[u8]> = vec![b"$-1\r\n"; keys];
            for (part, positions) in parts.iter().zip(key_positions) {
                if let Some(elements) = array_elements(part) {
                    for (element, &position) in elements.into_iter().zip(positions) {
                        if let Some(slot) = ordered.get_mut(position) {
                            *slot = element;
                        }
                    }
                }
            }
            reply.array(ordered.len());
            for element in ordered {
                reply.raw(element);
            }
        }
    }
    out
}

impl Plan {
    /// For a gathered command: what it needs to run again (command, database, protocol,
    /// arguments).
    pub fn gathered_command(&self) -> Option<(&'static CommandSpec, u8, bool, &[Vec<u8>])> {
        match self {
            Plan::Gather {
                spec,
                db,
                resp3,
                args,
                ..
            } => Some((spec, *db, *resp3, args)),
            _ => None,
        }
    }

    /// Split a keyed command by the owners of its keys.
    pub fn split(
        spec: &'static CommandSpec,
        merge: Merge,
        db: usize,
        resp3: bool,
        args: &[&[u8]],
        slots: &SlotMap,
    ) -> (Plan, Vec<ShardId>) {
        let indexes = spec.keys.key_indexes(args);
        let step = match spec.keys {
            shard::KeySpec::Range { step, .. } => step.max(1) as usize,
            shard::KeySpec::None | shard::KeySpec::Numkeys { .. } => 1,
        };
        let first = indexes.first().copied().unwrap_or(1);
        let after = indexes
            .last()
            .map_or(args.len(), |&last| (last + step).min(args.len()));
        // (owner, its arguments, ordinals of its keys among all keys)
        type Part<'a> = (ShardId, Vec<&'a [u8]>, Vec<usize>);
        let mut by_shard: Vec<Part<'_>> = Vec::new();
        for (ordinal, &index) in indexes.iter().enumerate() {
            let owner = slots.owner_of_key(args[index]);
            let part = match by_shard.iter().position(|(s, _, _)| *s == owner) {
                Some(i) => &mut by_shard[i],
                None => {
                    let mut head: Vec<&[u8]> = args[..first].to_vec();
                    head.reserve(indexes.len() * step);
                    by_shard.push((owner, head, Vec::new()));
                    by_shard.last_mut().expect("just pushed")
                }
            };
            part.1
                .extend_from_slice(&args[index..(index + step).min(args.len())]);
            part.2.push(ordinal);
        }
        let mut shards = Vec::new();
        let parts = by_shard
            .into_iter()
            .map(|(shard, mut part_args, ordinals)| {
                part_args.extend_from_slice(&args[after..]);
                shards.push(shard);
                (shard, one_command(spec, db, resp3, &part_args), ordinals)
            })
            .collect();
        (
            Plan::Split {
                merge,
                resp3,
                parts,
                keys: indexes.len(),
                started: false,
            },
            shards,
        )
    }

    /// The next operations, given the results of the previous ones (in the order asked).
    pub fn next(&mut self, results: Vec<OpResult>) -> Step {
        match self {
            Plan::Split {
                merge,
                resp3,
                parts,
                keys,
                started,
            } => {
                if !*started {
                    *started = true;
                    let ops = parts
                        .iter_mut()
                        .map(|(shard, commands, _)| {
                            (
                                *shard,
                                ShardOp::Run {
                                    commands: std::mem::take(commands),
                                },
                            )
                        })
                        .collect();
                    return Step::Ops(ops);
                }
                let replies: Vec<Vec<u8>> = results.into_iter().map(single_reply).collect();
                let positions: Vec<Vec<usize>> = parts.iter().map(|p| p.2.clone()).collect();
                Step::Done(merge_replies(*merge, *resp3, &replies, &positions, *keys))
            }
            Plan::MsetNx {
                check, set, stage, ..
            } => {
                *stage += 1;
                match *stage {
                    1 => Step::Ops(
                        check
                            .iter_mut()
                            .map(|(s, c)| {
                                (
                                    *s,
                                    ShardOp::Run {
                                        commands: std::mem::take(c),
                                    },
                                )
                            })
                            .collect(),
                    ),
                    2 => {
                        let existing: i64 = results
                            .into_iter()
                            .map(single_reply)
                            .filter_map(|r| protocol::reply_integer(&r))
                            .sum();
                        if existing > 0 {
                            return Step::Done(b":0\r\n".to_vec());
                        }
                        Step::Ops(
                            set.iter_mut()
                                .map(|(s, c)| {
                                    (
                                        *s,
                                        ShardOp::Run {
                                            commands: std::mem::take(c),
                                        },
                                    )
                                })
                                .collect(),
                        )
                    }
                    _ => Step::Done(b":1\r\n".to_vec()),
                }
            }
            Plan::Rename {
                nx,
                resp3,
                db,
                src,
                dst,
                src_shard,
                dst_shard,
                stage,
            } => {
                *stage += 1;
                match *stage {
                    1 => {
                        let exists = spec("exists");
                        let mut ops = vec![(
                            *src_shard,
                            ShardOp::Run {
                                commands: one_command(
                                    exists,
                                    *db as usize,
                                    *resp3,
                                    &[b"EXISTS", src],
                                ),
                            },
                        )];
                        if *nx {
                            ops.push((
                                *dst_shard,
                                ShardOp::Run {
                                    commands: one_command(
                                        exists,
                                        *db as usize,
                                        *resp3,
                                        &[b"EXISTS", dst],
                                    ),
                                },
                            ));
                        }
                        Step::Ops(ops)
                    }
                    2 => {
                        let found: Vec<i64> = results
                            .into_iter()
                            .map(|r| protocol::reply_integer(&single_reply(r)).unwrap_or(0))
                            .collect();
                        if found.first() != Some(&1) {
                            return Step::Done(error_reply(*resp3, &CmdError::NoSuchKey));
                        }
                        if *nx && found.get(1) == Some(&1) {
                            return Step::Done(b":0\r\n".to_vec());
                        }
                        Step::Ops(vec![(
                            *src_shard,
                            ShardOp::TakeEntry {
                                db: *db,
                                key: src.clone(),
                                remove: true,
                            },
                        )])
                    }
                    3 => match results.into_iter().next() {
                        Some(OpResult::Entry(Some(entry))) => Step::Ops(vec![(
                            *dst_shard,
                            ShardOp::PutEntry {
                                db: *db,
                                key: dst.clone(),
                                entry,
                                only_if_absent: false,
                            },
                        )]),
                        _ => Step::Done(error_reply(*resp3, &CmdError::NoSuchKey)),
                    },
                    _ => Step::Done(if *nx {
                        b":1\r\n".to_vec()
                    } else {
                        b"+OK\r\n".to_vec()
                    }),
                }
            }
            Plan::Copy {
                src_db,
                dst_db,
                src,
                dst,
                src_shard,
                dst_shard,
                replace,
                stage,
            } => {
                *stage += 1;
                match *stage {
                    1 => Step::Ops(vec![(
                        *src_shard,
                        ShardOp::TakeEntry {
                            db: *src_db,
                            key: src.clone(),
                            remove: false,
                        },
                    )]),
                    2 => match results.into_iter().next() {
                        Some(OpResult::Entry(Some(entry))) => Step::Ops(vec![(
                            *dst_shard,
                            ShardOp::PutEntry {
                                db: *dst_db,
                                key: dst.clone(),
                                entry,
                                only_if_absent: !*replace,
                            },
                        )]),
                        _ => Step::Done(b":0\r\n".to_vec()),
                    },
                    _ => {
                        let stored = matches!(results.first(), Some(OpResult::Stored(true)));
                        Step::Done(if stored {
                            b":1\r\n".to_vec()
                        } else {
                            b":0\r\n".to_vec()
                        })
                    }
                }
            }
            Plan::Info {
                resp3,
                sections,
                shards,
                started,
            } => {
                if !std::mem::replace(started, true) {
                    return Step::Ops((0..*shards).map(|s| (s, ShardOp::Info)).collect());
                }
                let mut total: Option<InfoData> = None;
                for result in results {
                    if let OpResult::Info(data) = result {
                        match total.as_mut() {
                            None => total = Some(*data),
                            Some(total) => total.merge(&data),
                        }
                    }
                }
                let mut total = total.unwrap_or_default();
                let memory = crate::memory::ProcessMemory::now();
                total.used_memory = memory.used;
                total.used_memory_rss = memory.rss;
                total.used_memory_peak = memory.peak;
                total.used_memory_startup = memory.startup;
                total.allocator_active = memory.allocator_active;
                total.allocator_resident = memory.allocator_resident;
                let text = render_info(sections, &total);
                let mut out = Vec::new();
                Reply::new(&mut out, *resp3).verbatim(text.as_bytes());
                Step::Done(out)
            }
            Plan::Fanout {
                fanout,
                resp3,
                args,
                shards,
                started,
            } => {
                if !std::mem::replace(started, true) {
                    return Step::Ops(
                        (0..*shards)
                            .map(|s| {
                                (
                                    s,
                                    ShardOp::Fanout {
                                        fanout,
                                        args: args.clone(),
                                    },
                                )
                            })
                            .collect(),
                    );
                }
                let parts = results
                    .into_iter()
                    .map(|result| match result {
                        OpResult::Part(part) => part,
                        _ => Err(CmdError::msg("ERR internal error: unexpected shard reply")),
                    })
                    .collect();
                let args: Vec<&[u8]> = args.iter().map(|a| a.as_slice()).collect();
                let mut out = Vec::new();
                let mut reply = Reply::new(&mut out, *resp3);
                if let Err(err) = (fanout.finish)(&args, parts, &mut reply) {
                    out.clear();
                    Reply::new(&mut out, *resp3).error(err.to_string().as_bytes());
                }
                Step::Done(out)
            }
            Plan::ClientList {
                resp3,
                ids,
                shards,
                started,
            } => {
                if !std::mem::replace(started, true) {
                    return Step::Ops((0..*shards).map(|s| (s, ShardOp::ClientList)).collect());
                }
                let mut text = String::new();
                for result in results {
                    if let OpResult::Text(lines) = result {
                        for line in lines.lines() {
                            let id = line
                                .strip_prefix("id=")
                                .and_then(|rest| rest.split(' ').next())
                                .and_then(|id| id.parse::<u64>().ok());
                            if ids
                                .as_ref()
                                .is_none_or(|ids| id.is_some_and(|id| ids.contains(&id)))
                            {
                                text.push_str(line);
                                text.push('\n');
                            }
                        }
                    }
                }
                let mut out = Vec::new();
                Reply::new(&mut out, *resp3).verbatim(text.as_bytes());
                Step::Done(out)
            }
            Plan::ClientKill {
                resp3,
                filter,
                legacy,
                shards,
                started,
            } => {
                if !std::mem::replace(started, true) {
                    return Step::Ops(
                        (0..*shards)
                            .map(|s| (s, ShardOp::ClientKill(filter.clone())))
                            .collect(),
                    );
                }
                let killed: u64 = results
                    .iter()
                    .map(|r| if let OpResult::Count(n) = r { *n } else { 0 })
                    .sum();
                let mut out = Vec::new();
                let mut reply = Reply::new(&mut out, *resp3);
                if *legacy {
                    if killed == 0 {
                        reply.error(b"ERR No such client");
                    } else {
                        reply.ok();
                    }
                } else {
                    reply.integer(killed as i64);
                }
                Step::Done(out)
            }
            Plan::Gather {
                spec,
                db,
                resp3,
                now_ms,
                args,
                keys,
                started,
                reply,
            } => {
                if !std::mem::replace(started, true) {
                    return Step::Ops(
                        keys.iter()
                            .map(|(shard, key)| {
                                (
                                    *shard,
                                    ShardOp::TakeEntry {
                                        db: *db,
                                        key: key.clone(),
                                        remove: false,
                                    },
                                )
                            })
                            .collect(),
                    );
                }
                if let Some(reply) = reply.take() {
                    // The writes are back on their shards.
                    return Step::Done(reply);
                }
                let mut scratch = shard::Shard::standalone();
                scratch.now_ms = *now_ms;
                for ((_, key), result) in keys.iter().zip(results) {
                    if let OpResult::Entry(Some(entry)) = result {
                        put_entry(&mut scratch, *db as usize, key, *entry, false);
                    }
                }
                let mut client = shard::Client::detached(*db as usize, *resp3);
                let arg_slices: Vec<&[u8]> = args.iter().map(|a| a.as_slice()).collect();
                let mut out = Vec::new();
                scratch.execute(spec, &mut client, &arg_slices, &mut out);
                if let Some(block) = client.block.take() {
                    // It wrote nothing: nothing to put back either.
                    return Step::Blocked(block);
                }
                if !spec.has(shard::command::flags::WRITE) {
                    return Step::Done(out);
                }
                // Write every key back: its new entry, or its deletion.
                let ops = keys
                    .iter()
                    .map(|(shard, key)| {
                        let op = match scratch.keyspace.remove(*db as usize, key, *now_ms) {
                            Some(entry) => ShardOp::PutEntry {
                                db: *db,
                                key: key.clone(),
                                entry: Box::new(entry),
                                only_if_absent: false,
                            },
                            None => ShardOp::TakeEntry {
                                db: *db,
                                key: key.clone(),
                                remove: true,
                            },
                        };
                        (*shard, op)
                    })
                    .collect();
                *reply = Some(out);
                Step::Ops(ops)
            }
            Plan::RandomKey {
                resp3,
                db,
                shards,
                started,
                random,
            } => {
                if !std::mem::replace(started, true) {
                    return Step::Ops(
                        (0..*shards)
                            .map(|s| (s, ShardOp::RandomKey { db: *db }))
                            .collect(),
                    );
                }
                let candidates: Vec<(Vec<u8>, u64)> = results
                    .into_iter()
                    .filter_map(|r| match r {
                        OpResult::RandomKey { reply, keys }
                            if keys > 0 && reply.first() == Some(&b'$') =>
                        {
                            Some((reply, keys))
                        }
                        _ => None,
                    })
                    .collect();
                let total: u64 = candidates.iter().map(|c| c.1).sum();
                let mut out = Vec::new();
                let mut reply = Reply::new(&mut out, *resp3);
                if total == 0 {
                    reply.null();
                } else {
                    let mut pick = *random % total;
                    for (key_reply, keys) in &candidates {
                        if pick < *keys {
                            reply.raw(key_reply);
                            break;
                        }
                        pick -= keys;
                    }
                }
                Step::Done(out)
            }
        }
    }
}

/// Whether a reply should be stored: helper for PutEntry.
pub fn put_entry(
    shard: &mut shard::Shard,
    db: usize,
    key: &[u8],
    entry: Entry,
    only_if_absent: bool,
) -> bool {
    let now = shard.now_ms;
    if only_if_absent && shard.keyspace.contains(db, key, now) {
        return false;
    }
    let expire_at = entry.expire_at();
    if expire_at != shard::value::NO_EXPIRE && expire_at <= now {
        // Already expired on the way: storing it would only count it as expired later.
        shard.keyspace.remove(db, key, now);
        return true;
    }
    shard.keyspace.insert(db, key, entry, now);
    if expire_at != shard::value::NO_EXPIRE {
        shard.keyspace.set_expire(db, key, expire_at, now);
    }
    // A list or sorted set arriving here may be what a blocked client waits for.
    shard.blocking.signal(db, key);
    true
}

/// MSETNX's plan: an EXISTS per shard, then (if none exist) an MSET per shard.
pub fn msetnx_plan(
    db: usize,
    resp3: bool,
    args: &[&[u8]],
    slots: &SlotMap,
) -> (Plan, Vec<ShardId>) {
    let (exists, mset) = (spec("exists"), spec("mset"));
    let mut check: Vec<(ShardId, Vec<&[u8]>)> = Vec::new();
    let mut set: Vec<(ShardId, Vec<&[u8]>)> = Vec::new();
    for pair in args[1..].chunks(2) {
        let owner = slots.owner_of_key(pair[0]);
        match check.iter().position(|(s, _)| *s == owner) {
            Some(i) => {
                check[i].1.push(pair[0]);
                set[i].1.extend_from_slice(pair);
            }
            None => {
                check.push((owner, vec![b"EXISTS", pair[0]]));
                let mut part: Vec<&[u8]> = vec![b"MSET"];
                part.extend_from_slice(pair);
                set.push((owner, part));
            }
        }
    }
    let shards = check.iter().map(|(s, _)| *s).collect();
    let check = check
        .into_iter()
        .map(|(s, a)| (s, one_command(exists, db, resp3, &a)))
        .collect();
    let set = set
        .into_iter()
        .map(|(s, a)| (s, one_command(mset, db, resp3, &a)))
        .collect();
    (
        Plan::MsetNx {
            check,
            set,
            stage: 0,
        },
        shards,
    )
}

/// COPY source destination [DB destination-db] [REPLACE]: options parsed as Redis does.
pub fn copy_options(args: &[&[u8]], db: usize) -> Result<(usize, bool), CmdError> {
    let mut dst_db = db;
    let mut replace = false;
    let mut i = 3;
    while i < args.len() {
        if args[i].eq_ignore_ascii_case(b"REPLACE") {
            replace = true;
            i += 1;
        } else if args[i].eq_ignore_ascii_case(b"DB") && i + 1 < args.len() {
            let n = protocol::parse_i64(args[i + 1]).ok_or(CmdError::NotInteger)?;
            dst_db = usize::try_from(n)
                .ok()
                .filter(|&n| n < shard::keyspace::DB_COUNT)
                .ok_or(CmdError::DbIndex)?;
            i += 2;
        } else {
            return Err(CmdError::Syntax);
        }
    }
    Ok((dst_db, replace))
}

/// A plan that runs the same command on every shard and merges (DBSIZE, FLUSHALL, KEYS).
pub fn all_shards_plan(
    spec: &'static CommandSpec,
    merge: Merge,
    db: usize,
    resp3: bool,
    args: &[&[u8]],
    shards: usize,
) -> (Plan, Vec<ShardId>) {
    let parts = (0..shards)
        .map(|s| (s, one_command(spec, db, resp3, args), Vec::new()))
        .collect();
    (
        Plan::Split {
            merge,
            resp3,
            parts,
            keys: 0,
            started: false,
        },
        (0..shards).collect(),
    )
}

/// A read-only command whose keys live on several shards: gather copies, run on the copy.
pub fn gather_plan(
    spec: &'static CommandSpec,
    db: usize,
    resp3: bool,
    now_ms: u64,
    args: &[&[u8]],
    slots: &SlotMap,
) -> (Plan, Vec<ShardId>) {
    let mut keys: Vec<(ShardId, Box<[u8]>)> = Vec::new();
    for index in spec.keys.key_indexes(args) {
        if !keys.iter().any(|(_, k)| **k == *args[index]) {
            keys.push((slots.owner_of_key(args[index]), args[index].into()));
        }
    }
    let shards = keys.iter().map(|(s, _)| *s).collect();
    let args = args.iter().map(|a| a.to_vec()).collect();
    (
        Plan::Gather {
            spec,
            db: db as u8,
            resp3,
            now_ms,
            args,
            keys,
            started: false,
            reply: None,
        },
        shards,
    )
}

/// What a blocking command answers when its timeout passes (or when it cannot block).
pub fn write_timeout_reply(
    out: &mut Vec<u8>,
    resp3: bool,
    on_timeout: shard::client::TimeoutReply,
) {
    let mut reply = Reply::new(out, resp3);
    match on_timeout {
        shard::client::TimeoutReply::NullArray => reply.null_array(),
        shard::client::TimeoutReply::NullBulk => reply.null(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn merges() {
        let parts = vec![b":2\r\n".to_vec(), b":3\r\n".to_vec()];
        assert_eq!(merge_replies(Merge::Sum, false, &parts, &[], 0), b":5\r\n");
        let parts = vec![
            b"*2\r\n$1\r\na\r\n$-1\r\n".to_vec(),
            b"*1\r\n$1\r\nc\r\n".to_vec(),
        ];
        let positions = vec![vec![0, 2], vec![1]];
        assert_eq!(
            merge_replies(Merge::ByKey, false, &parts, &positions, 3),
            b"*3\r\n$1\r\na\r\n$1\r\nc\r\n$-1\r\n"
        );
        assert_eq!(
            merge_replies(Merge::Concat, false, &parts, &[], 0),
            b"*3\r\n$1\r\na\r\n$-1\r\n$1\r\nc\r\n"
        );
        let parts = vec![b"+OK\r\n".to_vec(), b"-ERR x\r\n".to_vec()];
        assert_eq!(
            merge_replies(Merge::AllOk, false, &parts, &[], 0),
            b"-ERR x\r\n"
        );
    }
}
