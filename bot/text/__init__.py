"""The words a worker reads: gettext catalogs, rendering and SMS segments."""
