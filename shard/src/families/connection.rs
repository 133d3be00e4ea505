//! Connection commands: PING, ECHO, QUIT, HELLO, SELECT, AUTH, CLIENT.

use crate::args::{parse_i64, ArgCursor};
use crate::command::{
    fanout_handler, flags::*, unknown_subcommand_error, CommandSpec, Coordinator, Fanout, KeySpec,
    Part, Routing,
};
use crate::ctx::Ctx;
use crate::error::{CmdError, CmdResult};
use crate::keyspace::DB_COUNT;
use crate::shard::{ClientPause, Shard};

/// The Redis version whose behaviour Shardis follows; clients gate features on it.
pub const REDIS_VERSION: &str = "7.0.15";
/// Shardis's own version.
pub const SHARDIS_VERSION: &str = env!("CARGO_PKG_VERSION");

const CONN: &[&str] = &["@fast", "@connection"];

macro_rules! conn_cmd {
    ($name:expr, $arity:expr, $flags:expr, $summary:expr, $handler:expr) => {
        conn_cmd!($name, $arity, $flags, $summary, $handler, Routing::Local)
    };
    ($name:expr, $arity:expr, $flags:expr, $summary:expr, $handler:expr, $routing:expr) => {
        CommandSpec {
            name: $name,
            arity: $arity,
            flags: $flags,
            keys: KeySpec::None,
            acl: CONN,
            group: "connection",
            since: "1.0.0",
            summary: $summary,
            routing: $routing,
            handler: $handler,
        }
    };
}

pub static COMMANDS: &[CommandSpec] = &[
    conn_cmd!(
        "ping",
        -1,
        FAST | STALE,
        "Returns the server's liveliness response.",
        ping
    ),
    conn_cmd!("echo", 2, FAST | STALE, "Returns the given string.", echo),
    conn_cmd!(
        "quit",
        -1,
        FAST | STALE | NO_AUTH | ALLOW_BUSY,
        "Closes the connection.",
        quit
    ),
    conn_cmd!(
        "hello",
        -1,
        FAST | STALE | NO_AUTH | NOSCRIPT | LOADING,
        "Handshakes with the server.",
        hello
    ),
    conn_cmd!(
        "select",
        2,
        FAST | STALE | LOADING,
        "Changes the selected database.",
        select
    ),
    conn_cmd!(
        "auth",
        -2,
        FAST | STALE | NO_AUTH | NOSCRIPT | LOADING,
        "Authenticates the connection.",
        auth
    ),
    conn_cmd!(
        "client",
        -2,
        0,
        "A container for client connection commands.",
        container
    ),
    conn_cmd!(
        "client|id",
        2,
        NOSCRIPT | LOADING | STALE,
        "Returns the unique client ID of the connection.",
        client_id
    ),
    conn_cmd!(
        "client|setname",
        3,
        NOSCRIPT | LOADING | STALE,
        "Sets the connection name.",
        client_setname
    ),
    conn_cmd!(
        "client|getname",
        2,
        NOSCRIPT | LOADING | STALE,
        "Returns the name of the connection.",
        client_getname
    ),
    conn_cmd!(
        "client|info",
        2,
        NOSCRIPT | LOADING | STALE,
        "Returns information about the connection.",
        client_info
    ),
    conn_cmd!(
        "client|list",
        -2,
        ADMIN | NOSCRIPT | LOADING | STALE,
        "Lists open connections.",
        client_info,
        Routing::Coordinated(Coordinator::ClientList)
    ),
    conn_cmd!(
        "client|kill",
        -3,
        ADMIN | NOSCRIPT | LOADING | STALE,
        "Terminates open connections.",
        client_kill_local,
        Routing::Coordinated(Coordinator::ClientKill)
    ),
    conn_cmd!(
        "client|no-evict",
        3,
        ADMIN | NOSCRIPT | LOADING | STALE,
        "Sets the client eviction mode.",
        client_on_off
    ),
    conn_cmd!(
        "client|pause",
        -3,
        ADMIN | NOSCRIPT | LOADING | STALE,
        "Suspends commands processing.",
        fanout_handler,
        Routing::Fanout(&CLIENT_PAUSE)
    ),
    conn_cmd!(
        "client|unpause",
        2,
        ADMIN | NOSCRIPT | LOADING | STALE,
        "Resumes processing commands from paused clients.",
        fanout_handler,
        Routing::Fanout(&CLIENT_UNPAUSE)
    ),
    conn_cmd!(
        "client|help",
        2,
        LOADING | STALE,
        "Returns helpful text about the different subcommands.",
        client_help
    ),
];

/// Container commands (CLIENT, CONFIG, ...) are resolved to their subcommand by the table;
/// the container itself never runs.
pub fn container(_ctx: &mut Ctx<'_>, _args: &[&[u8]]) -> CmdResult {
    Err(CmdError::Syntax)
}

/// PING [message]
fn ping(ctx: &mut Ctx<'_>, args: &[&[u8]]) -> CmdResult {
    match args.len() {
        1 => ctx.reply().simple(b"PONG"),
        2 => ctx.reply().bulk(args[1]),
        _ => return Err(CmdError::Arity("ping".into())),
    }
    Ok(())
}

/// ECHO message
fn echo(ctx: &mut Ctx<'_>, args: &[&[u8]]) -> CmdResult {
    ctx.reply().bulk(args[1]);
    Ok(())
}

/// QUIT
fn quit(ctx: &mut Ctx<'_>, _args: &[&[u8]]) -> CmdResult {
    ctx.client.close_after_reply = true;
    ctx.reply().ok();
    Ok(())
}

/// SELECT index
fn select(ctx: &mut Ctx<'_>, args: &[&[u8]]) -> CmdResult {
    let db = protocol::parse_i64(args[1])
        .ok_or(CmdError::msg("ERR value is not an integer or out of range"))?;
    if !(0..DB_COUNT as i64).contains(&db) {
        return Err(CmdError::DbIndex);
    }
    ctx.client.db = db as usize;
    ctx.reply().ok();
    Ok(())
}

/// AUTH [username] password: the default user is the only user; its password is
/// requirepass (none = `nopass`, where any password works for AUTH default <anything>).
fn auth(ctx: &mut Ctx<'_>, args: &[&[u8]]) -> CmdResult {
    let (user, password) = match args.len() {
        2 => {
            if ctx.shard.settings.requirepass.is_empty() {
                return Err(CmdError::msg(
                    "ERR AUTH <password> called without any password configured for the default user. \
                     Are you sure your configuration is correct?",
                ));
            }
            (&b"default"[..], args[1])
        }
        3 => (args[1], args[2]),
        _ => return Err(CmdError::Syntax),
    };
    check_credentials(ctx, user, password)?;
    ctx.reply().ok();
    Ok(())
}

/// Authenticate the client as `user` with `password`, or fail with Redis's WRONGPASS.
fn check_credentials(ctx: &mut Ctx<'_>, user: &[u8], password: &[u8]) -> CmdResult {
    let required = ctx.shard.settings.requirepass.as_bytes();
    let valid = user == b"default" && (required.is_empty() || same_secret(required, password));
    if !valid {
        return Err(CmdError::msg(
            "WRONGPASS invalid username-password pair or user is disabled.",
        ));
    }
    ctx.client.authenticated = true;
    Ok(())
}

/// Compare secrets in time that depends only on their lengths, not on where they differ.
fn same_secret(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// HELLO [protover [AUTH username password] [SETNAME clientname]]
fn hello(ctx: &mut Ctx<'_>, args: &[&[u8]]) -> CmdResult {
    let mut resp3 = ctx.client.resp3;
    let mut name = None;
    let mut credentials = None;
    if args.len() >= 2 {
        let version = parse_i64(args[1])
            .map_err(|_| CmdError::msg("ERR Protocol version is not an integer or out of range"))?;
        if !(2..=3).contains(&version) {
            return Err(CmdError::msg("NOPROTO unsupported protocol version"));
        }
        resp3 = version == 3;
        let mut rest = ArgCursor::new(args, 2);
        while !rest.is_done() {
            if rest.flag("AUTH") && rest.remaining() >= 2 {
                credentials = Some((rest.next_bytes()?, rest.next_bytes()?));
            } else if rest.flag("SETNAME") && rest.remaining() >= 1 {
                let new_name = rest.next_bytes()?;
                validate_name(new_name)?;
                name = Some(new_name);
            } else {
                let bad = rest.next_bytes()?;
                return Err(CmdError::owned(format!(
                    "ERR Syntax error in HELLO option '{}'",
                    String::from_utf8_lossy(bad)
                )));
            }
        }
    }
    if let Some((user, password)) = credentials {
        check_credentials(ctx, user, password)?;
    }
    if !ctx.client.authenticated && !ctx.shard.settings.requirepass.is_empty() {
        return Err(CmdError::msg(
            "NOAUTH HELLO must be called with the client already authenticated, otherwise the \
             HELLO <proto> AUTH <user> <pass> option can be used to authenticate the client and \
             select the RESP protocol version at the same time",
        ));
    }
    ctx.client.resp3 = resp3;
    if let Some(name) = name {
        ctx.client.name = (!name.is_empty()).then(|| name.into());
    }
    let id = ctx.client.id;
    let mut reply = ctx.reply();
    reply.map(7);
    reply.bulk(b"server");
    reply.bulk(b"redis");
    reply.bulk(b"version");
    reply.bulk(REDIS_VERSION.as_bytes());
    reply.bulk(b"proto");
    reply.integer(if resp3 { 3 } else { 2 });
    reply.bulk(b"id");
    reply.integer(id as i64);
    reply.bulk(b"mode");
    reply.bulk(b"standalone");
    reply.bulk(b"role");
    reply.bulk(b"master");
    reply.bulk(b"modules");
    reply.array(0);
    Ok(())
}

fn validate_name(name: &[u8]) -> CmdResult {
    if name.iter().any(|&b| !(b'!'..=b'~').contains(&b)) {
        return Err(CmdError::msg(
            "ERR Client names cannot contain spaces, newlines or special characters.",
        ));
    }
    Ok(())
}

/// CLIENT ID
fn client_id(ctx: &mut Ctx<'_>, _args: &[&[u8]]) -> CmdResult {
    let id = ctx.client.id as i64;
    ctx.reply().integer(id);
    Ok(())
}

/// CLIENT SETNAME connection-name
fn client_setname(ctx: &mut Ctx<'_>, args: &[&[u8]]) -> CmdResult {
    validate_name(args[2])?;
    ctx.client.name = (!args[2].is_empty()).then(|| args[2].into());
    ctx.reply().ok();
    Ok(())
}

/// CLIENT GETNAME
fn client_getname(ctx: &mut Ctx<'_>, _args: &[&[u8]]) -> CmdResult {
    let Ctx { client, out, .. } = ctx;
    let mut reply = protocol::Reply::new(out, client.resp3);
    match &client.name {
        Some(name) => reply.bulk(name),
        None => reply.null(),
    }
    Ok(())
}

/// CLIENT INFO, and CLIENT LIST on a single shard (the server gathers every shard's
/// connections when there are several).
fn client_info(ctx: &mut Ctx<'_>, args: &[&[u8]]) -> CmdResult {
    if args.len() > 2 {
        validate_client_list_args(args)?;
    }
    let line = ctx.client.info_line(ctx.shard.now_ms, 0, 0);
    ctx.reply().verbatim(line.as_bytes());
    Ok(())
}

/// CLIENT LIST [TYPE normal|master|replica|pubsub] [ID id [id ...]]: checks the options.
pub fn validate_client_list_args(args: &[&[u8]]) -> CmdResult {
    let mut rest = ArgCursor::new(args, 2);
    while !rest.is_done() {
        if rest.flag("TYPE") {
            let kind = rest.next_bytes()?;
            let known = [&b"normal"[..], b"master", b"replica", b"slave", b"pubsub"];
            if !known.iter().any(|k| kind.eq_ignore_ascii_case(k)) {
                return Err(CmdError::owned(format!(
                    "ERR Unknown client type '{}'",
                    String::from_utf8_lossy(kind)
                )));
            }
        } else if rest.flag("ID") {
            if rest.is_done() {
                return Err(CmdError::Syntax);
            }
            while !rest.is_done() {
                let id = rest.next_bytes()?;
                if protocol::parse_i64(id).is_none_or(|n| n <= 0) {
                    return Err(CmdError::msg("ERR Invalid client ID"));
                }
            }
        } else {
            return Err(CmdError::Syntax);
        }
    }
    Ok(())
}

/// CLIENT KILL on one shard: only the legacy `ip:port` form of this connection itself can
/// match here; the server handles every connection of every shard.
fn client_kill_local(_ctx: &mut Ctx<'_>, _args: &[&[u8]]) -> CmdResult {
    Err(CmdError::msg("ERR No such client"))
}

/// CLIENT NO-EVICT ON|OFF
fn client_on_off(ctx: &mut Ctx<'_>, args: &[&[u8]]) -> CmdResult {
    if args[2].eq_ignore_ascii_case(b"on") || args[2].eq_ignore_ascii_case(b"off") {
        ctx.reply().ok();
        Ok(())
    } else {
        Err(CmdError::Syntax)
    }
}

/// CLIENT HELP
fn client_help(ctx: &mut Ctx<'_>, _args: &[&[u8]]) -> CmdResult {
    const LINES: &[&str] = &[
        "CLIENT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
        "GETNAME",
        "    Return the name of the current connection.",
        "ID",
        "    Return the ID of the current connection.",
        "INFO",
        "    Return information about the current client connection.",
        "KILL <ip:port>",
        "    Kill connection made from <ip:port>.",
        "KILL <option> <value> [<option> <value> [...]]",
        "    Kill connections. Options are: ID <client-id>, ADDR <ip:port>, LADDR <ip:port>, SKIPME (YES|NO).",
        "LIST [options ...]",
        "    Return information about client connections. Options: TYPE (NORMAL|MASTER|REPLICA|PUBSUB), ID <client-id> ...",
        "SETNAME <name>",
        "    Assign the name <name> to the current connection.",
        "PAUSE <timeout> [WRITE|ALL]",
        "    Suspend all, or just write, clients for <timeout> milliseconds.",
        "UNPAUSE",
        "    Stop the current client pause, resuming traffic.",
        "NO-EVICT (ON|OFF)",
        "    Protect current client connection from eviction.",
        "HELP",
        "    Print this help.",
    ];
    help_reply(ctx, LINES)
}

/// A HELP subcommand's reply: one status line per line of text, as Redis's addReplyHelp.
pub fn help_reply(ctx: &mut Ctx<'_>, lines: &[&str]) -> CmdResult {
    let mut reply = ctx.reply();
    reply.array(lines.len());
    for line in lines {
        reply.simple(line.as_bytes());
    }
    Ok(())
}

/// CLIENT PAUSE timeout [WRITE|ALL]: every shard holds its clients' commands (all of them,
/// or only those that may write) until the deadline. A longer pause extends a shorter one;
/// ALL wins over WRITE while both are in force, as in Redis.
static CLIENT_PAUSE: Fanout = Fanout {
    collect: client_pause,
    finish: all_ok,
};

static CLIENT_UNPAUSE: Fanout = Fanout {
    collect: |shard, _args| {
        shard.pause = None;
        Ok(Box::new(()) as Part)
    },
    finish: all_ok,
};

fn client_pause(shard: &mut Shard, args: &[&[u8]]) -> Result<Part, CmdError> {
    let timeout = protocol::parse_i64(args[2])
        .filter(|&t| t >= 0)
        .ok_or(CmdError::msg(
            "ERR timeout is not an integer or out of range",
        ))?;
    let writes_only = match args.get(3) {
        None => false,
        Some(mode) if mode.eq_ignore_ascii_case(b"ALL") => false,
        Some(mode) if mode.eq_ignore_ascii_case(b"WRITE") => true,
        Some(_) => return Err(CmdError::msg("ERR CLIENT PAUSE mode must be WRITE or ALL")),
    };
    if args.len() > 4 {
        return Err(CmdError::Syntax);
    }
    let until_ms = shard.now_ms.saturating_add(timeout as u64);
    shard.pause = Some(match shard.pause {
        Some(current) if current.until_ms > shard.now_ms => ClientPause {
            until_ms: current.until_ms.max(until_ms),
            writes_only: current.writes_only && writes_only,
        },
        _ => ClientPause {
            until_ms,
            writes_only,
        },
    });
    Ok(Box::new(()))
}

/// The reply of a fan-out whose every part only has to succeed.
pub fn all_ok(
    _args: &[&[u8]],
    parts: Vec<Result<Part, CmdError>>,
    reply: &mut protocol::Reply<'_>,
) -> CmdResult {
    for part in parts {
        part?;
    }
    reply.ok();
    Ok(())
}

/// The error for an unknown CLIENT/CONFIG/... subcommand.
pub fn unknown_sub(container: &str, sub: &[u8]) -> CmdError {
    unknown_subcommand_error(container, sub)
}

#[cfg(test)]
mod tests {
    use crate::families::test_util::TestShard;

    #[test]
    fn ping_echo_select() {
        let mut t = TestShard::new();
        assert_eq!(t.run(&["PING"]), "+PONG\r\n");
        assert_eq!(t.run(&["ping", "hi"]), "$2\r\nhi\r\n");
        assert_eq!(
            t.run(&["PING", "a", "b"]),
            "-ERR wrong number of arguments for 'ping' command\r\n"
        );
        assert_eq!(t.run(&["ECHO", "x"]), "$1\r\nx\r\n");
        assert_eq!(t.run(&["SELECT", "15"]), "+OK\r\n");
        assert_eq!(t.client.db, 15);
        assert_eq!(
            t.run(&["SELECT", "16"]),
            "-ERR DB index is out of range\r\n"
        );
        assert_eq!(
            t.run(&["SELECT", "x"]),
            "-ERR value is not an integer or out of range\r\n"
        );
    }

    #[test]
    fn client_subcommands() {
        let mut t = TestShard::new();
        assert_eq!(t.run(&["CLIENT", "GETNAME"]), "$-1\r\n");
        assert_eq!(t.run(&["CLIENT", "SETNAME", "app"]), "+OK\r\n");
        assert_eq!(t.run(&["client", "getname"]), "$3\r\napp\r\n");
        assert_eq!(
            t.run(&["CLIENT", "SETNAME", "a b"]),
            "-ERR Client names cannot contain spaces, newlines or special characters.\r\n"
        );
        assert_eq!(
            t.run(&["CLIENT", "SETNAME"]),
            "-ERR wrong number of arguments for 'client|setname' command\r\n"
        );
        assert_eq!(
            t.run(&["CLIENT", "FOO"]),
            "-ERR unknown subcommand 'FOO'. Try CLIENT HELP.\r\n"
        );
    }

    #[test]
    fn hello_switches_protocol() {
        let mut t = TestShard::new();
        let reply = t.run(&["HELLO", "3"]);
        assert!(reply.starts_with("%7\r\n$6\r\nserver\r\n"), "{reply}");
        assert!(t.client.resp3);
        assert_eq!(
            t.run(&["HELLO", "4"]),
            "-NOPROTO unsupported protocol version\r\n"
        );
        let reply = t.run(&["HELLO", "2", "SETNAME", "x"]);
        assert!(reply.starts_with("*14\r\n"), "{reply}");
        assert_eq!(t.run(&["CLIENT", "GETNAME"]), "$1\r\nx\r\n");
    }
}
