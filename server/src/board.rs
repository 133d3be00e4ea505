//! Where shards publish their figures for the Prometheus endpoint. Each shard owns one
//! slot, replaces its contents a few times a second, and the metrics thread reads every
//! slot when scraped: a lock per slot taken by two parties a few times a second is
//! never contended on the data path.

use crate::metrics::{CommandFigures, DbFigures, MetricsInput, ShardFigures};
use shard::families::server::InfoData;
use std::sync::{Arc, Mutex};

/// One shard's published figures.
pub struct Published {
    /// As INFO sees this shard (its `used_memory` is the shard thread's allocation balance).
    pub info: InfoData,
    /// Messages waiting in the shard's incoming rings.
    pub ring_depth: u64,
}

pub type Board = Arc<Vec<Mutex<Option<Published>>>>;

pub fn new_board(shards: usize) -> Board {
    Arc::new((0..shards).map(|_| Mutex::new(None)).collect())
}

/// Everything the endpoint exports, from what the shards last published.
pub fn metrics_input(board: &Board) -> MetricsInput {
    let mut total: Option<InfoData> = None;
    let mut shards = Vec::with_capacity(board.len());
    for (id, slot) in board.iter().enumerate() {
        let Ok(slot) = slot.lock() else { continue };
        let Some(published) = slot.as_ref() else {
            continue;
        };
        let info = &published.info;
        shards.push(ShardFigures {
            shard: id,
            keys: info.keyspace.iter().map(|(keys, _)| keys).sum(),
            commands_processed: info.stats.commands_processed,
            instantaneous_ops_per_sec: info.stats.instantaneous_ops_per_sec,
            memory_used_bytes: info.used_memory,
            connected_clients: info.stats.connected_clients,
            ring_queue_depth: published.ring_depth,
        });
        match total.as_mut() {
            None => total = Some(info.clone()),
            Some(total) => total.merge(info),
        }
    }
    let total = total.unwrap_or_default();
    let memory = crate::memory::ProcessMemory::now();
    let s = &total.stats;
    MetricsInput {
        uptime_seconds: total.now_ms.saturating_sub(total.started_ms) / 1000,
        start_time_seconds: total.started_ms / 1000,
        commands_processed: s.commands_processed,
        instantaneous_ops_per_sec: s.instantaneous_ops_per_sec,
        keyspace_hits: s.keyspace_hits,
        keyspace_misses: s.keyspace_misses,
        expired_keys: s.expired_keys,
        evicted_keys: s.evicted_keys,
        memory_used_bytes: memory.used,
        memory_rss_bytes: memory.rss,
        memory_max_bytes: total.maxmemory,
        connected_clients: s.connected_clients,
        blocked_clients: s.blocked_clients,
        maxclients: total.maxclients,
        connections_received: s.connections_received,
        rejected_connections: s.rejected_connections,
        net_input_bytes: s.net_input_bytes,
        net_output_bytes: s.net_output_bytes,
        total_error_replies: total.errors.total_error_replies(),
        instantaneous_input_kbps: s.instantaneous_input_bytes_per_sec as f64 / 1024.0,
        instantaneous_output_kbps: s.instantaneous_output_bytes_per_sec as f64 / 1024.0,
        mem_fragmentation_ratio: if memory.used == 0 {
            0.0
        } else {
            memory.rss as f64 / memory.used as f64
        },
        cpu_seconds: shard::families::server::process_cpu_seconds(),
        cpu_main_thread_seconds: total.shard_cpu_seconds,
        dbs: total
            .keyspace
            .iter()
            .enumerate()
            .filter(|(_, (keys, _))| *keys > 0)
            .map(|(db, &(keys, expiring))| DbFigures { db, keys, expiring })
            .collect(),
        commands: total
            .commands
            .iter()
            .map(|(spec, stat)| CommandFigures {
                name: spec.name.to_string(),
                calls: stat.calls,
                usec: stat.usec(),
                rejected_calls: stat.rejected_calls,
                failed_calls: stat.failed_calls,
                latency_buckets: stat
                    .latency
                    .as_ref()
                    .map(|h| h.power_of_two_buckets())
                    .unwrap_or_default(),
            })
            .collect(),
        errors: total
            .errors
            .iter()
            .map(|(code, count)| (String::from_utf8_lossy(code).into_owned(), count))
            .collect(),
        shards,
    }
}
