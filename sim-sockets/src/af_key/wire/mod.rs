//! The PF_KEY v2 wire format (`include/uapi/linux/pfkeyv2.h`,
//! `include/uapi/linux/ipsec.h`). Every structure is `packed` and
//! little-endian except SPIs, ports and IPv6 flow info; lengths are in
//! 8-byte units except `sadb_x_ipsecrequest_len` (bytes).
//!
//! Each structure has a checked view (`new_checked` validates the fixed
//! size once; accessors cannot panic) and an owned representation with
//! `parse`, `buffer_len` and `emit`.

#[macro_use]
mod macros;
mod field;

pub mod address;
pub mod consts;
pub mod ext;
pub mod key;
pub mod kmaddress;
pub mod msg;
pub mod policy;
pub mod prop;
pub mod repr;
pub mod sec_ctx;
pub mod sens;
pub mod sockaddr;
pub mod supported;

pub use address::{SadbAddress, SadbAddressRepr};
pub use ext::*;
pub use key::{SadbKey, SadbKeyRepr};
pub use kmaddress::{SadbXKmaddress, SadbXKmaddressRepr};
pub use msg::{SadbExt, SadbMsg, SadbMsgRepr};
pub use policy::{
    IpsecRequestAddrs, SadbXIpsecrequest, SadbXIpsecrequestRepr, SadbXPolicy, SadbXPolicyRepr,
};
pub use prop::{SadbComb, SadbCombRepr, SadbProp, SadbPropRepr};
pub use repr::{SadbExtRepr, SadbMessageRepr};
pub use sec_ctx::{SadbXSecCtx, SadbXSecCtxRepr};
pub use sens::{SadbSens, SadbSensRepr};
pub use sockaddr::{SockAddr, SockAddrIn, SockAddrIn6, parse_sockaddr_pair, pfkey_align8};
pub use supported::{
    SadbAlg, SadbAlgRepr, SadbSupported, SadbSupportedRepr, compose_sadb_supported,
};

/// Size of `struct sadb_msg`.
pub const SADB_MSG_LEN: usize = 16;
/// The unit of every `*_len` field except `sadb_x_ipsecrequest_len`.
pub const PFKEY_UNIT: usize = 8;
