//! The cross-shard mesh: one rtrb SPSC ring per ordered pair of shards for requests and one
//! for replies, plus the wake-up protocol.
//!
//! Wake-up: a consumer about to sleep stores `sleeping = true`, re-checks its rings, and only
//! then waits on its eventfd (armed as a read in its own io_uring). A producer pushes a whole
//! batch, fences, and writes the eventfd only if it wins `sleeping.swap(false)`, so a busy
//! consumer costs its producers no syscalls at all.

use crate::message::{Request, Response};
use rtrb::{Consumer, Producer, RingBuffer};
use std::collections::VecDeque;
use std::sync::atomic::{fence, AtomicBool, Ordering};
use std::sync::Arc;

/// Slots per ring. Messages carry whole batches, so this bounds batches, not commands; a
/// full ring spills into its outbox, so capacity is about speed, never correctness. Rings
/// number 2·N·(N−1): each shard's rings together hold about `RING_SLOTS_PER_SHARD`
/// messages, so ring memory grows with N, not N², and stays small next to maxmemory.
const RING_SLOTS_PER_SHARD: usize = 4096;

fn ring_capacity(shards: usize) -> usize {
    (RING_SLOTS_PER_SHARD / shards.max(1)).clamp(128, 1024)
}

/// Padded so two shards' flags never share a cache line.
#[repr(align(128))]
pub struct Waker {
    sleeping: AtomicBool,
    eventfd: libc::c_int,
}

impl Waker {
    /// Wake the owner if it said it is going to sleep.
    pub fn wake_if_sleeping(&self) {
        fence(Ordering::SeqCst);
        if self.sleeping.load(Ordering::Relaxed) && self.sleeping.swap(false, Ordering::SeqCst) {
            self.wake();
        }
    }

    /// Unconditionally wake the owner (shutdown).
    pub fn wake(&self) {
        let one: u64 = 1;
        // SAFETY: writing 8 bytes from a valid u64 to an eventfd this struct owns.
        unsafe {
            libc::write(self.eventfd, (&one as *const u64).cast(), 8);
        }
    }

    pub fn eventfd(&self) -> libc::c_int {
        self.eventfd
    }

    pub fn set_sleeping(&self, sleeping: bool) {
        self.sleeping.store(sleeping, Ordering::SeqCst);
    }
}

impl Drop for Waker {
    fn drop(&mut self) {
        // SAFETY: the eventfd was created by `Mesh::new` and is closed exactly once here.
        unsafe {
            libc::close(self.eventfd);
        }
    }
}

/// What every shard shares: the wakers.
pub struct Mesh {
    pub wakers: Vec<Waker>,
}

/// One ring's producer side with its local overflow queue: a full ring is back-pressure,
/// the message waits here (in order) and is retried next loop turn; nothing is dropped and
/// the thread never blocks.
pub struct Outbox<T> {
    producer: Producer<T>,
    overflow: VecDeque<T>,
    pushed: bool,
}

impl<T> Outbox<T> {
    fn new(producer: Producer<T>) -> Self {
        Outbox {
            producer,
            overflow: VecDeque::new(),
            pushed: false,
        }
    }

    pub fn push(&mut self, message: T) {
        if !self.overflow.is_empty() {
            self.overflow.push_back(message);
            return;
        }
        match self.producer.push(message) {
            Ok(()) => self.pushed = true,
            Err(rtrb::PushError::Full(message)) => self.overflow.push_back(message),
        }
    }

    /// Move queued overflow into the ring as far as it has room.
    pub fn retry(&mut self) {
        while let Some(message) = self.overflow.pop_front() {
            match self.producer.push(message) {
                Ok(()) => self.pushed = true,
                Err(rtrb::PushError::Full(message)) => {
                    self.overflow.push_front(message);
                    break;
                }
            }
        }
    }

    pub fn has_overflow(&self) -> bool {
        !self.overflow.is_empty()
    }

    /// Whether anything was pushed since the last call.
    pub fn take_pushed(&mut self) -> bool {
        std::mem::replace(&mut self.pushed, false)
    }
}

/// One shard's ends of the mesh. Index = the other shard (own index unused).
pub struct Endpoint {
    pub id: usize,
    pub mesh: Arc<Mesh>,
    pub requests_out: Vec<Option<Outbox<Request>>>,
    pub requests_in: Vec<Option<Consumer<Request>>>,
    pub responses_out: Vec<Option<Outbox<Response>>>,
    pub responses_in: Vec<Option<Consumer<Response>>>,
}

impl Endpoint {
    pub fn send_request(&mut self, to: usize, request: Request) {
        if let Some(outbox) = self.requests_out[to].as_mut() {
            outbox.push(request);
        }
    }

    pub fn send_response(&mut self, to: usize, response: Response) {
        if let Some(outbox) = self.responses_out[to].as_mut() {
            outbox.push(response);
        }
    }

    /// Retry overflow and wake the peers that got something. Returns whether overflow remains.
    pub fn flush(&mut self) -> bool {
        let mut overflow = false;
        for peer in 0..self.requests_out.len() {
            let mut pushed = false;
            if let Some(outbox) = self.requests_out[peer].as_mut() {
                outbox.retry();
                overflow |= outbox.has_overflow();
                pushed |= outbox.take_pushed();
            }
            if let Some(outbox) = self.responses_out[peer].as_mut() {
                outbox.retry();
                overflow |= outbox.has_overflow();
                pushed |= outbox.take_pushed();
            }
            if pushed {
                self.mesh.wakers[peer].wake_if_sleeping();
            }
        }
        overflow
    }

    /// Whether any incoming ring holds a message.
    pub fn has_incoming(&self) -> bool {
        self.requests_in.iter().flatten().any(|c| !c.is_empty())
            || self.responses_in.iter().flatten().any(|c| !c.is_empty())
    }

    /// Messages waiting in this shard's incoming rings: a shard that falls behind its peers
    /// shows a growing queue (exported per shard).
    pub fn incoming_depth(&self) -> u64 {
        let requests: usize = self.requests_in.iter().flatten().map(|c| c.slots()).sum();
        let responses: usize = self.responses_in.iter().flatten().map(|c| c.slots()).sum();
        (requests + responses) as u64
    }

    pub fn waker(&self) -> &Waker {
        &self.mesh.wakers[self.id]
    }
}

/// Build the full mesh for `shards` shards: one endpoint per shard.
pub fn build(shards: usize) -> std::io::Result<Vec<Endpoint>> {
    let mut wakers = Vec::with_capacity(shards);
    for _ in 0..shards {
        // SAFETY: plain eventfd creation; the result is checked.
        let fd = unsafe { libc::eventfd(0, libc::EFD_CLOEXEC | libc::EFD_NONBLOCK) };
        if fd < 0 {
            return Err(std::io::Error::last_os_error());
        }
        wakers.push(Waker {
            sleeping: AtomicBool::new(false),
            eventfd: fd,
        });
    }
    let mesh = Arc::new(Mesh { wakers });
    let mut endpoints: Vec<Endpoint> = (0..shards)
        .map(|id| Endpoint {
            id,
            mesh: mesh.clone(),
            requests_out: (0..shards).map(|_| None).collect(),
            requests_in: (0..shards).map(|_| None).collect(),
            responses_out: (0..shards).map(|_| None).collect(),
            responses_in: (0..shards).map(|_| None).collect(),
        })
        .collect();
    let capacity = ring_capacity(shards);
    for from in 0..shards {
        for to in 0..shards {
            if from == to {
                continue;
            }
            let (producer, consumer) = RingBuffer::new(capacity);
            endpoints[from].requests_out[to] = Some(Outbox::new(producer));
            endpoints[to].requests_in[from] = Some(consumer);
            let (producer, consumer) = RingBuffer::new(capacity);
            endpoints[to].responses_out[from] = Some(Outbox::new(producer));
            endpoints[from].responses_in[to] = Some(consumer);
        }
    }
    Ok(endpoints)
}
