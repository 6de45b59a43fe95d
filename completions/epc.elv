
use builtin;
use str;

set edit:completion:arg-completer[epc] = {|@words|
    fn spaces {|n|
        builtin:repeat $n ' ' | str:join ''
    }
    fn cand {|text desc|
        edit:complex-candidate $text &display=$text' '(spaces (- 14 (wcswidth $text)))$desc
    }
    var command = 'epc'
    for word $words[1..-1] {
        if (str:has-prefix $word '-') {
            break
        }
        set command = $command';'$word
    }
    var completions = [
        &'epc'= {
            cand --format 'Output format for results on stdout (`epc validate` also takes junit)'
            cand --color 'When to use colour (`always` wins over NO_COLOR)'
            cand -q 'Hide summaries, notes and hints on stderr (results and errors still show)'
            cand --quiet 'Hide summaries, notes and hints on stderr (results and errors still show)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
            cand streams 'List stream config, or show the full config of named streams'
            cand sample 'Show sampling decisions for identifiers and a stream or rate'
            cand validate 'Validate events against schema repositories (and stream config), as EventGate does'
            cand send 'Decorate events as a client does and send them to the intake (or print them with --dry-run)'
            cand serve 'Run a local EventGate-compatible intake that validates and stores events'
            cand materialize 'Write the version files and symlinks of edited `current.yaml` schemas, as jsonschema-tools does'
            cand id 'Print fresh standard identifiers (session, pageview or device)'
            cand man 'Print the manual page (roff): epc(1), or epc-SUBCOMMAND(1)'
            cand completions 'Print a shell completion script (bash, zsh, fish, elvish, powershell)'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'epc;streams'= {
            cand --streams-file 'Read more stream names from a file (one per line, `-` for stdin)'
            cand --constraint 'Only streams whose settings match KEY=VALUE (EventStreamConfig semantics; nested keys as a[b]=c)'
            cand --match 'Only streams whose name or schema title contains TEXT (case-insensitive)'
            cand --stream-config 'Stream config: a JSON file, `-` for stdin, or a MediaWiki API URL'
            cand --timeout 'Timeout for each request, in seconds'
            cand --format 'Output format for results on stdout (`epc validate` also takes junit)'
            cand --color 'When to use colour (`always` wins over NO_COLOR)'
            cand --offline 'Use the cached copy of the last successful fetch instead of the network'
            cand -q 'Hide summaries, notes and hints on stderr (results and errors still show)'
            cand --quiet 'Hide summaries, notes and hints on stderr (results and errors still show)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'epc;sample'= {
            cand --stream 'The stream whose config decides (its cc streams are decided too)'
            cand --rate 'Decide at this rate (0..1) without stream config'
            cand --unit 'The sampling unit that goes with --rate: session (the default), pageview or device'
            cand --id 'An identifier to decide: 8+ hex characters or a UUID (repeatable)'
            cand --ids 'Read identifiers from a file, one per line (`-` for stdin; blank lines and `#` comments skipped)'
            cand --profile 'Decide as this client does: canonical, mp-js, mp-java, android, android-tk, ios'
            cand --population 'The legacy 1-in-N rule (`populationSize`): in-sample iff the hex prefix is divisible by N'
            cand --simulate 'Draw N random identifiers and report the realised in-sample fraction with a 95% interval'
            cand --seed 'Seed for --simulate, 0 to 2^53-1 (default: random, printed on stderr)'
            cand --stream-config 'Stream config: a JSON file, `-` for stdin, or a MediaWiki API URL'
            cand --timeout 'Timeout for each request, in seconds'
            cand --format 'Output format for results on stdout (`epc validate` also takes junit)'
            cand --color 'When to use colour (`always` wins over NO_COLOR)'
            cand --all-profiles 'One row per profile, and mark where the profiles disagree'
            cand --no-cc 'Decide only the stream itself, not its cc streams'
            cand --offline 'Use the cached copy of the last successful fetch instead of the network'
            cand -q 'Hide summaries, notes and hints on stderr (results and errors still show)'
            cand --quiet 'Hide summaries, notes and hints on stderr (results and errors still show)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'epc;validate'= {
            cand --schema-repo 'A schema repository folder (with `jsonschema/` or `.jsonschema-tools.yaml`); repeatable, searched first, in order'
            cand --schema-base-uri 'A further base URI to resolve schemas against (a folder, file: or http(s) URL); repeatable, after --schema-repo. With neither, schemas come from schema.wikimedia.org''s primary and secondary repositories'
            cand --schema 'Check every event against this schema (a URI resolved in the repositories, or a schema file) instead of its `$schema`'
            cand --stream-config 'Stream config (file, `-` or API URL): each event''s `meta.stream` must be configured with the schema''s title'
            cand --timeout 'Timeout for each request (remote schemas, stream config), in seconds'
            cand -j 'Threads validating NDJSON (default: all cores); output keeps the input order'
            cand --jobs 'Threads validating NDJSON (default: all cores); output keeps the input order'
            cand --repo 'Check a whole schema repository as its CI does (jsonschema-tools'' tests), instead of events'
            cand --since 'With --repo (a git checkout): fail every published version file changed since git revision REV (committed, staged or unstaged; `git diff REV`); added files are new versions and pass'
            cand --format 'Output format for results on stdout (`epc validate` also takes junit)'
            cand --color 'When to use colour (`always` wins over NO_COLOR)'
            cand --offline 'Make no network request: remote schemas (and stream config) come from the cache only'
            cand --show-valid 'List every event in the table, valid ones too (by default the table lists only the events that are not valid; the other formats always list every event)'
            cand --jsonschema-tools-compat 'With --repo: jsonschema-tools 1.3.0''s results, without epc''s extra checks (narrowing, items snake_case, unknown keywords, draft, defaults, $id resolution)'
            cand -q 'Hide summaries, notes and hints on stderr (results and errors still show)'
            cand --quiet 'Hide summaries, notes and hints on stderr (results and errors still show)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'epc;send'= {
            cand --stream 'The stream to send to (its cc streams get copies too)'
            cand --schema 'The events'' `$schema` URI (an event''s own `$schema` must agree)'
            cand --data 'One event as JSON on the command line'
            cand --action 'Build a Metrics Platform interaction with this action, as MP-JS `submitInteraction` does'
            cand --client 'Which Metrics Platform client builds the --action event: `web` (MP-JS `submitInteraction`) or `app` (MP-Java `submitMetricsEvent`; --schema defaults to the apps base schema)'
            cand --interaction-data 'Interaction data for --action (a JSON object of top-level fields)'
            cand --context 'Context values for --action: a JSON file shaped like the consistency suite''s integration_data.json'
            cand --domain '`meta.domain` for every event'
            cand --session-id 'Session id (default: from --context, else a fresh one, printed on stderr)'
            cand --pageview-id 'Pageview id (default: from --context, else a fresh one)'
            cand --device-id 'Device id, `app_install_id` (default: from --context, else a fresh one)'
            cand --schema-repo 'Schema repository folders for validation before sending (repeatable)'
            cand --schema-base-uri 'Further schema base URIs (repeatable). With neither, schemas come from schema.wikimedia.org''s primary and secondary repositories (--offline and --dry-run: from the cache only)'
            cand --intake-url 'The intake (`…/v1/events`); default: from the stream''s destination_event_service'
            cand --profile 'Decide sampling, cc and the event''s shape as this client does: canonical, mp-js, mp-java, android, android-tk, ios (as `epc sample --profile`). Default: mp-js for --action (mp-java with --client app), else canonical'
            cand --batch-size 'Most events per POST'
            cand --batch-bytes 'Most bytes per POST body (EventGate''s example config allows 4 MB)'
            cand --retries 'Retries of a batch nothing of which was accepted (429, 500, other 5xx, network errors; `Retry-After` is honoured)'
            cand --retry-delay 'The first retry delay in seconds; it doubles each retry, with jitter'
            cand --failed-out 'Where events that were not accepted are written (NDJSON); default: ./epc-failed-<time>.ndjson'
            cand --stream-config 'Stream config: a JSON file, `-` for stdin, or a MediaWiki API URL'
            cand --timeout 'Timeout for each request, in seconds'
            cand --format 'Output format for results on stdout (`epc validate` also takes junit)'
            cand --color 'When to use colour (`always` wins over NO_COLOR)'
            cand --ignore-curation 'Send events that fail the stream''s curation rules anyway'
            cand --ignore-sampling 'Send copies to streams the identifiers are out-of-sample for'
            cand --no-cc 'Send to the stream only, not to its cc streams'
            cand --no-validate 'Send without validating first'
            cand --dry-run 'Print the decorated events and make no network request'
            cand --production 'Allow sending to a public production intake (the stream''s destination_event_service) when no --intake-url is given'
            cand --hasty 'Ask for `?hasty=true`: a 202 at once, without validation feedback'
            cand --no-stream-config 'Send without stream config: no sampling, no cc streams, no stream checks'
            cand --offline 'Use the cached copy of the last successful fetch instead of the network'
            cand -q 'Hide summaries, notes and hints on stderr (results and errors still show)'
            cand --quiet 'Hide summaries, notes and hints on stderr (results and errors still show)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'epc;serve'= {
            cand --listen 'Address to listen on, HOST:PORT (a host name resolves; port 0 picks a free port; the address is printed on stderr)'
            cand --schema-repo 'Schema repository folders (repeatable, searched in order)'
            cand --schema-base-uri 'Further schema base URIs (repeatable). With neither, schemas come from schema.wikimedia.org''s primary and secondary repositories'
            cand --stream-config 'Stream config: each event''s stream must be configured with its schema''s title'
            cand --timeout 'Timeout for each request (remote schemas, stream config), in seconds'
            cand --output-dir 'Store events as NDJSON per stream in this folder (default: a line per event on stdout)'
            cand --max-body-size 'Largest request body in bytes (EventGate''s example config: 4 MB); larger ones get 413'
            cand --max-connections 'Most connections open at once; at the limit, the one waiting longest for a request head makes room'
            cand --header-timeout 'Seconds from a request''s first byte to its complete head; then the connection is closed'
            cand --body-timeout 'Seconds from a request''s head to the end of its body; then 408 and the connection is closed'
            cand --idle-timeout 'Seconds a keep-alive connection may wait for its next request'
            cand --shutdown-timeout 'Seconds that requests in flight get to finish after Ctrl-C or SIGTERM; then epc serve exits'
            cand --format 'Output format for results on stdout (`epc validate` also takes junit)'
            cand --color 'When to use colour (`always` wins over NO_COLOR)'
            cand --offline 'Make no network request: remote schemas (and stream config) come from the cache only'
            cand --fsync 'Sync every write to disk before answering (slower; default: written to the OS)'
            cand -q 'Hide summaries, notes and hints on stderr (results and errors still show)'
            cand --quiet 'Hide summaries, notes and hints on stderr (results and errors still show)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'epc;materialize'= {
            cand --repo 'The schema repository (default: the folder, or the nearest parent, with `.jsonschema-tools.yaml` or `jsonschema/`, of the first CURRENT or the current directory)'
            cand --schema-repo 'A further schema repository folder to resolve `$ref`s against; repeatable, after --repo'
            cand --schema-base-uri 'A further base URI to resolve `$ref`s against (a folder, file: or http(s) URL); repeatable'
            cand --timeout 'Timeout for each request for a remote schema, in seconds'
            cand --format 'Output format for results on stdout (`epc validate` also takes junit)'
            cand --color 'When to use colour (`always` wins over NO_COLOR)'
            cand --all 'Materialize every current file of the repository, in `$ref` dependency order'
            cand --modified 'Materialize the current files git reports as changed (staged, unstaged and untracked)'
            cand --staged 'With --modified: only the staged current files (what the pre-commit hook uses)'
            cand -n 'Say what would be written, and write nothing'
            cand --dry-run 'Say what would be written, and write nothing'
            cand --force 'Replace version files whose schema would change even when git has them committed (for a version that is not released yet); with --install-hook, replace an existing hook'
            cand --git-add 'Stage the files and symlinks written with `git add`'
            cand --install-hook 'Install a git pre-commit hook that runs `epc materialize --modified --staged --git-add`'
            cand --offline 'Make no network request: remote `$ref`s come from the schema cache only'
            cand -q 'Hide summaries, notes and hints on stderr (results and errors still show)'
            cand --quiet 'Hide summaries, notes and hints on stderr (results and errors still show)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'epc;id'= {
            cand -n 'How many to print'
            cand --count 'How many to print'
            cand --format 'Output format for results on stdout (`epc validate` also takes junit)'
            cand --color 'When to use colour (`always` wins over NO_COLOR)'
            cand -q 'Hide summaries, notes and hints on stderr (results and errors still show)'
            cand --quiet 'Hide summaries, notes and hints on stderr (results and errors still show)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'epc;man'= {
            cand --format 'Output format for results on stdout (`epc validate` also takes junit)'
            cand --color 'When to use colour (`always` wins over NO_COLOR)'
            cand -q 'Hide summaries, notes and hints on stderr (results and errors still show)'
            cand --quiet 'Hide summaries, notes and hints on stderr (results and errors still show)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'epc;completions'= {
            cand --format 'Output format for results on stdout (`epc validate` also takes junit)'
            cand --color 'When to use colour (`always` wins over NO_COLOR)'
            cand -q 'Hide summaries, notes and hints on stderr (results and errors still show)'
            cand --quiet 'Hide summaries, notes and hints on stderr (results and errors still show)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'epc;help'= {
            cand streams 'List stream config, or show the full config of named streams'
            cand sample 'Show sampling decisions for identifiers and a stream or rate'
            cand validate 'Validate events against schema repositories (and stream config), as EventGate does'
            cand send 'Decorate events as a client does and send them to the intake (or print them with --dry-run)'
            cand serve 'Run a local EventGate-compatible intake that validates and stores events'
            cand materialize 'Write the version files and symlinks of edited `current.yaml` schemas, as jsonschema-tools does'
            cand id 'Print fresh standard identifiers (session, pageview or device)'
            cand man 'Print the manual page (roff): epc(1), or epc-SUBCOMMAND(1)'
            cand completions 'Print a shell completion script (bash, zsh, fish, elvish, powershell)'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'epc;help;streams'= {
        }
        &'epc;help;sample'= {
        }
        &'epc;help;validate'= {
        }
        &'epc;help;send'= {
        }
        &'epc;help;serve'= {
        }
        &'epc;help;materialize'= {
        }
        &'epc;help;id'= {
        }
        &'epc;help;man'= {
        }
        &'epc;help;completions'= {
        }
        &'epc;help;help'= {
        }
    ]
    $completions[$command]
}
