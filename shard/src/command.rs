//! The command table. Every command is declared once, as a [`CommandSpec`] in its family
//! file; the connection's dispatch, the router, COMMAND INFO/DOCS/COUNT and (later) ACL,
//! MULTI/EXEC and metrics all read that one declaration.

use crate::ctx::Ctx;
use crate::error::{CmdError, CmdResult};
use std::sync::OnceLock;

/// Runs a command on the shard that owns its keys (or the connection's shard if it has none).
/// `args[0]` is the command name as the client sent it.
pub type Handler = fn(&mut Ctx<'_>, &[&[u8]]) -> CmdResult;

/// Command flags, as COMMAND INFO lists them.
pub mod flags {
    pub const WRITE: u32 = 1 << 0;
    pub const READONLY: u32 = 1 << 1;
    pub const DENYOOM: u32 = 1 << 2;
    pub const ADMIN: u32 = 1 << 3;
    pub const PUBSUB: u32 = 1 << 4;
    pub const NOSCRIPT: u32 = 1 << 5;
    pub const BLOCKING: u32 = 1 << 6;
    pub const LOADING: u32 = 1 << 7;
    pub const STALE: u32 = 1 << 8;
    pub const FAST: u32 = 1 << 9;
    pub const NO_AUTH: u32 = 1 << 10;
    pub const ALLOW_BUSY: u32 = 1 << 11;

    /// Names in the order Redis prints them.
    pub const NAMES: &[(u32, &str)] = &[
        (WRITE, "write"),
        (READONLY, "readonly"),
        (DENYOOM, "denyoom"),
        (ADMIN, "admin"),
        (PUBSUB, "pubsub"),
        (NOSCRIPT, "noscript"),
        (BLOCKING, "blocking"),
        (LOADING, "loading"),
        (STALE, "stale"),
        (FAST, "fast"),
        (NO_AUTH, "no_auth"),
        (ALLOW_BUSY, "allow_busy"),
    ];
}

/// Where a command's keys sit among its arguments (1-based, as COMMAND INFO reports them).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeySpec {
    None,
    /// Keys at `first`, `first+step`, ... up to `last` (negative: counted from the end).
    /// With step > 1 each key is followed by `step-1` arguments that belong to it (MSET).
    Range {
        first: u8,
        last: i8,
        step: u8,
    },
    /// A key count at `numkeys_at`, then that many keys right after it (ZUNION, SINTERCARD,
    /// LMPOP); `also` names one more key at a fixed index (ZUNIONSTORE's destination).
    Numkeys {
        numkeys_at: u8,
        also: Option<u8>,
    },
}

impl KeySpec {
    /// The first argument is the key (GET, LPUSH, HSET, ...).
    pub const FIRST: KeySpec = KeySpec::Range {
        first: 1,
        last: 1,
        step: 1,
    };
    /// The first two arguments are keys (RENAME, SMOVE, LMOVE, ...).
    pub const FIRST_TWO: KeySpec = KeySpec::Range {
        first: 1,
        last: 2,
        step: 1,
    };
    /// Every argument is a key (DEL, MGET, SUNION, ...).
    pub const ALL: KeySpec = KeySpec::Range {
        first: 1,
        last: -1,
        step: 1,
    };
    /// Every argument but a trailing timeout (BLPOP, BZPOPMIN, ...).
    pub const ALL_BUT_LAST: KeySpec = KeySpec::Range {
        first: 1,
        last: -2,
        step: 1,
    };

    /// Indexes into `args` of the keys of this invocation. A malformed key count gives no
    /// keys: the command then runs where it is and its handler reports the error.
    pub fn key_indexes(&self, args: &[&[u8]]) -> smallvec::SmallVec<[usize; 8]> {
        let argc = args.len();
        match *self {
            KeySpec::None => smallvec::SmallVec::new(),
            KeySpec::Range { first, last, step } => {
                let last = if last < 0 {
                    argc as i64 + last as i64
                } else {
                    last as i64
                };
                let (first, step) = (first as i64, step.max(1) as usize);
                let last = last.min(argc as i64 - 1);
                if first > last {
                    return smallvec::SmallVec::new();
                }
                (first as usize..=last as usize).step_by(step).collect()
            }
            KeySpec::Numkeys { numkeys_at, also } => {
                let at = numkeys_at as usize;
                let count = args
                    .get(at)
                    .and_then(|n| protocol::parse_i64(n))
                    .unwrap_or(0);
                let mut keys = smallvec::SmallVec::new();
                if count <= 0 || count as u64 > (argc.saturating_sub(at + 1)) as u64 {
                    return keys;
                }
                keys.extend(also.map(|i| i as usize).filter(|&i| i < argc));
                keys.extend(at + 1..=at + count as usize);
                keys
            }
        }
    }

    /// Whether every key has its trailing arguments (MSET k v k v ...): a command whose last
    /// group is cut short is an arity error as a whole, before any part of it runs anywhere.
    pub fn groups_complete(&self, argc: usize) -> bool {
        match *self {
            KeySpec::Range {
                first,
                last: -1,
                step,
            } if step > 1 => {
                argc >= first as usize && (argc - first as usize).is_multiple_of(step as usize)
            }
            _ => true,
        }
    }

    /// (first, last, step) for COMMAND INFO.
    pub fn legacy_triple(&self) -> (i64, i64, i64) {
        match *self {
            KeySpec::None => (0, 0, 0),
            KeySpec::Range { first, last, step } => (first as i64, last as i64, step as i64),
            // As Redis reports keynum commands: the first fixed key (or none) and no range.
            KeySpec::Numkeys { also: Some(i), .. } => (i as i64, i as i64, 1),
            KeySpec::Numkeys { also: None, .. } => (0, 0, 0),
        }
    }
}

/// How a reply is put together when a command's keys live on several shards.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Merge {
    /// One key (or keys that must share a shard): never split.
    Single,
    /// Integer replies added up (DEL, EXISTS, TOUCH, UNLINK, DBSIZE).
    Sum,
    /// Every part replied +OK (MSET, FLUSHALL).
    AllOk,
    /// Array parts concatenated (KEYS).
    Concat,
    /// Array parts, one element per key, put back in the order of the keys (MGET).
    ByKey,
}

/// Coordinators in the server for commands whose cross-shard logic is more than a merge.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Coordinator {
    MsetNx,
    Rename { nx: bool },
    Copy,
    Scan,
    RandomKey,
    Info,
    ClientList,
    ClientKill,
    Shutdown,
}

/// How the router runs a command.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Routing {
    /// No keys: runs on the connection's own shard.
    Local,
    /// Keyed: runs on the owner of its keys. Keys on several shards are split per shard,
    /// run as one transaction holding all of those shards, and merged.
    Keys(Merge),
    /// Runs on every shard, as one transaction, merged (DBSIZE, FLUSHALL, KEYS).
    AllShards(Merge),
    /// A server coordinator drives it (when it spans shards).
    Coordinated(Coordinator),
    /// Runs on every shard without holding any keys, each shard contributing a typed part,
    /// and one reply is made from the parts (CONFIG SET, SLOWLOG, LATENCY, CLIENT PAUSE).
    Fanout(&'static Fanout),
}

/// A shard's contribution to a [`Routing::Fanout`] command; each command downcasts its own
/// type. Sent between threads once per command, so boxing costs nothing that matters.
pub type Part = Box<dyn std::any::Any + Send>;

/// Every shard's part of a fan-out, in shard order (or the error a shard gave).
pub type Parts = Vec<Result<Part, CmdError>>;

/// The two halves of a fan-out command. With one shard both run in place.
pub struct Fanout {
    /// Runs on each shard with the command's arguments.
    pub collect: fn(&mut crate::Shard, &[&[u8]]) -> Result<Part, CmdError>,
    /// Runs on the client's shard with every shard's part and writes the reply.
    pub finish: fn(&[&[u8]], Parts, &mut protocol::Reply<'_>) -> CmdResult,
}

impl Fanout {
    /// Both halves on one shard: what a single-shard server (and a unit test) runs.
    pub fn run_here(
        &self,
        shard: &mut crate::Shard,
        args: &[&[u8]],
        reply: &mut protocol::Reply<'_>,
    ) -> CmdResult {
        let part = (self.collect)(shard, args);
        (self.finish)(args, vec![part], reply)
    }

    /// The first error among the parts, else the parts downcast to `T`.
    pub fn parts<T: 'static>(parts: Parts) -> Result<Vec<T>, CmdError> {
        parts
            .into_iter()
            .map(|part| {
                part.and_then(|p| {
                    p.downcast::<T>()
                        .map(|b| *b)
                        .map_err(|_| CmdError::msg("ERR internal error: unexpected shard reply"))
                })
            })
            .collect()
    }
}

impl std::fmt::Debug for Fanout {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Fanout")
    }
}

impl PartialEq for Fanout {
    /// Fan-outs are statics: the same one is the same address.
    fn eq(&self, other: &Self) -> bool {
        std::ptr::eq(self, other)
    }
}

impl Eq for Fanout {}

/// The handler of a fan-out command: never called, [`crate::Shard::execute`] runs the
/// fan-out's halves instead.
pub fn fanout_handler(_ctx: &mut Ctx<'_>, _args: &[&[u8]]) -> CmdResult {
    Err(CmdError::msg(
        "ERR internal error: fan-out command run as a plain one",
    ))
}

pub struct CommandSpec {
    /// Lower-case name.
    pub name: &'static str,
    /// Redis arity: N = exactly N arguments including the name, -N = at least N.
    pub arity: i32,
    pub flags: u32,
    pub keys: KeySpec,
    pub acl: &'static [&'static str],
    /// Redis command group (COMMAND DOCS), e.g. "string", "generic".
    pub group: &'static str,
    pub since: &'static str,
    pub summary: &'static str,
    pub routing: Routing,
    pub handler: Handler,
}

impl std::fmt::Debug for CommandSpec {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CommandSpec")
            .field("name", &self.name)
            .field("arity", &self.arity)
            .finish()
    }
}

impl CommandSpec {
    pub fn arity_ok(&self, argc: usize) -> bool {
        let argc = argc as i64;
        let arity = self.arity as i64;
        if arity >= 0 {
            argc == arity
        } else {
            argc >= -arity
        }
    }

    pub fn has(&self, flag: u32) -> bool {
        self.flags & flag != 0
    }
}

/// Where one family's static declarations lie in memory.
struct FamilyRange {
    start: usize,
    end: usize,
    /// Position of the family's first spec in the table.
    first: usize,
}

/// All commands, looked up by case-insensitive name.
pub struct CommandTable {
    by_name: hashbrown::HashMap<&'static [u8], &'static CommandSpec, ahash::RandomState>,
    all: Vec<&'static CommandSpec>,
    /// Each family's declarations as an address range and the position of its first spec
    /// in `all`: per-command statistics are arrays indexed by position, found once per
    /// executed command from the spec's address with a few comparisons (no hashing).
    families: Vec<FamilyRange>,
    /// Container commands (CLIENT, CONFIG, ...): those with `name|sub` subcommands.
    containers: hashbrown::HashSet<&'static str, ahash::RandomState>,
}

impl CommandTable {
    fn build() -> Self {
        let mut all: Vec<&'static CommandSpec> = Vec::new();
        for family in crate::families::ALL {
            all.extend(family.iter());
        }
        let mut by_name = hashbrown::HashMap::with_hasher(ahash::RandomState::new());
        for spec in &all {
            let previous = by_name.insert(spec.name.as_bytes(), *spec);
            assert!(previous.is_none(), "command {} declared twice", spec.name);
        }
        let mut containers = hashbrown::HashSet::with_hasher(ahash::RandomState::new());
        for spec in &all {
            if let Some((container, _)) = spec.name.split_once('|') {
                assert!(
                    by_name.contains_key(container.as_bytes()),
                    "{} has no container",
                    spec.name
                );
                containers.insert(container);
            }
        }
        let mut families = Vec::new();
        let mut first = 0;
        for family in crate::families::ALL {
            let start = family.as_ptr() as usize;
            families.push(FamilyRange {
                start,
                end: start + std::mem::size_of_val(*family),
                first,
            });
            first += family.len();
        }
        CommandTable {
            by_name,
            all,
            families,
            containers,
        }
    }

    /// The process-wide table.
    pub fn get() -> &'static CommandTable {
        static TABLE: OnceLock<CommandTable> = OnceLock::new();
        TABLE.get_or_init(CommandTable::build)
    }

    #[inline]
    pub fn lookup(&self, name: &[u8]) -> Option<&'static CommandSpec> {
        let mut lower = [0u8; 32];
        let lower = lower.get_mut(..name.len())?;
        for (dst, src) in lower.iter_mut().zip(name) {
            *dst = src.to_ascii_lowercase();
        }
        self.by_name.get(&*lower).copied()
    }

    pub fn all(&self) -> &[&'static CommandSpec] {
        &self.all
    }

    /// Index of `spec` in [`all`](Self::all); `None` for a spec not in the table.
    #[inline]
    pub fn index_of(&self, spec: &CommandSpec) -> Option<usize> {
        let address = spec as *const CommandSpec as usize;
        self.families
            .iter()
            .find(|f| (f.start..f.end).contains(&address))
            .map(|f| f.first + (address - f.start) / std::mem::size_of::<CommandSpec>())
    }

    /// Top-level commands (no subcommands), as COMMAND COUNT counts them.
    pub fn top_level(&self) -> impl Iterator<Item = &'static CommandSpec> + '_ {
        self.all.iter().copied().filter(|s| !s.name.contains('|'))
    }

    /// Subcommands of a container, e.g. "client" -> client|id, client|list, ...
    pub fn subcommands<'t>(
        &'t self,
        container: &'t str,
    ) -> impl Iterator<Item = &'static CommandSpec> + 't {
        self.all
            .iter()
            .copied()
            .filter(move |s| s.name.split_once('|').is_some_and(|(c, _)| c == container))
    }

    /// The spec that runs `args`, with arity checked: looks up the name, and for container
    /// commands the subcommand. Errors are Redis's exact replies.
    pub fn resolve(&self, args: &[&[u8]]) -> Result<&'static CommandSpec, CmdError> {
        let Some(spec) = args.first().and_then(|name| self.lookup(name)) else {
            return Err(CmdError::owned(unknown_command_error(args)));
        };
        // A container alone runs as itself when its arity allows (COMMAND lists every
        // command); the others fail the arity check below, as in Redis.
        let spec = if let (true, Some(sub)) = (self.containers.contains(spec.name), args.get(1)) {
            let prefix_len = spec.name.len() + 1;
            let mut full = [0u8; 48];
            let found = if prefix_len + sub.len() <= full.len() {
                full[..spec.name.len()].copy_from_slice(spec.name.as_bytes());
                full[spec.name.len()] = b'|';
                for (d, s) in full[prefix_len..].iter_mut().zip(sub.iter()) {
                    *d = s.to_ascii_lowercase();
                }
                self.by_name.get(&full[..prefix_len + sub.len()]).copied()
            } else {
                None
            };
            found.ok_or_else(|| unknown_subcommand_error(spec.name, sub))?
        } else {
            spec
        };
        if !spec.arity_ok(args.len()) || !spec.keys.groups_complete(args.len()) {
            return Err(CmdError::Arity(spec.name.into()));
        }
        Ok(spec)
    }
}

impl CommandTable {
    /// The command a rejected call is counted against (`resolve` failed): the command or
    /// subcommand when it exists (wrong arity), none when unknown.
    pub fn lookup_for_error(&self, args: &[&[u8]]) -> Option<&'static CommandSpec> {
        let spec = self.lookup(args.first()?)?;
        if !self.containers.contains(spec.name) {
            return Some(spec);
        }
        let sub = args.get(1)?;
        let mut full = Vec::with_capacity(spec.name.len() + 1 + sub.len());
        full.extend_from_slice(spec.name.as_bytes());
        full.push(b'|');
        full.extend(sub.iter().map(|b| b.to_ascii_lowercase()));
        self.by_name.get(full.as_slice()).copied()
    }
}

/// Redis's reply to an unknown command:
/// `ERR unknown command 'foo', with args beginning with: 'a' 'b' `.
/// Like Redis's `%s` formatting, each text stops at a NUL byte.
pub fn unknown_command_error(args: &[&[u8]]) -> String {
    fn c_str(bytes: &[u8], max: usize) -> String {
        let end = bytes
            .iter()
            .position(|&b| b == 0)
            .unwrap_or(bytes.len())
            .min(max);
        String::from_utf8_lossy(&bytes[..end]).into_owned()
    }
    let name = args.first().map_or(String::new(), |n| c_str(n, 128));
    let mut rest = String::new();
    for arg in args.iter().skip(1) {
        if rest.len() >= 128 {
            break;
        }
        let room = 128 - rest.len();
        rest.push('\'');
        rest.push_str(&c_str(arg, room));
        rest.push_str("' ");
    }
    format!("ERR unknown command '{name}', with args beginning with: {rest}")
}

/// `ERR unknown subcommand 'x'. Try CLIENT HELP.`
pub fn unknown_subcommand_error(command: &str, sub: &[u8]) -> CmdError {
    let end = sub
        .iter()
        .position(|&b| b == 0)
        .unwrap_or(sub.len())
        .min(128);
    CmdError::owned(format!(
        "ERR unknown subcommand '{}'. Try {} HELP.",
        String::from_utf8_lossy(&sub[..end]),
        command.to_ascii_uppercase()
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_invariants() {
        let table = CommandTable::get();
        for spec in table.all() {
            assert_eq!(spec.name, spec.name.to_ascii_lowercase(), "{}", spec.name);
            assert!(spec.arity != 0, "{}", spec.name);
            let keyed = spec.keys != KeySpec::None;
            if spec.has(flags::WRITE) && !matches!(spec.routing, Routing::AllShards(_)) {
                assert!(
                    keyed || spec.has(flags::ADMIN),
                    "write command {} has no keys",
                    spec.name
                );
            }
            match spec.routing {
                Routing::Keys(_) => assert!(keyed, "{} routed by keys without keys", spec.name),
                Routing::Local => assert!(!keyed, "{} has keys but runs locally", spec.name),
                _ => {}
            }
            assert!(!spec.acl.is_empty(), "{} has no ACL categories", spec.name);
            assert!(table
                .lookup(spec.name.to_ascii_uppercase().as_bytes())
                .is_some());
        }
    }

    #[test]
    fn key_indexes() {
        let args = |n: usize| -> Vec<&'static [u8]> { vec![&b"x"[..]; n] };
        let mset = KeySpec::Range {
            first: 1,
            last: -1,
            step: 2,
        };
        assert_eq!(mset.key_indexes(&args(5)).to_vec(), vec![1, 3]);
        let get = KeySpec::Range {
            first: 1,
            last: 1,
            step: 1,
        };
        assert_eq!(get.key_indexes(&args(2)).to_vec(), vec![1]);
        let del = KeySpec::Range {
            first: 1,
            last: -1,
            step: 1,
        };
        assert_eq!(del.key_indexes(&args(4)).to_vec(), vec![1, 2, 3]);
        assert!(KeySpec::None.key_indexes(&args(3)).is_empty());
        let zunionstore = KeySpec::Numkeys {
            numkeys_at: 2,
            also: Some(1),
        };
        let cmd: Vec<&[u8]> = vec![
            b"ZUNIONSTORE",
            b"dst",
            b"2",
            b"a",
            b"b",
            b"WEIGHTS",
            b"1",
            b"2",
        ];
        assert_eq!(zunionstore.key_indexes(&cmd).to_vec(), vec![1, 3, 4]);
        let bad: Vec<&[u8]> = vec![b"ZUNIONSTORE", b"dst", b"9", b"a"];
        assert!(zunionstore.key_indexes(&bad).is_empty());
    }

    #[test]
    fn unknown_command_text() {
        let args: [&[u8]; 3] = [b"foo", b"a", b"b"];
        assert_eq!(
            unknown_command_error(&args),
            "ERR unknown command 'foo', with args beginning with: 'a' 'b' "
        );
    }
}
