//! Blocking list and sorted-set commands (BLPOP, BRPOP, BLMOVE, BRPOPLPUSH,
//! BLMPOP, BZPOPMIN, BZPOPMAX, BZMPOP) against Shardis with 1 and 4 shards:
//! immediate serve, wake-up by pushes from other connections (keys spread
//! over every shard), FIFO order among blocked clients, timeouts and their
//! exact null replies, disconnects while blocked, and argument errors.
//!
//! `SHARDIS_TEST_TARGET=redis` runs everything against redis-server instead.
//! Every wait is bounded and every socket has a read timeout.

mod common;

use common::*;
use std::io::Read;
use std::net::Shutdown;
use std::thread;
use std::time::{Duration, Instant};

/// Read timeout for every connection in this file.
const READ_TIMEOUT: Duration = Duration::from_secs(5);

/// `per_shard` keys `prefix:<i>` on each of 4 shards (so with 4 shards a
/// blocked connection is, for most keys, on a different shard than the key).
fn spread_keys(prefix: &str, per_shard: usize) -> Vec<String> {
    let mut out = Vec::new();
    for shard in 0..4 {
        out.extend(
            (0..)
                .map(|i| format!("{prefix}:{i}"))
                .filter(|k| shard_of(k, 4) == shard)
                .take(per_shard),
        );
    }
    out
}

fn with_shards(f: impl Fn(&Server)) {
    for shards in [1, 4] {
        let s = start_shardis(shards);
        f(&s);
    }
}

fn conn(s: &Server) -> Conn {
    let c = s.connect();
    c.set_read_timeout(READ_TIMEOUT);
    c
}

/// Wait (bounded) until the server reports at least `n` blocked clients;
/// if INFO has no such field, just give the command time to park.
fn wait_blocked(admin: &mut Conn, n: usize) {
    let deadline = Instant::now() + Duration::from_millis(500);
    thread::sleep(Duration::from_millis(30));
    loop {
        let info = admin.cmd(&["INFO", "clients"]);
        let text = info.as_str().unwrap_or_default();
        let Some(v) = text
            .lines()
            .find_map(|l| l.strip_prefix("blocked_clients:"))
            .and_then(|v| v.trim().parse::<usize>().ok())
        else {
            thread::sleep(Duration::from_millis(200));
            return;
        };
        if v >= n || Instant::now() >= deadline {
            return;
        }
        thread::sleep(Duration::from_millis(10));
    }
}

/// Nothing arrives on `c` within `d`.
fn assert_still_blocked(c: &mut Conn, d: Duration) {
    c.set_read_timeout(d);
    let r = c.try_read_reply();
    c.set_read_timeout(READ_TIMEOUT);
    match r {
        Err(ReadError::Timeout) => {}
        other => panic!("expected the client to still be blocked, got {other:?}"),
    }
}

/// Read one reply and return it with how long it took.
fn timed_reply(c: &mut Conn) -> (Reply, Duration) {
    let t = Instant::now();
    let r = c.read_reply();
    (r, t.elapsed())
}

/// Read the exact bytes of one reply from a raw socket (bounded).
fn raw_reply(stream: &mut std::net::TcpStream) -> Vec<u8> {
    stream.set_read_timeout(Some(READ_TIMEOUT)).unwrap();
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    loop {
        if let Ok(Some((_, n))) = parse_reply(&buf, 0) {
            assert_eq!(n, buf.len(), "extra bytes after reply: {:?}", Bytes(buf));
            return buf;
        }
        let n = stream.read(&mut chunk).expect("read reply bytes");
        assert!(n > 0, "connection closed; got {:?}", Bytes(buf));
        buf.extend_from_slice(&chunk[..n]);
    }
}

fn kv(k: &str, v: &str) -> Reply {
    bulks(&[k, v])
}

// ---------------------------------------------------------------------------
// Immediate serve
// ---------------------------------------------------------------------------

#[test]
fn immediate_serve_when_data_exists() {
    with_shards(|s| {
        let mut c = conn(s);
        assert_eq!(c.cmd(&["RPUSH", "l", "a", "b", "c", "d", "e"]), int(5));
        assert_eq!(c.cmd(&["BLPOP", "nokey", "l", "1"]), kv("l", "a"));
        assert_eq!(c.cmd(&["BRPOP", "l", "nokey", "0"]), kv("l", "e"));
        assert_eq!(
            c.cmd(&["BLMOVE", "l", "dst", "LEFT", "RIGHT", "1"]),
            bulk("b")
        );
        assert_eq!(c.cmd(&["BRPOPLPUSH", "l", "dst", "0"]), bulk("d"));
        assert_eq!(c.cmd(&["LRANGE", "dst", "0", "-1"]), bulks(&["d", "b"]));
        assert_eq!(
            c.cmd(&["BLMPOP", "1", "2", "nokey", "dst", "RIGHT", "COUNT", "5"]),
            arr(vec![bulk("dst"), bulks(&["b", "d"])])
        );
        assert_eq!(c.cmd(&["EXISTS", "dst"]), int(0));
        assert_eq!(
            c.cmd(&["BLMPOP", "0", "1", "l", "LEFT"]),
            arr(vec![bulk("l"), bulks(&["c"])])
        );
        assert_eq!(c.cmd(&["EXISTS", "l"]), int(0));

        assert_eq!(
            c.cmd(&["ZADD", "z", "1", "a", "2", "b", "3", "c", "4", "d"]),
            int(4)
        );
        assert_eq!(
            c.cmd(&["BZPOPMIN", "nokey", "z", "1"]),
            bulks(&["z", "a", "1"])
        );
        assert_eq!(c.cmd(&["BZPOPMAX", "z", "0"]), bulks(&["z", "d", "4"]));
        assert_eq!(
            c.cmd(&["BZMPOP", "1", "1", "z", "MAX", "COUNT", "10"]),
            arr(vec![
                bulk("z"),
                arr(vec![bulks(&["c", "3"]), bulks(&["b", "2"])])
            ])
        );
        assert_eq!(c.cmd(&["EXISTS", "z"]), int(0));
        assert_eq!(c.cmd(&["ZADD", "z", "1.5", "x"]), int(1));
        assert_eq!(
            c.cmd(&["BZMPOP", "0", "2", "nokey", "z", "MIN"]),
            arr(vec![bulk("z"), arr(vec![bulks(&["x", "1.5"])])])
        );
        // Same-key source and destination rotates.
        assert_eq!(c.cmd(&["RPUSH", "r", "1", "2", "3"]), int(3));
        assert_eq!(
            c.cmd(&["BLMOVE", "r", "r", "LEFT", "RIGHT", "0"]),
            bulk("1")
        );
        assert_eq!(c.cmd(&["LRANGE", "r", "0", "-1"]), bulks(&["2", "3", "1"]));
        // Blocking commands still check types first.
        assert_eq!(c.cmd(&["SET", "str", "x"]), ok());
        let wrong = err("WRONGTYPE Operation against a key holding the wrong kind of value");
        assert_eq!(c.cmd(&["BLPOP", "str", "1"]), wrong);
        assert_eq!(c.cmd(&["BZPOPMIN", "str", "1"]), wrong);
        assert_eq!(c.cmd(&["BLMOVE", "r", "str", "LEFT", "LEFT", "1"]), wrong);
        assert_eq!(c.cmd(&["LRANGE", "r", "0", "-1"]), bulks(&["2", "3", "1"]));
    });
}

// ---------------------------------------------------------------------------
// Block, then get served by another client's push (keys on every shard)
// ---------------------------------------------------------------------------

/// For each key (spread over all shards): a fresh connection blocks with
/// `block(key)`, another connection runs `feed(key)`, and the blocked one
/// must get `expect(key)` within a bound.
fn block_then_serve(
    s: &Server,
    prefix: &str,
    block: impl Fn(&str) -> Vec<String>,
    feed: impl Fn(&str) -> Vec<Vec<String>>,
    expect: impl Fn(&str) -> Reply,
    after: impl Fn(&mut Conn, &str),
) {
    let mut admin = conn(s);
    for key in spread_keys(prefix, 2) {
        let mut blocked = conn(s);
        blocked.send(&block(&key));
        wait_blocked(&mut admin, 1);
        assert_still_blocked(&mut blocked, Duration::from_millis(50));
        let mut pusher = conn(s);
        for c in feed(&key) {
            let r = pusher.cmd(&c);
            assert!(!r.is_error(), "{c:?} -> {r:?}");
        }
        let (r, took) = timed_reply(&mut blocked);
        assert_eq!(r, expect(&key), "blocked on {key}");
        assert!(took < Duration::from_secs(2), "served after {took:?}");
        after(&mut pusher, &key);
    }
}

fn v(parts: &[&str]) -> Vec<String> {
    parts.iter().map(|s| s.to_string()).collect()
}

#[test]
fn blpop_brpop_served_by_push_from_other_connection() {
    with_shards(|s| {
        block_then_serve(
            s,
            "bl",
            |k| v(&["BLPOP", k, "5"]),
            |k| vec![v(&["RPUSH", k, "x", "y"])],
            |k| kv(k, "x"),
            |c, k| assert_eq!(c.cmd(&["LRANGE", k, "0", "-1"]), bulks(&["y"])),
        );
        block_then_serve(
            s,
            "br",
            |k| v(&["BRPOP", k, "0"]),
            |k| vec![v(&["LPUSH", k, "x", "y"])],
            |k| kv(k, "x"),
            |c, k| assert_eq!(c.cmd(&["LRANGE", k, "0", "-1"]), bulks(&["y"])),
        );
    });
}

#[test]
fn blmove_brpoplpush_served_and_destination_written() {
    with_shards(|s| {
        let dsts = spread_keys("dst", 2);
        block_then_serve(
            s,
            "bm",
            |k| {
                let i: usize = k[3..].parse().unwrap_or(0);
                v(&["BLMOVE", k, &dsts[i % dsts.len()], "RIGHT", "LEFT", "5"])
            },
            |k| vec![v(&["RPUSH", k, "a", "b"])],
            |_| bulk("b"),
            |c, k| {
                let i: usize = k[3..].parse().unwrap_or(0);
                let d = &dsts[i % dsts.len()];
                assert_eq!(c.cmd(&["LPOP", d]), bulk("b"));
                assert_eq!(c.cmd(&["LRANGE", k, "0", "-1"]), bulks(&["a"]));
            },
        );
        block_then_serve(
            s,
            "bp",
            |k| v(&["BRPOPLPUSH", k, &format!("{k}:d"), "0"]),
            |k| vec![v(&["LPUSH", k, "x"])],
            |_| bulk("x"),
            |c, k| {
                assert_eq!(
                    c.cmd(&["LRANGE", &format!("{k}:d"), "0", "-1"]),
                    bulks(&["x"])
                );
                assert_eq!(c.cmd(&["EXISTS", k]), int(0));
            },
        );
    });
}

#[test]
fn blmpop_bzpop_bzmpop_served() {
    with_shards(|s| {
        block_then_serve(
            s,
            "lm",
            |k| v(&["BLMPOP", "5", "2", "lm:none", k, "RIGHT", "COUNT", "2"]),
            |k| vec![v(&["RPUSH", k, "1", "2", "3"])],
            |k| arr(vec![bulk(k), bulks(&["3", "2"])]),
            |c, k| assert_eq!(c.cmd(&["LRANGE", k, "0", "-1"]), bulks(&["1"])),
        );
        block_then_serve(
            s,
            "zmin",
            |k| v(&["BZPOPMIN", k, "5"]),
            |k| vec![v(&["ZADD", k, "2", "b", "1", "a"])],
            |k| bulks(&[k, "a", "1"]),
            |c, k| assert_eq!(c.cmd(&["ZRANGE", k, "0", "-1"]), bulks(&["b"])),
        );
        block_then_serve(
            s,
            "zmax",
            |k| v(&["BZPOPMAX", "zmax:none", k, "0"]),
            |k| vec![v(&["ZADD", k, "2.5", "b", "1", "a"])],
            |k| bulks(&[k, "b", "2.5"]),
            |c, k| assert_eq!(c.cmd(&["ZCARD", k]), int(1)),
        );
        block_then_serve(
            s,
            "zm",
            |k| v(&["BZMPOP", "0", "1", k, "MIN", "COUNT", "5"]),
            |k| vec![v(&["ZADD", k, "3", "c", "1", "a", "2", "b"])],
            |k| {
                arr(vec![
                    bulk(k),
                    arr(vec![
                        bulks(&["a", "1"]),
                        bulks(&["b", "2"]),
                        bulks(&["c", "3"]),
                    ]),
                ])
            },
            |c, k| assert_eq!(c.cmd(&["EXISTS", k]), int(0)),
        );
        // ZINCRBY creating the key also wakes.
        block_then_serve(
            s,
            "zi",
            |k| v(&["BZPOPMIN", k, "5"]),
            |k| vec![v(&["ZINCRBY", k, "7", "m"])],
            |k| bulks(&[k, "m", "7"]),
            |c, k| assert_eq!(c.cmd(&["EXISTS", k]), int(0)),
        );
    });
}

// ---------------------------------------------------------------------------
// FIFO among blocked clients
// ---------------------------------------------------------------------------

#[test]
fn fifo_three_clients_three_pushes() {
    with_shards(|s| {
        let mut admin = conn(s);
        for key in spread_keys("fifo", 1) {
            let mut cs: Vec<Conn> = (0..3).map(|_| conn(s)).collect();
            for (i, c) in cs.iter_mut().enumerate() {
                c.send(&["BLPOP", &key, "5"]);
                wait_blocked(&mut admin, i + 1);
            }
            let mut pusher = conn(s);
            for (i, c) in cs.iter_mut().enumerate() {
                assert_eq!(pusher.cmd(&["RPUSH", &key, &format!("v{i}")]), int(1));
                // Each push is consumed before the next one.
                let (r, _) = timed_reply(c);
                assert_eq!(r, kv(&key, &format!("v{i}")), "client {i} on {key}");
            }
            for c in cs.iter_mut() {
                c.set_read_timeout(Duration::from_millis(100));
                assert!(matches!(c.try_read_reply(), Err(ReadError::Timeout)));
            }
            assert_eq!(pusher.cmd(&["EXISTS", &key]), int(0));
        }
    });
}

#[test]
fn fifo_one_push_of_three_elements() {
    with_shards(|s| {
        let mut admin = conn(s);
        for key in spread_keys("fifo3", 1) {
            let mut cs: Vec<Conn> = (0..3).map(|_| conn(s)).collect();
            for (i, c) in cs.iter_mut().enumerate() {
                c.send(&["BRPOP", &key, "5"]);
                wait_blocked(&mut admin, i + 1);
            }
            let mut pusher = conn(s);
            assert_eq!(pusher.cmd(&["RPUSH", &key, "a", "b", "c", "d"]), int(4));
            let got: Vec<Reply> = cs.iter_mut().map(|c| c.read_reply()).collect();
            assert_eq!(got, vec![kv(&key, "d"), kv(&key, "c"), kv(&key, "b")]);
            assert_eq!(pusher.cmd(&["LRANGE", &key, "0", "-1"]), bulks(&["a"]));
        }
        // Sorted sets too.
        let mut cs: Vec<Conn> = (0..3).map(|_| conn(s)).collect();
        for (i, c) in cs.iter_mut().enumerate() {
            c.send(&["BZPOPMIN", "zfifo", "5"]);
            wait_blocked(&mut admin, i + 1);
        }
        let mut pusher = conn(s);
        assert_eq!(
            pusher.cmd(&["ZADD", "zfifo", "3", "c", "1", "a", "2", "b"]),
            int(3)
        );
        let got: Vec<Reply> = cs.iter_mut().map(|c| c.read_reply()).collect();
        assert_eq!(
            got,
            vec![
                bulks(&["zfifo", "a", "1"]),
                bulks(&["zfifo", "b", "2"]),
                bulks(&["zfifo", "c", "3"])
            ]
        );
    });
}

// ---------------------------------------------------------------------------
// Timeouts
// ---------------------------------------------------------------------------

#[test]
fn timeout_gives_exact_null_replies() {
    with_shards(|s| {
        let cases: &[(&[&str], &[u8])] = &[
            (&["BLPOP", "t:none", "0.1"], b"*-1\r\n"),
            (&["BRPOP", "t:none", "t:none2", "0.1"], b"*-1\r\n"),
            // Redis 7.0 answers a timed-out BLMOVE/BRPOPLPUSH with a null
            // *array* too (blocked-client timeout path), not `$-1`.
            (
                &["BLMOVE", "t:none", "t:d", "LEFT", "RIGHT", "0.1"],
                b"*-1\r\n",
            ),
            (&["BRPOPLPUSH", "t:none", "t:d", "0.1"], b"*-1\r\n"),
            (&["BLMPOP", "0.1", "1", "t:none", "LEFT"], b"*-1\r\n"),
            (&["BZPOPMIN", "t:none", "0.1"], b"*-1\r\n"),
            (&["BZPOPMAX", "t:none", "0.1"], b"*-1\r\n"),
            (&["BZMPOP", "0.1", "1", "t:none", "MAX"], b"*-1\r\n"),
        ];
        for (c, want) in cases {
            let mut raw = std::net::TcpStream::connect(("127.0.0.1", s.port)).unwrap();
            raw.set_write_timeout(Some(READ_TIMEOUT)).unwrap();
            use std::io::Write;
            let t = Instant::now();
            raw.write_all(&encode(c)).unwrap();
            let got = raw_reply(&mut raw);
            let took = t.elapsed();
            assert_eq!(Bytes(got), Bytes(want.to_vec()), "{c:?}");
            assert!(
                took >= Duration::from_millis(90) && took < Duration::from_millis(1500),
                "{c:?} timed out after {took:?}"
            );
            let _ = raw.shutdown(Shutdown::Both);
        }
        // RESP3: a null.
        let mut raw = std::net::TcpStream::connect(("127.0.0.1", s.port)).unwrap();
        use std::io::Write;
        raw.write_all(&encode(&["HELLO", "3"])).unwrap();
        let _ = raw_reply(&mut raw);
        for c in [
            vec!["BLPOP", "t:none", "0.1"],
            vec!["BLMOVE", "t:none", "t:d", "LEFT", "RIGHT", "0.1"],
            vec!["BZPOPMIN", "t:none", "0.1"],
        ] {
            raw.write_all(&encode(&c)).unwrap();
            assert_eq!(
                Bytes(raw_reply(&mut raw)),
                Bytes(b"_\r\n".to_vec()),
                "{c:?}"
            );
        }
        // Nothing was created by the timed-out commands.
        let mut c = conn(s);
        assert_eq!(c.cmd(&["EXISTS", "t:none", "t:d"]), int(0));
        // Timeouts on keys of every shard, several clients at once.
        let mut cs: Vec<(Conn, Instant)> = spread_keys("tmo", 2)
            .into_iter()
            .map(|k| {
                let mut c = conn(s);
                c.send(&["BLPOP", &k, "0.2"]);
                (c, Instant::now())
            })
            .collect();
        for (c, t) in cs.iter_mut() {
            assert_eq!(c.read_reply(), nil_array());
            let took = t.elapsed();
            assert!(took >= Duration::from_millis(190), "{took:?}");
            assert!(took < Duration::from_secs(3), "{took:?}");
        }
    });
}

#[test]
fn timeout_zero_blocks_forever_until_served() {
    with_shards(|s| {
        for key in spread_keys("forever", 1) {
            let mut c = conn(s);
            c.send(&["BLPOP", &key, "0"]);
            assert_still_blocked(&mut c, Duration::from_millis(300));
            let mut z = conn(s);
            let zk = format!("{key}:z");
            z.send(&["BZPOPMAX", &zk, "0.0"]);
            assert_still_blocked(&mut z, Duration::from_millis(300));
            let mut p = conn(s);
            assert_eq!(p.cmd(&["LPUSH", &key, "late"]), int(1));
            assert_eq!(c.read_reply(), kv(&key, "late"));
            assert_eq!(p.cmd(&["ZADD", &zk, "1", "m"]), int(1));
            assert_eq!(z.read_reply(), bulks(&[&zk, "m", "1"]));
            // The connection is usable afterwards.
            assert_eq!(c.cmd(&["PING"]), pong());
        }
    });
}

// ---------------------------------------------------------------------------
// Disconnecting while blocked
// ---------------------------------------------------------------------------

#[test]
fn disconnect_while_blocked_leaks_nothing() {
    with_shards(|s| {
        let mut admin = conn(s);
        for key in spread_keys("gone", 2) {
            let dst = format!("{key}:dst");
            {
                let mut a = conn(s);
                a.send(&["BLPOP", &key, "0"]);
                let mut b = conn(s);
                b.send(&["BLMOVE", &key, &dst, "LEFT", "LEFT", "0"]);
                let mut z = conn(s);
                z.send(&["BZPOPMIN", &key, "0"]);
                wait_blocked(&mut admin, 3);
                for c in [&a, &b, &z] {
                    c.stream.shutdown(Shutdown::Both).unwrap();
                }
            }
            // Give the server a moment to notice the closed connections.
            let gone = wait_until(Duration::from_secs(3), Duration::from_millis(20), || {
                let info = admin.cmd(&["INFO", "clients"]);
                let t = info.as_str().unwrap_or_default();
                match t.lines().find_map(|l| l.strip_prefix("blocked_clients:")) {
                    Some(v) => v.trim() == "0",
                    None => true,
                }
            });
            assert!(gone, "blocked clients still registered after disconnect");
            thread::sleep(Duration::from_millis(50));
            assert_eq!(admin.cmd(&["RPUSH", &key, "kept"]), int(1));
            assert_eq!(admin.cmd(&["LLEN", &key]), int(1));
            assert_eq!(admin.cmd(&["LRANGE", &key, "0", "-1"]), bulks(&["kept"]));
            assert_eq!(admin.cmd(&["EXISTS", &dst]), int(0));
            assert_eq!(admin.cmd(&["DEL", &key]), int(1));
            // A new blocked client on the same key is served normally.
            let mut c = conn(s);
            c.send(&["BLPOP", &key, "5"]);
            wait_blocked(&mut admin, 1);
            assert_eq!(admin.cmd(&["RPUSH", &key, "next"]), int(1));
            assert_eq!(c.read_reply(), kv(&key, "next"));
            assert_eq!(admin.cmd(&["EXISTS", &key]), int(0));
        }
    });
}

#[test]
fn timed_out_client_does_not_consume_later_push() {
    with_shards(|s| {
        let mut c = conn(s);
        assert_eq!(c.cmd(&["BLPOP", "late", "0.05"]), nil_array());
        assert_eq!(c.cmd(&["RPUSH", "late", "v"]), int(1));
        assert_eq!(c.cmd(&["LLEN", "late"]), int(1));
    });
}

// ---------------------------------------------------------------------------
// Several keys; data arriving on the second one
// ---------------------------------------------------------------------------

#[test]
fn blpop_several_keys_data_on_second() {
    with_shards(|s| {
        let keys = spread_keys("multi", 1); // one key per shard
        for target in 0..keys.len() {
            let mut c = conn(s);
            let mut args = vec!["BLPOP".to_string()];
            args.extend(keys.iter().cloned());
            args.push("5".into());
            c.send(&args);
            assert_still_blocked(&mut c, Duration::from_millis(100));
            let mut p = conn(s);
            assert_eq!(p.cmd(&["RPUSH", &keys[target], "v"]), int(1));
            assert_eq!(c.read_reply(), kv(&keys[target], "v"));
            assert_eq!(p.cmd(&["EXISTS", &keys[target]]), int(0));
        }
        // With data already on the second and third keys, the first
        // non-empty key in argument order wins.
        let mut c = conn(s);
        assert_eq!(c.cmd(&["RPUSH", &keys[2], "c"]), int(1));
        assert_eq!(c.cmd(&["RPUSH", &keys[1], "b"]), int(1));
        assert_eq!(
            c.cmd(&["BLPOP", &keys[0], &keys[1], &keys[2], "1"]),
            kv(&keys[1], "b")
        );
        assert_eq!(c.cmd(&["BZPOPMIN", &keys[3], "1"]), nil_array());
        assert_eq!(
            c.cmd(&["BLMPOP", "1", "3", &keys[0], &keys[1], &keys[2], "LEFT"]),
            arr(vec![bulk(&keys[2]), bulks(&["c"])])
        );
        // BZPOPMIN over several zsets, data arriving on the second.
        let mut z = conn(s);
        z.send(&["BZPOPMIN", &keys[0], &keys[1], "5"]);
        assert_still_blocked(&mut z, Duration::from_millis(100));
        assert_eq!(c.cmd(&["ZADD", &keys[1], "4", "m"]), int(1));
        assert_eq!(z.read_reply(), bulks(&[&keys[1], "m", "4"]));
    });
}

#[test]
fn push_in_another_db_does_not_wake() {
    with_shards(|s| {
        let mut c = conn(s);
        assert_eq!(c.cmd(&["SELECT", "1"]), ok());
        c.send(&["BLPOP", "dbk", "5"]);
        let mut p = conn(s);
        thread::sleep(Duration::from_millis(50));
        assert_eq!(p.cmd(&["RPUSH", "dbk", "db0"]), int(1));
        assert_still_blocked(&mut c, Duration::from_millis(200));
        assert_eq!(p.cmd(&["SELECT", "1"]), ok());
        assert_eq!(p.cmd(&["RPUSH", "dbk", "db1"]), int(1));
        assert_eq!(c.read_reply(), kv("dbk", "db1"));
        assert_eq!(p.cmd(&["SELECT", "0"]), ok());
        assert_eq!(p.cmd(&["LLEN", "dbk"]), int(1));
    });
}

// ---------------------------------------------------------------------------
// Wake-ups by LMOVE / RPOPLPUSH / multi-shard commands
// ---------------------------------------------------------------------------

#[test]
fn lmove_and_rpoplpush_wake_blocked_client() {
    with_shards(|s| {
        let keys = spread_keys("mv", 1);
        for i in 0..keys.len() {
            let src = &keys[i];
            let dst = &keys[(i + 1) % keys.len()];
            let mut p = conn(s);
            assert_eq!(p.cmd(&["RPUSH", src, "1", "2"]), int(2));
            let mut c = conn(s);
            c.send(&["BLPOP", dst, "5"]);
            assert_still_blocked(&mut c, Duration::from_millis(100));
            assert_eq!(p.cmd(&["LMOVE", src, dst, "LEFT", "RIGHT"]), bulk("1"));
            assert_eq!(c.read_reply(), kv(dst, "1"));
            c.send(&["BRPOP", dst, "5"]);
            assert_still_blocked(&mut c, Duration::from_millis(100));
            assert_eq!(p.cmd(&["RPOPLPUSH", src, dst]), bulk("2"));
            assert_eq!(c.read_reply(), kv(dst, "2"));
            assert_eq!(p.cmd(&["EXISTS", src, dst]), int(0));
        }
    });
}

#[test]
fn blmove_chain_serves_next_blocked_client() {
    with_shards(|s| {
        let keys = spread_keys("chain", 1);
        let (k1, k2) = (&keys[0], &keys[3]);
        let mut admin = conn(s);
        let mut a = conn(s);
        a.send(&["BLMOVE", k1, k2, "LEFT", "RIGHT", "5"]);
        wait_blocked(&mut admin, 1);
        let mut b = conn(s);
        b.send(&["BLPOP", k2, "5"]);
        wait_blocked(&mut admin, 2);
        assert_eq!(admin.cmd(&["RPUSH", k1, "x"]), int(1));
        assert_eq!(a.read_reply(), bulk("x"));
        assert_eq!(b.read_reply(), kv(k2, "x"));
        assert_eq!(admin.cmd(&["EXISTS", k1, k2]), int(0));
    });
}

#[test]
fn multi_shard_commands_wake_blocked_clients() {
    with_shards(|s| {
        let k = spread_keys("ms", 1); // k[i] on shard i of 4
        let mut p = conn(s);
        // ZUNIONSTORE into a key another client waits on.
        assert_eq!(p.cmd(&["ZADD", &k[0], "1", "a", "5", "e"]), int(2));
        assert_eq!(p.cmd(&["ZADD", &k[1], "2", "b"]), int(1));
        let mut c = conn(s);
        c.send(&["BZPOPMIN", &k[2], "5"]);
        assert_still_blocked(&mut c, Duration::from_millis(100));
        assert_eq!(p.cmd(&["ZUNIONSTORE", &k[2], "2", &k[0], &k[1]]), int(3));
        assert_eq!(c.read_reply(), bulks(&[&k[2], "a", "1"]));
        assert_eq!(p.cmd(&["ZRANGE", &k[2], "0", "-1"]), bulks(&["b", "e"]));
        // ZRANGESTORE across shards.
        c.send(&["BZPOPMAX", &k[3], "5"]);
        assert_still_blocked(&mut c, Duration::from_millis(100));
        assert_eq!(p.cmd(&["ZRANGESTORE", &k[3], &k[0], "0", "-1"]), int(2));
        assert_eq!(c.read_reply(), bulks(&[&k[3], "e", "5"]));
        assert_eq!(p.cmd(&["DEL", &k[0], &k[1], &k[2], &k[3]]), int(4));

        // RENAME / COPY of a list onto the awaited key, across shards.
        assert_eq!(p.cmd(&["RPUSH", &k[0], "r1", "r2"]), int(2));
        c.send(&["BLPOP", &k[1], "5"]);
        assert_still_blocked(&mut c, Duration::from_millis(100));
        assert_eq!(p.cmd(&["RENAME", &k[0], &k[1]]), ok());
        assert_eq!(c.read_reply(), kv(&k[1], "r1"));
        c.send(&["BLPOP", &k[2], "5"]);
        assert_still_blocked(&mut c, Duration::from_millis(100));
        assert_eq!(p.cmd(&["COPY", &k[1], &k[2]]), int(1));
        assert_eq!(c.read_reply(), kv(&k[2], "r2"));
        assert_eq!(p.cmd(&["LRANGE", &k[1], "0", "-1"]), bulks(&["r2"]));

        // BLMOVE blocked on a source, fed by a cross-shard LMOVE.
        assert_eq!(p.cmd(&["DEL", &k[1], &k[2]]), int(1));
        assert_eq!(p.cmd(&["RPUSH", &k[3], "m"]), int(1));
        c.send(&["BLMOVE", &k[0], &k[1], "RIGHT", "RIGHT", "5"]);
        assert_still_blocked(&mut c, Duration::from_millis(100));
        assert_eq!(p.cmd(&["LMOVE", &k[3], &k[0], "LEFT", "LEFT"]), bulk("m"));
        assert_eq!(c.read_reply(), bulk("m"));
        assert_eq!(p.cmd(&["LRANGE", &k[1], "0", "-1"]), bulks(&["m"]));
        assert_eq!(p.cmd(&["EXISTS", &k[0], &k[3]]), int(0));

        // BLMPOP on two keys of different shards fed by a cross-shard
        // LMPOP + push sequence (SORT-free: LMOVE from the other list).
        assert_eq!(p.cmd(&["RPUSH", &k[2], "q1", "q2"]), int(2));
        c.send(&["BLMPOP", "5", "2", &k[0], &k[3], "LEFT", "COUNT", "10"]);
        assert_still_blocked(&mut c, Duration::from_millis(100));
        assert_eq!(p.cmd(&["LMOVE", &k[2], &k[3], "LEFT", "RIGHT"]), bulk("q1"));
        assert_eq!(c.read_reply(), arr(vec![bulk(&k[3]), bulks(&["q1"])]));
    });
}

// ---------------------------------------------------------------------------
// Argument errors
// ---------------------------------------------------------------------------

#[test]
fn timeout_argument_errors() {
    with_shards(|s| {
        let mut c = conn(s);
        let neg = err("ERR timeout is negative");
        let nf = err("ERR timeout is not a float or out of range");
        let templates: &[&[&str]] = &[
            &["BLPOP", "k", "T"],
            &["BRPOP", "k", "k2", "T"],
            &["BLMOVE", "k", "d", "LEFT", "LEFT", "T"],
            &["BRPOPLPUSH", "k", "d", "T"],
            &["BLMPOP", "T", "1", "k", "LEFT"],
            &["BZPOPMIN", "k", "T"],
            &["BZPOPMAX", "k", "T"],
            &["BZMPOP", "T", "1", "k", "MIN"],
        ];
        for t in templates {
            for (timeout, want) in [
                ("-1", &neg),
                ("-0.5", &neg),
                ("abc", &nf),
                ("1x", &nf),
                ("", &nf),
                ("nan", &nf),
            ] {
                let args: Vec<&str> = t
                    .iter()
                    .map(|a| if *a == "T" { timeout } else { a })
                    .collect();
                let t0 = Instant::now();
                assert_eq!(&c.cmd(&args), want, "{args:?}");
                assert!(t0.elapsed() < Duration::from_secs(1), "{args:?} blocked");
            }
        }
        // Errors even when the key has data; nothing is popped.
        assert_eq!(c.cmd(&["RPUSH", "k", "v"]), int(1));
        assert_eq!(c.cmd(&["BLPOP", "k", "-1"]), neg);
        assert_eq!(c.cmd(&["BLPOP", "k", "abc"]), nf);
        assert_eq!(c.cmd(&["LLEN", "k"]), int(1));
        // Other syntax errors.
        assert_eq!(
            c.cmd(&["BLMOVE", "k", "d", "UP", "LEFT", "0"]),
            err("ERR syntax error")
        );
        assert_eq!(
            c.cmd(&["BLMPOP", "0", "0", "k", "LEFT"]),
            err("ERR numkeys should be greater than 0")
        );
        assert_eq!(
            c.cmd(&["BZMPOP", "0", "1", "k", "MIN", "COUNT", "0"]),
            err("ERR count should be greater than 0")
        );
        assert_eq!(
            c.cmd(&["BLPOP", "k"]),
            err("ERR wrong number of arguments for 'blpop' command")
        );
        // Fractional and exponent timeouts are accepted.
        assert_eq!(c.cmd(&["BLPOP", "k", "1e-1"]), kv("k", "v"));
        assert_eq!(c.cmd(&["BLPOP", "k", "0.05"]), nil_array());
    });
}
