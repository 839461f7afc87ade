//! `edustat completions <shell>` and `edustat man`: shell completion scripts and man pages,
//! generated from the clap definitions the parser itself uses, so they never drift from it.

use std::path::PathBuf;

use crate::error::{Error, Result};

const EXAMPLES: &str = "\
Examples:
  # bash, for the current user (bash-completion loads it on the next shell)
  edustat completions bash > ~/.local/share/bash-completion/completions/edustat
  # zsh: any folder on $fpath, the file named _edustat
  edustat completions zsh > ~/.zfunc/_edustat
  # fish
  edustat completions fish > ~/.config/fish/completions/edustat.fish";

const MAN_EXAMPLES: &str = "\
Examples:
  # read it now
  edustat man > edustat.1 && man ./edustat.1
  # install edustat.1 and one page per verb (edustat-run.1, edustat-targets.1, ...)
  edustat man --dir /usr/local/share/man/man1";

#[derive(clap::Args, Debug)]
#[command(after_long_help = EXAMPLES)]
pub struct Args {
    /// The shell to complete for.
    #[arg(value_enum)]
    shell: clap_complete::Shell,
}

#[derive(clap::Args, Debug)]
#[command(after_long_help = MAN_EXAMPLES)]
pub struct ManArgs {
    /// Write edustat.1 and a page per verb into this folder instead of printing edustat.1.
    #[arg(long)]
    dir: Option<PathBuf>,
}

pub fn execute(args: Args) -> Result<()> {
    let mut command = super::definition();
    let mut script = Vec::new();
    clap_complete::generate(args.shell, &mut command, "edustat", &mut script);
    say_raw!("{}", String::from_utf8_lossy(&script))
}

pub fn man(args: ManArgs) -> Result<()> {
    let command = super::definition();
    if let Some(dir) = args.dir {
        let failed = |e: std::io::Error| Error::io(&dir, e);
        std::fs::create_dir_all(&dir).map_err(failed)?;
        clap_mangen::generate_to(command, &dir).map_err(failed)?;
        return say!("wrote the man pages into {}", dir.display());
    }
    let mut page = Vec::new();
    clap_mangen::Man::new(command).render(&mut page).map_err(|e| Error::io("stdout", e))?;
    say_raw!("{}", String::from_utf8_lossy(&page))
}
