//! NETLINK_XFRM (`net/xfrm/xfrm_user.c`): the wire layouts of
//! `include/uapi/linux/xfrm.h`, the attribute policy, and the validation
//! rules with Linux's errno values and extended-ACK texts.

pub mod attr;
pub mod uapi;
pub mod verify;
pub mod wire;

#[cfg(test)]
mod oracle_tests;
#[cfg(test)]
mod verify_tests;
