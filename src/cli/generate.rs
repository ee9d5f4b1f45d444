//! `postez generate`: shell completions and man pages from the clap definitions. Their committed
//! copies in `completions/` and `man/` are kept fresh by a test.

use std::path::PathBuf;

use clap::{Arg, ArgAction, Command, CommandFactory};
use clap_complete::Shell;
use clap_mangen::roff::{Inline, Roff, bold, italic, roman};
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

/// Every man page as (file name, contents): `postez.1`, then one page per subcommand at any depth
/// (`postez-config-get.1`), named the way the SUBCOMMANDS and SEE ALSO sections refer to them.
pub fn man_pages() -> Result<Vec<(String, Vec<u8>)>> {
    // Building the whole tree gives each subcommand its page name (`postez-config-get`), its
    // invocation (`postez config get`) and the global options. `help` gets no page: every
    // command's `--help` covers it (clap_mangen's own `generate_to` does the same).
    let mut cmd = Cli::command().disable_help_subcommand(true);
    cmd.build();
    let mut pages = Vec::new();
    add_pages(&cmd, &[], &mut pages)?;
    Ok(pages)
}

/// The page of `cmd` and, recursively, of its subcommands. `parents` are the pages above it.
fn add_pages(cmd: &Command, parents: &[String], pages: &mut Vec<(String, Vec<u8>)>) -> Result<()> {
    let name = page_name(cmd);
    let root = parents.is_empty();
    let man =
        clap_mangen::Man::new(cmd.clone()).source(concat!("postez ", env!("CARGO_PKG_VERSION")));
    let mut page = Vec::new();
    man.render_title(&mut page)?;
    man.render_name_section(&mut page)?;
    synopsis(cmd, root).to_writer(&mut page)?;
    man.render_description_section(&mut page)?;
    if cmd.get_arguments().any(|a| !a.is_hide_set()) {
        man.render_options_section(&mut page)?;
    }
    let children: Vec<&Command> = cmd.get_subcommands().filter(|s| !s.is_hide_set()).collect();
    if !children.is_empty() {
        man.render_subcommands_section(&mut page)?;
    }
    // The root's long help adds the exit codes, which get a section of their own below.
    if let Some(text) = cmd.get_after_help() {
        examples(&text.to_string()).to_writer(&mut page)?;
    }
    if root {
        exit_status().to_writer(&mut page)?;
        environment().to_writer(&mut page)?;
        man.render_version_section(&mut page)?;
    }
    let mut see_also: Vec<String> = parents.to_vec();
    see_also.extend(children.iter().map(|c| page_name(c)));
    if !see_also.is_empty() {
        let mut roff = Roff::new();
        roff.control("SH", ["SEE ALSO"]);
        let mut line = Vec::new();
        for (i, page) in see_also.iter().enumerate() {
            let sep = if i + 1 < see_also.len() {
                "(1), "
            } else {
                "(1)"
            };
            line.extend([bold(page.as_str()), roman(sep)]);
        }
        roff.text(line);
        roff.to_writer(&mut page)?;
    }
    pages.push((format!("{name}.1"), ascii_roff(&page)));
    let mut parents = parents.to_vec();
    parents.push(name);
    for child in children {
        add_pages(child, &parents, pages)?;
    }
    Ok(())
}

/// `postez-config-get` for `postez config get` (clap sets it while building the tree).
fn page_name(cmd: &Command) -> String {
    cmd.get_display_name()
        .unwrap_or_else(|| cmd.get_name())
        .to_owned()
}

/// SYNOPSIS with each option's value name (`--at <WHEN>`), which clap_mangen's own synopsis
/// leaves out. A subcommand's page lists the global options under their own section and only
/// mentions them here.
fn synopsis(cmd: &Command, root: bool) -> Roff {
    let invocation = cmd.get_bin_name().unwrap_or_else(|| cmd.get_name());
    let mut line = vec![bold(invocation)];
    let mut options: Vec<&Arg> = cmd
        .get_arguments()
        .filter(|a| !a.is_hide_set() && !a.is_positional() && (root || !a.is_global_set()))
        .collect();
    // Optional ones first, then the global options' mark, then required ones, as in clap's
    // usage line; otherwise in the order of `--help`.
    options.sort_by_key(|a| (a.is_required_set(), a.get_display_order()));
    let globals = !root
        && cmd
            .get_arguments()
            .any(|a| a.is_global_set() && !a.is_hide_set());
    let mut globals_shown = !globals;
    for arg in options {
        let mut flag = match (arg.get_short(), arg.get_long()) {
            (Some(s), Some(l)) => vec![bold(format!("-{s}")), roman("|"), bold(format!("--{l}"))],
            (Some(s), None) => vec![bold(format!("-{s}"))],
            (None, Some(l)) => vec![bold(format!("--{l}"))],
            (None, None) => continue,
        };
        if matches!(arg.get_action(), ArgAction::Count) {
            flag.push(roman("..."));
        }
        flag.extend(value_names(arg));
        if arg.is_required_set() && !globals_shown {
            line.extend([roman(" ["), italic("GLOBAL OPTIONS"), roman("]")]);
            globals_shown = true;
        }
        line.push(roman(" "));
        if arg.is_required_set() {
            line.extend(flag);
        } else {
            line.push(roman("["));
            line.extend(flag);
            line.push(roman("]"));
        }
    }
    if !globals_shown {
        line.extend([roman(" ["), italic("GLOBAL OPTIONS"), roman("]")]);
    }
    for arg in cmd.get_positionals().filter(|a| !a.is_hide_set()) {
        let name = arg
            .get_value_names()
            .map(|v| v.iter().map(|n| n.as_str()).collect::<Vec<_>>().join(" "))
            .unwrap_or_else(|| arg.get_id().as_str().to_uppercase());
        let many = arg.get_num_args().is_some_and(|r| r.max_values() > 1);
        let (open, close) = if arg.is_required_set() {
            ("<", ">")
        } else {
            ("[", "]")
        };
        line.extend([roman(" "), roman(open), italic(name), roman(close)]);
        if many {
            line.push(roman("..."));
        }
    }
    if cmd.has_subcommands() {
        let (open, close) = if cmd.is_subcommand_required_set() {
            ("<", ">")
        } else {
            ("[", "]")
        };
        line.extend([roman(" "), roman(open), italic("COMMAND"), roman(close)]);
    }
    let mut roff = Roff::new();
    roff.control("SH", ["SYNOPSIS"]);
    roff.text(line);
    roff
}

/// ` <WHEN>` for an option that takes a value (` [<WHEN>]` if the value is optional).
fn value_names(arg: &Arg) -> Vec<Inline> {
    let Some(range) = arg.get_num_args().filter(|r| r.takes_values()) else {
        return Vec::new();
    };
    let names: Vec<String> = match arg.get_value_names() {
        Some(names) => names.iter().map(|n| n.to_string()).collect(),
        None => vec![arg.get_id().as_str().to_uppercase()],
    };
    let mut value = names
        .iter()
        .map(|n| format!("<{n}>"))
        .collect::<Vec<_>>()
        .join(" ");
    if range.max_values() > names.len() {
        value.push_str("...");
    }
    if range.min_values() == 0 {
        vec![roman(" ["), italic(value), roman("]")]
    } else {
        vec![roman(" "), italic(value)]
    }
}

/// The `after_help` text (examples) as a preformatted EXAMPLES section: command lines must keep
/// their line breaks. The "Examples:" line itself becomes the section title.
fn examples(text: &str) -> Roff {
    let mut roff = Roff::new();
    roff.control("SH", ["EXAMPLES"]);
    roff.control("nf", []);
    for line in text.lines() {
        if matches!(line.trim(), "Examples:" | "Example:") {
            continue;
        }
        roff.text([roman(line)]);
    }
    roff.control("fi", []);
    roff
}

fn exit_status() -> Roff {
    let mut roff = Roff::new();
    roff.control("SH", ["EXIT STATUS"]);
    // A line indented past the codes continues the meaning above it (`--help` wraps them).
    let mut entries: Vec<(&str, String)> = Vec::new();
    for line in super::EXIT_CODES.lines().skip(1) {
        match entries.last_mut() {
            Some((_, meaning)) if line.starts_with("      ") => {
                meaning.push(' ');
                meaning.push_str(line.trim());
            }
            _ => {
                if let Some((code, meaning)) = line.trim().split_once(' ') {
                    entries.push((code, meaning.trim().to_string()));
                }
            }
        }
    }
    for (code, meaning) in entries {
        roff.control("TP", []);
        roff.text([bold(code)]);
        roff.text([roman(meaning)]);
    }
    roff
}

fn environment() -> Roff {
    let mut roff = Roff::new();
    roff.control("SH", ["ENVIRONMENT"]);
    for (name, help) in postez::env::VARIABLES {
        roff.control("TP", []);
        roff.text([bold(*name)]);
        roff.text([roman(*help)]);
    }
    roff
}

/// The roff crate writes each section with the same two-line preamble (which defines `\*(Aq`)
/// and passes non-ASCII text through, which `groff -ww` flags and many `man` setups garble.
/// Keep one preamble, and turn every non-ASCII character into a roff escape.
fn ascii_roff(page: &[u8]) -> Vec<u8> {
    const PREAMBLE: &str = ".ie \\n(.g .ds Aq \\(aq\n.el .ds Aq '\n";
    let text = String::from_utf8_lossy(page).replace(PREAMBLE, "");
    let mut out = String::from(PREAMBLE);
    for c in text.chars() {
        match c {
            c if c.is_ascii() => out.push(c),
            // Escapes every roff renders, down to `-Tascii`.
            '\u{2026}' => out.push_str("\\&..."),
            '\u{2192}' => out.push_str("\\(->"),
            '\u{2190}' => out.push_str("\\(<-"),
            '\u{2014}' => out.push_str("\\(em"),
            '\u{2013}' => out.push_str("\\(en"),
            '\u{201C}' => out.push_str("\\(lq"),
            '\u{201D}' => out.push_str("\\(rq"),
            '\u{2018}' => out.push_str("\\(oq"),
            '\u{2019}' => out.push_str("\\(cq"),
            '\u{00D7}' => out.push_str("\\(mu"),
            '\u{2264}' => out.push_str("\\(<="),
            '\u{2265}' => out.push_str("\\(>="),
            '\u{203A}' => out.push('>'),
            '\u{2039}' => out.push('<'),
            '\u{00A0}' => out.push_str("\\ "),
            // Anything else by its code point (groff and mandoc both know `\[uXXXX]`).
            c => out.push_str(&format!("\\[u{:04X}]", u32::from(c))),
        }
    }
    out.into_bytes()
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
