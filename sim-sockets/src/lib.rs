//! Sockets, the netlink core (`net/netlink/af_netlink.c`), NETLINK_XFRM
//! (`net/xfrm/xfrm_user.c`), PF_KEY (`net/key/af_key.c`), socket-option
//! policies and the `Kernel` handle.

pub mod af_key;
pub mod inet;
pub mod kernel;
pub mod netlink;
pub mod skbuff;
pub mod socket;
pub mod xfrm_user;

pub use kernel::{ClockChoice, Kernel, KernelConfig};
pub use sim_netns::cred::CAP_NET_BROADCAST;
pub use sim_netns::{CAP_NET_ADMIN, Capability, Cred, KernelCap, Net, UserNs};
pub use socket::{MsgHdr, RecvMsg, Socket, Task};
