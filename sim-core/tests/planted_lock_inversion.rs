//! The planted lock inversion and its detector: flushing the SAD with the
//! bug on takes a state's lock under `xfrm_state_lock`, the reverse of
//! deletion's order, and lockdep reports the circular dependency; with it
//! off the same flush reports nothing.

use sim_core::lockdep::{self, ReportKind};
use sim_core::planted::{Bug, plant};
use sim_core::sync::Arc;
use sim_core::xfrm::state::IPPROTO_ESP;
use sim_core::xfrm::{AF_INET, StateTable, XfrmAddress, XfrmKmState, XfrmState, XfrmStateInfo};

fn add_and_flush() {
    let t = StateTable::new();
    for spi in [0x100, 0x101] {
        let info = XfrmStateInfo::new(
            AF_INET,
            XfrmAddress::from_v4_u32(0x0a00_0002),
            XfrmAddress::from_v4_u32(0x0a00_0001),
            spi,
            IPPROTO_ESP,
        );
        let x = Arc::new(XfrmState::new(info, 0));
        x.set_km_state(XfrmKmState::Valid);
        t.xfrm_state_add(&x).unwrap();
    }
    assert_eq!(t.xfrm_state_flush(0), Ok(2));
}

#[test]
fn inversion_is_reported_only_when_planted() {
    plant(Bug::LockInversion, false);
    add_and_flush();
    assert!(lockdep::take_reports().is_empty(), "the unplanted flush must not report");
    plant(Bug::LockInversion, true);
    add_and_flush();
    plant(Bug::LockInversion, false);
    let reports = lockdep::take_reports();
    let text: String = reports.iter().map(|r| r.text.clone()).collect();
    let circular: Vec<_> =
        reports.iter().filter(|r| r.kind == ReportKind::CircularDependency).collect();
    assert!(!circular.is_empty(), "{text}");
    let classes = &circular[0].classes;
    assert!(classes.contains(&"xfrm_state_lock") && classes.contains(&"&x->lock"), "{text}");
}
