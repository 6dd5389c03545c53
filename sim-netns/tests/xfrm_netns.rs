//! The per-namespace XFRM part: SAD and SPD are private to their
//! namespace, teardown flushes both, sysctls feed the SAD, lockdep is quiet.

use std::net::Ipv4Addr;

use sim_core::lockdep;
use sim_core::sync::Arc;
use sim_core::xfrm::addr::{AF_INET, XfrmAddress};
use sim_core::xfrm::policy::{
    XFRM_POLICY_OUT, XFRM_POLICY_TYPE_MAIN, XFRM_POLICY_TYPE_SUB, XfrmPolicyInfo,
};
use sim_core::xfrm::selector::{XfrmFlow, XfrmSelector};
use sim_core::xfrm::state::{IPPROTO_ESP, XfrmKmState, XfrmState, XfrmStateInfo};
use sim_core::xfrm::state_table::StateTable;
use sim_core::xfrm::{XfrmPolicy, XfrmPolicyWalk};
use sim_core::{Errno, KResult};
use sim_netns::{Cred, Net, NetRegistry};

fn a(o: [u8; 4]) -> XfrmAddress {
    Ipv4Addr::from(o).into()
}

fn policy(d: [u8; 4], s: [u8; 4], ptype: u8) -> XfrmPolicyInfo {
    let sel = XfrmSelector {
        daddr: a(d),
        saddr: a(s),
        prefixlen_d: 32,
        prefixlen_s: 32,
        family: AF_INET,
        ..Default::default()
    };
    XfrmPolicyInfo { sel, ptype, ..Default::default() }
}

fn add_policy(net: &Net, info: XfrmPolicyInfo) -> KResult<Arc<XfrmPolicy>> {
    net.xfrm.policy.xfrm_policy_insert(XFRM_POLICY_OUT, info, true, 0).map(|r| r.policy)
}

fn add_state(table: &StateTable, spi: u32) -> KResult<Arc<XfrmState>> {
    let info = XfrmStateInfo::new(AF_INET, a([10, 0, 0, 1]), a([10, 0, 0, 2]), spi, IPPROTO_ESP);
    let x = Arc::new(XfrmState::new(info, 0));
    x.set_km_state(XfrmKmState::Valid);
    table.xfrm_state_add(&x)?;
    Ok(x)
}

#[test]
fn namespaces_do_not_see_each_other() -> KResult<()> {
    let reg = NetRegistry::new();
    let n1 = reg.create("n1", reg.init_user_ns().clone())?;
    let n2 = reg.create("n2", reg.init_user_ns().clone())?;
    let p1 = add_policy(&n1, policy([10, 0, 0, 1], [10, 0, 0, 2], XFRM_POLICY_TYPE_MAIN))?;
    // The same policy is not a duplicate in another namespace, and each
    // namespace generates indexes on its own.
    let p2 = add_policy(&n2, policy([10, 0, 0, 1], [10, 0, 0, 2], XFRM_POLICY_TYPE_MAIN))?;
    assert_eq!((p1.index(), p2.index()), (1, 1));
    let p1b = add_policy(&n1, policy([10, 0, 0, 3], [10, 0, 0, 2], XFRM_POLICY_TYPE_MAIN))?;
    assert_eq!(p1b.index(), 9);
    assert!(reg.init_net().xfrm.policy.is_empty());
    let fl = XfrmFlow::ports(a([10, 0, 0, 3]), a([10, 0, 0, 2]), 6, 1, 2);
    assert!(n1.xfrm.policy.xfrm_policy_lookup(&fl, AF_INET, XFRM_POLICY_OUT, 0).is_some());
    assert!(n2.xfrm.policy.xfrm_policy_lookup(&fl, AF_INET, XFRM_POLICY_OUT, 0).is_none());

    add_state(&n1.xfrm.state, 0x100)?;
    assert_eq!(add_state(&n1.xfrm.state, 0x100).err(), Some(Errno::EEXIST));
    add_state(&n2.xfrm.state, 0x100)?;
    let d = a([10, 0, 0, 1]);
    assert!(n1.xfrm.state.xfrm_state_lookup(0, &d, 0x100, IPPROTO_ESP, AF_INET).is_some());
    assert!(
        reg.init_net().xfrm.state.xfrm_state_lookup(0, &d, 0x100, IPPROTO_ESP, AF_INET).is_none()
    );

    // Flushing one namespace leaves the other alone.
    assert_eq!(n1.xfrm.policy.xfrm_policy_flush(XFRM_POLICY_TYPE_MAIN), Ok(2));
    assert_eq!(n2.xfrm.policy.len(), 1);
    assert_eq!(n1.xfrm.state.xfrm_state_flush(0), Ok(1));
    assert_eq!(n2.xfrm.state.len(), 1);
    Ok(())
}

#[test]
fn teardown_flushes_policies_and_states() -> KResult<()> {
    let reg = NetRegistry::new();
    let n = reg.create("gone", reg.init_user_ns().clone())?;
    let keep = reg.create("kept", reg.init_user_ns().clone())?;
    let main = add_policy(&n, policy([10, 0, 0, 1], [10, 0, 0, 2], XFRM_POLICY_TYPE_MAIN))?;
    let sub = add_policy(&n, policy([10, 0, 0, 1], [10, 0, 0, 2], XFRM_POLICY_TYPE_SUB))?;
    let x = add_state(&n.xfrm.state, 0x200)?;
    let other = add_policy(&keep, policy([10, 0, 0, 1], [10, 0, 0, 2], XFRM_POLICY_TYPE_MAIN))?;
    reg.destroy(&n)?;
    assert!(main.is_dead() && sub.is_dead());
    assert!(n.xfrm.policy.is_empty());
    assert!(n.xfrm.state.is_empty());
    assert_eq!(x.km_state(), XfrmKmState::Dead);
    let info = n.xfrm.policy.xfrm_spd_getinfo();
    assert_eq!((info.incnt, info.outcnt, info.fwdcnt), (0, 0, 0));
    let mut w = XfrmPolicyWalk::new(XFRM_POLICY_TYPE_MAIN);
    assert_eq!(n.xfrm.policy.xfrm_policy_walk(&mut w, |_, _, _| Ok(())), Err(Errno::ENOENT));
    // The other namespace keeps its policy.
    assert!(!other.is_dead());
    assert_eq!(keep.xfrm.policy.len(), 1);
    Ok(())
}

#[test]
fn acq_expires_sysctl_reaches_the_sad() -> KResult<()> {
    let reg = NetRegistry::new();
    let n = reg.create("n", reg.init_user_ns().clone())?;
    let root = Cred::root(reg.init_user_ns().clone());
    n.sysctl_write(&root, "net/core/xfrm_acq_expires", "7")?;
    assert_eq!(n.xfrm.acq_expires(), 7);
    // A larval state created now gets that hard add-expiry.
    let d = a([10, 9, 0, 1]);
    let s = a([10, 9, 0, 2]);
    let args = sim_core::xfrm::state_table::FindAcq {
        mark: Default::default(),
        mode: 1,
        reqid: 3,
        if_id: 0,
        pcpu_num: u32::MAX,
        proto: IPPROTO_ESP,
        daddr: &d,
        saddr: &s,
        family: AF_INET,
    };
    let x = n.xfrm.state.xfrm_find_acq(&args, true, 0).ok_or(Errno::ENOENT)?;
    assert_eq!(x.lock_bh().lft.hard_add_expires_seconds, 7);
    Ok(())
}

#[test]
fn lockdep_reports_nothing_across_namespace_lifecycles() -> KResult<()> {
    let reg = NetRegistry::new();
    for i in 0..3u8 {
        let n = reg.create(&format!("n{i}"), reg.init_user_ns().clone())?;
        {
            let _cfg = n.xfrm.xfrm_cfg_mutex.lock();
            add_policy(&n, policy([10, 0, 0, i], [10, 0, 1, 1], XFRM_POLICY_TYPE_MAIN))?;
            add_state(&n.xfrm.state, 0x300 + u32::from(i))?;
        }
        reg.destroy(&n)?;
    }
    lockdep::assert_no_reports();
    Ok(())
}

#[test]
fn concurrent_namespaces_stay_separate() {
    let reg = Arc::new(NetRegistry::new());
    let workers: Vec<_> = (0..4u8)
        .map(|t| {
            let reg = reg.clone();
            sim_core::sync::thread::spawn(move || -> KResult<usize> {
                let n = reg.create(&format!("t{t}"), reg.init_user_ns().clone())?;
                for i in 0..50u8 {
                    add_policy(&n, policy([10, t, 0, i], [10, 9, 9, 9], XFRM_POLICY_TYPE_MAIN))?;
                }
                let fl = XfrmFlow::ports(a([10, t, 0, 7]), a([10, 9, 9, 9]), 6, 1, 2);
                let found = n.xfrm.policy.xfrm_policy_lookup(&fl, AF_INET, XFRM_POLICY_OUT, 0);
                assert!(found.is_some());
                let len = n.xfrm.policy.len();
                reg.destroy(&n)?;
                Ok(len)
            })
        })
        .collect();
    for w in workers {
        assert_eq!(w.join().ok().and_then(|r| r.ok()), Some(50));
    }
    assert_eq!(reg.nets().len(), 1);
    lockdep::assert_no_reports();
}

#[test]
fn km_waitq_wakes_a_sleeper_when_a_state_arrives() -> KResult<()> {
    let reg = NetRegistry::new();
    let n = reg.create("w", reg.init_user_ns().clone())?;
    let sleeper = {
        let n = n.clone();
        sim_core::sync::thread::spawn(move || {
            let d = a([10, 0, 0, 1]);
            n.xfrm.km_waitq.wait_event(|| {
                n.xfrm.state.xfrm_state_lookup(0, &d, 0x77, IPPROTO_ESP, AF_INET).is_some()
            });
            true
        })
    };
    add_state(&n.xfrm.state, 0x77)?;
    n.xfrm.km_waitq.wake_up();
    assert_eq!(sleeper.join().ok(), Some(true));
    Ok(())
}
