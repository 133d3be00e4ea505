//! Configuration parameters: their values, defaults and parsing.

/// Settings commands can read (CONFIG GET, INFO). Owned by the server's config.
#[derive(Debug, Clone)]
pub struct Settings {
    pub bind: String,
    pub port: u16,
    pub shards: usize,
    pub config_file: String,
    pub maxclients: u64,
    /// Compact-encoding thresholds, as Redis's config keys of the same names.
    pub hash_max_listpack_entries: usize,
    pub hash_max_listpack_value: usize,
    pub set_max_intset_entries: usize,
    pub set_max_listpack_entries: usize,
    pub set_max_listpack_value: usize,
    pub zset_max_listpack_entries: usize,
    pub zset_max_listpack_value: usize,
    /// Positive: entries per list node; negative: node size limit -1..-5 = 4..64 KiB.
    pub list_max_listpack_size: i64,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            bind: "127.0.0.1".into(),
            port: 6379,
            shards: 1,
            config_file: String::new(),
            maxclients: 10000,
            hash_max_listpack_entries: 512,
            hash_max_listpack_value: 64,
            set_max_intset_entries: 512,
            set_max_listpack_entries: 128,
            set_max_listpack_value: 64,
            zset_max_listpack_entries: 128,
            zset_max_listpack_value: 64,
            list_max_listpack_size: -2,
        }
    }
}

