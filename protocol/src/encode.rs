//! Reply encoding (RESP2 / RESP3) and reply splitting.

use crate::number::{format_double, parse_i64};

/// Reply encoder. `resp3` selects RESP3 types where RESP2 and RESP3 differ.
pub struct Reply<'a> {
    pub out: &'a mut Vec<u8>,
    pub resp3: bool,
}

impl<'a> Reply<'a> {
    pub fn new(out: &'a mut Vec<u8>, resp3: bool) -> Self {
        Reply { out, resp3 }
    }

    #[inline]
    fn header(&mut self, tag: u8, n: u64) {
        let mut ib = itoa::Buffer::new();
        self.out.push(tag);
        self.out.extend_from_slice(ib.format(n).as_bytes());
        self.out.extend_from_slice(b"\r\n");
    }

    /// `+OK\r\n`
    pub fn ok(&mut self) {
        self.out.extend_from_slice(b"+OK\r\n");
    }

    /// `+s\r\n` (`s` must not contain '\r' or '\n').
    pub fn simple(&mut self, s: &[u8]) {
        self.out.push(b'+');
        self.out.extend_from_slice(s);
        self.out.extend_from_slice(b"\r\n");
    }

    /// `-msg\r\n`; `msg` already carries its prefix (e.g. `b"ERR syntax error"`).
    /// Any '\r' or '\n' inside `msg` is replaced by ' ', as Redis does.
    pub fn error(&mut self, msg: &[u8]) {
        self.out.push(b'-');
        self.out.extend(
            msg.iter()
                .map(|&b| if b == b'\r' || b == b'\n' { b' ' } else { b }),
        );
        self.out.extend_from_slice(b"\r\n");
    }

    /// `:v\r\n`
    pub fn integer(&mut self, v: i64) {
        let mut ib = itoa::Buffer::new();
        self.out.push(b':');
        self.out.extend_from_slice(ib.format(v).as_bytes());
        self.out.extend_from_slice(b"\r\n");
    }

    /// `$len\r\n s \r\n`
    pub fn bulk(&mut self, s: &[u8]) {
        self.header(b'$', s.len() as u64);
        self.out.extend_from_slice(s);
        self.out.extend_from_slice(b"\r\n");
    }

    /// An integer formatted as a bulk string.
    pub fn bulk_i64(&mut self, v: i64) {
        let mut ib = itoa::Buffer::new();
        self.bulk(ib.format(v).as_bytes());
    }

    /// RESP2 `$-1\r\n`, RESP3 `_\r\n`.
    pub fn null(&mut self) {
        self.out
            .extend_from_slice(if self.resp3 { b"_\r\n" } else { b"$-1\r\n" });
    }

    /// RESP2 `*-1\r\n`, RESP3 `_\r\n`.
    pub fn null_array(&mut self) {
        self.out
            .extend_from_slice(if self.resp3 { b"_\r\n" } else { b"*-1\r\n" });
    }

    /// `*len\r\n`
    pub fn array(&mut self, len: usize) {
        self.header(b'*', len as u64);
    }

    /// RESP3 `%pairs\r\n`, RESP2 `*(2*pairs)\r\n`.
    pub fn map(&mut self, pairs: usize) {
        if self.resp3 {
            self.header(b'%', pairs as u64);
        } else {
            self.header(b'*', (pairs as u64).saturating_mul(2));
        }
    }

    /// RESP3 `~len\r\n`, RESP2 `*len\r\n`.
    pub fn set(&mut self, len: usize) {
        self.header(if self.resp3 { b'~' } else { b'*' }, len as u64);
    }

    /// RESP3 `,<format_double>\r\n`; RESP2 bulk of [`format_double`].
    pub fn double(&mut self, v: f64) {
        if self.resp3 {
            self.out.push(b',');
            format_double(self.out, v);
            self.out.extend_from_slice(b"\r\n");
        } else {
            // Format in place, then move the "$<len>\r\n" header in front (no allocation).
            let start = self.out.len();
            format_double(self.out, v);
            let n = self.out.len() - start;
            self.header(b'$', n as u64);
            let header_len = self.out.len() - start - n;
            self.out[start..].rotate_right(header_len);
            self.out.extend_from_slice(b"\r\n");
        }
    }

    /// RESP3 `#t`/`#f`; RESP2 `:1`/`:0`.
    pub fn boolean(&mut self, v: bool) {
        let s: &[u8] = match (self.resp3, v) {
            (true, true) => b"#t\r\n",
            (true, false) => b"#f\r\n",
            (false, true) => b":1\r\n",
            (false, false) => b":0\r\n",
        };
        self.out.extend_from_slice(s);
    }

    /// RESP3 `=len\r\ntxt:<text>\r\n` (len = 4 + text.len()); RESP2 plain bulk.
    pub fn verbatim(&mut self, text: &[u8]) {
        if self.resp3 {
            self.header(b'=', text.len() as u64 + 4);
            self.out.extend_from_slice(b"txt:");
            self.out.extend_from_slice(text);
            self.out.extend_from_slice(b"\r\n");
        } else {
            self.bulk(text);
        }
    }

    /// Append already-encoded reply bytes.
    pub fn raw(&mut self, bytes: &[u8]) {
        self.out.extend_from_slice(bytes);
    }
}

/// Position of the "\r\n" ending the line that starts at `pos`; `None` if the line is
/// not complete or contains a bare '\r' / '\n'.
fn line_end(buf: &[u8], pos: usize) -> Option<usize> {
    let rest = buf.get(pos..)?;
    let i = rest.iter().position(|&b| b == b'\r' || b == b'\n')?;
    if rest[i] == b'\r' && rest.get(i + 1) == Some(&b'\n') {
        Some(pos + i)
    } else {
        None
    }
}

/// Length in bytes of the first complete RESP2/RESP3 reply value at the front of `buf`
/// (recursing into arrays/maps/sets/pushes/attributes, handling -1 nulls), or `None`
/// if `buf` doesn't start with a complete valid reply.
///
/// Iterative, so deeply nested input cannot overflow the stack.
pub fn reply_len(buf: &[u8]) -> Option<usize> {
    let mut pos = 0usize;
    // Values still to read; every value takes at least 3 bytes, so a count larger
    // than the remaining buffer can never complete.
    let mut pending: u64 = 1;
    while pending > 0 {
        if pending > (buf.len() - pos) as u64 {
            return None;
        }
        pending -= 1;
        let tag = *buf.get(pos)?;
        let eol = line_end(buf, pos + 1)?;
        let line = &buf[pos + 1..eol];
        let next = eol + 2;
        match tag {
            b'+' | b'-' | b'(' => {}
            b':' => {
                parse_i64(line)?;
            }
            b',' => {
                if line.is_empty() {
                    return None;
                }
            }
            b'_' => {
                if !line.is_empty() {
                    return None;
                }
            }
            b'#' => {
                if line != b"t" && line != b"f" {
                    return None;
                }
            }
            b'$' | b'=' | b'!' => {
                let n = parse_i64(line)?;
                if n == -1 && tag == b'$' {
                    pos = next;
                    continue;
                }
                let n = usize::try_from(n).ok()?;
                let end = next.checked_add(n)?;
                if buf.get(end..end.checked_add(2)?)? != b"\r\n" {
                    return None;
                }
                pos = end + 2;
                continue;
            }
            b'*' | b'~' | b'>' | b'%' | b'|' => {
                let n = parse_i64(line)?;
                if n == -1 && tag == b'*' {
                    pos = next;
                    continue;
                }
                let n = u64::try_from(n).ok()?;
                let children = match tag {
                    b'%' => n.checked_mul(2)?,
                    // An attribute's pairs are followed by the value it annotates.
                    b'|' => n.checked_mul(2)?.checked_add(1)?,
                    _ => n,
                };
                pending = pending.checked_add(children)?;
            }
            _ => return None,
        }
        pos = next;
    }
    Some(pos)
}

/// If `buf` is exactly one RESP integer reply `:n\r\n`, its value.
pub fn reply_integer(buf: &[u8]) -> Option<i64> {
    let body = buf.strip_prefix(b":")?.strip_suffix(b"\r\n")?;
    parse_i64(body)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn enc(resp3: bool, f: impl FnOnce(&mut Reply)) -> Vec<u8> {
        let mut out = Vec::new();
        let mut r = Reply::new(&mut out, resp3);
        f(&mut r);
        out
    }

    fn both(f: impl Fn(&mut Reply)) -> (Vec<u8>, Vec<u8>) {
        (enc(false, &f), enc(true, &f))
    }

    #[test]
    fn simple_types() {
        assert_eq!(both(|r| r.ok()), (b"+OK\r\n".to_vec(), b"+OK\r\n".to_vec()));
        assert_eq!(enc(false, |r| r.simple(b"PONG")), b"+PONG\r\n");
        assert_eq!(
            enc(false, |r| r.error(b"ERR bad\r\nthing\n")),
            b"-ERR bad  thing \r\n"
        );
        assert_eq!(enc(true, |r| r.integer(-42)), b":-42\r\n");
        assert_eq!(
            enc(false, |r| r.integer(i64::MIN)),
            b":-9223372036854775808\r\n"
        );
    }

    #[test]
    fn bulks() {
        assert_eq!(enc(false, |r| r.bulk(b"")), b"$0\r\n\r\n");
        assert_eq!(enc(true, |r| r.bulk(b"a\r\nb")), b"$4\r\na\r\nb\r\n");
        assert_eq!(enc(false, |r| r.bulk_i64(-17)), b"$3\r\n-17\r\n");
        assert_eq!(both(|r| r.null()), (b"$-1\r\n".to_vec(), b"_\r\n".to_vec()));
        assert_eq!(
            both(|r| r.null_array()),
            (b"*-1\r\n".to_vec(), b"_\r\n".to_vec())
        );
    }

    #[test]
    fn aggregates() {
        assert_eq!(
            both(|r| r.array(3)),
            (b"*3\r\n".to_vec(), b"*3\r\n".to_vec())
        );
        assert_eq!(both(|r| r.map(2)), (b"*4\r\n".to_vec(), b"%2\r\n".to_vec()));
        assert_eq!(both(|r| r.set(0)), (b"*0\r\n".to_vec(), b"~0\r\n".to_vec()));
    }

    #[test]
    fn doubles_and_booleans() {
        assert_eq!(
            both(|r| r.double(1.5)),
            (b"$3\r\n1.5\r\n".to_vec(), b",1.5\r\n".to_vec())
        );
        assert_eq!(
            both(|r| r.double(0.1)),
            (
                b"$19\r\n0.10000000000000001\r\n".to_vec(),
                b",0.10000000000000001\r\n".to_vec()
            )
        );
        assert_eq!(
            both(|r| r.double(f64::NEG_INFINITY)),
            (b"$4\r\n-inf\r\n".to_vec(), b",-inf\r\n".to_vec())
        );
        assert_eq!(
            both(|r| r.boolean(true)),
            (b":1\r\n".to_vec(), b"#t\r\n".to_vec())
        );
        assert_eq!(
            both(|r| r.boolean(false)),
            (b":0\r\n".to_vec(), b"#f\r\n".to_vec())
        );
    }

    #[test]
    fn verbatim_and_raw() {
        assert_eq!(
            both(|r| r.verbatim(b"hi\r\n")),
            (
                b"$4\r\nhi\r\n\r\n".to_vec(),
                b"=8\r\ntxt:hi\r\n\r\n".to_vec()
            )
        );
        assert_eq!(enc(false, |r| r.raw(b":1\r\n")), b":1\r\n");
    }

    #[test]
    fn reply_len_cases() {
        let ok: &[(&[u8], usize)] = &[
            (b"+OK\r\n", 5),
            (b"-ERR x\r\n+OK\r\n", 8),
            (b":12\r\n", 5),
            (b"$-1\r\n", 5),
            (b"*-1\r\n", 5),
            (b"_\r\n", 3),
            (b"$0\r\n\r\n", 6),
            (b"$4\r\na\r\nb\r\nxx", 10),
            (b"*0\r\n", 4),
            (b"*2\r\n$1\r\na\r\n*1\r\n:1\r\n", 19),
            (b"%1\r\n+k\r\n,1.5\r\n", 14),
            (b"~1\r\n#t\r\n", 8),
            (b">2\r\n+a\r\n_\r\n", 11),
            (b"=8\r\ntxt:hi\r\n\r\n", 14),
            (b"!3\r\nERR\r\n", 9),
            (b"(123\r\n", 6),
            (b"|1\r\n+k\r\n+v\r\n:5\r\n", 16),
        ];
        for &(b, n) in ok {
            assert_eq!(reply_len(b), Some(n), "{b:?}");
        }
        for b in [
            &b""[..],
            b"+OK",
            b"+OK\r",
            b"+O\nK\r\n",
            b"x\r\n",
            b":1x\r\n",
            b"$3\r\nab",
            b"$3\r\nabcXY",
            b"$-2\r\n",
            b"!-1\r\n",
            b"*2\r\n:1\r\n",
            b"*-2\r\n",
            b"%1\r\n+k\r\n",
            b"*9223372036854775807\r\n",
            b"#x\r\n",
            b"_x\r\n",
        ] {
            assert_eq!(reply_len(b), None, "{b:?}");
        }
    }

    #[test]
    fn reply_len_deep_nesting_no_stack_overflow() {
        let mut b = b"*1\r\n".repeat(200_000);
        assert_eq!(reply_len(&b), None);
        b.extend_from_slice(b":1\r\n");
        assert_eq!(reply_len(&b), Some(b.len()));
    }

    #[test]
    fn reply_integer_cases() {
        assert_eq!(reply_integer(b":0\r\n"), Some(0));
        assert_eq!(reply_integer(b":-5\r\n"), Some(-5));
        assert_eq!(reply_integer(b":5\r\n:6\r\n"), None);
        assert_eq!(reply_integer(b"$1\r\n5\r\n"), None);
        assert_eq!(reply_integer(b":5\r"), None);
        assert_eq!(reply_integer(b":\r\n"), None);
    }
}
