//! PF_KEY sockets: `pfkey_create`, `pfkey_insert`/`pfkey_remove`,
//! `pfkey_release`, `pfkey_sendmsg`, `pfkey_recvmsg` and the `sock_no_*`
//! operations of `pfkey_ops`.

use sim_core::lockdep::{LockClassKey, LockKind, Mutex};
use sim_core::rcu::synchronize_rcu;
use sim_core::sync::Arc;
use sim_core::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use sim_core::{Errno, KResult};
use sim_netns::{CAP_NET_ADMIN, Net};

use super::dump::{PfkeyDump, pfkey_do_dump};
use super::parse::{pfkey_error, pfkey_get_base_msg, pfkey_sendmsg_check};
use super::wire::SadbMsgRepr;
use super::wire::consts::PF_KEY_V2;
use super::{PfKeyInner, broadcast, pfkey_process};
use crate::socket::{
    AF_KEY, MSG_DONTWAIT, MSG_PEEK, MSG_TRUNC, MsgHdr, NetProtoFamily, ProtoOps, RecvMsg, SOCK_RAW,
    Sock, SockName, Task,
};

/// `pfk->dump_lock`.
pub static PFKEY_DUMP_LOCK: LockClassKey = LockClassKey::new("pfk->dump_lock", LockKind::Mutex);

/// `MSG_CMSG_COMPAT`.
const MSG_CMSG_COMPAT: i32 = 0x8000_0000u32 as i32;

/// `struct pfkey_sock`.
pub struct PfkeySock {
    /// The generic socket.
    pub sk: Sock,
    /// `registered`: one bit per satype.
    registered: AtomicU32,
    /// `promisc`.
    promisc: AtomicBool,
    /// `pfk->dump` under `pfk->dump_lock`.
    pub(crate) dump: Mutex<Option<PfkeyDump>>,
    /// `pfk->dump.dump != NULL`, readable without the lock (`recvmsg`
    /// tests it before taking `dump_lock`).
    pub(crate) dump_running: AtomicBool,
    pub(crate) pfk: Arc<PfKeyInner>,
    /// `sock_i_ino()`.
    pub(crate) ino: u64,
    /// `sock_i_uid()`.
    pub(crate) uid: u32,
}

impl PfkeySock {
    /// `pfk->registered`.
    pub fn registered(&self) -> u32 {
        self.registered.load(Ordering::Acquire)
    }
    pub(crate) fn set_registered(&self, v: u32) {
        self.registered.store(v, Ordering::Release);
    }
    /// `pfk->promisc`.
    pub fn promisc(&self) -> bool {
        self.promisc.load(Ordering::Acquire)
    }
    pub(crate) fn set_promisc(&self, v: bool) {
        if self.promisc.swap(v, Ordering::AcqRel) != v
            && let Ok(nt) = self.pfk.netns(&self.sk.net)
        {
            nt.promisc_nr.fetch_add(if v { 1 } else { -1 }, Ordering::AcqRel);
        }
    }
    /// The namespace.
    pub fn net(&self) -> &Arc<Net> {
        &self.sk.net
    }
    /// Whether a dump is running on this socket.
    pub fn dump_running(&self) -> bool {
        self.dump_running.load(Ordering::Acquire)
    }
}

/// `pfkey_family_ops`: `PF_KEY`'s `net_proto_family`.
pub struct PfkeyFamily {
    pub(crate) pfk: Arc<PfKeyInner>,
}

/// `pfkey_insert()`: at the head of the namespace's list, under
/// `pfkey_mutex`.
fn pfkey_insert(pfk: &PfKeyInner, sk: &Arc<PfkeySock>) -> KResult<()> {
    let nt = pfk.netns(&sk.sk.net)?;
    let _g = pfk.pfkey_mutex.lock();
    nt.table.add_head(sk.clone());
    Ok(())
}

/// `pfkey_remove()`: unlink under `pfkey_mutex` (readers may still see it
/// until a grace period passes).
fn pfkey_remove(pfk: &PfKeyInner, sk: &Arc<PfkeySock>) {
    if let Ok(nt) = pfk.netns(&sk.sk.net) {
        let _g = pfk.pfkey_mutex.lock();
        nt.table.remove(sk);
    }
}

impl NetProtoFamily for PfkeyFamily {
    fn family(&self) -> i32 {
        AF_KEY
    }

    /// `pfkey_create()`: `EPERM` without `CAP_NET_ADMIN` over the
    /// namespace's user namespace, `ESOCKTNOSUPPORT` for a type other than
    /// `SOCK_RAW`, `EPROTONOSUPPORT` for a protocol other than
    /// `PF_KEY_V2`; then the socket joins the namespace's list.
    fn create(
        &self,
        net: &Arc<Net>,
        task: &Task,
        sock_type: i32,
        protocol: i32,
        _kern: bool,
    ) -> KResult<Box<dyn ProtoOps>> {
        if !task.ns_capable(net.user_ns(), CAP_NET_ADMIN) {
            return Err(Errno::EPERM);
        }
        if sock_type != SOCK_RAW {
            return Err(Errno::ESOCKTNOSUPPORT);
        }
        if protocol != i32::from(PF_KEY_V2) {
            return Err(Errno::EPROTONOSUPPORT);
        }
        let nt = self.pfk.netns(net)?;
        let sk = Arc::new(PfkeySock {
            sk: Sock::new(net.clone(), AF_KEY, sock_type, protocol, Some(task.cred().clone())),
            registered: AtomicU32::new(0),
            promisc: AtomicBool::new(false),
            dump: Mutex::new(&PFKEY_DUMP_LOCK, None),
            dump_running: AtomicBool::new(false),
            pfk: self.pfk.clone(),
            ino: self.pfk.next_ino.fetch_add(1, Ordering::Relaxed),
            uid: task.cred().uid,
        });
        nt.socks_nr.fetch_add(1, Ordering::AcqRel);
        pfkey_insert(&self.pfk, &sk)?;
        Ok(Box::new(PfkeySocket(sk)))
    }
}

/// `struct socket` of a PF_KEY socket: `pfkey_ops` over the shared
/// `pfkey_sock`.
pub struct PfkeySocket(pub Arc<PfkeySock>);

impl PfkeySocket {
    /// The `pfkey_sock`.
    pub fn pfkey_sk(&self) -> &Arc<PfkeySock> {
        &self.0
    }
}

/// `pfkey_sendmsg()`: the `send()`-level checks, `pfkey_get_base_msg()`,
/// then `pfkey_process()` under the namespace's `xfrm_cfg_mutex`. A
/// failure after the header check becomes an error reply and `send()`
/// succeeds.
pub fn pfkey_sendmsg(sk: &Arc<PfkeySock>, msg: &MsgHdr<'_>) -> KResult<usize> {
    let _span = tracing::trace_span!("pfkey_sendmsg").entered();
    let pfk = &sk.pfk;
    super::km::pfkey_flush_pending_expire(pfk);
    let len = msg.data.len();
    pfkey_sendmsg_check(msg.flags as u32, len, sk.sk.sndbuf() as u32)?;
    let hdr = pfkey_get_base_msg(msg.data)?;
    let hdr = SadbMsgRepr::parse(&hdr)?;
    let err = {
        let _g = sk.sk.net.xfrm.xfrm_cfg_mutex.lock();
        pfkey_process(pfk, sk, msg.data)
    };
    if let Err(e) = err {
        let reply = pfkey_error(&hdr, e);
        let skb = broadcast::PfkeySkb::new(pfk, reply.to_bytes().to_vec(), 32);
        let _ =
            broadcast::pfkey_broadcast(pfk, &skb, broadcast::BROADCAST_ONE, Some(sk), &sk.sk.net);
    }
    Ok(len)
}

/// `pfkey_recvmsg()`: flags other than `MSG_PEEK | MSG_DONTWAIT |
/// MSG_TRUNC | MSG_CMSG_COMPAT` are `EINVAL`; one datagram, truncated to
/// `len`; then a running dump continues if the queue (the datagram just
/// read still counted) is at most a third of the receive buffer.
pub fn pfkey_recvmsg(sk: &Arc<PfkeySock>, task: &Task, len: usize, flags: i32) -> KResult<RecvMsg> {
    let _span = tracing::trace_span!("pfkey_recvmsg").entered();
    if flags & !(MSG_PEEK | MSG_DONTWAIT | MSG_TRUNC | MSG_CMSG_COMPAT) != 0 {
        return Err(Errno::EINVAL);
    }
    super::km::pfkey_flush_pending_expire(&sk.pfk);
    let skb = sk.sk.skb_recv_datagram(task, flags)?;
    let full = skb.len();
    let mut msg_flags = 0;
    let copied = if full > len {
        msg_flags |= MSG_TRUNC;
        len
    } else {
        full
    };
    let data = skb.data().get(..copied).unwrap_or_default().to_vec();
    let ret = if flags & MSG_TRUNC != 0 { full } else { copied };
    // skb_free_datagram runs after the dump step: the datagram is still
    // charged while the dump decides how much more fits.
    let held = if flags & MSG_PEEK != 0 { 0 } else { skb.truesize };
    sk.sk.rmem_charge(held);
    if sk.dump_running() && 3 * sk.sk.rmem_alloc() <= sk.sk.rcvbuf() {
        let _ = pfkey_do_dump(sk);
    }
    sk.sk.rmem_uncharge(held);
    Ok(RecvMsg { ret, data, name: SockName::default(), msg_flags })
}

/// `pfkey_release()` + `pfkey_sock_destruct()`: unlink, orphan, wait a
/// grace period, end a running dump, purge the queue, count down.
pub fn pfkey_release(sk: &Arc<PfkeySock>) {
    let _span = tracing::trace_span!("pfkey_release").entered();
    let pfk = &sk.pfk;
    pfkey_remove(pfk, sk);
    sk.sk.set_dead();
    synchronize_rcu();
    super::dump::pfkey_terminate_dump(sk);
    sk.set_promisc(false);
    sk.sk.queue_purge();
    if let Ok(nt) = pfk.netns(&sk.sk.net) {
        nt.socks_nr.fetch_sub(1, Ordering::AcqRel);
    }
}

impl ProtoOps for PfkeySocket {
    fn sk(&self) -> &Sock {
        &self.0.sk
    }

    fn release(&self) {
        pfkey_release(&self.0);
    }

    fn poll(&self) -> u32 {
        super::km::pfkey_flush_pending_expire(&self.0.pfk);
        crate::socket::datagram_poll(&self.0.sk)
    }

    /// `sock_no_bind`.
    fn bind(&self, _task: &Task, _addr: &[u8]) -> KResult<()> {
        Err(Errno::EOPNOTSUPP)
    }

    /// `sock_no_getname`.
    fn getname(&self, _peer: bool) -> KResult<Vec<u8>> {
        Err(Errno::EOPNOTSUPP)
    }

    /// `pfkey_ops` has no `setsockopt`: `sock_common`-less sockets answer
    /// `EOPNOTSUPP` for every level but `SOL_SOCKET`.
    fn setsockopt(&self, _task: &Task, _level: i32, _optname: i32, _optval: &[u8]) -> KResult<()> {
        Err(Errno::EOPNOTSUPP)
    }

    fn getsockopt(
        &self,
        _task: &Task,
        _level: i32,
        _optname: i32,
        _optlen: i32,
    ) -> KResult<Vec<u8>> {
        Err(Errno::EOPNOTSUPP)
    }

    fn sendmsg(&self, _task: &Task, msg: &MsgHdr<'_>) -> KResult<usize> {
        pfkey_sendmsg(&self.0, msg)
    }

    fn recvmsg(&self, task: &Task, len: usize, flags: i32) -> KResult<RecvMsg> {
        pfkey_recvmsg(&self.0, task, len, flags)
    }
}
