//! A simulated kernel with the NETLINK_XFRM front end plugged in, the way
//! `xfrmsim replay` builds it, plus the few socket calls the fuzzer and
//! the client need.

use sim_core::sync::Arc;
use sim_sockets::netlink::{NETLINK_XFRM, NetlinkKernelCfg, NetlinkSock, wire::SockaddrNl};
use sim_sockets::socket::{AF_NETLINK, SOCK_RAW};
use sim_sockets::{Kernel, Net, Socket, Task};

/// `XFRMNLGRP_MAX`.
pub const XFRMNLGRP_MAX: u32 = 8;
/// `SOL_NETLINK`.
pub const SOL_NETLINK: i32 = 270;
/// `NETLINK_EXT_ACK`.
pub const NETLINK_EXT_ACK: i32 = 11;

/// A kernel (seeded, virtual clock) whose namespaces all have the
/// NETLINK_XFRM kernel socket.
pub fn xfrm_kernel(seed: u64) -> Kernel {
    let kernel = Kernel::with_seed(seed);
    let input = xfrmsim::replay::xfrm_unknown_type_input();
    kernel
        .register_netlink_protocol(NETLINK_XFRM, move |_, _| NetlinkKernelCfg {
            groups: XFRMNLGRP_MAX,
            input: Some(input.clone()),
            ..Default::default()
        })
        .expect("NETLINK_XFRM registers on a fresh kernel");
    kernel
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
