//! The per-kernel seeded random generator: every random choice (SPIs,
//! autobind port ids, hash seeds) comes from one of these, so a run replays
//! from its seed.

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use crate::sync::{Arc, Mutex};

/// A shared, seeded generator (`get_random_u32()` for one simulated kernel).
#[derive(Clone)]
pub struct KernelRng {
    inner: Arc<Mutex<StdRng>>,
    seed: u64,
}

impl KernelRng {
    pub fn from_seed(seed: u64) -> Self {
        KernelRng { inner: Arc::new(Mutex::new(StdRng::seed_from_u64(seed))), seed }
    }

    /// The seed this generator started from.
    pub fn seed(&self) -> u64 {
        self.seed
    }

    /// `get_random_u32()`.
    pub fn next_u32(&self) -> u32 {
        self.inner.lock().random()
    }

    /// `get_random_u64()`.
    pub fn next_u64(&self) -> u64 {
        self.inner.lock().random()
    }

    /// A uniform value in `[low, high]` (inclusive, `low <= high`), as
    /// `get_random_u32_inclusive()`.
    pub fn u32_inclusive(&self, low: u32, high: u32) -> u32 {
        debug_assert!(low <= high);
        self.inner.lock().random_range(low..=high)
    }
}

#[cfg(all(test, not(xfrmsim_loom)))]
mod tests {
    use super::*;

    #[test]
    fn same_seed_same_sequence() {
        let a = KernelRng::from_seed(7);
        let b = KernelRng::from_seed(7);
        let c = KernelRng::from_seed(8);
        let va: Vec<u32> = (0..16).map(|_| a.next_u32()).collect();
        let vb: Vec<u32> = (0..16).map(|_| b.next_u32()).collect();
        let vc: Vec<u32> = (0..16).map(|_| c.next_u32()).collect();
        assert_eq!(va, vb);
        assert_ne!(va, vc);
        for _ in 0..1000 {
            let v = a.u32_inclusive(0x100, 0x1ff);
            assert!((0x100..=0x1ff).contains(&v));
        }
    }
}
