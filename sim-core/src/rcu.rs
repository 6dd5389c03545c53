//! Read-copy update: `rcu_read_lock`/`rcu_read_unlock`, `synchronize_rcu`,
//! `call_rcu`, `rcu_barrier` (`kernel/rcu/`, `include/linux/rcupdate.h`),
//! an RCU-protected list ([`RcuList`], `include/linux/rculist.h`) and an
//! RCU-published pointer ([`RcuCell`], `rcu_assign_pointer` /
//! `rcu_dereference`).
//!
//! # The grace-period algorithm
//!
//! A userspace RCU in the style of liburcu's, with a 64-bit grace-period
//! counter so that one counter flip per grace period is enough (the counter
//! never wraps):
//!
//! - A global counter `gp` starts at 1. Each thread that ever reads gets a
//!   *reader slot* (an `AtomicU64`) registered in a global registry; the
//!   thread-local handle removes it from the registry when the thread exits.
//! - `rcu_read_lock()` at nesting depth 0 stores the current `gp` in the
//!   thread's slot and then issues a SeqCst **fence** (loom models SeqCst
//!   accesses as AcqRel, so the store-load ordering must come from the
//!   fence). Nested locks only count. The outermost `rcu_read_unlock()`
//!   stores 0 with Release.
//! - `synchronize_rcu()` issues a SeqCst fence, increments `gp` to `target`,
//!   issues another fence and then, for every registered slot, waits
//!   (spinning, then yielding and sleeping; under loom `yield_now`) until the
//!   slot reads 0 (no reader) or a value ≥ `target` (a reader that started
//!   after the increment).
//!
//! Why it is enough: an updater unpublishes a node, fences, bumps `gp`,
//! fences and reads the slots; a reader stores its slot, fences and reads
//! the data. By the SeqCst fence order, either the reader's data read sees
//! the removal, or the updater's slot read sees the reader's store. A
//! reader whose slot holds a value ≥ `target` read the bumped counter, which
//! the updater wrote after its fence, so (fence-to-fence synchronisation) it
//! sees the removal too. Every other reader that may still see the node
//! holds a value < `target` and is waited for; its Release store of 0 makes
//! everything it read happen before the updater goes on to reclaim.
//!
//! # Callbacks
//!
//! `call_rcu` queues a callback. Queued callbacks run in batches: a batch is
//! taken, a grace period is waited for, and the batch runs in simulated
//! softirq context (as `rcu_do_batch` runs from `RCU_SOFTIRQ`), one batch at
//! a time so callbacks run in queueing order. In normal builds a background
//! reclaimer thread (started by the first `call_rcu`, in the role of the
//! `rcu_gp`/`rcuc` kthreads) processes batches as they are queued, and
//! [`rcu_barrier`] waits until every callback queued before it has run.
//! Under loom there is no reclaimer (every model thread must end):
//! `rcu_barrier` runs the pending batches itself, after a grace period.
//!
//! Differences from Linux: `synchronize_rcu` called inside a read section
//! is reported by lockdep and then does not wait for the caller's own
//! section (the kernel would deadlock; callback batches, which free memory,
//! always wait for every section); [`RcuList`] is a published array
//! replaced copy-on-write, not an hlist.

use std::cell::Cell;
use std::marker::PhantomData;

use crate::lockdep;
use crate::sync::atomic::{AtomicPtr, AtomicU64, Ordering, fence};
use crate::sync::{Arc, Condvar, Mutex};

/// One reader thread's slot: 0 outside a read section, else the grace-period
/// counter read at its outermost `rcu_read_lock`.
struct ReaderSlot {
    ctr: AtomicU64,
}

/// The grace-period counter and the registered reader slots.
struct Registry {
    gp: AtomicU64,
    slots: Mutex<Vec<Arc<ReaderSlot>>>,
}

type RcuCallback = Box<dyn FnOnce() + Send>;

/// The callback queue (`struct rcu_segcblist`, much simplified).
#[derive(Default)]
struct CallbackQueue {
    pending: Vec<RcuCallback>,
    /// Callbacks ever queued.
    queued: u64,
    /// Callbacks that have run (batches complete in order).
    done: u64,
    /// A batch is waiting for its grace period or running.
    processing: bool,
    #[cfg(not(xfrmsim_loom))]
    reclaimer_started: bool,
}

struct RcuState {
    registry: Arc<Registry>,
    callbacks: Mutex<CallbackQueue>,
    callbacks_cond: Condvar,
}

crate::sim_lazy_static! {
    static ref RCU: RcuState = RcuState {
        registry: Arc::new(Registry { gp: AtomicU64::new(1), slots: Mutex::new(Vec::new()) }),
        callbacks: Mutex::new(CallbackQueue::default()),
        callbacks_cond: Condvar::new(),
    };
}

/// A thread's handle on its slot. It keeps the registry alive by itself so
/// that it can deregister at thread exit whatever the order of teardown.
struct ReaderHandle {
    registry: Arc<Registry>,
    slot: Arc<ReaderSlot>,
    nesting: Cell<u32>,
}

impl ReaderHandle {
    fn register() -> ReaderHandle {
        let registry = RCU.registry.clone();
        let slot = Arc::new(ReaderSlot { ctr: AtomicU64::new(0) });
        registry.slots.lock().push(slot.clone());
        ReaderHandle { registry, slot, nesting: Cell::new(0) }
    }
}

impl Drop for ReaderHandle {
    fn drop(&mut self) {
        // The thread exits: its slot is freed.
        self.registry.slots.lock().retain(|s| !Arc::ptr_eq(s, &self.slot));
    }
}

crate::sim_thread_local! {
    static READER: ReaderHandle = ReaderHandle::register();
}

/// An RCU read-side critical section (`rcu_read_lock()` … `rcu_read_unlock()`
/// by drop). Sections nest. The guard is `!Send`: a section belongs to the
/// thread that opened it.
pub struct RcuReadGuard {
    _not_send: PhantomData<*const ()>,
}

/// `rcu_read_lock()`: opens a read-side section; it ends when the guard
/// drops. Lock-free: a thread-local counter, at the outermost level a store
/// and a fence.
#[inline]
pub fn rcu_read_lock() -> RcuReadGuard {
    READER.with(|r| {
        let n = r.nesting.get();
        if n == 0 {
            let gp = r.registry.gp.load(Ordering::Relaxed);
            r.slot.ctr.store(gp, Ordering::Relaxed);
            // Orders the slot store before every read of protected data.
            fence(Ordering::SeqCst);
        }
        r.nesting.set(n + 1);
    });
    lockdep::rcu_read_enter();
    RcuReadGuard { _not_send: PhantomData }
}

impl Drop for RcuReadGuard {
    /// `rcu_read_unlock()`.
    #[inline]
    fn drop(&mut self) {
        lockdep::rcu_read_exit();
        // The handle is gone only during thread teardown, when its slot has
        // already been deregistered.
        let _ = READER.try_with(|r| {
            let n = r.nesting.get().saturating_sub(1);
            r.nesting.set(n);
            if n == 0 {
                // Everything read in the section happens before an updater
                // that observes the 0.
                r.slot.ctr.store(0, Ordering::Release);
            }
        });
    }
}

/// `rcu_read_lock_held()`: whether this thread is inside a read section.
pub fn rcu_read_lock_held() -> bool {
    READER.try_with(|r| r.nesting.get() > 0).unwrap_or(false)
}

/// Backs off while waiting for a reader: spin, then yield, then sleep
/// briefly. Under loom every round yields to the scheduler.
fn wait_backoff(round: &mut u32) {
    *round = round.saturating_add(1);
    #[cfg(xfrmsim_loom)]
    crate::sync::thread::yield_now();
    #[cfg(not(xfrmsim_loom))]
    match *round {
        0..=64 => crate::sync::spin_loop(),
        65..=256 => crate::sync::thread::yield_now(),
        _ => std::thread::sleep(std::time::Duration::from_micros(20)),
    }
}

/// `synchronize_rcu()`: waits for a grace period — until every read-side
/// section that began before the call has ended. Sections that begin during
/// the call are not waited for. May sleep.
///
/// Called inside a read section (which lockdep reports) it does not wait
/// for the caller's own section, where the kernel would deadlock.
pub fn synchronize_rcu() {
    lockdep::might_sleep("synchronize_rcu");
    wait_for_readers(true);
}

/// The grace period itself. `skip_own` leaves out the calling thread's own
/// open section; reclamation must never do that, since the caller may still
/// hold references into what is being freed.
fn wait_for_readers(skip_own: bool) {
    let registry = RCU.registry.clone();
    let own = if skip_own {
        READER.try_with(|r| (r.nesting.get() > 0).then(|| r.slot.clone())).ok().flatten()
    } else {
        None
    };
    fence(Ordering::SeqCst);
    let target = registry.gp.fetch_add(1, Ordering::SeqCst) + 1;
    fence(Ordering::SeqCst);
    let slots = registry.slots.lock().clone();
    for slot in &slots {
        if own.as_ref().is_some_and(|o| Arc::ptr_eq(o, slot)) {
            continue;
        }
        let mut round = 0;
        loop {
            let c = slot.ctr.load(Ordering::Acquire);
            if c == 0 || c >= target {
                break;
            }
            wait_backoff(&mut round);
        }
    }
    fence(Ordering::SeqCst);
}

/// `call_rcu()`: runs `f` after a grace period, in simulated softirq
/// context. Returns at once. See the module doc for who runs it.
pub fn call_rcu(f: impl FnOnce() + Send + 'static) {
    let state = &*RCU;
    let mut q = state.callbacks.lock();
    q.pending.push(Box::new(f));
    q.queued += 1;
    #[cfg(not(xfrmsim_loom))]
    if !q.reclaimer_started {
        q.reclaimer_started = true;
        crate::sync::thread::spawn(reclaimer);
    }
    drop(q);
    state.callbacks_cond.notify_all();
}

/// Takes the pending callbacks (the caller saw `!processing` under the
/// lock), waits a grace period and runs them.
fn process_batch(state: &RcuState, mut q: crate::sync::MutexGuard<'_, CallbackQueue>) {
    q.processing = true;
    let batch = std::mem::take(&mut q.pending);
    drop(q);
    // A full grace period, the caller's own section included: the batch
    // may free what that section still references.
    wait_for_readers(false);
    let n = batch.len() as u64;
    lockdep::softirq_enter();
    for f in batch {
        f();
    }
    lockdep::softirq_exit();
    let mut q = state.callbacks.lock();
    q.done += n;
    q.processing = false;
    drop(q);
    state.callbacks_cond.notify_all();
}

/// The background reclaimer: processes callback batches as they come.
#[cfg(not(xfrmsim_loom))]
fn reclaimer() {
    let state = &*RCU;
    loop {
        let mut q = state.callbacks.lock();
        while q.pending.is_empty() || q.processing {
            state.callbacks_cond.wait(&mut q);
        }
        process_batch(state, q);
    }
}

/// `rcu_barrier()`: waits until every callback queued by [`call_rcu`]
/// before this call has run. May sleep. As in Linux, calling it from a
/// callback or inside a read section deadlocks (lockdep reports the latter
/// first).
pub fn rcu_barrier() {
    lockdep::might_sleep("rcu_barrier");
    let state = &*RCU;
    let mut q = state.callbacks.lock();
    let target = q.queued;
    while q.done < target {
        // Under loom nobody else runs callbacks; otherwise they run on the
        // reclaimer only, never in the caller's context (it may hold locks
        // a callback takes).
        if cfg!(xfrmsim_loom) && !q.processing && !q.pending.is_empty() {
            process_batch(state, q);
            q = state.callbacks.lock();
        } else {
            state.callbacks_cond.wait(&mut q);
        }
    }
}

/// A heap value unpublished by a writer, freed by a callback after a grace
/// period. Dropping it frees the value, so a callback discarded unrun
/// (when loom tears its statics down) does not leak it.
struct Retired<V>(*mut V);

// SAFETY: the pointer is the only owner of a `Box<V>` that readers only read
// through shared references; it is sent to the reclaimer to be dropped.
unsafe impl<V: Send + Sync> Send for Retired<V> {}

impl<V> Drop for Retired<V> {
    fn drop(&mut self) {
        // SAFETY: came from `Box::into_raw`, unpublished, and owned only here.
        drop(unsafe { Box::from_raw(self.0) });
    }
}

/// Frees `old` after a grace period (`kfree_rcu`).
fn defer_free<V: Send + Sync + 'static>(old: *mut V) {
    let retired = Retired(old);
    call_rcu(move || drop(retired));
}

/// An RCU-protected list of `Arc<T>` (the `hlist_*_rcu` / `list_*_rcu`
/// family) for the km list and the socket lists.
///
/// It is a published array replaced copy-on-write: writers build a new
/// array and publish it with one pointer store (`rcu_assign_pointer`), and
/// the old array is freed after a grace period. Readers load the pointer
/// inside a read section and walk the array without locks or reference
/// counting; what they see stays valid until their guard drops. Writers are
/// serialised by an internal mutex (callers keep their own kernel lock for
/// the kernel's ordering; this one only keeps copy-on-write from losing an
/// update).
pub struct RcuList<T> {
    head: AtomicPtr<Vec<Arc<T>>>,
    writer: Mutex<()>,
    _owns: PhantomData<Vec<Arc<T>>>,
}

impl<T: Send + Sync + 'static> Default for RcuList<T> {
    fn default() -> Self {
        Self::new()
    }
}

impl<T: Send + Sync + 'static> RcuList<T> {
    /// `INIT_HLIST_HEAD` / `LIST_HEAD_INIT`: an empty list.
    pub fn new() -> Self {
        RcuList {
            head: AtomicPtr::new(Box::into_raw(Box::new(Vec::new()))),
            writer: Mutex::new(()),
            _owns: PhantomData,
        }
    }

    /// The published array, valid for the read section.
    fn current<'g>(&'g self, _guard: &'g RcuReadGuard) -> &'g [Arc<T>] {
        // SAFETY: the pointer is never null; an array is freed only after a
        // grace period that begins after it is unpublished, which waits for
        // this thread's open section (the guard), or when the list drops,
        // which the borrow of `self` prevents.
        unsafe { &*self.head.load(Ordering::Acquire) }
    }

    /// Publishes `new` in place of the current array (writer lock held).
    fn publish(&self, new: Vec<Arc<T>>) {
        let old = self.head.swap(Box::into_raw(Box::new(new)), Ordering::AcqRel);
        defer_free(old);
    }

    /// A copy of the current array for a writer (writer lock held).
    fn writer_copy(&self) -> Vec<Arc<T>> {
        let guard = rcu_read_lock();
        self.current(&guard).to_vec()
    }

    /// `hlist_add_head_rcu()`: inserts `item` first.
    pub fn add_head(&self, item: Arc<T>) {
        let _w = self.writer.lock();
        let mut v = self.writer_copy();
        v.insert(0, item);
        self.publish(v);
    }

    /// `list_add_tail_rcu()`: inserts `item` last.
    pub fn add_tail(&self, item: Arc<T>) {
        let _w = self.writer.lock();
        let mut v = self.writer_copy();
        v.push(item);
        self.publish(v);
    }

    /// `hlist_del_rcu()`: unlinks the entry that is `item` (`Arc::ptr_eq`).
    /// Readers already walking may still see it; it does not wait for them
    /// (call [`synchronize_rcu`] for that). Returns whether it was found.
    pub fn remove(&self, item: &Arc<T>) -> bool {
        let _w = self.writer.lock();
        let mut v = self.writer_copy();
        let Some(pos) = v.iter().position(|e| Arc::ptr_eq(e, item)) else { return false };
        v.remove(pos);
        self.publish(v);
        true
    }

    /// Unlinks every entry for which `f` returns false and returns them, in
    /// list order. Does not wait for readers. `f` runs with the list's
    /// writer lock held and must not modify the list.
    pub fn retain(&self, mut f: impl FnMut(&Arc<T>) -> bool) -> Vec<Arc<T>> {
        let _w = self.writer.lock();
        let (kept, removed): (Vec<_>, Vec<_>) = self.writer_copy().into_iter().partition(|e| f(e));
        if !removed.is_empty() {
            self.publish(kept);
        }
        removed
    }

    /// `hlist_for_each_entry_rcu()`: walks the list inside the read section
    /// `guard`, without locks.
    pub fn iter<'g>(&'g self, guard: &'g RcuReadGuard) -> RcuIter<'g, T> {
        RcuIter { inner: self.current(guard).iter() }
    }

    /// The entries now, counted (for writers and tests).
    pub fn snapshot(&self) -> Vec<Arc<T>> {
        let guard = rcu_read_lock();
        self.current(&guard).to_vec()
    }

    /// Number of entries now.
    pub fn len(&self) -> usize {
        let guard = rcu_read_lock();
        self.current(&guard).len()
    }

    /// `hlist_empty()`.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl<T> Drop for RcuList<T> {
    fn drop(&mut self) {
        // No reader can hold a reference: `iter` borrows the list.
        // SAFETY: came from `Box::into_raw` and is owned by the list.
        drop(unsafe { Box::from_raw(self.head.load(Ordering::Acquire)) });
    }
}

/// Iterator over an [`RcuList`] inside a read section.
pub struct RcuIter<'g, T> {
    inner: std::slice::Iter<'g, Arc<T>>,
}

impl<'g, T> Iterator for RcuIter<'g, T> {
    type Item = &'g Arc<T>;
    fn next(&mut self) -> Option<&'g Arc<T>> {
        self.inner.next()
    }
    fn size_hint(&self) -> (usize, Option<usize>) {
        self.inner.size_hint()
    }
}

impl<T> ExactSizeIterator for RcuIter<'_, T> {}

/// An RCU-published pointer to a shared `T` (an `__rcu` pointer in a
/// struct): readers `rcu_dereference` it inside a read section, writers
/// `rcu_assign_pointer` a replacement. The cell's own reference to a
/// replaced value is dropped after a grace period, so references readers
/// got stay valid until their sections end.
pub struct RcuCell<T> {
    ptr: AtomicPtr<Arc<T>>,
    _owns: PhantomData<Arc<T>>,
}

impl<T: Send + Sync + 'static> RcuCell<T> {
    /// `RCU_INIT_POINTER()`.
    pub fn new(value: Arc<T>) -> Self {
        RcuCell { ptr: AtomicPtr::new(Box::into_raw(Box::new(value))), _owns: PhantomData }
    }

    /// `rcu_dereference()`: the current value, borrowed for the section.
    pub fn rcu_dereference<'g>(&'g self, guard: &'g RcuReadGuard) -> &'g T {
        self.rcu_dereference_arc(guard)
    }

    /// `rcu_dereference()` + `refcount_inc`: a counted reference that may
    /// outlive the section.
    pub fn load(&self, guard: &RcuReadGuard) -> Arc<T> {
        Arc::clone(self.rcu_dereference_arc(guard))
    }

    fn rcu_dereference_arc<'g>(&'g self, _guard: &'g RcuReadGuard) -> &'g Arc<T> {
        // SAFETY: never null; a replaced box is freed only after a grace
        // period that waits for this section, or when the cell drops, which
        // the borrow of `self` prevents.
        unsafe { &*self.ptr.load(Ordering::Acquire) }
    }

    /// A counted reference to the current value, taking a read section
    /// internally (for writers and tests).
    pub fn get(&self) -> Arc<T> {
        let guard = rcu_read_lock();
        self.load(&guard)
    }

    /// `rcu_assign_pointer()` (`rcu_replace_pointer`): publishes `value` and
    /// returns the old one. Readers may still use the old value until a
    /// grace period passes; call [`synchronize_rcu`] before relying on it
    /// being unreachable.
    pub fn rcu_assign_pointer(&self, value: Arc<T>) -> Arc<T> {
        let old = self.ptr.swap(Box::into_raw(Box::new(value)), Ordering::AcqRel);
        // SAFETY: unpublished by this swap, freed only by `defer_free` below.
        let ret = unsafe { (*old).clone() };
        defer_free(old);
        ret
    }
}

impl<T> Drop for RcuCell<T> {
    fn drop(&mut self) {
        // SAFETY: came from `Box::into_raw`; no reader borrows the cell.
        drop(unsafe { Box::from_raw(self.ptr.load(Ordering::Acquire)) });
    }
}

#[cfg(all(test, not(xfrmsim_loom)))]
mod tests {
    use super::*;
    use crate::lockdep::{LockClassKey, LockKind, ReportKind};
    use crate::sync::atomic::{AtomicBool, AtomicUsize};

    /// Sets its flag when dropped (freed).
    struct Node {
        value: u32,
        freed: Arc<AtomicBool>,
    }

    impl Drop for Node {
        fn drop(&mut self) {
            self.freed.store(true, Ordering::SeqCst);
        }
    }

    fn node(value: u32) -> (Arc<Node>, Arc<AtomicBool>) {
        let freed = Arc::new(AtomicBool::new(false));
        (Arc::new(Node { value, freed: freed.clone() }), freed)
    }

    fn values(list: &RcuList<Node>) -> Vec<u32> {
        let g = rcu_read_lock();
        list.iter(&g).map(|n| n.value).collect()
    }

    #[test]
    fn read_sections_nest() {
        assert!(!rcu_read_lock_held());
        let outer = rcu_read_lock();
        let inner = rcu_read_lock();
        assert!(rcu_read_lock_held());
        drop(inner);
        assert!(rcu_read_lock_held());
        drop(outer);
        assert!(!rcu_read_lock_held());
        synchronize_rcu();
    }

    #[test]
    fn slot_is_freed_when_its_thread_exits() {
        let slot = std::thread::spawn(|| {
            let _g = rcu_read_lock();
            READER.with(|r| r.slot.clone())
        })
        .join()
        .unwrap();
        let registry = RCU.registry.clone();
        assert!(!registry.slots.lock().iter().any(|s| Arc::ptr_eq(s, &slot)));
        assert_eq!(slot.ctr.load(Ordering::SeqCst), 0);
    }

    #[test]
    fn synchronize_rcu_waits_for_a_reader_that_began_before_it() {
        let entered = Arc::new(std::sync::Barrier::new(2));
        let release = Arc::new(AtomicBool::new(false));
        let reader_done = Arc::new(AtomicBool::new(false));
        let (e, r, d) = (entered.clone(), release.clone(), reader_done.clone());
        let reader = std::thread::spawn(move || {
            let g = rcu_read_lock();
            e.wait();
            while !r.load(Ordering::SeqCst) {
                std::thread::yield_now();
            }
            d.store(true, Ordering::SeqCst);
            drop(g);
        });
        entered.wait();
        let d = reader_done.clone();
        let updater = std::thread::spawn(move || {
            synchronize_rcu();
            assert!(d.load(Ordering::SeqCst), "grace period ended before the reader");
        });
        // Give the updater time to start waiting before the reader ends.
        std::thread::sleep(std::time::Duration::from_millis(20));
        release.store(true, Ordering::SeqCst);
        updater.join().unwrap();
        reader.join().unwrap();
    }

    #[test]
    fn call_rcu_waits_for_readers_and_runs_in_softirq() {
        let entered = Arc::new(std::sync::Barrier::new(2));
        let release = Arc::new(AtomicBool::new(false));
        let reader_inside = Arc::new(AtomicBool::new(true));
        let (e, r, inside) = (entered.clone(), release.clone(), reader_inside.clone());
        let reader = std::thread::spawn(move || {
            let g = rcu_read_lock();
            e.wait();
            while !r.load(Ordering::SeqCst) {
                std::thread::yield_now();
            }
            inside.store(false, Ordering::SeqCst);
            drop(g);
        });
        entered.wait();
        let seen = Arc::new(Mutex::new(None));
        let (s, inside) = (seen.clone(), reader_inside.clone());
        call_rcu(move || {
            let on_caller = std::thread::current().id();
            *s.lock() = Some((inside.load(Ordering::SeqCst), lockdep::in_softirq(), on_caller));
        });
        std::thread::sleep(std::time::Duration::from_millis(20));
        release.store(true, Ordering::SeqCst);
        rcu_barrier();
        let (reader_was_inside, in_softirq, ran_on) = seen.lock().take().unwrap();
        assert!(!reader_was_inside, "callback ran inside a reader's section");
        assert!(in_softirq);
        assert_ne!(ran_on, std::thread::current().id(), "callbacks run on the reclaimer");
        reader.join().unwrap();
    }

    #[test]
    fn rcu_barrier_waits_for_every_queued_callback_in_order() {
        let log = Arc::new(Mutex::new(Vec::new()));
        for i in 0..100 {
            let l = log.clone();
            call_rcu(move || l.lock().push(i));
        }
        rcu_barrier();
        assert_eq!(*log.lock(), (0..100).collect::<Vec<_>>());
        // With nothing queued it returns at once.
        rcu_barrier();
    }

    #[test]
    fn list_add_remove_retain() {
        let list = RcuList::new();
        assert!(list.is_empty());
        let (a, _) = node(1);
        let (b, _) = node(2);
        let (c, _) = node(3);
        list.add_tail(b.clone());
        list.add_head(a.clone());
        list.add_tail(c.clone());
        assert_eq!(values(&list), vec![1, 2, 3]);
        assert_eq!(list.len(), 3);
        assert!(list.remove(&b));
        assert!(!list.remove(&b), "already unlinked");
        let (b_twin, _) = node(2);
        assert!(!list.remove(&b_twin), "identity, not value");
        assert_eq!(values(&list), vec![1, 3]);
        list.add_tail(b.clone());
        let removed = list.retain(|n| n.value != 1 && n.value != 2);
        assert_eq!(removed.iter().map(|n| n.value).collect::<Vec<_>>(), vec![1, 2]);
        assert!(Arc::ptr_eq(&removed[0], &a));
        assert_eq!(list.snapshot().len(), 1);
        assert!(list.retain(|_| true).is_empty());
        assert_eq!(values(&list), vec![3]);
    }

    #[test]
    fn removed_entry_stays_readable_until_the_reader_leaves_then_is_freed() {
        let list = Arc::new(RcuList::new());
        let (n, freed) = node(7);
        list.add_tail(n);
        let g = rcu_read_lock();
        let seen = list.iter(&g).next().unwrap();
        let l = list.clone();
        let remover = std::thread::spawn(move || {
            let victim = l.snapshot().pop().unwrap();
            assert!(l.remove(&victim));
            drop(victim);
            // Waits for the reader's section, then frees the old array.
            rcu_barrier();
        });
        while !list.is_empty() {
            std::thread::yield_now();
        }
        // Unlinked, but this section may still use what it found.
        assert_eq!(seen.value, 7);
        assert!(!freed.load(Ordering::SeqCst));
        assert_eq!(list.iter(&g).count(), 0, "a new walk no longer sees it");
        drop(g);
        remover.join().unwrap();
        assert!(freed.load(Ordering::SeqCst));
    }

    #[test]
    fn rcu_cell_publishes_and_defers_the_old_value() {
        let (first, first_freed) = node(1);
        let cell = RcuCell::new(first);
        {
            let g = rcu_read_lock();
            assert_eq!(cell.rcu_dereference(&g).value, 1);
            assert_eq!(cell.load(&g).value, 1);
        }
        let (second, _) = node(2);
        let old = cell.rcu_assign_pointer(second);
        assert_eq!(old.value, 1);
        assert_eq!(cell.get().value, 2);
        drop(old);
        rcu_barrier();
        assert!(first_freed.load(Ordering::SeqCst));
    }

    #[test]
    fn synchronize_rcu_inside_a_read_section_is_reported_and_does_not_hang() {
        static OUTER: LockClassKey =
            LockClassKey::new_test("rcu_test_outer_mutex", LockKind::Mutex);
        let outer = crate::lockdep::Mutex::new(&OUTER, ());
        let _m = outer.lock();
        let g = rcu_read_lock();
        synchronize_rcu();
        drop(g);
        let reports = lockdep::take_reports_for(&OUTER);
        assert_eq!(reports.len(), 1, "{reports:?}");
        assert_eq!(reports[0].kind, ReportKind::SleepingWhileAtomic);
        assert!(reports[0].text.contains("(synchronize_rcu)"));
        assert!(reports[0].text.contains("RCU nest depth: 1"));
    }

    #[test]
    fn correct_use_is_not_reported() {
        static OUTER: LockClassKey = LockClassKey::new_test("rcu_test_ok_mutex", LockKind::Mutex);
        static INNER: LockClassKey = LockClassKey::new_test("rcu_test_ok_spin", LockKind::SpinBh);
        let outer = crate::lockdep::Mutex::new(&OUTER, ());
        let inner = crate::lockdep::SpinLock::new(&INNER, 0);
        let _m = outer.lock();
        let list = RcuList::new();
        let (n, _) = node(1);
        {
            let _w = inner.lock_bh();
            list.add_tail(n.clone());
        }
        {
            let g = rcu_read_lock();
            let _w = inner.lock_bh();
            assert_eq!(list.iter(&g).count(), 1);
        }
        list.remove(&n);
        synchronize_rcu();
        let count = Arc::new(AtomicUsize::new(0));
        let c = count.clone();
        call_rcu(move || {
            c.fetch_add(1, Ordering::SeqCst);
        });
        rcu_barrier();
        assert_eq!(count.load(Ordering::SeqCst), 1);
        assert!(lockdep::take_reports_for(&OUTER).is_empty());
        assert!(lockdep::take_reports_for(&INNER).is_empty());
    }
}
