//! Attribute writers shared by the xfrm_user builders (`xfrm_mark_put`,
//! `xfrm_if_id_put`, `copy_to_user_policy_type`, `copy_to_user_tmpl`) and
//! the reply plumbing (`nlmsg_new`, `nlmsg_unicast` to the requester).

use sim_core::xfrm::spd::XfrmPolicy;
use sim_core::xfrm::{XfrmMark, XfrmTmpl};
use sim_core::{Errno, KResult};

use super::convert::tmpl_to_user;
use super::uapi::*;
use super::wire::{self, FixedRepr};
use crate::netlink::wire::nlmsg_total_size;
use crate::netlink::{NLMSG_GOODSIZE, NetlinkRcv, nlmsg_unicast};
use crate::skbuff::SkBuffMut;

/// `NLMSG_DEFAULT_SIZE`: `NLMSG_GOODSIZE - NLMSG_HDRLEN`.
pub const NLMSG_DEFAULT_SIZE: usize = NLMSG_GOODSIZE - 16;

/// `nlmsg_new(payload)`.
pub fn nlmsg_new(payload: usize) -> SkBuffMut {
    SkBuffMut::alloc(nlmsg_total_size(payload))
}

/// Maps a failed put to `-EMSGSIZE`.
pub fn put<T>(r: Option<T>) -> KResult<T> {
    r.ok_or(Errno::EMSGSIZE)
}

/// `nla_put(skb, type, sizeof(*s), s)` of a fixed structure.
pub fn nla_put_struct<R: FixedRepr>(skb: &mut SkBuffMut, kind: u16, s: &R) -> KResult<()> {
    let at = put(skb.nla_reserve(kind, R::SIZE))?;
    s.write_at(&mut skb.data_mut()[at..], 0);
    Ok(())
}

/// `nla_put_u8`.
pub fn nla_put_u8(skb: &mut SkBuffMut, kind: u16, v: u8) -> KResult<()> {
    put(skb.nla_put(kind, &[v])).map(drop)
}

/// `xfrm_mark_put`: only a non-zero mark.
pub fn xfrm_mark_put(skb: &mut SkBuffMut, m: &XfrmMark) -> KResult<()> {
    if m.v | m.m == 0 {
        return Ok(());
    }
    nla_put_struct(skb, XFRMA_MARK, &wire::XfrmMark { v: m.v, m: m.m })
}

/// `xfrm_smark_put`: `XFRMA_SET_MARK` and `XFRMA_SET_MARK_MASK`.
pub fn xfrm_smark_put(skb: &mut SkBuffMut, m: &XfrmMark) -> KResult<()> {
    if m.v | m.m == 0 {
        return Ok(());
    }
    put(skb.nla_put_u32(XFRMA_SET_MARK, m.v))?;
    put(skb.nla_put_u32(XFRMA_SET_MARK_MASK, m.m)).map(drop)
}

/// `xfrm_if_id_put`: only a non-zero interface id.
pub fn xfrm_if_id_put(skb: &mut SkBuffMut, if_id: u32) -> KResult<()> {
    if if_id == 0 {
        return Ok(());
    }
    put(skb.nla_put_u32(XFRMA_IF_ID, if_id)).map(drop)
}

/// `copy_to_user_policy_type` (CONFIG_XFRM_SUB_POLICY): reserved bytes
/// zeroed.
pub fn copy_to_user_policy_type(skb: &mut SkBuffMut, ptype: u8) -> KResult<()> {
    nla_put_struct(
        skb,
        XFRMA_POLICY_TYPE,
        &wire::XfrmUserpolicyType { type_: ptype, ..Default::default() },
    )
}

/// `copy_to_user_tmpl`: nothing for a policy without templates.
pub fn copy_to_user_tmpl(skb: &mut SkBuffMut, tmpls: &[XfrmTmpl]) -> KResult<()> {
    if tmpls.is_empty() {
        return Ok(());
    }
    let ut: Vec<wire::XfrmUserTmpl> = tmpls.iter().map(tmpl_to_user).collect();
    put(skb.nla_put(XFRMA_TMPL, &wire::emit_user_tmpls(&ut))).map(drop)
}

/// The attributes every policy message ends with: templates, (no security
/// context without an LSM), type, mark, interface id.
pub fn put_policy_attrs(skb: &mut SkBuffMut, xp: &XfrmPolicy) -> KResult<()> {
    let i = xp.info();
    copy_to_user_tmpl(skb, &i.tmpls)?;
    copy_to_user_policy_type(skb, i.ptype)?;
    xfrm_mark_put(skb, &i.mark)?;
    xfrm_if_id_put(skb, i.if_id)
}

/// `nlmsg_unicast(net->xfrm.nlsk, skb, NETLINK_CB(skb).portid)`: a reply
/// to the requester.
pub fn unicast_reply(rcv: &NetlinkRcv<'_>, skb: SkBuffMut) -> KResult<()> {
    nlmsg_unicast(rcv.ksk, skb.finish(), rcv.skb.cb.portid)
}
