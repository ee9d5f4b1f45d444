
use builtin;
use str;

set edit:completion:arg-completer[postez] = {|@words|
    fn spaces {|n|
        builtin:repeat $n ' ' | str:join ''
    }
    fn cand {|text desc|
        edit:complex-candidate $text &display=$text' '(spaces (- 14 (wcswidth $text)))$desc
    }
    var command = 'postez'
    for word $words[1..-1] {
        if (str:has-prefix $word '-') {
            break
        }
        set command = $command';'$word
    }
    var completions = [
        &'postez'= {
            cand --color 'When to use colors'
            cand --log-format 'Log line format (stderr and the log file of `run`)'
            cand --json 'Print machine-readable JSON on stdout'
            cand -v 'More log output on stderr (-v info, -vv debug); RUST_LOG overrides'
            cand --verbose 'More log output on stderr (-v info, -vv debug); RUST_LOG overrides'
            cand -q 'Only errors on stderr'
            cand --quiet 'Only errors on stderr'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
            cand connect 'Connect a TikTok account or a YouTube channel'
            cand accounts 'List connected accounts'
            cand disconnect 'Disconnect an account and revoke postez''s access'
            cand schedule 'Queue a video to be published later'
            cand list 'Show the queue'
            cand show 'Show one post (or each post of a group) and its history'
            cand edit 'Change a scheduled or failed post'
            cand cancel 'Cancel a scheduled or failed post'
            cand retry 'Queue a failed or cancelled post again'
            cand import 'Schedule many posts from a CSV or JSON file'
            cand run 'Publish the posts that are due'
            cand runners 'List the machines that run the shared queue'
            cand history 'Show what happened to posts'
            cand export 'Export all your data as JSON'
            cand purge 'Delete your data and revoke postez''s access'
            cand doctor 'Check the setup and explain each problem with its fix'
            cand db 'Manage where the queue lives'
            cand cron 'Start `postez run` on time: a systemd user timer, else a crontab line'
            cand config 'Read or change settings'
            cand generate 'Write shell completions or man pages'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'postez;connect'= {
            cand --port 'Port for the login redirect on 127.0.0.1 (default: any free port)'
            cand --timeout 'Give up waiting for the login after this long'
            cand --token-store 'Where to keep the tokens: keychain or file (encrypted)'
            cand --color 'When to use colors'
            cand --log-format 'Log line format (stderr and the log file of `run`)'
            cand --no-browser 'Print the login URL instead of opening a browser'
            cand --drafts-only 'Ask only for drafts (user.info.basic, video.upload), for a TikTok app without Direct Post'
            cand --manage 'YouTube: also ask to manage your videos (the `youtube` scope), so postez can reschedule (`edit --at`) or delete (`cancel`) a post already uploaded ahead'
            cand --json 'Print machine-readable JSON on stdout'
            cand -v 'More log output on stderr (-v info, -vv debug); RUST_LOG overrides'
            cand --verbose 'More log output on stderr (-v info, -vv debug); RUST_LOG overrides'
            cand -q 'Only errors on stderr'
            cand --quiet 'Only errors on stderr'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'postez;accounts'= {
            cand --color 'When to use colors'
            cand --log-format 'Log line format (stderr and the log file of `run`)'
            cand --check 'Check each connected account online, refreshing its login if it is due'
            cand --json 'Print machine-readable JSON on stdout'
            cand -v 'More log output on stderr (-v info, -vv debug); RUST_LOG overrides'
            cand --verbose 'More log output on stderr (-v info, -vv debug); RUST_LOG overrides'
            cand -q 'Only errors on stderr'
            cand --quiet 'Only errors on stderr'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'postez;disconnect'= {
            cand --color 'When to use colors'
            cand --log-format 'Log line format (stderr and the log file of `run`)'
            cand --no-revoke 'Only delete locally; do not revoke at the platform'
            cand --json 'Print machine-readable JSON on stdout'
            cand -v 'More log output on stderr (-v info, -vv debug); RUST_LOG overrides'
            cand --verbose 'More log output on stderr (-v info, -vv debug); RUST_LOG overrides'
            cand -q 'Only errors on stderr'
            cand --quiet 'Only errors on stderr'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'postez;schedule'= {
            cand --at 'When to publish: now, "18:00", "tomorrow 9am", "next friday 18:00", "in 2h", "+90m", "2026-12-01 18:00" or RFC 3339'
            cand --tz 'Time zone for local times (IANA name, e.g. Europe/Berlin)'
            cand -c 'Caption (title) shown with the post; at most 2200 UTF-16 units with hashtags'
            cand --caption 'Caption (title) shown with the post; at most 2200 UTF-16 units with hashtags'
            cand --caption-file 'Read the caption from a UTF-8 text file'
            cand --hashtag 'Add a hashtag (repeatable; "food" and "#food" both give #food)'
            cand --privacy 'Who can see the post (required for direct posts; there is no default). TikTok: PUBLIC_TO_EVERYONE, MUTUAL_FOLLOW_FRIENDS, FOLLOWER_OF_CREATOR, SELF_ONLY (or public, friends, followers, private); YouTube: public, unlisted, private. Cross-posting: `PLATFORM=LEVEL` sets one platform''s (repeatable, e.g. `--privacy tiktok=SELF_ONLY --privacy youtube=unlisted`); a plain level applies to every target'
            cand --cover-at 'Use the frame at this time (milliseconds) as the cover'
            cand --title 'YouTube: the video''s title, at most 100 characters without < or > (default: the caption''s first line, shortened on a word boundary)'
            cand --made-for-kids 'YouTube: whether the video is made for kids (required; YouTube asks every upload)'
            cand --category 'YouTube: category id, e.g. 22 (People & Blogs); default: YouTube picks'
            cand --tag 'YouTube: add a tag (repeatable; no < or >, at most 500 characters in all, counting a comma between tags and quotes around a tag with a space)'
            cand --account 'Account to publish with: id, name, a platform (its only account, e.g. `youtube`) or `platform:name` (default: the only TikTok account, or `default_account`). Repeat it to cross-post (one post per account, tied as a group); `all` is every connected account that is not paused'
            cand --color 'When to use colors'
            cand --log-format 'Log line format (stderr and the log file of `run`)'
            cand --draft 'Upload as a draft to your TikTok inbox and finish the post in the app'
            cand --allow-comments 'Allow comments'
            cand --allow-duet 'Allow duets'
            cand --allow-stitch 'Allow stitches'
            cand --brand-organic 'Disclose promotional content for your own brand ("Promotional content")'
            cand --branded-content 'Disclose a paid partnership ("Paid partnership"; cannot be SELF_ONLY)'
            cand --ai-generated 'Label the video as AI-generated'
            cand --no-notify 'YouTube: do not notify subscribers of the upload'
            cand --upload-ahead 'YouTube: upload at the next run, private, and let YouTube make it public at --at even if this machine is off then (public videos only; the setting `youtube_upload_ahead` makes it the default)'
            cand --no-upload-ahead 'YouTube: upload when due, whatever the setting `youtube_upload_ahead` says'
            cand --copy 'Keep a private copy of the video, so moving or editing the original does not matter'
            cand --reference 'Shared mode: keep only the video''s path, not its bytes in the shared queue (every runner must see the same file, e.g. on a shared mount)'
            cand -y 'Agree to TikTok''s Music Usage Confirmation (and Branded Content Policy) without a prompt'
            cand --yes 'Agree to TikTok''s Music Usage Confirmation (and Branded Content Policy) without a prompt'
            cand --allow-duplicate 'Queue the video even if the account gets it within 24 hours of another post of it'
            cand --json 'Print machine-readable JSON on stdout'
            cand -v 'More log output on stderr (-v info, -vv debug); RUST_LOG overrides'
            cand --verbose 'More log output on stderr (-v info, -vv debug); RUST_LOG overrides'
            cand -q 'Only errors on stderr'
            cand --quiet 'Only errors on stderr'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'postez;list'= {
            cand --state 'Only posts in this state (repeatable)'
            cand --account 'Only posts of this account (id or name)'
            cand --limit 'Show at most this many posts (0 = all)'
            cand --color 'When to use colors'
            cand --log-format 'Log line format (stderr and the log file of `run`)'
            cand --all 'Include published, sent and cancelled posts'
            cand --expand 'On a terminal, show each group''s posts under its line'
            cand --json 'Print machine-readable JSON on stdout'
            cand -v 'More log output on stderr (-v info, -vv debug); RUST_LOG overrides'
            cand --verbose 'More log output on stderr (-v info, -vv debug); RUST_LOG overrides'
            cand -q 'Only errors on stderr'
            cand --quiet 'Only errors on stderr'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'postez;show'= {
            cand --color 'When to use colors'
            cand --log-format 'Log line format (stderr and the log file of `run`)'
            cand --json 'Print machine-readable JSON on stdout'
            cand -v 'More log output on stderr (-v info, -vv debug); RUST_LOG overrides'
            cand --verbose 'More log output on stderr (-v info, -vv debug); RUST_LOG overrides'
            cand -q 'Only errors on stderr'
            cand --quiet 'Only errors on stderr'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'postez;edit'= {
            cand --at 'New time (same forms as `schedule --at`)'
            cand --tz 'Time zone for a local --at (IANA name)'
            cand --file 'Replace the video'
            cand -c 'Caption (title) shown with the post; at most 2200 UTF-16 units with hashtags'
            cand --caption 'Caption (title) shown with the post; at most 2200 UTF-16 units with hashtags'
            cand --caption-file 'Read the caption from a UTF-8 text file'
            cand --hashtag 'Add a hashtag (repeatable; "food" and "#food" both give #food)'
            cand --privacy 'Who can see the post. TikTok: PUBLIC_TO_EVERYONE, MUTUAL_FOLLOW_FRIENDS, FOLLOWER_OF_CREATOR, SELF_ONLY (or public, friends, followers, private); YouTube: public, unlisted, private'
            cand --cover-at 'Cover frame time in milliseconds'
            cand --account 'Move the post to another account (id or name)'
            cand --title 'YouTube: new title (at most 100 characters, no < or >)'
            cand --made-for-kids 'YouTube: whether the video is made for kids'
            cand --category 'YouTube: category id, e.g. 22 (People & Blogs)'
            cand --tag 'YouTube: the tags, replacing the post''s (repeatable; same limits as `schedule --tag`)'
            cand --color 'When to use colors'
            cand --log-format 'Log line format (stderr and the log file of `run`)'
            cand --draft 'Make it a draft (sent to your TikTok inbox); clears the direct-post options'
            cand --direct 'Make it a direct post (needs --privacy)'
            cand --allow-comments 'Allow or forbid comments'
            cand --no-allow-comments 'no-allow-comments'
            cand --allow-duet 'Allow or forbid duets'
            cand --no-allow-duet 'no-allow-duet'
            cand --allow-stitch 'Allow or forbid stitches'
            cand --no-allow-stitch 'no-allow-stitch'
            cand --brand-organic 'Promotional content for your own brand (on/off with --no-brand-organic)'
            cand --no-brand-organic 'no-brand-organic'
            cand --branded-content 'Paid partnership (on/off with --no-branded-content)'
            cand --no-branded-content 'no-branded-content'
            cand --ai-generated 'AI-generated label (on/off with --no-ai-generated)'
            cand --no-ai-generated 'no-ai-generated'
            cand --notify 'YouTube: notify subscribers of the upload (on/off with --no-notify)'
            cand --no-notify 'no-notify'
            cand --no-tags 'YouTube: remove every tag'
            cand --upload-ahead 'YouTube: upload it at the next run, private, and let YouTube make it public at its time (public videos only; see `schedule --upload-ahead`)'
            cand --no-upload-ahead 'YouTube: upload it when due instead of ahead'
            cand -y 'Agree to TikTok''s Music Usage Confirmation without a prompt'
            cand --yes 'Agree to TikTok''s Music Usage Confirmation without a prompt'
            cand --json 'Print machine-readable JSON on stdout'
            cand -v 'More log output on stderr (-v info, -vv debug); RUST_LOG overrides'
            cand --verbose 'More log output on stderr (-v info, -vv debug); RUST_LOG overrides'
            cand -q 'Only errors on stderr'
            cand --quiet 'Only errors on stderr'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'postez;cancel'= {
            cand --color 'When to use colors'
            cand --log-format 'Log line format (stderr and the log file of `run`)'
            cand --json 'Print machine-readable JSON on stdout'
            cand -v 'More log output on stderr (-v info, -vv debug); RUST_LOG overrides'
            cand --verbose 'More log output on stderr (-v info, -vv debug); RUST_LOG overrides'
            cand -q 'Only errors on stderr'
            cand --quiet 'Only errors on stderr'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'postez;retry'= {
            cand --at 'New time (same forms as `schedule --at`)'
            cand --tz 'Time zone for a local --at (IANA name)'
            cand --color 'When to use colors'
            cand --log-format 'Log line format (stderr and the log file of `run`)'
            cand --json 'Print machine-readable JSON on stdout'
            cand -v 'More log output on stderr (-v info, -vv debug); RUST_LOG overrides'
            cand --verbose 'More log output on stderr (-v info, -vv debug); RUST_LOG overrides'
            cand -q 'Only errors on stderr'
            cand --quiet 'Only errors on stderr'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'postez;import'= {
            cand --color 'When to use colors'
            cand --log-format 'Log line format (stderr and the log file of `run`)'
            cand -y 'Agree to TikTok''s Music Usage Confirmation for every direct post without a prompt'
            cand --yes 'Agree to TikTok''s Music Usage Confirmation for every direct post without a prompt'
            cand --allow-outside 'Accept rows whose video is outside the import file''s folder (`../x.mp4`, absolute paths)'
            cand --allow-duplicate 'Import rows whose video the account gets within 24 hours of another post of it'
            cand --reference 'Shared mode: keep only the videos'' paths, not their bytes in the shared queue (every runner must see the same files)'
            cand --json 'Print machine-readable JSON on stdout'
            cand -v 'More log output on stderr (-v info, -vv debug); RUST_LOG overrides'
            cand --verbose 'More log output on stderr (-v info, -vv debug); RUST_LOG overrides'
            cand -q 'Only errors on stderr'
            cand --quiet 'Only errors on stderr'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'postez;run'= {
            cand --jobs 'Accounts of one platform to publish in parallel (platforms go side by side)'
            cand --interval 'With --watch: pause between passes'
            cand --poll-for 'Keep checking a processed upload for this long before leaving it to the next run'
            cand --color 'When to use colors'
            cand --log-format 'Log line format (stderr and the log file of `run`)'
            cand --wait 'Wait for a running `postez run` to finish instead of exiting'
            cand --dry-run 'Check each due post (login, account, video, privacy) without uploading or changing anything'
            cand --watch 'Keep running and publish posts as they come due'
            cand --json 'Print machine-readable JSON on stdout'
            cand -v 'More log output on stderr (-v info, -vv debug); RUST_LOG overrides'
            cand --verbose 'More log output on stderr (-v info, -vv debug); RUST_LOG overrides'
            cand -q 'Only errors on stderr'
            cand --quiet 'Only errors on stderr'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'postez;runners'= {
            cand --days 'How far back to look, in days'
            cand --color 'When to use colors'
            cand --log-format 'Log line format (stderr and the log file of `run`)'
            cand --json 'Print machine-readable JSON on stdout'
            cand -v 'More log output on stderr (-v info, -vv debug); RUST_LOG overrides'
            cand --verbose 'More log output on stderr (-v info, -vv debug); RUST_LOG overrides'
            cand -q 'Only errors on stderr'
            cand --quiet 'Only errors on stderr'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'postez;history'= {
            cand --limit 'Without an id: how many recent events'
            cand --color 'When to use colors'
            cand --log-format 'Log line format (stderr and the log file of `run`)'
            cand --json 'Print machine-readable JSON on stdout'
            cand -v 'More log output on stderr (-v info, -vv debug); RUST_LOG overrides'
            cand --verbose 'More log output on stderr (-v info, -vv debug); RUST_LOG overrides'
            cand -q 'Only errors on stderr'
            cand --quiet 'Only errors on stderr'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'postez;export'= {
            cand -o 'Write to this file instead of stdout'
            cand --output 'Write to this file instead of stdout'
            cand --media 'Also copy the posts'' video files into this folder (as `<id>-<name>`)'
            cand --color 'When to use colors'
            cand --log-format 'Log line format (stderr and the log file of `run`)'
            cand --json 'Print machine-readable JSON on stdout'
            cand -v 'More log output on stderr (-v info, -vv debug); RUST_LOG overrides'
            cand --verbose 'More log output on stderr (-v info, -vv debug); RUST_LOG overrides'
            cand -q 'Only errors on stderr'
            cand --quiet 'Only errors on stderr'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'postez;purge'= {
            cand --account 'Only this account (id or name)'
            cand --color 'When to use colors'
            cand --log-format 'Log line format (stderr and the log file of `run`)'
            cand -y 'Do not ask for confirmation'
            cand --yes 'Do not ask for confirmation'
            cand --no-revoke 'Only delete locally; do not revoke at TikTok'
            cand --json 'Print machine-readable JSON on stdout'
            cand -v 'More log output on stderr (-v info, -vv debug); RUST_LOG overrides'
            cand --verbose 'More log output on stderr (-v info, -vv debug); RUST_LOG overrides'
            cand -q 'Only errors on stderr'
            cand --quiet 'Only errors on stderr'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'postez;doctor'= {
            cand --color 'When to use colors'
            cand --log-format 'Log line format (stderr and the log file of `run`)'
            cand --json 'Print machine-readable JSON on stdout'
            cand -v 'More log output on stderr (-v info, -vv debug); RUST_LOG overrides'
            cand --verbose 'More log output on stderr (-v info, -vv debug); RUST_LOG overrides'
            cand -q 'Only errors on stderr'
            cand --quiet 'Only errors on stderr'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'postez;db'= {
            cand --color 'When to use colors'
            cand --log-format 'Log line format (stderr and the log file of `run`)'
            cand --json 'Print machine-readable JSON on stdout'
            cand -v 'More log output on stderr (-v info, -vv debug); RUST_LOG overrides'
            cand --verbose 'More log output on stderr (-v info, -vv debug); RUST_LOG overrides'
            cand -q 'Only errors on stderr'
            cand --quiet 'Only errors on stderr'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
            cand copy 'Copy this machine''s queue into an empty shared queue (PostgreSQL)'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'postez;db;copy'= {
            cand --to 'The shared queue to copy into (an empty database)'
            cand --color 'When to use colors'
            cand --log-format 'Log line format (stderr and the log file of `run`)'
            cand --json 'Print machine-readable JSON on stdout'
            cand -v 'More log output on stderr (-v info, -vv debug); RUST_LOG overrides'
            cand --verbose 'More log output on stderr (-v info, -vv debug); RUST_LOG overrides'
            cand -q 'Only errors on stderr'
            cand --quiet 'Only errors on stderr'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'postez;db;help'= {
            cand copy 'Copy this machine''s queue into an empty shared queue (PostgreSQL)'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'postez;db;help;copy'= {
        }
        &'postez;db;help;help'= {
        }
        &'postez;cron'= {
            cand --color 'When to use colors'
            cand --log-format 'Log line format (stderr and the log file of `run`)'
            cand --json 'Print machine-readable JSON on stdout'
            cand -v 'More log output on stderr (-v info, -vv debug); RUST_LOG overrides'
            cand --verbose 'More log output on stderr (-v info, -vv debug); RUST_LOG overrides'
            cand -q 'Only errors on stderr'
            cand --quiet 'Only errors on stderr'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
            cand install 'Install the runner, replacing any earlier one'
            cand remove 'Remove the runner: the systemd timer and the crontab line, whichever exist'
            cand show 'Show which runner is installed, its schedule, and the last run'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'postez;cron;install'= {
            cand --every 'Minutes between runs (1-60)'
            cand --color 'When to use colors'
            cand --log-format 'Log line format (stderr and the log file of `run`)'
            cand --crontab 'Use a crontab line even where a systemd user timer would work'
            cand --json 'Print machine-readable JSON on stdout'
            cand -v 'More log output on stderr (-v info, -vv debug); RUST_LOG overrides'
            cand --verbose 'More log output on stderr (-v info, -vv debug); RUST_LOG overrides'
            cand -q 'Only errors on stderr'
            cand --quiet 'Only errors on stderr'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'postez;cron;remove'= {
            cand --color 'When to use colors'
            cand --log-format 'Log line format (stderr and the log file of `run`)'
            cand --json 'Print machine-readable JSON on stdout'
            cand -v 'More log output on stderr (-v info, -vv debug); RUST_LOG overrides'
            cand --verbose 'More log output on stderr (-v info, -vv debug); RUST_LOG overrides'
            cand -q 'Only errors on stderr'
            cand --quiet 'Only errors on stderr'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'postez;cron;show'= {
            cand --color 'When to use colors'
            cand --log-format 'Log line format (stderr and the log file of `run`)'
            cand --json 'Print machine-readable JSON on stdout'
            cand -v 'More log output on stderr (-v info, -vv debug); RUST_LOG overrides'
            cand --verbose 'More log output on stderr (-v info, -vv debug); RUST_LOG overrides'
            cand -q 'Only errors on stderr'
            cand --quiet 'Only errors on stderr'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'postez;cron;help'= {
            cand install 'Install the runner, replacing any earlier one'
            cand remove 'Remove the runner: the systemd timer and the crontab line, whichever exist'
            cand show 'Show which runner is installed, its schedule, and the last run'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'postez;cron;help;install'= {
        }
        &'postez;cron;help;remove'= {
        }
        &'postez;cron;help;show'= {
        }
        &'postez;cron;help;help'= {
        }
        &'postez;config'= {
            cand --color 'When to use colors'
            cand --log-format 'Log line format (stderr and the log file of `run`)'
            cand --json 'Print machine-readable JSON on stdout'
            cand -v 'More log output on stderr (-v info, -vv debug); RUST_LOG overrides'
            cand --verbose 'More log output on stderr (-v info, -vv debug); RUST_LOG overrides'
            cand -q 'Only errors on stderr'
            cand --quiet 'Only errors on stderr'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
            cand get 'Print one setting (nothing if unset)'
            cand set 'Change one setting (an empty value unsets it)'
            cand list 'Print every setting with its value and meaning'
            cand path 'Print the settings file''s path'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'postez;config;get'= {
            cand --color 'When to use colors'
            cand --log-format 'Log line format (stderr and the log file of `run`)'
            cand --json 'Print machine-readable JSON on stdout'
            cand -v 'More log output on stderr (-v info, -vv debug); RUST_LOG overrides'
            cand --verbose 'More log output on stderr (-v info, -vv debug); RUST_LOG overrides'
            cand -q 'Only errors on stderr'
            cand --quiet 'Only errors on stderr'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'postez;config;set'= {
            cand --color 'When to use colors'
            cand --log-format 'Log line format (stderr and the log file of `run`)'
            cand --json 'Print machine-readable JSON on stdout'
            cand -v 'More log output on stderr (-v info, -vv debug); RUST_LOG overrides'
            cand --verbose 'More log output on stderr (-v info, -vv debug); RUST_LOG overrides'
            cand -q 'Only errors on stderr'
            cand --quiet 'Only errors on stderr'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'postez;config;list'= {
            cand --color 'When to use colors'
            cand --log-format 'Log line format (stderr and the log file of `run`)'
            cand --json 'Print machine-readable JSON on stdout'
            cand -v 'More log output on stderr (-v info, -vv debug); RUST_LOG overrides'
            cand --verbose 'More log output on stderr (-v info, -vv debug); RUST_LOG overrides'
            cand -q 'Only errors on stderr'
            cand --quiet 'Only errors on stderr'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'postez;config;path'= {
            cand --color 'When to use colors'
            cand --log-format 'Log line format (stderr and the log file of `run`)'
            cand --json 'Print machine-readable JSON on stdout'
            cand -v 'More log output on stderr (-v info, -vv debug); RUST_LOG overrides'
            cand --verbose 'More log output on stderr (-v info, -vv debug); RUST_LOG overrides'
            cand -q 'Only errors on stderr'
            cand --quiet 'Only errors on stderr'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'postez;config;help'= {
            cand get 'Print one setting (nothing if unset)'
            cand set 'Change one setting (an empty value unsets it)'
            cand list 'Print every setting with its value and meaning'
            cand path 'Print the settings file''s path'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'postez;config;help;get'= {
        }
        &'postez;config;help;set'= {
        }
        &'postez;config;help;list'= {
        }
        &'postez;config;help;path'= {
        }
        &'postez;config;help;help'= {
        }
        &'postez;generate'= {
            cand --color 'When to use colors'
            cand --log-format 'Log line format (stderr and the log file of `run`)'
            cand --json 'Print machine-readable JSON on stdout'
            cand -v 'More log output on stderr (-v info, -vv debug); RUST_LOG overrides'
            cand --verbose 'More log output on stderr (-v info, -vv debug); RUST_LOG overrides'
            cand -q 'Only errors on stderr'
            cand --quiet 'Only errors on stderr'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
            cand completions 'Print the completion script for a shell'
            cand man 'Write postez.1 and one page per subcommand into a folder'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'postez;generate;completions'= {
            cand --color 'When to use colors'
            cand --log-format 'Log line format (stderr and the log file of `run`)'
            cand --json 'Print machine-readable JSON on stdout'
            cand -v 'More log output on stderr (-v info, -vv debug); RUST_LOG overrides'
            cand --verbose 'More log output on stderr (-v info, -vv debug); RUST_LOG overrides'
            cand -q 'Only errors on stderr'
            cand --quiet 'Only errors on stderr'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'postez;generate;man'= {
            cand --dir 'Target folder'
            cand --color 'When to use colors'
            cand --log-format 'Log line format (stderr and the log file of `run`)'
            cand --json 'Print machine-readable JSON on stdout'
            cand -v 'More log output on stderr (-v info, -vv debug); RUST_LOG overrides'
            cand --verbose 'More log output on stderr (-v info, -vv debug); RUST_LOG overrides'
            cand -q 'Only errors on stderr'
            cand --quiet 'Only errors on stderr'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'postez;generate;help'= {
            cand completions 'Print the completion script for a shell'
            cand man 'Write postez.1 and one page per subcommand into a folder'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'postez;generate;help;completions'= {
        }
        &'postez;generate;help;man'= {
        }
        &'postez;generate;help;help'= {
        }
        &'postez;help'= {
            cand connect 'Connect a TikTok account or a YouTube channel'
            cand accounts 'List connected accounts'
            cand disconnect 'Disconnect an account and revoke postez''s access'
            cand schedule 'Queue a video to be published later'
            cand list 'Show the queue'
            cand show 'Show one post (or each post of a group) and its history'
            cand edit 'Change a scheduled or failed post'
            cand cancel 'Cancel a scheduled or failed post'
            cand retry 'Queue a failed or cancelled post again'
            cand import 'Schedule many posts from a CSV or JSON file'
            cand run 'Publish the posts that are due'
            cand runners 'List the machines that run the shared queue'
            cand history 'Show what happened to posts'
            cand export 'Export all your data as JSON'
            cand purge 'Delete your data and revoke postez''s access'
            cand doctor 'Check the setup and explain each problem with its fix'
            cand db 'Manage where the queue lives'
            cand cron 'Start `postez run` on time: a systemd user timer, else a crontab line'
            cand config 'Read or change settings'
            cand generate 'Write shell completions or man pages'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'postez;help;connect'= {
        }
        &'postez;help;accounts'= {
        }
        &'postez;help;disconnect'= {
        }
        &'postez;help;schedule'= {
        }
        &'postez;help;list'= {
        }
        &'postez;help;show'= {
        }
        &'postez;help;edit'= {
        }
        &'postez;help;cancel'= {
        }
        &'postez;help;retry'= {
        }
        &'postez;help;import'= {
        }
        &'postez;help;run'= {
        }
        &'postez;help;runners'= {
        }
        &'postez;help;history'= {
        }
        &'postez;help;export'= {
        }
        &'postez;help;purge'= {
        }
        &'postez;help;doctor'= {
        }
        &'postez;help;db'= {
            cand copy 'Copy this machine''s queue into an empty shared queue (PostgreSQL)'
        }
        &'postez;help;db;copy'= {
        }
        &'postez;help;cron'= {
            cand install 'Install the runner, replacing any earlier one'
            cand remove 'Remove the runner: the systemd timer and the crontab line, whichever exist'
            cand show 'Show which runner is installed, its schedule, and the last run'
        }
        &'postez;help;cron;install'= {
        }
        &'postez;help;cron;remove'= {
        }
        &'postez;help;cron;show'= {
        }
        &'postez;help;config'= {
            cand get 'Print one setting (nothing if unset)'
            cand set 'Change one setting (an empty value unsets it)'
            cand list 'Print every setting with its value and meaning'
            cand path 'Print the settings file''s path'
        }
        &'postez;help;config;get'= {
        }
        &'postez;help;config;set'= {
        }
        &'postez;help;config;list'= {
        }
        &'postez;help;config;path'= {
        }
        &'postez;help;generate'= {
            cand completions 'Print the completion script for a shell'
            cand man 'Write postez.1 and one page per subcommand into a folder'
        }
        &'postez;help;generate;completions'= {
        }
        &'postez;help;generate;man'= {
        }
        &'postez;help;help'= {
        }
    ]
    $completions[$command]
}
