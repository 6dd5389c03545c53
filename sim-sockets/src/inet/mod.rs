//! A datagram (UDP-like) socket of `AF_INET` / `AF_INET6` for simulated
//! tasks: enough of `net/ipv4/af_inet.c`, `udp.c` and `ip_sockglue.c` to
//! carry the IPsec socket options (`IP_IPSEC_POLICY`, `IP_XFRM_POLICY`,
//! `IPV6_*`), keep the socket's per-direction policies
//! (`sk->sk_policy[]`) and send through `xfrm_lookup` with them.

use sim_core::lockdep::{LockClassKey, LockKind, SpinLock};
use sim_core::sync::Arc;
use sim_core::xfrm::policy::{XFRM_POLICY_IN, XFRM_POLICY_OUT};
use sim_core::xfrm::selector::IPPROTO_UDP;
use sim_core::xfrm::{AF_INET, AF_INET6, XfrmAddress, XfrmFlow, XfrmPolicy};
use sim_core::{Errno, KResult};
use sim_km::{FLOWI_FLAG_CAN_SLEEP, Xfrm, XfrmDst};
use sim_netns::{CAP_NET_ADMIN, Net};

use crate::kernel::Kernel;
use crate::socket::{
    MSG_DONTWAIT, MsgHdr, NetProtoFamily, ProtoOps, RecvMsg, SOCK_DGRAM, Sock, SockName, Task,
};

/// `SOL_IP`.
pub const SOL_IP: i32 = 0;
/// `SOL_IPV6`.
pub const SOL_IPV6: i32 = 41;
/// `IP_IPSEC_POLICY` (PF_KEY's format).
pub const IP_IPSEC_POLICY: i32 = 16;
/// `IP_XFRM_POLICY` (netlink's format).
pub const IP_XFRM_POLICY: i32 = 17;
/// `IPV6_IPSEC_POLICY`.
pub const IPV6_IPSEC_POLICY: i32 = 34;
/// `IPV6_XFRM_POLICY`.
pub const IPV6_XFRM_POLICY: i32 = 35;
/// `IPPROTO_IP` (0: the type's default protocol).
const IPPROTO_IP: i32 = 0;

/// `sk->sk_policy[]` lock (the kernel updates it under the socket lock
/// with RCU readers).
static SK_POLICY_LOCK: LockClassKey = LockClassKey::new("sk_policy_lock", LockKind::SpinBh);

/// `inet_family_ops` / `inet6_family_ops` for datagram sockets.
pub struct InetFamily {
    family: u16,
    xfrm: Xfrm,
}

/// `struct inet_sock` of a datagram socket.
pub struct InetSock {
    /// The generic socket.
    pub sk: Sock,
    family: u16,
    xfrm: Xfrm,
    /// Local address and port (`inet_saddr`, `inet_sport`) after bind.
    local: SpinLock<(XfrmAddress, u16)>,
    /// `sk->sk_policy[IN]`, `sk->sk_policy[OUT]`.
    policy: SpinLock<[Option<Arc<XfrmPolicy>>; 2]>,
}

/// Registers `PF_INET` and `PF_INET6` datagram sockets (`inet_init`).
pub fn inet_init(kernel: &Kernel, xfrm: &Xfrm) -> KResult<()> {
    kernel.sock_register(Box::new(InetFamily { family: AF_INET, xfrm: xfrm.clone() }))?;
    kernel.sock_register(Box::new(InetFamily { family: AF_INET6, xfrm: xfrm.clone() }))
}

impl NetProtoFamily for InetFamily {
    fn family(&self) -> i32 {
        i32::from(self.family)
    }

    /// `inet_create()` for `SOCK_DGRAM`: protocol 0 or UDP, else
    /// `EPROTONOSUPPORT`; other types `ESOCKTNOSUPPORT` (no TCP or raw
    /// sockets here).
    fn create(
        &self,
        net: &Arc<Net>,
        task: &Task,
        sock_type: i32,
        protocol: i32,
        _kern: bool,
    ) -> KResult<Box<dyn ProtoOps>> {
        if sock_type != SOCK_DGRAM {
            return Err(Errno::ESOCKTNOSUPPORT);
        }
        if protocol != IPPROTO_IP && protocol != i32::from(IPPROTO_UDP) {
            return Err(Errno::EPROTONOSUPPORT);
        }
        Ok(Box::new(InetSocket(Arc::new(InetSock {
            sk: Sock::new(
                net.clone(),
                i32::from(self.family),
                sock_type,
                i32::from(IPPROTO_UDP),
                Some(task.cred().clone()),
            ),
            family: self.family,
            xfrm: self.xfrm.clone(),
            local: SpinLock::new(&SK_POLICY_LOCK, (XfrmAddress::default(), 0)),
            policy: SpinLock::new(&SK_POLICY_LOCK, [None, None]),
        }))))
    }
}

/// Reads a `sockaddr_in` / `sockaddr_in6` of `family`: address and port.
fn sockaddr(family: u16, b: &[u8]) -> KResult<(XfrmAddress, u16)> {
    let fam = b.get(..2).map(|f| u16::from_le_bytes([f[0], f[1]])).ok_or(Errno::EINVAL)?;
    let port = b.get(2..4).map(|p| u16::from_be_bytes([p[0], p[1]])).ok_or(Errno::EINVAL)?;
    if fam != family {
        return Err(Errno::EAFNOSUPPORT);
    }
    let mut a = [0u8; 16];
    match family {
        AF_INET => a[..4].copy_from_slice(b.get(4..8).ok_or(Errno::EINVAL)?),
        _ => a.copy_from_slice(b.get(8..24).ok_or(Errno::EINVAL)?),
    }
    Ok((XfrmAddress(a), port))
}

impl InetSock {
    /// `sk->sk_policy[dir]`.
    pub fn sk_policy(&self, dir: u8) -> Option<Arc<XfrmPolicy>> {
        self.policy.lock_bh().get(usize::from(dir)).cloned().flatten()
    }

    /// `xfrm_sk_policy_insert(sk, dir, pol)`: installs `pol` (or nothing)
    /// and unlinks the policy it replaces.
    fn xfrm_sk_policy_insert(&self, dir: u8, pol: Option<Arc<XfrmPolicy>>) {
        let old = {
            let mut g = self.policy.lock_bh();
            match g.get_mut(usize::from(dir)) {
                Some(slot) => std::mem::replace(slot, pol),
                None => None,
            }
        };
        if let Some(old) = old {
            let _ = self.sk.net.xfrm.policy.xfrm_sk_policy_unlink(&old);
        }
    }

    /// `xfrm_user_policy()` from `do_ip_setsockopt`: an empty option clears
    /// both directions; otherwise the key managers compile it and the
    /// result replaces the socket's policy for its direction.
    fn xfrm_user_policy(&self, optname: i32, optval: &[u8]) -> KResult<()> {
        if optval.is_empty() {
            self.xfrm_sk_policy_insert(XFRM_POLICY_IN, None);
            self.xfrm_sk_policy_insert(XFRM_POLICY_OUT, None);
            return Ok(());
        }
        let (pol, dir) = self.xfrm.xfrm_user_policy(&self.sk.net, self.family, optname, optval)?;
        self.xfrm_sk_policy_insert(dir, Some(pol));
        Ok(())
    }

    /// The output path of a datagram to `daddr:dport` (`udp_sendmsg` →
    /// `ip_route_output_flow` → `xfrm_lookup` with the socket's OUT
    /// policy): may sleep for SAs unless `nonblock`.
    pub fn xfrm_lookup(
        &self,
        task: &Task,
        daddr: XfrmAddress,
        dport: u16,
        nonblock: bool,
    ) -> KResult<XfrmDst> {
        let (saddr, sport) = *self.local.lock_bh();
        let fl = XfrmFlow::ports(daddr, saddr, IPPROTO_UDP, dport, sport);
        let pol = self.sk_policy(XFRM_POLICY_OUT);
        let flags = if nonblock { 0 } else { FLOWI_FLAG_CAN_SLEEP };
        self.xfrm.xfrm_lookup(&self.sk.net, &fl, self.family, pol.as_ref(), flags, task.signal())
    }
}

/// The `struct socket` of an inet datagram socket.
pub struct InetSocket(pub Arc<InetSock>);

impl ProtoOps for InetSocket {
    fn sk(&self) -> &Sock {
        &self.0.sk
    }

    /// `inet_release()`: the socket policies go with the socket
    /// (`xfrm_sk_free_policy`).
    fn release(&self) {
        self.0.xfrm_sk_policy_insert(XFRM_POLICY_IN, None);
        self.0.xfrm_sk_policy_insert(XFRM_POLICY_OUT, None);
        self.0.sk.set_dead();
        self.0.sk.queue_purge();
    }

    /// `inet_bind()`: records the local address and port.
    fn bind(&self, _task: &Task, addr: &[u8]) -> KResult<()> {
        *self.0.local.lock_bh() = sockaddr(self.0.family, addr)?;
        Ok(())
    }

    fn getname(&self, _peer: bool) -> KResult<Vec<u8>> {
        Err(Errno::EOPNOTSUPP)
    }

    /// `do_ip_setsockopt` / `do_ipv6_setsockopt` for the IPsec policy
    /// options: `EPERM` without `CAP_NET_ADMIN` over the namespace's user
    /// namespace, then `xfrm_user_policy`. Other options `ENOPROTOOPT`.
    fn setsockopt(&self, task: &Task, level: i32, optname: i32, optval: &[u8]) -> KResult<()> {
        let ours = match (self.0.family, level) {
            (AF_INET, SOL_IP) => matches!(optname, IP_IPSEC_POLICY | IP_XFRM_POLICY),
            (AF_INET6, SOL_IPV6) => matches!(optname, IPV6_IPSEC_POLICY | IPV6_XFRM_POLICY),
            _ => false,
        };
        if !ours {
            return Err(Errno::ENOPROTOOPT);
        }
        if !task.ns_capable(self.0.sk.net.user_ns(), CAP_NET_ADMIN) {
            return Err(Errno::EPERM);
        }
        self.0.xfrm_user_policy(optname, optval)
    }

    fn getsockopt(
        &self,
        _task: &Task,
        _level: i32,
        _optname: i32,
        _optlen: i32,
    ) -> KResult<Vec<u8>> {
        Err(Errno::ENOPROTOOPT)
    }

    /// `udp_sendmsg()` as far as XFRM sees it: the route lookup through
    /// `xfrm_lookup` (`EPERM` for a blocking policy, `EAGAIN` or a sleep
    /// while SAs are negotiated); the datagram itself goes nowhere.
    fn sendmsg(&self, task: &Task, msg: &MsgHdr<'_>) -> KResult<usize> {
        let name = msg.name.ok_or(Errno::EDESTADDRREQ)?;
        let (daddr, dport) = sockaddr(self.0.family, name)?;
        self.0.xfrm_lookup(task, daddr, dport, msg.flags & MSG_DONTWAIT != 0)?;
        Ok(msg.data.len())
    }

    fn recvmsg(&self, task: &Task, len: usize, flags: i32) -> KResult<RecvMsg> {
        let skb = self.0.sk.skb_recv_datagram(task, flags)?;
        let data = skb.data().get(..len.min(skb.len())).unwrap_or_default().to_vec();
        Ok(RecvMsg { ret: data.len(), data, name: SockName::default(), msg_flags: 0 })
    }
}
