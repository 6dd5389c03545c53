//! `pfkeyv2_mgr`: PF_KEY on the key-manager list — `pfkey_send_notify`,
//! `pfkey_send_policy_notify`, `pfkey_send_acquire`,
//! `pfkey_compile_policy`, `pfkey_send_new_mapping`, `pfkey_send_migrate`
//! and `pfkey_is_alive`.

use sim_core::rcu::rcu_read_lock;
use sim_core::sync::Arc;
use sim_core::sync::atomic::Ordering;
use sim_core::xfrm::algo_table::{XfrmAlgoDesc, xfrm_aalg_get_byidx, xfrm_ealg_get_byidx};
use sim_core::xfrm::policy::{XFRM_MAX_DEPTH, XFRM_POLICY_OUT, XFRM_POLICY_TYPE_MAIN};
use sim_core::xfrm::{
    XfrmAddress, XfrmEncapTmpl, XfrmPolicy, XfrmPolicyInfo, XfrmSelector, XfrmState, XfrmTmpl,
};
use sim_core::{Errno, KResult};
use sim_km::{KeyManager, KmEvent, XfrmKmAddress, XfrmMigrate, xfrm_msg};
use sim_netns::Net;

use super::PfKeyInner;
use super::broadcast::{BROADCAST_ALL, BROADCAST_REGISTERED};
use super::convert::{pfkey_sockaddr_fill, pfkey_xfrm_state2msg};
use super::parse::{IPPROTO_AH, IPPROTO_ESP, pfkey_mode_from_xfrm, pfkey_proto2satype};
use super::sa::send_msg;
use super::spd::{pfkey_compile_policy, policy_refcnt, send_policy_msg};
use super::wire::consts::*;
use super::wire::{
    IpsecRequestAddrs, SadbAddressRepr, SadbCombRepr, SadbExtRepr, SadbMessageRepr, SadbMsgRepr,
    SadbPropRepr, SadbSaRepr, SadbXIpsecrequestRepr, SadbXKmaddressRepr, SadbXNatTPortRepr,
    SadbXPolicyRepr,
};

/// `pfkeyv2_mgr`.
pub struct PfkeyMgr {
    pub(crate) pfk: Arc<PfKeyInner>,
}

fn header(msg_type: u8, satype: u8, seq: u32, pid: u32) -> SadbMsgRepr {
    SadbMsgRepr { version: PF_KEY_V2, msg_type, satype, seq, pid, ..Default::default() }
}

/// `aalg_tmpl_set()` / `ealg_tmpl_set()`: the template allows the id.
fn tmpl_allows(mask: u32, d: &XfrmAlgoDesc) -> bool {
    let id = u32::from(d.desc.sadb_alg_id);
    id < 32 && (mask >> id) & 1 != 0
}

fn comb(auth: Option<&XfrmAlgoDesc>, enc: Option<&XfrmAlgoDesc>) -> SadbCombRepr {
    let mut c = SadbCombRepr {
        hard_addtime: 24 * 60 * 60,
        soft_addtime: 20 * 60 * 60,
        hard_usetime: 8 * 60 * 60,
        soft_usetime: 7 * 60 * 60,
        ..Default::default()
    };
    if let Some(a) = auth {
        c.auth = a.desc.sadb_alg_id;
        c.auth_minbits = a.desc.sadb_alg_minbits;
        c.auth_maxbits = a.desc.sadb_alg_maxbits;
    }
    if let Some(e) = enc {
        c.encrypt = e.desc.sadb_alg_id;
        c.encrypt_minbits = e.desc.sadb_alg_minbits;
        c.encrypt_maxbits = e.desc.sadb_alg_maxbits;
    }
    c
}

/// Sends the EXPIRE messages deferred while their state's lock was held.
pub(crate) fn pfkey_flush_pending_expire(pfk: &Arc<PfKeyInner>) {
    loop {
        let batch: Vec<(Arc<XfrmState>, KmEvent)> =
            std::mem::take(&mut *pfk.pending_expire.lock_bh());
        if batch.is_empty() {
            return;
        }
        let mgr = PfkeyMgr { pfk: pfk.clone() };
        for (x, c) in batch {
            let _ = mgr.notify_sa(&x, &c);
        }
    }
}

impl PfkeyMgr {
    fn usable(&self, d: &XfrmAlgoDesc, mask: u32) -> bool {
        d.pfkey_supported && tmpl_allows(mask, d) && self.pfk.profile.algo_available(d)
    }

    /// `dump_ah_combs()`: one comb per allowed, available auth algorithm.
    fn ah_combs(&self, t: &XfrmTmpl) -> Vec<SadbCombRepr> {
        (0..)
            .map_while(xfrm_aalg_get_byidx)
            .filter(|a| self.usable(a, t.aalgos))
            .map(|a| comb(Some(a), None))
            .collect()
    }

    /// `dump_esp_combs()`: one comb per (allowed encryption × allowed
    /// authentication) pair; the auth table is scanned from index 1.
    fn esp_combs(&self, t: &XfrmTmpl) -> Vec<SadbCombRepr> {
        let mut out = Vec::new();
        for e in (0..).map_while(xfrm_ealg_get_byidx).filter(|e| self.usable(e, t.ealgos)) {
            for a in (1..).map_while(xfrm_aalg_get_byidx).filter(|a| self.usable(a, t.aalgos)) {
                out.push(comb(Some(a), Some(e)));
            }
        }
        out
    }

    fn socks_nr(&self, net: &Net) -> i32 {
        self.pfk.netns(net).map_or(0, |n| n.socks_nr.load(Ordering::Acquire))
    }

    /// `key_notify_sa()` / `key_notify_sa_expire()`.
    fn notify_sa(&self, x: &XfrmState, c: &KmEvent) -> KResult<()> {
        let pfk = &self.pfk;
        let (msg_type, hsc, keys, flags, seq, pid) = match c.event {
            xfrm_msg::XFRM_MSG_EXPIRE => {
                (SADB_EXPIRE, if c.hard() { 2 } else { 1 }, false, BROADCAST_REGISTERED, 0, 0)
            }
            xfrm_msg::XFRM_MSG_DELSA => (SADB_DELETE, 3, true, BROADCAST_ALL, c.seq, c.portid),
            xfrm_msg::XFRM_MSG_NEWSA => (SADB_ADD, 3, true, BROADCAST_ALL, c.seq, c.portid),
            _ => (SADB_UPDATE, 3, true, BROADCAST_ALL, c.seq, c.portid),
        };
        let mut msg = pfkey_xfrm_state2msg(pfk, x, keys, hsc)?;
        msg.header = header(msg_type, pfkey_proto2satype(x.proto), seq, pid);
        send_msg(pfk, &msg, flags, None, &c.net)
    }
}

impl KeyManager for PfkeyMgr {
    fn name(&self) -> &'static str {
        "pfkeyv2"
    }

    /// `pfkey_send_notify()`: nothing when the namespace has no PF_KEY
    /// socket; EXPIRE to registered sockets, ADD/UPDATE/DELETE and FLUSH
    /// to all.
    fn notify(&self, x: Option<&Arc<XfrmState>>, c: &KmEvent) -> KResult<()> {
        if self.socks_nr(&c.net) == 0 {
            return Ok(());
        }
        match (c.event, x) {
            (
                xfrm_msg::XFRM_MSG_EXPIRE
                | xfrm_msg::XFRM_MSG_DELSA
                | xfrm_msg::XFRM_MSG_NEWSA
                | xfrm_msg::XFRM_MSG_UPDSA,
                Some(x),
            ) => {
                if c.event == xfrm_msg::XFRM_MSG_EXPIRE && x.lock.try_lock().is_none() {
                    // The expiry paths call in with x->lock held (the
                    // kernel builds the message under it); the message is
                    // built as soon as the lock is free.
                    self.pfk.pending_expire.lock_bh().push((x.clone(), c.clone()));
                    return Ok(());
                }
                self.notify_sa(x, c)
            }
            (xfrm_msg::XFRM_MSG_FLUSHSA, _) => {
                let h = header(SADB_FLUSH, pfkey_proto2satype(c.proto()), c.seq, c.portid);
                send_msg(
                    &self.pfk,
                    &SadbMessageRepr { header: h, exts: Vec::new() },
                    BROADCAST_ALL,
                    None,
                    &c.net,
                )
            }
            _ => Ok(()),
        }
    }

    /// `pfkey_send_policy_notify()`: MAIN policies only; NEW/UPD/DEL
    /// POLICY as X_SPDADD/X_SPDUPDATE/X_SPDDELETE (X_SPDDELETE2 when
    /// deleted by id), FLUSHPOLICY as X_SPDFLUSH; policy expiry is not
    /// reported.
    fn notify_policy(&self, xp: Option<&Arc<XfrmPolicy>>, dir: u8, c: &KmEvent) -> KResult<()> {
        if xp.is_some_and(|p| p.ptype() != XFRM_POLICY_TYPE_MAIN) {
            return Ok(());
        }
        let pfk = &self.pfk;
        match (c.event, xp) {
            (
                xfrm_msg::XFRM_MSG_NEWPOLICY
                | xfrm_msg::XFRM_MSG_UPDPOLICY
                | xfrm_msg::XFRM_MSG_DELPOLICY,
                Some(xp),
            ) => {
                let (t, base) = match c.event {
                    xfrm_msg::XFRM_MSG_NEWPOLICY => (SADB_X_SPDADD, 2),
                    xfrm_msg::XFRM_MSG_UPDPOLICY => (SADB_X_SPDUPDATE, 2),
                    _ if c.byid() => (SADB_X_SPDDELETE2, 1),
                    _ => (SADB_X_SPDDELETE, 1),
                };
                let reserved = if base == 1 { 1 } else { policy_refcnt(pfk, xp, base) };
                let h = SadbMsgRepr { reserved, ..header(t, 0, c.seq, c.portid) };
                send_policy_msg(pfk, h, xp, dir, BROADCAST_ALL, None, &c.net)
            }
            (xfrm_msg::XFRM_MSG_FLUSHPOLICY, _) if c.ptype() == XFRM_POLICY_TYPE_MAIN => {
                let h = header(SADB_X_SPDFLUSH, 0, c.seq, c.portid);
                send_msg(
                    pfk,
                    &SadbMessageRepr { header: h, exts: Vec::new() },
                    BROADCAST_ALL,
                    None,
                    &c.net,
                )
            }
            _ => Ok(()),
        }
    }

    /// `pfkey_send_acquire()`: SADB_ACQUIRE to the registered sockets, its
    /// seq from PF_KEY's own counter (written into the larval state);
    /// `Ok` iff a registered socket received it.
    fn acquire(
        &self,
        net: &Net,
        x: &Arc<XfrmState>,
        t: &XfrmTmpl,
        xp: &Arc<XfrmPolicy>,
    ) -> KResult<()> {
        let pfk = &self.pfk;
        let family = x.family;
        let src = pfkey_sockaddr_fill(&x.saddr, 0, family).ok_or(Errno::EINVAL)?;
        let dst = pfkey_sockaddr_fill(&x.daddr, 0, family).ok_or(Errno::EINVAL)?;
        let plen = if family == AF_INET6 { 128 } else { 32 };
        let seq = pfk.get_acqseq();
        x.set_seq_before_insert(seq);
        let mut exts = vec![
            SadbExtRepr::Address(SadbAddressRepr {
                exttype: SADB_EXT_ADDRESS_SRC,
                proto: 0,
                prefixlen: plen,
                reserved: 0,
                addr: src,
            }),
            SadbExtRepr::Address(SadbAddressRepr {
                exttype: SADB_EXT_ADDRESS_DST,
                proto: 0,
                prefixlen: plen,
                reserved: 0,
                addr: dst,
            }),
            SadbExtRepr::Policy(SadbXPolicyRepr {
                policy_type: IPSEC_POLICY_IPSEC,
                dir: XFRM_POLICY_OUT + 1,
                reserved: 0,
                id: xp.index(),
                priority: xp.priority(),
                requests: Vec::new(),
            }),
        ];
        let combs = match x.proto {
            IPPROTO_AH => Some(self.ah_combs(t)),
            IPPROTO_ESP => Some(self.esp_combs(t)),
            _ => None,
        };
        if let Some(combs) = combs {
            exts.push(SadbExtRepr::Prop(SadbPropRepr { replay: 32, combs }));
        }
        let msg = SadbMessageRepr {
            header: header(SADB_ACQUIRE, pfkey_proto2satype(x.proto), seq, 0),
            exts,
        };
        send_msg(pfk, &msg, BROADCAST_REGISTERED, None, net)
    }

    fn compile_policy(
        &self,
        family: u16,
        optname: i32,
        data: &[u8],
    ) -> KResult<(XfrmPolicyInfo, u8)> {
        pfkey_compile_policy(&self.pfk, family, optname, data)
    }

    /// `pfkey_send_new_mapping()`: ESP with UDP encapsulation only;
    /// SADB_X_NAT_T_NEW_MAPPING (old source and port, new peer address and
    /// port) to the registered sockets.
    fn new_mapping(
        &self,
        net: &Net,
        x: &Arc<XfrmState>,
        ipaddr: &XfrmAddress,
        sport: u16,
    ) -> KResult<()> {
        let pfk = &self.pfk;
        let encap = x.lock_bh().encap;
        let Some(natt) = encap.filter(|n| n.encap_type != 0) else {
            return Err(Errno::EINVAL);
        };
        if x.proto != IPPROTO_ESP {
            return Err(Errno::EINVAL);
        }
        let family = x.family;
        let plen = if family == AF_INET6 { 128 } else { 32 };
        let src = pfkey_sockaddr_fill(&x.saddr, 0, family).ok_or(Errno::EINVAL)?;
        let dst = pfkey_sockaddr_fill(ipaddr, 0, family).ok_or(Errno::EINVAL)?;
        let seq = pfk.get_acqseq();
        x.set_seq_before_insert(seq);
        let exts = vec![
            SadbExtRepr::Sa(SadbSaRepr { spi: x.spi(), ..Default::default() }),
            SadbExtRepr::Address(SadbAddressRepr {
                exttype: SADB_EXT_ADDRESS_SRC,
                proto: 0,
                prefixlen: plen,
                reserved: 0,
                addr: src,
            }),
            SadbExtRepr::NatTPort(SadbXNatTPortRepr {
                exttype: SADB_X_EXT_NAT_T_SPORT,
                port: natt.encap_sport,
                reserved: 0,
            }),
            SadbExtRepr::Address(SadbAddressRepr {
                exttype: SADB_EXT_ADDRESS_DST,
                proto: 0,
                prefixlen: plen,
                reserved: 0,
                addr: dst,
            }),
            SadbExtRepr::NatTPort(SadbXNatTPortRepr {
                exttype: SADB_X_EXT_NAT_T_DPORT,
                port: sport,
                reserved: 0,
            }),
        ];
        let msg = SadbMessageRepr {
            header: header(SADB_X_NAT_T_NEW_MAPPING, SADB_SATYPE_ESP, seq, 0),
            exts,
        };
        send_msg(pfk, &msg, BROADCAST_REGISTERED, None, net)
    }

    /// `pfkey_send_migrate()`: MAIN only; KMADDRESS, the selector as
    /// SRC/DST, and X_POLICY with (old, new) request pairs, to every
    /// socket of the initial namespace.
    fn migrate(
        &self,
        sel: &XfrmSelector,
        dir: u8,
        ptype: u8,
        m: &[XfrmMigrate],
        k: Option<&XfrmKmAddress>,
        _encap: Option<&XfrmEncapTmpl>,
    ) -> KResult<()> {
        if ptype != XFRM_POLICY_TYPE_MAIN {
            return Ok(());
        }
        if m.is_empty() || m.len() > XFRM_MAX_DEPTH {
            return Err(Errno::EINVAL);
        }
        let pfk = &self.pfk;
        let mut exts = Vec::new();
        if let Some(k) = k {
            let local = pfkey_sockaddr_fill(&k.local, 0, k.family).ok_or(Errno::EINVAL)?;
            let remote = pfkey_sockaddr_fill(&k.remote, 0, k.family).ok_or(Errno::EINVAL)?;
            exts.push(SadbExtRepr::Kmaddress(SadbXKmaddressRepr { reserved: 0, local, remote }));
        }
        let s = pfkey_sockaddr_fill(&sel.saddr, 0, sel.family).ok_or(Errno::EINVAL)?;
        let d = pfkey_sockaddr_fill(&sel.daddr, 0, sel.family).ok_or(Errno::EINVAL)?;
        exts.push(SadbExtRepr::Address(SadbAddressRepr {
            exttype: SADB_EXT_ADDRESS_SRC,
            proto: sel.proto,
            prefixlen: sel.prefixlen_s,
            reserved: 0,
            addr: s,
        }));
        exts.push(SadbExtRepr::Address(SadbAddressRepr {
            exttype: SADB_EXT_ADDRESS_DST,
            proto: sel.proto,
            prefixlen: sel.prefixlen_d,
            reserved: 0,
            addr: d,
        }));
        let mut requests = Vec::new();
        for mp in m {
            let mode = pfkey_mode_from_xfrm(mp.mode).ok_or(Errno::EINVAL)?;
            let level = if mp.reqid != 0 { IPSEC_LEVEL_UNIQUE } else { IPSEC_LEVEL_REQUIRE };
            for (fam, sa, da) in [
                (mp.old_family, &mp.old_saddr, &mp.old_daddr),
                (mp.new_family, &mp.new_saddr, &mp.new_daddr),
            ] {
                let s = pfkey_sockaddr_fill(sa, 0, fam).ok_or(Errno::EINVAL)?;
                let d = pfkey_sockaddr_fill(da, 0, fam).ok_or(Errno::EINVAL)?;
                requests.push(SadbXIpsecrequestRepr {
                    proto: u16::from(mp.proto),
                    mode,
                    level,
                    reqid: mp.reqid,
                    addrs: IpsecRequestAddrs::Pair(s, d),
                    ..Default::default()
                });
            }
        }
        exts.push(SadbExtRepr::Policy(SadbXPolicyRepr {
            policy_type: IPSEC_POLICY_IPSEC,
            dir: dir.wrapping_add(1),
            reserved: 0,
            id: 0,
            priority: 0,
            requests,
        }));
        let satype = m.first().map_or(0, |x| pfkey_proto2satype(x.proto));
        let msg = SadbMessageRepr { header: header(SADB_X_MIGRATE, satype, 0, 0), exts };
        let net = pfk.init_net.clone();
        send_msg(pfk, &msg, BROADCAST_ALL, None, &net)
    }

    /// `pfkey_is_alive()`: some socket of the namespace registered a satype.
    fn is_alive(&self, c: &KmEvent) -> bool {
        let Ok(nt) = self.pfk.netns(&c.net) else {
            return false;
        };
        let guard = rcu_read_lock();
        nt.table.iter(&guard).any(|sk| sk.registered() != 0)
    }
}
