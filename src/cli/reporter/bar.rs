//! The upload bar `postez run` draws on a terminal. It owns three things people noticed
//! (issue 10): the line is fitted to the terminal's width, so it never wraps (a wrapped bar
//! redraws as a new line on every tick); the transfer rate and ETA appear only once they mean
//! something (the first readings count the megabytes the kernel buffers at once, hundreds of
//! MiB/s); and once every byte is sent the bar turns into a "waiting for TikTok" spinner,
//! rather than sitting at 100 % while TikTok takes the last chunk and processes the video.
//! Only the reporter draws it.

use std::time::Duration;

use indicatif::{MultiProgress, ProgressBar, ProgressStyle};
use postez::provider::Platform;

/// After this long the transfer-rate estimate is restarted, dropping the first burst that
/// only filled the kernel's socket buffer.
const FORGET_BURST_AFTER: Duration = Duration::from_secs(1);
/// After this long (three seconds of steady sending) the rate and ETA are shown.
const RATE_AFTER: Duration = Duration::from_secs(4);

/// Worst-case width of `{prefix:>12}` and the space after it.
const PREFIX_W: usize = 13;
/// The file name is cut (with "…") to leave the rest its room, but never below this.
const LABEL_MIN: usize = 12;
/// Widest bar; narrower terminals get less, and below 10 columns none.
const BAR_MAX: usize = 30;
const BAR_MIN: usize = 10;

/// What may follow the name and the bar, best first, with its widest rendering as indicatif
/// draws it ("1023.99 MiB/1023.99 MiB", "1023.99 MiB/s", "ETA 52w"), and whether it shows the
/// rate. The first that fits the terminal (with a bar when it wants one) is used.
const TAILS: &[(&str, usize, bool, bool)] = &[
    // (template, widest, shows the rate, with a bar)
    (
        "{bytes}/{total_bytes} {bytes_per_sec} ETA {eta}",
        45,
        true,
        true,
    ),
    ("{percent:>3}% {bytes_per_sec} ETA {eta}", 26, true, true),
    ("{bytes}/{total_bytes}", 23, false, true),
    ("{percent:>3}% {bytes_per_sec} ETA {eta}", 26, true, false),
    ("{bytes}/{total_bytes}", 23, false, false),
    ("{percent:>3}%", 4, false, false),
];

/// Where an upload stands, for what its line shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    /// The first second: bytes go into the socket buffer faster than the network takes them.
    Burst,
    /// Measuring the real rate, not shown yet.
    Measuring,
    /// Rate and ETA shown.
    Rated,
    /// Every byte sent: a spinner while TikTok takes the last chunk and processes the video.
    Waiting,
}

/// One upload's line.
pub(super) struct UploadBar {
    bar: ProgressBar,
    label: String,
    /// The platform's name, for the line shown while it processes the video.
    platform: &'static str,
    phase: Phase,
}

impl UploadBar {
    /// A bar for `total` bytes of `file` going to `platform`, `offset` of them already there
    /// (a resumed upload: those are not counted in the rate).
    pub(super) fn start(
        multi: &MultiProgress,
        file: &str,
        platform: Platform,
        total: u64,
        offset: u64,
    ) -> Self {
        let bar = multi.add(ProgressBar::new(total));
        bar.set_prefix("Uploading");
        bar.set_position(offset);
        bar.reset_eta();
        let mut this = Self {
            bar,
            label: format!("{file} → {platform}"),
            platform: platform.name(),
            phase: Phase::Burst,
        };
        this.restyle();
        this
    }

    /// `sent` bytes of the file are with TikTok or on their way.
    pub(super) fn sent(&mut self, sent: u64) {
        if self.phase == Phase::Waiting {
            return;
        }
        self.bar.set_position(sent);
        if sent >= self.bar.length().unwrap_or(0) {
            self.wait_for_platform();
            return;
        }
        let elapsed = self.bar.elapsed();
        match self.phase {
            Phase::Burst if elapsed >= FORGET_BURST_AFTER => {
                self.bar.reset_eta();
                self.phase = Phase::Measuring;
            }
            Phase::Measuring if elapsed >= RATE_AFTER => {
                self.phase = Phase::Rated;
                self.restyle();
            }
            _ => {}
        }
    }

    /// Every byte is sent: say that postez now waits for the platform, with a spinner and the time
    /// waited, instead of a bar stuck at 100 %.
    pub(super) fn wait_for_platform(&mut self) {
        if self.phase == Phase::Waiting {
            return;
        }
        self.phase = Phase::Waiting;
        self.bar.set_prefix("Waiting");
        self.restyle();
        self.bar.enable_steady_tick(Duration::from_millis(120));
    }

    /// Remove the line (the post's outcome is printed above the bars).
    pub(super) fn finish(self) {
        self.bar.finish_and_clear();
    }

    fn restyle(&mut self) {
        let width = terminal_width();
        let (template, message) = match self.phase {
            Phase::Waiting => waiting_line(width, &self.label, self.platform),
            phase => upload_line(width, phase == Phase::Rated, &self.label),
        };
        let style = ProgressStyle::with_template(&template)
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> ");
        self.bar.set_style(style);
        self.bar.set_message(message);
    }
}

/// The terminal's width in columns (80 when it cannot be asked).
fn terminal_width() -> usize {
    console::Term::stderr()
        .size_checked()
        .map_or(80, |(_, cols)| usize::from(cols))
}

/// The upload line's template and message for a terminal `width` columns wide: never wider
/// than `width - 1` (the last column makes some terminals wrap). The richest line that fits
/// wins (see [`TAILS`]); the file name is cut to what is left.
pub(super) fn upload_line(width: usize, with_rate: bool, label: &str) -> (String, String) {
    let label_len = console::measure_text_width(label);
    let fits = |tail_w: usize, bar: bool| -> Option<(usize, usize)> {
        // Name, a space, "[bar] " when wanted, the tail. The name gets what it needs first
        // (down to LABEL_MIN), the bar the rest.
        let room = width.checked_sub(1 + PREFIX_W + 1 + tail_w)?;
        if bar {
            let for_label = room.checked_sub(BAR_MIN + 3)?;
            if for_label < LABEL_MIN {
                return None;
            }
            let label_w = label_len.min(for_label);
            let bar_w = (room - 3 - label_w).min(BAR_MAX);
            Some((bar_w, label_w))
        } else {
            (room >= LABEL_MIN).then_some((0, room))
        }
    };
    let candidates = TAILS.iter().filter(|(_, _, rate, _)| with_rate || !rate);
    let (tail, bar_w, label_w) = candidates
        .clone()
        .find_map(|&(tail, w, _, bar)| fits(w, bar).map(|(b, l)| (tail, b, l)))
        .unwrap_or_else(|| {
            // A very narrow terminal: the percentage and whatever of the name fits.
            let room = width.saturating_sub(1 + PREFIX_W + 1 + 4);
            ("{percent:>3}%", 0, room.max(1))
        });
    let bar = if bar_w > 0 {
        format!("[{{bar:{bar_w}}}] ")
    } else {
        String::new()
    };
    (
        format!("{{prefix:>12.cyan.bold}} {{msg}} {bar}{tail}"),
        console::truncate_str(label, label_w, "…").into_owned(),
    )
}

/// The line once every byte is sent: a spinner, what postez waits for, and for how long.
pub(super) fn waiting_line(width: usize, label: &str, platform: &str) -> (String, String) {
    // "{prefix:>12} " + spinner and space + message + " {elapsed}" (at most " 59m").
    let room = width.saturating_sub(1 + PREFIX_W + 2 + 4);
    // The name is cut first: what postez waits for is the point of the line.
    let wait = format!(": sent, waiting for {platform} to process it");
    let wait_w = console::measure_text_width(&wait);
    let message = if room >= wait_w + LABEL_MIN {
        format!("{}{wait}", console::truncate_str(label, room - wait_w, "…"))
    } else {
        console::truncate_str(&format!("{label}{wait}"), room.max(1), "…").into_owned()
    };
    (
        "{prefix:>12.cyan.bold} {spinner} {msg} {elapsed}".to_string(),
        message,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The template with every placeholder replaced by its widest rendering.
    fn widest(template: &str, message: &str) -> usize {
        let mut text = template
            .replace("{prefix:>12.cyan.bold}", &"p".repeat(12))
            .replace("{msg}", message)
            .replace("{bytes}", &"b".repeat(11))
            .replace("{total_bytes}", &"t".repeat(11))
            .replace("{bytes_per_sec}", &"r".repeat(13))
            .replace("{eta}", "52w")
            .replace("{percent:>3}", "100")
            .replace("{spinner}", "⠁")
            .replace("{elapsed}", "59m");
        while let Some(start) = text.find("{bar:") {
            let end = start + text[start..].find('}').unwrap();
            let n: usize = text[start + 5..end].parse().unwrap();
            text.replace_range(start..=end, &"=".repeat(n));
        }
        assert!(!text.contains('{'), "{text}");
        console::measure_text_width(&text)
    }

    #[test]
    fn the_upload_line_never_wraps() {
        let long = format!("{} → tiktok", "a-very-long-file-name-".repeat(6));
        for width in 30..=220 {
            for with_rate in [false, true] {
                for label in ["clip.mp4 → tiktok", long.as_str()] {
                    let (template, message) = upload_line(width, with_rate, label);
                    assert!(
                        widest(&template, &message) < width.max(42),
                        "{width} columns: {template} / {message}"
                    );
                    let (template, message) = waiting_line(width, label, "TikTok");
                    assert!(
                        widest(&template, &message) < width.max(24),
                        "{width} columns: {template} / {message}"
                    );
                }
            }
        }
    }

    #[test]
    fn at_80_columns_the_bar_stays_and_the_name_is_cut() {
        let (template, message) = upload_line(80, true, "clip.mp4 → tiktok");
        assert!(template.contains("{bar:"), "{template}");
        assert!(template.contains("{bytes_per_sec} ETA {eta}"), "{template}");
        assert_eq!(message, "clip.mp4 → tiktok");
        let (template, _) = upload_line(80, false, "clip.mp4 → tiktok");
        assert!(
            template.contains("{bar:") && template.contains("{bytes}"),
            "{template}"
        );
        let (template, message) =
            upload_line(80, true, "holiday-in-the-mountains-final-v3.mp4 → tiktok");
        assert!(template.contains("{bar:"), "{template}");
        assert!(message.ends_with('…'), "{message}");
        // Without the rate (the first seconds) the same line has room for a wider bar.
        let (plain, _) = upload_line(80, false, "clip.mp4 → tiktok");
        assert!(!plain.contains("bytes_per_sec") && !plain.contains("eta"));
    }

    #[test]
    fn a_wide_terminal_shows_everything_and_a_narrow_one_less() {
        let (template, _) = upload_line(120, true, "clip.mp4 → tiktok");
        assert!(
            template.contains("{bar:")
                && template.contains("{bytes}/{total_bytes} {bytes_per_sec}"),
            "{template}"
        );
        let (template, _) = upload_line(60, true, "clip.mp4 → tiktok");
        assert!(!template.contains("{bar:"), "{template}");
        let (template, _) = upload_line(50, true, "clip.mp4 → tiktok");
        assert!(!template.contains("eta"), "{template}");
    }

    #[test]
    fn waiting_cuts_the_name_not_what_it_waits_for() {
        let (_, message) = waiting_line(
            80,
            &format!("{} → tiktok", "long-name-".repeat(8)),
            "TikTok",
        );
        assert!(
            message.ends_with("…: sent, waiting for TikTok to process it"),
            "{message}"
        );
    }

    #[test]
    fn waiting_says_what_postez_waits_for() {
        let (template, message) = waiting_line(100, "clip.mp4 → tiktok", "TikTok");
        assert!(template.contains("{spinner}"));
        assert_eq!(
            message,
            "clip.mp4 → tiktok: sent, waiting for TikTok to process it"
        );
    }
}
