//! Number parsing and formatting with Redis 7.0 semantics (`util.c`: string2ll,
//! string2ull, string2ld / getDoubleFromObject, ld2string, addReplyDouble).

use std::io::Write;

/// Redis `string2ll`: optional '-', no '+', no leading zeros (except "0" itself),
/// no spaces, "-0" rejected, must fit i64, empty rejected.
pub fn parse_i64(s: &[u8]) -> Option<i64> {
    let (negative, digits) = match s {
        [b'-', rest @ ..] => (true, rest),
        _ => (false, s),
    };
    match digits {
        [] => return None,
        [b'0'] if !negative => return Some(0),
        [b'1'..=b'9', ..] => {}
        _ => return None,
    }
    let mut v: u64 = 0;
    for &c in digits {
        if !c.is_ascii_digit() {
            return None;
        }
        v = v.checked_mul(10)?.checked_add(u64::from(c - b'0'))?;
    }
    if negative {
        if v > i64::MIN.unsigned_abs() {
            return None;
        }
        Some((v as i64).wrapping_neg())
    } else {
        i64::try_from(v).ok()
    }
}

/// Unsigned 64-bit parse for SCAN-style cursors: ASCII digits only (leading zeros
/// allowed), non-empty, must fit u64.
pub fn parse_u64(s: &[u8]) -> Option<u64> {
    if s.is_empty() {
        return None;
    }
    let mut v: u64 = 0;
    for &c in s {
        if !c.is_ascii_digit() {
            return None;
        }
        v = v.checked_mul(10)?.checked_add(u64::from(c - b'0'))?;
    }
    Some(v)
}

/// Float parsing as Redis does it with `strtod`/`strtold` (getDoubleFromObject,
/// string2ld): the whole string must be a decimal float or an infinity; leading or
/// trailing whitespace, "nan", empty input, overflow to ±inf and underflow of a
/// non-zero value to 0 are rejected. Hexadecimal floats are not supported.
pub fn parse_f64(s: &[u8]) -> Option<f64> {
    let (negative, body) = match s {
        [b'-', rest @ ..] => (true, rest),
        [b'+', rest @ ..] => (false, rest),
        _ => (false, s),
    };
    if body.eq_ignore_ascii_case(b"inf") || body.eq_ignore_ascii_case(b"infinity") {
        return Some(if negative {
            f64::NEG_INFINITY
        } else {
            f64::INFINITY
        });
    }
    // digits [ '.' digits ] [ (e|E) [sign] digits ], with at least one mantissa digit.
    let mut i = 0;
    let mut mantissa_digits = 0usize;
    let mut nonzero = false;
    while let Some(&c) = body.get(i) {
        if !c.is_ascii_digit() {
            break;
        }
        nonzero |= c != b'0';
        mantissa_digits += 1;
        i += 1;
    }
    if body.get(i) == Some(&b'.') {
        i += 1;
        while let Some(&c) = body.get(i) {
            if !c.is_ascii_digit() {
                break;
            }
            nonzero |= c != b'0';
            mantissa_digits += 1;
            i += 1;
        }
    }
    if mantissa_digits == 0 {
        return None;
    }
    if matches!(body.get(i), Some(b'e' | b'E')) {
        i += 1;
        if matches!(body.get(i), Some(b'+' | b'-')) {
            i += 1;
        }
        let exp_start = i;
        while body.get(i).is_some_and(u8::is_ascii_digit) {
            i += 1;
        }
        if i == exp_start {
            return None;
        }
    }
    if i != body.len() {
        return None;
    }
    // Validated as ASCII above, so this conversion cannot fail.
    let text = std::str::from_utf8(s).ok()?;
    let v: f64 = text.parse().ok()?;
    if v.is_infinite() {
        return None; // strtod overflow (ERANGE, HUGE_VAL)
    }
    if v == 0.0 && nonzero {
        return None; // strtod underflow to zero (ERANGE, 0)
    }
    Some(v)
}

/// A fixed-size stack buffer implementing `Write`, for allocation-free formatting.
struct StackBuf {
    buf: [u8; 40],
    len: usize,
}

impl Write for StackBuf {
    fn write(&mut self, data: &[u8]) -> std::io::Result<usize> {
        let room = self.buf.len() - self.len;
        let n = data.len().min(room);
        self.buf[self.len..self.len + n].copy_from_slice(&data[..n]);
        self.len += n;
        Ok(n)
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Format a double as C `printf("%.17g")` does (Redis 7.0 `addReplyDouble`),
/// with "inf"/"-inf"/"nan" for the special values. Appends to `out`.
pub fn format_double(out: &mut Vec<u8>, v: f64) {
    if v.is_nan() {
        out.extend_from_slice(b"nan");
        return;
    }
    if v.is_infinite() {
        out.extend_from_slice(if v > 0.0 { b"inf" } else { b"-inf" });
        return;
    }
    // 17 significant digits, correctly rounded: "d.dddddddddddddddde<exp>".
    let mut sb = StackBuf {
        buf: [0; 40],
        len: 0,
    };
    if write!(sb, "{:.16e}", v.abs()).is_err() {
        // Unreachable in practice (the text is at most 24 bytes); fall back to Display.
        let _ = write!(out, "{v}");
        return;
    }
    let text = &sb.buf[..sb.len];
    let Some(epos) = text.iter().position(|&b| b == b'e') else {
        let _ = write!(out, "{v}");
        return;
    };
    let exp: i32 = match std::str::from_utf8(&text[epos + 1..])
        .ok()
        .and_then(|t| t.parse().ok())
    {
        Some(e) => e,
        None => {
            let _ = write!(out, "{v}");
            return;
        }
    };
    // The 17 significant digits, without the '.'.
    let mut digits = [0u8; 17];
    let mut nd = 0;
    for &c in &text[..epos] {
        if c.is_ascii_digit() && nd < digits.len() {
            digits[nd] = c;
            nd += 1;
        }
    }
    // %g drops trailing zeros of the fraction (no '#' flag).
    let mut sig = nd;
    while sig > 1 && digits[sig - 1] == b'0' {
        sig -= 1;
    }
    let digits = &digits[..sig];
    if v.is_sign_negative() {
        out.push(b'-');
    }
    if (-4..17).contains(&exp) {
        if exp >= 0 {
            let int_len = exp as usize + 1;
            if digits.len() <= int_len {
                out.extend_from_slice(digits);
                out.resize(out.len() + (int_len - digits.len()), b'0');
            } else {
                out.extend_from_slice(&digits[..int_len]);
                out.push(b'.');
                out.extend_from_slice(&digits[int_len..]);
            }
        } else if digits == b"0" {
            // Only for zero, where the exponent is 0; kept for completeness.
            out.push(b'0');
        } else {
            out.extend_from_slice(b"0.");
            out.resize(out.len() + (-exp - 1) as usize, b'0');
            out.extend_from_slice(digits);
        }
    } else {
        out.push(digits[0]);
        if digits.len() > 1 {
            out.push(b'.');
            out.extend_from_slice(&digits[1..]);
        }
        out.push(b'e');
        out.push(if exp < 0 { b'-' } else { b'+' });
        let e = exp.unsigned_abs();
        if e < 10 {
            out.push(b'0');
        }
        let mut ib = itoa::Buffer::new();
        out.extend_from_slice(ib.format(e).as_bytes());
    }
}

/// Format a double the way Redis 7.0 stores/replies INCRBYFLOAT results
/// (`ld2string(..., LD_STR_HUMAN)`: fixed-point "%.17Lf", trailing zeros and a
/// trailing '.' removed, "-0" turned into "0"). Appends to `out`.
///
/// Redis does this on an 80-bit `long double`; on an `f64` the closest equivalent is
/// used: the shortest round-trip decimal of the value in fixed notation, or, when that
/// needs more than 17 fractional digits, the value rounded to 17 fractional digits.
/// So 0.1 gives "0.1" (as Redis does), 1e-5 gives "0.00001", 1.5e-300 gives "0".
pub fn format_double_human(out: &mut Vec<u8>, v: f64) {
    if v.is_nan() {
        out.extend_from_slice(b"nan");
        return;
    }
    if v.is_infinite() {
        out.extend_from_slice(if v > 0.0 { b"inf" } else { b"-inf" });
        return;
    }
    let start = out.len();
    // Rust's Display for f64 is the shortest round-trip decimal, never exponential.
    let _ = write!(out, "{v}");
    let frac_digits = out[start..]
        .iter()
        .position(|&b| b == b'.')
        .map_or(0, |dot| out.len() - start - dot - 1);
    if frac_digits > 17 {
        out.truncate(start);
        let _ = write!(out, "{v:.17}");
        // Strip trailing zeros after the '.', then the '.' itself.
        while out.len() > start && out.last() == Some(&b'0') {
            out.pop();
        }
        if out.last() == Some(&b'.') {
            out.pop();
        }
    }
    if &out[start..] == b"-0" {
        out.truncate(start);
        out.push(b'0');
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn i64_accepts() {
        let cases: &[(&[u8], i64)] = &[
            (b"0", 0),
            (b"1", 1),
            (b"-1", -1),
            (b"10", 10),
            (b"9223372036854775807", i64::MAX),
            (b"-9223372036854775808", i64::MIN),
            (b"-9223372036854775807", -i64::MAX),
        ];
        for &(s, n) in cases {
            assert_eq!(parse_i64(s), Some(n), "{s:?}");
        }
    }

    #[test]
    fn i64_rejects() {
        for s in [
            &b""[..],
            b"-",
            b"+1",
            b"01",
            b"00",
            b"-0",
            b"-01",
            b" 1",
            b"1 ",
            b"1a",
            b"9223372036854775808",
            b"-9223372036854775809",
            b"18446744073709551616",
            b"99999999999999999999999",
            b"1.0",
            b"--1",
        ] {
            assert_eq!(parse_i64(s), None, "{s:?}");
        }
    }

    #[test]
    fn u64_parse() {
        assert_eq!(parse_u64(b"0"), Some(0));
        assert_eq!(parse_u64(b"007"), Some(7));
        assert_eq!(parse_u64(b"18446744073709551615"), Some(u64::MAX));
        for s in [
            &b""[..],
            b"18446744073709551616",
            b"-1",
            b"+1",
            b" 1",
            b"1x",
        ] {
            assert_eq!(parse_u64(s), None, "{s:?}");
        }
    }

    #[test]
    fn f64_accepts() {
        let cases: &[(&[u8], f64)] = &[
            (b"0", 0.0),
            (b"1", 1.0),
            (b"-1.5", -1.5),
            (b"+5", 5.0),
            (b".5", 0.5),
            (b"5.", 5.0),
            (b"1e5", 1e5),
            (b"1E+05", 1e5),
            (b"1.e2", 100.0),
            (b".5e1", 5.0),
            (b"1e-5", 1e-5),
            (b"0e-400", 0.0),
            (b"00012", 12.0),
            (b"1e308", 1e308),
            (b"2.5e-310", 2.5e-310),
            (b"0.30000000000000004", 0.30000000000000004),
        ];
        for &(s, n) in cases {
            assert_eq!(parse_f64(s), Some(n), "{s:?}");
        }
        assert!(parse_f64(b"-0").is_some_and(|v| v == 0.0 && v.is_sign_negative()));
        for s in [&b"inf"[..], b"+inf", b"INF", b"Infinity", b"+iNfInItY"] {
            assert_eq!(parse_f64(s), Some(f64::INFINITY), "{s:?}");
        }
        for s in [&b"-inf"[..], b"-INFINITY"] {
            assert_eq!(parse_f64(s), Some(f64::NEG_INFINITY), "{s:?}");
        }
    }

    #[test]
    fn f64_rejects() {
        for s in [
            &b""[..],
            b" 1",
            b"1 ",
            b"nan",
            b"NaN",
            b"-nan",
            b"1e",
            b"1e+",
            b"e5",
            b".",
            b"-",
            b"+",
            b"--1",
            b"1.2.3",
            b"abc",
            b"infinit",
            b"infx",
            b"1e400",
            b"-1e400",
            b"1e-400",
            b"1\0",
            b"1,5",
        ] {
            assert_eq!(parse_f64(s), None, "{s:?}");
        }
    }

    fn fd(v: f64) -> String {
        let mut out = Vec::new();
        format_double(&mut out, v);
        String::from_utf8(out).unwrap()
    }

    fn fh(v: f64) -> String {
        let mut out = Vec::new();
        format_double_human(&mut out, v);
        String::from_utf8(out).unwrap()
    }

    /// Expected values verified with redis-server 7.0.15 (ZADD + ZSCORE, skiplist
    /// encoding for -0).
    #[test]
    fn format_double_matches_redis() {
        let cases: &[(f64, &str)] = &[
            (0.1, "0.10000000000000001"),
            (1.5, "1.5"),
            (3.0, "3"),
            (-0.0, "-0"),
            (0.0, "0"),
            (1e20, "1e+20"),
            (1e21, "1e+21"),
            (1e-5, "1.0000000000000001e-05"),
            (0.0001, "0.0001"),
            (1e17, "1e+17"),
            (1e16, "10000000000000000"),
            (123456789.123, "123456789.123"),
            (f64::INFINITY, "inf"),
            (f64::NEG_INFINITY, "-inf"),
            (2.5e-310, "2.5000000000000171e-310"),
        ];
        for &(v, s) in cases {
            assert_eq!(fd(v), s, "{v:e}");
        }
    }

    /// Further "%.17g" cases (C printf semantics).
    #[test]
    fn format_double_printf_g() {
        let cases: &[(f64, &str)] = &[
            (-1.5, "-1.5"),
            (0.5, "0.5"),
            (100.0, "100"),
            (1e-4, "0.0001"),
            (0.00012345, "0.00012344999999999999"),
            (1.7976931348623157e308, "1.7976931348623157e+308"),
            (5e-324, "4.9406564584124654e-324"),
            (-123e-10, "-1.2299999999999999e-08"),
            (99999999999999999.0, "1e+17"),
            (1234567890123456.0, "1234567890123456"),
            (0.30000000000000004, "0.30000000000000004"),
            (f64::NAN, "nan"),
        ];
        for &(v, s) in cases {
            assert_eq!(fd(v), s, "{v:e}");
        }
    }

    /// Expected values verified with redis-server 7.0.15 (`INCRBYFLOAT k <v>` on a
    /// missing key). Values that a `long double` keeps but an f64 cannot (e.g.
    /// 123456789012345678, 1e300's digits) are deliberately not listed.
    #[test]
    fn format_double_human_matches_redis() {
        let cases: &[(f64, &str)] = &[
            (1e-5, "0.00001"),
            (0.1, "0.1"),
            (3.0, "3"),
            (10.5, "10.5"),
            (5e20, "500000000000000000000"),
            (0.30000000000000004, "0.30000000000000004"),
            (1e17, "100000000000000000"),
            (1e16, "10000000000000000"),
            (1.5e-300, "0"),
            (-0.0, "0"),
            (0.000001, "0.000001"),
            (0.0001, "0.0001"),
            (1.1, "1.1"),
            (f64::INFINITY, "inf"),
            (f64::NEG_INFINITY, "-inf"),
        ];
        for &(v, s) in cases {
            assert_eq!(fh(v), s, "{v:e}");
        }
    }

    #[test]
    fn format_double_human_more() {
        assert_eq!(fh(0.1 + 0.2), "0.30000000000000004");
        assert_eq!(fh(-2.5), "-2.5");
        assert_eq!(fh(-1e-300), "0");
        assert_eq!(fh(1.23456789e-10), "0.00000000012345679");
        assert_eq!(fh(1e-17), "0.00000000000000001");
        assert_eq!(fh(1e-18), "0");
        assert_eq!(fh(6e-18), "0.00000000000000001");
        assert_eq!(fh(1e300).len(), 301);
        assert_eq!(fh(f64::NAN), "nan");
    }

    #[test]
    fn formats_append() {
        let mut out = b"x".to_vec();
        format_double(&mut out, 2.0);
        format_double_human(&mut out, 0.5);
        assert_eq!(out, b"x20.5");
    }
}
