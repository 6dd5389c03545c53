//! XFRM value types (`include/net/xfrm.h`, `include/uapi/linux/xfrm.h`),
//! the hash functions of `net/xfrm/xfrm_hash.h`, lifetimes, and the SAD
//! (`net/xfrm/xfrm_state.c`'s tables).
//!
//! These are plain owned Rust types, not wire layouts: the netlink and
//! PF_KEY front ends convert to and from them.

pub mod addr;
pub mod algo;
pub mod algo_table;
pub mod hash;
pub mod lifetime;
pub mod locks;
pub mod policy;
pub mod selector;
pub mod spd;
pub mod state;
pub mod state_table;

pub use addr::{AF_INET, AF_INET6, AF_UNSPEC, XfrmAddress};
pub use algo::{XfrmAlgo, XfrmAlgoAead, XfrmAlgoAuth};
pub use lifetime::{XFRM_INF, XfrmLifetimeCfg, XfrmLifetimeCur};
pub use policy::{XfrmPolicyInfo, XfrmTmpl};
pub use selector::{XfrmFlow, XfrmSelector, xfrm_selector_match};
pub use spd::{PolicyTable, XfrmPolicy, XfrmPolicyWalk, XfrmkSpdinfo};
pub use state::{
    XfrmEncapTmpl, XfrmId, XfrmKmState, XfrmMark, XfrmReplayState, XfrmReplayStateEsn, XfrmSecCtx,
    XfrmState, XfrmStateInfo, XfrmStateMut, XfrmStats,
};
pub use state_table::{
    FindAcq, StateTable, XfrmAcqSeq, XfrmAddressFilter, XfrmExpiryHook, XfrmStateTimerArm,
    XfrmStateWalk, XfrmkSadinfo,
};
