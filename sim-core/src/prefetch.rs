//! `include/linux/prefetch.h`: hints that a value is about to be read, so
//! list walks over objects spread across the heap (the SPD's `policy_all`,
//! the SAD's `state_all`) overlap their cache misses instead of taking
//! them one after another.  A hint never changes what a program computes.

/// `L1_CACHE_BYTES` on x86-64.
pub const L1_CACHE_BYTES: usize = 64;

/// `prefetch(x)`: asks for the cache line holding `p`.
#[inline(always)]
pub fn prefetch<T: ?Sized>(p: *const T) {
    #[cfg(target_arch = "x86_64")]
    // SAFETY: PREFETCHT0 only hints the cache; it never faults and reads
    // nothing into the program, whatever the address (SSE is baseline on
    // x86-64).
    unsafe {
        use core::arch::x86_64::{_MM_HINT_T0, _mm_prefetch};
        _mm_prefetch::<_MM_HINT_T0>(p.cast::<i8>());
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = p;
}

/// `prefetch_range(addr, len)`: every cache line of `*v`.
#[inline(always)]
pub fn prefetch_range<T>(v: &T) {
    let base = (v as *const T).cast::<u8>();
    let mut off = 0;
    while off < size_of::<T>() {
        prefetch(base.wrapping_add(off));
        off += L1_CACHE_BYTES;
    }
}
