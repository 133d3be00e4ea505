//! Request parsing: RESP2 multibulk and inline commands (Redis 7.0 `processMultibulkBuffer`
//! / `processInlineBuffer` / `sdssplitargs`).

use crate::number::parse_i64;
use crate::{ProtocolError, MAX_BULK_LEN, MAX_INLINE_LEN};

/// Where one argument's bytes live: in the input buffer (multibulk) or in the parser's
/// scratch (inline commands, whose quotes/escapes are decoded).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ArgSpan {
    pub start: u32,
    pub end: u32,
    pub in_scratch: bool,
}

impl ArgSpan {
    /// Resolve a span to bytes.
    ///
    /// Panics if the span does not belong to `buf`/`scratch` (a caller bug, never
    /// caused by input data when the same buffers given to [`parse_command`] are used).
    #[inline]
    pub fn slice<'a>(&self, buf: &'a [u8], scratch: &'a [u8]) -> &'a [u8] {
        let src = if self.in_scratch { scratch } else { buf };
        &src[self.start as usize..self.end as usize]
    }

    /// Length of the argument in bytes.
    #[inline]
    pub fn len(&self) -> usize {
        self.end.saturating_sub(self.start) as usize
    }

    /// Whether the argument is the empty string.
    #[inline]
    pub fn is_empty(&self) -> bool {
        self.end == self.start
    }
}

/// Outcome of [`parse_command`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Parsed {
    /// Not a whole command yet. `min_total` is a lower bound on the total buffer length
    /// (from the start of buf) needed before trying again is worthwhile (exact when a bulk
    /// payload is pending), so callers can skip re-parsing and pre-reserve capacity.
    /// Always greater than `buf.len()`.
    Incomplete { min_total: usize },
    /// One command parsed; `consumed` bytes of buf belong to it. `args` holds its argument
    /// spans (may be EMPTY: `*0\r\n`, `*-1\r\n`, or an empty/blank inline line are consumed
    /// and yield zero args — callers skip those, as Redis does).
    Command { consumed: usize },
}

/// Never reserve more than this many argument slots up front, whatever the count says.
const ARGS_PREALLOC_CAP: usize = 1024;

/// Parse ONE command from the front of `buf` (RESP2 multibulk array of bulk strings, or an
/// inline command line as redis-cli/telnet send: anything not starting with '*').
/// Clears and fills `args`; clears `scratch` and appends decoded inline args there.
///
/// On `Incomplete` or an error, `args` and `scratch` are left empty.
pub fn parse_command(
    buf: &[u8],
    args: &mut Vec<ArgSpan>,
    scratch: &mut Vec<u8>,
) -> Result<Parsed, ProtocolError> {
    args.clear();
    scratch.clear();
    let res = match buf.first() {
        None => Ok(Parsed::Incomplete { min_total: 1 }),
        Some(b'*') => parse_multibulk(buf, args),
        Some(_) => parse_inline(buf, args, scratch),
    };
    if !matches!(res, Ok(Parsed::Command { .. })) {
        args.clear();
        scratch.clear();
    }
    res
}

/// Result of looking for a header line (`*<n>\r` / `$<n>\r`) starting at `pos`.
enum Line {
    /// Index of the '\r' ending the line; the byte after it is present too.
    Complete(usize),
    /// Need more data; the lower bound on total length for another try.
    Incomplete(usize),
    /// More than `MAX_INLINE_LEN` bytes buffered without a '\r'.
    TooBig,
}

/// Redis finds the first '\r' after the header start (anywhere in the buffer), and
/// requires one more byte after it (which it skips without checking it is '\n').
fn find_header_line(buf: &[u8], pos: usize) -> Line {
    let rest = &buf[pos..];
    match rest.iter().position(|&b| b == b'\r') {
        Some(i) if i + 1 < rest.len() => Line::Complete(pos + i),
        // The '\r' is the last byte: one more byte completes the line.
        Some(_) => Line::Incomplete(buf.len() + 1),
        None if rest.len() > MAX_INLINE_LEN => Line::TooBig,
        // A complete line needs a '\r' plus the byte after it; the too-big error
        // fires once more than MAX_INLINE_LEN bytes follow the header start.
        None => Line::Incomplete((buf.len() + 2).min(pos + MAX_INLINE_LEN + 1)),
    }
}

fn span(start: usize, end: usize, in_scratch: bool) -> Option<ArgSpan> {
    Some(ArgSpan {
        start: u32::try_from(start).ok()?,
        end: u32::try_from(end).ok()?,
        in_scratch,
    })
}

fn parse_multibulk(buf: &[u8], args: &mut Vec<ArgSpan>) -> Result<Parsed, ProtocolError> {
    let cr = match find_header_line(buf, 0) {
        Line::Complete(cr) => cr,
        Line::Incomplete(min_total) => return Ok(Parsed::Incomplete { min_total }),
        Line::TooBig => return Err(ProtocolError::TooBigMbulkCountString),
    };
    let count = match parse_i64(&buf[1..cr]) {
        Some(n) if n <= i64::from(i32::MAX) => n,
        _ => return Err(ProtocolError::InvalidMultibulkLength),
    };
    let mut pos = cr + 2;
    if count <= 0 {
        return Ok(Parsed::Command { consumed: pos });
    }
    // count is in 1..=i32::MAX, so it fits usize on every supported target.
    let count = usize::try_from(count).map_err(|_| ProtocolError::InvalidMultibulkLength)?;
    args.reserve(count.min(ARGS_PREALLOC_CAP));

    for _ in 0..count {
        let cr = match find_header_line(buf, pos) {
            Line::Complete(cr) => cr,
            Line::Incomplete(min_total) => return Ok(Parsed::Incomplete { min_total }),
            Line::TooBig => return Err(ProtocolError::TooBigBulkCountString),
        };
        let first = buf[pos];
        if first != b'$' {
            return Err(ProtocolError::ExpectedDollar(first));
        }
        let len = match parse_i64(&buf[pos + 1..cr]).map(usize::try_from) {
            Some(Ok(n)) if n <= MAX_BULK_LEN => n,
            _ => return Err(ProtocolError::InvalidBulkLength),
        };
        let data_start = cr + 2;
        let data_end = data_start
            .checked_add(len)
            .ok_or(ProtocolError::InvalidBulkLength)?;
        let need = data_end
            .checked_add(2)
            .ok_or(ProtocolError::InvalidBulkLength)?;
        if buf.len() < need {
            return Ok(Parsed::Incomplete { min_total: need });
        }
        // Spans are 32-bit: a single command reaching past 4 GiB of buffer is refused.
        let s = span(data_start, data_end, false).ok_or(ProtocolError::InvalidBulkLength)?;
        args.push(s);
        // Redis skips the two bytes after the payload without checking them.
        pos = need;
    }
    Ok(Parsed::Command { consumed: pos })
}

fn parse_inline(
    buf: &[u8],
    args: &mut Vec<ArgSpan>,
    scratch: &mut Vec<u8>,
) -> Result<Parsed, ProtocolError> {
    let Some(nl) = buf.iter().position(|&b| b == b'\n') else {
        if buf.len() > MAX_INLINE_LEN {
            return Err(ProtocolError::TooBigInlineRequest);
        }
        return Ok(Parsed::Incomplete {
            min_total: buf.len() + 1,
        });
    };
    let line_end = if nl > 0 && buf[nl - 1] == b'\r' {
        nl - 1
    } else {
        nl
    };
    split_args(&buf[..line_end], args, scratch)?;
    Ok(Parsed::Command { consumed: nl + 1 })
}

/// C `isspace` in the "C" locale.
#[inline]
fn is_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | b'\x0b' | b'\x0c' | b'\r')
}

#[inline]
fn hex_val(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

/// Split one inline line into arguments the way Redis `sdssplitargs` does, decoding
/// into `scratch`. Unlike the C version, NUL bytes are ordinary characters.
fn split_args(
    line: &[u8],
    args: &mut Vec<ArgSpan>,
    scratch: &mut Vec<u8>,
) -> Result<(), ProtocolError> {
    let n = line.len();
    let mut p = 0;
    loop {
        while p < n && is_space(line[p]) {
            p += 1;
        }
        if p >= n {
            return Ok(());
        }
        let start = scratch.len();
        let mut in_dq = false;
        let mut in_sq = false;
        loop {
            if in_dq {
                let Some(&c) = line.get(p) else {
                    return Err(ProtocolError::UnbalancedQuotes);
                };
                if c == b'\\' && line.get(p + 1) == Some(&b'x') {
                    if let (Some(h), Some(l)) = (
                        line.get(p + 2).copied().and_then(hex_val),
                        line.get(p + 3).copied().and_then(hex_val),
                    ) {
                        scratch.push(h * 16 + l);
                        p += 4;
                        continue;
                    }
                }
                if c == b'\\' && p + 1 < n {
                    p += 1;
                    scratch.push(match line[p] {
                        b'n' => b'\n',
                        b'r' => b'\r',
                        b't' => b'\t',
                        b'b' => 0x08,
                        b'a' => 0x07,
                        other => other,
                    });
                } else if c == b'"' {
                    // A closing quote must be followed by a space or nothing at all.
                    if p + 1 < n && !is_space(line[p + 1]) {
                        return Err(ProtocolError::UnbalancedQuotes);
                    }
                    p += 1;
                    break;
                } else {
                    scratch.push(c);
                }
                p += 1;
            } else if in_sq {
                let Some(&c) = line.get(p) else {
                    return Err(ProtocolError::UnbalancedQuotes);
                };
                if c == b'\\' && line.get(p + 1) == Some(&b'\'') {
                    p += 1;
                    scratch.push(b'\'');
                } else if c == b'\'' {
                    if p + 1 < n && !is_space(line[p + 1]) {
                        return Err(ProtocolError::UnbalancedQuotes);
                    }
                    p += 1;
                    break;
                } else {
                    scratch.push(c);
                }
                p += 1;
            } else {
                let Some(&c) = line.get(p) else {
                    break;
                };
                match c {
                    // Only these end an unquoted token (not \v or \f, unlike isspace).
                    b' ' | b'\n' | b'\r' | b'\t' => {
                        p += 1;
                        break;
                    }
                    b'"' => in_dq = true,
                    b'\'' => in_sq = true,
                    _ => scratch.push(c),
                }
                p += 1;
            }
        }
        let s = span(start, scratch.len(), true).ok_or(ProtocolError::TooBigInlineRequest)?;
        args.push(s);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Parsed arguments (owned) and bytes consumed.
    type Cmd = (Vec<Vec<u8>>, usize);

    /// Parse one command: `Ok(Ok(cmd))`, `Ok(Err(min_total))` or the error.
    fn one(buf: &[u8]) -> Result<Result<Cmd, usize>, ProtocolError> {
        let mut args = Vec::new();
        let mut scratch = Vec::new();
        match parse_command(buf, &mut args, &mut scratch)? {
            Parsed::Command { consumed } => Ok(Ok((
                args.iter()
                    .map(|a| a.slice(buf, &scratch).to_vec())
                    .collect(),
                consumed,
            ))),
            Parsed::Incomplete { min_total } => {
                assert!(min_total > buf.len());
                Ok(Err(min_total))
            }
        }
    }

    fn cmd(buf: &[u8]) -> (Vec<Vec<u8>>, usize) {
        match one(buf) {
            Ok(Ok(c)) => c,
            other => panic!("expected command for {buf:?}, got {other:?}"),
        }
    }

    fn args_of(buf: &[u8]) -> Vec<Vec<u8>> {
        cmd(buf).0
    }

    fn incomplete(buf: &[u8]) -> usize {
        match one(buf) {
            Ok(Err(m)) => m,
            other => panic!("expected incomplete for {buf:?}, got {other:?}"),
        }
    }

    fn err(buf: &[u8]) -> ProtocolError {
        match one(buf) {
            Err(e) => e,
            other => panic!("expected error for {buf:?}, got {other:?}"),
        }
    }

    fn v(items: &[&[u8]]) -> Vec<Vec<u8>> {
        items.iter().map(|s| s.to_vec()).collect()
    }

    #[test]
    fn empty_buffer_incomplete() {
        assert_eq!(incomplete(b""), 1);
    }

    #[test]
    fn multibulk_basic() {
        let b = b"*2\r\n$4\r\necho\r\n$3\r\nabc\r\n*1\r\n";
        assert_eq!(cmd(b), (v(&[b"echo", b"abc"]), 23));
    }

    #[test]
    fn multibulk_binary_and_empty_args() {
        let b = b"*3\r\n$0\r\n\r\n$4\r\n\r\n\0x\r\n$1\r\n*\r\n";
        assert_eq!(args_of(b), v(&[b"", b"\r\n\0x", b"*"]));
    }

    #[test]
    fn multibulk_zero_and_negative_count_are_empty_commands() {
        assert_eq!(cmd(b"*0\r\n"), (vec![], 4));
        assert_eq!(cmd(b"*-1\r\nPING\r\n"), (vec![], 5));
        assert_eq!(cmd(b"*-3\r\n"), (vec![], 5));
        assert_eq!(cmd(b"*-9223372036854775808\r\n"), (vec![], 23));
    }

    #[test]
    fn multibulk_separator_bytes_not_checked() {
        // Redis skips the byte after '\r' and the two bytes after a payload unchecked.
        assert_eq!(cmd(b"*1\rX$3\rYabcZZ"), (v(&[b"abc"]), 13));
    }

    #[test]
    fn multibulk_count_errors() {
        use ProtocolError::InvalidMultibulkLength as E;
        for b in [
            &b"*\r\n"[..],
            b"*abc\r\n",
            b"*+1\r\n",
            b"*01\r\n",
            b"*-0\r\n",
            b"* 1\r\n",
            b"*1 \r\n",
            b"*2147483648\r\n",
            b"*9223372036854775808\r\n",
        ] {
            assert_eq!(err(b), E, "{b:?}");
        }
    }

    #[test]
    fn multibulk_huge_count_does_not_allocate() {
        let mut args = Vec::new();
        let mut scratch = Vec::new();
        let r = parse_command(b"*2147483647\r\n$1\r\na\r\n", &mut args, &mut scratch);
        assert!(matches!(r, Ok(Parsed::Incomplete { .. })));
        assert!(args.capacity() <= ARGS_PREALLOC_CAP);
    }

    #[test]
    fn multibulk_count_line_incomplete() {
        assert_eq!(incomplete(b"*"), 3);
        assert_eq!(incomplete(b"*1"), 4);
        assert_eq!(incomplete(b"*1\r"), 4);
        // Even an invalid count is only judged once the line is complete.
        assert_eq!(incomplete(b"*x"), 4);
    }

    #[test]
    fn too_big_mbulk_count_string() {
        let mut b = vec![b'*'];
        b.resize(MAX_INLINE_LEN, b'1');
        assert_eq!(incomplete(&b), MAX_INLINE_LEN + 1);
        b.push(b'1');
        assert_eq!(err(&b), ProtocolError::TooBigMbulkCountString);
        // With a '\r' present (and the byte after), the line is judged normally.
        let mut b = vec![b'*'];
        b.resize(MAX_INLINE_LEN + 10, b'1');
        b.extend_from_slice(b"\r\n");
        assert_eq!(err(&b), ProtocolError::InvalidMultibulkLength);
    }

    #[test]
    fn bulk_header_errors() {
        assert_eq!(err(b"*1\r\nx4\r\n"), ProtocolError::ExpectedDollar(b'x'));
        assert_eq!(err(b"*1\r\n\r\n"), ProtocolError::ExpectedDollar(b'\r'));
        assert_eq!(
            err(b"*2\r\n$1\r\na\r\n:1\r\n"),
            ProtocolError::ExpectedDollar(b':')
        );
        use ProtocolError::InvalidBulkLength as E;
        for b in [
            &b"*1\r\n$\r\n"[..],
            b"*1\r\n$-1\r\n",
            b"*1\r\n$-0\r\n",
            b"*1\r\n$01\r\n",
            b"*1\r\n$+1\r\n",
            b"*1\r\n$1x\r\n",
            b"*1\r\n$536870913\r\n",
            b"*1\r\n$9223372036854775808\r\n",
        ] {
            assert_eq!(err(b), E, "{b:?}");
        }
        // Exactly MAX_BULK_LEN is accepted (and pending).
        assert_eq!(incomplete(b"*1\r\n$536870912\r\n"), 16 + MAX_BULK_LEN + 2);
    }

    #[test]
    fn bulk_header_judged_only_when_line_complete() {
        assert_eq!(incomplete(b"*1\r\nx"), 7);
        assert_eq!(incomplete(b"*1\r\nx\r"), 7);
        assert_eq!(incomplete(b"*1\r\n"), 6);
    }

    #[test]
    fn too_big_bulk_count_string() {
        let mut b = b"*1\r\n$".to_vec();
        b.resize(4 + MAX_INLINE_LEN, b'1');
        assert_eq!(incomplete(&b), 4 + MAX_INLINE_LEN + 1);
        b.push(b'1');
        assert_eq!(err(&b), ProtocolError::TooBigBulkCountString);
    }

    #[test]
    fn pending_payload_min_total_is_exact() {
        let b = b"*2\r\n$3\r\nset\r\n$10000000\r\nab";
        let header_end = b.len() - 2;
        assert_eq!(incomplete(b), header_end + 10_000_000 + 2);
        // Payload present but trailing two bytes missing.
        assert_eq!(incomplete(b"*1\r\n$3\r\nabc"), 13);
        assert_eq!(incomplete(b"*1\r\n$3\r\nabc\r"), 13);
        assert_eq!(cmd(b"*1\r\n$3\r\nabc\r\n").1, 13);
    }

    #[test]
    fn inline_basic() {
        assert_eq!(cmd(b"PING\r\n"), (v(&[b"PING"]), 6));
        assert_eq!(cmd(b"PING\n"), (v(&[b"PING"]), 5));
        assert_eq!(
            cmd(b"  set  key\tvalue  \r\nGET"),
            (v(&[b"set", b"key", b"value"]), 20)
        );
        assert_eq!(incomplete(b"PING"), 5);
        assert_eq!(incomplete(b"PING\r"), 6);
    }

    #[test]
    fn inline_empty_lines_yield_no_args() {
        assert_eq!(cmd(b"\r\n"), (vec![], 2));
        assert_eq!(cmd(b"\n"), (vec![], 1));
        assert_eq!(cmd(b"  \t \x0b\x0c\r\n"), (vec![], 8));
    }

    #[test]
    fn inline_whitespace_rules() {
        // \v and \f are skipped between tokens but do not end a token.
        assert_eq!(args_of(b"echo \x0ba\x0bb\r\n"), v(&[b"echo", b"a\x0bb"]));
        // A lone '\r' inside the line separates tokens.
        assert_eq!(args_of(b"a\rb\r\n"), v(&[b"a", b"b"]));
        // Only one '\r' before '\n' is stripped.
        assert_eq!(args_of(b"a\r\r\n"), v(&[b"a"]));
    }

    #[test]
    fn inline_double_quotes() {
        assert_eq!(args_of(b"set \"a b\" \"\"\r\n"), v(&[b"set", b"a b", b""]));
        assert_eq!(
            args_of(b"echo \"\\n\\r\\t\\b\\a\\\\\\\"\\q\\x41\\x4g\\x7e\"\r\n"),
            v(&[b"echo", b"\n\r\t\x08\x07\\\"qAx4g~"])
        );
        // Verified against redis-server 7.0: `echo "a\x41\x4g\q"` -> "aAx4gq".
        assert_eq!(
            args_of(b"echo \"a\\x41\\x4g\\q\"\r\n"),
            v(&[b"echo", b"aAx4gq"])
        );
        assert_eq!(
            args_of(b"echo \"\\xff\\x00\"\n"),
            v(&[b"echo", b"\xff\x00"])
        );
        // Quotes may start mid-token.
        assert_eq!(args_of(b"echo a\"b c\"\r\n"), v(&[b"echo", b"ab c"]));
        // Closing quote followed by \v is fine (isspace).
        assert_eq!(args_of(b"echo \"a\"\x0b\r\n"), v(&[b"echo", b"a"]));
        // Short \x at the end of the quoted string.
        assert_eq!(args_of(b"echo \"\\x4\"\n"), v(&[b"echo", b"x4"]));
    }

    #[test]
    fn inline_single_quotes() {
        assert_eq!(args_of(b"echo 'it\\'s'\r\n"), v(&[b"echo", b"it's"]));
        assert_eq!(args_of(b"echo 'a\\nb\"'\r\n"), v(&[b"echo", b"a\\nb\""]));
        assert_eq!(args_of(b"echo ''\r\n"), v(&[b"echo", b""]));
    }

    #[test]
    fn inline_unbalanced_quotes() {
        use ProtocolError::UnbalancedQuotes as E;
        for b in [
            &b"echo \"ab\"c\r\n"[..],
            b"echo \"ab\r\n",
            b"echo 'ab\r\n",
            b"echo 'ab'c\r\n",
            b"echo \"ab\\\"\r\n",
            b"echo \"ab\\\r\n",
            b"\"\n",
        ] {
            assert_eq!(err(b), E, "{b:?}");
        }
    }

    #[test]
    fn too_big_inline_request() {
        let b = vec![b'a'; MAX_INLINE_LEN];
        assert_eq!(incomplete(&b), MAX_INLINE_LEN + 1);
        let b = vec![b'a'; MAX_INLINE_LEN + 1];
        assert_eq!(err(&b), ProtocolError::TooBigInlineRequest);
        // A complete line longer than the limit is accepted, as in Redis.
        let mut b = vec![b'a'; MAX_INLINE_LEN + 5];
        b.push(b'\n');
        assert_eq!(cmd(&b).0[0].len(), MAX_INLINE_LEN + 5);
    }

    #[test]
    fn args_cleared_on_incomplete_and_error() {
        let mut args = vec![ArgSpan {
            start: 0,
            end: 1,
            in_scratch: false,
        }];
        let mut scratch = b"junk".to_vec();
        let r = parse_command(b"*2\r\n$1\r\na\r\n$1", &mut args, &mut scratch);
        assert!(matches!(r, Ok(Parsed::Incomplete { .. })));
        assert!(args.is_empty() && scratch.is_empty());
        let r = parse_command(b"*2\r\n$1\r\na\r\nx\r\n", &mut args, &mut scratch);
        assert_eq!(r, Err(ProtocolError::ExpectedDollar(b'x')));
        assert!(args.is_empty());
    }

    #[test]
    fn span_helpers() {
        let s = ArgSpan {
            start: 2,
            end: 5,
            in_scratch: false,
        };
        assert_eq!(s.len(), 3);
        assert!(!s.is_empty());
        assert_eq!(s.slice(b"abcdefg", b""), b"cde");
    }
}
