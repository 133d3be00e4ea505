//! Configuration: built-in defaults, optionally a YAML file, then command-line flags.

use serde::Deserialize;
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
    #[error("bad value for '{key}': {message}")]
    Value { key: &'static str, message: String },
}

/// The command line. Every flag overrides the config file's key of the same name.
#[derive(Debug, clap::Parser)]
#[command(
    name = "shardis",
    version,
    about = "A Redis-compatible, thread-per-core in-memory data store"
)]
pub struct Flags {
    /// YAML configuration file (keys as the flags below).
    #[arg(long)]
    pub config: Option<PathBuf>,
    /// Address to listen on.
    #[arg(long)]
    pub bind: Option<String>,
    /// TCP port; 0 picks a free one and prints it.
    #[arg(long)]
    pub port: Option<u16>,
    /// Shards (threads); default one per online CPU. May exceed the CPU count.
    #[arg(long)]
    pub shards: Option<usize>,
}

/// The YAML file. Unknown keys are an error naming the key.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct FileConfig {
    bind: Option<String>,
    port: Option<u16>,
    shards: Option<usize>,
}

#[derive(Debug, Clone)]
pub struct Config {
    pub bind: String,
    pub port: u16,
    pub shards: usize,
    pub config_file: Option<PathBuf>,
}

pub const MAX_SHARDS: usize = 256;

impl Config {
    pub fn load(flags: Flags) -> Result<Config, ConfigError> {
        let file = match &flags.config {
            None => FileConfig::default(),
            Some(path) => {
                let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
                    path: path.clone(),
                    source,
                })?;
                if text.trim().is_empty() {
                    FileConfig::default()
                } else {
                    serde_yaml::from_str(&text).map_err(|e| ConfigError::Parse {
                        path: path.clone(),
                        message: e.to_string(),
                    })?
                }
            }
        };
        let online = std::thread::available_parallelism().map_or(1, |n| n.get());
        let config = Config {
            bind: flags
                .bind
                .or(file.bind)
                .unwrap_or_else(|| "127.0.0.1".into()),
            port: flags.port.or(file.port).unwrap_or(6379),
            shards: flags.shards.or(file.shards).unwrap_or(online),
            config_file: flags.config,
        };
        if !(1..=MAX_SHARDS).contains(&config.shards) {
            return Err(ConfigError::Value {
                key: "shards",
                message: format!("{} is not between 1 and {MAX_SHARDS}", config.shards),
            });
        }
        if config.bind.parse::<std::net::IpAddr>().is_err() {
            return Err(ConfigError::Value {
                key: "bind",
                message: format!("'{}' is not an IP address", config.bind),
            });
        }
        Ok(config)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load_yaml(yaml: &str) -> Result<Config, ConfigError> {
        let path = std::env::temp_dir().join(format!(
            "shardis-config-{}-{}.yaml",
            std::process::id(),
            yaml.len()
        ));
        std::fs::write(&path, yaml).expect("temp file");
        let result = Config::load(Flags {
            config: Some(path.clone()),
            bind: None,
            port: None,
            shards: None,
        });
        let _ = std::fs::remove_file(path);
        result
    }

    #[test]
    fn defaults_without_file() {
        let config = Config::load(Flags {
            config: None,
            bind: None,
            port: None,
            shards: None,
        })
        .expect("defaults");
        assert_eq!(config.bind, "127.0.0.1");
        assert_eq!(config.port, 6379);
        assert!(config.shards >= 1);
    }

    #[test]
    fn unknown_key_is_named() {
        let err = load_yaml("port: 7000\nbogus-key: 1\n").expect_err("unknown key");
        assert!(err.to_string().contains("bogus-key"), "{err}");
    }

    #[test]
    fn bad_value_is_named() {
        let err = load_yaml("port: notaport\n").expect_err("bad port");
        assert!(err.to_string().contains("port"), "{err}");
        let err = load_yaml("shards: 0\n").expect_err("zero shards");
        assert!(err.to_string().contains("shards"), "{err}");
    }

    #[test]
    fn flags_override_file() {
        let path =
            std::env::temp_dir().join(format!("shardis-override-{}.yaml", std::process::id()));
        std::fs::write(&path, "port: 7001\nshards: 3\n").expect("temp file");
        let config = Config::load(Flags {
            config: Some(path.clone()),
            bind: None,
            port: Some(7002),
            shards: None,
        })
        .expect("load");
        let _ = std::fs::remove_file(path);
        assert_eq!(config.port, 7002);
        assert_eq!(config.shards, 3);
    }
}
