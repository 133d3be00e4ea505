//! Which keys of this shard running transactions hold.
//!
//! A transaction holds only the keys it touches (or the whole shard, for FLUSHALL and
//! friends), so transactions on different keys run side by side and plain commands on
//! other keys never wait. Requests are granted in arrival order: one that conflicts with an
//! earlier waiting request waits behind it, so nobody starves. Keys are locked by name in
//! every database at once — coarser than needed, never wrong.

use crate::message::TxId;
use std::collections::{HashMap, VecDeque};

/// What a transaction holds on one shard.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LockSet {
    Whole,
    Keys(Vec<Box<[u8]>>),
}

impl LockSet {
    fn conflicts(&self, other: &LockSet) -> bool {
        match (self, other) {
            (LockSet::Whole, _) | (_, LockSet::Whole) => true,
            (LockSet::Keys(a), LockSet::Keys(b)) => a.iter().any(|k| b.contains(k)),
        }
    }
}

#[derive(Default)]
pub struct LockTable {
    held: HashMap<TxId, LockSet>,
    /// Key -> the transaction holding it.
    keys: HashMap<Box<[u8]>, TxId>,
    /// The transaction holding the whole shard.
    whole: Option<TxId>,
    waiting: VecDeque<(TxId, LockSet)>,
}

impl LockTable {
    /// Whether nothing is held (the fast path: plain commands skip every check).
    #[inline]
    pub fn is_idle(&self) -> bool {
        self.held.is_empty()
    }

    /// Whether a plain command on `key` must wait.
    pub fn blocks(&self, key: &[u8]) -> bool {
        self.whole.is_some() || self.keys.contains_key(key)
    }

    fn grantable(&self, set: &LockSet) -> bool {
        match set {
            LockSet::Whole => self.held.is_empty(),
            LockSet::Keys(keys) => {
                self.whole.is_none() && keys.iter().all(|k| !self.keys.contains_key(k))
            }
        }
    }

    fn grant(&mut self, tx: TxId, set: LockSet) {
        match &set {
            LockSet::Whole => self.whole = Some(tx),
            LockSet::Keys(keys) => {
                for key in keys {
                    self.keys.insert(key.clone(), tx);
                }
            }
        }
        self.held.insert(tx, set);
    }

    /// Ask for `set`; true if granted now, else it waits its turn.
    pub fn request(&mut self, tx: TxId, set: LockSet) -> bool {
        let behind_conflict = self.waiting.iter().any(|(_, w)| w.conflicts(&set));
        if !behind_conflict && self.grantable(&set) {
            self.grant(tx, set);
            true
        } else {
            self.waiting.push_back((tx, set));
            false
        }
    }

    /// Let go of what `tx` holds; returns the transactions granted as a result, in order.
    pub fn release(&mut self, tx: TxId) -> Vec<TxId> {
        match self.held.remove(&tx) {
            Some(LockSet::Whole) => self.whole = None,
            Some(LockSet::Keys(keys)) => {
                for key in keys {
                    self.keys.remove(&key);
                }
            }
            None => return Vec::new(),
        }
        let mut granted = Vec::new();
        let mut still_waiting: VecDeque<(TxId, LockSet)> = VecDeque::new();
        while let Some((waiter, set)) = self.waiting.pop_front() {
            let behind_conflict = still_waiting.iter().any(|(_, w)| w.conflicts(&set));
            if !behind_conflict && self.grantable(&set) {
                self.grant(waiter, set);
                granted.push(waiter);
            } else {
                still_waiting.push_back((waiter, set));
            }
        }
        self.waiting = still_waiting;
        granted
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tx(serial: u32) -> TxId {
        TxId { origin: 0, serial }
    }

    fn keys(names: &[&str]) -> LockSet {
        LockSet::Keys(names.iter().map(|n| n.as_bytes().into()).collect())
    }

    #[test]
    fn disjoint_keys_run_side_by_side() {
        let mut table = LockTable::default();
        assert!(table.request(tx(1), keys(&["a", "b"])));
        assert!(table.request(tx(2), keys(&["c"])));
        assert!(table.blocks(b"a") && table.blocks(b"c") && !table.blocks(b"d"));
        assert!(!table.request(tx(3), keys(&["b", "d"])));
        // tx 4 conflicts with waiting tx 3 on "d": it queues behind it.
        assert!(!table.request(tx(4), keys(&["d"])));
        assert_eq!(table.release(tx(2)), vec![]);
        assert_eq!(table.release(tx(1)), vec![tx(3)]);
        assert_eq!(table.release(tx(3)), vec![tx(4)]);
        assert_eq!(table.release(tx(4)), vec![]);
        assert!(table.is_idle());
    }

    #[test]
    fn whole_shard_waits_for_everything() {
        let mut table = LockTable::default();
        assert!(table.request(tx(1), keys(&["a"])));
        assert!(!table.request(tx(2), LockSet::Whole));
        assert!(!table.request(tx(3), keys(&["z"])));
        assert_eq!(table.release(tx(1)), vec![tx(2)]);
        assert!(table.blocks(b"anything"));
        assert_eq!(table.release(tx(2)), vec![tx(3)]);
    }
}
