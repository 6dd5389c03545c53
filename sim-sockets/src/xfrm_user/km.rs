//! The netlink key manager (`netlink_mgr` of xfrm_user.c): state and
//! policy events (`xfrm_send_state_notify`, `xfrm_send_policy_notify`),
//! `xfrm_send_acquire`, `xfrm_compile_policy`, `xfrm_send_mapping`,
//! `xfrm_send_report`, `xfrm_send_migrate` and `xfrm_is_alive`, each
//! multicast on the namespace's NETLINK_XFRM kernel socket.

use sim_core::sync::Arc;
use sim_core::xfrm::spd::XfrmPolicy;
use sim_core::xfrm::state_table::XfrmAcqSeq;
use sim_core::xfrm::{
    AF_INET, AF_INET6, XfrmAddress, XfrmEncapTmpl, XfrmPolicyInfo, XfrmSelector, XfrmState,
    XfrmTmpl,
};
use sim_core::{Errno, KResult};
use sim_km::{KeyManager, KmEvent, XfrmKmAddress, XfrmMigrate};
use sim_netns::Net;

use super::convert::*;
use super::msg::*;
use super::uapi::*;
use super::verify::{validate_tmpl, verify_newpolicy_info};
use super::wire::{self, FixedRepr};
use super::{ae, policy, state};
use crate::netlink::af_netlink::nlmsg_multicast;
use crate::netlink::wire::nla_total_size;
use crate::netlink::{NETLINK_XFRM, NetlinkCore, NetlinkSock, netlink_has_listeners};
use crate::skbuff::SkBuffMut;

/// `IP_XFRM_POLICY`.
pub const IP_XFRM_POLICY: i32 = 17;
/// `IPV6_XFRM_POLICY`.
pub const IPV6_XFRM_POLICY: i32 = 35;

/// `xfrm_nlmsg_multicast`: to `group` of the kernel socket's namespace
/// (`ESRCH` when nobody listens).
pub fn xfrm_nlmsg_multicast(ksk: &Arc<NetlinkSock>, skb: SkBuffMut, group: u32) -> KResult<()> {
    nlmsg_multicast(ksk, skb.finish(), 0, group)
}

/// `netlink_mgr`.
pub struct NetlinkKm {
    netlink: Arc<NetlinkCore>,
    init_net: Arc<Net>,
    acqseq: Arc<XfrmAcqSeq>,
}

impl NetlinkKm {
    /// The manager for a kernel's netlink tables; MIGRATE goes to
    /// `init_net`; ACQUIREs are numbered with `acqseq`.
    pub fn new(netlink: Arc<NetlinkCore>, init_net: Arc<Net>, acqseq: Arc<XfrmAcqSeq>) -> Self {
        NetlinkKm { netlink, init_net, acqseq }
    }

    /// `net->xfrm.nlsk` (`EPIPE` once the namespace's socket is gone).
    fn nlsk(&self, net: &Net) -> KResult<Arc<NetlinkSock>> {
        self.netlink.kernel_sock(net, NETLINK_XFRM).ok_or(Errno::EPIPE)
    }

    fn multicast(&self, net: &Net, skb: KResult<SkBuffMut>, group: u32) -> KResult<()> {
        let ksk = self.nlsk(net)?;
        xfrm_nlmsg_multicast(&ksk, skb?, group)
    }
}

/// `build_acquire`: ACQUIRE (pid 0, seq 0) for the larval state `x`,
/// template `t` and policy `xp` (reported as OUT); the fresh acquire
/// sequence number is also written into `x`.
pub fn build_acquire(x: &XfrmState, t: &XfrmTmpl, xp: &XfrmPolicy, seq: u32) -> KResult<SkBuffMut> {
    let i = xp.info();
    let len = wire::XfrmUserAcquire::SIZE
        + nla_total_size(wire::XfrmUserTmpl::SIZE * i.tmpls.len())
        + nla_total_size(6)
        + nla_total_size(8)
        + nla_total_size(4);
    let mut skb = nlmsg_new(len);
    let at = put(skb.nlmsg_put(0, 0, XFRM_MSG_ACQUIRE, wire::XfrmUserAcquire::SIZE, 0))?;
    let sel = x.lock_bh().sel;
    let ua = wire::XfrmUserAcquire {
        id: wire::XfrmId { daddr: *x.daddr.as_bytes(), spi: x.spi(), proto: x.proto },
        saddr: *x.saddr.as_bytes(),
        sel: sel_to_user(&sel),
        policy: copy_to_user_policy(xp, XFRM_POLICY_OUT),
        aalgos: t.aalgos,
        ealgos: t.ealgos,
        calgos: t.calgos,
        seq,
    };
    ua.write_at(skb.nlmsg_data_mut(at), 0);
    put_policy_attrs(&mut skb, xp)?;
    if x.pcpu_num != u32::MAX {
        put(skb.nla_put_u32(XFRMA_SA_PCPU, x.pcpu_num))?;
    }
    skb.nlmsg_end(at);
    Ok(skb)
}

/// `build_report`: REPORT (pid 0, seq 0) with the care-of address if any.
pub fn build_report(
    proto: u8,
    sel: &XfrmSelector,
    addr: Option<&XfrmAddress>,
) -> KResult<SkBuffMut> {
    let mut skb = nlmsg_new(wire::XfrmUserReport::SIZE + nla_total_size(16));
    let at = put(skb.nlmsg_put(0, 0, XFRM_MSG_REPORT, wire::XfrmUserReport::SIZE, 0))?;
    wire::XfrmUserReport { proto, sel: sel_to_user(sel) }.write_at(skb.nlmsg_data_mut(at), 0);
    if let Some(a) = addr {
        put(skb.nla_put(XFRMA_COADDR, a.as_bytes()))?;
    }
    skb.nlmsg_end(at);
    Ok(skb)
}

/// `build_mapping`: MAPPING (pid 0, seq 0) — the NAT-T peer of `x` moved
/// to `ipaddr`:`sport`.
pub fn build_mapping(
    x: &XfrmState,
    ipaddr: &XfrmAddress,
    sport: u16,
    encap: &XfrmEncapTmpl,
) -> KResult<SkBuffMut> {
    let mut skb = nlmsg_new(wire::XfrmUserMapping::SIZE);
    let at = put(skb.nlmsg_put(0, 0, XFRM_MSG_MAPPING, wire::XfrmUserMapping::SIZE, 0))?;
    let um = wire::XfrmUserMapping {
        id: usersa_id(x),
        reqid: x.reqid,
        old_saddr: *x.saddr.as_bytes(),
        new_saddr: *ipaddr.as_bytes(),
        old_sport: encap.encap_sport,
        new_sport: sport,
    };
    um.write_at(skb.nlmsg_data_mut(at), 0);
    skb.nlmsg_end(at);
    Ok(skb)
}

/// `build_migrate`: MIGRATE (pid 0, seq 0): the policy id, the key
/// managers' addresses, the encapsulation, the type and one
/// `XFRMA_MIGRATE` per entry.
pub fn build_migrate(
    sel: &XfrmSelector,
    dir: u8,
    ptype: u8,
    m: &[XfrmMigrate],
    k: Option<&XfrmKmAddress>,
    encap: Option<&XfrmEncapTmpl>,
) -> KResult<SkBuffMut> {
    let len = wire::XfrmUserpolicyId::SIZE
        + nla_total_size(40)
        + nla_total_size(24)
        + nla_total_size(6)
        + m.len() * nla_total_size(wire::XfrmUserMigrate::SIZE);
    let mut skb = nlmsg_new(len);
    let at = put(skb.nlmsg_put(0, 0, XFRM_MSG_MIGRATE, wire::XfrmUserpolicyId::SIZE, 0))?;
    let id = wire::XfrmUserpolicyId { sel: sel_to_user(sel), index: 0, dir };
    id.write_at(skb.nlmsg_data_mut(at), 0);
    if let Some(k) = k {
        let uk = wire::XfrmUserKmaddress {
            local: *k.local.as_bytes(),
            remote: *k.remote.as_bytes(),
            reserved: k.reserved,
            family: k.family,
        };
        nla_put_struct(&mut skb, XFRMA_KMADDRESS, &uk)?;
    }
    if let Some(e) = encap {
        nla_put_struct(&mut skb, XFRMA_ENCAP, &encap_to_user(e))?;
    }
    copy_to_user_policy_type(&mut skb, ptype)?;
    for mp in m {
        let um = wire::XfrmUserMigrate {
            old_daddr: *mp.old_daddr.as_bytes(),
            old_saddr: *mp.old_saddr.as_bytes(),
            new_daddr: *mp.new_daddr.as_bytes(),
            new_saddr: *mp.new_saddr.as_bytes(),
            proto: mp.proto,
            mode: mp.mode,
            reserved: 0,
            reqid: mp.reqid,
            old_family: mp.old_family,
            new_family: mp.new_family,
        };
        nla_put_struct(&mut skb, XFRMA_MIGRATE, &um)?;
    }
    skb.nlmsg_end(at);
    Ok(skb)
}

/// `xfrm_compile_policy`: an `xfrm_userpolicy_info` and its templates
/// from `setsockopt(IP_XFRM_POLICY / IPV6_XFRM_POLICY)`.
pub fn xfrm_compile_policy(
    family: u16,
    optname: i32,
    data: &[u8],
) -> KResult<(XfrmPolicyInfo, u8)> {
    let _span = tracing::trace_span!("xfrm_compile_policy").entered();
    match (family, optname) {
        (AF_INET, IP_XFRM_POLICY) | (AF_INET6, IPV6_XFRM_POLICY) => {}
        (AF_INET, _) | (AF_INET6, _) => return Err(Errno::EOPNOTSUPP),
        _ => return Err(Errno::EINVAL),
    }
    if data.len() < wire::XfrmUserpolicyInfo::SIZE {
        return Err(Errno::EINVAL);
    }
    let p = wire::XfrmUserpolicyInfo::read_at(data, 0);
    verify_newpolicy_info(&p).map_err(|_| Errno::EINVAL)?;
    let rest = data.get(wire::XfrmUserpolicyInfo::SIZE..).unwrap_or_default();
    let mut ut = wire::parse_user_tmpls(rest);
    validate_tmpl(&mut ut, p.sel.family, p.dir).map_err(|_| Errno::EINVAL)?;
    if p.dir > XFRM_POLICY_OUT {
        return Err(Errno::EINVAL);
    }
    let mut xp = copy_from_user_policy(&p);
    xp.ptype = XFRM_POLICY_TYPE_MAIN;
    xp.tmpls = copy_templates(&ut);
    Ok((xp, p.dir))
}

impl KeyManager for NetlinkKm {
    fn name(&self) -> &'static str {
        "netlink"
    }

    /// `xfrm_send_state_notify`.
    fn notify(&self, x: Option<&Arc<XfrmState>>, c: &KmEvent) -> KResult<()> {
        let ev = c.event as u16;
        match (ev, x) {
            (XFRM_MSG_EXPIRE, Some(x)) => {
                self.multicast(&c.net, state::build_expire(x, c), XFRMNLGRP_EXPIRE)
            }
            (XFRM_MSG_NEWAE, Some(x)) => {
                self.multicast(&c.net, ae::build_aevent(x, c), XFRMNLGRP_AEVENTS)
            }
            (XFRM_MSG_DELSA | XFRM_MSG_UPDSA | XFRM_MSG_NEWSA, Some(x)) => {
                self.multicast(&c.net, state::build_notify_sa(x, c), XFRMNLGRP_SA)
            }
            (XFRM_MSG_FLUSHSA, _) => {
                self.multicast(&c.net, state::build_notify_sa_flush(c), XFRMNLGRP_SA)
            }
            // Unknown events are logged and ignored.
            _ => Ok(()),
        }
    }

    /// `xfrm_send_policy_notify`.
    fn notify_policy(&self, xp: Option<&Arc<XfrmPolicy>>, dir: u8, c: &KmEvent) -> KResult<()> {
        let ev = c.event as u16;
        match (ev, xp) {
            (XFRM_MSG_NEWPOLICY | XFRM_MSG_UPDPOLICY | XFRM_MSG_DELPOLICY, Some(xp)) => {
                self.multicast(&c.net, policy::build_notify_policy(xp, dir, c), XFRMNLGRP_POLICY)
            }
            (XFRM_MSG_FLUSHPOLICY, _) => {
                self.multicast(&c.net, policy::build_notify_policy_flush(c), XFRMNLGRP_POLICY)
            }
            (XFRM_MSG_POLEXPIRE, Some(xp)) => {
                self.multicast(&c.net, policy::build_polexpire(xp, dir, c), XFRMNLGRP_EXPIRE)
            }
            _ => Ok(()),
        }
    }

    /// `xfrm_send_acquire`: `x->km.seq` gets a fresh acquire number.
    fn acquire(
        &self,
        net: &Net,
        x: &Arc<XfrmState>,
        t: &XfrmTmpl,
        pol: &Arc<XfrmPolicy>,
    ) -> KResult<()> {
        let seq = self.acqseq.next();
        x.set_seq_before_insert(seq);
        self.multicast(net, build_acquire(x, t, pol, seq), XFRMNLGRP_ACQUIRE)
    }

    /// `xfrm_compile_policy`.
    fn compile_policy(
        &self,
        family: u16,
        optname: i32,
        data: &[u8],
    ) -> KResult<(XfrmPolicyInfo, u8)> {
        xfrm_compile_policy(family, optname, data)
    }

    /// `xfrm_send_mapping`: ESP states with encapsulation only.
    fn new_mapping(
        &self,
        net: &Net,
        x: &Arc<XfrmState>,
        ipaddr: &XfrmAddress,
        sport: u16,
    ) -> KResult<()> {
        let encap = x.lock_bh().encap;
        let Some(encap) = encap else { return Err(Errno::EINVAL) };
        if x.proto != IPPROTO_ESP {
            return Err(Errno::EINVAL);
        }
        self.multicast(net, build_mapping(x, ipaddr, sport, &encap), XFRMNLGRP_MAPPING)
    }

    /// `xfrm_send_report`.
    fn report(
        &self,
        net: &Net,
        proto: u8,
        sel: &XfrmSelector,
        addr: Option<&XfrmAddress>,
    ) -> KResult<()> {
        self.multicast(net, build_report(proto, sel, addr), XFRMNLGRP_REPORT)
    }

    /// `xfrm_send_migrate`: always to `init_net`.
    fn migrate(
        &self,
        sel: &XfrmSelector,
        dir: u8,
        ptype: u8,
        m: &[XfrmMigrate],
        k: Option<&XfrmKmAddress>,
        encap: Option<&XfrmEncapTmpl>,
    ) -> KResult<()> {
        let skb = build_migrate(sel, dir, ptype, m, k, encap);
        self.multicast(&self.init_net, skb, XFRMNLGRP_MIGRATE)
    }

    /// `xfrm_is_alive`: someone listens on `XFRMNLGRP_ACQUIRE`.
    fn is_alive(&self, c: &KmEvent) -> bool {
        self.nlsk(&c.net).is_ok_and(|ksk| netlink_has_listeners(&ksk, XFRMNLGRP_ACQUIRE))
    }
}
