//! A small cursor over a command's arguments that keeps option grammars declarative.

use crate::error::CmdError;

pub struct ArgCursor<'a, 'b> {
    args: &'a [&'b [u8]],
    pos: usize,
}

impl<'a, 'b> ArgCursor<'a, 'b> {
    /// A cursor positioned at `args[start]`.
    pub fn new(args: &'a [&'b [u8]], start: usize) -> Self {
        ArgCursor { args, pos: start }
    }

    pub fn remaining(&self) -> usize {
        self.args.len().saturating_sub(self.pos)
    }

    pub fn is_done(&self) -> bool {
        self.remaining() == 0
    }

    /// The next argument, or a syntax error.
    pub fn next_bytes(&mut self) -> Result<&'b [u8], CmdError> {
        let arg = self.args.get(self.pos).ok_or(CmdError::Syntax)?;
        self.pos += 1;
        Ok(arg)
    }

    pub fn next_i64(&mut self) -> Result<i64, CmdError> {
        parse_i64(self.next_bytes()?)
    }

    /// Consume the next argument if it equals `flag` (ASCII case-insensitive).
    pub fn flag(&mut self, flag: &str) -> bool {
        match self.args.get(self.pos) {
            Some(arg) if arg.eq_ignore_ascii_case(flag.as_bytes()) => {
                self.pos += 1;
                true
            }
            _ => false,
        }
    }

    /// Consume the next argument, returning it upper-cased for matching against options.
    pub fn next_option(&mut self) -> Option<OptionName> {
        let arg = self.args.get(self.pos)?;
        self.pos += 1;
        Some(OptionName::new(arg))
    }
}

/// An option keyword normalised to upper case (options are short; longer text never matches).
#[derive(Clone, Copy)]
pub struct OptionName {
    buf: [u8; 16],
    len: usize,
}

impl OptionName {
    pub fn new(arg: &[u8]) -> Self {
        let mut buf = [0u8; 16];
        if arg.len() > buf.len() {
            return OptionName {
                buf,
                len: usize::MAX,
            };
        }
        for (dst, src) in buf.iter_mut().zip(arg) {
            *dst = src.to_ascii_uppercase();
        }
        OptionName {
            buf,
            len: arg.len(),
        }
    }

    pub fn as_str(&self) -> &str {
        if self.len == usize::MAX {
            return "";
        }
        std::str::from_utf8(&self.buf[..self.len]).unwrap_or("")
    }
}

/// An integer argument (Redis string2ll rules) or `ERR value is not an integer or out of range`.
pub fn parse_i64(arg: &[u8]) -> Result<i64, CmdError> {
    protocol::parse_i64(arg).ok_or(CmdError::NotInteger)
}

/// A float argument or `ERR value is not a valid float`.
pub fn parse_f64(arg: &[u8]) -> Result<f64, CmdError> {
    protocol::parse_f64(arg).ok_or(CmdError::NotFloat)
}

/// A blocking command's timeout in seconds (a float, as Redis 6+), as an absolute deadline in
/// Unix ms (0 = block forever). As Redis 7.0: seconds x 1000 truncated to an integer; a
/// value too big for 64 bits (inf, 1e400, ...) wraps negative, so it is "negative" too.
pub fn parse_timeout(arg: &[u8], now_ms: u64) -> Result<u64, CmdError> {
    let negative = || CmdError::msg("ERR timeout is negative");
    let seconds = match protocol::parse_f64(arg) {
        Some(seconds) => seconds,
        // Redis parses a long double: 1e400 and the like are floats there, and overflow.
        None => match crate::long_double::incr_by_float(b"0", arg) {
            Err(crate::long_double::IncrFloatError::NotFloat) => {
                return Err(CmdError::msg("ERR timeout is not a float or out of range"))
            }
            _ => return Err(negative()),
        },
    };
    let ms = (seconds * 1000.0).trunc();
    // NaN can't occur (parse_f64 rejects it); infinity and 2^63 and up are "too big".
    if !(0.0..9_223_372_036_854_775_808.0).contains(&ms) {
        return Err(negative());
    }
    let ms = ms as u64;
    if ms == 0 {
        return Ok(0);
    }
    Ok(now_ms.saturating_add(ms))
}

/// `[MATCH pattern] [COUNT count]` of HSCAN, SSCAN and ZSCAN, from `args[start..]`, with
/// Redis's errors (COUNT below 1, or anything else, is a syntax error). `MATCH *` filters
/// nothing at all (not even an empty member), as in Redis.
pub struct ScanOptions {
    pub count: usize,
    pub pattern: Option<crate::glob::GlobPattern>,
}

impl ScanOptions {
    pub fn parse(args: &[&[u8]], start: usize) -> Result<ScanOptions, CmdError> {
        let mut options = ScanOptions {
            count: 10,
            pattern: None,
        };
        let mut i = start;
        while i < args.len() {
            let has_value = i + 1 < args.len();
            match OptionName::new(args[i]).as_str() {
                "COUNT" if has_value => {
                    let count = parse_i64(args[i + 1])?;
                    if count < 1 {
                        return Err(CmdError::Syntax);
                    }
                    options.count = usize::try_from(count).unwrap_or(usize::MAX);
                }
                "MATCH" if has_value => {
                    let pattern = args[i + 1];
                    options.pattern =
                        (pattern != b"*").then(|| crate::glob::GlobPattern::new(pattern, false));
                }
                _ => return Err(CmdError::Syntax),
            }
            i += 2;
        }
        Ok(options)
    }

    /// Whether a member passes MATCH.
    #[inline]
    pub fn matches(&self, member: &[u8]) -> bool {
        self.pattern
            .as_ref()
            .is_none_or(|glob| glob.matches(member))
    }
}
