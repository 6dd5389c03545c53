//! `xfrmsim ip ...`: iproute2's `ip xfrm` against the simulated kernel,
//! speaking NETLINK_XFRM bytes over a [`Link`] and printing what `ip`
//! prints. `-s`, `-d`, `-force` and `-batch FILE` are understood.

pub mod args;
pub mod monitor;
pub mod names;
pub mod policy;
pub mod print;
pub mod state;
pub mod talk;

#[cfg(test)]
mod golden_tests;

use crate::nl::Link;
use print::Opts;
use talk::{Fail, Rtnl};

/// What one `ip` invocation printed and its exit status.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Outcome {
    /// Standard output.
    pub out: String,
    /// Standard error.
    pub err: String,
    /// Exit status (0 success, 2 usage or kernel error).
    pub code: u8,
}

/// The global options before the object.
#[derive(Debug, Clone, Default)]
struct Global {
    opts: Opts,
    force: bool,
    batch: Option<String>,
}

const IP_USAGE: &str = "Usage: ip [ OPTIONS ] xfrm { state | policy } { COMMAND | help }
       ip [ -force ] -batch filename
where  OPTIONS := { -s[tatistics] | -d[etails] | -force }
";

fn parse_global(argv: &[String]) -> Result<(Global, usize), Fail> {
    let mut g = Global::default();
    let mut i = 0;
    while let Some(w) = argv.get(i) {
        let Some(opt) = w.strip_prefix('-') else { break };
        let opt = opt.strip_prefix('-').unwrap_or(opt);
        let m = |full: &str| !opt.is_empty() && full.starts_with(opt);
        if m("stats") || m("statistics") {
            g.opts.stats += 1;
        } else if m("details") {
            g.opts.details += 1;
        } else if opt == "force" {
            g.force = true;
        } else if m("batch") {
            i += 1;
            match argv.get(i) {
                Some(f) => g.batch = Some(f.clone()),
                None => {
                    return Err(Fail::Usage(
                        "Command line is not complete. Try option \"help\"\n".into(),
                    ));
                }
            }
        } else if m("help") {
            return Err(Fail::Usage(IP_USAGE.into()));
        } else {
            return Err(Fail::Usage(format!("Option \"{w}\" is unknown, try \"ip -help\".\n")));
        }
        i += 1;
    }
    Ok((g, i))
}

/// `do_xfrm`: one command (`xfrm state ...`, `xfrm policy ...`).
fn do_cmd(rtnl: &mut Rtnl<'_>, argv: &[String], o: &Opts, out: &mut String) -> Result<(), Fail> {
    let Some(obj) = argv.first() else { return Err(Fail::Usage(IP_USAGE.into())) };
    if obj != "xfrm" && !(obj.len() >= 2 && "xfrm".starts_with(obj.as_str())) {
        return Err(Fail::Usage(format!("Object \"{obj}\" is unknown, try \"ip help\".\n")));
    }
    let Some(sub) = argv.get(1) else {
        return Err(Fail::Usage(
            "Usage: ip xfrm XFRM-OBJECT { COMMAND | help }\nwhere  XFRM-OBJECT := state | policy | monitor\n".into(),
        ));
    };
    let m = |full: &str| full.starts_with(sub.as_str());
    let rest = argv.get(2..).unwrap_or_default();
    if m("state") || m("sa") {
        state::do_state(rtnl, rest, o, out)
    } else if m("policy") {
        policy::do_policy(rtnl, rest, o, out)
    } else if m("monitor") {
        // One-shot: join the groups and print what is already queued (a
        // scenario keeps the listener open across commands instead).
        let groups = monitor::monitor_groups(rest)?;
        rtnl.listen(groups, &mut |m| monitor::monitor_print(out, m, o))
    } else {
        Err(Fail::Usage(format!("Command \"{sub}\" is unknown, try \"ip xfrm help\".\n")))
    }
}

/// `makeargs`: splits a batch line into words (quotes group, `#` starts
/// a comment).
pub fn split_words(line: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut cur = String::new();
    let mut quote: Option<char> = None;
    let mut in_word = false;
    for c in line.chars() {
        match quote {
            Some(q) if c == q => quote = None,
            Some(_) => cur.push(c),
            None if c == '"' || c == '\'' => {
                quote = Some(c);
                in_word = true;
            }
            None if c == '#' && !in_word => break,
            None if c.is_whitespace() => {
                if in_word {
                    words.push(std::mem::take(&mut cur));
                    in_word = false;
                }
            }
            None => {
                cur.push(c);
                in_word = true;
            }
        }
    }
    if in_word {
        words.push(cur);
    }
    words
}

/// Runs `ip ARGS...` (without the leading `ip`) over `link`. With
/// `-batch`, `read_file` supplies the file's text.
pub fn run_ip(
    link: &mut dyn Link,
    argv: &[String],
    read_file: &dyn Fn(&str) -> Option<String>,
) -> Outcome {
    let mut res = Outcome::default();
    let (g, used) = match parse_global(argv) {
        Ok(v) => v,
        Err(Fail::Usage(s) | Fail::Kernel(s)) => {
            res.err = s;
            res.code = 2;
            return res;
        }
    };
    let mut rtnl = Rtnl::new(link);
    let rest = argv.get(used..).unwrap_or_default();
    if let Some(file) = &g.batch {
        let Some(text) = read_file(file) else {
            res.err =
                format!("Cannot open file \"{file}\" for reading: No such file or directory\n");
            res.code = 2;
            return res;
        };
        for (n, line) in text.lines().enumerate() {
            let words = split_words(line);
            if words.is_empty() {
                continue;
            }
            // Each line may carry its own -s/-d, as `ip` allows.
            let (lg, lused) = match parse_global(&words) {
                Ok((mut lg, u)) => {
                    lg.opts.stats += g.opts.stats;
                    lg.opts.details += g.opts.details;
                    (lg, u)
                }
                Err(Fail::Usage(s) | Fail::Kernel(s)) => {
                    res.err.push_str(&s);
                    res.code = 2;
                    continue;
                }
            };
            if let Err(Fail::Usage(s) | Fail::Kernel(s)) =
                do_cmd(&mut rtnl, words.get(lused..).unwrap_or_default(), &lg.opts, &mut res.out)
            {
                res.err.push_str(&s);
                res.err.push_str(&format!("Command failed {file}:{}\n", n + 1));
                res.code = 2;
                if !g.force {
                    break;
                }
            }
        }
        return res;
    }
    if let Err(Fail::Usage(s) | Fail::Kernel(s)) = do_cmd(&mut rtnl, rest, &g.opts, &mut res.out) {
        res.err = s;
        res.code = 2;
    }
    res
}
