//! The embedded kernel the commands talk to: one [`Kernel`] on the virtual
//! clock, named network namespaces, and the root or an unprivileged task,
//! with NETLINK_XFRM and PF_KEY sockets opened through the socket layer
//! (`socket(2)`, `sendmsg(2)`, `recvmsg(2)`), never the tables directly.

use std::collections::BTreeMap;

use sim_core::Errno;
use sim_core::sync::Arc;
use sim_core::xfrm::algo_table::KernelProfile;
use sim_sockets::af_key::PfKey;
use sim_sockets::inet::inet_init;
use sim_sockets::netlink::{NETLINK_EXT_ACK, NETLINK_XFRM, SOL_NETLINK};
use sim_sockets::socket::{
    AF_KEY, AF_NETLINK, MSG_DONTWAIT, SO_RCVBUF, SO_SNDBUF, SOCK_RAW, SOL_SOCKET,
};
use sim_sockets::xfrm_user::dispatch::{XfrmUser, xfrm_user_init};
use sim_sockets::{Kernel, MsgHdr, Net, Socket, Task};

use sim_km::Xfrm;

use crate::nl::Link;
use crate::setkey::PfkeyLink;

/// `PF_KEY_V2`.
const PF_KEY_V2: i32 = 2;
/// The receive buffer `ip` uses (iproute2's 32 KiB message buffer).
const RECV_LEN: usize = 32768;

/// One simulated machine: the kernel, its namespaces by name, and who
/// runs the next command.
pub struct Sim {
    kernel: Kernel,
    xfrm: Option<Xfrm>,
    /// Keeps the NETLINK_XFRM key manager registered.
    _xfrm_user: Option<Arc<XfrmUser>>,
    /// Keeps the PF_KEY family and key manager registered.
    _pfkey: Option<PfKey>,
    nets: BTreeMap<String, Arc<Net>>,
    task: Arc<Task>,
}

/// Boots the kernel every command runs on: the XFRM layer and the
/// NETLINK_XFRM front end (`xfrm_user_init`, the `full` algorithm
/// profile). PF_KEY joins here once `af_key` registers its family
/// (`PfKey::init(&kernel, &xfrm, profile)`); until then `socket(PF_KEY)`
/// fails as on a kernel without af_key.
pub fn boot(seed: u64) -> Sim {
    boot_with_profile(seed, &KernelProfile::FULL)
}

/// [`boot`] for a kernel configured as `profile` (which transform types
/// and algorithms are loaded: `HOST` answers as the host kernel, which
/// has no ESP/AH).
pub fn boot_with_profile(seed: u64, profile: &'static KernelProfile) -> Sim {
    let kernel = Kernel::with_seed(seed);
    let task = kernel.root_task();
    let xfrm = Xfrm::new(kernel.nets(), kernel.clock().clone(), kernel.rng().clone()).ok();
    // Registration failing leaves socket(NETLINK_XFRM) answering
    // EPROTONOSUPPORT, as on a kernel without xfrm_user.
    let xfrm_user = xfrm.as_ref().and_then(|x| xfrm_user_init(&kernel, x, profile).ok());
    // af_key loads after xfrm_user, as the modules do: netlink's
    // compile_policy comes first on the km list. Without it,
    // socket(PF_KEY) answers EAFNOSUPPORT.
    let pfkey = xfrm.as_ref().and_then(|x| PfKey::init(&kernel, x, profile).ok());
    if let Some(x) = xfrm.as_ref() {
        // Datagram sockets carrying IP_IPSEC_POLICY / IP_XFRM_POLICY.
        let _ = inet_init(&kernel, x);
    }
    Sim { kernel, xfrm, nets: BTreeMap::new(), task, _xfrm_user: xfrm_user, _pfkey: pfkey }
}

impl Sim {
    /// The XFRM layer (`None` if its pernet registration failed).
    pub fn xfrm(&self) -> Option<&Xfrm> {
        self.xfrm.as_ref()
    }

    /// The kernel.
    pub fn kernel(&self) -> &Kernel {
        &self.kernel
    }

    /// `ip netns add NAME`.
    pub fn netns_add(&mut self, name: &str) -> Result<(), Errno> {
        if self.nets.contains_key(name) {
            return Err(Errno::EEXIST);
        }
        let net = self.kernel.create_net()?;
        self.nets.insert(name.to_string(), net);
        Ok(())
    }

    /// `ip netns delete NAME` (`cleanup_net`).
    pub fn netns_del(&mut self, name: &str) -> Result<(), Errno> {
        let net = self.nets.remove(name).ok_or(Errno::ENOENT)?;
        self.kernel.destroy_net(&net)
    }

    /// `ip netns list`: names, newest first as `ip` lists them.
    pub fn netns_list(&self) -> Vec<String> {
        self.nets.keys().rev().cloned().collect()
    }

    /// The namespace called `name` (`None`: `init_net`).
    pub fn net(&self, name: Option<&str>) -> Result<Arc<Net>, Errno> {
        match name {
            None => Ok(self.kernel.init_net()),
            Some(n) => self.nets.get(n).cloned().ok_or(Errno::ENOENT),
        }
    }

    /// Runs later commands as root.
    pub fn become_root(&mut self) {
        self.task = self.kernel.root_task();
    }

    /// Runs later commands as an unprivileged user.
    pub fn become_user(&mut self, uid: u32) {
        self.task = self.kernel.spawn_task(self.kernel.user_cred(uid));
    }

    /// `socket(AF_NETLINK, SOCK_RAW, NETLINK_XFRM)` in `net`.
    pub fn xfrm_link(&self, net: Option<&str>) -> Result<SockLink, Errno> {
        let net = self.net(net)?;
        let sock = self.task.socket(&net, AF_NETLINK, SOCK_RAW, NETLINK_XFRM)?;
        // rtnl_open_byproto: iproute2's buffer sizes and extended ACKs
        // (error replies then carry the kernel's message text).
        sock.setsockopt_int(&self.task, SOL_SOCKET, SO_SNDBUF, 32768)?;
        sock.setsockopt_int(&self.task, SOL_SOCKET, SO_RCVBUF, 1024 * 1024)?;
        sock.setsockopt_int(&self.task, SOL_NETLINK, NETLINK_EXT_ACK, 1)?;
        Ok(SockLink { sock, task: self.task.clone(), kernel: self.kernel.clone() })
    }

    /// `socket(PF_KEY, SOCK_RAW, PF_KEY_V2)` in `net`.
    pub fn pfkey_link(&self, net: Option<&str>) -> Result<SockLink, Errno> {
        let net = self.net(net)?;
        let sock = self.task.socket(&net, AF_KEY, SOCK_RAW, PF_KEY_V2)?;
        Ok(SockLink { sock, task: self.task.clone(), kernel: self.kernel.clone() })
    }
}

/// An open socket of the current task, usable as a netlink or PF_KEY
/// channel.
pub struct SockLink {
    sock: Socket,
    task: Arc<Task>,
    kernel: Kernel,
}

impl SockLink {
    fn send_bytes(&mut self, b: &[u8]) -> Result<(), Errno> {
        self.sock.sendmsg(&self.task, &MsgHdr { name: None, data: b, flags: 0 }).map(|_| ())
    }

    fn recv_bytes(&mut self) -> Result<Option<Vec<u8>>, Errno> {
        match self.sock.recvmsg(&self.task, RECV_LEN, MSG_DONTWAIT) {
            Ok(m) => Ok(Some(m.data)),
            Err(Errno::EAGAIN) => Ok(None),
            Err(e) => Err(e),
        }
    }
}

impl Link for SockLink {
    fn send(&mut self, dgram: &[u8]) -> Result<(), Errno> {
        self.send_bytes(dgram)
    }
    fn recv(&mut self) -> Result<Option<Vec<u8>>, Errno> {
        self.recv_bytes()
    }
    fn join_groups(&mut self, groups: u32) -> Result<(), Errno> {
        let addr = sim_sockets::netlink::wire::SockaddrNl::new(0, groups);
        self.sock.bind(&self.task, &addr.to_bytes())
    }
}

impl PfkeyLink for SockLink {
    fn send(&mut self, msg: &[u8]) -> Result<(), Errno> {
        self.send_bytes(msg)
    }
    fn recv(&mut self) -> Result<Option<Vec<u8>>, Errno> {
        self.recv_bytes()
    }
    fn now(&self) -> u64 {
        self.kernel.clock().real_seconds()
    }
    fn pid(&self) -> u32 {
        self.task.tgid().unsigned_abs()
    }
}
