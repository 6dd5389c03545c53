//! Minimal private stand-ins for `sim_core::rcu`, `sim_core::time`,
//! `sim_core::wait` and `sim-netns`, written against the names those
//! modules publish. This module is deleted once they are available.

#![allow(dead_code)]

pub mod rcu {
    //! Stand-in for `sim_core::rcu`: a global reader count is a valid (if
    //! coarse) grace period: `synchronize_rcu` waits until no reader runs.

    use sim_core::sync::atomic::{AtomicUsize, Ordering};
    use sim_core::sync::{Arc, Mutex};
    use std::cell::Cell;

    sim_core::sim_lazy_static! {
        static ref READERS: AtomicUsize = AtomicUsize::new(0);
    }
    sim_core::sim_thread_local! {
        static DEPTH: Cell<usize> = const { Cell::new(0) };
    }

    /// `rcu_read_lock()` guard.
    pub struct RcuReadGuard(());

    /// `rcu_read_lock()`.
    pub fn rcu_read_lock() -> RcuReadGuard {
        sim_core::lockdep::rcu_read_enter();
        DEPTH.with(|d| {
            if d.get() == 0 {
                READERS.fetch_add(1, Ordering::SeqCst);
            }
            d.set(d.get() + 1);
        });
        RcuReadGuard(())
    }

    impl Drop for RcuReadGuard {
        fn drop(&mut self) {
            DEPTH.with(|d| {
                d.set(d.get() - 1);
                if d.get() == 0 {
                    READERS.fetch_sub(1, Ordering::SeqCst);
                }
            });
            sim_core::lockdep::rcu_read_exit();
        }
    }

    /// `synchronize_rcu()`.
    pub fn synchronize_rcu() {
        sim_core::lockdep::might_sleep("synchronize_rcu");
        while READERS.load(Ordering::SeqCst) != 0 {
            sim_core::sync::thread::yield_now();
        }
    }

    /// An RCU-protected list of `Arc<T>` (copy-on-write snapshot).
    pub struct RcuList<T> {
        items: sim_core::sync::ArcCell<Vec<Arc<T>>>,
        writer: Mutex<()>,
    }

    impl<T> Default for RcuList<T> {
        fn default() -> Self {
            Self::new()
        }
    }

    impl<T> RcuList<T> {
        pub fn new() -> Self {
            RcuList {
                items: sim_core::sync::ArcCell::new(Arc::new(Vec::new())),
                writer: Mutex::new(()),
            }
        }
        fn update(&self, f: impl FnOnce(&mut Vec<Arc<T>>)) {
            let _w = self.writer.lock();
            let mut v: Vec<Arc<T>> = self.items.load().iter().cloned().collect();
            f(&mut v);
            self.items.store(Arc::new(v));
        }
        pub fn add_head(&self, x: Arc<T>) {
            self.update(|v| v.insert(0, x));
        }
        pub fn add_tail(&self, x: Arc<T>) {
            self.update(|v| v.push(x));
        }
        pub fn remove(&self, x: &Arc<T>) -> bool {
            let mut found = false;
            self.update(|v| {
                if let Some(p) = v.iter().position(|y| Arc::ptr_eq(x, y)) {
                    v.remove(p);
                    found = true;
                }
            });
            found
        }
        pub fn snapshot(&self) -> Vec<Arc<T>> {
            self.items.load().iter().cloned().collect()
        }
        /// Runs `f` on every element under the caller's read guard.
        pub fn for_each(&self, _g: &RcuReadGuard, mut f: impl FnMut(&Arc<T>)) {
            self.items.with(|v| v.iter().for_each(&mut f));
        }
        pub fn len(&self) -> usize {
            self.items.with(|v| v.len())
        }
        pub fn is_empty(&self) -> bool {
            self.len() == 0
        }
    }
}

pub mod time {
    //! Stand-in for `sim_core::time::Clock`.
    use sim_core::sync::Mutex;
    use std::time::{Duration, Instant};

    /// The kernel's clock: virtual (advanced by the test) or real.
    pub struct Clock {
        virt: Option<Mutex<Duration>>,
        start: Instant,
    }

    impl Clock {
        pub fn new_virtual() -> Self {
            Clock { virt: Some(Mutex::new(Duration::ZERO)), start: Instant::now() }
        }
        pub fn new_real() -> Self {
            Clock { virt: None, start: Instant::now() }
        }
        pub fn now(&self) -> Duration {
            match &self.virt {
                Some(v) => *v.lock(),
                None => self.start.elapsed(),
            }
        }
        pub fn advance(&self, d: Duration) {
            if let Some(v) = &self.virt {
                *v.lock() += d;
            }
        }
    }
}

pub mod wait {
    //! Stand-in for `sim_core::wait::WaitQueue`.
    use sim_core::sync::atomic::{AtomicBool, AtomicU64, Ordering};
    use sim_core::sync::{Condvar, Mutex};
    use sim_core::{Errno, KResult};
    use std::time::Duration;

    /// A task's pending-signal flag.
    #[derive(Default)]
    pub struct TaskSignal {
        pending: AtomicBool,
    }

    impl TaskSignal {
        pub fn raise(&self) {
            self.pending.store(true, Ordering::SeqCst);
        }
        pub fn clear(&self) {
            self.pending.store(false, Ordering::SeqCst);
        }
        pub fn pending(&self) -> bool {
            self.pending.load(Ordering::SeqCst)
        }
    }

    /// `wait_queue_head_t`.
    #[derive(Default)]
    pub struct WaitQueue {
        generation: AtomicU64,
        lock: Mutex<()>,
        cv: Condvar,
    }

    impl WaitQueue {
        pub fn new() -> Self {
            Self::default()
        }
        /// `wake_up_all()`.
        pub fn wake_up_all(&self) {
            self.generation.fetch_add(1, Ordering::SeqCst);
            let _g = self.lock.lock();
            self.cv.notify_all();
        }
        /// `wake_up()`.
        pub fn wake_up(&self) {
            self.wake_up_all();
        }
        /// `wait_event_interruptible()`: `ERESTARTSYS` when a signal is pending.
        pub fn wait_event_interruptible(
            &self,
            sig: &TaskSignal,
            mut cond: impl FnMut() -> bool,
        ) -> KResult<()> {
            sim_core::lockdep::might_sleep("wait_event_interruptible");
            loop {
                if cond() {
                    return Ok(());
                }
                if sig.pending() {
                    return Err(Errno::ERESTARTSYS);
                }
                let mut g = self.lock.lock();
                let seen = self.generation.load(Ordering::SeqCst);
                if cond() {
                    return Ok(());
                }
                if self.generation.load(Ordering::SeqCst) == seen {
                    // Signals do not know this queue: poll for them.
                    self.cv.wait_for(&mut g, Duration::from_millis(5));
                }
            }
        }
    }
}

pub mod netns {
    //! Stand-in for `sim-netns`: `Net`, the registry, user namespaces,
    //! credentials and capabilities.
    use sim_core::sync::atomic::{AtomicU64, Ordering};
    use sim_core::sync::{Arc, Mutex};

    /// `CAP_NET_BROADCAST`.
    pub const CAP_NET_BROADCAST: u32 = 11;
    /// `CAP_NET_ADMIN`.
    pub const CAP_NET_ADMIN: u32 = 12;

    /// `struct user_namespace`.
    pub struct UserNs {
        pub parent: Option<Arc<UserNs>>,
        pub owner: u32,
    }

    impl UserNs {
        pub fn init() -> Arc<UserNs> {
            Arc::new(UserNs { parent: None, owner: 0 })
        }
    }

    /// `struct cred`: ids, effective capabilities and user namespace.
    #[derive(Clone)]
    pub struct Cred {
        pub uid: u32,
        pub gid: u32,
        pub cap_effective: u64,
        pub user_ns: Arc<UserNs>,
    }

    impl Cred {
        /// `cap_capable()` / `ns_capable()`: the capability over `target`.
        pub fn ns_capable(&self, target: &Arc<UserNs>, cap: u32) -> bool {
            let mut ns = Some(target.clone());
            while let Some(n) = ns {
                if Arc::ptr_eq(&n, &self.user_ns) {
                    return self.cap_effective & (1u64 << cap) != 0;
                }
                if let Some(p) = &n.parent
                    && Arc::ptr_eq(p, &self.user_ns)
                    && n.owner == self.uid
                {
                    return true;
                }
                ns = n.parent.clone();
            }
            false
        }
    }

    /// `struct net`.
    pub struct Net {
        id: u64,
        user_ns: Arc<UserNs>,
    }

    impl Net {
        pub fn id(&self) -> u64 {
            self.id
        }
        pub fn user_ns(&self) -> &Arc<UserNs> {
            &self.user_ns
        }
    }

    /// The namespace registry (`net_namespace_list`).
    pub struct NetRegistry {
        next: AtomicU64,
        nets: Mutex<Vec<Arc<Net>>>,
        init: Arc<Net>,
    }

    impl NetRegistry {
        pub fn new(user_ns: Arc<UserNs>) -> Self {
            let init = Arc::new(Net { id: 1, user_ns });
            NetRegistry { next: AtomicU64::new(2), nets: Mutex::new(vec![init.clone()]), init }
        }
        pub fn init_net(&self) -> &Arc<Net> {
            &self.init
        }
        pub fn create(&self, user_ns: Arc<UserNs>) -> Arc<Net> {
            let net = Arc::new(Net { id: self.next.fetch_add(1, Ordering::SeqCst), user_ns });
            self.nets.lock().push(net.clone());
            net
        }
        pub fn remove(&self, net: &Arc<Net>) -> bool {
            let mut v = self.nets.lock();
            let before = v.len();
            v.retain(|n| !Arc::ptr_eq(n, net));
            before != v.len()
        }
        pub fn all(&self) -> Vec<Arc<Net>> {
            self.nets.lock().clone()
        }
    }
}
