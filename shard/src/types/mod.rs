//! Collection types stored in values. Small collections use a compact single-allocation
//! encoding (like Redis listpacks and intsets) and convert to a full structure past the
//! thresholds in `Settings`.

pub mod hash;
pub mod list;
pub mod set;
pub mod zset;
