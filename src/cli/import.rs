//! `import` and `scan`.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Result;
use clap::Args;
use serde_json::json;
use tokenburn::import::{self, FileReport};
use tokenburn::scan::{self, Roots};

use super::output::Progress;
use super::Global;

#[derive(Args)]
pub struct ImportArgs {
    /// The format (see `tokenburn sources`); detected when omitted
    #[arg(long)]
    format: Option<String>,
    /// Parse and report without writing anything
    #[arg(long)]
    dry_run: bool,
    /// Read CSVs through a mapping rules file (see `tokenburn rules init`)
    #[arg(long, value_name = "FILE", conflicts_with = "format")]
    rules: Option<PathBuf>,
    #[arg(required = true)]
    paths: Vec<PathBuf>,
}

#[derive(Args)]
pub struct ScanArgs {
    /// A Claude Code config folder (holding projects/) or a projects/ folder
    #[arg(long = "claude-dir")]
    claude_dirs: Vec<PathBuf>,
    /// A Codex home (holding sessions/)
    #[arg(long = "codex-dir")]
    codex_dirs: Vec<PathBuf>,
    /// Scan only this agent's folder (repeatable), e.g. `gemini-cli=~/.gemini`; see
    /// `tokenburn sources` for the agents' names
    #[arg(long = "dir", value_name = "AGENT=PATH", value_parser = agent_dir)]
    dirs: Vec<(String, PathBuf)>,
}

fn agent_dir(s: &str) -> std::result::Result<(String, PathBuf), String> {
    let (agent, path) = s.split_once('=').ok_or_else(|| format!("expected AGENT=PATH, got `{s}`"))?;
    let agent = agent.trim();
    if scan::agents::by_name(agent).is_err() {
        return Err(format!("unknown agent `{agent}`; the agents are {}", scan::agents::names().join(", ")));
    }
    if path.is_empty() {
        return Err(format!("no folder given for {agent}"));
    }
    Ok((agent.to_string(), PathBuf::from(path)))
}

pub fn run_import(g: &Global, a: ImportArgs) -> Result<ExitCode> {
    let mut l = g.open()?;
    let bar = Progress::new(0);
    // Both report each file to the callback just before its result, in order.
    let mut seen = Vec::new();
    let mut progress = |p: &std::path::Path| {
        bar.file(p);
        seen.push(p.to_path_buf());
    };
    let mut skipped = Vec::new();
    let results = match &a.rules {
        Some(rules) => import::rules::import_paths(&mut l, rules, &a.paths, a.dry_run, &mut progress)?,
        None => {
            let plan = scan::agents::import_plan(&a.paths)?;
            skipped = plan.skipped;
            import::import_paths(&mut l, &plan.files, a.format.as_deref(), a.dry_run, &mut progress)?
        }
    };
    bar.done();
    if !g.json {
        for p in &skipped {
            println!("{}: skipped, not usage", p.display());
        }
    }
    print_imports(g.json, seen.into_iter().map(Some).zip(results).collect(), None, &skipped)
}

pub fn run_scan(g: &Global, a: ScanArgs) -> Result<ExitCode> {
    let mut l = g.open()?;
    let roots = if a.claude_dirs.is_empty() && a.codex_dirs.is_empty() && a.dirs.is_empty() {
        Roots::standard()
    } else {
        let agent = |n: &str| scan::agents::by_name(n);
        let mut named = Vec::new();
        named.extend(a.claude_dirs.iter().map(|d| Ok((agent("claude-code")?, d.clone()))));
        named.extend(a.codex_dirs.iter().map(|d| Ok((agent("codex")?, d.clone()))));
        named.extend(a.dirs.iter().map(|(n, d)| Ok((agent(n)?, d.clone()))));
        Roots::named(&named.into_iter().collect::<tokenburn::error::Result<Vec<_>>>()?)
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
            println!("No agent-log folders found (see `tokenburn sources` for where each agent is looked for).");
        }
        for place in &roots.places {
            println!("scanning {} ({})", place.dir.display(), place.agent.name);
        }
    }
    let files = rep.files.into_iter().map(|(p, r)| (Some(p), r)).collect();
    print_imports(g.json, files, Some(rep.unchanged), &[])
}

type FileResult = (Option<PathBuf>, std::result::Result<FileReport, tokenburn::error::Error>);

fn print_imports(
    as_json: bool,
    results: Vec<FileResult>,
    unchanged: Option<usize>,
    skipped: &[PathBuf],
) -> Result<ExitCode> {
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
                        println!("  {}: {}", rj.at.in_file(&rep.path), rj.reason);
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
        if !skipped.is_empty() {
            out["skipped"] = json!(skipped.iter().map(|p| p.display().to_string()).collect::<Vec<_>>());
        }
        println!("{}", serde_json::to_string_pretty(&out)?);
    } else {
        if let Some(u) = unchanged {
            println!("{} files read, {u} unchanged; {added} events added.", files.len());
        }
    }
    Ok(if failed { ExitCode::FAILURE } else { ExitCode::SUCCESS })
}
