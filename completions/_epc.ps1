
using namespace System.Management.Automation
using namespace System.Management.Automation.Language

Register-ArgumentCompleter -Native -CommandName 'epc' -ScriptBlock {
    param($wordToComplete, $commandAst, $cursorPosition)

    $commandElements = $commandAst.CommandElements
    $command = @(
        'epc'
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
        'epc' {
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'Output format for results on stdout (`epc validate` also takes junit)')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour (`always` wins over NO_COLOR)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Hide summaries, notes and hints on stderr (results and errors still show)')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Hide summaries, notes and hints on stderr (results and errors still show)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('streams', 'streams', [CompletionResultType]::ParameterValue, 'List stream config, or show the full config of named streams')
            [CompletionResult]::new('sample', 'sample', [CompletionResultType]::ParameterValue, 'Show sampling decisions for identifiers and a stream or rate')
            [CompletionResult]::new('validate', 'validate', [CompletionResultType]::ParameterValue, 'Validate events against schema repositories (and stream config), as EventGate does')
            [CompletionResult]::new('send', 'send', [CompletionResultType]::ParameterValue, 'Decorate events as a client does and send them to the intake (or print them with --dry-run)')
            [CompletionResult]::new('serve', 'serve', [CompletionResultType]::ParameterValue, 'Run a local EventGate-compatible intake that validates and stores events')
            [CompletionResult]::new('materialize', 'materialize', [CompletionResultType]::ParameterValue, 'Write the version files and symlinks of edited `current.yaml` schemas, as jsonschema-tools does')
            [CompletionResult]::new('id', 'id', [CompletionResultType]::ParameterValue, 'Print fresh standard identifiers (session, pageview or device)')
            [CompletionResult]::new('man', 'man', [CompletionResultType]::ParameterValue, 'Print the manual page (roff): epc(1), or epc-SUBCOMMAND(1)')
            [CompletionResult]::new('completions', 'completions', [CompletionResultType]::ParameterValue, 'Print a shell completion script (bash, zsh, fish, elvish, powershell)')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'epc;streams' {
            [CompletionResult]::new('--streams-file', '--streams-file', [CompletionResultType]::ParameterName, 'Read more stream names from a file (one per line, `-` for stdin)')
            [CompletionResult]::new('--constraint', '--constraint', [CompletionResultType]::ParameterName, 'Only streams whose settings match KEY=VALUE (EventStreamConfig semantics; nested keys as a[b]=c)')
            [CompletionResult]::new('--match', '--match', [CompletionResultType]::ParameterName, 'Only streams whose name or schema title contains TEXT (case-insensitive)')
            [CompletionResult]::new('--stream-config', '--stream-config', [CompletionResultType]::ParameterName, 'Stream config: a JSON file, `-` for stdin, or a MediaWiki API URL')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Timeout for each request, in seconds')
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'Output format for results on stdout (`epc validate` also takes junit)')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour (`always` wins over NO_COLOR)')
            [CompletionResult]::new('--offline', '--offline', [CompletionResultType]::ParameterName, 'Use the cached copy of the last successful fetch instead of the network')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Hide summaries, notes and hints on stderr (results and errors still show)')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Hide summaries, notes and hints on stderr (results and errors still show)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'epc;sample' {
            [CompletionResult]::new('--stream', '--stream', [CompletionResultType]::ParameterName, 'The stream whose config decides (its cc streams are decided too)')
            [CompletionResult]::new('--rate', '--rate', [CompletionResultType]::ParameterName, 'Decide at this rate (0..1) without stream config')
            [CompletionResult]::new('--unit', '--unit', [CompletionResultType]::ParameterName, 'The sampling unit that goes with --rate: session (the default), pageview or device')
            [CompletionResult]::new('--id', '--id', [CompletionResultType]::ParameterName, 'An identifier to decide: 8+ hex characters or a UUID (repeatable)')
            [CompletionResult]::new('--ids', '--ids', [CompletionResultType]::ParameterName, 'Read identifiers from a file, one per line (`-` for stdin; blank lines and `#` comments skipped)')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Decide as this client does: canonical, mp-js, mp-java, android, android-tk, ios')
            [CompletionResult]::new('--population', '--population', [CompletionResultType]::ParameterName, 'The legacy 1-in-N rule (`populationSize`): in-sample iff the hex prefix is divisible by N')
            [CompletionResult]::new('--simulate', '--simulate', [CompletionResultType]::ParameterName, 'Draw N random identifiers and report the realised in-sample fraction with a 95% interval')
            [CompletionResult]::new('--seed', '--seed', [CompletionResultType]::ParameterName, 'Seed for --simulate, 0 to 2^53-1 (default: random, printed on stderr)')
            [CompletionResult]::new('--stream-config', '--stream-config', [CompletionResultType]::ParameterName, 'Stream config: a JSON file, `-` for stdin, or a MediaWiki API URL')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Timeout for each request, in seconds')
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'Output format for results on stdout (`epc validate` also takes junit)')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour (`always` wins over NO_COLOR)')
            [CompletionResult]::new('--all-profiles', '--all-profiles', [CompletionResultType]::ParameterName, 'One row per profile, and mark where the profiles disagree')
            [CompletionResult]::new('--no-cc', '--no-cc', [CompletionResultType]::ParameterName, 'Decide only the stream itself, not its cc streams')
            [CompletionResult]::new('--offline', '--offline', [CompletionResultType]::ParameterName, 'Use the cached copy of the last successful fetch instead of the network')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Hide summaries, notes and hints on stderr (results and errors still show)')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Hide summaries, notes and hints on stderr (results and errors still show)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'epc;validate' {
            [CompletionResult]::new('--schema-repo', '--schema-repo', [CompletionResultType]::ParameterName, 'A schema repository folder (with `jsonschema/` or `.jsonschema-tools.yaml`); repeatable, searched first, in order')
            [CompletionResult]::new('--schema-base-uri', '--schema-base-uri', [CompletionResultType]::ParameterName, 'A further base URI to resolve schemas against (a folder, file: or http(s) URL); repeatable, after --schema-repo. With neither, schemas come from schema.wikimedia.org''s primary and secondary repositories')
            [CompletionResult]::new('--schema', '--schema', [CompletionResultType]::ParameterName, 'Check every event against this schema (a URI resolved in the repositories, or a schema file) instead of its `$schema`')
            [CompletionResult]::new('--stream-config', '--stream-config', [CompletionResultType]::ParameterName, 'Stream config (file, `-` or API URL): each event''s `meta.stream` must be configured with the schema''s title')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Timeout for each request (remote schemas, stream config), in seconds')
            [CompletionResult]::new('-j', '-j', [CompletionResultType]::ParameterName, 'Threads validating NDJSON (default: all cores); output keeps the input order')
            [CompletionResult]::new('--jobs', '--jobs', [CompletionResultType]::ParameterName, 'Threads validating NDJSON (default: all cores); output keeps the input order')
            [CompletionResult]::new('--repo', '--repo', [CompletionResultType]::ParameterName, 'Check a whole schema repository as its CI does (jsonschema-tools'' tests), instead of events')
            [CompletionResult]::new('--since', '--since', [CompletionResultType]::ParameterName, 'With --repo (a git checkout): fail every published version file changed since git revision REV (committed, staged or unstaged; `git diff REV`); added files are new versions and pass')
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'Output format for results on stdout (`epc validate` also takes junit)')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour (`always` wins over NO_COLOR)')
            [CompletionResult]::new('--offline', '--offline', [CompletionResultType]::ParameterName, 'Make no network request: remote schemas (and stream config) come from the cache only')
            [CompletionResult]::new('--show-valid', '--show-valid', [CompletionResultType]::ParameterName, 'List every event in the table, valid ones too (by default the table lists only the events that are not valid; the other formats always list every event)')
            [CompletionResult]::new('--jsonschema-tools-compat', '--jsonschema-tools-compat', [CompletionResultType]::ParameterName, 'With --repo: jsonschema-tools 1.3.0''s results, without epc''s extra checks (narrowing, items snake_case, unknown keywords, draft, defaults, $id resolution)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Hide summaries, notes and hints on stderr (results and errors still show)')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Hide summaries, notes and hints on stderr (results and errors still show)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'epc;send' {
            [CompletionResult]::new('--stream', '--stream', [CompletionResultType]::ParameterName, 'The stream to send to (its cc streams get copies too)')
            [CompletionResult]::new('--schema', '--schema', [CompletionResultType]::ParameterName, 'The events'' `$schema` URI (an event''s own `$schema` must agree)')
            [CompletionResult]::new('--data', '--data', [CompletionResultType]::ParameterName, 'One event as JSON on the command line')
            [CompletionResult]::new('--action', '--action', [CompletionResultType]::ParameterName, 'Build a Metrics Platform interaction with this action, as MP-JS `submitInteraction` does')
            [CompletionResult]::new('--client', '--client', [CompletionResultType]::ParameterName, 'Which Metrics Platform client builds the --action event: `web` (MP-JS `submitInteraction`) or `app` (MP-Java `submitMetricsEvent`; --schema defaults to the apps base schema)')
            [CompletionResult]::new('--interaction-data', '--interaction-data', [CompletionResultType]::ParameterName, 'Interaction data for --action (a JSON object of top-level fields)')
            [CompletionResult]::new('--context', '--context', [CompletionResultType]::ParameterName, 'Context values for --action: a JSON file shaped like the consistency suite''s integration_data.json')
            [CompletionResult]::new('--domain', '--domain', [CompletionResultType]::ParameterName, '`meta.domain` for every event')
            [CompletionResult]::new('--session-id', '--session-id', [CompletionResultType]::ParameterName, 'Session id (default: from --context, else a fresh one, printed on stderr)')
            [CompletionResult]::new('--pageview-id', '--pageview-id', [CompletionResultType]::ParameterName, 'Pageview id (default: from --context, else a fresh one)')
            [CompletionResult]::new('--device-id', '--device-id', [CompletionResultType]::ParameterName, 'Device id, `app_install_id` (default: from --context, else a fresh one)')
            [CompletionResult]::new('--schema-repo', '--schema-repo', [CompletionResultType]::ParameterName, 'Schema repository folders for validation before sending (repeatable)')
            [CompletionResult]::new('--schema-base-uri', '--schema-base-uri', [CompletionResultType]::ParameterName, 'Further schema base URIs (repeatable). With neither, schemas come from schema.wikimedia.org''s primary and secondary repositories (--offline and --dry-run: from the cache only)')
            [CompletionResult]::new('--intake-url', '--intake-url', [CompletionResultType]::ParameterName, 'The intake (`…/v1/events`); default: from the stream''s destination_event_service')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Decide sampling, cc and the event''s shape as this client does: canonical, mp-js, mp-java, android, android-tk, ios (as `epc sample --profile`). Default: mp-js for --action (mp-java with --client app), else canonical')
            [CompletionResult]::new('--batch-size', '--batch-size', [CompletionResultType]::ParameterName, 'Most events per POST')
            [CompletionResult]::new('--batch-bytes', '--batch-bytes', [CompletionResultType]::ParameterName, 'Most bytes per POST body (EventGate''s example config allows 4 MB)')
            [CompletionResult]::new('--retries', '--retries', [CompletionResultType]::ParameterName, 'Retries of a batch nothing of which was accepted (429, 500, other 5xx, network errors; `Retry-After` is honoured)')
            [CompletionResult]::new('--retry-delay', '--retry-delay', [CompletionResultType]::ParameterName, 'The first retry delay in seconds; it doubles each retry, with jitter')
            [CompletionResult]::new('--failed-out', '--failed-out', [CompletionResultType]::ParameterName, 'Where events that were not accepted are written (NDJSON); default: ./epc-failed-<time>.ndjson')
            [CompletionResult]::new('--stream-config', '--stream-config', [CompletionResultType]::ParameterName, 'Stream config: a JSON file, `-` for stdin, or a MediaWiki API URL')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Timeout for each request, in seconds')
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'Output format for results on stdout (`epc validate` also takes junit)')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour (`always` wins over NO_COLOR)')
            [CompletionResult]::new('--ignore-curation', '--ignore-curation', [CompletionResultType]::ParameterName, 'Send events that fail the stream''s curation rules anyway')
            [CompletionResult]::new('--ignore-sampling', '--ignore-sampling', [CompletionResultType]::ParameterName, 'Send copies to streams the identifiers are out-of-sample for')
            [CompletionResult]::new('--no-cc', '--no-cc', [CompletionResultType]::ParameterName, 'Send to the stream only, not to its cc streams')
            [CompletionResult]::new('--no-validate', '--no-validate', [CompletionResultType]::ParameterName, 'Send without validating first')
            [CompletionResult]::new('--dry-run', '--dry-run', [CompletionResultType]::ParameterName, 'Print the decorated events and make no network request')
            [CompletionResult]::new('--production', '--production', [CompletionResultType]::ParameterName, 'Allow sending to a public production intake (the stream''s destination_event_service) when no --intake-url is given')
            [CompletionResult]::new('--hasty', '--hasty', [CompletionResultType]::ParameterName, 'Ask for `?hasty=true`: a 202 at once, without validation feedback')
            [CompletionResult]::new('--no-stream-config', '--no-stream-config', [CompletionResultType]::ParameterName, 'Send without stream config: no sampling, no cc streams, no stream checks')
            [CompletionResult]::new('--offline', '--offline', [CompletionResultType]::ParameterName, 'Use the cached copy of the last successful fetch instead of the network')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Hide summaries, notes and hints on stderr (results and errors still show)')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Hide summaries, notes and hints on stderr (results and errors still show)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'epc;serve' {
            [CompletionResult]::new('--listen', '--listen', [CompletionResultType]::ParameterName, 'Address to listen on, HOST:PORT (a host name resolves; port 0 picks a free port; the address is printed on stderr)')
            [CompletionResult]::new('--schema-repo', '--schema-repo', [CompletionResultType]::ParameterName, 'Schema repository folders (repeatable, searched in order)')
            [CompletionResult]::new('--schema-base-uri', '--schema-base-uri', [CompletionResultType]::ParameterName, 'Further schema base URIs (repeatable). With neither, schemas come from schema.wikimedia.org''s primary and secondary repositories')
            [CompletionResult]::new('--stream-config', '--stream-config', [CompletionResultType]::ParameterName, 'Stream config: each event''s stream must be configured with its schema''s title')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Timeout for each request (remote schemas, stream config), in seconds')
            [CompletionResult]::new('--output-dir', '--output-dir', [CompletionResultType]::ParameterName, 'Store events as NDJSON per stream in this folder (default: a line per event on stdout)')
            [CompletionResult]::new('--max-body-size', '--max-body-size', [CompletionResultType]::ParameterName, 'Largest request body in bytes (EventGate''s example config: 4 MB); larger ones get 413')
            [CompletionResult]::new('--max-connections', '--max-connections', [CompletionResultType]::ParameterName, 'Most connections open at once; at the limit, the one waiting longest for a request head makes room')
            [CompletionResult]::new('--header-timeout', '--header-timeout', [CompletionResultType]::ParameterName, 'Seconds from a request''s first byte to its complete head; then the connection is closed')
            [CompletionResult]::new('--body-timeout', '--body-timeout', [CompletionResultType]::ParameterName, 'Seconds from a request''s head to the end of its body; then 408 and the connection is closed')
            [CompletionResult]::new('--idle-timeout', '--idle-timeout', [CompletionResultType]::ParameterName, 'Seconds a keep-alive connection may wait for its next request')
            [CompletionResult]::new('--shutdown-timeout', '--shutdown-timeout', [CompletionResultType]::ParameterName, 'Seconds that requests in flight get to finish after Ctrl-C or SIGTERM; then epc serve exits')
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'Output format for results on stdout (`epc validate` also takes junit)')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour (`always` wins over NO_COLOR)')
            [CompletionResult]::new('--offline', '--offline', [CompletionResultType]::ParameterName, 'Make no network request: remote schemas (and stream config) come from the cache only')
            [CompletionResult]::new('--fsync', '--fsync', [CompletionResultType]::ParameterName, 'Sync every write to disk before answering (slower; default: written to the OS)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Hide summaries, notes and hints on stderr (results and errors still show)')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Hide summaries, notes and hints on stderr (results and errors still show)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'epc;materialize' {
            [CompletionResult]::new('--repo', '--repo', [CompletionResultType]::ParameterName, 'The schema repository (default: the folder, or the nearest parent, with `.jsonschema-tools.yaml` or `jsonschema/`, of the first CURRENT or the current directory)')
            [CompletionResult]::new('--schema-repo', '--schema-repo', [CompletionResultType]::ParameterName, 'A further schema repository folder to resolve `$ref`s against; repeatable, after --repo')
            [CompletionResult]::new('--schema-base-uri', '--schema-base-uri', [CompletionResultType]::ParameterName, 'A further base URI to resolve `$ref`s against (a folder, file: or http(s) URL); repeatable')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Timeout for each request for a remote schema, in seconds')
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'Output format for results on stdout (`epc validate` also takes junit)')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour (`always` wins over NO_COLOR)')
            [CompletionResult]::new('--all', '--all', [CompletionResultType]::ParameterName, 'Materialize every current file of the repository, in `$ref` dependency order')
            [CompletionResult]::new('--modified', '--modified', [CompletionResultType]::ParameterName, 'Materialize the current files git reports as changed (staged, unstaged and untracked)')
            [CompletionResult]::new('--staged', '--staged', [CompletionResultType]::ParameterName, 'With --modified: only the staged current files (what the pre-commit hook uses)')
            [CompletionResult]::new('-n', '-n', [CompletionResultType]::ParameterName, 'Say what would be written, and write nothing')
            [CompletionResult]::new('--dry-run', '--dry-run', [CompletionResultType]::ParameterName, 'Say what would be written, and write nothing')
            [CompletionResult]::new('--force', '--force', [CompletionResultType]::ParameterName, 'Replace version files whose schema would change even when git has them committed (for a version that is not released yet); with --install-hook, replace an existing hook')
            [CompletionResult]::new('--git-add', '--git-add', [CompletionResultType]::ParameterName, 'Stage the files and symlinks written with `git add`')
            [CompletionResult]::new('--install-hook', '--install-hook', [CompletionResultType]::ParameterName, 'Install a git pre-commit hook that runs `epc materialize --modified --staged --git-add`')
            [CompletionResult]::new('--offline', '--offline', [CompletionResultType]::ParameterName, 'Make no network request: remote `$ref`s come from the schema cache only')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Hide summaries, notes and hints on stderr (results and errors still show)')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Hide summaries, notes and hints on stderr (results and errors still show)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'epc;id' {
            [CompletionResult]::new('-n', '-n', [CompletionResultType]::ParameterName, 'How many to print')
            [CompletionResult]::new('--count', '--count', [CompletionResultType]::ParameterName, 'How many to print')
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'Output format for results on stdout (`epc validate` also takes junit)')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour (`always` wins over NO_COLOR)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Hide summaries, notes and hints on stderr (results and errors still show)')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Hide summaries, notes and hints on stderr (results and errors still show)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'epc;man' {
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'Output format for results on stdout (`epc validate` also takes junit)')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour (`always` wins over NO_COLOR)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Hide summaries, notes and hints on stderr (results and errors still show)')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Hide summaries, notes and hints on stderr (results and errors still show)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'epc;completions' {
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'Output format for results on stdout (`epc validate` also takes junit)')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour (`always` wins over NO_COLOR)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Hide summaries, notes and hints on stderr (results and errors still show)')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Hide summaries, notes and hints on stderr (results and errors still show)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'epc;help' {
            [CompletionResult]::new('streams', 'streams', [CompletionResultType]::ParameterValue, 'List stream config, or show the full config of named streams')
            [CompletionResult]::new('sample', 'sample', [CompletionResultType]::ParameterValue, 'Show sampling decisions for identifiers and a stream or rate')
            [CompletionResult]::new('validate', 'validate', [CompletionResultType]::ParameterValue, 'Validate events against schema repositories (and stream config), as EventGate does')
            [CompletionResult]::new('send', 'send', [CompletionResultType]::ParameterValue, 'Decorate events as a client does and send them to the intake (or print them with --dry-run)')
            [CompletionResult]::new('serve', 'serve', [CompletionResultType]::ParameterValue, 'Run a local EventGate-compatible intake that validates and stores events')
            [CompletionResult]::new('materialize', 'materialize', [CompletionResultType]::ParameterValue, 'Write the version files and symlinks of edited `current.yaml` schemas, as jsonschema-tools does')
            [CompletionResult]::new('id', 'id', [CompletionResultType]::ParameterValue, 'Print fresh standard identifiers (session, pageview or device)')
            [CompletionResult]::new('man', 'man', [CompletionResultType]::ParameterValue, 'Print the manual page (roff): epc(1), or epc-SUBCOMMAND(1)')
            [CompletionResult]::new('completions', 'completions', [CompletionResultType]::ParameterValue, 'Print a shell completion script (bash, zsh, fish, elvish, powershell)')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'epc;help;streams' {
            break
        }
        'epc;help;sample' {
            break
        }
        'epc;help;validate' {
            break
        }
        'epc;help;send' {
            break
        }
        'epc;help;serve' {
            break
        }
        'epc;help;materialize' {
            break
        }
        'epc;help;id' {
            break
        }
        'epc;help;man' {
            break
        }
        'epc;help;completions' {
            break
        }
        'epc;help;help' {
            break
        }
    })

    $completions.Where{ $_.CompletionText -like "$wordToComplete*" } |
        Sort-Object -Property ListItemText
}
