# Copy to instance/config.py and adjust. Values here override the package defaults; the environment overrides
# this file. Never commit the real file: it holds secrets.

# SECRET_KEY = "a long random value, e.g. from: python -c 'import secrets; print(secrets.token_urlsafe(48))'"
# SQLALCHEMY_DATABASE_URI = "postgresql+psycopg://safeguard:PASSWORD@127.0.0.1:5432/safeguard"
# PRODUCTION = True
# IDLE_TIMEOUT_MINUTES = 30
# BASE_URL = "https://safeguard.example-trust.org.uk"
# MAIL_HOST = "smtp.example-trust.org.uk"
# MAIL_PORT = 587
# MAIL_USE_TLS = True
# MAIL_USERNAME = "safeguard"
# MAIL_PASSWORD = "..."
# MAIL_FROM = "safeguard@example-trust.org.uk"
# RATELIMIT_STORAGE_URI = "redis://127.0.0.1:6379/0"   # needed when several gunicorn workers run
# UPLOAD_ENCRYPTION_KEY = "32 random bytes in base64 (required in production): python -c \"import os, base64; print(base64.b64encode(os.urandom(32)).decode())\""
# PROXY_HOPS = 1                                        # how many reverse proxies in front of the app to trust
# IMPORT_STASH_MINUTES = 60                             # how long an uploaded pupil file waits for confirmation
