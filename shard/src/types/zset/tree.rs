//! An order-statistic B+tree over `(score, member)` keys for large sorted sets.
//!
//! Leaves hold up to [`LEAF_CAP`] entries as two inline arrays (scores and 32-bit ids into
//! the sorted set's arena of members), so a leaf is one allocation and a rank lookup touches
//! one cache line of scores per step of its binary search; members are read from the arena
//! only when scores tie. Inner nodes keep, per child, the number of entries below it (rank
//! and select in O(log n)) and, between children, a separator key that is a lower bound of
//! the child to its right (a copy of a member: inner nodes are ~1/45 of the entries).

use super::{member_of, Arena, Member};
use std::cmp::Ordering;

pub(crate) const LEAF_CAP: usize = 64;
const INNER_CAP: usize = 64;
const LEAF_MIN: usize = LEAF_CAP / 3;
const INNER_MIN: usize = INNER_CAP / 3;

/// Redis's order of sorted-set elements: by score, then by member bytes.
#[inline]
pub(crate) fn key_cmp(s1: f64, m1: &[u8], s2: f64, m2: &[u8]) -> Ordering {
    if s1 < s2 {
        Ordering::Less
    } else if s1 > s2 {
        Ordering::Greater
    } else {
        m1.cmp(m2)
    }
}

/// A monotone predicate over the order: true for a prefix of the entries. Counting the
/// entries it holds for gives ranks and the edges of score and lex ranges.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Probe<'a> {
    /// Entries ordered strictly before `(score, member)`.
    Key(f64, &'a [u8]),
    /// Entries with a score below `score` (or equal to it, with `or_equal`).
    Score { score: f64, or_equal: bool },
    /// Entries whose member sorts below `member` (or equal, with `or_equal`).
    Lex { member: &'a [u8], or_equal: bool },
}

impl Probe<'_> {
    #[inline]
    pub(crate) fn before<'m>(&self, s: f64, m: impl FnOnce() -> &'m [u8]) -> bool {
        match *self {
            Probe::Key(score, member) => key_cmp(s, m(), score, member) == Ordering::Less,
            Probe::Score { score, or_equal } => s < score || (or_equal && s == score),
            Probe::Lex { member, or_equal } => match m().cmp(member) {
                Ordering::Less => true,
                Ordering::Equal => or_equal,
                Ordering::Greater => false,
            },
        }
    }
}

#[derive(Clone, Debug)]
struct Leaf {
    len: usize,
    scores: [f64; LEAF_CAP],
    ids: [u32; LEAF_CAP],
}

impl Leaf {
    fn boxed() -> Box<Leaf> {
        Box::new(Leaf {
            len: 0,
            scores: [0.0; LEAF_CAP],
            ids: [0; LEAF_CAP],
        })
    }

    /// How many entries the probe holds for (binary search).
    fn position(&self, probe: &Probe<'_>, slots: &Arena) -> usize {
        let (mut lo, mut hi) = (0, self.len);
        while lo < hi {
            let mid = (lo + hi) / 2;
            if probe.before(self.scores[mid], || member_of(slots, self.ids[mid])) {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        lo
    }

    fn insert_at(&mut self, pos: usize, score: f64, id: u32) {
        debug_assert!(self.len < LEAF_CAP && pos <= self.len);
        self.scores.copy_within(pos..self.len, pos + 1);
        self.ids.copy_within(pos..self.len, pos + 1);
        self.scores[pos] = score;
        self.ids[pos] = id;
        self.len += 1;
    }

    fn remove_at(&mut self, pos: usize) -> u32 {
        let id = self.ids[pos];
        self.scores.copy_within(pos + 1..self.len, pos);
        self.ids.copy_within(pos + 1..self.len, pos);
        self.len -= 1;
        id
    }

    /// Moves entries `from..` into a new leaf.
    fn split_off(&mut self, from: usize) -> Box<Leaf> {
        let mut right = Leaf::boxed();
        let n = self.len - from;
        right.scores[..n].copy_from_slice(&self.scores[from..self.len]);
        right.ids[..n].copy_from_slice(&self.ids[from..self.len]);
        right.len = n;
        self.len = from;
        right
    }

    fn first_key(&self, slots: &Arena) -> (f64, Member) {
        (self.scores[0], Member::new(member_of(slots, self.ids[0])))
    }
}

#[derive(Clone, Debug)]
struct Inner {
    /// `seps[i]` is a lower bound of every key under `children[i + 1]` and above every key
    /// under `children[i]`.
    seps: Vec<(f64, Member)>,
    counts: Vec<usize>,
    children: Vec<Node>,
}

impl Inner {
    /// The child to descend into for the probe, and the entries in the children before it.
    fn route(&self, probe: &Probe<'_>) -> (usize, usize) {
        let i = self
            .seps
            .partition_point(|(s, m)| probe.before(*s, || m.as_bytes()));
        (i, self.counts[..i].iter().sum())
    }

    /// The child that holds (or would hold) exactly this key: keys equal to a separator
    /// live to its right.
    fn route_key(&self, score: f64, member: &[u8]) -> usize {
        self.seps
            .partition_point(|(s, m)| key_cmp(*s, m.as_bytes(), score, member) != Ordering::Greater)
    }

    fn split_off(&mut self, at: usize) -> ((f64, Member), Inner) {
        let children = self.children.split_off(at);
        let counts = self.counts.split_off(at);
        let seps = self.seps.split_off(at);
        let sep = self.seps.pop().unwrap_or((0.0, Member::new(b"")));
        (
            sep,
            Inner {
                seps,
                counts,
                children,
            },
        )
    }
}

#[derive(Clone, Debug)]
enum Node {
    Leaf(Box<Leaf>),
    Inner(Box<Inner>),
}

impl Node {
    fn count(&self) -> usize {
        match self {
            Node::Leaf(l) => l.len,
            Node::Inner(n) => n.counts.iter().sum(),
        }
    }

    fn underfull(&self) -> bool {
        match self {
            Node::Leaf(l) => l.len < LEAF_MIN,
            Node::Inner(n) => n.children.len() < INNER_MIN,
        }
    }
}

/// Node counts, for heap accounting.
#[derive(Clone, Debug, Default)]
struct Census {
    leaves: usize,
    inners: usize,
}

#[derive(Clone, Debug)]
pub(crate) struct Tree {
    root: Node,
    len: usize,
    census: Census,
}

impl Default for Tree {
    fn default() -> Self {
        Tree {
            root: Node::Leaf(Leaf::boxed()),
            len: 0,
            census: Census {
                leaves: 1,
                inners: 0,
            },
        }
    }
}

impl Tree {
    pub(crate) fn len(&self) -> usize {
        self.len
    }

    /// Heap bytes of the nodes (separator members excluded: a small fraction).
    pub(crate) fn heap_size(&self) -> usize {
        self.census.leaves * std::mem::size_of::<Leaf>()
            + self.census.inners
                * (std::mem::size_of::<Inner>()
                    + INNER_CAP
                        * (std::mem::size_of::<(f64, Member)>()
                            + std::mem::size_of::<usize>()
                            + std::mem::size_of::<Node>()))
    }

    /// How many entries the probe holds for: a rank, or the edge of a range.
    pub(crate) fn position(&self, probe: &Probe<'_>, slots: &Arena) -> usize {
        let mut node = &self.root;
        let mut before = 0;
        loop {
            match node {
                Node::Leaf(l) => return before + l.position(probe, slots),
                Node::Inner(n) => {
                    let (i, skipped) = n.route(probe);
                    before += skipped;
                    node = &n.children[i];
                }
            }
        }
    }

    /// The entry at `rank` (0-based, ascending): (score, id).
    pub(crate) fn select(&self, mut rank: usize) -> Option<(f64, u32)> {
        if rank >= self.len {
            return None;
        }
        let mut node = &self.root;
        loop {
            match node {
                Node::Leaf(l) => {
                    return (rank < l.len).then(|| (l.scores[rank], l.ids[rank]));
                }
                Node::Inner(n) => {
                    let mut i = 0;
                    while i + 1 < n.counts.len() && rank >= n.counts[i] {
                        rank -= n.counts[i];
                        i += 1;
                    }
                    node = &n.children[i];
                }
            }
        }
    }

    /// Calls `f(score, id)` for entries from ascending rank `from` on, upwards (or downwards
    /// with `rev`), until it returns false.
    pub(crate) fn visit(&self, from: usize, rev: bool, f: &mut dyn FnMut(f64, u32) -> bool) {
        if from >= self.len {
            return;
        }
        if rev {
            visit_rev(&self.root, from, f);
        } else {
            visit_fwd(&self.root, from, f);
        }
    }

    /// Inserts a key known to be absent; its member must already be in `slots[id]`.
    pub(crate) fn insert(&mut self, score: f64, member: &[u8], id: u32, slots: &Arena) {
        let probe = Probe::Key(score, member);
        if let Some((sep, right)) = insert_rec(
            &mut self.root,
            &probe,
            score,
            member,
            id,
            slots,
            &mut self.census,
        ) {
            let left = std::mem::replace(&mut self.root, Node::Leaf(Leaf::boxed()));
            let counts = vec![left.count(), right.count()];
            self.root = Node::Inner(Box::new(Inner {
                seps: vec![sep],
                counts,
                children: vec![left, right],
            }));
            self.census.inners += 1;
        }
        self.len += 1;
    }

    /// Removes the entry with this key; returns its id.
    pub(crate) fn remove(&mut self, score: f64, member: &[u8], slots: &Arena) -> Option<u32> {
        let probe = Probe::Key(score, member);
        let id = remove_rec(
            &mut self.root,
            &probe,
            score,
            member,
            slots,
            &mut self.census,
        )?;
        self.len -= 1;
        loop {
            let only_child = match &mut self.root {
                Node::Inner(n) if n.children.len() == 1 => n.children.pop(),
                _ => None,
            };
            match only_child {
                Some(child) => {
                    self.root = child;
                    self.census.inners -= 1;
                }
                None => break,
            }
        }
        Some(id)
    }
}

fn visit_fwd(node: &Node, mut skip: usize, f: &mut dyn FnMut(f64, u32) -> bool) -> bool {
    match node {
        Node::Leaf(l) => {
            for j in skip..l.len {
                if !f(l.scores[j], l.ids[j]) {
                    return false;
                }
            }
            true
        }
        Node::Inner(n) => {
            for (child, &count) in n.children.iter().zip(&n.counts) {
                if skip >= count {
                    skip -= count;
                    continue;
                }
                if !visit_fwd(child, skip, f) {
                    return false;
                }
                skip = 0;
            }
            true
        }
    }
}

/// Visits entries at ascending ranks `from`, `from - 1`, ... 0 of this subtree.
fn visit_rev(node: &Node, from: usize, f: &mut dyn FnMut(f64, u32) -> bool) -> bool {
    match node {
        Node::Leaf(l) => {
            if l.len == 0 {
                return true;
            }
            for j in (0..=from.min(l.len - 1)).rev() {
                if !f(l.scores[j], l.ids[j]) {
                    return false;
                }
            }
            true
        }
        Node::Inner(n) => {
            // Find the child holding `from`.
            let mut rest = from;
            let mut i = 0;
            while i + 1 < n.counts.len() && rest >= n.counts[i] {
                rest -= n.counts[i];
                i += 1;
            }
            if !visit_rev(&n.children[i], rest, f) {
                return false;
            }
            for j in (0..i).rev() {
                let count = n.counts[j];
                if count > 0 && !visit_rev(&n.children[j], count - 1, f) {
                    return false;
                }
            }
            true
        }
    }
}

type Split = ((f64, Member), Node);

fn insert_rec(
    node: &mut Node,
    probe: &Probe<'_>,
    score: f64,
    key_member: &[u8],
    id: u32,
    slots: &Arena,
    census: &mut Census,
) -> Option<Split> {
    match node {
        Node::Leaf(leaf) => {
            let pos = leaf.position(probe, slots);
            if leaf.len < LEAF_CAP {
                leaf.insert_at(pos, score, id);
                return None;
            }
            // Full: split. Appends (and prepends) leave the old leaf full, so keys added in
            // order pack leaves densely.
            let right = if pos == LEAF_CAP {
                let mut r = Leaf::boxed();
                r.insert_at(0, score, id);
                r
            } else if pos == 0 {
                let r = leaf.split_off(0);
                leaf.insert_at(0, score, id);
                r
            } else {
                let mid = LEAF_CAP / 2;
                let mut r = leaf.split_off(mid);
                if pos <= mid {
                    leaf.insert_at(pos, score, id);
                } else {
                    r.insert_at(pos - mid, score, id);
                }
                r
            };
            census.leaves += 1;
            let sep = right.first_key(slots);
            Some((sep, Node::Leaf(right)))
        }
        Node::Inner(inner) => {
            let i = inner.route_key(score, key_member);
            inner.counts[i] += 1;
            let (sep, right) = insert_rec(
                &mut inner.children[i],
                probe,
                score,
                key_member,
                id,
                slots,
                census,
            )?;
            inner.counts[i] = inner.children[i].count();
            inner.seps.insert(i, sep);
            inner.counts.insert(i + 1, right.count());
            inner.children.insert(i + 1, right);
            if inner.children.len() <= INNER_CAP {
                return None;
            }
            let at = if i + 2 == inner.children.len() {
                INNER_CAP
            } else {
                inner.children.len() / 2
            };
            let (sep, right) = inner.split_off(at);
            census.inners += 1;
            Some((sep, Node::Inner(Box::new(right))))
        }
    }
}

fn remove_rec(
    node: &mut Node,
    probe: &Probe<'_>,
    score: f64,
    member: &[u8],
    slots: &Arena,
    census: &mut Census,
) -> Option<u32> {
    match node {
        Node::Leaf(leaf) => {
            let pos = leaf.position(probe, slots);
            if pos < leaf.len
                && leaf.scores[pos] == score
                && member_of(slots, leaf.ids[pos]) == member
            {
                Some(leaf.remove_at(pos))
            } else {
                None
            }
        }
        Node::Inner(inner) => {
            let i = inner.route_key(score, member);
            let id = remove_rec(&mut inner.children[i], probe, score, member, slots, census)?;
            inner.counts[i] -= 1;
            if inner.children[i].underfull() && inner.children.len() > 1 {
                rebalance(inner, i, slots, census);
            }
            Some(id)
        }
    }
}

/// Child `i` is under-full: merge it with a neighbour, or share the neighbour's entries.
fn rebalance(inner: &mut Inner, i: usize, slots: &Arena, census: &mut Census) {
    let a = if i + 1 < inner.children.len() {
        i
    } else {
        i - 1
    };
    let b = a + 1;
    let mut merged_inner = false;
    let (left_part, right_part) = inner.children.split_at_mut(b);
    let (Some(left), Some(right)) = (left_part.last_mut(), right_part.first_mut()) else {
        return;
    };
    match (left, right) {
        (Node::Leaf(l), Node::Leaf(r)) => {
            let total = l.len + r.len;
            if total <= LEAF_CAP {
                let n = r.len;
                l.scores[l.len..total].copy_from_slice(&r.scores[..n]);
                l.ids[l.len..total].copy_from_slice(&r.ids[..n]);
                l.len = total;
                inner.children.remove(b);
                inner.seps.remove(a);
                inner.counts.remove(b);
                inner.counts[a] = total;
                census.leaves -= 1;
                return;
            }
            let want_left = total / 2;
            if l.len < want_left {
                let k = want_left - l.len;
                l.scores[l.len..want_left].copy_from_slice(&r.scores[..k]);
                l.ids[l.len..want_left].copy_from_slice(&r.ids[..k]);
                l.len = want_left;
                r.scores.copy_within(k..r.len, 0);
                r.ids.copy_within(k..r.len, 0);
                r.len -= k;
            } else {
                let k = l.len - want_left;
                r.scores.copy_within(0..r.len, k);
                r.ids.copy_within(0..r.len, k);
                r.scores[..k].copy_from_slice(&l.scores[want_left..l.len]);
                r.ids[..k].copy_from_slice(&l.ids[want_left..l.len]);
                r.len += k;
                l.len = want_left;
            }
            inner.counts[a] = l.len;
            inner.counts[b] = r.len;
            inner.seps[a] = r.first_key(slots);
        }
        (Node::Inner(l), Node::Inner(r)) => {
            let sep = inner.seps.remove(a);
            l.seps.push(sep);
            l.seps.append(&mut r.seps);
            l.counts.append(&mut r.counts);
            l.children.append(&mut r.children);
            merged_inner = true;
        }
        // Siblings are always at the same depth.
        _ => {}
    }
    if !merged_inner {
        return;
    }
    inner.children.remove(b);
    inner.counts.remove(b);
    census.inners -= 1;
    let split = match inner.children.get_mut(a) {
        Some(Node::Inner(l)) if l.children.len() > INNER_CAP => {
            let at = l.children.len() / 2;
            Some(l.split_off(at))
        }
        _ => None,
    };
    if let Some((sep, right)) = split {
        census.inners += 1;
        let right = Node::Inner(Box::new(right));
        inner.seps.insert(a, sep);
        inner.counts.insert(b, right.count());
        inner.children.insert(b, right);
    }
    inner.counts[a] = inner.children[a].count();
}

#[cfg(test)]
mod tests {
    use super::*;

    fn slots_for(n: u32) -> Arena {
        let mut arena = Arena::default();
        for i in 0..n {
            arena.push(super::super::Slot {
                score: f64::from(i % 97),
                member: Member::new(format!("m{i}").as_bytes()),
            });
        }
        arena
    }

    fn check(node: &Node, slots: &Arena, lo: Option<(f64, &[u8])>) -> usize {
        match node {
            Node::Leaf(l) => {
                for j in 0..l.len {
                    let m = member_of(slots, l.ids[j]);
                    if let Some((s, lm)) = lo {
                        assert!(key_cmp(l.scores[j], m, s, lm) != Ordering::Less);
                    }
                    if j > 0 {
                        let pm = member_of(slots, l.ids[j - 1]);
                        assert_eq!(key_cmp(l.scores[j - 1], pm, l.scores[j], m), Ordering::Less);
                    }
                }
                l.len
            }
            Node::Inner(n) => {
                assert_eq!(n.seps.len() + 1, n.children.len());
                assert_eq!(n.counts.len(), n.children.len());
                let mut total = 0;
                for (i, child) in n.children.iter().enumerate() {
                    let bound = if i == 0 {
                        lo
                    } else {
                        let (s, m) = &n.seps[i - 1];
                        Some((*s, m.as_bytes()))
                    };
                    let c = check(child, slots, bound);
                    assert_eq!(c, n.counts[i]);
                    total += c;
                }
                total
            }
        }
    }

    #[test]
    fn insert_remove_keeps_invariants() {
        let n = 5000u32;
        let slots = slots_for(n);
        let mut tree = Tree::default();
        let mut order: Vec<u32> = (0..n).collect();
        // A fixed pseudo-random permutation.
        let mut x = 88172645463325252u64;
        for i in (1..order.len()).rev() {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            order.swap(i, (x % (i as u64 + 1)) as usize);
        }
        for &id in &order {
            let Some(s) = slots.get(id) else { continue };
            tree.insert(s.score, s.member.as_bytes(), id, &slots);
        }
        assert_eq!(check(&tree.root, &slots, None), n as usize);
        for &id in order.iter().take(4000) {
            let Some(s) = slots.get(id) else { continue };
            assert_eq!(tree.remove(s.score, s.member.as_bytes(), &slots), Some(id));
            assert_eq!(tree.remove(s.score, s.member.as_bytes(), &slots), None);
        }
        assert_eq!(check(&tree.root, &slots, None), 1000);
        assert_eq!(tree.len(), 1000);
        let mut seen = Vec::new();
        tree.visit(0, false, &mut |s, id| {
            seen.push((s, id));
            true
        });
        assert_eq!(seen.len(), 1000);
        for (rank, &(s, id)) in seen.iter().enumerate() {
            assert_eq!(tree.select(rank), Some((s, id)));
            let m = member_of(&slots, id);
            assert_eq!(tree.position(&Probe::Key(s, m), &slots), rank);
        }
        let mut back = Vec::new();
        tree.visit(999, true, &mut |s, id| {
            back.push((s, id));
            true
        });
        back.reverse();
        assert_eq!(back, seen);
    }
}
