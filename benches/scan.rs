//! Scan benchmark (`cargo bench --bench scan`): builds the 50x Claude Code corpus of
//! ../shared/data/peer-reference-outputs/RUNBOOK.md in a temp folder, then measures the real
//! `tokenburn` binary: cold `scan` time and MB/s, the re-scan time with nothing new (wall
//! and CPU time of each), and peak RSS; when ccusage is installed (`CCUSAGE_BIN`, or `ccusage` on PATH) it runs it on
//! the same corpus in the same run and prints the ratio. Targets: cold scan <= 0.25x
//! ccusage 20's time, re-scan <= 50 ms, peak RSS <= 60 MB.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

fn copy_tree(from: &Path, to: &Path) -> u64 {
    std::fs::create_dir_all(to).unwrap();
    let mut bytes = 0;
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let dst = to.join(e.file_name());
        if e.file_type().unwrap().is_dir() {
            bytes += copy_tree(&e.path(), &dst);
        } else {
            bytes += std::fs::copy(e.path(), dst).unwrap();
        }
    }
    bytes
}

/// What one run of a command took.
struct Run {
    wall: Duration,
    /// User plus system CPU time.
    cpu: Duration,
    /// Peak RSS in KiB.
    rss: i64,
}

fn cpu_time(t: libc::timeval) -> Duration {
    Duration::from_secs(t.tv_sec as u64) + Duration::from_micros(t.tv_usec as u64)
}

/// Runs a command, returning its wall time, CPU time and peak RSS.
#[allow(clippy::zombie_processes)] // reaped by wait4 below, which also gives its rusage
fn measure(cmd: &mut Command) -> Run {
    let start = Instant::now();
    let child = cmd.stdout(std::process::Stdio::null()).spawn().expect("spawn");
    let pid = child.id() as libc::pid_t;
    let mut status = 0;
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: wait4 on our own child, with valid pointers to locals.
    let r = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
    let elapsed = start.elapsed();
    assert_eq!(r, pid, "wait4 failed");
    assert!(libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0, "command failed: {cmd:?}");
    Run { wall: elapsed, cpu: cpu_time(usage.ru_utime) + cpu_time(usage.ru_stime), rss: usage.ru_maxrss }
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn ccusage() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("CCUSAGE_BIN") {
        return Some(PathBuf::from(p));
    }
    std::env::var_os("PATH")?.to_str()?.split(':').map(|d| Path::new(d).join("ccusage")).find(|p| p.is_file())
}

fn main() {
    let data = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/data");
    if !data.is_dir() {
        println!("SKIP: ../shared/data is absent; the scan benchmark needs the real transcripts");
        return;
    }
    let bin = env!("CARGO_BIN_EXE_tokenburn");
    let tmp = tempfile::tempdir().unwrap();
    let scaled = tmp.path().join("scaled");
    let mut bytes = 0;
    for i in 1..=50 {
        for (src, name) in [
            ("claude-code/sniffly-chiphuyen/projects/-Users-chip-dev-ai-music", "ai-music"),
            ("claude-code/claude-code-viewer-dkimuson/projects/sample-project", "sample-project"),
        ] {
            bytes += copy_tree(&data.join(src), &scaled.join(format!("projects/copy{i:02}-{name}")));
        }
    }
    let mb = bytes as f64 / 1e6;
    println!("corpus: {mb:.1} MB, 350 files");

    let runs = 3;
    let (mut cold, mut rescan, mut rss) = (Vec::new(), Vec::new(), 0);
    let (mut cold_cpu, mut rescan_cpu) = (Vec::new(), Vec::new());
    for run in 0..runs {
        let db = tmp.path().join(format!("ledger{run}.db"));
        let scan = || {
            let mut c = Command::new(bin);
            c.args(["--db", db.to_str().unwrap(), "scan", "--json", "--claude-dir", scaled.to_str().unwrap()])
                .env("HOME", tmp.path());
            c
        };
        let r = measure(&mut scan());
        cold.push(r.wall);
        cold_cpu.push(r.cpu);
        rss = rss.max(r.rss);
        let r = measure(&mut scan());
        rescan.push(r.wall);
        rescan_cpu.push(r.cpu);
    }
    let cold = median(cold);
    let rescan = median(rescan);
    println!(
        "tokenburn cold scan: {:.3} s ({:.0} MB/s), CPU {:.3} s, medians of {runs}",
        cold.as_secs_f64(),
        mb / cold.as_secs_f64(),
        median(cold_cpu).as_secs_f64()
    );
    println!(
        "tokenburn re-scan, nothing new: {:.1} ms (target <= 50 ms), CPU {:.1} ms",
        rescan.as_secs_f64() * 1e3,
        median(rescan_cpu).as_secs_f64() * 1e3
    );
    println!("tokenburn peak RSS: {:.1} MB (target <= 60 MB)", rss as f64 / 1024.0);

    match ccusage() {
        Some(cc) => {
            let mut times = Vec::new();
            let mut cc_rss = 0;
            for _ in 0..runs {
                let mut c = Command::new(&cc);
                c.args(["claude", "daily", "--json", "--offline", "--timezone", "UTC"])
                    .env_clear()
                    .env("PATH", std::env::var_os("PATH").unwrap_or_default())
                    .env("HOME", tmp.path())
                    .env("TZ", "UTC")
                    .env("CLAUDE_CONFIG_DIR", &scaled);
                let r = measure(&mut c);
                times.push(r.wall);
                cc_rss = cc_rss.max(r.rss);
            }
            let t = median(times);
            println!("ccusage daily: {:.3} s, peak RSS {:.1} MB", t.as_secs_f64(), cc_rss as f64 / 1024.0);
            println!(
                "ratio tokenburn cold scan / ccusage: {:.2}x (target <= 0.25x)",
                cold.as_secs_f64() / t.as_secs_f64()
            );
        }
        None => println!("ccusage not found (set CCUSAGE_BIN): no side-by-side ratio this run"),
    }
}
