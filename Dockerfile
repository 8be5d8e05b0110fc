# One image for every role: `web` (default), `worker`, `beat`, or any manage.py command.
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PORT=8000
WORKDIR /app

RUN useradd --system --create-home --uid 1000 app
COPY requirements.txt .
RUN pip install --no-cache-dir -r requirements.txt
COPY . .
RUN SECRET_KEY=collectstatic-only DATABASE_URL=postgres://x@localhost/x REDIS_URL=redis://localhost \
    AUTH0_ISSUER_BASE_URL=https://x AUTH0_CLIENT_ID=x AUTH0_CLIENT_SECRET=x AUTH0_BASE_URL=https://x \
    AUTH0_WEBHOOK_SECRET=x STRIPE_SECRET_KEY=x STRIPE_WEBHOOK_SECRET=x FIELD_ENCRYPTION_KEYS=x \
    python manage.py collectstatic --noinput -v 0
COPY scripts/docker-entrypoint.sh /usr/local/bin/entrypoint
USER app
EXPOSE 8000
ENTRYPOINT ["entrypoint"]
CMD ["web"]
