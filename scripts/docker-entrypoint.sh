#!/bin/sh
# The container's role is its first argument.
set -e
case "$1" in
  web)
    python manage.py migrate --noinput
    exec gunicorn hopsmanaged.wsgi --bind "0.0.0.0:${PORT:-8000}" --workers "${WEB_CONCURRENCY:-3}" \
      --threads 4 --access-logfile - ;;
  worker) exec celery -A hopsmanaged worker --loglevel INFO ;;
  beat) exec celery -A hopsmanaged beat --loglevel INFO --schedule /tmp/celerybeat-schedule ;;
  *) exec python manage.py "$@" ;;
esac
