//! Stored values. An [`Entry`] is what one key maps to: the value, its expiry and an access
//! stamp kept for the LRU/LFU eviction of a later issue.

use crate::types::{hash::HashValue, list::ListValue, set::SetValue, zset::ZSetValue};

/// Longest string kept inline in the entry, without its own allocation.
pub const INLINE_CAP: usize = 22;
/// Redis keeps strings up to this length "embstr"-encoded; OBJECT ENCODING reports the same.
pub const EMBSTR_MAX: usize = 44;

/// A string value. Integers and short strings need no allocation of their own.
#[derive(Clone, Debug)]
pub enum StrValue {
    /// A string that is the canonical decimal form of an i64 ("int" encoding).
    Int(i64),
    /// A short string stored inline ("embstr").
    Inline { len: u8, bytes: [u8; INLINE_CAP] },
    /// A string written whole by SET and friends ("embstr" up to 44 bytes, else "raw").
    Boxed(Box<[u8]>),
    /// A string changed in place (APPEND, SETRANGE, SETBIT): spare capacity kept ("raw").
    /// Boxed so every string value (and so every entry) stays 24 bytes.
    Raw(Box<Vec<u8>>),
}

impl StrValue {
    /// A "raw" string owning `bytes` (built in place by BITOP, SETBIT, PFADD ...).
    pub fn raw(bytes: Vec<u8>) -> Self {
        StrValue::Raw(Box::new(bytes))
    }

    /// The value of a freshly written string: "int" when it reads as an integer, as Redis does.
    pub fn from_bytes(bytes: &[u8]) -> Self {
        if bytes.len() <= 20 {
            if let Some(n) = protocol::parse_i64(bytes) {
                return StrValue::Int(n);
            }
        }
        Self::from_bytes_no_int(bytes)
    }

    /// A string kept as bytes even when it looks like an integer.
    pub fn from_bytes_no_int(bytes: &[u8]) -> Self {
        if bytes.len() <= INLINE_CAP {
            let mut inline = [0u8; INLINE_CAP];
            inline[..bytes.len()].copy_from_slice(bytes);
            StrValue::Inline {
                len: bytes.len() as u8,
                bytes: inline,
            }
        } else {
            StrValue::Boxed(bytes.into())
        }
    }

    /// Borrow the bytes; integers are formatted into `buf`.
    pub fn as_bytes<'a>(&'a self, buf: &'a mut itoa::Buffer) -> &'a [u8] {
        match self {
            StrValue::Int(n) => buf.format(*n).as_bytes(),
            StrValue::Inline { len, bytes } => &bytes[..*len as usize],
            StrValue::Boxed(b) => b,
            StrValue::Raw(v) => v,
        }
    }

    pub fn len(&self) -> usize {
        match self {
            StrValue::Int(n) => itoa::Buffer::new().format(*n).len(),
            StrValue::Inline { len, .. } => *len as usize,
            StrValue::Boxed(b) => b.len(),
            StrValue::Raw(v) => v.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The integer value, if the string is one (Redis's string2ll rules).
    pub fn as_i64(&self) -> Option<i64> {
        match self {
            StrValue::Int(n) => Some(*n),
            other => {
                let mut buf = itoa::Buffer::new();
                let bytes = other.as_bytes(&mut buf);
                protocol::parse_i64(bytes)
            }
        }
    }

    /// A mutable byte vector for in-place edits; the value becomes "raw".
    pub fn make_raw(&mut self) -> &mut Vec<u8> {
        if !matches!(self, StrValue::Raw(_)) {
            let mut buf = itoa::Buffer::new();
            let bytes = self.as_bytes(&mut buf).to_vec();
            *self = StrValue::Raw(Box::new(bytes));
        }
        match self {
            StrValue::Raw(v) => v,
            _ => unreachable!("just converted to Raw"),
        }
    }

    /// OBJECT ENCODING's answer.
    pub fn encoding(&self) -> &'static str {
        match self {
            StrValue::Int(_) => "int",
            StrValue::Inline { .. } => "embstr",
            StrValue::Boxed(b) if b.len() <= EMBSTR_MAX => "embstr",
            StrValue::Boxed(_) | StrValue::Raw(_) => "raw",
        }
    }

    /// Heap bytes this value owns beyond the entry itself.
    pub fn heap_size(&self) -> usize {
        match self {
            StrValue::Int(_) | StrValue::Inline { .. } => 0,
            StrValue::Boxed(b) => b.len(),
            StrValue::Raw(v) => std::mem::size_of::<Vec<u8>>() + v.capacity(),
        }
    }
}

/// A value of any type. Collections are boxed so every entry stays small.
#[derive(Clone, Debug)]
pub enum Value {
    Str(StrValue),
    List(Box<ListValue>),
    /// Unboxed: a hash is 16 bytes, and small hashes are the most numerous values.
    Hash(HashValue),
    Set(Box<SetValue>),
    ZSet(Box<ZSetValue>),
}

macro_rules! typed_access {
    ($get:ident, $get_mut:ident, $variant:ident, $ty:ty) => {
        /// The value as this type, or WRONGTYPE.
        pub fn $get(&self) -> Result<&$ty, crate::error::CmdError> {
            match self {
                Value::$variant(v) => Ok(v),
                _ => Err(crate::error::CmdError::WrongType),
            }
        }

        pub fn $get_mut(&mut self) -> Result<&mut $ty, crate::error::CmdError> {
            match self {
                Value::$variant(v) => Ok(v),
                _ => Err(crate::error::CmdError::WrongType),
            }
        }
    };
}

impl Value {
    pub fn string(bytes: &[u8]) -> Self {
        Value::Str(StrValue::from_bytes(bytes))
    }

    typed_access!(as_str, as_str_mut, Str, StrValue);
    typed_access!(as_list, as_list_mut, List, ListValue);
    typed_access!(as_hash, as_hash_mut, Hash, HashValue);
    typed_access!(as_set, as_set_mut, Set, SetValue);
    typed_access!(as_zset, as_zset_mut, ZSet, ZSetValue);

    /// TYPE's answer.
    pub fn type_name(&self) -> &'static str {
        match self {
            Value::Str(_) => "string",
            Value::List(_) => "list",
            Value::Hash(_) => "hash",
            Value::Set(_) => "set",
            Value::ZSet(_) => "zset",
        }
    }

    pub fn encoding(&self) -> &'static str {
        match self {
            Value::Str(s) => s.encoding(),
            Value::List(v) => v.encoding(),
            Value::Hash(v) => v.encoding(),
            Value::Set(v) => v.encoding(),
            Value::ZSet(v) => v.encoding(),
        }
    }

    /// Heap bytes this value owns beyond the entry itself.
    pub fn heap_size(&self) -> usize {
        match self {
            Value::Str(s) => s.heap_size(),
            Value::List(v) => std::mem::size_of_val(&**v) + v.heap_size(),
            Value::Hash(v) => v.heap_size(),
            Value::Set(v) => std::mem::size_of_val(&**v) + v.heap_size(),
            Value::ZSet(v) => std::mem::size_of_val(&**v) + v.heap_size(),
        }
    }
}

/// No expiry.
pub const NO_EXPIRE: u64 = 0;

/// What one key maps to.
#[derive(Clone, Debug)]
pub struct Entry {
    pub value: Value,
    /// Absolute expiry in Unix milliseconds, or [`NO_EXPIRE`]. Changed only through
    /// `Keyspace::set_expire` so per-slot volatile counts stay right.
    pub(crate) expire_at: u64,
    /// Last access time in seconds (LRU clock); reserved for LFU counters by eviction.
    pub access: u32,
}

impl Entry {
    pub fn new(value: Value) -> Self {
        Entry {
            value,
            expire_at: NO_EXPIRE,
            access: 0,
        }
    }

    pub fn expire_at(&self) -> u64 {
        self.expire_at
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodings_follow_redis() {
        assert_eq!(StrValue::from_bytes(b"12345").encoding(), "int");
        assert_eq!(StrValue::from_bytes(b"-7").encoding(), "int");
        assert_eq!(StrValue::from_bytes(b"007").encoding(), "embstr");
        assert_eq!(StrValue::from_bytes(&[b'a'; 44]).encoding(), "embstr");
        assert_eq!(StrValue::from_bytes(&[b'a'; 45]).encoding(), "raw");
        let mut v = StrValue::from_bytes(b"12");
        v.make_raw().extend_from_slice(b"3");
        assert_eq!(v.encoding(), "raw");
        assert_eq!(v.as_i64(), Some(123));
    }

    #[test]
    fn entry_stays_compact() {
        assert!(
            std::mem::size_of::<Entry>() <= 48,
            "{}",
            std::mem::size_of::<Entry>()
        );
    }
}
