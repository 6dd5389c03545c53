//! The XFRM layer (`net/xfrm/xfrm_state.c`, `xfrm_policy.c`): state and
//! policy operations, the key-manager list, the acquire path and
//! `xfrm_lookup`.
//!
//! - [`km`]: `struct xfrm_mgr` ([`KeyManager`]), `struct km_event`, the
//!   km list ([`XfrmKmList`]) and the `km_*` fan-out.
//! - [`xfrm`]: the per-kernel [`Xfrm`] handle and the operations the front
//!   ends call (`xfrm_state_add`, `xfrm_policy_insert`, …), lifetime timers.
//! - [`lookup`]: `xfrm_state_find`, template resolution, `xfrm_lookup`.
//! - [`pernet`]: the per-namespace data (SAD, SPD, `km_waitq`, statistics).
//! - [`stats`]: the counters of `/proc/net/xfrm_stat`.

pub mod km;
pub mod lookup;
pub mod pernet;
pub mod stats;
pub mod xfrm;

pub use km::{
    KeyManager, KmEvent, KmRegistration, XFRM_KM_LOCK, XfrmKmAddress, XfrmKmList, XfrmMigrate,
    xfrm_msg,
};
pub use lookup::{
    FLOWI_FLAG_CAN_SLEEP, XFRM_LOOKUP_ICMP, XFRM_LOOKUP_KEEP_DST_REF, XFRM_LOOKUP_QUEUE, XfrmDst,
};
pub use pernet::{XfrmKmNet, XfrmLookupMode};
pub use stats::{LinuxMibXfrm, XfrmMib};
pub use xfrm::Xfrm;
