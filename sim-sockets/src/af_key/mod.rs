//! PF_KEY v2 (`net/key/af_key.c`): the wire format of
//! `include/uapi/linux/pfkeyv2.h` and `ipsec.h`, the request checks
//! `pfkey_sendmsg()` and `parse_exthdrs()` apply before a handler runs, the
//! socket family with its per-namespace socket table, the handlers of
//! `pfkey_funcs[]`, the broadcast rules, the resumable dumps and the
//! `pfkeyv2_mgr` key manager.
//!
//! [`PfKey::init`] is `ipsec_pfkey_init()`: it registers the pernet data,
//! the `PF_KEY` family and the key manager with a [`Kernel`] and its
//! [`Xfrm`] layer.

pub mod broadcast;
pub mod convert;
pub mod dump;
pub mod km;
#[cfg(test)]
mod oracle_tests;
pub mod parse;
pub mod proc;
#[cfg(test)]
mod props;
pub mod sa;
pub mod sock;
pub mod spd;
pub mod wire;

use sim_core::lockdep::{LockClassKey, LockKind, Mutex, SpinLock};
use sim_core::rcu::RcuList;
use sim_core::sync::Arc;
use sim_core::sync::atomic::{AtomicI32, AtomicU32, AtomicU64, Ordering};
use sim_core::xfrm::XfrmState;
use sim_core::xfrm::algo_table::KernelProfile;
use sim_core::{Errno, KResult};
use sim_km::KmEvent;
use sim_km::{KmRegistration, Xfrm};
use sim_netns::pernet::PernetGeneric;
use sim_netns::{Net, NetGenericId};

use crate::kernel::Kernel;
use parse::parse_exthdrs;
use sock::PfkeySock;
use wire::consts::*;
use wire::{SadbMsg, SadbMsgRepr};

/// `pfkey_mutex`: serialises writers of every namespace's socket list (and,
/// since v6.0, the algorithm probe of REGISTER).
pub static PFKEY_MUTEX: LockClassKey = LockClassKey::new("pfkey_mutex", LockKind::Mutex);

/// Guards the EXPIRE events deferred until their state's lock is free.
static PFKEY_PENDING_LOCK: LockClassKey =
    LockClassKey::new("pfkey_pending_expire", LockKind::SpinBh);

/// `struct netns_pfkey`: one namespace's PF_KEY sockets (newest first) and
/// their count.
pub struct NetnsPfkey {
    /// `table`: readers walk it under RCU, writers hold `pfkey_mutex`.
    pub table: RcuList<PfkeySock>,
    /// `socks_nr`.
    pub socks_nr: AtomicI32,
    /// How many of the sockets are promiscuous (lets a request skip its
    /// promiscuous copy when nobody would receive it).
    pub promisc_nr: AtomicI32,
}

impl core::fmt::Debug for NetnsPfkey {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("NetnsPfkey").field("socks_nr", &self.socks_nr).finish()
    }
}

/// `pfkey_net_ops`: `pfkey_net_init` / `pfkey_net_exit`.
struct PfkeyNetOps;

impl PernetGeneric for PfkeyNetOps {
    type Data = NetnsPfkey;

    fn name(&self) -> &'static str {
        "pfkey_net_ops"
    }

    fn init(&self, _net: &Net) -> KResult<NetnsPfkey> {
        Ok(NetnsPfkey {
            table: RcuList::new(),
            socks_nr: AtomicI32::new(0),
            promisc_nr: AtomicI32::new(0),
        })
    }

    /// `pfkey_net_exit`: open sockets hold their namespace, so the list is
    /// empty by now (the kernel WARNs otherwise).
    fn exit(&self, _net: &Net, d: &NetnsPfkey) {
        debug_assert!(d.table.is_empty());
    }
}

/// The module's global state: what `af_key.c` keeps in statics.
pub struct PfKeyInner {
    pub(crate) xfrm: Xfrm,
    pub(crate) profile: &'static KernelProfile,
    pub(crate) net_id: NetGenericId<NetnsPfkey>,
    pub(crate) init_net: Arc<Net>,
    /// `pfkey_mutex`.
    pub(crate) pfkey_mutex: Mutex<()>,
    /// `get_acqseq()`'s static counter.
    acqseq: AtomicU32,
    /// `gen_reqid()`'s static counter.
    pub(crate) reqid: AtomicU32,
    /// The inode numbers `/proc/net/pfkey` shows.
    pub(crate) next_ino: AtomicU64,
    km_reg: sim_core::sync::Mutex<Option<KmRegistration>>,
    /// EXPIRE events that arrived while their state's lock was held.
    pub(crate) pending_expire: SpinLock<Vec<(Arc<XfrmState>, KmEvent)>>,
}

impl core::fmt::Debug for PfKeyInner {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("PfKey").field("profile", &self.profile.name).finish_non_exhaustive()
    }
}

impl PfKeyInner {
    /// `get_acqseq()`: PF_KEY's own ACQUIRE numbers, pre-incremented,
    /// never 0.
    pub(crate) fn get_acqseq(&self) -> u32 {
        loop {
            let v = self.acqseq.fetch_add(1, Ordering::AcqRel).wrapping_add(1);
            if v != 0 {
                return v;
            }
        }
    }

    /// `net_generic(net, pfkey_net_id)`.
    pub(crate) fn netns(&self, net: &Net) -> KResult<Arc<NetnsPfkey>> {
        net.generic(self.net_id).ok_or(Errno::EINVAL)
    }

    /// The virtual or real wall clock in seconds (`ktime_get_real_seconds`).
    pub(crate) fn now(&self) -> u64 {
        self.xfrm.clock().real_seconds()
    }
}

/// The PF_KEY module loaded into one simulated kernel. Cheap to clone.
#[derive(Clone, Debug)]
pub struct PfKey {
    pub(crate) inner: Arc<PfKeyInner>,
}

impl PfKey {
    /// `ipsec_pfkey_init()`: registers the per-namespace socket table
    /// (`pfkey_net_ops`), the `PF_KEY` family (`pfkey_family_ops`) and the
    /// key manager (`pfkeyv2_mgr`, appended to the km list). `profile`
    /// decides which algorithms exist and how socket memory is charged.
    pub fn init(kernel: &Kernel, xfrm: &Xfrm, profile: &'static KernelProfile) -> KResult<PfKey> {
        let (_h, net_id) = kernel.nets().register_pernet_generic(PfkeyNetOps)?;
        let inner = Arc::new(PfKeyInner {
            xfrm: xfrm.clone(),
            profile,
            net_id,
            init_net: kernel.init_net(),
            pfkey_mutex: Mutex::new(&PFKEY_MUTEX, ()),
            acqseq: AtomicU32::new(0),
            reqid: AtomicU32::new(IPSEC_MANUAL_REQID_MAX),
            next_ino: AtomicU64::new(1000),
            km_reg: sim_core::sync::Mutex::new(None),
            pending_expire: SpinLock::new(&PFKEY_PENDING_LOCK, Vec::new()),
        });
        kernel.sock_register(Box::new(sock::PfkeyFamily { pfk: inner.clone() }))?;
        let reg = xfrm.km().xfrm_register_km(
            sim_core::arc_dyn!(km::PfkeyMgr { pfk: inner.clone() } => dyn sim_km::KeyManager),
        );
        *inner.km_reg.lock() = Some(reg);
        Ok(PfKey { inner })
    }

    /// `ipsec_pfkey_exit()`'s key-manager part: takes `pfkeyv2_mgr` off the
    /// km list (waiting a grace period).
    pub fn unregister_km(&self) {
        if let Some(reg) = self.inner.km_reg.lock().take() {
            self.inner.xfrm.km().xfrm_unregister_km(reg);
        }
    }

    /// The XFRM layer the handlers run against.
    pub fn xfrm(&self) -> &Xfrm {
        &self.inner.xfrm
    }

    /// The kernel profile (algorithms, buffer sysctls).
    pub fn profile(&self) -> &'static KernelProfile {
        self.inner.profile
    }

    /// `atomic_read(&net_pfkey->socks_nr)`.
    pub fn socks_nr(&self, net: &Net) -> i32 {
        self.inner.netns(net).map(|n| n.socks_nr.load(Ordering::Acquire)).unwrap_or(0)
    }

    /// Delivers EXPIRE messages whose state was locked when the event came
    /// (the socket calls do this on entry).
    pub fn flush_pending(&self) {
        km::pfkey_flush_pending_expire(&self.inner);
    }

    /// `/proc/net/pfkey` of `net`.
    pub fn proc_net_pfkey(&self, net: &Net) -> String {
        proc::pfkey_seq_show(&self.inner, net)
    }
}

/// A request as the handlers see it: the header, the parsed extensions and
/// the whole message (for the promiscuous re-broadcast of X_PROMISC).
pub struct PfkeyRequest<'a> {
    /// `hdr`.
    pub hdr: SadbMsgRepr,
    /// `ext_hdrs[]`.
    pub ext: parse::ExtHdrs<'a>,
    /// The skb's bytes (the whole `send()` buffer).
    pub raw: &'a [u8],
}

/// `pfkey_process()`: the raw request to every promiscuous socket
/// (`BROADCAST_PROMISC_ONLY`), `parse_exthdrs()`, then the handler of
/// `pfkey_funcs[type]` (`EOPNOTSUPP` where there is none).
pub(crate) fn pfkey_process(pfk: &PfKeyInner, sk: &Arc<PfkeySock>, raw: &[u8]) -> KResult<()> {
    let _span = tracing::trace_span!("pfkey_process").entered();
    let net = sk.sk.net.clone();
    // The copy only matters to promiscuous sockets; skip it without any.
    if pfk.netns(&net)?.promisc_nr.load(Ordering::Acquire) != 0 {
        let skb = broadcast::PfkeySkb::new(pfk, raw.to_vec(), raw.len());
        let _ =
            broadcast::pfkey_broadcast(pfk, &skb, broadcast::BROADCAST_PROMISC_ONLY, None, &net);
    }
    let ext = parse_exthdrs(raw)?;
    let hdr = SadbMsgRepr::parse(&SadbMsg::new_checked(raw)?)?;
    let req = PfkeyRequest { hdr, ext, raw };
    match hdr.msg_type {
        SADB_RESERVED => Err(Errno::EOPNOTSUPP),
        SADB_GETSPI => sa::pfkey_getspi(pfk, sk, &req),
        SADB_UPDATE | SADB_ADD => sa::pfkey_add(pfk, sk, &req),
        SADB_DELETE => sa::pfkey_delete(pfk, sk, &req),
        SADB_GET => sa::pfkey_get(pfk, sk, &req),
        SADB_ACQUIRE => sa::pfkey_acquire(pfk, sk, &req),
        SADB_REGISTER => sa::pfkey_register(pfk, sk, &req),
        SADB_FLUSH => sa::pfkey_flush(pfk, sk, &req),
        SADB_DUMP => dump::pfkey_dump(pfk, sk, &req),
        SADB_X_PROMISC => sa::pfkey_promisc(pfk, sk, &req),
        SADB_X_SPDUPDATE | SADB_X_SPDADD | SADB_X_SPDSETIDX => spd::pfkey_spdadd(pfk, sk, &req),
        SADB_X_SPDDELETE => spd::pfkey_spddelete(pfk, sk, &req),
        SADB_X_SPDGET | SADB_X_SPDDELETE2 => spd::pfkey_spdget(pfk, sk, &req),
        SADB_X_SPDDUMP => dump::pfkey_spddump(pfk, sk, &req),
        SADB_X_SPDFLUSH => spd::pfkey_spdflush(pfk, sk, &req),
        SADB_X_MIGRATE => spd::pfkey_migrate(pfk, sk, &req),
        _ => Err(Errno::EOPNOTSUPP),
    }
}
