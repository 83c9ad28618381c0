#!/usr/bin/env bash
# Rongrian (ร้องเรียน) backup: consistent database copy + secrets/ + sha256 manifest, as one tarball.
#
# What a backup exposes: complaint content and reporter identities are age-sealed
# to the escrow recipient, so the database alone reveals neither. But secrets/
# (token-hash.key, password-pepper.key, totp.key, ...) lets whoever holds it test guessed tracking tokens
# against the database, so keep backups access-controlled (0600, restricted hosts;
# encrypt off-site copies). The escrow identity is NOT on the server and therefore
# NOT in this backup: store it separately, offline.
#
# Run as the service user, so SQLite side files and PostgreSQL peer auth work:
#   runuser -u rongrian -- backup.sh -e /etc/rongrian/env -o /var/backups/rongrian
set -euo pipefail
umask 077

usage() {
    cat <<'EOF'
Usage: backup.sh [-d DATA_DIR] [-o OUT_DIR] [-e ENV_FILE] [-h]

  -d DATA_DIR  rongrian data dir (default: $RONGRIAN_DATA_DIR or /var/lib/rongrian)
  -o OUT_DIR   where the .tar.gz is written (default: $RONGRIAN_BACKUP_DIR or /var/backups/rongrian)
  -e ENV_FILE  load variables (e.g. RONGRIAN_DATABASE_URL) from a KEY=value file
  -h           show this help

If RONGRIAN_DATABASE_URL (or RONGRIAN_SERVER__DATABASE_URL) is a postgres:// URL the
database is dumped with pg_dump --format=custom; otherwise DATA_DIR/rongrian.db is
copied with sqlite3's online .backup. The URL must be libpq-compatible (no
sqlx-only parameters). Prints the path of the finished archive.
EOF
}

die() { printf 'backup.sh: %s\n' "$*" >&2; exit 1; }

DATA=${RONGRIAN_DATA_DIR:-/var/lib/rongrian}
DEST=${RONGRIAN_BACKUP_DIR:-/var/backups/rongrian}
ENV_FILE=
while getopts ':d:o:e:h' opt; do
    case $opt in
        d) DATA=$OPTARG ;;
        o) DEST=$OPTARG ;;
        e) ENV_FILE=$OPTARG ;;
        h) usage; exit 0 ;;
        :) die "option -$OPTARG needs an argument (see -h)" ;;
        *) die "unknown option -$OPTARG (see -h)" ;;
    esac
done
shift $((OPTIND - 1))
[[ $# -eq 0 ]] || die "unexpected argument: $1 (see -h)"

if [[ -n $ENV_FILE ]]; then
    [[ -r $ENV_FILE ]] || die "cannot read env file $ENV_FILE"
    set -a
    # shellcheck source=/dev/null
    . "$ENV_FILE"
    set +a
fi
DB_URL=${RONGRIAN_DATABASE_URL:-${RONGRIAN_SERVER__DATABASE_URL:-}}

[[ -d $DATA ]] || die "data dir $DATA does not exist"
[[ -d $DATA/secrets ]] || die "$DATA/secrets is missing: without it tokens cannot be looked up; refusing to write an incomplete backup"
mkdir -p -- "$DEST"

STAMP=$(date -u +%Y%m%dT%H%M%SZ)
NAME=rongrian-backup-$STAMP
WORK=$(mktemp -d "$DEST/.tmp-$NAME.XXXXXX")
trap 'rm -rf -- "$WORK"' EXIT
STAGE=$WORK/$NAME
mkdir -- "$STAGE"

# The audit anchor first: an anchor older than the database copy is what a restored instance
# expects (the chain only grows); a newer one would look like a truncated trail.
if [[ -f $DATA/audit-anchor ]]; then
    cp -p -- "$DATA/audit-anchor" "$STAGE/audit-anchor"
fi
case $DB_URL in
    postgres://* | postgresql://*)
        command -v pg_dump >/dev/null || die "pg_dump not found (install postgresql-client matching the server major version)"
        DB_KIND=postgresql
        # Note: the URL (and any password in it) is visible in the process list while
        # pg_dump runs; prefer peer auth over the socket or a ~/.pgpass file.
        pg_dump --format=custom --no-owner --no-privileges \
            --file="$STAGE/rongrian.pgdump" --dbname="$DB_URL"
        ;;
    "" | sqlite:*)
        # Embedded SQLite always lives at DATA_DIR/rongrian.db.
        DB_KIND=sqlite
        DB=$DATA/rongrian.db
        [[ -f $DB ]] || die "no database URL set and $DB not found (use -e ENV_FILE for PostgreSQL)"
        command -v sqlite3 >/dev/null || die "sqlite3 not found: install it (apt-get install sqlite3). Copying a live WAL database with cp is NOT consistent, so there is no fallback."
        # sqlite3 may create -wal/-shm files; as root they would become root-owned and
        # lock the service out of its own database.
        if [[ $EUID -eq 0 && $(stat -c %u "$DB") -ne 0 ]]; then
            die "run as the owner of $DB (e.g. runuser -u $(stat -c %U "$DB") -- $0 ...), not as root"
        fi
        [[ $STAGE != *"'"* ]] || die "output path must not contain a single quote"
        # Online backup API: a consistent snapshot even while the server writes (WAL).
        sqlite3 "$DB" ".backup '$STAGE/rongrian.db'"
        [[ $(sqlite3 "$STAGE/rongrian.db" 'PRAGMA integrity_check;') == ok ]] \
            || die "integrity check of the copied database failed"
        ;;
    *) die "unsupported database URL scheme: ${DB_URL%%:*}" ;;
esac

# -p keeps the 0600/0700 modes of the secrets.
cp -Rp -- "$DATA/secrets" "$STAGE/secrets"
# Sealed evidence files kept in the data directory (an S3 bucket is backed up by its own means).
# They are copied after the database, so every file the database copy names is there.
if [[ -d $DATA/evidence ]]; then
    cp -Rp -- "$DATA/evidence" "$STAGE/evidence"
fi

# Anything else in the data dir is not part of the documented layout: say so
# rather than silently copying files of unknown consistency. The first administrator's initial
# credentials (first-administrator.txt, deleted after the first sign-in) are never backed up.
while IFS= read -r -d '' extra; do
    printf 'backup.sh: warning: not backed up: %s\n' "$extra" >&2
done < <(find "$DATA" -mindepth 1 -maxdepth 1 \
    ! -name secrets ! -name evidence ! -name audit-anchor ! -name 'rongrian.db' ! -name 'rongrian.db-wal' \
    ! -name 'rongrian.db-shm' ! -name 'rongrian.db-journal' ! -name first-administrator.txt -print0)

{
    printf 'format=rongrian-backup-1\n'
    printf 'created=%s\n' "$STAMP"
    printf 'database=%s\n' "$DB_KIND"
    printf 'note=escrow identity is not included; it is stored offline\n'
} > "$STAGE/BACKUP-INFO"

# Manifest of every file (paths relative to the backup root), checked by restore.sh.
(
    cd "$STAGE"
    find . -type f ! -name MANIFEST.sha256 -print0 | sort -z | xargs -0 sha256sum
) > "$WORK/MANIFEST.sha256"
mv -- "$WORK/MANIFEST.sha256" "$STAGE/MANIFEST.sha256"

# Write under a temporary name and rename, so a half-written archive never looks complete.
tar -C "$WORK" --numeric-owner -czf "$WORK/$NAME.tar.gz" "$NAME"
mv -- "$WORK/$NAME.tar.gz" "$DEST/$NAME.tar.gz"
printf '%s\n' "$DEST/$NAME.tar.gz"
