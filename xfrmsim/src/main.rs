//! The xfrmsim command line.

use xfrmsim::replay;

use std::io::{self, BufReader, Read};
use std::process::ExitCode;

use sim_core::xfrm::algo_table::KernelProfile;
use xfrmsim::ip::run_ip;
use xfrmsim::setkey::run_setkey;

fn usage() -> ExitCode {
    eprintln!(
        "usage: xfrmsim [ --seed N ] [ --netns NAME ] [ --user UID ] ip [ -s ] [ -d ] xfrm {{ state | policy }} COMMAND ..."
    );
    eprintln!("       xfrmsim [ --seed N ] ip [ -force ] -batch FILE");
    eprintln!("       xfrmsim [ --seed N ] setkey {{ -c | -f FILE | -D | -DP | -F | -FP }}");
    eprintln!("       xfrmsim [ --trace ] ip|setkey ...  (the kernel path on stderr)");
    eprintln!("       xfrmsim run FILE [ --seed N ] [ --trace ] [ --lockdep [ text | dot ] ]");
    eprintln!("       xfrmsim replay [--profile full|host|debian-6.1] < script.jsonl > out.jsonl");
    eprintln!("       xfrmsim lock-order EDGES_FILE EXPECTED_FILE");
    ExitCode::from(2)
}

fn read_file(path: &str) -> Option<String> {
    std::fs::read_to_string(path).ok()
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (mut seed, mut netns, mut user) = (0u64, None::<String>, None::<u32>);
    let mut trace = false;
    let mut i = 0;
    while let Some(a) = args.get(i) {
        let val = args.get(i + 1);
        match (a.as_str(), val) {
            ("--trace", _) => {
                trace = true;
                i += 1;
                continue;
            }
            ("--seed", Some(v)) => match v.parse() {
                Ok(s) => seed = s,
                Err(_) => return usage(),
            },
            ("--netns", Some(v)) => netns = Some(v.clone()),
            ("--user", Some(v)) => match v.parse() {
                Ok(u) => user = Some(u),
                Err(_) => return usage(),
            },
            _ => break,
        }
        i += 2;
    }
    let rest = args.get(i..).unwrap_or_default();
    let Some(cmd) = rest.first() else { return usage() };
    if cmd == "replay" {
        let profile = match rest.get(1..).unwrap_or_default() {
            [] => &KernelProfile::FULL,
            [flag, name] if flag == "--profile" => match KernelProfile::by_name(name) {
                Some(p) => p,
                None => {
                    eprintln!("xfrmsim replay: unknown profile {name:?}");
                    return usage();
                }
            },
            _ => return usage(),
        };
        let stdin = io::stdin();
        let stdout = io::stdout();
        return match replay::Replay::with_profile(profile)
            .run(BufReader::new(stdin.lock()), stdout.lock())
        {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("xfrmsim replay: {e}");
                ExitCode::FAILURE
            }
        };
    }
    if cmd == "lock-order" {
        return lock_order(rest.get(1..).unwrap_or_default());
    }
    if cmd == "run" {
        let mut file = None;
        let mut lockdep_fmt = None;
        let mut trace = false;
        let mut j = 1;
        while let Some(a) = rest.get(j) {
            match (a.as_str(), rest.get(j + 1)) {
                ("--lockdep", Some(f)) if f == "text" || f == "dot" => {
                    lockdep_fmt = Some(f.clone())
                }
                ("--trace", _) => {
                    trace = true;
                    j += 1;
                    continue;
                }
                ("--lockdep", _) => {
                    lockdep_fmt = Some("text".into());
                    j += 1;
                    continue;
                }
                ("--seed", Some(v)) => match v.parse() {
                    Ok(s) => seed = s,
                    Err(_) => return usage(),
                },
                (f, _) if file.is_none() && !f.starts_with('-') => {
                    file = Some(f.to_string());
                    j += 1;
                    continue;
                }
                _ => return usage(),
            }
            j += 2;
        }
        let Some(file) = file else { return usage() };
        let Some(text) = read_file(&file) else {
            eprintln!("xfrmsim run: cannot read {file}");
            return ExitCode::from(2);
        };
        let o = xfrmsim::run::run_scenario_traced(&text, &file, seed, trace);
        print!("{}", o.out);
        eprint!("{}", o.err);
        if let Some(why) = &o.skipped {
            eprintln!("{why}");
        }
        if let Some(f) = lockdep_fmt {
            let g = sim_core::lockdep::dependency_graph()
                .filter(|c| !c.starts_with("bench") && !c.starts_with("test"));
            print!("{}", if f == "dot" { g.to_dot() } else { g.to_text() });
        }
        return ExitCode::from(o.code);
    }
    let mut sim = xfrmsim::sim::boot(seed);
    if let Some(n) = &netns
        && let Err(e) = sim.netns_add(n)
    {
        eprintln!("xfrmsim: netns {n}: {}", e.description());
        return ExitCode::from(2);
    }
    if let Some(u) = user {
        sim.become_user(u);
    }
    let tracer = xfrmsim::trace::Tracer::new();
    let (out, err, code) = tracer.run(|| match cmd.as_str() {
        "ip" => match sim.xfrm_link(netns.as_deref()) {
            Ok(mut link) => {
                let o = run_ip(&mut link, rest.get(1..).unwrap_or_default(), &read_file);
                (o.out, o.err, o.code)
            }
            Err(e) => {
                (String::new(), format!("Cannot open netlink socket: {}\n", e.description()), 1)
            }
        },
        "setkey" if xfrmsim::setkey::usage_error(rest.get(1..).unwrap_or_default()).is_some() => {
            let o =
                xfrmsim::setkey::usage_error(rest.get(1..).unwrap_or_default()).unwrap_or_default();
            (o.out, o.err, o.code)
        }
        "setkey" => match sim.pfkey_link(netns.as_deref()) {
            Ok(mut link) => {
                let mut stdin = String::new();
                if rest.iter().any(|a| a == "-c") && io::stdin().read_to_string(&mut stdin).is_err()
                {
                    (String::new(), "setkey: cannot read standard input\n".to_string(), 2)
                } else {
                    let o = run_setkey(
                        &mut link,
                        rest.get(1..).unwrap_or_default(),
                        &stdin,
                        &read_file,
                    );
                    (o.out, o.err, o.code)
                }
            }
            Err(e) => (String::new(), format!("socket: {}\n", e.description()), 1),
        },
        _ => (String::new(), String::new(), 255),
    });
    if code == 255 {
        return usage();
    }
    if trace {
        eprint!("{}", tracer.take());
    }
    print!("{out}");
    eprint!("{err}");
    ExitCode::from(code)
}

/// `xfrmsim lock-order EDGES EXPECTED`: the lock-order gate over the edges
/// a whole test run collected (`XFRMSIM_LOCKDEP_EDGES`): a new edge or a
/// cycle fails with a readable diff.
fn lock_order(args: &[String]) -> ExitCode {
    let [edges, expected] = args else { return usage() };
    let (Some(edges_text), Some(expected_text)) = (read_file(edges), read_file(expected)) else {
        eprintln!("xfrmsim lock-order: cannot read {edges} or {expected}");
        return ExitCode::from(2);
    };
    let graph = match sim_core::lockdep::Graph::from_text(&edges_text) {
        Ok(g) => g,
        Err(e) => {
            eprintln!("xfrmsim lock-order: {edges}: {e}");
            return ExitCode::from(2);
        }
    };
    match sim_core::lockdep::check_order(&graph, &expected_text) {
        Ok(check) => {
            println!("{} lock-order edges observed across the run", graph.edges.len());
            print!("{check}");
            if check.is_ok() { ExitCode::SUCCESS } else { ExitCode::FAILURE }
        }
        Err(e) => {
            eprintln!("xfrmsim lock-order: {expected}: {e}");
            ExitCode::from(2)
        }
    }
}
