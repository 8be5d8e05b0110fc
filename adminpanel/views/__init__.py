"""The panel's pages, one module per section; every view is wrapped in `access.admin_required`."""
