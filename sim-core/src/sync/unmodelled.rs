//! Locks that loom must not model: instrumentation such as the lock
//! validator's graph, which is not part of any protocol under test and
//! lives in statics that outlive a loom execution.

pub type Mutex<T> = parking_lot::Mutex<T>;
pub type MutexGuard<'a, T> = parking_lot::MutexGuard<'a, T>;
pub type RwLock<T> = parking_lot::RwLock<T>;
pub use std::sync::atomic::{
    AtomicBool, AtomicIsize, AtomicU8, AtomicU32, AtomicU64, AtomicUsize, Ordering,
};
pub use std::sync::{Arc, LazyLock, OnceLock};
pub use std::thread_local;
