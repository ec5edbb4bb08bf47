"""Template tags of the kiosk pages."""
