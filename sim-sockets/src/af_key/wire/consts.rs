//! Every constant of `include/uapi/linux/pfkeyv2.h` and
//! `include/uapi/linux/ipsec.h` (current mainline), typed as the field that
//! carries it.

/// `PF_KEY_V2`: the protocol number and `sadb_msg_version`.
pub const PF_KEY_V2: u8 = 2;
/// `PFKEYV2_REVISION`.
pub const PFKEYV2_REVISION: i64 = 199806;

// Message types (`sadb_msg_type`).
/// `SADB_RESERVED`.
pub const SADB_RESERVED: u8 = 0;
/// `SADB_GETSPI`.
pub const SADB_GETSPI: u8 = 1;
/// `SADB_UPDATE`.
pub const SADB_UPDATE: u8 = 2;
/// `SADB_ADD`.
pub const SADB_ADD: u8 = 3;
/// `SADB_DELETE`.
pub const SADB_DELETE: u8 = 4;
/// `SADB_GET`.
pub const SADB_GET: u8 = 5;
/// `SADB_ACQUIRE`.
pub const SADB_ACQUIRE: u8 = 6;
/// `SADB_REGISTER`.
pub const SADB_REGISTER: u8 = 7;
/// `SADB_EXPIRE`.
pub const SADB_EXPIRE: u8 = 8;
/// `SADB_FLUSH`.
pub const SADB_FLUSH: u8 = 9;
/// `SADB_DUMP`.
pub const SADB_DUMP: u8 = 10;
/// `SADB_X_PROMISC`.
pub const SADB_X_PROMISC: u8 = 11;
/// `SADB_X_PCHANGE`.
pub const SADB_X_PCHANGE: u8 = 12;
/// `SADB_X_SPDUPDATE`.
pub const SADB_X_SPDUPDATE: u8 = 13;
/// `SADB_X_SPDADD`.
pub const SADB_X_SPDADD: u8 = 14;
/// `SADB_X_SPDDELETE`.
pub const SADB_X_SPDDELETE: u8 = 15;
/// `SADB_X_SPDGET`.
pub const SADB_X_SPDGET: u8 = 16;
/// `SADB_X_SPDACQUIRE`.
pub const SADB_X_SPDACQUIRE: u8 = 17;
/// `SADB_X_SPDDUMP`.
pub const SADB_X_SPDDUMP: u8 = 18;
/// `SADB_X_SPDFLUSH`.
pub const SADB_X_SPDFLUSH: u8 = 19;
/// `SADB_X_SPDSETIDX`.
pub const SADB_X_SPDSETIDX: u8 = 20;
/// `SADB_X_SPDEXPIRE`.
pub const SADB_X_SPDEXPIRE: u8 = 21;
/// `SADB_X_SPDDELETE2`.
pub const SADB_X_SPDDELETE2: u8 = 22;
/// `SADB_X_NAT_T_NEW_MAPPING`.
pub const SADB_X_NAT_T_NEW_MAPPING: u8 = 23;
/// `SADB_X_MIGRATE`.
pub const SADB_X_MIGRATE: u8 = 24;
/// `SADB_MAX`: the highest message type.
pub const SADB_MAX: u8 = 24;

// Security association flags (`sadb_sa_flags`).
/// `SADB_SAFLAGS_PFS`.
pub const SADB_SAFLAGS_PFS: u32 = 1;
/// `SADB_SAFLAGS_NOPMTUDISC`.
pub const SADB_SAFLAGS_NOPMTUDISC: u32 = 0x2000_0000;
/// `SADB_SAFLAGS_DECAP_DSCP`.
pub const SADB_SAFLAGS_DECAP_DSCP: u32 = 0x4000_0000;
/// `SADB_SAFLAGS_NOECN`.
pub const SADB_SAFLAGS_NOECN: u32 = 0x8000_0000;

// Security association states (`sadb_sa_state`).
/// `SADB_SASTATE_LARVAL`.
pub const SADB_SASTATE_LARVAL: u8 = 0;
/// `SADB_SASTATE_MATURE`.
pub const SADB_SASTATE_MATURE: u8 = 1;
/// `SADB_SASTATE_DYING`.
pub const SADB_SASTATE_DYING: u8 = 2;
/// `SADB_SASTATE_DEAD`.
pub const SADB_SASTATE_DEAD: u8 = 3;
/// `SADB_SASTATE_MAX`.
pub const SADB_SASTATE_MAX: u8 = 3;

// Security association types (`sadb_msg_satype`).
/// `SADB_SATYPE_UNSPEC`.
pub const SADB_SATYPE_UNSPEC: u8 = 0;
/// `SADB_SATYPE_AH`.
pub const SADB_SATYPE_AH: u8 = 2;
/// `SADB_SATYPE_ESP`.
pub const SADB_SATYPE_ESP: u8 = 3;
/// `SADB_SATYPE_RSVP`.
pub const SADB_SATYPE_RSVP: u8 = 5;
/// `SADB_SATYPE_OSPFV2`.
pub const SADB_SATYPE_OSPFV2: u8 = 6;
/// `SADB_SATYPE_RIPV2`.
pub const SADB_SATYPE_RIPV2: u8 = 7;
/// `SADB_SATYPE_MIP`.
pub const SADB_SATYPE_MIP: u8 = 8;
/// `SADB_X_SATYPE_IPCOMP`.
pub const SADB_X_SATYPE_IPCOMP: u8 = 9;
/// `SADB_SATYPE_MAX`.
pub const SADB_SATYPE_MAX: u8 = 9;

// Authentication algorithms (`sadb_sa_auth`, `sadb_alg_id`).
/// `SADB_AALG_NONE`.
pub const SADB_AALG_NONE: u8 = 0;
/// `SADB_AALG_MD5HMAC`.
pub const SADB_AALG_MD5HMAC: u8 = 2;
/// `SADB_AALG_SHA1HMAC`.
pub const SADB_AALG_SHA1HMAC: u8 = 3;
/// `SADB_X_AALG_SHA2_256HMAC`.
pub const SADB_X_AALG_SHA2_256HMAC: u8 = 5;
/// `SADB_X_AALG_SHA2_384HMAC`.
pub const SADB_X_AALG_SHA2_384HMAC: u8 = 6;
/// `SADB_X_AALG_SHA2_512HMAC`.
pub const SADB_X_AALG_SHA2_512HMAC: u8 = 7;
/// `SADB_X_AALG_RIPEMD160HMAC`.
pub const SADB_X_AALG_RIPEMD160HMAC: u8 = 8;
/// `SADB_X_AALG_AES_XCBC_MAC`.
pub const SADB_X_AALG_AES_XCBC_MAC: u8 = 9;
/// `SADB_X_AALG_SM3_256HMAC`.
pub const SADB_X_AALG_SM3_256HMAC: u8 = 10;
/// `SADB_X_AALG_NULL` (KAME).
pub const SADB_X_AALG_NULL: u8 = 251;
/// `SADB_AALG_MAX`.
pub const SADB_AALG_MAX: u8 = 251;

// Encryption algorithms (`sadb_sa_encrypt`, `sadb_alg_id`).
/// `SADB_EALG_NONE`.
pub const SADB_EALG_NONE: u8 = 0;
/// `SADB_EALG_DESCBC`.
pub const SADB_EALG_DESCBC: u8 = 2;
/// `SADB_EALG_3DESCBC`.
pub const SADB_EALG_3DESCBC: u8 = 3;
/// `SADB_X_EALG_CASTCBC`.
pub const SADB_X_EALG_CASTCBC: u8 = 6;
/// `SADB_X_EALG_BLOWFISHCBC`.
pub const SADB_X_EALG_BLOWFISHCBC: u8 = 7;
/// `SADB_EALG_NULL`.
pub const SADB_EALG_NULL: u8 = 11;
/// `SADB_X_EALG_AESCBC`.
pub const SADB_X_EALG_AESCBC: u8 = 12;
/// `SADB_X_EALG_AESCTR`.
pub const SADB_X_EALG_AESCTR: u8 = 13;
/// `SADB_X_EALG_AES_CCM_ICV8`.
pub const SADB_X_EALG_AES_CCM_ICV8: u8 = 14;
/// `SADB_X_EALG_AES_CCM_ICV12`.
pub const SADB_X_EALG_AES_CCM_ICV12: u8 = 15;
/// `SADB_X_EALG_AES_CCM_ICV16`.
pub const SADB_X_EALG_AES_CCM_ICV16: u8 = 16;
/// `SADB_X_EALG_AES_GCM_ICV8`.
pub const SADB_X_EALG_AES_GCM_ICV8: u8 = 18;
/// `SADB_X_EALG_AES_GCM_ICV12`.
pub const SADB_X_EALG_AES_GCM_ICV12: u8 = 19;
/// `SADB_X_EALG_AES_GCM_ICV16`.
pub const SADB_X_EALG_AES_GCM_ICV16: u8 = 20;
/// `SADB_X_EALG_CAMELLIACBC`.
pub const SADB_X_EALG_CAMELLIACBC: u8 = 22;
/// `SADB_X_EALG_NULL_AES_GMAC`.
pub const SADB_X_EALG_NULL_AES_GMAC: u8 = 23;
/// `SADB_X_EALG_SM4CBC`.
pub const SADB_X_EALG_SM4CBC: u8 = 24;
/// `SADB_EALG_MAX`: the last encryption algorithm number.
pub const SADB_EALG_MAX: u8 = 253;
/// `SADB_X_EALG_SERPENTCBC`.
pub const SADB_X_EALG_SERPENTCBC: u8 = 252;
/// `SADB_X_EALG_TWOFISHCBC`.
pub const SADB_X_EALG_TWOFISHCBC: u8 = 253;

// Compression algorithms (`sadb_sa_encrypt` of IPCOMP SAs).
/// `SADB_X_CALG_NONE`.
pub const SADB_X_CALG_NONE: u8 = 0;
/// `SADB_X_CALG_OUI`.
pub const SADB_X_CALG_OUI: u8 = 1;
/// `SADB_X_CALG_DEFLATE`.
pub const SADB_X_CALG_DEFLATE: u8 = 2;
/// `SADB_X_CALG_LZS`.
pub const SADB_X_CALG_LZS: u8 = 3;
/// `SADB_X_CALG_LZJH`.
pub const SADB_X_CALG_LZJH: u8 = 4;
/// `SADB_X_CALG_MAX`.
pub const SADB_X_CALG_MAX: u8 = 4;

// Extension types (`sadb_ext_type`).
/// `SADB_EXT_RESERVED`.
pub const SADB_EXT_RESERVED: u16 = 0;
/// `SADB_EXT_SA`.
pub const SADB_EXT_SA: u16 = 1;
/// `SADB_EXT_LIFETIME_CURRENT`.
pub const SADB_EXT_LIFETIME_CURRENT: u16 = 2;
/// `SADB_EXT_LIFETIME_HARD`.
pub const SADB_EXT_LIFETIME_HARD: u16 = 3;
/// `SADB_EXT_LIFETIME_SOFT`.
pub const SADB_EXT_LIFETIME_SOFT: u16 = 4;
/// `SADB_EXT_ADDRESS_SRC`.
pub const SADB_EXT_ADDRESS_SRC: u16 = 5;
/// `SADB_EXT_ADDRESS_DST`.
pub const SADB_EXT_ADDRESS_DST: u16 = 6;
/// `SADB_EXT_ADDRESS_PROXY`.
pub const SADB_EXT_ADDRESS_PROXY: u16 = 7;
/// `SADB_EXT_KEY_AUTH`.
pub const SADB_EXT_KEY_AUTH: u16 = 8;
/// `SADB_EXT_KEY_ENCRYPT`.
pub const SADB_EXT_KEY_ENCRYPT: u16 = 9;
/// `SADB_EXT_IDENTITY_SRC`.
pub const SADB_EXT_IDENTITY_SRC: u16 = 10;
/// `SADB_EXT_IDENTITY_DST`.
pub const SADB_EXT_IDENTITY_DST: u16 = 11;
/// `SADB_EXT_SENSITIVITY`.
pub const SADB_EXT_SENSITIVITY: u16 = 12;
/// `SADB_EXT_PROPOSAL`.
pub const SADB_EXT_PROPOSAL: u16 = 13;
/// `SADB_EXT_SUPPORTED_AUTH`.
pub const SADB_EXT_SUPPORTED_AUTH: u16 = 14;
/// `SADB_EXT_SUPPORTED_ENCRYPT`.
pub const SADB_EXT_SUPPORTED_ENCRYPT: u16 = 15;
/// `SADB_EXT_SPIRANGE`.
pub const SADB_EXT_SPIRANGE: u16 = 16;
/// `SADB_X_EXT_KMPRIVATE`.
pub const SADB_X_EXT_KMPRIVATE: u16 = 17;
/// `SADB_X_EXT_POLICY`.
pub const SADB_X_EXT_POLICY: u16 = 18;
/// `SADB_X_EXT_SA2`.
pub const SADB_X_EXT_SA2: u16 = 19;
/// `SADB_X_EXT_NAT_T_TYPE`.
pub const SADB_X_EXT_NAT_T_TYPE: u16 = 20;
/// `SADB_X_EXT_NAT_T_SPORT`.
pub const SADB_X_EXT_NAT_T_SPORT: u16 = 21;
/// `SADB_X_EXT_NAT_T_DPORT`.
pub const SADB_X_EXT_NAT_T_DPORT: u16 = 22;
/// `SADB_X_EXT_NAT_T_OA`.
pub const SADB_X_EXT_NAT_T_OA: u16 = 23;
/// `SADB_X_EXT_SEC_CTX`.
pub const SADB_X_EXT_SEC_CTX: u16 = 24;
/// `SADB_X_EXT_KMADDRESS`.
pub const SADB_X_EXT_KMADDRESS: u16 = 25;
/// `SADB_X_EXT_FILTER`.
pub const SADB_X_EXT_FILTER: u16 = 26;
/// `SADB_EXT_MAX`: the highest extension type.
pub const SADB_EXT_MAX: u16 = 26;

// Identity types (`sadb_ident_type`).
/// `SADB_IDENTTYPE_RESERVED`.
pub const SADB_IDENTTYPE_RESERVED: u16 = 0;
/// `SADB_IDENTTYPE_PREFIX`.
pub const SADB_IDENTTYPE_PREFIX: u16 = 1;
/// `SADB_IDENTTYPE_FQDN`.
pub const SADB_IDENTTYPE_FQDN: u16 = 2;
/// `SADB_IDENTTYPE_USERFQDN`.
pub const SADB_IDENTTYPE_USERFQDN: u16 = 3;
/// `SADB_IDENTTYPE_MAX`.
pub const SADB_IDENTTYPE_MAX: u16 = 3;

// include/uapi/linux/ipsec.h
/// `IPSEC_PORT_ANY`.
pub const IPSEC_PORT_ANY: u16 = 0;
/// `IPSEC_ULPROTO_ANY`: `sadb_address_proto` for "any upper protocol".
pub const IPSEC_ULPROTO_ANY: u8 = 255;
/// `IPSEC_PROTO_ANY`: what `pfkey_satype2proto(UNSPEC)` returns.
pub const IPSEC_PROTO_ANY: u8 = 255;

/// `IPSEC_MODE_ANY` (accepted as transport in `sadb_x_sa2_mode`).
pub const IPSEC_MODE_ANY: u8 = 0;
/// `IPSEC_MODE_TRANSPORT`.
pub const IPSEC_MODE_TRANSPORT: u8 = 1;
/// `IPSEC_MODE_TUNNEL`.
pub const IPSEC_MODE_TUNNEL: u8 = 2;
/// `IPSEC_MODE_BEET`.
pub const IPSEC_MODE_BEET: u8 = 3;
/// `IPSEC_MODE_IPTFS` (af_key has no mapping for it).
pub const IPSEC_MODE_IPTFS: u8 = 4;

/// `IPSEC_DIR_ANY`.
pub const IPSEC_DIR_ANY: u8 = 0;
/// `IPSEC_DIR_INBOUND`.
pub const IPSEC_DIR_INBOUND: u8 = 1;
/// `IPSEC_DIR_OUTBOUND`.
pub const IPSEC_DIR_OUTBOUND: u8 = 2;
/// `IPSEC_DIR_FWD` (Linux's own).
pub const IPSEC_DIR_FWD: u8 = 3;
/// `IPSEC_DIR_MAX`.
pub const IPSEC_DIR_MAX: u8 = 4;
/// `IPSEC_DIR_INVALID`.
pub const IPSEC_DIR_INVALID: u8 = 5;

/// `IPSEC_POLICY_DISCARD`.
pub const IPSEC_POLICY_DISCARD: u16 = 0;
/// `IPSEC_POLICY_NONE`.
pub const IPSEC_POLICY_NONE: u16 = 1;
/// `IPSEC_POLICY_IPSEC`.
pub const IPSEC_POLICY_IPSEC: u16 = 2;
/// `IPSEC_POLICY_ENTRUST`.
pub const IPSEC_POLICY_ENTRUST: u16 = 3;
/// `IPSEC_POLICY_BYPASS`.
pub const IPSEC_POLICY_BYPASS: u16 = 4;

/// `IPSEC_LEVEL_DEFAULT`.
pub const IPSEC_LEVEL_DEFAULT: u8 = 0;
/// `IPSEC_LEVEL_USE`.
pub const IPSEC_LEVEL_USE: u8 = 1;
/// `IPSEC_LEVEL_REQUIRE`.
pub const IPSEC_LEVEL_REQUIRE: u8 = 2;
/// `IPSEC_LEVEL_UNIQUE`.
pub const IPSEC_LEVEL_UNIQUE: u8 = 3;

/// `IPSEC_MANUAL_REQID_MAX`: reqids above are generated.
pub const IPSEC_MANUAL_REQID_MAX: u32 = 0x3fff;
/// `IPSEC_REPLAYWSIZE`.
pub const IPSEC_REPLAYWSIZE: u32 = 32;

/// `AF_INET`.
pub const AF_INET: u16 = 2;
/// `AF_INET6`.
pub const AF_INET6: u16 = 10;
