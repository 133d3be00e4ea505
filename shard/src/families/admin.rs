//! Operations commands: CONFIG SET / REWRITE / RESETSTAT, SLOWLOG, LATENCY.
//!
//! Each shard keeps its own settings copy, statistics, slow log and latency samples; these
//! commands are fan-outs: every shard does its part (apply, reset, or copy out what it has)
//! and the client's shard merges the parts into one Redis-shaped reply.

use crate::command::{fanout_handler, flags::*, CommandSpec, Fanout, KeySpec, Part, Routing};
use crate::ctx::Ctx;
use crate::error::{CmdError, CmdResult};
use crate::families::connection::{all_ok, container, help_reply};
use crate::observe::{
    merge_slowlog, write_slowlog_reply, CommandStats, LatencyMonitor, SlowlogEntry,
};
use crate::shard::{Shard, Stats};
use protocol::Reply;

const ADMIN_ACL: &[&str] = &["@admin", "@slow", "@dangerous"];
const SLOW: &[&str] = &["@slow"];

macro_rules! admin_cmd {
    ($name:expr, $arity:expr, $flags:expr, $acl:expr, $since:expr, $summary:expr, $routing:expr, $handler:expr) => {
        CommandSpec {
            name: $name,
            arity: $arity,
            flags: $flags,
            keys: KeySpec::None,
            acl: $acl,
            group: "server",
            since: $since,
            summary: $summary,
            routing: $routing,
            handler: $handler,
        }
    };
}

macro_rules! fanout_cmd {
    ($name:expr, $arity:expr, $flags:expr, $since:expr, $summary:expr, $fanout:expr) => {
        admin_cmd!(
            $name,
            $arity,
            $flags,
            ADMIN_ACL,
            $since,
            $summary,
            Routing::Fanout(&$fanout),
            fanout_handler
        )
    };
}

const ADMIN_FLAGS: u32 = ADMIN | NOSCRIPT | LOADING | STALE;

pub static COMMANDS: &[CommandSpec] = &[
    fanout_cmd!(
        "config|set",
        -4,
        ADMIN_FLAGS,
        "2.0.0",
        "Sets configuration parameters in-flight.",
        CONFIG_SET
    ),
    fanout_cmd!(
        "config|resetstat",
        2,
        ADMIN_FLAGS,
        "2.0.0",
        "Resets the server's statistics.",
        CONFIG_RESETSTAT
    ),
    admin_cmd!(
        "config|rewrite",
        2,
        ADMIN_FLAGS,
        ADMIN_ACL,
        "2.8.0",
        "Persists the effective configuration to file.",
        Routing::Local,
        config_rewrite
    ),
    admin_cmd!(
        "config|help",
        2,
        LOADING | STALE,
        SLOW,
        "5.0.0",
        "Returns helpful text about the different subcommands.",
        Routing::Local,
        config_help
    ),
    admin_cmd!(
        "slowlog",
        -2,
        0,
        SLOW,
        "2.2.12",
        "A container for slow log commands.",
        Routing::Local,
        container
    ),
    fanout_cmd!(
        "slowlog|get",
        -2,
        ADMIN_FLAGS,
        "2.2.12",
        "Returns the slow log's entries.",
        SLOWLOG_GET
    ),
    fanout_cmd!(
        "slowlog|len",
        2,
        ADMIN_FLAGS,
        "2.2.12",
        "Returns the number of entries in the slow log.",
        SLOWLOG_LEN
    ),
    fanout_cmd!(
        "slowlog|reset",
        2,
        ADMIN_FLAGS,
        "2.2.12",
        "Clears all entries from the slow log.",
        SLOWLOG_RESET
    ),
    admin_cmd!(
        "slowlog|help",
        2,
        LOADING | STALE,
        SLOW,
        "6.2.0",
        "Show helpful text about the different subcommands",
        Routing::Local,
        slowlog_help
    ),
    admin_cmd!(
        "latency",
        -2,
        0,
        SLOW,
        "2.8.13",
        "A container for latency diagnostics commands.",
        Routing::Local,
        container
    ),
    fanout_cmd!(
        "latency|latest",
        2,
        ADMIN_FLAGS,
        "2.8.13",
        "Returns the latest latency samples for all events.",
        LATENCY_LATEST
    ),
    fanout_cmd!(
        "latency|history",
        3,
        ADMIN_FLAGS,
        "2.8.13",
        "Returns timestamp-latency samples for an event.",
        LATENCY_HISTORY
    ),
    fanout_cmd!(
        "latency|reset",
        -2,
        ADMIN_FLAGS,
        "2.8.13",
        "Resets the latency data for one or more events.",
        LATENCY_RESET
    ),
    fanout_cmd!(
        "latency|doctor",
        2,
        ADMIN_FLAGS,
        "2.8.13",
        "Returns a human-readable latency analysis report.",
        LATENCY_DOCTOR
    ),
    fanout_cmd!(
        "latency|histogram",
        -2,
        ADMIN_FLAGS,
        "7.0.0",
        "Returns the cumulative distribution of latencies of a subset or all commands.",
        LATENCY_HISTOGRAM
    ),
    admin_cmd!(
        "latency|help",
        2,
        LOADING | STALE,
        SLOW,
        "2.8.13",
        "Returns helpful text about the different subcommands.",
        Routing::Local,
        latency_help
    ),
];

// ---- CONFIG ----

/// CONFIG SET parameter value [parameter value ...]: validated and applied on every shard
/// (the same checks on the same settings, so every shard accepts or every shard refuses).
static CONFIG_SET: Fanout = Fanout {
    collect: config_set,
    finish: all_ok,
};

fn config_set(shard: &mut Shard, args: &[&[u8]]) -> Result<Part, CmdError> {
    if !(args.len() - 2).is_multiple_of(2) {
        // Redis 7.0 answers an unpaired parameter with a syntax error.
        return Err(CmdError::Syntax);
    }
    let pairs: Vec<(&[u8], &[u8])> = args[2..].chunks(2).map(|p| (p[0], p[1])).collect();
    shard.settings.set_many(&pairs)?;
    shard.apply_settings();
    Ok(Box::new(()))
}

/// CONFIG RESETSTAT: counters, command/error statistics and latency histograms start over.
static CONFIG_RESETSTAT: Fanout = Fanout {
    collect: |shard, _args| {
        shard.stats = Stats {
            connected_clients: shard.stats.connected_clients,
            blocked_clients: shard.stats.blocked_clients,
            ..Stats::default()
        };
        shard.keyspace.expired_keys = 0;
        shard.command_stats.reset();
        shard.error_stats.reset();
        Ok(Box::new(()) as Part)
    },
    finish: all_ok,
};

/// CONFIG REWRITE: write the running configuration back into the YAML file it came from,
/// keeping its comments and order (see `Settings::rewrite_yaml`).
fn config_rewrite(ctx: &mut Ctx<'_>, _args: &[&[u8]]) -> CmdResult {
    let path = ctx.shard.settings.config_file.clone();
    if path.is_empty() {
        return Err(CmdError::msg(
            "ERR The server is running without a config file",
        ));
    }
    let failed = |err: std::io::Error| CmdError::owned(format!("ERR Rewriting config file: {err}"));
    let original = match std::fs::read_to_string(&path) {
        Ok(text) => text,
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => String::new(),
        Err(err) => return Err(failed(err)),
    };
    let rewritten = ctx.shard.settings.rewrite_yaml(&original);
    // Write a sibling file and rename it over the original: a crash mid-write never
    // leaves a truncated configuration behind.
    let temp = format!("{path}.rewrite-{}", std::process::id());
    std::fs::write(&temp, rewritten.as_bytes())
        .and_then(|()| std::fs::rename(&temp, &path))
        .map_err(|err| {
            let _ = std::fs::remove_file(&temp);
            failed(err)
        })?;
    ctx.reply().ok();
    Ok(())
}

fn config_help(ctx: &mut Ctx<'_>, _args: &[&[u8]]) -> CmdResult {
    help_reply(
        ctx,
        &[
            "CONFIG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
            "GET <pattern>",
            "    Return parameters matching the glob-like <pattern> and their values.",
            "SET <directive> <value>",
            "    Set the configuration <directive> to <value>.",
            "RESETSTAT",
            "    Reset statistics reported by the INFO command.",
            "REWRITE",
            "    Rewrite the configuration file.",
            "HELP",
            "    Print this help.",
        ],
    )
}

// ---- SLOWLOG ----

/// SLOWLOG GET [count]: the newest `count` entries (10 by default, -1 for all) over every
/// shard, newest first.
static SLOWLOG_GET: Fanout = Fanout {
    collect: |shard, args| {
        let count = slowlog_count(args)?.min(shard.settings.slowlog_max_len as usize);
        let entries: Vec<_> = shard.slowlog.entries().take(count).cloned().collect();
        Ok(Box::new((entries, count)) as Part)
    },
    finish: |_args, parts, reply| {
        // slowlog-max-len bounds the merged log: the newest of every shard's entries.
        let parts = Fanout::parts::<(Vec<SlowlogEntry>, usize)>(parts)?;
        let count = parts.first().map_or(0, |(_, count)| *count);
        let entries = merge_slowlog(parts.into_iter().map(|(e, _)| e).collect(), count);
        write_slowlog_reply(reply, &entries);
        Ok(())
    },
};

fn slowlog_count(args: &[&[u8]]) -> Result<usize, CmdError> {
    let Some(arg) = args.get(2) else {
        return Ok(10);
    };
    if args.len() > 3 {
        return Err(CmdError::Arity("slowlog|get".into()));
    }
    match protocol::parse_i64(arg) {
        Some(-1) => Ok(usize::MAX),
        Some(n) if n >= 0 => Ok(n as usize),
        _ => Err(CmdError::msg(
            "ERR count should be greater than or equal to -1",
        )),
    }
}

static SLOWLOG_LEN: Fanout = Fanout {
    collect: |shard, _args| {
        let max_len = shard.settings.slowlog_max_len as i64;
        Ok(Box::new((shard.slowlog.len() as i64, max_len)) as Part)
    },
    finish: |_args, parts, reply| {
        let parts = Fanout::parts::<(i64, i64)>(parts)?;
        let max_len = parts.first().map_or(0, |(_, max)| *max);
        let total: i64 = parts.iter().map(|(len, _)| len).sum();
        reply.integer(total.min(max_len));
        Ok(())
    },
};

static SLOWLOG_RESET: Fanout = Fanout {
    collect: |shard, _args| {
        shard.slowlog.reset();
        Ok(Box::new(()) as Part)
    },
    finish: all_ok,
};

fn slowlog_help(ctx: &mut Ctx<'_>, _args: &[&[u8]]) -> CmdResult {
    help_reply(
        ctx,
        &[
            "SLOWLOG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
            "GET [<count>]",
            "    Return top <count> entries from the slowlog (default: 10, -1 mean all).",
            "    Entries are made of:",
            "    id, timestamp, time in microseconds, arguments array, client IP and port,",
            "    client name",
            "LEN",
            "    Return the length of the slowlog.",
            "RESET",
            "    Reset the slowlog.",
            "HELP",
            "    Print this help.",
        ],
    )
}

// ---- LATENCY ----

/// Every shard's latency samples, merged into one monitor.
fn merged_monitor(parts: Vec<Result<Part, CmdError>>) -> Result<LatencyMonitor, CmdError> {
    let mut merged = LatencyMonitor::default();
    for monitor in Fanout::parts::<LatencyMonitor>(parts)? {
        merged.merge(&monitor);
    }
    Ok(merged)
}

fn copy_monitor(shard: &mut Shard, _args: &[&[u8]]) -> Result<Part, CmdError> {
    Ok(Box::new(shard.latency_monitor.clone()))
}

static LATENCY_LATEST: Fanout = Fanout {
    collect: copy_monitor,
    finish: |_args, parts, reply| {
        merged_monitor(parts)?.write_latest(reply);
        Ok(())
    },
};

static LATENCY_HISTORY: Fanout = Fanout {
    collect: copy_monitor,
    finish: |args, parts, reply| {
        merged_monitor(parts)?.write_history(reply, args[2]);
        Ok(())
    },
};

/// LATENCY RESET [event ...]: each shard forgets the events; the reply counts the distinct
/// event series that existed anywhere.
static LATENCY_RESET: Fanout = Fanout {
    collect: |shard, args| {
        let before = shard.latency_monitor.clone();
        shard.latency_monitor.reset(&args[2..]);
        Ok(Box::new(before) as Part)
    },
    finish: |args, parts, reply| {
        let mut merged = merged_monitor(parts)?;
        reply.integer(merged.reset(&args[2..]) as i64);
        Ok(())
    },
};

/// LATENCY DOCTOR: a readable report over every shard's samples.
static LATENCY_DOCTOR: Fanout = Fanout {
    collect: |shard, _args| {
        Ok(Box::new((
            shard.latency_monitor.clone(),
            shard.settings.latency_monitor_threshold,
            shard.now_ms / 1000,
        )) as Part)
    },
    finish: |_args, parts, reply| {
        let mut merged = LatencyMonitor::default();
        let (mut threshold, mut now_s) = (0, 0);
        for (monitor, shard_threshold, shard_now) in
            Fanout::parts::<(LatencyMonitor, u64, u64)>(parts)?
        {
            merged.merge(&monitor);
            threshold = shard_threshold;
            now_s = now_s.max(shard_now);
        }
        reply.verbatim(merged.doctor_text(threshold, now_s).as_bytes());
        Ok(())
    },
};

/// LATENCY HISTOGRAM [command ...]: per-command latency distributions, summed over shards.
static LATENCY_HISTOGRAM: Fanout = Fanout {
    collect: |shard, _args| Ok(Box::new(shard.command_stats.clone()) as Part),
    finish: |args, parts, reply: &mut Reply<'_>| {
        let mut merged = CommandStats::new();
        for stats in Fanout::parts::<CommandStats>(parts)? {
            merged.merge(&stats);
        }
        crate::observe::write_latency_histogram(reply, &merged, &args[2..]);
        Ok(())
    },
};

fn latency_help(ctx: &mut Ctx<'_>, _args: &[&[u8]]) -> CmdResult {
    help_reply(
        ctx,
        &[
            "LATENCY <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
            "DOCTOR",
            "    Return a human readable latency analysis report.",
            "HISTOGRAM [COMMAND ...]",
            "    Return a cumulative distribution of latencies in the format of a histogram for the specified command names.",
            "    If no commands are specified then all histograms are replied.",
            "HISTORY <event>",
            "    Return time-latency samples for the <event> class.",
            "LATEST",
            "    Return the latest latency samples for all events.",
            "RESET [<event> ...]",
            "    Reset latency data of one or more <event> classes.",
            "    (default: reset all data for all event classes)",
            "HELP",
            "    Print this help.",
        ],
    )
}

#[cfg(test)]
mod tests {
    use crate::families::test_util::TestShard;

    #[test]
    fn config_set_changes_settings_atomically() {
        let mut t = TestShard::new();
        assert_eq!(t.run(&["CONFIG", "SET", "slowlog-max-len", "7"]), "+OK\r\n");
        assert_eq!(t.shard.settings.slowlog_max_len, 7);
        let err = t.run(&["CONFIG", "SET", "slowlog-max-len", "9", "maxmemory", "lots"]);
        assert!(err.starts_with("-ERR CONFIG SET failed"), "{err}");
        assert_eq!(t.shard.settings.slowlog_max_len, 7);
        assert_eq!(
            t.run(&["CONFIG", "SET", "slowlog-max-len", "1", "hz"]),
            "-ERR syntax error\r\n"
        );
    }

    #[test]
    fn slowlog_records_and_resets() {
        let mut t = TestShard::new();
        t.run(&["CONFIG", "SET", "slowlog-log-slower-than", "0"]);
        t.run(&["SET", "k", "v"]);
        let len = t.run(&["SLOWLOG", "LEN"]);
        assert!(len.starts_with(':') && len != ":0\r\n", "{len}");
        let get = t.run(&["SLOWLOG", "GET", "1"]);
        assert!(get.starts_with("*1\r\n*6\r\n"), "{get}");
        assert_eq!(
            t.run(&["SLOWLOG", "GET", "-2"]),
            "-ERR count should be greater than or equal to -1\r\n"
        );
        t.run(&["CONFIG", "SET", "slowlog-log-slower-than", "-1"]);
        assert_eq!(t.run(&["SLOWLOG", "RESET"]), "+OK\r\n");
        assert_eq!(t.run(&["SLOWLOG", "LEN"]), ":0\r\n");
    }

    #[test]
    fn latency_commands_answer_when_empty() {
        let mut t = TestShard::new();
        assert_eq!(t.run(&["LATENCY", "LATEST"]), "*0\r\n");
        assert_eq!(t.run(&["LATENCY", "HISTORY", "command"]), "*0\r\n");
        assert_eq!(t.run(&["LATENCY", "RESET"]), ":0\r\n");
        assert!(t.run(&["LATENCY", "DOCTOR"]).starts_with('$'));
        t.run(&["GET", "x"]);
        let histogram = t.run(&["LATENCY", "HISTOGRAM", "get"]);
        assert!(histogram.contains("histogram_usec"), "{histogram}");
    }

    #[test]
    fn resetstat_clears_command_stats() {
        let mut t = TestShard::new();
        t.run(&["GET", "x"]);
        assert!(t.shard.stats.commands_processed > 0);
        assert_eq!(t.run(&["CONFIG", "RESETSTAT"]), "+OK\r\n");
        // Only CONFIG RESETSTAT itself, counted once it finished (as Redis).
        assert_eq!(t.shard.stats.commands_processed, 1);
        assert_eq!(t.shard.command_stats.iter().count(), 1);
    }
}
