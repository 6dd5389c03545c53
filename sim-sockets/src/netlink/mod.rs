//! The netlink core (`net/netlink/af_netlink.c`): the per-protocol tables,
//! port ids, multicast groups, unicast and broadcast delivery, dumps and
//! ACKs.
//!
//! A protocol plugs in as `xfrm_user_net_init` does: a pernet init that
//! creates the namespace's kernel socket with an input function,
//!
//! ```ignore
//! kernel.register_netlink_protocol(NETLINK_XFRM, |_kernel, _net| NetlinkKernelCfg {
//!     groups: XFRMNLGRP_MAX,
//!     input: Some(NetlinkInput::new(|rcv| netlink_rcv_skb(rcv, xfrm_user_rcv_msg))),
//!     ..Default::default()
//! })?;
//! ```
//!
//! where the per-message callback returns `Ok(())`, an errno to ACK, or
//! the `EINTR` that [`netlink_dump_start`] returns for a started dump; it
//! replies with [`nlmsg_unicast`], notifies with
//! [`af_netlink::nlmsg_multicast`] on [`NetlinkCore::kernel_sock`], checks
//! rights with [`netlink_net_capable`] and fills [`ExtAck`].

pub mod ack;
pub mod af_netlink;
pub mod dump;
pub mod msg;
pub mod wire;

pub use ack::{ExtAck, netlink_ack, netlink_rcv_skb};
pub use af_netlink::{
    NetlinkBind, NetlinkCore, NetlinkFamily, NetlinkInput, NetlinkInputFn, NetlinkKernelCfg,
    NetlinkRcv, NetlinkSock, NetlinkSocket, NetlinkUnbind, netlink_broadcast,
    netlink_has_listeners, netlink_kernel_create, netlink_kernel_release, netlink_net_capable,
    netlink_unicast, nlmsg_unicast,
};
pub use dump::{NetlinkCallback, NetlinkDumpControl, netlink_dump_start};

/// `NETLINK_ROUTE`.
pub const NETLINK_ROUTE: i32 = 0;
/// `NETLINK_USERSOCK`.
pub const NETLINK_USERSOCK: i32 = 2;
/// `NETLINK_XFRM`.
pub const NETLINK_XFRM: i32 = 6;
/// `MAX_LINKS`.
pub const MAX_LINKS: i32 = 32;

/// `SOL_NETLINK`.
pub const SOL_NETLINK: i32 = 270;
/// `NETLINK_ADD_MEMBERSHIP`.
pub const NETLINK_ADD_MEMBERSHIP: i32 = 1;
/// `NETLINK_DROP_MEMBERSHIP`.
pub const NETLINK_DROP_MEMBERSHIP: i32 = 2;
/// `NETLINK_PKTINFO`.
pub const NETLINK_PKTINFO: i32 = 3;
/// `NETLINK_BROADCAST_ERROR`.
pub const NETLINK_BROADCAST_ERROR: i32 = 4;
/// `NETLINK_NO_ENOBUFS`.
pub const NETLINK_NO_ENOBUFS: i32 = 5;
/// `NETLINK_LISTEN_ALL_NSID`.
pub const NETLINK_LISTEN_ALL_NSID: i32 = 8;
/// `NETLINK_LIST_MEMBERSHIPS`.
pub const NETLINK_LIST_MEMBERSHIPS: i32 = 9;
/// `NETLINK_CAP_ACK`.
pub const NETLINK_CAP_ACK: i32 = 10;
/// `NETLINK_EXT_ACK`.
pub const NETLINK_EXT_ACK: i32 = 11;
/// `NETLINK_GET_STRICT_CHK`.
pub const NETLINK_GET_STRICT_CHK: i32 = 12;

/// `NL_CFG_F_NONROOT_RECV`.
pub const NL_CFG_F_NONROOT_RECV: u32 = 1 << 0;
/// `NL_CFG_F_NONROOT_SEND`.
pub const NL_CFG_F_NONROOT_SEND: u32 = 1 << 1;

/// `NLMSG_GOODSIZE`: `SKB_WITH_OVERHEAD(PAGE_SIZE)`.
pub const NLMSG_GOODSIZE: usize = crate::skbuff::skb_with_overhead(crate::skbuff::PAGE_SIZE);
/// The cap `netlink_recvmsg` puts on `max_recvmsg_len`:
/// `SKB_WITH_OVERHEAD(32768)`.
pub const NETLINK_MAX_RECVMSG_LEN: usize = crate::skbuff::skb_with_overhead(32768);
