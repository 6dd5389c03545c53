//! The larval/`km_waitq` protocol under loom, on the real per-namespace
//! data of sim-km ([`XfrmKmNet`]: the SAD, `km_waitq` and its wake-up
//! counter, the larval-creation lock). The whole `xfrm_lookup` (policy
//! lookup, namespaces, key-manager list) is too big for exhaustive
//! search, so each model drives the same primitives and the same steps the
//! lookup takes.
#![cfg(xfrmsim_loom)]

use sim_core::sync::atomic::{AtomicUsize, Ordering};
use sim_core::sync::{Arc, thread};
use sim_core::task::SignalState;
use sim_core::xfrm::state::IPPROTO_ESP;
use sim_core::xfrm::state_table::{FindAcq, XfrmExpiryHook};
use sim_core::xfrm::{AF_INET, XfrmAddress, XfrmKmState, XfrmMark, XfrmState, XfrmStateInfo};
use sim_km::XfrmKmNet;

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

fn find_acq(net: &XfrmKmNet, create: bool) -> Option<Arc<XfrmState>> {
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
    net.sad.xfrm_find_acq(&a, create, 0)
}

/// `xfrm_state_find`'s miss path: scan; on a miss, under the creation lock
/// rescan, "km_query" (count an acquire) and insert the larval state.
fn miss(net: &XfrmKmNet, acquires: &AtomicUsize) {
    if find_acq(net, false).is_some() {
        return;
    }
    let _g = net.find_lock_for_models();
    if find_acq(net, false).is_some() {
        return;
    }
    acquires.fetch_add(1, Ordering::SeqCst);
    find_acq(net, true);
}

#[test]
fn two_misses_make_one_larval_state_and_one_acquire() {
    model(|| {
        let net = Arc::new(XfrmKmNet::new());
        let acquires = Arc::new(AtomicUsize::new(0));
        let (n2, a2) = (net.clone(), acquires.clone());
        let t = thread::spawn(move || miss(&n2, &a2));
        miss(&net, &acquires);
        t.join().unwrap();
        assert_eq!(acquires.load(Ordering::SeqCst), 1);
        assert_eq!(net.sad.len(), 1);
    });
}

#[test]
fn sleeper_is_woken_by_the_insert_and_its_restart_hits() {
    model(|| {
        let net = Arc::new(XfrmKmNet::new());
        let n2 = net.clone();
        let km = thread::spawn(move || {
            // The key manager's answer: insert, then wake km_waitq.
            n2.sad.xfrm_state_add(&answer(0x100, 0)).unwrap();
            n2.km_waitq_wake_up();
        });
        let task = SignalState::new();
        loop {
            // As xfrm_lookup: read the wake-up count, then resolve.
            let seen = net.km_waitq_events();
            if net.sad.xfrm_state_lookup(0, &d(), 0x100, IPPROTO_ESP, AF_INET).is_some() {
                break;
            }
            // A lost wake-up leaves this asleep forever (loom: deadlock).
            net.km_waitq
                .wait_event_interruptible(&task, || net.km_waitq_events() != seen)
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
        let net = Arc::new(XfrmKmNet::new());
        net.sad.set_acq_expires(30);
        let larval = find_acq(&net, true).unwrap();
        let hook = Arc::new(Hook(AtomicUsize::new(0)));
        let (n2, l2, h2) = (net.clone(), larval.clone(), hook.clone());
        let timer = thread::spawn(move || {
            // The larval timer fires (30 s later).
            n2.sad.xfrm_timer_handler(&l2, 30, &*h2);
            n2.km_waitq_wake_up();
        });
        // The key manager's ADD completes the larval state.
        let answer = answer(0x200, 0);
        net.sad.xfrm_state_add(&answer).unwrap();
        net.km_waitq_wake_up();
        timer.join().unwrap();
        // Exactly one of them removed the larval state: the timer reports it
        // only if it won.
        assert_eq!(larval.km_state(), XfrmKmState::Dead);
        assert!(hook.0.load(Ordering::SeqCst) <= 1);
        // A woken lookup sees the answer, and only it.
        let states = net.sad.states();
        assert_eq!(states.len(), 1);
        assert!(Arc::ptr_eq(&states[0], &answer));
        assert_eq!(net.km_waitq_events(), 2);
    });
}
