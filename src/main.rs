//! The `tokenburn` CLI: parses arguments, calls the engine, prints. No logic of its own.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result};
use clap::{Args, Parser, Subcommand};
use serde_json::json;
use tokenburn::import::{self, FileReport};
use tokenburn::ledger::queries::prices::OverrideRow;
use tokenburn::ledger::{self, Ledger};
use tokenburn::report::{self, By, Filter};
use tokenburn::scan::{self, Roots};
use tokenburn::timezone;

#[derive(Parser)]
#[command(name = "tokenburn", version, about = "Track AI token spend against your budgets")]
struct Cli {
    #[command(flatten)]
    global: Global,
    #[command(subcommand)]
    cmd: Cmd,
}

#[derive(Args)]
struct Global {
    /// Ledger file (default: the platform data folder)
    #[arg(long, global = true, env = "TOKENBURN_DB")]
    db: Option<PathBuf>,
    /// Time zone (IANA name) for this command, instead of the ledger's
    #[arg(long, global = true)]
    tz: Option<String>,
    /// Print JSON
    #[arg(long, global = true)]
    json: bool,
}

#[derive(Subcommand)]
enum Cmd {
    /// Import files or folders (format detected, or given with --format)
    Import {
        #[arg(long)]
        format: Option<String>,
        /// Parse and report without writing anything
        #[arg(long)]
        dry_run: bool,
        #[arg(required = true)]
        paths: Vec<PathBuf>,
    },
    /// Import new lines of Claude Code and Codex logs from their standard places
    Scan {
        /// A Claude Code config folder (holding projects/) or a projects/ folder
        #[arg(long = "claude-dir")]
        claude_dirs: Vec<PathBuf>,
        /// A Codex home (holding sessions/)
        #[arg(long = "codex-dir")]
        codex_dirs: Vec<PathBuf>,
    },
    /// Token and cost totals
    Report {
        #[arg(long, default_value = "day", value_parser = |s: &str| s.parse::<By>())]
        by: By,
        #[arg(long)]
        since: Option<String>,
        #[arg(long)]
        until: Option<String>,
        #[arg(long)]
        source: Option<String>,
        #[arg(long)]
        provider: Option<String>,
        #[arg(long)]
        model: Option<String>,
        #[arg(long)]
        project: Option<String>,
    },
    /// The formats Tokenburn imports
    Sources,
    /// The price book: list prices, or set your own
    Prices {
        /// Only models of stored events that have no price
        #[arg(long)]
        unpriced: bool,
        #[command(subcommand)]
        cmd: Option<PricesCmd>,
    },
    /// Ledger settings
    Config {
        #[command(subcommand)]
        cmd: ConfigCmd,
    },
}

#[derive(Subcommand)]
enum PricesCmd {
    /// Set a price override (dollars per million tokens); it wins over the price book
    Set {
        model: String,
        #[arg(long)]
        input: String,
        #[arg(long)]
        output: String,
        #[arg(long)]
        cache_read: Option<String>,
        #[arg(long = "cache-write-5m")]
        cache_write_5m: Option<String>,
        #[arg(long = "cache-write-1h")]
        cache_write_1h: Option<String>,
        /// First day the price applies (default: always)
        #[arg(long)]
        from: Option<String>,
    },
}

#[derive(Subcommand)]
enum ConfigCmd {
    /// Set a setting: `tz IANA`
    Set { key: String, value: String },
    /// Show settings
    Get { key: Option<String> },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("tokenburn: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn open(g: &Global) -> Result<Ledger> {
    let path = g.db.clone().unwrap_or_else(ledger::default_path);
    Ledger::open(&path).with_context(|| format!("opening ledger {}", path.display()))
}

fn zone(g: &Global, l: &Ledger) -> Result<chrono_tz::Tz> {
    match &g.tz {
        Some(name) => Ok(timezone::parse_tz(name)?),
        None => Ok(l.tz()?),
    }
}

fn run(cli: Cli) -> Result<ExitCode> {
    let g = &cli.global;
    match cli.cmd {
        Cmd::Import { format, dry_run, paths } => {
            let mut l = open(g)?;
            let bar = Progress::new(0);
            let results = import::import_paths(&mut l, &paths, format.as_deref(), dry_run, |p| bar.file(p))?;
            bar.done();
            print_imports(g.json, results.into_iter().map(|r| (None, r)).collect(), None)
        }
        Cmd::Scan { claude_dirs, codex_dirs } => {
            let mut l = open(g)?;
            let roots = if claude_dirs.is_empty() && codex_dirs.is_empty() {
                Roots::standard()
            } else {
                Roots::given(&claude_dirs, &codex_dirs)
            };
            let bar = Progress::new(0);
            let rep = scan::scan(&mut l, &roots, |i, n, p| {
                bar.set_len(n);
                bar.set_pos(i);
                bar.file(p);
            })?;
            bar.done();
            if !g.json {
                if rep.locations.is_empty() {
                    println!("No agent-log folders found (looked for Claude Code and Codex in the standard places).");
                }
                for loc in &rep.locations {
                    println!("scanning {}", loc.display());
                }
            }
            let files = rep.files.into_iter().map(|(p, r)| (Some(p), r)).collect();
            print_imports(g.json, files, Some(rep.unchanged))
        }
        Cmd::Report { by, since, until, source, provider, model, project } => {
            let l = open(g)?;
            let tz = zone(g, &l)?;
            let filter = Filter {
                since: since.as_deref().map(report::parse_day).transpose()?,
                until: until.as_deref().map(report::parse_day).transpose()?,
                source,
                provider,
                model,
                project,
            };
            let rep = report::report(&l, by, &filter, tz)?;
            if g.json {
                println!("{}", serde_json::to_string_pretty(&rep)?);
            } else {
                print_report(&rep);
            }
            Ok(ExitCode::SUCCESS)
        }
        Cmd::Sources => {
            if g.json {
                let list: Vec<_> =
                    import::SOURCES.iter().map(|s| json!({"name": s.name(), "description": s.describe()})).collect();
                println!("{}", serde_json::to_string_pretty(&list)?);
            } else {
                for s in import::SOURCES {
                    println!("{:<14} {}", s.name(), s.describe());
                }
            }
            Ok(ExitCode::SUCCESS)
        }
        Cmd::Prices {
            unpriced,
            cmd: Some(PricesCmd::Set { model, input, output, cache_read, cache_write_5m, cache_write_1h, from }),
        } => {
            let _ = unpriced;
            let mut l = open(g)?;
            let from = from.as_deref().map(report::parse_day).transpose()?;
            let row =
                OverrideRow { model: model.clone(), from, input, output, cache_read, cache_write_5m, cache_write_1h };
            let n = l.set_price_override(&row)?;
            if g.json {
                println!("{}", json!({"model": model, "repriced_events": n}));
            } else {
                println!("Price for {model} set; {n} stored events re-priced.");
            }
            Ok(ExitCode::SUCCESS)
        }
        Cmd::Prices { unpriced, cmd: None } => {
            let l = open(g)?;
            prices(&l, g.json, unpriced)?;
            Ok(ExitCode::SUCCESS)
        }
        Cmd::Config { cmd: ConfigCmd::Set { key, value } } => {
            let mut l = open(g)?;
            match key.as_str() {
                "tz" => l.set_tz(timezone::parse_tz(&value)?)?,
                _ => anyhow::bail!("unknown setting {key:?} (settings: tz)"),
            }
            println!("{key} = {value}");
            Ok(ExitCode::SUCCESS)
        }
        Cmd::Config { cmd: ConfigCmd::Get { key } } => {
            let l = open(g)?;
            let tz = l.tz()?;
            match key.as_deref() {
                None | Some("tz") => {
                    if g.json {
                        println!("{}", json!({"tz": tz.name(), "db": l.path()}));
                    } else {
                        println!("tz = {}\ndb = {}", tz.name(), l.path().display());
                    }
                }
                Some(k) => anyhow::bail!("unknown setting {k:?} (settings: tz)"),
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}

type FileResult = (Option<PathBuf>, std::result::Result<FileReport, tokenburn::error::Error>);

fn print_imports(as_json: bool, results: Vec<FileResult>, unchanged: Option<usize>) -> Result<ExitCode> {
    let mut failed = false;
    let mut files = Vec::new();
    let mut added = 0;
    for (path, r) in results {
        match r {
            Ok(rep) => {
                added += rep.added;
                if !as_json {
                    let same = rep.same_as.map(|id| format!(" (identical to import #{id})")).unwrap_or_default();
                    println!(
                        "{}: {} rows {}, added {}, updated {}, duplicates {}, rejected {}{}",
                        rep.path,
                        rep.format,
                        rep.rows,
                        rep.added,
                        rep.updated,
                        rep.duplicates,
                        rep.rejected_count.max(rep.rejected.len() as u64),
                        same
                    );
                    for rj in &rep.rejected {
                        println!("  {}:{}: {}", rep.path, rj.line, rj.reason);
                    }
                }
                files.push(serde_json::to_value(&rep)?);
            }
            Err(e) => {
                failed = true;
                eprintln!("tokenburn: {e}");
                let p = path.map(|p| p.display().to_string()).unwrap_or_default();
                files.push(json!({"path": p, "error": {"code": e.code(), "message": e.to_string()}}));
            }
        }
    }
    if as_json {
        let mut out = json!({"files": files, "added": added});
        if let Some(u) = unchanged {
            out["unchanged"] = json!(u);
        }
        println!("{}", serde_json::to_string_pretty(&out)?);
    } else {
        if let Some(u) = unchanged {
            println!("{} files read, {u} unchanged; {added} events added.", files.len());
        }
    }
    Ok(if failed { ExitCode::FAILURE } else { ExitCode::SUCCESS })
}

fn print_report(rep: &report::Report) {
    let head = ["key", "input", "output", "cache write", "cache read", "unsplit", "total", "cost USD", "unpriced"];
    let mut lines: Vec<[String; 9]> = Vec::new();
    let fmt = |r: &report::Row, key: &str| {
        [
            key.to_string(),
            group(r.input_tokens),
            group(r.output_tokens),
            group(r.cache_write_tokens),
            group(r.cache_read_tokens),
            group(r.unsplit_tokens),
            group(r.total_tokens),
            tokenburn::money::Usd::parse(&r.cost_usd).map(|u| u.round_to(2)).unwrap_or_default(),
            r.unpriced_events.to_string(),
        ]
    };
    for r in &rep.rows {
        lines.push(fmt(r, r.key.as_deref().unwrap_or("")));
    }
    lines.push(fmt(&rep.totals, "TOTAL"));
    let mut w = head.map(str::len);
    for l in &lines {
        for (i, c) in l.iter().enumerate() {
            w[i] = w[i].max(c.len());
        }
    }
    let row = |cells: &[String]| {
        cells
            .iter()
            .enumerate()
            .map(|(i, c)| if i == 0 { format!("{c:<w$}", w = w[i]) } else { format!("{c:>w$}", w = w[i]) })
            .collect::<Vec<_>>()
            .join("  ")
    };
    println!("{}", row(&head.map(String::from)));
    for l in &lines {
        println!("{}", row(l));
    }
    if rep.totals.unpriced_events > 0 {
        println!(
            "\n{} events have no price and are not in the cost (see `tokenburn prices --unpriced`).",
            rep.totals.unpriced_events
        );
    }
}

/// 1234567 -> "1,234,567".
fn group(n: i64) -> String {
    let s = n.abs().to_string();
    let mut out = String::new();
    for (i, ch) in s.chars().enumerate() {
        if i > 0 && (s.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(ch);
    }
    if n < 0 {
        format!("-{out}")
    } else {
        out
    }
}

fn prices(l: &Ledger, as_json: bool, unpriced: bool) -> Result<()> {
    if unpriced {
        let mut stmt = l.conn().prepare(
            "SELECT provider, model, COUNT(*), SUM(input + cache_write_5m + cache_write_1h + cache_read + output + unsplit)
             FROM events WHERE cost_nanos IS NULL AND superseded = 0 GROUP BY 1, 2 ORDER BY 3 DESC",
        )?;
        let rows: Vec<(String, String, i64, i64)> =
            stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))?.collect::<Result<_, _>>()?;
        if as_json {
            let list: Vec<_> =
                rows.iter().map(|(p, m, n, t)| json!({"provider": p, "model": m, "events": n, "tokens": t})).collect();
            println!("{}", serde_json::to_string_pretty(&list)?);
        } else if rows.is_empty() {
            println!("Every stored event has a price.");
        } else {
            println!("{:<12} {:<40} {:>8} {:>16}", "provider", "model", "events", "tokens");
            for (p, m, n, t) in rows {
                println!("{p:<12} {m:<40} {n:>8} {:>16}", group(t));
            }
            println!("\nSet a price with `tokenburn prices set MODEL --input USD_PER_MTOK --output USD_PER_MTOK`.");
        }
        return Ok(());
    }
    let today = chrono::Utc::now().date_naive();
    let list = l.book().models(today);
    if as_json {
        let v: Vec<_> = list
            .iter()
            .map(|(provider, model, p)| {
                json!({"provider": provider, "model": model, "source": p.source,
                       "input": p.base.input.to_string(), "output": p.base.output.to_string(),
                       "cache_read": p.base.cache_read.to_string(), "cache_write_5m": p.base.cache_write_5m.to_string(),
                       "cache_write_1h": p.base.cache_write_1h.to_string(),
                       "tier": p.tier.as_ref().map(|(t, r)| json!({"above_input_tokens": t, "input": r.input.to_string(), "output": r.output.to_string()}))})
            })
            .collect();
        println!("{}", serde_json::to_string_pretty(&v)?);
    } else {
        println!("USD per million tokens, in force {today}:");
        println!(
            "{:<12} {:<44} {:>9} {:>9} {:>9} {:>9} {:>9}",
            "provider", "model", "input", "output", "c.read", "c.w.5m", "c.w.1h"
        );
        for (provider, model, p) in list {
            let r = &p.base;
            println!(
                "{provider:<12} {model:<44} {:>9} {:>9} {:>9} {:>9} {:>9}",
                r.input.to_string(),
                r.output.to_string(),
                r.cache_read.to_string(),
                r.cache_write_5m.to_string(),
                r.cache_write_1h.to_string()
            );
        }
    }
    Ok(())
}

/// A progress bar on stderr, only when stderr is a terminal.
struct Progress(Option<indicatif::ProgressBar>);

impl Progress {
    fn new(len: u64) -> Progress {
        if !std::io::stderr().is_terminal() {
            return Progress(None);
        }
        let bar = indicatif::ProgressBar::new(len);
        bar.set_style(
            indicatif::ProgressStyle::with_template("{spinner} [{bar:30}] {pos}/{len} {wide_msg}")
                .expect("valid template")
                .progress_chars("=> "),
        );
        Progress(Some(bar))
    }
    fn set_len(&self, n: usize) {
        if let Some(b) = &self.0 {
            b.set_length(n as u64);
        }
    }
    fn set_pos(&self, i: usize) {
        if let Some(b) = &self.0 {
            b.set_position(i as u64);
        }
    }
    fn file(&self, p: &Path) {
        if let Some(b) = &self.0 {
            b.set_message(p.display().to_string());
            b.tick();
        }
    }
    fn done(&self) {
        if let Some(b) = &self.0 {
            b.finish_and_clear();
        }
    }
}
