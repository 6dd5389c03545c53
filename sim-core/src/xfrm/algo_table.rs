//! The IPsec algorithm tables of `net/xfrm/xfrm_algo.c` (current mainline:
//! `aead_list`, `aalg_list`, `ealg_list`, `calg_list`) and the lookups both
//! key managers use, plus [`KernelProfile`]: which algorithms and XFRM
//! transform types a simulated kernel has, and its socket-buffer sysctls.
//!
//! In Linux an entry's `available` bit caches what the crypto API answered
//! when the entry was last probed. Here the profile *is* the crypto API's
//! answer, so an entry counts as available exactly when the profile has its
//! (canonical) name; lookups behave as if every entry had been probed.

use core::fmt;

// `include/uapi/linux/pfkeyv2.h` algorithm numbers used by the tables.
const SADB_AALG_MD5HMAC: u8 = 2;
const SADB_AALG_SHA1HMAC: u8 = 3;
const SADB_X_AALG_SHA2_256HMAC: u8 = 5;
const SADB_X_AALG_SHA2_384HMAC: u8 = 6;
const SADB_X_AALG_SHA2_512HMAC: u8 = 7;
const SADB_X_AALG_AES_XCBC_MAC: u8 = 9;
const SADB_X_AALG_SM3_256HMAC: u8 = 10;
const SADB_X_AALG_NULL: u8 = 251;
const SADB_EALG_DESCBC: u8 = 2;
const SADB_EALG_3DESCBC: u8 = 3;
const SADB_X_EALG_CASTCBC: u8 = 6;
const SADB_X_EALG_BLOWFISHCBC: u8 = 7;
const SADB_EALG_NULL: u8 = 11;
const SADB_X_EALG_AESCBC: u8 = 12;
const SADB_X_EALG_AESCTR: u8 = 13;
const SADB_X_EALG_AES_CCM_ICV8: u8 = 14;
const SADB_X_EALG_AES_CCM_ICV12: u8 = 15;
const SADB_X_EALG_AES_CCM_ICV16: u8 = 16;
const SADB_X_EALG_AES_GCM_ICV8: u8 = 18;
const SADB_X_EALG_AES_GCM_ICV12: u8 = 19;
const SADB_X_EALG_AES_GCM_ICV16: u8 = 20;
const SADB_X_EALG_CAMELLIACBC: u8 = 22;
const SADB_X_EALG_NULL_AES_GMAC: u8 = 23;
const SADB_X_EALG_SM4CBC: u8 = 24;
const SADB_X_EALG_SERPENTCBC: u8 = 252;
const SADB_X_EALG_TWOFISHCBC: u8 = 253;
const SADB_X_CALG_DEFLATE: u8 = 2;
const SADB_X_CALG_LZS: u8 = 3;
const SADB_X_CALG_LZJH: u8 = 4;

const AF_INET: u16 = 2;
const AF_INET6: u16 = 10;

/// The PF_KEY description of an algorithm: the `struct sadb_alg desc` member
/// of `struct xfrm_algo_desc` (its reserved field is always 0). Entries with
/// no PF_KEY encoding leave it all zero, as the kernel's tables do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct SadbAlgDesc {
    /// `sadb_alg_id`: the SADB_*ALG_* number.
    pub sadb_alg_id: u8,
    /// `sadb_alg_ivlen`: IV length in bytes.
    pub sadb_alg_ivlen: u8,
    /// `sadb_alg_minbits`: shortest key in bits.
    pub sadb_alg_minbits: u16,
    /// `sadb_alg_maxbits`: longest key in bits.
    pub sadb_alg_maxbits: u16,
}

/// `struct xfrm_algo_aead_info`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct XfrmAlgoAeadInfo {
    /// IV generator template the ESP transform wraps the AEAD in.
    pub geniv: &'static str,
    /// ICV length in bits (the entry is chosen by name *and* this value).
    pub icv_truncbits: u16,
}

/// `struct xfrm_algo_auth_info`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct XfrmAlgoAuthInfo {
    /// Truncated ICV length in bits (the default `alg_trunc_len`).
    pub icv_truncbits: u16,
    /// Full digest length in bits (the longest allowed truncation).
    pub icv_fullbits: u16,
}

/// `struct xfrm_algo_encr_info`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct XfrmAlgoEncrInfo {
    /// IV generator template, `None` for `ecb(cipher_null)`.
    pub geniv: Option<&'static str>,
    /// Cipher block size in bits.
    pub blockbits: u16,
    /// Default key length in bits.
    pub defkeybits: u16,
}

/// `struct xfrm_algo_comp_info`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct XfrmAlgoCompInfo {
    /// Smallest payload worth compressing, in bytes.
    pub threshold: u16,
}

/// The `uinfo` union of `struct xfrm_algo_desc`, tagged by list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum XfrmAlgoUinfo {
    /// An `aead_list` entry.
    Aead(XfrmAlgoAeadInfo),
    /// An `aalg_list` entry.
    Auth(XfrmAlgoAuthInfo),
    /// An `ealg_list` entry.
    Encr(XfrmAlgoEncrInfo),
    /// A `calg_list` entry.
    Comp(XfrmAlgoCompInfo),
}

/// `struct xfrm_algo_desc`: one algorithm-table entry (minus the
/// `available` bit, which a [`KernelProfile`] answers).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct XfrmAlgoDesc {
    /// The crypto API name (`"hmac(sha1)"`), also the name netlink uses.
    pub name: &'static str,
    /// The older name the lookups also accept (`"sha1"`).
    pub compat: Option<&'static str>,
    /// Whether PF_KEY may use (and list) this algorithm.
    pub pfkey_supported: bool,
    /// Per-kind parameters.
    pub uinfo: XfrmAlgoUinfo,
    /// PF_KEY id, IV length and key-size range.
    pub desc: SadbAlgDesc,
}

impl XfrmAlgoDesc {
    /// `uinfo.aead`, for an `aead_list` entry.
    pub fn aead(&self) -> Option<&XfrmAlgoAeadInfo> {
        match &self.uinfo {
            XfrmAlgoUinfo::Aead(a) => Some(a),
            _ => None,
        }
    }

    /// `uinfo.auth`, for an `aalg_list` entry.
    pub fn auth(&self) -> Option<&XfrmAlgoAuthInfo> {
        match &self.uinfo {
            XfrmAlgoUinfo::Auth(a) => Some(a),
            _ => None,
        }
    }

    /// `uinfo.encr`, for an `ealg_list` entry.
    pub fn encr(&self) -> Option<&XfrmAlgoEncrInfo> {
        match &self.uinfo {
            XfrmAlgoUinfo::Encr(e) => Some(e),
            _ => None,
        }
    }

    /// `uinfo.comp`, for a `calg_list` entry.
    pub fn comp(&self) -> Option<&XfrmAlgoCompInfo> {
        match &self.uinfo {
            XfrmAlgoUinfo::Comp(c) => Some(c),
            _ => None,
        }
    }
}

const fn sadb(id: u8, ivlen: u8, minbits: u16, maxbits: u16) -> SadbAlgDesc {
    SadbAlgDesc {
        sadb_alg_id: id,
        sadb_alg_ivlen: ivlen,
        sadb_alg_minbits: minbits,
        sadb_alg_maxbits: maxbits,
    }
}

const NO_SADB: SadbAlgDesc = sadb(0, 0, 0, 0);

const fn aead(name: &'static str, icv: u16, pfkey: bool, desc: SadbAlgDesc) -> XfrmAlgoDesc {
    XfrmAlgoDesc {
        name,
        compat: None,
        pfkey_supported: pfkey,
        uinfo: XfrmAlgoUinfo::Aead(XfrmAlgoAeadInfo { geniv: "seqiv", icv_truncbits: icv }),
        desc,
    }
}

const fn auth(
    name: &'static str,
    compat: Option<&'static str>,
    trunc: u16,
    full: u16,
    pfkey: bool,
    desc: SadbAlgDesc,
) -> XfrmAlgoDesc {
    XfrmAlgoDesc {
        name,
        compat,
        pfkey_supported: pfkey,
        uinfo: XfrmAlgoUinfo::Auth(XfrmAlgoAuthInfo { icv_truncbits: trunc, icv_fullbits: full }),
        desc,
    }
}

const fn encr(
    name: &'static str,
    compat: Option<&'static str>,
    geniv: Option<&'static str>,
    blockbits: u16,
    defkeybits: u16,
    pfkey: bool,
    desc: SadbAlgDesc,
) -> XfrmAlgoDesc {
    XfrmAlgoDesc {
        name,
        compat,
        pfkey_supported: pfkey,
        uinfo: XfrmAlgoUinfo::Encr(XfrmAlgoEncrInfo { geniv, blockbits, defkeybits }),
        desc,
    }
}

const fn comp(name: &'static str, threshold: u16, id: u8) -> XfrmAlgoDesc {
    XfrmAlgoDesc {
        name,
        compat: None,
        pfkey_supported: true,
        uinfo: XfrmAlgoUinfo::Comp(XfrmAlgoCompInfo { threshold }),
        desc: sadb(id, 0, 0, 0),
    }
}

const ECHAINIV: Option<&str> = Some("echainiv");
const SEQIV: Option<&str> = Some("seqiv");

/// `aead_list[]`: combined-mode algorithms, matched by name and ICV length.
pub static AEAD_LIST: [XfrmAlgoDesc; 8] = [
    aead("rfc4106(gcm(aes))", 64, true, sadb(SADB_X_EALG_AES_GCM_ICV8, 8, 128, 256)),
    aead("rfc4106(gcm(aes))", 96, true, sadb(SADB_X_EALG_AES_GCM_ICV12, 8, 128, 256)),
    aead("rfc4106(gcm(aes))", 128, true, sadb(SADB_X_EALG_AES_GCM_ICV16, 8, 128, 256)),
    aead("rfc4309(ccm(aes))", 64, true, sadb(SADB_X_EALG_AES_CCM_ICV8, 8, 128, 256)),
    aead("rfc4309(ccm(aes))", 96, true, sadb(SADB_X_EALG_AES_CCM_ICV12, 8, 128, 256)),
    aead("rfc4309(ccm(aes))", 128, true, sadb(SADB_X_EALG_AES_CCM_ICV16, 8, 128, 256)),
    aead("rfc4543(gcm(aes))", 128, true, sadb(SADB_X_EALG_NULL_AES_GMAC, 8, 128, 256)),
    aead("rfc7539esp(chacha20,poly1305)", 128, false, NO_SADB),
];

/// `aalg_list[]`: authentication algorithms.
pub static AALG_LIST: [XfrmAlgoDesc; 9] = [
    auth("digest_null", None, 0, 0, true, sadb(SADB_X_AALG_NULL, 0, 0, 0)),
    auth("hmac(md5)", Some("md5"), 96, 128, true, sadb(SADB_AALG_MD5HMAC, 0, 128, 128)),
    auth("hmac(sha1)", Some("sha1"), 96, 160, true, sadb(SADB_AALG_SHA1HMAC, 0, 160, 160)),
    auth(
        "hmac(sha256)",
        Some("sha256"),
        96,
        256,
        true,
        sadb(SADB_X_AALG_SHA2_256HMAC, 0, 256, 256),
    ),
    auth("hmac(sha384)", None, 192, 384, true, sadb(SADB_X_AALG_SHA2_384HMAC, 0, 384, 384)),
    auth("hmac(sha512)", None, 256, 512, true, sadb(SADB_X_AALG_SHA2_512HMAC, 0, 512, 512)),
    auth("xcbc(aes)", None, 96, 128, true, sadb(SADB_X_AALG_AES_XCBC_MAC, 0, 128, 128)),
    // rfc4494; no PF_KEY number.
    auth("cmac(aes)", None, 96, 128, false, NO_SADB),
    auth("hmac(sm3)", Some("sm3"), 256, 256, true, sadb(SADB_X_AALG_SM3_256HMAC, 0, 256, 256)),
];

/// `ealg_list[]`: encryption algorithms.
pub static EALG_LIST: [XfrmAlgoDesc; 13] = [
    encr("ecb(cipher_null)", Some("cipher_null"), None, 8, 0, true, sadb(SADB_EALG_NULL, 0, 0, 0)),
    encr("cbc(des)", Some("des"), ECHAINIV, 64, 64, true, sadb(SADB_EALG_DESCBC, 8, 64, 64)),
    encr(
        "cbc(des3_ede)",
        Some("des3_ede"),
        ECHAINIV,
        64,
        192,
        true,
        sadb(SADB_EALG_3DESCBC, 8, 192, 192),
    ),
    encr(
        "cbc(cast5)",
        Some("cast5"),
        ECHAINIV,
        64,
        128,
        true,
        sadb(SADB_X_EALG_CASTCBC, 8, 40, 128),
    ),
    encr(
        "cbc(blowfish)",
        Some("blowfish"),
        ECHAINIV,
        64,
        128,
        true,
        sadb(SADB_X_EALG_BLOWFISHCBC, 8, 40, 448),
    ),
    encr("cbc(aes)", Some("aes"), ECHAINIV, 128, 128, true, sadb(SADB_X_EALG_AESCBC, 8, 128, 256)),
    encr(
        "cbc(serpent)",
        Some("serpent"),
        ECHAINIV,
        128,
        128,
        true,
        sadb(SADB_X_EALG_SERPENTCBC, 8, 128, 256),
    ),
    encr(
        "cbc(camellia)",
        Some("camellia"),
        ECHAINIV,
        128,
        128,
        true,
        sadb(SADB_X_EALG_CAMELLIACBC, 8, 128, 256),
    ),
    encr("cbc(aria)", Some("aria"), ECHAINIV, 128, 128, false, NO_SADB),
    // 128-bit key + 32-bit nonce.
    encr("rfc3686(ctr(aria))", None, SEQIV, 128, 160, false, NO_SADB),
    encr(
        "cbc(twofish)",
        Some("twofish"),
        ECHAINIV,
        128,
        128,
        true,
        sadb(SADB_X_EALG_TWOFISHCBC, 8, 128, 256),
    ),
    // 128-bit key + 32-bit nonce.
    encr("rfc3686(ctr(aes))", None, SEQIV, 128, 160, true, sadb(SADB_X_EALG_AESCTR, 8, 160, 288)),
    encr("cbc(sm4)", Some("sm4"), ECHAINIV, 128, 128, true, sadb(SADB_X_EALG_SM4CBC, 16, 128, 256)),
];

/// `calg_list[]`: compression algorithms (IPComp).
pub static CALG_LIST: [XfrmAlgoDesc; 3] = [
    comp("deflate", 90, SADB_X_CALG_DEFLATE),
    comp("lzs", 90, SADB_X_CALG_LZS),
    comp("lzjh", 50, SADB_X_CALG_LZJH),
];

/// `xfrm_find_algo()`: the first entry that matches decides — it is
/// returned if available, otherwise the search stops (a later entry with the
/// same id or name is never considered).
fn xfrm_find_algo(
    profile: &KernelProfile,
    list: &'static [XfrmAlgoDesc],
    matches: impl Fn(&XfrmAlgoDesc) -> bool,
) -> Option<&'static XfrmAlgoDesc> {
    let entry = list.iter().find(|e| matches(e))?;
    profile.algo_available(entry).then_some(entry)
}

/// `xfrm_alg_name_match()`: the name or the compat name, compared exactly.
fn name_match(entry: &XfrmAlgoDesc, name: &[u8]) -> bool {
    entry.name.as_bytes() == name || entry.compat.is_some_and(|c| c.as_bytes() == name)
}

/// `xfrm_aalg_get_byid()`: the authentication algorithm with this PF_KEY id.
pub fn xfrm_aalg_get_byid(profile: &KernelProfile, alg_id: u8) -> Option<&'static XfrmAlgoDesc> {
    xfrm_find_algo(profile, &AALG_LIST, |e| e.desc.sadb_alg_id == alg_id)
}

/// `xfrm_ealg_get_byid()`: the encryption algorithm with this PF_KEY id.
pub fn xfrm_ealg_get_byid(profile: &KernelProfile, alg_id: u8) -> Option<&'static XfrmAlgoDesc> {
    xfrm_find_algo(profile, &EALG_LIST, |e| e.desc.sadb_alg_id == alg_id)
}

/// `xfrm_calg_get_byid()`: the compression algorithm with this PF_KEY id.
pub fn xfrm_calg_get_byid(profile: &KernelProfile, alg_id: u8) -> Option<&'static XfrmAlgoDesc> {
    xfrm_find_algo(profile, &CALG_LIST, |e| e.desc.sadb_alg_id == alg_id)
}

/// `xfrm_aalg_get_byname()`: by crypto name or compat name.
pub fn xfrm_aalg_get_byname(
    profile: &KernelProfile,
    name: impl AsRef<[u8]>,
) -> Option<&'static XfrmAlgoDesc> {
    let name = name.as_ref();
    xfrm_find_algo(profile, &AALG_LIST, |e| name_match(e, name))
}

/// `xfrm_ealg_get_byname()`: by crypto name or compat name.
pub fn xfrm_ealg_get_byname(
    profile: &KernelProfile,
    name: impl AsRef<[u8]>,
) -> Option<&'static XfrmAlgoDesc> {
    let name = name.as_ref();
    xfrm_find_algo(profile, &EALG_LIST, |e| name_match(e, name))
}

/// `xfrm_calg_get_byname()`: by crypto name or compat name.
pub fn xfrm_calg_get_byname(
    profile: &KernelProfile,
    name: impl AsRef<[u8]>,
) -> Option<&'static XfrmAlgoDesc> {
    let name = name.as_ref();
    xfrm_find_algo(profile, &CALG_LIST, |e| name_match(e, name))
}

/// `xfrm_aead_get_byname()`: by exact crypto name (no compat names) and ICV
/// length in bits.
pub fn xfrm_aead_get_byname(
    profile: &KernelProfile,
    name: impl AsRef<[u8]>,
    icv_len: u32,
) -> Option<&'static XfrmAlgoDesc> {
    let name = name.as_ref();
    xfrm_find_algo(profile, &AEAD_LIST, |e| {
        e.aead().is_some_and(|a| u32::from(a.icv_truncbits) == icv_len) && e.name.as_bytes() == name
    })
}

/// `xfrm_aalg_get_byidx()`: table position `idx`, available or not.
pub fn xfrm_aalg_get_byidx(idx: usize) -> Option<&'static XfrmAlgoDesc> {
    AALG_LIST.get(idx)
}

/// `xfrm_ealg_get_byidx()`: table position `idx`, available or not.
pub fn xfrm_ealg_get_byidx(idx: usize) -> Option<&'static XfrmAlgoDesc> {
    EALG_LIST.get(idx)
}

/// `xfrm_count_pfkey_auth_supported()`: available, PF_KEY-capable
/// authentication algorithms (the SUPPORTED_AUTH list length of REGISTER).
pub fn xfrm_count_pfkey_auth_supported(profile: &KernelProfile) -> usize {
    pfkey_supported_algs(profile, &AALG_LIST).count()
}

/// `xfrm_count_pfkey_enc_supported()`: available, PF_KEY-capable encryption
/// algorithms (the SUPPORTED_ENCRYPT list length of REGISTER).
pub fn xfrm_count_pfkey_enc_supported(profile: &KernelProfile) -> usize {
    pfkey_supported_algs(profile, &EALG_LIST).count()
}

/// The entries of `list` that are PF_KEY-capable and available, in table
/// order: what `compose_sadb_supported()` writes for REGISTER.
pub fn pfkey_supported_algs<'p>(
    profile: &'p KernelProfile,
    list: &'static [XfrmAlgoDesc],
) -> impl Iterator<Item = &'static XfrmAlgoDesc> + 'p {
    list.iter().filter(move |e| e.pfkey_supported && profile.algo_available(e))
}

/// A set of XFRM transform types (`xfrm_register_type()` registrations:
/// what `xfrm_get_type(proto, family)` finds), one bit per type module.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct XfrmTypeSet(u16);

impl XfrmTypeSet {
    /// No transform types.
    pub const NONE: XfrmTypeSet = XfrmTypeSet(0);
    /// `esp4`: ESP (50) for AF_INET.
    pub const ESP4: XfrmTypeSet = XfrmTypeSet(1 << 0);
    /// `esp6`: ESP (50) for AF_INET6.
    pub const ESP6: XfrmTypeSet = XfrmTypeSet(1 << 1);
    /// `ah4`: AH (51) for AF_INET.
    pub const AH4: XfrmTypeSet = XfrmTypeSet(1 << 2);
    /// `ah6`: AH (51) for AF_INET6.
    pub const AH6: XfrmTypeSet = XfrmTypeSet(1 << 3);
    /// `ipcomp`: IPComp (108) for AF_INET.
    pub const IPCOMP4: XfrmTypeSet = XfrmTypeSet(1 << 4);
    /// `ipcomp6`: IPComp (108) for AF_INET6.
    pub const IPCOMP6: XfrmTypeSet = XfrmTypeSet(1 << 5);
    /// `xfrm4_tunnel`: IPIP (4) for AF_INET.
    pub const IPIP4: XfrmTypeSet = XfrmTypeSet(1 << 6);
    /// `xfrm6_tunnel`: IPv6-in-IPv6 (41) for AF_INET6.
    pub const IPV6_6: XfrmTypeSet = XfrmTypeSet(1 << 7);
    /// `mip6`: routing header (43) and destination options (60) for AF_INET6.
    pub const MIP6: XfrmTypeSet = XfrmTypeSet(1 << 8);
    /// Every type module.
    pub const ALL: XfrmTypeSet = XfrmTypeSet(0x1ff);

    /// The union of two sets.
    pub const fn union(self, other: XfrmTypeSet) -> XfrmTypeSet {
        XfrmTypeSet(self.0 | other.0)
    }

    /// Whether every type of `other` is in this set.
    pub const fn contains(self, other: XfrmTypeSet) -> bool {
        self.0 & other.0 == other.0
    }

    /// `xfrm_get_type(proto, family) != NULL`.
    pub fn has_type(self, proto: u8, family: u16) -> bool {
        let bit = match (family, proto) {
            (AF_INET, 50) => Self::ESP4,
            (AF_INET6, 50) => Self::ESP6,
            (AF_INET, 51) => Self::AH4,
            (AF_INET6, 51) => Self::AH6,
            (AF_INET, 108) => Self::IPCOMP4,
            (AF_INET6, 108) => Self::IPCOMP6,
            (AF_INET, 4) => Self::IPIP4,
            (AF_INET6, 41) => Self::IPV6_6,
            (AF_INET6, 43) | (AF_INET6, 60) => Self::MIP6,
            _ => return false,
        };
        self.contains(bit)
    }
}

impl fmt::Debug for XfrmTypeSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        const NAMES: [&str; 9] = [
            "esp4",
            "esp6",
            "ah4",
            "ah6",
            "ipcomp",
            "ipcomp6",
            "xfrm4_tunnel",
            "xfrm6_tunnel",
            "mip6",
        ];
        let mut set = f.debug_set();
        for (i, name) in NAMES.iter().enumerate() {
            if self.0 & (1 << i) != 0 {
                set.entry(name);
            }
        }
        set.finish()
    }
}

/// Which entries of the algorithm tables the crypto API can instantiate
/// (what `crypto_has_ahash`/`skcipher`/`aead`/`acomp` answer).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CryptoAlgs {
    /// Every table entry.
    All,
    /// Only these canonical names.
    Only(&'static [&'static str]),
}

/// A simulated kernel's build and boot configuration as far as XFRM cares:
/// which crypto algorithms and transform types exist, and the
/// `net.core.{r,w}mem_{default,max}` sysctls that size socket buffers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KernelProfile {
    /// The profile's name (`"full"`, `"host"`, `"debian-6.1"`).
    pub name: &'static str,
    /// Registered transform types (ESP/AH/IPComp/tunnel/MIPv6 modules).
    pub xfrm_types: XfrmTypeSet,
    /// The crypto algorithms present (the entries' `available` bits).
    pub crypto: CryptoAlgs,
    /// `net.core.rmem_default`: a new socket's `sk_rcvbuf`.
    pub rmem_default: u32,
    /// `net.core.rmem_max`: the `SO_RCVBUF` cap.
    pub rmem_max: u32,
    /// `net.core.wmem_default`: a new socket's `sk_sndbuf`.
    pub wmem_default: u32,
    /// `net.core.wmem_max`: the `SO_SNDBUF` cap.
    pub wmem_max: u32,
}

/// `SK_RMEM_MAX`/`SK_WMEM_MAX` on 64-bit: 256 × `SKB_TRUESIZE(256)`.
const SK_MEM_DEFAULT: u32 = 212_992;

/// The algorithms Debian's 6.1 guest of the PF_KEY oracle can instantiate
/// (modules loaded, no auto-loading), as its REGISTER reply and netlink
/// requests show.
const DEBIAN_6_1_ALGS: &[&str] = &[
    "digest_null",
    "hmac(md5)",
    "hmac(sha1)",
    "hmac(sha256)",
    "ecb(cipher_null)",
    "cbc(aes)",
    "deflate",
];

/// The algorithms of the host kernel (6.18; `/proc/config.gz`, `/proc/crypto`):
/// built-in md5/sha1/sha256/sha512, hmac, aes, cbc/ctr/ecb, seqiv, deflate;
/// no des, cast5, blowfish, serpent, camellia, aria, twofish, sm3/sm4, xcbc,
/// cmac, gcm, ccm, chacha20.
const HOST_ALGS: &[&str] = &[
    "digest_null",
    "hmac(md5)",
    "hmac(sha1)",
    "hmac(sha256)",
    "hmac(sha384)",
    "hmac(sha512)",
    "ecb(cipher_null)",
    "cbc(aes)",
    "rfc3686(ctr(aes))",
    "deflate",
];

impl KernelProfile {
    /// Everything: every algorithm of the tables and every transform type,
    /// kernel-default buffer sysctls.
    pub const FULL: KernelProfile = KernelProfile {
        name: "full",
        xfrm_types: XfrmTypeSet::ALL,
        crypto: CryptoAlgs::All,
        rmem_default: SK_MEM_DEFAULT,
        rmem_max: SK_MEM_DEFAULT,
        wmem_default: SK_MEM_DEFAULT,
        wmem_max: SK_MEM_DEFAULT,
    };

    /// The netlink oracle's host kernel (6.18): no PF_KEY, no ESP/AH/IPComp
    /// (or any other) transform types, so SAs fail `EPROTONOSUPPORT` after
    /// validation; the crypto it has built in; its sysctls.
    pub const HOST: KernelProfile = KernelProfile {
        name: "host",
        xfrm_types: XfrmTypeSet::NONE,
        crypto: CryptoAlgs::Only(HOST_ALGS),
        rmem_default: SK_MEM_DEFAULT,
        rmem_max: 4_194_304,
        wmem_default: SK_MEM_DEFAULT,
        wmem_max: 4_194_304,
    };

    /// The PF_KEY oracle's QEMU guest (Debian 6.1.0-56): esp4/6, ah4/6,
    /// ipcomp/6 and the two tunnel types loaded, no mip6; its crypto; all
    /// buffer sysctls 212992.
    pub const DEBIAN_6_1: KernelProfile = KernelProfile {
        name: "debian-6.1",
        xfrm_types: XfrmTypeSet::ESP4
            .union(XfrmTypeSet::ESP6)
            .union(XfrmTypeSet::AH4)
            .union(XfrmTypeSet::AH6)
            .union(XfrmTypeSet::IPCOMP4)
            .union(XfrmTypeSet::IPCOMP6)
            .union(XfrmTypeSet::IPIP4)
            .union(XfrmTypeSet::IPV6_6),
        crypto: CryptoAlgs::Only(DEBIAN_6_1_ALGS),
        rmem_default: SK_MEM_DEFAULT,
        rmem_max: SK_MEM_DEFAULT,
        wmem_default: SK_MEM_DEFAULT,
        wmem_max: SK_MEM_DEFAULT,
    };

    /// Every profile, for listing.
    pub const ALL: [&'static KernelProfile; 3] =
        [&KernelProfile::FULL, &KernelProfile::HOST, &KernelProfile::DEBIAN_6_1];

    /// The profile called `name`.
    pub fn by_name(name: &str) -> Option<&'static KernelProfile> {
        KernelProfile::ALL.into_iter().find(|p| p.name == name)
    }

    /// `crypto_has_*(name)` for a table entry's canonical name.
    pub fn crypto_has_alg(&self, name: &str) -> bool {
        match self.crypto {
            CryptoAlgs::All => [&AEAD_LIST[..], &AALG_LIST[..], &EALG_LIST[..], &CALG_LIST[..]]
                .iter()
                .any(|l| l.iter().any(|e| e.name == name)),
            CryptoAlgs::Only(names) => names.contains(&name),
        }
    }

    /// The entry's `available` bit.
    pub fn algo_available(&self, entry: &XfrmAlgoDesc) -> bool {
        self.crypto_has_alg(entry.name)
    }

    /// `xfrm_get_type(proto, family) != NULL`.
    pub fn has_xfrm_type(&self, proto: u8, family: u16) -> bool {
        self.xfrm_types.has_type(proto, family)
    }
}

impl Default for KernelProfile {
    fn default() -> Self {
        KernelProfile::FULL
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const FULL: &KernelProfile = &KernelProfile::FULL;
    const DEB: &KernelProfile = &KernelProfile::DEBIAN_6_1;
    const HOST: &KernelProfile = &KernelProfile::HOST;

    #[test]
    fn byid_finds_table_entries() {
        let a = xfrm_aalg_get_byid(FULL, SADB_AALG_SHA1HMAC).map(|d| d.name);
        assert_eq!(a, Some("hmac(sha1)"));
        assert_eq!(xfrm_aalg_get_byid(FULL, 251).map(|d| d.name), Some("digest_null"));
        assert_eq!(xfrm_ealg_get_byid(FULL, 12).map(|d| d.name), Some("cbc(aes)"));
        assert_eq!(xfrm_ealg_get_byid(FULL, 253).map(|d| d.name), Some("cbc(twofish)"));
        assert_eq!(xfrm_ealg_get_byid(FULL, 24).map(|d| d.name), Some("cbc(sm4)"));
        assert_eq!(xfrm_calg_get_byid(FULL, 2).map(|d| d.name), Some("deflate"));
        assert!(xfrm_calg_get_byid(FULL, 1).is_none());
        // RIPEMD-160 left the table; its id no longer resolves.
        assert!(xfrm_aalg_get_byid(FULL, 8).is_none());
        // AEAD ids are not in the encryption list.
        assert!(xfrm_ealg_get_byid(FULL, SADB_X_EALG_AES_GCM_ICV16).is_none());
    }

    #[test]
    fn byid_zero_hits_entries_without_pfkey_encoding() {
        // The kernel compares desc.sadb_alg_id, which is 0 for entries
        // without a PF_KEY number: id 0 finds them (callers check
        // pfkey_supported, or never ask for 0).
        let a = xfrm_aalg_get_byid(FULL, 0).map(|d| (d.name, d.pfkey_supported));
        assert_eq!(a, Some(("cmac(aes)", false)));
        let e = xfrm_ealg_get_byid(FULL, 0).map(|d| (d.name, d.pfkey_supported));
        assert_eq!(e, Some(("cbc(aria)", false)));
        assert!(xfrm_aalg_get_byid(DEB, 0).is_none());
    }

    #[test]
    fn byname_accepts_compat_names() {
        assert_eq!(xfrm_aalg_get_byname(FULL, "sha1").map(|d| d.name), Some("hmac(sha1)"));
        assert_eq!(xfrm_ealg_get_byname(FULL, "aes").map(|d| d.name), Some("cbc(aes)"));
        assert_eq!(xfrm_ealg_get_byname(FULL, "cipher_null").map(|d| d.desc.sadb_alg_id), Some(11));
        assert_eq!(
            xfrm_calg_get_byname(FULL, "lzjh").and_then(|d| d.comp()).map(|c| c.threshold),
            Some(50)
        );
        assert!(xfrm_aalg_get_byname(FULL, "hmac(sha1) ").is_none());
        assert!(xfrm_aalg_get_byname(FULL, "sha384").is_none(), "sha384 has no compat name");
        assert!(xfrm_aalg_get_byname(FULL, "").is_none());
    }

    #[test]
    fn aead_by_name_and_icv() {
        let d = xfrm_aead_get_byname(FULL, "rfc4106(gcm(aes))", 96).map(|d| d.desc.sadb_alg_id);
        assert_eq!(d, Some(SADB_X_EALG_AES_GCM_ICV12));
        let d = xfrm_aead_get_byname(FULL, "rfc4309(ccm(aes))", 128).map(|d| d.desc.sadb_alg_id);
        assert_eq!(d, Some(SADB_X_EALG_AES_CCM_ICV16));
        assert!(xfrm_aead_get_byname(FULL, "rfc4106(gcm(aes))", 32).is_none());
        let c = xfrm_aead_get_byname(FULL, "rfc7539esp(chacha20,poly1305)", 128);
        assert_eq!(c.map(|d| d.pfkey_supported), Some(false));
        assert!(xfrm_aead_get_byname(DEB, "rfc4106(gcm(aes))", 128).is_none());
    }

    #[test]
    fn uinfo_values() {
        let sha256 = xfrm_aalg_get_byname(FULL, "hmac(sha256)").and_then(|d| d.auth());
        assert_eq!(sha256, Some(&XfrmAlgoAuthInfo { icv_truncbits: 96, icv_fullbits: 256 }));
        let ctr = xfrm_ealg_get_byid(FULL, SADB_X_EALG_AESCTR);
        assert_eq!(ctr.map(|d| d.desc), Some(sadb(13, 8, 160, 288)));
        assert_eq!(ctr.and_then(|d| d.encr()).map(|e| (e.geniv, e.defkeybits)), Some((SEQIV, 160)));
        let null = xfrm_ealg_get_byid(FULL, SADB_EALG_NULL).and_then(|d| d.encr());
        assert_eq!(null.map(|e| (e.geniv, e.blockbits)), Some((None, 8)));
        assert!(AEAD_LIST.iter().all(|d| d.aead().is_some()));
        assert!(AALG_LIST.iter().all(|d| d.auth().is_some()));
        assert!(EALG_LIST.iter().all(|d| d.encr().is_some()));
        assert!(CALG_LIST.iter().all(|d| d.comp().is_some()));
    }

    #[test]
    fn debian_profile_matches_the_guest_register_reply() {
        let auth: Vec<_> = pfkey_supported_algs(DEB, &AALG_LIST)
            .map(|d| (d.desc.sadb_alg_id, d.desc.sadb_alg_minbits))
            .collect();
        assert_eq!(auth, [(251, 0), (2, 128), (3, 160), (5, 256)]);
        let enc: Vec<_> = pfkey_supported_algs(DEB, &EALG_LIST).map(|d| d.desc).collect();
        assert_eq!(enc, [sadb(11, 0, 0, 0), sadb(12, 8, 128, 256)]);
        assert_eq!(xfrm_count_pfkey_auth_supported(DEB), 4);
        assert_eq!(xfrm_count_pfkey_enc_supported(DEB), 2);
        assert!(xfrm_ealg_get_byid(DEB, SADB_EALG_3DESCBC).is_none());
        assert!(xfrm_aalg_get_byid(DEB, SADB_X_AALG_SHA2_384HMAC).is_none());
        assert!(xfrm_calg_get_byid(DEB, SADB_X_CALG_DEFLATE).is_some());
        assert!(xfrm_calg_get_byid(DEB, SADB_X_CALG_LZS).is_none());
    }

    #[test]
    fn full_profile_counts_every_pfkey_entry() {
        assert_eq!(xfrm_count_pfkey_auth_supported(FULL), 8);
        assert_eq!(xfrm_count_pfkey_enc_supported(FULL), 11);
        for list in [&AEAD_LIST[..], &AALG_LIST, &EALG_LIST, &CALG_LIST] {
            assert!(list.iter().all(|e| FULL.algo_available(e)));
        }
    }

    #[test]
    fn host_profile_crypto_and_types() {
        assert!(xfrm_aalg_get_byname(HOST, "hmac(sha512)").is_some());
        assert!(xfrm_ealg_get_byname(HOST, "rfc3686(ctr(aes))").is_some());
        assert!(xfrm_ealg_get_byname(HOST, "cbc(des3_ede)").is_none());
        assert!(xfrm_aead_get_byname(HOST, "rfc4106(gcm(aes))", 128).is_none());
        assert!(!HOST.has_xfrm_type(50, AF_INET));
        assert!(!HOST.has_xfrm_type(4, AF_INET));
        assert_eq!(HOST.rmem_max, 4_194_304);
    }

    #[test]
    fn xfrm_types_by_family() {
        assert!(DEB.has_xfrm_type(50, AF_INET) && DEB.has_xfrm_type(50, AF_INET6));
        assert!(DEB.has_xfrm_type(108, AF_INET6));
        assert!(DEB.has_xfrm_type(4, AF_INET));
        assert!(!DEB.has_xfrm_type(4, AF_INET6));
        assert!(DEB.has_xfrm_type(41, AF_INET6));
        assert!(!DEB.has_xfrm_type(43, AF_INET6));
        assert!(FULL.has_xfrm_type(60, AF_INET6));
        assert!(!FULL.has_xfrm_type(60, AF_INET));
        assert!(!FULL.has_xfrm_type(6, AF_INET));
        assert_eq!(
            format!("{:?}", XfrmTypeSet::ESP4.union(XfrmTypeSet::MIP6)),
            r#"{"esp4", "mip6"}"#
        );
    }

    #[test]
    fn profiles_by_name() {
        assert_eq!(KernelProfile::by_name("full"), Some(&KernelProfile::FULL));
        assert_eq!(KernelProfile::by_name("debian-6.1").map(|p| p.wmem_max), Some(212_992));
        assert_eq!(KernelProfile::by_name("host").map(|p| p.name), Some("host"));
        assert!(KernelProfile::by_name("Full").is_none());
        assert_eq!(KernelProfile::default(), KernelProfile::FULL);
    }

    #[test]
    fn byidx_walks_tables_in_order() {
        assert_eq!(xfrm_aalg_get_byidx(0).map(|d| d.name), Some("digest_null"));
        assert_eq!(xfrm_aalg_get_byidx(AALG_LIST.len()), None);
        assert_eq!(xfrm_ealg_get_byidx(12).map(|d| d.name), Some("cbc(sm4)"));
        assert_eq!(xfrm_ealg_get_byidx(13), None);
    }
}
