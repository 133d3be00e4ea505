//! Command errors, mapped once to the exact Redis error replies.

use std::borrow::Cow;

/// Why a command failed. `Display` is the full RESP error text, prefix included.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CmdError {
    #[error("WRONGTYPE Operation against a key holding the wrong kind of value")]
    WrongType,
    #[error("ERR syntax error")]
    Syntax,
    #[error("ERR value is not an integer or out of range")]
    NotInteger,
    #[error("ERR value is not a valid float")]
    NotFloat,
    #[error("ERR increment or decrement would overflow")]
    Overflow,
    #[error("ERR no such key")]
    NoSuchKey,
    #[error("ERR DB index is out of range")]
    DbIndex,
    #[error("ERR string exceeds maximum allowed size (proto-max-bulk-len)")]
    StringTooLong,
    /// `ERR wrong number of arguments for '<name>' command`
    #[error("ERR wrong number of arguments for '{0}' command")]
    Arity(Cow<'static, str>),
    /// Any other error; the text carries its own prefix (`ERR ...`, `NOPERM ...`).
    #[error("{0}")]
    Other(Cow<'static, str>),
}

impl CmdError {
    pub fn msg(text: &'static str) -> Self {
        CmdError::Other(Cow::Borrowed(text))
    }

    pub fn owned(text: String) -> Self {
        CmdError::Other(Cow::Owned(text))
    }
}

pub type CmdResult = Result<(), CmdError>;
