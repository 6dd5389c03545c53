//! NETLINK_XFRM (`net/xfrm/xfrm_user.c`): the wire layouts of
//! `include/uapi/linux/xfrm.h`, the attribute policy, the validation
//! rules with Linux's errno values and extended-ACK texts, the request
//! handlers, and the netlink key manager.
//!
//! - [`dispatch`]: `xfrm_netlink_rcv`, `xfrm_user_rcv_msg`, and
//!   [`xfrm_user_init`] which plugs the front end into a kernel.
//! - [`policy`], [`state`], [`info`], [`ae`], [`migrate`]: the handlers
//!   by object.
//! - [`km`]: `netlink_mgr` (notifications, acquire, compile_policy, …).
//! - [`convert`]: wire ↔ XFRM-layer values; [`msg`]: shared builders.

pub mod ae;
pub mod attr;
pub mod convert;
pub mod dispatch;
pub mod info;
pub mod km;
pub mod migrate;
pub mod msg;
pub mod policy;
pub mod state;
pub mod uapi;
pub mod verify;
pub mod wire;

pub use dispatch::{XfrmUser, xfrm_user_init};

#[cfg(test)]
mod handler_tests;
#[cfg(test)]
mod oracle_tests;
#[cfg(test)]
mod verify_tests;
