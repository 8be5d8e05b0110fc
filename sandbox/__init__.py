"""Local stand-ins for the services that cannot be reached from here (Auth0, Stripe, Hopsworks,
Kubernetes). Each is a real HTTP server speaking that service's wire protocol; the app reaches it
only through its normal settings (URLs, keys), never by import."""
