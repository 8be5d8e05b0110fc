"""Start every sandbox server on its fixed development port (used by `make run`).

Each entry names a module with `create_app(**config)`; the ports match `.env.example`. A test
running the whole stack beside a developer's moves them with SANDBOX_PORT_<NAME> (AUTH0, STRIPE,
HOPSWORKS, KUBERNETES, MAIL, SMTP) and SANDBOX_STRIPE_STATE_FILE (empty: keep nothing).
The Hopsworks and Kubernetes sandboxes keep their users and pods in `.data/` too (state_file below).
"""

import importlib
import os
import signal
import sys
import threading

from sandbox.serving import start_in_thread

# (name, module, port, config from the environment)
SERVICES = []
# Each started app by name, so one sandbox can reach another in-process (Hopsworks → Kubernetes).
APPS = {}
# main() turns it on: only the runner keeps Hopsworks/Kubernetes state in files (a test's config does not).
KEEP_STATE = False


def _hopsworks_config():
    def user_created(username, email):
        # The Kubernetes sandbox app may expose `on_hopsworks_user_created(username, email)`.
        hook = getattr(APPS.get("kubernetes"), "on_hopsworks_user_created", None)
        if hook:
            hook(username, email)

    return {"api_key": env("DEMO_HOPSWORKS_API_KEY", "sandbox-admin-key"), "on_user_created": user_created,
            "state_path": state_file("hopsworks", "hopsworks-sandbox.json")}


SERVICES.append(("hopsworks", "sandbox.hopsworks.server", 8103, _hopsworks_config))


def _auth0_config():
    issuer = env("AUTH0_ISSUER_BASE_URL", "http://127.0.0.1:8101").rstrip("/") + "/"
    return {
        "client_id": env("AUTH0_CLIENT_ID", "hopsmanaged-dev"),
        "client_secret": env("AUTH0_CLIENT_SECRET", "dev-client-secret"),
        "issuer": issuer,
        "webhook_url": f"http://127.0.0.1:{env('HM_PORT', '8000')}/api/webhooks/auth0",
        "webhook_secret": env("AUTH0_WEBHOOK_SECRET"),
    }


SERVICES.append(("auth0", "sandbox.oidc.server", 8101, _auth0_config))


def _kubernetes_config():
    # A running clock: pods start, end and vary as wall time passes, slot by slot.
    return {"token": env("DEMO_KUBERNETES_TOKEN", "sandbox-token"), "frozen": False,
            "state_path": state_file("kubernetes", "kubernetes-sandbox.json")}


SERVICES.append(("kubernetes", "sandbox.kubernetes.server", 8104, _kubernetes_config))


def _smtp_config():
    # SMTP on 8125 (EMAIL_URL=smtp://127.0.0.1:8125); the messages are readable on the HTTP port below.
    return {"smtp_port": port_for("smtp", 8125)}


SERVICES.append(("mail sink", "sandbox.smtp.server", 8126, _smtp_config))


def _stripe_config():
    # Signed webhooks go to the app as they happen; invoices link back to this port.
    return {
        "api_key": env("STRIPE_SECRET_KEY", "sk_test_dev_sandbox_key"),
        "webhook_url": f"http://127.0.0.1:{env('HM_PORT', '8000')}/api/webhooks/stripe",
        "webhook_secret": env("STRIPE_WEBHOOK_SECRET", "whsec_dev_sandbox_secret"),
        "public_url": f"http://127.0.0.1:{port_for('stripe', 8102)}",
        # The app's database keeps Stripe ids across `make run`s: so does the sandbox.
        "state_file": env("SANDBOX_STRIPE_STATE_FILE", os.path.join(
            os.path.dirname(os.path.dirname(os.path.abspath(__file__))), ".data", "stripe-sandbox.pickle")),
    }


SERVICES.append(("stripe", "sandbox.stripe.server", 8102, _stripe_config))


def main():
    global KEEP_STATE
    load_dotenv()
    KEEP_STATE = True
    running = []
    for name, module, port, config in SERVICES:
        app = importlib.import_module(module).create_app(**config())
        APPS[name] = app
        port = port_for(name, port)
        running.append(start_in_thread(app, port=port))
        print(f"sandbox {name}: http://127.0.0.1:{port}", flush=True)
    if not SERVICES:
        print("sandbox: no services registered", flush=True)
    known_users_run_pods()
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    stop.wait()
    for server in running:
        server.stop()
    return 0


def env(name, default=""):
    return os.environ.get(name, default)


def known_users_run_pods():
    """At start: Hopsworks users kept from an earlier run whose pods were not kept start them again."""
    if "hopsworks" in APPS and "kubernetes" in APPS:
        APPS["kubernetes"].hopsworks_users_ensure(APPS["hopsworks"].hopsworks.usernames_created())


def state_file(name, filename):
    """`.data/<filename>` for `make run`, or SANDBOX_<NAME>_STATE_FILE (empty: keep nothing). A stack
    on moved ports (a test beside `make run`) keeps nothing unless told, never the developer's file."""
    variable = f"SANDBOX_{name.upper()}_STATE_FILE"
    if not KEEP_STATE:
        return None
    if variable in os.environ or f"SANDBOX_PORT_{name.upper()}" in os.environ:
        return env(variable) or None
    return os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), ".data", filename)


def port_for(name, default):
    """SANDBOX_PORT_<first word of the name> overrides a service's development port."""
    return int(env(f"SANDBOX_PORT_{name.split()[0].upper()}", default))


def load_dotenv():
    """Read the project's `.env` as the app does (the environment wins), so the sandbox and the
    app agree on secrets and ports under `make run`."""
    import environ

    path = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), ".env")
    if os.path.exists(path):
        environ.Env.read_env(path, overwrite=False)


if __name__ == "__main__":
    sys.exit(main())
