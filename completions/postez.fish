# Print an optspec for argparse to handle cmd's options that are independent of any subcommand.
function __fish_postez_global_optspecs
    string join \n json v/verbose q/quiet color= log-format= h/help V/version
end

function __fish_postez_needs_command
    # Figure out if the current invocation already has a command.
    set -l cmd (commandline -opc)
    set -e cmd[1]
    argparse -s (__fish_postez_global_optspecs) -- $cmd 2>/dev/null
    or return
    if set -q argv[1]
        # Also print the command, so this can be used to figure out what it is.
        echo $argv[1]
        return 1
    end
    return 0
end

function __fish_postez_using_subcommand
    set -l cmd (__fish_postez_needs_command)
    test -z "$cmd"
    and return 1
    contains -- $cmd[1] $argv
end

complete -c postez -n "__fish_postez_needs_command" -l color -d 'When to use colors' -r -f -a "auto\t'Colors on a terminal, unless NO_COLOR is set'
always\t'Always'
never\t'Never'"
complete -c postez -n "__fish_postez_needs_command" -l log-format -d 'Log line format (stderr and the log file of `run`)' -r -f -a "text\t'Human-readable lines'
json\t'One JSON object per line'"
complete -c postez -n "__fish_postez_needs_command" -l json -d 'Print machine-readable JSON on stdout'
complete -c postez -n "__fish_postez_needs_command" -s v -l verbose -d 'More log output on stderr (-v info, -vv debug); RUST_LOG overrides'
complete -c postez -n "__fish_postez_needs_command" -s q -l quiet -d 'Only errors on stderr'
complete -c postez -n "__fish_postez_needs_command" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c postez -n "__fish_postez_needs_command" -s V -l version -d 'Print version'
complete -c postez -n "__fish_postez_needs_command" -f -a "connect" -d 'Connect a TikTok account or a YouTube channel'
complete -c postez -n "__fish_postez_needs_command" -f -a "accounts" -d 'List connected accounts'
complete -c postez -n "__fish_postez_needs_command" -f -a "disconnect" -d 'Disconnect an account and revoke postez\'s access'
complete -c postez -n "__fish_postez_needs_command" -f -a "schedule" -d 'Queue a video to be published later'
complete -c postez -n "__fish_postez_needs_command" -f -a "list" -d 'Show the queue'
complete -c postez -n "__fish_postez_needs_command" -f -a "show" -d 'Show one post (or each post of a group) and its history'
complete -c postez -n "__fish_postez_needs_command" -f -a "edit" -d 'Change a scheduled or failed post'
complete -c postez -n "__fish_postez_needs_command" -f -a "cancel" -d 'Cancel a scheduled or failed post'
complete -c postez -n "__fish_postez_needs_command" -f -a "retry" -d 'Queue a failed or cancelled post again'
complete -c postez -n "__fish_postez_needs_command" -f -a "import" -d 'Schedule many posts from a CSV or JSON file'
complete -c postez -n "__fish_postez_needs_command" -f -a "run" -d 'Publish the posts that are due'
complete -c postez -n "__fish_postez_needs_command" -f -a "runners" -d 'List the machines that run the shared queue'
complete -c postez -n "__fish_postez_needs_command" -f -a "history" -d 'Show what happened to posts'
complete -c postez -n "__fish_postez_needs_command" -f -a "export" -d 'Export all your data as JSON'
complete -c postez -n "__fish_postez_needs_command" -f -a "purge" -d 'Delete your data and revoke postez\'s access'
complete -c postez -n "__fish_postez_needs_command" -f -a "doctor" -d 'Check the setup and explain each problem with its fix'
complete -c postez -n "__fish_postez_needs_command" -f -a "db" -d 'Manage where the queue lives'
complete -c postez -n "__fish_postez_needs_command" -f -a "cron" -d 'Start `postez run` on time: a systemd user timer, else a crontab line'
complete -c postez -n "__fish_postez_needs_command" -f -a "config" -d 'Read or change settings'
complete -c postez -n "__fish_postez_needs_command" -f -a "generate" -d 'Write shell completions or man pages'
complete -c postez -n "__fish_postez_needs_command" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c postez -n "__fish_postez_using_subcommand connect" -l port -d 'Port for the login redirect on 127.0.0.1 (default: any free port)' -r
complete -c postez -n "__fish_postez_using_subcommand connect" -l timeout -d 'Give up waiting for the login after this long' -r
complete -c postez -n "__fish_postez_using_subcommand connect" -l token-store -d 'Where to keep the tokens: keychain or file (encrypted)' -r -f -a "keychain\t'The system keychain (Secret Service, macOS Keychain, Windows Credential Manager)'
file\t'An encrypted file in postez\'s data folder'"
complete -c postez -n "__fish_postez_using_subcommand connect" -l color -d 'When to use colors' -r -f -a "auto\t'Colors on a terminal, unless NO_COLOR is set'
always\t'Always'
never\t'Never'"
complete -c postez -n "__fish_postez_using_subcommand connect" -l log-format -d 'Log line format (stderr and the log file of `run`)' -r -f -a "text\t'Human-readable lines'
json\t'One JSON object per line'"
complete -c postez -n "__fish_postez_using_subcommand connect" -l no-browser -d 'Print the login URL instead of opening a browser'
complete -c postez -n "__fish_postez_using_subcommand connect" -l drafts-only -d 'Ask only for drafts (user.info.basic, video.upload), for a TikTok app without Direct Post'
complete -c postez -n "__fish_postez_using_subcommand connect" -l manage -d 'YouTube: also ask to manage your videos (the `youtube` scope), so postez can reschedule (`edit --at`) or delete (`cancel`) a post already uploaded ahead'
complete -c postez -n "__fish_postez_using_subcommand connect" -l json -d 'Print machine-readable JSON on stdout'
complete -c postez -n "__fish_postez_using_subcommand connect" -s v -l verbose -d 'More log output on stderr (-v info, -vv debug); RUST_LOG overrides'
complete -c postez -n "__fish_postez_using_subcommand connect" -s q -l quiet -d 'Only errors on stderr'
complete -c postez -n "__fish_postez_using_subcommand connect" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c postez -n "__fish_postez_using_subcommand connect" -s V -l version -d 'Print version'
complete -c postez -n "__fish_postez_using_subcommand accounts" -l color -d 'When to use colors' -r -f -a "auto\t'Colors on a terminal, unless NO_COLOR is set'
always\t'Always'
never\t'Never'"
complete -c postez -n "__fish_postez_using_subcommand accounts" -l log-format -d 'Log line format (stderr and the log file of `run`)' -r -f -a "text\t'Human-readable lines'
json\t'One JSON object per line'"
complete -c postez -n "__fish_postez_using_subcommand accounts" -l check -d 'Check each connected account online, refreshing its login if it is due'
complete -c postez -n "__fish_postez_using_subcommand accounts" -l json -d 'Print machine-readable JSON on stdout'
complete -c postez -n "__fish_postez_using_subcommand accounts" -s v -l verbose -d 'More log output on stderr (-v info, -vv debug); RUST_LOG overrides'
complete -c postez -n "__fish_postez_using_subcommand accounts" -s q -l quiet -d 'Only errors on stderr'
complete -c postez -n "__fish_postez_using_subcommand accounts" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c postez -n "__fish_postez_using_subcommand accounts" -s V -l version -d 'Print version'
complete -c postez -n "__fish_postez_using_subcommand disconnect" -l color -d 'When to use colors' -r -f -a "auto\t'Colors on a terminal, unless NO_COLOR is set'
always\t'Always'
never\t'Never'"
complete -c postez -n "__fish_postez_using_subcommand disconnect" -l log-format -d 'Log line format (stderr and the log file of `run`)' -r -f -a "text\t'Human-readable lines'
json\t'One JSON object per line'"
complete -c postez -n "__fish_postez_using_subcommand disconnect" -l no-revoke -d 'Only delete locally; do not revoke at the platform'
complete -c postez -n "__fish_postez_using_subcommand disconnect" -l json -d 'Print machine-readable JSON on stdout'
complete -c postez -n "__fish_postez_using_subcommand disconnect" -s v -l verbose -d 'More log output on stderr (-v info, -vv debug); RUST_LOG overrides'
complete -c postez -n "__fish_postez_using_subcommand disconnect" -s q -l quiet -d 'Only errors on stderr'
complete -c postez -n "__fish_postez_using_subcommand disconnect" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c postez -n "__fish_postez_using_subcommand disconnect" -s V -l version -d 'Print version'
complete -c postez -n "__fish_postez_using_subcommand schedule" -l at -d 'When to publish: now, "18:00", "tomorrow 9am", "next friday 18:00", "in 2h", "+90m", "2026-12-01 18:00" or RFC 3339' -r
complete -c postez -n "__fish_postez_using_subcommand schedule" -l tz -d 'Time zone for local times (IANA name, e.g. Europe/Berlin)' -r
complete -c postez -n "__fish_postez_using_subcommand schedule" -s c -l caption -d 'Caption (title) shown with the post; at most 2200 UTF-16 units with hashtags' -r
complete -c postez -n "__fish_postez_using_subcommand schedule" -l caption-file -d 'Read the caption from a UTF-8 text file' -r -F
complete -c postez -n "__fish_postez_using_subcommand schedule" -l hashtag -d 'Add a hashtag (repeatable; "food" and "#food" both give #food)' -r
complete -c postez -n "__fish_postez_using_subcommand schedule" -l privacy -d 'Who can see the post (required for direct posts; there is no default). TikTok: PUBLIC_TO_EVERYONE, MUTUAL_FOLLOW_FRIENDS, FOLLOWER_OF_CREATOR, SELF_ONLY (or public, friends, followers, private); YouTube: public, unlisted, private. Cross-posting: `PLATFORM=LEVEL` sets one platform\'s (repeatable, e.g. `--privacy tiktok=SELF_ONLY --privacy youtube=unlisted`); a plain level applies to every target' -r -f -a "PUBLIC_TO_EVERYONE\t''
MUTUAL_FOLLOW_FRIENDS\t''
FOLLOWER_OF_CREATOR\t''
SELF_ONLY\t''
public\t''
friends\t''
followers\t''
private\t''
unlisted\t''"
complete -c postez -n "__fish_postez_using_subcommand schedule" -l cover-at -d 'Use the frame at this time (milliseconds) as the cover' -r
complete -c postez -n "__fish_postez_using_subcommand schedule" -l title -d 'YouTube: the video\'s title, at most 100 characters without < or > (default: the caption\'s first line, shortened on a word boundary)' -r
complete -c postez -n "__fish_postez_using_subcommand schedule" -l made-for-kids -d 'YouTube: whether the video is made for kids (required; YouTube asks every upload)' -r -f -a "yes\t'Yes'
no\t'No'"
complete -c postez -n "__fish_postez_using_subcommand schedule" -l category -d 'YouTube: category id, e.g. 22 (People & Blogs); default: YouTube picks' -r
complete -c postez -n "__fish_postez_using_subcommand schedule" -l tag -d 'YouTube: add a tag (repeatable; no < or >, at most 500 characters in all, counting a comma between tags and quotes around a tag with a space)' -r
complete -c postez -n "__fish_postez_using_subcommand schedule" -l account -d 'Account to publish with: id, name, a platform (its only account, e.g. `youtube`) or `platform:name` (default: the only TikTok account, or `default_account`). Repeat it to cross-post (one post per account, tied as a group); `all` is every connected account that is not paused' -r
complete -c postez -n "__fish_postez_using_subcommand schedule" -l color -d 'When to use colors' -r -f -a "auto\t'Colors on a terminal, unless NO_COLOR is set'
always\t'Always'
never\t'Never'"
complete -c postez -n "__fish_postez_using_subcommand schedule" -l log-format -d 'Log line format (stderr and the log file of `run`)' -r -f -a "text\t'Human-readable lines'
json\t'One JSON object per line'"
complete -c postez -n "__fish_postez_using_subcommand schedule" -l draft -d 'Upload as a draft to your TikTok inbox and finish the post in the app'
complete -c postez -n "__fish_postez_using_subcommand schedule" -l allow-comments -d 'Allow comments'
complete -c postez -n "__fish_postez_using_subcommand schedule" -l allow-duet -d 'Allow duets'
complete -c postez -n "__fish_postez_using_subcommand schedule" -l allow-stitch -d 'Allow stitches'
complete -c postez -n "__fish_postez_using_subcommand schedule" -l brand-organic -d 'Disclose promotional content for your own brand ("Promotional content")'
complete -c postez -n "__fish_postez_using_subcommand schedule" -l branded-content -d 'Disclose a paid partnership ("Paid partnership"; cannot be SELF_ONLY)'
complete -c postez -n "__fish_postez_using_subcommand schedule" -l ai-generated -d 'Label the video as AI-generated'
complete -c postez -n "__fish_postez_using_subcommand schedule" -l no-notify -d 'YouTube: do not notify subscribers of the upload'
complete -c postez -n "__fish_postez_using_subcommand schedule" -l upload-ahead -d 'YouTube: upload at the next run, private, and let YouTube make it public at --at even if this machine is off then (public videos only; the setting `youtube_upload_ahead` makes it the default)'
complete -c postez -n "__fish_postez_using_subcommand schedule" -l no-upload-ahead -d 'YouTube: upload when due, whatever the setting `youtube_upload_ahead` says'
complete -c postez -n "__fish_postez_using_subcommand schedule" -l copy -d 'Keep a private copy of the video, so moving or editing the original does not matter'
complete -c postez -n "__fish_postez_using_subcommand schedule" -l reference -d 'Shared mode: keep only the video\'s path, not its bytes in the shared queue (every runner must see the same file, e.g. on a shared mount)'
complete -c postez -n "__fish_postez_using_subcommand schedule" -s y -l yes -d 'Agree to TikTok\'s Music Usage Confirmation (and Branded Content Policy) without a prompt'
complete -c postez -n "__fish_postez_using_subcommand schedule" -l allow-duplicate -d 'Queue the video even if the account gets it within 24 hours of another post of it'
complete -c postez -n "__fish_postez_using_subcommand schedule" -l json -d 'Print machine-readable JSON on stdout'
complete -c postez -n "__fish_postez_using_subcommand schedule" -s v -l verbose -d 'More log output on stderr (-v info, -vv debug); RUST_LOG overrides'
complete -c postez -n "__fish_postez_using_subcommand schedule" -s q -l quiet -d 'Only errors on stderr'
complete -c postez -n "__fish_postez_using_subcommand schedule" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c postez -n "__fish_postez_using_subcommand schedule" -s V -l version -d 'Print version'
complete -c postez -n "__fish_postez_using_subcommand list" -l state -d 'Only posts in this state (repeatable)' -r
complete -c postez -n "__fish_postez_using_subcommand list" -l account -d 'Only posts of this account (id or name)' -r
complete -c postez -n "__fish_postez_using_subcommand list" -l limit -d 'Show at most this many posts (0 = all)' -r
complete -c postez -n "__fish_postez_using_subcommand list" -l color -d 'When to use colors' -r -f -a "auto\t'Colors on a terminal, unless NO_COLOR is set'
always\t'Always'
never\t'Never'"
complete -c postez -n "__fish_postez_using_subcommand list" -l log-format -d 'Log line format (stderr and the log file of `run`)' -r -f -a "text\t'Human-readable lines'
json\t'One JSON object per line'"
complete -c postez -n "__fish_postez_using_subcommand list" -l all -d 'Include published, sent and cancelled posts'
complete -c postez -n "__fish_postez_using_subcommand list" -l expand -d 'On a terminal, show each group\'s posts under its line'
complete -c postez -n "__fish_postez_using_subcommand list" -l json -d 'Print machine-readable JSON on stdout'
complete -c postez -n "__fish_postez_using_subcommand list" -s v -l verbose -d 'More log output on stderr (-v info, -vv debug); RUST_LOG overrides'
complete -c postez -n "__fish_postez_using_subcommand list" -s q -l quiet -d 'Only errors on stderr'
complete -c postez -n "__fish_postez_using_subcommand list" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c postez -n "__fish_postez_using_subcommand list" -s V -l version -d 'Print version'
complete -c postez -n "__fish_postez_using_subcommand show" -l color -d 'When to use colors' -r -f -a "auto\t'Colors on a terminal, unless NO_COLOR is set'
always\t'Always'
never\t'Never'"
complete -c postez -n "__fish_postez_using_subcommand show" -l log-format -d 'Log line format (stderr and the log file of `run`)' -r -f -a "text\t'Human-readable lines'
json\t'One JSON object per line'"
complete -c postez -n "__fish_postez_using_subcommand show" -l json -d 'Print machine-readable JSON on stdout'
complete -c postez -n "__fish_postez_using_subcommand show" -s v -l verbose -d 'More log output on stderr (-v info, -vv debug); RUST_LOG overrides'
complete -c postez -n "__fish_postez_using_subcommand show" -s q -l quiet -d 'Only errors on stderr'
complete -c postez -n "__fish_postez_using_subcommand show" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c postez -n "__fish_postez_using_subcommand show" -s V -l version -d 'Print version'
complete -c postez -n "__fish_postez_using_subcommand edit" -l at -d 'New time (same forms as `schedule --at`)' -r
complete -c postez -n "__fish_postez_using_subcommand edit" -l tz -d 'Time zone for a local --at (IANA name)' -r
complete -c postez -n "__fish_postez_using_subcommand edit" -l file -d 'Replace the video' -r -F
complete -c postez -n "__fish_postez_using_subcommand edit" -s c -l caption -d 'Caption (title) shown with the post; at most 2200 UTF-16 units with hashtags' -r
complete -c postez -n "__fish_postez_using_subcommand edit" -l caption-file -d 'Read the caption from a UTF-8 text file' -r -F
complete -c postez -n "__fish_postez_using_subcommand edit" -l hashtag -d 'Add a hashtag (repeatable; "food" and "#food" both give #food)' -r
complete -c postez -n "__fish_postez_using_subcommand edit" -l privacy -d 'Who can see the post. TikTok: PUBLIC_TO_EVERYONE, MUTUAL_FOLLOW_FRIENDS, FOLLOWER_OF_CREATOR, SELF_ONLY (or public, friends, followers, private); YouTube: public, unlisted, private' -r -f -a "PUBLIC_TO_EVERYONE\t''
MUTUAL_FOLLOW_FRIENDS\t''
FOLLOWER_OF_CREATOR\t''
SELF_ONLY\t''
public\t''
friends\t''
followers\t''
private\t''
unlisted\t''"
complete -c postez -n "__fish_postez_using_subcommand edit" -l cover-at -d 'Cover frame time in milliseconds' -r
complete -c postez -n "__fish_postez_using_subcommand edit" -l account -d 'Move the post to another account (id or name)' -r
complete -c postez -n "__fish_postez_using_subcommand edit" -l title -d 'YouTube: new title (at most 100 characters, no < or >)' -r
complete -c postez -n "__fish_postez_using_subcommand edit" -l made-for-kids -d 'YouTube: whether the video is made for kids' -r -f -a "yes\t'Yes'
no\t'No'"
complete -c postez -n "__fish_postez_using_subcommand edit" -l category -d 'YouTube: category id, e.g. 22 (People & Blogs)' -r
complete -c postez -n "__fish_postez_using_subcommand edit" -l tag -d 'YouTube: the tags, replacing the post\'s (repeatable; same limits as `schedule --tag`)' -r
complete -c postez -n "__fish_postez_using_subcommand edit" -l color -d 'When to use colors' -r -f -a "auto\t'Colors on a terminal, unless NO_COLOR is set'
always\t'Always'
never\t'Never'"
complete -c postez -n "__fish_postez_using_subcommand edit" -l log-format -d 'Log line format (stderr and the log file of `run`)' -r -f -a "text\t'Human-readable lines'
json\t'One JSON object per line'"
complete -c postez -n "__fish_postez_using_subcommand edit" -l draft -d 'Make it a draft (sent to your TikTok inbox); clears the direct-post options'
complete -c postez -n "__fish_postez_using_subcommand edit" -l direct -d 'Make it a direct post (needs --privacy)'
complete -c postez -n "__fish_postez_using_subcommand edit" -l allow-comments -d 'Allow or forbid comments'
complete -c postez -n "__fish_postez_using_subcommand edit" -l no-allow-comments
complete -c postez -n "__fish_postez_using_subcommand edit" -l allow-duet -d 'Allow or forbid duets'
complete -c postez -n "__fish_postez_using_subcommand edit" -l no-allow-duet
complete -c postez -n "__fish_postez_using_subcommand edit" -l allow-stitch -d 'Allow or forbid stitches'
complete -c postez -n "__fish_postez_using_subcommand edit" -l no-allow-stitch
complete -c postez -n "__fish_postez_using_subcommand edit" -l brand-organic -d 'Promotional content for your own brand (on/off with --no-brand-organic)'
complete -c postez -n "__fish_postez_using_subcommand edit" -l no-brand-organic
complete -c postez -n "__fish_postez_using_subcommand edit" -l branded-content -d 'Paid partnership (on/off with --no-branded-content)'
complete -c postez -n "__fish_postez_using_subcommand edit" -l no-branded-content
complete -c postez -n "__fish_postez_using_subcommand edit" -l ai-generated -d 'AI-generated label (on/off with --no-ai-generated)'
complete -c postez -n "__fish_postez_using_subcommand edit" -l no-ai-generated
complete -c postez -n "__fish_postez_using_subcommand edit" -l notify -d 'YouTube: notify subscribers of the upload (on/off with --no-notify)'
complete -c postez -n "__fish_postez_using_subcommand edit" -l no-notify
complete -c postez -n "__fish_postez_using_subcommand edit" -l no-tags -d 'YouTube: remove every tag'
complete -c postez -n "__fish_postez_using_subcommand edit" -l upload-ahead -d 'YouTube: upload it at the next run, private, and let YouTube make it public at its time (public videos only; see `schedule --upload-ahead`)'
complete -c postez -n "__fish_postez_using_subcommand edit" -l no-upload-ahead -d 'YouTube: upload it when due instead of ahead'
complete -c postez -n "__fish_postez_using_subcommand edit" -s y -l yes -d 'Agree to TikTok\'s Music Usage Confirmation without a prompt'
complete -c postez -n "__fish_postez_using_subcommand edit" -l json -d 'Print machine-readable JSON on stdout'
complete -c postez -n "__fish_postez_using_subcommand edit" -s v -l verbose -d 'More log output on stderr (-v info, -vv debug); RUST_LOG overrides'
complete -c postez -n "__fish_postez_using_subcommand edit" -s q -l quiet -d 'Only errors on stderr'
complete -c postez -n "__fish_postez_using_subcommand edit" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c postez -n "__fish_postez_using_subcommand edit" -s V -l version -d 'Print version'
complete -c postez -n "__fish_postez_using_subcommand cancel" -l color -d 'When to use colors' -r -f -a "auto\t'Colors on a terminal, unless NO_COLOR is set'
always\t'Always'
never\t'Never'"
complete -c postez -n "__fish_postez_using_subcommand cancel" -l log-format -d 'Log line format (stderr and the log file of `run`)' -r -f -a "text\t'Human-readable lines'
json\t'One JSON object per line'"
complete -c postez -n "__fish_postez_using_subcommand cancel" -l json -d 'Print machine-readable JSON on stdout'
complete -c postez -n "__fish_postez_using_subcommand cancel" -s v -l verbose -d 'More log output on stderr (-v info, -vv debug); RUST_LOG overrides'
complete -c postez -n "__fish_postez_using_subcommand cancel" -s q -l quiet -d 'Only errors on stderr'
complete -c postez -n "__fish_postez_using_subcommand cancel" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c postez -n "__fish_postez_using_subcommand cancel" -s V -l version -d 'Print version'
complete -c postez -n "__fish_postez_using_subcommand retry" -l at -d 'New time (same forms as `schedule --at`)' -r
complete -c postez -n "__fish_postez_using_subcommand retry" -l tz -d 'Time zone for a local --at (IANA name)' -r
complete -c postez -n "__fish_postez_using_subcommand retry" -l color -d 'When to use colors' -r -f -a "auto\t'Colors on a terminal, unless NO_COLOR is set'
always\t'Always'
never\t'Never'"
complete -c postez -n "__fish_postez_using_subcommand retry" -l log-format -d 'Log line format (stderr and the log file of `run`)' -r -f -a "text\t'Human-readable lines'
json\t'One JSON object per line'"
complete -c postez -n "__fish_postez_using_subcommand retry" -l json -d 'Print machine-readable JSON on stdout'
complete -c postez -n "__fish_postez_using_subcommand retry" -s v -l verbose -d 'More log output on stderr (-v info, -vv debug); RUST_LOG overrides'
complete -c postez -n "__fish_postez_using_subcommand retry" -s q -l quiet -d 'Only errors on stderr'
complete -c postez -n "__fish_postez_using_subcommand retry" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c postez -n "__fish_postez_using_subcommand retry" -s V -l version -d 'Print version'
complete -c postez -n "__fish_postez_using_subcommand import" -l color -d 'When to use colors' -r -f -a "auto\t'Colors on a terminal, unless NO_COLOR is set'
always\t'Always'
never\t'Never'"
complete -c postez -n "__fish_postez_using_subcommand import" -l log-format -d 'Log line format (stderr and the log file of `run`)' -r -f -a "text\t'Human-readable lines'
json\t'One JSON object per line'"
complete -c postez -n "__fish_postez_using_subcommand import" -s y -l yes -d 'Agree to TikTok\'s Music Usage Confirmation for every direct post without a prompt'
complete -c postez -n "__fish_postez_using_subcommand import" -l allow-outside -d 'Accept rows whose video is outside the import file\'s folder (`../x.mp4`, absolute paths)'
complete -c postez -n "__fish_postez_using_subcommand import" -l allow-duplicate -d 'Import rows whose video the account gets within 24 hours of another post of it'
complete -c postez -n "__fish_postez_using_subcommand import" -l reference -d 'Shared mode: keep only the videos\' paths, not their bytes in the shared queue (every runner must see the same files)'
complete -c postez -n "__fish_postez_using_subcommand import" -l json -d 'Print machine-readable JSON on stdout'
complete -c postez -n "__fish_postez_using_subcommand import" -s v -l verbose -d 'More log output on stderr (-v info, -vv debug); RUST_LOG overrides'
complete -c postez -n "__fish_postez_using_subcommand import" -s q -l quiet -d 'Only errors on stderr'
complete -c postez -n "__fish_postez_using_subcommand import" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c postez -n "__fish_postez_using_subcommand import" -s V -l version -d 'Print version'
complete -c postez -n "__fish_postez_using_subcommand run" -l jobs -d 'Accounts of one platform to publish in parallel (platforms go side by side)' -r
complete -c postez -n "__fish_postez_using_subcommand run" -l interval -d 'With --watch: pause between passes' -r
complete -c postez -n "__fish_postez_using_subcommand run" -l poll-for -d 'Keep checking a processed upload for this long before leaving it to the next run' -r
complete -c postez -n "__fish_postez_using_subcommand run" -l color -d 'When to use colors' -r -f -a "auto\t'Colors on a terminal, unless NO_COLOR is set'
always\t'Always'
never\t'Never'"
complete -c postez -n "__fish_postez_using_subcommand run" -l log-format -d 'Log line format (stderr and the log file of `run`)' -r -f -a "text\t'Human-readable lines'
json\t'One JSON object per line'"
complete -c postez -n "__fish_postez_using_subcommand run" -l wait -d 'Wait for a running `postez run` to finish instead of exiting'
complete -c postez -n "__fish_postez_using_subcommand run" -l dry-run -d 'Check each due post (login, account, video, privacy) without uploading or changing anything'
complete -c postez -n "__fish_postez_using_subcommand run" -l watch -d 'Keep running and publish posts as they come due'
complete -c postez -n "__fish_postez_using_subcommand run" -l json -d 'Print machine-readable JSON on stdout'
complete -c postez -n "__fish_postez_using_subcommand run" -s v -l verbose -d 'More log output on stderr (-v info, -vv debug); RUST_LOG overrides'
complete -c postez -n "__fish_postez_using_subcommand run" -s q -l quiet -d 'Only errors on stderr'
complete -c postez -n "__fish_postez_using_subcommand run" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c postez -n "__fish_postez_using_subcommand run" -s V -l version -d 'Print version'
complete -c postez -n "__fish_postez_using_subcommand runners" -l days -d 'How far back to look, in days' -r
complete -c postez -n "__fish_postez_using_subcommand runners" -l color -d 'When to use colors' -r -f -a "auto\t'Colors on a terminal, unless NO_COLOR is set'
always\t'Always'
never\t'Never'"
complete -c postez -n "__fish_postez_using_subcommand runners" -l log-format -d 'Log line format (stderr and the log file of `run`)' -r -f -a "text\t'Human-readable lines'
json\t'One JSON object per line'"
complete -c postez -n "__fish_postez_using_subcommand runners" -l json -d 'Print machine-readable JSON on stdout'
complete -c postez -n "__fish_postez_using_subcommand runners" -s v -l verbose -d 'More log output on stderr (-v info, -vv debug); RUST_LOG overrides'
complete -c postez -n "__fish_postez_using_subcommand runners" -s q -l quiet -d 'Only errors on stderr'
complete -c postez -n "__fish_postez_using_subcommand runners" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c postez -n "__fish_postez_using_subcommand runners" -s V -l version -d 'Print version'
complete -c postez -n "__fish_postez_using_subcommand history" -l limit -d 'Without an id: how many recent events' -r
complete -c postez -n "__fish_postez_using_subcommand history" -l color -d 'When to use colors' -r -f -a "auto\t'Colors on a terminal, unless NO_COLOR is set'
always\t'Always'
never\t'Never'"
complete -c postez -n "__fish_postez_using_subcommand history" -l log-format -d 'Log line format (stderr and the log file of `run`)' -r -f -a "text\t'Human-readable lines'
json\t'One JSON object per line'"
complete -c postez -n "__fish_postez_using_subcommand history" -l json -d 'Print machine-readable JSON on stdout'
complete -c postez -n "__fish_postez_using_subcommand history" -s v -l verbose -d 'More log output on stderr (-v info, -vv debug); RUST_LOG overrides'
complete -c postez -n "__fish_postez_using_subcommand history" -s q -l quiet -d 'Only errors on stderr'
complete -c postez -n "__fish_postez_using_subcommand history" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c postez -n "__fish_postez_using_subcommand history" -s V -l version -d 'Print version'
complete -c postez -n "__fish_postez_using_subcommand export" -s o -l output -d 'Write to this file instead of stdout' -r -F
complete -c postez -n "__fish_postez_using_subcommand export" -l media -d 'Also copy the posts\' video files into this folder (as `<id>-<name>`)' -r -F
complete -c postez -n "__fish_postez_using_subcommand export" -l color -d 'When to use colors' -r -f -a "auto\t'Colors on a terminal, unless NO_COLOR is set'
always\t'Always'
never\t'Never'"
complete -c postez -n "__fish_postez_using_subcommand export" -l log-format -d 'Log line format (stderr and the log file of `run`)' -r -f -a "text\t'Human-readable lines'
json\t'One JSON object per line'"
complete -c postez -n "__fish_postez_using_subcommand export" -l json -d 'Print machine-readable JSON on stdout'
complete -c postez -n "__fish_postez_using_subcommand export" -s v -l verbose -d 'More log output on stderr (-v info, -vv debug); RUST_LOG overrides'
complete -c postez -n "__fish_postez_using_subcommand export" -s q -l quiet -d 'Only errors on stderr'
complete -c postez -n "__fish_postez_using_subcommand export" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c postez -n "__fish_postez_using_subcommand export" -s V -l version -d 'Print version'
complete -c postez -n "__fish_postez_using_subcommand purge" -l account -d 'Only this account (id or name)' -r
complete -c postez -n "__fish_postez_using_subcommand purge" -l color -d 'When to use colors' -r -f -a "auto\t'Colors on a terminal, unless NO_COLOR is set'
always\t'Always'
never\t'Never'"
complete -c postez -n "__fish_postez_using_subcommand purge" -l log-format -d 'Log line format (stderr and the log file of `run`)' -r -f -a "text\t'Human-readable lines'
json\t'One JSON object per line'"
complete -c postez -n "__fish_postez_using_subcommand purge" -s y -l yes -d 'Do not ask for confirmation'
complete -c postez -n "__fish_postez_using_subcommand purge" -l no-revoke -d 'Only delete locally; do not revoke at TikTok'
complete -c postez -n "__fish_postez_using_subcommand purge" -l json -d 'Print machine-readable JSON on stdout'
complete -c postez -n "__fish_postez_using_subcommand purge" -s v -l verbose -d 'More log output on stderr (-v info, -vv debug); RUST_LOG overrides'
complete -c postez -n "__fish_postez_using_subcommand purge" -s q -l quiet -d 'Only errors on stderr'
complete -c postez -n "__fish_postez_using_subcommand purge" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c postez -n "__fish_postez_using_subcommand purge" -s V -l version -d 'Print version'
complete -c postez -n "__fish_postez_using_subcommand doctor" -l color -d 'When to use colors' -r -f -a "auto\t'Colors on a terminal, unless NO_COLOR is set'
always\t'Always'
never\t'Never'"
complete -c postez -n "__fish_postez_using_subcommand doctor" -l log-format -d 'Log line format (stderr and the log file of `run`)' -r -f -a "text\t'Human-readable lines'
json\t'One JSON object per line'"
complete -c postez -n "__fish_postez_using_subcommand doctor" -l json -d 'Print machine-readable JSON on stdout'
complete -c postez -n "__fish_postez_using_subcommand doctor" -s v -l verbose -d 'More log output on stderr (-v info, -vv debug); RUST_LOG overrides'
complete -c postez -n "__fish_postez_using_subcommand doctor" -s q -l quiet -d 'Only errors on stderr'
complete -c postez -n "__fish_postez_using_subcommand doctor" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c postez -n "__fish_postez_using_subcommand doctor" -s V -l version -d 'Print version'
complete -c postez -n "__fish_postez_using_subcommand db; and not __fish_seen_subcommand_from copy help" -l color -d 'When to use colors' -r -f -a "auto\t'Colors on a terminal, unless NO_COLOR is set'
always\t'Always'
never\t'Never'"
complete -c postez -n "__fish_postez_using_subcommand db; and not __fish_seen_subcommand_from copy help" -l log-format -d 'Log line format (stderr and the log file of `run`)' -r -f -a "text\t'Human-readable lines'
json\t'One JSON object per line'"
complete -c postez -n "__fish_postez_using_subcommand db; and not __fish_seen_subcommand_from copy help" -l json -d 'Print machine-readable JSON on stdout'
complete -c postez -n "__fish_postez_using_subcommand db; and not __fish_seen_subcommand_from copy help" -s v -l verbose -d 'More log output on stderr (-v info, -vv debug); RUST_LOG overrides'
complete -c postez -n "__fish_postez_using_subcommand db; and not __fish_seen_subcommand_from copy help" -s q -l quiet -d 'Only errors on stderr'
complete -c postez -n "__fish_postez_using_subcommand db; and not __fish_seen_subcommand_from copy help" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c postez -n "__fish_postez_using_subcommand db; and not __fish_seen_subcommand_from copy help" -s V -l version -d 'Print version'
complete -c postez -n "__fish_postez_using_subcommand db; and not __fish_seen_subcommand_from copy help" -f -a "copy" -d 'Copy this machine\'s queue into an empty shared queue (PostgreSQL)'
complete -c postez -n "__fish_postez_using_subcommand db; and not __fish_seen_subcommand_from copy help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c postez -n "__fish_postez_using_subcommand db; and __fish_seen_subcommand_from copy" -l to -d 'The shared queue to copy into (an empty database)' -r
complete -c postez -n "__fish_postez_using_subcommand db; and __fish_seen_subcommand_from copy" -l color -d 'When to use colors' -r -f -a "auto\t'Colors on a terminal, unless NO_COLOR is set'
always\t'Always'
never\t'Never'"
complete -c postez -n "__fish_postez_using_subcommand db; and __fish_seen_subcommand_from copy" -l log-format -d 'Log line format (stderr and the log file of `run`)' -r -f -a "text\t'Human-readable lines'
json\t'One JSON object per line'"
complete -c postez -n "__fish_postez_using_subcommand db; and __fish_seen_subcommand_from copy" -l json -d 'Print machine-readable JSON on stdout'
complete -c postez -n "__fish_postez_using_subcommand db; and __fish_seen_subcommand_from copy" -s v -l verbose -d 'More log output on stderr (-v info, -vv debug); RUST_LOG overrides'
complete -c postez -n "__fish_postez_using_subcommand db; and __fish_seen_subcommand_from copy" -s q -l quiet -d 'Only errors on stderr'
complete -c postez -n "__fish_postez_using_subcommand db; and __fish_seen_subcommand_from copy" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c postez -n "__fish_postez_using_subcommand db; and __fish_seen_subcommand_from copy" -s V -l version -d 'Print version'
complete -c postez -n "__fish_postez_using_subcommand db; and __fish_seen_subcommand_from help" -f -a "copy" -d 'Copy this machine\'s queue into an empty shared queue (PostgreSQL)'
complete -c postez -n "__fish_postez_using_subcommand db; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c postez -n "__fish_postez_using_subcommand cron; and not __fish_seen_subcommand_from install remove show help" -l color -d 'When to use colors' -r -f -a "auto\t'Colors on a terminal, unless NO_COLOR is set'
always\t'Always'
never\t'Never'"
complete -c postez -n "__fish_postez_using_subcommand cron; and not __fish_seen_subcommand_from install remove show help" -l log-format -d 'Log line format (stderr and the log file of `run`)' -r -f -a "text\t'Human-readable lines'
json\t'One JSON object per line'"
complete -c postez -n "__fish_postez_using_subcommand cron; and not __fish_seen_subcommand_from install remove show help" -l json -d 'Print machine-readable JSON on stdout'
complete -c postez -n "__fish_postez_using_subcommand cron; and not __fish_seen_subcommand_from install remove show help" -s v -l verbose -d 'More log output on stderr (-v info, -vv debug); RUST_LOG overrides'
complete -c postez -n "__fish_postez_using_subcommand cron; and not __fish_seen_subcommand_from install remove show help" -s q -l quiet -d 'Only errors on stderr'
complete -c postez -n "__fish_postez_using_subcommand cron; and not __fish_seen_subcommand_from install remove show help" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c postez -n "__fish_postez_using_subcommand cron; and not __fish_seen_subcommand_from install remove show help" -s V -l version -d 'Print version'
complete -c postez -n "__fish_postez_using_subcommand cron; and not __fish_seen_subcommand_from install remove show help" -f -a "install" -d 'Install the runner, replacing any earlier one'
complete -c postez -n "__fish_postez_using_subcommand cron; and not __fish_seen_subcommand_from install remove show help" -f -a "remove" -d 'Remove the runner: the systemd timer and the crontab line, whichever exist'
complete -c postez -n "__fish_postez_using_subcommand cron; and not __fish_seen_subcommand_from install remove show help" -f -a "show" -d 'Show which runner is installed, its schedule, and the last run'
complete -c postez -n "__fish_postez_using_subcommand cron; and not __fish_seen_subcommand_from install remove show help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c postez -n "__fish_postez_using_subcommand cron; and __fish_seen_subcommand_from install" -l every -d 'Minutes between runs (1-60)' -r
complete -c postez -n "__fish_postez_using_subcommand cron; and __fish_seen_subcommand_from install" -l color -d 'When to use colors' -r -f -a "auto\t'Colors on a terminal, unless NO_COLOR is set'
always\t'Always'
never\t'Never'"
complete -c postez -n "__fish_postez_using_subcommand cron; and __fish_seen_subcommand_from install" -l log-format -d 'Log line format (stderr and the log file of `run`)' -r -f -a "text\t'Human-readable lines'
json\t'One JSON object per line'"
complete -c postez -n "__fish_postez_using_subcommand cron; and __fish_seen_subcommand_from install" -l crontab -d 'Use a crontab line even where a systemd user timer would work'
complete -c postez -n "__fish_postez_using_subcommand cron; and __fish_seen_subcommand_from install" -l json -d 'Print machine-readable JSON on stdout'
complete -c postez -n "__fish_postez_using_subcommand cron; and __fish_seen_subcommand_from install" -s v -l verbose -d 'More log output on stderr (-v info, -vv debug); RUST_LOG overrides'
complete -c postez -n "__fish_postez_using_subcommand cron; and __fish_seen_subcommand_from install" -s q -l quiet -d 'Only errors on stderr'
complete -c postez -n "__fish_postez_using_subcommand cron; and __fish_seen_subcommand_from install" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c postez -n "__fish_postez_using_subcommand cron; and __fish_seen_subcommand_from install" -s V -l version -d 'Print version'
complete -c postez -n "__fish_postez_using_subcommand cron; and __fish_seen_subcommand_from remove" -l color -d 'When to use colors' -r -f -a "auto\t'Colors on a terminal, unless NO_COLOR is set'
always\t'Always'
never\t'Never'"
complete -c postez -n "__fish_postez_using_subcommand cron; and __fish_seen_subcommand_from remove" -l log-format -d 'Log line format (stderr and the log file of `run`)' -r -f -a "text\t'Human-readable lines'
json\t'One JSON object per line'"
complete -c postez -n "__fish_postez_using_subcommand cron; and __fish_seen_subcommand_from remove" -l json -d 'Print machine-readable JSON on stdout'
complete -c postez -n "__fish_postez_using_subcommand cron; and __fish_seen_subcommand_from remove" -s v -l verbose -d 'More log output on stderr (-v info, -vv debug); RUST_LOG overrides'
complete -c postez -n "__fish_postez_using_subcommand cron; and __fish_seen_subcommand_from remove" -s q -l quiet -d 'Only errors on stderr'
complete -c postez -n "__fish_postez_using_subcommand cron; and __fish_seen_subcommand_from remove" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c postez -n "__fish_postez_using_subcommand cron; and __fish_seen_subcommand_from remove" -s V -l version -d 'Print version'
complete -c postez -n "__fish_postez_using_subcommand cron; and __fish_seen_subcommand_from show" -l color -d 'When to use colors' -r -f -a "auto\t'Colors on a terminal, unless NO_COLOR is set'
always\t'Always'
never\t'Never'"
complete -c postez -n "__fish_postez_using_subcommand cron; and __fish_seen_subcommand_from show" -l log-format -d 'Log line format (stderr and the log file of `run`)' -r -f -a "text\t'Human-readable lines'
json\t'One JSON object per line'"
complete -c postez -n "__fish_postez_using_subcommand cron; and __fish_seen_subcommand_from show" -l json -d 'Print machine-readable JSON on stdout'
complete -c postez -n "__fish_postez_using_subcommand cron; and __fish_seen_subcommand_from show" -s v -l verbose -d 'More log output on stderr (-v info, -vv debug); RUST_LOG overrides'
complete -c postez -n "__fish_postez_using_subcommand cron; and __fish_seen_subcommand_from show" -s q -l quiet -d 'Only errors on stderr'
complete -c postez -n "__fish_postez_using_subcommand cron; and __fish_seen_subcommand_from show" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c postez -n "__fish_postez_using_subcommand cron; and __fish_seen_subcommand_from show" -s V -l version -d 'Print version'
complete -c postez -n "__fish_postez_using_subcommand cron; and __fish_seen_subcommand_from help" -f -a "install" -d 'Install the runner, replacing any earlier one'
complete -c postez -n "__fish_postez_using_subcommand cron; and __fish_seen_subcommand_from help" -f -a "remove" -d 'Remove the runner: the systemd timer and the crontab line, whichever exist'
complete -c postez -n "__fish_postez_using_subcommand cron; and __fish_seen_subcommand_from help" -f -a "show" -d 'Show which runner is installed, its schedule, and the last run'
complete -c postez -n "__fish_postez_using_subcommand cron; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c postez -n "__fish_postez_using_subcommand config; and not __fish_seen_subcommand_from get set list path help" -l color -d 'When to use colors' -r -f -a "auto\t'Colors on a terminal, unless NO_COLOR is set'
always\t'Always'
never\t'Never'"
complete -c postez -n "__fish_postez_using_subcommand config; and not __fish_seen_subcommand_from get set list path help" -l log-format -d 'Log line format (stderr and the log file of `run`)' -r -f -a "text\t'Human-readable lines'
json\t'One JSON object per line'"
complete -c postez -n "__fish_postez_using_subcommand config; and not __fish_seen_subcommand_from get set list path help" -l json -d 'Print machine-readable JSON on stdout'
complete -c postez -n "__fish_postez_using_subcommand config; and not __fish_seen_subcommand_from get set list path help" -s v -l verbose -d 'More log output on stderr (-v info, -vv debug); RUST_LOG overrides'
complete -c postez -n "__fish_postez_using_subcommand config; and not __fish_seen_subcommand_from get set list path help" -s q -l quiet -d 'Only errors on stderr'
complete -c postez -n "__fish_postez_using_subcommand config; and not __fish_seen_subcommand_from get set list path help" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c postez -n "__fish_postez_using_subcommand config; and not __fish_seen_subcommand_from get set list path help" -s V -l version -d 'Print version'
complete -c postez -n "__fish_postez_using_subcommand config; and not __fish_seen_subcommand_from get set list path help" -f -a "get" -d 'Print one setting (nothing if unset)'
complete -c postez -n "__fish_postez_using_subcommand config; and not __fish_seen_subcommand_from get set list path help" -f -a "set" -d 'Change one setting (an empty value unsets it)'
complete -c postez -n "__fish_postez_using_subcommand config; and not __fish_seen_subcommand_from get set list path help" -f -a "list" -d 'Print every setting with its value and meaning'
complete -c postez -n "__fish_postez_using_subcommand config; and not __fish_seen_subcommand_from get set list path help" -f -a "path" -d 'Print the settings file\'s path'
complete -c postez -n "__fish_postez_using_subcommand config; and not __fish_seen_subcommand_from get set list path help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c postez -n "__fish_postez_using_subcommand config; and __fish_seen_subcommand_from get" -l color -d 'When to use colors' -r -f -a "auto\t'Colors on a terminal, unless NO_COLOR is set'
always\t'Always'
never\t'Never'"
complete -c postez -n "__fish_postez_using_subcommand config; and __fish_seen_subcommand_from get" -l log-format -d 'Log line format (stderr and the log file of `run`)' -r -f -a "text\t'Human-readable lines'
json\t'One JSON object per line'"
complete -c postez -n "__fish_postez_using_subcommand config; and __fish_seen_subcommand_from get" -l json -d 'Print machine-readable JSON on stdout'
complete -c postez -n "__fish_postez_using_subcommand config; and __fish_seen_subcommand_from get" -s v -l verbose -d 'More log output on stderr (-v info, -vv debug); RUST_LOG overrides'
complete -c postez -n "__fish_postez_using_subcommand config; and __fish_seen_subcommand_from get" -s q -l quiet -d 'Only errors on stderr'
complete -c postez -n "__fish_postez_using_subcommand config; and __fish_seen_subcommand_from get" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c postez -n "__fish_postez_using_subcommand config; and __fish_seen_subcommand_from get" -s V -l version -d 'Print version'
complete -c postez -n "__fish_postez_using_subcommand config; and __fish_seen_subcommand_from set" -l color -d 'When to use colors' -r -f -a "auto\t'Colors on a terminal, unless NO_COLOR is set'
always\t'Always'
never\t'Never'"
complete -c postez -n "__fish_postez_using_subcommand config; and __fish_seen_subcommand_from set" -l log-format -d 'Log line format (stderr and the log file of `run`)' -r -f -a "text\t'Human-readable lines'
json\t'One JSON object per line'"
complete -c postez -n "__fish_postez_using_subcommand config; and __fish_seen_subcommand_from set" -l json -d 'Print machine-readable JSON on stdout'
complete -c postez -n "__fish_postez_using_subcommand config; and __fish_seen_subcommand_from set" -s v -l verbose -d 'More log output on stderr (-v info, -vv debug); RUST_LOG overrides'
complete -c postez -n "__fish_postez_using_subcommand config; and __fish_seen_subcommand_from set" -s q -l quiet -d 'Only errors on stderr'
complete -c postez -n "__fish_postez_using_subcommand config; and __fish_seen_subcommand_from set" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c postez -n "__fish_postez_using_subcommand config; and __fish_seen_subcommand_from set" -s V -l version -d 'Print version'
complete -c postez -n "__fish_postez_using_subcommand config; and __fish_seen_subcommand_from list" -l color -d 'When to use colors' -r -f -a "auto\t'Colors on a terminal, unless NO_COLOR is set'
always\t'Always'
never\t'Never'"
complete -c postez -n "__fish_postez_using_subcommand config; and __fish_seen_subcommand_from list" -l log-format -d 'Log line format (stderr and the log file of `run`)' -r -f -a "text\t'Human-readable lines'
json\t'One JSON object per line'"
complete -c postez -n "__fish_postez_using_subcommand config; and __fish_seen_subcommand_from list" -l json -d 'Print machine-readable JSON on stdout'
complete -c postez -n "__fish_postez_using_subcommand config; and __fish_seen_subcommand_from list" -s v -l verbose -d 'More log output on stderr (-v info, -vv debug); RUST_LOG overrides'
complete -c postez -n "__fish_postez_using_subcommand config; and __fish_seen_subcommand_from list" -s q -l quiet -d 'Only errors on stderr'
complete -c postez -n "__fish_postez_using_subcommand config; and __fish_seen_subcommand_from list" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c postez -n "__fish_postez_using_subcommand config; and __fish_seen_subcommand_from list" -s V -l version -d 'Print version'
complete -c postez -n "__fish_postez_using_subcommand config; and __fish_seen_subcommand_from path" -l color -d 'When to use colors' -r -f -a "auto\t'Colors on a terminal, unless NO_COLOR is set'
always\t'Always'
never\t'Never'"
complete -c postez -n "__fish_postez_using_subcommand config; and __fish_seen_subcommand_from path" -l log-format -d 'Log line format (stderr and the log file of `run`)' -r -f -a "text\t'Human-readable lines'
json\t'One JSON object per line'"
complete -c postez -n "__fish_postez_using_subcommand config; and __fish_seen_subcommand_from path" -l json -d 'Print machine-readable JSON on stdout'
complete -c postez -n "__fish_postez_using_subcommand config; and __fish_seen_subcommand_from path" -s v -l verbose -d 'More log output on stderr (-v info, -vv debug); RUST_LOG overrides'
complete -c postez -n "__fish_postez_using_subcommand config; and __fish_seen_subcommand_from path" -s q -l quiet -d 'Only errors on stderr'
complete -c postez -n "__fish_postez_using_subcommand config; and __fish_seen_subcommand_from path" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c postez -n "__fish_postez_using_subcommand config; and __fish_seen_subcommand_from path" -s V -l version -d 'Print version'
complete -c postez -n "__fish_postez_using_subcommand config; and __fish_seen_subcommand_from help" -f -a "get" -d 'Print one setting (nothing if unset)'
complete -c postez -n "__fish_postez_using_subcommand config; and __fish_seen_subcommand_from help" -f -a "set" -d 'Change one setting (an empty value unsets it)'
complete -c postez -n "__fish_postez_using_subcommand config; and __fish_seen_subcommand_from help" -f -a "list" -d 'Print every setting with its value and meaning'
complete -c postez -n "__fish_postez_using_subcommand config; and __fish_seen_subcommand_from help" -f -a "path" -d 'Print the settings file\'s path'
complete -c postez -n "__fish_postez_using_subcommand config; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c postez -n "__fish_postez_using_subcommand generate; and not __fish_seen_subcommand_from completions man help" -l color -d 'When to use colors' -r -f -a "auto\t'Colors on a terminal, unless NO_COLOR is set'
always\t'Always'
never\t'Never'"
complete -c postez -n "__fish_postez_using_subcommand generate; and not __fish_seen_subcommand_from completions man help" -l log-format -d 'Log line format (stderr and the log file of `run`)' -r -f -a "text\t'Human-readable lines'
json\t'One JSON object per line'"
complete -c postez -n "__fish_postez_using_subcommand generate; and not __fish_seen_subcommand_from completions man help" -l json -d 'Print machine-readable JSON on stdout'
complete -c postez -n "__fish_postez_using_subcommand generate; and not __fish_seen_subcommand_from completions man help" -s v -l verbose -d 'More log output on stderr (-v info, -vv debug); RUST_LOG overrides'
complete -c postez -n "__fish_postez_using_subcommand generate; and not __fish_seen_subcommand_from completions man help" -s q -l quiet -d 'Only errors on stderr'
complete -c postez -n "__fish_postez_using_subcommand generate; and not __fish_seen_subcommand_from completions man help" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c postez -n "__fish_postez_using_subcommand generate; and not __fish_seen_subcommand_from completions man help" -s V -l version -d 'Print version'
complete -c postez -n "__fish_postez_using_subcommand generate; and not __fish_seen_subcommand_from completions man help" -f -a "completions" -d 'Print the completion script for a shell'
complete -c postez -n "__fish_postez_using_subcommand generate; and not __fish_seen_subcommand_from completions man help" -f -a "man" -d 'Write postez.1 and one page per subcommand into a folder'
complete -c postez -n "__fish_postez_using_subcommand generate; and not __fish_seen_subcommand_from completions man help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c postez -n "__fish_postez_using_subcommand generate; and __fish_seen_subcommand_from completions" -l color -d 'When to use colors' -r -f -a "auto\t'Colors on a terminal, unless NO_COLOR is set'
always\t'Always'
never\t'Never'"
complete -c postez -n "__fish_postez_using_subcommand generate; and __fish_seen_subcommand_from completions" -l log-format -d 'Log line format (stderr and the log file of `run`)' -r -f -a "text\t'Human-readable lines'
json\t'One JSON object per line'"
complete -c postez -n "__fish_postez_using_subcommand generate; and __fish_seen_subcommand_from completions" -l json -d 'Print machine-readable JSON on stdout'
complete -c postez -n "__fish_postez_using_subcommand generate; and __fish_seen_subcommand_from completions" -s v -l verbose -d 'More log output on stderr (-v info, -vv debug); RUST_LOG overrides'
complete -c postez -n "__fish_postez_using_subcommand generate; and __fish_seen_subcommand_from completions" -s q -l quiet -d 'Only errors on stderr'
complete -c postez -n "__fish_postez_using_subcommand generate; and __fish_seen_subcommand_from completions" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c postez -n "__fish_postez_using_subcommand generate; and __fish_seen_subcommand_from completions" -s V -l version -d 'Print version'
complete -c postez -n "__fish_postez_using_subcommand generate; and __fish_seen_subcommand_from man" -l dir -d 'Target folder' -r -F
complete -c postez -n "__fish_postez_using_subcommand generate; and __fish_seen_subcommand_from man" -l color -d 'When to use colors' -r -f -a "auto\t'Colors on a terminal, unless NO_COLOR is set'
always\t'Always'
never\t'Never'"
complete -c postez -n "__fish_postez_using_subcommand generate; and __fish_seen_subcommand_from man" -l log-format -d 'Log line format (stderr and the log file of `run`)' -r -f -a "text\t'Human-readable lines'
json\t'One JSON object per line'"
complete -c postez -n "__fish_postez_using_subcommand generate; and __fish_seen_subcommand_from man" -l json -d 'Print machine-readable JSON on stdout'
complete -c postez -n "__fish_postez_using_subcommand generate; and __fish_seen_subcommand_from man" -s v -l verbose -d 'More log output on stderr (-v info, -vv debug); RUST_LOG overrides'
complete -c postez -n "__fish_postez_using_subcommand generate; and __fish_seen_subcommand_from man" -s q -l quiet -d 'Only errors on stderr'
complete -c postez -n "__fish_postez_using_subcommand generate; and __fish_seen_subcommand_from man" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c postez -n "__fish_postez_using_subcommand generate; and __fish_seen_subcommand_from man" -s V -l version -d 'Print version'
complete -c postez -n "__fish_postez_using_subcommand generate; and __fish_seen_subcommand_from help" -f -a "completions" -d 'Print the completion script for a shell'
complete -c postez -n "__fish_postez_using_subcommand generate; and __fish_seen_subcommand_from help" -f -a "man" -d 'Write postez.1 and one page per subcommand into a folder'
complete -c postez -n "__fish_postez_using_subcommand generate; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c postez -n "__fish_postez_using_subcommand help; and not __fish_seen_subcommand_from connect accounts disconnect schedule list show edit cancel retry import run runners history export purge doctor db cron config generate help" -f -a "connect" -d 'Connect a TikTok account or a YouTube channel'
complete -c postez -n "__fish_postez_using_subcommand help; and not __fish_seen_subcommand_from connect accounts disconnect schedule list show edit cancel retry import run runners history export purge doctor db cron config generate help" -f -a "accounts" -d 'List connected accounts'
complete -c postez -n "__fish_postez_using_subcommand help; and not __fish_seen_subcommand_from connect accounts disconnect schedule list show edit cancel retry import run runners history export purge doctor db cron config generate help" -f -a "disconnect" -d 'Disconnect an account and revoke postez\'s access'
complete -c postez -n "__fish_postez_using_subcommand help; and not __fish_seen_subcommand_from connect accounts disconnect schedule list show edit cancel retry import run runners history export purge doctor db cron config generate help" -f -a "schedule" -d 'Queue a video to be published later'
complete -c postez -n "__fish_postez_using_subcommand help; and not __fish_seen_subcommand_from connect accounts disconnect schedule list show edit cancel retry import run runners history export purge doctor db cron config generate help" -f -a "list" -d 'Show the queue'
complete -c postez -n "__fish_postez_using_subcommand help; and not __fish_seen_subcommand_from connect accounts disconnect schedule list show edit cancel retry import run runners history export purge doctor db cron config generate help" -f -a "show" -d 'Show one post (or each post of a group) and its history'
complete -c postez -n "__fish_postez_using_subcommand help; and not __fish_seen_subcommand_from connect accounts disconnect schedule list show edit cancel retry import run runners history export purge doctor db cron config generate help" -f -a "edit" -d 'Change a scheduled or failed post'
complete -c postez -n "__fish_postez_using_subcommand help; and not __fish_seen_subcommand_from connect accounts disconnect schedule list show edit cancel retry import run runners history export purge doctor db cron config generate help" -f -a "cancel" -d 'Cancel a scheduled or failed post'
complete -c postez -n "__fish_postez_using_subcommand help; and not __fish_seen_subcommand_from connect accounts disconnect schedule list show edit cancel retry import run runners history export purge doctor db cron config generate help" -f -a "retry" -d 'Queue a failed or cancelled post again'
complete -c postez -n "__fish_postez_using_subcommand help; and not __fish_seen_subcommand_from connect accounts disconnect schedule list show edit cancel retry import run runners history export purge doctor db cron config generate help" -f -a "import" -d 'Schedule many posts from a CSV or JSON file'
complete -c postez -n "__fish_postez_using_subcommand help; and not __fish_seen_subcommand_from connect accounts disconnect schedule list show edit cancel retry import run runners history export purge doctor db cron config generate help" -f -a "run" -d 'Publish the posts that are due'
complete -c postez -n "__fish_postez_using_subcommand help; and not __fish_seen_subcommand_from connect accounts disconnect schedule list show edit cancel retry import run runners history export purge doctor db cron config generate help" -f -a "runners" -d 'List the machines that run the shared queue'
complete -c postez -n "__fish_postez_using_subcommand help; and not __fish_seen_subcommand_from connect accounts disconnect schedule list show edit cancel retry import run runners history export purge doctor db cron config generate help" -f -a "history" -d 'Show what happened to posts'
complete -c postez -n "__fish_postez_using_subcommand help; and not __fish_seen_subcommand_from connect accounts disconnect schedule list show edit cancel retry import run runners history export purge doctor db cron config generate help" -f -a "export" -d 'Export all your data as JSON'
complete -c postez -n "__fish_postez_using_subcommand help; and not __fish_seen_subcommand_from connect accounts disconnect schedule list show edit cancel retry import run runners history export purge doctor db cron config generate help" -f -a "purge" -d 'Delete your data and revoke postez\'s access'
complete -c postez -n "__fish_postez_using_subcommand help; and not __fish_seen_subcommand_from connect accounts disconnect schedule list show edit cancel retry import run runners history export purge doctor db cron config generate help" -f -a "doctor" -d 'Check the setup and explain each problem with its fix'
complete -c postez -n "__fish_postez_using_subcommand help; and not __fish_seen_subcommand_from connect accounts disconnect schedule list show edit cancel retry import run runners history export purge doctor db cron config generate help" -f -a "db" -d 'Manage where the queue lives'
complete -c postez -n "__fish_postez_using_subcommand help; and not __fish_seen_subcommand_from connect accounts disconnect schedule list show edit cancel retry import run runners history export purge doctor db cron config generate help" -f -a "cron" -d 'Start `postez run` on time: a systemd user timer, else a crontab line'
complete -c postez -n "__fish_postez_using_subcommand help; and not __fish_seen_subcommand_from connect accounts disconnect schedule list show edit cancel retry import run runners history export purge doctor db cron config generate help" -f -a "config" -d 'Read or change settings'
complete -c postez -n "__fish_postez_using_subcommand help; and not __fish_seen_subcommand_from connect accounts disconnect schedule list show edit cancel retry import run runners history export purge doctor db cron config generate help" -f -a "generate" -d 'Write shell completions or man pages'
complete -c postez -n "__fish_postez_using_subcommand help; and not __fish_seen_subcommand_from connect accounts disconnect schedule list show edit cancel retry import run runners history export purge doctor db cron config generate help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c postez -n "__fish_postez_using_subcommand help; and __fish_seen_subcommand_from db" -f -a "copy" -d 'Copy this machine\'s queue into an empty shared queue (PostgreSQL)'
complete -c postez -n "__fish_postez_using_subcommand help; and __fish_seen_subcommand_from cron" -f -a "install" -d 'Install the runner, replacing any earlier one'
complete -c postez -n "__fish_postez_using_subcommand help; and __fish_seen_subcommand_from cron" -f -a "remove" -d 'Remove the runner: the systemd timer and the crontab line, whichever exist'
complete -c postez -n "__fish_postez_using_subcommand help; and __fish_seen_subcommand_from cron" -f -a "show" -d 'Show which runner is installed, its schedule, and the last run'
complete -c postez -n "__fish_postez_using_subcommand help; and __fish_seen_subcommand_from config" -f -a "get" -d 'Print one setting (nothing if unset)'
complete -c postez -n "__fish_postez_using_subcommand help; and __fish_seen_subcommand_from config" -f -a "set" -d 'Change one setting (an empty value unsets it)'
complete -c postez -n "__fish_postez_using_subcommand help; and __fish_seen_subcommand_from config" -f -a "list" -d 'Print every setting with its value and meaning'
complete -c postez -n "__fish_postez_using_subcommand help; and __fish_seen_subcommand_from config" -f -a "path" -d 'Print the settings file\'s path'
complete -c postez -n "__fish_postez_using_subcommand help; and __fish_seen_subcommand_from generate" -f -a "completions" -d 'Print the completion script for a shell'
complete -c postez -n "__fish_postez_using_subcommand help; and __fish_seen_subcommand_from generate" -f -a "man" -d 'Write postez.1 and one page per subcommand into a folder'
