//! Policy (SP) value types of `include/net/xfrm.h` and
//! `include/uapi/linux/xfrm.h`: templates (`struct xfrm_tmpl`) and the
//! owned description of a policy ([`XfrmPolicyInfo`], the value part of
//! `struct xfrm_policy`).

use super::addr::XfrmAddress;
use super::lifetime::{XfrmLifetimeCfg, XfrmLifetimeCur};
use super::selector::XfrmSelector;
use super::state::{XfrmId, XfrmMark, XfrmSecCtx};

/// `XFRM_MAX_DEPTH`: templates per policy.
pub const XFRM_MAX_DEPTH: usize = 6;

/// `XFRM_POLICY_IN`.
pub const XFRM_POLICY_IN: u8 = 0;
/// `XFRM_POLICY_OUT`.
pub const XFRM_POLICY_OUT: u8 = 1;
/// `XFRM_POLICY_FWD`.
pub const XFRM_POLICY_FWD: u8 = 2;
/// `XFRM_POLICY_MAX`: directions of the SPD (socket policies use 3 + dir).
pub const XFRM_POLICY_MAX: u8 = 3;
/// `XFRM_POLICY_MASK`.
pub const XFRM_POLICY_MASK: u8 = 3;

/// `XFRM_POLICY_ALLOW`.
pub const XFRM_POLICY_ALLOW: u8 = 0;
/// `XFRM_POLICY_BLOCK`.
pub const XFRM_POLICY_BLOCK: u8 = 1;

/// `XFRM_POLICY_LOCALOK`.
pub const XFRM_POLICY_LOCALOK: u8 = 1;
/// `XFRM_POLICY_ICMP`.
pub const XFRM_POLICY_ICMP: u8 = 2;

/// `XFRM_POLICY_TYPE_MAIN`.
pub const XFRM_POLICY_TYPE_MAIN: u8 = 0;
/// `XFRM_POLICY_TYPE_SUB`.
pub const XFRM_POLICY_TYPE_SUB: u8 = 1;
/// `XFRM_POLICY_TYPE_MAX`.
pub const XFRM_POLICY_TYPE_MAX: u8 = 2;
/// `XFRM_POLICY_TYPE_ANY`.
pub const XFRM_POLICY_TYPE_ANY: u8 = 255;

/// `XFRM_SHARE_ANY` … `XFRM_SHARE_UNIQUE` (`share`, ignored by the kernel).
pub const XFRM_SHARE_ANY: u8 = 0;
pub const XFRM_SHARE_SESSION: u8 = 1;
pub const XFRM_SHARE_USER: u8 = 2;
pub const XFRM_SHARE_UNIQUE: u8 = 3;

/// `xfrm_policy_id2dir(index)`: the direction encoded in an index.
pub const fn xfrm_policy_id2dir(index: u32) -> u8 {
    (index & 7) as u8
}

/// `struct xfrm_tmpl`: one transform a policy requires.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Default, Debug)]
pub struct XfrmTmpl {
    /// `id`: daddr (tunnel end or zero), spi (0 = any), proto.
    pub id: XfrmId,
    /// `saddr`: tunnel source (zero = route-derived).
    pub saddr: XfrmAddress,
    /// `encap_family`.
    pub encap_family: u16,
    pub reqid: u32,
    pub mode: u8,
    /// `share` (stored, ignored).
    pub share: u8,
    /// `optional`: failing to resolve it is not fatal.
    pub optional: u8,
    /// `allalgs`.
    pub allalgs: u8,
    /// Bitmasks indexed by the PF_KEY algorithm ids.
    pub aalgos: u32,
    pub ealgos: u32,
    pub calgos: u32,
}

/// The value part of `struct xfrm_policy` (what `xfrm_policy_construct`
/// and `pfkey_spdadd` fill in): everything but the table links, lock,
/// timer and packet queue.
#[derive(Clone, PartialEq, Eq, Debug, Default)]
pub struct XfrmPolicyInfo {
    /// `selector` (its family is the policy's family).
    pub sel: XfrmSelector,
    pub lft: XfrmLifetimeCfg,
    pub curlft: XfrmLifetimeCur,
    /// Lower value wins.
    pub priority: u32,
    /// 0 = generate (`xfrm_gen_index`).
    pub index: u32,
    /// `XFRM_POLICY_IN/OUT/FWD` (3 + dir for socket policies).
    pub dir: u8,
    /// `XFRM_POLICY_ALLOW`/`BLOCK`.
    pub action: u8,
    /// `XFRM_POLICY_LOCALOK`/`ICMP`.
    pub flags: u8,
    /// `XFRM_SHARE_*`.
    pub share: u8,
    /// `XFRM_POLICY_TYPE_MAIN`/`SUB`.
    pub ptype: u8,
    /// Stored masked.
    pub mark: XfrmMark,
    pub if_id: u32,
    /// `xfrm_vec[..xfrm_nr]`, at most [`XFRM_MAX_DEPTH`].
    pub tmpls: Vec<XfrmTmpl>,
    pub security: Option<XfrmSecCtx>,
}

impl XfrmPolicyInfo {
    /// `xfrm_nr`.
    pub fn xfrm_nr(&self) -> usize {
        self.tmpls.len()
    }

    /// The policy-side mark rule used by lookups: `(mark & m) == v`.
    pub const fn mark_matches(&self, mark: u32) -> bool {
        self.mark.matches(mark)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn index_dir() {
        assert_eq!(xfrm_policy_id2dir(8 | XFRM_POLICY_OUT as u32), XFRM_POLICY_OUT);
        assert_eq!(xfrm_policy_id2dir(0x1234_5670 | 4), 4);
        let p = XfrmPolicyInfo { tmpls: vec![XfrmTmpl::default(); 2], ..Default::default() };
        assert_eq!(p.xfrm_nr(), 2);
        assert!(p.mark_matches(7));
    }
}
