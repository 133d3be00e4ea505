//! INCRBYFLOAT's arithmetic, done in C's `long double` exactly as Redis does it (x87 80-bit
//! on x86-64, printed with "%.17Lf" and trailing zeros removed), so replies match Redis to
//! the byte — f64 gives e.g. "996.6" where Redis says "996.59999999999999998".

use std::os::raw::{c_char, c_long};

extern "C" {
    fn shardis_ld_incr(
        current: *const c_char,
        current_len: usize,
        incr: *const c_char,
        incr_len: usize,
        out: *mut c_char,
        out_cap: usize,
    ) -> c_long;
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IncrFloatError {
    /// An operand is not a valid float.
    NotFloat,
    /// The sum is NaN or infinite.
    NanOrInfinity,
}

/// `current + incr` as Redis's INCRBYFLOAT computes and formats it.
pub fn incr_by_float(current: &[u8], incr: &[u8]) -> Result<Vec<u8>, IncrFloatError> {
    let mut out = vec![0u8; 5 * 1024 + 64];
    // SAFETY: every pointer comes from a live slice with its exact length; the C side reads
    // at most those lengths and writes at most `out.len()` bytes into `out`.
    let len = unsafe {
        shardis_ld_incr(
            current.as_ptr().cast(),
            current.len(),
            incr.as_ptr().cast(),
            incr.len(),
            out.as_mut_ptr().cast(),
            out.len(),
        )
    };
    match len {
        -1 => Err(IncrFloatError::NotFloat),
        -2 => Err(IncrFloatError::NanOrInfinity),
        n => {
            out.truncate(n.max(0) as usize);
            Ok(out)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_redis_long_double_output() {
        assert_eq!(
            incr_by_float(b"1000", b"-3.4").as_deref(),
            Ok(&b"996.59999999999999998"[..])
        );
        assert_eq!(incr_by_float(b"10.5", b"0.1").as_deref(), Ok(&b"10.6"[..]));
        assert_eq!(incr_by_float(b"0", b"1e-5").as_deref(), Ok(&b"0.00001"[..]));
        assert_eq!(
            incr_by_float(b"9223372036854775806", b"3").as_deref(),
            Ok(&b"9223372036854775809"[..])
        );
        assert_eq!(incr_by_float(b"0", b"-0").as_deref(), Ok(&b"0"[..]));
        assert_eq!(incr_by_float(b"abc", b"1"), Err(IncrFloatError::NotFloat));
        assert_eq!(incr_by_float(b"1", b" 1"), Err(IncrFloatError::NotFloat));
        assert_eq!(incr_by_float(b"1", b"nan"), Err(IncrFloatError::NotFloat));
        assert_eq!(
            incr_by_float(b"0", b"1e5000"),
            Err(IncrFloatError::NotFloat)
        );
    }
}
