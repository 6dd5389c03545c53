//! Kernel primitives for xfrmsim: the sync facade, RCU, the lock validator,
//! wait queues, time, errno and the seeded generator — and the XFRM value
//! types, algorithm tables and the SAD/SPD table structures.

pub mod errno;
pub mod hashmap;
pub mod rng;
#[doc(hidden)]
pub mod sync;

pub use errno::{Errno, KResult};
pub use rng::KernelRng;
pub mod lockdep;
pub mod planted;
pub mod prefetch;
pub mod rcu;
pub mod task;
pub mod time;
pub mod wait;
pub mod xfrm;
