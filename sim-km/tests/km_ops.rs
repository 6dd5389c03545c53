//! The km list fan-out, the state and policy operations' errnos, and the
//! lifetime notifications.

mod common;

use std::time::Duration;

use common::*;
use sim_core::Errno;
use sim_core::lockdep;
use sim_core::xfrm::policy::{XFRM_POLICY_OUT, XFRM_POLICY_TYPE_MAIN};
use sim_core::xfrm::state::IPPROTO_ESP;
use sim_core::xfrm::{AF_INET, XfrmKmState, XfrmMark};
use sim_km::xfrm_msg::{XFRM_MSG_EXPIRE, XFRM_MSG_FLUSHSA, XFRM_MSG_NEWSA, XFRM_MSG_POLEXPIRE};
use sim_km::{KmEvent, LinuxMibXfrm};

#[test]
fn notify_fans_out_to_every_manager_in_order_until_unregistered() {
    let k = kernel();
    let a = TestKm::new("a", &k.xfrm, true);
    let b = TestKm::new("b", &k.xfrm, false);
    let ra = register(&k, &a);
    register(&k, &b);
    assert_eq!(k.xfrm.km().len(), 2);
    let x = answer_state(0x10, 0, 0);
    let mut c = KmEvent::new(&k.net, XFRM_MSG_NEWSA);
    c.seq = 9;
    c.portid = 77;
    k.xfrm.km().km_state_notify(Some(&x), &c);
    k.xfrm.km().km_state_notify(None, &KmEvent::new(&k.net, XFRM_MSG_FLUSHSA));
    for km in [&a, &b] {
        let n = km.notes();
        assert_eq!(n.len(), 2);
        assert_eq!((n[0].event, n[0].spi), (XFRM_MSG_NEWSA, Some(0x10)));
        assert_eq!((n[1].event, n[1].spi), (XFRM_MSG_FLUSHSA, None));
    }
    // km_query succeeds if any manager accepted.
    let pol = k.add_policy(policy_allow());
    assert_eq!(k.xfrm.km().km_query(&k.net, &x, &tmpl(), &pol), Ok(()));
    assert_eq!(a.acquires().len(), 1);
    k.xfrm.km().xfrm_unregister_km(ra);
    assert_eq!(k.xfrm.km().km_query(&k.net, &x, &tmpl(), &pol), Err(Errno::EINVAL));
    k.xfrm.km().km_state_notify(Some(&x), &c);
    assert_eq!(a.notes().len(), 2);
    assert_eq!(b.notes().len(), 3);
    // Callbacks a manager leaves out: the kernel's fallbacks.
    let sel = pol.selector();
    assert_eq!(k.xfrm.km().km_report(&k.net, 50, sel, None), Err(Errno::EINVAL));
    assert_eq!(k.xfrm.km().km_migrate(sel, 1, 0, &[], None, None), Err(Errno::EINVAL));
    assert_eq!(k.xfrm.km_new_mapping(&k.net, &x, &a4("1.2.3.4"), 4500), Err(Errno::EINVAL));
    assert_eq!(k.xfrm.km().km_compile_policy(AF_INET, 17, b"x").unwrap_err(), Errno::EOPNOTSUPP);
    lockdep::assert_no_reports();
}

#[test]
fn empty_list_fallbacks() {
    let k = kernel();
    assert!(k.xfrm.km().is_empty());
    assert_eq!(k.xfrm.km().km_compile_policy(AF_INET, 17, b"x").unwrap_err(), Errno::EINVAL);
    assert!(!k.xfrm.km().km_is_alive(&KmEvent::new(&k.net, 23)));
}

#[test]
fn acquire_sequence_is_global_and_skips_zero() {
    let k = kernel();
    assert_eq!(k.xfrm.xfrm_get_acqseq(), 1);
    assert_eq!(k.xfrm.xfrm_get_acqseq(), 2);
    let other = kernel();
    assert_eq!(other.xfrm.xfrm_get_acqseq(), 1);
    // Shared by every namespace of one kernel.
    let net2 = k.reg.create("ns2", k.reg.init_user_ns().clone()).unwrap();
    assert!(k.xfrm.pernet(&net2).is_ok());
    assert_eq!(k.xfrm.xfrm_get_acqseq(), 3);
}

#[test]
fn state_operation_errnos() {
    let k = kernel();
    let now = k.clock.real_seconds();
    let x = answer_state(0x100, 0, now);
    k.xfrm.xfrm_state_add(&k.net, &x).unwrap();
    assert_eq!(k.xfrm.xfrm_state_add(&k.net, &answer_state(0x100, 0, now)), Err(Errno::EEXIST));
    assert_eq!(k.xfrm.xfrm_state_update(&k.net, &answer_state(0x999, 0, now)), Err(Errno::ESRCH));
    assert_eq!(k.xfrm.xfrm_state_update(&k.net, &answer_state(0x100, 0, now)), Ok(()));
    let found = k.xfrm.xfrm_state_lookup(&k.net, 0, &a4("10.0.0.2"), 0x100, IPPROTO_ESP, AF_INET);
    assert!(found.is_some_and(|f| sim_core::sync::Arc::ptr_eq(&f, &x)));
    assert_eq!(k.xfrm.xfrm_state_delete(&k.net, &x), Ok(()));
    assert_eq!(k.xfrm.xfrm_state_delete(&k.net, &x), Err(Errno::ESRCH));
    assert_eq!(k.xfrm.xfrm_state_flush(&k.net, 0), Err(Errno::ESRCH));
    k.xfrm.xfrm_state_add(&k.net, &answer_state(0x101, 0, now)).unwrap();
    k.xfrm.xfrm_state_add(&k.net, &answer_state(0x102, 0, now)).unwrap();
    assert_eq!(k.xfrm.xfrm_state_flush(&k.net, IPPROTO_ESP), Ok(2));
    lockdep::assert_no_reports();
}

#[test]
fn getspi_larval_state_gets_an_spi_and_expires() {
    let k = kernel();
    k.set_acq_expires(10);
    let km = TestKm::new("km", &k.xfrm, true);
    register(&k, &km);
    let (d, s) = (a4("10.0.0.2"), a4("10.0.0.1"));
    let mark = XfrmMark::default();
    assert!(
        k.xfrm.xfrm_find_acq(&k.net, mark, 0, 1, 0, IPPROTO_ESP, &d, &s, false, AF_INET).is_none()
    );
    let x =
        k.xfrm.xfrm_find_acq(&k.net, mark, 0, 1, 0, IPPROTO_ESP, &d, &s, true, AF_INET).unwrap();
    assert_eq!(x.km_state(), XfrmKmState::Acq);
    let again = k.xfrm.xfrm_find_acq(&k.net, mark, 0, 1, 0, IPPROTO_ESP, &d, &s, true, AF_INET);
    assert!(again.is_some_and(|a| sim_core::sync::Arc::ptr_eq(&a, &x)));
    k.xfrm.xfrm_alloc_spi(&k.net, &x, 0x200, 0x200).unwrap();
    assert_eq!(x.spi(), 0x200);
    assert_eq!(k.xfrm.xfrm_alloc_spi(&k.net, &x, 0x300, 0x3ff), Ok(()));
    assert_eq!(x.spi(), 0x200);
    k.clock.advance(Duration::from_secs(10));
    assert!(k.sad_states().is_empty());
    // A larval state with an SPI is reported too.
    let n = km.notes();
    assert_eq!((n[0].event, n[0].data, n[0].spi), (XFRM_MSG_EXPIRE, 1, Some(0x200)));
    assert_eq!(k.xfrm.xfrm_alloc_spi(&k.net, &x, 0x300, 0x3ff), Err(Errno::ENOENT));
    lockdep::assert_no_reports();
}

#[test]
fn soft_then_hard_expiry_notifications() {
    let k = kernel();
    let km = TestKm::new("km", &k.xfrm, true);
    register(&k, &km);
    let x = answer_state(0x500, 0, k.clock.real_seconds());
    {
        let mut m = x.lock_bh();
        m.lft.soft_add_expires_seconds = 10;
        m.lft.hard_add_expires_seconds = 20;
    }
    k.xfrm.xfrm_state_add(&k.net, &x).unwrap();
    k.clock.advance(Duration::from_secs(9));
    assert!(km.notes().is_empty());
    k.clock.advance(Duration::from_secs(2));
    let n = km.notes();
    assert_eq!(n.len(), 1);
    assert_eq!((n[0].event, n[0].data, n[0].spi), (XFRM_MSG_EXPIRE, 0, Some(0x500)));
    assert!(x.dying());
    k.clock.advance(Duration::from_secs(5));
    assert_eq!(km.notes().len(), 1, "one soft expiry only");
    k.clock.advance(Duration::from_secs(5));
    let n = km.notes();
    assert_eq!(n.len(), 2);
    assert_eq!((n[1].event, n[1].data), (XFRM_MSG_EXPIRE, 1));
    assert!(k.sad_states().is_empty());
    assert_eq!(k.xfrm.pernet(&k.net).unwrap().state_timer_count(), 0);
    lockdep::assert_no_reports();
}

#[test]
fn byte_limit_expiry_on_output() {
    let k = kernel();
    let km = TestKm::new("km", &k.xfrm, true);
    register(&k, &km);
    let x = answer_state(0x600, 0, k.clock.real_seconds());
    {
        let mut m = x.lock_bh();
        m.lft.soft_byte_limit = 1000;
        m.lft.hard_byte_limit = 2000;
    }
    k.xfrm.xfrm_state_add(&k.net, &x).unwrap();
    let b = vec![x.clone()];
    assert_eq!(k.xfrm.xfrm_output(&k.net, &b, 600), Ok(()));
    assert_eq!(k.xfrm.xfrm_output(&k.net, &b, 600), Ok(()));
    assert_eq!(km.notes().len(), 1);
    assert_eq!(k.xfrm.xfrm_output(&k.net, &b, 900), Err(Errno::EINVAL));
    assert_eq!(k.stat(LinuxMibXfrm::OutStateExpired), 1);
    let n = km.notes();
    assert_eq!((n[1].event, n[1].data), (XFRM_MSG_EXPIRE, 1));
    assert_eq!(k.xfrm.xfrm_output(&k.net, &b, 1), Err(Errno::EINVAL));
    assert_eq!(k.stat(LinuxMibXfrm::OutStateInvalid), 1);
    lockdep::assert_no_reports();
}

#[test]
fn input_state_checks_count_statistics() {
    let k = kernel();
    let (d, s) = (a4("10.0.0.2"), a4("10.0.0.1"));
    assert!(k.xfrm.xfrm_input_state(&k.net, 0, &d, 0x77, IPPROTO_ESP, AF_INET).is_err());
    assert_eq!(k.stat(LinuxMibXfrm::InNoStates), 1);
    let x = k
        .xfrm
        .xfrm_find_acq(&k.net, XfrmMark::default(), 0, 1, 0, IPPROTO_ESP, &d, &s, true, AF_INET)
        .unwrap();
    k.xfrm.xfrm_alloc_spi(&k.net, &x, 0x77, 0x77).unwrap();
    assert_eq!(
        k.xfrm.xfrm_input_state(&k.net, 0, &d, 0x77, IPPROTO_ESP, AF_INET).unwrap_err(),
        Errno::EINVAL
    );
    assert_eq!(k.stat(LinuxMibXfrm::AcquireError), 1);
}

#[test]
fn policy_operation_errnos_and_expiry() {
    let k = kernel();
    let km = TestKm::new("km", &k.xfrm, true);
    register(&k, &km);
    let pol = k.add_policy(policy_allow());
    let dup =
        k.xfrm.xfrm_policy_insert(&k.net, XFRM_POLICY_OUT, policy_info(policy_allow(), 1), true);
    assert_eq!(dup.unwrap_err(), Errno::EEXIST);
    let m = XfrmMark::default();
    let got = k
        .xfrm
        .xfrm_policy_byid(&k.net, m, 0, XFRM_POLICY_TYPE_MAIN, XFRM_POLICY_OUT, pol.index(), false)
        .unwrap();
    assert_eq!(got.index(), pol.index());
    assert_eq!(
        k.xfrm
            .xfrm_policy_byid(&k.net, m, 0, XFRM_POLICY_TYPE_MAIN, 0, pol.index(), false)
            .unwrap_err(),
        Errno::ENOENT
    );
    let sel = *pol.selector();
    let del = k
        .xfrm
        .xfrm_policy_bysel_ctx(
            &k.net,
            m,
            0,
            XFRM_POLICY_TYPE_MAIN,
            XFRM_POLICY_OUT,
            &sel,
            None,
            true,
        )
        .unwrap();
    assert!(del.is_dead());
    assert_eq!(k.xfrm.xfrm_policy_delete(&k.net, &pol, XFRM_POLICY_OUT), Err(Errno::ENOENT));
    assert_eq!(k.xfrm.xfrm_policy_flush(&k.net, XFRM_POLICY_TYPE_MAIN), Err(Errno::ESRCH));

    // Lifetimes: soft POLEXPIRE, then hard POLEXPIRE and removal.
    let mut info = policy_info(policy_allow(), 1);
    info.lft.soft_add_expires_seconds = 3;
    info.lft.hard_add_expires_seconds = 100;
    let p = k.xfrm.xfrm_policy_insert(&k.net, XFRM_POLICY_OUT, info, true).unwrap().policy;
    k.clock.advance(Duration::from_secs(4));
    let notes = km.log.lock().policy_notes.clone();
    assert_eq!(notes, vec![(XFRM_MSG_POLEXPIRE, 0, XFRM_POLICY_OUT)]);
    k.clock.advance(Duration::from_secs(100));
    let notes = km.log.lock().policy_notes.clone();
    assert_eq!(notes.last(), Some(&(XFRM_MSG_POLEXPIRE, 1, XFRM_POLICY_OUT)));
    // Re-announced every 30 s before the hard limit.
    assert_eq!(notes.iter().filter(|n| n.1 == 0).count(), 4);
    assert!(p.is_dead());
    lockdep::assert_no_reports();
}

/// A manager that compiles `IP_XFRM_POLICY` (17) options of one byte: the
/// direction.
struct Compiler;

impl sim_km::KeyManager for Compiler {
    fn compile_policy(
        &self,
        family: u16,
        optname: i32,
        data: &[u8],
    ) -> sim_core::KResult<(sim_core::xfrm::XfrmPolicyInfo, u8)> {
        if optname != 17 {
            return Err(Errno::EOPNOTSUPP);
        }
        let dir = *data.first().ok_or(Errno::EINVAL)?;
        if dir > 1 {
            return Err(Errno::EINVAL);
        }
        let mut info = policy_info(policy_allow(), 1);
        info.sel.family = family;
        Ok((info, dir))
    }
}

#[test]
fn socket_policy_compiled_by_the_first_manager_that_accepts() {
    let k = kernel();
    let opt = [XFRM_POLICY_OUT];
    assert_eq!(k.xfrm.xfrm_user_policy(&k.net, AF_INET, 17, &opt).unwrap_err(), Errno::EINVAL);
    // A manager without a compiler answers EOPNOTSUPP; the next one compiles.
    register(&k, &TestKm::new("nocompile", &k.xfrm, true));
    k.xfrm.km().xfrm_register_km(sim_core::sync::Arc::new(Compiler));
    let (pol, dir) = k.xfrm.xfrm_user_policy(&k.net, AF_INET, 17, &opt).unwrap();
    assert_eq!(dir, XFRM_POLICY_OUT);
    assert!(pol.is_socket_policy());
    assert_eq!(pol.dir(), 3 + XFRM_POLICY_OUT);
    assert_eq!(k.net.xfrm.policy.xfrm_spd_getinfo().outscnt, 1);
    // The last manager's error when none accepts.
    assert_eq!(k.xfrm.xfrm_user_policy(&k.net, AF_INET, 17, &[9]).unwrap_err(), Errno::EINVAL);
    assert_eq!(k.xfrm.xfrm_user_policy(&k.net, AF_INET, 16, &opt).unwrap_err(), Errno::EOPNOTSUPP);
    assert_eq!(k.xfrm.xfrm_user_policy(&k.net, AF_INET, 17, &[]).unwrap_err(), Errno::EMSGSIZE);
    assert_eq!(
        k.xfrm.xfrm_user_policy(&k.net, AF_INET, 17, &[0; 4097]).unwrap_err(),
        Errno::EMSGSIZE
    );
    lockdep::assert_no_reports();
}
