//! Sockets, the netlink core (`net/netlink/af_netlink.c`), NETLINK_XFRM (`net/xfrm/xfrm_user.c`), PF_KEY (`net/key/af_key.c`), socket-option policies and the `Kernel` handle.

pub mod af_key;
pub mod xfrm_user;
