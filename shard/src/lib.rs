//! One core's share of Shardis: its keyspace (slots it owns, 16 databases, values, expiry),
//! the command table and the handlers that run on local data. Knows nothing of threads,
//! rings or sockets, so all of it is testable with plain function calls.

pub mod args;
pub mod client;
pub mod clock;
pub mod command;
pub mod ctx;
pub mod error;
pub mod evict;
pub mod families;
pub mod glob;
pub mod keyspace;
pub mod lazyfree;
pub mod long_double;
pub mod observe;
pub mod settings;
pub mod shard;
pub mod slot;
pub mod types;
pub mod value;

pub use client::Client;
pub use command::{CommandSpec, CommandTable, Coordinator, KeySpec, Merge, Routing};
pub use ctx::Ctx;
pub use error::{CmdError, CmdResult};
pub use shard::{Settings, Shard, Stats};
pub use slot::{key_slot, ShardId, Slot, SlotMap, SLOT_COUNT};
