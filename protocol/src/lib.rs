//! RESP2/RESP3 request parser and reply encoder for Shardis.
//!
//! The crate is pure (no I/O). Requests are parsed with [`parse_command`], which is
//! stateless: it is handed the whole unconsumed input each time and either parses one
//! command from its front or says how many bytes are needed before another attempt is
//! worthwhile. Replies are written with [`Reply`]; [`reply_len`] splits a stream of
//! already-encoded replies.
//!
//! Behaviour follows Redis 7.0 (`networking.c`, `util.c`, `sds.c`).

#![forbid(unsafe_code)]

mod encode;
mod number;
mod parse;

pub use encode::{reply_integer, reply_len, Reply};
pub use number::{format_double, format_double_human, parse_f64, parse_i64, parse_u64};
pub use parse::{parse_command, ArgSpan, Parsed};

/// Largest accepted bulk argument length (Redis `proto-max-bulk-len` default).
pub const MAX_BULK_LEN: usize = 512 * 1024 * 1024;

/// Largest inline request / unterminated header Redis buffers (`PROTO_INLINE_MAX_SIZE`).
pub const MAX_INLINE_LEN: usize = 64 * 1024;

/// A request that cannot be parsed. `Display` gives exactly the text Redis puts
/// after `"Protocol error: "`; the connection must be closed after replying.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProtocolError {
    #[error("invalid multibulk length")]
    InvalidMultibulkLength,
    #[error("invalid bulk length")]
    InvalidBulkLength,
    #[error("expected '$', got '{}'", *.0 as char)]
    ExpectedDollar(u8),
    #[error("unbalanced quotes in request")]
    UnbalancedQuotes,
    #[error("too big inline request")]
    TooBigInlineRequest,
    #[error("too big mbulk count string")]
    TooBigMbulkCountString,
    #[error("too big bulk count string")]
    TooBigBulkCountString,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_display_matches_redis() {
        assert_eq!(
            ProtocolError::InvalidMultibulkLength.to_string(),
            "invalid multibulk length"
        );
        assert_eq!(
            ProtocolError::InvalidBulkLength.to_string(),
            "invalid bulk length"
        );
        assert_eq!(
            ProtocolError::ExpectedDollar(b'x').to_string(),
            "expected '$', got 'x'"
        );
        assert_eq!(
            ProtocolError::UnbalancedQuotes.to_string(),
            "unbalanced quotes in request"
        );
        assert_eq!(
            ProtocolError::TooBigInlineRequest.to_string(),
            "too big inline request"
        );
        assert_eq!(
            ProtocolError::TooBigMbulkCountString.to_string(),
            "too big mbulk count string"
        );
        assert_eq!(
            ProtocolError::TooBigBulkCountString.to_string(),
            "too big bulk count string"
        );
    }
}
