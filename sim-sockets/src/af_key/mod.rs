//! PF_KEY v2 (`net/key/af_key.c`): the wire format of
//! `include/uapi/linux/pfkeyv2.h` and `ipsec.h`, and the request checks
//! `pfkey_sendmsg()` and `parse_exthdrs()` apply before a handler runs.

#[cfg(test)]
mod oracle_tests;
pub mod parse;
#[cfg(test)]
mod props;
pub mod wire;
