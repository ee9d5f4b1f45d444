//! `postez generate`: shell completions and man pages from the clap definitions. Their committed
//! copies in `completions/` and `man/` are kept fresh by a test.

use std::path::PathBuf;

use clap::CommandFactory;
use clap_complete::Shell;
use postez::Result;

use super::{Cli, Ctx};

/// Write shell completions or man pages
#[derive(Debug, clap::Args)]
#[command(after_help = "\
Examples:
  postez generate completions bash > ~/.local/share/bash-completion/completions/postez
  postez generate man --dir ~/.local/share/man/man1")]
pub struct GenerateArgs {
    #[command(subcommand)]
    pub what: What,
}

/// What to generate.
#[derive(Debug, clap::Subcommand)]
pub enum What {
    /// Print the completion script for a shell
    Completions {
        /// bash, zsh, fish, powershell or elvish
        shell: Shell,
    },
    /// Write postez.1 and one page per subcommand into a folder
    Man {
        /// Target folder
        #[arg(long, default_value = "man")]
        dir: PathBuf,
    },
}

/// The completion script for `shell`.
pub fn completions(shell: Shell) -> Vec<u8> {
    let mut out = Vec::new();
    clap_complete::generate(shell, &mut Cli::command(), "postez", &mut out);
    out
}

/// Every man page as (file name, contents).
pub fn man_pages() -> Result<Vec<(String, Vec<u8>)>> {
    let cmd = Cli::command();
    let mut pages = Vec::new();
    let mut root = Vec::new();
    let man = clap_mangen::Man::new(cmd.clone());
    man.render_title(&mut root)?;
    man.render_name_section(&mut root)?;
    man.render_synopsis_section(&mut root)?;
    man.render_description_section(&mut root)?;
    man.render_options_section(&mut root)?;
    man.render_subcommands_section(&mut root)?;
    root.extend_from_slice(exit_status_roff().as_bytes());
    root.extend_from_slice(environment_roff().as_bytes());
    man.render_version_section(&mut root)?;
    pages.push(("postez.1".to_string(), root));
    for sub in cmd.get_subcommands().filter(|s| !s.is_hide_set()) {
        let name = format!("postez-{}", sub.get_name());
        let sub = sub.clone().name(name.clone());
        let mut page = Vec::new();
        clap_mangen::Man::new(sub).render(&mut page)?;
        pages.push((format!("{name}.1"), page));
    }
    Ok(pages)
}

fn exit_status_roff() -> String {
    let mut roff = String::from(".SH \"EXIT STATUS\"\n");
    for line in super::EXIT_CODES.lines().skip(1) {
        let line = line.trim();
        if let Some((code, meaning)) = line.split_once(' ') {
            roff.push_str(&format!(
                ".TP\n\\fB{code}\\fR\n{}\n",
                meaning.trim().replace('-', "\\-")
            ));
        }
    }
    roff
}

fn environment_roff() -> String {
    let mut roff = String::from(".SH ENVIRONMENT\n");
    for (name, help) in postez::env::VARIABLES {
        roff.push_str(&format!(
            ".TP\n\\fB{name}\\fR\n{}\n",
            help.replace('-', "\\-")
        ));
    }
    roff
}

pub fn exec(ctx: &Ctx, args: GenerateArgs) -> Result<()> {
    match args.what {
        What::Completions { shell } => {
            ctx.out
                .stdout_line(String::from_utf8_lossy(&completions(shell)).trim_end());
        }
        What::Man { dir } => {
            fs_err::create_dir_all(&dir)?;
            for (name, page) in man_pages()? {
                fs_err::write(dir.join(&name), page)?;
            }
            ctx.out
                .status("Wrote", &format!("man pages to {}", dir.display()));
        }
    }
    Ok(())
}
