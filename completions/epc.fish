# Print an optspec for argparse to handle cmd's options that are independent of any subcommand.
function __fish_epc_global_optspecs
    string join \n format= color= q/quiet h/help V/version
end

function __fish_epc_needs_command
    # Figure out if the current invocation already has a command.
    set -l cmd (commandline -opc)
    set -e cmd[1]
    argparse -s (__fish_epc_global_optspecs) -- $cmd 2>/dev/null
    or return
    if set -q argv[1]
        # Also print the command, so this can be used to figure out what it is.
        echo $argv[1]
        return 1
    end
    return 0
end

function __fish_epc_using_subcommand
    set -l cmd (__fish_epc_needs_command)
    test -z "$cmd"
    and return 1
    contains -- $cmd[1] $argv
end

complete -c epc -n "__fish_epc_needs_command" -l format -d 'Output format for results on stdout (`epc validate` also takes junit)' -r -f -a "table\t'Aligned columns for people (the default)'
json\t'One JSON document: the results and a summary'
ndjson\t'One JSON record per line, each with a `type`, then a `summary` record'"
complete -c epc -n "__fish_epc_needs_command" -l color -d 'When to use colour (`always` wins over NO_COLOR)' -r -f -a "auto\t'Colour when the stream is a terminal, `NO_COLOR` is unset or empty and `TERM` is not `dumb`'
always\t'Always colour tables and messages'
never\t'Never colour'"
complete -c epc -n "__fish_epc_needs_command" -s q -l quiet -d 'Hide summaries, notes and hints on stderr (results and errors still show)'
complete -c epc -n "__fish_epc_needs_command" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c epc -n "__fish_epc_needs_command" -s V -l version -d 'Print version'
complete -c epc -n "__fish_epc_needs_command" -f -a "streams" -d 'List stream config, or show the full config of named streams'
complete -c epc -n "__fish_epc_needs_command" -f -a "sample" -d 'Show sampling decisions for identifiers and a stream or rate'
complete -c epc -n "__fish_epc_needs_command" -f -a "validate" -d 'Validate events against schema repositories (and stream config), as EventGate does'
complete -c epc -n "__fish_epc_needs_command" -f -a "send" -d 'Decorate events as a client does and send them to the intake (or print them with --dry-run)'
complete -c epc -n "__fish_epc_needs_command" -f -a "serve" -d 'Run a local EventGate-compatible intake that validates and stores events'
complete -c epc -n "__fish_epc_needs_command" -f -a "materialize" -d 'Write the version files and symlinks of edited `current.yaml` schemas, as jsonschema-tools does'
complete -c epc -n "__fish_epc_needs_command" -f -a "id" -d 'Print fresh standard identifiers (session, pageview or device)'
complete -c epc -n "__fish_epc_needs_command" -f -a "man" -d 'Print the manual page (roff): epc(1), or epc-SUBCOMMAND(1)'
complete -c epc -n "__fish_epc_needs_command" -f -a "completions" -d 'Print a shell completion script (bash, zsh, fish, elvish, powershell)'
complete -c epc -n "__fish_epc_needs_command" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c epc -n "__fish_epc_using_subcommand streams" -l streams-file -d 'Read more stream names from a file (one per line, `-` for stdin)' -r
complete -c epc -n "__fish_epc_using_subcommand streams" -l constraint -d 'Only streams whose settings match KEY=VALUE (EventStreamConfig semantics; nested keys as a[b]=c)' -r
complete -c epc -n "__fish_epc_using_subcommand streams" -l match -d 'Only streams whose name or schema title contains TEXT (case-insensitive)' -r
complete -c epc -n "__fish_epc_using_subcommand streams" -l stream-config -d 'Stream config: a JSON file, `-` for stdin, or a MediaWiki API URL' -r
complete -c epc -n "__fish_epc_using_subcommand streams" -l timeout -d 'Timeout for each request, in seconds' -r
complete -c epc -n "__fish_epc_using_subcommand streams" -l format -d 'Output format for results on stdout (`epc validate` also takes junit)' -r -f -a "table\t'Aligned columns for people (the default)'
json\t'One JSON document: the results and a summary'
ndjson\t'One JSON record per line, each with a `type`, then a `summary` record'"
complete -c epc -n "__fish_epc_using_subcommand streams" -l color -d 'When to use colour (`always` wins over NO_COLOR)' -r -f -a "auto\t'Colour when the stream is a terminal, `NO_COLOR` is unset or empty and `TERM` is not `dumb`'
always\t'Always colour tables and messages'
never\t'Never colour'"
complete -c epc -n "__fish_epc_using_subcommand streams" -l offline -d 'Use the cached copy of the last successful fetch instead of the network'
complete -c epc -n "__fish_epc_using_subcommand streams" -s q -l quiet -d 'Hide summaries, notes and hints on stderr (results and errors still show)'
complete -c epc -n "__fish_epc_using_subcommand streams" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c epc -n "__fish_epc_using_subcommand streams" -s V -l version -d 'Print version'
complete -c epc -n "__fish_epc_using_subcommand sample" -l stream -d 'The stream whose config decides (its cc streams are decided too)' -r
complete -c epc -n "__fish_epc_using_subcommand sample" -l rate -d 'Decide at this rate (0..1) without stream config' -r
complete -c epc -n "__fish_epc_using_subcommand sample" -l unit -d 'The sampling unit that goes with --rate: session (the default), pageview or device' -r
complete -c epc -n "__fish_epc_using_subcommand sample" -l id -d 'An identifier to decide: 8+ hex characters or a UUID (repeatable)' -r
complete -c epc -n "__fish_epc_using_subcommand sample" -l ids -d 'Read identifiers from a file, one per line (`-` for stdin; blank lines and `#` comments skipped)' -r
complete -c epc -n "__fish_epc_using_subcommand sample" -l profile -d 'Decide as this client does: canonical, mp-js, mp-java, android, android-tk, ios' -r
complete -c epc -n "__fish_epc_using_subcommand sample" -l population -d 'The legacy 1-in-N rule (`populationSize`): in-sample iff the hex prefix is divisible by N' -r
complete -c epc -n "__fish_epc_using_subcommand sample" -l simulate -d 'Draw N random identifiers and report the realised in-sample fraction with a 95% interval' -r
complete -c epc -n "__fish_epc_using_subcommand sample" -l seed -d 'Seed for --simulate, 0 to 2^53-1 (default: random, printed on stderr)' -r
complete -c epc -n "__fish_epc_using_subcommand sample" -l stream-config -d 'Stream config: a JSON file, `-` for stdin, or a MediaWiki API URL' -r
complete -c epc -n "__fish_epc_using_subcommand sample" -l timeout -d 'Timeout for each request, in seconds' -r
complete -c epc -n "__fish_epc_using_subcommand sample" -l format -d 'Output format for results on stdout (`epc validate` also takes junit)' -r -f -a "table\t'Aligned columns for people (the default)'
json\t'One JSON document: the results and a summary'
ndjson\t'One JSON record per line, each with a `type`, then a `summary` record'"
complete -c epc -n "__fish_epc_using_subcommand sample" -l color -d 'When to use colour (`always` wins over NO_COLOR)' -r -f -a "auto\t'Colour when the stream is a terminal, `NO_COLOR` is unset or empty and `TERM` is not `dumb`'
always\t'Always colour tables and messages'
never\t'Never colour'"
complete -c epc -n "__fish_epc_using_subcommand sample" -l all-profiles -d 'One row per profile, and mark where the profiles disagree'
complete -c epc -n "__fish_epc_using_subcommand sample" -l no-cc -d 'Decide only the stream itself, not its cc streams'
complete -c epc -n "__fish_epc_using_subcommand sample" -l offline -d 'Use the cached copy of the last successful fetch instead of the network'
complete -c epc -n "__fish_epc_using_subcommand sample" -s q -l quiet -d 'Hide summaries, notes and hints on stderr (results and errors still show)'
complete -c epc -n "__fish_epc_using_subcommand sample" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c epc -n "__fish_epc_using_subcommand sample" -s V -l version -d 'Print version'
complete -c epc -n "__fish_epc_using_subcommand validate" -l schema-repo -d 'A schema repository folder (with `jsonschema/` or `.jsonschema-tools.yaml`); repeatable, searched first, in order' -r -F
complete -c epc -n "__fish_epc_using_subcommand validate" -l schema-base-uri -d 'A further base URI to resolve schemas against (a folder, file: or http(s) URL); repeatable, after --schema-repo. With neither, schemas come from schema.wikimedia.org\'s primary and secondary repositories' -r
complete -c epc -n "__fish_epc_using_subcommand validate" -l schema -d 'Check every event against this schema (a URI resolved in the repositories, or a schema file) instead of its `$schema`' -r
complete -c epc -n "__fish_epc_using_subcommand validate" -l stream-config -d 'Stream config (file, `-` or API URL): each event\'s `meta.stream` must be configured with the schema\'s title' -r
complete -c epc -n "__fish_epc_using_subcommand validate" -l timeout -d 'Timeout for each request (remote schemas, stream config), in seconds' -r
complete -c epc -n "__fish_epc_using_subcommand validate" -s j -l jobs -d 'Threads validating NDJSON (default: all cores); output keeps the input order' -r
complete -c epc -n "__fish_epc_using_subcommand validate" -l repo -d 'Check a whole schema repository as its CI does (jsonschema-tools\' tests), instead of events' -r -F
complete -c epc -n "__fish_epc_using_subcommand validate" -l since -d 'With --repo (a git checkout): fail every published version file changed since git revision REV (committed, staged or unstaged; `git diff REV`); added files are new versions and pass' -r
complete -c epc -n "__fish_epc_using_subcommand validate" -l format -d 'Output format for results on stdout (`epc validate` also takes junit)' -r -f -a "table\t'Aligned columns for people (the default)'
json\t'One JSON document: the results and a summary'
ndjson\t'One JSON record per line, each with a `type`, then a `summary` record'"
complete -c epc -n "__fish_epc_using_subcommand validate" -l color -d 'When to use colour (`always` wins over NO_COLOR)' -r -f -a "auto\t'Colour when the stream is a terminal, `NO_COLOR` is unset or empty and `TERM` is not `dumb`'
always\t'Always colour tables and messages'
never\t'Never colour'"
complete -c epc -n "__fish_epc_using_subcommand validate" -l offline -d 'Make no network request: remote schemas (and stream config) come from the cache only'
complete -c epc -n "__fish_epc_using_subcommand validate" -l show-valid -d 'List every event in the table, valid ones too (by default the table lists only the events that are not valid; the other formats always list every event)'
complete -c epc -n "__fish_epc_using_subcommand validate" -l jsonschema-tools-compat -d 'With --repo: jsonschema-tools 1.3.0\'s results, without epc\'s extra checks (narrowing, items snake_case, unknown keywords, draft, defaults, $id resolution)'
complete -c epc -n "__fish_epc_using_subcommand validate" -s q -l quiet -d 'Hide summaries, notes and hints on stderr (results and errors still show)'
complete -c epc -n "__fish_epc_using_subcommand validate" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c epc -n "__fish_epc_using_subcommand validate" -s V -l version -d 'Print version'
complete -c epc -n "__fish_epc_using_subcommand send" -l stream -d 'The stream to send to (its cc streams get copies too)' -r
complete -c epc -n "__fish_epc_using_subcommand send" -l schema -d 'The events\' `$schema` URI (an event\'s own `$schema` must agree)' -r
complete -c epc -n "__fish_epc_using_subcommand send" -l data -d 'One event as JSON on the command line' -r
complete -c epc -n "__fish_epc_using_subcommand send" -l action -d 'Build a Metrics Platform interaction with this action, as MP-JS `submitInteraction` does' -r
complete -c epc -n "__fish_epc_using_subcommand send" -l client -d 'Which Metrics Platform client builds the --action event: `web` (MP-JS `submitInteraction`) or `app` (MP-Java `submitMetricsEvent`; --schema defaults to the apps base schema)' -r -f -a "web\t'MP-JS `submitInteraction` (MediaWiki\'s web client)'
app\t'MP-Java `submitMetricsEvent` (the Android and iOS apps\' client)'"
complete -c epc -n "__fish_epc_using_subcommand send" -l interaction-data -d 'Interaction data for --action (a JSON object of top-level fields)' -r
complete -c epc -n "__fish_epc_using_subcommand send" -l context -d 'Context values for --action: a JSON file shaped like the consistency suite\'s integration_data.json' -r -F
complete -c epc -n "__fish_epc_using_subcommand send" -l domain -d '`meta.domain` for every event' -r
complete -c epc -n "__fish_epc_using_subcommand send" -l session-id -d 'Session id (default: from --context, else a fresh one, printed on stderr)' -r
complete -c epc -n "__fish_epc_using_subcommand send" -l pageview-id -d 'Pageview id (default: from --context, else a fresh one)' -r
complete -c epc -n "__fish_epc_using_subcommand send" -l device-id -d 'Device id, `app_install_id` (default: from --context, else a fresh one)' -r
complete -c epc -n "__fish_epc_using_subcommand send" -l schema-repo -d 'Schema repository folders for validation before sending (repeatable)' -r -F
complete -c epc -n "__fish_epc_using_subcommand send" -l schema-base-uri -d 'Further schema base URIs (repeatable). With neither, schemas come from schema.wikimedia.org\'s primary and secondary repositories (--offline and --dry-run: from the cache only)' -r
complete -c epc -n "__fish_epc_using_subcommand send" -l intake-url -d 'The intake (`…/v1/events`); default: from the stream\'s destination_event_service' -r
complete -c epc -n "__fish_epc_using_subcommand send" -l profile -d 'Decide sampling, cc and the event\'s shape as this client does: canonical, mp-js, mp-java, android, android-tk, ios (as `epc sample --profile`). Default: mp-js for --action (mp-java with --client app), else canonical' -r
complete -c epc -n "__fish_epc_using_subcommand send" -l batch-size -d 'Most events per POST' -r
complete -c epc -n "__fish_epc_using_subcommand send" -l batch-bytes -d 'Most bytes per POST body (EventGate\'s example config allows 4 MB)' -r
complete -c epc -n "__fish_epc_using_subcommand send" -l retries -d 'Retries of a batch nothing of which was accepted (429, 500, other 5xx, network errors; `Retry-After` is honoured)' -r
complete -c epc -n "__fish_epc_using_subcommand send" -l retry-delay -d 'The first retry delay in seconds; it doubles each retry, with jitter' -r
complete -c epc -n "__fish_epc_using_subcommand send" -l failed-out -d 'Where events that were not accepted are written (NDJSON); default: ./epc-failed-<time>.ndjson' -r -F
complete -c epc -n "__fish_epc_using_subcommand send" -l stream-config -d 'Stream config: a JSON file, `-` for stdin, or a MediaWiki API URL' -r
complete -c epc -n "__fish_epc_using_subcommand send" -l timeout -d 'Timeout for each request, in seconds' -r
complete -c epc -n "__fish_epc_using_subcommand send" -l format -d 'Output format for results on stdout (`epc validate` also takes junit)' -r -f -a "table\t'Aligned columns for people (the default)'
json\t'One JSON document: the results and a summary'
ndjson\t'One JSON record per line, each with a `type`, then a `summary` record'"
complete -c epc -n "__fish_epc_using_subcommand send" -l color -d 'When to use colour (`always` wins over NO_COLOR)' -r -f -a "auto\t'Colour when the stream is a terminal, `NO_COLOR` is unset or empty and `TERM` is not `dumb`'
always\t'Always colour tables and messages'
never\t'Never colour'"
complete -c epc -n "__fish_epc_using_subcommand send" -l ignore-curation -d 'Send events that fail the stream\'s curation rules anyway'
complete -c epc -n "__fish_epc_using_subcommand send" -l ignore-sampling -d 'Send copies to streams the identifiers are out-of-sample for'
complete -c epc -n "__fish_epc_using_subcommand send" -l no-cc -d 'Send to the stream only, not to its cc streams'
complete -c epc -n "__fish_epc_using_subcommand send" -l no-validate -d 'Send without validating first'
complete -c epc -n "__fish_epc_using_subcommand send" -l dry-run -d 'Print the decorated events and make no network request'
complete -c epc -n "__fish_epc_using_subcommand send" -l production -d 'Allow sending to a public production intake (the stream\'s destination_event_service) when no --intake-url is given'
complete -c epc -n "__fish_epc_using_subcommand send" -l hasty -d 'Ask for `?hasty=true`: a 202 at once, without validation feedback'
complete -c epc -n "__fish_epc_using_subcommand send" -l no-stream-config -d 'Send without stream config: no sampling, no cc streams, no stream checks'
complete -c epc -n "__fish_epc_using_subcommand send" -l offline -d 'Use the cached copy of the last successful fetch instead of the network'
complete -c epc -n "__fish_epc_using_subcommand send" -s q -l quiet -d 'Hide summaries, notes and hints on stderr (results and errors still show)'
complete -c epc -n "__fish_epc_using_subcommand send" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c epc -n "__fish_epc_using_subcommand send" -s V -l version -d 'Print version'
complete -c epc -n "__fish_epc_using_subcommand serve" -l listen -d 'Address to listen on, HOST:PORT (a host name resolves; port 0 picks a free port; the address is printed on stderr)' -r
complete -c epc -n "__fish_epc_using_subcommand serve" -l schema-repo -d 'Schema repository folders (repeatable, searched in order)' -r -F
complete -c epc -n "__fish_epc_using_subcommand serve" -l schema-base-uri -d 'Further schema base URIs (repeatable). With neither, schemas come from schema.wikimedia.org\'s primary and secondary repositories' -r
complete -c epc -n "__fish_epc_using_subcommand serve" -l stream-config -d 'Stream config: each event\'s stream must be configured with its schema\'s title' -r
complete -c epc -n "__fish_epc_using_subcommand serve" -l timeout -d 'Timeout for each request (remote schemas, stream config), in seconds' -r
complete -c epc -n "__fish_epc_using_subcommand serve" -l output-dir -d 'Store events as NDJSON per stream in this folder (default: a line per event on stdout)' -r -F
complete -c epc -n "__fish_epc_using_subcommand serve" -l max-body-size -d 'Largest request body in bytes (EventGate\'s example config: 4 MB); larger ones get 413' -r
complete -c epc -n "__fish_epc_using_subcommand serve" -l max-connections -d 'Most connections open at once; at the limit, the one waiting longest for a request head makes room' -r
complete -c epc -n "__fish_epc_using_subcommand serve" -l header-timeout -d 'Seconds from a request\'s first byte to its complete head; then the connection is closed' -r
complete -c epc -n "__fish_epc_using_subcommand serve" -l body-timeout -d 'Seconds from a request\'s head to the end of its body; then 408 and the connection is closed' -r
complete -c epc -n "__fish_epc_using_subcommand serve" -l idle-timeout -d 'Seconds a keep-alive connection may wait for its next request' -r
complete -c epc -n "__fish_epc_using_subcommand serve" -l shutdown-timeout -d 'Seconds that requests in flight get to finish after Ctrl-C or SIGTERM; then epc serve exits' -r
complete -c epc -n "__fish_epc_using_subcommand serve" -l format -d 'Output format for results on stdout (`epc validate` also takes junit)' -r -f -a "table\t'Aligned columns for people (the default)'
json\t'One JSON document: the results and a summary'
ndjson\t'One JSON record per line, each with a `type`, then a `summary` record'"
complete -c epc -n "__fish_epc_using_subcommand serve" -l color -d 'When to use colour (`always` wins over NO_COLOR)' -r -f -a "auto\t'Colour when the stream is a terminal, `NO_COLOR` is unset or empty and `TERM` is not `dumb`'
always\t'Always colour tables and messages'
never\t'Never colour'"
complete -c epc -n "__fish_epc_using_subcommand serve" -l offline -d 'Make no network request: remote schemas (and stream config) come from the cache only'
complete -c epc -n "__fish_epc_using_subcommand serve" -l fsync -d 'Sync every write to disk before answering (slower; default: written to the OS)'
complete -c epc -n "__fish_epc_using_subcommand serve" -s q -l quiet -d 'Hide summaries, notes and hints on stderr (results and errors still show)'
complete -c epc -n "__fish_epc_using_subcommand serve" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c epc -n "__fish_epc_using_subcommand serve" -s V -l version -d 'Print version'
complete -c epc -n "__fish_epc_using_subcommand materialize" -l repo -d 'The schema repository (default: the folder, or the nearest parent, with `.jsonschema-tools.yaml` or `jsonschema/`, of the first CURRENT or the current directory)' -r -F
complete -c epc -n "__fish_epc_using_subcommand materialize" -l schema-repo -d 'A further schema repository folder to resolve `$ref`s against; repeatable, after --repo' -r -F
complete -c epc -n "__fish_epc_using_subcommand materialize" -l schema-base-uri -d 'A further base URI to resolve `$ref`s against (a folder, file: or http(s) URL); repeatable' -r
complete -c epc -n "__fish_epc_using_subcommand materialize" -l timeout -d 'Timeout for each request for a remote schema, in seconds' -r
complete -c epc -n "__fish_epc_using_subcommand materialize" -l format -d 'Output format for results on stdout (`epc validate` also takes junit)' -r -f -a "table\t'Aligned columns for people (the default)'
json\t'One JSON document: the results and a summary'
ndjson\t'One JSON record per line, each with a `type`, then a `summary` record'"
complete -c epc -n "__fish_epc_using_subcommand materialize" -l color -d 'When to use colour (`always` wins over NO_COLOR)' -r -f -a "auto\t'Colour when the stream is a terminal, `NO_COLOR` is unset or empty and `TERM` is not `dumb`'
always\t'Always colour tables and messages'
never\t'Never colour'"
complete -c epc -n "__fish_epc_using_subcommand materialize" -l all -d 'Materialize every current file of the repository, in `$ref` dependency order'
complete -c epc -n "__fish_epc_using_subcommand materialize" -l modified -d 'Materialize the current files git reports as changed (staged, unstaged and untracked)'
complete -c epc -n "__fish_epc_using_subcommand materialize" -l staged -d 'With --modified: only the staged current files (what the pre-commit hook uses)'
complete -c epc -n "__fish_epc_using_subcommand materialize" -s n -l dry-run -d 'Say what would be written, and write nothing'
complete -c epc -n "__fish_epc_using_subcommand materialize" -l force -d 'Replace version files whose schema would change even when git has them committed (for a version that is not released yet); with --install-hook, replace an existing hook'
complete -c epc -n "__fish_epc_using_subcommand materialize" -l git-add -d 'Stage the files and symlinks written with `git add`'
complete -c epc -n "__fish_epc_using_subcommand materialize" -l install-hook -d 'Install a git pre-commit hook that runs `epc materialize --modified --staged --git-add`'
complete -c epc -n "__fish_epc_using_subcommand materialize" -l offline -d 'Make no network request: remote `$ref`s come from the schema cache only'
complete -c epc -n "__fish_epc_using_subcommand materialize" -s q -l quiet -d 'Hide summaries, notes and hints on stderr (results and errors still show)'
complete -c epc -n "__fish_epc_using_subcommand materialize" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c epc -n "__fish_epc_using_subcommand materialize" -s V -l version -d 'Print version'
complete -c epc -n "__fish_epc_using_subcommand id" -s n -l count -d 'How many to print' -r
complete -c epc -n "__fish_epc_using_subcommand id" -l format -d 'Output format for results on stdout (`epc validate` also takes junit)' -r -f -a "table\t'Aligned columns for people (the default)'
json\t'One JSON document: the results and a summary'
ndjson\t'One JSON record per line, each with a `type`, then a `summary` record'"
complete -c epc -n "__fish_epc_using_subcommand id" -l color -d 'When to use colour (`always` wins over NO_COLOR)' -r -f -a "auto\t'Colour when the stream is a terminal, `NO_COLOR` is unset or empty and `TERM` is not `dumb`'
always\t'Always colour tables and messages'
never\t'Never colour'"
complete -c epc -n "__fish_epc_using_subcommand id" -s q -l quiet -d 'Hide summaries, notes and hints on stderr (results and errors still show)'
complete -c epc -n "__fish_epc_using_subcommand id" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c epc -n "__fish_epc_using_subcommand id" -s V -l version -d 'Print version'
complete -c epc -n "__fish_epc_using_subcommand man" -l format -d 'Output format for results on stdout (`epc validate` also takes junit)' -r -f -a "table\t'Aligned columns for people (the default)'
json\t'One JSON document: the results and a summary'
ndjson\t'One JSON record per line, each with a `type`, then a `summary` record'"
complete -c epc -n "__fish_epc_using_subcommand man" -l color -d 'When to use colour (`always` wins over NO_COLOR)' -r -f -a "auto\t'Colour when the stream is a terminal, `NO_COLOR` is unset or empty and `TERM` is not `dumb`'
always\t'Always colour tables and messages'
never\t'Never colour'"
complete -c epc -n "__fish_epc_using_subcommand man" -s q -l quiet -d 'Hide summaries, notes and hints on stderr (results and errors still show)'
complete -c epc -n "__fish_epc_using_subcommand man" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c epc -n "__fish_epc_using_subcommand man" -s V -l version -d 'Print version'
complete -c epc -n "__fish_epc_using_subcommand completions" -l format -d 'Output format for results on stdout (`epc validate` also takes junit)' -r -f -a "table\t'Aligned columns for people (the default)'
json\t'One JSON document: the results and a summary'
ndjson\t'One JSON record per line, each with a `type`, then a `summary` record'"
complete -c epc -n "__fish_epc_using_subcommand completions" -l color -d 'When to use colour (`always` wins over NO_COLOR)' -r -f -a "auto\t'Colour when the stream is a terminal, `NO_COLOR` is unset or empty and `TERM` is not `dumb`'
always\t'Always colour tables and messages'
never\t'Never colour'"
complete -c epc -n "__fish_epc_using_subcommand completions" -s q -l quiet -d 'Hide summaries, notes and hints on stderr (results and errors still show)'
complete -c epc -n "__fish_epc_using_subcommand completions" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c epc -n "__fish_epc_using_subcommand completions" -s V -l version -d 'Print version'
complete -c epc -n "__fish_epc_using_subcommand help; and not __fish_seen_subcommand_from streams sample validate send serve materialize id man completions help" -f -a "streams" -d 'List stream config, or show the full config of named streams'
complete -c epc -n "__fish_epc_using_subcommand help; and not __fish_seen_subcommand_from streams sample validate send serve materialize id man completions help" -f -a "sample" -d 'Show sampling decisions for identifiers and a stream or rate'
complete -c epc -n "__fish_epc_using_subcommand help; and not __fish_seen_subcommand_from streams sample validate send serve materialize id man completions help" -f -a "validate" -d 'Validate events against schema repositories (and stream config), as EventGate does'
complete -c epc -n "__fish_epc_using_subcommand help; and not __fish_seen_subcommand_from streams sample validate send serve materialize id man completions help" -f -a "send" -d 'Decorate events as a client does and send them to the intake (or print them with --dry-run)'
complete -c epc -n "__fish_epc_using_subcommand help; and not __fish_seen_subcommand_from streams sample validate send serve materialize id man completions help" -f -a "serve" -d 'Run a local EventGate-compatible intake that validates and stores events'
complete -c epc -n "__fish_epc_using_subcommand help; and not __fish_seen_subcommand_from streams sample validate send serve materialize id man completions help" -f -a "materialize" -d 'Write the version files and symlinks of edited `current.yaml` schemas, as jsonschema-tools does'
complete -c epc -n "__fish_epc_using_subcommand help; and not __fish_seen_subcommand_from streams sample validate send serve materialize id man completions help" -f -a "id" -d 'Print fresh standard identifiers (session, pageview or device)'
complete -c epc -n "__fish_epc_using_subcommand help; and not __fish_seen_subcommand_from streams sample validate send serve materialize id man completions help" -f -a "man" -d 'Print the manual page (roff): epc(1), or epc-SUBCOMMAND(1)'
complete -c epc -n "__fish_epc_using_subcommand help; and not __fish_seen_subcommand_from streams sample validate send serve materialize id man completions help" -f -a "completions" -d 'Print a shell completion script (bash, zsh, fish, elvish, powershell)'
complete -c epc -n "__fish_epc_using_subcommand help; and not __fish_seen_subcommand_from streams sample validate send serve materialize id man completions help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
