//! A NETLINK_XFRM client built on the independent `netlink-packet-xfrm`
//! crate, driving a simulated kernel through the replay driver: requests are
//! that crate's emitted bytes, and every datagram any socket receives is
//! split into messages and parsed back with it.

use std::collections::BTreeMap;

use netlink_packet_core::{NetlinkHeader, NetlinkMessage, NetlinkPayload};
use netlink_packet_xfrm::XfrmMessage;
use serde_json::{Value, json};

/// A parsed netlink message as the crate sees it.
pub(crate) type XfrmNlMsg = NetlinkMessage<XfrmMessage>;

/// Serialises a request (`NLM_F_REQUEST` is added to `flags`).
pub(crate) fn request(msg: XfrmMessage, flags: u16, seq: u32) -> Vec<u8> {
    let mut hdr = NetlinkHeader::default();
    hdr.flags = flags | 1;
    hdr.sequence_number = seq;
    let mut m = NetlinkMessage::new(hdr, NetlinkPayload::InnerMessage(msg));
    m.finalize();
    let mut buf = vec![0u8; m.buffer_len()];
    m.serialize(&mut buf);
    buf
}

/// Splits a datagram by `nlmsg_len` (4-aligned) and parses each message.
pub(crate) fn parse_datagram(d: &[u8]) -> Result<Vec<XfrmNlMsg>, String> {
    let mut out = Vec::new();
    let mut off = 0usize;
    while off < d.len() {
        let rest = d.get(off..).unwrap_or_default();
        let len = rest
            .get(..4)
            .map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]) as usize)
            .ok_or_else(|| format!("{} trailing bytes at {off}", rest.len()))?;
        let one = rest.get(..len).ok_or_else(|| format!("nlmsg_len {len} overruns at {off}"))?;
        let m = XfrmNlMsg::deserialize(one).map_err(|e| format!("at {off}: {e:?}"))?;
        out.push(m);
        off += (len.max(16) + 3) & !3;
    }
    Ok(out)
}

/// What one step delivered, per socket: parsed messages of every datagram.
pub(crate) type Delivered = BTreeMap<String, Vec<Vec<XfrmNlMsg>>>;

/// Where the replay commands run.
enum Backend {
    /// A fresh simulated kernel.
    Sim(Box<xfrmsim::replay::Replay>),
    /// The host kernel in a fresh namespace, through the oracle's
    /// `replay_kernel.py`, one line at a time.
    Linux(std::process::Child, std::io::BufReader<std::process::ChildStdout>),
}

/// The client: a replay run plus bookkeeping.
pub(crate) struct Client {
    backend: Backend,
    /// Datagrams parsed so far (all sockets).
    pub parsed: usize,
}

impl Drop for Client {
    fn drop(&mut self) {
        if let Backend::Linux(child, _) = &mut self.backend {
            drop(child.stdin.take());
            let _ = child.wait();
        }
    }
}

impl Client {
    /// A fresh simulated kernel.
    pub fn sim() -> Client {
        Client {
            backend: Backend::Sim(Box::new(xfrmsim::replay::Replay::with_profile(
                &sim_core::xfrm::algo_table::KernelProfile::HOST,
            ))),
            parsed: 0,
        }
    }

    /// The host kernel in a fresh network namespace (needs root).
    pub fn linux(oracle: &std::path::Path) -> Client {
        use std::process::{Command, Stdio};
        let mut child = Command::new("unshare")
            .arg("-n")
            .arg("python3")
            .arg(oracle.join("replay/replay_kernel.py"))
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .expect("unshare -n python3 replay_kernel.py");
        let out = std::io::BufReader::new(child.stdout.take().expect("stdout"));
        Client { backend: Backend::Linux(child, out), parsed: 0 }
    }

    fn line(&mut self, cmd: &str) -> String {
        use std::io::{BufRead, Write};
        match &mut self.backend {
            Backend::Sim(r) => r.line(cmd).expect("a command line has output"),
            Backend::Linux(child, out) => {
                let stdin = child.stdin.as_mut().expect("stdin");
                writeln!(stdin, "{cmd}").and_then(|()| stdin.flush()).expect("write a step");
                let mut l = String::new();
                out.read_line(&mut l).expect("read a step");
                l
            }
        }
    }

    /// Runs one replay command; returns its errno and what every socket
    /// received, parsed. Panics on a datagram the crate cannot parse.
    pub fn step(&mut self, cmd: Value) -> (i64, Delivered) {
        let out = self.line(&cmd.to_string());
        let v: Value = serde_json::from_str(&out).expect("replay output is JSON");
        assert!(v.get("error").is_none(), "malformed step {cmd}: {v}");
        let errno = v["errno"].as_i64().expect("errno");
        let mut got = Delivered::new();
        for (sock, list) in v["recv"].as_object().expect("recv") {
            let mut per = Vec::new();
            for d in list.as_array().expect("datagram list") {
                let h = d.as_str().expect("datagram");
                let bytes: Vec<u8> = (0..h.len())
                    .step_by(2)
                    .map(|i| u8::from_str_radix(&h[i..i + 2], 16).expect("hex"))
                    .collect();
                let msgs = parse_datagram(&bytes)
                    .unwrap_or_else(|e| panic!("{sock}: unparseable datagram {h}: {e}"));
                self.parsed += 1;
                per.push(msgs);
            }
            got.insert(sock.clone(), per);
        }
        (errno, got)
    }

    /// Opens and binds a socket (port `pid`, group mask `groups`) with
    /// extended ACKs on.
    pub fn open(&mut self, name: &str, pid: u32, groups: u32) {
        assert_eq!(self.step(json!({"open": name})).0, 0);
        assert_eq!(self.step(json!({"bind": name, "pid": pid, "groups": groups})).0, 0);
        assert_eq!(self.step(json!({"setsockopt": name, "level": 270, "name": 11, "int": 1})).0, 0);
    }

    /// Sends raw bytes from socket `name`.
    pub fn send(&mut self, name: &str, data: &[u8]) -> Delivered {
        let hex: String = data.iter().map(|b| format!("{b:02x}")).collect();
        let (errno, got) = self.step(json!({"send": name, "hex": hex}));
        assert_eq!(errno, 0, "sendto");
        got
    }
}

/// All messages a socket received in a step, flattened.
pub(crate) fn msgs<'a>(d: &'a Delivered, sock: &str) -> Vec<&'a XfrmNlMsg> {
    d.get(sock).map(|v| v.iter().flatten().collect()).unwrap_or_default()
}

/// The error code of an `NLMSG_ERROR` (0 for an ACK), `None` otherwise.
pub(crate) fn error_code(m: &XfrmNlMsg) -> Option<i32> {
    match &m.payload {
        NetlinkPayload::Error(e) => Some(e.raw_code()),
        _ => None,
    }
}
