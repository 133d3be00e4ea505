//! Property tests for the request parser, reply encoder/splitter and number helpers.

use proptest::prelude::*;
use shardis_protocol::{
    format_double, parse_command, parse_f64, parse_i64, reply_len, ArgSpan, Parsed, Reply,
};

fn encode_multibulk(args: &[Vec<u8>]) -> Vec<u8> {
    let mut out = format!("*{}\r\n", args.len()).into_bytes();
    for a in args {
        out.extend_from_slice(format!("${}\r\n", a.len()).as_bytes());
        out.extend_from_slice(a);
        out.extend_from_slice(b"\r\n");
    }
    out
}

/// Inline encoding that survives any bytes: every argument double-quoted, with each
/// byte written either plainly (safe characters), as a simple escape, or as \xHH.
fn encode_inline(args: &[Vec<u8>]) -> Vec<u8> {
    let mut out = Vec::new();
    for (i, a) in args.iter().enumerate() {
        if i > 0 {
            out.push(b' ');
        }
        out.push(b'"');
        for (j, &b) in a.iter().enumerate() {
            match b {
                b'\n' => out.extend_from_slice(b"\\n"),
                b'\r' => out.extend_from_slice(b"\\r"),
                b'"' => out.extend_from_slice(b"\\\""),
                b'\\' => out.extend_from_slice(b"\\\\"),
                b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b' ' if j % 3 != 0 => out.push(b),
                _ => out.extend_from_slice(format!("\\x{b:02x}").as_bytes()),
            }
        }
        out.push(b'"');
    }
    out.extend_from_slice(b"\r\n");
    out
}

fn arg_strategy() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        proptest::collection::vec(any::<u8>(), 0..300),
        proptest::collection::vec(
            prop_oneof![
                Just(b'\r'),
                Just(b'\n'),
                Just(b'*'),
                Just(b'$'),
                any::<u8>()
            ],
            0..20
        ),
    ]
}

fn commands_strategy() -> impl Strategy<Value = Vec<(bool, Vec<Vec<u8>>)>> {
    proptest::collection::vec(
        (
            any::<bool>(),
            proptest::collection::vec(arg_strategy(), 0..8),
        ),
        0..10,
    )
}

/// Bytes biased towards protocol structure.
fn noisy_bytes() -> impl Strategy<Value = Vec<u8>> {
    proptest::collection::vec(
        prop_oneof![
            Just(b'*'),
            Just(b'$'),
            Just(b'\r'),
            Just(b'\n'),
            Just(b'0'),
            Just(b'1'),
            Just(b'3'),
            Just(b'-'),
            Just(b'"'),
            Just(b'\''),
            Just(b'\\'),
            Just(b'x'),
            Just(b' '),
            any::<u8>(),
        ],
        0..600,
    )
}

fn check_result(buf: &[u8], args: &[ArgSpan], scratch: &[u8], r: &Parsed) {
    match *r {
        Parsed::Command { consumed } => {
            assert!(consumed > 0 && consumed <= buf.len());
            for a in args {
                assert!(a.start <= a.end);
                let src = if a.in_scratch { scratch } else { buf };
                assert!(a.end as usize <= src.len());
                if !a.in_scratch {
                    assert!(a.end as usize <= consumed);
                }
            }
        }
        Parsed::Incomplete { min_total } => {
            assert!(min_total > buf.len());
            assert!(args.is_empty());
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    /// Any stream of commands, split anywhere and fed incrementally, parses back to
    /// the same commands; `min_total` never overshoots the next command's end.
    #[test]
    fn incremental_parse_roundtrip(
        cmds in commands_strategy(),
        cuts in proptest::collection::vec(any::<prop::sample::Index>(), 0..12),
    ) {
        let mut stream = Vec::new();
        let mut lens = Vec::new();
        for (inline, args) in &cmds {
            // An inline command must not start with '*'; ours start with '"' or '\r'.
            let e = if *inline { encode_inline(args) } else { encode_multibulk(args) };
            lens.push(e.len());
            stream.extend_from_slice(&e);
        }
        let mut points: Vec<usize> = cuts.iter().map(|i| i.index(stream.len() + 1)).collect();
        points.push(stream.len());
        points.sort_unstable();

        let mut buf = Vec::new();
        let mut args = Vec::new();
        let mut scratch = Vec::new();
        let mut got: Vec<Vec<Vec<u8>>> = Vec::new();
        let mut fed = 0;
        for p in points {
            buf.extend_from_slice(&stream[fed..p]);
            fed = p;
            loop {
                let r = parse_command(&buf, &mut args, &mut scratch).expect("valid input");
                check_result(&buf, &args, &scratch, &r);
                match r {
                    Parsed::Command { consumed } => {
                        prop_assert_eq!(consumed, lens[got.len()]);
                        got.push(args.iter().map(|a| a.slice(&buf, &scratch).to_vec()).collect());
                        buf.drain(..consumed);
                    }
                    Parsed::Incomplete { min_total } => {
                        if let Some(&need) = lens.get(got.len()) {
                            prop_assert!(min_total <= need, "min_total {} > need {}", min_total, need);
                        }
                        break;
                    }
                }
            }
        }
        prop_assert!(buf.is_empty());
        let want: Vec<Vec<Vec<u8>>> = cmds.into_iter().map(|(_, a)| a).collect();
        prop_assert_eq!(got, want);
    }

    /// Arbitrary bytes never panic and results are always in bounds.
    #[test]
    fn arbitrary_bytes_never_panic(data in prop_oneof![noisy_bytes(), proptest::collection::vec(any::<u8>(), 0..600)]) {
        let mut buf = data;
        let mut args = Vec::new();
        let mut scratch = Vec::new();
        while let Ok(r) = parse_command(&buf, &mut args, &mut scratch) {
            check_result(&buf, &args, &scratch, &r);
            match r {
                Parsed::Command { consumed } => {
                    buf.drain(..consumed);
                }
                Parsed::Incomplete { .. } => break,
            }
        }
        let _ = reply_len(&buf);
    }

    /// `min_total` is a true lower bound: no continuation shorter than it can make the
    /// first command parse or fail.
    #[test]
    fn min_total_is_a_lower_bound(data in noisy_bytes(), split in any::<prop::sample::Index>()) {
        let data = &data[..data.len().min(200)];
        let p = split.index(data.len() + 1);
        let mut args = Vec::new();
        let mut scratch = Vec::new();
        if let Ok(Parsed::Incomplete { min_total }) = parse_command(&data[..p], &mut args, &mut scratch) {
            for k in p..min_total.min(data.len() + 1) {
                let r = parse_command(&data[..k], &mut args, &mut scratch);
                prop_assert!(matches!(r, Ok(Parsed::Incomplete { .. })), "prefix {} of {:?}: {:?}", k, data, r);
            }
        }
    }

    /// reply_len on any concatenation of encoder outputs recovers the boundaries.
    #[test]
    fn reply_len_recovers_boundaries(
        values in proptest::collection::vec(value_strategy(), 0..12),
        resp3 in any::<bool>(),
    ) {
        let mut stream = Vec::new();
        let mut lens = Vec::new();
        for v in &values {
            let start = stream.len();
            let mut r = Reply::new(&mut stream, resp3);
            encode_value(&mut r, v);
            lens.push(stream.len() - start);
        }
        let mut pos = 0;
        for &l in &lens {
            prop_assert_eq!(reply_len(&stream[pos..]), Some(l));
            // Any strict prefix of a value is not a complete reply.
            if l > 1 {
                prop_assert_eq!(reply_len(&stream[pos..pos + l - 1]), None);
            }
            pos += l;
        }
        prop_assert_eq!(pos, stream.len());
    }

    #[test]
    fn parse_i64_roundtrip(n in any::<i64>()) {
        prop_assert_eq!(parse_i64(n.to_string().as_bytes()), Some(n));
    }

    #[test]
    fn parse_i64_is_canonical(s in proptest::collection::vec(
        prop_oneof![Just(b'-'), Just(b'+'), Just(b'0'), Just(b'9'), Just(b' '), 0x30u8..0x3a], 0..22)) {
        if let Some(n) = parse_i64(&s) {
            prop_assert_eq!(n.to_string().into_bytes(), s);
        }
    }

    #[test]
    fn format_double_roundtrips(bits in any::<u64>()) {
        let v = f64::from_bits(bits);
        let mut out = Vec::new();
        format_double(&mut out, v);
        if v.is_nan() {
            prop_assert_eq!(out, b"nan".to_vec());
        } else {
            let back = parse_f64(&out);
            prop_assert_eq!(back.map(f64::to_bits), Some(v.to_bits()));
        }
    }
}

#[derive(Debug, Clone)]
enum Val {
    Ok,
    Simple(Vec<u8>),
    Error(Vec<u8>),
    Int(i64),
    Bulk(Vec<u8>),
    BulkI64(i64),
    Null,
    NullArray,
    Double(f64),
    Bool(bool),
    Verbatim(Vec<u8>),
    Array(Vec<Val>),
    Set(Vec<Val>),
    Map(Vec<(Val, Val)>),
}

fn line_bytes() -> impl Strategy<Value = Vec<u8>> {
    proptest::collection::vec(0x20u8..0x7f, 0..20)
}

fn value_strategy() -> impl Strategy<Value = Val> {
    let leaf = prop_oneof![
        Just(Val::Ok),
        line_bytes().prop_map(Val::Simple),
        proptest::collection::vec(any::<u8>(), 0..20).prop_map(Val::Error),
        any::<i64>().prop_map(Val::Int),
        arg_strategy().prop_map(Val::Bulk),
        any::<i64>().prop_map(Val::BulkI64),
        Just(Val::Null),
        Just(Val::NullArray),
        any::<f64>().prop_map(Val::Double),
        any::<bool>().prop_map(Val::Bool),
        arg_strategy().prop_map(Val::Verbatim),
    ];
    leaf.prop_recursive(4, 64, 6, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..6).prop_map(Val::Array),
            proptest::collection::vec(inner.clone(), 0..6).prop_map(Val::Set),
            proptest::collection::vec((inner.clone(), inner), 0..4).prop_map(Val::Map),
        ]
    })
}

fn encode_value(r: &mut Reply, v: &Val) {
    match v {
        Val::Ok => r.ok(),
        Val::Simple(s) => r.simple(s),
        Val::Error(s) => r.error(s),
        Val::Int(n) => r.integer(*n),
        Val::Bulk(s) => r.bulk(s),
        Val::BulkI64(n) => r.bulk_i64(*n),
        Val::Null => r.null(),
        Val::NullArray => r.null_array(),
        Val::Double(d) => r.double(*d),
        Val::Bool(b) => r.boolean(*b),
        Val::Verbatim(s) => r.verbatim(s),
        Val::Array(items) => {
            r.array(items.len());
            items.iter().for_each(|i| encode_value(r, i));
        }
        Val::Set(items) => {
            r.set(items.len());
            items.iter().for_each(|i| encode_value(r, i));
        }
        Val::Map(pairs) => {
            r.map(pairs.len());
            for (k, v) in pairs {
                encode_value(r, k);
                encode_value(r, v);
            }
        }
    }
}
