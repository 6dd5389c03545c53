//! A scripted key manager for scenarios: a user-space daemon in the style
//! of an IKE daemon, on NETLINK_XFRM. It listens on `XFRMNLGRP_ACQUIRE`,
//! and `delay` seconds of virtual time after each ACQUIRE it answers with
//! the SA the acquire asked for — an `XFRM_MSG_NEWSA` carrying the
//! acquire's sequence number (so the kernel completes the larval state),
//! the template's mode and reqid, and fixed test keys.

use std::time::Duration;

use sim_sockets::xfrm_user::uapi::*;
use sim_sockets::xfrm_user::wire::{
    FixedRepr, XfrmAlgo, XfrmAlgoAuth, XfrmId, XfrmUserAcquire, XfrmUsersaInfo, alg_name_from,
    parse_user_tmpls,
};

use crate::ip::args::lifetime_inf;
use crate::nl::{AttrTable, Msg, NLM_F_REQUEST, Request, align4};

/// The SA a daemon installs for one ACQUIRE, as a NEWSA request.
pub fn answer_for(acq: &Msg<'_>, spi: u32) -> Option<Request> {
    if acq.ty != XFRM_MSG_ACQUIRE {
        return None;
    }
    let a = XfrmUserAcquire::from_bytes(acq.payload).ok()?;
    let tb = AttrTable::parse(
        acq.payload.get(align4(XfrmUserAcquire::SIZE)..).unwrap_or_default(),
        XFRMA_MAX,
    );
    let tmpl = tb
        .get(XFRMA_TMPL)
        .map(parse_user_tmpls)
        .and_then(|t| t.into_iter().find(|t| t.id.proto == a.id.proto));
    let family = if a.sel.family != 0 { a.sel.family } else { a.policy.sel.family };
    let xs = XfrmUsersaInfo {
        sel: a.sel,
        id: XfrmId { daddr: a.id.daddr, spi, proto: a.id.proto },
        saddr: a.saddr,
        lft: lifetime_inf(),
        seq: a.seq,
        reqid: tmpl.map_or(0, |t| t.reqid),
        family,
        mode: tmpl.map_or(XFRM_MODE_TRANSPORT, |t| t.mode),
        replay_window: 32,
        ..Default::default()
    };
    let mut r = Request::new(XFRM_MSG_NEWSA, NLM_F_REQUEST, &xs.to_bytes());
    let key = |n: usize| (0..n).map(|i| i as u8).collect::<Vec<u8>>();
    let auth = XfrmAlgoAuth {
        alg_name: alg_name_from("hmac(sha256)"),
        alg_key_len: 256,
        alg_trunc_len: 128,
        alg_key: key(32),
    };
    match a.id.proto {
        50 => {
            let enc = XfrmAlgo {
                alg_name: alg_name_from("cbc(aes)"),
                alg_key_len: 128,
                alg_key: key(16),
            };
            r.addattr(XFRMA_ALG_CRYPT, &enc.to_bytes());
            r.addattr(XFRMA_ALG_AUTH_TRUNC, &auth.to_bytes());
        }
        51 => r.addattr(XFRMA_ALG_AUTH_TRUNC, &auth.to_bytes()),
        108 => {
            let comp =
                XfrmAlgo { alg_name: alg_name_from("deflate"), alg_key_len: 0, alg_key: vec![] };
            r.addattr(XFRMA_ALG_COMP, &comp.to_bytes());
        }
        _ => return None,
    }
    Some(r)
}

/// The daemon's state: answers not yet due.
#[derive(Debug, Default)]
pub struct ScriptedKm {
    /// Answer delay.
    pub delay: Duration,
    next_spi: u32,
    pending: Vec<(Duration, u32, Request)>,
}

impl ScriptedKm {
    /// A daemon answering `delay` after each acquire.
    pub fn new(delay: Duration) -> ScriptedKm {
        ScriptedKm { delay, next_spi: 0xc000_0000, pending: Vec::new() }
    }

    /// Reads one datagram from the ACQUIRE group at virtual time `now`:
    /// schedules an answer per ACQUIRE; returns the lines it logs.
    pub fn on_datagram(&mut self, d: &[u8], now: Duration) -> String {
        let mut log = String::new();
        for m in crate::nl::messages(d) {
            let Ok(a) = XfrmUserAcquire::from_bytes(m.payload) else { continue };
            if m.ty != XFRM_MSG_ACQUIRE {
                continue;
            }
            let spi = self.next_spi;
            self.next_spi = self.next_spi.wrapping_add(1);
            if let Some(r) = answer_for(&m, spi) {
                let due = now + self.delay;
                log.push_str(&format!(
                    "km: ACQUIRE seq {} proto {}; answering at {}s with spi 0x{spi:08x}\n",
                    a.seq,
                    crate::ip::names::xfrmproto_name(a.id.proto),
                    due.as_secs_f64()
                ));
                self.pending.push((due, a.seq, r));
            }
        }
        log
    }

    /// The earliest answer time, if any is pending.
    pub fn next_due(&self) -> Option<Duration> {
        self.pending.iter().map(|p| p.0).min()
    }

    /// Takes the answers due at or before `now`, in due order.
    pub fn take_due(&mut self, now: Duration) -> Vec<(u32, Request)> {
        self.pending.sort_by_key(|p| p.0);
        let n = self.pending.iter().take_while(|p| p.0 <= now).count();
        self.pending.drain(..n).map(|(_, seq, r)| (seq, r)).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sim_sockets::xfrm_user::wire::{
        XfrmSelector, XfrmUserTmpl, XfrmUserpolicyInfo, emit_user_tmpls, xfrm_address_v4,
    };

    fn acquire(proto: u8, seq: u32) -> Vec<u8> {
        let sel = XfrmSelector {
            daddr: xfrm_address_v4([10, 0, 1, 1]),
            saddr: xfrm_address_v4([10, 0, 0, 1]),
            prefixlen_d: 32,
            prefixlen_s: 32,
            family: AF_INET,
            ..Default::default()
        };
        let a = XfrmUserAcquire {
            id: XfrmId { daddr: xfrm_address_v4([2, 2, 2, 2]), spi: 0, proto },
            saddr: xfrm_address_v4([1, 1, 1, 1]),
            sel,
            policy: XfrmUserpolicyInfo { sel, dir: 1, ..Default::default() },
            seq,
            ..Default::default()
        };
        let mut r = Request::new(XFRM_MSG_ACQUIRE, 0, &a.to_bytes());
        let t = XfrmUserTmpl {
            id: XfrmId { proto, ..Default::default() },
            reqid: 9,
            mode: 1,
            family: AF_INET,
            ..Default::default()
        };
        r.addattr(XFRMA_TMPL, &emit_user_tmpls(&[t]));
        r.bytes().to_vec()
    }

    #[test]
    fn answer_completes_the_acquired_state() {
        let d = acquire(50, 77);
        let m = crate::nl::messages(&d);
        let r = answer_for(&m[0], 0x1234).unwrap();
        let out = crate::nl::messages(r.bytes());
        assert_eq!(out[0].ty, XFRM_MSG_NEWSA);
        let xs = XfrmUsersaInfo::from_bytes(out[0].payload).unwrap();
        assert_eq!((xs.seq, xs.reqid, xs.mode, xs.id.spi, xs.id.proto), (77, 9, 1, 0x1234, 50));
        assert_eq!(xs.saddr, xfrm_address_v4([1, 1, 1, 1]));
        let tb = AttrTable::parse(out[0].payload.get(224..).unwrap(), XFRMA_MAX);
        assert!(tb.get(XFRMA_ALG_CRYPT).is_some() && tb.get(XFRMA_ALG_AUTH_TRUNC).is_some());
        // Not an acquire, or an unknown protocol: no answer.
        assert!(answer_for(&crate::nl::Msg { ty: XFRM_MSG_NEWSA, ..m[0] }, 1).is_none());
        let d = acquire(99, 1);
        assert!(answer_for(&crate::nl::messages(&d)[0], 1).is_none());
    }

    #[test]
    fn answers_fall_due_after_the_delay() {
        let mut km = ScriptedKm::new(Duration::from_secs(2));
        let log = km.on_datagram(&acquire(51, 5), Duration::from_secs(10));
        assert!(log.contains("ACQUIRE seq 5 proto ah; answering at 12s"), "{log}");
        assert_eq!(km.next_due(), Some(Duration::from_secs(12)));
        assert!(km.take_due(Duration::from_secs(11)).is_empty());
        let due = km.take_due(Duration::from_secs(12));
        assert_eq!(due.len(), 1);
        assert_eq!(due[0].0, 5);
        assert_eq!(km.next_due(), None);
    }
}
