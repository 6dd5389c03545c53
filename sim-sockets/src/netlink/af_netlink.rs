//! `net/netlink/af_netlink.c`: netlink sockets, the per-protocol table
//! (`nl_table`), port ids, groups, unicast, broadcast, kernel sockets.

use sim_core::lockdep::{self, LockClassKey, LockKind};
use sim_core::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, AtomicUsize, Ordering};
use sim_core::sync::{Arc, ConcurrentMap};
use sim_core::{Errno, KResult, KernelRng};

use super::dump::{DumpState, netlink_dump};
use super::wire::SockaddrNl;
use super::*;
use crate::skbuff::{NETLINK_SKB_DST, SkBuff};
use crate::socket::{
    AF_NETLINK, AF_UNSPEC, MSG_DONTWAIT, MSG_OOB, MSG_TRUNC, MsgHdr, NetProtoFamily, ProtoOps,
    RecvMsg, SOCK_DGRAM, SOCK_RAW, Sock, SockName, Task,
};
use sim_core::rcu::{RcuList, rcu_read_lock, synchronize_rcu};
use sim_core::wait::WaitQueue;
use sim_netns::cred::CAP_NET_BROADCAST;
use sim_netns::{CAP_NET_ADMIN, Capability, Net, ns_capable};

static NL_TABLE_LOCK: LockClassKey = LockClassKey::new("nl_table_lock", LockKind::RwLock);
static NLK_CB_MUTEX: LockClassKey = LockClassKey::new("nlk_cb_mutex", LockKind::Mutex);
static SK_LOCK_NETLINK: LockClassKey = LockClassKey::new("sk_lock-AF_NETLINK", LockKind::Mutex);

/// `NETLINK_F_KERNEL_SOCKET`.
const NETLINK_F_KERNEL_SOCKET: u32 = 1 << 0;
/// `NETLINK_F_RECV_PKTINFO`.
const NETLINK_F_RECV_PKTINFO: u32 = 1 << 1;
/// `NETLINK_F_BROADCAST_SEND_ERROR`.
const NETLINK_F_BROADCAST_SEND_ERROR: u32 = 1 << 2;
/// `NETLINK_F_RECV_NO_ENOBUFS`.
const NETLINK_F_RECV_NO_ENOBUFS: u32 = 1 << 3;
/// `NETLINK_F_LISTEN_ALL_NSID`.
const NETLINK_F_LISTEN_ALL_NSID: u32 = 1 << 4;
/// `NETLINK_F_CAP_ACK`.
pub(crate) const NETLINK_F_CAP_ACK: u32 = 1 << 5;
/// `NETLINK_F_EXT_ACK`.
pub(crate) const NETLINK_F_EXT_ACK: u32 = 1 << 6;
/// `NETLINK_F_STRICT_CHK`.
pub(crate) const NETLINK_F_STRICT_CHK: u32 = 1 << 7;

/// Groups this model tracks per socket (`nlk->groups` is one `u64`).
const MAX_SOCK_GROUPS: u32 = 64;

/// A protocol's input function (`cfg->input`, `nlk->netlink_rcv`): runs
/// synchronously in the sender's `sendmsg`.
pub type NetlinkInputFn = Arc<NetlinkInput>;
/// `cfg->bind`: called for each group a socket joins.
pub type NetlinkBindFn = Arc<NetlinkBind>;
/// `cfg->unbind`.
pub type NetlinkUnbindFn = Arc<NetlinkUnbind>;

type InputBox = Box<dyn Fn(&NetlinkRcv<'_>) + Send + Sync>;
type BindBox = Box<dyn Fn(&Arc<Net>, u32) -> KResult<()> + Send + Sync>;
type UnbindBox = Box<dyn Fn(&Arc<Net>, u32) + Send + Sync>;

/// `netlink_kernel_cfg.input` (boxed, so that it can be shared through the
/// sync facade's `Arc` in loom builds too).
pub struct NetlinkInput(InputBox);

impl NetlinkInput {
    /// Wraps an input function.
    pub fn new(f: impl Fn(&NetlinkRcv<'_>) + Send + Sync + 'static) -> NetlinkInputFn {
        Arc::new(NetlinkInput(Box::new(f)))
    }
    /// Runs it on one received skb.
    pub fn call(&self, rcv: &NetlinkRcv<'_>) {
        (self.0)(rcv)
    }
}

/// `netlink_kernel_cfg.bind`.
pub struct NetlinkBind(BindBox);

impl NetlinkBind {
    pub fn new(f: impl Fn(&Arc<Net>, u32) -> KResult<()> + Send + Sync + 'static) -> NetlinkBindFn {
        Arc::new(NetlinkBind(Box::new(f)))
    }
    pub fn call(&self, net: &Arc<Net>, group: u32) -> KResult<()> {
        (self.0)(net, group)
    }
}

/// `netlink_kernel_cfg.unbind`.
pub struct NetlinkUnbind(UnbindBox);

impl NetlinkUnbind {
    pub fn new(f: impl Fn(&Arc<Net>, u32) + Send + Sync + 'static) -> NetlinkUnbindFn {
        Arc::new(NetlinkUnbind(Box::new(f)))
    }
    pub fn call(&self, net: &Arc<Net>, group: u32) {
        (self.0)(net, group)
    }
}

/// `struct netlink_kernel_cfg`.
#[derive(Clone, Default)]
pub struct NetlinkKernelCfg {
    /// `groups` (rounded up to 32).
    pub groups: u32,
    /// `flags` (`NL_CFG_F_NONROOT_RECV`/`_SEND`).
    pub flags: u32,
    /// `input`.
    pub input: Option<NetlinkInputFn>,
    /// `bind`.
    pub bind: Option<NetlinkBindFn>,
    /// `unbind`.
    pub unbind: Option<NetlinkUnbindFn>,
}

/// What the kernel socket's input function is handed: the request skb,
/// the kernel socket it arrived on, the sending socket and task.
pub struct NetlinkRcv<'a> {
    /// `skb->sk`: the kernel socket.
    pub ksk: &'a Arc<NetlinkSock>,
    /// The datagram (`NETLINK_CB(skb)` holds the sender's port id and
    /// credentials).
    pub skb: &'a SkBuff,
    /// `NETLINK_CB(skb).sk`: the sending socket.
    pub ssk: &'a Arc<NetlinkSock>,
    /// `current`: the sending task.
    pub task: Option<&'a Task>,
}

/// The registration data of one protocol (`struct netlink_table` minus
/// the hash and the listener list).
#[derive(Clone, Default)]
struct NlTableMeta {
    groups: u32,
    registered: u32,
    flags: u32,
    bind: Option<NetlinkBindFn>,
    unbind: Option<NetlinkUnbindFn>,
}

/// `struct netlink_table` for one protocol: the port-id hash and the
/// multicast listener list.
struct NlTable {
    /// (namespace id, port id) → socket (the rhashtable).
    hash: ConcurrentMap<(u64, u32), Arc<NetlinkSock>>,
    /// `mc_list`: sockets with at least one group, walked under RCU.
    mc_list: RcuList<NetlinkSock>,
}

/// `nl_table[]` and `nl_table_lock` of one simulated kernel.
pub struct NetlinkCore {
    tables: Vec<NlTable>,
    meta: lockdep::RwLock<Vec<NlTableMeta>>,
    rng: KernelRng,
}

impl NetlinkCore {
    /// `netlink_proto_init()`: empty tables plus the NETLINK_USERSOCK entry
    /// (`netlink_add_usersock_entry`).
    pub fn new(rng: KernelRng) -> Arc<Self> {
        let tables = (0..MAX_LINKS)
            .map(|_| NlTable { hash: ConcurrentMap::new(), mc_list: RcuList::new() })
            .collect();
        let mut meta = vec![NlTableMeta::default(); MAX_LINKS as usize];
        meta[NETLINK_USERSOCK as usize] = NlTableMeta {
            groups: 32,
            registered: 1,
            flags: NL_CFG_F_NONROOT_SEND,
            bind: None,
            unbind: None,
        };
        Arc::new(NetlinkCore { tables, meta: lockdep::RwLock::new(&NL_TABLE_LOCK, meta), rng })
    }

    fn table(&self, protocol: i32) -> &NlTable {
        // Protocols are range-checked at creation.
        &self.tables[protocol as usize]
    }

    /// `netlink_lookup()`: the socket bound to `portid` in `net`.
    pub fn lookup(&self, net: &Net, protocol: i32, portid: u32) -> Option<Arc<NetlinkSock>> {
        let t = self.tables.get(usize::try_from(protocol).ok()?)?;
        t.hash.get_cloned(&(net.id(), portid))
    }

    /// The kernel socket of `protocol` in `net` (port id 0).
    pub fn kernel_sock(&self, net: &Net, protocol: i32) -> Option<Arc<NetlinkSock>> {
        self.lookup(net, protocol, 0)
    }

    /// Whether `protocol` has a kernel socket in some namespace
    /// (`nl_table[protocol].registered`).
    pub fn registered(&self, protocol: i32) -> bool {
        usize::try_from(protocol)
            .ok()
            .and_then(|p| self.meta.read().get(p).map(|m| m.registered != 0))
            .unwrap_or(false)
    }

    /// Number of sockets bound in `protocol`'s table (all namespaces).
    pub fn bound_count(&self, protocol: i32) -> usize {
        usize::try_from(protocol).ok().and_then(|p| self.tables.get(p)).map_or(0, |t| t.hash.len())
    }

    /// Number of sockets on `protocol`'s multicast list.
    pub fn mc_list_len(&self, protocol: i32) -> usize {
        usize::try_from(protocol)
            .ok()
            .and_then(|p| self.tables.get(p))
            .map_or(0, |t| t.mc_list.len())
    }
}

#[allow(clippy::too_many_arguments)]
fn new_sock(
    core: &Arc<NetlinkCore>,
    net: &Arc<Net>,
    task: Option<&Task>,
    sock_type: i32,
    protocol: i32,
    meta: &NlTableMeta,
    input: Option<NetlinkInputFn>,
    kernel: bool,
) -> Arc<NetlinkSock> {
    let opener = task.map(|t| t.cred().clone());
    Arc::new(NetlinkSock {
        sk: Sock::new(net.clone(), AF_NETLINK, sock_type, protocol, opener),
        core: core.clone(),
        portid: AtomicU32::new(0),
        bound: AtomicBool::new(false),
        dst_portid: AtomicU32::new(0),
        dst_group: AtomicU32::new(0),
        connected: AtomicBool::new(false),
        flags: AtomicU32::new(if kernel { NETLINK_F_KERNEL_SOCKET } else { 0 }),
        congested: AtomicBool::new(false),
        groups: AtomicU64::new(0),
        ngroups: AtomicU32::new(0),
        subscriptions: AtomicU32::new(0),
        input,
        bind_hook: meta.bind.clone(),
        unbind_hook: meta.unbind.clone(),
        cb: lockdep::Mutex::new(&NLK_CB_MUTEX, None),
        cb_running: AtomicBool::new(false),
        max_recvmsg_len: AtomicUsize::new(0),
        wait: WaitQueue::new(),
        waiters: AtomicUsize::new(0),
        sk_lock: lockdep::Mutex::new(&SK_LOCK_NETLINK, ()),
        released: AtomicBool::new(false),
    })
}

/// `struct netlink_sock`.
pub struct NetlinkSock {
    sk: Sock,
    core: Arc<NetlinkCore>,
    portid: AtomicU32,
    bound: AtomicBool,
    dst_portid: AtomicU32,
    dst_group: AtomicU32,
    connected: AtomicBool,
    flags: AtomicU32,
    /// `NETLINK_S_CONGESTED`.
    congested: AtomicBool,
    groups: AtomicU64,
    ngroups: AtomicU32,
    subscriptions: AtomicU32,
    input: Option<NetlinkInputFn>,
    bind_hook: Option<NetlinkBindFn>,
    unbind_hook: Option<NetlinkUnbindFn>,
    /// `nlk->cb` under `nlk->nl_cb_mutex`.
    pub(crate) cb: lockdep::Mutex<Option<DumpState>>,
    pub(crate) cb_running: AtomicBool,
    pub(crate) max_recvmsg_len: AtomicUsize,
    /// `nlk->wait`: senders waiting for receive room.
    wait: WaitQueue,
    waiters: AtomicUsize,
    /// `lock_sock()`.
    sk_lock: lockdep::Mutex<()>,
    released: AtomicBool,
}

impl NetlinkSock {
    /// `struct sock` part.
    pub fn sk(&self) -> &Sock {
        &self.sk
    }
    /// `nlk->portid`.
    pub fn portid(&self) -> u32 {
        self.portid.load(Ordering::Acquire)
    }
    /// `nlk->bound`.
    pub fn is_bound(&self) -> bool {
        self.bound.load(Ordering::Acquire)
    }
    /// `netlink_is_kernel()`.
    pub fn is_kernel(&self) -> bool {
        self.flags.load(Ordering::Relaxed) & NETLINK_F_KERNEL_SOCKET != 0
    }
    /// The namespace.
    pub fn net(&self) -> &Arc<Net> {
        &self.sk.net
    }
    /// `sk->sk_protocol`.
    pub fn protocol(&self) -> i32 {
        self.sk.protocol
    }
    /// The low 64 bits of `nlk->groups`.
    pub fn groups(&self) -> u64 {
        self.groups.load(Ordering::Acquire)
    }
    /// Whether a dump is running (`nlk->cb_running`).
    pub fn dump_running(&self) -> bool {
        self.cb_running.load(Ordering::Acquire)
    }
    pub(crate) fn test_flag(&self, f: u32) -> bool {
        self.flags.load(Ordering::Relaxed) & f != 0
    }
    fn assign_flag(&self, f: u32, on: bool) {
        if on {
            self.flags.fetch_or(f, Ordering::Relaxed);
        } else {
            self.flags.fetch_and(!f, Ordering::Relaxed);
        }
    }
    fn table(&self) -> &NlTable {
        self.core.table(self.sk.protocol)
    }
    /// `netlink_lookup()` in this socket's namespace and protocol.
    pub fn core_lookup(&self, portid: u32) -> Option<Arc<NetlinkSock>> {
        self.core.lookup(&self.sk.net, self.sk.protocol, portid)
    }
    /// `sk_drops`.
    pub fn drops(&self) -> u32 {
        self.sk.drops()
    }
    /// `NETLINK_S_CONGESTED`.
    pub fn congested(&self) -> bool {
        self.congested.load(Ordering::Acquire)
    }
}

/// `netlink_allowed()`: the protocol lets everybody do it, or the task
/// has CAP_NET_ADMIN over the socket's namespace.
fn netlink_allowed(nlk: &NetlinkSock, task: &Task, flag: u32) -> bool {
    let flags = nlk.core.meta.read().get(nlk.sk.protocol as usize).map_or(0, |m| m.flags);
    flags & flag != 0 || task.ns_capable(nlk.sk.net.user_ns(), CAP_NET_ADMIN)
}

/// `netlink_net_capable()`: the message came with an explicit address or
/// the sending socket's opener had `cap` over the namespace's owner, and
/// the sending task has it now.
pub fn netlink_net_capable(rcv: &NetlinkRcv<'_>, cap: Capability) -> bool {
    let user_ns = rcv.ksk.sk.net.user_ns();
    let dst_or_file = rcv.skb.cb.flags & NETLINK_SKB_DST != 0
        || rcv.ssk.sk.opener.as_ref().is_some_and(|c| ns_capable(c, user_ns, cap));
    dst_or_file && rcv.skb.cb.creds.as_ref().is_some_and(|c| ns_capable(c, user_ns, cap))
}

/// `netlink_insert()`: binds `portid` under the socket lock. A socket
/// already bound answers 0 for its own id and `EBUSY` otherwise; a taken
/// id is `EADDRINUSE` (the attempted id stays in `nlk->portid`, as in
/// Linux).
fn netlink_insert(nlk: &Arc<NetlinkSock>, portid: u32) -> KResult<()> {
    let _g = nlk.sk_lock.lock();
    if nlk.is_bound() {
        return if nlk.portid() == portid { Ok(()) } else { Err(Errno::EBUSY) };
    }
    nlk.portid.store(portid, Ordering::Release);
    if !nlk.table().hash.insert_new((nlk.sk.net.id(), portid), nlk.clone()) {
        return Err(Errno::EADDRINUSE);
    }
    nlk.bound.store(true, Ordering::Release);
    Ok(())
}

/// `netlink_autobind()`: the task's tgid first, then random negative ids
/// from [S32_MIN, -4097] counting down.
fn netlink_autobind(nlk: &Arc<NetlinkSock>, task: &Task) -> KResult<()> {
    let mut portid: i32 = task.tgid();
    let mut rover: i32 = -4096;
    let net_id = nlk.sk.net.id();
    loop {
        let taken = nlk.table().hash.contains_key(&(net_id, portid as u32));
        if taken {
            if rover == -4096 {
                rover = i32::MIN.wrapping_add(
                    nlk.core.rng.u32_inclusive(0, (-4097i64 - i32::MIN as i64) as u32) as i32,
                );
            } else if rover >= -4096 {
                rover = -4097;
            }
            portid = rover;
            rover = rover.wrapping_sub(1);
            continue;
        }
        match netlink_insert(nlk, portid as u32) {
            Err(Errno::EADDRINUSE) => continue,
            Err(Errno::EBUSY) => return Ok(()),
            r => return r,
        }
    }
}

/// `netlink_realloc_groups()`: sizes the socket's group set to the
/// protocol's (`ENOENT` when the protocol is gone).
fn netlink_realloc_groups(nlk: &NetlinkSock) -> KResult<()> {
    let meta = nlk.core.meta.write();
    let m = meta.get(nlk.sk.protocol as usize).ok_or(Errno::ENOENT)?;
    if m.registered == 0 {
        return Err(Errno::ENOENT);
    }
    let groups = m.groups.min(MAX_SOCK_GROUPS);
    if nlk.ngroups.load(Ordering::Acquire) < groups {
        nlk.ngroups.store(groups, Ordering::Release);
    }
    Ok(())
}

/// `netlink_update_subscriptions()` (table grabbed): joins or leaves the
/// protocol's `mc_list`.
fn netlink_update_subscriptions(nlk: &Arc<NetlinkSock>, subscriptions: u32) {
    let old = nlk.subscriptions.load(Ordering::Acquire);
    if old != 0 && subscriptions == 0 {
        nlk.table().mc_list.remove(nlk);
    } else if old == 0 && subscriptions != 0 {
        nlk.table().mc_list.add_head(nlk.clone());
    }
    nlk.subscriptions.store(subscriptions, Ordering::Release);
}

/// `netlink_update_socket_mc()` (table grabbed).
fn netlink_update_socket_mc(nlk: &Arc<NetlinkSock>, group: u32, is_new: bool) {
    let bit = 1u64 << (group - 1);
    let old = nlk.groups() & bit != 0;
    let subs = nlk.subscriptions.load(Ordering::Acquire) - old as u32 + is_new as u32;
    if is_new {
        nlk.groups.fetch_or(bit, Ordering::AcqRel);
    } else {
        nlk.groups.fetch_and(!bit, Ordering::AcqRel);
    }
    netlink_update_subscriptions(nlk, subs);
}

fn netlink_undo_bind(nlk: &NetlinkSock, upto: u32, groups: u64) {
    if let Some(unbind) = &nlk.unbind_hook {
        for g in 0..upto.min(32) {
            if groups & (1 << g) != 0 {
                unbind.call(&nlk.sk.net, g + 1);
            }
        }
    }
}

/// `netlink_bind()`.
fn netlink_bind(nlk: &Arc<NetlinkSock>, task: &Task, addr: &[u8]) -> KResult<()> {
    let nladdr = SockaddrNl::parse(addr)?;
    if nladdr.family as i32 != AF_NETLINK {
        return Err(Errno::EINVAL);
    }
    let mut groups = nladdr.groups as u64;
    if groups != 0 {
        if !netlink_allowed(nlk, task, NL_CFG_F_NONROOT_RECV) {
            return Err(Errno::EPERM);
        }
        netlink_realloc_groups(nlk)?;
    }
    let ngroups = nlk.ngroups.load(Ordering::Acquire);
    if ngroups < 64 {
        groups &= (1u64 << ngroups) - 1;
    }
    let bound = nlk.is_bound();
    if bound && nladdr.pid != nlk.portid() {
        return Err(Errno::EINVAL);
    }
    if let Some(bind) = &nlk.bind_hook
        && groups != 0
    {
        for g in 0..32u32 {
            if groups & (1 << g) == 0 {
                continue;
            }
            if let Err(e) = bind.call(&nlk.sk.net, g + 1) {
                netlink_undo_bind(nlk, g, groups);
                return Err(e);
            }
        }
    }
    if !bound {
        let r = if nladdr.pid != 0 {
            netlink_insert(nlk, nladdr.pid)
        } else {
            netlink_autobind(nlk, task)
        };
        if let Err(e) = r {
            netlink_undo_bind(nlk, 32, groups);
            return Err(e);
        }
    }
    if groups == 0 && nlk.groups() as u32 == 0 {
        return Ok(());
    }
    let _grab = nlk.core.meta.write();
    let old = nlk.groups();
    let subs = nlk.subscriptions.load(Ordering::Acquire) + (groups as u32).count_ones()
        - (old as u32).count_ones();
    nlk.groups.store((old & !0xffff_ffff) | groups, Ordering::Release);
    netlink_update_subscriptions(nlk, subs);
    Ok(())
}

/// `netlink_connect()`.
fn netlink_connect(nlk: &Arc<NetlinkSock>, task: &Task, addr: &[u8]) -> KResult<()> {
    if addr.len() < 2 {
        return Err(Errno::EINVAL);
    }
    let family = u16::from_le_bytes([addr[0], addr[1]]) as i32;
    if family == AF_UNSPEC {
        nlk.connected.store(false, Ordering::Release);
        nlk.dst_portid.store(0, Ordering::Release);
        nlk.dst_group.store(0, Ordering::Release);
        return Ok(());
    }
    if family != AF_NETLINK {
        return Err(Errno::EINVAL);
    }
    let nladdr = SockaddrNl::parse(addr)?;
    if (nladdr.groups != 0 || nladdr.pid != 0) && !netlink_allowed(nlk, task, NL_CFG_F_NONROOT_SEND)
    {
        return Err(Errno::EPERM);
    }
    if !nlk.is_bound() {
        netlink_autobind(nlk, task)?;
    }
    nlk.connected.store(true, Ordering::Release);
    nlk.dst_portid.store(nladdr.pid, Ordering::Release);
    nlk.dst_group.store(ffs(nladdr.groups), Ordering::Release);
    Ok(())
}

/// `ffs()`: 1-based index of the lowest set bit, 0 for none.
fn ffs(x: u32) -> u32 {
    if x == 0 { 0 } else { x.trailing_zeros() + 1 }
}

/// `netlink_group_mask()`.
fn netlink_group_mask(group: u32) -> u32 {
    if group == 0 { 0 } else { 1u32.checked_shl(group - 1).unwrap_or(0) }
}

/// `netlink_getname()`.
fn netlink_getname(nlk: &NetlinkSock, peer: bool) -> Vec<u8> {
    let a = if peer {
        SockaddrNl::new(
            nlk.dst_portid.load(Ordering::Acquire),
            netlink_group_mask(nlk.dst_group.load(Ordering::Acquire)),
        )
    } else {
        SockaddrNl::new(nlk.portid(), nlk.groups() as u32)
    };
    a.to_bytes().to_vec()
}

/// `netlink_overrun()`: the first overrun latches CONGESTED and reports
/// ENOBUFS once, unless `NETLINK_NO_ENOBUFS`; every overrun is a drop.
fn netlink_overrun(nlk: &NetlinkSock) {
    if !nlk.test_flag(NETLINK_F_RECV_NO_ENOBUFS) && !nlk.congested.swap(true, Ordering::AcqRel) {
        nlk.sk.set_err(Errno::ENOBUFS);
    }
    nlk.sk.inc_drops();
}

/// `netlink_rcv_wake()`: an empty queue clears CONGESTED; wakes senders
/// waiting for room.
fn netlink_rcv_wake(nlk: &NetlinkSock) {
    if nlk.sk.queue_empty() {
        nlk.congested.store(false, Ordering::Release);
    }
    // The kernel wakes unconditionally; skipping an empty queue needs the
    // pairing `wq_has_sleeper` makes. Here both sides update `waiters` with
    // a read-modify-write (a blocked sender counting itself in
    // `netlink_attachskb`): whichever is second sees the other's work (the
    // freed room, or the waiting sender).
    let waiting = nlk.waiters.fetch_add(0, Ordering::AcqRel) != 0;
    if !nlk.congested.load(Ordering::Acquire) && waiting {
        nlk.wait.wake_up_all();
    }
}

/// Whether a charge to `rmem` total for a buffer of `truesize` fits: the
/// first buffer of an empty queue always does (6.16+ accounting).
fn room_for(nlk: &NetlinkSock, rmem: usize, truesize: usize) -> bool {
    (rmem == truesize || rmem <= nlk.sk.rcvbuf()) && !nlk.congested.load(Ordering::Acquire)
}

/// `__netlink_sendskb()`: queues an already charged skb.
pub(crate) fn netlink_sendskb(nlk: &NetlinkSock, skb: SkBuff) -> usize {
    let len = skb.len();
    nlk.sk.queue_tail(skb);
    len
}

enum Attach {
    Attached,
    Retry,
}

/// `netlink_attachskb()`: charge the receiver or fail/wait.
fn netlink_attachskb(
    nlk: &NetlinkSock,
    skb: &SkBuff,
    task: Option<&Task>,
    ssk_is_kernel: bool,
) -> KResult<Attach> {
    let rmem = nlk.sk.rmem_charge(skb.truesize);
    if room_for(nlk, rmem, skb.truesize) {
        return Ok(Attach::Attached);
    }
    nlk.sk.rmem_uncharge(skb.truesize);
    let Some(task) = task else {
        if ssk_is_kernel {
            netlink_overrun(nlk);
        }
        return Err(Errno::EAGAIN);
    };
    // Pairs with `netlink_rcv_wake` (`set_current_state`'s barrier).
    nlk.waiters.fetch_add(1, Ordering::AcqRel);
    let r = nlk.wait.wait_event_interruptible(task.signal(), || {
        let rmem = nlk.sk.rmem_alloc();
        !((rmem != 0 && rmem + skb.truesize > nlk.sk.rcvbuf())
            || nlk.congested.load(Ordering::Acquire))
            || nlk.sk.is_dead()
    });
    nlk.waiters.fetch_sub(1, Ordering::AcqRel);
    r?;
    Ok(Attach::Retry)
}

/// `netlink_getsockbyportid()`.
fn netlink_getsockbyportid(ssk: &NetlinkSock, portid: u32) -> KResult<Arc<NetlinkSock>> {
    let sk = ssk.core.lookup(&ssk.sk.net, ssk.sk.protocol, portid).ok_or(Errno::ECONNREFUSED)?;
    if sk.connected.load(Ordering::Acquire) && sk.dst_portid.load(Ordering::Acquire) != ssk.portid()
    {
        return Err(Errno::ECONNREFUSED);
    }
    Ok(sk)
}

/// `netlink_unicast()`: to a kernel socket, its input runs now; to a user
/// socket, the skb is queued (`task` `None` or `nonblock` = never wait;
/// a kernel sender's overrun is reported to the receiver).
pub fn netlink_unicast(
    ssk: &Arc<NetlinkSock>,
    mut skb: SkBuff,
    portid: u32,
    nonblock: bool,
    task: Option<&Task>,
) -> KResult<usize> {
    let _span = tracing::trace_span!("netlink_unicast").entered();
    skb.netlink_trim();
    let waiter = if nonblock { None } else { task };
    loop {
        let sk = netlink_getsockbyportid(ssk, portid)?;
        if sk.is_kernel() {
            let Some(input) = &sk.input else {
                return Err(Errno::ECONNREFUSED);
            };
            let len = skb.len();
            input.call(&NetlinkRcv { ksk: &sk, skb: &skb, ssk, task });
            return Ok(len);
        }
        match netlink_attachskb(&sk, &skb, waiter, ssk.is_kernel())? {
            Attach::Attached => return Ok(netlink_sendskb(&sk, skb)),
            Attach::Retry => continue,
        }
    }
}

/// `nlmsg_unicast()`: a non-blocking unicast whose success is 0.
pub fn nlmsg_unicast(ksk: &Arc<NetlinkSock>, skb: SkBuff, portid: u32) -> KResult<()> {
    netlink_unicast(ksk, skb, portid, true, None).map(|_| ())
}

/// `netlink_broadcast_deliver()`: queues `skb` on `nlk` if there is room;
/// `Some(congested)` on delivery.
fn netlink_broadcast_deliver(nlk: &NetlinkSock, skb: SkBuff) -> Option<bool> {
    let rmem = nlk.sk.rmem_charge(skb.truesize);
    if room_for(nlk, rmem, skb.truesize) {
        netlink_sendskb(nlk, skb);
        return Some(rmem > nlk.sk.rcvbuf() >> 1);
    }
    nlk.sk.rmem_uncharge(skb.truesize);
    None
}

/// What a broadcast has achieved so far.
#[derive(Default)]
struct BroadcastResult {
    delivered: bool,
    delivery_failure: bool,
}

impl BroadcastResult {
    /// The tail of `do_one_broadcast()` for one listener.
    fn deliver(&mut self, sk: &NetlinkSock, skb: SkBuff) {
        match netlink_broadcast_deliver(sk, skb) {
            Some(_congested) => self.delivered = true,
            None => {
                netlink_overrun(sk);
                if sk.test_flag(NETLINK_F_BROADCAST_SEND_ERROR) {
                    self.delivery_failure = true;
                }
            }
        }
    }
}

/// `netlink_broadcast()`: delivers `skb` to every socket of `net` that
/// joined `group`, except the sender and the socket bound to `portid`.
/// Readers walk the listener list under RCU only. `ESRCH` when nobody got
/// it, `ENOBUFS` when a `NETLINK_BROADCAST_ERROR` listener overran.
///
/// As in the kernel, one listener gets the buffer itself and only the
/// others get clones: each listener is served when the next one is found,
/// and the last one gets the original.
pub fn netlink_broadcast(
    ssk: &Arc<NetlinkSock>,
    mut skb: SkBuff,
    portid: u32,
    group: u32,
) -> KResult<()> {
    let _span = tracing::trace_span!("netlink_broadcast").entered();
    skb.netlink_trim();
    let mut res = BroadcastResult::default();
    let net_id = ssk.sk.net.id();
    let guard = rcu_read_lock();
    let mut pending: Option<&Arc<NetlinkSock>> = None;
    for sk in ssk.table().mc_list.iter(&guard) {
        // do_one_broadcast()
        if Arc::ptr_eq(sk, ssk) {
            continue;
        }
        let bit = group.wrapping_sub(1);
        if sk.portid() == portid
            || bit >= sk.ngroups.load(Ordering::Acquire)
            || sk.groups() & (1u64 << bit.min(63)) == 0
        {
            continue;
        }
        if sk.sk.net.id() != net_id {
            continue;
        }
        if let Some(prev) = pending.replace(sk) {
            skb.share();
            res.deliver(prev, skb.clone_skb());
        }
    }
    if let Some(last) = pending {
        res.deliver(last, skb);
    }
    drop(guard);
    if res.delivery_failure {
        Err(Errno::ENOBUFS)
    } else if res.delivered {
        Ok(())
    } else {
        Err(Errno::ESRCH)
    }
}

/// `nlmsg_multicast()`: marks the destination group and broadcasts.
pub fn nlmsg_multicast(
    ksk: &Arc<NetlinkSock>,
    mut skb: SkBuff,
    portid: u32,
    group: u32,
) -> KResult<()> {
    skb.cb.dst_group = group;
    netlink_broadcast(ksk, skb, portid, group)
}

/// `netlink_has_listeners()`: whether any socket (any namespace, as the
/// kernel's listener bitmap is per protocol) joined `group`.
pub fn netlink_has_listeners(ksk: &NetlinkSock, group: u32) -> bool {
    let bit = group.wrapping_sub(1);
    if bit >= MAX_SOCK_GROUPS {
        return false;
    }
    let guard = rcu_read_lock();
    ksk.table().mc_list.iter(&guard).any(|sk| sk.groups() & (1 << bit) != 0)
}

/// `netlink_sendmsg()`.
fn netlink_sendmsg(nlk: &Arc<NetlinkSock>, task: &Task, msg: &MsgHdr<'_>) -> KResult<usize> {
    let _span = tracing::trace_span!("netlink_sendmsg").entered();
    if msg.flags & MSG_OOB != 0 {
        return Err(Errno::EOPNOTSUPP);
    }
    if msg.data.is_empty() {
        return Err(Errno::ENODATA);
    }
    let mut skb_flags = 0;
    let (dst_portid, dst_group) = match msg.name {
        Some(name) if !name.is_empty() => {
            let addr = SockaddrNl::parse(name)?;
            if addr.family as i32 != AF_NETLINK {
                return Err(Errno::EINVAL);
            }
            let dst_group = ffs(addr.groups);
            if (dst_group != 0 || addr.pid != 0)
                && !netlink_allowed(nlk, task, NL_CFG_F_NONROOT_SEND)
            {
                return Err(Errno::EPERM);
            }
            skb_flags |= NETLINK_SKB_DST;
            (addr.pid, dst_group)
        }
        _ => (nlk.dst_portid.load(Ordering::Acquire), nlk.dst_group.load(Ordering::Acquire)),
    };
    if !nlk.is_bound() {
        netlink_autobind(nlk, task)?;
    }
    if msg.data.len() as i64 > nlk.sk.sndbuf() as i64 - 32 {
        return Err(Errno::EMSGSIZE);
    }
    let mut skb = SkBuff::netlink_large(msg.data.to_vec(), dst_group != 0);
    skb.cb.portid = nlk.portid();
    skb.cb.dst_group = dst_group;
    skb.cb.creds = Some(task.cred().clone());
    skb.cb.flags = skb_flags;
    if dst_group != 0 {
        skb.share();
        let _ = netlink_broadcast(nlk, skb.clone_skb(), dst_portid, dst_group);
    }
    netlink_unicast(nlk, skb, dst_portid, msg.flags & MSG_DONTWAIT != 0, Some(task))
}

/// `netlink_recvmsg()`.
fn netlink_recvmsg(
    nlk: &Arc<NetlinkSock>,
    task: &Task,
    len: usize,
    flags: i32,
) -> KResult<RecvMsg> {
    if flags & MSG_OOB != 0 {
        return Err(Errno::EOPNOTSUPP);
    }
    let skb = match nlk.sk.skb_recv_datagram(task, flags) {
        Ok(skb) => skb,
        Err(e) => {
            netlink_rcv_wake(nlk);
            return Err(e);
        }
    };
    let max = nlk.max_recvmsg_len.load(Ordering::Relaxed).max(len).min(NETLINK_MAX_RECVMSG_LEN);
    nlk.max_recvmsg_len.store(max, Ordering::Relaxed);
    let mut copied = skb.len();
    let mut msg_flags = 0;
    if len < copied {
        msg_flags |= MSG_TRUNC;
        copied = len;
    }
    let name = SockName::new(
        &SockaddrNl::new(skb.cb.portid, netlink_group_mask(skb.cb.dst_group)).to_bytes(),
    );
    let ret = if flags & MSG_TRUNC != 0 { skb.len() } else { copied };
    let mut data = skb.into_data();
    data.truncate(copied);
    if nlk.dump_running()
        && nlk.sk.rmem_alloc() <= nlk.sk.rcvbuf() / 2
        && let Err(e) = netlink_dump(nlk, None)
    {
        nlk.sk.set_err(e);
    }
    netlink_rcv_wake(nlk);
    Ok(RecvMsg { ret, data, name, msg_flags })
}

fn opt_u32(optval: &[u8]) -> u32 {
    // A value shorter than an int reads as 0.
    match optval.get(..4) {
        Some(b) => u32::from_le_bytes([b[0], b[1], b[2], b[3]]),
        None => 0,
    }
}

/// `netlink_setsockopt()`.
fn netlink_setsockopt(
    nlk: &Arc<NetlinkSock>,
    task: &Task,
    level: i32,
    optname: i32,
    optval: &[u8],
) -> KResult<()> {
    if level != SOL_NETLINK {
        return Err(Errno::ENOPROTOOPT);
    }
    let val = opt_u32(optval);
    let nr = match optname {
        NETLINK_PKTINFO => NETLINK_F_RECV_PKTINFO,
        NETLINK_ADD_MEMBERSHIP | NETLINK_DROP_MEMBERSHIP => {
            if !netlink_allowed(nlk, task, NL_CFG_F_NONROOT_RECV) {
                return Err(Errno::EPERM);
            }
            netlink_realloc_groups(nlk)?;
            if val == 0 || val > nlk.ngroups.load(Ordering::Acquire) {
                return Err(Errno::EINVAL);
            }
            let add = optname == NETLINK_ADD_MEMBERSHIP;
            if add && let Some(bind) = &nlk.bind_hook {
                bind.call(&nlk.sk.net, val)?;
            }
            {
                let _grab = nlk.core.meta.write();
                netlink_update_socket_mc(nlk, val, add);
            }
            if !add && let Some(unbind) = &nlk.unbind_hook {
                unbind.call(&nlk.sk.net, val);
            }
            return Ok(());
        }
        NETLINK_BROADCAST_ERROR => NETLINK_F_BROADCAST_SEND_ERROR,
        NETLINK_NO_ENOBUFS => {
            nlk.assign_flag(NETLINK_F_RECV_NO_ENOBUFS, val != 0);
            if val != 0 {
                nlk.congested.store(false, Ordering::Release);
                nlk.wait.wake_up_all();
            }
            return Ok(());
        }
        NETLINK_LISTEN_ALL_NSID => {
            if !task.ns_capable(nlk.sk.net.user_ns(), CAP_NET_BROADCAST) {
                return Err(Errno::EPERM);
            }
            NETLINK_F_LISTEN_ALL_NSID
        }
        NETLINK_CAP_ACK => NETLINK_F_CAP_ACK,
        NETLINK_EXT_ACK => NETLINK_F_EXT_ACK,
        NETLINK_GET_STRICT_CHK => NETLINK_F_STRICT_CHK,
        _ => return Err(Errno::ENOPROTOOPT),
    };
    nlk.assign_flag(nr, val != 0);
    Ok(())
}

/// `netlink_getsockopt()`.
fn netlink_getsockopt(
    nlk: &NetlinkSock,
    level: i32,
    optname: i32,
    optlen: i32,
) -> KResult<Vec<u8>> {
    if level != SOL_NETLINK {
        return Err(Errno::ENOPROTOOPT);
    }
    if optlen < 0 {
        return Err(Errno::EINVAL);
    }
    let flag = match optname {
        NETLINK_PKTINFO => NETLINK_F_RECV_PKTINFO,
        NETLINK_BROADCAST_ERROR => NETLINK_F_BROADCAST_SEND_ERROR,
        NETLINK_NO_ENOBUFS => NETLINK_F_RECV_NO_ENOBUFS,
        NETLINK_LIST_MEMBERSHIPS => {
            let _lock = nlk.core.meta.read();
            let ngroups = nlk.ngroups.load(Ordering::Acquire) as usize;
            let groups = nlk.groups();
            let mut out = Vec::new();
            let mut pos = 0;
            while pos * 8 < ngroups {
                if (optlen as usize).saturating_sub(pos) < 4 {
                    break;
                }
                out.extend_from_slice(&((groups >> (pos * 8)) as u32).to_le_bytes());
                pos += 4;
            }
            return Ok(out);
        }
        NETLINK_LISTEN_ALL_NSID => NETLINK_F_LISTEN_ALL_NSID,
        NETLINK_CAP_ACK => NETLINK_F_CAP_ACK,
        NETLINK_EXT_ACK => NETLINK_F_EXT_ACK,
        NETLINK_GET_STRICT_CHK => NETLINK_F_STRICT_CHK,
        _ => return Err(Errno::ENOPROTOOPT),
    };
    if optlen < 4 {
        return Err(Errno::EINVAL);
    }
    Ok((nlk.test_flag(flag) as i32).to_le_bytes().to_vec())
}

/// `netlink_release()` + `netlink_sock_destruct()`: unhook from the port
/// hash and the listener list, wait a grace period so no broadcast still
/// sees the socket, then end a running dump and free the queue.
fn netlink_release(nlk: &Arc<NetlinkSock>) {
    if nlk.released.swap(true, Ordering::AcqRel) {
        return;
    }
    nlk.sk.set_dead();
    nlk.wait.wake_up_all();
    if nlk.is_bound() {
        let key = (nlk.sk.net.id(), nlk.portid());
        if let Some(cur) = nlk.table().hash.get_cloned(&key)
            && Arc::ptr_eq(&cur, nlk)
        {
            nlk.table().hash.remove(&key);
        }
    }
    {
        let mut meta = nlk.core.meta.write();
        if nlk.subscriptions.load(Ordering::Acquire) != 0 {
            nlk.table().mc_list.remove(nlk);
            nlk.subscriptions.store(0, Ordering::Release);
        }
        if nlk.is_kernel()
            && let Some(m) = meta.get_mut(nlk.sk.protocol as usize)
        {
            m.registered = m.registered.saturating_sub(1);
            if m.registered == 0 {
                *m = NlTableMeta::default();
            }
        }
    }
    if let Some(unbind) = &nlk.unbind_hook {
        let groups = nlk.groups();
        for g in 0..nlk.ngroups.load(Ordering::Acquire).min(MAX_SOCK_GROUPS) {
            if groups & (1 << g) != 0 {
                unbind.call(&nlk.sk.net, g + 1);
            }
        }
    }
    nlk.groups.store(0, Ordering::Release);
    // The socket is freed by call_rcu in Linux; here the release waits
    // for the grace period itself (unless the teaching bug removes it).
    if !sim_core::planted::planted(sim_core::planted::Bug::NoSynchronizeRcuOnRelease) {
        synchronize_rcu();
    }
    let state = nlk.cb.lock().take();
    nlk.cb_running.store(false, Ordering::Release);
    if let Some(mut st) = state
        && let Some(done) = st.done.take()
    {
        done(&mut st.cb);
    }
    nlk.sk.queue_purge();
}

/// `netlink_kernel_create()`: the kernel socket of `unit` in `net`, bound
/// to port id 0; registers the protocol on first use (`groups` rounded
/// up to 32).
pub fn netlink_kernel_create(
    core: &Arc<NetlinkCore>,
    net: &Arc<Net>,
    unit: i32,
    cfg: NetlinkKernelCfg,
) -> KResult<Arc<NetlinkSock>> {
    if !(0..MAX_LINKS).contains(&unit) {
        return Err(Errno::EINVAL);
    }
    let groups = cfg.groups.max(32);
    let meta = NlTableMeta {
        groups,
        registered: 0,
        flags: cfg.flags,
        bind: cfg.bind.clone(),
        unbind: cfg.unbind.clone(),
    };
    let ksk = new_sock(core, net, None, SOCK_DGRAM, unit, &meta, cfg.input.clone(), true);
    netlink_insert(&ksk, 0)?;
    let mut m = core.meta.write();
    let slot = &mut m[unit as usize];
    if slot.registered == 0 {
        *slot = NlTableMeta { registered: 1, ..meta };
    } else {
        slot.registered += 1;
    }
    Ok(ksk)
}

/// `netlink_kernel_release()`.
pub fn netlink_kernel_release(ksk: &Arc<NetlinkSock>) {
    netlink_release(ksk);
}

/// `netlink_family_ops` (`PF_NETLINK`'s `net_proto_family`).
pub struct NetlinkFamily {
    core: Arc<NetlinkCore>,
}

impl NetlinkFamily {
    pub fn new(core: Arc<NetlinkCore>) -> Self {
        NetlinkFamily { core }
    }
}

impl NetProtoFamily for NetlinkFamily {
    fn family(&self) -> i32 {
        AF_NETLINK
    }

    /// `netlink_create()`.
    fn create(
        &self,
        net: &Arc<Net>,
        task: &Task,
        sock_type: i32,
        protocol: i32,
        _kern: bool,
    ) -> KResult<Box<dyn ProtoOps>> {
        if sock_type != SOCK_RAW && sock_type != SOCK_DGRAM {
            return Err(Errno::ESOCKTNOSUPPORT);
        }
        if !(0..MAX_LINKS).contains(&protocol) {
            return Err(Errno::EPROTONOSUPPORT);
        }
        let meta = {
            let m = self.core.meta.read();
            m[protocol as usize].clone()
        };
        if meta.registered == 0 {
            return Err(Errno::EPROTONOSUPPORT);
        }
        let nlk = new_sock(&self.core, net, Some(task), sock_type, protocol, &meta, None, false);
        Ok(Box::new(NetlinkSocket(nlk)))
    }
}

/// A user netlink socket (`netlink_ops`).
pub struct NetlinkSocket(pub Arc<NetlinkSock>);

impl NetlinkSocket {
    /// The netlink state.
    pub fn nlk(&self) -> &Arc<NetlinkSock> {
        &self.0
    }
}

impl ProtoOps for NetlinkSocket {
    fn sk(&self) -> &Sock {
        &self.0.sk
    }
    fn release(&self) {
        netlink_release(&self.0);
    }
    fn bind(&self, task: &Task, addr: &[u8]) -> KResult<()> {
        netlink_bind(&self.0, task, addr)
    }
    fn connect(&self, task: &Task, addr: &[u8]) -> KResult<()> {
        netlink_connect(&self.0, task, addr)
    }
    fn getname(&self, peer: bool) -> KResult<Vec<u8>> {
        Ok(netlink_getname(&self.0, peer))
    }
    fn setsockopt(&self, task: &Task, level: i32, optname: i32, optval: &[u8]) -> KResult<()> {
        netlink_setsockopt(&self.0, task, level, optname, optval)
    }
    fn getsockopt(&self, _task: &Task, level: i32, optname: i32, optlen: i32) -> KResult<Vec<u8>> {
        netlink_getsockopt(&self.0, level, optname, optlen)
    }
    fn sendmsg(&self, task: &Task, msg: &MsgHdr<'_>) -> KResult<usize> {
        netlink_sendmsg(&self.0, task, msg)
    }
    fn recvmsg(&self, task: &Task, len: usize, flags: i32) -> KResult<RecvMsg> {
        netlink_recvmsg(&self.0, task, len, flags)
    }
}
