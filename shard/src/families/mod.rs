//! Command families, one file per Redis command group (as Redis's `t_*.c` files).

pub mod admin;
pub mod bitmaps;
pub mod connection;
pub mod hashes;
pub mod hyperloglog;
pub mod keys;
pub mod lists;
pub mod server;
pub mod sets;
pub mod strings;
pub mod zsets;

use crate::command::CommandSpec;

/// Every family's declarations; the command table is built from this list.
pub static ALL: &[&[CommandSpec]] = &[
    connection::COMMANDS,
    server::COMMANDS,
    admin::COMMANDS,
    strings::COMMANDS,
    keys::COMMANDS,
    hashes::COMMANDS,
    lists::COMMANDS,
    sets::COMMANDS,
    zsets::COMMANDS,
    bitmaps::COMMANDS,
    hyperloglog::COMMANDS,
];

#[cfg(test)]
pub(crate) mod test_util {
    use crate::client::Client;
    use crate::shard::Shard;

    /// A shard owning every slot plus a client, for family tests in the style of
    /// Dragonfly's `Run({"set","k","v"})`: `t.run(&["SET", "k", "v"])` returns the raw reply.
    pub struct TestShard {
        pub shard: Shard,
        pub client: Client,
    }

    impl TestShard {
        pub fn new() -> Self {
            let mut shard = Shard::standalone();
            shard.now_ms = 1_700_000_000_000;
            TestShard {
                shard,
                client: Client::detached(0, false),
            }
        }

        pub fn run(&mut self, args: &[&str]) -> String {
            let args: Vec<&[u8]> = args.iter().map(|a| a.as_bytes()).collect();
            self.run_bytes(&args)
        }

        pub fn run_bytes(&mut self, args: &[&[u8]]) -> String {
            let mut out = Vec::new();
            self.shard.run(&mut self.client, args, &mut out);
            String::from_utf8_lossy(&out).into_owned()
        }

        /// Move the clock forward.
        pub fn advance_ms(&mut self, ms: u64) {
            self.shard.now_ms += ms;
        }
    }
}
