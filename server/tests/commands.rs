//! Integration tests against Shardis (1 and 4 shards): exact replies per
//! command family (as Redis 7 gives them), pipelining, cross-shard
//! atomicity under concurrency, expiry, SELECT isolation, CLIENT, SHUTDOWN
//! and SIGTERM.
//!
//! `SHARDIS_TEST_TARGET=redis` runs everything against redis-server instead.

mod common;

use common::*;
use std::collections::{BTreeSet, HashMap};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

/// Run `f` against a fresh server with 1 shard and one with 4 shards.
fn with_shards(f: impl Fn(&Server, &mut Conn)) {
    for shards in [1, 4] {
        let s = start_shardis(shards);
        let mut c = s.connect();
        f(&s, &mut c);
    }
}

fn assert_ttl_between(c: &mut Conn, cmd: &str, key: &str, lo: i64, hi: i64) {
    let r = c.cmd(&[cmd, key]);
    let v = r.int();
    assert!(
        (lo..=hi).contains(&v),
        "{cmd} {key} = {v}, expected {lo}..={hi}"
    );
}

// ---------------------------------------------------------------------------
// Per family, exact replies
// ---------------------------------------------------------------------------

#[test]
fn strings_get_set_family() {
    with_shards(|_, c| {
        assert_eq!(c.cmd(&["GET", "s"]), nil());
        assert_eq!(c.cmd(&["SET", "s", "hello"]), ok());
        assert_eq!(c.cmd(&["GET", "s"]), bulk("hello"));
        assert_eq!(c.cmd(&["SET", "s", "v", "NX"]), nil());
        assert_eq!(c.cmd(&["SET", "s2", "v", "XX"]), nil());
        assert_eq!(c.cmd(&["SET", "s", "world", "XX"]), ok());
        assert_eq!(c.cmd(&["SET", "s", "again", "GET"]), bulk("world"));
        assert_eq!(c.cmd(&["SET", "new", "x", "GET"]), nil());
        assert_eq!(c.cmd(&["SET", "s", "nx", "NX", "GET"]), bulk("again"));
        assert_eq!(c.cmd(&["GET", "s"]), bulk("again"));
        assert_eq!(
            c.cmd(&["SET", "s", "v", "NX", "XX"]),
            err("ERR syntax error")
        );
        assert_eq!(
            c.cmd(&["SET", "s", "v", "EX", "10", "PX", "100"]),
            err("ERR syntax error")
        );
        assert_eq!(
            c.cmd(&["SET", "s", "v", "KEEPTTL", "EX", "10"]),
            err("ERR syntax error")
        );
        assert_eq!(
            c.cmd(&["SET", "s", "v", "EX", "0"]),
            err("ERR invalid expire time in 'set' command")
        );
        assert_eq!(
            c.cmd(&["SET", "s", "v", "EX", "-1"]),
            err("ERR invalid expire time in 'set' command")
        );
        assert_eq!(
            c.cmd(&["SET", "s", "v", "EX", "9223372036854775807"]),
            err("ERR invalid expire time in 'set' command")
        );
        assert_eq!(
            c.cmd(&["SET", "s", "v", "EX", "abc"]),
            err("ERR value is not an integer or out of range")
        );
        assert_eq!(
            c.cmd(&["SET", "s"]),
            err("ERR wrong number of arguments for 'set' command")
        );
        assert_eq!(c.cmd(&["SET", "s", "v", "EX", "100"]), ok());
        assert_ttl_between(c, "TTL", "s", 99, 100);
        assert_eq!(c.cmd(&["SET", "s", "w", "KEEPTTL"]), ok());
        assert_ttl_between(c, "TTL", "s", 98, 100);
        assert_eq!(c.cmd(&["SET", "s", "w"]), ok());
        assert_eq!(c.cmd(&["TTL", "s"]), int(-1));

        // GETSET / GETDEL / GETEX
        assert_eq!(c.cmd(&["GETSET", "gs", "1"]), nil());
        assert_eq!(c.cmd(&["GETSET", "gs", "2"]), bulk("1"));
        assert_eq!(c.cmd(&["GETDEL", "gs"]), bulk("2"));
        assert_eq!(c.cmd(&["GETDEL", "gs"]), nil());
        assert_eq!(c.cmd(&["SET", "ge", "v"]), ok());
        assert_eq!(c.cmd(&["GETEX", "ge", "EX", "100"]), bulk("v"));
        assert_ttl_between(c, "TTL", "ge", 99, 100);
        assert_eq!(c.cmd(&["GETEX", "ge", "PERSIST"]), bulk("v"));
        assert_eq!(c.cmd(&["TTL", "ge"]), int(-1));
        assert_eq!(c.cmd(&["GETEX", "ge", "PX", "100000"]), bulk("v"));
        assert_ttl_between(c, "PTTL", "ge", 98_000, 100_000);
        assert_eq!(
            c.cmd(&["GETEX", "ge", "EX", "0"]),
            err("ERR invalid expire time in 'getex' command")
        );
        assert_eq!(
            c.cmd(&["GETEX", "ge", "PERSIST", "EX", "10"]),
            err("ERR syntax error")
        );
        assert_eq!(c.cmd(&["GETEX", "missing", "EX", "10"]), nil());

        // SETNX / SETEX / PSETEX
        assert_eq!(c.cmd(&["SETNX", "nx", "a"]), int(1));
        assert_eq!(c.cmd(&["SETNX", "nx", "b"]), int(0));
        assert_eq!(c.cmd(&["GET", "nx"]), bulk("a"));
        assert_eq!(c.cmd(&["SETEX", "se", "100", "v"]), ok());
        assert_ttl_between(c, "TTL", "se", 99, 100);
        assert_eq!(
            c.cmd(&["SETEX", "se", "0", "v"]),
            err("ERR invalid expire time in 'setex' command")
        );
        assert_eq!(c.cmd(&["PSETEX", "pe", "100000", "v"]), ok());
        assert_ttl_between(c, "PTTL", "pe", 98_000, 100_000);
        assert_eq!(
            c.cmd(&["PSETEX", "pe", "-1", "v"]),
            err("ERR invalid expire time in 'psetex' command")
        );

        // MSET / MGET / MSETNX
        assert_eq!(c.cmd(&["MSET", "m1", "a", "m2", "b", "m3", "c"]), ok());
        assert_eq!(
            c.cmd(&["MGET", "m1", "m2", "nope", "m3"]),
            opt_bulks(&[Some("a"), Some("b"), None, Some("c")])
        );
        assert_eq!(
            c.cmd(&["MSET", "m1", "a", "m2"]),
            err("ERR wrong number of arguments for 'mset' command")
        );
        assert_eq!(c.cmd(&["MSETNX", "m1", "x", "m4", "y"]), int(0));
        assert_eq!(c.cmd(&["EXISTS", "m4"]), int(0));
        assert_eq!(c.cmd(&["MSETNX", "m4", "x", "m5", "y"]), int(1));
        assert_eq!(c.cmd(&["MGET", "m4", "m5"]), bulks(&["x", "y"]));

        // APPEND / STRLEN / GETRANGE / SETRANGE
        assert_eq!(c.cmd(&["APPEND", "ap", "Hello"]), int(5));
        assert_eq!(c.cmd(&["APPEND", "ap", " World"]), int(11));
        assert_eq!(c.cmd(&["STRLEN", "ap"]), int(11));
        assert_eq!(c.cmd(&["STRLEN", "missing"]), int(0));
        assert_eq!(c.cmd(&["GETRANGE", "ap", "0", "4"]), bulk("Hello"));
        assert_eq!(c.cmd(&["GETRANGE", "ap", "-5", "-1"]), bulk("World"));
        assert_eq!(c.cmd(&["GETRANGE", "ap", "0", "-1"]), bulk("Hello World"));
        assert_eq!(c.cmd(&["GETRANGE", "ap", "5", "2"]), bulk(""));
        assert_eq!(c.cmd(&["GETRANGE", "ap", "100", "200"]), bulk(""));
        assert_eq!(c.cmd(&["GETRANGE", "missing", "0", "-1"]), bulk(""));
        assert_eq!(
            c.cmd(&["GETRANGE", "ap", "a", "1"]),
            err("ERR value is not an integer or out of range")
        );
        assert_eq!(c.cmd(&["SETRANGE", "ap", "6", "Redis"]), int(11));
        assert_eq!(c.cmd(&["GET", "ap"]), bulk("Hello Redis"));
        assert_eq!(c.cmd(&["SETRANGE", "pad", "5", "x"]), int(6));
        assert_eq!(c.cmd(&["GET", "pad"]), bulk(b"\0\0\0\0\0x"));
        assert_eq!(c.cmd(&["SETRANGE", "empty", "3", ""]), int(0));
        assert_eq!(c.cmd(&["EXISTS", "empty"]), int(0));
        assert_eq!(
            c.cmd(&["SETRANGE", "ap", "-1", "x"]),
            err("ERR offset is out of range")
        );
        assert_eq!(
            c.cmd(&["SETRANGE", "ap", "536870912", "x"]),
            err("ERR string exceeds maximum allowed size (proto-max-bulk-len)")
        );
    });
}

#[test]
fn counters_family() {
    with_shards(|_, c| {
        assert_eq!(c.cmd(&["INCR", "n"]), int(1));
        assert_eq!(c.cmd(&["INCRBY", "n", "41"]), int(42));
        assert_eq!(c.cmd(&["DECR", "n"]), int(41));
        assert_eq!(c.cmd(&["DECRBY", "n", "50"]), int(-9));
        assert_eq!(c.cmd(&["GET", "n"]), bulk("-9"));
        assert_eq!(c.cmd(&["SET", "n", "9223372036854775807"]), ok());
        assert_eq!(
            c.cmd(&["INCR", "n"]),
            err("ERR increment or decrement would overflow")
        );
        assert_eq!(
            c.cmd(&["DECRBY", "n", "-9223372036854775808"]),
            err("ERR decrement would overflow")
        );
        assert_eq!(c.cmd(&["SET", "n", "-9223372036854775808"]), ok());
        assert_eq!(
            c.cmd(&["DECR", "n"]),
            err("ERR increment or decrement would overflow")
        );
        assert_eq!(c.cmd(&["SET", "n", "abc"]), ok());
        assert_eq!(
            c.cmd(&["INCR", "n"]),
            err("ERR value is not an integer or out of range")
        );
        assert_eq!(c.cmd(&["SET", "n", " 1"]), ok());
        assert_eq!(
            c.cmd(&["INCR", "n"]),
            err("ERR value is not an integer or out of range")
        );
        assert_eq!(
            c.cmd(&["INCRBY", "m", "1.5"]),
            err("ERR value is not an integer or out of range")
        );
        assert_eq!(c.cmd(&["SET", "m", "5", "EX", "100"]), ok());
        assert_eq!(c.cmd(&["INCR", "m"]), int(6));
        assert_ttl_between(c, "TTL", "m", 99, 100);

        assert_eq!(c.cmd(&["SET", "f", "10.50"]), ok());
        assert_eq!(c.cmd(&["INCRBYFLOAT", "f", "0.1"]), bulk("10.6"));
        assert_eq!(c.cmd(&["INCRBYFLOAT", "f", "-5"]), bulk("5.6"));
        assert_eq!(c.cmd(&["SET", "f", "5.0e3"]), ok());
        assert_eq!(c.cmd(&["INCRBYFLOAT", "f", "2.0e2"]), bulk("5200"));
        assert_eq!(c.cmd(&["INCRBYFLOAT", "f2", "3"]), bulk("3"));
        assert_eq!(
            c.cmd(&["INCRBYFLOAT", "f", "abc"]),
            err("ERR value is not a valid float")
        );
        assert_eq!(
            c.cmd(&["INCRBYFLOAT", "f", "inf"]),
            err("ERR increment would produce NaN or Infinity")
        );
        assert_eq!(c.cmd(&["SET", "f", "x"]), ok());
        assert_eq!(
            c.cmd(&["INCRBYFLOAT", "f", "1"]),
            err("ERR value is not a valid float")
        );
        assert_eq!(
            c.cmd(&["INCR"]),
            err("ERR wrong number of arguments for 'incr' command")
        );
    });
}

#[test]
fn keyspace_family() {
    with_shards(|_, c| {
        assert_eq!(
            c.cmd(&["MSET", "a", "1", "b", "2", "c", "3", "d", "4"]),
            ok()
        );
        assert_eq!(c.cmd(&["EXISTS", "a", "b", "zz", "a"]), int(3));
        assert_eq!(c.cmd(&["TOUCH", "a", "zz", "b"]), int(2));
        assert_eq!(c.cmd(&["TYPE", "a"]), simple("string"));
        assert_eq!(c.cmd(&["TYPE", "zz"]), simple("none"));
        assert_eq!(c.cmd(&["DEL", "a", "zz", "a"]), int(1));
        assert_eq!(c.cmd(&["UNLINK", "b", "c", "zz"]), int(2));
        assert_eq!(c.cmd(&["DBSIZE"]), int(1));

        assert_eq!(c.cmd(&["SET", "r1", "v1", "EX", "100"]), ok());
        assert_eq!(c.cmd(&["RENAME", "r1", "r2"]), ok());
        assert_eq!(c.cmd(&["GET", "r1"]), nil());
        assert_eq!(c.cmd(&["GET", "r2"]), bulk("v1"));
        assert_ttl_between(c, "TTL", "r2", 99, 100);
        assert_eq!(c.cmd(&["RENAME", "r1", "r2"]), err("ERR no such key"));
        assert_eq!(c.cmd(&["RENAME", "r2", "r2"]), ok());
        assert_eq!(c.cmd(&["SET", "r3", "v3"]), ok());
        assert_eq!(c.cmd(&["RENAMENX", "r2", "r3"]), int(0));
        assert_eq!(c.cmd(&["RENAMENX", "r2", "r4"]), int(1));
        assert_eq!(c.cmd(&["RENAMENX", "nokey", "r9"]), err("ERR no such key"));
        assert_eq!(
            c.cmd(&["MGET", "r2", "r3", "r4"]),
            opt_bulks(&[None, Some("v3"), Some("v1")])
        );

        assert_eq!(c.cmd(&["COPY", "r3", "cp"]), int(1));
        assert_eq!(c.cmd(&["COPY", "r3", "cp"]), int(0));
        assert_eq!(c.cmd(&["COPY", "r4", "cp", "REPLACE"]), int(1));
        assert_eq!(c.cmd(&["GET", "cp"]), bulk("v1"));
        assert_eq!(
            c.cmd(&["COPY", "cp", "cp"]),
            err("ERR source and destination objects are the same")
        );
        assert_eq!(c.cmd(&["COPY", "cp", "cp", "DB", "1"]), int(1));
        assert_eq!(
            c.cmd(&["COPY", "cp", "x", "DB", "16"]),
            err("ERR DB index is out of range")
        );
        assert_eq!(c.cmd(&["COPY", "nokey", "x"]), int(0));

        assert_eq!(c.cmd(&["MOVE", "r3", "2"]), int(1));
        assert_eq!(c.cmd(&["MOVE", "r3", "2"]), int(0));
        assert_eq!(
            c.cmd(&["MOVE", "cp", "0"]),
            err("ERR source and destination objects are the same")
        );
        assert_eq!(
            c.cmd(&["MOVE", "cp", "16"]),
            err("ERR DB index is out of range")
        );
        assert_eq!(c.cmd(&["SELECT", "2"]), ok());
        assert_eq!(c.cmd(&["GET", "r3"]), bulk("v3"));
        assert_eq!(c.cmd(&["SELECT", "1"]), ok());
        assert_eq!(c.cmd(&["GET", "cp"]), bulk("v1"));
        assert_eq!(c.cmd(&["SELECT", "0"]), ok());
        assert_eq!(c.cmd(&["FLUSHDB"]), ok());
        assert_eq!(c.cmd(&["DBSIZE"]), int(0));
        assert_eq!(c.cmd(&["RANDOMKEY"]), nil());
        assert_eq!(c.cmd(&["SET", "only", "1"]), ok());
        assert_eq!(c.cmd(&["RANDOMKEY"]), bulk("only"));
        assert_eq!(c.cmd(&["SELECT", "2"]), ok());
        assert_eq!(c.cmd(&["DBSIZE"]), int(1));
        assert_eq!(c.cmd(&["FLUSHALL"]), ok());
        assert_eq!(c.cmd(&["DBSIZE"]), int(0));
        assert_eq!(c.cmd(&["SELECT", "0"]), ok());
        assert_eq!(c.cmd(&["DBSIZE"]), int(0));
    });
}

#[test]
fn expire_family() {
    with_shards(|_, c| {
        assert_eq!(c.cmd(&["SET", "e", "v"]), ok());
        assert_eq!(c.cmd(&["TTL", "e"]), int(-1));
        assert_eq!(c.cmd(&["PTTL", "e"]), int(-1));
        assert_eq!(c.cmd(&["EXPIRETIME", "e"]), int(-1));
        assert_eq!(c.cmd(&["TTL", "missing"]), int(-2));
        assert_eq!(c.cmd(&["PEXPIRETIME", "missing"]), int(-2));
        assert_eq!(c.cmd(&["EXPIRE", "e", "100", "XX"]), int(0));
        assert_eq!(c.cmd(&["EXPIRE", "e", "100", "NX"]), int(1));
        assert_eq!(c.cmd(&["EXPIRE", "e", "200", "NX"]), int(0));
        assert_eq!(c.cmd(&["EXPIRE", "e", "50", "GT"]), int(0));
        assert_eq!(c.cmd(&["EXPIRE", "e", "200", "GT"]), int(1));
        assert_eq!(c.cmd(&["EXPIRE", "e", "300", "LT"]), int(0));
        assert_eq!(c.cmd(&["EXPIRE", "e", "150", "LT"]), int(1));
        assert_ttl_between(c, "TTL", "e", 149, 150);
        let now = unix_now();
        let et = c.cmd(&["EXPIRETIME", "e"]).int();
        assert!((now + 148..=now + 152).contains(&et), "EXPIRETIME {et}");
        let pet = c.cmd(&["PEXPIRETIME", "e"]).int();
        assert!(
            (et * 1000 - 1000..=et * 1000 + 1000).contains(&pet),
            "PEXPIRETIME {pet}"
        );
        assert_eq!(c.cmd(&["PERSIST", "e"]), int(1));
        assert_eq!(c.cmd(&["PERSIST", "e"]), int(0));
        // A persistent key counts as infinite TTL for GT / LT.
        assert_eq!(c.cmd(&["EXPIRE", "e", "100", "GT"]), int(0));
        assert_eq!(c.cmd(&["EXPIRE", "e", "100", "LT"]), int(1));
        let at = (now + 1000).to_string();
        assert_eq!(c.cmd(&["EXPIREAT", "e", &at]), int(1));
        assert_eq!(c.cmd(&["EXPIRETIME", "e"]), int(now + 1000));
        let pat = ((now + 2000) * 1000).to_string();
        assert_eq!(c.cmd(&["PEXPIREAT", "e", &pat]), int(1));
        assert_eq!(c.cmd(&["PEXPIRETIME", "e"]), int((now + 2000) * 1000));
        assert_eq!(c.cmd(&["PEXPIRE", "e", "100000"]), int(1));
        assert_ttl_between(c, "PTTL", "e", 98_000, 100_000);

        assert_eq!(
            c.cmd(&["EXPIRE", "e", "10", "NX", "XX"]),
            err("ERR NX and XX, GT or LT options at the same time are not compatible")
        );
        assert_eq!(
            c.cmd(&["EXPIRE", "e", "10", "GT", "LT"]),
            err("ERR GT and LT options at the same time are not compatible")
        );
        assert_eq!(
            c.cmd(&["EXPIRE", "e", "10", "foo"]),
            err("ERR Unsupported option foo")
        );
        assert_eq!(
            c.cmd(&["EXPIRE", "e", "9223372036854775807"]),
            err("ERR invalid expire time in 'expire' command")
        );
        assert_eq!(
            c.cmd(&["PEXPIRE", "e", "9223372036854775807"]),
            err("ERR invalid expire time in 'pexpire' command")
        );
        assert_eq!(
            c.cmd(&["EXPIRE", "e", "abc"]),
            err("ERR value is not an integer or out of range")
        );
        assert_eq!(c.cmd(&["EXPIRE", "missing", "100"]), int(0));
        // Non-positive TTL / past time deletes the key.
        assert_eq!(c.cmd(&["EXPIRE", "e", "0"]), int(1));
        assert_eq!(c.cmd(&["EXISTS", "e"]), int(0));
        assert_eq!(c.cmd(&["SET", "e", "v"]), ok());
        assert_eq!(c.cmd(&["EXPIREAT", "e", "1"]), int(1));
        assert_eq!(c.cmd(&["GET", "e"]), nil());
        assert_eq!(c.cmd(&["SET", "e", "v"]), ok());
        assert_eq!(c.cmd(&["PEXPIRE", "e", "-5"]), int(1));
        assert_eq!(c.cmd(&["DBSIZE"]), int(0));
    });
}

#[test]
fn connection_family() {
    with_shards(|_, c| {
        assert_eq!(c.cmd(&["PING"]), pong());
        assert_eq!(c.cmd(&["PING", "hi"]), bulk("hi"));
        assert_eq!(
            c.cmd(&["PING", "a", "b"]),
            err("ERR wrong number of arguments for 'ping' command")
        );
        assert_eq!(c.cmd(&["ECHO", "x y"]), bulk("x y"));
        assert_eq!(
            c.cmd(&["ECHO"]),
            err("ERR wrong number of arguments for 'echo' command")
        );
        assert_eq!(c.cmd(&["pInG"]), pong());
        assert_eq!(c.cmd(&["set", "Key", "v"]), ok());
        assert_eq!(c.cmd(&["gEt", "Key"]), bulk("v"));
        assert_eq!(c.cmd(&["GET", "key"]), nil());
        assert_eq!(
            c.cmd(&["foo", "a", "b"]),
            err("ERR unknown command 'foo', with args beginning with: 'a' 'b' ")
        );
        assert_eq!(
            c.cmd(&["foo"]),
            err("ERR unknown command 'foo', with args beginning with: ")
        );
        assert_eq!(
            c.cmd(&["GET"]),
            err("ERR wrong number of arguments for 'get' command")
        );
        assert_eq!(
            c.cmd(&["CONFIG", "GET"]),
            err("ERR wrong number of arguments for 'config|get' command")
        );
        assert_eq!(c.cmd(&["SELECT", "15"]), ok());
        assert_eq!(
            c.cmd(&["SELECT", "16"]),
            err("ERR DB index is out of range")
        );
        assert_eq!(
            c.cmd(&["SELECT", "-1"]),
            err("ERR DB index is out of range")
        );
        assert_eq!(
            c.cmd(&["SELECT", "x"]),
            err("ERR value is not an integer or out of range")
        );
        assert_eq!(c.cmd(&["SELECT", "0"]), ok());

        assert_eq!(c.cmd(&["CLIENT", "GETNAME"]), nil());
        assert_eq!(c.cmd(&["CLIENT", "SETNAME", "conn-1"]), ok());
        assert_eq!(c.cmd(&["CLIENT", "GETNAME"]), bulk("conn-1"));
        assert_eq!(
            c.cmd(&["CLIENT", "SETNAME", "a b"]),
            err("ERR Client names cannot contain spaces, newlines or special characters.")
        );
        assert_eq!(c.cmd(&["CLIENT", "SETNAME", ""]), ok());
        assert_eq!(c.cmd(&["CLIENT", "GETNAME"]), nil());
        assert!(c.cmd(&["CLIENT", "ID"]).int() > 0);

        assert!(c.cmd(&["COMMAND", "COUNT"]).int() > 0);
        let cfg = c.cmd(&["CONFIG", "GET", "maxmemory"]);
        assert_eq!(cfg.array().len(), 2, "CONFIG GET maxmemory: {cfg:?}");
        assert_eq!(cfg.array()[0], bulk("maxmemory"));
        let t = c.cmd(&["TIME"]);
        assert_eq!(t.array().len(), 2);
        let secs: i64 = t.array()[0].as_str().unwrap().parse().unwrap();
        assert!((secs - unix_now()).abs() <= 2);

        // HELLO
        assert_eq!(
            c.cmd(&["HELLO", "4"]),
            err("NOPROTO unsupported protocol version")
        );
        assert_eq!(
            c.cmd(&["HELLO", "abc"]),
            err("ERR Protocol version is not an integer or out of range")
        );
        let h2 = c.cmd(&["HELLO", "2"]);
        let fields: Vec<String> = h2
            .array()
            .chunks(2)
            .map(|p| p[0].as_str().unwrap())
            .collect();
        assert_eq!(
            fields,
            ["server", "version", "proto", "id", "mode", "role", "modules"]
        );
        assert_eq!(h2.array()[5], int(2));
        let h3 = c.cmd(&["HELLO", "3"]);
        let Reply::Map(m) = &h3 else {
            panic!("HELLO 3 must reply with a map: {h3:?}")
        };
        let proto = m.iter().find(|(k, _)| k == &bulk("proto")).map(|p| &p.1);
        assert_eq!(proto, Some(&int(3)));
        // RESP3 replies.
        assert_eq!(c.cmd(&["GET", "missing"]), Reply::Null);
        assert_eq!(
            c.cmd(&["MGET", "Key", "missing"]),
            arr(vec![bulk("v"), Reply::Null])
        );
        let cfg = c.cmd(&["CONFIG", "GET", "maxmemory"]);
        assert!(matches!(cfg, Reply::Map(ref m) if m.len() == 1), "{cfg:?}");
        assert_eq!(c.cmd(&["HELLO", "2", "SETNAME", "back2"]).array().len(), 14);
        assert_eq!(c.cmd(&["GET", "missing"]), nil());
        assert_eq!(c.cmd(&["CLIENT", "GETNAME"]), bulk("back2"));
    });
}

#[test]
fn object_encoding_family() {
    with_shards(|_, c| {
        let cases: &[(&str, &str)] = &[
            ("12345", "int"),
            ("-7", "int"),
            ("9223372036854775807", "int"),
            ("9223372036854775808", "embstr"),
            ("007", "embstr"),
            ("hello", "embstr"),
            ("", "embstr"),
            ("1.5", "embstr"),
        ];
        for (v, enc) in cases {
            assert_eq!(c.cmd(&["SET", "o", v]), ok());
            assert_eq!(
                c.cmd(&["OBJECT", "ENCODING", "o"]),
                bulk(enc),
                "value {v:?}"
            );
        }
        assert_eq!(c.cmd(&["SET", "o", &"x".repeat(44)]), ok());
        assert_eq!(c.cmd(&["OBJECT", "ENCODING", "o"]), bulk("embstr"));
        assert_eq!(c.cmd(&["SET", "o", &"x".repeat(45)]), ok());
        assert_eq!(c.cmd(&["OBJECT", "ENCODING", "o"]), bulk("raw"));
        assert_eq!(c.cmd(&["SET", "o", "abc"]), ok());
        assert_eq!(c.cmd(&["APPEND", "o", "d"]), int(4));
        assert_eq!(c.cmd(&["OBJECT", "ENCODING", "o"]), bulk("raw"));
        assert_eq!(c.cmd(&["INCR", "cnt"]), int(1));
        assert_eq!(c.cmd(&["OBJECT", "ENCODING", "cnt"]), bulk("int"));
        assert_eq!(c.cmd(&["OBJECT", "ENCODING", "missing"]), nil());
        assert_eq!(
            c.cmd(&["OBJECT", "FREQ", "cnt"]),
            err("ERR An LFU maxmemory policy is not selected, access frequency not tracked. Please note that when switching between policies at runtime LRU and LFU data will take some time to adjust.")
        );
        assert!(c.cmd(&["OBJECT", "IDLETIME", "cnt"]).int() >= 0);
        assert_eq!(
            c.cmd(&["OBJECT", "foo"]),
            err("ERR unknown subcommand 'foo'. Try OBJECT HELP.")
        );
    });
}

#[test]
fn keys_glob_patterns() {
    with_shards(|_, c| {
        let names = [
            "hello", "hallo", "hxllo", "hllo", "heeeello", "a*b", "a?b", "a[b", "user:1", "user:2",
            "user:10",
        ];
        for n in names {
            assert_eq!(c.cmd(&["SET", n, "1"]), ok());
        }
        let set = |v: &[&str]| -> BTreeSet<Bytes> { v.iter().map(|s| Bytes::from(*s)).collect() };
        let cases: &[(&str, &[&str])] = &[
            ("h?llo", &["hello", "hallo", "hxllo"]),
            ("h*llo", &["hello", "hallo", "hxllo", "hllo", "heeeello"]),
            ("h[ae]llo", &["hello", "hallo"]),
            ("h[^e]llo", &["hallo", "hxllo"]),
            ("h[a-b]llo", &["hallo"]),
            ("user:?", &["user:1", "user:2"]),
            ("user:[0-9]*", &["user:1", "user:2", "user:10"]),
            ("a\\*b", &["a*b"]),
            ("a\\?b", &["a?b"]),
            ("a\\[b", &["a[b"]),
            ("a?b", &["a*b", "a?b", "a[b"]),
            ("nomatch*", &[]),
        ];
        for (pat, expected) in cases {
            assert_eq!(keys_set(c, pat), set(expected), "KEYS {pat}");
            assert_eq!(
                full_scan(c, &["MATCH", pat, "COUNT", "3"]),
                set(expected),
                "SCAN MATCH {pat}"
            );
        }
        assert_eq!(keys_set(c, "*").len(), names.len());
    });
}

// ---------------------------------------------------------------------------
// Pipelining and spreading over shards
// ---------------------------------------------------------------------------

#[test]
fn pipeline_10000_commands_in_order() {
    with_shards(|_, c| {
        let mut cmds: Vec<Vec<Vec<u8>>> = Vec::with_capacity(10_000);
        let mut expected = Vec::with_capacity(10_000);
        let mut strings: HashMap<String, String> = HashMap::new();
        let mut counters: HashMap<String, i64> = HashMap::new();
        let mut rng = Rng::new(99);
        for i in 0..10_000 {
            match rng.below(3) {
                0 => {
                    let k = format!("p:s:{}", rng.below(500));
                    let v = format!("v{i}");
                    cmds.push(vec![
                        b"SET".to_vec(),
                        k.clone().into_bytes(),
                        v.clone().into_bytes(),
                    ]);
                    expected.push(ok());
                    strings.insert(k, v);
                }
                1 => {
                    let k = format!("p:s:{}", rng.below(500));
                    expected.push(match strings.get(&k) {
                        Some(v) => bulk(v),
                        None => nil(),
                    });
                    cmds.push(vec![b"GET".to_vec(), k.into_bytes()]);
                }
                _ => {
                    let k = format!("p:c:{}", rng.below(50));
                    let n = counters.entry(k.clone()).or_insert(0);
                    *n += 1;
                    expected.push(int(*n));
                    cmds.push(vec![b"INCR".to_vec(), k.into_bytes()]);
                }
            }
        }
        let replies = c.pipeline(&cmds);
        assert_eq!(replies.len(), expected.len());
        for (i, (got, want)) in replies.iter().zip(expected.iter()).enumerate() {
            assert_eq!(got, want, "pipeline reply #{i} for {:?}", cmds[i]);
        }
        assert_eq!(
            c.cmd(&["DBSIZE"]),
            int((strings.len() + counters.len()) as i64)
        );
    });
}

#[test]
fn keys_spread_over_shards_are_all_visible() {
    with_shards(|_, c| {
        let n = 2000;
        let cmds: Vec<Vec<String>> = (0..n)
            .map(|i| vec!["SET".into(), format!("spread:{i}"), i.to_string()])
            .collect();
        for r in c.pipeline(&cmds) {
            assert_eq!(r, ok());
        }
        assert_eq!(c.cmd(&["DBSIZE"]), int(n));
        let expected: BTreeSet<Bytes> = (0..n)
            .map(|i| Bytes::from(format!("spread:{i}").as_str()))
            .collect();
        assert_eq!(keys_set(c, "*"), expected);
        assert_eq!(keys_set(c, "spread:*"), expected);
        assert_eq!(full_scan(c, &[]), expected);
        assert_eq!(full_scan(c, &["COUNT", "1"]), expected);
        assert_eq!(full_scan(c, &["COUNT", "1000", "TYPE", "string"]), expected);
        assert_eq!(full_scan(c, &["TYPE", "list"]), BTreeSet::new());
        let m = full_scan(c, &["MATCH", "spread:1??", "COUNT", "50"]);
        assert_eq!(m.len(), 100);
        // MGET across all shards in one command.
        let mut mget = vec!["MGET".to_string()];
        mget.extend((0..n).map(|i| format!("spread:{i}")));
        let r = c.cmd(&mget);
        for (i, v) in r.array().iter().enumerate() {
            assert_eq!(v, &bulk(i.to_string()));
        }
        let mut del = vec!["DEL".to_string()];
        del.extend((0..n).step_by(2).map(|i| format!("spread:{i}")));
        assert_eq!(c.cmd(&del), int(n / 2));
        assert_eq!(c.cmd(&["DBSIZE"]), int(n / 2));
        let mut exists = vec!["EXISTS".to_string()];
        exists.extend((0..n).map(|i| format!("spread:{i}")));
        assert_eq!(c.cmd(&exists), int(n / 2));
    });
}

// ---------------------------------------------------------------------------
// Concurrency / cross-shard atomicity
// ---------------------------------------------------------------------------

const RUN_FOR: Duration = Duration::from_secs(2);
const MAX_ITERS: usize = 2000;

fn conc_keys(prefix: &str) -> Vec<String> {
    (1..=8).map(|i| format!("{prefix}:k{i}")).collect()
}

#[test]
fn concurrent_mset_is_atomic_for_mget() {
    let server = start_shardis(4);
    let keys = conc_keys("atom");
    let mut c = server.connect();
    let mut init = vec!["MSET".to_string()];
    for k in &keys {
        init.push(k.clone());
        init.push("init".into());
    }
    assert_eq!(c.cmd(&init), ok());
    let stop = Arc::new(AtomicBool::new(false));
    let start = Instant::now();
    let mut handles = Vec::new();
    for w in 0..2 {
        let keys = keys.clone();
        let stop = stop.clone();
        let mut c = server.connect();
        handles.push(thread::spawn(move || {
            let mut i = 0;
            while i < MAX_ITERS && start.elapsed() < RUN_FOR && !stop.load(Ordering::Relaxed) {
                let v = format!("w{w}-{i}");
                let mut cmd = vec!["MSET".to_string()];
                for k in &keys {
                    cmd.push(k.clone());
                    cmd.push(v.clone());
                }
                assert_eq!(c.cmd(&cmd), ok());
                i += 1;
            }
            i
        }));
    }
    let mut readers = Vec::new();
    for _ in 0..2 {
        let keys = keys.clone();
        let stop = stop.clone();
        let mut c = server.connect();
        readers.push(thread::spawn(move || {
            let mut i = 0;
            while i < MAX_ITERS && start.elapsed() < RUN_FOR {
                let mut cmd = vec!["MGET".to_string()];
                cmd.extend(keys.iter().cloned());
                let r = c.cmd(&cmd);
                let vals = r.array();
                if vals.iter().any(|v| v != &vals[0]) {
                    stop.store(true, Ordering::Relaxed);
                    panic!("half-applied MSET observed by MGET: {r:?}");
                }
                i += 1;
            }
            i
        }));
    }
    for h in handles {
        assert!(h.join().expect("writer panicked") > 0);
    }
    for h in readers {
        assert!(h.join().expect("reader panicked") > 0);
    }
}

#[test]
fn concurrent_del_is_atomic_for_exists() {
    let server = start_shardis(4);
    let keys = conc_keys("delatom");
    let stop = Arc::new(AtomicBool::new(false));
    let start = Instant::now();
    let mut handles = Vec::new();
    for w in 0..2 {
        let keys = keys.clone();
        let mut c = server.connect();
        handles.push(thread::spawn(move || {
            let mut i = 0;
            while i < MAX_ITERS && start.elapsed() < RUN_FOR {
                let v = format!("w{w}-{i}");
                let mut mset = vec!["MSET".to_string()];
                for k in &keys {
                    mset.push(k.clone());
                    mset.push(v.clone());
                }
                assert_eq!(c.cmd(&mset), ok());
                let mut del = vec!["DEL".to_string()];
                del.extend(keys.iter().cloned());
                let n = c.cmd(&del).int();
                assert!((0..=8).contains(&n));
                i += 1;
            }
            i
        }));
    }
    let mut readers = Vec::new();
    for r in 0..2 {
        let keys = keys.clone();
        let stop = stop.clone();
        let mut c = server.connect();
        readers.push(thread::spawn(move || {
            let mut i = 0;
            while i < MAX_ITERS && start.elapsed() < RUN_FOR && !stop.load(Ordering::Relaxed) {
                if r == 0 {
                    let mut cmd = vec!["EXISTS".to_string()];
                    cmd.extend(keys.iter().cloned());
                    let n = c.cmd(&cmd).int();
                    if n != 0 && n != 8 {
                        stop.store(true, Ordering::Relaxed);
                        panic!("EXISTS saw a half-applied DEL/MSET: {n} of 8 keys");
                    }
                } else {
                    let mut cmd = vec!["MGET".to_string()];
                    cmd.extend(keys.iter().cloned());
                    let rep = c.cmd(&cmd);
                    let vals = rep.array();
                    if vals.iter().any(|v| v != &vals[0]) {
                        stop.store(true, Ordering::Relaxed);
                        panic!("MGET saw a half-applied DEL/MSET: {rep:?}");
                    }
                }
                i += 1;
            }
            i
        }));
    }
    for h in handles {
        h.join().expect("writer panicked");
    }
    for h in readers {
        h.join().expect("reader panicked");
    }
}

#[test]
fn concurrent_rename_never_loses_or_duplicates() {
    let server = start_shardis(4);
    // Several pairs, so that at least some pairs straddle two shards.
    let pairs: Vec<(String, String)> = (0..4)
        .map(|i| (format!("ren:a{i}"), format!("ren:other-side-{i}")))
        .collect();
    let mut c = server.connect();
    for (i, (a, _)) in pairs.iter().enumerate() {
        assert_eq!(c.cmd(&["SET", a, &format!("token{i}")]), ok());
    }
    let start = Instant::now();
    let mut handles = Vec::new();
    for dir in 0..2 {
        let pairs = pairs.clone();
        let mut c = server.connect();
        handles.push(thread::spawn(move || {
            let mut i = 0;
            while i < MAX_ITERS && start.elapsed() < RUN_FOR {
                let (a, b) = &pairs[i % pairs.len()];
                let (src, dst) = if dir == 0 { (a, b) } else { (b, a) };
                let r = c.cmd(&["RENAME", src, dst]);
                assert!(
                    r == ok() || r == err("ERR no such key"),
                    "RENAME {src} {dst}: {r:?}"
                );
                i += 1;
            }
        }));
    }
    let stop = Arc::new(AtomicBool::new(false));
    let mut readers = Vec::new();
    for _ in 0..2 {
        let pairs = pairs.clone();
        let stop = stop.clone();
        let mut c = server.connect();
        readers.push(thread::spawn(move || {
            let mut i = 0;
            while i < MAX_ITERS && start.elapsed() < RUN_FOR && !stop.load(Ordering::Relaxed) {
                let idx = i % pairs.len();
                let (a, b) = &pairs[idx];
                let r = c.cmd(&["MGET", a, b]);
                let vals = r.array();
                let token = bulk(format!("token{idx}"));
                let ok_state = (vals[0] == token && vals[1] == nil())
                    || (vals[0] == nil() && vals[1] == token);
                if !ok_state {
                    stop.store(true, Ordering::Relaxed);
                    panic!("RENAME lost or duplicated the value: MGET {a} {b} = {r:?}");
                }
                let n = c.cmd(&["EXISTS", a, b]).int();
                if n != 1 {
                    stop.store(true, Ordering::Relaxed);
                    panic!("EXISTS {a} {b} = {n}, expected 1");
                }
                i += 1;
            }
        }));
    }
    for h in handles {
        h.join().expect("renamer panicked");
    }
    for h in readers {
        h.join().expect("reader panicked");
    }
    for (i, (a, b)) in pairs.iter().enumerate() {
        let r = c.cmd(&["MGET", a, b]);
        let token = bulk(format!("token{i}"));
        assert!(
            r == arr(vec![token.clone(), nil()]) || r == arr(vec![nil(), token]),
            "final state of pair {i}: {r:?}"
        );
    }
    assert_eq!(c.cmd(&["DBSIZE"]), int(pairs.len() as i64));
}

// ---------------------------------------------------------------------------
// Expiry
// ---------------------------------------------------------------------------

#[test]
fn passive_expiry() {
    with_shards(|_, c| {
        assert_eq!(c.cmd(&["SET", "short", "v", "PX", "50"]), ok());
        assert_eq!(c.cmd(&["PSETEX", "short2", "50", "v"]), ok());
        assert_eq!(c.cmd(&["SET", "long", "v", "EX", "100"]), ok());
        thread::sleep(Duration::from_millis(200));
        assert_eq!(c.cmd(&["GET", "short"]), nil());
        assert_eq!(c.cmd(&["EXISTS", "short", "short2", "long"]), int(1));
        assert_eq!(c.cmd(&["TTL", "short2"]), int(-2));
        assert_eq!(c.cmd(&["GET", "long"]), bulk("v"));
    });
}

#[test]
fn active_expiry_reclaims_untouched_keys() {
    with_shards(|_, c| {
        let cmds: Vec<Vec<String>> = (0..1000)
            .map(|i| {
                vec![
                    "SET".into(),
                    format!("act:{i}"),
                    "v".into(),
                    "PX".into(),
                    "100".into(),
                ]
            })
            .collect();
        for r in c.pipeline(&cmds) {
            assert_eq!(r, ok());
        }
        thread::sleep(Duration::from_millis(1500));
        let mut last = -1;
        let done = wait_until(Duration::from_secs(5), Duration::from_millis(100), || {
            last = c.cmd(&["DBSIZE"]).int();
            last == 0
        });
        assert!(
            done,
            "active expiry did not reclaim keys: DBSIZE still {last}"
        );
    });
}

// ---------------------------------------------------------------------------
// SELECT isolation, CLIENT
// ---------------------------------------------------------------------------

#[test]
fn select_isolation_across_dbs() {
    with_shards(|server, c| {
        for db in 0..16 {
            assert_eq!(c.cmd(&["SELECT", &db.to_string()]), ok());
            for i in 0..=db {
                assert_eq!(c.cmd(&["SET", &format!("k{i}"), &format!("db{db}")]), ok());
            }
        }
        let mut other = server.connect();
        for db in 0..16i64 {
            assert_eq!(other.cmd(&["SELECT", &db.to_string()]), ok());
            assert_eq!(other.cmd(&["DBSIZE"]), int(db + 1));
            assert_eq!(other.cmd(&["GET", "k0"]), bulk(format!("db{db}")));
            assert_eq!(other.cmd(&["GET", &format!("k{}", db + 1)]), nil());
        }
        // Each connection has its own selected db.
        assert_eq!(c.cmd(&["DBSIZE"]), int(16));
        assert_eq!(other.cmd(&["DBSIZE"]), int(16));
        assert_eq!(other.cmd(&["SELECT", "3"]), ok());
        assert_eq!(other.cmd(&["FLUSHDB"]), ok());
        assert_eq!(other.cmd(&["DBSIZE"]), int(0));
        assert_eq!(c.cmd(&["SELECT", "4"]), ok());
        assert_eq!(c.cmd(&["DBSIZE"]), int(5));
        // A fresh connection starts in db 0.
        let mut fresh = server.connect();
        assert_eq!(fresh.cmd(&["DBSIZE"]), int(1));
        assert_eq!(fresh.cmd(&["FLUSHALL"]), ok());
        assert_eq!(c.cmd(&["DBSIZE"]), int(0));
    });
}

#[test]
fn client_list_and_info_shape() {
    with_shards(|server, c| {
        let id = c.cmd(&["CLIENT", "ID"]).int();
        assert!(id > 0);
        assert_eq!(c.cmd(&["CLIENT", "SETNAME", "shape-test"]), ok());
        let mut other = server.connect();
        let other_id = other.cmd(&["CLIENT", "ID"]).int();
        assert_ne!(id, other_id);

        let info = c
            .cmd(&["CLIENT", "INFO"])
            .as_str()
            .expect("CLIENT INFO bulk");
        assert!(info.ends_with('\n'), "CLIENT INFO: {info:?}");
        assert_eq!(info.trim_end().lines().count(), 1, "CLIENT INFO: {info:?}");
        for needle in [
            &format!("id={id} ") as &str,
            " addr=127.0.0.1:",
            " name=shape-test ",
            " db=0 ",
        ] {
            assert!(
                info.contains(needle),
                "CLIENT INFO lacks {needle:?}: {info:?}"
            );
        }

        let list = c
            .cmd(&["CLIENT", "LIST"])
            .as_str()
            .expect("CLIENT LIST bulk");
        let lines: Vec<&str> = list.lines().filter(|l| !l.is_empty()).collect();
        assert!(lines.len() >= 2, "CLIENT LIST: {list:?}");
        for l in &lines {
            assert!(l.starts_with("id="), "CLIENT LIST line: {l:?}");
            assert!(l.contains(" addr=") && l.contains(" name=") && l.contains(" db="));
        }
        assert!(lines
            .iter()
            .any(|l| l.starts_with(&format!("id={id} ")) && l.contains(" name=shape-test ")));
        assert!(lines
            .iter()
            .any(|l| l.starts_with(&format!("id={other_id} "))));
    });
}

// ---------------------------------------------------------------------------
// Process lifecycle
// ---------------------------------------------------------------------------

#[test]
fn shutdown_command_terminates_server() {
    let mut server = start_shardis(4);
    let mut c = server.connect();
    assert_eq!(c.cmd(&["SET", "k", "v"]), ok());
    c.send(&["SHUTDOWN"]);
    // Redis closes the connection without a reply; accept an OK too.
    c.set_read_timeout(Duration::from_secs(5));
    if let Ok(r) = c.try_read_reply() {
        assert!(!r.is_error(), "SHUTDOWN failed: {r:?}");
    }
    let status = server.wait_exit(Duration::from_secs(5));
    let status = status.expect("server did not exit within 5 s after SHUTDOWN");
    assert!(status.success(), "exit status after SHUTDOWN: {status}");
}

#[test]
fn sigterm_exits_cleanly() {
    let mut server = start_shardis(4);
    let mut c = server.connect();
    assert_eq!(c.cmd(&["SET", "k", "v"]), ok());
    // An idle connection and one mid-command must not block shutdown.
    let mut idle = server.connect();
    idle.send_raw(b"*2\r\n$3\r\nGET\r\n");
    server.signal("TERM");
    let status = server.wait_exit(Duration::from_secs(5));
    let status = status.expect("server did not exit within 5 s after SIGTERM");
    assert!(status.success(), "exit status after SIGTERM: {status}");
}

/// MEMORY USAGE over RESP: null for a missing key, growing with the value, errors as Redis.
#[test]
fn memory_usage_over_resp() {
    with_shards(|_server, c| {
        assert_eq!(c.cmd(&["MEMORY", "USAGE", "mu:none"]), nil());
        assert_eq!(c.cmd(&["SET", "mu:small", "v"]), ok());
        let small = c.cmd(&["MEMORY", "USAGE", "mu:small"]).int();
        let big_value = "x".repeat(5000);
        assert_eq!(c.cmd(&["SET", "mu:big", &big_value]), ok());
        let big = c.cmd(&["MEMORY", "USAGE", "mu:big", "SAMPLES", "0"]).int();
        assert!(small > 0 && big >= small + 5000, "small={small} big={big}");
        assert_eq!(c.cmd(&["HSET", "mu:h", "f", "v"]), int(1));
        assert!(c.cmd(&["MEMORY", "USAGE", "mu:h"]).int() > 0);
        assert_eq!(
            c.cmd(&["MEMORY", "USAGE", "mu:small", "BOGUS"]),
            err("ERR syntax error")
        );
        assert_eq!(
            c.cmd(&["MEMORY", "USAGE"]),
            err("ERR wrong number of arguments for 'memory|usage' command")
        );
    });
}

/// INFO counts clients parked in blocking commands, on any shard, and the command rate.
#[test]
fn info_reports_blocked_clients() {
    if target_is_redis() {
        return;
    }
    with_shards(|server, c| {
        let mut blocked = server.connect();
        blocked.send(&["BLPOP", "info:q1", "info:q2", "info:q3", "5"]);
        let field = |c: &mut Conn| -> i64 {
            let text = c.cmd(&["INFO", "clients"]).as_str().unwrap_or_default();
            text.lines()
                .find_map(|l| l.strip_prefix("blocked_clients:"))
                .and_then(|v| v.trim().parse().ok())
                .unwrap_or(-1)
        };
        let deadline = Instant::now() + Duration::from_secs(5);
        while field(c) != 1 && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(20));
        }
        assert_eq!(field(c), 1);
        assert_eq!(c.cmd(&["RPUSH", "info:q2", "x"]), int(1));
        assert_eq!(blocked.read_reply(), bulks(&["info:q2", "x"]));
        assert_eq!(field(c), 0);
        let stats = c.cmd(&["INFO", "stats"]).as_str().unwrap_or_default();
        assert!(stats.contains("instantaneous_ops_per_sec:"), "{stats}");
    });
}
