#!/usr/bin/env bash
# Restore a dump made by backup.sh into an EMPTY database, then bring it to the current schema.
# Usage: deploy/restore.sh /var/backups/isoko/isoko-YYYYMMDDTHHMMSSZ.dump
set -euo pipefail
dump=${1:?dump file}
pg_restore --no-owner --exit-on-error --single-transaction \
  --dbname="${ISOKO_DATABASE_URL/+psycopg/}" "$dump"
isoko db upgrade heads
isoko init-roles
echo "restored from $dump"
