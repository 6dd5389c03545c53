//! `--cfg xfrmsim_loom` builds: loom's types, wrapped to the same
//! non-poisoning API as the normal side.

use std::collections::HashMap;
use std::hash::Hash;
use std::ops::{Deref, DerefMut};
use std::time::Duration;

pub use loom::sync::Arc;

/// Atomics (loom's).
pub mod atomic {
    pub use loom::sync::atomic::{
        AtomicBool, AtomicI32, AtomicI64, AtomicPtr, AtomicU8, AtomicU16, AtomicU32, AtomicU64,
        AtomicUsize, fence,
    };
    pub use std::sync::atomic::Ordering;
}

/// Threads (loom's).
pub mod thread {
    pub use loom::thread::{JoinHandle, Thread, ThreadId, current, spawn, yield_now};
    pub use std::thread::panicking;
}

/// Spin-loop hint: loom must be told to run someone else.
#[inline]
pub fn spin_loop() {
    loom::thread::yield_now();
}

/// A non-poisoning mutex over loom's.
#[derive(Debug)]
pub struct Mutex<T>(loom::sync::Mutex<T>);

/// Guard of [`Mutex`]; the `Option` lets [`Condvar::wait`] hand it to loom.
pub struct MutexGuard<'a, T>(Option<loom::sync::MutexGuard<'a, T>>);

impl<T> Mutex<T> {
    pub fn new(v: T) -> Self {
        Mutex(loom::sync::Mutex::new(v))
    }
    pub fn lock(&self) -> MutexGuard<'_, T> {
        MutexGuard(Some(self.0.lock().unwrap_or_else(|e| e.into_inner())))
    }
    pub fn try_lock(&self) -> Option<MutexGuard<'_, T>> {
        self.0.try_lock().ok().map(|g| MutexGuard(Some(g)))
    }
    pub fn get_mut(&mut self) -> &mut T {
        self.0.get_mut().unwrap_or_else(|e| e.into_inner())
    }
    pub fn into_inner(self) -> T {
        self.0.into_inner().unwrap_or_else(|e| e.into_inner())
    }
}

impl<T: Default> Default for Mutex<T> {
    fn default() -> Self {
        Mutex::new(T::default())
    }
}

impl<T> Deref for MutexGuard<'_, T> {
    type Target = T;
    fn deref(&self) -> &T {
        self.0.as_deref().expect("guard present")
    }
}
impl<T> DerefMut for MutexGuard<'_, T> {
    fn deref_mut(&mut self) -> &mut T {
        self.0.as_deref_mut().expect("guard present")
    }
}

/// A non-poisoning reader-writer lock over loom's.
#[derive(Debug)]
pub struct RwLock<T>(loom::sync::RwLock<T>);
pub type RwLockReadGuard<'a, T> = loom::sync::RwLockReadGuard<'a, T>;
pub type RwLockWriteGuard<'a, T> = loom::sync::RwLockWriteGuard<'a, T>;

impl<T> RwLock<T> {
    pub fn new(v: T) -> Self {
        RwLock(loom::sync::RwLock::new(v))
    }
    pub fn read(&self) -> RwLockReadGuard<'_, T> {
        self.0.read().unwrap_or_else(|e| e.into_inner())
    }
    pub fn write(&self) -> RwLockWriteGuard<'_, T> {
        self.0.write().unwrap_or_else(|e| e.into_inner())
    }
    pub fn try_read(&self) -> Option<RwLockReadGuard<'_, T>> {
        self.0.try_read().ok()
    }
    pub fn try_write(&self) -> Option<RwLockWriteGuard<'_, T>> {
        self.0.try_write().ok()
    }
    pub fn get_mut(&mut self) -> &mut T {
        self.0.get_mut().unwrap_or_else(|e| e.into_inner())
    }
}

impl<T: Default> Default for RwLock<T> {
    fn default() -> Self {
        RwLock::new(T::default())
    }
}

/// A condition variable over loom's.
#[derive(Debug, Default)]
pub struct Condvar(loom::sync::Condvar);

impl Condvar {
    pub fn new() -> Self {
        Condvar(loom::sync::Condvar::new())
    }
    pub fn wait<T>(&self, guard: &mut MutexGuard<'_, T>) {
        let g = guard.0.take().expect("guard present");
        guard.0 = Some(self.0.wait(g).unwrap_or_else(|e| e.into_inner()));
    }
    /// Loom has no time: a timed wait is an untimed one that reports no
    /// time-out. Time-outs are modelled with the virtual clock instead.
    pub fn wait_for<T>(&self, guard: &mut MutexGuard<'_, T>, _timeout: Duration) -> bool {
        self.wait(guard);
        false
    }
    pub fn notify_one(&self) {
        self.0.notify_one();
    }
    pub fn notify_all(&self) {
        self.0.notify_all();
    }
}

/// loom's `UnsafeCell`, which checks every access.
#[derive(Debug)]
pub struct UnsafeCell<T>(loom::cell::UnsafeCell<T>);

impl<T> UnsafeCell<T> {
    pub fn new(v: T) -> Self {
        UnsafeCell(loom::cell::UnsafeCell::new(v))
    }
    pub fn into_inner(self) -> T {
        self.0.into_inner()
    }
    #[inline]
    pub fn with<R>(&self, f: impl FnOnce(*const T) -> R) -> R {
        self.0.with(f)
    }
    #[inline]
    pub fn with_mut<R>(&self, f: impl FnOnce(*mut T) -> R) -> R {
        self.0.with_mut(f)
    }
}

impl<T: Default> Default for UnsafeCell<T> {
    fn default() -> Self {
        UnsafeCell::new(T::default())
    }
}

/// The RCU-published pointer cell, as `RwLock<Arc<T>>` so loom sees it.
#[derive(Debug)]
pub struct ArcCell<T>(RwLock<Arc<T>>);

impl<T> ArcCell<T> {
    pub fn new(v: Arc<T>) -> Self {
        ArcCell(RwLock::new(v))
    }
    pub fn load(&self) -> Arc<T> {
        self.0.read().clone()
    }
    pub fn with<R>(&self, f: impl FnOnce(&Arc<T>) -> R) -> R {
        let v = self.load();
        f(&v)
    }
    pub fn store(&self, v: Arc<T>) {
        *self.0.write() = v;
    }
    pub fn swap(&self, v: Arc<T>) -> Arc<T> {
        std::mem::replace(&mut *self.0.write(), v)
    }
}

/// An atomically replaceable `Option<Arc<T>>`, as `RwLock<Option<Arc<T>>>`.
#[derive(Debug)]
pub struct ArcCellOption<T>(RwLock<Option<Arc<T>>>);

impl<T> Default for ArcCellOption<T> {
    fn default() -> Self {
        ArcCellOption(RwLock::new(None))
    }
}

impl<T> ArcCellOption<T> {
    pub fn new(v: Option<Arc<T>>) -> Self {
        ArcCellOption(RwLock::new(v))
    }
    pub fn load(&self) -> Option<Arc<T>> {
        self.0.read().clone()
    }
    pub fn with<R>(&self, f: impl FnOnce(Option<&Arc<T>>) -> R) -> R {
        let v = self.load();
        f(v.as_ref())
    }
    pub fn store(&self, v: Option<Arc<T>>) {
        *self.0.write() = v;
    }
    pub fn swap(&self, v: Option<Arc<T>>) -> Option<Arc<T>> {
        std::mem::replace(&mut *self.0.write(), v)
    }
}

/// A sharded `RwLock<HashMap>` standing in for dashmap under loom. Only the
/// operations the project uses are provided, with owned results.
#[derive(Debug)]
pub struct ConcurrentMap<K, V> {
    shards: Vec<RwLock<HashMap<K, V>>>,
}

const SHARDS: usize = 4;

impl<K: Eq + Hash, V> Default for ConcurrentMap<K, V> {
    fn default() -> Self {
        Self::new()
    }
}

impl<K: Eq + Hash, V> ConcurrentMap<K, V> {
    pub fn new() -> Self {
        ConcurrentMap { shards: (0..SHARDS).map(|_| RwLock::new(HashMap::new())).collect() }
    }
    fn shard(&self, k: &K) -> &RwLock<HashMap<K, V>> {
        use std::hash::{BuildHasher, BuildHasherDefault, DefaultHasher};
        let h = BuildHasherDefault::<DefaultHasher>::default().hash_one(k);
        &self.shards[(h as usize) % SHARDS]
    }
    pub fn insert(&self, k: K, v: V) -> Option<V> {
        self.shard(&k).write().insert(k, v)
    }
    pub fn insert_new(&self, k: K, v: V) -> bool {
        let mut s = self.shard(&k).write();
        if s.contains_key(&k) {
            return false;
        }
        s.insert(k, v);
        true
    }
    pub fn get_cloned(&self, k: &K) -> Option<V>
    where
        V: Clone,
    {
        self.shard(k).read().get(k).cloned()
    }
    pub fn values_cloned(&self) -> Vec<V>
    where
        V: Clone,
    {
        self.shards.iter().flat_map(|s| s.read().values().cloned().collect::<Vec<_>>()).collect()
    }
    pub fn remove(&self, k: &K) -> Option<(K, V)> {
        self.shard(k).write().remove_entry(k)
    }
    pub fn contains_key(&self, k: &K) -> bool {
        self.shard(k).read().contains_key(k)
    }
    pub fn len(&self) -> usize {
        self.shards.iter().map(|s| s.read().len()).sum()
    }
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[doc(hidden)]
pub use loom::lazy_static as __lazy_static_impl;
#[doc(hidden)]
pub use loom::thread_local as __thread_local_impl;

/// Turns a `std::sync::Arc` into loom's (`Arc::from_std`): the way to build
/// an `Arc<dyn Trait>` under loom. Use through [`crate::arc_dyn!`].
#[track_caller]
pub fn arc_from_std<T: ?Sized>(a: std::sync::Arc<T>) -> Arc<T> {
    Arc::from_std(a)
}

/// `Arc<dyn Any>::downcast` for loom's `Arc`.
pub fn arc_downcast<T: std::any::Any + Send + Sync>(
    a: Arc<dyn std::any::Any + Send + Sync>,
) -> Option<Arc<T>> {
    if !(*a).is::<T>() {
        return None;
    }
    let raw = Arc::into_raw(a) as *const T;
    // SAFETY: the value is a `T` (checked above) and `raw` came from
    // `into_raw` on the same allocation, as `std::sync::Arc::downcast` does.
    Some(unsafe { Arc::from_raw(raw) })
}
