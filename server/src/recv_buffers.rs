//! The shard's provided-buffer ring (IORING_REGISTER_PBUF_RING) for multishot receives: the
//! kernel picks a free buffer for each chunk it receives, so a connection's receive stays
//! armed across requests instead of being re-submitted (and its poll re-armed) every time.

use io_uring::types::BufRingEntry;
use io_uring::IoUring;
use std::sync::atomic::{AtomicU16, Ordering};

/// Buffer group id used by every multishot receive of a shard.
pub const GROUP: u16 = 0;

pub struct RecvBuffers {
    /// The ring of buffer descriptors shared with the kernel (page-aligned, mmap'd).
    ring: *mut BufRingEntry,
    ring_bytes: usize,
    memory: Box<[u8]>,
    buffer_size: usize,
    mask: u16,
    tail: u16,
}

impl RecvBuffers {
    /// Register `count` (a power of two) buffers of `buffer_size` bytes with `ring`.
    pub fn register(ring: &IoUring, count: u16, buffer_size: usize) -> std::io::Result<Self> {
        assert!(count.is_power_of_two());
        let ring_bytes = count as usize * std::mem::size_of::<BufRingEntry>();
        // SAFETY: an anonymous private mapping; the result is checked before use.
        let mapping = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                ring_bytes,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_PRIVATE | libc::MAP_ANONYMOUS | libc::MAP_POPULATE,
                -1,
                0,
            )
        };
        if mapping == libc::MAP_FAILED {
            return Err(std::io::Error::last_os_error());
        }
        // Touched now, so this fixed cost is resident from the start rather than showing up
        // as growth under the first load.
        let mut memory = vec![0u8; count as usize * buffer_size].into_boxed_slice();
        memory.fill(1);
        let mut buffers = RecvBuffers {
            ring: mapping.cast(),
            ring_bytes,
            memory,
            buffer_size,
            mask: count - 1,
            tail: 0,
        };
        // SAFETY: the ring memory is page-aligned, `count` entries long, and lives (with this
        // struct) until after the io_uring instance is dropped; see `Runtime`'s field order.
        unsafe {
            ring.submitter()
                .register_buf_ring_with_flags(mapping as u64, count, GROUP, 0)?;
        }
        for bid in 0..count {
            buffers.recycle(bid);
        }
        buffers.publish();
        Ok(buffers)
    }

    /// The bytes the kernel put in buffer `bid`.
    pub fn received(&self, bid: u16, len: usize) -> &[u8] {
        let start = bid as usize * self.buffer_size;
        &self.memory[start..start + len.min(self.buffer_size)]
    }

    /// Give buffer `bid` back to the kernel (visible after `publish`).
    pub fn recycle(&mut self, bid: u16) {
        let index = (self.tail & self.mask) as usize;
        // SAFETY: `index` is within the ring's `count` entries; the kernel only reads entries
        // between its head and our published tail, and this one is past the published tail.
        let entry = unsafe { &mut *self.ring.add(index) };
        let addr = self.memory.as_ptr() as u64 + (bid as usize * self.buffer_size) as u64;
        entry.set_addr(addr);
        entry.set_len(self.buffer_size as u32);
        entry.set_bid(bid);
        self.tail = self.tail.wrapping_add(1);
    }

    /// Publish recycled buffers to the kernel: one release store per loop turn.
    pub fn publish(&self) {
        // SAFETY: `tail` points at the ring header's tail field, a u16 the kernel reads
        // atomically; AtomicU16 has the same layout as u16.
        unsafe {
            let tail = BufRingEntry::tail(self.ring) as *const AtomicU16;
            (*tail).store(self.tail, Ordering::Release);
        }
    }
}

impl Drop for RecvBuffers {
    fn drop(&mut self) {
        // SAFETY: unmapping the mapping made in `register`; the io_uring that used it has
        // already been dropped (it is declared before this field in `Runtime`).
        unsafe {
            libc::munmap(self.ring.cast(), self.ring_bytes);
        }
    }
}
