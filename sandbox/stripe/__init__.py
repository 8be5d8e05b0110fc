"""A local Stripe: the part of Stripe's REST API and webhooks that Hopsworks Managed uses."""
