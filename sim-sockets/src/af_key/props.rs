//! Property tests over the PF_KEY wire code: no input makes the parsers
//! panic, built messages round-trip, and `parse_exthdrs()` accepts what the
//! representations emit.

use proptest::prelude::*;

use super::parse::{parse_exthdrs, pfkey_get_base_msg};
use super::wire::consts::*;
use super::wire::*;

fn sockaddr() -> impl Strategy<Value = SockAddr> {
    prop_oneof![
        (any::<[u8; 4]>(), any::<u16>()).prop_map(|(a, p)| SockAddr::v4(a, p)),
        (any::<[u8; 16]>(), any::<u16>(), any::<u32>(), any::<u32>()).prop_map(
            |(addr, port, flowinfo, scope_id)| {
                SockAddr::In6(SockAddrIn6 { port, flowinfo, addr, scope_id })
            }
        ),
    ]
}

fn address(exttype: u16) -> impl Strategy<Value = SadbExtRepr> {
    (any::<u8>(), sockaddr()).prop_map(move |(proto, addr)| {
        let prefixlen = proto % (addr.full_prefixlen() + 1);
        SadbExtRepr::Address(SadbAddressRepr { exttype, proto, prefixlen, reserved: 0, addr })
    })
}

fn key(exttype: u16) -> impl Strategy<Value = SadbExtRepr> {
    proptest::collection::vec(any::<u8>(), 0..64).prop_map(move |key| {
        SadbExtRepr::Key(SadbKeyRepr { exttype, bits: (key.len() * 8) as u16, reserved: 0, key })
    })
}

/// One extension of each of a random subset of types, in random order.
fn extensions() -> impl Strategy<Value = Vec<SadbExtRepr>> {
    let sa = (any::<u32>(), any::<u8>(), any::<u8>(), any::<u8>(), any::<u32>()).prop_map(
        |(spi, replay, auth, encrypt, flags)| {
            SadbExtRepr::Sa(SadbSaRepr { spi, replay, state: 0, auth, encrypt, flags })
        },
    );
    let hard =
        (any::<u32>(), any::<u64>(), any::<u64>()).prop_map(|(allocations, bytes, addtime)| {
            SadbExtRepr::Lifetime(SadbLifetimeRepr {
                exttype: SADB_EXT_LIFETIME_HARD,
                allocations,
                bytes,
                addtime,
                usetime: 0,
            })
        });
    let sa2 = (0u8..5, any::<u32>()).prop_map(|(mode, reqid)| {
        SadbExtRepr::Sa2(SadbXSa2Repr { mode, reqid, ..Default::default() })
    });
    let sec = proptest::collection::vec(any::<u8>(), 0..40)
        .prop_map(|ctx| SadbExtRepr::SecCtx(SadbXSecCtxRepr { ctx_alg: 1, ctx_doi: 1, ctx }));
    let spirange = (any::<u32>(), any::<u32>())
        .prop_map(|(min, max)| SadbExtRepr::Spirange(SadbSpirangeRepr { min, max, reserved: 0 }));
    (
        proptest::option::of(sa),
        proptest::option::of(hard),
        proptest::option::of(address(SADB_EXT_ADDRESS_SRC)),
        proptest::option::of(address(SADB_EXT_ADDRESS_DST)),
        proptest::option::of(key(SADB_EXT_KEY_AUTH)),
        proptest::option::of(sa2),
        proptest::option::of(sec),
        proptest::option::of(spirange),
    )
        .prop_map(|(a, b, c, d, e, f, g, h)| {
            [a, b, c, d, e, f, g, h].into_iter().flatten().collect::<Vec<_>>()
        })
        .prop_shuffle()
}

proptest! {
    #[test]
    fn parsers_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..256)) {
        let _ = pfkey_get_base_msg(&bytes);
        let _ = parse_exthdrs(&bytes);
        let _ = SadbMessageRepr::parse(&bytes);
        if bytes.len() > 16 {
            let _ = SadbExtRepr::parse(&bytes[16..]);
        }
    }

    #[test]
    fn mutated_valid_messages_never_panic(exts in extensions(), pos in any::<usize>(), val in any::<u8>()) {
        let mut bytes = SadbMessageRepr { header: SadbMsgRepr { version: PF_KEY_V2, msg_type: SADB_ADD, ..Default::default() }, exts }.to_bytes();
        let i = pos % bytes.len();
        bytes[i] = val;
        if let Ok(h) = parse_exthdrs(&bytes) {
            // every recorded extension is readable through the typed accessors
            let _ = h.sa().map(|s| s.spi());
            let _ = h.sockaddr(SADB_EXT_ADDRESS_SRC);
            let _ = h.key_bytes(SADB_EXT_KEY_AUTH);
            let _ = h.present_and_same_family();
        }
        let _ = SadbMessageRepr::parse(&bytes);
    }

    #[test]
    fn built_messages_round_trip_and_pass_the_kernel_checks(exts in extensions(), seq in any::<u32>(), pid in any::<u32>()) {
        let m = SadbMessageRepr {
            header: SadbMsgRepr { version: PF_KEY_V2, msg_type: SADB_ADD, satype: SADB_SATYPE_ESP, seq, pid, ..Default::default() },
            exts,
        };
        let bytes = m.to_bytes();
        prop_assert_eq!(bytes.len() % 8, 0);
        prop_assert!(pfkey_get_base_msg(&bytes).is_ok());
        let h = parse_exthdrs(&bytes).expect("emitted extensions are valid");
        prop_assert_eq!(h.iter().count(), m.exts.len());
        for e in &m.exts {
            prop_assert_eq!(h.get(e.exttype()).map(<[u8]>::len), Some(e.buffer_len()));
        }
        let mut back = SadbMessageRepr::parse(&bytes).expect("parses");
        prop_assert_eq!(usize::from(back.header.len) * 8, bytes.len());
        back.header.len = m.header.len;
        prop_assert_eq!(back, m);
    }
}
