//! `struct sadb_supported` followed by `struct sadb_alg`s
//! (SUPPORTED_AUTH, SUPPORTED_ENCRYPT, in REGISTER replies).

use sim_core::KResult;
use sim_core::xfrm::algo_table::{
    AALG_LIST, EALG_LIST, KernelProfile, SadbAlgDesc, pfkey_supported_algs,
};

use super::consts::{SADB_EXT_SUPPORTED_AUTH, SADB_EXT_SUPPORTED_ENCRYPT};
use super::field;

sadb_view! {
    /// A view of `struct sadb_supported` (8 bytes) and the algorithms after it.
    view SadbSupported, size 8;
    /// `sadb_supported_len`.
    len, set_len: u16 @ 0;
    /// `sadb_supported_exttype`.
    exttype, set_exttype: u16 @ 2;
    /// `sadb_supported_reserved`.
    reserved, set_reserved: u32 @ 4;
}

sadb_fixed! {
    /// A view of `struct sadb_alg` (8 bytes): one supported algorithm.
    view SadbAlg, size 8;
    /// `struct sadb_alg` as values.
    repr SadbAlgRepr, ext none;
    /// `sadb_alg_id`.
    id, set_id: u8 @ 0;
    /// `sadb_alg_ivlen`.
    ivlen, set_ivlen: u8 @ 1;
    /// `sadb_alg_minbits`.
    minbits, set_minbits: u16 @ 2;
    /// `sadb_alg_maxbits`.
    maxbits, set_maxbits: u16 @ 4;
    /// `sadb_alg_reserved`.
    reserved, set_reserved: u16 @ 6;
}

impl From<SadbAlgDesc> for SadbAlgRepr {
    /// The `desc` member of an algorithm-table entry, as the kernel copies it.
    fn from(d: SadbAlgDesc) -> Self {
        SadbAlgRepr {
            id: d.sadb_alg_id,
            ivlen: d.sadb_alg_ivlen,
            minbits: d.sadb_alg_minbits,
            maxbits: d.sadb_alg_maxbits,
            reserved: 0,
        }
    }
}

/// `struct sadb_supported` with its algorithms, as values.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SadbSupportedRepr {
    /// `sadb_supported_exttype`: `SADB_EXT_SUPPORTED_{AUTH,ENCRYPT}`.
    pub exttype: u16,
    /// `sadb_supported_reserved`.
    pub reserved: u32,
    /// The `sadb_alg`s.
    pub algs: Vec<SadbAlgRepr>,
}

impl SadbSupportedRepr {
    /// Reads the header and every whole `sadb_alg` after it.
    pub fn parse<T: AsRef<[u8]>>(view: &SadbSupported<T>) -> KResult<Self> {
        let algs = view
            .payload()
            .chunks_exact(8)
            .map(|c| SadbAlgRepr::parse(&SadbAlg::new_unchecked(c)))
            .collect::<KResult<_>>()?;
        Ok(SadbSupportedRepr { exttype: view.exttype(), reserved: view.reserved(), algs })
    }

    /// Header plus the algorithms.
    pub fn buffer_len(&self) -> usize {
        8 + 8 * self.algs.len()
    }

    /// Writes the extension into at least `buffer_len()` bytes.
    pub fn emit<T: AsRef<[u8]> + AsMut<[u8]>>(&self, view: &mut SadbSupported<T>) {
        let len = self.buffer_len();
        field::zero(view.buffer.as_mut(), 0, len);
        view.set_len((len / 8) as u16);
        view.set_exttype(self.exttype);
        view.set_reserved(self.reserved);
        for (a, chunk) in self.algs.iter().zip(view.payload_mut().chunks_exact_mut(8)) {
            a.emit(&mut SadbAlg::new_unchecked(chunk));
        }
    }
}

/// The extensions of a REGISTER reply as `compose_sadb_supported()`
/// builds them: SUPPORTED_AUTH then SUPPORTED_ENCRYPT, each listing the
/// available PF_KEY-capable algorithms in table order, each left out when
/// its list is empty.
pub fn compose_sadb_supported(profile: &KernelProfile) -> Vec<SadbSupportedRepr> {
    [(SADB_EXT_SUPPORTED_AUTH, &AALG_LIST[..]), (SADB_EXT_SUPPORTED_ENCRYPT, &EALG_LIST[..])]
        .into_iter()
        .map(|(exttype, list)| SadbSupportedRepr {
            exttype,
            reserved: 0,
            algs: pfkey_supported_algs(profile, list).map(|d| d.desc.into()).collect(),
        })
        .filter(|s| !s.algs.is_empty())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::af_key::wire::consts::*;
    use sim_core::xfrm::algo_table::{AALG_LIST, EALG_LIST, KernelProfile, pfkey_supported_algs};

    #[test]
    fn debian_register_extensions_bytes() {
        // The guest's REGISTER reply after the header: SUPPORTED_AUTH with
        // {251,0,0,0} {2,0,128,128} {3,0,160,160} {5,0,256,256}, then
        // SUPPORTED_ENCRYPT with {11,0,0,0} {12,8,128,256}: 64 bytes.
        let p = &KernelProfile::DEBIAN_6_1;
        let auth = SadbSupportedRepr {
            exttype: SADB_EXT_SUPPORTED_AUTH,
            reserved: 0,
            algs: pfkey_supported_algs(p, &AALG_LIST).map(|d| d.desc.into()).collect(),
        };
        let enc = SadbSupportedRepr {
            exttype: SADB_EXT_SUPPORTED_ENCRYPT,
            reserved: 0,
            algs: pfkey_supported_algs(p, &EALG_LIST).map(|d| d.desc.into()).collect(),
        };
        let mut out = vec![0u8; auth.buffer_len() + enc.buffer_len()];
        let (a, e) = out.split_at_mut(auth.buffer_len());
        auth.emit(&mut SadbSupported::new_unchecked(a));
        enc.emit(&mut SadbSupported::new_unchecked(e));
        #[rustfmt::skip]
        let want: [u8; 64] = [
            5, 0, 14, 0, 0, 0, 0, 0,
            251, 0, 0, 0, 0, 0, 0, 0,
            2, 0, 128, 0, 128, 0, 0, 0,
            3, 0, 160, 0, 160, 0, 0, 0,
            5, 0, 0, 1, 0, 1, 0, 0,
            3, 0, 15, 0, 0, 0, 0, 0,
            11, 0, 0, 0, 0, 0, 0, 0,
            12, 8, 128, 0, 0, 1, 0, 0,
        ];
        assert_eq!(out[..], want[..]);
        let back = SadbSupportedRepr::parse(&SadbSupported::new_checked(&want[..40]).expect("8"));
        assert_eq!(back, Ok(auth));
    }

    #[test]
    fn algorithm_table_ids_are_the_uapi_numbers() {
        use sim_core::xfrm::algo_table::{
            AEAD_LIST, CALG_LIST, xfrm_aalg_get_byname, xfrm_calg_get_byname, xfrm_ealg_get_byname,
        };
        let p = &KernelProfile::FULL;
        let auth = [
            ("digest_null", SADB_X_AALG_NULL),
            ("hmac(md5)", SADB_AALG_MD5HMAC),
            ("hmac(sha1)", SADB_AALG_SHA1HMAC),
            ("hmac(sha256)", SADB_X_AALG_SHA2_256HMAC),
            ("hmac(sha384)", SADB_X_AALG_SHA2_384HMAC),
            ("hmac(sha512)", SADB_X_AALG_SHA2_512HMAC),
            ("xcbc(aes)", SADB_X_AALG_AES_XCBC_MAC),
            ("hmac(sm3)", SADB_X_AALG_SM3_256HMAC),
        ];
        for (name, id) in auth {
            assert_eq!(
                xfrm_aalg_get_byname(p, name).map(|d| d.desc.sadb_alg_id),
                Some(id),
                "{name}"
            );
        }
        let enc = [
            ("ecb(cipher_null)", SADB_EALG_NULL),
            ("cbc(des)", SADB_EALG_DESCBC),
            ("cbc(des3_ede)", SADB_EALG_3DESCBC),
            ("cbc(cast5)", SADB_X_EALG_CASTCBC),
            ("cbc(blowfish)", SADB_X_EALG_BLOWFISHCBC),
            ("cbc(aes)", SADB_X_EALG_AESCBC),
            ("cbc(serpent)", SADB_X_EALG_SERPENTCBC),
            ("cbc(camellia)", SADB_X_EALG_CAMELLIACBC),
            ("cbc(twofish)", SADB_X_EALG_TWOFISHCBC),
            ("rfc3686(ctr(aes))", SADB_X_EALG_AESCTR),
            ("cbc(sm4)", SADB_X_EALG_SM4CBC),
        ];
        for (name, id) in enc {
            assert_eq!(
                xfrm_ealg_get_byname(p, name).map(|d| d.desc.sadb_alg_id),
                Some(id),
                "{name}"
            );
        }
        let aead: Vec<u8> =
            AEAD_LIST.iter().filter(|d| d.pfkey_supported).map(|d| d.desc.sadb_alg_id).collect();
        assert_eq!(
            aead,
            [
                SADB_X_EALG_AES_GCM_ICV8,
                SADB_X_EALG_AES_GCM_ICV12,
                SADB_X_EALG_AES_GCM_ICV16,
                SADB_X_EALG_AES_CCM_ICV8,
                SADB_X_EALG_AES_CCM_ICV12,
                SADB_X_EALG_AES_CCM_ICV16,
                SADB_X_EALG_NULL_AES_GMAC,
            ]
        );
        assert_eq!(
            xfrm_calg_get_byname(p, "deflate").map(|d| d.desc.sadb_alg_id),
            Some(SADB_X_CALG_DEFLATE)
        );
        let calg: Vec<u8> = CALG_LIST.iter().map(|d| d.desc.sadb_alg_id).collect();
        assert_eq!(calg, [SADB_X_CALG_DEFLATE, SADB_X_CALG_LZS, SADB_X_CALG_LZJH]);
        assert!(calg.iter().all(|&id| id <= SADB_X_CALG_MAX));
    }

    #[test]
    fn register_reply_sizes_per_profile() {
        use crate::af_key::wire::{SadbExtRepr, SadbMessageRepr, SadbMsgRepr};
        let reply = |p| {
            let exts = compose_sadb_supported(p).into_iter().map(SadbExtRepr::Supported).collect();
            let header =
                SadbMsgRepr { version: PF_KEY_V2, msg_type: SADB_REGISTER, ..Default::default() };
            SadbMessageRepr { header, exts }.to_bytes()
        };
        // the guest's REGISTER reply is always 80 bytes
        let deb = reply(&KernelProfile::DEBIAN_6_1);
        assert_eq!(deb.len(), 80);
        assert_eq!(deb[4..6], [10, 0]);
        assert_eq!(reply(&KernelProfile::FULL).len(), 16 + 8 + 8 * 8 + 8 + 11 * 8);
        // host: null, md5, sha1, sha256, sha384, sha512; null, aes-cbc, aes-ctr
        assert_eq!(reply(&KernelProfile::HOST).len(), 16 + 8 + 6 * 8 + 8 + 3 * 8);
    }
}
