//! Normal builds: parking_lot, std and arc-swap.

use std::time::Duration;

pub use std::sync::Arc;

/// Atomics (std's).
pub mod atomic {
    pub use std::sync::atomic::{
        AtomicBool, AtomicI32, AtomicI64, AtomicPtr, AtomicU8, AtomicU16, AtomicU32, AtomicU64,
        AtomicUsize, Ordering, fence,
    };
}

/// Threads (std's).
pub mod thread {
    pub use std::thread::{JoinHandle, Thread, ThreadId, current, panicking, spawn, yield_now};
}

/// Spin-loop hint; under loom this yields to the scheduler.
#[inline]
pub fn spin_loop() {
    std::hint::spin_loop();
}

/// A non-poisoning mutex (parking_lot's).
pub type Mutex<T> = parking_lot::Mutex<T>;
/// Guard of [`Mutex`].
pub type MutexGuard<'a, T> = parking_lot::MutexGuard<'a, T>;
/// A non-poisoning reader-writer lock (parking_lot's).
pub type RwLock<T> = parking_lot::RwLock<T>;
/// Shared guard of [`RwLock`].
pub type RwLockReadGuard<'a, T> = parking_lot::RwLockReadGuard<'a, T>;
/// Exclusive guard of [`RwLock`].
pub type RwLockWriteGuard<'a, T> = parking_lot::RwLockWriteGuard<'a, T>;

/// A condition variable used with [`Mutex`].
#[derive(Default)]
pub struct Condvar(parking_lot::Condvar);

impl Condvar {
    pub const fn new() -> Self {
        Condvar(parking_lot::Condvar::new())
    }
    /// Atomically unlocks `guard`'s mutex and sleeps until notified.
    pub fn wait<T>(&self, guard: &mut MutexGuard<'_, T>) {
        self.0.wait(guard);
    }
    /// Like [`Condvar::wait`] with a real-time limit; returns true when it
    /// timed out. Under loom there is no time: it behaves like `wait`.
    pub fn wait_for<T>(&self, guard: &mut MutexGuard<'_, T>, timeout: Duration) -> bool {
        self.0.wait_for(guard, timeout).timed_out()
    }
    pub fn notify_one(&self) {
        self.0.notify_one();
    }
    pub fn notify_all(&self) {
        self.0.notify_all();
    }
}

/// `UnsafeCell` with loom's closure-based API.
#[derive(Default)]
pub struct UnsafeCell<T: ?Sized>(std::cell::UnsafeCell<T>);

impl<T> UnsafeCell<T> {
    pub const fn new(v: T) -> Self {
        UnsafeCell(std::cell::UnsafeCell::new(v))
    }
    pub fn into_inner(self) -> T {
        self.0.into_inner()
    }
}

impl<T: ?Sized> UnsafeCell<T> {
    #[inline]
    pub fn with<R>(&self, f: impl FnOnce(*const T) -> R) -> R {
        f(self.0.get())
    }
    #[inline]
    pub fn with_mut<R>(&self, f: impl FnOnce(*mut T) -> R) -> R {
        f(self.0.get())
    }
}

/// An atomically replaceable `Arc<T>`: the RCU-published pointer cell
/// (`rcu_assign_pointer` / `rcu_dereference` on a refcounted object).
/// arc-swap in normal builds.
pub struct ArcCell<T>(arc_swap::ArcSwap<T>);

impl<T> ArcCell<T> {
    pub fn new(v: Arc<T>) -> Self {
        ArcCell(arc_swap::ArcSwap::new(v))
    }
    /// A counted reference to the current value.
    #[inline]
    pub fn load(&self) -> Arc<T> {
        self.0.load_full()
    }
    /// Runs `f` on the current value without touching its reference count.
    #[inline]
    pub fn with<R>(&self, f: impl FnOnce(&Arc<T>) -> R) -> R {
        f(&self.0.load())
    }
    pub fn store(&self, v: Arc<T>) {
        self.0.store(v);
    }
    pub fn swap(&self, v: Arc<T>) -> Arc<T> {
        self.0.swap(v)
    }
}

/// An atomically replaceable `Option<Arc<T>>`.
pub struct ArcCellOption<T>(arc_swap::ArcSwapOption<T>);

impl<T> Default for ArcCellOption<T> {
    fn default() -> Self {
        ArcCellOption(arc_swap::ArcSwapOption::empty())
    }
}

impl<T> ArcCellOption<T> {
    pub fn new(v: Option<Arc<T>>) -> Self {
        ArcCellOption(arc_swap::ArcSwapOption::new(v))
    }
    #[inline]
    pub fn load(&self) -> Option<Arc<T>> {
        self.0.load_full()
    }
    #[inline]
    pub fn with<R>(&self, f: impl FnOnce(Option<&Arc<T>>) -> R) -> R {
        f(self.0.load().as_ref())
    }
    pub fn store(&self, v: Option<Arc<T>>) {
        self.0.store(v);
    }
    pub fn swap(&self, v: Option<Arc<T>>) -> Option<Arc<T>> {
        self.0.swap(v)
    }
}

use crate::hashmap::WordHash;

/// A concurrent hash map (dashmap) for registries Linux keeps in hash tables
/// with their own locks. Under loom: a sharded `RwLock<HashMap>`.
pub struct ConcurrentMap<K, V>(dashmap::DashMap<K, V, WordHash>);

impl<K: Eq + std::hash::Hash, V> Default for ConcurrentMap<K, V> {
    fn default() -> Self {
        Self::new()
    }
}

impl<K: Eq + std::hash::Hash, V> ConcurrentMap<K, V> {
    pub fn new() -> Self {
        ConcurrentMap(dashmap::DashMap::with_hasher(WordHash::default()))
    }
    pub fn insert(&self, k: K, v: V) -> Option<V> {
        self.0.insert(k, v)
    }
    /// Inserts only when `k` is absent; returns false when it was taken.
    pub fn insert_new(&self, k: K, v: V) -> bool {
        match self.0.entry(k) {
            dashmap::Entry::Occupied(_) => false,
            dashmap::Entry::Vacant(e) => {
                e.insert(v);
                true
            }
        }
    }
    pub fn remove(&self, k: &K) -> Option<(K, V)> {
        self.0.remove(k)
    }
    pub fn contains_key(&self, k: &K) -> bool {
        self.0.contains_key(k)
    }
    pub fn get_cloned(&self, k: &K) -> Option<V>
    where
        V: Clone,
    {
        self.0.get(k).map(|r| r.value().clone())
    }
    pub fn len(&self) -> usize {
        self.0.len()
    }
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
    /// Every value, cloned (order unspecified).
    pub fn values_cloned(&self) -> Vec<V>
    where
        V: Clone,
    {
        self.0.iter().map(|r| r.value().clone()).collect()
    }
}

#[doc(hidden)]
pub use std::thread_local as __thread_local_impl;

#[doc(hidden)]
#[macro_export]
macro_rules! __sim_std_lazy_static {
    ($(#[$attr:meta])* $vis:vis static ref $name:ident : $t:ty = $init:expr ; $($rest:tt)*) => {
        $(#[$attr])* $vis static $name: ::std::sync::LazyLock<$t> = ::std::sync::LazyLock::new(|| $init);
        $crate::__sim_std_lazy_static! { $($rest)* }
    };
    () => {};
}
#[doc(hidden)]
pub use crate::__sim_std_lazy_static as __lazy_static_impl;

/// Turns a `std::sync::Arc` into the facade's `Arc`; with a known target
/// type this is where an unsized coercion (`Arc<dyn Trait>`) happens, which
/// loom's `Arc` cannot do by itself. Use through [`crate::arc_dyn!`].
#[inline]
pub fn arc_from_std<T: ?Sized>(a: std::sync::Arc<T>) -> Arc<T> {
    a
}

/// `Arc<dyn Any>::downcast` for the facade's `Arc`.
pub fn arc_downcast<T: std::any::Any + Send + Sync>(
    a: Arc<dyn std::any::Any + Send + Sync>,
) -> Option<Arc<T>> {
    a.downcast().ok()
}
