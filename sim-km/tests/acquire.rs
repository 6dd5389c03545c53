//! The acquire path end to end: lookups that miss, larval states, key
//! managers answering (or not), sleeping on `km_waitq`, signals, larval
//! expiry, and the non-blocking behaviour of current kernels.

mod common;

use std::thread;
use std::time::Duration;

use common::*;
use sim_core::Errno;
use sim_core::lockdep;
use sim_core::sync::Arc;
use sim_core::sync::atomic::{AtomicBool, Ordering};
use sim_core::task::SignalState;
use sim_core::xfrm::XfrmKmState;
use sim_core::xfrm::policy::XFRM_POLICY_BLOCK;
use sim_km::xfrm_msg::XFRM_MSG_EXPIRE;
use sim_km::{FLOWI_FLAG_CAN_SLEEP, LinuxMibXfrm, XFRM_LOOKUP_QUEUE, XfrmDst, XfrmLookupMode};

fn bundle_spis(d: &XfrmDst) -> Vec<u32> {
    match d {
        XfrmDst::Bundle(b) => b.iter().map(|x| x.spi()).collect(),
        other => panic!("expected a bundle, got {other:?}"),
    }
}

#[test]
fn blocking_lookup_wakes_and_succeeds() {
    let (k, km) = kernel_with_km("daemon", true);

    let daemon = {
        let (xfrm, net, km, clock) = (k.xfrm.clone(), k.net.clone(), km.clone(), k.clock.clone());
        thread::spawn(move || {
            let acq = km.wait_acquires(1);
            let (seq, info) = &acq[0];
            // The larval state carries the flow as its selector and the
            // acquire's sequence number.
            assert_eq!(info.sel.dport, 80);
            assert_eq!(info.sel.sport, 1234);
            assert_eq!(info.seq, *seq);
            xfrm.xfrm_state_add(&net, &answer_state(0x1000, *seq, clock.real_seconds()))
        })
    };
    let task = SignalState::new();
    let dst = k
        .xfrm
        .xfrm_lookup(&k.net, &flow(), sim_core::xfrm::AF_INET, None, FLOWI_FLAG_CAN_SLEEP, &task)
        .expect("lookup");
    assert_eq!(daemon.join().unwrap(), Ok(()));
    assert_eq!(bundle_spis(&dst), vec![0x1000]);
    assert_eq!(km.acquires().len(), 1);
    // The larval state was replaced by the answer.
    let states = k.sad_states();
    assert_eq!(states.len(), 1);
    assert_eq!(states[0].km_state(), XfrmKmState::Valid);
    assert_eq!(k.stat(LinuxMibXfrm::OutNoStates), 0);
    lockdep::assert_no_reports();
}

#[test]
fn eagain_while_acquire_pending_then_success() {
    let (k, km) = kernel_with_km("km", true);
    let task = SignalState::new();
    let fam = sim_core::xfrm::AF_INET;
    for _ in 0..3 {
        let r = k.xfrm.xfrm_lookup(&k.net, &flow(), fam, None, 0, &task);
        assert_eq!(r.unwrap_err(), Errno::EAGAIN);
    }
    // One larval state and one acquire for all three misses.
    assert_eq!(km.acquires().len(), 1);
    let states = k.sad_states();
    assert_eq!(states.len(), 1);
    assert_eq!(states[0].km_state(), XfrmKmState::Acq);
    assert_eq!(states[0].seq(), km.acquires()[0].0);
    assert_eq!(k.stat(LinuxMibXfrm::OutNoStates), 3);
    let seq = km.acquires()[0].0;
    k.xfrm.xfrm_state_add(&k.net, &answer_state(0x2000, seq, k.clock.real_seconds())).unwrap();
    let dst = k.xfrm.xfrm_lookup(&k.net, &flow(), fam, None, 0, &task).unwrap();
    assert_eq!(bundle_spis(&dst), vec![0x2000]);
    assert_eq!(k.sad_states().len(), 1);
    lockdep::assert_no_reports();
}

#[test]
fn larval_drop_gives_blackhole() {
    let k = kernel();
    // Linux's default xfrm_larval_drop is 1.
    let km = TestKm::new("km", &k.xfrm, true);
    register(&k, &km);
    k.add_policy(policy_allow());
    let task = SignalState::new();
    let r = k
        .xfrm
        .xfrm_lookup(&k.net, &flow(), sim_core::xfrm::AF_INET, None, FLOWI_FLAG_CAN_SLEEP, &task)
        .unwrap();
    assert!(matches!(r, XfrmDst::Blackhole), "{r:?}");
    assert_eq!(km.acquires().len(), 1);
    assert_eq!(k.stat(LinuxMibXfrm::OutNoStates), 1);
    lockdep::assert_no_reports();
}

#[test]
fn current_kernel_mode_never_sleeps() {
    let k = kernel();
    k.set_larval_drop(0);
    k.xfrm.pernet(&k.net).unwrap().set_lookup_mode(XfrmLookupMode::NonBlocking);
    let km = TestKm::new("km", &k.xfrm, true);
    register(&k, &km);
    let pol = k.add_policy(policy_allow());
    let task = SignalState::new();
    let fam = sim_core::xfrm::AF_INET;
    // Would sleep in the old mode; here EAGAIN at once.
    let r = k.xfrm.xfrm_lookup(&k.net, &flow(), fam, None, FLOWI_FLAG_CAN_SLEEP, &task);
    assert_eq!(r.unwrap_err(), Errno::EAGAIN);
    // A caller that can queue gets the queueing route of the policy.
    match k.xfrm.xfrm_lookup(&k.net, &flow(), fam, None, XFRM_LOOKUP_QUEUE, &task).unwrap() {
        XfrmDst::Queue(p) => assert_eq!(p.index(), pol.index()),
        other => panic!("expected a queue route, got {other:?}"),
    }
    k.set_larval_drop(1);
    let r = k.xfrm.xfrm_lookup(&k.net, &flow(), fam, None, XFRM_LOOKUP_QUEUE, &task).unwrap();
    assert!(matches!(r, XfrmDst::Blackhole));
    assert_eq!(km.acquires().len(), 1);
    assert_eq!(k.stat(LinuxMibXfrm::OutNoStates), 2);
    lockdep::assert_no_reports();
}

#[test]
fn signal_interrupts_sleeping_lookup_with_erestart() {
    let (k, km) = kernel_with_km("silent", true);
    let task = SignalState::new();
    let sleeper = {
        let (xfrm, net, task) = (k.xfrm.clone(), k.net.clone(), task.clone());
        thread::spawn(move || {
            xfrm.xfrm_lookup(
                &net,
                &flow(),
                sim_core::xfrm::AF_INET,
                None,
                FLOWI_FLAG_CAN_SLEEP,
                &task,
            )
        })
    };
    km.wait_acquires(1);
    task.raise();
    let r = sleeper.join().unwrap();
    assert_eq!(r.unwrap_err(), Errno::ERESTART);
    assert_eq!(Errno::ERESTART.raw(), 85);
    assert_eq!(k.stat(LinuxMibXfrm::OutNoStates), 1);
    // The larval state stays until it expires.
    assert_eq!(k.sad_states()[0].km_state(), XfrmKmState::Acq);
    lockdep::assert_no_reports();
}

#[test]
fn larval_state_expires_when_nobody_answers() {
    let k = kernel();
    k.set_larval_drop(0);
    k.set_acq_expires(30);
    let km = TestKm::new("silent", &k.xfrm, true);
    register(&k, &km);
    k.add_policy(policy_allow());
    let task = SignalState::new();
    let fam = sim_core::xfrm::AF_INET;
    assert_eq!(
        k.xfrm.xfrm_lookup(&k.net, &flow(), fam, None, 0, &task).unwrap_err(),
        Errno::EAGAIN
    );
    let seq1 = km.acquires()[0].0;
    k.clock.advance(Duration::from_secs(29));
    assert_eq!(k.sad_states().len(), 1);
    assert!(km.notes().is_empty());
    k.clock.advance(Duration::from_secs(1));
    // Gone, and reported as a hard EXPIRE as Linux 6.x does.
    assert!(k.sad_states().is_empty());
    let notes = km.notes();
    assert_eq!(notes.len(), 1);
    assert_eq!(notes[0].event, XFRM_MSG_EXPIRE);
    assert_eq!(notes[0].data, 1);
    assert_eq!(notes[0].km_state, Some(XfrmKmState::Dead));
    // A new miss starts a fresh acquire with a new sequence number.
    assert_eq!(
        k.xfrm.xfrm_lookup(&k.net, &flow(), fam, None, 0, &task).unwrap_err(),
        Errno::EAGAIN
    );
    let acq = km.acquires();
    assert_eq!(acq.len(), 2);
    assert_eq!(acq[1].0, seq1 + 1);
    assert_eq!(k.xfrm.pernet(&k.net).unwrap().state_timer_count(), 1);
    lockdep::assert_no_reports();
}

#[test]
fn larval_expiry_wakes_sleeper_which_restarts() {
    let k = kernel();
    k.set_larval_drop(0);
    k.set_acq_expires(5);
    let km = TestKm::new("silent", &k.xfrm, true);
    register(&k, &km);
    k.add_policy(policy_allow());
    let task = SignalState::new();
    let finished = Arc::new(AtomicBool::new(false));
    let sleeper = {
        let (xfrm, net, task, finished) =
            (k.xfrm.clone(), k.net.clone(), task.clone(), finished.clone());
        thread::spawn(move || {
            let r = xfrm.xfrm_lookup(
                &net,
                &flow(),
                sim_core::xfrm::AF_INET,
                None,
                FLOWI_FLAG_CAN_SLEEP,
                &task,
            );
            finished.store(true, Ordering::SeqCst);
            r
        })
    };
    km.wait_acquires(1);
    // The larval state and its timer are in place right after the acquire.
    let pernet = k.xfrm.pernet(&k.net).unwrap();
    while pernet.state_timer_count() == 0 {
        thread::yield_now();
    }
    k.clock.advance(Duration::from_secs(5));
    // The woken lookup restarts from the top and sends a new ACQUIRE.
    km.wait_acquires(2);
    assert!(!finished.load(Ordering::SeqCst), "the lookup must still be waiting");
    task.raise();
    assert_eq!(sleeper.join().unwrap().unwrap_err(), Errno::ERESTART);
    lockdep::assert_no_reports();
}

#[test]
fn two_misses_on_one_flow_make_one_larval_state() {
    let (k, km) = kernel_with_km("km", true);
    let handles: Vec<_> = (0..4)
        .map(|_| {
            let (xfrm, net) = (k.xfrm.clone(), k.net.clone());
            thread::spawn(move || {
                let task = SignalState::new();
                xfrm.xfrm_lookup(&net, &flow(), sim_core::xfrm::AF_INET, None, 0, &task)
            })
        })
        .collect();
    for h in handles {
        assert_eq!(h.join().unwrap().unwrap_err(), Errno::EAGAIN);
    }
    assert_eq!(km.acquires().len(), 1);
    assert_eq!(k.sad_states().len(), 1);
    lockdep::assert_no_reports();
}

#[test]
fn no_listening_manager_means_no_larval_state() {
    let k = kernel();
    k.set_larval_drop(0);
    k.add_policy(policy_allow());
    let task = SignalState::new();
    let r = k.xfrm.xfrm_lookup(&k.net, &flow(), sim_core::xfrm::AF_INET, None, 0, &task);
    // km_is_alive false → ESRCH → EAGAIN from template resolution.
    assert_eq!(r.unwrap_err(), Errno::EAGAIN);
    assert!(k.sad_states().is_empty());
    // Every manager refusing is the same.
    let km = TestKm::new("refuses", &k.xfrm, false);
    register(&k, &km);
    let r = k.xfrm.xfrm_lookup(&k.net, &flow(), sim_core::xfrm::AF_INET, None, 0, &task);
    assert_eq!(r.unwrap_err(), Errno::EAGAIN);
    assert!(k.sad_states().is_empty());
    lockdep::assert_no_reports();
}

#[test]
fn policy_outcomes_pass_block_default_block() {
    let k = kernel();
    let task = SignalState::new();
    let fam = sim_core::xfrm::AF_INET;
    // No policy: pass.
    assert!(matches!(
        k.xfrm.xfrm_lookup(&k.net, &flow(), fam, None, 0, &task).unwrap(),
        XfrmDst::Pass
    ));
    // Default OUT policy BLOCK with no policy: EPERM.
    k.net.xfrm.set_policy_default(1, sim_netns::xfrm::XFRM_USERPOLICY_BLOCK);
    assert_eq!(k.xfrm.xfrm_lookup(&k.net, &flow(), fam, None, 0, &task).unwrap_err(), Errno::EPERM);
    k.net.xfrm.set_policy_default(1, sim_netns::xfrm::XFRM_USERPOLICY_ACCEPT);
    // A block policy: EPERM and XfrmOutPolBlock.
    k.add_policy(XFRM_POLICY_BLOCK);
    assert_eq!(k.xfrm.xfrm_lookup(&k.net, &flow(), fam, None, 0, &task).unwrap_err(), Errno::EPERM);
    assert_eq!(k.stat(LinuxMibXfrm::OutPolBlock), 1);
    // A flow the policy does not select passes.
    let other = sim_core::xfrm::XfrmFlow::ports(a4("10.9.9.9"), a4("10.0.0.1"), 6, 80, 1);
    assert!(matches!(
        k.xfrm.xfrm_lookup(&k.net, &other, fam, None, 0, &task).unwrap(),
        XfrmDst::Pass
    ));
    // ICMP lookups need the ICMP flag on the policy.
    assert_eq!(
        k.xfrm
            .xfrm_lookup(&k.net, &flow(), fam, None, sim_km::XFRM_LOOKUP_ICMP, &task)
            .unwrap_err(),
        Errno::ENOENT
    );
    let text = k.xfrm.xfrm_stat(&k.net).unwrap();
    assert!(text.contains("XfrmOutPolBlock         \t1\n"), "{text}");
    lockdep::assert_no_reports();
}

#[test]
fn socket_policy_takes_precedence() {
    let k = kernel();
    k.set_larval_drop(0);
    let km = TestKm::new("km", &k.xfrm, true);
    register(&k, &km);
    // The SPD blocks, the socket's own policy allows with a template.
    k.add_policy(XFRM_POLICY_BLOCK);
    let spd = &k.net.xfrm.policy;
    let sk_pol = spd.xfrm_sk_policy_link(1, policy_info(policy_allow(), 1), 0).unwrap();
    let seq_state = answer_state(0x3000, 0, k.clock.real_seconds());
    k.xfrm.xfrm_state_add(&k.net, &seq_state).unwrap();
    let task = SignalState::new();
    let fam = sim_core::xfrm::AF_INET;
    let dst = k.xfrm.xfrm_lookup(&k.net, &flow(), fam, Some(&sk_pol), 0, &task).unwrap();
    assert_eq!(bundle_spis(&dst), vec![0x3000]);
    // A socket policy that does not match the flow falls back to the SPD.
    let other = sim_core::xfrm::XfrmFlow { mark: 0, ..flow() };
    let mut info = policy_info(policy_allow(), 1);
    info.sel.dport = 443;
    info.sel.dport_mask = 0xffff;
    let sk_pol2 = spd.xfrm_sk_policy_link(1, info, 0).unwrap();
    assert_eq!(
        k.xfrm.xfrm_lookup(&k.net, &other, fam, Some(&sk_pol2), 0, &task).unwrap_err(),
        Errno::EPERM
    );
    lockdep::assert_no_reports();
}

#[test]
fn too_many_templates_is_enobufs() {
    let k = kernel();
    let km = TestKm::new("km", &k.xfrm, true);
    register(&k, &km);
    k.xfrm.xfrm_policy_insert(&k.net, 1, policy_info(policy_allow(), 6), true).expect("insert");
    let task = SignalState::new();
    let r = k.xfrm.xfrm_lookup(&k.net, &flow(), sim_core::xfrm::AF_INET, None, 0, &task);
    assert_eq!(r.unwrap_err(), Errno::ENOBUFS);
    assert_eq!(k.stat(LinuxMibXfrm::OutPolError), 1);
    lockdep::assert_no_reports();
}

#[test]
fn acquire_fans_out_to_two_managers_and_the_last_seq_wins() {
    let k = kernel();
    k.set_larval_drop(0);
    let a = TestKm::new("netlink", &k.xfrm, true);
    let b = TestKm::new("pfkey", &k.xfrm, true);
    let refusing = TestKm::new("refuses", &k.xfrm, false);
    register(&k, &a);
    register(&k, &refusing);
    register(&k, &b);
    k.add_policy(policy_allow());
    let task = SignalState::new();
    let r = k.xfrm.xfrm_lookup(&k.net, &flow(), sim_core::xfrm::AF_INET, None, 0, &task);
    assert_eq!(r.unwrap_err(), Errno::EAGAIN);
    let (sa, sb) = (a.acquires(), b.acquires());
    assert_eq!((sa.len(), sb.len()), (1, 1));
    assert!(refusing.acquires().is_empty());
    assert_eq!(sb[0].0, sa[0].0 + 1);
    // The larval state keeps the sequence number of the last manager.
    assert_eq!(k.sad_states()[0].seq(), sb[0].0);
    // Either answer completes it: by seq (pfkey's) here.
    let ans = answer_state(0x4000, sb[0].0, k.clock.real_seconds());
    k.xfrm.xfrm_state_add(&k.net, &ans).unwrap();
    let states = k.sad_states();
    assert_eq!(states.len(), 1);
    assert_eq!(states[0].spi(), 0x4000);
    lockdep::assert_no_reports();
}

#[test]
fn namespaces_are_separate() {
    let k = kernel();
    k.set_larval_drop(0);
    let km = TestKm::new("km", &k.xfrm, true);
    register(&k, &km);
    let ns2 = k.reg.create("ns2", k.reg.init_user_ns().clone()).unwrap();
    ns2.xfrm.sysctl_larval_drop.store(0, Ordering::Relaxed);
    k.add_policy(policy_allow());
    k.xfrm.xfrm_policy_insert(&ns2, 1, policy_info(policy_allow(), 1), true).unwrap();
    // An SA in ns2 does not satisfy init_net's lookup.
    k.xfrm.xfrm_state_add(&ns2, &answer_state(0x5000, 0, 0)).unwrap();
    let task = SignalState::new();
    let fam = sim_core::xfrm::AF_INET;
    assert_eq!(
        k.xfrm.xfrm_lookup(&k.net, &flow(), fam, None, 0, &task).unwrap_err(),
        Errno::EAGAIN
    );
    let dst = k.xfrm.xfrm_lookup(&ns2, &flow(), fam, None, 0, &task).unwrap();
    assert_eq!(bundle_spis(&dst), vec![0x5000]);
    assert_eq!(k.stat(LinuxMibXfrm::OutNoStates), 1);
    let s2 = k.xfrm.pernet(&ns2).unwrap();
    assert_eq!(s2.stats.get(LinuxMibXfrm::OutNoStates), 0);
    // One acquire sequence for the whole kernel.
    assert_eq!(k.xfrm.xfrm_get_acqseq(), km.acquires()[0].0 + 1);
    // Tearing ns2 down drops its states and timers without notifications.
    let before = km.notes().len();
    k.reg.destroy(&ns2).unwrap();
    assert!(ns2.xfrm.state.states().is_empty());
    assert_eq!(km.notes().len(), before);
    lockdep::assert_no_reports();
}
