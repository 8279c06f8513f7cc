"""pytest plugin for the Josi model suites."""
