//! `struct sock` (`include/net/sock.h`, `net/core/sock.c`,
//! `net/core/datagram.c`): the receive queue with its memory accounting,
//! buffer sizes, the pending socket error and the generic `SOL_SOCKET`
//! options.

use std::collections::VecDeque;

use sim_core::lockdep::{LockClassKey, LockKind, SpinLock};
use sim_core::sync::Arc;
use sim_core::sync::atomic::{AtomicBool, AtomicI32, AtomicU32, AtomicUsize, Ordering};
use sim_core::{Errno, KResult};

use super::task::Task;
use super::*;
use crate::skbuff::{SKB_SHINFO_SIZE, SKB_STRUCT_SIZE, SkBuff};
use sim_core::wait::WaitQueue;
use sim_netns::{CAP_NET_ADMIN, Cred, Net};

static SK_RECEIVE_QUEUE_LOCK: LockClassKey =
    LockClassKey::new("sk_receive_queue.lock", LockKind::SpinBh);

/// `sysctl_rmem_max` / `sysctl_rmem_default` (`net.core.rmem_*`).
pub const SYSCTL_RMEM_MAX: i32 = 212_992;
/// `sysctl_wmem_max` / `sysctl_wmem_default`.
pub const SYSCTL_WMEM_MAX: i32 = 212_992;
/// `net.core.rmem_default`.
pub const SYSCTL_RMEM_DEFAULT: i32 = 212_992;
/// `net.core.wmem_default`.
pub const SYSCTL_WMEM_DEFAULT: i32 = 212_992;
/// `TCP_SKB_MIN_TRUESIZE`: 2048 + `SKB_DATA_ALIGN(sizeof(struct sk_buff))`.
pub const TCP_SKB_MIN_TRUESIZE: i32 = 2048 + SKB_STRUCT_SIZE as i32;
/// `SOCK_MIN_RCVBUF`.
pub const SOCK_MIN_RCVBUF: i32 = TCP_SKB_MIN_TRUESIZE;
/// `SOCK_MIN_SNDBUF`.
pub const SOCK_MIN_SNDBUF: i32 = 2 * TCP_SKB_MIN_TRUESIZE;
const _: () = assert!(SKB_SHINFO_SIZE == 320);

/// `SOCK_SNDBUF_LOCK`.
pub const SOCK_SNDBUF_LOCK: u32 = 1;
/// `SOCK_RCVBUF_LOCK`.
pub const SOCK_RCVBUF_LOCK: u32 = 2;

/// `struct sock`: what every socket has, whatever its family.
pub struct Sock {
    /// `sock_net(sk)`.
    pub net: Arc<Net>,
    /// `sk_family`.
    pub family: i32,
    /// `sk_type`.
    pub sock_type: i32,
    /// `sk_protocol`.
    pub protocol: i32,
    /// `sk->sk_socket->file->f_cred`: who opened the socket.
    pub opener: Option<Arc<Cred>>,
    receive_queue: SpinLock<VecDeque<SkBuff>>,
    /// `sk_receive_queue.qlen`, readable without the lock.
    qlen: AtomicUsize,
    rmem_alloc: AtomicUsize,
    rcvbuf: AtomicI32,
    sndbuf: AtomicI32,
    userlocks: AtomicU32,
    err: AtomicI32,
    drops: AtomicU32,
    passcred: AtomicBool,
    dead: AtomicBool,
    /// `sk_sleep(sk)`: readers wait here for data.
    pub wq: WaitQueue,
    sleepers: AtomicUsize,
}

impl Sock {
    /// `sk_alloc()` + `sock_init_data()`.
    pub fn new(
        net: Arc<Net>,
        family: i32,
        sock_type: i32,
        protocol: i32,
        opener: Option<Arc<Cred>>,
    ) -> Self {
        Sock {
            net,
            family,
            sock_type,
            protocol,
            opener,
            receive_queue: SpinLock::new(&SK_RECEIVE_QUEUE_LOCK, VecDeque::new()),
            qlen: AtomicUsize::new(0),
            rmem_alloc: AtomicUsize::new(0),
            rcvbuf: AtomicI32::new(SYSCTL_RMEM_DEFAULT),
            sndbuf: AtomicI32::new(SYSCTL_WMEM_DEFAULT),
            userlocks: AtomicU32::new(0),
            err: AtomicI32::new(0),
            drops: AtomicU32::new(0),
            passcred: AtomicBool::new(false),
            dead: AtomicBool::new(false),
            wq: WaitQueue::new(),
            sleepers: AtomicUsize::new(0),
        }
    }

    /// `sk_rmem_alloc`.
    pub fn rmem_alloc(&self) -> usize {
        self.rmem_alloc.load(Ordering::Acquire)
    }
    /// Charges `truesize` and returns the new total (`atomic_add_return`).
    pub fn rmem_charge(&self, truesize: usize) -> usize {
        self.rmem_alloc.fetch_add(truesize, Ordering::AcqRel) + truesize
    }
    /// `sock_rfree()`: uncharges `truesize`.
    pub fn rmem_uncharge(&self, truesize: usize) {
        self.rmem_alloc.fetch_sub(truesize, Ordering::AcqRel);
    }
    /// `sk_rcvbuf`.
    pub fn rcvbuf(&self) -> usize {
        self.rcvbuf.load(Ordering::Acquire).max(0) as usize
    }
    /// `sk_sndbuf`.
    pub fn sndbuf(&self) -> usize {
        self.sndbuf.load(Ordering::Acquire).max(0) as usize
    }
    /// `sk_drops`.
    pub fn drops(&self) -> u32 {
        self.drops.load(Ordering::Relaxed)
    }
    /// `atomic_inc(&sk->sk_drops)`.
    pub fn inc_drops(&self) {
        self.drops.fetch_add(1, Ordering::Relaxed);
    }
    /// `SOCK_DEAD`.
    pub fn is_dead(&self) -> bool {
        self.dead.load(Ordering::Acquire)
    }
    /// `sock_orphan()`: the socket no longer has a user.
    pub fn set_dead(&self) {
        self.dead.store(true, Ordering::Release);
        self.wake_readers();
    }
    /// `SO_PASSCRED`.
    pub fn passcred(&self) -> bool {
        self.passcred.load(Ordering::Relaxed)
    }

    /// Number of queued datagrams.
    pub fn queue_len(&self) -> usize {
        self.qlen.load(Ordering::Acquire)
    }
    /// `skb_queue_empty_lockless()`.
    pub fn queue_empty(&self) -> bool {
        self.queue_len() == 0
    }

    /// `skb_queue_tail()` + `sk_data_ready()`. The skb must already be
    /// charged to this socket.
    pub fn queue_tail(&self, skb: SkBuff) {
        let mut q = self.receive_queue.lock_bh();
        q.push_back(skb);
        self.qlen.store(q.len(), Ordering::Release);
        drop(q);
        self.wake_readers();
    }

    /// `sock_queue_rcv_skb()`: `ENOMEM` (and a drop) when the receive
    /// memory already reaches `sk_rcvbuf`, else charge and queue.
    pub fn sock_queue_rcv_skb(&self, skb: SkBuff) -> KResult<()> {
        if self.rmem_alloc() >= self.rcvbuf() {
            self.inc_drops();
            return Err(Errno::ENOMEM);
        }
        self.rmem_charge(skb.truesize);
        self.queue_tail(skb);
        Ok(())
    }

    /// `skb_queue_purge()`: frees (and uncharges) everything queued.
    pub fn queue_purge(&self) {
        let q: VecDeque<SkBuff> = {
            let mut g = self.receive_queue.lock_bh();
            self.qlen.store(0, Ordering::Release);
            std::mem::take(&mut *g)
        };
        for skb in q {
            self.rmem_uncharge(skb.truesize);
        }
    }

    /// Sets a pending error (`sk->sk_err = e; sk_error_report(sk)`).
    pub fn set_err(&self, e: Errno) {
        self.err.store(e.raw(), Ordering::Release);
        self.wake_readers();
    }
    /// Whether an error is pending.
    pub fn has_err(&self) -> bool {
        self.err.load(Ordering::Acquire) != 0
    }
    /// `sock_error()`: takes the pending error.
    pub fn sock_error(&self) -> Option<Errno> {
        if self.err.load(Ordering::Acquire) == 0 {
            return None;
        }
        Errno::from_raw(self.err.swap(0, Ordering::AcqRel))
    }

    /// `sk_data_ready` → `sock_def_readable`: wakes readers if any sleep
    /// (`skwq_has_sleeper`). Where the kernel pairs two full barriers, the
    /// waker and a reader announcing itself both update `sleepers` with a
    /// read-modify-write: whichever comes second in its order sees the
    /// other's work (the new data, or the sleeping reader). One locked
    /// instruction, cheaper than a fence.
    fn wake_readers(&self) {
        if self.sleepers.fetch_add(0, Ordering::AcqRel) != 0 {
            self.wq.wake_up_all();
        }
    }

    /// `skb_recv_datagram()`: the pending error first, then the head of the
    /// queue (left in place with `MSG_PEEK`), else `EAGAIN` or a sleep
    /// until data, an error or a signal (`ERESTARTSYS`). A dequeued skb is
    /// returned uncharged (`skb_free_datagram` runs `sock_rfree`).
    pub fn skb_recv_datagram(&self, task: &Task, flags: i32) -> KResult<SkBuff> {
        loop {
            if let Some(e) = self.sock_error() {
                return Err(e);
            }
            {
                let mut q = self.receive_queue.lock_bh();
                let got = if flags & MSG_PEEK != 0 { q.front().cloned() } else { q.pop_front() };
                self.qlen.store(q.len(), Ordering::Release);
                drop(q);
                if let Some(skb) = got {
                    if flags & MSG_PEEK == 0 {
                        self.rmem_uncharge(skb.truesize);
                    }
                    return Ok(skb);
                }
            }
            if flags & MSG_DONTWAIT != 0 {
                return Err(Errno::EAGAIN);
            }
            // Pairs with `wake_readers` (`set_current_state`'s barrier).
            self.sleepers.fetch_add(1, Ordering::AcqRel);
            let r = self.wq.wait_event_interruptible(task.signal(), || {
                !self.queue_empty() || self.has_err() || self.is_dead()
            });
            self.sleepers.fetch_sub(1, Ordering::AcqRel);
            r?;
            if self.is_dead() && self.queue_empty() && !self.has_err() {
                return Err(Errno::EAGAIN);
            }
        }
    }
}

/// `datagram_poll()`.
pub fn datagram_poll(sk: &Sock) -> u32 {
    let mut mask = 0;
    if sk.has_err() {
        mask |= POLLERR;
    }
    if !sk.queue_empty() {
        mask |= POLLIN | POLLRDNORM;
    }
    // Netlink and PF_KEY never charge send memory: always writable.
    mask | POLLOUT | POLLWRNORM | POLLWRBAND
}

fn opt_int(optval: &[u8]) -> KResult<i32> {
    match optval.get(..4) {
        Some(b) => Ok(i32::from_le_bytes([b[0], b[1], b[2], b[3]])),
        None => Err(Errno::EINVAL),
    }
}

/// `__sock_set_rcvbuf()`.
fn set_rcvbuf(sk: &Sock, val: i32) {
    let val = val.min(i32::MAX / 2);
    sk.userlocks.fetch_or(SOCK_RCVBUF_LOCK, Ordering::Relaxed);
    sk.rcvbuf.store((val * 2).max(SOCK_MIN_RCVBUF), Ordering::Release);
}

/// `__sock_set_sndbuf()`.
fn set_sndbuf(sk: &Sock, val: i32) {
    let val = val.min(i32::MAX / 2);
    sk.userlocks.fetch_or(SOCK_SNDBUF_LOCK, Ordering::Relaxed);
    sk.sndbuf.store((val * 2).max(SOCK_MIN_SNDBUF), Ordering::Release);
}

/// `sk_setsockopt()` for the `SOL_SOCKET` options this model keeps.
pub fn sock_setsockopt(sk: &Sock, task: &Task, optname: i32, optval: &[u8]) -> KResult<()> {
    let val = opt_int(optval)?;
    match optname {
        SO_SNDBUF => {
            set_sndbuf(sk, (val as u32).min(SYSCTL_WMEM_MAX as u32) as i32);
            Ok(())
        }
        SO_SNDBUFFORCE => {
            if !task.capable(CAP_NET_ADMIN) {
                return Err(Errno::EPERM);
            }
            set_sndbuf(sk, val.max(0));
            Ok(())
        }
        SO_RCVBUF => {
            set_rcvbuf(sk, (val as u32).min(SYSCTL_RMEM_MAX as u32) as i32);
            Ok(())
        }
        SO_RCVBUFFORCE => {
            if !task.capable(CAP_NET_ADMIN) {
                return Err(Errno::EPERM);
            }
            set_rcvbuf(sk, val.max(0));
            Ok(())
        }
        SO_PASSCRED => {
            sk.passcred.store(val != 0, Ordering::Relaxed);
            Ok(())
        }
        _ => Err(Errno::ENOPROTOOPT),
    }
}

/// `sk_getsockopt()` for the `SOL_SOCKET` options this model keeps: an
/// `int`, truncated to the caller's length.
pub fn sock_getsockopt(sk: &Sock, optname: i32, optlen: i32) -> KResult<Vec<u8>> {
    if optlen < 0 {
        return Err(Errno::EINVAL);
    }
    let v: i32 = match optname {
        SO_TYPE => sk.sock_type,
        SO_PROTOCOL => sk.protocol,
        SO_DOMAIN => sk.family,
        SO_ERROR => sk.sock_error().map(|e| e.raw()).unwrap_or(0),
        SO_SNDBUF => sk.sndbuf.load(Ordering::Acquire),
        SO_RCVBUF => sk.rcvbuf.load(Ordering::Acquire),
        SO_PASSCRED => sk.passcred() as i32,
        _ => return Err(Errno::ENOPROTOOPT),
    };
    let n = (optlen as usize).min(4);
    Ok(v.to_le_bytes()[..n].to_vec())
}

#[cfg(test)]
mod tests {
    use super::*;
    use sim_netns::NetRegistry;

    #[test]
    fn queue_rcv_skb_accounts_and_drops() {
        let reg = NetRegistry::new();
        let sk = Sock::new(reg.init_net().clone(), AF_KEY, SOCK_RAW, 2, None);
        let sk_min = SOCK_MIN_RCVBUF as usize;
        sk.rcvbuf.store(SOCK_MIN_RCVBUF, Ordering::Release);
        let skb = || SkBuff::new(vec![0; 100], 100);
        assert_eq!(skb().truesize, 896);
        // 0, 896, 1792 are below 2304; 2688 is not.
        for _ in 0..3 {
            sk.sock_queue_rcv_skb(skb()).unwrap();
        }
        assert_eq!(sk.rmem_alloc(), 3 * 896);
        assert!(sk.rmem_alloc() > sk_min);
        assert_eq!(sk.sock_queue_rcv_skb(skb()), Err(Errno::ENOMEM));
        assert_eq!((sk.drops(), sk.queue_len()), (1, 3));
        assert_eq!(datagram_poll(&sk) & POLLIN, POLLIN);
        sk.queue_purge();
        assert_eq!((sk.rmem_alloc(), sk.queue_len()), (0, 0));
        sk.set_err(Errno::ENOBUFS);
        assert_eq!(datagram_poll(&sk) & POLLERR, POLLERR);
        assert_eq!(sk.sock_error(), Some(Errno::ENOBUFS));
        assert_eq!(sk.sock_error(), None);
    }
}
