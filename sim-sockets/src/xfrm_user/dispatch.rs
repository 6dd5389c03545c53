//! `xfrm_netlink_rcv` / `xfrm_user_rcv_msg` and `xfrm_dispatch[]`: every
//! NETLINK_XFRM request of a datagram runs under the namespace's
//! `xfrm_cfg_mutex`, passes the generic checks (type, `CAP_NET_ADMIN`,
//! dump, attribute policy) and its handler's checks, then its handler.
//! [`xfrm_user_init`] plugs the front end into a kernel: the per-namespace
//! kernel socket (`xfrm_user_net_init`) and the netlink key manager
//! (`xfrm_register_km(&netlink_mgr)`).

use sim_core::sync::Arc;
use sim_core::xfrm::algo_table::KernelProfile;
use sim_core::{Errno, KResult};
use sim_km::{KmRegistration, Xfrm};
use sim_netns::{CAP_NET_ADMIN, Net};

use super::attr::ExtAckError;
use super::uapi::*;
use super::verify::{ParsedRequest, XfrmRequest, validate_request, xfrm_user_rcv_msg_precheck};
use super::{ae, info, km, migrate, policy, state};
use crate::Kernel;
use crate::netlink::wire::NlMsg;
use crate::netlink::{
    ExtAck, NETLINK_XFRM, NetlinkInput, NetlinkKernelCfg, NetlinkRcv, netlink_net_capable,
    netlink_rcv_skb,
};

/// The NETLINK_XFRM front end of one kernel: the XFRM layer it drives and
/// the kernel profile (which transform types and algorithms exist).
pub struct XfrmUser {
    /// The XFRM layer (SAD/SPD operations, km list).
    pub xfrm: Xfrm,
    /// The simulated kernel's modules and algorithms.
    pub profile: &'static KernelProfile,
    /// `netlink_mgr` on the km list.
    pub km_registration: KmRegistration,
}

/// What a handler of `xfrm_dispatch[]` gets: the front end, the request
/// skb, its header, the parsed request and the namespace.
pub struct Ctx<'a, 'r> {
    /// The front end.
    pub u: &'a XfrmUser,
    /// `skb` (sender, kernel socket).
    pub rcv: &'a NetlinkRcv<'r>,
    /// `nlh`.
    pub nlh: &'a NlMsg<'r>,
    /// Fixed payload and attributes.
    pub req: &'a ParsedRequest<'r>,
    /// `sock_net(skb->sk)`.
    pub net: &'a Arc<Net>,
}

/// A `doit` handler.
type DoIt = fn(&Ctx<'_, '_>, &mut ExtAck) -> KResult<()>;

/// `xfrm_dispatch[type].doit` (REPORT, NEWSADINFO and MAPPING have none:
/// the generic checks refuse them).
fn xfrm_doit(nlmsg_type: u16) -> Option<DoIt> {
    Some(match nlmsg_type {
        XFRM_MSG_NEWSA | XFRM_MSG_UPDSA => state::xfrm_add_sa,
        XFRM_MSG_DELSA => state::xfrm_del_sa,
        XFRM_MSG_GETSA => state::xfrm_get_sa,
        XFRM_MSG_NEWPOLICY | XFRM_MSG_UPDPOLICY => policy::xfrm_add_policy,
        XFRM_MSG_DELPOLICY | XFRM_MSG_GETPOLICY => policy::xfrm_get_policy,
        XFRM_MSG_ALLOCSPI => state::xfrm_alloc_userspi,
        XFRM_MSG_ACQUIRE => state::xfrm_add_acquire,
        XFRM_MSG_EXPIRE => state::xfrm_add_sa_expire,
        XFRM_MSG_POLEXPIRE => policy::xfrm_add_pol_expire,
        XFRM_MSG_FLUSHSA => state::xfrm_flush_sa,
        XFRM_MSG_FLUSHPOLICY => policy::xfrm_flush_policy,
        XFRM_MSG_NEWAE => ae::xfrm_new_ae,
        XFRM_MSG_GETAE => ae::xfrm_get_ae,
        XFRM_MSG_MIGRATE => migrate::xfrm_do_migrate,
        XFRM_MSG_GETSADINFO => info::xfrm_get_sadinfo,
        XFRM_MSG_NEWSPDINFO => info::xfrm_set_spdinfo,
        XFRM_MSG_GETSPDINFO => info::xfrm_get_spdinfo,
        XFRM_MSG_SETDEFAULT => info::xfrm_set_default,
        XFRM_MSG_GETDEFAULT => info::xfrm_get_default,
        _ => return None,
    })
}

/// Copies a check's result into the extended ACK.
fn set_extack(extack: &mut ExtAck, e: &ExtAckError) {
    if let Some(m) = e.msg {
        extack.set_msg(m);
    }
    if let Some(b) = e.bad_attr {
        extack.bad_attr = u32::try_from(b.offset).ok();
        extack.policy = b.policy.and_then(|p| p.dump());
    }
}

/// `xfrm_user_rcv_msg`: one request. `EINTR` means a dump started.
pub fn xfrm_user_rcv_msg(
    u: &XfrmUser,
    rcv: &NetlinkRcv<'_>,
    nlh: &NlMsg<'_>,
    extack: &mut ExtAck,
) -> Result<(), Errno> {
    let _span = tracing::trace_span!("xfrm_user_rcv_msg").entered();
    let capable = netlink_net_capable(rcv, CAP_NET_ADMIN);
    let req = match xfrm_user_rcv_msg_precheck(nlh.as_bytes(), capable) {
        Err(e) => {
            set_extack(extack, &e);
            return Err(e.errno);
        }
        Ok(XfrmRequest::Dump { nlmsg_type }) => {
            return Err(if nlmsg_type == XFRM_MSG_GETSA {
                state::xfrm_dump_sa(rcv, nlh)
            } else {
                policy::xfrm_dump_policy(rcv, nlh)
            });
        }
        Ok(XfrmRequest::Do(req)) => req,
    };
    if let Some(w) = req.warning {
        extack.set_msg(w);
    }
    if let Err(e) = validate_request(&req) {
        set_extack(extack, &e);
        return Err(e.errno);
    }
    let Some(doit) = xfrm_doit(req.nlmsg_type) else {
        return Err(Errno::EINVAL);
    };
    let c = Ctx { u, rcv, nlh, req: &req, net: rcv.ksk.net() };
    doit(&c, extack)
}

/// `xfrm_netlink_rcv`: the kernel socket's input; the whole datagram is
/// processed under `xfrm_cfg_mutex`.
pub fn xfrm_netlink_rcv(u: &XfrmUser, rcv: &NetlinkRcv<'_>) {
    let _span = tracing::trace_span!("xfrm_netlink_rcv").entered();
    let _cfg = rcv.ksk.net().xfrm.xfrm_cfg_mutex.lock();
    netlink_rcv_skb(rcv, |rcv, nlh, extack| xfrm_user_rcv_msg(u, rcv, nlh, extack));
}

/// `xfrm_user_init`: registers the netlink key manager on `xfrm`'s km
/// list and the NETLINK_XFRM kernel socket (32 groups, input
/// [`xfrm_netlink_rcv`]) in every namespace of `kernel`, present and
/// future.
pub fn xfrm_user_init(
    kernel: &Kernel,
    xfrm: &Xfrm,
    profile: &'static KernelProfile,
) -> KResult<Arc<XfrmUser>> {
    let mgr = km::NetlinkKm::new(kernel.netlink().clone(), kernel.init_net(), xfrm.acqseq());
    let km_registration =
        xfrm.km().xfrm_register_km(sim_core::arc_dyn!(mgr => dyn sim_km::KeyManager));
    let u = Arc::new(XfrmUser { xfrm: xfrm.clone(), profile, km_registration });
    let input = {
        let u = u.clone();
        NetlinkInput::new(move |rcv| xfrm_netlink_rcv(&u, rcv))
    };
    kernel.register_netlink_protocol(NETLINK_XFRM, move |_, _| NetlinkKernelCfg {
        groups: XFRMNLGRP_MAX,
        input: Some(input.clone()),
        ..Default::default()
    })?;
    Ok(u)
}
