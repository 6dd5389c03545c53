//! The lock order the XFRM layer takes, checked against the kernel's: a
//! full acquire round trip, expiries and configuration, then the observed
//! dependencies among the XFRM classes must all be ones Linux has (or the
//! documented larval-creation lock), with no cycle.

mod common;

use std::thread;
use std::time::Duration;

use common::*;
use sim_core::lockdep;
use sim_core::task::SignalState;
use sim_km::FLOWI_FLAG_CAN_SLEEP;

/// `held -> taken` among the classes this crate touches.
const EXPECTED: &str = "\
xfrm_state_find_lock -> xfrm_state_lock
xfrm_state_find_lock -> &x->lock
&x->lock -> xfrm_state_lock
xfrm_cfg_mutex -> xfrm_state_lock
xfrm_cfg_mutex -> &x->lock
xfrm_cfg_mutex -> xfrm_policy_lock
xfrm_cfg_mutex -> xfrm_km_lock
xfrm_cfg_mutex -> xfrm_state_find_lock
";

const CLASSES: [&str; 6] = [
    "xfrm_state_find_lock",
    "xfrm_state_lock",
    "&x->lock",
    "xfrm_policy_lock",
    "xfrm_km_lock",
    "xfrm_cfg_mutex",
];

#[test]
fn xfrm_layer_lock_order_is_linux_order() {
    let k = kernel();
    k.set_larval_drop(0);
    k.set_acq_expires(5);
    let km = TestKm::new("daemon", &k.xfrm, true);
    {
        // Configuration runs under xfrm_cfg_mutex, as the front ends do.
        let _cfg = k.net.xfrm.xfrm_cfg_mutex.lock();
        register(&k, &km);
        k.add_policy(policy_allow());
    }
    let daemon = {
        let (xfrm, net, km, clock) = (k.xfrm.clone(), k.net.clone(), km.clone(), k.clock.clone());
        thread::spawn(move || {
            let (seq, _) = km.wait_acquires(1)[0].clone();
            let x = answer_state(0x77, seq, clock.real_seconds());
            x.lock_bh().lft.hard_add_expires_seconds = 60;
            let _cfg = net.xfrm.xfrm_cfg_mutex.lock();
            xfrm.xfrm_state_add(&net, &x).unwrap();
        })
    };
    let task = SignalState::new();
    let fam = sim_core::xfrm::AF_INET;
    k.xfrm.xfrm_lookup(&k.net, &flow(), fam, None, FLOWI_FLAG_CAN_SLEEP, &task).unwrap();
    daemon.join().unwrap();
    {
        let _cfg = k.net.xfrm.xfrm_cfg_mutex.lock();
        let x = k.sad_states().pop().unwrap();
        k.xfrm.xfrm_state_update(&k.net, &answer_state(0x77, 0, 0)).unwrap();
        k.xfrm.xfrm_state_delete(&k.net, &x).unwrap();
    }
    // A larval state timing out (softirq, under &x->lock).
    k.xfrm.xfrm_lookup(&k.net, &flow(), fam, None, 0, &task).unwrap_err();
    k.clock.advance(Duration::from_secs(5));
    lockdep::assert_no_reports();
    let observed = lockdep::dependency_graph().filter(|c| CLASSES.contains(&c));
    // (`&x->lock` contains the separator, so the edges are compared as
    // lines rather than through the order-file parser.)
    let expected: Vec<&str> = EXPECTED.lines().collect();
    let text = observed.to_text();
    let new: Vec<&str> = text.lines().filter(|l| !expected.contains(l)).collect();
    assert!(new.is_empty(), "new lock-order edges: {new:?}\nobserved:\n{text}");
    assert!(observed.cycles().is_empty(), "{:?}", observed.cycles());
    // The larval path and the expiry path were both exercised.
    assert!(text.contains("xfrm_state_find_lock -> xfrm_state_lock"));
    assert!(text.contains("&x->lock -> xfrm_state_lock"));
}
