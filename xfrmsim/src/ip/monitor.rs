//! `ip xfrm monitor` (iproute2 `ip/xfrm_monitor.c`): the multicast groups
//! to join and `xfrm_accept_msg`'s printing of each notification.

use std::fmt::Write;

use sim_sockets::xfrm_user::uapi::*;
use sim_sockets::xfrm_user::wire::{
    FixedRepr, XfrmAeventId, XfrmUserAcquire, XfrmUserMapping, XfrmUserReport, XfrmUserpolicyType,
    XfrmUsersaFlush,
};

use super::names::{proto_name, ptype_name, xfrmproto_name};
use super::print::{Opts, addr, policy_info, selector};
use super::talk::Fail;
use crate::nl::{AttrTable, Msg, NLMSG_DONE, NLMSG_ERROR, NLMSG_NOOP, align4};

/// `nl_mgrp(group)`.
const fn nl_mgrp(g: u32) -> u32 {
    1 << (g - 1)
}

/// `do_xfrm_monitor`'s argument parsing: the groups bitmap to bind with.
pub fn monitor_groups(argv: &[String]) -> Result<u32, Fail> {
    let mut groups = !0u32;
    let mut pick = 0u32;
    for a in argv {
        let m = |full: &str| !a.is_empty() && full.starts_with(a.as_str());
        let g = if m("acquire") {
            XFRMNLGRP_ACQUIRE
        } else if m("expire") {
            XFRMNLGRP_EXPIRE
        } else if m("SA") {
            XFRMNLGRP_SA
        } else if m("aevent") {
            XFRMNLGRP_AEVENTS
        } else if m("policy") {
            XFRMNLGRP_POLICY
        } else if m("report") {
            XFRMNLGRP_REPORT
        } else if a == "all" {
            continue;
        } else {
            return Err(Fail::Usage(format!(
                "Argument \"{a}\" is unknown, try \"ip xfrm monitor help\".\n"
            )));
        };
        groups = 0;
        pick |= nl_mgrp(g);
    }
    Ok(groups | pick)
}

/// `xfrm_acquire_print`.
fn acquire(out: &mut String, m: &Msg<'_>, o: &Opts) {
    let Ok(a) = XfrmUserAcquire::from_bytes(m.payload) else {
        out.push_str("BUG: wrong nlmsg len\n");
        return;
    };
    let tb = AttrTable::parse(
        m.payload.get(align4(XfrmUserAcquire::SIZE)..).unwrap_or_default(),
        XFRMA_MAX,
    );
    let mut family = a.sel.family;
    if family == 0 {
        family = a.policy.sel.family;
    }
    out.push_str("acquire ");
    let _ = write!(out, "proto {} ", xfrmproto_name(a.id.proto));
    if o.stats > 0 || a.id.spi != 0 {
        let _ = write!(out, "spi 0x{:08x}", a.id.spi);
        if o.stats > 0 {
            let _ = write!(out, "({})", a.id.spi);
        }
        out.push(' ');
    }
    out.push('\n');
    selector(out, &a.sel, family, "  sel ", o);
    policy_info(out, &a.policy, &tb, "    ", "  policy ", o);
    if o.stats > 0 {
        let _ = write!(out, "  seq 0x{:08} ", a.seq);
        let _ = write!(
            out,
            "enc-mask {:08x} auth-mask {:08x} comp-mask {:08x}",
            a.ealgos, a.aalgos, a.calgos
        );
    }
    out.push('\n');
}

/// `xfrm_accept_msg`: one notification as `ip xfrm monitor` prints it.
pub fn monitor_print(out: &mut String, m: &Msg<'_>, o: &Opts) {
    match m.ty {
        XFRM_MSG_NEWSA | XFRM_MSG_DELSA | XFRM_MSG_UPDSA | XFRM_MSG_EXPIRE => {
            super::state::print_state_msg(out, m, o)
        }
        XFRM_MSG_NEWPOLICY | XFRM_MSG_DELPOLICY | XFRM_MSG_UPDPOLICY | XFRM_MSG_POLEXPIRE => {
            super::policy::print_policy_msg(out, m, o)
        }
        XFRM_MSG_ACQUIRE => acquire(out, m, o),
        XFRM_MSG_FLUSHSA => {
            let p = XfrmUsersaFlush::from_bytes(m.payload).map_or(0, |f| f.proto);
            let _ = writeln!(out, "Flushed state proto {}", xfrmproto_name(p));
        }
        XFRM_MSG_FLUSHPOLICY => {
            out.push_str("Flushed policy ");
            let tb = AttrTable::parse(m.payload, XFRMA_MAX);
            if let Some(p) = tb.get(XFRMA_POLICY_TYPE) {
                out.push_str("ptype ");
                if p.len() < XfrmUserpolicyType::SIZE {
                    out.push_str("(ERROR truncated)");
                }
                let _ = write!(out, "{} ", ptype_name(p.first().copied().unwrap_or(0)));
            }
            out.push('\n');
        }
        XFRM_MSG_REPORT => {
            let Ok(r) = XfrmUserReport::from_bytes(m.payload) else { return };
            let _ = writeln!(out, "report proto {} ", xfrmproto_name(r.proto));
            selector(out, &r.sel, r.sel.family, "  sel ", o);
        }
        XFRM_MSG_NEWAE => {
            let Ok(id) = XfrmAeventId::from_bytes(m.payload) else { return };
            let _ = write!(out, "Async event  (0x{:x}) ", id.flags);
            if id.flags & XFRM_AE_CR != 0 {
                out.push_str(" replay update ");
            }
            if id.flags & XFRM_AE_CE != 0 {
                out.push_str(" timer expired ");
            }
            if id.flags & XFRM_AE_CU != 0 {
                out.push_str(" policy updated ");
            }
            let _ = write!(out, "\n\tsrc {} ", addr(id.sa_id.family, &id.saddr));
            let _ = write!(
                out,
                "dst {}  reqid 0x{:x}",
                addr(id.sa_id.family, &id.sa_id.daddr),
                id.reqid
            );
            let _ =
                writeln!(out, " protocol {}  SPI 0x{:x}", proto_name(id.sa_id.proto), id.sa_id.spi);
        }
        XFRM_MSG_MAPPING => {
            let Ok(mp) = XfrmUserMapping::from_bytes(m.payload) else { return };
            let f = mp.id.family;
            let _ = write!(out, "Mapping change {}:{} -> ", addr(f, &mp.old_saddr), mp.old_sport);
            let _ = write!(out, "{}:{}\n\t", addr(f, &mp.new_saddr), mp.new_sport);
            let _ = write!(out, "dst {}  reqid 0x{:x}", addr(f, &mp.id.daddr), mp.reqid);
            let _ = writeln!(out, " protocol {}  SPI 0x{:x}", proto_name(mp.id.proto), mp.id.spi);
        }
        NLMSG_ERROR | NLMSG_NOOP | NLMSG_DONE => {}
        t => {
            let _ = writeln!(
                out,
                "Unknown message: {:08} 0x{t:08x} 0x{:08x}",
                m.payload.len() + crate::nl::NLMSG_HDRLEN,
                m.flags
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn host_monitor_transcript() {
        let v: serde_json::Value =
            serde_json::from_str(include_str!("../../testdata/monitor_host.json")).unwrap();
        let mut out = String::new();
        for d in v["replies"].as_array().unwrap() {
            let s = d.as_str().unwrap();
            let b: Vec<u8> = (0..s.len() / 2)
                .map(|i| u8::from_str_radix(&s[2 * i..2 * i + 2], 16).unwrap())
                .collect();
            for m in crate::nl::messages(&b) {
                monitor_print(&mut out, &m, &Opts::default());
            }
        }
        assert_eq!(out, v["stdout"].as_str().unwrap());
    }

    #[test]
    fn groups() {
        assert_eq!(monitor_groups(&[]).unwrap(), !0);
        let g = monitor_groups(&["acquire".into(), "pol".into()]).unwrap();
        assert_eq!(g, 1 | 8);
        assert!(monitor_groups(&["bogus".into()]).is_err());
    }
}
