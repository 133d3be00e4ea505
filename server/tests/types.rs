//! Integration tests for the collection types against Shardis (1 and 4
//! shards): exact replies per family (as Redis 7.0 gives them), a 200,000
//! member sorted set loaded by pipelining and queried with a latency sanity
//! bound, redis-benchmark-style LPUSH/LRANGE flows from several clients, big
//! hashes/sets/sorted sets crossing encodings, and cross-shard multi-key
//! commands under concurrency.
//!
//! `SHARDIS_TEST_TARGET=redis` runs everything against redis-server instead.

mod common;

use common::*;
use std::collections::BTreeSet;
use std::thread;
use std::time::{Duration, Instant};

/// Start the server under test (or, with SHARDIS_TEST_TARGET=redis, a redis-server with its
/// defaults, which Shardis shares).
fn start(shards: usize) -> Server {
    if target_is_redis() {
        let mut s = start_redis_with(&[]);
        s.shards = shards;
        s
    } else {
        start_shardis(shards)
    }
}

fn with_shards(f: impl Fn(&Server, &mut Conn)) {
    for shards in [1, 4] {
        let s = start(shards);
        let mut c = s.connect();
        f(&s, &mut c);
    }
}

fn crc16(data: &[u8]) -> u16 {
    let mut crc: u16 = 0;
    for &b in data {
        crc ^= (b as u16) << 8;
        for _ in 0..8 {
            crc = if crc & 0x8000 != 0 {
                (crc << 1) ^ 0x1021
            } else {
                crc << 1
            };
        }
    }
    crc
}

/// A key `prefix:<i>` on shard `shard` of 4 (no hashtags).
fn key_on(prefix: &str, shard: usize) -> String {
    (0..)
        .map(|i| format!("{prefix}:{i}"))
        .find(|k| (crc16(k.as_bytes()) as usize % 16384) * 4 / 16384 == shard)
        .unwrap()
}

fn strings(r: &Reply) -> Vec<String> {
    r.array()
        .iter()
        .map(|x| x.as_str().unwrap_or_else(|| panic!("not a string: {x:?}")))
        .collect()
}

fn set_of(r: &Reply) -> BTreeSet<String> {
    strings(r).into_iter().collect()
}

fn sset(items: &[&str]) -> BTreeSet<String> {
    items.iter().map(|s| s.to_string()).collect()
}

fn args(parts: &[&str]) -> Vec<Vec<u8>> {
    parts.iter().map(|s| s.as_bytes().to_vec()).collect()
}

/// Pipeline `cmds` in chunks; every reply must satisfy `ok`.
fn load(c: &mut Conn, cmds: &[Vec<Vec<u8>>], ok: impl Fn(&Reply) -> bool) {
    for chunk in cmds.chunks(1000) {
        for (i, r) in c.pipeline(chunk).iter().enumerate() {
            assert!(
                ok(r),
                "load: {:?} -> {r:?}",
                chunk[i]
                    .iter()
                    .map(|a| Bytes(a.clone()))
                    .collect::<Vec<_>>()
            );
        }
    }
}

fn encoding(c: &mut Conn, key: &str) -> String {
    c.cmd(&["OBJECT", "ENCODING", key])
        .as_str()
        .unwrap_or_default()
}

const WRONGTYPE: &str = "WRONGTYPE Operation against a key holding the wrong kind of value";

// ---------------------------------------------------------------------------
// Exact replies per family
// ---------------------------------------------------------------------------

#[test]
fn hashes_exact_replies() {
    with_shards(|_, c| {
        assert_eq!(c.cmd(&["HSET", "h", "a", "1", "b", "2"]), int(2));
        assert_eq!(c.cmd(&["HSET", "h", "a", "10", "c", "3"]), int(1));
        assert_eq!(c.cmd(&["HSETNX", "h", "a", "x"]), int(0));
        assert_eq!(c.cmd(&["HSETNX", "h", "d", "4"]), int(1));
        assert_eq!(c.cmd(&["HGET", "h", "a"]), bulk("10"));
        assert_eq!(c.cmd(&["HGET", "h", "zz"]), nil());
        assert_eq!(c.cmd(&["HMSET", "h", "e", "5"]), ok());
        assert_eq!(
            c.cmd(&["HMGET", "h", "a", "zz", "e"]),
            opt_bulks(&[Some("10"), None, Some("5")])
        );
        // Small hashes keep insertion order (listpack).
        assert_eq!(
            c.cmd(&["HGETALL", "h"]),
            bulks(&["a", "10", "b", "2", "c", "3", "d", "4", "e", "5"])
        );
        assert_eq!(c.cmd(&["HKEYS", "h"]), bulks(&["a", "b", "c", "d", "e"]));
        assert_eq!(c.cmd(&["HVALS", "h"]), bulks(&["10", "2", "3", "4", "5"]));
        assert_eq!(c.cmd(&["HLEN", "h"]), int(5));
        assert_eq!(c.cmd(&["HEXISTS", "h", "a"]), int(1));
        assert_eq!(c.cmd(&["HEXISTS", "h", "zz"]), int(0));
        assert_eq!(c.cmd(&["HSTRLEN", "h", "a"]), int(2));
        assert_eq!(c.cmd(&["HDEL", "h", "a", "zz"]), int(1));
        assert_eq!(c.cmd(&["HINCRBY", "h", "b", "40"]), int(42));
        assert_eq!(c.cmd(&["HINCRBY", "h", "n", "-3"]), int(-3));
        assert_eq!(
            c.cmd(&["HINCRBY", "h", "b", "x"]),
            err("ERR value is not an integer or out of range")
        );
        assert_eq!(c.cmd(&["HSET", "h", "s", "str"]), int(1));
        assert_eq!(
            c.cmd(&["HINCRBY", "h", "s", "1"]),
            err("ERR hash value is not an integer")
        );
        assert_eq!(
            c.cmd(&["HINCRBYFLOAT", "h", "s", "1"]),
            err("ERR hash value is not a float")
        );
        assert_eq!(c.cmd(&["HINCRBYFLOAT", "h", "f", "10.5"]), bulk("10.5"));
        assert_eq!(c.cmd(&["HINCRBYFLOAT", "h", "f", "0.1"]), bulk("10.6"));
        assert_eq!(c.cmd(&["HINCRBYFLOAT", "h", "f", "-10.6"]), bulk("0"));
        assert_eq!(c.cmd(&["HINCRBYFLOAT", "h", "f", "5.0e3"]), bulk("5000"));
        assert_eq!(c.cmd(&["HSET", "h", "big", "9223372036854775807"]), int(1));
        assert_eq!(
            c.cmd(&["HINCRBY", "h", "big", "1"]),
            err("ERR increment or decrement would overflow")
        );
        assert_eq!(c.cmd(&["HRANDFIELD", "nokey"]), nil());
        assert_eq!(c.cmd(&["HRANDFIELD", "nokey", "2"]), arr(vec![]));
        let one = c.cmd(&["HRANDFIELD", "h"]);
        assert!(
            c.cmd(&["HEXISTS", "h", &one.as_str().unwrap()]) == int(1),
            "{one:?}"
        );
        let all = set_of(&c.cmd(&["HKEYS", "h"]));
        let picked = strings(&c.cmd(&["HRANDFIELD", "h", "100"]));
        assert_eq!(picked.iter().cloned().collect::<BTreeSet<_>>(), all);
        assert_eq!(picked.len(), all.len());
        let rep = strings(&c.cmd(&["HRANDFIELD", "h", "-20"]));
        assert_eq!(rep.len(), 20);
        assert!(rep.iter().all(|f| all.contains(f)));
        let wv = strings(&c.cmd(&["HRANDFIELD", "h", "2", "WITHVALUES"]));
        assert_eq!(wv.len(), 4);
        for p in wv.chunks(2) {
            assert_eq!(c.cmd(&["HGET", "h", &p[0]]), bulk(&p[1]));
        }
        let scan = c.cmd(&["HSCAN", "h", "0", "MATCH", "b*"]);
        assert_eq!(
            scan,
            arr(vec![
                bulk("0"),
                bulks(&["b", "42", "big", "9223372036854775807"])
            ])
        );
        assert_eq!(c.cmd(&["TYPE", "h"]), simple("hash"));
        assert_eq!(encoding(c, "h"), "listpack");
        assert_eq!(c.cmd(&["SET", "str", "x"]), ok());
        assert_eq!(c.cmd(&["HGET", "str", "f"]), err(WRONGTYPE));
        assert_eq!(c.cmd(&["HSET", "str", "f", "v"]), err(WRONGTYPE));
        assert_eq!(c.cmd(&["GET", "h"]), err(WRONGTYPE));
        assert_eq!(
            c.cmd(&["HSET", "h", "x"]),
            err("ERR wrong number of arguments for 'hset' command")
        );
        assert_eq!(c.cmd(&["DEL", "h"]), int(1));
        assert_eq!(c.cmd(&["HLEN", "h"]), int(0));
        assert_eq!(c.cmd(&["HGETALL", "h"]), arr(vec![]));
    });
}

#[test]
fn lists_exact_replies() {
    with_shards(|_, c| {
        assert_eq!(c.cmd(&["RPUSH", "l", "a", "b", "c"]), int(3));
        assert_eq!(c.cmd(&["LPUSH", "l", "z"]), int(4));
        assert_eq!(c.cmd(&["LPUSHX", "nokey", "x"]), int(0));
        assert_eq!(c.cmd(&["RPUSHX", "l", "d"]), int(5));
        assert_eq!(
            c.cmd(&["LRANGE", "l", "0", "-1"]),
            bulks(&["z", "a", "b", "c", "d"])
        );
        assert_eq!(c.cmd(&["LRANGE", "l", "-2", "100"]), bulks(&["c", "d"]));
        assert_eq!(c.cmd(&["LINDEX", "l", "-1"]), bulk("d"));
        assert_eq!(c.cmd(&["LINDEX", "l", "9"]), nil());
        assert_eq!(c.cmd(&["LSET", "l", "1", "A"]), ok());
        assert_eq!(
            c.cmd(&["LSET", "l", "9", "A"]),
            err("ERR index out of range")
        );
        assert_eq!(c.cmd(&["LSET", "nokey", "0", "A"]), err("ERR no such key"));
        assert_eq!(c.cmd(&["LINSERT", "l", "BEFORE", "b", "ab"]), int(6));
        assert_eq!(c.cmd(&["LINSERT", "l", "AFTER", "nope", "x"]), int(-1));
        assert_eq!(c.cmd(&["LINSERT", "nokey", "AFTER", "a", "x"]), int(0));
        assert_eq!(c.cmd(&["RPUSH", "l", "b", "b"]), int(8));
        assert_eq!(c.cmd(&["LPOS", "l", "b"]), int(3));
        assert_eq!(c.cmd(&["LPOS", "l", "b", "RANK", "-1"]), int(7));
        assert_eq!(
            c.cmd(&["LPOS", "l", "b", "COUNT", "0"]),
            arr(vec![int(3), int(6), int(7)])
        );
        assert_eq!(c.cmd(&["LPOS", "l", "zz"]), nil());
        assert_eq!(c.cmd(&["LREM", "l", "-1", "b"]), int(1));
        assert_eq!(c.cmd(&["LREM", "l", "0", "b"]), int(2));
        assert_eq!(
            c.cmd(&["LRANGE", "l", "0", "-1"]),
            bulks(&["z", "A", "ab", "c", "d"])
        );
        assert_eq!(c.cmd(&["LTRIM", "l", "1", "-2"]), ok());
        assert_eq!(c.cmd(&["LRANGE", "l", "0", "-1"]), bulks(&["A", "ab", "c"]));
        assert_eq!(c.cmd(&["LLEN", "l"]), int(3));
        assert_eq!(c.cmd(&["LPOP", "l"]), bulk("A"));
        assert_eq!(c.cmd(&["RPOP", "l", "5"]), bulks(&["c", "ab"]));
        assert_eq!(c.cmd(&["EXISTS", "l"]), int(0));
        assert_eq!(c.cmd(&["LPOP", "l"]), nil());
        assert_eq!(c.cmd(&["LPOP", "l", "2"]), nil_array());
        assert_eq!(c.cmd(&["RPUSH", "s", "1", "2", "3"]), int(3));
        assert_eq!(c.cmd(&["LMOVE", "s", "d", "LEFT", "RIGHT"]), bulk("1"));
        assert_eq!(c.cmd(&["RPOPLPUSH", "s", "d"]), bulk("3"));
        assert_eq!(c.cmd(&["LRANGE", "d", "0", "-1"]), bulks(&["3", "1"]));
        assert_eq!(
            c.cmd(&["LMPOP", "2", "nokey", "d", "RIGHT", "COUNT", "9"]),
            arr(vec![bulk("d"), bulks(&["1", "3"])])
        );
        assert_eq!(c.cmd(&["LMPOP", "1", "nokey", "LEFT"]), nil_array());
        assert_eq!(c.cmd(&["TYPE", "s"]), simple("list"));
        assert_eq!(encoding(c, "s"), "quicklist");
        assert_eq!(c.cmd(&["LPUSH", "s", "x"]), int(2));
        assert_eq!(c.cmd(&["SADD", "s", "x"]), err(WRONGTYPE));
        assert_eq!(c.cmd(&["SET", "str", "x"]), ok());
        assert_eq!(c.cmd(&["LPUSH", "str", "x"]), err(WRONGTYPE));
        assert_eq!(
            c.cmd(&["LMOVE", "s", "str", "LEFT", "LEFT"]),
            err(WRONGTYPE)
        );
        assert_eq!(c.cmd(&["LLEN", "s"]), int(2));
    });
}

#[test]
fn sets_exact_replies() {
    with_shards(|_, c| {
        assert_eq!(c.cmd(&["SADD", "s", "3", "1", "2", "1"]), int(3));
        assert_eq!(c.cmd(&["SMEMBERS", "s"]), bulks(&["1", "2", "3"]));
        assert_eq!(encoding(c, "s"), "intset");
        assert_eq!(c.cmd(&["SADD", "s", "a"]), int(1));
        assert_eq!(encoding(c, "s"), "hashtable");
        assert_eq!(c.cmd(&["SISMEMBER", "s", "a"]), int(1));
        assert_eq!(
            c.cmd(&["SMISMEMBER", "s", "a", "q", "1"]),
            arr(vec![int(1), int(0), int(1)])
        );
        assert_eq!(c.cmd(&["SCARD", "s"]), int(4));
        assert_eq!(c.cmd(&["SREM", "s", "a", "q"]), int(1));
        assert_eq!(c.cmd(&["SADD", "t", "2", "3", "4"]), int(3));
        assert_eq!(set_of(&c.cmd(&["SINTER", "s", "t"])), sset(&["2", "3"]));
        assert_eq!(
            set_of(&c.cmd(&["SUNION", "s", "t"])),
            sset(&["1", "2", "3", "4"])
        );
        assert_eq!(set_of(&c.cmd(&["SDIFF", "s", "t"])), sset(&["1"]));
        assert_eq!(c.cmd(&["SINTERCARD", "2", "s", "t"]), int(2));
        assert_eq!(c.cmd(&["SINTERCARD", "2", "s", "t", "LIMIT", "1"]), int(1));
        assert_eq!(c.cmd(&["SINTERSTORE", "d", "s", "t"]), int(2));
        assert_eq!(c.cmd(&["SUNIONSTORE", "d", "s", "t"]), int(4));
        assert_eq!(c.cmd(&["SDIFFSTORE", "d", "t", "s"]), int(1));
        assert_eq!(c.cmd(&["SMEMBERS", "d"]), bulks(&["4"]));
        assert_eq!(c.cmd(&["SDIFFSTORE", "d", "s", "s"]), int(0));
        assert_eq!(c.cmd(&["EXISTS", "d"]), int(0));
        assert_eq!(c.cmd(&["SMOVE", "s", "t", "1"]), int(1));
        assert_eq!(c.cmd(&["SMOVE", "s", "t", "1"]), int(0));
        assert_eq!(c.cmd(&["SCARD", "t"]), int(4));
        assert_eq!(c.cmd(&["SRANDMEMBER", "nokey"]), nil());
        assert_eq!(c.cmd(&["SPOP", "nokey"]), nil());
        assert_eq!(c.cmd(&["SPOP", "nokey", "2"]), arr(vec![]));
        // SPOP with a count: popped + remaining = original, disjoint.
        let before = set_of(&c.cmd(&["SMEMBERS", "t"]));
        let popped = set_of(&c.cmd(&["SPOP", "t", "3"]));
        let after = set_of(&c.cmd(&["SMEMBERS", "t"]));
        assert_eq!(popped.len(), 3);
        assert!(popped.is_disjoint(&after));
        assert_eq!(
            popped.union(&after).cloned().collect::<BTreeSet<_>>(),
            before
        );
        let last = c.cmd(&["SPOP", "t"]);
        assert_eq!(BTreeSet::from([last.as_str().unwrap()]), after);
        assert_eq!(c.cmd(&["EXISTS", "t"]), int(0));
        let scan = c.cmd(&["SSCAN", "s", "0"]);
        assert_eq!(scan.array()[0], bulk("0"));
        assert_eq!(set_of(&scan.array()[1]), sset(&["2", "3"]));
        assert_eq!(c.cmd(&["TYPE", "s"]), simple("set"));
        assert_eq!(c.cmd(&["LPUSH", "s", "x"]), err(WRONGTYPE));
        assert_eq!(
            c.cmd(&["SINTERCARD", "0", "s"]),
            err("ERR numkeys should be greater than 0")
        );
    });
}

#[test]
fn zsets_exact_replies() {
    with_shards(|_, c| {
        assert_eq!(c.cmd(&["ZADD", "z", "1", "a", "2", "b", "3", "c"]), int(3));
        assert_eq!(c.cmd(&["ZADD", "z", "CH", "5", "a", "4", "d"]), int(2));
        assert_eq!(c.cmd(&["ZADD", "z", "NX", "9", "a"]), int(0));
        assert_eq!(c.cmd(&["ZADD", "z", "XX", "INCR", "1", "a"]), bulk("6"));
        assert_eq!(c.cmd(&["ZADD", "z", "XX", "INCR", "1", "q"]), nil());
        assert_eq!(c.cmd(&["ZADD", "z", "GT", "CH", "1", "a"]), int(0));
        assert_eq!(c.cmd(&["ZADD", "z", "LT", "CH", "1", "a"]), int(1));
        assert_eq!(
            c.cmd(&["ZADD", "z", "NX", "XX", "1", "a"]),
            err("ERR XX and NX options at the same time are not compatible")
        );
        assert_eq!(
            c.cmd(&["ZADD", "z", "GT", "LT", "1", "a"]),
            err("ERR GT, LT, and/or NX options at the same time are not compatible")
        );
        assert_eq!(
            c.cmd(&["ZADD", "z", "nan", "a"]),
            err("ERR value is not a valid float")
        );
        assert_eq!(c.cmd(&["ZINCRBY", "z", "0.5", "b"]), bulk("2.5"));
        assert_eq!(c.cmd(&["ZSCORE", "z", "b"]), bulk("2.5"));
        assert_eq!(
            c.cmd(&["ZMSCORE", "z", "a", "zz"]),
            opt_bulks(&[Some("1"), None])
        );
        assert_eq!(
            c.cmd(&["ZRANGE", "z", "0", "-1", "WITHSCORES"]),
            bulks(&["a", "1", "b", "2.5", "c", "3", "d", "4"])
        );
        assert_eq!(c.cmd(&["ZCARD", "z"]), int(4));
        assert_eq!(c.cmd(&["ZCOUNT", "z", "(1", "3"]), int(2));
        assert_eq!(c.cmd(&["ZRANK", "z", "c"]), int(2));
        assert_eq!(c.cmd(&["ZREVRANK", "z", "c"]), int(1));
        assert_eq!(c.cmd(&["ZRANK", "z", "zz"]), nil());
        assert_eq!(
            c.cmd(&["ZRANGE", "z", "(1", "+inf", "BYSCORE", "LIMIT", "1", "2"]),
            bulks(&["c", "d"])
        );
        assert_eq!(
            c.cmd(&["ZRANGE", "z", "+inf", "-inf", "BYSCORE", "REV", "LIMIT", "0", "1"]),
            bulks(&["d"])
        );
        assert_eq!(c.cmd(&["ZREVRANGE", "z", "0", "1"]), bulks(&["d", "c"]));
        assert_eq!(
            c.cmd(&["ZRANGEBYSCORE", "z", "2", "(4"]),
            bulks(&["b", "c"])
        );
        assert_eq!(
            c.cmd(&["ZREVRANGEBYSCORE", "z", "4", "3", "WITHSCORES"]),
            bulks(&["d", "4", "c", "3"])
        );
        assert_eq!(
            c.cmd(&["ZADD", "lx", "0", "a", "0", "b", "0", "c", "0", "d"]),
            int(4)
        );
        assert_eq!(c.cmd(&["ZLEXCOUNT", "lx", "[b", "+"]), int(3));
        assert_eq!(
            c.cmd(&["ZRANGEBYLEX", "lx", "(a", "[c"]),
            bulks(&["b", "c"])
        );
        assert_eq!(
            c.cmd(&["ZREVRANGEBYLEX", "lx", "+", "(b"]),
            bulks(&["d", "c"])
        );
        assert_eq!(
            c.cmd(&["ZRANGE", "lx", "[c", "-", "BYLEX", "REV"]),
            bulks(&["c", "b", "a"])
        );
        assert_eq!(
            c.cmd(&["ZRANGEBYLEX", "lx", "a", "+"]),
            err("ERR min or max not valid string range item")
        );
        assert_eq!(c.cmd(&["ZRANGESTORE", "dst", "z", "1", "2"]), int(2));
        assert_eq!(c.cmd(&["ZRANGE", "dst", "0", "-1"]), bulks(&["b", "c"]));
        assert_eq!(c.cmd(&["ZREMRANGEBYLEX", "lx", "[a", "[b"]), int(2));
        assert_eq!(c.cmd(&["ZREMRANGEBYRANK", "lx", "0", "0"]), int(1));
        assert_eq!(c.cmd(&["ZREMRANGEBYSCORE", "lx", "-inf", "+inf"]), int(1));
        assert_eq!(c.cmd(&["EXISTS", "lx"]), int(0));
        assert_eq!(c.cmd(&["ZPOPMIN", "z"]), bulks(&["a", "1"]));
        assert_eq!(c.cmd(&["ZPOPMAX", "z", "2"]), bulks(&["d", "4", "c", "3"]));
        assert_eq!(c.cmd(&["ZPOPMIN", "nokey"]), arr(vec![]));
        assert_eq!(
            c.cmd(&["ZMPOP", "2", "nokey", "z", "MIN", "COUNT", "5"]),
            arr(vec![bulk("z"), arr(vec![bulks(&["b", "2.5"])])])
        );
        assert_eq!(c.cmd(&["ZMPOP", "1", "z", "MIN"]), nil_array());
        assert_eq!(c.cmd(&["ZADD", "za", "1", "a", "2", "b"]), int(2));
        assert_eq!(c.cmd(&["ZADD", "zb", "10", "b", "20", "c"]), int(2));
        assert_eq!(
            c.cmd(&["ZUNION", "2", "za", "zb", "WITHSCORES"]),
            bulks(&["a", "1", "b", "12", "c", "20"])
        );
        assert_eq!(
            c.cmd(&["ZINTER", "2", "za", "zb", "AGGREGATE", "MAX", "WITHSCORES"]),
            bulks(&["b", "10"])
        );
        assert_eq!(c.cmd(&["ZDIFF", "2", "za", "zb"]), bulks(&["a"]));
        assert_eq!(
            c.cmd(&["ZUNIONSTORE", "zu", "2", "za", "zb", "WEIGHTS", "2", "1"]),
            int(3)
        );
        assert_eq!(
            c.cmd(&["ZRANGE", "zu", "0", "-1", "WITHSCORES"]),
            bulks(&["a", "2", "b", "14", "c", "20"])
        );
        assert_eq!(c.cmd(&["ZINTERSTORE", "zi", "2", "za", "zb"]), int(1));
        assert_eq!(c.cmd(&["ZDIFFSTORE", "zd", "2", "zb", "za"]), int(1));
        assert_eq!(
            c.cmd(&["ZRANGE", "zd", "0", "-1", "WITHSCORES"]),
            bulks(&["c", "20"])
        );
        assert_eq!(c.cmd(&["ZINTERCARD", "2", "za", "zb"]), int(1));
        let r = strings(&c.cmd(&["ZRANDMEMBER", "zu", "-5", "WITHSCORES"]));
        assert_eq!(r.len(), 10);
        for p in r.chunks(2) {
            assert_eq!(c.cmd(&["ZSCORE", "zu", &p[0]]), bulk(&p[1]));
        }
        assert_eq!(
            c.cmd(&["ZSCAN", "za", "0"]),
            arr(vec![bulk("0"), bulks(&["a", "1", "b", "2"])])
        );
        assert_eq!(c.cmd(&["TYPE", "za"]), simple("zset"));
        assert_eq!(encoding(c, "za"), "listpack");
        assert_eq!(c.cmd(&["HSET", "za", "f", "v"]), err(WRONGTYPE));
    });
}

#[test]
fn bitmaps_and_hyperloglog_exact_replies() {
    with_shards(|_, c| {
        assert_eq!(c.cmd(&["SETBIT", "b", "7", "1"]), int(0));
        assert_eq!(c.cmd(&["SETBIT", "b", "7", "0"]), int(1));
        assert_eq!(c.cmd(&["SETBIT", "b", "9", "1"]), int(0));
        assert_eq!(c.cmd(&["GET", "b"]), bulk(b"\x00\x40"));
        assert_eq!(c.cmd(&["GETBIT", "b", "9"]), int(1));
        assert_eq!(c.cmd(&["GETBIT", "b", "1000"]), int(0));
        assert_eq!(
            c.cmd(&["SETBIT", "b", "1", "5"]),
            err("ERR bit is not an integer or out of range")
        );
        assert_eq!(
            c.cmd(&["SETBIT", "b", "-1", "1"]),
            err("ERR bit offset is not an integer or out of range")
        );
        assert_eq!(c.cmd(&["SET", "s", "foobar"]), ok());
        assert_eq!(c.cmd(&["BITCOUNT", "s"]), int(26));
        assert_eq!(c.cmd(&["BITCOUNT", "s", "1", "1"]), int(6));
        assert_eq!(c.cmd(&["BITCOUNT", "s", "5", "30", "BIT"]), int(17));
        assert_eq!(c.cmd(&["BITPOS", "b", "1"]), int(9));
        assert_eq!(c.cmd(&["BITPOS", "b", "0"]), int(0));
        assert_eq!(c.cmd(&["SET", "ff", "\u{7f}"]), ok());
        assert_eq!(c.cmd(&["SET", "k1", "abc"]), ok());
        assert_eq!(c.cmd(&["SET", "k2", "a"]), ok());
        assert_eq!(c.cmd(&["BITOP", "AND", "dk", "k1", "k2"]), int(3));
        assert_eq!(c.cmd(&["GET", "dk"]), bulk(b"a\x00\x00"));
        assert_eq!(c.cmd(&["BITOP", "NOT", "dk", "k2"]), int(1));
        assert_eq!(c.cmd(&["GET", "dk"]), bulk(b"\x9e"));
        assert_eq!(
            c.cmd(&[
                "BITFIELD", "bf", "SET", "u8", "0", "255", "GET", "u8", "0", "INCRBY", "u8", "0",
                "10"
            ]),
            arr(vec![int(0), int(255), int(9)])
        );
        assert_eq!(
            c.cmd(&["BITFIELD", "bf", "OVERFLOW", "FAIL", "INCRBY", "u8", "0", "250"]),
            arr(vec![nil()])
        );
        assert_eq!(
            c.cmd(&["BITFIELD", "bf", "OVERFLOW", "SAT", "INCRBY", "i8", "0", "-200"]),
            arr(vec![int(-128)])
        );
        assert_eq!(
            c.cmd(&["BITFIELD_RO", "bf", "GET", "i8", "0"]),
            arr(vec![int(-128)])
        );
        assert_eq!(
            c.cmd(&["BITFIELD_RO", "bf", "SET", "i8", "0", "1"]),
            err("ERR BITFIELD_RO only supports the GET subcommand")
        );
        assert_eq!(c.cmd(&["LPUSH", "l", "x"]), int(1));
        assert_eq!(c.cmd(&["SETBIT", "l", "0", "1"]), err(WRONGTYPE));
        assert_eq!(c.cmd(&["BITCOUNT", "l"]), err(WRONGTYPE));

        assert_eq!(c.cmd(&["PFADD", "p", "a", "b", "c"]), int(1));
        assert_eq!(c.cmd(&["PFADD", "p", "a"]), int(0));
        assert_eq!(c.cmd(&["PFCOUNT", "p"]), int(3));
        assert_eq!(c.cmd(&["PFADD", "p2", "c", "d"]), int(1));
        assert_eq!(c.cmd(&["PFCOUNT", "p", "p2"]), int(4));
        assert_eq!(c.cmd(&["PFMERGE", "pm", "p", "p2"]), ok());
        assert_eq!(c.cmd(&["PFCOUNT", "pm"]), int(4));
        assert_eq!(c.cmd(&["TYPE", "pm"]), simple("string"));
        let raw = c.cmd(&["GET", "pm"]);
        assert!(raw.as_bytes().unwrap().starts_with(b"HYLL"), "{raw:?}");
        assert_eq!(
            c.cmd(&["PFADD", "s", "x"]),
            err("WRONGTYPE Key is not a valid HyperLogLog string value.")
        );
        assert_eq!(c.cmd(&["PFCOUNT", "l"]), err(WRONGTYPE));
        // 100k distinct elements: within HLL's error (0.81% std err; 3%).
        let mut cmds = Vec::new();
        for i in 0..1000 {
            let mut a = args(&["PFADD", "big"]);
            a.extend((0..100).map(|j| format!("e{i}-{j}").into_bytes()));
            cmds.push(a);
        }
        load(c, &cmds, |r| matches!(r, Reply::Integer(0 | 1)));
        let n = c.cmd(&["PFCOUNT", "big"]).int();
        assert!((97_000..=103_000).contains(&n), "PFCOUNT big = {n}");
        assert_eq!(c.cmd(&["STRLEN", "big"]), int(12304));
    });
}

// ---------------------------------------------------------------------------
// A big sorted set: 200,000 members, pipelined load, rank/range latency
// ---------------------------------------------------------------------------

#[test]
fn big_zset_rank_and_range_latency() {
    const N: usize = 200_000;
    with_shards(|_, c| {
        let mut cmds = Vec::new();
        for chunk in 0..N / 100 {
            let mut a = args(&["ZADD", "bigz"]);
            for i in chunk * 100..(chunk + 1) * 100 {
                a.push(i.to_string().into_bytes());
                a.push(format!("m{i}").into_bytes());
            }
            cmds.push(a);
        }
        let t = Instant::now();
        load(c, &cmds, |r| *r == int(100));
        eprintln!("loaded {N} zset members in {:?}", t.elapsed());
        assert_eq!(c.cmd(&["ZCARD", "bigz"]), int(N as i64));
        assert_eq!(encoding(c, "bigz"), "skiplist");

        let mut rank_lat = Vec::new();
        let mut range_lat = Vec::new();
        for probe in [0usize, 1, 99_999, 123_456, N - 1] {
            for _ in 0..5 {
                let m = format!("m{probe}");
                let t = Instant::now();
                let r = c.cmd(&["ZREVRANK", "bigz", &m]);
                rank_lat.push(t.elapsed());
                assert_eq!(r, int((N - 1 - probe) as i64));
            }
        }
        let expect: Vec<String> = (0..100).map(|i| format!("m{}", N - 1 - i)).collect();
        for _ in 0..25 {
            let t = Instant::now();
            let r = c.cmd(&["ZREVRANGE", "bigz", "0", "99"]);
            range_lat.push(t.elapsed());
            assert_eq!(strings(&r), expect);
        }
        rank_lat.sort();
        range_lat.sort();
        let med = |v: &[Duration]| v[v.len() / 2];
        eprintln!(
            "ZREVRANK median {:?} max {:?}; ZREVRANGE 0 99 median {:?} max {:?}",
            med(&rank_lat),
            rank_lat.last().unwrap(),
            med(&range_lat),
            range_lat.last().unwrap()
        );
        // Loose sanity bound on the median (the machine is shared).
        assert!(med(&rank_lat) < Duration::from_millis(5), "{rank_lat:?}");
        assert!(med(&range_lat) < Duration::from_millis(5), "{range_lat:?}");

        assert_eq!(c.cmd(&["ZRANK", "bigz", "m150000"]), int(150_000));
        assert_eq!(c.cmd(&["ZSCORE", "bigz", "m150000"]), bulk("150000"));
        assert_eq!(c.cmd(&["ZCOUNT", "bigz", "1000", "(2000"]), int(1000));
        assert_eq!(
            c.cmd(&["ZRANGEBYSCORE", "bigz", "(199997", "+inf", "WITHSCORES"]),
            bulks(&["m199998", "199998", "m199999", "199999"])
        );
        assert_eq!(
            c.cmd(&["ZRANGE", "bigz", "150000", "+inf", "BYSCORE", "LIMIT", "10", "2"]),
            bulks(&["m150010", "m150011"])
        );
        assert_eq!(
            c.cmd(&["ZREVRANGE", "bigz", "-2", "-1"]),
            bulks(&["m1", "m0"])
        );
        assert_eq!(
            c.cmd(&["ZREMRANGEBYRANK", "bigz", "0", "99999"]),
            int(100_000)
        );
        assert_eq!(c.cmd(&["ZRANK", "bigz", "m100000"]), int(0));
        assert_eq!(c.cmd(&["ZREVRANK", "bigz", "m100000"]), int(99_999));
        assert_eq!(c.cmd(&["DEL", "bigz"]), int(1));
    });
}

// ---------------------------------------------------------------------------
// redis-benchmark-style LPUSH / LRANGE flows
// ---------------------------------------------------------------------------

#[test]
fn benchmark_style_lpush_lrange() {
    const CLIENTS: usize = 4;
    const PER_CLIENT: usize = 5_000;
    with_shards(|s, c| {
        // Like `redis-benchmark -t lpush,lrange -P 16 -c 4`: each client
        // pipelines LPUSH mylist xxx in batches of 16.
        let handles: Vec<_> = (0..CLIENTS)
            .map(|_| {
                let port = s.port;
                thread::spawn(move || {
                    let mut c = Conn::connect(port);
                    for _ in 0..PER_CLIENT / 16 {
                        let cmds: Vec<Vec<&str>> =
                            (0..16).map(|_| vec!["LPUSH", "mylist", "xxx"]).collect();
                        for r in c.pipeline(&cmds) {
                            assert!(r.as_int().is_some_and(|n| n > 0), "{r:?}");
                        }
                    }
                    let rest: Vec<Vec<&str>> = (0..PER_CLIENT % 16)
                        .map(|_| vec!["RPUSH", "mylist", "xxx"])
                        .collect();
                    if !rest.is_empty() {
                        c.pipeline(&rest);
                    }
                })
            })
            .collect();
        for h in handles {
            h.join().unwrap();
        }
        let total = (CLIENTS * PER_CLIENT) as i64;
        assert_eq!(c.cmd(&["LLEN", "mylist"]), int(total));
        for n in [100usize, 300, 450, 600] {
            let stop = (n - 1).to_string();
            let cmds: Vec<Vec<&str>> = (0..16)
                .map(|_| vec!["LRANGE", "mylist", "0", &stop])
                .collect();
            for r in c.pipeline(&cmds) {
                let v = r.array();
                assert_eq!(v.len(), n);
                assert!(v.iter().all(|x| *x == bulk("xxx")));
            }
        }
        // Readers and writers at once: LRANGE_100 while LPOP/RPUSH churn.
        let port = s.port;
        let writer = thread::spawn(move || {
            let mut c = Conn::connect(port);
            for i in 0..500 {
                let side = if i % 2 == 0 { "LPOP" } else { "RPOP" };
                assert_eq!(c.cmd(&[side, "mylist"]), bulk("xxx"));
                assert!(c.cmd(&["RPUSH", "mylist", "xxx"]).as_int().is_some());
            }
        });
        for _ in 0..200 {
            let r = c.cmd(&["LRANGE", "mylist", "0", "99"]);
            assert_eq!(r.array().len(), 100);
        }
        writer.join().unwrap();
        assert_eq!(c.cmd(&["LLEN", "mylist"]), int(total));
        // Positions are exact after mixed pushes.
        assert_eq!(c.cmd(&["DEL", "mylist"]), int(1));
        let cmds: Vec<Vec<Vec<u8>>> = (0..1000)
            .map(|i| {
                args(&[
                    if i % 2 == 0 { "RPUSH" } else { "LPUSH" },
                    "ord",
                    &i.to_string(),
                ])
            })
            .collect();
        load(c, &cmds, |r| r.as_int().is_some());
        let all = strings(&c.cmd(&["LRANGE", "ord", "0", "-1"]));
        let mut want: Vec<String> = (0..1000)
            .rev()
            .filter(|i| i % 2 == 1)
            .map(|i| i.to_string())
            .collect();
        want.extend((0..1000).filter(|i| i % 2 == 0).map(|i| i.to_string()));
        assert_eq!(all, want);
        assert_eq!(c.cmd(&["LINDEX", "ord", "500"]), bulk("0"));
        assert_eq!(c.cmd(&["LINDEX", "ord", "-1"]), bulk("998"));
        assert_eq!(encoding(c, "ord"), "quicklist");
    });
}

// ---------------------------------------------------------------------------
// Big collections crossing encodings
// ---------------------------------------------------------------------------

#[test]
fn big_hash_crosses_encoding() {
    with_shards(|_, c| {
        // hash-max-listpack-entries is 512, as in Redis.
        let cmds: Vec<Vec<Vec<u8>>> = (0..512)
            .map(|i| args(&["HSET", "bh", &format!("f{i}"), &format!("v{i}")]))
            .collect();
        load(c, &cmds, |r| *r == int(1));
        assert_eq!(encoding(c, "bh"), "listpack");
        assert_eq!(c.cmd(&["HSET", "bh", "f512", "v512"]), int(1));
        assert_eq!(encoding(c, "bh"), "hashtable");
        let cmds: Vec<Vec<Vec<u8>>> = (513..5000)
            .map(|i| args(&["HSET", "bh", &format!("f{i}"), &format!("v{i}")]))
            .collect();
        load(c, &cmds, |r| *r == int(1));
        assert_eq!(c.cmd(&["HLEN", "bh"]), int(5000));
        let all = c.cmd(&["HGETALL", "bh"]);
        let flat = strings(&all);
        assert_eq!(flat.len(), 10_000);
        for p in flat.chunks(2) {
            assert_eq!(p[1], format!("v{}", &p[0][1..]));
        }
        // Full HSCAN: every field exactly once (no rehash in between).
        let mut cursor = "0".to_string();
        let mut seen = BTreeSet::new();
        for _ in 0..100_000 {
            let r = c.cmd(&["HSCAN", "bh", &cursor, "COUNT", "100"]);
            let parts = r.array();
            cursor = parts[0].as_str().unwrap();
            for p in strings(&parts[1]).chunks(2) {
                seen.insert(p[0].clone());
            }
            if cursor == "0" {
                break;
            }
        }
        assert_eq!(cursor, "0");
        assert_eq!(seen.len(), 5000);
        assert_eq!(
            c.cmd(&["HMGET", "bh", "f0", "f4999", "nope"]),
            opt_bulks(&[Some("v0"), Some("v4999"), None])
        );
        let cmds: Vec<Vec<Vec<u8>>> = (0..4999)
            .map(|i| args(&["HDEL", "bh", &format!("f{i}")]))
            .collect();
        load(c, &cmds, |r| *r == int(1));
        assert_eq!(c.cmd(&["HGETALL", "bh"]), bulks(&["f4999", "v4999"]));
        assert_eq!(encoding(c, "bh"), "hashtable");
        assert_eq!(c.cmd(&["HDEL", "bh", "f4999"]), int(1));
        assert_eq!(c.cmd(&["EXISTS", "bh"]), int(0));
        // A long value converts at once.
        assert_eq!(c.cmd(&["HSET", "hv", "f", &"x".repeat(64)]), int(1));
        assert_eq!(encoding(c, "hv"), "listpack");
        assert_eq!(c.cmd(&["HSET", "hv", "g", &"x".repeat(65)]), int(1));
        assert_eq!(encoding(c, "hv"), "hashtable");
        assert_eq!(c.cmd(&["HSTRLEN", "hv", "g"]), int(65));
    });
}

#[test]
fn big_set_crosses_encoding() {
    with_shards(|_, c| {
        let cmds: Vec<Vec<Vec<u8>>> = (0..512)
            .map(|i| args(&["SADD", "bs", &i.to_string()]))
            .collect();
        load(c, &cmds, |r| *r == int(1));
        assert_eq!(encoding(c, "bs"), "intset");
        let first = strings(&c.cmd(&["SMEMBERS", "bs"]));
        let sorted: Vec<String> = (0..512).map(|i| i.to_string()).collect();
        assert_eq!(first, sorted, "intset members come sorted");
        assert_eq!(c.cmd(&["SADD", "bs", "512"]), int(1));
        assert_eq!(encoding(c, "bs"), "hashtable");
        let cmds: Vec<Vec<Vec<u8>>> = (513..20_000)
            .map(|i| args(&["SADD", "bs", &format!("m{i}")]))
            .collect();
        load(c, &cmds, |r| *r == int(1));
        assert_eq!(c.cmd(&["SCARD", "bs"]), int(20_000));
        assert_eq!(set_of(&c.cmd(&["SMEMBERS", "bs"])).len(), 20_000);
        assert_eq!(c.cmd(&["SISMEMBER", "bs", "m19999"]), int(1));
        assert_eq!(c.cmd(&["SISMEMBER", "bs", "19999"]), int(0));
        let r = strings(&c.cmd(&["SRANDMEMBER", "bs", "100"]));
        assert_eq!(r.iter().collect::<BTreeSet<_>>().len(), 100);
        let r = strings(&c.cmd(&["SRANDMEMBER", "bs", "-100"]));
        assert_eq!(r.len(), 100);
        // Cross-shard set algebra on big sets.
        let other = key_on("bs2", 3);
        let cmds: Vec<Vec<Vec<u8>>> = (10_000..30_000)
            .map(|i| args(&["SADD", &other, &format!("m{i}")]))
            .collect();
        load(c, &cmds, |r| *r == int(1));
        assert_eq!(c.cmd(&["SINTERCARD", "2", "bs", &other]), int(10_000));
        let dst = key_on("bsd", 1);
        assert_eq!(c.cmd(&["SINTERSTORE", &dst, "bs", &other]), int(10_000));
        assert_eq!(c.cmd(&["SUNIONSTORE", &dst, "bs", &other]), int(30_000));
        assert_eq!(c.cmd(&["SDIFFSTORE", &dst, "bs", &other]), int(10_000));
        // SPOP big counts: popped + remaining = original.
        let popped = set_of(&c.cmd(&["SPOP", &dst, "4000"]));
        assert_eq!(popped.len(), 4000);
        let rest = set_of(&c.cmd(&["SMEMBERS", &dst]));
        assert_eq!(rest.len(), 6000);
        assert!(popped.is_disjoint(&rest));
        // Full SSCAN.
        let mut cursor = "0".to_string();
        let mut seen = BTreeSet::new();
        loop {
            let r = c.cmd(&["SSCAN", "bs", &cursor, "COUNT", "500"]);
            cursor = r.array()[0].as_str().unwrap();
            seen.extend(strings(&r.array()[1]));
            if cursor == "0" {
                break;
            }
        }
        assert_eq!(seen.len(), 20_000);
        // Adding a non-integer to an intset converts too.
        assert_eq!(c.cmd(&["SADD", "si", "1", "2"]), int(2));
        assert_eq!(encoding(c, "si"), "intset");
        assert_eq!(c.cmd(&["SADD", "si", "x"]), int(1));
        assert_eq!(encoding(c, "si"), "hashtable");
    });
}

#[test]
fn big_zset_crosses_encoding() {
    with_shards(|_, c| {
        let cmds: Vec<Vec<Vec<u8>>> = (0..128)
            .map(|i| args(&["ZADD", "bz", &i.to_string(), &format!("m{i}")]))
            .collect();
        load(c, &cmds, |r| *r == int(1));
        assert_eq!(encoding(c, "bz"), "listpack");
        assert_eq!(c.cmd(&["ZADD", "bz", "128", "m128"]), int(1));
        assert_eq!(encoding(c, "bz"), "skiplist");
        assert_eq!(
            c.cmd(&["ZRANGE", "bz", "126", "-1"]),
            bulks(&["m126", "m127", "m128"])
        );
        assert_eq!(c.cmd(&["ZADD", "zm", "1", &"m".repeat(64)]), int(1));
        assert_eq!(encoding(c, "zm"), "listpack");
        assert_eq!(c.cmd(&["ZADD", "zm", "1", &"m".repeat(65)]), int(1));
        assert_eq!(encoding(c, "zm"), "skiplist");
        // ZRANGESTORE of a small slice makes a listpack again.
        assert_eq!(c.cmd(&["ZRANGESTORE", "zs", "bz", "0", "9"]), int(10));
        assert_eq!(encoding(c, "zs"), "listpack");
        assert_eq!(c.cmd(&["ZUNIONSTORE", "zu", "2", "bz", "zs"]), int(129));
        assert_eq!(encoding(c, "zu"), "skiplist");
        assert_eq!(c.cmd(&["ZSCORE", "zu", "m5"]), bulk("10"));
    });
}

// ---------------------------------------------------------------------------
// Cross-shard atomicity under concurrency
// ---------------------------------------------------------------------------

#[test]
fn concurrent_cross_shard_moves_conserve_elements() {
    with_shards(|s, c| {
        let sets: Vec<String> = (0..4).map(|i| key_on("cs", i)).collect();
        let lists: Vec<String> = (0..4).map(|i| key_on("cl", i)).collect();
        let members: Vec<String> = (0..200).map(|i| format!("m{i}")).collect();
        let mut a = args(&["SADD", &sets[0]]);
        a.extend(members.iter().map(|m| m.as_bytes().to_vec()));
        assert_eq!(c.cmd(&a), int(200));
        let mut a = args(&["RPUSH", &lists[0]]);
        a.extend(members.iter().map(|m| m.as_bytes().to_vec()));
        assert_eq!(c.cmd(&a), int(200));
        let handles: Vec<_> = (0..4)
            .map(|t| {
                let (port, sets, lists, members) =
                    (s.port, sets.clone(), lists.clone(), members.clone());
                thread::spawn(move || {
                    let mut c = Conn::connect(port);
                    let mut rng = Rng::new(t as u64 + 1);
                    for _ in 0..400 {
                        let from = rng.below(4);
                        let to = rng.below(4);
                        let m = rng.pick(&members);
                        let r = c.cmd(&["SMOVE", &sets[from], &sets[to], m]);
                        assert!(matches!(r, Reply::Integer(0 | 1)), "{r:?}");
                        let r = c.cmd(&["LMOVE", &lists[from], &lists[to], "LEFT", "RIGHT"]);
                        assert!(matches!(r, Reply::Bulk(_) | Reply::Nil), "{r:?}");
                    }
                })
            })
            .collect();
        // Meanwhile, the totals seen by a reader never change.
        for _ in 0..50 {
            let mut total = 0;
            for k in &sets {
                total += c.cmd(&["SCARD", k]).int();
            }
            // Individual reads are not one snapshot; just sanity.
            assert!(total <= 200 * 4);
        }
        for h in handles {
            h.join().unwrap();
        }
        let mut union = BTreeSet::new();
        let mut total = 0;
        for k in &sets {
            let m = set_of(&c.cmd(&["SMEMBERS", k]));
            total += m.len();
            union.extend(m);
        }
        assert_eq!(total, 200);
        assert_eq!(union.len(), 200);
        let mut all = Vec::new();
        for k in &lists {
            all.extend(strings(&c.cmd(&["LRANGE", k, "0", "-1"])));
        }
        all.sort();
        let mut want = members.clone();
        want.sort();
        assert_eq!(all, want);
        // SUNIONSTORE over the four shards gives the whole set back.
        let dst = key_on("csd", 2);
        let mut a = args(&["SUNIONSTORE", &dst]);
        a.extend(sets.iter().map(|k| k.as_bytes().to_vec()));
        assert_eq!(c.cmd(&a), int(200));
    });
}
