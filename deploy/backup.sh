#!/usr/bin/env bash
# Nightly backup: a compressed custom-format dump plus the archived reports.
# Usage: deploy/backup.sh /var/backups/isoko   (run as the isoko user, e.g. from cron)
set -euo pipefail
dest=${1:?destination folder}
stamp=$(date -u +%Y%m%dT%H%M%SZ)
mkdir -p "$dest"
pg_dump --format=custom --compress=6 --no-owner --dbname="${ISOKO_DATABASE_URL/+psycopg/}" \
  --file="$dest/isoko-$stamp.dump"
tar -C "${ISOKO_INSTANCE_DIR:-/var/lib/isoko}" -czf "$dest/isoko-files-$stamp.tar.gz" .
# Keep 30 days.
find "$dest" -name 'isoko-*' -mtime +30 -delete
echo "backup written: $dest/isoko-$stamp.dump"
