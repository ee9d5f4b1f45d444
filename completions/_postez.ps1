
using namespace System.Management.Automation
using namespace System.Management.Automation.Language

Register-ArgumentCompleter -Native -CommandName 'postez' -ScriptBlock {
    param($wordToComplete, $commandAst, $cursorPosition)

    $commandElements = $commandAst.CommandElements
    $command = @(
        'postez'
        for ($i = 1; $i -lt $commandElements.Count; $i++) {
            $element = $commandElements[$i]
            if ($element -isnot [StringConstantExpressionAst] -or
                $element.StringConstantType -ne [StringConstantType]::BareWord -or
                $element.Value.StartsWith('-') -or
                $element.Value -eq $wordToComplete) {
                break
        }
        $element.Value
    }) -join ';'

    $completions = @(switch ($command) {
        'postez' {
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colors')
            [CompletionResult]::new('--log-format', '--log-format', [CompletionResultType]::ParameterName, 'Log line format (stderr and the log file of `run`)')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print machine-readable JSON on stdout')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More log output on stderr (-v info, -vv debug); RUST_LOG overrides')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More log output on stderr (-v info, -vv debug); RUST_LOG overrides')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Only errors on stderr')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Only errors on stderr')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('connect', 'connect', [CompletionResultType]::ParameterValue, 'Connect a TikTok account or a YouTube channel')
            [CompletionResult]::new('accounts', 'accounts', [CompletionResultType]::ParameterValue, 'List connected accounts')
            [CompletionResult]::new('disconnect', 'disconnect', [CompletionResultType]::ParameterValue, 'Disconnect an account and revoke postez''s access')
            [CompletionResult]::new('schedule', 'schedule', [CompletionResultType]::ParameterValue, 'Queue a video to be published later')
            [CompletionResult]::new('list', 'list', [CompletionResultType]::ParameterValue, 'Show the queue')
            [CompletionResult]::new('show', 'show', [CompletionResultType]::ParameterValue, 'Show one post (or each post of a group) and its history')
            [CompletionResult]::new('edit', 'edit', [CompletionResultType]::ParameterValue, 'Change a scheduled or failed post')
            [CompletionResult]::new('cancel', 'cancel', [CompletionResultType]::ParameterValue, 'Cancel a scheduled or failed post')
            [CompletionResult]::new('retry', 'retry', [CompletionResultType]::ParameterValue, 'Queue a failed or cancelled post again')
            [CompletionResult]::new('import', 'import', [CompletionResultType]::ParameterValue, 'Schedule many posts from a CSV or JSON file')
            [CompletionResult]::new('run', 'run', [CompletionResultType]::ParameterValue, 'Publish the posts that are due')
            [CompletionResult]::new('runners', 'runners', [CompletionResultType]::ParameterValue, 'List the machines that run the shared queue')
            [CompletionResult]::new('history', 'history', [CompletionResultType]::ParameterValue, 'Show what happened to posts')
            [CompletionResult]::new('export', 'export', [CompletionResultType]::ParameterValue, 'Export all your data as JSON')
            [CompletionResult]::new('purge', 'purge', [CompletionResultType]::ParameterValue, 'Delete your data and revoke postez''s access')
            [CompletionResult]::new('doctor', 'doctor', [CompletionResultType]::ParameterValue, 'Check the setup and explain each problem with its fix')
            [CompletionResult]::new('db', 'db', [CompletionResultType]::ParameterValue, 'Manage where the queue lives')
            [CompletionResult]::new('cron', 'cron', [CompletionResultType]::ParameterValue, 'Start `postez run` on time: a systemd user timer, else a crontab line')
            [CompletionResult]::new('config', 'config', [CompletionResultType]::ParameterValue, 'Read or change settings')
            [CompletionResult]::new('generate', 'generate', [CompletionResultType]::ParameterValue, 'Write shell completions or man pages')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'postez;connect' {
            [CompletionResult]::new('--port', '--port', [CompletionResultType]::ParameterName, 'Port for the login redirect on 127.0.0.1 (default: any free port)')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Give up waiting for the login after this long')
            [CompletionResult]::new('--token-store', '--token-store', [CompletionResultType]::ParameterName, 'Where to keep the tokens: keychain or file (encrypted)')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colors')
            [CompletionResult]::new('--log-format', '--log-format', [CompletionResultType]::ParameterName, 'Log line format (stderr and the log file of `run`)')
            [CompletionResult]::new('--no-browser', '--no-browser', [CompletionResultType]::ParameterName, 'Print the login URL instead of opening a browser')
            [CompletionResult]::new('--drafts-only', '--drafts-only', [CompletionResultType]::ParameterName, 'Ask only for drafts (user.info.basic, video.upload), for a TikTok app without Direct Post')
            [CompletionResult]::new('--manage', '--manage', [CompletionResultType]::ParameterName, 'YouTube: also ask to manage your videos (the `youtube` scope), so postez can reschedule (`edit --at`) or delete (`cancel`) a post already uploaded ahead')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print machine-readable JSON on stdout')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More log output on stderr (-v info, -vv debug); RUST_LOG overrides')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More log output on stderr (-v info, -vv debug); RUST_LOG overrides')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Only errors on stderr')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Only errors on stderr')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'postez;accounts' {
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colors')
            [CompletionResult]::new('--log-format', '--log-format', [CompletionResultType]::ParameterName, 'Log line format (stderr and the log file of `run`)')
            [CompletionResult]::new('--check', '--check', [CompletionResultType]::ParameterName, 'Check each connected account online, refreshing its login if it is due')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print machine-readable JSON on stdout')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More log output on stderr (-v info, -vv debug); RUST_LOG overrides')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More log output on stderr (-v info, -vv debug); RUST_LOG overrides')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Only errors on stderr')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Only errors on stderr')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'postez;disconnect' {
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colors')
            [CompletionResult]::new('--log-format', '--log-format', [CompletionResultType]::ParameterName, 'Log line format (stderr and the log file of `run`)')
            [CompletionResult]::new('--no-revoke', '--no-revoke', [CompletionResultType]::ParameterName, 'Only delete locally; do not revoke at the platform')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print machine-readable JSON on stdout')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More log output on stderr (-v info, -vv debug); RUST_LOG overrides')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More log output on stderr (-v info, -vv debug); RUST_LOG overrides')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Only errors on stderr')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Only errors on stderr')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'postez;schedule' {
            [CompletionResult]::new('--at', '--at', [CompletionResultType]::ParameterName, 'When to publish: now, "18:00", "tomorrow 9am", "next friday 18:00", "in 2h", "+90m", "2026-12-01 18:00" or RFC 3339')
            [CompletionResult]::new('--tz', '--tz', [CompletionResultType]::ParameterName, 'Time zone for local times (IANA name, e.g. Europe/Berlin)')
            [CompletionResult]::new('-c', '-c', [CompletionResultType]::ParameterName, 'Caption (title) shown with the post; at most 2200 UTF-16 units with hashtags')
            [CompletionResult]::new('--caption', '--caption', [CompletionResultType]::ParameterName, 'Caption (title) shown with the post; at most 2200 UTF-16 units with hashtags')
            [CompletionResult]::new('--caption-file', '--caption-file', [CompletionResultType]::ParameterName, 'Read the caption from a UTF-8 text file')
            [CompletionResult]::new('--hashtag', '--hashtag', [CompletionResultType]::ParameterName, 'Add a hashtag (repeatable; "food" and "#food" both give #food)')
            [CompletionResult]::new('--privacy', '--privacy', [CompletionResultType]::ParameterName, 'Who can see the post (required for direct posts; there is no default). TikTok: PUBLIC_TO_EVERYONE, MUTUAL_FOLLOW_FRIENDS, FOLLOWER_OF_CREATOR, SELF_ONLY (or public, friends, followers, private); YouTube: public, unlisted, private. Cross-posting: `PLATFORM=LEVEL` sets one platform''s (repeatable, e.g. `--privacy tiktok=SELF_ONLY --privacy youtube=unlisted`); a plain level applies to every target')
            [CompletionResult]::new('--cover-at', '--cover-at', [CompletionResultType]::ParameterName, 'Use the frame at this time (milliseconds) as the cover')
            [CompletionResult]::new('--title', '--title', [CompletionResultType]::ParameterName, 'YouTube: the video''s title, at most 100 characters without < or > (default: the caption''s first line, shortened on a word boundary)')
            [CompletionResult]::new('--made-for-kids', '--made-for-kids', [CompletionResultType]::ParameterName, 'YouTube: whether the video is made for kids (required; YouTube asks every upload)')
            [CompletionResult]::new('--category', '--category', [CompletionResultType]::ParameterName, 'YouTube: category id, e.g. 22 (People & Blogs); default: YouTube picks')
            [CompletionResult]::new('--tag', '--tag', [CompletionResultType]::ParameterName, 'YouTube: add a tag (repeatable; no < or >, at most 500 characters in all, counting a comma between tags and quotes around a tag with a space)')
            [CompletionResult]::new('--account', '--account', [CompletionResultType]::ParameterName, 'Account to publish with: id, name, a platform (its only account, e.g. `youtube`) or `platform:name` (default: the only TikTok account, or `default_account`). Repeat it to cross-post (one post per account, tied as a group); `all` is every connected account that is not paused')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colors')
            [CompletionResult]::new('--log-format', '--log-format', [CompletionResultType]::ParameterName, 'Log line format (stderr and the log file of `run`)')
            [CompletionResult]::new('--draft', '--draft', [CompletionResultType]::ParameterName, 'Upload as a draft to your TikTok inbox and finish the post in the app')
            [CompletionResult]::new('--allow-comments', '--allow-comments', [CompletionResultType]::ParameterName, 'Allow comments')
            [CompletionResult]::new('--allow-duet', '--allow-duet', [CompletionResultType]::ParameterName, 'Allow duets')
            [CompletionResult]::new('--allow-stitch', '--allow-stitch', [CompletionResultType]::ParameterName, 'Allow stitches')
            [CompletionResult]::new('--brand-organic', '--brand-organic', [CompletionResultType]::ParameterName, 'Disclose promotional content for your own brand ("Promotional content")')
            [CompletionResult]::new('--branded-content', '--branded-content', [CompletionResultType]::ParameterName, 'Disclose a paid partnership ("Paid partnership"; cannot be SELF_ONLY)')
            [CompletionResult]::new('--ai-generated', '--ai-generated', [CompletionResultType]::ParameterName, 'Label the video as AI-generated')
            [CompletionResult]::new('--no-notify', '--no-notify', [CompletionResultType]::ParameterName, 'YouTube: do not notify subscribers of the upload')
            [CompletionResult]::new('--upload-ahead', '--upload-ahead', [CompletionResultType]::ParameterName, 'YouTube: upload at the next run, private, and let YouTube make it public at --at even if this machine is off then (public videos only; the setting `youtube_upload_ahead` makes it the default)')
            [CompletionResult]::new('--no-upload-ahead', '--no-upload-ahead', [CompletionResultType]::ParameterName, 'YouTube: upload when due, whatever the setting `youtube_upload_ahead` says')
            [CompletionResult]::new('--copy', '--copy', [CompletionResultType]::ParameterName, 'Keep a private copy of the video, so moving or editing the original does not matter')
            [CompletionResult]::new('--reference', '--reference', [CompletionResultType]::ParameterName, 'Shared mode: keep only the video''s path, not its bytes in the shared queue (every runner must see the same file, e.g. on a shared mount)')
            [CompletionResult]::new('-y', '-y', [CompletionResultType]::ParameterName, 'Agree to TikTok''s Music Usage Confirmation (and Branded Content Policy) without a prompt')
            [CompletionResult]::new('--yes', '--yes', [CompletionResultType]::ParameterName, 'Agree to TikTok''s Music Usage Confirmation (and Branded Content Policy) without a prompt')
            [CompletionResult]::new('--allow-duplicate', '--allow-duplicate', [CompletionResultType]::ParameterName, 'Queue the video even if the account gets it within 24 hours of another post of it')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print machine-readable JSON on stdout')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More log output on stderr (-v info, -vv debug); RUST_LOG overrides')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More log output on stderr (-v info, -vv debug); RUST_LOG overrides')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Only errors on stderr')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Only errors on stderr')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'postez;list' {
            [CompletionResult]::new('--state', '--state', [CompletionResultType]::ParameterName, 'Only posts in this state (repeatable)')
            [CompletionResult]::new('--account', '--account', [CompletionResultType]::ParameterName, 'Only posts of this account (id or name)')
            [CompletionResult]::new('--limit', '--limit', [CompletionResultType]::ParameterName, 'Show at most this many posts (0 = all)')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colors')
            [CompletionResult]::new('--log-format', '--log-format', [CompletionResultType]::ParameterName, 'Log line format (stderr and the log file of `run`)')
            [CompletionResult]::new('--all', '--all', [CompletionResultType]::ParameterName, 'Include published, sent and cancelled posts')
            [CompletionResult]::new('--expand', '--expand', [CompletionResultType]::ParameterName, 'On a terminal, show each group''s posts under its line')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print machine-readable JSON on stdout')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More log output on stderr (-v info, -vv debug); RUST_LOG overrides')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More log output on stderr (-v info, -vv debug); RUST_LOG overrides')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Only errors on stderr')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Only errors on stderr')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'postez;show' {
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colors')
            [CompletionResult]::new('--log-format', '--log-format', [CompletionResultType]::ParameterName, 'Log line format (stderr and the log file of `run`)')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print machine-readable JSON on stdout')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More log output on stderr (-v info, -vv debug); RUST_LOG overrides')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More log output on stderr (-v info, -vv debug); RUST_LOG overrides')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Only errors on stderr')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Only errors on stderr')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'postez;edit' {
            [CompletionResult]::new('--at', '--at', [CompletionResultType]::ParameterName, 'New time (same forms as `schedule --at`)')
            [CompletionResult]::new('--tz', '--tz', [CompletionResultType]::ParameterName, 'Time zone for a local --at (IANA name)')
            [CompletionResult]::new('--file', '--file', [CompletionResultType]::ParameterName, 'Replace the video')
            [CompletionResult]::new('-c', '-c', [CompletionResultType]::ParameterName, 'Caption (title) shown with the post; at most 2200 UTF-16 units with hashtags')
            [CompletionResult]::new('--caption', '--caption', [CompletionResultType]::ParameterName, 'Caption (title) shown with the post; at most 2200 UTF-16 units with hashtags')
            [CompletionResult]::new('--caption-file', '--caption-file', [CompletionResultType]::ParameterName, 'Read the caption from a UTF-8 text file')
            [CompletionResult]::new('--hashtag', '--hashtag', [CompletionResultType]::ParameterName, 'Add a hashtag (repeatable; "food" and "#food" both give #food)')
            [CompletionResult]::new('--privacy', '--privacy', [CompletionResultType]::ParameterName, 'Who can see the post. TikTok: PUBLIC_TO_EVERYONE, MUTUAL_FOLLOW_FRIENDS, FOLLOWER_OF_CREATOR, SELF_ONLY (or public, friends, followers, private); YouTube: public, unlisted, private')
            [CompletionResult]::new('--cover-at', '--cover-at', [CompletionResultType]::ParameterName, 'Cover frame time in milliseconds')
            [CompletionResult]::new('--account', '--account', [CompletionResultType]::ParameterName, 'Move the post to another account (id or name)')
            [CompletionResult]::new('--title', '--title', [CompletionResultType]::ParameterName, 'YouTube: new title (at most 100 characters, no < or >)')
            [CompletionResult]::new('--made-for-kids', '--made-for-kids', [CompletionResultType]::ParameterName, 'YouTube: whether the video is made for kids')
            [CompletionResult]::new('--category', '--category', [CompletionResultType]::ParameterName, 'YouTube: category id, e.g. 22 (People & Blogs)')
            [CompletionResult]::new('--tag', '--tag', [CompletionResultType]::ParameterName, 'YouTube: the tags, replacing the post''s (repeatable; same limits as `schedule --tag`)')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colors')
            [CompletionResult]::new('--log-format', '--log-format', [CompletionResultType]::ParameterName, 'Log line format (stderr and the log file of `run`)')
            [CompletionResult]::new('--draft', '--draft', [CompletionResultType]::ParameterName, 'Make it a draft (sent to your TikTok inbox); clears the direct-post options')
            [CompletionResult]::new('--direct', '--direct', [CompletionResultType]::ParameterName, 'Make it a direct post (needs --privacy)')
            [CompletionResult]::new('--allow-comments', '--allow-comments', [CompletionResultType]::ParameterName, 'Allow or forbid comments')
            [CompletionResult]::new('--no-allow-comments', '--no-allow-comments', [CompletionResultType]::ParameterName, 'no-allow-comments')
            [CompletionResult]::new('--allow-duet', '--allow-duet', [CompletionResultType]::ParameterName, 'Allow or forbid duets')
            [CompletionResult]::new('--no-allow-duet', '--no-allow-duet', [CompletionResultType]::ParameterName, 'no-allow-duet')
            [CompletionResult]::new('--allow-stitch', '--allow-stitch', [CompletionResultType]::ParameterName, 'Allow or forbid stitches')
            [CompletionResult]::new('--no-allow-stitch', '--no-allow-stitch', [CompletionResultType]::ParameterName, 'no-allow-stitch')
            [CompletionResult]::new('--brand-organic', '--brand-organic', [CompletionResultType]::ParameterName, 'Promotional content for your own brand (on/off with --no-brand-organic)')
            [CompletionResult]::new('--no-brand-organic', '--no-brand-organic', [CompletionResultType]::ParameterName, 'no-brand-organic')
            [CompletionResult]::new('--branded-content', '--branded-content', [CompletionResultType]::ParameterName, 'Paid partnership (on/off with --no-branded-content)')
            [CompletionResult]::new('--no-branded-content', '--no-branded-content', [CompletionResultType]::ParameterName, 'no-branded-content')
            [CompletionResult]::new('--ai-generated', '--ai-generated', [CompletionResultType]::ParameterName, 'AI-generated label (on/off with --no-ai-generated)')
            [CompletionResult]::new('--no-ai-generated', '--no-ai-generated', [CompletionResultType]::ParameterName, 'no-ai-generated')
            [CompletionResult]::new('--notify', '--notify', [CompletionResultType]::ParameterName, 'YouTube: notify subscribers of the upload (on/off with --no-notify)')
            [CompletionResult]::new('--no-notify', '--no-notify', [CompletionResultType]::ParameterName, 'no-notify')
            [CompletionResult]::new('--no-tags', '--no-tags', [CompletionResultType]::ParameterName, 'YouTube: remove every tag')
            [CompletionResult]::new('--upload-ahead', '--upload-ahead', [CompletionResultType]::ParameterName, 'YouTube: upload it at the next run, private, and let YouTube make it public at its time (public videos only; see `schedule --upload-ahead`)')
            [CompletionResult]::new('--no-upload-ahead', '--no-upload-ahead', [CompletionResultType]::ParameterName, 'YouTube: upload it when due instead of ahead')
            [CompletionResult]::new('-y', '-y', [CompletionResultType]::ParameterName, 'Agree to TikTok''s Music Usage Confirmation without a prompt')
            [CompletionResult]::new('--yes', '--yes', [CompletionResultType]::ParameterName, 'Agree to TikTok''s Music Usage Confirmation without a prompt')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print machine-readable JSON on stdout')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More log output on stderr (-v info, -vv debug); RUST_LOG overrides')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More log output on stderr (-v info, -vv debug); RUST_LOG overrides')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Only errors on stderr')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Only errors on stderr')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'postez;cancel' {
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colors')
            [CompletionResult]::new('--log-format', '--log-format', [CompletionResultType]::ParameterName, 'Log line format (stderr and the log file of `run`)')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print machine-readable JSON on stdout')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More log output on stderr (-v info, -vv debug); RUST_LOG overrides')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More log output on stderr (-v info, -vv debug); RUST_LOG overrides')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Only errors on stderr')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Only errors on stderr')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'postez;retry' {
            [CompletionResult]::new('--at', '--at', [CompletionResultType]::ParameterName, 'New time (same forms as `schedule --at`)')
            [CompletionResult]::new('--tz', '--tz', [CompletionResultType]::ParameterName, 'Time zone for a local --at (IANA name)')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colors')
            [CompletionResult]::new('--log-format', '--log-format', [CompletionResultType]::ParameterName, 'Log line format (stderr and the log file of `run`)')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print machine-readable JSON on stdout')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More log output on stderr (-v info, -vv debug); RUST_LOG overrides')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More log output on stderr (-v info, -vv debug); RUST_LOG overrides')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Only errors on stderr')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Only errors on stderr')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'postez;import' {
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colors')
            [CompletionResult]::new('--log-format', '--log-format', [CompletionResultType]::ParameterName, 'Log line format (stderr and the log file of `run`)')
            [CompletionResult]::new('-y', '-y', [CompletionResultType]::ParameterName, 'Agree to TikTok''s Music Usage Confirmation for every direct post without a prompt')
            [CompletionResult]::new('--yes', '--yes', [CompletionResultType]::ParameterName, 'Agree to TikTok''s Music Usage Confirmation for every direct post without a prompt')
            [CompletionResult]::new('--allow-outside', '--allow-outside', [CompletionResultType]::ParameterName, 'Accept rows whose video is outside the import file''s folder (`../x.mp4`, absolute paths)')
            [CompletionResult]::new('--allow-duplicate', '--allow-duplicate', [CompletionResultType]::ParameterName, 'Import rows whose video the account gets within 24 hours of another post of it')
            [CompletionResult]::new('--reference', '--reference', [CompletionResultType]::ParameterName, 'Shared mode: keep only the videos'' paths, not their bytes in the shared queue (every runner must see the same files)')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print machine-readable JSON on stdout')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More log output on stderr (-v info, -vv debug); RUST_LOG overrides')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More log output on stderr (-v info, -vv debug); RUST_LOG overrides')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Only errors on stderr')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Only errors on stderr')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'postez;run' {
            [CompletionResult]::new('--jobs', '--jobs', [CompletionResultType]::ParameterName, 'Accounts of one platform to publish in parallel (platforms go side by side)')
            [CompletionResult]::new('--interval', '--interval', [CompletionResultType]::ParameterName, 'With --watch: pause between passes')
            [CompletionResult]::new('--poll-for', '--poll-for', [CompletionResultType]::ParameterName, 'Keep checking a processed upload for this long before leaving it to the next run')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colors')
            [CompletionResult]::new('--log-format', '--log-format', [CompletionResultType]::ParameterName, 'Log line format (stderr and the log file of `run`)')
            [CompletionResult]::new('--wait', '--wait', [CompletionResultType]::ParameterName, 'Wait for a running `postez run` to finish instead of exiting')
            [CompletionResult]::new('--dry-run', '--dry-run', [CompletionResultType]::ParameterName, 'Check each due post (login, account, video, privacy) without uploading or changing anything')
            [CompletionResult]::new('--watch', '--watch', [CompletionResultType]::ParameterName, 'Keep running and publish posts as they come due')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print machine-readable JSON on stdout')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More log output on stderr (-v info, -vv debug); RUST_LOG overrides')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More log output on stderr (-v info, -vv debug); RUST_LOG overrides')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Only errors on stderr')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Only errors on stderr')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'postez;runners' {
            [CompletionResult]::new('--days', '--days', [CompletionResultType]::ParameterName, 'How far back to look, in days')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colors')
            [CompletionResult]::new('--log-format', '--log-format', [CompletionResultType]::ParameterName, 'Log line format (stderr and the log file of `run`)')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print machine-readable JSON on stdout')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More log output on stderr (-v info, -vv debug); RUST_LOG overrides')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More log output on stderr (-v info, -vv debug); RUST_LOG overrides')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Only errors on stderr')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Only errors on stderr')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'postez;history' {
            [CompletionResult]::new('--limit', '--limit', [CompletionResultType]::ParameterName, 'Without an id: how many recent events')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colors')
            [CompletionResult]::new('--log-format', '--log-format', [CompletionResultType]::ParameterName, 'Log line format (stderr and the log file of `run`)')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print machine-readable JSON on stdout')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More log output on stderr (-v info, -vv debug); RUST_LOG overrides')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More log output on stderr (-v info, -vv debug); RUST_LOG overrides')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Only errors on stderr')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Only errors on stderr')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'postez;export' {
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Write to this file instead of stdout')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Write to this file instead of stdout')
            [CompletionResult]::new('--media', '--media', [CompletionResultType]::ParameterName, 'Also copy the posts'' video files into this folder (as `<id>-<name>`)')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colors')
            [CompletionResult]::new('--log-format', '--log-format', [CompletionResultType]::ParameterName, 'Log line format (stderr and the log file of `run`)')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print machine-readable JSON on stdout')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More log output on stderr (-v info, -vv debug); RUST_LOG overrides')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More log output on stderr (-v info, -vv debug); RUST_LOG overrides')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Only errors on stderr')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Only errors on stderr')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'postez;purge' {
            [CompletionResult]::new('--account', '--account', [CompletionResultType]::ParameterName, 'Only this account (id or name)')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colors')
            [CompletionResult]::new('--log-format', '--log-format', [CompletionResultType]::ParameterName, 'Log line format (stderr and the log file of `run`)')
            [CompletionResult]::new('-y', '-y', [CompletionResultType]::ParameterName, 'Do not ask for confirmation')
            [CompletionResult]::new('--yes', '--yes', [CompletionResultType]::ParameterName, 'Do not ask for confirmation')
            [CompletionResult]::new('--no-revoke', '--no-revoke', [CompletionResultType]::ParameterName, 'Only delete locally; do not revoke at TikTok')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print machine-readable JSON on stdout')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More log output on stderr (-v info, -vv debug); RUST_LOG overrides')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More log output on stderr (-v info, -vv debug); RUST_LOG overrides')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Only errors on stderr')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Only errors on stderr')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'postez;doctor' {
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colors')
            [CompletionResult]::new('--log-format', '--log-format', [CompletionResultType]::ParameterName, 'Log line format (stderr and the log file of `run`)')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print machine-readable JSON on stdout')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More log output on stderr (-v info, -vv debug); RUST_LOG overrides')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More log output on stderr (-v info, -vv debug); RUST_LOG overrides')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Only errors on stderr')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Only errors on stderr')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'postez;db' {
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colors')
            [CompletionResult]::new('--log-format', '--log-format', [CompletionResultType]::ParameterName, 'Log line format (stderr and the log file of `run`)')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print machine-readable JSON on stdout')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More log output on stderr (-v info, -vv debug); RUST_LOG overrides')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More log output on stderr (-v info, -vv debug); RUST_LOG overrides')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Only errors on stderr')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Only errors on stderr')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('copy', 'copy', [CompletionResultType]::ParameterValue, 'Copy this machine''s queue into an empty shared queue (PostgreSQL)')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'postez;db;copy' {
            [CompletionResult]::new('--to', '--to', [CompletionResultType]::ParameterName, 'The shared queue to copy into (an empty database)')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colors')
            [CompletionResult]::new('--log-format', '--log-format', [CompletionResultType]::ParameterName, 'Log line format (stderr and the log file of `run`)')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print machine-readable JSON on stdout')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More log output on stderr (-v info, -vv debug); RUST_LOG overrides')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More log output on stderr (-v info, -vv debug); RUST_LOG overrides')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Only errors on stderr')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Only errors on stderr')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'postez;db;help' {
            [CompletionResult]::new('copy', 'copy', [CompletionResultType]::ParameterValue, 'Copy this machine''s queue into an empty shared queue (PostgreSQL)')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'postez;db;help;copy' {
            break
        }
        'postez;db;help;help' {
            break
        }
        'postez;cron' {
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colors')
            [CompletionResult]::new('--log-format', '--log-format', [CompletionResultType]::ParameterName, 'Log line format (stderr and the log file of `run`)')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print machine-readable JSON on stdout')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More log output on stderr (-v info, -vv debug); RUST_LOG overrides')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More log output on stderr (-v info, -vv debug); RUST_LOG overrides')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Only errors on stderr')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Only errors on stderr')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('install', 'install', [CompletionResultType]::ParameterValue, 'Install the runner, replacing any earlier one')
            [CompletionResult]::new('remove', 'remove', [CompletionResultType]::ParameterValue, 'Remove the runner: the systemd timer and the crontab line, whichever exist')
            [CompletionResult]::new('show', 'show', [CompletionResultType]::ParameterValue, 'Show which runner is installed, its schedule, and the last run')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'postez;cron;install' {
            [CompletionResult]::new('--every', '--every', [CompletionResultType]::ParameterName, 'Minutes between runs (1-60)')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colors')
            [CompletionResult]::new('--log-format', '--log-format', [CompletionResultType]::ParameterName, 'Log line format (stderr and the log file of `run`)')
            [CompletionResult]::new('--crontab', '--crontab', [CompletionResultType]::ParameterName, 'Use a crontab line even where a systemd user timer would work')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print machine-readable JSON on stdout')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More log output on stderr (-v info, -vv debug); RUST_LOG overrides')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More log output on stderr (-v info, -vv debug); RUST_LOG overrides')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Only errors on stderr')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Only errors on stderr')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'postez;cron;remove' {
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colors')
            [CompletionResult]::new('--log-format', '--log-format', [CompletionResultType]::ParameterName, 'Log line format (stderr and the log file of `run`)')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print machine-readable JSON on stdout')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More log output on stderr (-v info, -vv debug); RUST_LOG overrides')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More log output on stderr (-v info, -vv debug); RUST_LOG overrides')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Only errors on stderr')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Only errors on stderr')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'postez;cron;show' {
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colors')
            [CompletionResult]::new('--log-format', '--log-format', [CompletionResultType]::ParameterName, 'Log line format (stderr and the log file of `run`)')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print machine-readable JSON on stdout')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More log output on stderr (-v info, -vv debug); RUST_LOG overrides')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More log output on stderr (-v info, -vv debug); RUST_LOG overrides')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Only errors on stderr')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Only errors on stderr')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'postez;cron;help' {
            [CompletionResult]::new('install', 'install', [CompletionResultType]::ParameterValue, 'Install the runner, replacing any earlier one')
            [CompletionResult]::new('remove', 'remove', [CompletionResultType]::ParameterValue, 'Remove the runner: the systemd timer and the crontab line, whichever exist')
            [CompletionResult]::new('show', 'show', [CompletionResultType]::ParameterValue, 'Show which runner is installed, its schedule, and the last run')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'postez;cron;help;install' {
            break
        }
        'postez;cron;help;remove' {
            break
        }
        'postez;cron;help;show' {
            break
        }
        'postez;cron;help;help' {
            break
        }
        'postez;config' {
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colors')
            [CompletionResult]::new('--log-format', '--log-format', [CompletionResultType]::ParameterName, 'Log line format (stderr and the log file of `run`)')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print machine-readable JSON on stdout')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More log output on stderr (-v info, -vv debug); RUST_LOG overrides')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More log output on stderr (-v info, -vv debug); RUST_LOG overrides')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Only errors on stderr')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Only errors on stderr')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('get', 'get', [CompletionResultType]::ParameterValue, 'Print one setting (nothing if unset)')
            [CompletionResult]::new('set', 'set', [CompletionResultType]::ParameterValue, 'Change one setting (an empty value unsets it)')
            [CompletionResult]::new('list', 'list', [CompletionResultType]::ParameterValue, 'Print every setting with its value and meaning')
            [CompletionResult]::new('path', 'path', [CompletionResultType]::ParameterValue, 'Print the settings file''s path')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'postez;config;get' {
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colors')
            [CompletionResult]::new('--log-format', '--log-format', [CompletionResultType]::ParameterName, 'Log line format (stderr and the log file of `run`)')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print machine-readable JSON on stdout')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More log output on stderr (-v info, -vv debug); RUST_LOG overrides')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More log output on stderr (-v info, -vv debug); RUST_LOG overrides')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Only errors on stderr')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Only errors on stderr')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'postez;config;set' {
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colors')
            [CompletionResult]::new('--log-format', '--log-format', [CompletionResultType]::ParameterName, 'Log line format (stderr and the log file of `run`)')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print machine-readable JSON on stdout')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More log output on stderr (-v info, -vv debug); RUST_LOG overrides')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More log output on stderr (-v info, -vv debug); RUST_LOG overrides')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Only errors on stderr')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Only errors on stderr')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'postez;config;list' {
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colors')
            [CompletionResult]::new('--log-format', '--log-format', [CompletionResultType]::ParameterName, 'Log line format (stderr and the log file of `run`)')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print machine-readable JSON on stdout')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More log output on stderr (-v info, -vv debug); RUST_LOG overrides')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More log output on stderr (-v info, -vv debug); RUST_LOG overrides')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Only errors on stderr')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Only errors on stderr')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'postez;config;path' {
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colors')
            [CompletionResult]::new('--log-format', '--log-format', [CompletionResultType]::ParameterName, 'Log line format (stderr and the log file of `run`)')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print machine-readable JSON on stdout')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More log output on stderr (-v info, -vv debug); RUST_LOG overrides')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More log output on stderr (-v info, -vv debug); RUST_LOG overrides')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Only errors on stderr')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Only errors on stderr')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'postez;config;help' {
            [CompletionResult]::new('get', 'get', [CompletionResultType]::ParameterValue, 'Print one setting (nothing if unset)')
            [CompletionResult]::new('set', 'set', [CompletionResultType]::ParameterValue, 'Change one setting (an empty value unsets it)')
            [CompletionResult]::new('list', 'list', [CompletionResultType]::ParameterValue, 'Print every setting with its value and meaning')
            [CompletionResult]::new('path', 'path', [CompletionResultType]::ParameterValue, 'Print the settings file''s path')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'postez;config;help;get' {
            break
        }
        'postez;config;help;set' {
            break
        }
        'postez;config;help;list' {
            break
        }
        'postez;config;help;path' {
            break
        }
        'postez;config;help;help' {
            break
        }
        'postez;generate' {
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colors')
            [CompletionResult]::new('--log-format', '--log-format', [CompletionResultType]::ParameterName, 'Log line format (stderr and the log file of `run`)')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print machine-readable JSON on stdout')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More log output on stderr (-v info, -vv debug); RUST_LOG overrides')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More log output on stderr (-v info, -vv debug); RUST_LOG overrides')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Only errors on stderr')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Only errors on stderr')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('completions', 'completions', [CompletionResultType]::ParameterValue, 'Print the completion script for a shell')
            [CompletionResult]::new('man', 'man', [CompletionResultType]::ParameterValue, 'Write postez.1 and one page per subcommand into a folder')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'postez;generate;completions' {
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colors')
            [CompletionResult]::new('--log-format', '--log-format', [CompletionResultType]::ParameterName, 'Log line format (stderr and the log file of `run`)')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print machine-readable JSON on stdout')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More log output on stderr (-v info, -vv debug); RUST_LOG overrides')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More log output on stderr (-v info, -vv debug); RUST_LOG overrides')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Only errors on stderr')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Only errors on stderr')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'postez;generate;man' {
            [CompletionResult]::new('--dir', '--dir', [CompletionResultType]::ParameterName, 'Target folder')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colors')
            [CompletionResult]::new('--log-format', '--log-format', [CompletionResultType]::ParameterName, 'Log line format (stderr and the log file of `run`)')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print machine-readable JSON on stdout')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More log output on stderr (-v info, -vv debug); RUST_LOG overrides')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More log output on stderr (-v info, -vv debug); RUST_LOG overrides')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Only errors on stderr')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Only errors on stderr')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'postez;generate;help' {
            [CompletionResult]::new('completions', 'completions', [CompletionResultType]::ParameterValue, 'Print the completion script for a shell')
            [CompletionResult]::new('man', 'man', [CompletionResultType]::ParameterValue, 'Write postez.1 and one page per subcommand into a folder')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'postez;generate;help;completions' {
            break
        }
        'postez;generate;help;man' {
            break
        }
        'postez;generate;help;help' {
            break
        }
        'postez;help' {
            [CompletionResult]::new('connect', 'connect', [CompletionResultType]::ParameterValue, 'Connect a TikTok account or a YouTube channel')
            [CompletionResult]::new('accounts', 'accounts', [CompletionResultType]::ParameterValue, 'List connected accounts')
            [CompletionResult]::new('disconnect', 'disconnect', [CompletionResultType]::ParameterValue, 'Disconnect an account and revoke postez''s access')
            [CompletionResult]::new('schedule', 'schedule', [CompletionResultType]::ParameterValue, 'Queue a video to be published later')
            [CompletionResult]::new('list', 'list', [CompletionResultType]::ParameterValue, 'Show the queue')
            [CompletionResult]::new('show', 'show', [CompletionResultType]::ParameterValue, 'Show one post (or each post of a group) and its history')
            [CompletionResult]::new('edit', 'edit', [CompletionResultType]::ParameterValue, 'Change a scheduled or failed post')
            [CompletionResult]::new('cancel', 'cancel', [CompletionResultType]::ParameterValue, 'Cancel a scheduled or failed post')
            [CompletionResult]::new('retry', 'retry', [CompletionResultType]::ParameterValue, 'Queue a failed or cancelled post again')
            [CompletionResult]::new('import', 'import', [CompletionResultType]::ParameterValue, 'Schedule many posts from a CSV or JSON file')
            [CompletionResult]::new('run', 'run', [CompletionResultType]::ParameterValue, 'Publish the posts that are due')
            [CompletionResult]::new('runners', 'runners', [CompletionResultType]::ParameterValue, 'List the machines that run the shared queue')
            [CompletionResult]::new('history', 'history', [CompletionResultType]::ParameterValue, 'Show what happened to posts')
            [CompletionResult]::new('export', 'export', [CompletionResultType]::ParameterValue, 'Export all your data as JSON')
            [CompletionResult]::new('purge', 'purge', [CompletionResultType]::ParameterValue, 'Delete your data and revoke postez''s access')
            [CompletionResult]::new('doctor', 'doctor', [CompletionResultType]::ParameterValue, 'Check the setup and explain each problem with its fix')
            [CompletionResult]::new('db', 'db', [CompletionResultType]::ParameterValue, 'Manage where the queue lives')
            [CompletionResult]::new('cron', 'cron', [CompletionResultType]::ParameterValue, 'Start `postez run` on time: a systemd user timer, else a crontab line')
            [CompletionResult]::new('config', 'config', [CompletionResultType]::ParameterValue, 'Read or change settings')
            [CompletionResult]::new('generate', 'generate', [CompletionResultType]::ParameterValue, 'Write shell completions or man pages')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'postez;help;connect' {
            break
        }
        'postez;help;accounts' {
            break
        }
        'postez;help;disconnect' {
            break
        }
        'postez;help;schedule' {
            break
        }
        'postez;help;list' {
            break
        }
        'postez;help;show' {
            break
        }
        'postez;help;edit' {
            break
        }
        'postez;help;cancel' {
            break
        }
        'postez;help;retry' {
            break
        }
        'postez;help;import' {
            break
        }
        'postez;help;run' {
            break
        }
        'postez;help;runners' {
            break
        }
        'postez;help;history' {
            break
        }
        'postez;help;export' {
            break
        }
        'postez;help;purge' {
            break
        }
        'postez;help;doctor' {
            break
        }
        'postez;help;db' {
            [CompletionResult]::new('copy', 'copy', [CompletionResultType]::ParameterValue, 'Copy this machine''s queue into an empty shared queue (PostgreSQL)')
            break
        }
        'postez;help;db;copy' {
            break
        }
        'postez;help;cron' {
            [CompletionResult]::new('install', 'install', [CompletionResultType]::ParameterValue, 'Install the runner, replacing any earlier one')
            [CompletionResult]::new('remove', 'remove', [CompletionResultType]::ParameterValue, 'Remove the runner: the systemd timer and the crontab line, whichever exist')
            [CompletionResult]::new('show', 'show', [CompletionResultType]::ParameterValue, 'Show which runner is installed, its schedule, and the last run')
            break
        }
        'postez;help;cron;install' {
            break
        }
        'postez;help;cron;remove' {
            break
        }
        'postez;help;cron;show' {
            break
        }
        'postez;help;config' {
            [CompletionResult]::new('get', 'get', [CompletionResultType]::ParameterValue, 'Print one setting (nothing if unset)')
            [CompletionResult]::new('set', 'set', [CompletionResultType]::ParameterValue, 'Change one setting (an empty value unsets it)')
            [CompletionResult]::new('list', 'list', [CompletionResultType]::ParameterValue, 'Print every setting with its value and meaning')
            [CompletionResult]::new('path', 'path', [CompletionResultType]::ParameterValue, 'Print the settings file''s path')
            break
        }
        'postez;help;config;get' {
            break
        }
        'postez;help;config;set' {
            break
        }
        'postez;help;config;list' {
            break
        }
        'postez;help;config;path' {
            break
        }
        'postez;help;generate' {
            [CompletionResult]::new('completions', 'completions', [CompletionResultType]::ParameterValue, 'Print the completion script for a shell')
            [CompletionResult]::new('man', 'man', [CompletionResultType]::ParameterValue, 'Write postez.1 and one page per subcommand into a folder')
            break
        }
        'postez;help;generate;completions' {
            break
        }
        'postez;help;generate;man' {
            break
        }
        'postez;help;help' {
            break
        }
    })

    $completions.Where{ $_.CompletionText -like "$wordToComplete*" } |
        Sort-Object -Property ListItemText
}
