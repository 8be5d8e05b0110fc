"""What PostgreSQL being unreachable for a moment (a restart, a failover) looks like to Django."""

from django.db import InterfaceError, OperationalError

DATABASE_DOWN = (OperationalError, InterfaceError)
