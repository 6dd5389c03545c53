//! The state (SA) value types of `include/net/xfrm.h` and
//! `include/uapi/linux/xfrm.h`: identity, mark, encapsulation, security
//! context, replay state and statistics, and [`XfrmStateInfo`], the owned
//! description of an SA that front ends build and [`XfrmState`] is made from.

use super::addr::{AF_INET, AF_INET6, XfrmAddress};
use super::algo::{XfrmAlgo, XfrmAlgoAead, XfrmAlgoAuth};
use super::lifetime::{XfrmLifetimeCfg, XfrmLifetimeCur};
use super::selector::XfrmSelector;

/// `IPPROTO_ESP`.
pub const IPPROTO_ESP: u8 = 50;
/// `IPPROTO_AH`.
pub const IPPROTO_AH: u8 = 51;
/// `IPPROTO_COMP`.
pub const IPPROTO_COMP: u8 = 108;
/// `IPPROTO_ROUTING` (Mobile IPv6 route optimisation).
pub const IPPROTO_ROUTING: u8 = 43;
/// `IPPROTO_DSTOPTS` (Mobile IPv6 route optimisation).
pub const IPPROTO_DSTOPTS: u8 = 60;
/// `IPSEC_PROTO_ANY`: AH, ESP or COMP in `xfrm_id_proto_match`.
pub const IPSEC_PROTO_ANY: u8 = 255;

/// `XFRM_MODE_*`. Kept as a plain `u8`: the kernel stores whatever the user
/// gave (ALLOCSPI accepts mode 9).
pub mod mode {
    pub const XFRM_MODE_TRANSPORT: u8 = 0;
    pub const XFRM_MODE_TUNNEL: u8 = 1;
    pub const XFRM_MODE_ROUTEOPTIMIZATION: u8 = 2;
    pub const XFRM_MODE_IN_TRIGGER: u8 = 3;
    pub const XFRM_MODE_BEET: u8 = 4;
    pub const XFRM_MODE_IPTFS: u8 = 5;
    pub const XFRM_MODE_MAX: u8 = 6;
}

/// `XFRM_STATE_*` flags (`props.flags`).
pub mod flags {
    pub const XFRM_STATE_NOECN: u8 = 1;
    pub const XFRM_STATE_DECAP_DSCP: u8 = 2;
    pub const XFRM_STATE_NOPMTUDISC: u8 = 4;
    pub const XFRM_STATE_WILDRECV: u8 = 8;
    pub const XFRM_STATE_ICMP: u8 = 16;
    pub const XFRM_STATE_AF_UNSPEC: u8 = 32;
    pub const XFRM_STATE_ALIGN4: u8 = 64;
    pub const XFRM_STATE_ESN: u8 = 128;
    /// `XFRM_SA_XFLAG_DONT_ENCAP_DSCP` (`props.extra_flags`).
    pub const XFRM_SA_XFLAG_DONT_ENCAP_DSCP: u32 = 1;
    /// `XFRM_SA_XFLAG_OSEQ_MAY_WRAP`.
    pub const XFRM_SA_XFLAG_OSEQ_MAY_WRAP: u32 = 2;
}

/// `XFRM_SA_DIR_*` (`x->dir`, v6.10+; 0 = unset).
pub const XFRM_SA_DIR_IN: u8 = 1;
/// `XFRM_SA_DIR_OUT`.
pub const XFRM_SA_DIR_OUT: u8 = 2;

/// `xfrm_id_proto_match(proto, userproto)`: `userproto` 0 matches all,
/// `IPSEC_PROTO_ANY` matches AH/ESP/COMP, anything else must be equal.
pub const fn xfrm_id_proto_match(proto: u8, userproto: u8) -> bool {
    userproto == proto
        || (userproto == IPSEC_PROTO_ANY
            && (proto == IPPROTO_AH || proto == IPPROTO_ESP || proto == IPPROTO_COMP))
        || userproto == 0
}

/// `xfrm_id_proto_valid(proto)`: the protocols a state may have
/// (ROUTING/DSTOPTS only with IPv6 mobility built in, which we model).
pub const fn xfrm_id_proto_valid(proto: u8) -> bool {
    matches!(proto, IPPROTO_AH | IPPROTO_ESP | IPPROTO_COMP | IPPROTO_ROUTING | IPPROTO_DSTOPTS)
}

/// `xfrm_state_kern`-independent helper of `xfrm_state_add`: whether the
/// protocol identifies states by SPI (AH, ESP, COMP).
pub const fn xfrm_proto_uses_spi(proto: u8) -> bool {
    matches!(proto, IPPROTO_AH | IPPROTO_ESP | IPPROTO_COMP)
}

/// Whether `family` is one XFRM hashes (AF_INET/AF_INET6).
pub const fn xfrm_family_known(family: u16) -> bool {
    family == AF_INET || family == AF_INET6
}

/// `struct xfrm_id`: the SA identity. `spi` is kept as a number (host
/// order); the wire and hash code use its network-order form.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Default, Debug)]
pub struct XfrmId {
    pub daddr: XfrmAddress,
    pub spi: u32,
    pub proto: u8,
}

/// `struct xfrm_mark` {v, m}.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Default, Debug)]
pub struct XfrmMark {
    pub v: u32,
    pub m: u32,
}

impl XfrmMark {
    pub const fn new(v: u32, m: u32) -> Self {
        XfrmMark { v, m }
    }

    /// `xfrm_mark_get`-style stored form: the value masked.
    pub const fn masked(self) -> Self {
        XfrmMark { v: self.v & self.m, m: self.m }
    }

    /// The state-side mark rule: `(mark & x.mark.m) == x.mark.v`.
    #[inline]
    pub const fn matches(self, mark: u32) -> bool {
        mark & self.m == self.v
    }
}

/// `struct xfrm_encap_tmpl`: NAT-T encapsulation. Ports as numbers.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Default, Debug)]
pub struct XfrmEncapTmpl {
    /// `UDP_ENCAP_ESPINUDP` (2), `UDP_ENCAP_ESPINUDP_NON_IKE` (1),
    /// `TCP_ENCAP_ESPINTCP` (7).
    pub encap_type: u16,
    pub encap_sport: u16,
    pub encap_dport: u16,
    /// Original address (`encap_oa`).
    pub encap_oa: XfrmAddress,
}

/// `UDP_ENCAP_ESPINUDP_NON_IKE`.
pub const UDP_ENCAP_ESPINUDP_NON_IKE: u16 = 1;
/// `UDP_ENCAP_ESPINUDP`.
pub const UDP_ENCAP_ESPINUDP: u16 = 2;
/// `TCP_ENCAP_ESPINTCP`.
pub const TCP_ENCAP_ESPINTCP: u16 = 7;

/// `struct xfrm_user_sec_ctx` / `xfrm_sec_ctx`: an LSM security context.
#[derive(Clone, PartialEq, Eq, Hash, Default, Debug)]
pub struct XfrmSecCtx {
    pub ctx_doi: u8,
    pub ctx_alg: u8,
    pub ctx: Vec<u8>,
}

/// `struct xfrm_replay_state`.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Default, Debug)]
pub struct XfrmReplayState {
    pub oseq: u32,
    pub seq: u32,
    pub bitmap: u32,
}

/// `struct xfrm_replay_state_esn` (bitmap words owned).
#[derive(Clone, PartialEq, Eq, Hash, Default, Debug)]
pub struct XfrmReplayStateEsn {
    pub oseq: u32,
    pub seq: u32,
    pub oseq_hi: u32,
    pub seq_hi: u32,
    pub replay_window: u32,
    /// `bmp_len` words.
    pub bmp: Vec<u32>,
}

/// `struct xfrm_stats`.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Default, Debug)]
pub struct XfrmStats {
    pub replay_window: u32,
    pub replay: u32,
    pub integrity_failed: u32,
}

/// `enum xfrm_state_state` (`km.state`, `XFRM_STATE_VOID` …).
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug, Default)]
#[repr(u8)]
pub enum XfrmKmState {
    #[default]
    Void = 0,
    Acq = 1,
    Valid = 2,
    Error = 3,
    Expired = 4,
    Dead = 5,
}

impl XfrmKmState {
    pub const fn from_u8(v: u8) -> Option<Self> {
        Some(match v {
            0 => XfrmKmState::Void,
            1 => XfrmKmState::Acq,
            2 => XfrmKmState::Valid,
            3 => XfrmKmState::Error,
            4 => XfrmKmState::Expired,
            5 => XfrmKmState::Dead,
            _ => return None,
        })
    }
}

/// `XFRM_TIME_DEFER` (`x->xflags`).
pub const XFRM_TIME_DEFER: u8 = 1;
/// `XFRM_SOFT_EXPIRE` (`x->xflags`).
pub const XFRM_SOFT_EXPIRE: u8 = 2;

/// The owned description of an SA: what `xfrm_state_construct` (netlink)
/// or `pfkey_msg2xfrm_state` (PF_KEY) fill into a fresh `struct
/// xfrm_state` before it is inserted. [`super::XfrmState::new`] turns it
/// into the shared object.
#[derive(Clone, PartialEq, Eq, Debug, Default)]
pub struct XfrmStateInfo {
    /// `x->id`.
    pub id: XfrmId,
    /// `x->sel`.
    pub sel: XfrmSelector,
    /// `props.family` (outer family).
    pub family: u16,
    /// `props.saddr` (outer source).
    pub saddr: XfrmAddress,
    /// `props.mode`.
    pub mode: u8,
    /// `props.reqid`.
    pub reqid: u32,
    /// `props.replay_window`.
    pub replay_window: u8,
    /// `props.flags` (`XFRM_STATE_*`).
    pub flags: u8,
    /// `props.extra_flags` (`XFRM_SA_XFLAG_*`).
    pub extra_flags: u32,
    /// `props.smark`: output mark.
    pub smark: XfrmMark,
    /// `x->mark` (stored masked by the front ends).
    pub mark: XfrmMark,
    /// `x->if_id`.
    pub if_id: u32,
    /// `x->lft`.
    pub lft: XfrmLifetimeCfg,
    /// `x->curlft` (only `bytes`/`packets` are taken from the user, by
    /// netlink's `XFRMA_LTIME_VAL`; `add_time` is set at allocation).
    pub curlft: XfrmLifetimeCur,
    pub aalg: Option<XfrmAlgoAuth>,
    pub ealg: Option<XfrmAlgo>,
    pub calg: Option<XfrmAlgo>,
    pub aead: Option<XfrmAlgoAead>,
    pub encap: Option<XfrmEncapTmpl>,
    pub coaddr: Option<XfrmAddress>,
    pub security: Option<XfrmSecCtx>,
    pub replay: XfrmReplayState,
    pub replay_esn: Option<XfrmReplayStateEsn>,
    pub stats: XfrmStats,
    /// `x->tfcpad`.
    pub tfcpad: u32,
    /// `km.seq`: the acquire sequence number (0 = none).
    pub seq: u32,
    /// `x->dir` (0 unset, 1 in, 2 out).
    pub dir: u8,
    /// `x->pcpu_num` (`u32::MAX` = none).
    pub pcpu_num: u32,
    /// `x->replay_maxage` (in jiffies-free units: milliseconds).
    pub replay_maxage_ms: u32,
    /// `x->replay_maxdiff`.
    pub replay_maxdiff: u32,
    /// `x->mapping_maxage` (seconds).
    pub mapping_maxage: u32,
    /// `x->nat_keepalive_interval` (seconds).
    pub nat_keepalive_interval: u32,
}

impl XfrmStateInfo {
    /// A minimal SA: identity, outer addresses and family; everything else
    /// as `xfrm_state_alloc` leaves it (infinite byte/packet limits,
    /// `pcpu_num` none).
    pub fn new(family: u16, daddr: XfrmAddress, saddr: XfrmAddress, spi: u32, proto: u8) -> Self {
        XfrmStateInfo {
            id: XfrmId { daddr, spi, proto },
            family,
            saddr,
            pcpu_num: u32::MAX,
            ..Default::default()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn proto_match_rules() {
        assert!(xfrm_id_proto_match(IPPROTO_ESP, 0));
        assert!(xfrm_id_proto_match(IPPROTO_ROUTING, 0));
        assert!(xfrm_id_proto_match(IPPROTO_COMP, IPSEC_PROTO_ANY));
        assert!(!xfrm_id_proto_match(IPPROTO_ROUTING, IPSEC_PROTO_ANY));
        assert!(xfrm_id_proto_match(IPPROTO_AH, IPPROTO_AH));
        assert!(!xfrm_id_proto_match(IPPROTO_AH, IPPROTO_ESP));
    }

    #[test]
    fn mark_rule() {
        let m = XfrmMark::new(5, 0xf);
        assert!(m.matches(0x15));
        assert!(!m.matches(0x16));
        assert!(XfrmMark::default().matches(0xffff_ffff));
        assert_eq!(XfrmMark::new(0xff, 0x0f).masked(), XfrmMark::new(0x0f, 0x0f));
    }

    #[test]
    fn km_state_numbers() {
        for v in 0..=5u8 {
            assert_eq!(XfrmKmState::from_u8(v).map(|s| s as u8), Some(v));
        }
        assert_eq!(XfrmKmState::from_u8(6), None);
    }
}

// ---------------------------------------------------------------------------
// The shared state object.

use super::locks::XFRM_STATE_X_LOCK;
use crate::lockdep::{SpinLock, SpinLockGuard};
use crate::sync::atomic::{AtomicBool, AtomicU8, AtomicU32, AtomicU64, Ordering};

/// The parts of `struct xfrm_state` that change after creation and are
/// guarded by `x->lock`.
#[derive(Clone, PartialEq, Eq, Debug, Default)]
pub struct XfrmStateMut {
    /// `x->sel` (replaced by `xfrm_state_update` for non-SPI protocols).
    pub sel: XfrmSelector,
    pub lft: XfrmLifetimeCfg,
    pub curlft: XfrmLifetimeCur,
    pub encap: Option<XfrmEncapTmpl>,
    pub coaddr: Option<XfrmAddress>,
    /// `props.smark`.
    pub smark: XfrmMark,
    pub replay: XfrmReplayState,
    /// `preplay`: the replay state last reported.
    pub preplay: XfrmReplayState,
    pub replay_esn: Option<XfrmReplayStateEsn>,
    pub stats: XfrmStats,
    /// `XFRM_TIME_DEFER` | `XFRM_SOFT_EXPIRE`.
    pub xflags: u8,
    /// `saved_tmo`: the soft-add deadline distance, for clock jumps.
    pub saved_tmo: u64,
    /// `lastused` (seconds).
    pub lastused: u64,
}

/// `struct xfrm_state`, shared as `Arc<XfrmState>`. Identity and parameters
/// that never change after creation are plain fields; the fields the
/// tables read without `x->lock` (SPI, acquire seq, lifecycle state,
/// dying, if_id, genid) are atomics written under `x->lock` or the table
/// lock; the rest is behind [`XfrmState::lock`].
pub struct XfrmState {
    /// `id.daddr`.
    pub daddr: XfrmAddress,
    /// `id.proto`.
    pub proto: u8,
    /// `props.family`.
    pub family: u16,
    /// `props.saddr`.
    pub saddr: XfrmAddress,
    /// `x->mark`.
    pub mark: XfrmMark,
    pub reqid: u32,
    pub mode: u8,
    /// `props.flags`.
    pub flags: u8,
    pub extra_flags: u32,
    pub replay_window: u8,
    pub dir: u8,
    pub pcpu_num: u32,
    pub tfcpad: u32,
    pub aalg: Option<XfrmAlgoAuth>,
    pub ealg: Option<XfrmAlgo>,
    pub calg: Option<XfrmAlgo>,
    pub aead: Option<XfrmAlgoAead>,
    pub security: Option<XfrmSecCtx>,
    pub replay_maxage_ms: u32,
    pub replay_maxdiff: u32,
    pub mapping_maxage: u32,
    pub nat_keepalive_interval: u32,
    spi: AtomicU32,
    seq: AtomicU32,
    km_state: AtomicU8,
    dying: AtomicBool,
    if_id: AtomicU32,
    genid: AtomicU32,
    /// `tunnel_users`: non-zero makes the state kernel-owned
    /// (`xfrm_state_kern`).
    tunnel_users: AtomicU32,
    /// Position in `state_all` (larger = newer); 0 while unlinked. Written
    /// under `xfrm_state_lock`.
    pub(crate) all_id: AtomicU64,
    /// Slab slot in the SAD while linked.
    pub(crate) slot: AtomicU32,
    /// `x->lock`.
    pub lock: SpinLock<XfrmStateMut>,
}

impl XfrmState {
    /// `xfrm_state_alloc` + the fill-in of a front end: a VOID state made
    /// from `info`, `curlft.add_time` = `now` (seconds).
    pub fn new(info: XfrmStateInfo, now: u64) -> Self {
        let XfrmStateInfo {
            id,
            sel,
            family,
            saddr,
            mode,
            reqid,
            replay_window,
            flags,
            extra_flags,
            smark,
            mark,
            if_id,
            lft,
            curlft,
            aalg,
            ealg,
            calg,
            aead,
            encap,
            coaddr,
            security,
            replay,
            replay_esn,
            stats,
            tfcpad,
            seq,
            dir,
            pcpu_num,
            replay_maxage_ms,
            replay_maxdiff,
            mapping_maxage,
            nat_keepalive_interval,
        } = info;
        XfrmState {
            daddr: id.daddr,
            proto: id.proto,
            family,
            saddr,
            mark,
            reqid,
            mode,
            flags,
            extra_flags,
            replay_window,
            dir,
            pcpu_num,
            tfcpad,
            aalg,
            ealg,
            calg,
            aead,
            security,
            replay_maxage_ms,
            replay_maxdiff,
            mapping_maxage,
            nat_keepalive_interval,
            spi: AtomicU32::new(id.spi),
            seq: AtomicU32::new(seq),
            km_state: AtomicU8::new(XfrmKmState::Void as u8),
            dying: AtomicBool::new(false),
            if_id: AtomicU32::new(if_id),
            genid: AtomicU32::new(0),
            tunnel_users: AtomicU32::new(0),
            all_id: AtomicU64::new(0),
            slot: AtomicU32::new(u32::MAX),
            lock: SpinLock::new(
                &XFRM_STATE_X_LOCK,
                XfrmStateMut {
                    sel,
                    lft,
                    curlft: XfrmLifetimeCur { add_time: now, ..curlft },
                    encap,
                    coaddr,
                    smark,
                    replay,
                    preplay: replay,
                    replay_esn,
                    stats,
                    xflags: 0,
                    saved_tmo: 0,
                    lastused: 0,
                },
            ),
        }
    }

    /// `x->id` (daddr, spi, proto).
    pub fn id(&self) -> XfrmId {
        XfrmId { daddr: self.daddr, spi: self.spi(), proto: self.proto }
    }

    /// `x->id.spi` as a number (0 = none yet).
    #[inline]
    pub fn spi(&self) -> u32 {
        self.spi.load(Ordering::Acquire)
    }

    /// Sets the SPI. Only the SAD does this (`xfrm_alloc_spi`), under the
    /// table lock, so that the SPI index stays consistent.
    pub(crate) fn set_spi(&self, spi: u32) {
        self.spi.store(spi, Ordering::Release);
    }

    /// `km.seq`: the acquire sequence number (0 = none).
    #[inline]
    pub fn seq(&self) -> u32 {
        self.seq.load(Ordering::Acquire)
    }

    /// Sets `km.seq` (as each key manager's `acquire` does) on a state not
    /// yet in a table. Ignored once the state is linked: the SAD's
    /// by-sequence index is keyed on it.
    pub fn set_seq_before_insert(&self, seq: u32) {
        if !self.is_linked() {
            self.seq.store(seq, Ordering::Release);
        }
    }

    /// `km.state`.
    #[inline]
    pub fn km_state(&self) -> XfrmKmState {
        XfrmKmState::from_u8(self.km_state.load(Ordering::Acquire)).unwrap_or(XfrmKmState::Dead)
    }

    /// Sets `km.state` (callers hold `x->lock`, or own the state before
    /// insertion).
    pub fn set_km_state(&self, s: XfrmKmState) {
        self.km_state.store(s as u8, Ordering::Release);
    }

    /// `km.dying`: soft-expired.
    #[inline]
    pub fn dying(&self) -> bool {
        self.dying.load(Ordering::Acquire)
    }

    /// Sets `km.dying` (under `x->lock`).
    pub fn set_dying(&self, d: bool) {
        self.dying.store(d, Ordering::Release);
    }

    /// `x->if_id`.
    #[inline]
    pub fn if_id(&self) -> u32 {
        self.if_id.load(Ordering::Acquire)
    }

    /// Replaces `x->if_id` (`xfrm_state_update`, under `x->lock`).
    pub fn set_if_id(&self, v: u32) {
        self.if_id.store(v, Ordering::Release);
    }

    /// `x->genid`.
    pub fn genid(&self) -> u32 {
        self.genid.load(Ordering::Acquire)
    }

    /// `x->genid++` (`__xfrm_state_bump_genids`).
    pub fn bump_genid(&self) {
        self.genid.fetch_add(1, Ordering::AcqRel);
    }

    /// `xfrm_state_kern(x)`: used by a kernel-owned tunnel (`tunnel_users`).
    pub fn is_kern(&self) -> bool {
        self.tunnel_users.load(Ordering::Acquire) != 0
    }

    /// `atomic_inc(&x->tunnel_users)` / `atomic_dec`.
    pub fn tunnel_users_add(&self, delta: i32) {
        if delta >= 0 {
            self.tunnel_users.fetch_add(delta.unsigned_abs(), Ordering::AcqRel);
        } else {
            let _ = self.tunnel_users.fetch_update(Ordering::AcqRel, Ordering::Acquire, |v| {
                Some(v.saturating_sub(delta.unsigned_abs()))
            });
        }
    }

    /// Whether the state still sits in the SAD (`!hlist_unhashed(&x->bydst)`).
    pub fn is_linked(&self) -> bool {
        self.all_id.load(Ordering::Acquire) != 0
    }

    /// `x->lock` held with BH disabled (`spin_lock_bh(&x->lock)`).
    pub fn lock_bh(&self) -> SpinLockGuard<'_, XfrmStateMut> {
        self.lock.lock_bh()
    }

    /// A snapshot of the whole state as an [`XfrmStateInfo`] (what the
    /// dump/get paths copy out, `copy_to_user_state`).
    pub fn info(&self) -> XfrmStateInfo {
        let m = self.lock.lock_bh().clone();
        XfrmStateInfo {
            id: self.id(),
            sel: m.sel,
            family: self.family,
            saddr: self.saddr,
            mode: self.mode,
            reqid: self.reqid,
            replay_window: self.replay_window,
            flags: self.flags,
            extra_flags: self.extra_flags,
            smark: m.smark,
            mark: self.mark,
            if_id: self.if_id(),
            lft: m.lft,
            curlft: m.curlft,
            aalg: self.aalg.clone(),
            ealg: self.ealg.clone(),
            calg: self.calg.clone(),
            aead: self.aead.clone(),
            encap: m.encap,
            coaddr: m.coaddr,
            security: self.security.clone(),
            replay: m.replay,
            replay_esn: m.replay_esn,
            stats: m.stats,
            tfcpad: self.tfcpad,
            seq: self.seq(),
            dir: self.dir,
            pcpu_num: self.pcpu_num,
            replay_maxage_ms: self.replay_maxage_ms,
            replay_maxdiff: self.replay_maxdiff,
            mapping_maxage: self.mapping_maxage,
            nat_keepalive_interval: self.nat_keepalive_interval,
        }
    }
}

impl core::fmt::Debug for XfrmState {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        // No lock taken: Debug must not disturb the lock validator.
        f.debug_struct("XfrmState")
            .field("daddr", &self.daddr)
            .field("spi", &self.spi())
            .field("proto", &self.proto)
            .field("family", &self.family)
            .field("saddr", &self.saddr)
            .field("reqid", &self.reqid)
            .field("mark", &self.mark)
            .field("km_state", &self.km_state())
            .field("seq", &self.seq())
            .finish_non_exhaustive()
    }
}
