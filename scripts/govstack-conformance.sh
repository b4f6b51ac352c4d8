#!/usr/bin/env bash
# Run the GovStack working group's Cucumber conformance suite for the Registration Building Block
# (GovStackWorkingGroup/bb-registration, test/openAPI) against a running govflow (docs/govstack.md,
# "The conformance suite"). The suite is fetched into a temporary directory and never kept.
#
#   DEBUG=1 scripts/govstack-conformance.sh setup USERNAME  # in a govflow checkout, demo data loaded:
#                                       # loads the aliases, registers the suite's client (no account),
#                                       # prints a new token of USERNAME
#   GOVSTACK_TOKEN=<token> scripts/govstack-conformance.sh run
#
# Environment for "run":
#   GOVSTACK_TOKEN     govflow token (Authorization: Token ...) the suite's requests carry (required)
#   GOVSTACK_BASE_URL  the API's root, default http://127.0.0.1:8000/govstack/registration/
#   SUITE_REPO         git URL of the suite, default https://github.com/GovStackWorkingGroup/bb-registration
#   SUITE_REF          branch or tag to check out, default the repository's default branch
#   SUITE_DIR          an existing copy of the repository instead of cloning (offline machines)
#   CUCUMBER_ARGS      extra arguments for cucumber-js (default: --format progress --format summary)
#
# The suite is run unchanged except for two things it cannot be told otherwise: its base URL (written
# into features/support/helpers/helpers.js, which hard-codes http://localhost:3333/) and govflow's
# token, added to every request by one extra support file (the suite sends only the
# Information-Mediator-Client header).
set -euo pipefail

CLIENT_HEADER="eGovStack/GOV/90000009/eregistrations-dev"

setup() {
    local username="${1:?usage: $0 setup USERNAME}"
    local py="${PYTHON:-.venv/bin/python}"
    "$py" manage.py govstack_aliases docs/govstack-conformance-aliases.json
    GOVSTACK_USERNAME="$username" GOVSTACK_CLIENT="$CLIENT_HEADER" "$py" manage.py shell -c "
import os
from knox.models import AuthToken
from govflow.accounts.models import User
from govflow.govstack.models import Client
Client.objects.update_or_create(identifier=os.environ['GOVSTACK_CLIENT'],
                                defaults={'name': 'GovStack conformance suite', 'is_active': True, 'user': None})
print(AuthToken.objects.create(User.objects.get(username=os.environ['GOVSTACK_USERNAME']))[1])
"
}

run() {
    : "${GOVSTACK_TOKEN:?set GOVSTACK_TOKEN (see: $0 setup USERNAME)}"
    local base="${GOVSTACK_BASE_URL:-http://127.0.0.1:8000/govstack/registration/}"
    base="${base%/}/"
    WORK="$(mktemp -d "${TMPDIR:-/tmp}/govstack-conformance.XXXXXX")"
    trap 'rm -rf "$WORK"' EXIT
    if [ -n "${SUITE_DIR:-}" ]; then
        cp -r "$SUITE_DIR/test/openAPI" "$WORK/openAPI"
    else
        git clone --quiet --depth 1 ${SUITE_REF:+--branch "$SUITE_REF"} \
            "${SUITE_REPO:-https://github.com/GovStackWorkingGroup/bb-registration}" "$WORK/repo"
        cp -r "$WORK/repo/test/openAPI" "$WORK/openAPI"
    fi
    cd "$WORK/openAPI"
    rm -rf node_modules
    npm install --no-audit --no-fund --loglevel=error
    # The base URL: the suite hard-codes http://localhost:3333/.
    BASE="$base" node -e '
const fs = require("fs"); const f = "features/support/helpers/helpers.js";
const text = fs.readFileSync(f, "utf8");
if (!text.includes("http://localhost:3333/")) { console.error("helpers.js has no http://localhost:3333/"); process.exit(1); }
fs.writeFileSync(f, text.replace("http://localhost:3333/", process.env.BASE));'
    # govflow's credentials on every request.
    cat > features/support/zz_govflow_credentials.js <<'JS'
const { request } = require('pactum');
request.setDefaultHeaders('Authorization', `Token ${process.env.GOVSTACK_TOKEN}`);
JS
    # shellcheck disable=SC2086
    npx cucumber-js --publish-quiet ${CUCUMBER_ARGS:---format progress --format summary}
}

case "${1:-}" in
    setup) shift; setup "$@" ;;
    run) run ;;
    *) sed -n '2,25p' "$0"; exit 2 ;;
esac
