//! The list type. (Placeholder; the data-types work fills it in.)

#[derive(Clone, Debug, Default)]
pub struct ListValue {}

impl ListValue {
    /// OBJECT ENCODING's answer.
    pub fn encoding(&self) -> &'static str {
        "quicklist"
    }

    /// Heap bytes owned (MEMORY USAGE, accounting).
    pub fn heap_size(&self) -> usize {
        0
    }

    pub fn len(&self) -> usize {
        0
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}
