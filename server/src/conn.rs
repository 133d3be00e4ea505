//! A client connection: its input buffer, its reply stream (in request order, whatever shard
//! answers), and its state as commands see it.

use shard::Client;
use std::collections::VecDeque;

/// Initial read buffer; grows for big values or deep pipelines, shrinks back when idle.
pub const READ_CHUNK: usize = 16 * 1024;
/// Redis's client-query-buffer-limit default: a client can't make us buffer more input.
pub const QUERY_BUFFER_LIMIT: usize = 1024 * 1024 * 1024;
/// Stop reading from a client while this much output waits for it (it isn't reading).
pub const OUTPUT_PAUSE: usize = 16 * 1024 * 1024;

/// A reply not yet in order.
enum Pending {
    /// Another shard (or a transaction) will answer.
    Waiting,
    Ready(Vec<u8>),
}

/// Replies in request order. While nothing is outstanding, replies go straight to `out`;
/// once a reply must come from elsewhere, later replies queue behind it.
#[derive(Default)]
pub struct ReplyQueue {
    /// In order, ready to send.
    pub out: Vec<u8>,
    pending: VecDeque<Pending>,
    /// Sequence number of `pending[0]`.
    base_seq: u64,
}

impl ReplyQueue {
    /// Where the next locally produced reply goes.
    pub fn local(&mut self) -> &mut Vec<u8> {
        if self.pending.is_empty() {
            return &mut self.out;
        }
        if !matches!(self.pending.back(), Some(Pending::Ready(_))) {
            self.pending.push_back(Pending::Ready(Vec::new()));
        }
        match self.pending.back_mut() {
            Some(Pending::Ready(buf)) => buf,
            _ => unreachable!("a ready entry was just pushed"),
        }
    }

    /// Reserve the place of a reply that will arrive later; returns its sequence number.
    pub fn reserve(&mut self) -> u64 {
        self.pending.push_back(Pending::Waiting);
        self.base_seq + self.pending.len() as u64 - 1
    }

    /// Fill a reserved place, then move every reply now in order to `out`.
    pub fn fill(&mut self, seq: u64, reply: &[u8]) {
        let Some(index) = seq.checked_sub(self.base_seq) else {
            return;
        };
        if index == 0 && matches!(self.pending.front(), Some(Pending::Waiting)) {
            // In order (the common case): straight to the output, no copy kept aside.
            self.out.extend_from_slice(reply);
            self.pending.pop_front();
            self.base_seq += 1;
        } else if let Some(slot) = self.pending.get_mut(index as usize) {
            *slot = Pending::Ready(reply.to_vec());
        }
        while let Some(Pending::Ready(_)) = self.pending.front() {
            if let Some(Pending::Ready(buf)) = self.pending.pop_front() {
                if self.out.is_empty() {
                    self.out = buf;
                } else {
                    self.out.extend_from_slice(&buf);
                }
            }
            self.base_seq += 1;
        }
    }

    pub fn has_waiting(&self) -> bool {
        !self.pending.is_empty()
    }

    /// Bytes queued but not yet handed to the kernel.
    pub fn queued_bytes(&self) -> usize {
        self.out.len()
            + self
                .pending
                .iter()
                .map(|p| match p {
                    Pending::Ready(b) => b.len(),
                    Pending::Waiting => 0,
                })
                .sum::<usize>()
    }
}

/// Where a blocked connection waits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BlockedAt {
    /// In this shard's registry, under this id.
    Here(u64),
    /// On another shard (its command was forwarded there).
    Shard(usize),
    /// On keys of several shards, watched for it by this shard under this id.
    Watching(u64),
}

pub struct Conn {
    pub fd: libc::c_int,
    pub generation: u32,
    pub client: Client,
    /// Received bytes; `read_pos..` not parsed yet.
    pub rbuf: Vec<u8>,
    pub read_pos: usize,
    /// Don't try parsing again before the buffer holds this many bytes (from `read_pos`).
    pub need: usize,
    pub replies: ReplyQueue,
    /// Bytes the kernel is sending (owned here while the send is in flight).
    pub sending: Vec<u8>,
    pub sent: usize,
    /// A multishot receive is active.
    pub recv_armed: bool,
    /// Its cancellation (back-pressure) was requested.
    pub recv_cancelling: bool,
    pub send_armed: bool,
    /// Input waits until the reply with this sequence number arrives: a transaction this
    /// connection started, or a blocking command (Redis runs nothing else for a blocked
    /// client).
    pub waiting_for: Option<u64>,
    /// Where this connection is blocked (BLPOP...), so a disconnect can unblock it.
    pub blocked_at: Option<BlockedAt>,
    /// The peer closed or a fatal error happened: close once in-flight I/O completes.
    pub closing: bool,
    /// Waiting in the shard's stalled list (the shard is held by a transaction).
    pub stalled: bool,
}

impl Conn {
    pub fn new(fd: libc::c_int, generation: u32, client: Client) -> Self {
        Conn {
            fd,
            generation,
            client,
            rbuf: Vec::with_capacity(READ_CHUNK),
            read_pos: 0,
            need: 0,
            replies: ReplyQueue::default(),
            sending: Vec::new(),
            sent: 0,
            recv_armed: false,
            recv_cancelling: false,
            send_armed: false,
            waiting_for: None,
            blocked_at: None,
            closing: false,
            stalled: false,
        }
    }

    /// Whether reading more input should wait (the client isn't reading its replies).
    pub fn output_backlogged(&self) -> bool {
        self.replies.queued_bytes() + self.sending.len() - self.sent > OUTPUT_PAUSE
    }

    /// Whether the connection can be freed: closing and no kernel operation holds its buffers.
    pub fn can_free(&self) -> bool {
        // A reply still on its way (transaction, forwarded command) is dropped on arrival:
        // deliveries check the connection's generation.
        self.closing && !self.recv_armed && !self.send_armed
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replies_keep_request_order() {
        let mut q = ReplyQueue::default();
        q.local().extend_from_slice(b"a");
        let s1 = q.reserve();
        q.local().extend_from_slice(b"c");
        let s2 = q.reserve();
        q.local().extend_from_slice(b"e");
        assert_eq!(q.out, b"a");
        q.fill(s2, b"d");
        assert_eq!(q.out, b"a");
        q.fill(s1, b"b");
        assert_eq!(q.out, b"abcde");
        assert!(!q.has_waiting());
        q.local().extend_from_slice(b"f");
        assert_eq!(q.out, b"abcdef");
    }
}
