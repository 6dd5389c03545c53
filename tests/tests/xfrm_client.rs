//! An independent NETLINK_XFRM client: requests are built with the
//! `netlink-packet-xfrm` crate (not with this project's wire code), sent to
//! the simulation, and every reply and notification any socket receives is
//! parsed back with that crate and checked field by field.

mod nlclient;

use std::net::IpAddr;

use netlink_packet_core::{NLM_F_ACK, NLM_F_DUMP, NetlinkPayload};
use netlink_packet_xfrm::policy::{
    DefaultMessage, DelGetMessage as PolicyDelGet, FlushMessage as PolicyFlush, GetSpdInfoMessage,
    ModifyMessage as PolicyModify, SpdInfoAttrs,
};
use netlink_packet_xfrm::state::{
    AllocSpiMessage, DelGetMessage as SaDelGet, FlushMessage as SaFlush, GetSadInfoMessage,
};
use netlink_packet_xfrm::{
    Mark, Selector, UserPolicyDefault, UserPolicyId, UserPolicyInfo, UserSaId, UserSpiInfo,
    UserTemplate, XfrmAttrs, XfrmMessage, state::SadInfoAttrs,
};
use nlclient::{Client, Delivered, XfrmNlMsg, error_code, msgs, parse_datagram, request};

/// `NLM_F_MULTI`.
const NLM_F_MULTI: u16 = 2;
const ENOENT: i32 = 2;
const ESRCH: i32 = 3;
const EEXIST: i32 = 17;
const XFRM_POLICY_OUT: u8 = 1;
const XFRM_POLICY_IN: u8 = 0;
const IPPROTO_ESP: u8 = 50;
const XFRM_MODE_TUNNEL: u8 = 1;
/// Every XFRMNLGRP_* group as a bind mask.
const ALL_GROUPS: u32 = 0xff;

fn ip(s: &str) -> IpAddr {
    s.parse().unwrap()
}

fn selector(src: &str, slen: u8, dst: &str, dlen: u8) -> Selector {
    let mut sel = Selector::default();
    sel.source_prefix(&ip(src), slen);
    sel.destination_prefix(&ip(dst), dlen);
    sel
}

fn policy_info(sel: Selector, dir: u8, priority: u32) -> UserPolicyInfo {
    UserPolicyInfo { selector: sel, direction: dir, priority, ..Default::default() }
}

fn tunnel_tmpl() -> UserTemplate {
    let mut t = UserTemplate::default();
    t.source(&ip("192.0.2.1"));
    t.destination(&ip("192.0.2.2"));
    t.protocol(IPPROTO_ESP);
    t.mode(XFRM_MODE_TUNNEL);
    t.reqid(7);
    t.aalgos = u32::MAX;
    t.ealgos = u32::MAX;
    t.calgos = u32::MAX;
    t
}

/// The only message of a step's single datagram on `sock`.
fn only<'a>(d: &'a Delivered, sock: &str) -> &'a XfrmNlMsg {
    let m = msgs(d, sock);
    assert_eq!(m.len(), 1, "{sock}: one message expected, got {m:?}");
    m[0]
}

fn assert_ack(d: &Delivered, sock: &str, seq: u32) {
    let m = only(d, sock);
    assert_eq!(error_code(m), Some(0), "{sock}: ACK expected, got {m:?}");
    assert_eq!(m.header.sequence_number, seq);
}

fn assert_error(d: &Delivered, sock: &str, errno: i32) {
    let m = only(d, sock);
    assert_eq!(error_code(m), Some(-errno), "{sock}: error {errno} expected, got {m:?}");
}

fn quiet(d: &Delivered, sock: &str) {
    assert!(msgs(d, sock).is_empty(), "{sock}: nothing expected, got {:?}", msgs(d, sock));
}

fn inner(m: &XfrmNlMsg) -> &XfrmMessage {
    match &m.payload {
        NetlinkPayload::InnerMessage(x) => x,
        other => panic!("an XFRM message expected, got {other:?}"),
    }
}

/// The policy of a NEWPOLICY/UPDPOLICY message.
fn policy_of(m: &XfrmNlMsg) -> &PolicyModify {
    match inner(m) {
        XfrmMessage::AddPolicy(p) | XfrmMessage::UpdatePolicy(p) => p,
        other => panic!("a policy expected, got {other:?}"),
    }
}

fn policy_lifecycle(c: &mut Client) {
    c.open("A", 1000, 0);
    c.open("L", 2000, ALL_GROUPS);

    // NEWPOLICY out with a template, a mark and an if_id.
    let sel_out = selector("10.0.0.0", 24, "10.0.1.0", 24);
    let mut add = PolicyModify {
        user_policy_info: policy_info(sel_out, XFRM_POLICY_OUT, 100),
        nlas: vec![
            XfrmAttrs::Template(vec![tunnel_tmpl()]),
            XfrmAttrs::Mark(Mark { value: 0x102, mask: 0xff }),
            XfrmAttrs::IfId(42),
        ],
    };
    let d = c.send("A", &request(XfrmMessage::AddPolicy(add.clone()), NLM_F_ACK, 1));
    assert_ack(&d, "A", 1);
    let n = only(&d, "L");
    assert_eq!(n.header.sequence_number, 1);
    let p = policy_of(n);
    assert!(matches!(inner(n), XfrmMessage::AddPolicy(_)));
    assert_eq!(p.user_policy_info.selector, sel_out);
    assert_eq!(p.user_policy_info.priority, 100);
    assert_eq!(p.user_policy_info.index, 1, "the first out policy of a netns is index 1");
    assert!(p.nlas.contains(&XfrmAttrs::Template(vec![tunnel_tmpl()])));
    assert!(p.nlas.contains(&XfrmAttrs::Mark(Mark { value: 2, mask: 0xff })), "mark stored masked");
    assert!(p.nlas.contains(&XfrmAttrs::IfId(42)));

    // NEWPOLICY in (v6): index 8; the duplicate out policy: EEXIST.
    let sel_in = selector("2001:db8:1::", 48, "2001:db8:2::", 48);
    let d = c.send(
        "A",
        &request(
            XfrmMessage::AddPolicy(PolicyModify {
                user_policy_info: policy_info(sel_in, XFRM_POLICY_IN, 5),
                nlas: vec![],
            }),
            NLM_F_ACK,
            2,
        ),
    );
    assert_ack(&d, "A", 2);
    assert_eq!(policy_of(only(&d, "L")).user_policy_info.index, 8);
    let d = c.send("A", &request(XfrmMessage::AddPolicy(add.clone()), NLM_F_ACK, 3));
    assert_error(&d, "A", EEXIST);
    quiet(&d, "L");

    // GETPOLICY by selector (with the mark and if_id): the policy comes back.
    let get = PolicyDelGet {
        user_policy_id: UserPolicyId {
            selector: sel_out,
            direction: XFRM_POLICY_OUT,
            ..Default::default()
        },
        nlas: vec![XfrmAttrs::Mark(Mark { value: 2, mask: 0xff }), XfrmAttrs::IfId(42)],
    };
    let d = c.send("A", &request(XfrmMessage::GetPolicy(get.clone()), 0, 4));
    let r = only(&d, "A");
    assert_eq!(r.header.port_number, 1000);
    assert_eq!(policy_of(r).user_policy_info.index, 1);
    quiet(&d, "L");

    // UPDPOLICY keeps the index and notifies as UPDPOLICY.
    add.user_policy_info.priority = 7;
    let d = c.send("A", &request(XfrmMessage::UpdatePolicy(add.clone()), NLM_F_ACK, 5));
    assert_ack(&d, "A", 5);
    let n = only(&d, "L");
    assert!(matches!(inner(n), XfrmMessage::UpdatePolicy(_)));
    assert_eq!(policy_of(n).user_policy_info.priority, 7);
    assert_eq!(policy_of(n).user_policy_info.index, 1);

    // Dump: newest first (the update moved the out policy to the front),
    // NLM_F_MULTI on each, NLMSG_DONE in its own datagram.
    let dump = XfrmMessage::Other((0x15, Vec::new()));
    let d = c.send("A", &request(dump, NLM_F_DUMP, 6));
    let grams = &d["A"];
    assert_eq!(grams.len(), 2, "{grams:?}");
    let idx: Vec<u32> = grams[0].iter().map(|m| policy_of(m).user_policy_info.index).collect();
    assert_eq!(idx, [1, 8]);
    assert!(grams[0].iter().all(|m| m.header.flags & NLM_F_MULTI != 0));
    assert!(matches!(grams[1][..], [ref m] if matches!(m.payload, NetlinkPayload::Done(_))));

    // GETSPDINFO: one in, one out.
    let d = c.send("A", &request(XfrmMessage::GetSpdInfo(GetSpdInfoMessage { flags: !0 }), 0, 7));
    let XfrmMessage::NewSpdInfo(info) = inner(only(&d, "A")) else { panic!("NEWSPDINFO expected") };
    let counts = info
        .nlas
        .iter()
        .find_map(|a| if let SpdInfoAttrs::SpdInfo(i) = a { Some(i) } else { None })
        .expect("XFRMA_SPD_INFO");
    assert_eq!((counts.incnt, counts.outcnt, counts.fwdcnt), (1, 1, 0));

    // DELPOLICY by index: ACK, and a DELPOLICY notification carrying the policy.
    let del = PolicyDelGet {
        user_policy_id: UserPolicyId { index: 8, direction: XFRM_POLICY_IN, ..Default::default() },
        nlas: vec![],
    };
    let d = c.send("A", &request(XfrmMessage::DeletePolicy(del.clone()), NLM_F_ACK, 8));
    assert_ack(&d, "A", 8);
    let XfrmMessage::DeletePolicy(n) = inner(only(&d, "L")) else { panic!("DELPOLICY expected") };
    let Some(XfrmAttrs::PolicyInfo(pi)) =
        n.nlas.iter().find(|a| matches!(a, XfrmAttrs::PolicyInfo(_)))
    else {
        panic!("XFRMA_POLICY expected in {n:?}")
    };
    assert_eq!(pi.selector, sel_in);
    let d = c.send("A", &request(XfrmMessage::DeletePolicy(del), NLM_F_ACK, 9));
    assert_error(&d, "A", ENOENT);

    // FLUSHPOLICY: ACK and a notification; then nothing is found.
    let d = c.send("A", &request(XfrmMessage::FlushPolicy(PolicyFlush::default()), NLM_F_ACK, 10));
    assert_ack(&d, "A", 10);
    assert!(matches!(inner(only(&d, "L")), XfrmMessage::FlushPolicy(_)));
    let d = c.send("A", &request(XfrmMessage::GetPolicy(get), 0, 11));
    assert_error(&d, "A", ENOENT);
    assert!(c.parsed >= 15);
}

fn larval_states_defaults_and_info(c: &mut Client) {
    c.open("A", 1000, 0);
    c.open("L", 2000, ALL_GROUPS);

    let mut spi = UserSpiInfo::default();
    spi.info.source(&ip("1.1.1.1"));
    spi.info.destination(&ip("2.2.2.2"));
    spi.info.reqid = 5;
    spi.info.lifetime_cfg = Default::default();
    spi.protocol(IPPROTO_ESP);
    spi.spi_range(0x1234, 0x1234);
    let d = c.send(
        "A",
        &request(XfrmMessage::AllocSpi(AllocSpiMessage { spi_info: spi, nlas: vec![] }), 0, 1),
    );
    let XfrmMessage::AddSa(sa) = inner(only(&d, "A")) else { panic!("NEWSA expected") };
    assert_eq!(sa.user_sa_info.id.spi, 0x1234);
    assert_eq!(sa.user_sa_info.id.proto, IPPROTO_ESP);
    assert_eq!(
        sa.user_sa_info.id.daddr.to_ipv4(),
        "2.2.2.2".parse::<std::net::Ipv4Addr>().unwrap()
    );
    assert_eq!(sa.user_sa_info.reqid, 5);
    quiet(&d, "L");

    let mut id = UserSaId { spi: 0x1234, proto: IPPROTO_ESP, ..Default::default() };
    id.destination(&ip("2.2.2.2"));
    let get = SaDelGet { user_sa_id: id, nlas: vec![] };
    let d = c.send("A", &request(XfrmMessage::GetSa(get.clone()), 0, 2));
    let XfrmMessage::AddSa(sa) = inner(only(&d, "A")) else { panic!("NEWSA expected") };
    assert_eq!(sa.user_sa_info.id.spi, 0x1234);

    let d = c.send("A", &request(XfrmMessage::GetSadInfo(GetSadInfoMessage { flags: !0 }), 0, 3));
    let XfrmMessage::NewSadInfo(info) = inner(only(&d, "A")) else { panic!("NEWSADINFO expected") };
    assert!(info.nlas.contains(&SadInfoAttrs::SadCount(1)), "{info:?}");

    let d = c.send("A", &request(XfrmMessage::DeleteSa(get.clone()), NLM_F_ACK, 4));
    assert_ack(&d, "A", 4);
    let XfrmMessage::DeleteSa(n) = inner(only(&d, "L")) else { panic!("DELSA expected") };
    assert_eq!(n.user_sa_id.spi, 0x1234);
    assert!(n.nlas.iter().any(|a| matches!(a, XfrmAttrs::SaInfo(_))));
    let d = c.send("A", &request(XfrmMessage::GetSa(get), 0, 5));
    assert_error(&d, "A", ESRCH);

    let set = UserPolicyDefault { input: 1, forward: 2, output: 2 };
    let d = c.send(
        "A",
        &request(XfrmMessage::SetPolicyDefault(DefaultMessage { user_policy: set }), NLM_F_ACK, 6),
    );
    assert_ack(&d, "A", 6);
    let n = only(&d, "L");
    assert_eq!((n.header.sequence_number, n.header.port_number), (0, 0));
    let XfrmMessage::GetPolicyDefault(g) = inner(n) else { panic!("GETDEFAULT expected") };
    assert_eq!(g.user_policy, set);
    let d = c.send("A", &request(XfrmMessage::GetPolicyDefault(DefaultMessage::default()), 0, 7));
    let XfrmMessage::GetPolicyDefault(g) = inner(only(&d, "A")) else { panic!("GETDEFAULT") };
    assert_eq!(g.user_policy, set);

    // An empty FLUSHSA: ACK, no notification.
    let d = c.send("A", &request(XfrmMessage::FlushSa(SaFlush { protocol: 255 }), NLM_F_ACK, 8));
    assert_ack(&d, "A", 8);
    quiet(&d, "L");
    assert!(c.parsed >= 10);
}

#[test]
fn client_policy_lifecycle() {
    policy_lifecycle(&mut Client::sim());
}

#[test]
fn client_larval_states_defaults_and_info() {
    larval_states_defaults_and_info(&mut Client::sim());
}

/// The same scenarios against the host kernel, when this runs as root
/// and `unshare -n` works: the expectations are Linux's.
#[test]
fn client_scenarios_hold_on_linux() {
    use tests::replay_diff::{have_python, live_kernel_unavailable, oracle_dir};
    if let Some(why) = live_kernel_unavailable() {
        return eprintln!("skipped the client scenarios on Linux: {why}");
    }
    let oracle = match oracle_dir() {
        Ok(d) if have_python() => d,
        Ok(_) => return eprintln!("skipped the client scenarios on Linux: no python3"),
        Err(why) => return eprintln!("skipped the client scenarios on Linux: {why}"),
    };
    policy_lifecycle(&mut Client::linux(&oracle));
    larval_states_defaults_and_info(&mut Client::linux(&oracle));
}

/// The client itself is sound on Linux's bytes: it parses every datagram
/// of the recorded kernel runs.
#[test]
fn client_parses_every_recorded_linux_datagram() {
    let dir = tests::replay_diff::replay_dir();
    let mut n = 0;
    for e in std::fs::read_dir(&dir).unwrap() {
        let p = e.unwrap().path();
        if !p.to_string_lossy().ends_with(".kernel1.jsonl") {
            continue;
        }
        // Sockets opened with a small recvsize get truncated datagrams.
        let mut truncating = std::collections::BTreeSet::new();
        for line in std::fs::read_to_string(&p).unwrap().lines() {
            let v: serde_json::Value = serde_json::from_str(line).unwrap();
            if let (Some(s), Some(r)) = (v["open"].as_str(), v["recvsize"].as_i64())
                && r < 65536
            {
                truncating.insert(s.to_owned());
            }
            let Some(recv) = v.get("recv").and_then(|r| r.as_object()) else { continue };
            for (sock, list) in recv {
                for d in list.as_array().unwrap() {
                    let h = d.as_str().unwrap();
                    if h.starts_with('E') || truncating.contains(sock) {
                        continue;
                    }
                    let b: Vec<u8> = (0..h.len())
                        .step_by(2)
                        .map(|i| u8::from_str_radix(&h[i..i + 2], 16).unwrap())
                        .collect();
                    if let Err(e) = parse_datagram(&b) {
                        panic!("{}: {e}: {h}", p.display());
                    }
                    n += 1;
                }
            }
        }
    }
    assert!(n > 300, "{n} datagrams");
}
