//! Scan benchmark (`cargo bench --bench scan`): builds a corpus of every agent's real samples
//! in ../shared/data (Claude Code, Codex, Gemini CLI, Copilot CLI, Amp, Qwen Code, Cline,
//! opencode, Kilo CLI) copied 50 times in a temp folder, laid out as each agent keeps it, then
//! measures in the same run: the real `tokenburn` binary's cold `scan` of all agents together
//! on a fresh ledger, ccusage 20.0.24 reading the same agents (`ccusage <agent> daily --json
//! --offline`, one run per agent it supports, summed) and the ratio, and the re-scan with
//! nothing new. Wall and CPU time (rusage) are medians of a few runs (`RUNS`, 3 unless set);
//! each figure is printed with the load average. ccusage is `CCUSAGE_BIN` when set, else it is
//! installed with npm into `target/ccusage/` (skipped with a message when that fails).
//! Targets: cold scan <= 0.25x ccusage's time, re-scan <= 50 ms, peak RSS <= 60 MB.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

/// How many times each sample is copied.
const COPIES: usize = 50;

/// One agent's samples and how the corpus lays them out.
struct Spec {
    /// Tokenburn's name of the agent (`scan --dir NAME=PATH`).
    agent: &'static str,
    /// ccusage's command for it and the variable naming its folder(s), when it reads it.
    ccusage: Option<(&'static str, &'static str)>,
    /// The sub-folder of the agent folder that variable names (Gemini CLI's `tmp`).
    env_sub: &'static str,
    /// (sample folder under ../shared/data, where it goes in the agent folder).
    samples: &'static [(&'static str, &'static str)],
    /// A database agent: each copy is a whole agent folder of its own. Otherwise all copies
    /// share one agent folder, each entry of a sample folder copied under a name of its own.
    db: bool,
}

const SPECS: &[Spec] = &[
    Spec {
        agent: "claude-code",
        ccusage: Some(("claude", "CLAUDE_CONFIG_DIR")),
        env_sub: "",
        samples: &[
            ("claude-code/sniffly-chiphuyen/projects", "projects"),
            ("claude-code/claude-code-viewer-dkimuson/projects", "projects"),
        ],
        db: false,
    },
    Spec {
        agent: "codex",
        ccusage: Some(("codex", "CODEX_HOME")),
        env_sub: "",
        samples: &[("codex/ask-codex-sessions-kirilligum/sessions/2026/03/06", "sessions/2026/03/06")],
        db: false,
    },
    Spec {
        agent: "gemini-cli",
        ccusage: Some(("gemini", "GEMINI_DATA_DIR")),
        env_sub: "tmp",
        samples: &[
            ("agent-logs/gemini/m-gemini-mischa-thisness/tmp", "tmp"),
            ("agent-logs/gemini/vibecodingtracker-mai0313/tmp", "tmp"),
        ],
        db: false,
    },
    Spec {
        agent: "copilot-cli",
        ccusage: Some(("copilot", "COPILOT_HOME")),
        env_sub: "",
        samples: &[
            ("agent-logs/copilot/kaijon-little-hou-claw/session-state", "session-state"),
            ("agent-logs/copilot/shinelu2013-myassistant/session-state", "session-state"),
            ("agent-logs/copilot/vibecodingtracker-mai0313/session-state", "session-state"),
            ("agent-logs/copilot/xeff09-dotfiles/session-state", "session-state"),
        ],
        db: false,
    },
    Spec {
        agent: "amp",
        ccusage: Some(("amp", "AMP_DATA_DIR")),
        env_sub: "",
        samples: &[("agent-logs/amp/hackclub-club-dashboard/threads", "threads")],
        db: false,
    },
    Spec {
        agent: "qwen-code",
        ccusage: Some(("qwen", "QWEN_DATA_DIR")),
        env_sub: "",
        samples: &[("agent-logs/qwen/cloudschool-haidonglethqb/projects", "projects")],
        db: false,
    },
    Spec {
        agent: "cline",
        ccusage: None,
        env_sub: "",
        samples: &[
            ("agent-logs/cline/cline-xray-coregems/tasks", "tasks"),
            ("agent-logs/cline/mcp-vscode-server-jeehunter/tasks", "tasks"),
        ],
        db: false,
    },
    Spec {
        agent: "opencode",
        ccusage: Some(("opencode", "OPENCODE_DATA_DIR")),
        env_sub: "",
        samples: &[
            ("agent-logs/opencode/stunning-memory-suhd550-dev/opencode.db", "opencode.db"),
            ("agent-logs/opencode/local-opencode-theoneand33/storage", "storage"),
        ],
        db: true,
    },
    Spec {
        agent: "kilo-cli",
        ccusage: Some(("kilo", "KILO_DATA_DIR")),
        env_sub: "",
        samples: &[
            ("agent-logs/kilo/mushushi-web-designer-rohan/kilo.db", "kilo.db"),
            ("agent-logs/kilo/mushushi-web-designer-rohan/kilo.db-wal", "kilo.db-wal"),
            ("agent-logs/kilo/mushushi-web-designer-rohan/kilo.db-shm", "kilo.db-shm"),
        ],
        db: true,
    },
];

/// Copies a file or a folder tree; returns the bytes and files copied.
fn copy_tree(from: &Path, to: &Path) -> (u64, u64) {
    if from.is_file() {
        std::fs::create_dir_all(to.parent().unwrap()).unwrap();
        return (std::fs::copy(from, to).unwrap(), 1);
    }
    std::fs::create_dir_all(to).unwrap();
    let (mut bytes, mut files) = (0, 0);
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let (b, f) = copy_tree(&e.path(), &to.join(e.file_name()));
        bytes += b;
        files += f;
    }
    (bytes, files)
}

/// `name` with `-cNN` before its extension (a file) or at its end (a folder).
fn renamed(name: &str, is_dir: bool, copy: usize) -> String {
    match name.rsplit_once('.') {
        Some((stem, ext)) if !is_dir => format!("{stem}-c{copy:02}.{ext}"),
        _ => format!("{name}-c{copy:02}"),
    }
}

/// One agent's folder(s) in the corpus, and the bytes and files in them.
struct Built {
    folders: Vec<PathBuf>,
    bytes: u64,
    files: u64,
}

fn build(spec: &Spec, data: &Path, corpus: &Path) -> Built {
    let root = corpus.join(spec.agent);
    let (mut bytes, mut files, mut folders) = (0, 0, Vec::new());
    for copy in 1..=COPIES {
        let folder = if spec.db { root.join(format!("c{copy:02}")) } else { root.clone() };
        for (src, dst) in spec.samples {
            let src = data.join(src);
            if spec.db {
                let (b, f) = copy_tree(&src, &folder.join(dst));
                bytes += b;
                files += f;
                continue;
            }
            // Session folders (and files) get distinct names, so each copy is a session of
            // its own, in the place the agent keeps it.
            for e in std::fs::read_dir(&src).unwrap() {
                let e = e.unwrap();
                let is_dir = e.file_type().unwrap().is_dir();
                let name = renamed(&e.file_name().to_string_lossy(), is_dir, copy);
                let (b, f) = copy_tree(&e.path(), &folder.join(dst).join(name));
                bytes += b;
                files += f;
            }
        }
        if !folders.contains(&folder) {
            folders.push(folder);
        }
    }
    Built { folders, bytes, files }
}

/// What one run of a command took.
#[derive(Clone, Copy, Default)]
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

/// The 1-minute load average.
fn load() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .ok()
        .and_then(|s| s.split_whitespace().next().map(str::to_string))
        .unwrap_or_else(|| "?".into())
}

/// ccusage 20.0.24: `CCUSAGE_BIN`, else the copy installed with npm under `target/ccusage/`
/// (installing it there when missing).
fn ccusage() -> Result<PathBuf, String> {
    if let Some(p) = std::env::var_os("CCUSAGE_BIN") {
        return Ok(PathBuf::from(p));
    }
    // This bench runs as target/<profile>/deps/scan-<hash>.
    let exe = std::env::current_exe().map_err(|e| e.to_string())?;
    let target = exe.ancestors().nth(3).ok_or("no target folder")?.to_path_buf();
    let cache = target.join("ccusage");
    let (os, arch) = match (std::env::consts::OS, std::env::consts::ARCH) {
        ("macos", a) => ("darwin", a),
        (o, a) => (o, a),
    };
    let arch = if arch == "x86_64" {
        "x64"
    } else if arch == "aarch64" {
        "arm64"
    } else {
        arch
    };
    let platform = format!("@ccusage/ccusage-{os}-{arch}");
    let bin = cache.join("node_modules").join(&platform).join("bin/ccusage");
    if !bin.is_file() {
        std::fs::create_dir_all(&cache).map_err(|e| e.to_string())?;
        if !cache.join("package.json").is_file() {
            std::fs::write(cache.join("package.json"), "{\"private\": true}\n").map_err(|e| e.to_string())?;
        }
        println!("installing ccusage 20.0.24 into {}", cache.display());
        let ok = Command::new("npm")
            .args(["install", "--no-audit", "--no-fund", "ccusage@20.0.24", &format!("{platform}@20.0.24")])
            .current_dir(&cache)
            .status()
            .map_err(|e| format!("npm: {e}"))?;
        if !ok.success() || !bin.is_file() {
            return Err(format!("npm install ccusage@20.0.24 {platform}@20.0.24 failed"));
        }
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let _ = std::fs::set_permissions(&bin, std::fs::Permissions::from_mode(0o755));
    }
    Ok(bin)
}

fn spec_index(spec: &Spec) -> usize {
    SPECS.iter().position(|s| s.agent == spec.agent).unwrap()
}

/// `tokenburn scan` of the given agents' corpus folders into the ledger `db`.
fn scan_cmd<'a>(bin: &str, db: &Path, home: &Path, agents: impl Iterator<Item = (&'a Spec, &'a Built)>) -> Command {
    let mut c = Command::new(bin);
    c.args(["--db", db.to_str().unwrap(), "scan", "--json"]).env("HOME", home);
    for (spec, b) in agents {
        for f in &b.folders {
            c.arg("--dir").arg(format!("{}={}", spec.agent, f.display()));
        }
    }
    c
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

fn main() {
    let data = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/data");
    if !data.is_dir() {
        println!("SKIP: ../shared/data is absent; the scan benchmark needs the real agent logs");
        return;
    }
    let bin = env!("CARGO_BIN_EXE_tokenburn");
    let tmp = tempfile::tempdir().unwrap();
    // `KEEP=PATH` builds the corpus there and leaves it, to profile a scan of it by hand.
    let corpus = match std::env::var_os("KEEP") {
        Some(p) => PathBuf::from(p),
        None => tmp.path().join("corpus"),
    };
    assert!(!corpus.exists(), "{} exists already", corpus.display());
    let home = tmp.path().join("home");
    std::fs::create_dir_all(&home).unwrap();
    let (mut bytes, mut files) = (0, 0);
    let mut built = Vec::new();
    for spec in SPECS {
        let b = build(spec, &data, &corpus);
        println!(
            "corpus {:<12} {:>7.1} MB, {:>5} files, {} folder(s)",
            spec.agent,
            b.bytes as f64 / 1e6,
            b.files,
            b.folders.len()
        );
        bytes += b.bytes;
        files += b.files;
        built.push(b);
    }
    let mb = bytes as f64 / 1e6;
    println!("corpus: {mb:.1} MB, {files} files, every sample copied {COPIES} times");

    let cc = ccusage();
    if let Err(e) = &cc {
        println!("ccusage 20.0.24 cannot be had ({e}): no side-by-side ratio this run");
    }
    let runs: usize = std::env::var("RUNS").ok().and_then(|v| v.parse().ok()).unwrap_or(3);
    let (mut cold, mut rescan, mut cc_runs) = (Vec::new(), Vec::new(), Vec::new());
    let mut loads = Vec::new();
    // The first run's figures per agent: Tokenburn's cold scan of it alone, and ccusage's.
    let mut per_agent: Vec<(Run, Option<Run>)> = vec![Default::default(); SPECS.len()];
    for (i, one) in SPECS.iter().zip(&built).enumerate() {
        let db = tmp.path().join(format!("ledger-{}.db", one.0.agent));
        per_agent[i].0 = measure(&mut scan_cmd(bin, &db, &home, std::iter::once(one)));
    }
    for run in 0..runs {
        let db = tmp.path().join(format!("ledger{run}.db"));
        let scan = || scan_cmd(bin, &db, &home, SPECS.iter().zip(&built));
        let l = load();
        cold.push(measure(&mut scan()));
        rescan.push(measure(&mut scan()));
        // ccusage, every agent it reads, one run each, summed.
        if let Ok(cc) = &cc {
            let mut sum = Run::default();
            for (spec, b) in SPECS.iter().zip(&built) {
                let Some((cmd, var)) = spec.ccusage else { continue };
                let dirs: Vec<String> = b.folders.iter().map(|f| f.join(spec.env_sub).display().to_string()).collect();
                let mut c = Command::new(cc);
                c.args([cmd, "daily", "--json", "--offline", "--timezone", "UTC"])
                    .env_clear()
                    .env("PATH", std::env::var_os("PATH").unwrap_or_default())
                    .env("HOME", &home)
                    .env("TZ", "UTC")
                    .env(var, dirs.join(","));
                let r = measure(&mut c);
                if run == 0 {
                    per_agent[spec_index(spec)].1 = Some(r);
                }
                sum.wall += r.wall;
                sum.cpu += r.cpu;
                sum.rss = sum.rss.max(r.rss);
            }
            cc_runs.push(sum);
        }
        loads.push(format!("{l}->{}", load()));
    }
    println!("per agent, first run (Tokenburn alone on that agent, fresh ledger / ccusage):");
    for (spec, (tb, cc)) in SPECS.iter().zip(&per_agent) {
        let cc = cc.map_or("not read by ccusage".to_string(), |r| {
            format!("ccusage {:>7.1} ms wall, {:>7.1} ms CPU", ms(r.wall), ms(r.cpu))
        });
        println!("  {:<12} tokenburn {:>7.1} ms wall, {:>7.1} ms CPU | {cc}", spec.agent, ms(tb.wall), ms(tb.cpu));
    }
    let loads = loads.join(", ");
    let med = |v: &[Run], f: fn(&Run) -> Duration| median(v.iter().map(f).collect());
    let (cold_wall, cold_cpu) = (med(&cold, |r| r.wall), med(&cold, |r| r.cpu));
    let rss = cold.iter().chain(&rescan).map(|r| r.rss).max().unwrap_or(0);
    println!("load average (1 min) before->after each run: {loads}; medians of {runs} runs");
    println!(
        "tokenburn cold scan, all agents: {:.3} s wall ({:.0} MB/s), {:.3} s CPU",
        cold_wall.as_secs_f64(),
        mb / cold_wall.as_secs_f64(),
        cold_cpu.as_secs_f64()
    );
    let rescan_wall = med(&rescan, |r| r.wall);
    println!(
        "tokenburn re-scan, nothing new: {:.1} ms wall, {:.1} ms CPU (target <= 50 ms): {}",
        ms(rescan_wall),
        ms(med(&rescan, |r| r.cpu)),
        if ms(rescan_wall) <= 50.0 { "met" } else { "MISSED" }
    );
    println!("tokenburn peak RSS: {:.1} MB (target <= 60 MB)", rss as f64 / 1024.0);
    if !cc_runs.is_empty() {
        let (cc_wall, cc_cpu) = (med(&cc_runs, |r| r.wall), med(&cc_runs, |r| r.cpu));
        let cc_rss = cc_runs.iter().map(|r| r.rss).max().unwrap_or(0);
        println!(
            "ccusage 20.0.24 daily, summed over its agents: {:.3} s wall, {:.3} s CPU, peak RSS {:.1} MB",
            cc_wall.as_secs_f64(),
            cc_cpu.as_secs_f64(),
            cc_rss as f64 / 1024.0
        );
        let ratio = cold_wall.as_secs_f64() / cc_wall.as_secs_f64();
        println!(
            "ratio tokenburn cold scan / ccusage: {ratio:.2}x wall, {:.2}x CPU (target <= 0.25x): {}",
            cold_cpu.as_secs_f64() / cc_cpu.as_secs_f64(),
            if ratio <= 0.25 { "met" } else { "MISSED" }
        );
    }
}
