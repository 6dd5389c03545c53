//! The larval/`km_waitq` protocol under loom, on the real SAD
//! (`StateTable`) and wait queue. sim-netns and sim-km do not build under
//! loom (loom's `Arc` cannot coerce to trait objects), and the whole
//! `xfrm_lookup` would be too big for exhaustive search anyway, so each
//! model runs the steps sim-km takes on the same primitives: the SAD, a
//! `WaitQueue` for `km_waitq` with the wake-up counter read before
//! resolving, and the BH spinlock that makes larval creation atomic.
#![cfg(xfrmsim_loom)]

use sim_core::lockdep::{LockClassKey, LockKind, SpinLock, SpinLockGuard};
use sim_core::sync::atomic::AtomicU64;
use sim_core::sync::atomic::{AtomicUsize, Ordering};
use sim_core::sync::{Arc, thread};
use sim_core::task::SignalState;
use sim_core::wait::WaitQueue;
use sim_core::xfrm::StateTable;
use sim_core::xfrm::state::IPPROTO_ESP;
use sim_core::xfrm::state_table::{FindAcq, XfrmExpiryHook};
use sim_core::xfrm::{AF_INET, XfrmAddress, XfrmKmState, XfrmMark, XfrmState, XfrmStateInfo};

static XFRM_STATE_FIND_LOCK: LockClassKey =
    LockClassKey::new("xfrm_state_find_lock", LockKind::SpinBh);

/// `net->xfrm.state_*` and `km_waitq`.
struct NetnsXfrm {
    state: StateTable,
    km_waitq: WaitQueue,
}

/// sim-km's per-namespace part: the wake-up count and the creation lock.
struct XfrmKmNet {
    waitq_events: AtomicU64,
    find_lock: SpinLock<()>,
}

impl XfrmKmNet {
    /// `XfrmKmNet::km_waitq_wake_up`.
    fn km_waitq_wake_up(&self, nx: &NetnsXfrm) {
        self.waitq_events.fetch_add(1, Ordering::SeqCst);
        nx.km_waitq.wake_up();
    }
    fn km_waitq_events(&self) -> u64 {
        self.waitq_events.load(Ordering::SeqCst)
    }
    fn find_lock_for_models(&self) -> SpinLockGuard<'_, ()> {
        self.find_lock.lock_bh()
    }
}

/// One namespace's XFRM objects.
struct Ns {
    x: NetnsXfrm,
    km: XfrmKmNet,
}

fn ns() -> Arc<Ns> {
    Arc::new(Ns {
        x: NetnsXfrm { state: StateTable::new(), km_waitq: WaitQueue::new() },
        km: XfrmKmNet {
            waitq_events: AtomicU64::new(0),
            find_lock: SpinLock::new(&XFRM_STATE_FIND_LOCK, ()),
        },
    })
}

fn model(f: impl Fn() + Sync + Send + 'static) {
    let mut b = loom::model::Builder::new();
    b.preemption_bound = Some(2);
    b.check(f);
}

fn d() -> XfrmAddress {
    XfrmAddress::from_v4_u32(0x0a00_0002)
}
fn s() -> XfrmAddress {
    XfrmAddress::from_v4_u32(0x0a00_0001)
}

fn answer(spi: u32, seq: u32) -> Arc<XfrmState> {
    let mut info = XfrmStateInfo::new(AF_INET, d(), s(), spi, IPPROTO_ESP);
    info.reqid = 1;
    info.seq = seq;
    let x = Arc::new(XfrmState::new(info, 0));
    x.set_km_state(XfrmKmState::Valid);
    x
}

fn find_acq(net: &Ns, create: bool) -> Option<Arc<XfrmState>> {
    let (da, sa) = (d(), s());
    let a = FindAcq {
        mark: XfrmMark::default(),
        mode: 0,
        reqid: 1,
        if_id: 0,
        pcpu_num: u32::MAX,
        proto: IPPROTO_ESP,
        daddr: &da,
        saddr: &sa,
        family: AF_INET,
    };
    net.x.state.xfrm_find_acq(&a, create, 0)
}

/// `xfrm_state_find`'s miss path: scan; on a miss, under the creation lock
/// rescan, "km_query" (count an acquire) and insert the larval state.
fn miss(net: &Ns, acquires: &AtomicUsize) {
    if find_acq(net, false).is_some() {
        return;
    }
    let _g = net.km.find_lock_for_models();
    if find_acq(net, false).is_some() {
        return;
    }
    acquires.fetch_add(1, Ordering::SeqCst);
    find_acq(net, true);
}

#[test]
fn two_misses_make_one_larval_state_and_one_acquire() {
    model(|| {
        let net = ns();
        let acquires = Arc::new(AtomicUsize::new(0));
        let (n2, a2) = (net.clone(), acquires.clone());
        let t = thread::spawn(move || miss(&n2, &a2));
        miss(&net, &acquires);
        t.join().unwrap();
        assert_eq!(acquires.load(Ordering::SeqCst), 1);
        assert_eq!(net.x.state.len(), 1);
    });
}

#[test]
fn sleeper_is_woken_by_the_insert_and_its_restart_hits() {
    model(|| {
        let net = ns();
        let n2 = net.clone();
        let km = thread::spawn(move || {
            // The key manager's answer: insert, then wake km_waitq.
            n2.x.state.xfrm_state_add(&answer(0x100, 0)).unwrap();
            n2.km.km_waitq_wake_up(&n2.x);
        });
        let task = SignalState::new();
        loop {
            // As xfrm_lookup: read the wake-up count, then resolve.
            let seen = net.km.km_waitq_events();
            if net.x.state.xfrm_state_lookup(0, &d(), 0x100, IPPROTO_ESP, AF_INET).is_some() {
                break;
            }
            // A lost wake-up leaves this asleep forever (loom: deadlock).
            net.x
                .km_waitq
                .wait_event_interruptible(&task, || net.km.km_waitq_events() != seen)
                .unwrap();
        }
        km.join().unwrap();
    });
}

struct Hook(AtomicUsize);

impl XfrmExpiryHook for Hook {
    type Policy = ();
    fn state_expired(&self, x: &Arc<XfrmState>, hard: bool) {
        assert!(hard);
        assert_eq!(x.km_state(), XfrmKmState::Dead);
        self.0.fetch_add(1, Ordering::SeqCst);
    }
    fn policy_expired(&self, _xp: &(), _dir: u8, _hard: bool) {}
}

#[test]
fn larval_expiry_racing_the_answer() {
    model(|| {
        let net = ns();
        net.x.state.set_acq_expires(30);
        let larval = find_acq(&net, true).unwrap();
        let hook = Arc::new(Hook(AtomicUsize::new(0)));
        let (n2, l2, h2) = (net.clone(), larval.clone(), hook.clone());
        let timer = thread::spawn(move || {
            // The larval timer fires (30 s later).
            n2.x.state.xfrm_timer_handler(&l2, 30, &*h2);
            n2.km.km_waitq_wake_up(&n2.x);
        });
        // The key manager's ADD completes the larval state.
        let answer = answer(0x200, 0);
        net.x.state.xfrm_state_add(&answer).unwrap();
        net.km.km_waitq_wake_up(&net.x);
        timer.join().unwrap();
        // Exactly one of them removed the larval state: the timer reports it
        // only if it won.
        assert_eq!(larval.km_state(), XfrmKmState::Dead);
        assert!(hook.0.load(Ordering::SeqCst) <= 1);
        // A woken lookup sees the answer, and only it.
        let states = net.x.state.states();
        assert_eq!(states.len(), 1);
        assert!(Arc::ptr_eq(&states[0], &answer));
        assert_eq!(net.km.km_waitq_events(), 2);
    });
}
