//! `rules`: mapping rules for CSVs Tokenburn does not know (see `tokenburn::import::rules`).

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Result;
use clap::Subcommand;
use tokenburn::import::rules;

#[derive(Subcommand)]
pub enum RulesCmd {
    /// Print a draft rules file guessed from a CSV's header, to edit and pass to
    /// `import --rules`
    Init {
        /// The CSV file
        csv: PathBuf,
    },
    /// Check a rules file and print the source name its events get
    Check {
        /// The rules file (TOML)
        rules: PathBuf,
    },
}

pub fn run(cmd: RulesCmd) -> Result<ExitCode> {
    match cmd {
        RulesCmd::Init { csv } => print!("{}", rules::draft(&csv)?),
        RulesCmd::Check { rules: path } => {
            println!("{}: ok; source {}", path.display(), rules::Rules::load(&path)?.name())
        }
    }
    Ok(ExitCode::SUCCESS)
}
