#!/usr/bin/env bash
# Rongrian (ร้องเรียน) restore: verify a backup.sh archive, then put back the database and secrets/.
# Everything is checked before anything is changed. Stop the service first.
set -euo pipefail
umask 077

usage() {
    cat <<'EOF'
Usage: restore.sh [-d DATA_DIR] [-e ENV_FILE] [-u OWNER] [--force] [-h] BACKUP.tar.gz

  -d DATA_DIR  rongrian data dir (default: $RONGRIAN_DATA_DIR or /var/lib/rongrian)
  -e ENV_FILE  load variables (e.g. RONGRIAN_DATABASE_URL) from a KEY=value file
  -u OWNER     when run as root: chown the restored data dir to OWNER and run
               pg_restore as OWNER (for peer authentication) (default: rongrian)
  --force      replace a non-empty data dir (its old contents are first copied to
               DATA_DIR.pre-restore-<time>) and, for PostgreSQL, drop and recreate
               existing objects (pg_restore --clean). Without it, restore refuses.
  -h, --help   show this help

The archive's MANIFEST.sha256 is verified (and must list exactly the files present)
before anything is touched. PostgreSQL backups are restored into
RONGRIAN_DATABASE_URL (or RONGRIAN_SERVER__DATABASE_URL) in a single transaction.
EOF
}

die() { printf 'restore.sh: %s\n' "$*" >&2; exit 1; }

DATA=${RONGRIAN_DATA_DIR:-/var/lib/rongrian}
ENV_FILE=
OWNER=rongrian
FORCE=0
ARCHIVE=
while [[ $# -gt 0 ]]; do
    case $1 in
        -h | --help) usage; exit 0 ;;
        --force) FORCE=1 ;;
        -d | -e | -u)
            [[ $# -ge 2 ]] || die "option $1 needs an argument (see -h)"
            case $1 in -d) DATA=$2 ;; -e) ENV_FILE=$2 ;; -u) OWNER=$2 ;; esac
            shift ;;
        --) shift; break ;;
        -*) die "unknown option $1 (see -h)" ;;
        *) [[ -z $ARCHIVE ]] || die "only one archive may be given"; ARCHIVE=$1 ;;
    esac
    shift
done
if [[ $# -gt 0 ]]; then
    [[ -z $ARCHIVE && $# -eq 1 ]] || die "only one archive may be given"
    ARCHIVE=$1
fi
[[ -n $ARCHIVE ]] || { usage >&2; exit 2; }
[[ -f $ARCHIVE && -r $ARCHIVE ]] || die "cannot read $ARCHIVE"

if [[ -n $ENV_FILE ]]; then
    [[ -r $ENV_FILE ]] || die "cannot read env file $ENV_FILE"
    set -a
    # shellcheck source=/dev/null
    . "$ENV_FILE"
    set +a
fi
DB_URL=${RONGRIAN_DATABASE_URL:-${RONGRIAN_SERVER__DATABASE_URL:-}}

# --- 1. Unpack into a private temp dir and verify -------------------------------
WORK=$(mktemp -d)
trap 'rm -rf -- "$WORK"' EXIT

# Exactly one top-level directory, no absolute or ".." member names.
mapfile -t TOPS < <(tar -tzf "$ARCHIVE" | awk -F/ '{print $1}' | sort -u)
[[ ${#TOPS[@]} -eq 1 && ${TOPS[0]} == rongrian-backup-* ]] \
    || die "$ARCHIVE does not look like a rongrian backup (unexpected top-level entries)"
# (grep without -q reads all input: an early exit would SIGPIPE tar and, under
# pipefail, turn a match into a silent pass.)
if tar -tzf "$ARCHIVE" | grep -E '(^/|(^|/)\.\.(/|$))' >/dev/null; then
    die "$ARCHIVE contains unsafe paths"
fi
tar -C "$WORK" --no-same-owner -xpzf "$ARCHIVE"
ROOT=$WORK/${TOPS[0]}

[[ -f $ROOT/MANIFEST.sha256 && -f $ROOT/BACKUP-INFO ]] || die "manifest or BACKUP-INFO missing"
[[ -z $(find "$ROOT" ! -type f ! -type d -print -quit) ]] \
    || die "archive contains links or special files; refusing"
(cd "$ROOT" && sha256sum --check --strict --quiet MANIFEST.sha256) \
    || die "sha256 verification FAILED: archive is corrupt or was modified"
# The manifest must cover every file, so nothing unverified can be slipped in.
if ! diff -q \
    <(cd "$ROOT" && find . -type f ! -name MANIFEST.sha256 | sort) \
    <(sed -E 's/^[0-9a-f]{64}  //' "$ROOT/MANIFEST.sha256" | sort) >/dev/null; then
    die "files in the archive do not match its manifest"
fi
[[ -d $ROOT/secrets ]] || die "backup has no secrets/ directory"

if [[ -f $ROOT/rongrian.pgdump ]]; then
    DB_KIND=postgresql
    case $DB_URL in
        postgres://* | postgresql://*) ;;
        *) die "PostgreSQL backup: set RONGRIAN_DATABASE_URL (or use -e ENV_FILE)" ;;
    esac
    command -v pg_restore >/dev/null || die "pg_restore not found (install postgresql-client)"
elif [[ -f $ROOT/rongrian.db ]]; then
    DB_KIND=sqlite
else
    die "backup contains no database"
fi
echo "restore.sh: archive verified ($DB_KIND backup)"

# --- 2. Refuse unsafe situations before changing anything -----------------------
if command -v systemctl >/dev/null && systemctl is-active --quiet rongrian.service 2>/dev/null; then
    die "rongrian.service is running; stop it first (systemctl stop rongrian)"
fi
DATA_BUSY=0
if [[ -d $DATA && -n $(find "$DATA" -mindepth 1 -maxdepth 1 -print -quit) ]]; then
    DATA_BUSY=1
    [[ $FORCE -eq 1 ]] || die "$DATA is not empty; refusing to overwrite it (use --force)"
fi
if [[ $EUID -eq 0 ]]; then
    id -u -- "$OWNER" >/dev/null 2>&1 || die "user $OWNER does not exist (use -u OWNER)"
fi

# --- 3. Database -------------------------------------------------------------------
if [[ $DB_KIND == postgresql ]]; then
    # Single transaction: either the whole dump is applied or nothing is. Without
    # --force, existing tables make it fail, leaving the database untouched.
    PG_OPTS=(--no-owner --no-privileges --exit-on-error --single-transaction)
    if [[ $FORCE -eq 1 ]]; then PG_OPTS+=(--clean --if-exists); fi
    if [[ $EUID -eq 0 ]]; then
        # As root, connect as OWNER so socket peer authentication maps to its role;
        # the dump is fed on stdin because OWNER cannot read our private temp dir.
        runuser -u "$OWNER" -- pg_restore "${PG_OPTS[@]}" --dbname="$DB_URL" <"$ROOT/rongrian.pgdump"
    else
        pg_restore "${PG_OPTS[@]}" --dbname="$DB_URL" "$ROOT/rongrian.pgdump"
    fi
fi

# --- 4. Data directory -----------------------------------------------------------
if [[ $DATA_BUSY -eq 1 ]]; then
    ASIDE=${DATA%/}.pre-restore-$(date -u +%Y%m%dT%H%M%SZ)
    # Copy rather than move, so this also works when DATA is a mount point (volume).
    cp -Rp -- "$DATA" "$ASIDE"
    find "$DATA" -mindepth 1 -delete
    echo "restore.sh: previous contents kept in $ASIDE (holds old secrets: delete securely once verified)"
fi
mkdir -p -- "$DATA"
chmod 0700 -- "$DATA"
cp -Rp -- "$ROOT/secrets" "$DATA/secrets"
if [[ -f $ROOT/audit-anchor ]]; then cp -p -- "$ROOT/audit-anchor" "$DATA/audit-anchor"; fi
if [[ -d $ROOT/evidence ]]; then cp -Rp -- "$ROOT/evidence" "$DATA/evidence"; fi
if [[ $DB_KIND == sqlite ]]; then
    cp -p -- "$ROOT/rongrian.db" "$DATA/rongrian.db"
fi
if [[ $EUID -eq 0 ]]; then
    chown -R -- "$OWNER:$(id -gn -- "$OWNER")" "$DATA"
fi

echo "restore.sh: restored into $DATA. Next: run 'rongrian migrate' if the binary is newer than the backup, then start the service."
