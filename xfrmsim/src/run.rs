//! `xfrmsim run FILE`: a line-oriented scenario — commands against one
//! embedded kernel and `expect` lines checking what they printed — run
//! deterministically from a seed. The first failed expectation stops the
//! run with its line and the reason.
//!
//! ```text
//! # comment
//! netns add NAME | netns del NAME | netns list
//! user UID | user root          who runs the following commands
//! in NAME COMMAND...            run one command in namespace NAME
//! ip ARGS...                    as `xfrmsim ip`
//! ip xfrm monitor [GROUPS]      start a listener (kept open)
//! monitor show                  print what the listeners received
//! setkey STATEMENT... ;         one setkey statement (the -c language)
//! setkey -D | -DP | -F | -FP
//! lookup SRC DST [proto P] [sport N] [dport N] [sleep]
//!                               the packet path: xfrm_lookup from a task
//!                               (`sleep`: may block on km_waitq, runs in
//!                               the background)
//! lookup wait                   wait for the background lookups, print them
//! km netlink [delay SECONDS]    a scripted key manager: answers each
//!                               ACQUIRE with NEWSA after the delay
//!                               (virtual time; answers are sent while
//!                               `advance` moves the clock past them)
//! signal                        signal the tasks of background lookups
//! pfkey listen [register SATYPE] a PF_KEY socket that collects what the
//!                               kernel broadcasts (registered for SATYPE:
//!                               it also receives ACQUIREs)
//! pfkey show                    print what the PF_KEY listeners received
//! sysctl NAME=VALUE             net.core.xfrm_larval_drop,
//!                               net.core.xfrm_acq_expires (per namespace)
//! advance SECONDS               move the virtual clock (timers fire)
//! bug NAME on|off               plant or remove a teaching bug
//! lockdep text|dot              print the observed lock-order graph
//! lockdep reports               print (and clear) the validator's reports
//! requires xfrm_user|af_key      skip the rest unless that front end is
//!                               registered (a lab needing the handlers)
//! echo TEXT
//! expect exit N                 the last command's exit status
//! expect out TEXT               its stdout contains TEXT (\t is a tab)
//! expect no-out TEXT            its stdout does not contain TEXT
//! expect err TEXT               its stderr contains TEXT
//! expect empty                  it printed nothing on stdout
//! ```

use std::time::Duration;

use crate::ip::{run_ip, split_words};
use crate::setkey::run_setkey;

/// What a scenario printed and its exit status (0, 1 for a failed
/// expectation, 2 for a malformed scenario).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RunOutcome {
    /// The commands' output, in order.
    pub out: String,
    /// Diagnostics (the failed expectation).
    pub err: String,
    /// Exit status.
    pub code: u8,
    /// Why the scenario stopped early without failing (`requires`).
    pub skipped: Option<String>,
}

#[derive(Default)]
struct Last {
    out: String,
    err: String,
    code: u8,
}

fn unescape(s: &str) -> String {
    s.replace("\\t", "\t").replace("\\n", "\n")
}

/// Runs the scenario `text` (called `name` in messages) on a fresh kernel
/// seeded with `seed`.
pub fn run_scenario(text: &str, name: &str, seed: u64) -> RunOutcome {
    run_scenario_traced(text, name, seed, false)
}

/// As [`run_scenario`]; with `trace`, each command's output is preceded by
/// the kernel path it took (`--trace`).
pub fn run_scenario_traced(text: &str, name: &str, seed: u64, trace: bool) -> RunOutcome {
    let tracer = crate::trace::Tracer::new();
    if trace {
        tracer.run(|| scenario(text, name, seed, Some(&tracer)))
    } else {
        scenario(text, name, seed, None)
    }
}

fn scenario(
    text: &str,
    name: &str,
    seed: u64,
    tracer: Option<&crate::trace::Tracer>,
) -> RunOutcome {
    let mut sim = crate::sim::boot(seed);
    let mut res = RunOutcome::default();
    let mut last = Last::default();
    let mut monitors: Vec<(crate::sim::SockLink, crate::ip::print::Opts)> = Vec::new();
    let mut lookups: Vec<Lookup> = Vec::new();
    let mut kms: Vec<Km> = Vec::new();
    let mut pfkeys: Vec<crate::sim::SockLink> = Vec::new();
    for (n, raw) in text.lines().enumerate() {
        let lineno = n + 1;
        let words = split_words(raw);
        let Some(first) = words.first() else { continue };
        let fail = |res: &mut RunOutcome, code: u8, why: String| {
            res.err.push_str(&format!("{name}:{lineno}: {why}\n"));
            res.code = code;
        };
        if first == "expect" {
            let rest = raw.trim_start().strip_prefix("expect").unwrap_or("").trim_start();
            let (kind, arg) = rest.split_once(' ').unwrap_or((rest, ""));
            let arg = unescape(arg.trim());
            let ok = match kind {
                "exit" => match arg.parse::<u8>() {
                    Ok(c) => c == last.code,
                    Err(_) => {
                        fail(&mut res, 2, format!("bad expect line: {raw}"));
                        return res;
                    }
                },
                "out" => last.out.contains(&arg),
                "no-out" => !last.out.contains(&arg),
                "err" => last.err.contains(&arg),
                "empty" => last.out.is_empty(),
                _ => {
                    fail(&mut res, 2, format!("unknown expectation \"{kind}\""));
                    return res;
                }
            };
            if !ok {
                let got = match kind {
                    "exit" => format!("exit status {}", last.code),
                    "err" => format!("stderr {:?}", last.err),
                    _ => format!("stdout {:?}", last.out),
                };
                fail(&mut res, 1, format!("expectation failed: {}: got {got}", raw.trim()));
                return res;
            }
            continue;
        }
        let (netns, cmd) = if first == "in" {
            match words.get(1) {
                Some(ns) => (Some(ns.clone()), words.get(2..).unwrap_or_default().to_vec()),
                None => {
                    fail(&mut res, 2, "\"in\" needs a namespace and a command".into());
                    return res;
                }
            }
        } else {
            (None, words.clone())
        };
        last = Last::default();
        let Some(c) = cmd.first() else {
            fail(&mut res, 2, "missing command".into());
            return res;
        };
        let is_monitor = c == "ip" && {
            let args = cmd.get(1..).unwrap_or_default();
            let skip = args.iter().take_while(|a| a.starts_with('-')).count();
            args.get(skip).is_some_and(|o| o == "xfrm")
                && args
                    .get(skip + 1)
                    .is_some_and(|o| o.len() >= 2 && "monitor".starts_with(o.as_str()))
        };
        match c.as_str() {
            "ip" if is_monitor => {
                let args = cmd.get(1..).unwrap_or_default();
                let skip = args.iter().take_while(|a| a.starts_with('-')).count();
                let opts = crate::ip::print::Opts {
                    stats: args[..skip].iter().filter(|a| a.starts_with("-s")).count() as u32,
                    ..Default::default()
                };
                let groups =
                    crate::ip::monitor::monitor_groups(args.get(skip + 2..).unwrap_or_default());
                match (groups, sim.xfrm_link(netns.as_deref())) {
                    (Ok(g), Ok(mut link)) => match crate::nl::Link::join_groups(&mut link, g) {
                        Ok(()) => monitors.push((link, opts)),
                        Err(e) => {
                            last.err = format!("Cannot bind netlink socket: {}\n", e.description())
                        }
                    },
                    (
                        Err(crate::ip::talk::Fail::Usage(t) | crate::ip::talk::Fail::Kernel(t)),
                        _,
                    ) => last = Last { err: t, code: 2, ..Last::default() },
                    (_, Err(e)) => {
                        last.err = format!("Cannot open netlink socket: {}\n", e.description())
                    }
                }
                if !last.err.is_empty() && last.code == 0 {
                    last.code = 1;
                }
            }
            "monitor" if cmd.get(1).is_some_and(|w| w == "show") => {
                for (link, opts) in &mut monitors {
                    while let Ok(Some(d)) = crate::nl::Link::recv(link) {
                        for m in crate::nl::messages(&d) {
                            crate::ip::monitor::monitor_print(&mut last.out, &m, opts);
                        }
                    }
                }
            }
            "ip" => match sim.xfrm_link(netns.as_deref()) {
                Ok(mut link) => {
                    let o = run_ip(&mut link, cmd.get(1..).unwrap_or_default(), &|_| None);
                    last = Last { out: o.out, err: o.err, code: o.code };
                }
                Err(e) => {
                    last = Last {
                        err: format!("Cannot open netlink socket: {}\n", e.description()),
                        code: 1,
                        ..Last::default()
                    }
                }
            },
            "setkey" => match sim.pfkey_link(netns.as_deref()) {
                Ok(mut link) => {
                    let args = cmd.get(1..).unwrap_or_default();
                    let o = if args.first().is_some_and(|a| a.starts_with('-')) {
                        run_setkey(&mut link, args, "", &|_| None)
                    } else {
                        let stmt =
                            raw.trim_start().split_once("setkey").map_or("", |x| x.1).to_string();
                        run_setkey(&mut link, &["-c".to_string()], &stmt, &|_| None)
                    };
                    last = Last { out: o.out, err: o.err, code: o.code };
                }
                Err(e) => {
                    last = Last {
                        err: format!("socket: {}\n", e.description()),
                        code: 1,
                        ..Last::default()
                    }
                }
            },
            "netns" => {
                let r = match (cmd.get(1).map(String::as_str), cmd.get(2)) {
                    (Some("add"), Some(n)) => sim.netns_add(n).map(|_| String::new()),
                    (Some("del" | "delete"), Some(n)) => sim.netns_del(n).map(|_| String::new()),
                    (Some("list"), None) => {
                        Ok(sim.netns_list().iter().map(|n| format!("{n}\n")).collect())
                    }
                    _ => {
                        fail(&mut res, 2, format!("bad netns command: {raw}"));
                        return res;
                    }
                };
                last = match r {
                    Ok(out) => Last { out, ..Last::default() },
                    Err(e) => Last {
                        err: format!("netns: {}\n", e.description()),
                        code: 1,
                        ..Last::default()
                    },
                };
            }
            "user" => match cmd.get(1).map(String::as_str) {
                Some("root") => sim.become_root(),
                Some(u) => match u.parse() {
                    Ok(uid) => sim.become_user(uid),
                    Err(_) => {
                        fail(&mut res, 2, format!("bad uid \"{u}\""));
                        return res;
                    }
                },
                None => {
                    fail(&mut res, 2, "user needs a uid or root".into());
                    return res;
                }
            },
            "pfkey" if cmd.get(1).is_some_and(|w| w == "listen") => {
                let satype = match (cmd.get(2).map(String::as_str), cmd.get(3).map(String::as_str))
                {
                    (None, _) => Some(None),
                    (Some("register"), Some("esp")) => Some(Some(3u8)),
                    (Some("register"), Some("ah")) => Some(Some(2u8)),
                    (Some("register"), Some("ipcomp")) => Some(Some(9u8)),
                    _ => None,
                };
                let Some(satype) = satype else {
                    fail(&mut res, 2, format!("bad pfkey line: {raw}"));
                    return res;
                };
                match sim.pfkey_link(netns.as_deref()) {
                    Ok(mut link) => {
                        if let Some(t) = satype {
                            let reg = sim_sockets::af_key::wire::SadbMessageRepr {
                                header: sim_sockets::af_key::wire::SadbMsgRepr {
                                    version: 2,
                                    msg_type: 7,
                                    satype: t,
                                    seq: 1,
                                    pid: crate::setkey::PfkeyLink::pid(&link),
                                    ..Default::default()
                                },
                                exts: vec![],
                            };
                            if let Err(e) =
                                crate::setkey::PfkeyLink::send(&mut link, &reg.to_bytes())
                            {
                                last.err = format!("pfkey: register: {}\n", e.description());
                                last.code = 1;
                            }
                            // The REGISTER reply lists the algorithms; not shown.
                            while let Ok(Some(_)) = crate::setkey::PfkeyLink::recv(&mut link) {}
                        }
                        pfkeys.push(link);
                    }
                    Err(e) => {
                        last = Last {
                            err: format!("socket: {}\n", e.description()),
                            code: 1,
                            ..Last::default()
                        }
                    }
                }
            }
            "pfkey" if cmd.get(1).is_some_and(|w| w == "show") => {
                let now = sim.kernel().clock().real_seconds();
                for link in &mut pfkeys {
                    while let Ok(Some(b)) = crate::setkey::PfkeyLink::recv(link) {
                        match sim_sockets::af_key::wire::SadbMessageRepr::parse(&b) {
                            Ok(m) => crate::setkey::dump::listen_dump(&mut last.out, &m, now),
                            Err(_) => last.out.push_str("invalid PF_KEY message\n"),
                        }
                    }
                }
            }
            "sysctl" => {
                let set = cmd
                    .get(1)
                    .and_then(|a| a.split_once('='))
                    .and_then(|(k, v)| Some((k, v.parse::<i32>().ok()?)));
                let net = sim.net(netns.as_deref());
                match (set, net) {
                    (Some(("net.core.xfrm_larval_drop", v)), Ok(net)) => net
                        .xfrm
                        .sysctl_larval_drop
                        .store(v, sim_core::sync::atomic::Ordering::Relaxed),
                    (Some(("net.core.xfrm_acq_expires", v)), Ok(net)) => net
                        .xfrm
                        .sysctl_acq_expires
                        .store(v, sim_core::sync::atomic::Ordering::Relaxed),
                    (Some(_), Err(e)) => {
                        last = Last {
                            err: format!("sysctl: {}\n", e.description()),
                            code: 1,
                            ..Last::default()
                        }
                    }
                    _ => {
                        fail(&mut res, 2, format!("bad sysctl line: {raw}"));
                        return res;
                    }
                }
            }
            "km" if cmd.get(1).is_some_and(|w| w == "netlink") => {
                let delay = match (cmd.get(2).map(String::as_str), cmd.get(3)) {
                    (None, _) => Some(0.0),
                    (Some("delay"), Some(v)) => v.parse::<f64>().ok().filter(|d| *d >= 0.0),
                    _ => None,
                };
                let Some(delay) = delay else {
                    fail(&mut res, 2, format!("bad km line: {raw}"));
                    return res;
                };
                let opened = sim.xfrm_link(netns.as_deref()).and_then(|mut l| {
                    crate::nl::Link::join_groups(&mut l, 1 << (XFRMNLGRP_ACQUIRE - 1)).map(|_| l)
                });
                match (opened, sim.xfrm_link(netns.as_deref())) {
                    (Ok(listen), Ok(send)) => kms.push(Km {
                        listen,
                        send,
                        km: crate::km_script::ScriptedKm::new(Duration::from_secs_f64(delay)),
                    }),
                    (Err(e), _) | (_, Err(e)) => {
                        last = Last {
                            err: format!("km: {}\n", e.description()),
                            code: 1,
                            ..Last::default()
                        }
                    }
                }
            }
            "advance" => match cmd.get(1).and_then(|s| s.parse::<f64>().ok()).filter(|s| *s >= 0.0)
            {
                Some(secs) => {
                    let clock = sim.kernel().clock().clone();
                    let target = clock.now() + Duration::from_secs_f64(secs);
                    loop {
                        poll_kms(&mut kms, clock.now(), &mut last.out);
                        let next = kms
                            .iter()
                            .filter_map(|k| k.km.next_due())
                            .min()
                            .filter(|t| *t <= target);
                        let Some(at) = next else { break };
                        if at > clock.now() {
                            sim.kernel().advance(at - clock.now());
                        }
                        answer_kms(&mut kms, clock.now(), &mut last.out);
                    }
                    if target > clock.now() {
                        sim.kernel().advance(target - clock.now());
                    }
                }
                None => {
                    fail(&mut res, 2, "advance needs seconds".into());
                    return res;
                }
            },
            "echo" => last.out = format!("{}\n", cmd.get(1..).unwrap_or_default().join(" ")),
            "requires" => {
                let have = match cmd.get(1).map(String::as_str) {
                    Some("xfrm_user") => sim.xfrm_link(None).is_ok_and(|mut l| {
                        // A handler answers GETSPDINFO; the placeholder says EINVAL.
                        let mut rtnl = crate::ip::talk::Rtnl::new(&mut l);
                        let req = crate::nl::Request::new(
                            0x25,
                            crate::nl::NLM_F_REQUEST,
                            &u32::MAX.to_le_bytes(),
                        );
                        rtnl.talk(req, true).is_ok()
                    }),
                    Some("af_key") => sim.pfkey_link(None).is_ok(),
                    _ => {
                        fail(&mut res, 2, format!("bad requires line: {raw}"));
                        return res;
                    }
                };
                if !have {
                    res.skipped = Some(format!(
                        "{name}: skipped: the kernel has no {} front end yet",
                        words[1]
                    ));
                    return res;
                }
            }
            "lookup" if cmd.get(1).is_some_and(|w| w == "wait") => {
                for l in lookups.drain(..) {
                    let r = l.thread.join().unwrap_or(Err(sim_core::Errno::EINTR));
                    last.out.push_str(&lookup_text(&r));
                }
            }
            "signal" => {
                for l in &lookups {
                    l.signal.raise();
                }
            }
            "lookup" => {
                let Some((flow, family, sleep)) = parse_lookup(cmd.get(1..).unwrap_or_default())
                else {
                    fail(&mut res, 2, format!("bad lookup line: {raw}"));
                    return res;
                };
                let (Some(xfrm), Ok(net)) = (sim.xfrm().cloned(), sim.net(netns.as_deref())) else {
                    last = Last {
                        err: "lookup: no such namespace\n".into(),
                        code: 1,
                        ..Last::default()
                    };
                    res.out.push_str(&last.err);
                    continue;
                };
                let signal = sim_core::sync::Arc::new(sim_core::task::SignalState::new());
                if sleep {
                    let sig = signal.clone();
                    let thread = sim_core::sync::thread::spawn(move || {
                        xfrm.xfrm_lookup(
                            &net,
                            &flow,
                            family,
                            None,
                            sim_km::FLOWI_FLAG_CAN_SLEEP,
                            &sig,
                        )
                    });
                    // Return once the lookup has finished or sleeps on
                    // km_waitq (its ACQUIRE is out by then), so what
                    // follows sees a settled kernel.
                    while !thread.is_finished() && !signal.is_sleeping() {
                        sim_core::sync::thread::yield_now();
                    }
                    lookups.push(Lookup { thread, signal });
                    last.out = "lookup: started (may sleep)\n".into();
                } else {
                    let r = xfrm.xfrm_lookup(&net, &flow, family, None, 0, &signal);
                    last.code = u8::from(r.is_err());
                    last.out = lookup_text(&r);
                }
            }
            "bug" => {
                let bug = cmd.get(1).and_then(|n| sim_core::planted::Bug::from_name(n));
                match (bug, cmd.get(2).map(String::as_str)) {
                    (Some(b), Some("on")) => sim_core::planted::plant(b, true),
                    (Some(b), Some("off")) => sim_core::planted::plant(b, false),
                    _ => {
                        fail(&mut res, 2, format!("bad bug line: {raw}"));
                        return res;
                    }
                }
            }
            "lockdep" => {
                let g = sim_core::lockdep::dependency_graph()
                    .filter(|c| !c.starts_with("bench") && !c.starts_with("test"));
                last.out = match cmd.get(1).map(String::as_str) {
                    Some("text") => g.to_text(),
                    Some("dot") => g.to_dot(),
                    Some("reports") => {
                        // The reports name the task as thread/id; which
                        // thread runs the scenario is not the lab's business.
                        let me = sim_core::sync::thread::current();
                        let who = format!("{}/{:?}", me.name().unwrap_or("<unnamed>"), me.id());
                        sim_core::lockdep::take_reports()
                            .iter()
                            .map(|r| r.text.replace(&who, "xfrmsim"))
                            .collect()
                    }
                    _ => {
                        fail(&mut res, 2, format!("bad lockdep line: {raw}"));
                        return res;
                    }
                };
            }
            other => {
                fail(&mut res, 2, format!("unknown command \"{other}\""));
                return res;
            }
        }
        poll_kms(&mut kms, sim.kernel().clock().now(), &mut last.out);
        if let Some(t) = tracer {
            res.out.push_str(&t.take());
        }
        res.out.push_str(&last.out);
        res.out.push_str(&last.err);
    }
    res
}

/// `XFRMNLGRP_ACQUIRE`.
const XFRMNLGRP_ACQUIRE: u32 = 1;

/// A scripted key manager: its listening socket, the socket it answers
/// on (so replies to its requests never mix with multicasts) and its
/// schedule.
struct Km {
    listen: crate::sim::SockLink,
    send: crate::sim::SockLink,
    km: crate::km_script::ScriptedKm,
}

/// Reads every queued ACQUIRE and schedules its answer.
fn poll_kms(kms: &mut [Km], now: Duration, out: &mut String) {
    for k in kms {
        while let Ok(Some(d)) = crate::nl::Link::recv(&mut k.listen) {
            out.push_str(&k.km.on_datagram(&d, now));
        }
    }
}

/// Sends the answers due at `now` and logs how the kernel took them.
fn answer_kms(kms: &mut [Km], now: Duration, out: &mut String) {
    for k in kms {
        for (seq, req) in k.km.take_due(now) {
            let mut rtnl = crate::ip::talk::Rtnl::new(&mut k.send);
            match rtnl.talk(req, false) {
                Ok(_) => out.push_str(&format!("km: NEWSA for acquire seq {seq}: ok\n")),
                Err(crate::ip::talk::Fail::Kernel(t) | crate::ip::talk::Fail::Usage(t)) => {
                    out.push_str(&format!("km: NEWSA for acquire seq {seq}: {t}"))
                }
            }
        }
    }
}

/// A lookup running in the background (it may sleep on `km_waitq`).
struct Lookup {
    thread: sim_core::sync::thread::JoinHandle<sim_core::KResult<sim_km::XfrmDst>>,
    signal: sim_core::sync::Arc<sim_core::task::SignalState>,
}

/// `lookup SRC DST [proto P] [sport N] [dport N] [sleep]`.
fn parse_lookup(w: &[String]) -> Option<(sim_core::xfrm::XfrmFlow, u16, bool)> {
    use std::net::IpAddr;
    let src: IpAddr = w.first()?.parse().ok()?;
    let dst: IpAddr = w.get(1)?.parse().ok()?;
    if src.is_ipv4() != dst.is_ipv4() {
        return None;
    }
    let (mut proto, mut sport, mut dport, mut sleep) = (0u8, 0u16, 0u16, false);
    let mut i = 2;
    while let Some(k) = w.get(i) {
        match k.as_str() {
            "sleep" => {
                sleep = true;
                i += 1;
                continue;
            }
            "proto" => {
                let v = w.get(i + 1)?;
                proto = crate::ip::names::proto_by_name(v).or_else(|| v.parse().ok())?;
            }
            "sport" => sport = w.get(i + 1)?.parse().ok()?,
            "dport" => dport = w.get(i + 1)?.parse().ok()?,
            _ => return None,
        }
        i += 2;
    }
    let family = if src.is_ipv4() { crate::ip::args::AF_INET } else { crate::ip::args::AF_INET6 };
    let flow = sim_core::xfrm::XfrmFlow::ports(
        sim_core::xfrm::XfrmAddress::from_ip(dst),
        sim_core::xfrm::XfrmAddress::from_ip(src),
        proto,
        dport,
        sport,
    );
    Some((flow, family, sleep))
}

/// How a lookup ended, one line.
fn lookup_text(r: &sim_core::KResult<sim_km::XfrmDst>) -> String {
    match r {
        Ok(sim_km::XfrmDst::Pass) => "lookup: pass (no transform)\n".into(),
        Ok(sim_km::XfrmDst::Blackhole) => "lookup: blackhole (larval drop)\n".into(),
        Ok(sim_km::XfrmDst::Queue(_)) => "lookup: queued until the SAs exist\n".into(),
        Ok(sim_km::XfrmDst::Bundle(xs)) => {
            let spis: Vec<String> = xs.iter().map(|x| format!("0x{:08x}", x.spi())).collect();
            format!("lookup: bundle spi {}\n", spis.join(" "))
        }
        Err(e) => format!("lookup: {} ({})\n", e.name(), e.description()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failing_expectation_names_the_line() {
        let r = run_scenario("echo hello\nexpect out hello\nexpect out goodbye\n", "t.scn", 1);
        assert_eq!(r.code, 1);
        assert!(r.err.starts_with("t.scn:3: expectation failed: expect out goodbye"), "{}", r.err);
        assert_eq!(r.out, "hello\n");
    }

    #[test]
    fn malformed_scenarios_exit_2() {
        for bad in [
            "frobnicate\n",
            "advance soon\n",
            "expect sometimes x\n",
            "user\n",
            "netns add\n",
            "in\n",
        ] {
            let r = run_scenario(bad, "b", 0);
            assert_eq!(r.code, 2, "{bad}: {r:?}");
            assert!(r.err.starts_with("b:1: "), "{}", r.err);
        }
    }

    #[test]
    fn unprivileged_user_gets_eperm_through_netlink() {
        let text = "user 1000\nip xfrm policy list\nexpect exit 2\nexpect err Operation not permitted\n\
                    user root\nip xfrm policy count\nexpect no-out Operation not permitted\n";
        let r = run_scenario(text, "u", 0);
        assert_eq!(r.code, 0, "{r:?}");
    }

    #[test]
    fn namespaces_come_and_go() {
        let text = "netns add blue\nnetns add red\nnetns list\nexpect out red\nexpect out blue\n\
                    netns del red\nnetns list\nexpect no-out red\nnetns del red\nexpect exit 1\n\
                    in green ip xfrm policy list\nexpect err No such file or directory\n";
        let r = run_scenario(text, "n", 0);
        assert_eq!(r.code, 0, "{r:?}");
    }

    #[test]
    fn lookups_without_policy_pass() {
        let text = "lookup 10.0.0.1 10.0.1.1 proto tcp dport 80\nexpect out lookup: pass\n\
                    lookup 2001:db8::1 2001:db8::2 sleep\nlookup wait\nexpect out lookup: pass\n\
                    in nowhere lookup 10.0.0.1 10.0.0.2\nexpect exit 1\n";
        let r = run_scenario(text, "l", 0);
        assert_eq!(r.code, 0, "{r:?}");
        for bad in
            ["lookup 10.0.0.1\n", "lookup 10.0.0.1 ::1\n", "lookup 1.1.1.1 2.2.2.2 dport x\n"]
        {
            assert_eq!(run_scenario(bad, "b", 0).code, 2, "{bad}");
        }
    }

    #[test]
    fn requires_skips_without_the_front_end() {
        let r = run_scenario("echo a\nrequires af_key\necho b\n", "r", 0);
        if r.skipped.is_some() {
            assert_eq!((r.code, r.out.as_str()), (0, "a\n"));
        } else {
            assert_eq!(r.out, "a\nb\n");
        }
        assert_eq!(run_scenario("requires sockets\n", "r", 0).code, 2);
    }

    #[test]
    fn pfkey_and_sysctl_lines() {
        let r = run_scenario(
            "sysctl net.core.xfrm_larval_drop=0\nsysctl net.core.xfrm_acq_expires=5\n",
            "s",
            0,
        );
        assert_eq!(r.code, 0, "{r:?}");
        for bad in [
            "sysctl nothing=1\n",
            "sysctl net.core.xfrm_acq_expires=x\n",
            "pfkey listen register gre\n",
        ] {
            assert_eq!(run_scenario(bad, "b", 0).code, 2, "{bad}");
        }
    }

    #[test]
    fn scripted_km_lines() {
        let r = run_scenario("km netlink delay 2\nadvance 5\nkm netlink\n", "k", 0);
        assert_eq!(r.code, 0, "{r:?}");
        for bad in ["km netlink delay\n", "km netlink delay -1\n", "km netlink soon 1\n"] {
            assert_eq!(run_scenario(bad, "b", 0).code, 2, "{bad}");
        }
    }

    #[test]
    fn same_seed_same_output() {
        let text = "ip xfrm state allocspi src 1.1.1.1 dst 2.2.2.2 proto esp\nadvance 31\nip xfrm state list\n";
        assert_eq!(run_scenario(text, "s", 9), run_scenario(text, "s", 9));
    }
}
