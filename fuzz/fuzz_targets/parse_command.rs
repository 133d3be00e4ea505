#![no_main]

use libfuzzer_sys::fuzz_target;
use shardis_protocol::{parse_command, reply_len, Parsed};

fuzz_target!(|data: &[u8]| {
    // Requests: parse commands off the front until incomplete or an error.
    let mut buf = data.to_vec();
    let mut args = Vec::new();
    let mut scratch = Vec::new();
    while let Ok(r) = parse_command(&buf, &mut args, &mut scratch) {
        match r {
            Parsed::Command { consumed } => {
                assert!(consumed > 0 && consumed <= buf.len());
                for a in &args {
                    let s = a.slice(&buf, &scratch);
                    assert!(s.len() <= buf.len() + scratch.len());
                }
                buf.drain(..consumed);
            }
            Parsed::Incomplete { min_total } => {
                assert!(min_total > buf.len());
                break;
            }
        }
    }

    // Replies: split the input into reply values.
    let mut rest = data;
    while let Some(n) = reply_len(rest) {
        assert!(n > 0 && n <= rest.len());
        rest = &rest[n..];
    }
});
