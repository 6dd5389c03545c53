//! `xfrm_do_migrate` (xfrm_user.c) and `xfrm_migrate` with its stages
//! (net/xfrm/xfrm_policy.c, xfrm_state.c): checks, the policy, the states
//! cloned to their new addresses, the policy's templates, the old states
//! deleted, and the MIGRATE announcement.

use sim_core::sync::Arc;
use sim_core::xfrm::addr::xfrm_addr_equal;
use sim_core::xfrm::spd::XfrmPolicy;
use sim_core::xfrm::{
    XfrmEncapTmpl, XfrmKmState, XfrmSelector, XfrmState, XfrmStateInfo, XfrmTmpl,
};
use sim_core::{Errno, KResult};
use sim_km::{XfrmKmAddress, XfrmMigrate};

use super::convert::*;
use super::dispatch::Ctx;
use super::uapi::*;
use super::verify::copy_from_user_policy_type;
use super::wire::{self, FixedRepr};
use crate::netlink::ExtAck;

/// `IPSEC_ULPROTO_ANY`.
const IPSEC_ULPROTO_ANY: u8 = 255;

fn einval(extack: &mut ExtAck, m: &'static str) -> Errno {
    extack.set_msg(m);
    Errno::EINVAL
}

/// `copy_from_user_migrate`: the entries (count checked earlier).
fn copy_from_user_migrate(payload: &[u8]) -> Vec<XfrmMigrate> {
    wire::parse_user_migrates(payload)
        .into_iter()
        .map(|u| XfrmMigrate {
            old_daddr: addr_from(&u.old_daddr),
            old_saddr: addr_from(&u.old_saddr),
            new_daddr: addr_from(&u.new_daddr),
            new_saddr: addr_from(&u.new_saddr),
            proto: u.proto,
            mode: u.mode,
            reserved: 0,
            reqid: u.reqid,
            old_family: u.old_family,
            new_family: u.new_family,
        })
        .collect()
}

/// `xfrm_migrate_check`: non-null new addresses, unique entries.
fn xfrm_migrate_check(m: &[XfrmMigrate], extack: &mut ExtAck) -> KResult<()> {
    for (i, a) in m.iter().enumerate() {
        if a.new_daddr.is_any(a.new_family) || a.new_saddr.is_any(a.new_family) {
            return Err(einval(extack, "Addresses in the MIGRATE attribute's list cannot be null"));
        }
        for b in m.iter().skip(i + 1) {
            if a.old_daddr == b.old_daddr
                && a.old_saddr == b.old_saddr
                && a.proto == b.proto
                && a.mode == b.mode
                && a.reqid == b.reqid
                && a.old_family == b.old_family
            {
                return Err(einval(
                    extack,
                    "Entries in the MIGRATE attribute's list must be unique",
                ));
            }
        }
    }
    Ok(())
}

/// `xfrm_migrate_selector_match`.
fn selector_match(cmp: &XfrmSelector, tgt: &XfrmSelector) -> bool {
    if cmp.proto == IPSEC_ULPROTO_ANY {
        tgt.family == cmp.family
            && xfrm_addr_equal(&tgt.daddr, &cmp.daddr, cmp.family)
            && xfrm_addr_equal(&tgt.saddr, &cmp.saddr, cmp.family)
            && tgt.prefixlen_d == cmp.prefixlen_d
            && tgt.prefixlen_s == cmp.prefixlen_s
    } else {
        tgt == cmp
    }
}

/// `xfrm_migrate_policy_find`: the best-priority policy of (dir, type)
/// with this selector (and interface id, if given).
fn xfrm_migrate_policy_find(
    c: &Ctx<'_, '_>,
    sel: &XfrmSelector,
    dir: u8,
    ptype: u8,
    if_id: u32,
) -> Option<Arc<XfrmPolicy>> {
    let mut best: Option<Arc<XfrmPolicy>> = None;
    for p in c.net.xfrm.policy.policies().into_iter().rev() {
        if p.dir() != dir
            || p.ptype() != ptype
            || (if_id != 0 && p.if_id() != if_id)
            || !selector_match(sel, p.selector())
        {
            continue;
        }
        if best.as_ref().is_none_or(|b| p.priority() < b.priority()) {
            best = Some(p);
        }
    }
    best
}

/// `xfrm_migrate_state_find`: the state of the entry's old endpoints.
fn xfrm_migrate_state_find(c: &Ctx<'_, '_>, m: &XfrmMigrate, if_id: u32) -> Option<Arc<XfrmState>> {
    c.net.xfrm.state.states().into_iter().rev().find(|x| {
        (m.reqid == 0 || x.reqid == m.reqid)
            && x.mode == m.mode
            && x.proto == m.proto
            && (if_id == 0 || x.if_id() == if_id)
            && x.family == m.old_family
            && xfrm_addr_equal(&x.daddr, &m.old_daddr, m.old_family)
            && xfrm_addr_equal(&x.saddr, &m.old_saddr, m.old_family)
            && x.km_state() != XfrmKmState::Dead
    })
}

/// `migrate_tmpl_match`.
fn migrate_tmpl_match(m: &XfrmMigrate, t: &XfrmTmpl) -> bool {
    if t.mode != m.mode || t.id.proto != m.proto || (m.reqid != 0 && t.reqid != m.reqid) {
        return false;
    }
    match t.mode {
        XFRM_MODE_TUNNEL | XFRM_MODE_BEET => {
            xfrm_addr_equal(&t.id.daddr, &m.old_daddr, m.old_family)
                && xfrm_addr_equal(&t.saddr, &m.old_saddr, m.old_family)
        }
        XFRM_MODE_TRANSPORT => true,
        _ => false,
    }
}

/// `xfrm_state_migrate`: a clone of `x` at the new endpoints, initialised
/// and inserted (`None`: cloning or initialising failed).
fn xfrm_state_migrate(
    c: &Ctx<'_, '_>,
    x: &Arc<XfrmState>,
    m: &XfrmMigrate,
    encap: Option<&XfrmEncapTmpl>,
) -> Option<Arc<XfrmState>> {
    let mut info: XfrmStateInfo = x.info();
    info.id.daddr = m.new_daddr;
    info.saddr = m.new_saddr;
    info.family = m.new_family;
    if let Some(e) = encap {
        info.encap = Some(*e);
    }
    let mut ext = ExtAck::default();
    super::state::xfrm_init_state(&info, c.u.profile, &mut ext).ok()?;
    let xc = Arc::new(XfrmState::new(info, c.u.xfrm.clock().real_seconds()));
    xc.set_km_state(x.km_state());
    let r = if xfrm_addr_equal(&x.daddr, &m.new_daddr, m.new_family) {
        c.net.xfrm.state.xfrm_state_insert(&xc)
    } else {
        c.u.xfrm.xfrm_state_add(c.net, &xc)
    };
    r.ok().map(|()| xc)
}

/// `xfrm_policy_migrate`: the matching tunnel/BEET templates get the new
/// endpoints (`ENODATA` when no template matched). The SPD keeps policies
/// immutable, so the rewritten policy replaces the old one.
fn xfrm_policy_migrate(c: &Ctx<'_, '_>, pol: &Arc<XfrmPolicy>, m: &[XfrmMigrate]) -> KResult<()> {
    if pol.is_dead() {
        return Err(Errno::ENOENT);
    }
    let mut info = pol.to_info();
    let mut n = 0;
    for t in info.tmpls.iter_mut() {
        for mp in m {
            if !migrate_tmpl_match(mp, t) {
                continue;
            }
            n += 1;
            if t.mode != XFRM_MODE_TUNNEL && t.mode != XFRM_MODE_BEET {
                continue;
            }
            t.id.daddr = mp.new_daddr;
            t.saddr = mp.new_saddr;
            t.encap_family = mp.new_family;
        }
    }
    if n == 0 {
        return Err(Errno::ENODATA);
    }
    let dir = pol.dir();
    c.u.xfrm.xfrm_policy_insert(c.net, dir, info, false).map(drop)
}

/// `xfrm_do_migrate`.
pub fn xfrm_do_migrate(c: &Ctx<'_, '_>, extack: &mut ExtAck) -> KResult<()> {
    let _span = tracing::trace_span!("xfrm_do_migrate").entered();
    let pi = wire::XfrmUserpolicyId::read_at(c.req.payload, 0);
    let attrs = &c.req.attrs;
    let Some(mp) = attrs.payload(XFRMA_MIGRATE) else {
        return Err(einval(extack, "Missing required MIGRATE attribute"));
    };
    let km = attrs.payload(XFRMA_KMADDRESS).map(|p| {
        let k = wire::XfrmUserKmaddress::read_at(p, 0);
        XfrmKmAddress {
            local: addr_from(&k.local),
            remote: addr_from(&k.remote),
            reserved: k.reserved,
            family: k.family,
        }
    });
    let ptype = copy_from_user_policy_type(attrs).map_err(|(e, _)| e)?;
    let m = copy_from_user_migrate(mp);
    if m.is_empty() {
        return Ok(());
    }
    let encap =
        attrs.payload(XFRMA_ENCAP).map(|e| encap_from_user(&wire::XfrmEncapTmpl::read_at(e, 0)));
    let if_id = attrs.u32(XFRMA_IF_ID).unwrap_or(0);
    let sel = sel_from_user(&pi.sel);
    // Stage 0: checks.
    xfrm_migrate_check(&m, extack)?;
    if pi.dir >= XFRM_POLICY_MAX {
        return Err(einval(extack, "Invalid policy direction"));
    }
    // Stage 1: the policy.
    let Some(pol) = xfrm_migrate_policy_find(c, &sel, pi.dir, ptype, if_id) else {
        extack.set_msg("Target policy not found");
        return Err(Errno::ENOENT);
    };
    // Stage 2: the states.
    let mut x_cur = Vec::new();
    let mut x_new: Vec<Arc<XfrmState>> = Vec::new();
    let restore = |x_new: &[Arc<XfrmState>]| {
        for x in x_new {
            let _ = c.u.xfrm.xfrm_state_delete(c.net, x);
        }
    };
    for mp in &m {
        if let Some(x) = xfrm_migrate_state_find(c, mp, if_id) {
            match xfrm_state_migrate(c, &x, mp, encap.as_ref()) {
                Some(xc) => x_new.push(xc),
                None => {
                    restore(&x_new);
                    return Err(Errno::ENODATA);
                }
            }
            x_cur.push(x);
        }
    }
    // Stage 3: the policy's templates.
    if let Err(e) = xfrm_policy_migrate(c, &pol, &m) {
        if e == Errno::ENOENT {
            extack.set_msg("Target policy not found");
        }
        restore(&x_new);
        return Err(e);
    }
    // Stage 4: the old states go.
    for x in &x_cur {
        let _ = c.u.xfrm.xfrm_state_delete(c.net, x);
    }
    // Stage 5: announce.
    let _ = c.u.xfrm.km().km_migrate(&sel, pi.dir, ptype, &m, km.as_ref(), encap.as_ref());
    Ok(())
}
