//! Differential runs of replay scripts: the simulation through
//! [`xfrmsim::replay::Replay`] (the `xfrmsim replay` command's driver), the
//! host kernel through the oracle's `replay_kernel.py`, and the comparison
//! by the oracle's `compare.py` (masks only what varies between two kernel
//! runs, plus the known run-varying fields).

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use sim_core::xfrm::algo_table::KernelProfile;

/// The folder of the committed scripts and kernel recordings.
pub fn replay_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("replay")
}

/// The oracle folder (`shared/oracle`), looked for beside the repository
/// or one of its parents (`XFRMSIM_ORACLE` overrides).
pub fn oracle_dir() -> Result<PathBuf, String> {
    if let Some(d) = std::env::var_os("XFRMSIM_ORACLE") {
        let d = PathBuf::from(d);
        return if d.join("replay/compare.py").is_file() {
            Ok(d)
        } else {
            Err(format!("XFRMSIM_ORACLE={} has no replay/compare.py", d.display()))
        };
    }
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .ancestors()
        .skip(1)
        .map(|a| a.join("shared/oracle"))
        .find(|d| d.join("replay/compare.py").is_file())
        .ok_or_else(|| "no shared/oracle/replay/compare.py beside the repository".to_owned())
}

/// Whether `python3` runs.
pub fn have_python() -> bool {
    Command::new("python3")
        .arg("-c")
        .arg("pass")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// Runs a script on a fresh simulated kernel with the host's profile (no
/// ESP/AH/IPComp types, the host's algorithms); one output line per
/// non-blank script line, as `xfrmsim replay --profile host` writes them.
pub fn run_sim(script: &str) -> String {
    let mut out = Vec::new();
    let mut r = xfrmsim::replay::Replay::with_profile(&KernelProfile::HOST);
    // Writing to a Vec cannot fail.
    let _ = r.run(script.as_bytes(), &mut out);
    String::from_utf8_lossy(&out).into_owned()
}

/// [`run_sim`] on its own thread, given up after `limit` (a hang, such as
/// a lock taken twice, then fails the caller instead of stalling it).
pub fn run_sim_within(script: &str, limit: std::time::Duration) -> Result<String, String> {
    let (tx, rx) = std::sync::mpsc::channel();
    let script = script.to_owned();
    std::thread::spawn(move || {
        let _ = tx.send(run_sim(&script));
    });
    rx.recv_timeout(limit).map_err(|_| format!("the simulation did not finish within {limit:?}"))
}

/// The outcome of `compare.py`.
#[derive(Debug)]
pub struct Comparison {
    /// Exit status 0: every compared step identical.
    pub identical: bool,
    /// Its last line: `identical N/M steps, datagrams D/E`.
    pub summary: String,
    /// Everything it printed.
    pub report: String,
}

/// Compares a simulation run with two kernel runs (file contents).
pub fn compare(oracle: &Path, k1: &Path, k2: &Path, sim: &str) -> Result<Comparison, String> {
    let dir = std::env::temp_dir().join(format!("xfrm_diff_{}", std::process::id()));
    std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
    let name = k1.file_name().and_then(|n| n.to_str()).unwrap_or("run").replace(".kernel1", "");
    let simf = dir.join(format!("{name}.sim"));
    std::fs::write(&simf, sim).map_err(|e| e.to_string())?;
    let out = Command::new("python3")
        .arg(oracle.join("replay/compare.py"))
        .args(["--only-diffs"])
        .arg(k1)
        .arg(k2)
        .arg(&simf)
        .output()
        .map_err(|e| format!("python3 compare.py: {e}"))?;
    let _ = std::fs::remove_file(&simf);
    let report =
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    let summary = report
        .lines()
        .rev()
        .find(|l| l.starts_with("identical "))
        .ok_or_else(|| format!("compare.py gave no summary:\n{report}"))?
        .to_owned();
    Ok(Comparison { identical: out.status.success(), summary, report })
}

/// Why the live kernel side cannot run here, if it cannot: it needs root
/// and a working `unshare -n` (a fresh network namespace per run).
pub fn live_kernel_unavailable() -> Option<String> {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let euid = status
        .lines()
        .find(|l| l.starts_with("Uid:"))
        .and_then(|l| l.split_whitespace().nth(2))
        .unwrap_or("?");
    if euid != "0" {
        return Some(format!("not root (euid {euid})"));
    }
    match Command::new("unshare").args(["-n", "true"]).stderr(Stdio::piped()).output() {
        Ok(o) if o.status.success() => None,
        Ok(o) => Some(format!("unshare -n fails: {}", String::from_utf8_lossy(&o.stderr).trim())),
        Err(e) => Some(format!("unshare: {e}")),
    }
}

/// Runs a script on the host kernel in a fresh network namespace.
pub fn run_kernel(oracle: &Path, script: &str) -> Result<String, String> {
    let mut child = Command::new("unshare")
        .arg("-n")
        .arg("python3")
        .arg(oracle.join("replay/replay_kernel.py"))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("unshare -n python3 replay_kernel.py: {e}"))?;
    // Feed the script from another thread: the output of a long script
    // fills the pipe before its input is written, and both would block.
    let mut stdin = child.stdin.take().ok_or("no stdin")?;
    let input = script.to_owned();
    let feeder = std::thread::spawn(move || stdin.write_all(input.as_bytes()));
    let out = child.wait_with_output().map_err(|e| e.to_string())?;
    feeder.join().map_err(|_| "stdin feeder panicked")?.map_err(|e| e.to_string())?;
    if !out.status.success() {
        return Err(format!("replay_kernel.py failed: {}", String::from_utf8_lossy(&out.stderr)));
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}
