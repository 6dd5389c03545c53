//! The parts of a simulated task (`struct task_struct`) that the core
//! primitives need: its pending-signal state.

use crate::sync::atomic::{AtomicBool, Ordering};
use crate::sync::{Arc, Mutex};
use crate::wait::WaitQueueHead;

struct SignalInner {
    /// `TIF_SIGPENDING`.
    pending: AtomicBool,
    /// The wait queues the task sleeps on right now, so that raising a
    /// signal can wake it (`signal_wake_up`).
    sleeping_on: Mutex<Vec<Arc<WaitQueueHead>>>,
}

/// A simulated task's pending-signal flag (`signal_pending(current)`) and
/// its link to the wait queue it sleeps on. Cheap to clone: clones are the
/// same task's state, so another thread can [`raise`](Self::raise) a signal
/// for a task blocked in `wait_event_interruptible`.
#[derive(Clone)]
pub struct SignalState {
    inner: Arc<SignalInner>,
}

impl Default for SignalState {
    fn default() -> Self {
        Self::new()
    }
}

impl SignalState {
    /// A task with no signal pending.
    pub fn new() -> Self {
        SignalState {
            inner: Arc::new(SignalInner {
                pending: AtomicBool::new(false),
                sleeping_on: Mutex::new(Vec::new()),
            }),
        }
    }

    /// `signal_wake_up()` after queueing a signal: marks it pending and wakes
    /// the task if it sleeps interruptibly.
    pub fn raise(&self) {
        // Set before the wake-up: a sleeper that checks after the queue's
        // generation moved is guaranteed to see it.
        self.inner.pending.store(true, Ordering::SeqCst);
        let queues = self.inner.sleeping_on.lock().clone();
        for q in queues {
            q.wake_up_all();
        }
    }

    /// `signal_pending()`.
    pub fn pending(&self) -> bool {
        self.inner.pending.load(Ordering::SeqCst)
    }

    /// Delivers (forgets) the pending signal, as returning to user space
    /// after handling it would.
    pub fn clear(&self) {
        self.inner.pending.store(false, Ordering::SeqCst);
    }

    /// Whether the task is inside an interruptible wait right now (on some
    /// wait queue), as a debugger's view of `TASK_INTERRUPTIBLE`.
    pub fn is_sleeping(&self) -> bool {
        !self.inner.sleeping_on.lock().is_empty()
    }

    /// Records that the task sleeps on `q` until the returned guard drops.
    pub(crate) fn sleep_on(&self, q: &Arc<WaitQueueHead>) -> SleepRegistration<'_> {
        self.inner.sleeping_on.lock().push(q.clone());
        SleepRegistration { signal: self, q: q.clone() }
    }
}

/// Removes a task's wait-queue link when its wait ends.
pub(crate) struct SleepRegistration<'a> {
    signal: &'a SignalState,
    q: Arc<WaitQueueHead>,
}

impl Drop for SleepRegistration<'_> {
    fn drop(&mut self) {
        let mut v = self.signal.inner.sleeping_on.lock();
        if let Some(pos) = v.iter().position(|q| Arc::ptr_eq(q, &self.q)) {
            v.swap_remove(pos);
        }
    }
}
