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
use crate::error::CmdError;

/// Refuse a negative SRANDMEMBER / HRANDFIELD / ZRANDMEMBER count (picks with repetition)
/// past 2^26 picks: Redis 7.0 tries to build that reply (gigabytes) and dies; no client
/// means it, and one shard must not stall on it.
pub(crate) fn check_repeated_picks(count: i64) -> Result<(), CmdError> {
    const MAX_REPEATED_PICKS: u64 = 1 << 26;
    if count < 0 && count.unsigned_abs() > MAX_REPEATED_PICKS {
        return Err(CmdError::msg("ERR value is out of range"));
    }
    Ok(())
}

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

#[cfg(test)]
mod tests {
    use super::test_util::TestShard;

    #[test]
    fn huge_negative_random_counts_are_refused_not_built() {
        let mut t = TestShard::new();
        assert_eq!(t.run(&["SADD", "s", "a", "b"]), ":2\r\n");
        assert_eq!(t.run(&["HSET", "h", "a", "1"]), ":1\r\n");
        assert_eq!(t.run(&["ZADD", "z", "1", "a"]), ":1\r\n");
        let out_of_range = "-ERR value is out of range\r\n";
        for (cmd, key) in [
            ("SRANDMEMBER", "s"),
            ("HRANDFIELD", "h"),
            ("ZRANDMEMBER", "z"),
        ] {
            for count in ["-4294967297", "-67108865", "-9223372036854775807"] {
                assert_eq!(t.run(&[cmd, key, count]), out_of_range, "{cmd} {count}");
            }
            // A missing key answers an empty array whatever the count, as in Redis.
            assert_eq!(
                t.run(&[cmd, "nokey", "-4294967297"]),
                "*0\r\n",
                "{cmd} nokey"
            );
            // Ordinary repeated picks still work.
            assert!(t.run(&[cmd, key, "-5"]).starts_with("*5\r\n"), "{cmd} -5");
        }
    }
}
