//! A lock validator modelled on the kernel's lockdep
//! (`kernel/locking/lockdep.c`, `Documentation/locking/lockdep-design.rst`).
//!
//! Locks belong to *classes* ([`LockClassKey`], one static per kernel lock,
//! shared by every instance: all namespaces' `xfrm_state_lock`s are one
//! class). Every acquisition through the wrappers in [`locks`] is recorded on
//! a per-thread held-lock stack; each acquisition made while other locks are
//! held adds "held → new" edges to one global class dependency graph. A new
//! edge is checked against the graph before it is committed, so an AB-BA
//! inversion is reported the first time the second order is taken, whether
//! or not this run deadlocks.
//!
//! Reports, in the shape of the kernel's:
//! - circular locking dependency;
//! - recursive locking (a class taken again while held);
//! - sleeping while atomic (a mutex, a wait or `synchronize_rcu` under a
//!   spinlock, inside an RCU read section, or in softirq);
//! - inconsistent softirq use (a class taken in softirq and also in process
//!   context with softirqs enabled).
//!
//! Contexts are simulated per thread: [`softirq_enter`]/[`softirq_exit`]
//! (timer callbacks run between them) and [`local_bh_disable`]/
//! [`local_bh_enable`].
//!
//! The validator is switched at run time ([`set_enabled`]); when off, each
//! lock operation costs one relaxed load and a branch. Under
//! `--cfg xfrmsim_loom` it records nothing: loom's model threads share OS
//! threads, and loom checks the protocols itself.

mod graph;
pub mod locks;
pub mod order;
mod report;

use std::cell::RefCell;

use crate::sync::unmodelled::{AtomicBool, AtomicU8, AtomicU32, Ordering};

pub use locks::{
    Mutex, MutexGuard, RwLock, RwLockReadGuard, RwLockWriteGuard, SpinLock, SpinLockGuard,
};
pub use order::{OrderCheck, check_order, parse_order};
pub use report::{Report, ReportKind};

/// What kind of kernel lock a class models.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum LockKind {
    /// `spinlock_t` taken with `spin_lock` (atomic while held).
    Spin,
    /// `spinlock_t` that process context takes with `spin_lock_bh`.
    SpinBh,
    /// `struct mutex` (may sleep; process context only).
    Mutex,
    /// `rwlock_t` (atomic while held).
    RwLock,
}

impl LockKind {
    /// Whether holding such a lock makes the context atomic.
    pub const fn is_atomic(self) -> bool {
        !matches!(self, LockKind::Mutex)
    }
}

/// How a lock was taken.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum AcquireMode {
    Exclusive,
    /// `read_lock`: readers of an rwlock share it, so read-after-read of one
    /// class is not recursive locking.
    Shared,
}

const USED_IN_SOFTIRQ: u8 = 1;
const ENABLED_SOFTIRQ: u8 = 2;
const USAGE_REPORTED: u8 = 4;

/// A lock class: the static key every instance of one kernel lock shares
/// (`struct lock_class_key`).
#[derive(Debug)]
pub struct LockClassKey {
    name: &'static str,
    kind: LockKind,
    /// A kernel lock (as opposed to one a test made up): only these go to
    /// the exported edge list of the lock-order gate.
    kernel: bool,
    id: AtomicU32,
    usage: AtomicU8,
}

impl LockClassKey {
    /// A class for a `static`: `static XFRM_STATE_LOCK: LockClassKey =
    /// LockClassKey::new("xfrm_state_lock", LockKind::SpinBh);`
    pub const fn new(name: &'static str, kind: LockKind) -> Self {
        LockClassKey { name, kind, kernel: true, id: AtomicU32::new(0), usage: AtomicU8::new(0) }
    }

    /// A class a test makes up: validated like any other, but left out of
    /// the lock-order gate's exported edges.
    pub const fn new_test(name: &'static str, kind: LockKind) -> Self {
        LockClassKey { name, kind, kernel: false, id: AtomicU32::new(0), usage: AtomicU8::new(0) }
    }

    /// A class created at run time (tests that plant bugs use fresh classes
    /// so they do not disturb each other's graph). The key is leaked, as
    /// kernel lock classes are never freed.
    pub fn new_leaked(name: &str, kind: LockKind) -> &'static LockClassKey {
        let name: &'static str = Box::leak(name.to_owned().into_boxed_str());
        Box::leak(Box::new(LockClassKey::new_test(name, kind)))
    }

    pub fn name(&self) -> &'static str {
        self.name
    }

    pub fn kind(&self) -> LockKind {
        self.kind
    }

    /// The class id, registering the class on first use.
    fn id(&'static self) -> u32 {
        match self.id.load(Ordering::Acquire) {
            0 => graph::register(self),
            id => id,
        }
    }
}

static ENABLED: AtomicBool = AtomicBool::new(true);

/// Switches the validator on or off for every thread. Locks taken while it
/// was off are not on the held stack, so switching mid-section is safe.
pub fn set_enabled(on: bool) {
    ENABLED.store(on, Ordering::Relaxed);
}

/// Whether acquisitions are being recorded.
#[inline(always)]
pub fn enabled() -> bool {
    !cfg!(xfrmsim_loom) && ENABLED.load(Ordering::Relaxed)
}

/// One entry of a thread's held-lock stack.
#[derive(Clone, Copy, Debug)]
struct HeldLock {
    class: &'static LockClassKey,
    id: u32,
    mode: AcquireMode,
}

/// The simulated CPU context of one thread (`preempt_count` and friends).
#[derive(Default)]
struct TaskState {
    held: Vec<HeldLock>,
    softirq: u32,
    bh_disabled: u32,
    rcu_depth: u32,
    /// Edges already committed to the graph, so the hot path skips the
    /// global lock for orders it has seen.
    known_edges: std::collections::HashSet<(u32, u32)>,
}

crate::sync::unmodelled::thread_local! {
    static TASK: RefCell<TaskState> = RefCell::new(TaskState::default());
}

fn with_task<R>(f: impl FnOnce(&mut TaskState) -> R) -> R {
    TASK.with(|t| f(&mut t.borrow_mut()))
}

/// Enters simulated softirq context (timer callbacks, the receive path).
pub fn softirq_enter() {
    with_task(|t| t.softirq += 1);
}

/// Leaves simulated softirq context.
pub fn softirq_exit() {
    with_task(|t| t.softirq = t.softirq.saturating_sub(1));
}

/// `local_bh_disable()`: softirqs cannot run on this simulated CPU.
pub fn local_bh_disable() {
    with_task(|t| t.bh_disabled += 1);
}

/// `local_bh_enable()`.
pub fn local_bh_enable() {
    with_task(|t| t.bh_disabled = t.bh_disabled.saturating_sub(1));
}

/// `in_serving_softirq()`.
pub fn in_softirq() -> bool {
    with_task(|t| t.softirq > 0)
}

/// Whether sleeping is forbidden here (`in_atomic()` or an RCU read side).
pub fn in_atomic() -> bool {
    with_task(|t| {
        t.softirq > 0 || t.rcu_depth > 0 || t.held.iter().any(|h| h.class.kind.is_atomic())
    })
}

/// Called by `rcu_read_lock()`: an RCU read-side section begins.
pub fn rcu_read_enter() {
    if enabled() {
        with_task(|t| t.rcu_depth += 1);
    }
}

/// Called by `rcu_read_unlock()`.
pub fn rcu_read_exit() {
    if enabled() {
        with_task(|t| t.rcu_depth = t.rcu_depth.saturating_sub(1));
    }
}

/// `might_sleep()`: reports "sleeping function called from invalid context"
/// if this thread holds a spinlock, is in softirq or inside an RCU read
/// section. `what` names the sleeping call.
pub fn might_sleep(what: &'static str) {
    if !enabled() {
        return;
    }
    let bad = with_task(|t| {
        let atomic_lock = t.held.iter().rev().find(|h| h.class.kind.is_atomic()).map(|h| h.class);
        if t.softirq > 0 || t.rcu_depth > 0 || atomic_lock.is_some() {
            Some((t.softirq, t.rcu_depth, atomic_lock, held_names(t)))
        } else {
            None
        }
    });
    if let Some((softirq, rcu, lock, held)) = bad {
        report::sleeping_while_atomic(what, softirq > 0, rcu, lock.map(|c| c.name), &held);
    }
}

fn held_names(t: &TaskState) -> Vec<&'static str> {
    t.held.iter().map(|h| h.class.name).collect()
}

/// Number of locks this thread holds through the wrappers (for tests).
pub fn held_count() -> usize {
    with_task(|t| t.held.len())
}

/// Records an acquisition; returns whether it was recorded (and so must be
/// popped on release).
#[inline]
fn acquire(class: &'static LockClassKey, mode: AcquireMode, bh_safe: bool) -> bool {
    if !enabled() {
        return false;
    }
    acquire_slow(class, mode, bh_safe);
    true
}

fn acquire_slow(class: &'static LockClassKey, mode: AcquireMode, bh_safe: bool) {
    // `--trace` shows the locks each kernel path takes.
    tracing::trace!(target: "lockdep", class = class.name, "lock");
    let id = class.id();
    if class.kind == LockKind::Mutex {
        might_sleep(class.name);
    }
    // Fast path: nothing held, so no edge and no recursion to check; only
    // the usage state, which is usually recorded already.
    let fast = with_task(|t| {
        if !t.held.is_empty() {
            return false;
        }
        let softirq = t.softirq > 0;
        let bh_on = !softirq && t.bh_disabled == 0 && !bh_safe;
        if usage_known(class, softirq, bh_on) {
            t.held.push(HeldLock { class, id, mode });
            return true;
        }
        false
    });
    if !fast {
        acquire_checked(class, id, mode, bh_safe);
    }
}

fn acquire_checked(class: &'static LockClassKey, id: u32, mode: AcquireMode, bh_safe: bool) {
    // Steady state: every order from the held locks is known, no recursion,
    // usage recorded — push and go, without allocating.
    let settled = with_task(|t| {
        let recursive = t
            .held
            .iter()
            .any(|h| h.id == id && !(h.mode == AcquireMode::Shared && mode == AcquireMode::Shared));
        let new_edge = t.held.iter().any(|h| h.id != id && !t.known_edges.contains(&(h.id, id)));
        let softirq = t.softirq > 0;
        let bh_on = !softirq && t.bh_disabled == 0 && !bh_safe;
        if !recursive && !new_edge && usage_known(class, softirq, bh_on) {
            t.held.push(HeldLock { class, id, mode });
            true
        } else {
            false
        }
    });
    if !settled {
        acquire_new(class, id, mode, bh_safe);
    }
}

/// An acquisition that may report or add edges to the graph.
#[cold]
#[inline(never)]
fn acquire_new(class: &'static LockClassKey, id: u32, mode: AcquireMode, bh_safe: bool) {
    let (new_edges, recursive, softirq, bh_on, held) = with_task(|t| {
        let recursive = t
            .held
            .iter()
            .find(|h| h.id == id && !(h.mode == AcquireMode::Shared && mode == AcquireMode::Shared))
            .map(|h| h.class);
        let new_edges: Vec<HeldLock> = t
            .held
            .iter()
            .filter(|h| h.id != id && !t.known_edges.contains(&(h.id, id)))
            .copied()
            .collect();
        let softirq = t.softirq > 0;
        let bh_on = !softirq && t.bh_disabled == 0 && !bh_safe;
        (new_edges, recursive, softirq, bh_on, held_names(t))
    });
    if let Some(prev) = recursive {
        report::recursive_locking(class, prev, &held);
    }
    check_usage(class, softirq, bh_on);
    for prev in new_edges {
        graph::add_edge(prev.class, prev.id, class, id, &held);
        with_task(|t| t.known_edges.insert((prev.id, id)));
    }
    with_task(|t| t.held.push(HeldLock { class, id, mode }));
}

/// Whether this acquisition's usage bit is already recorded (a plain load,
/// so the common case does no atomic read-modify-write).
#[inline]
fn usage_known(class: &LockClassKey, softirq: bool, bh_on: bool) -> bool {
    if !class.kind.is_atomic() {
        return true;
    }
    let bit = if softirq {
        USED_IN_SOFTIRQ
    } else if bh_on {
        ENABLED_SOFTIRQ
    } else {
        return true;
    };
    class.usage.load(Ordering::Relaxed) & bit != 0
}

/// Softirq usage state: a class used in softirq and also taken with
/// softirqs enabled in process context can deadlock against itself.
fn check_usage(class: &'static LockClassKey, softirq: bool, bh_on: bool) {
    if !class.kind.is_atomic() {
        return;
    }
    let bit = if softirq {
        USED_IN_SOFTIRQ
    } else if bh_on {
        ENABLED_SOFTIRQ
    } else {
        return;
    };
    let old = class.usage.fetch_or(bit, Ordering::Relaxed);
    let both =
        (old | bit) & (USED_IN_SOFTIRQ | ENABLED_SOFTIRQ) == USED_IN_SOFTIRQ | ENABLED_SOFTIRQ;
    if both && old & USAGE_REPORTED == 0 {
        let prev = class.usage.fetch_or(USAGE_REPORTED, Ordering::Relaxed);
        if prev & USAGE_REPORTED == 0 {
            let held = with_task(|t| held_names(t));
            report::inconsistent_softirq(class, softirq, &held);
        }
    }
}

/// Records a release.
#[inline]
fn release(class: &'static LockClassKey) {
    with_task(|t| {
        // Locks may be released out of order; drop the newest matching entry.
        if let Some(pos) = t.held.iter().rposition(|h| std::ptr::eq(h.class, class)) {
            t.held.remove(pos);
        }
    });
}

/// Takes every report made so far (all threads).
pub fn take_reports() -> Vec<Report> {
    report::take(|_| true)
}

/// Takes the reports that name `class` (tests that plant a bug on their own
/// classes use this so that parallel tests do not see each other's reports).
pub fn take_reports_for(class: &LockClassKey) -> Vec<Report> {
    report::take(|r| r.classes.contains(&class.name))
}

/// Panics with the reports' text if any report was made.
pub fn assert_no_reports() {
    let r = take_reports();
    assert!(
        r.is_empty(),
        "lockdep reported:\n{}",
        r.iter().map(|r| r.text.as_str()).collect::<String>()
    );
}

/// Whether to print reports to stderr as they are made (as the kernel logs
/// them). Off by default so test output stays readable.
pub fn set_print_reports(on: bool) {
    report::PRINT.store(on, Ordering::Relaxed);
}

/// The observed class dependency graph.
pub fn dependency_graph() -> graph::Graph {
    graph::snapshot()
}

pub use graph::Graph;

#[cfg(all(test, not(xfrmsim_loom)))]
mod tests;
