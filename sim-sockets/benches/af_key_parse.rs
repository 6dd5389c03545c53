//! PF_KEY request validation: `pfkey_get_base_msg` + `parse_exthdrs` on a
//! typical SADB_ADD, and building that message from its representation.

use criterion::{Criterion, black_box, criterion_group, criterion_main};
use sim_sockets::af_key::parse::{parse_exthdrs, pfkey_get_base_msg};
use sim_sockets::af_key::wire::consts::*;
use sim_sockets::af_key::wire::*;

fn esp_add() -> SadbMessageRepr {
    let addr = |exttype, a| {
        SadbExtRepr::Address(SadbAddressRepr {
            exttype,
            proto: 0,
            prefixlen: 32,
            reserved: 0,
            addr: SockAddr::v4(a, 0),
        })
    };
    SadbMessageRepr {
        header: SadbMsgRepr {
            version: PF_KEY_V2,
            msg_type: SADB_ADD,
            satype: SADB_SATYPE_ESP,
            seq: 1,
            ..Default::default()
        },
        exts: vec![
            SadbExtRepr::Sa(SadbSaRepr {
                spi: 0x1000,
                replay: 32,
                auth: 3,
                encrypt: 12,
                ..Default::default()
            }),
            SadbExtRepr::Lifetime(SadbLifetimeRepr {
                exttype: SADB_EXT_LIFETIME_HARD,
                addtime: 3600,
                ..Default::default()
            }),
            SadbExtRepr::Lifetime(SadbLifetimeRepr {
                exttype: SADB_EXT_LIFETIME_SOFT,
                addtime: 3000,
                ..Default::default()
            }),
            addr(SADB_EXT_ADDRESS_SRC, [10, 0, 0, 1]),
            addr(SADB_EXT_ADDRESS_DST, [10, 0, 0, 2]),
            SadbExtRepr::Key(SadbKeyRepr {
                exttype: SADB_EXT_KEY_AUTH,
                bits: 160,
                reserved: 0,
                key: vec![1; 20],
            }),
            SadbExtRepr::Key(SadbKeyRepr {
                exttype: SADB_EXT_KEY_ENCRYPT,
                bits: 128,
                reserved: 0,
                key: vec![2; 16],
            }),
            SadbExtRepr::Sa2(SadbXSa2Repr {
                mode: IPSEC_MODE_TUNNEL,
                reqid: 1,
                ..Default::default()
            }),
        ],
    }
}

fn bench(c: &mut Criterion) {
    let m = esp_add();
    let bytes = m.to_bytes();
    c.bench_function("pfkey_get_base_msg+parse_exthdrs (ADD, 8 exts)", |b| {
        b.iter(|| {
            let buf = black_box(&bytes[..]);
            pfkey_get_base_msg(buf).is_ok() && parse_exthdrs(buf).is_ok()
        })
    });
    c.bench_function("SadbMessageRepr::parse (ADD, 8 exts)", |b| {
        b.iter(|| SadbMessageRepr::parse(black_box(&bytes[..])).is_ok())
    });
    c.bench_function("SadbMessageRepr::to_bytes (ADD, 8 exts)", |b| {
        b.iter(|| black_box(&m).to_bytes())
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
