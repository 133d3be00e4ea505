//! A cheap monotonic clock for timing every command (commandstats, latency histograms, the
//! slow log). Reading the OS clock twice per command cost ~4% of a pipelined GET; the CPU's
//! time-stamp counter costs a fraction of that. It is used where it runs at a constant rate
//! on every core (x86-64 with an invariant TSC), calibrated once against the OS clock;
//! anywhere else the clock falls back to `Instant`.

use std::sync::OnceLock;
use std::time::{Duration, Instant};

struct Calibration {
    /// Nanoseconds per tick as a 32.32 fixed-point number; 0 = no TSC, ticks are ns.
    ns_per_tick_q32: u64,
    origin: Instant,
}

static CALIBRATION: OnceLock<Calibration> = OnceLock::new();

fn calibration() -> &'static Calibration {
    CALIBRATION.get_or_init(|| {
        let origin = Instant::now();
        let ns_per_tick_q32 = if tsc::invariant() {
            let (t0, c0) = (Instant::now(), tsc::read());
            std::thread::sleep(Duration::from_millis(20));
            let (ns, ticks) = (t0.elapsed().as_nanos() as u64, tsc::read().wrapping_sub(c0));
            if ticks == 0 {
                0
            } else {
                ((ns as u128) << 32).checked_div(ticks as u128).unwrap_or(0) as u64
            }
        } else {
            0
        };
        Calibration {
            ns_per_tick_q32,
            origin,
        }
    })
}

/// Calibrate now (takes ~20 ms once) rather than on the first command.
pub fn calibrate() {
    calibration();
}

/// Which clock this is, as Redis's INFO monotonic_clock names it.
pub fn source_name() -> &'static str {
    if calibration().ns_per_tick_q32 != 0 {
        "X86_TSC"
    } else {
        "POSIX clock_gettime"
    }
}

/// A point in time, in ticks of this clock.
#[inline]
pub fn ticks() -> u64 {
    let c = calibration();
    if c.ns_per_tick_q32 != 0 {
        tsc::read()
    } else {
        c.origin.elapsed().as_nanos() as u64
    }
}

/// Nanoseconds between two readings of [`ticks`].
#[inline]
pub fn elapsed_ns(since: u64) -> u64 {
    let c = calibration();
    let ticks = ticks().saturating_sub(since);
    if c.ns_per_tick_q32 == 0 {
        ticks
    } else {
        ((ticks as u128 * c.ns_per_tick_q32 as u128) >> 32) as u64
    }
}

#[cfg(target_arch = "x86_64")]
mod tsc {
    /// Whether the TSC ticks at a constant rate whatever the core's frequency or sleep
    /// state (CPUID leaf 0x8000_0007, EDX bit 8), so it can measure time.
    pub fn invariant() -> bool {
        // CPUID exists on every x86-64 CPU; the extended leaf's presence is checked first.
        let max = std::arch::x86_64::__cpuid(0x8000_0000).eax;
        max >= 0x8000_0007 && std::arch::x86_64::__cpuid(0x8000_0007).edx & (1 << 8) != 0
    }

    #[inline]
    pub fn read() -> u64 {
        // SAFETY: RDTSC has no preconditions on x86-64.
        unsafe { std::arch::x86_64::_rdtsc() }
    }
}

#[cfg(not(target_arch = "x86_64"))]
mod tsc {
    pub fn invariant() -> bool {
        false
    }

    pub fn read() -> u64 {
        0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn measures_a_sleep() {
        let start = ticks();
        std::thread::sleep(Duration::from_millis(30));
        let ns = elapsed_ns(start);
        assert!(
            (25_000_000..200_000_000).contains(&ns),
            "30 ms measured as {ns} ns"
        );
        assert!(elapsed_ns(ticks()) < 1_000_000);
    }
}
