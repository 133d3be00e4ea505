//! Configuration: built-in defaults, optionally a YAML file, then command-line flags. All
//! three go through the one parameter table of `shard::settings`, so a parameter has the
//! same name, units and checks everywhere (and CONFIG GET/SET/REWRITE agree with them).

use shard::settings::{Param, MAX_SHARDS};
use shard::Settings;
use std::ffi::OsString;
use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read config file {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("bad config file {path}: {message}")]
    Parse { path: PathBuf, message: String },
    #[error("command line: {message}")]
    Flag { message: String },
    #[error("bad value for '{key}': {message}")]
    Value { key: &'static str, message: String },
}

/// The command line. Flags override the config file; every value is checked as the file's
/// value of the same name is.
#[derive(Debug, Default, clap::Parser)]
#[command(
    name = "shardis",
    version,
    about = "A Redis-compatible, thread-per-core in-memory data store",
    allow_negative_numbers = true,
    after_help = "Any other configuration parameter (see deploy/shardis.yaml) can be given \
                  Redis-style as --NAME VALUE or --NAME=VALUE, e.g. --timeout 300 \
                  --hash-max-listpack-entries 128, or as --set NAME=VALUE. Named flags are \
                  applied first, then the others in command-line order."
)]
pub struct Flags {
    /// YAML configuration file (keys as the parameter names, e.g. `maxmemory: 256mb`).
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// IP address to listen on.
    #[arg(long, value_name = "ADDR")]
    pub bind: Option<String>,
    /// TCP port; 0 picks a free one and prints it.
    #[arg(long, value_name = "N")]
    pub port: Option<String>,
    /// Shards (threads); 0 or absent = one per online CPU. May exceed the CPU count.
    #[arg(long, value_name = "N")]
    pub shards: Option<String>,
    /// Memory limit for data (bytes, or 100mb, 2gb...); 0 = none.
    #[arg(long, value_name = "BYTES")]
    pub maxmemory: Option<String>,
    /// What to evict at the memory limit (noeviction, allkeys-lru, volatile-ttl...).
    #[arg(long, value_name = "POLICY")]
    pub maxmemory_policy: Option<String>,
    /// Password clients must AUTH with; empty = none.
    #[arg(long, value_name = "PASSWORD")]
    pub requirepass: Option<String>,
    /// Most client connections accepted.
    #[arg(long, value_name = "N")]
    pub maxclients: Option<String>,
    /// Prometheus /metrics port; 0 disables the endpoint.
    #[arg(long, value_name = "N")]
    pub metrics_port: Option<String>,
    /// debug, verbose, notice, warning or nothing.
    #[arg(long, value_name = "LEVEL")]
    pub loglevel: Option<String>,
    /// Log file; empty = standard error.
    #[arg(long, value_name = "FILE")]
    pub logfile: Option<String>,
    /// yes: refuse non-loopback clients while no password is set.
    #[arg(long, value_name = "yes|no")]
    pub protected_mode: Option<String>,
    /// Any parameter, as NAME=VALUE (repeatable).
    #[arg(long = "set", value_name = "NAME=VALUE")]
    pub set: Vec<String>,
}

/// The parameters with a flag of their own above (their clap names).
const NAMED_FLAGS: &[&str] = &[
    "bind",
    "port",
    "shards",
    "maxmemory",
    "maxmemory-policy",
    "requirepass",
    "maxclients",
    "metrics-port",
    "loglevel",
    "logfile",
    "protected-mode",
];

impl Flags {
    /// The process's command line, Redis-style parameter flags included.
    pub fn from_env() -> Flags {
        <Flags as clap::Parser>::parse_from(expand_args(std::env::args_os()))
    }

    /// (name, value) for every parameter given: named flags first, then `--set` in order.
    fn assignments(&self) -> Result<Vec<(&str, &str)>, ConfigError> {
        let named = [
            ("bind", &self.bind),
            ("port", &self.port),
            ("shards", &self.shards),
            ("maxmemory", &self.maxmemory),
            ("maxmemory-policy", &self.maxmemory_policy),
            ("requirepass", &self.requirepass),
            ("maxclients", &self.maxclients),
            ("metrics-port", &self.metrics_port),
            ("loglevel", &self.loglevel),
            ("logfile", &self.logfile),
            ("protected-mode", &self.protected_mode),
        ];
        let mut out: Vec<(&str, &str)> = named
            .into_iter()
            .filter_map(|(name, value)| Some((name, value.as_deref()?)))
            .collect();
        for entry in &self.set {
            let (name, value) = entry.split_once('=').ok_or_else(|| ConfigError::Flag {
                message: format!("--set expects NAME=VALUE, got '{entry}'"),
            })?;
            out.push((name, value));
        }
        Ok(out)
    }
}

/// Rewrite Redis-style parameter flags into ones clap knows, so any parameter can be given
/// as `--name value` or `--name=value` (name in any case, aliases too): the named flags
/// become `--name=value` (so a value starting with `-`, like `-1`, stays a value), the rest
/// `--set=name=value`. Everything else (and all after a bare `--`) is left as it is.
pub fn expand_args<I: IntoIterator<Item = OsString>>(args: I) -> Vec<OsString> {
    let mut args = args.into_iter();
    let mut out: Vec<OsString> = args.next().into_iter().collect();
    while let Some(arg) = args.next() {
        let Some(flag) = arg.to_str().and_then(|a| a.strip_prefix("--")) else {
            out.push(arg);
            continue;
        };
        if flag.is_empty() {
            out.push(arg);
            out.extend(args);
            break;
        }
        let (name, inline) = match flag.split_once('=') {
            Some((name, value)) => (name, Some(value)),
            None => (flag, None),
        };
        let named = NAMED_FLAGS.contains(&name);
        if !named && Param::lookup(name.as_bytes()).is_none() {
            // clap's own flags; keep a separate value of --config/--set away from rewriting.
            let takes_value = inline.is_none() && (name == "config" || name == "set");
            out.push(arg.clone());
            if takes_value {
                out.extend(args.next());
            }
            continue;
        }
        let value = match inline {
            Some(value) => OsString::from(value),
            None => match args.next() {
                Some(value) => value,
                // No value: leave it for clap to report.
                None => {
                    out.push(arg.clone());
                    continue;
                }
            },
        };
        let mut joined = OsString::from(if named {
            format!("--{name}=")
        } else {
            format!("--set={name}=")
        });
        joined.push(value);
        out.push(joined);
    }
    out
}

/// The server's configuration: the settings every shard starts with, and the file they
/// came from.
#[derive(Debug, Clone)]
pub struct Config {
    pub settings: Settings,
    /// The configuration file, absolute where possible (the exact path; `settings.config_file`
    /// is its text, for CONFIG REWRITE and INFO).
    #[allow(dead_code)] // The binary reads the text copy in `settings` for now.
    pub config_file: Option<PathBuf>,
}

impl Config {
    /// Defaults, then the YAML file (if `--config`), then the flags.
    pub fn load(flags: Flags) -> Result<Config, ConfigError> {
        let mut settings = Settings::default();
        let config_file = match &flags.config {
            None => None,
            Some(path) => {
                let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
                    path: path.clone(),
                    source,
                })?;
                settings
                    .load_yaml(&text)
                    .map_err(|message| ConfigError::Parse {
                        path: path.clone(),
                        message,
                    })?;
                let path = std::path::absolute(path).unwrap_or_else(|_| path.clone());
                settings.config_file = path.display().to_string();
                Some(path)
            }
        };
        for (name, value) in flags.assignments()? {
            settings
                .apply_startup(name, value)
                .map_err(|message| ConfigError::Flag { message })?;
        }
        // The table already refuses these; kept as the server's own guarantees.
        if settings.shards == 0 {
            settings.shards = shard::settings::online_cpus();
        }
        if !(1..=MAX_SHARDS).contains(&settings.shards) {
            return Err(ConfigError::Value {
                key: "shards",
                message: format!("{} is not between 1 and {MAX_SHARDS}", settings.shards),
            });
        }
        if settings.bind.parse::<std::net::IpAddr>().is_err() {
            return Err(ConfigError::Value {
                key: "bind",
                message: format!("'{}' is not an IP address", settings.bind),
            });
        }
        Ok(Config {
            settings,
            config_file,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;
    use std::sync::atomic::{AtomicUsize, Ordering};

    /// A temporary YAML file, removed when dropped.
    struct TempFile(PathBuf);

    impl TempFile {
        fn new(yaml: &str) -> TempFile {
            static NEXT: AtomicUsize = AtomicUsize::new(0);
            let path = std::env::temp_dir().join(format!(
                "shardis-config-{}-{}.yaml",
                std::process::id(),
                NEXT.fetch_add(1, Ordering::Relaxed)
            ));
            std::fs::write(&path, yaml).expect("temp file");
            TempFile(path)
        }
    }

    impl Drop for TempFile {
        fn drop(&mut self) {
            let _ = std::fs::remove_file(&self.0);
        }
    }

    fn load_yaml(yaml: &str) -> Result<Config, ConfigError> {
        let file = TempFile::new(yaml);
        Config::load(Flags {
            config: Some(file.0.clone()),
            ..Flags::default()
        })
    }

    fn parse(args: &[&str]) -> Flags {
        let args = std::iter::once("shardis")
            .chain(args.iter().copied())
            .map(OsString::from);
        Flags::try_parse_from(expand_args(args)).expect("flags parse")
    }

    #[test]
    fn config_defaults_without_file() {
        let config = Config::load(Flags::default()).expect("defaults");
        assert_eq!(config.settings.bind, "127.0.0.1");
        assert_eq!(config.settings.port, 6379);
        assert!(config.settings.shards >= 1);
        assert!(config.config_file.is_none());
        assert_eq!(config.settings.config_file, "");
    }

    #[test]
    fn config_unknown_key_is_named() {
        let err = load_yaml("port: 7000\nbogus-key: 1\n").expect_err("unknown key");
        assert!(err.to_string().contains("bogus-key"), "{err}");
    }

    #[test]
    fn config_bad_value_is_named() {
        let err = load_yaml("port: notaport\n").expect_err("bad port");
        assert!(err.to_string().contains("port"), "{err}");
        let err = load_yaml("shards: 300\n").expect_err("too many shards");
        assert!(err.to_string().contains("shards"), "{err}");
        let err = load_yaml("bind: example.com\n").expect_err("not an IP");
        assert!(err.to_string().contains("bind"), "{err}");
        // 0 shards = one per CPU.
        let config = load_yaml("shards: 0\n").expect("auto shards");
        assert_eq!(config.settings.shards, shard::settings::online_cpus());
    }

    #[test]
    fn config_empty_file_and_path() {
        let file = TempFile::new("");
        let config = Config::load(Flags {
            config: Some(file.0.clone()),
            ..Flags::default()
        })
        .expect("empty file");
        let path = config.config_file.expect("path kept");
        assert!(path.is_absolute());
        assert_eq!(config.settings.config_file, path.display().to_string());
    }

    #[test]
    fn config_flags_override_file() {
        let file = TempFile::new("port: 7001\nshards: 3\ntimeout: 10\nmaxmemory: 1mb\n");
        let path = file.0.display().to_string();
        let flags = parse(&["--config", &path, "--port", "7002", "--timeout", "20"]);
        let config = Config::load(flags).expect("load");
        assert_eq!(config.settings.port, 7002);
        assert_eq!(config.settings.shards, 3);
        assert_eq!(config.settings.timeout, 20);
        assert_eq!(config.settings.maxmemory, 1 << 20);
    }

    #[test]
    fn config_redis_style_flags() {
        let flags = parse(&[
            "--maxmemory",
            "2gb",
            "--maxmemory-policy=allkeys-lru",
            "--slowlog-log-slower-than",
            "-1",
            "--LIST-MAX-ZIPLIST-SIZE",
            "-3",
            "--save",
            "",
            "--appendonly",
            "no",
            "--protected-mode",
            "no",
            "--requirepass",
            "-secret",
            "--set",
            "hz=50",
            "--set=latency-tracking-info-percentiles=50 99",
            "--cpu-pinning=no",
        ]);
        assert_eq!(flags.maxmemory.as_deref(), Some("2gb"));
        assert_eq!(flags.requirepass.as_deref(), Some("-secret"));
        let settings = Config::load(flags).expect("load").settings;
        assert_eq!(settings.maxmemory, 2 << 30);
        assert_eq!(
            settings.maxmemory_policy,
            shard::settings::MaxmemoryPolicy::AllkeysLru
        );
        assert_eq!(settings.slowlog_log_slower_than, -1);
        assert_eq!(settings.list_max_listpack_size, -3);
        assert!(!settings.protected_mode);
        assert_eq!(settings.requirepass, "-secret");
        assert_eq!(settings.hz, 50);
        assert_eq!(settings.latency_tracking_info_percentiles, vec![50.0, 99.0]);
        assert!(!settings.cpu_pinning);
    }

    #[test]
    fn config_flag_errors() {
        let err = Config::load(parse(&["--port", "70000"])).expect_err("range");
        assert!(err.to_string().contains("'port'"), "{err}");
        let err = Config::load(parse(&["--set", "nosuch=1"])).expect_err("unknown");
        assert!(err.to_string().contains("'nosuch'"), "{err}");
        let err = Config::load(parse(&["--set", "timeout"])).expect_err("no =");
        assert!(err.to_string().contains("NAME=VALUE"), "{err}");
        let err = Config::load(parse(&["--appendonly", "yes"])).expect_err("fixed");
        assert!(err.to_string().contains("appendonly"), "{err}");
        // Unknown flags and missing values are clap's errors.
        let args = ["shardis", "--no-such-flag", "1"].map(OsString::from);
        assert!(Flags::try_parse_from(expand_args(args)).is_err());
        let args = ["shardis", "--timeout"].map(OsString::from);
        assert!(Flags::try_parse_from(expand_args(args)).is_err());
    }

    #[test]
    fn config_expand_args_leaves_others_alone() {
        let expand = |args: &[&str]| -> Vec<String> {
            expand_args(args.iter().map(OsString::from))
                .into_iter()
                .map(|a| a.to_string_lossy().into_owned())
                .collect()
        };
        assert_eq!(
            expand(&[
                "shardis",
                "--config",
                "--port",
                "--port",
                "1",
                "--",
                "--timeout",
                "5"
            ]),
            [
                "shardis",
                "--config",
                "--port",
                "--port=1",
                "--",
                "--timeout",
                "5"
            ]
        );
        assert_eq!(
            expand(&["shardis", "--timeout", "5", "--set", "hz=1", "-h"]),
            ["shardis", "--set=timeout=5", "--set", "hz=1", "-h"]
        );
    }

    #[test]
    fn config_deploy_file_loads() {
        let path = PathBuf::from(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../deploy/shardis.yaml"
        ));
        let text = std::fs::read_to_string(&path).expect("deploy/shardis.yaml");
        let config = Config::load(Flags {
            config: Some(path),
            ..Flags::default()
        })
        .expect("deploy/shardis.yaml loads");
        // The annotated file sets nothing but the defaults...
        let expected = Settings {
            config_file: config.settings.config_file.clone(),
            ..Settings::default()
        };
        assert_eq!(config.settings, expected);
        // ...so CONFIG REWRITE leaves it as it is...
        assert_eq!(config.settings.rewrite_yaml(&text), text);
        // ...and it mentions every parameter.
        for param in shard::settings::PARAMS {
            let key = format!("{}: ", param.name);
            assert!(
                text.lines()
                    .any(|l| l.starts_with(&key) || l.starts_with(&format!("# {key}"))),
                "deploy/shardis.yaml does not document {}",
                param.name
            );
        }
    }
}
