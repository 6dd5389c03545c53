//! Kernel-side request processing (`netlink_rcv_skb`) and ACKs
//! (`netlink_ack`, `struct netlink_ext_ack`).

use std::borrow::Cow;

use sim_core::Errno;

use super::af_netlink::{NETLINK_F_CAP_ACK, NETLINK_F_EXT_ACK, NetlinkRcv, nlmsg_unicast};
use super::wire::{
    NLA_F_NESTED, NLM_F_ACK, NLM_F_ACK_TLVS, NLM_F_CAPPED, NLM_F_REQUEST, NLMSG_ERROR,
    NLMSG_HDRLEN, NLMSG_MIN_TYPE, NLMSGERR_ATTR_COOKIE, NLMSGERR_ATTR_MISS_NEST,
    NLMSGERR_ATTR_MISS_TYPE, NLMSGERR_ATTR_MSG, NLMSGERR_ATTR_OFFS, NLMSGERR_ATTR_POLICY, NlMsg,
    NlMsgIter, nla_total_size, nlmsg_total_size,
};
use crate::skbuff::SkBuffMut;

/// `struct netlink_ext_ack`: what a handler reports beyond the errno.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ExtAck {
    /// `_msg` (`NL_SET_ERR_MSG`).
    pub msg: Option<Cow<'static, str>>,
    /// `bad_attr`, as its offset from the start of the request header.
    pub bad_attr: Option<u32>,
    /// `cookie`.
    pub cookie: Option<Vec<u8>>,
    /// `miss_type`.
    pub miss_type: Option<u32>,
    /// `miss_nest`, as an offset from the request header.
    pub miss_nest: Option<u32>,
    /// `policy`: the `NLMSGERR_ATTR_POLICY` nest payload
    /// (`netlink_policy_dump_write_attr` of the violated entry).
    pub policy: Option<Vec<u8>>,
}

impl ExtAck {
    /// `NL_SET_ERR_MSG()`.
    pub fn set_msg(&mut self, msg: impl Into<Cow<'static, str>>) {
        self.msg = Some(msg.into());
    }

    /// `NL_SET_ERR_MSG_ATTR()`.
    pub fn set_msg_attr(&mut self, msg: impl Into<Cow<'static, str>>, offset: u32) {
        self.msg = Some(msg.into());
        self.bad_attr = Some(offset);
    }

    /// `netlink_ack_tlv_len()`.
    fn tlv_len(&self, err: i32) -> usize {
        let mut n = 0;
        if let Some(m) = &self.msg {
            n += nla_total_size(m.len() + 1);
        }
        if let Some(c) = &self.cookie {
            n += nla_total_size(c.len());
        }
        if err == 0 {
            return n;
        }
        if self.bad_attr.is_some() {
            n += nla_total_size(4);
        }
        if let Some(p) = &self.policy {
            n += nla_total_size(p.len());
        }
        if self.miss_type.is_some() {
            n += nla_total_size(4);
        }
        if self.miss_nest.is_some() {
            n += nla_total_size(4);
        }
        n
    }

    /// `netlink_ack_tlv_fill()`.
    fn fill(&self, skb: &mut SkBuffMut, err: i32, req_len: u32) {
        if let Some(m) = &self.msg {
            let _ = skb.nla_put_string(NLMSGERR_ATTR_MSG, m);
        }
        if let Some(c) = &self.cookie {
            let _ = skb.nla_put(NLMSGERR_ATTR_COOKIE, c);
        }
        if err == 0 {
            return;
        }
        if let Some(o) = self.bad_attr
            && o >= NLMSG_HDRLEN as u32
            && o < req_len
        {
            let _ = skb.nla_put_u32(NLMSGERR_ATTR_OFFS, o);
        }
        if let Some(p) = &self.policy {
            let _ = skb.nla_put(NLMSGERR_ATTR_POLICY | NLA_F_NESTED, p);
        }
        if let Some(t) = self.miss_type {
            let _ = skb.nla_put_u32(NLMSGERR_ATTR_MISS_TYPE, t);
        }
        if let Some(o) = self.miss_nest
            && o <= req_len
        {
            let _ = skb.nla_put_u32(NLMSGERR_ATTR_MISS_NEST, o);
        }
    }
}

/// `netlink_ack()`: an `NLMSG_ERROR` to the requester carrying `err` (0 or
/// a negative errno), the request header, the request payload unless it
/// is a success or the socket set `NETLINK_CAP_ACK`, and the extended-ACK
/// TLVs when the socket set `NETLINK_EXT_ACK`.
pub fn netlink_ack(rcv: &NetlinkRcv<'_>, nlh: &NlMsg<'_>, err: i32, extack: Option<&ExtAck>) {
    let req_payload = nlh.payload();
    let mut payload = 20;
    let mut flags = 0;
    let capped = err == 0 || rcv.ssk.test_flag(NETLINK_F_CAP_ACK);
    if capped {
        flags |= NLM_F_CAPPED;
    } else {
        payload += req_payload.len();
    }
    let extack = extack.filter(|_| rcv.ssk.test_flag(NETLINK_F_EXT_ACK));
    let tlvlen = extack.map_or(0, |e| e.tlv_len(err));
    if tlvlen != 0 {
        flags |= NLM_F_ACK_TLVS;
    }
    let portid = rcv.skb.cb.portid;
    let mut skb = SkBuffMut::alloc(nlmsg_total_size(payload + tlvlen));
    let Some(at) = skb.nlmsg_put(portid, nlh.seq(), NLMSG_ERROR, 20, flags) else {
        rcv.ssk.sk().set_err(Errno::ENOBUFS);
        return;
    };
    {
        let d = skb.nlmsg_data_mut(at);
        d[..4].copy_from_slice(&err.to_le_bytes());
        d[4..20].copy_from_slice(nlh.header_bytes());
    }
    if !capped && skb.nlmsg_append(req_payload).is_none() {
        return;
    }
    if let Some(e) = extack
        && tlvlen != 0
    {
        e.fill(&mut skb, err, nlh.len());
    }
    skb.nlmsg_end(at);
    let _ = nlmsg_unicast(rcv.ksk, skb.finish(), portid);
}

/// `netlink_rcv_skb()`: runs `cb` on each request of the datagram in
/// order. Messages without `NLM_F_REQUEST` and control messages are only
/// ACKed (when asked); a handler's `EINTR` means a dump started and gets
/// no ACK; any other error, or `NLM_F_ACK`, gets one. A malformed header
/// ends the datagram silently.
pub fn netlink_rcv_skb(
    rcv: &NetlinkRcv<'_>,
    mut cb: impl FnMut(&NetlinkRcv<'_>, &NlMsg<'_>, &mut ExtAck) -> Result<(), Errno>,
) {
    let _span = tracing::trace_span!("netlink_rcv_skb").entered();
    for (_, nlh) in NlMsgIter::new(rcv.skb.data()) {
        let mut extack = ExtAck::default();
        let mut err = 0;
        if nlh.flags() & NLM_F_REQUEST != 0 && nlh.msg_type() >= NLMSG_MIN_TYPE {
            match cb(rcv, &nlh, &mut extack) {
                Ok(()) => {}
                Err(Errno::EINTR) => continue,
                Err(e) => err = e.neg(),
            }
        }
        if nlh.flags() & NLM_F_ACK != 0 || err != 0 {
            netlink_ack(rcv, &nlh, err, Some(&extack));
        }
    }
}
