//! Lifetimes (`struct xfrm_lifetime_cfg`, `struct xfrm_lifetime_cur` of
//! `include/uapi/linux/xfrm.h`).

/// `XFRM_INF`: no limit.
pub const XFRM_INF: u64 = u64::MAX;

/// `struct xfrm_lifetime_cfg`: soft and hard limits. Times are seconds.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub struct XfrmLifetimeCfg {
    pub soft_byte_limit: u64,
    pub hard_byte_limit: u64,
    pub soft_packet_limit: u64,
    pub hard_packet_limit: u64,
    pub soft_add_expires_seconds: u64,
    pub hard_add_expires_seconds: u64,
    pub soft_use_expires_seconds: u64,
    pub hard_use_expires_seconds: u64,
}

impl Default for XfrmLifetimeCfg {
    /// What `xfrm_state_alloc`/`xfrm_policy_alloc` start with: byte and
    /// packet limits `XFRM_INF`, time limits 0 (none).
    fn default() -> Self {
        XfrmLifetimeCfg {
            soft_byte_limit: XFRM_INF,
            hard_byte_limit: XFRM_INF,
            soft_packet_limit: XFRM_INF,
            hard_packet_limit: XFRM_INF,
            soft_add_expires_seconds: 0,
            hard_add_expires_seconds: 0,
            soft_use_expires_seconds: 0,
            hard_use_expires_seconds: 0,
        }
    }
}

/// `struct xfrm_lifetime_cur`: counters. Times are seconds on the
/// simulated wall clock (`ktime_get_real_seconds()`).
#[derive(Clone, Copy, PartialEq, Eq, Hash, Default, Debug)]
pub struct XfrmLifetimeCur {
    pub bytes: u64,
    pub packets: u64,
    pub add_time: u64,
    /// 0 until first use.
    pub use_time: u64,
}
