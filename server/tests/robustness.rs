//! Robustness: malformed and hostile input against Shardis (4 shards). Every
//! case uses its own connection; afterwards a fresh connection must still get
//! PONG and see the keys written before (spread over all shards) intact.
//!
//! `SHARDIS_TEST_TARGET=redis` runs everything against redis-server instead;
//! the exact protocol error strings below are the ones Redis 7 sends.

mod common;

use common::*;
use std::io::Write;
use std::net::Shutdown;
use std::thread;
use std::time::{Duration, Instant};

const SENTINELS: usize = 32;

/// A server with sentinel keys set on all shards.
fn setup() -> Server {
    let server = start_shardis(4);
    let mut c = server.connect();
    for i in 0..SENTINELS {
        assert_eq!(
            c.cmd(&["SET", &format!("sentinel:{i}"), &format!("intact-{i}")]),
            ok()
        );
    }
    server
}

/// Fresh connection: PING works and every sentinel is intact.
fn assert_healthy(server: &Server, case: &str) {
    let mut c = Conn::try_connect(server.port)
        .unwrap_or_else(|e| panic!("after {case}: cannot connect: {e}"));
    assert_eq!(c.cmd(&["PING"]), pong(), "after {case}: PING");
    let mut mget = vec!["MGET".to_string()];
    mget.extend((0..SENTINELS).map(|i| format!("sentinel:{i}")));
    let r = c.cmd(&mget);
    let expected = arr((0..SENTINELS)
        .map(|i| bulk(format!("intact-{i}")))
        .collect());
    assert_eq!(r, expected, "after {case}: sentinel keys");
}

/// Send `input` on a fresh connection, expect exactly the error `expected`
/// and then the connection closed by the server.
fn expect_protocol_error(server: &Server, input: &[u8], expected: &str) {
    let mut c = server.connect();
    c.send_raw(input);
    let r = c.read_reply();
    assert_eq!(r, err(expected), "reply to {:?}", Bytes(input.to_vec()));
    if let Err(e) = c.expect_closed(Duration::from_secs(5)) {
        panic!(
            "after protocol error for {:?}: connection should be closed: {e}",
            Bytes(input.to_vec())
        );
    }
    assert_healthy(server, &format!("{:?}", Bytes(input.to_vec())));
}

#[test]
fn invalid_multibulk_length() {
    let s = setup();
    let msg = "ERR Protocol error: invalid multibulk length";
    expect_protocol_error(&s, b"*abc\r\n", msg);
    expect_protocol_error(&s, b"*3000000000\r\n", msg);
    expect_protocol_error(&s, b"*1x\r\n", msg);
    expect_protocol_error(&s, b"*99999999999999999999999\r\n", msg);
    // A valid command first: its reply arrives, then the error.
    let mut c = s.connect();
    c.send_raw(b"*1\r\n$4\r\nPING\r\n*abc\r\n");
    assert_eq!(c.read_reply(), pong());
    assert_eq!(c.read_reply(), err(msg));
    c.expect_closed(Duration::from_secs(5)).unwrap();
    assert_healthy(&s, "PING then *abc");
}

#[test]
fn invalid_bulk_length() {
    let s = setup();
    let msg = "ERR Protocol error: invalid bulk length";
    expect_protocol_error(&s, b"*1\r\n$-5\r\n", msg);
    expect_protocol_error(&s, b"*1\r\n$abc\r\n", msg);
    expect_protocol_error(&s, b"*1\r\n$-1\r\n", msg);
    expect_protocol_error(&s, b"*2\r\n$3\r\nGET\r\n$600000000\r\n", msg);
    expect_protocol_error(&s, b"*1\r\n$600000000\r\n", msg);
}

#[test]
fn expected_dollar() {
    let s = setup();
    expect_protocol_error(
        &s,
        b"*1\r\nfoo\r\n",
        "ERR Protocol error: expected '$', got 'f'",
    );
    expect_protocol_error(
        &s,
        b"*2\r\n$3\r\nGET\r\n:1\r\n",
        "ERR Protocol error: expected '$', got ':'",
    );
}

#[test]
fn unbalanced_quotes_in_inline_command() {
    let s = setup();
    expect_protocol_error(
        &s,
        b"set \"a b\r\n",
        "ERR Protocol error: unbalanced quotes in request",
    );
    expect_protocol_error(
        &s,
        b"set 'a b\r\n",
        "ERR Protocol error: unbalanced quotes in request",
    );
}

#[test]
fn inline_commands_work() {
    let s = setup();
    let mut c = s.connect();
    c.send_raw(b"PING\r\n");
    assert_eq!(c.read_reply(), pong());
    c.send_raw(b"set inl \"a b\"\r\n");
    assert_eq!(c.read_reply(), ok());
    c.send_raw(b"get inl\n");
    assert_eq!(c.read_reply(), bulk("a b"));
    c.send_raw(b"set inl2 \"x\\x41y\\n\"\r\nget inl2\r\n");
    assert_eq!(c.read_reply(), ok());
    assert_eq!(c.read_reply(), bulk("xAy\n"));
    // Empty lines and empty multibulks are ignored.
    c.send_raw(b"\r\n*0\r\n*-1\r\nPING\r\n");
    assert_eq!(c.read_reply(), pong());
    assert_eq!(c.cmd(&["PING"]), pong());
    assert_healthy(&s, "inline commands");
}

#[test]
fn too_big_inline_request() {
    let s = setup();
    let input = vec![b'a'; 70 * 1024];
    expect_protocol_error(&s, &input, "ERR Protocol error: too big inline request");
}

#[test]
fn too_big_count_strings() {
    let s = setup();
    let mut input = b"*".to_vec();
    input.extend(std::iter::repeat_n(b'1', 70 * 1024));
    expect_protocol_error(&s, &input, "ERR Protocol error: too big mbulk count string");
    let mut input = b"*1\r\n$".to_vec();
    input.extend(std::iter::repeat_n(b'1', 70 * 1024));
    expect_protocol_error(&s, &input, "ERR Protocol error: too big bulk count string");
}

#[test]
fn garbage_bytes() {
    let s = setup();
    let mut rng = Rng::new(0x6a5b);
    for round in 0..8 {
        let mut c = s.connect();
        let len = 1 + rng.below(8192);
        let garbage: Vec<u8> = (0..len)
            .map(|_| match rng.below(10) {
                0 => b'\r',
                1 => b'\n',
                2 => b'*',
                3 => b'$',
                _ => rng.below(256) as u8,
            })
            .collect();
        let _ = c.try_send_raw(&garbage);
        // Whatever comes back (errors, nothing, a close) is fine.
        let _ = c.read_raw_available(Duration::from_millis(300));
        drop(c);
        assert_healthy(&s, &format!("garbage round {round}"));
    }
}

#[test]
fn unterminated_frames_then_disconnect() {
    let s = setup();
    let cases: &[&[u8]] = &[
        b"*",
        b"*2",
        b"*2\r",
        b"*2\r\n",
        b"*2\r\n$",
        b"*2\r\n$3\r\nGET\r\n",
        b"*2\r\n$3\r\nGET\r\n$3\r\nab",
        b"*2\r\n$3\r\nGET\r\n$3\r\nabc",
        b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$100000\r\npartial-value",
        b"PING",
        b"set a \"b",
        b"$5\r\nhello",
    ];
    for case in cases {
        let mut c = s.connect();
        c.send_raw(case);
        thread::sleep(Duration::from_millis(20));
        drop(c);
        assert_healthy(&s, &format!("unterminated {:?}", Bytes(case.to_vec())));
    }
    // The partial SET must not have created the key.
    let mut c = s.connect();
    assert_eq!(c.cmd(&["EXISTS", "k"]), int(0));
}

#[test]
fn wrong_arity_errors() {
    let s = setup();
    let mut c = s.connect();
    let cases: &[(&[&str], &str)] = &[
        (&["GET"], "get"),
        (&["get", "a", "b"], "get"),
        (&["SET", "k"], "set"),
        (&["MGET"], "mget"),
        (&["MSET", "a"], "mset"),
        (&["DEL"], "del"),
        (&["INCRBY", "k"], "incrby"),
        (&["EXPIRE", "k"], "expire"),
        (&["RENAME", "a"], "rename"),
        (&["SELECT"], "select"),
    ];
    for (cmd, name) in cases {
        assert_eq!(
            c.cmd(cmd),
            err(&format!(
                "ERR wrong number of arguments for '{name}' command"
            )),
            "{cmd:?}"
        );
    }
    // The connection stays usable.
    assert_eq!(c.cmd(&["PING"]), pong());
    assert_healthy(&s, "wrong arity");
}

#[test]
fn binary_keys_and_values() {
    let s = setup();
    let mut c = s.connect();
    let keys: &[&[u8]] = &[
        b"\x00",
        b"a\x00b",
        b"\r\n",
        b"\r\n*1\r\n$4\r\nPING\r\n",
        b"\x00\r\n\xff",
        b"",
    ];
    for (i, k) in keys.iter().enumerate() {
        let v: Vec<u8> = [&b"\x00\r\n"[..], k, format!("{i}").as_bytes()].concat();
        assert_eq!(c.cmd(&[&b"SET"[..], k, &v]), ok());
    }
    for (i, k) in keys.iter().enumerate() {
        let v: Vec<u8> = [&b"\x00\r\n"[..], k, format!("{i}").as_bytes()].concat();
        assert_eq!(c.cmd(&[&b"GET"[..], k]), bulk(&v));
        assert_eq!(c.cmd(&[&b"STRLEN"[..], k]), int(v.len() as i64));
    }
    let all = keys_set(&mut c, "*");
    for k in keys {
        assert!(
            all.contains(&Bytes(k.to_vec())),
            "KEYS lacks {:?}",
            Bytes(k.to_vec())
        );
    }
    assert_eq!(
        full_scan(&mut c, &["COUNT", "5"]),
        all,
        "SCAN and KEYS disagree"
    );
    assert_eq!(c.cmd(&[&b"DEL"[..], b"a\x00b", b"a"]), int(1));
    assert_eq!(c.cmd(&[&b"EXISTS"[..], b"a\x00b"]), int(0));
    assert_healthy(&s, "binary keys");
}

#[test]
fn ten_megabyte_value_round_trips() {
    let s = setup();
    let mut c = s.connect();
    let big: Vec<u8> = (0..10 * 1024 * 1024u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 24) as u8)
        .collect();
    assert_eq!(c.cmd(&[&b"SET"[..], b"big", &big]), ok());
    assert_eq!(c.cmd(&["STRLEN", "big"]), int(big.len() as i64));
    let r = c.cmd(&["GET", "big"]);
    match &r {
        Reply::Bulk(b) => assert!(b.0 == big, "10 MB value differs after round trip"),
        other => panic!("GET big: {other:?}"),
    }
    assert_eq!(
        c.cmd(&["GETRANGE", "big", "1000000", "1000009"]),
        bulk(&big[1_000_000..1_000_010])
    );
    assert_eq!(c.cmd(&["APPEND", "big", "xyz"]), int(big.len() as i64 + 3));
    assert_eq!(c.cmd(&["DEL", "big"]), int(1));
    assert_healthy(&s, "10 MB value");
}

#[test]
fn abrupt_disconnect_mid_pipeline() {
    let s = setup();
    let port = s.port;
    let handles: Vec<_> = (0..6)
        .map(|t| {
            thread::spawn(move || {
                let mut bytes = Vec::new();
                for i in 0..10_000 {
                    let k = format!("pipe:{t}:{}", i % 300);
                    match i % 3 {
                        0 => encode_into(&mut bytes, &["SET", &k, &format!("value-{i}")]),
                        1 => encode_into(&mut bytes, &["GET", &k]),
                        _ => encode_into(&mut bytes, &["INCR", &format!("pipe:cnt:{t}")]),
                    }
                }
                // Cut in the middle of a frame.
                let cut = bytes.len() / 2 + 3;
                let mut c = Conn::connect(port);
                let _ = c.stream.write_all(&bytes[..cut]);
                if t % 2 == 0 {
                    // Half the clients read a little first.
                    c.set_read_timeout(Duration::from_millis(200));
                    let _ = c.try_read_reply();
                }
                if t % 3 == 0 {
                    let _ = c.stream.shutdown(Shutdown::Both);
                }
                drop(c);
            })
        })
        .collect();
    for h in handles {
        h.join().expect("client thread panicked");
    }
    assert_healthy(&s, "abrupt disconnects");
    // The server keeps working normally for pipelines afterwards.
    let mut c = s.connect();
    let cmds: Vec<Vec<String>> = (0..1000)
        .map(|i| vec!["SET".into(), format!("after:{i}"), i.to_string()])
        .collect();
    assert!(c.pipeline(&cmds).iter().all(|r| r == &ok()));
}

#[test]
fn non_reading_client_does_not_block_others() {
    let s = setup();
    let mut hog = s.connect();
    hog.stream
        .set_write_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    let hog_ctl = hog.stream.try_clone().unwrap();
    let writer = thread::spawn(move || {
        let mut chunk = Vec::new();
        for _ in 0..10_000 {
            encode_into(&mut chunk, &["GET", "sentinel:1"]);
        }
        let target = 20 * 1024 * 1024;
        let mut written = 0usize;
        let deadline = Instant::now() + Duration::from_secs(30);
        while written < target && Instant::now() < deadline {
            match hog.stream.write_all(&chunk) {
                Ok(()) => written += chunk.len(),
                Err(_) => break, // write timeout or closed: fine
            }
        }
        written
    });
    // Meanwhile other clients are served promptly.
    thread::sleep(Duration::from_millis(200));
    for i in 0..20 {
        let mut c = s.connect();
        c.set_read_timeout(Duration::from_secs(5));
        let t = Instant::now();
        assert_eq!(c.cmd(&["PING"]), pong(), "PING #{i} while a client hogs");
        assert_eq!(c.cmd(&["GET", "sentinel:0"]), bulk("intact-0"));
        assert!(
            t.elapsed() < Duration::from_secs(3),
            "PING #{i} took {:?}",
            t.elapsed()
        );
        thread::sleep(Duration::from_millis(50));
    }
    let _ = hog_ctl.shutdown(Shutdown::Both);
    let written = writer.join().expect("hog writer panicked");
    assert!(written > 0, "hog could not write anything");
    drop(hog_ctl);
    assert_healthy(&s, "non-reading client");
}

#[test]
fn many_connections_open_and_close() {
    let s = setup();
    let mut conns = Vec::new();
    for _ in 0..200 {
        conns.push(s.connect());
    }
    for (i, c) in conns.iter_mut().enumerate() {
        if i % 2 == 0 {
            assert_eq!(c.cmd(&["PING"]), pong());
        }
    }
    drop(conns);
    assert_healthy(&s, "200 connections");
}

/// Every command in COMMAND (subcommands included), called with seeded random arguments
/// (keys of every type on every shard, numbers at the edges, options, binary bytes), in
/// RESP2 and RESP3: each reply must parse as one value and a PING right behind it must
/// get PONG, so a reply announcing more (or fewer) elements than it sends is caught. It
/// caught COMMAND INFO's key specs announcing four map pairs and sending three, which left
/// redis-cli waiting forever.
#[test]
fn every_command_with_random_arguments_keeps_the_stream_in_step() {
    let server = start_shardis(3);
    let mut c = server.connect();
    let names = listed_commands(&mut c, DISRUPTIVE_COMMANDS);
    assert!(names.len() > 150, "only {} commands listed", names.len());

    // Keys of every type, spread over the shards, and a hash-tagged group on one shard.
    const KEYS: &[&str] = &[
        "str", "num", "list", "hash", "set", "zset", "none", "{t}a", "{t}b", "{t}c",
    ];
    let seed_keys = |c: &mut Conn| {
        for cmd in [
            &["SET", "str", "hello"][..],
            &["SET", "num", "42"],
            &["RPUSH", "list", "a", "b", "1", "2"],
            &["HSET", "hash", "f", "v", "n", "7"],
            &["SADD", "set", "a", "b", "3"],
            &["ZADD", "zset", "1", "a", "2", "b", "2.5", "c"],
            &["SADD", "{t}a", "x", "y"],
            &["ZADD", "{t}b", "1", "x"],
            &["SET", "{t}c", "1"],
        ] {
            c.cmd(cmd);
        }
    };
    const WORDS: &[&str] = &[
        "0",
        "1",
        "-1",
        "2",
        "3",
        "10",
        "-10",
        "100",
        "9223372036854775807",
        "-9223372036854775808",
        "9223372036854775808",
        "4294967296",
        "1.5",
        "-inf",
        "+inf",
        "nan",
        "abc",
        "",
        "LIMIT",
        "WITHSCORES",
        "BYLEX",
        "BYSCORE",
        "REV",
        "COUNT",
        "NX",
        "XX",
        "GT",
        "LT",
        "CH",
        "INCR",
        "EX",
        "PX",
        "KEEPTTL",
        "GET",
        "MATCH",
        "TYPE",
        "STORE",
        "LEFT",
        "RIGHT",
        "BEFORE",
        "AFTER",
        "*",
        "-",
        "+",
        "[a",
        "(1",
        "AGGREGATE",
        "SUM",
        "MIN",
        "WEIGHTS",
        "BY",
        "ASC",
        "DESC",
        "ALPHA",
        "RANK",
        "MAXLEN",
        "IDX",
        "LEN",
        "WITHMATCHLEN",
        "REPLACE",
        "ABSTTL",
        "DB",
        "FREQ",
        "ENCODING",
        "WITHVALUES",
    ];
    let started = Instant::now();
    let mut rng = Rng::new(0x5eed);
    let mut calls = 0;
    for resp in [2, 3] {
        let mut c = server.connect();
        if resp == 3 {
            assert!(matches!(c.cmd(&["HELLO", "3"]), Reply::Map(_)));
        }
        seed_keys(&mut c);
        for name in &names {
            for _ in 0..12 {
                let mut args = name.words.clone();
                for _ in 0..rng.below(6) {
                    args.push(match rng.below(10) {
                        0..=3 => rng.pick(KEYS).as_bytes().to_vec(),
                        4..=8 => rng.pick(WORDS).as_bytes().to_vec(),
                        _ => (0..rng.below(5)).map(|_| rng.below(256) as u8).collect(),
                    });
                }
                let replies = c.pipeline(&[args.clone(), vec![b"PING".to_vec()]]);
                assert_eq!(
                    replies[1],
                    pong(),
                    "RESP{resp}: after {:?} (reply {:?}) the stream is out of step",
                    args.iter()
                        .map(|a| String::from_utf8_lossy(a))
                        .collect::<Vec<_>>(),
                    replies[0]
                );
                calls += 1;
            }
            // Random writes wear the keys down (DEL, RENAME, ...): put them back now and then.
            if rng.chance(10) {
                seed_keys(&mut c);
            }
        }
        assert!(
            started.elapsed() < Duration::from_secs(120),
            "{calls} calls took {:?}",
            started.elapsed()
        );
    }
    assert_eq!(server.connect().cmd(&["PING"]), pong());
}
