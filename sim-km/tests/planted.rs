//! The planted `km_waitq` bug and its detector: a lookup sleeping for an
//! SA must be woken when the key manager installs it. With the wake-up in
//! place the lookup succeeds; with it forgotten the lookup is still asleep
//! when the task is signalled, and ends in `ERESTART`.

mod common;

use std::thread;

use common::*;
use sim_core::Errno;
use sim_core::planted::{Bug, plant};
use sim_core::sync::Arc;
use sim_core::task::SignalState;
use sim_km::FLOWI_FLAG_CAN_SLEEP;

fn blocking_lookup_after_answer() -> Result<(), Errno> {
    let k = Arc::new(kernel());
    k.set_larval_drop(0);
    let km = TestKm::new("daemon", &k.xfrm, true);
    {
        let _cfg = k.net.xfrm.xfrm_cfg_mutex.lock();
        register(&k, &km);
        k.add_policy(policy_allow());
    }
    let task = Arc::new(SignalState::new());
    let looker = {
        let (k, task) = (k.clone(), task.clone());
        thread::spawn(move || {
            let fam = sim_core::xfrm::AF_INET;
            k.xfrm.xfrm_lookup(&k.net, &flow(), fam, None, FLOWI_FLAG_CAN_SLEEP, &task).map(|_| ())
        })
    };
    let (seq, _) = km.wait_acquires(1)[0].clone();
    {
        let _cfg = k.net.xfrm.xfrm_cfg_mutex.lock();
        k.xfrm.xfrm_state_add(&k.net, &answer_state(0x77, seq, k.clock.real_seconds())).unwrap();
    }
    // A woken sleeper sees its condition before the signal; a sleeper
    // nobody woke sees only the signal.
    task.raise();
    looker.join().unwrap()
}

#[test]
fn forgotten_wake_up_is_detected_and_absent_by_default() {
    plant(Bug::NoKmWaitqWakeUp, false);
    assert_eq!(blocking_lookup_after_answer(), Ok(()));
    plant(Bug::NoKmWaitqWakeUp, true);
    assert_eq!(blocking_lookup_after_answer(), Err(Errno::ERESTART));
    plant(Bug::NoKmWaitqWakeUp, false);
}
