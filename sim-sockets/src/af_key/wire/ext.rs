//! The fixed-size extensions.

use super::consts::*;

sadb_fixed! {
    /// A view of `struct sadb_sa` (16 bytes, `SADB_EXT_SA`).
    view SadbSa, size 16;
    /// `struct sadb_sa` as values.
    repr SadbSaRepr, ext fixed(SADB_EXT_SA);
    /// `sadb_sa_spi`: the SPI (network order on the wire).
    spi, set_spi: be32 @ 4;
    /// `sadb_sa_replay`: replay window in packets.
    replay, set_replay: u8 @ 8;
    /// `sadb_sa_state`: `SADB_SASTATE_*` (ignored in requests).
    state, set_state: u8 @ 9;
    /// `sadb_sa_auth`: `SADB_*AALG_*`.
    auth, set_auth: u8 @ 10;
    /// `sadb_sa_encrypt`: `SADB_*EALG_*`, or `SADB_X_CALG_*` for IPCOMP.
    encrypt, set_encrypt: u8 @ 11;
    /// `sadb_sa_flags`: `SADB_SAFLAGS_*`.
    flags, set_flags: u32 @ 12;
}

sadb_fixed! {
    /// A view of `struct sadb_lifetime` (32 bytes; CURRENT, HARD, SOFT).
    view SadbLifetime, size 32;
    /// `struct sadb_lifetime` as values.
    repr SadbLifetimeRepr, ext var;
    /// `sadb_lifetime_exttype`: `SADB_EXT_LIFETIME_{CURRENT,HARD,SOFT}`.
    exttype, set_exttype: u16 @ 2;
    /// `sadb_lifetime_allocations`: packets (0 = no limit in requests).
    allocations, set_allocations: u32 @ 4;
    /// `sadb_lifetime_bytes` (0 = no limit in requests).
    bytes, set_bytes: u64 @ 8;
    /// `sadb_lifetime_addtime`: seconds after adding (a time stamp in CURRENT).
    addtime, set_addtime: u64 @ 16;
    /// `sadb_lifetime_usetime`: seconds after first use (a time stamp in CURRENT).
    usetime, set_usetime: u64 @ 24;
}

sadb_fixed! {
    /// A view of `struct sadb_ident` (16 bytes; IDENTITY_SRC/DST).
    view SadbIdent, size 16;
    /// `struct sadb_ident` as values (the kernel ignores identities).
    repr SadbIdentRepr, ext var;
    /// `sadb_ident_exttype`: `SADB_EXT_IDENTITY_{SRC,DST}`.
    exttype, set_exttype: u16 @ 2;
    /// `sadb_ident_type`: `SADB_IDENTTYPE_*`.
    ident_type, set_ident_type: u16 @ 4;
    /// `sadb_ident_reserved`.
    reserved, set_reserved: u16 @ 6;
    /// `sadb_ident_id`.
    id, set_id: u64 @ 8;
}

sadb_fixed! {
    /// A view of `struct sadb_spirange` (16 bytes, `SADB_EXT_SPIRANGE`).
    view SadbSpirange, size 16;
    /// `struct sadb_spirange` as values.
    repr SadbSpirangeRepr, ext fixed(SADB_EXT_SPIRANGE);
    /// `sadb_spirange_min` (used as a host-order number).
    min, set_min: u32 @ 4;
    /// `sadb_spirange_max` (used as a host-order number).
    max, set_max: u32 @ 8;
    /// `sadb_spirange_reserved`.
    reserved, set_reserved: u32 @ 12;
}

sadb_fixed! {
    /// A view of `struct sadb_x_kmprivate` (8 bytes, `SADB_X_EXT_KMPRIVATE`).
    view SadbXKmprivate, size 8;
    /// `struct sadb_x_kmprivate` as values.
    repr SadbXKmprivateRepr, ext fixed(SADB_X_EXT_KMPRIVATE);
    /// `sadb_x_kmprivate_reserved`.
    reserved, set_reserved: u32 @ 4;
}

sadb_fixed! {
    /// A view of `struct sadb_x_sa2` (16 bytes, `SADB_X_EXT_SA2`).
    view SadbXSa2, size 16;
    /// `struct sadb_x_sa2` as values.
    repr SadbXSa2Repr, ext fixed(SADB_X_EXT_SA2);
    /// `sadb_x_sa2_mode`: `IPSEC_MODE_*`.
    mode, set_mode: u8 @ 4;
    /// `sadb_x_sa2_reserved1`.
    reserved1, set_reserved1: u8 @ 5;
    /// `sadb_x_sa2_reserved2`.
    reserved2, set_reserved2: u16 @ 6;
    /// `sadb_x_sa2_sequence`.
    sequence, set_sequence: u32 @ 8;
    /// `sadb_x_sa2_reqid`.
    reqid, set_reqid: u32 @ 12;
}

sadb_fixed! {
    /// A view of `struct sadb_x_nat_t_type` (8 bytes, `SADB_X_EXT_NAT_T_TYPE`).
    view SadbXNatTType, size 8;
    /// `struct sadb_x_nat_t_type` as values.
    repr SadbXNatTTypeRepr, ext fixed(SADB_X_EXT_NAT_T_TYPE);
    /// `sadb_x_nat_t_type_type`: the UDP encapsulation type.
    nat_t_type, set_nat_t_type: u8 @ 4;
}

sadb_fixed! {
    /// A view of `struct sadb_x_nat_t_port` (8 bytes; NAT_T_SPORT/DPORT).
    view SadbXNatTPort, size 8;
    /// `struct sadb_x_nat_t_port` as values.
    repr SadbXNatTPortRepr, ext var;
    /// `sadb_x_nat_t_port_exttype`: `SADB_X_EXT_NAT_T_{SPORT,DPORT}`.
    exttype, set_exttype: u16 @ 2;
    /// `sadb_x_nat_t_port_port` (network order on the wire).
    port, set_port: be16 @ 4;
    /// `sadb_x_nat_t_port_reserved`.
    reserved, set_reserved: u16 @ 6;
}

sadb_fixed! {
    /// A view of `struct sadb_x_filter` (40 bytes, `SADB_X_EXT_FILTER`).
    view SadbXFilter, size 40;
    /// `struct sadb_x_filter` as values.
    repr SadbXFilterRepr, ext fixed(SADB_X_EXT_FILTER);
    /// `sadb_x_filter_saddr` (an `xfrm_address_t`, copied as bytes).
    saddr, set_saddr: bytes16 @ 4;
    /// `sadb_x_filter_daddr` (an `xfrm_address_t`, copied as bytes).
    daddr, set_daddr: bytes16 @ 20;
    /// `sadb_x_filter_family`.
    family, set_family: u16 @ 36;
    /// `sadb_x_filter_splen`: source prefix length.
    splen, set_splen: u8 @ 38;
    /// `sadb_x_filter_dplen`: destination prefix length.
    dplen, set_dplen: u8 @ 39;
}

#[cfg(test)]
mod tests {
    use super::*;
    use sim_core::Errno;

    #[test]
    fn sa_bytes() {
        // sadb_sa: len 2, type 1, spi 0x12345678 (network order), replay 32,
        // state MATURE, auth SHA1, encrypt AES-CBC, flags NOECN.
        let bytes: [u8; 16] = [2, 0, 1, 0, 0x12, 0x34, 0x56, 0x78, 32, 1, 3, 12, 0, 0, 0, 0x80];
        let repr = SadbSaRepr {
            spi: 0x1234_5678,
            replay: 32,
            state: SADB_SASTATE_MATURE,
            auth: SADB_AALG_SHA1HMAC,
            encrypt: SADB_X_EALG_AESCBC,
            flags: SADB_SAFLAGS_NOECN,
        };
        let view = SadbSa::new_checked(&bytes[..]).expect("16 bytes");
        assert_eq!(SadbSaRepr::parse(&view), Ok(repr));
        let mut out = [0xffu8; 16];
        repr.emit(&mut SadbSa::new_unchecked(&mut out[..]));
        assert_eq!(out, bytes);
    }

    #[test]
    fn fixed_type_is_checked() {
        let mut bytes = [0u8; 16];
        SadbSaRepr::default().emit(&mut SadbSa::new_unchecked(&mut bytes[..]));
        bytes[2] = 19;
        let view = SadbSa::new_checked(&bytes[..]).expect("16 bytes");
        assert_eq!(SadbSaRepr::parse(&view), Err(Errno::EINVAL));
        assert_eq!(SadbSa::new_checked(&bytes[..15]).err(), Some(Errno::EINVAL));
    }

    #[test]
    fn lifetime_bytes() {
        let repr = SadbLifetimeRepr {
            exttype: SADB_EXT_LIFETIME_HARD,
            allocations: 5,
            bytes: 0x0102_0304_0506_0708,
            addtime: 30,
            usetime: 1,
        };
        let mut out = [0u8; 32];
        repr.emit(&mut SadbLifetime::new_unchecked(&mut out[..]));
        let mut want = [0u8; 32];
        want[..8].copy_from_slice(&[4, 0, 3, 0, 5, 0, 0, 0]);
        want[8..16].copy_from_slice(&[8, 7, 6, 5, 4, 3, 2, 1]);
        want[16] = 30;
        want[24] = 1;
        assert_eq!(out, want);
        assert_eq!(
            SadbLifetimeRepr::parse(&SadbLifetime::new_checked(&out[..]).expect("32")),
            Ok(repr)
        );
    }

    #[test]
    fn sa2_spirange_nat_t_bytes() {
        let mut out = [0u8; 16];
        SadbXSa2Repr { mode: IPSEC_MODE_TUNNEL, reqid: 0x4001, ..Default::default() }
            .emit(&mut SadbXSa2::new_unchecked(&mut out[..]));
        assert_eq!(out, [2, 0, 19, 0, 2, 0, 0, 0, 0, 0, 0, 0, 0x01, 0x40, 0, 0]);

        SadbSpirangeRepr { min: 0x100, max: 0x0fff_ffff, reserved: 0 }
            .emit(&mut SadbSpirange::new_unchecked(&mut out[..]));
        assert_eq!(out, [2, 0, 16, 0, 0, 1, 0, 0, 0xff, 0xff, 0xff, 0x0f, 0, 0, 0, 0]);

        let mut p = [0u8; 8];
        SadbXNatTPortRepr { exttype: SADB_X_EXT_NAT_T_DPORT, port: 4500, reserved: 0 }
            .emit(&mut SadbXNatTPort::new_unchecked(&mut p[..]));
        assert_eq!(p, [1, 0, 22, 0, 0x11, 0x94, 0, 0]);

        SadbXNatTTypeRepr { nat_t_type: 2 }.emit(&mut SadbXNatTType::new_unchecked(&mut p[..]));
        assert_eq!(p, [1, 0, 20, 0, 2, 0, 0, 0]);

        SadbXKmprivateRepr { reserved: 7 }.emit(&mut SadbXKmprivate::new_unchecked(&mut p[..]));
        assert_eq!(p, [1, 0, 17, 0, 7, 0, 0, 0]);
    }

    #[test]
    fn ident_and_filter_bytes() {
        let mut out = [0u8; 16];
        SadbIdentRepr {
            exttype: SADB_EXT_IDENTITY_DST,
            ident_type: SADB_IDENTTYPE_FQDN,
            reserved: 0,
            id: 9,
        }
        .emit(&mut SadbIdent::new_unchecked(&mut out[..]));
        assert_eq!(out, [2, 0, 11, 0, 2, 0, 0, 0, 9, 0, 0, 0, 0, 0, 0, 0]);

        let mut f = [0u8; 40];
        let mut saddr = [0u8; 16];
        saddr[..4].copy_from_slice(&[10, 0, 0, 1]);
        let repr = SadbXFilterRepr { saddr, daddr: [0; 16], family: AF_INET, splen: 24, dplen: 0 };
        repr.emit(&mut SadbXFilter::new_unchecked(&mut f[..]));
        assert_eq!(f[..8], [5, 0, 26, 0, 10, 0, 0, 1]);
        assert_eq!(f[36..], [2, 0, 24, 0]);
        assert_eq!(
            SadbXFilterRepr::parse(&SadbXFilter::new_checked(&f[..]).expect("40")),
            Ok(repr)
        );
    }
}
