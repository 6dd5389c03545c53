//! A simulated kernel with the NETLINK_XFRM front end plugged in, the way
//! `xfrmsim replay` builds it, plus the few socket calls the fuzzer and
//! the client need.

use sim_core::sync::Arc;
use sim_core::xfrm::algo_table::KernelProfile;
use sim_km::Xfrm;
use sim_sockets::netlink::{NETLINK_XFRM, NetlinkSock, wire::SockaddrNl};
use sim_sockets::socket::{AF_NETLINK, SOCK_RAW};
use sim_sockets::xfrm_user::{XfrmUser, xfrm_user_init};
use sim_sockets::{Kernel, Net, Socket, Task};

/// `SOL_NETLINK`.
pub const SOL_NETLINK: i32 = 270;
/// `NETLINK_EXT_ACK`.
pub const NETLINK_EXT_ACK: i32 = 11;

/// A kernel (seeded, virtual clock) with the XFRM layer and its
/// NETLINK_XFRM front end for `profile` in every namespace; the front end
/// handle must live as long as the kernel is used.
pub fn xfrm_kernel(seed: u64, profile: &'static KernelProfile) -> (Kernel, Arc<XfrmUser>) {
    let kernel = Kernel::with_seed(seed);
    let xfrm = Xfrm::new(kernel.nets(), kernel.clock().clone(), kernel.rng().clone())
        .expect("the XFRM layer starts on a fresh kernel");
    let user = xfrm_user_init(&kernel, &xfrm, profile).expect("xfrm_user_init on a fresh kernel");
    (kernel, user)
}

/// A NETLINK_XFRM socket of `task` in `net`, bound to `pid` and `groups`.
pub fn xfrm_socket(task: &Task, net: &Arc<Net>, pid: u32, groups: u32) -> Socket {
    let s = task.socket(net, AF_NETLINK, SOCK_RAW, NETLINK_XFRM).expect("socket");
    s.bind(task, &SockaddrNl::new(pid, groups).to_bytes()).expect("bind");
    s
}

/// The kernel-side view of a bound NETLINK_XFRM socket (queue, memory).
pub fn xfrm_sock(kernel: &Kernel, net: &Net, pid: u32) -> Option<Arc<NetlinkSock>> {
    kernel.netlink().lookup(net, NETLINK_XFRM, pid)
}
